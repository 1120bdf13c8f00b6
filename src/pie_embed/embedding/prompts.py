"""Prompt templates that wrap an instruction before it is embedded.

A template holds ``{instruction}`` anywhere (not only as a prefix, which is all sentence-transformers'
prompts allow) and may hold ``{mask}``, replaced by the tokenizer's mask token for ``mask`` pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

from pie_embed.errors import ConfigError

PLACEHOLDER = "{instruction}"
MASK_PLACEHOLDER = "{mask}"
_SENTENCE_END = (".", "?", '"', "'")


@dataclass(frozen=True)
class PromptTemplate:
    """A named template; ``add_period`` applies the PIE rule of ending the instruction with a period."""

    name: str
    template: str
    add_period: bool = False

    def __post_init__(self) -> None:
        if self.template.count(PLACEHOLDER) != 1:
            raise ConfigError(
                f"prompt template must contain {PLACEHOLDER} exactly once, got {self.template!r}"
            )

    @property
    def uses_mask(self) -> bool:
        return MASK_PLACEHOLDER in self.template

    def prepare(self, instruction: str) -> str:
        """The instruction as it will appear inside the template (stripped, period rule applied)."""
        text = instruction.strip()
        if self.add_period and text and not text.endswith(_SENTENCE_END):
            text += "."
        return text

    def split(self, mask_token: str | None = None) -> tuple[str, str]:
        """The template's text before and after the instruction, with ``{mask}`` filled in."""
        prefix, suffix = self.template.split(PLACEHOLDER)
        if self.uses_mask:
            if mask_token is None:
                raise ConfigError(f"prompt {self.name!r} needs a mask token but the tokenizer has none")
            prefix = prefix.replace(MASK_PLACEHOLDER, mask_token)
            suffix = suffix.replace(MASK_PLACEHOLDER, mask_token)
        return prefix, suffix

    def format(self, instruction: str, mask_token: str | None = None) -> str:
        prefix, suffix = self.split(mask_token)
        return prefix + self.prepare(instruction) + suffix


PIE_TEMPLATE = (
    "The essence of an instruction is its task intention. With this in mind, given the instruction below:"
    "\n\n{instruction}\n\nafter thinking step by step, the task of the given instruction is:"
)

PROMPTS: dict[str, PromptTemplate] = {
    "none": PromptTemplate("none", PLACEHOLDER),
    # The paper's template, with the reference code's rule of adding a final period.
    "pie": PromptTemplate("pie", PIE_TEMPLATE, add_period=True),
    "pie-short": PromptTemplate("pie-short", 'This sentence of "{instruction}" means:'),
    # PromptEOL (Jiang et al., 2023): compress the sentence into one word, read at the last token.
    "prompteol": PromptTemplate("prompteol", 'This sentence : "{instruction}" means in one word:"'),
    # PromptBERT-style encoder template, read at the mask token with `mask` pooling.
    "pie-mask": PromptTemplate("pie-mask", 'The task of the instruction "{instruction}" is {mask} .'),
}


def get_prompt(prompt: str | PromptTemplate) -> PromptTemplate:
    """A preset by name, or a custom template (any string containing ``{instruction}``)."""
    if isinstance(prompt, PromptTemplate):
        return prompt
    if prompt in PROMPTS:
        return PROMPTS[prompt]
    if PLACEHOLDER in prompt:
        # A custom template is named by its own text, so caches and manifests tell templates apart.
        return PromptTemplate(prompt, prompt)
    raise ConfigError(
        f"unknown prompt {prompt!r}: use one of {', '.join(PROMPTS)} or a template containing {PLACEHOLDER}"
    )
