from django import template

from apps.tutoring.rendering import render_turn_text

register = template.Library()


@register.filter(name="turn_markdown")
def turn_markdown(text: str):
    """A turn's text as safe Markdown with maths (apps/tutoring/rendering.py)."""
    return render_turn_text(text)
