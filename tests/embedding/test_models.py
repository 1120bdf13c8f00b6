import shutil

import pytest

from pie_embed.embedding.models import load_model, trained_model_dir
from pie_embed.errors import ModelNotFoundError


def test_trained_alias_loads_its_built_folder_under_the_alias_name(tiny_encoder_dir, tmp_path):
    with pytest.raises(
        ModelNotFoundError, match="pie-minilm is not built yet: run `pie train --recipe default`"
    ):
        load_model("pie-minilm", cache_dir=tmp_path)
    shutil.copytree(tiny_encoder_dir, trained_model_dir("pie-minilm", tmp_path))
    loaded = load_model("pie-minilm", cache_dir=tmp_path)
    assert loaded.name == "pie-minilm"  # tables and manifests show the alias, not the cache path
    assert loaded.model.config.hidden_size == 32
