"""A body asks, the sekretariat answers, publishes an FAQ, looks at the body read-only and
sends a reviewed broadcast; notifications and the e-mail preference work in a real browser."""

from __future__ import annotations

from tests.browser.conftest import Journey

DOMAIN = "demo.monevkip.id"


def test_helpdesk_faq_view_as_and_a_broadcast(journey: Journey) -> None:
    page = journey.page
    page.on("dialog", lambda dialog: dialog.accept())  # the "Kirim ke N penerima?" confirmation

    journey.login(f"operator.kota-pasuruan@{DOMAIN}")
    journey.goto("/bantuan")
    page.fill("#f-subject", "Bukti berupa tautan Google Drive")
    page.fill("#f-item", "2.3.4.0")
    page.fill("#f-message", "Bolehkah bukti berupa tautan Google Drive?")
    page.get_by_role("button", name="Kirim pertanyaan").click()
    page.wait_for_url("**/bantuan/*")
    journey.check("pertanyaan-terkirim")
    assert page.get_by_text("menunggu jawaban").is_visible()
    journey.logout()

    journey.login(f"sekretariat.jatim@{DOMAIN}")
    badge = page.locator("#notif-badge")
    badge.wait_for()
    assert badge.inner_text().startswith("1")
    journey.goto("/notifikasi")
    page.get_by_role("button", name="Buka").first.click()
    page.wait_for_url("**/bantuan/*")
    journey.check("pertanyaan-masuk")
    page.fill("#f-reply", "Boleh, asal dapat dibuka tanpa meminta akses.")
    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_load_state("networkidle")
    page.locator("summary", has_text="Terbitkan sebagai FAQ").click()
    page.fill("#f-a", "Boleh, asal dapat dibuka tanpa meminta akses.")
    page.get_by_role("button", name="Tambahkan ke FAQ").click()
    page.wait_for_url("**/bantuan/faq")
    journey.check("kelola-faq")
    journey.goto("/bantuan")
    page.get_by_role("link", name="Bukti berupa tautan Google Drive").click()
    page.get_by_role("link", name="Lihat sebagai Pemerintah Kota Pasuruan (hanya baca)").click()
    page.wait_for_url("**/lihat-sebagai/*")
    journey.check("lihat-sebagai")
    assert page.get_by_text("Tampilan sebagai Pemerintah Kota Pasuruan, hanya baca").is_visible()
    page.get_by_role("link", name="Profil").click()
    page.wait_for_url("**/profil")
    journey.check("lihat-sebagai-profil")

    journey.goto("/siaran")
    page.fill("#f-subject", "Sosialisasi monev KIP untuk {{ body_name }}")
    page.fill("#f-body", "Yth. {{ recipient_name }},\n\n{{ commission }} mengundang Anda.")
    page.check("#f-aud-categories")
    page.check("#f-cat-bumd")
    page.get_by_role("button", name="Simpan dan lihat pratinjau").click()
    page.wait_for_url("**/siaran/*")
    journey.check("pratinjau-siaran")
    assert page.get_by_text("Sosialisasi monev KIP untuk").first.is_visible()
    page.get_by_role("button", name="Kirim ke").click()
    page.wait_for_url("**/siaran/*")
    journey.check("siaran-terkirim")
    assert page.get_by_text("masuk kotak keluar").is_visible()
    journey.goto("/kotak-keluar?status=sent")
    assert page.get_by_text("Sosialisasi monev KIP untuk").first.is_visible()

    journey.goto("/akun")
    page.locator("#notif-prefs").wait_for()
    page.uncheck("#f-optional-reminders")
    page.get_by_role("button", name="Simpan pilihan email").click()
    page.wait_for_url("**/akun")
    journey.check("akun-tanpa-pengingat")
    assert page.get_by_text("Pengingat opsional lewat email dimatikan").is_visible()
    journey.logout()

    journey.goto("/faq/ki-jatim")
    page.get_by_text("Bolehkah bukti berupa tautan Google Drive?").click()
    assert page.get_by_text("tanpa meminta akses").is_visible()


def test_the_helpdesk_works_on_a_phone(phone: Journey) -> None:
    phone.login(f"operator.kota-mojokerto@{DOMAIN}")
    phone.goto("/bantuan")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"
    phone.goto("/notifikasi")
    phone.goto("/faq/ki-jatim")
