"""The CTranslate2 backend: Hugging Face seq2seq models converted once (int8 on CPU), then run
with the same generation settings the torch backend uses."""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ConversionError, ModelError

log = logging.getLogger("briefer")

# The encoder-decoder families ctranslate2's converter knows (its _MODEL_LOADERS keys).
SUPPORTED_CONFIGS = frozenset(
    {
        "BartConfig",
        "MBartConfig",
        "MarianConfig",
        "PegasusConfig",
        "T5Config",
        "MT5Config",
        "UMT5Config",
        "M2M100Config",
    }
)
# Bump when a conversion made by an older briefer must not be reused.
CONVERSION_VERSION = 1
_STALE_SECONDS = 6 * 3600
# Tokens per batch: on 2 vCPUs with distilbart shapes, 2,048 beat 1,024 and 4,096 (wider
# batches of long chunks ran slower, narrower ones left the matrix units underused).
BATCH_TOKENS = 2048


def available() -> bool:
    """Return whether the ctranslate2 package can be imported."""
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return True


def supports(config: Any) -> bool:
    """Return whether a model config belongs to a family the converter handles."""
    return type(config).__name__ in SUPPORTED_CONFIGS


def resolve_device(device: str) -> str:
    """Return cpu or cuda for ctranslate2, without importing torch."""
    import ctranslate2

    has_cuda = ctranslate2.get_cuda_device_count() > 0
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if device == "cuda" and not has_cuda:
        raise ModelError("--device cuda was asked for, but CTranslate2 sees no CUDA GPU")
    if device not in {"cpu", "cuda"}:
        raise ModelError(f"the ctranslate2 backend runs on cpu or cuda, not {device}")
    return device


def compute_type_for(device: str) -> str:
    """Return the precision to convert to and run in: int8 on CPU, float16 on a GPU."""
    return "float16" if device == "cuda" else "int8"


def cache_root() -> Path:
    """Return the folder holding converted models, beside the result cache."""
    from .cache import default_path

    return default_path().parent / "ctranslate2"


def converted_path(name: str, revision: str, compute_type: str) -> Path:
    """Return where the conversion of a model revision to a compute type is cached."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", name.strip("/"))[-80:]
    return cache_root() / f"{slug}-{revision[:16]}-{compute_type}-v{CONVERSION_VERSION}"


def convert(source: Path, target: Path, compute_type: str) -> Path:
    """Convert the model folder at source into target, atomically: all of it or nothing."""
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        # The folder names the processes writing it, so a later run can tell a conversion in
        # progress from one whose process was killed (and remove the latter at once).
        _own(work, os.getpid())
        started = time.monotonic()
        log.info("converting %s for CTranslate2 (%s); this happens once", source, compute_type)
        _convert_elsewhere(source, work / "model", compute_type)
        try:
            # A rename is atomic: a reader sees no folder or a whole one, never half of one.
            os.rename(work / "model", target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
            # Another run finished the same conversion first; theirs is as good as ours.
        log.info("converted in %.0f s", time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _child_command(source: Path, out: Path, compute_type: str) -> list[str]:
    """Return the command line of the converter child; it is told its parent's pid."""
    import sys

    return [
        sys.executable,
        "-m",
        "briefer.ctranslate",
        str(os.getpid()),
        str(source),
        str(out),
        compute_type,
    ]


def _convert_elsewhere(source: Path, out: Path, compute_type: str) -> None:
    """Convert in a child process, so the full-precision copy never swells this one's memory.

    The child dies with this process: it asks the kernel for SIGKILL when its parent goes
    (PR_SET_PDEATHSIG, see _die_with_parent), and any exception here, Ctrl-C included, kills
    it before it is raised on.
    """
    import subprocess

    child = subprocess.Popen(
        _child_command(source, out, compute_type),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    try:
        _own(out.parent, child.pid)
        _, stderr = child.communicate()
    except BaseException:
        child.kill()
        child.wait()
        raise
    if child.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"converter exited with {child.returncode}")


def _die_with_parent(parent: int) -> None:
    """Make this process (the converter child) end when the parent that started it ends."""
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1  # from <linux/prctl.h>
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        # The parent was gone before the request above took effect: nobody waits for us.
        os._exit(1)

    def watch() -> None:
        """Where the kernel cannot do it (macOS), notice the parent gone within a second."""
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def convert_here(source: str, out: str, compute_type: str) -> None:
    """Run the converter in this process (the child side of _convert_elsewhere)."""
    quantization = None if compute_type == "float32" else compute_type
    _converter(source).convert(out, quantization=quantization, force=True)


def child_main(argv: list[str]) -> None:
    """The converter child: bind its life to the parent's, then convert."""
    parent, source, out, compute_type = argv[:4]
    _die_with_parent(int(parent))
    convert_here(source, out, compute_type)


_OWNERS = "owners"


def _own(work: Path, pid: int) -> None:
    """Record in a conversion folder that a live process (pid, start time) writes it."""
    state = _proc_state(pid)
    with open(work / _OWNERS, "a", encoding="ascii") as handle:
        handle.write(f"{pid} {state[1] if state else ''}\n")


def _proc_state(pid: int) -> tuple[str, str] | None:
    """Return a process's state letter and start time (Linux /proc), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            # Field 2 (the command name) may hold spaces and parentheses: split after its end.
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 of proc(5), the state; fields[19] is field 22, the start time.
    return fields[0], fields[19]


def _alive(pid: int, started: str) -> bool:
    """Return whether a process is running and is the one recorded (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    state = _proc_state(pid)
    if state is None:
        return True  # no /proc to ask: kill() said it exists
    if state[0] in {"Z", "X"}:
        return False  # killed, not yet reaped by its parent
    return not started or state[1] == started


def _sweep(folder: Path) -> None:
    """Remove what killed conversions left behind: folders whose processes are all gone."""
    now = time.time()
    for leftover in folder.glob(".*.partial"):
        try:
            owners = (leftover / _OWNERS).read_text(encoding="ascii").split("\n")
        except FileNotFoundError:
            owners = None
        except OSError:
            continue
        try:
            if owners is None:
                # Made by an older briefer, or just created and not yet owned: age decides.
                stale = now - leftover.stat().st_mtime > _STALE_SECONDS
            else:
                records = [line.split(" ") + [""] for line in owners if line.strip()]
                stale = not any(_alive(int(r[0]), r[1]) for r in records)
        except (OSError, ValueError):
            continue
        if stale:
            log.info("removing %s, left by a conversion that was stopped", leftover.name)
            shutil.rmtree(leftover, ignore_errors=True)


def _converter(source: str) -> Any:
    """Return a ctranslate2 converter that reads configs saved by transformers 5."""
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        """Fill in config fields transformers 5 stopped writing but the converter still reads."""

        def load_model(self, model_class: Any, name: str, **kwargs: Any) -> Any:
            """Load the model, then restore the fields the converter expects."""
            model = super().load_model(model_class, name, **kwargs)
            config = model.config
            if config.model_type in {"bart", "mbart", "pegasus", "plbart"}:
                encoder = model.get_encoder()
                if not hasattr(config, "normalize_before"):
                    # Pre-norm stacks (PEGASUS, mBART) end the encoder with a LayerNorm.
                    config.normalize_before = getattr(encoder, "layer_norm", None) is not None
                if not hasattr(config, "normalize_embedding"):
                    config.normalize_embedding = hasattr(encoder, "layernorm_embedding")
            elif config.model_type == "t5" and hasattr(config, "scale_decoder_outputs"):
                # transformers 5 always sets tie_word_embeddings for T5; the converter reads it
                # to decide the output scaling, which scale_decoder_outputs now governs.
                config.tie_word_embeddings = bool(config.scale_decoder_outputs)
            elif config.model_type == "mt5":
                config.tie_word_embeddings = False
            return model

    return Converter(source, low_cpu_mem_usage=True)


def threads(device: str) -> tuple[int, int]:
    """Return (inter_threads, intra_threads) for the cores this process may use."""
    if device == "cuda":
        return 1, 4
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity call
        cores = os.cpu_count() or 1
    # On small machines one thread per translation, translations side by side, wins: threads
    # inside one matrix product wait on each other more than they gain (measured on 2 vCPUs).
    inter = max(1, min(cores, 4))
    return inter, max(1, cores // inter)


class CT2Seq2Seq:
    """A converted model run by ctranslate2, with its Hugging Face tokenizer and settings."""

    def __init__(
        self,
        name: str,
        tokenizer: Any,
        config: Any,
        generation_config: Any,
        translator: Any,
        batch_size: int = 4,
    ):
        self.name = name
        self.tokenizer = tokenizer
        self.config = config
        self.generation_config = generation_config
        self.translator = translator
        self.batch_size = batch_size
        self.vocabulary: frozenset[str] | None = None
        self.batch_tokens = BATCH_TOKENS

    def settings(self, overrides: dict[str, Any] | None = None) -> Any:
        """Return the generation config in force once overrides are laid over the model's."""
        from .models import merged_generation_config

        return merged_generation_config(self.generation_config, overrides or {})

    def generate(self, texts: Sequence[str], overrides: dict[str, Any] | None = None) -> list[str]:
        """Return one generated text per input text, batches spread over the translator's workers."""
        return self.generate_groups([(texts, overrides)])[0]

    def generate_groups(
        self, groups: Sequence[tuple[Sequence[str], dict[str, Any] | None]]
    ) -> list[list[str]]:
        """Run groups of texts, each with its own settings, all queued at once."""
        workers = max(1, self.translator.num_translators)
        encoded = [
            [
                self.tokenizer.convert_ids_to_tokens(ids)
                for ids in self.tokenizer(list(texts), add_special_tokens=True).input_ids
            ]
            if texts
            else []
            for texts, _ in groups
        ]
        total = sum(len(tokens) for sources in encoded for tokens in sources)
        # Batches are capped in tokens, not texts: two 900-token chunks fill a core as well as
        # sixty short sentences do. Splitting the work over the workers, and queuing every
        # group before waiting, keeps all of them busy until the last batch.
        per_batch = max(1, min(self.batch_tokens, math.ceil(total / workers)))
        pending = []
        for sources, (_, overrides) in zip(encoded, groups, strict=True):
            if not sources:
                pending.append([])
                continue
            options, prefix = translate_options(
                self.settings(overrides), self.tokenizer, self.vocabulary
            )
            pending.append(
                self.translator.translate_batch(
                    sources,
                    target_prefix=[prefix] * len(sources) if prefix else None,
                    max_batch_size=max(per_batch, max(len(tokens) for tokens in sources)),
                    batch_type="tokens",
                    asynchronous=True,
                    **options,
                )
            )
        return [[self._decode(result.result()) for result in results] for results in pending]

    def _decode(self, result: Any) -> str:
        """Return the text of a translation result's best hypothesis."""
        ids = self.tokenizer.convert_tokens_to_ids(result.hypotheses[0])
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()


def translate_options(
    config: Any, tokenizer: Any, vocabulary: frozenset[str] | None = None
) -> tuple[dict[str, Any], list[str] | None]:
    """Map a transformers generation config to translate_batch options and a target prefix."""
    # transformers counts the decoder start token in max_length and min_length; ctranslate2
    # counts generated tokens only (a target prefix included).
    if config.max_new_tokens:
        max_tokens = int(config.max_new_tokens)
    else:
        max_tokens = int(config.max_length or 20) - 1
    if config.forced_eos_token_id is not None:
        # transformers spends the last position on the forced EOS; ctranslate2 just stops there.
        max_tokens -= 1
    if config.min_new_tokens:
        min_tokens = int(config.min_new_tokens)
    else:
        min_tokens = max(int(config.min_length or 0) - 1, 0)
    prefix = None
    if config.forced_bos_token_id is not None:
        # BART forces <s> after the decoder start; ctranslate2 takes it as a target prefix.
        prefix = tokenizer.convert_ids_to_tokens([config.forced_bos_token_id])
    options: dict[str, Any] = {
        "beam_size": int(config.num_beams or 1),
        "length_penalty": float(
            config.length_penalty if config.length_penalty is not None else 1.0
        ),
        "no_repeat_ngram_size": int(config.no_repeat_ngram_size or 0),
        "repetition_penalty": float(config.repetition_penalty or 1.0),
        "max_decoding_length": max(max_tokens, 1),
        "min_decoding_length": min(min_tokens, max(max_tokens, 1)),
        "return_scores": False,
        # briefer sizes every input to the model; ctranslate2 must never cut one silently.
        "max_input_length": 0,
    }
    if config.eos_token_id is not None:
        eos = (
            config.eos_token_id if isinstance(config.eos_token_id, list) else [config.eos_token_id]
        )
        options["end_token"] = tokenizer.convert_ids_to_tokens(eos)
    if config.bad_words_ids:
        banned = [tokenizer.convert_ids_to_tokens(ids) for ids in config.bad_words_ids]
        # The converter drops tokens a model can never emit (Marian's <pad>); nothing to ban.
        banned = [seq for seq in banned if vocabulary is None or set(seq) <= vocabulary]
        if banned:
            options["suppress_sequences"] = banned
    return options, prefix


def load(
    name: str, device: str = "auto", batch_size: int = 4, compute_type: str | None = None
) -> CT2Seq2Seq:
    """Load a model for ctranslate2, converting it on first use; raise ModelError if it cannot."""
    from concurrent.futures import ThreadPoolExecutor

    _prefer_avx512()
    import ctranslate2

    from . import hub

    device = resolve_device(device)
    compute_type = compute_type or compute_type_for(device)
    inter, intra = threads(device)

    def open_translator(path: Path) -> Any:
        """Load converted weights (native code, which lets other Python threads run)."""
        return ctranslate2.Translator(
            str(path),
            device=device,
            compute_type=compute_type,
            inter_threads=inter,
            intra_threads=intra,
        )

    revision, folder = hub.revision(name), hub.local_snapshot(name)
    target = converted_path(name, revision, compute_type) if revision and folder else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # A model converted before starts loading now, while transformers is imported.
        early = None
        if target is not None and (target / "model.bin").is_file():
            early = pool.submit(open_translator, target)
        tokenizer, config, generation = _hf_parts(name)
        if early is not None:
            translator = early.result()
        else:
            if target is None or folder is None:
                # The weights are not local yet: fetch them the way a torch load would.
                folder = hub.pull(name, progress=False)
                target = converted_path(name, hub.revision(name) or "unknown", compute_type)
            try:
                convert(folder, target, compute_type)
            except (OSError, ValueError, KeyError, RuntimeError, NotImplementedError) as exc:
                raise ConversionError(f"CTranslate2 could not convert {name!r}: {exc}") from exc
            translator = open_translator(target)
    model = CT2Seq2Seq(name, tokenizer, config, generation, translator, batch_size)
    model.vocabulary = read_vocabulary(target)
    return model


def _hf_parts(name: str) -> tuple[Any, Any, Any]:
    """Return a model's tokenizer, config and generation config; refuse unsupported families."""
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    from .models import from_pretrained

    tokenizer = from_pretrained(AutoTokenizer.from_pretrained, name)
    config = from_pretrained(AutoConfig.from_pretrained, name)
    if not supports(config):
        raise ConversionError(f"CTranslate2 cannot convert {name!r} ({type(config).__name__})")
    try:
        generation = from_pretrained(GenerationConfig.from_pretrained, name)
    except ModelError:
        generation = GenerationConfig.from_model_config(config)
    return tokenizer, config, generation


def _prefer_avx512() -> None:
    """Let ctranslate2 use AVX-512 on CPUs with VNNI or AMX, unless the user chose an ISA."""
    # ctranslate2 picks AVX2 by default, fearing the clock drop of older AVX-512 chips; on
    # chips with VNNI/AMX its AVX-512 kernels measured 5-10% faster for distilbart shapes.
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "").split()
    except OSError:
        return
    if "avx512f" in flags and ({"avx512_vnni", "amx_int8"} & set(flags)):
        os.environ.setdefault("CT2_FORCE_CPU_ISA", "AVX512")


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


if __name__ == "__main__":
    import sys

    child_main(sys.argv[1:])
