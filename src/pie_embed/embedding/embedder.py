"""InstructionEmbedder: instruction texts in, task-aware vectors out."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pie_embed.embedding.compile import COMPILE_MIN_TEXTS, compile_model, large_input
from pie_embed.embedding.config import DEFAULTS, EmbedderConfig
from pie_embed.embedding.memory import release_free_memory
from pie_embed.embedding.models import LoadedModel, load_model
from pie_embed.embedding.pooling import NEEDS_ALL_LAYERS, PoolingBatch, check_pooling, pool
from pie_embed.embedding.precision import quantize_int8, resolve_precision
from pie_embed.embedding.prompts import PromptTemplate, get_prompt
from pie_embed.embedding.protocol import EncoderBase
from pie_embed.embedding.stats import EncodeStats
from pie_embed.errors import ConfigError
from pie_embed.progress import progress_bar

logger = logging.getLogger(__name__)
PROGRESS_THRESHOLD = 1000
# Batches wider than this are padded to a multiple of PAD_MULTIPLE tokens, so that a long job meets a
# bounded set of tensor shapes: oneDNN keeps compiled kernels per shape, and every new shape cost
# memory that was never returned (1M rows peaked at 2.7 GB before). At most 11% more padding.
PAD_FREE_WIDTH = 64
PAD_MULTIPLE = 8
# Free C-heap pages go back to the OS every this many batches (see memory.release_free_memory).
RELEASE_EVERY_BATCHES = 32
# Part of every cache key: bump it whenever a code change alters the vectors for the same settings.
EMBEDDING_REVISION = "1"


@dataclass
class EncodedText:
    """One text tokenized inside its prompt, with the token positions of the instruction itself."""

    input_ids: list[int]
    instruction_mask: list[int]
    truncated: bool


class InstructionEmbedder(EncoderBase):
    """Embeds instructions with a transformer, an optional prompt template and a pooling strategy.

    >>> embedder = InstructionEmbedder()  # all-MiniLM-L6-v2, no prompt, its own (mean) pooling
    >>> vectors = embedder.encode(["Summarize the article.", "Translate this into French."])
    """

    def __init__(
        self,
        model: str | LoadedModel = DEFAULTS.model,
        prompt: str | PromptTemplate | None = DEFAULTS.prompt,
        pooling: str | None = DEFAULTS.pooling,
        normalize: bool = DEFAULTS.normalize,
        batch_size: int = DEFAULTS.batch_size,
        *,
        instruction_tokens_only: bool = DEFAULTS.instruction_tokens_only,
        max_length: int | None = DEFAULTS.max_length,
        device: str = DEFAULTS.device,
        precision: str | None = DEFAULTS.precision,
        torch_compile: bool | None = DEFAULTS.torch_compile,
        cache_dir: str | Path | None = DEFAULTS.cache_dir,
        trust_remote_code: bool = DEFAULTS.trust_remote_code,
    ) -> None:
        # the settings as given (a LoadedModel by its name, a template by its text), checked once
        self.config = EmbedderConfig(
            model=model.name if isinstance(model, LoadedModel) else model,
            prompt=prompt.template if isinstance(prompt, PromptTemplate) else prompt,
            pooling=pooling,
            normalize=normalize,
            batch_size=batch_size,
            instruction_tokens_only=instruction_tokens_only,
            max_length=max_length,
            device=device,
            precision=precision or "auto",
            torch_compile=torch_compile,
            cache_dir=None if cache_dir is None else str(cache_dir),
            trust_remote_code=trust_remote_code,
        )
        if isinstance(model, LoadedModel):
            self.loaded = model
        else:
            cache = Path(cache_dir) if cache_dir else None
            self.loaded = load_model(
                model, cache_dir=cache, trust_remote_code=trust_remote_code, device=device
            )
        # None: the prompt the model was trained with (recorded by pie train), else no prompt.
        self.prompt = get_prompt(prompt if prompt is not None else self.loaded.default_prompt)
        self.pooling = check_pooling(pooling or self.loaded.default_pooling)
        self.normalize = normalize
        self.batch_size = batch_size
        self.instruction_tokens_only = instruction_tokens_only
        self.max_length = max_length or self.loaded.max_length
        self.device = device
        # auto: bf16 where the hardware has it natively (AMX / AVX512-BF16), else fp32 (resolve_precision).
        # For bf16, a model this embedder loaded itself is cast once (2.1x fp32 here); a LoadedModel passed
        # in may be shared with fp32 users, so it runs under autocast instead (1.6x), which casts per call.
        self.precision = resolve_precision(precision, device)
        if self.precision == "bf16" and not isinstance(model, LoadedModel):
            self.loaded.model.to(torch.bfloat16)
        if self.precision == "int8":
            if device != "cpu":
                raise ConfigError(f"precision int8 runs on the CPU only, not on {device}")
            # a LoadedModel passed in may be shared with other embedders: quantise a copy of it
            model_copy = (
                copy.deepcopy(self.loaded.model) if isinstance(model, LoadedModel) else self.loaded.model
            )
            self.loaded = dataclasses.replace(self.loaded, model=quantize_int8(model_copy))
            torch_compile = False  # measured 4.4x fp32 without compiling; compiled int8 is untested
        # None: compile for calls of at least COMPILE_MIN_TEXTS distinct texts (a ~20 s one-off cost)
        self.torch_compile = torch_compile
        self._compiled: torch.nn.Module | None = None
        tokenizer = self.loaded.tokenizer
        self._prefix, self._suffix = self.prompt.split(
            tokenizer.mask_token if self.prompt.uses_mask else None
        )

    @classmethod
    def from_config(cls, config: EmbedderConfig) -> InstructionEmbedder:
        """The embedder ``config`` describes."""
        return cls(**config.to_dict())

    @property
    def model_name(self) -> str:
        return self.loaded.name

    @property
    def dimension(self) -> int:
        return int(self.loaded.model.config.hidden_size)

    @property
    def config_key(self) -> str:
        """A short hash of everything that changes the vectors (model weights, prompt, pooling, ...)."""
        parts = [
            EMBEDDING_REVISION,
            self.loaded.fingerprint,
            self.prompt.template,
            str(self.prompt.add_period),
            self.pooling,
            str(self.normalize),
            str(self.instruction_tokens_only),
            str(self.max_length),
        ]
        if self.precision != "fp32":  # fp32 keys stay as they were before precision existed
            parts.append(self.precision)
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]

    def describe(self) -> dict[str, object]:
        """Settings for manifests and result tables."""
        return {
            "model": self.loaded.name,
            "model_fingerprint": self.loaded.fingerprint,
            "family": self.loaded.family,
            "prompt": self.prompt.name,
            "prompt_template": self.prompt.template,
            "pooling": self.pooling,
            "normalize": self.normalize,
            "instruction_tokens_only": self.instruction_tokens_only,
            "max_length": self.max_length,
            "dimension": self.dimension,
            "precision": self.precision,
        }

    # -- tokenization -----------------------------------------------------------------------------

    def _tokenize(self, instructions: list[str]) -> list[EncodedText]:
        """Tokenize each instruction inside the template, shortening the instruction (never the
        template) until it fits ``max_length``."""
        encoded: list[EncodedText | None] = [None] * len(instructions)
        pending = list(range(len(instructions)))
        current = list(instructions)
        truncated = [False] * len(instructions)
        for _ in range(8):
            if not pending:
                break
            texts = [self._prefix + current[i] + self._suffix for i in pending]
            batch = self.loaded.tokenizer(
                texts, add_special_tokens=True, return_offsets_mapping=True, truncation=False
            )
            still_long = []
            for row, i in enumerate(pending):
                ids = batch["input_ids"][row]
                offsets = batch["offset_mapping"][row]
                start, end = len(self._prefix), len(self._prefix) + len(current[i])
                in_instruction = [int(e > s and s < end and e > start) for s, e in offsets]
                if len(ids) <= self.max_length:
                    encoded[i] = EncodedText(ids, in_instruction, truncated[i])
                    continue
                kept = sum(in_instruction) - (len(ids) - self.max_length)
                if kept < 1:
                    raise ConfigError(
                        f"prompt {self.prompt.name!r} alone is longer than max_length={self.max_length}"
                    )
                instruction_offsets = [o for o, flag in zip(offsets, in_instruction, strict=True) if flag]
                cut = instruction_offsets[kept - 1][1] - start
                current[i] = current[i][:cut]
                truncated[i] = True
                still_long.append(i)
            pending = still_long
        if pending:
            raise ConfigError(f"could not fit text {pending[0]} into max_length={self.max_length}")
        return [e for e in encoded if e is not None]

    def _padded_width(self, longest: int) -> int:
        if longest <= PAD_FREE_WIDTH:
            return longest
        return min(-(-longest // PAD_MULTIPLE) * PAD_MULTIPLE, self.max_length)  # _tokenize fits max_length

    def _collate(self, items: list[EncodedText]) -> dict[str, torch.Tensor]:
        width = self._padded_width(max(len(item.input_ids) for item in items))
        pad_id = self.loaded.tokenizer.pad_token_id
        input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(items), width), dtype=torch.long)
        instruction = torch.zeros((len(items), width), dtype=torch.long)
        for row, item in enumerate(items):
            n = len(item.input_ids)
            input_ids[row, :n] = torch.tensor(item.input_ids)
            attention[row, :n] = 1
            instruction[row, :n] = torch.tensor(item.instruction_mask)
        return {"input_ids": input_ids, "attention_mask": attention, "instruction_mask": instruction}

    # -- encoding ---------------------------------------------------------------------------------

    def expect_input(self, input_bytes: int) -> None:
        """Compile now for a large input file (``torch_compile`` left "auto"; see :mod:`.compile`)."""
        if self.torch_compile is None and large_input(input_bytes):
            self.use_compile()

    def use_compile(self) -> bool:
        """Compile the model now (if not done yet); False where torch.compile is unavailable."""
        if self._compiled is None and self.torch_compile is not False:
            self._compiled = compile_model(self.loaded.model)
            if self._compiled is None:
                self.torch_compile = False
        return self._compiled is not None

    def _run_model(self, **inputs: torch.Tensor | bool) -> Any:
        if self._compiled is not None:
            try:
                output = self._compiled(**inputs)
            except Exception as error:  # noqa: BLE001 - a failed compilation must not fail the job
                logger.warning("compiled model failed (%s); embedding without torch.compile", error)
                self._compiled, self.torch_compile = None, False
            else:
                # Inductor's code for a narrower vector ISA than the CPU's (ATEN_CPU_CAPABILITY=avx2 on an
                # AVX-512 CPU) gave NaN here; a finite check costs little and keeps the vectors right
                if bool(torch.isfinite(output.last_hidden_state).all()):
                    return output
                logger.warning("compiled model returned non-finite values; embedding without torch.compile")
                self._compiled, self.torch_compile = None, False
        return self.loaded.model(**inputs)

    @torch.inference_mode()
    def _forward(self, batch: dict[str, torch.Tensor], normalize: bool) -> torch.Tensor:
        input_ids = batch["input_ids"].to(self.device)
        attention = batch["attention_mask"].to(self.device)
        needs_layers = self.pooling in NEEDS_ALL_LAYERS
        device_type = torch.device(self.device).type
        autocast = self.precision == "bf16" and self.loaded.model.dtype != torch.bfloat16
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=autocast):
            output = self._run_model(
                input_ids=input_ids, attention_mask=attention, output_hidden_states=needs_layers
            )
        hidden = output.hidden_states if needs_layers else (output.last_hidden_state,)
        token_mask = batch["instruction_mask"] if self.instruction_tokens_only else batch["attention_mask"]
        pooled = pool(
            self.pooling,
            PoolingBatch(
                hidden_states=tuple(h.float() for h in hidden),
                attention_mask=attention,
                token_mask=token_mask.to(self.device),
                input_ids=input_ids,
                mask_token_id=self.loaded.tokenizer.mask_token_id,
            ),
            self.loaded.family,
        )
        return F.normalize(pooled, dim=-1) if normalize else pooled

    def _length_buckets(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """Positions grouped into batches of at most ``batch_size``, longest first, where no text is
        padded to more than twice its length. Mixed lengths (a server's batch of random requests) would
        otherwise pad most texts to the longest one: measured 1.8x faster on random 40-text IEB batches."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < batch_size and 2 * lengths[i] >= lengths[batches[-1][0]]:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches

    def _embed(
        self, texts: list[str], batch_size: int | None, show_progress: bool | None, normalize: bool
    ) -> tuple[np.ndarray, EncodeStats]:
        """The transformer's vectors: each text inside the prompt, length-bucketed batches, duplicates
        embedded once; the stats hold tokens per text and truncations."""
        size = batch_size or self.batch_size
        instructions = [self.prompt.prepare(text) for text in texts]
        # Duplicates are embedded once and copied back to every position they occur at.
        unique = list(dict.fromkeys(instructions))
        position = {text: i for i, text in enumerate(unique)}
        vectors = np.zeros((len(unique), self.dimension), dtype=np.float32)
        if self.torch_compile or (self.torch_compile is None and len(unique) >= COMPILE_MIN_TEXTS):
            self.use_compile()
        encoded = self._tokenize(unique) if unique else []
        batches = self._length_buckets([len(e.input_ids) for e in encoded], size)
        if show_progress is None:
            show_progress = len(encoded) >= PROGRESS_THRESHOLD and sys.stderr.isatty()
        with progress_bar(len(encoded), f"embedding with {self.loaded.name}", show_progress) as advance:
            for number, index in enumerate(batches, start=1):
                batch = self._collate([encoded[i] for i in index])
                vectors[index] = self._forward(batch, normalize).cpu().numpy()
                advance(len(index))
                if number % RELEASE_EVERY_BATCHES == 0:
                    release_free_memory()
        truncated = sum(e.truncated for e in encoded)
        if truncated:
            logger.warning(
                "%d of %d texts were truncated to %d tokens", truncated, len(encoded), self.max_length
            )
        tokens = [len(encoded[position[text]].input_ids) for text in instructions]
        stats = EncodeStats(len(instructions), len(unique), truncated, len(batches), 0.0, tokens)
        return vectors[[position[text] for text in instructions]], stats
