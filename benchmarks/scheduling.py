"""Which CTranslate2 settings run fastest on this CPU: threads, GEMM library, ISA, precision.

    python benchmarks/scheduling.py            # full-size models of run.py; writes SCHEDULING.md
    python benchmarks/scheduling.py --quick    # one round, fewer inputs: does it run?

Each setting runs in a process of its own (CTranslate2 reads CT2_USE_MKL and CT2_FORCE_CPU_ISA
once, at load), on the same converted full-size models as benchmarks/run.py (random weights in
the real shapes: speed depends on shape, not on weight values), with the same inputs: the
summarizer on the 9 chunks of run.py's morning brief (beam 4, 61 new tokens each), the en→fr
translator on 46 sentences (beam 4, 40 new tokens each). Lengths are pinned (min = max), so every
setting does exactly the same arithmetic. Settings alternate round by round, so a slow spell on
a shared machine hits them all alike; the table gives each one's median as a ratio to briefer's
choice, measured side by side in the same run.

What briefer then does with the result is `briefer.engines.cpu.plan`: the layout
measured fastest for the CPU family and ISA at hand, written to `--verbose`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Token lengths of the chunks run.py's 6-article brief gives the summarizer (its long articles
# cut in two), and of run.py's translate workload: 46 sentences, about 26 tokens each.
CHUNKS = [950, 540, 750, 743, 784, 944, 944, 574, 574]
SENTENCES = [18 + (i * 7) % 17 for i in range(46)]


# (label, environment, compute type, inter threads, intra threads, batches)
# batches: "briefer" makes batches as the engine does (ctranslate2.batch_size, the size whose
# batches the workers finish soonest within BATCH_TOKENS, and ctranslate2.queue, each batch a
# call of its own with at most MAX_ROWS decoder rows); "halves" gives each
# worker one batch of half the tokens; "one" sends everything as one batch; "each" one text per
# batch. Settings 0 and 8 are briefer's layout on this CPU and the other one of 2 workers
# (2 × 2 where briefer runs 2 × 1, and the reverse); the settings that change something else
# keep briefer's layout, so only that one thing differs.
def settings(inter: int, intra: int) -> list[tuple]:
    """Return the settings timed, for briefer's layout of inter workers × intra threads."""
    other = 1 if intra > 1 else 2
    since = "briefer until 2026-11-30" if other == 1 else "briefer 2026-11-30 to 2026-12-06"
    return [
        (f"briefer: int8, {_layout(inter, intra)}, batches ≤ 2,048 tokens", {}, "int8", inter, intra, "briefer"),
        ("int8, 2 workers × 1 thread, one batch per worker", {}, "int8", 2, 1, "halves"),
        ("int8, 2 workers × 1 thread, one text per batch", {}, "int8", 2, 1, "each"),
        ("int8, 1 worker × 2 threads, one batch", {}, "int8", 1, 2, "one"),
        ("int8, 1 worker × 2 threads, batches ≤ 2,048 tokens", {}, "int8", 1, 2, "briefer"),
        ("int8 with Intel MKL (CT2_USE_MKL=1)", {"CT2_USE_MKL": "1"}, "int8", inter, intra, "briefer"),
        ("int8, AVX kernels only (CT2_FORCE_CPU_ISA=AVX)", {"CT2_FORCE_CPU_ISA": "AVX"}, "int8", inter, intra, "briefer"),
        ("float32", {}, "float32", inter, intra, "briefer"),
        (f"int8, {_layout(2, other)}, batches ≤ 2,048 tokens ({since})", {}, "int8", 2, other, "briefer"),
        # 9-12: Intel only, the alternatives to briefer's choice there (AVX-512 kernels, MKL's
        # GEMM); 13: AMD chips with AVX-512 VNNI (Zen 4), where briefer leaves CTranslate2's AVX2.
        ("int8 with oneDNN (CT2_USE_MKL=0)", {"CT2_USE_MKL": "0"}, "int8", inter, intra, "briefer"),
        ("int8, AVX2 kernels (CT2_FORCE_CPU_ISA=AVX2: CTranslate2's own choice)", {"CT2_FORCE_CPU_ISA": "AVX2"}, "int8", inter, intra, "briefer"),
        ("int16 (Intel MKL)", {}, "int16", inter, intra, "briefer"),
        ("int8, weights unpacked (CT2_PACKED_GEMM=0)", {"CT2_PACKED_GEMM": "0"}, "int8", inter, intra, "briefer"),
        ("int8, AVX-512 kernels (CT2_FORCE_CPU_ISA=AVX512)", {"CT2_FORCE_CPU_ISA": "AVX512"}, "int8", inter, intra, "briefer"),
    ]  # fmt: skip


def _layout(inter: int, intra: int) -> str:
    """Return a thread layout as the table's labels give it: "2 workers × 1 thread"."""
    return f"{inter} worker{'s' if inter > 1 else ''} × {intra} thread{'s' if intra > 1 else ''}"


def briefer_plan():  # noqa: ANN201 - briefer's Plan
    """Return briefer's layout for this CPU, as a run with no CT2_* or OMP_* settings gets it."""
    from briefer.engines.cpu import plan

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CT2_", "OMP_"))}
    return plan(cpu(), "cpu", environ)


def cpu():  # noqa: ANN201 - briefer's Cpu
    """Return this machine's CPU as briefer reads it (model, vendor, ISA flags)."""
    sys.path.insert(0, str(REPO / "src"))
    from briefer.engines.cpu import this_cpu

    return this_cpu()


def workload(model: Path, lengths: list[int], seed: int = 7) -> list[list[str]]:
    """Return token sequences of the given lengths drawn from the model's vocabulary."""
    vocab = json.loads((model / "shared_vocabulary.json").read_text(encoding="utf-8"))
    words = [t for t in vocab if not (t.startswith("<") and t.endswith(">"))]
    rng = random.Random(seed)
    return [[rng.choice(words) for _ in range(n)] + ["</s>"] for n in lengths]


def child(spec: dict) -> None:
    """Run one setting in this process and print its seconds as JSON (the parent set its env)."""
    from briefer.engines.cpu import lone_batch_covers
    from briefer.engines.ctranslate2 import (
        MAX_ROWS,
        Decoding,
        _apply_plan,
        batch_size,
        most_inputs,
        queue,
        shape_of,
    )

    # What briefer sets before CTranslate2 loads (AVX-512 kernels on Intel with VNNI or AMX),
    # set by the engine's own code, under the setting's environment as under a user's.
    _apply_plan(None)
    import ctranslate2

    model = Path(spec["model"])
    sources = workload(model, spec["lengths"])
    translator = ctranslate2.Translator(
        str(model),
        device="cpu",
        compute_type=spec["compute_type"],
        inter_threads=spec["inter"],
        intra_threads=spec["intra"],
    )
    total = sum(len(s) for s in sources)
    longest = max(map(len, sources))
    if spec["batches"] == "briefer":
        # As the engine does: a small job is one batch where one batch's threads cover the cores.
        whole = lone_batch_covers(spec["inter"], spec["intra"], len(os.sched_getaffinity(0)))
        # Planned with the model's sizes, from the config.json of the model converted.
        source = HERE / ".models" / "full-v1" / model.name.rsplit("-", 1)[0] / "config.json"
        decoding = Decoding(4, spec["new_tokens"], spec["new_tokens"])
        size = batch_size(
            [[len(s) for s in sources]],
            spec["inter"],
            merge=whole,
            decodings=[decoding],
            shape=shape_of(json.loads(source.read_text(encoding="utf-8"))),
        )
        kind = "tokens"
    elif spec["batches"] == "halves":
        size, kind = max(math.ceil(total / spec["inter"]), longest), "tokens"
    elif spec["batches"] == "each":
        size, kind = 1, "examples"
    else:
        size, kind = len(sources), "examples"
    options = {
        "beam_size": 4,
        "max_decoding_length": spec["new_tokens"],
        "min_decoding_length": spec["new_tokens"],
        "length_penalty": 2.0 if spec["new_tokens"] > 50 else 1.0,
        "no_repeat_ngram_size": 3 if spec["new_tokens"] > 50 else 0,
        "max_input_length": 0,
    }
    translator.translate_batch(sources[:1], beam_size=1, max_decoding_length=2)  # warm-up
    started = time.perf_counter()
    if spec["batches"] == "briefer":
        # Batches made and queued as the engine makes them (at most MAX_ROWS rows each).
        queued = queue(translator, sources, size, most_inputs(decoding, MAX_ROWS), **options)
        results = [result.result() for result in queued]
    else:
        results = translator.translate_batch(
            sources, max_batch_size=size, batch_type=kind, **options
        )
    seconds = time.perf_counter() - started
    generated = sum(len(r.hypotheses[0]) for r in results)
    print(json.dumps({"seconds": seconds, "generated": generated}))


def run_one(model: Path, lengths: list[int], new_tokens: int, setting: tuple) -> float:
    """Run a setting in a fresh process and return its seconds."""
    _, env, compute_type, inter, intra, batches = setting
    spec = {
        "model": str(model),
        "lengths": lengths,
        "new_tokens": new_tokens,
        "compute_type": compute_type,
        "inter": inter,
        "intra": intra,
        "batches": batches,
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{setting[0]} failed:\n{done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def converted(name: str, compute_type: str) -> Path:
    """Return run.py's full-size model converted for CTranslate2, converting it once."""
    sys.path.insert(0, str(REPO / "src"))
    from briefer.ctranslate import convert_here

    source = HERE / ".models" / "full-v1" / name
    if not source.is_dir():
        raise SystemExit(f"{source} is missing: run `python benchmarks/run.py` once to build it")
    target = HERE / ".cache" / "scheduling" / f"{name}-{compute_type}"
    if not (target / "model.bin").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        convert_here(str(source), str(target), compute_type)
    return target


def main() -> None:
    """Measure every setting on both models, alternating, and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round, 3 chunks, 12 sentences")
    parser.add_argument("--only", choices=["summarizer", "fr"], help="measure one model only")
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    started = time.perf_counter()
    rounds = 1 if args.quick else args.rounds
    intel = cpu().vendor == "GenuineIntel"
    layout = briefer_plan()
    rows = settings(layout.inter, layout.intra)
    # Off Intel on chips with AVX-512 VNNI (AMD Zen 4 and later), where briefer leaves
    # CTranslate2's AVX2 kernels, AVX-512 is timed against them on every job.
    avx512_too = [] if intel else [13] if {"avx512f", "avx512_vnni"} <= cpu().flags else []
    # Each job times the settings that can matter for it, so the run stays near 10 minutes.
    # Off Intel, MKL is so slow (its generic path) that the one-sentence job is enough to show
    # it, and the kernels (AVX against AVX2) change only the small operations between matrix
    # products. On Intel, MKL is the default GEMM: oneDNN (whose int8 GEMM has AMX kernels),
    # CTranslate2's own AVX2 kernels (briefer asks for AVX-512 there), int16 and unpacked
    # weights are timed against it. float32 only on the one-sentence job: it took twice int8's
    # time on every job.
    threads_and_batches = [0, 8, 1, 3, 4]
    kernels = [9, 10, 11, 12] if intel else [6, *avx512_too]
    jobs = [
        ("summarizer, 9 chunks (distilbart-cnn-12-6 shape)", "summarizer", CHUNKS[: 3 if args.quick else 9], 61,
         [*threads_and_batches, *([9, 10, 11] if intel else avx512_too)]),
        ("summarizer, 1 short article (`briefer summarize article.txt`)", "summarizer", [140], 61,
         [0, 8, 3, *([9, 12] if intel else avx512_too)]),
        ("en→fr, 46 sentences (opus-mt-en-fr shape)", "fr", SENTENCES[: 12 if args.quick else 46], 40,
         [*threads_and_batches, 2, *kernels]),
        ("en→fr, 1 sentence (`briefer translate` of a headline)", "fr", SENTENCES[:1], 40,
         [0, 8, 3, 7, *([9, 12] if intel else [5, *avx512_too])]),
    ]  # fmt: skip
    if args.only:
        jobs = [j for j in jobs if j[1] == args.only]
    table: dict[tuple[str, str], list[float]] = {}
    for label, name, lengths, new_tokens, picked in jobs:
        picked_rows = [rows[i] for i in picked]
        models = {ct: converted(name, ct) for ct in {s[2] for s in picked_rows}}
        for r in range(rounds):
            order = picked_rows if r % 2 == 0 else picked_rows[::-1]
            for setting in order:
                seconds = run_one(models[setting[2]], lengths, new_tokens, setting)
                table.setdefault((label, setting[0]), []).append(seconds)
                print(f"{label} | {setting[0]} | {seconds:.2f} s", file=sys.stderr)
    info = cpu()
    lines = [
        section_heading(info),
        "",
        f"Machine: {info.name} ({info.vendor}), {os.cpu_count()} vCPUs, ISA {info.isa}; "
        f"ctranslate2 {__import__('ctranslate2').__version__}. Median of {rounds} rounds, "
        "each setting a process of its own, settings alternating; ratio = that setting's time "
        "over briefer's choice in the same run (below 1 is faster).",
        "",
        "| Model | Setting | Median (s) | Each round (s) | Ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for label, *_, picked in jobs:
        base = statistics.median(table[(label, rows[0][0])])
        for setting in (rows[i] for i in picked):
            times = table[(label, setting[0])]
            median = statistics.median(times)
            each = ", ".join(f"{t:.2f}" for t in times)
            lines.append(
                f"| {label} | {setting[0]} | {median:.2f} | {each} | {median / base:.2f} |"
            )
    lines += [
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in "
        f"{time.perf_counter() - started:.0f} s (`python benchmarks/scheduling.py`).",
        "",
    ]
    if not args.quick and not args.only:
        report = HERE / "SCHEDULING.md"
        before = report.read_text(encoding="utf-8") if report.exists() else ""
        report.write_text(with_section(before, "\n".join(lines)), encoding="utf-8")
    print("\n".join(lines))


TITLE = """# CTranslate2 settings by CPU

Written by `python benchmarks/scheduling.py`: one section per kind of CPU it ran on (model,
vendor, family and model numbers, vector extensions). A run replaces its own CPU's section,
notes below the table included, and keeps the others, since briefer's choice differs by CPU
family (`briefer.engines.cpu.plan`).
"""


def section_heading(info) -> str:  # noqa: ANN001 - briefer's Cpu
    """Return the heading of this CPU's section in SCHEDULING.md."""
    family = f" {info.family_model}" if info.family_model else ""
    return f"## {info.model} ({info.vendor}{family}; {info.isa})"


# A section starts at a heading of section_heading's shape: "## MODEL (VENDOR[ family N model
# M]; ISA)".
_SECTION = re.compile(r"(?m)^(?=## .+ \([^;()]+; [^()]*\)$)")


def with_section(report: str, section: str) -> str:
    """Return the report with section in place of the one under the same heading (where it
    was), or added at the end; what comes before the first section is replaced by TITLE."""
    heading = section.split("\n", 1)[0]
    sections = [p.rstrip("\n") for p in _SECTION.split(report)[1:]]
    new = section.rstrip("\n")
    if any(p.split("\n", 1)[0] == heading for p in sections):
        sections = [new if p.split("\n", 1)[0] == heading else p for p in sections]
    else:
        sections.append(new)
    return "\n\n".join([TITLE.rstrip("\n"), *sections]) + "\n"


if __name__ == "__main__":
    main()
