"""A cycle ready for verification, built directly: the small demo-like questionnaire, bodies
with SUBMITTED SAQs (answers with declared credit, evidence files), verifiers, and stage
windows opened or closed at will."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.rules import Actor, Role
from app.bodies.models import Body
from app.cycles.access import system_actor
from app.cycles.models import Cycle, CycleCategory, CycleStage, CycleTarget
from app.db import utcnow
from app.evidence.models import EvidenceBlob, EvidenceFile
from app.orgs.models import Organisation
from app.questionnaires.models import Item, Questionnaire
from app.submissions.models import Answer, Submission, SubmissionStatus
from app.verification.service import rule_item
from tests.factories import Factory

VERIFICATION_STAGES = ("verification", "clarification", "verification_publication", "appeal")

# A full SAQ as a diligent body declares it (SMALL_QUESTIONNAIRE of tests/factories.py).
FULL = {"1.1": "Bulanan", "1.2": "ya", "2.1.1": "ya", "2.1.2": "ya", "2.1.3": "Kajian 2025"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def set_stage(db: Session, cycle: Cycle, code: str, *, is_open: bool = True) -> CycleStage:
    """Put a stage's window around now (open) or in the past (closed)."""
    stage = db.scalar(
        select(CycleStage).where(CycleStage.cycle_id == cycle.id, CycleStage.code == code)
    )
    if stage is None:
        stage = CycleStage(cycle_id=cycle.id, code=code, position=50)
        db.add(stage)
    now = utcnow()
    day = timedelta(days=1)
    stage.opens_at, stage.closes_at = (
        (now - day, now + day) if is_open else (now - 3 * day, now - 2 * day)
    )
    db.flush()
    return stage


def declared_credit(db: Session, item: Item, declared: str | None) -> int:
    from app.verification.rules import YES, Basis, item_credit_scaled
    from app.verification.rules import Answer as RuleAnswer

    rule = rule_item(item, "x")
    value = YES if declared == "ya" else declared
    return item_credit_scaled(rule, RuleAnswer(rule.code, value), Basis.RAW)


@dataclass
class World:
    org: Organisation
    cycle: Cycle
    bodies: list[Body]
    items: dict[str, Item]  # the items applying to the bodies' category (pemkab_pemkot)
    verifiers: list[User]
    sek: Actor
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, factory: Factory, user: User) -> Actor:
        return factory.actor(user, self.org)


def items_of(db: Session, cycle: Cycle) -> dict[str, Item]:
    return {
        i.code: i
        for i in db.scalars(
            select(Item)
            .join(Questionnaire, Questionnaire.id == Item.questionnaire_id)
            .where(Questionnaire.cycle_id == cycle.id)
        )
    }


def add_body(factory: Factory, db: Session, cycle: Cycle, category: str = "pemkab_pemkot") -> Body:
    from app.cycles import categories

    org = db.get(Organisation, cycle.organisation_id)
    assert org is not None
    cat = db.scalars(
        select(CycleCategory).where(
            CycleCategory.cycle_id == cycle.id, CycleCategory.code == category
        )
    ).one()
    body = factory.body(org, category=category)
    categories.set_target(db, system_actor(org.id), cycle, body_id=body.id, category_id=cat.id)
    return body


def submit_saq(
    db: Session, cycle: Cycle, body: Body, answers: dict[str, str | None] | None = None
) -> Submission:
    """A SUBMITTED SAQ with one answer per item and a PDF evidence file per answered item."""
    answers = FULL if answers is None else answers
    now = utcnow()
    sub = Submission(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        body_id=body.id,
        status=SubmissionStatus.SUBMITTED,
        submitted_at=now - timedelta(days=3),
    )
    db.add(sub)
    db.flush()
    sha = hashlib.sha256(PDF).hexdigest()
    if db.get(EvidenceBlob, sha) is None:
        db.add(EvidenceBlob(sha256=sha, size=len(PDF)))
    for code, item in items_of(db, cycle).items():
        declared = answers.get(code)
        db.add(
            Answer(
                submission_id=sub.id,
                cycle_id=cycle.id,
                body_id=body.id,
                item_id=item.id,
                indicator_id=item.indicator_id,
                declared=declared,
                declared_credit_scaled=declared_credit(db, item, declared),
            )
        )
        if declared:
            db.add(
                EvidenceFile(
                    organisation_id=cycle.organisation_id,
                    body_id=body.id,
                    blob_sha256=sha,
                    original_name=f"bukti-{code}.pdf",
                    content_type="application/pdf",
                    size=len(PDF),
                    uploaded_at=now - timedelta(days=4),
                    cycle_id=cycle.id,
                    item_id=item.id,
                )
            )
    db.flush()
    return sub


def build(factory: Factory, db: Session, *, bodies: int = 2, verifiers: int = 2) -> World:
    """An open cycle with `bodies` submitted pemkab/pemkot bodies, verifiers, a reviewer, a
    komisioner, a sekretariat; verification and clarification open."""
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    for code in VERIFICATION_STAGES:
        set_stage(db, cycle, code, is_open=code in ("verification", "clarification"))
    made = [add_body(factory, db, cycle) for _ in range(bodies)]
    for body in made:
        submit_saq(db, cycle, body)
    vs = [factory.user(org, Role.VERIFIKATOR) for _ in range(verifiers)]
    users = {
        "sekretariat": factory.user(org, Role.SEKRETARIAT),
        "komisioner": factory.user(org, Role.KOMISIONER),
        "reviewer": factory.user(org, Role.REVIEWER),
        "operator": factory.user(org, Role.OPERATOR, body=made[0]),
    }
    applicable = {
        code: item
        for code, item in items_of(db, cycle).items()
        if not item.category_codes or "pemkab_pemkot" in item.category_codes
    }
    return World(org, cycle, made, applicable, vs, system_actor(org.id), users)


def targets_in(db: Session, cycle: Cycle) -> list[int]:
    return list(db.scalars(select(CycleTarget.body_id).where(CycleTarget.cycle_id == cycle.id)))
