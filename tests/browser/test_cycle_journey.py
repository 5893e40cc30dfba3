"""The sekretariat clones last year's cycle in the browser, sees it validated and opens it;
the body's operator then finds its questionnaire."""

from __future__ import annotations

import re

from tests.browser.conftest import Journey

DOMAIN = "demo.monevkip.id"


def test_sekretariat_clones_validates_and_opens_a_cycle(journey: Journey) -> None:
    page = journey.page
    page.on("dialog", lambda d: d.accept())  # "Buka siklus …?" confirmation
    journey.login(f"sekretariat.jatim@{DOMAIN}")
    journey.goto("/siklus")
    assert page.get_by_text("Monev KIP 2025").first.is_visible()
    journey.goto("/siklus/baru")
    page.fill("#f-name", "Monev KIP 2026")
    page.fill("#f-year", "2026")
    page.get_by_label(re.compile("Salin dari Monev KIP 2025")).check()
    page.get_by_role("button", name="Buat siklus").click()
    page.wait_for_url(re.compile(r"/siklus/\d+$"))
    journey.check("siklus-baru-tersalin")
    cycle_url = page.url
    assert page.get_by_role("heading", name="Siap dibuka").is_visible()
    page.get_by_role("button", name="Buka siklus").click()
    page.wait_for_load_state("networkidle")
    journey.check("siklus-dibuka")
    assert page.get_by_text("Siklus dibuka").first.is_visible()
    journey.goto(cycle_url.removeprefix(journey.base) + "/aturan")
    journey.goto(cycle_url.removeprefix(journey.base) + "/kuesioner")
    journey.logout()

    journey.login(f"operator.kota-pasuruan@{DOMAIN}")
    card = page.locator("div.card, section, article").filter(has_text="Monev KIP 2026").last
    card.get_by_role("link", name="Lihat jadwal dan kuesioner").click()
    page.wait_for_load_state("networkidle")
    journey.check("kuesioner-badan-publik")
    assert page.get_by_text("Kualitas Informasi").first.is_visible()
    assert page.get_by_text("Digitalisasi").first.is_visible()
