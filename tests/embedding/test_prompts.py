import pytest

from pie_embed.embedding.prompts import PIE_TEMPLATE, PROMPTS, PromptTemplate, get_prompt
from pie_embed.errors import ConfigError


def test_presets_present():
    assert {"none", "pie", "pie-short", "prompteol", "pie-mask"} <= set(PROMPTS)


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("Outline the steps to make an apple pie", "Outline the steps to make an apple pie."),
        ("Outline the steps.", "Outline the steps."),
        ("What is 2+2?", "What is 2+2?"),
        ('Say "hi"', 'Say "hi"'),
        ("Say 'hi'", "Say 'hi'"),
        ("  Name three fruits  ", "Name three fruits."),
    ],
)
def test_pie_adds_final_period_only_when_missing(instruction, expected):
    text = get_prompt("pie").format(instruction)
    assert text == PIE_TEMPLATE.replace("{instruction}", expected)


def test_pie_short_and_none_keep_text():
    assert get_prompt("pie-short").format("Sort the list") == 'This sentence of "Sort the list" means:'
    assert get_prompt("none").format("Sort the list") == "Sort the list"


def test_custom_template_anywhere():
    prompt = get_prompt("Task: {instruction} -- in one word, the task is")
    assert prompt.format("Translate this") == "Task: Translate this -- in one word, the task is"
    assert prompt.split() == ("Task: ", " -- in one word, the task is")
    assert prompt.name == prompt.template  # custom templates are named by their text


def test_mask_placeholder_filled_with_tokenizer_mask():
    prompt = get_prompt("pie-mask")
    assert prompt.uses_mask
    assert "[MASK]" in prompt.format("Sort it", mask_token="[MASK]")
    with pytest.raises(ConfigError, match="mask token"):
        prompt.format("Sort it")


@pytest.mark.parametrize("bad", ["no placeholder here", "{instruction} and {instruction}"])
def test_invalid_templates_rejected(bad):
    with pytest.raises(ConfigError):
        get_prompt(bad) if "{" not in bad else PromptTemplate("x", bad)
