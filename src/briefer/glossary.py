"""The newsroom glossary: names kept verbatim and house translations, protected through translation.

A glossary file is TOML or CSV (chosen by its extension)::

    # glossary.toml
    keep = ["Laurent Fabius", "Reuters", "DGAP"]      # the same in every language

    [terms."Islamic State"]                           # a house translation per language
    fr = "État islamique"
    ar = "تنظيم الدولة الإسلامية"

    # glossary.csv: a header of "term" and language codes; an empty cell keeps the term
    term,fr,ar
    Laurent Fabius,,
    Islamic State,État islamique,تنظيم الدولة الإسلامية

Before a sentence is translated, each term in it becomes a placeholder that translation
models copy (a number they have no reason to change); after translation the placeholders
become the term, or its house translation. When a model loses or repeats a placeholder,
the sentence is translated again in pieces around its terms, and the terms put back between
them, so a term is never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import files
from .errors import UsageError
from .languages import code_of

# A glossary is read whole; a newsroom's runs to a few thousand terms.
MAX_BYTES = 2_000_000
MAX_TERMS = 20_000
MAX_TERM_CHARS = 200


@dataclass(frozen=True)
class Term:
    """A term of the source language and what it becomes in each target language."""

    text: str
    translations: tuple[tuple[str, str], ...] = ()  # (language, house translation)

    def target(self, lang: str) -> str:
        """Return the term as it must appear in a language: its house translation, else itself."""
        return dict(self.translations).get(lang, self.text)


@dataclass(frozen=True)
class Glossary:
    """Terms to protect through translation, longest first so "Islamic State group" wins."""

    terms: tuple[Term, ...] = ()

    def __post_init__(self) -> None:
        """Order the terms longest first and build the pattern that finds them.

        A term is found as it is written: "US" is not the pronoun "us", nor "May" the verb
        (matched regardless of case, a glossary keeping "US" and "May" turned "They told us
        they may come" into "US" and "May"). Only a term written in lower case may start with
        a capital, as it does at the start of a sentence ("euro area", "Euro area").
        """
        ordered = tuple(sorted(self.terms, key=lambda t: (-len(t.text), t.text)))
        object.__setattr__(self, "terms", ordered)
        alternatives = "|".join(_written(t.text) for t in ordered)
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if ordered else None
        object.__setattr__(self, "_pattern", pattern)
        # A capitalised form first, so a term written so wins ("May" the name over "may").
        by_form = {_capitalized(t.text): t for t in ordered}
        by_form |= {t.text: t for t in ordered}
        object.__setattr__(self, "_by_form", by_form)

    def __bool__(self) -> bool:
        """Tell whether the glossary holds any term."""
        return bool(self.terms)

    def find(self, text: str) -> list[tuple[int, int, Term]]:
        """Return the terms in a text with their spans, longest match first, in text order."""
        pattern = self._pattern  # type: ignore[attr-defined]
        if pattern is None:
            return []
        forms = self._by_form  # type: ignore[attr-defined]
        return [(m.start(), m.end(), forms[m.group()]) for m in pattern.finditer(text)]


def _written(term: str) -> str:
    """Return the pattern of a term as written, its first letter either case when lower."""
    if _capitalized(term) != term:
        return f"[{re.escape(term[0])}{re.escape(_capitalized(term)[0])}]{re.escape(term[1:])}"
    return re.escape(term)


def _capitalized(term: str) -> str:
    """Return a lower-case term with its first letter upper case, as a sentence starts (the
    term itself where that letter has no one-letter capital: "ß" is "SS")."""
    first = term[0].upper()
    return first + term[1:] if term[0].islower() and len(first) == 1 else term


def load(path: str | Path) -> Glossary:
    """Read a glossary file (.toml or .csv); a bad file is a UsageError naming it."""
    path = Path(path).expanduser()
    text = files.read_text(path, "glossary", MAX_BYTES)
    if path.suffix.lower() == ".csv":
        terms = _from_csv(text, path)
    elif path.suffix.lower() == ".toml":
        terms = _from_toml(text, path)
    else:
        raise UsageError(f"glossary {path}: name it .toml or .csv")
    if len(terms) > MAX_TERMS:
        raise UsageError(f"glossary {path}: more than {MAX_TERMS} terms")
    seen: set[str] = set()
    for term in terms:
        # As written: "US" and "us" are two terms now that terms are found as written.
        if term.text in seen:
            raise UsageError(f"glossary {path}: {term.text!r} is listed twice")
        seen.add(term.text)
    return Glossary(tuple(terms))


def _checked(term: object, path: Path, where: str) -> str:
    """Return a term as a stripped string, or raise naming where it is."""
    if not isinstance(term, str) or not term.strip():
        raise UsageError(f"glossary {path}: {where}: a term must be non-empty text")
    term = " ".join(term.split())
    if len(term) > MAX_TERM_CHARS:
        raise UsageError(f"glossary {path}: {where}: a term is over {MAX_TERM_CHARS} characters")
    return term


def _from_toml(text: str, path: Path) -> list[Term]:
    """Read the TOML form: keep = [...] and [terms."X"] tables of language = translation."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"glossary {path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"keep", "terms"})
    if unknown:
        raise UsageError(f"glossary {path}: unknown key {unknown[0]!r}; use keep and terms")
    keep = data.get("keep", [])
    if not isinstance(keep, list):
        raise UsageError(f"glossary {path}: keep must be a list of terms")
    terms = [Term(_checked(t, path, f"keep[{i}]")) for i, t in enumerate(keep)]
    table = data.get("terms", {})
    if not isinstance(table, dict):
        raise UsageError(f'glossary {path}: terms must be tables, as [terms."Islamic State"]')
    for name, translations in table.items():
        where = f"terms.{name!r}"
        if not isinstance(translations, dict):
            raise UsageError(f"glossary {path}: {where} must be a table of language = translation")
        pairs = tuple(
            sorted(
                (_language(str(lang), path, where), _checked(value, path, f"{where}.{lang}"))
                for lang, value in translations.items()
            )
        )
        _once(pairs, path, where)
        terms.append(Term(_checked(name, path, where), pairs))
    return terms


def _once(pairs: Sequence[tuple[str, str]], path: Path, where: str) -> None:
    """Raise a usage error when two keys are one language (pt-BR and pt-PT, fr and FR): which
    translation applies would be a matter of sorting."""
    langs = [lang for lang, _ in pairs]
    twice = sorted({lang for lang in langs if langs.count(lang) > 1})
    if twice:
        raise UsageError(f"glossary {path}: {where}: language {twice[0]!r} is given twice")


def _language(value: str, path: Path, where: str) -> str:
    """Return a glossary's language key as the ISO 639-1 code --lang gives (FR, fr-FR and fra
    are fr), or raise a usage error naming it: a key no run can ask for was never applied."""
    code = code_of(value)
    if code is None:
        raise UsageError(
            f"glossary {path}: {where}: {value!r} is not a language code briefer knows "
            "(give one such as fr or ar)"
        )
    return code


def _from_csv(text: str, path: Path) -> list[Term]:
    """Read the CSV form: a header row "term,fr,ar", one term a row, empty cells kept as is."""
    # strict: a quote opened and never closed, or text after a closing quote, is an error; the
    # lax reader would read the rest of the file into one cell. Each row keeps the line it
    # starts on (a quoted cell may run over several), which messages name.
    # Cells are split by what follows the header's "term": a comma, or the semicolon that
    # Excel writes where a comma is the decimal mark (French, Arabic locales), or a tab.
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = re.match(r'\s*"?term"?\s*([,;\t])', first, re.IGNORECASE)
    delimiter = separator.group(1) if separator else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UsageError(f"glossary {path}: line {start}: not valid CSV ({exc})") from None
        if any(cell.strip() for cell in row):
            rows.append((start, row))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0][1]]
    if not header or header[0] != "term":
        raise UsageError(f'glossary {path}: the first row must be a header starting with "term"')
    header[1:] = [_language(cell, path, "header") for cell in header[1:]]
    _once([(lang, "") for lang in header[1:]], path, "header")
    terms = []
    for number, row in rows[1:]:
        if len(row) > len(header):
            raise UsageError(f"glossary {path}: line {number}: more cells than the header")
        name = _checked(row[0], path, f"line {number}")
        pairs = tuple(
            sorted(
                (lang, _checked(cell, path, f"line {number}"))
                for lang, cell in zip(header[1:], row[1:], strict=False)
                if cell.strip()
            )
        )
        terms.append(Term(name, pairs))
    return terms


# Placeholders are numbers from here up: translators copy numbers, and these are never a
# year, a price or a count a news sentence would hold.
PLACEHOLDER_BASE = 7731
# A number as a model may write a placeholder back: 7731, "7,731", "7 731", Arabic "٧٬٧٣١".
# A separator joins only a group of three digits: read across any separator, "Laurent
# Fabius, 70" masked as "7731, 70" read "773170", and "Reuters, AFP" ("7731, 7732")
# "77317732", so correctly copied placeholders counted as lost.
_D = "0-9\u0660-\u0669\u06f0-\u06f9"
# Grouped only from a first group of one to three digits: "7731 737" ("Boeing 737" masked)
# is the placeholder and the number, never 7,731,737.
_DIGIT_RUN = re.compile(
    rf"[{_D}]{{1,3}}(?:[\u00a0\u202f ,.\u066b\u066c][{_D}]{{3}}(?![{_D}]))+|[{_D}]+"
)


@dataclass(frozen=True)
class Masked:
    """A sentence with its terms replaced by placeholders, and how to put them back."""

    text: str  # what goes to the model
    pieces: tuple[str, ...]  # the sentence cut around its terms: text, term, text, term, text
    terms: tuple[Term, ...]
    placeholders: tuple[str, ...]

    def targets(self, lang: str) -> list[str]:
        """Return each term as it goes back into the translation: its target, with a capital
        where the sentence gave the lower-case term one ("Euro area" at a sentence's start
        came back "euro area")."""
        out = []
        for term, found in zip(self.terms, self.pieces[1::2], strict=True):
            target = term.target(lang)
            if found != term.text and _capitalized(target[:1]) != target[:1]:
                target = _capitalized(target[:1]) + target[1:]
            out.append(target)
        return out


def mask(sentence: str, glossary: Glossary) -> Masked:
    """Replace each glossary term of a sentence with a placeholder number."""
    found = glossary.find(sentence)
    if not found:
        return Masked(sentence, (sentence,), (), ())
    taken = set(re.findall(r"\d+", sentence))
    placeholders: list[str] = []
    number = PLACEHOLDER_BASE
    for _ in found:
        while str(number) in taken:
            number += 1
        placeholders.append(str(number))
        number += 1
    pieces: list[str] = []
    out: list[str] = []
    at = 0
    for (start, end, _), placeholder in zip(found, placeholders, strict=True):
        pieces.extend([sentence[at:start], sentence[start:end]])
        out.extend([sentence[at:start], placeholder])
        at = end
    pieces.append(sentence[at:])
    out.append(sentence[at:])
    return Masked("".join(out), tuple(pieces), tuple(t for _, _, t in found), tuple(placeholders))


def unmask(output: str, masked: Masked, lang: str) -> str | None:
    """Return a translation with its placeholders replaced by the terms' targets.

    None when a placeholder is missing or repeated: the model did not copy it.
    """
    if not masked.terms:
        return output
    runs = [(m.start(), m.end(), _ascii_digits(m.group())) for m in _DIGIT_RUN.finditer(output)]
    wanted = dict(zip(masked.placeholders, masked.targets(lang), strict=True))
    hits = [(s, e, digits) for s, e, digits in runs if digits in wanted]
    if sorted(d for _, _, d in hits) != sorted(wanted):
        return None
    result = output
    for start, end, digits in sorted(hits, reverse=True):
        result = result[:start] + wanted[digits] + result[end:]
    return result


def _ascii_digits(text: str) -> str:
    """Return the digits of a number as ASCII, separators dropped (Arabic digits too)."""
    table = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
    return "".join(ch for ch in text.translate(table) if ch.isdigit())


def protect(
    sentences: Sequence[str],
    glossary: Glossary,
    lang: str,
    translate: Callable[[list[str]], list[str | None]],
) -> list[str | None]:
    """Translate sentences with every glossary term kept verbatim or in its house translation.

    translate is the model call (a list of texts to a list of translations, None for one that
    failed). Sentences whose placeholders the model does not copy are translated again in
    pieces around their terms. A sentence whose translation failed stays None.
    """
    masked = [mask(s, glossary) for s in sentences]
    outputs = translate([m.text for m in masked]) if masked else []
    results: list[str | None] = []
    redo: list[int] = []
    for i, (output, m) in enumerate(zip(outputs, masked, strict=True)):
        restored = unmask(output, m, lang) if output is not None else None
        if output is not None and restored is None:
            redo.append(i)
        results.append(restored)
    if redo:
        # The text between terms, each piece on its own; punctuation alone needs no model.
        texts = [
            piece.strip()
            for i in redo
            for piece in masked[i].pieces[0::2]
            if re.search(r"[^\W\d_]", piece)
        ]
        translated = iter(translate(texts) if texts else [])
        for i in redo:
            parts: list[str | None] = []
            targets = masked[i].targets(lang)
            for k, piece in enumerate(masked[i].pieces):
                if k % 2:
                    parts.append(targets[k // 2])
                elif re.search(r"[^\W\d_]", piece):
                    parts.append(next(translated))
                elif piece.strip():
                    parts.append(piece.strip())
            results[i] = None if None in parts else _joined([p for p in parts if p], lang)
    return results


# Text that sticks to the piece before it ("Reuters" + "." is "Reuters.") or after it. French
# sets a space before ; : ! ? and inside « », so those keep theirs there.
_STICKS_LEFT = re.compile(r"^[.,;:!?%)\]}\u00bb\u201d\u2019\u060c\u061b\u061f]")
_STICKS_LEFT_FR = re.compile(r"^[.,%)\]}\u201d\u2019]")
_STICKS_RIGHT = re.compile(r"[(\[{\u00ab\u201c\u2018]$")
_STICKS_RIGHT_FR = re.compile(r"[(\[{\u201c\u2018]$")


def _joined(parts: list[str], lang: str) -> str:
    """Join translated pieces and terms with a space, but none before closing punctuation or
    after an opening bracket or quote (as the language sets them)."""
    left, right = (
        (_STICKS_LEFT_FR, _STICKS_RIGHT_FR) if lang == "fr" else (_STICKS_LEFT, _STICKS_RIGHT)
    )
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out += ("" if left.match(part) or right.search(out) else " ") + part
    return out


def missing(glossary: Glossary, brief: str, translation: str, lang: str) -> list[str]:
    """Return the terms of a brief whose target form is not in its translation."""
    folded = translation.casefold()
    out = []
    for _, _, term in glossary.find(brief):
        target = term.target(lang)
        if target.casefold() not in folded and target not in out:
            out.append(target)
    return out
