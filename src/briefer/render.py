"""The render stage: briefs to Markdown (through a Jinja2 template), JSON or plain text."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .brief import Brief
from .errors import UsageError
from .options import RTL_LANGUAGES

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class Failure:
    """A source that did not make it into the brief, and why."""

    source: str
    reason: str


def render(
    briefs: Sequence[Brief],
    fmt: str = "markdown",
    *,
    failed: Sequence[Failure] = (),
    template: str | None = None,
    title: str = "Morning brief",
    date: dt.date | None = None,
) -> str:
    """Return the briefs in the format asked for, ending with one newline."""
    if fmt == "json":
        return to_json(briefs, failed)
    if fmt == "jsonl":
        return "".join(json_line(b) for b in briefs) + "".join(failure_line(f) for f in failed)
    if fmt == "text":
        return "\n\n".join(b.summary for b in briefs) + "\n"
    return markdown(briefs, failed=failed, template=template, title=title, date=date)


def context(
    briefs: Sequence[Brief],
    failed: Sequence[Failure] = (),
    title: str = "Morning brief",
    date: dt.date | None = None,
) -> dict[str, Any]:
    """Return the documented template context for a brief."""
    anchors: dict[str, int] = {}
    articles = []
    for b in briefs:
        articles.append(
            {
                "title": b.title,
                "summary": b.summary,
                "source": b.source,
                "language": b.language,
                "rtl": b.language in RTL_LANGUAGES,
                "words": b.words,
                "reading_minutes": reading_minutes(b.words),
                "models": dict(b.models),
                "original_title": b.original_title or b.title,
                "anchor": _unique(slug(b.title), anchors),
                "meta": meta_line(b),
            }
        )
    languages = list(dict.fromkeys(b.language for b in briefs))
    return {
        "title": title,
        "date": (date or dt.date.today()).isoformat(),
        "languages": languages,
        "articles": articles,
        "failed": [{"source": f.source, "reason": f.reason} for f in failed],
    }


def markdown(
    briefs: Sequence[Brief],
    *,
    failed: Sequence[Failure] = (),
    template: str | None = None,
    title: str = "Morning brief",
    date: dt.date | None = None,
) -> str:
    """Render briefs to Markdown with the built-in template or the one at the path given."""
    import jinja2

    source = _template_text(template)
    env = jinja2.Environment(
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    try:
        text = env.from_string(source).render(**context(briefs, failed, title, date))
    except jinja2.TemplateError as exc:
        raise UsageError(f"template {template or 'built-in'}: {exc}") from None
    # Templates are easier to read with loose spacing; the output should not carry it.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _template_text(template: str | None) -> str:
    """Return the text of the built-in template, or of the file given."""
    if template is None:
        return (resources.files("briefer") / "templates" / "brief.md.j2").read_text("utf-8")
    path = Path(template).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read template {template}: {exc.strerror or exc}") from None


def meta_line(brief: Brief) -> str:
    """Return the one-line provenance note under an article's brief."""
    parts = [f"Source: {brief.source}"]
    if brief.author:
        parts.append(f"By {brief.author}")
    if brief.date:
        parts.append(f"Published {brief.date}")
    if brief.words:
        parts.append(f"{brief.words:,} words, {reading_minutes(brief.words)} min read")
    parts.append(f"Summarizer: {brief.models.get('summarizer', '?')}")
    if "translator" in brief.models:
        parts.append(f"Translator: {brief.models['translator']}")
    parts.append(f"Language: {brief.language}")
    return " · ".join(parts)


def reading_minutes(words: int) -> int:
    """Return the reading time of a text of so many words, in whole minutes, at least one."""
    return max(1, round(words / WORDS_PER_MINUTE))


def slug(text: str) -> str:
    """Return a GitHub-style heading anchor: lower case, punctuation dropped, spaces to dashes."""
    kept = "".join(ch for ch in text.lower() if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.strip().replace(" ", "-")


def _unique(anchor: str, seen: dict[str, int]) -> str:
    """Return anchor, suffixed -1, -2… when the same heading appeared before."""
    count = seen.get(anchor, 0)
    seen[anchor] = count + 1
    return anchor if count == 0 else f"{anchor}-{count}"


def brief_record(brief: Brief) -> dict[str, Any]:
    """Return a brief as a JSON-ready dictionary, with its chunks' spans in the source."""
    record: dict[str, Any] = {
        "source": brief.source,
        "title": brief.title,
        "summary": brief.summary,
        "language": brief.language,
        "models": dict(brief.models),
        "words": brief.words,
        "author": brief.author,
        "date": brief.date,
        # The exact text every offset below indexes (for a web page, the article briefer
        # extracted), so coverage can be checked from the JSON alone.
        "text": brief.text,
        "body": [[s, e] for s, e in brief.body],
        "chunks": [
            {
                "index": i,
                "start": c.start,
                "end": c.end,
                "sentences": len(c.sentences),
                "spans": [[s, e] for s, e in c.sentences],
                "tokens": c.tokens,
            }
            for i, c in enumerate(brief.chunks)
        ],
    }
    if brief.language != "en":
        record["original"] = {"title": brief.original_title, "summary": brief.original_summary}
    return record


def to_json(briefs: Sequence[Brief], failed: Sequence[Failure] = ()) -> str:
    """Return all briefs as one JSON document."""
    document = {
        "briefs": [brief_record(b) for b in briefs],
        "failed": [{"source": f.source, "error": f.reason} for f in failed],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def json_line(brief: Brief) -> str:
    """Return one brief as a line of JSON, for streaming."""
    return json.dumps(brief_record(brief), ensure_ascii=False) + "\n"


def failure_line(failure: Failure) -> str:
    """Return one failed source as a line of JSON, for streaming."""
    return (
        json.dumps({"source": failure.source, "error": failure.reason}, ensure_ascii=False) + "\n"
    )


def rtl(markdown_text: str, lang: str) -> str:
    """Wrap Markdown in a right-to-left block when the language is written that way."""
    if lang not in RTL_LANGUAGES:
        return markdown_text
    return f'<div dir="rtl" lang="{lang}">\n\n{markdown_text.strip()}\n\n</div>\n'
