"""Put a trained model into the package: the median of >= 3 training seeds, with its full model card.

Transformer models (``pie-general``, ``pie-ieb``): each run is ``pie train --recipe NAME --data ../shared
--seed S -o RUN``, which writes ``RUN/<alias>.safetensors`` with its 20-k-means-seed panel. This script
picks the run with the median panel mean, adds to its card every run's figures, the training-seed spread,
the rebuild tolerance, the ship rule's checks, the data sources with licences, intended use and known
weaknesses, and writes it to ``src/pie_embed/embedding/data/<alias>.safetensors`` and the card as
``docs/models/<alias>.md``:

    python scripts/ship_model.py general RUN_SEED0 RUN_SEED1 RUN_SEED2

``python scripts/ship_model.py summary`` prints the shipped models side by side with the base, from
their cards (the BENCHMARKS.md table).

The static tier (``pie-static``): each run is a ``pie static build --seed S`` folder (or the one-file
``.safetensors`` such a build writes; fit seeds differ); the card's panel is scored here, against the
teacher's card:

    python scripts/ship_model.py static BUILD_SEED0 BUILD_SEED1 BUILD_SEED2 --data ../shared
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DATA = ROOT / "src" / "pie_embed" / "embedding" / "data"
DOCS = ROOT / "docs" / "models"
BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

NOTES: dict[str, dict[str, Any]] = {
    "pie-general": {
        "description": (
            "The default model of pie-embed: all-MiniLM-L6-v2 fine-tuned to embed the task an "
            "instruction asks for (summarise, translate, classify, ...) rather than its topic. Trained "
            "contrastively on semantic task labels (Super-NaturalInstructions train tasks, Self-Instruct "
            "seed tasks) and 3,000 IEB training instructions, one label source per batch, label phrases "
            "closer than 0.7 treated as one task, and held to the base's vectors of 6,000 corpus "
            "instructions so that it keeps what the base does well."
        ),
        "intended_use": (
            "Task-aware embeddings of LLM instructions and prompts (English): clustering a dataset by "
            "task, data selection and test-set compression, demonstration retrieval, task identification, "
            "dataset task correlation. Not a general semantic-search model: two instructions on one topic "
            "but different tasks are meant to be far apart."
        ),
        "weaknesses": [
            "On IEB itself it gains less than the IEB-label model pie-ieb (ICT 0.555 against about "
            "0.77): it does not learn IEB's verb|noun scheme, on purpose (that scheme costs paraphrases).",
            "SNI-12 categories and WizardLM skills gain least (+0.005, +0.018): coarse task types and "
            "subject areas are not what the labels teach.",
            "Chat questions that differ in skill rather than in task wording (WizardLM, MT-Bench "
            "categories) stay hard: ARI 0.2-0.3, as for the base.",
            "English only (the base and every training set are English).",
        ],
    },
    "pie-ieb": {
        "description": (
            "The paper's setting: all-MiniLM-L6-v2 fine-tuned on IEB's `verb|noun` task labels alone, "
            "with hard negatives, anchored to the base. Best on IEB itself; shipped by name, not as the "
            "default."
        ),
        "intended_use": (
            "Reproducing and comparing against the paper's IEB numbers; tasks whose labels look like IEB's "
            "(a verb and its object). For everything else use the default, pie-general."
        ),
        "weaknesses": [
            "It learns IEB's labeling scheme: paraphrases of one task with different verbs are pulled "
            "apart (instruction_induction, the paraphrase set, is far below the base) and templated "
            "prompts lose too; see the panel.",
            "English only.",
        ],
    },
    "pie-static": {
        "description": (
            "The fast tier: a model2vec-style table of token vectors (int8, a scale per row), "
            "distilled from pie-general over its vocabulary and fitted to pie-general's vectors of 50,381 "
            "training instructions; a text is the mean of its tokens' rows. Tens of thousands of texts "
            "per second on a laptop CPU, no torch."
        ),
        "intended_use": (
            "Millions of instructions where the transformer is too slow: `--fast` picks it from 50,000 "
            "rows; deduplication and first-pass selection. For the best quality use pie-general."
        ),
        "weaknesses": [
            "A bag of tokens: word order is lost, so templated prompts (T0) and paraphrases score well "
            "below the transformer.",
            "English only; tokens the tokenizer does not know are dropped.",
        ],
    },
}
RECIPE_ALIASES = {"general": "pie-general", "ieb": "pie-ieb", "static": "pie-static"}


def automatic_weaknesses(card: dict[str, Any]) -> list[str]:
    """A line naming every dev set below the base, with its delta (from the card's own panel)."""
    panel = card["panel"]
    base = {s["set"]: s["mean"] for s in panel["base_scores"]}
    below = [
        f"{s['set']} {s['mean'] - base[s['set']]:+.3f}"
        for s in panel["scores"]
        if not s["set"].startswith("IEB ") and s["mean"] < base[s["set"]]
    ]
    return [f"Below {card['base']} on: {', '.join(below)}."] if below else []


def finished_card(cards: list[dict[str, Any]], alias: str) -> tuple[int, dict[str, Any]]:
    """The index of the median run and its card with everything the published card needs."""
    from pie_embed.training.model_card import (
        data_sources,
        median_run,
        rebuild_tolerance,
        ship_rule_checks,
        training_seed_summary,
    )

    chosen = median_run(cards)
    summary = training_seed_summary(cards)
    summary["shipped_seed"] = summary["runs"][chosen]["seed"]
    card = dict(cards[chosen])
    notes = NOTES[alias]
    card.update(
        alias=alias,
        base_model_id=BASE_MODEL_ID,
        description=notes["description"],
        intended_use=notes["intended_use"],
        weaknesses=[*automatic_weaknesses(card), *notes["weaknesses"]],
        training_seeds=summary,
        tolerance=rebuild_tolerance(summary),
        ship_rule=ship_rule_checks(card["panel"]),
    )
    if "data" in card:
        card["sources"] = data_sources(card["data"])
    return chosen, card


def ship_transformer(recipe: str, runs: list[Path]) -> Path:
    from pie_embed.embedding.shipped import read_card, read_shipped, write_shipped

    alias = RECIPE_ALIASES[recipe]
    files = [run / f"{alias}.safetensors" for run in runs]
    for file in files:
        if not file.is_file():
            sys.exit(f"{file}: not found (run `pie train --recipe {recipe} --data ../shared -o RUN`)")
    chosen, card = finished_card([read_card(f) for f in files], alias)
    delta, _, _ = read_shipped(files[chosen])
    target = PACKAGE_DATA / f"{alias}.safetensors"
    write_shipped(delta, card, target)
    card["size_bytes"] = target.stat().st_size
    write_shipped(delta, card, target)
    return _write_doc(card, target)


def ship_static(builds: list[Path], data: Path) -> Path:
    from pie_embed.benchmark import evaluate, load_ieb
    from pie_embed.benchmark.machine import machine_info
    from pie_embed.benchmark.panel import PanelScore, panel_files, panel_mean, panel_scores
    from pie_embed.embedding import InstructionEmbedder
    from pie_embed.embedding.shipped import SHIPPED_MODELS, read_card
    from pie_embed.embedding.static import StaticEncoder, read_static_file, write_static_file
    from pie_embed.training.shipping import SHIP_SEEDS

    alias = "pie-static"
    ieb = load_ieb(data / "ieb", panel_files(data / "generalization"))
    cards = []
    base_scores = None
    for build in builds:
        file = build if build.suffix == ".safetensors" else build / f"{alias}.safetensors"
        _, _, card = read_static_file(file)
        scores = panel_scores(evaluate(StaticEncoder(str(file)), ieb, seeds=SHIP_SEEDS))
        if base_scores is None:  # the teacher, the model it stands in for: its own card when shipped
            teacher = card["recipe"]["teacher"]
            if (
                teacher in SHIPPED_MODELS
                and read_card(SHIPPED_MODELS[teacher].path)["panel"]["seeds"] == SHIP_SEEDS
            ):
                base_scores = read_card(SHIPPED_MODELS[teacher].path)["panel"]["scores"]
            else:
                embedder = InstructionEmbedder(teacher, precision="fp32")
                base_scores = [s.to_dict() for s in panel_scores(evaluate(embedder, ieb, seeds=SHIP_SEEDS))]
        card["panel"] = {
            "seeds": SHIP_SEEDS,
            "scores": [s.to_dict() for s in scores],
            "panel_mean": panel_mean(scores),
            "base_scores": base_scores,
            "base_panel_mean": panel_mean([PanelScore(**score) for score in base_scores]),
            "machine": machine_info(),
        }
        card["training_config"] = {**card["recipe"]}
        card["training_config"]["seed"] = card["recipe"]["seed"]
        card["base"] = card["recipe"]["teacher"]  # "recipe" stays the StaticRecipe: StaticEncoder reads it
        cards.append(card)
        print(f"{build}: panel mean {card['panel']['panel_mean']:.3f}", flush=True)
    chosen, card = finished_card(cards, alias)
    card["ship_rule"] = []  # the rule is for transformer defaults; the static tier is judged on its teacher
    config = card["training_config"]
    card["rebuild_command"] = "pie static build --data ../shared --seed S"
    card["details"] = [
        f"Teacher: `{config['teacher']}`; table of {len(table_of(builds[chosen])):,} tokens x "
        f"{config['dimensions']} dimensions, {config['quantize']} with a float32 scale per row; the "
        "tokenizer of all-MiniLM-L6-v2 (as model2vec distils it), read up to 256 tokens",
        "Needs the `static` extra (model2vec); no torch at encode time",
    ]
    card["sources"] = static_sources()
    chosen_build = builds[chosen]
    chosen_file = (
        chosen_build if chosen_build.suffix == ".safetensors" else chosen_build / f"{alias}.safetensors"
    )
    table, tokenizer_json, _ = read_static_file(chosen_file)
    target = PACKAGE_DATA / f"{alias}.safetensors"
    quantize = card["training_config"].get("quantize", "int8")
    write_static_file(table, tokenizer_json, card, target, quantize=quantize)
    card["size_bytes"] = target.stat().st_size
    write_static_file(table, tokenizer_json, card, target, quantize=quantize)
    return _write_doc(card, target)


def table_of(build: Path) -> Any:
    from pie_embed.embedding.static import read_static_file

    return read_static_file(build if build.suffix == ".safetensors" else build / "pie-static.safetensors")[0]


def static_sources() -> list[dict[str, str]]:
    """The fit texts of the static tier (training/static.py's static_corpus), with their licences."""
    from pie_embed.training.anchors import ANCHOR_CORPORA
    from pie_embed.training.model_card import SOURCES
    from pie_embed.training.static import TRAIN_OTHER_FILES

    files = [*ANCHOR_CORPORA, "eft_train_unsup.json", *TRAIN_OTHER_FILES]
    role = "fit text: the table is fitted to the teacher's vector of it"
    return [{"file": f, "role": role, "origin": SOURCES[f][0], "licence": SOURCES[f][1]} for f in files]


def _write_doc(card: dict[str, Any], target: Path) -> Path:
    from pie_embed.training.model_card import card_markdown

    DOCS.mkdir(parents=True, exist_ok=True)
    doc = DOCS / f"{card['alias']}.md"
    doc.write_text(card_markdown(card), encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB) and {doc}")
    for check in card.get("ship_rule", []):
        print(f"  ship rule: {check['check']}: {check['value']} -> {'pass' if check['passed'] else 'FAIL'}")
    return target


def summary() -> str:
    """The shipped models' panels next to the base's (from the package's cards), as Markdown."""
    from pie_embed.embedding.shipped import SHIPPED_MODELS, read_card
    from pie_embed.embedding.static import SHIPPED_STATIC, read_static_file, shipped_data_path

    cards = [read_card(spec.path) for spec in SHIPPED_MODELS.values()]
    cards += [read_static_file(shipped_data_path(file))[2] for file in SHIPPED_STATIC.values()]
    base_card = cards[0]["panel"]
    names = [s["set"] for s in base_card["scores"]]
    head = "| model | " + " | ".join(names) + " | panel mean |"
    lines = [head, "|---" * (len(names) + 2) + "|"]
    base = {s["set"]: s for s in base_card["base_scores"]}
    cells = [f"{base[n]['mean']:.3f} ± {base[n]['sd']:.3f}" for n in names]
    lines.append(
        f"| {cards[0]['base']} (base) | " + " | ".join(cells) + f" | {base_card['base_panel_mean']:.3f} |"
    )
    for card in cards:
        panel, spread = card["panel"], card["training_seeds"]["set_sd"]
        mine = {s["set"]: s for s in panel["scores"]}
        cells = [
            f"{mine[n]['mean']:.3f} ± {mine[n]['sd']:.3f} ({mine[n]['mean'] - base[n]['mean']:+.3f}; "
            f"seeds ± {spread[n]:.3f})"
            for n in names
        ]
        gain = panel["panel_mean"] - base_card["base_panel_mean"]
        seeds_sd = card["training_seeds"]["panel_mean_sd"]
        lines.append(
            f"| {card['alias']} | "
            + " | ".join(cells)
            + f" | {panel['panel_mean']:.3f} ({gain:+.3f}; seeds ± {seeds_sd:.3f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("recipe", choices=[*sorted(RECIPE_ALIASES), "summary"])
    parser.add_argument("runs", nargs="*", type=Path, help="run folders, one per training seed")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared", help="for static: ../shared")
    args = parser.parse_args()
    if args.recipe == "summary":
        print(summary())
        return
    PACKAGE_DATA.mkdir(parents=True, exist_ok=True)
    if args.recipe == "static":
        ship_static(args.runs, args.data)
    else:
        ship_transformer(args.recipe, args.runs)


if __name__ == "__main__":
    main()
