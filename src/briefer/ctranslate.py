"""Converting Hugging Face seq2seq models for CTranslate2, once, atomically, in a child process.

The engine that runs the converted models is briefer.engines.ctranslate2."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("briefer")

# Bump when a conversion made by an older briefer must not be reused.
CONVERSION_VERSION = 1
_STALE_SECONDS = 6 * 3600


def available() -> bool:
    """Return whether the ctranslate2 package can be imported."""
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return True


def cache_root() -> Path:
    """Return the folder holding converted models, beside the result cache."""
    from .cache import default_path

    return default_path().parent / "ctranslate2"


def conversions() -> list[tuple[Path, int]]:
    """Return the finished conversions in the cache folder, each with the bytes it takes."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / "model.bin").is_file():
            continue  # a conversion in progress, or what a killed one left (see _sweep)
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        found.append((folder, size))
    return found


def remove_conversions() -> int:
    """Remove every finished conversion (each is made again on its model's next use), and
    what stopped conversions left behind, and return how many conversions went. One in
    progress is left alone."""
    if cache_root().is_dir():
        _sweep(cache_root())  # a killed conversion's .partial folder had outlived the clear
    return sum(remove_conversion(folder) for folder, _ in conversions())


def remove_conversion(folder: Path) -> bool:
    """Remove one conversion folder, and return whether it went."""
    # Renamed away first: a run opening it meanwhile finds the whole folder or none.
    trash = folder.with_name(f".{folder.name}.removing")
    try:
        os.rename(folder, trash)
    except OSError:
        return False
    shutil.rmtree(trash, ignore_errors=True)
    return True


def converted_path(name: str, revision: str, compute_type: str) -> Path:
    """Return where the conversion of a model revision to a compute type is cached."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", name.strip("/"))[-80:]
    return cache_root() / f"{slug}-{revision[:16]}-{compute_type}-v{CONVERSION_VERSION}"


def convert(source: Path, target: Path, compute_type: str) -> Path:
    """Convert the model folder at source into target, atomically: all of it or nothing."""
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        # The folder names the processes writing it, so a later run can tell a conversion in
        # progress from one whose process was killed (and remove the latter at once).
        _own(work, os.getpid())
        started = time.monotonic()
        # Said without -v: a large model takes minutes, and a silent wait looks like a hang.
        log.warning("converting %s for CTranslate2 (%s); this happens once", source, compute_type)
        _convert_elsewhere(source, work / "model", compute_type)
        try:
            # A rename is atomic: a reader sees no folder or a whole one, never half of one.
            os.rename(work / "model", target)
        except OSError:
            if not (target / "model.bin").is_file():
                raise
            # Another run finished the same conversion first; theirs is as good as ours.
        log.info("converted in %.0f s", time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _child_command(source: Path, out: Path, compute_type: str) -> list[str]:
    """Return the command line of the converter child; it is told its parent's pid."""
    import sys

    return [
        sys.executable,
        "-m",
        "briefer.ctranslate",
        str(os.getpid()),
        str(source),
        str(out),
        compute_type,
    ]


def _convert_elsewhere(source: Path, out: Path, compute_type: str) -> None:
    """Convert in a child process, so the full-precision copy never swells this one's memory.

    The child dies with this process: it asks the kernel for SIGKILL when its parent goes
    (PR_SET_PDEATHSIG, see _die_with_parent), and any exception here, Ctrl-C included, kills
    it before it is raised on.
    """
    import subprocess

    child = subprocess.Popen(
        _child_command(source, out, compute_type),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    try:
        _own(out.parent, child.pid)
        _, stderr = child.communicate()
    except BaseException:
        child.kill()
        child.wait()
        raise
    if child.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"converter exited with {child.returncode}")


def _die_with_parent(parent: int) -> None:
    """Make this process (the converter child) end when the parent that started it ends."""
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1  # from <linux/prctl.h>
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        # The parent was gone before the request above took effect: nobody waits for us.
        os._exit(1)

    def watch() -> None:
        """Where the kernel cannot do it (macOS), notice the parent gone within a second."""
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def convert_here(source: str, out: str, compute_type: str) -> None:
    """Run the converter in this process (the child side of _convert_elsewhere)."""
    quantization = None if compute_type == "float32" else compute_type
    _converter(source).convert(out, quantization=quantization, force=True)


def child_main(argv: list[str]) -> None:
    """The converter child: bind its life to the parent's, then convert."""
    parent, source, out, compute_type = argv[:4]
    _die_with_parent(int(parent))
    convert_here(source, out, compute_type)


_OWNERS = "owners"


def _own(work: Path, pid: int) -> None:
    """Record in a conversion folder that a live process (pid, start time) writes it."""
    state = _proc_state(pid)
    with open(work / _OWNERS, "a", encoding="ascii") as handle:
        handle.write(f"{pid} {state[1] if state else ''}\n")


def _proc_state(pid: int) -> tuple[str, str] | None:
    """Return a process's state letter and start time (Linux /proc), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            # Field 2 (the command name) may hold spaces and parentheses: split after its end.
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 of proc(5), the state; fields[19] is field 22, the start time.
    return fields[0], fields[19]


def _alive(pid: int, started: str) -> bool:
    """Return whether a process is running and is the one recorded (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    state = _proc_state(pid)
    if state is None:
        return True  # no /proc to ask: kill() said it exists
    if state[0] in {"Z", "X"}:
        return False  # killed, not yet reaped by its parent
    return not started or state[1] == started


def _sweep(folder: Path) -> None:
    """Remove what killed conversions left behind: folders whose processes are all gone."""
    now = time.time()
    for leftover in folder.glob(".*.partial"):
        try:
            owners = (leftover / _OWNERS).read_text(encoding="ascii").split("\n")
        except FileNotFoundError:
            owners = None
        except OSError:
            continue
        try:
            if owners is None:
                # Made by an older briefer, or just created and not yet owned: age decides.
                stale = now - leftover.stat().st_mtime > _STALE_SECONDS
            else:
                records = [line.split(" ") + [""] for line in owners if line.strip()]
                stale = not any(_alive(int(r[0]), r[1]) for r in records)
        except (OSError, ValueError):
            continue
        if stale:
            log.info("removing %s, left by a conversion that was stopped", leftover.name)
            shutil.rmtree(leftover, ignore_errors=True)


def _converter(source: str) -> Any:
    """Return a ctranslate2 converter that reads configs saved by transformers 5."""
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        """Fill in config fields transformers 5 stopped writing but the converter still reads."""

        def load_model(self, model_class: Any, name: str, **kwargs: Any) -> Any:
            """Load the model, then restore the fields the converter expects."""
            model = super().load_model(model_class, name, **kwargs)
            config = model.config
            if config.model_type in {"bart", "mbart", "pegasus", "plbart"}:
                encoder = model.get_encoder()
                if not hasattr(config, "normalize_before"):
                    # Pre-norm stacks (PEGASUS, mBART) end the encoder with a LayerNorm.
                    config.normalize_before = getattr(encoder, "layer_norm", None) is not None
                if not hasattr(config, "normalize_embedding"):
                    config.normalize_embedding = hasattr(encoder, "layernorm_embedding")
            elif config.model_type == "t5" and hasattr(config, "scale_decoder_outputs"):
                # transformers 5 always sets tie_word_embeddings for T5; the converter reads it
                # to decide the output scaling, which scale_decoder_outputs now governs.
                config.tie_word_embeddings = bool(config.scale_decoder_outputs)
            elif config.model_type == "mt5":
                config.tie_word_embeddings = False
            return model

    return Converter(source, low_cpu_mem_usage=True)


if __name__ == "__main__":
    import sys

    child_main(sys.argv[1:])
