"""Conformance: every registered engine against a hand-written transformers reference.

Each family's tiny fixture is laid out like its real hub repo (tests/factory.py says which).
References run one text at a time, and so do the engines here: padding changes a random
model's floats differently on each CPU, so only the same batch shape is a fair comparison.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from briefer import Briefer, Options, ctranslate
from briefer.engines import registry
from briefer.engines.base import GenerationSettings
from briefer.engines.settings import generation_settings
from briefer.errors import ModelError

TEXTS = [
    "The ministers met in Paris on Tuesday to agree a plan against the militants.",
    "Shares fell sharply in Tokyo on Monday as the yen rose against the dollar.",
    "Heavy rain caused flooding in several northern villages.",
    "Good morning.",
]
GREEDY = {"num_beams": 1, "max_length": 16, "min_length": 4}

# family fixture -> (text put before each input, token forced first, target language)
FAMILIES: dict[str, tuple[str, str | None, str | None]] = {
    "bart": ("", None, None),
    "bart_config_only": ("", None, None),
    "t5": ("summarize: ", None, None),
    "pegasus": ("", None, None),
    "marian_ar": (">>ara<< ", None, "ar"),
    "m2m100": ("", "__fr__", "fr"),
    "nllb": ("", "fra_Latn", "fr"),
    "mbart50": ("", "fr_XX", "fr"),
}
ENGINES = [name for name in registry.specs()]
_LOADED: dict[tuple[str, str], Any] = {}


def engine_for(backend: str, folder: Path) -> Any:
    """Load a fixture on an engine, float32 where the engine has a choice (once per session)."""
    key = (backend, str(folder))
    if key not in _LOADED:
        if backend == "ctranslate2":
            from briefer.engines import ctranslate2

            _LOADED[key] = ctranslate2.load(str(folder), "cpu", compute_type="float32")
        else:
            _LOADED[key] = registry.specs()[backend].load(str(folder), "cpu", 4)
    return _LOADED[key]


@functools.cache
def plain(folder: Path) -> tuple[Any, Any]:
    """Return a fixture's tokenizer and model as transformers loads them (once per session)."""
    return AutoTokenizer.from_pretrained(folder), AutoModelForSeq2SeqLM.from_pretrained(folder)


def reference(folder: Path, family: str, text: str, **settings: Any) -> str:
    """Return plain transformers' output for one text: tokenizer, generate(), decode."""
    prefix, forced, _ = FAMILIES[family]
    tokenizer, model = plain(folder)
    if forced is not None:
        settings["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(forced)
    with torch.no_grad():
        output = model.generate(**tokenizer(prefix + text, return_tensors="pt"), **settings)
    text = tokenizer.decode(output[0], skip_special_tokens=True)
    # PEGASUS's line-break piece, as a brief must show it: a line break, no spaces around.
    return re.sub(r"[ \t]*<n>[ \t]*", "\n", text).strip()


def run_each(engine: Any, family: str, texts: list[str], **values: Any) -> list[str]:
    """Run texts through an engine one group of one text each, as the references run."""
    prefix, _, lang = FAMILIES[family]
    settings = engine.settings.with_values("test", **values)
    if lang is not None:
        settings = settings.with_values("test", target=engine.targets()[lang])
    elif prefix:
        texts = [prefix + t for t in texts]
    return [out for group in engine.generate([([t], settings) for t in texts]) for out in group]


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
def test_settings_are_resolved_as_transformers_resolves_them(family: str, request) -> None:
    folder = request.getfixturevalue(family)
    ours = generation_settings(folder)
    theirs = AutoModelForSeq2SeqLM.from_pretrained(folder).generation_config
    defaults = GenerationSettings()
    for name, value in ours.values().items():
        if name == "target":
            continue
        expected = getattr(theirs, name)
        if expected is None:
            expected = getattr(defaults, name)
        if isinstance(expected, list):
            expected = (
                tuple(tuple(x) for x in expected) if name == "bad_words_ids" else tuple(expected)
            )
        assert value == expected, name


def test_config_json_only_repo_gives_identical_settings_to_every_engine(
    bart_config_only: Path,
) -> None:
    settings = [engine_for(name, bart_config_only).settings for name in ENGINES]
    assert all(s == settings[0] for s in settings)
    first = settings[0]
    assert (first.num_beams, first.max_length, first.min_length) == (4, 142, 56)
    assert (first.no_repeat_ngram_size, first.length_penalty, first.early_stopping) == (
        3,
        2.0,
        True,
    )
    assert first.forced_bos_token_id == 0
    assert first.origins["num_beams"] == "config.json"
    from briefer.engines.ctranslate2 import translate_options

    ct2 = engine_for("ctranslate2", bart_config_only)
    options, prefix = translate_options(ct2.summary_settings, ct2.model)
    assert (options["beam_size"], options["no_repeat_ngram_size"]) == (4, 3)
    # 142 and 56 count the decoder start; the forced EOS takes the last place.
    assert (options["max_decoding_length"], options["min_decoding_length"]) == (140, 55)
    assert options["length_penalty"] == 2.0 and prefix == ["<s>"]


def test_config_show_lists_the_resolved_settings(bart_config_only: Path, tmp_path: Path) -> None:
    from briefer.cli import Env, main

    env = Env(stdout=__import__("io").StringIO(), stderr=__import__("io").StringIO())
    assert main(["config", "show", "--model", str(bart_config_only)], env) == 0
    out = env.stdout.getvalue()
    lines = {line.split("=")[0].strip("# ").strip(): line for line in out.splitlines()}
    assert "= 4" in lines["num_beams"] and "# config.json" in lines["num_beams"]
    assert "= 142" in lines["max_length"] and "= 56" in lines["min_length"]
    env = Env(stdout=__import__("io").StringIO(), stderr=__import__("io").StringIO())
    main(["config", "show", "--model", str(bart_config_only), "--max-length", "60"], env)
    assert "max_length = 60" in env.stdout.getvalue()
    # Set in the config file, a length is labelled with the file, not as a flag.
    conf = tmp_path / "briefer.toml"
    conf.write_text("max_length = 60\nbeams = 1\n", encoding="utf-8")
    env = Env(stdout=__import__("io").StringIO(), stderr=__import__("io").StringIO())
    args = ["config", "show", "--model", str(bart_config_only), "--config", str(conf)]
    assert main([*args, "--min-length", "5"], env) == 0
    out = env.stdout.getvalue()
    rows = {line.split("=")[0].strip("# ").strip(): line for line in out.splitlines()}
    assert "= 60" in rows["max_length"] and rows["max_length"].endswith(f"# {conf}")
    assert "= 1" in rows["num_beams"] and rows["num_beams"].endswith(f"# {conf}")
    assert "= 5" in rows["min_length"] and rows["min_length"].endswith("# flag")


# --- greedy equality ------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("backend", ENGINES)
def test_greedy_float32_equals_plain_generate(backend: str, family: str, request) -> None:
    folder = request.getfixturevalue(family)
    engine = engine_for(backend, folder)
    got = run_each(engine, family, TEXTS, **GREEDY)
    assert got == [reference(folder, family, t, **GREEDY) for t in TEXTS]
    assert len(set(got)) > 1  # the model listens to its input, so equality means something


@pytest.mark.parametrize(
    "values",
    [
        {"max_length": 10, "min_length": 10},
        {"max_new_tokens": 7, "min_new_tokens": 5},
        {"no_repeat_ngram_size": 1, "max_length": 14},
        {"repetition_penalty": 1.5, "max_length": 14},
        {"forced_eos_token_id": None, "max_length": 9},
        {"bad_words_ids": ((5,), (6,)), "max_length": 12},
    ],
    ids=["min=max", "new-tokens", "ngram", "repetition", "no-forced-eos", "bad-words"],
)
@pytest.mark.parametrize("backend", ENGINES)
def test_every_setting_is_honoured(backend: str, values: dict[str, Any], bart: Path) -> None:
    engine = engine_for(backend, bart)
    values = {"num_beams": 1, "min_length": 0, **values}
    got = run_each(engine, "bart", TEXTS, **values)
    plain = {k: [list(i) for i in v] if k == "bad_words_ids" else v for k, v in values.items()}
    expected = [reference(bart, "bart", t, **plain) for t in TEXTS]
    penalised = {"no_repeat_ngram_size", "repetition_penalty"} & set(values)
    if backend == "ctranslate2" and penalised and got != expected:
        # transformers counts the decoder start token (</s> for BART) among the tokens already
        # generated, so these rules penalise an early </s>; ctranslate2 does not. Known, kept.
        pytest.xfail(f"ctranslate2 leaves the decoder start out of {penalised.pop()}")
    assert got == expected


@pytest.mark.parametrize("family", ["m2m100", "nllb", "mbart50"])
@pytest.mark.parametrize("backend", ENGINES)
def test_language_target_reaches_the_decoder(backend: str, family: str, request) -> None:
    folder = request.getfixturevalue(family)
    engine = engine_for(backend, folder)
    targets = engine.targets()
    assert {"fr", "ar", "de"} <= set(targets)
    french = run_each(engine, family, TEXTS[:2], **GREEDY)
    german = engine.generate(
        [(TEXTS[:2], engine.settings.with_values("test", target=targets["de"], **GREEDY))]
    )[0]
    assert french != german  # the target changes the output: it reached the model


def test_beam_search_agreement_is_measured(capsys, request) -> None:
    rows = []
    for family in FAMILIES:
        folder = request.getfixturevalue(family)
        for backend in ENGINES:
            engine = engine_for(backend, folder)
            beams = {"num_beams": 3, "max_length": 16}
            got = run_each(engine, family, TEXTS, **beams)
            agree = sum(
                g == reference(folder, family, t, **beams) for g, t in zip(got, TEXTS, strict=True)
            )
            rows.append((family, backend, agree))
            if backend == "torch":
                assert agree == len(TEXTS), family  # torch runs transformers: always the same
    with capsys.disabled():
        print("\nbeam search (3 beams) agreement with transformers, texts equal of", len(TEXTS))
        for family, backend, agree in rows:
            print(f"  {family:<18} {backend:<12} {agree}/{len(TEXTS)}")


# --- briefs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ENGINES)
def test_pegasus_brief_holds_no_newline_piece(backend: str, pegasus: Path) -> None:
    raw = reference(pegasus, "pegasus", TEXTS[0]).replace("\n", "<n>")
    assert "<n>" in raw  # the model does write it: the fixture biases it
    article = "Ministers meet\n\n" + " ".join(TEXTS)
    brief = Briefer(Options(backend=backend, model=str(pegasus))).brief(article)
    assert brief.summary and "<n>" not in brief.summary and "\n" not in brief.summary


@pytest.mark.parametrize("family", ["m2m100", "nllb", "mbart50"])
def test_translate_command_sends_the_target(family: str, request, tmp_path: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    folder = request.getfixturevalue(family)
    source = tmp_path / "in.txt"
    source.write_text("Good morning.\n", encoding="utf-8")
    outs = {}
    for backend in ENGINES:
        env = Env(stdout=StringIO(), stderr=StringIO())
        code = main(
            # --no-guard: the model's own output, looping or not, is what is compared.
            ["translate", str(source), "-l", "fr", "-t", str(folder), "--backend", backend,
             "-f", "text", "--no-guard"],
            env,
        )  # fmt: skip
        assert code == 0, env.stderr.getvalue()
        outs[backend] = env.stdout.getvalue().strip()
    # The model's own settings, the French token forced first: what torch must give.
    assert outs["torch"] == reference(folder, family, "Good morning.")
    assert all(outs.values())


def test_unsupported_target_is_one_line_naming_the_languages(m2m100: Path, tmp_path: Path):
    from io import StringIO

    from briefer.cli import Env, main

    source = tmp_path / "in.txt"
    source.write_text("Good morning.\n", encoding="utf-8")
    env = Env(stdout=StringIO(), stderr=StringIO())
    # M2M100 has no Esperanto.
    code = main(
        ["translate", str(source), "-l", "eo", "-t", str(m2m100), "--backend", "torch"], env
    )
    message = env.stderr.getvalue()
    assert code == 4 and message.count("\n") == 1
    assert "cannot translate into 'eo'" in message and "ar, " in message and "fr, " in message


# --- loading --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ENGINES)
def test_broken_model_is_a_model_error(backend: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bart"}', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        registry.load(str(broken), backend, "cpu")
    assert caught.value.exit_code == 4 and "\n" not in str(caught.value)


@pytest.mark.parametrize("backend", ENGINES)
def test_a_model_folder_without_tokenizer_files_says_so(
    backend: str, marian_fr: Path, tmp_path: Path
) -> None:
    # A folder with the config and weights but no tokenizer (copied without its *.spm and
    # vocab.json): transformers said "expected str, bytes or os.PathLike object, not NoneType".
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "generation_config.json", "model.safetensors"):
        if (marian_fr / name).exists():
            shutil.copy(marian_fr / name, folder / name)
    with pytest.raises(ModelError, match="its folder has no tokenizer vocabulary"):
        registry.load(str(folder), backend, "cpu")


@pytest.mark.parametrize("backend", ENGINES)
def test_a_tokenizer_config_alone_is_no_tokenizer(backend: str, bart: Path, tmp_path: Path) -> None:
    """A folder copied with *.json and *.safetensors only (or a download cut short) keeps
    tokenizer_config.json but not tokenizer.json: transformers built a 5-token tokenizer,
    every article became "<s></s>", and the run wrote a brief of nothing with exit 0."""
    folder = tmp_path / "bart-no-vocab"
    shutil.copytree(bart, folder)
    (folder / "tokenizer.json").unlink()
    for name in ("vocab.json", "merges.txt"):
        (folder / name).unlink(missing_ok=True)
    assert (folder / "tokenizer_config.json").exists()
    with pytest.raises(ModelError, match="its folder has no tokenizer vocabulary"):
        registry.load(str(folder), backend, "cpu")
    from briefer import hub

    # FSMT (facebook/wmt19-en-de) keeps its vocabularies as vocab-src.json and vocab-tgt.json.
    for name in ("vocab-src.json", "vocab-tgt.json", "merges.txt"):
        (folder / name).write_text("{}")
    assert hub.has_tokenizer(folder)
    for name in ("vocab-src.json", "vocab-tgt.json", "merges.txt"):
        (folder / name).unlink()
    # ByT5 reads bytes: its tokenizer_config.json is all there is, and enough.
    (folder / "tokenizer_config.json").write_text('{"tokenizer_class": "ByT5Tokenizer"}')
    assert hub.has_tokenizer(folder)


def test_lengths_beyond_the_model_are_usage_errors(bart: Path, tmp_path: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    article = tmp_path / "a.txt"
    article.write_text("Talks\n\n" + " ".join(TEXTS) + "\n", encoding="utf-8")
    for value in ("5000", str(10**20)):
        for flag in ("--max-length", "--min-length"):
            env = Env(stdout=StringIO(), stderr=StringIO())
            args = ["summarize", str(article), "-m", str(bart), "--backend", "torch", flag, value]
            if flag == "--min-length":
                args += ["--max-length", value]
            assert main(args, env) == 2
            message = env.stderr.getvalue()
            assert message.count("\n") == 1 and "its limit is 256 tokens" in message


# --- the registry ---------------------------------------------------------------------------


def test_threads_asking_for_a_cold_model_load_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A service's worker threads on a fresh machine: each used to load (and convert) the model.
    import threading
    import time

    monkeypatch.setattr(registry, "_LOADED", {})
    loads: list[str] = []

    def slow_load(name: str, backend: str, device: str, batch_size: int) -> object:
        loads.append(name)
        time.sleep(0.2)  # a conversion, or weights read from disk
        return object()

    monkeypatch.setattr(registry, "_load", slow_load)
    got: list[object] = []
    workers = [
        threading.Thread(target=lambda: got.append(registry.load("m", "auto", "cpu")))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert loads == ["m"] and len(got) == 4 and all(engine is got[0] for engine in got)


def test_threads_loading_different_models_at_once_on_torch(
    monkeypatch: pytest.MonkeyPatch, bart: Path, marian_fr: Path, marian_ar: Path
) -> None:
    # A library caller's threads, each loading another model (summarizer and translators) on
    # torch: transformers' loading is not thread-safe, and one load failed with "Cannot copy
    # out of meta tensor; no data!" in every run of three threads, until hub.LOADING.
    import threading

    for _ in range(2):
        monkeypatch.setattr(registry, "_LOADED", {})
        errors: list[BaseException] = []
        got: dict[str, object] = {}

        def load(path: Path, got: dict = got, errors: list = errors) -> None:
            try:
                got[str(path)] = registry.load(str(path), "torch", "cpu")
            except BaseException as exc:  # the test reports every failure
                errors.append(exc)

        workers = [threading.Thread(target=load, args=(p,)) for p in (bart, marian_fr, marian_ar)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert not errors, errors
        assert len(got) == 3


class _OneAtATime:
    """A tokenizer that notes how many threads are inside it at once (each call lingers a
    little, so calls that are not kept apart overlap)."""

    def __init__(self, real: object):
        self.__dict__["_real"] = real
        self.__dict__["inside"] = 0
        self.__dict__["most"] = 0
        self.__dict__["calls"] = 0

    def _enter(self, call, *args, **kwargs):  # noqa: ANN001, ANN202
        import time

        self.__dict__["inside"] += 1
        self.__dict__["most"] = max(self.most, self.inside)
        self.__dict__["calls"] += 1
        try:
            time.sleep(0.002)
            return call(*args, **kwargs)
        finally:
            self.__dict__["inside"] -= 1

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        return self._enter(self._real, *args, **kwargs)

    def batch_decode(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return self._enter(self._real.batch_decode, *args, **kwargs)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._real, name)


def test_threads_briefing_through_one_torch_model_take_its_tokenizer_in_turn(bart: Path) -> None:
    # A fast tokenizer sets its padding and truncation on each call: four threads briefing
    # through one warm Briefer on torch failed with "Unable to create tensor ... padding=True"
    # in 4 of 48 briefs, one thread's count having turned another's padding off.
    from concurrent.futures import ThreadPoolExecutor

    briefer = Briefer(Options(model=str(bart), backend="torch", guard=False))
    texts = [
        f"Talks {n}\n\n" + " ".join(f"The ministers met in Paris on day {n + k}." for k in range(6))
        for n in range(8)
    ]
    alone = [briefer.brief(t).summary for t in texts]  # warm, and the answers to match
    model = briefer.summarizer
    spy = _OneAtATime(model.model.tokenizer)
    model.model.__dict__["_tokenizer"] = spy
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: briefer.brief(t).summary, texts * 2))
    assert together == alone * 2
    assert spy.calls > len(texts) and spy.most == 1


def test_a_download_does_not_hold_up_another_threads_load(
    monkeypatch: pytest.MonkeyPatch, marian_fr: Path
) -> None:
    # One thread's model is still downloading (hub.pull, stood in for by a wait) while another
    # loads a model already on disk on torch: the second must not wait for the download.
    import threading

    from briefer.engines import hf

    monkeypatch.setattr(registry, "_LOADED", {})
    downloading, release = threading.Event(), threading.Event()
    real_folder = hf._folder

    def folder(name: str) -> Path:
        if name == "org/downloading":
            downloading.set()
            release.wait(120)
            raise ModelError("download stopped by the test")
        return real_folder(name)

    monkeypatch.setattr(hf, "_folder", folder)
    slow = threading.Thread(
        target=lambda: pytest.raises(ModelError, registry.load, "org/downloading", "torch", "cpu"),
        daemon=True,
    )
    slow.start()
    try:
        assert downloading.wait(30)
        done: list[object] = []
        fast = threading.Thread(
            target=lambda: done.append(registry.load(str(marian_fr), "torch", "cpu")), daemon=True
        )
        fast.start()
        fast.join(timeout=60)  # seconds here; the stand-in download lasts 120 s
        assert done, "the load on disk waited for the other thread's download"
    finally:
        release.set()
        slow.join(timeout=60)


@pytest.mark.own_conversions
def test_threads_loading_on_both_backends_at_once_finish(
    monkeypatch: pytest.MonkeyPatch, bart: Path, marian_fr: Path, tmp_path: Path
) -> None:
    # One thread converting and opening a model for CTranslate2 (it reads the tokenizer first),
    # another loading on torch (it holds hub.LOADING, then reads its tokenizer): with the
    # tokenizer a cached_property, Python 3.11's lock for it and LOADING were taken in opposite
    # orders, and both threads slept for good in 4 runs of 4.
    import threading

    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(registry, "_LOADED", {})
    errors: list[BaseException] = []

    def load(path: Path, backend: str) -> None:
        try:
            registry.load(str(path), backend, "cpu")
        except BaseException as exc:  # the test reports every failure
            errors.append(exc)

    workers = [
        threading.Thread(target=load, args=(marian_fr, "ctranslate2"), daemon=True),
        threading.Thread(target=load, args=(bart, "torch"), daemon=True),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert not any(worker.is_alive() for worker in workers), "the loads deadlocked"
    assert not errors, errors


@pytest.fixture
def fake_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install a package that adds the fake engine through the briefer.engines entry point."""
    package = tmp_path / "briefer_fake_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("from briefer.engines.fake import SPEC\n")
    info = tmp_path / "briefer_fake_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: briefer-fake-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text("[briefer.engines]\nfake = briefer_fake_plugin:SPEC\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_LOADED", {})
    return tmp_path


def test_an_engine_added_by_entry_point_is_everywhere(fake_plugin: Path, tmp_path: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    assert "fake" in registry.names()
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["summarize", "--help"], env) == 0
    assert "fake (first words of each input" in " ".join(env.stdout.getvalue().split())
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["config", "show", "--backend", "fake", "--engine", "extractive"], env) == 0
    out = env.stdout.getvalue()
    assert 'backend = "fake"' in out and "# backends: auto, torch, ctranslate2, fake" in out
    # The stages need nothing but the Engine interface: a whole brief runs on it.
    article = tmp_path / "a.txt"
    article.write_text("Talks\n\n" + " ".join(TEXTS) + "\n", encoding="utf-8")
    env = Env(stdout=StringIO(), stderr=StringIO())
    code = main(["summarize", str(article), "--backend", "fake", "-m", "any/model", "-f", "json",
                 "-l", "fr", "-t", "any/translator", "--no-cache"], env)  # fmt: skip
    assert code == 0, env.stderr.getvalue()
    assert '"summary": ">>fr<< The ministers met in Paris' in env.stdout.getvalue()


def test_a_broken_plugin_is_one_briefer_line_and_quiet_under_q(fake_plugin: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    info = fake_plugin / "briefer_fake_plugin-1.0.dist-info" / "entry_points.txt"
    info.write_text("[briefer.engines]\nbroken = briefer_fake_plugin:NOPE\n")
    # It printed through Python's last-resort handler: no "briefer: ", and under -q too.
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["--version"], env) == 0
    lines = env.stderr.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("briefer: engine 'broken' from ")
    registry._LOADED.clear()
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["config", "show", "-q", "--engine", "extractive"], env) == 0
    assert env.stderr.getvalue() == ""


def _layouts(root: Path) -> dict[str, Path]:
    """Return search-path folders in the shapes installers leave: pip's dist-info, setuptools'
    egg-info folder and one-file egg-info, a wheel's other groups only, a zip."""
    import zipfile

    made = {}
    for name, files in {
        "dist-info with the group": {
            "p-1.0.dist-info/entry_points.txt": "[briefer.engines]\nx = p:SPEC\n"
        },
        "egg-info with the group": {
            "p.egg-info/entry_points.txt": "[console_scripts]\np = p:main\n\n"
            "[briefer.engines]\nx = p:SPEC\n"
        },
        "indented header": {
            "p-1.0.dist-info/entry_points.txt": "  [briefer.engines]  \nx = p:SPEC\n"
        },
        # importlib.metadata lowercases folder names and strips any [ and ] off a header line.
        "upper-case suffix": {
            "P-1.0.DIST-INFO/entry_points.txt": "[briefer.engines]\nx = p:SPEC\n",
            "P-1.0.DIST-INFO/METADATA": "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n",
        },
        "odd brackets": {"p-1.0.dist-info/entry_points.txt": "[]briefer.engines]\nx = p:SPEC\n"},
        "other groups only": {
            "p-1.0.dist-info/entry_points.txt": "[console_scripts]\np = p:main\n",
            "q-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: q\nVersion: 2.0\n",
            "r.egg-info": "Metadata-Version: 1.0\nName: r\n",
        },
        "no distributions": {"module.py": ""},
    }.items():
        folder = root / name.replace(" ", "-")
        for relative, text in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text, encoding="utf-8")
        made[name] = folder
    archive = root / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("p-1.0.dist-info/entry_points.txt", "[briefer.engines]\nx = p:SPEC\n")
        out.writestr("p-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n")
    made["zip"] = archive
    return made


def test_the_quick_look_never_hides_an_entry_point(tmp_path: Path, monkeypatch) -> None:
    # registry skips importlib.metadata only where it would have found no engine: checked
    # against importlib.metadata itself on each layout, alone on the path and with the rest.
    import sys
    from importlib.metadata import entry_points

    for name, folder in _layouts(tmp_path).items():
        for path in ([str(folder)], [str(folder), *sys.path]):
            monkeypatch.setattr("sys.path", path)
            found = [p.name for p in entry_points(group=registry.GROUP)]
            assert registry._any_declared() or not found, name
            if len(path) == 1:
                expected = name not in {"other groups only", "no distributions"}
                assert registry._any_declared() is expected, name
    # A path entry that is not a string, and a finder of distributions besides the path's.
    monkeypatch.setattr(
        "sys.path", [Path(_layouts(tmp_path / "again")["dist-info with the group"])]
    )
    assert [p.name for p in entry_points(group=registry.GROUP)] == ["x"]
    assert registry._any_declared()
    monkeypatch.setattr("sys.path", [str(tmp_path / "again" / "no-distributions")])
    assert not registry._any_declared()

    class Finder:
        """A finder that serves distributions from elsewhere (PyOxidizer-style)."""

        def find_spec(self, *args: Any) -> None:
            return None

        def find_distributions(self, *args: Any) -> list:
            return []

    monkeypatch.setattr("sys.meta_path", [Finder(), *sys.meta_path])
    assert registry._any_declared()


def test_the_engines_found_are_forgotten_with_the_models(fake_plugin: Path, monkeypatch) -> None:
    # A long-running host installs a plug-in: registry.clear() lets the next load see it.
    import sys

    assert "fake" in registry.specs()
    path = list(sys.path)
    sys.path.remove(str(fake_plugin))
    try:
        registry.clear()
        assert "fake" not in registry.specs()
    finally:
        sys.path[:] = path


def test_engines_are_found_without_importlib_metadata_when_none_is_declared(tmp_path) -> None:
    import subprocess
    import sys

    if registry._any_declared():
        pytest.skip("an installed distribution here names briefer.engines")

    code = (
        "import sys; from briefer.engines import registry; "
        "names = registry.names(); registry.specs(); registry.check('ctranslate2'); "
        "print(names, 'importlib.metadata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["('auto',", "'torch',", "'ctranslate2')", "False"]


def test_a_second_model_loads_after_the_heap_is_trimmed(fake_plugin: Path, monkeypatch) -> None:
    # A brief's translator loads once the summarizer's work is done: what that work freed is
    # given back first, so the two do not add up in the run's peak memory.
    from briefer.engines import heap

    events: list[str] = []
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setattr(heap, "trim", lambda: events.append("trim") or True)
    real = registry._load
    monkeypatch.setattr(registry, "_load", lambda name, *a: events.append(name) or real(name, *a))
    registry.load("summarizer/model", "fake", "cpu")
    registry.load("summarizer/model", "fake", "cpu")  # loaded already: nothing to do
    registry.load("translator/model", "fake", "cpu")
    assert events == ["summarizer/model", "trim", "translator/model"]


# Run in a process of its own: it sets malloc's thresholds, which would stay set in pytest's.
TRIM_CHECK = """
import ctypes, pathlib
from briefer.engines import heap

def rss():
    status = pathlib.Path("/proc/self/status").read_text().splitlines()
    return int(next(x for x in status if x.startswith("VmRSS")).split()[1])

try:
    libc = ctypes.CDLL(None)
    libc.malloc_trim
except (AttributeError, OSError, TypeError):
    print("no-trim", heap.trim())
    raise SystemExit
libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: free() itself gives nothing back
libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: the blocks come from the heap
blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(1600)]  # 100 MB
keep = ctypes.create_string_buffer(64)  # above them all: the heap's top cannot shrink
del blocks
before = rss()
done = heap.trim()
print("freed", done, (before - rss()) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_trimming_gives_freed_heap_memory_back() -> None:
    # glibc keeps freed blocks under its mmap threshold for reuse; trim() returns them. Where
    # the C library has no malloc_trim, trim() does nothing and says so.
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", TRIM_CHECK], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] == "no-trim":
        assert out[1] == "False"
    else:
        assert out[:2] == ["freed", "True"] and int(out[2]) > 50, out  # MB of the 100 freed


def test_unknown_backend_lists_the_registry(fake_plugin: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["summarize", "x.txt", "--backend", "onnx"], env) == 2
    assert "choose one of: auto, torch, ctranslate2, fake" in env.stderr.getvalue()


def test_auto_falls_back_in_one_line(bart: Path, monkeypatch, caplog) -> None:
    from briefer.engines import ctranslate2
    from briefer.errors import EngineUnavailable

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise EngineUnavailable("CTranslate2 could not load it: no kernel")

    monkeypatch.setattr(ctranslate2, "load", unavailable)
    monkeypatch.setattr(registry, "_LOADED", {})
    with caplog.at_level(logging.WARNING, logger="briefer"):
        engine = registry.load(str(bart), "auto", "cpu")
    assert engine.backend == "torch"
    assert [r.getMessage() for r in caplog.records] == [
        "CTranslate2 could not load it: no kernel; running it with torch instead"
    ]


@pytest.mark.parametrize(
    ("own", "flag", "changed"),
    [
        # A model with max_new_tokens (set by a generation_config.json): a max_length clears it.
        ({"max_new_tokens": 40}, {"max_length": 30}, {"max_length", "max_new_tokens"}),
        # One without: nothing is cleared, and max_new_tokens keeps its origin.
        ({}, {"max_length": 30}, {"max_length"}),
        # A min_length above the new max_length comes down with it.
        ({"min_length": 56}, {"max_length": 30}, {"max_length", "min_length"}),
        ({"min_length": 5}, {"max_length": 30}, {"max_length"}),
        # Greedy search turns early stopping off, where the model had it on.
        (
            {"num_beams": 4, "early_stopping": True},
            {"num_beams": 1},
            {"num_beams", "early_stopping"},
        ),
        ({"num_beams": 4}, {"num_beams": 1}, {"num_beams"}),
    ],
)
def test_a_value_laid_over_marks_only_what_it_changed(own, flag, changed) -> None:
    model = GenerationSettings(**own).with_values("generation_config.json", **own)
    laid = model.with_values("c.toml", **flag)
    assert {k for k, v in laid.origins.items() if v == "c.toml"} == changed
    # What it did not change is as the model had it, origin and value.
    for name in set(own) - changed:
        assert (getattr(laid, name), laid.origins[name]) == (own[name], "generation_config.json")
    assert laid.max_new_tokens is None or "max_length" not in flag


@pytest.mark.parametrize("backend", ENGINES)
def test_a_models_own_settings_beyond_its_positions_are_held_to_them(
    backend: str, bart: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """max_length 5000 on 256 positions gave "IndexError: index out of range in self" on
    torch and "No position encodings" on CTranslate2 (exit 1), and num_beams 0 a
    ZeroDivisionError. min_length 5000 makes the model decode to the very last position."""
    import json

    folder = tmp_path / "bart-long"
    shutil.copytree(bart, folder)
    path = folder / "generation_config.json"
    config = json.loads(path.read_text())
    path.write_text(json.dumps({**config, "max_length": 5000, "min_length": 5000, "num_beams": 0}))
    positions = json.loads((folder / "config.json").read_text())["max_position_embeddings"]
    with caplog.at_level(logging.WARNING, logger="briefer"):
        engine = registry.load(str(folder), backend, "cpu")
    settings = engine.summary_settings
    assert (settings.max_length, settings.min_length, settings.num_beams) == (
        positions,
        positions,
        1,
    )
    assert settings.origins["max_length"] == f"held to the model ({positions} positions)"
    assert "max_length 5000 as 256, num_beams 0 as 1" in caplog.text
    # Decoded to the last position (min_length = max_length), with no error.
    text = "The council met on Monday to discuss the bridge."
    (summary,) = engine.generate([([text], settings)])[0]
    assert summary.strip()


@pytest.mark.parametrize("family", ["gpt2", "bert"])
@pytest.mark.parametrize("backend", ENGINES)
def test_a_model_that_is_not_seq2seq_is_refused_before_any_conversion(
    backend: str, family: str, bart: Path, tmp_path: Path, monkeypatch
) -> None:
    """A GPT-2 folder was converted for CTranslate2, and left in the cache, before being
    refused; a BERT one failed with an AttributeError inside the converter. Both are laid
    out as their hub repos are (config.json, model.safetensors, a tokenizer)."""
    from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

    monkeypatch.setattr(ctranslate, "cache_root", lambda: tmp_path / "conversions")
    folder = tmp_path / family
    if family == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=1000))
    else:
        config = BertConfig(
            num_hidden_layers=1, num_attention_heads=2, hidden_size=32, intermediate_size=64
        )
        model = BertModel(config)
    model.save_pretrained(folder)
    shutil.copy(bart / "tokenizer.json", folder / "tokenizer.json")
    with pytest.raises(ModelError, match="not a sequence-to-sequence"):
        registry.load(str(folder), backend, "cpu")
    assert ctranslate.conversions() == []


def test_a_translator_given_as_summarizer_is_named(
    marian_ar: Path, bart: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An opus-mt folder given as -m briefed "in English" without a word; what it writes is
    each chunk translated. A summarizer gets no such warning."""
    text = "Talks resume\n\nThe council met on Monday to discuss the bridge. Residents came."
    with caplog.at_level(logging.WARNING, logger="briefer"):
        Briefer(Options(model=str(bart), backend="torch", guard=False)).brief(text)
    assert "is a translator" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="briefer"):
        Briefer(Options(model=str(marian_ar), backend="torch", guard=False)).brief(text)
    assert f"summarizer {str(marian_ar)!r} is a translator (into ar" in caplog.text


def test_a_config_with_no_model_type_says_so(bart: Path, tmp_path: Path, monkeypatch) -> None:
    """CTranslate2's refusal of a config.json without model_type ended in an empty "()"."""
    import json

    monkeypatch.setattr(ctranslate, "cache_root", lambda: tmp_path / "conversions")
    folder = tmp_path / "no-type"
    shutil.copytree(bart, folder)
    config = json.loads((folder / "config.json").read_text())
    del config["model_type"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="its config.json names no model_type"):
        registry.load(str(folder), "ctranslate2", "cpu")
    with pytest.raises(ModelError, match="model_type"):
        registry.load(str(folder), "torch", "cpu")


@pytest.mark.parametrize(("languages", "warned"), [(25, False), (52, True)])
def test_an_mbart_cc25_summarizer_is_no_translator(
    languages: int, warned: bool, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    """mBART-cc25's summarizers (IlyaGusev/mbart_ru_sum_gazeta) hold its 25 language codes;
    an mBART-50 translator holds 52."""
    from briefer.engines.fake import FakeEngine
    from briefer.languages import FORCED_BOS, Target

    codes = [f"{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(languages)]

    class Mbart(FakeEngine):
        def targets(self) -> dict[str, Target]:
            return {c: Target(c, f"{c}_XX", FORCED_BOS, "mbart50") for c in codes}

    monkeypatch.setattr(registry, "load", lambda name, *_, **__: Mbart(name))
    with caplog.at_level(logging.WARNING, logger="briefer"):
        Briefer(Options(model="org/mbart-sum")).load("org/mbart-sum")
    assert ("is a translator" in caplog.text) == warned


def test_a_missing_gpu_says_to_change_the_device_not_the_backend(bart: Path, monkeypatch) -> None:
    """--backend ctranslate2 --device cuda with no GPU said "--backend auto would fall back",
    and auto's fallback, torch, had no GPU either."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ModelError) as caught:
        registry.load(str(bart), "ctranslate2", "cuda")
    assert str(caught.value) == (
        "--device cuda was asked for, but CTranslate2 sees no CUDA GPU "
        "(--device auto runs on the CPU where there is none)"
    )
