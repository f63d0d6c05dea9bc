"""The translate stage: sentences through a translator, with its target-language selection."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .checks import degenerate
from .chunking import chunk_sentences
from .engines.base import Engine
from .errors import ModelError
from .glossary import Glossary, mask, protect
from .languages import RTL_LANGUAGES, SOURCE_PREFIX, Target
from .sentences import Span, has_letters, split_sentences
from .sources import LIST_MARKER, text_paragraphs

log = logging.getLogger("briefer")

# A sentence whose translation fails the guard is translated again, with the run's other
# failures, with repeated trigrams blocked, which breaks the loops models fall into.
RETRY_SETTINGS: dict[str, int] = {"no_repeat_ngram_size": 3}


@dataclass(frozen=True)
class Translated:
    """A translated text, or the text left as it was with the reason why."""

    text: str
    untranslated: str | None = None  # why the guard kept the original, or None


def target_for(model: Engine, lang: str) -> Target | None:
    """Return how the translator selects lang; None when it has one target and cannot say which.

    A translator whose vocabulary or name shows it cannot produce lang is a ModelError (exit 4)
    naming the languages it has.
    """
    targets = model.targets()
    if targets is None:
        _warn_if_unnamed(model.name, lang)
        return None
    if lang in targets:
        target = targets[lang]
        return target if target.token else None
    have = sorted(targets)
    listed = ", ".join(have[:40]) + (f", … ({len(have)} in all)" if len(have) > 40 else "")
    raise ModelError(
        f"translator {model.name!r} cannot translate into {lang!r}; it translates into: {listed}"
    )


_WARNED: set[tuple[str, str]] = set()


def _warn_if_unnamed(name: str, lang: str) -> None:
    """Warn, once a run, when neither a translator nor its name says it writes lang.

    A translator with one target language and no language tokens (a Marian model in a folder
    of its own) cannot be asked which language it writes: `--lang de -t models/en-fr` would
    run and label French output "de". Its folder or repository name usually says it
    (opus-mt-en-fr, models/fr); when it does not mention lang, the run says so.
    """
    last = name.rstrip("/\\").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if re.search(rf"(?<![a-z]){re.escape(lang)}(?![a-z])", last.lower()) or (name, lang) in _WARNED:
        return
    _WARNED.add((name, lang))
    log.warning(
        "translator %r does not say which language it writes, nor does its name mention %r; "
        "its output is labelled %r as asked",
        name, lang, lang,
    )  # fmt: skip


def translate_texts(
    model: Engine, texts: Sequence[str], lang: str, glossary: Glossary | None = None
) -> list[str]:
    """Translate several texts at once, sentence by sentence, keeping their paragraphs."""
    return [t.text for t in _translate(model, texts, lang, glossary, guard=False)]


def translate_guarded(
    model: Engine,
    texts: Sequence[str],
    lang: str,
    glossary: Glossary | None = None,
    *,
    guard: bool = True,
) -> list[Translated]:
    """Translate texts like translate_texts, with every sentence through the output guard.

    A sentence whose translation is empty, loops, balloons or copies its input is retried
    with repeats blocked (all such sentences in one more batch); when the retry fails too,
    the whole text is kept in its own language, with the reason, rather than printed half
    translated. guard=False (--no-guard) keeps every translation as the model wrote it.
    """
    return _translate(model, texts, lang, glossary, guard=guard)


def _translate(
    model: Engine,
    texts: Sequence[str],
    lang: str,
    glossary: Glossary | None,
    guard: bool,
) -> list[Translated]:
    """Translate texts sentence by sentence in one batch; see translate_guarded."""
    target = target_for(model, lang)
    settings = model.settings.with_values("--lang", target=target) if target else model.settings
    retry = settings.with_values("output guard", **RETRY_SETTINGS)
    # Each text becomes paragraphs, each paragraph sentences; all sentences go in one batch.
    layout: list[list[int]] = []
    # What goes before each paragraph's translation: what separated it from the one before
    # ("", "\n" or "\n\n") and its list marker, kept as it is, not given to the model.
    heads: list[str] = []
    sentences: list[str] = []
    fit = _fitter(model, target)
    for text in texts:
        counts = []
        for gap, paragraph in _paragraphs(text):
            marker = LIST_MARKER.match(paragraph)  # "- ", "2) "
            heads.append(gap + (marker.group() if marker else ""))
            body = paragraph[marker.end() :] if marker else paragraph
            spans = _marks_kept_behind(body, split_sentences(body))
            pieces = [piece for s, e in spans for piece in fit(body[s:e])]
            sentences.extend(pieces)
            counts.append(len(pieces))
        layout.append(counts)
    reasons: dict[str, str] = {}  # sentence given to the model → why it stayed untranslated

    def run(batch: list[str]) -> list[str | None]:
        """Translate a batch; under the guard, translate the failures again (with repeated
        trigrams blocked) and mark what still fails."""
        if not batch:
            return []
        outputs: list[str | None] = list(model.generate([(batch, settings)])[0])
        failed = [
            i
            for i, (given, output) in enumerate(zip(batch, outputs, strict=True))
            if guard and output is not None and degenerate(output, given, "translation")
        ]
        if not failed:
            return outputs
        # All the failures of a run go to the model again together: one call, not one per
        # sentence, so an archive with a few looping sentences in each brief pays one more
        # batch, not one more decoding per sentence.
        retried = model.generate([([batch[i] for i in failed], retry)])[0]
        for i, again in zip(failed, retried, strict=True):
            given = batch[i]
            reason = degenerate(again, given, "translation")
            if reason:
                log.info("translation of %r %s, even again: left untranslated", given[:60], reason)
                reasons[given] = reason
            outputs[i] = None if reason else again
        return outputs

    # A piece with no letter ("." that pysbd splits off after a link in Markdown's retry in
    # pieces, "* * *", "2024") is copied, not translated: a model's "" for it failed the guard,
    # which kept the whole text, the next sentence with it, in its own language.
    worded = [i for i, sentence in enumerate(sentences) if has_letters(sentence)]
    given = [sentences[i] for i in worded]
    outputs: list[str | None] = list(sentences)
    done = protect(given, glossary, lang, run) if glossary else run(given)
    for i, output in zip(worded, done, strict=True):
        outputs[i] = output
    results: list[Translated] = []
    at = 0
    head = iter(heads)
    for text, counts in zip(texts, layout, strict=True):
        paragraphs = []
        lost: list[str] = []
        for count in counts:
            done = outputs[at : at + count]
            lost += [
                given
                for given, o in zip(sentences[at : at + count], done, strict=True)
                if o is None
            ]
            words = " ".join(" ".join(o.split()) for o in done if o)
            paragraphs.append(next(head) + words)
            at += count
        if lost:
            results.append(Translated(text, _reason(lost[0], reasons, glossary)))
        else:
            results.append(Translated("".join(paragraphs)))
    return results


# Markdown's placeholders for a mark glued to the end of a sentence: a footnote mark
# ("closed.[^1]" as "closed.<1/>"), a Pandoc note, a <sup>2</sup> ("<1/>2<2/>").
_GLUED_MARK = re.compile(r"<\d{1,4}/>(?:[^\s<]*<\d{1,4}/>)*")


def _marks_kept_behind(body: str, spans: list[Span]) -> list[Span]:
    """Give a mark glued to a sentence's end back to that sentence: pysbd starts the next
    sentence with it ("The port closed." and "<1/> Ships waited."), and the note then went
    where the next sentence's translation put it, a space before it."""
    out: list[Span] = []
    for start, end in spans:
        mark = _GLUED_MARK.match(body, start) if out and out[-1][1] == start else None
        if mark:
            out[-1] = (out[-1][0], mark.end())
            start = mark.end()
            while start < end and body[start].isspace():
                start += 1
            if start >= end:
                continue
        out.append((start, end))
    return out


def _paragraphs(text: str) -> list[tuple[str, str]]:
    """Return a text's paragraphs as the article reader forms them, each with the separator
    before it (sources.text_paragraphs): wrapped lines joined, a headline, byline, dateline
    or list item each its own line, as in the text (they were joined at blank lines only:
    "Minister resigns By Jane Doe 02 June, 2015")."""
    return text_paragraphs(text) if text.strip() else []


def _reason(sentence: str, reasons: dict[str, str], glossary: Glossary | None) -> str:
    """Return why a sentence's translation failed the guard.

    reasons is keyed by what the model was given: with a glossary, the sentence with its terms
    masked, or the pieces between them (see glossary.protect).
    """
    if sentence in reasons:
        return reasons[sentence]
    if glossary:
        masked = mask(sentence, glossary)
        given = [masked.text, *(p.strip() for p in masked.pieces[0::2])]
        for text in given:
            if text in reasons:
                return reasons[text]
    return "failed the output check"


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


def translate_text(
    model: Engine,
    text: str,
    lang: str,
    glossary: Glossary | None = None,
    kept: list[Translated] | None = None,
) -> str:
    """Translate one text, sentence by sentence, keeping its paragraphs.

    With kept (a list), every paragraph goes through the output guard, as translate_guarded
    does: one whose translation still fails after a retry stays as it was, and is added to
    kept with the reason.
    """
    if kept is None:
        return _texts(model, [text], lang, glossary, kept)[0]
    # Under the guard each paragraph stands alone, so one that fails keeps only itself in its
    # own language; the paragraphs are joined as _translate joins them.
    paragraphs = _paragraphs(text)
    done = _texts(model, [p for _, p in paragraphs], lang, glossary, kept)
    return "".join(gap + t for (gap, _), t in zip(paragraphs, done, strict=True))


def translate_markdown(
    model: Engine,
    markdown: str,
    lang: str,
    glossary: Glossary | None = None,
    kept: list[Translated] | None = None,
) -> str:
    """Translate the prose of a Markdown document, keeping its structure and code untouched.

    kept: as for translate_text, each prose block (heading, paragraph, list item, cell) that
    the guard keeps in its own language.
    """
    from .markdown import translate_markdown as translate_prose
    from .markdown import without_tags

    held = None if kept is None else []
    # A passage kept in English inside an Arabic document reads left to right in a span of
    # its own: in the document's right-to-left block its closing punctuation showed at the
    # wrong end (summarize does the same for a title kept in English).
    ltr = '<span dir="ltr" lang="en">{}</span>' if lang in RTL_LANGUAGES else None
    translated = translate_prose(
        markdown, lambda texts: _texts(model, texts, lang, glossary, held), kept_as=ltr
    )
    if kept is not None and held:
        # The model read inline markup as numbered tags (<1>Paris</1>); the passage is given
        # back as its reader sees it.
        kept.extend(Translated(without_tags(t.text), t.untranslated) for t in held)
    return translated


def _texts(
    model: Engine,
    texts: Sequence[str],
    lang: str,
    glossary: Glossary | None,
    kept: list[Translated] | None,
) -> list[str]:
    """Translate texts, under the guard where kept is a list (see translate_text)."""
    if kept is None:
        # translate_texts without a glossary argument where there is none: the tests spy on it.
        if glossary is None:
            return translate_texts(model, texts, lang)
        return translate_texts(model, texts, lang, glossary)
    results = _translate(model, texts, lang, glossary, guard=True)
    held = [r for r in results if r.untranslated]
    if not held:
        return [r.text for r in results]
    kept.extend(held)
    from .markdown import Kept  # only then: its patterns take 20 ms to compile

    return [Kept(r.text) if r.untranslated else r.text for r in results]
