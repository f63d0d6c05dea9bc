"""The extractive engine: a brief made of the article's own sentences, with no model weights.

Sentences are ranked by TextRank (Mihalcea & Tarau, 2004) over shared content words, the rank
is weighted towards the top of the story, as news puts its lede first, and nudged towards
sentences that share words with the title. The best sentences that fit the word budget are
returned in article order. Everything is deterministic: ties go to the earlier sentence.

Bounded for any input: only the first MAX_CANDIDATES sentences compete, the similarity graph is
built from an inverted index over content words (memory grows with the pairs that share a word,
not with the square of the sentence count), and the word budget always holds.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

from .chunking import visible
from .sentences import Span

# Sentences shorter than this are subheadings, datelines or bylines, not story.
MIN_WORDS = 5
# Only the first this many candidate sentences compete. A 10,000-word long read has about 450;
# the position prior of the 1,000th is under 1% of the lede's, so it could not win anyway, and
# the graph stays bounded: a 2 MB text (~20,000 sentences) once took 216 s and 3.3 GB as a full
# n x n matrix; now at most 1,000 x 999 / 2 pairs, only those that share a word, are stored.
MAX_CANDIDATES = 1000
# Marks a best sentence cut at the word budget.
ELLIPSIS = "\u2026"

_DAMPING = 0.85  # PageRank's usual damping factor, as in the TextRank paper
_MAX_ITERATIONS = 200
_TOLERANCE = 1e-10  # L1 change in the rank vector at which power iteration stops
# Position prior 1 / (1 + _LEAD_DECAY * i): the 11th sentence counts half as much as the first.
_LEAD_DECAY = 0.1
# A sentence holding every title word scores this much more (+25%): a nudge, not a veto.
_TITLE_BONUS = 0.25
# A candidate whose content words are this much inside a chosen sentence's adds nothing.
_DUPLICATE_CONTAINMENT = 0.8
# Scores are rounded before sorting so that float noise cannot beat the position tie-break.
_SCORE_DIGITS = 12

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CONTRACTIONS = {"t", "re", "ve", "ll", "d", "m"}

_STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either",
    "else", "ever", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into",
    "is", "it", "its", "itself", "just", "least", "less", "let", "like", "may", "me", "might",
    "more", "most", "much", "must", "my", "myself", "neither", "no", "nor", "not", "now", "of",
    "off", "on", "once", "one", "only", "or", "other", "others", "our", "ours", "ourselves", "out",
    "over", "own", "per", "rather", "same", "shall", "she", "should", "since", "so", "some", "such",
    "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "though", "through", "thus", "to", "too", "under", "until", "up",
    "upon", "us", "very", "via", "was", "we", "were", "what", "when", "where", "whether", "which",
    "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet",
    "you", "your", "yours", "yourself", "yourselves", "said", "say", "says", "saying", "told", "mr",
    "mrs", "ms",
})  # fmt: skip


def extract(
    text: str,
    sentences: Sequence[Span],
    *,
    max_sentences: int = 3,
    max_words: int | None = 120,
    title: str | None = None,
) -> list[Span]:
    """Return the spans of the sentences that make the best short brief, in article order."""
    if max_sentences < 1:
        raise ValueError(f"max_sentences must be at least 1, not {max_sentences}")
    if max_words is not None and max_words < 1:
        raise ValueError(f"max_words must be at least 1, not {max_words}")
    spans = _clean_spans(text, sentences)
    if not spans:
        return []
    words = [len(text[s:e].split()) for s, e in spans]
    tokens = [_content_words(text[s:e]) for s, e in spans]

    candidates = [i for i, n in enumerate(words) if n >= MIN_WORDS][:MAX_CANDIDATES]
    if not candidates:
        # A text of fragments only still deserves a brief rather than nothing.
        candidates = list(range(min(len(spans), MAX_CANDIDATES)))

    ranks = _textrank([tokens[i] for i in candidates])
    title_words = _content_words(title) if title else set()
    scores: dict[int, float] = {}
    for rank, i in zip(ranks, candidates, strict=True):
        # The prior uses the position in the whole article, so a skipped subheading still
        # pushes what follows it down the story.
        prior = 1.0 / (1.0 + _LEAD_DECAY * i)
        bonus = 1.0
        if title_words:
            bonus += _TITLE_BONUS * len(tokens[i] & title_words) / len(title_words)
        scores[i] = rank * prior * bonus
    top = max(scores.values())
    order = sorted(candidates, key=lambda i: (-round(scores[i] / top, _SCORE_DIGITS), i))

    chosen: list[int] = []
    total = 0
    for i in order:
        if len(chosen) == max_sentences:
            break
        if any(_duplicate(text, spans, tokens, i, j) for j in chosen):
            continue
        if max_words is not None and total + words[i] > max_words:
            if not chosen:
                # The best sentence alone is over budget (a run-on, or a tiny budget): its first
                # max_words words are the brief, marked as cut by summarize_extractive.
                return [_first_words(text, spans[i], max_words)]
            # A shorter sentence further down may still fit the budget.
            continue
        chosen.append(i)
        total += words[i]
    return [spans[i] for i in sorted(chosen)]


def summarize_extractive(
    text: str,
    sentences: Sequence[Span],
    *,
    max_words: int = 120,
    title: str | None = None,
) -> str:
    """Return the extracted sentences joined by single spaces, whitespace normalised.

    A sentence cut at the word budget ends with an ellipsis (it does not count as a word).
    """
    chosen = extract(text, sentences, max_words=max_words, title=title)
    summary = " ".join(" ".join(text[s:e].split()) for s, e in chosen)
    if chosen and chosen[0] not in set(sentences):
        summary += ELLIPSIS
    return summary


def _first_words(text: str, span: Span, count: int) -> Span:
    """Return the part of a span that holds its first count words."""
    s, e = span
    for n, match in enumerate(re.finditer(r"\S+", text[s:e]), start=1):
        if n == count:
            return s, s + match.end()
    return span


def _clean_spans(text: str, sentences: Sequence[Span]) -> list[Span]:
    """Return the distinct non-blank spans in article order; out-of-range spans raise."""
    out: set[Span] = set()
    for s, e in sentences:
        if not 0 <= s <= e <= len(text):
            raise ValueError(f"sentence span ({s}, {e}) is outside a text of {len(text)} chars")
        if text[s:e].strip():
            out.add((s, e))
    return sorted(out)


def _content_words(sentence: str) -> set[str]:
    """Return a sentence's normalised content words: lower-cased, stemmed, no stopwords."""
    words: set[str] = set()
    for token in _WORD.findall(visible(sentence).lower().replace("\u2019", "'")):
        base, _, rest = token.partition("'")
        if rest == "s":
            token = base  # "Iraq's" is about Iraq
        elif rest in _CONTRACTIONS:
            continue  # "don't", "we're": function words
        if token in _STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        words.add(_stem(token))
    return words


def _stem(word: str) -> str:
    """Crudely strip English inflections so that "pledged" and "pledges" meet at "pledg"."""
    if not (word.isascii() and word.isalpha()) or len(word) <= 3:
        # Other scripts and short words have no suffixes this crude rule knows.
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    # "pledge" and "pledg(ed)" must meet: drop a final e as well.
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _textrank(tokens: Sequence[set[str]]) -> list[float]:
    """Return each sentence's PageRank on the graph weighted by word-overlap similarity.

    The graph is sparse: an edge for each pair of sentences that share a content word, found
    through an inverted index, so two sentences with nothing in common cost nothing.
    """
    import numpy as np

    n = len(tokens)
    source, target, weight = _edges(tokens)
    src = np.frombuffer(source, dtype=np.int32) if source else np.zeros(0, dtype=np.int32)
    dst = np.frombuffer(target, dtype=np.int32) if target else np.zeros(0, dtype=np.int32)
    w = np.frombuffer(weight, dtype=np.float64) if weight else np.zeros(0)
    out = np.bincount(src, weights=w, minlength=n)
    dangling = out == 0
    # Row-normalise; a sentence sharing no word with any other spreads its rank evenly, so
    # rank is neither lost nor piled onto its neighbours.
    share = w / out[src] if len(w) else w
    rank = np.full(n, 1.0 / n)
    for _ in range(_MAX_ITERATIONS):
        spread = rank[dangling].sum() / n
        passed = np.bincount(dst, weights=share * rank[src], minlength=n)
        new = (1.0 - _DAMPING) / n + _DAMPING * (passed + spread)
        done = np.abs(new - rank).sum() < _TOLERANCE
        rank = new
        if done:
            break
    return [float(r) for r in rank]


def _edges(tokens: Sequence[set[str]]) -> tuple[array, array, array]:
    """Return the similarity graph's edges, both ways: sources, targets and weights."""
    postings: dict[str, list[int]] = {}
    for i, words in enumerate(tokens):
        for word in words:
            postings.setdefault(word, []).append(i)
    sizes = [math.log1p(len(words)) for words in tokens]
    source, target, weight = array("i"), array("i"), array("d")
    for i, words in enumerate(tokens):
        shared: Counter[int] = Counter()
        for word in words:
            after = postings[word]
            shared.update(after[bisect_right(after, i) :])
        for j in sorted(shared):
            # TextRank's similarity: shared words over the sum of the log lengths, with
            # log(1 + n) rather than the paper's log(n), which is 0 for one-word sentences.
            similarity = shared[j] / (sizes[i] + sizes[j])
            source.extend((i, j))
            target.extend((j, i))
            weight.extend((similarity, similarity))
    return source, target, weight


def _duplicate(
    text: str, spans: Sequence[Span], tokens: Sequence[set[str]], i: int, j: int
) -> bool:
    """Tell whether sentence i says nothing that chosen sentence j does not already say."""
    a, b = tokens[i], tokens[j]
    if not a or not b:
        # Without content words to compare, only the same wording counts as a repeat.
        return _squash(text, spans[i]) == _squash(text, spans[j])
    return len(a & b) / min(len(a), len(b)) >= _DUPLICATE_CONTAINMENT


def _squash(text: str, span: Span) -> str:
    """Return a span's text case-folded with whitespace normalised, for comparing wordings."""
    s, e = span
    return " ".join(text[s:e].casefold().split())
