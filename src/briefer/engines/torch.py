"""The torch engine: transformers' generate() on the model's own weights, in length-sorted batches."""

from __future__ import annotations

import logging
from typing import Any

from .. import hub
from ..errors import ModelError
from .base import GenerationSettings, Groups
from .hf import HFDelegate, HFModel
from .usage import Progress, Usage

log = logging.getLogger("briefer")

NAME = "torch"
# T5 overflows in float16; bfloat16 keeps float32's range.
T5_FAMILY = frozenset({"t5", "mt5", "umt5"})


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


def generation_kwargs(model: HFModel, settings: GenerationSettings) -> dict[str, Any]:
    """Return GenerationSettings as transformers GenerationConfig keywords."""
    values = settings.values()
    values.pop("target")
    values["forced_bos_token_id"] = model.forced_bos(settings)
    if isinstance(values["eos_token_id"], tuple):
        values["eos_token_id"] = list(values["eos_token_id"])
    if values["bad_words_ids"] is not None:
        values["bad_words_ids"] = [list(ids) for ids in values["bad_words_ids"]]
    return values


class TorchEngine(HFDelegate):
    """A transformers model and its tokenizer behind briefer's Engine interface."""

    backend = NAME
    _progress: Progress | None = None  # the generate() call under way, for -v

    def __init__(self, model: HFModel, network: Any, device: str, batch_size: int = 4):
        from transformers import GenerationConfig

        self.model = model
        self.name = model.name
        self.revision = model.revision
        self.settings = model.settings
        self.summary_settings = model.summary_settings
        self.task_prefix = model.task_prefix
        self.network = network
        self.device = device
        self.batch_size = batch_size
        # generate() fills whatever a call leaves unset (None) from the model's own generation
        # config. The settings passed are already the model's, resolved: None there means
        # "none" (no forced EOS), so leave nothing of the model's to fill it with.
        network.generation_config = GenerationConfig()
        # Tokens in, decoder steps out, per sequence, summed: the benchmark's FLOP count.
        self.usage = Usage()

    def generate(self, groups: Groups) -> list[list[str]]:
        """Return the outputs of each group of texts, generated with the group's settings."""
        # Read by _generate after each batch (its signature stays (texts, settings): tests spy
        # on it).
        self._progress = Progress(self.name, sum(len(texts) for texts, _ in groups))
        try:
            outputs = [self._generate(list(texts), settings) for texts, settings in groups]
        finally:
            self._progress = None
        self.usage.calls += any(texts for texts, _ in groups)
        return outputs

    def _generate(self, texts: list[str], settings: GenerationSettings) -> list[str]:
        """Return one generated text per input text, batching inputs of similar length."""
        import torch
        from transformers import GenerationConfig

        config = GenerationConfig(**generation_kwargs(self.model, settings))
        inputs = self.model.inputs(texts, settings)
        tokenizer = self.model.tokenizer
        results: list[str] = [""] * len(texts)
        # Sorting by length keeps padding, and so wasted compute, small inside a batch.
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]), reverse=True)
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                batch = order[at : at + self.batch_size]
                with self.model.tokenizing:
                    encoded = tokenizer(
                        [inputs[i] for i in batch], return_tensors="pt", padding=True
                    ).to(self.network.device)
                output = self.network.generate(**encoded, generation_config=config)
                self._count(encoded["attention_mask"], output, config)
                with self.model.tokenizing:
                    decoded = tokenizer.batch_decode(output, skip_special_tokens=True)
                for i, text in zip(batch, decoded, strict=True):
                    results[i] = self.model.clean(text)
                progress = self._progress  # read once: another thread's call may end meanwhile
                if progress:
                    progress.advance(len(batch))
        return results

    def _count(self, attention_mask: Any, output: Any, config: Any) -> None:
        """Count each sequence of a batch in self.usage: real input tokens, decoder steps, beams."""
        eos = config.eos_token_id
        ends = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        for length, row in zip(attention_mask.sum(dim=1).tolist(), output.tolist(), strict=True):
            generated = row[1:]  # the decoder start token is given, not generated
            # Rows end with padding after their end token; the end token took a step.
            steps = next((i + 1 for i, t in enumerate(generated) if t in ends), len(generated))
            self.usage.add(int(length), steps, int(config.num_beams or 1))


def load(name: str, device: str = "auto", batch_size: int = 4) -> TorchEngine:
    """Load a model's tokenizer and weights for torch; raise ModelError if it cannot."""
    # Found, and downloaded if need be, before the lock: a download of minutes must not hold
    # up another thread's load of a model already on disk.
    model = HFModel(name)
    with hub.LOADING:  # transformers' imports and loads are not thread-safe
        return _load(model, device, batch_size)


def _load(model: HFModel, device: str, batch_size: int) -> TorchEngine:
    """load(), under hub.LOADING."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    name = model.name
    device = resolve_device(device)
    log.info("loading %s on %s with torch", name, device)
    if not log.isEnabledFor(logging.INFO):
        from transformers.utils import logging as hf_logging

        # A progress bar per load is noise in a cron mail or a pipe.
        hf_logging.disable_progress_bar()
    model.tokenizer  # noqa: B018 - load it now, so a broken tokenizer fails here
    dtype = torch.float32
    if device == "cuda":
        dtype = torch.bfloat16 if model.facts.model_type in T5_FAMILY else torch.float16
    network = hub.from_pretrained(
        AutoModelForSeq2SeqLM.from_pretrained, str(model.folder), dtype=dtype
    )
    network.to(device)
    network.eval()
    return TorchEngine(model, network, device, batch_size)
