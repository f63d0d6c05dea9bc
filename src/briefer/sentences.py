"""Sentence splitting with character spans, shared by chunking, translation and extraction."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

Span = tuple[int, int]


def has_letters(text: str) -> bool:
    """Return whether text has a letter in it: numbers and punctuation are not translated."""
    return any(ch.isalpha() for ch in text)


# A segmenter per thread: pysbd's Segmenter keeps the text it is splitting on itself
# (segment() sets self.original_text and reads it back), so two threads sharing one split each
# other's text. One warm Briefer on 8 threads gave other sentences in 182 of 200 splits.
_local = threading.local()


def _segmenter(lang: str):  # noqa: ANN202 - pysbd has no public type
    """Return this thread's pysbd segmenter for a language: its own rules where pysbd has them
    (its LANGUAGE_CODES: 23 languages in 0.3, Hindi's danda and Amharic's full stop among
    them), else its English rules."""
    made = getattr(_local, "segmenters", None)
    if made is None:
        made = _local.segmenters = {}
    segmenter = made.get(lang)
    if segmenter is None:
        import pysbd
        from pysbd.languages import LANGUAGE_CODES

        code = lang if lang in LANGUAGE_CODES else "en"
        segmenter = made[lang] = pysbd.Segmenter(language=code, clean=False)
        if lang in ("ar", "fa"):
            segmenter.language_module = _mended_rules(segmenter.language_module)
    return segmenter


@lru_cache(maxsize=4)
def _mended_rules(rules: type) -> type:
    """Return pysbd's Arabic or Persian rules with two faults of pysbd 0.3 mended (a reading
    of Arabic agency copy, 2026-12-07):

    - They end a sentence at a colon (and Arabic's at every Arabic comma): "وقال رئيس
      الحكومة للصحافيين:" ("the prime minister told reporters:") stood apart from the quote
      it introduces, and "بيروت،" was a sentence. French and English rules end neither.
    - Their abbreviation rule reads one-letter abbreviations ("ا", "م", "ه") anywhere in a
      word when a line starts with one: a paragraph opening with "الساعة" or "مصادر" ran
      every sentence ending in "صباحا." or "اليوم." into the next. The abbreviation now
      counts only as a word of its own, as the rule means it to.
    """

    class Replacer(rules.AbbreviationReplacer):  # type: ignore[name-defined]
        def scan_for_replacements(self, txt: str, am: str, index: int, chars: list[str]) -> str:
            return re.sub(rf"(?<!\S)({re.escape(am.strip())})\.", "\\1\u222f", txt)

    ends = "".join(p for p in rules.Punctuations if p not in (":", "\u060c"))
    return type(
        rules.__name__,
        (rules,),
        {
            "Punctuations": list(ends),
            "SENTENCE_BOUNDARY_REGEX": rf".*?[{re.escape(ends)}]|.*?\Z|.*?$",
            "AbbreviationReplacer": Replacer,
        },
    )


# The longest text pysbd is given at once, in characters. Its time grows with the square of
# its input (measured on 2 busy vCPUs: 1,000 chars 17 ms, 4,000 chars 274 ms, 8,000 chars
# 927 ms; a 200,000-char line with no punctuation took ~57 s), so a longer paragraph goes
# through it in windows of this size, which keeps the cost linear. A sentence longer than this
# (about 170 words; real news sentences stay far below) is cut at its last space inside it.
# A 200,000-char paragraph that pysbd must see whole window by window (colons, or ordinary
# sentences) now takes 10-13 s on the same busy machine, 50-65 ms a window, linear in its length.
MAX_PIECE = 1000
# Characters of text after a boundary inside a window that pysbd must have seen to keep it.
_CONTEXT = 100

# pysbd ends a sentence only at a line break, a list marker such as "a)" or "2.", or one of its
# languages' end punctuation. A window of only letters, digits, spaces, commas, quotes, dashes
# and slashes holds none, so it is cut without asking pysbd: a 200,000-char line of words
# splits in 0.06 s instead of ~57 s, and one of comma-separated words in 0.03 s.
_NO_BOUNDARY = re.compile(r"[\w \t,'\"\u2018\u2019\u201c\u201d\u00ab\u00bb/\-\u2013\u2014]*")
# The same with end punctuation at its very end: nothing follows the one place a sentence
# could end, so it is one sentence; pysbd finds no boundary before that punctuation either (a
# test holds them to it), though it may cut the punctuation itself ("2..." into "2.." and
# "."). Not with a closing quote after it: pysbd makes a sentence of the quote, and so does
# briefer, whichever way the text goes. A headline or a one-line sentence piped to `briefer
# translate` thus never loads pysbd: 19 ms to import it and 12 ms to compile its rules.
_ONE_SENTENCE = re.compile(
    r"[\w \t,'\"\u2018\u2019\u201c\u201d\u00ab\u00bb/\-\u2013\u2014]*"
    r"[.!?\u2026\u061f]+[ \t]*"
)


def split_sentences(
    text: str, start: int = 0, end: int | None = None, lang: str = "en"
) -> list[Span]:
    """Split text[start:end] into sentence spans that together cover all its non-space text.

    No span is longer than MAX_PIECE characters: a longer run without a sentence boundary is
    cut at whitespace (or, with none, between two characters).
    """
    end = len(text) if end is None else end
    segment = text[start:end]
    if not segment.strip():
        return []
    spans: list[Span] = []
    pos = 0
    while pos < len(segment):
        stop = min(len(segment), pos + MAX_PIECE)
        window = segment[pos:stop]
        if _NO_BOUNDARY.fullmatch(window) or (
            stop == len(segment) and _ONE_SENTENCE.fullmatch(window)
        ):
            found = [_strip_span(window, 0, len(window))] if window.strip() else []
        else:
            found = _pysbd_spans(window, lang)
        found = [(pos + s, pos + e) for s, e in found]
        if stop == len(segment):
            spans.extend(found)
            break
        # The last sentence may run on past the window: it starts the next one. So does any
        # boundary pysbd drew with less than _CONTEXT characters after it ("U.S. A" may end a
        # sentence where "U.S. Army" does not), unless it is the window's only one.
        keep = max(len(found) - 1, 0)
        while keep > 1 and pos + len(window) - found[keep][0] < _CONTEXT:
            keep -= 1
        if keep:
            spans.extend(found[:keep])
            pos = found[keep][0]
            continue
        # No boundary in a whole window: cut the run, at its last space if it has one.
        cut = _cut(segment, pos, stop)
        if segment[pos:cut].strip():
            spans.append(_strip_span(segment, pos, cut))
        pos = cut
    spans = _close_gaps(segment, spans)
    spans = _split_after(_QUOTE_END, segment, _split_after(_PLACE_END, segment, spans))
    spans = _join_false_ends(segment, spans)
    return [(start + s, start + e) for s, e in spans]


# Where pysbd goes on past a sentence's end: after "D.C." before a capital that opens a sentence
# ("in Washington, D.C. The Fed's next meeting ..."), which it splits after "U.S." and "U.K.".
_PLACE_END = re.compile(
    r"\b(?:D\.C|U\.S|U\.K|U\.N|E\.U)\.(?= (?:The|A|An|He|She|It|They|We|This|That|These|Those"
    r"|His|Her|Its|Their|But|In|On|At|After|When|While)\s)"
)


def _split_after(pattern: re.Pattern[str], segment: str, spans: list[Span]) -> list[Span]:
    """Split spans after each match of a sentence end pysbd went on past (_PLACE_END,
    _QUOTE_END), the next span starting at the next non-space character."""
    out: list[Span] = []
    for s, e in spans:
        for found in pattern.finditer(segment, s, e):
            out.append((s, found.end()))
            s = found.end()
            while s < e and segment[s].isspace():
                s += 1
        out.append((s, e))
    return out


# Where pysbd's French rules go on past a quoted sentence's end: AFP closes a quote with a
# space inside the guillemets ("« Nous sommes prêts. » Le ministre a ajouté ..."), and a new
# sentence starts with a capital after it ("Il a dit : « Non ! » Puis il est parti.").
_QUOTE_END = re.compile(r"[.!?\u2026]\s?[\u00bb\u201d](?=\s+[A-Z\u00c0-\u00dd])")


# Where pysbd ends a sentence that goes on, seen in agency copy (a reading trial, 2026-12-07;
# Arabic commas and colons no longer end one: _mended_rules):
# - a closing quote or bracket left alone after "؟" or "!" belongs to the sentence before;
_CLOSER_START = re.compile(r"^[\u00bb\u201d\u2019\u203a)\]](?:\s|$)")
# - a title before a name ("Dr. Martin", "Le Dr. Martin", Arabic "د."), never a sentence's end;
_TITLE_END = re.compile(
    r"(?:^|[\s(«\u201c\"])(?:Dr|Mr|Mrs|Ms|Mme|Mlle|Mgr|Pr|Prof|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt"
    r"|\u062f)\.$"
)
# - a unit's or a word's abbreviation followed by lower case ("about 60 mi. south of Dallas",
#   "the 10-yr. note"): news sentences start with a capital ("He said no. eBay shares fell"
#   does end one, hence the list);
_SHORT_ABBREVIATION_END = re.compile(
    r"\b(?:mi|km|ft|yd|lb|lbs|oz|kg|yr|yrs|mo|mos|wk|wks|hr|hrs|min|mins|sec|approx|vs|etc"
    r"|incl|cf|ca|pp|vol|fig|dept|govt|est|avg|max|temp|bn|mln|pct)\.$"
)
_LOWER_START = re.compile(r"^[a-z]")
# - what follows a time ("by 3:30 p.m. EST.", "at 5 p.m. Friday."): a lone 2-4 capital word
#   is no sentence, and after "a.m."/"p.m." a zone or a day goes with the time.
_ZONE_ONLY = re.compile(r"^[A-Z]{2,4}\.$")
_CLOCK_END = re.compile(r"\b[ap]\.m\.$")
_AFTER_CLOCK = re.compile(
    r"^(?:[A-Z]{2,4}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|tonight"
    r"|tomorrow|yesterday|local\s+time|on|in|at)\b"
)


def _join_false_ends(segment: str, spans: list[Span]) -> list[Span]:
    """Join spans where the first does not end a sentence (the patterns above); a joined span
    stays within MAX_PIECE."""
    out: list[Span] = []
    for s, e in spans:
        if out:
            before = segment[out[-1][0] : out[-1][1]]
            after = segment[s:e]
            joins = (
                _CLOSER_START.match(after)
                or _TITLE_END.search(before)
                or (_SHORT_ABBREVIATION_END.search(before) and _LOWER_START.match(after))
                or (before.endswith(".") and _ZONE_ONLY.match(after))
                or (_CLOCK_END.search(before) and _AFTER_CLOCK.match(after))
            )
            if joins and e - out[-1][0] <= MAX_PIECE:
                out[-1] = (out[-1][0], e)
                continue
        out.append((s, e))
    return out


def _pysbd_spans(segment: str, lang: str) -> list[Span]:
    """Return the spans of the sentences pysbd finds in a segment, stripped of spaces."""
    spans: list[Span] = []
    cursor = 0
    for piece in _segmenter(lang).segment(segment):
        piece = piece.strip()
        if not piece:
            continue
        found = segment.find(piece, cursor)
        if found < 0:
            # pysbd rewrote the text; whatever it could not place joins the previous span later.
            continue
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    return spans


def _strip_span(text: str, start: int, end: int) -> Span:
    """Return the span of text[start:end] without its leading and trailing whitespace."""
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    return start + left, start + len(piece.rstrip())


def _cut(text: str, start: int, limit: int) -> int:
    """Return where to cut text[start:] at or before limit: after its last space, else between
    two characters that do not belong together (never before a combining mark)."""
    for at in range(limit, start + 1, -1):
        if text[at - 1].isspace():
            return at
    at = limit
    while at > start + 1 and unicodedata.combining(text[at]):
        at -= 1
    return at


def _close_gaps(segment: str, spans: list[Span]) -> list[Span]:
    """Extend spans so that no non-space character of the segment is left outside them."""
    out: list[Span] = []
    pos = 0
    for s, e in spans:
        gap = segment[pos:s]
        if gap.strip():
            if out:
                # Stray text between sentences belongs to the sentence before it.
                out[-1] = (out[-1][0], s - (len(gap) - len(gap.rstrip())))
            else:
                s = pos + (len(gap) - len(gap.lstrip()))
        out.append((s, e))
        pos = e
    tail = segment[pos:]
    if tail.strip():
        stripped_end = pos + len(tail.rstrip())
        if out:
            out[-1] = (out[-1][0], stripped_end)
        else:
            out.append((pos + len(tail) - len(tail.lstrip()), stripped_end))
    return out
