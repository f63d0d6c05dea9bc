"""The one options object that configures a run, and the defaults it starts from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import UsageError
from .languages import ENGLISH, ISO3
from .languages import RTL_LANGUAGES as RTL_LANGUAGES

DEFAULT_SUMMARIZER = "sshleifer/distilbart-cnn-12-6"

# en means "no translation"; these languages have a default translator. Any other ISO 639-1
# code works with a translator that has it (-t LANG=MODEL).
DEFAULT_TRANSLATORS: dict[str, str] = {
    "fr": "Helsinki-NLP/opus-mt-en-fr",
    "ar": "Helsinki-NLP/opus-mt-tc-big-en-ar",
}
LANGUAGES: tuple[str, ...] = (ENGLISH, *DEFAULT_TRANSLATORS)
FORMATS: tuple[str, ...] = ("markdown", "json", "jsonl", "text")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
ENGINES: tuple[str, ...] = ("abstractive", "extractive")


@dataclass(frozen=True)
class Options:
    """Everything a run needs to know; the CLI builds one, library users may too."""

    lang: str = "en"
    model: str = DEFAULT_SUMMARIZER
    # One model for the run's language, or a map of language to model for several.
    translator: str | dict[str, str] | None = None
    max_length: int | None = None
    min_length: int | None = None
    beams: int | None = None
    device: str = "auto"
    prompt: str | None = None
    batch_size: int = 4
    engine: str = "abstractive"
    backend: str = "auto"
    # Fetch URLs on loopback, link-local and private addresses (an intranet CMS, a test server).
    allow_private_urls: bool = False

    def __post_init__(self) -> None:
        """Reject values no run could use, with a message that names the fix."""
        check_language(self.lang)
        # The backend is checked against the engine registry when a model loads.
        for name, allowed in (("device", DEVICES), ("engine", ENGINES)):
            if getattr(self, name) not in allowed:
                raise UsageError(
                    f"unknown {name} {getattr(self, name)!r}; choose one of: {', '.join(allowed)}"
                )
        for name in ("max_length", "min_length", "beams", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
        if self.max_length and self.min_length and self.min_length > self.max_length:
            raise UsageError(
                f"--min-length ({self.min_length}) is larger than --max-length ({self.max_length})"
            )

    def translator_model(self, lang: str | None = None) -> str | None:
        """Return the translation model for a language (the run's by default); None for en."""
        lang = check_language(lang or self.lang)
        if lang == "en":
            return None
        chosen = self.translator.get(lang) if isinstance(self.translator, dict) else self.translator
        if chosen:
            return chosen
        if lang not in DEFAULT_TRANSLATORS:
            raise UsageError(
                f"no default translator for {lang!r}: name one that has it with -t {lang}=MODEL "
                f"(defaults exist for {', '.join(DEFAULT_TRANSLATORS)})"
            )
        return DEFAULT_TRANSLATORS[lang]

    def generation_overrides(self) -> dict[str, int]:
        """Return the summary settings the user set, to lay over the model's generation config."""
        overrides = {
            "max_length": self.max_length,
            "min_length": self.min_length,
            "num_beams": self.beams,
        }
        return {k: v for k, v in overrides.items() if v is not None}


def check_language(lang: str) -> str:
    """Return lang if it is an ISO 639-1 code, else raise a usage error."""
    if lang not in ISO3:
        raise UsageError(
            f"unsupported language {lang!r}: give an ISO 639-1 code (en, fr, ar, de, ...); "
            f"{', '.join(DEFAULT_TRANSLATORS)} have default translators"
        )
    return lang


def default_models(langs: Sequence[str] = ("fr", "ar")) -> list[tuple[str, str]]:
    """Return (task, model) for the default summarizer and each language's default translator."""
    pairs = [("summarize", DEFAULT_SUMMARIZER)]
    for lang in dict.fromkeys(langs):
        check_language(lang)
        if lang != ENGLISH:
            pairs.append((f"translate:{lang}", Options(lang=lang).translator_model(lang) or ""))
    return pairs
