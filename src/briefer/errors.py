"""The few domain errors briefer raises; the CLI maps them to messages and exit codes."""

from __future__ import annotations


class BrieferError(Exception):
    """Base of every error briefer reports to the user as one line."""

    exit_code = 1


class InputError(BrieferError):
    """An input cannot be read, or holds no usable text."""

    exit_code = 1


class UsageError(BrieferError):
    """Options that do not make sense together, or an unknown value."""

    exit_code = 2


class ModelError(BrieferError):
    """A model cannot be found, loaded or run."""

    exit_code = 4


class OutputError(BrieferError):
    """The result cannot be written where it was asked for."""

    exit_code = 1


class EngineUnavailable(ModelError):
    """An engine cannot run this model here; under --backend auto the next engine is tried."""


class DeviceUnavailable(EngineUnavailable):
    """The device asked for is not there for this engine (--device cuda with no GPU)."""


class ConversionError(EngineUnavailable):
    """A model the CTranslate2 backend cannot take; briefer falls back to torch."""


class Terminated(BaseException):
    """SIGTERM (cron's or systemd's stop) where briefer takes it: the run stops as on Ctrl-C,
    keeping what it finished, and exits 143, the code of a process ended by SIGTERM. Not an
    Exception, so no `except Exception` swallows it; not a KeyboardInterrupt, which click
    turns into a bare exit code 130."""
