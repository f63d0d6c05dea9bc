"""The one options object that configures a run, and the defaults it starts from."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .errors import UsageError
from .files import MAX_INPUT_BYTES
from .languages import ENGLISH, code_of, several_languages
from .languages import RTL_LANGUAGES as RTL_LANGUAGES

DEFAULT_SUMMARIZER = "sshleifer/distilbart-cnn-12-6"

# en means "no translation"; these languages have a default translator. Any other ISO 639-1
# code works with a translator that has it (-t LANG=MODEL).
DEFAULT_TRANSLATORS: dict[str, str] = {
    "fr": "Helsinki-NLP/opus-mt-en-fr",
    "ar": "Helsinki-NLP/opus-mt-tc-big-en-ar",
}
# Translators into English for articles in other languages (the pivot route): the article is
# translated, then summarized by the English summarizer. Keyed by the article's language.
DEFAULT_PIVOTS: dict[str, str] = {
    "fr": "Helsinki-NLP/opus-mt-fr-en",
    "ar": "Helsinki-NLP/opus-mt-ar-en",
}
LANGUAGES: tuple[str, ...] = (ENGLISH, *DEFAULT_TRANSLATORS)
FORMATS: tuple[str, ...] = ("markdown", "json", "jsonl", "text")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
ENGINES: tuple[str, ...] = ("abstractive", "extractive")
# The results a run caches; each option names those it shapes (OptionSpec.cached).
RESULTS: tuple[str, ...] = ("summary", "translation")
# How a long article becomes one brief: a reduce pass over the chunk summaries, or equal shares.
STRATEGIES: tuple[str, ...] = ("reduce", "shares")


@dataclass(frozen=True)
class OptionSpec:
    """One setting of a summarize run: the single source of its name, type, default and help.

    The CLI's parameters, the config file's keys and checks, `config show` and the cache key
    are all derived from SCHEMA, so adding a setting touches this table (and the code that
    uses the value).
    """

    name: str  # the config key and the command parameter (dashes on the command line)
    default: object
    help: str
    flags: tuple[str, ...] = ()  # command-line spellings; () means --name-with-dashes
    metavar: str | None = None
    # The Python type the command line parses to, and the TOML types a config file may hold.
    kind: object = str
    toml: type | tuple[type, ...] = str
    # Allowed values; "engines" means the engine registry's names, read when checked.
    choices: tuple[str, ...] | str | None = None
    # The results the value shapes, and so whose cache keys hold it: "summary", "translation".
    cached: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a `cached` that is not a tuple of result kinds (True once meant "summary")."""
        if not isinstance(self.cached, tuple) or not set(self.cached) <= set(RESULTS):
            raise TypeError(
                f"OptionSpec {self.name!r}: cached takes the results the value shapes, a tuple "
                f"from {RESULTS}, not {self.cached!r}"
            )

    # Set per language of the articles: a table {"fr": MODEL} in the config file (the default
    # is such a table too), LANG=MODEL on the command line, repeated. A spec whose table may
    # hold "en" also takes a plain MODEL, meaning en.
    per_language: bool = False

    def spellings(self) -> tuple[str, ...]:
        """Return the flag spellings: the declared ones, else --name-with-dashes."""
        return self.flags or (f"--{self.name.replace('_', '-')}",)


SCHEMA: tuple[OptionSpec, ...] = (
    OptionSpec(
        "lang",
        "en",
        "Language(s) of the brief, comma-separated ISO 639-1 codes: en, "
        f"{', '.join(DEFAULT_TRANSLATORS)} (default translators) or any code the translator "
        "has; several make one brief per language.",
        ("--lang", "-l"),
        "LANGS",
        toml=(str, list),
    ),
    OptionSpec(
        "model",
        {ENGLISH: DEFAULT_SUMMARIZER},
        "Summarization model: hub id or local folder; LANG=MODEL, repeated, for articles "
        f"written in LANG [default: {DEFAULT_SUMMARIZER}].",
        ("--model", "-m"),
        "[LANG=]MODEL",
        kind=list[str] | None,
        toml=(str, dict),
        cached=("summary",),
        per_language=True,
    ),
    OptionSpec(
        "pivot",
        dict(DEFAULT_PIVOTS),
        "Translator into English for articles in LANG with no summarizer of their own, "
        "LANG=MODEL, repeated [default: "
        + ", ".join(f"{model} for {lang}" for lang, model in DEFAULT_PIVOTS.items())
        + "].",
        ("--pivot",),
        "LANG=MODEL",
        kind=list[str] | None,
        toml=dict,
        cached=("summary",),
        per_language=True,
    ),
    OptionSpec(
        "translator",
        None,
        "Translation model, hub id or local folder; with several languages, LANG=MODEL, "
        "repeated [default: "
        + ", ".join(f"{model} for {lang}" for lang, model in DEFAULT_TRANSLATORS.items())
        + "].",
        ("--translator", "-t"),
        "[LANG=]MODEL",
        kind=list[str] | None,
        toml=(str, dict),
    ),
    OptionSpec(
        "format",
        "markdown",
        f"Output format: {', '.join(FORMATS)}.",
        ("--format", "-f"),
        "FORMAT",
        choices=FORMATS,
    ),  # fmt: skip
    OptionSpec(
        "template",
        None,
        "Jinja2 template for the Markdown brief.",
        metavar="FILE",
        kind=str | None,
    ),  # fmt: skip
    OptionSpec("title", "Morning brief", "Heading of a brief of several articles.", metavar="TEXT"),
    OptionSpec(
        "engine",
        "abstractive",
        "abstractive (a summarization model) or extractive (picks sentences, no model "
        "download; lower quality).",
        metavar="ENGINE",
        choices=ENGINES,
        cached=("summary",),
    ),
    OptionSpec(
        "strategy",
        "reduce",
        "How a long article becomes one brief: reduce (chunk summaries summarized once more "
        "as a whole) or shares (each chunk an equal share of the length; faster, less "
        "coherent).",
        metavar="STRATEGY",
        choices=STRATEGIES,
        cached=("summary",),
    ),
    OptionSpec(
        "max_length",
        None,
        "Longest summary, in tokens [default: the model's]; at most what the model can produce.",
        metavar="TOKENS",
        kind=int | None,
        toml=int,
        cached=("summary",),
    ),  # fmt: skip
    OptionSpec(
        "min_length",
        None,
        "Shortest summary, in tokens [default: the model's].",
        metavar="TOKENS",
        kind=int | None,
        toml=int,
        cached=("summary",),
    ),  # fmt: skip
    OptionSpec(
        "beams",
        None,
        "Beam-search width [default: the model's].",
        metavar="N",
        kind=int | None,
        toml=int,
        cached=("summary",),
    ),  # fmt: skip
    OptionSpec(
        "prompt",
        None,
        "Model-input template: a name from prompts/ or a file with {text}.",
        metavar="NAME|FILE",
        kind=str | None,
        cached=("summary",),
    ),  # fmt: skip
    OptionSpec(
        "batch_size",
        4,
        "Texts per model call on the torch backend (CTranslate2 batches by tokens).",
        metavar="N",
        kind=int,
        toml=int,
    ),  # fmt: skip
    OptionSpec(
        "device",
        "auto",
        f"Where models run: {', '.join(DEVICES)}.",
        metavar="DEVICE",
        choices=DEVICES,
        cached=("summary", "translation"),
    ),  # fmt: skip
    OptionSpec(
        "backend",
        "auto",
        "Inference engine (see briefer config show).",
        metavar="BACKEND",
        choices="engines",
        cached=("summary", "translation"),
    ),  # fmt: skip
    OptionSpec(
        "cache",
        True,
        "Reuse results of earlier runs.",
        ("--cache/--no-cache",),
        kind=bool,
        toml=bool,
    ),  # fmt: skip
    OptionSpec("fail_fast", False, "Stop at the first source that fails.", kind=bool, toml=bool),
    OptionSpec(
        "allow_private_urls",
        False,
        "Fetch URLs on loopback, link-local and private network addresses too.",
        kind=bool,
        toml=bool,
    ),
    OptionSpec(
        "source_lang",
        None,
        "The articles' own language (fr, ar, ...), or auto [default: detected per article].",
        metavar="LANG",
        kind=str | None,
    ),
    OptionSpec(
        "max_input_bytes",
        MAX_INPUT_BYTES,
        "Refuse a file or stdin larger than this (a saved HTML page may be 2.5 times it).",
        metavar="BYTES",
        kind=int,
        toml=int,
    ),
    OptionSpec(
        "glossary",
        None,
        "Terms kept verbatim or given house translations through translation (TOML or CSV).",
        metavar="FILE",
        kind=str | None,
    ),
    OptionSpec(
        "guard",
        True,
        "Check every summary and translation for output that is empty, loops, balloons or "
        "copies its input: use the extractive brief, or translate again sentence by sentence "
        "(--no-guard keeps the models' output as it is).",
        ("--guard/--no-guard",),
        kind=bool,
        toml=bool,
        cached=("summary", "translation"),
    ),
    OptionSpec(
        "strict_facts",
        False,
        "Leave out (under Not included, exit 3) any article whose brief fails the fact check.",
        kind=bool,
        toml=bool,
    ),
    OptionSpec(
        "cite",
        False,
        "Footnotes in the Markdown naming the source paragraph of each brief sentence.",
        kind=bool,
        toml=bool,
    ),
    OptionSpec(
        "quiet",
        False,
        "Print nothing but the result and errors.",
        ("--quiet", "-q"),
        kind=bool,
        toml=bool,
    ),  # fmt: skip
)
SPECS: dict[str, OptionSpec] = {spec.name: spec for spec in SCHEMA}

# The schema's options each command takes, and how a command's use of one differs from
# summarize's (summarize takes them all as they are). batch's --format (parquet or jsonl shards)
# is not the brief's format, so it is batch's own parameter, not this schema's option.
COMMANDS: dict[str, dict[str, dict[str, object]]] = {
    "summarize": {spec.name: {} for spec in SCHEMA},
    "translate": {
        "lang": {
            "help": "Target language, an ISO 639-1 code the translator has (fr, ar, de, ...) "
            "[default: the config file's lang].",
            "metavar": "LANG",
            "default": None,
        },
        "translator": {
            "help": "Translation model, hub id or local folder [default: "
            + ", ".join(f"{model} for {lang}" for lang, model in DEFAULT_TRANSLATORS.items())
            + "].",
            "metavar": "MODEL",
        },
        "format": {
            "choices": ("markdown", "json", "jsonl", "text"),
            "help": "Output format: markdown, json (the translated Markdown in a record; a list "
            "of records for several inputs), jsonl (one record a line, whatever the number of "
            "inputs) or text.",
        },
        "device": {},
        "backend": {},
        "max_input_bytes": {},
        "glossary": {},
        "guard": {
            "help": "Check every translated passage for output that is empty, loops, balloons or "
            "copies its input: translate it again with repeats blocked, and keep it as it was "
            "(with a warning) when that fails too (--no-guard keeps the model's output as it is).",
        },
        "quiet": {},
    },
    "batch": {
        "lang": {"help": "Brief language, unless a record's lang says.", "metavar": "LANG"},
        **{
            name: {}
            for name in (
                "model",
                "pivot",
                "translator",
                "engine",
                "strategy",
                "guard",
                "max_length",
                "min_length",
                "beams",
                "prompt",
                "batch_size",
                "device",
                "backend",
                "max_input_bytes",
                "quiet",
            )
        },
    },
}


def command_schema(command: str) -> tuple[OptionSpec, ...]:
    """Return the options a command takes, each as that command uses it, in SCHEMA order."""
    changes = COMMANDS[command]
    return tuple(replace(spec, **changes[spec.name]) for spec in SCHEMA if spec.name in changes)


def command_spec(command: str, name: str) -> OptionSpec:
    """Return one option as a command uses it."""
    return next(spec for spec in command_schema(command) if spec.name == name)


class Table(dict):  # type: ignore[type-arg]
    """A language table of an Options: a dict that cannot be changed, as the Options holding
    it cannot (options.model["fr"] = ... had changed its hash, keying a cache wrongly, and
    let an unchecked model id past validation). Build a new Options instead
    (dataclasses.replace). Pickles, for Ray's workers, as a dict does."""

    def _refuse(self, *_: object, **__: object) -> None:
        raise TypeError(
            "an Options table cannot be changed: build a new Options (dataclasses.replace)"
        )

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[str, str]]]:
        return type(self), (dict(self),)


@dataclass(frozen=True)
class Options:
    """Everything a run needs to know; the CLI builds one, library users may too."""

    lang: str = SPECS["lang"].default  # type: ignore[assignment]
    # The summarizer of English articles (and of those taken through the pivot), or a table
    # of the articles' language to summarizer: {"en": MODEL, "fr": MODEL}.
    model: str | Mapping[str, str] = DEFAULT_SUMMARIZER
    # One model for the run's language, or a map of language to model for several.
    translator: str | dict[str, str] | None = None  # the command line gives a list first
    max_length: int | None = SPECS["max_length"].default  # type: ignore[assignment]
    min_length: int | None = SPECS["min_length"].default  # type: ignore[assignment]
    beams: int | None = SPECS["beams"].default  # type: ignore[assignment]
    device: str = SPECS["device"].default  # type: ignore[assignment]
    prompt: str | None = SPECS["prompt"].default  # type: ignore[assignment]
    batch_size: int = SPECS["batch_size"].default  # type: ignore[assignment]
    engine: str = SPECS["engine"].default  # type: ignore[assignment]
    backend: str = SPECS["backend"].default  # type: ignore[assignment]
    # Fetch URLs on loopback, link-local and private addresses (an intranet CMS, a test server).
    allow_private_urls: bool = SPECS["allow_private_urls"].default  # type: ignore[assignment]
    # The articles' own language (ISO 639 code); None detects each article's.
    source_lang: str | None = SPECS["source_lang"].default  # type: ignore[assignment]
    max_input_bytes: int = SPECS["max_input_bytes"].default  # type: ignore[assignment]
    strategy: str = SPECS["strategy"].default  # type: ignore[assignment]
    # Replace degenerate model output (checks.degenerate): extractive brief, sentence retries.
    guard: bool = SPECS["guard"].default  # type: ignore[assignment]
    # A glossary file (TOML or CSV) of terms kept verbatim or given house translations.
    glossary: str | None = SPECS["glossary"].default  # type: ignore[assignment]
    # Translators into English for the pivot route, by the articles' language, laid over
    # DEFAULT_PIVOTS: {"de": "Helsinki-NLP/opus-mt-de-en"}.
    pivot: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        """Reject values no run could use, with a message that names the fix."""
        self._check_types()
        # -l FR, -l fra and -l fr_FR are fr, here as on the command line.
        object.__setattr__(self, "lang", check_language(self.lang))
        if not isinstance(self.model, str):
            table = language_table("model", self.model)
            # {"en": MODEL} is model=MODEL: one value, equal and hashed alike.
            model = table[ENGLISH] if list(table) == [ENGLISH] else Table(table)
            object.__setattr__(self, "model", model)
        elif not self.model.strip():
            raise UsageError("--model needs a model id")
        if self.pivot is not None:
            object.__setattr__(self, "pivot", Table(language_table("pivot", self.pivot)))
        if isinstance(self.translator, dict):
            object.__setattr__(self, "translator", Table(_translator_table(self.translator)))
        if self.source_lang is not None:
            from .detect import check_code

            code = check_code(self.source_lang)
            object.__setattr__(self, "source_lang", None if code == "auto" else code)
        # The backend is checked against the engine registry when a model loads.
        # Every option with fixed choices in SCHEMA is checked here (the backend's are the
        # engine registry's).
        fixed = [(s.name, s.choices) for s in SCHEMA if isinstance(s.choices, tuple)]
        for name, allowed in fixed:
            if name in _FIELDS and getattr(self, name) not in allowed:
                raise UsageError(
                    f"unknown {name} {getattr(self, name)!r}; choose one of: {', '.join(allowed)}"
                )
        for name in ("max_length", "min_length", "beams", "batch_size", "max_input_bytes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
        if self.max_length and self.min_length and self.min_length > self.max_length:
            raise UsageError(
                f"--min-length ({self.min_length}) is larger than --max-length ({self.max_length})"
            )

    def __hash__(self) -> int:
        """Hash by value, tables included, so an Options can key a cache of Briefers
        (functools.lru_cache); the generated hash failed on the model tables (dicts)."""
        return hash(tuple(_frozen(getattr(self, name)) for name in sorted(_FIELDS)))

    def _check_types(self) -> None:
        """Raise a usage error for a value of the wrong type (a library caller's mistake, which
        raised TypeError deep inside, or passed: guard="no" left the guard on)."""
        words = {bool: "true or false", int: "a whole number", str: "a string"}
        if not isinstance(self.lang, str):
            raise UsageError(f"lang takes a string, not {self.lang!r}")
        for name in ("model", "pivot", "translator"):
            object.__setattr__(self, name, _models(name, getattr(self, name)))
        for spec in SCHEMA:
            if spec.name not in _FIELDS or spec.per_language or spec.name == "translator":
                continue
            value = getattr(self, spec.name)
            # The config file's type; an Options field holds its first (lang: one string).
            kind = spec.toml if isinstance(spec.toml, type) else spec.toml[0]
            if kind is str and isinstance(value, os.PathLike):
                value = os.fspath(value)  # glossary=Path("terms.toml") is a path all the same
                object.__setattr__(self, spec.name, value)
            # bool is an int to Python, not to a setting: beams=True is a mistake.
            if value is not None and (
                not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
            ):
                raise UsageError(f"{spec.name} takes {words[kind]}, not {value!r}")

    @property
    def translation_batch_size(self) -> int:
        """Return the batch size translators and pivots load with: sentences are short, so
        translation batches can be wider than summary batches."""
        return max(self.batch_size, 8)

    def translator_model(self, lang: str | None = None) -> str | None:
        """Return the translation model for a language (the run's by default); None for en."""
        lang = check_language(lang or self.lang)
        if lang == "en":
            return None
        if isinstance(self.translator, dict):
            chosen = self.translator.get(lang)
        else:
            # A plain model is the run's language's translator: a batch record asking for
            # another language gets that language's own (it got a French model, labelled ar).
            # With the run in English (a library call naming its language), it is the one.
            chosen = self.translator if self.lang in (ENGLISH, lang) else None
        if chosen:
            return chosen
        if lang not in DEFAULT_TRANSLATORS:
            raise UsageError(
                f"no default translator for {lang!r}: name one that has it with -t {lang}=MODEL "
                f"(defaults exist for {', '.join(DEFAULT_TRANSLATORS)})"
            )
        return DEFAULT_TRANSLATORS[lang]

    def summarizer_model(self, lang: str = ENGLISH) -> str | None:
        """Return the summarizer of articles in a language; None when it has none of its own.

        English articles, and articles taken through the pivot, use the English one.
        """
        table = {ENGLISH: self.model} if isinstance(self.model, str) else self.model
        if lang == ENGLISH:
            return table.get(ENGLISH) or DEFAULT_SUMMARIZER
        return table.get(lang)

    def pivot_model(self, lang: str) -> str | None:
        """Return the translator from a language into English, or None when there is none."""
        if lang == ENGLISH:
            return None
        return (self.pivot or {}).get(lang) or DEFAULT_PIVOTS.get(lang)

    def for_language(self, name: str, lang: str) -> str | None:
        """Return a per-language setting's value for articles in lang (by its SCHEMA name)."""
        return {"model": self.summarizer_model, "pivot": self.pivot_model}[name](lang)

    def cache_parts(self, result: str = "summary", **chosen: object) -> dict[str, object]:
        """Return the settings that shape a result ("summary" or "translation"), by name, for
        its cache key (from SCHEMA).

        A per-language setting is the value an article's route chose (chosen[name]); without
        one, the value for English articles.
        """
        return {
            spec.name: (
                chosen.get(spec.name, self.for_language(spec.name, ENGLISH))
                if spec.per_language
                else getattr(self, spec.name)
            )
            for spec in SCHEMA
            if result in spec.cached
        }

    def generation_overrides(self, lengths: bool = True) -> dict[str, int]:
        """Return the summary settings the user set, to lay over the model's generation config.

        lengths=False leaves out --max-length and --min-length (the chunk summaries of a long
        article are written at the model's own length).
        """
        overrides = {
            "max_length": self.max_length if lengths else None,
            "min_length": self.min_length if lengths else None,
            "num_beams": self.beams,
        }
        return {k: v for k, v in overrides.items() if v is not None}


_FIELDS = frozenset(Options.__dataclass_fields__)


# The key of a per-language table: a two- or three-letter code, as detection reports them.
LANGUAGE_KEY = re.compile(r"[a-z]{2,3}")


def language_table(name: str, table: Mapping[str, str], where: str | None = None) -> dict[str, str]:
    """Return a per-language setting's table with its codes lower-cased, or raise a usage error.

    where names the setting in messages: the flag (--model fr=...) unless given ([model]).
    """
    spec = SPECS[name]
    flag = where or spec.spellings()[0]
    english_ok = ENGLISH in spec.default  # type: ignore[operator]
    out: dict[str, str] = {}
    for lang, model in table.items():
        known = code_of(str(lang))
        code = known or str(lang).strip().lower()
        if not LANGUAGE_KEY.fullmatch(code) or (code == ENGLISH and not english_ok):
            raise UsageError(
                f"{flag} {lang}{'' if where else '=...'}: give the language of the articles it is for, such as fr "
                "or ar" + (" (English articles need no pivot)" if code == ENGLISH else "")
            )
        if known is None:
            # No article is ever in it: a typo (-m xx=...) that was taken, and never used.
            raise UsageError(
                f"{flag} {lang}{'' if where else '=...'}: {code!r} is not an ISO 639-1 "
                "language code"
            )
        if not isinstance(model, str) or not model.strip():
            raise UsageError(f"{flag} {code}{'' if where else '='} needs a model id")
        if code in out:
            raise UsageError(f"{flag} names {code} twice ({lang!r})")
        out[code] = model.strip()
    return out


def _frozen(value: object) -> object:
    """Return a value in a hashable form: a table as its sorted items."""
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    return value


def _models(name: str, value: object) -> str | dict[str, str] | None:
    """Return a model setting as a model id (a path given as one) or a table of language to
    model id (a copy, so the caller's dict cannot change a frozen Options), or raise a usage
    error for any other type. The tables' languages are checked by the callers."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)  # type: ignore[return-value]
    if isinstance(value, str) and name == "model":
        return value  # an empty one gets its own message in __post_init__
    if isinstance(value, str) and name == "translator" and value.strip():
        return value
    if value is None and name != "model":
        return None
    if isinstance(value, Mapping):
        table: dict[str, str] = {}
        for lang, model in value.items():
            model = os.fspath(model) if isinstance(model, os.PathLike) else model
            if not isinstance(lang, str) or not isinstance(model, str):
                break
            table[lang] = model  # type: ignore[assignment]
        else:
            return table
    shape = {
        "model": "a model id, or a table of language to model id ({'fr': MODEL})",
        "pivot": "a table of language to model id ({'fr': MODEL}), or None",
    }.get(name, "a model id, a table of language to model id ({'fr': MODEL}), or None")
    raise UsageError(f"{name} takes {shape}, not {value!r}")


def _translator_table(table: Mapping[str, str]) -> dict[str, str]:
    """Return a translator table keyed by ISO 639-1 codes ({"FR": m} and {"fra": m} are fr),
    or raise a usage error for an unknown language, English, a repeat or an empty model."""
    out: dict[str, str] = {}
    for lang, model in table.items():
        code = check_language(lang)
        if code == ENGLISH:
            raise UsageError(f"translator {lang!r}: English is never translated; leave it out")
        if code in out:
            raise UsageError(f"translator names {code} twice ({lang!r})")
        if not model.strip():
            raise UsageError(f"translator {lang!r} needs a model id")
        out[code] = model.strip()
    return out


def check_language(lang: str) -> str:
    """Return the ISO 639-1 code of a language code or tag (fr, FR, fra, fr-FR, fr_FR), or
    raise a usage error naming the value as given."""
    if not isinstance(lang, str):
        # brief(text, lang=5) had raised an AttributeError from deep inside.
        raise UsageError(f"a language is a code such as 'fr', not {lang!r}")
    code = code_of(lang)
    if code is None:
        joined = several_languages(lang)
        if joined:
            head, tail = lang.strip()[:2], lang.strip()[3:5]
            raise UsageError(
                f"unsupported language {lang!r}: several languages go with commas "
                f"({','.join(joined)}), and a region in capitals ({head}-{tail.upper()})"
            )
        raise UsageError(
            f"unsupported language {lang!r}: give an ISO 639-1 code (en, fr, ar, de, ...); "
            f"{', '.join(DEFAULT_TRANSLATORS)} have default translators"
        )
    return code


def default_models(
    langs: Sequence[str] = ("fr", "ar"), sources: Sequence[str] = tuple(DEFAULT_PIVOTS)
) -> list[tuple[str, str]]:
    """Return (task, model) for the default summarizer, each brief language's default translator
    and the default pivot of articles written in each of sources (what offline runs need)."""
    pairs = [("summarize", DEFAULT_SUMMARIZER)]
    for lang in dict.fromkeys(langs):
        check_language(lang)
        if lang != ENGLISH and lang not in DEFAULT_TRANSLATORS:
            # Said for `models pull`, which fetches defaults only and has no -t.
            raise UsageError(
                f"no default translator for {lang!r}; defaults exist for "
                f"{', '.join(DEFAULT_TRANSLATORS)} (a run names one with -t {lang}=MODEL; "
                "`briefer models pull` fetches the defaults only)"
            )
        if lang != ENGLISH:
            pairs.append((f"translate:{lang}", DEFAULT_TRANSLATORS[lang]))
    for lang in dict.fromkeys(sources):
        if lang != ENGLISH and lang not in DEFAULT_PIVOTS:
            raise UsageError(
                f"no default pivot for articles in {lang!r}; defaults exist for "
                f"{', '.join(DEFAULT_PIVOTS)} (a run names one with --pivot {lang}=MODEL)"
            )
        if lang != ENGLISH:
            pairs.append((f"pivot:{lang}", DEFAULT_PIVOTS[lang]))
    return pairs
