"""The panitia finds the certificate page from its home page; the sekretariat sees a template
error in the page; a wrong serial gets the public 404 page. Every page is checked with axe."""

from __future__ import annotations

import re

from tests.browser.conftest import Journey

DOMAIN = "demo.monevkip.id"


def test_certificate_pages_for_the_panitia_the_sekretariat_and_the_public(
    journey: Journey,
) -> None:
    page = journey.page
    journey.login(f"panitia.jatim@{DOMAIN}")
    page.get_by_role("link", name=re.compile("Piagam Monev KIP 2025")).click()
    page.wait_for_url(re.compile(r"/siklus/\d+/piagam$"))
    journey.check("piagam-panitia")
    path = page.url.removeprefix(journey.base)
    assert page.get_by_role("heading", name="Piagam penghargaan").is_visible()
    journey.logout()

    journey.login(f"sekretariat.jatim@{DOMAIN}")
    journey.goto(path)
    page.fill("#title-khusus", "Penghargaan {hadiah}")
    with journey.expecting(422):
        page.locator("form[action$='/templat/khusus'] button", has_text="Simpan templat").click()
    journey.check("piagam-templat-salah")
    assert page.get_by_text("Kolom isian tidak dikenal: {hadiah}").first.is_visible()
    journey.logout()

    with journey.expecting(404):
        page.goto(journey.base + "/piagam/2025-ZZZZZZZZ")
    journey.check("piagam-tidak-ditemukan")
    assert page.get_by_text("tidak ditemukan").first.is_visible()
