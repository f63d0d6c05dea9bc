from __future__ import annotations

import random
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.extractive import extract, summarize_extractive
from briefer.sentences import split_sentences
from briefer.sources import Article, read_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "paris-coalition-meeting.txt"
SHARED_SAMPLE = Path("/work/shared/samples/paris-coalition-meeting.txt")

LEDE = (
    "Iraq's allies in the fight against the Islamic State group on Tuesday pledged their "
    "support for an emergency plan adopted by Baghdad after the key city of Ramadi was taken "
    "by militants."
)
STANDFIRST = (
    "Allies of Iraq from over 20 countries meeting in Paris have pledged support for a strategy "
    "to defeat Islamic State and halt its advance."
)
CONTEXT = (
    "The coalition, which includes the United States and France but not Russia, Iran or Syria, "
    "is meeting after extremists conquered both the Iraqi city of Ramadi and the historic Syrian "
    "city of Palmyra."
)


# --- helpers -----------------------------------------------------------------------------------


def build(*sentences: str, sep: str = " ") -> tuple[str, list[tuple[int, int]]]:
    """Join sentences into a text and return it with each sentence's exact span."""
    text, spans = "", []
    for sentence in sentences:
        if text:
            text += sep
        spans.append((len(text), len(text) + len(sentence)))
        text += sentence
    return text, spans


def words(text: str, spans: list[tuple[int, int]]) -> int:
    return sum(len(text[s:e].split()) for s, e in spans)


@pytest.fixture(scope="module")
def article() -> Article:
    if not SAMPLE.exists():
        SAMPLE.parent.mkdir(exist_ok=True)
        shutil.copy(SHARED_SAMPLE, SAMPLE)
    return read_path(str(SAMPLE))


@pytest.fixture(scope="module")
def spans(article: Article) -> list[tuple[int, int]]:
    return [sp for s, e in article.body for sp in split_sentences(article.text, s, e)]


# --- the real sample article -------------------------------------------------------------------


def test_sample_is_deterministic(article: Article, spans: list[tuple[int, int]]) -> None:
    first = extract(article.text, spans, title=article.title)
    assert extract(article.text, spans, title=article.title) == first
    assert extract(article.text, list(spans), title=article.title) == first
    assert summarize_extractive(article.text, spans, title=article.title) == summarize_extractive(
        article.text, spans, title=article.title
    )


def test_sample_brief_is_made_of_article_sentences_in_order(
    article: Article, spans: list[tuple[int, int]]
) -> None:
    chosen = extract(article.text, spans, title=article.title)
    assert 1 <= len(chosen) <= 3
    assert set(chosen) <= set(spans)
    assert chosen == sorted(chosen)
    assert all(a[1] <= b[0] for a, b in pairwise(chosen))
    assert words(article.text, chosen) <= 120
    for s, e in chosen:
        assert article.text[s:e] in article.text
        assert len(article.text[s:e].split()) >= 5


def test_sample_brief_includes_the_lede(article: Article, spans: list[tuple[int, int]]) -> None:
    summary = summarize_extractive(article.text, spans, title=article.title)
    assert LEDE in summary
    # Without a title too: the lede wins on TextRank and position, not on the title bonus.
    assert LEDE in summarize_extractive(article.text, spans)
    assert len(summary.split()) <= 120


def test_sample_brief_text(article: Article, spans: list[tuple[int, int]]) -> None:
    # The exact brief: a change of ranking should be a conscious one.
    summary = summarize_extractive(article.text, spans, title=article.title)
    assert summary == f"{STANDFIRST} {LEDE} {CONTEXT}"


@pytest.mark.parametrize("max_words", [10, 30, 40, 60, 80, 120, 200])
def test_sample_respects_max_words(
    article: Article, spans: list[tuple[int, int]], max_words: int
) -> None:
    chosen = extract(article.text, spans, title=article.title, max_words=max_words)
    assert chosen
    assert words(article.text, chosen) <= max_words
    if not set(chosen) <= set(spans):
        # Cut only when the best sentence alone is over budget: then it is its beginning.
        (top,) = extract(article.text, spans, title=article.title, max_words=None, max_sentences=1)
        assert chosen == [(top[0], chosen[0][1])] and chosen[0][1] < top[1]


def test_sample_over_budget_takes_just_the_best_sentence(
    article: Article, spans: list[tuple[int, int]]
) -> None:
    chosen = extract(article.text, spans, title=article.title, max_words=5)
    assert len(chosen) == 1
    assert article.text[slice(*chosen[0])] == "Iraq's allies in the fight"
    brief = summarize_extractive(article.text, spans, title=article.title, max_words=5)
    assert brief == "Iraq's allies in the fight\u2026"
    assert LEDE.startswith(brief.removesuffix("\u2026"))


@pytest.mark.parametrize("max_sentences", [1, 2, 3, 5, 8])
def test_sample_respects_max_sentences(
    article: Article, spans: list[tuple[int, int]], max_sentences: int
) -> None:
    chosen = extract(
        article.text, spans, title=article.title, max_sentences=max_sentences, max_words=None
    )
    assert len(chosen) == max_sentences
    assert chosen == sorted(chosen)


def test_sample_never_picks_the_subheading(article: Article, spans: list[tuple[int, int]]) -> None:
    heading = next(sp for sp in spans if article.text[slice(*sp)] == "Shia-Sunni tensions")
    chosen = extract(
        article.text, spans, title=article.title, max_sentences=len(spans), max_words=None
    )
    assert heading not in chosen
    assert len(chosen) >= len(spans) // 2


def test_sample_order_of_input_does_not_matter(
    article: Article, spans: list[tuple[int, int]]
) -> None:
    shuffled = spans + spans[:5]
    random.Random(7).shuffle(shuffled)
    assert extract(article.text, shuffled, title=article.title) == extract(
        article.text, spans, title=article.title
    )


# --- unit cases --------------------------------------------------------------------------------


def test_no_sentences() -> None:
    assert extract("", []) == []
    assert summarize_extractive("", []) == ""
    assert extract("Some text that was never split.", []) == []
    assert extract("   \n ", [(0, 5)]) == []
    assert summarize_extractive("   \n ", [(0, 5)]) == ""


def test_single_sentence() -> None:
    text = "  The minister resigned on Monday after weeks of protests.\n"
    spans = [(2, len(text) - 1)]
    assert extract(text, spans) == spans
    assert summarize_extractive(text, spans) == text.strip()
    # One sentence over budget is cut at the budget, and the cut is marked.
    assert extract(text, spans, max_words=3) == [(2, 2 + len("The minister resigned"))]
    assert summarize_extractive(text, spans, max_words=3) == "The minister resigned\u2026"


def test_single_short_sentence_is_kept() -> None:
    # A text of nothing but fragments still gets a brief rather than nothing.
    text = "Breaking news."
    assert extract(text, [(0, len(text))]) == [(0, len(text))]


def test_identical_sentences_give_one() -> None:
    sentence = "The cat sat on the warm mat all afternoon."
    text, spans = build(sentence, sentence, sentence, sentence)
    assert extract(text, spans) == [spans[0]]
    assert summarize_extractive(text, spans) == sentence


def test_near_duplicate_is_skipped() -> None:
    text, spans = build(
        "Rebels seized the northern city of Kunduz after a night of heavy fighting.",
        "After a night of heavy fighting, rebels seized Kunduz, the northern city.",
        "Government troops withdrew to the airport, where reinforcements were arriving.",
        "Aid agencies said thousands of families had fled towards the capital.",
    )
    chosen = extract(text, spans, max_sentences=3, max_words=None)
    assert spans[0] in chosen
    assert spans[1] not in chosen
    assert len(chosen) == 3


def test_subheading_is_never_chosen() -> None:
    # The heading repeats the words every sentence shares, so TextRank alone would love it.
    text, spans = build(
        "Coalition strategy in Iraq",
        "The coalition strategy in Iraq relies on air strikes against militants.",
        "Critics of the coalition say the strategy in Iraq has failed so far.",
        "Iraq wants the coalition to change its strategy before the summer.",
        sep="\n\n",
    )
    chosen = extract(text, spans, max_sentences=4, max_words=None)
    assert spans[0] not in chosen
    assert chosen == spans[1:]


def test_max_sentences() -> None:
    text, spans = build(
        "Storms flooded the coastal towns of the province on Sunday night.",
        "Rescue teams reached the flooded towns by boat on Monday morning.",
        "The province asked the army to help clear the roads to the towns.",
        "Forecasters expect more storms along the coast later this week.",
        "Schools in the province will stay closed until the roads reopen.",
    )
    for n in range(1, 6):
        chosen = extract(text, spans, max_sentences=n, max_words=None)
        assert len(chosen) == n
        assert chosen == sorted(chosen)
    assert extract(text, spans, max_sentences=1, max_words=None) == [spans[0]]


def test_max_words_skips_to_a_shorter_sentence() -> None:
    text, spans = build(
        "Storms flooded the coastal towns of the province on Sunday night.",  # 11 words
        "Rescue teams reached the flooded coastal towns of the province by boat on Monday "
        "morning after the storms.",  # 18 words
        "Storms flooded the coastal roads.",  # 5 words
    )
    chosen = extract(text, spans, max_words=17)
    assert words(text, chosen) <= 17
    assert chosen == [spans[0], spans[2]]


def test_ties_go_to_the_earlier_sentence() -> None:
    # No shared words: TextRank gives every sentence the same rank.
    text, spans = build(
        "Alpha beta gamma delta epsilon.",
        "Zeta eta theta iota kappa.",
        "Lambda omicron sigma upsilon omega.",
    )
    assert extract(text, spans, max_sentences=1) == [spans[0]]
    assert extract(text, spans, max_sentences=2) == spans[:2]


def test_title_overlap_breaks_an_even_rank() -> None:
    text, spans = build(
        "Alpha beta gamma delta epsilon.",
        "Zeta eta theta iota kappa.",
        "Lambda omicron sigma upsilon omega.",
    )
    assert extract(text, spans, max_sentences=1, title="Theta and kappa") == [spans[1]]


def test_whitespace_is_normalised() -> None:
    text = "Ministers\u00a0met   in Paris\non Tuesday.  They agreed a new plan for the region.\n"
    second = text.index("They")
    spans = [(0, text.index("  They")), (second, len(text) - 1)]
    assert summarize_extractive(text, spans) == (
        "Ministers met in Paris on Tuesday. They agreed a new plan for the region."
    )


def test_bad_arguments() -> None:
    text, spans = build("One sentence that is long enough to count.")
    with pytest.raises(ValueError):
        extract(text, spans, max_sentences=0)
    with pytest.raises(ValueError):
        extract(text, spans, max_words=0)
    with pytest.raises(ValueError):
        extract(text, [(0, len(text) + 1)])
    with pytest.raises(ValueError):
        extract(text, [(5, 2)])


def test_no_model_libraries_needed() -> None:
    import subprocess
    import sys

    code = (
        "import sys, briefer.extractive as x; "
        "x.extract('A b c d e f. G h i j k l.', [(0, 12), (13, 25)]); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- properties --------------------------------------------------------------------------------

VOCAB = ["iraq", "coalition", "Paris", "the", "of", "strikes", "city", "Ramadi", "said", "é", "—"]
word = st.one_of(
    st.sampled_from(VOCAB),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8),
)
sentence = st.lists(word, min_size=1, max_size=12).map(" ".join).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(
    sentences=st.lists(sentence, max_size=15),
    max_sentences=st.integers(1, 6),
    max_words=st.none() | st.integers(1, 60),
    title=st.none() | sentence,
)
def test_extract_properties(
    sentences: list[str], max_sentences: int, max_words: int | None, title: str | None
) -> None:
    text, spans = build(*sentences)
    chosen = extract(text, spans, max_sentences=max_sentences, max_words=max_words, title=title)
    if not set(chosen) <= set(spans):
        # The best sentence over budget, cut: the beginning of one sentence, and nothing else.
        (cut,) = chosen
        assert any(s == cut[0] and cut[1] < e for s, e in spans)
    assert chosen == sorted(set(chosen))  # ordered and unique
    assert len(chosen) <= max_sentences
    assert bool(chosen) == any(text[s:e].strip() for s, e in spans)
    if max_words is not None:
        assert words(text, chosen) <= max_words
    # Deterministic, and blind to the order and repetition of its input.
    assert (
        extract(
            text, spans[::-1] + spans, max_sentences=max_sentences, max_words=max_words, title=title
        )
        == chosen
    )
    summary = summarize_extractive(text, spans, max_words=max_words or 120, title=title)
    assert summary == " ".join(summary.split())
    assert len(summary.removesuffix("\u2026").split()) <= (max_words or 120)
