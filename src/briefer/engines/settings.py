"""Resolve a model folder's GenerationSettings once, exactly as transformers 5 does, from JSON alone.

transformers' loader (``GenerationMixin`` after ``from_pretrained``) reads
``generation_config.json``; when the folder has none, it re-reads ``config.json`` with
``GenerationConfig.from_pretrained(..., config_file_name="config.json", _from_model_config=True)``,
which keeps every generation key set there (``from_model_config``). Older hub repos such as
sshleifer/distilbart-cnn-12-6 keep their beams and lengths that way. Then the task's
``task_specific_params`` (T5's ``summarization`` block) lie over it, then the user's flags.
Reading the JSON here keeps ``config show`` free of a transformers import; a test checks the
result against transformers' own GenerationConfig.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .base import GenerationSettings

log = logging.getLogger("briefer")

GENERATION_FILE = "generation_config.json"
CONFIG_FILE = "config.json"
# Settings a config's task_specific_params["summarization"] may carry.
TASK_KEYS = (
    "max_length",
    "min_length",
    "num_beams",
    "no_repeat_ngram_size",
    "length_penalty",
    "early_stopping",
)
# Fields whose JSON lists become tuples (hashable, and equal however they were read).
_INT_FIELDS = {"num_beams", "max_length", "max_new_tokens", "min_length", "min_new_tokens"}
_NAMES = [f.name for f in fields(GenerationSettings) if f.name not in {"origins", "target"}]
# The decoder positions of each family's config; relative-position models (T5) have none.
_POSITION_KEYS = ("max_position_embeddings", "n_positions")
_SANE_MAX = 1_000_000


@dataclass(frozen=True)
class ModelFacts:
    """What a model folder's JSON says: its family, limits, task prompt and generation settings."""

    model_type: str
    positions: int | None  # the decoder's learned positions, None for relative positions
    task_prefix: str
    settings: GenerationSettings  # the model's own
    summary_settings: GenerationSettings  # with the summarization task's values laid over
    config: dict[str, Any]


def read_json(path: Path) -> dict[str, Any]:
    """Return a JSON object from a file, or raise ModelError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} does not hold a JSON object")
    return data


def generation_settings(folder: Path) -> GenerationSettings:
    """Return the model's own settings: generation_config.json, else config.json's generation keys."""
    path = folder / GENERATION_FILE
    if path.is_file():
        origin, data = GENERATION_FILE, read_json(path)
    else:
        origin, data = CONFIG_FILE, read_json(folder / CONFIG_FILE)
        if not any(key in data for key in _NAMES):
            # from_model_config also reads a decoder's sub-config (composite models).
            for sub in ("decoder", "generator", "text_config"):
                if isinstance(data.get(sub), dict):
                    data = {**data[sub], **{k: v for k, v in data.items() if v is not None}}
                    break
    values = {name: _coerce(name, data[name]) for name in _NAMES if data.get(name) is not None}
    return GenerationSettings().with_values(origin, **values) if values else GenerationSettings()


def _coerce(name: str, value: Any) -> Any:
    """Return a JSON value in the type GenerationSettings holds."""
    if name == "bad_words_ids":
        return tuple(tuple(int(i) for i in ids) for ids in value) or None
    if name == "eos_token_id" and isinstance(value, list):
        return tuple(int(i) for i in value) if len(value) != 1 else int(value[0])
    if name in {"length_penalty", "repetition_penalty"}:
        return float(value)
    if name in _INT_FIELDS or name.endswith("_token_id"):
        return int(value)
    return value


def task_params(config: dict[str, Any], task: str = "summarization") -> dict[str, Any]:
    """Return the config's task_specific_params for a task (T5 keeps its prefix and lengths there)."""
    params = (config.get("task_specific_params") or {}).get(task)
    return params if isinstance(params, dict) else {}


def facts(folder: Path, task: str = "summarization") -> ModelFacts:
    """Return what a model folder says about generating for a task."""
    config = read_json(folder / CONFIG_FILE)
    settings = generation_settings(folder)
    params = task_params(config, task)
    task_values = {k: _coerce(k, params[k]) for k in TASK_KEYS if params.get(k) is not None}
    # distilbart repeats its config.json values there: only a change is worth an origin.
    task_values = {k: v for k, v in task_values.items() if getattr(settings, k) != v}
    summary = settings.with_values(f"task_specific_params.{task}", **task_values)
    prefix = params.get("prefix") or config.get("prefix") or ""
    found = [
        config[key]
        for key in _POSITION_KEYS
        if isinstance(config.get(key), int) and 0 < config[key] < _SANE_MAX
    ]
    positions = min(found) if found else None
    return ModelFacts(
        model_type=str(config.get("model_type") or ""),
        positions=positions,
        task_prefix=str(prefix),
        settings=_within(settings, positions, folder),
        summary_settings=_within(summary, positions, folder),
        config=config,
    )


def _within(
    settings: GenerationSettings, positions: int | None, folder: Path
) -> GenerationSettings:
    """Return a model's own settings held to what it can run: lengths to its decoder's
    positions, beams to at least one. A generation_config.json with max_length 5000 on 256
    positions ended every run with "IndexError: index out of range in self" (torch) or "No
    position encodings" (CTranslate2), which --max-length could not mend, as chunk summaries
    use the model's own length; num_beams 0 with a ZeroDivisionError. Noted as the origin
    (config show) and said once a process."""
    changes: dict[str, int] = {}
    for name in ("max_length", "max_new_tokens"):
        value = getattr(settings, name)
        if positions is not None and value is not None and value > positions:
            changes[name] = positions
    if settings.num_beams is not None and settings.num_beams < 1:
        changes["num_beams"] = 1
    if not changes:
        return settings
    told = ", ".join(f"{k} {getattr(settings, k)} as {v}" for k, v in changes.items())
    if (folder, told) not in _TOLD:
        _TOLD.add((folder, told))
        log.warning("model %s: its settings are beyond what it can run: %s", folder, told)
    why = f"held to the model ({positions} positions)" if positions else "held to the model"
    return settings.with_values(why, **changes)


_TOLD: set[tuple[Path, str]] = set()


def describe(settings: GenerationSettings) -> list[tuple[str, Any, str]]:
    """Return (name, value, origin) for every setting, in field order, for `config show`."""
    return [
        (name, value, settings.origins.get(name, "default"))
        for name, value in settings.values().items()
        if name != "target"
    ]
