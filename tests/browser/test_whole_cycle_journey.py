"""The whole demo 2025 cycle of KI Jatim in a real browser, stage by stage, as the people who do it.

One server and one SQLite database for the module (the tests run in order and build on each
other): Kota Pasuruan's operators fill and submit the SAQ, the atasan approves, a verifier checks
it and asks a clarification, the body appeals, a second verifier decides, the komisioner approves
the shortlist, jurors score on a phone, the chair locks, the decree is published, the portal shows
the body and the ceremony staff print certificates whose QR link opens the verification page.

Time moves only through the sekretariat's stage page (`move_stages`): a stage that has begun keeps
its opening, so each move closes nothing that the journey still needs and opens the next stages
at the current minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zxingcpp

from tests.browser.conftest import Journey
from tests.certificates.helpers import page_images, page_texts
from tests.evidence.pdfs import pdf
from tests.servers import Server, prepare_database, server_env

DOMAIN = "demo.monevkip.id"
WIB = ZoneInfo("Asia/Jakarta")
BODY = "Pemerintah Kota Pasuruan"

# What one test leaves for the next: paths found by following links.
state: dict[str, Any] = {}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: this journey moves the demo cycle's stages, which the other
    journeys (on the session server) must not see. Links may point at the server itself."""
    root = tmp_path_factory.mktemp("whole-cycle")
    env = server_env(root, f"sqlite:///{root / 'cycle.db'}", EVIDENCE_LINKS_ALLOW_PRIVATE="true")
    prepare_database(env)
    srv = Server(env, root / "server.log")
    yield srv.base
    srv.stop()


@pytest.fixture(scope="module")
def people(browser: Any, base: str) -> Iterator[Any]:
    """`with people("operator.kota-pasuruan") as j:` — a fresh logged-in tab for one person."""
    opened: list[Journey] = []

    @contextmanager
    def open_as(local: str | None, *, phone: bool = False) -> Iterator[Journey]:
        size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(
            viewport=size, locale="id-ID", is_mobile=phone, has_touch=phone, accept_downloads=True
        )
        name = f"siklus-{len(opened) + 1:02d}-{(local or 'publik').split('.')[0]}"
        j = Journey(context.new_page(), base, name + ("-360" if phone else ""))
        j.page.on("dialog", lambda d: d.accept())  # destructive actions ask for confirmation
        opened.append(j)
        try:
            if local:
                j.login(f"{local}@{DOMAIN}")
            yield j
        finally:
            context.close()
        assert not j.problems, "\n".join(j.problems)

    yield open_as


def wib_minute(delta_minutes: int = 0) -> str:
    """Now in the commission's zone, to the minute, as a datetime-local input wants it."""
    now = datetime.now(WIB).replace(second=0, microsecond=0) + timedelta(minutes=delta_minutes)
    return now.strftime("%Y-%m-%dT%H:%M")


def move_stages(j: Journey, cycle: str, opens_now: list[str], close_now: list[str] = ()) -> None:
    """The sekretariat opens `opens_now` at the current minute (and closes `close_now`)."""
    page = j.page
    j.goto(f"{cycle}/tahap")
    for code in close_now:
        page.fill(f"#closes-{code}", wib_minute())
    for code in opens_now:
        page.fill(f"#opens-{code}", wib_minute())
    page.get_by_role("button", name="Simpan jadwal").click()
    page.wait_for_load_state("networkidle")
    j.check("tahap-" + "-".join(opens_now))
    assert page.get_by_text("Jadwal tahap disimpan").first.is_visible(), page.content()[:2000]


def wait_htmx(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


# --- 1. SAQ ---------------------------------------------------------------------------------------


def test_the_body_fills_gets_approval_submits_and_downloads_its_receipt(
    people: Any, tmp_path: Path
) -> None:
    with people("sekretariat.jatim") as sek:
        page = sek.page
        sek.goto("/siklus")
        page.get_by_role("link", name="Monev KIP 2025").first.click()
        page.wait_for_url(re.compile(r"/siklus/\d+$"))
        sek.check("siklus-2025")
        state["cycle"] = page.url.removeprefix(sek.base)
        page.get_by_role("link", name="SAQ badan publik").click()
        page.wait_for_url(re.compile(r"/saq$"))
        sek.check("saq-badan-publik")
        page.check("#f-approval")
        page.get_by_role("button", name="Simpan pengaturan").click()
        page.wait_for_load_state("networkidle")
        sek.check("saq-persetujuan-atasan")
        assert page.is_checked("#f-approval")

    with people("operator.kota-pasuruan") as op, people("operator2.kota-pasuruan") as op2:
        page = op.page
        page.get_by_role("link", name="Isi SAQ dan lihat kemajuan").first.click()
        page.wait_for_url(re.compile(r"/saq$"))
        op.check("saq-kosong")
        saq = page.url.removeprefix(op.base)
        state["saq"] = saq
        state["body_id"] = re.search(r"/badan/(\d+)/", saq).group(1)  # type: ignore[union-attr]
        op2.goto(saq)  # the colleague opens the same page at the same time

        items = page.locator("li[id^=item-]")
        ids = [i.get_attribute("id").removeprefix("item-") for i in items.all()]
        # The colleague takes the last indicator, the operator the rest.
        last_ind = page.locator("section[aria-labelledby^=ind-]").last
        theirs = {
            i.get_attribute("id").removeprefix("item-")
            for i in last_ind.locator("li[id^=item-]").all()
        }
        assert theirs and len(theirs) < len(ids)
        for n, item_id in enumerate(ids):  # autosaves run side by side, as htmx sends them
            answer((op2 if item_id in theirs else op).page, item_id, tidak=(n % 9 == 4))
        for j in (op, op2):
            j.page.wait_for_function(
                "n => document.querySelectorAll('li[id^=item-] [role=status]').length >= n",
                arg=len(theirs) if j is op2 else len(ids) - len(theirs),
            )
        # The first "Ya" item asking for a file gets a PDF; the first asking for a link, a link.
        upload = page.locator("li[id^=item-]:has(input[type=file])").first
        sk_pdf = tmp_path / "SK PPID Kota Pasuruan.pdf"
        sk_pdf.write_bytes(pdf(text="Keputusan Wali Kota Pasuruan tentang PPID"))
        upload.locator("input[type=file]").set_input_files(str(sk_pdf))
        upload.get_by_role("button", name="Unggah", exact=True).click()
        page.wait_for_load_state("networkidle")
        op.check("saq-berkas-terunggah")
        assert page.get_by_text("SK PPID Kota Pasuruan.pdf").first.is_visible()
        linked = page.locator("li[id^=item-]:has(input[type=url])").first
        linked.locator("input[type=url]").fill(op.base + "/faq/ki-jatim")
        linked.get_by_role("button", name="Tambah", exact=True).click()
        page.wait_for_load_state("networkidle")
        op.check("saq-tautan")
        assert page.get_by_text(op.base + "/faq/ki-jatim").first.is_visible()

        # Both edit the same item: the colleague's page still carries the old version.
        contested = sorted(theirs)[0]
        op.page.reload()
        choose(op.page, contested, "Tidak")
        with op2.expecting(409):
            choose(op2.page, contested, "Tidak")
            conflict = op2.page.locator(f"#item-{contested} [role=alert]")
            conflict.wait_for()
        op2.check("saq-konflik")
        assert "disimpan oleh Demo Operator Kota Pasuruan" in conflict.inner_text()

        page.get_by_role("link", name="Periksa dan kirim SAQ").click()
        page.wait_for_url("**/kirim")
        op.check("saq-periksa")
        page.check("#f-confirmed")
        page.get_by_role("button", name="Kirim SAQ").click()
        page.wait_for_load_state("networkidle")
        op.check("saq-menunggu-atasan")
        assert "atasan" in page.locator("#saq-status").inner_text().lower()

    with people("atasan.kota-pasuruan") as atasan:
        atasan.goto(state["saq"])
        atasan.page.get_by_role("button", name="Setujui dan kirim").click()
        atasan.page.wait_for_load_state("networkidle")
        atasan.check("saq-disetujui")
        receipt = atasan.download(atasan.page.get_by_role("link", name="Unduh tanda terima (PDF)"))
        assert receipt.startswith(b"%PDF")


def choose(page: Any, item_id: str, value: str) -> None:
    item = page.locator(f"#item-{item_id}")
    item.get_by_label(value, exact=True).check()
    wait_htmx(page)


def answer(page: Any, item_id: str, *, tidak: bool = False) -> None:
    """Answer one item the way its form asks (autosaved by htmx)."""
    item = page.locator(f"#item-{item_id}")
    if item.locator("input[type=radio]").count():
        # click, not check: htmx may already have swapped the item in when Playwright looks
        item.get_by_label("Tidak" if tidak else "Ya", exact=True).click()
    elif item.locator("select[name=value]").count():
        sel = item.locator("select[name=value]")
        labels = sel.locator("option").all_inner_texts()
        sel.select_option(label=labels[1 if tidak else -1])
    else:
        area = item.locator("textarea[name=text]")
        area.fill("Tersedia di laman PPID Kota Pasuruan, menu Informasi Publik.")
        area.dispatch_event("change")


# --- 2. Verification and clarification ------------------------------------------------------------


def test_a_verifier_works_through_the_body_with_a_clarification(
    people: Any, tmp_path: Path
) -> None:
    cycle, body_id = state["cycle"], state["body_id"]
    with people("sekretariat.jatim") as sek:
        move_stages(sek, cycle, ["verification", "clarification"], close_now=["saq"])
        sek.page.get_by_role("link", name="Verifikasi").first.click()
        sek.page.wait_for_load_state("networkidle")
        sek.check("verifikasi-dasbor")
        sek.goto(f"{cycle}/verifikasi/penugasan")
        sek.page.get_by_label(f"Verifikator untuk {BODY}", exact=True).select_option(
            label="Demo Verifikator 1"
        )
        sek.page.locator(f"form:has(#v-{body_id})").get_by_role("button", name="Tugaskan").click()
        sek.page.wait_for_load_state("networkidle")
        sek.check("verifikator-ditugaskan")
        row = sek.page.locator("tr", has=sek.page.get_by_role("cell", name=BODY, exact=True))
        assert "Demo Verifikator 1" in row.inner_text()

    with people("verifikator1.jatim") as ver:
        page = ver.page
        ver.goto("/verifikasi")
        page.get_by_role("link", name=BODY, exact=True).click()
        page.wait_for_url(re.compile(r"/verifikasi/\d+/badan/\d+$"))
        ver.check("lembar-verifikasi")
        state["sheet"] = page.url.removeprefix(ver.base)
        cards = page.locator("div.card[id^=butir-]")
        ids = [c.get_attribute("id").removeprefix("butir-") for c in cards.all()]
        asked = page.locator("div.card[id^=butir-]:has-text('SK PPID Kota Pasuruan.pdf')").first
        asked_id = asked.get_attribute("id").removeprefix("butir-")
        rejected = [i for i in ids if i != asked_id][1:3]
        state["rejected"] = rejected
        asked.locator("summary", has_text="Ajukan klarifikasi").click()
        asked.locator("textarea[name=question]").fill(
            "Apakah SK PPID ini sudah diperbarui setelah pergantian wali kota?"
        )
        asked.locator("input[name=due]").fill(wib_minute(3 * 24 * 60))
        asked.get_by_role("button", name="Kirim", exact=True).click()
        page.wait_for_load_state("networkidle")
        ver.check("klarifikasi-diajukan")
        for item_id in rejected:
            card = page.locator(f"#butir-{item_id}")
            card.locator("select[name=verdict]").select_option("rejected")
            card.locator("input[name=note]").fill("Bukti tidak menunjukkan dokumen yang diminta.")
            card.get_by_role("button", name="Simpan putusan").click()
            wait_htmx(page)
            assert "Tolak" in page.locator(f"#butir-{item_id}").inner_text()
        for item_id in ids:  # the rest is accepted as declared, one decision per item
            if item_id not in rejected and item_id != asked_id:
                page.locator(f"#butir-{item_id}").get_by_role(
                    "button", name="Simpan putusan"
                ).click()
        wait_htmx(page)

    with people("operator.kota-pasuruan") as op:
        op.goto(f"{cycle}/klarifikasi")
        page = op.page
        assert page.get_by_text("pergantian wali kota").first.is_visible()
        page.locator("textarea[name=response]").first.fill(
            "Sudah; SK terbaru kami unggah sebagai versi baru."
        )
        page.get_by_role("button", name="Kirim jawaban").first.click()
        page.wait_for_load_state("networkidle")
        op.check("klarifikasi-dijawab")
        new_sk = tmp_path / "SK PPID 2025.pdf"
        new_sk.write_bytes(pdf(text="Keputusan Wali Kota Pasuruan tentang PPID 2025"))
        page.locator("input[type=file]").first.set_input_files(str(new_sk))
        page.get_by_role("button", name="Unggah", exact=True).first.click()
        page.wait_for_load_state("networkidle")
        op.check("klarifikasi-berkas-baru")

    with people("verifikator1.jatim") as ver:
        page = ver.page
        ver.goto(state["sheet"])
        card = page.locator(f"#butir-{asked_id}")
        assert "SK terbaru kami unggah" in card.inner_text()
        card.get_by_role("button", name="Tutup klarifikasi").click()
        page.wait_for_load_state("networkidle")
        page.locator(f"#butir-{asked_id}").get_by_role("button", name="Simpan putusan").click()
        wait_htmx(page)
        ver.goto(state["sheet"])
        n = len(ids)
        assert page.get_by_text(f"{n} dari {n} butir sudah diputus").is_visible()
        page.get_by_role("button", name="Selesaikan dan kunci").click()
        page.wait_for_load_state("networkidle")
        ver.check("verifikasi-dikunci")
        assert not page.get_by_role("button", name="Selesaikan dan kunci").count()


# --- 3. Publication, appeal, shortlist ------------------------------------------------------------


def test_results_are_published_appealed_decided_and_the_shortlist_approved(people: Any) -> None:
    cycle, body_id = state["cycle"], state["body_id"]
    appealed = state["rejected"][0]
    with people("sekretariat.jatim") as sek:
        move_stages(sek, cycle, ["verification_publication", "appeal"])
        sek.goto(f"{cycle}/verifikasi")
        sek.page.get_by_role("button", name="Umumkan hasil verifikasi terkunci").click()
        sek.page.wait_for_load_state("networkidle")
        sek.check("verifikasi-diumumkan")

    result = f"{cycle}/hasil-verifikasi/{body_id}"
    with people("operator.kota-pasuruan") as op:
        page = op.page
        op.goto(result)
        before = page.locator("p", has_text="SAQ terverifikasi").inner_text()
        row = page.locator("tr", has=page.locator(f"#s-{appealed}"))
        row.locator("summary", has_text="Ajukan").click()
        row.locator("textarea").fill(
            "Daftar informasi publik sudah kami tayangkan di laman PPID sejak Maret; "
            "tautannya ada pada butir ini."
        )
        row.get_by_role("button", name="Ajukan sanggahan").click()
        page.wait_for_load_state("networkidle")
        op.check("sanggahan-diajukan")
        assert page.get_by_text("menunggu putusan").first.is_visible()

    with people("verifikator2.jatim") as ver2:
        page = ver2.page
        ver2.goto("/verifikasi")
        page.get_by_role("link", name=re.compile(r"Sanggahan #\d+")).first.click()
        page.wait_for_url(re.compile(r"/sanggah/\d+$"))
        ver2.check("sanggahan-dibuka")
        page.select_option("#f-decision", "accepted")
        page.fill("#f-reason", "Tautan pada butir ini memuat dokumen yang diminta; butir diterima.")
        page.get_by_role("button", name="Simpan putusan").click()
        page.wait_for_load_state("networkidle")
        ver2.check("sanggahan-diputus")

    with people("operator.kota-pasuruan") as op:
        op.goto(result)
        decided = op.page.get_by_text(re.compile(r"diputus, SAQ [\d,]+ → [\d,]+"))
        assert decided.is_visible()
        after = op.page.locator("p", has_text="SAQ terverifikasi").inner_text()
        assert after != before, (before, after)

    with people("sekretariat.jatim") as sek:
        move_stages(sek, cycle, ["shortlist", "presentation"])
        sek.goto(f"{cycle}/nominasi")
        row = sek.page.locator("tr", has=sek.page.get_by_role("cell", name=BODY, exact=True))
        assert row.locator("td").last.inner_text() == "Ya"

    with people("komisioner.jatim") as kom:
        kom.goto(f"{cycle}/nominasi")
        kom.page.get_by_role("button", name="Tetapkan nominasi").click()
        kom.page.wait_for_load_state("networkidle")
        kom.check("nominasi-ditetapkan")
        assert kom.page.get_by_text("Daftar nominasi sudah ditetapkan").is_visible()


# --- 4. Presentation: panel, schedule, three jurors on phones, the chair locks ----------------

JURORS = ["juri1.jatim", "juri2.jatim", "juri3.jatim"]


def test_three_jurors_score_on_a_phone_and_the_chair_locks(people: Any) -> None:
    cycle = state["cycle"]
    with people("sekretariat.jatim") as sek:
        page = sek.page
        sek.goto(f"{cycle}/presentasi")
        page.get_by_role("button", name=re.compile("Pakai rubrik bawaan")).click()
        page.wait_for_load_state("networkidle")
        page.fill("#panel-name", "Ruang A")
        page.fill("#panel-location", "Aula Kantor KI Jatim")
        page.get_by_role("button", name="Buat panel").click()
        page.wait_for_load_state("networkidle")
        sek.check("panel-dibuat")
        for n, _ in enumerate(JURORS, start=1):
            form = page.locator("form[action$='/juri']").first
            form.locator("select[name=user_id]").select_option(label=f"Demo Juri {n}")
            if n == 1:
                form.locator("input[name=is_chair]").check()
            form.get_by_role("button", name="Tambah").click()
            page.wait_for_load_state("networkidle")
        sek.check("juri-ditambahkan")
        sek.goto(f"{cycle}/jadwal")
        page.fill("#f-start", wib_minute(30))
        page.get_by_role("button", name="Tempatkan otomatis").click()
        page.wait_for_load_state("networkidle")
        sek.check("jadwal-tersusun")
        assert page.get_by_text(BODY).first.is_visible()

    for n, local in enumerate(JURORS):
        with people(local, phone=True) as juri:
            page = juri.page
            juri.goto("/juri")
            page.get_by_role("link", name="Ruang A").first.click()
            page.wait_for_url(re.compile(r"/panel/\d+$"))
            state["panel"] = page.url.removeprefix(juri.base)
            juri.check("pakta")
            page.check("#agree")
            page.get_by_role("button", name="Setujui", exact=True).click()
            page.wait_for_load_state("networkidle")
            page.get_by_role("button", name="Deklarasi saya sudah lengkap").click()
            page.wait_for_load_state("networkidle")
            juri.check("siap-menilai")
            page.get_by_role("link", name="Nilai", exact=True).first.click()
            page.wait_for_url(re.compile(r"/badan/\d+$"))
            juri.check("formulir-nilai")
            for fs in page.locator("form fieldset").all():
                levels = fs.locator("label.btn")
                levels.nth(levels.count() - 1 - n % 2).click()
                fs.locator("textarea").fill("Paparan jelas dan didukung bukti.")
            page.get_by_role("button", name="Kirim nilai").click()
            page.wait_for_load_state("networkidle")
            juri.check("nilai-terkirim")
            assert page.get_by_text("terkirim").first.is_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"the panel page is {width}px wide on a 360px phone"

    with people("juri1.jatim", phone=True) as ketua:
        ketua.goto(state["panel"])
        assert ketua.page.get_by_text("Semua juri sudah mengirim nilai").is_visible()
        ketua.page.get_by_role("button", name="Kunci panel").click()
        ketua.page.wait_for_load_state("networkidle")
        ketua.check("panel-dikunci")
        assert ketua.page.get_by_text("nilai panel").first.is_visible()


# --- 5. Results, decree, public portal ------------------------------------------------------------


def test_results_are_computed_decreed_published_and_shown_to_the_public(people: Any) -> None:
    cycle, body_id = state["cycle"], state["body_id"]
    with people("sekretariat.jatim") as sek:
        page = sek.page
        move_stages(sek, cycle, ["plenary", "publication"])
        sek.goto(f"{cycle}/hasil")
        page.get_by_role("button", name="Hitung ulang semua nilai").click()
        page.wait_for_url(re.compile(r"/hasil/\d+$"))
        sek.check("versi-hasil")
        row = page.locator("tr", has=page.get_by_role("link", name=BODY, exact=True))
        assert re.search(r"\d+,\d\d", row.inner_text()), row.inner_text()
        page.get_by_role("button", name="Buat draf SK dari versi ini").click()
        page.wait_for_load_state("networkidle")
        sek.check("draf-sk")

    with people("komisioner.jatim") as kom:
        page = kom.page
        kom.goto(f"{cycle}/hasil")
        page.locator("input[name=sk_number]").first.fill("188/25/KPTS/KI-JATIM/2025")
        page.locator("input[name=sk_date]").first.fill(datetime.now(WIB).date().isoformat())
        page.get_by_role("button", name="Setujui (pleno)").click()
        page.wait_for_load_state("networkidle")
        kom.check("sk-disetujui")
        page.get_by_role("button", name="Terbitkan", exact=True).click()
        page.wait_for_load_state("networkidle")
        kom.check("sk-terbit")
        kom.goto(f"{cycle}/penghargaan")
        page.get_by_role("button", name="Tandai sudah ditinjau").click()
        page.wait_for_load_state("networkidle")
        kom.check("penghargaan-ditinjau")

    with people(None) as public:
        page = public.page
        public.goto("/hasil")
        page.get_by_role("link", name=re.compile("Monev KIP 2025")).first.click()
        page.wait_for_load_state("networkidle")
        public.check("peringkat-publik")
        assert page.get_by_text(BODY).first.is_visible()
        public.goto(f"/hasil/badan/{body_id}")
        assert page.get_by_role("heading", name=re.compile(BODY)).first.is_visible()
        assert page.get_by_text("2025").first.is_visible()


# --- 6. Certificates ------------------------------------------------------------------------------


def test_ceremony_staff_print_certificates_and_the_qr_link_verifies(people: Any) -> None:
    cycle = state["cycle"]
    with people("sekretariat.jatim") as sek:
        sek.goto(f"{cycle}/piagam")
        sek.page.fill("#place", "Surabaya")
        sek.page.fill("#signatory_name", "Edi Purwanto")
        sek.page.fill("#signatory_title", "Ketua Komisi Informasi Provinsi Jawa Timur")
        sek.page.get_by_role("button", name="Simpan pengaturan").click()
        sek.page.wait_for_load_state("networkidle")
        sek.check("piagam-pengaturan")
        sek.page.get_by_role("button", name="Terbitkan piagam").click()
        sek.page.wait_for_load_state("networkidle")
        sek.check("piagam-terbit")

    with people("panitia.jatim") as panitia:
        page = panitia.page
        page.get_by_role("link", name=re.compile("Piagam Monev KIP 2025")).click()
        page.wait_for_url(re.compile(r"/piagam$"))
        panitia.check("piagam-panitia")
        assert page.locator("tr", has_text=BODY).first.is_visible()
        page.get_by_role("button", name="Mulai cetak").click()
        # the job runs in the request here (HUEY_IMMEDIATE); a loaded machine needs time
        page.wait_for_url(re.compile(r"/pekerjaan/[0-9a-f-]{36}"), timeout=180_000)
        panitia.check("cetak-piagam")
        done = page.get_by_role("link", name=re.compile(r"^Unduh "))
        done.wait_for(timeout=180_000)
        printed = panitia.download(done)

    # The ceremony order puts every certificate on its own page; find Kota Pasuruan's and scan
    # its QR code as a phone would, then open the address it carries.
    texts = page_texts(printed)
    index = next(i for i, t in enumerate(texts) if BODY in t)
    codes = zxingcpp.read_barcodes(page_images(printed, scale=2)[index])
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode]
    url = codes[0].text
    with people(None, phone=True) as public:
        assert url.startswith(public.base + "/piagam/"), url
        public.goto(url.removeprefix(public.base))
        assert public.page.get_by_text(BODY).first.is_visible()
        assert public.page.get_by_text("Piagam ini sah dan berlaku.").is_visible()
