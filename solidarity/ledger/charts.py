"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched, and no inline
``style`` (the public CSP allows only our stylesheet), so colours are presentation attributes.

Each chart comes with a table in the template for readers who cannot see it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5f99", "#1d6b3a", "#a1261f", "#8a5a00", "#5b3f8c")
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 78, 16, 28, 44


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: not shown (suppressed or unknown)
    color: str = PALETTE[0]
    dashed: bool = False


def _nice_step(span: float, ticks: int = 5) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def _format_tick(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 720,
    height: int = 260,
) -> SafeString:
    """A line chart over ``labels`` (one point per label). Returns safe SVG markup."""
    values = [v for s in series for v in s.values if v is not None]
    low = min([0.0, *values])
    high = max([1.0, *values])
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return _MARGIN_LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return _MARGIN_TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    tick = low
    while tick <= high + step / 2:
        ty = y(tick)
        parts.append(
            f'<line x1="{_MARGIN_LEFT}" x2="{width - _MARGIN_RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{"#5b6570" if tick == 0 else "#d5dae0"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_MARGIN_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#5b6570">{escape(_format_tick(tick))}</text>'
        )
        tick += step
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        last = len(labels) - 1
        if (i % every == 0 and last - i >= every / 2) or i == last:
            # The last label is right-aligned so it never runs off the edge.
            anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - _MARGIN_BOTTOM + 16}" text-anchor="{anchor}" fill="#5b6570">{escape(label)}</text>'
            )
    for s in series:
        # A gap (None) breaks the line rather than pretending a value.
        run: list[str] = []
        runs = []
        for i, v in enumerate(s.values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(f"{x(i):.1f},{y(v):.1f}")
        if run:
            runs.append(run)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for points in runs:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{s.color}"/>')
            else:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{s.color}" stroke-width="2"{dash}/>'
                )
    legend_x = _MARGIN_LEFT
    for s in series:
        parts.append(f'<rect x="{legend_x}" y="8" width="12" height="4" fill="{s.color}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="14" fill="#1d232a">{escape(s.name)}</text>')
        legend_x += 24 + 7 * len(s.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(
    bars: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    width: int = 720,
    bar_height: int = 26,
) -> SafeString:
    """Horizontal bars: (label, value or None for suppressed, shown text). Returns safe SVG."""
    label_w = 230
    height = _MARGIN_TOP + bar_height * len(bars) + 8
    high = max([1.0, *[v for _l, v, _t in bars if v is not None]])
    plot_w = width - label_w - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value, text) in enumerate(bars):
        top = _MARGIN_TOP + i * bar_height
        parts.append(
            f'<text x="{label_w - 8}" y="{top + bar_height / 2 + 4:.1f}" text-anchor="end" fill="#1d232a">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<rect x="{label_w}" y="{top + 4}" width="24" height="{bar_height - 8}" fill="none" stroke="#5b6570" stroke-dasharray="3 3"/>'
            )
            text_x = label_w + 30
        else:
            w = max(plot_w * value / high, 1)
            parts.append(
                f'<rect x="{label_w}" y="{top + 4}" width="{w:.1f}" height="{bar_height - 8}" fill="{PALETTE[i % len(PALETTE)]}"/>'
            )
            text_x = label_w + w + 6
        parts.append(
            f'<text x="{text_x:.1f}" y="{top + bar_height / 2 + 4:.1f}" fill="#1d232a">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
