"""The library entry point: a Briefer built once from options, called per article."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .checks import Finding, Support
from .chunking import Chunk, normalize
from .errors import InputError, ModelError, UsageError
from .languages import ENGLISH, code_of
from .options import Options, check_language
from .sentences import Span, split_sentences
from .sources import Article, parse_text

if TYPE_CHECKING:
    from .engines.base import Engine

log = logging.getLogger("briefer")

EXTRACTIVE = "extractive (TextRank)"


@dataclass(frozen=True)
class Digest:
    """An article's summary, before any translation into the brief's language."""

    article: Article
    summary: str
    chunks: tuple[Chunk, ...]  # spans in the article's own text, whatever the route
    summarizer: str
    language: str = "en"  # the article's own language, detected or given with --source-lang
    # What the output guard did instead of the model (kind "fallback"), if anything.
    notes: tuple[Finding, ...] = ()
    summary_language: str = "en"  # the language of summary and headline
    title: str | None = None  # the title in summary_language; None when it is the article's
    pivot: str | None = None  # the xx→en translator the article went through, if any

    @property
    def headline(self) -> str:
        """Return the title in the summary's language."""
        return self.article.title if self.title is None else self.title

    def checked_text(self) -> str:
        """Return the text the summary is checked against: the article's story, or, for an
        article summarized in English through the pivot, the English the summarizer read."""
        if self.summary_language != self.language:
            return " ".join(c.text for c in self.chunks)
        return self.article.body_text()


@dataclass(frozen=True)
class Route:
    """How an article in some language becomes a summary: which models, in which language."""

    summarizer: str  # a model, or EXTRACTIVE
    pivot: str | None  # translate the article into English with this model first
    summary_language: str


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
    # The language the title is in, where it is not the summary's: a title the output guard
    # kept in English above an Arabic summary, or an Arabic title above a summary it kept.
    title_language: str = ""


def sentences_of(article: Article, lang: str = "en") -> list[Span]:
    """Return the sentence spans of an article's story, in order, split by lang's rules."""
    # A newline inside a body paragraph is a soft wrap, but pysbd ends a sentence at every
    # newline; a space in its place keeps every offset, so the spans index article.text.
    flat = article.text.replace("\n", " ")
    return [span for s, e in article.body for span in split_sentences(flat, s, e, lang=lang)]


def detection_text(article: Article) -> str:
    """Return what language detection reads of an article: its title and the story's start."""
    from .detect import MAX_CHARS

    parts = [] if article.title_from_name else [article.title]
    size = sum(map(len, parts))
    for s, e in article.body:
        if size >= MAX_CHARS:
            break
        parts.append(article.text[s : min(e, s + MAX_CHARS - size)])
        size += len(parts[-1])
    return "\n".join(parts)


class Briefer:
    """Summarize (and translate) articles with models loaded once and reused across calls."""

    def __init__(self, options: Options | None = None):
        if options is not None and not isinstance(options, Options):
            raise UsageError(
                f"Briefer takes an Options (briefer.Options(lang='fr', ...)), "
                f"not {type(options).__name__}"
            )
        self.options = options or Options()
        # Engines by model name, loaded on first use; tests may put their own in, here or,
        # for the English summarizer and a brief language's translator, in the two below.
        self._models: dict[str, Engine] = {}
        self._summarizer: Engine | None = None
        self._translators: dict[str, Engine] = {}
        # Seconds spent per stage over this Briefer's life ("map", "reduce", "checks"), read
        # by the benchmark.
        self.timings: dict[str, float] = {}
        self._glossary: Any = None
        # The English summarizer loads beside the language detector, on the odds that the copy
        # is English: loaded so and not yet judged (settle), and whether to keep guessing.
        self._speculative = False
        self._speculate = True

    def load(self, name: str, batch_size: int | None = None) -> Engine:
        """Return the engine running the model of that name, loading it on first use."""
        if name == self.options.summarizer_model("en") and self._summarizer is not None:
            return self._summarizer
        if name not in self._models:
            from .engines import registry

            o = self.options
            self._models[name] = registry.load(
                name, o.backend, o.device, batch_size or o.batch_size
            )
            summarizers = o.model.values() if isinstance(o.model, dict) else [o.model]
            targets = self._models[name].targets() if name in summarizers else None
            # mBART-cc25's 25 language codes are those of its summarizers too
            # (IlyaGusev/mbart_ru_sum_gazeta); mBART-50's translators hold 52.
            families = {t.family for t in (targets or {}).values()}
            if targets and not (families == {"mbart50"} and len(targets) <= 25):
                # An opus-mt folder given as -m had briefed "in English" with no word: its
                # "summary" is each chunk translated (the reverse mistake warns already).
                log.warning(
                    "summarizer %r is a translator (into %s): what it writes is a "
                    "translation of the article, not a summary",
                    name,
                    ", ".join(sorted(targets)[:5]) + (", …" if len(targets) > 5 else ""),
                )
        return self._models[name]

    @property
    def summarizer(self) -> Engine:
        """Return the summarizer of English articles, loading it on first use."""
        if self._summarizer is None:
            self._summarizer = self.load(self.options.summarizer_model("en") or "")
        return self._summarizer

    def translator(self, lang: str | None = None) -> Engine | None:
        """Return the translation model for a language (the run's by default), or None for en."""
        lang = lang or self.options.lang
        name = self.options.translator_model(lang)
        if name is None:
            return None
        if lang not in self._translators:
            self._translators[lang] = self.load(name, self.options.translation_batch_size)
        return self._translators[lang]

    def usage(self) -> dict[str, dict[str, int]]:
        """Return the model work done so far per model name (tokens in, decoder steps, beams).

        Only engines that count it (CTranslate2, torch) appear; an engine is shared by every
        Briefer of a process that loads the same model, so its counts are the process's.
        """
        engines = [*self._models.values(), *self._translators.values(), self._summarizer]
        found: dict[str, dict[str, int]] = {}
        for engine in engines:
            counted = getattr(engine, "usage", None)
            if engine is not None and counted is not None and counted.sequences:
                found.setdefault(engine.name, counted.as_dict())
        return found

    def pivot(self, lang: str) -> Engine | None:
        """Return the model that translates articles in lang into English, or None.

        A model that says it reads another language (opus-mt-fr-en's name or its
        tokenizer_config.json for --pivot ar=...), or that translates many languages into
        many (NLLB, M2M100, mBART-50, which briefer tells their input is English), is a
        ModelError: either had run, on the wrong language, with exit 0."""
        name = self.options.pivot_model(lang)
        if name is None:
            return None
        model = self.load(name, self.options.translation_batch_size)
        _check_pivot_source(model, name, lang)
        return model

    @property
    def glossary(self) -> Any:
        """Return the run's glossary (read once), or None when no glossary file is set."""
        if self._glossary is None and self.options.glossary:
            from .glossary import load

            self._glossary = load(self.options.glossary)
        return self._glossary

    def template(self, model: Engine | None = None) -> str:
        """Return the prompt template for a summarizer (the English one): --prompt, else its own."""
        from . import prompts

        if self.options.prompt:
            return prompts.load(self.options.prompt)
        return prompts.for_model((model or self.summarizer).task_prefix)

    def route(self, lang: str, targets: Sequence[str] | None = None) -> Route:
        """Return how an article in lang becomes a summary for briefs in the target languages.

        In this order: a summarizer for lang itself (the extractive engine is one for every
        language), else the pivot: a lang→en translator, then the English summarizer. Raises
        InputError, with the reason and the fix, when neither exists, or when a summary in
        lang could not be brought into one of targets.
        """
        o = self.options
        # route("FR") and route("fra") are route("fr"); a code briefer does not know (one the
        # detector gave) stays as it is, and has no route below.
        lang = code_of(lang) or lang
        extractive = o.engine == "extractive"
        if lang == "en":
            return Route(EXTRACTIVE if extractive else o.summarizer_model("en") or "", None, "en")
        own = EXTRACTIVE if extractive else o.summarizer_model(lang)
        pivot = o.pivot_model(lang)
        if own:
            others = [t for t in targets or () if t != lang]
            if others and pivot is None:
                raise InputError(
                    f"written in {lang}: its summary cannot be brought into "
                    f"{', '.join(others)} without {_a(lang)} {lang}→en translator "
                    f"(--pivot {lang}=MODEL, or [pivot] {lang} in the config file)"
                )
            return Route(own, None, lang)
        if pivot:
            return Route(o.summarizer_model("en") or "", pivot, "en")
        raise InputError(
            f"written in {lang}, and briefer has no summarizer for {lang} "
            f"(-m {lang}=MODEL) nor {_a(lang)} {lang}→en translator (--pivot {lang}=MODEL); "
            "--source-lang sets the language if detection got it wrong"
        )

    def source_languages(self, articles: Sequence[Article]) -> list[str]:
        """Return each article's language: --source-lang when given, else detected."""
        if self.options.source_lang:
            return [self.options.source_lang] * len(articles)
        from .cache import default_path
        from .detect import detect, preload

        # The detector's model, decompressed once, is kept beside the converted models.
        keep = default_path().parent / "langid"
        if articles and self.options.engine == "abstractive":
            # The detector's model takes ~0.2 s of CPU to read (0.65 s the first time, to
            # decompress); loading the summarizer (on torch, an import of ~3-4 s of CPU; a warm
            # CTranslate2 model imports neither torch nor transformers) overlaps it on a
            # second core.
            preload(keep)
            if self._summarizer is None and self._speculate:
                from .engines import registry

                # Let go again by settle() if no article needs it, unless it was loaded before.
                self._speculative = not registry.holds(self.options.summarizer_model("en") or "")
                self.summarizer  # noqa: B018 - load it now, while the detector loads

        languages = []
        for article in articles:
            found = detect(detection_text(article), keep)
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

    def settle(self, languages: Sequence[str]) -> None:
        """Judge the English summarizer's speculative load against a run's languages (all of
        them): when every article has a summarizer of its own language (-m fr=MODEL), it goes
        before theirs load (distilbart-cnn-12-6 in int8 holds ~300 MB), and later detections
        of this Briefer no longer load it on speculation."""
        speculative, self._speculative = self._speculative, False
        if speculative and not any(map(self._needs_english_summarizer, languages)):
            self._speculate = False
            self._release_summarizer()

    def _needs_english_summarizer(self, lang: str) -> bool:
        """Return whether an article in lang goes through the English summarizer."""
        try:
            return self.route(lang).summarizer == (self.options.summarizer_model("en") or "")
        except InputError:
            return True  # no route: the run says so; the model is kept as it was

    def _release_summarizer(self) -> None:
        """Let go of the English summarizer (loaded by this Briefer alone); it loads again if
        asked for."""
        from .engines import heap, registry

        engine, self._summarizer = self._summarizer, None
        name = self.options.summarizer_model("en") or ""
        if self._models.get(name) is engine:
            del self._models[name]
        if engine is not None:
            registry.release(engine)
        del engine
        heap.trim()  # its pages go back to the system before the next model loads

    def digest_many(
        self,
        articles: Sequence[Article],
        languages: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
    ) -> list[Digest]:
        """Summarize articles, each by its language's route, batching model calls across them.

        languages are the articles' own languages, detected here when not given; targets are
        the languages of the briefs to come, which each route must reach (unchecked if None).
        """
        if languages is None:
            languages = self.source_languages(articles)
            self.settle(languages)
        routes = [self.route(lang, targets) for lang in languages]
        digests: list[Digest | None] = [None] * len(articles)
        # Articles that share a summarizer go through it together, batched across articles.
        for name in dict.fromkeys(r.summarizer for r in routes):
            picked = [i for i, r in enumerate(routes) if r.summarizer == name]
            group = [(articles[i], languages[i], routes[i]) for i in picked]
            made = self._extract_many(group) if name == EXTRACTIVE else self._abstract(name, group)
            for i, digest in zip(picked, made, strict=True):
                digests[i] = digest
        return [d for d in digests if d is not None]

    def _abstract(self, name: str, group: Sequence[tuple[Article, str, Route]]) -> list[Digest]:
        """Summarize articles with one summarizer, those on the pivot route translated first."""
        from .summarize import plan_chunks, summarize_many, summary_settings

        model = self.load(name)
        # Lengths the model cannot produce fail here, before any generation.
        settings = summary_settings(model, self.options.generation_overrides())
        template = self.template(model)
        pivoted = self._pivot_plans(model, template, group)
        plans: list[list[Chunk]] = []
        for k, (article, lang, _) in enumerate(group):
            if k in pivoted:
                plans.append(pivoted[k][0])
            else:
                plans.append(
                    plan_chunks(model, article.text, sentences_of(article, lang), template)
                )
            count = len(plans[-1])
            log.info(
                "%s: %d word%s, %d chunk%s", article.source, article.words,
                "" if article.words == 1 else "s", count, "" if count == 1 else "s",
            )  # fmt: skip
        # The model's own lengths (T5's task lengths included) for the chunks of a long article.
        own = summary_settings(model, self.options.generation_overrides(lengths=False))
        summaries = summarize_many(
            model,
            plans,
            template,
            settings,
            self.options.strategy,
            own,
            self.timings,
            names=[article.source for article, _, _ in group],
        )
        return [
            self._guarded(
                Digest(
                    article,
                    summary,
                    tuple(chunks),
                    model.name,
                    lang,
                    notes=pivoted[k][2] if k in pivoted else (),
                    summary_language=route.summary_language,
                    title=pivoted[k][1] if k in pivoted else None,
                    pivot=route.pivot,
                )
            )
            for k, ((article, lang, route), summary, chunks) in enumerate(
                zip(group, summaries, plans, strict=True)
            )
        ]

    def _guarded(self, digest: Digest) -> Digest:
        """Return the digest, or the extractive one when the model's summary is unusable."""
        from .checks import degenerate

        article = digest.article
        if not self.options.guard:
            return digest
        started = time.perf_counter()
        reason = degenerate(digest.summary, digest.checked_text(), "summary")
        _add_time(self.timings, "checks", started)
        if reason is None:
            return digest
        log.warning(
            "%s: the model's summary %s; using the extractive brief", article.source, reason
        )
        # The extractive brief is in the article's own language, whatever the route was.
        fallback = self._extract(article, digest.language)
        note = Finding(
            "fallback", f"the model's summary {reason}; extractive brief used instead", "brief"
        )
        return replace(
            digest,
            summary=fallback.summary,
            summarizer=f"{EXTRACTIVE}, in place of {digest.summarizer}",
            notes=(note,),
            summary_language=fallback.summary_language,
            title=None,
            pivot=None,
        )

    def _pivot_plans(
        self, model: Engine, template: str, group: Sequence[tuple[Article, str, Route]]
    ) -> dict[int, tuple[list[Chunk], str | None, tuple[Finding, ...]]]:
        """Translate the pivot-route articles of a group into English and chunk them.

        The original text is split into sentences by its own language's rules, each sentence
        is translated (all of a pivot model's sentences in one batched call), and the English
        sentences are packed into chunks that fit the summarizer. Each chunk keeps the spans of
        the original sentences it holds, so coverage still refers to the original text.
        Returns, by position in group, the chunks, the English title (None where the output
        guard kept the article's own, as `translate` keeps a passage) and the guard's notes.
        The titles go through the output guard, as every title a reader sees does; the
        sentences, which only the summarizer reads, as they are.
        """
        from .translate import translate_guarded, translate_texts

        out: dict[int, tuple[list[Chunk], str | None, tuple[Finding, ...]]] = {}
        for pivot_name in dict.fromkeys(r.pivot for _, _, r in group if r.pivot):
            picked = [k for k, (_, _, r) in enumerate(group) if r.pivot == pivot_name]
            spans = {k: sentences_of(group[k][0], group[k][1]) for k in picked}
            texts = [normalize(group[k][0].text[s:e]) for k in picked for s, e in spans[k]]
            log.info("translating %d sentences into English with %s", len(texts), pivot_name)
            pivot = self.load(pivot_name, self.options.translation_batch_size)
            for lang in dict.fromkeys(group[k][1] for k in picked):
                _check_pivot_source(pivot, pivot_name, lang)
            titles = translate_guarded(
                pivot, [group[k][0].title for k in picked], "en", guard=self.options.guard
            )
            english = iter(translate_texts(pivot, texts, "en"))
            for k, title in zip(picked, titles, strict=True):
                article = group[k][0]
                sentences = [next(english) for _ in spans[k]]
                notes: tuple[Finding, ...] = ()
                if title.untranslated:
                    notes = (
                        Finding(
                            "untranslated",
                            f"the translation {title.untranslated}; left as it was",
                            "title (en)",
                        ),
                    )
                english_title = title.text if title.text and not title.untranslated else None
                chunks = _original_chunks(model, template, article, spans[k], sentences)
                out[k] = (chunks, english_title, notes)
        return out

    def _extract_many(self, group: Sequence[tuple[Article, str, Route]]) -> list[Digest]:
        """Summarize articles by picking their central sentences, in their own language."""
        return [self._extract(article, lang) for article, lang, _ in group]

    def _extract(self, article: Article, lang: str = "en") -> Digest:
        """Summarize one article by picking its central sentences; no model needed."""
        from .extractive import summarize_extractive

        spans = sentences_of(article, lang)
        words = self.options.max_length or 120
        summary = summarize_extractive(article.text, spans, max_words=words, title=article.title)
        text = normalize(" ".join(article.text[s:e] for s, e in spans))
        whole = (
            Chunk(start=spans[0][0], end=spans[-1][1], sentences=tuple(spans), text=text, tokens=0)
            if spans
            else None
        )
        return Digest(
            article, summary, (whole,) if whole else (), EXTRACTIVE, lang, summary_language=lang
        )

    def localize(self, digests: Sequence[Digest], lang: str | None = None) -> list[Brief]:
        """Turn digests into briefs in a language, translating titles and summaries.

        A summary already in the brief's language stays as it is. One in another language than
        English goes through its language's pivot translator into English first. An English
        one goes through the run's translator for lang; an article's own title is kept when
        the brief is in the article's language.
        """
        from .translate import translate_guarded

        lang = lang or self.options.lang
        titles = [d.headline for d in digests]
        summaries = [d.summary for d in digests]
        where = [d.summary_language for d in digests]
        used: list[dict[str, str]] = [{} for _ in digests]
        notes: list[tuple[Finding, ...]] = [()] * len(digests)
        started = time.perf_counter()
        for source in dict.fromkeys(w for w in where if w not in (lang, "en")):
            picked = [i for i, w in enumerate(where) if w == source]
            pivot = self.pivot(source)
            if pivot is None:  # route() lets no such digest through; a library caller might
                raise InputError(f"no {source}→en translator for a {source} summary")
            both = translate_guarded(
                pivot,
                [titles[i] for i in picked] + [summaries[i] for i in picked],
                "en",
                guard=self.options.guard,
            )
            for n, i in enumerate(picked):
                title, summary = both[n], both[len(picked) + n]
                titles[i], summaries[i] = title.text, summary.text
                notes[i] = untranslated_notes(title, summary, "en", kept=source)
                # A summary the pivot's guard kept in the article's language stays there: the
                # brief language's translator reads English (it had been sent on to it).
                where[i] = source if summary.untranslated else "en"
                used[i]["pivot"] = pivot.name
        picked = [i for i, w in enumerate(where) if w == "en" and w != lang]
        model = self.translator(lang) if picked else None  # loaded only when something needs it
        if model is not None:
            # The article's own title beats a round trip through English; and a title the
            # pivot's guard kept in the article's language is no English to translate (it went
            # to the en→xx translator as if it were).
            own = {
                i
                for i in picked
                if digests[i].language == lang
                or (digests[i].pivot and digests[i].title is None)
                or any(f.where == "title (en)" for f in notes[i])
            }
            texts = [titles[i] for i in picked if i not in own] + [summaries[i] for i in picked]
            out = iter(
                translate_guarded(model, texts, lang, self.glossary, guard=self.options.guard)
            )
            done: dict[int, Any] = {}
            for i in picked:
                done[i] = None if i in own else next(out)
                if done[i] is not None:
                    titles[i] = done[i].text
                else:
                    titles[i] = digests[i].article.title
            for i in picked:
                summary = next(out)
                summaries[i] = summary.text
                title = done[i] or _Kept(titles[i])
                notes[i] = (*notes[i], *untranslated_notes(title, summary, lang))
                used[i]["translator"] = model.name
        if any(used):
            _add_time(self.timings, "translate", started)
        return [
            self.make_brief(d, lang, title, summary, models, n, self.glossary, self.timings)
            for d, title, summary, models, n in zip(
                digests, titles, summaries, used, notes, strict=True
            )
        ]

    @staticmethod
    def make_brief(
        digest: Digest,
        lang: str,
        title: str,
        summary: str,
        translators: dict[str, str],
        notes: Sequence[Finding] = (),
        glossary: Any = None,
        timings: dict[str, float] | None = None,
    ) -> Brief:
        """Return the brief of a digest in a language, checked against its source.

        translators names the models that brought the summary into lang: "pivot" (into
        English), "translator" (from English). notes are what the translation guard did (kind
        "untranslated"), kept with the brief; timings, when given, adds the seconds the checks
        took under "checks".
        """
        from .checks import check_brief, check_translation, support, unsupported

        # In the order the models ran.
        models = {"pivot": digest.pivot} if digest.pivot else {}
        models["summarizer"] = digest.summarizer
        models.update(translators)
        translator = bool(translators)
        a = digest.article
        started = time.perf_counter()
        source, supports = a.text, []
        if digest.summary_language == digest.language:
            own = digest.language
            supports = support(a.text, sentences_of(a, own), a.body, digest.summary, lang=own)
        else:
            # An English summary of an article in another language shares no words with it;
            # its facts are checked against the English the summarizer read, and no sentence
            # support is claimed (the spans would point into a translation).
            source = digest.checked_text()
        facts = check_brief(source, digest.summary, lang=digest.summary_language)
        checks = [*digest.notes, *facts, *unsupported(supports)]
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
        # A summary the guard kept untranslated is labelled with the language it is in (no
        # right-to-left wrapper around English in an Arabic run), its note saying why: English,
        # or the article's own language where the pivot into English failed too.
        language = lang
        if "translation (en)" in left:
            language = digest.summary_language  # its pivot kept it: sent to no translator
        elif translator and f"translation ({lang})" in left:
            language = "en"
        # So is a title: left in English by the guard, or in the article's own language where
        # its pivot's guard kept it (that note comes with the digest).
        title_language = lang
        if translator and f"title ({lang})" in left:
            title_language = "en"
        if "title (en)" in {n.where for n in (*digest.notes, *notes)}:
            title_language = digest.language
        return Brief(
            source=a.source,
            title=title,
            summary=summary,
            language=language,
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
            title_language="" if title_language == language else title_language,
        )

    def brief_many(
        self, articles: Sequence[Article | str], lang: str | None = None, source: str = "<text>"
    ) -> list[Brief]:
        """Return the briefs of several articles (Articles or raw texts) in one language (the
        run's by default; a code or tag, as Options.lang takes)."""
        if isinstance(articles, (str, bytes, Article)):
            raise UsageError("brief_many takes a list of articles; brief() takes one")
        try:
            articles = list(articles)  # a generator is read once, here, not by the checks below
        except TypeError:
            raise UsageError(
                f"brief_many takes a list of articles, not {type(articles).__name__}"
            ) from None
        for a in articles:
            self._check_text(a, "brief", Article)
        parsed = [
            a if isinstance(a, Article) else _parsed(a, source, n, len(articles))
            for n, a in enumerate(articles, start=1)
        ]
        lang = check_language(lang) if lang else self.options.lang
        return self.localize(self.digest_many(parsed, targets=[lang]), lang)

    def brief(
        self, article: Article | str, source: str = "<text>", lang: str | None = None
    ) -> Brief:
        """Return the brief of one article (an Article, or raw text) in a language (the run's
        by default)."""
        return self.brief_many([article], lang=lang, source=source)[0]

    def _check_text(self, value: object, what: str, *kinds: type) -> None:
        """Raise a usage error for an input that is not text (or one of kinds), and an input
        error for a text over max_input_bytes, the bound files and stdin have: a service that
        hands a request body to the library is as exposed as the command line."""
        if not isinstance(value, (str, *kinds)):
            # None or bytes failed deep inside (AttributeError, TypeError).
            hint = ": decode it first (briefer.sources.decode)" if isinstance(value, bytes) else ""
            expected = "an Article or a str" if kinds else "a str"
            raise UsageError(f"{what} takes {expected}, not {type(value).__name__}{hint}")
        if not isinstance(value, str):
            return
        limit = self.options.max_input_bytes
        if len(value) > limit // 4 and len(value.encode("utf-8", "surrogatepass")) > limit:
            raise InputError(f"text larger than {limit:,} bytes (raise max_input_bytes to read it)")
        if kinds and "\n" not in value and 0 < len(value) < 4096 and os.path.isfile(value.strip()):
            # brief("wire/story.txt") summarizes the file's name. Said in the log, not raised:
            # a service's caller must not learn from an error which paths exist on the server.
            log.warning(
                "%r names a file: its name is briefed, not the file (read it with "
                "briefer.sources.read_path)",
                value.strip(),
            )

    def translate(
        self,
        text: str,
        markdown: bool = True,
        lang: str | None = None,
        kept: list[Any] | None = None,
    ) -> str:
        """Translate a text or Markdown document into a language (the run's by default).

        Under the output guard (Options.guard), a passage (Markdown block, or paragraph of
        plain text) whose translation is empty, loops, balloons or copies its input is
        translated again with repeats blocked, and kept as it was when that fails too; kept,
        when given, receives those passages as translate.Translated (text, reason).
        """
        from .translate import translate_markdown, translate_text

        self._check_text(text, "translate")
        # Checked before any model work: kept="x" failed after the translation, markdown="no"
        # read as true.
        if not isinstance(markdown, bool):
            raise UsageError(f"translate's markdown takes True or False, not {markdown!r}")
        if kept is not None and not isinstance(kept, list):
            raise UsageError(f"translate's kept takes a list, not {type(kept).__name__}")
        lang = check_language(lang) if lang else self.options.lang
        glossary = self.glossary  # read before the model loads: a bad glossary fails first
        model = self.translator(lang)
        if model is None:
            return text
        started = time.perf_counter()
        held: list[Any] | None = ([] if kept is None else kept) if self.options.guard else None
        if markdown:
            translated = translate_markdown(model, text, lang, glossary, held)
        else:
            translated = translate_text(model, text, lang, glossary, held)
        _add_time(self.timings, "translate", started)
        return translated


@dataclass(frozen=True)
class _Kept:
    """A title kept as it was (the article's own, in the brief's language): not translated."""

    text: str
    untranslated: str | None = None


def _a(code: str) -> str:
    """Return the article before a language code in a message: "an ar→en", "a fr→en"."""
    return "an" if code[:1] in "aeiou" else "a"


def _check_pivot_source(model: Engine, name: str, lang: str) -> None:
    """Raise a ModelError for a pivot that cannot read lang (see Briefer.pivot)."""
    targets = model.targets()
    problem = pivot_problem(name, lang, many=targets is not None and len(targets) > 1)
    if problem:
        raise ModelError(problem)


# Model types that translate between many languages, told their input is English by briefer.
_MANY_TO_MANY = frozenset({"m2m_100", "mbart", "nllb-moe"})


def pivot_problem(name: str, lang: str, many: bool | None = None) -> str | None:
    """Return why a model cannot be lang's pivot into English, from its name and files
    alone (no loading), or None: it says it reads another language (opus-mt-fr-en's name,
    the source_lang of its tokenizer_config.json), or it translates between many languages
    (many, when known from the loaded model; else its config.json's model_type)."""
    import json

    from . import hub
    from .languages import source_from_name

    def read(file: str) -> dict[str, Any]:
        try:
            data = json.loads((folder / file).read_text(encoding="utf-8")) if folder else {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    folder = hub.local_snapshot(name)
    # opus-mt repos record their pair in tokenizer_config.json ("source_lang": "fr").
    said = source_from_name(name) or code_of(
        str(read("tokenizer_config.json").get("source_lang") or "")
    )
    if said is not None and said != lang:
        return (
            f"{name} translates from {said}, not {lang}: give {_a(lang)} {lang}→en translator "
            f"(--pivot {lang}=MODEL)"
        )
    if many is None:
        many = read("config.json").get("model_type") in _MANY_TO_MANY
    if many:
        return (
            f"{name} translates between many languages, and briefer tells such a model its "
            f"input is English: give {_a(lang)} {lang}→en translator (--pivot {lang}=MODEL, "
            f"such as Helsinki-NLP/opus-mt-{lang}-en)"
        )
    return None


def untranslated_notes(
    title: Any, summary: Any, lang: str, kept: str = ENGLISH
) -> tuple[Finding, ...]:
    """Return the guard's notes for a title and summary it kept as they were (Translated
    pairs): in English, or for a pivot into English in the article's language, kept."""
    left = "left in English" if kept == ENGLISH else "left as it was"  # as a pivot's title says
    notes = []
    for part, where in ((title, f"title ({lang})"), (summary, f"translation ({lang})")):
        if part.untranslated:
            notes.append(
                Finding("untranslated", f"the translation {part.untranslated}; {left}", where)
            )
    return tuple(notes)


def _parsed(text: str, source: str, number: int, count: int) -> Article:
    """Return one text of a list parsed as an article; its error says which item it was
    ("<text>: holds no text" named none of a list of 40)."""
    try:
        return parse_text(text, source)
    except InputError as exc:
        if count == 1:
            raise
        raise InputError(f"item {number} of {count}: {exc}") from None


def _add_time(timings: dict[str, float], stage: str, started: float) -> None:
    """Add the seconds since started (time.perf_counter) to a stage's total."""
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


def _original_chunks(
    model: Engine, template: str, article: Article, spans: Sequence[Span], english: Sequence[str]
) -> list[Chunk]:
    """Chunk an article's English sentences for the summarizer, with the original spans.

    english[i] is the translation of the sentence at spans[i]. The chunks' text is English
    (what the summarizer reads); their start, end and sentences are spans of the original.
    """
    from bisect import bisect_right

    from .summarize import plan_chunks

    text = ""
    starts: list[int] = []
    translated: list[Span] = []
    for (s, e), sentence in zip(spans, english, strict=True):
        sentence = normalize(sentence)
        if not sentence:
            # The translator gave nothing back: the original keeps the sentence in coverage.
            log.warning("%s: a sentence came back untranslated", article.source)
            sentence = normalize(article.text[s:e])
        at = len(text) + (1 if text else 0)
        text = f"{text} {sentence}" if text else sentence
        starts.append(at)
        translated.append((at, at + len(sentence)))
    chunks = []
    for chunk in plan_chunks(model, text, translated, template):
        # A sentence cut into pieces shows up once per piece; its original span is listed once.
        held = list(dict.fromkeys(spans[bisect_right(starts, a) - 1] for a, _ in chunk.sentences))
        chunks.append(replace(chunk, start=held[0][0], end=held[-1][1], sentences=tuple(held)))
    return chunks
