"""The read stage: bytes to text, and text to an Article with a title and the story's paragraphs."""

from __future__ import annotations

import codecs
import datetime
import fnmatch
import functools
import glob
import logging
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from . import files
from .errors import InputError, UsageError
from .files import MAX_INPUT_BYTES

if TYPE_CHECKING:
    from . import web

Span = tuple[int, int]

# utf-32 first: its little-endian BOM starts with the utf-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Formats people hand over by mistake; some have no NUL in their first bytes.
_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\x1f\x8b",  # gzip
    b"PK\x03\x04",  # zip, docx, epub
    b"%PDF-",
    b"\xff\xd8\xff",  # jpeg
    b"GIF87a",
    b"GIF89a",
    b"\x7fELF",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old MS Office
    b"SQLite format 3\x00",
)

# Bytes that surrogateescape could not decode as UTF-8.
_ESCAPED = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")

# Python's \s misses these, and scraped pages are full of them.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_LEAD = re.compile(rf"^[\s{_INVISIBLE}]*")
_TRAIL = re.compile(rf"[\s{_INVISIBLE}]*$")

# Lines this far into the text may still be page furniture rather than story.
_FRONT_LINES = 8
# Captions and credits are one short line; a long paragraph ending in "[AFP]" is story.
_CAPTION_MAX = 300

_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
}  # fmt: skip
_WEEKDAYS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
}  # fmt: skip
_ZONES = {
    "utc", "gmt", "bst", "cet", "cest", "eet", "eest", "wet", "west", "est", "edt", "cst", "cdt",
    "mst", "mdt", "pst", "pdt", "et", "ct", "pt", "ist", "jst", "kst", "aest", "aedt", "msk",
    "sast", "hkt", "sgt", "ast", "z",
}  # fmt: skip
_FILLERS = {"at", "on", "of", "the", "-", "\u2013", "\u2014", "/"}
_DATE_PREFIX = re.compile(
    r"(?:(?:last\s+)?(?:updated|modified|published|posted|dated?|first\s+published)"
    r"(?:\s+on)?|on)\s*[:\-\u2013\u2014]?\s*",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
)
_NUMBER = re.compile(r"\d{1,4}(?:st|nd|rd|th)?", re.IGNORECASE)
_TIME = re.compile(r"\d{1,2}[:.h]\d{2}(?::\d{2})?(?:[ap]\.?m\.?)?", re.IGNORECASE)
_AMPM = re.compile(r"[ap]\.?m\.?", re.IGNORECASE)
_OFFSET_ZONE = re.compile(r"(?:utc|gmt)?[+\-\u2212]\d{1,2}(?::?\d{2})?", re.IGNORECASE)
_RELATIVE = re.compile(
    r"(?:(?:updated|published|posted)\s*:?\s*)?(?:\d+|an?)\s*"
    r"(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?)\s+ago",
    re.IGNORECASE,
)
_READING_TIME = re.compile(
    r"(?:(?:estimated\s+)?(?:reading|read)\s+time|time\s+to\s+read)\s*[:\-\u2013]?\s*"
    r"(?:about\s+|approx\.?\s+|~\s*)?\d+(?:\s*[-\u2013]\s*\d+)?\s*(?:min(?:ute)?s?|m)\.?"
    r"|(?:about\s+|~\s*)?\d+(?:\s*[-\u2013]\s*\d+)?[\s-]*(?:min(?:ute)?s?|m)\.?[\s-]*"
    r"(?:read|reading|read\s+time)",
    re.IGNORECASE,
)
# Separators that glue "4 min read · 2 June 2015" into one line.
_FURNITURE_SEP = re.compile(r"\s*[|\u00b7\u2022]\s*")

_CREDIT_BRACKET = re.compile(r"\[([^\[\]]{1,60})\]\W*$")
_NOT_CREDIT = re.compile(r"[\d\s,.\-\u2013\u2026]*|sic|citation needed", re.IGNORECASE)
_CREDIT_PAREN = re.compile(r"\(([^()]{1,80})\)\W*$")
_CREDIT_WORD = re.compile(
    r"\b(?:photos?|photograph|image|picture|pic|credit|courtesy|getty|illustration)\b",
    re.IGNORECASE,
)
# Only the compound forms may take a comma: "Picture, if you will, ..." is a sentence.
_CAPTION_START = re.compile(
    r"(?:(?:photo(?:graph)?s?|image|picture|pic|credit|caption|illustration)\s*:"
    r"|(?:(?:photo|image|picture|media)\s+(?:credit|caption|source))\s*[:,])",
    re.IGNORECASE,
)
_GETTY_END = re.compile(r"getty\s+images\W*$", re.IGNORECASE)

_ATX_HEADING = re.compile(r"#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_SETEXT_RULE = re.compile(r"={3,}[ \t]*")
_YAML_KEY = re.compile(r"[A-Za-z_][\w.-]*[ \t]*:(?:\s|$)")


@dataclass(frozen=True)
class Article:
    """One input, decoded, with its title and the spans of its story paragraphs."""

    source: str  # what the user named: a path as given, or "-" for stdin
    title: str
    text: str = field(repr=False)  # decoded, BOM removed, newlines normalised to "\n"
    body: tuple[Span, ...]  # spans in `text` of the story's paragraphs, in order
    dropped: tuple[str, ...]  # lines kept out of the body (title, dates, captions), in order
    author: str | None = None  # a web page's, front matter's or a plain-text byline's
    date: str | None = None
    # The title was made from the file's name ("tiny-fr.txt" gives "Tiny fr"): no words of
    # the article, so language detection does not read it.
    title_from_name: bool = False

    def body_text(self) -> str:
        """Return the body paragraphs joined with blank lines."""
        return "\n\n".join(self.text[s:e] for s, e in self.body)

    @property
    def words(self) -> int:
        """Return the number of words in the body."""
        return sum(len(self.text[s:e].split()) for s, e in self.body)


def decode(data: bytes, name: str) -> str:
    """Decode an input's bytes to text with "\\n" newlines, or raise InputError naming it."""
    if not data:
        raise InputError(f"{name}: is empty")
    text = _decode_bytes(data, name).removeprefix("\ufeff")
    text = _normalise_newlines(text)
    if _looks_binary(text):
        raise InputError(f"{name}: looks like a binary file, not text")
    if not _strip(text):
        raise InputError(f"{name}: holds no text")
    return text


def parse_article(text: str, source: str, name: str | None = None) -> Article:
    """Find the title, front matter and story paragraphs of a decoded text.

    Lines are first joined into paragraphs (see _paragraphs), so that hard-wrapped copy gives
    the same paragraphs as the same copy unwrapped; the rules for titles, dates, captions and
    teasers then judge whole paragraphs. Spans point into the text as given.
    """
    label = _label(source)
    text = _normalise_newlines(text.removeprefix("\ufeff"))
    if not _strip(text):
        raise InputError(f"{label}: holds no text")
    if name is None and source != "-":
        name = source
    lines = list(_lines(text))
    dropped: dict[int, list[str]] = {}  # first line index -> the stripped lines dropped there

    start, block = _front_matter(lines)
    meta = _front_fields(block)
    yaml_title = _front_text(meta.get("title"))
    for i in range(start):
        if _strip(lines[i][1]):
            dropped[i] = [_strip(lines[i][1])]

    paras = _paragraphs(lines, start)
    # The first paragraphs, where page furniture may sit.
    front = paras[:_FRONT_LINES]
    title, title_para = yaml_title, None
    if title is None:
        title, title_para = _title_from_paragraphs(front)
    from_text = title is not None
    if title is None:
        title = _title_from_name(name)
    skip: set[int] = set()
    if title_para is not None:
        skip.add(title_para.first)
        after = paras.index(title_para) + 1
        if after < len(paras) and _SETEXT_RULE.fullmatch(paras[after].text):
            skip.add(paras[after].first)

    front_set = {p.first for p in front}
    markdown = Path(source).suffix.lower() in MARKDOWN_SUFFIXES
    author = None
    body: list[tuple[int, Span]] = []
    for k, para in enumerate(paras):
        # Plain-text copy names its writers under the headline ("By Jane Doe", then "Associated
        # Press"): the brief's author, not a sentence of the story.
        byline, writers = (
            read_byline(para.text)
            if para.first in front_set and para.first not in skip and not body
            else (False, None)
        )
        if byline and author is None:
            author = writers
        if (
            para.first in skip
            or byline
            or _is_caption(para.text)
            or _is_teaser(para.text)
            or _is_wire_furniture(para.text, front=para.first in front_set and not body)
            # In Markdown, a heading is a section's name, not a sentence ("## Talks"); a .txt
            # line may start "# of victims".
            or (markdown and bool(_ATX_HEADING.fullmatch(para.text)))
            or (
                para.first in front_set
                and not body
                and k > 0
                and read_byline(paras[k - 1].text)[0]
                and ROLE_LINE.fullmatch(" ".join(para.text.split()))
            )
            or (
                para.first in front_set
                and (_is_furniture(para.text) or (from_text and _same_headline(para.text, title)))
            )
        ):
            dropped[para.first] = para.stripped_lines(lines)
            continue
        body.append((para.first, para.span(lines)))
    # A correction note or a notice after the story (_WIRE_TAIL): furniture at its end only.
    by_first = {para.first: para for para in paras}
    while len(body) > 1:
        last = by_first[body[-1][0]]
        if len(last.text) > 600 or not _WIRE_TAIL.fullmatch(" ".join(last.text.split())):
            break
        dropped[last.first] = last.stripped_lines(lines)
        body.pop()

    walls = [para.first for para in paras if is_paywall(para.text)]
    if walls and all(first < walls[0] for first, _ in body):
        # Said only where the story stops at the wall: a "Continue reading" link mid-story
        # cut nothing.
        paywalled(label, sum(len(text[s:e].split()) for _, (s, e) in body))
    if not body and title_para is not None:
        # A lone headline is all the story there is; summarising nothing helps no one.
        body.append((title_para.first, title_para.span(lines)))
        del dropped[title_para.first]
    if not body:
        raise InputError(f"{label}: holds no story text, only a title, dates or captions")
    return Article(
        source=source,
        title=title,
        text=text,
        body=tuple(span for _, span in body),
        dropped=tuple(line for i in sorted(dropped) for line in dropped[i]),
        author=_front_people(meta) or author or None,
        date=_front_date(meta),
        title_from_name=not from_text,
    )


def read_bytes(path: str, max_bytes: int = MAX_INPUT_BYTES, page_bytes: int = 0) -> bytes:
    """Return the bytes of the file at path, at most max_bytes; errors name the path as given.
    With page_bytes, a file that starts as an HTML page may be that large instead.

    A device or pipe (/dev/zero, a FIFO) is read no further than the larger limit + 1: never
    until memory runs out.
    """
    p = Path(path)

    def limit(head: bytes) -> int:
        """Return the limit for a file that starts so."""
        return page_bytes if page_bytes > max_bytes and _starts_html(head) else max_bytes

    try:
        with p.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size:
                # A regular file says its size: refuse it without reading it; its start, read
                # and read again, says whether it is a page.
                most = limit(file.read(2048))
                file.seek(0)
                if size > most:
                    raise _too_large(path, most)
                data = files.read_at_most(file, most + 1)
            else:
                data = files.read_at_most(file, max(max_bytes, page_bytes) + 1)
                most = limit(data)
            if len(data) > most:
                raise _too_large(path, most)
            return data
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        # Windows answers a directory read with EACCES.
        if p.is_dir():
            raise InputError(f"{path}: is a directory") from None
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def read_limited(stream: BinaryIO, max_bytes: int, source: str = "-") -> bytes:
    """Return what a stream (stdin) holds, refusing it past max_bytes; errors name the source."""
    data = _read_up_to(stream, max_bytes + 1, _label(source))
    if len(data) > max_bytes:
        raise _too_large(_label(source), max_bytes)
    return data


def _read_up_to(stream: BinaryIO, size: int, label: str) -> bytes:
    """Return the first size bytes of a stream (all of it if shorter); errors name label."""
    try:
        return files.read_at_most(stream, size)
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({exc.strerror or exc})") from None


def _too_large(label: str, max_bytes: int) -> InputError:
    """Return the error for an input over the size limit, naming the option that raises it."""
    return InputError(
        f"{label}: larger than {max_bytes:,} bytes (raise --max-input-bytes to read it)"
    )


def read_path(path: str | os.PathLike[str], max_bytes: int = MAX_INPUT_BYTES) -> Article:
    """Read, decode and parse the file at path; errors name the path as given.

    A Markdown file (MARKDOWN_SUFFIXES) is read as Markdown: see markdown_text.
    """
    # The article's source is text whatever was given: a pathlib.Path kept as its source
    # made JSON and the Markdown template fail on it later, at render.
    path = os.fspath(path)
    markdown = Path(path).suffix.lower() in MARKDOWN_SUFFIXES
    # Read as much as a page may hold: a web page saved under another name (story.txt) is
    # read as the page it is, as on stdin, not as its markup (its <title> the brief's).
    data = read_bytes(path, max_bytes, 0 if markdown else int(max_bytes * HTML_FACTOR))
    if not markdown and _starts_html(data):
        from . import web

        return from_page(web.extract_html(data, None, label=path), path)
    _refuse_rtf(data, path)
    return _parse_document(decode(data, path), path, markdown=markdown)


def _parse_document(text: str, source: str, *, markdown: bool, name: str | None = None) -> Article:
    """Parse a decoded document: as Markdown (see markdown_text) or as plain text. A Markdown
    one with no prose (paragraphs all in HTML blocks) is read line by line, as text."""
    if markdown:
        text = markdown_text(text) or text
    return parse_article(text, source, name)


def _refuse_rtf(data: bytes, label: str) -> None:
    """Refuse a Rich Text document (a stringer's word processor): read as text, its control
    words ({\\rtf1\\ansi ... \\par) were briefed as the story."""
    if data.removeprefix(b"\xef\xbb\xbf").lstrip()[:5] == b"{\\rtf":
        raise InputError(f"{label}: an RTF document, not plain text: save it as .txt or .html")


def markdown_text(markdown: str) -> str | None:
    """Return the story text of a Markdown document, as CommonMark (with GFM tables) reads it;
    None when it holds no prose outside code, HTML and tables.

    Each paragraph, heading (as an ATX heading, setext ones too), list item (with its marker)
    and quoted paragraph becomes a paragraph of plain text on one line: link text without
    its destination, emphasis and code spans without their markers, escapes and entities
    decoded, quote markers and wrapping gone. Fenced and indented code, HTML blocks, tables,
    images, rules and link reference definitions are left out: none of them is story a model
    should read as sentences. YAML front matter is kept as it stands, for its title; Hugo's
    TOML front matter gives its title the same way.
    """
    front: list[str] = []
    toml = TOML_FRONT.match(markdown)
    if toml:
        # Hugo's TOML front matter (+++): its title, restated as the YAML front matter the
        # title rules read; the rest of it is metadata, not story.
        try:
            meta = tomllib.loads(toml.group(1) or "")
        except tomllib.TOMLDecodeError:
            meta = None
        if meta is not None:
            markdown = markdown[toml.end() :]
            fields = _toml_fields(meta)
            if fields:
                import yaml  # PyYAML: only for a Hugo post

                # Written by PyYAML, quoted as it needs, so that any name or title reads back.
                dumped = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1 << 16)
                front.append("---\n" + dumped + "---")
    tokens = _markdown_parser().parse(markdown)
    blocks: list[str] = []
    marker = ""  # a list item's marker, for the first paragraph inside it
    notes = 0  # inside a footnote's definition
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("footnote_open", "footnote_close"):
            notes += 1 if kind == "footnote_open" else -1
        elif notes:
            continue
        if kind == "front_matter" and token.map and token.content.strip():
            # Kept for its title; an empty one ("---" over "---") is left out whole.
            front.append("\n".join(markdown.split("\n")[: token.map[1]]))
        elif kind == "list_item_open":
            # "-", "*" or "+"; an ordered item's number ("7") and its "." or ")".
            marker = f"{token.info}{token.markup}"
        elif kind == "inline" and token.children is not None:
            parent = tokens[index - 1]
            text = _inline_text(token.children)
            if (
                parent.type in ("th_open", "td_open")
                or not text
                or _is_image_caption(token.children)
            ):
                continue
            if parent.type == "heading_open":
                text = "#" * int(parent.tag[1:]) + " " + text
            elif marker:
                # A GFM task box ("- [x] Union notified employers") is the item's state, not
                # its words.
                text = f"{marker} {_TASK_BOX.sub('', text, count=1)}"
            marker = ""
            blocks.append(text)
    if not blocks:
        return None
    return "\n\n".join(front + blocks) + "\n"


_TASK_BOX = re.compile(r"^\[[ xX]\]\s+")


def _toml_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """Return Hugo TOML front matter's title, author(s) and date under the keys the YAML front
    matter rules read (author under `params`, where Hugo now wants it, too); dates as text."""
    params = meta.get("params")
    people = meta.get("author", meta.get("authors"))
    if people is None and isinstance(params, dict):
        people = params.get("author", params.get("authors"))
    fields: dict[str, Any] = {}
    if isinstance(meta.get("title"), str):
        fields["title"] = meta["title"]
    if isinstance(people, str) or (isinstance(people, list) and people):
        names = [people] if isinstance(people, str) else people
        fields["authors"] = [p for p in names if isinstance(p, str)]
    for key in ("date", "publishDate"):
        date = meta.get(key)
        if isinstance(date, (datetime.date, str)) and "date" not in fields:
            fields["date"] = date if isinstance(date, str) else date.isoformat()
    return fields


def _is_image_caption(children: list[Any]) -> bool:
    """Tell whether a paragraph is an image and its caption: all its text in italics
    ("![...](port.jpg)" then "*Containers wait at the port. Photo: Jane Doe*"); a lead set in
    bold under an image is story."""
    if not any(child.type == "image" for child in children):
        return False
    depth = 0
    for child in children:
        if child.type == "em_open":
            depth += 1
        elif child.type == "em_close":
            depth -= 1
        elif child.type == "text" and child.content.strip() and not depth:
            return False
    return True


def _inline_text(children: list[Any]) -> str:
    """Return the plain text of a run of inline tokens, on one line."""
    parts = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and re.fullmatch(r"(?i)<br\s*/?>", child.content)
        ):
            parts.append(" ")
        # Images (their alt text is a caption), other raw HTML and the markers of links and
        # emphasis add nothing: the link's own text comes as text tokens.
    return " ".join("".join(parts).split())


@functools.cache
def _markdown_parser() -> Any:
    """Return a CommonMark parser with GFM tables and YAML front matter (markdown-it-py)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    # Footnotes as CMS exports write them ("1977.[^1]", "[^1]: The last strike ..."): read as
    # such, their markers and notes stay out of the story; plain CommonMark made the marker
    # text and the note a paragraph.
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin).use(footnote_plugin)


def _label(source: str) -> str:
    """Return how messages name an input: its path, or "stdin"."""
    return "stdin" if source == "-" else source


def _strip(s: str) -> str:
    """Strip whitespace, including the zero-width kind, from both ends."""
    while True:
        t = s.strip().strip(_INVISIBLE)
        if t == s:
            return t
        s = t


def _normalise_newlines(text: str) -> str:
    """Turn \\r\\n and lone \\r into \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, line) for each "\\n"-separated line of text."""
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _decode_bytes(data: bytes, name: str) -> str:
    """Pick an encoding for data and decode it; binary data raises InputError."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec == "utf-8-sig":
                return _utf8_with_fallback(data[len(bom) :])
            return data.decode(codec, errors="replace")
    if data.startswith(_MAGIC):
        raise InputError(f"{name}: looks like a binary file, not text")
    if b"\x00" in data:
        codec = _utf16_without_bom(data)
        if codec is None:
            raise InputError(f"{name}: looks like a binary file, not text")
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return _utf8_with_fallback(data)
    return _decode_legacy(data, name)


def _utf16_without_bom(data: bytes) -> str | None:
    """Return the utf-16 codec for BOM-less data whose every other byte is NUL, else None."""
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    half = len(sample) // 2
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    if odd > 0.6 and even < 0.05:
        return "utf-16-le"
    if even > 0.6 and odd < 0.05:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """Tell whether data is UTF-8 with a few stray legacy bytes pasted in."""
    text = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED.findall(text))
    good = len(_NON_ASCII.findall(text)) - bad
    return good >= bad


def _utf8_with_fallback(data: bytes) -> str:
    """Decode UTF-8, reading each invalid byte as cp1252 (or latin-1 where cp1252 has none)."""

    def legacy(match: re.Match[str]) -> str:
        """Decode one escaped byte."""
        raw = bytes([ord(match.group()) - 0xDC00])
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    return _ESCAPED.sub(legacy, data.decode("utf-8", errors="surrogateescape"))


# Windows-1252's typographic bytes (€ ‚ „ … † ‡ ‰ ‹ ‘ ’ “ ” • – — ™ ›), which Word and
# Windows newsroom systems write; in Latin-1 they are control codes, in DOS code pages letters.
_CP1252_TYPOGRAPHY = frozenset(
    b"\x80\x82\x84\x85\x86\x87\x89\x8b\x91\x92\x93\x94\x95\x96\x97\x99\x9b"
)


def _decode_legacy(data: bytes, name: str) -> str:
    """Decode non-UTF-8 bytes with charset_normalizer's guess, leaning to cp1252 on a tie."""
    high = {byte for byte in data if byte >= 0x80}
    if high and high <= _CP1252_TYPOGRAPHY:
        # Only Word's curly quotes, dashes, ellipsis and euro sign: Windows-1252 text, whatever
        # a short sample's statistics say (charset_normalizer read "company\x92s \x93new\x94
        # prices \x96 up" as cp852's "companyĺs ônewö prices ű up", chaos 0.0 against 0.016).
        return data.decode("cp1252")
    import charset_normalizer

    # Guesses of utf-16/32 without a BOM (or NULs) are noise on short inputs.
    best = next(
        (m for m in charset_normalizer.from_bytes(data) if not m.encoding.startswith("utf_")),
        None,
    )
    # charset_normalizer often says cp1250 for French or German text, turning "à" into "ŕ";
    # Western text is far more common, so cp1252 wins unless it reads clearly worse.
    western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252", "latin_1"]).best()
    if western is not None and (best is None or western.chaos <= best.chaos + 0.01):
        best = western
    if best is None:
        raise InputError(f"{name}: looks like a binary file, not text")
    return str(best)


def _looks_binary(text: str) -> bool:
    """Tell whether decoded text is mostly control characters, as decoded binary data is."""
    sample = text[:65536]
    bad = sum(
        1
        for c in sample
        if (c < " " and c not in "\t\n\f\v") or "\x7f" <= c <= "\x9f" or c == "\ufffd"
    )
    return bad * 20 > len(sample)


def _front_matter(lines: list[tuple[int, str]]) -> tuple[int, list[str]]:
    """Return (index of the first line after a YAML front matter block, its lines), or (0, [])."""
    if not lines or lines[0][1].rstrip() != "---":
        return 0, []
    keys = 0
    for i in range(1, len(lines)):
        line = lines[i][1]
        if line.rstrip() in ("---", "..."):
            if not keys:
                return 0, []
            return i + 1, [line for _, line in lines[1:i]]
        if _YAML_KEY.match(line):
            keys += 1
        elif _strip(line) and not line[0].isspace() and not line.startswith(("-", "#")):
            # Not YAML: a horizontal rule that opens a plain text.
            return 0, []
    return 0, []


# Front matter is metadata a site generator reads as a whole; past this size it is not read
# for its fields (it is still left out of the story): PyYAML's parser is not bounded in time
# on hostile input the way a size cap bounds it.
_FRONT_MAX_CHARS = 64 * 1024
# The keys site generators and CMS exports keep a post's date under, in the order they are
# tried: Jekyll and Hugo `date`, Hugo `publishDate`, Astro `pubDate`, Ghost `published_at`.
_DATE_KEYS = ("date", "publishdate", "pubdate", "published", "published_at")


def _front_fields(block: list[str]) -> dict[str, Any]:
    """Return a YAML front matter block's top-level fields by lower-cased key (the first of
    `Title` and `title` wins), read by PyYAML's BaseLoader: every scalar a string, so
    `title: No` stays "No" (not YAML 1.1's false) and a date stays as written; lists and
    mappings as lists and dicts. Quoting, escapes, comments, block scalars and flow lists are
    YAML's, read by a maintained parser rather than by hand.

    A block PyYAML refuses as a whole (an unquoted `title: Floods: 42 dead`, which a site
    generator would refuse too but a hand-made file has) is read field by field, and a field
    it refuses alone still gives the words after its colon.
    """
    text = "\n".join(block)
    if not block or len(text) > _FRONT_MAX_CHARS:
        return {}
    import yaml  # PyYAML: only for a file with front matter (10 ms)

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - BaseLoader builds only str, list, dict
    except yaml.YAMLError:
        data = {}
        for entry in _front_entries(block):
            try:
                one = yaml.load("\n".join(entry), Loader=loader)  # noqa: S506 - as above
            except yaml.YAMLError:
                key, _, value = entry[0].partition(":")
                words = " ".join([value, *entry[1:]]).split()
                one = {key.strip(): " ".join(words)}
            if isinstance(one, dict):
                for key, value in one.items():
                    data.setdefault(key, value)
    fields: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                fields.setdefault(key.strip().lower(), value)
    return fields


def _front_entries(block: list[str]) -> list[list[str]]:
    """Return a YAML block's top-level fields one by one: a `key:` line with the lines under
    it (indented, or a `- item` or comment at the margin, as YAML allows)."""
    entries: list[list[str]] = []
    for line in block:
        if entries and (not line.strip() or line[0].isspace() or line.startswith(("-", "#"))):
            entries[-1].append(line)
        elif _YAML_KEY.match(line):
            entries.append([line])
    return entries


def _front_text(value: Any) -> str | None:
    """Return a front matter scalar on one line, or None for a list, a mapping or nothing."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _front_people(fields: dict[str, Any]) -> str | None:
    """Return a front matter's `author` (or `authors`): one name, or a list of names (or of
    mappings with a `name:`, as Jekyll themes keep them) joined by "; ", as web pages' authors
    are."""
    value = fields.get("author") or fields.get("authors")
    names = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):  # name:, email:, url:
            item = next((v for k, v in item.items() if str(k).lower() == "name"), None)
        name = _front_text(item)
        if name:
            names.append(name)
    return "; ".join(names) or None


def _front_date(fields: dict[str, Any]) -> str | None:
    """Return a front matter's date as an ISO date (2024-10-03T18:20:00Z gives 2024-10-03), from
    the first key of _DATE_KEYS that holds one; None when none does."""
    for key in _DATE_KEYS:
        match = re.match(r"\d{4}-\d{2}-\d{2}", _front_text(fields.get(key)) or "")
        if match:
            try:
                return datetime.date.fromisoformat(match.group(0)).isoformat()
            except ValueError:  # 2024-13-45
                continue
    return None


@dataclass(frozen=True)
class _Para:
    """A paragraph: consecutive non-blank lines that belong together."""

    first: int  # index of its first line
    last: int  # index of its last line
    text: str  # its lines, stripped, joined by single spaces: what the rules judge

    def span(self, lines: list[tuple[int, str]]) -> Span:
        """Return its span in the text, without leading and trailing whitespace."""
        offset, line = lines[self.first]
        start = offset + _LEAD.match(line).end()
        offset, line = lines[self.last]
        return start, offset + _TRAIL.search(line).start()

    def stripped_lines(self, lines: list[tuple[int, str]]) -> list[str]:
        """Return its lines, each stripped."""
        return [_strip(lines[i][1]) for i in range(self.first, self.last + 1)]


def text_paragraphs(text: str) -> list[tuple[str, str]]:
    """Return a plain text's paragraphs as the article reader forms them, each on one line:
    soft-wrapped lines joined, and headlines, bylines, datelines, list items, rules and
    captions standing apart, as they do in a brief (see _paragraphs). Each comes with what
    separated it from the one before: "" for the first, "\n" for the next line, "\n\n" across
    blank lines."""
    lines = list(_lines(_normalise_newlines(text)))
    paras = _paragraphs(lines, 0)
    return [
        ("" if k == 0 else "\n" if para.first == paras[k - 1].last + 1 else "\n\n", para.text)
        for k, para in enumerate(paras)
    ]


def _paragraphs(lines: list[tuple[int, str]], start: int) -> list[_Para]:
    """Group the non-blank lines from start on into paragraphs.

    A single newline inside a paragraph is a soft wrap: plain-text wire feeds wrap at about
    70 columns, Markdown authors at 72 to 100. Blank lines end a paragraph; headings, rules,
    list items, table rows, quotes, code, datelines, bylines and caption lines stand apart.
    Between two ordinary lines the newline is a wrap when the sentence visibly goes on (no
    closing punctuation, and the next line starts in lower case), or, in text that is wrapped
    at a fixed width, when the next line's first word would not have fitted on the line.
    """
    kinds = _line_kinds(lines, start)
    width = _wrap_width(lines, kinds, start)
    paras: list[_Para] = []
    first = None
    for i in range(start, len(lines) + 1):
        if first is not None and (i == len(lines) or not _joins(lines, kinds, i, width)):
            texts = [_judged(_strip(lines[k][1])) for k in range(first, i)]
            paras.append(_Para(first, i - 1, " ".join(texts)))
            first = None
        if i < len(lines) and first is None and kinds[i] != _BLANK:
            first = i
    return paras


# A line of an AP story's header in the ANPA wire format, between "^" and "<": the slug
# "^BC-US--Congress-Shutdown,1st Ld-Writethru<", the headline, "^Eds: ...<", the byline,
# "^Associated Press<". Each stands alone, and is judged by what is between the markers (the
# headline was the title with them, and the byline no byline).
_ANPA_LINE = re.compile(r"\^(.*)<")


def _judged(line: str) -> str:
    """Return a stripped line as the rules judge it: an ANPA header line without its markers."""
    anpa = _ANPA_LINE.fullmatch(line)
    return _strip(anpa.group(1)) if anpa else line


# Line kinds: what a line may do at a paragraph boundary.
_BLANK, _TEXT, _ALONE, _OPENS = "blank", "text", "alone", "opens"

# A list item's marker and the space after it ("- ", "2) ", "• "), before its words: a line it
# opens is a list item (the reader's rule, and translate's marker kept as it is).
LIST_MARKER = re.compile(r"(?:[-*+\u2022\u2013]|\d{1,3}[.)])[ \t]+(?=\S)")
_RULE_LINE = re.compile(r"(?:[=\-]{2,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})")
_FENCE = re.compile(r"(?:`{3,}|~{3,})")
# "WASHINGTON (AP) — ", "LONDON, Nov 30 (Reuters) - ", "PARIS (AFP) -- ": the city in capitals.
_DATELINE = re.compile(
    r"[A-Z][A-Z\u00c0-\u00de.'\-]+(?: [A-Z][A-Z\u00c0-\u00de.'\-]+)*"
    r"(?:, [A-Za-z][\w.]*(?: [\w.]+){0,2})? ?(?:\([A-Za-z][\w .&/-]{0,30}\))? *"
    r"[-\u2013\u2014]{1,2} "
)
# "By Jane Doe", "By JANE DOE and JOHN ROE, Associated Press": every word capitalised.
_BYLINE = re.compile(
    r"By (?:(?:and|of|de|van|von|la|le|al)\b|[A-Z\u00c0-\u00de][\w.'\-]*|[,&]|\s)+", re.UNICODE
)
_ENDS_SENTENCE = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]\u00bb]*$")
# Hard wrapping is done at a fixed column, and in practice at 50 to 120 of them.
_WRAP_COLUMNS = (50, 120)
# Lines ending within 20% of the widest, in text wrapped at a fixed width, are most lines.
_FULL_LINE = 0.8
_FULL_SHARE = 0.4
_WRAPPED_LINES_MIN = 3


def _line_kinds(lines: list[tuple[int, str]], start: int) -> list[str]:
    """Say for each line whether it is blank, ordinary text, stands alone or opens a paragraph."""
    kinds = [_BLANK] * len(lines)
    in_fence = False
    seen = 0  # non-blank lines so far: furniture stands alone only near the top
    for i in range(start, len(lines)):
        line = lines[i][1]
        stripped = _strip(line)
        if not stripped:
            continue
        seen += 1
        fence = bool(_FENCE.match(stripped))
        if in_fence or fence:
            kinds[i] = _ALONE  # code keeps its lines as they are
            in_fence = in_fence != fence
            continue
        previous = _strip(lines[i - 1][1]) if i > start else ""
        after_sentence = not previous or bool(_ENDS_SENTENCE.search(previous))
        if (
            _ATX_HEADING.fullmatch(stripped)
            or _ANPA_LINE.fullmatch(stripped)
            or _RULE_LINE.fullmatch(stripped)
            or stripped.startswith(("|", ">", "<"))
            or (
                len(stripped) <= 80
                and (_BYLINE.fullmatch(stripped) or _ARABIC_BYLINE.fullmatch(stripped))
            )
            # A take's note under a headline too long for the wrap width ("(Corrects vote
            # tally in paragraph 2)" under Reuters' 77-column headline) is not its wrap.
            or (
                seen <= _FRONT_LINES
                and (_is_furniture(stripped) or _WIRE_FRONT.fullmatch(stripped))
            )
            or (
                after_sentence
                and not _RIGHTS.match(stripped)
                and (_is_caption(stripped) or _is_teaser(stripped))
            )
        ):
            kinds[i] = _ALONE
        elif (
            LIST_MARKER.match(stripped)
            or _DATELINE.match(stripped)
            # A rights notice opens a paragraph that its wrapped tail ("may not be published,
            # broadcast, ...") joins, so the notice is left out whole.
            or (after_sentence and _RIGHTS.match(stripped))
        ):
            kinds[i] = _OPENS
        elif _indent(line) > _indent(lines[i - 1][1]) + 1 and i > start and previous:
            # An indented first line opens a paragraph, unless it continues a list item.
            item = next((k for k in range(i - 1, start - 1, -1) if kinds[k] != _TEXT), None)
            opens_item = item is not None and LIST_MARKER.match(_strip(lines[item][1]))
            kinds[i] = _TEXT if opens_item and kinds[item] == _OPENS else _OPENS
        else:
            kinds[i] = _TEXT
    return kinds


def _width(line: str) -> int:
    """Return the columns a line takes, indent included, a tab counting four."""
    return len(_TRAIL.sub("", line).replace("\t", "    "))


def _indent(line: str) -> int:
    """Return the width of a line's leading whitespace, a tab counting four."""
    lead = line[: len(line) - len(line.lstrip())]
    return len(lead.replace("\t", "    "))


def _may_join(kinds: list[str], i: int) -> bool:
    """Tell whether line i may continue line i - 1's paragraph at all."""
    return kinds[i] == _TEXT and kinds[i - 1] in (_TEXT, _OPENS)


def _wrap_width(lines: list[tuple[int, str]], kinds: list[str], start: int) -> int | None:
    """Return the column the text is hard-wrapped at, or None when it is not."""
    widths = [_width(lines[i - 1][1]) for i in range(start + 1, len(lines)) if _may_join(kinds, i)]
    if len(widths) < _WRAPPED_LINES_MIN:
        return None
    width = max(widths)
    full = sum(1 for w in widths if w >= _FULL_LINE * width)
    if not _WRAP_COLUMNS[0] <= width <= _WRAP_COLUMNS[1] or full < _FULL_SHARE * len(widths):
        return None
    return width


def _joins(lines: list[tuple[int, str]], kinds: list[str], i: int, width: int | None) -> bool:
    """Tell whether the newline before line i is a soft wrap inside a paragraph."""
    if i <= 0 or not _may_join(kinds, i):
        return False
    previous = _strip(lines[i - 1][1])
    line = _strip(lines[i][1])
    if _squash(previous) == _squash(line):
        return False  # a headline repeated under itself, as scraped pages do
    if not _ENDS_SENTENCE.search(previous) and line[:1].islower():
        return True
    if previous.count("(") > previous.count(")") and line.count(")") > line.count("("):
        # A bracket opened on the line before is closed on this one: Reuters' "(Reporting by
        # ...; Editing by" wrapped before "Toby Chopra)" was two paragraphs, and the trailer
        # went into the story as two pieces no rule knew.
        return True
    # Greedy wrapping (fold, textwrap, wire systems) breaks a line only where the next word
    # would not fit; a shorter line was ended on purpose.
    return width is not None and _width(lines[i - 1][1]) + 1 + len(line.split()[0]) > width


_TEASER = re.compile(
    r"(?:(?:read|see)\s+(?:more|also|next)\b\s*[:\-\u2013\u2014|>\u00bb]"
    r"|(?:also\s+read|more\s+on\s+this(?:\s+story)?|related(?:\s+(?:stories|articles|coverage"
    r"|content|reading|news))?|recommended(?:\s+reading)?|most\s+read|watch|listen)"
    r"\s*[:\-\u2013\u2014|\u00bb]"
    r"|follow\s+(?:us|[^\s:]+(?:\s+[^\s:]+)?)\s+on\s+(?:twitter|x|facebook|instagram|linkedin"
    r"|tiktok|threads|bluesky|mastodon|whatsapp|telegram|youtube|social\s+media)\b"
    r"|(?:sign\s+up|subscribe|register)\s+(?:for|to)\s+(?:our|the)\b.{0,60}\bnewsletters?\b"
    r"|click\s+here\b"
    r"|(?:other|more|top|latest)\s+(?:stories|news|headlines)\s*[:\-\u2013\u2014|\u00bb]"
    # "Continue reading the main story", a link between a page's parts
    r"|(?:to\s+)?continue\s+reading(?:\s+(?:the\s+)?(?:main\s+|full\s+)?(?:story|article|below))?"
    r"\s*[.:\u2026>\u00bb]*$"
    r"|(?:download|get)\s+(?:our|the)\s+(?:\S+\s+){0,3}app\b"
    r"|share\s+(?:this|on)\s+(?:article|story|page|facebook|twitter|x|whatsapp|linkedin)\b"
    # A page's or a feed's footer: "© 2026 News Corp", "Copyright 2026 The Associated Press".
    r"|(?:copyright\s*)?(?:\u00a9|\(c\)|copyright)\s*\d{4}\b"
    r"|proudly\s+powered\s+by\b)",
    re.IGNORECASE,
)
# A paywall's box, where a page saved while logged out shows the lede and then asks for money
# (a reading trial, 2026-12-07: "Standard Digital: $39 per month" ended the brief).
_PAYWALL = re.compile(
    r"(?i:(?:subscribe|sign\s+up|register|log\s*in|sign\s+in)(?:\s+now)?\s+to\s+(?:continue|keep)"
    r"\s+reading\b.{0,40}"
    r"|(?:subscribe|sign\s+in|log\s*in)(?:\s+now|\s+today)?"
    r"|(?:to\s+)?continue\s+reading"
    r"|already\s+(?:a\s+)?(?:subscriber|member|registered)\s*\?(?:\s*(?:sign|log)\s*in)?"
    r"|get\s+(?:unlimited|full|instant)\s+(?:digital\s+)?access\s+to\s+.{0,60}"
    r"\b(?:journalism|articles|stories|content|reporting|coverage|news|site)"
    r"|this\s+(?:article|story|content)\s+is\s+(?:only\s+)?(?:for|available\s+to|exclusive\s+to)"
    r"\s+(?:paying\s+)?(?:subscribers|members))"
    # a plan's price: "Standard Digital: $39 per month"
    r"|(?:[A-Z][\w+]*\s+){0,2}(?:Digital|Print|Access|Subscription|Plan)\s*:\s*"
    r"[$\u20ac\u00a3]\s?\d[\d.,]*\s*(?i:(?:a|per|/)\s*(?:month|week|year|mo|yr))"
)

# A teaser is one short line; a paragraph that happens to start "Watch: ..." and goes on is not.
_TEASER_MAX = 200
# An ad slot's label, on a line of its own where a page saved as text or a CMS export kept the
# slot between paragraphs ("ADVERTISEMENT", "Story continues below advertisement"; the
# Washington Post's, the Globe and Mail's, Le Monde's "Publicité", Al Jazeera's "إعلان").
_AD_LABEL = re.compile(
    r"(?i:advertisements?|advert|ads?|sponsored(?:\s+content)?|paid\s+(?:content|post)"
    r"|promoted(?:\s+content)?|skip\s+(?:advertisement|ad)|ad\s+feedback"
    r"|(?:advertisement\s*[-\u2013\u2014:|]\s*)?scroll\s+(?:down\s+)?to\s+continue"
    r"(?:\s+(?:reading|with\s+(?:the\s+)?(?:content|article|story)))?"
    r"|(?:the\s+)?(?:story|article|text)\s+continues\s+(?:below|after)(?:\s+(?:this|the))?"
    r"\s+(?:advertisement|ad|advert)"
    r"|publicit[ée]|contenu\s+sponsoris[ée]|(?:la\s+)?suite\s+(?:de\s+l'article\s+)?apr[eè]s"
    r"\s+(?:cette|la)\s+publicit[ée]|anzeige|werbung"
    r"|إعلانا?ت?|محتوى\s+ممول|مساحة\s+إعلانية)"
)


def is_headline(line: str) -> bool:
    """Tell whether a line is shaped like a headline rather than a sentence of the story."""
    return _is_headline(line)


def is_boilerplate(line: str) -> bool:
    """Tell whether a line is a caption, credit, teaser or follow-us line rather than story."""
    return _is_caption(line) or _is_teaser(line)


def _is_teaser(line: str) -> bool:
    """Tell whether a line is a teaser, a follow-us, a newsletter or a paywall line rather
    than story."""
    if len(line) > _TEASER_MAX:
        return False
    # Not "!": "Promoted!" over a sports story is a sentence, not a slot's label.
    label = " ".join(line.split()).strip(".:\u2026-\u2013\u2014|[]() ")
    return bool(_TEASER.match(line) or is_paywall(line) or _AD_LABEL.fullmatch(label))


def paywalled(label: str, words: int) -> None:
    """Say that a story stops at a paywall: the brief holds only what came before it."""
    logging.getLogger("briefer").warning(
        "%s: cut off by a paywall; briefed from the %d word(s) before it", label, words
    )


def is_paywall(line: str) -> bool:
    """Tell whether a short line, whole, is a paywall's ("Subscribe to continue reading")."""
    text = " ".join(line.split()).rstrip(".!:\u2026 ")
    return len(text) <= _TEASER_MAX and bool(_PAYWALL.fullmatch(text))


# What news agencies put around a story in plain-text copy (Reuters, AP, AFP, read in a trial of
# such copy, 2026-12-07), none of it story: a whole paragraph of one of these is left out.
_NAME_CAPS = (
    r"[A-Z\u00c0-\u00de][a-z\u00df-\u00ff'\-]+(?: [A-Z\u00c0-\u00de][a-z\u00df-\u00ff'\-]+)*"
)
_SURNAME = r"[A-Z\u00c0-\u00de][A-Z\u00c0-\u00de'\-]+"
_WIRE_FURNITURE = re.compile(
    # take markers in capitals, alerts and the end: "MORE" and "ENDS" are words too
    r"\(?(?:MORE|ENDS?|FLASH|URGENT|BULLETIN)\)?|(?i:AP-?NewsAlert)|-30-|#{3}|<"
    # slugs: "BC-FRANCE-POLITICS/BUDGET (CORRECTED)", "^BC-US--Storm-Texas ...<"
    r"|\^?BC-\S+.*"
    # trailers: "(Reporting by ...; Editing by ...)", "((email; phone))", "Keywords: ..."
    r"|\((?i:(?:additional\s+)?reporting|writing|editing|compiled|translated|graphics?"
    r"|research)\s+by\b.*\)|\(\(.*\)\)|Keywords:.*"
    # a rule; a contributor line of the agency's own ("Associated Press writer Sean Murphy in
    # Oklahoma City contributed to this report."), not "200 scientists contributed to ..."
    r"|[_\-=*~\s]{3,}"
    r"|.{0,160}\b(?i:writers?|reporters?|correspondents?|staff|Associated Press|Reuters|AFP"
    r"|Bloomberg)\b.{0,100}\bcontributed to this (?i:report|story|article)\.?"
    # the rights notice and its wrapped tail: "Copyright 2025 The Associated Press. All rights
    # reserved.", "(c) Copyright Thomson Reuters 2025", "© Agence France-Presse", "This
    # material may not be published, ..."
    r"|(?i:(?:\(c\)\s*)?copyright\s*(?:\u00a9\s*|\(c\)\s*)?)(?:[A-Z][\w&.']*\s+){0,4}\d{4}\b.{0,200}"
    r"|(?:\u00a9|\(c\))\s*(?:\d{4}\b.{0,200}|.{0,60}\b(?:Press|Presse|Reuters|AFP|News|Media|Ltd"
    r"|Inc|LLC|Group|Agency)\b.{0,100})"
    r"|.{0,200}(?i:all rights reserved).{0,120}"
    r"|(?i:(?:this\s+)?material\s+may\s+not\s+be\s+published\b).{0,100}"
    # French and Arabic copy's trailers: Reuters France's "(Reportage Elizabeth Pineau, édité
    # par Sophie Louet)"; Reuters Arabic's "(إعداد ليلى بسام للنشرة العربية - تحرير سها جادو)"
    # (written by ... for the Arabic service - edited by ...)
    r"|\((?i:(?:avec\s+)?(?:reportage|rédaction|rédigé|écrit|édité|édition|version\s+française"
    r"|traduction|traduit)\b)[^()]{0,300}\)"
    r"|\((?:إعداد|تحرير|شارك في التغطية|تغطية صحفية)[^()]{0,300}\)"
    # AFP's byline at the end: "par Julien MIVIELLE avec Hugo LEBRUN à Lyon"
    rf"|[Pp]ar {_NAME_CAPS} {_SURNAME}(?:,? (?:avec|et) {_NAME_CAPS} {_SURNAME})*"
    rf"(?: (?:à|a) {_NAME_CAPS})?"
)
# What agencies put only over a story, before its first paragraph: alerts and editors' notes
# ("^EDS: UPDATES with ..."), notes on a take ("(Corrects vote tally ...)", a second take's
# "PARIS, Dec 7 (Reuters) - (Adds comment ...)"), never a sentence ending in ".)".
_TAKE_NOTE = (
    r"\((?:Corrects|Adds|Updates|Recasts|Changes|Refiles|Fixes|Removes|Inserts|Rewrites"
    r"|Repeats)\b[^()]*[^().]\)"
)
# A correction note, which quotes the wrong figures it corrects: AP's "This story has been
# corrected to show that the vote was 71 to 27, not 72 to 26." and "This version corrects ...",
# Reuters' "(This story has been corrected to fix ... in paragraph 3)", a paper's "CORRECTION:
# An earlier version of this story misstated ...". Only over the story or after it: the same
# words open sentences of stories ("This version corrects several flaws in the bill").
_CORRECTION = (
    r"\(?(?i:this\s+(?:story|article|version)\s+(?:has\s+been\s+|was\s+)"
    r"(?:corrected|refiled|clarified)\b|this\s+version\s+corrects\s+(?:the|that|an?)\s).{0,300}"
    r"|(?:CORRECTION|Correction|CLARIFICATION|Clarification)S?\s*:.{0,400}"
    r"|(?i:an\s+earlier\s+version\s+of\s+this\s+(?:story|article)\b).{0,400}"
)
# AFP's keyword slug over a dispatch's headline, words joined by hyphens with no space:
# "FRANCE-POLITIQUE-BUDGET", English desks' "US-politics-vote" (it was taken for the title).
# Two words are a slug in capitals ("FRANCE-BUDGET"), else a headline's word ("Coca-Cola",
# "COVID-19").
_KEYWORD_SLUG = (
    r"[A-Z\u00c0-\u00dd][\w']*(?:-[\w']+){2,7}"
    r"|[A-Z\u00c0-\u00dd]{2,}-[A-Z\u00c0-\u00dd]{2,}"
)
_WIRE_FRONT = re.compile(
    r"\^?(?:EDS?|Eds?):.*|" + _TAKE_NOTE + "|" + _CORRECTION + "|" + _KEYWORD_SLUG
)
# What only ends a story: a correction note, and the rights notice of French and Arabic copy
# ("© 2024 Reuters. Tous droits réservés.", "جميع الحقوق محفوظة لرويترز ٢٠٢٤"), words that
# can be a story's own ("tous droits réservés" of a record label, Arabic "all rights are
# preserved" for depositors) anywhere else.
_WIRE_TAIL = re.compile(
    _CORRECTION
    + r"|(?:(?:\u00a9|\(c\)|(?i:copyright))[^\n]{0,80}?\s*)?(?i:tous\s+droits\s+réservés)"
    r"[^\n]{0,40}"
    r"|(?:(?:\u00a9|\(c\))[^\n]{0,80}?\s*)?(?:جميع\s+الحقوق|حقوق\s+النشر)\s+محفوظة"
    r"(?:\s+ل?\S{1,25})?(?:\s+[\u0660-\u0669\d]{4})?\s*\.?"
)
# Where a rights notice starts: "Copyright 2025 The Associated Press.", "© 2025 AFP", "(c) ...".
_RIGHTS = re.compile(r"(?:\(c\)\s*)?copyright\b|\u00a9|\(c\)", re.IGNORECASE)
# A later take's dateline with only its note ("PARIS, Dec 7 (Reuters) - (Adds comment from
# finance minister)"), wherever the take starts.
_TAKE_DATELINE = re.compile(
    r"[A-Z][\w.,' ]{0,40}\([A-Za-z ]{2,30}\) [-\u2013\u2014]{1,2} " + _TAKE_NOTE
)
# AFP's desk initials at a dispatch's end, in lower case with a slash: "jmi-hl/abl/gm", and
# in Arabic letters, "ز ع/س ح/ع ش".
_DESK_SLUG = re.compile(
    r"[a-z]{2,4}(?:-[a-z]{1,4})?(?:/[a-z]{1,4}(?:-[a-z]{1,4})?){1,4}"
    r"|[\u0621-\u064a]{1,2}(?: [\u0621-\u064a]{1,2})?"
    r"(?:/[\u0621-\u064a]{1,2}(?: [\u0621-\u064a]{1,2})?){1,4}"
)
# The agencies a byline names ("By Jane Doe, Reuters", an "Associated Press" line under it);
# web.py reads a page's byline lines with the same two patterns.
AGENCY = (
    r"(?:The\s+)?(?:Associated\s+Press|AP|Reuters|AFP|Agence\s+France-Presse"
    r"|Bloomberg(?:\s+News)?)"
)
# A writer's role after the name or on the line under it ("Staff Writer", "AP Economics Writer").
ROLE = (
    r"(?:Writer|Correspondent|Reporter|Editor|Columnist|Contributor|Producer|Analyst"
    r"|Photographer)s?"
)
# "Associated Press", "Reuters", "AFP": the agency line under a byline.
_AGENCY = re.compile(AGENCY, re.IGNORECASE)
# A writer's role or agency on the line under a byline, in plain text and on web pages:
# "AP Economics Writer", "Courier Staff Writer", "AP Congressional Correspondents",
# "Associated Press".
ROLE_LINE = re.compile(
    rf"(?:[A-Z][\w.'&-]*\s+){{0,4}}(?i:(?:(?:Staff|Senior|Chief|Special|Contributing)\s+)?{ROLE})"
    rf"|(?i:{AGENCY})"
)
# Reuters' headline prefixes: "CORRECTED-UPDATE 2-FRENCH GOVERNMENT SURVIVES ...".
_WIRE_PREFIX = re.compile(
    r"(?:(?:CORRECTED|CORRECTION|UPDATE \d+|RPT|REFILE|WRAPUP \d+|EXCLUSIVE|INSIGHT|ANALYSIS"
    r"|FACTBOX|FOCUS|PREVIEW|TIMELINE|EXPLAINER|BUZZ|BREAKINGVIEWS|URGENT)-)+(?=\S)"
)


# What follows a name in a byline: a role ("Staff Writer", "AP Economics Writer") or an agency.
_BYLINE_ROLE = re.compile(rf"\b(?:{ROLE}|(?:staff|bureau|chief)s?)\b", re.IGNORECASE)
_BYLINE_AGENCY_TAIL = re.compile(rf"\s+{AGENCY}\b.*$")


# An Arabic byline, "بقلم ليلى بسام" (by Layla Bassam), with the agency after a dash or comma
# at times ("بقلم ليلى بسام - رويترز"): two to four words of a name.
_ARABIC_BYLINE = re.compile(
    r"بقلم\s*:?\s*([\u0621-\u064a]+(?:\s[\u0621-\u064a]+){1,3})(?:\s*[-\u2013\u2014\u060c,]\s*"
    r"[\u0621-\u064a ]{2,30})?"
)


def read_byline(text: str) -> tuple[bool, str | None]:
    """Return whether a line is a byline, and the writers it names (or None).

    "By Jane Doe, Kyiv", "By Jane Doe, BBC News" and "By Tom Becker, Staff Writer" name Jane
    Doe and Tom Becker: what follows the first comma is a place, an outlet or a role, unless a
    later part joins names with "and" (AP's "By JOSH BOAK, LISA MASCARO and MARY CLARE
    JALONICK" names three). "and" in any case joins names. An agency alone ("By Reuters", "By
    The Associated Press") is the author; a role alone ("By Staff Writer") a byline naming no
    one. A line where a writer would have a one-word name is no byline: "By Monday", "By
    George, It Works", a title-case deck such as "By Land And Sea". Plain text and web pages
    both read bylines with it.
    """
    line = " ".join(text.split())
    if len(line) > 80:
        return False, None
    arabic = _ARABIC_BYLINE.fullmatch(line)
    if arabic:
        return True, arabic.group(1)
    if not _BYLINE.fullmatch(line):
        return False, None
    parts = [part.strip() for part in line[3:].split(",")]
    joined = [i for i, part in enumerate(parts) if _AND.search(part)]
    names: list[str] = []
    agencies: list[str] = []
    roles = False
    for part in parts[: joined[-1] + 1 if joined else 1]:
        for name in _AND.split(part):
            if not _AGENCY.fullmatch(name):
                name = _BYLINE_AGENCY_TAIL.sub("", name).strip()  # "Jane Doe Reuters"
            if not name:
                continue
            if _AGENCY.fullmatch(name):
                agencies.append(name)
            elif _BYLINE_ROLE.search(name):
                roles = True
            elif len(name.split()) < 2:
                return False, None
            else:
                names.append(name)
    if names or agencies:
        return True, "; ".join(names) or agencies[0]
    return roles, None


# "and" or "&" between two names, in any case: AP's all-caps bylines say "AND".
_AND = re.compile(r"(?:^|\s+)(?:and|&)\s+", re.IGNORECASE)  # "A, B, and C" too


def _is_wire_furniture(text: str, front: bool = False) -> bool:
    """Tell whether a paragraph is an agency's slug, marker, trailer or notice; with front, one
    over the story too (an editor's note, a note on the take)."""
    line = " ".join(text.split())
    if len(line) > 400:
        return False
    return bool(
        _DESK_SLUG.fullmatch(line)
        or _WIRE_FURNITURE.fullmatch(line)
        or _TAKE_DATELINE.fullmatch(line)
        or (front and _WIRE_FRONT.fullmatch(line))
    )


def _title_from_paragraphs(front: list[_Para]) -> tuple[str | None, _Para | None]:
    """Return (title, paragraph) from the first front paragraph that is not furniture."""
    for para in front:
        if (
            _is_furniture(para.text)
            or _is_caption(para.text)
            or _is_wire_furniture(para.text, front=True)
        ):
            continue
        heading = _ATX_HEADING.fullmatch(para.text)
        if heading and heading.group(1).strip():
            return " ".join(heading.group(1).split()), para
        if _is_headline(para.text):
            return _WIRE_PREFIX.sub("", " ".join(para.text.split()), count=1), para
        return None, None
    return None, None


_NAME_DATE = re.compile(
    r"(?:^|(?<=[-_ .]))(?:19|20)\d{2}([-_.]?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?=$|[-_ .])"
)


def _title_from_name(name: str | None) -> str:
    """Turn a file name into a title: "paris-coalition_meeting.txt" -> "Paris coalition meeting"."""
    if not name or name == "-":
        return "Untitled"
    stem = Path(name).stem.strip(".")
    # A date in the name is the file's, not the story's words: Jekyll's
    # "2024-12-03-senate-vote.md", an archive's "senate-vote_20241203.txt".
    undated = _NAME_DATE.sub(" ", stem)
    stem = undated if undated.strip(" -_.") else stem
    words = " ".join(re.sub(r"[-_]+", " ", stem).split())
    return words[:1].upper() + words[1:] if words else "Untitled"


def _is_headline(line: str) -> bool:
    """Tell whether a line is shaped like a headline rather than a sentence of the story."""
    if len(line) > 150 or len(line.split()) > 25 or not any(c.isalpha() for c in line):
        return False
    if line.endswith("...") or line.endswith("\u2026"):
        return True
    return not line.endswith((".", ",", ";", ":"))


def _same_headline(line: str, title: str) -> bool:
    """Tell whether a line repeats the title, ignoring case, spacing and punctuation."""
    heading = _ATX_HEADING.fullmatch(line)
    a = _squash(heading.group(1) if heading else line)
    return bool(a) and a == _squash(title)


def _squash(s: str) -> str:
    """Reduce text to its case-folded letters and digits, for loose comparison."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", s).casefold())


def _is_furniture(line: str) -> bool:
    """Tell whether a line holds only a date, a reading time, or both."""
    parts = [p for p in _FURNITURE_SEP.split(line) if p]
    return bool(parts) and all(_is_date(p) or _READING_TIME.fullmatch(p) for p in parts)


def is_date(line: str) -> bool:
    """Tell whether a line is only a date and/or time ("April 9, 2025", "Tuesday 10:45 BST")."""
    return _is_date(line)


def _is_date(line: str) -> bool:
    """Tell whether a line is only a date and/or time, such as "Tuesday 2 June 2015 10:45 BST"."""
    if _RELATIVE.fullmatch(line):
        return True
    prefix = _DATE_PREFIX.match(line)
    rest = line[prefix.end() :] if prefix else line
    tokens = [t.rstrip(".,") for t in re.split(r"[\s,()]+", rest) if t.strip(".,")]
    if not tokens or len(tokens) > 12:
        return False
    month = number = full = clock = False
    for token in tokens:
        low = token.lower()
        if low in _MONTHS:
            month = True
        elif _NUMERIC_DATE.fullmatch(token):
            full = True
        elif _NUMBER.fullmatch(token):
            number = True
        elif _TIME.fullmatch(token):
            clock = True
        elif not (
            low in _WEEKDAYS
            or low in _ZONES
            or low in _FILLERS
            or _AMPM.fullmatch(token)
            or _OFFSET_ZONE.fullmatch(token)
        ):
            return False
    return full or clock or (month and number)


def _is_caption(line: str) -> bool:
    """Tell whether a line is a photo caption or credit rather than story."""
    if len(line) > _CAPTION_MAX:
        return False
    if _CAPTION_START.match(line) or _GETTY_END.search(line):
        return True
    bracket = _CREDIT_BRACKET.search(line)
    if bracket:
        credit = bracket.group(1).strip()
        if credit[:1].isupper() and len(credit.split()) <= 6 and not _NOT_CREDIT.fullmatch(credit):
            return True
    paren = _CREDIT_PAREN.search(line)
    return bool(paren and _CREDIT_WORD.search(paren.group(1)))


ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# Files that say they are plain text: `briefer translate` reads them as text, not Markdown.
TEXT_SUFFIXES = (".txt", ".text")
# Hugo's TOML front matter: between +++ lines at the very start of a document.
TOML_FRONT = re.compile(r"\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
# A saved page carries two to three times its text in markup, scripts and styles: a page may be
# this many times --max-input-bytes (5 MB by default, as much as a fetched URL may be).
HTML_FACTOR = 2.5
_GLOB_CHARS = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Source:
    """One input to read: a path, a URL or stdin; or why the name given yields nothing."""

    name: str
    error: str | None = None

    def __post_init__(self) -> None:
        """Take a path as its name (Source(Path("wire/a.txt"))), as every file option does."""
        if isinstance(self.name, os.PathLike):
            object.__setattr__(self, "name", os.fspath(self.name))


def is_url(value: str) -> bool:
    """Tell whether value is an http:// or https:// URL (other schemes are not fetched)."""
    low = value[:8].lower()
    return (low.startswith("http://") and len(value) > 7) or (
        low.startswith("https://") and len(value) > 8
    )


# Something written as a URL ("ftp://", "file://", a typo's "htps://", a bare "http://"):
# read as a file name, it had been "/srv/htps:/example.com/a: no such file".
_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,15}://")


def refuse_other_urls(name: str) -> Source | None:
    """Return a failed Source for a name written as a URL that briefer does not fetch (a
    scheme other than http and https, or no host), or None."""
    if not _URL_LIKE.match(name) or Path(name).exists():
        return None
    scheme = name.split(":", 1)[0]
    if scheme.lower() in ("http", "https"):
        if is_url(name) and not any(ch.isspace() for ch in name.strip()):
            return None
        why = "it holds a space" if is_url(name) else "no host"
        return Source(name, f"{name}: not a valid URL ({why})")
    return Source(
        name,
        f"{name}: briefer fetches http:// and https:// URLs, not {scheme}:// "
        "(save the page and give its file)",
    )


def refuse_credentials(url: str) -> Source | None:
    """Return a failed Source for a URL holding a user name or password, named with them
    hidden, or None. urllib had taken the user name for part of the host ("cannot resolve
    the host name"), and the brief's "Not included" list printed the password."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url.strip())
        if parts.username is None and parts.password is None:
            return None
    except ValueError:
        return None
    hidden = urlunsplit(parts._replace(netloc=f"***@{parts.netloc.rpartition('@')[2]}"))
    return Source(
        hidden,
        f"{hidden}: a URL with a user name or password; briefer sends no credentials "
        "(save the page and give its file)",
    )


def expand(inputs: Sequence[str], from_list: str | Sequence[str] | None = None) -> list[Source]:
    """Turn what the user named into the sources to read, in order: folders, globs, lists
    (one list file, or several, read in the order given)."""
    lists = [from_list] if isinstance(from_list, str) else list(from_list or ())
    names: list[str | Source] = list(inputs)
    for listed in lists:
        try:
            names.extend(read_list(listed))
        except InputError as exc:
            # A list that cannot be read is a source left out, as a missing folder is: the
            # wire copy beside it is still briefed (it had been a usage error, no brief).
            names.append(Source(listed, f"{exc} (a --from-list file)"))
    sources: list[Source] = []
    for name in names:
        if isinstance(name, Source):
            sources.append(name)
            continue
        found = _expand_one(name)
        if lists:
            # A list kept in the wire folder (or glob) it names is no story of that folder;
            # named itself, it is read as asked.
            found = [
                s
                for s in found
                if s.error or s.name == name or not any(_same_file(s.name, x) for x in lists)
            ]
        sources.extend(found)
    if [s.name for s in sources].count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    return sources


def _same_file(name: str, other: str | None) -> bool:
    """Tell whether two paths name one file (False when either cannot be looked at)."""
    if other is None:
        return False
    try:
        return os.path.samefile(name, other)
    except OSError:
        return False


def read_list(path: str) -> list[str]:
    """Return the paths and URLs in a list file: one a line, # comments, relative to the file."""
    text = decode(read_bytes(path), path)
    folder = Path(path).parent
    entries = []
    for line in text.splitlines():
        entry = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not entry:
            continue
        if (
            not _URL_LIKE.match(entry)
            and entry != "-"
            and not Path(entry).expanduser().is_absolute()
        ):
            # A list kept beside the wire folder must work from cron's working directory too.
            entry = str(folder / entry)
        entries.append(entry)
    return entries


def _expand_one(name: str) -> list[Source]:
    """Expand one name: a folder to its article files, a glob to its matches, else itself."""
    if name == "-" or is_url(name) or _URL_LIKE.match(name):
        return [refuse_other_urls(name) or refuse_credentials(name) or Source(name)]
    path = Path(name).expanduser()
    if path.is_dir():
        found, problems = _walk(path)
        files = [p for p in found if p.suffix.lower() in ARTICLE_SUFFIXES]
        if not files and not problems:
            kinds = ", ".join(ARTICLE_SUFFIXES)
            return [Source(name, f"{name}: folder holds no article files ({kinds})")]
        return [Source(str(p)) for p in files] + problems
    if not path.exists() and _GLOB_CHARS.search(name):
        if "**" in Path(name).parts or "**" in path.parts:
            found, problems = _glob_walk(path)
        else:
            found = [Path(m) for m in sorted(glob.glob(str(path))) if Path(m).is_file()]
            problems = []
        if not found and not problems:
            return [Source(name, f"{name}: no files match")]
        return [Source(str(p)) for p in found] + problems
    return [Source(str(path) if name.startswith("~") else name)]


# The most files and folders a folder or "**" input may hold, counted as walked: a bound on
# the time a link to a large tree could take. /usr's 116,297 files took 10 s to walk on a
# busy 2-vCPU AMD EPYC, so this is a few seconds; a brief of that many articles is batch's.
MAX_WALK_ENTRIES = 50_000


def _walk(top: Path) -> tuple[list[Path], list[Source]]:
    """Return the files under a folder, hidden ones left out, sorted, each once; and a Source
    with its error for each folder that cannot be read.

    Linked folders are followed, each real folder once: glob's "**" followed a link to a
    parent over and over (two such links: still expanding after 60 s), and rglob skipped a
    linked feed folder without a word. An unreadable folder had been skipped silently too.
    """
    seen: set[tuple[int, int]] = set()
    files: dict[tuple[int, int], Path] = {}
    problems: list[Source] = []

    def unreadable(exc: OSError) -> None:
        where = exc.filename or str(top)
        problems.append(Source(str(where), f"{where}: cannot read folder ({exc.strerror or exc})"))

    entries = 0
    for folder, dirs, names in os.walk(top, onerror=unreadable, followlinks=True):
        entries += len(dirs) + len(names)
        if entries > MAX_WALK_ENTRIES:
            # Links are followed: one to "/" or to a mounted archive would walk it all.
            return [], [
                Source(
                    str(top),
                    f"{top}: more than {MAX_WALK_ENTRIES:,} files and folders under it, "
                    "links followed; give a narrower folder or glob (briefer batch reads "
                    "archives)",
                )
            ]
        try:
            here = os.stat(folder)
        except OSError as exc:
            unreadable(exc)
            dirs[:] = []
            continue
        if (here.st_dev, here.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((here.st_dev, here.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in names:
            if file.startswith("."):
                continue
            at = Path(folder, file)
            try:
                info = at.stat()
            except OSError:
                continue  # a dangling link, as rglob's is_file() left it out
            if stat.S_ISREG(info.st_mode):  # a file, as is_file() says; not a FIFO or device
                files.setdefault((info.st_dev, info.st_ino), at)
    return sorted(files.values()), problems


def _glob_walk(pattern: Path) -> tuple[list[Path], list[Source]]:
    """Expand a glob holding "**" by walking its base folder (see _walk), "**" standing for
    any number of folders and each other part matched as glob.glob matches it."""
    parts = pattern.parts
    first = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
    base = Path(*parts[:first]) if first else Path(".")
    wanted = parts[first:]
    if not base.is_dir():
        return [], []
    found, problems = _walk(base)
    return [p for p in found if _parts_match(p.relative_to(base).parts, wanted)], problems


def _parts_match(parts: Sequence[str], wanted: Sequence[str]) -> bool:
    """Match path parts against glob parts, "**" matching none or any number of parts.

    Each (part, glob part) pair is decided once: tried every way, ten "**" on a path 26
    parts deep had not finished in 120 s."""

    @functools.cache
    def match(i: int, j: int) -> bool:
        if j == len(wanted):
            return i == len(parts)
        if wanted[j] == "**":
            return match(i, j + 1) or (i < len(parts) and match(i + 1, j))
        return i < len(parts) and fnmatch.fnmatchcase(parts[i], wanted[j]) and match(i + 1, j + 1)

    return match(0, 0)


def download(
    url: str, *, allow_private_urls: bool = False, max_bytes: int = MAX_INPUT_BYTES
) -> web.Download:
    """Fetch a URL source for read_source(downloaded=...): the network part alone, which
    threads may run side by side (reading it runs the page extractor, which they may not)."""
    from . import web

    return web.download(
        url, allow_private=allow_private_urls, max_bytes=int(max_bytes * HTML_FACTOR)
    )


def read_source(
    name: str,
    stdin: BinaryIO | None = None,
    *,
    allow_private_urls: bool = False,
    max_bytes: int = MAX_INPUT_BYTES,
    downloaded: web.Download | None = None,
) -> Article:
    """Read one source into an article: a file, saved HTML page, URL, or '-' for stdin.

    Files and stdin past max_bytes are refused; saved HTML pages may be HTML_FACTOR times that.
    A URL already fetched by download() comes as downloaded.
    """
    # web imports http.client, ssl and urllib (80 ms): only for pages and URLs.
    page_bytes = int(max_bytes * HTML_FACTOR)
    if is_url(name):
        from . import web

        if downloaded is None:
            downloaded = download(name, allow_private_urls=allow_private_urls, max_bytes=max_bytes)
        page = web.read_download(downloaded)
        if page.kind != "html" and len(page.text.encode("utf-8", "replace")) > max_bytes:
            # Served as text, it is held to the text bound, as the same file saved would be.
            raise _too_large(name, max_bytes)
        if page.kind != "html":
            # An RTF file served as text/plain, as the same bytes in a file or on stdin are.
            _refuse_rtf(page.text[:64].encode("utf-8"), name)
        return from_page(page, name)
    if name == "-":
        # Read as much as a page may hold, then hold text to the text limit.
        data = _read_up_to(stdin, page_bytes + 1, "stdin") if stdin is not None else b""
        if looks_html(data):
            from . import web

            if len(data) > page_bytes:
                raise _too_large("stdin", page_bytes)
            return from_page(web.extract_html(data, None, label="stdin"), name)
        if len(data) > max_bytes:
            raise _too_large("stdin", max_bytes)
        _refuse_rtf(data, "stdin")
        article = parse_article(decode(data, "stdin"), name)
        _warn_several_stories(article)
        return article
    if Path(name).suffix.lower() in HTML_SUFFIXES:
        from . import web

        # read_html_file reads through read_bytes: the same one-line errors as any file.
        return from_page(web.read_html_file(name, page_bytes), name)
    return read_path(name, max_bytes)


def _warn_several_stories(article: Article) -> None:
    """Warn when piped text holds several wire stories (two datelines or more opening its
    paragraphs): `cat wire/*.txt | briefer summarize -` is one article, briefed under the
    first story's headline, where `briefer summarize wire/*.txt` briefs each."""
    datelines = sum(1 for s, e in article.body if _DATELINE.match(article.text, s, min(e, s + 120)))
    if datelines >= 2:
        logging.getLogger("briefer").warning(
            "stdin holds %d datelines: it is briefed as one article; to brief each story, "
            "name the files (briefer summarize wire/*.txt)",
            datelines,
        )


def parse_text(text: str, source: str = "<text>") -> Article:
    """Parse a text handed over as a str (the library's brief()): an HTML page, as piped HTML
    is, through the page extractor; anything else as parse_article reads it."""
    if looks_html_text(text):
        return read_html_field(text, source, source)
    return parse_article(text, source)


def from_page(page: web.Page, source: str) -> Article:
    """Make an article from an extracted web page, its metadata kept; from a document served
    as text or Markdown, as a .txt or .md file of it is read."""
    if page.kind != "html":
        return _parse_document(page.text, source, markdown=page.kind == "markdown", name=page.url)
    text = page.text if not page.title else f"{page.title}\n\n{page.text}"
    article = parse_article(text, source, page.url)
    if page.paywalled:
        paywalled(_label(source), article.words)
    return replace(
        article,
        title=page.title or article.title,
        author=page.author,
        date=page.date,
        dropped=_in_page_order(article.dropped + page.dropped, page.outline),
    )


def _in_page_order(dropped: tuple[str, ...], outline: tuple[str, ...]) -> tuple[str, ...]:
    """Return what was left out of a page's story in page order: each item where the block
    that is it, or holds it, stands (the reader's date line after the page's byline above
    it); one found in no block keeps its place after them."""

    # Most items are a block whole: found at once (a scan per item took 6.8 s of a 780 kB
    # page's 10.5 s, 6,000 captions). Only a line the reader took from a block is looked for
    # inside them, for the few there are.
    first: dict[str, int] = {}
    for n, block in enumerate(outline):
        first.setdefault(block, n)

    def where(item: str) -> int:
        found = first.get(item)
        if found is not None:
            return found
        return next((n for n, block in enumerate(outline) if item in block), len(outline))

    return tuple(sorted(dropped, key=where))


def _starts_html(data: bytes) -> bool:
    """Return whether a file's bytes start as an HTML page (a story may mention `<html>`),
    after any comments before it: a browser's "Save page as" puts `<!-- saved from
    url=(0055)https://... -->` first, and such a page saved as story.txt was read as text."""
    head = _HTML_PREAMBLE.sub(b"", data[:2048].removeprefix(b"\xef\xbb\xbf"), count=1).lower()
    # A page's <head> or <body> first: a fragment copied from a browser's developer tools.
    return head.startswith((b"<!doctype html", b"<html", b"<head>", b"<head ", b"<body"))


# What may come before a page's <!DOCTYPE> or <html>: spaces and (a few short) comments.
# An XHTML page's XML declaration ("<?xml version="1.0" encoding="utf-8"?>") comes first too.
_HTML_PREAMBLE = re.compile(
    rb"\A(?:\s*<\?xml[^>]{0,200}\?>)?(?:\s*<!--.{0,1024}?-->)*\s*", re.DOTALL
)


# A CMS body field's HTML, which starts at its first paragraph rather than at <html>
# (WordPress's post_content, a JSON export's "body"): its tags, counted in its first 4 KB.
_HTML_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|blockquote|article|section|figure|figcaption|table|tr|td"
    r"|a|strong|em|b|i|span|img|br)\b[^<>]{0,400}>",
    re.I,
)
# Tags enough to call a field HTML: a story that mentions `<br>` or opens with an address in
# angle brackets ("<jane@paper.com> wrote:") is text.
_FRAGMENT_TAGS = 3
_BLOCK_START = re.compile(r"<(?:p|div|h[1-6]|ul|ol|li|blockquote|table|figure|pre|section)\b", re.I)
_BLOCK_END = re.compile(r"(</(?:p|div|h[1-6]|ul|ol|blockquote|table|figure|pre|section)>)[ \t]*\n?")
_HEADING_FIRST = re.compile(r"\s*<h[1-6]\b", re.I)


def read_html_field(text: str, source: str, name: str) -> Article:
    """Read a text field that is HTML (looks_html_text): a page as a page; a CMS body
    fragment with its bare paragraphs wrapped, titled by its first heading only when it opens
    with one (else by name, as a plain text field is: "Costs", a subheading halfway down,
    had been the headline)."""
    from . import web

    if _starts_html(text[:4096].encode("utf-8", "replace")):
        return from_page(web.extract_html(text, None, label=name), source)
    article = from_page(web.extract_html(_wrap_paragraphs(text), None, label=name), source)
    if not _HEADING_FIRST.match(text):
        article = replace(article, title=_title_from_name(name))
    return article


def looks_html_text(text: str) -> bool:
    """Return whether a text handed over as a field (a record's `text`, the library's
    brief(text)) is HTML: a page that opens as one, or a fragment with tags enough."""
    head = text[:4096]
    if _starts_html(head.encode("utf-8", "replace")):
        return True
    return len(_HTML_TAG.findall(head)) >= _FRAGMENT_TAGS


def _wrap_paragraphs(fragment: str) -> str:
    """Return a CMS body fragment with each blank-line paragraph that no block tag opens
    wrapped in <p>, as WordPress does when it shows a classic-editor post (wpautop): read
    bare, its paragraphs were no story to the page extractor ("mostly links")."""
    # A block's end ends its paragraph too: "<h2>Costs</h2>" then a line of text.
    text = _BLOCK_END.sub(r"\1\n\n", fragment)
    blocks = re.split(r"\n[ \t]*\n", text.strip())
    return "\n".join(
        block if _BLOCK_START.match(block.lstrip()) else f"<p>{block}</p>" for block in blocks
    )


def looks_html(data: bytes) -> bool:
    """Return whether bytes given as text (piped, served as text/plain, handed to brief()) are
    an HTML page rather than plain text."""
    head = data[:2048].lstrip().lower()
    return _starts_html(data) or b"<html" in head[:512]
