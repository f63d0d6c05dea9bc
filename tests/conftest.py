"""Shared fixtures: an isolated, offline Hugging Face home and tiny random models."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import factory

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "paris-coalition-meeting.txt"


# Threads for torch and CTranslate2 in tests. 1 by default; `make test-threads` runs the
# differential tests again with 2, to prove no comparison depends on the thread count.
THREADS = int(os.environ.get("BRIEFER_TEST_THREADS") or 1)

# The isolated home pytest_configure makes, for pytest_unconfigure to remove.
HOME = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Cut the suite off from the hub and from the user's caches and config before anything loads."""
    home = Path(tempfile.mkdtemp(prefix="briefer-tests-"))
    config.stash[HOME] = home
    os.environ.update(
        HF_HUB_OFFLINE="1",
        HF_HOME=str(home / "hf"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        TRANSFORMERS_VERBOSITY="error",
        TOKENIZERS_PARALLELISM="false",
        # Tiny models gain nothing from threads, and spinning threads crawl on a busy machine.
        OMP_NUM_THREADS=str(THREADS),
        MKL_NUM_THREADS=str(THREADS),
    )
    os.environ.pop("BRIEFER_CONFIG", None)
    os.environ.pop("BRIEFER_CACHE_DIR", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's Hugging Face home and caches: some 66 MB a run, left in /tmp until 2026-12-07."""
    home = config.stash.get(HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def thread_count(monkeypatch: pytest.MonkeyPatch) -> int:
    """Run torch and CTranslate2 with THREADS threads inside each matrix product."""
    if "torch" in sys.modules:  # tests that never load torch need not pay for importing it
        sys.modules["torch"].set_num_threads(THREADS)
    if os.environ.get("BRIEFER_TEST_THREADS"):
        from briefer.engines import ctranslate2

        original = ctranslate2.threads
        monkeypatch.setattr(ctranslate2, "threads", lambda device: (original(device)[0], THREADS))
    return THREADS


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give each test a result cache of its own, so no test sees another's results."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("BRIEFER_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def conversions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder the whole session's CTranslate2 conversions go to."""
    return tmp_path_factory.mktemp("ctranslate2")


@pytest.fixture(autouse=True)
def shared_conversions(
    request: pytest.FixtureRequest, conversions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Convert each tiny model for CTranslate2 once per session, in this process.

    briefer converts in a child process that imports torch and transformers: 10-16 s a model on
    a busy 2-core machine, most of a CTranslate2 test's time, where the conversion of a tiny
    model itself takes well under a second. Here conversions are kept for the session, as a
    user's cache keeps them, and run in the test process. Results stay per test (own_cache).
    Tests about conversion itself are marked own_conversions: their own cache, the real child.
    """
    if request.node.get_closest_marker("own_conversions"):
        return
    from briefer import ctranslate

    def convert_in_process(source: Path, out: Path, compute_type: str) -> None:
        """Run the converter the child would run, without starting a child."""
        ctranslate.convert_here(str(source), str(out), compute_type)

    monkeypatch.setattr(ctranslate, "cache_root", lambda: conversions)
    monkeypatch.setattr(ctranslate, "_convert_elsewhere", convert_in_process)


@pytest.fixture(scope="session")
def bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder of a tiny random BART summarizer (256-token input limit)."""
    return factory.build_bart(tmp_path_factory.mktemp("bart"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def marian_ar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny en→ar Marian whose vocabulary holds >>ara<< and >>afb<<, as tc-big does."""
    return factory.build_marian(
        tmp_path_factory.mktemp("marian-ar"),
        corpus=factory.CORPUS,
        lang_tokens=[">>ara<<", ">>afb<<"],
    )


@pytest.fixture(scope="session")
def marian_fr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny en→fr Marian with no language tokens, as opus-mt-en-fr."""
    return factory.build_marian(tmp_path_factory.mktemp("marian-fr"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def t5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny T5 whose config asks for the "summarize: " prefix."""
    return factory.build_t5(tmp_path_factory.mktemp("t5"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def sample() -> Path:
    """Return the path of the real example article."""
    return SAMPLE


@pytest.fixture(scope="session")
def bart_config_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny BART laid out like sshleifer/distilbart-cnn-12-6 (settings in config.json)."""
    return factory.build_bart_config_only(
        tmp_path_factory.mktemp("bart-config-only"), corpus=factory.CORPUS
    )


@pytest.fixture(scope="session")
def m2m100(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny M2M100 laid out like facebook/m2m100_418M (__fr__ targets)."""
    return factory.build_m2m100(tmp_path_factory.mktemp("m2m100"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny NLLB-200 laid out like facebook/nllb-200-distilled-600M (fra_Latn targets)."""
    return factory.build_nllb(tmp_path_factory.mktemp("nllb"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def mbart50(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny mBART-50 laid out like facebook/mbart-large-50-one-to-many-mmt (fr_XX)."""
    return factory.build_mbart50(tmp_path_factory.mktemp("mbart50"), corpus=factory.CORPUS)


@pytest.fixture(scope="session")
def pegasus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny PEGASUS laid out like google/pegasus-cnn_dailymail, writing <n> often."""
    return factory.build_pegasus(
        tmp_path_factory.mktemp("pegasus"), corpus=factory.CORPUS, newline_bias=3.0
    )
