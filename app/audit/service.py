"""Append to and verify the audit trail."""

from __future__ import annotations

import threading
import weakref
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from app.audit.models import AuditEvent
from app.audit.rules import GENESIS, Change, chain_hash, changes, jsonable
from app.db import utcnow

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


# Built once: every write request runs them (see `seal`).
_LOCK = text("SELECT pg_advisory_xact_lock(727001)")
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def _lock_chain(db: Session) -> None:
    """Serialise sealing so two transactions never fork the chain (held until commit)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_LOCK)


# Records wait in the session until its commit (or until something reads the trail): only then
# is the chain's lock taken, so concurrent writers are serialised for the few milliseconds of the
# commit and not for the whole of their requests.
_PENDING = "audit_pending"


def record(
    db: Session,
    *,
    actor_user_id: int | None,
    organisation_id: int | None,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit record to the session's transaction; it is chained to the last record
    when the transaction commits (see `seal`), so it gets its id and hash then."""
    ev = AuditEvent(
        at=utcnow(),
        actor_user_id=actor_user_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=jsonable(before),
        after=jsonable(after),
        request_id=request_id_var.get(),
    )
    txn = db.get_nested_transaction() or db.get_transaction()
    db.info.setdefault(_PENDING, []).append((ev, txn))
    return ev


def seal(db: Session) -> None:
    """Chain the session's waiting records to the last record and insert them, under the chain's
    lock (taken here and held until the transaction ends)."""
    pending: list[tuple[AuditEvent, SessionTransaction | None]] = db.info.pop(_PENDING, [])
    if not pending:
        return
    savepoint = db.get_nested_transaction()
    if savepoint is not None:  # kept to be queued again if the savepoint alone is rolled back
        db.info.setdefault(_SEALED_IN_SAVEPOINT, []).extend(
            (_copy(ev), txn, savepoint) for ev, txn in pending if not _within(txn, savepoint)
        )
    _lock_chain(db)
    last = db.execute(_LAST_HASH).scalar()
    prev = last or GENESIS
    for ev, _txn in pending:
        ev.prev_hash = prev
        ev.hash = prev = _hash_of(ev, prev)
        db.add(ev)
    db.flush()


_SEALED_IN_SAVEPOINT = "audit_sealed_in_savepoint"
_FIELDS = (
    "at",
    "actor_user_id",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "request_id",
)


def _copy(ev: AuditEvent) -> AuditEvent:
    return AuditEvent(**{f: getattr(ev, f) for f in _FIELDS})


def _hash_of(ev: AuditEvent, prev_hash: str) -> str:
    """The hash a record has when chained after `prev_hash`."""
    return chain_hash(
        prev_hash=prev_hash,
        at=ev.at,
        actor_user_id=ev.actor_user_id,
        organisation_id=ev.organisation_id,
        action=ev.action,
        object_type=ev.object_type,
        object_id=ev.object_id,
        before=ev.before,
        after=ev.after,
        request_id=ev.request_id,
    )


# Whether a statement reads the trail, per statement object: asked for every read a writing
# request makes after recording (a verdict's response reads its whole sheet), and walking a
# statement costs ~0.1 ms, while the statements built once per process are the same objects
# each time. Held weakly: a statement built for one call is forgotten with it.
_reads_trail_of: weakref.WeakKeyDictionary[ClauseElement, bool] = weakref.WeakKeyDictionary()
_reads_trail_lock = threading.Lock()


def _reads_trail(state: ORMExecuteState) -> bool:
    stmt = state.statement
    if not isinstance(stmt, ClauseElement):
        return any(m.class_ is AuditEvent for m in state.all_mappers)
    found = _reads_trail_of.get(stmt)
    if found is None:
        found = any(m.class_ is AuditEvent for m in state.all_mappers) or (
            AuditEvent.__table__ in find_tables(stmt)
        )
        with _reads_trail_lock:
            _reads_trail_of[stmt] = found
    return found


@event.listens_for(Session, "do_orm_execute")
def _seal_before_reading(state: ORMExecuteState) -> None:
    """A transaction that reads the trail sees its own records, chained (as before a commit)."""
    if state.session.info.get(_PENDING) and state.is_select and _reads_trail(state):
        seal(state.session)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    seal(session)


def _within(txn: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ended:
            return True
        txn = txn.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Records made inside a rolled-back transaction or savepoint never happened; records made
    outside a savepoint but chained inside it (the trail was read there) wait again."""
    sealed = session.info.get(_SEALED_IN_SAVEPOINT, [])
    again = [
        (ev, txn)
        for ev, txn, savepoint in sealed
        if _within(savepoint, previous_transaction) and not _within(txn, previous_transaction)
    ]
    session.info[_SEALED_IN_SAVEPOINT] = [
        s for s in sealed if not _within(s[2], previous_transaction)
    ]
    pending = again + session.info.get(_PENDING, [])
    session.info[_PENDING] = [p for p in pending if not _within(p[1], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_SEALED_IN_SAVEPOINT, None)


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(db: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in order and report the first record that does not fit."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked=checked, broken_at=None)
        for ev in rows:
            if ev.prev_hash != prev:
                return ChainReport(
                    checked, ev.id, "prev_hash tidak cocok dengan rekaman sebelumnya"
                )
            if _hash_of(ev, ev.prev_hash) != ev.hash:
                return ChainReport(checked, ev.id, "isi rekaman tidak sesuai dengan hash-nya")
            prev = ev.hash
            checked += 1
            last_id = ev.id
        db.expunge_all()


def timeline(db: Session, object_type: str, object_id: Any, limit: int = 200) -> list[AuditEvent]:
    """The audit records of one object, oldest first."""
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id)
            .limit(limit)
        )
    )


# --- reading the trail for people -------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    actor_name: str
    changes: list[Change]


PAGE_SIZE = 50


def _entries(db: Session, events: list[AuditEvent]) -> list[TimelineEntry]:
    from app.accounts.models import User

    ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    names: dict[int, str] = (
        {
            uid: name
            for uid, name in db.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [
        TimelineEntry(
            e,
            names.get(e.actor_user_id, "Sistem") if e.actor_user_id else "Sistem",
            changes(e.before, e.after),
        )
        for e in events
    ]


def organisation_timeline(
    db: Session,
    organisation_id: int,
    *,
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[TimelineEntry]:
    """A commission's audit records, newest first, optionally for one object or action prefix;
    paginated by id (`before_id`), never counting the whole trail."""
    q = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if object_type:
        q = q.where(AuditEvent.object_type == object_type)
    if object_id:
        q = q.where(AuditEvent.object_id == object_id)
    if action:
        q = q.where(AuditEvent.action.startswith(action, autoescape=True))
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    events = list(db.scalars(q.order_by(AuditEvent.id.desc()).limit(limit)))
    return _entries(db, events)


def object_types(db: Session, organisation_id: int) -> list[str]:
    """The kinds of object a commission's trail mentions (for the filter)."""
    return list(
        db.scalars(
            select(AuditEvent.object_type)
            .where(AuditEvent.organisation_id == organisation_id)
            .distinct()
            .order_by(AuditEvent.object_type)
        )
    )


def submission_timeline(
    db: Session, organisation_id: int, cycle_id: int, body_id: int, *, limit: int = 1000
) -> list[TimelineEntry]:
    """What happened to one body's SAQ in a cycle, oldest first, as the body may see it: the
    submission, its answers as saved, its files and links, its clarifications and appeals.
    People outside the body are shown as the commission (never by name)."""
    from sqlalchemy import or_

    from app.accounts.models import RoleGrant
    from app.evidence.models import EvidenceFile
    from app.submissions.models import Answer, AnswerLink, Submission
    from app.verification.models import Appeal, Clarification

    def ids(q: Any) -> list[str]:
        return [str(i) for i in db.scalars(q)]

    mine = (Answer.cycle_id == cycle_id) & (Answer.body_id == body_id)
    objects = {
        "submission": ids(
            select(Submission.id).where(
                Submission.cycle_id == cycle_id, Submission.body_id == body_id
            )
        ),
        "evidence_file": ids(
            select(EvidenceFile.id).where(
                EvidenceFile.cycle_id == cycle_id, EvidenceFile.body_id == body_id
            )
        ),
        "answer_link": ids(
            select(AnswerLink.id).where(
                AnswerLink.cycle_id == cycle_id, AnswerLink.body_id == body_id
            )
        ),
        "clarification": ids(
            select(Clarification.id).where(
                Clarification.cycle_id == cycle_id, Clarification.body_id == body_id
            )
        ),
        "appeal": ids(
            select(Appeal.id).where(Appeal.cycle_id == cycle_id, Appeal.body_id == body_id)
        ),
    }
    answers = ids(select(Answer.id).where(mine))
    conditions = [
        (AuditEvent.object_type == kind) & AuditEvent.object_id.in_(found)
        for kind, found in objects.items()
        if found
    ]
    if answers:  # the body's own edits; verdicts are shown on the published verification
        conditions.append(
            (AuditEvent.object_type == "answer")
            & AuditEvent.object_id.in_(answers)
            & AuditEvent.action.startswith("submission.")
        )
    if not conditions:
        return []
    events = list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.organisation_id == organisation_id, or_(*conditions))
            .order_by(AuditEvent.id)
            .limit(limit)
        )
    )
    entries = _entries(db, events)
    from app.bodies.models import Body

    units = select(Body.id).where(Body.parent_id == body_id)
    people = set(  # the body's and its PPID pelaksana units' own people
        db.scalars(
            select(RoleGrant.user_id).where(
                (RoleGrant.body_id == body_id) | RoleGrant.body_id.in_(units)
            )
        )
    )
    return [
        e
        if e.event.actor_user_id in people
        else TimelineEntry(
            e.event, "Komisi Informasi" if e.event.actor_user_id else "Sistem", e.changes
        )
        for e in entries
    ]
