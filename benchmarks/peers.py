"""Peers for the translate stage: argos-translate, and CTranslate2 called directly.

Both run the very CTranslate2 model briefer converted (int8), on the same sentences, with the
same decoding lengths and beams, each in its own process that run.py times from outside:

    python benchmarks/peers.py ct2 summaries.txt --model CONVERTED --hf MARIAN --lang fr -o out.json
    python benchmarks/peers.py argos summaries.txt --hf MARIAN --lang fr -o out.json

``ct2`` is the code a user writes from CTranslate2's documentation: SentencePiece pieces plus
Marian's ``</s>`` (and ``>>ara<<`` in front for Arabic), one ``translate_batch`` per article
with CTranslate2's default threads and batching, ``decode`` of the best hypothesis.

``argos`` is argos-translate's own ``translate()`` on a package whose ``model/`` is briefer's
converted folder (run.py builds the package, see ``package_argos``). Two things are set for
the benchmark, both inside argos's own extension points, and nothing else:

- sentence splitting: argos 1.11 splits with MiniSBD or stanza, whose models it downloads;
  this machine is offline. Its sentencizer is replaced by one that returns the sentences
  pysbd finds (pysbd is what briefer and the baseline split with), so argos translates the
  same 46 sentences, batched per paragraph as argos does.
- length: the random-weight models would run to CTranslate2's 256-token limit, so the
  decoding length is pinned to the benchmark's (min = max), as every other side's is. argos's
  other settings stay its defaults: beam 4, length_penalty 0.2, replace_unknowns, scores,
  batches of 32 tokens (ARGOS_BATCH_SIZE), inter_threads 1, intra_threads 0 (CTranslate2's
  default), compute_type auto (int8 for this model).

Each writes the translations as run.py's baseline does (one record per paragraph, with its
sentence count), and beside them ``OUT.work.json``: the model work counted (tokens in,
decoder steps, beams) and the seconds spent loading and translating inside the process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from floor import Work, steps_taken

BEAMS = 4  # the benchmark's Marian generation config; argos's default beam_size is 4 too
# What opus-mt-tc-big-en-ar puts in front of the source to pick Arabic.
SOURCE_TOKEN = {"fr": None, "ar": ">>ara<<"}


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences with pysbd, as the baseline does."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences = (" ".join(s.split()) for s in segmenter.segment(text))
    return [s for s in sentences if s]


def paragraphs_of(path: Path) -> list[str]:
    """Return the summaries file's paragraphs (one article's summary each)."""
    text = path.read_text(encoding="utf-8")
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def decoding_lengths(folder: Path) -> tuple[int, int, int]:
    """Return (beams, min, max) decoding lengths in CTranslate2's terms, from a model's own config.

    transformers counts the decoder start token in max_length and spends the last position on
    a forced end token; CTranslate2 counts generated tokens only (briefer maps them the same way).
    """
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    generation = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    top = int(generation.get("max_length", config.get("max_length", 20))) - 1
    if generation.get("forced_eos_token_id", config.get("forced_eos_token_id")) is not None:
        top -= 1
    least = max(int(generation.get("min_length", 0)) - 1, 0)
    return int(generation.get("num_beams", BEAMS)), min(least, top), top


def run_ct2(args: argparse.Namespace, work: Work) -> list[dict[str, Any]]:
    """Translate each paragraph with ctranslate2.Translator.translate_batch, the documented way."""
    import ctranslate2
    import sentencepiece

    translator = ctranslate2.Translator(str(args.model), device="cpu", compute_type="int8")
    source = sentencepiece.SentencePieceProcessor(model_file=str(args.hf / "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=str(args.hf / "target.spm"))
    beams, least, top = decoding_lengths(args.hf)
    token = SOURCE_TOKEN[args.lang]
    args.loaded = time.perf_counter()
    records = []
    for paragraph in paragraphs_of(args.input):
        sentences = split_sentences(paragraph)
        batch = [
            ([token] if token else []) + source.encode(s, out_type=str) + ["</s>"]
            for s in sentences
        ]
        results = translator.translate_batch(
            batch, beam_size=beams, min_decoding_length=least, max_decoding_length=top
        )
        for tokens, result in zip(batch, results, strict=True):
            work.add(len(tokens), steps_taken(len(result.hypotheses[0]), top), beams)
        work.calls += 1
        out = " ".join(target.decode(r.hypotheses[0]) for r in results)
        records.append({"translation": out, "sentences": len(sentences)})
    return records


class PinnedLength:
    """argos's ctranslate2.Translator, with the decoding length pinned and the work counted."""

    def __init__(self, translator: Any, least: int, top: int, work: Work):
        self.translator = translator
        self.least, self.top = least, top
        self.work = work

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        """Run argos's call with its own options, plus the benchmark's decoding lengths."""
        options |= {"min_decoding_length": self.least, "max_decoding_length": self.top}
        results = self.translator.translate_batch(source, **options)
        for tokens, result in zip(source, results, strict=True):
            steps = steps_taken(len(result.hypotheses[0]), self.top)
            self.work.add(len(tokens), steps, options.get("beam_size", 1))
        self.work.calls += bool(source)
        return results


def run_argos(args: argparse.Namespace, work: Work) -> list[dict[str, Any]]:
    """Translate each paragraph with argos-translate's translate(), from the package run.py built."""
    if SOURCE_TOKEN[args.lang]:
        # argos packages have no source-side language token: its SentencePiece tokenizer would
        # cut ">>ara<<" into pieces, and the model would not see the token it needs.
        raise SystemExit(f"argos-translate cannot select {SOURCE_TOKEN[args.lang]}")
    import ctranslate2
    from argostranslate import sbd, settings, translate

    class SameSentences(sbd.ISentenceBoundaryDetectionModel):
        """argos's sentence splitter interface, answered by pysbd."""

        def split_sentences(self, text: str) -> list[str]:
            """Return the text's sentences as the baseline and briefer split them."""
            return split_sentences(text)

    translation = translate.get_translation_from_codes("en", args.lang)
    package = translation.underlying  # CachedTranslation over argos's PackageTranslation
    package.sentencizer = SameSentences()
    _, least, top = decoding_lengths(args.hf)
    # Built exactly as PackageTranslation.hypotheses builds it, then wrapped.
    package.translator = PinnedLength(
        ctranslate2.Translator(
            str(package.pkg.package_path / "model"),
            device=settings.device,
            inter_threads=settings.inter_threads,
            intra_threads=settings.intra_threads,
            compute_type=settings.compute_type,
        ),
        least,
        top,
        work,
    )
    args.loaded = time.perf_counter()
    records = []
    for paragraph in paragraphs_of(args.input):
        out = translate.translate(paragraph, "en", args.lang)
        records.append({"translation": out, "sentences": len(split_sentences(paragraph))})
    return records


def package_argos(folder: Path, converted: Path, hf: Path, lang: str) -> Path:
    """Write an argos package folder for a converted Marian model; return the packages folder.

    The layout argos-translate 1.11 reads (argostranslate/package.py): metadata.json, model/
    (a CTranslate2 model: here briefer's converted folder, linked), sentencepiece.model (the
    Marian source SentencePiece model; the benchmark's Marian models share one with the target).
    """
    package = folder / f"translate-en_{lang}"
    package.mkdir(parents=True, exist_ok=True)
    metadata = {
        "package_version": "1.0",
        "argos_version": "1.11.0",
        "from_code": "en",
        "from_name": "English",
        "to_code": lang,
        "to_name": {"fr": "French", "ar": "Arabic"}.get(lang, lang),
        "type": "translate",
    }
    (package / "metadata.json").write_text(json.dumps(metadata, indent=1), encoding="utf-8")
    link = package / "model"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(converted.resolve(), target_is_directory=True)
    (package / "sentencepiece.model").write_bytes((hf / "source.spm").read_bytes())
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run one peer over a summaries file and write its translations and its work."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", choices=["ct2", "argos"])
    parser.add_argument("input", type=Path, help="the summaries file, one paragraph per article")
    parser.add_argument("--hf", type=Path, required=True, help="the Marian model's own folder")
    parser.add_argument("--model", type=Path, help="the converted CTranslate2 folder (ct2)")
    parser.add_argument("--lang", choices=sorted(SOURCE_TOKEN), default="fr")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.peer == "ct2" and not args.model:
        parser.error("ct2 needs --model")
    started = time.perf_counter()
    work = Work()
    records = (run_ct2 if args.peer == "ct2" else run_argos)(args, work)
    done = time.perf_counter()
    args.output.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    seconds = {"load": args.loaded - started, "translate": done - args.loaded}
    sidecar = {"work": {os.fspath(args.hf): work.as_dict()}, "seconds": seconds}
    Path(f"{args.output}.work.json").write_text(json.dumps(sidecar), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
