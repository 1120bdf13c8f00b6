import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from pie_embed.errors import ConfigError, DataError
from pie_embed.tools.task_map import build_task_map, map_file, project, write_html


def test_projection_is_seeded_and_two_dimensional(blobs):
    vectors, _ = blobs
    a = project(vectors[:120], "tsne", seed=1)
    assert a.shape == (120, 2) and np.allclose(a, project(vectors[:120], "tsne", seed=1))
    assert project(vectors, "pca").shape == (600, 2)
    with pytest.raises(ConfigError, match="unknown projection"):
        project(vectors, "mds")


def test_large_inputs_are_sampled(blobs):
    vectors, groups = blobs
    task_map = build_task_map(
        vectors, [str(i) for i in range(600)], [str(g) for g in groups], projection="pca", max_points=100
    )
    assert len(task_map.rows) == 100 and task_map.total_rows == 600
    assert task_map.texts == [str(i) for i in task_map.rows]


def chromium_dom(html_path, tmp_path) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (bash scripts/install.sh --dev installs it)")
        pytest.skip("chromium is not installed")
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        html_path.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def test_html_map_draws_every_point_in_headless_chromium(blobs, tmp_path):
    vectors, groups = blobs
    texts = [f"instruction <{i}>" for i in range(600)]
    task_map = build_task_map(vectors, texts, [f"task {g}" for g in groups], projection="pca")
    page = tmp_path / "map.html"
    write_html(task_map, page)
    assert "cdn.plot.ly" not in page.read_text()[:2000]  # self-contained, works offline
    dom = chromium_dom(page, tmp_path)
    points = re.findall(r'<path class="point', dom)
    assert len(points) == 600
    assert len(re.findall(r'class="traces"', dom)) == 12  # one legend entry per task


def test_map_file_colours_by_the_files_labels(tiny_encoder_dir, tmp_path):
    from pie_embed import InstructionEmbedder
    from pie_embed.data.source import InstructionSource

    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"instruction": f"do thing {i}", "cat": f"c{i % 3}"}) + "\n" for i in range(30))
    )
    result = map_file(
        InstructionSource(data, label_field="cat"),
        tmp_path / "m.html",
        embedder=InstructionEmbedder(str(tiny_encoder_dir)),
        color_by="label",
        projection="pca",
    )
    assert sorted(set(result.task_map.groups)) == ["c0", "c1", "c2"]
    assert result.png.read_bytes()[:4] == b"\x89PNG" and result.html.suffix == ".html"
    with pytest.raises(DataError, match="no 'label' field"):
        map_file(
            data, tmp_path / "n.html", embedder=InstructionEmbedder(str(tiny_encoder_dir)), color_by="label"
        )
    with pytest.raises(ConfigError, match=".html"):
        map_file(data, tmp_path / "n.png", embedder=InstructionEmbedder(str(tiny_encoder_dir)))
