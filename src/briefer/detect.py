"""Which language an article is written in, told by py3langid (its model ships in its wheel).

Chosen over lingua-language-detector by benchmarks/language_detection.py, on 82 news headlines,
sentences and paragraphs in ten languages (2 shared vCPUs under load, so times are high):

| detector | right | headlines | English | installed | load | per call | whole article |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| py3langid 0.4 | 79/82 | 40/42 | 9/10 | 5 MB | 2.2 s | 0.16 ms | 11 ms |
| lingua 2.1, high accuracy | 80/82 | 40/42 | 8/10 | 100 MB | 41 s | 8.5 ms | 67 ms |
| lingua 2.1, low accuracy | 77/82 | 37/42 | 9/10 | 100 MB | 2.6 s | 1.1 ms | 103 ms |

Both get every paragraph right; briefer hands over the title and the start of the story, never
a headline alone. py3langid's load is decompressing its 68 MB model (0.7-0.85 s of CPU, ~100 MB
of memory): it runs in a background thread while the summarizer loads (`preload`), and the
result cache keeps each article's language, so a re-run loads no detector at all. The
decompressed model is kept in briefer's cache folder, like a converted model: reading it back
takes 0.2 s instead of 0.65 s (AMD EPYC, py3langid 0.4).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .languages import code_of

log = logging.getLogger("briefer")

# Detection reads at most this much of an article: paragraphs of 300 characters were already
# all right in the benchmark, and a bound keeps a huge or hostile input from costing more
# than ~10 ms (the per-call time grows with the text).
MAX_CHARS = 2000
# Below this probability the detector is guessing (short English headlines full of names came
# out as Indonesian at 0.23); such a text is taken as English, and a warning says so.
MIN_CONFIDENCE = 0.5
# What briefer reports when it cannot tell, as ISO 639-2 does.
UNKNOWN = "und"
# py3langid tells apart regional varieties that briefer's translators treat as one language:
# Moroccan and Egyptian Arabic go through opus-mt-ar-en like Modern Standard Arabic.
_VARIETIES = {"ary": "ar", "arz": "ar"}
# Languages py3langid tells apart from a larger relative, whose news they take when it is
# short and full of names: an English sports brief ("Rafael Nadal beat Casper Ruud 6-3, 6-3,
# 6-0 at Roland-Garros ...") came out Nigerian Pidgin at 0.62 (English 0.24) and was refused
# for want of a pcm→en translator, and a Spanish sentence Extremaduran at 0.52. Real Pidgin
# news scores 1.0. Below RELATIVE_SURE the relative's probability counts for the larger
# language; at or above it, the text is the relative's.
_RELATIVES = {
    "pcm": "en",  # Nigerian Pidgin, English-based
    "ext": "es",  # Extremaduran
    "an": "es",  # Aragonese
    "lij": "it",  # Ligurian
    "vec": "it",  # Venetian
    "wa": "fr",  # Walloon
    "gcf": "fr",  # Guadeloupean Creole, French-based
    "gcr": "fr",  # Guianese Creole, French-based
}
RELATIVE_SURE = 0.9
# "zxx" is the detector's "no linguistic content" (numbers, symbols).
_NO_LANGUAGE = {"zxx"}


@dataclass(frozen=True)
class Detection:
    """The language found for a text, and how sure the detector is of it."""

    lang: str  # ISO 639-1 where one exists ("fr"), else the detector's 3-letter code
    confidence: float  # the probability of that language, 0 to 1
    sure: bool  # False when the text gave too little to go on and English was assumed


_identifier: Any = None
_lock = threading.Lock()


def detector() -> str:
    """Return what names this detector's answers in the result cache: model and settings."""
    return f"py3langid {_version()}, {MAX_CHARS} chars, {MIN_CONFIDENCE}, relatives {RELATIVE_SURE}"


def _version() -> str:
    """Return py3langid's version: the imported package's own __version__ (importlib.metadata
    takes 17-45 ms to say the same), else its installed metadata."""
    module = sys.modules.get("py3langid")
    found = getattr(module, "__version__", None)
    if isinstance(found, str) and found:
        return found
    from importlib.metadata import version

    return version("py3langid")


def identifier(keep: Path | None = None) -> Any:
    """Return py3langid's identifier with probabilities on, loading its model on first use.

    ``keep``, a folder, holds the decompressed model between runs.
    """
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            arrays = _kept_model(keep) if keep is not None else None
            if arrays is None:
                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            else:
                ptc, pc, classes, nextmove, row, output = arrays
                _identifier = LanguageIdentifier(
                    ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row
                )
    return _identifier


def release() -> None:
    """Let go of the detector's model (77 MB resident); the next detect() loads it again."""
    global _identifier
    with _lock:
        _identifier = None


# The arrays of py3langid's model file (its modelio.save_model writes them into an npz).
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _kept_model(folder: Path) -> tuple | None:
    """Return the model's parts from the decompressed copy in folder, made on first use.

    None when the copy cannot be made or read (a read-only cache, a model of another layout):
    the caller then decompresses py3langid's own file, as without a cache.
    """
    from array import array

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = Path(MODEL_DIR) / MODEL_FILE
    try:
        kept = folder / f"py3langid-{_version()}-{source.stat().st_size}.npz"
        if not kept.is_file():
            _decompress(source, kept)
    except OSError as exc:  # a cache folder that cannot be written
        log.debug("language detector: cannot keep its model in %s (%s)", folder, exc)
        return None
    try:
        with np.load(kept, allow_pickle=False) as data:
            ptc, pc, classes, nextmove, row, output = (data[name] for name in _ARRAYS)
            # py3langid walks its automaton over stdlib arrays, not numpy ones.
            rows = [array(_TYPECODES[a.dtype.itemsize], a.tobytes()) for a in (nextmove, row)]
            return ptc, pc, classes.tolist(), rows[0], rows[1], output.tolist()
    except Exception as exc:  # noqa: BLE001 - any damage to the copy: np.load raises EOFError,
        # zipfile.BadZipFile, ValueError, KeyError... The copy goes; the next run makes it again.
        log.debug("language detector: kept model %s unreadable (%s); removed", kept, exc)
        kept.unlink(missing_ok=True)
        return None


# Unsigned stdlib array type codes by item size ("L" is 4 bytes on Windows, "Q" always 8).
_TYPECODES = {2: "H", 4: "I", 8: "Q"}


def _decompress(source: Path, target: Path) -> None:
    """Write the decompressed model file to target, whole or not at all."""
    import lzma
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".langid-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out, lzma.open(source) as compressed:
            shutil.copyfileobj(compressed, out, length=1 << 20)
            out.flush()
            os.fsync(out.fileno())  # a crash after the rename must not leave an empty file
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def preload(keep: Path | None = None) -> threading.Thread:
    """Start loading the detector's model in a background thread, and return that thread.

    Decompressing the model, and reading it back, release the GIL for most of their time, so
    the load overlaps with what the caller does next (loading the summarizer). ``keep`` as in
    identifier().
    """
    thread = threading.Thread(target=identifier, args=(keep,), name="briefer-langid", daemon=True)
    thread.start()
    return thread


def detect(text: str, keep: Path | None = None) -> Detection:
    """Return the language of a text, English when there is too little text to tell.

    ``keep`` as in identifier(): where the detector's decompressed model is kept.
    """
    sample = " ".join(text[:MAX_CHARS].split())
    if not sample:
        return Detection("en", 0.0, sure=False)
    scores: dict[str, float] = {}
    for code, probability in identifier(keep).rank(sample):
        code = _VARIETIES.get(code, code)
        scores[code] = scores.get(code, 0.0) + probability
    for code, larger in _RELATIVES.items():
        if scores.get(code, 1.0) < RELATIVE_SURE:
            scores[larger] = scores.get(larger, 0.0) + scores.pop(code)
    lang, confidence = max(scores.items(), key=lambda item: item[1])
    if lang in _NO_LANGUAGE or confidence < MIN_CONFIDENCE:
        return Detection("en", confidence, sure=False)
    return Detection(lang, confidence, sure=True)


def check_code(lang: str) -> str:
    """Return a language code given with --source-lang, lower-cased, or raise a usage error.

    "auto" stands for detection, the default, so a flag can undo a config file's setting.
    """
    code = lang.strip().lower()
    if code == "auto":
        return code
    # A code briefer knows (as --lang does), its ISO 639-3 form taken to ISO 639-1 (fra is
    # fr): "xx" passed, then failed each article with "written in xx", exit 1.
    known = code_of(code)  # fr_FR and fra_Latn too, as --lang takes them
    if known is None:
        raise UsageError(
            f"--source-lang {lang!r} is not a language code briefer knows; give an ISO 639-1 "
            "code such as fr or ar (or its ISO 639-3 form, fra), or auto to detect it"
        )
    return known
