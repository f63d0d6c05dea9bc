"""`briefer batch` on Ray Data: every id exactly once, the same briefs as `summarize` (torch and
CTranslate2), bad records kept with an error, a killed actor and an interrupted run losing and
repeating nothing.

One local Ray (2 CPUs, no dashboard) serves the whole module. Most records use the extractive
engine, which needs no model; a sample goes through the tiny random BART and Marian models.
Only the every-id check runs a few hundred records per input format; the others use as few as
their point needs, since each Ray job costs seconds of actor start-up on a small machine.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

import factory
from briefer import records
from briefer.brief import Briefer
from briefer.cli import Env, main
from briefer.engines import ctranslate2 as ct2_engine
from briefer.options import Options

HAS_RAY = find_spec("ray") is not None
# The test extra installs Ray (make test: .[test]); an install without it skips these.
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="the ray extra is not installed")
ROOT = Path(__file__).resolve().parent.parent
# CTranslate2's thread counts as a Ray actor finds them (conftest may change this process's
# for `make test-threads`); taken before any fixture runs.
CT2_THREADS = ct2_engine.threads
# Ray Data's own DataContext warns about its own deprecated fields when it is copied to workers.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process, as test_cli does; return (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdin=io.BytesIO(), stdout=out, stderr=err, stdin_isatty=True, stderr_isatty=False)
    return main(list(args), env), out.getvalue(), err.getvalue()


# The factory's corpus holds French and Arabic lines too (for the multilingual tokenizers); an
# archive row made of them is detected as fr or ar and routed through a pivot model these
# tests do not have. English wire copy is what these rows imitate.
ENGLISH = [line for line in factory.CORPUS if line.isascii()]
# Its French lines (accented, in Latin script), for rows that go through the fr→en pivot.
FRENCH = [line for line in factory.CORPUS if not line.isascii() and line[:1].isascii()]
ARABIC = [line for line in factory.CORPUS if not line[:1].isascii()]


def story(i: int, sentences: int = 5) -> dict[str, str]:
    """Return a wire story as an archive row holds it: an id, and text led by a headline line.

    The id keeps leading zeros ("0007"), as archive ids often do, so a reader that guesses
    numbers would lose them.
    """
    corpus = ENGLISH
    body = " ".join(corpus[(i * 3 + k) % len(corpus)] for k in range(sentences))
    headline = corpus[(i * 7) % len(corpus)].split(",")[0].rstrip(".")[:60]
    return {"id": f"{i:04d}", "text": f"{headline}\n\n{body}\n"}


def write_input(folder: Path, rows: list[dict[str, Any]], kind: str) -> Path:
    """Write rows in one of batch's input formats and return what to name on the command line.

    jsonl/csv/parquet imitate an archive export (one row per story: id, text, optional title,
    url, lang); files imitates a wire folder of .txt stories, one per file, in subfolders.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "jsonl":
        path = folder / "stories.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    if kind == "csv":
        path = folder / "stories.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "text"])
            writer.writeheader()
            writer.writerows({"id": r["id"], "text": r["text"]} for r in rows)
        return path
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        half = len(rows) // 2
        # Two part files in a folder, as Spark and Ray write them.
        for n, part in enumerate((rows[:half], rows[half:])):
            table = pa.table({"id": [r["id"] for r in part], "text": [r["text"] for r in part]})
            pq.write_table(table, folder / f"part-{n}.parquet")
        return folder
    wire = folder / "wire"
    for r in rows:
        path = wire / f"day-{int(r['id']) % 3}" / f"{r['id']}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(r["text"], encoding="utf-8")
    return wire


def by_id(folder: Path) -> dict[str, dict[str, Any]]:
    """Return the records written in folder by id, failing on an id written twice."""
    found: dict[str, dict[str, Any]] = {}
    for record in records.iter_records(folder):
        assert record["id"] not in found, f"{record['id']} written twice"
        found[record["id"]] = record
    return found


@pytest.fixture(scope="module")
def ray_address() -> Any:
    """Start the module's local Ray as `briefer batch` does on a 2-CPU machine (no dashboard);
    yield its address for other drivers."""
    if not HAS_RAY:
        pytest.skip("the ray extra is not installed")
    import ray

    from briefer import dataset

    context = dataset.start_local(ray, 2)
    yield context.address_info["address"]
    ray.shutdown()


# --- Without Ray ---------------------------------------------------------------------------------


def test_without_ray_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes `import ray` fail, as on an install without the extra.
    monkeypatch.setitem(sys.modules, "ray", None)
    source = write_input(tmp_path, [story(1)], "jsonl")
    code, out, err = run("batch", str(source), "-o", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "briefer: error: briefer batch needs Ray, an optional extra: pip install 'briefer[ray]'"
    ]


def test_a_folder_skips_hidden_and_underscore_entries_unless_named(tmp_path: Path) -> None:
    from briefer import dataset
    from briefer.errors import InputError

    # An archive exported by Spark, with its _SUCCESS marker, _temporary/ folder and a
    # _README.md beside the shards: the shards only.
    archive = tmp_path / "archive"
    (archive / "_temporary" / "0").mkdir(parents=True)
    (archive / "part-0.jsonl").write_text('{"id": "a", "text": "x"}\n')
    (archive / "_temporary" / "0" / "part-1.jsonl").write_text('{"id": "b", "text": "y"}\n')
    (archive / "_SUCCESS").write_text("")
    (archive / "_README.md").write_text("# About this export\n")
    assert dataset.find_inputs([str(archive)]) == ("jsonl", [str(archive / "part-0.jsonl")])
    # A Jekyll site: its posts live in _posts/, read when that folder is the one named.
    posts = tmp_path / "site" / "_posts"
    posts.mkdir(parents=True)
    (posts / "2026-12-07-council.md").write_text("# Council\n\nText.\n")
    (posts / ".2026-12-07-council.md.swp").write_text("x\n")
    with pytest.raises(InputError, match="no input among"):
        dataset.find_inputs([str(tmp_path / "site")])
    assert dataset.find_inputs([str(posts)]) == ("files", [str(posts / "2026-12-07-council.md")])


def test_an_output_folder_inside_the_input_folder_is_not_input(tmp_path: Path) -> None:
    from briefer import dataset
    from briefer.errors import UsageError

    # `briefer batch arch -o arch/out`: the first run wrote Parquet shards (and JSON Lines
    # ones, with -f jsonl) into arch/out, and every rerun read them back as input ("the input
    # mixes files and parquet files", or each shard briefed as a binary article).
    arch = tmp_path / "arch"
    (arch / "out").mkdir(parents=True)
    (arch / "story.txt").write_text("Council votes\n\nThe council voted.\n")
    (arch / "out" / "part-0001.parquet").write_bytes(b"PAR1")
    (arch / "out" / "part-0002.jsonl").write_text('{"id": "story.txt"}\n')
    story = ("files", [str(arch / "story.txt")])
    assert dataset.find_inputs([str(arch)], "auto", arch / "out") == story
    assert dataset.find_inputs([str(arch)], "files", arch / "out") == story
    # So with the output named another way (relative, through a link) or the input a glob.
    link = tmp_path / "link"
    link.symlink_to(arch / "out")
    assert dataset.find_inputs([str(arch)], "files", link) == story
    assert dataset.find_inputs([f"{arch}/**/*"], "files", arch / "out") == story
    # Without the output folder to leave out, it is the mix the reruns refused.
    with pytest.raises(UsageError, match="mixes files and jsonl and parquet"):
        dataset.find_inputs([str(arch)])
    # An output folder above the input holds it: nothing is left out (`-o .` left out every
    # input: "no input among inbox").
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "day.jsonl").write_text('{"id": "a", "text": "x"}\n')
    day = ("jsonl", [str(inbox / "day.jsonl")])
    assert dataset.find_inputs([str(inbox)], "auto", tmp_path) == day
    assert dataset.find_inputs([f"{inbox}/*.jsonl"], "auto", tmp_path) == day
    # The input folder itself as the output is refused: its shards would sit among the inputs.
    with pytest.raises(UsageError, match="is the input folder itself"):
        dataset.find_inputs([str(inbox)], "auto", inbox)


def test_sigterm_stops_a_run_only_while_asked_and_only_once() -> None:
    from briefer import dataset
    from briefer.errors import Terminated

    before = signal.getsignal(signal.SIGTERM)
    with dataset._sigterm_stops(True):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(2)  # the handler runs here, between two bytecodes
            raise AssertionError("SIGTERM did not stop the run")
        except Terminated:
            # A second SIGTERM while the run winds down ends the process, as by default.
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    # The handler before comes back: a library caller's process is left as it was.
    assert signal.getsignal(signal.SIGTERM) == before
    with dataset._sigterm_stops(False):
        assert signal.getsignal(signal.SIGTERM) == before


def test_a_model_folder_names_one_job_from_any_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefer import dataset
    from briefer.errors import OutputError, UsageError

    model = tmp_path / "models" / "bart"
    model.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tmp_path)
    dataset._check_manifest(out, Options(model="models/bart"), "parquet")
    noted = json.loads((out / dataset.MANIFEST).read_text(encoding="utf-8"))
    assert noted["options"]["model"] == str(model)
    # The same folder, from elsewhere and spelt otherwise: the same job.
    monkeypatch.chdir(tmp_path / "models")
    for spelling in (f"{model}/", "./bart", "bart"):
        dataset._check_manifest(out, Options(model=spelling), "parquet")
    # A hub id is no path; another model is another job, and the message says which (once
    # a record is written: a folder with none takes new settings).
    (out / f"{records.SHARD_PREFIX}x.parquet").write_bytes(b"")
    with pytest.raises(UsageError, match=f"model: '{model}' there, 'org/other' now"):
        dataset._check_manifest(out, Options(model="org/other"), "parquet")
    # A folder noted by the version before, which kept the path as given, from where it ran.
    monkeypatch.chdir(tmp_path)
    noted["options"]["model"] = "models/bart"
    (out / dataset.MANIFEST).write_text(json.dumps(noted), encoding="utf-8")
    dataset._check_manifest(out, Options(model=str(model)), "parquet")
    # A hand-edited file that is no job's settings is named, not a traceback.
    (out / dataset.MANIFEST).write_text('{"options": ["model"]}', encoding="utf-8")
    with pytest.raises(OutputError, match="not the settings of a briefer job"):
        dataset._check_manifest(out, Options(model=str(model)), "parquet")


def test_brief_rows_keeps_every_row_and_blames_only_the_bad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    briefer = Briefer(Options(engine="extractive"))
    rows = [story(i) for i in range(4)]
    rows.insert(2, {"id": "blank", "text": "  \n "})
    rows.append({"id": "xx", "text": story(9)["text"], "lang": "xx"})
    real = briefer.digest_many
    calls: list[int] = []

    def flaky(articles: list[Any], languages: list[str]) -> list[Any]:
        # A summarizer that breaks on one story: the batch fails, each other story must not.
        calls.append(len(articles))
        if any(a.source == "0002" for a in articles):
            raise RuntimeError("tensor size mismatch")
        return real(articles, languages)

    monkeypatch.setattr(briefer, "digest_many", flaky)
    out = records.brief_rows(briefer, rows)
    assert [o["id"] for o in out] == ["0000", "0001", "blank", "0002", "0003", "xx"]
    errors = {o["id"]: o["error"] for o in out if o["error"]}
    assert errors.pop("xx").startswith("unsupported language 'xx'")
    assert errors == {
        "blank": "blank: holds no text",
        "0002": "summarize: RuntimeError: tensor size mismatch",
    }
    assert calls[0] == 4 and calls[1:] == [1, 1, 1, 1]  # the batch, then one by one
    for o in out:
        assert (o["brief"] is None) == bool(o["error"])
    good = json.loads(out[0]["brief"])
    assert good["source"] == "0000" and good["summary"]
    for sentence in good["summary"].split(". "):
        assert sentence.rstrip(".") in rows[0]["text"]


def test_a_missing_route_model_fails_its_records_only_and_is_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A French story in an English archive: its extractive summary is French, and the brief
    # (English) needs the fr→en pivot, here a folder that is not there.
    missing = tmp_path / "opus-mt-fr-en"
    briefer = Briefer(Options(engine="extractive", pivot={"fr": str(missing)}))
    loads: list[str] = []
    real = briefer.load

    def load(name: str, batch_size: int | None = None) -> Any:
        loads.append(name)
        return real(name, batch_size)

    monkeypatch.setattr(briefer, "load", load)
    french = [
        {"id": f"fr-{n}", "text": f"{FRENCH[n]}\n\n{' '.join(FRENCH[n : n + 4])}\n"} for n in (0, 1)
    ]
    english = [story(i) for i in range(3)]
    usable: records.Usable = {}  # an actor keeps it from batch to batch
    first = records.brief_rows(briefer, [english[0], french[0], english[1]], usable)
    second = records.brief_rows(briefer, [french[1], english[2]], usable)
    why = f"the pivot model {missing} cannot be loaded: model folder '{missing}' does not exist"
    assert [o["id"] for o in first + second] == ["0000", "fr-0", "0001", "fr-1", "0002"]
    for o in (first[1], second[0]):
        assert o["brief"] is None and o["error"].startswith(f"fr: {why}")
        assert "\n" not in o["error"]
    assert loads.count(str(missing)) == 1  # not tried again for the second batch
    # The English records are briefed as if the French ones were not there.
    alone = records.brief_rows(Briefer(Options(engine="extractive")), english)
    assert [o["brief"] for o in (first[0], first[2], second[1])] == [o["brief"] for o in alone]
    assert all(o["error"] is None and o["brief"] for o in alone)


def test_shards_named_by_their_ids_and_repeats_dropped(tmp_path: Path) -> None:
    one = [{"id": "a", "error": None, "brief": None}, {"id": "b", "error": "x", "brief": None}]
    first = records.write_shard(tmp_path, one, "jsonl")
    assert records.write_shard(tmp_path, list(reversed(one)), "jsonl") == first  # a retry
    assert [p.name for p in records.shards(tmp_path)] == [first]
    # b and c written twice, under other groupings (an input naming them twice does that).
    c = {"id": "c", "error": None, "brief": None}
    records.write_shard(tmp_path, [{"id": "b", "error": "y", "brief": None}, c], "jsonl")
    records.write_shard(tmp_path, [c, {"id": "d", "error": None, "brief": None}], "jsonl")
    assert records.drop_repeats(tmp_path) == 2
    assert sorted(records.written_ids(tmp_path)) == ["a", "b", "c", "d"]
    assert all(len(v) == 1 for v in records.written_ids(tmp_path).values())
    assert not list(tmp_path.glob(".*.tmp"))


def test_retry_errors_drops_only_error_records_and_repeats_keep_one_copy(tmp_path: Path) -> None:
    def rec(rid: str, error: str | None = None) -> dict[str, Any]:
        """Return a record as brief_rows gives it (no brief: shards keep any fields alike)."""
        return {"id": rid, "error": error, "brief": None}

    for fmt in records.FORMATS:
        folder = tmp_path / fmt
        folder.mkdir()
        records.write_shard(
            folder, [rec("a"), rec("b", "fr: the pivot model x cannot be loaded")], fmt
        )
        records.write_shard(folder, [rec("c", "c: holds no text")], fmt)
        records.write_shard(folder, [rec("d")], fmt)
        assert records.drop_errors(folder) == 2
        assert {
            r["id"]: r["error"] for p in records.shards(folder) for r in records.read_shard(p)
        } == {
            "a": None,
            "d": None,
        }
        assert not list(folder.glob(".*.tmp"))

    # Three shards where keeping the first copy of x rewrites one shard onto the name of a
    # later one ({x, y} kept as {y}, the name the lone {y} shard has): y must stay, once.
    def name(*ids: str) -> str:
        return records.shard_name(ids, "jsonl")

    x, y = next(
        (x, y)
        for x in "pqrstuvw"
        for y in "ghijklmn"
        if sorted([name(x), name(x, y), name(y)]) == [name(x), name(x, y), name(y)]
    )
    folder = tmp_path / "overlap"
    folder.mkdir()
    for ids in ([x], [x, y], [y]):
        records.write_shard(folder, [rec(i) for i in ids], "jsonl")
    assert records.drop_repeats(folder) == 1
    assert sorted(records.written_ids(folder)) == sorted([x, y])


# --- On Ray ----------------------------------------------------------------------------------------


# The issue's "a few hundred records in each input format".
RECORDS = 200


@needs_ray
@pytest.mark.parametrize("kind", ["jsonl", "parquet", "csv", "files"])
def test_every_id_exactly_once_in_each_input_format(
    ray_address: str, tmp_path: Path, kind: str
) -> None:
    rows = [story(i, sentences=3 + i % 4) for i in range(RECORDS)]
    source = write_input(tmp_path / "in", rows, kind)
    out = tmp_path / "out"
    fmt = "jsonl" if kind == "csv" else "parquet"
    code, _, err = run(
        "batch", str(source), "-o", str(out), "-f", fmt, "--engine", "extractive",
        "--records-per-batch", "20",
    )  # fmt: skip
    assert code == 0, err
    # One shard per actor call, of about 20 records (Ray Data may bundle two small blocks into
    # one call); a reader that hands a whole file to one actor as one block (Parquet did, so
    # one actor did all the work) writes one or two.
    assert len(records.shards(out)) >= RECORDS // 40
    written = by_id(out)
    want = {
        r["id"] if kind != "files" else f"day-{int(r['id']) % 3}/{r['id']}.txt": r for r in rows
    }
    assert sorted(written) == sorted(want)
    for rid, record in written.items():
        assert record["error"] is None
        text = want[rid]["text"]
        # Extractive summaries are sentences of the story, copied word for word.
        assert record["summary"] and all(
            s.strip(". ") in text for s in record["summary"].split(". ")
        )
    assert f"{RECORDS} record(s) written (0 with an error), 0 already there" in err
    assert "records/s" in err and "ETA" in err


def same_as_summarize(
    tmp_path: Path,
    flags: Sequence[str],
    batch_flags: Sequence[str],
    summarize_flags: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """Brief six stories with `summarize -f json` and with `batch`, the same options on both;
    check each record equals its `-f json` brief, and return the records by id.

    The batch side runs one block of all six records on one actor (`--records-per-batch 6`),
    and summarize reads them in one round (of 8): so both sides group them the same way, in
    the same model calls, and no comparison rests on how a different batch rounds.
    """
    rows = [story(i, sentences=2 + i) for i in range(6)]
    source = write_input(tmp_path / "in", rows, "jsonl")
    out = tmp_path / "out"
    code, _, err = run(
        "batch", str(source), "-o", str(out), *flags, *batch_flags, "--records-per-batch", "6"
    )
    assert code == 0, err
    folder = tmp_path / "files"
    folder.mkdir()
    for r in rows:
        (folder / f"{r['id']}.txt").write_text(r["text"], encoding="utf-8")
    files = sorted(map(str, folder.iterdir()))
    code, single, err = run("summarize", *files, "-f", "json", *flags, *summarize_flags)
    assert code == 0, err
    expected = {Path(b["source"]).stem: b for b in json.loads(single)["briefs"]}
    written = by_id(out)
    assert sorted(written) == sorted(expected) == [r["id"] for r in rows]
    for rid, record in written.items():
        record = dict(record)
        assert record.pop("id") == rid and record.pop("error") is None
        assert record.pop("source") == rid and expected[rid].pop("source").endswith(f"{rid}.txt")
        assert record == expected[rid]
    return written


def _language(record: dict[str, Any], lang: str) -> str:
    """Return the language a brief record must carry: lang, or English where the guard kept
    the tiny random translator's looping summary in English (its untranslated check)."""
    kept = any(
        c["kind"] == "untranslated" and c["where"] == f"translation ({lang})"
        for c in record["checks"]
    )
    return "en" if kept else lang


@needs_ray
@pytest.mark.parametrize("engine", ["extractive", "abstractive"])
def test_same_brief_as_summarize(
    ray_address: str, tmp_path: Path, engine: str, bart: Path, marian_fr: Path
) -> None:
    flags = ["--engine", engine, "-l", "fr", "-t", str(marian_fr), "--backend", "torch"]
    if engine == "abstractive":
        # One text per model call: no padding, so float arithmetic cannot differ between the
        # runs' groupings. Translation batches the same six briefs in both (one round, one call).
        flags += ["-m", str(bart), "--batch-size", "1", "--max-length", "24", "--beams", "2"]
    written = same_as_summarize(tmp_path, flags, ["--actors", "1"])
    for record in written.values():
        assert record["language"] == _language(record, "fr")
        assert record["models"]["translator"] == str(marian_fr)


@needs_ray
@pytest.mark.own_conversions  # summarize reads the batch's conversions, not the session's
def test_ctranslate2_same_brief_as_summarize_from_one_shared_conversion(
    ray_address: str,
    tmp_path: Path,
    bart: Path,
    marian_fr: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared = tmp_path / "shared-models"
    flags = [
        "-m", str(bart), "-l", "fr", "-t", str(marian_fr), "--backend", "ctranslate2",
        "--max-length", "24", "--beams", "2",
    ]  # fmt: skip
    # summarize runs here after batch, reading the conversions from the same folder (its
    # cache), with the thread counts a Ray actor has: the same weights, the same arithmetic.
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(shared))
    monkeypatch.setattr(ct2_engine, "threads", CT2_THREADS)
    # Ray sets OMP_NUM_THREADS to an actor's num_cpus (1 here), and briefer keeps to it.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    # Two actors: the one given the block and an idle one both load the models at start.
    written = same_as_summarize(
        tmp_path, flags, ["--model-cache", str(shared), "--actors", "2"], ["--no-cache"]
    )
    # Each model converted once, before the actors started, into the shared folder; both
    # actors loaded those copies rather than converting their own.
    # Two models, two folders: one more (or a .partial) would be a second conversion.
    converted = sorted((shared / "ctranslate2").iterdir())
    assert len(converted) == 2 and all((c / "model.bin").is_file() for c in converted)
    for record in written.values():
        assert record["language"] == _language(record, "fr")
        assert record["models"]["translator"] == str(marian_fr)
        # The tiny random model's summaries may fail the output guard, which then names the
        # extractive fallback "in place of" the model; either way the model is this bart.
        assert record["models"]["summarizer"].endswith(str(bart))


@needs_ray
def test_bad_records_get_an_error_and_the_rest_succeed(
    ray_address: str, tmp_path: Path, marian_fr: Path
) -> None:
    good = [story(i) for i in range(30)]
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(r) for r in good]
    lines[3:3] = [
        json.dumps({"id": "empty", "text": ""}),
        json.dumps({"id": "null", "text": None}),
        json.dumps({"id": "caption-only", "text": "[Getty Images]\n"}),
        json.dumps({"id": "klingon", "text": good[0]["text"], "lang": "tlh"}),
        json.dumps({"id": 77, "text": good[1]["text"], "title": "Numeric id"}),
        '{"id": "broken", "text": "unterminated',
    ]
    # Stories in French and Arabic: their English briefs need the fr→en pivot (named here, a
    # folder that is not there) and the default ar→en one (not in the tests' offline cache).
    # Those records fail; the job goes on.
    lines[10:10] = [
        json.dumps({"id": f"fr-{n}", "text": f"{FRENCH[n]}\n\n{' '.join(FRENCH[n : n + 4])}"})
        for n in (0, 1)
    ]
    lines.append(json.dumps({"id": "ar-0", "text": " ".join(ARABIC[:5])}))
    # As Python's json writes text raw (ensure_ascii=False): U+2028 and U+0085 inside strings,
    # which are no line ends in JSON Lines (Ray's read_text split there, and lost both records).
    for name, mark in (("ls", "\u2028"), ("nel", "\u0085")):
        text = good[2]["text"].replace("\n\n", f"\n\n{mark}", 1)
        lines.append(json.dumps({"id": name, "text": text}, ensure_ascii=False))
    missing = tmp_path / "models" / "opus-mt-fr-en"
    # A BOM before the first line (a Windows editor's), and one line that is not UTF-8 (a
    # Latin-1 "café"): one record's error, not the job's end.
    data = "\n".join(lines).encode("utf-8").replace(b"unterminated", b"caf\xe9 unterminated")
    path.write_bytes(b"\xef\xbb\xbf" + data + b"\n")
    out = tmp_path / "out"
    command = [
        "batch", str(path), "-o", str(out), "-f", "jsonl", "--engine", "extractive",
        "--pivot", f"fr={missing}", "--backend", "torch", "--actors", "1",
    ]  # fmt: skip
    code, _, err = run(*command)
    assert code == 3, err
    written = by_id(out)
    assert len(written) == 41
    assert written["ls"]["summary"] and written["nel"]["summary"]
    assert written[good[0]["id"]]["summary"]  # the record after the BOM
    errors = {k: v["error"] for k, v in written.items() if v["error"]}
    for n in (0, 1):
        assert errors.pop(f"fr-{n}").startswith(
            f"fr: the pivot model {missing} cannot be loaded: model folder '{missing}' "
        )
    assert errors.pop("ar-0").startswith(
        "ar: the pivot model Helsinki-NLP/opus-mt-ar-en cannot be loaded: "
    )
    assert errors.pop("empty") == "empty: holds no text"
    assert errors.pop("null") == "null: holds no text"
    assert errors.pop("caption-only").startswith("caption-only: holds no story text")
    assert errors.pop("klingon").startswith("unsupported language 'tlh'")
    (broken,) = errors
    # Named by its file and line (the 9th: 3 good records, 5 odd ones before it).
    assert broken.startswith("sha256:")
    assert errors[broken] == f"{path}, line 9: not UTF-8 (byte 30)"
    assert written["77"]["title"] == "Numeric id" and written["77"]["summary"]
    assert all(written[r["id"]]["summary"] for r in good)
    assert "41 record(s) written (8 with an error)" in err
    # A rerun finds everything written: still a partial job (exit 3) while errors are in the
    # folder, and it says how to brief them again.
    code, _, err = run(*command)
    assert code == 3, err
    assert (
        "0 record(s) written (0 with an error), 41 already there (8 with an error: "
        "--retry-errors briefs them again)"
    ) in err

    # The missing model turns up (a tiny en→fr Marian in the folder named for the fr→en one:
    # the shape of a pivot, if not its languages), and a rerun with --retry-errors briefs
    # again every record that has an error, and nothing else.
    missing.parent.mkdir()
    missing.symlink_to(marian_fr, target_is_directory=True)
    before = {k: v for k, v in written.items() if not v["error"]}
    code, _, err = run(*command, "--retry-errors")
    assert code == 3, err
    again = by_id(out)
    assert sorted(again) == sorted(written)
    for n in (0, 1):
        assert again[f"fr-{n}"]["error"] is None and again[f"fr-{n}"]["summary"]
        assert again[f"fr-{n}"]["models"]["pivot"] == str(missing)
    assert {k for k, v in again.items() if v["error"]} == set(written) - set(before) - {
        "fr-0",
        "fr-1",
    }
    assert all(again[k] == v for k, v in before.items())
    assert "8 record(s) written (6 with an error), 33 already there, 8 earlier error(s)" in err


def test_a_folder_holding_another_inputs_records_briefs_the_new_ones(
    ray_address: str, tmp_path: Path
) -> None:
    # A daily job writing into one folder: day two's input has fewer rows than the folder has
    # records, all of them new. The run skipped them all ("0 written, 2 already there").
    out = tmp_path / "out"
    for day, rows in (("day1", [story(1), story(2)]), ("day2", [{**story(3), "id": "d2-1"}])):
        path = tmp_path / f"{day}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        code, _, err = run("batch", str(path), "-o", str(out), "--engine", "extractive")
        assert code == 0, err
    assert sorted(by_id(out)) == ["0001", "0002", "d2-1"]
    assert "1 record(s) written (0 with an error), 2 already there" in err
    assert "from another input" not in err  # none of day two's ids was there
    # Day three names an id day one wrote (two days' folders that both hold `story.txt`):
    # the record is skipped as written, and stderr says so and names day one's input. A rerun
    # of day one itself, its ids all there, is a rerun: nothing to say.
    day3 = tmp_path / "day3.jsonl"
    day3.write_text(json.dumps({**story(9), "id": "0001"}) + "\n", encoding="utf-8")
    code, _, err = run("batch", str(day3), "-o", str(out), "--engine", "extractive")
    assert code == 0, err
    assert by_id(out)["0001"]["text"] == story(1)["text"]
    assert (
        f"briefer: 1 id(s) of this input are in {out} already, from another input "
        f"({tmp_path / 'day1.jsonl'}, {tmp_path / 'day2.jsonl'}): those records are skipped"
    ) in err
    code, _, err = run(
        "batch", str(tmp_path / "day1.jsonl"), "-o", str(out), "--engine", "extractive"
    )
    assert code == 0 and "from another input" not in err, err
    noted = json.loads((out / "_briefer.json").read_text(encoding="utf-8"))["inputs"]
    assert noted == [str(tmp_path / f"day{n}.jsonl") for n in (1, 2, 3)]


def test_a_record_in_a_language_with_no_translator_gets_an_error(
    ray_address: str, tmp_path: Path, marian_fr: Path
) -> None:
    # A record asking for German, with no German translator named and no default for it: the
    # whole job stopped with exit 2 and nothing written.
    rows = [story(1), {**story(2), "lang": "de"}]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run(
        "batch", str(path), "-o", str(out), "-f", "jsonl", "--engine", "extractive",
        "-t", f"fr={marian_fr}", "--backend", "torch", "--actors", "1",
    )  # fmt: skip
    assert code == 3, err
    written = by_id(out)
    assert written["0001"]["summary"] and written["0001"]["error"] is None
    assert written["0002"]["error"].startswith("no default translator for 'de'")


def test_an_id_given_twice_counts_the_copy_kept_not_the_one_dropped(
    ray_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An archive export that names an id twice, both copies empty: one record is kept, with
    # its error, and the count is the folder's one error, not the two copies briefed (the
    # dropped copy's error was counted too: "2 with an error" over a folder holding 1).
    rows = [story(i) for i in range(6)]
    rows += [{"id": "blank", "text": ""}, {"id": "blank", "text": " "}]
    path = tmp_path / "dup.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run("batch", str(path), "-o", str(out), "--engine", "extractive")
    written = by_id(out)
    assert sorted(written) == sorted({r["id"] for r in rows})
    assert [k for k, record in written.items() if record["error"]] == ["blank"]
    assert code == 3, err
    assert "7 record(s) written (1 with an error)" in err
    assert "1 repeated id(s) dropped" in err  # said, not silent
    # The rerun of the finished folder has nothing to do: no job starts (the repeated id
    # counted as a row pending, and every rerun started the actors, 13 s for nothing).
    from briefer import dataset

    def no_job(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a job started for a folder with nothing pending")

    monkeypatch.setattr(dataset, "_prepare", no_job)
    code, _, err = run("batch", str(path), "-o", str(out), "--engine", "extractive")
    assert code == 3, err  # the folder still holds its error record
    assert "0 record(s) written (0 with an error), 7 already there" in err


def slow_job(
    tmp_path: Path, ray_address: str
) -> tuple[list[dict[str, str]], Path, Path, list[str], dict[str, str]]:
    """Return a job to stop midway: 48 records in calls of 4 on one actor, as a child process
    (its rows, input, output folder, command and environment)."""
    rows = [story(i) for i in range(48)]
    source = write_input(tmp_path / "in", rows, "jsonl")
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "briefer", "batch", str(source), "-o", str(out),
        "--engine", "extractive", "--actors", "1", "--records-per-batch", "4", "-q",
        "--ray-address", ray_address,
    ]  # fmt: skip
    return rows, source, out, command, {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def test_sigterm_stops_a_batch_as_ctrl_c_does(ray_address: str, tmp_path: Path) -> None:
    # cron and systemd stop a job with SIGTERM: ray.init made that exit 15 after a C++ stack
    # dump on stderr, under -q too. briefer ends the run with one line and exit 143, and a
    # rerun goes on from what was written.
    rows, source, out, command, env = slow_job(tmp_path, ray_address)
    job = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while len(records.shards(out)) < 2 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.poll() is None, "the run finished before it could be stopped"
    job.send_signal(signal.SIGTERM)
    assert job.stderr is not None
    err = job.stderr.read().decode()
    assert job.wait(timeout=60) == 143
    assert err.endswith("briefer: terminated\n") and "SIGTERM received" not in err
    code, _, err = run("batch", str(source), "-o", str(out), "--engine", "extractive")
    assert code == 0, err
    assert sorted(by_id(out)) == sorted(r["id"] for r in rows)


def _actor_pids() -> list[int]:
    """Return the processes of briefer's Ray actors, found by the title Ray gives them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if title.startswith("ray::") and "BriefActor" in title:
            pids.append(int(entry.name))
    return pids


@needs_ray
def test_a_killed_actor_loses_and_repeats_nothing(ray_address: str, tmp_path: Path) -> None:
    from briefer import dataset

    rows = [story(i, sentences=3 + i % 4) for i in range(32)]
    source = write_input(tmp_path / "in", rows, "jsonl")
    out = tmp_path / "out"
    killed: list[tuple[int, int]] = []  # (pid, shards written when it was killed)

    def kill_one() -> None:
        """SIGKILL one actor process once the first shard is in, while the rest are to come."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            pids = _actor_pids()
            done = len(records.shards(out))
            if pids and done >= 1:
                os.kill(pids[0], signal.SIGKILL)
                killed.append((pids[0], done))
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one)
    killer.start()
    # 16 calls of 2 records over 2 actors: the kill lands mid-run, and the dead actor's call
    # (if it had one) is run again by a restarted actor (Ray Data's max_restarts and
    # max_task_retries, -1 for actor pools).
    result = dataset.run_batch(
        [str(source)],
        out,
        Options(engine="extractive"),
        sizing=dataset.Sizing(actors=2, records_per_batch=2),
    )
    killer.join()
    assert killed, "no actor was killed"
    pid, shards_then = killed[0]
    assert shards_then < 16, "the kill came after the run had finished"
    assert not Path(f"/proc/{pid}").exists() or pid not in _actor_pids()
    written = by_id(out)  # fails on an id written twice
    assert sorted(written) == [r["id"] for r in rows]
    assert all(r["error"] is None and r["summary"] for r in written.values())
    assert result.written == 32 and result.failed == 0 and result.repeats == 0
    assert len(records.shards(out)) == 16


@needs_ray
def test_a_rerun_writes_only_what_an_interrupted_run_left_with_the_same_settings(
    ray_address: str, tmp_path: Path
) -> None:
    rows, source, out, command, env = slow_job(tmp_path, ray_address)
    job = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while len(records.shards(out)) < 3 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.poll() is None, "the first run finished before it could be interrupted"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    time.sleep(2)  # let Ray stop the dead driver's workers before looking
    before = {p.name: p.read_bytes() for p in records.shards(out)}
    had = set(records.written_ids(out))
    assert 0 < len(had) < 48
    code, _, err = run("batch", str(source), "-o", str(out), "--engine", "extractive")
    assert code == 0, err
    after = {p.name: p for p in records.shards(out)}
    for name, data in before.items():
        assert after[name].read_bytes() == data  # earlier shards untouched
    new_ids = [
        row["id"]
        for name, path in after.items()
        if name not in before
        for row in records.read_shard(path, ("id",))
    ]
    assert sorted(new_ids) == sorted({r["id"] for r in rows} - had)
    assert sorted(by_id(out)) == sorted(r["id"] for r in rows)
    assert f"{48 - len(had)} record(s) written (0 with an error), {len(had)} already there" in err

    # Other settings into the same folder are refused, before any work; the same settings
    # find nothing left to do.
    code, _, err = run(
        "batch", str(source), "-o", str(out), "--engine", "extractive", "-f", "jsonl"
    )
    assert code == 2 and (
        "holds records made with other settings (format: 'parquet' there, 'jsonl' now)" in err
    )
    code, _, err = run("batch", str(source), "-o", str(out), "--engine", "extractive", "-q")
    assert code == 0 and err == ""
    assert {p.name: p.read_bytes() for p in records.shards(out)} == {
        name: path.read_bytes() for name, path in after.items()
    }


def test_ray_stays_an_extra() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    assert not any(name in core for name in ("ray", "pyarrow", "pandas"))
    (pin,) = project["optional-dependencies"]["ray"]
    assert pin.startswith("ray[data]==")
    assert pin in project["optional-dependencies"]["test"]  # CI runs the Ray tests
    code = "import sys, briefer, briefer.cli; print(sorted({'ray', 'pyarrow'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_json_lines_shards_read_back_without_pyarrow(tmp_path: Path, monkeypatch) -> None:
    # pyarrow comes with the ray extra only: a library user reading a folder of JSON Lines
    # shards has none, and iter_records once imported it before looking at the first shard.
    briefer = Briefer(Options(engine="extractive"))
    out = records.brief_rows(briefer, [story(i) for i in range(2)])
    records.write_shard(tmp_path, out, "jsonl")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # any import of it now fails
    back = list(records.iter_records(tmp_path))
    assert [r["id"] for r in back] == [o["id"] for o in out]
    assert all(r["summary"] for r in back)


@pytest.mark.skipif(find_spec("pyarrow") is None, reason="pyarrow comes with the ray extra")
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_a_shard_gives_back_exactly_the_json_record(tmp_path: Path, fmt: str) -> None:
    briefer = Briefer(Options(engine="extractive"))
    rows = [story(i) for i in range(3)] + [{"id": "blank", "text": ""}]
    out = records.brief_rows(briefer, rows)
    records.write_shard(tmp_path, out, fmt)
    back = {r["id"]: r for r in records.iter_records(tmp_path)}
    for o in out:
        record = back[o["id"]]
        assert record.pop("id") == o["id"] and record.pop("error") == o["error"]
        assert record == (json.loads(o["brief"]) if o["brief"] else {})
    assert back["0001"]["chunks"][0]["spans"]  # nested fields survive Parquet
    assert back["0001"]["support"][0]["sources"]
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Typed columns, not JSON text: `checks.kind` and `support.score` can be queried.
        (shard,) = records.shards(tmp_path)
        schema = pq.read_schema(shard)
        for name, fields in (
            ("checks", ["kind", "text", "where"]),
            ("support", ["start", "end", "text", "score", "sources"]),
        ):
            item = schema.field(name).type.value_type
            assert pa.types.is_struct(item) and [f.name for f in item] == fields
        assert schema.field("source_language").type == pa.string()


@pytest.mark.skipif(find_spec("pyarrow") is None, reason="pyarrow comes with the ray extra")
def test_a_shard_written_before_checks_had_a_type_reads_back(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    briefer = Briefer(Options(engine="extractive"))
    out = records.brief_rows(briefer, [story(1)])
    records.write_shard(tmp_path, out, "parquet")
    (shard,) = records.shards(tmp_path)
    # The shape earlier briefer versions wrote: checks and support as JSON text columns.
    table = pq.read_table(shard)
    for name in ("checks", "support", "source_language"):
        text = [json.dumps(v) for v in table.column(name).to_pylist()]
        table = table.set_column(table.schema.get_field_index(name), name, [text])
    pq.write_table(table, shard)
    (back,) = records.iter_records(tmp_path)
    brief = json.loads(out[0]["brief"])
    assert back["support"] == brief["support"] and back["checks"] == brief["checks"]
    assert back["source_language"] == brief["source_language"] == "en"


def test_an_input_without_a_text_column_stops_before_the_job(tmp_path: Path) -> None:
    # CMS exports keep the story under `body` or `content`: every record became an error
    # ("a: holds no text"), written after the whole job had run, exit 3.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from briefer.dataset import check_columns
    from briefer.errors import InputError

    jsonl = tmp_path / "cms.jsonl"
    jsonl.write_text('{"id": "a", "body": "The council met."}\n[1]\nnot json\n')
    csv = tmp_path / "cms.csv"
    csv.write_text("id,headline,content\n1,Vote,The council met.\n", encoding="utf-8")
    parquet = tmp_path / "cms.parquet"
    pq.write_table(pa.table({"id": ["1"], "body": ["The council met."]}), parquet)
    for path, kind, columns in (
        (jsonl, "jsonl", "id, body"),
        (csv, "csv", "id, headline, content"),
        (parquet, "parquet", "id, body"),
    ):
        with pytest.raises(InputError, match=f"no 'text' column \\(its columns: {columns}\\)"):
            check_columns(kind, [str(path)])
    code, out, err = run("batch", str(jsonl), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert (code, out) == (1, "")
    assert err == (
        f"briefer: error: {jsonl}: no 'text' column (its columns: id, body); briefer reads each "
        "record's story from 'text': rename the column that holds it\n"
    )
    assert not (tmp_path / "out").exists()
    # A record with a text among others without is a job: those others get their errors.
    jsonl.write_text('{"id": "a", "body": "x"}\n{"id": "b", "text": "The council met."}\n')
    check_columns("jsonl", [str(jsonl)])
    # Nothing but lines that are no JSON object: error records, as before, not this error.
    jsonl.write_text("not json\n[1, 2]\n")
    check_columns("jsonl", [str(jsonl)])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jsonl", b""),
        ("blank.jsonl", b"\n  \n\n"),
        ("header-only.csv", b"id,text\n"),
    ],
)
def test_an_input_with_no_records_is_an_input_error(
    tmp_path: Path, name: str, content: bytes
) -> None:
    # An empty export (a cron job's failed dump) was "0 record(s) written", exit 0.
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run("batch", str(path), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert (code, out) == (1, "")
    assert err == f"briefer: error: {path}: no records (an empty export?)\n"
    assert not (tmp_path / "out").exists()


def test_a_csv_with_a_quote_never_closed_or_a_bad_row_stops_before_the_job(
    tmp_path: Path,
) -> None:
    # A hand-edited archive export: the quote that opens record 2's text is never closed, so
    # record 3 was read as part of it and lost, exit 0; a row with too many fields stopped the
    # job with "ArrowInvalid: CSV parse error: ...", no file named.
    from briefer.dataset import check_columns, count_rows
    from briefer.errors import InputError

    path = tmp_path / "archive.csv"
    path.write_text(
        'id,text\n1,"The Senate voted."\n2,"unterminated quote\n3,ok text here\n',
        encoding="utf-8",
    )
    code, out, err = run("batch", str(path), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert (code, out) == (1, "")
    assert err == (
        f"briefer: error: {path}: the quoted field that opens on line 3 is never closed: every "
        "line after it would be read as that record's text\n"
    )
    path.write_text("id,text\n1,The Senate voted.\n2,a,b,c,d\n", encoding="utf-8")
    code, out, err = run("batch", str(path), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert (code, out) == (1, "")
    # Named with its line before Ray starts (pyarrow's "Expected 2 columns, got 5" named none).
    assert err == f"briefer: error: {path}, line 3: 5 fields where its header has 2\n"
    assert not (tmp_path / "out").exists()
    # A stray quote: read leniently, record 3 became part of record 2's text, exit 0.
    path.write_text('id,text\n1,ok\n2,"never closed\n3,"another"\n', encoding="utf-8")
    code, out, err = run("batch", str(path), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert code == 1 and err.startswith(f"briefer: error: {path}, line 4: not valid CSV (")
    # Not UTF-8 (an export from a Windows tool): named with its line, before Ray starts.
    path.write_bytes(b"id,text\n1,ok\n2,caf\xe9 au lait\n")
    code, out, err = run("batch", str(path), "-o", str(tmp_path / "out"), "--engine", "extractive")
    assert (code, err) == (1, f"briefer: error: {path}, line 3: not UTF-8\n")
    # So when the rest of the archive after the quote is past the csv module's 128 KB field
    # limit (the check stopped there without a word).
    rows = "".join(
        f"{n},The council met on day {n} and voted on the bridge.\n" for n in range(3000)
    )
    path.write_text(f'id,text\n1,"He said hello.\n{rows}', encoding="utf-8")
    with pytest.raises(InputError, match="opens on line 2 is never closed"):
        check_columns("csv", [str(path)])
    # Quotes inside an unquoted field, doubled quotes and line breaks inside a quoted field
    # are CSV as written by spreadsheets: no complaint.
    path.write_text(
        'id,text\n1,A 5" screen\n2,"He said ""no"" twice"\n3,"two\nlines"\n', encoding="utf-8"
    )
    check_columns("csv", [str(path)])
    assert count_rows("csv", [str(path)]) == 3


def test_a_csv_whose_columns_change_type_after_the_first_block_is_read(tmp_path: Path) -> None:
    # pyarrow infers a column's type from its first block (about 1 MB): an archive export with
    # numeric ids then "abc", or an optional column empty for 30,000 rows then filled, stopped
    # the run before any work ("CSV conversion error to int64").
    from briefer.dataset import count_rows, read_dataset

    path = tmp_path / "archive.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "lang", "desk"])
        # 2.4 MB: the odd row comes blocks after the first
        writer.writerows(
            [i, f"Story {i} of the archive, one line of it. " * 2, "", ""] for i in range(30_000)
        )
        writer.writerow(["abc", "The last story.", "fr", "late"])
    assert count_rows("csv", [str(path)]) == 30_001
    rows = read_dataset("csv", [str(path)], [], 1).take_all()
    assert len(rows) == 30_001 and rows[-1]["id"] == "abc" and rows[0]["id"] == "0"


def test_an_output_that_is_a_file_is_exit_1_in_briefers_words(tmp_path: Path) -> None:
    # The option's own check said "Directory 'a.txt' is a file." with exit 2 (a usage error);
    # the README's exit 1 is an output that cannot be written.
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(story(1)) + "\n", encoding="utf-8")
    target = tmp_path / "a.txt"
    target.write_text("notes\n", encoding="utf-8")
    code, _, err = run("batch", str(path), "-o", str(target), "--engine", "extractive")
    assert code == 1 and err == f"briefer: error: {target}: exists and is not a folder\n"
    assert target.read_text(encoding="utf-8") == "notes\n"


def test_pending_ids_are_counted_as_the_run_reads_them(tmp_path: Path) -> None:
    # A rerun of a written job counts what is left from the ids alone, on the driver; the
    # counts must be the run's own (7, "7" and 7.0 are one id; a broken line has a hash id).
    import pyarrow as pa
    import pyarrow.parquet as pq

    from briefer.dataset import _input_ids
    from briefer.dataset import _pending_ids as count

    def _pending_ids(kind: str, paths: list[str], folders: list[str], done: set[str]) -> int | None:
        return count(_input_ids(kind, paths, folders), done)  # as the run does: ids read once

    lines = tmp_path / "a.jsonl"
    lines.write_text('{"id": 7, "text": "x"}\n{"id": "8", "text": "y"}\n\n{"id": 9.0}\n', "utf-8")
    assert _pending_ids("jsonl", [str(lines)], [], {"7", "8", "9"}) == 0
    assert _pending_ids("jsonl", [str(lines)], [], {"7"}) == 2
    table = tmp_path / "a.csv"
    table.write_text("id,text\n007,x\n8,y\n", encoding="utf-8")
    assert _pending_ids("csv", [str(table)], [], {"007"}) == 1
    pq.write_table(pa.table({"id": [1, 2], "text": ["x", "y"]}), tmp_path / "a.parquet")
    assert _pending_ids("parquet", [str(tmp_path / "a.parquet")], [], {"1", "2"}) == 0
    # A table record without an id takes its text's hash: counted through Ray instead.
    table.write_text("id,text\n,x\n8,y\n", encoding="utf-8")
    assert _pending_ids("csv", [str(table)], [], set()) is None
    folder = tmp_path / "wire"
    folder.mkdir()
    files = [str(folder / "a.txt"), str(folder / "b.txt")]
    assert _pending_ids("files", files, [str(folder)], {"a.txt"}) == 1


def test_a_file_whose_name_is_not_utf8_is_briefed_under_an_escaped_id(tmp_path: Path) -> None:
    # A Latin-1 name from an old archive: Arrow took no undecodable text, and the job ended
    # with "the Ray job failed: To change retry attempts, ...".
    import pyarrow as pa

    from briefer import dataset

    folder = tmp_path / "wire"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (folder / name).write_text(story(0)["text"], encoding="utf-8")
    path = str(folder / name)
    row = {"id": dataset._file_id(path, [str(folder)]), "path": records.carried_path(path)}
    assert row["id"] == "caf\\xe9.txt"
    table = pa.table({k: [v] for k, v in row.items()})  # what the job's blocks hold
    assert records.article_of(table.to_pylist()[0]).body_text() == read_source_text(path)
    # A name that is UTF-8 travels as it is.
    assert records.carried_path(str(folder / "été.txt")) == str(folder / "été.txt")
    # Such a file's error names it with the same escapes, text Arrow takes (an empty one's
    # "caf\udce9.txt: is empty" ended the job in the actor's table).
    (folder / name).write_bytes(b"")
    briefer = Briefer(Options(engine="extractive"))
    (done,) = records.brief_rows(briefer, [row])
    assert done["error"] == f"{folder}/caf\\xe9.txt: is empty"
    pa.table({"error": [done["error"]]})


def read_source_text(path: str) -> str:
    """Return the story `briefer summarize FILE` reads from a file."""
    from briefer.sources import read_source

    return read_source(path).body_text()


def test_a_folder_no_record_was_written_to_takes_new_settings(tmp_path: Path) -> None:
    # A run that stopped at a model that would not load (a typo in -m) wrote _briefer.json and
    # no record; the fixed rerun was refused for "other settings" until the folder was removed.
    from briefer import dataset
    from briefer.errors import UsageError

    out = tmp_path / "briefs"
    out.mkdir()
    typo = Options(model=str(tmp_path / "bartt"))
    fixed = Options(model=str(tmp_path / "bart"))
    dataset._check_manifest(out, typo, "parquet", ["day1.jsonl"])
    dataset._check_manifest(out, fixed, "parquet", ["day1.jsonl"])
    noted = json.loads((out / dataset.MANIFEST).read_text(encoding="utf-8"))
    assert noted["options"]["model"] == str(tmp_path / "bart")
    # Once a record is written with them, the settings hold.
    (out / f"{records.SHARD_PREFIX}x.parquet").write_bytes(b"")
    with pytest.raises(UsageError, match="holds records made with other settings"):
        dataset._check_manifest(out, typo, "parquet", ["day1.jsonl"])


def test_an_error_from_a_ray_worker_is_its_own_one_line() -> None:
    # Ray's RayTaskError(ModelError) is a ModelError whose text is the worker's traceback,
    # escaped and coloured: the error line was 1.8 kB of it.
    from briefer import dataset
    from briefer.errors import ModelError

    cause = ModelError("model folder '/tmp/nonexist' does not exist or has no config.json")

    class RayTaskErrorModelError(ModelError):
        def __init__(self) -> None:
            super().__init__(
                '\x1b[36mray::_prepare_here()\x1b[39m (pid=1)\\n  File "dataset.py", line 8\\n'
                f"briefer.errors.ModelError: {cause}"
            )
            self.cause = cause

    found = dataset._unwrap(RayTaskErrorModelError())
    assert type(found) is ModelError and str(found) == str(cause)
    plain = dataset._unwrap(RuntimeError("\x1b[31mboom\x1b[0m\nValueError: bad value"))
    assert str(plain) == "the Ray job failed: ValueError: bad value"
    # A message's own backslashes are its own.
    own = ModelError(r"cannot read C:\new\notes.txt")
    assert str(dataset._unwrap(own)) == r"cannot read C:\new\notes.txt"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max-length", "99999"], "--max-length 99999 is more than {bart} can generate"),
        (["--min-length", "500"], "--min-length 500 is more than {bart} can generate"),
        (["--prompt", "{missing}"], "no prompt '{missing}'"),
    ],
)
def test_a_run_setting_no_record_can_use_stops_before_the_job(
    tmp_path: Path, bart: Path, flags: list[str], message: str
) -> None:
    # Each record of an archive got the same error (10^7 error rows for one typo), and the
    # folder was then pinned to the bad setting.
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(story(0)) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    missing = tmp_path / "nope.txt"
    flags = [f.format(missing=missing) for f in flags]
    code, _, err = run("batch", str(source), "-o", str(out), "-m", str(bart), *flags, "-q")
    assert code == 2
    assert err.startswith("briefer: error: " + message.format(bart=bart, missing=missing))
    assert err.count("\n") == 1 and not out.exists()


def test_gpus_the_cluster_lacks_are_a_usage_error_not_a_wait(caplog) -> None:
    # --gpus-per-actor 1 on a machine without a GPU: Ray waited for one, silently, forever.
    from types import SimpleNamespace

    from briefer import dataset
    from briefer.errors import UsageError

    cpus_only = SimpleNamespace(cluster_resources=lambda: {"CPU": 2.0})
    wanted = dataset.Sizing(gpus_per_actor=1)
    with pytest.raises(UsageError, match=r"--gpus-per-actor 1: this machine's Ray has 0 GPU"):
        dataset._check_placeable(cpus_only.cluster_resources(), wanted, local=True)
    # A cluster may be starting GPU nodes (autoscaling): it is said, and the run waits.
    with caplog.at_level(logging.WARNING, logger="briefer"):
        dataset._check_placeable(cpus_only.cluster_resources(), wanted)
    assert "the Ray cluster has 0 GPU(s) now; waiting for GPU nodes" in caplog.text
    one_gpu = SimpleNamespace(cluster_resources=lambda: {"CPU": 8.0, "GPU": 1.0})
    dataset._check_placeable(
        one_gpu.cluster_resources(), dataset.Sizing(gpus_per_actor=0.5), local=True
    )
    assert dataset.pool_size(one_gpu, dataset.Sizing(gpus_per_actor=0.5)) == 2


def test_an_actor_larger_than_the_machine_is_a_usage_error_not_a_wait(caplog) -> None:
    # --cpus-per-actor 4 on a 2-CPU machine (3 logical CPUs in its local Ray, one kept for
    # reading and writing): one actor Ray could never place, silent for ten minutes.
    from briefer import dataset
    from briefer.errors import UsageError

    local = {"CPU": 3.0}
    with pytest.raises(UsageError, match=r"--cpus-per-actor 4: this machine's Ray has 2 CPU"):
        dataset._check_placeable(local, dataset.Sizing(cpus_per_actor=4), local=True)
    dataset._check_placeable(local, dataset.Sizing(cpus_per_actor=2), local=True)
    with caplog.at_level(logging.WARNING, logger="briefer"):
        dataset._check_placeable(local, dataset.Sizing(cpus_per_actor=4))
    assert "waiting for larger nodes" in caplog.text


def test_an_unreachable_ray_address_is_a_usage_error_before_the_folder_is_claimed(
    tmp_path: Path,
) -> None:
    # ray.init waited forever on a dead head, printing a C++ line every 5 s, under -q too,
    # with the output folder's lock held.
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again: nothing listens there
    articles = tmp_path / "a.jsonl"
    articles.write_text(json.dumps({"id": "1", "text": "Title\n\nThe council voted."}) + "\n")
    out = tmp_path / "out"
    code, _, err = run(
        "batch", str(articles), "-o", str(out), "--engine", "extractive", "--ray-address",
        f"127.0.0.1:{port}",
    )  # fmt: skip
    assert code == 2
    assert err.startswith(f"briefer: error: cannot reach a Ray cluster at 127.0.0.1:{port}: ")
    assert not out.exists()


def test_a_sigterm_while_ray_starts_stops_the_run_as_any_sigterm_does() -> None:
    # ray.init's own SIGTERM handler exits with code 15 and no word: cron's timeout landing in
    # the first seconds of a run gave 15, not 143 and "briefer: terminated".
    import signal as signals
    from types import SimpleNamespace

    from briefer import dataset
    from briefer.errors import Terminated

    def init(**_: object) -> None:
        raise SystemExit(signals.SIGTERM)

    context = SimpleNamespace(enable_progress_bars=True)
    ray = SimpleNamespace(
        init=init,
        is_initialized=lambda: False,
        data=SimpleNamespace(DataContext=SimpleNamespace(get_current=lambda: context)),
    )
    with pytest.raises(Terminated):
        dataset._connect(ray, "ray://head:10001", verbose=False, stop_on_sigterm=True)
    with pytest.raises(Terminated):
        dataset._connect(ray, None, verbose=False, stop_on_sigterm=True)
    # A library caller that did not ask keeps Ray's own way.
    with pytest.raises(SystemExit):
        dataset._connect(ray, None, verbose=False)


# A WordPress export's post_content: the story's HTML from its first block, no <html>, with an
# embed's script left in, as CMS exports keep them.
CMS_BODY = (
    "<h2>Council backs new bridge</h2>\n<p>The city council voted on Tuesday to build a new "
    "bridge over the river, ending years of debate about traffic in the old town.</p>\n"
    "<p>Work will start next spring and should take three years, the mayor said. Opponents "
    "said the cost was too high for a city of this size.<br/>They promised to fight on.</p>\n"
    "<script>window.embed = {id: 42};</script>"
)


def test_a_records_html_text_is_read_as_summarize_reads_html() -> None:
    """A CMS export's HTML body was briefed as markup: its title "<h2>Council backs...", its
    text the tags; `summarize -` gives the page's headline and paragraphs."""
    from briefer.brief import Briefer
    from briefer.options import Options

    article = records.article_of({"id": "wp-42", "text": CMS_BODY})
    assert "<" not in article.title and "<" not in article.body_text()
    assert "window.embed" not in article.text
    assert article.body_text().startswith("The city council voted on Tuesday")
    piped = Briefer(Options(engine="extractive")).brief(CMS_BODY)
    assert piped.title == article.title
    # Text that mentions a tag is still text.
    plain = records.article_of({"id": "t", "text": "Why <p> tags matter\n\nA story about HTML."})
    assert plain.title == "Why <p> tags matter"
    for text in (
        "<jane@paper.com> wrote:\n\nThe council met on Tuesday. Its site uses <br> tags.",
        'A story about <html lang="en"> tags.\n\nBrowsers read the attribute.',
    ):
        assert records.article_of({"id": "t", "text": text}).text == text


# WordPress's classic editor keeps post_content as text with inline tags and blank lines
# between paragraphs (wpautop adds the <p> only when the post is shown), headings inline.
CLASSIC_BODY = (
    'PARIS — The city council approved on Tuesday the <a href="https://x.example/tram">new '
    "tram line</a> that will link the northern suburbs to the centre, with works starting in "
    "<strong>June</strong>.\n\nThe mayor said the project would cost 1.2 billion euros and "
    "create 3,000 jobs over five years, a figure the opposition disputed.\n\n<h2>Costs</h2>\n"
    "Opponents said the cost was too high for a city of this size and would go to court."
)


def test_a_classic_editor_body_keeps_every_paragraph_and_no_subheading_as_its_title() -> None:
    """Read bare, its paragraphs were "not an article: mostly links"; its text after the
    subheading was lost, and the subheading halfway down became the headline."""
    article = records.article_of({"id": "wp-1", "text": CLASSIC_BODY})
    paragraphs = article.body_text().split("\n\n")
    assert [p.split()[0] for p in paragraphs] == ["PARIS", "The", "Opponents"]
    assert "<" not in article.body_text() and "new tram line" in paragraphs[0]
    assert article.title == "Wp 1" and article.dropped == ("Costs",)


def test_a_records_text_is_held_to_max_input_bytes_as_a_file_is(tmp_path: Path) -> None:
    # Batch held records to a fixed 2,000,000 characters, whatever --max-input-bytes said (and
    # batch had no such flag): 1.5 million Arabic characters, 2.75 MB of UTF-8, passed.
    from briefer.errors import InputError

    arabic = {"id": "ar", "text": "خبر\n\n" + "ع" * 1_500_000}
    with pytest.raises(InputError, match=r"^ar: text larger than 2,000,000 bytes \(raise"):
        records.article_of(arabic)
    assert records.article_of(arabic, 4_000_000).title == "خبر"
    # A file of a folder input is held to the same limit, as `summarize` holds it.
    big = tmp_path / "big.txt"
    big.write_text("Title\n\n" + "Words go on. " * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="larger than 1,000 bytes"):
        records.article_of({"id": "big.txt", "path": str(big)}, 1_000)
    assert records.article_of({"id": "big.txt", "path": str(big)}).words > 1000
    # The flag is batch's too, and the run records it with its settings.
    from briefer.options import command_schema

    assert "max_input_bytes" in {spec.name for spec in command_schema("batch")}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_shard_cut_short_is_named_by_every_step_of_a_rerun(tmp_path: Path, fmt: str) -> None:
    # A shard truncated by a bad copy: the rerun's first step (dropping repeats) failed with
    # "JSONDecodeError: Unterminated string ...", naming no file.
    from briefer.errors import OutputError

    out = tmp_path / "out"
    out.mkdir()
    rows = [{"id": "a", "error": None, "brief": json.dumps({"summary": "x" * 200})}]
    name = records.write_shard(out, rows, fmt)
    shard = out / name
    shard.write_bytes(shard.read_bytes()[: len(shard.read_bytes()) // 2])
    for step in (records.drop_repeats, records.drop_errors, records.written_ids):
        with pytest.raises(OutputError, match=rf"^{shard}: unreadable shard \(.+\); move it away"):
            step(out)


def test_a_rerun_may_raise_max_input_bytes(tmp_path: Path) -> None:
    # A record too large says "raise --max-input-bytes to read it"; the rerun that did was
    # refused for "other settings", as a folder noted the limit with the job's settings.
    from briefer import dataset

    out = tmp_path / "out"
    out.mkdir()
    dataset._check_manifest(out, Options(), "parquet", ["in.jsonl"])
    (out / f"{records.SHARD_PREFIX}x.parquet").write_bytes(b"")
    dataset._check_manifest(out, Options(max_input_bytes=5_000_000), "parquet", ["in.jsonl"])
    # A folder an older briefer noted it in takes the rerun too.
    path = out / dataset.MANIFEST
    noted = json.loads(path.read_text(encoding="utf-8"))
    noted["options"]["max_input_bytes"] = 2_000_000
    path.write_text(json.dumps(noted), encoding="utf-8")
    dataset._check_manifest(out, Options(max_input_bytes=9_000_000), "parquet", ["in.jsonl"])


def test_rays_error_reports_stay_off_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    # Ray's driver prints a failed task's traceback ("(raylet) Task ... failed") to stdout from
    # a thread of its own: 95 lines under -q, beside briefer's one error line on stderr.
    from ray._private import worker as ray_worker

    from briefer import dataset

    report = {"lines": ["Task MapWorker failed. Traceback: boom"], "pid": "raylet", "is_err": False}
    before = ray_worker.print_to_stdstream
    try:
        dataset._route_ray_errors(verbose=False)
        ray_worker.print_to_stdstream(report, ignore_prefix=False)
        assert capsys.readouterr() == ("", "")  # hidden unless -v
        dataset._route_ray_errors(verbose=True)
        ray_worker.print_to_stdstream(report, ignore_prefix=False)
        out, err = capsys.readouterr()
        assert out == "" and "Task MapWorker failed" in err
        # A worker's own output (log_to_driver, -v) is Ray's to place.
        ray_worker.print_to_stdstream({**report, "pid": 42}, ignore_prefix=False)
        assert "Task MapWorker failed" in capsys.readouterr().out
    finally:
        ray_worker.print_to_stdstream = before


def test_a_rerun_may_add_the_model_of_a_language_that_had_none(tmp_path: Path) -> None:
    # README: "Once the cause is fixed (a model pulled, a pivot named), --retry-errors briefs
    # those records again"; naming the pivot was refused as "other settings". Only a model
    # for a language that had none may be added: the folder keeps its settings (the nightly
    # command without it goes on), and replacing or dropping a model is still refused.
    from briefer import dataset
    from briefer.errors import UsageError

    out = tmp_path / "out"
    out.mkdir()
    nightly = Options(engine="extractive")
    dataset._check_manifest(out, nightly, "jsonl")
    (out / f"{records.SHARD_PREFIX}0001.jsonl").write_text("{}\n", encoding="utf-8")
    german = str(tmp_path / "opus-mt-de-en")
    added = Options(engine="extractive", pivot={"de": german}, translator={"de": german})
    assert dataset._check_manifest(out, added, "jsonl") == []
    dataset._check_manifest(out, nightly, "jsonl")  # the folder's own settings still go
    # fr has a default pivot: another one would mix two models in the folder's French briefs.
    replaced = Options(engine="extractive", pivot={"fr": str(tmp_path / "opus-mt-fr-en")})
    with pytest.raises(UsageError, match="holds records made with other settings"):
        dataset._check_manifest(out, replaced, "jsonl")
    other = Options(engine="abstractive", pivot={"de": german})
    with pytest.raises(UsageError, match="engine: 'extractive' there, 'abstractive' now"):
        dataset._check_manifest(out, other, "jsonl")


def test_an_actor_larger_than_this_machine_is_refused_before_the_folder_is_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ray

    from briefer import dataset

    # As a command starts: no Ray up in this process yet (other tests here keep one up, and
    # with one up the check waits for its resources, as a notebook on a cluster needs).
    monkeypatch.setattr(ray, "is_initialized", lambda: False)

    articles = tmp_path / "a.jsonl"
    articles.write_text(json.dumps({"id": "1", "text": "Title\n\nThe council voted."}) + "\n")
    out = tmp_path / "out"
    too_many = str(dataset.machine_cpus() + 1)
    code, _, err = run(
        "batch", str(articles), "-o", str(out), "--engine", "extractive", "--cpus-per-actor",
        too_many,
    )  # fmt: skip
    assert code == 2 and f"--cpus-per-actor {too_many}: this machine's Ray has" in err
    assert not out.exists()  # no _briefer.json left behind


def test_a_compressed_export_is_refused_by_name(tmp_path: Path) -> None:
    # wire.jsonl.gz named with --input-format jsonl was read by Ray while the driver's checks
    # and counts read its compressed bytes (progress 16/16 for 40 records); inside a folder it
    # was "no input". A stray archive beside article files is no input, as before.
    import gzip

    row = json.dumps({"id": "1", "text": "Title\n\nThe council voted."}) + "\n"
    packed = tmp_path / "wire.jsonl.gz"
    packed.write_bytes(gzip.compress(row.encode()))
    message = f"{packed}: a compressed file; briefer batch reads JSON Lines, CSV and Parquet"
    for args in ([str(packed)], [str(packed), "--input-format", "jsonl"], [str(tmp_path)]):
        code, _, err = run("batch", *args, "-o", str(tmp_path / "out"), "--engine", "extractive")
        assert code == 1 and err.startswith(f"briefer: error: {message}"), err
    from briefer.dataset import find_inputs

    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "story.txt").write_text("Title\n\nThe council voted.\n", encoding="utf-8")
    (folder / "photos.zip").write_bytes(b"PK\x03\x04")
    assert find_inputs([str(folder)]) == ("files", [str(folder / "story.txt")])
