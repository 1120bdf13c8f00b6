"""How small the shipped static table can be: dimensions and storage (fp32; int8 or int4 with a scale
per row) of pie-static side by side on the dev panel, with the file size each makes.

    .venv/bin/python benchmarks/static_dimensions.py            # -> benchmarks/results/static_dimensions.json
    .venv/bin/python benchmarks/static_dimensions.py --markdown   # the BENCHMARKS.md table

The table is fitted once per fit seed at the teacher's full 384 dimensions (pie-static's recipe
otherwise, teacher pie-general), then projected on its top right singular vectors and stored as each
variant says, written as the one file the package ships and scored from that file as `pie bench --panel`
scores a model (``--seeds`` k-means seeds). Variants already in the results are skipped, so a stopped
run resumes. The package ships at most 5 MB a file.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, run_missing, script_parser  # noqa: E402
from static_recipes import panel_markdown  # noqa: E402

from pie_embed.benchmark.ieb import IEBData, evaluate, load_ieb
from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
from pie_embed.embedding.static import (
    RECIPE_FILE,
    STATIC_MODELS,
    StaticEncoder,
    static_model_dir,
    write_static_file,
)
from pie_embed.training.static import build_static_model, reduce_table, static_corpus

SHARED = Path("../shared")
SCRATCH = Path("benchmarks/.data/static_dimensions")
VARIANTS = [(256, "fp32"), (256, "int8"), (256, "int4"), (160, "int8"), (128, "int8")]


def full_folder(seed: int) -> Path:
    recipe = dataclasses.replace(STATIC_MODELS["pie-static"], dimensions=None, quantize="fp32", seed=seed)
    return static_model_dir(recipe, SCRATCH)


def full_table(seed: int, texts: list[str]) -> tuple[Any, str]:
    """The fitted 384-d table of fit seed ``seed`` and its tokenizer's JSON (built once, then cached)."""
    from model2vec import StaticModel

    recipe = dataclasses.replace(STATIC_MODELS["pie-static"], dimensions=None, quantize="fp32", seed=seed)
    folder = full_folder(seed)
    if not (folder / RECIPE_FILE).is_file():
        build_static_model(recipe, texts=texts, cache_dir=SCRATCH, show_progress=True)
    model = StaticModel.from_pretrained(str(folder))
    return model.embedding, model.tokenizer.to_str()


def write_variant(table: Any, tokenizer_json: str, case: dict[str, Any], file: Path) -> None:
    """The variant's one-file form with the card `pie static build --seed S` writes for its recipe (the
    same fit, projected and stored afterwards), so that scripts/ship_model.py can ship it as it is."""
    recipe = dataclasses.replace(
        STATIC_MODELS["pie-static"],
        dimensions=case["dimensions"],
        quantize=case["storage"],
        seed=case["seed"],
    )
    built = json.loads((full_folder(case["seed"]) / RECIPE_FILE).read_text())
    card = {
        **built,
        "recipe": dataclasses.asdict(recipe),
        "alias": "pie-static",
        "date": time.strftime("%Y-%m-%d"),
    }
    table = reduce_table(table, case["dimensions"])
    write_static_file(table, tokenizer_json, card, file, quantize=case["storage"])


def measure(case: dict[str, Any], data: IEBData, texts: list[str], seeds: int) -> dict[str, Any]:
    table, tokenizer_json = full_table(case["seed"], texts)
    file = SCRATCH / f"d{case['dimensions']}-{case['storage']}-s{case['seed']}.safetensors"
    write_variant(table, tokenizer_json, case, file)
    scores = panel_scores(evaluate(StaticEncoder(str(file)), data, seeds=seeds))
    return {
        **case,
        "status": 0,
        "megabytes": round(file.stat().st_size / 1e6, 2),
        "scores": {score.set: round(score.mean, 4) for score in scores},
        "panel_mean": round(panel_mean(scores) or 0.0, 4),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    columns = {
        "dimensions": lambda row: str(row["dimensions"]),
        "storage": lambda row: row["storage"],
        "fit seed": lambda row: str(row["seed"]),
        "MB": lambda row: f"{row['megabytes']:.2f}",
    }
    return panel_markdown(rows, columns)


def main() -> None:
    parser = script_parser(__doc__, "static_dimensions")
    parser.add_argument("--seeds", type=int, default=20, help="k-means seeds per set")
    parser.add_argument("--fit-seeds", type=int, nargs="+", default=[0], help="fit seeds of the table")
    parser.add_argument("--only", nargs="*", help="Only these variants, as DIMENSIONS-STORAGE (128-int8).")
    args = parse_args(parser, markdown)
    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    texts = static_corpus(SHARED)
    cases = [
        {"dimensions": d, "storage": storage, "seed": seed}
        for seed in args.fit_seeds
        for d, storage in VARIANTS
        if not args.only or f"{d}-{storage}" in args.only
    ]
    print(markdown(run_missing(args.json, cases, lambda c: measure(c, data, texts, args.seeds))))


if __name__ == "__main__":
    main()
