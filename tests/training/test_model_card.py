"""Model cards: the median run ships, the spread and tolerance come from the runs, the ship rule checks."""

from __future__ import annotations

import pytest

from pie_embed.errors import DataError
from pie_embed.training.model_card import (
    card_markdown,
    data_sources,
    median_run,
    rebuild_tolerance,
    ship_rule_checks,
    training_seed_summary,
)

SETS = ["IEB ICT", "IEB IIS", "a", "b"]


def card(seed: int, ict: float, iis: float, a: float, b: float) -> dict:
    scores = [
        {"set": s, "metric": "ARI", "mean": v, "sd": 0.01}
        for s, v in zip(SETS, (ict, iis, a, b), strict=True)
    ]
    base = [
        {"set": s, "metric": "ARI", "mean": v, "sd": 0.01}
        for s, v in zip(SETS, (0.48, 0.75, 0.40, 0.30), strict=True)
    ]
    return {
        "alias": "pie-x",
        "base": "all-minilm-l6-v2",
        "recipe": "x",
        "training_config": {"seed": seed},
        "panel": {
            "seeds": 20,
            "scores": scores,
            "panel_mean": (a + b) / 2,
            "base_scores": base,
            "base_panel_mean": 0.35,
            "machine": {"cpu": "Some CPU", "cores": 2, "flags": {"AVX2": True, "AMX-BF16": False}},
        },
    }


RUNS = [card(0, 0.58, 0.79, 0.46, 0.36), card(1, 0.60, 0.80, 0.44, 0.34), card(2, 0.56, 0.78, 0.48, 0.38)]


def test_the_median_of_three_runs_ships_and_fewer_runs_are_refused() -> None:
    assert median_run(RUNS) == 0  # panel means 0.41, 0.39, 0.43
    assert median_run([*RUNS, card(3, 0.5, 0.7, 0.30, 0.30)]) == 1  # lower middle of four
    with pytest.raises(DataError, match="at least 3 training seeds, got 2"):
        median_run(RUNS[:2])
    with pytest.raises(DataError, match="seed 9 has no panel"):
        median_run([*RUNS[:2], {"training_config": {"seed": 9}}])


def test_spread_and_tolerance_come_from_the_runs() -> None:
    summary = training_seed_summary(RUNS)
    assert [r["seed"] for r in summary["runs"]] == [0, 1, 2]
    assert summary["panel_mean_sd"] == pytest.approx(0.02)  # 0.39, 0.41, 0.43 (sample sd)
    assert summary["set_sd"]["IEB ICT"] == pytest.approx(0.02)
    tolerance = rebuild_tolerance(summary)
    assert tolerance == {"panel_mean": 0.04, "IEB ICT": 0.04, "IEB IIS": 0.02}
    tight = training_seed_summary([card(s, 0.58, 0.79, 0.46, 0.36) for s in range(3)])
    assert rebuild_tolerance(tight)["panel_mean"] == 0.01  # never below 0.01


def test_ship_rule_checks_each_condition() -> None:
    checks = {c["check"]: c for c in ship_rule_checks(RUNS[0]["panel"])}
    assert checks["panel mean >= base + 0.03"]["passed"]  # 0.41 vs 0.35
    assert checks["no dev set below the base by more than 0.04"]["passed"]
    assert checks["IEB ICT >= 0.55"]["passed"] and checks["IEB IIS >= 0.78"]["passed"]
    weak = ship_rule_checks(card(0, 0.50, 0.77, 0.52, 0.25)["panel"])
    assert [c["passed"] for c in weak] == [True, False, False, False]
    assert "lowest delta b -0.050" in weak[1]["value"]


def test_the_markdown_card_shows_every_figure_next_to_the_base() -> None:
    shipped = dict(RUNS[0])
    summary = training_seed_summary(RUNS)
    summary["shipped_seed"] = 0
    shipped.update(
        description="A model.",
        intended_use="Clustering instructions by task.",
        weaknesses=["English only."],
        training_seeds=summary,
        tolerance=rebuild_tolerance(summary),
        ship_rule=ship_rule_checks(shipped["panel"]),
        sources=data_sources({"other_files": ["sni_train_tasks.jsonl"], "anchor_texts": 6000}),
        settings={"pooling": "mean"},
    )
    text = card_markdown(shipped)
    assert text.startswith("---\nlibrary_name: pie-embed\n") and "\n# pie-x\n" in text
    assert "| IEB ICT | 0.580 ± 0.010 | 0.480 | +0.100 | 0.020 |" in text
    assert "| panel mean | 0.410 | 0.350 | +0.060 | 0.020 |" in text and "over the 2 sets other than" in text
    assert "seed 0 0.410, seed 1 0.390, seed 2 0.430; shipped: seed 0 (median)" in text
    assert "panel_mean ±0.04" in text and "| IEB IIS >= 0.78 | 0.790 | yes |" in text
    assert "| sni_train_tasks.jsonl |" in text and "Apache-2.0" in text and "CC BY-NC 4.0" in text
    assert "non-commercial licences" in text and "- English only." in text
    assert "Some CPU, 2 cores; AVX2; no AMX-BF16." in text


def test_data_sources_name_every_training_file_with_its_licence() -> None:
    rows = data_sources(
        {"other_files": ["selfinstruct_seed_tasks.jsonl"], "ieb_source": "eft_train_unsup.json"}
    )
    assert [r["file"] for r in rows] == ["selfinstruct_seed_tasks.jsonl", "eft_train_unsup.json"]
    assert rows[0]["licence"] == "Apache-2.0" and "cecb90f" in rows[1]["origin"]
    assert data_sources({"other_files": ["mystery.jsonl"]})[0]["licence"] == "unknown"


def test_a_rebuild_is_compared_with_the_shipped_card_within_its_tolerance() -> None:
    from pie_embed.training.model_card import compare_to_card

    shipped = dict(RUNS[0], tolerance={"panel_mean": 0.02, "IEB ICT": 0.02, "IEB IIS": 0.01})
    close = compare_to_card(RUNS[1], shipped)  # panel mean 0.39 vs 0.41, ICT 0.60 vs 0.58, IIS 0.80 vs 0.79
    assert [within for _, within in close] == [True, True, True]
    assert close[0][0] == "panel_mean: 0.390 vs shipped 0.410 (-0.020, tolerance ±0.02)"
    far = compare_to_card(card(5, 0.50, 0.79, 0.30, 0.30), shipped)
    assert [within for _, within in far] == [False, False, True]
    assert not compare_to_card({"alias": "x"}, shipped)[0][1]  # nothing to compare: never "within"
