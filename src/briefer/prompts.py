"""Model-input templates: plain files under prompts/, chosen from the model's config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from . import files
from .errors import UsageError

PLAIN = "{text}"


def available() -> dict[str, str]:
    """Return the built-in templates by name."""
    folder = resources.files("briefer") / "prompts"
    return {
        entry.name.removesuffix(".txt"): _clean(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".txt")
    }


def load(name_or_path: str) -> str:
    """Return the template a --prompt value names: a built-in name or a file path."""
    builtin = available()
    if name_or_path in builtin:
        template = builtin[name_or_path]
    else:
        path = Path(name_or_path)
        # A path that is there but no file (a folder, /dev/zero) gets files.read_text's reason.
        if not path.exists():
            names = ", ".join(sorted(builtin))
            raise UsageError(f"no prompt {name_or_path!r}: give a file or one of: {names}")
        template = _clean(files.read_text(path, "prompt"))
    return validate(template, name_or_path)


def validate(template: str, name: str) -> str:
    """Return the template if it has exactly one {text} slot and nothing else to fill."""
    try:
        template.format(text="")
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(
            f"prompt {name!r} must hold {{text}} and no other {{…}} fields "
            f"(write {{{{ and }}}} for literal braces): {exc}"
        ) from None
    if "{text}" not in template:
        raise UsageError(f"prompt {name!r} has no {{text}} slot for the article")
    return template


def for_model(prefix: str) -> str:
    """Return the template for a model's task prefix (T5's "summarize: "), else plain."""
    if not prefix:
        return PLAIN
    template = prefix + PLAIN
    # Prefer the shipped file when it says the same, so users can see where it came from.
    for text in available().values():
        if text == template:
            return text
    return template.replace("{", "{{").replace("}", "}}").replace("{{text}}", "{text}")


def _clean(text: str) -> str:
    """Drop the final newline an editor adds to a one-line template file."""
    return text[:-1] if text.endswith("\n") else text
