"""Language detection: each article's own language, reported in every format, overridable.

The articles in tests/articles/ are written for these tests in the shape of plain-text wire
copy (headline, blank line, dateline paragraph, paragraphs); the events are invented.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from briefer import detect
from briefer.batch import run as run_batch
from briefer.brief import Briefer, detection_text
from briefer.cache import ResultCache
from briefer.errors import UsageError
from briefer.options import Options
from briefer.render import meta_line
from briefer.sources import Source, parse_article
from test_cli import run

ARTICLES = Path(__file__).parent / "articles"
SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "paris-coalition-meeting.txt"


def article(name: str):
    """Return one of the test articles, parsed as briefer reads a .txt file."""
    return parse_article((ARTICLES / name).read_text(encoding="utf-8"), name)


@pytest.mark.parametrize(
    ("name", "lang"),
    [("fr-budget.txt", "fr"), ("ar-budget.txt", "ar"), ("de-haushalt.txt", "de")],
)
def test_articles_are_detected(name: str, lang: str) -> None:
    found = detect.detect(detection_text(article(name)))
    assert (found.lang, found.sure) == (lang, True)
    assert found.confidence > 0.9


def test_english_article_is_english() -> None:
    found = detect.detect(SAMPLE.read_text(encoding="utf-8"))
    assert (found.lang, found.sure) == ("en", True)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # A wire sports brief, short and full of names: py3langid ranks it Nigerian Pidgin
        # (0.62, English 0.24), and briefer refused it for want of a pcm→en translator.
        (
            "Nadal wins Roland-Garros\n\nRafael Nadal beat Casper Ruud 6-3, 6-3, 6-0 at "
            "Roland-Garros on Sunday to win his 14th French Open title.",
            "en",
        ),
        ("Messi scores twice as Inter Miami beat Orlando 3-1 on Saturday night.", "en"),
        # BBC News Pidgin's register: the relative itself, sure of it, stays itself.
        ("Wetin dey happen for Lagos? Di goment don talk say dem go close di market.", "pcm"),
    ],
)
def test_a_language_beside_a_larger_relative_needs_to_be_sure(text: str, lang: str) -> None:
    found = detect.detect(text)
    assert (found.lang, found.sure) == (lang, True)


def test_relatives_fold_into_their_language_only_below_sure(monkeypatch) -> None:
    # The rule alone, on the detector's answers as given: below RELATIVE_SURE a relative's
    # probability counts for its larger language; at or above it, the text is the relative's.
    class Ranked:
        def __init__(self, ranks: list[tuple[str, float]]) -> None:
            self.ranks = ranks

        def rank(self, text: str) -> list[tuple[str, float]]:
            return self.ranks

    cases = [
        ([("pcm", 0.62), ("en", 0.24), ("fr", 0.14)], ("en", 0.86)),
        ([("pcm", 0.95), ("en", 0.05)], ("pcm", 0.95)),
        ([("ext", 0.52), ("es", 0.40), ("pt", 0.08)], ("es", 0.92)),
        ([("gcf", 0.70), ("ht", 0.30)], ("fr", 0.70)),
    ]
    for ranks, (lang, confidence) in cases:
        monkeypatch.setattr(detect, "identifier", lambda keep=None, r=ranks: Ranked(r))
        found = detect.detect("some text")
        assert (found.lang, round(found.confidence, 2)) == (lang, confidence)
    # On real samples (the benchmark's 82), no text is taken for a relative.
    samples = json.loads(
        (
            Path(__file__).resolve().parent.parent / "benchmarks" / "language_samples.json"
        ).read_text()
    )["samples"]
    monkeypatch.undo()
    for sample in samples:
        assert detect.detect(sample["text"]).lang not in detect._RELATIVES


@pytest.mark.parametrize("text", ["", "   \n", "Nasa 2025", "12:30 — 14:45"])
def test_too_little_text_is_taken_as_english_and_flagged(text: str) -> None:
    found = detect.detect(text)
    assert found.lang == "en"
    assert not found.sure


def test_detection_reads_a_bounded_sample() -> None:
    french = (ARTICLES / "fr-budget.txt").read_text(encoding="utf-8")
    # A huge input costs no more than its first MAX_CHARS: what follows is never read.
    huge = french[: detect.MAX_CHARS] + " The minister said the plan would work." * 200_000
    detect.detect("warm up")
    started = time.perf_counter()
    assert detect.detect(huge).lang == "fr"
    assert time.perf_counter() - started < 2


def test_kept_model_detects_exactly_as_py3langid(tmp_path: Path, monkeypatch) -> None:
    texts = [
        (ARTICLES / name).read_text(encoding="utf-8")[:600]
        for name in ("fr-budget.txt", "ar-budget.txt", "de-haushalt.txt")
    ] + [SAMPLE.read_text(encoding="utf-8")[:600], "Nasa 2025"]
    monkeypatch.setattr(detect, "_identifier", None)
    own = [detect.identifier().rank(text) for text in texts]  # py3langid's own file
    keep = tmp_path / "langid"
    for _ in range(2):  # the first load decompresses into keep, the second reads it back
        monkeypatch.setattr(detect, "_identifier", None)
        assert [detect.identifier(keep).rank(text) for text in texts] == own
        assert [p.suffix for p in keep.iterdir()] == [".npz"]  # one whole file, no leftovers
    # And it was the kept copy that answered, not a silent fall back to py3langid's file.
    monkeypatch.setattr(detect, "_identifier", None)
    monkeypatch.setattr(
        "py3langid.langid.LanguageIdentifier.from_model_file",
        lambda *args, **kwargs: pytest.fail("decompressed py3langid's own file again"),
    )
    assert [detect.identifier(keep).rank(text) for text in texts] == own


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_damaged_kept_model_is_made_again(damage: str, tmp_path: Path, monkeypatch) -> None:
    keep = tmp_path / "langid"
    monkeypatch.setattr(detect, "_identifier", None)
    detect.identifier(keep)
    (kept,) = keep.iterdir()
    whole = kept.read_bytes()
    damaged = {"empty": b"", "truncated": whole[: len(whole) // 2], "garbage": b"PK" * 100}
    kept.write_bytes(damaged[damage])  # as a crash, a full disk or a stray write would leave it
    monkeypatch.setattr(detect, "_identifier", None)
    french = detection_text(article("fr-budget.txt"))
    assert detect.detect(french, keep).lang == "fr"  # detected all the same, no traceback
    assert not kept.exists()  # the damaged copy is gone...
    monkeypatch.setattr(detect, "_identifier", None)
    assert detect.detect(french, keep).lang == "fr"
    assert kept.read_bytes() == whole  # ...and the next run makes it again, whole


def test_unwritable_keep_folder_still_detects(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(detect, "_identifier", None)
    assert detect.detect(detection_text(article("fr-budget.txt")), blocked / "langid").lang == "fr"
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_detection_text_is_title_and_story_start() -> None:
    a = article("fr-budget.txt")
    text = detection_text(a)
    assert text.startswith(a.title + "\nPARIS (AFP)")
    assert len(text) <= detect.MAX_CHARS + len(a.body) + 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [("FR", "fr"), (" ar ", "ar"), ("auto", None), ("fr-FR", "fr"), ("fra_Latn", "fr")],
)
def test_source_lang_option(given: str, kept: str | None) -> None:
    assert Options(source_lang=given).source_lang == kept


@pytest.mark.parametrize("bad", ["french", "f", "xx-FR", "12"])
def test_bad_source_lang_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match="not a language code"):
        Options(source_lang=bad)


def test_digests_carry_the_source_language() -> None:
    briefer = Briefer(Options(engine="extractive"))
    digests = briefer.digest_many(
        [article("fr-budget.txt"), parse_article(SAMPLE.read_text(), "x")]
    )
    assert [d.language for d in digests] == ["fr", "en"]
    # The extractive engine summarizes in the article's own language: a French brief needs
    # no model at all.
    [brief] = briefer.brief_many([article("fr-budget.txt")], "fr")
    assert (brief.language, brief.source_language) == ("fr", "fr")
    assert meta_line(brief).endswith("Language: fr · Source language: fr")
    [english] = briefer.brief_many([parse_article(SAMPLE.read_text(), "x")], "en")
    # English articles need no note: the line stays as it always was.
    assert "Source language" not in meta_line(english)


def test_source_lang_overrides_detection() -> None:
    briefer = Briefer(Options(engine="extractive", source_lang="de"))
    [digest] = briefer.digest_many([article("fr-budget.txt")])
    assert digest.language == "de"


def test_detected_languages_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [Source(str(ARTICLES / "de-haushalt.txt")), Source(str(SAMPLE))]
    cache = ResultCache()
    first = run_batch(sources, Briefer(Options(engine="extractive")), ["en"], cache=cache)
    assert [b.source_language for b in first.briefs["en"]] == ["en"]
    assert "written in de" in first.failed[0].reason

    def fail(*_: object) -> None:
        raise AssertionError("a cached language was detected again")

    monkeypatch.setattr(Briefer, "source_languages", fail)
    again = run_batch(sources, Briefer(Options(engine="extractive")), ["en"], cache=cache)
    assert [b.source_language for b in again.briefs["en"]] == ["en"]
    assert again.failed == first.failed


def test_a_run_detects_every_article_at_once_then_lets_the_detector_go(
    monkeypatch, tmp_path: Path
) -> None:
    # More articles than a round (batch.ROUND): one detection call for all of them, and the
    # detector's model (77 MB) is not held through the summaries.
    from briefer import batch

    copies = [tmp_path / f"{k}.txt" for k in range(batch.ROUND)]
    for k, copy in enumerate(copies):  # different texts: a run briefs a repeated one once
        copy.write_text(SAMPLE.read_text(encoding="utf-8") + f"\nEdition {k}.\n", "utf-8")
    sources = [Source(str(ARTICLES / "de-haushalt.txt")), *(Source(str(c)) for c in copies)]
    calls: list[int] = []
    detect_all = Briefer.source_languages

    def counted(self: Briefer, articles):
        calls.append(len(articles))
        return detect_all(self, articles)

    monkeypatch.setattr(Briefer, "source_languages", counted)
    outcome = run_batch(sources, Briefer(Options(engine="extractive")), ["en"])
    assert calls == [len(sources)]
    assert detect._identifier is None
    assert [f.reason.split(":")[0] for f in outcome.failed] == ["written in de"]
    assert [b.source_language for b in outcome.briefs["en"]] == ["en"] * batch.ROUND
    # The next detection loads the model again.
    assert detect.detect(article("fr-budget.txt").text).lang == "fr"
    assert detect._identifier is not None


def test_cli_json_and_markdown_carry_the_language() -> None:
    french = str(ARTICLES / "fr-budget.txt")
    result = run("summarize", french, "--engine", "extractive", "--lang", "fr", "-f", "json")
    assert result.code == 0, result.err
    brief = json.loads(result.out)["briefs"][0]
    assert (brief["language"], brief["source_language"]) == ("fr", "fr")
    # Told it is French, the German article is briefed as French.
    german = str(ARTICLES / "de-haushalt.txt")
    result = run("summarize", german, "--engine", "extractive", "-l", "fr", "--source-lang", "fr")
    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("Language: fr · Source language: fr*")


@pytest.mark.parametrize("code", ["xx-1", "xx", "qqq"])
def test_cli_bad_source_lang_is_one_line_exit_2(code: str) -> None:
    # "xx" has the shape of a code: it passed, and each article then failed, exit 1.
    result = run("summarize", str(SAMPLE), "--engine", "extractive", "--source-lang", code)
    assert result.code == 2
    assert result.out == ""
    assert "not a language code briefer knows" in result.err
    assert "Traceback" not in result.err


def test_source_lang_takes_an_iso_639_3_code_as_its_639_1() -> None:
    from briefer.options import Options

    assert Options(source_lang="FRA").source_lang == "fr"
    assert Options(source_lang="ar").source_lang == "ar"
    assert Options(source_lang="auto").source_lang is None


class Loads:
    """Record model loads and heap trims in order, with fake engines for every model."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        from briefer.engines import heap, registry
        from briefer.engines.fake import FakeEngine

        self.events: list[str] = []
        self.registry = registry
        monkeypatch.setattr(registry, "_LOADED", {})  # this process's other tests' models aside

        def load(name: str, *_: object) -> FakeEngine:
            self.events.append(f"load {name}")
            return FakeEngine(name)

        monkeypatch.setattr(registry, "_load", load)
        monkeypatch.setattr(heap, "trim", lambda: self.events.append("trim"))

    def held(self) -> list[str]:
        """Return the names of the models the process still holds."""
        return [engine.name for engine in self.registry._LOADED.values()]


def test_the_english_summarizer_goes_when_no_article_needs_it(monkeypatch) -> None:
    # A French desk: -m fr=MODEL. The English summarizer loads while the detector does, on the
    # odds that the copy is English; once every article is known to be French, it goes before
    # the French summarizer loads.
    loads = Loads(monkeypatch)
    briefer = Briefer(Options(model={"en": "en-sum", "fr": "fr-sum"}))
    [digest] = briefer.digest_many([article("fr-budget.txt")])
    assert (digest.language, digest.summarizer) == ("fr", "fr-sum")
    assert loads.events == ["load en-sum", "trim", "load fr-sum"]
    assert loads.held() == ["fr-sum"] and briefer._summarizer is None
    # Asked for again, it loads again.
    assert briefer.summarizer.name == "en-sum" and loads.held() == ["fr-sum", "en-sum"]


@pytest.mark.parametrize(
    "model",
    [
        {"en": "en-sum", "fr": "fr-sum"},  # the English article needs it
        {"en": "en-sum"},  # the French one goes through the pivot to it
    ],
    ids=["an English article", "the pivot"],
)
def test_the_english_summarizer_stays_when_an_article_may_need_it(
    monkeypatch, model: dict[str, str]
) -> None:
    loads = Loads(monkeypatch)
    briefer = Briefer(Options(model=model))
    texts = [article("fr-budget.txt"), parse_article(SAMPLE.read_text(), "x")]
    languages = briefer.source_languages(texts if len(model) > 1 else texts[:1])
    assert languages[0] == "fr"
    briefer.settle(languages)
    assert loads.held() == ["en-sum"] and loads.events == ["load en-sum"]
    assert briefer._summarizer is not None


def test_a_run_judges_the_english_summarizer_on_all_its_languages(monkeypatch, tmp_path) -> None:
    # batch.run detects every article's language at once, then settles: articles of more than
    # one round, all French, load the English summarizer once and let it go once.
    from briefer import batch

    loads = Loads(monkeypatch)
    french = (ARTICLES / "fr-budget.txt").read_text(encoding="utf-8")
    copies = [tmp_path / f"{k}.txt" for k in range(batch.ROUND + 1)]
    for k, copy in enumerate(copies):
        copy.write_text(french + f"\nÉdition {k}.\n", "utf-8")
    briefer = Briefer(Options(model={"en": "en-sum", "fr": "fr-sum"}))
    outcome = run_batch([Source(str(c)) for c in copies], briefer, ["fr"])
    assert len(outcome.briefs["fr"]) == len(copies) and not outcome.failed
    assert loads.events == ["load en-sum", "trim", "load fr-sum"]
    # A second run of the same Briefer no longer guesses English.
    run_batch([Source(str(copies[0]))], briefer, ["fr"], cache=None)
    assert loads.events == ["load en-sum", "trim", "load fr-sum"]


def test_a_summarizer_another_briefer_loaded_is_never_let_go(monkeypatch) -> None:
    loads = Loads(monkeypatch)
    first = Briefer(Options(model={"en": "en-sum", "fr": "fr-sum"}))
    english = first.summarizer  # loaded for its own use
    second = Briefer(Options(model={"en": "en-sum", "fr": "fr-sum"}))
    [digest] = second.digest_many([article("fr-budget.txt")])
    assert digest.summarizer == "fr-sum"
    # The second Briefer found it loaded already: not its speculation, so not its to let go.
    assert loads.held() == ["en-sum", "fr-sum"] and first.summarizer is english
    assert loads.events.count("load en-sum") == 1


def test_a_title_made_from_the_file_name_is_not_read_for_the_language() -> None:
    """A one-paragraph French story saved as tiny-fr.txt was read as "Tiny fr" plus its
    sentence: the English-looking name pulled French down to 0.27, "taken as English"."""
    story = "La grève des contrôleurs aériens perturbe le trafic à Paris.\n"
    article = parse_article(story, "wire/tiny-fr.txt", "wire/tiny-fr.txt")
    assert article.title_from_name and article.title == "Tiny fr"
    assert "Tiny" not in detection_text(article)
    assert detect.detect(detection_text(article)).lang == "fr"
    titled = parse_article("Grève à Paris\n\n" + story, "wire/tiny-fr.txt")
    assert not titled.title_from_name and detection_text(titled).startswith("Grève à Paris")
