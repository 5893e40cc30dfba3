"""A cycle with a published, reviewed award list built through the results service, and the
certificate print settings filled in (certificate service and view tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.certificates import service
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.results import service as results
from app.results.models import Decree
from app.submissions.models import Answer
from tests.factories import Factory
from tests.results.helpers import add_target, set_rules, submit, targets


@dataclass
class Ceremony:
    org: Organisation
    cycle: Cycle
    sek: Actor
    kom: Actor
    panitia: Actor
    bodies: dict[str, int]  # label → body id


def publish(db: Session, c: Ceremony, *, reason: str = "") -> Decree:
    """Compute, draft, approve, publish and review the awards (one more decree version)."""
    from tests.results.helpers import open_stage_now

    open_stage_now(db, c.cycle)
    rs = results.compute_and_store(db, c.sek, c.cycle)
    decree = results.draft_decree(db, c.sek, c.cycle, rs, reason=reason)
    number = f"SK/{decree.version}/KI/2025"
    results.approve_decree(db, c.kom, c.cycle, decree, sk_number=number, sk_date="2025-12-01")
    results.publish_decree(db, c.kom, c.cycle, decree)
    results.review_awards(db, c.kom, c.cycle)
    return decree


def ceremony(db: Session, factory: Factory, *, settings: bool = True) -> Ceremony:
    """Three bodies of one category (ranks 1–3, the first two Informatif) and one of another."""
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    set_rules(db, cycle)
    ids = targets(db, cycle)
    bodies = {
        "first": ids["pemkab_pemkot"],
        "second": add_target(factory, db, cycle, "pemkab_pemkot"),
        "third": add_target(factory, db, cycle, "pemkab_pemkot"),
        "opd": ids["opd_pemprov"],
    }
    submit(db, cycle, bodies["first"])  # 100
    submit(db, cycle, bodies["second"], {"1.2": 0})  # 86,67
    submit(db, cycle, bodies["third"], {"1.1": 0, "2.1.1": 0})  # 43,33
    submit(db, cycle, bodies["opd"])
    c = Ceremony(
        org=org,
        cycle=cycle,
        sek=factory.actor(factory.user(org, Role.SEKRETARIAT), org),
        kom=factory.actor(factory.user(org, Role.KOMISIONER), org),
        panitia=factory.actor(factory.user(org, Role.PANITIA), org),
        bodies=bodies,
    )
    publish(db, c)
    if settings:
        service.save_print_settings(
            db,
            c.sek,
            cycle,
            place="Surabaya",
            issued_on="2025-12-17",
            signatory_name="Dr. Siti Rahmawati",
            signatory_title="Ketua Komisi Informasi",
        )
    return c


def amend_third_to_full_marks(db: Session, c: Ceremony) -> Decree:
    """A verification error corrected for the third body (it now reaches 100): amended SK."""
    for a in db.scalars(select(Answer).where(Answer.body_id == c.bodies["third"])):
        a.credit_scaled = 10_000
    db.flush()
    return publish(db, c, reason="Kesalahan verifikasi butir 1.1 dan 2.1.1")
