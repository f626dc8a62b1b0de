"""Slugs derived from project names: the identity of a name within its organization."""

from __future__ import annotations

import unicodedata

__all__ = ["slugify"]


def slugify(name: str, *, max_length: int = 200) -> str:
    """Lower-case words joined by ``-``: accents dropped ("Café" -> "cafe"), letters
    of any script kept ("项目" stays), every other run of characters a single ``-``.

    Names that differ only in case, accents, spacing or punctuation get the same slug,
    so they count as the same project name. Returns "" for a name without a letter
    or digit; callers reject that.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    base = "".join(char for char in decomposed if not unicodedata.combining(char))
    words: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFKC", base).casefold():
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    slug = "-".join(words)
    return slug[:max_length].rstrip("-")
