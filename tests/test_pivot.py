"""Articles in other languages: each goes by its language's route, with the right models in order.

The translators are tiny random Marians laid out like the real opus-mt-fr-en and opus-mt-ar-en
repos (source.spm, target.spm, vocab.json, tokenizer_config.json with source_lang/target_lang,
no target-language tokens, a folder named like the repo so its one target, en, is known from
the name as for the real ones). The articles (tests/articles/) are news copy written for these
tests in the shape of plain-text wire stories.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

import factory
from briefer.batch import run as run_batch
from briefer.brief import Briefer, sentences_of
from briefer.cache import ResultCache
from briefer.checks import Finding
from briefer.chunking import normalize
from briefer.engines import ctranslate2 as ct2_engine
from briefer.engines import registry
from briefer.engines import torch as torch_engine
from briefer.errors import InputError, ModelError, UsageError
from briefer.options import DEFAULT_PIVOTS, Options
from briefer.sources import Source, parse_article
from test_cli import run

ARTICLES = Path(__file__).parent / "articles"
ENGLISH = Path(__file__).resolve().parent.parent / "examples" / "paris-coalition-meeting.txt"


@pytest.fixture(scope="session")
def fr_en(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny fr→en Marian, as Helsinki-NLP/opus-mt-fr-en is laid out."""
    folder = tmp_path_factory.mktemp("Helsinki-NLP") / "opus-mt-fr-en"
    return factory.build_marian(folder, corpus=factory.CORPUS, source_lang="fr", target_lang="en")


@pytest.fixture(scope="session")
def ar_en(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny ar→en Marian, as Helsinki-NLP/opus-mt-ar-en is laid out."""
    folder = tmp_path_factory.mktemp("Helsinki-NLP") / "opus-mt-ar-en"
    return factory.build_marian(folder, corpus=factory.CORPUS, source_lang="ar", target_lang="en")


@pytest.fixture(autouse=True)
def unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the random summarizer's own summaries: the output guard (tested in test_trust.py)
    would swap a looping one for the extractive brief, and these tests follow the models."""
    monkeypatch.setattr(Briefer, "_guarded", lambda self, digest: digest)


class Recorder:
    """Record, in order, which model generate() ran with which inputs and what came out.

    Both engines are watched at the Engine interface: each group of texts is one call.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[tuple[str, list[str], list[str]]] = []
        for engine in (torch_engine.TorchEngine, ct2_engine.CT2Engine):
            monkeypatch.setattr(engine, "generate", self._watch(engine.generate))

    def _watch(self, original):  # noqa: ANN001, ANN202
        """Return generate() that notes each group's texts and outputs."""

        def generate(model, groups):  # noqa: ANN001, ANN202
            outputs = original(model, groups)
            for (texts, _), out in zip(groups, outputs, strict=True):
                self.calls.append((model.name, list(texts), list(out)))
            return outputs

        return generate

    def models(self) -> list[str]:
        """Return the models called, in order, repeats of the same model folded."""
        order: list[str] = []
        for name, _, _ in self.calls:
            if not order or order[-1] != name:
                order.append(name)
        return order

    def of(self, name: str) -> list[tuple[list[str], list[str]]]:
        """Return the (inputs, outputs) of each call to one model."""
        return [(texts, outputs) for model, texts, outputs in self.calls if model == name]


def batch_reference(folder: Path, texts: list[str], batch_size: int = 8) -> list[str]:
    """Return hand-written generate() outputs for texts, in the same batches briefer forms.

    Same batches, same padding: longest first, batch_size at a time, so the floats match on any
    machine.
    """
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    out = [""] * len(texts)
    with torch.no_grad():
        for at in range(0, len(order), batch_size):
            picked = order[at : at + batch_size]
            encoded = tokenizer([texts[i] for i in picked], return_tensors="pt", padding=True)
            generated = model.generate(**encoded)
            for i, ids in zip(picked, generated, strict=True):
                out[i] = tokenizer.decode(ids, skip_special_tokens=True).strip()
    return out


def article(name: str):
    """Return a test article, parsed as briefer reads a .txt file."""
    return parse_article((ARTICLES / name).read_text(encoding="utf-8"), str(ARTICLES / name))


def options(bart: Path, fr_en: Path, ar_en: Path, **more: object) -> Options:
    """Return run options with the tiny summarizer and both pivot translators."""
    more.setdefault("backend", "torch")
    return Options(model=str(bart), pivot={"fr": str(fr_en), "ar": str(ar_en)}, **more)


@pytest.mark.parametrize(
    ("name", "lang", "backend"),
    [
        ("fr-greve.txt", "fr", "torch"),
        ("ar-fayadan.txt", "ar", "torch"),
        ("fr-greve.txt", "fr", "ctranslate2"),
    ],
)
def test_article_is_detected_pivoted_and_briefed(
    name: str, lang: str, backend: str, bart: Path, fr_en: Path, ar_en: Path, monkeypatch
) -> None:
    pivot = {"fr": fr_en, "ar": ar_en}[lang]
    recorder = Recorder(monkeypatch)
    a = article(name)
    briefer = Briefer(options(bart, fr_en, ar_en, backend=backend))
    if backend == "ctranslate2":
        # The pivot runs on CTranslate2; the summarizer (held to both engines elsewhere) stays
        # on torch, which spares a second conversion: stages see only the Engine interface.
        briefer._models[str(bart)] = registry.load(str(bart), "torch", "cpu", 4)
    brief = briefer.brief(a)

    assert (brief.source_language, brief.language) == (lang, "en")
    assert briefer.pivot(lang).backend == backend  # type: ignore[union-attr]
    assert brief.models == {"pivot": str(pivot), "summarizer": str(bart)}
    # The pivot translates first (the title, through the output guard, then every sentence),
    # then the summarizer reads English.
    assert recorder.models() == [str(pivot), str(bart)]
    (titles, _), *_, (sent, translated) = recorder.of(str(pivot))
    sentences = [normalize(a.text[s:e]) for s, e in sentences_of(a, lang)]
    # Each sentence, in order; the translator may cut one further, never drops or reorders.
    assert titles == [a.title]
    assert " ".join(sent) == " ".join(sentences)
    if backend == "torch":  # CTranslate2 (int8) is held to plain generate() in test_ctranslate
        assert translated == batch_reference(pivot, sent)
    assert all(translated)
    # The English title is the pivot's translation of the original one.
    assert brief.original_title == a.title
    # Chunks hold the original sentences' spans, and the English text the summarizer read.
    assert [span for c in brief.chunks for span in c.sentences] == sentences_of(a, lang)
    assert brief.chunks[0].start == sentences_of(a, lang)[0][0]
    assert brief.chunks[-1].end == sentences_of(a, lang)[-1][1]
    english = normalize(" ".join(translated))
    assert " ".join(c.text for c in brief.chunks) == english
    # The summarizer's first round reads exactly those chunks, English text in source order.
    first_round, outputs = recorder.of(str(bart))[0]
    assert first_round == [c.text for c in brief.chunks]
    if len(brief.chunks) == 1:
        assert brief.summary == outputs[0]
        if backend == "torch":
            assert brief.summary == batch_reference(bart, [english], 4)[0]
    else:  # shares too short for this tiny model: the chunk summaries were summarized again
        assert len(recorder.of(str(bart))) >= 2
    assert brief.summary


def test_pivot_that_cannot_translate_into_english_is_a_model_error(
    bart: Path, fr_en: Path, ar_en: Path, tmp_path: Path
) -> None:
    import shutil

    # Named like a French→German opus-mt repo: its one target, de, shows in its name.
    wrong = shutil.copytree(fr_en, tmp_path / "opus-mt-fr-de")
    run_options = replace(options(bart, fr_en, ar_en), pivot={"fr": str(wrong)})
    with pytest.raises(ModelError, match="cannot translate into 'en'; it translates into: de"):
        Briefer(run_options).brief(article("fr-greve.txt"))


def test_a_pivot_that_is_not_there_leaves_out_its_articles_only(
    bart: Path, sample: Path, tmp_path: Path
) -> None:
    # A morning brief of English wire copy and one French story, on a machine where the fr→en
    # pivot was never pulled: the French story is listed under "Not included" (exit 3), the
    # rest is briefed; alone, it is the model error it was (exit 4).
    missing = tmp_path / "models" / "opus-mt-fr-en"
    french = str(ARTICLES / "fr-greve.txt")
    args = ("-m", str(bart), "--pivot", f"fr={missing}", "--no-cache")
    result = run("summarize", french, str(sample), *args, "-f", "json")
    assert result.code == 3, result.err
    out = json.loads(result.out)
    assert [b["source"] for b in out["briefs"]] == [str(sample)]
    [failed] = out["failed"]
    assert failed["source"] == french
    assert failed["error"].startswith(
        f"written in fr; its fr→en translator: model folder '{missing}' does not exist"
    )
    assert f"briefer: skipped {french}: written in fr; its fr→en translator" in result.err
    alone = run("summarize", french, *args)
    assert alone.code == 4 and alone.out == ""
    # Several sources, every one left out for want of the model: still the model's error.
    both = run("summarize", french, str(ARTICLES / "fr-budget.txt"), *args)
    assert both.code == 4 and both.out == "" and "no article to brief" in both.err
    assert f"model folder '{missing}' does not exist" in alone.err
    assert alone.err.count("briefer: error:") == 1


def test_extractive_briefs_leave_out_only_the_articles_whose_pivot_is_not_there(
    sample: Path, tmp_path: Path
) -> None:
    # The no-download fallback (--engine extractive) on the same morning: the French story is
    # summarized in French, and only its English brief needs the fr→en pivot, which was never
    # pulled. The whole run stopped with exit 4 and no brief at all.
    missing = tmp_path / "models" / "opus-mt-fr-en"
    french = str(ARTICLES / "fr-greve.txt")
    args = ("--engine", "extractive", "--pivot", f"fr={missing}", "--no-cache", "-f", "json")
    result = run("summarize", french, str(sample), *args)
    assert result.code == 3, result.err
    out = json.loads(result.out)
    assert [b["source"] for b in out["briefs"]] == [str(sample)]
    assert [f["source"] for f in out["failed"]] == [french]
    assert out["failed"][0]["error"].startswith("written in fr; its fr→en translator: model")
    # A French brief of it needs no pivot: the summary is already French.
    french_brief = run("summarize", french, *args, "--lang", "fr")
    assert french_brief.code == 0, french_brief.err
    assert [b["source"] for b in json.loads(french_brief.out)["briefs"]] == [french]


def loop_the_pivot(
    monkeypatch: pytest.MonkeyPatch, pivot: Path, loops: Callable[[str], bool]
) -> None:
    """Make the pivot's translation of each text for which loops(text) holds a loop, as a
    random or broken model writes one; every other model and text as the model has it."""
    real = torch_engine.TorchEngine.generate
    looping = "the plan the plan the plan the plan the plan the plan the plan the plan"

    def generate(model, groups):  # noqa: ANN001, ANN202
        outputs = real(model, groups)
        if model.name != str(pivot):
            return outputs
        return [
            [looping if loops(text) else out for text, out in zip(texts, outs, strict=True)]
            for (texts, _), outs in zip(groups, outputs, strict=True)
        ]

    monkeypatch.setattr(torch_engine.TorchEngine, "generate", generate)


def test_a_pivot_title_goes_through_the_output_guard(
    bart: Path, fr_en: Path, ar_en: Path, marian_ar: Path, monkeypatch
) -> None:
    # A foreign article's title through a pivot whose translation loops: the heading read
    # "milliuse Incut filler141pos filler41pos filler41 ...", with no finding, though the same
    # title through `briefer translate` was caught. It is kept as it was, and said.
    a = article("fr-greve.txt")
    loop_the_pivot(monkeypatch, fr_en, lambda text: text.startswith(a.title[:20]))
    brief = Briefer(options(bart, fr_en, ar_en)).brief(a)
    assert brief.title == a.title
    assert [c for c in brief.checks if c.kind == "untranslated"] == [
        Finding("untranslated", "the translation loops; left as it was", "title (en)")
    ]
    assert brief.title_language == "fr"  # the kept title is the article's French
    # In a brief in another language, the kept title is no English for its translator: it
    # stays as it was (it was sent to the en→ar translator as if it were English).
    recorder = Recorder(monkeypatch)
    arabic = Briefer(options(bart, fr_en, ar_en, lang="ar", translator=str(marian_ar)))
    brief = arabic.brief(a)
    assert brief.title == a.title and brief.title_language == "fr"
    sent = [texts for name, texts, _ in recorder.calls if name == str(marian_ar)]
    assert sent and all(a.title not in texts for texts in sent)


def test_a_summary_its_pivot_kept_is_sent_to_no_translator(
    bart: Path, fr_en: Path, ar_en: Path, marian_ar: Path, monkeypatch
) -> None:
    """An extractive French summary for an Arabic brief goes fr→en→ar. Where the pivot's
    guard kept it in French, it went on to the en→ar translator, which reads English, and
    the note said "left in English"."""
    a = article("fr-greve.txt")
    # Every sentence but the title loops: the summary is kept, the title translated.
    loop_the_pivot(monkeypatch, fr_en, lambda text: text != a.title)
    recorder = Recorder(monkeypatch)
    run = options(bart, fr_en, ar_en, lang="ar", translator=str(marian_ar), engine="extractive")
    brief = Briefer(run).brief(a)
    french = brief.original_summary
    assert brief.summary == french and brief.language == "fr"  # labelled as what it is
    assert Finding("untranslated", "the translation loops; left as it was", "translation (en)") in (
        brief.checks
    )
    assert not any("left in English" in c.text for c in brief.checks)
    sent = [text for texts, _ in recorder.of(str(marian_ar)) for text in texts]
    assert not any(text in french for text in sent if len(text) > 20)


def test_french_brief_of_a_french_article_translates_the_english_summary_back(
    bart: Path, fr_en: Path, ar_en: Path, marian_fr: Path, monkeypatch
) -> None:
    recorder = Recorder(monkeypatch)
    a = article("fr-greve.txt")
    run_options = options(bart, fr_en, ar_en, lang="fr", translator=str(marian_fr))
    brief = Briefer(run_options).brief(a)
    assert recorder.models() == [str(fr_en), str(bart), str(marian_fr)]
    assert brief.models == {
        "pivot": str(fr_en),
        "summarizer": str(bart),
        "translator": str(marian_fr),
    }
    # The article's own title is kept; only the English summary goes back into French.
    assert brief.title == a.title
    calls = recorder.of(str(marian_fr))
    sent, translated = calls[0]
    # Every sentence of the English summary, and nothing else (not the title), in order.
    assert " ".join(sent) == normalize(brief.original_summary)
    if len(calls) == 1:  # a second call is the translation guard retrying a sentence
        assert brief.summary == " ".join(o for o in translated if o)


def test_same_language_summarizer_needs_no_translation(
    bart: Path, t5: Path, fr_en: Path, ar_en: Path, monkeypatch
) -> None:
    recorder = Recorder(monkeypatch)
    a = article("fr-greve.txt")
    run_options = options(bart, fr_en, ar_en, lang="fr")
    run_options = replace(run_options, model={"en": str(bart), "fr": str(t5)})
    brief = Briefer(run_options).brief(a)
    assert recorder.models() == [str(t5)]
    assert brief.models == {"summarizer": str(t5)}
    assert (brief.title, brief.language, brief.source_language) == (a.title, "fr", "fr")
    # The chunk is the French text itself, spans in the original.
    assert recorder.of(str(t5))[0][0] == [
        "summarize: " + " ".join(normalize(a.text[s:e]) for s, e in sentences_of(a, "fr"))
    ]


def test_same_language_summary_goes_through_the_pivot_for_an_english_brief(
    bart: Path, t5: Path, fr_en: Path, ar_en: Path, monkeypatch
) -> None:
    recorder = Recorder(monkeypatch)
    a = article("fr-greve.txt")
    run_options = replace(options(bart, fr_en, ar_en), model={"en": str(bart), "fr": str(t5)})
    brief = Briefer(run_options).brief(a)
    assert recorder.models() == [str(t5), str(fr_en)]
    assert brief.models == {"summarizer": str(t5), "pivot": str(fr_en)}
    [(french_summary, _)] = [(o, None) for _, _, o in recorder.calls[:1]]
    assert brief.original_summary == french_summary[0]
    calls = recorder.of(str(fr_en))
    sent, translated = calls[0]
    # The French title and summary go into English together, the title first.
    assert sent[0] == a.title
    if len(calls) == 1:  # a second call is the translation guard retrying a sentence
        assert brief.title == translated[0]


def test_language_without_route_is_not_included(bart: Path, fr_en: Path, ar_en: Path) -> None:
    briefer = Briefer(options(bart, fr_en, ar_en))
    sources = [Source(str(ARTICLES / "de-haushalt.txt")), Source(str(ARTICLES / "fr-greve.txt"))]
    outcome = run_batch(sources, briefer, ["en"])
    assert [b.source_language for b in outcome.briefs["en"]] == ["fr"]
    [failure] = outcome.failed
    assert failure.source.endswith("de-haushalt.txt")
    assert "written in de" in failure.reason
    assert "-m de=MODEL" in failure.reason and "--pivot de=MODEL" in failure.reason
    with pytest.raises(InputError, match="written in de"):
        briefer.brief(article("de-haushalt.txt"))


def test_extractive_summary_without_a_pivot_has_no_route() -> None:
    # The extractive engine summarizes any language, but an English brief needs a de→en model.
    with pytest.raises(InputError, match="without a de→en translator"):
        Briefer(Options(engine="extractive")).brief(article("de-haushalt.txt"))
    # In the article's own language it needs nothing.
    brief = Briefer(Options(engine="extractive", source_lang="fr")).brief_many(
        [article("fr-greve.txt")], "fr"
    )[0]
    assert (brief.language, brief.source_language, brief.title) == (
        "fr",
        "fr",
        brief.original_title,
    )
    assert brief.models == {"summarizer": "extractive (TextRank)"}


def test_source_lang_overrides_detection(bart: Path, fr_en: Path, ar_en: Path, monkeypatch) -> None:
    recorder = Recorder(monkeypatch)
    # Told it is Arabic, the French article takes the Arabic route.
    brief = Briefer(options(bart, fr_en, ar_en, source_lang="ar")).brief(article("fr-greve.txt"))
    assert brief.source_language == "ar"
    assert recorder.models() == [str(ar_en), str(bart)]


def test_cli_pivot_flags_json_and_not_included(
    bart: Path, fr_en: Path, ar_en: Path, monkeypatch
) -> None:
    args = ["summarize", str(ARTICLES / "ar-fayadan.txt"), str(ARTICLES / "de-haushalt.txt")]
    args += ["-m", str(bart), "--pivot", f"ar={ar_en}", "-f", "json"]
    result = run(*args)
    assert result.code == 3, result.err
    document = json.loads(result.out)
    [brief] = document["briefs"]
    assert (brief["source_language"], brief["language"]) == ("ar", "en")
    assert brief["models"] == {"pivot": str(ar_en), "summarizer": str(bart)}
    # Coverage is checked from the JSON alone, as the README shows, on the Arabic text itself:
    # the chunks' spans cover every character of the story, though the summarizer read English.
    text = brief["text"]
    assert text == (ARTICLES / "ar-fayadan.txt").read_text(encoding="utf-8")
    story = {k for s, e in brief["body"] for k in range(s, e) if not text[k].isspace()}
    seen = {
        k
        for c in brief["chunks"]
        for s, e in c["spans"]
        for k in range(s, e)
        if not text[k].isspace()
    }
    assert seen == story and story
    [failed] = document["failed"]
    assert "written in de" in failed["error"]
    markdown = run(*args[:-2])
    assert markdown.code == 3
    assert "## Not included" in markdown.out
    assert "Pivot: " + str(ar_en) in markdown.out
    assert "Source language: ar" in markdown.out


def test_cli_lone_source_without_route_is_one_line_exit_1(bart: Path) -> None:
    result = run("summarize", str(ARTICLES / "de-haushalt.txt"), "-m", str(bart))
    assert result.code == 1
    assert "written in de" in result.err
    assert "Traceback" not in result.err


def test_results_are_cached(
    bart: Path, fr_en: Path, ar_en: Path, monkeypatch, tmp_path: Path
) -> None:
    import shutil

    sources = [Source(str(ARTICLES / "fr-greve.txt")), Source(str(ENGLISH))]
    first = run_batch(sources, Briefer(options(bart, fr_en, ar_en)), ["en"], cache=ResultCache())
    recorder = Recorder(monkeypatch)
    again = run_batch(sources, Briefer(options(bart, fr_en, ar_en)), ["en"], cache=ResultCache())
    assert recorder.calls == []
    assert again.briefs == first.briefs
    # Another pivot for French is another digest of the French article; the English one's
    # key holds no pivot, so it stays cached.
    other = shutil.copytree(fr_en, tmp_path / "Helsinki-NLP" / "opus-mt-fr-en")
    changed = replace(options(bart, fr_en, ar_en), pivot={"fr": str(other)})
    run_batch(sources, Briefer(changed), ["en"], cache=ResultCache())
    assert recorder.models() == [str(other), str(bart)]
    assert [texts for name, texts, _ in recorder.calls if name == str(other)][0] == [
        article("fr-greve.txt").title
    ]


@pytest.mark.parametrize(
    ("flags", "models", "pivots"),
    [
        (["-m", "my/en"], {"en": "my/en"}, {}),
        (["-m", "my/en", "-m", "fr=my/fr"], {"en": "my/en", "fr": "my/fr"}, {}),
        (["-m", "FR=my/fr", "--pivot", "de=my/de-en"], {"fr": "my/fr"}, {"de": "my/de-en"}),
    ],
)
def test_model_and_pivot_flags(flags: list[str], models: dict, pivots: dict) -> None:
    from briefer.cli import options_from

    result = run("config", "show", *flags)
    assert result.code == 0, result.err
    shown = dict(line.split("#", 1) for line in result.out.splitlines() if "#" in line[1:])
    shown = {k.strip(): v.strip() for k, v in shown.items()}
    # One line per language, each saying where its value came from.
    for lang, model in models.items():
        assert shown[f'model.{lang} = "{model}"'] == "from the command line"
    for lang, model in pivots.items():
        assert shown[f'pivot.{lang} = "{model}"'] == "from the command line"
    for lang, model in DEFAULT_PIVOTS.items():  # the defaults stay beneath the flags
        assert shown[f'pivot.{lang} = "{model}"'] == "default"
    if "en" not in models:
        assert shown[f'model.en = "{Options.model}"'] == "default"
    # The flags build the options a run uses.
    _, built = options_from(_settings(flags))
    assert built.summarizer_model("en") == models.get("en", Options.model)
    assert built.summarizer_model("fr") == models.get("fr")
    assert built.summarizer_model("de") is None
    for lang in ("fr", "ar", "de"):
        assert built.pivot_model(lang) == pivots.get(lang, DEFAULT_PIVOTS.get(lang))


def test_config_tables_are_laid_under_flags(tmp_path: Path) -> None:
    from briefer.cli import options_from

    path = tmp_path / "config.toml"
    path.write_text('[model]\nfr = "file/fr"\n\n[pivot]\nar = "file/ar-en"\n', encoding="utf-8")
    flags = ["--config", str(path), "-m", "flag/en", "--pivot", "fr=flag/fr-en"]
    _, built = options_from(_settings(flags))
    assert (built.summarizer_model("en"), built.summarizer_model("fr")) == ("flag/en", "file/fr")
    assert built.pivot_model("ar") == "file/ar-en"
    assert built.pivot_model("fr") == "flag/fr-en"
    shown = run("config", "show", *flags).out
    lines = {" ".join(line.split()) for line in shown.splitlines()}
    assert f'model.fr = "file/fr" # from {path}' in lines
    assert 'model.en = "flag/en" # from the command line' in lines
    assert f'pivot.ar = "file/ar-en" # from {path}' in lines
    # What config show writes loads back as a config file, and means the same.
    again = tmp_path / "again.toml"
    again.write_text(shown, encoding="utf-8")
    _, reloaded = options_from(_settings(["--config", str(again)]))
    assert (
        reloaded.summarizer_model("fr") == "file/fr" and reloaded.pivot_model("fr") == "flag/fr-en"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--pivot", "my/model"], "give LANG=MODEL"),
        (["--pivot", "en=x"], "English articles need no pivot"),
        (["-m", "fr="], "needs a model id"),
        # "-m $MODEL" with MODEL unset: not "--model en= needs a model id".
        (["-m", ""], "--model needs a model id, not an empty one"),
        (["-m", "fr=a", "-m", "fr=b"], "fr given twice"),
        (["-m", "a", "-m", "b"], "en given twice"),
        # A code no language has: taken before, and never used (--source-lang and glossary
        # keys refused it).
        (["-m", "xx=my/model"], "'xx' is not an ISO 639-1 language code"),
        (["--pivot", "qq=my/model"], "'qq' is not an ISO 639-1 language code"),
    ],
)
def test_bad_model_and_pivot_flags(flags: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _settings(flags)


def _settings(flags: list[str]) -> dict:
    """Return the resolved settings of a summarize command line, values only."""
    import typer

    from briefer.cli import Env, app, settings_of

    command = typer.main.get_command(app).commands["summarize"]
    with command.make_context("summarize", list(flags), obj=Env()) as ctx:
        return {k: s.value for k, s in settings_of(ctx).items()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[pivot]\nen = "x"\n', "English articles need no pivot"),
        ('pivot = "x"\n', "'pivot' must be a table"),
        ("[model]\nfr = 1\n", r"\[model\] fr must be a model id"),
        ('[model]\nfrench = "x"\n', "give the language of the articles"),
        ('[model]\nxx = "x"\n', r"\[model\] xx: 'xx' is not an ISO 639-1 language code"),
    ],
)
def test_bad_model_and_pivot_tables(text: str, message: str, tmp_path: Path) -> None:
    from briefer.config import load

    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load(path)


def test_models_list_and_pull_know_the_pivots(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefer import hub

    listed = run("models", "list")
    assert listed.code == 0, listed.err
    rows = {line.split()[0]: line.split()[1] for line in listed.out.splitlines()}
    assert {k: rows[k] for k in ("pivot:fr", "pivot:ar")} == {
        "pivot:fr": "Helsinki-NLP/opus-mt-fr-en",
        "pivot:ar": "Helsinki-NLP/opus-mt-ar-en",
    }
    fetched: list[str] = []
    monkeypatch.setattr(hub, "pull", lambda name, progress: fetched.append(name) or Path(name))
    pulled = run("models", "pull", "--lang", "fr", "--source-lang", "ar", "-q")
    assert pulled.code == 0, pulled.err
    assert fetched == [Options.model, "Helsinki-NLP/opus-mt-en-fr", "Helsinki-NLP/opus-mt-ar-en"]
    fetched.clear()
    assert run("models", "pull", "--lang", "en", "-q").code == 0
    assert fetched == [Options.model, *DEFAULT_PIVOTS.values()]
    refused = run("models", "pull", "--source-lang", "de", "-q")
    assert refused.code == 2 and "no default pivot for articles in 'de'" in refused.err


def test_a_brief_in_a_language_without_a_translator_needs_one_only_to_translate(
    sample: Path,
) -> None:
    # A German desk briefing German copy with the extractive engine: the summary is German
    # already, yet the run was refused up front ("no default translator for 'de'", exit 2).
    german = str(ARTICLES / "de-haushalt.txt")
    args = ("--engine", "extractive", "-l", "de", "--no-cache", "-f", "json")
    alone = run("summarize", german, *args)
    assert alone.code == 0, alone.err
    [brief] = json.loads(alone.out)["briefs"]
    assert (brief["language"], brief["models"]) == ("de", {"summarizer": "extractive (TextRank)"})
    # English copy beside it would need an en→de translator: that article is left out, named.
    both = run("summarize", german, str(sample), *args)
    assert both.code == 3, both.err
    out = json.loads(both.out)
    assert [b["source"] for b in out["briefs"]] == [german]
    assert out["failed"][0]["source"] == str(sample)
    assert out["failed"][0]["error"].startswith("no default translator for 'de'")
    # With a model summarizer, the English summary always needs translating: refused up front.
    refused = run("summarize", german, "-l", "de", "--no-cache")
    assert refused.code == 2 and "no default translator for 'de'" in refused.err


def test_a_translator_that_cannot_load_leaves_out_only_the_articles_that_need_it(
    sample: Path, tmp_path: Path
) -> None:
    """A French desk briefing a folder of French and English copy with the extractive engine,
    offline, without opus-mt-en-fr: the whole run failed (exit 4) though the French story
    needs no translator; a run with no default translator for the language left out only the
    English copy (exit 3). A run where every article needs it still fails first (exit 4)."""
    french = str(ARTICLES / "fr-greve.txt")
    missing = tmp_path / "models" / "opus-mt-en-fr"
    args = ("--engine", "extractive", "-l", "fr", "-t", f"fr={missing}", "--no-cache", "-f", "json")
    both = run("summarize", french, str(sample), *args)
    assert both.code == 3, both.err
    out = json.loads(both.out)
    assert [b["source"] for b in out["briefs"]] == [french]
    [failed] = out["failed"]
    assert failed["source"] == str(sample)
    assert failed["error"].startswith(
        f"its summary needs the en→fr translator: model folder '{missing}' does not exist"
    )
    alone = run("summarize", str(sample), *args)
    assert alone.code == 4 and alone.out == "" and str(missing) in alone.err


def test_a_pivot_that_reads_another_language_is_a_model_error(
    bart: Path, fr_en: Path, nllb: Path, tmp_path: Path
) -> None:
    """--pivot ar=opus-mt-fr-en ran French's translator on Arabic copy, exit 0; an NLLB pivot
    was told its French input was English. Both are refused, naming the fix."""
    import shutil

    arabic = str(ARTICLES / "ar-fayadan.txt")
    french = str(ARTICLES / "fr-greve.txt")
    args = ("-m", str(bart), "--no-cache", "--backend", "torch")
    by_name = run("summarize", arabic, *args, "--pivot", f"ar={fr_en}")
    assert by_name.code == 4, by_name.err
    assert f"{fr_en} translates from fr, not ar: give an ar→en translator" in by_name.err
    # The same model in a folder whose name says nothing: its tokenizer_config.json does.
    plain = tmp_path / "pivot"
    shutil.copytree(fr_en, plain)
    by_config = run("summarize", arabic, *args, "--pivot", f"ar={plain}")
    assert by_config.code == 4 and "translates from fr, not ar" in by_config.err
    many = run("summarize", french, *args, "--pivot", f"fr={nllb}")
    assert many.code == 4 and "translates between many languages" in many.err
    assert run("summarize", french, *args, "--pivot", f"fr={plain}").code == 0
    # Beside English copy, only the article that needs the pivot is left out (the whole run
    # had stopped, exit 4, while a pivot not there at all left out its articles only).
    english = str(ENGLISH)
    mixed = run("summarize", arabic, english, *args, "--pivot", f"ar={fr_en}", "-f", "json")
    assert mixed.code == 3, mixed.err
    out = json.loads(mixed.out)
    assert [b["source"] for b in out["briefs"]] == [english]
    assert out["failed"][0]["source"] == arabic
    assert "translates from fr, not ar" in out["failed"][0]["error"]


def test_a_summarizer_named_with_the_extractive_engine_is_said_to_be_unused() -> None:
    # -m fr=/models/barthez --engine extractive ran without a word, the model never looked at.
    french = str(ARTICLES / "fr-greve.txt")
    args = ("--engine", "extractive", "-l", "fr", "--no-cache", "-f", "text")
    result = run("summarize", french, *args, "-m", "fr=/models/barthez", "-m", "/models/bart")
    assert result.code == 0, result.err
    assert (
        "--engine extractive summarizes with no model: -m /models/bart -m fr=/models/barthez "
        "is not used"
    ) in result.err
    assert "not used" not in run("summarize", french, *args).err


def test_every_model_an_article_lacks_is_named(bart: Path, tmp_path: Path) -> None:
    # A French summarizer and the fr→en pivot both missing, for an English brief of French
    # copy: only the pivot was named, and the rerun with it failed on the summarizer.
    french = str(ARTICLES / "fr-greve.txt")
    summarizer, pivot = tmp_path / "barthez", tmp_path / "opus-mt-fr-en"
    result = run(
        "summarize", french, "-m", str(bart), "-m", f"fr={summarizer}", "--pivot", f"fr={pivot}"
    )
    assert result.code == 4
    assert f"its fr→en translator: model folder '{pivot}' does not exist" in result.err
    assert f"its fr summarizer: model folder '{summarizer}' does not exist" in result.err
