"""The library end to end on tiny random models, against hand-written transformers references."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from briefer import Briefer, InputError, ModelError, Options, UsageError, prompts
from briefer.engines import registry
from briefer.engines import torch as torch_engine
from briefer.sentences import split_sentences
from briefer.sources import read_path, read_source

BODY = (
    "The ministers met in Paris on Tuesday to agree a plan against the militants. "
    "They said the talks had gone well and that more meetings would follow."
)
ARTICLE = f"Ministers agree new plan in Paris\n\n{BODY}\n"


def reference(folder: Path, text: str, **settings: object) -> str:
    """Return what the obvious tokenizer → generate → decode code gives for one text."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    with torch.no_grad():
        output = model.generate(**tokenizer(text, return_tensors="pt"), **settings)
    return tokenizer.decode(output[0], skip_special_tokens=True).strip()


def reference_batch(folder: Path, texts: list[str], **settings: object) -> list[str]:
    """Return what plain generate() gives for texts run as one padded batch, as the engine runs them.

    Padding changes a random model's floats, and so its tokens, differently on each CPU: only
    the same batch shape is a fair comparison.
    """
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    with torch.no_grad():
        encoded = tokenizer(texts, return_tensors="pt", padding=True)
        output = model.generate(**encoded, **settings)
    return [t.strip() for t in tokenizer.batch_decode(output, skip_special_tokens=True)]


class Spy:
    """Record the texts that reach a model's generate()."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[list[str]] = []
        original = torch_engine.TorchEngine._generate

        def generate(engine, texts, settings):  # noqa: ANN001, ANN202
            # What the tokenizer gets: a target's source token included.
            self.calls.append(engine.model.inputs(texts, settings))
            return original(engine, texts, settings)

        monkeypatch.setattr(torch_engine.TorchEngine, "_generate", generate)


@pytest.mark.differential
def test_the_thread_count_asked_for_is_in_force(thread_count: int) -> None:
    # make test runs one thread, make test-threads two: each comparison below holds under both.
    assert torch.get_num_threads() == thread_count


@pytest.mark.differential
def test_random_models_depend_on_their_input(bart: Path, marian_ar: Path) -> None:
    # Without this, a differential test below could pass with a model that ignores its input.
    assert reference(bart, BODY) != reference(bart, "Markets fell sharply in Tokyo on Monday.")
    assert reference(marian_ar, ">>ara<< Good morning.") != reference(marian_ar, ">>ara<< The war.")


@pytest.mark.differential
def test_summary_equals_plain_generate(bart: Path) -> None:
    brief = Briefer(Options(backend="torch", model=str(bart))).brief(ARTICLE, source="x.txt")
    assert brief.title == "Ministers agree new plan in Paris"
    assert len(brief.chunks) == 1
    assert brief.chunks[0].text == BODY
    assert brief.summary == reference(bart, BODY)
    assert brief.summary


@pytest.mark.differential
def test_overrides_reach_generate(bart: Path) -> None:
    options = Options(backend="torch", model=str(bart), max_length=8, min_length=2, beams=1)
    brief = Briefer(options).brief(ARTICLE)
    assert brief.summary == reference(bart, BODY, max_length=8, min_length=2, num_beams=1)
    assert (
        brief.summary != Briefer(Options(backend="torch", model=str(bart))).brief(ARTICLE).summary
    )


@pytest.mark.differential
def test_t5_gets_the_prefix_its_config_asks_for(t5: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    # The random T5 loops over 200 tokens; the output guard (test_trust.py) would replace its
    # summary. Here the model's own summary is what is compared.
    monkeypatch.setattr(Briefer, "_guarded", lambda self, digest: digest)
    brief = Briefer(Options(backend="torch", model=str(t5))).brief(ARTICLE)
    assert spy.calls == [[f"summarize: {BODY}"]]
    # The length and beams come from the config's task_specific_params, as for t5-small.
    task = {
        "max_length": 200,
        "min_length": 30,
        "num_beams": 4,
        "no_repeat_ngram_size": 3,
        "length_penalty": 2.0,
        "early_stopping": True,
    }
    assert brief.summary == reference(t5, f"summarize: {BODY}", **task)
    assert brief.summary != reference(t5, f"summarize: {BODY}")


def test_prompt_flag_overrides_the_model_config(bart: Path, tmp_path: Path, monkeypatch) -> None:
    template = tmp_path / "headline.txt"
    template.write_text("Headline: {text}\n", encoding="utf-8")
    spy = Spy(monkeypatch)
    Briefer(Options(backend="torch", model=str(bart), prompt=str(template))).brief(ARTICLE)
    assert spy.calls == [[f"Headline: {BODY}"]]


def test_prompt_choice_and_validation(t5: Path, bart: Path, tmp_path: Path) -> None:
    from transformers import AutoConfig

    from briefer.engines.settings import facts

    assert prompts.for_model(facts(t5).task_prefix) == "summarize: {text}"
    assert prompts.for_model(facts(bart).task_prefix) == "{text}"
    assert AutoConfig.from_pretrained(t5).task_specific_params["summarization"]["prefix"]
    assert prompts.load("t5-summarize") == "summarize: {text}"
    bad = tmp_path / "bad.txt"
    bad.write_text("no slot here", encoding="utf-8")
    with pytest.raises(UsageError, match="no \\{text\\} slot"):
        prompts.load(str(bad))
    with pytest.raises(UsageError, match="plain, t5-summarize"):
        prompts.load("nonexistent")


@pytest.mark.differential
def test_arabic_translation_sends_the_ara_token(marian_ar: Path, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    sentences = ["The ministers met in Paris.", "They agreed a plan."]
    # guard=False: the model's own output is compared, looping or not (no retry call).
    options = Options(backend="torch", lang="ar", translator=str(marian_ar), guard=False)
    out = Briefer(options).translate(" ".join(sentences), markdown=False)
    assert spy.calls == [[f">>ara<< {s}" for s in sentences]]
    assert out == " ".join(reference_batch(marian_ar, [f">>ara<< {s}" for s in sentences]))
    tokenizer = AutoTokenizer.from_pretrained(marian_ar)
    ids = tokenizer(f">>ara<< {sentences[0]}").input_ids
    assert ids[0] == tokenizer.convert_tokens_to_ids(">>ara<<")
    assert tokenizer.convert_tokens_to_ids(">>ara<<") != tokenizer.unk_token_id


@pytest.mark.differential
def test_french_translation_sends_no_language_token(marian_fr: Path, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    sentence = "The ministers met in Paris."
    # guard=False: the model's own output is compared, looping or not (no retry call).
    options = Options(backend="torch", lang="fr", translator=str(marian_fr), guard=False)
    out = Briefer(options).translate(sentence, markdown=False)
    assert spy.calls == [[sentence]]
    assert out == reference(marian_fr, sentence)


def test_translator_without_the_target_token_is_refused(marian_ar: Path) -> None:
    briefer = Briefer(Options(backend="torch", lang="fr", translator=str(marian_ar)))
    with pytest.raises(ModelError, match=r"cannot translate into 'fr'; it translates into: ar$"):
        briefer.translate("Hello there.", markdown=False)


def test_long_article_every_sentence_in_one_chunk(bart: Path, sample: Path, monkeypatch) -> None:
    article = read_path(str(sample))
    spy = Spy(monkeypatch)
    brief = Briefer(Options(backend="torch", model=str(bart))).brief(article)
    expected = [span for s, e in article.body for span in split_sentences(article.text, s, e)]
    packed = [span for chunk in brief.chunks for span in chunk.sentences]
    assert packed == expected
    assert len(brief.chunks) > 1
    assert all(chunk.tokens <= 256 for chunk in brief.chunks)
    for chunk in brief.chunks:
        assert chunk.start == chunk.sentences[0][0] and chunk.end == chunk.sentences[-1][1]
    # Map-reduce: the chunks first, then the joined summaries in one final pass.
    assert len(spy.calls[0]) == len(brief.chunks)
    assert len(spy.calls) >= 2 and len(spy.calls[-1]) == 1
    assert brief.summary


def test_ten_thousand_words_still_give_one_brief(bart: Path, sample: Path, monkeypatch) -> None:
    article = read_path(str(sample))
    paragraphs = [article.text[s:e] for s, e in article.body]
    text = "Long read\n\n" + "\n\n".join(f"{p} (Part {i}.)" for i in range(14) for p in paragraphs)
    spy = Spy(monkeypatch)
    brief = Briefer(Options(backend="torch", model=str(bart))).brief(text)
    assert brief.words >= 10_000
    assert len(spy.calls) >= 3  # chunks, at least one reduce round, the final pass
    assert len(spy.calls[-1]) == 1
    assert brief.summary


@pytest.mark.differential
def test_briefs_batch_across_articles_in_input_order(bart: Path, monkeypatch) -> None:
    other = "Markets slide in Tokyo\n\nShares fell sharply in Tokyo on Monday as the yen rose.\n"
    spy = Spy(monkeypatch)
    briefs = Briefer(Options(backend="torch", model=str(bart))).brief_many([ARTICLE, other])
    assert len(spy.calls) == 1 and len(spy.calls[0]) == 2
    assert [b.title for b in briefs] == [
        "Ministers agree new plan in Paris",
        "Markets slide in Tokyo",
    ]
    assert briefs[0].summary == reference(bart, BODY)


def test_models_load_once_per_process(bart: Path, monkeypatch) -> None:
    calls = []
    original = torch_engine.load

    def counting(*args):  # noqa: ANN002, ANN202
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(torch_engine, "load", counting)
    monkeypatch.setattr(registry, "_LOADED", {})
    first = Briefer(Options(backend="torch", model=str(bart)))
    first.brief(ARTICLE)
    Briefer(Options(backend="torch", model=str(bart))).brief(ARTICLE)
    assert len(calls) == 1


def test_missing_model_fails_fast_offline() -> None:
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        Briefer(Options(backend="torch", model="nobody/no-such-model")).brief(ARTICLE)
    assert time.monotonic() - started < 20
    message = str(caught.value)
    assert "nobody/no-such-model" in message and "HF_HUB_OFFLINE" in message
    assert "briefer models pull" in message and "\n" not in message


def test_missing_local_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        Briefer(Options(backend="torch", model=str(tmp_path / "nowhere"))).brief(ARTICLE)


@pytest.mark.differential
def test_shares_strategy_gives_two_chunks_half_the_length_each(
    bart: Path, sample: Path, monkeypatch
):
    article = read_path(str(sample))
    # About one and a half chunks of the tiny model's 256-token window.
    text = "Coalition talks\n\n" + "\n\n".join(article.text[s:e] for s, e in article.body[:6])
    calls: list[tuple[list[str], dict]] = []
    original = torch_engine.TorchEngine._generate

    def generate(engine, texts, settings):  # noqa: ANN001, ANN202
        calls.append((list(texts), settings.values()))
        return original(engine, texts, settings)

    monkeypatch.setattr(torch_engine.TorchEngine, "_generate", generate)
    options = Options(backend="torch", model=str(bart), max_length=60, strategy="shares")
    brief = Briefer(options).brief(text)
    assert len(brief.chunks) == 2
    sizes = sorted(c.tokens for c in brief.chunks)
    assert sizes[0] > sizes[1] * 0.6  # balanced, not a full chunk and a scrap
    assert len(calls) == 1  # one batched pass, no re-summarizing
    texts, overrides = calls[0]
    assert texts == [c.text for c in brief.chunks]
    assert overrides["max_new_tokens"] == 29 and overrides["min_length"] == 0
    parts = reference_batch(
        bart, texts, max_new_tokens=29, min_new_tokens=overrides["min_new_tokens"], min_length=0
    )
    assert brief.summary == " ".join(p for p in parts if p)


def test_short_shares_fall_back_to_full_rounds(bart: Path) -> None:
    from briefer.engines.base import GenerationSettings
    from briefer.summarize import share_settings

    assert share_settings(GenerationSettings(), 2) is None  # 19 new tokens halved: under MIN_SHARE
    shared = share_settings(GenerationSettings(max_length=100, min_length=41), 3)
    assert shared is not None
    assert (shared.max_length, shared.min_length) == (None, 0)
    assert (shared.max_new_tokens, shared.min_new_tokens) == (33, 13)
    assert shared.origins["max_new_tokens"] == "length share"


def test_overlong_sentence_is_translated_in_pieces(marian_fr: Path, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    words = " ".join(f"word{i % 40}" for i in range(400))  # one sentence, far over 256 tokens
    Briefer(Options(backend="torch", lang="fr", translator=str(marian_fr))).translate(
        words, markdown=False
    )
    pieces = spy.calls[0]
    assert len(pieces) > 1 and " ".join(pieces) == words
    tokenizer = AutoTokenizer.from_pretrained(marian_fr)
    assert all(len(tokenizer(p).input_ids) <= 256 for p in pieces)


@pytest.mark.differential
def test_three_chunks_end_in_one_reduce_pass(bart: Path, sample: Path, monkeypatch) -> None:
    from briefer.engines.base import GenerationSettings

    article = read_path(str(sample))
    # About two and a half of the tiny model's 256-token windows: three chunks.
    text = "Coalition talks\n\n" + "\n\n".join(article.text[s:e] for s, e in article.body[:8])
    calls: list[tuple[list[str], GenerationSettings]] = []
    original = torch_engine.TorchEngine._generate

    def generate(engine, texts, settings):  # noqa: ANN001, ANN202
        calls.append((list(texts), settings))
        return original(engine, texts, settings)

    monkeypatch.setattr(torch_engine.TorchEngine, "_generate", generate)
    briefer = Briefer(Options(backend="torch", model=str(bart), max_length=12, beams=1))
    brief = briefer.brief(text)
    assert len(brief.chunks) == 3
    # Two generate calls: the three chunks in one batch, then the reduce pass over their summaries.
    assert len(calls) == 2
    (chunk_texts, map_settings), (final_texts, final_settings) = calls
    assert chunk_texts == [c.text for c in brief.chunks]
    # The chunks get the model's own length (20 tokens), not the requested 12; the beams stay.
    own = briefer.summarizer.summary_settings
    assert own.longest() == 20
    assert map_settings == own.with_values("flag", num_beams=1)
    assert final_settings == own.with_values("flag", max_length=12, num_beams=1)
    # The engine runs the chunks as one padded batch, longest first: so does the reference.
    order = sorted(range(3), key=lambda i: len(chunk_texts[i]), reverse=True)
    batch = reference_batch(bart, [chunk_texts[i] for i in order], num_beams=1)
    parts = [batch[order.index(i)] for i in range(3)]
    assert final_texts == [" ".join(p for p in parts if p)]
    assert brief.summary == reference(bart, final_texts[0], max_length=12, num_beams=1)


def test_one_chunk_article_is_one_generate_at_the_requested_length(bart: Path, monkeypatch):
    calls = []
    original = torch_engine.TorchEngine._generate

    def generate(engine, texts, settings):  # noqa: ANN001, ANN202
        calls.append(settings)
        return original(engine, texts, settings)

    monkeypatch.setattr(torch_engine.TorchEngine, "_generate", generate)
    briefer = Briefer(Options(backend="torch", model=str(bart), max_length=12))
    briefer.brief(ARTICLE)
    assert calls == [briefer.summarizer.summary_settings.with_values("flag", max_length=12)]


def test_unknown_strategy_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="reduce, shares"):
        Options(strategy="fold")


# -- the library's inputs: what a service hands a Briefer ---------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lang": None}, "lang takes a string, not None"),
        ({"model": None}, "model takes a model id"),
        ({"model": 42}, "model takes a model id"),
        ({"pivot": ["de"]}, "pivot takes a table of language to model id"),
        ({"pivot": "org/model"}, "pivot takes a table of language to model id"),
        ({"translator": 42}, "translator takes a model id"),
        ({"translator": {"xx!": "m"}}, "unsupported language 'xx!'"),
        ({"translator": {"fr": "a", "fra": "b"}}, "translator names fr twice"),
        ({"translator": {"en": "m"}}, "English is never translated"),
    ],
)
def test_options_of_the_wrong_shape_are_usage_errors(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Options(**options)


def test_options_take_paths_and_tags_and_keep_their_own_tables(tmp_path: Path) -> None:
    table = {"FR": tmp_path / "opus-mt-en-fr", "ara": "models/ar"}
    options = Options(lang="fr", model=tmp_path / "bart", translator=table)
    assert options.model == str(tmp_path / "bart")
    assert options.translator_model("fr") == str(tmp_path / "opus-mt-en-fr")
    assert options.translator_model("ar") == "models/ar"
    table["FR"] = "changed"  # the caller's dict is theirs: a frozen Options does not follow it
    assert options.translator_model("fr") == str(tmp_path / "opus-mt-en-fr")


def test_a_briefer_checks_what_it_is_given(tmp_path: Path, caplog) -> None:
    with pytest.raises(UsageError, match="Briefer takes an Options"):
        Briefer("fr")  # type: ignore[arg-type]
    briefer = Briefer(Options(engine="extractive", source_lang="en"))
    # A generator is read once: its articles are briefed, not used up by the checks.
    assert len(briefer.brief_many(text for text in [ARTICLE])) == 1
    with pytest.raises(UsageError, match="brief_many takes a list of articles"):
        briefer.brief_many(ARTICLE)  # type: ignore[arg-type]
    # Which text of a list holds nothing is said ("<text>: holds no text" named none of 40).
    with pytest.raises(InputError, match=r"^item 2 of 3: <text>: holds no text"):
        briefer.brief_many([ARTICLE, " ", ARTICLE])
    for bad in (None, b"bytes"):
        with pytest.raises(UsageError, match="translate takes a str"):
            briefer.translate(bad)  # type: ignore[arg-type]
    # Checked before any model is asked for (this Briefer has no translator at all).
    with pytest.raises(UsageError, match="translate's markdown takes True or False, not 'no'"):
        briefer.translate("The talks went well.", markdown="no")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="translate's kept takes a list, not str"):
        briefer.translate("The talks went well.", kept="x")  # type: ignore[arg-type]
    story = tmp_path / "story.txt"
    story.write_text(ARTICLE, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="briefer"):
        briefer.brief(str(story))
    assert f"{str(story)!r} names a file: its name is briefed" in caplog.text
    assert briefer.brief(read_path(str(story))).summary
    # A service handing a fetched page's body to the library: read as a page, as piped HTML is
    # (its markup was the brief: title "<!DOCTYPE html>", summary "<html><head>...").
    fixtures = Path(__file__).resolve().parent / "fixtures"
    page = (fixtures / "table-cms-2002.html").read_text(encoding="utf-8")
    from_page = briefer.brief(page, source="https://example.com/school-board")
    piped = briefer.brief(read_source("-", io.BytesIO(page.encode("utf-8"))))
    assert from_page.title == piped.title == "School board delays vote on four-day week"
    assert from_page.summary == piped.summary and "<" not in from_page.summary
    # Untrusted text is bounded as files are: a request body is no exception.
    small = Briefer(Options(engine="extractive", source_lang="en", max_input_bytes=1000))
    with pytest.raises(InputError, match="text larger than 1,000 bytes"):
        small.brief(ARTICLE * 10)
    with pytest.raises(InputError, match="text larger than 1,000 bytes"):
        small.translate("é" * 600)  # 1,200 bytes in UTF-8
    # Languages as Options takes them: a tag or code in any case.
    assert briefer.route("FRA").summary_language == "fr"
    assert briefer.brief(ARTICLE, lang="EN").language == "en"


def test_options_key_a_cache_of_briefers() -> None:
    # A service keeps one Briefer per configuration: Options with tables hash by value.
    import functools

    @functools.lru_cache(maxsize=8)
    def briefer_for(options: Options) -> Briefer:
        return Briefer(options)

    first = briefer_for(Options(lang="fr", translator={"fr": "models/fr"}))
    assert briefer_for(Options(lang="FR", translator={"fra": "models/fr"})) is first
    assert briefer_for(Options(lang="fr", translator={"fr": "models/other"})) is not first


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Joins that must not happen: a sentence may end on a word abbreviations share.
        ("He said no. eBay shares fell on Monday.", 2),
        ("Ms. Lee spoke. \u201990s fashion is back.", 2),
        ("He left at 5 p.m. Then the rain came.", 2),
        # Joins that must: a time's day, a unit before lower case.
        ("The vote is at 5 p.m. Friday. Then they leave.", 2),
        ("It was 60 mi. south of Dallas.", 1),
        # pysbd went on past "D.C." (it splits after "U.S." and "U.K."), not after "D.C. and".
        ("He will speak in Washington, D.C. The Fed meets next on Jan. 28.", 2),
        ("He lives in D.C. and works in Virginia.", 1),
        ("The U.S. Army said it would help.", 1),
    ],
)
def test_sentence_ends_around_abbreviations(text: str, sentences: int) -> None:
    assert len(split_sentences(text)) == sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # AFP's French: a quoted sentence closed inside the guillemets, then the next one.
        (
            "« Nous sommes prêts. » Le ministre a ajouté que le vote aurait lieu mardi.",
            ["« Nous sommes prêts. »", "Le ministre a ajouté que le vote aurait lieu mardi."],
        ),
        ("Il a dit : « Non ! » Puis il est parti.", ["Il a dit : « Non ! »", "Puis il est parti."]),
        # A quote inside a sentence, or one the sentence goes on after, is not an end.
        ("Le texte « Tout va bien. » est publié.", ["Le texte « Tout va bien. » est publié."]),
        (
            "« Nous sommes prêts », a dit le ministre. Il est parti.",
            ["« Nous sommes prêts », a dit le ministre.", "Il est parti."],
        ),
    ],
)
def test_french_quotes_end_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text, lang="fr")] == expected
