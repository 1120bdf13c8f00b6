"""Task-aware changes that need no fine-tuning of the transformer, judged on the dev panel.

    .venv/bin/python benchmarks/panel_heads.py                       # heads over the base model
    .venv/bin/python benchmarks/panel_heads.py --trained DIR [DIR]   # + output ensembles with DIR
    .venv/bin/python benchmarks/panel_heads.py --markdown            # the table of results/panel_heads.json

Everything is computed from vectors embedded once (fp32, through InstructionEmbedder), so each row
costs seconds:
- `whiten lam L`: the within-task scatter of ../shared/train_other (texts of one task label, e.g. an
  SNI definition with and without its input) shrunk towards the identity, x -> (S_w + L I)^(-1/2) x;
  the directions in which one task's texts differ (their input's topic) are damped.
- `head aw A`: a learned low-rank (rank 32) linear map x -> x + x V U^T over the base vectors, trained
  with in-batch InfoNCE on train_other's task labels plus A x the squared change of cosine similarities
  between 6,000 corpus texts (the geometry anchor of the fine-tuning recipes), 1,000 steps of 256.
- `concat w W`: base and trained model side by side, sqrt(1-W) x base (+) sqrt(W) x trained vector
  (both unit length): cosine = (1-W) x base cosine + W x trained cosine; costs both forward passes.
Scores: ARI mean over `--seeds` k-means seeds per panel set (ICT over 5), IIS Spearman, deltas to the
base. Nothing is fitted on the panel or IEB test files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import script_parser

from pie_embed import InstructionEmbedder
from pie_embed.benchmark.ieb import load_ieb
from pie_embed.benchmark.machine import machine_info, machine_line
from pie_embed.benchmark.panel import PanelScore, panel_files, panel_mean
from pie_embed.benchmark.tasks import evaluate_clustering, evaluate_similarity
from pie_embed.data.readers import read_instructions
from pie_embed.embedding.normalize import unit_rows
from pie_embed.training.anchors import corpus_anchor_texts

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OTHER = ("sni_train_tasks.jsonl", "selfinstruct_seed_tasks.jsonl")
Vectors = dict[str, np.ndarray]


def embed_everything(model: str) -> tuple[Vectors, dict[str, list[Any]]]:
    """Vectors of IEB (ICT, both IIS sides), every panel set, train_other and anchor corpus texts."""
    embedder = InstructionEmbedder(model, precision="fp32")
    data = load_ieb(SHARED / "ieb", panel_files(SHARED / "generalization"))
    assert data.ict is not None and data.pairs is not None
    vectors: Vectors = {
        "ict": embedder.encode(data.ict.texts),
        "iis1": embedder.encode([p.text1 for p in data.pairs]),
        "iis2": embedder.encode([p.text2 for p in data.pairs]),
    }
    labels: dict[str, list[Any]] = {"ict": data.ict.labels, "iis": [p.label for p in data.pairs]}
    for labeled in data.clusters:
        vectors[f"panel:{Path(labeled.name).stem}"] = embedder.encode(labeled.texts)
        labels[f"panel:{Path(labeled.name).stem}"] = labeled.labels
    train_texts, train_labels = [], []
    for name in OTHER:
        dataset = read_instructions(SHARED / "train_other" / name, label_field="label", require_labels=True)
        train_texts += dataset.texts
        train_labels += [f"{name}:{label}" for label in dataset.labels]
    vectors["train"] = embedder.encode(train_texts)
    labels["train"] = train_labels
    vectors["corpus"] = embedder.encode(corpus_anchor_texts(SHARED / "corpora"))
    return vectors, labels


def score(vectors: Vectors, labels: dict[str, list[Any]], seeds: int) -> dict[str, float]:
    ict = evaluate_clustering(unit_rows(vectors["ict"]), labels["ict"], min(seeds, 5))
    iis = evaluate_similarity(unit_rows(vectors["iis1"]), unit_rows(vectors["iis2"]), labels["iis"])
    scores = [
        PanelScore("IEB ICT", "ARI", ict.ari_mean, ict.ari_std),
        PanelScore("IEB IIS", "Spearman", iis.spearman, 0.0),
    ]
    for key in sorted(k for k in vectors if k.startswith("panel:")):
        clustering = evaluate_clustering(unit_rows(vectors[key]), labels[key], seeds)
        scores.append(PanelScore(key.split(":", 1)[1], "ARI", clustering.ari_mean, clustering.ari_std))
    return {**{s.set: s.mean for s in scores}, "panel mean": panel_mean(scores)}


def mapped(vectors: Vectors, matrix: np.ndarray) -> Vectors:
    return {key: unit_rows(value) @ matrix for key, value in vectors.items()}


def whitening(vectors: Vectors, labels: dict[str, list[Any]], shrinkage: float) -> np.ndarray:
    """(S_w / mean eigenvalue + shrinkage I)^(-1/2) of train_other's within-task scatter."""
    x, task = unit_rows(vectors["train"]), np.array(labels["train"])
    scatter, counted = np.zeros((x.shape[1], x.shape[1])), 0
    for label in np.unique(task):
        rows = x[task == label]
        if len(rows) > 1:
            centred = rows - rows.mean(0)
            scatter += centred.T @ centred
            counted += len(rows)
    scatter = scatter / counted
    scatter *= x.shape[1] / np.trace(scatter)
    values, basis = np.linalg.eigh(scatter + shrinkage * np.eye(x.shape[1]))
    return basis @ np.diag(values**-0.5) @ basis.T


def learned_head(
    vectors: Vectors, labels: dict[str, list[Any]], anchor_weight: float, seed: int = 0
) -> np.ndarray:
    """I + V U^T (rank 32) trained with InfoNCE on train_other's tasks and the corpus geometry anchor."""
    import torch
    import torch.nn.functional as F

    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(unit_rows(vectors["train"]))
    _, task = np.unique(labels["train"], return_inverse=True)
    task_ids = torch.from_numpy(task)
    corpus = torch.from_numpy(unit_rows(vectors["corpus"]))
    dim = x.shape[1]
    up = torch.zeros(dim, 32, requires_grad=True)
    down = (torch.randn(dim, 32, generator=generator) * 0.01).requires_grad_()
    optimizer = torch.optim.Adam([up, down], lr=1e-3)

    def head(v: torch.Tensor) -> torch.Tensor:
        return F.normalize(v + (v @ down) @ up.T, dim=1)

    for _ in range(1000):
        rows = torch.randint(0, len(x), (256,), generator=generator)
        z, same = head(x[rows]), task_ids[rows][:, None] == task_ids[rows][None, :]
        diagonal = torch.eye(len(rows), dtype=torch.bool)
        positives = same & ~diagonal
        has = positives.any(1)
        log_p = (z @ z.T / 0.05).masked_fill(diagonal, -1e9).log_softmax(1)
        loss = -(log_p.masked_fill(~positives, 0).sum(1)[has] / positives.sum(1)[has]).mean()
        c = corpus[torch.randint(0, len(corpus), (256,), generator=generator)]
        loss = loss + anchor_weight * ((head(c) @ head(c).T - c @ c.T) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (torch.eye(dim) + down @ up.T).detach().numpy()


def measure(trained: list[str], seeds: int) -> dict[str, Any]:
    base, labels = embed_everything("default")
    rows: dict[str, dict[str, float]] = {"base": score(base, labels, seeds)}
    for shrinkage in (0.3, 1.0, 3.0):
        rows[f"whiten lam {shrinkage}"] = score(
            mapped(base, whitening(base, labels, shrinkage)), labels, seeds
        )
    for anchor_weight in (10.0, 100.0):
        matrix = learned_head(base, labels, anchor_weight)
        rows[f"head aw {anchor_weight:g}"] = score(mapped(base, matrix), labels, seeds)
    for folder in trained:
        tuned, _ = embed_everything(folder)
        name = Path(folder).name
        rows[name] = score(tuned, labels, seeds)
        for weight in (0.5, 0.7):
            joined = {
                k: np.hstack(
                    [np.sqrt(1 - weight) * unit_rows(base[k]), np.sqrt(weight) * unit_rows(tuned[k])]
                )
                for k in base
            }
            rows[f"concat w {weight}: base + {name}"] = score(joined, labels, seeds)
    return {"date": time.strftime("%Y-%m-%d"), "machine": machine_info(), "seeds": seeds, "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    rows = result["rows"]
    base = rows["base"]
    sets = list(base)
    lines = [
        f"{result['date']}, {machine_line(result['machine'])}; ARI means over {result['seeds']} "
        "k-means seeds (ICT over 5), deltas to the base in brackets.\n",
        "| row | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for name, scores in rows.items():
        cells = [
            f"{scores[s]:.3f}" if name == "base" else f"{scores[s]:.3f} ({scores[s] - base[s]:+.3f})"
            for s in sets
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = script_parser(__doc__, "panel_heads")
    parser.add_argument(
        "--trained", nargs="*", default=[], help="trained model folders to ensemble with the base"
    )
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    if not args.markdown:
        result = measure(args.trained, args.seeds)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(json.loads(args.json.read_text())))


if __name__ == "__main__":
    main()
