"""Loading seq2seq models (once per process) and running generate() on them."""

from __future__ import annotations

import copy
import logging
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from .errors import ConversionError, ModelError

log = logging.getLogger("briefer")

PULL_HINT = (
    "fetch it on a connected machine (`briefer models pull`, or huggingface-cli download) "
    "or pass a local folder"
)


class Seq2Seq(Protocol):
    """A loaded sequence-to-sequence model that turns texts into texts."""

    name: str
    tokenizer: Any
    config: Any

    def generate(self, texts: Sequence[str], overrides: dict[str, Any] | None = None) -> list[str]:
        """Return one generated text per input text."""
        ...

    def generate_groups(
        self, groups: Sequence[tuple[Sequence[str], dict[str, Any] | None]]
    ) -> list[list[str]]:
        """Return the outputs of several groups of texts, each group with its own settings."""
        ...

    def settings(self, overrides: dict[str, Any] | None = None) -> Any:
        """Return the generation config in force once overrides are laid over the model's."""
        ...


class TorchSeq2Seq:
    """A transformers model and its tokenizer, generating in length-sorted batches."""

    def __init__(self, name: str, tokenizer: Any, model: Any, device: str, batch_size: int = 4):
        self.name = name
        self.tokenizer = tokenizer
        self.model = model
        self.config = model.config
        self.device = device
        self.batch_size = batch_size

    def settings(self, overrides: dict[str, Any] | None = None) -> Any:
        """Return the generation config in force once overrides are laid over the model's."""
        return merged_generation_config(self.model.generation_config, overrides or {})

    def generate_groups(
        self, groups: Sequence[tuple[Sequence[str], dict[str, Any] | None]]
    ) -> list[list[str]]:
        """Return the outputs of several groups of texts, each group with its own settings."""
        return [self.generate(texts, overrides) for texts, overrides in groups]

    def generate(self, texts: Sequence[str], overrides: dict[str, Any] | None = None) -> list[str]:
        """Return one generated text per input text, batching inputs of similar length."""
        import torch

        config = self.settings(overrides)
        results: list[str] = [""] * len(texts)
        # Sorting by length keeps padding, and so wasted compute, small inside a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                batch = order[at : at + self.batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in batch], return_tensors="pt", padding=True
                ).to(self.model.device)
                output = self.model.generate(**encoded, generation_config=config)
                decoded = self.tokenizer.batch_decode(output, skip_special_tokens=True)
                for i, text in zip(batch, decoded, strict=True):
                    results[i] = text.strip()
        return results


def merged_generation_config(base: Any, overrides: dict[str, Any]) -> Any:
    """Return a copy of a generation config with the user's overrides applied consistently."""
    config = copy.deepcopy(base)
    if not overrides:
        return config
    if "max_length" in overrides:
        # max_new_tokens would silently win over the user's --max-length.
        config.max_new_tokens = None
        if "min_length" not in overrides and (config.min_length or 0) > overrides["max_length"]:
            config.min_length = overrides["max_length"]
    if "num_beams" in overrides and overrides["num_beams"] == 1:
        config.early_stopping = False
    config.update(**overrides)
    return config


def resolve_device(device: str = "auto") -> str:
    """Return the torch device to run on: the one asked for, or the best one present."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("--device cuda was asked for, but torch sees no CUDA GPU")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ModelError("--device mps was asked for, but this machine has no MPS device")
    return device


_LOADED: dict[tuple[str, str, int, str], Seq2Seq] = {}


def load(name: str, device: str = "auto", batch_size: int = 4, backend: str = "auto") -> Seq2Seq:
    """Return the model named, loading it once per process and reusing it after."""
    key = (name, device, batch_size, backend)
    if key not in _LOADED:
        _LOADED[key] = _load(name, device, batch_size, backend)
    return _LOADED[key]


def _load(name: str, device: str, batch_size: int, backend: str) -> Seq2Seq:
    """Load a model on the backend asked for; auto prefers CTranslate2 where it applies."""
    if backend in {"auto", "ctranslate2"} and device != "mps":
        from . import ctranslate

        if ctranslate.available():
            try:
                return ctranslate.load(name, device, batch_size)
            except ConversionError as exc:
                log.warning("%s; running it with torch instead", exc)
        elif backend == "ctranslate2":
            log.warning("the ctranslate2 package is not installed; running %s with torch", name)
    return _load_torch(name, resolve_device(device), batch_size)


def _load_torch(name: str, device: str, batch_size: int) -> TorchSeq2Seq:
    """Load a tokenizer and seq2seq model from a local folder or the Hugging Face cache/hub."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    log.info("loading %s on %s", name, device)
    if not log.isEnabledFor(logging.INFO):
        from transformers.utils import logging as hf_logging

        # A progress bar per load is noise in a cron mail or a pipe.
        hf_logging.disable_progress_bar()
    tokenizer = from_pretrained(AutoTokenizer.from_pretrained, name)
    dtype = torch.float32
    if device == "cuda":
        config = from_pretrained(_auto_config, name)
        # T5 overflows in fp16; bf16 keeps its range.
        dtype = torch.bfloat16 if config.model_type in {"t5", "mt5", "umt5"} else torch.float16
    model = from_pretrained(AutoModelForSeq2SeqLM.from_pretrained, name, dtype=dtype)
    model.to(device)
    model.eval()
    return TorchSeq2Seq(name, tokenizer, model, device, batch_size)


def _auto_config(name: str, **kwargs: Any) -> Any:
    """Load a model's config alone."""
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(name, **kwargs)


def from_pretrained(loader: Callable[..., Any], name: str, **kwargs: Any) -> Any:
    """Call a from_pretrained loader, cache first, turning every failure into one ModelError."""
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
    if _offline():
        raise ModelError(
            f"model {name!r} is not in the local cache and HF_HUB_OFFLINE is set: {PULL_HINT}"
        )
    if not hub_reachable():
        raise ModelError(
            f"model {name!r} is not in the local cache and the Hugging Face Hub "
            f"cannot be reached: {PULL_HINT}"
        )
    return _call(loader, name, name, **kwargs)


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


def _offline() -> bool:
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
