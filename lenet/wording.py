"""Small helpers for sentences built from numbers and for showing free text as plain text.

Every sentence a page builds from a count must read right for 0, 1, many and negatives:
"1 trial", "an 8", "6 fewer test images right than". Streamlit renders most strings as
markdown, so text the app does not control (a file name, a study name, an error that quotes
one) is escaped before it is shown, and an image link in it stays text.
"""

from __future__ import annotations

import re

# Digits whose English name starts with a vowel sound: "an 8", "an 11", "an 18", "an 80".
_AN_NUMBER = re.compile(r"^(8\d*|11|18|11\d{3}|18\d{3}|11\d{6}|18\d{6})$")

# Characters with a meaning in Streamlit's markdown (CommonMark, GitHub tables, colour and
# emoji shortcodes, LaTeX between dollars).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=])")


def article(number: int) -> str:
    """The indefinite article for a number read aloud: ``"an"`` for 8, 11, 18, 80-89, 800...

    Args:
        number: A non-negative whole number, as it will be written ("an 8", "a 7").

    Returns:
        ``"a"`` or ``"an"``.

    Raises:
        ValueError: if ``number`` is negative.
    """
    if number < 0:
        raise ValueError(f"expected a non-negative number, got {number}")
    return "an" if _AN_NUMBER.fullmatch(str(number)) else "a"


def with_article(number: int) -> str:
    """``"an 8"``, ``"a 7"``."""
    return f"{article(number)} {number}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun: ``plural(1, "trial")`` -> ``"1 trial"``, 0 and 2 -> ``"trials"``.

    Args:
        count: How many (thousands are separated by commas: "1,200 drawings").
        singular: The noun for exactly one (or minus one).
        plural_form: The noun for any other count; ``singular + "s"`` when not given.

    Returns:
        The count and the noun, e.g. ``"0 drawings"``, ``"1 drawing"``, ``"-1 drawing"``.
    """
    noun = singular if abs(count) == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}"


def more_or_fewer(
    difference: int, noun: str, than: str, *, qualifier: str = "", plural_form: str | None = None
) -> str:
    """A signed difference as a comparison that reads right for any sign.

    ``more_or_fewer(-6, "test image", "B", qualifier="right")`` ->
    ``"6 fewer test images right than B"``; 1 -> ``"1 more test image right than B"``;
    0 -> ``"as many test images right as B"``.

    Args:
        difference: The signed difference (this minus the other).
        noun: The counted noun, singular.
        than: What it is compared with.
        qualifier: Words that follow the noun ("right").
        plural_form: The noun's plural when it is not ``noun + "s"``.

    Returns:
        The comparison, without a full stop.
    """
    rest = f" {qualifier}" if qualifier else ""
    if difference == 0:
        return f"as many {plural_form or noun + 's'}{rest} as {than}"
    word = "more" if difference > 0 else "fewer"
    count = abs(difference)
    nouns = noun if count == 1 else (plural_form or f"{noun}s")
    return f"{count:,} {word} {nouns}{rest} than {than}"


def plain(text: str) -> str:
    """``text`` escaped so Streamlit's markdown shows it exactly as written.

    Links, images, emphasis, HTML, shortcodes and LaTeX in ``text`` become visible
    characters: a file named ``![x](http://host/x.png)`` makes no browser fetch anything.
    """
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", "  \n")
