"""Internal monev use-cases: a PPID utama runs the commission machinery for its own units.

The PPID utama gets an organisation of kind `internal`. Its PPID pelaksana units are registered
there as mirror bodies (top-level, category `ppid_pelaksana`), so cycles, SAQ, verification,
results and certificates work unchanged and stay scoped to that organisation. People follow
their commission grants: the PPID utama's operators become sekretariat and verifikator, its
atasan PPID sekretariat and komisioner; each unit's operators and atasan keep their role for the
unit's mirror body. `sync_members` repeats this (idempotent) when people change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import RoleGrant, User
from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.cycles import service as cycles
from app.cycles.access import actor_id, is_staff_of
from app.cycles.models import Cycle, CycleStatus, CycleTarget
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.evidence.models import EvidenceFile
from app.internal.models import (
    InternalMonev,
    InternalUnit,
    LinkedEvidence,
)
from app.orgs.models import Organisation, OrganisationKind
from app.orgs.service import upsert_category
from app.questionnaires import transfer
from app.questionnaires.models import Questionnaire
from app.questionnaires.rules import NodeRow, parse_scope
from app.questionnaires.service import load_tree, questionnaire_for_body, to_rows
from app.results import service as results
from app.submissions import service as saq
from app.submissions.models import Answer, Verdict

UNIT_CATEGORY = "ppid_pelaksana"
LEAD_ROLES: dict[str, tuple[Role, ...]] = {
    Role.OPERATOR: (Role.SEKRETARIAT, Role.VERIFIKATOR),
    Role.ATASAN_PPID: (Role.SEKRETARIAT, Role.KOMISIONER),
}


# --- loaders and access --------------------------------------------------------------------


def internal_of_body(db: Session, body_id: int) -> InternalMonev | None:
    return db.scalar(select(InternalMonev).where(InternalMonev.parent_body_id == body_id))


def _parent(db: Session, monev: InternalMonev) -> Body:
    body = db.get(Body, monev.parent_body_id)
    assert body is not None
    return body


def is_internal_staff(actor: Actor, monev: InternalMonev) -> bool:
    """Staff roles held inside the internal organisation (the PPID utama's people)."""
    return is_staff_of(actor, monev.organisation_id)


def is_owner(db: Session, actor: Actor, monev: InternalMonev) -> bool:
    """The PPID utama's own people, acting in their commission or in the internal organisation."""
    parent = _parent(db, monev)
    return (actor.organisation_id == parent.organisation_id and actor.acts_for_body(parent.id)) or (
        actor.organisation_id == monev.organisation_id and actor.has(Role.SEKRETARIAT)
    )


def get_monev_for_actor(db: Session, actor: Actor, monev_id: int) -> InternalMonev:
    """The internal monev as its owner, its internal staff, or (when shared) the commission sees it.

    Units, other bodies and other commissions get NotFound.
    """
    monev = db.get(InternalMonev, monev_id)
    if monev is None:
        raise NotFound("Monev internal tidak ditemukan.")
    if is_owner(db, actor, monev) or is_internal_staff(actor, monev):
        return monev
    if monev.is_shared and is_staff_of(actor, _parent(db, monev).organisation_id):
        return monev
    raise NotFound("Monev internal tidak ditemukan.")


def get_monev_for_owner(db: Session, actor: Actor, monev_id: int) -> InternalMonev:
    monev = get_monev_for_actor(db, actor, monev_id)
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat mengubah monev internal.")
    return monev


def as_member_of(db: Session, actor: Actor, organisation_id: int) -> Actor:
    """The same person acting in another organisation (their grants there decide the roles)."""
    user = db.get(User, actor.user_id)
    if user is None:
        raise Forbidden("Pengguna tidak dikenal.")
    other = accounts.build_actor(db, user, organisation_id)
    if other.organisation_id != organisation_id:
        raise Forbidden("Anda tidak memiliki peran di organisasi tersebut.")
    return other


# --- starting -----------------------------------------------------------------------------


def units_of(db: Session, parent: Body) -> list[Body]:
    """The active PPID pelaksana units of a PPID utama."""
    return [u for u in saq.units_of(db, parent) if u.is_active]


def start_internal_monev(db: Session, actor: Actor, body_id: int) -> InternalMonev:
    """Create the internal organisation of a PPID utama body, its unit mirrors and roles."""
    parent = db.get(Body, body_id)
    if parent is None or not (
        actor.organisation_id == parent.organisation_id and actor.acts_for_body(parent.id)
    ):
        raise NotFound("Badan publik tidak ditemukan.")
    if parent.parent_id is not None:
        raise ValidationFailed("Monev internal hanya untuk PPID utama, bukan PPID pelaksana.")
    if not units_of(db, parent):
        raise ValidationFailed("Badan publik ini belum memiliki PPID pelaksana.")
    if internal_of_body(db, parent.id) is not None:
        raise Conflict("Monev internal badan publik ini sudah ada.")
    commission = db.get(Organisation, parent.organisation_id)
    assert commission is not None
    slug = f"internal-{parent.id}-" + re.sub(r"[^a-z0-9]+", "-", parent.name.lower()).strip("-")
    org = Organisation(
        slug=slug[:60].rstrip("-"),
        name=f"Monev Internal {parent.name}"[:200],
        short_name=f"Internal {parent.name}"[:60],
        kind=OrganisationKind.INTERNAL,
        timezone=commission.timezone,
    )
    db.add(org)
    db.flush()
    upsert_category(db, org.id, UNIT_CATEGORY, "PPID Pelaksana")
    monev = InternalMonev(
        organisation_id=org.id, parent_body_id=parent.id, created_by_id=actor_id(actor)
    )
    db.add(monev)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=parent.organisation_id,
        action="internal.started",
        object_type="internal_monev",
        object_id=monev.id,
        after={"body_id": parent.id, "organisation_id": org.id},
    )
    sync_members(db, monev)
    return monev


def sync_members(db: Session, monev: InternalMonev) -> int:
    """Mirror the units and grant the people their internal roles; returns the new grants."""
    parent = _parent(db, monev)
    org = db.get(Organisation, monev.organisation_id)
    assert org is not None
    mirrors = {
        u.unit_body_id: u
        for u in db.scalars(select(InternalUnit).where(InternalUnit.internal_monev_id == monev.id))
    }
    pairs: list[tuple[Body, Body]] = []
    for unit in units_of(db, parent):
        link = mirrors.get(unit.id)
        if link is None:
            mirror = Body(
                organisation_id=org.id,
                name=unit.name,
                default_category_code=UNIT_CATEGORY,
                website=unit.website,
                email=unit.email,
                ppid_name=unit.ppid_name,
                ppid_email=unit.ppid_email,
            )
            db.add(mirror)
            db.flush()
            db.add(
                InternalUnit(
                    internal_monev_id=monev.id, unit_body_id=unit.id, mirror_body_id=mirror.id
                )
            )
        else:
            found = db.get(Body, link.mirror_body_id)
            assert found is not None
            mirror = found
        pairs.append((unit, mirror))
    before = _grant_count(db, org.id)
    for grant in _body_grants(db, parent.organisation_id, [parent.id]):
        for role in LEAD_ROLES.get(grant.role, ()):
            accounts.grant_role(db, user=grant.user, organisation=org, role=role)
    for unit, mirror in pairs:
        for grant in _body_grants(db, parent.organisation_id, [unit.id]):
            accounts.grant_role(db, user=grant.user, organisation=org, role=grant.role, body=mirror)
    db.flush()
    return _grant_count(db, org.id) - before


def _grant_count(db: Session, organisation_id: int) -> int:
    return len(
        db.scalars(
            select(RoleGrant.id).where(
                RoleGrant.organisation_id == organisation_id, RoleGrant.revoked_at.is_(None)
            )
        ).all()
    )


def _body_grants(db: Session, organisation_id: int, body_ids: list[int]) -> list[RoleGrant]:
    from sqlalchemy.orm import joinedload

    return list(
        db.scalars(
            select(RoleGrant)
            .options(joinedload(RoleGrant.user))
            .where(
                RoleGrant.organisation_id == organisation_id,
                RoleGrant.body_id.in_(body_ids),
                RoleGrant.revoked_at.is_(None),
            )
        )
    )


def set_shared(db: Session, actor: Actor, monev: InternalMonev, *, shared: bool) -> None:
    """Let the commission of the PPID utama see the internal results (or stop it)."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat mengubah monev internal.")
    before = monev.is_shared
    monev.is_shared = shared
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=monev.organisation_id,
        action="internal.shared" if shared else "internal.unshared",
        object_type="internal_monev",
        object_id=monev.id,
        before={"is_shared": before},
        after={"is_shared": shared},
    )


# --- cycles and the questionnaire copied from the commission --------------------------------


def commission_cycle(db: Session, monev: InternalMonev) -> Cycle | None:
    """The newest open commission cycle that has the PPID utama as a target."""
    parent = _parent(db, monev)
    return db.scalar(
        select(Cycle)
        .join(CycleTarget, CycleTarget.cycle_id == Cycle.id)
        .where(
            Cycle.organisation_id == parent.organisation_id,
            Cycle.status == CycleStatus.OPEN,
            CycleTarget.body_id == parent.id,
        )
        .order_by(Cycle.year.desc(), Cycle.id.desc())
        .limit(1)
    )


def commission_indicators(db: Session, monev: InternalMonev) -> list[tuple[str, str]]:
    """(code, title) of the indicators the commission asks of the PPID utama now."""
    source = commission_cycle(db, monev)
    bq = questionnaire_for_body(db, source, monev.parent_body_id) if source else None
    return [(i.code, i.name) for i in bq.spec.indicators] if bq else []


def rows_for_units(rows: list[NodeRow], category: str, indicators: set[str]) -> list[NodeRow]:
    """The rows that apply to the PPID utama's category (and chosen indicators), for all units."""
    parents = {r.code: r.parent for r in rows}

    def root(code: str) -> str:
        while parents.get(code):
            code = parents[code]
        return code

    kept: list[NodeRow] = []
    codes: set[str] = set()
    for r in rows:  # parents come before their children
        scope = parse_scope(r.applies_to)
        if scope and category not in scope:
            continue
        if (r.parent and r.parent not in codes) or (indicators and root(r.code) not in indicators):
            continue
        r.applies_to = "all"
        kept.append(r)
        codes.add(r.code)
    return kept


def create_internal_cycle(
    db: Session,
    actor: Actor,
    monev: InternalMonev,
    *,
    name: str,
    year: int | str,
    indicator_codes: list[str] | None = None,
) -> Cycle:
    """An internal cycle for all units, starting from the commission's questionnaire (or some of
    its indicators) for the PPID utama's category; editable afterwards in the usual editor."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat membuat siklus internal.")
    inside = as_member_of(db, actor, monev.organisation_id)
    source = commission_cycle(db, monev)
    bq = questionnaire_for_body(db, source, monev.parent_body_id) if source else None
    if source is None or bq is None:
        raise ValidationFailed(
            "Belum ada siklus komisi yang terbuka dengan kuesioner untuk badan publik ini."
        )
    chosen = set(indicator_codes or ())
    unknown = chosen - {i.code for i in bq.spec.indicators}
    if unknown:
        raise ValidationFailed(
            "Indikator tidak dikenal.", field_errors={"indicators": ", ".join(sorted(unknown))}
        )
    sync_members(db, monev)
    cycle = cycles.create_cycle(db, inside, name=name, year=year, fill_from_catalogue=True)
    q = db.get(Questionnaire, bq.questionnaire_id)
    assert q is not None
    rows = rows_for_units(to_rows(load_tree(db, q)), bq.category_code, chosen)
    transfer.import_rows(db, cycle, rows, name=q.name, actor_user_id=actor_id(actor))
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=monev.organisation_id,
        action="internal.cycle_created",
        object_type="cycle",
        object_id=cycle.id,
        after={"source_cycle_id": source.id, "indicators": sorted(chosen)},
    )
    return cycle


def internal_cycles(db: Session, monev: InternalMonev) -> list[Cycle]:
    return list(
        db.scalars(
            select(Cycle)
            .where(Cycle.organisation_id == monev.organisation_id)
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    )


def get_internal_cycle(db: Session, monev: InternalMonev, cycle_id: int) -> Cycle:
    cycle = db.get(Cycle, cycle_id)
    if cycle is None or cycle.organisation_id != monev.organisation_id:
        raise NotFound("Siklus monev internal tidak ditemukan.")
    return cycle


# --- readiness ----------------------------------------------------------------------------


@dataclass
class WeakItem:
    code: str
    text: str
    reason: str  # "belum dijawab" | "ditolak verifikator" | "dijawab tidak"
    asked_by_commission: bool
    commission_item_id: int | None
    files: list[EvidenceFile] = field(default_factory=list)


@dataclass
class UnitReadiness:
    unit: Body  # the commission-side unit
    mirror: Body
    answered: int
    total: int
    weak: list[WeakItem]
    strong_files: dict[str, list[EvidenceFile]]  # item code → files the unit gave for it


def _weak_reason(answer: Answer | None) -> str | None:
    if answer is None or answer.declared in (None, ""):
        return "belum dijawab"
    if answer.verdict == Verdict.REJECTED:
        return "ditolak verifikator"
    if answer.declared_credit_scaled == 0 and answer.verdict == Verdict.PENDING:
        return "dijawab tidak"
    return None


def commission_item_ids(db: Session, monev: InternalMonev) -> dict[str, int]:
    """Item code → item id of what the commission asks of the PPID utama in its open cycle."""
    source = commission_cycle(db, monev)
    asked = questionnaire_for_body(db, source, monev.parent_body_id) if source else None
    return {it.code: it.id for ind in asked.spec.indicators for it in ind.items} if asked else {}


def readiness(db: Session, monev: InternalMonev, cycle: Cycle) -> list[UnitReadiness]:
    """Per unit: the items where it is weak, against what the commission asks of the body."""
    asked_ids = commission_item_ids(db, monev)
    out = []
    for link in db.scalars(
        select(InternalUnit).where(InternalUnit.internal_monev_id == monev.id)
    ).all():
        unit, mirror = db.get(Body, link.unit_body_id), db.get(Body, link.mirror_body_id)
        assert unit is not None and mirror is not None
        bq = questionnaire_for_body(db, cycle, mirror.id)
        if bq is None:
            continue
        answers = {
            a.item_id: a
            for a in db.scalars(
                select(Answer).where(Answer.cycle_id == cycle.id, Answer.body_id == mirror.id)
            )
        }
        files = saq.evidence_by_item(db, cycle.id, mirror)
        weak, strong, total = [], {}, 0
        for ind in bq.spec.indicators:
            for it in ind.items:
                total += 1
                reason = _weak_reason(answers.get(it.id))
                if reason is not None:
                    weak.append(
                        WeakItem(
                            it.code, it.text, reason, it.code in asked_ids, asked_ids.get(it.code)
                        )
                    )
                elif files.get(it.id):
                    strong[it.code] = files[it.id]
        answered = sum(1 for a in answers.values() if a.declared)
        out.append(UnitReadiness(unit, mirror, answered, total, weak, strong))
    return sorted(out, key=lambda r: (-len(r.weak), r.unit.name))


# --- unit evidence linked into the PPID utama's own commission SAQ ---------------------------


def link_unit_evidence(
    db: Session, actor: Actor, monev: InternalMonev, *, evidence_file_id: int, item_id: int
) -> LinkedEvidence:
    """Link (not copy) a unit's internal evidence file to an item of the body's commission SAQ."""
    if not is_owner(db, actor, monev):
        raise Forbidden("Hanya operator atau atasan PPID utama yang dapat menautkan data dukung.")
    parent = _parent(db, monev)
    source = commission_cycle(db, monev)
    if source is None:
        raise ValidationFailed("Belum ada siklus komisi yang terbuka untuk badan publik ini.")
    outside = as_member_of(db, actor, parent.organisation_id)
    ws = saq.get_workspace(db, outside, source.id, parent.id)
    ind, _ = ws.find_item(item_id)
    if not ws.is_draft:
        raise Conflict("SAQ sudah dikirim; data dukung tidak dapat ditambah.")
    if ind.id not in ws.fillable:
        raise Forbidden("Anda tidak ditugasi mengisi indikator ini.")
    ef = db.get(EvidenceFile, evidence_file_id)
    unit = db.scalar(
        select(InternalUnit).where(
            InternalUnit.internal_monev_id == monev.id,
            InternalUnit.mirror_body_id == (ef.body_id if ef else -1),
        )
    )
    if ef is None or unit is None or not ef.is_current:
        raise NotFound("Data dukung unit tidak ditemukan.")
    exists = db.scalar(
        select(LinkedEvidence).where(
            LinkedEvidence.cycle_id == source.id,
            LinkedEvidence.body_id == parent.id,
            LinkedEvidence.item_id == item_id,
            LinkedEvidence.evidence_file_id == ef.id,
        )
    )
    if exists is not None:
        raise Conflict("Data dukung ini sudah ditautkan ke butir tersebut.")
    link = LinkedEvidence(
        organisation_id=parent.organisation_id,
        cycle_id=source.id,
        body_id=parent.id,
        item_id=item_id,
        evidence_file_id=ef.id,
        source_unit_body_id=unit.unit_body_id,
        linked_by_id=actor_id(actor),
    )
    db.add(link)
    db.flush()
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=parent.organisation_id,
        action="internal.evidence_linked",
        object_type="linked_evidence",
        object_id=link.id,
        after={"item_id": item_id, "evidence_file_id": ef.id, "unit_body_id": unit.unit_body_id},
    )
    return link


# --- results ------------------------------------------------------------------------------


@dataclass
class RankLine:
    rank: int | None
    name: str
    score: Decimal | None
    qualification: str


def ranking(db: Session, cycle: Cycle) -> list[RankLine]:
    """The units in rank order from the cycle's current decree (empty before one exists)."""
    decree = results.current_decree(db, cycle)
    if decree is None:
        return []
    rs = results.get_result_set(db, cycle, decree.result_set_id)
    rows = results.stored_rows(db, rs)
    names = {
        b.id: b.name
        for b in db.scalars(select(Body).where(Body.organisation_id == cycle.organisation_id))
    }
    lines = [
        RankLine(r.rank, names.get(r.body_id, ""), r.published, r.qualification or "") for r in rows
    ]
    return sorted(lines, key=lambda ln: (ln.rank is None, ln.rank or 0, ln.name))


# --- pages --------------------------------------------------------------------------------


def startable_bodies(db: Session, actor: Actor) -> list[tuple[Body, InternalMonev | None]]:
    """The PPID utama bodies the actor speaks for here, with their internal monev if started."""
    if not actor.body_ids:
        return []
    bodies = db.scalars(
        select(Body)
        .where(
            Body.id.in_(actor.body_ids),
            Body.organisation_id == actor.organisation_id,
            Body.parent_id.is_(None),
        )
        .order_by(Body.name)
    ).all()
    return [(b, internal_of_body(db, b.id)) for b in bodies if units_of(db, b)]


def visible_monevs(db: Session, actor: Actor) -> list[tuple[InternalMonev, Body]]:
    """Internal monevs the actor may open: its own organisation's, or shared with its commission."""
    out = []
    for monev in db.scalars(select(InternalMonev).order_by(InternalMonev.id)):
        try:
            get_monev_for_actor(db, actor, monev.id)
        except NotFound:
            continue
        out.append((monev, _parent(db, monev)))
    return out


def parent_of(db: Session, monev: InternalMonev) -> Body:
    return _parent(db, monev)


def unit_pairs(db: Session, monev: InternalMonev) -> list[tuple[Body, Body]]:
    """(unit, mirror) for each unit of the internal monev, by name."""
    pairs = []
    for link in db.scalars(select(InternalUnit).where(InternalUnit.internal_monev_id == monev.id)):
        unit, mirror = db.get(Body, link.unit_body_id), db.get(Body, link.mirror_body_id)
        assert unit is not None and mirror is not None
        pairs.append((unit, mirror))
    return sorted(pairs, key=lambda p: p[0].name)
