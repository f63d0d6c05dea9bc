"""The translate stage: sentences through a MarianMT model, with its target-language token."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from .errors import ModelError
from .models import Seq2Seq
from .sentences import split_sentences

LANG_TOKEN = re.compile(r"^>>[A-Za-z_]{2,12}<<$")
# ISO 639-3 first, as the opus-mt-tc models use it; older multi-target models use two letters.
TARGET_CODES: dict[str, tuple[str, ...]] = {"fr": ("fra", "fr"), "ar": ("ara", "arb", "ar")}


@lru_cache(maxsize=8)
def language_tokens(tokenizer: Any) -> frozenset[str]:
    """Return the >>xxx<< target-language tokens in a tokenizer's vocabulary (once per tokenizer)."""
    # Marian vocabularies hold ~60k entries; a run asks for each translator's tokens per batch.
    return frozenset(token for token in tokenizer.get_vocab() if LANG_TOKEN.match(token))


def language_token(model: Seq2Seq, lang: str) -> str | None:
    """Return the token that selects lang on a multi-target model, or None when it has none."""
    tokens = language_tokens(model.tokenizer)
    if not tokens:
        return None
    for code in TARGET_CODES.get(lang, (lang,)):
        if f">>{code}<<" in tokens:
            return f">>{code}<<"
    listed = sorted(tokens)
    sample = ", ".join(listed[:8]) + ("…" if len(listed) > 8 else "")
    raise ModelError(
        f"translator {model.name!r} needs a target-language token but has none for {lang!r} "
        f"(it has {sample}); choose a model that translates into {lang!r}"
    )


def translate_texts(model: Seq2Seq, texts: Sequence[str], lang: str) -> list[str]:
    """Translate several texts at once, sentence by sentence, keeping their paragraphs."""
    prefix = language_token(model, lang)
    # Each text becomes paragraphs, each paragraph sentences; all sentences go in one batch.
    layout: list[list[int]] = []
    sentences: list[str] = []
    fit = _fitter(model, prefix)
    for text in texts:
        paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()] if text else []
        counts = []
        for paragraph in paragraphs:
            pieces = [piece for s, e in split_sentences(paragraph) for piece in fit(paragraph[s:e])]
            sentences.extend(pieces)
            counts.append(len(pieces))
        layout.append(counts)
    inputs = [f"{prefix} {s}" if prefix else s for s in sentences]
    outputs = model.generate(inputs) if inputs else []
    results: list[str] = []
    at = 0
    for counts in layout:
        paragraphs = []
        for count in counts:
            paragraphs.append(" ".join(o for o in outputs[at : at + count] if o))
            at += count
        results.append("\n\n".join(paragraphs))
    return results


def _fitter(model: Seq2Seq, prefix: str | None) -> Callable[[str], list[str]]:
    """Return a function that cuts a sentence into pieces the translator takes whole."""
    from .chunking import chunk_sentences, hf_counter, model_input_limit

    counter = hf_counter(model.tokenizer, f"{prefix} {{text}}" if prefix else "{text}")
    limit = model_input_limit(model.config, model.tokenizer)

    def fit(sentence: str) -> list[str]:
        """Return the sentence, or its token-boundary pieces when it is over the input limit."""
        sentence = " ".join(sentence.split())
        if counter.count(sentence) <= limit:
            return [sentence]
        return [
            chunk.text for chunk in chunk_sentences(sentence, [(0, len(sentence))], counter, limit)
        ]

    return fit


def translate_text(model: Seq2Seq, text: str, lang: str) -> str:
    """Translate one text, sentence by sentence, keeping its paragraphs."""
    return translate_texts(model, [text], lang)[0]


def translate_markdown(model: Seq2Seq, markdown: str, lang: str) -> str:
    """Translate the prose of a Markdown document, keeping its structure and code untouched."""
    from .markdown import translate_markdown as translate_prose

    return translate_prose(markdown, lambda texts: translate_texts(model, texts, lang))
