"""The C heap between models: what one model's work freed goes back to the system before the
next model loads.

CTranslate2's workers allocate their activations with malloc, each from a heap arena of its
own, and glibc keeps what they free for reuse instead of returning it. In an en→fr brief
(benchmark shapes, AMD EPYC, 2026-12-01), the summarizer's chunks left the process at
850 MB, and loading the translator on top made the peak 1,003-1,013 MB (the goal is 1.0 GB).
Four 900-token chunks through the summarizer alone left 162 MB above the loaded model, of
which ``malloc_trim(0)`` returned 109 MB in 25 ms.
"""

from __future__ import annotations

from typing import Any

_TRIM: Any = None


def trim() -> bool:
    """Give the C heap's free pages back to the system; False where the C library cannot.

    glibc's malloc_trim does it for every arena; other C libraries (musl, macOS, Windows)
    have no such call, and there this does nothing.
    """
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            function = ctypes.CDLL(None).malloc_trim
            function.argtypes = [ctypes.c_size_t]
            function.restype = ctypes.c_int
            _TRIM = function
        except Exception:  # noqa: BLE001 - no C library to ask (OSError, AttributeError, TypeError)
            _TRIM = False
    return bool(_TRIM and _TRIM(0))
