"""Measure the thresholds of briefer.checks on real prose and on tiny random models' output.

    python benchmarks/measure_checks.py

Prints, for each measure, its range on real news prose (the example article's sentences
and paragraphs, the test corpus's 94 wire sentences, briefs of 3-5 of them) and on the
outputs of the tiny random-weight models of tests/factory.py, then the support scores of
hand-written abstractive brief sentences of the example article against those of
unrelated stories. The thresholds in checks.py sit between the two ranges.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

# Brief sentences an abstractive model could write of the example article: paraphrased,
# shortened and fused, every fact taken from the article (as in CNN/DailyMail references).
PARAPHRASES = [
    "Iraq's allies pledged support for Baghdad's emergency plan at a meeting in Paris.",
    "The coalition met after militants took the Iraqi city of Ramadi and Syria's Palmyra.",
    "More than 4,100 coalition airstrikes have failed to stop Islamic State's gains.",
    "Laurent Fabius said airstrikes only work if Iraqis believe the government is inclusive.",
    "John Kerry joined the talks remotely after breaking his leg in a cycling accident.",
    "The US-led coalition of some 60 nations was formed last year.",
    "Sectarian tensions between Shia and Sunnis in Iraq have deepened.",
    "Baghdad sent Iranian-backed Shia militias to help retake ground west of Ramadi.",
    "Experts say efforts to include Sunnis politically are not working.",
    "Washington has sent thousands of military advisers to train Sunni tribal fighters.",
    "The capture of Ramadi raised questions about the coalition's strategy.",
    "Ministers from the coalition met in Paris to refine their strategy against the extremists.",
]


def describe(label: str, values: list[float]) -> None:
    """Print the range and median of a measure."""
    print(
        f"  {label:<34} min {min(values):.3f}  median {statistics.median(values):.3f}  "
        f"max {max(values):.3f}  (n={len(values)})"
    )


def main() -> None:
    """Print every measure on prose and on random-model output."""
    import factory
    from briefer import checks
    from briefer.sentences import split_sentences
    from briefer.sources import read_path

    article = read_path(str(ROOT / "examples" / "paris-coalition-meeting.txt"))
    paragraphs = [article.text[s:e] for s, e in article.body]
    sentences = [
        article.text[s:e] for p in article.body for s, e in split_sentences(article.text, *p)
    ]
    corpus = list(factory.CORPUS)
    briefs = [" ".join(corpus[i : i + k]) for k in (3, 4, 5) for i in range(0, len(corpus) - k, k)]
    prose = sentences + paragraphs + corpus + briefs + PARAPHRASES
    print("real prose (example article, test corpus, briefs of 3-5 corpus sentences)")
    describe("word-trigram repeat ratio", [checks.repeat_ratio(t) for t in prose])
    describe("tandem-repeat share", [checks.tandem_share(t) for t in prose])
    describe("compression ratio", [checks.compression_ratio(t) for t in prose if len(t) > 80])
    print(f"  flagged as loops: {sum(checks.loops(t) for t in prose)} of {len(prose)}")

    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        folders = {
            "bart": factory.build_bart(Path(tmp) / "bart", corpus=factory.CORPUS),
            "marian-fr": factory.build_marian(Path(tmp) / "fr", corpus=factory.CORPUS),
        }
        for name, folder in folders.items():
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForSeq2SeqLM.from_pretrained(folder)
            outputs = []
            torch.set_num_threads(1)
            # Their own settings, and greedy decoding over 60 tokens, where loops show.
            for settings in ({}, {"max_length": 60, "num_beams": 1}):
                for text in corpus[:8] + sentences[:4]:
                    with torch.no_grad():
                        ids = model.generate(**tokenizer(text, return_tensors="pt"), **settings)
                    outputs.append(tokenizer.decode(ids[0], skip_special_tokens=True))
            outputs = [o for o in outputs if len(o.strip()) >= checks.LOOP_MIN_CHARS]
            print(f"tiny random {name}, own settings and greedy 60 ({len(outputs)} outputs)")
            describe("word-trigram repeat ratio", [checks.repeat_ratio(t) for t in outputs])
            describe("tandem-repeat share", [checks.tandem_share(t) for t in outputs])
            describe("compression ratio", [checks.compression_ratio(t) for t in outputs])
            print(f"  flagged as loops: {sum(checks.loops(t) for t in outputs)} of {len(outputs)}")
            print(f"  e.g. {outputs[0][:100]!r}")

    spans = [span for p in article.body for span in split_sentences(article.text, *p)]

    def score(sentence: str) -> float:
        """Return a brief sentence's support score against the example article."""
        return checks.support(article.text, spans, article.body, sentence)[0].score

    print("support of abstractive brief sentences of the example article")
    describe("score", [score(s) for s in PARAPHRASES])
    print("support of unrelated wire sentences against the example article")
    describe("score", [score(s) for s in corpus])
    print(f"threshold in checks.py: {checks.SUPPORT_THRESHOLD}")


if __name__ == "__main__":
    main()
