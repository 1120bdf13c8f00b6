"""The options the commands share, as annotated types: ``model: options.Model = DEFAULTS.model``."""

from __future__ import annotations

from typing import Annotated

import typer

Model = Annotated[str, typer.Option("--model", "-m", help="Alias, local directory or HF id.")]
Fast = Annotated[
    bool,
    typer.Option(
        "--fast",
        help="On large inputs (50k rows or more) use the static tier pie-static instead of the default "
        "model; the choice is printed. A model named with -m is kept.",
    ),
]
Prompt = Annotated[
    str | None,
    typer.Option(
        "--prompt",
        "-p",
        help="Preset (none, pie, pie-short, prompteol, pie-mask) or template. Default: the model's own "
        "(recorded by pie train), else none.",
    ),
]
Pooling = Annotated[
    str | None,
    typer.Option("--pooling", help="cls, mean, last, last-2, last-2-norm, last-and-first, mid, mask."),
]
Batch = Annotated[int, typer.Option("--batch-size", "-b", min=1)]
Field = Annotated[str, typer.Option("--field", help="Column holding the instruction.")]
InputField = Annotated[str, typer.Option("--input-field", help="Column holding the input.")]
LabelField = Annotated[str, typer.Option("--label-field", help="Column holding the label.")]
Join = Annotated[
    str,
    typer.Option(
        "--join",
        help="How the input joins the instruction: none, newline, space or a template with {instruction} "
        "and {input}.",
    ),
]
Split = Annotated[str | None, typer.Option("--split", help="Split of a saved DatasetDict.")]
Precision = Annotated[
    str,
    typer.Option(
        "--precision",
        help="auto (bf16 where the CPU has AMX/AVX512-BF16, else fp32; PIE_PRECISION overrides), fp32, "
        "bf16, or int8 (dynamically quantised linear layers: 2.5x fp32 on AVX2 kernels, 4.3x with AVX-512 "
        "VNNI; ICT/IIS within 0.01 but dev-panel mean -0.025).",
    ),
]
Engine = Annotated[
    str, typer.Option("--engine", help="local, or ray (Ray actors; a local Ray unless --ray-address).")
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Model actors for --engine ray.")]
RayAddress = Annotated[
    str | None, typer.Option("--ray-address", help="Ray cluster to run on, e.g. ray://head:10001.")
]
InstructionOnly = Annotated[
    bool, typer.Option("--instruction-only", help="Mean pooling over the instruction's own tokens only.")
]
