"""The documentation site builds with warnings as errors, its notebooks run, every public name
has an API page, and every link inside the site leads somewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

import bioassay_mix

pytestmark = [pytest.mark.docs, pytest.mark.slow]

DOCS = Path(__file__).resolve().parent.parent / "docs"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script"):
                self.hrefs.append(attrs[key])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _parsed(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_public_name_has_an_api_page(site):
    generated = {p.stem for p in (site / "api" / "generated").glob("*.html")}
    documented = {name.rsplit(".", 1)[-1] for name in generated}
    missing = [n for n in bioassay_mix.__all__ if n != "__version__" and n not in documented]
    assert not missing, missing


def test_the_notebooks_ran(site):
    page = (site / "examples" / "quickstart.html").read_text(encoding="utf-8")
    assert "cell_output" in page and "NR-AR" in page
    assert "mean_ap" in (site / "examples" / "reproduce_paper.html").read_text(encoding="utf-8")


def test_every_link_inside_the_site_resolves(site):
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 40
    parsed = {p: _parsed(p) for p in pages}
    broken = []
    for page, links in parsed.items():
        for href in links.hrefs:
            if urlparse(href).scheme or href.startswith(("//", "mailto:")):
                continue  # outside the site: not checked (no network here)
            path, anchor = urldefrag(href)
            path = urlparse(path).path  # without the theme's ?digest= query
            target = (page.parent / unquote(path)).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif anchor and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parsed(target).ids
                if unquote(anchor) not in ids:
                    broken.append(f"{page.relative_to(site)} -> {href} (no anchor)")
    assert not broken, broken[:20]
