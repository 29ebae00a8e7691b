"""Rich display in Jupyter, written once: an HTML table and an inline SVG sketch.

Notebook front ends call ``_repr_html_`` when an object has one. The number
types and the solution objects build theirs from two pure functions here, so
that every summary looks alike and nothing heavy (matplotlib) is imported to
show one:

* :func:`html_table` -- a caption and rows of (name, value), escaped;
* :func:`svg_sketch` -- a polyline of sampled values (a Fun, a trajectory) as
  a small SVG with its y-range written beside it.

Examples
--------
>>> from numeric.display import html_table, svg_sketch
>>> html_table("Fun", [("length", 14), ("domain", "[-1, 1]")]).startswith("<table")
True
>>> import numpy as np
>>> "<polyline" in svg_sketch(np.linspace(0, 1, 5), np.linspace(0, 1, 5) ** 2)
True
"""

from __future__ import annotations

import html
from typing import Any, Iterable

import numpy as np

__all__ = ["html_table", "svg_sketch"]


def html_table(caption: str, rows: Iterable[tuple[str, Any]], extra: str = "") -> str:
    """An HTML table with a bold *caption* and one row per (name, value); *extra* is
    appended raw inside the caption cell (an SVG sketch, say)."""
    body = "".join(f"<tr><td style='text-align:left'>{html.escape(str(k))}</td>"
                   f"<td style='text-align:left'><code>{html.escape(str(v))}</code></td></tr>"
                   for k, v in rows)
    return (f"<table><caption style='text-align:left'><b>{html.escape(caption)}</b>{extra}"
            f"</caption>{body}</table>")


def svg_sketch(x: Any, y: Any, width: int = 240, height: int = 80) -> str:
    """A small SVG line plot of *y* (one or several columns) against *x*.

    Non-finite values are left out; the y-range is printed at the right.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ys = y.reshape(len(x), -1)
    good = np.isfinite(ys).all(axis=1) & np.isfinite(x)
    if good.sum() < 2:
        return ""
    x, ys = x[good], ys[good]
    lo, hi = float(ys.min()), float(ys.max())
    span = hi - lo if hi > lo else 1.0
    xs = (x - x[0]) / ((x[-1] - x[0]) or 1.0) * (width - 60)
    lines = []
    for j in range(ys.shape[1]):
        yy = height - 4 - (ys[:, j] - lo) / span * (height - 8)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, yy))
        lines.append(f"<polyline fill='none' style='stroke:hsl({(j * 67) % 360},"
                     f"60%,40%)' stroke-width='1.5' points='{pts}'/>")
    label = (f"<text x='{width - 56}' y='12' font-size='10'>{hi:.3g}</text>"
             f"<text x='{width - 56}' y='{height - 2}' font-size='10'>{lo:.3g}</text>")
    return (f"<br><svg width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg'>"
            + "".join(lines) + label + "</svg>")
