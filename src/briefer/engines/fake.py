"""A deterministic engine with no model: words in, the first words out. For tests and examples.

It shows how small an engine can be: everything briefer's stages need is here, and none of it
touches transformers. It is not registered; a package (or a test) adds it through the
``briefer.engines`` entry point group with ``SPEC``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..chunking import TokenCounter, word_offsets
from ..languages import SOURCE_PREFIX, Target
from .base import GenerationSettings, Groups
from .registry import EngineSpec

NAME = "fake"
# Words stand for tokens; 512 is what the smallest real summarizers take.
INPUT_LIMIT = 512


@dataclass(frozen=True)
class _WordCounter:
    """Counts whitespace words of a text inside a template."""

    template: str

    def count(self, text: str) -> int:
        """Return the words of the templated text."""
        return len(self.template.format(text=text).split())

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Return the spans of the text's words."""
        return word_offsets(text)


class FakeEngine:
    """Returns each input's first words, as many as the settings allow new tokens."""

    backend = NAME

    def __init__(self, name: str):
        self.name = name
        self.revision = "fake"
        self.settings = GenerationSettings(max_length=21)
        self.summary_settings = self.settings
        self.task_prefix = ""

    def input_limit(self) -> int:
        """Return the most input words."""
        return INPUT_LIMIT

    def output_limit(self) -> int | None:
        """Return the most output words."""
        return INPUT_LIMIT

    def counter(self, template: str = "{text}") -> TokenCounter:
        """Return a word counter for a template."""
        return _WordCounter(template)

    def count(self, text: str) -> int:
        """Return the words of a text."""
        return len(text.split())

    def targets(self) -> dict[str, Target] | None:
        """Return one pretend target, French, selected by a source prefix."""
        return {"fr": Target("fr", ">>fr<<", SOURCE_PREFIX, "fake")}

    def generate(self, groups: Groups) -> list[list[str]]:
        """Return the first words of each text, a target's prefix kept to show it arrived."""
        return [self._generate(texts, settings) for texts, settings in groups]

    @staticmethod
    def _generate(texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        """Return each text's first most_new_tokens() words."""
        prefix = f"{settings.target.token} " if settings.target else ""
        most = settings.most_new_tokens()
        return [prefix + " ".join(text.split()[:most]) for text in texts]


def load(name: str, device: str = "auto", batch_size: int = 4, **_: object) -> FakeEngine:
    """Return a fake engine for any model name."""
    return FakeEngine(name)


SPEC = EngineSpec(NAME, load, "first words of each input, no model (tests and examples)")
