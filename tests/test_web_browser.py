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
from test_ladder_svg import write_fan_specs
from web_fixtures import LIVE_SETTINGS, XSS_CODE, XSS_TITLE, LiveServer, live_server, serve_live, web_store  # noqa: F401

from rolegraph.pipeline import build
from rolegraph.store import open_store

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

    def __init__(self, browser: Any, width: int = 1200) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
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


# -- the ladder picture with many next steps --------------------------------------------------------------------

@pytest.fixture(scope="module")
def fan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a generated store: one class with 25 next steps, 4 of which lead on (three levels)."""
    base = tmp_path_factory.mktemp("fan")
    write_fan_specs(base / "specs")
    store = open_store(base / "store")
    try:
        build([base / "specs"], store)
    finally:
        store.close()
    yield from serve_live(base / "store", threads=4, **LIVE_SETTINGS)


@pytest.fixture
def wide(browser: Any) -> Iterator[Watched]:
    page = Watched(browser, width=1280)
    yield page
    page.context.close()
    assert page.problems == []


# Boxes of the classes, the texts in each, the labels of the steps and the svg itself, as the browser lays them out.
MEASURE = """() => {
  const edges = (element) => { const b = element.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const svg = document.querySelector('svg');
  return {svg: edges(svg),
          boxes: [...svg.querySelectorAll('g.class')].map(g => ({
            rect: edges(g.querySelector('rect')), texts: [...g.querySelectorAll('text')].map(edges)})),
          labels: [...svg.querySelectorAll('g.step text')].map(edges)};
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _within(inner: list[float], outer: list[float]) -> bool:
    return (inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5 and inner[2] <= outer[2] + 0.5
            and inner[3] <= outer[3] + 0.5)


def show_picture(page: Any, url: str) -> None:
    """The SVG at ``url`` alone in ``page``, inline in an empty document (headless Chromium's screenshot of an
    SVG document on its own never finishes)."""
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    page.set_content("<!doctype html><body>" + response.text() + "</body>")  # under the pages' CSP: no inline style


def check_picture(page: Any, boxes: int) -> dict[str, Any]:
    """The SVG open in ``page``: ``boxes`` class boxes, none overlapping another, all inside the svg; each box's
    texts inside it; the step labels inside the svg, clear of the boxes and of each other."""
    seen = page.evaluate(MEASURE)
    rects = [box["rect"] for box in seen["boxes"]]
    assert len(rects) == boxes
    for index, rect in enumerate(rects):
        assert _within(rect, seen["svg"]), f"box {rect} outside the svg {seen['svg']}"
        assert not [other for other in rects[index + 1:] if _overlap(rect, other)], f"box {rect} overlaps another"
        for text in seen["boxes"][index]["texts"]:
            assert _within(text, rect), f"text {text} sticks out of its box {rect}"
    for index, label in enumerate(seen["labels"]):
        assert _within(label, seen["svg"]), f"label {label} outside the svg"
        assert not [rect for rect in rects if _overlap(label, rect)], f"label {label} overlaps a box"
        assert not [other for other in seen["labels"][index + 1:] if _overlap(label, other)], f"label {label} overlaps"
    return seen


def test_class_page_with_25_next_steps_draws_a_readable_ladder(fan_server: LiveServer, wide: Watched) -> None:
    page = wide.page
    page.goto(fan_server.url + "/search?q=50000&go=1")
    assert page.inner_text("h1").startswith("Office Clerk")
    assert page.locator("ul.steps").first.locator("li.step").count() == 25
    image = page.locator("figure.ladder-picture img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    fits = page.evaluate("f => [f.scrollWidth, f.clientWidth]", page.locator("figure.ladder-picture").element_handle())
    assert fits[0] <= fits[1], f"the picture is wider than its frame: {fits}"
    wide.shot("ladder-fan-class-page")
    show_picture(page, fan_server.url + image.get_attribute("src"))  # the picture itself, 1264 px at 1280
    seen = check_picture(page, boxes=30)  # the class, 25 next steps, 4 of them leading on
    assert seen["svg"][2] - seen["svg"][0] <= 1280
    assert len(seen["labels"]) == 29
    wide.shot("ladder-fan-picture")


def test_seeds_class_picture_is_readable(live_server: LiveServer, wide: Watched) -> None:
    page = wide.page
    show_picture(page, live_server.url + "/ladder.svg?from=1341")
    check_picture(page, boxes=2)
    wide.shot("ladder-seeds-1341-picture")
