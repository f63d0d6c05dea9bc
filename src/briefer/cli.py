"""The command line: parse flags into Options, call the library, map errors to exit codes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from . import __version__
from .errors import BrieferError, OutputError, UsageError
from .options import DEVICES, FORMATS, LANGUAGES, Options, check_language

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


@dataclass
class Env:
    """The streams a run talks to; tests swap them for their own (httpie's habit)."""

    stdin: Any = field(default_factory=lambda: sys.stdin.buffer)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin_isatty: bool = field(default_factory=lambda: sys.stdin is not None and sys.stdin.isatty())
    stderr_isatty: bool = field(default_factory=lambda: sys.stderr.isatty())


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
    typer.Argument(help="Article files, or - for stdin (read when nothing is given and text is piped).",
                   show_default=False),
]
Lang = Annotated[str, typer.Option("--lang", "-l", help=f"Language of the brief: {', '.join(LANGUAGES)}.")]
Translator = Annotated[
    str | None,
    typer.Option("--translator", "-t", help="Translation model: hub id or local folder "
                 "[default: Helsinki-NLP/opus-mt-en-fr for fr, Helsinki-NLP/opus-mt-tc-big-en-ar for ar]."),
]
Format = Annotated[str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.")]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.", dir_okay=False),
]
Device = Annotated[str, typer.Option("--device", help=f"Where models run: {', '.join(DEVICES)}.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but the result and errors.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say what is happening on stderr.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")]


def _version(value: bool) -> None:
    """Print the version and stop, before any command runs."""
    if value:
        typer.echo(f"briefer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn news articles into short briefs: summarize, translate (fr, ar), write Markdown."""


@app.command()
def summarize(
    ctx: typer.Context,
    inputs: Inputs = None,
    lang: Lang = "en",
    model: Annotated[
        str, typer.Option("--model", "-m", help="Summarization model: hub id or local folder.")
    ] = Options.model,
    translator: Translator = None,
    fmt: Format = "markdown",
    output: Output = None,
    max_length: Annotated[
        int | None, typer.Option(help="Longest summary, in tokens [default: the model's].")
    ] = None,
    min_length: Annotated[
        int | None, typer.Option(help="Shortest summary, in tokens [default: the model's].")
    ] = None,
    beams: Annotated[int | None, typer.Option(help="Beam-search width [default: the model's].")] = None,
    prompt: Annotated[
        str | None,
        typer.Option(help="Model-input template: a name from prompts/ or a file with {text}."),
    ] = None,
    device: Device = "auto",
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Summarize articles into a brief, optionally translated."""
    from .brief import Briefer
    from .render import render

    env: Env = ctx.obj
    _logging(env, quiet, verbose)
    check_format(fmt, FORMATS)
    options = Options(
        lang=_lang(lang), model=model, translator=translator, max_length=max_length,
        min_length=min_length, beams=beams, device=device, prompt=prompt,
    )
    articles = read_inputs(inputs, env)
    briefs = Briefer(options).brief_many(articles)
    emit(render(briefs, fmt), output, env)


@app.command()
def translate(
    ctx: typer.Context,
    inputs: Inputs = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="Target language: fr or ar.")] = ...,
    translator: Translator = None,
    fmt: Format = "markdown",
    output: Output = None,
    device: Device = "auto",
    quiet: Quiet = False,
    verbose: Verbose = False,
    debug: Debug = False,
) -> None:
    """Translate a text or Markdown file as is, keeping its Markdown structure."""
    import json

    from .brief import Briefer
    from .render import rtl
    from .sources import decode

    env: Env = ctx.obj
    _logging(env, quiet, verbose)
    check_format(fmt, FORMATS)
    if _lang(lang) == "en":
        raise UsageError("translate needs a target language other than en: --lang fr or --lang ar")
    options = Options(lang=lang, translator=translator, device=device)
    texts = [(source, decode(data, _label(source))) for source, data in read_raw(inputs, env)]
    briefer = Briefer(options)
    results = [(source, briefer.translate(text, markdown=fmt == "markdown")) for source, text in texts]
    if fmt == "json":
        records = [{"source": s, "language": lang, "translator": briefer.translator.name, "text": t}
                   for s, t in results]
        out = json.dumps(records if len(records) > 1 else records[0], ensure_ascii=False, indent=2)
    elif fmt == "markdown":
        out = "\n\n".join(rtl(t, lang) for _, t in results)
    else:
        out = "\n\n".join(t for _, t in results)
    emit(out.rstrip("\n") + "\n", output, env)


def _lang(value: str) -> str:
    """Validate a --lang value as a usage error that lists the supported codes."""
    try:
        return check_language(value.strip().lower())
    except UsageError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--lang' / '-l'") from None


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    """Validate a --format value as a usage error that lists the allowed ones."""
    if fmt not in allowed:
        raise typer.BadParameter(
            f"unknown format {fmt!r}; choose one of: {', '.join(allowed)}",
            param_hint="'--format' / '-f'",
        )


def read_raw(inputs: list[str] | None, env: Env) -> list[tuple[str, bytes]]:
    """Return the bytes of each input, in order; stdin when '-' or nothing is given and piped."""
    from .sources import read_bytes

    names = list(inputs or [])
    if not names:
        if env.stdin_isatty:
            raise UsageError("no input: name an article file, or pipe text in (use - for stdin)")
        names = ["-"]
    if names.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    return [(name, env.stdin.read() if name == "-" else read_bytes(name)) for name in names]


def read_inputs(inputs: list[str] | None, env: Env) -> list:
    """Return the articles the inputs name, in order."""
    from .sources import decode, parse_article

    return [parse_article(decode(data, _label(name)), name) for name, data in read_raw(inputs, env)]


def _label(name: str) -> str:
    """Return how messages name an input: its path, or "stdin"."""
    return "stdin" if name == "-" else name


def emit(text: str, output: Path | None, env: Env) -> None:
    """Write the result to stdout, or atomically to a file so a failure never leaves half of one."""
    if output is None:
        try:
            env.stdout.write(text)
            env.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): nothing more to say, and nowhere to say it.
            _silence_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        return
    write_atomic(output, text)


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename."""
    path = path.expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; a brief should get the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _logging(env: Env, quiet: bool, verbose: bool) -> None:
    """Send briefer's log to stderr at the level the flags ask for, and quiet the libraries."""
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("briefer")
    logger.handlers[:] = []
    handler = logging.StreamHandler(env.stderr)
    handler.setFormatter(logging.Formatter("briefer: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    if not verbose:
        # transformers and the hub client print warnings and progress bars meant for developers.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """Run the CLI and return its exit code: the one place errors become messages and codes."""
    args = sys.argv[1:] if argv is None else list(argv)
    env = env or Env()
    debug = "--debug" in args
    try:
        # typer prints help, versions and usage errors to sys.stdout/stderr: point those at env.
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            # Without standalone mode, typer returns the code of an Exit raised in a command.
            code = app(args=args, prog_name="briefer", standalone_mode=False, obj=env)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        env.stderr.write("briefer: interrupted\n")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:
        # Usage errors: typer prints its own message with a usage line, exit code 2.
        exc.show(file=env.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        env.stderr.write("briefer: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except BrieferError as exc:
        if debug:
            traceback.print_exc(file=env.stderr)
        env.stderr.write(f"briefer: error: {exc}\n")
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if debug:
            traceback.print_exc(file=env.stderr)
            return 1
        env.stderr.write(f"briefer: error: {type(exc).__name__}: {exc} (--debug shows more)\n")
        return 1
    code = code if isinstance(code, int) else 0
    if code == EXIT_INTERRUPTED:  # typer's word for KeyboardInterrupt
        env.stderr.write("briefer: interrupted\n")
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit flush does not raise BrokenPipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
