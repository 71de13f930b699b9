"""The report's HTML, rendered from the template files in ``runner/report/templates/`` (Jinja2).

Python decides what a report says (sections, rows, values); the templates decide how it is
written (``page.html`` the page, ``pieces.html`` tables, notes, images), and ``report.css`` /
``sort.js`` are included into the page as they are. Every value is HTML-escaped by Jinja's
autoescape; only markup built from these templates is passed through.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

__all__ = ["Cell", "Row", "Section", "cell", "format_value", "image", "image_or_note", "is_number", "note",
           "page", "piece", "table", "csv_table_or_note"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Cell:
    """One table cell: its value (text, escaped; or Markup), CSS class, and sort key."""

    value: Any
    css: str | None = None
    sort: str | None = None


@dataclass(frozen=True)
class Row:
    cells: Sequence[Cell]
    css: str | None = None


@dataclass
class Section:
    """One ``<h2>`` section of a report: its heading (plain text) and its parts (Markup)."""

    heading: str
    parts: list = field(default_factory=list)


def piece(name: str, *args, **kwargs) -> Markup:
    """A macro of pieces.html, rendered (``piece("note", "No jobs.")``)."""
    return Markup(getattr(_ENVIRONMENT.get_template("pieces.html").module, name)(*args, **kwargs))


def page(title: str, intro: Sequence[Markup], sections: Sequence[Section]) -> str:
    """The whole report: title, intro lines, a nav line of section links, the sections."""
    return _ENVIRONMENT.get_template("page.html").render(title=title, intro=intro, sections=sections)


def note(text: str) -> Markup:
    return piece("note", text)


def cell(value: Any, css: str | None = None, sort: Any = None) -> Cell:
    return Cell(value if isinstance(value, Markup) else format_value(value), css,
                None if sort is None else str(sort))


def table(table_id: str, header: Sequence[str], rows: Sequence[Row], *, sortable: bool = True) -> Markup:
    return piece("table", table_id, header, rows, sortable=sortable)


def image(path: Path, alt: str, css: str = "figure") -> Markup:
    return piece("image", base64.b64encode(path.read_bytes()).decode("ascii"), alt, css)


def image_or_note(path: Path, alt: str) -> Markup:
    return image(path, alt) if path.is_file() else note(f"No {path.name} in this dir.")


def csv_table_or_note(path: Path, table_id: str, max_rows: int | None = None, missing: str | None = None) -> list:
    """A CSV file as a sortable table (numbers right-aligned), or a note that it is missing."""
    if not path.is_file():
        return [note(missing or f"No {path.name} in this dir (runs before it was written have none).")]
    frame = pd.read_csv(path)
    parts = []
    if max_rows is not None and len(frame) > max_rows:
        parts.append(note(f"First {max_rows} of {len(frame)} rows; all in {path.name}."))
        frame = frame.head(max_rows)
    rows = [Row([cell(v, "num" if is_number(v) else None) for v in row]) for row in frame.itertuples(index=False)]
    return [*parts, table(table_id, [str(c) for c in frame.columns], rows)]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and not (isinstance(value, float) and math.isnan(value))


def format_value(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def flatten(metrics: Mapping, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
