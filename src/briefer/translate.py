"""The translate stage: sentences through a translator, with its target-language selection."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .chunking import chunk_sentences
from .engines.base import Engine
from .errors import ModelError
from .languages import SOURCE_PREFIX, Target
from .sentences import split_sentences


def target_for(model: Engine, lang: str) -> Target | None:
    """Return how the translator selects lang; None when it has one target and cannot say which.

    A translator whose vocabulary or name shows it cannot produce lang is a ModelError (exit 4)
    naming the languages it has.
    """
    targets = model.targets()
    if targets is None:
        return None
    if lang in targets:
        target = targets[lang]
        return target if target.token else None
    have = sorted(targets)
    listed = ", ".join(have[:40]) + (f", … ({len(have)} in all)" if len(have) > 40 else "")
    raise ModelError(
        f"translator {model.name!r} cannot translate into {lang!r}; it translates into: {listed}"
    )


def translate_texts(model: Engine, texts: Sequence[str], lang: str) -> list[str]:
    """Translate several texts at once, sentence by sentence, keeping their paragraphs."""
    target = target_for(model, lang)
    settings = model.settings.with_values("--lang", target=target) if target else model.settings
    # Each text becomes paragraphs, each paragraph sentences; all sentences go in one batch.
    layout: list[list[int]] = []
    sentences: list[str] = []
    fit = _fitter(model, target)
    for text in texts:
        paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()] if text else []
        counts = []
        for paragraph in paragraphs:
            pieces = [piece for s, e in split_sentences(paragraph) for piece in fit(paragraph[s:e])]
            sentences.extend(pieces)
            counts.append(len(pieces))
        layout.append(counts)
    outputs = model.generate([(sentences, settings)])[0] if sentences else []
    results: list[str] = []
    at = 0
    for counts in layout:
        paragraphs = []
        for count in counts:
            paragraphs.append(" ".join(" ".join(o.split()) for o in outputs[at : at + count] if o))
            at += count
        results.append("\n\n".join(paragraphs))
    return results


def _fitter(model: Engine, target: Target | None) -> Callable[[str], list[str]]:
    """Return a function that cuts a sentence into pieces the translator takes whole."""
    prefixed = target is not None and target.how == SOURCE_PREFIX
    counter = model.counter(f"{target.token} {{text}}" if prefixed and target else "{text}")
    limit = model.input_limit()

    def fit(sentence: str) -> list[str]:
        """Return the sentence, or its token-boundary pieces when it is over the input limit."""
        sentence = " ".join(sentence.split())
        if counter.count(sentence) <= limit:
            return [sentence]
        return [
            chunk.text for chunk in chunk_sentences(sentence, [(0, len(sentence))], counter, limit)
        ]

    return fit


def translate_text(model: Engine, text: str, lang: str) -> str:
    """Translate one text, sentence by sentence, keeping its paragraphs."""
    return translate_texts(model, [text], lang)[0]


def translate_markdown(model: Engine, markdown: str, lang: str) -> str:
    """Translate the prose of a Markdown document, keeping its structure and code untouched."""
    from .markdown import translate_markdown as translate_prose

    return translate_prose(markdown, lambda texts: translate_texts(model, texts, lang))
