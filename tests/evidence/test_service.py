"""Evidence use-cases on the real database: storing once, versions, loaders, link checks."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.models import AuditEvent
from app.bodies.models import Body
from app.errors import Forbidden, NotFound, ValidationFailed
from app.evidence import service
from app.evidence.models import EvidenceBlob, EvidenceFile, LinkCheck
from app.evidence.rules import PHOTO, UploadPolicy
from app.evidence.storage import Storage, blob_key
from app.evidence.upload import StagedUpload, stage_stream
from app.jobs.models import Job
from tests.evidence import pdfs
from tests.evidence.conftest import WebServer, staged_files
from tests.factories import Factory


def _stage(data: bytes, name: str = "sk.pdf", policy: UploadPolicy | None = None) -> StagedUpload:
    return stage_stream(io.BytesIO(data), name, policy or UploadPolicy())


class World:
    def __init__(self, factory: Factory) -> None:
        self.org = factory.commission()
        self.other_org = factory.commission()
        self.body = factory.body(self.org)
        self.unit = factory.body(self.org, parent_id=self.body.id)
        self.other_body = factory.body(self.org)
        self.foreign_body = factory.body(self.other_org)
        f = factory
        self.operator = f.actor(f.user(self.org, Role.OPERATOR, body=self.body), self.org)
        self.atasan = f.actor(f.user(self.org, Role.ATASAN_PPID, body=self.body), self.org)
        self.unit_operator = f.actor(f.user(self.org, Role.OPERATOR, body=self.unit), self.org)
        self.other_operator = f.actor(
            f.user(self.org, Role.OPERATOR, body=self.other_body), self.org
        )
        self.sekretariat = f.actor(f.user(self.org, Role.SEKRETARIAT), self.org)
        self.foreign_sekretariat = f.actor(f.user(self.other_org, Role.SEKRETARIAT), self.other_org)
        self.verifikator = f.actor(f.user(self.org, Role.VERIFIKATOR), self.org)


@pytest.fixture
def w(factory: Factory) -> World:
    return World(factory)


def _save(db: Session, actor: Actor, body: Body, data: bytes, **kw: object) -> EvidenceFile:
    return service.save_evidence(db, actor, body, _stage(data), **kw)  # type: ignore[arg-type]


def test_the_same_bytes_are_stored_once_across_bodies(
    db: Session, w: World, storage: Storage
) -> None:
    data = pdfs.pdf(text="SOP layanan")
    a = _save(db, w.operator, w.body, data)
    b = _save(db, w.other_operator, w.other_body, data)
    assert a.blob_sha256 == b.blob_sha256
    assert db.scalar(select(func.count()).select_from(EvidenceBlob)) == 1
    assert storage.exists(blob_key(a.blob_sha256))
    assert (a.body_id, b.body_id) == (w.body.id, w.other_body.id)
    assert staged_files(storage) == []


def test_a_file_keeps_its_display_name_kind_and_uploader(db: Session, w: World) -> None:
    ef = _save(db, w.atasan, w.body, pdfs.pdf(), cycle_id=3, item_id=44)
    assert ef.original_name == "sk.pdf"
    assert ef.content_type == "application/pdf"
    assert ef.uploaded_by_id == w.atasan.user_id
    assert (ef.cycle_id, ef.item_id) == (3, 44)
    assert ef.organisation_id == w.org.id


def test_storing_is_audited(db: Session, w: World) -> None:
    ef = _save(db, w.operator, w.body, pdfs.pdf())
    ev = db.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "evidence_file", AuditEvent.object_id == str(ef.id)
        )
    ).one()
    assert ev.action == "evidence.uploaded"
    assert ev.after is not None and ev.after["sha256"] == ef.blob_sha256


def test_a_new_version_supersedes_the_old_one_and_keeps_its_item(db: Session, w: World) -> None:
    old = _save(db, w.operator, w.body, pdfs.pdf(text="v1"), cycle_id=1, item_id=9)
    new = _save(db, w.operator, w.body, pdfs.pdf(text="v2"), replaces=old)
    assert old.superseded_by_id == new.id and not old.is_current
    assert (new.cycle_id, new.item_id) == (1, 9)
    assert [f.id for f in service.list_files(db, w.body)] == [new.id, old.id]
    assert [f.id for f in service.list_files(db, w.body, include_old=False)] == [new.id]


def test_an_old_version_or_another_bodys_file_cannot_be_replaced(db: Session, w: World) -> None:
    old = _save(db, w.operator, w.body, pdfs.pdf(text="v1"))
    _save(db, w.operator, w.body, pdfs.pdf(text="v2"), replaces=old)
    with pytest.raises(ValidationFailed, match="bukan versi terbaru"):
        _save(db, w.operator, w.body, pdfs.pdf(text="v3"), replaces=old)
    theirs = _save(db, w.other_operator, w.other_body, pdfs.pdf(text="lain"))
    with pytest.raises(ValidationFailed):
        service.parse_replaces(db, w.body, str(theirs.id))
    with pytest.raises(ValidationFailed):
        service.parse_replaces(db, w.body, "abc")
    assert service.parse_replaces(db, w.body, " ") is None


def test_a_refused_store_leaves_no_staged_file(db: Session, w: World, storage: Storage) -> None:
    with pytest.raises(Forbidden):
        service.save_evidence(db, w.sekretariat, w.body, _stage(pdfs.pdf()))
    assert staged_files(storage) == []
    assert db.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_an_items_allowlist_is_the_callers(db: Session, w: World) -> None:
    photo = service.item_policy(PHOTO, 2 * 1024 * 1024)
    with pytest.raises(ValidationFailed, match="JPEG atau PNG"):
        _stage(pdfs.pdf(), policy=photo)
    staged = _stage(pdfs.png_image(), "foto ruang layanan.png", photo)
    ef = service.save_evidence(db, w.operator, w.body, staged)
    assert ef.content_type == "image/png"


# --- loaders --------------------------------------------------------------------------------


def test_the_bodys_people_upload_others_are_refused_or_see_nothing(db: Session, w: World) -> None:
    assert service.get_body_for_upload(db, w.operator, w.body.id) is w.body
    assert service.get_body_for_upload(db, w.atasan, w.body.id) is w.body
    with pytest.raises(Forbidden):
        service.get_body_for_upload(db, w.sekretariat, w.body.id)
    with pytest.raises(Forbidden):  # the PPID utama reads its unit's files but does not upload
        service.get_body_for_upload(db, w.operator, w.unit.id)
    for outsider in (w.other_operator, w.foreign_sekretariat, w.verifikator):
        with pytest.raises(NotFound):
            service.get_body_for_upload(db, outsider, w.body.id)
    with pytest.raises(NotFound):
        service.get_body_for_upload(db, w.operator, 999_999)


def test_an_inactive_body_takes_no_new_files(db: Session, w: World) -> None:
    w.body.is_active = False
    with pytest.raises(Forbidden, match="tidak aktif"):
        service.get_body_for_upload(db, w.operator, w.body.id)


def test_a_file_is_readable_by_its_body_ppid_utama_and_sekretariat_only(
    db: Session, w: World
) -> None:
    ef = _save(db, w.unit_operator, w.unit, pdfs.pdf())
    for reader in (w.unit_operator, w.operator, w.sekretariat):
        assert service.get_evidence_file_for_actor(db, reader, ef.id) is ef
    for outsider in (w.other_operator, w.foreign_sekretariat, w.verifikator):
        with pytest.raises(NotFound):
            service.get_evidence_file_for_actor(db, outsider, ef.id)
    with pytest.raises(NotFound):
        service.get_evidence_file_for_actor(db, w.operator, 999_999)
    with pytest.raises(NotFound):
        service.get_body_for_evidence(db, w.foreign_sekretariat, w.unit.id)


def test_a_file_whose_record_disagrees_with_its_body_is_hidden(db: Session, w: World) -> None:
    ef = _save(db, w.operator, w.body, pdfs.pdf())
    ef.organisation_id = w.other_org.id  # a corrupted row must not leak across tenants
    with pytest.raises(NotFound):
        service.get_evidence_file_for_actor(db, w.operator, ef.id)


def test_a_missing_blob_object_is_stored_again(db: Session, w: World, storage: Storage) -> None:
    data = pdfs.pdf()
    ef = _save(db, w.operator, w.body, data)
    storage.delete(blob_key(ef.blob_sha256))
    _save(db, w.operator, w.body, data)
    assert b"".join(service.blob_chunks(ef)) == data


# --- links ----------------------------------------------------------------------------------


def test_links_are_validated_before_any_job(db: Session, w: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        service.request_link_check(
            db, w.operator, w.body, ["https://ppid.example.go.id/", "file:///etc/passwd"]
        )
    assert "file:///etc/passwd" in err.value.message
    assert err.value.field_errors == {"urls[1]": err.value.field_errors["urls[1]"]}
    with pytest.raises(ValidationFailed, match="internal"):
        service.request_link_check(db, w.operator, w.body, ["http://192.168.1.10/sk.pdf"])
    with pytest.raises(ValidationFailed, match="minimal satu"):
        service.request_link_check(db, w.operator, w.body, ["  ", ""])
    with pytest.raises(ValidationFailed, match="Paling banyak"):
        service.request_link_check(
            db, w.operator, w.body, [f"https://example.org/{i}" for i in range(51)]
        )
    assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_outsiders_cannot_start_link_checks(db: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        service.request_link_check(db, w.verifikator, w.body, ["https://example.org/"])
    with pytest.raises(Forbidden):
        service.request_link_check(db, w.other_operator, w.body, ["https://example.org/"])


def test_a_link_check_job_records_each_link(
    db: Session, w: World, web: WebServer, allow_private: None
) -> None:
    web.route("/sk.pdf", 200, b"%PDF-1.7 ...", Content_Type="application/pdf")
    web.route("/hilang", 404, b"tidak ada", Content_Type="text/html")
    urls = [web.url("/sk.pdf"), web.url("/hilang"), web.url("/sk.pdf")]
    job = service.request_link_check(db, w.operator, w.body, urls, cycle_id=5, item_id=6)
    assert job.params["urls"] == urls[:2]  # duplicates dropped
    db.commit()  # the queue runs the job once the request's transaction commits
    db.expire_all()
    done = db.get(Job, job.id)
    assert done is not None and done.status == "done", done.message if done else None
    assert done.result == {"checked": 2, "ok": 1, "broken": 1, "refused": 0}
    checks = service.latest_link_checks(db, w.body)
    assert [(c.url, c.status, c.http_status) for c in checks] == [
        (web.url("/hilang"), "broken", 404),
        (web.url("/sk.pdf"), "ok", 200),
    ]
    assert {(c.cycle_id, c.item_id, c.job_id) for c in checks} == {(5, 6, job.id)}
    assert [c.url for c in service.latest_link_checks(db, w.body, only_problems=True)] == [
        web.url("/hilang")
    ]
    assert service.latest_link_checks(db, w.body, cycle_id=99) == []


def test_the_latest_check_of_a_link_wins(
    db: Session, w: World, web: WebServer, allow_private: None
) -> None:
    web.route("/dok", 404)
    service.request_link_check(db, w.operator, w.body, [web.url("/dok")])
    db.commit()
    web.route("/dok", 200, b"%PDF-1.4", Content_Type="application/pdf")
    service.request_link_check(db, None, w.body, [web.url("/dok")])  # the system re-checks
    db.commit()
    db.expire_all()
    latest = service.latest_link_check(db, w.body, web.url("/dok"))
    assert latest is not None and latest.status == "ok"
    assert db.scalar(select(func.count()).select_from(LinkCheck)) == 2
    assert [c.status for c in service.latest_link_checks(db, w.body)] == ["ok"]
