"""The agreement report as an inline SVG bar chart: α and Fleiss' κ per dimension."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

ROW, LABEL_W, BAR_W = 24, 190, 440


def _bar(y: int, value: float | None, css: str) -> str:
    if value is None:
        return format_html('<text x="{}" y="{}" class="muted">n/a</text>', LABEL_W + 4, y + 8)
    zero = LABEL_W + BAR_W // 2  # the axis runs from −1 to +1
    width = abs(value) * BAR_W / 2
    x = zero if value >= 0 else zero - width
    # format_html escapes its arguments to text first, so numbers are formatted before it sees them
    label_x = x + width + 3 if value >= 0 else x - 3
    anchor = "start" if value >= 0 else "end"
    return format_html('<rect x="{}" y="{}" width="{}" height="8" class="{}"><title>{}</title>'
                       '</rect><text x="{}" y="{}" text-anchor="{}" class="value">{}</text>',
                       f"{x:.1f}", y, f"{width:.1f}", css, f"{value:.3f}", f"{label_x:.1f}", y + 8,
                       anchor, f"{value:.2f}")


def agreement_svg(report: dict) -> str:
    """Bars from −1 to +1 for each dimension: Krippendorff's α on top, Fleiss' κ below."""
    dims = report["dimensions"]
    height = ROW * len(dims) + 30
    zero = LABEL_W + BAR_W // 2
    rows = format_html_join("", "{}{}{}", (
        (format_html('<text x="0" y="{}">{}</text>', 20 + i * ROW + 12, d["field"].label),
         _bar(20 + i * ROW, d["alpha"], "alpha"), _bar(20 + i * ROW + 9, d["fleiss"], "fleiss"))
        for i, d in enumerate(dims)))
    return format_html(
        '<svg class="agreement-plot" role="img" aria-label="agreement per dimension" '
        'width="{}" height="{}" viewBox="0 0 {} {}">'
        '<text x="{}" y="12">−1</text><text x="{}" y="12">0</text><text x="{}" y="12">+1</text>'
        '<line x1="{}" y1="15" x2="{}" y2="{}" class="axis"/>{}'
        '<rect x="0" y="{}" width="10" height="8" class="alpha"/><text x="14" y="{}">α</text>'
        '<rect x="40" y="{}" width="10" height="8" class="fleiss"/><text x="54" y="{}">Fleiss κ</text>'
        '</svg>', LABEL_W + BAR_W + 20, height + 14, LABEL_W + BAR_W + 20, height + 14,
        LABEL_W - 6, zero - 3, LABEL_W + BAR_W - 10, zero, zero, height, rows,
        height + 2, height + 10, height + 2, height + 10)
