from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.service import timeline
from app.cycles import categories, schedule
from app.cycles.access import system_actor
from app.cycles.models import Cycle, StageExtension
from app.cycles.schedule import StageEntry
from app.errors import DeadlinePassed, Forbidden, InvalidTransition, ValidationFailed
from app.orgs.models import Organisation
from tests.factories import Factory
from tests.sql import counting

DAY = timedelta(days=1)


def plan(db: Session, org: Organisation, cycle: Cycle, rows: list[tuple[str, str, str]]) -> None:
    entries = [StageEntry(c, True, str(i), o, cl) for i, (c, o, cl) in enumerate(rows, start=1)]
    schedule.save_stages(db, system_actor(org.id), cycle, entries)


def test_stage_times_are_entered_in_the_commission_zone(factory: Factory, db: Session) -> None:
    org = factory.commission(timezone="Asia/Makassar")
    cycle = factory.cycle(org, ready=False)
    plan(db, org, cycle, [("saq", "2025-09-01T08:00", "2025-09-19T23:59")])
    (saq,) = schedule.stages_of(db, cycle)
    assert saq.opens_at == datetime(2025, 9, 1, 0, 0, tzinfo=UTC)
    assert saq.closes_at == datetime(2025, 9, 19, 15, 59, tzinfo=UTC)
    rows = schedule.planner_rows(db, cycle)
    assert (rows[0].code, rows[0].opens, rows[0].closes) == (
        "saq",
        "2025-09-01T08:00",
        "2025-09-19T23:59",
    )
    assert not any(r.selected for r in rows[1:])
    assert [a.action for a in timeline(db, "cycle", cycle.id)][-1] == "cycle.stages_saved"


def test_stages_follow_the_typed_positions(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    entries = [
        StageEntry("presentation", True, "3"),
        StageEntry("visitasi", True, "2"),
        StageEntry("saq", True, "1"),
        StageEntry("award", False),
    ]
    schedule.save_stages(db, system_actor(org.id), cycle, entries)
    assert [s.code for s in schedule.stages_of(db, cycle)] == ["saq", "visitasi", "presentation"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("verification", "", ""), ("saq", "", "")], "Tahap SAQ harus sebelum tahap Verifikasi."),
        ([("saq", "2025-09-10T00:00", "2025-09-01T00:00")], "waktu tutup harus setelah waktu buka"),
        ([("verification", "", "")], "Tahap SAQ wajib ada"),
    ],
)
def test_a_wrong_plan_is_refused_with_its_reason(
    factory: Factory, db: Session, rows: list[tuple[str, str, str]], message: str
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    with pytest.raises(ValidationFailed, match=message):
        plan(db, org, cycle, rows)


def test_an_unreadable_time_is_a_field_error(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    with pytest.raises(ValidationFailed) as exc:
        plan(db, org, cycle, [("saq", "kemarin", "")])
    assert "saq.opens" in exc.value.field_errors


def test_only_the_sekretariat_plans_stages(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER), org)
    with pytest.raises(Forbidden):
        schedule.save_stages(db, komisioner, cycle, [StageEntry("saq", True)])


def test_a_begun_stage_keeps_its_opening_in_an_open_cycle(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    rows = schedule.planner_rows(db, cycle)
    saq = next(r for r in rows if r.code == "saq")
    saq.opens = "2030-01-01T00:00"
    with pytest.raises(ValidationFailed, match="waktu bukanya tidak dapat diubah"):
        schedule.save_stages(db, system_actor(org.id), cycle, rows)
    rows = schedule.planner_rows(db, cycle)
    next(r for r in rows if r.code == "registration").selected = False
    with pytest.raises(ValidationFailed, match="sudah berjalan dan tidak dapat dihapus"):
        schedule.save_stages(db, system_actor(org.id), cycle, rows)


def test_the_gate_needs_an_open_cycle_and_an_open_stage(factory: Factory, db: Session) -> None:
    org = factory.commission()
    draft = factory.cycle(org)
    with pytest.raises(InvalidTransition, match="belum dibuka"):
        schedule.require_stage_open(db, draft, "saq")
    cycle = factory.cycle(org, is_open=True)
    window = schedule.require_stage_open(db, cycle, "saq")
    assert window.code == "saq"
    with pytest.raises(InvalidTransition, match="Tahap Verifikasi baru dibuka"):
        schedule.require_stage_open(db, cycle, "verification")
    with pytest.raises(InvalidTransition, match="tidak ada dalam siklus"):
        schedule.require_stage_open(db, cycle, "visitasi")


def test_a_closed_stage_names_its_deadline_in_the_commission_zone(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    plan(db, org, cycle, [("saq", "2025-09-01T08:00", "2025-09-19T23:59")])
    cycle.status = "open"
    after = datetime(2025, 9, 20, tzinfo=UTC)
    with pytest.raises(DeadlinePassed) as exc:
        schedule.require_stage_open(db, cycle, "saq", now=after)
    assert exc.value.message == "Tahap SAQ ditutup 19 September 2025 23.59 WIB."
    with pytest.raises(
        InvalidTransition, match=r"Tahap SAQ baru dibuka 1 September 2025 08\.00 WIB"
    ):
        schedule.require_stage_open(db, cycle, "saq", now=datetime(2025, 8, 1, tzinfo=UTC))


def test_an_unscheduled_stage_is_not_open(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    cycle.status = "open"
    with pytest.raises(InvalidTransition, match="belum dijadwalkan"):
        schedule.require_stage_open(db, cycle, "saq")


def _close_saq(db: Session, cycle: Cycle) -> datetime:
    saq = schedule.get_stage(db, cycle, "saq")
    assert saq is not None and saq.closes_at is not None
    return saq.closes_at


def test_an_extension_for_a_body_lets_only_that_body_in(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    late = _close_saq(db, cycle) + DAY
    bodies = categories.list_targets(db, cycle)
    ext = schedule.add_extension(
        db,
        system_actor(org.id),
        cycle,
        stage_code="saq",
        closes=(late + 2 * DAY).astimezone(UTC).strftime("%Y-%m-%dT%H:%M+00:00"),
        reason="Server daerah padam",
        decision_ref="Keputusan Pleno No. 12/2025",
        body_id=bodies[0].id,
    )
    window = schedule.require_stage_open(db, cycle, "saq", body_id=bodies[0].id, now=late)
    assert window.extension is not None and window.extension.id == ext.id
    with pytest.raises(DeadlinePassed):
        schedule.require_stage_open(db, cycle, "saq", body_id=bodies[1].id, now=late)
    with pytest.raises(DeadlinePassed, match="termasuk perpanjangan"):
        schedule.require_stage_open(db, cycle, "saq", body_id=bodies[0].id, now=late + 3 * DAY)
    moment = schedule.current_stage(db, cycle, now=late, body_id=bodies[0].id)
    assert moment.current is not None and moment.current.code == "saq"
    everyone = schedule.current_stage(db, cycle, now=late).current
    assert everyone is not None and everyone.code == "verification"
    actions = [a.action for a in timeline(db, "cycle", cycle.id)]
    assert "stage.extended" in actions


def test_an_extension_for_a_category_reaches_its_bodies_until_revoked(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    late = _close_saq(db, cycle) + DAY
    cat = categories.categories_of(db, cycle)[0]
    inside = categories.list_targets(db, cycle, cat)[0]
    outside = categories.list_targets(db, cycle, categories.categories_of(db, cycle)[1])[0]
    ext = schedule.add_extension(
        db,
        system_actor(org.id),
        cycle,
        stage_code="saq",
        closes=schedule.to_local_input(late + DAY, org.timezone),
        reason="Banyak desa kesulitan jaringan",
        decision_ref="Pleno 3 Oktober 2025",
        category_id=cat.id,
    )
    schedule.require_stage_open(db, cycle, "saq", body_id=inside.id, now=late)
    with pytest.raises(DeadlinePassed):
        schedule.require_stage_open(db, cycle, "saq", body_id=outside.id, now=late)
    schedule.revoke_extension(db, system_actor(org.id), cycle, ext.id)
    with pytest.raises(DeadlinePassed):
        schedule.require_stage_open(db, cycle, "saq", body_id=inside.id, now=late)
    with pytest.raises(InvalidTransition):
        schedule.revoke_extension(db, system_actor(org.id), cycle, ext.id)
    assert schedule.extension_target_name(db, ext) == f"Kategori {cat.name}"


def test_a_bad_extension_is_explained_field_by_field(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    cat = categories.categories_of(db, cycle)[0]
    with pytest.raises(ValidationFailed) as exc:
        schedule.add_extension(
            db,
            system_actor(org.id),
            cycle,
            stage_code="saq",
            closes="2000-01-01T00:00",
            reason=" ",
            decision_ref="",
            body_id=body.id,
        )
    assert set(exc.value.field_errors) == {"closes", "reason", "decision_ref"}
    with pytest.raises(ValidationFailed) as exc:
        schedule.add_extension(
            db,
            system_actor(org.id),
            cycle,
            stage_code="saq",
            closes="2100-01-01T00:00",
            reason="x",
            decision_ref="y",
            body_id=body.id,
            category_id=cat.id,
        )
    assert "target" in exc.value.field_errors
    stranger = factory.body(org)
    with pytest.raises(ValidationFailed) as exc:
        schedule.add_extension(
            db,
            system_actor(org.id),
            cycle,
            stage_code="visitasi",
            closes="2100-01-01T00:00",
            reason="x",
            decision_ref="y",
            body_id=stranger.id,
        )
    assert set(exc.value.field_errors) == {"stage_code", "target"}


def test_a_request_reads_stages_and_extensions_once_and_never_stale(
    factory: Factory, db: Session, engine: Engine
) -> None:
    """Several services ask for the stages and a body's extensions in one request (the SAQ page
    did 2 + 3 times): read once per session, yet never stale after a change."""
    org = factory.commission()
    cycle = factory.cycle(org, is_open=True)
    body = categories.list_targets(db, cycle)[0]
    late = _close_saq(db, cycle) + DAY
    db.flush()
    with counting(engine) as counter:
        for _ in range(3):
            schedule.current_stage(db, cycle, body_id=body.id, now=late)
            with pytest.raises(DeadlinePassed):
                schedule.require_stage_open(db, cycle, "saq", body_id=body.id, now=late)
    # the body's extensions only: the stages were read by _close_saq above, in this session
    assert [s.split()[1] for s in counter.statements] == ["stage_extensions.id,"]
    # an extension added but not yet flushed is read back: the memo is not used then (the
    # query's autoflush writes it first)
    saq = schedule.get_stage(db, cycle, "saq")
    assert saq is not None
    db.add(
        StageExtension(
            stage_id=saq.id,
            body_id=body.id,
            closes_at=late + DAY,
            reason="Jaringan padam",
            decision_ref="Pleno 1/2025",
        )
    )
    window = schedule.require_stage_open(db, cycle, "saq", body_id=body.id, now=late)
    assert window.extension is not None
    # and a bulk write forgets what was read
    db.execute(update(StageExtension).values(revoked_at=late))
    with pytest.raises(DeadlinePassed):
        schedule.require_stage_open(db, cycle, "saq", body_id=body.id, now=late)
