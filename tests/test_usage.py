"""Engines count their model work (tokens in, decoder steps, beams): the benchmark's FLOPs rest on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from briefer import Briefer
from briefer.engines import ctranslate2 as ct2
from briefer.engines import torch as torch_engine
from briefer.engines.ctranslate2 import translate_options

# Of different lengths, so a padded batch would count padding if the counter were wrong.
TEXTS = [
    "The ministers met in Paris on Tuesday to agree a plan against the militants.",
    "Heavy rain caused flooding in several northern villages.",
    "Good morning.",
]


def input_lengths(folder: Path) -> list[int]:
    """Return each text's length in transformers' tokenizer, special tokens included."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return [len(ids) for ids in tokenizer(TEXTS).input_ids]


@pytest.fixture
def ct2_model(marian_fr: Path):
    """The tiny Marian converted for CTranslate2, in float32 (converted once per session)."""
    return ct2.load(str(marian_fr), "cpu", compute_type="float32")


def test_ct2_counts_tokens_in_and_pinned_steps(ct2_model, marian_fr: Path) -> None:
    # min = max: every search runs to its limit, whatever the weights say.
    settings = ct2_model.settings.with_values("test", num_beams=2, min_length=9, max_length=9)
    # 8 tokens after the start; opus-mt forces its end token last, which transformers spends a
    # step on and ctranslate2 does not run: 7 steps.
    limit = translate_options(settings, ct2_model.model)[0]["max_decoding_length"]
    assert limit == (7 if settings.forced_eos_token_id is not None else 8)
    before = ct2_model.usage.as_dict()
    ct2_model.generate([(TEXTS, settings)])
    got = {k: v - before[k] for k, v in ct2_model.usage.as_dict().items()}
    lengths = input_lengths(marian_fr)
    assert got["sequences"] == 3 and got["calls"] == 1
    assert got["input_tokens"] == sum(lengths)
    assert got["input_tokens_sq"] == sum(n * n for n in lengths)
    assert got["steps"] == 3 * limit and got["beam_steps"] == 2 * 3 * limit
    assert got["beam_steps_input"] == 2 * limit * sum(lengths)
    assert got["beam_steps_self"] == 3 * 2 * (limit * (limit + 1) // 2)


def test_progress_logs_at_intervals_only_under_verbose(caplog) -> None:
    import logging

    from briefer.engines import usage

    clock = iter([0.0, 0.0, 4.0, 11.0, 12.0, 25.0, 30.0])
    with caplog.at_level(logging.INFO, logger="briefer"):
        progress = usage.Progress("m", 6, finished=lambda: 4, clock=lambda: next(clock))
        for _ in range(6):
            progress.advance()
    lines = [r.getMessage() for r in caplog.records]
    # Texts 1 and 2 (0 and 4 s) nothing: under 10 s since the start. Text 3 (11 s) a line
    # with the queue's count (4 done, 3 collected in order); text 4 (12 s) nothing, 1 s after
    # that line; text 5 (25 s) a line with the larger, in-order count; the last text none.
    assert lines == ["m: 4 of 6 texts generated (11 s)", "m: 5 of 6 texts generated (25 s)"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="briefer"):
        quiet = usage.Progress("m", 6, every=0.0)
        for _ in range(6):
            quiet.advance()
    assert caplog.records == []


def test_a_long_generate_says_how_far_it_got(ct2_model, marian_fr: Path, caplog, monkeypatch):
    import logging

    from briefer.engines import usage

    monkeypatch.setattr(usage, "PROGRESS_EVERY", 0.0)
    settings = ct2_model.settings.with_values("test", num_beams=1, min_length=4, max_length=4)
    with caplog.at_level(logging.INFO, logger="briefer"):
        ct2_model.generate([(TEXTS, settings), (TEXTS[:1], settings)])
    lines = [r.getMessage() for r in caplog.records if "texts generated" in r.getMessage()]
    # Every text but the last says how many of the call's 4 are done, never fewer than in order.
    counts = [int(line.split(": ")[1].split()[0]) for line in lines]
    assert len(lines) == 3 and all(line.endswith("s)") for line in lines)
    assert all("of 4 texts generated" in line for line in lines)
    assert counts == sorted(counts) and all(n >= k for k, n in enumerate(counts, 1))


def test_ct2_steps_equal_the_hypotheses_with_their_end_token(ct2_model) -> None:
    # Not pinned: random weights stop wherever their end token wins, or at the limit.
    settings = ct2_model.settings.with_values("test", num_beams=1, min_length=0, max_length=24)
    before = ct2_model.usage.steps
    ct2_model.generate([(TEXTS, settings)])
    tokenizer = ct2_model.model.tokenizer
    sources = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(TEXTS).input_ids]
    options, _ = translate_options(settings, ct2_model.model, ct2_model.vocabulary)
    # The same batch straight through ctranslate2, asking it to return the end token it ran.
    direct = ct2_model.translator.translate_batch(sources, return_end_token=True, **options)
    assert ct2_model.usage.steps - before == sum(len(r.hypotheses[0]) for r in direct)


@pytest.fixture(scope="module")
def torch_model(marian_fr: Path):
    """The tiny Marian on the torch engine, four texts a batch (so batches are padded)."""
    return torch_engine.load(str(marian_fr), "cpu", batch_size=4)


def test_torch_generate_says_how_far_it_got(marian_fr: Path, caplog, monkeypatch) -> None:
    import logging

    from briefer.engines import usage

    monkeypatch.setattr(usage, "PROGRESS_EVERY", 0.0)
    model = torch_engine.load(str(marian_fr), "cpu", batch_size=1)
    settings = model.settings.with_values("test", num_beams=1, min_length=4, max_length=4)
    with caplog.at_level(logging.INFO, logger="briefer"):
        model.generate([(TEXTS, settings), (TEXTS[:1], settings)])
    lines = [r.getMessage() for r in caplog.records if "texts generated" in r.getMessage()]
    # One batch a text: a line after each but the last, counting across the call's groups.
    assert [line.split(" (")[0] for line in lines] == [
        f"{marian_fr}: {n} of 4 texts generated" for n in (1, 2, 3)
    ]


def test_torch_counts_real_tokens_not_padding(torch_model, marian_fr: Path) -> None:
    settings = torch_model.settings.with_values("test", num_beams=3, min_length=7, max_length=7)
    torch_model.generate([(TEXTS, settings)])
    got = torch_model.usage
    lengths = input_lengths(marian_fr)
    assert (got.sequences, got.input_tokens) == (3, sum(lengths))
    assert got.steps == 3 * 6 and got.beam_steps == 3 * 3 * 6
    briefer = Briefer()
    briefer._translators["fr"] = torch_model
    assert briefer.usage() == {torch_model.name: got.as_dict()}


def test_torch_steps_equal_a_hand_generate(marian_fr: Path) -> None:
    # One text per call on both sides: no padding, the same shapes, so the same outputs.
    engine = torch_engine.load(str(marian_fr), "cpu", batch_size=1)
    settings = engine.settings.with_values("test", num_beams=1, min_length=0, max_length=24)
    engine.generate([(TEXTS, settings)])
    tokenizer = AutoTokenizer.from_pretrained(marian_fr)
    model = AutoModelForSeq2SeqLM.from_pretrained(marian_fr)
    expected = 0
    for text in TEXTS:
        with torch.no_grad():
            ids = model.generate(
                **tokenizer(text, return_tensors="pt"), num_beams=1, min_length=0, max_length=24
            )
        expected += ids.shape[1] - 1  # all but the decoder start token, the end token included
    assert engine.usage.steps == expected


def test_benchmark_flops_match_the_model_weights(marian_fr: Path) -> None:
    # benchmarks/floor.py turns these counts into FLOPs from the model's shape: per token, twice
    # the weights each matrix product uses, which the real (tiny) model's weights tell.
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from floor import model_flops

    model = AutoModelForSeq2SeqLM.from_pretrained(marian_fr)
    config = model.config
    shape = {
        "d_model": config.d_model,
        "ffn_dim": config.encoder_ffn_dim,
        "vocab_size": config.vocab_size,
        "encoder_layers": config.encoder_layers,
        "decoder_layers": config.decoder_layers,
    }
    matrices = {
        name: p.numel()
        for name, p in model.named_parameters()
        if p.dim() == 2 and "embed" not in name and "shared" not in name
    }
    lm_head = model.get_output_embeddings().weight.numel()
    cross_kv = sum(
        n for k, n in matrices.items() if "encoder_attn.k_" in k or "encoder_attn.v_" in k
    )
    encoder = sum(n for k, n in matrices.items() if k.startswith("model.encoder."))
    decoder = sum(n for k, n in matrices.items() if k.startswith("model.decoder.")) - cross_kv
    zero = dict.fromkeys(
        ("input_tokens", "input_tokens_sq", "beam_steps", "beam_steps_input", "beam_steps_self"), 0
    )
    one_token = model_flops(shape, zero | {"input_tokens": 1})
    assert one_token["encoder"] == 2 * encoder
    assert one_token["decoder"] == 2 * cross_kv  # the source's K and V, once per sequence
    assert model_flops(shape, zero | {"beam_steps": 1})["decoder"] == 2 * (decoder + lm_head)


def test_translate_v_logs_the_work_the_benchmark_reads(marian_fr: Path, tmp_path: Path) -> None:
    import io
    import json

    from briefer.cli import Env, main
    from briefer.engines import registry

    registry.clear()  # a fresh engine: its counts are this run's only
    doc = tmp_path / "notes.txt"
    doc.write_text("The talks went well. More will follow.\n", encoding="utf-8")
    err = io.StringIO()
    env = Env(io.BytesIO(b""), io.StringIO(), err, stdin_isatty=True, stderr_isatty=False)
    argv = ["translate", str(doc), "-l", "fr", "-t", str(marian_fr), "-f", "text", "-v"]
    # --no-guard, as the benchmark runs it: the guard would translate looping sentences again.
    assert main([*argv, "--no-guard", "--backend", "torch"], env) == 0
    line = next(x for x in err.getvalue().splitlines() if x.startswith("briefer: work: "))
    work = json.loads(line.removeprefix("briefer: work: "))[str(marian_fr)]
    tokenizer = AutoTokenizer.from_pretrained(marian_fr)
    expected = [len(tokenizer(s).input_ids) for s in ("The talks went well.", "More will follow.")]
    assert (work["sequences"], work["input_tokens"]) == (2, sum(expected))


def test_scheduling_report_keeps_one_section_per_cpu() -> None:
    # benchmarks/SCHEDULING.md holds the measurements of every CPU kind scheduling.py ran on;
    # a run replaces its own CPU's section, where it was, notes included, and keeps the others.
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from scheduling import section_heading, with_section

    from briefer.engines.cpu import Cpu

    amd = "## AMD EPYC (AuthenticAMD; avx avx2 fma)\n\nAMD run 1\n\nnotes\n## not a heading of a CPU\n"
    intel = "## Intel Xeon (GenuineIntel; avx avx2 avx512f)\n\nfirst run\n"
    report = with_section(with_section("", amd), intel)
    assert report.index("AMD EPYC") < report.index("Intel Xeon")
    again = with_section(report, "## AMD EPYC (AuthenticAMD; avx avx2 fma)\n\nAMD run 2\n")
    assert again.count("## AMD EPYC") == 1 and "AMD run 2" in again and "AMD run 1" not in again
    assert "## not a heading" not in again  # the old notes went with their section
    assert again.index("AMD EPYC") < again.index("Intel Xeon") and "first run" in again
    assert with_section(again, intel) == again  # the same section again changes nothing
    # A CPU whose family and model numbers are known gets a section of its own beside the one
    # of the same name recorded without them.
    zen3 = Cpu(
        "AMD EPYC", "AuthenticAMD", frozenset(["avx", "avx2", "fma"]), 2, "family 25 model 1"
    )
    heading = section_heading(zen3)
    assert heading == "## AMD EPYC (AuthenticAMD family 25 model 1; avx avx2 fma)"
    both = with_section(again, f"{heading}\n\nZen 3 run\n")
    assert both.count("## AMD EPYC") == 2 and "AMD run 2" in both and "Zen 3 run" in both
    assert section_heading(Cpu("AMD EPYC", "AuthenticAMD", zen3.flags, 2)) == amd.split("\n")[0]
