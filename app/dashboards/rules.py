"""Pure rules of the dashboards: the funnel of a cycle and a body's next action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.cycles.rules import stage_label
from app.submissions.models import SubmissionStatus

# The funnel, in order; each is a set of target bodies (see app.dashboards.service).
STATUSES: dict[str, str] = {
    "registered": "Terdaftar",
    "activated": "Akun aktif",
    "filling": "Sedang mengisi",
    "submitted": "Mengirim SAQ",
    "verified": "Terverifikasi",
    "appealed": "Menyanggah",
    "shortlisted": "Nominasi",
    "scored": "Dinilai panel",
    "published": "Diumumkan",
}


@dataclass(frozen=True)
class FunnelRow:
    """One category's counts per status."""

    category_id: int | None
    category: str
    counts: dict[str, int]
    pending_registrations: int = 0


def total_row(rows: list[FunnelRow]) -> FunnelRow:
    """The sum of the categories."""
    counts = {key: sum(r.counts.get(key, 0) for r in rows) for key in STATUSES}
    return FunnelRow(None, "Semua kategori", counts, sum(r.pending_registrations for r in rows))


def share(part: int | None, whole: int | None) -> str:
    """`45 %` of the registered bodies, for the table; empty when it means nothing."""
    if part is None or not whole:
        return ""
    return f"{round(100 * part / whole)} %"


@dataclass(frozen=True)
class BodyState:
    """What the body's next action depends on, gathered by the service."""

    stage: str | None  # the stage open for the body now (extensions count)
    stage_closes_at: datetime | None
    upcoming: str | None
    upcoming_opens_at: datetime | None
    submission_status: str | None  # None: not started
    answered: int = 0
    total_items: int = 0
    broken_links: int = 0
    shortlisted: bool = False
    presentation_at: datetime | None = None


@dataclass(frozen=True)
class NextAction:
    text: str
    deadline: datetime | None
    urgent: bool = False


def next_action(state: BodyState, now: datetime) -> NextAction:
    """The one thing a body should do next, and by when (urgent in the last day)."""
    close = state.stage_closes_at
    urgent = close is not None and close - now <= timedelta(days=1)
    submitted = state.submission_status == SubmissionStatus.SUBMITTED
    if state.stage == "registration":
        return NextAction("Lengkapi profil badan publik, data PPID dan akun rekan.", close, urgent)
    if state.stage == "saq":
        if submitted:
            return NextAction("SAQ sudah dikirim. Tunggu hasil verifikasi.", None)
        if state.submission_status == SubmissionStatus.AWAITING_APPROVAL:
            return NextAction("Atasan PPID perlu menyetujui SAQ sebelum dikirim.", close, urgent)
        if state.broken_links:
            return NextAction(
                f"Perbaiki {state.broken_links} tautan bukti yang tidak dapat dibuka.",
                close,
                urgent,
            )
        left = max(state.total_items - state.answered, 0)
        if state.answered == 0:
            return NextAction("Mulai mengisi SAQ beserta buktinya.", close, urgent)
        if left:
            return NextAction(f"Lengkapi {left} butir SAQ yang belum dijawab.", close, urgent)
        return NextAction("Periksa jawaban, lalu kirim SAQ.", close, urgent)
    if state.stage in ("verification", "clarification"):
        if not submitted:
            return NextAction("SAQ tidak dikirim sebelum tenggat; tidak ada tindakan.", None)
        return NextAction("Jawab pertanyaan klarifikasi verifikator bila ada.", close, urgent)
    if state.stage == "appeal":
        return NextAction(
            "Ajukan sanggahan bila tidak setuju dengan hasil verifikasi.", close, urgent
        )
    if state.stage == "presentation" and state.shortlisted:
        when = state.presentation_at or close
        return NextAction("Siapkan presentasi pimpinan badan publik.", when, False)
    if state.stage is None and state.upcoming is not None:
        return NextAction(
            f"Tunggu tahap {stage_label(state.upcoming)}.", state.upcoming_opens_at, False
        )
    return NextAction("Tidak ada tindakan saat ini.", None)
