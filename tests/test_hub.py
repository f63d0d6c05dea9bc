"""briefer.hub against a fake Hugging Face cache laid out as huggingface_hub does it; no network."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from briefer import hub
from briefer.errors import ModelError, UsageError
from briefer.options import DEFAULT_SUMMARIZER, DEFAULT_TRANSLATORS

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TOKENIZER = {
    "vocab.json": b'{"a": 0}',
    "merges.txt": b"#version: 0.2\n",
    "tokenizer_config.json": b"{}",
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HF_HOME at an empty folder and return the hub cache inside it."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


def install(
    cache: Path, name: str, files: Mapping[str, bytes | Path], commit: str = COMMIT
) -> Path:
    """Lay files out as snapshot_download does (blobs, relative symlinks, refs/main)."""
    repo = cache / ("models--" + name.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    for filename, content in files.items():
        data = content.read_bytes() if isinstance(content, Path) else content
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / filename
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(exist_ok=True)
    # huggingface_hub writes the bare hash, no newline; transformers reads it verbatim.
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def model_files(**extra: bytes) -> dict[str, bytes]:
    """Return the files of a small but complete fake model."""
    return {
        "config.json": b'{"model_type": "bart"}',
        **TOKENIZER,
        "model.safetensors": b"w" * 5000,
        **extra,
    }


# --- the cache location -------------------------------------------------------------------


def test_cache_dir_follows_the_environment_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hub.cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "direct"))
    assert hub.cache_dir() == tmp_path / "direct"


# --- hub ids in the cache -----------------------------------------------------------------


def test_cached_model_is_described_from_the_cache(cache: Path) -> None:
    files = model_files()
    snapshot = install(cache, "org/name", files)
    info = hub.describe("summarize", "org/name")
    assert info == hub.ModelInfo(
        task="summarize",
        name="org/name",
        cached=True,
        # Blob sizes, not the sizes of the symlinks that point at them.
        size=sum(len(data) for data in files.values()),
        revision=COMMIT,
        path=str(snapshot),
    )
    assert hub.revision("org/name") == COMMIT
    assert hub.local_snapshot("org/name") == snapshot


def test_model_without_weights_is_not_cached(cache: Path) -> None:
    files = model_files()
    del files["model.safetensors"]
    snapshot = install(cache, "org/partial", files)
    info = hub.describe("translate:fr", "org/partial")
    assert (info.cached, info.size, info.revision, info.path) == (False, None, None, None)
    assert hub.revision("org/partial") is None
    # The snapshot folder is there, half-filled.
    assert hub.local_snapshot("org/partial") == snapshot


def test_weights_whose_blob_is_gone_do_not_count(cache: Path) -> None:
    snapshot = install(cache, "org/name", model_files())
    (snapshot / "model.safetensors").resolve().unlink()
    assert not hub.describe("summarize", "org/name").cached


def test_bpe_vocabulary_without_merges_is_not_a_tokenizer(cache: Path) -> None:
    files = model_files()
    del files["merges.txt"]
    install(cache, "org/name", files)
    assert not hub.describe("summarize", "org/name").cached


def test_sentencepiece_tokenizer_counts(cache: Path) -> None:
    files = {
        "config.json": b"{}",
        "vocab.json": b"{}",
        "source.spm": b"s",
        "target.spm": b"t",
        "pytorch_model.bin": b"w",
    }
    install(cache, "org/marian", files)
    assert hub.describe("translate:fr", "org/marian").cached


def test_sharded_weights_need_every_shard(cache: Path) -> None:
    index = {
        "weight_map": {
            "a": "model-00001-of-00002.safetensors",
            "b": "model-00002-of-00002.safetensors",
        }
    }
    files = model_files(
        **{
            "model.safetensors.index.json": json.dumps(index).encode(),
            "model-00001-of-00002.safetensors": b"1",
        }
    )
    del files["model.safetensors"]
    install(cache, "org/sharded", files)
    assert not hub.describe("summarize", "org/sharded").cached
    install(cache, "org/sharded", {"model-00002-of-00002.safetensors": b"2"})
    assert hub.describe("summarize", "org/sharded").cached


def test_missing_or_dangling_refs_mean_not_cached(cache: Path) -> None:
    assert hub.describe("summarize", "org/absent") == hub.ModelInfo(
        "summarize", "org/absent", False, None, None, None
    )
    assert hub.local_snapshot("org/absent") is None
    install(cache, "org/name", model_files())
    (cache / "models--org--name" / "refs" / "main").write_text("f" * 40)
    assert hub.revision("org/name") is None
    assert hub.local_snapshot("org/name") is None


def test_revision_follows_refs_main_to_the_newer_snapshot(cache: Path) -> None:
    install(cache, "org/name", model_files())
    newer = "b" * 40
    install(cache, "org/name", model_files(), commit=newer)
    assert hub.revision("org/name") == newer


# --- local folders ------------------------------------------------------------------------


def test_local_folder_is_described_and_fingerprinted(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for filename, data in model_files().items():
        (folder / filename).write_bytes(data)
    info = hub.describe("summarize", str(folder))
    assert info.cached and info.path == str(folder)
    assert info.size == sum(len(data) for data in model_files().values())
    first = hub.revision(str(folder))
    assert first is not None and len(first) == 16 and info.revision == first
    assert hub.revision(str(folder)) == first
    # Rewriting a config with the same content is not a change: configs are hashed by content.
    (folder / "config.json").write_bytes(model_files()["config.json"])
    assert hub.revision(str(folder)) == first
    (folder / "config.json").write_text('{"model_type": "bart", "d_model": 8}')
    second = hub.revision(str(folder))
    assert second != first
    (folder / "generation_config.json").write_text('{"num_beams": 2}')
    third = hub.revision(str(folder))
    assert third not in {first, second}
    stat = (folder / "model.safetensors").stat()
    os.utime(folder / "model.safetensors", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert hub.revision(str(folder)) not in {first, second, third}


def test_missing_or_incomplete_local_folder(tmp_path: Path) -> None:
    assert hub.revision(str(tmp_path / "nowhere")) is None
    assert hub.local_snapshot(str(tmp_path / "nowhere")) is None
    assert not hub.describe("summarize", str(tmp_path)).cached
    assert hub.local_snapshot(str(tmp_path)) == tmp_path


# --- a real model through transformers ------------------------------------------------------


def test_fake_cache_is_the_layout_transformers_loads(
    bart: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants, scan_cache_dir
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    snapshot = install(cache, "org/tiny-bart", {f.name: f for f in bart.iterdir() if f.is_file()})
    # huggingface_hub froze the cache location at import; transformers reads that constant.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    info = hub.describe("summarize", "org/tiny-bart")
    assert info.cached and info.revision == COMMIT and info.path == str(snapshot)
    assert info.size == sum(f.stat().st_size for f in bart.iterdir() if f.is_file())

    # huggingface_hub's own scanner accepts the layout and agrees on the revision.
    (repo,) = scan_cache_dir(cache).repos
    assert repo.repo_id == "org/tiny-bart"
    assert [r.commit_hash for r in repo.revisions] == [COMMIT]

    tokenizer = hub.from_pretrained(AutoTokenizer.from_pretrained, "org/tiny-bart")
    model = hub.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained, "org/tiny-bart")
    assert tokenizer("The council met.")["input_ids"]
    assert model.config.d_model == 32


# --- pull -----------------------------------------------------------------------------------


def test_pull_offline_fails_fast_naming_the_model(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(ModelError, match="org/name") as caught:
        hub.pull("org/name")
    assert time.monotonic() - start < 5
    assert "HF_HUB_OFFLINE" in str(caught.value) and "\n" not in str(caught.value)


def test_pull_offline_of_a_cached_model_gives_it_back(
    bart: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`models pull` on an air-gapped machine with every default cached failed at the
    first model; a model cached whole is what a pull would give. One cut short is not."""
    snapshot = install(cache, "org/tiny-bart", {f.name: f for f in bart.iterdir() if f.is_file()})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with caplog.at_level("WARNING", logger="briefer"):
        assert hub.pull("org/tiny-bart") == snapshot
    assert "org/tiny-bart is in the cache" in caplog.text
    (snapshot / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE"):
        hub.pull("org/tiny-bart")


def test_pull_with_unreachable_hub_fails(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "hub_reachable", lambda timeout=3.0: False)
    with pytest.raises(ModelError, match="org/name.*cannot be reached"):
        hub.pull("org/name")


def test_pull_of_a_local_folder_fetches_nothing(tmp_path: Path) -> None:
    assert hub.pull(str(tmp_path)) == tmp_path
    with pytest.raises(ModelError):
        hub.pull(str(tmp_path / "missing"))


class FakeHub:
    """Stands in for huggingface_hub's HfApi and snapshot_download, recording the download."""

    def __init__(
        self, files: Mapping[str, int | None], cache: Path, error: Exception | None = None
    ):
        self.files = files
        self.cache = cache
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def api(self) -> Any:
        fake = self

        class Api:
            def model_info(self, name: str, **kwargs: Any) -> Any:
                if fake.error is not None:
                    raise fake.error
                siblings = [SimpleNamespace(rfilename=f, size=s) for f, s in fake.files.items()]
                return SimpleNamespace(sha=COMMIT, siblings=siblings)

        return Api

    def snapshot_download(self, repo_id: str, **kwargs: Any) -> str:
        from huggingface_hub.utils import are_progress_bars_disabled

        self.calls.append({"repo_id": repo_id, "bars": not are_progress_bars_disabled(), **kwargs})
        return str(self.cache / "somewhere")


@pytest.fixture
def online(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Return a function that fakes a reachable Hub holding the given repo files."""
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "hub_reachable", lambda timeout=3.0: True)

    def serve(files: Mapping[str, int | None], error: Exception | None = None) -> FakeHub:
        fake = FakeHub(files, cache, error)
        monkeypatch.setattr(huggingface_hub, "HfApi", fake.api())
        monkeypatch.setattr(huggingface_hub, "snapshot_download", fake.snapshot_download)
        return fake

    return serve


COMMON = {
    "config.json": 1000,
    "generation_config.json": 200,
    "tokenizer_config.json": 300,
    "special_tokens_map.json": 100,
    "README.md": 5000,
    ".gitattributes": 1500,
}
FOREIGN = {
    "tf_model.h5": 10**9,
    "flax_model.msgpack": 10**9,
    "rust_model.ot": 10**9,
    "model.onnx": 10**9,
    "onnx/decoder_model.onnx": 10**9,
    "model.ckpt": 10**9,
    "onnx/config.json": 1000,
}


def test_pull_prefers_safetensors_and_skips_other_frameworks(online: Any) -> None:
    fake = online(
        {
            **COMMON,
            **FOREIGN,
            "vocab.json": 900_000,
            "merges.txt": 450_000,
            "model.safetensors": 10**9,
            "pytorch_model.bin": 10**9,
            "training_args.bin": 4000,
        }
    )
    folder = hub.pull("org/name", progress=False)
    assert folder == hub.cache_dir() / "somewhere"
    (call,) = fake.calls
    assert call["repo_id"] == "org/name"
    assert call["cache_dir"] == str(hub.cache_dir())
    # No pinned revision: only a download of "main" writes refs/main for offline loads.
    assert call.get("revision") is None
    assert call["allow_patterns"] == [
        "config.json",
        "generation_config.json",
        "merges.txt",
        "model.safetensors",
        "special_tokens_map.json",
        "tokenizer_config.json",
        "vocab.json",
    ]


def test_pull_takes_pytorch_bin_when_there_is_no_safetensors(online: Any) -> None:
    fake = online(
        {
            **COMMON,
            **FOREIGN,
            "source.spm": 800_000,
            "target.spm": 800_000,
            "vocab.json": 1_000_000,
            "pytorch_model.bin": 3 * 10**8,
        }
    )
    hub.pull("Helsinki-NLP/opus-mt-en-fr", progress=False)
    allow = fake.calls[0]["allow_patterns"]
    assert "pytorch_model.bin" in allow
    assert {"source.spm", "target.spm", "vocab.json", "config.json"} <= set(allow)
    assert not set(FOREIGN) & set(allow)


def test_pull_sharded_weights_take_one_format_and_its_index(online: Any) -> None:
    shards = {f"model-0000{i}-of-00002.safetensors": 10**9 for i in (1, 2)}
    bins = {f"pytorch_model-0000{i}-of-00002.bin": 10**9 for i in (1, 2)}
    fake = online(
        {
            **COMMON,
            "tokenizer.json": 2_000_000,
            **shards,
            **bins,
            "model.safetensors.index.json": 30_000,
            "pytorch_model.bin.index.json": 30_000,
            "big.txt": 10**9,
            "notes.txt": 100,
        }
    )
    hub.pull("org/big", progress=False)
    allow = set(fake.calls[0]["allow_patterns"])
    assert set(shards) | {"model.safetensors.index.json", "tokenizer.json", "notes.txt"} <= allow
    assert not (set(bins) | {"pytorch_model.bin.index.json", "big.txt"}) & allow


def test_pull_progress_flag_shows_or_hides_the_bars_then_restores_them(
    online: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from huggingface_hub import constants
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    bars = importlib.import_module("huggingface_hub.utils.tqdm")
    # In-process CLI tests may have set HF_HUB_DISABLE_PROGRESS_BARS before the import.
    for module in (constants, bars):
        monkeypatch.setattr(module, "HF_HUB_DISABLE_PROGRESS_BARS", None)
    monkeypatch.setattr(bars, "progress_bar_states", {})
    fake = online({**COMMON, "tokenizer.json": 1000, "model.safetensors": 1000})
    enable_progress_bars()
    hub.pull("org/name", progress=False)
    assert not are_progress_bars_disabled()
    disable_progress_bars()
    hub.pull("org/name", progress=True)
    assert are_progress_bars_disabled()
    assert [call["bars"] for call in fake.calls] == [False, True]


def test_pull_refuses_a_repo_without_pytorch_weights(online: Any) -> None:
    fake = online({**COMMON, "tf_model.h5": 10**9, "vocab.txt": 200_000})
    with pytest.raises(ModelError, match="org/tf-only.*no PyTorch weights"):
        hub.pull("org/tf-only", progress=True)
    assert fake.calls == []


def test_pull_turns_hub_errors_into_one_line(online: Any) -> None:
    online({}, error=RuntimeError("Hub exploded\ntraceback-ish details"))
    with pytest.raises(ModelError) as caught:
        hub.pull("org/name", progress=False)
    assert str(caught.value) == "cannot pull model 'org/name': Hub exploded"


# --- defaults and sizes ---------------------------------------------------------------------


def test_default_models() -> None:
    # The translators into English of French and Arabic articles come too: an offline
    # newsroom that receives such copy needs them as much as the brief's translators.
    assert hub.default_models() == [
        ("summarize", DEFAULT_SUMMARIZER),
        ("translate:fr", DEFAULT_TRANSLATORS["fr"]),
        ("translate:ar", DEFAULT_TRANSLATORS["ar"]),
        ("pivot:fr", "Helsinki-NLP/opus-mt-fr-en"),
        ("pivot:ar", "Helsinki-NLP/opus-mt-ar-en"),
    ]
    assert hub.default_models(["en", "ar", "ar"], ["ar"]) == [
        ("summarize", DEFAULT_SUMMARIZER),
        ("translate:ar", DEFAULT_TRANSLATORS["ar"]),
        ("pivot:ar", "Helsinki-NLP/opus-mt-ar-en"),
    ]
    assert hub.default_models(["en"], ["en"]) == [("summarize", DEFAULT_SUMMARIZER)]
    with pytest.raises(UsageError):
        hub.default_models(["xx"])
    with pytest.raises(UsageError, match="no default pivot for articles in 'de'"):
        hub.default_models(["fr"], ["de"])
    # `models pull --lang de` has no -t to name one: the message says where that goes.
    with pytest.raises(UsageError, match="a run names one with -t de=MODEL; `briefer models"):
        hub.default_models(["de"])


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 KB"),
        (45_300, "45 KB"),
        (9_940_000, "9.9 MB"),
        (9_960_000, "10 MB"),
        (305_600_000, "306 MB"),
        (999_999_999, "1.0 GB"),
        (1_222_000_000, "1.2 GB"),
        (3 * 10**12, "3.0 TB"),
    ],
)
def test_human_size(n: int | None, text: str) -> None:
    assert hub.human_size(n) == text


def test_human_size_rejects_negative() -> None:
    with pytest.raises(ValueError):
        hub.human_size(-1)


def test_describe_stays_light(cache: Path) -> None:
    install(cache, "org/name", model_files())
    code = (
        "import sys; from briefer import hub; "
        "assert hub.describe('summarize', 'org/name').cached; "
        "heavy = {'torch', 'transformers'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())
