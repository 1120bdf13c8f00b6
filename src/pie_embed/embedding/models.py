"""Loading a transformer (encoder or decoder) from an alias, a local directory or a Hugging Face id."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pie_embed.embedding.offline import (
    DEFAULT_OFFLINE_MODEL,
    OFFLINE_MODELS,
    LocalModel,
    load_gguf_base_model,
)
from pie_embed.embedding.shipped import SHIPPED_MODELS, read_shipped
from pie_embed.embedding.weight_delta import apply_delta
from pie_embed.errors import ConfigError, ModelNotFoundError
from pie_embed.paths import cache_dir as default_cache_dir

# the task-aware model shipped in the package is the default; its base stays the reference protocol
DEFAULT_MODEL = "pie-general"
BASE_MODEL = DEFAULT_OFFLINE_MODEL
ALIASES: dict[str, str] = {
    "default": DEFAULT_MODEL,
    "minilm": BASE_MODEL,
    "pie-minilm": "pie-ieb",  # the IEB-label model's name before it shipped (one release)
}
ENCODER_MAX_LENGTH = 512
DECODER_MAX_LENGTH = 1024


@dataclass
class LoadedModel:
    """A tokenizer and a model that returns hidden states, with what pooling needs to know."""

    name: str
    tokenizer: Any
    model: Any
    family: str  # "encoder" | "decoder"
    default_pooling: str
    max_length: int
    fingerprint: str  # identifies the weights, for caches and manifests
    default_prompt: str = "none"  # the prompt a model was trained with (pie_embed.json), else none


def trained_model_dir(alias: str, cache_dir: Path | None = None) -> Path:
    """Where ``pie train --recipe`` builds the model for ``alias`` when no -o is given."""
    return (Path(cache_dir) if cache_dir else default_cache_dir()) / "models" / "trained" / alias


def known_aliases() -> list[str]:
    return [*ALIASES, *SHIPPED_MODELS, *OFFLINE_MODELS]


def shipped_file(name: str) -> Path | None:
    """The shipped-model file ``name`` stands for: a shipped alias, or a path to such a file."""
    alias = ALIASES.get(name, name)
    if alias in SHIPPED_MODELS:
        return SHIPPED_MODELS[alias].path
    if name.endswith(".safetensors") and Path(name).expanduser().is_file():
        return Path(name).expanduser()  # a rebuilt shipped file, before it is in the package
    return None


def _shipped_fingerprint(base: str, digest: str) -> str:
    """A shipped file's fingerprint: its base at the installed package version, plus the file's digest."""
    version = OFFLINE_MODELS[base].version if base in OFFLINE_MODELS else "?"
    return f"{base}@{version}+{digest}"


def model_fingerprint(name: str) -> str | None:
    """What identifies the weights ``name`` loads, without loading them: the file's content for a
    shipped model (the same by alias or by path) with its base's package version, the package version
    for an offline model, sizes and times for a folder; None for a Hugging Face id. Caches, manifests
    and shard folders key on it, so an alias that moves to other weights never finds the old vectors."""
    from pie_embed.embedding.shipped import file_digest, read_card

    alias = ALIASES.get(name, name)
    shipped = shipped_file(name)
    if shipped is not None:
        if not shipped.is_file():
            raise ModelNotFoundError(f"{shipped}: shipped model file not found (reinstall pie-embed)")
        return _shipped_fingerprint(str(read_card(shipped).get("base", "")), file_digest(shipped))
    if alias in OFFLINE_MODELS:
        return f"{alias}@{OFFLINE_MODELS[alias].version}"
    if Path(name).expanduser().is_dir():
        return _directory_fingerprint(Path(name).expanduser())
    return None


def detect_family(config: Any) -> str:
    """``decoder`` for causal (decoder-only) language models, ``encoder`` otherwise."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    if getattr(config, "is_encoder_decoder", False):
        raise ConfigError(f"encoder-decoder models ({config.model_type}) are not supported")
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return "decoder"
    model_type = getattr(config, "model_type", "")
    causal_only = model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    if causal_only and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return "decoder"
    return "encoder"


def _sentence_transformers_settings(path: Path) -> tuple[str | None, int | None]:
    """Pooling and max length declared by a sentence-transformers folder, if it is one."""
    pooling = None
    pooling_config = path / "1_Pooling" / "config.json"
    if pooling_config.is_file():
        modes = json.loads(pooling_config.read_text())
        for key, name in (
            ("pooling_mode_cls_token", "cls"),
            ("pooling_mode_mean_tokens", "mean"),
            ("pooling_mode_lasttoken", "last"),
        ):
            if modes.get(key):
                pooling = name
                break
    max_length = None
    st_config = path / "sentence_bert_config.json"
    if st_config.is_file():
        max_length = json.loads(st_config.read_text()).get("max_seq_length")
    return pooling, max_length


def _pie_settings(path: Path) -> dict[str, Any]:
    """Prompt and pooling recorded by ``pie train`` in ``pie_embed.json``."""
    settings = path / "pie_embed.json"
    return json.loads(settings.read_text()) if settings.is_file() else {}


def _directory_fingerprint(path: Path) -> str:
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(path.glob("*")):
        if file.is_file() and file.suffix in {".json", ".safetensors", ".gguf", ".txt", ".model"}:
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _load_transformers(
    source: str, family: str | None, trust_remote_code: bool, local_only: bool
) -> tuple[Any, Any, str]:
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code, "local_files_only": local_only}
    config = AutoConfig.from_pretrained(source, **kwargs)
    family = family or detect_family(config)
    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModel.from_pretrained(source, use_safetensors=True, dtype="float32", **kwargs)
    return tokenizer, model, family


def load_model(
    name: str = "default",
    *,
    cache_dir: Path | None = None,
    trust_remote_code: bool = False,
    device: str = "cpu",
) -> LoadedModel:
    """Load ``name``: an alias (see :func:`known_aliases`), a local directory or a Hugging Face id."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars drown the CLI's own output
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    alias = ALIASES.get(name, name)
    settings: dict[str, Any] = {}
    st_pooling, st_max_length = None, None
    shipped = shipped_file(name)
    if shipped is not None:
        delta, card, digest = read_shipped(shipped)
        base = str(card.get("base", ""))
        if base not in OFFLINE_MODELS:
            raise ModelNotFoundError(f"{shipped}: its card names base model {base!r}, not an offline alias")
        local = OFFLINE_MODELS[base].locate(cache / "models")
        tokenizer, model, family = _load_transformers(str(local.path), local.family, False, True)
        st_pooling, st_max_length = _sentence_transformers_settings(local.path)
        apply_delta(model, delta)
        settings = dict(card.get("settings", {}))
        fingerprint = _shipped_fingerprint(base, digest)  # read_shipped has hashed the file already
    elif alias in OFFLINE_MODELS:
        local: LocalModel = OFFLINE_MODELS[alias].locate(cache / "models")
        fingerprint = f"{alias}@{local.version}"
        if local.gguf_file:
            tokenizer, model = load_gguf_base_model(local, cache / "models")
            family = local.family
        else:
            tokenizer, model, family = _load_transformers(str(local.path), local.family, False, True)
            st_pooling, st_max_length = _sentence_transformers_settings(local.path)
    elif Path(name).expanduser().is_dir():
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"model directory {path} has no config.json")
        tokenizer, model, family = _load_transformers(str(path), None, trust_remote_code, True)
        st_pooling, st_max_length = _sentence_transformers_settings(path)
        settings = _pie_settings(path)
        fingerprint = _directory_fingerprint(path)
    else:
        tokenizer, model, family = _load_from_hub(name, trust_remote_code)
        fingerprint = f"{name}@{getattr(model.config, '_commit_hash', None) or 'unknown'}"

    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"model {name!r} has no fast tokenizer (needed for token offsets)")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"

    default_pooling = settings.get("pooling") or st_pooling or ("last-2" if family == "decoder" else "cls")
    limit = DECODER_MAX_LENGTH if family == "decoder" else ENCODER_MAX_LENGTH
    positions = getattr(model.config, "max_position_embeddings", None) or limit
    model_max = getattr(tokenizer, "model_max_length", limit) or limit
    max_length = int(settings.get("max_length") or st_max_length or min(limit, positions, model_max))
    # pie-embed enforces max_length itself (shortening the instruction, not the prompt); this silences
    # the tokenizer's warning about untruncated sequences longer than the model's limit.
    tokenizer.model_max_length = 10**9
    model.eval()
    model.to(device)
    display_name = alias if alias in (*SHIPPED_MODELS, *OFFLINE_MODELS) else name
    default_prompt = str(settings.get("prompt") or "none")
    return LoadedModel(
        display_name, tokenizer, model, family, default_pooling, max_length, fingerprint, default_prompt
    )


def _load_from_hub(name: str, trust_remote_code: bool) -> tuple[Any, Any, str]:
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    try:
        return _load_transformers(name, None, trust_remote_code, local_only=True)
    except (OSError, ValueError) as local_error:
        error: Exception = local_error
    if not offline:
        try:
            return _load_transformers(name, None, trust_remote_code, local_only=False)
        except (OSError, ValueError) as hub_error:
            error = hub_error
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    raise ModelNotFoundError(
        f"unknown model {name!r}: not an alias ({', '.join(known_aliases())}), a local directory, "
        f"or a Hugging Face id that loads ({reason})"
    )
