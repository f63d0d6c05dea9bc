"""What detection and routing cost per article, on the sample articles: no model is loaded.

    python benchmarks/routing.py

Every article goes through what `briefer summarize` does before a model runs: parse, detect the
language (title and story start, as briefer hands them over), then pick the route (own
summarizer, pivot, or none) for an English brief. The detector's model is loaded first, as a
run loads it while torch imports (briefer.detect.preload); its load is reported apart. The
articles are tests/articles/*.txt (French, Arabic and German wire copy) and examples/*.txt.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from briefer.brief import Briefer
from briefer.errors import InputError
from briefer.options import Options
from briefer.sources import parse_article

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = sorted((ROOT / "tests" / "articles").glob("*.txt")) + sorted(
    (ROOT / "examples").glob("*.txt")
)
RUNS = 50


def route_name(briefer: Briefer, lang: str) -> str:
    """Return the route an article in lang takes to an English brief, in words."""
    try:
        route = briefer.route(lang, ["en"])
    except InputError:
        return "not included"
    if route.pivot:
        return f"pivot {Path(route.pivot).name}"
    return "own summarizer" if lang != "en" else "English summarizer"


def main() -> None:
    """Print a Markdown table: each article's language, route and median time per article."""
    from briefer.detect import identifier

    started = time.perf_counter()
    identifier()
    load = time.perf_counter() - started
    briefer = Briefer(Options())
    # Detection overlaps loading the summarizer in a real run (Briefer.source_languages); no
    # model is loaded here, so a stand-in takes the summarizer's place.
    briefer._summarizer = object()  # type: ignore[assignment]
    print(f"detector load (once per run, beside torch's import): {load * 1000:.0f} ms\n")
    print("| article | chars | language | route | detect + route, median ms |")
    print("| --- | ---: | --- | --- | ---: |")
    for path in ARTICLES:
        article = parse_article(path.read_text(encoding="utf-8"), str(path))
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            [lang] = briefer.source_languages([article])
            route = route_name(briefer, lang)
            times.append(time.perf_counter() - started)
        name = path.relative_to(ROOT)
        ms = statistics.median(times) * 1000
        print(f"| {name} | {len(article.text):,} | {lang} | {route} | {ms:.2f} |")


if __name__ == "__main__":
    main()
