"""The summarize stage: chunks through generate(), then map-reduce until one brief remains."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .chunking import Chunk, RememberingCounter, chunk_sentences
from .engines.base import Engine, GenerationSettings
from .errors import UsageError
from .options import STRATEGIES
from .sentences import Span, split_sentences

log = logging.getLogger("briefer")

# Below this many tokens a chunk's share of the brief says too little to stand on its own;
# articles that would get shares that short are summarized in full rounds instead.
MIN_SHARE = 24
# Relative-position models (T5) have no decoder limit of their own; no summary is this long.
NO_FIXED_LIMIT = 100_000


def plan_chunks(model: Engine, text: str, sentences: Sequence[Span], template: str) -> list[Chunk]:
    """Pack an article's sentences into as few chunks as fit the model, evenly sized."""
    limit = model.input_limit()
    counter = RememberingCounter(model.counter(template))
    chunks = chunk_sentences(text, sentences, counter, limit)
    if len(chunks) < 2:
        return chunks
    # The smallest limit that still packs into as many chunks evens them out, so no chunk is
    # a scrap and each deserves its equal share of the summary.
    low, high = 1, limit
    while low < high:
        middle = (low + high) // 2
        try:
            fits = len(chunk_sentences(text, sentences, counter, middle)) <= len(chunks)
        except ValueError:  # not even the prompt fits in so few tokens
            fits = False
        if fits:
            high = middle
        else:
            low = middle + 1
    return chunk_sentences(text, sentences, counter, high)


def summary_settings(model: Engine, flags: dict[str, Any]) -> GenerationSettings:
    """Return the settings a summary runs with: the model's, its task's, then the user's flags.

    Lengths beyond what the model's decoder can produce are a usage error, raised before any
    generation (a length of 10**20 would otherwise overflow deep inside an engine).
    """
    limit = model.output_limit() or NO_FIXED_LIMIT
    for name in ("max_length", "min_length"):
        value = flags.get(name)
        if value is not None and value > limit:
            raise UsageError(
                f"--{name.replace('_', '-')} {value} is more than {model.name} can generate: "
                f"its limit is {limit} tokens"
            )
    return model.summary_settings.with_values("flag", **flags)


def share_settings(settings: GenerationSettings, parts: int) -> GenerationSettings | None:
    """Return settings that give each of so many chunks an equal share of the summary length.

    The joined shares then fit the requested length and need no second pass; None when the
    shares would be shorter than MIN_SHARE tokens.
    """
    share = settings.most_new_tokens() // parts
    if parts < 2 or share < MIN_SHARE:
        return None
    # max_length and min_length would still bind beside the new-token limits: neutralise them.
    return settings.with_values(
        "length share",
        max_length=None,
        min_length=0,
        max_new_tokens=share,
        min_new_tokens=min(settings.least_new_tokens() // parts, share),
    )


def map_settings(settings: GenerationSettings, own: GenerationSettings) -> GenerationSettings:
    """Return the generous settings chunk summaries get before the reduce pass.

    Each chunk is summarized at the model's own length (``own``: the model's settings with the
    user's flags but not their lengths; T5's task lengths included), or at the requested
    length when that is longer, so the lede chunk is never cut to a fraction of the brief.
    """
    return settings if settings.longest() > own.longest() else own


def summarize_many(
    model: Engine,
    articles: Sequence[Sequence[Chunk]],
    template: str,
    settings: GenerationSettings | None = None,
    strategy: str = "reduce",
    own: GenerationSettings | None = None,
    timings: dict[str, float] | None = None,
    names: Sequence[str] | None = None,
) -> list[str]:
    """Summarize several chunked articles, batching every round's generate() across them.

    ``reduce`` (the default): the chunks of a long article are summarized at the model's own
    length (``own``, else ``settings``), joined in order, and the joined summaries summarized
    once more to the requested length; when they exceed the input limit they are chunked and
    summarized again first. ``shares``: each chunk gets an equal share of the length and the
    shares are joined, with no pass over the whole. ``timings``, when given, receives the
    seconds spent in generate() on chunks ("map") and on the passes over joined summaries
    ("reduce"), for the benchmark. ``names`` (the articles' sources) name an article in a
    warning about it.
    """
    settings = settings or model.summary_settings
    if strategy == "shares":
        return _summarize_in_shares(model, articles, template, settings, timings, names)
    if strategy != "reduce":
        raise UsageError(f"unknown strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    generous = map_settings(settings, own or settings)
    counter = model.counter(template)
    limit = model.input_limit()
    results: dict[int, str] = {i: "" for i, chunks in enumerate(articles) if not chunks}
    pending = {i: list(chunks) for i, chunks in enumerate(articles) if chunks}
    first_round = True
    while pending:
        # One chunk left is the final input: it gets the requested length. Several are mapped.
        summaries = _round(
            model,
            pending,
            {i: settings if len(todo) == 1 else generous for i, todo in pending.items()},
            template,
            timings,
            first_round,
        )
        next_round: dict[int, list[Chunk]] = {}
        for i, parts in summaries.items():
            if len(parts) == 1:
                results[i] = parts[0]
                continue
            joined = " ".join(part for part in parts if part)
            chunks = chunk_sentences(joined, split_sentences(joined), counter, limit)
            if not chunks:
                results[i] = ""
                continue
            if _cannot_shrink(chunks, parts, _name(names, i)):
                results[i] = joined
                continue
            if len(chunks) == 1:
                # The joined summaries, exactly as generated, are the reduce pass's input.
                chunks = [replace(chunks[0], text=joined)]
            next_round[i] = chunks
        pending = next_round
        first_round = False
    return [results[i] for i in range(len(articles))]


def _summarize_in_shares(
    model: Engine,
    articles: Sequence[Sequence[Chunk]],
    template: str,
    settings: GenerationSettings | None = None,
    timings: dict[str, float] | None = None,
    names: Sequence[str] | None = None,
) -> list[str]:
    """Summarize long articles as equal shares of the length, joined (--strategy shares).

    Faster (no pass over the whole) but each share is written without the rest of the
    article; articles whose shares would be under MIN_SHARE tokens are map-reduced instead.
    """
    settings = settings or model.summary_settings
    counter = model.counter(template)
    limit = model.input_limit()
    target = settings.longest()
    pending: dict[int, list[Chunk]] = {i: list(chunks) for i, chunks in enumerate(articles)}
    results: dict[int, str] = {i: "" for i, chunks in pending.items() if not chunks}
    pending = {i: chunks for i, chunks in pending.items() if chunks}
    # Articles whose chunks get equal shares of the length are done after one pass: the
    # generated shares add up to no more than the requested length.
    shares = {i: share_settings(settings, len(chunks)) for i, chunks in pending.items()}
    first_round = True
    while pending:
        summaries = _round(
            model,
            pending,
            {i: (shares[i] if first_round else None) or settings for i in pending},
            template,
            timings,
            first_round,
        )
        next_round: dict[int, list[Chunk]] = {}
        for i, parts in summaries.items():
            if len(parts) == 1:
                results[i] = parts[0]
                continue
            joined = " ".join(part for part in parts if part)
            if (first_round and shares[i]) or model.count(joined) <= target:
                results[i] = joined
                continue
            chunks = chunk_sentences(joined, split_sentences(joined), counter, limit)
            if not chunks or _cannot_shrink(chunks, parts, _name(names, i)):
                results[i] = joined
                continue
            next_round[i] = chunks
        pending = next_round
        first_round = False
    return [results[i] for i in range(len(articles))]


def _round(
    model: Engine,
    pending: dict[int, list[Chunk]],
    each: dict[int, GenerationSettings],
    template: str,
    timings: dict[str, float] | None,
    first_round: bool,
) -> dict[int, list[str]]:
    """Run one round: every pending article's chunks through generate() at once, each with
    its article's settings, and return each article's outputs in order."""
    jobs = [(i, chunk) for i, chunks in pending.items() for chunk in chunks]
    if len(jobs) > 1 or not first_round:
        # A long run says what it is doing between the chunk counts and the end (-v).
        what = "chunk" if first_round else "input"
        log.info(
            "%s: %d %s%s of %d article%s", "map pass" if first_round else "reduce pass",
            len(jobs), what, "" if len(jobs) == 1 else "s",
            len(pending), "" if len(pending) == 1 else "s",
        )  # fmt: skip
    started = time.perf_counter()
    outputs = _generate(model, jobs, [each[i] for i, _ in jobs], template)
    # The first round's generate() is the map pass; any later round reduces.
    _timed(timings, "map" if first_round else "reduce", started)
    summaries: dict[int, list[str]] = {}
    for (i, _), output in zip(jobs, outputs, strict=True):
        summaries.setdefault(i, []).append(output)
    return summaries


def _name(names: Sequence[str] | None, index: int) -> str:
    """Return how a warning names the index-th article: its source, else its place."""
    return names[index] if names is not None else f"article {index + 1}"


def _cannot_shrink(chunks: list[Chunk], parts: list[str], name: str) -> bool:
    """Return whether joined summaries would take as many chunks as they came from (each as
    long as the input limit allows), and say so: they are then kept as they are."""
    if len(chunks) < len(parts):
        return False
    log.warning(
        "%s: summary kept as %d joined parts: together they fill the model's input again, so "
        "no pass can summarize them whole; a lower --max-length makes parts that fit",
        name,
        len(parts),
    )
    return True


def _timed(timings: dict[str, float] | None, stage: str, started: float) -> None:
    """Add the seconds since started (time.perf_counter) to a stage's total, if timed."""
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


def _generate(
    model: Engine,
    jobs: list[tuple[int, Chunk]],
    settings: list[GenerationSettings],
    template: str,
) -> list[str]:
    """Run one round's chunks through the model, one group per distinct settings."""
    # Articles of the same chunk count share settings, so batches still span articles.
    distinct = list({s.key(): s for s in settings}.values())
    picks = [[k for k, s in enumerate(settings) if s == setting] for setting in distinct]
    groups = [
        ([template.format(text=jobs[k][1].text) for k in picked], setting)
        for picked, setting in zip(picks, distinct, strict=True)
    ]
    outputs: list[str] = [""] * len(jobs)
    for picked, results in zip(picks, model.generate(groups), strict=True):
        for k, output in zip(picked, results, strict=True):
            # A line break in a summary (PEGASUS's <n>) is a space once parts are joined.
            outputs[k] = " ".join(output.split())
    return outputs
