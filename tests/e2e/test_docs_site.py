"""The documentation site as a reader sees it: the built HTML opened in headless Chromium.

The site is the one ``.ci/run`` builds (``sphinx-build -W --keep-going -n``) when
``CLEANLEARN_DOCS_HTML`` names its directory; otherwise this module builds it once into a
temporary directory, without executing the tutorials (their execution is the CI build's job;
here the pages only have to render). The browser fixture is the report tests' (Debian's
chromium and chromium-driver; fails, never skips, without them).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_browser import assert_images_loaded, assert_screenshot_not_blank, browser, load  # noqa: F401

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIND_LABEL_ISSUES = "reference/generated/cleanlearn.filter.find_label_issues.html"
TUTORIAL = "tutorials/own-table.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("CLEANLEARN_DOCS_HTML")
    if given:
        site = Path(given).resolve()
        assert (site / "index.html").is_file(), f"CLEANLEARN_DOCS_HTML={given}: no index.html there"
        return site
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NB_EXECUTION_MODE": "off", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-d", str(site / ".doctrees"),
                             str(REPO / "docs"), str(site)], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def base_url(site):
    """The site served on the loopback interface, as ``python -m http.server`` would (the
    search page fetches its index, which browsers refuse from file://)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def open_page(driver, url: str) -> list[dict]:
    """Load a page; return the console messages it logged."""
    driver.get_log("browser")  # drop messages of the previous page
    load(driver, url)
    return driver.get_log("browser")


def severe(messages: list[dict]) -> list[dict]:
    return [message for message in messages if message["level"] == "SEVERE"]


def test_home_page_renders_without_console_errors(base_url, browser, tmp_path):  # noqa: F811
    messages = open_page(browser, base_url + "index.html")
    assert severe(messages) == []
    assert browser.title.startswith("cleanlearn")
    text = browser.find_element("tag name", "main").text
    assert "Real datasets have wrong labels" in text
    assert_screenshot_not_blank(browser, tmp_path / "home.png")


def test_find_label_issues_reference_page_has_signature_example_and_difference(base_url, browser):  # noqa: F811
    messages = open_page(browser, base_url + FIND_LABEL_ISSUES)
    assert severe(messages) == []
    signature = browser.find_element("css selector", "dt.sig").text
    assert "find_label_issues" in signature and "filter_by" in signature
    main = browser.find_element("tag name", "main").text
    assert "Examples" in main and ">>> find_label_issues(labels, pred_probs)" in main
    links = browser.execute_script("return Array.from(document.querySelectorAll('main a')).map(a => a.href);")
    assert any(link.endswith("reference/differences.html") for link in links)


def test_a_tutorial_and_the_equations_render(base_url, browser, tmp_path):  # noqa: F811
    messages = open_page(browser, base_url + TUTORIAL)
    assert severe(messages) == []
    assert "Find label errors in your own table" in browser.title
    assert_screenshot_not_blank(browser, tmp_path / "tutorial.png")
    # The equations: MathJax, served from the site itself, turns TeX into SVG.
    messages = open_page(browser, base_url + "explanation/confident-learning.html")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not browser.execute_script(
            "return document.querySelectorAll('mjx-container svg').length"):
        time.sleep(0.2)
    assert browser.execute_script("return document.querySelectorAll('mjx-container svg').length") >= 5
    assert severe(messages + browser.get_log("browser")) == []
    assert_images_loaded_or_none(browser)


def assert_images_loaded_or_none(driver) -> None:
    if driver.execute_script("return document.images.length"):
        assert_images_loaded(driver)


def test_search_page_finds_find_label_issues(base_url, browser):  # noqa: F811
    messages = open_page(browser, base_url + "search.html?q=find_label_issues")
    deadline = time.monotonic() + 30
    links: list[str] = []
    while time.monotonic() < deadline and not links:
        time.sleep(0.2)
        links = browser.execute_script(
            "return Array.from(document.querySelectorAll('#search-results a')).map(a => a.href);")
    assert any(link.split("#")[0].endswith(FIND_LABEL_ISSUES) for link in links), links
    assert severe(messages + browser.get_log("browser")) == []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def test_no_internal_link_is_broken(site):
    pages = {}
    for path in site.rglob("*.html"):
        if {".doctrees", "_static"} & set(path.relative_to(site).parts):  # _static: the theme's template files
            continue
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken = []
    for path, parser in pages.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                assert parts.scheme in ("", "http", "https", "mailto", "javascript", "data"), link
                if parts.scheme in ("http", "https"):
                    continue  # an outside link (a paper, a project): not ours to check offline
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(site)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html" and target in pages:
                if parts.fragment not in pages[target].ids:
                    broken.append(f"{path.relative_to(site)} -> {link} (no such anchor)")
    assert len(pages) > 50
    assert broken == [], "\n".join(broken[:50])
