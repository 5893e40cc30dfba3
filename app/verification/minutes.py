"""Berita acara (formal minutes) as PDF: the verification of one body, and one appeal
decision. Who, when, which items, the verdicts and reasons, and a signatures block."""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.bodies.models import Body
from app.cycles.models import Cycle
from app.orgs.models import Organisation
from app.questionnaires.models import Item
from app.verification.exports import VERDICT_LABELS, header, p, sheet_story, table
from app.verification.models import Appeal
from app.verification.service import Sheet
from app.web.format import fmt_datetime, fmt_decimal

WITNESS = ("Mengetahui, Sekretariat", "................")


def _name(db: Session, user_id: int | None) -> str:
    user = db.get(User, user_id) if user_id else None
    return user.full_name if user else "–"


def _doc(title: str) -> tuple[io.BytesIO, SimpleDocTemplate]:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, leftMargin=2 * cm, rightMargin=2 * cm, invariant=True
    )
    return buf, doc


def _signatures(left: tuple[str, str], right: tuple[str, str]) -> list[object]:
    data = [
        [left[0], right[0]],
        ["\n\n\n", "\n\n\n"],
        [f"( {left[1]} )", f"( {right[1]} )"],
    ]
    return [Spacer(1, 1 * cm), table(data, [8.5 * cm, 8.5 * cm])]


def verification_minutes(db: Session, org: Organisation, sheet: Sheet) -> bytes:
    """Berita acara of one body's verification."""
    styles = getSampleStyleSheet()
    buf, doc = _doc(f"Berita Acara Verifikasi {sheet.body.name}")
    a = sheet.assignment
    tz = org.timezone
    verifier = _name(db, a.verifier_id) if a else "–"
    counts = sheet.counts()
    story: list[object] = [
        Paragraph("Berita Acara Verifikasi SAQ", styles["Title"]),
        p(org.name),
        *(p(line) for line in header(sheet)),
        Spacer(1, 0.3 * cm),
        p(
            f"Verifikator {verifier} memeriksa {len(sheet.lines)} butir jawaban beserta data "
            f"dukungnya: {counts.get('accepted', 0)} diterima, {counts.get('rejected', 0)} "
            f"ditolak, {counts.get('adjusted', 0)} disesuaikan, {counts.get('pending', 0)} "
            "belum diputus."
        ),
        p(
            f"Nilai SAQ mandiri {fmt_decimal(sheet.scores.raw.published)}; nilai SAQ "
            f"terverifikasi {fmt_decimal(sheet.scores.verified.published)}."
        ),
    ]
    if a is not None:
        story.append(
            p(
                f"Status: {a.label}. Dikirim {fmt_datetime(a.submitted_at, tz)}; "
                f"dikunci {fmt_datetime(a.locked_at, tz)}"
                + (f"; direviu oleh {_name(db, a.reviewed_by_id)}" if a.reviewed_by_id else "")
                + "."
            )
        )
    story += [Spacer(1, 0.3 * cm), *sheet_story(sheet)]
    story += _signatures(
        ("Verifikator,", verifier), ("Mengetahui, Sekretariat", "................")
    )
    doc.build(story)
    return buf.getvalue()


def appeal_minutes(db: Session, org: Organisation, cycle: Cycle, appeal: Appeal) -> bytes:
    """Berita acara of one appeal decision, with the score before and after."""
    styles = getSampleStyleSheet()
    body = db.get(Body, appeal.body_id)
    item = db.get(Item, appeal.item_id)
    tz = org.timezone
    buf, doc = _doc(f"Berita Acara Sanggahan {appeal.id}")
    decider = _name(db, appeal.decider_id)
    before = Decimal(appeal.score_before) if appeal.score_before else None
    after = Decimal(appeal.score_after) if appeal.score_after else None
    option = f" (opsi {appeal.decision_option})" if appeal.decision_option else ""
    story: list[object] = [
        Paragraph("Berita Acara Putusan Sanggahan Hasil Verifikasi", styles["Title"]),
        p(f"{org.name} · {cycle.name}"),
        Spacer(1, 0.3 * cm),
        p(f"Badan publik: {body.name if body else '–'}"),
        p(f"Butir: {item.code if item else ''} {item.text if item else ''}"),
        p(f"Diajukan {fmt_datetime(appeal.filed_at, tz)} oleh {_name(db, appeal.filed_by_id)}."),
        p(f"Alasan sanggahan: {appeal.reason}"),
        p(
            "Putusan verifikasi awal: "
            f"{VERDICT_LABELS.get(appeal.verdict_before, appeal.verdict_before)} "
            f"(verifikator {_name(db, appeal.original_verifier_id)})."
        ),
        p(
            f"Putusan sanggahan: {VERDICT_LABELS.get(appeal.decision, appeal.decision)}{option}, "
            f"oleh {decider} pada {fmt_datetime(appeal.decided_at, tz)}."
        ),
        p(f"Alasan putusan: {appeal.decision_reason}"),
        p(f"Nilai SAQ terverifikasi sebelum {fmt_decimal(before)}, sesudah {fmt_decimal(after)}."),
    ]
    story += _signatures(
        ("Verifikator pemutus,", decider), ("Mengetahui, Sekretariat", "................")
    )
    doc.build(story)
    return buf.getvalue()
