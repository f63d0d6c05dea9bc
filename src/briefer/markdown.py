"""Markdown translation on a CommonMark parser: only the prose of inline text reaches the model.

The document is parsed with markdown-it-py (CommonMark, plus GFM tables and YAML front matter).
Each run of inline text (a paragraph, a heading, a table cell, an image's alt text) is one
*unit*. Its prose goes to the translator as one text, in which the inline markup it crosses
(emphasis, links, code spans, raw HTML, autolinks, bare URLs, hard breaks) stands as numbered
placeholders, so that a sentence split by a link is still translated as one sentence. The
translation is checked (every placeholder back once, pairs nested, the same inline markup when
parsed again) and written back over the unit's own source range, so every byte outside the
prose — code, HTML, link destinations, reference definitions, front matter, list markers,
block-quote markers, table pipes — is copied from the input. A unit whose placeholders do not
come back is translated again piece by piece, between its markup, so nothing is dropped.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MethodType
from typing import Any

from .sentences import has_letters
from .sources import TOML_FRONT

log = logging.getLogger(__name__)

Translate = Callable[[list[str]], list[str]]
"""Translates a batch of plain texts, returning one translation per text, in order."""

# Placeholders the model sees: <1> … </1> around emphasis and link text, <2/> for an atom.
# Spaces inside the brackets are tolerated, as tokenizers sometimes split them off.
_PLACEHOLDER = re.compile(r"<\s*(/?)\s*(\d{1,4})\s*(/?)\s*>")
# Characters that would start inline markup if translated text carried them literally.
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<|]|&(?=#?[0-9A-Za-z]+;)")
# A pipe not escaped by a backslash.
_PIPE = re.compile(r"(?<!\\)\|")
# In a heading "#" too, in the same pass: escaped after it, the pipe's "&#124;" became
# "&\#124;", which reads as the text "&#124;".
_HEADING_SPECIAL = re.compile(r"[\\`*_\[\]<|#]|&(?=#?[0-9A-Za-z]+;)")
# Text at the start of a line that would open a block: a heading, quote, list item, rule,
# setext underline or fence (`*` and `_` are escaped everywhere already).
_LINE_START = re.compile(r"^(?:(\d{1,9})([.)])|[#>+\-=~])")
_LINE_TERMINATOR = re.compile(r"\r\n?|\n")
_MD_SPACE = " \t\n\r\f\v"


# --- the parser --------------------------------------------------------------------------------


@dataclass
class _Step:
    """One inline rule that matched: its name, the content range it consumed, its tokens."""

    rule: str
    start: int
    end: int
    tokens: list[Any]
    label: tuple[int, int] | None  # a link's text, tokenized in a nested call


@cache
def without_tags(text: str) -> str:
    """Return a prose unit's text as the model read it, less the numbered tags that stand for
    its inline markup ("met in <1>Paris</1>" -> "met in Paris")."""
    return _PLACEHOLDER.sub("", text)


def split_front_matter(markdown: str) -> tuple[str, str]:
    """Return a document's YAML front matter, or Hugo's TOML (its closing line included), and
    the rest; ("", markdown) when it has none. A wrapper put around a document goes after its
    front matter, which site generators (Jekyll, Hugo) read only at the very start."""
    toml = TOML_FRONT.match(markdown)
    if toml:
        return markdown[: toml.end()], markdown[toml.end() :]
    lines = _Lines(markdown)
    tokens = _parser().parse("\n".join(lines.text), {})
    if not tokens or tokens[0].type != "front_matter" or not tokens[0].map:
        return "", markdown
    end = tokens[0].map[1]
    cut = lines.starts[end] if end < len(lines.starts) else len(markdown)
    return markdown[:cut], markdown[cut:]


# What ends each kind of CommonMark HTML block that only a closing string ends (kinds 1-5 of
# the spec); the other kinds end at a blank line and never run to the end of a document.
_HTML_BLOCK_ENDS = (
    (re.compile(r"<(pre|script|style|textarea)[\s>]", re.IGNORECASE), "</{0}>"),
    (re.compile(r"<!--"), "-->"),
    (re.compile(r"<\?"), "?>"),
    (re.compile(r"<!\[CDATA\["), "]]>"),
    (re.compile(r"<![A-Za-z]"), ">"),
)


def close_open_block(markdown: str) -> str:
    """Return a document with a fenced code block or raw HTML block left open at its end closed.

    CommonMark runs such a block to the end of the document, so whatever a wrapper adds after
    it (the `</div>` of a right-to-left block) would become code. The added closing line
    changes nothing the document showed: the block ran to its end either way.
    """
    parser = _parser()  # the blocks are what matters here: inline parsing is off

    def swallowed(text: str) -> Any:
        """Return the block that swallows a line added after the text, None if none does."""
        tokens = [t for t in parser.parse(text + "\n\n<p></p>\n", {}) if t.level == 0]
        last = tokens[-1] if tokens else None
        return None if last is None or last.content == "<p></p>\n" else last

    block = swallowed(markdown)
    if block is None:
        return markdown
    closer = None
    if block.type == "fence":
        closer = block.markup
    elif block.type == "html_block":
        for opener, end in _HTML_BLOCK_ENDS:
            found = opener.match(block.content.lstrip(" "))
            if found:
                closer = end.format(*found.groups())
                break
    if closer is None:
        return markdown
    closed = markdown.rstrip("\n") + "\n" + closer + "\n"
    return markdown if swallowed(closed) is not None else closed


def _parser() -> Any:
    """Return the markdown-it parser: CommonMark, GFM tables, front matter, source tracking."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    # Footnotes as the summarize reader (sources.py) and GitHub read them: a definition
    # ("[^1]: Port figures") is a block of its own, its label kept, its text translated.
    # move_to_end off: each definition stays where it is written (its tail rule would move
    # the cited ones to the end and drop the rest). A Pandoc inline note ("^[According to the
    # ministry.]") is the plugin's: kept as written, as a code span is (read as prose, its
    # brackets came back escaped, "^\[...\]", no note at all once it held a link).
    md = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(front_matter_plugin)
        .use(footnote_plugin, move_to_end=False)
    )
    # Inline content is parsed here, with its source tracked, not by the core pass (a third of
    # the time on a long document).
    md.core.ruler.disable("inline")
    # Unused emphasis markers stay separate text tokens, so each keeps the place it came from.
    md.inline.ruler2.disable("fragments_join")
    md.inline.tokenize = MethodType(_tokenize, md.inline)
    ruler = md.block.ruler
    table = ruler.__rules__[ruler.__find__("table")]
    ruler.at("table", _recording_table(table.fn), {"alt": list(table.alt)})
    return md


def _state_class() -> type:
    """Return the inline state class that tells flushed plain text from rule tokens."""
    from markdown_it.rules_inline import StateInline

    class TrackedState(StateInline):  # type: ignore[misc]
        """An inline parse state that records the content range each rule consumed."""

        def __init__(self, src: str, md: Any, env: Any) -> None:
            super().__init__(src, md, env, [])
            self.steps: list[_Step] = []
            self.labels: list[tuple[int, int]] = []

        def pushPending(self) -> Any:  # noqa: N802 - markdown-it's name
            """Flush pending text as a token, marked as plain text rather than a rule's."""
            token = super().pushPending()
            token.meta["pending"] = True
            return token

    return TrackedState


_TRACKED: list[type] = []


def _tracked_state(src: str, env: Any) -> Any:
    """Return a fresh source-tracking inline state over src."""
    if not _TRACKED:
        _TRACKED.append(_state_class())
    return _TRACKED[0](src, _parser(), env)


def _tokenize(inline: Any, state: Any) -> None:
    """Tokenize as markdown-it does, recording each matched rule's range on tracked states."""
    from markdown_it.parser_inline import ParserInline

    if not _TRACKED or not isinstance(state, _TRACKED[0]):
        ParserInline.tokenize(inline, state)
        return
    names = {id(rule.fn): rule.name for rule in inline.ruler.__rules__}
    rules = inline.ruler.getRules("")
    end = state.posMax
    state.labels.append((state.pos, end))
    max_nesting = state.md.options["maxNesting"]
    while state.pos < end:
        pos, count, labels = state.pos, len(state.tokens), len(state.labels)
        matched = None
        if state.level < max_nesting:
            for rule in rules:
                if rule(state, False):
                    matched = rule
                    break
        if matched is None:
            state.append_pending(state.src[state.pos])
            state.pos += 1
            continue
        if state.pos <= pos:
            raise RuntimeError("inline rule didn't increment state.pos")
        made = [token for token in state.tokens[count:] if not token.meta.get("pending")]
        label = state.labels[labels] if len(state.labels) > labels else None
        state.steps.append(_Step(names.get(id(matched), ""), pos, state.pos, made, label))
        if state.pos >= end:
            break
    if state.pending:
        state.pushPending()


def _recording_table(rule: Callable[..., bool]) -> Callable[..., bool]:
    """Wrap the table rule to record where each row's text starts, past quote and list markers."""

    def table(state: Any, start: int, end: int, silent: bool) -> bool:
        """Run the table rule; on a match, note each row line's first content offset."""
        found = rule(state, start, end, silent)
        if found and not silent:
            rows = state.env.setdefault("briefer_rows", {})
            for line in range(start, state.line):
                rows[line] = state.bMarks[line] + state.tShift[line]
        return found

    return table


# --- inline pieces -----------------------------------------------------------------------------


@dataclass
class _Piece:
    """A stretch of a unit's content: prose, a soft break, a pair's marker, or an atom."""

    kind: str  # "text", "space", "open", "close" or "atom"
    start: int
    end: int
    text: str = ""  # for "text": what the model reads (escapes and entities decoded)
    pair: int = -1  # for "open"/"close": which pair
    hard: bool = False  # an atom that is a hard line break
    alt: _Unit | None = None  # for an image: its alt text, a unit of its own

    def blank(self) -> bool:
        """Return whether this piece is whitespace only."""
        return self.kind == "space" or (self.kind == "text" and not self.text.strip())


@cache
def _linkify() -> Any:
    """Return the bare-URL finder markdown-it itself uses for GFM autolinks."""
    from linkify_it import LinkifyIt

    return LinkifyIt()


def _pieces(content: str, start: int, end: int, env: Any) -> list[_Piece]:
    """Cut content[start:end] into pieces, with offsets into content."""
    md = _parser()
    state = _tracked_state(content[start:end], env)
    md.inline.tokenize(state)
    for rule in md.inline.ruler2.getRules(""):
        rule(state)
    # Pair each opening token with its closing one, as the final token stream nests them.
    pair_of: dict[int, int] = {}
    stack: list[int] = []
    for token in state.tokens:
        if token.nesting == 1:
            stack.append(id(token))
            pair_of[id(token)] = len(pair_of)
        elif token.nesting == -1 and stack:
            pair_of[id(token)] = pair_of[stack.pop()]
    marks: list[_Piece] = []
    for step in state.steps:
        marks.extend(_step_pieces(step, state, pair_of, env, content, start))
    marks.sort(key=lambda piece: piece.start)
    pieces: list[_Piece] = []
    at = 0
    for mark in marks:
        if mark.end <= at:
            continue  # inside an atom already taken whole
        mark.start = max(mark.start, at)
        if mark.start > at:
            pieces.extend(_prose(state.src, at, mark.start))
        pieces.append(mark)
        at = mark.end
    if at < len(state.src):
        pieces.extend(_prose(state.src, at, len(state.src)))
    for piece in pieces:
        piece.start += start
        piece.end += start
    return _footnote_marks(content, pieces)


# A footnote's mark ("Ships waited.[^1]") and a footnote's label ("[^1]: Port figures"), as
# GitHub, Pandoc and most CMS exports write them, where the footnote plugin does not take them
# (a mark with no definition): CommonMark reads them as text, and a model would translate or
# drop them.
_FOOTNOTE = re.compile(r"\[\^[^\]\s]{1,40}\]:?")


def _footnote_marks(content: str, pieces: list[_Piece]) -> list[_Piece]:
    """Make each footnote mark or label in plain prose an atom: kept as written, where the
    translation puts it."""
    out: list[_Piece] = []
    for piece in pieces:
        raw = content[piece.start : piece.end]
        if piece.kind != "text" or raw != piece.text or "[^" not in raw:
            out.append(piece)
            continue
        at = 0
        for match in _FOOTNOTE.finditer(raw):
            if match.start() > at:
                text = raw[at : match.start()]
                out.append(_Piece("text", piece.start + at, piece.start + match.start(), text=text))
            out.append(_Piece("atom", piece.start + match.start(), piece.start + match.end()))
            at = match.end()
        if at < len(raw):
            out.append(_Piece("text", piece.start + at, piece.end, text=raw[at:]))
    return out


def _step_pieces(
    step: _Step, state: Any, pair_of: dict[int, int], env: Any, content: str, base: int
) -> list[_Piece]:
    """Return the markup pieces one rule match makes (none when it only read text).

    Offsets are into state.src, which is content[base:]; an image's alt text is parsed as a
    unit of its own, with offsets into content.
    """
    if not step.tokens:
        return []  # text, or a backtick run that opened no code span: prose
    first = step.tokens[0]
    if step.rule == "emphasis":
        return _emphasis_pieces(step, pair_of)
    if first.type == "hardbreak":
        start = step.start
        while start > 0 and state.src[start - 1] == " ":
            start -= 1  # the two or more spaces that make the break belong to it
        return [_Piece("atom", start, step.end, hard=True)]
    if first.type == "softbreak":
        return [_Piece("space", step.start, step.end)]
    if first.type == "text_special":  # a backslash escape or an entity: prose, decoded
        return [_Piece("text", step.start, step.end, text=first.content)]
    if first.type == "link_open" and step.rule == "link" and step.label:
        pair = pair_of[id(first)]
        label_start, label_end = step.label
        if state.src[label_end : step.end] in ("]", "][]"):
            # `[label]` and `[label][]`: the text is the reference's label, so it stays.
            return [_Piece("atom", step.start, step.end)]
        return [
            _Piece("open", step.start, label_start, pair=pair),
            _Piece("close", label_end, step.end, pair=pair),
        ]
    if first.type == "image":
        from markdown_it.rules_inline import StateInline

        probe = StateInline(state.src, state.md, env, [])
        label_end = state.md.helpers.parseLinkLabel(probe, step.start + 1, False)
        atom = _Piece("atom", step.start, step.end)
        if label_end > step.start + 2 and state.src[label_end : step.end] not in ("]", "][]"):
            alt = _pieces(content, base + step.start + 2, base + label_end, env)
            atom.alt = _Unit(content, alt)
        return [atom]
    return [_Piece("atom", step.start, step.end)]  # code span, raw HTML, autolink


def _emphasis_pieces(step: _Step, pair_of: dict[int, int]) -> list[_Piece]:
    """Return the markers of a `*`/`_` run that became emphasis; the rest stays prose."""
    tokens = step.tokens
    pieces: list[_Piece] = []
    used: set[int] = set()
    for index, token in enumerate(tokens):
        if token.type in ("em_open", "strong_open", "em_close", "strong_close"):
            start = end = step.start + index
            end += 1
            # markdown-it makes `**` from two one-character tokens and empties the outer one.
            if token.type == "strong_open" and index > 0:
                start -= 1
                used.add(index - 1)
            elif token.type == "strong_close" and index + 1 < len(tokens):
                end += 1
                used.add(index + 1)
            kind = "open" if token.nesting == 1 else "close"
            pieces.append(_Piece(kind, start, end, pair=pair_of[id(token)]))
    return pieces


def _prose(src: str, start: int, end: int) -> Iterator[_Piece]:
    """Yield the prose in src[start:end], with bare URLs and e-mail addresses as atoms."""
    text = src[start:end]
    at = 0
    for match in _linkify().match(text) or []:
        if match.index > at:
            yield _Piece("text", start + at, start + match.index, text=text[at : match.index])
        yield _Piece("atom", start + match.index, start + match.last_index)
        at = match.last_index
    if at < len(text):
        yield _Piece("text", start + at, end, text=text[at:])


def _signature(text: str, env: Any) -> Counter[tuple[str, ...]]:
    """Return the inline markup text holds, as a multiset: what a translation must keep."""
    md = _parser()
    found: Counter[tuple[str, ...]] = Counter()
    for token in md.inline.parse(text, md, env, []):
        if token.type in ("code_inline", "html_inline"):
            found[(token.type, token.markup, token.content)] += 1
        elif token.type in ("link_open", "image"):
            attrs = token.attrs
            found[(token.type, token.markup, str(attrs.get("href", attrs.get("src", ""))))] += 1
            found[("title", str(attrs.get("title", "")))] += 1
        elif token.type in ("hardbreak", "em_open", "strong_open"):
            found[(token.type, token.markup)] += 1
    return found


# --- units -------------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One run of inline content and the pieces it is made of."""

    content: str
    pieces: list[_Piece]
    line_start: bool = False  # the content opens a line (a paragraph), not mid-line
    heading: bool = False
    raw: Callable[[int, int], str] | None = None  # the source text of a content range
    env: Any = None
    first: str | None = None  # the model text sent whole, when there is one
    segments: list[tuple[int, int, str]] = field(default_factory=list)  # piece range, text
    result: tuple[str, str] | None = None  # (source text, content text) once translated
    markup: Counter[tuple[str, ...]] | None = None  # the inline markup it must keep
    wrap: tuple[int, int, str] | None = None  # width, first column, continuation prefix

    def source(self, start: int, end: int) -> str:
        """Return the document's text for a content range (with any line prefixes inside)."""
        return self.raw(start, end) if self.raw else self.content[start:end]

    def core(self) -> tuple[int, int]:
        """Return the piece range the model sees: edges of atoms and enclosing pairs peeled."""
        pieces = self.pieces
        low, high = 0, len(pieces)
        while True:
            while low < high and pieces[low].blank():
                low += 1
            while low < high and pieces[high - 1].blank():
                high -= 1
            if low < high and pieces[low].kind == "atom":
                low += 1
            elif low < high and pieces[high - 1].kind == "atom":
                high -= 1
            elif (
                high - low >= 2
                and pieces[low].kind == "open"
                and pieces[high - 1].kind == "close"
                and pieces[low].pair == pieces[high - 1].pair
            ):
                low, high = low + 1, high - 1
            else:
                return low, high

    def plan(self) -> list[str]:
        """Return the texts this unit needs translated first: its core with placeholders."""
        low, high = self.core()
        core = self.pieces[low:high]
        if not any(p.kind == "text" and has_letters(p.text) for p in core):
            return []
        if any(p.kind == "text" and _PLACEHOLDER.search(p.text) for p in core):
            return self.plan_segments()  # the prose itself looks like a placeholder
        numbers: dict[int, int] = {}
        parts = []
        for piece in core:
            if piece.kind == "text":
                parts.append(piece.text)
            elif piece.kind == "space":
                parts.append(" ")
            else:
                key = piece.pair if piece.kind in ("open", "close") else -1 - id(piece)
                number = numbers.setdefault(key, len(numbers) + 1)
                parts.append(
                    f"<{number}>"
                    if piece.kind == "open"
                    else f"</{number}>"
                    if piece.kind == "close"
                    else f"<{number}/>"
                )
        self.first = _squash("".join(parts))
        return [self.first]

    def plan_segments(self) -> list[str]:
        """Return the texts of the prose between this unit's markup, one per stretch."""
        low, high = self.core()
        self.first = None
        self.segments = []
        at = low
        while at < high:
            if self.pieces[at].kind in ("text", "space"):
                end = at
                while end < high and self.pieces[end].kind in ("text", "space"):
                    end += 1
                text = _squash("".join(p.text or " " for p in self.pieces[at:end]))
                if has_letters(text):
                    self.segments.append((at, end, text))
                at = end
            else:
                at += 1
        return [text for _, _, text in self.segments]

    def restore(self, translated: str) -> list[_Piece | str] | None:
        """Return the core as pieces and translated prose, or None if the markup did not survive."""
        low, high = self.core()
        core = self.pieces[low:high]
        numbered: dict[tuple[str, int], _Piece] = {}
        numbers: dict[int, int] = {}
        for piece in core:
            if piece.kind in ("text", "space"):
                continue
            key = piece.pair if piece.kind in ("open", "close") else -1 - id(piece)
            number = numbers.setdefault(key, len(numbers) + 1)
            numbered[(piece.kind, number)] = piece
        items: list[_Piece | str] = []
        seen: set[tuple[str, int]] = set()
        stack: list[int] = []
        at = 0
        for match in _PLACEHOLDER.finditer(translated):
            items.append(translated[at : match.start()])
            at = match.end()
            closing, number, empty = match.group(1), int(match.group(2)), match.group(3)
            kind = "close" if closing else "atom" if empty else "open"
            if closing and empty or (kind, number) not in numbered or (kind, number) in seen:
                return None
            seen.add((kind, number))
            if kind == "open":
                stack.append(number)
            elif kind == "close" and (not stack or stack.pop() != number):
                return None
            items.append(numbered[(kind, number)])
        items.append(translated[at:])
        if len(seen) != len(numbered):
            return None
        return self.edges(_tidy(items))

    def edges(self, items: list[_Piece | str]) -> list[_Piece | str]:
        """Put back the whitespace the core had at its edges, which the model does not keep."""
        low, high = self.core()
        if low < high:
            text = self.content[self.pieces[low].start : self.pieces[high - 1].end]
            if text[:1].isspace():
                items.insert(0, " ")
            if text[-1:].isspace():
                items.append(" ")
        return items

    def restore_segments(self, translations: dict[str, str]) -> list[_Piece | str]:
        """Return the core with each prose stretch translated on its own, markup in place."""
        low, high = self.core()
        items: list[_Piece | str] = []
        at = low
        for start, end, text in self.segments:
            items.extend(self.pieces[at:start])
            done = _squash(translations.get(text, ""))
            if not has_letters(done):
                items.extend(self.pieces[start:end])  # nothing came back: keep the original
            else:
                stretch = self.content[self.pieces[start].start : self.pieces[end - 1].end]
                before = " " if stretch[:1].isspace() else ""
                after = " " if stretch[-1:].isspace() else ""
                items.append(before + done + after)
            at = end
        items.extend(self.pieces[at:high])
        return items

    def line_starters(self) -> set[int]:
        """Return the ids of the pieces that open a line in the original."""
        starters: set[int] = set()
        at_line_start = self.line_start
        for piece in self.pieces:
            if piece.kind == "space":  # a soft break, kept as written, starts a line too
                at_line_start = True
            if piece.blank():
                continue
            if at_line_start:
                starters.add(id(piece))
            at_line_start = piece.hard
        return starters

    def opens_safely(self, piece: _Piece) -> bool:
        """Return whether a piece may start a line: emphasis, or a link that is not `[label]`.

        (`[label]` followed by a colon would read as a link reference definition.)
        """
        if piece.kind != "open":
            return False
        if self.content[piece.start] in "*_":
            return True
        close = next(p for p in self.pieces if p.kind == "close" and p.pair == piece.pair)
        return self.content[close.start : close.end] != "]"

    def render(self, core: list[_Piece | str]) -> tuple[str, str] | None:
        """Return (source text, content text) for the unit with this core, None if unsafe."""
        low, high = self.core()
        items: list[_Piece | str] = [*self.pieces[:low], *core, *self.pieces[high:]]
        # A hard break needs words on both sides, or it would end the block or add a blank line.
        solid = [item for item in items if _solid(item)]
        for i, item in enumerate(solid):
            if _hard(item) and (
                i == 0 or i == len(solid) - 1 or _hard(solid[i - 1]) or _hard(solid[i + 1])
            ):
                return None
        source: list[tuple[str, bool]] = []  # text, and whether it is translated prose
        content: list[str] = []
        # Markup that starts a line may start a block there (`<div>` is an HTML block, ``` a
        # fence), so only markup that started a line in the original may start one now.
        starters = self.line_starters()
        at_line_start = self.line_start
        for item in items:
            moved = isinstance(item, _Piece) and _solid(item) and id(item) not in starters
            if at_line_start and moved and not self.opens_safely(item):
                return None
            if isinstance(item, str):
                text = _escape(item, self.heading)
                if at_line_start and text.strip():
                    text = _escape_line_start(text.lstrip())
                source.append((text, True))
                content.append(text)
            elif item.kind == "atom" and item.alt is not None:
                alt = item.alt.result or (
                    item.alt.source(item.alt.pieces[0].start, item.alt.pieces[-1].end),
                    self.content[item.alt.pieces[0].start : item.alt.pieces[-1].end],
                )
                alt_start, alt_end = item.alt.pieces[0].start, item.alt.pieces[-1].end
                source.append(
                    (
                        self.source(item.start, alt_start)
                        + alt[0]
                        + self.source(alt_end, item.end),
                        False,
                    )
                )
                content.append(
                    self.content[item.start : alt_start] + alt[1] + self.content[alt_end : item.end]
                )
            else:
                source.append((self.source(item.start, item.end), False))
                content.append(self.content[item.start : item.end])
            if isinstance(item, _Piece) and item.kind == "space":
                at_line_start = True
            elif _solid(item):
                at_line_start = isinstance(item, _Piece) and item.hard
        if self.markup is None:
            original = self.content[self.pieces[0].start : self.pieces[-1].end]
            self.markup = _signature(original, self.env)
        if _signature("".join(content), self.env) != self.markup:
            return None
        text = _wrap(source, *self.wrap) if self.wrap else "".join(text for text, _ in source)
        if self.heading and "\n" in text and _PIPE.search(text.rsplit("\n", 1)[-1]):
            # A setext heading's last line, above its "---", holding a pipe reads as a GFM
            # table's header row: re-wrapped, "| *news news* [ref][]" became one (hypothesis
            # found it), where the original's last line had none.
            return None
        return text, "".join(content)


def _wrap(parts: list[tuple[str, bool]], width: int, column: int, prefix: str) -> str:
    """Join a paragraph's parts, breaking translated prose into lines of at most width.

    Lines break only between two words of translated prose, never next to markup, and each
    new line starts with the paragraph's continuation prefix and a word escaped so that it
    cannot open a block.
    """
    out: list[str] = []
    for text, prose in parts:
        if not prose:
            out.append(text)
            column = len(text) - text.rindex("\n") - 1 if "\n" in text else column + len(text)
            continue
        words = text.split(" ")
        for i, word in enumerate(words):
            if i and word and words[i - 1] and column + 1 + len(word) > width:
                out.append("\n" + prefix + _escape_line_start(word))
                column = len(prefix) + len(word)
            else:
                out.append((" " if i else "") + word)
                column += (1 if i else 0) + len(word)
    return "".join(out)


def _solid(item: _Piece | str) -> bool:
    """Return whether an item of a rendered unit is more than whitespace."""
    return bool(item.strip()) if isinstance(item, str) else not item.blank()


def _hard(item: _Piece | str) -> bool:
    """Return whether an item is a hard line break."""
    return isinstance(item, _Piece) and item.hard


def _tidy(items: list[_Piece | str]) -> list[_Piece | str]:
    """Squash the prose's whitespace, and take it off the inside of pairs and around breaks."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            continue
        text = re.sub(r"\s+", " ", item)
        before = items[i - 1] if i > 0 else None
        after = items[i + 1] if i + 1 < len(items) else None
        if before is None or (
            isinstance(before, _Piece) and (before.kind == "open" or before.hard)
        ):
            text = text.lstrip()
        if after is None or (isinstance(after, _Piece) and (after.kind == "close" or after.hard)):
            text = text.rstrip()
        items[i] = text
    return [item for item in items if item != ""]


def _squash(text: str) -> str:
    """Return text with its whitespace runs made single spaces, and trimmed."""
    return " ".join(text.split())


def _escape(text: str, heading: bool) -> str:
    """Backslash-escape what would read as inline markup in translated prose.

    A pipe becomes an entity rather than `\\|`: an escaped pipe still makes a line look like a
    table row to the GFM rule, and a paragraph's lines are joined when translated.
    """
    special = _HEADING_SPECIAL if heading else _INLINE_SPECIAL
    return special.sub(lambda m: "&#124;" if m.group() == "|" else "\\" + m.group(), text)


def _escape_line_start(text: str) -> str:
    """Backslash-escape a line's first characters if they would open a block."""
    match = _LINE_START.match(text)
    if not match:
        return text
    if match.group(1):
        return f"{match.group(1)}\\{text[len(match.group(1)) :]}"
    return "\\" + text


# --- the document ------------------------------------------------------------------------------


class _Lines:
    """The document's lines: where each starts in the raw text, and its normalized text."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.starts = [0]
        self.ends = []
        for match in _LINE_TERMINATOR.finditer(raw):
            self.ends.append(match.start())
            self.starts.append(match.end())
        self.ends.append(len(raw))
        # markdown-it reads NUL as U+FFFD: the same length, so columns agree.
        self.text = [
            raw[s:e].replace("\0", "\ufffd") for s, e in zip(self.starts, self.ends, strict=True)
        ]
        self.norm_starts = []
        at = 0
        for line in self.text:
            self.norm_starts.append(at)
            at += len(line) + 1


def _locate_lines(content: str, lines: _Lines, first: int) -> list[int] | None:
    """Return the raw offset of each content line, or None if the content is not found there."""
    offsets = []
    parts = content.split("\n")
    for k, part in enumerate(parts):
        if first + k >= len(lines.text):
            return None
        line = lines.text[first + k]
        if k == len(parts) - 1:
            column = len(line.rstrip(_MD_SPACE)) - len(part)
        else:
            column = len(line) - len(part)
        if column < 0 or line[column : column + len(part)] != part:
            return None  # a tab markdown-it expanded, say: keep this block as it is
        offsets.append(lines.starts[first + k] + column)
    return offsets


def _mapper(content: str, offsets: list[int], raw: str) -> Callable[[int, int], str]:
    """Return a function from a content range to the raw text it came from."""
    line_starts = [0]
    for k, ch in enumerate(content):
        if ch == "\n":
            line_starts.append(k + 1)

    def where(at: int) -> int:
        """Return the raw offset of a content offset."""
        k = bisect_right(line_starts, at) - 1
        return offsets[k] + at - line_starts[k]

    def source(start: int, end: int) -> str:
        """Return the raw text of content[start:end]."""
        return raw[where(start) : where(end)] if end > start else ""

    return source


def _cell_mapper(content: str, start: int, raw: str) -> Callable[[int, int], str]:
    """Return a function from a table cell's content range to the raw text of the row."""
    pipes = [k for k, ch in enumerate(content) if ch == "|"]  # each was `\\|` in the row

    def where(at: int) -> int:
        """Return the raw offset of a content offset."""
        return start + at + bisect_left(pipes, at)

    def source(begin: int, end: int) -> str:
        """Return the raw text of content[begin:end]."""
        return raw[where(begin) : where(end)] if end > begin else ""

    return source


@dataclass
class _Placed:
    """A top-level unit and the raw range its content occupies."""

    unit: _Unit
    start: int
    end: int


def _units(markdown: str) -> Iterator[_Placed]:
    """Yield every inline run of the document as a unit placed in the raw text."""
    lines = _Lines(markdown)
    normalized = "\n".join(lines.text)
    env: dict[str, Any] = {}
    tokens = _parser().parse(normalized, env)
    rows = env.get("briefer_rows", {})
    cursor: dict[int, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.map or not token.content:
            continue
        content, first, parent = token.content, token.map[0], tokens[index - 1]
        offsets: list[int] | None
        if parent.type in ("th_open", "td_open"):
            # The table rule drops the backslash of an escaped pipe: `\\|` in the row is `|` here.
            line, form = lines.text[first], content.replace("|", "\\|")
            row_start = rows.get(first, lines.norm_starts[first]) - lines.norm_starts[first]
            cursor.setdefault(first, row_start)
            column = line.find(form, cursor[first]) if cursor[first] >= 0 else -1
            if column < 0:
                cursor[first] = -1  # not where it should be: leave the rest of this row as it is
                continue
            cursor[first] = column + len(form)
            start = lines.starts[first] + column
            unit = _Unit(
                content,
                _pieces(content, 0, len(content), env),
                line_start=column == row_start,  # a row without a leading pipe
                raw=_cell_mapper(content, start, markdown),
                env=env,
            )
            _share(unit)
            yield _Placed(unit, start, start + len(form))
            continue
        if parent.type == "heading_open" and parent.markup.startswith("#"):
            line = lines.text[first]
            column = line.find(content, line.find(parent.markup) + len(parent.markup))
            offsets = [lines.starts[first] + column] if column >= 0 else None
        else:
            offsets = _locate_lines(content, lines, first)
        if offsets is None:
            log.debug("line %d: content not found in the source; left as it is", first + 1)
            continue
        wrap = None
        if len(offsets) > 1:  # soft-wrapped: the translation is wrapped to the same width
            second = lines.text[first + 1][: offsets[1] - lines.starts[first + 1]]
            width = max(len(lines.text[first + k]) for k in range(len(offsets)))
            wrap = (width, offsets[0] - lines.starts[first], second)
        pieces = _pieces(content, 0, len(content), env)
        if parent.type == "paragraph_open" and tokens[index - 2].type == "list_item_open":
            pieces = _task_box(content, pieces)
        unit = _Unit(
            content,
            pieces,
            line_start=parent.type == "paragraph_open"
            or (parent.type == "heading_open" and not parent.markup.startswith("#")),
            heading=parent.type == "heading_open",
            raw=_mapper(content, offsets, markdown),
            env=env,
            wrap=wrap,
        )
        _share(unit)
        end = _mapper(content, offsets, markdown)(0, len(content))
        yield _Placed(unit, offsets[0], offsets[0] + len(end))


# A GFM task list item's box, "- [ ] Call the mayor" or "- [x] File the story": markup that
# GitHub, GitLab and Obsidian draw as a checkbox, where the item's first paragraph starts.
_TASK_BOX = re.compile(r"\[[ xX]\](?=[ \t])")


def _task_box(content: str, pieces: list[_Piece]) -> list[_Piece]:
    """Make a list item's leading task box an atom: kept as written, never sent to the model
    (which would translate or drop the brackets) and never escaped (`\\[ \\]` is no box)."""
    first = pieces[0] if pieces else None
    if (
        first is None
        or first.kind != "text"
        or first.start != 0
        or not _TASK_BOX.match(content)
        or not first.text.startswith(content[:3])
    ):
        return pieces
    rest = [_Piece("text", 3, first.end, text=first.text[3:])] if first.end > 3 else []
    return [_Piece("atom", 0, 3), *rest, *pieces[1:]]


def _share(unit: _Unit) -> None:
    """Give the alt-text units inside a unit its source mapping and parse context."""
    for piece in unit.pieces:
        if piece.alt is not None:
            piece.alt.raw, piece.alt.env = unit.raw, unit.env
            _share(piece.alt)


def _all(unit: _Unit) -> Iterator[_Unit]:
    """Yield a unit's alt-text units, innermost first, then the unit."""
    for piece in unit.pieces:
        if piece.alt is not None:
            yield from _all(piece.alt)
    yield unit


def translate_markdown(markdown: str, translate: Translate, kept_as: str | None = None) -> str:
    """Translate the prose of a Markdown document, keeping everything else byte for byte.

    translate is called once with every text of the document, and once more with the prose
    pieces of the units whose placeholders did not come back, if there are any. Front matter
    is metadata, kept as it is: YAML (the parser's own) and Hugo's TOML between +++ lines,
    which CommonMark reads as paragraphs (a Hugo post's title, date and tags were translated
    into nonsense lines).

    kept_as, a format string with one {}, is laid around a block whose every text translate
    handed back as a Kept (the guard kept it as it was): a span of the other
    direction.
    """
    toml = TOML_FRONT.match(markdown)
    if toml:
        rest = markdown[toml.end() :]
        return markdown[: toml.end()] + (
            translate_markdown(rest, translate, kept_as) if rest else ""
        )
    placed = list(_units(markdown))
    units = [unit for place in placed for unit in _all(place.unit)]
    done = _batch(translate, [text for unit in units for text in unit.plan()])
    cores: dict[int, list[_Piece | str]] = {}
    retry: list[_Unit] = []
    kept: set[int] = set()  # the units whose every text the guard kept as it was
    for unit in units:
        if unit.first is not None:
            if isinstance(done.get(unit.first), Kept):
                kept.add(id(unit))
            core = unit.restore(done.get(unit.first, ""))
            if core is None or unit.render(core) is None:
                log.debug("markup lost in %r; translating its pieces", unit.first[:60])
                retry.append(unit)
            else:
                cores[id(unit)] = core
        elif unit.segments:
            if all(isinstance(done.get(text), Kept) for _, _, text in unit.segments):
                kept.add(id(unit))
            cores[id(unit)] = unit.restore_segments(done)
    if retry:
        again = _batch(translate, [text for unit in retry for text in unit.plan_segments()])
        for unit in retry:
            kept.discard(id(unit))
            if unit.segments and all(
                isinstance(again.get(text), Kept) for _, _, text in unit.segments
            ):
                kept.add(id(unit))
            cores[id(unit)] = unit.restore_segments(again)
    for unit in units:  # innermost first, so an image's alt text is ready for its paragraph
        core = cores.get(id(unit))
        if core is None and any(p.alt is not None and p.alt.result for p in unit.pieces):
            low, high = unit.core()
            core = list(unit.pieces[low:high])
        if core is not None:
            unit.result = unit.render(core)
            if unit.result is None:
                log.warning("could not translate %r safely; kept as it is", unit.content[:60])
    # A document kept whole is still in its own language, and one direction: no spans.
    done_units = [place.unit for place in placed if place.unit.result is not None]
    mixed = any(id(unit) not in kept for unit in done_units)
    out, at = [], 0
    for place in placed:
        if place.unit.result is not None:
            text = place.unit.result[0]
            if kept_as and mixed and id(place.unit) in kept and text.strip():
                text = kept_as.format(text)
            out += [markdown[at : place.start], text]
            at = place.end
    out.append(markdown[at:])
    return "".join(out)


class Kept(str):
    """A translation that is its text as it was, the guard having kept it in its own
    language: translate_markdown can give its block its own direction."""

    __slots__ = ()


def _batch(translate: Translate, texts: Sequence[str]) -> dict[str, str]:
    """Translate the distinct texts in one call and return each one's translation."""
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    results = translate(unique)
    if len(results) != len(unique):
        raise ValueError(f"translator returned {len(results)} texts for {len(unique)}")
    return dict(zip(unique, results, strict=True))
