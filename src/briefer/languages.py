"""Language facts: ISO 639-1 codes, how each translator family names a target, and RTL scripts.

A translator announces the targets it can produce in its vocabulary, each family its own way:

- Marian (opus-mt):   ``>>fra<<`` or ``>>fr<<`` tokens put before the source sentence;
- MADLAD / T5-style:  ``<2fr>`` tokens put before the source sentence;
- M2M100:             ``__fr__`` tokens, forced as the first generated token;
- NLLB-200:           ``fra_Latn`` tokens, forced as the first generated token;
- mBART-50:           ``fr_XX`` tokens, forced as the first generated token.

``targets_in(vocabulary)`` reads them and maps each to the ISO 639-1 code users type.
Nothing here imports briefer or a model library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ENGLISH = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})

# ISO 639-1 -> the ISO 639-3 codes translators use for it, the macrolanguage first, then the
# individual language NLLB and opus-mt-tc models pick (arb for Modern Standard Arabic, pes for
# Persian, ...). Covers the languages of opus-mt, M2M100, NLLB-200, mBART-50 and MADLAD that
# have a two-letter code.
ISO3: dict[str, tuple[str, ...]] = {
    "af": ("afr",), "am": ("amh",), "ar": ("ara", "arb"), "as": ("asm",), "az": ("aze", "azj"),
    "be": ("bel",), "bg": ("bul",), "bn": ("ben",), "bo": ("bod",), "bs": ("bos",),
    "ca": ("cat",), "cs": ("ces",), "cy": ("cym",), "da": ("dan",), "de": ("deu",),
    "el": ("ell",), "en": ("eng",), "eo": ("epo",), "es": ("spa",), "et": ("est", "ekk"),
    "eu": ("eus",), "fa": ("fas", "pes"), "fi": ("fin",), "fr": ("fra",), "ga": ("gle",),
    "gd": ("gla",), "gl": ("glg",), "gu": ("guj",), "ha": ("hau",), "he": ("heb",),
    "hi": ("hin",), "hr": ("hrv",), "ht": ("hat",), "hu": ("hun",), "hy": ("hye",),
    "id": ("ind",), "ig": ("ibo",), "is": ("isl",), "it": ("ita",), "ja": ("jpn",),
    "jv": ("jav",), "ka": ("kat",), "kk": ("kaz",), "km": ("khm",), "kn": ("kan",),
    "ko": ("kor",), "ku": ("kur", "kmr"), "ky": ("kir",), "lb": ("ltz",), "lo": ("lao",),
    "lt": ("lit",), "lv": ("lav", "lvs"), "mg": ("mlg", "plt"), "mk": ("mkd",),
    "ml": ("mal",), "mn": ("mon", "khk"), "mr": ("mar",), "ms": ("msa", "zsm"),
    "mt": ("mlt",), "my": ("mya",), "ne": ("nep", "npi"), "nl": ("nld",),
    "no": ("nor", "nob"), "ny": ("nya",), "oc": ("oci",), "or": ("ori", "ory"),
    "pa": ("pan",), "pl": ("pol",), "ps": ("pus", "pbt"), "pt": ("por",), "ro": ("ron",),
    "ru": ("rus",), "sd": ("snd",), "si": ("sin",), "sk": ("slk",), "sl": ("slv",),
    "so": ("som",), "sq": ("sqi", "als"), "sr": ("srp",), "sv": ("swe",), "sw": ("swa", "swh"),
    "ta": ("tam",), "te": ("tel",), "tg": ("tgk",), "th": ("tha",), "tl": ("tgl",),
    "tr": ("tur",), "uk": ("ukr",), "ur": ("urd",), "uz": ("uzb", "uzn"), "vi": ("vie",),
    "xh": ("xho",), "yi": ("yid", "ydd"), "yo": ("yor",), "zh": ("zho", "cmn"),
    "zu": ("zul",),
}  # fmt: skip
_FROM_ISO3 = {code3: code1 for code1, codes in ISO3.items() for code3 in codes}

# How a target is selected: text put before the source, or the first token the decoder must emit.
SOURCE_PREFIX = "source_prefix"
FORCED_BOS = "forced_bos"

# (family, token pattern, how it selects). The code group is ISO 639-1 or 639-3.
# The last number is how many languages make a family: one >>xxx<< token is unmistakable
# (opus-mt-tc-big-en-ar holds >>ara<< beside dialect codes), other shapes need two.
_FAMILIES: tuple[tuple[str, re.Pattern[str], str, int], ...] = (
    ("marian", re.compile(r"^>>([a-z]{2,3})(?:_[A-Za-z]+)?<<$"), SOURCE_PREFIX, 1),
    ("madlad", re.compile(r"^<2([a-z]{2,3})>$"), SOURCE_PREFIX, 2),
    ("m2m100", re.compile(r"^__([a-z]{2,3})__$"), FORCED_BOS, 2),
    ("nllb", re.compile(r"^([a-z]{3})_[A-Z][a-z]{3}$"), FORCED_BOS, 2),
    ("mbart50", re.compile(r"^([a-z]{2})_[A-Z]{2}$"), FORCED_BOS, 2),
)


@dataclass(frozen=True)
class Target:
    """How one translator selects one target language."""

    lang: str  # ISO 639-1, what --lang takes
    token: str  # the model's own code: >>fra<<, __fr__, fra_Latn, fr_XX, <2fr>
    how: str  # SOURCE_PREFIX or FORCED_BOS
    family: str


# A language code, or a tag that starts with one and goes on with scripts (4 letters) and
# regions (2 letters, 3 digits): fr, FR, fra, fr-FR, fr_CA, fra_Latn, zh-Hant-TW, es-419, and
# POSIX locales as $LANG holds them (fr_FR.UTF-8, de_DE@euro).
_TAG = re.compile(
    r"([A-Za-z]{2,3})((?:[-_](?:[A-Za-z]{4}|[A-Za-z]{2}|[0-9]{3}))*)"
    r"(?:\.[A-Za-z0-9-]+)?(?:@[A-Za-z0-9]+)?"
)


def code_of(value: str) -> str | None:
    """Return the ISO 639-1 code a language code or tag stands for, None if unknown.

    Scripts build flags from what they have: `$LANG` gives fr_FR.UTF-8, a CMS fr-FR, NLLB
    fra_Latn. The language is the first part; briefer has one model per language, not per
    region. A lower-case region that is another language's code is taken for none: "fr-ar"
    is more likely French and Arabic than French of Argentina (fr-AR), and "en-fr" no English;
    "fr-fr" is French.
    """
    match = _TAG.fullmatch(value.strip())
    if not match:
        return None
    code = iso1(match.group(1))
    for part in re.split(r"[-_]", match.group(2))[1:]:
        # fr-fr and de-de, as HTML lang attributes often have them, are French and German.
        if len(part) == 2 and part.islower() and part in ISO3 and part != code:
            return None
    return code


def several_languages(value: str) -> list[str] | None:
    """Return the languages a value like "fr-ar" or "fr_ar" joins, None if it is not that."""
    parts = re.split(r"[-_]", value.strip())
    codes = [iso1(part) for part in parts]
    if len(parts) > 1 and all(codes):
        return [code for code in codes if code]
    return None


def iso1(code: str) -> str | None:
    """Return the ISO 639-1 code of a two- or three-letter code, or None if unknown."""
    code = code.lower()
    if code in ISO3:
        return code
    return _FROM_ISO3.get(code)


def targets_in(vocabulary: Iterable[str]) -> dict[str, Target]:
    """Return the target languages a translator's vocabulary selects, by ISO 639-1 code.

    The family is the one whose tokens the vocabulary holds most of; where a language has
    several tokens (>>ara<< and >>arb<<), the macrolanguage's code wins, as ISO3 orders them.
    """
    tokens = list(vocabulary)
    best: dict[str, Target] = {}
    for family, pattern, how, least in _FAMILIES:
        found: dict[str, list[str]] = {}
        for token in tokens:
            match = pattern.match(token)
            if match:
                lang = iso1(match.group(1))
                if lang is not None:
                    found.setdefault(lang, []).append(token)
        if len(found) >= least and len(found) > len(best):
            best = {
                lang: Target(lang, _preferred(lang, options, pattern), how, family)
                for lang, options in found.items()
            }
    return best


def _preferred(lang: str, tokens: list[str], pattern: re.Pattern[str]) -> str:
    """Return the token for lang a family would pick first: the macrolanguage's, plain script."""
    order = {code: rank for rank, code in enumerate((*ISO3.get(lang, ()), lang))}

    def rank(token: str) -> tuple[int, int, str]:
        """Sort key: code order in ISO3, then plainer tokens (>>fra<< before >>fra_Latn<<)."""
        match = pattern.match(token)
        code = match.group(1) if match else token
        return (order.get(code, len(order)), len(token), token)

    return min(tokens, key=rank)


def target_from_name(name: str) -> str | None:
    """Return the target of a single-pair translator named like opus-mt-en-fr, else None."""
    match = re.search(r"opus-mt-(?:tc-big-|tc-)?[a-z]{2,3}-([a-z]{2,3})$", name.rstrip("/"))
    return iso1(match.group(1)) if match else None


def source_from_name(name: str) -> str | None:
    """Return the source of a single-pair translator named like opus-mt-fr-en, else None."""
    match = re.search(r"opus-mt-(?:tc-big-|tc-)?([a-z]{2,3})-[a-z]{2,3}$", name.rstrip("/"))
    return iso1(match.group(1)) if match else None


def check_code(lang: str) -> str:
    """Return a lower-cased ISO 639-1 code, or raise ValueError when it is not one."""
    code = lang.strip().lower()
    if code not in ISO3:
        raise ValueError(
            f"unknown language code {lang!r}: give an ISO 639-1 code such as fr, ar, de"
        )
    return code
