"""The static tier against the transformer it was distilled from: speed side by side, and the dev panel.

    .venv/bin/pie static build --data ../shared                # once (minutes)
    .venv/bin/python benchmarks/static_tier.py                 # -> benchmarks/results/static_tier.json
    .venv/bin/python benchmarks/static_tier.py --markdown      # the BENCHMARKS.md tables

Speed: the 3,291 ICT instructions, every model embedding all of them per round, rounds alternating:
sentence-transformers fp32 (what a user would pick), pie-embed's transformer path (precision auto: bf16
where the CPU has it natively; and fp32, what a CPU without it runs) and pie-static. Quality:
`pie bench --panel`'s numbers (IEB ICT as a mean over 5 k-means seeds, IIS, and every set of
../shared/generalization) for the teacher and the static model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from common import interleaved_speeds, parse_args, script_parser

from pie_embed.benchmark.ieb import load_ieb, run_benchmark
from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.benchmark.panel import panel_files, panel_mean, panel_scores
from pie_embed.embedding.cache import EmbeddingCache
from pie_embed.embedding.embedder import InstructionEmbedder
from pie_embed.embedding.offline import OFFLINE_MODELS
from pie_embed.embedding.static import StaticEncoder
from pie_embed.paths import cache_dir

SHARED = Path("../shared")


def speeds(texts: list[str], rounds: int) -> dict[str, float]:
    """Median texts/s of each model over ``rounds`` alternating rounds."""
    from sentence_transformers import SentenceTransformer

    folder = OFFLINE_MODELS["all-minilm-l6-v2"].locate(cache_dir()).path
    st = SentenceTransformer(str(folder), device="cpu")
    transformer = InstructionEmbedder("default", torch_compile=False)
    fp32 = InstructionEmbedder("default", precision="fp32", torch_compile=False)  # its own weights in fp32
    static = StaticEncoder("pie-static")
    runners = {
        "sentence-transformers fp32": lambda t: st.encode(t, batch_size=32, show_progress_bar=False),
        f"pie-embed transformer ({transformer.precision})": lambda t: transformer.encode(
            t, show_progress_bar=False
        ),
        "pie-embed transformer (fp32)": lambda t: fp32.encode(t, show_progress_bar=False),
        "pie-static": lambda t: static.encode(t),
    }
    measured = interleaved_speeds(runners, texts, rounds, warm=256)
    return {name: sorted(values)[len(values) // 2] for name, values in measured.items()}


def panel(seeds: int) -> list[dict[str, Any]]:
    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    rows = []
    cache = EmbeddingCache(cache_dir() / "embeddings")
    for result in run_benchmark(data, models=["default", "pie-static"], seeds=seeds, cache=cache):
        scores = panel_scores(result)
        rows.append(
            {
                "model": result.settings["model"],
                "scores": {score.set: round(score.mean, 4) for score in scores},
                "panel_mean": round(panel_mean(scores) or 0.0, 4),
            }
        )
    return rows


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"CPU: {machine_line(result['machine'])}; {result['date']}",
        "",
        "| model | texts/s | vs sentence-transformers |",
    ]
    lines.append("|---|---|---|")
    base = result["speed"]["sentence-transformers fp32"]
    for name, value in result["speed"].items():
        lines.append(f"| {name} | {value:,.0f} | {value / base:.1f}x |")
    names = list(result["panel"][0]["scores"])
    lines += ["", "| model | " + " | ".join(names) + " | panel mean |", "|---" * (len(names) + 2) + "|"]
    first = result["panel"][0]
    for row in result["panel"]:
        cells = [
            f"{row['scores'][n]:.3f}"
            + ("" if row is first else f" ({row['scores'][n] - first['scores'][n]:+.3f})")
            for n in names
        ]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + f" | {row['panel_mean']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "static_tier")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    args = parse_args(parser, markdown)
    texts = load_ieb(SHARED / "ieb").ict.texts  # type: ignore[union-attr]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_info(),
        "static": StaticEncoder("pie-static").info,
        "speed": speeds(texts, args.rounds),
        "panel": panel(args.seeds),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
