"""Articles as records: a table row in, its brief as a record out, and shards of such records
on disk, written whole or not at all and named by the ids they hold.

This is the part of `briefer batch` that needs no cluster: Ray's actors call `brief_rows`, and
the tests can too. pyarrow (which the `ray` extra brings) is imported only where a shard is
read or written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .brief import EXTRACTIVE, Brief, Briefer, Digest
from .errors import BrieferError, InputError, ModelError, OutputError
from .files import MAX_INPUT_BYTES
from .options import check_language
from .sources import (
    HTML_FACTOR,
    Article,
    looks_html_text,
    parse_article,
    read_html_field,
    read_source,
)

log = logging.getLogger("briefer")

# The columns a record may bring; any others are ignored.
INPUT_COLUMNS: tuple[str, ...] = ("id", "text", "title", "url", "lang")
SHARD_PREFIX = "part-"
FORMATS: tuple[str, ...] = ("parquet", "jsonl")
SUFFIXES = {"parquet": ".parquet", "jsonl": ".jsonl"}


def content_id(text: str) -> str:
    """Return the id of a record that has none: a hash of its text, stable across runs."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def record_id(row: dict[str, Any]) -> str:
    """Return a row's id as text: its own (numbers written as they read), else its path or hash."""
    value = row.get("id")
    if value is not None and str(value).strip():
        if isinstance(value, float) and value.is_integer():
            # CSV and pandas turn 7 into 7.0 when the column also holds a null.
            value = int(value)
        return str(value)
    if row.get("path"):
        return str(row["path"])
    text = row.get("text")
    return content_id(text if isinstance(text, str) else "")


# Marks a path carried as its bytes, base64-encoded: no real path holds a NUL.
_RAW_PATH = "\0"


def carried_path(path: str) -> str:
    """Return a file's path as a record carries it: as it is, or, when its name's bytes are
    not UTF-8 (which Arrow cannot hold as text), those bytes base64-encoded after a NUL."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return _RAW_PATH + base64.b64encode(os.fsencode(path)).decode("ascii")
    return path


def article_of(row: dict[str, Any], max_bytes: int = MAX_INPUT_BYTES) -> Article:
    """Return the article a row describes: a file to read as `summarize` reads it, or its text;
    either held to max_bytes (--max-input-bytes), counted in UTF-8 as a file's are."""
    if row.get("path"):
        # A folder of files: read each exactly as `briefer summarize FILE` would.
        path = str(row["path"])
        if path.startswith(_RAW_PATH):
            path = os.fsdecode(base64.b64decode(path[len(_RAW_PATH) :]))
        return read_source(path, max_bytes=max_bytes)
    rid = record_id(row)
    text = row.get("text")
    if not isinstance(text, str):
        raise InputError(f"{rid}: holds no text")
    # A CMS export's body is HTML more often than not: read as `summarize -` reads piped HTML
    # (it had been briefed as markup, tags in its title), and held to the bound of a page.
    html = looks_html_text(text)
    limit = int(max_bytes * HTML_FACTOR) if html else max_bytes
    # Characters first: no text that long can be within the limit, and none is encoded.
    if len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit:
        raise InputError(
            f"{rid}: text larger than {limit:,} bytes (raise --max-input-bytes to read it)"
        )
    source = str(row.get("url") or rid)
    if html:
        article = read_html_field(text, source, rid)
    else:
        # The id names the article when it has no headline, as a file name does for `summarize`.
        article = parse_article(text, source=source, name=rid)
    title = row.get("title")
    if isinstance(title, str) and title.strip():
        article = replace(article, title=" ".join(title.split()))
    return article


def reason(exc: BaseException) -> str:
    """Return a record's error as one line: briefer's own message, else the exception's kind."""
    text = str(exc) if isinstance(exc, BrieferError) else f"{type(exc).__name__}: {exc}"
    # A file name's bytes that are not UTF-8, as in its id: the shard of "caf\xe9.txt: is
    # empty" ended the job.
    return " ".join(escaped(text).split()) or type(exc).__name__


def escaped(text: str) -> str:
    """Return text Arrow can hold: a file name's bytes that are not UTF-8 (held as surrogates,
    as os.fsdecode gives them) as escapes, "caf\\xe9.txt"; any other lone surrogate as "?"."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate of another kind: no byte to show
        return text.encode("utf-8", "replace").decode("utf-8")


# What an actor learned about the models that only some records need (a pivot, a summarizer
# for one language, the translator of a record's own `lang`): by (role, model, language it must
# produce), None when it works, else why it does not. Kept for the actor's life, so a missing
# model is tried once, not once per batch.
Usable = dict[tuple[str, str, str], str | None]


def brief_rows(
    briefer: Briefer, rows: Sequence[dict[str, Any]], usable: Usable | None = None
) -> list[dict[str, Any]]:
    """Brief each row and return, in order, `{"id", "error", "brief"}` for every one of them.

    `brief` is the JSON text `briefer summarize -f json` gives for the article (one object of
    its "briefs" list), or None when `error` says why there is none. A row that fails never
    takes the others down, and no row is ever left out. A model only some rows need that
    cannot be loaded fails those rows (noted in usable, which a caller keeps across calls);
    the run's own summarizer and translator failing still ends the run (ModelError).
    """
    from .render import brief_record

    usable = {} if usable is None else usable
    out: list[dict[str, Any]] = [
        {"id": record_id(row), "error": None, "brief": None} for row in rows
    ]
    parsed: list[tuple[int, Article, str]] = []
    for i, row in enumerate(rows):
        try:
            lang = check_language(str(row.get("lang") or briefer.options.lang).strip().lower())
            parsed.append((i, article_of(row, briefer.options.max_input_bytes), lang))
        except Exception as exc:  # noqa: BLE001 - a bad record is reported, never fatal
            out[i]["error"] = reason(exc)
    sources = _isolated(
        lambda items: briefer.source_languages([a for _, a, _ in items]), parsed, out, "detect"
    )
    ready: list[tuple[int, Article, str, str]] = []
    for (i, article, lang), source in zip(parsed, sources, strict=True):
        if source is None:
            continue
        problem = route_problem(briefer, source, lang, usable)
        if problem:
            out[i]["error"] = problem
        else:
            ready.append((i, article, lang, source))
    digests = _isolated(
        lambda items: briefer.digest_many([a for _, a, _, _ in items], [s for *_, s in items]),
        ready,
        out,
        "summarize",
    )
    by_lang: dict[str, list[tuple[int, Digest]]] = {}
    for (i, _, lang, _), digest in zip(ready, digests, strict=True):
        if digest is not None:
            by_lang.setdefault(lang, []).append((i, digest))
    for lang, items in by_lang.items():
        briefs = _isolated(
            lambda group, lang=lang: briefer.localize([d for _, d in group], lang),
            items,
            out,
            "translate",
        )
        for (i, _), brief in zip(items, briefs, strict=True):
            if brief is not None:
                out[i]["brief"] = _brief_json(brief, brief_record)
    return out


def route_problem(briefer: Briefer, source: str, lang: str, usable: Usable) -> str | None:
    """Return why an article written in source cannot get a brief in lang, as its record's
    error, when a model its route needs (beyond the run's own) cannot be loaded; else None.

    Each such model is loaded here once (and so is ready when the batch runs); what it gives
    is kept in usable. A route that does not exist at all is left for digest_many and
    localize to report, in the words `summarize` uses.
    """
    o = briefer.options
    try:
        route = briefer.route(source)
    except BrieferError:
        return None
    # (the language the model serves, its role, its name, the language it must produce)
    needs: list[tuple[str, str, str, str]] = []
    if route.summarizer not in (EXTRACTIVE, o.summarizer_model("en")):
        needs.append((source, "summarizer", route.summarizer, ""))
    if route.pivot:
        needs.append((source, "pivot", route.pivot, "en"))
    summary = route.summary_language
    if summary not in (lang, "en"):
        # localize brings a summary in another language into English first.
        pivot = o.pivot_model(summary)
        if pivot is None:
            return None
        needs.append((summary, "pivot", pivot, "en"))
        summary = "en"
    try:
        translator = o.translator_model(lang)
    except BrieferError as exc:
        # A record's own lang with no translator to give it (no default for "de"): that
        # record's error, not the whole job's.
        return str(exc)
    if summary != lang and translator and lang != o.lang:
        needs.append((lang, "translator", translator, lang))
    for where, role, name, target in needs:
        key = (role, name, target)
        if key not in usable:
            usable[key] = _try_model(briefer, where, role, name, target)
            if usable[key]:
                log.warning("%s: %s; its records get an error", where, usable[key])
        if usable[key]:
            return f"{where}: {usable[key]}"
    return None


def _try_model(briefer: Briefer, lang: str, role: str, name: str, target: str) -> str | None:
    """Load the model serving lang in a role, as the batch will, and check it produces target;
    return why it cannot be used, or None."""
    from .translate import target_for

    try:
        if role == "summarizer":
            model = briefer.load(name)
        elif role == "pivot":
            model = briefer.pivot(lang)
        else:
            model = briefer.translator(lang)
    except Exception as exc:  # noqa: BLE001 - whatever stops the load, the records say it
        return f"the {role} model {name} cannot be loaded: {reason(exc)}"
    if model is not None and target:
        try:
            target_for(model, target)
        except ModelError as exc:
            return f"the {role} model {name} cannot be used: {reason(exc)}"
    return None


def _brief_json(brief: Brief, brief_record: Any) -> str:
    """Return a brief's record as the JSON text `-f json` holds for it."""
    from .render import json_record

    # -f json makes every text valid UTF-8 (keeping a file name's raw bytes in source_bytes).
    return json.dumps(json_record(brief_record(brief)), ensure_ascii=False)


def _isolated(work: Any, items: list[Any], out: list[dict[str, Any]], stage: str) -> list[Any]:
    """Run work over all items at once; if it fails, run each alone so only the culprit fails.

    Returns one result per item, None where that item failed (its error noted in out). A
    ModelError here is the run's own summarizer or translator failing (route_problem has
    loaded every other model beforehand): not a record's fault, so it ends the run.
    """
    if not items:
        return []
    try:
        return list(work(items))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - find the record at fault, keep the rest
        if len(items) == 1:
            out[items[0][0]]["error"] = f"{stage}: {reason(exc)}"
            return [None]
        log.info("%s failed on a batch of %d; retrying one by one", stage, len(items))
    results: list[Any] = []
    for item in items:
        results.extend(_isolated(work, [item], out, stage))
    return results


# --- Records on disk ---------------------------------------------------------------------------


# Parquet column types of the fields `-f json` writes today, so every shard has the same schema
# whatever its records hold (a shard of failures only still has typed, empty columns). A field
# briefer adds later that is not listed here is stored as JSON text under its own name.
def _known_types() -> dict[str, Any]:
    """Return the Arrow type of each known brief field."""
    import pyarrow as pa

    count = pa.int64()
    spans = pa.list_(pa.list_(count))  # [[start, end], ...]
    return {
        "source": pa.string(),
        "title": pa.string(),
        "summary": pa.string(),
        "language": pa.string(),
        "models": pa.map_(pa.string(), pa.string()),
        "words": count,
        "author": pa.string(),
        "date": pa.string(),
        "text": pa.string(),
        "body": spans,
        "dropped": pa.list_(pa.string()),
        "chunks": pa.list_(
            pa.struct(
                [
                    ("index", count),
                    ("start", count),
                    ("end", count),
                    ("sentences", count),
                    ("spans", spans),
                    ("tokens", count),
                ]
            )
        ),
        "original": pa.struct([("title", pa.string()), ("summary", pa.string())]),
        "source_language": pa.string(),
        # checks.Finding and render.support_record, field for field.
        "checks": pa.list_(
            pa.struct([("kind", pa.string()), ("text", pa.string()), ("where", pa.string())])
        ),
        "support": pa.list_(
            pa.struct(
                [
                    ("start", count),
                    ("end", count),
                    ("text", pa.string()),
                    ("score", pa.float64()),
                    (
                        "sources",
                        pa.list_(
                            pa.struct(
                                [
                                    ("start", count),
                                    ("end", count),
                                    ("paragraph", count),
                                    ("text", pa.string()),
                                ]
                            )
                        ),
                    ),
                ]
            )
        ),
    }


# Fields that shards written before 2026-12-01 hold as JSON text.
_TYPED_LATER = frozenset({"source_language", "checks", "support"})


def brief_fields() -> list[str]:
    """Return the fields of a brief's record, in `-f json` order (a translated one has them all)."""
    from .render import brief_record

    sample = Brief(
        source="", title="", summary="", language="fr", chunks=(), models={"summarizer": ""}
    )
    return list(brief_record(sample))


def arrow_schema(fields: Sequence[str]) -> Any:
    """Return the Parquet schema of a shard: id, error, then one column per brief field."""
    import pyarrow as pa

    known = _known_types()
    columns = [("id", pa.string()), ("error", pa.string())]
    columns += [(name, known.get(name, pa.string())) for name in fields]
    return pa.schema(columns)


def to_table(records: Sequence[dict[str, Any]], fields: Sequence[str] | None = None) -> Any:
    """Return records (`{"id", "error", "brief"}`) as an Arrow table with one column per field."""
    import pyarrow as pa

    fields = list(fields or brief_fields())
    known = _known_types()
    briefs = [json.loads(r["brief"]) if r.get("brief") else {} for r in records]
    # A field only some briefs have (source_bytes, for a file name that is not UTF-8).
    fields += [k for k in dict.fromkeys(k for b in briefs for k in b) if k not in fields]
    schema = arrow_schema(fields)
    columns: dict[str, list[Any]] = {
        "id": [r["id"] for r in records],
        "error": [r.get("error") for r in records],
    }
    for name in fields:
        values = [b.get(name) for b in briefs]
        if name == "models":
            values = [list(v.items()) if v is not None else None for v in values]
        elif name not in known:
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        columns[name] = values
    return pa.table(columns, schema=schema)


def json_lines(records: Iterable[dict[str, Any]]) -> str:
    """Return records as JSON Lines: id and error, then the brief's fields as `-f json` has them."""
    lines = []
    for r in records:
        line = {"id": r["id"], "error": r.get("error")}
        if r.get("brief"):
            line.update(json.loads(r["brief"]))
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(lines)


def shard_name(ids: Iterable[str], fmt: str) -> str:
    """Return a shard's file name, derived from the ids it holds.

    A retried write of the same records lands on the same name and replaces the file, so a
    retry never adds a second copy.
    """
    digest = hashlib.sha256("\n".join(sorted(ids)).encode("utf-8", "surrogatepass"))
    return f"{SHARD_PREFIX}{digest.hexdigest()[:24]}{SUFFIXES[fmt]}"


def write_shard(folder: Path, records: Sequence[dict[str, Any]], fmt: str) -> str:
    """Write records as one shard in folder, atomically; return the shard's file name."""
    if fmt == "parquet":
        return _commit(folder, [r["id"] for r in records], to_table(records), fmt)
    return _commit(folder, [r["id"] for r in records], json_lines(records), fmt)


def _commit(folder: Path, ids: Sequence[str], content: Any, fmt: str) -> str:
    """Write an Arrow table or JSON Lines text as the shard of these ids, through a rename."""
    name = shard_name(ids, fmt)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(content, handle)
            else:
                handle.write(content.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes files private; shards get the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        # A reader, or the next run, sees the whole shard or none of it.
        os.replace(tmp, folder / name)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write a shard ({exc.strerror or exc})") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return name


def shards(folder: Path) -> list[Path]:
    """Return the finished shards in folder, of either format, by name."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(SHARD_PREFIX) and p.suffix in SUFFIXES.values() and p.is_file()
    )


def read_shard(path: Path, columns: Sequence[str] = ("id", "error")) -> list[dict[str, Any]]:
    """Return some columns of every record in a shard; one that cannot be read (cut short by
    a bad copy) is an OutputError naming it, whichever step of a rerun reads it first."""
    try:
        return _read_shard(path, columns)
    except (OSError, ValueError) as exc:  # JSONDecodeError and pyarrow's ArrowInvalid too
        detail = " ".join(str(exc).split())[:200]
        raise OutputError(f"{path}: unreadable shard ({detail}); move it away and rerun") from None


def _read_shard(path: Path, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Return some columns of every record in a shard (read_shard)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=list(columns)).to_pylist()
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                rows.append({c: record.get(c) for c in columns})
    return rows


def iter_records(folder: Path) -> Iterator[dict[str, Any]]:
    """Yield every record written in folder as JSON Lines shards hold it: id, error, and the
    brief's fields as `-f json` writes them (Parquet's columns turned back into that shape)."""
    # The Arrow types, read at the first Parquet shard: JSON Lines shards need no pyarrow.
    known: dict[str, Any] | None = None
    for path in shards(folder):
        if path.suffix != ".parquet":
            with path.open(encoding="utf-8") as handle:
                yield from (json.loads(line) for line in handle if line.strip())
            continue
        import pyarrow as pa
        import pyarrow.parquet as pq

        known = _known_types() if known is None else known
        for row in pq.read_table(path).to_pylist():
            if row.get("summary") is None and row.get("error"):
                yield {"id": row["id"], "error": row["error"]}
                continue
            record: dict[str, Any] = {}
            for name, value in row.items():
                if name == "models" and value is not None:
                    value = dict(value)
                elif name not in known and name not in ("id", "error") and value is not None:
                    value = json.loads(value)
                elif (
                    isinstance(value, str)
                    and name in _TYPED_LATER
                    and (known[name] != pa.string() or value.startswith('"'))
                ):
                    # A shard from before the field had its type holds it as JSON text
                    # ('"en"', '[{"kind": ...}]'); a language code never starts with a quote.
                    value = json.loads(value)
                if name == "original" and value is None:
                    continue  # an English brief has no original
                record[name] = value
            yield record


def written_ids(folder: Path) -> dict[str, list[str]]:
    """Return, for each id written in folder, the shards that hold it (more than one is a fault)."""
    found: dict[str, list[str]] = {}
    for path in shards(folder):
        rows = read_shard(path, ("id",))
        for row in rows:
            found.setdefault(row["id"], []).append(path.name)
    return found


def error_count(folder: Path) -> int:
    """Return how many records in folder were written with an error."""
    return sum(1 for path in shards(folder) for row in read_shard(path) if row["error"])


def drop_repeats(folder: Path) -> int:
    """Make every id appear once: rewrite shards that repeat an id held by an earlier shard.

    Repeats come from an input that names an id twice, or a shard written twice under two
    groupings. The first shard (by name) keeps the record. Returns how many records were dropped.
    """
    seen: set[str] = set()
    made: set[str] = set()
    dropped = 0
    for path in shards(folder):
        if path.name in made:
            # A shard rewritten above landed on this name (the ids it kept): it is what this
            # pass kept, all seen already, not a repeat to drop.
            continue
        ids = [row["id"] for row in read_shard(path, ("id",))]
        keep = []
        for rid in ids:
            keep.append(rid not in seen)
            seen.add(rid)
        dropped += keep.count(False)
        made.add(_keep_only(path, ids, keep))
    return dropped


def drop_errors(folder: Path) -> int:
    """Remove the records written with an error, so the next run briefs them again; return
    how many were removed. Each shard is rewritten whole (a new shard, then the old one goes):
    a run killed in between leaves a repeat, which drop_repeats clears."""
    dropped = 0
    for path in shards(folder):
        rows = read_shard(path, ("id", "error"))
        keep = [not row["error"] for row in rows]
        dropped += keep.count(False)
        _keep_only(path, [row["id"] for row in rows], keep)
    return dropped


def _keep_only(path: Path, ids: Sequence[str], keep: Sequence[bool]) -> str:
    """Rewrite a shard with only the records marked keep (none: remove it), under the name of
    the ids it keeps; return the name written ("" when none was)."""
    if all(keep):
        return ""
    kept_ids = [rid for rid, k in zip(ids, keep, strict=True) if k]
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        fmt, content = "parquet", pq.read_table(path).filter(pa.array(list(keep)))
    else:
        # At "\n" only: a record's text may hold U+2028, which splitlines() ends a line at.
        text = path.read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if line.strip()]
        fmt = "jsonl"
        content = "".join(f"{line}\n" for line, k in zip(lines, keep, strict=True) if k)
    name = _commit(path.parent, kept_ids, content, fmt) if kept_ids else ""
    if name != path.name:
        path.unlink()
    return name


# --- Records coming in ---------------------------------------------------------------------------

# What every input row becomes before it is briefed: the record's fields as text, the file to
# read (a folder of articles), and an error found while reading (a line that is not JSON).
NORMAL_COLUMNS: tuple[str, ...] = (*INPUT_COLUMNS, "path", "error")


def normalize_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return rows with every normal column, as text (None where absent), and an id each."""
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for name in NORMAL_COLUMNS:
            value = row.get(name)
            if isinstance(value, float) and value != value:  # NaN: pandas' word for "absent"
                value = None
            clean[name] = None if value is None else value if isinstance(value, str) else value
        clean["id"] = record_id(clean)
        for name in ("title", "url", "lang", "path", "error"):
            if clean[name] is not None and not isinstance(clean[name], str):
                clean[name] = str(clean[name])
        if clean["text"] is not None and not isinstance(clean["text"], str):
            clean["error"] = clean["error"] or f"{clean['id']}: text is not a string"
            clean["text"] = None
        out.append(clean)
    return out


def read_json_lines(lines: Iterable[bytes], source: str) -> Iterator[dict[str, Any]]:
    """Return the records of a JSON Lines file given as its raw lines (each with or without
    its newline), naming the file and line of each that has none.

    Lines end at "\n" only, as JSON Lines says: U+2028 and U+0085, which Python's json writes
    raw inside strings (ensure_ascii=False), are no line ends (Ray's read_text split there, and
    both halves of each such record became errors under made-up ids). A line that is not UTF-8
    is one record's error, not the job's end, and a BOM before the first is no part of it.
    """
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip(b"\r\n")
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        where = f"{source}, line {number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", "replace")
            yield {"id": content_id(text), "error": f"{where}: not UTF-8 (byte {exc.start + 1})"}
            continue
        record = parse_json_line(line)
        if "error" in record:
            record["error"] = f"{where}: {record['error']}"
        yield record


def parse_json_line(line: str) -> dict[str, Any]:
    """Return the fields of one JSON Lines record, or a record whose error says why it has none."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return {"id": content_id(line.strip()), "error": f"not a JSON line: {exc}"}
    if not isinstance(value, dict):
        return {"id": content_id(line.strip()), "error": "a JSON line that is not an object"}
    return {name: value.get(name) for name in INPUT_COLUMNS}
