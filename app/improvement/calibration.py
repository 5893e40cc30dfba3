"""Verifier calibration: a sample of verified items verified again, blind, by a second verifier;
agreement per verifier and per indicator (percentage and Cohen's kappa); disagreements decided
by a senior (sekretariat or reviewer), whose verdict becomes the final one (audited)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.conflicts.service import has_conflict
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence.models import EvidenceFile
from app.improvement import rules
from app.improvement.models import CalibrationSample, CalibrationStatus
from app.questionnaires.models import Indicator, Item
from app.submissions.models import Answer
from app.submissions.service import evidence_by_item
from app.verification import rules as vrules
from app.verification.models import Assignment
from app.verification.service import (
    VERIFY_STAGES,
    apply_verdict,
    audit,
    require_any_stage_open,
    rule_item,
    verifiers_of,
)

STATUS_LABELS = {
    CalibrationStatus.PENDING: "Menunggu verifikator kedua",
    CalibrationStatus.AGREED: "Sepakat",
    CalibrationStatus.DISPUTED: "Berbeda — menunggu keputusan",
    CalibrationStatus.DECIDED: "Diputuskan",
}
VERDICT_LABELS = {
    vrules.Verdict.ACCEPTED: "Diterima",
    vrules.Verdict.REJECTED: "Ditolak",
    vrules.Verdict.ADJUSTED: "Disesuaikan",
}
FLAG_LABELS = {"stricter": "Jauh lebih ketat", "more_lenient": "Jauh lebih longgar"}


def parse_percent(raw: str) -> Decimal:
    """The sample share typed by the sekretariat (e.g. "5" or "2,5"), in (0, 100]."""
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) < value <= 100:
        raise ValidationFailed(
            "Persentase sampel harus angka lebih dari 0 sampai 100.",
            field_errors={"percent": "Isi angka 0–100, misalnya 5."},
        )
    return value


def draw_sample(
    db: Session, actor: Actor, cycle: Cycle, percent: Decimal, *, seed: int | None = None
) -> int:
    """The sekretariat sends `percent` % of each verifier's verified items to a second verifier.

    The second verifier is another verifier of the commission without an affiliation with the
    body, the least loaded first. Items already sampled are not drawn again. Returns how many.
    """
    require_manager(actor, cycle)
    require_any_stage_open(db, cycle, VERIFY_STAGES)
    rnd = random.Random(seed)
    sampled = set(
        db.scalars(
            select(CalibrationSample.answer_id).where(CalibrationSample.cycle_id == cycle.id)
        )
    )
    load: dict[int, int] = {}
    for s in db.scalars(select(CalibrationSample).where(CalibrationSample.cycle_id == cycle.id)):
        load[s.second_verifier_id] = load.get(s.second_verifier_id, 0) + 1
    verifier_ids = [u.id for u in verifiers_of(db, cycle)]
    candidates: dict[int, list[tuple[Answer, Item, Indicator]]] = {}
    for answer, item, ind, verifier_id in db.execute(
        select(Answer, Item, Indicator, Assignment.verifier_id)
        .join(Item, Item.id == Answer.item_id)
        .join(Indicator, Indicator.id == Item.indicator_id)
        .join(
            Assignment,
            (Assignment.cycle_id == Answer.cycle_id) & (Assignment.body_id == Answer.body_id),
        )
        .where(Answer.cycle_id == cycle.id, Answer.verdict.in_(vrules.DECIDED))
        .order_by(Answer.id)
    ):
        if answer.id not in sampled:
            candidates.setdefault(verifier_id, []).append((answer, item, ind))
    made = 0
    for first_id in sorted(candidates):
        pool = candidates[first_id]
        for answer, item, ind in rnd.sample(pool, rules.sample_size(len(pool), percent)):
            others = [
                v for v in verifier_ids if v != first_id and not has_conflict(db, v, answer.body_id)
            ]
            if not others:
                continue
            second = min(others, key=lambda v: (load.get(v, 0), v))
            load[second] = load.get(second, 0) + 1
            db.add(
                CalibrationSample(
                    organisation_id=cycle.organisation_id,
                    cycle_id=cycle.id,
                    body_id=answer.body_id,
                    answer_id=answer.id,
                    item_id=item.id,
                    indicator_code=ind.code,
                    first_verifier_id=first_id,
                    first_verdict=answer.verdict,
                    second_verifier_id=second,
                    created_by_id=actor_id(actor),
                )
            )
            made += 1
    if not made:
        raise ValidationFailed(
            "Tidak ada butir yang dapat dijadikan sampel: perlu butir terverifikasi yang belum "
            "disampel dan sedikitnya dua verifikator tanpa afiliasi dengan badan publiknya."
        )
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "improvement.calibration_sampled",
        "cycle",
        cycle.id,
        after={"percent": str(percent), "samples": made},
    )
    return made


# --- the second verifier (blind) ---------------------------------------------------------------


@dataclass
class BlindTask:
    """What the second verifier sees: the item, the body's answer and evidence — no verdict."""

    sample: CalibrationSample
    body: Body
    item: Item
    answer: Answer
    rule: vrules.Item
    files: list[EvidenceFile]


def my_tasks(db: Session, actor: Actor, cycle: Cycle) -> list[BlindTask]:
    """The actor's pending blind verifications in the cycle."""
    rows = db.scalars(
        select(CalibrationSample)
        .where(
            CalibrationSample.cycle_id == cycle.id,
            CalibrationSample.second_verifier_id == actor.user_id,
            CalibrationSample.status == CalibrationStatus.PENDING,
        )
        .order_by(CalibrationSample.id)
    )
    return [_task(db, s) for s in rows]


def _task(db: Session, s: CalibrationSample) -> BlindTask:
    body, item, answer = (
        db.get(Body, s.body_id),
        db.get(Item, s.item_id),
        db.get(Answer, s.answer_id),
    )
    assert body is not None and item is not None and answer is not None
    files = evidence_by_item(db, s.cycle_id, body).get(item.id, [])
    return BlindTask(s, body, item, answer, rule_item(item, s.indicator_code), files)


def get_sample(db: Session, cycle: Cycle, sample_id: int) -> CalibrationSample:
    s = db.get(CalibrationSample, sample_id)
    if s is None or s.cycle_id != cycle.id:
        raise NotFound("Sampel kalibrasi tidak ditemukan.")
    return s


def blind_file(
    db: Session, actor: Actor, cycle: Cycle, sample_id: int, file_id: int
) -> EvidenceFile:
    """An evidence file of a sampled item, for its second verifier only."""
    s = get_sample(db, cycle, sample_id)
    if s.second_verifier_id != actor.user_id:
        raise NotFound("Sampel kalibrasi tidak ditemukan.")
    ef = next((f for f in _task(db, s).files if f.id == file_id), None)
    if ef is None:
        raise NotFound("Berkas tidak ditemukan.")
    return ef


def _check(
    item: Item, answer: Answer, indicator: str, verdict: str, option: str | None, note: str
) -> str | None:
    rule = rule_item(item, indicator)
    option = (option or "").strip() or None
    errors = vrules.verdict_errors(rule, answer.declared_credit_scaled, verdict, option, note)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    return option if verdict == vrules.Verdict.ADJUSTED else None


def give_second_verdict(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    sample_id: int,
    *,
    verdict: str,
    note: str = "",
    verified_option: str | None = None,
) -> CalibrationSample:
    """The second verifier's blind verdict; the same verdict kind as the first is agreement."""
    s = get_sample(db, cycle, sample_id)
    if s.second_verifier_id != actor.user_id:
        raise Forbidden("Sampel ini tidak ditugaskan kepada Anda.")
    require_any_stage_open(db, cycle, VERIFY_STAGES)
    if s.status != CalibrationStatus.PENDING:
        raise Conflict("Putusan kedua untuk sampel ini sudah diberikan.")
    task = _task(db, s)
    s.second_option = _check(
        task.item, task.answer, s.indicator_code, verdict, verified_option, note
    )
    s.second_verdict = verdict
    s.second_note = note.strip()
    s.second_at = utcnow()
    if verdict == s.first_verdict:
        s.status = CalibrationStatus.AGREED
        s.final_verdict = s.first_verdict
    else:
        s.status = CalibrationStatus.DISPUTED
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "improvement.calibration_second_verdict",
        "calibration_sample",
        s.id,
        before={"status": CalibrationStatus.PENDING},
        after={"status": s.status, "second_verdict": verdict},
    )
    return s


# --- the senior decision -----------------------------------------------------------------------


def can_decide(actor: Actor, cycle: Cycle) -> bool:
    """Seniors: the sekretariat and the reviewers of the commission."""
    return actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT, Role.REVIEWER)
    )


def decide(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    sample_id: int,
    *,
    verdict: str,
    note: str,
    verified_option: str | None = None,
) -> CalibrationSample:
    """A senior settles a disagreement; the decision becomes the item's verdict (audited)."""
    if not can_decide(actor, cycle):
        raise Forbidden("Hanya sekretariat atau reviewer yang memutus perbedaan verifikasi.")
    s = get_sample(db, cycle, sample_id)
    if s.first_verifier_id == actor.user_id or s.second_verifier_id == actor.user_id:
        raise Forbidden("Verifikator yang menilai butir ini tidak dapat memutus perbedaannya.")
    require_any_stage_open(db, cycle, VERIFY_STAGES)
    if s.status != CalibrationStatus.DISPUTED:
        raise Conflict("Hanya sampel dengan putusan berbeda yang menunggu keputusan.")
    if not note.strip():
        raise ValidationFailed(
            "Alasan keputusan wajib diisi.", field_errors={"note": "Wajib diisi."}
        )
    task = _task(db, s)
    apply_verdict(
        db,
        actor,
        cycle,
        task.answer,
        task.item,
        verdict=verdict,
        note=note,
        verified_option=verified_option,
        source="calibration",
    )
    s.status = CalibrationStatus.DECIDED
    s.final_verdict = verdict
    s.decision_note = note.strip()
    s.decided_by_id = actor_id(actor)
    s.decided_at = utcnow()
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "improvement.calibration_decided",
        "calibration_sample",
        s.id,
        before={
            "status": CalibrationStatus.DISPUTED,
            "first": s.first_verdict,
            "second": s.second_verdict,
        },
        after={"status": s.status, "final_verdict": verdict, "note": s.decision_note},
    )
    return s


# --- the report --------------------------------------------------------------------------------


@dataclass
class CalibrationReport:
    overall: rules.AgreementReport
    by_verifier: dict[int, rules.AgreementReport]
    by_indicator: dict[str, rules.AgreementReport]
    leniency: tuple[rules.VerifierLeniency, ...]
    disagreements: list[CalibrationSample]
    pending: int
    names: dict[int, str]
    bodies: dict[int, str]
    items: dict[int, str]


DEFAULT_THRESHOLD = Decimal(20)
DEFAULT_MIN_PAIRS = 10


def parse_flag_settings(threshold: str | None, min_pairs: str | None) -> tuple[Decimal, int]:
    """The leniency flag settings typed on the report page (points apart, items at least)."""
    errors: dict[str, str] = {}
    t, m = DEFAULT_THRESHOLD, DEFAULT_MIN_PAIRS
    if threshold not in (None, ""):
        try:
            t = Decimal(str(threshold).replace(",", "."))
        except InvalidOperation:
            t = Decimal(-1)
        if not t.is_finite() or not Decimal(0) < t <= 100:
            errors["selisih"] = "Selisih harus angka lebih dari 0 sampai 100 poin persentase."
    if min_pairs not in (None, ""):
        m = int(min_pairs) if str(min_pairs).isdigit() else 0
        if m < 1:
            errors["minimal"] = "Jumlah butir minimal harus bilangan bulat 1 atau lebih."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    return t, m


def report(
    db: Session,
    cycle: Cycle,
    threshold: Decimal = DEFAULT_THRESHOLD,
    min_pairs: int = DEFAULT_MIN_PAIRS,
) -> CalibrationReport:
    """Agreement per verifier and per indicator, leniency flags and the disagreements."""
    samples = list(
        db.scalars(
            select(CalibrationSample)
            .where(CalibrationSample.cycle_id == cycle.id)
            .order_by(CalibrationSample.id)
        )
    )
    done = [s for s in samples if s.second_verdict is not None]
    pairs = [(s.first_verdict, s.second_verdict or "") for s in done]
    per_verifier = [
        (v, s.first_verdict, s.second_verdict or "")
        for s in done
        for v in (s.first_verifier_id, s.second_verifier_id)
    ]
    doubles = [
        rules.DoubleVerdict(
            s.first_verifier_id, s.first_verdict, s.second_verifier_id, s.second_verdict or ""
        )
        for s in done
    ]
    user_ids = {s.first_verifier_id for s in samples} | {s.second_verifier_id for s in samples}
    names = {u.id: u.full_name for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
    bodies = {
        b.id: b.name
        for b in db.scalars(select(Body).where(Body.id.in_({s.body_id for s in samples})))
    }
    items = {
        i.id: f"{i.code} {i.text}"
        for i in db.scalars(select(Item).where(Item.id.in_({s.item_id for s in samples})))
    }
    return CalibrationReport(
        rules.agreement(pairs),
        rules.agreement_by(per_verifier),
        rules.agreement_by(
            (s.indicator_code, s.first_verdict, s.second_verdict or "") for s in done
        ),
        rules.leniency(doubles, threshold=threshold, min_pairs=min_pairs),
        [s for s in samples if s.status in (CalibrationStatus.DISPUTED, CalibrationStatus.DECIDED)],
        sum(1 for s in samples if s.status == CalibrationStatus.PENDING),
        names,
        bodies,
        items,
    )


def report_context(
    db: Session,
    cycle: Cycle,
    threshold: Decimal = DEFAULT_THRESHOLD,
    min_pairs: int = DEFAULT_MIN_PAIRS,
) -> dict[str, Any]:
    return {
        "report": report(db, cycle, threshold, min_pairs),
        "threshold": threshold,
        "min_pairs": min_pairs,
        "status_labels": STATUS_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "flag_labels": FLAG_LABELS,
    }
