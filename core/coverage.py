"""Programme coverage as people see it: the summary text (neutral markup) and the chart by
district (PNG bytes). The figures come from `store.coverage.coverage`; channels send them."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from core import texts
from core.markup import Marked, bold, fmt, join, lit

log = logging.getLogger(__name__)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def summary(report: dict[str, Any]) -> Marked:
    """Totals, coverage against the targets and the district lines, in the neutral markup
    (headings emphasised): `bot.render.html` for Telegram, `core.markup.plain` for a terminal."""
    scope = texts.COVERAGE_ALL_YEARS if report["year"] is None else texts.COVERAGE_YEAR.format(year=report["year"])
    lines = [bold(texts.COVERAGE_HEADER.format(scope=scope))]
    no_roster = report["denominator"] is None
    if not report["denominator"] and not (report["surveyed"] or report["matched"] or report["projects"]):
        lines.append(lit(texts.COVERAGE_NONE))
        return join("\n", lines)
    if no_roster:
        lines.append(fmt(texts.COVERAGE_NO_ROSTER_TOTALS,
                         surveyed=report["surveyed"], matched=report["matched"], projects=report["projects"]))
    else:
        basis = texts.COVERAGE_BASIS["roster"].format(denominator=report["denominator"])
        lines.append(fmt(texts.COVERAGE_TOTALS,
                         basis=basis, surveyed=report["surveyed"], matched=report["matched"], projects=report["projects"],
                         coverage=_percent(report["coverage"]), covered=report["covered"],
                         denominator=report["denominator"]))
    for target in report["targets"]:
        if target["met"] is None:
            status = texts.COVERAGE_TARGET_UNKNOWN
        else:
            status = texts.COVERAGE_TARGET_MET if target["met"] else texts.COVERAGE_TARGET_GAP.format(gap=target["gap"])
        lines.append(fmt(texts.COVERAGE_TARGET, year=target["year"], share=target["share"], status=status))
    if report["by_district"]:
        lines.append(lit(""))
        lines.append(bold(texts.COVERAGE_BY_DISTRICT))
        for row in report["by_district"]:
            line = texts.COVERAGE_NO_ROSTER_DISTRICT_LINE if no_roster else texts.COVERAGE_DISTRICT_LINE
            lines.append(fmt(line,
                             name=row["name"], coverage=_percent(row["coverage"]), covered=row["covered"],
                             denominator=row["denominator"], surveyed=row["surveyed"], projects=row["projects"]))
    return join("\n", lines)


_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")


_BUNDLED_FONT_ADDED = False


def _cjk_font() -> str | None:
    """A font with Chinese glyphs: Noto Sans CJK SC from the `noto-cjk-sans-otc` wheel (a
    dependency, so always there after `make`), else one the system has."""
    global _BUNDLED_FONT_ADDED
    from matplotlib import font_manager

    if not _BUNDLED_FONT_ADDED:
        _BUNDLED_FONT_ADDED = True
        try:
            import noto_cjk_sans_otc

            font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
        except (ImportError, OSError, RuntimeError) as exc:  # a broken install: fall back to the system's fonts
            log.warning("bundled CJK font unavailable: %s", exc)
    available = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in available), None)


def chart_png(report: dict[str, Any]) -> bytes:
    """Coverage by district as a bar chart against a dashed 50% line (PNG bytes).

    Without a roster there is no coverage to draw: the chart shows, per district, how many
    enterprises answered the survey and how many have a project, and no target line.
    """
    import io

    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = report["by_district"]
    names = [row["name"] for row in rows]
    counts = "denominator" in report and report["denominator"] is None
    # Chinese labels need a CJK font (bundled, see _cjk_font). Should none be found, the chart
    # still renders: Chinese glyphs as boxes, matplotlib's "Glyph … missing" warnings silenced.
    font = _cjk_font()
    # District names are typed by users: `区$\foo$` must stay text, not become mathtext that
    # fails to parse and takes every staff member's chart down with it.
    with warnings.catch_warnings(), rc_context({"text.parse_math": False, "text.usetex": False}):
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph.*missing from.*")
        warnings.filterwarnings("ignore", message=r".*[Mm]atplotlib currently does not support.*")
        figure = Figure(figsize=(max(6.0, 0.6 * len(names) + 2), 4.5), dpi=100)
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(names)))
        family = {"fontfamily": font} if font else {}
        if counts:
            width = 0.4
            surveyed = axes.bar([x - width / 2 for x in positions], [row["surveyed"] for row in rows], width,
                                color="#9ecae1", label=texts.COVERAGE_CHART_SURVEYED)
            projects = axes.bar([x + width / 2 for x in positions], [row["projects"] for row in rows], width,
                                color="#2b7bba", label=texts.COVERAGE_CHART_PROJECTS)
            for bars in (surveyed, projects):
                axes.bar_label(bars, fontsize=8)
            axes.set_ylabel(texts.COVERAGE_CHART_COUNTS_YLABEL, **family)
            axes.set_title(texts.COVERAGE_CHART_COUNTS_TITLE, **family)
            axes.set_ylim(0, max([row["surveyed"] for row in rows] + [1]) * 1.2)
        else:
            values = [100 * (row["coverage"] or 0.0) for row in rows]
            bars = axes.bar(positions, values, color="#2b7bba")
            axes.axhline(50, linestyle="--", color="#d62728", linewidth=1.5, label=texts.COVERAGE_CHART_TARGET)
            axes.set_ylim(0, 105)
            axes.set_ylabel(texts.COVERAGE_CHART_YLABEL, **family)
            axes.set_title(texts.COVERAGE_CHART_TITLE, **family)
            axes.bar_label(bars, labels=[f"{value:.0f}%" for value in values], fontsize=8)
        axes.set_xticks(positions, names, rotation=45, ha="right", **family)
        axes.legend(loc="upper right", prop={"family": font} if font else None)
        figure.tight_layout()
        buffer = io.BytesIO()
        canvas.print_png(buffer)
    return buffer.getvalue()


def chart_caption(report: dict[str, Any]) -> str:
    return texts.COVERAGE_CHART_COUNTS_CAPTION if report["denominator"] is None else texts.COVERAGE_CHART_CAPTION
