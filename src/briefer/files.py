"""How much briefer reads of a file: the bound on articles, and the files an operator names.

Config, glossary, prompt and template are small by nature, yet each is read whole and parsed
(TOML, CSV, a Jinja template), so a wrong path (a video, /dev/zero, a log that grew for months)
must fail at once with one line, not fill memory. Articles have their own bound,
MAX_INPUT_BYTES (--max-input-bytes), which sources.py enforces as it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from .errors import UsageError

# The most bytes read from one file or stdin (--max-input-bytes). The longest real articles are
# far below it: a 10,000-word long read is about 60 kB of text, so 2 MB holds 30 of them. Past
# it a brief is not worth its cost: a 50 MB file once took 19 min and 6.6 GB for three words.
MAX_INPUT_BYTES = 2_000_000
# Real ones are a few kB; the glossary of a large newsroom runs to a few hundred kB.
MAX_OPERATOR_BYTES = 2_000_000


def read_text(path: Path, what: str, limit: int = MAX_OPERATOR_BYTES) -> str:
    """Return the UTF-8 text of an operator's file (a BOM dropped), at most limit bytes.

    Any failure is a UsageError that names the file and what it is for ("config file",
    "glossary", "prompt", "template"). Reads limit + 1 bytes at most, so a FIFO or a device
    that never ends is refused as well as a large file.
    """
    if path.is_dir():
        raise UsageError(f"{what} {path}: is a folder, not a file")
    try:
        with path.open("rb") as handle:
            data = read_at_most(handle, limit + 1)
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise UsageError(f"{what} {path}: larger than {limit:,} bytes")
    try:
        # utf-8-sig: a BOM left by a Windows editor should not make the whole file invalid.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None


# The most read from a stream at once.
_CHUNK = 1 << 20


def read_at_most(stream: BinaryIO, size: int) -> bytes:
    """Return the first size bytes of a stream, or all of it if shorter, reading a chunk at a
    time: read(size) sets aside size bytes before reading one, so a limit raised to mean "no
    limit" (--max-input-bytes 100000000000) failed with MemoryError on a 5 kB file, and one
    past the largest index with OverflowError."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = stream.read(min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
