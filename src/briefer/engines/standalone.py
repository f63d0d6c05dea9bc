"""What a converted model needs to run without transformers, stored beside it at conversion.

Importing transformers and its Auto classes costs ~2.8 s of every briefer process (measured on
2 vCPUs); ctranslate2 + tokenizers + sentencepiece import in ~0.1 s. So, beside a converted
model, briefer stores:

- the tokenizer, in a form that loads without transformers: for fast tokenizers (BART, T5,
  PEGASUS, NLLB, mBART-50) the ``tokenizers`` object transformers itself calls, as
  ``briefer-tokenizer.json``; for Marian and M2M100 (Python tokenizers over SentencePiece) their
  SentencePiece model (``briefer.spm``) and a spec of their vocabulary, special and language
  tokens (``briefer-tokenizer.json``, read by ``pieces``);
- ``briefer.json``: the resolved GenerationSettings (the model's own and the summarization
  task's), the task prefix, the input and output limits, the language targets, and which
  briefer wrote it.

It is stored only when the copy gives transformers' ids, tokens and decoded text on a check
corpus (and offsets, for fast tokenizers); otherwise nothing is stored and the model keeps the
transformers path. Never different ids.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..languages import Target
from . import pieces
from .base import GenerationSettings
from .pieces import Encoding, clean_up

log = logging.getLogger("briefer")

FACTS_FILE = "briefer.json"
TOKENIZER_FILE = "briefer-tokenizer.json"
SPM_FILE = "briefer.spm"
# Bumped whenever what is stored, or how it is read, changes: an older store is then ignored
# (the transformers path runs once and writes it again).
FORMAT = 3

# Texts the stored tokenizer must treat exactly as transformers does before it is trusted:
# accents, quotes, numbers, apostrophes (the clean-up rules), spaces and line breaks, and the
# special and language tokens written in the text.
CHECK_TEXTS = (
    "The mayor said on Tuesday that the bridge, closed since 2019, will reopen.",
    "  Héllo   wörld!  Ça va? Don't, can't, I'm, we've, they're, it's .",
    "Prices rose 3.5% — “quoted” (sic) ... ok?\nNew line\tand tab",
    "<s> </s> <pad> <unk> <n> <mask> >>fra<< __fr__ fra_Latn fr_XX",
    ">>fra<< The mayor said </s>>>ara<<x",
    "東京 Москва القاهرة",
    "",
)


class StoredTokenizer:
    """The part of a Hugging Face fast tokenizer briefer calls, over the tokenizers object it wraps."""

    is_fast = True

    def __init__(self, backend: Any, cleanup: bool, model_max_length: int, unk_id: int | None):
        # transformers sets truncation and padding per call; briefer calls with neither.
        backend.no_truncation()
        backend.no_padding()
        self.backend = backend
        self.cleanup = cleanup
        self.model_max_length = model_max_length
        self.unk_id = unk_id

    def __call__(
        self,
        text: str | Sequence[str],
        add_special_tokens: bool = True,
        truncation: bool = False,
        verbose: bool = True,
        return_offsets_mapping: bool = False,
    ) -> Encoding:
        """Encode a text or a list of texts, as transformers' tokenizer(text) does (never truncating)."""
        del truncation, verbose  # briefer sizes every input itself
        batch = not isinstance(text, str)
        texts = list(text) if batch else [text]
        encodings = self.backend.encode_batch(texts, add_special_tokens=add_special_tokens)
        ids = [list(encoding.ids) for encoding in encodings]
        result = Encoding(input_ids=ids if batch else ids[0])
        if return_offsets_mapping:
            offsets = [list(encoding.offsets) for encoding in encodings]
            result["offset_mapping"] = offsets if batch else offsets[0]
        return result

    def __len__(self) -> int:
        """Return the vocabulary size, added tokens included."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        """Return the tokens of ids."""
        return [self.backend.id_to_token(int(i)) for i in ids]

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> Any:
        """Return the id of a token (or ids of tokens); an unknown one is the unknown token's."""
        if isinstance(tokens, str):
            found = self.backend.token_to_id(tokens)
            return self.unk_id if found is None else found
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        """Return the text of ids, as transformers' fast tokenizers decode it."""
        text = self.backend.decode(list(ids), skip_special_tokens=skip_special_tokens)
        return clean_up(text) if self.cleanup else text

    def batch_decode(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = False):
        """Return the text of each id sequence."""
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def get_vocab(self) -> dict[str, int]:
        """Return every token and its id, added tokens included."""
        return self.backend.get_vocab(with_added_tokens=True)


def _cleanup_flag(tokenizer: Any) -> bool:
    """Return whether transformers' decode() cleans up spaces for this tokenizer (never for BPE)."""
    if not getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return False
    bpe = type(tokenizer.backend_tokenizer.model).__name__ == "BPE"
    forced = getattr(
        tokenizer, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", False
    )
    return not bpe or bool(forced)


def same(reference: Any, stored: Any, texts: Sequence[str]) -> bool:
    """Return whether two tokenizers give the same ids, tokens and decoded text (and offsets) for texts."""
    for text in texts:
        for special in (True, False):
            a = reference(text, add_special_tokens=special, verbose=False)["input_ids"]
            b = stored(text, add_special_tokens=special)["input_ids"]
            if list(a) != list(b):
                return False
            if reference.convert_ids_to_tokens(a) != stored.convert_ids_to_tokens(b):
                return False
        if getattr(reference, "is_fast", False):
            offsets = reference(text, add_special_tokens=False, return_offsets_mapping=True)
            mine = stored(text, add_special_tokens=False, return_offsets_mapping=True)
            if [tuple(o) for o in offsets["offset_mapping"]] != [
                tuple(o) for o in mine["offset_mapping"]
            ]:
                return False
        full = list(reference(text, verbose=False)["input_ids"])
        for skip in (True, False):
            if reference.decode(full, skip_special_tokens=skip) != stored.decode(full, skip):
                return False
    return True


def settings_json(settings: GenerationSettings) -> dict[str, Any]:
    """Return GenerationSettings as JSON values, with where each came from."""
    values = settings.values()
    if values.pop("target") is not None:
        raise ValueError("a model's own settings carry no translation target")
    return {"values": values, "origins": dict(settings.origins)}


def settings_from_json(data: dict[str, Any]) -> GenerationSettings:
    """Return the GenerationSettings settings_json wrote (lists back to tuples)."""
    values = dict(data["values"])
    if values.get("bad_words_ids") is not None:
        values["bad_words_ids"] = tuple(
            tuple(int(i) for i in ids) for ids in values["bad_words_ids"]
        )
    if isinstance(values.get("eos_token_id"), list):
        values["eos_token_id"] = tuple(int(i) for i in values["eos_token_id"])
    return GenerationSettings(**values, origins=dict(data["origins"]))


@dataclass
class Stored:
    """What a converted model folder keeps for running without transformers."""

    tokenizer: Any  # StoredTokenizer or pieces.PieceTokenizer
    input_limit: int
    output_limit: int | None
    targets: dict[str, Target] | None
    settings: GenerationSettings
    summary_settings: GenerationSettings
    task_prefix: str
    model_type: str


def _version() -> str:
    """Return the running briefer's version (a store from another version is not trusted)."""
    # The root package is this module's parent, imported already. Looked up by name, since
    # `from .. import` reads to import-linter as importing everything the root imports lazily;
    # importlib.metadata.version() would cost ~0.3 s of a hot run.
    return importlib.import_module("briefer").__version__


def write(model: Any, folder: Path) -> bool:
    """Store beside a converted model what runs it without transformers; return whether it was stored.

    model is the HFModel whose tokenizer (transformers', set to read English) is copied.
    """
    tokenizer = model.tokenizer
    files: dict[str, bytes] = {}
    try:
        if getattr(tokenizer, "is_fast", False) and hasattr(tokenizer, "backend_tokenizer"):
            from tokenizers import Tokenizer

            text = tokenizer.backend_tokenizer.to_str()
            about = {
                "kind": "tokenizers",
                "cleanup": _cleanup_flag(tokenizer),
                "model_max_length": int(getattr(tokenizer, "model_max_length", 0) or 0),
                "unk_id": tokenizer.unk_token_id,
            }
            stored = StoredTokenizer(
                Tokenizer.from_str(text),
                about["cleanup"],
                about["model_max_length"],
                about["unk_id"],
            )
            files[TOKENIZER_FILE] = text.encode("utf-8")
        elif pieces.family(tokenizer) is not None:
            spec, spm_model = pieces.spec_of(tokenizer)
            text = json.dumps(spec, ensure_ascii=False)
            # Checked as read back: from the very JSON stored.
            stored = pieces.PieceTokenizer(json.loads(text), spm_model)
            about = {"kind": "pieces"}
            files[SPM_FILE] = spm_model
            files[TOKENIZER_FILE] = text.encode("utf-8")
        else:
            log.debug("%s: %s cannot be stored; it keeps transformers", model.name, tokenizer)
            return False
        exact = same(tokenizer, stored, CHECK_TEXTS)
        facts = {
            "format": FORMAT,
            "briefer": _version(),
            "tokenizer": about,
            "input_limit": model.input_limit(),
            "output_limit": model.output_limit(),
            "targets": _targets_json(model.targets()),
            "settings": settings_json(model.settings),
            "summary_settings": settings_json(model.summary_settings),
            "task_prefix": model.task_prefix,
            "model_type": model.facts.model_type,
        }
        # What is read back must be what was resolved: settings included.
        exact = exact and (
            settings_from_json(facts["settings"]) == model.settings
            and settings_from_json(facts["summary_settings"]) == model.summary_settings
        )
    except Exception as exc:  # noqa: BLE001 - any failure means: keep the transformers path
        log.debug("%s: tokenizer not stored: %s", model.name, exc)
        return False
    if not exact:
        log.debug("%s: the stored copy differs from transformers'; not stored", model.name)
        return False
    try:
        # The tokenizer first, then the facts that point to it, each by an atomic rename:
        # a reader finds no facts file, or a complete set.
        for name, data in files.items():
            _write_atomic(folder / name, data)
        _write_atomic(folder / FACTS_FILE, json.dumps(facts, ensure_ascii=False, indent=1).encode())
    except OSError as exc:
        log.debug("%s: could not store the tokenizer: %s", model.name, exc)
        return False
    return True


def _targets_json(targets: dict[str, Target] | None) -> dict[str, list[str]] | None:
    """Return language targets as JSON lists."""
    if targets is None:
        return None
    return {lang: [t.lang, t.token, t.how, t.family] for lang, t in targets.items()}


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file by renaming a finished temporary one over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(folder: Path) -> Stored | None:
    """Return what a converted model folder stores for the hot path, or None (then transformers runs)."""
    path = folder / FACTS_FILE
    if not path.is_file():
        return None
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
        if facts.get("format") != FORMAT or facts.get("briefer") != _version():
            return None
        about = facts["tokenizer"]
        if about["kind"] == "tokenizers":
            from tokenizers import Tokenizer

            tokenizer: Any = StoredTokenizer(
                Tokenizer.from_file(str(folder / TOKENIZER_FILE)),
                bool(about["cleanup"]),
                int(about["model_max_length"]),
                about.get("unk_id"),
            )
        elif about["kind"] == "pieces":
            spec = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
            tokenizer = pieces.PieceTokenizer(spec, (folder / SPM_FILE).read_bytes())
        else:
            return None
        targets = facts.get("targets")
        return Stored(
            tokenizer=tokenizer,
            input_limit=int(facts["input_limit"]),
            output_limit=facts.get("output_limit"),
            targets=None if targets is None else {k: Target(*t) for k, t in targets.items()},
            settings=settings_from_json(facts["settings"]),
            summary_settings=settings_from_json(facts["summary_settings"]),
            task_prefix=str(facts["task_prefix"]),
            model_type=str(facts["model_type"]),
        )
    except Exception as exc:  # noqa: BLE001 - any unreadable store means: use transformers
        log.debug("%s: stored tokenizer unreadable (%s); using transformers", folder, exc)
        return None
