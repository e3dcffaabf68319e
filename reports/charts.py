"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, prints as it shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import date_format, get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 60, 16, 34  # the target's label sits in the right margin
OK, FAIL, EMPTY = "#1b7a3d", "#b3261e", "#d9dee7"


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar, e.g. "Nov" (the reader's language)
    value: float | None  # None: nothing to measure that month
    failing: bool = False
    detail: str = ""  # tooltip


def bar_chart(
    *, title: str, bars: list[Bar], low: float, high: float, target: float | None = None
) -> SafeString:
    """Vertical bars on a [low, high] percent scale with an optional dashed target line.
    Values below `low` are drawn at the axis (a zoomed scale keeps 99.0 and 99.9 apart)."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(bars), 1)

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return TOP + plot_height * (1 - share)

    parts = [_axis(low, high, y)]
    for index, bar in enumerate(bars):
        x = LEFT + index * slot + slot * 0.15
        parts.append(_bar(bar, x, slot * 0.7, y, TOP + plot_height))
    if target is not None:
        parts.append(
            format_html(
                '<line class="target" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#a35a00" '
                'stroke-dasharray="5 4"/>'
                '<text x="{}" y="{}" font-size="10" fill="#a35a00">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y(target)),
                _n(y(target)),
                WIDTH - RIGHT + 4,
                _n(y(target) + 3),
                gettext("target %(percent)s%%") % {"percent": _shown(_n(target))},
            )
        )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif"><title>{}</title>{}</svg>',
        title,
        WIDTH,
        HEIGHT,
        title,
        mark_safe("".join(parts)),
    )


def _axis(low: float, high: float, y) -> str:
    ticks = [low + (high - low) * step / 4 for step in range(5)]
    return format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#eef0f4"/>'
        '<text x="{}" y="{}" font-size="10" fill="#5a6375" text-anchor="end">{}%</text>',
        ((LEFT, WIDTH - RIGHT, _n(y(t)), _n(y(t)), LEFT - 4, _n(y(t) + 3), _shown(_n(t))) for t in ticks),
    )


def _bar(bar: Bar, x: float, width: float, y, baseline: float) -> str:
    label = format_html(
        '<text x="{}" y="{}" font-size="10" fill="#5a6375" text-anchor="middle">{}</text>',
        _n(x + width / 2),
        _n(baseline + 14),
        bar.label,
    )
    if bar.value is None:
        return label + format_html(
            '<rect x="{}" y="{}" width="{}" height="2" fill="{}"><title>{}</title></rect>',
            _n(x),
            _n(baseline - 2),
            _n(width),
            EMPTY,
            gettext("%(month)s: no data") % {"month": bar.label},
        )
    top = y(bar.value)
    return label + format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
        '<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="#1d2330">{}</text>',
        _n(x),
        _n(top),
        _n(width),
        _n(max(baseline - top, 1)),
        FAIL if bar.failing else OK,
        bar.detail or f"{bar.label}: {_shown(f'{bar.value:.2f}')}%",
        _n(x + width / 2),
        _n(top - 3),
        _shown(f"{bar.value:.1f}"),
    )


def _n(value: float) -> str:
    """Compact numbers for SVG attributes: 12, 12.5, never 12.500000001."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _shown(number: str) -> str:
    """A number written for the reader (a decimal comma in Russian); SVG attributes keep the dot."""
    return number.replace(".", get_format("DECIMAL_SEPARATOR"))


def _month(month) -> str:
    """A month as the report's pages write it (date:"F Y"): November 2026, Ноябрь 2026."""
    return date_format(month, "F Y")


def met_rate_chart(rates) -> SafeString:
    """Monthly met rate (selectors.MonthlyRate), 0–100 %."""
    bars = [
        Bar(
            label=date_format(rate.month, "M"),
            value=None if rate.met_rate is None else rate.met_rate * 100,
            detail=gettext("%(month)s: %(met)s, %(breached)s")
            % {
                "month": _month(rate.month),
                "met": ngettext("%(count)s met", "%(count)s met", rate.met) % {"count": rate.met},
                "breached": ngettext("%(count)s breached", "%(count)s breached", rate.breached)
                % {"count": rate.breached},
            },
        )
        for rate in rates
    ]
    return bar_chart(title=gettext("Targets met per month (%)"), bars=bars, low=0, high=100)


def availability_chart(service_availability) -> SafeString:
    """Monthly uptime of one service (selectors.ServiceAvailability) on a 95–100 % scale,
    failures in red, the target as a dashed line."""
    bars = [
        Bar(
            label=date_format(month.month, "M"),
            value=month.uptime_percent,
            failing=month.is_failure,
            detail=(
                gettext("%(month)s: %(percent)s%% — Service Level Failure")
                if month.is_failure
                else gettext("%(month)s: %(percent)s%%")
            )
            % {"month": _month(month.month), "percent": _shown(f"{month.uptime_percent:.3f}")},
        )
        for month in service_availability.months
    ]
    # The line is the target of the report's month (the last bar): a closed month's is the one kept
    # at its closing, the one its verdict was judged on.
    months = service_availability.months
    target = float(months[-1].target_percent if months else service_availability.service.target_percent)
    return bar_chart(
        title=gettext("%(service)s: availability per month (%%)")
        % {"service": service_availability.service.name},
        bars=bars,
        low=min(95.0, target - 1),
        high=100,
        target=target,
    )
