"""Marian's and M2M100's tokenizers rebuilt over sentencepiece alone, as transformers 5 runs them.

transformers has no fast (Rust) tokenizer for Marian (opus-mt, briefer's default fr and ar
translators) or M2M100: both are Python classes over SentencePiece (``MarianTokenizer``,
``M2M100Tokenizer``, on ``PreTrainedTokenizer``). Their ids do not come from the SentencePiece
model but from a vocab.json beside it, with the special and language tokens split off first.
This module mirrors that code path step for step (transformers/tokenization_python.py and
models/{marian,m2m_100}/tokenization_*.py, read in transformers 5.24), from a spec taken off a
loaded transformers tokenizer, so that a converted model runs without importing transformers.
The tests compare the two with hypothesis (ids, tokens, special tokens, decoding).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# The families this module mirrors, by transformers' class name.
FAMILIES = {"MarianTokenizer": "marian", "M2M100Tokenizer": "m2m100"}
SPIECE_UNDERLINE = "▁"


class Encoding(dict):
    """A tokenizer call's result, read as encoding.input_ids or encoding["input_ids"]."""

    def __getattr__(self, name: str) -> Any:
        """Return a field as an attribute, as transformers' BatchEncoding does."""
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def family(tokenizer: Any) -> str | None:
    """Return marian or m2m100 for a transformers tokenizer this module can mirror, else None."""
    name = FAMILIES.get(type(tokenizer).__name__)
    if name is None or getattr(tokenizer, "sp_model_kwargs", None):
        # Sampling options (subword regularization) make encoding random: nothing to mirror.
        return None
    if name == "marian" and getattr(tokenizer, "separate_vocabs", False):
        # Separate source and target vocabularies: no opus-mt model briefer uses has them.
        return None
    return name


def spec_of(tokenizer: Any) -> tuple[dict[str, Any], bytes]:
    """Return a JSON-able spec of a Marian or M2M100 tokenizer and the SentencePiece model it runs.

    The tokenizer must be in input mode (as tokenizer(text) leaves it) with its source
    language set (hf._read_english does it for M2M100).
    """
    kind = family(tokenizer)
    if kind is None:
        raise ValueError(f"{type(tokenizer).__name__} is not a Marian or M2M100 tokenizer")
    added = tokenizer._added_tokens_decoder
    # token -> id: transformers tries its added tokens, then the family's own table
    # (M2M100: language tokens before vocab.json), else the unknown token's id.
    encoder = dict(tokenizer.encoder)
    decoder = {int(i): t for i, t in tokenizer.decoder.items()}
    if kind == "m2m100":
        encoder.update(tokenizer.lang_token_to_id)
        decoder.update({int(i): t for i, t in tokenizer.id_to_lang_token.items()})
        model = tokenizer.sp_model.serialized_model_proto()
    else:
        # With one shared vocabulary, Marian encodes and decodes with source.spm alone
        # (MarianTokenizer._decode: use_source_tokenizer defaults to not separate_vocabs).
        model = tokenizer.spm_source.serialized_model_proto()
    encoder.update(tokenizer._added_tokens_encoder)
    decoder.update({int(i): token.content for i, token in added.items()})
    sentinel = -7
    built = tokenizer.build_inputs_with_special_tokens([sentinel])
    at = built.index(sentinel)
    spec = {
        "family": kind,
        **_packed(encoder, decoder),
        "unk_token": str(tokenizer.unk_token),
        "unk_id": int(tokenizer.encoder[str(tokenizer.unk_token)]),
        "added": [
            [t.content, int(i), bool(t.lstrip), bool(t.rstrip), bool(t.single_word)]
            for i, t in sorted(added.items())
        ],
        "special_tokens": [str(t) for t in tokenizer.all_special_tokens],
        "special_ids": [int(i) for i in tokenizer.all_special_ids],
        "prefix": [int(i) for i in built[:at]],
        "suffix": [int(i) for i in built[at + 1 :]],
        "split_special_tokens": bool(tokenizer.split_special_tokens),
        "cleanup": bool(tokenizer.clean_up_tokenization_spaces),
        "model_max_length": int(getattr(tokenizer, "model_max_length", 0) or 0),
    }
    return spec, model


def _packed(encoder: dict[str, int], decoder: dict[int, str]) -> dict[str, Any]:
    """Return both tables as one token list by id, and where the encoder is not its inverse.

    Stored as token -> id and id -> token, opus-mt-en-fr's 59,514 words made a 2.6 MB JSON
    that took 0.12 s of every warm run to parse; as one list by id the file is 0.86 MB, read
    and expanded into both tables in 0.02 s (AMD EPYC, 2026-12-01). vocab.json maps ids
    densely, so the list has no gaps there; ``None`` fills any, and the two exception fields
    keep the tables exact. Raises ValueError for ids no list can hold (negative, or far past
    the tables' size), and if the tables would not come back equal: the model then keeps the
    transformers path.
    """
    if any(i < 0 for i in decoder) or max(decoder, default=0) > 4 * len(decoder) + 1024:
        raise ValueError("token ids are negative or too sparse to store as a list")
    size = max(decoder, default=-1) + 1
    vocab: list[str | None] = [None] * size
    for index, token in decoder.items():
        vocab[index] = token
    inverse = _inverse(vocab)
    packed = {
        "vocab": vocab,
        # token -> id pairs the list does not give (a token under two ids, an id-less token)
        "encoder_extra": {t: i for t, i in encoder.items() if inverse.get(t) != i},
        "encoder_missing": [t for t in inverse if t not in encoder],
    }
    if _tables(packed) != (encoder, decoder):
        raise ValueError("the packed vocabulary does not give the tables back")
    return packed


def _inverse(vocab: list[str | None]) -> dict[str, int]:
    """Return token -> id from a list by id (a token listed twice keeps its last id)."""
    return {token: index for index, token in enumerate(vocab) if token is not None}


def _tables(spec: dict[str, Any]) -> tuple[dict[str, int], dict[int, str]]:
    """Return (token -> id, id -> token) from what _packed made."""
    vocab: list[str | None] = spec["vocab"]
    encoder = _inverse(vocab)
    for token in spec["encoder_missing"]:
        del encoder[token]
    encoder.update(spec["encoder_extra"])
    return encoder, {i: t for i, t in enumerate(vocab) if t is not None}


class PieceTokenizer:
    """The part of MarianTokenizer / M2M100Tokenizer briefer calls, over sentencepiece only."""

    is_fast = False

    def __init__(self, spec: dict[str, Any], model: bytes):
        import sentencepiece

        self.family = spec["family"]
        self.encoder, self.decoder = _tables(spec)
        self.unk_token: str = spec["unk_token"]
        self.unk_id: int = int(spec["unk_id"])
        # content -> (lstrip, rstrip, single_word), as AddedToken holds them.
        self.added = {a[0]: (bool(a[2]), bool(a[3]), bool(a[4])) for a in spec["added"]}
        self.special_tokens = frozenset(spec["special_tokens"])
        self.special_ids = frozenset(int(i) for i in spec["special_ids"])
        self.prefix = [int(i) for i in spec["prefix"]]
        self.suffix = [int(i) for i in spec["suffix"]]
        self.split_special_tokens = bool(spec["split_special_tokens"])
        self.cleanup = bool(spec["cleanup"])
        self.model_max_length = int(spec["model_max_length"])
        self.spm = sentencepiece.SentencePieceProcessor(model_proto=model)
        # transformers' Trie matches the leftmost, then longest, added token; an alternation
        # longest first does the same for these token sets (none is inside another's prefix).
        tokens = sorted((t for t in self.added if t), key=len, reverse=True)
        self._added_pattern = re.compile("|".join(map(re.escape, tokens))) if tokens else None

    def __call__(
        self,
        text: str | Sequence[str],
        add_special_tokens: bool = True,
        truncation: bool = False,
        verbose: bool = True,
    ) -> Encoding:
        """Encode a text or a list of texts, as transformers' tokenizer(text) does (never truncating)."""
        del truncation, verbose  # briefer sizes every input itself
        if isinstance(text, str):
            return Encoding(input_ids=self._encode(text, add_special_tokens))
        return Encoding(input_ids=[self._encode(t, add_special_tokens) for t in text])

    def __len__(self) -> int:
        """Return the vocabulary size, added tokens included (len(tokenizer) in transformers)."""
        return len(self.get_vocab())

    def _encode(self, text: str, add_special_tokens: bool) -> list[int]:
        """Return the ids of one text (prepare_for_model without truncation)."""
        ids = self.convert_tokens_to_ids(self.tokenize(text))
        return self.prefix + ids + self.suffix if add_special_tokens else ids

    def tokenize(self, text: str) -> list[str]:
        """Return the tokens of a text: added tokens split off, the rest through SentencePiece."""
        if self.split_special_tokens:
            return self._tokenize(text)
        tokens = self._split(text)
        # PreTrainedTokenizer.tokenize: an added token's lstrip/rstrip/single_word trim or
        # merge its neighbours, in place, left to right.
        for i, token in enumerate(tokens):
            if token in self.added:
                lstrip, rstrip, single_word = self.added[token]
                left = tokens[i - 1] if i > 0 else None
                right = tokens[i + 1] if i < len(tokens) - 1 else None
                if rstrip and right:
                    tokens[i + 1] = right.lstrip()
                if lstrip and left:
                    tokens[i - 1] = left.rstrip()
                if single_word:
                    if left and left[-1] != " ":
                        tokens[i - 1] += token
                        tokens[i] = ""
                    elif right and right[0] != " ":
                        tokens[i + 1] = token + tokens[i + 1]
                        tokens[i] = ""
        result: list[str] = []
        for token in tokens:
            if not token:
                continue
            if token in self.added or token in self.special_tokens:
                result.append(token)
            else:
                result.extend(self._tokenize(token))
        return result

    def _split(self, text: str) -> list[str]:
        """Return text cut around its added tokens (transformers' Trie.split)."""
        if self._added_pattern is None:
            return [text] if text else []
        parts: list[str] = []
        start = 0
        for match in self._added_pattern.finditer(text):
            if match.start() > start:
                parts.append(text[start : match.start()])
            parts.append(match.group())
            start = match.end()
        if start < len(text):
            parts.append(text[start:])
        return parts

    def _tokenize(self, text: str) -> list[str]:
        """Return SentencePiece's pieces of a text; Marian first takes off a leading >>xxx<< code."""
        code: list[str] = []
        if self.family == "marian" and text.startswith(">>") and (end := text.find("<<")) != -1:
            # MarianTokenizer.remove_language_code
            code.append(text[: end + 2])
            text = text[end + 2 :]
        return code + self.spm.encode(text, out_type=str)

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> Any:
        """Return the id of a token (or ids of tokens); an unknown one is the unknown token's."""
        if isinstance(tokens, str):
            return self.encoder.get(tokens, self.unk_id)
        return [self.encoder.get(token, self.unk_id) for token in tokens]

    def convert_ids_to_tokens(
        self, ids: int | Sequence[int], skip_special_tokens: bool = False
    ) -> Any:
        """Return the tokens of ids."""
        if isinstance(ids, int):
            return self._token(ids)
        return [
            self._token(int(i))
            for i in ids
            if not (skip_special_tokens and int(i) in self.special_ids)
        ]

    def _token(self, index: int) -> str:
        """Return one id's token; Marian falls back to the SentencePiece piece of that id."""
        token = self.decoder.get(index)
        if token is not None:
            return token
        if self.family == "marian":
            piece = self.spm.IdToPiece(index)
            return piece if piece else self.unk_token
        return self.unk_token

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        """Return the text of ids, as transformers' decode() does for this family."""
        text = self.convert_tokens_to_string(
            self.convert_ids_to_tokens(list(ids), skip_special_tokens=skip_special_tokens)
        )
        return clean_up(text) if self.cleanup else text

    def batch_decode(self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = False):
        """Return the text of each id sequence."""
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def convert_tokens_to_string(self, tokens: Sequence[str]) -> str:
        """Join tokens into text: pieces through SentencePiece, special tokens written as they are."""
        pieces: list[str] = []
        out = ""
        # Marian writes a space after each special token and turns leftover ▁ into spaces.
        after = " " if self.family == "marian" else ""
        for token in tokens:
            if token in self.special_tokens:
                out += self.spm.decode(pieces) + token + after
                pieces = []
            else:
                pieces.append(token)
        out += self.spm.decode(pieces)
        if self.family == "marian":
            out = out.replace(SPIECE_UNDERLINE, " ")
        return out.strip()

    def get_vocab(self) -> dict[str, int]:
        """Return every token and its id (vocab.json, language tokens and added tokens)."""
        return dict(self.encoder)


def clean_up(text: str) -> str:
    """Remove the spaces transformers' clean_up_tokenization removes (before punctuation, contractions)."""
    for before, after in (
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ):
        text = text.replace(before, after)
    return text
