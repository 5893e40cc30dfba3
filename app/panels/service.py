"""Presentation panels: settings, rubric, panels and jurors, scoring, aggregation and the lock.

Other domains call `unlocked_panels(db, cycle)` (the results' publication check) and read the
locked presentation scores from `component_scores` (source "panel").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.conflicts.service import conflicts_of, has_conflict
from app.cycles.access import actor_id, can_manage, is_staff_of, require_manager
from app.cycles.models import Cycle
from app.cycles.schedule import require_stage_open
from app.cycles.scoring import get_scoring_config
from app.db import memo, utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.panels.models import (
    Panel,
    PanelMember,
    PanelResult,
    PanelScore,
    PanelSettings,
    PanelSlot,
    PanelStatus,
    RubricCriterion,
    ScoreCorrection,
    ScoreStatus,
)
from app.panels.rules import (
    AGGREGATION_LABELS,
    Aggregation,
    Criterion,
    JurorScore,
    PanelAggregate,
    PanelPolicy,
    juror_body_score,
    panel_policy_errors,
    rating_errors,
)
from app.results.models import ComponentScore, ShortlistEntry
from app.results.publication import register_publication_blocker

STAGE = "presentation"
STORED = Decimal("0.000001")  # component_scores keeps 6 decimals (truncated like every score)


def _audit(
    db: Session, actor: Actor, org_id: int, action: str, kind: str, oid: Any, **kw: Any
) -> None:
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=org_id,
        action=action,
        object_type=kind,
        object_id=oid,
        before=kw.get("before"),
        after=kw.get("after"),
    )


# --- settings and rubric -------------------------------------------------------------------------


DEFAULT_SETTINGS: dict[str, Any] = {
    "method": "mean",
    "trimmed_min_jurors": 5,
    "normalise": False,
    "normalise_min_bodies": 3,
    "disagreement_threshold": Decimal(20),
    "hide_co_scores": True,
    "bodies_per_session": 4,
    "talk_minutes": 10,
    "questions_minutes": 15,
    "answers_minutes": 10,
    "break_minutes": 15,
    "pact_text": "",
    "visitasi_mode": "none",
    "visitasi_checklist": [],
    "visitasi_pass_min": 0,
}


def get_settings(db: Session, cycle: Cycle) -> PanelSettings:
    """The cycle's presentation settings (defaults until the sekretariat saves them)."""
    found = db.scalar(select(PanelSettings).where(PanelSettings.cycle_id == cycle.id))
    if found is None:
        found = PanelSettings(cycle_id=cycle.id, **DEFAULT_SETTINGS)
    return found


def policy_of(settings: PanelSettings) -> PanelPolicy:
    return PanelPolicy(
        method=Aggregation(settings.method),
        trimmed_min_jurors=settings.trimmed_min_jurors,
        normalise=settings.normalise,
        normalise_min_bodies=settings.normalise_min_bodies,
        disagreement_threshold=settings.disagreement_threshold,
    )


def _int(value: Any, field: str, label: str, errors: dict[str, str], lo: int, hi: int) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        errors[field] = f"{label} harus bilangan bulat."
        return lo
    if not lo <= n <= hi:
        errors[field] = f"{label} harus antara {lo} dan {hi}."
    return n


def _any_scores(db: Session, cycle: Cycle) -> bool:
    return (
        db.scalar(
            select(PanelScore.id)
            .join(Panel, Panel.id == PanelScore.panel_id)
            .where(Panel.cycle_id == cycle.id, PanelScore.status != ScoreStatus.DRAFT)
            .limit(1)
        )
        is not None
    )


def save_settings(db: Session, actor: Actor, cycle: Cycle, data: dict[str, Any]) -> PanelSettings:
    """Save the cycle's aggregation, visibility and timing rules (sekretariat)."""
    require_manager(actor, cycle)
    s = get_settings(db, cycle)
    if any(p.is_locked for p in panels_of(db, cycle)):
        raise Conflict("Aturan tidak dapat diubah: sudah ada panel yang dikunci.")
    errors: dict[str, str] = {}
    method = str(data.get("method", s.method))
    if method not in AGGREGATION_LABELS:
        errors["method"] = "Pilih cara menggabungkan nilai juri."
    try:
        threshold = Decimal(str(data.get("disagreement_threshold", "20")).replace(",", "."))
        if threshold != threshold.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["disagreement_threshold"] = "Ambang perbedaan berupa angka dengan ≤ 2 desimal."
        threshold = Decimal(20)
    values = {
        "trimmed_min_jurors": _int(
            data.get("trimmed_min_jurors", 5), "trimmed_min_jurors", "Minimal juri", errors, 3, 50
        ),
        "normalise_min_bodies": _int(
            data.get("normalise_min_bodies", 3),
            "normalise_min_bodies",
            "Minimal badan",
            errors,
            2,
            500,
        ),
        "bodies_per_session": _int(
            data.get("bodies_per_session", 4),
            "bodies_per_session",
            "Badan per sesi",
            errors,
            1,
            50,
        ),
        "talk_minutes": _int(
            data.get("talk_minutes", 10), "talk_minutes", "Presentasi", errors, 1, 240
        ),
        "questions_minutes": _int(
            data.get("questions_minutes", 15), "questions_minutes", "Tanya", errors, 0, 240
        ),
        "answers_minutes": _int(
            data.get("answers_minutes", 10), "answers_minutes", "Jawab", errors, 0, 240
        ),
        "break_minutes": _int(
            data.get("break_minutes", 15), "break_minutes", "Jeda", errors, 0, 240
        ),
    }
    policy = PanelPolicy(
        Aggregation(method) if method in AGGREGATION_LABELS else Aggregation.MEAN,
        values["trimmed_min_jurors"],
        bool(data.get("normalise")),
        values["normalise_min_bodies"],
        threshold,
    )
    for msg in panel_policy_errors(policy):
        errors.setdefault("policy", msg)
    visitasi_mode = str(data.get("visitasi_mode", s.visitasi_mode or "none"))
    if visitasi_mode not in ("none", "score", "gate"):
        errors["visitasi_mode"] = "Pilih cara visitasi dipakai."
    pass_min = _int(
        data.get("visitasi_pass_min", 0) or 0, "visitasi_pass_min", "Minimal butir", errors, 0, 50
    )
    if errors:
        raise ValidationFailed("Periksa kembali aturan presentasi.", field_errors=errors)
    before = settings_dict(s)
    s.method = method
    s.normalise = policy.normalise
    s.disagreement_threshold = threshold
    s.hide_co_scores = bool(data.get("hide_co_scores"))
    s.pact_text = str(data.get("pact_text", "") or "").strip()[:5000]
    s.visitasi_mode = visitasi_mode
    checklist = str(data.get("visitasi_checklist", "") or "")
    s.visitasi_checklist = [line.strip() for line in checklist.splitlines() if line.strip()][:50]
    s.visitasi_pass_min = pass_min
    for k, v in values.items():
        setattr(s, k, v)
    db.add(s)
    db.flush()
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.settings",
        "cycle",
        cycle.id,
        before=before,
        after=settings_dict(s),
    )
    return s


def settings_dict(s: PanelSettings) -> dict[str, Any]:
    return {
        k: getattr(s, k)
        for k in (
            "method",
            "trimmed_min_jurors",
            "normalise",
            "normalise_min_bodies",
            "disagreement_threshold",
            "hide_co_scores",
            "bodies_per_session",
            "talk_minutes",
            "questions_minutes",
            "answers_minutes",
            "break_minutes",
            "visitasi_mode",
        )
    }


def rubric_of(db: Session, cycle: Cycle) -> list[RubricCriterion]:
    """The cycle's rubric criteria in order."""
    return list(
        db.scalars(
            select(RubricCriterion)
            .where(RubricCriterion.cycle_id == cycle.id)
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
    )


def criteria_of(rows: list[RubricCriterion]) -> list[Criterion]:
    return [
        Criterion(r.code, Decimal(r.weight), Decimal(r.scale_min), Decimal(r.scale_max))
        for r in rows
    ]


DEFAULT_RUBRIC: tuple[tuple[str, str, int, dict[str, str]], ...] = (
    (
        "komitmen",
        "Komitmen pimpinan",
        30,
        {
            "1": "Tidak tampak",
            "3": "Ada, belum konsisten",
            "5": "Kuat dan dibuktikan dengan kebijakan",
        },
    ),
    (
        "inovasi",
        "Inovasi layanan informasi",
        25,
        {"1": "Tidak ada", "3": "Ada, terbatas", "5": "Berdampak dan dapat ditiru"},
    ),
    (
        "strategi",
        "Strategi keterbukaan",
        20,
        {"1": "Tidak ada", "3": "Ada, belum terukur", "5": "Terukur dan dievaluasi"},
    ),
    (
        "jawaban",
        "Kualitas jawaban",
        15,
        {"1": "Tidak menjawab", "3": "Sebagian", "5": "Lengkap dan berbukti"},
    ),
    ("pimpinan_hadir", "Pimpinan hadir langsung", 10, {"1": "Diwakilkan", "5": "Hadir langsung"}),
)


def save_criterion(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    code: str,
    name: str,
    weight: Any,
    scale_min: Any,
    scale_max: Any,
    descriptors: str = "",
    comment_required: bool = False,
    position: Any = 0,
) -> RubricCriterion:
    """Add or change a rubric criterion (refused once any juror has submitted a score)."""
    require_manager(actor, cycle)
    if _any_scores(db, cycle):
        raise Conflict("Rubrik tidak dapat diubah: juri sudah mengirim nilai.")
    errors: dict[str, str] = {}
    code = (code or "").strip().lower()
    if not code or not code.replace("_", "").isalnum() or len(code) > 40:
        errors["code"] = "Kode: huruf kecil, angka atau garis bawah (≤ 40)."
    name = (name or "").strip()
    if not name:
        errors["name"] = "Tulis nama kriteria."
    w = _int(weight, "weight", "Bobot", errors, 1, 1000)
    lo = _int(scale_min, "scale_min", "Skala terendah", errors, 0, 100)
    hi = _int(scale_max, "scale_max", "Skala tertinggi", errors, 1, 100)
    if "scale_min" not in errors and "scale_max" not in errors and hi <= lo:
        errors["scale_max"] = "Skala tertinggi harus lebih besar dari terendah."
    if "scale_max" not in errors and hi - lo > 10:
        errors["scale_max"] = "Paling banyak 11 tingkat (agar tiap tingkat dapat dijelaskan)."
    desc: dict[str, str] = {}
    for line in (descriptors or "").splitlines():
        if not line.strip():
            continue
        level, sep, text = line.partition(":")
        try:
            n = int(level.strip())
        except ValueError:
            n = -1
        if not sep or not lo <= n <= hi:
            errors["descriptors"] = f"Tulis per baris 'tingkat: uraian' dengan tingkat {lo}–{hi}."
            break
        desc[str(n)] = text.strip()
    pos = _int(position or 0, "position", "Urutan", errors, 0, 1000)
    if errors:
        raise ValidationFailed("Periksa kembali kriteria rubrik.", field_errors=errors)
    row = db.scalar(
        select(RubricCriterion).where(
            RubricCriterion.cycle_id == cycle.id, RubricCriterion.code == code
        )
    )
    before = None if row is None else {"name": row.name, "weight": row.weight}
    if row is None:
        row = RubricCriterion(cycle_id=cycle.id, code=code)
        db.add(row)
    row.name, row.weight, row.scale_min, row.scale_max = name, w, lo, hi
    row.descriptors, row.comment_required, row.position = desc, comment_required, pos
    db.flush()
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.rubric_save",
        "rubric_criterion",
        row.id,
        before=before,
        after={"code": code, "name": name, "weight": w, "scale": [lo, hi]},
    )
    return row


def delete_criterion(db: Session, actor: Actor, cycle: Cycle, criterion_id: int) -> None:
    """Remove a rubric criterion (refused once any juror has submitted a score)."""
    require_manager(actor, cycle)
    row = db.get(RubricCriterion, criterion_id)
    if row is None or row.cycle_id != cycle.id:
        raise NotFound("Kriteria tidak ditemukan.")
    if _any_scores(db, cycle):
        raise Conflict("Rubrik tidak dapat diubah: juri sudah mengirim nilai.")
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.rubric_delete",
        "rubric_criterion",
        row.id,
        before={"code": row.code, "weight": row.weight},
    )
    db.delete(row)
    db.flush()


def use_default_rubric(db: Session, actor: Actor, cycle: Cycle) -> None:
    """Fill an empty rubric with the usual five criteria on a 1–5 scale."""
    require_manager(actor, cycle)
    if rubric_of(db, cycle):
        raise Conflict("Rubrik sudah berisi kriteria.")
    for i, (code, name, weight, desc) in enumerate(DEFAULT_RUBRIC):
        save_criterion(
            db,
            actor,
            cycle,
            code=code,
            name=name,
            weight=weight,
            scale_min=1,
            scale_max=5,
            descriptors="\n".join(f"{k}: {v}" for k, v in desc.items()),
            comment_required=code == "jawaban",
            position=i,
        )


# --- panels and jurors ---------------------------------------------------------------------------


def panels_of(db: Session, cycle: Cycle) -> list[Panel]:
    return list(db.scalars(select(Panel).where(Panel.cycle_id == cycle.id).order_by(Panel.id)))


def unlocked_panels(db: Session, cycle: Cycle) -> list[Panel]:
    """Panels of the cycle not yet locked by their chair (results wait for none to be left)."""
    return [p for p in panels_of(db, cycle) if not p.is_locked]


def members_of(db: Session, panel: Panel) -> list[tuple[PanelMember, User]]:
    return list(
        db.execute(
            select(PanelMember, User)
            .join(User, User.id == PanelMember.user_id)
            .where(PanelMember.panel_id == panel.id)
            .order_by(PanelMember.is_chair.desc(), User.full_name)
        )
    )


# Reads of every juror's request, built once per process (~0.1 ms each time otherwise).
_MEMBER = select(PanelMember).where(
    PanelMember.panel_id == bindparam("panel_id"), PanelMember.user_id == bindparam("user_id")
)
_SLOT = select(PanelSlot).where(
    PanelSlot.panel_id == bindparam("panel_id"), PanelSlot.body_id == bindparam("body_id")
)
_SCORE = select(PanelScore).where(
    PanelScore.panel_id == bindparam("panel_id"),
    PanelScore.body_id == bindparam("body_id"),
    PanelScore.juror_id == bindparam("juror_id"),
)
# The panel's row locked and read afresh in one statement (see `_hold`).
_HOLD = (
    select(Panel)
    .where(Panel.id == bindparam("panel_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def membership(db: Session, panel: Panel, user_id: int) -> PanelMember | None:
    """The user's seat on the panel (read once per request: see `memo`; the panel's page and
    every score write check it twice, for access and for readiness)."""
    return memo(
        db,
        ("panel_member", panel.id, user_id),
        lambda: db.scalar(_MEMBER, {"panel_id": panel.id, "user_id": user_id}),
    )


def get_panel_for_actor(db: Session, actor: Actor, panel_id: int) -> tuple[Panel, Cycle]:
    """A panel the actor may open: the commission's sekretariat or komisioner, or its jurors."""
    panel = db.get(Panel, panel_id)
    if panel is None or not is_staff_of(actor, panel.organisation_id):
        raise NotFound("Panel tidak ditemukan.")
    cycle = db.get(Cycle, panel.cycle_id)
    assert cycle is not None
    if can_manage(actor, cycle) or actor.has(Role.KOMISIONER):
        return panel, cycle
    if membership(db, panel, actor.user_id) is None:
        raise Forbidden("Anda bukan juri panel ini.")
    return panel, cycle


def create_panel(
    db: Session, actor: Actor, cycle: Cycle, *, name: str, location: str = "", meeting_url: str = ""
) -> Panel:
    """Add a panel (one room, physical or online) to the cycle's presentations."""
    require_manager(actor, cycle)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Tulis nama panel/ruang (≤ 120 karakter)."
    elif db.scalar(select(Panel.id).where(Panel.cycle_id == cycle.id, Panel.name == name)):
        errors["name"] = "Nama panel sudah dipakai di siklus ini."
    meeting_url = (meeting_url or "").strip()
    if meeting_url and not meeting_url.startswith(("https://", "http://")):
        errors["meeting_url"] = "Tautan rapat daring harus diawali https://."
    if errors:
        raise ValidationFailed("Periksa kembali isian panel.", field_errors=errors)
    panel = Panel(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        name=name,
        location=(location or "").strip()[:250],
        meeting_url=meeting_url[:500],
    )
    db.add(panel)
    db.flush()
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.create",
        "panel",
        panel.id,
        after={"name": name, "location": panel.location, "meeting_url": meeting_url},
    )
    return panel


def add_juror(
    db: Session, actor: Actor, panel: Panel, cycle: Cycle, *, user_id: Any, is_chair: bool = False
) -> PanelMember:
    """Put a juror (a user with the juri role in the commission) on a panel."""
    require_manager(actor, cycle)
    if panel.is_locked:
        raise Conflict("Panel sudah dikunci.")
    from app.accounts.models import RoleGrant

    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        raise ValidationFailed("Pilih juri.", field_errors={"user_id": "Pilih juri."}) from None
    grant = db.scalar(
        select(RoleGrant.id).where(
            RoleGrant.user_id == uid,
            RoleGrant.organisation_id == panel.organisation_id,
            RoleGrant.role == Role.JURI,
            RoleGrant.revoked_at.is_(None),
        )
    )
    if grant is None:
        raise ValidationFailed(
            "Hanya pengguna berperan juri di komisi ini yang dapat menjadi anggota panel.",
            field_errors={"user_id": "Bukan juri komisi ini."},
        )
    if membership(db, panel, uid) is not None:
        raise Conflict("Juri ini sudah menjadi anggota panel.")
    other = db.scalar(
        select(Panel.name)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(Panel.cycle_id == cycle.id, PanelMember.user_id == uid)
    )
    if other is not None:
        raise Conflict(f"Juri ini sudah duduk di panel {other}.")
    member = PanelMember(panel_id=panel.id, user_id=uid)
    db.add(member)
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.add_juror",
        "panel",
        panel.id,
        after={"user_id": uid},
    )
    if is_chair:
        set_chair(db, actor, panel, cycle, user_id=uid)
    return member


def remove_juror(db: Session, actor: Actor, panel: Panel, cycle: Cycle, *, user_id: int) -> None:
    """Take a juror off a panel (refused once the juror has submitted or abstained)."""
    require_manager(actor, cycle)
    member = membership(db, panel, user_id)
    if member is None:
        raise NotFound("Juri tidak ada di panel ini.")
    if panel.is_locked or db.scalar(
        select(PanelScore.id)
        .where(
            PanelScore.panel_id == panel.id,
            PanelScore.juror_id == user_id,
            PanelScore.status != ScoreStatus.DRAFT,
        )
        .limit(1)
    ):
        raise Conflict("Juri ini sudah mengirim nilai; ia tidak dapat dikeluarkan dari panel.")
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.remove_juror",
        "panel",
        panel.id,
        before={"user_id": user_id, "is_chair": member.is_chair},
    )
    db.delete(member)
    db.flush()


def set_chair(db: Session, actor: Actor, panel: Panel, cycle: Cycle, *, user_id: int) -> None:
    """Make one juror the panel's chair (the only one)."""
    require_manager(actor, cycle)
    member = membership(db, panel, user_id)
    if member is None:
        raise ValidationFailed(
            "Ketua panel harus juri panel ini.", field_errors={"user_id": "Pilih juri panel."}
        )
    before = [m.user_id for m, _ in members_of(db, panel) if m.is_chair]
    for m, _ in members_of(db, panel):
        m.is_chair = m.user_id == user_id
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.set_chair",
        "panel",
        panel.id,
        before={"chair": before},
        after={"chair": [user_id]},
    )


def chair_of(db: Session, panel: Panel) -> PanelMember | None:
    return db.scalar(
        select(PanelMember).where(PanelMember.panel_id == panel.id, PanelMember.is_chair)
    )


def my_panels(db: Session, actor: Actor) -> list[tuple[Panel, PanelMember, Cycle]]:
    """The panels the acting juror sits on in the current commission."""
    rows = db.execute(
        select(Panel, PanelMember, Cycle)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .join(Cycle, Cycle.id == Panel.cycle_id)
        .where(PanelMember.user_id == actor.user_id, Panel.organisation_id == actor.organisation_id)
        .order_by(Cycle.year.desc(), Panel.name)
    )
    return list(rows)


def _member_or_refuse(db: Session, actor: Actor, panel: Panel) -> PanelMember:
    member = membership(db, panel, actor.user_id)
    if member is None:
        raise Forbidden("Anda bukan juri panel ini.")
    return member


def accept_pact(db: Session, actor: Actor, panel: Panel, *, agree: bool) -> PanelMember:
    """The juror accepts the integrity pact of the panel."""
    member = _member_or_refuse(db, actor, panel)
    if not agree:
        raise ValidationFailed(
            "Centang pernyataan pakta integritas untuk melanjutkan.",
            field_errors={"agree": "Wajib dicentang."},
        )
    if member.pact_accepted_at is None:
        member.pact_accepted_at = utcnow()
        _audit(
            db,
            actor,
            panel.organisation_id,
            "panels.accept_pact",
            "panel_member",
            member.id,
            after={"panel_id": panel.id},
        )
    return member


def confirm_declaration(db: Session, actor: Actor, panel: Panel) -> PanelMember:
    """The juror confirms the declared affiliations are complete (after accepting the pact)."""
    member = _member_or_refuse(db, actor, panel)
    if member.pact_accepted_at is None:
        raise InvalidTransition("Setujui pakta integritas terlebih dahulu.")
    if member.conflicts_declared_at is None:
        member.conflicts_declared_at = utcnow()
        _audit(
            db,
            actor,
            panel.organisation_id,
            "panels.confirm_conflicts",
            "panel_member",
            member.id,
            after={"panel_id": panel.id},
        )
    return member


def require_ready(db: Session, actor: Actor, panel: Panel) -> PanelMember:
    """The acting juror, once the pact is accepted and conflicts are declared."""
    member = _member_or_refuse(db, actor, panel)
    if not member.is_ready:
        raise Forbidden("Setujui pakta integritas dan deklarasikan konflik kepentingan dahulu.")
    return member


# --- bodies of a panel -----------------------------------------------------------------------


def shortlisted(db: Session, cycle: Cycle) -> list[tuple[ShortlistEntry, Body]]:
    """The cycle's published shortlist, by name."""
    return list(
        db.execute(
            select(ShortlistEntry, Body)
            .join(Body, Body.id == ShortlistEntry.body_id)
            .where(ShortlistEntry.cycle_id == cycle.id)
            .order_by(Body.name)
        )
    )


def slots_of(db: Session, panel: Panel) -> list[tuple[PanelSlot, Body]]:
    return list(
        db.execute(
            select(PanelSlot, Body)
            .join(Body, Body.id == PanelSlot.body_id)
            .where(PanelSlot.panel_id == panel.id)
            .order_by(PanelSlot.starts_at, PanelSlot.position)
        )
    )


# --- scoring -------------------------------------------------------------------------------------


@dataclass
class ScoreInput:
    """What a juror typed for one body: ratings and comments per criterion, a general comment."""

    ratings: dict[str, str]
    comments: dict[str, str]
    comment: str = ""


def _hold(db: Session, panel: Panel) -> None:
    """Serialise writes on one panel (scores against the lock) on PostgreSQL; SQLite already
    takes its write lock when a state-changing request begins."""
    db.scalar(_HOLD, {"panel_id": panel.id})


def _scoring_gate(db: Session, actor: Actor, panel: Panel, body_id: int) -> tuple[Cycle, PanelSlot]:
    """Every server-side check before a juror's write on a body's score."""
    _hold(db, panel)
    cycle = db.get(Cycle, panel.cycle_id)
    assert cycle is not None
    require_ready(db, actor, panel)
    if panel.is_locked:
        raise Conflict("Panel sudah dikunci: nilai tidak dapat diubah lagi.")
    slot = db.scalar(_SLOT, {"panel_id": panel.id, "body_id": body_id})
    if slot is None:
        raise NotFound("Badan publik ini tidak dinilai oleh panel ini.")
    require_stage_open(db, cycle, STAGE)
    return cycle, slot


def get_score(db: Session, panel: Panel, body_id: int, juror_id: int) -> PanelScore | None:
    return db.scalar(_SCORE, {"panel_id": panel.id, "body_id": body_id, "juror_id": juror_id})


def _parse_ratings(
    rubric: list[RubricCriterion], typed: dict[str, str], *, complete: bool
) -> tuple[dict[str, int], dict[str, str]]:
    ratings: dict[str, int] = {}
    errors: dict[str, str] = {}
    by_code = {r.code: r for r in rubric}
    for code in typed:
        if code not in by_code:
            errors[f"rating_{code}"] = f"Kriteria {code} tidak ada dalam rubrik."
    for r in rubric:
        raw = (typed.get(r.code) or "").strip()
        if not raw:
            if complete:
                errors[f"rating_{r.code}"] = f"{r.name}: pilih salah satu tingkat."
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[f"rating_{r.code}"] = f"{r.name}: nilai harus bilangan bulat."
            continue
        if not r.scale_min <= value <= r.scale_max:
            errors[f"rating_{r.code}"] = (
                f"{r.name}: nilai harus antara {r.scale_min} dan {r.scale_max}."
            )
            continue
        ratings[r.code] = value
    return ratings, errors


def save_score(
    db: Session,
    actor: Actor,
    panel: Panel,
    body_id: int,
    data: ScoreInput,
    *,
    submit: bool,
) -> PanelScore:
    """Save a juror's draft for a body, or submit it (final until the chair's lock)."""
    cycle, _ = _scoring_gate(db, actor, panel, body_id)
    if has_conflict(db, actor.user_id, body_id):
        raise Conflict(
            "Anda mendeklarasikan afiliasi dengan badan publik ini: Anda tidak menilainya. "
            "Pilih abstain dengan alasan konflik kepentingan."
        )
    existing = get_score(db, panel, body_id, actor.user_id)
    if existing is not None and existing.status != ScoreStatus.DRAFT:
        raise Conflict("Nilai untuk badan publik ini sudah dikirim; tidak dapat dikirim lagi.")
    rubric = rubric_of(db, cycle)
    if not rubric:
        raise InvalidTransition("Rubrik siklus ini belum disusun oleh sekretariat.")
    ratings, errors = _parse_ratings(rubric, data.ratings, complete=submit)
    comments = {r.code: (data.comments.get(r.code) or "").strip()[:4000] for r in rubric}
    if submit:
        for r in rubric:
            if r.comment_required and not comments[r.code]:
                errors[f"comment_{r.code}"] = f"{r.name}: komentar wajib diisi."
    if errors:
        raise ValidationFailed(
            "Nilai belum dapat disimpan; periksa isian yang ditandai.", field_errors=errors
        )
    score = existing or PanelScore(panel_id=panel.id, body_id=body_id, juror_id=actor.user_id)
    before = None if existing is None else {"ratings": dict(existing.ratings)}
    score.ratings = ratings
    score.comments = {k: v for k, v in comments.items() if v}
    score.comment = (data.comment or "").strip()[:4000]
    score.updated_at = utcnow()
    if submit:
        criteria = criteria_of(rubric)
        assert not rating_errors(criteria, {k: Decimal(v) for k, v in ratings.items()})
        score.score = juror_body_score(criteria, {k: Decimal(v) for k, v in ratings.items()})
        score.status = ScoreStatus.SUBMITTED
        score.submitted_at = utcnow()
    db.add(score)
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.submit_score" if submit else "panels.save_draft",
        "panel_score",
        score.id,
        before=before,
        after={"body_id": body_id, "ratings": ratings, "score": score.score},
    )
    return score


def abstain(db: Session, actor: Actor, panel: Panel, body_id: int, *, reason: str) -> PanelScore:
    """The juror abstains from scoring a body, with a reason (e.g. a conflict of interest)."""
    _scoring_gate(db, actor, panel, body_id)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(
            "Tulis alasan abstain (minimal 5 karakter).",
            field_errors={"reason": "Alasan wajib diisi."},
        )
    existing = get_score(db, panel, body_id, actor.user_id)
    if existing is not None and existing.status != ScoreStatus.DRAFT:
        raise Conflict("Anda sudah mengirim nilai atau abstain untuk badan publik ini.")
    score = existing or PanelScore(panel_id=panel.id, body_id=body_id, juror_id=actor.user_id)
    score.status = ScoreStatus.ABSTAINED
    score.abstain_reason = reason[:2000]
    score.score = None
    score.submitted_at = score.updated_at = utcnow()
    db.add(score)
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.abstain",
        "panel_score",
        score.id,
        after={"body_id": body_id, "reason": score.abstain_reason},
    )
    return score


def panel_scores(db: Session, panel: Panel) -> list[PanelScore]:
    return list(db.scalars(select(PanelScore).where(PanelScore.panel_id == panel.id)))


def aggregate(db: Session, panel: Panel, cycle: Cycle) -> PanelAggregate:
    """The panel's aggregate from submitted scores and abstentions (drafts do not count).

    A juror's score is recomputed from the stored ratings with the rules, so what is locked is
    exactly what the rubric gives.
    """
    criteria = criteria_of(rubric_of(db, cycle))
    rows: list[JurorScore] = []
    for s in panel_scores(db, panel):
        if s.status == ScoreStatus.SUBMITTED:
            value = juror_body_score(criteria, {k: Decimal(v) for k, v in s.ratings.items()})
            rows.append(JurorScore(s.juror_id, s.body_id, value))
        elif s.status == ScoreStatus.ABSTAINED:
            rows.append(JurorScore(s.juror_id, s.body_id, None))
    return aggregate_with_policy(rows, policy_of(get_settings(db, cycle)))


def aggregate_with_policy(rows: list[JurorScore], policy: PanelPolicy) -> PanelAggregate:
    from app.panels.rules import aggregate_panel

    return aggregate_panel(rows, policy)


@dataclass(frozen=True)
class Progress:
    """Who still owes a score: (juror, body) pairs neither submitted, abstained nor conflicted."""

    missing: list[tuple[User, Body]]
    conflicted: set[tuple[int, int]]
    unready: list[User]


def _progress(
    members: list[tuple[PanelMember, User]],
    slots: list[tuple[PanelSlot, Body]],
    conflicts: dict[int, set[int]],
    done: set[tuple[int, int]],
) -> Progress:
    missing: list[tuple[User, Body]] = []
    conflicted: set[tuple[int, int]] = set()
    unready: list[User] = []
    for m, user in members:
        if not m.is_ready:
            unready.append(user)
        for _, body in slots:
            if body.id in conflicts.get(m.user_id, ()):
                conflicted.add((m.user_id, body.id))
            elif (m.user_id, body.id) not in done:
                missing.append((user, body))
    return Progress(missing, conflicted, unready)


def progress(db: Session, panel: Panel) -> Progress:
    slots = slots_of(db, panel)
    members = members_of(db, panel)
    conflicts = conflicts_of(db, (m.user_id for m, _ in members), {b.id for _, b in slots})
    done = {
        (s.juror_id, s.body_id) for s in panel_scores(db, panel) if s.status != ScoreStatus.DRAFT
    }
    return _progress(members, slots, conflicts, done)


@dataclass(frozen=True)
class PanelState:
    """A panel with its members (chair first), its slots in order and who still owes a score."""

    panel: Panel
    members: list[tuple[PanelMember, User]]
    slots: list[tuple[PanelSlot, Body]]
    progress: Progress


def panel_states(db: Session, cycle: Cycle) -> list[PanelState]:
    """Every panel of the cycle with its members, slots and progress, in the same handful of
    queries whatever the number of panels, jurors and bodies (dashboard, reminders)."""
    all_panels = panels_of(db, cycle)
    if not all_panels:
        return []
    ids = [p.id for p in all_panels]
    members: dict[int, list[tuple[PanelMember, User]]] = {i: [] for i in ids}
    for m, user in db.execute(
        select(PanelMember, User)
        .join(User, User.id == PanelMember.user_id)
        .where(PanelMember.panel_id.in_(ids))
        .order_by(PanelMember.is_chair.desc(), User.full_name)
    ):
        members[m.panel_id].append((m, user))
    slots: dict[int, list[tuple[PanelSlot, Body]]] = {i: [] for i in ids}
    for slot, body in db.execute(
        select(PanelSlot, Body)
        .join(Body, Body.id == PanelSlot.body_id)
        .where(PanelSlot.panel_id.in_(ids))
        .order_by(PanelSlot.starts_at, PanelSlot.position)
    ):
        slots[slot.panel_id].append((slot, body))
    done: dict[int, set[tuple[int, int]]] = {i: set() for i in ids}
    for panel_id, juror_id, body_id in db.execute(
        select(PanelScore.panel_id, PanelScore.juror_id, PanelScore.body_id).where(
            PanelScore.panel_id.in_(ids), PanelScore.status != ScoreStatus.DRAFT
        )
    ):
        done[panel_id].add((juror_id, body_id))
    conflicts = conflicts_of(
        db,
        {m.user_id for rows in members.values() for m, _ in rows},
        {b.id for rows in slots.values() for _, b in rows},
    )
    return [
        PanelState(
            p,
            members[p.id],
            slots[p.id],
            _progress(members[p.id], slots[p.id], conflicts, done[p.id]),
        )
        for p in all_panels
    ]


def can_lock(db: Session, actor: Actor, panel: Panel) -> bool:
    member = membership(db, panel, actor.user_id)
    return member is not None and member.is_chair


def lock_panel(db: Session, actor: Actor, panel: Panel) -> list[PanelResult]:
    """The chair locks the panel: scores become immutable and each body's aggregated
    presentation score is written to the results (component_scores, source "panel")."""
    cycle = db.get(Cycle, panel.cycle_id)
    assert cycle is not None
    if not can_lock(db, actor, panel):
        raise Forbidden("Hanya ketua panel yang dapat mengunci panel.")
    _hold(db, panel)
    if panel.is_locked:
        raise Conflict("Panel sudah dikunci.")
    slots = slots_of(db, panel)
    if not slots:
        raise InvalidTransition("Panel belum memiliki badan publik untuk dinilai.")
    prog = progress(db, panel)
    if prog.missing:
        names = ", ".join(f"{u.full_name} → {b.name}" for u, b in prog.missing[:5])
        more = f" dan {len(prog.missing) - 5} lainnya" if len(prog.missing) > 5 else ""
        raise InvalidTransition(f"Belum semua nilai dikirim: {names}{more}.")
    result = aggregate(db, panel, cycle)
    config = get_scoring_config(db, cycle)
    component = next((c for c in config.components if c.stage_code == STAGE), None)
    now = utcnow()
    written: list[PanelResult] = []
    for _, body in slots:
        try:
            agg = result.body(body.id)
        except KeyError:
            agg = None
        row = PanelResult(
            panel_id=panel.id,
            cycle_id=cycle.id,
            body_id=body.id,
            score=agg.score if agg else None,
            method_used=str(agg.method_used or "") if agg else "",
            note=(agg.note if agg else "Tidak ada juri yang menilai (semua berkonflik)."),
            juror_count=len(agg.contributions) if agg else 0,
            abstained_count=len(agg.abstained_juror_ids) if agg else 0,
            has_disagreement=bool(agg and agg.disagreement),
            locked_at=now,
        )
        db.add(row)
        written.append(row)
        if component is not None and row.score is not None:
            _write_component(
                db,
                actor,
                cycle,
                body.id,
                component.code,
                row.score,
                f"Panel {panel.name} ({AGGREGATION_LABELS[row.method_used]})",
            )
    panel.status = PanelStatus.LOCKED
    panel.locked_at = now
    panel.locked_by_id = actor_id(actor)
    db.flush()
    _audit(
        db,
        actor,
        panel.organisation_id,
        "panels.lock",
        "panel",
        panel.id,
        after={
            "results": {r.body_id: r.score for r in written},
            "component": component.code if component else None,
        },
    )
    return written


def _write_component(
    db: Session, actor: Actor, cycle: Cycle, body_id: int, code: str, score: Decimal, note: str
) -> ComponentScore:
    value = score.quantize(STORED, rounding=ROUND_FLOOR)
    row = db.scalar(
        select(ComponentScore).where(
            ComponentScore.cycle_id == cycle.id,
            ComponentScore.body_id == body_id,
            ComponentScore.component_code == code,
        )
    )
    if row is None:
        row = ComponentScore(
            organisation_id=cycle.organisation_id,
            cycle_id=cycle.id,
            body_id=body_id,
            component_code=code,
            score=value,
            source="panel",
        )
        db.add(row)
    row.score, row.source, row.note = value, "panel", note[:2000]
    row.updated_at, row.updated_by_id = utcnow(), actor_id(actor)
    db.flush()
    return row


def results_of(db: Session, panel: Panel) -> list[PanelResult]:
    return list(
        db.scalars(
            select(PanelResult)
            .where(PanelResult.panel_id == panel.id)
            .order_by(PanelResult.body_id)
        )
    )


def correct_score(
    db: Session,
    actor: Actor,
    panel: Panel,
    body_id: int,
    *,
    new_score: str,
    reason: str,
    decision_ref: str = "",
) -> ScoreCorrection:
    """A reasoned correction of a locked presentation score (sekretariat); the locked result
    stays, the correction is recorded and the results' component score follows it."""
    cycle = db.get(Cycle, panel.cycle_id)
    assert cycle is not None
    require_manager(actor, cycle)
    if not panel.is_locked:
        raise InvalidTransition("Koreksi hanya untuk panel yang sudah dikunci.")
    result = db.scalar(
        select(PanelResult).where(PanelResult.panel_id == panel.id, PanelResult.body_id == body_id)
    )
    if result is None:
        raise NotFound("Badan publik ini tidak dinilai oleh panel ini.")
    errors: dict[str, str] = {}
    try:
        value = Decimal(str(new_score).strip().replace(",", "."))
        if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(STORED):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["new_score"] = "Nilai baru berupa angka 0–100 (paling banyak 6 desimal)."
        value = Decimal(0)
    reason = (reason or "").strip()
    if len(reason) < 10:
        errors["reason"] = "Tulis alasan koreksi (minimal 10 karakter)."
    if errors:
        raise ValidationFailed("Koreksi belum dapat disimpan.", field_errors=errors)
    last = current_presentation_score(db, cycle, body_id, result)
    corr = ScoreCorrection(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body_id,
        panel_result_id=result.id,
        old_score=last,
        new_score=value,
        reason=reason[:4000],
        decision_ref=(decision_ref or "").strip()[:200],
        created_by_id=actor_id(actor),
    )
    db.add(corr)
    config = get_scoring_config(db, cycle)
    component = next((c for c in config.components if c.stage_code == STAGE), None)
    if component is not None:
        _write_component(
            db, actor, cycle, body_id, component.code, value, f"Koreksi: {reason[:200]}"
        )
    db.flush()
    _audit(
        db,
        actor,
        cycle.organisation_id,
        "panels.correct_score",
        "panel_result",
        result.id,
        before={"score": last},
        after={"score": value, "reason": reason},
    )
    return corr


def corrections_of(db: Session, cycle: Cycle, body_id: int | None = None) -> list[ScoreCorrection]:
    stmt = select(ScoreCorrection).where(ScoreCorrection.cycle_id == cycle.id)
    if body_id is not None:
        stmt = stmt.where(ScoreCorrection.body_id == body_id)
    return list(db.scalars(stmt.order_by(ScoreCorrection.id)))


def current_presentation_score(
    db: Session, cycle: Cycle, body_id: int, result: PanelResult | None = None
) -> Decimal | None:
    """The body's presentation score as the results see it: the last correction, else the lock."""
    corrections = corrections_of(db, cycle, body_id)
    if corrections:
        return corrections[-1].new_score
    if result is None:
        result = db.scalar(
            select(PanelResult).where(
                PanelResult.cycle_id == cycle.id, PanelResult.body_id == body_id
            )
        )
    return result.score if result else None


@register_publication_blocker
def panels_block_publication(db: Session, cycle: Cycle) -> list[str]:
    """Results wait until every presentation panel of the cycle is locked by its chair."""
    return [
        f"Panel {p.name} belum dikunci oleh ketuanya; nilai presentasinya belum final."
        for p in unlocked_panels(db, cycle)
    ]
