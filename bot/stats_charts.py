"""Charts of the protected statistics, as PNG images (matplotlib, no display needed).

Figures are made without pyplot (no global state), so charts can be drawn in a worker thread
while the bot goes on. Only the published tables are drawn (bot.stats), so a chart shows nothing
a table would hide: a hidden cell is an empty bar marked "<5" or "hidden". Each PNG carries its
title in its metadata.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.stats import Report, Table

__all__ = ["Chart", "charts"]

COLOUR = "#3b6ea8"
# (table, chart title, horizontal bars?)
CHARTS = (
    ("by_month", "Reports of violations per month", False),
    ("by_month_violation", "Violations per month, by type", False),
    ("by_violation", "Violations reported", True),
    ("by_perpetrator", "Who committed the violations", True),
    ("by_outcome", "Outcomes of closed reports", True),
    ("by_response", "Time to a paralegal's first answer", False),
)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes


def _draw(table: Table, title: str, horizontal: bool, subtitle: str) -> bytes:
    labels = [label for _, label, _ in table.rows]
    values = [int(v) if v.isdigit() else 0 for _, _, v in table.rows]
    hidden = [not v.isdigit() for _, _, v in table.rows]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if horizontal:
        positions = list(range(len(labels)))[::-1]
        axes.barh(positions, values, color=COLOUR)
        axes.set_yticks(positions, labels)
    else:
        positions = list(range(len(labels)))
        axes.bar(positions, values, color=COLOUR)
        axes.set_xticks(positions, labels, rotation=30 if len(labels) > 6 else 0, ha="right")
    for position, value, is_hidden, raw in zip(
        positions, values, hidden, (v for _, _, v in table.rows), strict=True
    ):
        text = raw if is_hidden else str(value)
        if horizontal:
            axes.annotate(
                text, (value, position), xytext=(3, 0), textcoords="offset points", va="center"
            )
        else:
            axes.annotate(
                text, (position, value), xytext=(0, 3), textcoords="offset points", ha="center"
            )
    axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, fontsize=13, fontweight="bold")
    axes.set_title(subtitle, fontsize=9, color="#555555")
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png", metadata={"Title": title, "Software": "Opora"})
    return output.getvalue()


PALETTE = (
    "#3b6ea8",
    "#e07b39",
    "#5a9e4b",
    "#b5443c",
    "#8064a2",
    "#c9a227",
    "#4bacc6",
    "#7f7f7f",
    "#9c6b4e",
    "#d46a9f",
    "#2f4858",
    "#aaaaaa",
)


def _draw_stacked(table: Table, title: str, subtitle: str) -> bytes:
    """Months along, one colour per type; the merged "Other" is its own colour."""
    months: list[str] = []
    types: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for key, label, value in table.rows:
        month = key.split(":", 1)[0]
        if month not in months:
            months.append(month)
        if label not in types:
            types.append(label)
        cells[(month, label)] = value
    figure = Figure(figsize=(9, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottoms = [0] * len(months)
    for n, label in enumerate(types):
        heights = [
            int(cells.get((m, label), "0")) if cells.get((m, label), "0").isdigit() else 0
            for m in months
        ]
        axes.bar(
            range(len(months)),
            heights,
            bottom=bottoms,
            label=label,
            color=PALETTE[n % len(PALETTE)],
        )
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for x, month in enumerate(months):
        if any(not cells.get((month, t), "0").isdigit() for t in types):
            axes.annotate(
                "<", (x, bottoms[x]), xytext=(0, 3), textcoords="offset points", ha="center"
            )
    axes.set_xticks(range(len(months)), months, rotation=30, ha="right")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    figure.suptitle(title, fontsize=13, fontweight="bold")
    axes.set_title(subtitle, fontsize=8, color="#555555")
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png", metadata={"Title": title, "Software": "Opora"})
    return output.getvalue()


def charts(report: Report) -> list[Chart]:
    """One PNG per chart that has something to show."""
    where = report.country or "all countries"
    subtitle = (
        f"{report.start.isoformat()} to {report.end.isoformat()}, {where}. "
        f"Counts under {report.threshold} are merged or shown as <{report.threshold}."
    )
    made = []
    for key, title, horizontal in CHARTS:
        table = report.table(key)
        if not table.rows or all(value == "0" for _, _, value in table.rows):
            continue
        if key == "by_month_violation":
            made.append(Chart(key, title, _draw_stacked(table, title, subtitle)))
        else:
            made.append(Chart(key, title, _draw(table, title, horizontal, subtitle)))
    return made
