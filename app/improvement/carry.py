"""Carry forward: reuse last year's accepted evidence on an unchanged item of a cloned cycle.

The cycle decides per item whether carried evidence is allowed (a decree valid for years) or
must be renewed (an annual report); the default is to renew. A carried file is a new
`EvidenceFile` of this cycle pointing at the same stored bytes, a carried link a new
`AnswerLink` whose check is queued again; both are verified again like new evidence.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor
from app.audit.service import record
from app.cycles.access import actor_id, require_manager
from app.cycles.models import Cycle
from app.cycles.schedule import category_of_body
from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from app.evidence import service as evidence
from app.evidence.models import EvidenceFile
from app.evidence.pdfcheck import check_pdf
from app.evidence.rules import can_upload_for_body
from app.evidence.storage import BlobNotFound
from app.improvement import rules
from app.improvement.models import CarriedEvidence, CarrySetting
from app.improvement.service import previous_cycle
from app.questionnaires.models import Item, Questionnaire
from app.questionnaires.service import spec_for
from app.submissions import service as submissions
from app.submissions.models import Answer, AnswerLink
from app.submissions.models import Verdict as AnswerVerdict

POLICY_LABELS = {
    rules.CarryPolicy.ALLOW: "Boleh memakai bukti tahun lalu",
    rules.CarryPolicy.RENEW: "Wajib bukti baru",
}


def item_version(item: Item) -> rules.ItemVersion:
    """A stored item as the carry-forward rules see it."""
    return rules.ItemVersion(
        item.code, item.text, item.answer_type, item.evidence_kind, frozenset(item.file_types or [])
    )


def cycle_items(db: Session, cycle: Cycle) -> list[Item]:
    """Every live item of the cycle's questionnaires, in questionnaire order."""
    items = db.scalars(
        select(Item)
        .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
        .where(Questionnaire.cycle_id == cycle.id, Item.removed_at.is_(None))
    )
    return sorted(items, key=lambda i: (rules.item_code_key(i.code), i.id))


def policies(db: Session, cycle: Cycle) -> dict[int, rules.CarryPolicy]:
    """Item id → its carry policy in the cycle (items without a setting must be renewed)."""
    rows = db.scalars(select(CarrySetting).where(CarrySetting.cycle_id == cycle.id))
    return {s.item_id: rules.CarryPolicy(s.policy) for s in rows}


@dataclass(frozen=True)
class SettingLine:
    item: Item
    policy: rules.CarryPolicy
    unchanged: bool  # an item with the same code and content existed last year


def setting_lines(db: Session, cycle: Cycle) -> list[SettingLine]:
    """The carry settings page: every item, its policy, and whether it is unchanged."""
    prev = previous_cycle(db, cycle)
    before = (
        {(i.code, rules.item_content_hash(item_version(i))) for i in cycle_items(db, prev)}
        if prev
        else set()
    )
    pol = policies(db, cycle)
    return [
        SettingLine(
            i,
            pol.get(i.id, rules.CarryPolicy.RENEW),
            (i.code, rules.item_content_hash(item_version(i))) in before,
        )
        for i in cycle_items(db, cycle)
    ]


def set_policies(
    db: Session, actor: Actor, cycle: Cycle, allowed_item_ids: set[int]
) -> tuple[int, int]:
    """The sekretariat marks which items allow carried evidence (the rest must be renewed).

    Returns (allowed, renew) counts. Only a cycle cloned from last year's has anything to carry.
    """
    require_manager(actor, cycle)
    if previous_cycle(db, cycle) is None:
        raise InvalidTransition(
            "Siklus ini tidak disalin dari siklus sebelumnya; tidak ada bukti yang dapat dibawa."
        )
    items = {i.id: i for i in cycle_items(db, cycle)}
    unknown = allowed_item_ids - set(items)
    if unknown:
        raise ValidationFailed("Butir yang dipilih tidak ada dalam kuesioner siklus ini.")
    existing = {
        s.item_id: s
        for s in db.scalars(select(CarrySetting).where(CarrySetting.cycle_id == cycle.id))
    }
    before = {i: s.policy for i, s in existing.items()}
    now = utcnow()
    for item_id in items:
        policy = rules.CarryPolicy.ALLOW if item_id in allowed_item_ids else rules.CarryPolicy.RENEW
        setting = existing.get(item_id)
        if setting is None:
            setting = CarrySetting(cycle_id=cycle.id, item_id=item_id, policy=policy)
            db.add(setting)
        elif setting.policy == policy:
            continue
        setting.policy = policy
        setting.updated_at = now
        setting.updated_by_id = actor_id(actor)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action="improvement.carry_settings",
        object_type="cycle",
        object_id=cycle.id,
        before={"allow": sorted(i for i, p in before.items() if p == rules.CarryPolicy.ALLOW)},
        after={"allow": sorted(allowed_item_ids)},
    )
    return len(allowed_item_ids), len(items) - len(allowed_item_ids)


# --- the body's side ---------------------------------------------------------------------------


@dataclass
class Previous:
    """A body's answer to an item last cycle, with its current files and links."""

    item: Item
    answer: Answer | None
    files: list[EvidenceFile]
    links: list[AnswerLink]

    def as_rule(self) -> rules.PreviousEvidence:
        accepted = self.answer is not None and self.answer.verdict == AnswerVerdict.ACCEPTED
        usable = [f for f in self.files if f.purged_at is None]
        return rules.PreviousEvidence(
            self.item.code,
            rules.item_content_hash(item_version(self.item)),
            accepted,
            bool(usable or self.links),
        )


def previous_evidence(db: Session, prev: Cycle, body_id: int) -> dict[str, Previous]:
    """Item code → the body's answer and evidence in last year's cycle."""
    category = category_of_body(db, prev, body_id)
    if category is None or category.questionnaire_id is None:
        return {}
    items = {
        i.id: i
        for i in db.scalars(
            select(Item).where(
                Item.questionnaire_id == category.questionnaire_id, Item.removed_at.is_(None)
            )
        )
    }
    answers = {
        a.item_id: a
        for a in db.scalars(
            select(Answer).where(Answer.cycle_id == prev.id, Answer.body_id == body_id)
        )
    }
    files: dict[int, list[EvidenceFile]] = {}
    for ef in db.scalars(
        select(EvidenceFile)
        .where(
            EvidenceFile.cycle_id == prev.id,
            EvidenceFile.body_id == body_id,
            EvidenceFile.superseded_by_id.is_(None),
        )
        .order_by(EvidenceFile.id)
    ):
        if ef.item_id is not None:
            files.setdefault(ef.item_id, []).append(ef)
    links: dict[int, list[AnswerLink]] = {}
    for link in db.scalars(
        select(AnswerLink)
        .where(AnswerLink.cycle_id == prev.id, AnswerLink.body_id == body_id)
        .order_by(AnswerLink.id)
    ):
        links.setdefault(link.item_id, []).append(link)
    return {
        i.code: Previous(i, answers.get(i.id), files.get(i.id, []), links.get(i.id, []))
        for i in items.values()
    }


@dataclass(frozen=True)
class CarryLine:
    """One of this year's items for a body: may last year's evidence be carried, and was it."""

    item: Item
    decision: rules.CarryDecision
    previous: Previous | None
    carried: list[CarriedEvidence]


def carry_plan(db: Session, cycle: Cycle, body_id: int) -> list[CarryLine]:
    """Every item of the body's questionnaire this year with its carry-forward decision."""
    bq_category = category_of_body(db, cycle, body_id)
    if bq_category is None or bq_category.questionnaire_id is None:
        return []
    prev = previous_cycle(db, cycle)
    before = previous_evidence(db, prev, body_id) if prev else {}
    pol = policies(db, cycle)
    carried: dict[int, list[CarriedEvidence]] = {}
    for c in db.scalars(
        select(CarriedEvidence).where(
            CarriedEvidence.cycle_id == cycle.id, CarriedEvidence.body_id == body_id
        )
    ):
        carried.setdefault(c.item_id, []).append(c)
    answered = {i.id for i in spec_for(db, bq_category.questionnaire_id, bq_category.code).items}
    items = [i for i in cycle_items(db, cycle) if i.id in answered]
    lines = []
    for item in items:
        p = before.get(item.code)
        decision = rules.carry_forward_decision(
            item_version(item),
            pol.get(item.id, rules.CarryPolicy.RENEW),
            p.as_rule() if p else None,
        )
        lines.append(CarryLine(item, decision, p, carried.get(item.id, [])))
    return lines


def carry_forward(
    db: Session,
    actor: Actor,
    ws: submissions.Workspace,
    item_id: int,
    *,
    now: datetime | None = None,
) -> list[CarriedEvidence]:
    """A body's operator reuses last year's accepted evidence on an unchanged item.

    Checked like any upload (SAQ stage open, the item assigned to the actor, draft SAQ); the
    carried files and links are new evidence of this cycle, re-checked and verified again.
    """
    ind, spec = ws.find_item(item_id)
    submissions._require_writable(db, actor, ws, ind.id, now)  # the one upload check
    line = next((x for x in carry_plan(db, ws.cycle, ws.body.id) if x.item.id == item_id), None)
    if line is None:
        raise NotFound("Butir tidak ditemukan dalam kuesioner badan publik ini.")
    if line.carried:
        raise Conflict(f"Bukti tahun lalu sudah dibawa ke butir {line.item.code}.")
    if not line.decision.eligible or line.previous is None:
        raise ValidationFailed(line.decision.message)
    prev = previous_cycle(db, ws.cycle)
    assert prev is not None
    usable = [f for f in line.previous.files if f.purged_at is None]
    for ef in usable:
        problem = precheck(ef)
        if problem:
            raise ValidationFailed(f"{ef.original_name}: {problem}")
    have_files = len(submissions.item_files(db, ws).get(item_id, []))
    have_links = len(submissions.item_links(db, ws).get(item_id, []))
    if have_files + len(usable) > spec.max_files or have_links + len(line.previous.links) > (
        spec.max_files
    ):
        raise ValidationFailed(
            f"Butir {line.item.code} boleh memuat {spec.max_files} berkas/tautan; lepaskan "
            "bukti yang sudah ada sebelum memakai bukti tahun lalu."
        )
    at = now or utcnow()
    out: list[CarriedEvidence] = []
    for ef in usable:
        copy = EvidenceFile(
            organisation_id=ef.organisation_id,
            body_id=ws.body.id,
            blob_sha256=ef.blob_sha256,
            original_name=ef.original_name,
            content_type=ef.content_type,
            size=ef.size,
            uploaded_by_id=actor_id(actor),
            uploaded_at=at,
            cycle_id=ws.cycle.id,
            item_id=item_id,
        )
        db.add(copy)
        db.flush()
        out.append(
            _carried(
                ws,
                item_id,
                prev,
                line.previous.item,
                actor,
                at,
                ef.uploaded_at,
                evidence_file_id=copy.id,
                source_file_id=ef.id,
            )
        )
    urls = []
    for link in line.previous.links:
        new = AnswerLink(
            cycle_id=ws.cycle.id,
            body_id=ws.body.id,
            item_id=item_id,
            url=link.url,
            added_by_id=actor_id(actor),
            added_at=at,
        )
        db.add(new)
        db.flush()
        urls.append(link.url)
        out.append(
            _carried(
                ws,
                item_id,
                prev,
                line.previous.item,
                actor,
                at,
                link.added_at,
                answer_link_id=new.id,
                url=link.url,
            )
        )
    for c in out:
        db.add(c)
    db.flush()
    if urls:
        checker = actor if can_upload_for_body(actor, ws.body.id) else None
        evidence.request_link_check(
            db, checker, ws.body, urls, cycle_id=ws.cycle.id, item_id=item_id
        )
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=ws.body.organisation_id,
        action="improvement.evidence_carried",
        object_type="body",
        object_id=ws.body.id,
        after={
            "cycle_id": ws.cycle.id,
            "item_code": line.item.code,
            "from_cycle_id": prev.id,
            "files": [c.evidence_file_id for c in out if c.evidence_file_id],
            "links": urls,
        },
    )
    return out


def precheck(ef: EvidenceFile) -> str | None:
    """Run today's PDF pre-check again on a file about to be carried (the rules may have
    tightened since it was uploaded); the reason it is refused, or None."""
    if ef.content_type != "application/pdf":
        return None
    try:
        data = b"".join(evidence.blob_chunks(ef))
    except BlobNotFound:
        return "isi berkas tahun lalu tidak ditemukan di penyimpanan; unggah berkas baru."
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bukti.pdf"
        path.write_bytes(data)
        verdict = check_pdf(path)
    return None if verdict.ok else verdict.message


def _carried(
    ws: submissions.Workspace,
    item_id: int,
    prev: Cycle,
    prev_item: Item,
    actor: Actor,
    at: datetime,
    original_at: datetime,
    **kw: object,
) -> CarriedEvidence:
    return CarriedEvidence(
        cycle_id=ws.cycle.id,
        body_id=ws.body.id,
        item_id=item_id,
        source_cycle_id=prev.id,
        source_item_id=prev_item.id,
        original_at=original_at,
        carried_at=at,
        carried_by_id=actor_id(actor),
        **kw,
    )


def carried_by_file(db: Session, cycle_id: int, body_id: int) -> dict[int, CarriedEvidence]:
    """Evidence file id → its carry record (to mark carried files with their original date)."""
    rows = db.scalars(
        select(CarriedEvidence).where(
            CarriedEvidence.cycle_id == cycle_id,
            CarriedEvidence.body_id == body_id,
            CarriedEvidence.evidence_file_id.is_not(None),
        )
    )
    return {c.evidence_file_id: c for c in rows if c.evidence_file_id is not None}
