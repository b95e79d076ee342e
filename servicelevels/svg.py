"""The geometry of the small charts in the service reports, drawn as SVG by the templates.

WeasyPrint runs no JavaScript, so the PDFs cannot use Chart.js: these functions work out where the
points, lines and bars go, and `servicelevels/report_chart_*.html` draw them as inline SVG (which the
HTML preview shows the same way). Values are plain numbers; labels are escaped by the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: float | None
    text: str  # the value as printed above the point


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    top: int
    plot_height: int
    series: list[tuple[str, str, list[Point]]] = field(default_factory=list)  # (name, css class, points)
    target_y: float | None = None
    target_text: str = ""
    gridlines: list[tuple[float, str]] = field(default_factory=list)
    labels: list[Point] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(p.value is not None for _, _, points in self.series for p in points)


def _polyline(points: list[Point]) -> str:
    return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points if p.value is not None)


def line_chart(
    labels: list[str],
    series: list[tuple[str, str, list[float | None]]],
    *,
    top_value: float = 100.0,
    target: float | None = None,
    suffix: str = "%",
    width: int = 320,
    height: int = 120,
) -> LineChart:
    """Percentages (or any values up to `top_value`) over a few periods: one polyline per series.

    A missing value (a term with no tickets) leaves a gap rather than dropping to zero.
    """
    left, right, top, bottom = 28, 16, 12, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)

    def x_of(i: int) -> float:
        return left + (i * step if n > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * max(0.0, min(value, top_value)) / top_value

    chart = LineChart(width=width, height=height, left=left, top=top, plot_height=plot_h)
    for name, css, values in series:
        points = [
            Point(x_of(i), y_of(v) if v is not None else 0.0, labels[i], v, "" if v is None else f"{v:.0f}{suffix}")
            for i, v in enumerate(values)
        ]
        chart.series.append((name, css, points))
    chart.labels = [Point(x_of(i), height - 6, label, None, label) for i, label in enumerate(labels)]
    chart.gridlines = [(y_of(v), f"{v:.0f}{suffix}") for v in (0, top_value / 2, top_value)]
    if target is not None:
        chart.target_y = y_of(target)
        chart.target_text = f"target {target:.0f}{suffix}"
    return chart


def polyline_points(points: list[Point]) -> str:
    """The `points` attribute of a series' <polyline> (gaps dropped)."""
    return _polyline(points)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    width: float
    text: str
    y: float


def bar_rows(items: list[tuple[str, float]], *, width: float = 150.0, row: int = 16, suffix: str = "") -> list[Bar]:
    """Horizontal bars scaled to the largest value (counts by priority or by service)."""
    largest = max((value for _, value in items), default=0) or 1
    return [
        Bar(label, value, round(width * value / largest, 1), f"{value:g}{suffix}", i * row)
        for i, (label, value) in enumerate(items)
    ]
