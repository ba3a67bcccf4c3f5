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
