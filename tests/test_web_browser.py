"""The pages in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Each test fails on any console error, page error or JavaScript dialog, and saves a screenshot under
test-artifacts/ (gitignored) for a person to look at.
"""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are used as arguments)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from web_fixtures import XSS_CODE, XSS_TITLE, LiveServer, live_server, web_store  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) for browser tests",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (pip install playwright) drives Chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium with a fresh temporary profile (Playwright's launch() makes one per browser)."""
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield instance
        instance.close()


class Watched:
    """A page that records console errors, uncaught errors and dialogs (an alert() would be one)."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    page = Watched(browser)
    yield page
    page.context.close()
    assert page.problems == []


def test_class_page(live_server: LiveServer, watched: Watched) -> None:
    page = watched.page
    response = page.goto(live_server.url + "/class/texas/city-of-el-paso/1341")
    assert response.status == 200
    assert page.inner_text("h1").startswith("Customer Relations Clerk")
    duties = page.locator("ol.duties > li")
    assert duties.count() >= 2
    assert ".txt:" in duties.first.locator(".where").first.inner_text()
    pictures = page.locator("figure.ladder-picture img")  # the seeds' ladder has a step up from 1341
    assert pictures.count() == 1, "no ladder picture on the page of 1341"
    pictures.first.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", pictures.first.element_handle())
    assert watched.shot("class-1341").stat().st_size > 10_000


def test_ladder_page(live_server: LiveServer, watched: Watched) -> None:
    page = watched.page
    page.goto(live_server.url + "/ladder")
    page.fill("input[name=from]", "Customer Relations Clerk")
    page.fill("input[name=to]", "Customer Relations and Billing Supervisor")
    page.click("form.wide button")
    page.wait_for_load_state()
    assert "from=" in page.url
    image = page.locator("figure.ladder-picture img")  # the seeds derive the step 1341 -> 1343
    assert image.count() == 1, "no ladder picture: " + page.inner_text("main")[:300]
    assert page.evaluate("img => img.complete && img.naturalWidth > 200", image.element_handle())
    assert page.locator("ol.steps li").count() >= 1
    watched.shot("ladder-1341-1343")


def test_query_page_typed_query_returns_rows(live_server: LiveServer, watched: Watched) -> None:
    page = watched.page
    page.goto(live_server.url + "/query")
    assert "PREFIX rg:" in page.input_value("#query")
    page.fill("#query", "SELECT ?code ?title WHERE { ?c a rg:JobClass ; schema:identifier ?code ; "
                        "schema:name ?title } ORDER BY ?code")
    page.click("#run")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert rows.count() >= 5
    assert "query=" in page.url  # the query is kept in the URL, to share as a link
    assert page.locator("a.download").count() == 2
    watched.shot("query-results")


def test_hostile_title_is_text_in_the_browser(live_server: LiveServer, watched: Watched) -> None:
    page = watched.page
    page.goto(live_server.url + "/search?q=" + XSS_CODE)
    page.click(f"text={XSS_TITLE}")
    assert page.inner_text("h1").startswith(XSS_TITLE)
    query = f'SELECT ?t WHERE {{ ?c schema:identifier "{XSS_CODE}" ; schema:name ?t }}'
    page.goto(live_server.url + "/query?" + urlencode({"query": query}))
    assert page.inner_text("#results tbody td") == XSS_TITLE
    page.goto(live_server.url + "/ladder?from=" + XSS_CODE)
    watched.shot("hostile-title-ladder")
    page.goto(live_server.url + "/ladder.svg?from=" + XSS_CODE)
    assert page.evaluate("document.querySelectorAll('script').length") == 0
