import re

from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def at(sequence, index: int):
    return sequence[index] if isinstance(sequence, list) and 0 <= index < len(sequence) else None


_SPEAKER = re.compile(r"(?:^|\n)[\s\xa0]*(Tutor|Teacher|Student):[\s\xa0]*")


@register.filter
def dialogue_turns(text) -> list[dict]:
    """A dialogue kept as one string (MRBench's history) as turns {author, text} for display; the
    stored text is unchanged. Text before the first speaker, or with none, is one untitled turn."""
    if not isinstance(text, str):
        return []
    parts = _SPEAKER.split(text)
    turns = [{"author": "", "text": parts[0].strip()}] if parts[0].strip() else []
    for speaker, said in zip(parts[1::2], parts[2::2], strict=True):
        author = "student" if speaker == "Student" else "tutor"
        turns.append({"author": author, "text": said.strip().replace("\xa0", " ")})
    return turns
