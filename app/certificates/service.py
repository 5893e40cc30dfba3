"""Certificate use-cases: templates and print settings per cycle, issuing certificates from the
published award list (idempotent, and reconciled with an amended decree), reissue, revoke, bulk
printing as a background job, the run sheet, and the public verification of a serial.

Rights: the sekretariat edits templates and settings, issues, reissues and revokes; ceremony
staff (sekretariat or panitia) see the page, preview, print and download the run sheet.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.service import record
from app.bodies.models import Body
from app.certificates.bulk import ZIP_TIMESTAMP, bulk_pdf, bulk_zip
from app.certificates.images import PreparedImage, prepare_image
from app.certificates.models import (
    Certificate,
    CertificateSettings,
    CertificateStatus,
    CertificateTemplateText,
)
from app.certificates.render import Issuer, Progress, preview_pdf, render_pdf
from app.certificates.rules import (
    AwardKind,
    CertificateData,
    ceremony_order,
    new_serial,
    normalise_serial,
    verification_url,
)
from app.certificates.runsheet import run_sheet_pdf, run_sheet_xlsx
from app.certificates.signing import SigningKey, check_signature, commission_key, sign_pdf
from app.certificates.templates import (
    DEFAULT_TEMPLATES,
    CertificateTemplate,
    validate_template,
)
from app.config import get_settings
from app.cycles.access import actor_id, can_manage, organisation_of
from app.cycles.models import Cycle, CycleCategory
from app.db import utcnow
from app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.evidence.storage import BlobNotFound, blob_key, get_storage
from app.jobs.models import Job
from app.jobs.service import job_handler, start_job
from app.orgs.models import Organisation
from app.results import service as results
from app.results.models import Decree, ResultRow, ResultSet
from app.results.rules import Award
from app.results.rules import AwardKind as ResultAwardKind

MAX_REASON_CHARS = 500
MAX_SETTING_CHARS = 200
PRINT_FORMATS = ("pdf", "zip")

# --- access ------------------------------------------------------------------------------------


def require_certificate_manager(actor: Actor, cycle: Cycle) -> None:
    """Templates, settings, issuing, reissuing and revoking are the sekretariat's."""
    if not can_manage(actor, cycle):
        raise Forbidden("Hanya sekretariat komisi yang dapat mengelola piagam.")


def can_print(actor: Actor, cycle: Cycle) -> bool:
    """Ceremony staff: the sekretariat and the panitia acara of the cycle's commission."""
    return actor.organisation_id == cycle.organisation_id and (
        actor.is_admin or actor.has(Role.SEKRETARIAT, Role.PANITIA)
    )


def require_ceremony_staff(actor: Actor, cycle: Cycle) -> None:
    if not can_print(actor, cycle):
        raise Forbidden("Halaman piagam hanya untuk sekretariat dan panitia acara.")


def _audit(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    action: str,
    obj_id: Any,
    *,
    before: dict[str, Any] | None = None,
    **after: Any,
) -> None:
    record(
        db,
        actor_user_id=actor_id(actor),
        organisation_id=cycle.organisation_id,
        action=action,
        object_type="certificate",
        object_id=obj_id,
        before=before,
        after=after,
    )


# --- templates and print settings --------------------------------------------------------------


def saved_templates(db: Session, cycle: Cycle) -> dict[AwardKind, CertificateTemplateText]:
    rows = db.scalars(
        select(CertificateTemplateText).where(CertificateTemplateText.cycle_id == cycle.id)
    )
    return {AwardKind(r.kind): r for r in rows}


def templates_of(db: Session, cycle: Cycle) -> dict[AwardKind, CertificateTemplate]:
    """The cycle's template of every award type: its own words, else the built-in ones."""
    out = dict(DEFAULT_TEMPLATES)
    for kind, row in saved_templates(db, cycle).items():
        out[kind] = CertificateTemplate(kind=kind, title=row.title, body_text=row.body_text)
    return out


def parse_kind(kind: str) -> AwardKind:
    try:
        return AwardKind(kind)
    except ValueError:
        raise NotFound("Jenis piagam tidak dikenal.") from None


def save_template(
    db: Session, actor: Actor, cycle: Cycle, kind: AwardKind, *, title: str, body_text: str
) -> CertificateTemplateText:
    """Store the cycle's template of one award type (unknown merge fields are refused)."""
    require_certificate_manager(actor, cycle)
    template = CertificateTemplate(kind=kind, title=title.strip(), body_text=body_text.strip())
    validate_template(template)
    row = saved_templates(db, cycle).get(kind)
    before = None if row is None else {"title": row.title, "body_text": row.body_text}
    if row is None:
        row = CertificateTemplateText(
            organisation_id=cycle.organisation_id, cycle_id=cycle.id, kind=kind.value
        )
        db.add(row)
    row.title, row.body_text = template.title, template.body_text
    row.updated_at, row.updated_by_id = utcnow(), actor_id(actor)
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "certificates.template_saved",
        kind.value,
        before=before,
        title=row.title,
        body_text=row.body_text,
    )
    return row


def print_settings(db: Session, cycle: Cycle) -> CertificateSettings | None:
    return db.scalar(select(CertificateSettings).where(CertificateSettings.cycle_id == cycle.id))


def save_print_settings(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    place: str,
    issued_on: str,
    signatory_name: str,
    signatory_title: str,
    logo: bytes | None = None,
    signature: bytes | None = None,
) -> CertificateSettings:
    """Place, date, signatory and (when uploaded) the logo and signature images.

    Every field is checked before anything is stored: a bad image keeps the old one."""
    require_certificate_manager(actor, cycle)
    errors: dict[str, str] = {}
    values = {
        "place": place.strip(),
        "signatory_name": signatory_name.strip(),
        "signatory_title": signatory_title.strip(),
    }
    labels = {
        "place": "Tempat penetapan",
        "signatory_name": "Nama penanda tangan",
        "signatory_title": "Jabatan penanda tangan",
    }
    for key, value in values.items():
        if not value:
            errors[key] = f"{labels[key]} wajib diisi."
        elif len(value) > MAX_SETTING_CHARS:
            errors[key] = (
                f"{labels[key]} terlalu panjang (lebih dari {MAX_SETTING_CHARS} karakter)."
            )
    day: date | None = None
    if issued_on.strip():
        try:
            day = date.fromisoformat(issued_on.strip())
        except ValueError:
            errors["issued_on"] = "Tanggal piagam tidak valid (TTTT-BB-HH)."
    images: dict[str, PreparedImage] = {}
    for key, data, label in (
        ("logo", logo, "Logo"),
        ("signature", signature, "Gambar tanda tangan"),
    ):
        if data:
            try:
                images[key] = prepare_image(data, field=key, label=label)
            except ValidationFailed as exc:
                errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed("Pengaturan piagam belum benar.", field_errors=errors)
    row = print_settings(db, cycle)
    if row is None:
        row = CertificateSettings(organisation_id=cycle.organisation_id, cycle_id=cycle.id)
        db.add(row)
    row.place = values["place"]
    row.signatory_name = values["signatory_name"]
    row.signatory_title = values["signatory_title"]
    row.issued_on = day
    if "logo" in images:
        row.logo_png = images["logo"].png
    if "signature" in images:
        row.signature_png = images["signature"].png
    row.updated_at, row.updated_by_id = utcnow(), actor_id(actor)
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "certificates.settings_saved",
        cycle.id,
        place=values["place"],
        signatory_name=values["signatory_name"],
        signatory_title=values["signatory_title"],
        issued_on=issued_on.strip(),
        logo="diunggah" if "logo" in images else "tetap",
        signature="diunggah" if "signature" in images else "tetap",
    )
    return row


def _image(data: bytes | None, field_name: str, label: str) -> PreparedImage | None:
    return None if data is None else prepare_image(data, field=field_name, label=label)


def issuer_for(db: Session, cycle: Cycle) -> Issuer:
    """The commission as printed on the cycle's certificates, with its uploaded images."""
    org = organisation_of(db, cycle)
    row = print_settings(db, cycle)
    return Issuer(
        commission=org.name,
        base_url=get_settings().base_url,
        logo=_image(row.logo_png if row else None, "logo", "Logo"),
        signature=_image(row.signature_png if row else None, "signature", "Gambar tanda tangan"),
    )


# --- from the award list to certificate data ---------------------------------------------------

_KINDS: dict[str, AwardKind] = {
    ResultAwardKind.INFORMATIF: AwardKind.INFORMATIF,
    ResultAwardKind.TOP: AwardKind.PERINGKAT,
    ResultAwardKind.INDICATOR: AwardKind.INDICATOR,
    ResultAwardKind.SPECIAL: AwardKind.SPECIAL,
}
# Printed data that decides whether an amended decree needs a new certificate (the decree
# number alone does not: the old decree stays the legal basis of unchanged awards).
_COMPARED = ("kind", "award_title", "body", "category", "qualification", "score", "rank", "year")


def award_key(award: Award) -> str:
    """The identity of an award across decree versions (a rank change keeps the identity)."""
    if award.kind == ResultAwardKind.TOP:
        return f"top|{award.category or ''}"
    if award.kind == ResultAwardKind.INFORMATIF:
        return "informatif"
    return f"{award.kind}|{award.name}|{award.category or ''}"


def award_title(award: Award) -> str:
    if award.kind == ResultAwardKind.TOP:
        return f"Peringkat {award.rank}"
    if award.kind == ResultAwardKind.INFORMATIF:
        return f"Badan Publik {award.name}"
    return award.name


@dataclass(frozen=True)
class PlannedCertificate:
    """One award of the current decree as a certificate would print it (serial still empty)."""

    key: str
    body_id: int
    data: CertificateData


def _require_awards_final(db: Session, cycle: Cycle) -> Decree:
    decree = results.current_decree(db, cycle)
    if decree is None:
        raise InvalidTransition("Belum ada SK hasil yang terbit; piagam belum dapat diterbitkan.")
    if decree.awards_reviewed_at is None:
        raise InvalidTransition(
            "Daftar penghargaan belum ditinjau komisioner; piagam belum dapat diterbitkan."
        )
    return decree


def _ready_settings(db: Session, cycle: Cycle, decree: Decree) -> tuple[str, date, str, str]:
    row = print_settings(db, cycle)
    if row is None or not (row.place and row.signatory_name and row.signatory_title):
        raise ValidationFailed(
            "Lengkapi pengaturan piagam (tempat, nama dan jabatan penanda tangan) dulu."
        )
    day = row.issued_on or decree.sk_date or utcnow().date()
    return row.place, day, row.signatory_name, row.signatory_title


def planned_certificates(db: Session, cycle: Cycle) -> list[PlannedCertificate]:
    """The certificates the current award list calls for, with the data they would print."""
    decree = _require_awards_final(db, cycle)
    place, day, sig_name, sig_title = _ready_settings(db, cycle, decree)
    rs = db.get(ResultSet, decree.result_set_id)
    assert rs is not None
    rows = {r.body_id: r for r in results.stored_rows(db, rs)}
    cats = {
        c.code: c
        for c in db.scalars(select(CycleCategory).where(CycleCategory.cycle_id == cycle.id))
    }
    awards = results.award_list(db, cycle)
    names: dict[int, str] = {
        bid: name
        for bid, name in db.execute(
            select(Body.id, Body.name).where(Body.id.in_({a.body_id for a in awards}))
        )
    }
    planned: list[PlannedCertificate] = []
    for award in awards:
        row: ResultRow | None = rows.get(award.body_id)
        category = award.category or (row.category_code if row else "")
        cat = cats.get(category)
        data = CertificateData(
            serial="",
            kind=_KINDS[award.kind],
            award_title=award_title(award),
            body=names.get(award.body_id, ""),
            category=cat.name if cat else category,
            qualification=(row.qualification or "") if row else "",
            score=row.published if row else award.score,
            rank=row.rank if row else award.rank,
            year=cycle.year,
            decree_number=decree.sk_number,
            place=place,
            issued_on=day,
            signatory_name=sig_name,
            signatory_title=sig_title,
            category_order=cat.sort_order if cat else 0,
        )
        planned.append(PlannedCertificate(award_key(award), award.body_id, data))
    return planned


def snapshot(data: CertificateData) -> dict[str, Any]:
    """The stored form of a certificate's data (JSON: decimals and dates as text)."""
    return {
        "kind": data.kind.value,
        "award_title": data.award_title,
        "body": data.body,
        "category": data.category,
        "qualification": data.qualification,
        "score": None if data.score is None else format(data.score, "f"),
        "rank": data.rank,
        "year": data.year,
        "decree_number": data.decree_number,
        "place": data.place,
        "issued_on": data.issued_on.isoformat(),
        "signatory_name": data.signatory_name,
        "signatory_title": data.signatory_title,
        "category_order": data.category_order,
    }


def certificate_data(cert: Certificate) -> CertificateData:
    """What a stored certificate prints, from its snapshot."""
    d = cert.data
    return CertificateData(
        serial=cert.serial,
        kind=AwardKind(d["kind"]),
        award_title=d["award_title"],
        body=d["body"],
        category=d["category"],
        qualification=d["qualification"],
        score=None if d["score"] is None else Decimal(d["score"]),
        rank=d["rank"],
        year=d["year"],
        decree_number=d["decree_number"],
        place=d["place"],
        issued_on=date.fromisoformat(d["issued_on"]),
        signatory_name=d["signatory_name"],
        signatory_title=d["signatory_title"],
        category_order=d.get("category_order", 0),
    )


def _fresh_serial(db: Session, year: int, taken: set[str]) -> str:
    for _ in range(20):
        serial = new_serial(year)
        if (
            serial not in taken
            and db.scalar(select(Certificate.id).where(Certificate.serial == serial)) is None
        ):
            taken.add(serial)
            return serial
    raise RuntimeError("no free certificate serial after 20 tries")  # 40 random bits


# --- issue, reissue, revoke --------------------------------------------------------------------


@dataclass
class IssueSummary:
    issued: list[Certificate] = field(default_factory=list)
    reissued: list[Certificate] = field(default_factory=list)
    revoked: list[Certificate] = field(default_factory=list)
    unchanged: int = 0

    @property
    def message(self) -> str:
        return (
            f"{len(self.issued)} piagam baru, {len(self.reissued)} diterbitkan ulang, "
            f"{len(self.revoked)} dicabut, {self.unchanged} tetap berlaku."
        )


def valid_certificates(db: Session, cycle: Cycle) -> list[Certificate]:
    return list(
        db.scalars(
            select(Certificate)
            .where(Certificate.cycle_id == cycle.id, Certificate.status == CertificateStatus.VALID)
            .order_by(Certificate.id)
        )
    )


def _new_certificate(
    db: Session,
    actor: Actor,
    cycle: Cycle,
    decree: Decree,
    plan: PlannedCertificate,
    taken: set[str],
    replaces: Certificate | None = None,
) -> Certificate:
    serial = _fresh_serial(db, cycle.year, taken)
    data = replace(plan.data, serial=serial)
    cert = Certificate(
        organisation_id=cycle.organisation_id,
        cycle_id=cycle.id,
        serial=serial,
        body_id=plan.body_id,
        decree_id=decree.id,
        kind=data.kind.value,
        award_key=plan.key,
        award_title=data.award_title,
        data=snapshot(data),
        status=CertificateStatus.VALID,
        replaces_id=replaces.id if replaces else None,
        created_by_id=actor_id(actor),
    )
    db.add(cert)
    db.flush()
    return cert


def _retire(db: Session, old: Certificate) -> None:
    """Mark `old` superseded before its successor is added (one valid certificate per award);
    the caller links it to the successor."""
    old.status = CertificateStatus.SUPERSEDED
    old.superseded_at = utcnow()
    db.flush()


def _lock_cycle(db: Session, cycle: Cycle) -> None:
    """Serialise issuing for one cycle (PostgreSQL row lock; SQLite has one writer anyway)."""
    db.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())


def _changed(cert: Certificate, plan: PlannedCertificate) -> bool:
    fresh = snapshot(plan.data)
    return any(cert.data.get(k) != fresh[k] for k in _COMPARED)


def issue_certificates(db: Session, actor: Actor, cycle: Cycle) -> IssueSummary:
    """Make the valid certificates match the current decree's award list.

    Idempotent: run again with nothing changed, it changes nothing. After an amended decree,
    a certificate whose printed award data changed is reissued (new serial; the old one is
    superseded and points to it), one whose award is gone is revoked, new awards get one."""
    require_certificate_manager(actor, cycle)
    _lock_cycle(db, cycle)
    decree = _require_awards_final(db, cycle)
    plans = planned_certificates(db, cycle)
    existing = {(c.body_id, c.award_key): c for c in valid_certificates(db, cycle)}
    summary = IssueSummary()
    taken: set[str] = set()
    wanted: set[tuple[int, str]] = set()
    for plan in plans:
        ident = (plan.body_id, plan.key)
        if ident in wanted:  # the same award listed twice: one certificate
            continue
        wanted.add(ident)
        old = existing.get(ident)
        if old is not None and not _changed(old, plan):
            summary.unchanged += 1
            continue
        if old is not None:
            _retire(db, old)
        new = _new_certificate(db, actor, cycle, decree, plan, taken, replaces=old)
        if old is None:
            summary.issued.append(new)
        else:
            old.superseded_by_id = new.id
            summary.reissued.append(new)
            _audit(
                db,
                actor,
                cycle,
                "certificates.reissued",
                old.serial,
                before={"serial": old.serial, "data": old.data},
                serial=new.serial,
                data=new.data,
                decree_version=decree.version,
            )
    for ident, old in existing.items():
        if ident not in wanted:
            _revoke(
                old, actor, f"Penghargaan ini tidak tercantum lagi dalam SK {decree.sk_number}."
            )
            summary.revoked.append(old)
            _audit(db, actor, cycle, "certificates.revoked", old.serial, reason=old.revoked_reason)
    db.flush()
    if summary.issued:
        _audit(
            db,
            actor,
            cycle,
            "certificates.issued",
            cycle.id,
            decree_version=decree.version,
            serials=[c.serial for c in summary.issued],
        )
    _sign_new(db, cycle, summary.issued + summary.reissued)
    return summary


def _revoke(cert: Certificate, actor: Actor, reason: str) -> None:
    cert.status = CertificateStatus.REVOKED
    cert.revoked_reason = reason
    cert.revoked_at = utcnow()
    cert.revoked_by_id = actor_id(actor)


def _clean_reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            f"Alasan {what} wajib diisi.", field_errors={"reason": f"Tuliskan alasan {what}."}
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(
            f"Alasan terlalu panjang (lebih dari {MAX_REASON_CHARS} karakter).",
            field_errors={"reason": "Persingkat alasan."},
        )
    return reason


def get_certificate(db: Session, cycle: Cycle, certificate_id: int) -> Certificate:
    cert = db.get(Certificate, certificate_id)
    if cert is None or cert.cycle_id != cycle.id:
        raise NotFound("Piagam tidak ditemukan.")
    return cert


def revoke_certificate(
    db: Session, actor: Actor, cycle: Cycle, cert: Certificate, *, reason: str
) -> Certificate:
    """Revoke a valid certificate; the reason is shown on the public verification page."""
    require_certificate_manager(actor, cycle)
    if cert.status != CertificateStatus.VALID:
        raise InvalidTransition("Hanya piagam yang berlaku yang dapat dicabut.")
    reason = _clean_reason(reason, "pencabutan")
    _revoke(cert, actor, reason)
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "certificates.revoked",
        cert.serial,
        before={"status": CertificateStatus.VALID},
        status=cert.status,
        reason=reason,
    )
    return cert


def reissue_certificate(
    db: Session, actor: Actor, cycle: Cycle, cert: Certificate, *, reason: str
) -> Certificate:
    """A new certificate (new serial) for the same award with the current decree's data, e.g.
    after a misprint or a renamed body; the old one is superseded and links to the new one."""
    require_certificate_manager(actor, cycle)
    if cert.status != CertificateStatus.VALID:
        raise InvalidTransition("Hanya piagam yang berlaku yang dapat diterbitkan ulang.")
    reason = _clean_reason(reason, "penerbitan ulang")
    decree = _require_awards_final(db, cycle)
    plan = next(
        (
            p
            for p in planned_certificates(db, cycle)
            if (p.body_id, p.key) == (cert.body_id, cert.award_key)
        ),
        None,
    )
    if plan is None:
        raise InvalidTransition(
            "Penghargaan piagam ini tidak ada dalam SK yang berlaku; cabut piagamnya."
        )
    _retire(db, cert)
    new = _new_certificate(db, actor, cycle, decree, plan, set(), replaces=cert)
    cert.superseded_by_id = new.id
    db.flush()
    _audit(
        db,
        actor,
        cycle,
        "certificates.reissued",
        cert.serial,
        before={"serial": cert.serial, "data": cert.data},
        serial=new.serial,
        data=new.data,
        reason=reason,
    )
    _sign_new(db, cycle, [new])
    return new


def list_certificates(db: Session, cycle: Cycle) -> list[Certificate]:
    """Every certificate of the cycle in ceremony order, superseded and revoked ones included."""
    certs = list(db.scalars(select(Certificate).where(Certificate.cycle_id == cycle.id)))
    order = {c.serial: i for i, c in enumerate(ceremony_order(certificate_data(c) for c in certs))}
    return sorted(certs, key=lambda c: order[c.serial])


# --- PDFs: single, signed, bulk ----------------------------------------------------------------


def _key_of(db: Session, cycle: Cycle) -> SigningKey | None:
    return commission_key(organisation_of(db, cycle).slug)


def _sign(pdf: bytes, key: SigningKey, org: Organisation, place: str) -> bytes:
    return sign_pdf(pdf, key, reason=f"Piagam penghargaan {org.name}", location=place)


def _sign_new(db: Session, cycle: Cycle, certs: Sequence[Certificate]) -> None:
    """With a commission key, every new certificate gets a signed PDF kept in the storage."""
    key = _key_of(db, cycle)
    if key is None or not certs:
        return
    issuer = issuer_for(db, cycle)
    templates = templates_of(db, cycle)
    org = organisation_of(db, cycle)
    storage = get_storage()
    for cert in certs:
        data = certificate_data(cert)
        signed = _sign(render_pdf([data], issuer, templates), key, org, data.place)
        digest = hashlib.sha256(signed).hexdigest()
        storage.put_stream(blob_key(digest), io.BytesIO(signed))
        cert.signed_sha256 = digest
    db.flush()


def certificate_pdf(db: Session, cycle: Cycle, cert: Certificate) -> bytes:
    """A certificate's PDF: its stored signed file, else rendered (deterministic)."""
    if cert.signed_sha256:
        try:
            return b"".join(get_storage().iter_chunks(blob_key(cert.signed_sha256)))
        except BlobNotFound:
            pass
    return render_pdf([certificate_data(cert)], issuer_for(db, cycle), templates_of(db, cycle))


def preview(
    db: Session, cycle: Cycle, kind: AwardKind, template: CertificateTemplate | None = None
) -> bytes:
    """One sample page of an award type's template (a draft one when given) as PDF."""
    if template is not None:
        validate_template(template)
    sample = next(
        (certificate_data(c) for c in valid_certificates(db, cycle) if c.kind == kind.value),
        None,
    )
    if sample is None:
        from app.certificates.samples import sample_award_list

        base = next(c for c in sample_award_list() if c.kind == kind)
        row = print_settings(db, cycle)
        sample = replace(
            base,
            year=cycle.year,
            place=(row.place if row and row.place else base.place),
            signatory_name=(
                row.signatory_name if row and row.signatory_name else base.signatory_name
            ),
            signatory_title=(
                row.signatory_title if row and row.signatory_title else base.signatory_title
            ),
        )
    chosen = template or templates_of(db, cycle)[kind]
    return preview_pdf(sample, issuer_for(db, cycle), chosen)


def start_print_job(db: Session, actor: Actor, cycle: Cycle, fmt: str) -> Job:
    """Queue the bulk printing of every valid certificate as one PDF or a ZIP of single PDFs."""
    require_ceremony_staff(actor, cycle)
    if fmt not in PRINT_FORMATS:
        raise ValidationFailed(
            "Pilih format cetak: satu PDF atau ZIP.", field_errors={"format": "Pilih PDF atau ZIP."}
        )
    count = len(valid_certificates(db, cycle))
    if not count:
        raise InvalidTransition("Belum ada piagam yang berlaku untuk dicetak.")
    job = start_job(
        db,
        kind="certificates.print",
        title=f"Cetak piagam {cycle.name} ({fmt.upper()})",
        params={"cycle_id": cycle.id, "format": fmt},
        organisation_id=cycle.organisation_id,
        created_by_id=actor_id(actor),
    )
    _audit(db, actor, cycle, "certificates.print_started", cycle.id, job=job.id, format=fmt)
    return job


def _sign_zip(data: bytes, key: SigningKey, org: Organisation, place: str) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst,
    ):
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIMESTAMP)
            info.create_system, info.external_attr = 3, 0o100644 << 16
            dst.writestr(info, _sign(src.read(item.filename), key, org, place))
    return out.getvalue()


@job_handler("certificates.print")
def print_certificates_job(db: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Write the bulk PDF or ZIP of a cycle's valid certificates under var/jobs/<job>/."""
    cycle = db.get(Cycle, job.params["cycle_id"])
    if cycle is None or cycle.organisation_id != job.organisation_id:
        raise NotFound("Siklus monev tidak ditemukan.")
    fmt = job.params["format"]
    certs = [certificate_data(c) for c in valid_certificates(db, cycle)]
    if not certs:
        raise InvalidTransition("Belum ada piagam yang berlaku untuk dicetak.")
    issuer, templates = issuer_for(db, cycle), templates_of(db, cycle)
    make = bulk_pdf if fmt == "pdf" else bulk_zip
    data = make(certs, issuer, templates, workers=2, progress=progress)
    key = _key_of(db, cycle)
    if key is not None:
        progress(len(certs), len(certs), "Menandatangani secara digital")
        org = organisation_of(db, cycle)
        place = certs[0].place
        data = _sign(data, key, org, place) if fmt == "pdf" else _sign_zip(data, key, org, place)
    name = f"piagam-{cycle.year}-{cycle.id}.{fmt}"
    out = get_settings().var_dir / "jobs" / job.id
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    progress(len(certs), len(certs), "Selesai")
    return {"file": name, "count": len(certs), "signed": key is not None}


def run_sheet(db: Session, actor: Actor, cycle: Cycle, fmt: str) -> tuple[bytes, str]:
    """The ceremony's run sheet (valid certificates in calling order) as PDF or XLSX."""
    require_ceremony_staff(actor, cycle)
    certs = [certificate_data(c) for c in valid_certificates(db, cycle)]
    title = f"Susunan Penyerahan Piagam — {cycle.name}"
    if fmt == "pdf":
        org = organisation_of(db, cycle)
        return run_sheet_pdf(certs, title=title, subtitle=org.name), "application/pdf"
    if fmt == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return run_sheet_xlsx(certs, title=title), media
    raise NotFound("Format susunan acara tidak dikenal (pdf atau xlsx).")


# --- public verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCertificate:
    """What the public verification page shows: only what the published results already say."""

    serial: str
    status: str
    status_label: str
    data: CertificateData
    commission: str
    cycle_name: str
    revoked_reason: str
    superseded_by: str | None  # the serial of the reissue
    signature: str  # "" unsigned, "intact", "broken"
    signer: str
    by_commission_key: bool  # signed with the key the commission has configured now
    url: str


NOT_FOUND_MESSAGE = "Piagam dengan nomor seri tersebut tidak ditemukan."


def public_certificate(db: Session, serial: str) -> PublicCertificate:
    """The public view of a serial; NotFound (always the same message) when it is unknown or
    its cycle's results are not public (yet)."""
    canonical = normalise_serial(serial)
    cert = (
        None
        if canonical is None
        else db.scalar(select(Certificate).where(Certificate.serial == canonical))
    )
    cycle = db.get(Cycle, cert.cycle_id) if cert is not None else None
    if cert is None or cycle is None or results.public_decree(db, cycle) is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    newer = db.get(Certificate, cert.superseded_by_id) if cert.superseded_by_id else None
    signature, signer, by_key = "", "", False
    if cert.signed_sha256:
        try:
            stored = b"".join(get_storage().iter_chunks(blob_key(cert.signed_sha256)))
            check = check_signature(stored, _key_of(db, cycle))
        except BlobNotFound:
            check = None
        signature = "intact" if check is not None and check.intact else "broken"
        signer = check.signer if check is not None else ""
        by_key = check is not None and check.by_commission_key
    return PublicCertificate(
        serial=cert.serial,
        status=cert.status,
        status_label=cert.status_label,
        data=certificate_data(cert),
        commission=organisation_of(db, cycle).name,
        cycle_name=cycle.name,
        revoked_reason=cert.revoked_reason,
        superseded_by=newer.serial if newer is not None else None,
        signature=signature,
        signer=signer,
        by_commission_key=by_key,
        url=verification_url(get_settings().base_url, cert.serial),
    )


def status_counts(certs: Sequence[Certificate]) -> Mapping[str, int]:
    counts = {s.value: 0 for s in CertificateStatus}
    for c in certs:
        counts[c.status] += 1
    return counts
