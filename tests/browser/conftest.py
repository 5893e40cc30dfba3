"""Browser journeys: a real server process on its own SQLite database, driven by Debian's Chromium.

Every page visited fails the test on a console error or a failed request, is screenshotted under
`var/e2e/`, and is checked with axe-core (no serious or critical violations).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from app.config import PROJECT_ROOT
from tests.servers import Server, prepare_database, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE = (PROJECT_ROOT / "tests" / "assets" / "axe.min.js").read_text(encoding="utf-8")
SHOTS = PROJECT_ROOT / "var" / "e2e"
DEMO_PASSWORD = "monev-demo-2025"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process with a migrated, demo-seeded SQLite database of its own."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: ./scripts/test installs Debian's chromium package")
    root = tmp_path_factory.mktemp("e2e")
    env = server_env(root, f"sqlite:///{root / 'e2e.db'}")
    prepare_database(env)
    srv = Server(env, root / "server.log")
    yield srv.base
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API runs an event loop in this thread,
    which must end before other modules' tests (that use asyncio themselves) run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Journey:
    """A browser tab that records problems and checks every page it visits."""

    def __init__(self, page: Any, base: str, name: str) -> None:
        self.page = page
        self.base = base
        self.name = name
        self.step = 0
        self.problems: list[str] = []
        self.expected_status: set[int] = set()
        self.expected_urls: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on(
            "requestfailed",
            lambda req: self.problems.append(
                f"request failed: {req.method} {req.url} {req.failure}"
            ),
        )
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        # Chromium logs every 4xx document as "Failed to load resource"; a page we expect to
        # answer with an error status (a form shown again with its errors) is not a problem.
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and url in self.expected_urls:
            return
        self.problems.append(f"console error: {msg.text} ({url})")

    def _response(self, resp: Any) -> None:
        if resp.status < 400:
            return
        kind = resp.request.resource_type
        if kind in ("document", "xhr", "fetch") and resp.status in self.expected_status:
            self.expected_urls.add(resp.url)
            return
        self.problems.append(f"HTTP {resp.status} for {resp.request.method} {resp.url}")

    @contextmanager
    def expecting(self, *statuses: int) -> Iterator[None]:
        """The next page(s) or htmx requests answer with one of `statuses` on purpose (e.g. a
        form with errors, an autosave meeting a colleague's newer answer)."""
        self.expected_status = set(statuses)
        try:
            yield
        finally:
            self.page.wait_for_load_state("networkidle")
            self.expected_status = set()

    def goto(self, path: str) -> Any:
        resp = self.page.goto(self.base + path)
        self.check(path)
        return resp

    def check(self, label: str) -> None:
        """Screenshot the page, then fail on serious accessibility problems."""
        self.page.wait_for_load_state("networkidle")
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in label).strip("-")[:60] or "halaman"
        self.page.screenshot(
            path=str(SHOTS / f"{self.name}-{self.step:02d}-{slug}.png"), full_page=True
        )
        assert self.page.title(), f"page without a title: {label}"
        self.page.evaluate(AXE)
        result = self.page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
        )
        assert not result, f"accessibility problems on {label}: {json.dumps(result, indent=1)}"

    def download(self, trigger: Any) -> bytes:
        """Click `trigger` (a link to a file) and return the file's bytes. Chromium reports
        the navigation that turned into a download as aborted; that is not a problem."""
        with self.page.expect_download() as info:
            trigger.click()
        data = Path(info.value.path()).read_bytes()
        url = info.value.url
        self.problems = [
            p for p in self.problems if not (p.startswith("request failed") and url in p)
        ]
        return data

    def login(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/masuk")
        self.page.fill("#f-email", email)
        self.page.fill("#f-password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/beranda")
        self.check("beranda")

    def logout(self) -> None:
        self.page.click("nav form[action='/keluar'] button")
        self.page.wait_for_url("**/masuk")


@pytest.fixture
def journey(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    j = Journey(context.new_page(), server, request.node.name)
    yield j
    context.close()
    assert not j.problems, "\n".join(j.problems)


@pytest.fixture
def phone(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="id-ID", is_mobile=True, has_touch=True
    )
    j = Journey(context.new_page(), server, request.node.name + "-360")
    yield j
    context.close()
    assert not j.problems, "\n".join(j.problems)
