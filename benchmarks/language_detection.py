"""Compare language detectors on short news text: accuracy, package size, load and call time.

    python benchmarks/language_detection.py          # needs py3langid and lingua-language-detector
    python benchmarks/language_detection.py --overlap   # what detection adds to a model run

The samples (benchmarks/language_samples.json) are headlines, sentences and wire-style
paragraphs written for this comparison in ten languages. Load time is measured in a fresh
process (import, model load and the first call), as a run of briefer pays it once. Call time is
the median over the samples after that, plus one whole English article
(examples/paris-coalition-meeting.txt), which is what briefer actually hands the detector.
"""

from __future__ import annotations

import importlib.metadata
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "language_samples.json"
ARTICLE = HERE.parent / "examples" / "paris-coalition-meeting.txt"

# Each detector: how to build it (run in a fresh process for load time) and how to call it.
SETUP = {
    "py3langid": "import py3langid\ndetect = lambda t: py3langid.classify(t)[0]",
    "lingua (high accuracy)": (
        "from lingua import LanguageDetectorBuilder\n"
        "_d = LanguageDetectorBuilder.from_all_languages().build()\n"
        "def detect(t):\n"
        "    found = _d.detect_language_of(t)\n"
        "    return found.iso_code_639_1.name.lower() if found else 'und'\n"
    ),
    "lingua (low accuracy)": (
        "from lingua import LanguageDetectorBuilder\n"
        "_d = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()\n"
        "def detect(t):\n"
        "    found = _d.detect_language_of(t)\n"
        "    return found.iso_code_639_1.name.lower() if found else 'und'\n"
    ),
}
DISTRIBUTION = {
    "py3langid": "py3langid",
    "lingua (high accuracy)": "lingua-language-detector",
    "lingua (low accuracy)": "lingua-language-detector",
}


def installed_mb(distribution: str) -> float:
    """Return the installed size of a distribution's files, in MB."""
    files = importlib.metadata.distribution(distribution).files or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 1e6


def load_seconds(setup: str, runs: int = 3) -> float:
    """Return the median time for a fresh process to import, load and make its first call."""
    code = (
        "import time\nt = time.perf_counter()\n"
        f"{setup}\ndetect('The talks went on.')\nprint(time.perf_counter() - t)"
    )
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def build(setup: str) -> Callable[[str], str]:
    """Return the detect function a setup snippet defines."""
    space: dict = {}
    exec(setup, space)  # noqa: S102 - our own snippets above
    return space["detect"]


# What briefer's detection adds to an English brief: a model run imports torch anyway, and the
# detector loads in a background thread meanwhile (briefer.detect.preload).
_TORCH_ONLY = "import torch"
_OVERLAPPED = (
    "from briefer.brief import detection_text\n"
    "from briefer.detect import detect, preload\n"
    "from briefer.sources import parse_article\n"
    "a = parse_article(open({path!r}).read(), 'x')\n"
    "preload()\nimport torch\n"
    "for _ in range(6):\n    detect(detection_text(a))\n"
)


def overlap(runs: int = 5) -> tuple[float, float]:
    """Return median wall seconds of a fresh process importing torch, without and with detection.

    The two alternate, so background load hits both alike.
    """
    code = {
        "plain": _TORCH_ONLY,
        "detect": _OVERLAPPED.format(path=str(ARTICLE)),
    }
    times: dict[str, list[float]] = {"plain": [], "detect": []}
    for _ in range(runs):
        for name, body in code.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", body], check=True)
            times[name].append(time.perf_counter() - started)
    return statistics.median(times["plain"]), statistics.median(times["detect"])


def main() -> None:
    """Print a Markdown table of the comparison, and each detector's misses."""
    if "--overlap" in sys.argv:
        plain, detect = overlap()
        print(
            f"import torch: {plain:.2f} s; with py3langid loading alongside and 6 articles "
            f"detected: {detect:.2f} s (+{detect - plain:.2f} s)"
        )
        return
    samples = json.loads(SAMPLES.read_text(encoding="utf-8"))["samples"]
    article = ARTICLE.read_text(encoding="utf-8")
    kinds = ("headline", "sentence", "paragraph")
    print(
        "| detector | all | headlines | sentences | paragraphs | English | installed | "
        "load | per call | whole article |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    misses: dict[str, list[str]] = {}
    for name, setup in SETUP.items():
        detect = build(setup)
        detect("warm up")
        got, times = [], []
        for sample in samples:
            t = time.perf_counter()
            got.append(detect(sample["text"]))
            times.append(time.perf_counter() - t)
        right = [g == s["lang"] for g, s in zip(got, samples, strict=True)]
        misses[name] = [
            f"{s['lang']}→{g}: {s['text'][:50]}"
            for g, s, r in zip(got, samples, right, strict=True)
            if not r
        ]

        def share(keep: Callable[[dict], bool], right: list[bool] = right) -> str:
            """Return the share of samples kept by keep that were detected right."""
            picked = [r for r, s in zip(right, samples, strict=True) if keep(s)]
            return f"{sum(picked)}/{len(picked)}"

        per_kind = [share(lambda s, k=k: s["kind"] == k) for k in kinds]
        english = share(lambda s: s["lang"] == "en")
        t = time.perf_counter()
        for _ in range(20):
            detect(article)
        whole = (time.perf_counter() - t) / 20
        print(
            f"| {name} | {share(lambda s: True)} | {' | '.join(per_kind)} | {english} | "
            f"{installed_mb(DISTRIBUTION[name]):.0f} MB | {load_seconds(setup):.2f} s | "
            f"{statistics.median(times) * 1e3:.2f} ms | {whole * 1e3:.1f} ms |"
        )
    for name, missed in misses.items():
        print(f"\n{name} missed {len(missed)}:")
        for line in missed:
            print(f"  {line}")


if __name__ == "__main__":
    main()
