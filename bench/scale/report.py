"""The table, the chart and the section of bench/README.md they are written into."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

README_BEGIN = "<!-- bench-scale:begin -->"
README_END = "<!-- bench-scale:end -->"


@dataclass
class Row:
    operation: str
    rate: str  # what was offered: "50/s", "wrk 32 conn", "32 clients", "sequential"
    achieved: float | None  # successful responses (or flows) per second
    p50: float | None  # seconds
    p99: float | None
    errors: dict[str, int] = field(default_factory=dict)
    total: int = 0
    share: float | None = None  # achieved / healthz throughput of the same run
    target: str = ""
    met: bool | None = None
    load: float = 0.0  # 1-minute load average at the start of the phase
    offered: float | None = None  # for the chart: open-loop rate
    chart: str | None = None  # operation name on the chart (open-loop rows only)
    p90: float | None = None
    max: float | None = None


def ms(seconds: float | None, timeout: float | None = None) -> str:
    if seconds is None or math.isnan(seconds):
        return "-"
    if timeout is not None and seconds >= timeout:
        return f"≥{timeout * 1e3:,.0f}"
    value = seconds * 1e3
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def errors_text(row: Row) -> str:
    if not row.errors:
        return "0"
    parts = ", ".join(f"{k}: {v:,}" for k, v in sorted(row.errors.items()))
    return f"{sum(row.errors.values()):,} ({parts})"


def table(rows: Sequence[Row], timeout: float) -> str:
    header = (
        "operation",
        "rate",
        "achieved/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "errors",
        "of healthz",
        "target",
        "",
        "load",
    )
    body = [
        (
            r.operation,
            r.rate,
            "-" if r.achieved is None else f"{r.achieved:,.1f}",
            ms(r.p50, timeout),
            ms(r.p90, timeout),
            ms(r.p99, timeout),
            ms(r.max, timeout),
            errors_text(r),
            "-" if r.share is None else f"{r.share:.0%}",
            r.target,
            {True: "met", False: "MISSED", None: ""}[r.met],
            f"{r.load:.2f}",
        )
        for r in rows
    ]
    return render(header, body, right={2, 3, 4, 5, 6, 8, 11})


def render(header: Sequence[str], body: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(str(x[i])) for x in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [
            str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i])
            for i, c in enumerate(cells)
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(header), "-" * len(line(header)), *(line(b) for b in body)])


def chart(rows: Sequence[Row], path: Path, title: str) -> bool:
    """p50 and p99 against offered rate: one panel per operation measured at several rates,
    and one panel for the operations measured at a single rate."""
    series: dict[str, list[Row]] = {}
    for r in rows:
        if r.chart and r.offered and r.p50 is not None and r.p99 is not None:
            series.setdefault(r.chart, []).append(r)
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    multi = {k: v for k, v in series.items() if len(v) > 1}
    single = [v[0] for k, v in series.items() if len(v) == 1]
    n = len(multi) + (1 if single else 0)
    cols = min(3, n)
    lines = math.ceil(n / cols)
    fig, axes = plt.subplots(lines, cols, figsize=(5.2 * cols, 3.8 * lines), squeeze=False)
    plain = FuncFormatter(lambda y, _: f"{y:g}")
    panels = list(axes.flat)
    for ax, (name, points) in zip(panels, multi.items(), strict=False):
        points = sorted(points, key=lambda r: r.offered or 0)
        x = [r.offered for r in points]
        ax.plot(x, [(r.p50 or 0) * 1e3 for r in points], "o-", label="p50")
        ax.plot(x, [(r.p99 or 0) * 1e3 for r in points], "s--", label="p99")
        ax.set_title(_wrap(name), fontsize=8)
        ax.set_xlabel("offered rate (req/s)", fontsize=8)
        ax.set_xticks(x)
    if single:
        ax = panels[len(multi)]
        x = list(range(len(single)))
        ax.plot(x, [(r.p50 or 0) * 1e3 for r in single], "o", label="p50")
        ax.plot(x, [(r.p99 or 0) * 1e3 for r in single], "s", label="p99")
        labels = [f"{_wrap(r.chart or '', 30)}, {r.offered:g}/s" for r in single]
        ax.set_xticks(x, labels, rotation=30, ha="right")
        ax.set_xlim(-0.5, len(single) - 0.5)
        ax.set_title("measured at one rate", fontsize=8)
    for i, ax in enumerate(panels[:n]):
        ax.set_ylabel("latency (ms)", fontsize=8)
        if i < len(multi):  # latency against rate spans decades; the single panel, less so
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
            ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="both", which="both", labelsize=7)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    if single:
        panels[len(multi)].tick_params(axis="x", labelsize=6)
    for ax in panels[n:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _wrap(text: str, width: int = 48) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def update_readme(
    readme: Path, section: str, begin: str = README_BEGIN, end: str = README_END
) -> None:
    """Replace what lies between the marker comments (appended the first time)."""
    text = readme.read_text() if readme.exists() else ""
    block = f"{begin}\n{section.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text)
