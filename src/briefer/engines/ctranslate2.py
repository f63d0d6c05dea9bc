"""The CTranslate2 engine: the model converted once (int8 on CPU), run with the same settings as torch.

Conversion and its cache live in briefer.ctranslate; this module runs what it made.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ctranslate, hub
from ..errors import ConversionError, DeviceUnavailable, EngineUnavailable, ModelError
from . import cpu, standalone
from .base import GenerationSettings, Groups
from .hf import HFDelegate, HFModel
from .usage import Progress, Usage, steps_taken

log = logging.getLogger("briefer")

NAME = "ctranslate2"
# Tokens per batch: on 2 vCPUs with distilbart shapes, 2,048 beat 1,024 and 4,096 (wider
# batches of long chunks ran slower, narrower ones left the matrix units underused).
BATCH_TOKENS = 2048
# A job this small is decoding, not encoding: every decoder step reads all of the decoder's weights
# (oneDNN packs them again on each int8 product), whatever the number of rows. Where a lone batch's
# threads cover every core (2 workers × 2 threads on 2 cores: the Intel layout; on AMD each worker
# has one thread and nothing merges), one batch then beats a batch per worker on shared cores.
# Measured on 2 vCPUs, AMD EPYC AVX2, when briefer ran 2 × 2 there too (2026-11-30), int8, beam 4,
# one batch against one per worker, medians of 2-3 rounds side by side: three reduce inputs of 190,
# 150 and 130 tokens (distilbart-cnn-12-6 shape, 62 steps) 4.2 s against 4.9 s; two articles of 400
# and 250 tokens 4.1 s against 4.8 s; sentences of 22 tokens, 40 steps, through opus-mt-en-fr's
# shape: two 0.68 s against 0.98 s, four 1.02 against 1.12, eight 1.68 against 1.68, twelve 2.17
# against 2.07, 46 8.55 against 7.20; through opus-mt-tc-big-en-ar's: two 1.86 against 2.61, four
# 2.33 against 3.14, eight 3.61 against 4.10, twelve 4.86 against 5.03, sixteen 7.17 against 6.83.
# Long inputs gain nothing (two of 1,000 tokens: the same time) and padding costs (950 and 540
# tokens: 15% slower).
MERGE_ROWS = 32  # inputs × beams, over every group of the job
MERGE_TOKENS = 1024  # inputs × the longest, padding included, per group
# T5 overflows in float16 (broken output); bfloat16 keeps float32's range.
T5_FAMILY = frozenset({"t5", "mt5", "umt5"})


def available() -> bool:
    """Return whether the ctranslate2 package can be imported."""
    return ctranslate.available()


def resolve_device(device: str) -> str:
    """Return cpu or cuda for ctranslate2, without importing torch."""
    import ctranslate2

    has_cuda = ctranslate2.get_cuda_device_count() > 0
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if device == "cuda" and not has_cuda:
        raise DeviceUnavailable("--device cuda was asked for, but CTranslate2 sees no CUDA GPU")
    if device not in {"cpu", "cuda"}:
        raise EngineUnavailable(f"the ctranslate2 backend runs on cpu or cuda, not {device}")
    return device


def compute_type_for(device: str, model_type: str = "") -> str:
    """Return the precision to convert to and run in: int8 on CPU; on a GPU float16, bfloat16 for T5."""
    if device != "cuda":
        return "int8"
    return "bfloat16" if model_type in T5_FAMILY else "float16"


def threads(device: str) -> tuple[int, int]:
    """Return (inter_threads, intra_threads) for the cores this process may use (the tests set
    other counts through it: `make test-threads`)."""
    layout = cpu.plan(cpu.this_cpu(), device, _users_environ())
    return layout.inter, layout.intra


_PLANNED: set[str] = set()
# The variables _apply_plan set for ctranslate2 itself (CT2_FORCE_CPU_ISA=AVX512 on Intel with
# VNNI or AMX), with their values: a later plan must not take them for the user's.
_SET_BY_BRIEFER: dict[str, str] = {}


def _users_environ() -> dict[str, str]:
    """Return the environment without what _apply_plan set itself."""
    return {k: v for k, v in os.environ.items() if _SET_BY_BRIEFER.get(k) != v}


def _apply_plan(device: str | None) -> cpu.Plan:
    """Before ctranslate2 loads (device None), set its kernels for this CPU; after, say once
    what runs where. Return the layout."""
    layout = cpu.plan(cpu.this_cpu(), device or "cpu", _users_environ())
    if device is None:
        # ctranslate2 reads CT2_FORCE_CPU_ISA once, when it first runs on the CPU.
        for key, value in layout.env:
            if key not in os.environ:
                os.environ[key] = value
                _SET_BY_BRIEFER[key] = value
    elif device not in _PLANNED:
        _PLANNED.add(device)
        log.info("%s", layout.describe(cpu.this_cpu()))
        if layout.warning:
            log.warning("%s", layout.warning)
    return layout


def translate_options(
    settings: GenerationSettings,
    model: HFModel,
    vocabulary: frozenset[str] | None = None,
    start_in_prefix: bool = False,
) -> tuple[dict[str, Any], list[str] | None]:
    """Map GenerationSettings to translate_batch options and a target prefix.

    start_in_prefix: the converted model names no decoder start token (the converter leaves
    mBART's unset), so the start must lead the target prefix, as transformers starts with it.
    """
    tokenizer = model.tokenizer
    # transformers counts the decoder start token in max_length and min_length; ctranslate2
    # counts generated tokens only (a target prefix included).
    max_tokens = settings.most_new_tokens()
    if settings.forced_eos_token_id is not None:
        # transformers spends the last position on the forced EOS; ctranslate2 just stops there.
        max_tokens -= 1
    min_tokens = settings.least_new_tokens()
    prefix = None
    forced = model.forced_bos(settings)
    if forced is not None:
        # BART forces <s>, M2M100/NLLB/mBART-50 the target language, after the decoder start;
        # ctranslate2 takes it as a target prefix.
        prefix = tokenizer.convert_ids_to_tokens([forced])
    if start_in_prefix and settings.decoder_start_token_id is not None:
        prefix = tokenizer.convert_ids_to_tokens([settings.decoder_start_token_id]) + (prefix or [])
        # ctranslate2 takes the first prefix token as the start: the lengths stay as they are.
    options: dict[str, Any] = {
        "beam_size": int(settings.num_beams or 1),
        "length_penalty": float(settings.length_penalty),
        "no_repeat_ngram_size": int(settings.no_repeat_ngram_size or 0),
        "repetition_penalty": float(settings.repetition_penalty or 1.0),
        "max_decoding_length": max(max_tokens, 1),
        "min_decoding_length": min(min_tokens, max(max_tokens, 1)),
        # ctranslate2 stops a beam search once beam_size hypotheses are finished: that is
        # early_stopping=True; patience 1 keeps it so (transformers' False differs only in
        # rare ties of the length-penalised scores; the conformance suite measures it).
        "patience": 1.0,
        "return_scores": False,
        # briefer sizes every input to the model; ctranslate2 must never cut one silently.
        "max_input_length": 0,
    }
    eos = settings.eos_token_id
    if eos is not None:
        options["end_token"] = tokenizer.convert_ids_to_tokens(
            list(eos) if isinstance(eos, tuple) else [eos]
        )
    if settings.bad_words_ids:
        banned = [tokenizer.convert_ids_to_tokens(list(ids)) for ids in settings.bad_words_ids]
        # The converter drops tokens a model can never emit (Marian's <pad>); nothing to ban.
        banned = [seq for seq in banned if vocabulary is None or set(seq) <= vocabulary]
        if banned:
            options["suppress_sequences"] = banned
    return options, prefix


class CT2Engine(HFDelegate):
    """A converted model run by ctranslate2, tokenized by its Hugging Face tokenizer."""

    backend = NAME

    def __init__(
        self,
        model: HFModel,
        translator: Any,
        vocabulary: frozenset[str] | None = None,
        start_in_prefix: bool = False,
        whole_machine: bool = False,
        device: str = "cpu",
    ):
        self.model = model
        self.name = model.name
        self.revision = model.revision
        self.settings = model.settings
        self.summary_settings = model.summary_settings
        self.task_prefix = model.task_prefix
        self.translator = translator
        self.vocabulary = vocabulary
        self.start_in_prefix = start_in_prefix
        self.batch_tokens = BATCH_TOKENS
        # Whether a lone batch's threads cover every core: then a small job runs as one batch.
        self.whole_machine = whole_machine
        # The model's sizes (its config.json, already read), for planning batches, and what
        # a decoder step costs beside its rows on this device.
        self.shape = shape_of(model.facts.config)
        self.step_rows = STEP_ROWS if device == "cpu" else GPU_STEP_ROWS
        self.max_rows = MAX_ROWS if device == "cpu" else None
        # Tokens in, decoder steps out, per sequence, summed: the benchmark's FLOP count.
        self.usage = Usage()

    def generate(self, groups: Groups) -> list[list[str]]:
        """Run groups of texts, each with its own settings, all queued at once."""
        tokenizer = self.model.tokenizer
        workers = max(1, self.translator.num_translators)
        encoded = [
            [
                tokenizer.convert_ids_to_tokens(ids)
                for ids in tokenizer(self.model.inputs(texts, settings)).input_ids
            ]
            if texts
            else []
            for texts, settings in groups
        ]
        planned = [
            translate_options(settings, self.model, self.vocabulary, self.start_in_prefix)
            if sources
            else None
            for sources, (_, settings) in zip(encoded, groups, strict=True)
        ]
        # Batches are capped in tokens (two 900-token chunks fill a core as well as sixty short
        # sentences do) and, on the CPU, in decoder rows (memory). Planning the sizes for the
        # workers, and queuing every batch before waiting, keeps all of them busy until the
        # last batch; a job too small to gain from that runs as one batch.
        # Each group's beams and decoding lengths.
        decodings = [Decoding.of(p[0]) if p else Decoding() for p in planned]
        per_batch = batch_size(
            [[len(tokens) for tokens in sources] for sources in encoded],
            workers,
            self.batch_tokens,
            merge=self.whole_machine,
            decodings=decodings,
            shape=self.shape,
            step_rows=self.step_rows,
            max_rows=self.max_rows,
        )
        pending = []
        for sources, plan, decoding in zip(encoded, planned, decodings, strict=True):
            if plan is None:
                pending.append([])
                continue
            options, prefix = plan
            # A longer input than the size gets a batch of its own.
            most = most_inputs(decoding, self.max_rows)
            pending.append(queue(self.translator, sources, per_batch, most, prefix, **options))
        outputs = []
        progress = Progress(
            self.name,
            sum(map(len, encoded)),
            finished=lambda: sum(result.done() for results in pending for result in results),
        )
        for sources, results, decoding in zip(encoded, pending, decodings, strict=True):
            done = []
            for result in results:
                done.append(result.result())
                progress.advance()
            for tokens, result in zip(sources, done, strict=True):
                # The hypothesis holds the target prefix, not the end token.
                steps = steps_taken(len(result.hypotheses[0]), decoding.max_length)
                self.usage.add(len(tokens), steps, decoding.beams)
            outputs.append([self._decode(result) for result in done])
        self.usage.calls += any(encoded)
        return outputs

    def _decode(self, result: Any) -> str:
        """Return the text of a translation result's best hypothesis."""
        tokenizer = self.model.tokenizer
        ids = tokenizer.convert_tokens_to_ids(result.hypotheses[0])
        return self.model.clean(tokenizer.decode(ids, skip_special_tokens=True))


# A decoder step costs about as much as this many more rows would: each step streams every
# decoder weight (and the LM head) through the cores whatever the rows. Measured with one
# worker of one thread, int8, beam 4, AMD EPYC Zen 3 (2026-12-07, best of 3): opus-mt-en-fr's
# shape, 40-token inputs, 41 steps: 1, 2, 4 and 8 inputs took 1.20, 1.59, 2.23 and 3.94 s,
# (rows + 8 to 10) each; distilbart-cnn-12-6's, 124-token inputs, 62 steps: 1, 2 and 4
# inputs 2.65, 3.34 and 5.09 s, (rows + 10).
STEP_ROWS = 9
# On a GPU a step of a few rows or of hundreds takes about the same time (not measured here: no
# GPU was lent to this project's sessions), so there the plan is as few batches as the cap
# allows (a GPU runs one worker), and no row bound applies (MAX_ROWS is the CPU's).
GPU_STEP_ROWS = 1000
# At most this many decoder rows (inputs × beams) a batch on the CPU, a lone input aside. A
# batch's decoder state (each row's attention caches and logits) grows with its rows, and two
# batches decode side by side. CTranslate2 bounds a call's batches by tokens only, so briefer
# makes the batches itself (``batch_indices``) and queues each as a call of its own (a bound on a
# call's one size instead made a long job's long inputs run one by one: 300 sentences of 20–90
# tokens planned 1.18× slower than unbounded, against 1.02× so). The benchmark's 46 sentences
# through opus-mt-tc-big-en-ar's shape (beam 4, 2 workers × 1 thread, AMD EPYC Zen 3, 2026-12-07,
# two alternating rounds) as 22 and 24 sentences (96 rows) peaked at 1,120–1,147 MB and took
# 13.3–13.9 s; as 8, 12, 14 and 12 (56 rows) 731–744 MB and 13.4–15.1 s; as 12, 21 and 13
# (briefer's earlier plan) 825–855 MB and 14.3–16.9 s. Through opus-mt-en-fr's shape, three
# rounds: 22 and 24 sentences 604–642 MB, 6.21–6.69 s; 8, 13, 15 and 10 (60 rows) 420–435 MB,
# 6.27–7.11 s. Token-capped batches alone bound the rows only at the cap (2,048 tokens of 20-token
# sentences at beam 4: 400 rows).
MAX_ROWS = 64


@dataclass(frozen=True)
class Shape:
    """An encoder-decoder's sizes, for the FLOPs of its work as benchmarks/floor.py counts them."""

    d_model: int = 512
    encoder_layers: int = 6
    decoder_layers: int = 6
    encoder_ffn: int = 2048
    decoder_ffn: int = 2048
    vocab: int = 32000

    def encoder_token(self, length: int) -> float:
        """Return the FLOPs of one input token in an input this long (padding included)."""
        d = self.d_model
        return self.encoder_layers * (8 * d * d + 4 * d * self.encoder_ffn + 4 * d * length)

    def decoder_row(self, length: int) -> float:
        """Return the FLOPs of one decoder step of one row (a beam) over an input this long."""
        d = self.d_model
        layer = 12 * d * d + 4 * d * self.decoder_ffn + 4 * d * length
        return self.decoder_layers * layer + 2 * d * self.vocab


def shape_of(config: dict[str, Any]) -> Shape | None:
    """Return a model's Shape from its config.json (BART, Marian, PEGASUS, M2M100, NLLB,
    mBART keys, or T5's), None when it does not say."""

    def number(*keys: str) -> int | None:
        for key in keys:
            value = config.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None

    d_model = number("d_model")
    encoder_layers = number("encoder_layers", "num_layers")
    decoder_layers = number("decoder_layers", "num_decoder_layers", "num_layers")
    encoder_ffn = number("encoder_ffn_dim", "d_ff")
    decoder_ffn = number("decoder_ffn_dim", "d_ff")
    vocab = number("vocab_size")
    sizes = (d_model, encoder_layers, decoder_layers, encoder_ffn, decoder_ffn, vocab)
    if any(size is None for size in sizes):
        return None
    return Shape(*sizes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decoding:
    """How a group decodes: beams and the decoding lengths translate_batch gets."""

    beams: int = 1
    min_length: int = 0
    max_length: int | None = None

    @classmethod
    def of(cls, options: dict[str, Any]) -> Decoding:
        """Return the Decoding of translate_batch options (``translate_options``')."""
        return cls(
            options["beam_size"], options["min_decoding_length"], options["max_decoding_length"]
        )

    def steps(self, longest: int) -> int:
        """Return the steps a batch whose longest input is this long is expected to run: as
        many as the input has tokens, and ten more (a translation's length), within the
        decoding lengths (a summary's)."""
        steps = max(self.min_length, longest + 10)
        return steps if self.max_length is None else max(1, min(self.max_length, steps))


def batch_indices(lengths: list[int], size: int, most: int | None = None) -> list[list[int]]:
    """Return the batches of inputs this long, as their indices, in the order they run: the
    batches CTranslate2 makes at ``max_batch_size=size`` (``batch_type="tokens"``), further
    cut at ``most`` inputs (None: not cut), a bound of briefer's own.

    CTranslate2 sorts the inputs longest first and fills each batch while its padded size, the
    inputs so far times the longest of them, stays within the size; a batch always takes at
    least one input (``rebatch_input``, which asks ``BatchReader::get_next`` for the fixed
    increment that padding makes, in its batch_reader.cc). Counting the plain sum of lengths
    instead (what briefer did until 2026-12-07) planned sizes one batch short: three reduce
    inputs of 138, 134 and 122 tokens at 256 made 3 batches, not 2, and one worker decoded the
    third alone while the other idled. tests/test_ctranslate.py checks this against
    CTranslate2 itself. Inputs of one length keep their order.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return _split(order, _counts([lengths[i] for i in order], size, most))


def next_fit(lengths: list[int], size: int, most: int | None = None) -> list[list[int]]:
    """Return the lengths of ``batch_indices``' batches, longest first in each."""
    descending = sorted(lengths, reverse=True)
    return _split(descending, _counts(descending, size, most))


def _counts(descending: list[int], size: int, most: int | None) -> list[int]:
    """Return how many inputs each batch takes of inputs this long, longest first."""
    counts: list[int] = []
    taken, longest = 0, 0
    for length in descending:
        if taken and (most is None or taken < most) and (taken + 1) * longest <= size:
            taken += 1
            continue
        if taken:
            counts.append(taken)
        taken, longest = 1, length
    return [*counts, taken] if taken else counts


def _split(items: list[int], counts: list[int]) -> list[list[int]]:
    """Return items cut into consecutive runs this many long."""
    runs, start = [], 0
    for count in counts:
        runs.append(items[start : start + count])
        start += count
    return runs


def most_inputs(decoding: Decoding, max_rows: int | None) -> int | None:
    """Return the most inputs a batch decoded so may hold within max_rows decoder rows."""
    return None if max_rows is None else max(1, max_rows // max(1, decoding.beams))


def queue(
    translator: Any,
    sources: list[list[str]],
    size: int,
    most: int | None = None,
    prefix: list[str] | None = None,
    **options: Any,
) -> list[Any]:
    """Queue tokenized inputs on a CTranslate2 translator in ``batch_indices``' batches, each an
    asynchronous ``translate_batch`` call of its own (so the batch it makes is exactly that
    one), and return their async results in the inputs' order. Workers take the calls in the
    order queued, each as it comes free. ``prefix``, if any, starts every input's target."""
    results: list[Any] = [None] * len(sources)
    for batch in batch_indices([len(tokens) for tokens in sources], size, most):
        inputs = [sources[i] for i in batch]
        made = translator.translate_batch(
            inputs,
            target_prefix=[prefix] * len(inputs) if prefix else None,
            max_batch_size=len(inputs) * len(inputs[0]),  # longest first: one batch
            batch_type="tokens",
            asynchronous=True,
            **options,
        )
        for index, result in zip(batch, made, strict=True):
            results[index] = result
    return results


def batch_cost(
    batch: list[int], decoding: Decoding, shape: Shape, step_rows: int = STEP_ROWS
) -> float:
    """Return the planned cost (FLOPs, the decoder's per-step weight traffic counted as
    step_rows more rows) of one batch of inputs this long, longest first."""
    longest = batch[0]
    encoder = len(batch) * longest * shape.encoder_token(longest)
    rows = len(batch) * max(1, decoding.beams) + step_rows
    return encoder + decoding.steps(longest) * shape.decoder_row(longest) * rows


def planned_time(
    groups: list[list[int]],
    decodings: list[Decoding],
    shape: Shape,
    workers: int,
    size: int,
    step_rows: int = STEP_ROWS,
    max_rows: int | None = None,
) -> tuple[float, float]:
    """Return (when the last worker finishes, the work in all) for groups queued in order at
    this batch size, batches cut at ``most_inputs(decoding, max_rows)`` inputs: CTranslate2's
    workers each take the next batch as they come free."""
    free = [0.0] * max(1, workers)
    total = 0.0
    for group, decoding in zip(groups, decodings, strict=True):
        for batch in next_fit(group, size, most_inputs(decoding, max_rows)):
            cost = batch_cost(batch, decoding, shape, step_rows)
            total += cost
            first = free.index(min(free))
            free[first] += cost
    return max(free), total


# At most this many batch sizes are planned for one job (every size that changes a batch is
# tried below that; a job of hundreds of inputs gets an even spread of them).
MAX_CANDIDATES = 256


def candidate_sizes(groups: list[list[int]], cap: int) -> list[int]:
    """Return the batch sizes within the cap at which some group's batches change: k inputs
    padded to one of the lengths, and the cap itself."""
    sizes = {cap}
    for group in groups:
        for length in set(group) - {0}:  # an empty input pads nothing
            sizes.update(k * length for k in range(1, min(len(group), cap // length) + 1))
    ordered = sorted(sizes)
    if len(ordered) > MAX_CANDIDATES:
        step = len(ordered) / MAX_CANDIDATES
        ordered = sorted({ordered[int(i * step)] for i in range(MAX_CANDIDATES)} | {cap})
    return ordered


def batch_size(
    groups: list[list[int]],
    workers: int,
    cap: int = BATCH_TOKENS,
    beams: list[int] | None = None,
    merge: bool = False,
    decodings: list[Decoding] | None = None,
    shape: Shape | None = None,
    step_rows: int = STEP_ROWS,
    max_rows: int | None = MAX_ROWS,
) -> int:
    """Return the batch size (``batch_indices``' size) for groups of inputs this long, each
    group's batches queued after the one before: the size within ``cap`` whose batches the
    workers finish soonest, as planned by ``planned_time``.

    ``decodings`` gives each group's beams and decoding lengths (else ``beams``, else greedy),
    ``shape`` the model's sizes (else a Marian base's), ``step_rows`` what a decoder step
    costs beside its rows (STEP_ROWS on CPU, GPU_STEP_ROWS on a GPU), ``max_rows`` the most
    decoder rows a batch of several inputs holds (MAX_ROWS on CPU, None: no bound). With
    ``merge`` (a lone batch's threads cover every core), a small job (``merged``: few decoder
    rows, few tokens) runs as one batch per group. An input longer than the cap gets a batch of
    its own.

    The plan weighs what sizes trade: more inputs a batch share each decoder step's weight
    traffic (STEP_ROWS), but pad to their longest, and a worker left without a batch idles
    while the others decode. Choosing the smallest size that takes the fewest rounds instead,
    as briefer did until 2026-12-07, left one worker 29 of the 46 sentences of the benchmark's
    translation (CTranslate2 sorts the inputs longest first, so the later batch holds more of
    them): 12.2 s against 10.5 s for 27 and 19 and 9.4 s for 23 and 23, medians of 6 and 4
    rounds side by side (opus-mt-en-fr shape, int8, 2 workers × 1 thread, AMD EPYC Zen 3).
    """
    if decodings is None:
        decodings = [Decoding(beams=b) for b in (beams or [1] * len(groups))]
    kept = [(group, decoding) for group, decoding in zip(groups, decodings, strict=True) if group]
    if not kept:
        return 1
    groups = [group for group, _ in kept]
    decodings = [decoding for _, decoding in kept]
    workers = max(1, workers)
    cap = max(1, cap)
    if merge and workers > 1 and merged(groups, [d.beams for d in decodings], cap):
        # Padded: one batch each (MERGE_ROWS is within MAX_ROWS, so no row cut either).
        return max(len(group) * max(group) for group in groups)
    shape = shape or Shape()

    def plan(size: int) -> tuple[float, float, int]:
        timed = planned_time(groups, decodings, shape, workers, size, step_rows, max_rows)
        return (*timed, size)

    return min(candidate_sizes(groups, cap), key=plan)


def merged(groups: list[list[int]], beams: list[int], cap: int = BATCH_TOKENS) -> bool:
    """Return whether groups of inputs this long (each with its beam size) are decoding-bound
    enough to run as one batch each: at most MERGE_ROWS decoder rows in all, at most
    MERGE_TOKENS padded tokens a group, and within the cap. No inputs: nothing to merge."""
    pairs = [(group, size) for group, size in zip(groups, beams, strict=True) if group]
    if not pairs:
        return False
    rows = sum(len(group) * max(1, size) for group, size in pairs)
    padded = max(len(group) * max(group) for group, _ in pairs)
    return rows <= MERGE_ROWS and padded <= min(MERGE_TOKENS, cap)


# What CTranslate2 4.x says of a converted folder damaged on disk (measured on a model.bin cut
# in half, overwritten, removed): "has an invalid payload size", "is incomplete", "Unsupported
# model binary version", "Unable to open file 'model.bin'", "failed to read".
_DAMAGED = re.compile(
    r"invalid payload|incomplete|binary version|unable to open file|failed to read", re.IGNORECASE
)


def _seq2seq(model: HFModel) -> bool:
    """Return whether transformers knows the model's family as sequence-to-sequence."""
    with hub.LOADING:  # its first import of transformers, which is not thread-safe
        from transformers.models.auto.modeling_auto import (
            MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES as SEQ2SEQ,
        )

    return model.facts.model_type in SEQ2SEQ


def supports(model: HFModel) -> bool:
    """Return whether ctranslate2's converter handles the model's family (its own registry)."""
    with hub.LOADING:  # its first import of transformers, which is not thread-safe
        from ctranslate2.converters.transformers import _MODEL_LOADERS
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    config_class = CONFIG_MAPPING_NAMES.get(model.facts.model_type)
    encoder_decoder = model.facts.config.get("is_encoder_decoder", True)
    return bool(config_class in _MODEL_LOADERS and encoder_decoder)


def load(name: str, device: str = "auto", batch_size: int = 4, compute_type: str | None = None):
    """Load a model for ctranslate2, converting it on first use.

    EngineUnavailable (ConversionError among them) means this engine cannot run the model here
    and another may; ModelError means the model itself is missing or broken.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not available():
        raise EngineUnavailable("the ctranslate2 package is not installed")
    _apply_plan(None)
    import ctranslate2

    device = resolve_device(device)
    whole = _apply_plan(device).whole
    inter, intra = threads(device)
    model = HFModel(name)
    compute_type = compute_type or compute_type_for(device, model.facts.model_type)

    def open_translator(path: Path) -> Any:
        """Load converted weights (native code, which lets other Python threads run)."""
        try:
            with _torch_threads_kept():
                return ctranslate2.Translator(
                    str(path),
                    device=device,
                    compute_type=compute_type,
                    inter_threads=inter,
                    intra_threads=intra,
                    # Queuing never blocks: with CTranslate2's default queue (a few batches per
                    # worker) queue() waited inside translate_batch until all but the last
                    # batches were done (40 one-input batches: posted after 3.95 s of 5.36, 30
                    # done), and the progress log, which starts after queuing, stayed silent.
                    # The queue holds token lists only.
                    max_queued_batches=-1,
                )
        except (RuntimeError, ValueError, OSError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineUnavailable(f"CTranslate2 could not load {name!r}: {detail}") from exc

    revision = model.revision
    if revision is None and not hub.is_local(name):
        # The snapshot is not complete yet: fetch it the way a torch load would.
        model = HFModel(name, hub.pull(name, progress=False))
        revision = hub.revision(name)
    # A local folder is named by its full path: given as models/x here and /srv/models/x
    # there, the same folder (same revision: a hash of its files) is converted once.
    key = str(Path(name).expanduser().resolve()) if hub.is_local(name) else name
    target = ctranslate.converted_path(key, revision or "unknown", compute_type)
    translator = None
    vocabulary = None
    stored = None
    if (target / "model.bin").is_file():
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The stored tokenizer is read on another thread while this one opens the weights,
            # which CTranslate2 loads in native code, letting that thread run: opus-mt-en-fr's
            # shape takes 0.13 s for the weights and 0.1 s for the tokenizer. The weights open
            # on this thread, so the buffers their load frees go back to the main heap (opened
            # on a worker thread, the en→fr brief's peak RSS rose by 30-40 MB).
            # The converted vocabulary too (1.1 MB of JSON for opus-mt-en-fr, 15-25 ms).
            reading = pool.submit(standalone.read, target)
            vocabulary = pool.submit(read_vocabulary, target)
            try:
                translator = open_translator(target)
                stored = reading.result()
            except EngineUnavailable as exc:
                if not _DAMAGED.search(str(exc)):
                    raise  # out of memory, no CUDA, a compute type: converting again won't help
                # A conversion damaged on disk (a truncated model.bin, a disk that filled)
                # had failed every run with the model's name, never the conversion's, and
                # under auto sent every run to torch for good. It is made again.
                log.warning("%s; its conversion %s is converted again", exc, target)
                translator = vocabulary = None
                ctranslate.remove_conversion(target)
        if stored is not None:
            # The hot path: converted before, tokenizer and facts stored beside it;
            # transformers (and torch) stay unloaded.
            model = StoredModel(model, stored)
            return CT2Engine(
                model, translator, vocabulary.result(), _start_in_prefix(target), whole, device
            )
    if not model.facts.model_type:
        # As torch says it ("Unrecognized model ..."); the conversion's message had ended in "()".
        raise ModelError(f"cannot load model {name!r}: its config.json names no model_type")
    if not _seq2seq(model):
        # Refused as torch refuses it, before converting: a GPT-2 folder was converted (and
        # left in the cache) before being refused, and a BERT one failed with an
        # AttributeError inside the converter.
        raise ModelError(
            f"cannot load model {name!r}: it is not a sequence-to-sequence (encoder-decoder) model"
        )
    if not supports(model):
        raise ConversionError(f"CTranslate2 cannot convert {name!r} ({model.facts.model_type})")
    model.tokenizer  # noqa: B018 - load it now, so a broken tokenizer fails here
    if translator is None:
        try:
            ctranslate.convert(model.folder, target, compute_type)
        except (OSError, ValueError, KeyError, RuntimeError, NotImplementedError) as exc:
            raise ConversionError(f"CTranslate2 could not convert {name!r}: {exc}") from exc
        translator = open_translator(target)
    # Next time, this model runs without transformers (when its tokenizer can be stored exactly).
    standalone.write(model, target)
    words = vocabulary.result() if vocabulary is not None else read_vocabulary(target)
    return CT2Engine(model, translator, words, _start_in_prefix(target), whole, device)


@contextlib.contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """Keep torch's thread count across a Translator's construction.

    CTranslate2 sets OpenMP's thread count to intra_threads on the thread that opens a model,
    and where torch was imported first its OpenMP library, loaded globally, is the one that
    call reaches: torch then ran on 1 thread (2 before), a torch model beside it included (a
    summarizer on torch, a library caller's own models). Without torch imported, nothing to
    keep, and nothing imported.
    """
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if torch is not None and before is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)


class StoredModel(HFModel):
    """A model whose tokenizer, settings, limits and targets come from beside its converted weights."""

    def __init__(self, model: HFModel, stored: standalone.Stored):
        # The folder's facts are already read (JSON only); reading them again would hash a
        # local folder's weights a second time. The settings are the stored ones: the very
        # values the run that converted the model resolved (and checked on writing).
        self.name = model.name
        self.folder = model.folder
        self.facts = model.facts
        self.settings = stored.settings
        self.summary_settings = stored.summary_settings
        self.task_prefix = stored.task_prefix
        self.revision = model.revision
        self.stored = stored
        # Counting calls the stored tokenizer, in turn, as HFModel's does (HFModel.tokenizing).
        self.tokenizing = threading.RLock()

    @property
    def tokenizer(self) -> Any:  # type: ignore[override]
        """Return the stored tokenizer (tokenizers, no transformers import)."""
        return self.stored.tokenizer

    def input_limit(self) -> int:
        """Return the input limit stored at conversion."""
        return self.stored.input_limit

    def output_limit(self) -> int | None:
        """Return the decoder positions stored at conversion."""
        return self.stored.output_limit

    def targets(self) -> Any:
        """Return the language targets stored at conversion."""
        return self.stored.targets


def _start_in_prefix(folder: Path) -> bool:
    """Return whether a converted model leaves its decoder start token to the target prefix."""
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return config.get("decoder_start_token", "") is None


def read_vocabulary(folder: Path) -> frozenset[str] | None:
    """Return the tokens of a converted model's vocabulary, or None if it cannot be read."""
    import json

    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        path = folder / name
        if path.is_file():
            return frozenset(json.loads(path.read_text(encoding="utf-8")))
    for name in ("shared_vocabulary.txt", "target_vocabulary.txt"):
        path = folder / name
        if path.is_file():
            return frozenset(path.read_text(encoding="utf-8").split("\n"))
    return None
