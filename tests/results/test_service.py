"""Results services on the real database: compute, store, rank, diff, decrees, shortlist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.cycles.rules import Component, NonSubmitter, ShortlistRule
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from app.results import service
from app.results.models import DecreeStatus, ResultRow, ShortlistEntry
from app.results.publication import register_publication_blocker, unregister_publication_blocker
from app.verification.rules import Answer as RuleAnswer
from app.verification.rules import AnswerType, Indicator, Item, Verdict, score_saq
from tests.factories import Factory
from tests.results.helpers import (
    D,
    add_target,
    open_stage_now,
    sek,
    set_rules,
    submit,
    targets,
)


def _open_cycle(factory: Factory):  # type: ignore[no-untyped-def]
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    open_stage_now(factory.db, cycle)
    return org, cycle


def _komisioner(factory: Factory, org):  # type: ignore[no-untyped-def]
    return factory.actor(factory.user(org, Role.KOMISIONER), org)


def test_the_saq_comes_from_grouped_sums_over_applying_items_only(
    db: Session, factory: Factory
) -> None:
    _org, cycle = _open_cycle(factory)
    body = targets(db, cycle)["pemkab_pemkot"]
    set_rules(db, cycle)
    # 2.1.2 applies to opd_pemprov only: answered with full credit, it must not count.
    submit(db, cycle, body, {"1.1": 5000, "2.1.1": 0, "2.1.2": 10_000})
    computation = service.calculate(db, cycle)
    (result,) = [r for r in computation.results if r.body_id == body]
    expected = score_saq(
        [Indicator("1", D(40)), Indicator("2", D(60))],
        [
            Item("1.1", "1", 2, AnswerType.YES_NO),
            Item("1.2", "1", 1, AnswerType.YES_NO),
            Item("2.1.1", "2", 1, AnswerType.YES_NO),
            Item("2.1.2", "2", 2, AnswerType.YES_NO, applies_to=frozenset({"opd_pemprov"})),
            Item("2.1.3", "2", 1, AnswerType.YES_NO),
        ],
        [
            RuleAnswer("1.1", "Tidak", Verdict.ACCEPTED),
            RuleAnswer("1.2", "Ya", Verdict.ACCEPTED),
            RuleAnswer("2.1.1", "Tidak", Verdict.ACCEPTED),
            RuleAnswer("2.1.2", "Ya", Verdict.ACCEPTED),
            RuleAnswer("2.1.3", "Ya", Verdict.ACCEPTED),
        ],
        "pemkab_pemkot",
    )
    # 1.1 half credit: (2×0.5 + 1)/3 × 40 = 26,67; indicator 2: 1/2 × 60 = 30.
    assert result.inputs.indicators["2"] == D(30)
    assert expected.indicator("2").score == D(30)
    assert result.score == D("56.6666666666")
    assert result.published == D("56.67")
    assert result.qualification == "Kurang Informatif"


def test_a_group_scoped_to_another_category_counts_nowhere_for_a_body(
    db: Session, factory: Factory
) -> None:
    """One rule of which items a category answers: the SAQ workspace, the verification sheet
    and the ranking leave out the items of a group scoped to another category."""
    from app.questionnaires.models import Indicator as IndicatorRow
    from app.questionnaires.models import Item as ItemRow
    from app.questionnaires.models import ItemGroup
    from app.questionnaires.service import questionnaire_for_body
    from app.verification import service as verification

    _org, cycle = _open_cycle(factory)
    body = targets(db, cycle)["pemkab_pemkot"]
    group = db.scalars(select(ItemGroup).where(ItemGroup.code == "2.1")).one()
    group.category_codes = ["opd_pemprov"]  # the items under it keep "all"
    ind2 = db.scalars(
        select(IndicatorRow).where(
            IndicatorRow.questionnaire_id == group.questionnaire_id, IndicatorRow.code == "2"
        )
    ).one()
    db.add(
        ItemRow(
            questionnaire_id=group.questionnaire_id,
            indicator_id=ind2.id,
            code="2.2",
            text="Informasi serta merta diumumkan",
            weight=1,
            position=99,
        )
    )
    db.flush()
    set_rules(db, cycle)
    submit(db, cycle, body, {"2.1.1": 0, "2.1.3": 0})

    answered = {"1.1", "1.2", "2.2"}
    workspace = questionnaire_for_body(db, cycle, body)
    assert workspace is not None and {i.code for i in workspace.spec.items} == answered
    sheet = verification.load_sheet(db, cycle, body)
    assert {line.item.code for line in sheet.lines} == answered
    # Full credit on every item the body answers: 100, whatever it "answered" under 2.1
    # (counted, 2.1.1 and 2.1.3 at 0 would make indicator 2 one third: 20 + 40 = 60 points).
    assert sheet.scores.verified.total == D(100)
    frame = service.cycle_frame(db, cycle)
    assert service.saq_scores(db, cycle, frame)[body].total == D(100)
    (result,) = [r for r in service.calculate(db, cycle).results if r.body_id == body]
    assert result.score == D(100)


def test_results_are_stored_as_numbered_versions_with_rules_and_inputs(
    db: Session, factory: Factory
) -> None:
    _org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    for body in targets(db, cycle).values():
        submit(db, cycle, body)
    first = service.compute_and_store(db, sek(db, cycle), cycle)
    second = service.compute_and_store(db, sek(db, cycle), cycle)
    assert (first.number, second.number) == (1, 2)
    assert first.rules["formula_version"] == first.formula_version
    assert first.rules["components"] == [["saq", "SAQ", 100]]
    assert ["Informatif", "90.00"] in first.rules["bands"]
    rows = service.stored_rows(db, first)
    assert {r.published for r in rows} == {D("100.00")}
    assert rows[0].inputs["indicators"] == {"1": "40.0000000000", "2": "60.0000000000"}
    assert rows[0].rank == 1


def test_equal_published_scores_share_a_rank_and_the_next_skips(
    db: Session, factory: Factory
) -> None:
    _org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    original = targets(db, cycle)["pemkab_pemkot"]
    bodies = [add_target(factory, db, cycle, "pemkab_pemkot") for _ in range(3)]
    bodies.append(original)
    submit(db, cycle, bodies[0])
    submit(db, cycle, bodies[1], {"1.2": 0})
    submit(db, cycle, bodies[2], {"1.2": 0})
    submit(db, cycle, bodies[3], {"1.1": 0})
    ranking = service.calculate(db, cycle).ranking
    assert [ranking[b].rank for b in bodies] == [1, 2, 2, 4]
    assert ranking[bodies[1]].shares_rank and not ranking[bodies[0]].shares_rank


@pytest.mark.parametrize(
    ("policy", "score", "qualification"),
    [
        (NonSubmitter.TIDAK_INFORMATIF, D("0.00"), "Tidak Informatif"),
        (NonSubmitter.NOT_ASSESSED, None, None),
    ],
)
def test_non_submitters_follow_the_cycle_policy(
    db: Session, factory: Factory, policy: NonSubmitter, score: object, qualification: object
) -> None:
    _org, cycle = _open_cycle(factory)
    set_rules(db, cycle, non_submitter=policy)
    ids = targets(db, cycle)
    submit(db, cycle, ids["opd_pemprov"])
    computation = service.calculate(db, cycle)
    (absent,) = [r for r in computation.results if r.body_id == ids["pemkab_pemkot"]]
    assert (absent.published, absent.qualification) == (score, qualification)
    assert ids["pemkab_pemkot"] not in computation.ranking


def test_a_non_shortlisted_body_keeps_its_saq_and_ranks_below_shortlisted_ones(
    db: Session, factory: Factory
) -> None:
    org, cycle = _open_cycle(factory)
    components = (Component("saq", "SAQ", 70), Component("presentation", "Presentasi", 30))
    set_rules(db, cycle, components=components, shortlist=ShortlistRule(threshold=D(60)))
    strong = targets(db, cycle)["pemkab_pemkot"]
    weak = add_target(factory, db, cycle, "pemkab_pemkot")
    submit(db, cycle, strong, {"1.1": 0, "1.2": 0})  # 60,00 ≥ 60
    submit(db, cycle, weak, {"1.1": 0, "1.2": 0, "2.1.1": 0})  # 30,00
    kom = _komisioner(factory, org)
    preview = {line.body_id: line for line in service.shortlist_preview(db, cycle)}
    assert preview[strong].passes and not preview[weak].passes
    assert preview[weak].margin == D("-30.00")
    with pytest.raises(ValidationFailed, match="komponen belum lengkap"):
        service.publish_shortlist(db, kom, cycle)
        service.calculate(db, cycle)
    assert service.shortlisted_body_ids(db, cycle) == {strong}
    service.save_component_scores(
        db,
        sek(db, cycle),
        cycle,
        [{"body": str(strong), "component": "presentation", "score": "50"}],
    )
    computation = service.calculate(db, cycle)
    by_id = {r.body_id: r for r in computation.results}
    assert by_id[strong].published == D("57.00")  # 0,7 × 60 + 0,3 × 50
    assert by_id[weak].published == D("30.00")
    assert computation.ranking[strong].rank == 1
    with pytest.raises(Conflict):
        service.publish_shortlist(db, kom, cycle)


def test_component_import_is_all_or_nothing_with_row_errors(db: Session, factory: Factory) -> None:
    _org, cycle = _open_cycle(factory)
    components = (Component("saq", "SAQ", 80), Component("visitasi", "Visitasi", 20))
    set_rules(db, cycle, components=components)
    body = targets(db, cycle)["pemkab_pemkot"]
    rows = [
        {"body": str(body), "component": "visitasi", "score": "88,5"},
        {"body": "Badan Tak Dikenal", "component": "visitasi", "score": "101"},
    ]
    with pytest.raises(ValidationFailed) as caught:
        service.save_component_scores(db, sek(db, cycle), cycle, rows)
    assert "Baris 3" in caught.value.message and "Baris 2" not in caught.value.message
    assert service._component_scores(db, cycle) == {}
    assert service.save_component_scores(db, sek(db, cycle), cycle, rows[:1]) == 1
    assert service._component_scores(db, cycle) == {body: {"visitasi": D("88.5")}}


def _publish(db: Session, factory: Factory, org, cycle, **kw):  # type: ignore[no-untyped-def]
    kom = _komisioner(factory, org)
    rs = service.compute_and_store(db, sek(db, cycle), cycle)
    decree = service.draft_decree(db, sek(db, cycle), cycle, rs, **kw)
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1/2025", sk_date="2025-12-01")
    return service.publish_decree(db, kom, cycle, decree)


def test_a_decree_goes_from_draft_to_approved_to_published(db: Session, factory: Factory) -> None:
    org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    for body in targets(db, cycle).values():
        submit(db, cycle, body)
    kom = _komisioner(factory, org)
    rs = service.compute_and_store(db, sek(db, cycle), cycle)
    decree = service.draft_decree(db, sek(db, cycle), cycle, rs)
    with pytest.raises(InvalidTransition):
        service.publish_decree(db, kom, cycle, decree)
    with pytest.raises(Forbidden):
        service.approve_decree(
            db,
            sek(db, cycle).__class__(
                user_id=5, email="", full_name="", is_admin=False, organisation_id=org.id
            ),
            cycle,
            decree,
            sk_number="x",
            sk_date="2025-12-01",
        )
    with pytest.raises(ValidationFailed):
        service.approve_decree(db, kom, cycle, decree, sk_number="", sk_date="kemarin")
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    assert service.public_decree(db, cycle) is None
    service.publish_decree(db, kom, cycle, decree)
    assert service.public_decree(db, cycle) is decree
    assert decree.status == DecreeStatus.PUBLISHED


def test_an_embargoed_decree_is_hidden_until_its_date(db: Session, factory: Factory) -> None:
    org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    kom = _komisioner(factory, org)
    rs = service.compute_and_store(db, sek(db, cycle), cycle)
    decree = service.draft_decree(db, sek(db, cycle), cycle, rs)
    service.approve_decree(db, kom, cycle, decree, sk_number="SK/1", sk_date="2025-12-01")
    until = utcnow() + timedelta(days=2)
    service.publish_decree(db, kom, cycle, decree, embargo_until=until)
    assert service.public_decree(db, cycle) is None
    assert service.public_decree(db, cycle, now=until + timedelta(seconds=1)) is decree


def test_publication_is_refused_while_a_registered_blocker_objects(
    db: Session, factory: Factory
) -> None:
    org, cycle = _open_cycle(factory)
    set_rules(db, cycle)

    def panels_unlocked(db: Session, c: object) -> list[str]:
        return ["Panel Ruang 1 belum dikunci."]

    register_publication_blocker(panels_unlocked)
    try:
        with pytest.raises(InvalidTransition, match="Ruang 1"):
            _publish(db, factory, org, cycle)
    finally:
        unregister_publication_blocker(panels_unlocked)
    assert service.current_decree(db, cycle) is None


def test_an_amended_decree_supersedes_the_old_one_and_the_diff_shows_the_move(
    db: Session, factory: Factory
) -> None:
    org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    first, second = (
        targets(db, cycle)["pemkab_pemkot"],
        add_target(factory, db, cycle, "pemkab_pemkot"),
    )
    submit(db, cycle, first, {"1.2": 0})  # 86,67
    submit(db, cycle, second, {"1.1": 0, "2.1.1": 0})  # 43,33
    old = _publish(db, factory, org, cycle)
    with pytest.raises(ValidationFailed, match="alasan"):
        _publish(db, factory, org, cycle)
    # A verification error is corrected: body `second` had 2.1.1 accepted after all.
    answer_row = db.execute(select(ResultRow).where(ResultRow.body_id == second)).scalars().first()
    assert answer_row is not None and answer_row.rank == 2
    from app.submissions.models import Answer

    for a in db.scalars(select(Answer).where(Answer.body_id == second)):
        a.credit_scaled = 10_000
    db.flush()
    changes = service.diff_against_published(db, cycle, service.calculate(db, cycle).rows())
    by_body = {c.body_id: c for c in changes}
    change = by_body[second]
    assert by_body[first].places_gained == -1
    assert (change.before.published, change.after.published) == (D("43.33"), D("100.00"))  # type: ignore[union-attr]
    assert change.places_gained == 1 and change.qualification_changed
    new = _publish(db, factory, org, cycle, reason="Kesalahan perhitungan butir 2.1.1")
    db.refresh(old)
    assert old.status == DecreeStatus.SUPERSEDED and new.amends_id == old.id
    assert service.current_decree(db, cycle) is new


def test_only_the_sekretariat_computes_and_only_komisioners_publish_the_shortlist(
    db: Session, factory: Factory
) -> None:
    org, cycle = _open_cycle(factory)
    set_rules(db, cycle)
    kom = _komisioner(factory, org)
    with pytest.raises(Forbidden):
        service.compute_and_store(db, kom, cycle)
    with pytest.raises(Forbidden):
        service.publish_shortlist(
            db,
            sek(db, cycle).__class__(
                user_id=9,
                email="",
                full_name="",
                is_admin=False,
                organisation_id=org.id,
                roles=frozenset({Role.SEKRETARIAT}),
            ),
            cycle,
        )  # type: ignore[call-arg]
    assert db.scalars(select(ShortlistEntry)).all() == []


def test_the_award_list_follows_the_cycle_rules_and_special_prizes_are_given_by_hand(
    db: Session, factory: Factory
) -> None:
    from app.cycles.rules import AwardKind, AwardRule

    org, cycle = _open_cycle(factory)
    awards = (
        AwardRule(AwardKind.BAND, "Badan Publik Informatif", band_name="Informatif"),
        AwardRule(AwardKind.TOP_N, "Terbaik", top_n=1),
        AwardRule(
            AwardKind.BEST_INDICATOR,
            "Kualitas Informasi Terbaik",
            indicator_code="1",
            per_category=False,
        ),
        AwardRule(AwardKind.SPECIAL, "Pimpinan Terbaik"),
    )
    set_rules(db, cycle, awards=awards)
    ids = targets(db, cycle)
    submit(db, cycle, ids["pemkab_pemkot"])  # 100
    submit(db, cycle, ids["opd_pemprov"], {"2.1.1": 0})  # indicator 1 also at its maximum
    kom = _komisioner(factory, org)
    with pytest.raises(InvalidTransition):
        service.grant_special_award(
            db, sek(db, cycle), cycle, body_id=ids["opd_pemprov"], name="Pimpinan Terbaik"
        )
    _publish(db, factory, org, cycle)
    with pytest.raises(ValidationFailed):
        service.grant_special_award(
            db, sek(db, cycle), cycle, body_id=ids["opd_pemprov"], name="Terfavorit"
        )
    service.grant_special_award(
        db, sek(db, cycle), cycle, body_id=ids["opd_pemprov"], name="Pimpinan Terbaik"
    )
    found = {(a.name, a.body_id, a.shared) for a in service.award_list(db, cycle)}
    assert ("Informatif", ids["pemkab_pemkot"], False) in found
    assert ("Terbaik 1", ids["opd_pemprov"], False) in found
    # Both reach indicator 1's maximum; the award's tie-break (the SAQ) decides.
    assert ("Kualitas Informasi Terbaik", ids["pemkab_pemkot"], False) in found
    assert ("Kualitas Informasi Terbaik", ids["opd_pemprov"], False) not in found
    assert ("Pimpinan Terbaik", ids["opd_pemprov"], False) in found
    assert not service.awards_reviewed(db, cycle)
    with pytest.raises(Forbidden):
        service.review_awards(
            db,
            sek(db, cycle).__class__(
                user_id=5, email="", full_name="", is_admin=False, organisation_id=org.id
            ),
            cycle,
        )
    service.review_awards(db, kom, cycle)
    assert service.awards_reviewed(db, cycle)


@pytest.mark.parametrize(
    ("web", "published", "qualification"),
    [("79.99", "90.00", "Informatif"), ("79.988", "89.99", "Menuju Informatif")],
)
def test_the_stored_qualification_is_decided_on_the_rounded_score_at_a_band_edge(
    db: Session, factory: Factory, web: str, published: str, qualification: str
) -> None:
    _org, cycle = _open_cycle(factory)
    components = (Component("saq", "SAQ", 50), Component("web", "Cek situs", 50))
    set_rules(db, cycle, components=components)
    body = targets(db, cycle)["pemkab_pemkot"]
    submit(db, cycle, body)  # SAQ 100
    service.save_component_scores(
        db, sek(db, cycle), cycle, [{"body": str(body), "component": "web", "score": web}]
    )
    rs = service.compute_and_store(db, sek(db, cycle), cycle)
    db.expire_all()
    (row,) = [r for r in service.stored_rows(db, rs) if r.body_id == body]
    assert (row.published, row.qualification) == (D(published), qualification)
    assert row.score in ("89.9950000000", "89.9940000000")
