"""Certificate services on the real database: issue from the published award list (idempotent),
reissue after an amended decree, revoke, rights, templates, images, printing, signatures."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Role
from app.audit.models import AuditEvent
from app.certificates import service
from app.certificates.models import Certificate, CertificateStatus
from app.certificates.rules import AwardKind, normalise_serial
from app.config import get_settings
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.evidence.storage import blob_key, get_storage
from app.jobs.models import Job
from app.jobs.service import run_job
from tests.certificates.helpers import image_bytes, page_texts
from tests.certificates.world import Ceremony, amend_third_to_full_marks, ceremony, publish
from tests.factories import Factory


def _by_body(certs: list[Certificate], body_id: int) -> dict[str, Certificate]:
    return {c.award_key: c for c in certs if c.body_id == body_id}


def test_issuing_makes_one_certificate_per_award_and_running_it_again_changes_nothing(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    awards = service.planned_certificates(db, c.cycle)
    summary = service.issue_certificates(db, c.sek, c.cycle)
    assert len(summary.issued) == len(awards) > 0
    certs = service.valid_certificates(db, c.cycle)
    assert {(x.body_id, x.award_key) for x in certs} == {(p.body_id, p.key) for p in awards}
    first = _by_body(certs, c.bodies["first"])
    assert set(first) == {"informatif", "top|pemkab_pemkot"}
    top = service.certificate_data(first["top|pemkab_pemkot"])
    assert (top.award_title, top.rank, top.kind) == ("Peringkat 1", 1, AwardKind.PERINGKAT)
    assert top.decree_number == "SK/1/KI/2025" and top.place == "Surabaya"
    assert all(normalise_serial(x.serial) == x.serial for x in certs)
    assert len({x.serial for x in certs}) == len(certs)
    again = service.issue_certificates(db, c.sek, c.cycle)
    assert (again.issued, again.reissued, again.revoked) == ([], [], [])
    assert again.unchanged == len(certs)
    actions = set(db.scalars(select(AuditEvent.action)))
    assert "certificates.issued" in actions


def test_certificates_wait_for_reviewed_awards_and_complete_print_settings(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory, settings=False)
    with pytest.raises(ValidationFailed, match="pengaturan piagam"):
        service.issue_certificates(db, c.sek, c.cycle)
    service.save_print_settings(
        db, c.sek, c.cycle, place="Padang", issued_on="", signatory_name="A", signatory_title="B"
    )
    assert db.scalars(select(Certificate)).all() == []
    # A changed award list is unreviewed (as after a special prize is granted): no certificates
    # until a komisioner reviews it again.
    from app.results.service import current_decree

    decree = current_decree(db, c.cycle)
    assert decree is not None
    decree.awards_reviewed_at = None
    db.flush()
    with pytest.raises(InvalidTransition, match="ditinjau"):
        service.issue_certificates(db, c.sek, c.cycle)


def test_only_the_sekretariat_of_the_commission_issues_revokes_and_reissues(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    other = factory.commission()
    outsider = factory.actor(factory.user(other, Role.SEKRETARIAT), other)
    for actor in (c.panitia, c.kom, outsider):
        with pytest.raises(Forbidden):
            service.issue_certificates(db, actor, c.cycle)
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    for actor in (c.panitia, c.kom, outsider):
        with pytest.raises(Forbidden):
            service.revoke_certificate(db, actor, c.cycle, cert, reason="x")
        with pytest.raises(Forbidden):
            service.reissue_certificate(db, actor, c.cycle, cert, reason="x")
        with pytest.raises(Forbidden):
            service.save_template(db, actor, c.cycle, AwardKind.SPECIAL, title="t", body_text="b")
    # The panitia prints; the komisioner and another commission do not.
    service.start_print_job(db, c.panitia, c.cycle, "pdf")
    for actor in (c.kom, outsider):
        with pytest.raises(Forbidden):
            service.start_print_job(db, actor, c.cycle, "pdf")
        with pytest.raises(Forbidden):
            service.run_sheet(db, actor, c.cycle, "pdf")


def test_an_amended_decree_reissues_the_changed_certificates_and_supersedes_the_old_ones(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    before = service.valid_certificates(db, c.cycle)
    third_top = _by_body(before, c.bodies["third"])["top|pemkab_pemkot"]
    opd = _by_body(before, c.bodies["opd"])
    amend_third_to_full_marks(db, c)
    summary = service.issue_certificates(db, c.sek, c.cycle)
    db.refresh(third_top)
    assert third_top.status == CertificateStatus.SUPERSEDED
    new = db.get(Certificate, third_top.superseded_by_id)
    assert new is not None and new.replaces_id == third_top.id
    assert new.serial != third_top.serial and new in summary.reissued
    data = service.certificate_data(new)
    assert data.rank is not None and data.rank < 3  # moved up from rank 3
    assert data.decree_number == "SK/2/KI/2025" and data.qualification == "Informatif"
    # The third body is Informatif now: a new award, a new certificate.
    assert "informatif" in _by_body(summary.issued, c.bodies["third"])
    # Another category is untouched: its certificates stay valid with their old serials.
    for cert in opd.values():
        db.refresh(cert)
        assert cert.status == CertificateStatus.VALID
    view = service.public_certificate(db, third_top.serial)
    assert view.status == CertificateStatus.SUPERSEDED and view.superseded_by == new.serial
    assert "certificates.reissued" in set(db.scalars(select(AuditEvent.action)))


def test_an_award_dropped_by_the_amendment_revokes_its_certificate(
    db: Session, factory: Factory
) -> None:
    from app.submissions.models import Answer

    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    first = _by_body(service.valid_certificates(db, c.cycle), c.bodies["first"])
    for a in db.scalars(select(Answer).where(Answer.body_id == c.bodies["first"])):
        a.credit_scaled = 0
    db.flush()
    publish(db, c, reason="Bukti palsu")
    summary = service.issue_certificates(db, c.sek, c.cycle)
    db.refresh(first["informatif"])
    assert summary.revoked == [first["informatif"]]
    assert first["informatif"].status == CertificateStatus.REVOKED
    assert "SK/2/KI/2025" in first["informatif"].revoked_reason


def test_revoking_needs_a_reason_that_the_public_page_shows(db: Session, factory: Factory) -> None:
    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    with pytest.raises(ValidationFailed) as exc:
        service.revoke_certificate(db, c.sek, c.cycle, cert, reason="  ")
    assert "reason" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        service.revoke_certificate(db, c.sek, c.cycle, cert, reason="x" * 501)
    assert cert.status == CertificateStatus.VALID
    service.revoke_certificate(db, c.sek, c.cycle, cert, reason="Data badan publik keliru")
    with pytest.raises(InvalidTransition):
        service.revoke_certificate(db, c.sek, c.cycle, cert, reason="lagi")
    with pytest.raises(InvalidTransition):
        service.reissue_certificate(db, c.sek, c.cycle, cert, reason="lagi")
    view = service.public_certificate(db, cert.serial.lower())  # as typed: case-insensitive
    assert (view.status, view.revoked_reason) == ("revoked", "Data badan publik keliru")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "certificates.revoked")).one()
    assert event.object_id == cert.serial and event.actor_user_id == c.sek.user_id


def test_a_manual_reissue_keeps_the_lineage(db: Session, factory: Factory) -> None:
    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    old = service.valid_certificates(db, c.cycle)[0]
    new = service.reissue_certificate(db, c.sek, c.cycle, old, reason="Salah cetak")
    assert (old.status, old.superseded_by_id, new.replaces_id) == ("superseded", new.id, old.id)
    assert new.award_key == old.award_key and new.body_id == old.body_id
    assert service.issue_certificates(db, c.sek, c.cycle).issued == []


def test_an_unknown_or_malformed_serial_and_an_embargoed_result_look_the_same(
    db: Session, factory: Factory
) -> None:
    from datetime import timedelta

    from app.db import utcnow
    from app.results.service import current_decree

    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    messages = set()
    for serial in ("2025-ZZZZZZZZ", "bukan-seri", "'; drop table", ""):
        with pytest.raises(NotFound) as exc:
            service.public_certificate(db, serial)
        messages.add(exc.value.message)
    decree = current_decree(db, c.cycle)
    assert decree is not None
    decree.embargo_until = utcnow() + timedelta(days=2)
    db.flush()
    with pytest.raises(NotFound) as exc:
        service.public_certificate(db, cert.serial)
    messages.add(exc.value.message)
    assert messages == {service.NOT_FOUND_MESSAGE}


def test_a_template_with_an_unknown_merge_field_is_refused_and_a_saved_one_is_printed(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    with pytest.raises(ValidationFailed) as exc:
        service.save_template(
            db, c.sek, c.cycle, AwardKind.PERINGKAT, title="Juara {peringkat}", body_text="x"
        )
    assert "{peringkat}" in exc.value.field_errors["title"]
    assert service.saved_templates(db, c.cycle) == {}
    service.save_template(
        db,
        c.sek,
        c.cycle,
        AwardKind.PERINGKAT,
        title="Juara {rank} — {category}",
        body_text="Selamat kepada {body} atas nilai {score}.",
    )
    service.issue_certificates(db, c.sek, c.cycle)
    cert = _by_body(service.valid_certificates(db, c.cycle), c.bodies["first"])
    pdf = service.certificate_pdf(db, c.cycle, cert["top|pemkab_pemkot"])
    (text,) = page_texts(pdf)
    assert "Juara 1" in text and "atas nilai 100,00" in text
    preview = service.preview(db, c.cycle, AwardKind.SPECIAL)
    assert page_texts(preview)[0]  # a sample page even without a special prize


def test_a_logo_that_is_not_an_image_is_refused_and_the_old_one_kept(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    png = image_bytes(Image.new("RGB", (200, 100), (20, 40, 90)))
    kw = dict(place="Surabaya", issued_on="", signatory_name="A", signatory_title="B")
    service.save_print_settings(db, c.sek, c.cycle, **kw, logo=png)
    stored = service.print_settings(db, c.cycle)
    assert stored is not None and stored.logo_png
    kept = stored.logo_png
    with pytest.raises(ValidationFailed) as exc:
        service.save_print_settings(
            db, c.sek, c.cycle, **kw, logo=b"%PDF-1.4 bukan gambar", signature=b"GIF89a"
        )
    assert set(exc.value.field_errors) == {"logo", "signature"}
    with pytest.raises(ValidationFailed) as exc:
        service.save_print_settings(
            db,
            c.sek,
            c.cycle,
            place="",
            issued_on="17-12-2025",
            signatory_name="",
            signatory_title="B",
        )
    assert {"place", "issued_on", "signatory_name"} <= set(exc.value.field_errors)
    assert stored.logo_png == kept


def test_a_long_body_name_is_printed_whole_inside_the_page(db: Session, factory: Factory) -> None:
    from app.bodies.models import Body

    c = ceremony(db, factory)
    body = db.get(Body, c.bodies["first"])
    assert body is not None
    body.name = (
        "Dinas Komunikasi, Informatika, Statistik dan Persandian Pemerintah Kabupaten "
        "Kepulauan Seribu Utara Bagian Timur Laut"
    )
    db.flush()
    service.issue_certificates(db, c.sek, c.cycle)
    cert = _by_body(service.valid_certificates(db, c.cycle), body.id)["informatif"]
    (text,) = page_texts(service.certificate_pdf(db, c.cycle, cert))
    assert "Bagian Timur Laut" in text and "Kepulauan Seribu" in text


def _ceremony_print(db: Session, c: Ceremony, fmt: str) -> bytes:
    job = service.start_print_job(db, c.panitia, c.cycle, fmt)
    db.flush()
    run_job(job.id)
    db.expire_all()
    done = db.get(Job, job.id)
    assert done is not None and done.status == "done", done.message if done else None
    assert done.result is not None
    return (get_settings().var_dir / "jobs" / job.id / done.result["file"]).read_bytes()


def test_bulk_printing_is_a_job_with_deterministic_pdf_and_zip_output(
    db: Session, factory: Factory
) -> None:
    c = ceremony(db, factory)
    with pytest.raises(InvalidTransition):
        service.start_print_job(db, c.panitia, c.cycle, "pdf")
    service.issue_certificates(db, c.sek, c.cycle)
    with pytest.raises(ValidationFailed):
        service.start_print_job(db, c.panitia, c.cycle, "docx")
    count = len(service.valid_certificates(db, c.cycle))
    pdf = _ceremony_print(db, c, "pdf")
    assert len(page_texts(pdf)) == count
    assert _ceremony_print(db, c, "pdf") == pdf
    archive = _ceremony_print(db, c, "zip")
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert len(z.namelist()) == count
    assert _ceremony_print(db, c, "zip") == archive
    sheet, media = service.run_sheet(db, c.panitia, c.cycle, "xlsx")
    assert media.endswith("sheet") and sheet[:2] == b"PK"
    with pytest.raises(NotFound):
        service.run_sheet(db, c.panitia, c.cycle, "doc")


def _pkcs12(passphrase: bytes) -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Komisi Informasi Uji")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"ki", key, cert, None, serialization.BestAvailableEncryption(passphrase)
    )


@pytest.fixture
def signing_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "piagam_signing_dir", tmp_path)
    return tmp_path


def test_a_commission_with_a_key_signs_and_the_public_page_checks_the_stored_file(
    db: Session, factory: Factory, signing_dir: Path
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    c = ceremony(db, factory)
    (signing_dir / f"{c.org.slug}.p12").write_bytes(_pkcs12(b"rahasia-uji"))
    (signing_dir / f"{c.org.slug}.pass").write_text("rahasia-uji\n")
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    assert cert.signed_sha256
    view = service.public_certificate(db, cert.serial)
    assert view.signature == "intact" and "Komisi Informasi Uji" in view.signer
    assert view.by_commission_key
    pdf = service.certificate_pdf(db, c.cycle, cert)
    assert PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    bulk = _ceremony_print(db, c, "pdf")
    assert len(PdfFileReader(io.BytesIO(bulk)).embedded_signatures) == 1
    # The commission changes its key: old files stay intact but are not by the current key.
    (signing_dir / f"{c.org.slug}.p12").write_bytes(_pkcs12(b"rahasia-uji"))
    view = service.public_certificate(db, cert.serial)
    assert view.signature == "intact" and not view.by_commission_key
    # The stored file is altered behind the system's back: the page says so.
    path = get_settings().evidence_root / blob_key(cert.signed_sha256)
    path.write_bytes(pdf.replace(b"Monev KIP", b"Monev XIP", 1))
    assert service.public_certificate(db, cert.serial).signature == "broken"
    assert get_storage().exists(blob_key(cert.signed_sha256))


def test_a_wrong_passphrase_is_a_clear_error_and_nothing_is_issued(
    db: Session, factory: Factory, signing_dir: Path
) -> None:
    c = ceremony(db, factory)
    (signing_dir / f"{c.org.slug}.p12").write_bytes(_pkcs12(b"benar"))
    (signing_dir / f"{c.org.slug}.pass").write_text("salah")
    with pytest.raises(ValidationFailed, match="PKCS#12"):
        service.issue_certificates(db, c.sek, c.cycle)


def test_the_database_keeps_one_valid_certificate_per_award(db: Session, factory: Factory) -> None:
    from sqlalchemy.exc import IntegrityError

    c = ceremony(db, factory)
    service.issue_certificates(db, c.sek, c.cycle)
    cert = service.valid_certificates(db, c.cycle)[0]
    columns = ("organisation_id", "cycle_id", "body_id", "decree_id", "kind", "award_key")
    twin = Certificate(
        **{k: getattr(cert, k) for k in columns},
        serial="2025-00000000",
        award_title=cert.award_title,
        data=cert.data,
    )
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(twin)
        db.flush()
    service.revoke_certificate(db, c.sek, c.cycle, cert, reason="Ganda")
    twin = Certificate(
        **{k: getattr(cert, k) for k in columns},
        serial="2025-00000001",
        award_title=cert.award_title,
        data=cert.data,
    )
    db.add(twin)
    db.flush()  # a revoked one does not count
