"""Masa sanggah: a body appeals a published item (once, inside the window or its extension);
a verifier other than the original one decides with a reason; the SAQ is recomputed and the
before/after change is kept on the appeal and in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.conflicts.service import has_conflict
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle
from app.cycles.schedule import require_stage_open
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.evidence.models import EvidenceFile
from app.notifications.service import notify, notify_body
from app.results.publication import register_publication_blocker
from app.verification import rules
from app.verification.models import Appeal, AppealStatus
from app.verification.service import (
    _answer_for,
    apply_verdict,
    assignment_of,
    audit,
    body_score,
    verifiers_of,
)


def _shortlist_published(db: Session, cycle: Cycle) -> bool:
    from app.results.service import shortlisted_body_ids

    return bool(shortlisted_body_ids(db, cycle))


def _pick_decider(db: Session, cycle: Cycle, body_id: int, exclude: int | None) -> int | None:
    """The least-loaded verifier other than the original one, without a conflict."""
    candidates = [
        u.id
        for u in verifiers_of(db, cycle)
        if u.id != exclude and not has_conflict(db, u.id, body_id)
    ]
    load = {
        d: n
        for d, n in db.execute(
            select(Appeal.decider_id, func.count())
            .where(Appeal.cycle_id == cycle.id, Appeal.status == AppealStatus.FILED)
            .group_by(Appeal.decider_id)
        )
        if d is not None
    }
    return rules.least_loaded(candidates, load)


def file_appeal(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    body_id: int,
    item_id: int,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """A body appeals the verdict on one of its published items."""
    if not actor.acts_for_body(body_id):
        raise Forbidden("Hanya operator atau atasan PPID badan publik ini yang dapat menyanggah.")
    assignment = assignment_of(db, cycle, body_id)
    if assignment is None or assignment.published_at is None:
        raise InvalidTransition("Hasil verifikasi badan publik ini belum diumumkan.")
    require_stage_open(db, cycle, "appeal", body_id=body_id, now=now)
    answer, item = _answer_for(db, cycle, body_id, item_id)
    existing = db.scalar(select(Appeal).where(Appeal.answer_id == answer.id))
    if existing is not None:
        raise Conflict(f"Sanggahan atas butir {item.code} sudah pernah diajukan.")
    if answer.verdict == rules.Verdict.ACCEPTED:
        raise ValidationFailed(f"Butir {item.code} sudah diterima; tidak ada yang disanggah.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Tulis alasan sanggahan.", field_errors={"reason": "Wajib diisi."})
    appeal = Appeal(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body_id,
        answer_id=answer.id,
        item_id=item.id,
        reason=reason[:5000],
        filed_by_id=actor_id(actor),
        original_verifier_id=assignment.verifier_id,
        decider_id=_pick_decider(db, cycle, body_id, assignment.verifier_id),
        verdict_before=answer.verdict,
        credit_before=answer.credit_scaled,
        score_before=str(body_score(db, cycle, body_id)),
    )
    db.add(appeal)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "verification.appeal_filed",
        "appeal",
        appeal.id,
        after={
            "body_id": body_id,
            "item_code": item.code,
            "reason": appeal.reason,
            "decider_id": appeal.decider_id,
        },
    )
    if appeal.decider_id:
        notify(
            db,
            [appeal.decider_id],
            kind="verification.appeal",
            title=f"Sanggahan butir {item.code} menunggu putusan Anda",
            link=f"/sanggah/{appeal.id}",
            organisation_id=cycle.organisation_id,
        )
    return appeal


def get_appeal(db: Session, actor: Actor, appeal_id: int) -> tuple[Appeal, Cycle]:
    """An appeal seen by its body, its decider, or the commission's sekretariat/komisioner."""
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("Sanggahan tidak ditemukan.")
    cycle = db.get(Cycle, appeal.cycle_id)
    assert cycle is not None
    same_org = actor.organisation_id == cycle.organisation_id
    overseer = same_org and (actor.is_admin or actor.has(Role.SEKRETARIAT, Role.KOMISIONER))
    if overseer or actor.acts_for_body(appeal.body_id):
        return appeal, cycle
    if same_org and appeal.decider_id == actor.user_id:
        return appeal, cycle
    raise NotFound("Sanggahan tidak ditemukan.")


def check_evidence_allowed(db: Session, actor: Actor, appeal_id: int) -> Appeal:
    """Before a body's new evidence for its appeal is received."""
    appeal, cycle = get_appeal(db, actor, appeal_id)
    if not actor.acts_for_body(appeal.body_id):
        raise Forbidden("Hanya badan publik yang menyanggah yang dapat menambah data dukung.")
    if appeal.status != AppealStatus.FILED:
        raise InvalidTransition("Sanggahan ini sudah diputus.")
    require_stage_open(db, cycle, "appeal", body_id=appeal.body_id)
    return appeal


def attach_evidence(db: Session, actor: Actor, appeal_id: int, evidence_file_id: int) -> Appeal:
    appeal = check_evidence_allowed(db, actor, appeal_id)
    ef = db.get(EvidenceFile, evidence_file_id)
    if ef is None or ef.body_id != appeal.body_id:
        raise NotFound("Berkas tidak ditemukan.")
    appeal.evidence_file_id = ef.id
    cycle = db.get(Cycle, appeal.cycle_id)
    assert cycle is not None
    audit(
        db,
        actor,
        cycle,
        "verification.appeal_evidence",
        "appeal",
        appeal.id,
        after={"evidence_file_id": ef.id, "name": ef.original_name},
    )
    return appeal


def assign_decider(db: Session, actor: Actor, appeal: Appeal, cycle: Cycle, user_id: int) -> Appeal:
    """The sekretariat hands an appeal to a (different, unconflicted) verifier."""
    require_manager(actor, cycle)
    if appeal.status != AppealStatus.FILED:
        raise InvalidTransition("Sanggahan ini sudah diputus.")
    if user_id == appeal.original_verifier_id:
        raise ValidationFailed(
            "Sanggahan harus diputus verifikator yang berbeda dari verifikator awal.",
            field_errors={"decider_id": "Verifikator awal."},
        )
    if user_id not in {u.id for u in verifiers_of(db, cycle)}:
        raise ValidationFailed("Pilih verifikator komisi ini.")
    if has_conflict(db, user_id, appeal.body_id):
        raise ValidationFailed("Verifikator ini berafiliasi dengan badan publik tersebut.")
    before = appeal.decider_id
    appeal.decider_id = user_id
    audit(
        db,
        actor,
        cycle,
        "verification.appeal_assigned",
        "appeal",
        appeal.id,
        before={"decider_id": before},
        after={"decider_id": user_id},
    )
    return appeal


def decide_appeal(
    db: Session,
    actor: Actor,
    appeal: Appeal,
    cycle: Cycle,
    *,
    decision: str,
    reason: str,
    verified_option: str | None = None,
    now: datetime | None = None,
) -> Appeal:
    """The assigned (different) verifier decides; the score is recomputed, before/after kept."""
    if actor.organisation_id != cycle.organisation_id or not actor.has(Role.VERIFIKATOR):
        raise Forbidden("Hanya verifikator yang dapat memutus sanggahan.")
    if actor.user_id == appeal.original_verifier_id:
        raise Forbidden(
            "Sanggahan tidak boleh diputus oleh verifikator yang memverifikasi butir ini."
        )
    if appeal.decider_id != actor.user_id:
        raise Forbidden("Sanggahan ini tidak ditugaskan kepada Anda.")
    if has_conflict(db, actor.user_id, appeal.body_id):
        raise Forbidden("Anda memiliki afiliasi dengan badan publik ini; putusan ditolak.")
    if appeal.status != AppealStatus.FILED:
        raise Conflict("Sanggahan ini sudah diputus; putusannya tidak dapat diubah.")
    if not cycle.is_open or _shortlist_published(db, cycle):
        raise InvalidTransition("Daftar nominasi sudah diterbitkan; sanggahan tidak dapat diputus.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Tulis alasan putusan sanggahan.", field_errors={"reason": "Wajib diisi."}
        )
    answer, item = _answer_for(db, cycle, appeal.body_id, appeal.item_id)
    before = body_score(db, cycle, appeal.body_id)
    apply_verdict(
        db,
        actor,
        cycle,
        answer,
        item,
        verdict=decision,
        note=reason,
        verified_option=verified_option,
        source="appeal",
    )
    after = body_score(db, cycle, appeal.body_id)
    appeal.status = AppealStatus.DECIDED
    appeal.decision = answer.verdict
    appeal.decision_option = answer.verified_option
    appeal.decision_reason = reason
    appeal.credit_after = answer.credit_scaled
    appeal.score_before = str(before)
    appeal.score_after = str(after)
    appeal.decided_at = now or utcnow()
    audit(
        db,
        actor,
        cycle,
        "verification.recomputed",
        "appeal",
        appeal.id,
        before={"saq": before, "verdict": appeal.verdict_before},
        after={"saq": after, "verdict": appeal.decision, "reason": reason},
    )
    notify_body(
        db,
        appeal.body_id,
        organisation_id=cycle.organisation_id,
        kind="verification.appeal_decided",
        title=f"Sanggahan butir {item.code} telah diputus",
        link=f"/sanggah/{appeal.id}",
    )
    return appeal


def appeals_of_cycle(db: Session, cycle: Cycle) -> list[Appeal]:
    return list(db.scalars(select(Appeal).where(Appeal.cycle_id == cycle.id).order_by(Appeal.id)))


def appeals_of_body(db: Session, cycle: Cycle, body_id: int) -> list[Appeal]:
    return list(
        db.scalars(
            select(Appeal)
            .where(Appeal.cycle_id == cycle.id, Appeal.body_id == body_id)
            .order_by(Appeal.id)
        )
    )


def my_appeals(db: Session, actor: Actor) -> list[Appeal]:
    """Appeals waiting for the acting verifier's decision."""
    return list(
        db.scalars(
            select(Appeal)
            .where(Appeal.decider_id == actor.user_id, Appeal.status == AppealStatus.FILED)
            .order_by(Appeal.filed_at)
        )
    )


@register_publication_blocker
def open_appeal_reasons(db: Session, cycle: Cycle) -> list[str]:
    """Why results or the shortlist may not be published yet (undecided appeals)."""
    n = db.scalar(
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.cycle_id == cycle.id, Appeal.status == AppealStatus.FILED)
    )
    return [f"{n} sanggahan belum diputus."] if n else []
