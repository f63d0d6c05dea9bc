"""The Hugging Face side every built-in engine shares: tokenizer, limits, targets, decoding.

Both built-in engines tokenize with the model's own Hugging Face tokenizer and read the same
ModelFacts; they differ only in what runs the network. Keeping this in one place is what keeps
their inputs, settings and outputs the same.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import hub
from ..chunking import TokenCounter, hf_counter, model_input_limit
from ..errors import ModelError
from ..languages import ENGLISH, FORCED_BOS, SOURCE_PREFIX, Target, target_from_name, targets_in
from .base import GenerationSettings
from .settings import ModelFacts, facts

# PEGASUS writes a line break as the ordinary piece "<n>"; it must never reach a brief.
_NEWLINE_PIECE = re.compile(r"[ \t]*<n>[ \t]*")


class HFModel:
    """A model folder's tokenizer and facts, shared by the engines that run it."""

    def __init__(self, name: str, folder: Path | None = None):
        self.name = name
        self.folder = folder or _folder(name)
        if self.folder.is_dir() and not hub.has_tokenizer(self.folder):
            # transformers failed with "expected str, bytes or os.PathLike object, not
            # NoneType" on a folder of config.json and weights, and built a 5-token tokenizer
            # from a tokenizer_config.json alone (an interrupted download, a copy of *.json
            # and *.safetensors only).
            raise ModelError(
                f"cannot load model {name!r}: its folder has no tokenizer vocabulary "
                "(tokenizer.json, vocab.json with merges.txt, or a SentencePiece .model or "
                ".spm file)"
            )
        self.facts: ModelFacts = facts(self.folder)
        self.settings: GenerationSettings = self.facts.settings
        self.summary_settings: GenerationSettings = self.facts.summary_settings
        self.task_prefix = self.facts.task_prefix
        self.revision = hub.revision(name)
        # Held around every call of the tokenizer. A fast tokenizer keeps its padding and
        # truncation as state that each call sets: threads briefing through one warm Briefer
        # on torch failed with "Unable to create tensor ... padding=True" (44 of 48 briefs,
        # 4 threads), one thread's call having turned another's padding off.
        self.tokenizing = threading.RLock()

    @property
    def tokenizer(self) -> Any:
        """Return the model's tokenizer, loaded on first use, set to read English.

        Not a cached_property: on Python 3.11 that holds one lock for every model, and a thread
        holding it while waiting for hub.LOADING deadlocked one loading on torch under
        LOADING that asked for its own tokenizer. LOADING is taken first, and alone.
        """
        loaded = self.__dict__.get("_tokenizer")
        if loaded is None:
            with hub.LOADING:
                loaded = self.__dict__.get("_tokenizer")
                if loaded is None:
                    loaded = self.__dict__["_tokenizer"] = self._load_tokenizer()
        return loaded

    def _load_tokenizer(self) -> Any:
        """Load the tokenizer (under hub.LOADING)."""
        from transformers import AutoTokenizer

        tokenizer = hub.from_pretrained(AutoTokenizer.from_pretrained, str(self.folder))
        _read_english(tokenizer)
        return tokenizer

    def input_limit(self) -> int:
        """Return the most input tokens the model takes (its positions, or its tokenizer's cap)."""
        return model_input_limit(_Positions(self.facts.positions), self.tokenizer)

    def output_limit(self) -> int | None:
        """Return the decoder's learned positions, None for relative-position models (T5)."""
        return self.facts.positions

    def counter(self, template: str = "{text}") -> TokenCounter:
        """Return a counter of the tokens a text takes inside a template."""
        return hf_counter(self.tokenizer, template, self.tokenizing)

    def count(self, text: str) -> int:
        """Return the number of tokens of a text, special tokens left out."""
        tokenizer = self.tokenizer
        with self.tokenizing:
            return len(tokenizer(text, add_special_tokens=False, verbose=False).input_ids)

    @property
    def _targets(self) -> dict[str, Target] | None:
        """Return the targets the vocabulary selects; a one-pair Marian named en-xx has one.
        (Cached by hand, without cached_property's Python 3.11 lock: see tokenizer.)"""
        if "_found_targets" not in self.__dict__:
            self.__dict__["_found_targets"] = self._find_targets()
        return self.__dict__["_found_targets"]

    def _find_targets(self) -> dict[str, Target] | None:
        """Return the targets, found afresh."""
        found = targets_in(vocabulary(self.tokenizer))
        if found:
            return found
        lang = target_from_name(self.name)
        return {lang: Target(lang, "", SOURCE_PREFIX, "marian")} if lang else None

    def targets(self) -> dict[str, Target] | None:
        """Return the languages the model translates into, None when it does not say."""
        return self._targets

    def inputs(self, texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        """Return the texts as the model must see them: with a target's source token, if any."""
        target = settings.target
        if target is not None and target.how == SOURCE_PREFIX and target.token:
            return [f"{target.token} {text}" for text in texts]
        return list(texts)

    def forced_bos(self, settings: GenerationSettings) -> int | None:
        """Return the token id forced first: a target language's, else the settings' own."""
        target = settings.target
        if target is not None and target.how == FORCED_BOS:
            return int(self.tokenizer.convert_tokens_to_ids(target.token))
        return settings.forced_bos_token_id

    def clean(self, text: str) -> str:
        """Return decoded output as briefs show it: PEGASUS's <n> as a line break, ends trimmed."""
        return _NEWLINE_PIECE.sub("\n", text).strip()


class HFDelegate:
    """What an engine answers straight from its HFModel (limits, token counts, targets)."""

    model: HFModel

    def input_limit(self) -> int:
        """Return the most input tokens the model takes."""
        return self.model.input_limit()

    def output_limit(self) -> int | None:
        """Return the decoder's positions, None for no fixed limit."""
        return self.model.output_limit()

    def counter(self, template: str = "{text}") -> Any:
        """Return a token counter for a prompt template."""
        return self.model.counter(template)

    def count(self, text: str) -> int:
        """Return the number of tokens of a text, special tokens left out."""
        return self.model.count(text)

    def targets(self) -> Any:
        """Return the languages the model translates into."""
        return self.model.targets()


class _Positions:
    """Adapts ModelFacts' positions to what chunking.model_input_limit reads."""

    def __init__(self, positions: int | None):
        self.max_position_embeddings = positions


def _folder(name: str) -> Path:
    """Return the local folder of a model, fetching it the way a transformers load would."""
    folder = hub.local_snapshot(name)
    if folder is not None and (folder / "config.json").is_file():
        return folder
    if hub.is_local(name):
        raise ModelError(f"model folder {name!r} does not exist or has no config.json")
    if hub.offline():
        raise ModelError(
            f"model {name!r} is not in the local cache and HF_HUB_OFFLINE is set: {hub.PULL_HINT}"
        )
    if not hub.hub_reachable():
        raise ModelError(
            f"model {name!r} is not in the local cache and the Hugging Face Hub "
            f"cannot be reached: {hub.PULL_HINT}"
        )
    return hub.pull(name, progress=False)


def vocabulary(tokenizer: Any) -> set[str]:
    """Return every token a tokenizer knows, language codes kept outside its vocabulary included."""
    tokens = set(tokenizer.get_vocab())
    # M2M100's tokenizer maps __xx__ codes itself; they need not be in get_vocab().
    tokens.update(getattr(tokenizer, "lang_token_to_id", None) or {})
    return tokens


def _read_english(tokenizer: Any) -> None:
    """Tell a many-to-many tokenizer (M2M100, NLLB, mBART-50) that its input is English."""
    if not hasattr(tokenizer, "src_lang"):
        return
    english = targets_in(vocabulary(tokenizer)).get(ENGLISH)
    if english is None:
        return
    # M2M100's tokenizer takes the bare code (en) for its __en__ token; the others the token.
    code = english.token.strip("_") if english.family == "m2m100" else english.token
    if tokenizer.src_lang != code:
        tokenizer.src_lang = code
