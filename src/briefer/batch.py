"""A whole brief over many sources: read each, drop duplicates, reuse cached results, and keep
going past a bad source (or stop at the first, with fail_fast)."""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import files
from .brief import Brief, Briefer, Digest, pivot_problem
from .cache import ResultCache, make_key
from .checks import FACT_KINDS, Finding
from .chunking import Chunk
from .detect import release as release_detector
from .errors import InputError, ModelError, UsageError
from .files import MAX_INPUT_BYTES
from .options import check_language
from .render import Failure
from .sources import Article, Source, download, is_url, read_source

log = logging.getLogger("briefer")

# Bump when what a cached digest or translation means changes.
# 2: sentences are split within reflowed paragraphs, not lines, so chunks differ.
# 3: digests and translations keep the output guard's notes.
# 4: digests and translations record their languages and the models that made them.
# 5: sentences are split by pysbd's rules for every language it has (Hindi, Amharic, Armenian
#    and others were split by English rules), so their chunks differ.
# 6: Arabic and Persian sentences end at no colon, and run on past no word ending in "ا.";
#    digests are keyed by the story's paragraphs too (the reader's rules choose them from the
#    text: a digest of AP copy kept the editors' note the reader came to leave out).
CACHE_FORMAT = 6
# Articles summarized together: enough to keep every core busy with batches that span
# articles, few enough that a killed run loses little, as results are cached after each round.
ROUND = 8


@dataclass
class Outcome:
    """What a run produced: briefs per language in source order, and what it left out."""

    briefs: dict[str, list[Brief]] = field(default_factory=dict)
    failed: list[Failure] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (source, the one it repeats)
    articles: int = 0
    cached: int = 0
    # Sources left out because a model only they need (a pivot, a summarizer of their own
    # language) cannot load: a run with nothing else to brief fails as a model error.
    model_failed: int = 0


Progress = Callable[[int, int, str], None]  # (articles done, articles in all, the last one's name)
OnBrief = Callable[[str, Brief], None]


def _translators_load(work: _Work, langs: Sequence[str], languages: Sequence[str]) -> None:
    """Find, before any summarizing, each translator the run needs that cannot load here:
    judged by the hub's cache without loading, and loaded (as the run would next) only when
    the cache cannot place it. A translator missing offline had been found after every map
    and reduce pass, 6 to 29 s into a run the README says ends in seconds.

    Needed: a brief language that some article's summary is not written in (languages: the
    articles'). When every article needs the missing one, its ModelError is the run's; when
    some are written in that language (a French brief of a folder of French and English copy,
    extractive), only the others are left out (check_models), as a missing pivot leaves out
    only its articles. A language with no translator at all is left to each article
    (_check_translators)."""
    from . import hub
    from .errors import BrieferError

    briefer = work.briefer
    written = set()
    for lang in set(languages):
        try:
            written.add(briefer.route(lang).summary_language)
        except BrieferError:
            continue  # that article's own error, said when it is briefed
    for lang in langs:
        if not written - {lang}:
            continue
        try:
            name = briefer.options.translator_model(lang)
        except UsageError:
            continue
        if name is not None and hub.unavailable(name):
            try:
                briefer.translator(lang)
            except ModelError as exc:
                if lang not in written:
                    raise
                work.missing_translators[lang] = str(exc)


def _checked(
    sources: Sequence[Source | str | os.PathLike[str]], langs: Sequence[str], strict_facts: bool
) -> tuple[list[Source], list[str]]:
    """Return run()'s sources as Sources and its languages as codes, or raise a usage error.

    A library caller's plain file names failed with an AttributeError, langs="en" ran in
    languages "e" and "n", "FR" was not found among a translator's codes, and
    strict_facts="no" was true.
    """
    if isinstance(langs, str) or not all(isinstance(lang, str) for lang in langs):
        raise UsageError(f"langs takes a list of language codes (['fr', 'ar']), not {langs!r}")
    if not isinstance(strict_facts, bool):
        raise UsageError(f"strict_facts takes true or false, not {strict_facts!r}")
    if isinstance(sources, (str, bytes, os.PathLike)):
        raise UsageError("sources takes a list of sources (sources.expand gives one)")
    out = []
    for source in sources:
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        if isinstance(source, str):
            source = Source(source)
        if not isinstance(source, Source):
            raise UsageError(f"sources takes Sources or file names, not {source!r}")
        out.append(source)
    return out, list(dict.fromkeys(check_language(lang) for lang in langs))


def run(
    sources: Sequence[Source | str | os.PathLike[str]],
    briefer: Briefer,
    langs: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    cache: ResultCache | None = None,
    fail_fast: bool = False,
    progress: Progress | None = None,
    on_brief: OnBrief | None = None,
    strict_facts: bool = False,
) -> Outcome:
    """Brief every source in every language; failures are collected unless fail_fast.

    With strict_facts, an article whose brief (in any language) has a fact-check finding is
    left out and listed with the failures, its findings as the reason.

    sources may be Sources (sources.expand) or file names, URLs and "-" as the command line
    takes them; langs are codes or tags, as Options.lang takes them.
    """
    sources, langs = _checked(sources, langs, strict_facts)
    outcome = Outcome(briefs={lang: [] for lang in langs})
    articles = _read_all(
        sources,
        stdin,
        fail_fast,
        outcome,
        allow_private_urls=briefer.options.allow_private_urls,
        max_bytes=briefer.options.max_input_bytes,
    )
    outcome.articles = len(articles)
    work = _Work(briefer, cache or ResultCache(enabled=False))
    if progress:
        progress(0, len(articles), "")
    # Every article's language first (a few milliseconds each), then the detector's model
    # (77 MB) is let go: held through the summaries, it added to the run's peak memory.
    languages = work.languages(articles)
    release_detector()
    # The English summarizer, loaded beside the detector, goes if no article of the run needs it.
    briefer.settle(languages)
    _translators_load(work, langs, languages)
    done = 0
    for at in range(0, len(articles), ROUND):
        group = articles[at : at + ROUND]
        routed = _routed(group, languages[at : at + ROUND], work, langs, fail_fast, outcome)
        digests = work.digests(*routed)
        made = {lang: work.localize(digests, lang) for lang in langs}
        for k, digest in enumerate(digests):
            facts = [c for lang in langs for c in made[lang][k].checks if c.kind in FACT_KINDS]
            if strict_facts and facts:
                reason = "fact check: " + "; ".join(
                    dict.fromkeys(f"{c.text} ({c.where})" for c in facts)
                )
                outcome.failed.append(Failure(digest.article.source, reason))
                log.error("left out %s: %s", digest.article.source, reason)
                continue
            for lang in langs:
                outcome.briefs[lang].append(made[lang][k])
                if on_brief:
                    on_brief(lang, made[lang][k])
        done += len(group)
        if progress:
            progress(done, len(articles), group[-1].source)
    outcome.cached = work.hits
    if work.hits:
        log.info("%d result(s) from the cache (--no-cache makes them again)", work.hits)
    return outcome


def _routed(
    group: Sequence[Article],
    group_languages: Sequence[str],
    work: _Work,
    langs: Sequence[str],
    fail_fast: bool,
    outcome: Outcome,
) -> tuple[list[Article], list[str]]:
    """Return the articles that have a route to every brief language, and their languages.

    An article in a language briefer has no route for is left out, with the reason, never
    summarized as if it were English.
    """
    kept: list[Article] = []
    languages: list[str] = []
    for article, lang in zip(group, group_languages, strict=True):
        try:
            route = work.briefer.route(lang, langs)
            _check_translators(work.briefer.options, route.summary_language, langs)
            work.check_models(lang, langs)
        except (InputError, ModelError) as exc:
            if fail_fast:
                raise type(exc)(f"{_label(article.source)}: {exc}") from None
            outcome.failed.append(Failure(article.source, str(exc)))
            outcome.articles -= 1
            outcome.model_failed += isinstance(exc, ModelError)
            log.error("skipped %s: %s", _label(article.source), exc)
            continue
        kept.append(article)
        languages.append(lang)
    return kept, languages


def _check_translators(options: Any, summary_language: str, langs: Sequence[str]) -> None:
    """Raise InputError when a summary in summary_language cannot be brought into one of the
    brief's languages for want of a translator (a Spanish brief of English copy, with no
    -t es=MODEL and no default for es); a Spanish brief of Spanish copy summarized in Spanish
    needs none, and goes on."""
    for target in langs:
        if target != summary_language:
            try:
                options.translator_model(target)
            except UsageError as exc:
                raise InputError(str(exc)) from None


def _label(source: str) -> str:
    """Return how messages name a source."""
    return "stdin" if source == "-" else source


def _read_all(
    sources: Sequence[Source],
    stdin: BinaryIO | None,
    fail_fast: bool,
    outcome: Outcome,
    *,
    allow_private_urls: bool = False,
    max_bytes: int = MAX_INPUT_BYTES,
) -> list[Article]:
    """Read every source, noting failures and dropping articles seen before (by content).

    URLs are downloaded side by side (FETCHERS at a time, AHEAD at most waiting to be read)
    while the sources are read in order, and a URL listed twice is downloaded once: a
    morning brief's links, each up to its timeout away, had been fetched one after another,
    a repeated one twice."""
    articles: list[Article] = []
    seen: dict[str, str] = {}
    urls = [s.name for s in sources if not s.error and is_url(s.name)]
    repeated = {url for url, count in Counter(urls).items() if count > 1}
    downloads = _Downloads(urls, allow_private_urls, max_bytes)
    kept: dict[str, Article | Exception] = {}  # a repeated URL's reading, for its repeats
    try:
        for source in sources:
            try:
                if source.error:
                    raise InputError(source.error)
                if source.name in kept:
                    got = kept[source.name]
                    if isinstance(got, Exception):
                        raise got
                    article = got
                else:
                    try:
                        article = read_source(
                            source.name,
                            stdin,
                            allow_private_urls=allow_private_urls,
                            max_bytes=max_bytes,
                            downloaded=downloads.take(source.name),
                        )
                    except Exception as exc:
                        if source.name in repeated:
                            kept[source.name] = exc
                        raise
                    if source.name in repeated:
                        kept[source.name] = article
            except Exception as exc:  # noqa: BLE001 - one bad source must not sink the brief
                if fail_fast:
                    raise
                label = "stdin" if source.name == "-" else source.name
                reason = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
                reason = reason.removeprefix(f"{label}: ")
                outcome.failed.append(Failure(source.name, reason))
                log.error("skipped %s: %s", label, reason)
                continue
            fingerprint = content_fingerprint(article)
            if fingerprint in seen:
                outcome.duplicates.append((source.name, seen[fingerprint]))
                # Named on stderr: -f jsonl and text have no other place that says which it was.
                log.warning("%s repeats %s: briefed once", source.name, seen[fingerprint])
                continue
            seen[fingerprint] = source.name
            articles.append(article)
    finally:
        # Stopped early (fail_fast, Ctrl-C): downloads not yet begun never begin.
        downloads.stop()
    return articles


# Downloads at once: a morning brief's links come from a handful of sites, and each site gets
# at most this many requests at a time from briefer.
FETCHERS = 4
# Downloads done and not yet read, at most: each may hold a page of up to 12.5 MB (2.5 times
# --max-input-bytes), and all of a long list's had been kept until the last was read.
AHEAD = 8
# How often a fetcher waiting for a slot looks whether the run has stopped (seconds).
STOP_CHECK = 0.5


class _Downloads:
    """Each distinct URL downloaded on FETCHERS daemon threads, in the order given, at most
    AHEAD ahead of the reader.

    Daemons: a run stopped by Ctrl-C or a failure does not wait out the fetches in flight
    (each may take its whole timeout). Only the network part runs on them; extraction stays
    on the reader's thread."""

    def __init__(self, urls: Sequence[str], allow_private_urls: bool, max_bytes: int):
        self._futures: dict[str, Future[Any]] = {url: Future() for url in dict.fromkeys(urls)}
        self._room = threading.Semaphore(AHEAD)
        self._stopped = threading.Event()
        self._options = {"allow_private_urls": allow_private_urls, "max_bytes": max_bytes}
        self._todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for url in self._futures:
            self._todo.put(url)
        for n in range(min(FETCHERS, len(self._futures))):
            threading.Thread(target=self._work, name=f"briefer-fetch-{n}", daemon=True).start()

    def _work(self) -> None:
        # A slot first, then the next URL: taken the other way round, later URLs could hold
        # every slot while the one the reader waits for sat in a worker's hand (a list of 30
        # links hung). In queue order, the URL the reader needs is always next or running.
        while True:
            while not self._room.acquire(timeout=STOP_CHECK):
                if self._stopped.is_set():
                    return
            try:
                url = self._todo.get_nowait()
            except queue.Empty:
                self._room.release()
                return
            future = self._futures[url]
            if self._stopped.is_set() or not future.set_running_or_notify_cancel():
                self._room.release()
                continue
            try:
                future.set_result(download(url, **self._options))
            except BaseException as exc:  # noqa: BLE001 - handed to the reader, which reports it
                future.set_exception(exc)

    def take(self, url: str) -> Any:
        """Return a URL's download (raising its error), once; None for a name not downloaded."""
        future = self._futures.get(url)
        if future is None:
            return None
        try:
            return future.result()
        finally:
            # Let the page go, and let one more download begin: only now, as a worker that
            # has not reached this URL yet must still find it.
            del self._futures[url]
            self._room.release()

    def stop(self) -> None:
        """Let no download begin that has not begun."""
        self._stopped.set()
        for future in self._futures.values():
            future.cancel()


def content_fingerprint(article: Article) -> str:
    """Return a hash of an article's story, blind to case, spacing and its front matter."""
    story = " ".join(article.body_text().split()).casefold()
    return hashlib.sha256(story.encode("utf-8")).hexdigest()


class _Work:
    """The model work of a run, each result looked up in the cache first and stored after."""

    def __init__(self, briefer: Briefer, cache: ResultCache):
        self.briefer = briefer
        self.cache = cache
        self.hits = 0
        self._revisions: dict[str, str | None] = {}
        self._unavailable: dict[str, str | None] = {}
        # Brief languages whose translator cannot load, with why (_translators_load).
        self.missing_translators: dict[str, str] = {}
        # Why a pivot cannot read a language (brief.pivot_problem), by (pivot, language).
        self._pivot_problems: dict[tuple[str, str], str | None] = {}
        prompt = briefer.options.prompt
        if prompt:
            from . import prompts

            # A bad --prompt (missing, not a file, no {text} slot) fails here, before any
            # model work, as a bad glossary does below.
            prompts.load(prompt)
        # A prompt file's text, not its name, shapes the summaries; read it once per run.
        if prompt and Path(prompt).is_file():
            prompt = files.read_text(Path(prompt), "prompt")
        self.prompt = prompt
        # The glossary's terms, not its file name, shape the translations; a bad glossary
        # fails here, before any model work.
        terms = briefer.glossary.terms if briefer.glossary else None
        self.glossary_text = hashlib.sha256(repr(terms).encode()).hexdigest() if terms else None

    def revision(self, name: str) -> str | None:
        """Return a model's revision (once per run); None means results cannot be cached."""
        if name not in self._revisions:
            from .hub import revision

            self._revisions[name] = revision(name)
        return self._revisions[name]

    def digest_key(self, article: Article, lang: str = "en") -> str | None:
        """Return the cache key of an article's digest, or None when it cannot be cached."""
        o = self.briefer.options
        route = self.briefer.route(lang)
        parts: dict[str, Any] = {
            "kind": "digest",
            "format": CACHE_FORMAT,
            "text": article.text,
            "body": [list(span) for span in article.body],
            "engine": o.engine,
            # Sentences are split by the language's rules, and the route follows from it.
            "source_language": lang,
        }
        if o.engine == "extractive":
            return make_key(**parts, max_words=o.max_length)
        names = [route.summarizer] + ([route.pivot] if route.pivot else [])
        revisions = [self.revision(name) for name in names]
        if None in revisions:
            return None
        # Every setting the options schema marks as shaping a summary (the per-language ones as
        # this article's route chose them), then what the names stand for.
        chosen = o.cache_parts(model=route.summarizer, pivot=route.pivot)
        return make_key(**{**parts, **chosen, "revision": revisions, "prompt": self.prompt})

    def languages(self, articles: Sequence[Article]) -> list[str]:
        """Return the articles' own languages, detecting only those the cache lacks."""
        o = self.briefer.options
        if o.source_lang:
            return [o.source_lang] * len(articles)
        from .detect import detector

        keys = [
            make_key(kind="language", format=CACHE_FORMAT, text=a.text, detector=detector())
            for a in articles
        ]
        found = [self.cache.get(k) for k in keys]
        missing = [a for a, f in zip(articles, found, strict=True) if f is None]
        fresh = iter(self.briefer.source_languages(missing) if missing else [])
        languages = []
        for key, value in zip(keys, found, strict=True):
            if value is None:
                lang = next(fresh)
                self.cache.put(key, {"language": lang})
            else:
                lang = value["language"]
            languages.append(lang)
        return languages

    def check_models(self, lang: str, langs: Sequence[str] = ()) -> None:
        """Raise a ModelError when a model only articles in lang need (their pivot into
        English, a summarizer of their own) cannot load here, so those articles are left out
        and the rest of the brief goes on. Judged once a run: by the hub's cache, without
        loading; a model it cannot place (not cached under its main revision) is loaded, as
        the articles would load it next. langs: the brief's languages; a summary made in lang
        (the extractive engine's) needs the pivot too, to reach any other of them."""
        from . import hub
        from .brief import EXTRACTIVE

        options = self.briefer.options
        route = self.briefer.route(lang)
        needs = []
        pivot = route.pivot
        own_summary = route.summary_language == lang != "en"
        if pivot is None and own_summary and any(t != lang for t in langs):
            pivot = options.pivot_model(lang)
        if pivot:
            needs.append((f"its {lang}→en translator", pivot, lambda: self.briefer.pivot(lang)))
        if route.summarizer not in (EXTRACTIVE, options.summarizer_model("en")):
            name = route.summarizer
            needs.append((f"its {lang} summarizer", name, lambda: self.briefer.load(name)))
        for target in langs:
            why = self.missing_translators.get(target)
            if why and target != route.summary_language:
                raise ModelError(f"its summary needs the en→{target} translator: {why}")
        missing = []
        if pivot and (pivot, lang) not in self._pivot_problems:
            # Read once a run, not once an article: it reads the pivot's config files.
            self._pivot_problems[pivot, lang] = pivot_problem(pivot, lang)
        if pivot and (problem := self._pivot_problems[pivot, lang]):
            # A pivot here but for another language leaves out its articles only, as a pivot
            # not here does (it had stopped the whole run once the articles reached it).
            missing.append(f"its {lang}→en translator: {problem}")
            needs = [n for n in needs if n[1] != pivot]
        for role, name, load in needs:
            if name not in self._unavailable:
                why = hub.unavailable(name)
                if why:
                    try:
                        load()
                        why = None
                    except ModelError as exc:
                        why = str(exc)
                self._unavailable[name] = why
            if self._unavailable[name]:
                missing.append(f"{role}: {self._unavailable[name]}")
        if missing:
            # Each model the article lacks, not the first only: with its pivot and its own
            # summarizer both missing, the fix named one and the rerun failed on the other.
            raise ModelError(f"written in {lang}; {'; '.join(missing)}")

    def digests(self, articles: Sequence[Article], languages: Sequence[str]) -> list[Digest]:
        """Return the articles' digests (languages: theirs), computing only what the cache lacks."""
        keys = [self.digest_key(a, lang) for a, lang in zip(articles, languages, strict=True)]
        found = [
            self._cached_digest(a, k, lang)
            for a, k, lang in zip(articles, keys, languages, strict=True)
        ]
        missing = [
            (a, lang) for a, d, lang in zip(articles, found, languages, strict=True) if d is None
        ]
        fresh = iter(
            self.briefer.digest_many([a for a, _ in missing], [lang for _, lang in missing])
            if missing
            else []
        )
        result = []
        for key, digest in zip(keys, found, strict=True):
            if digest is None:
                digest = next(fresh)
                if key and digest.summary:
                    self.cache.put(key, _digest_value(digest))
                elif not digest.summary:
                    # An empty summary is a model failure; never keep it for later runs.
                    log.warning("%s: the model produced an empty summary", digest.article.source)
            result.append(digest)
        return result

    def _cached_digest(self, article: Article, key: str | None, language: str) -> Digest | None:
        """Return the digest stored under key, or None on a miss."""
        value = self.cache.get(key) if key else None
        if value is None:
            return None
        self.hits += 1
        chunks = tuple(
            Chunk(start=c[0], end=c[1], sentences=tuple(map(tuple, c[2])), text=c[3], tokens=c[4])
            for c in value["chunks"]
        )
        notes = tuple(Finding(**n) for n in value.get("notes", []))
        return Digest(
            article,
            value["summary"],
            chunks,
            value["summarizer"],
            language,
            notes,
            value["summary_language"],
            value["title"],
            value["pivot"],
        )

    def localize(self, digests: Sequence[Digest], lang: str) -> list[Brief]:
        """Return the digests' briefs in a language, translating only what the cache lacks."""
        keys = [self.translation_key(d, lang) for d in digests]
        found = [self.cache.get(k) if k else None for k in keys]
        missing = [d for d, f in zip(digests, found, strict=True) if f is None]
        fresh = iter(self.briefer.localize(missing, lang) if missing else [])
        briefs = []
        for digest, key, value in zip(digests, keys, found, strict=True):
            if value is None:
                brief = next(fresh)
                if key and brief.title and brief.summary:
                    # The models that translated; a pivot the article went through is the digest's.
                    translators = {
                        k: v
                        for k, v in brief.models.items()
                        if k == "translator" or (k == "pivot" and not digest.pivot)
                    }
                    notes = [asdict(c) for c in brief.checks if c.kind == "untranslated"]
                    value = {
                        "title": brief.title,
                        "summary": brief.summary,
                        "models": translators,
                        "notes": notes,
                    }
                    self.cache.put(key, value)
            else:
                notes = tuple(Finding(**n) for n in value.get("notes", []))
                brief = Briefer.make_brief(
                    digest,
                    lang,
                    value["title"],
                    value["summary"],
                    value["models"],
                    notes,
                    self.briefer.glossary,
                    self.briefer.timings,
                )
            briefs.append(brief)
        return briefs

    def translation_key(self, digest: Digest, lang: str) -> str | None:
        """Return the cache key of a digest's translation into lang; None if none is cached."""
        o = self.briefer.options
        chain = []
        if digest.summary_language not in (lang, "en"):
            chain.append(o.pivot_model(digest.summary_language))
        if digest.summary_language != lang and lang != "en":
            chain.append(o.translator_model(lang))
        if not chain or None in chain:
            return None  # nothing to translate, or no model to do it (localize says so)
        revisions = [self.revision(name) for name in chain if name]
        if None in revisions:
            return None
        return make_key(
            kind="translation",
            format=CACHE_FORMAT,
            title=digest.headline,
            summary=digest.summary,
            summary_language=digest.summary_language,
            # The article's own title is kept when the brief is in the article's language.
            own_title=digest.language == lang,
            models=list(zip(chain, revisions, strict=True)),
            lang=lang,
            # Every setting the options schema marks as shaping a translation.
            **o.cache_parts("translation"),
            # The glossary's terms, not its file name (so not the schema's glossary).
            glossary=self.glossary_text,
        )


def _digest_value(digest: Digest) -> dict[str, Any]:
    """Return what the cache keeps of a digest."""
    return {
        "summary": digest.summary,
        "summarizer": digest.summarizer,
        "notes": [asdict(n) for n in digest.notes],
        "summary_language": digest.summary_language,
        "title": digest.title,
        "pivot": digest.pivot,
        "chunks": [
            [c.start, c.end, [list(s) for s in c.sentences], c.text, c.tokens]
            for c in digest.chunks
        ],
    }
