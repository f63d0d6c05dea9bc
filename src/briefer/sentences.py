"""Sentence splitting with character spans, shared by chunking, translation and extraction."""

from __future__ import annotations

from functools import lru_cache

Span = tuple[int, int]

# pysbd knows these; anything else falls back to English rules.
_PYSBD_LANGS = {"en", "fr", "ar", "es", "de", "it", "nl", "ru", "pl", "da", "el", "fa", "ur"}


@lru_cache(maxsize=8)
def _segmenter(lang: str):  # noqa: ANN202 - pysbd has no public type
    """Return a cached pysbd segmenter for a language."""
    import pysbd

    return pysbd.Segmenter(language=lang if lang in _PYSBD_LANGS else "en", clean=False)


def split_sentences(
    text: str, start: int = 0, end: int | None = None, lang: str = "en"
) -> list[Span]:
    """Split text[start:end] into sentence spans that together cover all its non-space text."""
    end = len(text) if end is None else end
    segment = text[start:end]
    if not segment.strip():
        return []
    spans: list[Span] = []
    cursor = 0
    for piece in _segmenter(lang).segment(segment):
        piece = piece.strip()
        if not piece:
            continue
        found = segment.find(piece, cursor)
        if found < 0:
            # pysbd rewrote the text; whatever it could not place joins the previous span below.
            continue
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    spans = _close_gaps(segment, spans)
    return [(start + s, start + e) for s, e in spans]


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
