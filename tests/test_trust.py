"""A brief an editor can trust, end to end: fact checks, the output guard, glossary, citations.

The stub engines below wrap a tiny random model's tokenizer and config (so chunking and
language tokens work as they do for real models) and answer generate() with known text:
the summarizer copies sentences of examples/paris-coalition-meeting.txt, the translator
looks up hand-written French translations of them.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from briefer import Briefer, Options
from briefer.checks import Finding
from briefer.cli import Env, main
from briefer.engines import registry
from briefer.sources import read_path

STRIKES = (
    "More than 4,100 airstrikes by the U.S.-led coalition have failed to stem gains by "
    "Islamic State since 2015."
)
FABIUS = (
    "France's foreign minister, Laurent Fabius, said airstrikes can only be effective if all "
    'Iraqis believe "the government is inclusive."'
)
BRIEF = f"{STRIKES} {FABIUS}"
FRENCH = {
    STRIKES: "Plus de 4 100 frappes aériennes de la coalition menée par les États-Unis n'ont pas "
    "arrêté les avancées de l'État islamique depuis 2015.",
    FABIUS: "Le ministre français des Affaires étrangères, Laurent Fabius, a déclaré que les "
    "frappes ne peuvent être efficaces que si tous les Irakiens croient que « le gouvernement "
    "est inclusif ».",
    "Iraq allies vow support for plan to defeat IS": "Les alliés de l'Irak promettent leur "
    "soutien au plan pour vaincre l'EI",
}


class Stub:
    """An engine answering generate() with a function of each input text.

    Everything else (token counting, limits, language targets) is the wrapped real engine's,
    so chunking and target selection work as they do for real models.
    """

    def __init__(self, real: Any, answer: Callable[[str], str], name: str = "stub"):
        self._real = real
        self.name = name
        self.answer = answer
        self.calls: list[list[str]] = []

    def __getattr__(self, attribute: str) -> Any:
        """Return the wrapped engine's attribute (settings, counters, limits, targets)."""
        return getattr(self._real, attribute)

    def generate(self, groups: Sequence[tuple[Sequence[str], Any]]) -> list[list[str]]:
        """Return the stub's answer for each text of each group, recording each group."""
        results = []
        for texts, _settings in groups:
            self.calls.append(list(texts))
            results.append([self.answer(t) for t in texts])
        return results


def torch_engine(folder: Path) -> Any:
    """Return a tiny random model loaded on the torch engine."""
    return registry.load(str(folder), "torch", "cpu")


def summarizer(bart: Path, change: tuple[str, str] = ("", "")) -> Stub:
    """Return a stub summarizer that always writes BRIEF, with one change applied."""
    return Stub(torch_engine(bart), lambda _text: BRIEF.replace(*change) if change[0] else BRIEF)


def translator(marian_fr: Path, drop: str = "", change: tuple[str, str] = ("", "")) -> Stub:
    """Return a stub en→fr translator that looks sentences up in FRENCH, dropping a word.

    A sentence with a changed number is translated with the same change, faithfully.
    """
    old, new = change

    def answer(text: str) -> str:
        """Return the French of a known sentence."""
        if old and new in text:
            french = FRENCH[text.replace(new, old)]
            french = french.replace(old.replace(",", " "), new.replace(",", " "))
        else:
            french = FRENCH[text]
        return french.replace(f" {drop}", "") if drop else french

    return Stub(torch_engine(marian_fr), answer)


def patch_models(monkeypatch: pytest.MonkeyPatch, engines: dict[str, Stub]) -> None:
    """Make the engine registry return the stubs by model name."""
    monkeypatch.setattr(registry, "load", lambda name, *a, **k: engines[name])


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI; return its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdin=io.BytesIO(), stdout=out, stderr=err, stdin_isatty=True, stderr_isatty=False)
    code = main(list(args), env)
    return code, out.getvalue(), err.getvalue()


CASES = [
    ({}, []),
    ({"change": ("4,100", "4,700")}, [Finding("number", "4,700 is not in the source", "brief")]),
    ({"change": ("2015", "2016")}, [Finding("date", "2016 is not in the source", "brief")]),
    ({"drop": "Fabius"}, [Finding("name", "Laurent Fabius is missing", "translation (fr)")]),
]


@pytest.mark.parametrize(("mistake", "expected"), CASES)
def test_findings_in_json_markdown_and_stderr(
    bart: Path, marian_fr: Path, sample: Path, monkeypatch, mistake, expected
) -> None:
    engines = {
        "sum": summarizer(bart, mistake.get("change", ("", ""))),
        "fr": translator(marian_fr, mistake.get("drop", ""), mistake.get("change", ("", ""))),
    }
    patch_models(monkeypatch, engines)
    base = ("summarize", str(sample), "-m", "sum", "-l", "fr", "-t", "fr", "--no-cache")
    code, out, err = run_cli(*base, "-f", "json")
    assert code == 0, err
    (brief,) = json.loads(out)["briefs"]
    assert [Finding(**c) for c in brief["checks"]] == expected
    code, markdown, err = run_cli(*base)
    lines = [line for line in markdown.splitlines() if "Check:" in line]
    stderr_lines = [line for line in err.splitlines() if line.startswith("briefer: check ")]
    if not expected:
        assert lines == [] and stderr_lines == []
        return
    (finding,) = expected
    assert lines == [f"**⚠ Check: {finding.text} ({finding.where})**"]
    assert stderr_lines == [f"briefer: check {sample} [fr]: {finding.text} ({finding.where})"]
    # The flagged line sits under the brief, before its metadata line.
    body = markdown.split(lines[0])[0]
    assert FRENCH[FABIUS].replace(" Fabius", "" if "drop" in mistake else " Fabius") in body


def test_numbers_survive_an_arabic_translation_in_either_digits(
    bart, marian_ar, sample, monkeypatch
):
    arabic = {
        STRIKES: "أكثر من ٤٬١٠٠ غارة جوية للتحالف فشلت في وقف تقدم الدولة الإسلامية منذ ٢٠١٥.",
        FABIUS: "وقال وزير الخارجية الفرنسي لوران فابيوس إن الغارات لن تكون فعالة إلا إذا كانت "
        "الحكومة شاملة.",
        "Iraq allies vow support for plan to defeat IS": "حلفاء العراق يتعهدون بدعم خطة هزيمة التنظيم",
    }
    real = torch_engine(marian_ar)
    for table in (
        arabic,
        {k: v.replace("٤٬١٠٠", "4,100").replace("٢٠١٥", "2015") for k, v in arabic.items()},
    ):
        briefer = Briefer(Options(lang="ar", backend="torch"))
        briefer._summarizer = summarizer(bart)
        # The engine puts the Arabic model's >>ara<< token in front; the stub gets the sentence.
        briefer._translators["ar"] = Stub(real, lambda t, table=table: table[t])
        brief = briefer.brief(read_path(str(sample)))
        assert brief.checks == ()
    changed = {k: v.replace("٤٬١٠٠", "٤٬٧٠٠") for k, v in arabic.items()}
    briefer._translators["ar"] = Stub(real, lambda t: changed[t])
    brief = briefer.brief(read_path(str(sample)))
    assert brief.checks == (Finding("number", "4,100 became ٤٬٧٠٠", "translation (ar)"),)


def test_strict_facts_moves_the_article_to_not_included(
    bart: Path, marian_fr: Path, sample: Path, tmp_path: Path, monkeypatch
) -> None:
    other = tmp_path / "tokyo.txt"
    other.write_text("Markets slide in Tokyo\n\nShares fell sharply in Tokyo on Monday.\n")
    real = torch_engine(bart)
    wrong = BRIEF.replace("4,100", "4,700")
    # The Paris story gets a changed number; the Tokyo story its own sentence, faithfully.
    stub = Stub(real, lambda text: "Shares fell in Tokyo on Monday." if "Tokyo" in text else wrong)
    french = translator(marian_fr, change=("4,100", "4,700"))
    lookup = french.answer
    french.answer = lambda t: "Les marchés chutent à Tokyo lundi." if "Tokyo" in t else lookup(t)
    patch_models(monkeypatch, {"sum": stub, "fr": french})
    code, out, err = run_cli(
        "summarize", str(sample), str(other), "-m", "sum", "-l", "fr", "-t", "fr",
        "--strict-facts", "--no-cache", "-f", "json",
    )  # fmt: skip
    assert code == 3, err
    document = json.loads(out)
    assert [b["source"] for b in document["briefs"]] == [str(other)]
    assert document["failed"] == [
        {"source": str(sample), "error": "fact check: 4,700 is not in the source (brief)"}
    ]
    code, markdown, err = run_cli(
        "summarize", str(sample), str(other), "-m", "sum", "-l", "fr", "-t", "fr",
        "--strict-facts", "--no-cache",
    )  # fmt: skip
    assert code == 3, err
    not_included = markdown.split("## Not included", 1)[1]
    assert f"- {sample}: fact check: 4,700 is not in the source (brief)" in not_included
    assert markdown.count("\n## ") == 3  # Contents, the Tokyo story, Not included
    code, out, err = run_cli(
        "summarize", str(sample), str(other), "-m", "sum", "-l", "fr", "-t", "fr", "--no-cache"
    )
    assert code == 0, err  # without --strict-facts the brief is flagged, not left out
    assert "## Not included" not in out and "**⚠ Check: 4,700 is not in the source (brief)**" in out
    # Every article left out: no brief is written over yesterday's, and the run fails (a
    # brief of "0 articles" had been written, exit 3, as if only some sources failed).
    output = tmp_path / "brief.md"
    output.write_text("yesterday's brief\n")
    only = ("-m", "sum", "-l", "fr", "-t", "fr", "--strict-facts", "--no-cache")
    code, out, err = run_cli("summarize", str(sample), str(sample), *only, "-o", str(output))
    assert code == 1 and out == ""
    assert "no brief: every article was left out" in err and "4,700" in err
    assert output.read_text() == "yesterday's brief\n"


def test_bad_strategy_and_glossary_are_usage_errors(sample: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("summarize", str(sample), "--strategy", "fold")
    assert code == 2 and "unknown strategy 'fold'; choose one of: reduce, shares" in err
    bad = tmp_path / "glossary.toml"
    bad.write_text("keep = [", encoding="utf-8")
    # The glossary is read before any model loads: the missing model is never reached.
    code, _, err = run_cli(
        "translate", str(sample), "-l", "fr", "-t", str(tmp_path / "none"), "--glossary", str(bad)
    )
    assert code == 2 and str(bad) in err and len(err.splitlines()) == 1, err


def test_a_cited_quote_keeps_its_own_quotation_marks() -> None:
    from briefer.brief import Brief
    from briefer.checks import SourceSentence, Support
    from briefer.chunking import Chunk
    from briefer.render import citations

    quote = '"Our children need safe water," said the mayor.'
    plain = "The council met on Tuesday."
    summary = "Water is safe. The council met."
    chunk = Chunk(start=0, end=len(summary), sentences=((0, 14), (15, 31)), text=summary, tokens=8)
    brief = Brief(
        "wire/a.txt", "Water", summary, "en", (chunk,), {"summarizer": "s"}, 40,
        support=(
            Support(0, 14, "Water is safe.", 1.0, (SourceSentence(0, 47, 2, quote),)),
            Support(15, 31, "The council met.", 1.0, (SourceSentence(48, 75, 3, plain),)),
        ),
    )  # fmt: skip
    _, notes = citations(brief)
    # It read 'Paragraph 2: ""Our children need safe water," said the mayor."'.
    assert [str(n["line"]) for n in notes] == [
        f"[^1]: Paragraph 2: {quote}",
        f'[^2]: Paragraph 3: "{plain}"',
    ]


# A sentence of the example article, which stubs copy word for word.
AIRSTRIKES = (
    "More than 4,100 airstrikes by the U.S.-led coalition have failed to stem gains by "
    "Islamic State."
)


def test_cite_footnotes_name_the_paragraphs(bart: Path, sample: Path, monkeypatch) -> None:
    article = read_path(str(sample))
    # Whitespace normalised: the article has no-break spaces inside some sentences.
    paragraphs = [" ".join(article.text[s:e].split()) for s, e in article.body]
    # The stub copies these two sentences of the article word for word.
    first = AIRSTRIKES
    second = "Observers and politicians have warned that sectarianism in Iraq could be the death knell to efforts to combat IS."
    real = torch_engine(bart)
    patch_models(monkeypatch, {"sum": Stub(real, lambda _t: f"{first} {second}")})
    code, markdown, err = run_cli("summarize", str(sample), "-m", "sum", "--cite", "--no-cache")
    assert code == 0, err
    where = [next(i for i, p in enumerate(paragraphs, 1) if s in p) for s in (first, second)]
    assert f"{first}[^1] {second}[^2]" in markdown
    assert f'[^1]: Paragraph {where[0]}: "{first}"' in markdown
    assert f'[^2]: Paragraph {where[1]}: "{second}"' in markdown
    code, out, _ = run_cli("summarize", str(sample), "-m", "sum", "-f", "json", "--no-cache")
    support = json.loads(out)["briefs"][0]["support"]
    for item, sentence, paragraph in zip(support, (first, second), where, strict=True):
        (source,) = item["sources"]
        assert " ".join(article.text[source["start"] : source["end"]].split()) == sentence
        assert source["paragraph"] == paragraph and item["score"] == 1.0


def test_an_unsupported_sentence_gets_no_footnote(bart: Path, sample: Path, monkeypatch) -> None:
    """A sentence the support check flags cited the paragraph of its best match anyway, a
    footnote vouching for it beside the line saying nothing supports it."""
    first = AIRSTRIKES
    invented = "Mr. Fabius spoke warmly about tulips, windmills and cheese in Rotterdam."
    real = torch_engine(bart)
    patch_models(monkeypatch, {"sum": Stub(real, lambda _t: f"{first} {invented}")})
    code, markdown, err = run_cli("summarize", str(sample), "-m", "sum", "--cite", "--no-cache")
    assert code == 0, err
    assert f"{first}[^1] {invented}" in markdown and "[^2]" not in markdown
    assert "[^1]: Paragraph" in markdown
    code, out, _ = run_cli("summarize", str(sample), "-m", "sum", "-f", "json", "--no-cache")
    support = json.loads(out)["briefs"][0]["support"]
    assert support[1]["score"] < 0.45 and support[1]["sources"]  # the JSON still shows it


def test_three_chunk_reduce_with_a_stub_counts_calls(bart: Path, sample: Path, caplog) -> None:
    import logging

    article = read_path(str(sample))
    text = "Coalition talks\n\n" + "\n\n".join(article.text[s:e] for s, e in article.body[:8])
    real = torch_engine(bart)
    stub = Stub(real, lambda t: f"Summary of {len(t)} characters.")
    briefer = Briefer(Options(backend="torch"))
    briefer._summarizer = stub
    with caplog.at_level(logging.INFO, logger="briefer"):
        brief = briefer.brief(text)
    assert len(brief.chunks) == 3
    # -v says which pass is running, so a long run is not silent between its chunk count and
    # its end.
    passes = [r.getMessage() for r in caplog.records if " pass: " in r.getMessage()]
    assert passes == ["map pass: 3 chunks of 1 article", "reduce pass: 1 input of 1 article"]
    assert [len(c) for c in stub.calls] == [3, 1]
    assert stub.calls[1] == [
        " ".join(f"Summary of {len(c.text)} characters." for c in brief.chunks)
    ]
    assert brief.summary == f"Summary of {len(stub.calls[1][0])} characters."
    # The benchmark's cost table reads these: each pass and the checks, timed inside briefer.
    assert set(briefer.timings) == {"map", "reduce", "checks"}
    assert all(seconds >= 0 for seconds in briefer.timings.values())
    one = Briefer(Options(backend="torch"))
    one._summarizer = stub
    one.brief(ARTICLE)
    assert set(one.timings) == {"map", "checks"}  # one chunk: no reduce pass


@pytest.mark.parametrize("strategy", ["reduce", "shares"])
def test_summaries_that_cannot_shrink_are_kept_with_a_warning_naming_the_article(
    bart: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str
) -> None:
    # A summarizer that writes as much as it reads (a model whose --max-length is its input
    # limit): the chunk summaries, joined, fill as many chunks as the article did.
    article = read_path(str(sample))
    story = tmp_path / "long-read.txt"
    story.write_text(
        "Coalition talks\n\n" + "\n\n".join(article.text[s:e] for s, e in article.body[:8]),
        encoding="utf-8",
    )
    echo = Stub(torch_engine(bart), lambda text: text)
    patch_models(monkeypatch, {"sum": echo})
    code, out, err = run_cli(
        "summarize", str(story), "-m", "sum", "--no-cache", "--strategy", strategy, "-f", "json"
    )
    assert code == 0, err
    chunks = len(json.loads(out)["briefs"][0]["chunks"])
    assert chunks > 1
    assert f"briefer: {story}: summary kept as {chunks} joined parts" in err
    assert len(echo.calls) == 1  # no pass over the joined parts was tried


BODY = (
    "The ministers met in Paris on Tuesday to agree a plan against the militants. "
    "They said the talks had gone well and that more meetings would follow."
)
ARTICLE = f"Ministers agree new plan in Paris\n\n{BODY}\n"
# Greedy decoding over 60 tokens: the tiny random Marian falls into "filler18 filler18 …".
LOOPING = {"max_length": 60, "beams": 1}


def reference(folder: Path, text: str, **settings: object) -> str:
    """Return what plain tokenizer → generate → decode gives for one text."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    with torch.no_grad():
        output = model.generate(**tokenizer(text, return_tensors="pt"), **settings)
    return tokenizer.decode(output[0], skip_special_tokens=True).strip()


def engine_on(backend: str, folder: Path) -> Any:
    """Return a tiny model on an engine; CTranslate2 in float32, which gives torch's tokens."""
    if backend == "ctranslate2":
        from briefer.engines import ctranslate2

        return ctranslate2.load(str(folder), "cpu", 8, compute_type="float32")
    return registry.load(str(folder), "torch", "cpu", 8)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_a_looping_summary_is_replaced_by_the_extractive_brief(marian_fr: Path, backend: str):
    from briefer import checks
    from briefer.render import render

    raw = reference(marian_fr, BODY, max_length=60, num_beams=1)
    assert checks.loops(raw), raw  # the fixture: a tiny random model looping by nature
    # A Marian is a seq2seq model like any other: here it is the summarizer.
    briefer = Briefer(Options(model=str(marian_fr), backend=backend, **LOOPING))
    briefer._summarizer = engine_on(backend, marian_fr)
    brief = briefer.brief(ARTICLE)
    extractive = Briefer(Options(engine="extractive")).brief(ARTICLE)
    assert brief.summary == extractive.summary
    note = Finding("fallback", "the model's summary loops; extractive brief used instead", "brief")
    assert brief.checks[0] == note
    assert brief.models["summarizer"] == f"extractive (TextRank), in place of {marian_fr}"
    flagged = f"{note.text} ({note.where})"
    assert f"**⚠ Check: {flagged}" in render([brief], "markdown")
    assert render([brief], "text").splitlines()[1].startswith(f"⚠ Check: {flagged}")
    assert json.loads(render([brief], "json"))["briefs"][0]["checks"][0] == asdict(note)
    assert json.loads(render([brief], "jsonl"))["checks"][0] == asdict(note)


class Greedy:
    """A translator engine made to decode greedily over 60 tokens, recording each group."""

    def __init__(self, engine: Any):
        self._engine = engine
        self.calls: list[tuple[list[str], Any]] = []

    def __getattr__(self, attribute: str) -> Any:
        """Return the wrapped engine's attribute."""
        return getattr(self._engine, attribute)

    def generate(self, groups: Sequence[tuple[Sequence[str], Any]]) -> list[list[str]]:
        """Generate each group with greedy 60-token settings laid over its own."""
        greedy = [
            (list(texts), settings.with_values("test", max_length=60, num_beams=1))
            for texts, settings in groups
        ]
        self.calls += greedy
        return self._engine.generate(greedy)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_a_looping_translation_is_retried_then_kept_in_english(
    marian_fr: Path, backend: str
) -> None:
    from briefer import checks, translate

    sentence = BODY.split(". ")[0] + "."
    looped = reference(marian_fr, sentence, max_length=60, num_beams=1)
    assert checks.loops(looped), looped
    model = Greedy(engine_on(backend, marian_fr))
    # One text alone, as the reference runs it: no padding to change a random model's floats.
    (result,) = translate.translate_guarded(model, [sentence], "fr")
    retry = reference(marian_fr, sentence, max_length=60, num_beams=1, no_repeat_ngram_size=3)
    # The sentence loops, and is translated again alone with repeated trigrams blocked.
    assert [texts for texts, _ in model.calls] == [[sentence], [sentence]]
    assert model.calls[1][1].no_repeat_ngram_size == 3
    reason = checks.degenerate(retry, sentence, "translation")
    assert result == translate.Translated(sentence if reason else retry, reason)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_every_looping_translation_is_retried_in_one_batch(marian_fr: Path, backend: str) -> None:
    from briefer import checks, translate

    # BODY's two sentences and a third between them: the tiny random Marian loops on several.
    sentences = [
        "The ministers met in Paris on Tuesday to agree a plan against the militants.",
        "Shares fell sharply in Tokyo on Monday as the yen rose against the dollar.",
        "They said the talks had gone well and that more meetings would follow.",
    ]
    text = " ".join(sentences)
    model = Greedy(engine_on(backend, marian_fr))
    results = translate.translate_guarded(model, [text], "fr")
    first, *retries = model.calls
    assert first[0] == sentences
    outputs = model._engine.generate([first])[0]  # the same batch again: the same padding
    looped = [
        s for s, o in zip(sentences, outputs, strict=True) if checks.degenerate(o, s, "translation")
    ]
    assert len(looped) >= 2, "the fixture: a tiny random model looping on several sentences"
    # The sentences that failed go back to the model once, together, with trigrams blocked.
    assert [texts for texts, _ in retries] == [looped]
    assert retries[0][1].no_repeat_ngram_size == 3
    again = model._engine.generate(retries)[0]
    still = [
        r
        for s, a in zip(looped, again, strict=True)
        if (r := checks.degenerate(a, s, "translation"))
    ]
    if still:  # left in English, with the first failure's reason
        assert results == [translate.Translated(text, still[0])]
    else:
        assert results[0].untranslated is None
        assert all(" ".join(a.split()) in results[0].text for a in again)


def test_an_untranslated_brief_is_flagged_in_every_format(bart: Path, marian_fr: Path) -> None:
    from briefer.render import render

    sentence = BODY.split(". ")[0] + "."
    briefer = Briefer(Options(lang="fr", backend="torch", translator=str(marian_fr)))
    briefer._summarizer = Stub(torch_engine(bart), lambda _t: sentence)
    # A translator that loops on every sentence, as the tiny random Marian does above.
    translator = Stub(torch_engine(marian_fr), lambda t: "filler18 " * 12)
    briefer._translators["fr"] = translator
    brief = briefer.brief(ARTICLE)
    # Both sentences were tried in the batch, then again together in one more; both loop, so
    # the brief stays English.
    title = "Ministers agree new plan in Paris"
    assert translator.calls == [[title, sentence], [title, sentence]]
    assert brief.summary == sentence and brief.title == "Ministers agree new plan in Paris"
    # The brief is labelled as what it is: English, not the French that was asked for.
    assert brief.language == "en" and brief.source_language == "en"
    assert "Language: en" in render([brief], "markdown")
    record = json.loads(render([brief], "json"))["briefs"][0]
    assert record["language"] == "en"
    # What was sent for translation stays in the record, as for any translated brief.
    assert record["original"] == {"title": title, "summary": sentence}
    for where in ("title (fr)", "translation (fr)"):
        note = Finding("untranslated", "the translation loops; left in English", where)
        assert note in brief.checks
        flagged = f"{note.text} ({note.where})"
        assert flagged in render([brief], "markdown") and flagged in render([brief], "text")
        assert asdict(note) in json.loads(render([brief], "json"))["briefs"][0]["checks"]


ARABIC = "التقى الوزراء في باريس يوم الثلاثاء للاتفاق على خطة ضد المسلحين."


def _heading_html(markdown: str) -> list[str]:
    """Return the inline HTML inside the document's headings, as markdown-it parses them."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    return [
        child.content
        for n, token in enumerate(tokens)
        if token.type == "heading_open"
        for child in tokens[n + 1].children or []
        if child.type == "html_inline"
    ]


@pytest.mark.parametrize("kept", ["title", "summary"])
def test_a_part_left_in_english_keeps_its_own_direction_in_an_arabic_brief(
    bart: Path, marian_ar: Path, kept: str
) -> None:
    from briefer.render import render

    sentence = BODY.split(". ")[0] + "."
    title = "Ministers agree new plan in Paris"
    briefer = Briefer(Options(lang="ar", backend="torch", translator=str(marian_ar)))
    briefer._summarizer = Stub(torch_engine(bart), lambda _t: sentence)
    # The translator loops on one part, as the tiny random Marian does, and translates the other.
    looped = title if kept == "title" else sentence
    briefer._translators["ar"] = Stub(
        torch_engine(marian_ar),
        lambda t: "filler18 " * 12 if t == looped else ("خطة جديدة" if t == title else ARABIC),
    )
    brief = briefer.brief(ARTICLE)
    markdown = render([brief], "markdown")
    if kept == "title":
        # An Arabic summary under an English title: the title reads left to right inside the
        # summary's right-to-left block.
        assert (brief.title, brief.summary, brief.language) == (title, ARABIC, "ar")
        assert brief.title_language == "en"
        assert f'# <span dir="ltr" lang="en">{title}</span>' in markdown
        assert markdown.index('<div dir="rtl" lang="ar">') < markdown.index(title)
        assert markdown.index(ARABIC) < markdown.index("</div>")
        assert _heading_html(markdown) == ['<span dir="ltr" lang="en">', "</span>"]
    else:
        # The summary kept in English is no Arabic brief (no block), but its title is Arabic.
        assert (brief.title, brief.summary, brief.language) == ("خطة جديدة", sentence, "en")
        assert brief.title_language == "ar"
        assert '# <span dir="rtl" lang="ar">خطة جديدة</span>' in markdown
        assert 'dir="rtl" lang="ar">\n' not in markdown and "<div" not in markdown
        assert _heading_html(markdown) == ['<span dir="rtl" lang="ar">', "</span>"]
    # The JSON and text are as they were: the record's checks say which part was kept.
    record = json.loads(render([brief], "json"))["briefs"][0]
    assert "title_language" not in record
    where = "title (ar)" if kept == "title" else "translation (ar)"
    assert any(c["kind"] == "untranslated" and c["where"] == where for c in record["checks"])


def test_a_title_in_the_briefs_own_language_gets_no_span(bart: Path, marian_ar: Path) -> None:
    from briefer.render import render

    briefer = Briefer(Options(lang="ar", backend="torch", translator=str(marian_ar)))
    briefer._summarizer = Stub(torch_engine(bart), lambda _t: BODY.split(". ")[0] + ".")
    briefer._translators["ar"] = Stub(
        torch_engine(marian_ar), lambda t: "خطة جديدة" if t.startswith("Ministers") else ARABIC
    )
    brief = briefer.brief(ARTICLE)
    assert brief.title_language == "" and brief.language == "ar"
    markdown = render([brief], "markdown")
    assert "<span" not in markdown and "# خطة جديدة" in markdown


def test_no_guard_keeps_the_models_output(bart: Path, marian_fr: Path) -> None:
    """--no-guard: a looping summary and a looping translation are kept as the models wrote
    them, tried once each, with no fallback or untranslated note (the benchmark's setting:
    random weights loop, real models rarely do)."""
    loop = "filler18 " * 12
    options = Options(lang="fr", backend="torch", translator=str(marian_fr), guard=False)
    briefer = Briefer(options)
    briefer._summarizer = Stub(torch_engine(bart), lambda _t: loop)
    translator = Stub(torch_engine(marian_fr), lambda t: loop)
    briefer._translators["fr"] = translator
    brief = briefer.brief(ARTICLE)
    assert translator.calls == [["Ministers agree new plan in Paris", loop.strip()]]
    assert brief.title == loop.strip() and brief.summary == loop.strip()
    assert not [f for f in brief.checks if f.kind in {"fallback", "untranslated"}]
    # The same run under the guard falls back and flags it: the option is what differs.
    guarded = Briefer(replace(options, guard=True))
    guarded._summarizer = Stub(torch_engine(bart), lambda _t: loop)
    guarded._translators["fr"] = Stub(torch_engine(marian_fr), lambda t: loop)
    assert any(f.kind == "fallback" for f in guarded.brief(ARTICLE).checks)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_glossary_terms_survive_a_random_translator(marian_fr: Path, tmp_path: Path, backend):
    glossary = tmp_path / "glossary.toml"
    glossary.write_text(
        'keep = ["Laurent Fabius", "DGAP"]\n[terms."Islamic State"]\nfr = "État islamique"\n',
        encoding="utf-8",
    )
    # guard=False: the tiny random Marian loops, and the terms must survive its own output.
    options = Options(
        backend=backend, lang="fr", translator=str(marian_fr), glossary=str(glossary), guard=False
    )
    briefer = Briefer(options)
    briefer._translators["fr"] = engine_on(backend, marian_fr)
    text = (
        "Laurent Fabius said the Islamic State group must be stopped. "
        "Experts at DGAP disagree. The talks went well."
    )
    out = briefer.translate(text, markdown=False)
    assert out.count("Laurent Fabius") == 1
    assert out.count("État islamique") == 1
    assert out.count("DGAP") == 1
    assert "Islamic State" not in out


# Texts an article or a model may hold that would be markup if written as they are.
HOSTILE = [
    "# INJECTED heading",
    "[click me](javascript:alert(1))",
    "</div><script>alert(1)</script>",
    "line one\n# INJECTED after a newline\n\n---\n\n- item",
    "![img](http://evil.example/x.png) <http://evil.example> *bold* `code` &amp; | a | b |",
    "1. ordered\n> quote\n    indented code\n=====",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_findings_and_citations_cannot_make_markdown(text: str) -> None:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    from briefer.brief import Brief
    from briefer.checks import SourceSentence, Support
    from briefer.chunking import Chunk
    from briefer.render import render

    summary = "Shares fell."
    chunk = Chunk(start=0, end=12, sentences=((0, 12),), text=summary, tokens=4)
    brief = Brief(
        "wire/a.txt",
        "Markets",
        summary,
        "en",
        (chunk,),
        {"summarizer": "sshleifer/distilbart-cnn-12-6"},
        120,
        checks=(Finding("name", f"{text} is not in the source", "brief"),),
        support=(Support(0, 12, summary, 0.5, (SourceSentence(0, 12, 2, text),)),),
    )
    out = render([brief], "markdown", cite=True)
    parser = MarkdownIt("commonmark").enable("table").enable("strikethrough").use(footnote_plugin)
    tokens = parser.parse(out)
    kinds = [t.type for t in tokens]
    # The headline, the brief, the flagged line, the metadata line, and one footnote.
    assert kinds.count("heading_open") == 1 and kinds.count("footnote_open") == 1
    assert kinds.count("paragraph_open") == 4
    for kind in ("html_block", "blockquote_open", "code_block", "table_open", "hr"):
        assert kind not in kinds
    assert "bullet_list_open" not in kinds and "ordered_list_open" not in kinds
    inline = {c.type for t in tokens for c in (t.children or [])}
    markup = {"em_open", "em_close", "strong_open", "strong_close", "footnote_ref"}
    assert inline <= {"text", "softbreak"} | markup
    html = parser.render(out)
    assert "<script>" not in html


class Scripted:
    """A translator engine that answers by rule, to make chosen sentences fail the guard."""

    backend, name, revision, task_prefix = "scripted", "scripted", None, ""

    def __init__(self, answer: Callable[[str], str]) -> None:
        from briefer.engines.base import GenerationSettings

        self.settings = self.summary_settings = GenerationSettings()
        self._answer = answer

    def input_limit(self) -> int:
        return 512

    def output_limit(self) -> int | None:
        return None

    def counter(self, template: str = "{text}") -> Any:
        return self

    def count(self, text: str) -> int:
        return len(text.split())

    def targets(self) -> None:
        return None

    def generate(self, groups: Sequence[tuple[Sequence[str], Any]]) -> list[list[str]]:
        return [[self._answer(text) for text in texts] for texts, _ in groups]


def _names_kept(folder: Path) -> Any:
    """Return a newsroom glossary that keeps two names verbatim, read from its TOML file."""
    from briefer import glossary

    path = folder / "glossary.toml"
    path.write_text('keep = ["Laurent Fabius", "DGAP"]\n', encoding="utf-8")
    return glossary.load(path)


def test_each_text_kept_in_english_gives_its_own_reason_with_a_glossary(tmp_path: Path) -> None:
    from briefer import checks, glossary, translate

    # Two briefs, each with a glossary term, each failing the guard its own way: the model
    # hands the first back untranslated and loops on the second, on the retry too. The guard
    # sees the sentences with their terms masked, and each brief must still name its own
    # failure, not the first one of the run.
    terms = _names_kept(tmp_path)
    copied = "Laurent Fabius told the ministers that the plan would work."
    looping = "Shares fell sharply in Tokyo as DGAP analysts watched."

    def answer(text: str) -> str:
        return text if "ministers" in text else "encore " * 60

    results = translate.translate_guarded(Scripted(answer), [copied, looping], "fr", terms)
    expected = [
        checks.degenerate(answer(given), given, "translation")
        for given in (glossary.mask(copied, terms).text, glossary.mask(looping, terms).text)
    ]
    assert expected[0] and expected[1] and expected[0] != expected[1], expected
    assert results == [
        translate.Translated(copied, expected[0]),
        translate.Translated(looping, expected[1]),
    ]


def test_a_brief_whose_glossary_piece_fails_gives_that_pieces_reason(tmp_path: Path) -> None:
    from briefer import checks, glossary, translate

    # The model drops the placeholder of a masked sentence, so glossary.protect translates the
    # text between the terms piece by piece, and the model loops on one piece, on the retry
    # too. The guard saw only that piece: the brief must still name its failure. Before it, in
    # the same run, another brief fails whole with another reason.
    terms = _names_kept(tmp_path)
    copied = "Laurent Fabius told the ministers that the plan would work."
    pieced = "Shares fell as DGAP analysts watched the market."
    loops_on = "analysts watched the market."

    def answer(text: str) -> str:
        if "ministers" in text:
            return text
        if any(ch.isdigit() for ch in text):
            return "Une phrase sans le nom."
        return "encore " * 60 if text == loops_on else "Les actions ont baissé."

    results = translate.translate_guarded(Scripted(answer), [copied, pieced], "fr", terms)
    whole = glossary.mask(copied, terms).text
    expected = [
        checks.degenerate(answer(whole), whole, "translation"),
        checks.degenerate(answer(loops_on), loops_on, "translation"),
    ]
    assert expected[0] and expected[1] and expected[0] != expected[1], expected
    assert results == [
        translate.Translated(copied, expected[0]),
        translate.Translated(pieced, expected[1]),
    ]


def test_translate_keeps_each_failing_passage_and_says_so(bart: Path, marian_fr: Path) -> None:
    from briefer.translate import Translated

    # Briefer.translate (the translate command) under the guard: a passage whose translation
    # loops, on the retry too, stays as it was and is reported; the others are translated.
    doc = "# Morning notes\n\nThe talks went well.\n\n- Shares fell in Tokyo.\n"

    def answer(text: str) -> str:
        return "encore " * 30 if "talks" in text else f"FR {text}"

    for guard in (True, False):
        briefer = Briefer(
            Options(lang="fr", backend="torch", translator=str(marian_fr), guard=guard)
        )
        translator = Stub(torch_engine(marian_fr), answer)
        briefer._translators["fr"] = translator
        kept: list[Translated] = []
        out = briefer.translate(doc, kept=kept)
        if guard:
            assert (
                out == "# FR Morning notes\n\nThe talks went well.\n\n- FR Shares fell in Tokyo.\n"
            )
            assert kept == [Translated("The talks went well.", "loops")]
            # Tried in the batch, then once more alone with repeats blocked.
            assert translator.calls[1] == ["The talks went well."]
        else:
            assert "encore encore" in out and kept == []
        plain: list[Translated] = []
        text = briefer.translate("The talks went well.\n\nShares fell.", markdown=False, kept=plain)
        # Plain text is guarded paragraph by paragraph.
        looped = " ".join(["encore"] * 30)
        assert text == ("The talks went well." if guard else looped) + "\n\nFR Shares fell."
        assert plain == ([Translated("The talks went well.", "loops")] if guard else [])


def test_translate_command_names_kept_passages_as_written(
    marian_fr: Path, tmp_path: Path, monkeypatch
):
    from briefer import cli

    # A translator that loops on everything: the whole Arabic document stays as it was, so it
    # gets no right-to-left wrapper, and the warning quotes the passage without the numbered
    # tags its inline markup travelled in (<1>Paris</1>).
    doc = tmp_path / "notes.md"
    doc.write_text("The ministers met in **Paris** on Tuesday.\n", encoding="utf-8")
    looping = Stub(torch_engine(marian_fr), lambda t: "filler18 " * 12)
    real = cli._briefer

    def with_stub(options):  # noqa: ANN001, ANN202
        briefer = real(options)
        briefer._translators["ar"] = looping
        return briefer

    monkeypatch.setattr(cli, "_briefer", with_stub)
    out, err = io.StringIO(), io.StringIO()
    env = Env(io.BytesIO(), out, err, stdin_isatty=True, stderr_isatty=False)
    assert (
        main(["translate", str(doc), "-l", "ar", "-t", str(marian_fr), "--backend", "torch"], env)
        == 0
    )
    assert out.getvalue() == doc.read_text(encoding="utf-8")  # no dir="rtl" wrapper
    assert "'The ministers met in Paris on Tuesday.' (ar): the translation loops" in err.getvalue()
    assert "<1>" not in err.getvalue()
    # The same as a .txt file, read as plain text: its last newline does not come back, and
    # the English it keeps got the right-to-left wrapper for it.
    text = tmp_path / "notes.txt"
    text.write_text("Police arrested two suspects in the old town.\n", encoding="utf-8")
    out = io.StringIO()
    env = Env(io.BytesIO(), out, io.StringIO(), stdin_isatty=True, stderr_isatty=False)
    args = ["translate", str(text), "-l", "ar", "-t", str(marian_fr), "--backend", "torch"]
    assert main(args, env) == 0
    assert out.getvalue().strip() == "Police arrested two suspects in the old town."


def test_a_translator_that_cannot_say_its_language_is_named_when_the_name_does_not(
    monkeypatch, caplog
) -> None:
    import logging

    from briefer import translate

    # A Marian model in a folder of its own has one target and no language tokens: briefer
    # cannot ask it which language it writes, so the folder's name is all there is to go by.
    monkeypatch.setattr(translate, "_WARNED", set())
    model = Scripted(lambda text: f"X {text}")
    with caplog.at_level(logging.WARNING, logger="briefer"):
        for name, lang in [
            ("/models/en-fr", "fr"),  # named: silent
            ("Helsinki-NLP/opus-mt-en-fr", "fr"),
            ("/models/marian-fr0", "fr"),  # a digit after the code still names it
            ("/models/fr-team/en-de", "fr"),  # only the folder's own name counts
            ("/models/en-fr", "de"),
            ("/models/en-fr", "de"),  # once a run
            ("/models/french", "fr"),  # "fr" inside a word is not the code
        ]:
            model.name = name
            assert translate.target_for(model, lang) is None
    warned = [r.getMessage() for r in caplog.records]
    assert [w.split(" does not")[0] for w in warned] == [
        "translator '/models/fr-team/en-de'",
        "translator '/models/en-fr'",
        "translator '/models/french'",
    ]
    assert all("labelled" in w for w in warned)


def _marked(text: str) -> str:
    """Translate by marking every word and dropping inline placeholders (<1>, </1>, <2/>), as
    models that lose their tags do, so Markdown's retry in pieces runs; punctuation alone
    comes back empty, as a real model's may."""
    out = re.sub(r"[^\W\d_]+", lambda m: m.group() + "é", re.sub(r"</?\d+/?>", "", text))
    return out if any(ch.isalpha() for ch in text) else ""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "The minister met [the mayor](https://x.org/m). They talked for an hour.\n",
            "Theé ministeré meté [theé mayoré](https://x.org/m). Theyé talkedé foré ané houré.\n",
        ),
        ('He said "**no**." Then he left.\n', 'Heé saidé "**noé**." Thené heé lefté.\n'),
        (
            "Figures are below (see [annex](#annex)). More later.\n",
            "Figuresé areé belowé (seeé [annexé](#annex)). Moreé lateré.\n",
        ),
    ],
)
def test_markdown_pieces_after_markup_are_all_translated(source: str, expected: str) -> None:
    """The retry in pieces gave the model ". They talked for an hour.", whose "." pysbd split
    off; its empty translation failed the guard, which kept the next sentence in English."""
    from briefer import translate

    sent: list[str] = []

    def answer(text: str) -> str:
        sent.append(text)
        return _marked(text)

    kept: list[translate.Translated] = []
    assert translate.translate_markdown(Scripted(answer), source, "fr", kept=kept) == expected
    assert kept == []
    assert all(any(ch.isalpha() for ch in text) for text in sent), sent


def test_lines_without_letters_are_copied_not_translated() -> None:
    """A scene break or a bare year was sent to the model, and "* * *" given back empty was
    reported as a translation kept in English."""
    from briefer import translate

    sent: list[str] = []

    def answer(text: str) -> str:
        sent.append(text)
        return _marked(text)

    text = "The talks went well.\n\n* * *\n\n2024\n\nShares fell."
    results = translate.translate_guarded(Scripted(answer), [text], "fr")
    assert results == [
        translate.Translated("Theé talksé wenté wellé.\n\n* * *\n\n2024\n\nSharesé fellé.")
    ]
    assert sent == ["The talks went well.", "Shares fell."]


@pytest.mark.parametrize(
    ("source", "expected", "given"),
    [
        (
            "The port closed.[^1] Ships waited.\n\n[^1]: Note.\n",
            "Theé porté closedé.[^1] Shipsé waitedé.\n\n[^1]: Noteé.\n",
            "The port closed.<1/>",
        ),
        (
            "The port closed.<sup>2</sup> Ships waited.\n",
            "Theé porté closedé.<sup>2</sup> Shipsé waitedé.\n",
            "The port closed.<1/>2<2/>",
        ),
        (
            "Ships waited.^[According to the ministry.] The port reopened later.\n",
            "Shipsé waitedé.^[According to the ministry.] Theé porté reopenedé lateré.\n",
            "Ships waited.<1/>",
        ),
    ],
)
def test_a_note_glued_to_a_sentence_stays_with_it(source: str, expected: str, given: str) -> None:
    """pysbd began the next sentence with the mark ("<1/> Ships waited."), and the note came
    back a space after the full stop, inside the next sentence's translation."""
    from briefer import translate

    sent: list[str] = []

    def answer(text: str) -> str:
        sent.append(text)
        parts = re.split(r"(<[^>]*>)", text)
        return "".join(
            p if p.startswith("<") else re.sub(r"[^\W\d_]+", r"\g<0>é", p) for p in parts
        )

    assert translate.translate_markdown(Scripted(answer), source, "fr") == expected
    assert sent[0] == given, sent


def test_a_passage_kept_in_english_in_an_arabic_document_reads_left_to_right() -> None:
    """Kept in English inside the document's right-to-left block, a paragraph showed its
    closing punctuation at the wrong end; summarize already gave a kept title its own span."""
    from markdown_it import MarkdownIt

    from briefer import translate

    doc = "# Morning notes\n\nThe talks went well.\n\n- Shares fell in Tokyo.\n"

    def answer(text: str) -> str:
        # The paragraph loops, on the retry too; the rest is "translated" into Arabic letters.
        return "encore " * 60 if "talks" in text else "\u062a\u0631\u062c\u0645\u0629."

    out = translate.translate_markdown(Scripted(answer), doc, "ar", kept=[])
    assert '<span dir="ltr" lang="en">The talks went well.</span>' in out
    assert out.count("<span") == 1  # the heading and the list item were translated
    html = MarkdownIt("commonmark").render(out)
    assert '<p><span dir="ltr" lang="en">The talks went well.</span></p>' in html
    # Into French, a left-to-right language, nothing is wrapped.
    assert "<span" not in translate.translate_markdown(Scripted(answer), doc, "fr", kept=[])
