"""Pack sentences into model-sized chunks, measured with the model's own tokenizer.

A chunk never exceeds the token limit as counted by the real tokenizer on the exact text the model
will see, and no non-space character of the input is ever dropped: a sentence too long for one
chunk is cut on token boundaries into pieces, each its own chunk. ``Chunk.sentences`` therefore
holds whole sentence spans as given, or, for a cut sentence, the sub-spans of its pieces.
Spans with no non-space text are dropped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Span = tuple[int, int]

# Tokenizers without a limit report model_max_length as int(1e30); anything this big is no limit.
_SANE_MAX = 1_000_000
# T5-style models (relative positions) declare no limit of their own; 512 is what they trained on.
_DEFAULT_LIMIT = 512
# In the word fallback, words longer than this also allow cuts between their characters.
_LONG_WORD = 32
# Estimate-driven probes per piece of a long sentence before falling back to bisection.
_PROBES = 4
_WORD = re.compile(r"\S+")


class TokenCounter(Protocol):
    """What chunking needs from a tokenizer."""

    def count(self, text: str) -> int:
        """Tokens the model sees for text as one input, special tokens and prompt included."""
        ...

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of text's own tokens (no special tokens), in order."""
        ...


class RememberingCounter:
    """A TokenCounter that counts each text once: summarize.plan_chunks packs an article a
    dozen times over while it evens its chunks out, and each packing counts every sentence and
    every run of them again. The benchmark's 6 articles took 1,794 tokenizer calls where 210
    texts were distinct per article; planning them took 0.64 s, and 0.28-0.38 s with this
    (Intel Xeon, 2 vCPUs, distilbart's tokenizer)."""

    def __init__(self, counter: TokenCounter) -> None:
        """Wrap counter; the counts live as long as this object (one article)."""
        self._counter = counter
        self._counts: dict[str, int] = {}

    def count(self, text: str) -> int:
        """Tokens the model sees for text, from the wrapped counter the first time."""
        tokens = self._counts.get(text)
        if tokens is None:
            tokens = self._counts[text] = self._counter.count(text)
        return tokens

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of text's own tokens, from the wrapped counter."""
        return self._counter.offsets(text)


@dataclass(frozen=True)
class Chunk:
    """One model input: consecutive sentences (or pieces of one long sentence) and their text."""

    start: int  # source offset where the first span starts
    end: int  # source offset where the last span ends
    # Source spans in this chunk: whole sentences as given, or one piece of a cut sentence.
    sentences: tuple[Span, ...]
    text: str  # the spans' texts, whitespace collapsed, joined by single spaces
    tokens: int  # counter.count(text), never above the limit


# Invisible characters scraped copy carries inside words, which no orthography needs: the
# soft hyphen, zero-width space, word joiner and BOM (ZWNJ and ZWJ stay: Persian, Arabic and
# Indic spelling use them).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


# Unicode's format characters (category Cf): invisible, and never part of a word's letters
# for comparing words (ZWNJ included: both sides of a comparison lose it alike).
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def visible(text: str) -> str:
    """Return text without format characters, for comparing words: scraped copy's
    "Wash\u2060ington" and "Inves\u00adtors" are "Washington" and "Investors"."""
    return _FORMAT.sub("", text)


def normalize(text: str) -> str:
    """Collapse every run of whitespace to one space, strip the ends, and drop the invisible
    characters a model would read as noise inside words ("sto\u200bck" is "stock")."""
    return " ".join(text.translate(_INVISIBLE).split())


def chunk_sentences(
    text: str, sentences: Sequence[Span], counter: TokenCounter, limit: int
) -> list[Chunk]:
    """Greedily pack sentence spans of text, in order, into chunks of at most limit tokens."""
    spans = _checked_spans(text, sentences)
    if not spans:
        return []
    if limit < 1:
        raise ValueError(f"token limit must be positive, got {limit}")
    overhead = counter.count("")
    if overhead >= limit:
        raise ValueError(
            f"token limit {limit} is too small: the prompt and special tokens alone take "
            f"{overhead} tokens, leaving no room for text"
        )
    packer = _Packer(text, counter, limit, overhead)
    for span in spans:
        packer.add(span)
    packer.finish()
    return packer.chunks


def _checked_spans(text: str, sentences: Sequence[Span]) -> list[Span]:
    """Validate spans (in bounds, ordered, disjoint) and drop those with no non-space text."""
    out: list[Span] = []
    previous_end = 0
    for start, end in sentences:
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"sentence span ({start}, {end}) is outside the text (0, {len(text)})")
        if start < previous_end:
            raise ValueError(f"sentence span ({start}, {end}) overlaps or precedes the one before")
        previous_end = end
        # A blank span carries nothing for the model; keeping it would only make empty chunks.
        if text[start:end].strip():
            out.append((start, end))
    return out


class _Packer:
    """Greedy packer that estimates with per-sentence counts and verifies with real counts."""

    def __init__(self, text: str, counter: TokenCounter, limit: int, overhead: int) -> None:
        """Start with no chunks and an empty pending chunk."""
        self.text = text
        self.counter = counter
        self.limit = limit
        self.overhead = overhead
        self.chunks: list[Chunk] = []
        # Pending sentences as (span, normalized text, estimated own tokens).
        self.pending: list[tuple[Span, str, int]] = []
        self.estimate = overhead

    def add(self, span: Span) -> None:
        """Add one sentence, first emitting chunks from the pending ones while it would not fit."""
        sentence = normalize(self.text[span[0] : span[1]])
        alone = self.counter.count(sentence)
        if alone > self.limit:
            # Pieces of an over-long sentence stand alone, so close what came before it.
            self.finish()
            for piece, tokens in _split_long(self.text, span, self.counter, self.limit):
                self.chunks.append(
                    Chunk(
                        piece[0],
                        piece[1],
                        (piece,),
                        normalize(self.text[piece[0] : piece[1]]),
                        tokens,
                    )
                )
            return
        own = max(alone - self.overhead, 0)
        while self.pending and self.estimate + own > self.limit:
            self._emit_head()
        self.pending.append((span, sentence, own))
        self.estimate += own

    def finish(self) -> None:
        """Emit every pending sentence."""
        while self.pending:
            self._emit_head()

    def _emit_head(self) -> None:
        """Emit the longest run of pending sentences that really fits; the rest stay pending."""
        take = len(self.pending)
        while True:
            joined = " ".join(sentence for _, sentence, _ in self.pending[:take])
            tokens = self.counter.count(joined)
            if tokens <= self.limit or take == 1:
                # One sentence alone always fits: add() measured exactly this text.
                break
            # Subword counts are not additive across joins, so the estimate can be short: drop
            # enough trailing sentences to cover the measured excess, then measure again.
            excess = tokens - self.limit
            while take > 1 and excess > 0:
                take -= 1
                excess -= max(self.pending[take][2], 1)
        taken, self.pending = self.pending[:take], self.pending[take:]
        self.chunks.append(
            Chunk(
                start=taken[0][0][0],
                end=taken[-1][0][1],
                sentences=tuple(span for span, _, _ in taken),
                text=joined,
                tokens=tokens,
            )
        )
        self.estimate = self.overhead + sum(own for _, _, own in self.pending)


def _split_long(text: str, span: Span, counter: TokenCounter, limit: int) -> list[tuple[Span, int]]:
    """Cut one over-long sentence on token boundaries into consecutive (span, tokens) pieces."""
    base, stop = span
    raw = text[base:stop]
    # Cut points: 0, every token start, len(raw). Pieces run from one cut to the next, so together
    # they cover every character; only whitespace at the cuts is trimmed away.
    cuts = sorted({0, len(raw), *(s for s, _ in _trimmed_offsets(raw, counter.offsets(raw)))})
    overhead = counter.count("")
    budget = max(limit - overhead, 1)
    pieces: list[tuple[Span, int]] = []
    i = 0
    while raw[cuts[i] :].strip():
        last = len(cuts) - 1
        measured: dict[int, int] = {}

        def fits(j: int, i: int = i, measured: dict[int, int] = measured) -> bool:
            """Whether the piece from cut i to cut j is within the limit (remembering its count)."""
            s, e = _trim(raw, cuts[i], cuts[j])
            measured[j] = counter.count(normalize(raw[s:e]))
            return measured[j] <= limit

        # Search invariant: lo fits (or is i: nothing known to fit), hi does not (or is past end).
        lo, hi = i, last + 1
        # Offsets are about one per token, so the budget is a good first guess; after that the
        # measured tokens per cut rescale it (a secant step), which usually lands on the best cut
        # in two or three counts even where one offset covers several tokens (CJK in byte BPE).
        j = min(i + budget, last)
        for _ in range(_PROBES):
            if fits(j):
                lo = j
            else:
                hi = j
            if hi - lo <= 1:
                break
            j = i + (j - i) * budget // max(measured[j] - overhead, 1)
            j = min(max(j, lo + 1), hi - 1)
        # Whatever the probes left open is settled by bisection.
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid
        if lo == i:
            # Even the single unit from cut i is too big: allow cuts between its characters.
            finer = _char_cuts(raw, cuts[i], cuts[i + 1])
            if not finer:
                s, e = _trim(raw, cuts[i], cuts[i + 1])
                raise ValueError(
                    f"token limit {limit} is too small: the text {raw[s:e]!r} alone takes "
                    f"{measured[i + 1]} tokens (prompt and special tokens take {overhead})"
                )
            cuts[i + 1 : i + 1] = finer
            continue
        s, e = _trim(raw, cuts[i], cuts[lo])
        if e > s:
            pieces.append(((base + s, base + e), measured[lo]))
        i = lo
    return pieces


def _trim(raw: str, start: int, end: int) -> Span:
    """Span of raw[start:end] without its leading and trailing whitespace."""
    segment = raw[start:end]
    return start + len(segment) - len(segment.lstrip()), start + len(segment.rstrip())


def _char_cuts(raw: str, start: int, end: int) -> list[int]:
    """Cut points before each non-space character of raw[start:end] except the first one."""
    positions = [k for k in range(start, end) if not raw[k].isspace()]
    return positions[1:]


def _trimmed_offsets(text: str, offsets: Sequence[Span]) -> list[Span]:
    """Clamp token spans to the text, trim whitespace off them and drop the empty ones."""
    out: list[Span] = []
    for s, e in offsets:
        s, e = max(s, 0), min(e, len(text))
        # Byte-level BPE folds the preceding space into the token; a cut belongs before the word.
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


class _HFCounter:
    """TokenCounter backed by a Hugging Face tokenizer and a prompt template."""

    def __init__(self, tokenizer: Any, template: str, lock: Any = None) -> None:
        """Keep the tokenizer, the template that wraps each text, and the tokenizer's lock."""
        self.tokenizer = tokenizer
        self.template = template
        self.lock = lock if lock is not None else contextlib.nullcontext()

    def count(self, text: str) -> int:
        """Tokens of the templated text, special tokens included, never truncated."""
        # verbose=False stops the "sequence length is longer than the maximum" warning, which
        # would fire on every over-long sentence we measure before splitting it.
        with self.lock:
            encoding = self.tokenizer(
                self.template.format(text=text),
                add_special_tokens=True,
                truncation=False,
                verbose=False,
            )
        return len(encoding["input_ids"])

    def offsets(self, text: str) -> list[Span]:
        """Character spans of text's tokens, or of its words when the tokenizer has no offsets."""
        if getattr(self.tokenizer, "is_fast", False):
            try:
                with self.lock:
                    encoding = self.tokenizer(
                        text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
                    )
                mapping = encoding.get("offset_mapping")
            except (NotImplementedError, TypeError, ValueError):
                mapping = None
            if mapping is not None:
                return _trimmed_offsets(text, [(int(s), int(e)) for s, e in mapping])
        return word_offsets(text)


def word_offsets(text: str) -> list[Span]:
    """Whitespace-word spans, with very long words split into single characters."""
    out: list[Span] = []
    for match in _WORD.finditer(text):
        s, e = match.span()
        if e - s > _LONG_WORD:
            # Without real offsets a URL-like word must still be cuttable somewhere.
            out.extend((k, k + 1) for k in range(s, e))
        else:
            out.append((s, e))
    return out


def hf_counter(tokenizer: Any, template: str = "{text}", lock: Any = None) -> TokenCounter:
    """Adapt a Hugging Face tokenizer (and the prompt the model gets) to a TokenCounter; lock,
    when given, is held around each call of the tokenizer (see HFModel.tokenizing)."""
    if "{text}" not in template:
        raise ValueError(f"template must contain '{{text}}', got {template!r}")
    return _HFCounter(tokenizer, template, lock)


def _sane(value: object) -> int | None:
    """Return value when it is a usable positive length limit, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _SANE_MAX:
        return value
    return None


def model_input_limit(model_config: Any, tokenizer: Any = None) -> int:
    """The most input tokens the model accepts, from its config and its tokenizer."""
    candidates = [
        _sane(getattr(model_config, name, None))
        for name in ("max_position_embeddings", "n_positions")
    ]
    candidates.append(_sane(getattr(tokenizer, "model_max_length", None)))
    sane = [value for value in candidates if value is not None]
    # Relative-position models (T5) declare nothing; their tokenizer, or 512, is the practical cap.
    return min(sane) if sane else _DEFAULT_LIMIT
