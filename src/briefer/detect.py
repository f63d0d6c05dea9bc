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
of memory): it runs in a background thread while torch imports (`preload`), and the result
cache keeps each article's language, so a re-run loads no detector at all.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from .errors import UsageError

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
# "zxx" is the detector's "no linguistic content" (numbers, symbols).
_NO_LANGUAGE = {"zxx"}
_CODE = re.compile(r"[a-z]{2,3}")


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
    from importlib.metadata import version

    return f"py3langid {version('py3langid')}, {MAX_CHARS} chars, {MIN_CONFIDENCE}"


def identifier() -> Any:
    """Return py3langid's identifier with probabilities on, loading its model on first use."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def preload() -> threading.Thread:
    """Start loading the detector's model in a background thread, and return that thread.

    The load is mostly LZMA decompression, which releases the GIL, so it overlaps with what
    the caller does next (importing torch takes several seconds of CPU).
    """
    thread = threading.Thread(target=identifier, name="briefer-langid", daemon=True)
    thread.start()
    return thread


def detect(text: str) -> Detection:
    """Return the language of a text, English when there is too little text to tell."""
    sample = " ".join(text[:MAX_CHARS].split())
    if not sample:
        return Detection("en", 0.0, sure=False)
    scores: dict[str, float] = {}
    for code, probability in identifier().rank(sample):
        code = _VARIETIES.get(code, code)
        scores[code] = scores.get(code, 0.0) + probability
    lang, confidence = max(scores.items(), key=lambda item: item[1])
    if lang in _NO_LANGUAGE or confidence < MIN_CONFIDENCE:
        return Detection("en", confidence, sure=False)
    return Detection(lang, confidence, sure=True)


def check_code(lang: str) -> str:
    """Return a language code given with --source-lang, lower-cased, or raise a usage error.

    "auto" stands for detection, the default, so a flag can undo a config file's setting.
    """
    code = lang.strip().lower()
    if code != "auto" and not _CODE.fullmatch(code):
        raise UsageError(
            f"--source-lang {lang!r} is not a language code; give a two- or three-letter ISO 639 "
            "code such as fr or ar, or auto to detect it"
        )
    return code
