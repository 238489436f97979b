"""Server-rendered line charts of success@k / telling@k curves (inline SVG geometry)."""

from __future__ import annotations

WIDTH, HEIGHT, PAD = 520, 260, 40
COLOURS = {"tutorgraph": "#1b6ac9", "baseline": "#c2410c"}


def curve_chart(reports: list[dict]) -> dict:
    """Polyline points for each report's success@k (solid) and telling@k (dashed), k on x."""
    ks = sorted({int(k) for r in reports for k in r.get("success_at_k", {})}) or [1]
    span = max(ks[-1] - ks[0], 1)

    def x(k: int) -> float:
        return round(PAD + (k - ks[0]) / span * (WIDTH - 2 * PAD), 1)

    def y(v: float) -> float:
        return round(HEIGHT - PAD - v * (HEIGHT - 2 * PAD), 1)

    lines = []
    for report in reports:
        colour = COLOURS.get(report["tutor"], "#444")
        for metric, dash in (("success_at_k", ""), ("telling_at_k", "6 4")):
            values = {int(k): v for k, v in report.get(metric, {}).items() if v is not None}
            points = " ".join(f"{x(k)},{y(v)}" for k, v in sorted(values.items()))
            label = f"{report['tutor']} {metric.split('_')[0]}@k (n={report['n']})"
            lines.append({"points": points, "colour": colour, "dash": dash, "label": label})
    return {"width": WIDTH, "height": HEIGHT, "pad": PAD, "right": WIDTH - PAD,
            "bottom": HEIGHT - PAD, "lines": lines,
            "xticks": [{"x": x(k), "label": k} for k in ks],
            "yticks": [{"y": y(v / 4), "label": f"{v * 25}%"} for v in range(5)]}
