"""The floor: model FLOPs a run performed, and the GEMM throughput this machine reaches.

    python benchmarks/floor.py gemm --threads 2    # prints the measured GFLOP/s as JSON

run.py divides each run's model FLOPs (counted from the tokens it fed and the decoder steps it
ran, see ``model_flops``) by its wall time, and sets that against the fp32 and int8 GEMM
throughput measured here, on the same machine, in the same invocation: how far a stage is
from what the arithmetic alone would take.

Kept free of heavy imports at module level: baseline.py and peers.py import ``Work`` (briefer's
own counter, engines/usage.py) from here and must not pay for torch twice.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any


def _briefer_usage() -> Any:
    """Return briefer's engines/usage.py, loaded from its file alone.

    The baseline and the peers count their work with briefer's own counter, so the counts
    mean the same on every side, without importing the briefer package (its start-up would be
    timed as theirs).
    """
    path = Path(__file__).resolve().parent.parent / "src" / "briefer" / "engines" / "usage.py"
    spec = importlib.util.spec_from_file_location("_briefer_usage", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up while building the class
    spec.loader.exec_module(module)
    return module


_usage = _briefer_usage()
Work = _usage.Usage
steps_taken = _usage.steps_taken


def steps_in_row(row: list[int], eos: int | list[int] | None) -> int:
    """Return the decoder steps behind a transformers output row: after its start token, up to its end token."""
    ends = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
    generated = row[1:]
    return next((i + 1 for i, t in enumerate(generated) if t in ends), len(generated))


def model_flops(shape: dict[str, Any], work: dict[str, int]) -> dict[str, float]:
    """Return the FLOPs (a multiply-add is 2) of an encoder-decoder transformer's work.

    shape: d_model, ffn_dim, encoder_layers, decoder_layers, vocab_size (the manifest's).
    Per encoder token a layer costs 8 d² (Q, K, V, O) + 4 d·ffn; attention adds 4 d·L per token
    (QKᵀ and AV). Per decoder step and beam a layer costs 8 d² (self-attention) + 4 d² (the
    cross-attention's Q and O) + 4 d·ffn, attention 4 d·t over the t steps so far and 4 d·L over
    the source, and the LM head 2 d·V. The cross-attention's K and V of the source, 4 d²·L a
    layer, are computed once per sequence. Layer norms, softmax and biases are left out (under
    1%), so this is a lower bound of the work, which is what a floor needs.
    """
    d, f, v = shape["d_model"], shape["ffn_dim"], shape["vocab_size"]
    le, ld = shape["encoder_layers"], shape["decoder_layers"]
    encoder = work["input_tokens"] * le * (8 * d * d + 4 * d * f)
    encoder += work["input_tokens_sq"] * le * 4 * d
    decoder = work["beam_steps"] * (ld * (12 * d * d + 4 * d * f) + 2 * d * v)
    decoder += work["input_tokens"] * ld * 4 * d * d
    decoder += (work["beam_steps_input"] + work["beam_steps_self"]) * ld * 4 * d
    return {"encoder": float(encoder), "decoder": float(decoder), "total": float(encoder + decoder)}


# GEMM shapes (rows M, inner K, columns N). "prefill": 512 source tokens through distilbart's
# FFN (d 1024 -> 4096), where encoders spend their time. "decode": 16 rows (4 beams x 4
# sentences) through the same weights, the shape of one decoder step: memory-bound.
GEMM_SHAPES = {"prefill": (512, 1024, 4096), "decode": (16, 1024, 4096)}


def _rate(run: Any, flops: float, seconds: float = 0.5, rounds: int = 5) -> float:
    """Return the best GFLOP/s of run() over rounds of about `seconds` each, after a warm-up.

    The best, not the median: this is the machine's peak, and other work only ever lowers it.
    """
    run()
    started = time.perf_counter()
    run()
    per_call = max(time.perf_counter() - started, 1e-6)
    repeat = max(1, int(seconds / per_call))
    rates: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            run()
        rates.append(flops * repeat / (time.perf_counter() - started) / 1e9)
    return max(rates)


def measure_gemm(threads: int) -> dict[str, Any]:
    """Measure fp32 and int8 GEMM throughput on this CPU with that many threads, in GFLOP/s.

    fp32: torch.mm (oneDNN/MKL). int8: torch's dynamically quantized linear on the fbgemm
    engine (weights int8, activations quantized per call, int32 accumulation), the same kind
    of kernel CTranslate2's int8 runs; torch._int_mm has no fast CPU kernel (measured 0.3
    GOP/s here, against ~90 for fbgemm on the same 2 busy vCPUs).
    """
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    result: dict[str, Any] = {
        "threads": threads,
        "fp32_how": f"torch {torch.__version__} torch.mm float32",
    }
    engines = torch.backends.quantized.supported_engines
    engine = next((e for e in ("fbgemm", "x86", "onednn") if e in engines), None)
    for name, (m, k, n) in GEMM_SHAPES.items():
        a, b = torch.randn(m, k), torch.randn(k, n)
        flops = 2.0 * m * k * n
        with torch.inference_mode():
            result[f"fp32_{name}"] = round(_rate(lambda a=a, b=b: torch.mm(a, b), flops), 1)
            if engine is None:
                continue
            torch.backends.quantized.engine = engine
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch marks quantized tensors deprecated
                weight = torch.quantize_per_tensor(torch.randn(n, k), 0.05, 0, torch.qint8)
                packed = torch.ops.quantized.linear_prepack(weight, None)
                run = lambda a=a, p=packed: torch.ops.quantized.linear_dynamic(a, p)  # noqa: E731
                result[f"int8_{name}"] = round(_rate(run, flops), 1)
    result["int8_how"] = (
        f"torch {torch.__version__} quantized.linear_dynamic on {engine}" if engine else "none"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure GEMM throughput and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["gemm"])
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(measure_gemm(args.threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
