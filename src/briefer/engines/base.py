"""What every engine is: briefer's own generation settings and the Engine protocol.

No transformers object crosses this boundary: settings are plain values, token ids are ints,
language targets are tokens written as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

from ..chunking import TokenCounter
from ..errors import EngineUnavailable
from ..languages import Target

__all__ = ["DEFAULT_MAX_LENGTH", "Engine", "EngineUnavailable", "GenerationSettings", "Groups"]

# The lengths transformers uses when a model sets none.
DEFAULT_MAX_LENGTH = 20


@dataclass(frozen=True)
class GenerationSettings:
    """How to generate, in transformers' terms: max_length counts the decoder start token.

    ``origins`` says where each value came from (generation_config.json, config.json,
    task_specific_params, flag, default); it takes no part in equality.
    """

    num_beams: int = 1
    max_length: int | None = DEFAULT_MAX_LENGTH
    max_new_tokens: int | None = None
    min_length: int = 0
    min_new_tokens: int | None = None
    no_repeat_ngram_size: int = 0
    length_penalty: float = 1.0
    repetition_penalty: float = 1.0
    early_stopping: bool | str = False
    bos_token_id: int | None = None
    eos_token_id: int | tuple[int, ...] | None = None
    pad_token_id: int | None = None
    decoder_start_token_id: int | None = None
    forced_bos_token_id: int | None = None
    forced_eos_token_id: int | None = None
    bad_words_ids: tuple[tuple[int, ...], ...] | None = None
    # A translation target: its token goes before the source or is forced as the first output.
    target: Target | None = None
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def most_new_tokens(self) -> int:
        """Return the most tokens generation may produce after the decoder start."""
        if self.max_new_tokens:
            return int(self.max_new_tokens)
        return max(int(self.max_length or DEFAULT_MAX_LENGTH) - 1, 1)

    def least_new_tokens(self) -> int:
        """Return the fewest tokens generation must produce after the decoder start."""
        if self.min_new_tokens:
            return int(self.min_new_tokens)
        return max(int(self.min_length or 0) - 1, 0)

    def longest(self) -> int:
        """Return the longest output in transformers' count (the longest summary allowed)."""
        return int(self.max_new_tokens or self.max_length or DEFAULT_MAX_LENGTH)

    def with_values(self, origin: str | Mapping[str, str], **values: Any) -> GenerationSettings:
        """Return a copy with values laid over, noting their origin, kept consistent as generate() needs.

        origin: one for every value, or one per value (a flag's, a config file's); a value the
        others pull along (max_new_tokens cleared by a max_length) takes its cause's origin.
        """
        values = {k: v for k, v in values.items() if k in _FIELDS}
        if not values:
            return self
        settings = dict(values)
        cause = {k: k for k in values}
        if "max_length" in values and values["max_length"] is not None:
            # max_new_tokens would silently win over the user's --max-length. One the model never
            # set stays as it was, its origin too (config show said "(not set)  # c.toml").
            if "max_new_tokens" not in settings and self.max_new_tokens is not None:
                settings["max_new_tokens"], cause["max_new_tokens"] = None, "max_length"
            if "min_length" not in values and (self.min_length or 0) > values["max_length"]:
                settings["min_length"], cause["min_length"] = values["max_length"], "max_length"
        if values.get("num_beams") == 1 and "early_stopping" not in values and self.early_stopping:
            settings["early_stopping"], cause["early_stopping"] = False, "num_beams"
        where = {k: origin if isinstance(origin, str) else origin[cause[k]] for k in settings}
        return replace(self, **settings, origins={**self.origins, **where})

    def values(self) -> dict[str, Any]:
        """Return the settings as a plain dictionary (origins left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "origins"}

    def key(self) -> tuple:
        """Return a hashable form, for grouping texts that share settings."""
        return tuple(sorted(self.values().items(), key=lambda item: item[0]))


_FIELDS = frozenset(f.name for f in fields(GenerationSettings)) - {"origins"}

# Groups of texts, each with the settings to generate them with.
Groups = Sequence[tuple[Sequence[str], GenerationSettings]]


class Engine(Protocol):
    """A loaded sequence-to-sequence model, run by one backend."""

    backend: str  # the registry name: torch, ctranslate2, ...
    name: str  # the model: hub id or folder
    revision: str | None  # the model's exact weights, or None when unknown
    settings: GenerationSettings  # the model's own, resolved once from its folder
    summary_settings: GenerationSettings  # the same with the summarization task's values over it
    task_prefix: str  # text the model's config puts before a summarization input ("" for none)

    def input_limit(self) -> int:
        """Return the most input tokens the model takes."""
        ...

    def output_limit(self) -> int | None:
        """Return the most tokens the decoder can produce (its positions), None for no fixed limit."""
        ...

    def counter(self, template: str = "{text}") -> TokenCounter:
        """Return a counter of the tokens a text takes inside a prompt template."""
        ...

    def count(self, text: str) -> int:
        """Return the number of tokens of a text, special tokens left out."""
        ...

    def targets(self) -> dict[str, Target] | None:
        """Return the languages the model translates into (ISO 639-1), None when it does not say."""
        ...

    def generate(self, groups: Groups) -> list[list[str]]:
        """Return one output per input text, for each group of texts with its settings."""
        ...
