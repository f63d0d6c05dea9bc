"""The config file: newsroom defaults in TOML, laid under the flags of each run.

Which file applies, first found wins:

1. the path given with ``--config`` (must exist);
2. the path in the ``BRIEFER_CONFIG`` environment variable (must exist);
3. ``config.toml`` in briefer's user config folder, ``$XDG_CONFIG_HOME/briefer/`` on Linux
   (``~/.config/briefer/`` when XDG_CONFIG_HOME is unset); no file there means no config.

Keys are the long flag names, with dashes or underscores (``max-length`` or ``max_length``).
Each value a run uses comes from a flag, else the file, else briefer's default.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from .engines import registry
from .errors import BrieferError, UsageError
from .languages import ISO3, code_of
from .options import (
    DEFAULT_TRANSLATORS,
    LANGUAGE_KEY,
    LANGUAGES,
    SCHEMA,
    SPECS,
    check_language,
    language_table,
)

ENV_VAR = "BRIEFER_CONFIG"
FILE_NAME = "config.toml"

# Every key the file may hold, the TOML type(s) its value may have, and the values it may
# take: derived from the one schema in options.py. int keys must be positive, and
# lang/translator get their own checks in _check_value.
KEYS: dict[str, type | tuple] = {spec.name: spec.toml for spec in SCHEMA}
CHOICES: dict[str, tuple[str, ...]] = {
    spec.name: spec.choices for spec in SCHEMA if isinstance(spec.choices, tuple)
}


def choices(name: str) -> tuple[str, ...] | None:
    """Return the values a key may take, None for any; backends come from the engine registry."""
    spec = SPECS.get(name)
    if spec is not None and spec.choices == "engines":
        return registry.names()
    return CHOICES.get(name)


# Flags that exist but make no sense as a standing default; say why instead of "unknown".
NOT_IN_CONFIG: dict[str, str] = {
    "output": "each run names its own output; give -o/--output on the command line",
    "config": "a config file cannot name another; give --config or BRIEFER_CONFIG",
}

# Unlike a model id or a prompt, an empty title is a meaningful choice (no title line).
_EMPTY_ALLOWED = frozenset({"title"})

# A left part of "-t X=Y" shaped like a language code: an unsupported one (de=...) is a usage
# error, not a model path, unless a file by that whole name exists.
_LANG_LIKE = re.compile(r"[A-Za-z]{2,3}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Setting:
    """One resolved value and where it came from."""

    value: object
    origin: str  # "default", the config file's path as a string, or "flag"
    # For a per-language setting (a table), where each language's value came from.
    origins: Mapping[str, str] | None = field(default=None, compare=False)


def default_path() -> Path:
    """Return where briefer looks for its config file when none is named."""
    # Called at use time, not import time, so XDG_CONFIG_HOME set later (tests, wrappers) counts.
    import platformdirs

    return platformdirs.user_config_path("briefer") / FILE_NAME


def config_path(explicit: str | None = None) -> Path | None:
    """Return the config file that applies: --config, else BRIEFER_CONFIG, else the default."""
    for named, source in ((explicit, "--config"), (os.environ.get(ENV_VAR), ENV_VAR)):
        # An empty BRIEFER_CONFIG= is how a crontab line unsets an inherited one.
        if named:
            path = Path(named).expanduser()
            if not path.exists():
                raise UsageError(f"{path}: config file not found (named by {source})")
            return path
    path = default_path()
    return path if path.exists() else None


def load(path: Path | None) -> dict[str, object]:
    """Return the validated settings of a config file, keys normalised to underscores."""
    if path is None:
        return {}
    text = files.read_text(path, "config file")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None

    values: dict[str, object] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in KEYS:
            raise UsageError(_unknown_key(path, key, name))
        if name in spelled:
            raise UsageError(
                f"{path}: {spelled[name]!r} and {key!r} are the same setting; keep one"
            )
        spelled[name] = key
        if isinstance(value, dict):
            _refuse_settings_in_table(path, key, value)
        values[name] = _check_value(path, key, name, value)
    return _from_its_folder(path, values)


def _refuse_settings_in_table(path: Path, table: str, value: dict[str, object]) -> None:
    """Say so when a setting sits in a [table]: TOML puts every key after a table's line into
    it, so `template = "x"` appended below [translator] was "[translator]: unsupported
    language 'template'"."""
    for inner in value:
        if inner.replace("-", "_") in KEYS:
            raise UsageError(
                f"{path}: {inner!r} is inside the [{table}] table (every key after a [table] "
                "line belongs to it); move it above the file's first table"
            )


# Settings that name files, read from the config file's folder (as --from-list reads a list's
# paths from the list's): a newsroom's ~/.config/briefer/config.toml naming `template =
# "brief.j2"` beside it failed under cron, run from another folder. Models and prompts may be
# names too (a hub id, a built-in prompt): theirs are read from there only when there.
_FILE_KEYS = ("template", "glossary")
_NAME_OR_PATH_KEYS = ("prompt", "model", "translator", "pivot")


def _from_its_folder(path: Path, values: dict[str, object]) -> dict[str, object]:
    """Return config values with each relative path read from the config file's folder."""
    folder = path.expanduser().resolve().parent

    def place(value: str, name_or_path: bool) -> str:
        """Return one value, made a path in the config's folder where it is one there."""
        written = os.path.expanduser(value)
        if os.path.isabs(written):
            return value
        there = folder / written
        if there.exists() or (not name_or_path and not os.path.exists(written)):
            # For a file setting with nothing at either place, the error names this one.
            return str(there)
        return value  # a name, or (as before) a path from the current folder

    out = dict(values)
    for name in (*_FILE_KEYS, *_NAME_OR_PATH_KEYS):
        value = values.get(name)
        by_name = name in _NAME_OR_PATH_KEYS
        if isinstance(value, str) and value.strip():
            out[name] = place(value, by_name)
        elif isinstance(value, dict):
            out[name] = {
                k: place(v, by_name) if isinstance(v, str) and v.strip() else v
                for k, v in value.items()
            }
    return out


def _unknown_key(path: Path, key: str, name: str) -> str:
    """Return the one-line message for a key the schema lacks, with the likeliest meant one."""
    if name in NOT_IN_CONFIG:
        return f"{path}: {key!r} cannot be set in a config file: {NOT_IN_CONFIG[name]}"
    close = difflib.get_close_matches(name, KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{path}: unknown key {key!r}{hint}; known keys: {', '.join(sorted(KEYS))}"


def _check_value(path: Path, key: str, name: str, value: object) -> object:
    """Return a config value in the form a run uses, or raise a usage error naming the file."""
    if name == "lang":
        if not isinstance(value, (str, list)) or not all(isinstance(v, str) for v in value):
            raise UsageError(
                f'{path}: {key!r} must be a language code, a list like "fr,ar", '
                f'or an array like ["fr", "ar"], not {_toml(value)}'
            )
        try:
            return parse_langs(value)
        except UsageError as exc:
            raise UsageError(f"{path}: {key!r}: {exc}") from None
    if name == "translator":
        return _check_translator_value(path, key, value)
    if SPECS[name].per_language:
        return _check_language_table(path, key, name, value)
    if name == "source_lang" and isinstance(value, str):
        from .detect import check_code

        try:
            return check_code(value)
        except UsageError as exc:
            raise UsageError(f"{path}: {key!r}: {exc}") from None
    expected = KEYS[name]
    if expected is int:
        # bool is an int subclass in Python, but `beams = true` is a mistake, not 1.
        if type(value) is not int or value < 1:
            raise UsageError(f"{path}: {key!r} must be a positive integer, not {_toml(value)}")
        return value
    if expected is bool:
        if type(value) is not bool:
            raise UsageError(f"{path}: {key!r} must be true or false, not {_toml(value)}")
        return value
    if not isinstance(value, str):
        raise UsageError(f"{path}: {key!r} must be a string, not {_toml(value)}")
    if not value.strip() and name not in _EMPTY_ALLOWED:
        raise UsageError(f"{path}: {key!r} is empty")
    allowed = choices(name)
    if allowed is not None and value not in allowed:
        raise UsageError(
            f"{path}: {key!r} must be one of: {', '.join(allowed)}; not {_toml(value)}"
        )
    return value


def _check_translator_value(path: Path, key: str, value: object) -> str | dict[str, str]:
    """Return a translator setting: a model id, or a table of language to model id."""
    if isinstance(value, str):
        if not value.strip():
            raise UsageError(f"{path}: {key!r} is empty")
        return value
    if not isinstance(value, dict):
        raise UsageError(
            f"{path}: {key!r} must be a model id, or a table of language = model id, "
            f"not {_toml(value)}"
        )
    table: dict[str, str] = {}
    for lang, model in value.items():
        try:
            code = check_language(lang)
        except UsageError as exc:
            raise UsageError(f"{path}: [{key}]: {exc}") from None
        if code == "en":
            raise UsageError(f"{path}: [{key}] {lang}: English is never translated; remove it")
        if code in table:
            raise UsageError(f"{path}: [{key}] names {code} twice")
        if not isinstance(model, str) or not model.strip():
            raise UsageError(
                f"{path}: [{key}] {lang} must be a model id (a string), not {_toml(model)}"
            )
        table[code] = model
    return table


def _check_language_table(path: Path, key: str, name: str, value: object) -> dict[str, str]:
    """Return a per-language setting ([model], [pivot]) as a table of language to model id.

    A plain string, where the setting takes one, is the English value: model = "x" is
    [model] en = "x".
    """
    english_ok = "en" in SPECS[name].default  # type: ignore[operator]
    if isinstance(value, str) and english_ok:
        if not value.strip():
            raise UsageError(f"{path}: {key!r} is empty")
        return {"en": value}
    if not isinstance(value, dict):
        shape = "a model id, or " if english_ok else ""
        raise UsageError(
            f"{path}: {key!r} must be {shape}a table of language = model id, not {_toml(value)}"
        )
    for lang, model in value.items():
        if not isinstance(model, str) or not model.strip():
            raise UsageError(
                f"{path}: [{key}] {lang} must be a model id (a string), not {_toml(model)}"
            )
    try:
        table = language_table(name, value, f"[{key}]")
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if len(table) < len(value):
        raise UsageError(f"{path}: [{key}] names a language twice")
    return table


def parse_language_flags(name: str, values: list[str]) -> dict[str, str]:
    """Return a per-language setting's flags (-m, --pivot) as a table of language to model id.

    A plain MODEL, where the setting takes one, is the English value (-m MODEL). A model id
    never holds "=", so only a language-like left part makes a pair; a local folder named
    "x=y" stays a model.
    """
    spec = SPECS[name]
    flag = spec.spellings()[0]
    english_ok = "en" in spec.default  # type: ignore[operator]
    table: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=")
        code = code_of(left) or left.strip().lower()  # -m fr_FR=MODEL is -m fr=MODEL
        if sep and LANGUAGE_KEY.fullmatch(code) and not os.path.exists(value):
            pair = {code: right}
        elif english_ok:
            if not value.strip():
                # It read "--model en= needs a model id" for a plain -m "" ("-m $MODEL" unset).
                raise UsageError(f"{flag} needs a model id, not an empty one")
            pair = {"en": value}
        else:
            raise UsageError(f"{flag} {value}: give LANG=MODEL, such as {flag} fr=MODEL")
        [(code, model)] = language_table(name, pair).items()
        if code in table:
            raise UsageError(f"{flag}: {code} given twice")
        table[code] = model
    return table


def resolve(
    defaults: dict[str, object],
    file_values: dict[str, object],
    file_path: Path | None,
    flags: dict[str, object],
) -> dict[str, Setting]:
    """Return every setting and its origin: a flag given beats the file, the file the default."""
    # flags must hold only what the user typed; a flag left at its default must not mask the file.
    file_origin = origin_of(file_path)
    settings: dict[str, Setting] = {}
    for key in {**defaults, **file_values, **flags}:
        spec = SPECS.get(key)
        if spec is not None and spec.per_language:
            settings[key] = resolve_table(
                defaults.get(key) or spec.default, file_values.get(key), file_origin, flags.get(key)
            )
        elif key in flags:
            settings[key] = Setting(flags[key], "flag")
        elif key in file_values:
            settings[key] = Setting(file_values[key], file_origin)
        else:
            settings[key] = Setting(defaults[key], "default")
    return settings


def origin_of(file_path: Path | None) -> str:
    """Return how settings name the config file they came from: its path."""
    return str(file_path) if file_path is not None else "config file"


def resolve_table(default: object, in_file: object, file_origin: str, flag: object) -> Setting:
    """Return a per-language setting: flags laid over the file's table, over the default's.

    -m fr=MODEL adds French to the file's [model] table rather than replacing it (and the
    command line lays -t ar=MODEL over a [translator] table the same way).
    """
    value: dict[str, str] = {}
    origins: dict[str, str] = {}
    for table, origin in ((default, "default"), (in_file, file_origin), (flag, "flag")):
        # A plain model id is the English value (a library caller may pass one).
        table = {"en": table} if isinstance(table, str) else table
        for lang, model in dict(table or {}).items():  # type: ignore[call-overload]
            value[lang] = model
            origins[lang] = origin
    origin = "flag" if flag else file_origin if in_file else "default"
    return Setting(value, origin, origins)


def show(settings: dict[str, Setting]) -> str:
    """Return the settings as TOML lines, sorted, each commented with where its value came from.

    A per-language setting is one dotted key per language (model.fr = ...), each with its own
    origin; the lines still load back as a config file.
    """
    rows = []
    for key, setting in _lines(settings):
        # TOML has no null; a commented line keeps the whole output pasteable as a config file.
        line = (
            f"# {key} = (not set)" if setting.value is None else f"{key} = {_toml(setting.value)}"
        )
        if setting.origin == "default":
            note = "# default"
        elif setting.origin == "flag":
            note = "# from the command line"
        else:
            note = f"# from {setting.origin}"
        rows.append((line, note))
    width = max((len(line) for line, _ in rows), default=0)
    return "".join(f"{line.ljust(width)}    {note}\n" for line, note in rows)


def _lines(settings: dict[str, Setting]) -> list[tuple[str, Setting]]:
    """Return the (key, setting) pairs show() writes, per-language tables split by language."""
    lines: list[tuple[str, Setting]] = []
    for key in sorted(settings):
        setting = settings[key]
        if setting.origins is not None and isinstance(setting.value, dict):
            for lang in sorted(setting.value):
                origin = setting.origins.get(lang, setting.origin)
                lines.append((f"{key}.{_toml_key(lang)}", Setting(setting.value[lang], origin)))
        else:
            lines.append((key, setting))
    return lines


def show_engines() -> str:
    """Return a comment line naming the engines --backend may choose, from the registry."""
    return f"# backends: {', '.join(registry.names())}\n"


def show_translators(translator: object, langs: list[str]) -> str:
    """Return, as comments, the translator each language of the run gets where no setting names
    one: its default, or that it has none (the run would stop and ask for -t LANG=MODEL)."""
    lines = []
    for lang in langs:
        chosen = translator.get(lang) if isinstance(translator, dict) else translator
        if lang == "en" or chosen:
            continue
        default = DEFAULT_TRANSLATORS.get(lang)
        lines.append(
            f"# translator for {lang}: {default} (default)\n"
            if default
            else f"# translator for {lang}: none by default; give one with -t {lang}=MODEL\n"
        )
    return "".join(lines)


def show_generation(
    model: str, flags: dict[str, object], origins: Mapping[str, str] | None = None
) -> str:
    """Return, as comments, the generation settings a summary would run with and their origins.

    origins: where each of flags came from ("flag", or the config file's path); "flag" if not
    given.
    """
    from . import hub
    from .engines.settings import describe, facts

    folder = hub.local_snapshot(model)
    if folder is None or not (folder / "config.json").is_file():
        return f"# generation settings of {model}: not known until it is cached (briefer models pull)\n"
    try:
        resolved = facts(folder).summary_settings
    except BrieferError as exc:
        return f"# generation settings of {model}: {exc}\n"
    given = {k: v for k, v in flags.items() if v is not None}
    # Laid over in one call, as a run lays them (a max_length under the model's min_length
    # pulls it down), each labelled where it came from.
    where = {k: (origins or {}).get(k, "flag") for k in given}
    resolved = resolved.with_values(where, **given)
    rows = [
        (f"{name} = {_toml_or_unset(value)}", origin) for name, value, origin in describe(resolved)
    ]
    width = max(len(line) for line, _ in rows)
    head = f"# generation settings of {model}, as every engine receives them:\n"
    return head + "".join(f"#   {line.ljust(width)}    # {origin}\n" for line, origin in rows)


def _toml_or_unset(value: object) -> str:
    """Return a value as TOML, or "(not set)" for None."""
    return "(not set)" if value is None else _toml(value)


def _toml(value: object) -> str:
    """Return a value written as TOML: strings quoted, bools lower-case, dicts as inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    return _toml_string(str(value))


def _toml_key(key: str) -> str:
    """Return a table key bare when TOML allows it, quoted otherwise."""
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    """Return text as a TOML basic string, escaping what TOML forbids raw."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def parse_langs(value: str | list[str]) -> list[str]:
    """Return the language codes in "fr,ar" or ["fr", "ar"], checked, in order, without repeats."""
    # Each item is split too, so repeated flags (-l fr -l ar) and "fr,ar" both work.
    items = [value] if isinstance(value, str) else list(value)
    langs: list[str] = []
    for item in items:
        for part in item.split(","):
            code = check_language(part) if part.strip() else ""
            if code and code not in langs:
                langs.append(code)
    if not langs:
        raise UsageError(f"no language given; choose from: {', '.join(LANGUAGES)}")
    return langs


def parse_translator_flags(
    values: list[str], langs: list[str], any_language: bool = False
) -> str | dict[str, str] | None:
    """Return the -t flags as one model id, or a table of language to model id; None if none.

    any_language: a LANG=MODEL pair may name a language outside langs (batch, whose records
    can each ask for their own language).
    """
    if not values:
        return None
    targets = [lang for lang in langs if lang != "en"]
    pairs: list[tuple[str, str]] = []
    plain: list[str] = []
    for value in values:
        left, sep, right = value.partition("=")
        code = code_of(left) or left.strip().lower()  # -t fr-FR=MODEL is -t fr=MODEL
        # Model ids hold "/" but never "="; only a known language code before "=" makes a pair,
        # so a local folder with "=" in its name still works as a plain model.
        if sep and code in ISO3 and not os.path.exists(value):
            pairs.append((code, right.strip()))
        elif sep and _LANG_LIKE.fullmatch(left.strip()) and not os.path.exists(value):
            raise UsageError(f"-t {value}: {code!r} is not an ISO 639-1 language code")
        else:
            plain.append(value)

    if plain and pairs:
        raise UsageError("give either one -t MODEL or -t LANG=MODEL for each language, not both")
    if plain:
        if len(plain) > 1:
            raise UsageError("-t given several times; use -t LANG=MODEL for each language")
        if not targets and langs:
            # --lang en (given, or the default): an English brief is never translated.
            raise UsageError(
                "-t names a translator, but the brief is in English (--lang en), which needs "
                "none: add --lang fr or --lang ar, or leave -t out"
            )
        if not targets:
            raise UsageError("-t needs a language to translate to: add --lang fr or --lang ar")
        if len(targets) > 1:
            raise UsageError("with several languages, give -t LANG=MODEL for each")
        return plain[0]

    table: dict[str, str] = {}
    for code, model in pairs:
        if code == "en":
            raise UsageError("-t en=...: English is never translated")
        if code not in targets and not any_language:
            asked = ", ".join(targets) or "en only"
            raise UsageError(f"-t {code}=...: {code} is not a requested language ({asked})")
        if code in table:
            raise UsageError(f"-t {code}=... given twice")
        if not model:
            raise UsageError(f"-t {code}= needs a model id after '='")
        table[code] = model
    return table


def check_translator(value: str | dict[str, str] | None, langs: list[str]) -> None:
    """Reject a single translator model for a run in several languages, wherever it was set."""
    # parse_translator_flags catches this for flags; this catches a file's plain string.
    targets = [lang for lang in langs if lang != "en"]
    if isinstance(value, str) and len(targets) > 1:
        raise UsageError(
            "with several languages, give one translator per language: -t LANG=MODEL for each, "
            "or a [translator] table in the config file"
        )
