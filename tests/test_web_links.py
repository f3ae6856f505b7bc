"""Every link of the site answers: a breadth-first crawl from / over real HTTP, as a browser would follow it."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are used as arguments)

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import requests
from web_fixtures import LiveServer, live_server, web_store  # noqa: F401

MAX_PAGES = 2000
# what a browser sends for a page (an RDF client would get data at /id/..., a browser a page or a redirect)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}


class Links(HTMLParser):
    """The URLs a browser would load or let a person follow from one HTML page: a/link href, img/script src,
    and GET forms submitted as they stand (their fields' own values), unless a field is required and empty."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._form: dict[str, object] | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._option_seen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("a", "link") and values.get("href"):
            self.urls.append(values["href"])
        elif tag in ("img", "script") and values.get("src"):
            self.urls.append(values["src"])
        elif tag == "form" and values.get("method", "get").lower() == "get":
            self._form = {"action": values.get("action", ""), "fields": [], "blocked": False}
        elif self._form is not None and tag in ("input", "select", "textarea") and values.get("name"):
            if tag == "input" and values.get("type", "text") in ("submit", "button", "reset", "image"):
                return
            if tag == "input" and values.get("type") in ("checkbox", "radio") and "checked" not in values:
                return
            if "required" in values and not values.get("value"):
                self._form["blocked"] = True  # a person must type something first
            self._form["fields"].append([values["name"], values.get("value", "")])  # type: ignore[union-attr]
            self._select = values["name"] if tag == "select" else None
            self._textarea = values["name"] if tag == "textarea" else None
        elif tag == "option" and self._form is not None and self._select is not None:
            fields = self._form["fields"]  # type: ignore[assignment]
            if "selected" in values or not self._option_seen:  # the first option, unless one is selected
                fields[-1][1] = values.get("value", "")  # type: ignore[index]
            self._option_seen = True

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form["fields"][-1][1] += data  # type: ignore[index]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select, self._option_seen = None, False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            if not self._form["blocked"]:
                fields = [tuple(field) for field in self._form["fields"]]  # type: ignore[union-attr]
                self.urls.append(f"{self._form['action']}?{urlencode(fields)}")
            self._form = None


def crawl(root: str, limit: int = MAX_PAGES) -> tuple[dict[str, int], dict[str, str]]:
    """Status of every same-site URL reached from ``root`` (breadth-first, at most ``limit``), and the page each
    was first found on."""
    site = urlsplit(root).netloc
    found_on: dict[str, str] = {root: "(start)"}
    status: dict[str, int] = {}
    queue = deque([root])
    with requests.Session() as session:
        while queue and len(status) < limit:
            url = queue.popleft()
            response = session.get(url, headers=BROWSER, timeout=60)  # redirects followed, as a browser does
            status[url] = response.status_code
            if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith("text/html"):
                continue
            parser = Links()
            parser.feed(response.text)
            for link in parser.urls:
                target = urldefrag(urljoin(response.url, link)).url
                if urlsplit(target).netloc == site and target not in found_on:
                    found_on[target] = url
                    queue.append(target)
    return status, found_on


def test_every_link_answers_200(live_server: LiveServer) -> None:
    status, found_on = crawl(live_server.url + "/")
    broken = [f"{code} {url} (linked from {found_on[url]})" for url, code in status.items() if code != 200]
    assert broken == [], "links that do not answer 200:\n" + "\n".join(broken)
    paths = {urlsplit(url).path for url in status}
    for kind in ("/class/", "/jurisdiction/", "/skill/", "/id/", "/ladder", "/validation", "/sparql", "/static/"):
        assert any(path.startswith(kind) for path in paths), f"the crawl never reached {kind}"
    assert len(status) < MAX_PAGES, "the crawl hit its bound: raise MAX_PAGES or look for a link trap"


def test_the_crawler_reads_every_kind_of_link() -> None:
    page = """<link rel="icon" href="/static/a.svg"><script src="/static/b.js"></script>
    <a href="/one#part">one</a><img src="two.svg" alt="">
    <form action="/search" method="get"><input name="q" value=""><button type="submit">Go</button></form>
    <form action="/ladder"><input name="from" required><input type="submit" value="Draw"></form>
    <form action="/validation" method="get"><select name="severity"><option value="">all</option>
      <option value="warning" selected>warning</option></select></form>
    <form action="/query" method="get"><textarea name="query">ASK {}</textarea></form>
    <form action="/change" method="post"><input name="x" value="1"></form>"""
    parser = Links()
    parser.feed(page)
    assert parser.urls == ["/static/a.svg", "/static/b.js", "/one#part", "two.svg", "/search?q=",
                           "/validation?severity=warning", "/query?query=ASK+%7B%7D"]
