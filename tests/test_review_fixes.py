"""Regressions found in review: each once escaped as a traceback, a wrong code, or lost data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from test_cli import run


def test_a_page_with_a_bogus_charset_is_one_failure(sample: Path, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><head><meta charset="rot13"></head><body><article><p>'
        + "The council met on Monday to vote on the new harbour bridge plan. " * 5
        + "</p></article></body></html>"
    )
    broken = tmp_path / "broken.html"
    broken.write_bytes(
        b"<html><head><meta charset='undefined'></head><body>\xff\xfe\x00</body></html>"
    )
    result = run("summarize", str(sample), str(page), str(broken), "--engine", "extractive")
    assert result.code in (0, 3), result.err
    assert "Traceback" not in result.err and "LookupError" not in result.out


def test_translation_counts_tokens_not_characters(marian_fr: Path, monkeypatch) -> None:
    from transformers import AutoTokenizer

    from briefer import Briefer, Options
    from test_pipeline import Spy

    spy = Spy(monkeypatch)
    # Fewer characters than the 256-token limit, more tokens; a letter at each end, as a
    # piece with none is copied, not translated.
    sentence = "Z " + ("1 " * 200)[:251] + " Z"
    Briefer(Options(backend="torch", lang="fr", translator=str(marian_fr))).translate(
        sentence, markdown=False
    )
    tokenizer = AutoTokenizer.from_pretrained(marian_fr)
    assert len(spy.calls[0]) > 1
    assert all(len(tokenizer(p).input_ids) <= 256 for p in spy.calls[0])


def test_stdin_named_twice_through_a_list(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("-\n")
    result = run("summarize", "-", "--from-list", str(listing), stdin=b"Story.\n\nText here.")
    assert result.code == 2 and "stdin (-) can be read only once" in result.err


def test_home_in_a_list_is_expanded(tmp_path: Path, sample: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(sample, tmp_path / "story.txt")
    listing = tmp_path / "list.txt"
    listing.write_text("~/story.txt\n")
    result = run("summarize", "--from-list", str(listing), "--engine", "extractive", "-f", "json")
    assert result.code == 0, result.err
    assert str(tmp_path / "story.txt") in result.out


def test_a_list_kept_in_the_wire_folder_it_names_is_not_a_story(
    tmp_path: Path, sample: Path
) -> None:
    # examples/morning-brief.sh's layout: wire/links.txt lists extra URLs and files, and the
    # cron line names the folder too (`briefer summarize wire/ --from-list wire/links.txt`).
    wire = tmp_path / "wire"
    wire.mkdir()
    shutil.copy(sample, wire / "story.txt")
    extra = tmp_path / "extra.txt"
    extra.write_text(
        "Council backs new bridge\n\nThe city council voted on Tuesday to build a bridge over "
        "the river. Work starts in May and costs 40 million euros, the mayor said.\n",
        encoding="utf-8",
    )
    listing = wire / "links.txt"
    listing.write_text("# extra copy for tonight\n../extra.txt\n", encoding="utf-8")
    result = run(
        "summarize", str(wire), "--from-list", str(listing), "--engine", "extractive", "-f", "json"
    )
    assert result.code == 0, result.err
    sources = [b["source"] for b in json.loads(result.out)["briefs"]]
    assert sources == [str(wire / "story.txt"), str(wire / "../extra.txt")]


def test_output_folder_is_checked_before_any_model_work(sample: Path, tmp_path: Path) -> None:
    # The model does not exist: reaching it would exit 4; the output check comes first.
    result = run(
        "summarize", str(sample), "-m", "nobody/missing", "-o", str(tmp_path / "no" / "b.md")
    )
    assert result.code == 1 and "does not exist" in result.err


def test_several_languages_write_all_or_nothing(bart, marian_fr, sample, tmp_path, monkeypatch):
    from briefer import cli

    (tmp_path / "brief.fr.md").write_text("yesterday fr\n")
    real_replace = cli.os.replace
    calls = []

    def second_fails(src: str, dst: Path) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(cli.os, "replace", second_fails)
    result = run(
        "summarize",
        str(sample),
        "-m",
        str(bart),
        "-l",
        "fr,en",
        "-t",
        f"fr={marian_fr}",
        "-o",
        str(tmp_path / "brief.md"),
    )
    assert result.code == 1 and "No space left on device" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.fr.md"]


def test_translate_takes_upper_case_language(marian_fr: Path, tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("# Notes\n\n    make demo\n    make test\n\nThe talks went well.\n")
    result = run("translate", str(doc), "--lang", "FR", "-t", str(marian_fr))
    assert result.code == 0, result.err
    assert "    make demo\n    make test\n" in result.out  # indented code stays as it is


def test_closed_stdin_is_no_traceback() -> None:
    script = Path(sys.executable).parent / "briefer"
    done = subprocess.run(f"{script} --version <&-", shell=True, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "briefer 0.1.0\n", "")


def test_broken_model_folder_exits_4(bart: Path, sample: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(bart, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = run("summarize", str(sample), "-m", str(broken))
    assert result.code == 4, result.err
    assert result.err.count("\n") == 1 and str(broken) in result.err
