"""What the local Hugging Face cache holds for briefer's models, and fetching them ahead of time.

Everything here except pull() works offline: it reads the cache layout on disk
(models--org--name/refs/main -> snapshots/<commit>/...) instead of asking the Hub.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ModelError
from .options import default_models as default_models

log = logging.getLogger("briefer")

PULL_HINT = (
    "fetch it on a connected machine (`briefer models pull`, or huggingface-cli download) "
    "or pass a local folder"
)

# Files whose metadata (not content: weights are gigabytes) identifies a local folder's weights.
_WEIGHT_PATTERNS = (
    "*.safetensors",
    "pytorch_model*.bin",
    "*.safetensors.index.json",
    "pytorch_model*.bin.index.json",
)
_TOKENIZER_PATTERNS = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab*",
    "merges.txt",
    "*.spm",
    "*.model",
    "*.tiktoken",
)
# Files that hold a tokenizer's vocabulary; tokenizer_config.json alone cannot build one.
# What a tokenizer is read from, in the hub repos of the families briefer runs: fast
# tokenizers' tokenizer.json, BART's vocab.json and merges.txt, Marian's source.spm, T5's and
# PEGASUS's spiece.model, NLLB's and M2M100's sentencepiece.bpe.model, ProphetNet's
# prophetnet.tokenizer, BERT-style vocab.txt. ByT5 and CANINE read bytes and characters and
# have none: their tokenizer_config.json names the class (_FILELESS_TOKENIZERS).
# FSMT (facebook/wmt19-*) keeps vocab-src.json and vocab-tgt.json.
_VOCAB_PATTERNS = ("tokenizer.json", "vocab*", "*.spm", "*.model", "*.tiktoken", "*.tokenizer")
_FILELESS_TOKENIZERS = ("ByT5Tokenizer", "CanineTokenizer")
# Config files hashed by content: a changed generation setting changes the output.
_HASHED_CONFIGS = ("config.json", "generation_config.json")
# A .txt larger than this is not a tokenizer file (merges.txt of big BPE models is ~5 MB).
_SMALL_TXT = 20_000_000
_SIZE_UNITS = ("KB", "MB", "GB", "TB", "PB")


@dataclass(frozen=True)
class ModelInfo:
    """One model briefer may use, and what the local disk holds of it."""

    task: str
    name: str
    cached: bool
    size: int | None
    revision: str | None
    path: str | None


def cache_dir() -> Path:
    """Return the Hugging Face hub cache folder named by the environment as it is now."""
    # huggingface_hub.constants freezes these at import; reading them per call lets a
    # changed HF_HOME (tests, embedding apps) take effect. Same precedence as huggingface_hub.
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return _expand(os.environ[variable])
    home = os.environ.get("HF_HOME")
    if not home:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        home = os.path.join(xdg, "huggingface")
    return _expand(home) / "hub"


def _expand(value: str) -> Path:
    """Expand ~ and $VARS in a path taken from the environment."""
    return Path(os.path.expandvars(os.path.expanduser(value)))


def _local_path(name: str) -> Path | None:
    """Return the folder a model name points at when it is a path, or None for a hub id."""
    # Same rule as models.from_pretrained, so hub.py and loading agree on what a name means.
    path = Path(name).expanduser()
    if path.exists() or name.startswith((".", "/", "~")):
        return path
    return None


def is_local(name: str) -> bool:
    """Return whether a model name is a path on this machine rather than a hub id."""
    return _local_path(name) is not None


def _repo_folder(name: str) -> Path:
    """Return the cache folder of a hub model id (it may not exist)."""
    # The documented on-disk layout (huggingface_hub's repo_folder_name): models--org--name.
    return cache_dir() / "--".join(["models", *name.split("/")])


def local_snapshot(name: str) -> Path | None:
    """Return the cached snapshot folder of a hub id (or the folder of a local path), else None."""
    if not name.strip():
        return None
    local = _local_path(name)
    if local is not None:
        return local if local.is_dir() else None
    repo = _repo_folder(name)
    try:
        # transformers resolves the default revision through refs/main; follow the same link.
        commit = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not commit or "/" in commit or commit.startswith("."):
        return None
    snapshot = repo / "snapshots" / commit
    return snapshot if snapshot.is_dir() else None


def _matches(filename: str, patterns: Sequence[str]) -> bool:
    """Return whether a file name matches one of the glob patterns."""
    return any(fnmatch.fnmatchcase(filename, pattern) for pattern in patterns)


def _top_files(folder: Path) -> set[str]:
    """Return the names of the regular files (symlinks followed) directly inside a folder."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return set()
    # is_file() follows symlinks, so a snapshot link whose blob was deleted counts as missing.
    return {entry.name for entry in entries if entry.is_file()}


def _weights_present(folder: Path, files: set[str]) -> bool:
    """Return whether a folder holds complete PyTorch weights, sharded or not."""
    if {"model.safetensors", "pytorch_model.bin"} & files:
        return True
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if index not in files:
            continue
        try:
            weight_map = json.loads((folder / index).read_text(encoding="utf-8"))["weight_map"]
            shards = set(weight_map.values())
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            continue
        # An interrupted download leaves an index whose shards are not all there.
        if shards and shards <= files:
            return True
    return False


def _tokenizer_present(files: set[str]) -> bool:
    """Return whether a folder holds enough files to build a tokenizer."""
    if "tokenizer.json" in files:
        return True
    vocab = {name for name in files if _matches(name, _VOCAB_PATTERNS)}
    if not vocab:
        return False
    # A byte-level BPE vocabulary (BART, GPT-2) is useless without its merges.
    if vocab == {"vocab.json"}:
        return "merges.txt" in files
    return True


def has_tokenizer(folder: Path) -> bool:
    """Return whether a model folder holds a tokenizer's vocabulary, not only its
    tokenizer_config.json (which transformers loads as a 5-token tokenizer: every article
    became "<s></s>", and the run ended with exit 0 and a brief of nothing)."""
    if _tokenizer_present(_top_files(folder)):
        return True
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("tokenizer_class") in _FILELESS_TOKENIZERS


def _complete(folder: Path) -> bool:
    """Return whether a folder holds everything transformers needs: config, tokenizer, weights."""
    files = _top_files(folder)
    return "config.json" in files and _tokenizer_present(files) and _weights_present(folder, files)


def _folder_size(folder: Path) -> int:
    """Return the bytes on disk of a folder's files, following symlinks and counting each once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _dirs, names in os.walk(folder):
        for filename in names:
            try:
                # stat() follows the snapshot's symlinks to the blobs, where the bytes are.
                stat = os.stat(os.path.join(root, filename))
            except OSError:
                continue
            key = (stat.st_dev, stat.st_ino)
            if key not in seen:
                seen.add(key)
                total += stat.st_size
    return total


def _folder_fingerprint(folder: Path) -> str:
    """Return a short sha256 over a local model folder's configs and its weight/tokenizer files."""
    digest = hashlib.sha256()
    for filename in _HASHED_CONFIGS:
        digest.update(filename.encode() + b"\0")
        try:
            digest.update((folder / filename).read_bytes())
        except OSError:
            # Absent and empty must differ, or deleting generation_config.json would go unseen.
            digest.update(b"\0absent")
        digest.update(b"\0")
    for filename in sorted(_top_files(folder)):
        if filename in _HASHED_CONFIGS:
            continue
        if not _matches(filename, _WEIGHT_PATTERNS + _TOKENIZER_PATTERNS):
            continue
        try:
            stat = (folder / filename).stat()
        except OSError:
            continue
        # Hashing gigabytes of weights per run is too slow; size and mtime change on any rewrite.
        digest.update(f"{filename}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def _revision_of(name: str, folder: Path) -> str:
    """Return the revision of a complete model folder found for a name."""
    if _local_path(name) is not None:
        return _folder_fingerprint(folder)
    return folder.name


def revision(name: str) -> str | None:
    """Return a stable id of a cached model's exact weights (commit or folder hash), else None."""
    folder = local_snapshot(name)
    if folder is None or not _complete(folder):
        return None
    return _revision_of(name, folder)


def describe(task: str, name: str) -> ModelInfo:
    """Return what the local disk holds of a model, without network and without loading it."""
    folder = local_snapshot(name)
    if folder is None or not _complete(folder):
        return ModelInfo(task=task, name=name, cached=False, size=None, revision=None, path=None)
    return ModelInfo(
        task=task,
        name=name,
        cached=True,
        size=_folder_size(folder),
        revision=_revision_of(name, folder),
        path=str(folder),
    )


def _select_files(name: str, files: Sequence[tuple[str, int | None]]) -> list[str]:
    """Return the repo files transformers needs: configs, tokenizer and one format of weights."""
    # Only the repo root: subfolders hold ONNX exports, originals or other frameworks.
    top = {path: size for path, size in files if "/" not in path}
    safetensors = sorted(path for path in top if path.endswith(".safetensors"))
    bins = sorted(
        path for path in top if path.startswith("pytorch_model") and path.endswith(".bin")
    )
    if "model.safetensors" in safetensors:
        weights, index = ["model.safetensors"], "model.safetensors.index.json"
    elif safetensors:
        weights, index = safetensors, "model.safetensors.index.json"
    elif "pytorch_model.bin" in bins:
        weights, index = ["pytorch_model.bin"], "pytorch_model.bin.index.json"
    elif bins:
        weights, index = bins, "pytorch_model.bin.index.json"
    else:
        raise ModelError(
            f"model {name!r} has no PyTorch weights on the Hub "
            "(neither *.safetensors nor pytorch_model.bin)"
        )
    chosen = set(weights)
    for path, size in top.items():
        if path.endswith(".index.json"):
            # The index of the format not downloaded would point transformers at missing shards.
            if path == index and len(weights) > 1:
                chosen.add(path)
            continue
        small_txt = path.endswith(".txt") and (size is None or size <= _SMALL_TXT)
        if path.endswith(".json") or _matches(path, _TOKENIZER_PATTERNS) or small_txt:
            chosen.add(path)
    return sorted(chosen)


@contextmanager
def _progress_bars(show: bool) -> Iterator[None]:
    """Show or hide huggingface_hub's progress bars for the duration of the block."""
    from huggingface_hub import constants
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    hidden = are_progress_bars_disabled()
    # HF_HUB_DISABLE_PROGRESS_BARS set by the user wins (changing state would only warn);
    # show != hidden means the bars are already as asked.
    if constants.HF_HUB_DISABLE_PROGRESS_BARS is not None or show != hidden:
        yield
        return
    if show:
        enable_progress_bars()
        try:
            yield
        finally:
            disable_progress_bars()
    else:
        with disable_progress_bars():
            yield


def _hub_detail(exc: Exception) -> str:
    """Return one line saying why a Hub call failed."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if isinstance(exc, GatedRepoError):
        return "it is gated: accept its terms on the Hub and log in with `hf auth login`"
    if isinstance(exc, RepositoryNotFoundError):
        return "no such model on the Hub (or it is private: log in with `hf auth login`)"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def pull(name: str, *, progress: bool = True) -> Path:
    """Fetch a model's config, tokenizer and PyTorch weights to the HF cache; return its folder."""
    local = _local_path(name)
    if local is not None:
        # A folder is already local: there is nothing to fetch.
        if local.is_dir():
            return local
        raise ModelError(f"model folder {name!r} does not exist or is not a folder")
    if offline() or not hub_reachable():  # the Hub asked once: a probe takes up to 3 s
        cached = local_snapshot(name)
        if cached is not None and _complete(cached):
            # Offline, a model already in the cache is what a pull would give: `models pull`
            # on an air-gapped machine with every default cached had failed at the first one.
            log.warning("%s is in the cache; the Hub is not asked for a newer one (offline)", name)
            return cached
        if offline():
            raise ModelError(
                f"cannot pull model {name!r}: HF_HUB_OFFLINE is set; "
                "unset it on a machine that can reach the Hugging Face Hub"
            )
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise ModelError(
            f"cannot pull model {name!r}: the Hugging Face Hub ({endpoint}) "
            "cannot be reached from this machine"
        )

    from huggingface_hub import HfApi, snapshot_download

    # Any failure below (HTTP, validation, disk) must reach the user as one line, not a traceback.
    try:
        info = HfApi().model_info(name, files_metadata=True, timeout=30)
        if info.siblings is not None:
            files = [(sibling.rfilename, sibling.size) for sibling in info.siblings]
        else:
            files = [(path, None) for path in HfApi().list_repo_files(name)]
    except Exception as exc:
        raise ModelError(f"cannot pull model {name!r}: {_hub_detail(exc)}") from exc
    allow = _select_files(name, files)
    try:
        with _progress_bars(progress):
            # No revision: downloading "main" is what writes refs/main, which offline loads read.
            folder = snapshot_download(name, cache_dir=str(cache_dir()), allow_patterns=allow)
    except Exception as exc:
        raise ModelError(f"cannot pull model {name!r}: {_hub_detail(exc)}") from exc
    return Path(folder)


def human_size(n: int | None) -> str:
    """Return a byte count for people: "512 B", "9.9 MB", "306 MB", "1.2 GB"; "—" for unknown."""
    if n is None:
        return "—"
    if n < 0:
        raise ValueError(f"a size cannot be negative: {n}")
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in _SIZE_UNITS:
        value /= 1000
        # One decimal below 10 keeps two significant digits; above, decimals are noise.
        text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(text) < 1000 or unit == _SIZE_UNITS[-1]:
            return f"{text} {unit}"
    raise AssertionError("unreachable")


# transformers' loading is not thread-safe: two threads of a library caller loading two
# models at once (a summarizer and a translator, torch backend) failed one load with
# "Cannot copy out of meta tensor; no data!", at times for the rest of the process, and two
# threads importing transformers first at once "cannot import name AutoModelForSeq2SeqLM".
# Every from_pretrained, and an engine's first import of transformers, holds this lock; the
# same model is loaded once anyway (engines.registry), so only two different loads wait.
LOADING = threading.RLock()


def from_pretrained(loader: Callable[..., Any], name: str, **kwargs: Any) -> Any:
    """Call a from_pretrained loader, cache first, turning every failure into one ModelError."""
    with LOADING:
        return _from_pretrained(loader, name, **kwargs)


def _from_pretrained(loader: Callable[..., Any], name: str, **kwargs: Any) -> Any:
    """from_pretrained, without the lock."""
    path = Path(name).expanduser()
    if path.exists() or name.startswith((".", "/", "~")):
        if not path.is_dir():
            raise ModelError(f"model folder {name!r} does not exist or is not a folder")
        return _call(loader, str(path), name, **kwargs)
    try:
        # The cache answers without the network, so a cached model never waits on the hub.
        return loader(name, local_files_only=True, **kwargs)
    except (OSError, ValueError):
        pass
    why = _unreachable(name)
    if why:
        raise ModelError(why)
    return _call(loader, name, name, **kwargs)


def unavailable(name: str) -> str | None:
    """Return why a model cannot load here, found without loading it: a folder that is not
    there, or a hub id not in the local cache with the hub out of reach; None when it may
    load (a model that then fails to load says why when it does)."""
    local = _local_path(name)
    if local is not None:
        return (
            None if local.is_dir() else f"model folder {name!r} does not exist or is not a folder"
        )
    return None if local_snapshot(name) is not None else _unreachable(name)


def _unreachable(name: str) -> str | None:
    """Return why a hub id not in the local cache cannot be fetched now, None if it can."""
    if offline():
        return f"model {name!r} is not in the local cache and HF_HUB_OFFLINE is set: {PULL_HINT}"
    if not hub_reachable():
        return (
            f"model {name!r} is not in the local cache and the Hugging Face Hub "
            f"cannot be reached: {PULL_HINT}"
        )
    return None


def _call(loader: Callable[..., Any], where: str, name: str, **kwargs: Any) -> Any:
    """Run a loader, turning its exceptions into a ModelError naming the model."""
    try:
        return loader(where, **kwargs)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken model folder fails in many ways
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Unrecognized configuration class" in str(exc):
            detail = "it is not a sequence-to-sequence (encoder-decoder) model"
        raise ModelError(f"cannot load model {name!r}: {detail}") from exc


def offline() -> bool:
    """Return whether the user told Hugging Face libraries not to touch the network."""
    value = os.environ.get("HF_HUB_OFFLINE", os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return value.strip().lower() in {"1", "true", "yes", "on"}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Return whether the Hugging Face endpoint answers a TCP connection within the timeout."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False
