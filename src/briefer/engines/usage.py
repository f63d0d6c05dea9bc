"""How much model work an engine did: tokens in, decoder steps out, beams. Plain counts only.

The benchmark turns these into model FLOPs (benchmarks/floor.py): encoder work grows with the
input tokens (and, for attention, their squares per sequence), decoder work with the steps run
times the beams (and, for attention, with the source length and the steps before each step).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

log = logging.getLogger("briefer")

# Seconds between two progress lines of one long generate() call (-v).
PROGRESS_EVERY = 10.0


@dataclass
class Usage:
    """Counts summed over every sequence an engine generated for, since it was loaded."""

    calls: int = 0  # generate() calls with at least one text
    sequences: int = 0  # texts generated for
    input_tokens: int = 0  # sum of L: encoder input tokens, special tokens included, no padding
    input_tokens_sq: int = 0  # sum of L * L: encoder self-attention
    steps: int = 0  # sum of T: decoder steps, the start token left out, an end token counted
    beam_steps: int = 0  # sum of beams * T: decoder positions computed
    beam_steps_input: int = 0  # sum of beams * T * L: cross-attention
    beam_steps_self: int = 0  # sum of beams * T * (T + 1) / 2: decoder self-attention

    def add(self, input_tokens: int, steps: int, beams: int) -> None:
        """Count one sequence: its input length, the decoder steps it took, the beams searched."""
        self.sequences += 1
        self.input_tokens += input_tokens
        self.input_tokens_sq += input_tokens * input_tokens
        self.steps += steps
        self.beam_steps += beams * steps
        self.beam_steps_input += beams * steps * input_tokens
        self.beam_steps_self += beams * steps * (steps + 1) // 2

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dictionary."""
        return asdict(self)


def steps_taken(generated: int, limit: int | None) -> int:
    """Return the decoder steps behind an output of that many tokens (its end token not included).

    A search that stopped before its limit generated an end token too, in one more step.
    """
    return generated + 1 if limit is None or generated < limit else generated


class Progress:
    """Log (-v) how far a long generate() call has got: a line at most every PROGRESS_EVERY
    seconds, so a run of many chunks is not silent for minutes. Silent when INFO is off and
    for calls that end before the first interval.

    ``finished``, when given, counts the texts done so far wherever they are in the queue (an
    engine that runs batches out of order waits for them in order, so its own count lags).
    """

    def __init__(
        self,
        name: str,
        total: int,
        finished: Callable[[], int] | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name, self.total, self.finished, self.clock = name, total, finished, clock
        self.every = PROGRESS_EVERY if every is None else every
        self.done = 0
        self.started = self.last = clock()
        self.on = log.isEnabledFor(logging.INFO) and total > 1

    def advance(self, count: int = 1) -> None:
        """Count so many more texts generated; log when the interval has passed."""
        self.done += count
        if not self.on or self.done >= self.total:
            return
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        done = max(self.done, self.finished()) if self.finished else self.done
        log.info(
            "%s: %d of %d texts generated (%.0f s)", self.name, done, self.total, now - self.started
        )
