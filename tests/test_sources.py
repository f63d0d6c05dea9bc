import codecs
import gzip
import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefer.errors import InputError
from briefer.sentences import split_sentences
from briefer.sources import (
    Article,
    decode,
    expand,
    markdown_text,
    parse_article,
    read_path,
    read_source,
)

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "paris-coalition-meeting.txt"
SAMPLE_TITLE = "Iraq allies vow support for plan to defeat IS"

SMART = "“Coalition ministers pledged their firm support,” said the café owner — it’s late."
FRENCH = "Le café était fermé à Noël, où l'on a mangé des crêpes. Ça va très bien, garçon."


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def paragraphs(article: Article) -> list[str]:
    return [article.text[s:e] for s, e in article.body]


# --- decoding -------------------------------------------------------------------------------

TEXT = f"Paris talks\n\n{SMART}\n{FRENCH}\n"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(TEXT.encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + TEXT.encode("utf-8"), id="utf-8-sig"),
        pytest.param(TEXT.encode("utf-16"), id="utf-16-native-bom"),
        pytest.param(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), id="utf-32-le-bom"),
        pytest.param(codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), id="utf-32-be-bom"),
        pytest.param(TEXT.encode("cp1252"), id="cp1252"),
    ],
)
def test_read_path_decodes_every_encoding(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "talks.txt", data)
    article = read_path(path)
    assert article.text == TEXT
    assert article.source == path
    assert article.title == "Paris talks"
    assert paragraphs(article) == [SMART, FRENCH]
    assert article.dropped == ("Paris talks",)


def test_latin1_text_decodes_right(tmp_path: Path) -> None:
    text = "Paris\n\n" + FRENCH + "\nDie Straße über den Fluß war für Bürger gesperrt.\n"
    assert read_path(write(tmp_path, "a.txt", text.encode("latin-1"))).text == text


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("café", "latin-1"),  # charset_normalizer alone calls these 4 bytes UTF-16
        ("“Hi” café", "cp1252"),
        ("Привет, как дела? Это тестовый текст на русском языке.", "cp1251"),
        # Word's typography in a Windows newsroom file: charset_normalizer alone said cp852
        # ("companyĺs ônewö prices ű up 5% ű ... Ç1.2 billion").
        (
            "Prices rise — again\n\nThe company’s “new” prices – up 5% – took effect on "
            "Monday, a spokesman said, citing costs of €1.2 billion.\n",
            "cp1252",
        ),
        # A DOS code page keeps its statistics-based reading when its letters say so.
        ("Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp852"),
    ],
)
def test_decode_short_legacy_text(text: str, codec: str) -> None:
    assert decode(text.encode(codec), "x") == text


def test_decode_utf8_with_stray_cp1252_bytes() -> None:
    data = "Le café “était” fermé.".encode() + " Il a dit “oui”.".encode("cp1252")
    assert decode(data, "x") == "Le café “était” fermé. Il a dit “oui”."


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_decode_utf16_without_bom(codec: str) -> None:
    assert decode("Hello world, this is text.\n".encode(codec), "x") == (
        "Hello world, this is text.\n"
    )


def test_decode_normalises_newlines_and_removes_bom() -> None:
    data = codecs.BOM_UTF8 + b"Title\r\n\r\nOne.\rTwo.\r\n"
    assert decode(data, "x") == "Title\n\nOne.\nTwo.\n"


BINARY = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    "png-header-only": b"\x89PNG\r\n\x1a\n",
    "gzip": gzip.compress(b"hello world " * 20),
    "nul": b"Hello\x00world, this has a NUL byte in it.\n",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "controls": bytes(range(1, 32)) * 20,
    "noise": bytes((i * 7919 + 13) % 256 for i in range(4000)),
}


@pytest.mark.parametrize("data", list(BINARY.values()), ids=list(BINARY))
def test_binary_input_is_refused(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "picture.txt", data)
    with pytest.raises(InputError) as info:
        read_path(path)
    assert str(info.value) == f"{path}: looks like a binary file, not text"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "is empty"),
        (b"   \n\t\r\n  \n", "holds no text"),
        (codecs.BOM_UTF8, "holds no text"),
        ("\u200b \n\u00a0\n".encode(), "holds no text"),
        (codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"), "holds no text"),
    ],
)
def test_empty_input_is_refused(tmp_path: Path, data: bytes, problem: str) -> None:
    path = write(tmp_path, "empty.txt", data)
    with pytest.raises(InputError) as info:
        read_path(path)
    assert str(info.value) == f"{path}: {problem}"


# --- file system errors ---------------------------------------------------------------------


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_path(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: is a directory"


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.txt")
    with pytest.raises(InputError) as info:
        read_path(path)
    assert str(info.value) == f"{path}: no such file"


def test_path_through_a_file_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"x") + "/b.txt"
    with pytest.raises(InputError) as info:
        read_path(path)
    assert str(info.value) == f"{path}: no such file"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything"
)
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", b"Title\n\nBody.\n")
    os.chmod(path, 0)
    try:
        with pytest.raises(InputError) as info:
            read_path(path)
    finally:
        os.chmod(path, 0o644)
    assert str(info.value) == f"{path}: cannot be read (permission denied)"


def test_permission_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs even as root, where chmod 000 cannot make a file unreadable.
    path = write(tmp_path, "secret.txt", b"Title\n\nBody.\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError) as info:
        read_path(path)
    assert str(info.value) == f"{path}: cannot be read (permission denied)"


# --- the sample article ---------------------------------------------------------------------


def sample_lines() -> list[str]:
    return [line.strip() for line in SAMPLE.read_text("utf-8").splitlines() if line.strip()]


def test_sample_article() -> None:
    article = read_path(str(SAMPLE))
    lines = sample_lines()
    assert article.title == SAMPLE_TITLE
    assert article.dropped == (
        SAMPLE_TITLE,
        SAMPLE_TITLE,
        "4 min read",
        "02 June, 2015",
        "The Paris meeting comes after a series of shock battlefield gains by the extremists "
        "[Getty]",
    )
    # Everything else, deck and subheading included, is story, in order.
    expected = [line for i, line in enumerate(lines) if i not in {0, 1, 3, 4, 5}]
    assert paragraphs(article) == expected
    assert expected[0] == (
        "Allies of Iraq from over 20 countries meeting in Paris have pledged support for a "
        "strategy to defeat Islamic State and halt its advance."
    )
    assert "Shia-Sunni tensions" in expected
    assert article.body_text() == "\n\n".join(expected)
    assert article.words == sum(len(p.split()) for p in expected) == 743
    for dropped in ("4 min read", "02 June, 2015", "[Getty]", SAMPLE_TITLE):
        assert dropped not in article.body_text()


def test_sample_spans_point_into_text() -> None:
    article = read_path(str(SAMPLE))
    assert article.text == SAMPLE.read_text("utf-8")
    ends = [0]
    for s, e in article.body:
        assert ends[-1] <= s < e
        piece = article.text[s:e]
        assert piece == piece.strip()
        assert "\n" not in piece
        ends.append(e)
    # Trailing non-breaking spaces of the scraped copy stay outside the spans.
    assert article.text[article.body[1][1]] == "\u00a0"


def test_sample_from_stdin_matches_the_file() -> None:
    from_file = read_path(str(SAMPLE))
    from_stdin = read_source("-", io.BytesIO(SAMPLE.read_bytes()))
    assert from_stdin.source == "-"
    assert from_stdin.title == from_file.title
    assert from_stdin.body == from_file.body
    assert from_stdin.dropped == from_file.dropped


# --- titles ---------------------------------------------------------------------------------


def test_title_falls_back_to_file_name(tmp_path: Path) -> None:
    first = "Iraq's allies pledged their support for an emergency plan on Tuesday."
    path = write(tmp_path, "paris-coalition-meeting.txt", f"{first}\n\nMore story.\n".encode())
    article = read_path(path)
    assert article.title == "Paris coalition meeting"
    assert paragraphs(article) == [first, "More story."]
    assert article.dropped == ()


def test_title_from_name_with_underscores(tmp_path: Path) -> None:
    path = write(tmp_path, "iraq_allies--meet.md", b"A sentence that starts the story.\n")
    assert read_path(path).title == "Iraq allies meet"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("2024-12-03-senate-vote.md", "Senate vote"),  # Jekyll's post names
        ("senate-vote_2024-12-03.txt", "Senate vote"),  # an archive's dated files
        ("senate-vote_20241203.txt", "Senate vote"),
        ("2024-12-03.txt", "2024 12 03"),  # nothing else to name it by
        ("top-10-of-2024.txt", "Top 10 of 2024"),  # a year is words
        ("report-12345678-x.txt", "Report 12345678 x"),  # not a date
    ],
)
def test_title_from_name_leaves_out_its_date(tmp_path: Path, name: str, title: str) -> None:
    path = write(tmp_path, name, b"a sentence that starts the story.\n")
    assert read_path(path).title == title


def test_too_long_first_line_is_not_a_title(tmp_path: Path) -> None:
    first = " ".join(["word"] * 26)
    article = read_path(write(tmp_path, "long-line.txt", f"{first}\nNext.\n".encode()))
    assert article.title == "Long line"
    assert paragraphs(article) == [first, "Next."]


def test_question_headline_is_a_title() -> None:
    article = parse_article("Can Iraq hold Ramadi?\nThe city fell in May.\n", "a.txt")
    assert article.title == "Can Iraq hold Ramadi?"
    assert paragraphs(article) == ["The city fell in May."]


def test_title_skips_a_leading_date_line() -> None:
    article = parse_article("2 June 2015\nIraq talks open\nThe talks opened.\n", "a.txt")
    assert article.title == "Iraq talks open"
    assert article.dropped == ("2 June 2015", "Iraq talks open")
    assert paragraphs(article) == ["The talks opened."]


def test_stdin_without_headline_is_untitled() -> None:
    article = read_source("-", io.BytesIO(b"The talks opened on Tuesday in Paris.\n"))
    assert article.title == "Untitled"
    assert article.source == "-"
    assert article.body_text() == "The talks opened on Tuesday in Paris."


def test_empty_stdin_names_stdin() -> None:
    with pytest.raises(InputError) as info:
        read_source("-", io.BytesIO(b""))
    assert str(info.value) == "stdin: is empty"


def test_parse_article_refuses_whitespace() -> None:
    with pytest.raises(InputError) as info:
        parse_article(" \n\n\t", "notes.txt")
    assert str(info.value) == "notes.txt: holds no text"
    with pytest.raises(InputError) as info:
        parse_article("", "-")
    assert str(info.value) == "stdin: holds no text"


def test_lone_headline_stays_in_body() -> None:
    article = parse_article("Iraq talks open\n", "a.txt")
    assert article.title == "Iraq talks open"
    assert paragraphs(article) == ["Iraq talks open"]
    assert article.dropped == ()


def test_only_furniture_is_refused() -> None:
    with pytest.raises(InputError) as info:
        parse_article("4 min read\n02 June, 2015\nPhoto: AFP\n", "a.txt")
    assert str(info.value) == "a.txt: holds no story text, only a title, dates or captions"


# --- front matter and captions --------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "4 min read",
        "Reading time: 3 minutes",
        "5-minute read",
        "02 June, 2015",
        "June 2, 2015",
        "2015-06-02",
        "Tuesday 2 June 2015 10:45 BST",
        "Updated: 2 June 2015",
        "Last updated on June 2, 2015 at 10:45 a.m. EDT",
        "4 min read · 02 June, 2015",
        "2 June 2015 | 10:45 GMT+1",
        "iraq allies   VOW support for plan to defeat IS",
    ],
)
def test_front_matter_lines_are_dropped(line: str) -> None:
    text = f"{SAMPLE_TITLE}\n{line}\nThe story starts here.\n"
    article = parse_article(text, "a.txt")
    assert article.dropped == (SAMPLE_TITLE, line)
    assert paragraphs(article) == ["The story starts here."]


@pytest.mark.parametrize(
    "line",
    [
        "The Paris meeting comes after a series of battlefield gains [Getty]",
        "Iraqi soldiers gather near Ramadi [AFP]",
        "Fighters in Palmyra [Reuters/John Doe]",
        "Iraqi soldiers gather near Ramadi (Photo: AFP)",
        "Iraqi soldiers gather near Ramadi. (AP Photo/Hadi Mizban)",
        "Photo: Iraqi soldiers gather near Ramadi",
        "Image: AFP",
        "Picture: Reuters",
        "Credit: Getty",
        "Caption: Iraqi soldiers",
        "Iraqi soldiers gather near Ramadi. AFP via Getty Images",
    ],
)
def test_captions_are_dropped_anywhere(line: str) -> None:
    story = [f"Paragraph {n} of the story." for n in range(12)]
    text = "\n".join([SAMPLE_TITLE, *story[:10], line, *story[10:]]) + "\n"
    article = parse_article(text, "a.txt")
    assert article.dropped == (SAMPLE_TITLE, line)
    assert paragraphs(article) == story


def test_furniture_after_the_front_matter_is_story() -> None:
    story = [f"Paragraph {n} of the story." for n in range(10)]
    late = ["4 min read", "02 June, 2015", SAMPLE_TITLE]
    text = "\n".join([SAMPLE_TITLE, *story, *late]) + "\n"
    article = parse_article(text, "a.txt")
    assert paragraphs(article) == story + late
    assert article.dropped == (SAMPLE_TITLE,)


@pytest.mark.parametrize(
    "line",
    [
        "He said the plan [to retake Ramadi] would work.",
        "The minister said it was “the best plan” [sic]",
        "This is what he wrote [...]",
        "See the table [1]",
        "Picture, if you will, a city under siege.",
        "Shia-Sunni tensions",
        "June 2015 was the hottest month.",
    ],
)
def test_ordinary_lines_are_kept(line: str) -> None:
    text = f"{SAMPLE_TITLE}\n{line}\nMore.\n"
    assert paragraphs(parse_article(text, "a.txt")) == [line, "More."]


def test_paragraphs_are_lines() -> None:
    text = "Title here\r\n\r\n  First line.  \nSecond line.\n\n\n\tThird.\u00a0\n\u200b\n"
    article = parse_article(text, "a.txt")
    assert article.text == text.replace("\r\n", "\n")
    assert paragraphs(article) == ["First line.", "Second line.", "Third."]
    assert article.body == ((14, 25), (28, 40), (44, 50))
    assert article.body_text() == "First line.\n\nSecond line.\n\nThird."
    assert article.words == 5


# --- markdown -------------------------------------------------------------------------------


def test_markdown_heading_is_the_title(tmp_path: Path) -> None:
    data = b"# Iraq allies meet in Paris\n\nThe talks opened.\n\n## Tensions\n\nMore.\n"
    article = read_path(write(tmp_path, "talks.md", data))
    assert article.title == "Iraq allies meet in Paris"
    # A subheading names a section; it is no sentence (it ran into the next one, unpunctuated).
    assert article.dropped == ("# Iraq allies meet in Paris", "## Tensions")
    assert paragraphs(article) == ["The talks opened.", "More."]


# A post as a static-site CMS (Jekyll, Hugo) stores it: front matter, a setext headline, a
# paragraph hard-wrapped with an inline link and bold, a quote wrapped
# over two lines with a nested quote, a GFM table, fenced and indented code, an HTML ad
# block, an image, ordered and bullet lists, and a reference-link definition.
CMS_POST = """---
title: Council votes on the bridge
layout: post
---

Council votes on the bridge
===========================

The council voted on **Tuesday** to build a [new bridge](https://example.com/b "The plan")
over the river, at a cost of $12 million.

> "We are working as fast as possible," the
> mayor said on Tuesday.
>
> > The engineers agreed.

| Year | Cost |
|------|------|
| 2026 | 12 |

```bash
rm -rf / # not story
```

    indented_code = True

<div class="ad">Advert</div>

![Photo of the bridge](bridge.jpg)

1. Work starts in *March*.
2. It ends in 2028.

- Tolls are ruled out, said the [mayor][ref] \\* again &amp; again.

[ref]: https://example.com/mayor
"""


def test_markdown_is_read_as_commonmark(tmp_path: Path) -> None:
    article = read_path(write(tmp_path, "post.md", CMS_POST.encode()))
    assert article.title == "Council votes on the bridge"
    # Markup, code, tables, HTML, images and link targets never reach the model as sentences;
    # wrapped lines and quoted lines read as the paragraphs they are.
    assert paragraphs(article) == [
        "The council voted on Tuesday to build a new bridge over the river, at a cost of "
        "$12 million.",
        '"We are working as fast as possible," the mayor said on Tuesday.',
        "The engineers agreed.",
        "1. Work starts in March.",
        "2. It ends in 2028.",
        "- Tolls are ruled out, said the mayor * again & again.",
    ]
    # Each item keeps its own marker, whatever comes first in it; <br> is a space.
    assert markdown_text("0. zero\n1. one\n\n7) ![x](a.png) after\n\n- a<br>b\n") == (
        "0. zero\n\n1. one\n\n7) after\n\n- a b\n"
    )
    # A .md file whose paragraphs are all HTML (or code) has no Markdown prose: it is read
    # line by line, as before, rather than refused as empty.
    assert markdown_text("<p>The council met.</p>\n") is None
    html = read_path(write(tmp_path, "html.md", b"<p>The council met on Tuesday.</p>\n"))
    assert paragraphs(html) == ["<p>The council met on Tuesday.</p>"]
    # Hugo keeps its front matter in TOML between +++ lines: its title is the title.
    hugo = '+++\ntitle = "Council votes: \\"yes\\""\ndate = 2026-12-01\n+++\n\nThe council met.\n'
    hugo_article = read_path(write(tmp_path, "hugo.md", hugo.encode()))
    assert hugo_article.title == 'Council votes: "yes"'
    assert paragraphs(hugo_article) == ["The council met."]
    # ... and its author(s) and date are the brief's, as YAML's are (a TOML date is a value).
    assert hugo_article.date == "2026-12-01"
    hugo_people = hugo.replace(
        "date = 2026-12-01", 'date = 2026-12-01T08:30:00Z\nauthors = ["Ann Lee", "Bo Chen"]'
    )
    people_article = read_path(write(tmp_path, "hugo2.md", hugo_people.encode()))
    assert (people_article.author, people_article.date) == ("Ann Lee; Bo Chen", "2026-12-01")
    # Names as they are: accents, quotes and apostrophes.
    hugo_names = hugo.replace(
        "date = 2026-12-01",
        'authors = ["José Pérez", "Ann \\"Nan\\" Lee", "Seán O\'Connor"]',
    )
    named = read_path(write(tmp_path, "hugo4.md", hugo_names.encode()))
    assert named.author == 'José Pérez; Ann "Nan" Lee; Seán O\'Connor'
    hugo_one = hugo.replace("date = 2026-12-01", 'author = "Ann Lee"')
    assert read_path(write(tmp_path, "hugo3.md", hugo_one.encode())).author == "Ann Lee"
    # A name with both kinds of quote; the author under [params], where Hugo now keeps it;
    # publishDate when there is no date.
    hugo_params = hugo.replace(
        "date = 2026-12-01", 'publishDate = 2026-12-02\n[params]\nauthor = "Ann \\"Nan\\" O\'Neil"'
    )
    params_article = read_path(write(tmp_path, "hugo5.md", hugo_params.encode()))
    assert (params_article.author, params_article.date) == ('Ann "Nan" O\'Neil', "2026-12-02")
    # A GFM task list's boxes are the items' state, not their words.
    assert markdown_text("- [x] Union notified employers.\n- [ ] Vote next month.\n") == (
        "- Union notified employers.\n\n- Vote next month.\n"
    )
    # Empty front matter is no story: its two rules were two paragraphs of it.
    empty = read_path(write(tmp_path, "empty.md", b"---\n---\n\nThe council met.\n"))
    assert paragraphs(empty) == ["The council met."]
    # A folder is searched for .markdown files too, and they are read as Markdown.
    from briefer.sources import expand

    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "post.markdown").write_bytes(CMS_POST.encode())
    found = [source.name for source in expand([str(tmp_path / "posts")])]
    assert found == [str(tmp_path / "posts" / "post.markdown")]
    assert paragraphs(read_path(found[0])) == paragraphs(article)
    # The same post saved as .txt keeps the old, line-by-line reading (no Markdown there).
    plain = read_path(write(tmp_path, "post.txt", CMS_POST.encode()))
    assert any("rm -rf" in p for p in paragraphs(plain))


def test_markdown_heading_with_closing_hashes() -> None:
    article = parse_article("## Iraq talks. ##\nBody.\n", "a.md")
    assert article.title == "Iraq talks."


def test_setext_heading_underline_is_dropped() -> None:
    article = parse_article("Iraq talks\n==========\nBody.\n", "a.md")
    assert article.title == "Iraq talks"
    assert article.dropped == ("Iraq talks", "==========")
    assert paragraphs(article) == ["Body."]


def test_yaml_front_matter_title(tmp_path: Path) -> None:
    text = (
        "---\n"
        'title: "Iraq allies vow support: \\"plan\\" to defeat IS"\n'
        "date: 2015-06-02\n"
        "tags:\n"
        "  - iraq\n"
        "---\n"
        "\n"
        '# Iraq allies vow support: "plan" to defeat IS\n'
        "\n"
        "The talks opened.\n"
    )
    article = read_path(write(tmp_path, "talks.md", text.encode()))
    assert article.title == 'Iraq allies vow support: "plan" to defeat IS'
    assert article.dropped == (
        "---",
        'title: "Iraq allies vow support: \\"plan\\" to defeat IS"',
        "date: 2015-06-02",
        "tags:",
        "- iraq",
        "---",
        '# Iraq allies vow support: "plan" to defeat IS',
    )
    assert paragraphs(article) == ["The talks opened."]
    assert article.text == text


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("title: Plain title here # a comment", "Plain title here"),
        ("title: 'It''s a title'", "It's a title"),
        ("Title: Capital key", "Capital key"),
    ],
)
def test_yaml_title_forms(line: str, title: str) -> None:
    article = parse_article(f"---\n{line}\n---\nThe story.\n", "a.md")
    assert article.title == title
    assert paragraphs(article) == ["The story."]


def test_yaml_block_scalar_title() -> None:
    text = "---\ntitle: >\n  Iraq allies\n  meet in Paris\nauthor: AFP\n---\nThe story.\n"
    assert parse_article(text, "a.md").title == "Iraq allies meet in Paris"


def test_yaml_without_title_uses_the_heading() -> None:
    article = parse_article("---\nauthor: AFP\n---\n# Iraq talks\nBody.\n", "a.md")
    assert article.title == "Iraq talks"
    assert article.dropped == ("---", "author: AFP", "---", "# Iraq talks")
    assert paragraphs(article) == ["Body."]


# Front matter as site generators and CMS exports write it, read as YAML is: Jekyll's
# `author:` mapping (a theme's name/email/url), a list of such mappings, Astro's `pubDate`,
# Ghost's `published_at`, YAML comments and quoting, and a hand-made file whose unquoted
# title has a colon in it (which YAML refuses: the other fields still count).
@pytest.mark.parametrize(
    ("front", "title", "author", "date"),
    [
        (
            'title: No\nauthor: Jane Doe # staff writer\ndate: "2024-10-03"',
            "No",
            "Jane Doe",
            "2024-10-03",
        ),
        (
            'title: x\nauthors: ["C# Desk", \'Bo "B" Chen\', Ann Lee]',
            "x",
            'C# Desk; Bo "B" Chen; Ann Lee',
            None,
        ),
        ("title: x\nauthor:\n  name: Jane Doe\n  email: jane@example.com", "x", "Jane Doe", None),
        (
            "title: x\nauthors:\n- name: Jane Doe\n- name: Bo Li\n  url: /bo",
            "x",
            "Jane Doe; Bo Li",
            None,
        ),
        ("title: x\npubDate: 2024-10-03T08:00:00Z", "x", None, "2024-10-03"),
        ("title: x\npublished_at: '2024-10-03 08:00'\ndate: soon", "x", None, "2024-10-03"),
        (
            "title: Floods: 42 dead\nauthor: AFP\ndate: 2024-10-03",
            "Floods: 42 dead",
            "AFP",
            "2024-10-03",
        ),
        ('title: "Floods" kill 42\nauthor: "Ann Lee"', '"Floods" kill 42', "Ann Lee", None),
        ("title: 2024\nauthor: [[nested], {email: a@b.c}]", "2024", None, None),
    ],
)
def test_front_matter_is_read_as_yaml(
    front: str, title: str, author: str | None, date: str | None
) -> None:
    article = parse_article(f"---\n{front}\n---\nThe story.\n", "a.md")
    assert (article.title, article.author, article.date) == (title, author, date)
    assert paragraphs(article) == ["The story."]


def test_front_matter_is_bounded() -> None:
    # Aliases nested nine deep (a "billion laughs") are read at once, not expanded; front
    # matter past 64 KB is left out of the story without being parsed for its fields.
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    bomb = f"---\ntitle: Bomb\nl0: &l0 [lol]\n{levels}author: *l9\n---\nThe story.\n"
    article = parse_article(bomb, "a.md")
    assert (article.title, article.author, paragraphs(article)) == ("Bomb", None, ["The story."])
    big = "---\ntitle: Big\n" + "tag: x\n" * 10_000 + "---\n# Heading here\nThe story.\n"
    article = parse_article(big, "a.md")
    assert (article.title, paragraphs(article)) == ("Heading here", ["The story."])


def test_leading_rule_is_not_front_matter() -> None:
    # Not YAML (no key: value inside): the rules are rules, no story, and the line between
    # them is the headline they frame.
    text = "---\nIraq talks open in Paris today\n---\nThe story.\n"
    article = parse_article(text, "notes.txt")
    assert article.title == "Iraq talks open in Paris today"
    assert paragraphs(article) == ["The story."]
    assert article.dropped == ("---", "Iraq talks open in Paris today", "---")


def test_unclosed_front_matter_is_story() -> None:
    # Not read as YAML: its lines are judged as any text's, the rule left out as no story.
    article = parse_article("---\ntitle: x\nThe story.\n", "notes.txt")
    assert paragraphs(article) == ["The story."]
    assert article.title == "title: x" and article.dropped == ("---", "title: x")


# --- invariants -----------------------------------------------------------------------------

LINE_PARTS = st.sampled_from(
    [
        "Iraq talks",
        "The story goes on.",
        "4 min read",
        "02 June, 2015",
        "Photo: AFP",
        "gains [Getty]",
        "# Heading",
        "---",
        "title: x",
        "   ",
        "\u00a0",
        "\r",
        "",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(LINE_PARTS, max_size=14))
def test_every_line_is_body_or_dropped(parts: list[str]) -> None:
    text = "\n".join(parts)
    try:
        article = parse_article(text, "a.txt")
    except InputError:
        return
    lines = [line.strip() for line in article.text.split("\n") if line.strip()]
    body = paragraphs(article)
    # Body and dropped lines, merged back in text order, are every non-blank line; a body
    # paragraph may hold several lines (a soft-wrapped paragraph).
    body_lines = [line.strip() for p in body for line in p.split("\n")]
    assert sorted(body_lines + list(article.dropped)) == sorted(lines)
    assert all(p == p.strip() and p for p in body)
    starts = [s for s, _ in article.body]
    assert starts == sorted(starts)


# --- paragraphs before sentences (issue 9.2) --------------------------------------------------

# Plain-text wire copy as AP and Reuters send it to subscribers' systems, written here:
# - ap-wire-wrapped.txt imitates an AP plain-text story: headline, byline and credit lines,
#   the dateline "WASHINGTON (AP) —", paragraphs hard-wrapped at 70 columns and separated
#   by blank lines, a copyright line at the end;
# - reuters-wire-wrapped.txt imitates a Reuters plain-text take: the dateline
#   "WASHINGTON, Nov 30 (Reuters) -", paragraphs wrapped at 69 columns that open with a
#   four-space indent and have no blank line between them, and the "(Reporting by ...)" tail.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WIRE = {
    "ap": FIXTURES / "ap-wire-wrapped.txt",
    "reuters": FIXTURES / "reuters-wire-wrapped.txt",
}


def unwrap(wrapped: str) -> str:
    """Return the same copy with each paragraph on one line, by the feed's own conventions.

    Written independently of briefer's reflow: a paragraph is a block between blank lines, or
    a run of lines opened by an indented one (Reuters), and its lines are joined by spaces. A
    block of short lines (byline and credit) was never wrapped and keeps its lines.
    """
    out: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            wrapped = any(len(line) > 50 for line in current)
            out.extend([" ".join(current)] if wrapped else current)
            current.clear()

    for line in wrapped.split("\n"):
        if not line.strip():
            close()
            out.append("")
        elif line.startswith("    "):
            close()
            current.append(line.rstrip())
        else:
            current.append(line.strip())
    close()
    return "\n".join(out)


def sentence_texts(article: Article) -> list[str]:
    """Return the article's sentences, whitespace collapsed, as the chunker sees them."""
    from briefer.brief import sentences_of

    return [" ".join(article.text[s:e].split()) for s, e in sentences_of(article)]


@pytest.mark.parametrize("feed", sorted(WIRE))
def test_hard_wrapped_wire_copy_gives_the_paragraphs_and_sentences_of_unwrapped(
    feed: str,
) -> None:
    wrapped = WIRE[feed].read_text("utf-8")
    flat = unwrap(wrapped)
    assert max(len(line) for line in wrapped.splitlines()) <= 70 < max(map(len, flat.split("\n")))
    a = parse_article(wrapped, f"{feed}.txt")
    b = parse_article(flat, f"{feed}.txt")
    assert a.title == b.title == "Senate passes stopgap bill to keep government open into March"
    assert [" ".join(p.split()) for p in paragraphs(a)] == paragraphs(b)
    assert len(a.body) == len(b.body) >= 7
    # Spans still index the original text: each paragraph is its wrapped lines, as sent.
    assert any("\n" in p for p in paragraphs(a))
    for s, e in a.body:
        assert wrapped[s:e] == wrapped[s:e].strip()
    assert sentence_texts(a) == sentence_texts(b)
    # No sentence was cut at a line end: each one starts as a sentence does.
    assert all(s[:1].isupper() or s[:1] in '"$(' for s in sentence_texts(a))
    assert a.dropped == b.dropped


def test_wrapped_markdown_and_stdin_read_alike() -> None:
    wrapped = WIRE["ap"].read_text("utf-8")
    as_markdown = "# " + wrapped
    expected = sentence_texts(parse_article(unwrap(wrapped), "a.txt"))
    assert sentence_texts(parse_article(as_markdown, "story.md")) == expected
    assert sentence_texts(read_source("-", io.BytesIO(wrapped.encode("utf-8")))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A headline directly over the story, no blank line: two paragraphs, not one.
        (
            "Markets slide in Tokyo\nShares fell sharply on Monday.\n",
            ["Shares fell sharply on Monday."],
        ),
        # A sentence that visibly goes on is one paragraph even in unwrapped text.
        (
            "Markets slide\n\nShares fell sharply in Tokyo on Monday as the\nyen rose.\n",
            ["Shares fell sharply in Tokyo on Monday as the\nyen rose."],
        ),
        # List items, headings, quotes and bylines stand apart (a subheading is then left out).
        (
            "Markets slide\n\nTraders said:\n- the yen rose\n- oil fell\n## Why\n> a quote\n"
            "By Ann Lee\nThe rest.\n",
            [
                "Traders said:",
                "- the yen rose",
                "- oil fell",
                "> a quote",
                "By Ann Lee",
                "The rest.",
            ],
        ),
        # A list item's indented continuation belongs to the item.
        (
            "Markets slide\n\n- the yen rose against the dollar and\n  the euro on Monday\n- oil fell\n",
            ["- the yen rose against the dollar and\n  the euro on Monday", "- oil fell"],
        ),
        # Code keeps its lines.
        (
            "Markets slide\n\n```\nx = 1\ny = 2\n```\nDone.\n",
            ["```", "x = 1", "y = 2", "```", "Done."],
        ),
    ],
)
def test_paragraph_boundaries(text: str, expected: list[str]) -> None:
    assert paragraphs(parse_article(text, "a.md")) == expected


def test_a_caption_after_a_wrapped_paragraph_is_still_dropped() -> None:
    wrapped = WIRE["ap"].read_text("utf-8")
    lines = wrapped.split("\n")
    at = lines.index("spare before funding runs out.") + 1
    lines.insert(at, "(Photo: AP Photo/J. Scott Applewhite)")
    article = parse_article("\n".join(lines), "a.txt")
    assert "(Photo: AP Photo/J. Scott Applewhite)" in article.dropped
    assert "Applewhite" not in article.body_text()


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Senate leaders strike deal on spending",
        "READ MORE: Why the shutdown fight matters",
        "See also: How a shutdown works",
        "Related: House passes its own bill",
        "Follow us on Twitter for the latest news",
        "Follow Jane Holloway on X",
        "Sign up for our Politics newsletter",
        "Click here to subscribe",
        "Download the NewsCorp app for breaking news alerts",
        # Ad slots' labels left between paragraphs of a page saved as text or a CMS export.
        "ADVERTISEMENT",
        "Advertisement",
        "Story continues below advertisement",
        "Advertisement - Scroll to Continue",
        "[Advertisement]",
        "Publicité",
        "La suite après cette publicité",
        "إعلان",
    ],
)
def test_teaser_and_follow_lines_are_dropped(line: str) -> None:
    story = [f"Paragraph {n} of the story." for n in range(12)]
    text = "\n".join([SAMPLE_TITLE, *story[:5], line, *story[5:]]) + "\n"
    article = parse_article(text, "a.txt")
    assert article.dropped == (SAMPLE_TITLE, line)
    assert paragraphs(article) == story


@pytest.mark.parametrize(
    "line",
    [
        "Read the full statement on the White House website.",
        "Followers of the senator said on Twitter that he would vote no.",
        "He urged voters to sign up for the new health plan before December.",
        "Advertisements for the plan ran on local radio.",
        "Promoted!",
        "Publicité mensongère : la société a été condamnée.",
    ],
)
def test_sentences_like_teasers_are_kept(line: str) -> None:
    text = f"{SAMPLE_TITLE}\n{line}\nMore.\n"
    assert paragraphs(parse_article(text, "a.txt")) == [line, "More."]


@pytest.mark.parametrize("feed", sorted(WIRE))
def test_hard_wrapped_wire_copy_gives_the_chunks_and_brief_of_unwrapped(
    feed: str, bart: Path
) -> None:
    from briefer import Briefer, Options

    wrapped = WIRE[feed].read_text("utf-8")
    briefer = Briefer(Options(model=str(bart), backend="torch", max_length=40))
    # One article per call: each brief comes from the same batch shape as the other's.
    a = briefer.brief(parse_article(wrapped, f"{feed}.txt"))
    b = briefer.brief(parse_article(unwrap(wrapped), f"{feed}.txt"))
    assert len(a.chunks) >= 2  # the tiny model's 256-token limit splits the story
    assert [c.text for c in a.chunks] == [c.text for c in b.chunks]
    assert [c.tokens for c in a.chunks] == [c.tokens for c in b.chunks]
    assert a.summary == b.summary and a.title == b.title
    extractive = Briefer(Options(engine="extractive"))
    a = extractive.brief(parse_article(wrapped, f"{feed}.txt"))
    b = extractive.brief(parse_article(unwrap(wrapped), f"{feed}.txt"))
    assert a.summary == b.summary
    assert a.summary.startswith(("WASHINGTON", "The", "Senate"))


def test_a_source_takes_a_path() -> None:
    from briefer.sources import Source

    assert Source(Path("wire") / "a.txt").name == str(Path("wire") / "a.txt")


# --- agency furniture and sentence ends, from a reading trial of agency copy (2026-12-07) ---
# Written for these tests in the shape of what agencies send:
# - reuters-take-furniture.txt: a Reuters take with its slug line, a CORRECTED-UPDATE all-caps
#   headline, a correction note, a byline, MORE between takes and a second dateline with its
#   "(Adds ...)" note, the Reporting/Editing trailer, ENDS, a contact line and Keywords;
# - ap-take-furniture.txt: an AP take with APNewsAlert, the ^BC- slug and ^EDS: note, a byline
#   over "Associated Press", a "___" rule, the contributor line and the copyright notice,
#   wrapped over three lines;
# - afp-ar-depeche.txt and afp-fr-depeche.txt: AFP dispatches in Arabic (Arabic commas and
#   question marks, «» quotes, the "د." title, desk initials) and French (the keyword slug
#   over the headline, "Le Dr.", a "par X avec Y à Z" byline, desk initials, © line);
# - ap-anpa-header.txt: an AP story whose header lines come in the ANPA wire format, each
#   between "^" and "<" (slug, headline, a mixed-case "Eds:" note, byline, agency line);
# - reuters-abbreviations.txt: Reuters copy dense with abbreviations (mi., 10-yr., p.m. EST).
FURNITURE = {
    "reuters": (
        "reuters-take-furniture.txt",
        "FRENCH GOVERNMENT SURVIVES NO-CONFIDENCE VOTE OVER BUDGET",
        "Elizabeth Pineau; Michel Rose",
        "PARIS, Dec 7 (Reuters) - France's minority government survived",
        "Bond markets were calm",
    ),
    "ap": (
        "ap-take-furniture.txt",
        "TORNADOES KILL AT LEAST 6 IN TEXAS AS STORMS SWEEP ACROSS SOUTH",
        "JAMIE STENGLE",
        "DALLAS (AP) — Tornadoes tore through rural Texas",
        "More than 120,000 homes and businesses were without power",
    ),
    "ap-anpa": (
        "ap-anpa-header.txt",
        "Senate passes stopgap bill, averts shutdown",
        "LISA MASCARO; MARY CLARE JALONICK",
        "WASHINGTON (AP) — The Senate voted 71 to 27",
        "The measure is the third short-term extension",
    ),
    "afp-fr": (
        "afp-fr-depeche.txt",
        "Grève SNCF : le trafic fortement perturbé avant les fêtes",  # its NBSP made a space
        None,
        "PARIS, 7 déc 2024 (AFP) - Le trafic ferroviaire",
        "Le mouvement pourrait s'étendre à la RATP",
    ),
}


@pytest.mark.parametrize("feed", sorted(FURNITURE))
def test_agency_furniture_is_no_story_and_the_headline_is_the_title(feed: str) -> None:
    name, title, author, first, last = FURNITURE[feed]
    article = read_path(str(FIXTURES / name))
    assert (article.title, article.author) == (title, author)
    story = [" ".join(p.split()) for p in paragraphs(article)]
    assert story[0].startswith(first) and story[-1].startswith(last)
    # Every line of the file is either in the story or in what was left out, and what was
    # left out is furniture: no story paragraph went with it.
    furniture = (
        "MORE", "ENDS", "Keywords:", "((", "(Reporting by", "(Corrects", "BC-", "^BC-", "^EDS",
        "APNewsAlert", "By ", "Associated Press", "___", "Copyright", "material may not",
        "redistributed.", "to this report.", "par Julien", "jmi-hl", "©", "PARIS, Dec 7 (Reuters) - (Adds",
        "reporting by Leigh", "Alison Williams", title.split()[0], "CORRECTED", "BUDGET",
        "FRANCE-SOCIAL", "^",
    )  # fmt: skip
    for line in article.dropped:
        assert line.startswith(furniture) or line in title, line
    assert not any(p.startswith(("MORE", "ENDS", "(", "___", "Copyright")) for p in story)
    assert not any("(Adds" in p or "(Corrects" in p for p in story)


# AP's rights notice as AP's feed wraps it at 70 columns, broken at each place a wire
# system may break it: the notice is left out whole, never its tail alone.
@pytest.mark.parametrize(
    "notice",
    [
        "Copyright 2024 The Associated Press. All rights reserved. This material\n"
        "may not be published, broadcast, rewritten or redistributed.",
        "Copyright 2024 The Associated Press. All rights reserved. This material may not\n"
        "be published, broadcast, rewritten or redistributed.",
        "\u00a9 2024 The Associated Press. All rights reserved. This material may not be\n"
        "published, broadcast, rewritten or\nredistributed.",
    ],
)
def test_a_wrapped_rights_notice_is_left_out_whole(notice: str) -> None:
    text = (
        "Bill passes\n\nWASHINGTON (AP) — The Senate voted 71 to 27 on Tuesday to approve a\n"
        "stopgap spending bill that keeps the federal government open until\n"
        "mid-March, sending the measure to the House before funding runs out.\n\n"
        f"{notice}\n"
    )
    story = paragraphs(parse_article(text, "a.txt"))
    assert len(story) == 1 and story[0].startswith("WASHINGTON (AP)")


def test_a_take_note_under_a_headline_wider_than_the_wrap_is_not_the_headlines() -> None:
    # A Reuters take as its feed gives it: a 77-column headline, the note on the next line,
    # then the story indented and hard-wrapped at 70 columns, with no blank line anywhere.
    text = (
        "CORRECTED-UPDATE 2-French government survives no-confidence vote over budget\n"
        "(Corrects vote tally in paragraph 2)\n"
        "    PARIS, Dec 7 (Reuters) - France's minority government survived\n"
        "a no-confidence vote in parliament on Monday, clearing the way for\n"
        "its 2025 budget to pass without a final vote in the lower house.\n"
    )
    article = parse_article(text, "a.txt")
    assert article.title == "French government survives no-confidence vote over budget"
    assert "(Corrects vote tally in paragraph 2)" in article.dropped
    assert [p[:22] for p in paragraphs(article)] == ["PARIS, Dec 7 (Reuters)"]


@pytest.mark.parametrize(
    ("note", "top"),
    [
        # AP's, at the story's end: it quotes the wrong figures it corrects.
        ("This story has been corrected to show that the vote was 71 to 27, not 72 to 26.", False),
        ("This version corrects the spelling of Sen. Chuck Schumer's name.", False),
        # Reuters', over the story; and a newspaper's, either place.
        ("(This story has been corrected to fix the vote tally in paragraph 1)", True),
        ("CORRECTION: An earlier version of this story misstated the vote tally.", True),
        ("An earlier version of this article misstated the vote tally.", False),
    ],
)
def test_a_correction_note_is_not_story(note: str, top: bool) -> None:
    story = (
        "WASHINGTON (AP) — The Senate voted 71 to 27 on Tuesday to approve a stopgap bill.\n\n"
        "The House is expected to vote on Wednesday.\n"
    )
    text = f"{note}\n\nBill passes\n\n{story}" if top else f"Bill passes\n\n{story}\n{note}\n"
    article = parse_article(text, "a.txt")
    assert article.title == "Bill passes"
    assert paragraphs(article) == [
        "WASHINGTON (AP) — The Senate voted 71 to 27 on Tuesday to approve a stopgap bill.",
        "The House is expected to vote on Wednesday.",
    ]
    assert note in article.dropped


# Reuters' French and Arabic services' copy, as their feeds give it: a byline (Arabic), the
# story, the trailer naming writer and editor, and the rights notice in the service's language.
FRENCH_TAKE = (
    "Le gouvernement survit\n\n"
    "PARIS, 7 décembre (Reuters) - Le gouvernement a survécu lundi à une motion de censure.\n\n"
    "Le budget sera adopté sans vote.\n\n"
    "(Reportage Elizabeth Pineau, édité par Sophie Louet)\n\n"
    "© 2024 Reuters. Tous droits réservés.\n"
)
ARABIC_TAKE = (
    "الحكومة الفرنسية تنجو من حجب الثقة\n"
    "بقلم ليلى بسام\n"
    "باريس (رويترز) - نجت الحكومة الفرنسية يوم الاثنين من تصويت على حجب الثقة في البرلمان.\n\n"
    "وسيتم اعتماد الميزانية دون تصويت.\n\n"
    "(إعداد ليلى بسام للنشرة العربية - تحرير سها جادو)\n\n"
    "جميع الحقوق محفوظة لرويترز ٢٠٢٤\n"
)


@pytest.mark.parametrize(("text", "author"), [(FRENCH_TAKE, None), (ARABIC_TAKE, "ليلى بسام")])
def test_french_and_arabic_furniture_is_not_story(text: str, author: str | None) -> None:
    article = parse_article(text, "a.txt")
    assert article.author == author
    story = paragraphs(article)
    assert len(story) == 2
    assert "(Reuters)" in story[0] or "(رويترز)" in story[0]
    assert not any(p.startswith(("(", "©", "جميع", "بقلم")) for p in story)


@pytest.mark.parametrize(
    "sentence",
    [
        # Story sentences that open with a correction's or a notice's words (a review found
        # each dropped by the first patterns, which matched anywhere).
        "This version corrects several flaws in the House bill, Senate aides said on Tuesday.",
        "This article was amended in 2019 to strip the region of its special status.",
        "An earlier version of this report, released in March, put the death toll at 300.",
        "Corrections officers at the state prison went on strike on Monday.",
        "Le label rappelle que les enregistrements sont protégés, tous droits réservés, et payants.",
        "وأكد الحاكم أن جميع الحقوق محفوظة للمودعين وأن الودائع لن تشطب.",
        "جميع الحقوق محفوظة للمودعين وأن الودائع لن تشطب، بحسب الحاكم.",
    ],
)
@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_story_sentence_with_a_notes_words_is_story(sentence: str, where: str) -> None:
    first, last = "The talks opened on Monday in Geneva.", "They end on Friday."
    story = [first, sentence, last] if where == "middle" else [first, last, sentence]
    article = parse_article("Talks\n\n" + "\n\n".join(story) + "\n", "a.txt")
    assert paragraphs(article) == story


def test_a_sentence_about_a_correction_is_story() -> None:
    text = (
        "Markets\n\nThe correction: prices fell 3% after the report, analysts said.\n\n"
        "This story has many twists, he said.\n"
    )
    assert len(paragraphs(parse_article(text, "a.txt"))) == 2


def test_a_sentence_that_starts_copyright_is_still_story() -> None:
    article = parse_article(
        "Court rules on song\n\nCopyright law changed in 2019, the court said.\n\n"
        "More than 100 artists signed the letter.\n",
        "a.txt",
    )
    assert paragraphs(article) == [
        "Copyright law changed in 2019, the court said.",
        "More than 100 artists signed the letter.",
    ]


def test_arabic_copy_splits_at_sentence_ends_not_at_arabic_commas() -> None:
    from briefer.brief import sentences_of

    article = read_path(str(FIXTURES / "afp-ar-depeche.txt"))
    sentences = [" ".join(article.text[s:e].split()) for s, e in sentences_of(article, "ar")]
    # pysbd's Arabic rules ended one at every "،": 24 fragments such as "بيروت،".
    assert not any(s.endswith(("\u060c", "\u061b")) for s in sentences)
    # Each sentence ends where Arabic ends one: a full stop, or a question or exclamation
    # mark (with its closing quote); a colon introduces what follows.
    assert all(re.search(r"[.\u061f!][»\"]?$", s) for s in sentences), sentences
    # The title "د." and the quote closed after "؟" stay inside their sentences, and so does
    # the quote a colon introduces (pysbd's rules made "told reporters:" a sentence).
    assert any("وقال د. محمد شمس الدين" in s for s in sentences)
    assert any("الدولي؟» مضيفاً أن البرلمان" in s for s in sentences)
    assert any("للصحافيين: «هذه موازنة الضرورة" in s for s in sentences)
    assert len(sentences) == 6


# Arabic and Persian paragraphs as agencies write them. pysbd's one-letter abbreviations
# ("ا", "م", "ه") matched inside any word once the line started with one, so a paragraph that
# opens with the article "ال", with "مصادر" or with "هذا" (most of them) ran its sentences
# together wherever one ended in that letter.
@pytest.mark.parametrize(
    ("lang", "sentences"),
    [
        ("ar", ["الساعة العاشرة صباحا.", "انتهى الاجتماع في العاصمة.", "وغادر الوفد."]),
        ("ar", ["مصادر قالت إن الاتفاق سيوقع اليوم.", "وأضاف أن المحادثات مستمرة.", "ثم غادر."]),
        ("ar", ["هذا ما قاله له.", "وأضاف أنه سيعود إليه.", "ثم غادر."]),
        ("ar", ["الساعة 10:30 صباحا.", "وقال الوزير: «لن نتراجع».", "انتهى الاجتماع."]),
        ("fa", ["این گزارش امروز منتشر شد.", "وزیر گفت: «ما آماده هستیم».", "سپس رفت."]),
    ],
)
def test_arabic_script_paragraphs_split_at_each_sentence_end(
    lang: str, sentences: list[str]
) -> None:
    text = " ".join(sentences)
    assert [text[s:e] for s, e in split_sentences(text, lang=lang)] == sentences
    # The same sentences after a line break: each line is read the same way.
    wrapped = sentences[0] + "\n" + " ".join(sentences[1:])
    assert [" ".join(wrapped[s:e].split()) for s, e in split_sentences(wrapped, lang=lang)] == [
        " ".join(x.split()) for x in sentences
    ]


def test_an_arabic_abbreviation_of_its_own_still_ends_no_sentence() -> None:
    # "م." (the Gregorian-year mark) and "د." (Dr) are abbreviations, as pysbd's rules say.
    text = "ولد عام 1950 م. في بيروت، ثم انتقل. وقال د. محمد إن الرواتب ارتفعت."
    assert [text[s:e] for s, e in split_sentences(text, lang="ar")] == [
        "ولد عام 1950 م. في بيروت، ثم انتقل.",
        "وقال د. محمد إن الرواتب ارتفعت.",
    ]


@pytest.mark.parametrize(
    ("name", "lang", "whole"),
    [
        ("ap-take-furniture.txt", "en", "in Navarro County, about 60 mi. south of Dallas."),
        ("reuters-abbreviations.txt", "en", "with the 10-yr. note at 4.52%."),
        ("reuters-abbreviations.txt", "en", "The S&P 500 fell 1.1% by 3:30 p.m. EST."),
        ("afp-fr-depeche.txt", "fr", "Le Dr. Martin, médecin du travail cité par l'AFP,"),
    ],
)
def test_abbreviations_do_not_end_sentences(name: str, lang: str, whole: str) -> None:
    from briefer.brief import sentences_of

    article = read_path(str(FIXTURES / name))
    sentences = [" ".join(article.text[s:e].split()) for s, e in sentences_of(article, lang)]
    assert any(whole in s for s in sentences), sentences


def test_a_web_page_saved_as_txt_is_read_as_the_page(tmp_path: Path) -> None:
    # "Save page as" into a .txt name, or a CMS export that names every file .txt: its markup
    # was the story ("<!DOCTYPE html>" the title); on stdin the same bytes were a page.
    page = (
        "<!DOCTYPE html><html><head><title>Flood wall approved | The Gazette</title>"
        '<meta property="og:title" content="Council approves flood wall"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        "<h1>Council approves flood wall</h1>"
        + "".join(
            f"<p>The council voted {n} to 2 on Thursday to build the wall along the levee, "
            f"ending two years of argument over its cost and its route, officials said.</p>"
            for n in range(5, 9)
        )
        + "</article><footer>Contact us</footer></body></html>"
    )
    # As browsers save it: Internet Explorer's and Edge's "mark of the web" comment first.
    marked = "<!-- saved from url=(0036)https://gazette.example/flood-wall -->\r\n" + page
    # And a fragment copied from a browser's developer tools: the page's <body> alone.
    body = page[page.index("<body>") : page.index("</html>")]
    # An XHTML page, as older CMSs write it: an XML declaration before its DOCTYPE.
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + page
    texts = [page, "\ufeff" + marked, marked.replace("<!DOCTYPE html>", ""), body, xhtml]
    for n, text in enumerate(texts):
        saved = tmp_path / f"story{n}.txt"
        saved.write_text(text, encoding="utf-8")
        article = read_path(str(saved))
        assert article.title == "Council approves flood wall"
        assert all("<" not in p for p in paragraphs(article))
        assert paragraphs(article)[0].startswith("The council voted 5 to 2")
    # So through the library and a record's text, where a page must open as one.
    from briefer.sources import parse_text

    assert parse_text(xhtml).title == "Council approves flood wall"
    # A story that opens with a comment of its own is still a story.
    note = tmp_path / "note.txt"
    note.write_text("<!-- draft -->\nCouncil approves wall\n\nThe council voted.\n")
    assert "The council voted." in paragraphs(read_path(str(note)))


def test_an_rtf_document_is_refused_with_the_fix(tmp_path: Path) -> None:
    rtf = tmp_path / "stringer.txt"
    rtf.write_bytes(b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0\\fs24 CITY HALL\\par}")
    with pytest.raises(InputError, match="an RTF document, not plain text: save it as .txt"):
        read_path(str(rtf))


def test_a_cms_markdown_export_gives_its_story_and_its_front_matter() -> None:
    # fixtures/cms-export-footnotes.md imitates a headless CMS's Markdown export (its front
    # matter says so): YAML with title, author and date, setext headline and subheading, a
    # footnote, an image with an italic caption, a reference link, nested quotes and a table.
    article = read_path(str(FIXTURES / "cms-export-footnotes.md"))
    assert article.title == "Port strike ends after 11 days: dockworkers win 62% raise"
    assert (article.author, article.date) == ("Denise Okafor", "2024-10-03")
    story = paragraphs(article)
    assert story[0].startswith("Dockworkers at 36 East and Gulf Coast ports")
    assert story[0].endswith("ending the first coast-wide strike since 1977.")  # no "[^1]"
    assert story[-1].endswith("Retailers said shelves would be restocked within weeks.")
    for left_out in ("#", "[^1]", "The last coast-wide strike lasted", "Photo: Jane Doe"):
        assert not any(left_out in p for p in story), left_out
    assert len(story) == 5


@pytest.mark.parametrize(
    "paragraph",
    [
        # Story that the agency-furniture and paywall rules must leave alone (a review of them).
        "(c) the committee shall review the matter.",
        "More than 200 scientists from 60 countries contributed to this report.",
        "Ed: It was the best night of my life.",
        "(Changes in the law take effect next year, the minister said.)",
        "Par contre, le gouvernement a reculé.",
        "Copyright law changed in 2019, the court said.",
        "The plan: $40 billion over ten years, officials said.",
        "Digital: $5 billion was set aside for broadband.",
        "Subscribe now or pay more later, the company told customers on Tuesday.",
        "Get full access to the stadium was the goal.",
        "Already a member of the party since 1990, she said.",
        "By the end of the week, the talks had collapsed.",
    ],
)
def test_story_paragraphs_that_look_like_furniture_stay(paragraph: str, caplog) -> None:
    import logging

    text = f"Talks collapse\n\nThe talks opened on Monday in Geneva.\n\n{paragraph}\n\nThey end Friday.\n"
    with caplog.at_level(logging.WARNING, logger="briefer"):
        article = parse_article(text, "a.txt")
    assert paragraph in paragraphs(article)
    assert "paywall" not in caplog.text


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("By Tom Becker, Staff Writer", "Tom Becker"),
        ("By JOSH BOAK, AP Economics Writer", "JOSH BOAK"),
        ("By Jane Doe and John Roe, Reuters", "Jane Doe; John Roe"),
        ("By Monday", None),  # no one: story
        # AP's all-caps byline: two writers, whatever the case of "and".
        ("By JANE DOE AND JOHN ROE, Associated Press", "JANE DOE; JOHN ROE"),
        ("By Jane Doe & John Roe", "Jane Doe; John Roe"),
        # A title-case deck under the headline: "Land" and "Sea" are no one's full name.
        ("By Land And Sea", None),
        # After the first comma: a place, an outlet or a role, unless names are joined there.
        ("By Jane Doe, Kyiv", "Jane Doe"),
        ("By Jane Doe, BBC News", "Jane Doe"),
        (
            "By JOSH BOAK, LISA MASCARO and MARY CLARE JALONICK",
            "JOSH BOAK; LISA MASCARO; MARY CLARE JALONICK",
        ),
        ("By Jane Doe, John Roe and Ann Lee, Reuters", "Jane Doe; John Roe; Ann Lee"),
        (
            "By JOSH BOAK, LISA MASCARO, and MARY CLARE JALONICK",
            "JOSH BOAK; LISA MASCARO; MARY CLARE JALONICK",
        ),
        # An agency alone is the author.
        ("By Reuters", "Reuters"),
        ("By The Associated Press", "The Associated Press"),
    ],
)
def test_a_plain_text_byline_names_the_writers(byline: str, author: str | None) -> None:
    article = parse_article(f"Markets rally\n\n{byline}\n\nShares rose 3% on Tuesday.\n", "a.txt")
    assert article.author == author
    assert (byline in paragraphs(article)) == (author is None)


def test_a_byline_that_names_no_one_is_still_no_story() -> None:
    article = parse_article(
        "Markets rally\n\nBy Staff Writer\n\nShares rose 3% on Tuesday.\n", "a.txt"
    )
    assert article.author is None
    assert paragraphs(article) == ["Shares rose 3% on Tuesday."]


@pytest.mark.parametrize(
    "under",
    # What AP and newspapers set on the line under a byline: a role, a desk's plural, an agency.
    ["AP Economics Writer", "AP Congressional Correspondents", "ASSOCIATED PRESS", "Staff writer"],
)
@pytest.mark.parametrize("gap", ["\n", "\n\n"])
def test_the_line_under_a_byline_is_not_the_lede(under: str, gap: str) -> None:
    text = f"Storm batters coast\n\nBy Josh Boak{gap}{under}\n\nMIAMI (AP) — The storm hit on Monday.\n"
    article = parse_article(text, "a.txt")
    assert article.author == "Josh Boak"
    assert paragraphs(article) == ["MIAMI (AP) — The storm hit on Monday."]
    assert under in article.dropped


def test_a_story_line_under_a_byline_stays_story() -> None:
    text = "Storm batters coast\n\nBy Josh Boak\n\nWriters said the storm hit on Monday.\n"
    assert paragraphs(parse_article(text, "a.txt")) == ["Writers said the storm hit on Monday."]


def test_a_headline_shaped_like_a_byline_is_the_title() -> None:
    article = parse_article("By George, It Works\n\nThe machine ran on Tuesday.\n", "a.txt")
    assert (article.title, article.author) == ("By George, It Works", None)


def test_a_story_that_mentions_html_is_text(tmp_path: Path) -> None:
    story = tmp_path / "tech.txt"
    story.write_text(
        'Web standards\n\nDevelopers who omit the <html lang="en"> attribute make pages '
        "harder to read aloud, the report said.\n",
        encoding="utf-8",
    )
    assert paragraphs(read_path(str(story)))[0].startswith("Developers who omit the <html")


# A Reuters take as its text feed sends it (blank lines between paragraphs, 69 columns), with
# the trailer wrapped where the feed wraps it: its close on the next line.
_TAKE = """UK economy shrinks unexpectedly in October

LONDON, Nov 30 (Reuters) - Britain's economy shrank unexpectedly in
October as higher borrowing costs weighed on consumers and
businesses, official data showed on Thursday, raising the risk that
the country will slip into recession before the end of the year.

Gross domestic product fell 0.3% month-on-month, the Office for
National Statistics (ONS) said, confounding the median forecast in a
Reuters poll of economists for growth of 0.1%.

{trailer}
((william.schomberg@thomsonreuters.com; +44 20 7542 7000))
"""


@pytest.mark.parametrize(
    "trailer",
    [
        "(Reporting by William Schomberg and Andy Bruce; Editing by\nToby Chopra)",
        "(Reporting by William Schomberg and Andy Bruce;\nEditing by Toby Chopra)",
        "(Reporting by William Schomberg\nand Andy Bruce; Editing by Toby Chopra)",
        "(Reporting by William Schomberg and Andy Bruce; Editing by Toby Chopra)",
    ],
)
def test_a_wrapped_trailer_is_left_out_whole(trailer: str) -> None:
    article = parse_article(_TAKE.format(trailer=trailer), "take.txt")
    story = paragraphs(article)
    assert len(story) == 2
    assert story[-1].endswith("for growth of 0.1%.")
    assert " ".join(" ".join(article.dropped).split()).count("Toby Chopra") == 1


@pytest.mark.parametrize("headline", ["Coca-Cola", "COVID-19", "Rolls-Royce", "Brexit-Deal"])
def test_a_hyphenated_word_over_a_story_is_its_headline_not_a_slug(headline: str) -> None:
    # AFP's keyword slug is words joined (FRANCE-POLITIQUE-BUDGET, FRANCE-BUDGET); a headline
    # of one hyphenated word was left out with it, and the file's name became the title.
    article = parse_article(
        f"{headline}\n\nThe company said on Monday it would cut jobs.\n", "x.txt"
    )
    assert article.title == headline


@pytest.mark.parametrize("slug", ["FRANCE-BUDGET", "FRANCE-POLITIQUE-BUDGET", "US-politics-vote"])
def test_an_afp_keyword_slug_over_the_headline_is_left_out(slug: str) -> None:
    text = f"{slug}\n\nBudget vote set for Wednesday\n\nPARIS (AFP) - The vote is set.\n"
    article = parse_article(text, "x.txt")
    assert article.title == "Budget vote set for Wednesday" and slug in article.dropped


def test_read_path_takes_a_path_and_keeps_its_name_as_text(tmp_path: Path) -> None:
    """A pathlib.Path kept as the article's source made render() fail on it (JSON could not
    serialise it; the Markdown template raised a TypeError)."""
    from briefer import render
    from briefer.brief import Brief

    path = tmp_path / "story.txt"
    path.write_text("Bridge to reopen\n\nThe mayor said the bridge will reopen in May.\n")
    article = read_path(path)
    assert article.source == str(path) and type(article.source) is str
    brief = Brief(
        source=article.source,
        title=article.title,
        summary="The bridge reopens in May.",
        language="en",
        chunks=(),
        models={},
    )
    assert str(path) in render.render([brief], "json")
    assert "The bridge reopens in May." in render.render([brief], "markdown")


def _linked_tree(tmp_path: Path) -> Path:
    """A wire folder as an editor's machine may hold one: a feed folder linked in, two links
    back to a parent (a loop), a hidden folder and a dangling link."""
    wire = tmp_path / "wire"
    (wire / "sub").mkdir(parents=True)
    (wire / ".drafts").mkdir()
    (tmp_path / "feed").mkdir()
    (wire / "a.txt").write_text("Story one.\n")
    (wire / "sub" / "b.txt").write_text("Story two.\n")
    (wire / ".drafts" / "c.txt").write_text("Draft.\n")
    (tmp_path / "feed" / "f.txt").write_text("Feed story.\n")
    (wire / "sub" / "up").symlink_to("..")
    (wire / "sub" / "up2").symlink_to("..")
    (wire / "feedlink").symlink_to(tmp_path / "feed")
    (wire / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    return wire


def test_a_recursive_glob_follows_links_once_and_a_loop_cannot_stall_it(
    tmp_path: Path, monkeypatch
) -> None:
    """glob's "**" followed the links to a parent over and over (two of them: still expanding
    after 60 s); the folder walk skipped the linked feed without a word."""
    wire = _linked_tree(tmp_path)
    want = [str(wire / "a.txt"), str(wire / "feedlink" / "f.txt"), str(wire / "sub" / "b.txt")]
    assert [s.name for s in expand([str(wire)])] == want
    assert [s.name for s in expand([f"{wire}/**/*.txt"])] == want
    assert [s.name for s in expand([f"{wire}/**/b.txt"])] == [want[2]]
    assert [s.name for s in expand([f"{wire}/*.txt"])] == [want[0]]
    monkeypatch.chdir(tmp_path)
    assert [s.name for s in expand(["wire/**/*.txt"])] == [
        "wire/a.txt",
        "wire/feedlink/f.txt",
        "wire/sub/b.txt",
    ]
    assert all(s.error is None for s in expand(["**/*.txt"]))


def test_an_unreadable_folder_in_a_walk_is_named(tmp_path: Path, monkeypatch) -> None:
    """An unreadable subfolder had been skipped with exit 0 while an unreadable file in the
    same folder was reported."""
    wire = _linked_tree(tmp_path)
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = expand([str(wire)])
    assert [s.name for s in found if not s.error] == [
        str(wire / "a.txt"),
        str(wire / "feedlink" / "f.txt"),
    ]
    assert [s.error for s in found if s.error] == [
        f"{wire / 'sub'}: cannot read folder (Permission denied)"
    ]


def test_many_double_stars_match_in_linear_time() -> None:
    """Tried every way, ten "**" against a path 26 parts deep had not finished in 120 s."""
    import time

    from briefer.sources import _parts_match

    start = time.monotonic()
    assert not _parts_match(["a"] * 26, ["**"] * 10 + ["b"])
    assert _parts_match(["a"] * 26 + ["b"], ["**"] * 10 + ["b"])
    assert time.monotonic() - start < 5


def test_a_walk_past_its_bound_stops_with_one_named_error(tmp_path: Path, monkeypatch) -> None:
    """Links are followed, so a wire folder holding a link to "/" would walk the disk."""
    from briefer import sources

    wire = _linked_tree(tmp_path)
    monkeypatch.setattr(sources, "MAX_WALK_ENTRIES", 3)
    (found,) = expand([str(wire)])
    assert found.name == str(wire) and found.error
    assert "more than 3 files and folders under it, links followed" in found.error
    assert [s.name for s in expand([f"{wire}/*.txt"])] == [str(wire / "a.txt")]  # no walk
