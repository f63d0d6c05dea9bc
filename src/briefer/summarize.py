"""The summarize stage: chunks through generate(), then map-reduce until one brief remains."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .chunking import Chunk, chunk_sentences, hf_counter, model_input_limit
from .models import Seq2Seq
from .sentences import Span, split_sentences

log = logging.getLogger("briefer")


def plan_chunks(model: Seq2Seq, text: str, sentences: Sequence[Span], template: str) -> list[Chunk]:
    """Pack an article's sentences into chunks that fit the model's real input limit."""
    limit = model_input_limit(model.config, model.tokenizer)
    return chunk_sentences(text, sentences, hf_counter(model.tokenizer, template), limit)


def target_length(model: Seq2Seq, overrides: dict[str, Any]) -> int:
    """Return the longest summary, in tokens, that the generation settings allow."""
    config = model.settings(overrides)
    # transformers falls back to 20 tokens when a model sets neither length.
    return int(config.max_new_tokens or config.max_length or 20)


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
    while pending:
        jobs = [(i, chunk) for i, chunks in pending.items() for chunk in chunks]
        outputs = model.generate([template.format(text=chunk.text) for _, chunk in jobs], overrides)
        summaries: dict[int, list[str]] = {}
        for (i, _), output in zip(jobs, outputs, strict=True):
            summaries.setdefault(i, []).append(output)
        next_round: dict[int, list[Chunk]] = {}
        for i, parts in summaries.items():
            if len(parts) == 1:
                results[i] = parts[0]
                continue
            joined = " ".join(part for part in parts if part)
            if _length(model, joined) <= target:
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
    return [results[i] for i in range(len(articles))]


def _length(model: Seq2Seq, text: str) -> int:
    """Return the number of tokens in a text, special tokens left out."""
    return len(model.tokenizer(text, add_special_tokens=False).input_ids)
