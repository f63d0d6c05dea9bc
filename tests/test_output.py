"""Hardened outputs: -o never destroys an input, a link or a device; stdout is written in full
or ends with 141; every outside text is escaped for the format it lands in; templates and
output folders are checked before any model work."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from briefer import cli
from briefer.brief import Brief
from briefer.chunking import Chunk
from briefer.cli import Env, main
from briefer.output import resolve, write_stdout
from briefer.render import Failure, render

BRIEFER = str(Path(sys.executable).parent / "briefer")
# A wire story in the shape agencies send: headline line, dateline, body paragraphs.
STORY = (
    "Council backs new bridge\n\n"
    "LONDON, Nov 24 (Reuters) - The city council voted on Tuesday to build a new bridge over "
    "the river. The vote ended years of debate about traffic in the old town. Work will start "
    "next spring and should take three years. The mayor said the bridge would cut journeys by "
    "half. Opponents said the cost was too high for a city of this size.\n"
)


class Run:
    """The result of one in-process CLI run."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


def run(*args: str) -> Run:
    """Run the CLI in-process with its own streams; the extractive engine needs no model."""
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdin=io.BytesIO(), stdout=out, stderr=err, stdin_isatty=True, stderr_isatty=False)
    code = main(list(args), env)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any model work fail the test: what is checked must be checked before it."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("model work started before the check")

    monkeypatch.setattr(cli, "_briefer", forbidden)


@pytest.fixture
def story(tmp_path: Path) -> Path:
    """Return an article file."""
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    return path


# -- -o: inputs, symlinks, devices ----------------------------------------------------------


def test_output_that_is_the_input_is_refused(story: Path, tmp_path: Path, no_models) -> None:
    before = story.read_bytes()
    link = tmp_path / "link.txt"
    link.symlink_to(story)
    hard = tmp_path / "hard.txt"
    os.link(story, hard)
    for output in (story, link, hard, tmp_path / "." / "story.txt"):
        result = run("summarize", str(story), "--engine", "extractive", "-o", str(output))
        assert result.code == 2, result.err
        assert result.err.count("\n") == 1 and "is the input" in result.err
    assert story.read_bytes() == before and link.is_symlink()


def test_each_language_output_is_checked_against_the_inputs(tmp_path: Path, no_models) -> None:
    # The French brief of yesterday, summarized again, must not be overwritten by today's.
    french = tmp_path / "brief.fr.md"
    french.write_text(STORY, encoding="utf-8")
    result = run("summarize", str(french), "-l", "fr,ar", "-o", str(tmp_path / "brief.md"))
    assert result.code == 2 and "brief.fr.md" in result.err
    assert french.read_text(encoding="utf-8") == STORY


def test_a_brief_kept_in_the_folder_it_briefs_is_not_read_as_a_story(tmp_path: Path) -> None:
    """A second run into wire/brief.md had been refused ("that is the input"): the folder
    walk found the first run's brief. It is left out of what the folder gives; named
    itself, it is still refused."""
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "story.txt").write_text(STORY, encoding="utf-8")
    output = wire / "brief.md"
    for _ in range(2):
        result = run("summarize", str(wire), "--engine", "extractive", "-o", str(output))
        assert result.code == 0, result.err
        assert "Council backs new bridge" in output.read_text(encoding="utf-8")
        assert "brief.md" not in output.read_text(encoding="utf-8")  # not briefed itself
    named = run("summarize", str(wire), str(output), "--engine", "extractive", "-o", str(output))
    assert named.code == 2 and "is the input" in named.err


def test_translate_refuses_its_input_as_output(story: Path, no_models) -> None:
    result = run("translate", str(story), "-l", "fr", "-o", str(story))
    assert result.code == 2 and "is the input" in result.err
    assert story.read_text(encoding="utf-8") == STORY


def test_output_through_a_symlink_writes_its_target(story: Path, tmp_path: Path) -> None:
    target = tmp_path / "briefs" / "today.md"
    target.parent.mkdir()
    target.write_text("yesterday\n", encoding="utf-8")
    link = tmp_path / "latest.md"
    link.symlink_to(target)
    result = run("summarize", str(story), "--engine", "extractive", "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").startswith("# Council backs new bridge\n")
    # Written atomically beside the target: no temporary file left in either folder.
    assert sorted(p.name for p in target.parent.iterdir()) == ["today.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefs", "latest.md", "story.txt"]


def test_a_dangling_symlink_gets_its_target_created(story: Path, tmp_path: Path) -> None:
    link = tmp_path / "latest.md"
    link.symlink_to(tmp_path / "new.md")
    assert run("summarize", str(story), "--engine", "extractive", "-o", str(link)).code == 0
    assert link.is_symlink() and (tmp_path / "new.md").read_text(encoding="utf-8").startswith("#")


def test_a_fifo_is_written_in_place(story: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "brief.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("summarize", str(story), "--engine", "extractive", "-o", str(fifo))
    reader.join(timeout=60)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # not renamed over
    assert got and got[0].decode("utf-8").startswith("# Council backs new bridge\n")


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_several_languages_to_a_fifo_all_go_to_it(
    story: Path, tmp_path: Path, marian_fr: Path, marian_ar: Path, fmt: str
) -> None:
    # -o /dev/null -l fr,ar once made the files /dev/null.fr and /dev/null.ar.
    fifo = tmp_path / "brief.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(
        "summarize", str(story), "--engine", "extractive", "-l", "fr,ar", "-f", fmt,
        "-t", f"fr={marian_fr}", "-t", f"ar={marian_ar}", "-o", str(fifo),
    )  # fmt: skip
    reader.join(timeout=60)
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.pipe", "story.txt"]
    text = got[0].decode("utf-8")
    if fmt == "json":
        # What stdout gets: one JSON document holding both briefs.
        briefs = json.loads(text)["briefs"]
        assert [b["models"]["translator"] for b in briefs] == [str(marian_fr), str(marian_ar)]
        return
    # Both briefs, in the order asked for (the random translators' output may be kept in
    # English by the guard, so the footers name the translators, not always the language).
    assert text.count("Summarizer: extractive") == 2
    assert text.index(f"Translator: {marian_fr}") < text.index(f"Translator: {marian_ar}")


def test_quiet_still_names_each_source_left_out(story: Path, tmp_path: Path) -> None:
    """-f text has no "Not included" list, so a source left out is an error on stderr, which
    -q keeps; the run's notes (counts) go."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)))
    result = run("summarize", str(tmp_path), "--engine", "extractive", "-f", "text", "-q")
    assert result.code == 3
    assert result.err.splitlines() == [
        f"briefer: skipped {tmp_path / 'blob.txt'}: looks like a binary file, not text",
        f"briefer: skipped {tmp_path / 'empty.txt'}: is empty",
    ]
    assert result.out.count("\n\n") == 0 and result.out.strip()  # the one brief, on its own


def test_devices_are_written_in_place(story: Path) -> None:
    assert resolve(Path("/dev/null")).direct
    assert run("summarize", str(story), "--engine", "extractive", "-o", "/dev/null").code == 0
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm here")
def test_a_regular_file_under_dev_is_replaced_atomically() -> None:
    from briefer.output import is_direct

    # /dev/shm is a tmpfs: a file there is a file, not a device, and gets the atomic write.
    fd, name = tempfile.mkstemp(dir="/dev/shm", suffix=".md")
    os.close(fd)
    try:
        assert not is_direct(Path(name)) and not resolve(Path(name)).direct
    finally:
        os.unlink(name)
    assert is_direct(Path("/dev/null")) and is_direct(Path("/dev/stdout"))
    assert not is_direct(Path("/dev/shm/no-such-file.md"))


def test_dev_stdout_goes_to_the_pipe(story: Path) -> None:
    done = subprocess.run(
        [BRIEFER, "summarize", str(story), "--engine", "extractive", "-o", "/dev/stdout"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"# Council backs new bridge\n")
    assert os.path.islink("/dev/stdout") or not os.path.isfile("/dev/stdout")


# -- pipes ------------------------------------------------------------------------------------


def wire_of_150(tmp_path: Path) -> Path:
    """Return a folder of 150 stories: a brief of about 120 kB, twice a pipe's 64 KiB buffer."""
    folder = tmp_path / "wire"
    folder.mkdir()
    for i in range(150):
        (folder / f"story-{i:03d}.txt").write_text(
            STORY.replace("a new bridge", f"bridge number {i}"), encoding="utf-8"
        )
    return folder


def test_head_on_a_large_brief_exits_141(tmp_path: Path) -> None:
    # `| head -1` goes away while briefer still has most of the brief to write.
    folder = wire_of_150(tmp_path)
    child = subprocess.Popen(
        [BRIEFER, "summarize", str(folder), "--engine", "extractive", "--no-cache"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline() == b"# Morning brief\n"
    child.stdout.close()  # as `head -1` does
    err = child.stderr.read()
    assert child.wait(timeout=300) == 141
    assert err == b""


def test_a_fifo_whose_reader_leaves_exits_141_as_stdout_does(tmp_path: Path) -> None:
    # `-o fifo` read by `head -c 10 fifo`: the reader goes away with most of the brief unwritten.
    # click turned the EPIPE into a silent exit 1; the README promises 141, as for stdout.
    folder = wire_of_150(tmp_path)
    fifo = tmp_path / "brief.fifo"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        [
            BRIEFER,
            "summarize",
            str(folder),
            "--engine",
            "extractive",
            "--no-cache",
            "-o",
            str(fifo),
        ],
        stderr=subprocess.PIPE,
    )
    with open(fifo, "rb") as reader:
        assert reader.read(10) == b"# Morning "
    assert child.stderr is not None
    err = child.stderr.read()
    assert child.wait(timeout=300) == 141
    assert err == b""


def test_write_stdout_reports_a_short_write() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")

    def read_a_little_then_leave() -> None:
        os.read(read_end, 100)
        os.close(read_end)

    reader = threading.Thread(target=read_a_little_then_leave)
    reader.start()
    try:
        with pytest.raises(BrokenPipeError):
            write_stdout("x" * (1 << 20), stream)
    finally:
        reader.join()
        with contextlib.suppress(BrokenPipeError):
            stream.close()


# -- escaping -------------------------------------------------------------------------------


def brief(title: str, summary: str, lang: str = "en", source: str = "wire/a.txt") -> Brief:
    """Return a brief shaped as the pipeline makes them."""
    chunk = Chunk(start=0, end=len(summary), sentences=((0, len(summary)),), text="x", tokens=9)
    models = {"summarizer": "sshleifer/distilbart-cnn-12-6"}
    if lang != "en":
        models["translator"] = f"Helsinki-NLP/opus-mt-en-{lang}"
    return Brief(source, title, summary, lang, (chunk,), models, 120, title, summary)


HOSTILE = [
    "# INJECTED heading",
    "[click me](javascript:alert(1))",
    "</div><script>alert(1)</script>",
    "line one\n# INJECTED after a newline\n\n---\n\n- item",
    "![img](http://evil.example/x.png) <http://evil.example> *bold* `code` &amp; | a | b |",
    "1. ordered\n> quote\n    indented code\n=====",
]


def blocks(markdown: str) -> list[tuple[str, str]]:
    """Return the block-level tokens of a Markdown text (type, inline content)."""
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(markdown)
    return [(t.type, t.content) for t in tokens if t.type.endswith("_open") or t.content]


def inline_kinds(markdown: str) -> set[str]:
    """Return every kind of inline token in a Markdown text."""
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(markdown)
    return {c.type for t in tokens for c in (t.children or [])}


@pytest.mark.parametrize("text", HOSTILE)
def test_article_text_cannot_make_markdown(text: str) -> None:
    one = render([brief(text, text)], "markdown")
    assert [kind for kind, _ in blocks(one) if kind == "heading_open"] == ["heading_open"]
    several = render(
        [brief(text, text), brief("Calm", "Calm.")],
        "markdown",
        failed=[Failure(f"wire/{text}.txt", text)],
    )
    kinds = [kind for kind, _ in blocks(several)]
    # Morning brief, Contents, two articles, Not included: nothing else.
    assert kinds.count("heading_open") == 5
    # The contents (two items) and Not included (one): no list of the article's own.
    assert kinds.count("bullet_list_open") == 1 and kinds.count("ordered_list_open") == 1
    assert kinds.count("list_item_open") == 3
    assert "html_block" not in kinds and "blockquote_open" not in kinds
    assert "code_block" not in kinds and "table_open" not in kinds
    inline = inline_kinds(several)
    allowed = {"text", "softbreak", "em_open", "em_close", "link_open", "link_close"}
    assert inline <= allowed  # em: the metadata line; links: the contents' own
    links = [
        t.attrGet("href")
        for block in MarkdownIt("commonmark").parse(several)
        for t in block.children or []
        if t.type == "link_open"
    ]
    assert all(str(href).startswith("#") for href in links) and len(links) == 2


def test_escaped_text_reads_as_it_was() -> None:
    text = "Shares *fell* 3.5% [est.] at AT&T <b>"
    html = MarkdownIt("commonmark").render(render([brief(text, text)], "markdown"))
    assert "Shares *fell* 3.5% [est.] at AT&amp;T &lt;b&gt;" in html
    plain = "U.S. shares rose 3.5% (est.) on Tuesday, snake_case and all."
    assert plain in render([brief("T", plain)], "markdown")  # prose is left alone


def test_model_output_cannot_close_the_rtl_div() -> None:
    hostile = "نص</div><script>alert(1)</script>"
    out = render([brief(hostile, hostile, "ar")], "markdown")
    html_blocks = [content for kind, content in blocks(out) if kind == "html_block"]
    assert html_blocks == ['<div dir="rtl" lang="ar">\n', "</div>\n"]
    assert "<script>" not in MarkdownIt("commonmark").render(out)


def test_translated_markdown_cannot_close_the_rtl_div() -> None:
    from briefer.render import rtl

    out = rtl("# عنوان\n\nنص </div><script>x</script>", "ar")
    html_blocks = [content for kind, content in blocks(out) if kind == "html_block"]
    assert html_blocks == ['<div dir="rtl" lang="ar">\n', "</div>\n"]


# A post as Jekyll and Hugo keep them: YAML front matter, then Markdown with a fenced HTML
# sample and a raw HTML block of the author's own (a callout box).
POST = (
    "---\ntitle: Council votes\nlayout: post\n---\n"
    "# Council votes\n\nThe council met on Tuesday.\n\n"
    '```html\n<div class="x">hi</div>\n```\n\n'
    '<div class="box">\n\nA callout.\n\n</div>\n'
)


def test_a_hugo_posts_toml_front_matter_is_kept_as_it_is() -> None:
    # Hugo keeps front matter in TOML between +++ lines, which CommonMark reads as paragraphs:
    # translate sent it to the model and wrote the gibberish back, and an Arabic document's
    # right-to-left wrapper went above it, where Hugo no longer finds it.
    from briefer.markdown import translate_markdown
    from briefer.render import rtl_document

    front = '+++\ntitle = "Budget vote delayed"\ndate = 2026-12-01\ntags = ["council"]\n+++\n'
    post = front + "\nThe council met on Tuesday.\n"
    seen: list[str] = []

    def translate(texts: list[str]) -> list[str]:
        seen.extend(texts)
        return ["traduit" for _ in texts]

    translated = translate_markdown(post, translate)
    assert seen == ["The council met on Tuesday."]
    assert translated == front + "\ntraduit\n"
    assert rtl_document(translated, "ar").startswith(front + '<div dir="rtl" lang="ar">')
    assert translate_markdown(front, translate) == front


def test_an_arabic_document_keeps_its_front_matter_first_and_its_code_as_it_was() -> None:
    from mdit_py_plugins.front_matter import front_matter_plugin

    from briefer.markdown import translate_markdown
    from briefer.render import rtl_document

    # Translated prose that tries to close the wrapper: markdown.py escapes its `<`.
    hostile = "نص </div><script>x</script>"
    translated = translate_markdown(POST, lambda texts: [hostile for _ in texts])
    out = rtl_document(translated, "ar")
    tokens = MarkdownIt("commonmark").use(front_matter_plugin).parse(out)
    # Site generators read front matter only at the very start: the wrapper comes after it.
    assert tokens[0].type == "front_matter" and "title: Council votes" in tokens[0].content
    assert out.startswith('---\ntitle: Council votes\nlayout: post\n---\n<div dir="rtl"')
    # The fenced sample and the author's HTML block are copied byte for byte.
    assert '```html\n<div class="x">hi</div>\n```' in out
    assert '<div class="box">\n\n' in out and "\n\n</div>\n\n</div>\n" in out
    fences = [t.content for t in tokens if t.type == "fence"]
    assert fences == ['<div class="x">hi</div>\n']
    html = [t.content for t in tokens if t.type == "html_block"]
    assert html == ['<div dir="rtl" lang="ar">\n', '<div class="box">\n', "</div>\n", "</div>\n"]
    assert "<script>" not in MarkdownIt("commonmark").render(out)
    # A leading indented code block stays code inside the wrapper.
    code = rtl_document("\n    x = 1\n\ntext\n", "ar")
    assert [t.content for t in MarkdownIt("commonmark").parse(code) if t.type == "code_block"] == [
        "x = 1\n"
    ]
    # Without front matter the wrapper opens the document; left-to-right text is not wrapped.
    assert rtl_document("# T\n\ntext\n", "ar").startswith('<div dir="rtl" lang="ar">\n\n# T')
    assert rtl_document(POST, "fr") == POST


@pytest.mark.parametrize(
    ("ending", "closer"),
    [
        # A post cut off inside its code sample, as a CMS export truncated at a size limit.
        ("```python\nx = 1\n", "```"),
        ("~~~~\ncode\n~~~\n", "~~~~"),  # a shorter fence inside does not close a longer one
        ("<!-- editor's note: check the figures\nbefore Tuesday", "-->"),  # a draft comment
        ("<pre>\n$ make\n", "</pre>"),
    ],
)
def test_an_arabic_document_ending_in_an_open_block_keeps_its_wrapper_closed(
    ending: str, closer: str
) -> None:
    from briefer.render import rtl_document

    doc = "# عنوان\n\nنص.\n\n" + ending
    out = rtl_document(doc, "ar")
    tokens = [t for t in MarkdownIt("commonmark").parse(out) if t.level == 0]
    # The wrapper's </div> is HTML again, not the tail of the code block or comment.
    assert tokens[-1].type == "html_block" and tokens[-1].content == "</div>\n"
    # The document itself is copied whole, then the one closing line it lacked.
    assert out == f'<div dir="rtl" lang="ar">\n\n{doc.rstrip()}\n{closer}\n\n</div>\n'
    # What the document showed is unchanged: the same block, with the same content.
    before = [(t.type, t.content) for t in MarkdownIt("commonmark").parse(doc) if t.level == 0]
    assert [(t.type, t.content) for t in tokens[1:-1]][-1][0] == before[-1][0]
    assert [t.content for t in tokens[1:-1]][:-1] == [c for _, c in before][:-1]


def test_a_brief_that_left_out_every_article_is_well_formed_markdown() -> None:
    # --strict-facts can leave out every article: the date line once ran into the rule below
    # it ("*… · 0 articles · *" then "---": a setext heading) and ended on an empty " · ".
    out = render([], "markdown", failed=[Failure("wire/a.txt", "fact check: 12 (summary)")])
    tokens = MarkdownIt("commonmark").parse(out)
    headings = [
        (t.tag, tokens[k + 1].content) for k, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert headings == [("h1", "Morning brief"), ("h2", "Not included")]
    assert [t.type for t in tokens].count("hr") == 1
    assert "0 articles*" in out and " · *" not in out
    # Plain text has no list of what was left out (stderr names it): nothing, not a blank line.
    assert render([], "text", failed=[Failure("wire/a.txt", "fact check")]) == ""


def test_a_bidi_override_in_model_text_ends_with_its_text() -> None:
    from briefer.escape import one_line

    # U+202E (right-to-left override) in a title reversed everything after it on the line.
    assert one_line("abc\u202edef") == "abc\u202edef\u202c"
    assert one_line("a\u2067b\u2069c") == "a\u2067b\u2069c"  # closed already: unchanged
    assert one_line("x\u2066y\u202bz") == "x\u2066y\u202bz\u202c\u2069"
    out = render([brief("Council\u202e votes", "Summary\u202e here.")], "markdown")
    for line in out.splitlines():
        opened = sum(line.count(c) for c in "\u202a\u202b\u202d\u202e")
        assert opened == line.count("\u202c"), line


def test_a_newline_in_a_file_name_cannot_make_a_heading() -> None:
    out = render(
        [brief("A", "a."), brief("B", "b.")],
        "markdown",
        failed=[Failure("wire/evil\n# INJECTED\x1b[31m.txt", "404: <script>x</script>")],
    )
    not_included = out.split("## Not included\n\n", 1)[1]
    assert (
        not_included
        == "- wire/evil\\\\n# INJECTED\\\\x1b\\[31m.txt: 404: &lt;script&gt;x&lt;/script&gt;\n"
    )
    assert [k for k, _ in blocks(out)].count("heading_open") == 5


def test_text_format_has_no_control_characters() -> None:
    out = render([brief("T", "Red \x1b[31malert\x1b[0m\nnext")], "text")
    assert out == "Red [31malert [0m next\n"


# -- names that are not UTF-8 ---------------------------------------------------------------


@pytest.fixture
def latin1_folder(tmp_path: Path) -> tuple[Path, bytes]:
    """Return a folder holding a story whose name is Latin-1 (as copied from an old share)."""
    folder = tmp_path / "wire"
    folder.mkdir()
    name = "caf\xe9.txt".encode("latin-1")
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as handle:
        handle.write(STORY)
    (folder / "other.txt").write_text(STORY.replace("bridge", "tunnel"), encoding="utf-8")
    return folder, os.fsencode(folder) + b"/" + name


@pytest.mark.parametrize("fmt", ["json", "jsonl", "markdown"])
def test_undecodable_names_give_valid_utf8(latin1_folder, fmt: str, tmp_path: Path) -> None:
    folder, raw = latin1_folder
    args = [BRIEFER, "summarize", str(folder), "--engine", "extractive", "-f", fmt]
    done = subprocess.run(args, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")  # strict: raises on invalid UTF-8
    written = subprocess.run([*args, "-o", str(tmp_path / f"out.{fmt}")], capture_output=True)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / f"out.{fmt}").read_bytes() == done.stdout
    if fmt == "markdown":
        assert "caf\ufffd.txt" in text
        return
    records = (
        json.loads(text)["briefs"]
        if fmt == "json"
        else [json.loads(line) for line in text.splitlines()]
    )
    latin = next(r for r in records if "source_bytes" in r)
    assert latin["source"].endswith("caf\ufffd.txt")
    assert base64.b64decode(latin["source_bytes"]) == raw
    assert all("source_bytes" not in r for r in records if r is not latin)


# -- templates and output folders, before any model work ------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (b"{{ 1//0 }}", "ZeroDivisionError"),
        (b'{% include "other.j2" %}', "{% include %} is not supported"),
        (b'{% extends "base.j2" %}', "{% extends %} is not supported"),
        (b"caf\xe9 {{ title }}", "not UTF-8"),
        (b"{{ ''.__class__.__mro__ }}", "__class__"),
        (b"{{ nope }}", "'nope' is undefined"),
        (b"{% for %}", ", line 1: "),
        (b"{% for a in articles %}{{ a.tilte }}{% endfor %}", "tilte"),
        # A render error names the template's line, as a syntax error does.
        (b"# {{ title }}\n\n{% for a in articles %}\n{{ a.tilte }}\n{% endfor %}\n", ", line 4: "),
        (b"{% macro m(x) %}\n{{ x.bad }}\n{% endmacro %}\n{{ m(title) }}\n", ", line 2: "),
    ],
)
def test_bad_templates_fail_before_model_work(
    story: Path, tmp_path: Path, template: bytes, message: str, no_models
) -> None:
    path = tmp_path / "brief.md.j2"
    path.write_bytes(template)
    result = run("summarize", str(story), "--template", str(path))
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and message in result.err, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("/dev/zero", "prompt /dev/zero: larger than 2,000,000 bytes"),
        ("{folder}", "is a folder, not a file"),
        ("{folder}/nowhere.txt", "no prompt '{folder}/nowhere.txt': give a file or one of: plain"),
        ("{folder}/no-slot.txt", "no {{text}} slot"),
    ],
)
def test_bad_prompts_fail_before_any_model_loads(
    story: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prompt: str, message: str
) -> None:
    from briefer.brief import Briefer

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model loaded before the prompt was checked")

    monkeypatch.setattr(Briefer, "load", forbidden)
    (tmp_path / "no-slot.txt").write_text("Summarize the article.", encoding="utf-8")
    result = run("summarize", str(story), "--prompt", prompt.format(folder=tmp_path))
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and message.format(folder=tmp_path) in result.err


def test_a_template_that_reads_the_support_and_footnotes_passes_the_check(
    story: Path, tmp_path: Path
) -> None:
    # The check renders the template on stub briefs first; they had no support, footnotes or
    # findings, so `a.support[0]` failed ("list object has no element 0", exit 2) though
    # every real brief has a supported sentence.
    path = tmp_path / "sources.j2"
    path.write_text(
        "{% for a in articles %}{{ a.support[0].sources[0].paragraph }}:"
        "{{ a.footnotes[0].label }}:{{ a.checks|length }}\n{% endfor %}",
        encoding="utf-8",
    )
    result = run(
        "summarize", str(story), "--engine", "extractive", "--template", str(path), "--cite"
    )
    assert result.code == 0, result.err
    assert re.fullmatch(r"\d+:1:\d+\n", result.out), result.out


def test_custom_template_gets_escaped_values_and_raw_ones(story: Path, tmp_path: Path) -> None:
    path = tmp_path / "brief.md.j2"
    path.write_text(
        "{% for a in articles %}{{ a.title }}|{{ a.raw.title }}|{{ a.raw.title|safe }}"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(STORY.replace("Council backs new bridge", "<b>Bridge</b> #1"))
    result = run("summarize", str(hostile), "--engine", "extractive", "--template", str(path))
    assert result.code == 0, result.err
    assert (
        result.out
        == "&lt;b&gt;Bridge&lt;/b&gt; \\#1|&lt;b&gt;Bridge&lt;/b&gt; #1|<b>Bridge</b> #1\n"
    )


def test_missing_output_folder_fails_before_model_work(story: Path, tmp_path: Path, no_models):
    result = run("summarize", str(story), "-o", str(tmp_path / "no" / "brief.md"))
    assert result.code == 1 and "does not exist" in result.err
    result = run("summarize", str(story), "-o", str(story / "brief.md"))
    assert result.code == 1 and result.err.count("\n") == 1
    # An existing folder takes no file: exit 1, as README's table says, for both commands
    # (typer's own check said "Invalid value for '--output'", exit 2).
    for command in (["summarize", str(story)], ["translate", str(story), "-l", "fr"]):
        result = run(*command, "-o", str(tmp_path))
        assert (result.code, result.err) == (1, f"briefer: error: {tmp_path}: is a folder\n")


def test_names_in_errors_and_warnings_stay_on_one_line(story: Path, tmp_path: Path) -> None:
    missing = tmp_path / "evil\n\x1b[31mbriefer: error: fake.txt"
    result = run("summarize", str(missing))
    assert result.code == 1 and result.err.count("\n") == 1 and "\x1b" not in result.err
    assert "evil\\n\\x1b[31mbriefer" in result.err
    # A binary file with such a name, beside a good story: the warning is one line too.
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "good.txt").write_text(STORY, encoding="utf-8")
    (folder / "bad\n\x1b[2J.txt").write_bytes(b"\x00\x01\x02" * 100)
    result = run("summarize", str(folder), "--engine", "extractive")
    assert result.code == 3, result.err
    assert "\x1b" not in result.err and all(
        line.startswith("briefer: ") for line in result.err.splitlines()
    )


def test_hostile_article_through_the_whole_pipeline(story: Path, tmp_path: Path) -> None:
    # A page whose text carries Markdown and HTML of its own, as a scraped or pasted story can.
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        "[Breaking](javascript:alert(1)) </div><script>alert(1)</script>\n\n"
        "The council voted [here](javascript:alert(2)) to build a bridge.\n"
        "# INJECTED heading\n"
        "The vote </div><script>alert(3)</script> ended years of debate.\n\n"
        "- Work will start next spring and should take three years.\n",
        encoding="utf-8",
    )
    result = run("summarize", str(hostile), str(story), "--engine", "extractive", "-l", "en")
    assert result.code == 0, result.err
    assert "javascript" in result.out  # the text is there, as text
    kinds = [kind for kind, _ in blocks(result.out)]
    assert kinds.count("heading_open") == 4  # the brief, contents, two articles
    assert "html_block" not in kinds and "bullet_list_open" not in kinds
    rendered = MarkdownIt("commonmark").render(result.out)
    assert "<script>" not in rendered and 'href="javascript' not in rendered


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_is_one_line_and_exit_1(story: Path) -> None:
    args = [BRIEFER, "summarize", str(story), "--engine", "extractive"]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, check=False)
    assert (done.returncode, done.stderr) == (
        1,
        b"briefer: error: cannot write to stdout: No space left on device\n",
    )
    done = subprocess.run([*args, "-o", "/dev/full"], capture_output=True, check=False)
    assert (done.returncode, done.stderr.count(b"\n")) == (1, 1)
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    # So for the commands that print a listing (a bare "OSError: [Errno 28] ..." before).
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [BRIEFER, "config", "show"], stdout=full, stderr=subprocess.PIPE, check=False
        )
    assert (done.returncode, done.stderr) == (
        1,
        b"briefer: error: cannot write to stdout: No space left on device\n",
    )


def test_a_pages_author_and_date_are_text() -> None:
    # What a web page's metadata can say: an author or date field holding markup.
    from dataclasses import replace

    hostile = replace(
        brief("Title", "Summary."), author="<script>x</script> [a](javascript:1)", date="*2026*"
    )
    out = render([hostile], "markdown")
    meta = out.splitlines()[-1]
    assert "By &lt;script&gt;x&lt;/script&gt; \\[a\\](javascript:1)" in meta
    assert "Published \\*2026\\*" in meta
    assert inline_kinds(out) <= {"text", "em_open", "em_close"}


def test_json_lists_what_was_left_out_of_the_story() -> None:
    # tests/fixtures/ap-take-furniture.txt: an AP take as AP's feed gives it (alert, slug,
    # editors' note, byline and agency line, the story, the contributor line and the notice).
    fixture = Path(__file__).resolve().parent / "fixtures" / "ap-take-furniture.txt"
    result = run("summarize", str(fixture), "--engine", "extractive", "-f", "json")
    assert result.code == 0, result.err
    record = json.loads(result.out)["briefs"][0]
    dropped = record["dropped"]
    for line in ("APNewsAlert", "By JAMIE STENGLE", "Associated Press"):
        assert line in dropped
    assert any(line.startswith("Copyright 2025 The Associated Press") for line in dropped)
    # Each is the source's own text, and none of it is story.
    story = " ".join(record["text"][s:e] for s, e in record["body"])
    for line in dropped:
        assert line.split("\n")[0] in record["text"]
        assert line.split("\n")[0] not in story
