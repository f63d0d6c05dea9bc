"""The baseline: the straightforward transformers 5 code a user writes for a morning brief.

It deliberately does nothing clever: one article at a time, tokenize with truncation,
`generate()` with the model's own generation config, decode; then translate the summary
sentence by sentence in a loop. run.py starts it as its own process and measures it from
outside, so model loading counts, as it does for a user.

    python benchmarks/baseline.py summarize ARTICLE... -m BART -o out.json
    python benchmarks/baseline.py brief ARTICLE... -m BART -t MARIAN --lang fr -o out.json
    python benchmarks/baseline.py translate summaries.txt -t MARIAN --lang ar -o out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from floor import Work, steps_in_row

# What the opus-mt-tc-big-en-ar model card says to put in front of each sentence.
LANG_PREFIX: dict[str, str] = {"fr": "", "ar": ">>ara<< "}


def read_article(path: Path) -> tuple[str, str]:
    """Return (headline, story): the first line, and the rest of the file."""
    headline, _, story = path.read_text(encoding="utf-8").strip().partition("\n")
    return headline.strip(), story.strip()


def split_sentences(text: str) -> list[str]:
    """Split a text into sentences with pysbd, whitespace collapsed, empty ones dropped."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences = (" ".join(s.split()) for s in segmenter.segment(text))
    return [s for s in sentences if s]


def load(path: str) -> tuple[Any, Any]:
    """Load a tokenizer and a seq2seq model the documented way."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path)
    model.eval()
    return tokenizer, model


def count(work: Work, model: Any, encoded: Any, output: Any) -> None:
    """Count one generate() call's work for the benchmark's FLOPs: not part of what a user writes."""
    config = model.generation_config
    steps = steps_in_row(output[0].tolist(), config.eos_token_id)
    work.add(int(encoded["input_ids"].shape[1]), steps, int(config.num_beams or 1))
    work.calls += 1


def summarize(tokenizer: Any, model: Any, text: str, work: Work) -> str:
    """Summarize one article: truncate to the model's input size, generate, decode."""
    import torch

    # truncation=True cuts at the tokenizer's model_max_length: 1,024 tokens for distilbart.
    encoded = tokenizer(text, truncation=True, return_tensors="pt")
    with torch.no_grad():
        output = model.generate(**encoded)
    count(work, model, encoded, output)
    return tokenizer.decode(output[0], skip_special_tokens=True).strip()


def translate(tokenizer: Any, model: Any, text: str, lang: str, work: Work) -> tuple[str, int]:
    """Translate a text sentence by sentence; return the translation and the sentence count."""
    import torch

    out = []
    sentences = split_sentences(text)
    for sentence in sentences:
        encoded = tokenizer(LANG_PREFIX[lang] + sentence, return_tensors="pt")
        with torch.no_grad():
            output = model.generate(**encoded)
        count(work, model, encoded, output)
        out.append(tokenizer.decode(output[0], skip_special_tokens=True).strip())
    return " ".join(out), len(sentences)


def main(argv: list[str] | None = None) -> int:
    """Run one mode of the baseline and write its results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["summarize", "brief", "translate"])
    parser.add_argument("inputs", nargs="+", type=Path, help="article files, or a summaries file")
    parser.add_argument("-m", "--model", help="summarizer folder (summarize, brief)")
    parser.add_argument("-t", "--translator", help="translator folder (brief, translate)")
    parser.add_argument("--lang", choices=sorted(LANG_PREFIX), default="fr")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.mode != "translate" and not args.model:
        parser.error(f"{args.mode} needs -m")
    if args.mode != "summarize" and not args.translator:
        parser.error(f"{args.mode} needs -t")

    if args.mode == "translate":
        # One summary per paragraph, as run.py writes them.
        text = args.inputs[0].read_text(encoding="utf-8")
        records: list[dict[str, Any]] = [
            {"summary": p.strip()} for p in re.split(r"\n\s*\n", text) if p.strip()
        ]
    else:
        records = [{"source": str(path)} for path in args.inputs]
    summarizer = load(args.model) if args.mode != "translate" else None
    translator = load(args.translator) if args.mode != "summarize" else None

    # Model work per model folder, which run.py turns into FLOPs (benchmarks/floor.py).
    summarizer_work, translator_work = Work(), Work()
    for record in records:
        if summarizer:
            record["title"], story = read_article(Path(record["source"]))
            record["summary"] = summarize(*summarizer, story, summarizer_work)
        if translator:
            sentences = 0
            if "title" in record:
                # The brief's headline is translated too, as briefer does.
                record["title"], sentences = translate(
                    *translator, record["title"], args.lang, translator_work
                )
            record["translation"], found = translate(
                *translator, record["summary"], args.lang, translator_work
            )
            record["sentences"] = sentences + found

    args.output.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    work = {
        name: counted.as_dict()
        for name, counted in ((args.model, summarizer_work), (args.translator, translator_work))
        if name and counted.sequences
    }
    Path(f"{args.output}.work.json").write_text(json.dumps({"work": work}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
