"""The CTranslate2 backend: same tokens as transformers, conversion cached atomically, fallback."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from briefer import Briefer, Options, ctranslate
from briefer.engines import cpu, registry
from briefer.engines import ctranslate2 as ct2
from briefer.engines.base import GenerationSettings
from briefer.engines.hf import HFModel
from briefer.engines.torch import TorchEngine
from briefer.errors import ConversionError, EngineUnavailable, ModelError

TEXTS = [
    "The ministers met in Paris on Tuesday to agree a plan against the militants.",
    "Shares fell sharply in Tokyo on Monday as the yen rose against the dollar.",
    "Heavy rain caused flooding in several northern villages.",
    "Good morning.",
    "Le gouvernement a annoncé mardi une hausse du salaire minimum.",
]
GREEDY = {"num_beams": 1, "max_length": 16, "min_length": 4}


def generate(engine, texts: list[str], **settings: object) -> list[str]:
    """Run texts through an engine with the model's settings and these laid over."""
    return engine.generate([(texts, engine.settings.with_values("test", **settings))])[0]


def reference(folder: Path, texts: list[str], **settings: object) -> list[str]:
    """Return what transformers' generate() gives, one text at a time."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    out = []
    for text in texts:
        with torch.no_grad():
            ids = model.generate(**tokenizer(text, return_tensors="pt"), **settings)
        out.append(tokenizer.decode(ids[0], skip_special_tokens=True).strip())
    return out


@pytest.mark.differential
@pytest.mark.parametrize(
    ("fixture", "prefix"), [("bart", ""), ("marian_ar", ">>ara<< "), ("t5", "summarize: ")]
)
def test_greedy_float32_gives_the_same_tokens(fixture: str, prefix: str, request) -> None:
    folder = request.getfixturevalue(fixture)
    model = ct2.load(str(folder), "cpu", compute_type="float32")
    texts = [prefix + t for t in TEXTS]
    # One text per call on both sides, as the reference runs: no padding, the same shapes, so
    # no comparison rests on how a padded batch rounds on this CPU.
    got = [generate(model, [text], **GREEDY)[0] for text in texts]
    assert got == reference(folder, texts, **GREEDY)
    assert len(set(got)) > 1  # the model listens to its input, so equality means something


@pytest.mark.differential
def test_the_suites_thread_count_reaches_ctranslate2(
    bart: Path, thread_count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make test-threads` reruns the differential tests with 2 threads inside each batch. Its
    # seam (conftest patches ct2.threads) once stopped reaching CTranslate2 while every test
    # still passed on one thread: this holds the thread count CTranslate2 is given to it.
    import ctranslate2

    given_threads: list[int] = []
    real = ctranslate2.Translator

    def recording(*args: object, **kwargs: object) -> object:
        given_threads.append(kwargs["intra_threads"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ctranslate2, "Translator", recording)
    model = ct2.load(str(bart), "cpu", compute_type="float32")
    assert given_threads == [thread_count]
    assert generate(model, TEXTS[:1], **GREEDY)[0]  # and the model it opened runs


def test_queuing_batches_never_blocks(bart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With CTranslate2's default queue (a few batches per worker), posting a long job's
    # batches blocked until all but the last were done, and the progress log, which starts
    # once everything is queued, stayed silent for most of the job.
    import ctranslate2

    queued: list[object] = []
    real = ctranslate2.Translator

    def recording(*args: object, **kwargs: object) -> object:
        queued.append(kwargs.get("max_queued_batches", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(ctranslate2, "Translator", recording)
    ct2.load(str(bart), "cpu", compute_type="float32")
    assert queued == [-1]  # unlimited


def test_opening_a_model_keeps_torchs_thread_count(marian_fr: Path, monkeypatch) -> None:
    # CTranslate2 sets OpenMP's thread count on the thread that opens a model; with torch
    # imported first, that reached torch's OpenMP: a torch model beside it ran on one thread.
    monkeypatch.setattr(ct2, "threads", lambda device: (1, 1))
    torch.set_num_threads(3)
    try:
        registry.release(registry.load(str(marian_fr), "ctranslate2", "cpu"))
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(1)


def test_settings_map_to_translate_batch(bart: Path, marian_ar: Path) -> None:
    settings = GenerationSettings(
        num_beams=4,
        max_length=62,
        min_length=56,
        no_repeat_ngram_size=3,
        length_penalty=2.0,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        eos_token_id=2,
    )
    options, prefix = ct2.translate_options(settings, HFModel(str(bart)))
    assert options == {
        "beam_size": 4,
        "length_penalty": 2.0,
        "no_repeat_ngram_size": 3,
        "repetition_penalty": 1.0,
        "max_decoding_length": 60,
        "min_decoding_length": 55,
        "patience": 1.0,
        "return_scores": False,
        "max_input_length": 0,
        "end_token": ["</s>"],
    }
    assert prefix == ["<s>"]
    marian = HFModel(str(marian_ar))
    pad = marian.tokenizer.pad_token_id
    settings = GenerationSettings(max_new_tokens=40, bad_words_ids=((pad,),), eos_token_id=0)
    options, prefix = ct2.translate_options(settings, marian)
    assert options["max_decoding_length"] == 40 and prefix is None
    assert options["suppress_sequences"] == [["<pad>"]]
    # Converted Marian vocabularies have no <pad>: there is nothing to suppress.
    options, _ = ct2.translate_options(settings, marian, frozenset({"</s>", "<unk>"}))
    assert "suppress_sequences" not in options


@pytest.mark.differential
def test_briefs_match_between_backends_on_greedy(bart: Path, marian_fr: Path) -> None:
    article = "Ministers agree new plan\n\n" + " ".join(TEXTS)
    options = {
        "model": str(bart),
        "lang": "fr",
        "translator": str(marian_fr),
        "beams": 1,
        "max_length": 16,
        "min_length": 4,
    }
    torch_brief = Briefer(Options(backend="torch", **options)).brief(article)
    ct2_briefer = Briefer(Options(backend="ctranslate2", **options))
    # int8 is the default on CPU; float32 is what makes tokens comparable.
    ct2_briefer._models[str(bart)] = ct2.load(str(bart), "cpu", 4, compute_type="float32")
    ct2_briefer._models[str(marian_fr)] = ct2.load(str(marian_fr), "cpu", 8, compute_type="float32")
    ct2_brief = ct2_briefer.brief(article)
    assert (ct2_brief.title, ct2_brief.summary) == (torch_brief.title, torch_brief.summary)


@pytest.mark.differential
@pytest.mark.own_conversions
def test_conversion_is_cached_and_int8_by_default(bart: Path, monkeypatch, caplog) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="briefer"):
        first = ct2.load(str(bart), "cpu")
    # Said without -v: a real model's conversion takes minutes, which looked like a hang.
    assert [r.getMessage() for r in caplog.records] == [
        f"converting {bart} for CTranslate2 (int8); this happens once"
    ]
    converted = sorted(ctranslate.cache_root().iterdir())
    assert [p.name.endswith("-int8-v1") for p in converted] == [True]
    assert (converted[0] / "model.bin").is_file()
    mtime = (converted[0] / "model.bin").stat().st_mtime_ns
    second = ct2.load(str(bart), "cpu")
    assert (converted[0] / "model.bin").stat().st_mtime_ns == mtime  # reused, not redone
    assert generate(first, TEXTS[:1]) == generate(second, TEXTS[:1])
    # The same folder named from elsewhere (models/x here, /srv/models/x there) is the same
    # conversion, not a second one.
    monkeypatch.chdir(bart.parent)
    ct2.load(bart.name, "cpu")
    assert sorted(ctranslate.cache_root().iterdir()) == converted


def test_killed_conversion_leaves_no_entry(bart: Path, monkeypatch, tmp_path: Path) -> None:
    target = tmp_path / "ct2" / "model-int8"

    def dies(source: Path, out: Path, compute_type: str) -> None:
        out.mkdir(parents=True)
        (out / "model.bin").write_bytes(b"half")
        raise KeyboardInterrupt  # as a Ctrl-C or kill in the middle would

    monkeypatch.setattr(ctranslate, "_convert_elsewhere", dies)
    with pytest.raises(KeyboardInterrupt):
        ctranslate.convert(bart, target, "int8")
    assert list((tmp_path / "ct2").iterdir()) == []
    monkeypatch.undo()
    ctranslate.convert(bart, target, "int8")
    assert (target / "model.bin").stat().st_size > 1000


# A parent that converts with a stub child: the real child entry point (child_main, which binds
# its life to the parent's) with the conversion itself replaced by a long sleep, as a real
# conversion of a large model spends minutes in the converter.
SLOW_PARENT = """
import sys
from pathlib import Path
from briefer import ctranslate

STUB = (
    "import sys, time; from briefer import ctranslate as c; "
    "c.convert_here = lambda *a: time.sleep(120); c.child_main(sys.argv[1:])"
)
ctranslate._child_command = lambda s, o, t: [
    sys.executable, "-c", STUB, str(ctranslate.os.getpid()), str(s), str(o), t
]
ctranslate.convert(Path(sys.argv[1]), Path(sys.argv[2]), "int8")
"""


def _gone(pid: int) -> bool:
    """Return whether a process no longer runs (a zombie waiting to be reaped counts as gone)."""
    return not ctranslate._alive(pid, "")


def test_converter_child_dies_with_a_killed_parent(tmp_path: Path, monkeypatch) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "ct2"
    target = folder / "model-int8"
    parent = subprocess.Popen([sys.executable, "-c", SLOW_PARENT, str(tmp_path), str(target)])
    try:
        deadline = time.monotonic() + 60
        owners: list[str] = []
        while len(owners) < 2:  # the parent, then the child it started
            assert parent.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
            owners = [p.read_text().split() for p in folder.glob(".*.partial/owners")]
            owners = owners[0] if owners else []
            owners = owners[::2]  # pids (each line is "pid start-time")
        child = int(owners[1])
        assert int(owners[0]) == parent.pid and not _gone(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        while not _gone(child):
            assert time.monotonic() < deadline, "the converter child outlived its parent"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()
    [partial] = folder.glob(".*.partial")  # what the kill left behind
    # The next start removes it at once (no 6-hour wait), then converts.
    monkeypatch.setattr(ctranslate, "_convert_elsewhere", fake_conversion)
    ctranslate.convert(tmp_path, target, "int8")
    assert not partial.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["model-int8"]


def fake_conversion(source: Path, out: Path, compute_type: str) -> None:
    """Stand in for the converter: write a converted folder's main file."""
    out.mkdir()
    (out / "model.bin").write_bytes(b"converted")


def test_sweep_keeps_what_a_live_process_owns(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    ours = tmp_path / ".m.live.partial"
    ours.mkdir()
    ctranslate._own(ours, os.getpid())
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / ".m.dead.partial"
    dead.mkdir()
    ctranslate._own(dead, int(done.stdout))
    reused = tmp_path / ".m.reused.partial"  # our pid, but a start time that is not ours
    reused.mkdir()
    (reused / "owners").write_text(f"{os.getpid()} 1\n")
    legacy = tmp_path / ".m.legacy.partial"  # no owners: an older briefer's, or just made
    legacy.mkdir()
    ctranslate._sweep(tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    if os.path.exists("/proc/self/stat"):
        assert left == [".m.legacy.partial", ".m.live.partial"]
    else:
        assert ".m.live.partial" in left and ".m.dead.partial" not in left


@pytest.mark.own_conversions  # the child converter's failure, reported in one line
def test_failed_conversion_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(RuntimeError) as caught:
        ctranslate.convert(broken, tmp_path / "ct2" / "out", "int8")
    assert "\n" not in str(caught.value) and str(caught.value)
    assert list((tmp_path / "ct2").iterdir()) == []


# Its own conversions: with the session's, an earlier test (test_batch_ray's ctranslate2 run)
# has already converted and stored bart in int8, and the stored hot path never asks supports().
@pytest.mark.own_conversions
def test_unconvertible_model_falls_back_to_torch_under_auto(bart: Path, monkeypatch, caplog):
    monkeypatch.setattr(ct2, "supports", lambda model: False)
    monkeypatch.setattr(registry, "_LOADED", {})
    with caplog.at_level(logging.WARNING, logger="briefer"):
        model = registry.load(str(bart), "auto", "cpu")
    assert isinstance(model, TorchEngine)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "cannot convert" in lines[0] and "with torch instead" in lines[0]
    # Asked for by name, the engine that cannot run the model is an error (exit 4), not a swap.
    with pytest.raises(ModelError, match="cannot convert") as caught:
        registry.load(str(bart), "ctranslate2", "cpu")
    assert caught.value.exit_code == 4 and not isinstance(caught.value, EngineUnavailable)


def test_model_that_converts_but_fails_to_load(bart: Path, monkeypatch, caplog) -> None:
    import ctranslate2

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("Unsupported model spec\nmore detail")

    monkeypatch.setattr(ctranslate2, "Translator", broken)
    monkeypatch.setattr(registry, "_LOADED", {})
    with caplog.at_level(logging.WARNING, logger="briefer"):
        model = registry.load(str(bart), "auto", "cpu")
    assert isinstance(model, TorchEngine)
    assert "CTranslate2 could not load" in caplog.text and "with torch instead" in caplog.text
    with pytest.raises(ModelError, match="could not load .*Unsupported model spec") as caught:
        registry.load(str(bart), "ctranslate2", "cpu")
    assert "\n" not in str(caught.value)


def test_auto_picks_ctranslate2_and_missing_models_still_fail(bart: Path, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_LOADED", {})
    assert isinstance(registry.load(str(bart), "auto", "cpu"), ct2.CT2Engine)
    with pytest.raises(ModelError) as caught:
        registry.load("nobody/missing", "ctranslate2", "cpu")
    assert not isinstance(caught.value.__cause__, ConversionError)
    with pytest.raises(ModelError) as caught:
        registry.load("nobody/missing", "auto", "cpu")
    assert "nobody/missing" in str(caught.value)


def test_t5_runs_bfloat16_on_a_gpu() -> None:
    assert ct2.compute_type_for("cuda", "t5") == "bfloat16"
    assert ct2.compute_type_for("cuda", "mt5") == "bfloat16"
    assert ct2.compute_type_for("cuda", "bart") == "float16"
    assert ct2.compute_type_for("cpu", "t5") == "int8"


@pytest.mark.differential
def test_groups_queued_together_equal_separate_calls(bart: Path) -> None:
    model = ct2.load(str(bart), "cpu", compute_type="float32")
    greedy = model.settings.with_values("test", **GREEDY)
    short = greedy.with_values("test", max_length=8)
    together = model.generate([(TEXTS[:2], greedy), (TEXTS[2:], short), ([], greedy)])
    assert together == [
        model.generate([(TEXTS[:2], greedy)])[0],
        model.generate([(TEXTS[2:], short)])[0],
        [],
    ]
    assert together[0] != model.generate([(TEXTS[:2], short)])[0]  # the settings did differ


def _next_fit(lengths: list[int], size: int, most: int | None = None) -> list[list[int]]:
    """CTranslate2's batching written out batch by batch: longest first, fill while the batch
    padded to its longest (its first) input fits (and, as briefer bounds it, holds fewer
    than ``most`` inputs)."""
    out: list[list[int]] = []
    for length in sorted(lengths, reverse=True):
        fits = out and (len(out[-1]) + 1) * out[-1][0] <= size
        if fits and (most is None or len(out[-1]) < most):
            out[-1].append(length)
        else:
            out.append([length])
    return out


def _finish(groups, decodings, shape, workers: int, size: int, max_rows=None) -> float:
    """When the last of so many workers finishes, each taking the next batch as it comes free."""
    free = [0.0] * workers
    for group, decoding in zip(groups, decodings, strict=True):
        most = None if max_rows is None else max(1, max_rows // decoding.beams)
        for batch in _next_fit(group, size, most):
            free.sort()
            free[0] += ct2.batch_cost(batch, decoding, shape)
    return max(free)


@examples(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.lists(st.integers(1, 300), min_size=1, max_size=8), min_size=1, max_size=3),
    workers=st.integers(1, 4),
    cap=st.sampled_from([64, 512]),
    beams=st.sampled_from([1, 4]),
    longest=st.sampled_from([None, 40]),
    max_rows=st.sampled_from([None, 8, ct2.MAX_ROWS]),
)
def test_batch_size_plans_the_soonest_finish_within_the_cap(
    groups, workers, cap, beams, longest, max_rows
) -> None:
    decodings = [ct2.Decoding(beams, 0, longest)] * len(groups)
    shape = ct2.Shape()
    size = ct2.batch_size(groups, workers, cap, decodings=decodings, shape=shape, max_rows=max_rows)
    assert 1 <= size <= cap
    most = None if max_rows is None else max(1, max_rows // beams)
    for group in groups:
        assert ct2.next_fit(group, size) == _next_fit(group, size)
        made = ct2.next_fit(group, size, most)
        assert made == _next_fit(group, size, most)
        # Every batch of several inputs within the rows.
        assert max_rows is None or all(len(b) == 1 or len(b) * beams <= max_rows for b in made)
    # No size within the cap, tried one by one, finishes sooner.
    soonest = min(
        _finish(groups, decodings, shape, workers, tried, max_rows) for tried in range(1, cap + 1)
    )
    assert _finish(groups, decodings, shape, workers, size, max_rows) == pytest.approx(soonest)


# Sizes as the hub's config.json files give them: sshleifer/distilbart-cnn-12-6,
# Helsinki-NLP/opus-mt-en-fr (Marian base), t5-small (num_layers serves both stacks when
# num_decoder_layers is absent, as in the original T5 checkpoints).
DISTILBART = {
    "model_type": "bart", "d_model": 1024, "encoder_layers": 12, "decoder_layers": 6,
    "encoder_ffn_dim": 4096, "decoder_ffn_dim": 4096, "vocab_size": 50264,
}  # fmt: skip
OPUS_MT = {
    "model_type": "marian", "d_model": 512, "encoder_layers": 6, "decoder_layers": 6,
    "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048, "vocab_size": 59514,
}  # fmt: skip
T5_SMALL = {"model_type": "t5", "d_model": 512, "d_ff": 2048, "num_layers": 6, "vocab_size": 32128}


def test_shape_of_reads_each_family_config() -> None:
    assert ct2.shape_of(DISTILBART) == ct2.Shape(1024, 12, 6, 4096, 4096, 50264)
    assert ct2.shape_of(OPUS_MT) == ct2.Shape(512, 6, 6, 2048, 2048, 59514)
    assert ct2.shape_of(T5_SMALL) == ct2.Shape(512, 6, 6, 2048, 2048, 32128)
    assert ct2.shape_of({**T5_SMALL, "num_decoder_layers": 2}).decoder_layers == 2
    assert ct2.shape_of({"model_type": "bart"}) is None
    assert ct2.shape_of({**OPUS_MT, "d_model": "512"}) is None  # not a size: no plan from it
    # A deeper encoder costs more per token; a bigger vocabulary more per decoder row.
    assert ct2.Shape(encoder_layers=12).encoder_token(10) > ct2.Shape().encoder_token(10)
    assert ct2.Shape(vocab=64000).decoder_row(10) > ct2.Shape().decoder_row(10)


def test_engine_plans_with_its_model_shape(bart: Path) -> None:
    import json

    model = ct2.load(str(bart), "cpu", compute_type="float32")
    config = json.loads((bart / "config.json").read_text(encoding="utf-8"))
    assert model.shape == ct2.shape_of(config) and model.shape is not None
    assert model.step_rows == ct2.STEP_ROWS and model.max_rows == ct2.MAX_ROWS  # on the CPU
    # On a GPU (the engine built as load() builds it for one): fewest batches, no row bound.
    on_gpu = ct2.CT2Engine(model.model, model.translator, device="cuda")
    assert on_gpu.step_rows == ct2.GPU_STEP_ROWS and on_gpu.max_rows is None


def test_on_a_gpu_batches_are_as_few_as_the_cap_allows() -> None:
    # A GPU's decoder step costs about the same for a few rows or hundreds, and its memory is
    # not the CPU's: fewest batches.
    decoding = ct2.Decoding(4, 41, 41)
    for workers in (1, 2):
        size = ct2.batch_size(
            [SENTENCES], workers, decodings=[decoding], step_rows=ct2.GPU_STEP_ROWS, max_rows=None
        )
        assert len(ct2.next_fit(SENTENCES, size)) == len(ct2.next_fit(SENTENCES, ct2.BATCH_TOKENS))


# The benchmark's 46 summary sentences (benchmarks/run.py), in opus-mt-en-fr's tokens.
SENTENCES = [
    31, 44, 42, 20, 43, 29, 32, 29, 29, 47, 45, 38, 51, 61, 62, 27, 45, 43, 34, 20, 44, 51, 32,
    32, 31, 65, 29, 75, 39, 31, 44, 44, 42, 20, 43, 29, 32, 29, 47, 47, 45, 38, 51, 61, 62, 45,
]  # fmt: skip


def test_sentences_are_split_evenly_over_two_workers() -> None:
    # CTranslate2 sorts longest first, so at the smallest size that makes two batches the
    # second holds most sentences (17 and 29): one worker decoded 63% of the rows. Decoding
    # is most of a translation's work, so the plan evens the sentences out instead.
    decoding = ct2.Decoding(4, 41, 41)
    shape = ct2.shape_of(OPUS_MT)
    size = ct2.batch_size([SENTENCES], 2, decodings=[decoding], shape=shape, max_rows=None)
    made = [len(batch) for batch in _next_fit(SENTENCES, size)]
    assert len(made) == 2 and abs(made[0] - made[1]) <= 2
    assert [len(b) for b in ct2.next_fit(SENTENCES, 1276)] == [17, 29]  # the earlier plan's
    # Within MAX_ROWS (16 sentences at beam 4) they are more batches, and the workers, each
    # taking the next batch as it comes free, still get about as many sentences each.
    size = ct2.batch_size([SENTENCES], 2, decodings=[decoding], shape=shape)
    made = _next_fit(SENTENCES, size, ct2.MAX_ROWS // 4)
    assert len(made) > 2 and max(map(len, made)) * 4 <= ct2.MAX_ROWS
    first, second = _shares(made, decoding, shape, workers=2)
    assert abs(first - second) <= 2


def _shares(batches, decoding, shape, workers: int) -> list[int]:
    """The inputs each worker decodes, each taking the next batch as it comes free."""
    free, taken = [0.0] * workers, [0] * workers
    for batch in batches:
        first = free.index(min(free))
        free[first] += ct2.batch_cost(batch, decoding, shape)
        taken[first] += len(batch)
    return taken


def test_reduce_inputs_take_one_round() -> None:
    # The reduce pass of the benchmark's six articles: three joined summaries, beam 4, 62 steps.
    reduce = [138, 134, 122]
    decoding = ct2.Decoding(4, 62, 62)
    size = ct2.batch_size([reduce], 2, decodings=[decoding], shape=ct2.shape_of(DISTILBART))
    assert _next_fit(reduce, size) == [[138], [134, 122]]
    # Nine map chunks: pairs, and the three shortest together, two rounds of two workers.
    chunks = [898, 895, 893, 740, 720, 696, 557, 533, 512]
    size = ct2.batch_size([chunks], 2, decodings=[decoding], shape=ct2.shape_of(DISTILBART))
    assert [len(b) for b in _next_fit(chunks, size)] == [2, 2, 2, 3]


@examples(max_examples=300, deadline=None)
@given(
    groups=st.lists(st.lists(st.integers(1, 600), min_size=0, max_size=12), min_size=1, max_size=3),
    beams=st.lists(st.sampled_from([1, 2, 4, 5]), min_size=3, max_size=3),
    cap=st.sampled_from([256, 2048]),
)
def test_a_small_job_is_one_batch_per_group(groups, beams, cap) -> None:
    beams = beams[: len(groups)]
    size = ct2.batch_size(groups, 2, cap, beams=beams, merge=True)
    filled = [(group, b) for group, b in zip(groups, beams, strict=True) if group]
    rows = sum(len(group) * b for group, b in filled)
    padded = max((len(group) * max(group) for group, _ in filled), default=0)
    small = bool(filled) and rows <= ct2.MERGE_ROWS and padded <= min(ct2.MERGE_TOKENS, cap)
    assert ct2.merged(groups, beams, cap) is small
    if small:
        # Every group one batch, at the smallest size that makes it so.
        assert all(len(ct2.next_fit(group, size)) == 1 for group, _ in filled)
        assert size == max(len(group) * max(group) for group, _ in filled)
    else:
        assert size == ct2.batch_size(groups, 2, cap, beams=beams)  # as without merging
    # One worker has nothing to split over, and nothing changes without merge.
    assert ct2.batch_size(groups, 1, cap, beams=beams, merge=True) == ct2.batch_size(
        groups, 1, cap, beams=beams
    )


def test_three_long_inputs_on_two_workers_make_two_batches() -> None:
    # Three 700-token chunks: an even split (1,050 tokens) gives 3 batches, so one worker
    # would decode the third alone; 1,400 gives 2 batches, one round.
    assert len(ct2.next_fit([700] * 3, 1050)) == 3
    size = ct2.batch_size([[700] * 3], workers=2, beams=[4])
    assert size == 1400 and _next_fit([700] * 3, size) == [[700, 700], [700]]


def test_small_jobs_run_as_one_batch() -> None:
    # The reduce pass of run.py's brief: three long articles' joined chunk summaries, beam 4:
    # 12 decoder rows, 570 padded tokens. One batch on both cores beat two batches side by side.
    reduce = [190, 150, 130]
    assert ct2.merged([reduce], [4])
    size = ct2.batch_size([reduce], workers=2, beams=[4], merge=True)
    assert _next_fit(reduce, size) == [reduce]
    # Where a lone batch does not get every core, it stays two batches, one round.
    assert _next_fit(reduce, ct2.batch_size([reduce], workers=2, beams=[4])) == [[190], [150, 130]]
    # Eight sentences at beam 4 (32 rows) still merge; nine (36 rows) are split again.
    assert ct2.merged([[30] * 8], [4]) and not ct2.merged([[30] * 9], [4])
    nine = ct2.batch_size([[30] * 9], workers=2, beams=[4], merge=True)
    assert len(_next_fit([30] * 9, nine)) == 2
    # The same nine greedy (9 rows) merge: it is decoder rows that count, not texts.
    assert ct2.merged([[30] * 9], [1])
    # Long inputs gain nothing and padding costs: two chunks of 950 and 540 tokens are split.
    assert not ct2.merged([[950, 540]], [4])
    assert not ct2.merged([[600, 590]], [1])  # 1,200 padded tokens
    # Rows count over every group queued together.
    assert not ct2.merged([[30] * 4, [30] * 5], [4, 4])
    # No inputs, nothing to merge.
    assert not ct2.merged([[], []], [4, 4]) and not ct2.merged([], [])


@pytest.mark.parametrize(
    ("machine", "environ", "whole"),
    [
        ("XEON_VNNI", {}, True),  # 2 workers × 2 threads on 2 cores: a lone batch gets both
        ("XEON_VNNI", {"OMP_NUM_THREADS": "2"}, False),  # a Ray actor's 2 × 1
        ("XEON_VNNI", {"CT2_USE_MKL": "0"}, True),  # oneDNN on Intel: still 2 × 2
        ("EPYC_AVX2", {}, False),  # oneDNN: 2 workers × 1 thread, each batch on a core
        ("XEON_AMX", {}, False),  # 4 workers × 2 threads on 8 cores
        ("SINGLE", {}, False),  # one worker: nothing to merge over
    ],
)
def test_small_jobs_merge_only_where_a_lone_batch_gets_every_core(machine, environ, whole) -> None:
    single = cpu.Cpu("AMD EPYC 7B13", "AuthenticAMD", frozenset(["avx", "avx2", "fma"]), 1)
    chosen = {
        "XEON_VNNI": XEON_VNNI,
        "EPYC_AVX2": EPYC_AVX2,
        "XEON_AMX": XEON_AMX,
        "SINGLE": single,
    }[machine]
    assert cpu.plan(chosen, "cpu", environ).whole is whole
    assert cpu.plan(chosen, "cuda", environ).whole is False


def test_groups_are_batched_call_by_call() -> None:
    # Two calls queued together (say, one article's chunks with settings of their own): at 200
    # tokens they make 1 + 2 batches, a second round for one worker; at 300, 1 + 1.
    assert ct2.batch_size([[100], [100, 100, 100]], workers=2) == 300
    assert ct2.next_fit([100, 100, 100], 200) == [[100, 100], [100]]
    # An input past the cap gets a batch of its own; the others still share theirs.
    size = ct2.batch_size([[3000, 40, 30]], workers=2, cap=2048)
    assert size <= 2048 and _next_fit([3000, 40, 30], size) == [[3000], [40, 30]]


def _ct2_batches(translator, lengths: list[int], size: int) -> list[int]:
    """Return how many inputs each batch CTranslate2 itself made held, in the order it ran them.

    One worker runs the batches one after another; greedy decoding's step callback reports
    every input of a batch at step 0, then at step 1; a report back at step 0 is a new batch.
    """
    steps: list[int] = []
    translator.translate_batch(
        [["▁a"] * length for length in lengths],
        max_batch_size=size,
        batch_type="tokens",
        beam_size=1,
        min_decoding_length=2,
        max_decoding_length=2,
        callback=lambda step: steps.append(step.step) and False,
    )
    runs: list[int] = []
    last = None
    for step in steps:
        if last is None or step < last:
            runs.append(0)
        runs[-1] += step == 0
        last = step
    return runs


def test_batches_are_counted_as_ctranslate2_makes_them(bart: Path) -> None:
    # The batch size is chosen by predicting CTranslate2's batching, so the prediction is
    # checked against CTranslate2 itself: it pads each batch to its longest input, and a
    # prediction that summed lengths instead picked sizes one batch short (138, 134 and 122
    # tokens at 256: 3 batches, where 2 were planned).
    import random

    import ctranslate2

    model = ct2.load(str(bart), "cpu", compute_type="float32")
    folder = ctranslate.converted_path(str(bart.resolve()), model.revision, "float32")
    translator = ctranslate2.Translator(str(folder), device="cpu", inter_threads=1, intra_threads=1)
    draw = random.Random(7)
    cases = [([138, 134, 122], 256), ([138, 134, 122], 268), ([190, 150, 130], 470)]
    for _ in range(150):
        lengths = [draw.randint(1, 60) for _ in range(draw.randint(1, 9))]
        cases.append((lengths, draw.randint(1, 200)))
    for lengths, size in cases:
        made = _ct2_batches(translator, lengths, size)
        assert made == [len(batch) for batch in _next_fit(lengths, size)], (lengths, size)
        assert len(ct2.next_fit(lengths, size)) == len(made), (lengths, size)
    assert _ct2_batches(translator, [138, 134, 122], 256) == [1, 1, 1]
    assert _ct2_batches(translator, [138, 134, 122], ct2.batch_size([[138, 134, 122]], 2)) == [1, 2]
    # Merged, a small job is one batch per group as CTranslate2 makes it.
    merged = ct2.batch_size([[190, 150, 130]], 2, beams=[4], merge=True)
    assert _ct2_batches(translator, [190, 150, 130], merged) == [3]


def test_generate_sends_the_planned_batches(bart: Path) -> None:
    model = ct2.load(str(bart), "cpu", compute_type="float32")
    calls: list[tuple[list[int], int]] = []
    beams: list[int] = []

    class Recording:
        """The loaded translator, with two workers' worth of batching, recording each call's
        input lengths and max_batch_size."""

        num_translators = 2

        def translate_batch(self, sources, **options):
            calls.append(([len(tokens) for tokens in sources], options["max_batch_size"]))
            beams.append(options["beam_size"])
            return real.translate_batch(sources, **options)

    def planned(texts, settings, merge: bool, *more) -> list[list[int]]:
        """The batches planned for these texts (and more texts and settings, queued after
        them) from the options CTranslate2 gets for them."""
        jobs = [(texts, settings), *zip(more[::2], more[1::2], strict=True)]
        groups, decodings = [], []
        for group_texts, group_settings in jobs:
            groups.append([len(model.model.tokenizer(text).input_ids) for text in group_texts])
            options, _ = ct2.translate_options(group_settings, model.model, model.vocabulary)
            decodings.append(ct2.Decoding.of(options))
        size = ct2.batch_size(groups, 2, decodings=decodings, shape=model.shape, merge=merge)
        return [
            batch
            for lengths, decoding in zip(groups, decodings, strict=True)
            for batch in _next_fit(lengths, size, ct2.most_inputs(decoding, ct2.MAX_ROWS))
        ]

    real, model.translator = model.translator, Recording()
    model.whole_machine = False  # as on a machine where a lone batch gets some cores only
    greedy = model.settings.with_values("test", **GREEDY)
    model.generate([(TEXTS[:3], greedy)])
    # Each batch is a call of its own, sized so that CTranslate2 makes exactly that batch.
    assert [lengths for lengths, _ in calls] == planned(TEXTS[:3], greedy, False)
    assert len(calls) == 2
    assert all(size == len(lengths) * max(lengths) for lengths, size in calls)
    # Where it gets every core, a small job (3 texts, greedy) is one batch.
    model.whole_machine = True
    calls.clear()
    model.generate([(TEXTS[:3], greedy)])
    assert [lengths for lengths, _ in calls] == planned(TEXTS[:3], greedy, True)
    assert len(calls) == 1
    # Twelve texts at beam 4 (48 decoder rows) are split over the two workers all the same.
    calls.clear()
    texts = (TEXTS * 3)[:12]
    beam = model.settings.with_values("test", num_beams=4, max_length=8)
    model.generate([(texts, beam)])
    assert [lengths for lengths, _ in calls] == planned(texts, beam, True)
    assert len(calls) == 2
    # Twenty-four at beam 4 are 96 rows: more batches, none over MAX_ROWS.
    calls.clear()
    texts = (TEXTS * 5)[:24]
    model.generate([(texts, beam)])
    assert [lengths for lengths, _ in calls] == planned(texts, beam, True)
    assert all(len(lengths) * 4 <= ct2.MAX_ROWS for lengths, _ in calls)
    # Each group is cut by its own beams: 16 inputs at beam 4, 64 greedy.
    calls.clear()
    beams.clear()
    model.generate([(texts, greedy), (texts, beam)])
    assert [lengths for lengths, _ in calls] == planned(texts, greedy, True, texts, beam)
    assert all(
        len(lengths) * b <= ct2.MAX_ROWS for (lengths, _), b in zip(calls, beams, strict=True)
    )
    assert sorted(set(beams)) == [1, 4]


@examples(max_examples=300, deadline=None)
@given(
    lengths=st.lists(st.sampled_from([1, 3, 7, 7, 12, 40]), max_size=30),
    size=st.integers(1, 200),
    most=st.sampled_from([None, 1, 2, 5]),
    prefix=st.sampled_from([None, ["fra_Latn"]]),
)
def test_queue_sends_each_batch_once_and_keeps_the_order(lengths, size, most, prefix) -> None:
    sources = [[f"{n}:{k}" for k in range(length)] for n, length in enumerate(lengths)]
    sent = []

    class Echo:
        def translate_batch(self, inputs, **options):
            sent.append((inputs, options))
            return [_Done(tokens) for tokens in inputs]

    results = ct2.queue(Echo(), sources, size, most, prefix, beam_size=2)
    assert [result.result() for result in results] == sources  # every input, in order
    batches = [[len(tokens) for tokens in inputs] for inputs, _ in sent]
    assert batches == _next_fit(lengths, size, most)  # the planned batches, longest first
    for inputs, options in sent:
        # Sized so that CTranslate2 makes it one batch, with each input's prefix and options.
        assert options["max_batch_size"] == len(inputs) * len(inputs[0])
        assert options["target_prefix"] == ([prefix] * len(inputs) if prefix else None)
        assert options["batch_type"] == "tokens" and options["beam_size"] == 2
    # Inputs of one length keep their order within the batches.
    order = [int(tokens[0].split(":")[0]) for inputs, _ in sent for tokens in inputs if tokens]
    for length in set(lengths):
        same = [n for n in order if lengths[n] == length]
        assert same == sorted(same)


def test_batches_come_back_in_the_inputs_order(bart: Path) -> None:
    # Batches run longest first, each a call of its own; the outputs are put back in order.
    model = ct2.load(str(bart), "cpu", compute_type="float32")

    class Echo:
        """A translator that answers each input with its own tokens, at once."""

        num_translators = 2

        def translate_batch(self, sources, **options):
            return [_Done(SimpleNamespace(hypotheses=[tokens])) for tokens in sources]

    model.translator = Echo()
    model.whole_machine = False
    beam = model.settings.with_values("test", num_beams=4, max_length=8)
    texts = [f"{text} ({n})" for n, text in enumerate(TEXTS * 5)]  # 25, no two alike
    alone = [model.generate([([text], beam)])[0][0] for text in texts]
    assert len(set(alone)) == len(texts)
    assert model.generate([(texts, beam), (texts[:3], beam)]) == [alone, alone[:3]]


class _Done:
    """An asynchronous result that is already there."""

    def __init__(self, value):
        self.value = value

    def done(self) -> bool:
        return True

    def result(self):
        return self.value


# CPUs as /proc/cpuinfo describes the two kinds CI runs on, and a newer one: an Intel Xeon with
# AVX-512 VNNI (Cascade Lake and later), an AMD EPYC with AVX2 only, a Xeon with AMX.
XEON_VNNI = cpu.Cpu(
    "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
    "GenuineIntel",
    frozenset(["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni"]),
    2,
)
# Cloud machines mask the model name ("AMD EPYC"); the family and model numbers tell Zen 3
# (family 25 model 1) from Zen 4 (family 25 model 17).
EPYC_AVX2 = cpu.Cpu(
    "AMD EPYC", "AuthenticAMD", frozenset(["sse4_2", "avx", "avx2", "fma"]), 2, "family 25 model 1"
)
XEON_AMX = cpu.Cpu(
    "Intel(R) Xeon(R) Platinum 8480+",
    "GenuineIntel",
    frozenset(["avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_int8", "amx_bf16"]),
    8,
)
# An AMD EPYC of the Zen 4 kind (family 25 model 17), as seen here: AVX-512 with VNNI and bf16,
# no AMX. AVX-512 kernels measured no faster than CTranslate2's AVX2 there, so briefer leaves
# CTranslate2's choice (benchmarks/SCHEDULING.md).
EPYC_ZEN4 = cpu.Cpu(
    "AMD EPYC",
    "AuthenticAMD",
    frozenset(["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16"]),
    2,
    "family 25 model 17",
)


@pytest.mark.parametrize(
    ("machine", "kernels", "gemm", "env", "threads"),
    [
        (XEON_VNNI, "AVX512", "Intel MKL", (("CT2_FORCE_CPU_ISA", "AVX512"),), (2, 2)),
        (EPYC_AVX2, "AVX2", "oneDNN", (), (2, 1)),
        (XEON_AMX, "AVX512", "Intel MKL", (("CT2_FORCE_CPU_ISA", "AVX512"),), (4, 2)),
        (EPYC_ZEN4, "AVX2", "oneDNN", (), (2, 1)),
        # More cores than workers on AMD: shared out rounding up, no core idle.
        (replace(EPYC_AVX2, cores=6), "AVX2", "oneDNN", (), (4, 2)),
        (replace(EPYC_AVX2, cores=16), "AVX2", "oneDNN", (), (4, 4)),
        # Arm: no x86 flags, no vendor CTranslate2's MKL/oneDNN rule knows.
        (
            cpu.Cpu("unknown CPU", "unknown", frozenset(["fp", "asimd"]), 2),
            "GENERIC",
            "CTranslate2's own GEMM",
            (),
            (2, 2),
        ),
    ],
)
def test_plan_follows_the_cpu_kind(machine, kernels: str, gemm: str, env: tuple, threads) -> None:
    layout = cpu.plan(machine, "cpu", {})
    assert (layout.kernels, layout.gemm, layout.env) == (kernels, gemm, env)
    # On Intel a lone batch gets two cores where there are two; on AMD each worker has its
    # share of the cores (a second thread measured slower on AMD EPYC). Every core has a thread
    # when every worker is busy, and never more than two threads a core.
    assert (layout.inter, layout.intra) == threads
    assert machine.cores <= layout.inter * layout.intra <= 2 * max(machine.cores, 1)
    line = layout.describe(machine)
    assert machine.name in line and machine.isa in line and kernels in line and gemm in line
    if machine.family_model:
        assert f"{machine.model}, {machine.family_model} (" in line
    assert ("measured slower on AMD EPYC" in line) == (
        machine.vendor == "AuthenticAMD" and layout.intra == 1
    )


@pytest.mark.parametrize(("budget", "layout"), [("1", (1, 1)), ("2", (2, 1)), ("6", (4, 1))])
def test_omp_num_threads_bounds_the_threads(budget: str, layout: tuple) -> None:
    # What Ray sets in an actor (its num_cpus), or a user in a shared job: the threads keep to
    # it, so actors side by side do not each lay out the whole machine.
    plan = cpu.plan(XEON_AMX, "cpu", {"OMP_NUM_THREADS": budget})
    assert (plan.inter, plan.intra) == layout
    assert f"OMP_NUM_THREADS={budget}" in plan.why
    for ignored in ("", "0", "two", "-1"):
        unbounded = cpu.plan(XEON_AMX, "cpu", {"OMP_NUM_THREADS": ignored})
        assert (unbounded.inter, unbounded.intra) == (4, 2)


def test_a_kernel_set_ctranslate2_lacks_is_said_before_any_work() -> None:
    # CTranslate2 raised a bare "ValueError: Invalid CPU ISA: BOGUS" at the first translation
    # (exit 1); under --backend auto the run now goes on with torch, and says why.
    from briefer.errors import EngineUnavailable

    # CTranslate2 takes the value as written, and only its architecture's (a review found
    # "avx2" and "NEON" on x86 passing this check and failing at the first translation).
    for bad in ("BOGUS", "avx2", "NEON"):
        with pytest.raises(EngineUnavailable, match=f"CT2_FORCE_CPU_ISA={bad} is not a kernel"):
            cpu.plan(EPYC_AVX2, "cpu", {"CT2_FORCE_CPU_ISA": bad})
    assert cpu.plan(EPYC_AVX2, "cpu", {"CT2_FORCE_CPU_ISA": "AVX"}).kernels == "AVX"
    arm = cpu.Cpu("unknown CPU", "unknown", frozenset(["fp", "asimd"]), 2)
    assert cpu.plan(arm, "cpu", {"CT2_FORCE_CPU_ISA": "NEON"}).kernels == "NEON"


def test_one_core_gets_one_worker_of_one_thread() -> None:
    single = cpu.Cpu("AMD EPYC 7B13", "AuthenticAMD", frozenset(["avx", "avx2", "fma"]), 1)
    layout = cpu.plan(single, "cpu", {})
    assert (layout.inter, layout.intra) == (1, 1)


def test_plan_never_overrides_the_users_settings() -> None:
    layout = cpu.plan(XEON_VNNI, "cpu", {"CT2_FORCE_CPU_ISA": "AVX2", "CT2_USE_MKL": "0"})
    assert (layout.kernels, layout.gemm, layout.env) == ("AVX2", "oneDNN", ())
    assert "CT2_FORCE_CPU_ISA" in layout.why and "CT2_USE_MKL" in layout.why
    forced = cpu.plan(EPYC_AVX2, "cpu", {"CT2_USE_MKL": "1"})
    assert forced.gemm == "Intel MKL" and "unset it" in (forced.warning or "")
    assert cpu.plan(XEON_VNNI, "cpu", {"CT2_USE_MKL": "1"}).warning is None
    assert cpu.plan(EPYC_AVX2, "cpu", {}).warning is None


def test_this_cpu_is_read_from_the_machine() -> None:
    here = cpu.this_cpu()
    assert here.cores >= 1 and here.model
    if Path("/proc/cpuinfo").is_file():
        flags = next(
            line.split(":", 1)[1].split()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        )
        assert here.flags == frozenset(flags)
        first = Path("/proc/cpuinfo").read_text().split("\n\n")[0]  # the first processor
        numbers = {
            key.strip(): value.strip()
            for key, _, value in (line.partition(":") for line in first.splitlines())
            if key.strip() in ("cpu family", "model")
        }
        if len(numbers) == 2:  # x86; Arm's /proc/cpuinfo has neither
            assert here.family_model == f"family {numbers['cpu family']} model {numbers['model']}"
            assert here.name == f"{here.model}, {here.family_model}"


def test_verbose_says_what_runs_where_once(bart: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setattr(ct2, "_PLANNED", set())
    # What briefer sets for ctranslate2 (AVX-512 kernels on Intel with VNNI or AMX) is not the
    # user's: the line gives briefer's reason, not "set by CT2_FORCE_CPU_ISA".
    monkeypatch.delenv("CT2_FORCE_CPU_ISA", raising=False)
    expected = cpu.plan(cpu.this_cpu(), "cpu", dict(os.environ)).describe(cpu.this_cpu())
    with caplog.at_level(logging.INFO, logger="briefer"):
        ct2.load(str(bart), "cpu")
        ct2.load(str(bart), "cpu")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("CTranslate2 on")]
    assert lines == [expected]


def test_kernels_briefer_chose_are_not_reported_as_the_users(monkeypatch) -> None:
    # On an Intel Xeon with AMX briefer asks ctranslate2 for AVX-512 kernels by setting
    # CT2_FORCE_CPU_ISA before it loads; the plan made after that (the -v line) once read the
    # variable back as the user's and said "kernels set by CT2_FORCE_CPU_ISA".
    monkeypatch.setattr(
        os, "environ", {k: v for k, v in os.environ.items() if not k.startswith("CT2_")}
    )
    monkeypatch.setattr(ct2, "_SET_BY_BRIEFER", {})
    monkeypatch.setattr(ct2, "_PLANNED", set())
    monkeypatch.setattr(cpu, "this_cpu", lambda: XEON_AMX)
    ct2._apply_plan(None)
    assert os.environ["CT2_FORCE_CPU_ISA"] == "AVX512"
    layout = ct2._apply_plan("cpu")
    assert layout.kernels == "AVX512" and "measured" in layout.why and "set by" not in layout.why
    # The user's own setting is still the user's, and wins.
    monkeypatch.setattr(ct2, "_SET_BY_BRIEFER", {})
    os.environ["CT2_FORCE_CPU_ISA"] = "AVX2"
    ct2._apply_plan(None)
    layout = ct2._apply_plan("cpu")
    assert os.environ["CT2_FORCE_CPU_ISA"] == "AVX2"
    assert layout.kernels == "AVX2" and "kernels set by CT2_FORCE_CPU_ISA" in layout.why


def test_a_damaged_conversion_is_converted_again(
    bart: Path, tmp_path: Path, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A truncated model.bin in the conversion cache failed every run with "could not load
    '<model folder>': File model.bin is incomplete", naming the model, not the conversion,
    and under auto sent every later run to torch."""
    monkeypatch.setattr(ctranslate, "cache_root", lambda: tmp_path / "conversions")
    model = ct2.load(str(bart), "cpu", compute_type="float32")
    text = ["The council met on Monday to discuss the bridge."]
    want = generate(model, text, num_beams=1, max_length=12)
    folder = ctranslate.converted_path(str(bart.resolve()), model.revision, "float32")
    weights = folder / "model.bin"
    size = weights.stat().st_size
    with weights.open("r+b") as file:
        file.truncate(size // 2)
    with caplog.at_level(logging.WARNING, logger="briefer"):
        again = ct2.load(str(bart), "cpu", compute_type="float32")
    assert f"its conversion {folder} is converted again" in caplog.text
    assert weights.stat().st_size == size
    assert generate(again, text, num_beams=1, max_length=12) == want


def test_cache_clear_removes_what_a_killed_conversion_left(tmp_path: Path, monkeypatch) -> None:
    """A killed conversion's .partial folder survived `cache clear --conversions`; one in
    progress (its process alive) is left alone."""
    monkeypatch.setattr(ctranslate, "cache_root", lambda: tmp_path / "conversions")
    root = ctranslate.cache_root()
    dead = root / ".model-a-int8-v1.x1.partial"
    alive = root / ".model-b-int8-v1.x2.partial"
    finished = root / "model-c-int8-v1"
    for folder in (dead, alive, finished):
        folder.mkdir(parents=True)
    (dead / "owners").write_text("999999999 1\n")  # no such process
    ctranslate._own(alive, os.getpid())
    (finished / "model.bin").write_bytes(b"x")
    assert ctranslate.remove_conversions() == 1
    assert sorted(p.name for p in root.iterdir()) == [alive.name]


def test_a_load_error_that_is_no_damage_keeps_the_conversion(
    bart: Path, tmp_path: Path, monkeypatch
) -> None:
    """Out of memory or no CUDA is no damaged folder: converting again would not help (a
    review saw a good conversion deleted, made again, and the same error raised)."""
    import ctranslate2

    monkeypatch.setattr(ctranslate, "cache_root", lambda: tmp_path / "conversions")
    model = ct2.load(str(bart), "cpu", compute_type="float32")
    folder = ctranslate.converted_path(str(bart.resolve()), model.revision, "float32")
    made = (folder / "model.bin").stat().st_mtime_ns

    def fails(*_: object, **__: object) -> None:
        raise RuntimeError("CUDA failed with error out of memory")

    monkeypatch.setattr(ctranslate2, "Translator", fails)
    with pytest.raises(EngineUnavailable, match="out of memory"):
        ct2.load(str(bart), "cpu", compute_type="float32")
    assert (folder / "model.bin").stat().st_mtime_ns == made
