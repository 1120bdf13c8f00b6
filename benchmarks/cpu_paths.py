"""The transformer path on CPUs without native bf16: what speeds up all-MiniLM-L6-v2, side by side.

    bash scripts/install.sh --bench                      # onnxruntime and onnx for the ONNX rows
    .venv/bin/python benchmarks/cpu_paths.py             # this CPU as it is -> results/cpu_paths.json
    .venv/bin/python benchmarks/cpu_paths.py --isa avx2  # torch limited to AVX2 kernels (see below)
    .venv/bin/python benchmarks/cpu_paths.py --markdown

Texts: the 3,291 ICT instructions, each variant embedding all of them per round, rounds alternating in
one process (the machine's speed drifts). Every pie-embed variant shares its tokenisation, length
buckets (batch 64) and pooling; only the forward pass differs:
- sentence-transformers fp32, `encode(batch_size=32)`: what a user would pick;
- pie-embed fp32, fp32 + torch.compile, bf16 (only where the CPU has it natively);
- pie-embed `precision="int8"`: torch's dynamic int8 quantisation of every Linear layer;
- ONNX Runtime fp32 and int8: the model exported (TorchScript exporter), fused by onnxruntime's
  transformer optimizer (attention, LayerNorm, GELU), and for int8 its weights quantised dynamically.
Quality: ICT ARI (mean of 10 k-means seeds) and IIS Spearman of every variant, as deltas to fp32.

`--isa avx2` reruns the script with ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2,
MKL_ENABLE_INSTRUCTIONS=AVX2 and FBGEMM_ENABLE_INSTRUCTIONS=AVX2: torch's own kernels, oneDNN, MKL and
FBGEMM (torch's int8 GEMM) then stay on AVX2 as on a CPU without AVX-512 or VNNI. ONNX Runtime picks its
kernels from cpuid and cannot be limited this way, so its rows under --isa avx2 still use AVX-512/VNNI
where the CPU has it. Cache sizes and clock stay this CPU's: a real AVX2-only CPU is the final word.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from common import interleaved_speeds, script_parser

from pie_embed import InstructionEmbedder
from pie_embed.benchmark.ieb import load_ieb
from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.benchmark.tasks import evaluate_clustering, evaluate_similarity
from pie_embed.embedding.precision import bf16_supported

ROOT = Path(__file__).resolve().parents[1]
AVX2_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
}


class _LastHidden(torch.nn.Module):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def onnx_session(embedder: InstructionEmbedder, folder: Path, int8: bool) -> Any:
    """An ONNX Runtime session of the embedder's model, fused (and int8-quantised)."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    raw, fused, quantised = folder / "model.onnx", folder / "fused.onnx", folder / "int8.onnx"
    if not raw.exists():
        ids = torch.ones(2, 16, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            _LastHidden(embedder.loaded.model.eval()),
            (ids, torch.ones_like(ids)),
            str(raw),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )
        config = embedder.loaded.model.config
        optimized = optimize_model(
            str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
        )
        optimized.save_model_to_file(str(fused))
        import onnx

        # the fused operators are in onnxruntime's domain, where shape inference finds no type
        quantize_dynamic(
            str(fused),
            str(quantised),
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return onnxruntime.InferenceSession(
        str(quantised if int8 else fused), options, providers=["CPUExecutionProvider"]
    )


def with_onnx(session: Any) -> InstructionEmbedder:
    """A pie-embed embedder (tokenisation, buckets, pooling) whose forward pass is ``session``."""
    embedder = InstructionEmbedder("default", precision="fp32", torch_compile=False)

    def run_model(input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any) -> Any:
        feeds = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
        return SimpleNamespace(last_hidden_state=torch.from_numpy(session.run(None, feeds)[0]))

    embedder._run_model = run_model  # type: ignore[method-assign]
    return embedder


def variants(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pie-embed fp32": InstructionEmbedder("default", precision="fp32", torch_compile=False),
        "pie-embed fp32 + compile": InstructionEmbedder("default", precision="fp32", torch_compile=True),
    }
    if bf16_supported():
        out["pie-embed bf16"] = InstructionEmbedder("default", precision="bf16", torch_compile=False)
    out["pie-embed torch int8"] = InstructionEmbedder("default", precision="int8")
    try:
        out["ONNX Runtime fp32 (fused)"] = with_onnx(onnx_session(out["pie-embed fp32"], folder, int8=False))
        out["ONNX Runtime int8 (fused)"] = with_onnx(onnx_session(out["pie-embed fp32"], folder, int8=True))
    except ImportError as error:
        print(f"skipping ONNX Runtime: {error} (bash scripts/install.sh --bench)")
    return out


def encoder_runner(embedder: InstructionEmbedder) -> Any:
    return lambda texts: embedder.encode(texts, show_progress_bar=False)


def quality(embedder: Any, ieb: Any) -> dict[str, float]:
    ict = embedder.encode(ieb.ict.texts)
    first = embedder.encode([p.text1 for p in ieb.pairs])
    second = embedder.encode([p.text2 for p in ieb.pairs])
    return {
        "ict_ari": evaluate_clustering(ict, ieb.ict.labels, seeds=10).ari_mean,
        "iis_spearman": evaluate_similarity(first, second, [p.label for p in ieb.pairs]).spearman,
    }


def measure(rounds: int) -> dict[str, Any]:
    from sentence_transformers import SentenceTransformer

    ieb = load_ieb(ROOT.parent / "shared" / "ieb", [])
    texts = ieb.ict.texts
    with tempfile.TemporaryDirectory() as folder:
        embedders = variants(Path(folder))
        st = SentenceTransformer(embedders["pie-embed fp32"].loaded.model.name_or_path, device="cpu")
        runners = {
            "sentence-transformers fp32": lambda t: st.encode(t, batch_size=32, show_progress_bar=False)
        }
        runners |= {name: encoder_runner(e) for name, e in embedders.items()}
        embedders["pie-embed fp32 + compile"].encode(texts[:256])  # compiles once, outside the timing
        speeds = interleaved_speeds(runners, texts, rounds)
        scores = {name: quality(e, ieb) for name, e in embedders.items()}
    base = speeds["sentence-transformers fp32"]
    fp32 = scores["pie-embed fp32"]
    rows = []
    for name, values in speeds.items():
        row: dict[str, Any] = {
            "variant": name,
            "texts_per_s": round(float(np.median(values)), 1),
            "rounds": [round(v, 1) for v in values],
            "vs_sentence_transformers": round(float(np.median(values) / np.median(base)), 2),
        }
        if name in scores:
            row["ict_ari"] = round(scores[name]["ict_ari"], 4)
            row["ict_ari_delta"] = round(scores[name]["ict_ari"] - fp32["ict_ari"], 4)
            row["iis_spearman_delta"] = round(scores[name]["iis_spearman"] - fp32["iis_spearman"], 4)
        rows.append(row)
    limited = os.environ.get("ATEN_CPU_CAPABILITY") == "avx2"
    isa = "avx2 (torch, oneDNN, MKL, FBGEMM limited)" if limited else "native"
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_info(),
        "isa": isa,
        "threads": torch.get_num_threads(),
        "variants": rows,
    }


def markdown(results: list[dict[str, Any]]) -> str:
    lines = []
    for result in results:
        lines += [
            f"\n{result['date']}, {machine_line(result['machine'])}, kernels: {result['isa']}, "
            f"{result['threads']} threads.\n",
            "| variant | texts/s | vs sentence-transformers | ICT ARI (delta to fp32) | IIS delta |",
            "|---|---|---|---|---|",
        ]
        for row in result["variants"]:
            quality_cells = (
                f"{row['ict_ari']:.3f} ({row['ict_ari_delta']:+.3f}) | {row['iis_spearman_delta']:+.3f}"
                if "ict_ari" in row
                else "- | -"
            )
            lines.append(
                f"| {row['variant']} | {row['texts_per_s']:,} | {row['vs_sentence_transformers']}x | "
                f"{quality_cells} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "cpu_paths")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--isa", choices=["native", "avx2"], default="native")
    args = parser.parse_args()
    if args.isa == "avx2" and os.environ.get("ATEN_CPU_CAPABILITY") != "avx2":
        command = [
            sys.executable,
            __file__,
            "--rounds",
            str(args.rounds),
            "--isa",
            "avx2",
            "--json",
            str(args.json),
        ]
        sys.exit(subprocess.call(command, env={**os.environ, **AVX2_ENV}))
    results = json.loads(args.json.read_text()) if args.json.exists() else []
    if not args.markdown:
        result = measure(args.rounds)
        results = [r for r in results if r["isa"] != result["isa"] or r["machine"] != result["machine"]] + [
            result
        ]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
