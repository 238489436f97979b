"""What a page showing tutor turns needs from annotation's feedback: the thumbs already given."""

from django import template

from apps.annotation import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def thumbs_given(context, turns) -> dict[int, str]:
    """The viewer's thumbs on these turns, by turn id, read once for the page (not per turn),
    so the feedback partial shows a rating as given after a reload."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    return selectors.thumbs_given(user, [turn.pk for turn in turns])
