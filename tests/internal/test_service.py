"""Internal monev on the real database: start, copy, readiness, links, results, isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.certificates import service as certificates
from app.cycles import service as cycles
from app.cycles.access import get_cycle_for_actor
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence import service as evidence
from app.evidence.models import EvidenceFile
from app.internal import service
from app.internal.models import InternalUnit
from app.internal.service import rows_for_units
from app.orgs.models import OrganisationKind
from app.portal.views import _public as portal_cycle_of
from app.portal.views import public_cycles
from app.questionnaires.models import Indicator, Item, Questionnaire
from app.questionnaires.rules import NodeRow
from app.questionnaires.service import is_frozen
from app.results import service as results
from app.submissions import service as saq
from app.verification import service as verification
from tests.factories import Factory
from tests.internal.world import InternalWorld, build
from tests.results.helpers import open_stage_now, set_rules
from tests.verification.helpers import items_of, set_stage, submit_saq

FULL_UNIT: dict[str, str | None] = {"1.1": "Bulanan", "1.2": "ya", "2.1.1": "ya", "2.1.3": "Kajian"}


@pytest.fixture
def w(db: Session, factory: Factory) -> InternalWorld:
    return build(factory, db)


def test_starting_makes_an_internal_org_with_mirrored_units_and_roles(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    assert w.iorg.kind == OrganisationKind.INTERNAL
    links = db.scalars(select(InternalUnit).where(InternalUnit.internal_monev_id == w.monev.id))
    assert sorted(link.unit_body_id for link in links) == sorted(u.id for u in w.units)
    lead = w.inside(factory, w.lead)
    assert lead.has(Role.SEKRETARIAT) and lead.has(Role.VERIFIKATOR)
    assert w.inside(factory, w.atasan).has(Role.KOMISIONER)
    unit_actor = w.inside(factory, w.unit_ops[0])
    assert unit_actor.body_ids == {w.mirror(db, w.units[0]).id}
    assert not unit_actor.is_staff
    assert service.sync_members(db, w.monev) == 0  # idempotent


def test_only_a_ppid_utama_with_units_starts_once(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    with pytest.raises(Conflict):
        service.start_internal_monev(db, w.outside(factory, w.lead), w.parent.id)
    with pytest.raises(ValidationFailed, match="PPID pelaksana"):
        service.start_internal_monev(db, w.outside(factory, w.unit_ops[0]), w.units[0].id)
    lonely = factory.body(w.org)
    op = factory.user(w.org, Role.OPERATOR, body=lonely)
    with pytest.raises(ValidationFailed, match="belum memiliki"):
        service.start_internal_monev(db, w.outside(factory, op), lonely.id)
    sek = factory.user(w.org, Role.SEKRETARIAT)
    with pytest.raises(NotFound):
        service.start_internal_monev(db, w.outside(factory, sek), lonely.id)


def test_the_internal_cycle_copies_the_commission_items_for_the_body_and_stays_editable(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    codes = set(items_of(db, w.icycle))
    # 2.1.2 applies only to opd_pemprov in the commission's questionnaire: not for these units.
    assert codes == {"1.1", "1.2", "2.1.1", "2.1.3"}
    bq = saq.questionnaire_for_body(db, w.icycle, w.mirror(db, w.units[0]).id)
    assert bq is not None and bq.category_code == service.UNIT_CATEGORY
    subset = service.create_internal_cycle(
        db,
        w.outside(factory, w.lead),
        w.monev,
        name="Bimtek 2025",
        year=2025,
        indicator_codes=["1"],
    )
    assert set(items_of(db, subset)) == {"1.1", "1.2"}
    q = db.scalars(select(Questionnaire).where(Questionnaire.cycle_id == subset.id)).one()
    assert not is_frozen(db, subset)
    assert db.scalar(select(Indicator.code).where(Indicator.questionnaire_id == q.id)) == "1"


def test_a_bad_indicator_or_a_stranger_cannot_make_a_cycle(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        service.create_internal_cycle(
            db, w.outside(factory, w.lead), w.monev, name="X", year=2025, indicator_codes=["9"]
        )
    assert exc.value.field_errors == {"indicators": "9"}
    with pytest.raises(Forbidden):
        service.create_internal_cycle(
            db, w.outside(factory, w.unit_ops[0]), w.monev, name="X", year=2025
        )


def _verify_all(
    db: Session, factory: Factory, w: InternalWorld, reject: set[tuple[int, str]]
) -> None:
    """The PPID utama's operator verifies every unit: answered items accepted unless listed in
    `reject` as (body id, code), unanswered ones rejected."""
    set_stage(db, w.icycle, "verification")
    inside = w.inside(factory, w.lead)
    for unit in w.units:
        mirror = w.mirror(db, unit)
        verification.assign_verifier(db, inside, w.icycle, body_id=mirror.id, verifier_id=w.lead.id)
        sheet = verification.load_sheet(db, w.icycle, mirror.id)
        for line in sheet.lines:
            answered = line.answer is not None and line.answer.declared
            ok = answered and (mirror.id, line.item.code) not in reject
            verdict = "accepted" if ok else "rejected"
            verification.give_verdict(
                db,
                inside,
                w.icycle,
                body_id=mirror.id,
                item_id=line.item.id,
                verdict=verdict,
                note="" if verdict == "accepted" else "Tidak ada bukti.",
            )
        verification.submit_verification(db, inside, w.icycle, mirror.id)


def test_done_when_units_fill_are_verified_ranked_certified_and_evidence_is_linked(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    best, middle, weak = (w.mirror(db, u) for u in w.units)
    submit_saq(
        db, w.icycle, best, {"1.1": "Bulanan", "1.2": "ya", "2.1.1": "ya", "2.1.3": "Kajian"}
    )
    submit_saq(db, w.icycle, middle, {"1.1": "Bulanan", "1.2": "ya", "2.1.1": None, "2.1.3": None})
    submit_saq(db, w.icycle, weak, {"1.1": None, "1.2": "ya", "2.1.1": None, "2.1.3": None})
    _verify_all(db, factory, w, {(middle.id, "1.2")})

    ready = {r.unit.id: r for r in service.readiness(db, w.monev, w.icycle)}
    assert ready[w.units[0].id].weak == []
    weak_codes = {i.code: i for i in ready[w.units[2].id].weak}
    assert set(weak_codes) == {"1.1", "2.1.1", "2.1.3"}
    assert weak_codes["1.1"].reason == "belum dijawab"
    assert weak_codes["1.1"].asked_by_commission
    rejected = {i.code: i.reason for i in ready[w.units[1].id].weak}
    assert rejected == {
        "1.2": "ditolak verifikator",
        "2.1.1": "belum dijawab",
        "2.1.3": "belum dijawab",
    }

    # Ranking and an internal certificate through the commission's own services.
    set_rules(db, w.icycle)
    inside, boss = w.inside(factory, w.lead), w.inside(factory, w.atasan)
    rs = results.compute_and_store(db, inside, w.icycle)
    decree = results.draft_decree(db, inside, w.icycle, rs)
    results.approve_decree(db, boss, w.icycle, decree, sk_number="800/1/2025", sk_date="2025-11-01")
    open_stage_now(db, w.icycle)  # the internal cycle publishes in its own window
    results.publish_decree(db, boss, w.icycle, decree)
    results.review_awards(db, boss, w.icycle)
    # Published internally, never on the public portal.
    assert results.public_decree(db, w.icycle) is not None
    assert w.icycle.id not in {c.id for c, _, _ in public_cycles(db)}
    with pytest.raises(NotFound):
        portal_cycle_of(db, w.icycle.id, None)
    lines = service.ranking(db, w.icycle)
    assert [ln.name for ln in lines] == [u.name for u in w.units]
    assert lines[0].rank == 1
    certificates.save_print_settings(
        db,
        inside,
        w.icycle,
        place="Pasuruan",
        issued_on="2025-11-10",
        signatory_name="Kepala Diskominfo",
        signatory_title="Atasan PPID Utama",
    )
    certificates.issue_certificates(db, inside, w.icycle)
    certs = certificates.valid_certificates(db, w.icycle)
    titles = {c.award_title for c in certs if c.body_id == best.id}
    assert any("1" in t for t in titles), titles
    assert all(c.organisation_id == w.iorg.id for c in certs)
    assert not [c for c in certs if c.body_id == weak.id and c.kind == "informatif"]

    # The city's own commission SAQ links two pieces of unit evidence (not copied).
    files = ready[w.units[0].id].strong_files
    commission_items = {i.code: i.id for i in items_of(db, w.ccycle).values()}
    lead = w.outside(factory, w.lead)
    for code in ("1.2", "2.1.3"):
        service.link_unit_evidence(
            db,
            lead,
            w.monev,
            evidence_file_id=files[code][0].id,
            item_id=commission_items[code],
        )
    before = db.scalar(select(EvidenceFile.id).order_by(EvidenceFile.id.desc()))
    shown = saq.evidence_by_item(db, w.ccycle.id, w.parent)
    assert shown[commission_items["1.2"]] == [files["1.2"][0]]
    names = {ef.id: unit for _, ef, unit in saq.linked_unit_files(db, w.ccycle.id, w.parent.id)}
    assert set(names.values()) == {w.units[0].name}
    assert db.scalar(select(EvidenceFile.id).order_by(EvidenceFile.id.desc())) == before
    # The city's operator downloads it from the commission side; another body cannot.
    assert evidence.get_evidence_file_for_actor(db, lead, files["1.2"][0].id)
    stranger = factory.user(w.org, Role.OPERATOR, body=factory.body(w.org))
    with pytest.raises(NotFound):
        evidence.get_evidence_file_for_actor(db, w.outside(factory, stranger), files["1.2"][0].id)
    with pytest.raises(Conflict):
        service.link_unit_evidence(
            db,
            lead,
            w.monev,
            evidence_file_id=files["1.2"][0].id,
            item_id=commission_items["1.2"],
        )


def test_linking_refuses_foreign_files_and_strangers(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    item = db.scalars(
        select(Item).join(Questionnaire).where(Questionnaire.cycle_id == w.ccycle.id)
    ).first()
    assert item is not None
    submit_saq(db, w.ccycle, factory.body(w.org))  # files of a commission body, not a unit
    foreign = db.scalars(select(EvidenceFile).where(EvidenceFile.cycle_id == w.ccycle.id)).first()
    assert foreign is not None
    lead = w.outside(factory, w.lead)
    with pytest.raises(NotFound):
        service.link_unit_evidence(db, lead, w.monev, evidence_file_id=foreign.id, item_id=item.id)
    with pytest.raises(Forbidden):
        service.link_unit_evidence(
            db,
            w.outside(factory, w.unit_ops[0]),
            w.monev,
            evidence_file_id=foreign.id,
            item_id=item.id,
        )


def test_nothing_of_the_internal_cycle_is_visible_to_the_commission_or_other_bodies(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    sek = w.outside(factory, factory.user(w.org, Role.SEKRETARIAT))
    ver = w.outside(factory, factory.user(w.org, Role.VERIFIKATOR))
    other = factory.body(w.org)
    other_op = w.outside(factory, factory.user(w.org, Role.OPERATOR, body=other))
    for actor in (sek, ver, other_op, w.outside(factory, w.unit_ops[0])):
        with pytest.raises(NotFound):
            service.get_monev_for_actor(db, actor, w.monev.id)
        with pytest.raises(NotFound):
            get_cycle_for_actor(db, actor, w.icycle.id)
        if actor.is_staff:
            assert w.icycle.id not in {c.id for c in cycles.list_cycles(db, actor)}
    # A unit sees its own SAQ in the internal org, never its neighbour's.
    unit = w.inside(factory, w.unit_ops[0])
    assert saq.get_workspace(db, unit, w.icycle.id, w.mirror(db, w.units[0]).id)
    with pytest.raises(NotFound):
        saq.get_workspace(db, unit, w.icycle.id, w.mirror(db, w.units[1]).id)
    with pytest.raises(NotFound):
        saq.get_workspace(db, sek, w.icycle.id, w.mirror(db, w.units[0]).id)
    assert w.icycle.id not in {c.id for c, _, _ in public_cycles(db)}


def test_sharing_lets_the_commission_staff_see_and_only_the_owner_may_share(
    db: Session, factory: Factory, w: InternalWorld
) -> None:
    sek = w.outside(factory, factory.user(w.org, Role.SEKRETARIAT))
    with pytest.raises(NotFound):
        service.get_monev_for_actor(db, sek, w.monev.id)
    with pytest.raises(Forbidden):
        service.set_shared(db, sek, w.monev, shared=True)
    with pytest.raises(Forbidden):
        service.set_shared(db, w.inside(factory, w.unit_ops[0]), w.monev, shared=True)
    service.set_shared(db, w.outside(factory, w.lead), w.monev, shared=True)
    assert service.get_monev_for_actor(db, sek, w.monev.id) is w.monev
    with pytest.raises(Forbidden):
        service.get_monev_for_owner(db, sek, w.monev.id)
    other = factory.commission()
    outsider = factory.actor(factory.user(other, Role.SEKRETARIAT), other)
    with pytest.raises(NotFound):
        service.get_monev_for_actor(db, outsider, w.monev.id)


def test_rows_under_an_indicator_of_another_category_are_left_out() -> None:
    rows = [
        NodeRow(line=1, code="1", parent="", kind="indicator", text="A", applies_to="desa"),
        NodeRow(line=2, code="1.1", parent="1", kind="item", text="x", applies_to="all"),
        NodeRow(line=3, code="2", parent="", kind="indicator", text="B", applies_to="all"),
        NodeRow(line=4, code="2.1", parent="2", kind="item", text="y", applies_to="desa"),
        NodeRow(line=5, code="2.2", parent="2", kind="item", text="z", applies_to=""),
    ]
    kept = rows_for_units(rows, "pemkab_pemkot", set())
    assert [r.code for r in kept] == ["2", "2.2"]
    assert {r.applies_to for r in kept} == {"all"}
