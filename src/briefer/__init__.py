"""briefer: news articles in, short briefs out (summarize, translate, render Markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Brief",
    "Briefer",
    "BrieferError",
    "InputError",
    "ModelError",
    "Options",
    "OutputError",
    "UsageError",
    "__version__",
    "batch_dataset",
]

if TYPE_CHECKING:
    from .brief import Brief, Briefer
    from .dataset import batch_dataset
    from .errors import BrieferError, InputError, ModelError, OutputError, UsageError
    from .options import Options


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so `import briefer` stays cheap."""
    if name in {"Brief", "Briefer"}:
        from . import brief

        return getattr(brief, name)
    if name in {"BrieferError", "InputError", "ModelError", "OutputError", "UsageError"}:
        from . import errors

        return getattr(errors, name)
    if name == "batch_dataset":
        from .dataset import batch_dataset

        return batch_dataset
    if name == "Options":
        from .options import Options

        return Options
    raise AttributeError(f"module 'briefer' has no attribute {name!r}")
