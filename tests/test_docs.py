"""The documentation site builds with ``mkdocs build --strict``: no broken link, no docstring warning.

Needs the docs extra (mkdocs, mkdocstrings[python]); skipped without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocstrings_handlers.python")

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("[0-9][0-9]-*.md"))
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,  # the snippets extension includes examples/*.py relative to the repository root
        timeout=600,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-8000:]}"
    return out


def test_there_is_one_tutorial_per_example():
    examples = sorted(p.stem for p in (ROOT / "examples").glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in TUTORIALS] == [e.replace("_", "-") for e in examples]


def test_site_has_the_getting_started_page_and_internals(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="install"' in index and 'id="a-first-training-run"' in index
    assert (site / "internals.html").is_file()


@pytest.mark.parametrize("page", [p.stem for p in TUTORIALS])
def test_tutorial_page_is_rendered_with_its_script(site, page):
    html = (site / "tutorials" / f"{page}.html").read_text(encoding="utf-8")
    script = page.replace("-", "_") + ".py"
    assert script in html
    # The full script is included from examples/ (pymdownx.snippets): its argparse entry point shows up.
    assert "__main__" in html


@pytest.mark.parametrize("page", [p.stem for p in API_PAGES])
def test_api_page_is_generated_from_docstrings(site, page):
    html = (site / "api" / f"{page}.html").read_text(encoding="utf-8")
    assert 'class="doc doc-object' in html or "doc-heading" in html, f"api/{page} has no generated API entries"


_RAW_MARKUP = (":class:`", ":meth:`", ":func:`", ":attr:`", ":mod:`", ":data:`", "Example::", "Examples::")


@pytest.mark.parametrize("page", [p.stem for p in API_PAGES])
def test_api_page_shows_no_unrendered_sphinx_markup(site, page):
    html = (site / "api" / f"{page}.html").read_text(encoding="utf-8")
    leftovers = [m for m in _RAW_MARKUP if m in html]
    assert not leftovers, f"api/{page} shows raw Sphinx markup {leftovers}: write docstrings in Markdown/Google style"


def test_docstrings_use_one_markup_style():
    offenders = []
    for path in (ROOT / "src" / "ember").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m}" for m in _RAW_MARKUP if m in text]
    assert not offenders, offenders[:10]


def test_no_documentation_link_points_outside_the_repository():
    import re

    pages = list((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    external = []
    for page in pages:
        for url in re.findall(r"\]\((https?://[^)\s]+)\)|<(https?://[^>\s]+)>|href=\"(https?://[^\"]+)\"", page.read_text(encoding="utf-8")):
            link = next(u for u in url if u)
            if not link.startswith(("http://127.0.0.1", "http://localhost")):
                external.append(f"{page.relative_to(ROOT)}: {link}")
    assert not external, external


def test_cli_reference_lists_every_command_and_setting():
    from ember.cli import _COMMANDS
    from ember.training.config import FIELDS

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [f"ember {c}" for c in _COMMANDS if f"ember {c}" not in text]
    missing += [f"`{k}`" for k in FIELDS if f"`{k}`" not in text]
    assert not missing, missing
