from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.service import timeline
from app.cycles import categories, schedule, scoring
from app.cycles import service as cycles
from app.cycles.access import get_cycle_for_actor, system_actor
from app.cycles.rules import (
    DEFAULT_CONFIG,
    AwardKind,
    AwardRule,
    Band,
    Combine,
    Component,
    NonShortlisted,
    NonSubmitter,
    ScoringConfig,
    ShortlistRule,
    TieBreak,
)
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Indicator
from tests.factories import Factory


def sekretariat(factory: Factory, org):  # type: ignore[no-untyped-def]
    return factory.actor(factory.user(org, Role.SEKRETARIAT), org)


def test_a_new_cycle_takes_the_catalogue_and_every_top_level_body(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    a = factory.body(org, category="pemkab_pemkot")
    b = factory.body(org, category="opd_pemprov")
    factory.body(org, category=None, parent_id=a.id)  # a PPID pelaksana unit: not a target
    factory.body(org, category="pemkab_pemkot", is_active=False)
    cycle = cycles.create_cycle(db, sekretariat(factory, org), name="Monev KIP 2025", year="2025")
    rows = categories.category_rows(db, cycle)
    assert [(r.category.code, r.target_count) for r in rows] == [
        ("pemkab_pemkot", 1),
        ("opd_pemprov", 1),
    ]
    assert {t.id for t in categories.list_targets(db, cycle)} == {a.id, b.id}
    assert [s.code for s in schedule.stages_of(db, cycle)][:3] == [
        "registration",
        "saq",
        "verification",
    ]
    assert scoring.get_scoring_config(db, cycle) == DEFAULT_CONFIG
    assert cycle.status == "draft"
    assert timeline(db, "cycle", cycle.id)[0].action == "cycle.created"


@pytest.mark.parametrize(
    ("name", "year", "field"),
    [("", "2025", "name"), ("Monev", "tahun", "year"), ("Monev", "1999", "year")],
)
def test_a_cycle_needs_a_name_and_a_year(
    factory: Factory, db: Session, name: str, year: str, field: str
) -> None:
    org = factory.commission()
    with pytest.raises(ValidationFailed) as exc:
        cycles.create_cycle(db, sekretariat(factory, org), name=name, year=year)
    assert field in exc.value.field_errors


def test_a_name_is_used_once_per_commission(factory: Factory, db: Session) -> None:
    org = factory.commission()
    actor = sekretariat(factory, org)
    cycles.create_cycle(db, actor, name="Monev KIP 2025", year=2025)
    with pytest.raises(ValidationFailed):
        cycles.create_cycle(db, actor, name="Monev KIP 2025", year=2025)
    other = factory.commission()
    cycles.create_cycle(db, sekretariat(factory, other), name="Monev KIP 2025", year=2025)


def test_only_the_sekretariat_creates_cycles(factory: Factory, db: Session) -> None:
    org = factory.commission()
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER), org)
    with pytest.raises(Forbidden):
        cycles.create_cycle(db, komisioner, name="X", year=2025)


def test_staff_see_their_cycles_and_bodies_only_open_ones_they_are_in(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER), org)
    assert get_cycle_for_actor(db, komisioner, cycle.id) is cycle
    assert cycles.list_cycles(db, komisioner) == [cycle]
    target = categories.list_targets(db, cycle)[0]
    operator = factory.actor(factory.user(org, Role.OPERATOR, body=target), org)
    with pytest.raises(NotFound):
        get_cycle_for_actor(db, operator, cycle.id)  # still a draft
    with pytest.raises(Forbidden):
        cycles.list_cycles(db, operator)
    cycles.open_cycle(db, system_actor(org.id), cycle)
    assert get_cycle_for_actor(db, operator, cycle.id) is cycle
    outsider_body = factory.body(org)
    outsider = factory.actor(factory.user(org, Role.OPERATOR, body=outsider_body), org)
    with pytest.raises(NotFound):
        get_cycle_for_actor(db, outsider, cycle.id)
    other = factory.commission()
    other_staff = factory.actor(factory.user(other, Role.SEKRETARIAT), other)
    with pytest.raises(NotFound):
        get_cycle_for_actor(db, other_staff, cycle.id)
    with pytest.raises(NotFound):
        get_cycle_for_actor(db, komisioner, 999_999)


def test_a_fresh_cycle_lists_what_is_missing_in_plain_words(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = cycles.create_cycle(db, sekretariat(factory, org), name="Baru", year=2026)
    r = cycles.readiness(db, cycle)
    messages = [p.message for p in r.problems]
    assert "Tahap SAQ belum diberi waktu buka dan tutup." in messages
    assert "Belum ada badan publik sasaran di kategori mana pun." in messages
    assert "Siklus belum memiliki kuesioner: impor atau susun satu." in messages
    assert {p.section for p in r.problems} == {"tahap", "kategori", "kuesioner"}
    assert not r.ok
    with pytest.raises(ValidationFailed, match="Siklus belum dapat dibuka"):
        cycles.open_cycle(db, system_actor(org.id), cycle)
    assert cycle.status == "draft"


def test_a_complete_cycle_opens_once_and_is_audited(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    r = cycles.readiness(db, cycle)
    assert r.problems == []
    assert any("belum memiliki akun operator" in n.message for n in r.notes)
    cycles.open_cycle(db, sekretariat(factory, org), cycle)
    assert cycle.is_open and cycle.opened_at is not None
    assert timeline(db, "cycle", cycle.id)[-1].action == "cycle.opened"
    with pytest.raises(InvalidTransition):
        cycles.open_cycle(db, system_actor(org.id), cycle)


def test_readiness_names_a_category_whose_questionnaire_misses_an_indicator(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    q = questionnaires.list_questionnaires(db, cycle)[0]
    actor = system_actor(org.id)
    for item in questionnaires.load_tree(db, q).items:
        if item.code.startswith("2."):
            item.category_codes = ["opd_pemprov"]
    db.flush()
    messages = [p.message for p in cycles.readiness(db, cycle).problems]
    assert messages == [
        "Indikator 2 (Jenis Informasi) tidak memiliki butir yang berlaku untuk kategori "
        "Pemerintah Kabupaten/Kota."
    ]
    cat = categories.categories_of(db, cycle)[0]
    categories.update_category(db, actor, cycle, cat.id, name=cat.name, questionnaire_id=None)
    messages = [p.message for p in cycles.readiness(db, cycle).problems]
    assert messages == ["Kategori Pemerintah Kabupaten/Kota belum dihubungkan ke kuesioner."]


def test_clone_copies_last_year_for_the_new_year(factory: Factory, db: Session) -> None:
    org = factory.commission()
    source = factory.cycle(org, name="Monev KIP 2025", year=2025, is_open=True)
    actor = sekretariat(factory, org)
    config = ScoringConfig(
        components=(Component("saq", "SAQ", 80), Component("visitasi", "Visitasi", 20)),
        bands=(Band("Informatif", Decimal(97)), Band("Lainnya", Decimal(0))),
        shortlist=ShortlistRule(threshold=Decimal("65.5"), top_n=5, combine=Combine.AND),
        non_shortlisted=NonShortlisted.WEIGHTED_MISSING_ZERO,
        shortlisted_rank_first=False,
        non_submitter=NonSubmitter.NOT_ASSESSED,
        tie_breaks=(TieBreak("indicator", "2"), TieBreak("shared")),
        awards=(AwardRule(AwardKind.SPECIAL, "Pimpinan Terbaik"),),
    )
    schedule.save_stages(
        db,
        actor,
        source,
        [*schedule.planner_rows(db, source)[:6], schedule.StageEntry("visitasi", True, "5")],
    )
    scoring.save_scoring_config(db, actor, source, config)
    retired = categories.list_targets(db, source)[0]
    retired.is_active = False
    clone = cycles.clone_cycle(db, actor, source, name="Monev KIP 2026", year="2026")
    assert clone.status == "draft" and clone.cloned_from_id == source.id
    assert scoring.get_scoring_config(db, clone) == config
    old_stages = {s.code: s for s in schedule.stages_of(db, source)}
    assert [s.code for s in schedule.stages_of(db, clone)] == list(old_stages)
    for s in schedule.stages_of(db, clone):
        if s.code == "visitasi":
            assert s.opens_at is None  # copied as planned: not yet scheduled
            continue
        assert s.opens_at is not None
        assert s.opens_at.year == old_stages[s.code].opens_at.year + 1  # type: ignore[union-attr]
    assert [c.code for c in categories.categories_of(db, clone)] == ["pemkab_pemkot", "opd_pemprov"]
    assert {b.id for b in categories.list_targets(db, clone)} == {
        b.id for b in categories.list_targets(db, source) if b.is_active
    }
    (old_q,) = questionnaires.list_questionnaires(db, source)
    (new_q,) = questionnaires.list_questionnaires(db, clone)
    assert new_q.id != old_q.id
    assert [
        r.as_mapping() for r in questionnaires.to_rows(questionnaires.load_tree(db, new_q))
    ] == [r.as_mapping() for r in questionnaires.to_rows(questionnaires.load_tree(db, old_q))]
    assert all(c.questionnaire_id == new_q.id for c in categories.categories_of(db, clone))
    assert not questionnaires.is_frozen(db, clone)
    assert timeline(db, "cycle", clone.id)[-1].after["from_cycle_id"] == source.id  # type: ignore[index]


def test_clone_refuses_another_commissions_cycle(factory: Factory, db: Session) -> None:
    org, other = factory.commission(), factory.commission()
    source = factory.cycle(other)
    with pytest.raises(NotFound):
        cycles.clone_cycle(db, sekretariat(factory, org), source, name="X", year=2026)


def test_a_body_is_in_exactly_one_category_per_cycle(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    actor = system_actor(org.id)
    pemkab, opd = categories.categories_of(db, cycle)
    body = categories.list_targets(db, cycle, pemkab)[0]
    categories.set_target(db, actor, cycle, body_id=body.id, category_id=opd.id)
    assert body.id not in {b.id for b in categories.list_targets(db, cycle, pemkab)}
    assert body.id in {b.id for b in categories.list_targets(db, cycle, opd)}
    assert schedule.category_of_body(db, cycle, body.id) == opd
    categories.remove_target(db, actor, cycle, body_id=body.id)
    assert schedule.category_of_body(db, cycle, body.id) is None
    with pytest.raises(NotFound):
        categories.remove_target(db, actor, cycle, body_id=body.id)


def test_units_inactive_and_foreign_bodies_cannot_be_targets(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    actor = system_actor(org.id)
    cat = categories.categories_of(db, cycle)[0]
    parent = categories.list_targets(db, cycle)[0]
    unit = factory.body(org, category=None, parent_id=parent.id)
    with pytest.raises(ValidationFailed, match="unit PPID pelaksana"):
        categories.set_target(db, actor, cycle, body_id=unit.id, category_id=cat.id)
    inactive = factory.body(org, is_active=False)
    with pytest.raises(ValidationFailed, match="nonaktif"):
        categories.set_target(db, actor, cycle, body_id=inactive.id, category_id=cat.id)
    foreign = factory.body(factory.commission())
    with pytest.raises(NotFound):
        categories.set_target(db, actor, cycle, body_id=foreign.id, category_id=cat.id)
    assert unit not in categories.candidate_bodies(db, cycle)


def test_default_targets_fill_a_category(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    cat = categories.categories_of(db, cycle)[0]
    new = factory.body(org, category=cat.code)
    assert categories.add_default_targets(db, system_actor(org.id), cycle, cat.id) == 1
    assert new in categories.list_targets(db, cycle, cat)
    assert categories.add_default_targets(db, system_actor(org.id), cycle, cat.id) == 0


def test_categories_can_be_added_renamed_and_removed_when_unused(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    actor = system_actor(org.id)
    desa = categories.add_category(db, actor, cycle, code="desa", name="Pemerintah Desa")
    (q,) = questionnaires.list_questionnaires(db, cycle)
    assert desa.questionnaire_id == q.id  # the only questionnaire serves it
    with pytest.raises(ValidationFailed):
        categories.add_category(db, actor, cycle, code="desa", name="Lagi")
    with pytest.raises(ValidationFailed):
        categories.add_category(db, actor, cycle, code="Desa Baru", name="x")
    categories.update_category(db, actor, cycle, desa.id, name="Desa", questionnaire_id=None)
    assert desa.name == "Desa" and desa.questionnaire_id is None
    categories.remove_category(db, actor, cycle, desa.id)
    assert "desa" not in {c.code for c in categories.categories_of(db, cycle)}
    opd = categories.categories_of(db, cycle)[1]
    with pytest.raises(InvalidTransition, match="masih memiliki badan publik"):
        categories.remove_category(db, actor, cycle, opd.id)
    for b in categories.list_targets(db, cycle, opd):
        categories.remove_target(db, actor, cycle, body_id=b.id)
    with pytest.raises(InvalidTransition, match="merujuk kategori opd_pemprov"):
        categories.remove_category(db, actor, cycle, opd.id)


def test_a_category_an_indicator_alone_names_is_not_removed(factory: Factory, db: Session) -> None:
    # Removing it would leave an indicator scoped to a category that no longer exists, whose
    # items would then count for nobody.
    org = factory.commission()
    cycle = factory.cycle(org)
    actor = system_actor(org.id)
    desa = categories.add_category(db, actor, cycle, code="desa", name="Pemerintah Desa")
    (q,) = questionnaires.list_questionnaires(db, cycle)
    indicator = db.scalars(select(Indicator).where(Indicator.questionnaire_id == q.id)).first()
    assert indicator is not None
    indicator.category_codes = ["desa"]
    db.flush()
    with pytest.raises(InvalidTransition, match="Indikator kuesioner masih merujuk kategori desa"):
        categories.remove_category(db, actor, cycle, desa.id)
    indicator.category_codes = []
    db.flush()
    categories.remove_category(db, actor, cycle, desa.id)


def test_catalogue_categories_are_added_once(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    actor = system_actor(org.id)
    assert categories.add_catalogue_categories(db, actor, cycle) == 2
    assert categories.add_catalogue_categories(db, actor, cycle) == 0


def test_a_category_keeps_its_questionnaire_once_saq_opened(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    cat = categories.categories_of(db, cycle)[0]
    with pytest.raises(InvalidTransition):
        categories.update_category(
            db, system_actor(org.id), cycle, cat.id, name=cat.name, questionnaire_id=None
        )


def test_scoring_rules_are_saved_whole_or_not_at_all(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    actor = sekretariat(factory, org)
    bad = ScoringConfig(
        components=(Component("saq", "SAQ", 70), Component("presentation", "P", 20)),
        bands=DEFAULT_CONFIG.bands,
        shortlist=DEFAULT_CONFIG.shortlist,
    )
    with pytest.raises(ValidationFailed, match=r"harus 100 \(sekarang 90\)"):
        scoring.save_scoring_config(db, actor, cycle, bad)
    assert scoring.get_scoring_config(db, cycle) == DEFAULT_CONFIG
    good = ScoringConfig(
        components=(Component("saq", "SAQ", 100),),
        bands=DEFAULT_CONFIG.bands,
        shortlist=ShortlistRule(threshold=Decimal(60), threshold_inclusive=False),
        tie_breaks=(TieBreak("indicator", "2"), TieBreak("shared")),
        awards=(
            AwardRule(AwardKind.BEST_INDICATOR, "Jenis Informasi Terbaik", indicator_code="2"),
        ),
    )
    scoring.save_scoring_config(db, actor, cycle, good)
    db.expire_all()
    assert scoring.get_scoring_config(db, cycle) == good
    event = timeline(db, "cycle", cycle.id)[-1]
    assert event.action == "cycle.rules_saved"
    assert event.before["components"][0]["weight"] == 70  # type: ignore[index]
    assert event.after["components"] == [{"code": "saq", "name": "SAQ", "weight": 100}]  # type: ignore[index]


def test_a_tie_break_must_name_an_indicator_of_the_questionnaire(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org)
    config = ScoringConfig(
        components=DEFAULT_CONFIG.components,
        bands=DEFAULT_CONFIG.bands,
        shortlist=DEFAULT_CONFIG.shortlist,
        tie_breaks=(TieBreak("indicator", "9"),),
    )
    with pytest.raises(ValidationFailed, match="indikator '9' tidak ada"):
        scoring.save_scoring_config(db, system_actor(org.id), cycle, config)


def test_a_body_sees_its_open_cycles_with_its_extensions(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    user = factory.user(org, Role.OPERATOR, body=body)
    actor = factory.actor(user, org)
    saq = schedule.get_stage(db, cycle, "saq")
    assert saq is not None and saq.closes_at is not None
    schedule.add_extension(
        db,
        system_actor(org.id),
        cycle,
        stage_code="saq",
        closes=schedule.to_local_input(saq.closes_at + timedelta(days=7), org.timezone),
        reason="Gangguan jaringan",
        decision_ref="Pleno 7/2025",
        body_id=body.id,
    )
    (panel,) = cycles.body_panels(db, actor)
    assert panel.body.id == body.id and panel.cycle.id == cycle.id
    assert panel.moment.current is not None and panel.moment.current.code == "saq"
    assert panel.moment.countdown_to == panel.extensions[0].closes_at
    assert panel.extensions[0].decision_ref == "Pleno 7/2025"
    assert panel.extensions[0].scope == "badan publik ini"
    staff = factory.actor(factory.user(org, Role.SEKRETARIAT), org)
    assert cycles.body_panels(db, staff) == []
    assert [c.id for c, _ in cycles.staff_panels(db, staff, now=utcnow())] == [cycle.id]
