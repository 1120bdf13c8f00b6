"""`pie label`: IEB task categories (`verb|noun`) for instructions, or agreement with gold labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pie_embed.cli import options
from pie_embed.cli.app import app, console, data_source, friendly_errors


@app.command()
@friendly_errors
def label(
    input_path: Annotated[
        Path | None, typer.Argument(help="Instructions: JSON, JSONL, CSV, Parquet or saved HF dataset.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Rows with their labels (.jsonl/.json/.csv/.parquet; default <input stem>.labeled.jsonl), "
            "or with --ieb-format an IEB label dict (.json; default <input stem>.ieb.json).",
        ),
    ] = None,
    ieb_format: Annotated[
        bool, typer.Option("--ieb-format", help="Write an IEB-style benchmark: {label: {number, samples}}.")
    ] = False,
    field: options.Field = "instruction",
    input_field: options.InputField = "input",
    split: options.Split = None,
    min_count: Annotated[
        int, typer.Option("--min-count", min=1, help="Leave out labels with fewer instructions.")
    ] = 1,
    no_merge: Annotated[
        bool, typer.Option("--no-merge-synonyms", help="Keep WordNet-synonym labels apart.")
    ] = False,
    test_size: Annotated[
        float, typer.Option("--test-size", min=0.0, max=0.99, help="Share for a stratified test part.")
    ] = 0.0,
    test_output: Annotated[
        Path | None, typer.Option("--test-output", help="Test part file (default <output stem>.test.json).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/test split.")] = 0,
    check_overlap: Annotated[
        list[Path] | None,
        typer.Option(
            "--check-overlap",
            help="Test file whose instructions are left out; repeatable. Default: the IEB test files in "
            "$PIE_DATA/ieb or ~/.local/share/pie_embed/ieb, where there are any.",
        ),
    ] = None,
    no_overlap_check: Annotated[
        bool, typer.Option("--no-overlap-check", help="Do not look for the instructions in test files.")
    ] = False,
    evaluate: Annotated[
        Path | None,
        typer.Option(
            "--evaluate",
            help="Label this gold file (IEB label dict, IIS pairs, labeled JSONL) and score agreement.",
        ),
    ] = None,
    label_field: options.LabelField = "label",
    batch_size: options.Batch = 256,
    n_process: Annotated[int, typer.Option("--n-process", min=1, help="spaCy worker processes.")] = 1,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse or keep labels on disk.")
    ] = False,
) -> None:
    """Give each instruction its IEB task category (verb|noun), or score the labeler against gold labels."""
    from pie_embed.benchmark.files import ieb_test_files
    from pie_embed.data.records import write_records
    from pie_embed.errors import ConfigError
    from pie_embed.labeling import TaskLabeler, build_ieb_dataset, label_agreement, read_gold_labels
    from pie_embed.labeling.agreement import agreement_rows
    from pie_embed.labeling.dataset import labeled_rows
    from pie_embed.labeling.report import agreement_table, confusion_table, stats_table

    if evaluate is None and input_path is None:
        raise ConfigError("give INPUT to label, or --evaluate GOLD to score against gold labels")
    if evaluate is not None and input_path is not None:
        raise ConfigError("--evaluate labels the gold file itself; leave out INPUT")
    labeler = TaskLabeler(batch_size=batch_size, n_process=n_process, cache=not no_cache)
    if evaluate is not None:
        texts, gold = read_gold_labels(evaluate, field=field, label_field=label_field)
        predicted = labeler.label_many(texts, show_progress=True)
        agreement = label_agreement(texts, predicted, gold)
        console.print(agreement_table(agreement, f"agreement with {evaluate}"))
        console.print(confusion_table(agreement))
        if output is not None:
            write_records(output, agreement_rows(texts, predicted, gold))
            console.print(f"wrote {output}")
        return
    assert input_path is not None
    if output is None:
        output = Path(input_path.stem + (".ieb.json" if ieb_format else ".labeled.jsonl"))
    if no_overlap_check:
        test_files: list[Path] = []
    else:
        test_files = check_overlap if check_overlap is not None else ieb_test_files(excluding=input_path)
        if not test_files and ieb_format:
            console.print(
                "note: no IEB test files found ($PIE_DATA/ieb or ~/.local/share/pie_embed/ieb), so no "
                "overlap with them was checked; name test files with --check-overlap"
            )
    dataset = data_source(input_path, field, input_field, split=split).check().read()
    labels = labeler.label_many(dataset.texts, show_progress=True)
    built = build_ieb_dataset(
        dataset.records,
        labels,
        min_count=min_count,
        merge_synonyms=not no_merge,
        test_size=test_size,
        seed=seed,
        test_files=test_files,
        input_field=input_field,
    )
    rows = labeled_rows(dataset.records, labels, built)
    if ieb_format:
        written = built.write(output, test_output, rows=rows)
    else:
        write_records(output, rows)
        written = [output]
    console.print(stats_table(built.stats))  # after writing: a path that cannot be written is the one line
    console.print("wrote " + ", ".join(str(path) for path in written))
