"""Markdown translation: CommonMark constructs one by one, and a property over generated documents.

The translator here is a deterministic fake (upper-casing, word reversal, a lossy one that drops
placeholders), so each expectation is exact and a change in what reaches the model shows.
The examples are written here after the CommonMark 0.31 spec's sections and GFM's tables.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from briefer.markdown import translate_markdown

SEEN: list[list[str]] = []


def upper(texts: list[str]) -> list[str]:
    """Translate by upper-casing, remembering what the model was given."""
    SEEN.append(list(texts))
    return [text.upper() for text in texts]


def reverse(texts: list[str]) -> list[str]:
    """Translate by reversing the word order, placeholders included."""
    return [" ".join(reversed(text.split())) for text in texts]


def lossy(texts: list[str]) -> list[str]:
    """Translate by upper-casing and dropping every placeholder, as a weak model might."""
    return [re.sub(r"</?\d+/?>", "", text).upper() for text in texts]


NASTY = ["-", "1.", "#", ">", "===", "```", "<div>", "|", "+", "2)", "***", "~~~", ":--", "[x]:"]


def nasty(texts: list[str]) -> list[str]:
    """Translate into words that would open blocks at the start of a line, and longer text."""
    return [
        " ".join(f"{NASTY[i % len(NASTY)]} {w}" for i, w in enumerate(t.split())) for t in texts
    ]


def up(markdown: str) -> str:
    """Translate with the upper-casing fake."""
    SEEN.clear()
    return translate_markdown(markdown, upper)


def sent() -> list[str]:
    """Return every text the model was given in the last translation."""
    return [text for batch in SEEN for text in batch]


# --- blocks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # ATX headings, closing sequences, levels; setext headings of both levels.
        ("# Title\n", "# TITLE\n"),
        ("### Title here ###\n", "### TITLE HERE ###\n"),
        ("  ## Indented title\n", "  ## INDENTED TITLE\n"),
        ("Title\n=====\n", "TITLE\n=====\n"),
        ("Sub title\nover two lines\n---\n", "SUB TITLE OVER\nTWO LINES\n---\n"),
        # Thematic breaks between paragraphs.
        ("One.\n\n***\n\nTwo.\n\n- - -\n", "ONE.\n\n***\n\nTWO.\n\n- - -\n"),
        # Indented code, and fences of three or more backticks or tildes, with info strings.
        ("Text.\n\n    code *here*\n    more\n", "TEXT.\n\n    code *here*\n    more\n"),
        ("```python\nx = 'a'\n```\n", "```python\nx = 'a'\n```\n"),
        ("````\n```\ninner\n```\n````\nAfter.\n", "````\n```\ninner\n```\n````\nAFTER.\n"),
        ("~~~~ text\nkeep me\n~~~~\n", "~~~~ text\nkeep me\n~~~~\n"),
        ("```\nunclosed fence\nkeeps going\n", "```\nunclosed fence\nkeeps going\n"),
        # Paragraphs: soft breaks join the sentence; blank lines stay.
        ("First line\nsecond line.\n\n\nNext.\n", "FIRST LINE\nSECOND LINE.\n\n\nNEXT.\n"),
        # Hard breaks, with two spaces and with a backslash, stay on their lines.
        ("Line one  \nline two\\\nline three\n", "LINE ONE  \nLINE TWO\\\nLINE THREE\n"),
        # Link reference definitions are not text.
        (
            '[ref]: http://example.com/a "A title"\n\nSee [ref].\n',
            '[ref]: http://example.com/a "A title"\n\nSEE [ref].\n',
        ),
        # Front matter is metadata, not prose.
        ("---\ntitle: A news day\n---\nBody text.\n", "---\ntitle: A news day\n---\nBODY TEXT.\n"),
        # Block quotes: nested, lazy continuation, code inside.
        ("> Quote\n> > nested quote\n", "> QUOTE\n> > NESTED QUOTE\n"),
        ("> Quote starts\nand goes on lazily.\n", "> QUOTE STARTS AND\nGOES ON LAZILY.\n"),
        ("> Quote\n>\n>     quoted code\n> ```\n> fenced\n> ```\n", None),
        # Lists: bullets, ordered with either delimiter, tight, loose, nested, continued.
        ("- one\n- two\n* three\n", "- ONE\n- TWO\n* THREE\n"),
        ("1. one\n2) two\n\n3. three\n", "1. ONE\n2) TWO\n\n3. THREE\n"),
        ("- one\n\n- two\n", "- ONE\n\n- TWO\n"),
        ("- outer\n  - inner\n    1. deep\n", "- OUTER\n  - INNER\n    1. DEEP\n"),
        (
            "- item\n  continued\n\n  second paragraph\n\n      item code\n",
            "- ITEM\n  CONTINUED\n\n  SECOND PARAGRAPH\n\n      item code\n",
        ),
        ("> - quoted item\n>   more\n", "> - QUOTED ITEM\n>   MORE\n"),
        # GFM tables: cells translated, pipes and the alignment row kept.
        (
            "| Name | Value |\n|:-----|------:|\n| Apple pie | `3` |\n",
            "| NAME | VALUE |\n|:-----|------:|\n| APPLE PIE | `3` |\n",
        ),
        ("a | b\n--|--\nc | d\n", "A | B\n--|--\nC | D\n"),
        # An escaped pipe is a cell's text; in code it stays as written.
        (
            "| Pros \\| cons | `a\\|b` here |\n|---|---|\n",
            "| PROS &#124; CONS | `a\\|b` HERE |\n|---|---|\n",
        ),
        (
            "> | In | quote |\n> |---|---|\n> | x y | z |\n",
            "> | IN | QUOTE |\n> |---|---|\n> | X Y | Z |\n",
        ),
    ],
)
def test_blocks(source: str, expected: str | None) -> None:
    out = up(source)
    if expected is None:  # code in a quote: only the prose changes
        expected = source.replace("> Quote", "> QUOTE")
    assert out == expected


@pytest.mark.parametrize(
    "html",
    [
        # The seven kinds of HTML block in the spec's order.
        "<script>\nvar a = 'text';\n</script>",
        "<!-- a comment\nwith text -->",
        "<?php echo 'text'; ?>",
        "<!DOCTYPE html>",
        "<![CDATA[\nsome text\n]]>",
        '<div class="box">\nsome *text*\n</div>',
        "<custom-tag>\nsome text\n</custom-tag>",
    ],
)
def test_html_blocks_are_kept(html: str) -> None:
    source = f"Before.\n\n{html}\n\nAfter.\n"
    assert up(source) == f"BEFORE.\n\n{html}\n\nAFTER.\n"
    assert not any("text" in text.lower() for text in sent())


# --- inlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Backslash escapes and entities: prose, shown to the model decoded.
        ("A \\*starred\\* word &amp; more.\n", "A \\*STARRED\\* WORD & MORE.\n"),
        # Code spans of one and more backticks, spanning a line.
        ("Run `make test` and ``a ` b`` now\nor `one\nline` later.\n", None),
        # Emphasis and strong, nested, with both markers.
        (
            "Some *em* and __strong__ and ***both*** here.\n",
            "SOME *EM* AND __STRONG__ AND ***BOTH*** HERE.\n",
        ),
        ("*Whole line in emphasis.*\n", "*WHOLE LINE IN EMPHASIS.*\n"),
        # Links: inline with a title, reference, collapsed, shortcut; destinations untouched.
        # A collapsed or shortcut reference's text is its label, so translating it would
        # unlink it: it stays.
        (
            'Read [the report](http://ex.com/a_b "Its title") now.\n',
            'READ [THE REPORT](http://ex.com/a_b "Its title") NOW.\n',
        ),
        (
            "A [full][Ref], a [ref][] and [ref].\n\n[ref]: /url\n",
            "A [FULL][Ref], A [ref][] AND [ref].\n\n[ref]: /url\n",
        ),
        ("Not a [link] here.\n", "NOT A \\[LINK\\] HERE.\n"),
        # Images: alt text translated, source and title kept.
        ('A ![small logo](logo.png "Logo") here.\n', 'A ![SMALL LOGO](logo.png "Logo") HERE.\n'),
        ("[![alt text](a.png)](http://b.c)\n", "[![ALT TEXT](a.png)](http://b.c)\n"),
        # Autolinks, raw HTML and bare URLs are not sent.
        (
            "Mail <me@ex.com> or see <https://ex.com/p?q=1>.\n",
            "MAIL <me@ex.com> OR SEE <https://ex.com/p?q=1>.\n",
        ),
        (
            'Some <span class="x">inline</span> html.\n',
            'SOME <span class="x">INLINE</span> HTML.\n',
        ),
        ("Go to https://example.org/path_x or www.example.com now.\n", None),
    ],
)
def test_inlines(source: str, expected: str | None) -> None:
    out = up(source)
    if expected is None:  # code spans and bare URLs: everything but them is upper-cased
        kept = re.findall(r"``.*?``|`[^`]*`|https?://\S+|www\.\S+", source, re.S)
        for piece in kept:
            assert piece in out
        assert not any(piece in text for text in sent() for piece in kept)
        assert out.count("\n") <= source.count("\n")
        return
    assert out == expected


def test_a_sentence_across_markup_is_one_text() -> None:
    up("The *talks* went on [until late](http://a.b) and `x` stayed.\n")
    assert sent() == ["The <1>talks</1> went on <2>until late</2> and <3/> stayed."]


def test_nothing_but_prose_reaches_the_model() -> None:
    source = (
        "---\nsecret: front\n---\n# Head\n\nText [link](http://secret.example) "
        "`secret code` <b>x</b> <http://secret.auto>.\n\n<div>secret html</div>\n\n"
        "```\nsecret fence\n```\n\n[r]: http://secret.ref\n"
    )
    up(source)
    assert sent() and not any("secret" in text for text in sent())


def test_task_list_boxes_stay_boxes() -> None:
    # A GFM task list as GitHub issues, GitLab and Obsidian write one: unchecked, checked in
    # either case, ordered, nested in a quote; then brackets that are no box.
    source = (
        "- [ ] Call the mayor.\n- [x] File the *story*.\n* [X] Check the quote.\n\n"
        "1. [ ] Numbered task.\n\n> - [ ] Quoted task.\n\n"
        "- [x]No space, no box.\n\n[ ] Not in a list.\n"
    )
    out = up(source)
    assert out == (
        "- [ ] CALL THE MAYOR.\n- [x] FILE THE *STORY*.\n* [X] CHECK THE QUOTE.\n\n"
        "1. [ ] NUMBERED TASK.\n\n> - [ ] QUOTED TASK.\n\n"
        "- \\[X\\]NO SPACE, NO BOX.\n\n\\[ \\] NOT IN A LIST.\n"
    )
    assert sent()[:5] == [
        "Call the mayor.",
        "File the <1>story</1>.",
        "Check the quote.",
        "Numbered task.",
        "Quoted task.",
    ]
    # Whatever the model writes, each box is still a box where GitHub's renderer looks for it.
    from mdit_py_plugins.tasklists import tasklists_plugin

    gfm = MarkdownIt("commonmark").use(tasklists_plugin)
    for translate in (upper, nasty, reverse):
        boxes = gfm.render(translate_markdown(source, translate)).count('type="checkbox"')
        assert boxes == gfm.render(source).count('type="checkbox"') == 5


def test_footnotes_keep_their_marks_and_labels() -> None:
    # Footnotes as GitHub, Pandoc and CMS exports write them: marks in the text, definitions
    # on consecutive lines, a long one with a wrapped line and a second paragraph, one in a
    # quote; then a mark with no definition.
    source = (
        "Ships waited.[^1] Lines warned[^note] of delays.\n\n"
        "[^1]: Port figures, Nov. 26.\n[^note]: Said on Monday.\n\n"
        "[^long]: First paragraph of a long note,\n    wrapped here.\n\n"
        "    Its second paragraph.\n\n> [^q]: Quoted note.\n\nSee [^9] too.\n"
    )
    assert up(source) == (
        "SHIPS WAITED.[^1] LINES WARNED[^note] OF DELAYS.\n\n"
        "[^1]: PORT FIGURES, NOV. 26.\n[^note]: SAID ON MONDAY.\n\n"
        "[^long]: FIRST PARAGRAPH OF A LONG NOTE,\n    WRAPPED HERE.\n\n"
        "    ITS SECOND PARAGRAPH.\n\n> [^q]: QUOTED NOTE.\n\nSEE [^9] TOO.\n"
    )
    assert sent() == [
        "Ships waited.<1/> Lines warned<2/> of delays.",
        "Port figures, Nov. 26.",
        "Said on Monday.",
        "First paragraph of a long note, wrapped here.",
        "Its second paragraph.",
        "Quoted note.",
        "See <1/> too.",
    ]
    # Whatever the model writes, the cited notes are still footnotes to a GFM renderer (which
    # lists only those the text cites: [^1] and [^note]).
    from mdit_py_plugins.footnote import footnote_plugin

    gfm = MarkdownIt("commonmark").use(footnote_plugin)
    notes = gfm.render(source).count('class="footnote-item"')
    for translate in (upper, nasty, reverse):
        assert (
            gfm.render(translate_markdown(source, translate)).count('class="footnote-item"')
            == notes
            == 2
        )


@pytest.mark.parametrize(
    "note",
    ["^[According to the ministry.]", "^[See [the report](http://x.org/r) and *its* notes.]"],
)
def test_a_pandoc_inline_note_is_kept_as_written(note: str) -> None:
    # Pandoc's inline footnote is markup: it goes where the translation puts it, as written
    # (as prose, its brackets came back escaped and it was no note).
    out = up(f"Prices rose.{note} Then they fell.\n")
    assert out == f"PRICES ROSE.{note} THEN THEY FELL.\n"
    assert sent() == ["Prices rose.<1/> Then they fell."]


def test_lost_placeholders_fall_back_to_pieces() -> None:
    source = "The *talks* went on [until late](http://a.b) and `x` stayed.\n"
    out = translate_markdown(source, lossy)
    assert out == "THE *TALKS* WENT ON [UNTIL LATE](http://a.b) AND `x` STAYED.\n"


def test_moved_markup_is_kept_when_it_still_nests() -> None:
    def rotate(texts: list[str]) -> list[str]:
        return [" ".join(text.split()[1:] + text.split()[:1]) for text in texts]

    out = translate_markdown("Read [the full report](http://a.b) today.\n", rotate)
    assert out == "[the full report](http://a.b) today. Read\n"


def test_crossed_markup_falls_back_to_pieces() -> None:
    # Reversed, </1> comes before <1>: each stretch between the markup is translated alone.
    out = translate_markdown("Read [the full report](http://a.b) today.\n", reverse)
    assert out == "Read [report full the](http://a.b) today.\n"


def test_empty_translation_keeps_the_original() -> None:
    source = "Some *text* here.\n"
    assert translate_markdown(source, lambda texts: [""] * len(texts)) == source


def test_translated_text_cannot_open_blocks() -> None:
    def starters(texts: list[str]) -> list[str]:
        return ["1. # - > | * <div> ` _ [x]" for _ in texts]

    source = "First para.\n\n- item\n\n| a | b |\n|---|---|\n| c | d |\n"
    out = translate_markdown(source, starters)
    assert block_shape(out) == block_shape(source)
    assert "1\\. # - > &#124; \\* \\<div> \\` \\_ \\[x\\]" in out


def test_one_model_call_for_the_document() -> None:
    calls: list[list[str]] = []

    def count(texts: list[str]) -> list[str]:
        calls.append(texts)
        return texts

    translate_markdown("# A\n\nB *c* d.\n\n- e\n- f\n\n| g | h |\n|--|--|\n| i | A |\n", count)
    assert len(calls) == 1 and sorted(calls[0]) == ["A", "B <1>c</1> d.", "e", "f", "g", "h", "i"]


def test_crlf_and_untouched_lines_are_byte_for_byte() -> None:
    source = "Title\r\n=====\r\n\r\n```\r\ncode\r\n```\r\ntext \r\n"
    assert up(source) == "TITLE\r\n=====\r\n\r\n```\r\ncode\r\n```\r\nTEXT \r\n"


# --- the property ------------------------------------------------------------------------------

_REFERENCE = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


def block_shape(markdown: str) -> list[tuple[object, ...]]:
    """Return the block tokens' types, tags, levels, nesting, markers and tightness."""
    return [
        (t.type, t.tag, t.level, t.nesting, t.markup, t.hidden, t.info if t.type == "fence" else "")
        for t in _REFERENCE.parse(markdown)
        if t.type != "inline"
    ]


def verbatim(markdown: str) -> Counter[tuple[str, ...]]:
    """Return every code, HTML and URL token of a document, as a multiset."""
    found: Counter[tuple[str, ...]] = Counter()
    for token in _REFERENCE.parse(markdown):
        if token.type in ("fence", "code_block", "html_block", "front_matter"):
            found[(token.type, token.info, token.content)] += 1
        for child in token.children or []:
            if child.type in ("code_inline", "html_inline"):
                found[(child.type, child.content)] += 1
            elif child.type in ("link_open", "image"):
                attrs = child.attrs
                found[
                    (child.type, str(attrs.get("href", attrs.get("src"))), str(attrs.get("title")))
                ] += 1
    return found


WORDS = st.sampled_from(
    [
        "news",
        "Paris",
        "talks",
        "went",
        "well",
        "said",
        "vote",
        "today",
        "U.S.",
        "2024",
        "e.g.",
        "it's",
    ]
)
PLAIN = st.lists(WORDS, min_size=1, max_size=5).map(" ".join)
URL = st.sampled_from(["http://ex.com/a_b", "/local/path", "<http://ex.com/x y>", "img.png"])
INLINE = st.one_of(
    PLAIN,
    PLAIN.map(lambda t: f"*{t}*"),
    PLAIN.map(lambda t: f"**{t}**"),
    PLAIN.map(lambda t: f"_{t}_"),
    st.sampled_from(["`code`", "``a ` b``", "`x_y*z`"]),
    st.tuples(PLAIN, URL).map(lambda p: f"[{p[0]}]({p[1]})"),
    st.tuples(PLAIN, URL).map(lambda p: f'[{p[0]}]({p[1]} "Title")'),
    PLAIN.map(lambda t: f"[{t}][ref]"),
    st.just("[ref][]"),
    st.just("[ref]"),
    st.tuples(PLAIN, URL).map(lambda p: f"![{p[0]}]({p[1]})"),
    st.sampled_from(["<http://ex.com/auto>", "<me@ex.com>", "https://bare.example.org/p"]),
    st.sampled_from(['<span class="a">', "</span>", "<!-- c -->", "<br/>"]),
    st.sampled_from(["\\*", "&amp;", "&#35;", "*", "_", "[", "]", "<", "#", "|", "-", "1."]),
)
LINE = st.lists(INLINE, min_size=1, max_size=5).map(" ".join)
PARAGRAPH = st.tuples(
    LINE, st.lists(st.tuples(st.sampled_from(["\n", "  \n", "\\\n"]), LINE), max_size=3)
).map(lambda p: p[0] + "".join(brk + line for brk, line in p[1]))
LEAF = st.one_of(
    PARAGRAPH,
    st.tuples(st.integers(1, 6), LINE).map(lambda p: "#" * p[0] + " " + p[1]),
    st.tuples(PARAGRAPH, st.sampled_from(["===", "---"])).map(lambda p: f"{p[0]}\n{p[1]}"),
    st.sampled_from(["***", "---", "_ _ _"]),
    st.tuples(st.sampled_from(["```", "~~~", "````"]), PLAIN).map(
        lambda p: f"{p[0]}info\n{p[1]}\n{p[0]}"
    ),
    PLAIN.map(lambda t: f"    {t}"),
    st.sampled_from(["<div>\n*html* text\n</div>", "<!-- note -->", "<pre>\nx\n</pre>"]),
    st.just('[ref]: http://ex.com/ref "Ref"'),
    st.tuples(LINE, LINE).map(lambda p: _table(*p)),
)


def _table(first: str, second: str) -> str:
    """Return a two-row GFM table whose cells hold these lines, their pipes escaped."""
    first, second = first.replace("|", "\\|"), second.replace("|", "\\|")
    return f"| {first} | b |\n|:--|--:|\n| {second} | c |"


def _quote(block: str) -> str:
    return "\n".join("> " + line if line else ">" for line in block.split("\n"))


def _item(block: str, marker: str) -> str:
    pad = " " * (len(marker) + 1)
    lines = block.split("\n")
    return "\n".join([f"{marker} {lines[0]}"] + [pad + line if line else "" for line in lines[1:]])


BLOCK = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        inner.map(_quote),
        st.tuples(
            st.lists(inner, min_size=1, max_size=3),
            st.sampled_from(["-", "*", "1.", "2)"]),
            st.sampled_from(["\n", "\n\n"]),
        ).map(lambda p: p[2].join(_item(b, p[1]) for b in p[0])),
    ),
    max_leaves=6,
)
DOCUMENT = st.tuples(
    st.booleans(), st.lists(BLOCK, min_size=1, max_size=5), st.sampled_from(["\n\n", "\n"])
).map(lambda p: ("---\ntitle: x\n---\n" if p[0] else "") + p[2].join(p[1]) + "\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT, st.sampled_from([upper, reverse, lossy, nasty]))
def test_structure_and_code_survive(source: str, translator) -> None:  # type: ignore[no-untyped-def]
    out = translate_markdown(source, translator)
    assert block_shape(out) == block_shape(source)
    assert verbatim(out) == verbatim(source)


MARKDOWN_CHARS = st.text(alphabet="ab *_`[]()<>!#-+=|\\&;:/.\n>123~\t", max_size=80)


@settings(max_examples=300, deadline=None)
@given(MARKDOWN_CHARS, st.sampled_from([upper, reverse, lossy, nasty]))
def test_any_text_keeps_structure(source: str, translator) -> None:  # type: ignore[no-untyped-def]
    out = translate_markdown(source, translator)
    assert block_shape(out) == block_shape(source)
    assert verbatim(out) == verbatim(source)


# --- through the real command with a tiny Marian ------------------------------------------------

# A newsroom note in the shape editors write them: front matter, a heading, a paragraph whose
# sentence crosses a link and emphasis, a list, a table, code and an HTML comment.
NOTE = """---
slug: morning-notes
---
# Morning notes

The ministers met in **Paris** and [agreed a plan](https://example.com/plan "Plan").
They will meet again soon.

- First point here.
- Second point, see `make brief`.

| Country | Vote |
|:--------|-----:|
| France | yes |

```bash
briefer summarize notes.md
```

<!-- editor: keep this -->
"""


def test_translate_command_with_a_tiny_marian(marian_fr: Path, tmp_path: Path, monkeypatch) -> None:
    import briefer.translate as translate_module
    from test_cli import run

    calls: list[tuple[list[str], list[str]]] = []
    original = translate_module.translate_texts

    def spy(model, texts, lang):  # noqa: ANN001, ANN202
        results = original(model, texts, lang)
        calls.append((list(texts), list(results)))
        return results

    monkeypatch.setattr(translate_module, "translate_texts", spy)
    doc = tmp_path / "notes.md"
    doc.write_text(NOTE, encoding="utf-8")
    # --no-guard: the tiny random Marian loops, and this test holds the model's own answers.
    result = run("translate", str(doc), "--lang", "fr", "-t", str(marian_fr), "--no-guard")
    assert result.code == 0, result.err
    # The first call holds every text of the document, as one batch, and nothing but prose.
    first = calls[0][0]
    assert (
        "The ministers met in <1>Paris</1> and <2>agreed a plan</2>. They will meet again soon."
        in first
    )
    assert {"Morning notes", "First point here.", "Country", "Vote", "France", "yes"} <= set(first)
    assert not any(
        s in text for text in first for s in ("example.com", "make", "briefer", "editor")
    )
    # The output is exactly what the module makes of the model's answers, with nothing lost.
    answers = {text: out for texts, outs in calls for text, out in zip(texts, outs, strict=True)}
    assert result.out == translate_markdown(NOTE, lambda texts: [answers[t] for t in texts])
    assert block_shape(result.out) == block_shape(NOTE)
    assert verbatim(result.out) == verbatim(NOTE)
    assert "The ministers met" not in result.out and "Morning notes" not in result.out
    # -f json keeps Markdown mode: its text is the same translated Markdown.
    calls.clear()
    as_json = run(
        "translate", str(doc), "--lang", "fr", "-t", str(marian_fr), "-f", "json", "--no-guard"
    )
    assert as_json.code == 0, as_json.err
    assert json.loads(as_json.out)["text"].rstrip("\n") + "\n" == result.out


def _indented_block(text: str, after: str) -> str:
    """Return the four-space-indented block that follows a line of the README."""
    lines = text[text.index(after) :].split("\n")[1:]
    block: list[str] = []
    for line in lines:
        if line and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip("\n") + "\n"


def test_readme_example_is_what_the_code_makes() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    source = _indented_block(readme, "For example, `notes.md`:")
    shown = _indented_block(readme, "`briefer translate notes.md --lang fr` gives")
    # The model's answers, as the README shows them.
    answers = {
        "Morning notes": "Notes du matin",
        "The ministers met in <1>Paris</1> and <2>agreed a plan</2>. They will meet again soon.": (
            "Les ministres se sont réunis à <1>Paris</1> et <2>ont convenu d'un plan</2>. "
            "Ils se réuniront à nouveau bientôt."
        ),
        "Country": "Pays",
        "Vote": "Vote",
        "France": "France",
        "yes": "oui",
    }
    assert translate_markdown(source, lambda texts: [answers[t] for t in texts]) == shown


# --- the source tracking, against markdown-it's own tokenizer ------------------------------------

INLINE_TEXT = st.one_of(LINE, st.text(alphabet="ab *_`[]()<>!#&;:/.\n\\12", max_size=60))


@settings(max_examples=300, deadline=None)
@given(INLINE_TEXT)
def test_tracking_tokenizes_as_markdown_it_does(text: str) -> None:
    from briefer import markdown as module

    md = module._parser()
    env = {"references": {"REF": {"href": "/r", "title": ""}}}
    state = module._tracked_state(text, env)
    md.inline.tokenize(state)
    plain = md.inline.parse(text, md, env, [])
    for rule in md.inline.ruler2.getRules(""):
        rule(state)
    assert [(t.type, t.content, t.markup) for t in state.tokens] == [
        (t.type, t.content, t.markup) for t in plain
    ]
    # The pieces cover the text end to end, in order, with no gaps or overlaps.
    pieces = module._pieces(text, 0, len(text), env)
    assert [p.start for p in pieces] == [0, *(p.end for p in pieces[:-1])][: len(pieces)]
    assert all(p.end > p.start for p in pieces)
    assert (pieces[-1].end if pieces else 0) == len(text)


@pytest.mark.parametrize("source", ["## Floods | live updates\n", "Floods | live\n===\n"])
def test_a_pipe_in_a_heading_reads_as_a_pipe(source: str) -> None:
    """A heading's "#" was escaped after the pipe became "&#124;", which gave "&\\#124;": the
    heading read "Floods &#124; live updates"."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(up(source))
    assert re.search(r"<h[12]>FLOODS \| LIVE( UPDATES)?</h[12]>", html), html
    assert "#124" not in html


def test_a_rewrapped_setext_heading_does_not_become_a_table() -> None:
    """Found by test_structure_and_code_survive: re-wrapped, the heading's last line above its
    "---" took the pipe of the line before it, and read as a GFM table's header row."""
    source = "`code`\n\n*news*\n| *news news*\n[ref][]\n---\n"
    out = translate_markdown(source, reverse)
    assert block_shape(out) == block_shape(source)
    assert verbatim(out) == verbatim(source)
