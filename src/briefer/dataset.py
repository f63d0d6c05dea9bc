"""Briefs for a whole archive on Ray Data: read records, brief them on a pool of actors that
load the models once, and write shards of records that a rerun can pick up from.

    read_* (JSON Lines, Parquet, CSV, or a folder of article files)
      -> normalize (an id for every record)  -> drop ids already written
      -> map_batches over an actor pool (records.brief_rows, with one Briefer per actor)
      -> write shards (one per block, named by its ids, renamed into place)

Ray is an optional extra (`pip install 'briefer[ray]'`); this module imports it only when run.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import itertools
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from . import records
from .errors import BrieferError, InputError, ModelError, OutputError, Terminated, UsageError
from .options import DEFAULT_PIVOTS, DEFAULT_TRANSLATORS, Options
from .sources import ARTICLE_SUFFIXES

log = logging.getLogger("briefer")

RAY_EXTRA = "pip install 'briefer[ray]'"
TABLE_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv"}
INPUT_FORMATS: tuple[str, ...] = ("auto", "jsonl", "parquet", "csv", "files")
MANIFEST = "_briefer.json"
LOCK = ".briefer.lock"
# Records per actor call: two of batch.run's rounds of 8, so a call spans articles as a
# `summarize` run does, and a killed actor redoes at most 16 records. Not yet tuned by
# measurement (benchmarks/ray_batch.py is the harness for it).
RECORDS_PER_BATCH = 16
# Reading, filtering and writing are light next to summarizing, and must never wait for a CPU
# the actors hold: with 2 one-CPU actors on 2 CPUs, 0.25-CPU writers stalled the job for good,
# and 0.125-CPU steps beside 0.875-CPU actors stalled it after a few batches. So they ask for
# no CPU, and a task pool of fixed size bounds them instead (left unbounded, Ray started a
# Python worker per waiting task: 36 on 2 CPUs).
LIGHT_CPUS = 0
LIGHT_TASKS = 2
# Some of Ray Data's own tasks take a whole CPU and no option reaches them: in 2.60,
# read_parquet's file listing (its ListFiles step, num_cpus=1). Ray Data starts the actors
# first, so with every CPU held by an actor that task never runs and the job waits forever
# (ray-project/ray#44687). Measured here: Parquet input, a local Ray of 2 CPUs and 2 one-CPU
# actors stood at "ListFiles - Tasks: 1" for 200 s without a record written. So one CPU always
# stays free of actors: a local Ray briefer starts counts one logical CPU more than the machine
# has (listing takes milliseconds, so the core it shares is not missed), and on any cluster
# the actors fit in its CPUs less this one.
SPARE_CPUS = 1
# Ray Data 2.60 lists Parquet paths on 8 threads, each of which imports fsspec's HTTP
# filesystem to tell a URL from a path. With fsspec installed but not aiohttp (huggingface_hub
# installs fsspec alone) that import fails, and threads racing on a failing import can get the
# half-made module: "cannot import name 'HTTPFileSystem'" ended a Parquet run in the test
# suite. briefer has listed every input file itself already, so one thread loses nothing. Set
# in this process before ray.data is imported, and in every worker of the job.
RAY_ENV = {"RAY_DATA_LIST_FILES_THREADED_NUM_WORKERS": "1"}
# Read tasks for the largest inputs: 10⁷ records come in blocks of 1,000, each an actor call.
MAX_BLOCKS = 10_000


@dataclass(frozen=True)
class Sizing:
    """How a job is spread over the cluster."""

    actors: int | None = None  # None: one per `cpus_per_actor` CPUs (or GPUs) of the cluster
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    records_per_batch: int = RECORDS_PER_BATCH

    def __post_init__(self) -> None:
        """Reject sizes no cluster could run."""
        if self.actors is not None and self.actors < 1:
            raise UsageError(f"--actors must be at least 1, not {self.actors}")
        if self.cpus_per_actor <= 0 and self.gpus_per_actor <= 0:
            raise UsageError("an actor needs some CPU or GPU: --cpus-per-actor must be above 0")
        if self.cpus_per_actor < 0 or self.gpus_per_actor < 0:
            raise UsageError("--cpus-per-actor and --gpus-per-actor cannot be negative")
        if self.records_per_batch < 1:
            raise UsageError(
                f"--records-per-batch must be at least 1, not {self.records_per_batch}"
            )


@dataclass
class Result:
    """What a batch job did."""

    records: int = 0  # records in the input
    skipped: int = 0  # already in the output folder from an earlier run
    written: int = 0  # written by this run
    failed: int = 0  # written by this run with an error
    errors: int = 0  # records in the folder with an error once the run is over, any run's
    repeats: int = 0  # records dropped because their id was written already
    retried: int = 0  # records an earlier run wrote with an error, briefed again (--retry-errors)
    seconds: float = 0.0


Progress = Callable[[int, int, int, float], None]  # (done, total, failed, seconds so far)


def require_ray() -> Any:
    """Return the ray module, or raise a usage error naming the extra that installs it."""
    for name, value in RAY_ENV.items():
        os.environ.setdefault(name, value)  # before ray.data reads it, and for local workers
    try:
        import ray
        import ray.data  # noqa: F401 - the [data] part of the extra
    except ImportError:
        raise UsageError(f"briefer batch needs Ray, an optional extra: {RAY_EXTRA}") from None
    return ray


# --- Inputs ----------------------------------------------------------------------------------


# Compressed files, refused by name (Parquet compresses inside the file, and is read as it is).
COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4"})


def find_inputs(
    names: Sequence[str], kind: str = "auto", output: Path | None = None
) -> tuple[str, list[str]]:
    """Return the input format and its files, from paths, folders and globs; none from inside
    the output folder (`briefer batch articles/ -o articles/briefs/` must not read its own
    shards back as input on the rerun)."""
    if kind not in INPUT_FORMATS:
        raise UsageError(
            f"unknown input format {kind!r}; choose one of: {', '.join(INPUT_FORMATS)}"
        )
    if not names:
        raise UsageError("no input: name a JSON Lines, Parquet or CSV file, or a folder")
    files: list[tuple[Path, bool]] = []  # (file, named on its own rather than found in a folder)
    out = output.expanduser().resolve() if output is not None else None
    for name in names:
        path = Path(name).expanduser()
        if path.is_dir():
            # Hidden entries and `_` ones (Spark's _SUCCESS and _temporary/, Hive's _metadata,
            # Jekyll's rendered _site/) are no input; a `_` folder named itself is read.
            ours = _output_files(path, out)
            files.extend(
                (p, False)
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(x.startswith((".", "_")) for x in p.relative_to(path).parts)
                and not ours(p)
            )
        elif path.is_file():
            files.append((path, True))
        elif glob.has_magic(name):
            matches = [Path(m) for m in sorted(glob.glob(str(path), recursive=True))]
            if not any(m.is_file() for m in matches):
                raise InputError(f"{name}: no files match")
            ours = _output_files(_glob_base(path), out)
            files.extend((m, True) for m in matches if m.is_file() and not ours(m))
        else:
            raise InputError(f"{name}: no such file or folder")
    kinds: dict[str, list[str]] = {}
    compressed = [
        f
        for f, named in files
        if f.suffix.lower() in COMPRESSED_SUFFIXES
        and (named or Path(f.stem).suffix.lower() in {*TABLE_SUFFIXES, *ARTICLE_SUFFIXES})
    ]
    if compressed:
        # Ray read wire.jsonl.gz named with --input-format jsonl, but the checks and counts on
        # the driver read its compressed bytes (progress counted their lines, the `text`
        # column check passed unread); inside a folder, such files were "no input".
        raise InputError(
            f"{compressed[0]}: a compressed file; briefer batch reads JSON Lines, CSV and "
            f"Parquet as they are: decompress it first (gunzip, unxz, ...)"
        )
    for f, named in files:
        suffix = f.suffix.lower()
        found = TABLE_SUFFIXES.get(suffix) or ("files" if suffix in ARTICLE_SUFFIXES else None)
        if kind != "auto" and (found or named):
            found = kind  # a format named on the command line reads files whatever their suffix
        elif found is None and named:
            raise UsageError(f"{f}: unknown input format; name it with --input-format")
        if found:
            kinds.setdefault(found, []).append(str(f))
    if not kinds:
        raise InputError(
            f"no input among {', '.join(names)}: expected .jsonl, .parquet, .csv, or article "
            f"files ({', '.join(ARTICLE_SUFFIXES)})"
        )
    if len(kinds) > 1:
        raise UsageError(
            f"the input mixes {' and '.join(sorted(kinds))} files; name one kind, or pick one "
            "with --input-format"
        )
    ((found, paths),) = kinds.items()
    return found, paths


def _output_files(base: Path, out: Path | None) -> Callable[[Path], bool]:
    """Return a test of whether a file found under an input folder (or a glob's fixed part)
    is the batch's own output: everything under the output folder when that folder lies
    inside the input one (`briefer batch arch -o arch/out`); an output folder that is the input
    folder itself is refused. An output folder above the input (`-o .`) holds the input:
    nothing is left out then."""
    if out is None:
        return lambda _: False
    base = base.resolve()
    if out == base:
        # Its shards would sit among the inputs (a Spark export's part-00000.jsonl beside
        # briefer's part-....parquet), and a rerun could not tell them apart.
        raise UsageError(
            f"-o {out} is the input folder itself: write the briefs to a folder of their own "
            f"(-o {out / 'briefs'})"
        )
    if out.is_relative_to(base):
        return lambda p: p.resolve().is_relative_to(out)
    return lambda _: False


def _glob_base(pattern: Path) -> Path:
    """Return the folder a glob pattern starts from: its parts before the first wildcard."""
    fixed = []
    for part in pattern.parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def read_dataset(
    kind: str, paths: Sequence[str], folders: Sequence[str] = (), blocks: int | None = None
) -> Any:
    """Return a Ray dataset of the inputs, each row one record (normalized later), in blocks."""
    ray = require_ray()

    light: dict[str, Any] = {
        "num_cpus": LIGHT_CPUS,
        "concurrency": LIGHT_TASKS,
        "override_num_blocks": blocks,
    }
    if kind == "jsonl":
        # Read as lines, parsed by briefer (records.read_json_lines): a bad line becomes a record
        # with an error instead of failing the job, and ids keep their type (pyarrow and pandas
        # would guess one per file).
        return ray.data.read_datasource(_json_lines_source(list(paths)), **light)
    if kind == "parquet":
        return ray.data.read_parquet(list(paths), **light)
    if kind == "csv":
        from pyarrow import csv

        return ray.data.read_csv(
            list(paths),
            # Ids such as 007 stay text; stories hold newlines inside quoted fields.
            convert_options=_csv_as_text(paths),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            **light,
        )
    if kind == "files":
        items = [{"id": _file_id(p, folders), "path": records.carried_path(p)} for p in paths]
        return ray.data.from_items(items, override_num_blocks=blocks)
    raise UsageError(f"unknown input format {kind!r}")


def _csv_as_text(paths: Sequence[str]) -> Any:
    """Return pyarrow's CSV options that read every column of these files as text.

    pyarrow infers a column's type from the first block (about 1 MB): ids 0-29999 then
    "abc", or a lang column empty for 30,000 rows then "fr", stopped the run with
    "CSV conversion error to int64". Every column briefer reads is text anyway.
    """
    import csv as stdcsv

    import pyarrow as pa
    from pyarrow import csv

    names = set(records.INPUT_COLUMNS)
    for path in paths:
        with (
            contextlib.suppress(OSError, UnicodeDecodeError, stdcsv.Error),
            open(path, encoding="utf-8-sig", newline="") as handle,
        ):
            names.update(next(stdcsv.reader(handle), []))
    return csv.ConvertOptions(column_types={name: pa.string() for name in names})


# Records are read this far into a JSON Lines file to find a `text` field before the job
# starts; an archive whose first thousand records have none has none.
COLUMN_PROBE = 1_000


def check_columns(kind: str, paths: Sequence[str]) -> None:
    """Raise InputError, before any Ray work, for a table file with no `text` column (an
    export whose story is under `body` or `content` gave one error record per row, after the
    whole job had run). A JSON Lines file has none when no record of its first COLUMN_PROBE
    that is a JSON object has one; lines that are no JSON object stay error records."""
    for path in paths:
        if kind == "csv":
            _check_quotes(path)
        names = _columns(kind, path)
        if names is not None and "text" not in names:
            found = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            raise InputError(
                f"{path}: no 'text' column (its columns: {found or 'none'}); briefer reads "
                "each record's story from 'text': rename the column that holds it"
            )


def _one_line(text: str, limit: int = 200) -> str:
    """Return a library's message on one line, cut to limit characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _check_quotes(path: str) -> None:
    """Raise InputError for a CSV file that ends inside a quoted field: a quote opened and
    never closed made every record after it part of that record's text, and the job went on
    without a word (pyarrow and Python's csv both read it so). Read by Python's csv module,
    strict, at about 95 MB/s here (a 54 MB archive in 0.58 s); its other complaints are left
    to the read itself."""
    import csv as stdcsv

    # The csv module stops at 128 KB a field ("field larger than field limit"), which an
    # unclosed quote with a real archive after it passes at once: the limit is lifted for the
    # check (this thread is the driver's, which reads nothing else meanwhile).
    limit = stdcsv.field_size_limit(sys.maxsize)
    try:
        with (
            contextlib.suppress(OSError),
            open(path, encoding="utf-8-sig", newline="") as handle,
        ):
            reader = stdcsv.reader(handle, strict=True)
            start, header = 1, None
            try:
                for row in reader:
                    if header is None:
                        header = row
                    elif row and len(row) != len(header):
                        # Said by pyarrow once Ray had started, with no line ("Expected 2
                        # columns, got 4").
                        raise InputError(
                            f"{path}, line {start}: {len(row)} fields where its header has "
                            f"{len(header)}"
                        )
                    start = reader.line_num + 1
            except stdcsv.Error as exc:
                if "unexpected end of data" in str(exc):
                    raise InputError(
                        f"{path}: the quoted field that opens on line {start} is never "
                        "closed: every line after it would be read as that record's text"
                    ) from None
                # A stray quote ('2,"never closed' then '3,"another"'): read leniently, the
                # next record became part of this one's text, without a word.
                raise InputError(
                    f"{path}, line {reader.line_num}: not valid CSV ({exc}); a quote "
                    'inside a field is written twice ("")'
                ) from None
            except UnicodeDecodeError:
                raise InputError(f"{path}, line {_first_bad_line(path)}: not UTF-8") from None
    finally:
        stdcsv.field_size_limit(limit)


def _first_bad_line(path: str) -> int:
    """Return the number of a file's first line that is not UTF-8 (0 when none is)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def check_not_empty(kind: str, paths: Sequence[str]) -> None:
    """Raise InputError when the inputs hold no record at all: an empty export (a cron job's
    failed dump) was "0 record(s) written", exit 0, as if all were well."""
    import csv as stdcsv

    if kind == "files":
        return  # find_inputs says when a folder holds no article file
    for path in paths:
        try:
            if kind == "parquet":
                import pyarrow.parquet as pq

                if pq.ParquetFile(path).metadata.num_rows:
                    return
            elif kind == "csv":
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    rows = stdcsv.reader(handle)
                    if any(row for row in itertools.islice(rows, 1, None)):
                        return
            else:
                with open(path, "rb") as handle:
                    if any(line.strip() for line in handle):
                        return
        except Exception:  # noqa: BLE001 - unreadable here: the read itself says why
            return
    names = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    raise InputError(f"{names}: no records (an empty export?)")


def _columns(kind: str, path: str) -> list[str] | None:
    """Return a table file's column names (a JSON Lines file's fields, in order of first
    sight); None when they cannot be told here (the read itself reports why)."""
    import csv as stdcsv

    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception:  # noqa: BLE001 - not Parquet after all: the read says so
            return None
    try:
        with open(path, encoding="utf-8-sig", newline="" if kind == "csv" else None) as handle:
            if kind == "csv":
                return next(stdcsv.reader(handle), []) or None
            if kind != "jsonl":
                return None
            seen: dict[str, None] = {}
            objects = 0
            for line in itertools.islice((x for x in handle if x.strip()), COLUMN_PROBE):
                with contextlib.suppress(ValueError):
                    value = json.loads(line)
                    if isinstance(value, dict):
                        objects += 1
                        if "text" in value:
                            return ["text"]  # enough said
                        seen.update(dict.fromkeys(map(str, value)))
            return list(seen) if objects else None
    except (OSError, UnicodeDecodeError, stdcsv.Error):
        return None


def count_rows(kind: str, paths: Sequence[str]) -> int:
    """Return how many records the inputs hold, read from the driver (for progress only)."""
    if kind == "files":
        return len(paths)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    if kind == "csv":
        import pyarrow as pa
        from pyarrow import csv

        rows = 0
        for p in paths:
            options = csv.ParseOptions(newlines_in_values=True)
            convert = _csv_as_text([p])
            try:
                with csv.open_csv(p, parse_options=options, convert_options=convert) as reader:
                    rows += sum(batch.num_rows for batch in reader)
            except pa.ArrowInvalid as exc:
                # "CSV parse error: Expected 3 columns, got 5: ...": the file, not pyarrow.
                raise InputError(f"{p}: not valid CSV ({_one_line(str(exc))})") from None
        return rows
    rows = 0
    for p in paths:
        with open(p, "rb") as handle:
            rows += sum(1 for line in handle if line.strip())
    return rows


def _light() -> Any:
    """Return the task pool light steps run in: a few tasks at a time, no CPU reserved."""
    import ray.data

    return ray.data.TaskPoolStrategy(size=LIGHT_TASKS)


def _pending_ids(ids: set[str] | None, done: Collection[str]) -> int | None:
    """Return how many of the inputs' ids (_input_ids) are not in done; None when the ids
    could not be read on the driver."""
    return None if ids is None else len(ids - set(done))


def _say_shared_ids(
    ids: set[str] | None, done: Collection[str], output: Path, others: Sequence[str]
) -> None:
    """Say on stderr how many of this input's ids (_input_ids) another input's run wrote into
    the folder: those records are skipped as briefed, which is what a daily export that repeats
    yesterday's stories wants, and not what two days' folders that both hold `story.txt` want."""
    shared = len(ids & set(done)) if ids is not None else 0
    if shared:
        log.warning(
            "%d id(s) of this input are in %s already, from another input (%s): those "
            "records are skipped; give them ids of their own, or write to a new folder",
            shared,
            output,
            ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else ""),
        )


def _input_ids(kind: str, paths: Sequence[str], folders: Sequence[str]) -> set[str] | None:
    """Return the inputs' ids, read as the run reads them; None when that takes more than the
    ids (a table record without one: its id is its text's hash)."""
    ids: set[str] = set()
    if kind == "files":
        ids = {_file_id(p, folders) for p in paths}
    elif kind == "jsonl":
        for p in paths:
            with open(p, "rb") as handle:  # line by line, as the job reads it
                ids.update(
                    r["id"] for r in records.normalize_rows(records.read_json_lines(handle, p))
                )
    elif kind in ("csv", "parquet"):
        import pyarrow.parquet as pq
        from pyarrow import csv

        for p in paths:
            if kind == "parquet":
                if "id" not in pq.ParquetFile(p).schema_arrow.names:
                    return None
                column = pq.read_table(p, columns=["id"]).column("id")
            else:
                convert = _csv_as_text([p])
                convert.include_columns = ["id"]
                options = csv.ParseOptions(newlines_in_values=True)
                try:
                    column = csv.read_csv(p, parse_options=options, convert_options=convert).column(
                        "id"
                    )
                except (KeyError, ValueError):
                    return None
            for value in column.to_pylist():
                if value is None or not str(value).strip():
                    return None
                ids.add(records.record_id({"id": value}))
    else:
        return None
    return ids


def _file_id(path: str, folders: Sequence[str]) -> str:
    """Return a file's id: its path inside the folder named on the command line, else as given.

    A name whose bytes are not UTF-8 (Latin-1 "caf\xe9.txt" from an old archive) shows them
    as escapes, "caf\\xe9.txt": Arrow takes no undecodable text, and the whole job ended.
    """
    found = path
    for folder in folders:
        with contextlib.suppress(ValueError):
            found = Path(path).relative_to(Path(folder).expanduser()).as_posix()
            break
    return records.escaped(found)


def _json_lines_source(paths: list[str]) -> Any:
    """Return a Ray datasource of JSON Lines files that yields their records (records.read_json_lines).

    Ray's read_text decodes a file strictly and splits it with str.splitlines: one byte that
    is not UTF-8 ended the job with a 352-line traceback, and a record holding U+2028 was lost.
    Like read_text, each file is read whole by one task, whose block Ray splits into as many
    as the job asks for.
    """
    from ray.data.datasource import FileBasedDatasource

    class JsonLines(FileBasedDatasource):
        def _read_stream(self, f: Any, path: str) -> Iterator[Any]:
            lines = f.readall().split(b"\n")
            yield _normal_table(records.read_json_lines(lines, path))

    return JsonLines(paths)


def _normal_table(rows: Any) -> Any:
    """Return rows as an Arrow table of the normal columns, all text."""
    import pyarrow as pa

    normal = records.normalize_rows(rows)
    return pa.table(
        {name: [r[name] for r in normal] for name in records.NORMAL_COLUMNS},
        schema=pa.schema([(name, pa.string()) for name in records.NORMAL_COLUMNS]),
    )


def _normalize(table: Any) -> Any:
    """Give a block every normal column and each record an id."""
    return _normal_table(table.to_pylist())


def _pending(table: Any, done: Any) -> Any:
    """Keep the records whose id is not in done."""
    import pyarrow.compute as pc

    if done is None or len(done) == 0:
        return table
    return table.filter(pc.invert(pc.is_in(table.column("id"), value_set=done)))


# --- Briefing ------------------------------------------------------------------------------------


class BriefActor:
    """One worker of the pool: a Briefer whose models load once, then brief batch after batch."""

    def __init__(self, options: Options, model_cache: str | None = None):
        """Load the models now, so a missing model fails the job at once, not record by record."""
        if model_cache:
            # The CTranslate2 conversions live beside the result cache: put them in the
            # shared folder, converted once for every actor that reads it.
            os.environ["BRIEFER_CACHE_DIR"] = model_cache
        from .brief import Briefer

        self.briefer = Briefer(options)
        _load_models(self.briefer)
        # Models only some records need, tried once for this actor's life (records.Usable).
        self.usable: records.Usable = {}

    def __call__(self, table: Any) -> Any:
        """Brief a block of normal records; return id, error and brief (JSON text) for each."""
        import pyarrow as pa

        rows = table.to_pylist()
        todo = [r for r in rows if not r.get("error")]
        done = iter(records.brief_rows(self.briefer, todo, self.usable))
        out = [
            next(done)
            if not r.get("error")
            else {"id": r["id"], "error": r["error"], "brief": None}
            for r in rows
        ]
        return pa.table(
            {name: [o[name] for o in out] for name in ("id", "error", "brief")},
            schema=pa.schema([(n, pa.string()) for n in ("id", "error", "brief")]),
        )


def _check_lengths(options: Options) -> None:
    """Raise a usage error for lengths past what the summarizer can generate, read from its
    folder's config on the driver where it is here (a local folder, or a hub id cached): every
    record of the archive got that error, or, where an actor found it first, Ray printed the
    actor's traceback. _load_models checks again wherever the model is."""
    from types import SimpleNamespace

    from . import hub
    from .summarize import summary_settings

    overrides = options.generation_overrides()
    if options.engine == "extractive" or all(
        overrides.get(k) is None for k in ("max_length", "min_length")
    ):
        return
    name = options.summarizer_model("en") or ""
    folder = hub.local_snapshot(name)
    if folder is None or not (folder / "config.json").is_file():
        return
    from .engines.settings import facts

    found = facts(folder)
    model = SimpleNamespace(
        name=name, output_limit=lambda: found.positions, summary_settings=found.summary_settings
    )
    summary_settings(model, overrides)  # type: ignore[arg-type]


def _load_models(briefer: Any) -> None:
    """Load the summarizer and the run's translator, converting them for CTranslate2 if due,
    and check the translator produces the run's language: every record needs these, so one
    that fails ends the job here (ModelError), before any record is briefed."""
    from .translate import target_for

    if briefer.options.engine != "extractive":
        from .summarize import summary_settings

        # Lengths past what the model can generate are the run's mistake, not each record's
        # (every record of an archive got the same error): a usage error, as for summarize.
        summary_settings(briefer.summarizer, briefer.options.generation_overrides())
    translator = briefer.translator()
    if translator is not None:
        target_for(translator, briefer.options.lang)


def batch_dataset(
    ds: Any,
    options: Options | None = None,
    sizing: Sizing | None = None,
    *,
    model_cache: str | None = None,
) -> Any:
    """Return a dataset of briefs: one row per input row, with `id`, `error` and `brief`.

    The input rows hold `text` (and optionally `id`, `title`, `url`, `lang`), or `path` for a
    file to read. `brief` is the JSON text `briefer summarize -f json` gives for that article;
    when it is null, `error` says why. No row is dropped.
    """
    ray = require_ray()
    options = options or Options()
    sizing = sizing or Sizing()
    actors = pool_size(ray, sizing)
    normal = ds.map_batches(
        _normalize, batch_format="pyarrow", num_cpus=LIGHT_CPUS, compute=_light()
    )
    # An actor call takes a whole block, and its output becomes one shard: a reader's block
    # can hold a whole file (Parquet in 2.60 reads small files as one block, whatever
    # override_num_blocks says: 200 records went to one actor while the other sat idle, and
    # into one shard). Streaming repartition (no barrier) cuts blocks to one batch each.
    batches = normal.repartition(target_num_rows_per_block=sizing.records_per_batch)
    return batches.map_batches(
        BriefActor,
        fn_constructor_kwargs={"options": options, "model_cache": model_cache},
        batch_size=sizing.records_per_batch,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors, initial_size=actors),
        num_cpus=sizing.cpus_per_actor,
        num_gpus=sizing.gpus_per_actor,
        # Ray Data restarts a killed actor and runs its batch again (max_restarts and
        # max_task_retries are -1 for actor pools); the shard is named by its ids, so the
        # second write replaces, never adds to, the first.
    )


def default_actors(ray: Any, sizing: Sizing) -> int:
    """Return one actor per `cpus_per_actor` CPUs of the cluster (per GPU share when on GPUs),
    leaving SPARE_CPUS free for Ray Data's own tasks."""
    resources = ray.cluster_resources()
    fit = actors_that_fit(resources, sizing)
    if sizing.gpus_per_actor > 0:
        return max(1, min(fit, int(resources.get("GPU", 0) // sizing.gpus_per_actor)))
    return fit


def actors_that_fit(resources: dict[str, float], sizing: Sizing) -> int:
    """Return how many actors the cluster's CPUs hold with SPARE_CPUS left free (at least 1)."""
    if sizing.cpus_per_actor <= 0:
        return 10**6  # GPU-only actors take no CPU slot
    spare = resources.get("CPU", 1) - SPARE_CPUS
    return max(1, int(spare // sizing.cpus_per_actor + 1e-9))


def _check_placeable(resources: dict[str, float], sizing: Sizing, local: bool = False) -> None:
    """Say when the cluster has fewer CPUs or GPUs than one actor asks for: Ray waits for GPUs
    (`--gpus-per-actor 1` on a CPU machine sat silent until killed). On the local Ray a run
    starts, none will come: a usage error. A cluster may be adding GPU nodes (an autoscaling
    one starts them on demand): a warning, and the run waits."""
    # An actor larger than the CPUs left beside Ray Data's own tasks is never placed either:
    # `--cpus-per-actor 4` on a 2-CPU machine sat silent for ten minutes until killed.
    room = resources.get("CPU", 0) - SPARE_CPUS
    if sizing.cpus_per_actor > room:
        where = "this machine's Ray" if local else "the Ray cluster"
        message = (
            f"--cpus-per-actor {sizing.cpus_per_actor:g}: {where} has {max(room, 0):g} CPU(s) "
            f"for actors ({SPARE_CPUS} more kept for reading and writing)"
        )
        if local:
            raise UsageError(f"{message}; give at most --cpus-per-actor {max(room, 1):g}")
        log.warning("%s; waiting for larger nodes (an autoscaling cluster starts them)", message)
    gpus = resources.get("GPU", 0)
    if sizing.gpus_per_actor <= gpus:
        return
    if local:
        raise UsageError(
            f"--gpus-per-actor {sizing.gpus_per_actor:g}: this machine's Ray has {gpus:g} "
            "GPU(s) (brief on CPUs without the flag, or give --ray-address of a GPU cluster)"
        )
    log.warning(
        "--gpus-per-actor %g: the Ray cluster has %g GPU(s) now; waiting for GPU nodes "
        "(an autoscaling cluster starts them; Ctrl-C stops)",
        sizing.gpus_per_actor,
        gpus,
    )


def pool_size(ray: Any, sizing: Sizing) -> int:
    """Return the actors to start: those asked for, or the default, never more than fit."""
    if sizing.actors is None:
        return default_actors(ray, sizing)
    fit = actors_that_fit(ray.cluster_resources(), sizing)
    if sizing.actors > fit:
        log.warning(
            "%d actor(s) of %g CPU asked for, but only %d fit with %d CPU left for "
            "reading and writing; starting %d",
            sizing.actors,
            sizing.cpus_per_actor,
            fit,
            SPARE_CPUS,
            fit,
        )
        return fit
    return sizing.actors


def _write(table: Any, folder: str, fmt: str) -> Any:
    """Write a block of briefs as one shard; return its name and counts."""
    import pyarrow as pa

    rows = table.to_pylist()
    name = records.write_shard(Path(folder), rows, fmt) if rows else ""
    failed = sum(1 for r in rows if r.get("error"))
    return pa.table({"shard": [name], "records": [len(rows)], "failed": [failed]})


# --- A whole job -----------------------------------------------------------------------------


def run_batch(
    inputs: Sequence[str],
    output: Path,
    options: Options | None = None,
    *,
    fmt: str = "parquet",
    input_format: str = "auto",
    sizing: Sizing | None = None,
    address: str | None = None,
    model_cache: str | None = None,
    progress: Progress | None = None,
    verbose: bool = False,
    retry_errors: bool = False,
    stop_on_sigterm: bool = False,
) -> Result:
    """Brief every record of the inputs into shards in output, skipping those already there
    (those written with an error too, unless retry_errors: then they are briefed again).
    stop_on_sigterm: a SIGTERM during the run raises errors.Terminated (the command line's
    choice; Ray's own handler otherwise)."""
    options = options or Options()
    sizing = sizing or Sizing()
    if fmt not in records.FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of: {', '.join(records.FORMATS)}")
    if "," in options.lang:
        raise UsageError("batch writes one brief per record: give one --lang (or a lang column)")
    kind, paths = find_inputs(inputs, input_format, output)
    check_columns(kind, paths)
    check_not_empty(kind, paths)
    if options.prompt:
        from . import prompts

        prompts.load(options.prompt)  # a bad --prompt stops the run here, as for summarize
    _check_lengths(options)
    folders = [n for n in inputs if Path(n).expanduser().is_dir()]
    # Read on the driver at most once, for either use below (a JSON Lines file read whole).
    input_ids = functools.cache(lambda: _input_ids(kind, paths, folders))
    ray = require_ray()
    if address:
        # Before the output folder is claimed: ray.init waited forever on a dead address.
        _check_reachable(address)
    elif not ray.is_initialized():
        # This machine's own Ray: its CPUs (not its GPUs) are known before it starts or the
        # folder is claimed.
        local = {"CPU": float(machine_cpus() + SPARE_CPUS)}
        _check_placeable(local, replace(sizing, gpus_per_actor=0), local=True)
    started = time.monotonic()
    with _claim(output, options, fmt, inputs) as others:
        # An error record goes only once its id is no longer written: a run stopped after this
        # briefs it, like any record not yet written.
        retried = records.drop_errors(output) if retry_errors else 0
        before = records.drop_repeats(output)
        done_ids = records.written_ids(output)
        errors_before = records.error_count(output)
        if others and done_ids:
            _say_shared_ids(input_ids(), done_ids, output, others)
        _connect(ray, address, verbose, stop_on_sigterm)
        # Before any model is converted for the actors: actors Ray can never place.
        _check_placeable(ray.cluster_resources(), sizing, local=address is None)
        with _sigterm_stops(stop_on_sigterm):
            import pyarrow as pa

            done = pa.array(sorted(done_ids), type=pa.string())
            # Counted here, not by a Ray pass over the input: that would read everything twice.
            rows = count_rows(kind, paths)
            total = max(0, rows - len(done_ids))
            # An actor call takes whole blocks (a 200-record file read as one block went to one
            # actor while the other sat idle), and each call's output becomes one shard: so read in
            # blocks of a batch each, but no more than MAX_BLOCKS, which bounds Ray's bookkeeping.
            blocks = min(MAX_BLOCKS, max(1, -(-rows // sizing.records_per_batch)))
            ds = read_dataset(kind, paths, folders, blocks)
            normal = ds.map_batches(
                _normalize, batch_format="pyarrow", num_cpus=LIGHT_CPUS, compute=_light()
            )
            pending = normal.map_batches(
                _pending,
                fn_kwargs={"done": done},
                batch_format="pyarrow",
                num_cpus=LIGHT_CPUS,
                compute=_light(),
            )
            result = Result(skipped=len(done_ids), repeats=before, retried=retried)
            if done_ids and rows:
                # A rerun: count what is pending from the ids alone where they can be read on
                # the driver. Rows are no measure: the ids written may be another input's (a
                # daily job writing into one folder), and an id the input repeats is one
                # record (a finished folder whose input repeated one id started Ray and its
                # actors on every rerun, 13 s for nothing). Else, with nothing pending by the
                # rows, through Ray (a complete job's rerun read the whole input through Ray
                # again: 30,000 rows 21 s -> 87 s).
                found = _pending_ids(input_ids(), done_ids)
                if found is not None:
                    total = found
                elif not total:
                    total = pending.count()
            if total:
                if model_cache:
                    Path(model_cache).expanduser().mkdir(parents=True, exist_ok=True)
                _prepare(ray, options, model_cache)
                briefs = batch_dataset(pending, options, sizing, model_cache=model_cache)
                written = briefs.map_batches(
                    _write,
                    fn_kwargs={"folder": str(output), "fmt": fmt},
                    batch_size=None,
                    batch_format="pyarrow",
                    num_cpus=LIGHT_CPUS,
                )
                for row in _run(written):
                    result.written += row["records"]
                    total = max(total, result.written)
                    result.failed += row["failed"]
                    if progress:
                        progress(result.written, total, result.failed, time.monotonic() - started)
            result.repeats += records.drop_repeats(output)
            result.written -= min(result.written, result.repeats - before)
            result.records = result.skipped + result.written
            # Counted in the folder, not tallied: a repeat dropped above may have been an error.
            result.errors = records.error_count(output)
            result.failed = max(0, result.errors - errors_before)
    result.seconds = time.monotonic() - started
    return result


def _run(ds: Any) -> Iterator[dict[str, Any]]:
    """Run a dataset and yield its rows, turning Ray's wrapped errors into briefer's own."""
    try:
        yield from ds.iter_rows()
    except BrieferError:
        raise
    except Exception as exc:
        raise _unwrap(exc) from exc


def _unwrap(exc: BaseException) -> BaseException:
    """Return the briefer error inside a Ray error (a model that will not load), or a plain one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        if isinstance(current, BrieferError):
            # Ray's RayTaskError(ModelError) is a ModelError whose text is the worker's whole
            # traceback (escaped, with colour codes): the error it carries says it in one line.
            if isinstance(cause, BrieferError):
                current = cause
            return type(current)(_last_line(str(current)))
        current = cause if isinstance(cause, BaseException) else current.__cause__
    text = _last_line(str(exc), every=True)
    for kind in (ModelError, InputError, OutputError, UsageError):
        hit = [line for line in text if f"{kind.__name__}:" in line]
        if hit:
            return kind(hit[-1].split(f"{kind.__name__}:", 1)[1].strip())
    return RuntimeError(f"the Ray job failed: {text[-1] if text else type(exc).__name__}")


_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _last_line(text: str, every: bool = False) -> Any:
    """Return the last line of an error's text, colour codes undone, and the escaped newlines
    of a worker's traceback that Ray put on one line (or, with every, all its lines). A
    message's own backslashes ("dir\\new.txt") are left as they are."""
    text = _COLOUR.sub("", text)
    if "\n" not in text and ("ray::" in text or 'File "' in text):
        text = text.replace("\\n", "\n")
    lines = [line for line in text.splitlines() if line.strip()]
    if every:
        return [line.strip() for line in lines]
    return lines[-1].strip() if lines else text.strip()


def _prepare(ray: Any, options: Options, model_cache: str | None) -> None:
    """Convert models for CTranslate2 before the actors start: once per node, or once in all.

    Without this every actor of a node would convert the same model at the same time. With a
    shared --model-cache one conversion serves the whole cluster.
    """
    if options.engine == "extractive" and options.translator_model() is None:
        return
    if options.backend == "torch":
        return
    prepare = ray.remote(num_cpus=LIGHT_CPUS, max_retries=1)(_prepare_here)
    if model_cache:
        targets: list[Any] = [prepare]
    else:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
        targets = [
            prepare.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
            for node in nodes
        ]
    try:
        ray.get([t.remote(options, model_cache) for t in targets])
    except Exception as exc:
        raise _unwrap(exc) from exc


def _prepare_here(options: Options, model_cache: str | None) -> None:
    """Load (and so convert) the run's models on this node, then let them go."""
    if model_cache:
        os.environ["BRIEFER_CACHE_DIR"] = model_cache
    from .brief import Briefer

    _load_models(Briefer(options))


def _connect(ray: Any, address: str | None, verbose: bool, stop_on_sigterm: bool = False) -> None:
    """Join the cluster at address, or start a local Ray on this machine; quiet unless verbose.
    stop_on_sigterm: a SIGTERM while Ray starts raises errors.Terminated (as run_batch's)."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # briefer draws its own: records, rate, ETA
    if not verbose:
        # Ray's notes (token authentication, disabled progress bars, execution plans) are for
        # its developers, and so are its error reports: a failed task's traceback (352 lines
        # for one bad byte) came before briefer's own one-line error, which says what failed.
        # -v shows them.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        # Ray Data warns when a light step's task pool (LIGHT_TASKS) is larger than a small
        # input's blocks; that is expected, and not the user's to act on.
        warnings.filterwarnings(
            "ignore", message="The maximum number of concurrent tasks", category=UserWarning
        )
    _route_ray_errors(verbose)  # each run's -v, even where Ray is up already
    if ray.is_initialized():
        return
    try:
        if address:
            ray.init(
                address=address,
                runtime_env={"env_vars": dict(RAY_ENV)},
                logging_level=logging.INFO if verbose else logging.ERROR,
                log_to_driver=verbose,
            )
        else:
            start_local(ray, machine_cpus(), verbose=verbose)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = address or "this machine"
        raise UsageError(f"cannot reach a Ray cluster at {where}: {exc}") from None
    except SystemExit as exc:
        # ray.init sets a SIGTERM handler of its own while it starts, which exits with code 15
        # and no word: a SIGTERM then (cron's, systemd's) stops the run as any other does.
        if stop_on_sigterm and exc.code == signal.SIGTERM:
            raise Terminated() from None
        raise


def _route_ray_errors(verbose: bool) -> None:
    """Keep Ray's error reports (a failed task's traceback, "(raylet) Task ... failed") off
    stdout: its driver prints them there from a thread of its own, and log_to_driver=False
    does not stop it (95 lines of traceback on stdout under -q, for a run whose one error
    line was on stderr). Hidden unless -v, and then on stderr. Ray's printer is wrapped
    where Ray 2.60 keeps it; a Ray without it is left as it is."""
    try:
        from ray._private import worker as ray_worker
    except ImportError:
        return
    original = getattr(ray_worker, "print_to_stdstream", None)
    if original is None:
        return
    original = getattr(original, "briefer_original", original)

    def printer(data: dict[str, Any], ignore_prefix: bool) -> None:
        if data.get("pid") == "raylet" and not data.get("is_err"):
            if not verbose:
                return
            data = {**data, "is_err": True}
        original(data, ignore_prefix)

    printer.briefer_original = original  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = printer


# How long to wait for a cluster's port to answer: a head on the same network answers in
# milliseconds; ray.init itself waited forever on a dead one, printing a C++ line every 5 s.
CONNECT_TIMEOUT = 10.0


def _check_reachable(address: str) -> None:
    """Raise UsageError when a host:port (or ray://host:port) address does not take a TCP
    connection within CONNECT_TIMEOUT; "auto" and other forms are left to Ray."""
    import socket

    where = address.removeprefix("ray://")
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit() or not host or "/" in where:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise UsageError(
            f"cannot reach a Ray cluster at {address}: {why} (is its head running, and the "
            "port open from here?)"
        ) from None


@contextlib.contextmanager
def _sigterm_stops(wanted: bool) -> Iterator[None]:
    """While a run lasts, make SIGTERM stop it as Ctrl-C does (what was written stays, a rerun
    goes on; the command line exits 143), instead of Ray's handler, which ray.init sets: exit
    code 15 after eight lines of its C++ core's stack dump, under -q too. The handler before
    comes back after the run. Only the main thread may set one; a library caller asks."""
    if not wanted or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _terminate(signum: int, frame: Any) -> None:
    """Stop the run where it is (the SIGTERM handler); a second SIGTERM ends the process."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated()


def machine_cpus() -> int:
    """Return the CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity call
        return os.cpu_count() or 1


def start_local(ray: Any, cpus: int, *, verbose: bool = False) -> Any:
    """Start a private local Ray for a machine of `cpus` CPUs, with SPARE_CPUS more logical CPUs
    for Ray Data's own tasks (so `cpus` one-CPU actors still leave them room); no dashboard."""
    return ray.init(
        # "local" starts a private Ray even when another one runs on this machine.
        address="local",
        num_cpus=cpus + SPARE_CPUS,
        include_dashboard=False,
        runtime_env={"env_vars": dict(RAY_ENV)},
        logging_level=logging.INFO if verbose else logging.ERROR,
        log_to_driver=verbose,
    )


@contextlib.contextmanager
def _claim(
    output: Path, options: Options, fmt: str, inputs: Sequence[str] = ()
) -> Iterator[list[str]]:
    """Hold the output folder for one run: lock it, check it holds this job's shards, tidy it.
    Yields the inputs earlier runs wrote there from, when these inputs are not among them."""
    output = output.expanduser()
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: exists and is not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
        handle = open(output / LOCK, "a")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise OutputError(f"{output}: cannot write there ({exc.strerror or exc})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"{output}: another briefer batch is writing there") from None
        others = _check_manifest(output, options, fmt, inputs)
        for leftover in output.glob(f".{records.SHARD_PREFIX}*.tmp"):
            # Shards a killed run was writing; no one else writes here while we hold the lock.
            leftover.unlink(missing_ok=True)
        yield others


# Options that do not shape a record: where and how fast a run goes, and which inputs it takes
# on (a record too large is an error a rerun with a raised --max-input-bytes briefs, as its
# message says; the rerun was refused for "other settings").
RUN_ONLY = ("device", "batch_size", "max_input_bytes")


def job_settings(options: Options, fmt: str) -> dict[str, Any]:
    """Return what shapes a job's records: every option but where and how fast it runs."""
    if is_dataclass(options):
        values = {f.name: getattr(options, f.name) for f in fields(options)}
    else:
        values = dict(vars(options))
    for name in RUN_ONLY:
        values.pop(name, None)
    return _local_paths({"format": fmt, "options": json.loads(json.dumps(values, default=str))})


# Options whose values may be local paths: a model folder, a prompt or glossary file.
PATH_OPTIONS = ("model", "translator", "pivot", "prompt", "glossary")


def _local_paths(settings: dict[str, Any]) -> dict[str, Any]:
    """Return job settings with each local path made absolute, so `-m models/bart` from one
    folder and `-m /srv/models/bart/` from another are the same job. A value is a path when
    it is there, or is written as one (`./x`, `../x`, `/x`, `~/x`); a hub id is neither.
    Symlinks are kept: a model that turns up where a link now points is the one named."""

    def absolute(value: Any) -> Any:
        """Return a path as an absolute one, anything else as it is."""
        if isinstance(value, dict):
            return {key: absolute(item) for key, item in value.items()}
        if not isinstance(value, str) or not value:
            return value
        written_as_path = value.startswith(("./", "../", "/", "~"))
        if written_as_path or Path(value).expanduser().exists():
            return os.path.abspath(os.path.expanduser(value))
        return value

    options = dict(settings.get("options", {}))
    for name in PATH_OPTIONS:
        if name in options:
            options[name] = absolute(options[name])
    return {**settings, "options": options}


# Settings a rerun may add to: the models only some records need (a pivot, a translator for
# a record's language), for a language that had none, so naming the model that was missing
# is the fix for those records' errors.
_ADDABLE = {"pivot": DEFAULT_PIVOTS, "translator": DEFAULT_TRANSLATORS}


def _only_added(key: str, before: Any, now: Any) -> list[str] | None:
    """Return the languages a per-language setting (pivot, translator) gains from before to
    now, each of which had no model at all (by the table, else the default); None when now
    takes any model away or replaces one (records would mix two models for a language)."""
    if isinstance(before, str) or isinstance(now, str):
        return None  # one model for the run's language: only the same one is the same job
    before, now = before or {}, now or {}
    if not isinstance(before, dict) or not isinstance(now, dict):
        return None
    defaults = _ADDABLE[key]
    added = []
    for lang in {*before, *now, *defaults}:
        was, model = before.get(lang) or defaults.get(lang), now.get(lang) or defaults.get(lang)
        if was == model:
            continue
        if was is not None:
            return None
        added.append(lang)
    return sorted(added)


def _check_manifest(
    output: Path,
    options: Options,
    fmt: str,
    inputs: Sequence[str] = (),
) -> list[str]:
    """Refuse to mix records made with other settings into a folder; note ours on first use.

    The inputs each run read are noted too (absolute): returns those of earlier runs when
    these are new to the folder, so that the run can say which of its ids another input wrote
    (none when the folder is new, or was noted before briefer noted inputs).
    """
    path = output / MANIFEST
    ours = job_settings(options, fmt)
    names = [os.path.abspath(os.path.expanduser(name)) for name in inputs]
    earlier: list[str] = []
    unchanged = False  # this run only adds models for languages that had none
    if path.is_file():
        try:
            theirs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"{path}: unreadable ({exc})") from None
        if not isinstance(theirs, dict) or not isinstance(theirs.get("options", {}), dict):
            raise OutputError(f"{path}: unreadable (not the settings of a briefer job)")
        # A folder noted before paths were made absolute holds them as given, relative to
        # where that run started: read from here, as a rerun from the same place would.
        theirs = _local_paths(theirs)
        for name in RUN_ONLY:  # noted by an older briefer
            theirs.get("options", {}).pop(name, None)
        noted = theirs.pop("inputs", None)
        earlier = [str(n) for n in noted] if isinstance(noted, list) else []
        if theirs != ours and not records.shards(output):
            # No record was written with them (a run that stopped at a model that would not
            # load, a typo in -m): the folder takes the new settings, not a refusal.
            earlier = []
        elif theirs != ours:
            before = theirs.get("options", {})
            keys = [k for k in ours["options"] if ours["options"][k] != before.get(k)]
            changed = [f"{k}: {before.get(k)!r} there, {ours['options'][k]!r} now" for k in keys]
            same_rest = theirs.get("format") == fmt and {
                k: v for k, v in theirs.items() if k != "options"
            } == {k: v for k, v in ours.items() if k != "options"}
            added = {
                k: _only_added(k, before.get(k), ours["options"][k]) for k in keys if k in _ADDABLE
            }
            if same_rest and len(added) == len(keys) and all(v is not None for v in added.values()):
                # "Once the cause is fixed (a model pulled, a pivot named), --retry-errors
                # briefs those records again": naming the pivot of a language that had none
                # was refused as other settings. The folder keeps its own settings, so the
                # nightly command without the addition goes on as before.
                log.info(
                    "models added for languages that had none (%s): they brief the records "
                    "not written yet",
                    "; ".join(f"{k}: {', '.join(v or [])}" for k, v in added.items()),
                )
                theirs, unchanged = ours, True
            else:
                if theirs.get("format") != fmt:
                    changed.insert(0, f"format: {theirs.get('format')!r} there, {fmt!r} now")
                raise UsageError(
                    f"{output} holds records made with other settings "
                    f"({'; '.join(changed) or 'unknown'}); "
                    "rerun with the same settings, or write to a new folder"
                )
        if unchanged or (theirs == ours and (not names or set(names) <= set(earlier))):
            return []
        if noted is None:
            earlier = []  # noted before inputs were: which input wrote what is not known
    elif records.shards(output):
        raise UsageError(f"{output} holds shards without {MANIFEST}; write to a new folder")
    tmp = path.with_name(f".{MANIFEST}.tmp")
    noting = {**ours, "inputs": earlier + [n for n in names if n not in earlier]}
    tmp.write_text(json.dumps(noting, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return [n for n in earlier if n not in names]
