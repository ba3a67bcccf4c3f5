"""A self-contained HTML report of a run: configuration, final metrics and plots on one page.

The page embeds its images as base64 ``data:`` URIs and its CSS inline, so ``report.html`` can
be mailed, attached to an issue or opened from an archive without the rest of the run
directory, and loads nothing from the network.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ember.serialization._io import atomic_write

__all__ = ["write_report"]

PathLike = str | os.PathLike

_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { border-bottom: 2px solid #e25822; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #ddd; padding: .3rem .7rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; white-space: pre-wrap; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; }
footer { color: #888; font-size: .8rem; margin-top: 3rem; }
.headline { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0 1.5rem; }
.card { border: 1px solid #ddd; border-radius: .4rem; padding: .6rem 1rem; min-width: 9rem; }
.card .label { color: #666; font-size: .85rem; }
.card .value { font-size: 1.6rem; font-weight: 600; }
pre.summary { background: #f8f8f8; border: 1px solid #eee; padding: .6rem; overflow-x: auto; font-size: .8rem; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _format_value(value: Any) -> str:
    """A readable string for a config or metric value (not yet escaped)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "size", None) == 1:
        value = item()  # NumPy scalars and one-element arrays/tensors
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else f"{value:.6g}"
    return str(value)


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts as dotted keys (``optim.lr``), in insertion order, so one table shows them all."""
    rows: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows


def _table(mapping: Mapping[str, Any], empty: str) -> str:
    rows = _flatten(mapping)
    if not rows:
        return f"<p><em>{_esc(empty)}</em></p>"
    body = "\n".join(f'<tr><th scope="row">{_esc(k)}</th><td>{_esc(_format_value(v))}</td></tr>' for k, v in rows)
    return f"<table>\n{body}\n</table>"


def _headline(headline: Mapping[str, Any] | None) -> str:
    if not headline:
        return ""
    cards = "\n".join(
        f'<div class="card"><div class="label">{_esc(k)}</div><div class="value">{_esc(_format_value(v))}</div></div>'
        for k, v in headline.items()
    )
    return f'<section id="headline" class="headline">\n{cards}\n</section>'


def _model_section(text: str | None) -> str:
    if not text:
        return ""
    return f'<section id="model">\n<h2>Model</h2>\n<pre class="summary">{_esc(text)}</pre>\n</section>'


def _resolve_image(path: PathLike, run_dir: Path) -> Path:
    """The image file: as given, else relative to the run directory."""
    p = Path(path)
    if not p.is_absolute() and not p.exists() and (run_dir / p).exists():
        p = run_dir / p
    if not p.is_file():
        raise FileNotFoundError(f"write_report: image {str(path)!r} not found (also looked in {str(run_dir)!r})")
    return p


def _figure(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise ValueError(
            f"write_report: unsupported image type {path.suffix!r} for {str(path)!r}; expected one of {sorted(_MIME)}"
        )
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = _esc(path.stem.replace("_", " "))
    return (
        f'<figure>\n<img src="data:{mime};base64,{data}" alt="{caption}">\n'
        f"<figcaption>{_esc(path.name)}</figcaption>\n</figure>"
    )


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half of it."""
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))


def write_report(
    run_dir: PathLike,
    config: Mapping[str, Any],
    summary: Mapping[str, Any],
    images: Iterable[PathLike] = (),
    title: str = "ember run report",
    headline: Mapping[str, Any] | None = None,
    model_summary: str | None = None,
) -> Path:
    """Write ``run_dir/report.html``: sections ``#headline``, ``#model``, ``#plots``, ``#metrics`` and
    ``#config`` on one self-contained page (what a reader wants first comes first).

    Args:
        run_dir: the run directory (created if missing); the report is written there.
        config: hyperparameters and settings; nested dicts are shown with dotted keys.
        summary: final metrics, e.g. ``{'val_accuracy': 0.981, 'epochs': 10}``.
        images: image files to embed (PNG, JPEG, GIF, WebP, SVG); relative paths are looked up
            as given, then inside ``run_dir``.
        title: page title and heading.
        headline: the few numbers shown large at the top, e.g. ``{'test accuracy': '97.1%'}``.
        model_summary: the model's layer table (text), shown under the headline.

    Returns:
        The path of the written ``report.html``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    # Read every image before writing anything, so a missing file leaves no partial report.
    figures = [_figure(_resolve_image(p, run_dir)) for p in images]
    plots = "\n".join(figures) if figures else "<p><em>No plots.</em></p>"
    # No absolute paths on the page: reports get shared, local directory names need not be.
    generated = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_esc(title)}</h1>
{_headline(headline)}
{_model_section(model_summary)}
<section id="plots">
<h2>Plots</h2>
{plots}
</section>
<section id="metrics">
<h2>Metrics</h2>
{_table(summary, "No metrics recorded.")}
</section>
<section id="config">
<h2>Configuration</h2>
{_table(config, "No configuration recorded.")}
</section>
<footer>Generated by ember on {_esc(generated)}.</footer>
</body>
</html>
"""
    out = run_dir / "report.html"
    _atomic_write_text(out, page)
    return out
