"""Embedding throughput on the IEB instructions: pie-embed's fast path against SentenceTransformer.encode.

    .venv/bin/python benchmarks/throughput.py                          # -> benchmarks/results/throughput.json
    .venv/bin/python benchmarks/throughput.py --json out.json --rounds 3
    .venv/bin/python benchmarks/throughput.py --markdown               # the BENCHMARKS.md table

Side by side in one process, alternating round by round (this machine's speed drifts):
- sentence-transformers: ``SentenceTransformer(folder).encode(texts, batch_size=32)``, fp32, what a user
  would pick;
- pie-embed ``precision="fp32"``, ``precision="int8"`` (opt-in) and ``precision="auto"`` (bf16 where
  the CPU has AMX / AVX512-BF16),
  both with length buckets and its default batch of 64, and "auto+compile": the same with
  ``torch_compile=True``, what pie-embed does for large jobs (its compile time is reported apart, with
  the number of texts after which it pays back).
Texts: the 3,291 ICT instructions of eft_test (each run embeds all of them, nothing cached). Quality:
ICT ARI (mean of 10 k-means seeds; seed 0 also kept) and IIS Spearman of each pie-embed precision, and
the deltas to fp32.
Compute bound: measured peak matmul GFLOP/s of this CPU in fp32 and bf16 (2,048-square matmuls), and
the model's FLOPs per real token (2 x non-embedding weights + attention), so the fraction reached is
tokens/s x FLOP/token / peak.

Models: the default all-MiniLM-L6-v2, the trained pie-minilm (when built), and the SmolLM2-135M decoder
(pie-embed only: sentence-transformers does not load its GGUF). With the default model, the static tier
pie-static (when built) runs in the same rounds; its dev-panel delta is read from static_tier.json.
The JSON's top level keeps speedup_vs_sentence_transformers, ict_ari_delta, iis_spearman_delta, and adds
cpu_flags and static_speedup_vs_sentence_transformers / static_panel_mean_delta / static_ict_ari_delta.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import parse_args, script_parser

from pie_embed import InstructionEmbedder
from pie_embed.benchmark.ieb import load_ieb
from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.benchmark.tasks import evaluate_clustering, evaluate_similarity
from pie_embed.embedding.precision import bf16_supported
from pie_embed.errors import ModelNotFoundError

ROOT = Path(__file__).resolve().parents[1]


def peak_gflops(dtype: torch.dtype, size: int = 2048, repeats: int = 5) -> float:
    a = torch.randn(size, size, dtype=dtype)
    b = torch.randn(size, size, dtype=dtype)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def flops_per_token(embedder: InstructionEmbedder, mean_tokens: float) -> float:
    model = embedder.loaded.model
    config = model.config
    embedding_weights = sum(p.numel() for n, p in model.named_parameters() if "embed" in n)
    dense = sum(p.numel() for p in model.parameters()) - embedding_weights
    attention = 4 * config.num_hidden_layers * mean_tokens * config.hidden_size  # QK^T and AV
    return 2 * dense + attention


def sentence_transformers_folder(embedder: InstructionEmbedder) -> str | None:
    """The folder sentence-transformers can load for this model (None for GGUF decoders)."""
    path = getattr(embedder.loaded.model, "name_or_path", "")
    return (
        path
        if path and (Path(path) / "config.json").is_file() and embedder.loaded.family == "encoder"
        else None
    )


def quality(embedder: InstructionEmbedder, ieb: Any) -> dict[str, float]:
    ict = embedder.encode(ieb.ict.texts)
    first = embedder.encode([p.text1 for p in ieb.pairs])
    second = embedder.encode([p.text2 for p in ieb.pairs])
    clustering = evaluate_clustering(ict, ieb.ict.labels, seeds=10)
    return {
        # one k-means seed swings by +-0.03 under any perturbation of the vectors: the 10-seed mean is the
        # measure of quality, seed 0 is kept for comparison with `pie bench`
        "ict_ari": clustering.ari_mean,
        "ict_ari_seed0": clustering.scores.ari,
        "iis_spearman": evaluate_similarity(first, second, [p.label for p in ieb.pairs]).spearman,
    }


def embedder_runner(embedder: InstructionEmbedder) -> Any:
    return lambda texts: embedder.encode(texts, show_progress_bar=False)


def timed(encode: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    encode(texts)
    return len(texts) / (time.perf_counter() - started)


def measure_model(
    name: str, ieb: Any, rounds: int, peaks: dict[str, float], texts: list[str]
) -> dict[str, Any]:
    embedders = {p: InstructionEmbedder(name, precision=p, torch_compile=False) for p in ("fp32", "auto")}
    embedders["auto+compile"] = InstructionEmbedder(name, precision="auto", torch_compile=True)
    embedders["int8"] = InstructionEmbedder(name, precision="int8")
    fast = embedders["auto"]
    runners = {f"pie-embed {p}": embedder_runner(e) for p, e in embedders.items()}
    started = time.perf_counter()
    compiled = embedders["auto+compile"].use_compile()
    embedders["auto+compile"].encode(texts[:256])  # compilation happens on the first call
    compile_seconds = time.perf_counter() - started
    folder = sentence_transformers_folder(fast)
    if folder is not None:
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(folder, device="cpu")
        runners["sentence-transformers fp32"] = lambda t: st.encode(t, batch_size=32, show_progress_bar=False)
    static = static_encoder() if name == "default" else None
    if static is not None:
        runners["pie-static"] = lambda t: static.encode(t)
    for run in runners.values():  # warm-up
        run(texts[:64])
    speeds: dict[str, list[float]] = {key: [] for key in runners}
    for _ in range(rounds):
        for key, run in runners.items():
            speeds[key].append(timed(run, texts))
    _, stats = fast.encode_with_stats(texts)
    mean_tokens = float(np.mean(stats.tokens))
    per_token = flops_per_token(fast, mean_tokens)
    row: dict[str, Any] = {
        "model": name,
        "family": fast.loaded.family,
        "precision_auto": fast.precision,
        "texts": len(texts),
        "mean_tokens": round(mean_tokens, 1),
        "mflop_per_token": round(per_token / 1e6, 1),
        "compiled": compiled and embedders["auto+compile"].torch_compile is not False,
        "compile_seconds": round(compile_seconds, 1),
        "texts_per_s": {key: round(float(np.median(v)), 1) for key, v in speeds.items()},
        "texts_per_s_rounds": {key: [round(x, 1) for x in v] for key, v in speeds.items()},
    }
    for precision, embedder in embedders.items():
        label = f"pie-embed {precision}"
        achieved = row["texts_per_s"][label] * mean_tokens * per_token / 1e9
        if embedder.precision == "int8":
            continue  # no int8 peak is measured
        peak = peaks["bf16" if embedder.precision == "bf16" else "fp32"]
        row.setdefault("compute_bound_fraction", {})[label] = round(achieved / peak, 3)
    scores = {p: quality(e, ieb) for p, e in embedders.items()}
    row["quality"] = {p: {k: round(v, 4) for k, v in s.items()} for p, s in scores.items()}
    # The headline is the fast path of a large job (compiled); small jobs skip the ~20 s compile.
    row["ict_ari_delta"] = round(scores["auto+compile"]["ict_ari"] - scores["fp32"]["ict_ari"], 4)
    row["iis_spearman_delta"] = round(
        scores["auto+compile"]["iis_spearman"] - scores["fp32"]["iis_spearman"], 4
    )
    row["ict_ari_delta_uncompiled"] = round(scores["auto"]["ict_ari"] - scores["fp32"]["ict_ari"], 4)
    row["iis_spearman_delta_uncompiled"] = round(
        scores["auto"]["iis_spearman"] - scores["fp32"]["iis_spearman"], 4
    )
    baseline = row["texts_per_s"].get("sentence-transformers fp32")
    if baseline:
        for label, key in (
            ("auto+compile", "speedup_vs_sentence_transformers"),
            ("auto", "speedup_vs_sentence_transformers_uncompiled"),
            ("fp32", "fp32_speedup_vs_sentence_transformers"),
            ("int8", "int8_speedup_vs_sentence_transformers"),
        ):
            row[key] = round(row["texts_per_s"][f"pie-embed {label}"] / baseline, 2)
        saved_per_text = (
            1 / row["texts_per_s"]["pie-embed auto"] - 1 / row["texts_per_s"]["pie-embed auto+compile"]
        )
        if saved_per_text > 0:
            row["compile_pays_back_after_texts"] = int(compile_seconds / saved_per_text)
    if static is not None:
        static_scores = quality(static, ieb)  # type: ignore[arg-type]
        row["quality"]["pie-static"] = {k: round(v, 4) for k, v in static_scores.items()}
        row["static"] = static_row(row, static_scores, scores["fp32"])
    row["speedup_vs_pie_fp32"] = round(
        row["texts_per_s"]["pie-embed auto"] / row["texts_per_s"]["pie-embed fp32"], 2
    )
    print(json.dumps(row), flush=True)
    return row


def static_encoder() -> Any:
    """pie-static when it is built here (`pie static build`), else None."""
    from pie_embed.embedding.static import StaticEncoder
    from pie_embed.errors import PieError

    try:
        return StaticEncoder("pie-static")
    except PieError as error:
        print(f"skipping pie-static: {error}")
        return None


def static_row(
    row: dict[str, Any], scores: dict[str, float], transformer: dict[str, float]
) -> dict[str, Any]:
    """The static tier against the transformer path of the same run; its dev-panel delta comes from
    static_tier.py's last result (the panel costs minutes of transformer time, so it is not rerun)."""
    speeds = row["texts_per_s"]
    out: dict[str, Any] = {
        "texts_per_s": speeds["pie-static"],
        "speedup_vs_sentence_transformers": round(
            speeds["pie-static"] / speeds.get("sentence-transformers fp32", float("nan")), 1
        ),
        "speedup_vs_pie_embed_fp32": round(speeds["pie-static"] / speeds["pie-embed fp32"], 1),
        "speedup_vs_pie_embed_auto": round(speeds["pie-static"] / speeds["pie-embed auto"], 1),
        "ict_ari_delta": round(scores["ict_ari"] - transformer["ict_ari"], 4),
        "iis_spearman_delta": round(scores["iis_spearman"] - transformer["iis_spearman"], 4),
    }
    tier = ROOT / "benchmarks" / "results" / "static_tier.json"
    if tier.is_file():
        panel = {p["model"]: p["panel_mean"] for p in json.loads(tier.read_text())["panel"]}
        if "pie-static" in panel and "all-minilm-l6-v2" in panel:
            out["panel_mean"] = panel["pie-static"]
            out["panel_mean_delta"] = round(panel["pie-static"] - panel["all-minilm-l6-v2"], 4)
            out["panel_from"] = "benchmarks/results/static_tier.json"
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    ieb = load_ieb(ROOT.parent / "shared" / "ieb", [])
    texts = ieb.ict.texts
    peaks = {"fp32": peak_gflops(torch.float32)}
    peaks["bf16"] = peak_gflops(torch.bfloat16) if bf16_supported() else peaks["fp32"]
    results: dict[str, Any] = {
        "machine": machine_info(),
        "threads": torch.get_num_threads(),
        "native_bf16": bf16_supported(),
        "peak_gflops": {k: round(v, 1) for k, v in peaks.items()},
        "models": [],
    }
    for name in args.models:
        try:
            results["models"].append(measure_model(name, ieb, args.rounds, peaks, texts))
        except ModelNotFoundError as error:
            print(f"skipping {name}: {error}")
    default = results["models"][0]
    for key in (
        "speedup_vs_sentence_transformers",
        "speedup_vs_sentence_transformers_uncompiled",
        "int8_speedup_vs_sentence_transformers",
        "ict_ari_delta",
        "iis_spearman_delta",
    ):
        results[key] = default.get(key)
    results["cpu_flags"] = results["machine"]["flags"]
    if "static" in default:
        for key in ("speedup_vs_sentence_transformers", "panel_mean_delta", "ict_ari_delta"):
            results[f"static_{key}"] = default["static"].get(key)
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| model | sentence-transformers fp32 | pie-embed fp32 | pie-embed auto | auto + compile | "
        "speed-up vs ST (compiled / not) | of compute bound | ICT ARI fp32 -> compiled | "
        "IIS fp32 -> compiled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["models"]:
        speeds = row["texts_per_s"]
        quality_rows = row["quality"]
        lines.append(
            f"| {row['model']} ({row['precision_auto']}) | {speeds.get('sentence-transformers fp32', '-')} | "
            f"{speeds['pie-embed fp32']} | {speeds['pie-embed auto']} | {speeds['pie-embed auto+compile']} | "
            f"{row.get('speedup_vs_sentence_transformers', '-')}x / "
            f"{row.get('speedup_vs_sentence_transformers_uncompiled', '-')}x | "
            f"{row['compute_bound_fraction']['pie-embed auto+compile']:.0%} | "
            f"{quality_rows['fp32']['ict_ari']:.3f} -> {quality_rows['auto+compile']['ict_ari']:.3f} | "
            f"{quality_rows['fp32']['iis_spearman']:.3f} -> "
            f"{quality_rows['auto+compile']['iis_spearman']:.3f} |"
        )
    for row in results["models"]:
        if "static" in row:
            st = row["static"]
            lines.append(
                f"\npie-static in the same run: {st['texts_per_s']:,} texts/s = "
                f"{st['speedup_vs_sentence_transformers']}x sentence-transformers, "
                f"{st['speedup_vs_pie_embed_auto']}x pie-embed auto, "
                f"{st['speedup_vs_pie_embed_fp32']}x fp32; "
                f"ICT {st['ict_ari_delta']:+.3f}, IIS {st['iis_spearman_delta']:+.3f}, "
                f"panel mean {st.get('panel_mean_delta', float('nan')):+.3f} against {row['model']}."
            )
    if isinstance(results.get("machine"), dict):
        lines.append(f"\nCPU: {machine_line(results['machine'])}.")
    lines.append(f"\nPeak matmul on this CPU: {results['peak_gflops']} GFLOP/s.")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "throughput")
    parser.add_argument("--models", nargs="+", default=["default", "pie-minilm", "smollm2-135m"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parse_args(parser, markdown)
    results = run(args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
