"""Pure rules of e-mail delivery: addresses, retry schedule, what a failure means."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


STATUS_LABELS: dict[str, str] = {
    Status.PENDING: "menunggu",
    Status.SENDING: "sedang dikirim",
    Status.SENT: "terkirim",
    Status.FAILED: "gagal",
}

MAX_BACKOFF = timedelta(hours=6)
# A message left "sending" this long belongs to a worker that stopped mid-send.
STALE_SENDING = timedelta(minutes=15)

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def address_problem(address: str) -> str | None:
    """Why an e-mail address cannot be used (in Indonesian), or None when it can."""
    if not address:
        return "Alamat email kosong."
    if len(address) > 254:
        return "Alamat email terlalu panjang."
    if any(c.isspace() or ord(c) < 32 for c in address):
        return f"Alamat email memuat spasi atau karakter kendali: {address!r}."
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not _LOCAL_RE.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_LABEL_RE.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return f"Alamat email tidak valid: {address!r}."
    return None


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: base, 2×base, 4×base … (≤ 6 h)."""
    exponent = min(max(attempts, 1) - 1, 30)
    return min(timedelta(seconds=base_seconds * 2**exponent), MAX_BACKOFF)


class MailNotConfigured(Exception):
    """Production without an SMTP server: mail waits in the outbox instead of being dropped."""


@dataclass(frozen=True)
class Failure:
    """A failed attempt: the message shown to the sekretariat and whether retrying may help."""

    message: str
    permanent: bool


def classify(exc: BaseException) -> Failure:
    """Turn what sending raised into a clear Indonesian message; 5xx answers are permanent."""
    if isinstance(exc, MailNotConfigured):
        return Failure(str(exc), permanent=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        return _reply_failure("Alamat penerima ditolak server", code, reply)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Failure(
            f"Login ke server SMTP gagal ({exc.smtp_code}); periksa SMTP_USER/SMTP_PASSWORD.",
            permanent=False,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _reply_failure("Alamat pengirim ditolak server", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_failure("Server SMTP menolak pesan", exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Failure(f"Server SMTP tidak mendukung: {exc}; periksa SMTP_TLS.", permanent=False)
    if isinstance(exc, ssl.SSLError):
        return Failure(f"Koneksi TLS ke server SMTP gagal: {exc}.", permanent=False)
    if isinstance(exc, ConnectionRefusedError):
        return Failure("Server SMTP tidak dapat dihubungi (koneksi ditolak).", permanent=False)
    if isinstance(exc, TimeoutError):
        return Failure("Server SMTP tidak menjawab (waktu habis).", permanent=False)
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Failure(f"Server SMTP tidak dapat dihubungi: {exc}.", permanent=False)
    return Failure(f"Kesalahan tak terduga saat mengirim: {type(exc).__name__}.", permanent=False)


def _reply_failure(what: str, code: int, reply: bytes | str) -> Failure:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return Failure(f"{what}: {code} {text}".strip(), permanent=500 <= code < 600)


@dataclass(frozen=True)
class Next:
    """Where a message goes after a failed attempt."""

    status: Status
    next_attempt_at: datetime | None


def after_failure(
    failure: Failure, *, attempts: int, max_attempts: int, now: datetime, base_seconds: int
) -> Next:
    """Retry later with exponential backoff, or stop (failed) when hopeless or out of attempts."""
    if failure.permanent or attempts >= max_attempts:
        return Next(Status.FAILED, None)
    return Next(Status.PENDING, now + backoff(attempts, base_seconds))


def single_line(text: str, limit: int = 300) -> str:
    """A header value on one line (no header injection), at most `limit` characters."""
    return " ".join(text.split())[:limit]
