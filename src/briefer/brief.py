"""The library entry point: a Briefer built once from options, called per article."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .checks import Finding, Support
from .chunking import Chunk, normalize
from .options import Options
from .sentences import Span, split_sentences
from .sources import Article, parse_article

log = logging.getLogger("briefer")

EXTRACTIVE = "extractive (TextRank)"


@dataclass(frozen=True)
class Digest:
    """An article's summary in English, before any translation."""

    article: Article
    summary: str
    chunks: tuple[Chunk, ...]
    summarizer: str
    language: str = "en"  # the article's own language, detected or given with --source-lang
    # What the output guard did instead of the model (kind "fallback"), if anything.
    notes: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Brief:
    """One article's brief, with what it was made from."""

    source: str
    title: str
    summary: str
    language: str
    chunks: tuple[Chunk, ...]
    models: dict[str, str]
    words: int = 0
    original_title: str = ""
    original_summary: str = ""
    dropped: tuple[str, ...] = ()
    author: str | None = None
    date: str | None = None
    # The exact text the chunks' offsets index, and the spans in it of the story's paragraphs.
    text: str = ""
    body: tuple[Span, ...] = ()
    source_language: str = "en"  # the article's language; `language` is the brief's
    # Fact-check findings and guard notes (see checks.py), and each brief sentence's sources.
    checks: tuple[Finding, ...] = ()
    support: tuple[Support, ...] = ()


def sentences_of(article: Article) -> list[Span]:
    """Return the sentence spans of an article's story, in order."""
    # A newline inside a body paragraph is a soft wrap, but pysbd ends a sentence at every
    # newline; a space in its place keeps every offset, so the spans index article.text.
    flat = article.text.replace("\n", " ")
    return [span for s, e in article.body for span in split_sentences(flat, s, e)]


def detection_text(article: Article) -> str:
    """Return what language detection reads of an article: its title and the story's start."""
    from .detect import MAX_CHARS

    parts = [article.title]
    size = len(article.title)
    for s, e in article.body:
        if size >= MAX_CHARS:
            break
        parts.append(article.text[s : min(e, s + MAX_CHARS - size)])
        size += len(parts[-1])
    return "\n".join(parts)


class Briefer:
    """Summarize (and translate) articles with models loaded once and reused across calls."""

    def __init__(self, options: Options | None = None):
        self.options = options or Options()
        self._summarizer: Any = None
        self._translators: dict[str, Any] = {}
        # Seconds spent per stage over this Briefer's life ("map", "reduce", "checks"), read
        # by the benchmark.
        self.timings: dict[str, float] = {}
        self._glossary: Any = None

    @property
    def summarizer(self) -> Any:
        """Return the summarization model, loading it on first use."""
        if self._summarizer is None:
            from .engines import registry

            o = self.options
            self._summarizer = registry.load(o.model, o.backend, o.device, o.batch_size)
        return self._summarizer

    def translator(self, lang: str | None = None) -> Any:
        """Return the translation model for a language (the run's by default), or None for en."""
        lang = lang or self.options.lang
        name = self.options.translator_model(lang)
        if name is None:
            return None
        if lang not in self._translators:
            from .engines import registry

            o = self.options
            # Sentences are short, so translation batches can be wider than summary batches.
            self._translators[lang] = registry.load(name, o.backend, o.device, max(o.batch_size, 8))
        return self._translators[lang]

    @property
    def glossary(self) -> Any:
        """Return the run's glossary (read once), or None when no glossary file is set."""
        if self._glossary is None and self.options.glossary:
            from .glossary import load

            self._glossary = load(self.options.glossary)
        return self._glossary

    def template(self) -> str:
        """Return the prompt template for the summarizer: --prompt, else the model's own."""
        from . import prompts

        if self.options.prompt:
            return prompts.load(self.options.prompt)
        return prompts.for_model(self.summarizer.task_prefix)

    def source_languages(self, articles: Sequence[Article]) -> list[str]:
        """Return each article's language: --source-lang when given, else detected."""
        if self.options.source_lang:
            return [self.options.source_lang] * len(articles)
        from .detect import detect, preload

        if articles and self.options.engine == "abstractive":
            # The detector's model takes ~0.8 s of CPU to decompress; loading the summarizer
            # (on torch, an import of ~3-4 s of CPU; a warm CTranslate2 model imports neither
            # torch nor transformers) overlaps it on a second core.
            preload()
            self.summarizer  # noqa: B018 - load it now, while the detector decompresses

        languages = []
        for article in articles:
            found = detect(detection_text(article))
            if not found.sure:
                log.warning(
                    "%s: too little text to tell its language; taken as English "
                    "(--source-lang sets it)",
                    article.source,
                )
            else:
                log.info("%s: language %s (%.2f)", article.source, found.lang, found.confidence)
            languages.append(found.lang)
        return languages

    def digest_many(
        self, articles: Sequence[Article], languages: Sequence[str] | None = None
    ) -> list[Digest]:
        """Summarize articles in English, batching model calls across them.

        languages are the articles' own languages, detected here when not given.
        """
        if languages is None:
            languages = self.source_languages(articles)
        if self.options.engine == "extractive":
            return [
                replace(self._extract(article), language=lang)
                for article, lang in zip(articles, languages, strict=True)
            ]
        from .summarize import plan_chunks, summarize_many, summary_settings

        model = self.summarizer
        # Lengths the model cannot produce fail here, before any generation.
        settings = summary_settings(model, self.options.generation_overrides())
        template = self.template()
        plans = []
        for article in articles:
            plans.append(plan_chunks(model, article.text, sentences_of(article), template))
            log.info("%s: %d words, %d chunks", article.source, article.words, len(plans[-1]))
        # The model's own lengths (T5's task lengths included) for the chunks of a long article.
        own = summary_settings(model, self.options.generation_overrides(lengths=False))
        summaries = summarize_many(
            model, plans, template, settings, self.options.strategy, own, self.timings
        )
        return [
            self._guarded(Digest(article, summary, tuple(chunks), model.name, lang))
            for article, summary, chunks, lang in zip(
                articles, summaries, plans, languages, strict=True
            )
        ]

    def _guarded(self, digest: Digest) -> Digest:
        """Return the digest, or the extractive one when the model's summary is unusable."""
        from .checks import degenerate

        article = digest.article
        if not self.options.guard:
            return digest
        started = time.perf_counter()
        reason = degenerate(digest.summary, article.body_text(), "summary")
        _add_time(self.timings, "checks", started)
        if reason is None:
            return digest
        log.warning(
            "%s: the model's summary %s; using the extractive brief", article.source, reason
        )
        fallback = self._extract(article)
        note = Finding(
            "fallback", f"the model's summary {reason}; extractive brief used instead", "brief"
        )
        return replace(
            digest,
            summary=fallback.summary,
            summarizer=f"{EXTRACTIVE}, in place of {digest.summarizer}",
            notes=(note,),
        )

    def _extract(self, article: Article) -> Digest:
        """Summarize one article by picking its central sentences; no model needed."""
        from .extractive import summarize_extractive

        spans = sentences_of(article)
        words = self.options.max_length or 120
        summary = summarize_extractive(article.text, spans, max_words=words, title=article.title)
        text = normalize(" ".join(article.text[s:e] for s, e in spans))
        whole = (
            Chunk(start=spans[0][0], end=spans[-1][1], sentences=tuple(spans), text=text, tokens=0)
            if spans
            else None
        )
        return Digest(article, summary, (whole,) if whole else (), EXTRACTIVE)

    def localize(self, digests: Sequence[Digest], lang: str | None = None) -> list[Brief]:
        """Turn English digests into briefs in a language, translating titles and summaries."""
        lang = lang or self.options.lang
        titles = [d.article.title for d in digests]
        summaries = [d.summary for d in digests]
        model = self.translator(lang)
        notes: list[tuple[Finding, ...]] = [()] * len(digests)
        if model is not None and digests:
            from .translate import translate_guarded

            started = time.perf_counter()
            both = translate_guarded(
                model, [*titles, *summaries], lang, self.glossary, guard=self.options.guard
            )
            _add_time(self.timings, "translate", started)
            titles = [t.text for t in both[: len(digests)]]
            summaries = [t.text for t in both[len(digests) :]]
            notes = [
                untranslated_notes(title, summary, lang)
                for title, summary in zip(both[: len(digests)], both[len(digests) :], strict=True)
            ]
        return [
            self.make_brief(
                d,
                lang,
                title,
                summary,
                model.name if model else None,
                n,
                self.glossary,
                self.timings,
            )
            for d, title, summary, n in zip(digests, titles, summaries, notes, strict=True)
        ]

    @staticmethod
    def make_brief(
        digest: Digest,
        lang: str,
        title: str,
        summary: str,
        translator: str | None,
        notes: Sequence[Finding] = (),
        glossary: Any = None,
        timings: dict[str, float] | None = None,
    ) -> Brief:
        """Return the brief of a digest in a language, checked against its source.

        notes are what the translation guard did (kind "untranslated"), kept with the brief;
        timings, when given, adds the seconds the checks took under "checks".
        """
        from .checks import check_brief, check_translation, support, unsupported

        models = {"summarizer": digest.summarizer}
        if translator:
            models["translator"] = translator
        a = digest.article
        started = time.perf_counter()
        supports = support(a.text, sentences_of(a), a.body, digest.summary)
        checks = [*digest.notes, *check_brief(a.text, digest.summary), *unsupported(supports)]
        checks += notes
        left = {n.where for n in notes}
        if translator and f"translation ({lang})" not in left:
            checks += check_translation(digest.summary, summary, lang)
            if glossary:
                from .glossary import missing

                checks += [
                    Finding("glossary", f"{term} is missing", f"translation ({lang})")
                    for term in missing(glossary, digest.summary, summary, lang)
                ]
        if translator and f"title ({lang})" not in left:
            checks += check_translation(a.title, title, lang, f"title ({lang})")
        if timings is not None:
            _add_time(timings, "checks", started)
        return Brief(
            source=a.source,
            title=title,
            summary=summary,
            language=lang,
            chunks=digest.chunks,
            models=models,
            words=a.words,
            original_title=a.title,
            original_summary=digest.summary,
            dropped=a.dropped,
            author=a.author,
            date=a.date,
            text=a.text,
            body=a.body,
            source_language=digest.language,
            # The same finding twice (a name or date repeated in the brief) is said once.
            checks=tuple(dict.fromkeys(checks)),
            support=tuple(supports),
        )

    def brief_many(
        self, articles: Sequence[Article | str], lang: str | None = None, source: str = "<text>"
    ) -> list[Brief]:
        """Return the briefs of several articles (Articles or raw texts) in one language."""
        parsed = [a if isinstance(a, Article) else parse_article(a, source) for a in articles]
        return self.localize(self.digest_many(parsed), lang)

    def brief(self, article: Article | str, source: str = "<text>") -> Brief:
        """Return the brief of one article (an Article, or raw text)."""
        return self.brief_many([article], source=source)[0]

    def translate(self, text: str, markdown: bool = True, lang: str | None = None) -> str:
        """Translate a text or Markdown document into a language (the run's by default)."""
        from .translate import translate_markdown, translate_text

        lang = lang or self.options.lang
        glossary = self.glossary  # read before the model loads: a bad glossary fails first
        model = self.translator(lang)
        if model is None:
            return text
        if markdown:
            return translate_markdown(model, text, lang, glossary)
        return translate_text(model, text, lang, glossary)


def untranslated_notes(title: Any, summary: Any, lang: str) -> tuple[Finding, ...]:
    """Return the guard's notes for a title and summary it kept in English (Translated pairs)."""
    notes = []
    for part, where in ((title, f"title ({lang})"), (summary, f"translation ({lang})")):
        if part.untranslated:
            notes.append(
                Finding(
                    "untranslated", f"the translation {part.untranslated}; left in English", where
                )
            )
    return tuple(notes)


def _add_time(timings: dict[str, float], stage: str, started: float) -> None:
    """Add the seconds since started (time.perf_counter) to a stage's total."""
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
