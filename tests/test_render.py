"""Rendered output shape: golden Markdown files and the JSON fields scripts rely on."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from briefer.brief import Brief
from briefer.chunking import Chunk
from briefer.errors import UsageError
from briefer.render import Failure, context, render, slug

GOLDEN = Path(__file__).parent / "golden"
DAY = dt.date(2026, 11, 24)


def brief(title: str, summary: str, lang: str = "en", source: str = "wire/a.txt") -> Brief:
    """Return a hand-made brief, as the pipeline would produce it."""
    models = {"summarizer": "sshleifer/distilbart-cnn-12-6"}
    if lang != "en":
        models["translator"] = f"Helsinki-NLP/opus-mt-en-{lang}"
    chunk = Chunk(start=10, end=95, sentences=((10, 50), (51, 95)), text="x", tokens=30)
    return Brief(
        source=source,
        title=title,
        summary=summary,
        language=lang,
        chunks=(chunk,),
        models=models,
        words=812,
        original_title="Original",
        original_summary="Orig.",
    )


CASES = {
    "single.md": ([brief("Ministers agree plan", "The ministers agreed a plan. Talks go on.")], []),
    "arabic.md": ([brief("الوزراء يتفقون", "اتفق الوزراء على خطة.", "ar")], []),
    "several.md": (
        [
            brief("Ministers agree plan", "They agreed.", source="wire/a.txt"),
            brief("Markets fall", "Shares fell.", source="https://example.com/m"),
            brief("Markets fall", "Again.", source="wire/c.txt"),
        ],
        [Failure("wire/bad.bin", "looks like a binary file, not text")],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_matches_golden(name: str) -> None:
    briefs, failed = CASES[name]
    rendered = render(briefs, "markdown", failed=failed, date=DAY)
    path = GOLDEN / name
    if os.environ.get("BRIEFER_REGOLD"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_built_in_template_passes_the_check_runs_skip(tmp_path: Path) -> None:
    # `briefer summarize` checks only a --template before the models run; the built-in one must
    # pass the same stub renders here, and compiles once however often a run renders.
    from briefer import render

    render.check_template(None)
    assert render.compile_template(None) is render.compile_template(None)
    # An edited file is compiled again, not served from the last compile.
    path = tmp_path / "t.md.j2"
    path.write_text("{{ title }}\n", encoding="utf-8")
    first = render.compile_template(str(path))
    path.write_text("# {{ title }}\n", encoding="utf-8")
    assert render.compile_template(str(path)) is not first
    assert render.compile_template(str(path)).render(title="T").strip() == "# T"


def test_a_template_may_name_any_role_of_models(tmp_path: Path) -> None:
    # README lists models' roles (pivot, summarizer, translator): a template naming the
    # translator failed every run, as the check renders an English brief, which has none.
    from briefer import render as render_module

    path = tmp_path / "roles.md.j2"
    path.write_text(
        "{% for a in articles %}{{ a.language }}:[{{ a.models.translator }}]"
        "[{{ a.raw.models.pivot }}]{{ a.models | length }};{% endfor %}\n",
        encoding="utf-8",
    )
    render_module.check_template(str(path))
    out = render([brief("T", "S.", "en"), brief("U", "S.", "fr")], "markdown", template=str(path))
    # Only the roles that ran are in it; the others read as empty.
    assert out == "en:[][]1;fr:[Helsinki-NLP/opus-mt-en-fr][]2;\n"
    # A name that is no role is still the template's mistake.
    path.write_text("{% for a in articles %}{{ a.models.nosuch }}{% endfor %}", encoding="utf-8")
    with pytest.raises(UsageError, match="nosuch"):
        render_module.check_template(str(path))


def test_the_check_renders_with_cite_as_the_run_has_it(tmp_path: Path) -> None:
    """An error inside `{% if cite %}` passed the check (stubs rendered without --cite) and
    failed after the model work of a --cite run."""
    from briefer import render as render_module

    path = tmp_path / "cite.md.j2"
    path.write_text("{% if cite %}{{ 1 // 0 }}{% endif %}ok\n", encoding="utf-8")
    render_module.check_template(str(path))  # harmless without --cite
    with pytest.raises(UsageError, match="line 1"):
        render_module.check_template(str(path), cite=True)


def test_a_blank_title_writes_no_heading() -> None:
    """config.py calls an empty title a choice (no title line); it made a heading of nothing,
    "# ", and the CLI refused it."""
    several = [brief("A", "One."), brief("B", "Two.")]
    for blank in ("", "  "):
        out = render(several, "markdown", title=blank, date=DAY)
        assert out.startswith("*2026-11-24 · 2 articles · en*\n")
        assert not any(line.strip() == "#" for line in out.splitlines())
    assert render(several, "markdown", date=DAY).startswith("# Morning brief\n\n*2026-11-24")


def test_languages_write_as_a_list_of_codes(tmp_path: Path) -> None:
    path = tmp_path / "langs.md.j2"
    path.write_text("{{ languages }}|{{ languages|join('/') }}|{{ languages|length }}", "utf-8")
    out = render([brief("A", "One."), brief("B", "Deux.", "fr")], "markdown", template=str(path))
    assert out == "en, fr|en/fr|2\n"  # it was "[Markup('en'), Markup('fr')]"


def test_json_fields_and_spans() -> None:
    data = json.loads(render([brief("T", "S.", "fr")], "json", failed=[Failure("x", "why")]))
    record = data["briefs"][0]
    assert record["chunks"] == [
        {
            "index": 0,
            "start": 10,
            "end": 95,
            "sentences": 2,
            "spans": [[10, 50], [51, 95]],
            "tokens": 30,
        }
    ]
    assert record["original"] == {"title": "Original", "summary": "Orig."}
    assert data["failed"] == [{"source": "x", "error": "why"}]


def test_jsonl_is_one_object_per_line() -> None:
    lines = render([brief("A", "a."), brief("B", "b.")], "jsonl").splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["A", "B"]


def test_text_is_the_bare_brief() -> None:
    assert render([brief("A", "One."), brief("B", "Two.")], "text") == "One.\n\nTwo.\n"


def test_anchors_are_unique_and_unicode() -> None:
    ctx = context([brief("Markets fall!", "x"), brief("Markets fall!", "y"), brief("الوزراء", "z")])
    assert [a["anchor"] for a in ctx["articles"]] == ["markets-fall", "markets-fall-1", "الوزراء"]
    assert slug("U.S. strikes: what's next?") == "us-strikes-whats-next"


def test_an_unknown_format_is_a_usage_error_not_markdown() -> None:
    from briefer import OutputError, UsageError

    with pytest.raises(UsageError, match="unknown format 'xml'; choose one of: markdown, json"):
        render([], "xml")
    assert issubclass(OutputError, Exception)  # exported beside the other errors, as documented
