"""The result cache: round trips, keys, and surviving overlap, kills, garbage and read-only dirs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

import briefer.cache as cache_module
from briefer.cache import SCHEMA_VERSION, ResultCache, default_path, make_key

# A writer for the overlap test: waits for "go" on stdin so all writers start together, then puts
# and reads back its own entries; any warning (the cache giving up) or miss fails the process.
WRITER = textwrap.dedent(
    """
    import logging, sys
    from pathlib import Path
    from briefer.cache import ResultCache

    seen = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())
    logging.getLogger("briefer").addHandler(handler)
    path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sys.stdin.readline()
    with ResultCache(path) as cache:
        for i in range(count):
            value = {"i": i, "by": prefix}
            cache.put(f"{prefix}-{i}", value)
            if cache.get(f"{prefix}-{i}") != value:
                sys.exit(f"{prefix}: entry {i} did not read back; warnings: {seen}")
    if seen:
        sys.exit(f"{prefix}: warnings: {seen}")
    """
)

# A run that gets killed: puts entries forever and prints how many are done after each put.
LOOPER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from briefer.cache import ResultCache

    cache = ResultCache(Path(sys.argv[1]))
    blob = "x" * 20000  # big values keep the process inside put most of the time
    i = 0
    while True:
        cache.put(f"k{i}", {"i": i, "blob": blob})
        i += 1
        print(i, flush=True)
    """
)


# A run that opens a cache file at the same moment as others: prints its warnings as JSON.
OPENER = textwrap.dedent(
    """
    import json, logging, sys
    from pathlib import Path
    from briefer.cache import ResultCache

    seen = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())
    logging.getLogger("briefer").addHandler(handler)
    path, prefix = Path(sys.argv[1]), sys.argv[2]
    sys.stdin.readline()
    with ResultCache(path) as cache:
        for i in range(50):
            cache.put(f"{prefix}-{i}", {"i": i})
    print(json.dumps(seen))
    """
)


@pytest.fixture
def warnings_seen():
    """Collect WARNING records from the briefer logger, whatever the CLI tests did to it."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("briefer")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Return a cache file path in a folder that does not exist yet."""
    return tmp_path / "cache" / "results.sqlite3"


def _raw(path: Path) -> sqlite3.Connection:
    """Open the cache file with plain sqlite3, as another process would."""
    return sqlite3.connect(str(path), isolation_level=None)


# -- keys and paths ---------------------------------------------------------------------------

BASE = dict(
    text="The council met on Monday.",
    summarizer="facebook/bart-large-cnn",
    summarizer_revision="abc123",
    translator="Helsinki-NLP/opus-mt-en-fr",
    translator_revision="def456",
    settings={"max_length": 120, "min_length": 30, "beams": 4},
    lang="fr",
    kind="summary",
)


def test_make_key_is_sha256_of_canonical_json():
    expected = hashlib.sha256('{"kind":"summary","text":"café"}'.encode()).hexdigest()
    assert make_key(text="café", kind="summary") == expected
    assert make_key(**BASE) == make_key(**BASE)


def test_make_key_ignores_order():
    reordered = dict(reversed(list(BASE.items())))
    reordered["settings"] = {"beams": 4, "min_length": 30, "max_length": 120}
    assert make_key(**reordered) == make_key(**BASE)


@pytest.mark.parametrize("part", sorted(BASE))
def test_make_key_changes_with_every_part(part):
    changed = dict(BASE)
    changed[part] = {**BASE[part], "beams": 5} if part == "settings" else BASE[part] + "x"
    assert make_key(**changed) != make_key(**BASE)


def test_make_key_tells_missing_from_none_and_types_apart():
    keys = {
        make_key(text="a"),
        make_key(text="a", lang=None),
        make_key(text="a", lang="None"),
        make_key(text="a", settings={"beams": 4}),
        make_key(text="a", settings={"beams": "4"}),
    }
    assert len(keys) == 5


def test_default_path_honours_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_path() == tmp_path / "elsewhere" / "results.sqlite3"
    assert ResultCache().path == tmp_path / "elsewhere" / "results.sqlite3"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is Linux's convention")
def test_default_path_honours_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BRIEFER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "briefer" / "results.sqlite3"


def test_nothing_is_created_before_first_use(tmp_path):
    env = {**os.environ, "BRIEFER_CACHE_DIR": str(tmp_path / "c")}
    code = "import briefer.cache as c; c.ResultCache(); c.default_path()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert not (tmp_path / "c").exists()
    ResultCache(tmp_path / "d" / "results.sqlite3")
    assert not (tmp_path / "d").exists()


# -- basic use --------------------------------------------------------------------------------


def test_round_trip_survives_reopening(db):
    value = {"summary": "Le conseil s'est réuni lundi.", "tokens": [1, 2, 3], "score": 0.5}
    key = make_key(**BASE)
    with ResultCache(db) as cache:
        assert cache.get(key) is None
        cache.put(key, value)
        assert cache.get(key) == value
    with ResultCache(db) as cache:
        assert cache.get(key) == value
        cache.put(key, {"summary": "replaced"})
        assert cache.get(key) == {"summary": "replaced"}


def test_put_is_committed_at_once_in_wal_mode(db):
    with ResultCache(db) as cache:
        cache.put("k", {"v": 1})
        # Another connection sees it while this cache is still open: nothing waits for close.
        other = _raw(db)
        row = other.execute("SELECT value FROM results WHERE key = 'k'").fetchone()
        assert row == ('{"v": 1}',)
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        other.close()


def test_disabled_cache_never_stores(db):
    with ResultCache(db, enabled=False) as cache:
        cache.put("k", {"v": 1})
        assert cache.get("k") is None
        assert cache.info()["entries"] == 0
        assert cache.clear() == 0
    assert not db.exists()
    with ResultCache(db) as cache:
        assert cache.get("k") is None


def test_undecodable_value_is_a_miss(db):
    with ResultCache(db) as cache:
        cache.put("good", {"v": 1})
        raw = _raw(db)
        raw.execute("INSERT INTO results VALUES ('bad', '{not json', 0, 0)")
        raw.execute("INSERT INTO results VALUES ('list', '[1, 2]', 0, 0)")
        raw.close()
        assert cache.get("bad") is None
        assert cache.get("list") is None
        assert cache.get("good") == {"v": 1}


def test_info_and_clear(db):
    cache = ResultCache(db)
    assert cache.info() == {
        "path": str(db),
        "entries": 0,
        "bytes": 0,
        "oldest": None,
        "newest": None,
    }
    assert not db.exists()  # asking does not create the file
    for i in range(30):
        cache.put(f"k{i}", {"i": i, "blob": "y" * 5000})
    cache.put("k0", {"i": 0})  # a replacement is not a new entry
    info = cache.info()
    assert info["path"] == str(db)
    assert info["entries"] == 30
    assert info["bytes"] > 30 * 5000
    oldest, newest = datetime.fromisoformat(info["oldest"]), datetime.fromisoformat(info["newest"])
    assert oldest <= newest
    assert oldest.tzinfo is not None

    assert cache.clear() == 30
    after = cache.info()
    assert after["entries"] == 0 and after["oldest"] is None and after["newest"] is None
    assert after["bytes"] < info["bytes"] / 10  # VACUUM gave the space back
    assert cache.get("k1") is None
    assert cache.clear() == 0
    cache.put("again", {"v": 1})
    assert cache.info()["entries"] == 1
    cache.close()


def test_close_checkpoints_and_the_cache_reopens(db):
    cache = ResultCache(db)
    cache.put("k", {"v": 1})
    assert db.with_name(db.name + "-wal").exists()
    cache.close()
    assert not db.with_name(db.name + "-wal").exists()
    assert cache.get("k") == {"v": 1}  # reopened on demand
    cache.close()
    cache.close()


def test_other_schema_version_is_replaced(db, warnings_seen):
    db.parent.mkdir()
    raw = _raw(db)
    raw.execute("CREATE TABLE results (key TEXT, payload BLOB)")
    raw.execute("INSERT INTO results VALUES ('k', x'00')")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with ResultCache(db) as cache:
        assert cache.get("k") is None
        cache.put("k", {"v": 1})
        assert cache.get("k") == {"v": 1}
    assert _raw(db).execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert not warnings_seen


# -- overlapping and killed runs ---------------------------------------------------------------


def test_overlapping_runs_lose_nothing(db):
    writers, count = 4, 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), f"w{n}", str(count)],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    for proc in procs:  # release them together, onto a file none of them has created yet
        proc.stdin.write("go\n")
        proc.stdin.close()
    for proc in procs:
        err = proc.stderr.read()
        proc.stderr.close()
        assert proc.wait(timeout=60) == 0, err
    raw = _raw(db)
    assert raw.execute("SELECT COUNT(*) FROM results").fetchone() == (writers * count,)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    with ResultCache(db) as cache:
        assert cache.get(f"w{writers - 1}-{count - 1}") == {"i": count - 1, "by": f"w{writers - 1}"}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_run_keeps_what_it_acknowledged(db, warnings_seen):
    proc = subprocess.Popen(
        [sys.executable, "-c", LOOPER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        done = 0
        for line in proc.stdout:
            done = int(line)
            if done >= 50:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert done >= 50

    raw = _raw(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    with ResultCache(db) as cache:
        for i in range(done):
            assert cache.get(f"k{i}") is not None, f"acknowledged entry {i} lost"
        assert cache.info()["entries"] >= done
        cache.put("after", {"v": 1})
        assert cache.get("after") == {"v": 1}
    assert not warnings_seen


# -- broken files and places --------------------------------------------------------------------


def _moved_aside(db: Path) -> list[Path]:
    """Return the files a broken cache was moved to, without their -wal/-shm/-journal."""
    sidecars = ("-wal", "-shm", "-journal")
    return sorted(
        p for p in db.parent.iterdir() if ".corrupt-" in p.name and not p.name.endswith(sidecars)
    )


def test_garbage_file_is_moved_aside(db, warnings_seen):
    db.parent.mkdir()
    garbage = b"this is not a database\n" * 200
    db.write_bytes(garbage)
    # A stale -wal beside the garbage must not leak into the fresh cache (SQLite discards an
    # invalid one itself; a valid one travels with the file moved aside).
    db.with_name(db.name + "-wal").write_bytes(b"stale wal")
    with ResultCache(db) as cache:
        assert cache.get("k") is None
        cache.put("k", {"v": 1})
        assert cache.get("k") == {"v": 1}
        assert cache.info()["entries"] == 1
    assert len(warnings_seen) == 1
    assert "corrupt" in warnings_seen[0].getMessage()
    aside = _moved_aside(db)
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert _raw(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("damage", ["truncated", "scribbled"])
def test_damaged_file_is_moved_aside(db, warnings_seen, damage):
    with ResultCache(db) as cache:
        for i in range(200):
            cache.put(f"k{i}", {"blob": "z" * 2000})
    size = db.stat().st_size
    with db.open("r+b") as handle:
        if damage == "truncated":
            handle.truncate(size // 2)
        else:
            # One bad page mid-file: the first queries still work, only quick_check sees it.
            handle.seek(size // 2 // 4096 * 4096)
            handle.write(b"\xff" * 4096)
    with ResultCache(db) as cache:
        assert cache.get("k0") is None
        cache.put("k0", {"v": 1})
        assert cache.get("k0") == {"v": 1}
        assert cache.info()["entries"] == 1
    assert len(warnings_seen) == 1
    assert len(_moved_aside(db)) == 1


def test_corrupt_files_never_overwrite_earlier_ones(db, warnings_seen):
    db.parent.mkdir()
    for n in range(3):
        db.write_bytes(f"garbage {n}".encode() * 100)
        with ResultCache(db) as cache:
            cache.put("k", {"n": n})
    contents = sorted(p.read_bytes()[:9] for p in _moved_aside(db))
    assert contents == [b"garbage 0", b"garbage 1", b"garbage 2"]
    assert len(warnings_seen) == 3


def test_file_is_not_moved_while_another_run_is_opening_it(db, warnings_seen, monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    monkeypatch.setattr(cache_module, "BUSY_TIMEOUT_S", 0.2)
    db.parent.mkdir()
    garbage = b"garbage" * 1000
    db.write_bytes(garbage)
    fd = os.open(db.with_name(db.name + ".lock"), os.O_RDWR | os.O_CREAT)
    try:
        # What another run holds between opening the file and finishing its checks: SQLite
        # finds -wal/-shm by name, so moving the file now could cost that run its new -wal.
        fcntl.flock(fd, fcntl.LOCK_SH)
        with ResultCache(db) as cache:
            cache.put("k", {"v": 1})
            assert cache.get("k") is None
        assert db.read_bytes() == garbage
        assert not _moved_aside(db)
        assert len(warnings_seen) == 1 and "running without cache" in warnings_seen[0].getMessage()
    finally:
        os.close(fd)
    with ResultCache(db) as cache:  # with the other run done, the next one replaces the file
        cache.put("k", {"v": 1})
        assert cache.get("k") == {"v": 1}
    assert len(_moved_aside(db)) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot rename a file others hold")
def test_overlapping_runs_on_a_garbage_file_replace_it_once(db):
    db.parent.mkdir()
    db.write_bytes(b"garbage" * 1000)
    runs = 6
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(db), f"p{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(runs)
    ]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.close()
    warnings = []
    for proc in procs:
        out = proc.stdout.read()
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0
        warnings += json.loads(out)
    # One run moves the garbage aside; the others open the fresh file it made, and nobody
    # moves that one aside too or loses its -wal to a run that still had the old file open.
    assert len(warnings) == 1 and "corrupt" in warnings[0], warnings
    assert len(_moved_aside(db)) == 1
    raw = _raw(db)
    assert raw.execute("SELECT COUNT(*) FROM results").fetchone() == (runs * 50,)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()


def _assert_runs_without_cache(cache: ResultCache, warnings_seen: list) -> None:
    """Check a cache in an unusable place: no errors, no hits, one warning."""
    for i in range(3):
        cache.put(f"k{i}", {"v": i})
        assert cache.get(f"k{i}") is None
    assert cache.info()["entries"] == 0
    assert cache.clear() == 0
    cache.close()
    assert len(warnings_seen) == 1
    assert "running without cache" in warnings_seen[0].getMessage()


def test_parent_that_is_a_file_means_no_cache(tmp_path, warnings_seen):
    (tmp_path / "blocker").write_text("not a folder")
    cache = ResultCache(tmp_path / "blocker" / "cache" / "results.sqlite3")
    _assert_runs_without_cache(cache, warnings_seen)
    assert (tmp_path / "blocker").read_text() == "not a folder"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permission bits"
)
@pytest.mark.parametrize("inside", ["results.sqlite3", "sub/results.sqlite3"])
def test_unwritable_directory_means_no_cache(tmp_path, warnings_seen, inside):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        _assert_runs_without_cache(ResultCache(locked / inside), warnings_seen)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_digest_is_keyed_by_the_story_the_reader_chose(tmp_path: Path) -> None:
    # The same file read by rules that keep other paragraphs as story (an editors' note the
    # reader came to leave out) is another digest: the cache gave the old brief back.
    from dataclasses import replace

    from briefer import Briefer, Options
    from briefer.batch import _Work
    from briefer.cache import ResultCache
    from briefer.sources import parse_article

    work = _Work(Briefer(Options(engine="extractive")), ResultCache(tmp_path / "c.sqlite3"))
    article = parse_article("Title\n\nEds: a note.\n\nThe story. It goes on.\n", "a.txt")
    key = work.digest_key(article)
    assert key == work.digest_key(replace(article))
    assert key != work.digest_key(replace(article, body=article.body[1:]))
