"""Sentences built from numbers read right for 0, 1, many and negatives."""

import pytest

from lenet.wording import article, more_or_fewer, plain, plural, with_article


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "a 0"), (1, "a 1"), (7, "a 7"), (8, "an 8"), (11, "an 11"), (18, "an 18"),
     (80, "an 80"), (85, "an 85"), (800, "an 800"), (100, "a 100"), (28, "a 28")],
)  # fmt: skip
def test_article(number: int, expected: str) -> None:
    assert with_article(number) == expected


def test_article_rejects_a_negative_number() -> None:
    with pytest.raises(ValueError, match="-3"):
        article(-3)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 trials"), (1, "1 trial"), (2, "2 trials"), (-1, "-1 trial"), (1200, "1,200 trials")],
)
def test_plural(count: int, expected: str) -> None:
    assert plural(count, "trial") == expected


def test_plural_with_an_irregular_noun() -> None:
    assert plural(1, "query", "queries") == "1 query"
    assert plural(3, "query", "queries") == "3 queries"


@pytest.mark.parametrize(
    ("difference", "expected"),
    [
        (-6, "6 fewer test images right than B"),
        (-1, "1 fewer test image right than B"),
        (0, "as many test images right as B"),
        (1, "1 more test image right than B"),
        (1500, "1,500 more test images right than B"),
    ],
)
def test_more_or_fewer(difference: int, expected: str) -> None:
    assert more_or_fewer(difference, "test image", "B", qualifier="right") == expected


def test_plain_keeps_links_and_markup_as_text() -> None:
    text = "![x](http://example.com/x.png) **bold** <b>html</b> $x$ :red[no]"
    escaped = plain(text)
    for active in ("](", "**", "<b>", "$x$", ":red["):
        assert active not in escaped
    # Dropping the escapes gives the text back: nothing was lost.
    assert escaped.replace("\\", "") == text
