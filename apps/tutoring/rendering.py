"""Turn text as a reader sees it: a small, safe Markdown subset with maths.

The subset: paragraphs and line breaks, *emphasis*, **strong**, `code`, bullet and numbered
lists. Raw HTML is escaped, links and images are not made (a tutor reply never needs one and a
link is the easy way to phish). Maths between ``\\(…\\)``, ``\\[…\\]``, ``$$…$$`` or ``$…$`` (pandoc's
rule: no space inside the dollars, no digit right after the closing one, so "$5 and $10" stays
money) becomes ``<span class="math" data-tex="…">``, typeset in the browser by KaTeX
(static/js/maths.js); without JavaScript the TeX source shows as written. The stored text is
never changed: this is only how it is shown.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MATHS = re.compile(
    r"\\\((?P<inline>.+?)\\\)|\\\[(?P<display>.+?)\\\]|\$\$(?P<ddisplay>.+?)\$\$"
    r"|(?<![\\$\w])\$(?P<dollar>[^\s$](?:[^$\n]*?[^\s$\\])?)\$(?![\d$])", re.DOTALL)
_TOKEN = "\ue000{}\ue001"  # private-use marks: Markdown leaves them alone
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


@cache
def _markdown() -> MarkdownIt:
    return (MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False})
            .enable(["emphasis", "backticks", "list", "newline", "escape", "paragraph"]))


def _maths_html(tex: str, display: bool) -> str:
    kind = "math display" if display else "math"
    return f'<span class="{kind}" data-tex="{escape(tex.strip())}">{escape(tex.strip())}</span>'


def render_turn_text(text: str) -> SafeString:
    """Safe HTML for a turn's text (see the module docstring)."""
    found: list[str] = []

    def hold(match: re.Match) -> str:
        display = match.group("display") or match.group("ddisplay")
        found.append(_maths_html(display or match.group("inline") or match.group("dollar"),
                                 display is not None))
        return _TOKEN.format(len(found) - 1)

    text = (text or "").replace("\ue000", "").replace("\ue001", "")
    html = _markdown().render(_MATHS.sub(hold, text))
    return mark_safe(_PLACEHOLDER.sub(lambda m: found[int(m.group(1))], html).strip())
