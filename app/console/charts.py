"""Small charts drawn on the server as inline SVG: no chart library, no script, and they print.

Each chart has a title and a text description for screen readers; pages also show the numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 40
# Colours picked to stay distinguishable for the common colour-vision deficiencies and on white.
SERIES_COLOURS = {"added": "#1a7f37", "removed": "#b42318", "amended": "#6941c6", "entries": "#175cd3"}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axis(top_value: float) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - fraction)
        value = top_value * fraction
        text = f"{value:,.0f}" if top_value >= 10 or value == int(value) else f"{value:,.1f}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d5dd" '
            f'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#344054">'
            f"{text}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    if not labels:
        return []
    # At most about eight labels fit; always keep the first and the last.
    step = max(1, -(-len(labels) // 8))
    keep = sorted(set(range(0, len(labels), step)) | {len(labels) - 1})
    parts = []
    for i in keep:
        # Labels at the ends are anchored inward so that they are not cut off by the edge of the chart.
        anchor = "start" if xs[i] - LEFT < 30 else "end" if WIDTH - RIGHT - xs[i] < 30 else "middle"
        parts.append(
            f'<text x="{xs[i]:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" font-size="11" '
            f'fill="#344054">{escape(labels[i])}</text>'
        )
    return parts


def _frame(chart_id: str, title: str, description: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def line_chart(chart_id: str, title: str, points: Sequence[tuple[str, float]]) -> Markup:
    """One series over time, e.g. the number of entries in each accepted publication."""
    if not points:
        return _frame(
            chart_id,
            title,
            "No data yet.",
            [
                f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13" fill="#475467">'
                "No publications yet</text>"
            ],
        )
    values = [v for _, v in points]
    top_value = _nice_max(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xs = [
        LEFT + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2) for i in range(len(points))
    ]
    ys = [TOP + plot_h * (1 - v / top_value) for v in values]
    body = _axis(top_value)
    body.append(
        f'<polyline fill="none" stroke="{SERIES_COLOURS["entries"]}" stroke-width="2.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        + '"/>'
    )
    for (label, value), x, y in zip(points, xs, ys, strict=True):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{SERIES_COLOURS["entries"]}">'
            f"<title>{escape(label)}: {value:,.0f}</title></circle>"
        )
    body += _x_labels([label for label, _ in points], xs)
    description = (
        f"{len(points)} points from {points[0][0]} ({values[0]:,.0f}) to {points[-1][0]} "
        f"({values[-1]:,.0f}); highest {max(values):,.0f}."
    )
    return _frame(chart_id, title, description, body)


def stacked_bars(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[str] = ("added", "removed", "amended"),
) -> Markup:
    """Counts per publication, stacked by kind (added, removed, amended), with a legend."""
    if not points:
        return _frame(
            chart_id,
            title,
            "No data yet.",
            [
                f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13" fill="#475467">'
                "No changes recorded yet</text>"
            ],
        )
    totals = [sum(counts.get(s, 0) for s in series) for _, counts in points]
    top_value = _nice_max(max(totals))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(points)
    bar_w = max(2.0, min(36.0, slot * 0.7))
    body = _axis(top_value)
    xs = []
    for i, (label, counts) in enumerate(points):
        x_mid = LEFT + slot * (i + 0.5)
        xs.append(x_mid)
        y = TOP + plot_h
        for name in series:
            count = counts.get(name, 0)
            if not count:
                continue
            h = plot_h * count / top_value
            y -= h
            body.append(
                f'<rect x="{x_mid - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{SERIES_COLOURS.get(name, "#667085")}"><title>{escape(label)}: {count:,} {name}'
                "</title></rect>"
            )
    body += _x_labels([label for label, _ in points], xs)
    legend_x = LEFT
    for name in series:
        body.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{SERIES_COLOURS.get(name, "#667085")}"/>'
        )
        body.append(
            f'<text x="{legend_x + 14}" y="{HEIGHT - 5}" font-size="11" fill="#344054">{escape(name)}</text>'
        )
        legend_x += 90
    description = "; ".join(
        f"{label}: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in series) for label, counts in points[-12:]
    )
    return _frame(
        chart_id, title, f"Changes per publication (latest {min(12, len(points))}): {description}.", body
    )
