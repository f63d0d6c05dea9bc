"""Input limits: sizes read, the sentence splitter's pieces, the extractive engine's graph and
word budget. Each test reproduces a failure found by feeding briefer hostile input, and asserts
the bound itself (bytes read, piece lengths, candidates, edges, words), never a timing."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from briefer import Briefer, Options, extractive, sentences
from briefer.extractive import ELLIPSIS, extract, summarize_extractive
from briefer.options import MAX_INPUT_BYTES
from briefer.sentences import MAX_PIECE, split_sentences
from briefer.sources import HTML_FACTOR
from test_cli import run

# The lede of a wire story, repeated with a counter so sentences differ: the shape of a long
# read's paragraphs, each a few ordinary sentences.
SENTENCE = "The council voted on Monday to rebuild bridge number {i} after years of delay."


class SegmenterSpy:
    """Record the length of every text handed to pysbd."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.lengths: list[int] = []
        real = sentences._segmenter

        class Wrapped:
            def __init__(self, segmenter):  # noqa: ANN001
                self.segmenter = segmenter

            def segment(inner, text: str) -> list[str]:  # noqa: N805
                self.lengths.append(len(text))
                return inner.segmenter.segment(text)

        monkeypatch.setattr(sentences, "_segmenter", lambda lang: Wrapped(real(lang)))


def covered(text: str, spans: list[tuple[int, int]]) -> str:
    """Return the non-space characters of text that lie outside every span (should be none)."""
    inside = bytearray(len(text))
    for s, e in spans:
        inside[s:e] = b"\x01" * (e - s)
    return "".join(c for c, flag in zip(text, inside, strict=True) if not flag and not c.isspace())


# --- the sentence splitter ---------------------------------------------------------------------


def test_a_long_line_without_punctuation_is_cut_into_bounded_pieces(monkeypatch) -> None:
    # One 200,000-character line of words, no punctuation: pysbd alone took ~57 s on it.
    spy = SegmenterSpy(monkeypatch)
    text = " ".join(f"word{i % 97}" for i in range(40_000))[:200_000]
    spans = split_sentences(text)
    assert spans == sorted(spans) and covered(text, spans) == ""
    assert max(e - s for s, e in spans) <= MAX_PIECE
    assert len(spans) <= 2 * len(text) // MAX_PIECE + 1
    # Cut at spaces: no word is split in two.
    assert all(text[s:e].split() == text[s:e].strip().split(" ") for s, e in spans)
    assert all(e == len(text) or text[e] == " " for s, e in spans)
    # Nothing in it could end a sentence, so pysbd was not asked at all.
    assert spy.lengths == []


# Words in the scripts briefer's default languages use, digits among them, and what
# _ONE_SENTENCE lets through before the end punctuation.
_WORDS = st.sampled_from(
    ["the", "mayor", "Paris", "2026", "3,5", "l'État", "élu", "président", "الوزير", "قال",
     "2", "a", "I", "No", "Dr", "U", "S", "vs", "etc", "e", "g", "pp", "p", "Mr", "St"]
)  # fmt: skip
_BETWEEN = st.sampled_from(
    [" ", " ", " ", ", ", " - ", " \u2013 ", " \u00ab", "\u00bb ", "\u201c", "\u201d ", "/", "'"]
)


@examples(max_examples=300, deadline=None)
@given(
    words=st.lists(st.tuples(_WORDS, _BETWEEN), min_size=1, max_size=12),
    end=st.sampled_from([".", "!", "?", "...", "\u2026", "?!", "\u061f", "!!", ". "]),
    lang=st.sampled_from(["en", "fr", "ar"]),
)
def test_one_sentence_is_split_without_pysbd_as_pysbd_splits_it(words, end, lang) -> None:
    # Text whose only end punctuation closes it: a headline, one sentence piped to translate.
    text = "".join(word + between for word, between in words).rstrip() + end
    assert sentences._ONE_SENTENCE.fullmatch(text)
    with pytest.MonkeyPatch.context() as patch:
        spy = SegmenterSpy(patch)
        assert split_sentences(text, lang=lang) == [(0, len(text.rstrip()))]
    assert spy.lengths == []  # pysbd not asked
    # pysbd, asked, finds no boundary before the end punctuation either. It does cut that
    # punctuation itself at times ("2..." into "2.." and "."), which briefer keeps whole.
    spans = sentences._pysbd_spans(text, lang)
    ending = len(text.rstrip().rstrip(".!?\u2026\u061f"))
    assert spans[0][0] == 0 and all(start >= ending for start, _ in spans[1:])


def test_text_with_a_boundary_before_its_end_still_goes_to_pysbd(monkeypatch) -> None:
    spy = SegmenterSpy(monkeypatch)
    text = "The mayor spoke. The bridge will reopen in May."
    assert split_sentences(text) == [(0, 16), (17, len(text))]
    assert spy.lengths == [len(text)]
    # A line break can end a sentence too: not the fast path.
    assert not sentences._ONE_SENTENCE.fullmatch("Bridge closed\nMayor speaks.")
    # pysbd makes a sentence of a quote closed after the full stop: to pysbd as well.
    assert not sentences._ONE_SENTENCE.fullmatch('He said: "We will rebuild."')


@pytest.mark.parametrize(
    ("lang", "first", "second"),
    [
        # Hindi and Marathi end sentences with a danda, Amharic with its own full stop, Armenian
        # with its verjaket: English rules see one sentence in each of these.
        ("hi", "यह पहला वाक्य है।", "यह दूसरा वाक्य है।"),
        ("am", "ይህ የመጀመሪያው ዓረፍተ ነገር ነው።", "ይህ ሁለተኛው ነው።"),
        ("hy", "Սա առաջին նախադասությունն է։", "Սա երկրորդն է։"),
        ("fr", "Le maire a parlé.", "Le pont rouvrira en mai."),
    ],
)
def test_sentences_end_where_the_language_ends_them(lang: str, first: str, second: str) -> None:
    text = f"{first} {second}"
    assert [text[s:e] for s, e in split_sentences(text, lang=lang)] == [first, second]


def test_pysbd_never_gets_more_than_a_window(monkeypatch) -> None:
    # Colons make pysbd look at every window (it ends Arabic sentences at one).
    spy = SegmenterSpy(monkeypatch)
    text = ": ".join(f"item{i}" for i in range(4_000))
    spans = split_sentences(text)
    assert covered(text, spans) == "" and max(e - s for s, e in spans) <= MAX_PIECE
    assert spy.lengths and max(spy.lengths) <= MAX_PIECE
    # Linear: each window moves on by at least a part of itself.
    assert sum(spy.lengths) <= 3 * len(text)


def test_a_run_without_spaces_is_cut_between_characters() -> None:
    text = "x" * 5_000 + "e\u0301" * 600  # combining accents must stay with their letter
    spans = split_sentences(text)
    assert covered(text, spans) == "" and max(e - s for s, e in spans) <= MAX_PIECE
    assert all(not text[s].startswith("\u0301") for s, _ in spans)


def test_a_window_of_nothing_but_spaces() -> None:
    text = "It began here." + " " * 3_000 + "It ended there.\t" * 3 + "\u00a0" * 2_500 + "Done."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["It began here.", *["It ended there."] * 3, "Done."]


def test_a_boundary_near_the_window_end_is_kept_when_it_is_the_only_one() -> None:
    first = "word " * (MAX_PIECE // 5 - 10) + "end."  # a sentence ending 50 chars before the edge
    text = f"{first} Next sentence goes on {'and on ' * 30}to the end."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans][0] == first.strip()
    assert covered(text, spans) == "" and len(spans) == 2


def test_a_long_paragraph_splits_as_pysbd_splits_it_whole() -> None:
    # A 6,000-character paragraph of ordinary sentences, with abbreviations near the window
    # edges: windowing must not invent or lose a boundary.
    parts = [
        f"Mr. Smith said on Tuesday that plan {i} would go ahead, the U.S. Army said. Really?"
        for i in range(70)
    ]
    text = " ".join(parts)
    assert len(text) > 5 * MAX_PIECE
    whole = [text[s:e] for s, e in sentences._pysbd_spans(text, "en")]  # pysbd given all of it
    assert [text[s:e] for s, e in split_sentences(text)] == whole
    assert len(whole) >= 140


# --- the extractive engine ---------------------------------------------------------------------


def test_a_run_on_sentence_respects_the_word_budget() -> None:
    # One 200,000-character "sentence": the brief was 7,799 words against a budget of 120.
    text = "Long line\n\n" + " ".join(f"word{i % 97}" for i in range(40_000))[:200_000]
    brief = Briefer(Options(engine="extractive")).brief(text)
    assert brief.summary.endswith(ELLIPSIS)
    assert len(brief.summary.removesuffix(ELLIPSIS).split()) == 120
    assert text.find(brief.summary.removesuffix(ELLIPSIS)) > 0  # the article's own words


def test_word_budget_holds_whatever_the_sentences() -> None:
    long = " ".join(["alpha"] * 150) + "."  # 900 characters: one sentence, under MAX_PIECE
    text = f"{long} A short one of six words."
    spans = split_sentences(text)
    for budget in (1, 5, 50, 120, 400):
        summary = summarize_extractive(text, spans, max_words=budget)
        assert len(summary.removesuffix(ELLIPSIS).split()) <= budget
        assert summary.endswith(ELLIPSIS) == (budget < 150)


def test_the_similarity_graph_stores_only_pairs_that_share_a_word() -> None:
    # 2,000 sentences with nothing in common: the n x n matrix took 2 x 32 MB for them.
    tokens = [{f"alpha{i}", f"beta{i}", f"gamma{i}"} for i in range(2_000)]
    source, target, weight = extractive._edges(tokens)
    assert len(source) == len(target) == len(weight) == 0
    tracemalloc.start()
    try:
        ranks = extractive._textrank(tokens)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # a few vectors of 2,000 floats, not 2,000 x 2,000
    assert ranks == pytest.approx([1 / 2_000] * 2_000)
    # A chain: each sentence shares a word with the next only, so 2 edges a link.
    chain = [{f"w{i}", f"w{i + 1}"} for i in range(100)]
    assert len(extractive._edges(chain)[0]) == 2 * 99


def test_only_the_first_candidates_compete(monkeypatch) -> None:
    seen: list[int] = []
    real = extractive._textrank
    monkeypatch.setattr(
        extractive, "_textrank", lambda tokens: seen.append(len(tokens)) or real(tokens)
    )
    monkeypatch.setattr(extractive, "MAX_CANDIDATES", 40)
    text = " ".join(SENTENCE.format(i=i) for i in range(300))
    spans = split_sentences(text)
    chosen = extract(text, spans, max_words=None)
    assert seen == [40]
    assert all(span in spans[:40] for span in chosen)


# --- input sizes -------------------------------------------------------------------------------


class EndlessZeros(io.RawIOBase):
    """Stdin fed from /dev/zero: counts what is read from it."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        buffer[:] = bytes(len(buffer))
        self.given += len(buffer)
        return len(buffer)


def test_dev_zero_as_a_file_is_refused_after_the_limit() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    result = run("summarize", "/dev/zero", "--engine", "extractive")
    assert result.code == 1
    assert result.err == (
        f"briefer: error: /dev/zero: larger than {MAX_INPUT_BYTES:,} bytes "
        "(raise --max-input-bytes to read it)\n"
    )


def test_endless_stdin_is_read_no_further_than_the_limit() -> None:
    from briefer.cli import Env, main

    stdin = io.BufferedReader(EndlessZeros())
    err = io.StringIO()
    env = Env(stdin=stdin, stdout=io.StringIO(), stderr=err, stdin_isatty=False)
    assert main(["summarize", "--engine", "extractive", "--max-input-bytes", "1000"], env) == 1
    assert err.getvalue() == (
        "briefer: error: stdin: larger than 1,000 bytes (raise --max-input-bytes to read it)\n"
    )
    # At most a page's worth (HTML may be HTML_FACTOR times the limit), plus the read-ahead.
    assert stdin.raw.given <= 1000 * HTML_FACTOR + 1 + io.DEFAULT_BUFFER_SIZE
    stdin = io.BufferedReader(EndlessZeros())
    env = Env(stdin=stdin, stdout=io.StringIO(), stderr=io.StringIO(), stdin_isatty=False)
    args = ["translate", "--lang", "fr", "--max-input-bytes", "1000"]
    assert main(args, env) == 1 and stdin.raw.given <= 1001 + io.DEFAULT_BUFFER_SIZE


@pytest.mark.parametrize("limit", [10**11, 10**23])
def test_a_limit_raised_to_mean_no_limit_reads_what_there_is(sample: Path, limit: int) -> None:
    # A script sets a huge limit to mean "none": read(limit + 1) set aside that many bytes
    # before reading one (MemoryError on a 5 kB file), or was past any index (OverflowError).
    from briefer.cli import Env, main

    args = ["summarize", "--engine", "extractive", "-f", "json", "--max-input-bytes", str(limit)]
    result = run(*args[:1], str(sample), *args[1:])
    assert result.code == 0, result.err
    out = io.StringIO()
    stdin = io.BufferedReader(io.BytesIO(sample.read_bytes()))
    env = Env(stdin=stdin, stdout=out, stderr=io.StringIO(), stdin_isatty=False)
    assert main(args, env) == 0
    assert (
        json.loads(out.getvalue())["briefs"][0]["text"]
        == json.loads(result.out)["briefs"][0]["text"]
    )
    # An endless stream is still read a chunk at a time, and stopped at the limit.
    from briefer.files import read_at_most

    endless = io.BufferedReader(EndlessZeros())
    assert len(read_at_most(endless, 3_000_001)) == 3_000_001


def test_a_big_file_is_not_included_and_a_lone_one_is_an_error(sample: Path, tmp_path) -> None:
    limit = sample.stat().st_size + 100  # the real article fits; the dump does not
    big = tmp_path / "dump.txt"
    big.write_text("Dump\n\n" + "All work and no play. " * (limit // 20))
    args = ("--engine", "extractive", "-f", "json", "--max-input-bytes", str(limit))
    result = run("summarize", str(big), str(sample), *args)
    assert result.code == 3, result.err
    data = json.loads(result.out)
    assert [b["source"] for b in data["briefs"]] == [str(sample)]
    reason = f"larger than {limit:,} bytes (raise --max-input-bytes to read it)"
    assert data["failed"] == [{"source": str(big), "error": reason}]
    alone = run("summarize", str(big), *args)
    assert (alone.code, alone.err) == (1, f"briefer: error: {big}: {reason}\n")
    raised = run("summarize", str(big), *args[:-1], str(big.stat().st_size))
    assert raised.code == 0, raised.err


def test_the_limit_comes_from_the_config_file(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "dump.txt"
    big.write_text("Dump\n\n" + "All work and no play. " * 200)
    config = tmp_path / "config.toml"
    config.write_text("max-input-bytes = 4000\n")
    monkeypatch.setenv("BRIEFER_CONFIG", str(config))
    result = run("summarize", str(big), "--engine", "extractive")
    assert result.code == 1 and "larger than 4,000 bytes" in result.err
    shown = run("config", "show")
    line = next(x for x in shown.out.splitlines() if x.startswith("max_input_bytes = "))
    assert line.startswith("max_input_bytes = 4000") and line.endswith(f"# from {config}")
    assert run("summarize", str(big), "--engine", "extractive", "--max-input-bytes", "0").code == 2


def test_a_saved_page_may_carry_its_markup(tmp_path: Path) -> None:
    # A saved article page: most of its bytes are markup and an inline script, as on news sites.
    story = " ".join(SENTENCE.format(i=i) for i in range(8))
    page = tmp_path / "story.html"
    page.write_text(
        "<!doctype html><html><head><title>Bridge</title><script>"
        + "var state = {};" * 300
        + f"</script></head><body><article><h1>Bridge</h1><p>{story}</p></article></body></html>"
    )
    size = os.path.getsize(page)
    limit = int(size / HTML_FACTOR) + 1  # the page is over the limit, within 2.5 times it
    assert size > limit
    ok = run("summarize", str(page), "--engine", "extractive", "--max-input-bytes", str(limit))
    assert ok.code == 0, ok.err
    small = str(int(size / HTML_FACTOR) - 1)
    refused = run("summarize", str(page), "--engine", "extractive", "--max-input-bytes", small)
    assert refused.code == 1 and "larger than" in refused.err


# The operator's files (config, glossary, prompt, template): a wrong path pointing at something
# huge or endless must be refused with one line and exit 2, having read no more than the bound.
OPERATOR_FILES = [
    ("config file", ["--config"], ".toml"),
    ("glossary", ["--glossary"], ".toml"),
    ("prompt", ["--prompt"], ".txt"),
    ("template", ["--template"], ".j2"),
]


@pytest.mark.parametrize(("what", "flag", "suffix"), OPERATOR_FILES)
def test_operator_file_over_the_bound_is_one_line_exit_2(
    what: str, flag: list[str], suffix: str, sample: Path, tmp_path: Path
) -> None:
    from briefer.files import MAX_OPERATOR_BYTES

    big = tmp_path / f"big{suffix}"
    # Valid content for each kind, padded with comment-free whitespace past the bound: the
    # size alone is at fault.
    big.write_bytes((b"{text}" if what == "prompt" else b"") + b" " * (MAX_OPERATOR_BYTES + 1))
    result = run("summarize", str(sample), "--engine", "extractive", *flag, str(big))
    assert result.code == 2, result.err
    assert result.err == (
        f"briefer: error: {what} {big}: larger than {MAX_OPERATOR_BYTES:,} bytes\n"
    )


def test_operator_file_reading_stops_at_the_bound(monkeypatch) -> None:
    from briefer import files
    from briefer.errors import UsageError

    class Endless:
        """An endless device opened as a file, counting what was asked of it."""

        given = 0

        def __enter__(self):  # noqa: ANN204
            return self

        def __exit__(self, *exc) -> None:  # noqa: ANN002
            return None

        def read(self, size: int) -> bytes:
            Endless.given += size
            return bytes(size)

    monkeypatch.setattr(Path, "open", lambda self, mode="r": Endless())
    with pytest.raises(UsageError, match="larger than 1,000 bytes"):
        files.read_text(Path("/dev/endless"), "config file", limit=1000)
    assert Endless.given == 1001
