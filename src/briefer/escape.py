"""Escaping for the formats a brief is written in: what an article, a model, a file name or a
server says must come out as text, never as a heading, a link or markup.

Markdown: CommonMark lets a backslash escape any ASCII punctuation, and an entity stand for
any character. The escaper turns `<`, `>` and entity-like `&` into entities (so raw HTML,
autolinks and a closing `</div>` are text, inside and outside HTML blocks), backslash-escapes
the inline markup characters (emphasis, code, links, tables, strikethrough), and escapes what
would start a block at the start of a line (headings, lists, quotes, rules). It leaves plain
prose alone: "U.S. shares rose 3.5% (est.)" comes out as it went in.
"""

from __future__ import annotations

import re
import unicodedata

# Inline markup, escaped wherever it stands: backslash, code, emphasis, links, images, GFM
# tables and strikethrough.
_INLINE = re.compile(r"[\\`*\[\]|~]")
# An underscore opens or closes emphasis unless it sits between two letters or digits.
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# `&` that would start an entity reference (&amp; &#35; &#x23;); a lone `&` (AT&T) is text.
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# ATX heading markers and closing sequences: a `#` at the start or after a space.
_HASH = re.compile(r"(^|\s)#", re.MULTILINE)
# What opens a block at the start of a line: a list item (-, +, 1. or 1)), a setext or
# thematic rule made of = or -.
_LIST = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def markdown(text: str) -> str:
    """Return text escaped for a Markdown paragraph, heading or link label: it renders as is."""
    text = valid_utf8(text)
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\g<0>", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _HASH.sub(r"\1\\#", text)
    text = _LIST.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)


def one_line(text: str) -> str:
    """Return text on one line: line breaks, tabs and other control characters become spaces,
    and every bidirectional embedding, override or isolate the text opens is closed at its
    end, so it cannot reorder what follows it on the line (a title's U+202E turned the
    metadata after it around)."""
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in valid_utf8(text)
    )
    return _close_bidi(re.sub(" {2,}", " ", text).strip(" "))


# Bidirectional formatting characters that open a scope, and the one that closes each.
_BIDI_OPENS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
               "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}  # fmt: skip


def _close_bidi(text: str) -> str:
    """Return text with a closing PDF or PDI added for each scope it leaves open."""
    if not any(ch in _BIDI_OPENS for ch in text):
        return text
    open_scopes: list[str] = []
    for ch in text:
        if ch in _BIDI_OPENS:
            open_scopes.append(_BIDI_OPENS[ch])
        elif ch == "\u2069" and "\u2069" in open_scopes:
            # A PDI closes its isolate and any embedding opened inside it; one with no
            # isolate open does nothing (UAX #9).
            while open_scopes.pop() != "\u2069":
                pass
        elif ch == "\u202c" and open_scopes and open_scopes[-1] == "\u202c":
            open_scopes.pop()
    return text + "".join(reversed(open_scopes))


def name(text: str) -> str:
    """Return a file name or URL as text that cannot break a line or reorder what follows.

    Control characters are shown as escapes (a newline as \\n, as `ls -b` does), bidirectional
    overrides as \\u202e, and bytes that are not UTF-8 as U+FFFD.
    """
    out = []
    for ch in valid_utf8(text):
        if ch in _BIDI or unicodedata.category(ch) in {"Cc", "Zl", "Zp"}:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def valid_utf8(text: str) -> str:
    """Return text that encodes as UTF-8: lone surrogates (undecodable bytes of a file name,
    kept by Python's surrogateescape) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def raw_bytes(text: str) -> bytes | None:
    """Return the bytes a name stood for when it held undecodable ones, else None."""
    if not _SURROGATE.search(text):
        return None
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: keep it as WTF-8
        return text.encode("utf-8", "surrogatepass")


def html(text: str) -> str:
    """Return text escaped for HTML content or a quoted attribute value."""
    return (
        valid_utf8(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )
