"""The command line: parse flags into Options, call the library, map errors to exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from . import __version__, escape
from .errors import BrieferError, InputError, ModelError, OutputError, Terminated, UsageError
from .options import (
    DEFAULT_PIVOTS,
    FORMATS,
    SPECS,
    Options,
    OptionSpec,
    command_schema,
    command_spec,
)

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended


@dataclass
class Env:
    """The streams a run talks to; tests swap them for their own (httpie's habit)."""

    # A closed standard stream (`<&-`) is None in Python: read nothing, write nowhere.
    stdin: Any = field(default_factory=lambda: sys.stdin.buffer if sys.stdin else io.BytesIO())
    stdout: TextIO = field(default_factory=lambda: sys.stdout or io.StringIO())
    stderr: TextIO = field(default_factory=lambda: sys.stderr or io.StringIO())
    stdin_isatty: bool = field(default_factory=lambda: bool(sys.stdin and sys.stdin.isatty()))
    stderr_isatty: bool = field(default_factory=lambda: bool(sys.stderr and sys.stderr.isatty()))
    # Each setting of the run, with where it came from (settings_of fills it): an error about
    # --max-length names the config file when that is where the value was set.
    origins: dict[str, tuple[str, object]] = field(default_factory=dict)


app = typer.Typer(
    name="briefer",
    help="Turn news articles into short briefs: summarize, translate (fr, ar), write Markdown.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Inputs = Annotated[
    list[str] | None,
    typer.Argument(
        help="Article files, folders (searched for .txt, .md, .html), globs, URLs, or - for "
        "stdin (read when nothing is given and text is piped).",
        show_default=False,
        metavar="INPUT...",
    ),
]


def _dash_is_stdout(value: Path | None) -> Path | None:
    """Read `-o -` as stdout, as `-` is stdin among the inputs: a script's `-o "${OUT:--}"`
    had written a file named "-"."""
    return None if value is not None and str(value) == "-" else value


def _dash_is_no_folder(value: Path | None) -> Path | None:
    """Refuse `-o -` for batch, which writes a folder of shards, not a stream."""
    if value is not None and str(value) == "-":
        raise typer.BadParameter("batch writes a folder of shards, not stdout: name a folder")
    return value


Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write here (atomically) instead of "
        "stdout (also -o -); with several languages, NAME.LANG.EXT for each.",
        callback=_dash_is_stdout,
    ),
]


def _check_backend(value: str) -> str:
    """Validate --backend against the engine registry, listing every engine installed."""
    from .engines import registry

    if value not in registry.names():
        raise typer.BadParameter(
            f"unknown backend {value!r}; choose one of: {', '.join(registry.names())}"
        )
    return value


# Their help names the engines installed; main() fills it in from the registry before parsing.
_ENGINE_OPTIONS: list[Any] = []


def _describe_engines() -> None:
    """Put the registry's engines (built-in and installed) into every --backend's help."""
    from .engines import registry

    # One scan of the installed packages' entry points serves every command's option.
    described = f"Inference engine: {registry.describe()}."
    for option in _ENGINE_OPTIONS:
        option.help = described


ConfigFile = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Config file [default: $BRIEFER_CONFIG, else $XDG_CONFIG_HOME/briefer/config.toml].",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help=SPECS["quiet"].help)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say what is happening on stderr.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")]

EXIT_PARTIAL = 3


def _version(ctx: typer.Context, value: bool) -> None:
    """Print the version and stop, before any command runs."""
    if value:
        emit(f"briefer {__version__}\n", None, ctx.obj)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn news articles into short briefs: summarize, translate (fr, ar), write Markdown."""


def with_schema(
    before: str, command: str = "summarize"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one parameter per option it takes from options.SCHEMA, placed before
    `before`.

    The parameters' names, types, defaults, flags and help all come from the schema (as
    options.COMMANDS adapts them for the command); the command reads their values through
    settings_of(ctx), which lays them over the config file.
    """

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        """Rewrite the command's signature (what typer reads) to hold the schema's options."""
        own = list(inspect.signature(func, eval_str=True).parameters.values())
        own = [p for p in own if p.kind is not inspect.Parameter.VAR_KEYWORD]
        at = next(k for k, p in enumerate(own) if p.name == before)
        added = [
            inspect.Parameter(
                spec.name,
                inspect.Parameter.KEYWORD_ONLY,
                # A per-language setting's flags come as a list; its default table is in its help.
                default=None if spec.per_language else spec.default,
                annotation=Annotated[spec.kind, _typer_option(spec)],
            )
            for spec in command_schema(command)
        ]
        params = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if k >= at else p
            for k, p in enumerate(own)
        ]
        params = params[:at] + added + params[at:]
        func.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        func.__annotations__ = {p.name: p.annotation for p in params}
        return func

    return wrap


def _typer_option(spec: OptionSpec) -> Any:
    """Return the typer option of one schema entry."""
    engines = spec.choices == "engines"
    option = typer.Option(
        *spec.spellings(),
        metavar=None if spec.kind is bool else spec.metavar,
        help=spec.help,
        callback=_check_backend if engines else None,
        show_default=spec.default is not None and spec.kind is not bool and not spec.per_language,
    )
    if engines:
        _ENGINE_OPTIONS.append(option)
    return option


@app.command()
@with_schema(before="config_file")
def summarize(
    ctx: typer.Context,
    inputs: Inputs = None,
    output: Output = None,
    from_list: Annotated[
        list[str] | None,
        typer.Option(
            "--from-list",
            metavar="FILE",
            help="A file of paths and URLs, one a line (# comments); may be given more than once.",
            show_default=False,
        ),
    ] = None,
    config_file: ConfigFile = None,
    verbose: Verbose = False,
    debug: Debug = False,
    **schema_options: Any,
) -> int:
    """Summarize articles into a brief, optionally translated."""
    from . import batch
    from .cache import ResultCache
    from .sources import expand

    env: Env = ctx.obj
    resolved = settings_of(ctx)
    settings = {key: s.value for key, s in resolved.items()}
    _logging(env, bool(settings["quiet"]), verbose)
    langs, options = options_from(settings)
    _warn_unused_models(resolved)
    for lang in langs:
        # A language with no translator named or by default fails now, not after the summaries;
        # unless summaries can be made in it (the extractive engine, or a summarizer of its
        # own): then only the articles that would need translating into it are left out.
        if options.engine != "extractive" and not options.summarizer_model(lang):
            options.translator_model(lang)
    fmt = settings["format"]
    check_format(fmt, FORMATS)
    named = _names(inputs, env, from_list)
    sources = expand(named, from_list)
    # Fail before minutes of model work, not after: the template, and where the brief goes.
    if fmt == "markdown":
        check_template(settings["template"], cite=bool(settings["cite"]))
    if output is not None:
        outputs = [output_path(output, lang, langs) for lang in langs]
        sources = _without_outputs(sources, named, outputs)
        read = [s.name for s in sources] + [
            n for n in (*(from_list or []), settings["template"]) if n
        ]
        check_outputs(outputs, read)
    stream = fmt == "jsonl" and output is None
    briefer = _briefer(options)
    with _progress(env, bool(settings["quiet"])) as progress:
        outcome = batch.run(
            sources,
            briefer,
            langs,
            stdin=env.stdin,
            cache=ResultCache(enabled=bool(settings["cache"])),
            # A lone source that fails is the run's error, not a brief with nothing in it.
            fail_fast=bool(settings["fail_fast"]) or len(sources) == 1,
            progress=progress,
            on_brief=(lambda _lang, b: emit(json_line(b), None, env)) if stream else None,
            strict_facts=bool(settings["strict_facts"]),
        )
    if not outcome.articles or not any(outcome.briefs.values()):
        # Nothing read, or everything read left out (--strict-facts, no route): no brief is
        # written, so yesterday's stays, and the run fails (a brief of "0 articles" had been
        # written over it, exit 3).
        reasons = "; ".join(f"{f.source}: {f.reason}" for f in outcome.failed)
        # Left out for want of a model, the fix is the model's (exit 4), not the inputs'.
        error = ModelError if outcome.model_failed else InputError
        what = (
            "no article to brief"
            if not outcome.articles
            else "no brief: every article was left out"
        )
        raise error(f"{what} ({reasons})" if reasons else what)
    render_options = {
        "template": settings["template"],
        "title": settings["title"],
        "cite": bool(settings["cite"]),
    }
    if stream:
        emit("".join(failure_line(f) for f in outcome.failed), None, env)
    else:
        write_briefs(outcome, langs, fmt, output, env, render_options)
    if not bool(settings["quiet"]):
        _summary_line(outcome)
    _log_work(briefer)
    return EXIT_PARTIAL if outcome.failed else 0


def _log_work(briefer: Any) -> None:
    """Log (-v) where the run's time went and the model work done; benchmarks/run.py reads both lines."""
    log = logging.getLogger("briefer")
    if briefer.timings:
        log.info(
            "seconds: %s", " ".join(f"{k}={v:.4f}" for k, v in sorted(briefer.timings.items()))
        )
    if log.isEnabledFor(logging.INFO) and (usage := briefer.usage()):
        import json

        # Per model: tokens in, decoder steps and beams, which the benchmark turns into FLOPs.
        log.info("work: %s", json.dumps(usage, sort_keys=True))


def _warn_unused_models(resolved: dict[str, Any]) -> None:
    """Warn when -m names a summarizer that --engine extractive will not use: `-m
    fr=/models/barthez --engine extractive` ran without a word, the model never looked at."""
    model = resolved["model"]
    if resolved["engine"].value != "extractive":
        return
    given = [lang for lang, origin in (model.origins or {}).items() if origin == "flag"] or (
        [] if model.origin != "flag" else list(model.value)
    )
    if given:
        named = " -m ".join(
            model.value[lang] if lang == "en" else f"{lang}={model.value[lang]}"
            for lang in given
            if lang in model.value
        )
        logging.getLogger("briefer").warning(
            "--engine extractive summarizes with no model: -m %s is not used", named
        )


def _without_outputs(sources: list[Any], named: list[str], outputs: list[Path]) -> list[Any]:
    """Drop the brief's own output files from what a folder or glob found: a second run into
    a brief kept in the wire folder had been refused ("that is the input"). A file named
    itself is kept, for check_outputs to refuse."""
    from .output import outputs_among

    found = [s.name for s in sources if not s.error and s.name not in named]
    ours = outputs_among(outputs, found) if found else set()
    for name in sorted(ours):
        logging.getLogger("briefer").info("not reading %s: it is this run's output", name)
    return [s for s in sources if s.name not in ours]


def check_template(template: str | None, cite: bool = False) -> None:
    """Compile a --template and render it on stub briefs, with cite as the run has it
    (imported late: Jinja2).

    The built-in template passes the same check in the test suite, so a run spares it (Jinja2's
    import and two stub renders, 0.07 s of every Markdown brief).
    """
    if template is None:
        return
    from .render import check_template as check

    check(template, cite=cite)


def check_outputs(paths: list[Path], inputs: list[str]) -> None:
    """Refuse output paths that are inputs or cannot be written, before any model work."""
    from .output import refuse_inputs, resolve

    refuse_inputs(paths, inputs)
    for path in paths:
        resolve(path)


def json_line(brief: object) -> str:
    """Render one brief as a JSON line (imported late: render pulls in Jinja2)."""
    from .render import json_line as line

    return line(brief)


def failure_line(failure: object) -> str:
    """Render one failure as a JSON line."""
    from .render import failure_line as line

    return line(failure)


def _briefer(options: Options) -> Any:
    """Build the library object the run goes through."""
    from .brief import Briefer

    return Briefer(options)


def options_from(settings: dict[str, Any]) -> tuple[list[str], Options]:
    """Return the run's languages and the Options its settings describe.

    A setting the command does not take (translate has no --model) keeps Options' default.
    """
    langs = list(settings["lang"])
    fields = {f.name for f in dataclasses.fields(Options)} - {"lang"}
    values = {name: settings[name] for name in fields if name in settings}
    if "allow_private_urls" in values:
        values["allow_private_urls"] = bool(values["allow_private_urls"])
    return langs, Options(lang=langs[0], **values)


def settings_of(
    ctx: typer.Context, single_lang: bool = False, use_file: bool = True, records: bool = False
) -> dict[str, Any]:
    """Return each setting of a run with its origin: flag, config file, or default.

    single_lang: the command takes one language (translate, batch), not a list.
    use_file: read the config file (batch does not: a job's settings are its command line).
    records: records may ask for their own language (batch's `lang` column), so -t LANG=MODEL
    may name a language the run's --lang does not.
    """
    from . import config

    params = dict(ctx.params)
    path = config.config_path(params.get("config_file")) if use_file else None
    file_values = config.load(path) if use_file else {}
    defaults: dict[str, object] = {}
    flags: dict[str, object] = {}
    for name, value in params.items():
        key = name
        if key not in config.KEYS:
            continue
        # typer vendors click: compare the source by name rather than import its private enum.
        source = ctx.get_parameter_source(name)
        given = source is not None and source.name not in {"DEFAULT", "DEFAULT_MAP"}
        if given and config.SPECS[key].per_language:
            # -m fr=MODEL, --pivot de=MODEL: a table laid over the file's, language by language.
            value = config.parse_language_flags(key, value)
        (flags if given else defaults)[key] = value
    settings = config.resolve(defaults, file_values, path, flags)
    # Flags arrive as typed ("fr,ar", ["fr=…"]); settings hold what they mean.
    lang = settings["lang"]
    if lang.value is None:
        raise UsageError("no target language: give --lang fr, ar, de, ...")
    try:
        langs = config.parse_langs(lang.value)
    except UsageError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--lang' / '-l'") from None
    if single_lang and len(langs) > 1:
        where = "" if lang.origin == "flag" else f" (from {lang.origin})"
        raise typer.BadParameter(
            f"one language at a time here, not {', '.join(langs)}{where}",
            param_hint="'--lang' / '-l'",
        )
    settings["lang"] = config.Setting(langs, lang.origin)
    translator = settings["translator"]
    # typer hands a repeatable flag over as a tuple (empty when not given).
    if isinstance(translator.value, (list, tuple)):
        value = config.parse_translator_flags(translator.value, langs, any_language=records)
        in_file = file_values.get("translator")
        if isinstance(value, dict) and isinstance(in_file, dict):
            # -t ar=MODEL adds Arabic to the file's [translator] table, as -m and --pivot do.
            settings["translator"] = config.resolve_table(
                None, in_file, config.origin_of(path), value
            )
        else:
            uncovered = [lang for lang in langs if lang != "en" and lang not in (value or {})]
            if isinstance(value, dict) and isinstance(in_file, str) and uncovered:
                # One model for the file's language cannot be laid under a per-language flag:
                # the languages the flags leave out get their defaults, not the file's model.
                logging.getLogger("briefer").warning(
                    "-t %s replaces the config file's translator = %r, so %s gets its default; "
                    "give -t LANG=MODEL for each language, or a [translator] table in the file",
                    " -t ".join(f"{k}={v}" for k, v in value.items()),
                    in_file,
                    ", ".join(uncovered),
                )
            settings["translator"] = config.Setting(value, translator.origin)
    config.check_translator(settings["translator"].value, langs)
    quiet = settings.get("quiet")
    if params.get("verbose") and quiet is not None and quiet.value:
        if quiet.origin == "flag":
            raise UsageError("-q and -v ask for opposite things: give one of them")
        # -v on the command line beats `quiet = true` in the config file, as every flag does.
        settings["quiet"] = config.Setting(False, "flag")
    if isinstance(ctx.obj, Env):
        ctx.obj.origins = {key: (s.origin, s.value) for key, s in settings.items()}
    return settings


def write_briefs(
    outcome: Any, langs: list[str], fmt: str, output: Path | None, env: Env, extra: dict[str, Any]
) -> None:
    """Render the run's briefs and write them: one document per language, or one to stdout."""
    from .output import is_direct
    from .render import render

    def rendered(briefs: list[Any]) -> str:
        """Return briefs in the run's format, with the sources left out listed."""
        return render(briefs, fmt, failed=outcome.failed, **extra)

    if output is None or (len(langs) > 1 and is_direct(output)):
        # stdout, or a device or FIFO (-o /dev/null), takes every language in one stream: one
        # JSON document (or stream) holds them all, each brief naming its own language.
        if fmt in {"json", "jsonl"}:
            whole = rendered([b for lang in langs for b in outcome.briefs[lang]])
        else:
            whole = "\n".join(rendered(outcome.briefs[lang]) for lang in langs)
        emit(whole, output, env)
        return
    _write_files(
        [(output_path(output, lang, langs), rendered(outcome.briefs[lang])) for lang in langs]
    )


def output_path(output: Path, lang: str, langs: list[str]) -> Path:
    """Return where one language's brief goes: the path given, or NAME.LANG.EXT for several;
    a device or FIFO (-o /dev/null) takes them all."""
    from .output import is_direct

    if len(langs) == 1 or is_direct(output):
        return output
    return output.with_name(f"{output.stem}.{lang}{output.suffix}")


def _summary_line(outcome: Any) -> None:
    """Tell stderr which briefs need an editor's check, and which sources were left out."""
    log = logging.getLogger("briefer")
    checked = 0
    for lang, briefs in outcome.briefs.items():
        for brief in briefs:
            if brief.checks:
                checked += 1
                found = "; ".join(dict.fromkeys(f"{c.text} ({c.where})" for c in brief.checks))
                # Model output and file names stay on one line (see escape.py).
                log.warning(
                    "check %s [%s]: %s", escape.name(brief.source), lang, escape.one_line(found)
                )
    notes = []
    if checked:
        notes.append(f"{checked} brief(s) to check")
    if outcome.failed:
        notes.append(f"{len(outcome.failed)} source(s) not included")
    if outcome.duplicates:
        notes.append(f"{len(outcome.duplicates)} duplicate(s) briefed once")
    if notes:
        logging.getLogger("briefer").warning("%s", "; ".join(notes))


@contextlib.contextmanager
def _progress(env: Env, quiet: bool) -> Iterator[Callable[[int, int, str], None] | None]:
    """Yield a progress callback drawing a bar on a terminal's stderr, or None elsewhere."""
    if quiet or not env.stderr_isatty:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]briefing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=Console(file=env.stderr, force_terminal=True),
        transient=True,
    )
    task = bar.add_task("", total=None)

    def update(done: int, total: int, last: str) -> None:
        """Move the bar to so many articles done."""
        bar.update(task, completed=done, total=total, description=Path(last).name if last else "")

    with bar:
        yield update


@app.command()
@with_schema(before="config_file", command="translate")
def translate(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Text or Markdown files, or - for stdin (read when nothing is given "
            "and text is piped).",
            show_default=False,
            metavar="INPUT...",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (atomically) instead of stdout (also -o -).",
            callback=_dash_is_stdout,
        ),
    ] = None,
    config_file: ConfigFile = None,
    verbose: Verbose = False,
    debug: Debug = False,
    **schema_options: Any,
) -> None:
    """Translate a text or Markdown file as is, keeping its Markdown structure."""
    import json

    from .checks import main_script
    from .render import json_record, rtl_document
    from .sources import TEXT_SUFFIXES, decode

    env: Env = ctx.obj
    settings = {key: s.value for key, s in settings_of(ctx, single_lang=True).items()}
    _logging(env, bool(settings["quiet"]), verbose)
    fmt = settings["format"]
    check_format(fmt, command_spec("translate", "format").choices)  # type: ignore[arg-type]
    langs, options = options_from(settings)
    lang = langs[0]
    if lang == "en":
        raise UsageError("translate needs a target language other than en: --lang fr, ar, de, ...")
    raw = read_raw(inputs, env, options.max_input_bytes)
    if output is not None:
        check_outputs([output], [source for source, _ in raw])
    for source, _ in raw:
        # Read as prose, a data file's keys, quotes and brackets were translated or lost with
        # exit 0; its texts are for a script to pull out (jq, csvcut) and translate.
        kind = Path(source).suffix.lower()
        if kind in _DATA_SUFFIXES:
            raise InputError(
                f"{_label(source)}: a {kind[1:].upper()} data file; translate reads text or "
                "Markdown (give it the text, or brief a dataset with briefer batch)"
            )
    texts = [(source, decode(data, _label(source))) for source, data in raw]
    briefer = _briefer(options)
    # Each document: its source, its translation, the checks of the passages the guard kept, and
    # whether it came back as it was.
    results = []
    for source, text in texts:
        if Path(source).suffix.lower() in (".html", ".htm"):
            # Read as Markdown, a page is HTML blocks, copied as they are; as text, its tags
            # would go to the model.
            logging.getLogger("briefer").warning(
                "%s: an HTML page; translate reads text or Markdown, not pages "
                "(briefer summarize reads pages)",
                _label(source),
            )
        script = main_script(text)
        if script not in ("LATIN", None):
            # Every translator here reads English: an Arabic document went into opus-mt-en-fr
            # and came back as whatever it made of it, without a word.
            logging.getLogger("briefer").warning(
                "%s: written in %s script, not English, which the translator reads: what it "
                "writes will not be a translation (briefer summarize reads other languages "
                "through a pivot)",
                _label(source),
                script.title(),
            )
        kept: list[Any] = []
        # JSON carries the document as translated Markdown; -f text, and a .txt file whatever
        # the format, are read as plain text: as Markdown, Reuters' indented paragraphs are
        # code blocks, copied untranslated, and "#5 seed wins" would come back "\#5 ...".
        as_text = fmt == "text" or Path(source).suffix.lower() in TEXT_SUFFIXES
        translated = briefer.translate(text, markdown=not as_text, kept=kept)
        notes = [_kept_note(k, lang) for k in kept]
        for note in notes:
            logging.getLogger("briefer").warning(
                "%s: %s: %s", _label(source), note["where"], note["text"]
            )
        # A document that comes back as it was (kept by the guard, all code, or an HTML
        # page) is not in the target language: no right-to-left wrapper goes around it.
        # Compared by words: read as plain text, a file's last newline does not come back.
        # Plain text gets no wrapper either: it is not Markdown, and the <div> came out as
        # text around a .txt file's translation.
        unwrapped = translated.split() == text.split() or as_text
        results.append((source, translated, notes, unwrapped))
    if fmt in ("json", "jsonl"):
        records = [
            json_record(
                {
                    "source": s,
                    "language": lang,
                    "translator": briefer.translator().name,
                    "text": t,
                    "checks": notes,
                }
            )
            for s, t, notes, _ in results
        ]
        if fmt == "jsonl":  # the same shape whatever the number of inputs, for scripts
            out = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        else:
            one = records if len(records) > 1 else records[0]
            out = json.dumps(one, ensure_ascii=False, indent=2)
    elif fmt == "markdown":
        # One blank line between documents, wrapped or not (a wrapper's last newline and the
        # separator had made two).
        out = "\n\n".join(
            (t if unwrapped else rtl_document(t, lang)).rstrip("\n")
            for _, t, _, unwrapped in results
        )
    else:
        out = "\n\n".join(t for _, t, _, _ in results)
    out = out.rstrip("\n") + "\n"
    if fmt not in ("json", "jsonl") and all(_crlf(data) for _, data in raw):
        # Read with "\n" line ends; a Windows file gets its own back.
        out = out.replace("\n", "\r\n")
    emit(out, output, env)
    _log_work(briefer)


def _crlf(data: bytes) -> bool:
    """Return whether a text's lines all end in CRLF (and it has some)."""
    return b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")


def _kept_note(kept: Any, lang: str) -> dict[str, str]:
    """Return the check a passage kept untranslated gets: kind, text and where (its start)."""
    words = kept.text.split()
    start = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
    return {
        "kind": "untranslated",
        "text": f"the translation {kept.untranslated}; left as it was",
        "where": f"{start!r} ({lang})",
    }


@app.command()
@with_schema(before="ray_address", command="batch")
def batch(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="JSON Lines, Parquet or CSV files (columns id, text, and optionally title, "
            "url, lang), folders or globs of them, or a folder of article files.",
            show_default=False,
            metavar="INPUT...",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            # A file there is the output's fault (exit 1, said by the batch runner), not a
            # usage error.
            help="Folder of record shards; a rerun into it writes only what is missing.",
            show_default=False,
            callback=_dash_is_no_folder,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="Shards: parquet or jsonl.")
    ] = "parquet",
    input_format: Annotated[
        str,
        typer.Option(
            metavar="FORMAT", help="auto (from the suffixes), jsonl, parquet, csv or files."
        ),
    ] = "auto",
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            envvar="RAY_ADDRESS",
            help="Ray cluster to run on [default: a local Ray on this machine].",
            show_default=False,
        ),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Actors (model copies) [default: as many as fit, at --cpus-per-actor each, in "
            "the cluster's CPUs less one, kept free for Ray's own tasks; a local Ray counts "
            "one CPU more than the machine has, so one per CPU here].",
        ),
    ] = None,
    cpus_per_actor: Annotated[float, typer.Option(metavar="N", help="CPUs per actor.")] = 1.0,
    gpus_per_actor: Annotated[float, typer.Option(metavar="N", help="GPUs per actor.")] = 0.0,
    records_per_batch: Annotated[
        int, typer.Option(metavar="N", help="Records per actor call, and per shard.")
    ] = 16,
    model_cache: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="Folder every node can read, for CTranslate2 conversions made once "
            "[default: each node's own cache].",
            show_default=False,
        ),
    ] = None,
    retry_errors: Annotated[
        bool,
        typer.Option(
            "--retry-errors",
            help="Brief again the records an earlier run wrote with an error (a rerun "
            "otherwise keeps them as they are).",
        ),
    ] = False,
    verbose: Verbose = False,
    debug: Debug = False,
    **schema_options: Any,
) -> int:
    """Brief a dataset of articles on Ray: records in, one record out per id, resumable."""
    from . import dataset

    env: Env = ctx.obj
    # A job's settings are all on its command line (and recorded in its _briefer.json), so a
    # rerun elsewhere cannot differ by a config file left on one machine.
    settings = settings_of(ctx, single_lang=True, use_file=False, records=True)
    settings = {key: s.value for key, s in settings.items()}
    quiet = bool(settings["quiet"])
    _logging(env, quiet, verbose)
    if output is None:
        raise UsageError("batch needs an output folder: -o DIR")
    check_format(fmt, ("parquet", "jsonl"))
    _, options = options_from(settings)
    sizing = dataset.Sizing(actors, cpus_per_actor, gpus_per_actor, records_per_batch)
    result = dataset.run_batch(
        inputs or [],
        output,
        options,
        fmt=fmt,
        input_format=input_format,
        sizing=sizing,
        address=ray_address,
        model_cache=model_cache,
        progress=None if quiet else _batch_progress(env),
        verbose=verbose,
        retry_errors=retry_errors,
        stop_on_sigterm=True,  # cron's and systemd's stop: exit 143 with one line
    )
    if not quiet:
        earlier = result.errors - result.failed  # skipped records written with an error
        env.stderr.write(
            f"briefer: {result.written:,} record(s) written ({result.failed:,} with an error), "
            f"{result.skipped:,} already there"
            + (f" ({earlier:,} with an error: --retry-errors briefs them again)" if earlier else "")
            + (f", {result.retried:,} earlier error(s) retried" if result.retried else "")
            # Ids the input gives twice (7, "7" and 7.0 are one id): one copy of each is kept.
            + (f", {result.repeats:,} repeated id(s) dropped" if result.repeats else "")
            + f", in {result.seconds:.1f} s\n"
        )
    # The folder is the job's result: any record in it with an error is a partial job, whichever
    # run wrote it, so a rerun that only skips does not turn it into a success.
    return EXIT_PARTIAL if result.errors else 0


def _batch_progress(env: Env) -> Callable[[int, int, int, float], None]:
    """Return a progress callback for batch: records done of all, rate and ETA, on stderr."""
    last = [0.0]

    def report(done: int, total: int, failed: int, seconds: float) -> None:
        """Write one progress line, at most every two seconds, and always the last."""
        if done < total and seconds - last[0] < 2:
            return
        last[0] = seconds
        rate = done / seconds if seconds > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        env.stderr.write(
            f"briefer: {done:,}/{total:,} records ({failed:,} failed), {rate:.1f} records/s, "
            f"ETA {int(eta // 60)}:{int(eta % 60):02d}\n"
        )
        env.stderr.flush()

    return report


cache_app = typer.Typer(help="The result cache: what re-runs reuse.", no_args_is_help=True)
config_app = typer.Typer(help="The config file: newsroom defaults.", no_args_is_help=True)
models_app = typer.Typer(
    help="The default models: what is cached, and fetching them.", no_args_is_help=True
)
app.add_typer(cache_app, name="cache")
app.add_typer(config_app, name="config")
app.add_typer(models_app, name="models")


@cache_app.command("info")
def cache_info(ctx: typer.Context) -> None:
    """Show where the result cache is and how much it holds, and the CTranslate2 conversions."""
    from .cache import ResultCache
    from .ctranslate import cache_root, conversions
    from .hub import human_size

    info = ResultCache(strict=True).info()
    converted = conversions()
    emit(
        f"path: {info['path']}\nentries: {info['entries']}\nsize: {human_size(info['bytes'])}\n"
        f"oldest: {info['oldest'] or '-'}\nnewest: {info['newest'] or '-'}\n"
        f"conversions: {cache_root()} ({len(converted)} model(s), "
        f"{human_size(sum(size for _, size in converted))})\n",
        None,
        ctx.obj,
    )


@cache_app.command("clear")
def cache_clear(
    ctx: typer.Context,
    conversions: Annotated[
        bool,
        typer.Option(
            "--conversions",
            help="Also remove the CTranslate2 conversions (each is made again on next use).",
        ),
    ] = False,
) -> None:
    """Empty the result cache."""
    from .cache import ResultCache

    removed = ResultCache(strict=True).clear()
    emit(f"removed {removed} cached result(s)\n", None, ctx.obj)
    if conversions:
        from .ctranslate import remove_conversions

        emit(f"removed {remove_conversions()} CTranslate2 conversion(s)\n", None, ctx.obj)


@config_app.command(
    "show",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    options_metavar="[SUMMARIZE FLAGS]",
)
def config_show(ctx: typer.Context, config_file: ConfigFile = None) -> None:
    """Print the settings a summarize run would use and where each comes from.

    It takes every flag of `briefer summarize` (see briefer summarize --help), to show
    their effect: briefer config show --lang fr,ar. Inputs and -o are read and not used.
    Settings a run would refuse are printed, then said as an error (exit 2).
    """
    command = typer.main.get_command(app).commands["summarize"]  # type: ignore[attr-defined]
    args = list(ctx.args) + (["--config", config_file] if config_file else [])
    with command.make_context("briefer config show", args, obj=ctx.obj) as sub:
        settings = settings_of(sub)
    from .config import show, show_engines, show_generation, show_translators

    # Each generation setting under its name in the model's config, with where it was set.
    names = {"max_length": "max_length", "min_length": "min_length", "num_beams": "beams"}
    flags = {name: settings[key].value for name, key in names.items()}
    origins = {name: settings[key].origin for name, key in names.items()}
    out = show(settings).rstrip("\n") + "\n"
    out += show_translators(settings["translator"].value, list(settings["lang"].value))
    out += show_engines()
    if settings["engine"].value != "extractive":
        out += show_generation(str(settings["model"].value["en"]), flags, origins)
    emit(out, None, ctx.obj)
    # What a run would refuse (min_length above max_length, an unknown --source-lang), said
    # after the settings, with the run's exit code: the file had looked fine here.
    options_from({key: setting.value for key, setting in settings.items()})


@models_app.command("list")
def models_list(ctx: typer.Context) -> None:
    """List the default model of each task and language, whether it is cached, and its size.

    pivot:fr is the translator into English of articles written in French.
    """
    from .hub import default_models, describe, human_size

    rows = [describe(task, name) for task, name in default_models()]
    width = max(len(r.name) for r in rows)
    lines = []
    for r in rows:
        state = f"cached  {human_size(r.size):>8}" if r.cached else "missing"
        lines.append(f"{r.task:<13} {r.name:<{width}}  {state}\n")
    emit("".join(lines), None, ctx.obj)


@models_app.command("pull")
def models_pull(
    ctx: typer.Context,
    lang: Annotated[
        str, typer.Option("--lang", "-l", metavar="LANGS", help="Translators to fetch, e.g. fr,ar.")
    ] = ("fr,ar"),
    source_lang: Annotated[
        str,
        typer.Option(
            "--source-lang",
            metavar="LANGS",
            help="Pivot translators to fetch, for articles written in these languages "
            "(en for none).",
        ),
    ] = ",".join(DEFAULT_PIVOTS),
    quiet: Quiet = False,
) -> None:
    """Fetch the default models into the Hugging Face cache, so later runs work offline."""
    from .config import parse_langs
    from .hub import default_models, pull

    langs = [code for code in parse_langs(lang) if code != "en"]
    sources = [code for code in parse_langs(source_lang) if code != "en"]
    for task, name in default_models(langs, sources):
        ctx.obj.stderr.write(f"briefer: fetching {name} ({task})\n") if not quiet else None
        path = pull(name, progress=not quiet and ctx.obj.stderr_isatty)
        emit(f"{name}  {path}\n", None, ctx.obj)


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    """Validate a --format value as a usage error that lists the allowed ones."""
    if fmt not in allowed:
        raise typer.BadParameter(
            f"unknown format {fmt!r}; choose one of: {', '.join(allowed)}",
            param_hint="'--format' / '-f'",
        )


def _names(inputs: list[str] | None, env: Env, from_list: list[str] | None) -> list[str]:
    """Return the input names, or stdin when none are given and text is piped in."""
    names = list(inputs or [])
    if not names and not from_list:
        if env.stdin_isatty:
            raise UsageError("no input: name an article file, or pipe text in (use - for stdin)")
        names = ["-"]
    if names.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    return names


def read_raw(
    inputs: list[str] | None, env: Env, max_bytes: int = SPECS["max_input_bytes"].default
) -> list[tuple[str, bytes]]:
    """Return the bytes of each input, in order; stdin when '-' or nothing is given and piped.

    Each input past max_bytes is refused (an InputError), stdin and devices included.
    """
    from .sources import is_url, read_bytes, read_limited

    names = _names(inputs, env, None)
    for name in names:
        if is_url(name):
            # It said "no such file": translate keeps a document's structure, which a page's
            # extracted article no longer has.
            raise UsageError(
                f"{name}: translate reads files and stdin, not URLs (save the page, or "
                "`briefer summarize URL --lang LANG` to brief it)"
            )
    return [
        (n, read_limited(env.stdin, max_bytes) if n == "-" else read_bytes(n, max_bytes))
        for n in names
    ]


def _label(name: str) -> str:
    """Return how messages name an input: its path, or "stdin"."""
    return "stdin" if name == "-" else name


def emit(text: str, output: Path | None, env: Env) -> None:
    """Write the result to stdout in full, or to a file all-or-nothing."""
    from .output import write_stdout

    if output is not None:
        _write_files([(output, text)])
        return
    try:
        write_stdout(text, env.stdout)
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and nowhere to say it.
        _silence_stdout(env.stdout)
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except OSError as exc:
        raise OutputError(f"cannot write to stdout: {exc.strerror or exc}") from None


def _write_files(files: list[tuple[Path, str]]) -> None:
    """Write -o files all-or-nothing; a FIFO whose reader went away ends the run as stdout's
    does (exit 141, nothing said), not through click, which makes any EPIPE a silent exit 1."""
    from .output import write_all

    try:
        write_all(files)
    except BrokenPipeError:
        raise typer.Exit(EXIT_BROKEN_PIPE) from None


def _logging(env: Env, quiet: bool, verbose: bool) -> None:
    """Send briefer's log to stderr at the level the flags ask for, and quiet the libraries."""
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("briefer")
    logger.handlers[:] = []
    handler = logging.StreamHandler(env.stderr)
    handler.setFormatter(_OneLine("briefer: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    if not verbose:
        # transformers and the hub client print warnings and progress bars meant for developers.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class _OneLine(logging.Formatter):
    """Log one line per message: names with newlines or terminal escapes cannot fake
    lines on stderr or recolour the terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        """Return the message with control characters shown as escapes."""
        from .escape import name

        return name(super().formatMessage(record))


def _message(text: str) -> str:
    """Return an error message as one line, control characters shown as escapes."""
    from .escape import name

    return name(text)


def _usage_message(exc: typer.TyperException, args: list[str]) -> str:
    """Return click's message for a usage error on one line, with where that command's help is."""
    message = _message(exc.format_message())
    ctx = getattr(exc, "ctx", None)  # click's UsageError and its kinds carry their command
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        return message + f" (see '{ctx.command_path} {ctx.help_option_names[0]}')"
    # A flag missing its value is found before any command has a context: name the command
    # from the arguments, as far as they go.
    group: Any = typer.main.get_command(app)
    path = ["briefer"]
    for arg in args:
        command = getattr(group, "commands", {}).get(arg)
        if command is None:
            break
        path.append(arg)
        group = command
    return message + f" (see '{' '.join(path)} --help')"


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """Run the CLI and return its exit code: the one place errors become messages and codes."""
    args = sys.argv[1:] if argv is None else list(argv)
    env = env or Env()
    debug = "--debug" in args
    try:
        # Listing the engines may warn (a plugin that cannot be loaded): in briefer's format,
        # and not under -q, before any command has set the log up from its own flags.
        _logging(env, quiet="-q" in args or "--quiet" in args, verbose=False)
        _describe_engines()
        _refuse_empty_output(args)
        # typer prints help, versions and usage errors to sys.stdout/stderr: point those at env.
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            # Without standalone mode, typer returns the code of an Exit raised in a command.
            code = app(args=args, prog_name="briefer", standalone_mode=False, obj=env)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:  # click's word for EOF at a prompt, and for Ctrl-C outside a command
        return _stopped(None, env)
    except Terminated as exc:
        return _stopped(exc, env)
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            # `briefer` or `briefer cache` alone: the help, as it is (exit code 2).
            env.stderr.write(exc.format_message().rstrip("\n") + "\n")
            return exc.exit_code
        # Usage errors (exit code 2): one line like every other error, not click's four.
        env.stderr.write(f"briefer: error: {_usage_message(exc, args)}\n")
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _stopped(exc, env)
    except BrokenPipeError:
        _silence_stdout(env.stdout)
        return EXIT_BROKEN_PIPE
    except BrieferError as exc:
        if debug:
            traceback.print_exc(file=env.stderr)
        env.stderr.write(f"briefer: error: {_message(_set_where(str(exc), env.origins))}\n")
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if debug:
            traceback.print_exc(file=env.stderr)
            return 1
        message = _message(f"{type(exc).__name__}: {exc}")
        env.stderr.write(f"briefer: error: {message} (--debug shows more)\n")
        return 1
    code = code if isinstance(code, int) else 0
    if code == EXIT_INTERRUPTED:  # typer's word for KeyboardInterrupt
        return _stopped(None, env)
    return code


# Flags that take a path: an empty one is what `--glossary "$GLOSSARY"` gives when the
# variable is unset, and was read as the flag left out (the built-in template, no glossary,
# the config file found the usual way) without a word.
# Files that hold data, not a document: `translate` refuses them.
_DATA_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".xml"})
_PATH_FLAGS = ("--config", "--template", "--glossary", "--prompt", "--from-list", "--model-cache")


def _set_where(message: str, origins: dict[str, tuple[str, object]]) -> str:
    """Add to an error quoting a flag with its value where that value was set, when that was
    no flag: a config file's max_length = 99999 was reported as "--max-length 99999 is more
    than ...", a flag nobody gave. A flag named only as a hint ("--pivot de=MODEL") is not."""
    found: dict[str, list[str]] = {}
    for key, (origin, value) in origins.items():
        if origin in ("flag", "default") or isinstance(value, (dict, list, tuple)):
            continue
        flag = "--" + key.replace("_", "-")
        quoted = rf"{re.escape(flag)}\W{{0,3}}'?{re.escape(str(value))}(?![\w-])"
        if re.search(quoted, message):
            found.setdefault(origin, []).append(key)
    notes = [
        f"{' and '.join(keys)} {'is' if len(keys) == 1 else 'are'} set in {origin}"
        for origin, keys in found.items()
    ]
    return f"{message} ({'; '.join(notes)})" if notes else message


def _refuse_empty_output(args: list[str]) -> None:
    """Refuse `-o ""`, what `-o "$OUT"` gives when OUT is unset: click reads it as ".", the
    current folder, where batch would write its shards and summarize fail on a folder. So
    for every flag that takes a path (_PATH_FLAGS)."""
    for flag, value in zip(args, [*args[1:], None], strict=False):
        if flag == "--":
            return  # what follows is input, not flags
        if (flag in ("-o", "--output") and value == "") or flag == "--output=":
            raise UsageError("-o needs a path, not an empty one (is its shell variable set?)")
        name = flag.removesuffix("=")
        if name in _PATH_FLAGS and (value == "" or flag.endswith("=")):
            raise UsageError(f"{name} needs a path, not an empty one (is its shell variable set?)")


def _stopped(exc: BaseException | None, env: Env) -> int:
    """Say a run was stopped (Ctrl-C, or SIGTERM where briefer handles it) and return its code."""
    if isinstance(exc, Terminated):
        env.stderr.write("briefer: terminated\n")
        return EXIT_TERMINATED
    env.stderr.write("briefer: interrupted\n")
    return EXIT_INTERRUPTED


def _silence_stdout(stream: Any) -> None:
    """Point stdout at /dev/null so Python's exit flush does not raise BrokenPipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run() -> None:
    """Console-script entry point."""
    code = main()
    try:
        # A stream closed by the shell (`>&-`) is None: nothing to flush (it had raised an
        # AttributeError traceback after -o wrote the brief).
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (BrokenPipeError, ValueError):
        code = code or EXIT_BROKEN_PIPE
    # Everything is written and every cache entry committed; tearing down torch and the
    # CTranslate2 workers would only add a few hundred milliseconds to every run.
    os._exit(code)
