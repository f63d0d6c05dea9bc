"""Benchmark briefer against the plain transformers baseline on a morning brief, in one command.

    python benchmarks/run.py            # or: make bench  (writes benchmarks/RESULTS.md)
    python benchmarks/run.py --quick    # tiny models, 2 short articles: checks the harness

Speed depends on a model's shape, not on its weight values, so the models are random-weight
ones with the real architectures of briefer's defaults (distilbart-cnn-12-6, opus-mt-en-fr,
opus-mt-tc-big-en-ar), built once by tests/factory.py and cached in benchmarks/.models/.
Their generation configs set min_length = max_length, so every run generates exactly the
same number of tokens whatever the weights say. Every measured run is its own process,
timed from outside: wall time includes start-up and model loading, and peak RSS is the
child's own (wait4). Baseline and briefer runs alternate, so background noise hits both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import floor
import peers

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLE = REPO / "examples" / "paris-coalition-meeting.txt"
# Bump when the model shapes, tokenizers or generation settings change: it keys the cache.
MODELS_VERSION = "v1"
# A run during which other processes used more CPU cores than this, on average, is flagged.
NOISY_CORES = 0.25
RUN_TIMEOUT_S = 900  # a hung run must not eat the whole benchmark

# --- Models ------------------------------------------------------------------------------

# distilbart-cnn's beam settings, with the length pinned: 61 new tokens after the start token.
BART_GENERATION: dict[str, Any] = {
    "num_beams": 4,
    "min_length": 62,
    "max_length": 62,
    "no_repeat_ngram_size": 3,
    "length_penalty": 2.0,
    "early_stopping": True,
}
# opus-mt uses 4 beams; 40 tokens out per sentence after the start token.
MARIAN_GENERATION: dict[str, Any] = {"num_beams": 4, "min_length": 41, "max_length": 41}
# opus-mt-tc-big-en-ar selects its target with a token; a few of its real ones.
AR_LANG_TOKENS = (">>ara<<", ">>afb<<", ">>apc<<", ">>arq<<", ">>ars<<", ">>ary<<", ">>arz<<")


@dataclass(frozen=True)
class ModelSpec:
    """One model to build: which factory builder, its real name, and its shape."""

    builder: str  # "bart" or "marian"
    imitates: str
    shape: dict[str, Any]


FULL_MODELS: dict[str, ModelSpec] = {
    "summarizer": ModelSpec(
        "bart",
        "sshleifer/distilbart-cnn-12-6",
        {
            "vocab_size": 50264,
            "d_model": 1024,
            "encoder_layers": 12,
            "decoder_layers": 6,
            "ffn_dim": 4096,
            "heads": 16,
            "max_position_embeddings": 1024,
            "init_std": 0.02,
            "generation": BART_GENERATION,
        },
    ),
    "fr": ModelSpec(
        "marian",
        "Helsinki-NLP/opus-mt-en-fr",
        {
            "vocab_size": 59514,
            "d_model": 512,
            "layers": 6,
            "ffn_dim": 2048,
            "heads": 8,
            "max_position_embeddings": 512,
            "init_std": 0.02,
            "generation": MARIAN_GENERATION,
        },
    ),
    "ar": ModelSpec(
        "marian",
        "Helsinki-NLP/opus-mt-tc-big-en-ar",
        {
            "vocab_size": 61246,
            "d_model": 1024,
            "layers": 6,
            "ffn_dim": 4096,
            "heads": 16,
            "max_position_embeddings": 1024,
            "init_std": 0.02,
            "lang_tokens": AR_LANG_TOKENS,
            "generation": MARIAN_GENERATION,
        },
    ),
}
# The factory's tiny defaults: enough to run every code path in seconds.
QUICK_MODELS: dict[str, ModelSpec] = {
    "summarizer": ModelSpec(
        "bart", "tiny BART", {"generation": BART_GENERATION | {"min_length": 20, "max_length": 20}}
    ),
    "fr": ModelSpec(
        "marian",
        "tiny Marian",
        {"generation": MARIAN_GENERATION | {"min_length": 12, "max_length": 12}},
    ),
    "ar": ModelSpec(
        "marian",
        "tiny Marian",
        {
            "lang_tokens": AR_LANG_TOKENS,
            "generation": MARIAN_GENERATION | {"min_length": 12, "max_length": 12},
        },
    ),
}

# Lines of local documentation that read like English prose: a capitalised word, at least
# five more words, a final full stop.
_PROSE = re.compile(r"^[A-Z][a-z]+(?: \S+){5,}[a-z]\.$")
_PROSE_LINES = 60_000


def prose_corpus(limit: int = _PROSE_LINES) -> list[str]:
    """Collect English prose lines from documentation on this machine, deterministically."""
    # A byte-level BPE only reaches distilbart's 50,264 tokens on a few MB of text, and
    # prose (not code) gives news articles a realistic number of tokens per word.
    roots = [Path(sysconfig.get_paths()["stdlib"]), Path("/usr/share/doc"), Path("/usr/share/man")]
    found: dict[str, None] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in {"site-packages", "__pycache__"})
            for name in sorted(filenames):
                for line in _text_lines(Path(dirpath, name)):
                    line = line.strip().lstrip("#*/-\"' ").strip()
                    if _PROSE.match(line):
                        found.setdefault(line)
                        if len(found) >= limit:
                            return list(found)
    return list(found)


def _text_lines(path: Path) -> Iterator[str]:
    """Yield the lines of a small text file (gzip allowed); nothing for binaries."""
    if path.suffix not in {".py", ".txt", ".rst", ".md", ".gz", ""} or path.is_symlink():
        return
    try:
        if path.stat().st_size > 4_000_000:
            return
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile):
        return
    if b"\0" in raw[:4096]:
        return
    yield from raw.decode("utf-8", "ignore").splitlines()


def build_models(dest: Path, quick: bool) -> None:
    """Build the benchmark's models into dest (atomically), with a manifest describing them."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one bar per saved shard is noise in the benchmark's log
    sys.path.insert(0, str(REPO / "tests"))
    from factory import CORPUS, build_bart, build_marian  # type: ignore[import-not-found]

    builders: dict[str, Callable[..., Path]] = {"bart": build_bart, "marian": build_marian}
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    corpus = list(CORPUS)
    if not quick:
        # The sample article is in the corpus once, so its words get GPT-2-like token counts.
        corpus = prose_corpus() + story_paragraphs(EXAMPLE.read_text(encoding="utf-8")) + corpus
    manifest: dict[str, Any] = {"version": MODELS_VERSION, "quick": quick, "models": {}}
    for role, spec in (QUICK_MODELS if quick else FULL_MODELS).items():
        at = time.perf_counter()
        builders[spec.builder](tmp / role, corpus=corpus, **spec.shape)
        manifest["models"][role] = describe_model(tmp / role) | {
            "imitates": spec.imitates,
            "build_s": round(time.perf_counter() - at, 1),
        }
    manifest["corpus_lines"] = len(corpus)
    manifest["factory_sha256"] = factory_hash()
    manifest["build_s"] = round(time.perf_counter() - started, 1)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def describe_model(path: Path) -> dict[str, Any]:
    """Return a saved model's shape and settings, and check its tokenizer covers every id."""
    from safetensors import safe_open
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    config = AutoConfig.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    generation = GenerationConfig.from_pretrained(path)
    params = 0
    with safe_open(str(path / "model.safetensors"), "pt") as weights:
        for name in weights.keys():  # noqa: SIM118 - safe_open is not a mapping
            shape = weights.get_slice(name).get_shape()
            params += math.prod(shape)
    # A random model may emit any id: one the tokenizer does not know decodes to nothing.
    if len(tokenizer) < config.vocab_size:
        raise RuntimeError(
            f"{path.name}: tokenizer knows {len(tokenizer)} ids but the model emits "
            f"{config.vocab_size}; the tokenizer corpus is too small"
        )
    return {
        "type": config.model_type,
        "params_m": round(params / 1e6, 1),
        "vocab_size": config.vocab_size,
        "tokenizer_size": len(tokenizer),
        "d_model": config.d_model,
        "encoder_layers": config.encoder_layers,
        "decoder_layers": config.decoder_layers,
        "ffn_dim": config.encoder_ffn_dim,
        "heads": config.encoder_attention_heads,
        "generation": {
            k: getattr(generation, k)
            for k in (
                "num_beams",
                "min_length",
                "max_length",
                "no_repeat_ngram_size",
                "length_penalty",
                "early_stopping",
            )
            # Marian's saved config leaves early_stopping at its default; show only what is set.
            if getattr(generation, k, None) not in (None, False)
        },
    }


def factory_hash() -> str:
    """Return the SHA-256 of tests/factory.py, which the models were built with."""
    return hashlib.sha256((REPO / "tests" / "factory.py").read_bytes()).hexdigest()


def ensure_models(models_dir: Path, quick: bool) -> tuple[Path, dict[str, Any]]:
    """Return the cached models' folder and manifest, building them first if needed."""
    dest = models_dir / f"{'quick' if quick else 'full'}-{MODELS_VERSION}"
    if not (dest / "manifest.json").exists():
        print(f"building models into {dest} (once; later runs reuse them)", flush=True)
        started = time.perf_counter()
        # A child process, so torch and the weights never weigh on the measuring process.
        cmd = [sys.executable, __file__, "--build-into", str(dest)] + (["--quick"] if quick else [])
        subprocess.run(cmd, check=True)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    # Shapes, not weights, set the speed, so a changed factory does not force a rebuild (which
    # would also orphan the stored measurements); it is reported, and deleting dest rebuilds.
    manifest["factory_changed"] = manifest.get("factory_sha256") != factory_hash()
    if manifest["factory_changed"]:
        print(f"note: tests/factory.py changed since {dest} was built; delete it to rebuild")
    return dest, manifest


# --- Workload ----------------------------------------------------------------------------

FULL_LENGTHS = (743, 420, 1180, 610, 1480, 900)
QUICK_LENGTHS = (120, 200)
HEADLINES = (
    None,  # the sample's own headline
    "Coalition ministers back Baghdad's emergency plan after the fall of Ramadi",
    "Fabius presses Baghdad on an inclusive government as IS advances",
    "Sectarian tensions cloud the coalition's strategy against Islamic State",
    "Paris talks weigh air strikes, training and Sunni tribal fighters",
    "After Ramadi and Palmyra, allies question the strategy against IS",
)
# Translation-only input: the first sentences of each article, like a long summary.
SUMMARY_SENTENCES = 8
_CLUTTER = re.compile(r"min read$|^\d{1,2} \w+, \d{4}$|\[[^\]]*\]$")


def story_paragraphs(text: str) -> list[str]:
    """Return the sample's story paragraphs: no headline, no clutter, no subheadings."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    headline = lines[0]
    return [
        line
        for line in lines[1:]
        if line != headline and not _CLUTTER.search(line) and len(line.split()) >= 6
    ]


def make_articles(folder: Path, quick: bool) -> list[Path]:
    """Write the brief's articles, rotating and trimming the sample's paragraphs to each length."""
    text = EXAMPLE.read_text(encoding="utf-8")
    headline = text.strip().splitlines()[0].strip()
    paragraphs = story_paragraphs(text)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, words in enumerate(QUICK_LENGTHS if quick else FULL_LENGTHS):
        body: list[str] = []
        count = 0
        at = i * 7  # each article starts elsewhere in the story, wrapping round when longer
        while count < words:
            paragraph = paragraphs[at % len(paragraphs)].split()[: words - count]
            if count + len(paragraph) == words and not paragraph[-1].endswith((".", '"')):
                paragraph[-1] += "."
            body.append(" ".join(paragraph))
            count += len(paragraph)
            at += 1
        title = HEADLINES[i % len(HEADLINES)] or headline
        path = folder / f"{i + 1:02d}-article.txt"
        path.write_text(title + "\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_summaries(articles: list[Path], path: Path, quick: bool) -> None:
    """Write each article's first sentences as one paragraph per article."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    keep = 2 if quick else SUMMARY_SENTENCES
    paragraphs = []
    for article in articles:
        story = article.read_text(encoding="utf-8").split("\n", 1)[1]
        sentences = [" ".join(s.split()) for s in segmenter.segment(story) if s.strip()][:keep]
        paragraphs.append(" ".join(sentences))
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def token_counts(tokenizer_dir: Path, articles: list[Path]) -> list[int] | None:
    """Return each article's story length in summarizer tokens (specials included), if known."""
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    except (ImportError, OSError, ValueError):
        return None
    stories = [a.read_text(encoding="utf-8").split("\n", 1)[1].strip() for a in articles]
    return [len(tokenizer.encode(s).ids) for s in stories]


# --- Measuring ---------------------------------------------------------------------------


@dataclass
class Result:
    """One measured process: a stage run by one side."""

    stage: str
    side: str
    wall_s: float | None = None
    rss_mb: float | None = None
    cpu_s: float | None = None
    rc: int | None = None
    load: float | None = None  # 1-minute load average just before
    others: float | None = None  # CPU cores other processes used during the run: noise
    check: str = ""
    ok: bool = False
    pending: str = ""
    at: str = ""
    cmd: list[str] = field(default_factory=list)
    # Seconds briefer measured inside itself (map, reduce, translate, checks), from its -v log;
    # for a peer, the seconds it spent loading and translating inside its process.
    timings: dict[str, float] = field(default_factory=dict)
    # Model work per model folder: tokens in, decoder steps, beams (briefer's -v log, or the
    # baseline's and the peers' OUT.work.json), which floor.py turns into FLOPs.
    work: dict[str, dict[str, int]] = field(default_factory=dict)


class Measured(NamedTuple):
    """What measuring one child process found."""

    wall_s: float
    rss_mb: float
    cpu_s: float
    others: float | None  # CPU cores other processes used meanwhile, on average
    rc: int


def _machine_cpu_s() -> float | None:
    """Return the CPU seconds the whole machine has spent busy (steal included), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run cmd as a child and measure it: wall time, its own peak RSS and CPU, others' CPU."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        machine_before = _machine_cpu_s()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        timer = threading.Timer(RUN_TIMEOUT_S, proc.kill)
        timer.start()
        try:
            # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix all children.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        machine_after = _machine_cpu_s()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    others = None
    if machine_before is not None and machine_after is not None:
        # Whatever else ran slowed this run: the noise on a shared machine, per run.
        others = max(0.0, (machine_after - machine_before - cpu) / wall)
    # Linux reports ru_maxrss in KiB.
    return Measured(wall, usage.ru_maxrss * 1024 / 1e6, cpu, others, proc.returncode)


def startup_time(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    """Return the median wall time of a short command, after one untimed warm-up run."""
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        if i:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


@dataclass
class Context:
    """Everything the stages need: models, inputs, and where outputs and logs go."""

    models: Path
    articles: list[Path]
    articles_dir: Path
    summaries: Path
    work: Path
    briefer: list[str]
    env: dict[str, str]
    # The CTranslate2 folders briefer converted the translators into, by language: the peers
    # run these very files.
    converted: dict[str, Path] = field(default_factory=dict)

    def model(self, role: str) -> str:
        """Return a model's folder."""
        return str(self.models / role)


@dataclass(frozen=True)
class Stage:
    """A piece of the workload, and the command each side runs for it."""

    name: str
    label: str
    baseline: Callable[[Context, Path], list[str]]
    briefer: Callable[[Context, Path, str], list[str]]


def _backend(backend: str) -> list[str]:
    """Return the --backend flag; none for auto, so that run uses briefer's default."""
    return [] if backend == "auto" else ["--backend", backend]


def _baseline(mode: str, lang: str | None = None) -> Callable[[Context, Path], list[str]]:
    """Return a builder of the baseline command for one mode."""

    def command(ctx: Context, out: Path) -> list[str]:
        cmd = [sys.executable, str(HERE / "baseline.py"), mode]
        cmd += [str(ctx.summaries)] if mode == "translate" else [str(a) for a in ctx.articles]
        if mode != "translate":
            cmd += ["-m", ctx.model("summarizer")]
        if lang:
            cmd += ["-t", ctx.model(lang), "--lang", lang]
        return [*cmd, "-o", str(out)]

    return command


def _briefer_summarize(lang: str | None) -> Callable[[Context, Path, str], list[str]]:
    """Return a builder of `briefer summarize` over the articles' folder, nothing cached."""

    def command(ctx: Context, out: Path, backend: str) -> list[str]:
        cmd = [*ctx.briefer, "summarize", str(ctx.articles_dir), "-m", ctx.model("summarizer")]
        if lang:
            cmd += ["--lang", lang, "-t", ctx.model(lang)]
        # JSON, to check the output; rendering costs nothing next to generation. -v logs the
        # seconds briefer spent in each part (the reduce pass, the checks) for the cost table.
        # --no-guard: random weights loop, and the guard would put the extractive brief in
        # place of such a summary, so briefer would translate other, longer text than the
        # baseline does. Real models rarely trip it; its check costs microseconds.
        cmd += ["--no-guard"]
        # No --source-lang: languages are detected and routed as in a user's run.
        return [*cmd, "--no-cache", "-f", "json", "-v", "-o", str(out), *_backend(backend)]

    return command


def _briefer_translate(lang: str) -> Callable[[Context, Path, str], list[str]]:
    """Return a builder of `briefer translate` over the summaries file."""

    def command(ctx: Context, out: Path, backend: str) -> list[str]:
        cmd = [*ctx.briefer, "translate", str(ctx.summaries), "--lang", lang, "-t", ctx.model(lang)]
        # -v logs the seconds spent translating and the model work (for the floor). --no-guard:
        # random weights loop, and the guard would translate such sentences a second time,
        # work the baseline does not do (as for summarize above).
        return [*cmd, "-f", "text", "-v", "--no-guard", "-o", str(out), *_backend(backend)]

    return command


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("summarize", "Summarize (en)", _baseline("summarize"), _briefer_summarize(None)),
        Stage(
            "translate-fr",
            "Translate to fr",
            _baseline("translate", "fr"),
            _briefer_translate("fr"),
        ),
        Stage(
            "translate-ar",
            "Translate to ar",
            _baseline("translate", "ar"),
            _briefer_translate("ar"),
        ),
        Stage("brief-fr", "Whole brief en→fr", _baseline("brief", "fr"), _briefer_summarize("fr")),
        Stage("brief-ar", "Whole brief en→ar", _baseline("brief", "ar"), _briefer_summarize("ar")),
    )
}


# Peers of briefer's translate stage (benchmarks/peers.py), by side: their name in the tables.
PEERS = {"ct2": "ctranslate2 direct", "argos": "argos-translate"}
# What argos-translate 1.11 needs here, without the torch/CUDA and spaCy its own dependencies
# would pull (it imports stanza, which imports torch, and minisbd, which imports onnxruntime).
ARGOS_INSTALL = (
    "pip install --no-deps argostranslate==1.11.0 stanza==1.10.1 minisbd==0.9.5 emoji "
    "&& pip install onnxruntime"
)


def peer_pending(peer: str, stage: str, ctx: Context) -> str:
    """Return why a peer cannot run a translate stage here, or '' when it can."""
    lang = stage.split("-")[1]
    if lang not in ctx.converted:
        return "no CTranslate2 conversion of the model (briefer's first use failed?)"
    if peer == "argos":
        if importlib.util.find_spec("argostranslate") is None:
            return f"argostranslate is not installed (`{ARGOS_INSTALL}`)"
        if peers.SOURCE_TOKEN.get(lang):
            return f"argos packages have no source-language token ({peers.SOURCE_TOKEN[lang]})"
    return ""


def peer_command(peer: str, stage: str, ctx: Context, out: Path) -> list[str]:
    """Return the command running a peer over the summaries file."""
    lang = stage.split("-")[1]
    cmd = [
        sys.executable,
        str(HERE / "peers.py"),
        peer,
        str(ctx.summaries),
        "--hf",
        ctx.model(lang),
    ]
    if peer == "ct2":
        cmd += ["--model", str(ctx.converted[lang])]
    return [*cmd, "--lang", lang, "-o", str(out)]


def peer_env(ctx: Context) -> dict[str, str]:
    """Return the peers' environment: argos finds its packages in the run's folder, writes nothing home."""
    return ctx.env | {
        "ARGOS_PACKAGES_DIR": str(ctx.work / "argos"),
        "XDG_DATA_HOME": str(ctx.work / "xdg-data"),
    }


def converted_folder(ctx: Context, role: str) -> Path | None:
    """Return the folder briefer converted a model into for CTranslate2 (int8), asking briefer itself."""
    code = (
        "import sys; from briefer import ctranslate, hub; name = sys.argv[1]; "
        "print(ctranslate.converted_path(name, hub.revision(name) or 'unknown', 'int8'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, ctx.model(role)],
        env=ctx.env,
        capture_output=True,
        text=True,
        check=False,
    )
    path = Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None
    return path if path is not None and (path / "model.bin").is_file() else None


def run_one(stage: Stage, side: str, ctx: Context, pending: str, at: str) -> Result:
    """Run one stage on one side (baseline, briefer with a backend, or a peer) and check its output."""
    name = "baseline" if side == "baseline" else PEERS.get(side) or side_name(side)
    result = Result(stage.name, name, at=at)
    if side in PEERS:
        pending = peer_pending(side, stage.name, ctx)
    if (side in {"auto", "ctranslate2"} or side in PEERS) and pending:
        result.pending = pending
        return result
    own = side not in PEERS and side != "baseline"  # briefer itself
    suffix = "txt" if stage.name.startswith("translate") and own else "json"
    out = ctx.work / "out" / f"{stage.name}-{side}.{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    log = ctx.work / "logs" / f"{stage.name}-{side}.log"
    if side in PEERS:
        result.cmd = peer_command(side, stage.name, ctx, out)
    else:
        result.cmd = (
            stage.baseline(ctx, out) if side == "baseline" else stage.briefer(ctx, out, side)
        )
    result.load = os.getloadavg()[0]
    measured = measure(result.cmd, peer_env(ctx) if side in PEERS else ctx.env, log)
    result.wall_s, result.rss_mb, result.cpu_s = measured.wall_s, measured.rss_mb, measured.cpu_s
    result.others, result.rc = measured.others, measured.rc
    result.ok, result.check = check_output(stage.name, side, out, ctx)
    result.ok = result.ok and result.rc == 0
    logged = log.read_text(encoding="utf-8", errors="replace")
    if own:
        result.timings = parse_timings(logged)
        result.work = parse_work(logged)
    else:
        # The baseline and the peers count their work (and the peers their seconds) beside
        # their output.
        with contextlib.suppress(OSError, ValueError):
            sidecar = json.loads(Path(f"{out}.work.json").read_text(encoding="utf-8"))
            result.work = sidecar.get("work", {})
            result.timings = sidecar.get("seconds", {})
    if own and _FALLBACK.search(logged):
        # auto quietly runs torch when a conversion fails: such a row measures the wrong thing.
        result.check += ", **fell back to torch** (see its log)"
    return result


# The line `briefer summarize -v` ends with: "briefer: seconds: checks=0.0123 map=4.5600 ...".
_TIMINGS = re.compile(r"^briefer: seconds: (.+)$", re.MULTILINE)


# And, after it, the model work per model: "briefer: work: {"MODEL": {"input_tokens": ...}}".
_WORK = re.compile(r"^briefer: work: (\{.+\})$", re.MULTILINE)


def parse_work(log: str) -> dict[str, dict[str, int]]:
    """Return the model work briefer logged per model (the last such line), or {}."""
    found = _WORK.findall(log)
    with contextlib.suppress(ValueError):
        return json.loads(found[-1]) if found else {}
    return {}


def parse_timings(log: str) -> dict[str, float]:
    """Return the seconds briefer logged per part of its work (the last such line), or {}."""
    found = _TIMINGS.findall(log)
    if not found:
        return {}
    pairs = (item.split("=", 1) for item in found[-1].split())
    return {key: float(value) for key, value in pairs}


def costs(results: dict[str, Result]) -> list[str]:
    """Return the table of what the reduce pass and the checks cost inside each briefer run.

    Times are measured by briefer around its own calls: map and reduce are generate() on the
    chunks and on the joined chunk summaries, checks the fact check, support and output guard.
    Shares are of the run's wall time.
    """
    rows = [
        "| Stage | Run | Wall (s) | Map generate (s) | Reduce pass (s) | Reduce share | Translate (s) | Checks (s) | Checks share |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results.values():
        # The summarizing runs: briefer's translate-only runs and the peers have no map.
        if "map" not in r.timings or not r.wall_s:
            continue
        t = r.timings

        def share(key: str, r: Result = r, t: dict[str, float] = t) -> str:
            return f"{100 * t.get(key, 0.0) / r.wall_s:.2f}%" if r.wall_s else "–"

        rows.append(
            f"| {STAGES[r.stage].label} | {r.side} | {_fmt(r.wall_s)} | {_fmt(t.get('map'), 2)} "
            f"| {_fmt(t.get('reduce', 0.0), 2)} | {share('reduce')} | {_fmt(t.get('translate'), 2)} "
            f"| {_fmt(t.get('checks', 0.0), 3)} | {share('checks')} |"
        )
    return rows if len(rows) > 2 else []


def check_output(stage: str, side: str, out: Path, ctx: Context) -> tuple[bool, str]:
    """Check a run wrote every article's result; return (ok, what it did) for the report."""
    n_articles = len(ctx.articles)
    if not out.exists():
        return False, "no output"
    text = out.read_text(encoding="utf-8")
    if stage.startswith("translate"):
        if side == "baseline" or side in PEERS:  # the peers write the baseline's records
            records = json.loads(text)
            done = sum(bool(r.get("translation")) for r in records)
            return done == n_articles, f"{sum(r['sentences'] for r in records)} sentences"
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        # briefer does not report its sentences: count them as its own splitter does.
        count = _count_sentences(ctx.summaries.read_text(encoding="utf-8"))
        return len(paragraphs) == n_articles, f"{count} sentences"
    if side == "baseline":
        records = json.loads(text)
        key = "translation" if stage.startswith("brief") else "summary"
        done = sum(bool(r.get(key)) for r in records)
        what = "1 chunk each (truncated)"
        if stage.startswith("brief"):
            what += f", {sum(r['sentences'] for r in records)} sentences translated"
        return done == n_articles, what
    document = json.loads(text)
    briefs, failed = document.get("briefs", []), document.get("failed", [])
    done = sum(bool(b.get("summary")) for b in briefs)
    what = f"{sum(len(b.get('chunks', [])) for b in briefs)} chunks"
    if stage.startswith("brief"):
        what += f", {sum(_sentences(b) for b in briefs)} sentences translated"
    if failed:
        what += f", {len(failed)} failed"
    # No --source-lang: each article's language is detected and routed, as in a user's run;
    # the English articles must come out English, or the stage measured another route.
    # (A briefer from before detection writes no source_language: benchmarks/versus.py.)
    english = sum(b.get("source_language", "en") == "en" for b in briefs)
    if english < len(briefs):
        what += f", {len(briefs) - english} not detected as English"
    return done == n_articles and not failed and english == len(briefs), what


def _sentences(brief: dict[str, Any]) -> int:
    """Count the sentences briefer translated for a brief: its English title and summary."""
    original = brief.get("original") or {}
    return sum(_count_sentences(original.get(k, "")) for k in ("title", "summary"))


def _count_sentences(text: str) -> int:
    """Count a text's sentences paragraph by paragraph, as briefer's translator splits it."""
    from briefer.sentences import split_sentences

    return sum(len(split_sentences(p)) for p in re.split(r"\n\s*\n", text) if p.strip())


# What briefer logs when it runs a model with torch although CTranslate2 was wanted.
_FALLBACK = re.compile(r"with torch instead|is not installed; running .* with torch")


def ctranslate2_pending() -> str:
    """Return why briefer's CTranslate2 backend cannot run here, or '' when it can."""
    if importlib.util.find_spec("ctranslate2") is None:
        return "ctranslate2 is not installed"
    if importlib.util.find_spec("briefer.ctranslate") is None:
        # Before the backend lands, --backend ctranslate2 is accepted but runs torch.
        return "pending: briefer's CTranslate2 backend (briefer.ctranslate) is not merged yet"
    return ""


def briefer_command() -> list[str]:
    """Return how to start the briefer CLI installed next to this Python."""
    script = Path(sys.executable).parent / "briefer"
    if script.exists():
        return [str(script)]
    found = shutil.which("briefer")
    return [found] if found else [sys.executable, "-m", "briefer"]


def child_env(cache: Path) -> dict[str, str]:
    """Return the environment of every measured process: offline, with caches of its own."""
    env = dict(os.environ)
    env |= {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(cache / "hf"),
        # Results are never reused (--no-cache); model conversions, if a backend keeps
        # them, persist here between runs like a download would.
        "BRIEFER_CACHE_DIR": str(cache / "briefer"),
        "XDG_CACHE_HOME": str(cache / "xdg"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("BRIEFER_CONFIG", None)
    env["XDG_CONFIG_HOME"] = str(cache / "config")  # no user config file changes the run
    # Python may cache bytecode, as it does on a user's machine: otherwise each measured process
    # compiles briefer's own modules from source again (0.15 s of every start-up row, measured
    # 2026-12-01 where PYTHONDONTWRITEBYTECODE=1 was set machine-wide). Installed packages, the
    # baseline's among them, had theirs compiled by pip.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_page_cache(models: Path) -> None:
    """Read every model file once so that no side pays for a cold disk and the other not."""
    for path in sorted(models.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(1 << 24):
                    pass


def prepare_ctranslate2(ctx: Context, stages: list[str], log_dir: Path) -> dict[str, float | None]:
    """Use each model once with --backend ctranslate2 (untimed in the table): first-use cost."""
    tiny = ctx.work / "first-use"
    tiny.mkdir(parents=True, exist_ok=True)
    article = tiny / "tiny.txt"
    article.write_text(
        "A short note\n\nThe meeting ended on Tuesday. Talks go on.\n", encoding="utf-8"
    )
    langs = sorted({s.split("-")[1] for s in stages if "-" in s})
    flags = ["--backend", "ctranslate2", "-v"]  # -v: the log says whether it converted
    cmds = {
        "summarizer": [
            *ctx.briefer,
            "summarize",
            str(article),
            "-m",
            ctx.model("summarizer"),
            "--no-cache",
        ]
    }
    for lang in langs:
        cmds[lang] = [
            *ctx.briefer,
            "translate",
            str(article),
            "--lang",
            lang,
            "-t",
            ctx.model(lang),
        ]
    times: dict[str, float | None] = {}
    for role, cmd in cmds.items():
        log = log_dir / f"first-use-{role}.log"
        wall, _, _, _, rc = measure([*cmd, *flags, "-o", str(tiny / f"{role}.out")], ctx.env, log)
        if rc:
            times[role] = None
        elif "converting" in log.read_text(encoding="utf-8", errors="replace"):
            # Only a run that converted tells the one-time cost; a cached one is just a short run.
            times[role] = round(wall, 1)
    return times


# --- Reporting ---------------------------------------------------------------------------


def _version(package: str) -> str:
    """Return an installed package's version, or 'not installed'."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def this_cpu():  # noqa: ANN201 - briefer's Cpu
    """Return this machine's CPU as briefer reads it: model, vendor, ISA flags, usable cores."""
    sys.path.insert(0, str(REPO / "src"))
    from briefer.engines import cpu

    return cpu.this_cpu()


def ct2_plan() -> str:
    """Return the line `briefer -v` logs: how CTranslate2 is laid out on this CPU, and why."""
    sys.path.insert(0, str(REPO / "src"))
    from briefer.engines import cpu

    return cpu.plan(cpu.this_cpu(), "cpu").describe(cpu.this_cpu())


def machine() -> dict[str, Any]:
    """Describe the machine and the software versions the numbers belong to."""
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    versions = {}
    for name in ("briefer", "torch", "transformers", "tokenizers", "ctranslate2"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": this_cpu().name,
        "isa": this_cpu().isa,
        "plan": ct2_plan(),
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit or "unknown",
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    """Format a number for the table, or a dash when it is missing."""
    return "–" if value is None else f"{value:,.{digits}f}"


def _gemm_line(at: str, g: dict[str, Any]) -> str:
    """Describe one invocation's GEMM measurement for the report."""
    return (
        f"- {at}, {g.get('threads', '?')} threads: fp32 ({g.get('fp32_how', '?')}) "
        f"{_fmt(g.get('fp32_prefill'))} (512 rows), {_fmt(g.get('fp32_decode'))} (16 rows); "
        f"int8 ({g.get('int8_how', '?')}) {_fmt(g.get('int8_prefill'))}, "
        f"{_fmt(g.get('int8_decode'))}."
    )


def _sig(value: float | None) -> str:
    """Format a number with three significant digits (tiny models' FLOPs too), no exponent."""
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{max(0, 2 - math.floor(math.log10(value)))}f}" if value > 0 else "0"


def side_name(backend: str) -> str:
    """Return the table's name for briefer run with a backend."""
    return {"auto": "briefer (default: auto)"}.get(backend, f"briefer ({backend})")


def table(results: dict[str, Result], n_articles: int) -> list[str]:
    """Return the results table in Markdown, with throughput and ratios against the baseline."""
    rows = [
        "| Stage | Run | Wall (s) | Articles/min | Peak RSS (MB) | CPU (s) | Others' CPU | Speed-up | RSS vs baseline | What it did |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for stage in STAGES.values():
        base = results.get(f"{stage.name}|baseline")
        for key, r in results.items():
            if not key.startswith(stage.name + "|"):
                continue
            if r.pending:
                rows.append(
                    f"| {stage.label} | {r.side} | – | – | – | – | – | – | – | {r.pending} |"
                )
                continue
            rate = n_articles / (r.wall_s / 60) if r.wall_s else None
            speed = rss = "–"
            if r.side != "baseline" and base and base.wall_s and r.wall_s:
                speed = f"{base.wall_s / r.wall_s:.2f}×"
                rss = f"{r.rss_mb / base.rss_mb:.2f}×" if base.rss_mb and r.rss_mb else "–"
            what = r.check if r.ok else f"**failed** (exit {r.rc}): {r.check}"
            if r.others is not None and r.others > NOISY_CORES:
                what += "; *noisy*"
            rows.append(
                f"| {stage.label} | {r.side} | {_fmt(r.wall_s)} | {_fmt(rate)} | {_fmt(r.rss_mb, 0)} "
                f"| {_fmt(r.cpu_s)} | {_fmt(r.others, 2)} | {speed} | {rss} | {what} |"
            )
    return rows


def briefer_result(results: dict[str, Result], stage: str) -> Result | None:
    """Return briefer's run of a stage on its default backend (auto), else on ctranslate2."""
    for backend in ("auto", "ctranslate2"):
        found = results.get(f"{stage}|{side_name(backend)}")
        if found and found.ok and found.wall_s:
            return found
    return None


def peer_rows(results: dict[str, Result]) -> list[str]:
    """Return the table of briefer against its peers on the translate stages, same run."""
    rows = [
        "| Stage | Peer | Peer wall (s) | briefer wall (s) | briefer speed-up | Peer translating (s) | briefer translating (s) | Speed-up translating | Peer's output |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for stage in STAGES.values():
        mine = briefer_result(results, stage.name)
        for peer in PEERS.values():
            r = results.get(f"{stage.name}|{peer}")
            if r is None:
                continue
            if r.pending:
                rows.append(f"| {stage.label} | {peer} | – | – | – | – | – | – | {r.pending} |")
                continue
            speed = inner = "–"
            mine_inner = mine.timings.get("translate") if mine else None
            peer_inner = r.timings.get("translate")
            if mine and r.ok and r.wall_s and mine.wall_s:
                speed = f"{r.wall_s / mine.wall_s:.2f}×"
            if mine_inner and peer_inner:
                inner = f"{peer_inner / mine_inner:.2f}×"
            what = r.check if r.ok else f"**failed** (exit {r.rc}): {r.check}"
            if mine and mine.at != r.at:
                what += "; *briefer's row is from another invocation*"
            rows.append(
                f"| {stage.label} | {peer} | {_fmt(r.wall_s)} | {_fmt(mine.wall_s if mine else None)} "
                f"| {speed} | {_fmt(peer_inner, 2)} | {_fmt(mine_inner, 2)} | {inner} | {what} |"
            )
    return rows if len(rows) > 2 else []


def floor_rows(
    results: dict[str, Result], models: dict[str, Any], gemm: dict[str, dict[str, Any]]
) -> list[str]:
    """Return the table of each run's model FLOPs per second against this machine's GEMM peaks.

    gemm holds the throughput measured in each invocation of run.py; a row is set against its
    own invocation's.
    """
    rows = [
        "| Stage | Run | Wall (s) | Model GFLOP (encoder + decoder) | GFLOP/s over the wall time "
        "| Share of fp32 peak | Share of int8 peak | int8 floor (s) | Wall ÷ floor "
        "| In model calls (s) | GFLOP/s in model calls |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results.values():
        if r.pending or not r.ok or not r.wall_s or not r.work:
            continue
        peaks = gemm.get(r.at, {})
        fp32, int8 = peaks.get("fp32_prefill"), peaks.get("int8_prefill")
        encoder = decoder = 0.0
        for name, counted in r.work.items():
            shape = models.get(Path(name).name)
            if shape is None:
                continue  # a model the manifest does not describe (none in this benchmark)
            flops = floor.model_flops(shape, counted)
            encoder, decoder = encoder + flops["encoder"], decoder + flops["decoder"]
        total = encoder + decoder
        if not total:
            continue
        rate = total / r.wall_s / 1e9
        # briefer times its generate() calls (map, reduce, translate); a peer its translating.
        inner = sum(r.timings.get(k, 0.0) for k in ("map", "reduce", "translate")) or None
        floor_s = total / (int8 * 1e9) if int8 else None
        rows.append(
            f"| {STAGES[r.stage].label} | {r.side} | {_fmt(r.wall_s)} "
            f"| {_sig(total / 1e9)} ({_sig(encoder / 1e9)} + {_sig(decoder / 1e9)}) "
            f"| {_sig(rate)} | {f'{100 * rate / fp32:.2g}%' if fp32 else '–'} "
            f"| {f'{100 * rate / int8:.2g}%' if int8 else '–'} | {_sig(floor_s)} "
            f"| {f'{r.wall_s / floor_s:,.0f}×' if floor_s else '–'} | {_fmt(inner, 2)} "
            f"| {_sig(total / inner / 1e9 if inner else None)} |"
        )
    return rows if len(rows) > 2 else []


def targets(results: dict[str, Result], startup: dict[str, float]) -> tuple[list[str], str]:
    """Return the targets table, judged on briefer's default backend, and which one that was."""
    # Without a measured auto run (CTranslate2 pending), judge on the torch backend.
    measured = [r for r in results.values() if r.side == side_name("auto") and not r.pending]
    default = "auto" if measured else "torch"
    side = side_name(default)

    def speedup(stage: str) -> float | None:
        base, run = results.get(f"{stage}|baseline"), results.get(f"{stage}|{side}")
        if base and run and base.ok and run.ok and base.wall_s and run.wall_s:
            return base.wall_s / run.wall_s
        return None

    def row(name: str, goal: str, value: float | None, text: str, met: bool | None) -> str:
        verdict = "–" if value is None else ("yes" if met else "**no**")
        return f"| {name} | {goal} | {text if value is not None else 'not measured'} | {verdict} |"

    rows = ["| Target | Goal | Measured | Met |", "| --- | --- | ---: | --- |"]
    # The goals of issue 11 (speed, round two), on the machine the benchmark runs on.
    for stage, name, goal in (
        ("summarize", "Summarizing throughput, reduce pass included", 5.0),
        ("translate-fr", "Translating throughput (fr)", 10.0),
        ("brief-fr", "Whole en→fr brief", 6.0),
        ("brief-ar", "Whole en→ar brief", 6.0),
    ):
        value = speedup(stage)
        rows.append(
            row(name, f"≥ {goal:g}× baseline", value, f"{value or 0:.2f}×", (value or 0) >= goal)
        )
    brief = results.get(f"brief-fr|{side}")
    checks = (
        100 * brief.timings["checks"] / brief.wall_s
        if brief and brief.ok and brief.wall_s and "checks" in brief.timings
        else None
    )
    rows.append(
        row(
            "Fact checks and output guard, en→fr brief",
            "< 3% of the brief's time",
            checks,
            f"{checks or 0:.2f}%",
            (checks or 0) < 3,
        )
    )
    rss = brief.rss_mb if brief and brief.ok else None
    rows.append(
        row(
            "Peak RSS, default en→fr brief",
            "≤ 1,000 MB",
            rss,
            f"{rss or 0:,.0f} MB",
            (rss or 0) <= 1000,
        )
    )
    for flag in ("--help", "--version"):
        value = startup.get(flag)
        rows.append(
            row(f"`briefer {flag}`", "< 0.3 s", value, f"{value or 0:.2f} s", (value or 1) < 0.3)
        )
    mine, argos = (
        briefer_result(results, "translate-fr"),
        results.get("translate-fr|argos-translate"),
    )
    versus = (
        argos.wall_s / mine.wall_s
        if mine and argos and argos.ok and argos.wall_s and mine.wall_s
        else None
    )
    rows.append(
        row(
            "Translate (fr) against argos-translate on the same converted model",
            "≥ 1.5×",
            versus,
            f"{versus or 0:.2f}×",
            (versus or 0) >= 1.5,
        )
    )
    value = startup.get(ONE_SENTENCE)
    rows.append(
        row(
            "One sentence through `briefer translate`, warm cache, whole process",
            "≤ 1.0 s",
            value,
            f"{value or 0:.2f} s",
            (value or 2) <= 1.0,
        )
    )
    return rows, default


def write_report(
    path: Path,
    results: dict[str, Result],
    startup: dict[str, float],
    info: dict[str, Any],
) -> None:
    """Write RESULTS.md: machine, models, workload, the table, the targets, how to reproduce."""
    m, manifest = info["machine"], info["manifest"]
    target_rows, default = targets(results, startup)
    lines = [
        "# Benchmark results",
        "",
        f"Written {info['date']} by `python benchmarks/run.py{' --quick' if manifest['quick'] else ''}` "
        f"(briefer {m['versions']['briefer']}, commit {m['commit']}).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cpus']} CPUs available; ISA: {m.get('isa', 'not recorded')}; "
        f"memory: {m['memory_gb']} GB; {m['os']}",
        f"- briefer's CTranslate2 layout (`-v`): {m.get('plan', 'not recorded')}",
        f"- Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if k != "briefer"),
        "- Other work on the machine slows a run: the *Others' CPU* column gives, per run, the CPU "
        f"cores (of {m['cpus']}) that other processes used on average meanwhile (from `/proc/stat`, "
        "steal included). torch's threads wait on each other, so even a little of it slows torch a lot.",
        "",
        "## Models",
        "",
        "Random weights with the real architectures (speed depends on shape, not on weight values), "
        "built by `tests/factory.py` and cached in `benchmarks/.models/`. The generation configs "
        "pin the length (min = max), so baseline and briefer generate exactly the same number of tokens.",
        "",
        "| Role | Imitates | Type | Layers (enc/dec) | d_model | FFN | Heads | Vocab | Params | Generation config |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for role, d in manifest["models"].items():
        gen = ", ".join(f"{k}={v}" for k, v in d["generation"].items())
        lines.append(
            f"| {role} | {d['imitates']} | {d['type']} | {d['encoder_layers']}/{d['decoder_layers']} "
            f"| {d['d_model']} | {d['ffn_dim']} | {d['heads']} | {d['vocab_size']:,} "
            f"| {d['params_m']:,}M | {gen} |"
        )
    words, tokens, limit = info["words"], info["tokens"], info["input_limit"]
    corpus = (
        "the factory's few news sentences"
        if manifest["quick"]
        else f"{manifest['corpus_lines']:,} lines of English prose from this machine's documentation "
        "plus the sample article, which gives news text a GPT-2-like number of tokens per word"
    )
    lines += [
        "",
        f"Tokenizers are trained on this machine: a byte-level BPE of the full {manifest['models']['summarizer']['vocab_size']:,} "
        f"tokens for BART and SentencePiece models for Marian, on {corpus}. Marian vocabularies "
        "are filled up to the real size, so every id a random model emits decodes to text. "
        f"Building all models took {manifest['build_s']:.0f} s, once."
        + (
            " `tests/factory.py` has changed since they were built; shapes set the speed, but "
            "deleting `benchmarks/.models/` rebuilds them with it."
            if manifest.get("factory_changed")
            else ""
        ),
        "",
        "## Workload",
        "",
        f"A morning brief of {len(words)} articles built from `examples/paris-coalition-meeting.txt` "
        "(its paragraphs rotated, repeated and trimmed): "
        + ", ".join(
            f"{w:,} words" + (f" ({t:,} tokens)" if t else "")
            for w, t in zip(words, tokens or [None] * len(words), strict=True)
        )
        + ".",
        "",
        f"- **Summarize (en)**: every article summarized. The baseline truncates each article to {limit:,} "
        "tokens; briefer chunks longer ones and summarizes the chunk summaries again, so it does "
        "*more* generation on long articles (see *What it did*).",
        f"- **Translate to fr / ar**: the first {info['summary_sentences_each']} sentences of each article "
        f"({info['summary_sentences']} sentences), one paragraph per article, translated by both sides: "
        "a realistic summary, since random-weight summaries are gibberish without real sentences. "
        "briefer: `briefer translate summaries.txt --lang fr -t MODEL -f text`.",
        "- **Whole brief en→fr / en→ar**: summarize every article, then translate its headline and "
        "summary. briefer: `briefer summarize ARTICLES/ -m MODEL --lang fr -t MODEL --no-cache -f json`. "
        "The random summaries are split into sentences by pysbd on both sides; the counts can differ "
        "because briefer's summaries of long articles differ from the truncated baseline's.",
        "- **Baseline** (`benchmarks/baseline.py`): the straightforward transformers code: per article, "
        f"`tokenizer(text, truncation=True)` ({limit:,} tokens), `model.generate(**inputs)` with the saved "
        "generation config, `decode`; then each sentence through the translator in a loop "
        "(`>>ara<<` in front for Arabic), under `torch.no_grad()` with torch's default threads.",
        "- Each run is a fresh process timed from outside: wall time includes Python start-up and model "
        "loading. Peak RSS is that process's maximum resident set (`wait4`). Articles/min = "
        f"{len(words)} / wall minutes. Speed-up = baseline wall / briefer wall (same work units). "
        "Model files are read once before timing, so no run pays for a cold disk. Results are never "
        "reused (`--no-cache`).",
        "",
        "## Results",
        "",
        *table(results, len(words)),
        "",
        f"*noisy*: other processes used more than {NOISY_CORES} CPU cores on average during that "
        "run, so its time is inflated; re-run it with `--stages` (and `--only`) on a quiet machine.",
        "",
    ]
    cost_rows = costs(results)
    if cost_rows:
        lines += [
            "### Cost of the reduce pass and of the checks",
            "",
            "Measured by briefer inside each run (`briefer summarize -v` logs them): *map* is "
            "`generate()` on the chunks (one chunk per article: the whole summary), *reduce pass* "
            "`generate()` on each long article's joined chunk summaries, *checks* the fact check, "
            "per-sentence support and output guard. Shares are of the run's wall time.",
            "",
            *cost_rows,
            "",
        ]
    peer_table = peer_rows(results)
    if peer_table:
        lines += [
            "### briefer against its peers",
            "",
            "Same run, same sentences, same converted model files (briefer's int8 CTranslate2 "
            "conversion), same beams (4) and decoding lengths (min = max), each peer a whole "
            "process timed like the rows above (`benchmarks/peers.py`). *briefer* is its "
            "default-settings run of the stage. *Translating* is the time inside the process "
            "after loading: briefer's own `-v` timing of its translate call, the peer's around "
            "its translating loop.",
            "",
            f"- **{PEERS['ct2']}**: the code CTranslate2's documentation leads to: "
            '`ctranslate2.Translator(model, compute_type="int8")` with its default threads, '
            "SentencePiece pieces plus `</s>` (`>>ara<<` first for Arabic), one `translate_batch` "
            "per article (its sentences, split by pysbd), `decode` of the best hypothesis.",
            f"- **{PEERS['argos']}** {_version('argostranslate')}: its own `translate()`, per "
            "article, on an argos package (`metadata.json`, `model/` = briefer's converted "
            "folder, `sentencepiece.model` = the Marian source model) found through "
            "`ARGOS_PACKAGES_DIR`. Offline, its sentence splitters (MiniSBD, stanza) cannot "
            "fetch their models, so its sentencizer is replaced, through argos's own "
            "`ISentenceBoundaryDetectionModel` interface, by pysbd's split (the sentences briefer "
            "and the baseline translate); and its `translate_batch` call gets the benchmark's "
            "min = max decoding length, since random weights would otherwise run to 256 tokens. "
            "Everything else is argos's default: beam 4, `length_penalty=0.2`, "
            "`replace_unknowns`, scores, batches of 32 tokens, `inter_threads=1`, "
            "`intra_threads=0`, `compute_type=auto`. Its SentencePiece tokenizer adds no `</s>`, "
            "so it feeds one token fewer per sentence. Importing argostranslate 1.11 imports "
            "stanza (and with it torch) and minisbd (onnxruntime), which is part of its time. "
            "It is installed for the benchmark only, without the dependencies that would pull "
            f"CUDA torch and spaCy: `{ARGOS_INSTALL}`. argos packages have no source-language "
            "token, so it runs en→fr only.",
            "",
            *peer_table,
            "",
        ]
    gemm = info.get("gemm") or {}
    floor_table = floor_rows(results, manifest["models"], gemm)
    if floor_table:
        used = sorted({r.at for r in results.values() if r.work and r.at in gemm})
        lines += [
            "### How close to the floor",
            "",
            "Model FLOPs (a multiply-add is 2) counted from the work each run did: encoder tokens "
            "× (8 d² + 4 d·ffn) per layer plus attention 4 d·L per token; decoder steps × beams × "
            "((12 d² + 4 d·ffn) per layer + attention over the steps so far and the source + the "
            "LM head 2 d·V), plus the cross-attention's K and V of the source once per sequence "
            "(`benchmarks/floor.py`). The token and step counts are real: briefer's engines count "
            "the tokens they feed and the decoder steps they run (`briefer summarize -v` and "
            "`briefer translate -v` log them as `work:`), the baseline and the peers count theirs "
            "the same way. Layer norms, softmax and biases are left out, so this is a lower "
            "bound.",
            "",
            "Each row is set against the GEMM throughput measured in the same invocation of "
            "run.py, on the run's threads, best of 5 rounds (`benchmarks/floor.py`), in GFLOP/s "
            "for a 512×1024×4096 product (an encoder FFN) and a 16×1024×4096 one (one decoder "
            "step of 4 beams × 4 sentences, memory-bound):",
            "",
            *(_gemm_line(at, gemm[at]) for at in used),
            "",
            "The shares and the floor use the 512-row figures: *int8 floor* is the model FLOPs at "
            "the int8 peak, the time the arithmetic alone needs; *wall ÷ floor* is how far the "
            "whole process is from it. Decoder steps run at the small-matrix rate, far below that "
            "peak, so no real run reaches the floor.",
            "",
            *floor_table,
            "",
        ]
    first_use = info.get("first_use") or {}
    if first_use:
        lines += [
            "The first use of a model with the CTranslate2 backend converts it once (the result is "
            "kept in briefer's cache folder, like a download; not counted above), whole process: "
            + ", ".join(f"{k} {v} s" if v else f"{k} failed" for k, v in first_use.items())
            + ".",
            "",
        ]
    lines += [
        "Start-up (median of 5, after a warm-up): "
        + ", ".join(f"`briefer {k}` {v:.2f} s" for k, v in startup.items())
        + ("." if startup else "not measured."),
        "",
        "## Targets",
        "",
        f"Judged on briefer's default settings ({'`--backend auto`' if default == 'auto' else 'the torch backend, since the CTranslate2 backend has not been measured'}), "
        f"{m['cpus']}-CPU machine, equal generation settings, whole process.",
        "",
        *target_rows,
        "",
    ]
    when = sorted({r.at for r in results.values() if r.at})
    took, commits = info["elapsed"], info["commits"]
    lines += [
        f"Rows were measured in {len(when)} invocation{'s' if len(when) > 1 else ''} of run.py, "
        "started " + ", ".join(_invocation(w, commits.get(w), took.get(w)) for w in when) + ".",
        "",
    ]
    lines += [
        "## Reproduce",
        "",
        "    make bench                      # or: .venv/bin/python benchmarks/run.py",
        "    python benchmarks/run.py --quick                 # tiny models: checks the harness in a minute or two",
        "    python benchmarks/run.py --only briefer --backend auto   # re-run one side; the rest is kept",
        "    python benchmarks/run.py --stages summarize,brief-fr",
        "    python benchmarks/run.py --stages translate-fr --only peers   # argos-translate, ctranslate2 direct",
        "    python benchmarks/run.py --report-only           # rewrite this file from stored numbers",
        "",
        "The first run builds the models (under a minute here; about 2.4 GB in `benchmarks/.models/`). "
        "Logs and outputs of the last run are in `benchmarks/.cache/`.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


# --- Main --------------------------------------------------------------------------------


def _invocation(started: str, commit: str | None, minutes: float | None) -> str:
    """Describe one invocation of run.py for the report: when, at which commit, how long."""
    details = [f"commit {commit}" if commit else "", f"{minutes} min in all" if minutes else ""]
    details = [d for d in details if d]
    return f"{started} ({', '.join(details)})" if details else started


def load_store(path: Path, key: dict[str, Any]) -> dict[str, Any]:
    """Return earlier measurements made with the same models on the same machine, if any."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["key"] == key:
            saved["results"] = {k: Result(**v) for k, v in saved["results"].items()}
            return saved
    return {"key": key, "results": {}, "startup": {}, "first_use": {}, "gemm": {}}


def run_all(
    ctx: Context,
    stages: list[str],
    sides: list[str],
    invocation: str,
    results: dict[str, Result],
    startup: dict[str, float],
    first_use: dict[str, float | None],
    gemm: dict[str, dict[str, Any]],
) -> None:
    """Run the stages, alternating sides within each, and briefer's start-up; update the dicts."""
    pending = ctranslate2_pending()
    warm_page_cache(ctx.models)
    if not pending and {"auto", "ctranslate2", *PEERS} & set(sides):
        first_use |= prepare_ctranslate2(ctx, stages, ctx.work / "logs")
        print(f"CTranslate2 first use: {first_use}", flush=True)
        for lang in sorted({s.split("-")[1] for s in stages if s.startswith("translate")}):
            found = converted_folder(ctx, lang)
            if found is not None:
                ctx.converted[lang] = found
                # argos reads packages from a folder: this one holds the very converted model.
                peers.package_argos(ctx.work / "argos", found, Path(ctx.model(lang)), lang)
    # The machine's GEMM throughput, in this invocation, for the floor table.
    gemm[invocation] = measure_gemm(ctx)
    print(f"GEMM GFLOP/s: {gemm[invocation]}", flush=True)
    for stage_name in stages:
        for side in sides:
            if side in PEERS and not stage_name.startswith("translate"):
                continue  # the peers translate only
            result = run_one(STAGES[stage_name], side, ctx, pending, invocation)
            results[f"{stage_name}|{result.side}"] = result
            if not result.pending:
                print(
                    f"[{stage_name:12s}] {result.side:24s} {result.wall_s:7.1f} s  "
                    f"{len(ctx.articles) / (result.wall_s or 1) * 60:5.1f} art/min  "
                    f"{result.rss_mb:6.0f} MB  {'ok' if result.ok else 'FAILED'}  {result.check}",
                    flush=True,
                )
    if set(sides) & {"torch", "auto", "ctranslate2"}:  # briefer ran: time its start-up too
        for flag in ("--help", "--version"):
            startup[flag] = round(startup_time([*ctx.briefer, flag], ctx.env), 3)
        for label, cmd in warm_commands(ctx).items():
            startup[label] = round(startup_time(cmd, ctx.env), 3)
        print("start-up: " + ", ".join(f"{k} {v:.2f} s" for k, v in startup.items()), flush=True)


def measure_gemm(ctx: Context) -> dict[str, Any]:
    """Measure fp32 and int8 GEMM throughput in a child process (benchmarks/floor.py), or {}."""
    threads = len(os.sched_getaffinity(0))
    cmd = [sys.executable, str(HERE / "floor.py"), "gemm", "--threads", str(threads)]
    done = subprocess.run(cmd, env=ctx.env, capture_output=True, text=True, check=False)
    with contextlib.suppress(ValueError, IndexError):
        return json.loads(done.stdout.strip().splitlines()[-1])
    print(f"GEMM measurement failed: {done.stderr.strip()[-500:]}", flush=True)
    return {}


# Start-up rows that run a model: the whole process of one short job on a warm cache (the
# model converted, and its tokenizer and settings stored, by the untimed warm-up run).
ONE_SENTENCE = "translate (1 sentence, warm cache)"
ONE_ARTICLE = "summarize (1 short article, warm cache)"


def warm_commands(ctx: Context) -> dict[str, list[str]]:
    """Return the default-settings commands timed whole for start-up: one sentence, one short article."""
    folder = ctx.work / "startup"
    folder.mkdir(parents=True, exist_ok=True)
    sentence = folder / "sentence.txt"
    sentence.write_text("The mayor said the bridge will reopen in May.\n", encoding="utf-8")
    article = folder / "article.txt"
    article.write_text(
        "Bridge to reopen\n\nThe city council met on Tuesday to discuss the bridge. The mayor "
        "said it would reopen in May after two years of repairs. Residents welcomed the news.\n",
        encoding="utf-8",
    )
    translate = [*ctx.briefer, "translate", str(sentence), "--lang", "fr", "-t", ctx.model("fr")]
    summarize = [*ctx.briefer, "summarize", str(article), "-m", ctx.model("summarizer")]
    # --no-guard on the sentence: random weights loop, and the guard would decode it twice.
    return {
        ONE_SENTENCE: [*translate, "-f", "text", "--no-guard"],
        ONE_ARTICLE: [*summarize, "--no-cache"],
    }


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the models, run every stage on both sides, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny models and 2 short articles")
    parser.add_argument("--models-dir", type=Path, default=HERE / ".models")
    parser.add_argument(
        "--only", choices=["baseline", "briefer", "peers"], help="run one side (or the peers) only"
    )
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help=f"translate-stage peers to run, comma-separated: {', '.join(PEERS)} [all]; '' for none",
    )
    parser.add_argument(
        "--backend",
        default="torch,auto",
        help="briefer backends to run, comma-separated: torch, auto, ctranslate2 [torch,auto]",
    )
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated: {', '.join(STAGES)}"
    )
    parser.add_argument(
        "--results", type=Path, help="report file [benchmarks/RESULTS.md; --quick: .cache/]"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from stored measurements"
    )
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_into:
        build_models(args.build_into, args.quick)
        return 0
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    chosen_peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for name, chosen, allowed in (
        ("stage", stages, STAGES),
        ("backend", backends, ("torch", "auto", "ctranslate2")),
        ("peer", chosen_peers, PEERS),
    ):
        if bad := [c for c in chosen if c not in allowed]:
            parser.error(f"unknown {name} {', '.join(bad)}; choose from {', '.join(allowed)}")

    started = time.perf_counter()
    # Tags this invocation's rows, which a partial run merges with earlier ones.
    invocation = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    mode = "quick" if args.quick else "full"
    cache = HERE / ".cache"
    work = cache / f"work-{mode}"
    if not args.report_only:
        shutil.rmtree(work, ignore_errors=True)  # the last run's logs and outputs only
    models, manifest = ensure_models(args.models_dir, args.quick)
    articles = make_articles(work / "articles", args.quick)
    summaries = work / "summaries.txt"
    write_summaries(articles, summaries, args.quick)
    ctx = Context(
        models, articles, work / "articles", summaries, work, briefer_command(), child_env(cache)
    )
    info: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "manifest": manifest,
        "words": [len(a.read_text(encoding="utf-8").split("\n", 1)[1].split()) for a in articles],
        "tokens": token_counts(models / "summarizer", articles),
        # Counted as both sides split the file, which can join a few of the sentences written.
        "summary_sentences": _count_sentences(summaries.read_text(encoding="utf-8")),
        "summary_sentences_each": 2 if args.quick else SUMMARY_SENTENCES,
        "input_limit": json.loads((models / "summarizer" / "config.json").read_text())[
            "max_position_embeddings"
        ],
    }
    store = cache / f"measurements-{mode}.json"
    key = {"models": str(models), "cpu": info["machine"]["cpu"], "cpus": info["machine"]["cpus"]}
    # A partial run (--only, --stages, --backend) updates its rows and keeps the others.
    saved = load_store(store, key)
    results: dict[str, Result] = saved["results"]
    startup: dict[str, float] = saved["startup"]
    info["first_use"] = saved.get("first_use", {})
    # GEMM throughput per invocation: each row's floor is set against its own invocation's.
    gemm = {at: g for at, g in saved.get("gemm", {}).items() if isinstance(g, dict)}
    info["gemm"] = gemm
    info["elapsed"] = elapsed = saved.get("elapsed", {})
    # briefer's code can change between the invocations whose rows a report merges.
    info["commits"] = commits = saved.get("commits", {})

    print(
        f"workload: {len(articles)} articles {info['words']} words, tokens {info['tokens']}",
        flush=True,
    )
    if not args.report_only:
        sides = ["baseline"] if args.only in (None, "baseline") else []
        sides += backends if args.only in (None, "briefer") else []
        sides += chosen_peers if args.only in (None, "peers") else []
        run_all(ctx, stages, sides, invocation, results, startup, info["first_use"], gemm)
        elapsed[invocation] = round((time.perf_counter() - started) / 60, 1)
        commits[invocation] = info["machine"]["commit"]

    # Keep the table in the order of STAGES and sides whatever order the runs came in.
    order = ["baseline", *(side_name(b) for b in ("torch", "auto", "ctranslate2")), *PEERS.values()]
    results = dict(
        sorted(
            results.items(),
            key=lambda kv: (list(STAGES).index(kv[1].stage), order.index(kv[1].side)),
        )
    )
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(
        json.dumps(
            {
                "key": key,
                "results": {k: asdict(r) for k, r in results.items()},
                "startup": startup,
                "first_use": info["first_use"],
                "gemm": gemm,
                "elapsed": elapsed,
                "commits": commits,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    report = args.results or (cache / "RESULTS-quick.md" if args.quick else HERE / "RESULTS.md")
    write_report(report, results, startup, info)
    print("\n".join(table(results, len(articles))))
    print(f"\nwrote {report}")
    return 0 if all(r.ok or r.pending for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
