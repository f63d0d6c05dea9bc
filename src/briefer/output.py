"""Where results go (the CLI's io): stdout written in full or not at all, and `-o` files
written all-or-nothing, without ever destroying an input, a symlink or a device node."""

from __future__ import annotations

import os
import select
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .errors import OutputError, UsageError
from .escape import valid_utf8

# Process links (/dev/stdout, /dev/fd/1, /proc/self/fd/1): written in place, whatever they
# lead to (a regular file when the shell redirected stdout to one). Other paths under /dev
# are written in place when they are devices or FIFOs; a regular file there (/dev/shm is a
# tmpfs) is replaced atomically like any other.
_SPECIAL = ("/proc/", "/dev/fd/", "/dev/stdin", "/dev/stdout", "/dev/stderr")


@dataclass(frozen=True)
class Target:
    """An output path, and how a brief is written to it."""

    given: Path  # as named on the command line
    path: Path  # where the bytes land: symlinks followed to their target
    direct: bool  # a device, FIFO or /dev/stdout: opened and written, never renamed over


def resolve(given: Path) -> Target:
    """Return how a brief is written to an output path; raise OutputError if it cannot be.

    Checked before any model work: the folder must exist and take a new file, a device must
    be writable.
    """
    given = given.expanduser()
    try:
        info = os.stat(given)  # follows symlinks
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{given}: {exc.strerror or exc}") from None
    real = Path(os.path.realpath(given))
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{given}: is a folder")
    if info is not None and _direct(given, info):
        if not os.access(given, os.W_OK):
            raise OutputError(f"{given}: cannot write there (permission denied)")
        return Target(given, given, True)
    if not real.parent.is_dir():
        raise OutputError(f"{given}: folder {real.parent} does not exist")
    try:
        # The only sure test that a rename will work there later: make a file now.
        fd, probe = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{given}: cannot write there ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return Target(given, real, False)


def is_direct(given: Path) -> bool:
    """Return whether an output path is written in place (a device, a FIFO, /dev/stdout)
    rather than replaced by a new file; False for anything that cannot be looked at."""
    given = given.expanduser()
    try:
        info = os.stat(given)
    except (OSError, ValueError):
        return False
    return not stat.S_ISDIR(info.st_mode) and _direct(given, info)


def _direct(given: Path, info: os.stat_result) -> bool:
    """Return whether an existing path (info: its stat, links followed) is written in place."""
    special = any(p.startswith(_SPECIAL) for p in (os.path.abspath(given), os.path.realpath(given)))
    return special or not stat.S_ISREG(info.st_mode)


def _file_id(name: str | Path) -> tuple[int, int] | None:
    """Return a regular file's identity (device, inode), the same through a symlink, a hard
    link or another spelling; None for what is no file here (a URL, stdin, a missing name)."""
    try:
        info = os.stat(Path(name).expanduser())
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) else None


def outputs_among(outputs: Iterable[Path], names: Iterable[str]) -> set[str]:
    """Return the names that are one of the output files (by link or another spelling)."""
    wanted = {key for output in outputs if (key := _file_id(output))}
    return {name for name in names if _file_id(name) in wanted}


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[str]) -> None:
    """Raise UsageError if an output path is one of the input files (by symlink, hard link
    or another spelling): writing the brief there would destroy the article."""
    files: dict[tuple[int, int], str] = {}
    for name in inputs:
        if key := _file_id(name):
            files.setdefault(key, name)
    for output in outputs:
        key = _file_id(output)
        same = files.get(key) if key else None
        if same is not None:
            raise UsageError(
                f"-o {output}: that is the input {valid_utf8(same)}; writing there would "
                "destroy it (choose another output file)"
            )


def write_all(files: Sequence[tuple[Path, str]]) -> None:
    """Write every file or none: regular files go to temporary files beside their targets,
    which are renamed into place only once all are complete; devices and FIFOs are written
    in place last of all."""
    targets = [(resolve(path), text) for path, text in files]
    staged: list[tuple[str, Path]] = []
    try:
        for target, text in targets:
            if target.direct:
                continue
            fd, tmp = tempfile.mkstemp(
                dir=target.path.parent, prefix=f".{target.path.name}.", suffix=".tmp"
            )
            staged.append((tmp, target.path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(_encode(text))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, _mode_for(target.path))
        for target, text in targets:
            if target.direct:
                with open(target.path, "wb") as handle:
                    handle.write(_encode(text))
        for tmp, path in staged:
            # On the symlink's target, not the link: the link keeps pointing at the brief.
            os.replace(tmp, path)
    except BrokenPipeError:
        raise  # a FIFO whose reader went away: the same as stdout's (exit 141)
    except OSError as exc:
        raise OutputError(f"cannot write the brief: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


def write_stdout(text: str, stream: TextIO) -> None:
    """Write text to stdout in full; raise BrokenPipeError if the reader goes away first.

    A pipe takes 64 KiB at a time; Python's buffered stdout can drop the rest of a large
    write after a short one without an error (a 164 kB brief into `| head -1` exited 0), so
    the bytes go straight to the file descriptor until every one is taken.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        # Not a file (a test's StringIO, an embedding application's stream).
        stream.write(valid_utf8(text))
        stream.flush()
        return
    stream.flush()  # whatever was written through the stream before goes first
    view = memoryview(_encode(text))
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            # Someone left stdout non-blocking (a parent's event loop): wait until it drains.
            select.select([], [fd], [])
            continue
        view = view[written:]


def _encode(text: str) -> bytes:
    """Return the UTF-8 bytes of a result: always valid UTF-8, whatever names it holds."""
    return valid_utf8(text).encode("utf-8")


def _mode_for(path: Path) -> int:
    """Return the permissions a written brief gets: the old file's, else the usual ones."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        # mkstemp makes files private; a new brief should get the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit flush does not raise BrokenPipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    except (OSError, ValueError):
        pass
