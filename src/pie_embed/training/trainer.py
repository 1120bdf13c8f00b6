"""``train_model``: PIE contrastive fine-tuning of an encoder on task labels, with sentence-transformers'
trainer (checkpoints, resume, bf16 autocast, best checkpoint by validation ARI)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pie_embed.errors import ConfigError, DataError, MissingExtraError

__all__ = ["TrainConfig", "TrainResult", "bf16_supported", "train_model"]

Mode = Literal["supervised", "unsupervised"]


@dataclass
class TrainConfig:
    """Everything that decides what a training run produces (recorded in the saved model)."""

    base_model: str = "default"
    prompt: str = "none"
    pooling: str = "mean"
    mode: Mode = "supervised"
    hard_negatives: bool = True
    mask_same_task: bool = True
    epochs: float = 1.0
    max_examples: int | None = None
    batch_size: int = 64
    learning_rate: float = 2e-5
    temperature: float = 0.05
    warmup_ratio: float = 0.1
    max_length: int = 128
    validation_share: float = 0.1
    eval_steps: int = 100
    seed: int = 0
    bf16: bool | None = None  # None: on when the CPU has native bf16 (AMX / AVX512-BF16)


@dataclass
class TrainResult:
    """Where the model went and what the run measured."""

    output: Path
    examples: int
    steps: int
    seconds: float
    bf16: bool
    best_validation_ari: float | None
    hard_negative_share: float
    history: list[dict[str, Any]] = field(default_factory=list)
    resumed_from: int | None = None  # global step of the checkpoint a resumed run started from


def bf16_supported() -> bool:
    """Whether this CPU multiplies bf16 natively (AMX tiles or AVX512-BF16); without it bf16 is slower."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return bool((amx and amx()) or (avx512_bf16 and avx512_bf16()))


def _base_path(name: str) -> str:
    """A local folder for an alias (offline package), or the name itself (folder or HF id)."""
    from pie_embed.embedding.models import ALIASES
    from pie_embed.embedding.offline import OFFLINE_MODELS
    from pie_embed.paths import cache_dir

    alias = ALIASES.get(name, name)
    if alias in OFFLINE_MODELS:
        local = OFFLINE_MODELS[alias].locate(cache_dir() / "models")
        if local.gguf_file:
            raise ConfigError(f"{alias} is a decoder (GGUF); pie train fine-tunes encoders")
        return str(local.path)
    return name


def load_sentence_transformer(name: str, pooling: str, max_length: int) -> Any:
    """The base model as a SentenceTransformer (safetensors only, no remote code), with ``pooling``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    modes = {"mean": "mean", "cls": "cls"}
    if pooling not in modes:
        raise ConfigError(f"pie train supports pooling {' or '.join(modes)} for encoders, got {pooling!r}")
    path = _base_path(name)
    local = Path(path).is_dir()
    hub = {"local_files_only": local, "trust_remote_code": False}
    transformer = Transformer(
        path,
        max_seq_length=max_length,
        model_kwargs={"use_safetensors": True, **hub},
        processor_kwargs=hub,
        config_kwargs=hub,
    )
    pool = Pooling(transformer.get_embedding_dimension(), pooling_mode=modes[pooling])
    return SentenceTransformer(modules=[transformer, pool], device="cpu")


def _fit_to_prompt(texts: list[str], prompt: Any, tokenizer: Any, max_length: int) -> list[str]:
    """Texts inside the prompt, each instruction shortened so that the prompt is never cut off."""
    if prompt.name == "none":
        return texts
    prefix, suffix = prompt.split(tokenizer.mask_token if prompt.uses_mask else None)
    budget = max(8, max_length - len(tokenizer(prefix + suffix, add_special_tokens=True)["input_ids"]))
    out = []
    for text in texts:
        instruction = prompt.prepare(text)
        ids = tokenizer(instruction, add_special_tokens=False)["input_ids"]
        if len(ids) > budget:
            instruction = tokenizer.decode(ids[:budget])
        out.append(prefix + instruction + suffix)
    return out


def _save_settings(output: Path, config: TrainConfig, prompt: Any, extra: dict[str, Any]) -> None:
    settings = {
        "prompt": prompt.name if prompt.name != prompt.template else prompt.template,
        "pooling": config.pooling,
        "max_length": config.max_length,
        "training_config": asdict(config),
        "training_run": extra,
    }
    (output / "pie_embed.json").write_text(json.dumps(settings, indent=2) + "\n")


def train_model(
    texts: list[str],
    labels: list[str] | None,
    output: str | Path,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    show_progress: bool = True,
) -> TrainResult:
    """Fine-tune ``config.base_model`` on instructions and their task labels and save it to ``output``.

    Supervised mode needs ``labels``; a share of the tasks (``validation_share``) is held back to pick the
    best checkpoint by k-means ARI. Unsupervised mode (SimCSE) ignores labels.
    """
    import torch
    from sentence_transformers import SentenceTransformerTrainer
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    from pie_embed.embedding.prompts import get_prompt
    from pie_embed.training.evaluator import TaskClusteringEvaluator
    from pie_embed.training.examples import split_validation, task_triplets, unsupervised_pairs
    from pie_embed.training.losses import TaskContrastiveLoss

    try:
        from datasets import Dataset
    except ImportError:
        raise MissingExtraError("datasets", "train") from None

    config = config or TrainConfig()
    output = Path(output)
    if config.mode == "supervised" and labels is None:
        raise DataError("supervised training needs task labels (or use mode 'unsupervised')")
    use_bf16 = bf16_supported() if config.bf16 is None else config.bf16
    torch.manual_seed(config.seed)
    model = load_sentence_transformer(config.base_model, config.pooling, config.max_length)
    prompt = get_prompt(config.prompt)
    tokenizer = model.tokenizer
    formatted = _fit_to_prompt(list(texts), prompt, tokenizer, config.max_length)

    evaluator = None
    if config.mode == "supervised":
        assert labels is not None
        train_idx, valid_idx = split_validation(formatted, labels, config.validation_share, config.seed)
        examples = task_triplets(
            [formatted[i] for i in train_idx],
            [labels[i] for i in train_idx],
            hard_negatives=config.hard_negatives,
            seed=config.seed,
        )
        loss = TaskContrastiveLoss(model, scale=1 / config.temperature, mask_same_task=config.mask_same_task)
        if valid_idx:
            evaluator = TaskClusteringEvaluator(
                [formatted[i] for i in valid_idx], [labels[i] for i in valid_idx]
            )
    else:
        examples = unsupervised_pairs(formatted, seed=config.seed)
        loss = MultipleNegativesRankingLoss(model, scale=1 / config.temperature)
    columns = examples.columns()
    if config.max_examples is not None:
        columns = {name: values[: config.max_examples] for name, values in columns.items()}
    count = len(columns["anchor"])
    if count == 0:
        raise DataError("no training examples: every task has a single instruction")
    dataset = Dataset.from_dict(columns)

    args = SentenceTransformerTrainingArguments(
        output_dir=str(output / "checkpoints"),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # transformers 5: a float below 1 is a share of the steps
        seed=config.seed,
        data_seed=config.seed,
        bf16=use_bf16,
        use_cpu=not torch.cuda.is_available(),
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        eval_strategy="steps" if evaluator else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=evaluator is not None,
        metric_for_best_model="eval_validation_ari" if evaluator else None,
        greater_is_better=True,
        logging_steps=10,
        report_to="none",
        disable_tqdm=not show_progress,
        dataloader_num_workers=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=loss, evaluator=evaluator
    )
    started = time.perf_counter()
    checkpoints = (output / "checkpoints").glob("checkpoint-*") if resume else []
    latest = max(checkpoints, key=lambda p: int(p.name.rsplit("-", 1)[1]), default=None)
    state = trainer.train(resume_from_checkpoint=str(latest) if latest else None)
    seconds = time.perf_counter() - started
    history = [
        entry for entry in trainer.state.log_history if "loss" in entry or "eval_validation_ari" in entry
    ]
    best = trainer.state.best_metric
    model.save(str(output))
    extra = {
        "examples": count,
        "hard_negative_share": examples.hard_negative_share,
        "best_validation_ari": best,
        "seconds": round(seconds, 1),
        "bf16": use_bf16,
    }
    _save_settings(output, config, prompt, extra)
    return TrainResult(
        output=output,
        examples=count,
        steps=state.global_step,
        seconds=seconds,
        bf16=use_bf16,
        best_validation_ari=best,
        hard_negative_share=examples.hard_negative_share,
        history=history,
        resumed_from=int(latest.name.rsplit("-", 1)[1]) if latest else None,
    )
