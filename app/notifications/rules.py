"""Pure rules of notifications: links, broadcast templates and recipients, reminder timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

from app.outbox.rules import address_problem, single_line

# The variables a broadcast may use, with the help text shown next to the form.
BROADCAST_VARIABLES: dict[str, str] = {
    "body_name": "nama badan publik penerima",
    "recipient_name": "nama operator penerima (atau 'Bapak/Ibu PPID')",
    "category": "kategori badan publik",
    "commission": "nama komisi",
    "login_url": "alamat masuk Monev KIP",
}
MAX_SUBJECT = 200
MAX_BODY = 10_000
PREVIEW_SAMPLES = 3

# Text written by the sekretariat is a template too: sandboxed, and unknown names are errors.
_sandbox = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


def safe_link(link: str) -> str:
    """A link inside the application (`/…`); anything else would be an open redirect."""
    link = link.strip()
    if not link:
        return ""
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        raise ValueError(f"notification links must be paths inside the app, got {link!r}")
    return link[:500]


def check_broadcast(subject: str, body: str) -> dict[str, str]:
    """Field errors of a broadcast's subject and body templates (empty when usable)."""
    errors: dict[str, str] = {}
    for name, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not text.strip():
            errors[name] = "Wajib diisi."
            continue
        if len(text) > limit:
            errors[name] = f"Terlalu panjang (maks. {limit} karakter)."
            continue
        try:
            names = meta.find_undeclared_variables(_sandbox.parse(text))
        except TemplateSyntaxError as exc:
            errors[name] = f"Penulisan variabel salah (baris {exc.lineno}): {exc.message}."
            continue
        unknown = sorted(names - set(BROADCAST_VARIABLES))
        if unknown:
            listed = ", ".join("{{ " + n + " }}" for n in unknown)
            errors[name] = (
                f"Variabel tidak dikenal: {listed}. Yang dapat dipakai: "
                + ", ".join("{{ " + n + " }}" for n in BROADCAST_VARIABLES)
                + "."
            )
    return errors


class BroadcastRenderError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def render_broadcast(subject: str, body: str, context: dict[str, str]) -> tuple[str, str]:
    """The subject and body one recipient gets; errors name the problem in Indonesian."""
    try:
        out_subject = _sandbox.from_string(subject).render(context)
        out_body = _sandbox.from_string(body).render(context)
    except UndefinedError as exc:
        raise BroadcastRenderError(f"Variabel tidak tersedia: {exc.message}.") from exc
    except TemplateError as exc:
        raise BroadcastRenderError(f"Templat tidak dapat dipakai: {exc}.") from exc
    return single_line(out_subject, MAX_SUBJECT), out_body.strip()


@dataclass(frozen=True)
class BodyContact:
    id: int
    name: str
    category: str
    email: str
    ppid_email: str


@dataclass(frozen=True)
class OperatorContact:
    body_id: int
    user_id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class Recipient:
    body_id: int
    body_name: str
    category: str
    address: str
    name: str
    user_id: int | None
    problem: str | None = None  # an address that will not work: queued as failed, fixable


@dataclass
class Recipients:
    recipients: list[Recipient] = field(default_factory=list)
    without_address: list[BodyContact] = field(default_factory=list)

    @property
    def invalid(self) -> list[Recipient]:
        return [r for r in self.recipients if r.problem]


def resolve_recipients(bodies: list[BodyContact], operators: list[OperatorContact]) -> Recipients:
    """Who gets a broadcast: each body's operators, else the body's (or its PPID's) e-mail.

    One message per body and address: an address listed twice for a body gets one message;
    a body with no address at all is reported, not silently skipped.
    """
    by_body: dict[int, list[OperatorContact]] = {}
    for op in operators:
        by_body.setdefault(op.body_id, []).append(op)
    out = Recipients()
    for b in bodies:
        seen: set[str] = set()
        found: list[Recipient] = []
        candidates: list[tuple[str, str, int | None]] = [
            (o.email, o.full_name, o.user_id) for o in by_body.get(b.id, [])
        ]
        if not any(e.strip() for e, _, _ in candidates):
            fallback = b.email.strip() or b.ppid_email.strip()
            candidates = [(fallback, "Bapak/Ibu PPID", None)] if fallback else []
        for email, name, user_id in candidates:
            address = email.strip()
            if not address or address.lower() in seen:
                continue
            seen.add(address.lower())
            found.append(
                Recipient(
                    body_id=b.id,
                    body_name=b.name,
                    category=b.category,
                    address=address,
                    name=name,
                    user_id=user_id,
                    problem=address_problem(address),
                )
            )
        if found:
            out.recipients.extend(found)
        else:
            out.without_address.append(b)
    return out


def wants_email(*, mandatory: bool, opted_out: bool) -> bool:
    """Mandatory mail (password reset, invitations) ignores the opt-out of optional reminders."""
    return mandatory or not opted_out


def invitation_reminder_due(
    *, invited_at: datetime, now: datetime, after_days: int, max_age_days: int
) -> bool:
    """An invitation still not accepted `after_days` after it was sent (and not ancient)."""
    age = now - invited_at
    return timedelta(days=after_days) <= age < timedelta(days=max_age_days)


def deadline_reminder_due(
    *, now: datetime, opens_at: datetime, closes_at: datetime, days_before: int
) -> str | None:
    """Which deadline reminder is due now: "1d" in the last day, f"{N}d" from N days before
    the close until the last day, None outside the open window (before it opens, after it closes).
    """
    if now < opens_at or now >= closes_at:
        return None
    if now >= closes_at - timedelta(days=1):
        return "1d"
    if days_before > 1 and now >= closes_at - timedelta(days=days_before):
        return f"{days_before}d"
    return None
