"""The CTranslate2 hot path: a converted model runs on a stored tokenizer and facts, without transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefer import ctranslate
from briefer.engines import ctranslate2 as ct2
from briefer.engines import pieces, registry, standalone
from briefer.engines.hf import HFModel

# These tests follow a model from its first conversion to warm runs: conversions of their own.
pytestmark = pytest.mark.own_conversions

# Words the fixtures' tokenizers were trained on, the tokens each family treats as special, and
# the language tokens a text may carry: hypothesis mixes them with arbitrary Unicode.
PIECES = [
    "The",
    " mayor",
    " said",
    " on",
    " Tuesday",
    ",",
    ".",
    "'s",
    " n't",
    " don't",
    "  ",
    "\n",
    "\t",
    "é",
    "ü",
    "東京",
    "القاهرة",
    "<s>",
    "</s>",
    "<pad>",
    "<unk>",
    "<mask>",
    "<n>",
    ">>fra<<",
    ">>ara<<",
    ">>afb<<",
    ">>",
    "<<",
    "__fr__",
    "__en__",
    "__",
    "fra_Latn",
    "eng_Latn",
    "fr_XX",
    "en_XX",
    " ?",
    " !",
    "3.5%",
    "—",
    "“",
    "▁",
]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=12).map("".join)
# Marian reads a >>xxx<< at the very start of a text as its target (translate puts it there).
TEXTS = st.one_of(
    TEXT, st.tuples(st.sampled_from([">>ara<< ", ">>afb<<", ">>fra<< "]), TEXT).map("".join)
)
FAST = ["bart", "t5", "pegasus", "nllb", "mbart50"]
PYTHON = ["marian_fr", "marian_ar", "m2m100"]
# The tokenizers are built once per module; hypothesis reuses them.
EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SENTENCES = ["The mayor said on Tuesday that the bridge will reopen.", "Residents welcomed it."]


@pytest.fixture(scope="module")
def pairs(request, tmp_path_factory) -> dict[str, tuple[HFModel, standalone.Stored]]:
    """Return, for each family fixture, its HFModel and what the store gives back from disk."""
    out = tmp_path_factory.mktemp("stored")
    found = {}
    for name in FAST + PYTHON:
        model = HFModel(str(request.getfixturevalue(name)))
        (out / name).mkdir()
        assert standalone.write(model, out / name), name
        stored = standalone.read(out / name)
        assert stored is not None
        found[name] = (model, stored)
    return found


@pytest.mark.parametrize("family", FAST + PYTHON)
@EXAMPLES
@given(text=TEXTS)
def test_stored_tokenizer_encodes_as_transformers(pairs, family: str, text: str) -> None:
    model, stored = pairs[family]
    reference, mine = model.tokenizer, stored.tokenizer
    for special in (True, False):
        expected = list(reference(text, add_special_tokens=special, verbose=False)["input_ids"])
        assert mine(text, add_special_tokens=special)["input_ids"] == expected
        assert mine.convert_ids_to_tokens(expected) == reference.convert_ids_to_tokens(expected)
    # Batches (what generate() sends) and, for fast tokenizers, offsets (where chunking cuts).
    both = [text, "x " + text]
    assert mine(both).input_ids == [list(ids) for ids in reference(both).input_ids]
    if reference.is_fast:
        offsets = reference(text, add_special_tokens=False, return_offsets_mapping=True)
        got = mine(text, add_special_tokens=False, return_offsets_mapping=True)
        assert [tuple(o) for o in got["offset_mapping"]] == [
            tuple(o) for o in offsets["offset_mapping"]
        ]
    assert mine.is_fast == reference.is_fast  # chunking asks for offsets only where they exist


@pytest.mark.parametrize("family", FAST + PYTHON)
@EXAMPLES
@given(data=st.data())
def test_stored_tokenizer_decodes_any_output_as_transformers(pairs, family: str, data) -> None:
    model, stored = pairs[family]
    reference, mine = model.tokenizer, stored.tokenizer
    assert len(mine) == len(reference)
    # Any id sequence a model may emit, special and language tokens included.
    ids = data.draw(st.lists(st.integers(0, len(reference) - 1), max_size=30))
    for skip in (True, False):
        assert mine.decode(ids, skip_special_tokens=skip) == reference.decode(
            ids, skip_special_tokens=skip
        )
    tokens = reference.convert_ids_to_tokens(ids)
    assert mine.convert_ids_to_tokens(ids) == tokens
    assert mine.convert_tokens_to_ids(tokens) == reference.convert_tokens_to_ids(tokens)
    # A token no vocabulary holds maps to the unknown token's id, as in transformers.
    assert mine.convert_tokens_to_ids("§no-such-token§") == reference.convert_tokens_to_ids(
        "§no-such-token§"
    )


@pytest.mark.parametrize("family", FAST + PYTHON)
def test_stored_facts_equal_the_resolved_ones(pairs, family: str) -> None:
    model, stored = pairs[family]
    assert stored.settings == model.settings
    assert stored.summary_settings == model.summary_settings
    # Equality leaves origins out; config show reports them, so they are kept too.
    assert dict(stored.settings.origins) == dict(model.settings.origins)
    assert dict(stored.summary_settings.origins) == dict(model.summary_settings.origins)
    assert stored.task_prefix == model.task_prefix
    assert stored.input_limit == model.input_limit()
    assert stored.output_limit == model.output_limit()
    assert stored.targets == model.targets()
    assert stored.model_type == model.facts.model_type
    # The Python tokenizers are stored as the pieces mirror, the fast ones as tokenizers' file.
    kind = pieces.PieceTokenizer if family in PYTHON else standalone.StoredTokenizer
    assert isinstance(stored.tokenizer, kind)


@settings(max_examples=200, deadline=None)
@given(
    encoder=st.dictionaries(st.text(max_size=4), st.integers(0, 40), max_size=30),
    decoder=st.dictionaries(st.integers(0, 40), st.text(max_size=4), max_size=30),
)
def test_packed_vocabulary_gives_back_both_tables(encoder, decoder) -> None:
    # Tables of any shape: gaps in the ids, a token under two ids, tokens only one table has.
    packed = json.loads(json.dumps(pieces._packed(encoder, decoder), ensure_ascii=False))
    assert pieces._tables(packed) == (encoder, decoder)


@pytest.mark.parametrize("decoder", [{-1: "a", 0: "b"}, {0: "a", 10**9: "b"}])
def test_ids_no_list_holds_are_refused(decoder) -> None:
    # write() then keeps the model on transformers, rather than storing a wrong or huge table.
    with pytest.raises(ValueError):
        pieces._packed({t: i for i, t in decoder.items()}, decoder)


def test_marian_store_is_one_list_by_id(pairs, tmp_path: Path) -> None:
    # opus-mt's vocab.json is dense and its decoder the encoder's inverse: nothing but the list.
    model, _ = pairs["marian_fr"]
    spec, _ = pieces.spec_of(model.tokenizer)
    assert spec["vocab"] == [model.tokenizer.decoder[i] for i in range(len(spec["vocab"]))]
    assert spec["encoder_extra"] == {
        t: i for t, i in model.tokenizer._added_tokens_encoder.items() if spec["vocab"][i] != t
    }
    assert spec["encoder_missing"] == []


def test_marian_language_token_is_one_id_only_at_the_start(pairs) -> None:
    # Written by hand from MarianTokenizer: a leading >>ara<< is one token, one later is pieces.
    model, stored = pairs["marian_ar"]
    vocab = model.tokenizer.get_vocab()
    first = stored.tokenizer(">>ara<< The mayor said.").input_ids
    assert first[0] == vocab[">>ara<<"] and first[-1] == vocab["</s>"]
    later = stored.tokenizer("The mayor >>ara<< said.").input_ids
    assert vocab[">>ara<<"] not in later


def test_a_copy_that_differs_is_not_stored(bart: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(standalone, "clean_up", lambda text: text.replace(" ", ""))
    monkeypatch.setattr(standalone, "_cleanup_flag", lambda tokenizer: True)
    assert not standalone.write(HFModel(str(bart)), tmp_path)
    assert standalone.read(tmp_path) is None and not list(tmp_path.iterdir())


def test_a_store_from_another_briefer_is_ignored(pairs, tmp_path: Path, bart: Path, monkeypatch):
    assert standalone.write(HFModel(str(bart)), tmp_path)
    monkeypatch.setattr(standalone, "_version", lambda: "0.0.0-other")
    assert standalone.read(tmp_path) is None


@pytest.fixture(scope="module")
def converted(tmp_path_factory, bart: Path, marian_ar: Path) -> Path:
    """Return a cache folder holding bart and marian_ar converted, their stores written (cold runs)."""
    cache = tmp_path_factory.mktemp("ct2-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFER_CACHE_DIR", str(cache))
        patch.setattr(registry, "_LOADED", {})
        for folder in (bart, marian_ar):
            engine = ct2.load(str(folder), "cpu")
            assert not isinstance(engine.model, ct2.StoredModel)  # converted just now
    return cache


@pytest.mark.parametrize(("family", "prefix"), [("bart", ""), ("marian_ar", ">>ara<< ")])
def test_warm_engine_matches_the_transformers_path(
    request, converted: Path, family: str, prefix: str, monkeypatch
) -> None:
    folder = request.getfixturevalue(family)
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(converted))
    warm = ct2.load(str(folder), "cpu")
    assert isinstance(warm.model, ct2.StoredModel)
    # The transformers path over the very same converted weights: the store is hidden.
    monkeypatch.setattr(standalone, "read", lambda target: None)
    cold = ct2.load(str(folder), "cpu")
    assert not isinstance(cold.model, ct2.StoredModel)
    assert "transformers" in type(cold.model.tokenizer).__module__
    settings = cold.summary_settings
    targets = cold.targets()
    if targets:  # a translator: the Arabic target, as translate uses it
        settings = cold.settings.with_values("test", target=targets["ar"])
    texts = [prefix + t for t in SENTENCES] if not targets else SENTENCES
    # Same groups, same batch shapes on both sides.
    groups = [(texts, settings), (texts[:1], settings)]
    got = warm.generate(groups)
    assert got == cold.generate(groups)
    assert all(out for outs in got for out in outs)
    assert warm.targets() == targets
    assert warm.input_limit() == cold.input_limit()
    assert warm.output_limit() == cold.output_limit()
    assert warm.settings == cold.settings and warm.summary_settings == cold.summary_settings
    for text in texts:
        assert warm.count(text) == cold.count(text)
        template = "summarize: {text}"
        assert warm.counter(template).count(text) == cold.counter(template).count(text)


def test_unreadable_store_falls_back_and_is_written_again(
    bart: Path, converted: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(converted))
    first = ct2.load(str(bart), "cpu")
    target = ctranslate.converted_path(str(bart), first.revision or "unknown", "int8")
    facts = target / standalone.FACTS_FILE
    kept = facts.read_text(encoding="utf-8")
    try:
        facts.write_text("{not json", encoding="utf-8")
        again = ct2.load(str(bart), "cpu")
        assert not isinstance(again.model, ct2.StoredModel)
        groups = [(SENTENCES[:1], first.summary_settings)]
        assert again.generate(groups) == first.generate(groups)
        # That run wrote the store again: the next one is warm.
        assert json.loads(facts.read_text(encoding="utf-8"))["format"] == standalone.FORMAT
        assert isinstance(ct2.load(str(bart), "cpu").model, ct2.StoredModel)
    finally:
        facts.write_text(kept, encoding="utf-8")


# Runs briefer's CLI twice in one fresh process (one summary, one translation, both on the warm
# converted models) and writes every module that process imported.
PROBE = """
import json, sys
from briefer.cli import main
codes = [main(args) for args in json.loads(sys.argv[1])]
json.dump({"codes": codes, "modules": sorted(sys.modules)}, open(sys.argv[2], "w"))
"""


def test_warm_runs_import_neither_torch_nor_transformers(
    bart: Path, marian_ar: Path, converted: Path, tmp_path: Path
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        "The city council met on Tuesday to discuss the bridge. The mayor said it would reopen "
        "in May after two years of repairs. Residents welcomed the news.\n",
        encoding="utf-8",
    )
    sentence = tmp_path / "sentence.txt"
    sentence.write_text("The mayor said the bridge will reopen in May.\n", encoding="utf-8")
    summary, translation = tmp_path / "summary.md", tmp_path / "translation.txt"
    runs = [
        ["summarize", "-m", str(bart), "--backend", "ctranslate2", "--no-cache"]
        + ["-o", str(summary), str(article)],
        ["translate", "-l", "ar", "-t", str(marian_ar), "--backend", "ctranslate2", "-f", "text"]
        + ["-o", str(translation), str(sentence)],
    ]
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(runs), str(report)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "BRIEFER_CACHE_DIR": str(converted)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["codes"] == [0, 0], done.stderr[-2000:]
    assert summary.read_text(encoding="utf-8").strip()
    assert translation.read_text(encoding="utf-8").strip()
    tops = {name.split(".")[0] for name in result["modules"]}
    # The models ran on ctranslate2, tokenized by tokenizers and sentencepiece (Marian).
    assert {"ctranslate2", "tokenizers", "sentencepiece", "briefer"} <= tops
    assert not {"torch", "transformers"} & tops
