"""``train_model``: PIE contrastive fine-tuning of an encoder on task labels, with sentence-transformers'
trainer (checkpoints, resume, bf16 autocast, best checkpoint by validation ARI)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pie_embed.data.atomic import write_json
from pie_embed.embedding.precision import bf16_supported
from pie_embed.errors import ConfigError, DataError
from pie_embed.extras import import_extra

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingBase",
    "bf16_supported",
    "load_sentence_transformer",
    "train_model",
]

Mode = Literal["supervised", "unsupervised"]


@dataclass
class TrainConfig:
    """Everything that decides what a training run produces (recorded in the saved model)."""

    base_model: str = "all-minilm-l6-v2"  # the base of the shipped models (the default is already tuned)
    prompt: str = "none"
    pooling: str = "mean"
    mode: Mode = "supervised"
    hard_negatives: bool = True
    # a third column of one negative per example (a hard one with hard_negatives, else one of a random
    # other task); False: (anchor, positive) pairs, the batch's other positives are the negatives, a
    # third less text per step
    negative_column: bool = True
    mask_same_task: bool = True
    # label phrases ("create poem", "generate poem") at least this close under the base model count as one
    # task for masking and hard negatives (0.8 is a good value); None: only identical labels
    similar_task_threshold: float | None = None
    # label sources (``source:task`` labels) whose tasks are never each other's negatives
    positives_only_sources: tuple[str, ...] = ()
    # one source per batch (``source:task`` labels): in-batch negatives never come from another source,
    # so the loss cannot be lowered by telling sources (their writing styles) apart
    batches_by_source: bool = False
    epochs: float = 1.0
    max_examples: int | None = None
    batch_size: int = 64
    learning_rate: float = 2e-5
    temperature: float = 0.05
    warmup_ratio: float = 0.1
    max_length: int = 128  # tokens per text in training (a speed choice; IEB instructions are short)
    # tokens per text when the saved model embeds; None: the base model's own limit. Cutting long inputs
    # to the training length costs the generalization sets dearly (T0 ARI 0.410 at 256, 0.328 at 64).
    inference_max_length: int | None = None
    validation_share: float = 0.1
    eval_steps: int = 100
    seed: int = 0
    bf16: bool | None = None  # None: on when the CPU has native bf16 (AMX / AVX512-BF16)
    # weight of BaseAnchorLoss on the anchor texts given to train_model (0: no anchoring)
    anchor_weight: float = 0.0
    # tokens per anchor text (None: max_length); anchor batches are long corpus texts, so cutting them
    # shorter than the task batches saves time where the anchoring needs no long context
    anchor_max_length: int | None = None
    lora: bool | None = None  # None: LoRA adapters for decoders, full fine-tuning for encoders
    lora_rank: int = 16
    lora_alpha: int = 32


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


def _base_path(name: str) -> tuple[str, str]:
    """A local folder for an alias (offline package; GGUF decoders via their dequantized copy), or the
    name itself (folder or HF id), and the model's family (encoder or decoder)."""
    from transformers import AutoConfig

    from pie_embed.embedding.models import ALIASES, detect_family
    from pie_embed.embedding.offline import OFFLINE_MODELS, dequantized_cache_dir, load_gguf_base_model
    from pie_embed.paths import cache_dir

    alias = ALIASES.get(name, name)
    if alias in OFFLINE_MODELS:
        local = OFFLINE_MODELS[alias].locate(cache_dir() / "models")
        if not local.gguf_file:
            return str(local.path), local.family
        target = dequantized_cache_dir(cache_dir() / "models", Path(local.gguf_file).stem, local.version)
        if not target.is_dir():
            load_gguf_base_model(local, cache_dir() / "models")  # builds the safetensors copy once
        return str(target), local.family
    local_dir = Path(name).expanduser().is_dir()
    config = AutoConfig.from_pretrained(name, local_files_only=local_dir, trust_remote_code=False)
    return name, detect_family(config)


@dataclass
class TrainingBase:
    """The base model ready to train, its family, and the length it embeds with in pie-embed."""

    model: Any  # SentenceTransformer, set to the training max_length
    family: str  # "encoder" | "decoder"
    base_max_length: int


def load_sentence_transformer(name: str, pooling: str, max_length: int) -> TrainingBase:
    """The base model as a SentenceTransformer (safetensors only, no remote code) cut at ``max_length``,
    with ``pooling``: sentence-transformers' ``Pooling`` for encoders (mean, cls), :class:`PiePooling`
    for decoders."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from pie_embed.embedding.models import (
        DECODER_MAX_LENGTH,
        ENCODER_MAX_LENGTH,
        _sentence_transformers_settings,
    )
    from pie_embed.training.pooling_module import PiePooling

    path, family = _base_path(name)
    encoder_modes = {"mean": "mean", "cls": "cls"}
    if family == "encoder" and pooling not in encoder_modes:
        raise ConfigError(f"pie train supports pooling mean or cls for encoders, got {pooling!r}")
    local = Path(path).is_dir()
    hub = {"local_files_only": local, "trust_remote_code": False}
    config_kwargs: dict[str, Any] = dict(hub)
    if family == "decoder":
        config_kwargs["output_hidden_states"] = True
    transformer = Transformer(
        path,
        model_kwargs={"use_safetensors": True, **hub},
        processor_kwargs=hub,
        config_kwargs=config_kwargs,
    )
    # the length the base model embeds with in pie-embed: its sentence-transformers setting (256 for
    # all-MiniLM-L6-v2), else what the weights allow, capped like InstructionEmbedder caps it
    limit = DECODER_MAX_LENGTH if family == "decoder" else ENCODER_MAX_LENGTH
    declared = _sentence_transformers_settings(Path(path))[1] if local else None
    base_max_length = min(declared or transformer.max_seq_length or limit, limit)
    transformer.max_seq_length = max_length
    dimension = transformer.get_embedding_dimension()
    if family == "decoder":
        tokenizer = transformer.tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        pool: Any = PiePooling(pooling, family, dimension)
    else:
        pool = Pooling(dimension, pooling_mode=encoder_modes[pooling])
    model = SentenceTransformer(modules=[transformer, pool], device="cpu")
    return TrainingBase(model, family, base_max_length)


def _add_lora(model: Any, config: TrainConfig) -> None:
    """LoRA adapters on every linear layer of the transformer (sentence-transformers' peft support, which
    also saves and reloads them in checkpoints, so the best checkpoint is restored at the end); only the
    adapters train."""
    lora = import_extra("peft", "train").LoraConfig(
        r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=0.05, target_modules="all-linear"
    )
    model.add_adapter(lora)


def _merge_lora(model: Any) -> None:
    """Fold LoRA adapters into the weights, leaving a plain model that loads without peft.

    The adapters live inside the transformers model (``add_adapter``), not in a ``PeftModel``, so peft's
    ``merge_and_unload`` does not apply: each adapted layer is merged with peft's own ``merge()`` and
    replaced by its ``get_base_layer()``. (Wrapping the model with ``get_peft_model`` would allow
    ``merge_and_unload``, but sentence-transformers then cannot reload its own best checkpoint.)"""
    weights = model[0].model
    if not getattr(weights, "_hf_peft_config_loaded", False):
        return
    from peft.tuners.tuners_utils import BaseTunerLayer

    for name, module in list(weights.named_modules()):
        if isinstance(module, BaseTunerLayer):
            module.merge()
            parent, _, child = name.rpartition(".")
            setattr(weights.get_submodule(parent) if parent else weights, child, module.get_base_layer())
    weights._hf_peft_config_loaded = False
    if hasattr(weights, "peft_config"):
        del weights.peft_config


def _save_decoder(model: Any, output: Path) -> None:
    """Save a plain transformers folder (safetensors), which ``InstructionEmbedder`` loads with the
    recorded prompt and pooling."""
    transformer = model[0]
    weights = transformer.model
    weights.config.output_hidden_states = False
    output.mkdir(parents=True, exist_ok=True)
    weights.save_pretrained(str(output), safe_serialization=True)
    transformer.tokenizer.save_pretrained(str(output))


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


def _cut_to_tokens(texts: list[str], tokenizer: Any, max_length: int) -> list[str]:
    """Each text cut after the last whole token that fits in ``max_length`` with the special tokens (the
    original characters kept, so the base model's target and the trained model read the same text)."""
    budget = max(1, max_length - tokenizer.num_special_tokens_to_add())
    encoded = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    return [
        text if len(offsets) <= budget else text[: offsets[budget - 1][1]]
        for text, offsets in zip(texts, encoded["offset_mapping"], strict=True)
    ]


def _save_settings(
    output: Path, config: TrainConfig, prompt: Any, max_length: int, extra: dict[str, Any]
) -> None:
    settings = {
        "prompt": prompt.name if prompt.name != prompt.template else prompt.template,
        "pooling": config.pooling,
        "max_length": max_length,
        "training_config": asdict(config),
        "training_run": extra,
    }
    write_json(output / "pie_embed.json", settings)


def _split_by_source(columns: dict[str, list], task_names: list[str]) -> dict[str, Any]:
    """The examples as one dataset per label source (``source:task``; no prefix: ``task``)."""
    from datasets import Dataset

    def source(task_id: int) -> str:
        name = task_names[task_id]
        return "task:" + name.split(":", 1)[0] if ":" in name else "task"

    rows: dict[str, list[int]] = {}
    for index, (task_id, _) in enumerate(columns["labels"]):
        rows.setdefault(source(task_id), []).append(index)
    return {
        name: Dataset.from_dict({key: [values[i] for i in indexes] for key, values in columns.items()})
        for name, indexes in sorted(rows.items())
    }


def _supervised_task(
    model: Any, formatted: list[str], labels: Sequence[str], config: TrainConfig
) -> tuple[Any, Any, Any, list[str]]:
    """(examples, loss, validation evaluator or None, training labels) for training on task labels."""
    import torch

    from pie_embed.training.evaluator import TaskClusteringEvaluator
    from pie_embed.training.examples import split_validation, task_triplets
    from pie_embed.training.losses import TaskContrastiveLoss
    from pie_embed.training.similar_tasks import same_source_matrix, similar_task_matrix

    train_idx, valid_idx = split_validation(formatted, labels, config.validation_share, config.seed)
    train_labels = [labels[i] for i in train_idx]
    tasks = sorted(set(train_labels))
    similar = None
    if config.similar_task_threshold is not None:
        similar = similar_task_matrix(tasks, model, config.similar_task_threshold)
    if config.positives_only_sources:
        within = same_source_matrix(tasks, config.positives_only_sources)
        similar = within if similar is None else similar | within
    examples = task_triplets(
        [formatted[i] for i in train_idx],
        train_labels,
        hard_negatives=config.hard_negatives,
        with_negative=config.negative_column,
        similar=similar,
        seed=config.seed,
    )
    loss = TaskContrastiveLoss(
        model,
        scale=1 / config.temperature,
        mask_same_task=config.mask_same_task,
        similar_tasks=None if similar is None or not config.mask_same_task else torch.from_numpy(similar),
    )
    evaluator = None
    if valid_idx:
        evaluator = TaskClusteringEvaluator([formatted[i] for i in valid_idx], [labels[i] for i in valid_idx])
    return examples, loss, evaluator, train_labels


def _task_dataset(
    examples: Any, loss: Any, train_labels: list[str], config: TrainConfig
) -> tuple[Any, Any, int]:
    """(dataset, loss, examples) for the trainer: one dataset, or one per label source with
    ``batches_by_source`` (the same loss on each)."""
    Dataset = import_extra("datasets", "train").Dataset  # noqa: N806 - the class itself

    columns = examples.columns()
    if config.max_examples is not None:
        columns = {name: values[: config.max_examples] for name, values in columns.items()}
    count = len(columns["anchor"])
    if count == 0:
        raise DataError("no training examples: every task has a single instruction")
    if config.batches_by_source and "labels" in columns:
        by_source = _split_by_source(columns, sorted(set(train_labels)))
        return by_source, {name: loss for name in by_source}, count
    return Dataset.from_dict(columns), loss, count


def _with_anchors(
    model: Any, dataset: Any, loss: Any, anchors: list[str], config: TrainConfig
) -> tuple[Any, Any]:
    """The task data plus a dataset of ``anchors`` whose :class:`BaseAnchorLoss` keeps them where the
    base model embeds them (their targets are computed now, before training)."""
    import torch
    from datasets import Dataset

    from pie_embed.training.losses import BaseAnchorLoss

    with torch.no_grad():
        targets = model.encode(anchors, batch_size=64, convert_to_numpy=True)
    anchor_data = Dataset.from_dict({"text": anchors, "label": targets.tolist()})
    tasks = dataset if isinstance(dataset, dict) else {"task": dataset}
    task_losses = loss if isinstance(loss, dict) else {"task": loss}
    return {**tasks, "anchor": anchor_data}, {
        **task_losses,
        "anchor": BaseAnchorLoss(model, weight=config.anchor_weight),
    }


def _training_arguments(
    config: TrainConfig, output: Path, evaluate: bool, bf16: bool, show_progress: bool
) -> Any:
    """sentence-transformers' training arguments: checkpoints every ``eval_steps``, the best one by
    validation ARI kept at the end."""
    import torch
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    return SentenceTransformerTrainingArguments(
        output_dir=str(output / "checkpoints"),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # transformers 5: a float below 1 is a share of the steps
        seed=config.seed,
        data_seed=config.seed,
        bf16=bf16,
        use_cpu=not torch.cuda.is_available(),
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=evaluate,
        metric_for_best_model="eval_validation_ari" if evaluate else None,
        greater_is_better=True,
        logging_steps=10,
        report_to="none",
        disable_tqdm=not show_progress,
        dataloader_num_workers=0,
    )


def train_model(
    texts: list[str],
    labels: list[str] | None,
    output: str | Path,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    show_progress: bool = True,
    anchor_texts: list[str] | None = None,
) -> TrainResult:
    """Fine-tune ``config.base_model`` on instructions and their task labels and save it to ``output``.

    Supervised mode needs ``labels``; a share of the tasks (``validation_share``) is held back to pick the
    best checkpoint by k-means ARI. Unsupervised mode (SimCSE) ignores labels. With ``anchor_texts`` and
    ``config.anchor_weight`` > 0, batches of those texts (other-source data, never test sets) are mixed in
    with :class:`BaseAnchorLoss`, which keeps their embeddings where the base model put them.
    """
    import torch
    from sentence_transformers import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers.trainer_utils import get_last_checkpoint

    from pie_embed.embedding.prompts import get_prompt
    from pie_embed.training.examples import unsupervised_pairs

    config = config or TrainConfig()
    output = Path(output)
    if config.mode == "supervised" and labels is None:
        raise DataError("supervised training needs task labels (or use mode 'unsupervised')")
    use_bf16 = bf16_supported() if config.bf16 is None else config.bf16
    torch.manual_seed(config.seed)
    base = load_sentence_transformer(config.base_model, config.pooling, config.max_length)
    model, decoder = base.model, base.family == "decoder"
    if config.lora if config.lora is not None else decoder:
        _add_lora(model, config)
    prompt = get_prompt(config.prompt)
    tokenizer = model.tokenizer
    formatted = _fit_to_prompt(list(texts), prompt, tokenizer, config.max_length)

    evaluator, train_labels = None, []
    if config.mode == "supervised":
        assert labels is not None
        examples, loss, evaluator, train_labels = _supervised_task(model, formatted, labels, config)
    else:
        examples = unsupervised_pairs(formatted, seed=config.seed)
        loss = MultipleNegativesRankingLoss(model, scale=1 / config.temperature)
    dataset, loss, count = _task_dataset(examples, loss, train_labels, config)
    anchors = list(dict.fromkeys(anchor_texts or [])) if config.anchor_weight > 0 else []
    if anchors:
        length = config.anchor_max_length or config.max_length
        if config.anchor_max_length is not None:
            anchors = _cut_to_tokens(anchors, tokenizer, length)
        fitted = _fit_to_prompt(anchors, prompt, tokenizer, length)
        dataset, loss = _with_anchors(model, dataset, loss, fitted, config)
    args = _training_arguments(config, output, evaluator is not None, use_bf16, show_progress)
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=dataset, loss=loss, evaluator=evaluator
    )
    started = time.perf_counter()
    checkpoints = output / "checkpoints"
    latest = get_last_checkpoint(str(checkpoints)) if resume and checkpoints.is_dir() else None
    state = trainer.train(resume_from_checkpoint=latest)
    seconds = time.perf_counter() - started
    history = [
        entry for entry in trainer.state.log_history if "loss" in entry or "eval_validation_ari" in entry
    ]
    best = trainer.state.best_metric
    inference_length = config.inference_max_length or base.base_max_length
    model[0].max_seq_length = inference_length
    _merge_lora(model)
    if decoder:
        _save_decoder(model, output)
    else:
        model.save(str(output))
    share = examples.hard_negative_share
    run = {"examples": count, "anchor_texts": len(anchors), "hard_negative_share": share}
    run |= {"best_validation_ari": best, "seconds": round(seconds, 1), "bf16": use_bf16}
    _save_settings(output, config, prompt, inference_length, run)
    return TrainResult(
        output=output,
        examples=count,
        steps=state.global_step,
        seconds=seconds,
        bf16=use_bf16,
        best_validation_ari=best,
        hard_negative_share=examples.hard_negative_share,
        history=history,
        resumed_from=int(latest.rsplit("-", 1)[1]) if latest else None,
    )
