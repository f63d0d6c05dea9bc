"""The result cache: finished summaries and translations in SQLite, so a re-run recomputes nothing.

The file lives at ``results.sqlite3`` in briefer's user cache folder (``$XDG_CACHE_HOME/briefer/``
on Linux, ``~/.cache/briefer/`` when XDG_CACHE_HOME is unset); ``BRIEFER_CACHE_DIR`` names another
folder. Each entry is keyed by :func:`make_key` over everything that shapes the result (text,
model names and revisions, settings, language), so a changed input is simply a miss.

The cache must never break a brief: overlapping runs share the file (WAL, a busy timeout, one
short transaction per put), a killed run loses at most the entry it was writing, a corrupt file
is moved aside and replaced, and an unusable location means running without a cache, with one
warning on the ``briefer`` logger.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

import platformdirs

from .errors import OutputError

log = logging.getLogger("briefer")

ENV_VAR = "BRIEFER_CACHE_DIR"
FILE_NAME = "results.sqlite3"

# Bump when the table's shape or the meaning of its values changes: a file with another version
# has its table dropped and recreated, since everything in it can be recomputed.
SCHEMA_VERSION = 1

# How long a statement waits for another process's write to finish. Writes are single short
# transactions, so waiting this long means something is wrong, not merely busy.
BUSY_TIMEOUT_S = 10.0

# Primary result codes that mean the file itself is damaged rather than momentarily unusable.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

# Files SQLite keeps beside the database; a stale -wal next to a fresh database would be replayed
# into it, so they must move together with a broken file.
_SIDECARS = ("-wal", "-shm", "-journal")

_SCHEMA = """
CREATE TABLE results (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    used REAL NOT NULL
)
"""


def default_path() -> Path:
    """Return where the cache file lives: BRIEFER_CACHE_DIR, else the platform's user cache dir."""
    folder = os.environ.get(ENV_VAR)
    if folder:
        # expanduser because cron's VAR=value lines put a literal "~" in the environment.
        return Path(folder).expanduser() / FILE_NAME
    # platformdirs honours $XDG_CACHE_HOME on Linux; ensure_exists stays off so asking creates
    # nothing.
    return platformdirs.user_cache_path("briefer") / FILE_NAME


def make_key(**parts: object) -> str:
    """Return the sha256 hex digest of the parts as canonical JSON (sorted keys, no spaces)."""
    # Canonical JSON makes the key independent of argument and dict order, and of the Python
    # version; non-JSON values (Path, sets, objects) raise TypeError instead of being str()-ed
    # into something that may not be stable between runs.
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Corrupt(Exception):
    """PRAGMA quick_check found damage that no query has tripped over yet."""


def _is_corrupt(exc: BaseException) -> bool:
    """Return whether an error says the file is damaged, as opposed to locked or unwritable."""
    if isinstance(exc, _Corrupt):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is None:
        # Python 3.10: SQLITE_CORRUPT and SQLITE_NOTADB surface as the bare DatabaseError, while
        # locks, permissions and full disks are OperationalError.
        return type(exc) is sqlite3.DatabaseError
    return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _iso(timestamp: float | None) -> str | None:
    """Return a Unix time as local ISO 8601 with its UTC offset, or None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _file_size(path: Path) -> int:
    """Return a file's size in bytes, 0 when it does not exist."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


class ResultCache:
    """A key → JSON-dict store in one SQLite file, shared safely by overlapping runs."""

    def __init__(
        self, path: Path | None = None, *, enabled: bool = True, strict: bool = False
    ) -> None:
        """Point at a cache file (default_path() if None); nothing is opened until first use.
        strict: raise OutputError where a run would warn and go on without the cache (the
        `briefer cache` commands, whose whole job is the cache, must not report an empty one)."""
        self.path = Path(path) if path is not None else default_path()
        self.enabled = enabled
        self.strict = strict
        self._conn: sqlite3.Connection | None = None
        # Set once the cache proved unusable, so the rest of the run skips it after one warning.
        self._broken = False
        # One connection serves every thread, so calls must not interleave on it.
        self._lock = threading.RLock()

    # -- public API ---------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        """Return the value stored under key, or None on a miss, when disabled or unusable."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                return None
            try:
                row = conn.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                self._give_up(exc)
                return None
            if row is None:
                return None
            try:
                value = json.loads(row[0])
            except ValueError:
                # A value we cannot read is as good as absent; the caller recomputes and
                # overwrites it.
                return None
            if not isinstance(value, dict):
                return None
            try:
                # Recording the hit lets a later prune drop what no brief has asked for lately.
                conn.execute("UPDATE results SET used = ? WHERE key = ?", (time.time(), key))
            except sqlite3.Error as exc:
                # The value is already in hand; failing to note its use is no reason to drop it.
                log.debug("result cache: could not record use of an entry: %s", exc)
            return value

    def put(self, key: str, value: dict) -> None:
        """Store value (JSON-encodable) under key, committed at once; no-op when disabled."""
        with self._lock:
            if not self.enabled or self._broken:
                return
            # Encode before touching the database: a value that is not JSON is the caller's bug,
            # so its TypeError/ValueError propagates rather than disabling the cache.
            text = json.dumps(value, ensure_ascii=False)
            conn = self._connection()
            if conn is None:
                return
            now = time.time()
            try:
                # The connection is in autocommit mode, so this one statement is one transaction,
                # committed before put returns: a run killed later loses nothing it already put.
                conn.execute(
                    "INSERT OR REPLACE INTO results (key, value, created, used)"
                    " VALUES (?, ?, ?, ?)",
                    (key, text, now, now),
                )
            except sqlite3.Error as exc:
                self._give_up(exc)

    def info(self) -> dict:
        """Return path, entries, bytes (database plus -wal), and oldest/newest creation times."""
        with self._lock:
            result: dict[str, Any] = {
                "path": str(self.path),
                "entries": 0,
                "bytes": 0,
                "oldest": None,
                "newest": None,
            }
            # Asking about a cache that does not exist should not create one.
            if self._conn is None and not self.path.exists():
                self._check_folder()
                return result
            conn = self._connection()
            if conn is None:
                # Disabled or unusable: report the cache this run sees, which is an empty one.
                return result
            try:
                entries, oldest, newest = conn.execute(
                    "SELECT COUNT(*), MIN(created), MAX(created) FROM results"
                ).fetchone()
            except sqlite3.Error as exc:
                self._give_up(exc)
                return result
            result.update(entries=entries, oldest=_iso(oldest), newest=_iso(newest))
            # The -wal holds committed entries not yet copied into the main file, so it counts.
            wal = self.path.with_name(self.path.name + "-wal")
            result["bytes"] = _file_size(self.path) + _file_size(wal)
            return result

    def clear(self) -> int:
        """Delete every entry, VACUUM to give the space back, and return how many were removed."""
        with self._lock:
            if self._conn is None and not self.path.exists():
                self._check_folder()
                return 0
            conn = self._connection()
            if conn is None:
                return 0
            try:
                removed = conn.execute("DELETE FROM results").rowcount
            except sqlite3.Error as exc:
                self._give_up(exc)
                return 0
            try:
                conn.execute("VACUUM")
                # In WAL mode VACUUM writes the compacted pages to the -wal; checkpointing with
                # TRUNCATE copies them back and empties the -wal, so the disk space really returns.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                # The entries are gone either way; another run reading the file can keep VACUUM
                # from finishing, which only delays reclaiming space.
                log.debug("result cache: VACUUM after clear failed: %s", exc)
            return removed

    def close(self) -> None:
        """Close the database; a later call opens it again."""
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    log.debug("result cache: error while closing: %s", exc)

    def __enter__(self) -> ResultCache:
        """Return the cache itself; it opens on first use, not here."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the database, letting any exception through."""
        self.close()

    def __repr__(self) -> str:
        """Return the path and whether the cache is enabled."""
        return f"ResultCache({str(self.path)!r}, enabled={self.enabled})"

    # -- opening ------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        """Return the open connection, opening it on first use; None when disabled or unusable."""
        if not self.enabled or self._broken:
            return None
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection | None:
        """Open the file, replacing it once if it is corrupt; None (after a warning) on failure."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Runs open under a shared lock and only move a corrupt file under an exclusive one:
            # SQLite finds a file's -wal and -shm by name, so renaming a file that another run is
            # still opening would let that run delete the new file's -wal when it closes.
            with self._open_lock(exclusive=False):
                try:
                    return self._connect()
                except (sqlite3.Error, _Corrupt) as exc:
                    if not _is_corrupt(exc):
                        raise
            with self._open_lock(exclusive=True):
                try:
                    # Another run may have replaced the file while this one waited for the lock.
                    return self._connect()
                except (sqlite3.Error, _Corrupt) as exc:
                    if not _is_corrupt(exc):
                        raise
                    reason = exc
                aside = self._move_aside()
                log.warning(
                    "result cache %s is corrupt (%s); moved it to %s and starting a fresh one",
                    self.path,
                    reason,
                    aside,
                )
                # A brand-new file that fails too is not the old file's fault: that error goes
                # to _give_up below.
                return self._connect()
        except (sqlite3.Error, _Corrupt, OSError) as exc:
            self._give_up(exc)
            return None

    @contextlib.contextmanager
    def _open_lock(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the .lock file beside the cache, shared or exclusive, for BUSY_TIMEOUT_S at most."""
        if fcntl is None:  # pragma: no cover - Windows: no flock, and renaming open files fails
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
            deadline = time.monotonic() + BUSY_TIMEOUT_S
            # Poll rather than block, so a stuck run delays others by the timeout, not forever.
            while True:
                try:
                    fcntl.flock(fd, mode)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"{lock_path} stayed locked for {BUSY_TIMEOUT_S:g} s"
                        ) from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _connect(self) -> sqlite3.Connection:
        """Open, check and set up the database; raise sqlite3.Error or _Corrupt on failure."""
        # timeout is SQLite's busy timeout: wait for another run's write rather than fail with
        # "database is locked". isolation_level=None is autocommit: every statement commits on
        # its own unless we BEGIN, which keeps puts short and a killed run's losses to the entry
        # in flight. check_same_thread=False because self._lock already serializes threads.
        conn = sqlite3.connect(
            str(self.path),
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            # The first read of the file: garbage raises "file is not a database" here, and
            # quick_check catches a truncated or damaged file before a query deep in a brief does.
            # It reads the whole file (about 0.4 s for 400 MB already in the page cache), which is
            # cheap next to a single model call.
            check = conn.execute("PRAGMA quick_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise _Corrupt(f"quick_check: {check[0] if check else 'no answer'}")
            # WAL lets one run read while another writes, and a commit is a single append, so
            # overlapping runs wait on each other far less than with a rollback journal. A
            # filesystem without shared memory may refuse it; the default journal is still safe.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                log.debug("result cache: WAL unavailable, journal mode is %s", mode)
            # NORMAL in WAL mode skips the fsync per commit; a killed process still loses
            # nothing committed (the OS holds the write), only a power cut can drop the last few
            # entries, and never corrupts the file.
            conn.execute("PRAGMA synchronous = NORMAL")
            self._ensure_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        """Create the results table, or recreate it if the file holds another schema version."""
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        # IMMEDIATE takes the write lock up front (waiting out the busy timeout), so two runs
        # creating a new file do not both drop and create; the version is re-read under the lock.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                conn.execute("DROP TABLE IF EXISTS results")
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            # Never let a failed ROLLBACK hide the error that caused it.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def _move_aside(self) -> Path:
        """Rename the broken file and its -wal/-shm/-journal to .corrupt-<timestamp>; return it."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        # Never overwrite an earlier broken file someone may want to look at.
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        os.replace(self.path, aside)
        # Under the exclusive lock no run is opening the old file, so its leftovers move with it.
        for suffix in _SIDECARS:
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        return aside

    def _check_folder(self) -> None:
        """Raise, when strict, for a cache that cannot exist where it is asked for: one of its
        folders is a file (BRIEFER_CACHE_DIR set to a file's path)."""
        if not self.strict:
            return
        for folder in self.path.parents:
            if folder.exists():
                if not folder.is_dir():
                    self._give_up(NotADirectoryError(f"{folder} is not a folder"))
                return

    def _give_up(self, exc: BaseException) -> None:
        """Warn once and run the rest of this session without a cache (raise, when strict)."""
        if self.strict:
            self._broken = True
            self.close()
            raise OutputError(f"result cache {self.path} is unusable ({exc})")
        if not self._broken:
            log.warning(
                "result cache %s is unusable (%s); running without cache",
                self.path,
                exc,
            )
        self._broken = True
        self.close()
