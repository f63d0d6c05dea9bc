"""Checks that need no model weights: facts kept, degenerate output caught, sources found.

Three families, all pure functions over text:

- **facts**: the numbers (either thousands convention, decimals, percentages, currencies,
  Arabic-Indic and Eastern Arabic digits), dates and years, and names of a brief, against
  its source; and those of a translation against the brief it translates.
- **guard**: output that loops, is empty, is longer than its input, or copies it verbatim.
- **support**: for each brief sentence, the source sentences that share most of its content
  words (ROUGE-1 recall over stemmed content words), with their character spans.

Findings are ``Finding(kind, text, where)``: ``kind`` is one of FACT_KINDS for what an editor
must check, or ``fallback`` / ``untranslated`` for what the guard did instead of the model.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from .chunking import visible
from .extractive import _STOPWORDS, _content_words
from .sentences import Span, split_sentences

# Kinds that are facts an editor must check; --strict-facts leaves an article out for these.
FACT_KINDS = frozenset({"number", "date", "name", "support", "glossary"})
# Kinds that say what the guard did: the brief shown is sound, but not the model's own.
GUARD_KINDS = frozenset({"fallback", "untranslated"})


@dataclass(frozen=True)
class Finding:
    """One thing an editor should look at before printing a brief."""

    kind: str  # number, date, name, support, glossary; or fallback, untranslated
    text: str  # one line, in English, quoting what was found
    where: str  # "brief" (against the source), "translation (fr)", "title", ...


# --- text normalisation --------------------------------------------------------------------

# Arabic-Indic (U+0660-0669) and Eastern Arabic / Persian (U+06F0-06F9) digits to ASCII.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
# The Arabic decimal and thousands separators, and the Arabic percent sign.
_SEPARATORS = {0x066B: ".", 0x066C: ",", 0x066A: "%"}
# Spaces that French and others put between groups of three digits.
_GROUP_SPACES = "\u00a0\u202f\u2009 "


def fold(text: str) -> str:
    """Return text case-folded, diacritics stripped, Arabic digits made ASCII, and invisible
    format characters (soft hyphens, zero-width spaces and joiners, BOMs, direction marks)
    removed.

    Names match across "Fabius"/"FABIUS" and "François"/"Francois"; numbers across scripts;
    scraped copy's "Wash\u2060ington" and "Fri\ufeffday" match a model's "Washington" and
    "Friday" (they were reported missing from the source).
    """
    text = visible(text).translate(_DIGITS).translate(_SEPARATORS)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return fold(ch)


def _folded(text: str) -> tuple[str, Callable[[int, int], str]]:
    """Return text folded, and a function giving the original text of a folded span.

    Folding drops marks and expands letters, so a folded position is not the original's:
    Arabic with its vowel marks ("تعهّد يوم الثلاثاء") was quoted as " الثلاثا", French typed
    in decomposed form as "5 milli", a ligature's "ﬁ" shifted what followed."""
    if text.isascii():
        folded = fold(text)
        if len(folded) == len(text):
            return folded, lambda start, end: text[start:end]
    pieces: list[str] = []
    origin: list[int] = []
    for at, ch in enumerate(text):
        piece = _fold_char(ch)
        pieces.append(piece)
        origin.extend([at] * len(piece))
    origin.append(len(text))
    return "".join(pieces), lambda start, end: text[origin[start] : origin[end]]


# --- numbers ------------------------------------------------------------------------------

# A number: digits, optionally in groups joined by , . or a group space, optionally decimal.
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f\u2009 ]\d+)*(?!\d)")
_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "trillion": 1e12,
    "mille": 1e3,
    "ألف": 1e3,
    "آلاف": 1e3,
    "مليون": 1e6,
    "ملايين": 1e6,
    "مليار": 1e9,
    "مليارات": 1e9,
    # French copy's short forms of milliard(s): "2,5 Mds $", "3 Md€".
    "md": 1e9,
    "mds": 1e9,
    "mrd": 1e9,
    "mrds": 1e9,
}
# Read off fold()ed text, where the hamza is gone ("آلاف" is "الاف"): keyed the same way.
_SCALES = {fold(word): factor for word, factor in _SCALES.items()}
# Short forms that stand for a scale only beside an amount of money: "5 m" may be metres and
# "5 mn" minutes, so without a currency they keep both readings.
_SHORT_SCALES = {"m", "mn"}
_SCALE_WORDS = "|".join(sorted(map(re.escape, _SCALES), key=len, reverse=True))
# A percent sign or word after a number, as fold() leaves it: "في المئة" loses its hamza.
# Reuters' "pct" and the Telegraph's "pc" too. Percentage points are another quantity.
_PERCENT_WORDS = ["%", r"per ?cent\b", r"pour ?cent\b", r"pct\b", r"pc\b"] + [
    re.escape(fold(word)) for word in ("في المئة", "في المائة", "بالمئة", "بالمائة")
]
_PERCENT = re.compile(rf"^\s?({'|'.join(_PERCENT_WORDS)})")
# A number word before one of them: "Five percent of voters".
_SPELLED_PERCENT = re.compile(rf"([^\W\d_]+(?:-[^\W\d_]+)?)\s?(?:{'|'.join(_PERCENT_WORDS)})")
# What joins the two ends of a range: "between 3 and 5 million" is 3 million to 5 million.
_RANGE = re.compile(r"\s*(?:-|\u2013|\u2014|to|and|or|a|et|ou|الى|إلى|و)\s*\Z")
# Currency before or after the number, mapped to one code so "$" and "dollars" agree.
_CURRENCY_WORDS = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "دولار": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "يورو": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "livre": "GBP", "livres": "GBP",
    "جنيه": "GBP", "¥": "JPY", "jpy": "JPY", "yen": "JPY", "ين": "JPY",
}  # fmt: skip
_BEFORE = re.compile(r"(us\$|\$|€|£|¥|\b(?:usd|eur|gbp|jpy))\s?$")
_AFTER = re.compile(
    rf"^[\s-]?(?:(?:{_SCALE_WORDS})[\s-])?"
    r"(?:de\s|d')?(\$|€|£|¥|usd|eur|gbp|jpy|dollars?|euros?|pounds?|livres?|دولار|يورو|جنيه)(?!\w)"
)
# A sign before a number: a hyphen, minus sign or en dash touching its digits after a space,
# an opening bracket or the start ("-5C", "(−3%)"; not "3-5", "F-16", "Covid-19", nor the
# dash of a range after a symbol, "5%-10%", "20°-25°C"); or the word, where it is no part of
# "au moins", "du moins", "plus ou moins", "plus or minus" (at least, more or less).
_SIGN_MARKS = r"[-\u2212\u2013]"
_SIGN_WORDS = r"(?:minus|moins|ناقص)"
_SIGN = re.compile(
    rf"(?:(?<=[\s(\[:/=]){_SIGN_MARKS}|(?<!\bau )(?<!\bdu )(?<!\bou )(?<!\bor )"
    rf"\b{_SIGN_WORDS}\s)\Z"
)
# A temperature below zero in words right after it, its unit between at most: "5 degrees
# below zero", "5 degrés sous zéro", "5C below zero" (not "3C after a week below zero").
_BELOW_ZERO = re.compile(
    r"^(?:\s?[°º]\s?[cf]?|[cf]|\s(?:degrees?|degres?|درجات|درجة)(?: celsius| fahrenheit| مئوية)?)?"
    r"\s(?:below zero|sous zero|(?:au|en)[- ]dessous de zero|تحت الصفر)"
)
# A temperature's unit after a number: where a source's "-5C" became "5C", only the sign changed.
_DEGREES = re.compile(r"^(?:\s?[°º](?:\s?[cf]\b)?|[cf]\b|\s(?:degrees?|degres?|درجات|درجة)\b)")
# A scale word after a number, spaced or hyphened ("$1.5-billion", Canadian Press style).
_SCALE_AFTER = re.compile(r"^[\s-]?(?:de\s)?([^\W\d_]+)")
# Numbers written as words in a source: a brief may write them in digits.
_NUMBER_WORDS = {
    word: value
    for value, words in enumerate(
        [
            "zero zéro", "one un une", "two deux", "three trois", "four quatre", "five cinq",
            "six", "seven sept", "eight huit", "nine neuf", "ten dix", "eleven onze",
            "twelve douze", "thirteen treize", "fourteen quatorze", "fifteen quinze",
            "sixteen seize", "seventeen dix-sept", "eighteen dix-huit", "nineteen dix-neuf",
            "twenty vingt",
        ]
    )
    for word in words.split()
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100, "dozen": 12}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_NUMBER_WORDS |= _TENS | {
    f"{tens}-{unit}": value + _NUMBER_WORDS[unit]
    for tens, value in _TENS.items()
    for unit in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
}
# French tens and their compounds as the 1990 spelling joins them: "vingt-et-un",
# "soixante-dix-sept", "quatre-vingt-douze" (a brief's "Vingt-quatre pays" against a source's
# "24" was a name not in the source).
_FRENCH_UNITS = ["un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
                 "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit",
                 "dix-neuf"]  # fmt: skip
_NUMBER_WORDS |= {"trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
                  "quatre-vingts": 80, "quatre-vingt": 80}  # fmt: skip
for _tens, _value in (("vingt", 20), ("trente", 30), ("quarante", 40), ("cinquante", 50),
                      ("soixante", 60), ("quatre-vingt", 80)):  # fmt: skip
    for _n, _unit in enumerate(_FRENCH_UNITS[: 19 if _value in (60, 80) else 9], start=1):
        _joined = "-et-" if _n in (1, 11) and _value != 80 else "-"
        _NUMBER_WORDS[f"{_tens}{_joined}{_unit}"] = _value + _n
# Ordinals ("third quarter" supports a brief's "3rd quarter"), and Arabic's one to ten, in
# both genders, as fold() writes them (hamza dropped): a translation's "خمسة جنود" for "5
# soldiers" had been "5 is missing".
_NUMBER_WORDS |= {
    word: value
    for value, words in enumerate(
        [
            "", "first premier premiere", "second deuxieme seconde", "third troisieme",
            "fourth quatrieme", "fifth cinquieme", "sixth sixieme", "seventh septieme",
            "eighth huitieme", "ninth neuvieme", "tenth dixieme",
        ]
    )
    for word in words.split()
}  # fmt: skip
_NUMBER_WORDS |= {
    fold(word): value
    for value, words in enumerate(
        [
            "", "واحد واحدة", "اثنان اثنين اثنتان اثنتين", "ثلاثة ثلاث", "أربعة أربع",
            "خمسة خمس", "ستة ست", "سبعة سبع", "ثمانية ثماني ثمان", "تسعة تسع", "عشرة عشر",
        ]
    )
    for word in words.split()
}  # fmt: skip
_YEARS = range(1800, 2100)


@dataclass(frozen=True)
class Number:
    """A number as written, with every value it may stand for."""

    text: str  # as written, with its currency or percent sign
    values: frozenset[float]
    start: int
    end: int
    currency: str | None = None
    year: bool = False  # a bare four-digit number read as a year
    percent: bool = False
    scale: float | None = None  # the scale word's factor: 1e6 for "million", "m" after "$"
    negative: bool = False  # "-5C", "minus 5", "5 degrees below zero": values are negative
    degrees: bool = False  # a temperature: "5C", "5 °C", "5 degrés"


def _readings(digits: str) -> set[float]:
    """Return the values a written number may have under either thousands convention."""
    digits = digits.translate({ord(c): " " for c in _GROUP_SPACES})
    groups = re.split(r"([., ])", digits)
    numbers = groups[0::2]
    seps = groups[1::2]
    if not seps:
        return {float(digits)}
    readings: set[float] = set()
    if all(len(g) == 3 for g in numbers[1:]):
        # 4,100 / 4.100 / 4 100 are four thousand one hundred in one convention or another.
        readings.add(float("".join(numbers)))
    kinds = set(seps)
    last = seps[-1]
    if last in ".," and seps.count(last) == 1:
        # The last separator, used once, may be the decimal point (3.5, 3,5, 1,234.5, 1.234,5).
        whole = "".join(numbers[:-1]) if all(len(g) == 3 for g in numbers[1:-1]) else None
        if whole is not None and (len(kinds) == 1 or len(seps) > 1):
            readings.add(float(f"{whole}.{numbers[-1]}"))
    if not readings:
        # Separators that fit no convention (4,10,0): compare the digits alone.
        readings.add(float("".join(numbers)))
    return readings


# Where French differs: its "billion" is a million million (English's is a "milliard").
_FRENCH_SCALES = {"billion": 1e12, "billions": 1e12, "trillion": 1e18, "trillions": 1e18}


def numbers(text: str, lang: str = "en") -> list[Number]:
    """Return every number in a text with its possible values, currency and percent sign;
    lang decides what a scale word means where languages differ (French "billion")."""
    scales = {**_SCALES, **_FRENCH_SCALES} if lang == "fr" else _SCALES
    folded, original = _folded(text)
    found: list[Number] = []
    for match in _NUMBER.finditer(folded):
        raw = match.group().rstrip(_GROUP_SPACES)
        start, end = match.start(), match.start() + len(raw)
        values = _readings(raw)
        after = folded[end : end + 30]
        before = folded[max(0, start - 6) : start]
        currency = None
        if (m := _BEFORE.search(before)) is not None or (m := _AFTER.match(after)) is not None:
            currency = _CURRENCY_WORDS.get(m.group(1))
        scale = _SCALE_AFTER.match(after)
        factor = scales.get(scale.group(1)) if scale else None
        if factor:
            # "$5 billion" is 5e9 and nothing else: with the bare 5 kept beside it, a brief's
            # "$5 billion" passed against a source's "$5 million".
            scaled = {round(v * factor, 6) for v in values}
            values = values | scaled if scale.group(1) in _SHORT_SCALES and not currency else scaled
        # A finding names the amount with its scale word: "$5 billion", not "5", and its sign.
        # (A newline stands for the start of the text, where a sign follows nothing.)
        sign = _SIGN.search(("\n" if start < 12 else "") + folded[max(0, start - 12) : start])
        negative = sign is not None or _BELOW_ZERO.match(after) is not None
        if negative:
            values = {-v for v in values}
        begin = start - len(sign.group()) if sign else start
        degrees = _DEGREES.match(after)
        unit = scale.end() if factor and scale else degrees.end() if degrees else 0
        surface = original(begin, end + unit)
        percent = bool(_PERCENT.match(after)) or before.endswith("%")
        year = (
            raw.isdigit() and len(raw) == 4 and int(raw) in _YEARS and not currency and not percent
        )
        found.append(
            Number(
                surface, frozenset(values), start, end, currency, year and not negative,
                percent, factor, negative, degrees is not None,
            )
        )  # fmt: skip
    return _ranges(folded, found)


# A number written with its sign before it (not below zero in words after it).
_SIGNED = re.compile(f"{_SIGN_MARKS}|{_SIGN_WORDS}")


def _ranges(folded: str, found: list[Number]) -> list[Number]:
    """Give the first end of a range its second end's scale too: "between 3 and 5 million" or
    "3 to 5 milliards" (the 3 keeps its bare reading as well, since "3 and 5 million" may
    also be two numbers)."""
    out = list(found)
    for i in range(len(out) - 2, -1, -1):
        first, second = out[i], out[i + 1]
        if not _RANGE.fullmatch(folded[first.end : second.start]):
            continue
        if second.scale and not first.scale:
            extra = {round(v * second.scale, 6) for v in first.values}
            currency = first.currency or second.currency
            out[i] = first = replace(first, values=first.values | extra, currency=currency)
        if second.percent and not first.percent:
            out[i] = first = replace(first, percent=True)  # "3-4%", "52-48 percent"
        if second.negative and not first.negative and not _SIGNED.match(fold(second.text)):
            # "from 5 to 3 degrees below zero": the words after the second end sign the first
            # too (which keeps its bare reading, as "5 and 3 degrees below zero" may be two).
            out[i] = replace(first, values=first.values | {-v for v in first.values})
    return out


_WORDS_AND_HYPHENS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


# What may follow a spelled number and make it part of a larger one ("fifteen million",
# "Fifteen hundred", "vingt et un", "Vingt mille", "Nineteen Eighty-Four").
_NUMBER_GOES_ON = frozenset({"and", "et", "hundred", "thousand", "mille", "cent", "cents"})
_NEXT_WORD = re.compile(r"[\s\u00a0-]*([^\W\d_]+)")


@dataclass(frozen=True)
class _Spelled:
    word: str  # folded
    value: int
    written: str  # as the text writes it
    whole: bool  # no part of a larger number ("twenty-first", "fifteen million", ...)


def _spelled(text: str) -> Iterator[_Spelled]:
    """Yield each number written as words in a text: the longest run of its hyphened parts
    that is one ("twenty-four-year-old" is 24)."""
    folded, original = _folded(text)
    for match in _WORDS_AND_HYPHENS.finditer(folded):
        parts = match.group().split("-")
        for end in range(len(parts), 0, -1):
            word = "-".join(parts[:end])
            if word not in _NUMBER_WORDS:
                continue
            rest = parts[end] if end < len(parts) else None
            after = _NEXT_WORD.match(folded, match.end()) if rest is None else None
            goes_on = rest if rest is not None else (after.group(1) if after else "")
            whole = not (
                goes_on in _NUMBER_WORDS or goes_on in _SCALES or goes_on in _NUMBER_GOES_ON
            )
            written = original(match.start(), match.start() + len(word))
            yield _Spelled(word, _NUMBER_WORDS[word], written, whole)
            break


def _number_words(text: str) -> set[float]:
    """Return the values of numbers written as words in a text (one to ninety-nine, in
    English and French, dozen, hundred; ordinals to tenth; Arabic one to ten)."""
    return {float(found.value) for found in _spelled(text)}


# --- dates --------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _month, _names in enumerate(
    [
        "january jan janvier janv يناير",
        "february feb fevrier fevr فبراير شباط",
        "march mar mars مارس آذار",
        "april apr avril أبريل ابريل نيسان",
        "may mai مايو أيار",
        "june jun juin يونيو يونيه حزيران",
        "july jul juillet juil يوليو يوليه تموز",
        "august aug aout أغسطس اغسطس آب",
        "september sep sept septembre سبتمبر أيلول",
        "october oct octobre أكتوبر اكتوبر",
        "november nov novembre نوفمبر",
        "december dec decembre ديسمبر",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _month)
# Levantine months of two words: "كانون الأول" is December, "تشرين الثاني" November. Alone,
# neither word is a month ("الأول" is "the first": "الفصل الأول", the first quarter); they
# had been read as January and October, so "٨ كانون الأول" was three months.
_TWO_WORD_MONTHS = {
    (fold("كانون"), fold("الأول")): 12,
    (fold("كانون"), fold("الثاني")): 1,
    (fold("تشرين"), fold("الأول")): 10,
    (fold("تشرين"), fold("الثاني")): 11,
}
_WEEKDAYS: dict[str, int] = {}
for _day, _names in enumerate(
    [
        "monday lundi الاثنين الإثنين",
        "tuesday mardi الثلاثاء",
        "wednesday mercredi الأربعاء الاربعاء",
        "thursday jeudi الخميس",
        "friday vendredi الجمعة",
        "saturday samedi السبت",
        "sunday dimanche الأحد الاحد",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[fold(_name)] = _day
_MONTHS = {fold(k): v for k, v in _MONTHS.items()}
# "May" is also a verb: as a month it needs a day or a year beside it.
_AMBIGUOUS_MONTHS = {"may", "mar", "jun", "jul", "dec", "sep", "oct"}
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\d+")


@dataclass(frozen=True)
class DateMention:
    """A month (with its day, when written) or a weekday named in a text."""

    text: str
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    day_start: int = -1  # where the day's digits start in the text, or -1
    start: int = -1  # where the month's name starts


def _date_label(d: DateMention) -> str:
    """Return a date as a finding names it, its day on the side the text writes it ("12
    mars", "March 12"), in digits."""
    if not d.day:
        return d.text
    return f"{d.day} {d.text}" if d.day_start < d.start else f"{d.text} {d.day}"


# What may follow a day's digits: French "1er" (and "1re"), English "13th", "2nd".
_ORDINAL_ENDS = frozenset({"er", "re", "e", "eme", "st", "nd", "rd", "th"})


def _day_before(tokens: list[tuple[str, int, int]], i: int) -> int:
    """Return the index of the token that may be the day before the month at i: "12 mars",
    "1er avril", "the 13th of March" (the 1 of "1er" had been read as no day)."""
    j = i - 1
    if j >= 1 and tokens[j][0] == "of":
        j -= 1
    if j >= 1 and tokens[j][0] in _ORDINAL_ENDS and tokens[j - 1][2] == tokens[j][1]:
        j -= 1
    return j


def dates(text: str) -> list[DateMention]:
    """Return the months (with a day when one is beside them) and weekdays a text names."""
    folded, original_of = _folded(text)
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    found: list[DateMention] = []
    for i, (word, start, end) in enumerate(tokens):
        if word in _WEEKDAYS:
            found.append(DateMention(original_of(start, end), weekday=_WEEKDAYS[word]))
            continue
        month = _MONTHS.get(word)
        if i + 1 < len(tokens) and (word, tokens[i + 1][0]) in _TWO_WORD_MONTHS:
            month, end = _TWO_WORD_MONTHS[word, tokens[i + 1][0]], tokens[i + 1][2]
        if month is None:
            continue
        day, day_start = None, -1
        for j in (_day_before(tokens, i), i + 1):
            if 0 <= j < len(tokens) and tokens[j][0].isdigit() and 1 <= int(tokens[j][0]) <= 31:
                day, day_start = int(tokens[j][0]), tokens[j][1]
                break
        nearby_year = any(
            tokens[j][0].isdigit() and int(tokens[j][0]) in _YEARS
            for j in (i + 1, i + 2)
            if j < len(tokens)
        )
        original = original_of(start, end)
        if word in _AMBIGUOUS_MONTHS and day is None and not nearby_year:
            continue
        if word in _AMBIGUOUS_MONTHS and original[:1].islower() and original.isascii():
            continue  # "may", "mar" in running English text are not months
        found.append(DateMention(original, month=month, day=day, day_start=day_start, start=start))
    return found


# --- names --------------------------------------------------------------------------------

# A word, possibly hyphenated or with an apostrophe (al-Abadi, O'Neill), or a dotted acronym.
_NAME_WORD = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
# Lower-case words that may sit inside a name: Haider al-Abadi, Charles de Gaulle.
_CONNECTORS = {"al", "el", "de", "du", "des", "la", "le", "van", "von", "der", "bin", "ibn", "of"}
# Words of a name that translations routinely translate: a name made only of these is not
# expected verbatim in a translation ("United States" is "États-Unis" in French).
_TRANSLATED_WORDS = frozenset({
    "united", "states", "state", "kingdom", "nations", "nation", "republic", "union", "european",
    "foreign", "minister", "ministry", "prime", "president", "secretary", "department", "general",
    "house", "white", "council", "security", "defence", "defense", "army", "forces", "force",
    "party", "national", "international", "north", "south", "east", "west", "middle", "central",
    "university", "institute", "court", "parliament", "government", "committee", "organisation",
    "organization", "agency", "bank", "commission", "league", "new", "saint", "st",
})  # fmt: skip
# Nationalities, which French writes in lower case after the noun ("French Foreign Minister
# Laurent Fabius": "le ministre français des Affaires étrangères, Laurent Fabius"), and the
# countries' short forms (U.S., UK, EU). They may go untranslated-looking only where they
# describe a name whose own words are there: "The Iraqi Foreign Ministry" as "le ministère
# iranien" is still a missing name.
# Each with the stems of its French forms (folded), which decide whether it is there in a
# French translation: the shared-prefix rule took "iranien" for "Iraqi" ("ira") and missed
# "suisse" for "Swiss".
_FRENCH_NATIONALITIES: dict[str, tuple[str, ...]] = {
    "us": ("americ", "etats"), "uk": ("britann", "royaume"), "eu": ("europ", "ue"),
    "american": ("americ",), "british": ("britann",), "french": ("franc",),
    "german": ("allemand",), "italian": ("italien",), "spanish": ("espagnol",),
    "russian": ("russe",), "chinese": ("chinois",), "japanese": ("japonais",),
    "korean": ("coreen",), "indian": ("indien",), "pakistani": ("pakistanais",),
    "afghan": ("afghan",), "iraqi": ("irakien",), "iranian": ("iranien",),
    "syrian": ("syrien",), "turkish": ("turc", "turque"), "israeli": ("israelien",),
    "palestinian": ("palestinien",), "egyptian": ("egyptien",), "saudi": ("saoudien",),
    "jordanian": ("jordanien",), "lebanese": ("libanais",), "yemeni": ("yemenite",),
    "libyan": ("libyen",), "tunisian": ("tunisien",), "algerian": ("algerien",),
    "moroccan": ("marocain",), "sudanese": ("soudanais",), "qatari": ("qatari",),
    "emirati": ("emirati",), "kuwaiti": ("koweitien",), "bahraini": ("bahreini",),
    "omani": ("omanais",), "kurdish": ("kurde",), "arab": ("arabe",), "african": ("africain",),
    "ukrainian": ("ukrainien",), "polish": ("polonais",), "dutch": ("neerlandais", "hollandais"),
    "belgian": ("belge",), "swiss": ("suisse",), "austrian": ("autrichien",),
    "swedish": ("suedois",), "norwegian": ("norvegien",), "danish": ("danois",),
    "finnish": ("finlandais",), "greek": ("grec",), "portuguese": ("portugais",),
    "irish": ("irlandais",), "scottish": ("ecossais",), "welsh": ("gallois",),
    "english": ("anglais",), "hungarian": ("hongrois",), "czech": ("tcheque",),
    "romanian": ("roumain",), "bulgarian": ("bulgare",), "serbian": ("serbe",),
    "croatian": ("croate",), "belarusian": ("bielorusse",), "georgian": ("georgien",),
    "armenian": ("armenien",), "canadian": ("canadien",), "mexican": ("mexicain",),
    "brazilian": ("bresilien",), "argentine": ("argentin",), "colombian": ("colombien",),
    "venezuelan": ("venezuelien",), "chilean": ("chilien",), "cuban": ("cubain",),
    "australian": ("australien",), "nigerian": ("nigerian",), "kenyan": ("kenyan",),
    "ethiopian": ("ethiopien",), "somali": ("somalien",), "indonesian": ("indonesien",),
    "malaysian": ("malaisien", "malais"), "filipino": ("philippin",),
    "vietnamese": ("vietnamien",), "thai": ("thailandais",), "taiwanese": ("taiwanais",),
}  # fmt: skip
_NATIONALITIES = frozenset(_FRENCH_NATIONALITIES)
# An article opening a capitalised span is no part of the name: "The European Central Bank"
# at a sentence's start is "La Banque centrale européenne".
_ARTICLES = frozenset({"the", "a", "an"})


@dataclass(frozen=True)
class Name:
    """A capitalised span (a person, a place, an organisation) or an acronym."""

    text: str
    words: tuple[str, ...]  # folded, possessive 's dropped, dots of acronyms removed
    start: int
    end: int
    capitalised: int  # how many of its words start with a capital


# Latin letters that Unicode does not decompose into a base letter and a mark, so fold()
# keeps them: "Wałęsa" stayed "wałesa" and a brief's "Walesa" was reported as a new name.
# Written as English and French copy writes them without the letter (Đoković: Djokovic).
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "dj", "ı": "i", "œ": "oe", "æ": "ae", "ð": "d", "þ": "th",
     "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k"}
)  # fmt: skip


def _fold_word(word: str) -> str:
    """Return a word as names are compared: folded (letters such as ł and ø made plain), no
    possessive, no acronym dots."""
    word = fold(word).translate(_PLAIN_LETTERS).replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace(".", "")


def _name_part(word: str) -> str:
    """Return a capitalised word without the lower-case words hyphened after it: "US-led" is
    "US" and "Mosul-bound" "Mosul" (a source's "U.S.-led" had not matched a brief's "US-led");
    "Jean-Luc" and "al-Abadi" stay whole."""
    parts = word.split("-")
    while len(parts) > 1 and word[:1].isupper() and parts[-1].islower():
        parts.pop()
    return "-".join(parts)


def _capital_after_connector(word: str) -> bool:
    """Return whether a word starts with a capital, or its connector's word does (al-Abadi)."""
    head, _, rest = word.partition("-")
    return word[:1].isupper() or (head in _CONNECTORS and rest[:1].isupper())


# Words that open French sentences and are no name ("Dans la soirée", "Après le vote",
# "Elle a dit"): each had been "not in the source" in a French summarizer's brief.
_FRENCH_OPENERS = """
    à afin ainsi alors après au aucun aucune auparavant aujourd'hui auprès aussi autour aux
    avant avec c'est car ce ceci cela celle celles celui cependant certaines certains ces cet
    cette chacun chaque chez comme comment d'abord d'ailleurs d'après dans de depuis des dès
    désormais donc dont du durant elle elles en encore enfin ensuite entre et face hier il ils
    jusqu'à l'an la le lequel les leur leurs lors lorsque mais malgré même mes moins mon ne ni
    nos notre nous on or où par parmi pas pendant peu plus plusieurs pour pourtant puis qu'il
    quand que quel quelle quelque quelques qui sa sans selon ses si sinon son sous sur tandis
    toutefois tous tout toute toutes très un une vers voici voilà vos votre vous y quant
    outre toujours néanmoins ici certes lui pourquoi parce contrairement
"""
_FRENCH_FUNCTION_WORDS = frozenset(fold(w) for w in _FRENCH_OPENERS.split())
_SENTENCE_FIRST = _STOPWORDS | _FRENCH_FUNCTION_WORDS
_PLURALS = "hundreds thousands millions billions dozens scores tens centaines milliers"
_PLURAL_NUMBERS = frozenset(_PLURALS.split())
_AFTER_NUMBER = re.compile(r"\d[\s\u00a0\u202f]*\Z")
_AFTER_DEGREE = re.compile(r"[\d°º][\s\u00a0\u202f]?\Z")


def names(text: str) -> list[Name]:
    """Return the capitalised spans and acronyms of a text, in order.

    A sentence's first word counts only when it is not a common word ("The", "He").
    """
    found: list[Name] = []
    starts = {s for s, _ in split_sentences(text)} if text.strip() else set()
    current: list[re.Match[str]] = []

    def close() -> None:
        """End the span being read: trim connectors at its ends and keep it."""
        # A name may end in a word its connector joins ("Haider al-Abadi", "el-Sisi").
        while current and not _capital_after_connector(current[-1].group()):
            current.pop()
        while current and not current[0].group()[:1].isupper():
            current.pop(0)
        while len(current) > 1 and fold(current[0].group()) in _ARTICLES:
            current.pop(0)
        if current:
            words = tuple(_fold_word(_name_part(m.group())) for m in current)
            capitals = sum(1 for m in current if m.group()[:1].isupper())
            one = words[0] if len(current) == 1 else None
            if not (
                (current[0].start() in starts and one in _SENTENCE_FIRST)
                or one in _NUMBER_WORDS  # "Twenty-four countries", "Vingt-quatre pays"
                or one in _PLURAL_NUMBERS  # "Hundreds of people", "Thousands fled"
                # "1,5 Md d'euros": a scale word right after a number ("MD" alone is a name)
                or (one in _SCALES and _AFTER_NUMBER.search(text, 0, current[0].start()))
                # a temperature's unit: "25°C", "-5 °F"
                or (one in ("c", "f") and _AFTER_DEGREE.search(text, 0, current[0].start()))
            ):
                found.append(
                    Name(
                        text[current[0].start() : current[-1].end()],
                        words,
                        current[0].start(),
                        current[-1].end(),
                        capitals,
                    )  # fmt: skip
                )
        current.clear()

    previous_end = 0
    for match in _NAME_WORD.finditer(text):
        word = match.group()
        if text.startswith("$", match.end()):
            close()  # "US$1.2 billion": a currency, not a name
            previous_end = match.end()
            continue
        gap = text[previous_end : match.start()]
        joined = current and gap.strip() == "" and "\n" not in gap
        if word[:1].isupper():
            if not joined:
                close()
            current.append(match)
        elif joined and word.split("-")[0] in _CONNECTORS:
            current.append(match)
        else:
            close()
        previous_end = match.end()
    close()
    return found


def _words(text: str) -> set[str]:
    """Return the folded words of a text, possessives dropped, hyphenated parts added too."""
    out: set[str] = set()
    for match in _NAME_WORD.finditer(visible(text)):
        word = _fold_word(match.group())
        out.add(word)
        out.update(part for part in re.split(r"[-']", word) if part)
    return out


def _name_word_found(word: str, vocabulary: set[str], lang: str) -> bool:
    """Tell whether a name's word is in a translation: a nationality in French by its French
    forms, any other word by its prefix (_prefix_match)."""
    stems = _FRENCH_NATIONALITIES.get(word) if lang == "fr" else None
    if stems:
        return any(other.startswith(stems) for other in vocabulary)
    return _prefix_match(word, vocabulary)


def _prefix_match(word: str, vocabulary: Iterable[str]) -> bool:
    """Tell whether a word, or a word sharing its first three fifths, is in the vocabulary.

    Three fifths (at least three letters) match Iraqi/irakien, Syrian/syrienne and
    Islamic/islamique, but not Fabius/fabriqué: a dropped name does not look present.
    """
    least = max(3, -(-len(word) * 3 // 5))
    stem = word[:least]
    return any(
        other == word or (len(word) > least and other.startswith(stem)) for other in vocabulary
    )


# --- fact checks ----------------------------------------------------------------------------


def _number_label(number: Number) -> str:
    """Return how a finding names a number: as written, without surrounding space; a
    percentage with its sign ("7.5 per cent" as "7.5%")."""
    label = number.text.strip()
    if number.negative and not _SIGNED.match(fold(label)):
        label = f"{label} below zero"  # "5 degrees below zero", its sign in words after it
    return f"{label}%" if number.percent and not label.endswith("%") else label


def _either_sign(number: Number) -> frozenset[float]:
    """Return a number's values; a percentage's with either sign, as prose says its
    direction in words ("fell 0.5 per cent" is "−0.5%"), but not a temperature's."""
    if number.percent and not number.degrees:
        return number.values | {-v for v in number.values}
    return number.values


def _unsigned(number: Number) -> frozenset[float]:
    """Return the values a brief may give a source's number as: a negative one also without
    its sign ("shares fell 5%" from "(-5%)"), except a temperature, where "5C" for "-5C" is
    another temperature."""
    if not number.negative or number.degrees:
        return number.values
    return number.values | {-v for v in number.values}


# Spelled numbers a brief may use loosely ("a dozen", "hundreds"): not held to the source.
_LOOSE_NUMBER_WORDS = frozenset({"dozen", "hundred", "douzaine", "cent"})


def check_brief(source: str, brief: str, where: str = "brief", lang: str = "en") -> list[Finding]:
    """Return what the brief states that its source does not: numbers, dates, names.

    lang is the language both are in: it decides what a scale word means (French "billion"
    is a million million)."""
    # Both sides as they read: a soft hyphen or zero-width space inside a name (CMS copy's
    # "Ram\u00adadi") cut it in two, and an extractive brief copied word for word from its
    # source was reported as naming "Ram", which the source does not.
    source, brief = visible(source), visible(brief)
    findings: list[Finding] = []
    source_numbers = numbers(source, lang)
    values = set().union(*(_unsigned(n) for n in source_numbers)) | _number_words(source)
    percents = set().union(*(_unsigned(n) for n in source_numbers if n.percent)) | {
        float(_NUMBER_WORDS[m.group(1)])
        for m in _SPELLED_PERCENT.finditer(fold(source))
        if m.group(1) in _NUMBER_WORDS
    }
    by_value: dict[float, set[str | None]] = {}
    for n in source_numbers:
        for v in _unsigned(n):
            by_value.setdefault(v, set()).add(n.currency)
    brief_dates = dates(brief)
    # A date's day is checked with its month, below: "March 13" against "March 12" was two
    # findings, "13" and "March 13".
    days = {d.day_start for d in brief_dates if d.month and d.day}
    said: set[str] = set()
    for found in _spelled(brief):
        # A number the brief spells out from 13 up ("Vingt-cinq pays" against a source's 24);
        # below that, "one of", "first" and "two sides" are words more than figures. One that
        # is part of a larger number ("fifteen million") is not read alone.
        if (
            found.value < 13
            or not found.whole
            or found.word in _LOOSE_NUMBER_WORDS
            or float(found.value) in values
            or found.word in said
        ):
            continue
        said.add(found.word)
        findings.append(Finding("number", f"{found.written} is not in the source", where))
    for n in numbers(brief, lang):
        kind = "date" if n.year else "number"
        if n.start in days:
            continue
        if not _either_sign(n) & values:
            flipped = {-v for v in n.values}
            given = next(
                (
                    m
                    for m in source_numbers
                    if m.values & flipped and (m.percent, m.degrees) == (n.percent, n.degrees)
                ),
                None,
            )
            if given is not None and n.values != {0.0}:
                # "-5C" from a source's "5C", or "5C" from its "-5C": the sign changed.
                message = f"{_number_label(n)}: the source gives {_number_label(given)}"
            else:
                message = f"{_number_label(n)} is not in the source"
            findings.append(Finding(kind, message, where))
            continue
        if n.percent and not _either_sign(n) & percents:
            # "grew by 5%" from a source's "$5 million", "12%" from its "March 12".
            findings.append(Finding(kind, f"{_number_label(n)} is not in the source", where))
            continue
        currencies = set().union(*(by_value.get(v, set()) for v in n.values)) - {None}
        if n.currency and currencies and n.currency not in currencies:
            findings.append(
                Finding(
                    "number",
                    f"{_number_label(n)}: the source gives this amount in "
                    f"{', '.join(sorted(currencies))}, not {n.currency}",
                    where,
                )
            )
    source_dates = dates(source)
    months = {(d.month, d.day) for d in source_dates if d.month}
    bare_months = {d.month for d in source_dates if d.month}
    weekdays = {d.weekday for d in source_dates if d.weekday is not None}
    for d in brief_dates:
        if d.weekday is not None and d.weekday not in weekdays:
            findings.append(Finding("date", f"{d.text} is not in the source", where))
        elif d.month and (d.month not in bare_months or (d.day and (d.month, d.day) not in months)):
            label = _date_label(d)
            findings.append(Finding("date", f"{label} is not in the source", where))
    source_words = _words(source)
    mixed = _mixed_names(source)
    seen: set[tuple[str, ...]] = set()
    for name in names(brief):
        if all(w in _MONTHS or w in _WEEKDAYS for w in name.words):
            continue  # a date: checked as one above
        # A title is no word of the name: "Mr Fabius" (British style, no full stop) and
        # "Dr. Nadal" had been reported for a source that writes "Mr. Fabius" or "Nadal".
        missing = [w for w in name.words if w not in source_words and w not in _TITLES]
        if (missing or mixed(name.words)) and name.words not in seen:
            seen.add(name.words)
            findings.append(Finding("name", f"{name.text} is not in the source", where))
    return findings


# Titles before a name, which a brief may put before any name of the source ("President
# Obama" from "Barack Obama"): never the first word of a mixed-up name.
_TITLES = frozenset({
    "mr", "mrs", "ms", "dr", "sir", "dame", "lord", "gen", "col", "maj", "capt", "lt", "sgt",
    "sen", "rep", "gov", "judge", "justice", "king", "queen", "prince", "princess", "pope",
    "sheikh", "imam", "ayatollah", "rev", "prof", "mayor", "chancellor", "premier", "emir",
    "chief", "m", "mme", "mgr", "ceo", "cfo", "coo", "chair", "chairman", "chairwoman",
    "executive", "governor", "senator", "representative", "leader", "speaker", "spokesman",
    "spokeswoman", "spokesperson", "director", "ambassador", "envoy", "commissioner", "coach",
    "manager", "captain", "officer", "vice", "deputy", "founder", "editor", "head",
})  # fmt: skip


def _mixed_names(source: str) -> Callable[[tuple[str, ...]], bool]:
    """Return a test for a name made of two of the source's people: the given name of one
    and the surname of another ("Laurent Mélenchon" from "Laurent Fabius" and "Jean-Luc
    Mélenchon"), each word found alone, so it passed word by word.

    A brief name's last two words are mixed when the source never writes them side by side,
    and writes the first as the second-last word of another name ("Laurent" before "Fabius")
    and the last as the last word of another ("Mélenchon" after "Jean-Luc"). So a title or an
    organisation before a surname is no mix: "Tesla's Musk" and "Tesla CEO Musk" from "Tesla
    CEO Elon Musk", "Senate Majority Leader Schumer". Titles, connectors, nationalities and
    words translations translate are left out. The source is read once, and only when a
    brief holds a name of two words.
    """

    @functools.cache
    def read() -> tuple[set[tuple[str, str]], dict[str, set[str]], dict[str, set[str]]]:
        adjacent: set[tuple[str, str]] = set()
        words = [(_fold_word(m.group()), m.start(), m.end()) for m in _NAME_WORD.finditer(source)]
        for (a, _, end), (b, start, _) in itertools.pairwise(words):
            if not source[end:start].strip():
                adjacent.add((a, b))
        given: dict[str, set[str]] = {}  # a name's second-last word → its last words
        family: dict[str, set[str]] = {}  # a name's last word → its second-last words
        for name in names(source):
            if len(name.words) >= 2:
                a, b = name.words[-2:]
                given.setdefault(a, set()).add(b)
                family.setdefault(b, set()).add(a)
        return adjacent, given, family

    plain = _TITLES | _CONNECTORS | _TRANSLATED_WORDS | _NATIONALITIES

    def test(name: tuple[str, ...]) -> bool:
        if len(name) < 2:
            return False
        a, b = name[-2:]
        if a in plain or b in plain:
            return False
        adjacent, given, family = read()
        if (a, b) in adjacent:
            return False
        return bool(given.get(a, set()) - {b}) and bool(family.get(b, set()) - {a})

    return test


def check_translation(brief: str, translation: str, lang: str, where: str = "") -> list[Finding]:
    """Return what a translation drops or changes of its brief: numbers, dates, names.

    Names are compared only where the target language writes them in Latin letters; for
    Arabic, glossary terms are what keeps a name (see glossary.py).
    """
    where = where or f"translation ({lang})"
    brief, translation = visible(brief), visible(translation)  # as check_brief reads them
    findings: list[Finding] = []
    left = numbers(brief)
    right = numbers(translation, lang)
    spelled = _number_words(translation)
    unmatched_left: list[Number] = []
    for n in left:
        partner = next((m for m in right if _either_sign(m) & _either_sign(n)), None)
        if partner is not None:
            right.remove(partner)
            if n.currency and partner.currency and n.currency != partner.currency:
                findings.append(
                    Finding(
                        "number",
                        f"{_number_label(n)} became {_number_label(partner)} (currency)",
                        where,
                    )
                )
        elif not (n.values & spelled):
            unmatched_left.append(n)
    brief_dates = dates(brief)
    target_dates = dates(translation)
    target_months = {t.month for t in target_dates if t.month}
    # A day whose month is missing is said with its month, below ("12 mars is missing"), not
    # as a number too.
    lost_days = {d.day_start for d in brief_dates if d.day and d.month not in target_months}
    unmatched_left = [n for n in unmatched_left if n.start not in lost_days]
    # A number dropped and another added in its place read as one change.
    for n in unmatched_left:
        kind = "date" if n.year else "number"
        partner = next((m for m in right if m.year == n.year), None)
        if partner is not None:
            right.remove(partner)
            findings.append(
                Finding(kind, f"{_number_label(n)} became {_number_label(partner)}", where)
            )
        else:
            findings.append(Finding(kind, f"{_number_label(n)} is missing", where))
    spelled_left = _number_words(brief)
    for m in right:
        if m.values & spelled_left:
            continue  # "Two soldiers died." as "2 soldats sont morts."
        kind = "date" if m.year else "number"
        findings.append(Finding(kind, f"{_number_label(m)} is not in the brief", where))
    said: set[int | None] = set()  # months
    for d in brief_dates:
        if d.weekday is not None:
            if not any(t.weekday == d.weekday for t in target_dates):
                findings.append(Finding("date", f"{d.text} is missing", where))
        elif d.month not in target_months and d.month not in said:
            # Once per month: Arabic copy writes "آذار/مارس", two names of one month.
            said.add(d.month)
            label = _date_label(d)
            findings.append(Finding("date", f"{label} is missing", where))
    if _latin(translation):
        vocabulary = _words(translation)
        seen: set[str] = set()
        for name in names(brief):
            if name.capitalised < 2 or _is_acronym(name.text):
                # One capitalised word may be a demonym the language lower-cases (French,
                # français), and acronyms are translated (IS, EI; NATO, OTAN).
                continue
            wanted = [w for w in name.words if w not in _TRANSLATED_WORDS and w not in _CONNECTORS]
            lost = [w for w in wanted if not _name_word_found(w, vocabulary, lang)]
            if len(lost) < len(wanted) and all(w in _NATIONALITIES for w in lost):
                lost = []  # "French ... Laurent Fabius": the name is there, its nationality moved
            if lost and name.text not in seen:
                seen.add(name.text)
                findings.append(Finding("name", f"{name.text} is missing", where))
    return findings


def _is_acronym(text: str) -> bool:
    """Tell whether a name is an acronym (IS, DGAP, U.S.)."""
    letters = text.replace(".", "")
    return len(letters) >= 2 and letters.isupper() and letters.isalpha()


def main_script(text: str, sample: int = 4000) -> str | None:
    """Return the script most of a text's letters are in (LATIN, ARABIC, CYRILLIC, CJK, ...),
    from the Unicode names of its first letters; None for a text without letters."""
    scripts = Counter(
        unicodedata.name(ch, "UNKNOWN").split()[0] for ch in text[:sample] if ch.isalpha()
    )
    return scripts.most_common(1)[0][0] if scripts else None


def _latin(text: str) -> bool:
    """Tell whether most letters of a text are Latin (French) rather than Arabic."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin * 2 >= len(letters)


# --- degenerate output guard ----------------------------------------------------------------

# Loop thresholds, measured with benchmarks/measure_checks.py. On 234 texts of real news prose
# (the example article's sentences and paragraphs, the test corpus's 94 wire sentences,
# briefs of 3-5 of them, 12 abstractive brief sentences) both measures were 0.000 at most.
# On the tiny random Marian's outputs (own settings, and greedy over 60 tokens) they reached
# 0.69 and 0.74 (medians 0.02 and 0.21): 14 of its 24 outputs loop ("filler18 filler18 …").
# The random BART writes gibberish that does not loop (tandem share at most 0.17).
# A real brief repeating one trigram once in 60 words scores 0.017.
LOOP_NGRAM = 3
LOOP_REPEAT_RATIO = 0.1  # share of a text's word trigrams that repeat an earlier one
LOOP_TANDEM_SHARE = 0.2  # share of a text's characters inside a unit repeated 3+ times in a row
# Below this many characters a text is too short to call a loop (a headline, "Paris.").
LOOP_MIN_CHARS = 24
_TANDEM = re.compile(r"(.{2,}?)\1{2,}", re.DOTALL)


def repeat_ratio(text: str, n: int = LOOP_NGRAM) -> float:
    """Return the share of a text's word n-grams that repeat an earlier one (0 for few words)."""
    words = fold(text).split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) < 2:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def tandem_share(text: str) -> float:
    """Return the share of a text's characters inside a unit repeated three or more times in a row.

    Catches loops inside a word ("thethethe") and across words ("the plan the plan the plan").
    """
    squeezed = " ".join(text.split())
    if not squeezed:
        return 0.0
    covered = sum(m.end() - m.start() for m in _TANDEM.finditer(squeezed))
    return covered / len(squeezed)


def compression_ratio(text: str) -> float:
    """Return zlib's compressed size over the raw size (low for repetitive text)."""
    raw = text.encode("utf-8")
    return len(zlib.compress(raw, 9)) / max(len(raw), 1)


def loops(text: str) -> bool:
    """Tell whether a text repeats itself more than real prose ever does."""
    if len(text.strip()) < LOOP_MIN_CHARS:
        return False
    return repeat_ratio(text) > LOOP_REPEAT_RATIO or tandem_share(text) > LOOP_TANDEM_SHARE


# A translation may be longer than its input: French runs about 15-30% longer than English in
# characters. Three times the input (plus a short sentence's slack) is never a translation.
TRANSLATION_GROWTH = 3.0
TRANSLATION_SLACK = 40


def degenerate(output: str, given: str, task: str = "summary") -> str | None:
    """Return why a model's output cannot be used for its input, or None when it can.

    task is "summary" (output must be shorter than the input, and not the input itself) or
    "translation" (output may grow, within TRANSLATION_GROWTH). The reason is a predicate
    that follows its subject: "the model's summary is empty", "the translation loops".
    """
    text = " ".join(output.split())
    source = " ".join(given.split())
    if not re.search(r"[^\W_]", text):
        return "is empty"
    if loops(text):
        return "loops"
    if task == "summary":
        if len(text) > len(source):
            return "is longer than the article"
        if fold(text) == fold(source) and len(source.split()) > 3:
            return "is a verbatim copy of the article"
    else:
        if len(text) > TRANSLATION_GROWTH * len(source) + TRANSLATION_SLACK:
            return "is longer than the text it translates"
        # A sentence of names alone may stay as it is; a real sentence was not translated.
        # Out of a script other than Latin (an Arabic text given to an English reader, a
        # pivot's input) nothing comes back the same: it had passed unflagged.
        if fold(text) == fold(source) and (
            not _latin(source) or len(_content_words(source) - _words_proper(source)) >= 2
        ):
            return "is its input, untranslated"
    return None


def _words_proper(text: str) -> set[str]:
    """Return the content words of a text's capitalised names (which translations keep)."""
    return set().union(*(_content_words(n.text) for n in names(text))) if text else set()


# --- support: where each brief sentence comes from ------------------------------------------

# A brief sentence whose best source sentences hold less than this share of its content words
# is unsupported. Measured with benchmarks/measure_checks.py: 12 hand-written abstractive
# brief sentences of the example article (paraphrased, shortened, fused) scored 0.67-1.0
# (median 0.90); the 94 sentences of unrelated wire stories scored 0.0-0.25 (median 0.10).
SUPPORT_THRESHOLD = 0.45
# A second source sentence is cited when it adds at least this share of the brief sentence's
# content words: abstractive models often fuse two sentences into one.
SECOND_SOURCE_GAIN = 0.2


@dataclass(frozen=True)
class SourceSentence:
    """A source sentence that supports a brief sentence, with where it is."""

    start: int
    end: int
    paragraph: int  # 1-based index of the story paragraph it is in (0 when outside the body)
    text: str


@dataclass(frozen=True)
class Support:
    """A brief sentence, its span in the brief, and the source sentences that support it."""

    start: int
    end: int
    text: str
    score: float  # share of its content words found in the cited source sentences
    sources: tuple[SourceSentence, ...] = field(default=())


def support(
    source: str,
    sentences: Sequence[Span],
    paragraphs: Sequence[Span],
    brief: str,
    lang: str = "en",
) -> list[Support]:
    """Return, for each sentence of the brief, the source sentences that support it best."""
    words = [_content_words(source[s:e]) for s, e in sentences]
    out: list[Support] = []
    for start, end in split_sentences(brief, lang=lang) if brief.strip() else []:
        wanted = _content_words(brief[start:end])
        chosen: list[int] = []
        covered: set[str] = set()
        if wanted:
            for _ in range(2):
                best, gain = -1, 0.0
                for i, ws in enumerate(words):
                    if i in chosen:
                        continue
                    g = len((ws & wanted) - covered) / len(wanted)
                    if g > gain:  # ties go to the earlier sentence
                        best, gain = i, g
                if best < 0 or (chosen and gain < SECOND_SOURCE_GAIN):
                    break
                chosen.append(best)
                covered |= words[best] & wanted
        score = len(covered) / len(wanted) if wanted else 1.0
        cited = tuple(
            SourceSentence(
                sentences[i][0],
                sentences[i][1],
                _paragraph_of(sentences[i][0], paragraphs),
                " ".join(source[sentences[i][0] : sentences[i][1]].split()),
            )
            for i in sorted(chosen)
        )
        out.append(Support(start, end, brief[start:end], round(score, 3), cited))
    return out


def _paragraph_of(offset: int, paragraphs: Sequence[Span]) -> int:
    """Return the 1-based number of the paragraph holding an offset, or 0."""
    for number, (s, e) in enumerate(paragraphs, start=1):
        if s <= offset < e:
            return number
    return 0


def unsupported(supports: Sequence[Support], where: str = "brief") -> list[Finding]:
    """Return a finding for each brief sentence without support above SUPPORT_THRESHOLD."""
    return [
        Finding("support", f'no source sentence supports "{_clip(s.text)}"', where)
        for s in supports
        if s.score < SUPPORT_THRESHOLD
    ]


def _clip(text: str, most: int = 80) -> str:
    """Return a text shortened to most characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
