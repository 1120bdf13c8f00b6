import json

import numpy as np
import pytest

from pie_embed import InstructionEmbedder
from pie_embed.embedding.pooling import POOLINGS
from pie_embed.errors import ConfigError, DataError, ModelNotFoundError

TEXTS = [
    "Outline the steps to make an apple pie.",
    "Translate the sentence into French.",
    "Find the title of the article from the given abstract about the economic implications of the bill.",
    "Sort.",
]
ENCODER_POOLINGS = [p for p in POOLINGS if p != "mask"]


@pytest.fixture(params=["encoder", "decoder"])
def tiny(request, tiny_encoder, tiny_decoder):
    return tiny_encoder if request.param == "encoder" else tiny_decoder


def test_shape_dtype_order_and_normalization(tiny):
    embedder = InstructionEmbedder(tiny, batch_size=2)
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reversed_vectors = embedder.encode(TEXTS[::-1])
    np.testing.assert_allclose(reversed_vectors[::-1], vectors, atol=1e-5)
    assert embedder.encode([]).shape == (0, 32)


def test_deterministic(tiny):
    embedder = InstructionEmbedder(tiny, prompt="pie")
    np.testing.assert_array_equal(embedder.encode(TEXTS), embedder.encode(TEXTS))


@pytest.mark.parametrize("pooling", ENCODER_POOLINGS)
@pytest.mark.parametrize("prompt", ["none", "pie"])
def test_padding_never_leaks(tiny, pooling, prompt):
    """A text gives the same vector alone as in a batch padded for a much longer text."""
    embedder = InstructionEmbedder(tiny, prompt=prompt, pooling=pooling, normalize=False, batch_size=8)
    batched = embedder.encode(TEXTS)
    for i, text in enumerate(TEXTS):
        np.testing.assert_allclose(embedder.encode([text])[0], batched[i], atol=2e-5, rtol=1e-4)


def test_mask_pooling_padding_invariant(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder, prompt="pie-mask", pooling="mask", batch_size=8)
    batched = embedder.encode(TEXTS)
    np.testing.assert_allclose(embedder.encode([TEXTS[3]])[0], batched[3], atol=2e-5)


def test_instruction_tokens_are_located_inside_the_prompt(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder, prompt="pie", instruction_tokens_only=True)
    (encoded,) = embedder._tokenize([embedder.prompt.prepare("Name three primary colors")])
    ids = [t for t, m in zip(encoded.input_ids, encoded.instruction_mask, strict=True) if m]
    assert tiny_encoder.tokenizer.decode(ids) == "name three primary colors."


def test_instruction_only_mean_averages_exactly_the_instruction_tokens(tiny_encoder):
    import torch

    embedder = InstructionEmbedder(
        tiny_encoder, prompt="pie-short", pooling="mean", instruction_tokens_only=True, normalize=False
    )
    text = "Name three primary colors"
    ids = tiny_encoder.tokenizer('This sentence of "' + text + '" means:', return_tensors="pt")
    with torch.inference_mode():
        hidden = tiny_encoder.model(**ids).last_hidden_state[0]
    words = tiny_encoder.tokenizer.convert_ids_to_tokens(ids["input_ids"][0])
    start = words.index("name")
    expected = hidden[start : start + 4].mean(0).numpy()  # name three primary colors
    np.testing.assert_allclose(embedder.encode([text])[0], expected, atol=1e-5)
    whole = InstructionEmbedder(tiny_encoder, prompt="pie-short", pooling="mean", normalize=False)
    assert not np.allclose(whole.encode([text])[0], expected, atol=1e-3)


def test_truncation_keeps_the_template_and_is_reported(tiny_decoder):
    embedder = InstructionEmbedder(tiny_decoder, prompt="pie-short", max_length=16)
    long_text = "Summarize " + "the very long article about many things " * 20
    (encoded,) = embedder._tokenize([long_text])
    assert len(encoded.input_ids) <= 16 and encoded.truncated
    suffix_ids = tiny_decoder.tokenizer('" means:', add_special_tokens=False)["input_ids"]
    assert encoded.input_ids[-1 - len(suffix_ids) : -1] == suffix_ids  # template end survives, before [SEP]
    vectors, stats = embedder.encode_with_stats([long_text, "Sort the list."])
    assert vectors.shape == (2, 32)
    assert stats.truncated == 1 and stats.count == 2


def test_prompt_longer_than_max_length_is_an_error(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder, prompt="pie", max_length=8)
    with pytest.raises(ConfigError, match="longer than max_length"):
        embedder.encode(["Sort the list."])


def test_bad_texts(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder)
    with pytest.raises(DataError, match="text 1 is an empty instruction"):
        embedder.encode(["ok", "   "])
    with pytest.raises(DataError, match="text 0 is int"):
        embedder.encode([3])
    with pytest.raises(ConfigError, match="list of texts"):
        embedder.encode_with_stats("a single string")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="batch_size"):
        embedder.encode(["ok"], batch_size=0)


def test_default_poolings_per_family(tiny_encoder, tiny_decoder):
    assert InstructionEmbedder(tiny_encoder).pooling == "cls"
    assert InstructionEmbedder(tiny_decoder).pooling == "last-2"
    assert tiny_encoder.family == "encoder" and tiny_decoder.family == "decoder"


def test_saved_settings_are_honoured(tiny_encoder_dir, tmp_path):
    import shutil

    target = tmp_path / "model"
    shutil.copytree(tiny_encoder_dir, target)
    (target / "pie_embed.json").write_text(json.dumps({"pooling": "mean", "max_length": 64}))
    embedder = InstructionEmbedder(str(target))
    assert embedder.pooling == "mean" and embedder.max_length == 64


def test_config_key_changes_with_settings(tiny_encoder):
    keys = {
        InstructionEmbedder(tiny_encoder, prompt=p, pooling=q).config_key
        for p in ("none", "pie")
        for q in ("cls", "mean")
    }
    assert len(keys) == 4


def test_unknown_model_is_one_line_with_aliases():
    with pytest.raises(ModelNotFoundError) as info:
        InstructionEmbedder("no-such-model-xyz")
    message = str(info.value)
    assert "\n" not in message and "no-such-model-xyz" in message and "all-minilm-l6-v2" in message


def test_directory_without_config(tmp_path):
    with pytest.raises(ModelNotFoundError, match="config.json"):
        InstructionEmbedder(str(tmp_path))


def test_bad_options(tiny_encoder):
    with pytest.raises(ConfigError, match="unknown pooling"):
        InstructionEmbedder(tiny_encoder, pooling="max")
    with pytest.raises(ConfigError, match="unknown prompt"):
        InstructionEmbedder(tiny_encoder, prompt="nonsense")
    with pytest.raises(ConfigError, match="batch_size"):
        InstructionEmbedder(tiny_encoder, batch_size=0)


def test_duplicates_are_embedded_once(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder)
    vectors, stats = embedder.encode_with_stats(["Sort the list.", "Write a poem.", "Sort the list."])
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert stats.count == 3 and stats.unique == 2


def test_stats_count_the_tokens_of_every_text(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder)
    texts = ["Sort the list.", "Write a poem about the sea.", "Sort the list."]
    _, stats = embedder.encode_with_stats(texts)
    expected = [len(ids) for ids in tiny_encoder.tokenizer(texts)["input_ids"]]  # with [CLS] and [SEP]
    assert stats.tokens == expected


def test_length_buckets_never_pad_a_text_past_twice_its_length(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder, batch_size=2)
    lengths = [10, 100, 9, 60, 50, 5, 8]
    batches = embedder._length_buckets(lengths, embedder.batch_size)
    assert batches == [[1, 3], [4], [0, 2], [6, 5]]  # longest first, at most batch_size each
    assert embedder._length_buckets(lengths, 32) == [[1, 3, 4], [0, 2, 6, 5]]


def test_encode_takes_one_string_and_per_call_options_like_sentence_transformers(tiny_encoder):
    embedder = InstructionEmbedder(tiny_encoder, batch_size=1)
    texts = ["Sort the list.", "Write a poem about the sea."]
    vectors = embedder.encode(texts)
    one = embedder.encode("Sort the list.")
    assert one.shape == (32,) and one.dtype == np.float32
    np.testing.assert_allclose(one, vectors[0], atol=1e-6)
    batched = embedder.encode(texts, batch_size=8, show_progress_bar=False)
    np.testing.assert_allclose(batched, vectors, atol=1e-5)
    raw = embedder.encode(texts, normalize_embeddings=False)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), vectors, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not hasattr(embedder, "last_stats")
