"""A newsroom's morning run: folders, lists and links in, one dependable brief out."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefer.engines import registry
from briefer.engines import torch as torch_engine
from test_cli import TITLE, run

STORY = [
    "The city council voted on Monday to rebuild the old harbour bridge after years of delay.",
    "Engineers said the new bridge would carry trams as well as cars and bicycles.",
    "The mayor told reporters that work would start in the spring and last two years.",
    "Shop owners near the harbour welcomed the decision but worried about the noise.",
]
BOILERPLATE = [
    "Home | World | Sport",
    "We use cookies",
    "ADVERTISEMENT Buy now",
    "Comment by reader123",
    "All rights reserved",
]
PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Council backs bridge</title>
<meta name="author" content="Ann Writer"></head><body>
<nav><a href="/">Home</a> | <a href="/w">World</a> | <a href="/s">Sport</a>
<p>Home | World | Sport</p></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all.</div>
<article><h1>Council backs harbour bridge</h1>
<time datetime="2026-11-23">23 November 2026</time>
{"".join(f"<p>{s}</p>" for s in STORY)}
</article>
<aside class="ad">ADVERTISEMENT Buy now and save big on everything in the store today.</aside>
<section id="comments"><h3>Comments</h3><p>Comment by reader123: first!</p></section>
<footer><p>© 2026 News Corp. All rights reserved.</p></footer></body></html>"""


class Spy:
    """Record which model got which texts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[tuple[str, list[str]]] = []
        original = torch_engine.TorchEngine._generate

        def generate(engine, texts, settings):  # noqa: ANN001, ANN202
            # What the tokenizer gets: a target's source token included.
            self.calls.append((engine.name, engine.model.inputs(texts, settings)))
            return original(engine, texts, settings)

        monkeypatch.setattr(torch_engine.TorchEngine, "_generate", generate)

    def texts(self, name: str) -> list[str]:
        """Return every text the model named was asked about."""
        return [t for model, texts in self.calls if model == name for t in texts]


@pytest.fixture
def server() -> Iterator[str]:
    """Serve a news page full of boilerplate, and a 404, on 127.0.0.1."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path == "/news/bridge":
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404, "Not Found")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def wire(tmp_path: Path, sample: Path) -> Path:
    """Make a wire folder: text, Markdown and a saved page, in sub-folders, with noise beside."""
    folder = tmp_path / "wire"
    (folder / "sub").mkdir(parents=True)
    (folder / ".drafts").mkdir()
    (folder / "a.txt").write_bytes(sample.read_bytes())
    (folder / "sub" / "b.md").write_text(
        "# Markets slide in Tokyo\n\nShares fell sharply in Tokyo "
        "on Monday as the yen rose against the dollar.\n"
    )
    (folder / "c.html").write_text(PAGE, encoding="utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (folder / ".drafts" / "x.txt").write_text("Not ready.\n\nDo not publish this draft yet.\n")
    return folder


def sources(result_out: str) -> list[str]:
    """Return the sources of a JSON run's briefs, in order."""
    return [b["source"] for b in json.loads(result_out)["briefs"]]


def test_folder_is_searched_recursively(bart: Path, wire: Path) -> None:
    result = run("summarize", str(wire), "-m", str(bart), "-f", "json", "--no-cache")
    assert result.code == 0, result.err
    assert sources(result.out) == [
        str(wire / "a.txt"),
        str(wire / "c.html"),
        str(wire / "sub" / "b.md"),
    ]


def test_url_and_list_inputs_keep_boilerplate_out(
    bart, server, wire, tmp_path, monkeypatch
) -> None:
    listing = tmp_path / "today.list"
    listing.write_text(f"# morning list\nwire/a.txt\n\n{server}/news/bridge  # the bridge story\n")
    spy = Spy(monkeypatch)
    result = run(
        "summarize",
        "--from-list",
        str(listing),
        "-m",
        str(bart),
        "-f",
        "json",
        "--no-cache",
        "--allow-private-urls",  # the test server is on 127.0.0.1
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert sources(result.out) == [str(tmp_path / "wire" / "a.txt"), f"{server}/news/bridge"]
    page = data["briefs"][1]
    assert page["title"] == "Council backs harbour bridge"
    seen = " ".join(spy.texts(str(bart)))
    for sentence in STORY:
        assert sentence in seen
    for junk in BOILERPLATE:
        assert junk not in seen


def test_several_lists_are_all_read_in_order(wire: Path, tmp_path: Path) -> None:
    # A desk's morning list and the night desk's: the second --from-list replaced the first,
    # and its stories were left out without a word.
    night = tmp_path / "night.list"
    night.write_text("wire/sub/b.md\n")
    morning = tmp_path / "wire" / "morning.txt"  # kept in the folder it names, as .txt
    morning.write_text("a.txt\n")
    args = ("--engine", "extractive", "-f", "json", "--no-cache")
    result = run("summarize", "--from-list", str(morning), "--from-list", str(night), *args)
    assert result.code == 0, result.err
    assert sources(result.out) == [str(wire / "a.txt"), str(wire / "sub" / "b.md")]
    # A list kept in a folder that is briefed is no story, whichever list names that folder.
    night.write_text("wire\n")
    result = run("summarize", "--from-list", str(morning), "--from-list", str(night), *args)
    assert result.code == 0, result.err
    assert str(morning) not in sources(result.out)


def test_broken_sources_are_listed_and_the_rest_briefed(bart, wire, server, tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    result = run(
        "summarize",
        str(wire / "a.txt"),
        str(tmp_path / "gone.txt"),
        f"{server}/missing",
        str(bad),
        str(wire / "sub" / "b.md"),
        "-m",
        str(bart),
        "--no-cache",
        "--allow-private-urls",  # the test server is on 127.0.0.1
    )
    assert result.code == 3
    out = result.out
    assert (
        out.index(f"## {TITLE}")
        < out.index("## Markets slide in Tokyo")
        < out.index("## Not included")
    )
    assert f"- {tmp_path / 'gone.txt'}: no such file" in out
    assert f"- {server}/missing: HTTP 404 Not Found" in out
    assert f"- {bad}: looks like a binary file, not text" in out
    assert "3 source(s) not included" in result.err


def test_fail_fast_stops_at_the_first_error(bart: Path, wire: Path, tmp_path: Path) -> None:
    result = run(
        "summarize",
        str(wire / "a.txt"),
        str(tmp_path / "gone.txt"),
        str(wire / "sub" / "b.md"),
        "-m",
        str(bart),
        "--fail-fast",
    )
    assert result.code == 1 and result.out == ""
    assert result.err == f"briefer: error: {tmp_path / 'gone.txt'}: no such file\n"


def test_nothing_readable_is_an_error(tmp_path: Path) -> None:
    result = run("summarize", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    assert result.code == 1
    assert result.err.splitlines()[-1].startswith("briefer: error: no article to brief (")


@pytest.mark.parametrize("fmt", ["markdown", "json", "jsonl", "text"])
def test_duplicates_are_briefed_once(fmt: str, bart, sample, tmp_path, monkeypatch) -> None:
    copy = tmp_path / "copy.txt"
    # The same story saved again: Windows line ends, extra blank lines, trailing spaces.
    copy.write_bytes(sample.read_text(encoding="utf-8").replace("\n", "  \r\n\r\n").encode())
    spy = Spy(monkeypatch)
    result = run("summarize", str(sample), str(copy), "-m", str(bart), "-f", fmt, "--no-cache")
    assert result.code == 0, result.err
    first_round = spy.calls[0][1]
    assert len(first_round) == len(set(first_round))  # each chunk of the story once
    if fmt == "markdown":
        assert result.out.startswith(f"# {TITLE}\n")  # one article: the single-article shape
    elif fmt == "json":
        assert sources(result.out) == [str(sample)]
    elif fmt == "jsonl":
        assert len(result.out.splitlines()) == 1
    else:
        assert "\n\n" not in result.out.strip()
    # Which file was the repeat is said on stderr, whatever the format.
    assert f"briefer: {copy} repeats {sample}: briefed once" in result.err.splitlines()


def test_second_run_comes_from_the_cache(bart, marian_fr, sample, wire, monkeypatch) -> None:
    args = (
        "summarize",
        str(sample),
        str(wire / "sub" / "b.md"),
        "-m",
        str(bart),
        "-l",
        "fr",
        "-t",
        str(marian_fr),
        "-f",
        "json",
    )
    first = run(*args)
    assert first.code == 0, first.err
    loads = []
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setattr(torch_engine, "load", lambda *a: loads.append(a))
    second = run(*args, "-v")
    assert second.code == 0, second.err
    assert loads == []  # nothing loaded, nothing generated
    assert "briefer: 2 result(s) from the cache (--no-cache makes them again)" in second.err
    assert json.loads(second.out) == json.loads(first.out)
    assert run(*args, "--max-length", "9").code != 0  # a setting change is a miss, needing a model


def test_killed_run_keeps_what_it_finished(bart, sample, wire, monkeypatch, tmp_path) -> None:
    others = [str(wire / "sub" / "b.md"), str(wire / "c.html")]
    script = (
        "import os, signal, sys\n"
        "from briefer import brief, cli\n"
        "calls = []\n"
        "original = brief.Briefer.digest_many\n"
        "def digest_many(self, articles, *rest):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return original(self, articles, *rest)\n"
        "brief.Briefer.digest_many = digest_many\n"
        "from briefer import batch\n"
        "batch.ROUND = 1  # one article a round, so the kill falls between two of them\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    args = [
        "summarize",
        str(sample),
        *others,
        "-m",
        str(bart),
        "-o",
        str(tmp_path / "brief.md"),
        "--backend",
        "torch",
    ]
    killed = subprocess.run([sys.executable, "-c", script, *args], capture_output=True)
    assert killed.returncode == -9
    assert not (tmp_path / "brief.md").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".brief")] == []
    spy = Spy(monkeypatch)
    again = run(*args)
    assert again.code == 0, again.err
    # The first article came from the cache; only the two after it went to the model.
    first_round = spy.calls[0][1]
    assert not any("Iraq's allies" in text for _, texts in spy.calls for text in texts)
    assert first_round


def test_config_file_sets_defaults_and_flags_win(bart, marian_fr, sample, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        f'lang = "fr"\nmodel = "{bart}"\nformat = "json"\n[translator]\nfr = "{marian_fr}"\n'
    )
    monkeypatch.setenv("BRIEFER_CONFIG", str(config))
    result = run("summarize", str(sample))
    assert result.code == 0, result.err
    assert json.loads(result.out)["briefs"][0]["language"] == "fr"
    flagged = run("summarize", str(sample), "--lang", "en", "-f", "text")
    assert flagged.code == 0 and not flagged.out.startswith("{")
    shown = run("config", "show", "--lang", "en")
    assert shown.code == 0, shown.err
    lines = {line.split(" = ")[0]: line for line in shown.out.splitlines() if " = " in line}
    assert lines["lang"].endswith("# from the command line")
    # model is set per language of the articles: model = "..." is the English one.
    assert lines["model.en"].endswith(f"# from {config}")
    assert lines["# beams"].endswith("# default")
    assert lines["lang"].startswith('lang = ["en"]')


def test_bad_config_is_a_usage_error(tmp_path: Path, sample: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('langs = "fr"\n')
    result = run("summarize", str(sample), "--config", str(config))
    assert result.code == 2
    assert "unknown key 'langs' (did you mean 'lang'?)" in result.err


def test_progress_is_silent_off_a_terminal(bart: Path, sample: Path) -> None:
    result = run("summarize", str(sample), "-m", str(bart), "--no-cache")
    # Nothing but the fact check's lines (a random model's brief has findings).
    other = [line for line in result.err.splitlines() if "check" not in line]
    assert result.code == 0 and other == []


def test_progress_shows_on_a_terminal_unless_quiet(bart: Path, wire: Path) -> None:
    import io

    from briefer.cli import Env, main

    for quiet, shown in ((False, True), (True, False)):
        out, err = io.StringIO(), io.StringIO()
        env = Env(stdin=io.BytesIO(), stdout=out, stderr=err, stdin_isatty=True, stderr_isatty=True)
        args = ["summarize", str(wire), "-m", str(bart), "--backend", "torch", "--no-cache"]
        assert main(args + (["-q"] if quiet else []), env) == 0
        assert ("briefing" in err.getvalue() and "3/3" in err.getvalue()) is shown


def test_two_languages_summarize_each_article_once(
    bart, marian_fr, marian_ar, sample, tmp_path, monkeypatch
) -> None:
    spy = Spy(monkeypatch)
    out = tmp_path / "brief.md"
    result = run(
        "summarize",
        str(sample),
        "-m",
        str(bart),
        "--lang",
        "fr,ar",
        "-t",
        f"fr={marian_fr}",
        "-t",
        f"ar={marian_ar}",
        "-o",
        str(out),
        "--no-cache",
    )
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.ar.md", "brief.fr.md"]
    assert (tmp_path / "brief.ar.md").read_text().startswith('<div dir="rtl" lang="ar">')
    assert "Language: fr" in (tmp_path / "brief.fr.md").read_text()
    summarizer_texts = spy.texts(str(bart))
    first_round = [t for t in summarizer_texts if "Iraq's allies" in t]
    assert len(first_round) == 1  # the chunk holding the lede went to the model once
    assert all(t.startswith(">>ara<< ") for t in spy.texts(str(marian_ar)))
    assert not any(t.startswith(">>") for t in spy.texts(str(marian_fr)))


def test_one_translator_for_two_languages_is_refused(sample: Path) -> None:
    result = run("summarize", str(sample), "--lang", "fr,ar", "-t", "some/model")
    assert result.code == 2 and "LANG=MODEL" in result.err


def test_extractive_engine_needs_no_model(sample: Path, wire: Path) -> None:
    result = run(
        "summarize", str(sample), str(wire / "c.html"), "--engine", "extractive", "-f", "json"
    )
    assert result.code == 0, result.err
    briefs = json.loads(result.out)["briefs"]
    assert (
        briefs[0]["summary"].count("Iraq's allies in the fight against the Islamic State group")
        == 1
    )
    assert briefs[0]["models"] == {"summarizer": "extractive (TextRank)"}
    assert briefs[1]["summary"].startswith(STORY[0])
    translated = run("summarize", str(sample), "--engine", "extractive", "--lang", "fr")
    assert translated.code == 4 and "Helsinki-NLP/opus-mt-en-fr" in translated.err


def test_jsonl_streams_one_line_per_article(bart: Path, wire: Path, tmp_path: Path) -> None:
    result = run("summarize", str(wire), str(tmp_path / "gone.txt"), "-m", str(bart), "-f", "jsonl")
    assert result.code == 3
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [r.get("error") for r in records] == [None, None, None, "no such file"]


def test_custom_template_gets_the_documented_context(bart, wire, tmp_path) -> None:
    template = tmp_path / "house.md.j2"
    template.write_text(
        "{{ title }} {{ date }} {{ languages|join(',') }}\n"
        "{% for a in articles %}[{{ a.anchor }}] {{ a.title }} | {{ a.source }} | {{ a.words }} | "
        "{{ a.reading_minutes }} | {{ a.language }} | {{ a.models.summarizer }} | {{ a.rtl }}\n"
        "{% endfor %}{% for f in failed %}x {{ f.source }}: {{ f.reason }}\n{% endfor %}"
    )
    result = run(
        "summarize",
        str(wire / "sub" / "b.md"),
        str(tmp_path / "gone.txt"),
        "-m",
        str(bart),
        "--template",
        str(template),
        "--title",
        "Desk brief",
    )
    assert result.code == 3
    lines = result.out.splitlines()
    assert lines[0].startswith("Desk brief 20") and lines[0].endswith(" en")
    fields = lines[1].split(" | ")
    assert fields[:5] == [
        "[markets-slide-in-tokyo] Markets slide in Tokyo",
        str(wire / "sub" / "b.md"),
        "14",
        "1",
        "en",
    ]
    # The random model's summary of a 14-word story may fail the output guard.
    assert fields[5] in {str(bart), f"extractive (TextRank), in place of {bart}"}
    assert fields[6] == "False"
    assert lines[2] == f"x {tmp_path / 'gone.txt'}: no such file"


def test_cache_info_and_clear(bart: Path, sample: Path) -> None:
    assert run("summarize", str(sample), "-m", str(bart)).code == 0
    info = run("cache", "info")
    entries = int(
        next(line for line in info.out.splitlines() if line.startswith("entries:")).split()[1]
    )
    assert entries >= 1
    cleared = run("cache", "clear")
    assert cleared.out == f"removed {entries} cached result(s)\n"
    assert "entries: 0" in run("cache", "info").out


def test_cache_commands_say_when_the_cache_cannot_be_there(tmp_path: Path, monkeypatch) -> None:
    # BRIEFER_CACHE_DIR pointing at a file: a run warns and goes on without a cache, but
    # `cache info` printed "entries: 0" and `cache clear` "removed 0", exit 0, about a cache
    # that cannot exist.
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(afile))
    for command in ("info", "clear"):
        result = run("cache", command)
        assert (result.code, result.out) == (1, "")
        assert result.err == (
            f"briefer: error: result cache {afile / 'results.sqlite3'} is unusable "
            f"({afile} is not a folder)\n"
        )
    # A cache not made yet is an empty one, and asking does not make it.
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(tmp_path / "new"))
    assert "entries: 0" in run("cache", "info").out and not (tmp_path / "new").exists()


def test_cache_covers_the_ctranslate2_conversions(tmp_path: Path, monkeypatch) -> None:
    from briefer import ctranslate

    # Laid out as briefer's conversion cache is: one folder per model, revision and type, and
    # a dot-folder a conversion in progress writes.
    root = tmp_path / "ctranslate2"
    monkeypatch.setattr(ctranslate, "cache_root", lambda: root)
    for name, size in (("models--bart-0123-int8-v1", 3000), ("models--fr-4567-int8-v1", 1000)):
        (root / name).mkdir(parents=True)
        (root / name / "model.bin").write_bytes(b"x" * size)
    (root / ".models--ar-89ab-int8-v1.1234.partial").mkdir()
    assert f"conversions: {root} (2 model(s), 4.0 KB)" in run("cache", "info").out
    assert run("cache", "clear").out == "removed 0 cached result(s)\n"
    assert len(list(root.iterdir())) == 3  # results only, by default
    cleared = run("cache", "clear", "--conversions")
    assert cleared.out.splitlines()[-1] == "removed 2 CTranslate2 conversion(s)"
    # A conversion in progress is another run's: left alone.
    assert [p.name for p in root.iterdir()] == [".models--ar-89ab-int8-v1.1234.partial"]


def test_models_list_and_pull_offline() -> None:
    listed = run("models", "list")
    assert listed.code == 0
    assert "sshleifer/distilbart-cnn-12-6" in listed.out and "missing" in listed.out
    assert "Helsinki-NLP/opus-mt-tc-big-en-ar" in listed.out
    pulled = run("models", "pull", "--lang", "fr", "-q")
    assert pulled.code == 4
    assert pulled.err.count("\n") == 1 and "sshleifer/distilbart-cnn-12-6" in pulled.err


def test_stdin_html_is_extracted(bart: Path, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    result = run("summarize", "-m", str(bart), "--no-cache", stdin=PAGE.encode())
    assert result.code == 0, result.err
    assert "We use cookies" not in " ".join(spy.texts(str(bart)))
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_morning_brief_script(bart, marian_fr, marian_ar, wire, tmp_path) -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "morning-brief.sh"
    out = tmp_path / "out"
    out.mkdir()
    env = dict(
        os.environ,
        BRIEFER=str(Path(sys.executable).parent / "briefer"),
        # torch: the script's behaviour is under test, not CTranslate2's conversions (each
        # would run the converter in a child process of that subprocess, seconds apiece).
        BRIEFER_ARGS=f"-m {bart} -t fr={marian_fr} -t ar={marian_ar} --backend torch",
    )
    links = tmp_path / "links.txt"
    links.write_text("# none reachable today\nmissing-story.txt\n")
    done = subprocess.run(
        ["bash", str(script), str(wire), str(links), str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3, done.stderr
    assert "some sources were left out" in done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].endswith(".ar.md") and names[1].endswith(".fr.md")
    french = (out / names[1]).read_text()
    assert french.startswith("# Morning brief 20") and "## Not included" in french


def test_morning_brief_script_passes_flags_after_dashes_and_refuses_out_in_wire(
    wire: Path, tmp_path: Path
) -> None:
    """BRIEFER_ARGS split a quoted --title into words; flags after -- go as quoted. An output
    folder inside the wire folder had its brief read as wire copy the next morning."""
    script = Path(__file__).resolve().parent.parent / "examples" / "morning-brief.sh"
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, BRIEFER=str(Path(sys.executable).parent / "briefer"))
    flags = ["--engine", "extractive", "--lang", "en", "--title", "Desk brief of the day"]
    done = subprocess.run(
        ["bash", str(script), str(wire), "", str(out), "--", *flags],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    [written] = out.iterdir()
    assert written.read_text().startswith("# Desk brief of the day\n")
    inside = wire / "briefs"
    inside.mkdir()
    for where in (wire, inside):
        refused = subprocess.run(
            ["bash", str(script), str(wire), "", str(where), "--", *flags],
            env=env,
            capture_output=True,
            text=True,
        )
        assert refused.returncode == 2
        assert "is inside WIRE_DIR" in refused.stderr
        assert not list(where.glob("brief-*"))


def test_a_links_list_that_cannot_be_read_leaves_out_only_itself(
    wire: Path, tmp_path: Path
) -> None:
    """A missing --from-list file was a usage error (exit 2, no brief) though the wire copy
    beside it was fine; the README says a source that cannot be read does not sink the brief."""
    missing = tmp_path / "links-of-tomorrow.txt"
    args = ("--engine", "extractive", "-f", "json")
    result = run("summarize", str(wire), "--from-list", str(missing), *args)
    assert result.code == 3, result.err
    out = json.loads(result.out)
    assert out["briefs"] and out["failed"] == [
        {"source": str(missing), "error": "no such file (a --from-list file)"}
    ]
    alone = run("summarize", "--from-list", str(missing), *args)
    assert alone.code == 1 and alone.out == ""


def test_names_written_as_other_urls_say_so(tmp_path: Path, sample: Path) -> None:
    """Read as file names relative to the list, they were "/srv/htps:/example.com/a: no such
    file"; a URL with a space "cannot connect (URL can't contain control characters)"."""
    listing = tmp_path / "links.txt"
    lines = ["htps://example.com/a", "ftp://files.example/b.txt", "http://",
             "https://exa mple.com/c", "file:///etc/passwd"]  # fmt: skip
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(
        "summarize",
        str(sample),
        "--from-list",
        str(listing),
        "--engine",
        "extractive",
        "-f",
        "json",
    )
    assert result.code == 3, result.err
    failed = {f["source"]: f["error"] for f in json.loads(result.out)["failed"]}
    assert failed == {
        "htps://example.com/a": "briefer fetches http:// and https:// URLs, not htps:// "
        "(save the page and give its file)",
        "ftp://files.example/b.txt": "briefer fetches http:// and https:// URLs, not ftp:// "
        "(save the page and give its file)",
        "http://": "not a valid URL (no host)",
        "https://exa mple.com/c": "not a valid URL (it holds a space)",
        "file:///etc/passwd": "briefer fetches http:// and https:// URLs, not file:// "
        "(save the page and give its file)",
    }


def test_piped_wire_stories_are_one_article_and_a_warning_says_so() -> None:
    """`cat wire/*.txt | briefer summarize -` briefs the stories as one, under the first one's
    headline: said on stderr, with the command that briefs each. A Reuters story with its
    later takes is one story, and says nothing."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    takes = (fixtures / "reuters-take-furniture.txt").read_bytes()
    ap = (fixtures / "ap-wire-wrapped.txt").read_bytes()
    args = ("summarize", "-", "--engine", "extractive", "-f", "text")
    both = run(*args, stdin=takes + b"\n" + ap)
    assert both.code == 0, both.err
    assert "stdin holds 2 datelines: it is briefed as one article" in both.err
    for one in (takes, ap):
        alone = run(*args, stdin=one)
        assert alone.code == 0 and "datelines" not in alone.err
