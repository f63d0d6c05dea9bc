import re
import sys
import tomllib
from pathlib import Path

import pytest

from briefer.config import (
    KEYS,
    Setting,
    check_translator,
    config_path,
    load,
    parse_langs,
    parse_translator_flags,
    resolve,
    show,
)
from briefer.errors import UsageError
from briefer.options import DEFAULT_TRANSLATORS, Options


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG_CONFIG_HOME at an empty folder and clear BRIEFER_CONFIG."""
    home = tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("BRIEFER_CONFIG", raising=False)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config(tmp_path: Path, text: str) -> Path:
    return write(tmp_path / "config.toml", text)


# --- which file -----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CONFIG_HOME is honoured on Linux")
def test_default_path_is_found_under_xdg_config_home(xdg: Path) -> None:
    path = write(xdg / "briefer" / "config.toml", 'lang = "fr"\n')
    assert config_path() == path


def test_missing_default_path_means_no_config(xdg: Path) -> None:
    assert config_path() is None
    assert load(None) == {}


def test_explicit_path_wins_over_env_and_default(
    xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(xdg / "briefer" / "config.toml", "")
    env = write(tmp_path / "env.toml", "")
    explicit = write(tmp_path / "explicit.toml", "")
    monkeypatch.setenv("BRIEFER_CONFIG", str(env))
    assert config_path(str(explicit)) == explicit


def test_env_var_wins_over_default(
    xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(xdg / "briefer" / "config.toml", "")
    env = write(tmp_path / "env.toml", "")
    monkeypatch.setenv("BRIEFER_CONFIG", str(env))
    assert config_path() == env


def test_empty_env_var_is_ignored(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFER_CONFIG", "")
    assert config_path() is None


def test_missing_explicit_path_is_an_error(xdg: Path, tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"nope\.toml: config file not found \(named by --config\)"
    ):
        config_path(str(tmp_path / "nope.toml"))


def test_missing_env_path_is_an_error(
    xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFER_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(UsageError, match="gone.toml: config file not found .*BRIEFER_CONFIG"):
        config_path()


# --- reading and checking -------------------------------------------------------------------


def test_load_normalises_dashes_and_keeps_values(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        'lang = "fr,ar"\nmax-length = 80\nfail-fast = true\ncache = false\nformat = "json"\n'
        'title = "Morning brief"\nbackend = "ctranslate2"\nengine = "extractive"\n',
    )
    assert load(path) == {
        "lang": ["fr", "ar"],
        "max_length": 80,
        "fail_fast": True,
        "cache": False,
        "format": "json",
        "title": "Morning brief",
        "backend": "ctranslate2",
        "engine": "extractive",
    }


def test_relative_paths_are_read_from_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newsroom's ~/.config/briefer/config.toml naming the template, glossary, prompt and a
    # model folder kept beside it, read by cron from another folder: each was looked for in
    # the current folder ("template my.j2: cannot read it").
    home = tmp_path / "cfg"
    for name in ("my.j2", "g.toml", "p.txt"):
        write(home / name, "x\n")
    (home / "models" / "barthez").mkdir(parents=True)
    path = write(
        home / "config.toml",
        'template = "my.j2"\nglossary = "g.toml"\nprompt = "p.txt"\n'
        '[model]\nen = "org/hub-model"\nfr = "models/barthez"\n'
        '[pivot]\nde = "./models/none"\n',
    )
    elsewhere = tmp_path / "cron"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    values = load(path)
    assert values["template"] == str(home / "my.j2")
    assert values["glossary"] == str(home / "g.toml")
    assert values["prompt"] == str(home / "p.txt")
    # A hub id stays one; a model folder or prompt that is not there stays as written.
    assert values["model"] == {"en": "org/hub-model", "fr": str(home / "models" / "barthez")}
    assert values["pivot"] == {"de": "./models/none"}
    # A built-in prompt's name, an absolute path and ~ are as written; a file setting found in
    # the current folder and not beside the config is read there, as it was.
    write(elsewhere / "local.j2", "x\n")
    path.write_text(
        f'prompt = "default"\nglossary = "{home / "g.toml"}"\ntemplate = "local.j2"\n',
        encoding="utf-8",
    )
    values = load(path)
    assert (values["prompt"], values["template"]) == ("default", "local.j2")
    assert values["glossary"] == str(home / "g.toml")
    # Nothing at either place: the error will name the config's folder.
    path.write_text('template = "gone.j2"\n', encoding="utf-8")
    assert load(path)["template"] == str(home / "gone.j2")


@pytest.mark.parametrize(
    "text",
    ['lang = "fr"\n', 'lang = ["fr"]\n', 'lang = "FR, fr"\n'],
)
def test_lang_forms_all_become_a_list(tmp_path: Path, text: str) -> None:
    assert load(config(tmp_path, text)) == {"lang": ["fr"]}


def test_invalid_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, "lang = \n")
    with pytest.raises(UsageError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: not valid TOML: Invalid value")


def test_a_bom_does_not_spoil_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbfbeams = 2\n")
    assert load(path) == {"beams": 2}


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = config(tmp_path, 'langs = "fr"\n')
    with pytest.raises(UsageError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: unknown key 'langs' (did you mean 'lang'?); known keys: ")
    assert "batch_size" in message and "\n" not in message


def test_unknown_dashed_key_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"unknown key 'max-lenght' \(did you mean 'max_length'\?\)"
    ):
        load(config(tmp_path, "max-lenght = 3\n"))


def test_unknown_key_with_nothing_close(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load(config(tmp_path, "zzzzzz = 3\n"))
    assert "did you mean" not in str(info.value)
    assert (
        "unknown key 'zzzzzz'; known keys: allow_private_urls, backend, batch_size, beams"
        in str(info.value)
    )


def test_output_is_not_a_config_key(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'output' cannot be set in a config file"):
        load(config(tmp_path, 'output = "brief.md"\n'))


def test_same_key_spelled_twice_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'max-length' and 'max_length' are the same setting"):
        load(config(tmp_path, "max-length = 3\nmax_length = 4\n"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('beams = "4"\n', "'beams' must be a positive integer, not \"4\""),
        ("beams = 0\n", "'beams' must be a positive integer, not 0"),
        ("batch-size = -2\n", "'batch-size' must be a positive integer, not -2"),
        ("beams = true\n", "'beams' must be a positive integer, not true"),
        ("beams = 4.0\n", "'beams' must be a positive integer, not 4.0"),
        ('cache = "yes"\n', "'cache' must be true or false, not \"yes\""),
        ("quiet = 1\n", "'quiet' must be true or false, not 1"),
        ("model = 3\n", "'model' must be a model id, or a table of language = model id, not 3"),
        ('model = ""\n', "'model' is empty"),
        ("title = [1]\n", r"'title' must be a string, not \[1\]"),
        ('format = "html"\n', "'format' must be one of: markdown, json, jsonl, text"),
        ('device = "tpu"\n', "'device' must be one of: auto, cpu, cuda, mps"),
        ('backend = "onnx"\n', "'backend' must be one of: auto, torch, ctranslate2"),
        ('engine = "magic"\n', "'engine' must be one of: abstractive, extractive"),
        ("lang = 3\n", "'lang' must be a language code"),
        ("lang = [1, 2]\n", "'lang' must be a language code"),
        ('lang = "xx"\n', "'lang': unsupported language 'xx'"),
        ('lang = ""\n', "'lang': no language given"),
        ("translator = 3\n", "'translator' must be a model id, or a table"),
        ('[translator]\nxx = "x"\n', r"\[translator\]: unsupported language 'xx'"),
        ('[translator]\nen = "x"\n', "English is never translated"),
        ("[translator]\nfr = 1\n", r"\[translator\] fr must be a model id \(a string\), not 1"),
        ('[translator]\nfr = "a"\nFR = "b"\n', "names fr twice"),
    ],
)
def test_wrong_values_are_errors_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(UsageError, match=expected) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: ")


def test_empty_title_is_allowed(tmp_path: Path) -> None:
    assert load(config(tmp_path, 'title = ""\n')) == {"title": ""}


def test_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        load(tmp_path)


def test_every_key_is_accepted(tmp_path: Path) -> None:
    samples = {str: '"auto"', int: "2", bool: "true", (str, list): '"fr"', (str, dict): '"m"'}
    samples[dict] = '{ fr = "m" }'
    text = "".join(f"{key} = {samples[kind]}\n" for key, kind in KEYS.items())
    text = text.replace('format = "auto"', 'format = "json"')
    text = text.replace('engine = "auto"', 'engine = "extractive"')
    text = text.replace('strategy = "auto"', 'strategy = "shares"')
    assert set(load(config(tmp_path, text))) == set(KEYS)


# --- translator -----------------------------------------------------------------------------


def test_translator_table(tmp_path: Path) -> None:
    path = config(tmp_path, '[translator]\nfr = "my/fr-model"\nar = "my/ar-model"\n')
    value = load(path)["translator"]
    assert value == {"fr": "my/fr-model", "ar": "my/ar-model"}
    options = Options(translator=value)
    assert options.translator_model("fr") == "my/fr-model"
    assert options.translator_model("ar") == "my/ar-model"
    assert (
        Options(translator={"fr": "my/fr-model"}).translator_model("ar")
        == (DEFAULT_TRANSLATORS["ar"])
    )


def test_a_translator_flag_adds_to_the_files_table(tmp_path: Path) -> None:
    """-t ar=MODEL lays Arabic over the file's [translator] table, as -m and --pivot lay
    theirs: the file's French model stays (it was dropped, and the run asked for the default)."""
    from io import StringIO

    from briefer.cli import Env, main

    path = config(tmp_path, '[translator]\nfr = "my/fr-model"\nar = "my/ar-model"\n')
    env = Env(stdout=StringIO(), stderr=StringIO())
    flags = ["--engine", "extractive", "--config", str(path), "-l", "fr,ar", "-t", "ar=new/ar"]
    assert main(["config", "show", *flags], env) == 0
    lines = [line for line in env.stdout.getvalue().splitlines() if "translator" in line]
    assert " ".join(lines[0].split()) == 'translator.ar = "new/ar" # from the command line'
    assert " ".join(lines[1].split()) == f'translator.fr = "my/fr-model" # from {path}'
    assert len(lines) == 2  # and no default named for either language
    # A plain -t MODEL for the one language asked for still replaces the file's setting.
    env = Env(stdout=StringIO(), stderr=StringIO())
    main(["config", "show", *flags[:4], "-l", "fr", "-t", "x/fr"], env)
    assert 'translator = "x/fr"' in env.stdout.getvalue()


def test_translator_string(tmp_path: Path) -> None:
    value = load(config(tmp_path, 'translator = "my/fr-model"\n'))["translator"]
    assert value == "my/fr-model"
    assert Options(translator=value).translator_model("fr") == "my/fr-model"
    assert Options(translator=value).translator_model("en") is None
    assert Options().translator_model("fr") == DEFAULT_TRANSLATORS["fr"]


def test_check_translator_rejects_one_model_for_several_languages() -> None:
    check_translator("m", ["fr"])
    check_translator("m", ["en", "fr"])
    check_translator({"fr": "a", "ar": "b"}, ["fr", "ar"])
    with pytest.raises(UsageError, match="with several languages"):
        check_translator("m", ["fr", "ar"])


@pytest.mark.parametrize(
    ("values", "langs", "expected"),
    [
        ([], ["fr"], None),
        (["Helsinki-NLP/opus-mt-en-fr"], ["fr"], "Helsinki-NLP/opus-mt-en-fr"),
        (["my/model"], ["en", "ar"], "my/model"),
        (["fr=a/b", "ar=c/d"], ["fr", "ar"], {"fr": "a/b", "ar": "c/d"}),
        (["FR=a/b"], ["fr", "ar"], {"fr": "a/b"}),
        (["ar=c/d"], ["fr", "ar"], {"ar": "c/d"}),
        (["fr=x=y"], ["fr"], {"fr": "x=y"}),
        (["/models/run=2"], ["fr"], "/models/run=2"),
        (["./beam=4,len=80"], ["fr"], "./beam=4,len=80"),
    ],
)
def test_parse_translator_flags(values: list[str], langs: list[str], expected: object) -> None:
    assert parse_translator_flags(values, langs) == expected


@pytest.mark.parametrize(
    ("values", "langs", "expected"),
    [
        (["m"], ["fr", "ar"], "with several languages, give -t LANG=MODEL for each"),
        (["m"], ["en"], r"the brief is in English \(--lang en\), which needs none"),
        (["m"], [], "needs a language to translate to"),
        (["a", "b"], ["fr"], "-t given several times"),
        (["m", "fr=x"], ["fr", "ar"], "not both"),
        (["de=x"], ["fr"], "de is not a requested language"),
        (["en=x"], ["en", "fr"], "English is never translated"),
        (["ar=x"], ["fr"], "ar is not a requested language"),
        (["fr=a", "fr=b"], ["fr"], "given twice"),
        (["fr="], ["fr"], "needs a model id"),
    ],
)
def test_parse_translator_flags_errors(values: list[str], langs: list[str], expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        parse_translator_flags(values, langs)


def test_a_translator_flag_over_a_files_plain_model_says_what_it_drops(tmp_path: Path) -> None:
    from io import StringIO

    from briefer.cli import Env, main

    path = config(tmp_path, 'lang = "fr"\ntranslator = "my/fr-model"\n')
    env = Env(stdout=StringIO(), stderr=StringIO())
    args = ["config", "show", "--engine", "extractive", "--config", str(path), "-l", "fr,ar"]
    assert main([*args, "-t", "ar=new/ar"], env) == 0
    # French now gets its default, not the file's model: said, not silent.
    assert env.stderr.getvalue() == (
        "briefer: -t ar=new/ar replaces the config file's translator = 'my/fr-model', so fr "
        "gets its default; give -t LANG=MODEL for each language, or a [translator] table in "
        "the file\n"
    )
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main([*args, "-t", "ar=new/ar", "-t", "fr=new/fr"], env) == 0
    assert env.stderr.getvalue() == ""  # every language named: nothing dropped unsaid


def test_batch_names_translators_for_the_languages_its_records_ask_for() -> None:
    """batch's records carry their own `lang`: -t ar=MODEL is for them, whatever --lang is
    (it was refused: "ar is not a requested language (en only)")."""
    with pytest.raises(UsageError, match="ar is not a requested language"):
        parse_translator_flags(["ar=m/ar"], ["en"])
    assert parse_translator_flags(["ar=m/ar"], ["en"], any_language=True) == {"ar": "m/ar"}
    got = parse_translator_flags(["ar=m/ar", "fr=m/fr"], ["fr"], any_language=True)
    assert got == {"ar": "m/ar", "fr": "m/fr"}
    with pytest.raises(UsageError, match="English is never translated"):
        parse_translator_flags(["en=m"], ["fr"], any_language=True)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"lang": ["fr", "ar"]}, "lang takes a string, not ['fr', 'ar']"),
        ({"max_length": "20"}, "max_length takes a whole number, not '20'"),
        ({"beams": True}, "beams takes a whole number, not True"),
        ({"guard": "no"}, "guard takes true or false, not 'no'"),
    ],
)
def test_options_of_the_wrong_type_are_usage_errors(given: dict, message: str) -> None:
    # A library caller's mistakes: TypeError deep inside, or silently on (guard="no").
    with pytest.raises(UsageError, match=re.escape(message)):
        Options(**given)


@pytest.mark.parametrize("given", [None, b"Talks in Paris.", 42])
def test_brief_refuses_what_is_not_text(given: object) -> None:
    from briefer import Briefer

    with pytest.raises(UsageError, match="brief takes an Article or a str"):
        Briefer(Options(engine="extractive")).brief(given)  # type: ignore[arg-type]


def test_an_options_tables_cannot_change_and_pickle_as_dicts() -> None:
    """options.model["fr"] = ... had changed a frozen Options' hash (keying a cache of
    Briefers wrongly) and let an unchecked model id past validation."""
    import copy
    import dataclasses
    import pickle

    options = Options(model={"en": "a", "fr": "b"}, translator={"fr": "t"}, pivot={"de": "p"})
    before = hash(options)
    for table in (options.model, options.translator, options.pivot):
        with pytest.raises(TypeError, match="an Options table cannot be changed"):
            table["ar"] = "x"  # type: ignore[index]
        with pytest.raises(TypeError):
            table.update({"ar": "x"})  # type: ignore[union-attr]
    assert hash(options) == before
    assert pickle.loads(pickle.dumps(options)) == options  # Ray's workers get it pickled
    assert copy.deepcopy(options) == options
    assert dataclasses.replace(options, lang="ar").model == {"en": "a", "fr": "b"}
    # {"en": MODEL} is model=MODEL, as the README says.
    assert Options(model={"en": "a"}) == Options(model="a")
    assert hash(Options(model={"EN": "a"})) == hash(Options(model="a"))


def test_library_calls_of_the_wrong_type_are_usage_errors(tmp_path: Path) -> None:
    from briefer import Briefer, batch, render
    from briefer.sources import expand

    briefer = Briefer(Options(engine="extractive"))
    text = "Talks resumed in Paris on Monday. Ministers met for hours and agreed a plan."
    with pytest.raises(UsageError, match="a language is a code such as 'fr', not 5"):
        briefer.brief(text, lang=5)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="brief_many takes a list of articles, not NoneType"):
        briefer.brief_many(None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="render takes a list of briefs, not Brief"):
        render.render(briefer.brief(text))  # type: ignore[arg-type]
    story = tmp_path / "a.txt"
    story.write_text(f"Talks resume\n\n{text}\n")
    with pytest.raises(UsageError, match="langs takes a list of language codes"):
        batch.run(expand([str(story)]), briefer, "en")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="strict_facts takes true or false, not 'no'"):
        batch.run([str(story)], briefer, ["en"], strict_facts="no")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unsupported language 'xx'"):
        batch.run([str(story)], briefer, ["xx"])
    # Plain file names and paths are taken as the command line takes them; "EN" is en.
    outcome = batch.run([str(story), story], briefer, ["EN"])
    assert list(outcome.briefs) == ["en"] and len(outcome.briefs["en"]) == 1


def test_options_take_what_the_command_line_takes(tmp_path: Path) -> None:
    assert Options(lang="FR").lang == "fr"  # -l FR works
    assert Options(glossary=tmp_path / "terms.toml").glossary == str(tmp_path / "terms.toml")


def test_a_plain_translator_is_the_runs_languages_only() -> None:
    # batch -l fr -t MODEL: a record whose lang is ar got the French model, labelled ar.
    options = Options(lang="fr", translator="m/fr")
    assert options.translator_model() == options.translator_model("fr") == "m/fr"
    assert options.translator_model("ar") == DEFAULT_TRANSLATORS["ar"]
    # A run in English (a library call naming the language of each brief) uses it for any.
    assert Options(translator="m/x").translator_model("fr") == "m/x"


def test_batch_takes_a_translator_for_a_records_language(monkeypatch, tmp_path: Path) -> None:
    from io import StringIO

    from briefer import dataset
    from briefer.cli import Env, main

    seen = {}

    def run_batch(inputs, output, options, **_):
        seen["translator"] = options.translator
        raise UsageError("stop here")

    monkeypatch.setattr(dataset, "run_batch", run_batch)
    env = Env(stdout=StringIO(), stderr=StringIO())
    args = ["batch", "in.jsonl", "-o", str(tmp_path / "out"), "-t", "ar=m/ar", "-t", "fr=m/fr"]
    assert main(args, env) == 2 and "stop here" in env.stderr.getvalue()
    assert seen["translator"] == {"ar": "m/ar", "fr": "m/fr"}


def test_language_like_prefix_of_an_existing_path_is_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "de=model").mkdir()
    assert parse_translator_flags(["de=model"], ["fr"]) == "de=model"


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fr", ["fr"]),
        ("fr,ar", ["fr", "ar"]),
        (" ar , FR ,", ["ar", "fr"]),
        ("fr,ar,fr", ["fr", "ar"]),
        (["fr", "ar"], ["fr", "ar"]),
        (["ar", "fr,ar", "en"], ["ar", "fr", "en"]),
    ],
)
def test_parse_langs(value: str | list[str], expected: list[str]) -> None:
    assert parse_langs(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("xx", "unsupported language 'xx'"),
        ("fr,xx", "unsupported language 'xx'"),
        (" , ", "no language"),
    ],
)
def test_parse_langs_errors(value: str, expected: str) -> None:
    with pytest.raises(UsageError, match=expected):
        parse_langs(value)


# --- precedence and display -----------------------------------------------------------------


def test_flag_beats_file_beats_default(tmp_path: Path) -> None:
    path = config(tmp_path, 'model = "file/model"\nbeams = 2\ndevice = "cpu"\n')
    defaults = {"model": "default/model", "beams": None, "device": "auto", "quiet": False}
    settings = resolve(defaults, load(path), path, {"model": "flag/model"})
    assert settings == {
        # model is set per language of the articles: a plain id is the English one.
        "model": Setting({"en": "flag/model"}, "flag"),
        "beams": Setting(2, str(path)),
        "device": Setting("cpu", str(path)),
        "quiet": Setting(False, "default"),
    }


def test_flag_equal_to_the_default_still_beats_the_file(tmp_path: Path) -> None:
    settings = resolve(
        {"device": "auto"}, {"device": "cpu"}, tmp_path / "c.toml", {"device": "auto"}
    )
    assert settings["device"] == Setting("auto", "flag")


def test_translator_is_kept_as_given() -> None:
    table = {"fr": "a", "ar": "b"}
    settings = resolve({"translator": None}, {"translator": table}, Path("c.toml"), {})
    assert settings["translator"].value == table
    settings = resolve(
        {"translator": None}, {"translator": table}, Path("c.toml"), {"translator": "m"}
    )
    assert settings["translator"] == Setting("m", "flag")


def test_show_exact() -> None:
    settings = {
        "title": Setting('Le "brief"', "default"),
        "lang": Setting("fr", "/home/x/.config/briefer/config.toml"),
        "translator": Setting({"fr": "a/b", "ar": "c/d"}, "/home/x/.config/briefer/config.toml"),
        "beams": Setting(4, "flag"),
        "cache": Setting(True, "default"),
        "max_length": Setting(None, "default"),
    }
    assert show(settings) == (
        "beams = 4                                  # from the command line\n"
        "cache = true                               # default\n"
        'lang = "fr"                                # from /home/x/.config/briefer/config.toml\n'
        "# max_length = (not set)                   # default\n"
        'title = "Le \\"brief\\""                     # default\n'
        'translator = { fr = "a/b", ar = "c/d" }    # from /home/x/.config/briefer/config.toml\n'
    )


def test_show_is_valid_toml_that_loads_back(tmp_path: Path) -> None:
    values = {
        "lang": ["fr", "ar"],
        "translator": {"fr": "a/b", "ar": "c\\d"},
        "title": 'tab\there "quoted" \x7f\x01 é',
        "max_length": 80,
        "fail_fast": False,
        "beams": None,
    }
    text = show({key: Setting(value, "default") for key, value in values.items()})
    del values["beams"]
    assert tomllib.loads(text) == values
    assert load(config(tmp_path, text)) == values


def test_show_nothing() -> None:
    assert show({}) == ""


# --- the options schema ---------------------------------------------------------------------


def test_options_schema_is_the_one_source_of_keys_flags_show_and_cache_key() -> None:
    from io import StringIO

    from briefer.cli import Env, main
    from briefer.config import CHOICES, KEYS
    from briefer.options import SCHEMA, Options

    assert list(KEYS) == [spec.name for spec in SCHEMA]
    assert all(CHOICES[s.name] == s.choices for s in SCHEMA if isinstance(s.choices, tuple))
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["summarize", "--help"], env) == 0
    help_text = env.stdout.getvalue()
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["config", "show", "--engine", "extractive"], env) == 0
    shown = env.stdout.getvalue()
    for spec in SCHEMA:
        assert spec.spellings()[0].split("/")[0] in help_text, spec.name
        assert spec.help.split()[0] in help_text, spec.name
        # A per-language setting shows one dotted key per language: model.en = ..., pivot.fr = ...
        assert f"{spec.name}{'.' if spec.per_language else ' = '}" in shown, spec.name
    # Every option the schema marks as shaping a summary is in the cache key, and only those.
    cached = {spec.name for spec in SCHEMA if spec.cached}
    assert set(Options().cache_parts()) == cached
    assert {"model", "pivot", "max_length", "beams", "backend"} <= cached and "quiet" not in cached
    # A per-language setting enters the key as the article's route chose it.
    options = Options(model={"en": "a", "fr": "b"}, pivot={"de": "c"})
    assert options.cache_parts()["model"] == "a" and options.cache_parts()["pivot"] is None
    chosen = options.cache_parts(model="a", pivot=options.pivot_model("de"))
    assert (chosen["model"], chosen["pivot"]) == ("a", "c")


def test_config_show_names_the_translator_each_language_gets() -> None:
    """A run with --lang fr and no -t translates with the default model: config show says so,
    per language, and says when a language has no default (the run would stop)."""
    from io import StringIO

    from briefer.cli import Env, main
    from briefer.options import DEFAULT_TRANSLATORS, Options

    def shown(*flags: str) -> list[str]:
        env = Env(stdout=StringIO(), stderr=StringIO())
        assert main(["config", "show", "--engine", "extractive", *flags], env) == 0
        return [line for line in env.stdout.getvalue().splitlines() if "translator for" in line]

    assert shown() == []  # English: nothing is translated
    lines = shown("--lang", "fr,ar,de")
    assert lines == [
        f"# translator for fr: {DEFAULT_TRANSLATORS['fr']} (default)",
        f"# translator for ar: {DEFAULT_TRANSLATORS['ar']} (default)",
        "# translator for de: none by default; give one with -t de=MODEL",
    ]
    # The same model the run would load.
    assert Options(lang="fr").translator_model() == DEFAULT_TRANSLATORS["fr"]
    # A language the flags cover gets no line; the others keep theirs.
    assert shown("--lang", "fr,ar", "-t", "ar=some/model") == [
        f"# translator for fr: {DEFAULT_TRANSLATORS['fr']} (default)"
    ]
    assert shown("--lang", "fr", "-t", "some/model") == []


def test_usage_says_inputs_repeat() -> None:
    """summarize, translate and batch each take several inputs; the usage line says so."""
    from io import StringIO

    from briefer.cli import Env, main

    for command in ("summarize", "translate", "batch"):
        env = Env(stdout=StringIO(), stderr=StringIO())
        assert main([command, "--help"], env) == 0
        assert f"briefer {command} [OPTIONS] [INPUT...]" in env.stdout.getvalue(), command


def test_every_command_takes_its_options_from_the_schema() -> None:
    """summarize, translate and batch each get their schema options' flags, help and defaults
    from options.SCHEMA (as options.COMMANDS adapts them), and none copies one by hand."""
    import typer

    from briefer.cli import app
    from briefer.config import KEYS
    from briefer.options import COMMANDS, command_schema

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in COMMANDS:
        params = {p.name: p for p in commands[name].params}
        specs = command_schema(name)
        # Every schema-named parameter of the command is one the schema gives it.
        assert {n for n in params if n in KEYS} == {s.name for s in specs}, name
        for spec in specs:
            param = params[spec.name]
            flags = [f for s in spec.spellings() for f in s.split("/")]
            assert set(param.opts + param.secondary_opts) == set(flags), (name, spec.name)
            # A per-language setting's flags are a list; its default table is in its help.
            default = None if spec.per_language else spec.default
            assert param.default == default, (name, spec.name)
            if spec.choices != "engines":  # --backend's help lists the registry's engines
                assert param.help == spec.help, (name, spec.name)
    # translate and batch adapt, not copy: same flags as summarize, their own help or choices.
    assert command_schema("translate")[0].spellings() == command_schema("summarize")[0].spellings()
    fmt = {s.name: s for s in command_schema("translate")}["format"]
    assert fmt.choices == ("markdown", "json", "jsonl", "text")


def test_translate_reads_the_config_file(marian_fr: Path, tmp_path: Path) -> None:
    """A newsroom's config (lang, [translator], backend) applies to translate as to summarize."""
    from io import BytesIO, StringIO

    from briefer.cli import Env, main

    doc = tmp_path / "note.txt"
    doc.write_text("The talks went well. More will follow on Tuesday.\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'lang = "fr"\nbackend = "torch"\n[translator]\nfr = "{marian_fr}"\n', encoding="utf-8"
    )

    def translate(*args: str) -> tuple[int, str, str]:
        env = Env(stdin=BytesIO(), stdout=StringIO(), stderr=StringIO(), stdin_isatty=True)
        code = main(["translate", str(doc), *args], env)
        return code, env.stdout.getvalue(), env.stderr.getvalue()

    flags = translate("-l", "fr", "-t", str(marian_fr), "--backend", "torch", "-f", "text")
    from_file = translate("--config", str(config), "-f", "text")
    assert flags[0] == 0, flags[2]
    assert from_file == flags
    # Two languages in the file: translate takes one, and says where the two came from.
    config.write_text('lang = ["fr", "ar"]\n', encoding="utf-8")
    code, _, err = translate("--config", str(config))
    assert code == 2 and "one language at a time" in err and str(config) in err


def test_translation_cache_key_holds_what_the_schema_marks(monkeypatch) -> None:
    """A translation's cache key holds every option the schema marks as shaping a translation
    (device and backend: int8 CTranslate2 and float32 torch translate differently)."""
    from types import SimpleNamespace

    from briefer import batch
    from briefer.cache import ResultCache
    from briefer.options import SCHEMA, Options

    marked = {spec.name for spec in SCHEMA if "translation" in spec.cached}
    assert marked == set(Options().cache_parts("translation")) >= {"device", "backend"}
    keys: list[dict] = []
    monkeypatch.setattr(batch, "make_key", lambda **parts: keys.append(parts) or "k")
    monkeypatch.setattr(batch._Work, "revision", lambda self, name: "rev")

    def localize(digests, lang):
        return [
            SimpleNamespace(
                title=d.article.title, summary=d.summary, checks=(), models={"translator": "m"}
            )
            for d in digests
        ]

    options = Options(lang="fr", translator="org/marian", device="cpu", backend="torch")
    briefer = SimpleNamespace(options=options, localize=localize, glossary=None, timings={})
    work = batch._Work(briefer, ResultCache(enabled=False))  # type: ignore[arg-type]
    digest = SimpleNamespace(
        article=SimpleNamespace(title="A title"),
        headline="A title",
        summary="A summary.",
        summary_language="en",
        language="en",
        pivot=None,
    )
    work.localize([digest], "fr")  # type: ignore[list-item]
    (key,) = keys
    assert key["kind"] == "translation" and key["models"] == [("org/marian", "rev")]
    assert {name: key[name] for name in marked} == options.cache_parts("translation")


@pytest.mark.parametrize(
    ("given", "langs"),
    [
        # What scripts have at hand: $LANG, a CMS's tag, NLLB's code, ISO 639-3.
        ("fr_FR.UTF-8", ["fr"]),
        ("fr-FR,ar-EG", ["fr", "ar"]),
        ("fra,FR,fr_CA", ["fr"]),
        ("fra_Latn,arb_Arab", ["fr", "ar"]),
    ],
)
def test_language_tags_and_locales_name_their_language(given: str, langs: list[str]) -> None:
    from briefer.config import parse_langs

    assert parse_langs(given) == langs


def test_an_unknown_language_is_named_as_given() -> None:
    from briefer.config import parse_langs

    with pytest.raises(UsageError, match="unsupported language 'XX-YY'"):
        parse_langs("fr,XX-YY")
    assert Options(lang="FR-fr").lang == "fr"


def test_language_flags_take_tags_too() -> None:
    from briefer.config import parse_language_flags, parse_translator_flags

    assert parse_translator_flags(["fr_FR=models/fr", "ar-EG=models/ar"], ["fr", "ar"]) == {
        "fr": "models/fr",
        "ar": "models/ar",
    }
    assert parse_language_flags("model", ["fr-FR=models/barthez"]) == {"fr": "models/barthez"}
    assert parse_language_flags("pivot", ["deu=models/de-en"]) == {"de": "models/de-en"}


def test_the_readme_flag_table_has_every_summarize_flag() -> None:
    """A flag --help lists and the README's table of `summarize` flags lacks is undocumented."""
    from briefer.options import command_schema

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Flag | Meaning | Default |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"--[a-z][a-z-]+", table))
    missing = [
        flag
        for spec in command_schema("summarize")
        for spelling in spec.spellings()
        for flag in spelling.split("/")
        if flag.startswith("--") and flag not in documented
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        # A script that joined two languages with a dash: not French of Argentina, silently.
        ("fr-ar", "several languages go with commas (fr,ar), and a region in capitals (fr-AR)"),
        ("en-fr", "several languages go with commas (en,fr)"),
    ],
)
def test_two_languages_joined_by_a_dash_are_refused_with_the_fix(given: str, hint: str) -> None:
    from briefer.config import parse_langs

    with pytest.raises(UsageError, match=re.escape(hint)):
        parse_langs(given)
    assert parse_langs(given.split("-")[0] + "-" + given.split("-")[1].upper()) == [given[:2]]


def test_a_language_named_twice_in_a_model_table_is_refused() -> None:
    with pytest.raises(UsageError, match="names fr twice"):
        Options(model={"en": "a", "fr": "b", "fra": "c"})
    with pytest.raises(UsageError, match="names fr twice"):
        Options(lang="fr", translator={"fr": "a", "FR": "b"})


def test_a_missing_translator_stops_the_run_before_any_summary(tmp_path: Path, monkeypatch) -> None:
    """A translator missing offline was found after every map and reduce pass (6-29 s)."""
    from briefer import Briefer, batch
    from briefer.errors import ModelError

    story = tmp_path / "a.txt"
    story.write_text("Talks resume\n\nTalks resumed in Paris on Monday. Ministers met for hours.\n")
    briefer = Briefer(Options(engine="extractive", lang="fr", translator=str(tmp_path / "gone")))

    def summarized(*_: object, **__: object) -> None:
        raise AssertionError("summarized before the translator was checked")

    digest_many = Briefer.digest_many
    monkeypatch.setattr(Briefer, "digest_many", summarized)
    with pytest.raises(ModelError, match="gone"):
        batch.run([str(story)], briefer, ["fr"])
    # A French article briefed in French by the extractive engine needs no translator: it
    # goes on, the translator's absence unasked (the check had stopped the run).
    french = tmp_path / "fr.txt"
    french.write_text(
        "Les négociations reprennent\n\nLes négociations ont repris lundi à Paris entre les "
        "ministres. Ils se sont réunis pendant des heures et ont adopté un plan commun.\n"
    )
    monkeypatch.setattr(Briefer, "digest_many", digest_many)
    outcome = batch.run([str(french)], briefer, ["fr"])
    assert outcome.failed == [] and len(outcome.briefs["fr"]) == 1


def test_errors_about_a_setting_name_the_file_that_set_it(tmp_path: Path, sample_story) -> None:
    """A file's max_length and min_length were reported as flags nobody gave; config show
    printed them with no word though a run refuses them."""
    from io import StringIO

    from briefer.cli import Env, main

    path = config(tmp_path, "max_length = 10\nmin_length = 30\n")
    for args in (["summarize", str(sample_story), "--engine", "extractive"], ["config", "show"]):
        env = Env(stdout=StringIO(), stderr=StringIO())
        assert main([*args, "--config", str(path)], env) == 2
        assert env.stderr.getvalue() == (
            "briefer: error: --min-length (30) is larger than --max-length (10) "
            f"(max_length and min_length are set in {path})\n"
        )
    assert "min_length = 30" in env.stdout.getvalue()  # config show still shows them
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["summarize", str(sample_story), "--min-length", "30", "--max-length", "10"], env)
    assert "set in" not in env.stderr.getvalue()  # flags given are named as they were
    env = Env(stdout=StringIO(), stderr=StringIO())
    assert main(["config", "show", "--source-lang", "xx"], env) == 2  # it exited 0


def test_a_setting_below_a_table_is_said_to_be_inside_it(tmp_path: Path) -> None:
    # `echo 'template = "brief.j2"' >> config.toml` after a [translator] table.
    path = config(tmp_path, 'lang = "fr"\n[translator]\nfr = "x/fr"\ntemplate = "brief.j2"\n')
    with pytest.raises(UsageError) as excinfo:
        load(path)
    assert str(excinfo.value) == (
        f"{path}: 'template' is inside the [translator] table (every key after a [table] line "
        "belongs to it); move it above the file's first table"
    )


@pytest.fixture
def sample_story(tmp_path: Path) -> Path:
    return write(tmp_path / "story.txt", "Council backs bridge\n\nThe council voted on Tuesday.\n")


def test_a_flag_named_only_as_a_hint_gets_no_file_note() -> None:
    # A file's [pivot] fr was said to have set the German pivot a message only suggests.
    from briefer.cli import _set_where

    origins = {
        "pivot": ("/etc/briefer.toml", {"fr": "x/fr-en"}),
        "source_lang": ("/etc/briefer.toml", "fr"),
        "max_length": ("/etc/briefer.toml", 99999),
    }
    hint = "written in de (--pivot de=MODEL); --source-lang sets the language"
    assert _set_where(hint, origins) == hint
    quoted = "--max-length 99999 is more than m can generate"
    assert _set_where(quoted, origins) == f"{quoted} (max_length is set in /etc/briefer.toml)"
