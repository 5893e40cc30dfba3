"""First-time users log in with each demo role and find their way around the foundation pages."""

from __future__ import annotations

from tests.browser.conftest import Journey

DOMAIN = "demo.monevkip.id"


def test_sekretariat_manages_bodies_and_people(journey: Journey) -> None:
    journey.login(f"sekretariat.jatim@{DOMAIN}")
    page = journey.page
    assert page.get_by_role("heading", name="Beranda").is_visible()
    journey.goto("/badan-publik")
    page.fill("#f-q", "Pasuruan")
    page.click("form[role=search] button")
    page.wait_for_url("**q=Pasuruan**")
    journey.check("cari-badan-publik")
    page.get_by_role("link", name="Pemerintah Kota Pasuruan").click()
    journey.check("detail-kota-pasuruan")
    assert page.get_by_text("Kelurahan Tembokrejo").is_visible()
    journey.goto("/badan-publik/impor")
    journey.goto("/pengguna")
    page.fill("#f-email", "verifikator.baru@demo.example.id")
    page.fill("#f-full_name", "Verifikator Baru")
    page.select_option("#f-role", "verifikator")
    page.click("form[action='/pengguna'] button[type=submit]")
    journey.check("pengguna-setelah-undang")
    assert page.get_by_text("verifikator.baru@demo.example.id").first.is_visible()
    journey.goto("/akun")
    journey.logout()


def test_a_wrong_password_keeps_the_email_and_explains(journey: Journey) -> None:
    journey.goto("/masuk")
    journey.page.fill("#f-email", f"juri1.jatim@{DOMAIN}")
    journey.page.fill("#f-password", "salah-sekali")
    with journey.expecting(401):
        journey.page.click("button[type=submit]")
    journey.check("masuk-gagal")
    assert journey.page.get_by_text("Email atau kata sandi salah").is_visible()
    assert journey.page.input_value("#f-email") == f"juri1.jatim@{DOMAIN}"


def test_an_operator_on_a_phone_sees_their_body(phone: Journey) -> None:
    phone.login(f"operator.kota-pasuruan@{DOMAIN}")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"
    phone.page.get_by_role("button", name="Buka menu").click()
    phone.page.get_by_role("link", name="Pemerintah Kota Pasuruan").click()
    phone.check("badan-publik-saya")
    phone.page.get_by_role("link", name="Ubah data").click()
    phone.check("ubah-data")
    phone.page.fill("#f-website", "ftp://kota.pasuruan.go.id")
    with phone.expecting(422):
        phone.page.get_by_role("button", name="Simpan").click()
    phone.check("ubah-data-salah")
    assert phone.page.get_by_text("Harus diawali http").is_visible()


def test_every_demo_role_gets_a_home_page(journey: Journey) -> None:
    for local, text in [
        ("komisioner.jatim", "menyetujui hasil"),
        ("verifikator1.jatim", "memverifikasi"),
        ("reviewer.jatim", "tingkat kedua"),
        ("juri1.jatim", "menilai presentasi"),
        ("panitia.jatim", "piagam"),
        ("atasan.kota-pasuruan", "Pemerintah Kota Pasuruan"),
        ("admin", "Kelola komisi"),
    ]:
        journey.login(f"{local}@{DOMAIN}")
        assert journey.page.get_by_text(text).first.is_visible(), local
        journey.logout()
