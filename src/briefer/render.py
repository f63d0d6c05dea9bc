"""The render stage: briefs to Markdown (through a Jinja2 template), JSON or plain text."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from . import escape, files
from .brief import Brief
from .checks import SUPPORT_THRESHOLD, Finding, SourceSentence, Support
from .errors import UsageError
from .options import FORMATS, RTL_LANGUAGES

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
    cite: bool = False,
) -> str:
    """Return the briefs in the format asked for, ending with one newline."""
    if isinstance(briefs, Brief) or not isinstance(briefs, Sequence):
        # One Brief had failed inside the template, which the message then blamed.
        raise UsageError(f"render takes a list of briefs, not {type(briefs).__name__}")
    if fmt == "json":
        return to_json(briefs, failed)
    if fmt == "jsonl":
        return "".join(json_line(b) for b in briefs) + "".join(failure_line(f) for f in failed)
    if fmt == "text":
        if not briefs:
            return ""  # every article left out: nothing, not an empty line
        # A brief to check carries its flagged line here too, so no format hides a finding.
        return (
            "\n\n".join(
                "\n".join(
                    filter(None, (escape.one_line(b.summary), escape.one_line(check_line(b))))
                )
                for b in briefs
            )
            + "\n"
        )
    if fmt != "markdown":
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return markdown(briefs, failed=failed, template=template, title=title, date=date, cite=cite)


class Listed(list):  # type: ignore[type-arg]
    """A list of escaped texts that a template may also write whole: `{{ languages }}` is
    "fr, ar", not "[Markup('fr'), Markup('ar')]"."""

    def __str__(self) -> str:
        return ", ".join(map(str, self))

    def __html__(self) -> str:
        from markupsafe import Markup

        return Markup(", ").join(self)


def context(
    briefs: Sequence[Brief],
    failed: Sequence[Failure] = (),
    title: str = "Morning brief",
    date: dt.date | None = None,
    cite: bool = False,
) -> dict[str, Any]:
    """Return the documented template context for a brief: every text escaped for Markdown.

    Texts from articles, models, file names and servers arrive Markdown-escaped (on one line,
    `<`, `>` and entity-like `&` as HTML entities, so they are text in Markdown and inside
    the RTL <div> alike) and marked safe; each article and failure also carries `raw`, the
    same texts unescaped, which autoescaping HTML-escapes unless a template says `|safe`.
    """
    from markupsafe import Markup

    def md(text: str) -> Markup:
        """Return a one-line text escaped for Markdown, marked safe for the template."""
        return Markup(escape.markdown(escape.one_line(text)))

    def md_name(text: str) -> Markup:
        """Return a file name, URL or model id escaped for Markdown."""
        return Markup(escape.markdown(escape.name(text)))

    anchors: dict[str, int] = {}
    articles = []
    for number, b in enumerate(briefs, start=1):
        cited_summary, footnotes = citations(b, md, f"{number}-" if len(briefs) > 1 else "")
        original = b.original_title or b.title
        rtl = b.language in RTL_LANGUAGES
        title_language = b.title_language or b.language
        # A title written the other way from its summary (one the output guard kept in English
        # in an Arabic brief) gets its own direction, inside or outside the summary's block.
        title_dir = "" if (title_language in RTL_LANGUAGES) == rtl else ("ltr" if rtl else "rtl")
        articles.append(
            {
                "title": md(b.title),
                "summary": md(b.summary),
                "source": md_name(b.source),
                "language": Markup(escape.html(escape.one_line(b.language))),
                "source_language": Markup(escape.html(escape.one_line(b.source_language))),
                "rtl": rtl,
                "title_language": Markup(escape.html(escape.one_line(title_language))),
                "title_dir": title_dir,
                "words": b.words,
                "reading_minutes": reading_minutes(b.words),
                "models": Roles({k: md_name(v) for k, v in b.models.items()}),
                "original_title": md(original),
                "anchor": Markup(_unique(slug(escape.one_line(b.title)), anchors)),
                "meta": Markup(meta_line(b, md_name, md)),
                "checks": [{k: md(v) for k, v in asdict(c).items()} for c in b.checks],
                "check_line": md(check_line(b)),
                "support": [
                    {
                        **support_record(item),
                        "text": md(item.text),
                        "sources": [{**asdict(x), "text": md(x.text)} for x in item.sources],
                    }
                    for item in b.support
                ],
                "cited_summary": Markup(cited_summary),
                "footnotes": footnotes,
                "raw": {
                    "title": b.title,
                    "summary": b.summary,
                    "source": escape.valid_utf8(b.source),
                    "original_title": original,
                    "models": Roles(b.models),
                    "checks": [asdict(c) for c in b.checks],
                    "support": [support_record(item) for item in b.support],
                },
            }
        )
    languages = list(dict.fromkeys(b.language for b in briefs))
    return {
        # Blank is no title: the built-in template then writes no heading ("# " of nothing).
        "title": md(title.strip()),
        "date": Markup((date or dt.date.today()).isoformat()),
        "languages": Listed(md(code) for code in languages),
        "articles": articles,
        "failed": [
            {
                "source": md_name(f.source),
                "reason": md(f.reason),
                "raw": {"source": escape.valid_utf8(f.source), "reason": f.reason},
            }
            for f in failed
        ],
        "cite": cite,
    }


def markdown(
    briefs: Sequence[Brief],
    *,
    failed: Sequence[Failure] = (),
    template: str | None = None,
    title: str = "Morning brief",
    date: dt.date | None = None,
    cite: bool = False,
) -> str:
    """Render briefs to Markdown with the built-in template or the one at the path given."""
    compiled = compile_template(template)
    try:
        text = compiled.render(**context(briefs, failed, title, date, cite))
    except Exception as exc:  # noqa: BLE001 - whatever a template raises is the template's fault
        line = _template_line(exc)
        where = f"{template or 'built-in'}" + (f", line {line}" if line else "")
        raise UsageError(f"template {where}: {_reason(exc)}") from None
    # Templates are easier to read with loose spacing; the output should not carry it.
    return escape.valid_utf8(re.sub(r"\n{3,}", "\n\n", text).strip() + "\n")


def compile_template(template: str | None) -> Any:
    """Return the template compiled in a sandbox; raise UsageError naming what is wrong.

    The sandbox keeps a template from reaching Python internals; autoescaping HTML-escapes
    any value not already escaped by context(). A template is one file: include, import
    and extends are refused, as they would read other files.
    """
    source = _template_text(template)
    key = (template, source)
    found = _COMPILED.get(key)
    if found is None:
        found = _compile(template, source)
        _COMPILED.clear()  # one template a run; a library caller's edited file compiles anew
        _COMPILED[key] = found
    return found


# The last template compiled, by path and text: a run renders with it once per output file
# and language (16 ms a compile, measured 2026-12-01).
_COMPILED: dict[tuple[str | None, str], Any] = {}


def _compile(template: str | None, source: str) -> Any:
    """Compile a template's text (compile_template)."""
    import jinja2
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment

    name = template or "built-in"
    env = SandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=True,
    )
    try:
        parsed = env.parse(source)
        for kind in (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends):
            found = next(parsed.find_all(kind), None)
            if found is not None:
                word = {"FromImport": "import"}.get(kind.__name__, kind.__name__.lower())
                raise UsageError(
                    f"template {name}, line {found.lineno}: {{% {word} %}} is not supported; "
                    "put the whole template in one file"
                )
        return env.from_string(parsed)
    except jinja2.TemplateError as exc:
        line = exc.lineno if isinstance(exc, jinja2.TemplateSyntaxError) else None
        where = name + (f", line {line}" if line else "")
        raise UsageError(f"template {where}: {_reason(exc)}") from None


# The roles a brief's models play (Brief.models keys, set in brief.py).
ROLES = ("pivot", "summarizer", "translator")


class Roles(dict):
    """A brief's models by role, in the order they ran, for templates: a role that did not
    run (no translator in English, no pivot for an English article) reads as empty, so
    `{{ a.models.translator }}` and `{% if a.models.pivot %}` work on every brief."""

    def __missing__(self, key: str) -> str:
        if key in ROLES:
            return ""
        raise KeyError(key)


def check_template(template: str | None, cite: bool = False) -> None:
    """Compile a template and render it on stub briefs, so a broken one fails before any
    model work: one article, and several in two languages with a failure; with cite as the
    run will have it (an error inside `{% if cite %}` was found only after the model work)."""
    from .chunking import Chunk

    def stub(title: str, lang: str) -> Brief:
        """Return a brief shaped as the pipeline makes them: a source sentence supporting
        its summary (so a footnote with --cite), as every brief has; the findings, which
        only some have, in the first stub only."""
        chunk = Chunk(start=0, end=20, sentences=((0, 20),), text="Stub text.", tokens=4)
        models = {"summarizer": "summarizer"} | ({"translator": "t"} if lang != "en" else {})
        summary = "A stub summary."
        source = SourceSentence(start=0, end=10, paragraph=1, text="Stub text.")
        support = (Support(0, len(summary), summary, 1.0, (source,)),)
        checks = (Finding("number", "12 is not in the source", "brief"),) if lang == "en" else ()
        return Brief(
            "stub.txt", title, summary, lang, (chunk,), models, 100, title,
            text="Stub text.", body=((0, 10),), checks=checks, support=support,
        )  # fmt: skip

    markdown([stub("Stub", "en")], template=template, cite=cite)
    several = [stub("Stub one", "en"), stub("Stub two", "ar")]
    markdown(several, failed=[Failure("bad.txt", "stub reason")], template=template, cite=cite)


def _template_line(exc: BaseException) -> int | None:
    """Return the template line a render error came from, None when it did not come from one.

    Jinja2 rewrites a render error's traceback so the template's frames name `<template>` (a
    template made from a string) at the template's own line numbers; the last is the deepest.
    """
    line = None
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def _reason(exc: BaseException) -> str:
    """Return an error as one line: its type when the message alone would not say it."""
    if isinstance(exc, UsageError):
        return str(exc)
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        return escape.one_line(exc.message or "")
    if isinstance(exc, jinja2.TemplateError):
        return escape.one_line(str(exc))
    return escape.one_line(f"{type(exc).__name__}: {exc}")


def _template_text(template: str | None) -> str:
    """Return the text of the built-in template, or of the file given."""
    if template is None:
        return (resources.files("briefer") / "templates" / "brief.md.j2").read_text("utf-8")
    return files.read_text(Path(template).expanduser(), "template")


def meta_line(brief: Brief, quote: Any = str, prose: Any = str) -> str:
    """Return the one-line provenance note under an article's brief; quote escapes names
    (source, models), prose the texts a page gave (author, date)."""
    # "-" is how JSON names standard input (as the command line does); prose says "stdin".
    parts = [f"Source: {'stdin' if brief.source == '-' else quote(brief.source)}"]
    if brief.author:
        parts.append(f"By {prose(brief.author)}")
    if brief.date:
        parts.append(f"Published {prose(brief.date)}")
    if brief.words:
        parts.append(f"{brief.words:,} words, {reading_minutes(brief.words)} min read")
    # In the order the models ran: a pivot before the summarizer translated the article.
    labels = {"pivot": "Pivot", "summarizer": "Summarizer", "translator": "Translator"}
    if "summarizer" not in brief.models:
        parts.append("Summarizer: ?")
    parts.extend(f"{labels.get(k, quote(k))}: {quote(v)}" for k, v in brief.models.items())
    parts.append(f"Language: {quote(brief.language)}")
    # English is what briefer expects; a note is worth its space only for other articles.
    if brief.source_language != "en":
        parts.append(f"Source language: {quote(brief.source_language)}")
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
        "source_language": brief.source_language,
        "models": dict(brief.models),
        "words": brief.words,
        "author": brief.author,
        "date": brief.date,
        # The exact text every offset below indexes (for a web page, the article briefer
        # extracted), so coverage can be checked from the JSON alone.
        "text": brief.text,
        "body": [[s, e] for s, e in brief.body],
        # What was kept out of the story (title, byline, dates, captions, agency furniture), as
        # it stood in the source: an editor sees what briefer left out.
        "dropped": list(brief.dropped),
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
    # What the brief was translated from: the English digest, or the article's own title
    # (also where the guard kept the summary in English but the title was translated).
    translated = {"pivot", "translator"} & set(brief.models)
    if brief.language != "en" or brief.source_language != brief.language or translated:
        record["original"] = {"title": brief.original_title, "summary": brief.original_summary}
    record["checks"] = [asdict(c) for c in brief.checks]
    record["support"] = [support_record(s) for s in brief.support]
    return record


def support_record(item: Support) -> dict[str, Any]:
    """Return one brief sentence's support as a JSON-ready dictionary.

    start and end index the English summary (``summary``, or ``original.summary`` for a
    translated brief); each source's start and end index the decoded source text.
    """
    return {
        "start": item.start,
        "end": item.end,
        "text": item.text,
        "score": item.score,
        "sources": [asdict(source) for source in item.sources],
    }


def check_line(brief: Brief) -> str:
    """Return the one flagged line an editor reads under a brief, or "" when all is well."""
    if not brief.checks:
        return ""
    return "⚠ Check: " + "; ".join(dict.fromkeys(f"{c.text} ({c.where})" for c in brief.checks))


def _quoted(text: str) -> str:
    """Return a source sentence in quotation marks, unless it opens with one of its own (a
    quote: '"Our children need…," said …' got a second pair)."""
    return text if text[:1] in '"\u201c\u00ab\u201e' else f'"{text}"'


def citations(brief: Brief, md: Any = str, prefix: str = "") -> tuple[str, list[dict[str, Any]]]:
    """Return the summary with footnote markers, and the footnotes naming source paragraphs.

    Each brief sentence gets a marker per supporting source sentence. A translated summary is
    marked sentence by sentence when it has as many sentences as the English one (briefer
    translates sentence by sentence), else its markers go at its end. md escapes the texts
    for Markdown; the markers and labels are briefer's own.
    """
    from markupsafe import Markup

    from .sentences import split_sentences

    footnotes: list[dict[str, Any]] = []
    marks: list[str] = []
    for item in brief.support:
        labels = []
        # A sentence the support check finds unsupported cites nothing: a footnote would
        # vouch for it beside the flagged line that says no source sentence does.
        for source in item.sources if item.score >= SUPPORT_THRESHOLD else ():
            label = f"{prefix}{len(footnotes) + 1}"
            footnotes.append(
                {
                    "label": label,
                    "paragraph": source.paragraph,
                    "text": md(source.text),
                    # Built as plain text around the escaped quote, then marked safe.
                    "line": Markup(
                        f"[^{label}]: Paragraph {source.paragraph}: {_quoted(md(source.text))}"
                    ),
                }
            )
            labels.append(f"[^{label}]")
        marks.append("".join(labels))
    summary = brief.summary
    spans = split_sentences(summary, lang=brief.language) if summary.strip() else []
    if len(spans) != len(marks):
        return str(md(summary.strip())) + "".join(marks), footnotes
    out = [
        str(md(summary[start:end].strip())) + mark
        for (start, end), mark in zip(spans, marks, strict=True)
    ]
    return " ".join(out), footnotes


def to_json(briefs: Sequence[Brief], failed: Sequence[Failure] = ()) -> str:
    """Return all briefs as one JSON document."""
    document = {
        "briefs": [json_record(brief_record(b)) for b in briefs],
        "failed": [json_record({"source": f.source, "error": f.reason}) for f in failed],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def json_line(brief: Brief) -> str:
    """Return one brief as a line of JSON, for streaming."""
    return json.dumps(json_record(brief_record(brief)), ensure_ascii=False) + "\n"


def failure_line(failure: Failure) -> str:
    """Return one failed source as a line of JSON, for streaming."""
    record = json_record({"source": failure.source, "error": failure.reason})
    return json.dumps(record, ensure_ascii=False) + "\n"


def json_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return a record whose every text is valid UTF-8.

    A file name with bytes that are not UTF-8 shows them as U+FFFD in `source`, and keeps
    them, base64-encoded, in `source_bytes`, so a script can still open the file.
    """
    import base64

    raw = escape.raw_bytes(record.get("source", ""))
    clean = _valid_texts(record)
    if raw is not None:
        clean["source_bytes"] = base64.b64encode(raw).decode("ascii")
    return clean


def _valid_texts(value: Any) -> Any:
    """Return value with every string in it made valid UTF-8."""
    if isinstance(value, str):
        return escape.valid_utf8(value)
    if isinstance(value, dict):
        return {_valid_texts(k): _valid_texts(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_valid_texts(v) for v in value]
    return value


def rtl_document(markdown_text: str, lang: str) -> str:
    """Wrap a translated Markdown document in a right-to-left block, after its front matter.

    Unlike rtl(), nothing inside is rewritten: the document's code and HTML blocks are the
    user's own and are copied byte for byte, and its translated prose cannot carry raw HTML
    (markdown.py escapes `<` in it). Only a code or HTML block that the document leaves open
    gets its closing line (markdown.close_open_block).
    """
    if lang not in RTL_LANGUAGES:
        return markdown_text
    from .markdown import close_open_block, split_front_matter

    front, body = split_front_matter(markdown_text)
    # Blank lines go, not indentation: a leading indented code block must stay code. A fence
    # or HTML comment left open at the end is closed, or it would swallow the closing </div>.
    body = close_open_block(re.sub(r"\A(?:[ \t]*\n)+", "", body)).rstrip()
    return front + _rtl_block(body, lang)


def rtl(markdown_text: str, lang: str) -> str:
    """Wrap Markdown in a right-to-left block when the language is written that way.

    Nothing inside may close the block: a `</div` in the text (a model's output) becomes
    text.
    """
    if lang not in RTL_LANGUAGES:
        return markdown_text
    return _rtl_block(re.sub(r"(?i)</div", "&lt;/div", markdown_text.strip()), lang)


def _rtl_block(inside: str, lang: str) -> str:
    """Return Markdown inside a right-to-left HTML block (blank lines keep it Markdown)."""
    return f'<div dir="rtl" lang="{escape.html(lang)}">\n\n{inside}\n\n</div>\n'
