from django import template

from apps.annotation.schema_spec import options_of

register = template.Library()


@register.filter
def options(field: dict) -> list:
    return options_of(field)


@register.filter
def get(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def at(sequence, index: int):
    return sequence[index] if isinstance(sequence, list) and 0 <= index < len(sequence) else None
