"""The summarize stage: chunks through generate(), then map-reduce until one brief remains."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .chunking import Chunk, chunk_sentences, hf_counter, model_input_limit
from .models import Seq2Seq
from .sentences import Span, split_sentences

log = logging.getLogger("briefer")

# Below this many tokens a chunk's share of the brief says too little to stand on its own;
# articles that would get shares that short are summarized in full rounds instead.
MIN_SHARE = 24


def plan_chunks(model: Seq2Seq, text: str, sentences: Sequence[Span], template: str) -> list[Chunk]:
    """Pack an article's sentences into as few chunks as fit the model, evenly sized."""
    limit = model_input_limit(model.config, model.tokenizer)
    counter = hf_counter(model.tokenizer, template)
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


# Generation settings a config's task_specific_params["summarization"] may carry.
_TASK_KEYS = (
    "max_length",
    "min_length",
    "num_beams",
    "no_repeat_ngram_size",
    "length_penalty",
    "early_stopping",
)


def task_settings(config: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the model's own summarization settings (T5's task_specific_params) under the user's."""
    params = (getattr(config, "task_specific_params", None) or {}).get("summarization") or {}
    return {**{k: params[k] for k in _TASK_KEYS if k in params}, **overrides}


def target_length(model: Seq2Seq, overrides: dict[str, Any]) -> int:
    """Return the longest summary, in tokens, that the generation settings allow."""
    config = model.settings(overrides)
    # transformers falls back to 20 tokens when a model sets neither length.
    return int(config.max_new_tokens or config.max_length or 20)


def share_overrides(model: Seq2Seq, overrides: dict[str, Any], parts: int) -> dict[str, Any] | None:
    """Return settings that give each of so many chunks an equal share of the summary length.

    The joined shares then fit the requested length and need no second pass; None when the
    shares would be shorter than MIN_SHARE tokens.
    """
    config = model.settings(overrides)
    most = int(config.max_new_tokens or (config.max_length or 20) - 1)
    least = int(config.min_new_tokens or max((config.min_length or 0) - 1, 0))
    share = most // parts
    if parts < 2 or share < MIN_SHARE:
        return None
    # max_length and min_length would still bind beside the new-token limits: neutralise them.
    return {
        **overrides,
        "max_length": None,
        "min_length": 0,
        "max_new_tokens": share,
        "min_new_tokens": min(least // parts, share),
    }


def summarize_many(
    model: Seq2Seq,
    articles: Sequence[Sequence[Chunk]],
    template: str,
    overrides: dict[str, Any] | None = None,
) -> list[str]:
    """Summarize several chunked articles, batching every round's generate() across them."""
    overrides = overrides or {}
    counter = hf_counter(model.tokenizer, template)
    limit = model_input_limit(model.config, model.tokenizer)
    target = target_length(model, overrides)
    pending: dict[int, list[Chunk]] = {i: list(chunks) for i, chunks in enumerate(articles)}
    results: dict[int, str] = {i: "" for i, chunks in pending.items() if not chunks}
    pending = {i: chunks for i, chunks in pending.items() if chunks}
    # Articles whose chunks get equal shares of the length are done after one pass: the
    # generated shares add up to no more than the requested length.
    shares = {i: share_overrides(model, overrides, len(chunks)) for i, chunks in pending.items()}
    first_round = True
    while pending:
        jobs = [(i, chunk) for i, chunks in pending.items() for chunk in chunks]
        settings = [(shares[i] if first_round else None) or overrides for i, _ in jobs]
        outputs = _generate(model, jobs, settings, template)
        summaries: dict[int, list[str]] = {}
        for (i, _), output in zip(jobs, outputs, strict=True):
            summaries.setdefault(i, []).append(output)
        next_round: dict[int, list[Chunk]] = {}
        for i, parts in summaries.items():
            if len(parts) == 1:
                results[i] = parts[0]
                continue
            joined = " ".join(part for part in parts if part)
            if (first_round and shares[i]) or _length(model, joined) <= target:
                results[i] = joined
                continue
            chunks = chunk_sentences(joined, split_sentences(joined), counter, limit)
            if len(chunks) >= len(parts):
                # Summaries as long as the input limit allows cannot shrink further; keep them all.
                log.warning(
                    "summary kept at %d parts: raise the input limit or lower --max-length",
                    len(parts),
                )
                results[i] = joined
                continue
            next_round[i] = chunks
        pending = next_round
        first_round = False
    return [results[i] for i in range(len(articles))]


def _generate(
    model: Seq2Seq,
    jobs: list[tuple[int, Chunk]],
    settings: list[dict[str, Any]],
    template: str,
) -> list[str]:
    """Run one round's chunks through the model, one generate() call per length setting."""
    # Articles of the same chunk count share settings, so batches still span articles.
    distinct = list({_freeze(s): s for s in settings}.values())
    picks = [[k for k, s in enumerate(settings) if s == setting] for setting in distinct]
    groups = [
        ([template.format(text=jobs[k][1].text) for k in picked], setting)
        for picked, setting in zip(picks, distinct, strict=True)
    ]
    outputs: list[str] = [""] * len(jobs)
    for picked, results in zip(picks, model.generate_groups(groups), strict=True):
        for k, output in zip(picked, results, strict=True):
            outputs[k] = output
    return outputs


def _freeze(settings: dict[str, Any]) -> tuple:
    """Return a hashable form of a settings dictionary."""
    return tuple(sorted(settings.items()))


def _length(model: Seq2Seq, text: str) -> int:
    """Return the number of tokens in a text, special tokens left out."""
    return len(model.tokenizer(text, add_special_tokens=False).input_ids)
