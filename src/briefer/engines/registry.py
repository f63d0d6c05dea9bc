"""Engines by name: the built-in ones, those other packages add, `auto`, and a per-process cache.

Another package adds an engine with an entry point in the ``briefer.engines`` group whose value
is an :class:`EngineSpec` (or a function returning one)::

    [project.entry-points."briefer.engines"]
    onnx = "briefer_onnx:SPEC"

It then appears in ``--backend``'s choices and help, in the config file's choices and in
``config show``, with no change to briefer.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import DeviceUnavailable, EngineUnavailable, ModelError, UsageError
from . import heap
from .base import Engine

log = logging.getLogger("briefer")

GROUP = "briefer.engines"
AUTO = "auto"


@dataclass(frozen=True)
class EngineSpec:
    """How to load one engine: load(model, device, batch_size) returns an Engine."""

    name: str
    load: Callable[..., Engine]
    help: str
    # Whether `auto` tries it, and in which order (lower first).
    auto_rank: int | None = None


def _lazy(module: str) -> Callable[..., Engine]:
    """Return a loader that imports its engine module only when a model is loaded."""

    def load(name: str, device: str = "auto", batch_size: int = 4, **options: Any) -> Engine:
        """Import the engine module and load the model with it."""
        return importlib.import_module(module).load(name, device, batch_size, **options)

    return load


BUILTIN: tuple[EngineSpec, ...] = (
    EngineSpec("torch", _lazy("briefer.engines.torch"), "transformers on torch", auto_rank=1),
    EngineSpec(
        "ctranslate2",
        _lazy("briefer.engines.ctranslate2"),
        "CTranslate2: converted once, int8 on CPU, float16 (T5: bfloat16) on a GPU",
        auto_rank=0,
    ),
)


def specs() -> dict[str, EngineSpec]:
    """Return every engine by name: the built-in ones first, then those of installed packages.

    Scanned once per process and search path: a run asks for them up to three times (the
    help text, the --backend check, the load).
    """
    key = tuple(sys.path)
    if key not in _SPECS:
        _SPECS.clear()
        _SPECS[key] = _scan()
    return dict(_SPECS[key])


_SPECS: dict[tuple[str, ...], dict[str, EngineSpec]] = {}


def _any_declared() -> bool:
    """Return False only when no installed distribution can declare a briefer.engines entry point.

    importlib.metadata costs a run 45 ms (it imports the email package) to find, most often,
    nothing. On a search path of plain folders, with no other finder of distributions, every
    distribution keeps its entry points in a *.dist-info or *.egg-info folder's
    entry_points.txt (names matched in any case, as importlib.metadata does), and a group can
    be read only from a file that names it: if none holds the text ``briefer.engines``, there
    is nothing to find. Anything else (a zip or an egg on the path, a path entry that is not a
    string, another distribution finder, an unreadable folder or file) answers True, and
    importlib.metadata itself reads the entry points.
    """
    from importlib.machinery import PathFinder

    if any(
        finder is not PathFinder and hasattr(finder, "find_distributions")
        for finder in sys.meta_path
    ):
        return True
    for entry in sys.path:
        if not isinstance(entry, str):
            return True
        folder = entry or "."
        if folder.lower().endswith(".egg") or not os.path.isdir(folder):
            if os.path.exists(folder):
                return True  # a zip or an egg: only importlib.metadata reads inside those
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            return True
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            path = os.path.join(folder, name, "entry_points.txt")
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    if GROUP in handle.read():
                        return True
            except (FileNotFoundError, NotADirectoryError):
                continue  # no entry points, or a one-file egg-info (metadata only)
            except OSError:
                return True
    return False


def _scan() -> dict[str, EngineSpec]:
    """Return the built-in engines and those installed packages declare."""
    found = {spec.name: spec for spec in BUILTIN}
    if not _any_declared():
        return found
    from importlib.metadata import entry_points

    for point in entry_points(group=GROUP):
        if point.name in found:
            continue
        try:
            spec = point.load()
            spec = spec() if callable(spec) and not isinstance(spec, EngineSpec) else spec
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not stop briefer
            log.warning("engine %r from %s cannot be loaded: %s", point.name, point.value, exc)
            continue
        if isinstance(spec, EngineSpec):
            found[point.name] = spec
    return found


def names() -> tuple[str, ...]:
    """Return the --backend choices: auto, then every engine's name."""
    return (AUTO, *specs())


def describe() -> str:
    """Return one line naming the choices, for help texts."""
    engines = specs()
    order = ", ".join(s.name for s in _auto_order(engines))
    return f"{AUTO} (tries {order}), " + ", ".join(
        f"{name} ({spec.help})" for name, spec in engines.items()
    )


def _auto_order(engines: dict[str, EngineSpec]) -> list[EngineSpec]:
    """Return the engines `auto` tries, in order."""
    ranked = [s for s in engines.values() if s.auto_rank is not None]
    return sorted(ranked, key=lambda s: s.auto_rank or 0)


def check(backend: str) -> str:
    """Return backend if an engine of that name exists, else raise a usage error naming them."""
    if backend not in names():
        raise UsageError(f"unknown backend {backend!r}; choose one of: {', '.join(names())}")
    return backend


_LOADED: dict[tuple[str, str, int, str], Engine] = {}
# One lock per model: threads of a service asking for a model not loaded yet wait for the one
# loading it, instead of each loading (and converting) it: three threads on a cold cache took
# 42 s, three conversions of each model. Other models load meanwhile.
_LOCKS: dict[tuple[str, str, int, str], threading.Lock] = {}
# Held only to read or change _LOADED and _LOCKS, never while a model loads.
_GUARD = threading.Lock()


def load(name: str, backend: str = AUTO, device: str = "auto", batch_size: int = 4) -> Engine:
    """Return the model loaded on the engine asked for, once per process (and thread-safe)."""
    key = (name, backend, batch_size, device)
    loaded = _LOADED.get(key)
    if loaded is not None:
        return loaded
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        loaded = _LOADED.get(key)
        if loaded is None:
            if _LOADED:
                # The models loaded before have done work (a brief's summaries before its
                # translator): their freed activations go back before this one loads on top.
                heap.trim()
            loaded = _load(name, backend, device, batch_size)
            with _GUARD:
                _LOADED[key] = loaded
        return loaded


def _load(name: str, backend: str, device: str, batch_size: int) -> Engine:
    """Load on one engine; under auto try each in order, saying in one line why one was passed."""
    engines = specs()
    if backend != AUTO:
        check(backend)
        try:
            return engines[backend].load(name, device, batch_size)
        except DeviceUnavailable as exc:
            # Another engine would want the same GPU: the device is the thing to change.
            raise ModelError(f"{exc} (--device auto runs on the CPU where there is none)") from exc
        except EngineUnavailable as exc:
            # The user chose this engine: falling back would hide that it cannot run here.
            raise ModelError(f"{exc} (--backend auto would fall back to another engine)") from exc
    order = _auto_order(engines)
    for at, spec in enumerate(order):
        try:
            return spec.load(name, device, batch_size)
        except EngineUnavailable as exc:
            if at == len(order) - 1:
                raise
            log.warning("%s; running it with %s instead", exc, order[at + 1].name)
    raise ModelError("no engine is available")


def holds(name: str) -> bool:
    """Return whether a model of that name is loaded in this process (on any engine)."""
    with _GUARD:
        return any(key[0] == name for key in _LOADED)


def release(engine: Engine) -> None:
    """Forget a loaded model, so that it is freed once its users let go of it (then
    ``heap.trim()`` gives its pages back)."""
    with _GUARD:
        for key in [key for key, loaded in _LOADED.items() if loaded is engine]:
            del _LOADED[key]


def clear() -> None:
    """Forget loaded models and the engines found (tests, long-running hosts that switch
    models or install a plug-in)."""
    with _GUARD:
        _LOADED.clear()
    _SPECS.clear()
