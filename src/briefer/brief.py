"""The library entry point: a Briefer built once from options, called per article."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from .chunking import Chunk
from .options import Options
from .sources import Article, parse_article

log = logging.getLogger("briefer")


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
    dropped: tuple[str, ...] = field(default=())


class Briefer:
    """Summarize (and translate) articles with models loaded once and reused across calls."""

    def __init__(self, options: Options | None = None):
        self.options = options or Options()
        self._summarizer = None
        self._translator = None

    @property
    def summarizer(self):  # noqa: ANN201 - models are typed by protocol, loaded lazily
        """Return the summarization model, loading it on first use."""
        if self._summarizer is None:
            from . import models

            o = self.options
            self._summarizer = models.load(o.model, o.device, o.batch_size)
        return self._summarizer

    @property
    def translator(self):  # noqa: ANN201
        """Return the translation model for the target language, loading it on first use."""
        name = self.options.translator_model
        if name is None:
            return None
        if self._translator is None:
            from . import models

            self._translator = models.load(name, self.options.device, max(self.options.batch_size, 8))
        return self._translator

    def template(self) -> str:
        """Return the prompt template for the summarizer: --prompt, else the model's own."""
        from . import prompts

        if self.options.prompt:
            return prompts.load(self.options.prompt)
        return prompts.for_model(self.summarizer.config)

    def brief(self, article: Article | str, source: str = "<text>") -> Brief:
        """Return the brief of one article (an Article, or raw text)."""
        return self.brief_many([article], source=source)[0]

    def brief_many(self, articles: Sequence[Article | str], source: str = "<text>") -> list[Brief]:
        """Return the briefs of several articles, batching model calls across them."""
        from .sentences import split_sentences
        from .summarize import plan_chunks, summarize_many

        parsed = [a if isinstance(a, Article) else parse_article(a, source) for a in articles]
        model = self.summarizer
        template = self.template()
        plans = []
        for article in parsed:
            sentences = [span for s, e in article.body for span in split_sentences(article.text, s, e)]
            plans.append(plan_chunks(model, article.text, sentences, template))
            log.info("%s: %d words, %d chunks", article.source, article.words, len(plans[-1]))
        summaries = summarize_many(model, plans, template, self.options.generation_overrides())
        titles = [a.title for a in parsed]
        translated_titles, translated = titles, summaries
        models = {"summarizer": model.name}
        if self.translator is not None:
            from .translate import translate_texts

            lang = self.options.lang
            both = translate_texts(self.translator, [*titles, *summaries], lang)
            translated_titles, translated = both[: len(titles)], both[len(titles) :]
            models["translator"] = self.translator.name
        return [
            Brief(
                source=article.source,
                title=title,
                summary=summary,
                language=self.options.lang,
                chunks=tuple(chunks),
                models=dict(models),
                words=article.words,
                original_title=article.title,
                original_summary=original,
                dropped=article.dropped,
            )
            for article, title, summary, chunks, original in zip(
                parsed, translated_titles, translated, plans, summaries, strict=True
            )
        ]

    def translate(self, text: str, markdown: bool = True) -> str:
        """Translate a text or Markdown document into the target language."""
        from .translate import translate_markdown, translate_text

        if self.translator is None:
            return text
        if markdown:
            return translate_markdown(self.translator, text, self.options.lang)
        return translate_text(self.translator, text, self.options.lang)
