"""Verification use-cases: assigning verifiers, verdicts per item, second-level review,
publication to bodies, and the verified SAQ of one body (raw next to verified).

Clarifications and appeals live in `clarifications.py` and `appeals.py`; both use the loaders
and the scoring of this module. The verified credit is written on `Answer.credit_scaled`, which
is exactly what `app.results.service.saq_scores` sums for the ranking and the shortlist.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
from sqlalchemy.orm import Session

from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.conflicts.service import conflicts_of, has_conflict
from app.cycles.access import actor_id, can_manage, get_cycle_for_staff, require_manager
from app.cycles.models import Cycle, CycleCategory, CycleTarget
from app.cycles.schedule import category_of_body, require_stage_open, stages_of
from app.db import memo, utcnow
from app.errors import (
    Conflict,
    DeadlinePassed,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from app.questionnaires.models import Indicator, Item
from app.questionnaires.rules import IndicatorSpec, ItemSpec, options_from_json
from app.questionnaires.service import spec_for
from app.submissions.models import Answer, Submission, SubmissionStatus
from app.submissions.service import submission_of
from app.verification import rules
from app.verification.models import (
    Assignment,
    AssignmentStatus,
    Clarification,
    ClarificationStatus,
    VerdictRecord,
)

VERIFY_STAGES = ("verification", "clarification")


# --- small helpers --------------------------------------------------------------------------


def audit(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    action: str,
    obj: str,
    obj_id: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit record of a verification state change (who, what, before, after)."""
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action=action,
        object_type=obj,
        object_id=obj_id,
        before=before,
        after=after,
    )


def require_any_stage_open(
    db: Session,
    cycle: Cycle,
    codes: Sequence[str],
    *,
    body_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Pass when one of the stages the cycle has is open; else the first stage's refusal."""
    known = {s.code for s in stages_of(db, cycle)}
    present = [c for c in codes if c in known] or [codes[0]]
    first: DomainError | None = None
    for code in present:
        try:
            require_stage_open(db, cycle, code, body_id=body_id, now=now)
            return
        except (InvalidTransition, DeadlinePassed) as exc:
            first = first or exc
    assert first is not None
    raise first


def users_with_role(db: Session, organisation_id: int, role: str) -> list[User]:
    """Active users holding `role` in the commission, by name."""
    return list(
        db.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.organisation_id == organisation_id,
                RoleGrant.role == role,
                RoleGrant.revoked_at.is_(None),
                User.is_active.is_(True),
            )
            .distinct()
            .order_by(User.full_name, User.id)
        )
    )


def can_oversee(actor: Actor, cycle: Cycle) -> bool:
    """Sekretariat, komisioner and reviewers see every body's verification in the cycle."""
    return actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT, Role.KOMISIONER, Role.REVIEWER)
    )


# --- loaders ------------------------------------------------------------------------------------


def get_cycle_for_verification(db: Session, actor: Actor, cycle_id: int) -> Cycle:
    """A cycle of the actor's commission for the staff pages of verification."""
    cycle = get_cycle_for_staff(db, actor, cycle_id)
    if not (can_oversee(actor, cycle) or actor.has(Role.VERIFIKATOR)):
        raise Forbidden("Halaman verifikasi hanya untuk verifikator dan sekretariat komisi.")
    return cycle


def assignment_of(db: Session, cycle: Cycle, body_id: int) -> Assignment | None:
    """The body's verification assignment (read once per request: see `memo`; a verdict's
    route checks it before reading the body, and the service again)."""
    return memo(
        db,
        ("assignment", cycle.id, body_id),
        lambda: db.scalar(_ASSIGNMENT, {"cycle_id": cycle.id, "body_id": body_id}),
    )


def get_assignment_for_verifier(
    db: Session, actor: Actor, cycle: Cycle, body_id: int
) -> Assignment:
    """The actor's own assignment on the body; refused when unassigned or conflicted."""
    assignment = assignment_of(db, cycle, body_id)
    if assignment is None or assignment.verifier_id != actor.user_id:
        raise Forbidden("Badan publik ini tidak ditugaskan kepada Anda untuk diverifikasi.")
    if has_conflict(db, actor.user_id, body_id):
        raise Forbidden(
            "Anda memiliki afiliasi dengan badan publik ini (atau induknya); "
            "verifikasi tidak dapat dilakukan. Hubungi sekretariat."
        )
    return assignment


def get_sheet_access(db: Session, actor: Actor, cycle: Cycle, body_id: int) -> Assignment | None:
    """Who may read a body's verification sheet: its verifier, or the overseers."""
    if can_oversee(actor, cycle):
        if db.get(Body, body_id) is None or category_of_body(db, cycle, body_id) is None:
            raise NotFound("Badan publik tidak ditemukan dalam siklus ini.")
        only_reviewer = not (actor.is_admin or actor.has(Role.SEKRETARIAT, Role.KOMISIONER))
        if only_reviewer and has_conflict(db, actor.user_id, body_id):
            raise Forbidden("Anda memiliki afiliasi dengan badan publik ini; akses ditolak.")
        return assignment_of(db, cycle, body_id)
    return get_assignment_for_verifier(db, actor, cycle, body_id)


# Reads of every verdict, built once per process (building a statement costs ~0.1 ms each time).
_ASSIGNMENT = select(Assignment).where(
    Assignment.cycle_id == bindparam("cycle_id"), Assignment.body_id == bindparam("body_id")
)
# the answer, its item and the item's indicator code in one statement
_ANSWER_ITEM_CODE = (
    select(Answer, Item, Indicator.code)
    .join(Item, Item.id == Answer.item_id)
    .join(Indicator, Indicator.id == Item.indicator_id)
    .where(
        Answer.cycle_id == bindparam("cycle_id"),
        Answer.body_id == bindparam("body_id"),
        Answer.item_id == bindparam("item_id"),
    )
)


def submitted_submission(db: Session, cycle: Cycle, body_id: int) -> Submission:
    sub = submission_of(db, cycle.id, body_id)
    if sub is None or sub.status != SubmissionStatus.SUBMITTED:
        raise InvalidTransition("Badan publik ini belum mengirim SAQ; belum ada yang diverifikasi.")
    return sub


# --- the questionnaire as pure rules ------------------------------------------------------------


def rule_item(item: Item | ItemSpec, indicator_code: str) -> rules.Item:
    """An item (stored, or from the questionnaire's spec) as the pure scoring rules see it."""
    kind = rules.AnswerType(item.answer_type)
    options: tuple[rules.ChoiceOption, ...] = ()
    if kind == rules.AnswerType.CHOICE:
        choices = item.options if isinstance(item, ItemSpec) else options_from_json(item.options)
        options = tuple(
            rules.ChoiceOption(o.label, int(o.fraction * rules.FRACTION_SCALE)) for o in choices
        )
    return rules.Item(item.code, indicator_code, item.weight, kind, options)


@dataclass
class Line:
    """One item of a body's verification sheet."""

    item: ItemSpec
    rule: rules.Item
    answer: Answer | None
    note: str = ""
    clarifications: list[Clarification] = field(default_factory=list)

    @property
    def raw_credit(self) -> int:
        return self.answer.declared_credit_scaled if self.answer else 0

    @property
    def verified_credit(self) -> int:
        return self.answer.credit_scaled if self.answer else 0

    @property
    def verdict(self) -> str:
        return self.answer.verdict if self.answer else rules.Verdict.PENDING

    @property
    def unanswered(self) -> bool:
        """The body left the item empty: it earns nothing, and there is nothing to decide."""
        a = self.answer
        return a is None or (a.declared is None and not a.text_value)


@dataclass
class Sheet:
    """A body's answers in questionnaire order, with raw and verified scores side by side."""

    cycle: Cycle
    body: Body
    category: CycleCategory
    assignment: Assignment | None
    indicators: Sequence[IndicatorSpec]  # every indicator of the questionnaire, as ranked
    lines: list[Line]
    scores: rules.SaqComparison

    def lines_of(self, indicator: IndicatorSpec) -> list[Line]:
        return [line for line in self.lines if line.item.indicator_id == indicator.id]

    @property
    def pending(self) -> int:
        return sum(
            1
            for line in self.lines
            if line.verdict == rules.Verdict.PENDING and not line.unanswered
        )

    @property
    def decided(self) -> int:
        return len(self.lines) - self.pending

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.verdict] = out.get(line.verdict, 0) + 1
        return out


def _questionnaire(
    db: Session, category: CycleCategory
) -> tuple[Sequence[IndicatorSpec], list[tuple[ItemSpec, rules.Item]]]:
    """Every indicator of the category's questionnaire, and the items the category answers
    (the cached spec: no questionnaire rows are read)."""
    if category.questionnaire_id is None:
        raise InvalidTransition("Kategori ini belum memiliki kuesioner.")
    whole = spec_for(db, category.questionnaire_id)
    mine = spec_for(db, category.questionnaire_id, category.code)
    items = [(item, rule_item(item, ind.code)) for ind in mine.indicators for item in ind.items]
    return whole.indicators, items


def score_lines(indicators: Sequence[IndicatorSpec], lines: Sequence[Line]) -> rules.SaqComparison:
    """Raw and verified SAQ from the stored credits (the sums the ranking query makes)."""
    rule_indicators = [rules.Indicator(i.code, Decimal(i.weight)) for i in indicators]
    raw: dict[str, list[int]] = {}
    verified: dict[str, list[int]] = {}
    for line in lines:
        code = line.rule.indicator_code
        w = line.rule.weight
        r = raw.setdefault(code, [0, 0])
        v = verified.setdefault(code, [0, 0])
        r[0] += w * line.raw_credit
        r[1] += w
        v[0] += w * line.verified_credit
        v[1] += w

    def combine(sums: dict[str, list[int]]) -> rules.SaqScore:
        return rules.combine_indicator_sums(
            rule_indicators, [rules.IndicatorSums(c, e, a) for c, (e, a) in sums.items()]
        )

    return rules.SaqComparison(raw=combine(raw), verified=combine(verified))


def load_sheet(db: Session, cycle: Cycle, body_id: int) -> Sheet:
    """Everything a verification page, export or berita acara shows about one body."""
    body = db.get(Body, body_id)
    if body is None:
        raise NotFound("Badan publik tidak ditemukan dalam siklus ini.")
    return load_sheets(db, cycle, [body])[body_id]


# The reads of `load_sheets` (every verdict's response, the verifier's tasks), built once per
# process: building a statement costs ~0.1 ms each time.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_CATEGORIES_OF_BODIES = (
    select(CycleTarget.body_id, CycleCategory)
    .join(CycleCategory, CycleTarget.cycle_category_id == CycleCategory.id)
    .where(CycleTarget.cycle_id == bindparam("cycle_id"), CycleTarget.body_id.in_(_IDS))
)
# The note of each item's latest verdict (not the whole history, which grows with every verdict),
# as plain rows.
_LATEST_NOTES = select(VerdictRecord.body_id, VerdictRecord.item_id, VerdictRecord.note).where(
    VerdictRecord.id.in_(
        select(func.max(VerdictRecord.id))
        .where(VerdictRecord.cycle_id == bindparam("cycle_id"), VerdictRecord.body_id.in_(_IDS))
        .group_by(VerdictRecord.body_id, VerdictRecord.item_id)
    )
)


@functools.cache
def _rows_of_bodies(model: Any) -> Select[Any]:
    return (
        select(model)
        .where(model.cycle_id == bindparam("cycle_id"), model.body_id.in_(_IDS))
        .order_by(model.id)
    )


def load_sheets(db: Session, cycle: Cycle, bodies: Sequence[Body]) -> dict[int, Sheet]:
    """The sheets of several bodies in a fixed number of queries (one questionnaire read per
    category), keyed by body id; a body outside the cycle is NotFound."""
    ids = [b.id for b in bodies]
    keys = {"cycle_id": cycle.id, "ids": ids}
    categories = {body_id: cat for body_id, cat in db.execute(_CATEGORIES_OF_BODIES, keys)}
    if any(i not in categories for i in ids):
        raise NotFound("Badan publik tidak ditemukan dalam siklus ini.")
    questionnaires = {
        c.id: _questionnaire(db, c) for c in {c.id: c for c in categories.values()}.values()
    }

    def per_body(model: Any) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for row in db.scalars(_rows_of_bodies(model), keys):
            out.setdefault(row.body_id, []).append(row)
        return out

    answers = per_body(Answer)
    notes_of: dict[int, dict[int, str]] = {}
    for body_id, item_id, note in db.execute(_LATEST_NOTES, keys):
        notes_of.setdefault(body_id, {})[item_id] = note
    clarifications = per_body(Clarification)
    assignments = {a.body_id: a for rows in per_body(Assignment).values() for a in rows}
    sheets: dict[int, Sheet] = {}
    for body in bodies:
        category = categories[body.id]
        indicators, items = questionnaires[category.id]
        by_item = {a.item_id: a for a in answers.get(body.id, [])}
        notes = notes_of.get(body.id, {})
        clar: dict[int, list[Clarification]] = {}
        for c in clarifications.get(body.id, []):
            clar.setdefault(c.item_id, []).append(c)
        lines = [
            Line(item, rule, by_item.get(item.id), notes.get(item.id, ""), clar.get(item.id, []))
            for item, rule in items
        ]
        sheets[body.id] = Sheet(
            cycle,
            body,
            category,
            assignments.get(body.id),
            indicators,
            lines,
            score_lines(indicators, lines),
        )
    return sheets


def body_score(db: Session, cycle: Cycle, body_id: int) -> Decimal:
    """The body's verified SAQ (exact, truncated) as the ranking computes it."""
    return load_sheet(db, cycle, body_id).scores.verified.total


# --- assigning verifiers ------------------------------------------------------------------------


def verifiers_of(db: Session, cycle: Cycle) -> list[User]:
    return users_with_role(db, cycle.organisation_id, Role.VERIFIKATOR)


def _require_verifier(db: Session, cycle: Cycle, user_id: int) -> User:
    user = next((u for u in verifiers_of(db, cycle) if u.id == user_id), None)
    if user is None:
        raise ValidationFailed(
            "Pilih verifikator komisi ini.", field_errors={"verifier_id": "Bukan verifikator."}
        )
    return user


def assign_verifier(
    db: Session, actor: Actor, cycle: Cycle, *, body_id: int, verifier_id: int, method: str = ""
) -> Assignment:
    """The sekretariat assigns (or reassigns, before work started) a body to a verifier."""
    require_manager(actor, cycle)
    if category_of_body(db, cycle, body_id) is None:
        raise ValidationFailed("Badan publik ini bukan peserta siklus.")
    user = _require_verifier(db, cycle, verifier_id)
    if has_conflict(db, user.id, body_id):
        raise ValidationFailed(
            f"{user.full_name} memiliki afiliasi dengan badan publik ini atau induknya; "
            "pilih verifikator lain.",
            field_errors={"verifier_id": "Konflik kepentingan."},
        )
    current = assignment_of(db, cycle, body_id)
    before = None
    if current is not None:
        if current.verifier_id == user.id:
            return current
        if current.status != AssignmentStatus.ASSIGNED:
            raise Conflict("Verifikasi badan publik ini sudah berjalan; penugasan tidak diubah.")
        before = {"verifier_id": current.verifier_id}
        current.verifier_id = user.id
        current.assigned_at = utcnow()
        current.assigned_by_id = actor_id(actor)
        current.method = method or "manual"
    else:
        current = Assignment(
            organisation_id=cycle.organisation_id,
            cycle_id=cycle.id,
            body_id=body_id,
            verifier_id=user.id,
            assigned_by_id=actor_id(actor),
            method=method or "manual",
        )
        db.add(current)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "verification.assigned",
        "verification_assignment",
        current.id,
        before=before,
        after={"body_id": body_id, "verifier_id": user.id, "method": current.method},
    )
    return current


def unassign(db: Session, actor: Actor, cycle: Cycle, body_id: int) -> None:
    """Remove an assignment on which nothing was decided yet."""
    require_manager(actor, cycle)
    current = assignment_of(db, cycle, body_id)
    if current is None:
        raise NotFound("Penugasan tidak ditemukan.")
    if current.status != AssignmentStatus.ASSIGNED:
        raise Conflict("Verifikasi badan publik ini sudah berjalan; penugasan tidak dicabut.")
    audit(
        db,
        actor,
        cycle,
        "verification.unassigned",
        "verification_assignment",
        current.id,
        before={"body_id": body_id, "verifier_id": current.verifier_id},
    )
    db.delete(current)
    db.flush()


def _targets(db: Session, cycle: Cycle) -> list[tuple[int, str]]:
    return [
        (b, c)
        for b, c in db.execute(
            select(CycleTarget.body_id, CycleCategory.code)
            .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
            .where(CycleTarget.cycle_id == cycle.id)
        )
    ]


def auto_assign(db: Session, actor: Actor, cycle: Cycle) -> tuple[int, list[int]]:
    """Assign every unassigned submitted body, balanced by load within categories, never to a
    conflicted verifier. Returns how many were assigned and the bodies nobody may take."""
    require_manager(actor, cycle)
    verifiers = [u.id for u in verifiers_of(db, cycle)]
    if not verifiers:
        raise ValidationFailed("Belum ada verifikator di komisi ini.")
    submitted = set(
        db.scalars(
            select(Submission.body_id).where(
                Submission.cycle_id == cycle.id, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
    )
    existing = list(db.scalars(select(Assignment).where(Assignment.cycle_id == cycle.id)))
    targets = _targets(db, cycle)
    cat_of = dict(targets)
    taken = {a.body_id for a in existing}
    todo = [(b, c) for b, c in targets if b in submitted and b not in taken]
    load: dict[int, int] = {}
    cat_load: dict[tuple[int, str], int] = {}
    for a in existing:
        load[a.verifier_id] = load.get(a.verifier_id, 0) + 1
        key = (a.verifier_id, cat_of.get(a.body_id, ""))
        cat_load[key] = cat_load.get(key, 0) + 1
    body_ids = {b for b, _ in todo}
    conflicts = [
        (v, b) for v, found in conflicts_of(db, verifiers, body_ids).items() for b in found
    ]
    chosen, left = rules.balance_assignments(todo, verifiers, load, cat_load, conflicts)
    for body_id, verifier_id in chosen.items():
        assign_verifier(db, actor, cycle, body_id=body_id, verifier_id=verifier_id, method="auto")
    return len(chosen), left


@dataclass(frozen=True)
class Workload:
    verifier: User
    assigned: int
    in_progress: int
    done: int

    @property
    def total(self) -> int:
        return self.assigned + self.in_progress + self.done


def workload(db: Session, cycle: Cycle) -> list[Workload]:
    """Per verifier: bodies not started, in progress (incl. review), done (locked)."""
    counts: dict[int, dict[str, int]] = {}
    for verifier_id, status, n in db.execute(
        select(Assignment.verifier_id, Assignment.status, func.count())
        .where(Assignment.cycle_id == cycle.id)
        .group_by(Assignment.verifier_id, Assignment.status)
    ):
        counts.setdefault(verifier_id, {})[status] = n
    out = []
    for user in verifiers_of(db, cycle):
        c = counts.get(user.id, {})
        out.append(
            Workload(
                user,
                c.get(AssignmentStatus.ASSIGNED, 0),
                sum(
                    c.get(s, 0)
                    for s in (
                        AssignmentStatus.IN_PROGRESS,
                        AssignmentStatus.SUBMITTED,
                        AssignmentStatus.RETURNED,
                    )
                ),
                c.get(AssignmentStatus.LOCKED, 0),
            )
        )
    return out


@dataclass(frozen=True)
class TargetRow:
    body: Body
    category: CycleCategory
    submitted: bool
    assignment: Assignment | None
    verifier: User | None
    conflicted: frozenset[int]


def target_rows(db: Session, cycle: Cycle) -> list[TargetRow]:
    """Every target of the cycle with its submission state, assignment and blocked verifiers."""
    rows = db.execute(
        select(Body, CycleCategory)
        .join(CycleTarget, CycleTarget.body_id == Body.id)
        .join(CycleCategory, CycleCategory.id == CycleTarget.cycle_category_id)
        .where(CycleTarget.cycle_id == cycle.id)
        .order_by(CycleCategory.sort_order, CycleCategory.code, Body.name)
    ).all()
    submitted = set(
        db.scalars(
            select(Submission.body_id).where(
                Submission.cycle_id == cycle.id, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
    )
    assignments = {
        a.body_id: a for a in db.scalars(select(Assignment).where(Assignment.cycle_id == cycle.id))
    }
    verifiers = verifiers_of(db, cycle)
    by_id = {u.id: u for u in verifiers}
    ids = {b.id for b, _ in rows}
    blocked: dict[int, set[int]] = {}
    for v_id, found in conflicts_of(db, by_id, ids).items():
        for b in found:
            blocked.setdefault(b, set()).add(v_id)
    out = []
    for body, cat in rows:
        a = assignments.get(body.id)
        out.append(
            TargetRow(
                body,
                cat,
                body.id in submitted,
                a,
                by_id.get(a.verifier_id) if a else None,
                frozenset(blocked.get(body.id, set())),
            )
        )
    return out


def my_tasks(db: Session, actor: Actor, cycle: Cycle) -> list[tuple[Assignment, Body, Sheet]]:
    """The verifier's assigned bodies with their progress."""
    rows = db.execute(
        select(Assignment, Body)
        .join(Body, Body.id == Assignment.body_id)
        .where(Assignment.cycle_id == cycle.id, Assignment.verifier_id == actor.user_id)
        .order_by(Body.name)
    ).all()
    sheets = load_sheets(db, cycle, [b for _, b in rows])
    return [(a, b, sheets[b.id]) for a, b in rows]


# --- verdicts -----------------------------------------------------------------------------------


def _answer_for(db: Session, cycle: Cycle, body_id: int, item_id: int) -> tuple[Answer, Item]:
    submitted_submission(db, cycle, body_id)
    found = db.execute(
        _ANSWER_ITEM_CODE, {"cycle_id": cycle.id, "body_id": body_id, "item_id": item_id}
    ).first()
    if found is None:
        raise NotFound("Jawaban butir ini tidak ditemukan.")
    answer, item, code = found
    memo(db, ("indicator_code", item.indicator_id), lambda: code)  # for `_indicator_code`
    category = category_of_body(db, cycle, body_id)
    if (
        category is None
        or category.questionnaire_id is None
        or item_id
        not in {i.id for i in spec_for(db, category.questionnaire_id, category.code).items}
    ):
        raise ValidationFailed(f"Butir {item.code} tidak berlaku untuk kategori badan publik ini.")
    return answer, item


def _indicator_code(db: Session, item: Item) -> str:
    def read() -> str:
        indicator = db.get(Indicator, item.indicator_id)
        assert indicator is not None
        return indicator.code

    return memo(db, ("indicator_code", item.indicator_id), read)


def apply_verdict(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    answer: Answer,
    item: Item,
    *,
    verdict: str,
    note: str,
    verified_option: str | None,
    source: str,
) -> VerdictRecord:
    """Validate and write a verdict on an answer, keep it in the history, audit before/after.

    Shared by verification and appeal decisions; callers have checked rights and stage.
    """
    rule = rule_item(item, _indicator_code(db, item))
    note = (note or "").strip()
    option = (verified_option or "").strip() or None
    errors = rules.verdict_errors(rule, answer.declared_credit_scaled, verdict, option, note)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    value = rules.Verdict(verdict)
    if value != rules.Verdict.ADJUSTED:
        option = None
    credit = rules.verdict_credit_scaled(rule, answer.declared_credit_scaled, value, option)
    before = {
        "verdict": answer.verdict,
        "verified_option": answer.verified_option,
        "credit_scaled": answer.credit_scaled,
    }
    rec = VerdictRecord(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=answer.body_id,
        answer_id=answer.id,
        item_id=item.id,
        verdict=value,
        verified_option=option,
        note=note,
        credit_before=answer.credit_scaled,
        credit_after=credit,
        source=source,
        given_by_id=actor_id(actor),
    )
    answer.verdict = value
    answer.verified_option = option
    answer.credit_scaled = credit
    answer.updated_at = utcnow()
    answer.updated_by_id = actor_id(actor)
    db.add(rec)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        f"verification.verdict.{source}",
        "answer",
        answer.id,
        before=before,
        after={
            "verdict": value,
            "verified_option": option,
            "credit_scaled": credit,
            "note": note,
            "body_id": answer.body_id,
            "item_code": item.code,
        },
    )
    return rec


def give_verdict(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    body_id: int,
    item_id: int,
    verdict: str,
    note: str = "",
    verified_option: str | None = None,
    now: datetime | None = None,
) -> VerdictRecord:
    """The assigned verifier accepts, rejects (with a note) or adjusts (with a note) an item."""
    assignment = get_assignment_for_verifier(db, actor, cycle, body_id)
    require_any_stage_open(db, cycle, VERIFY_STAGES, now=now)
    if assignment.is_locked:
        raise Conflict(
            "Verifikasi badan publik ini sudah dikunci; putusan tidak dapat diubah "
            "(perubahan hanya melalui sanggah)."
        )
    answer, item = _answer_for(db, cycle, body_id, item_id)
    rec = apply_verdict(
        db,
        actor,
        cycle,
        answer,
        item,
        verdict=verdict,
        note=note,
        verified_option=verified_option,
        source="verification",
    )
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment.status = AssignmentStatus.IN_PROGRESS
    return rec


def submit_verification(
    db: Session, actor: Actor, cycle: Cycle, body_id: int, *, now: datetime | None = None
) -> Assignment:
    """The verifier finishes a body: to the reviewer when the cycle asks for one, else locked."""
    assignment = get_assignment_for_verifier(db, actor, cycle, body_id)
    require_any_stage_open(db, cycle, VERIFY_STAGES, now=now)
    if assignment.is_locked:
        raise Conflict("Verifikasi badan publik ini sudah dikirim.")
    sheet = load_sheet(db, cycle, body_id)
    if sheet.pending:
        raise ValidationFailed(f"Masih ada {sheet.pending} butir yang belum diputus.")
    open_questions = [
        c for line in sheet.lines for c in line.clarifications if c.status != "closed"
    ]
    if open_questions:
        raise ValidationFailed(
            f"Masih ada {len(open_questions)} klarifikasi yang belum ditutup; "
            "putuskan butirnya setelah membaca jawaban badan publik."
        )
    before = assignment.status
    at = utcnow()
    assignment.submitted_at = at
    if cycle.requires_review:
        assignment.status = AssignmentStatus.SUBMITTED
    else:
        assignment.status = AssignmentStatus.LOCKED
        assignment.locked_at = at
    audit(
        db,
        actor,
        cycle,
        "verification.submitted",
        "verification_assignment",
        assignment.id,
        before={"status": before},
        after={"status": assignment.status, "verified": str(sheet.scores.verified.total)},
    )
    return assignment


def review_verification(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    body_id: int,
    *,
    confirm: bool,
    note: str = "",
    now: datetime | None = None,
) -> Assignment:
    """A reviewer confirms (locks) or returns (with a note) a verifier's finished work."""
    if actor.organisation_id != cycle.organisation_id or not actor.has(Role.REVIEWER):
        raise Forbidden("Hanya reviewer komisi ini yang dapat meninjau hasil verifikasi.")
    assignment = assignment_of(db, cycle, body_id)
    if assignment is None:
        raise NotFound("Penugasan verifikasi tidak ditemukan.")
    if assignment.verifier_id == actor.user_id:
        raise Forbidden("Reviewer tidak boleh meninjau verifikasinya sendiri.")
    if has_conflict(db, actor.user_id, body_id):
        raise Forbidden("Anda memiliki afiliasi dengan badan publik ini; tinjauan ditolak.")
    require_any_stage_open(db, cycle, VERIFY_STAGES, now=now)
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise InvalidTransition("Verifikasi badan publik ini tidak sedang menunggu reviu.")
    note = (note or "").strip()
    if not confirm and not note:
        raise ValidationFailed(
            "Tulis alasan pengembalian.", field_errors={"note": "Wajib saat mengembalikan."}
        )
    at = utcnow()
    assignment.reviewed_at = at
    assignment.reviewed_by_id = actor_id(actor)
    assignment.review_note = note
    assignment.status = AssignmentStatus.LOCKED if confirm else AssignmentStatus.RETURNED
    if confirm:
        assignment.locked_at = at
    audit(
        db,
        actor,
        cycle,
        "verification.reviewed",
        "verification_assignment",
        assignment.id,
        before={"status": AssignmentStatus.SUBMITTED},
        after={"status": assignment.status, "note": note},
    )
    return assignment


def review_queue(db: Session, cycle: Cycle) -> list[tuple[Assignment, Body]]:
    return [
        (a, b)
        for a, b in db.execute(
            select(Assignment, Body)
            .join(Body, Body.id == Assignment.body_id)
            .where(Assignment.cycle_id == cycle.id, Assignment.status == AssignmentStatus.SUBMITTED)
            .order_by(Assignment.submitted_at)
        ).all()
    ]


def set_requires_review(db: Session, actor: Actor, cycle: Cycle, value: bool) -> None:
    """The sekretariat switches the second-level review on or off for the cycle."""
    require_manager(actor, cycle)
    if cycle.requires_review == value:
        return
    audit(
        db,
        actor,
        cycle,
        "verification.review_setting",
        "cycle",
        cycle.id,
        before={"requires_review": cycle.requires_review},
        after={"requires_review": value},
    )
    cycle.requires_review = value


# --- publication --------------------------------------------------------------------------------


def publish_results(db: Session, actor: Actor, cycle: Cycle, *, now: datetime | None = None) -> int:
    """The sekretariat publishes every locked verification to its body."""
    require_manager(actor, cycle)
    require_any_stage_open(db, cycle, ("verification_publication",), now=now)
    ready = list(
        db.scalars(
            select(Assignment).where(
                Assignment.cycle_id == cycle.id,
                Assignment.status == AssignmentStatus.LOCKED,
                Assignment.published_at.is_(None),
            )
        )
    )
    if not ready:
        raise ValidationFailed("Belum ada hasil verifikasi terkunci yang belum diumumkan.")
    at = utcnow()
    for a in ready:
        a.published_at = at
        a.published_by_id = actor_id(actor)
    db.flush()
    audit(
        db,
        actor,
        cycle,
        "verification.published",
        "cycle",
        cycle.id,
        after={"bodies": sorted(a.body_id for a in ready)},
    )
    from app.notifications.service import notify_body

    for a in ready:
        notify_body(
            db,
            a.body_id,
            organisation_id=cycle.organisation_id,
            kind="verification.published",
            title=f"Hasil verifikasi {cycle.name} telah diumumkan",
            link=f"/siklus/{cycle.id}/hasil-verifikasi/{a.body_id}",
        )
    return len(ready)


def get_published_sheet(db: Session, actor: Actor, cycle_id: int, body_id: int) -> Sheet:
    """The body's own published verification; staff of the commission see it too."""
    cycle = db.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("Siklus monev tidak ditemukan.")
    staff = can_manage(actor, cycle) or can_oversee(actor, cycle)
    if not staff and not actor.acts_for_body(body_id):
        raise NotFound("Hasil verifikasi tidak ditemukan.")
    if not staff and not cycle.is_open:
        raise NotFound("Hasil verifikasi tidak ditemukan.")
    assignment = assignment_of(db, cycle, body_id)
    if assignment is None or assignment.published_at is None:
        raise NotFound("Hasil verifikasi badan publik ini belum diumumkan.")
    return load_sheet(db, cycle, body_id)


# --- progress -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    label: str
    targets: int
    submitted: int
    assigned: int
    locked: int
    published: int


def progress_by_category(db: Session, cycle: Cycle) -> list[Progress]:
    rows = target_rows(db, cycle)
    out: dict[str, list[TargetRow]] = {}
    for r in rows:
        out.setdefault(r.category.name, []).append(r)
    return [_progress(name, rs) for name, rs in out.items()]


def _progress(label: str, rows: Iterable[TargetRow]) -> Progress:
    rows = list(rows)
    return Progress(
        label,
        len(rows),
        sum(r.submitted for r in rows),
        sum(r.assignment is not None for r in rows),
        sum(bool(r.assignment and r.assignment.status == AssignmentStatus.LOCKED) for r in rows),
        sum(bool(r.assignment and r.assignment.published_at) for r in rows),
    )


def open_clarifications(db: Session, cycle: Cycle) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Clarification)
            .where(
                Clarification.cycle_id == cycle.id,
                Clarification.status != ClarificationStatus.CLOSED,
            )
        )
        or 0
    )
