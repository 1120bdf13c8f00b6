"""Tools over instruction embeddings: deduplication, selection, demonstration retrieval, task correlation,
task identification and task maps.

Names load on first use, so a tool run on a static model never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pie_embed.lazy import lazy_exports

if TYPE_CHECKING:
    from pie_embed.tools.correlate import CorrelationResult, correlate_files, correlate_vectors
    from pie_embed.tools.dedup import approximate_filter
    from pie_embed.tools.deduplicate import (
        DeduplicationResult,
        DuplicateRecord,
        OutlierRecord,
        dedup_file,
        deduplicate,
    )
    from pie_embed.tools.duplicates import (
        Duplicates,
        Outliers,
        Removal,
        find_duplicates,
        find_outliers,
        find_removals,
    )
    from pie_embed.tools.identify import Identification, TaskBank, TaskIdentifier
    from pie_embed.tools.neighbors import ExactIndex, FaissHNSWIndex, NeighborIndex, build_index
    from pie_embed.tools.records import FilteredRecord, RecordSelection, select_records
    from pie_embed.tools.retrieve import DemonstrationIndex, few_shot_prompt, leave_one_out_precision
    from pie_embed.tools.select import SelectionResult, select_file, select_instructions
    from pie_embed.tools.task_map import build_task_map, map_file
    from pie_embed.tools.toolkit import ServingToolkit
    from pie_embed.tools.vectors import EmbeddedDataset, EmbeddedRows, embed_dataset, embed_rows

_LAZY = {
    "CorrelationResult": "correlate",
    "correlate_files": "correlate",
    "correlate_vectors": "correlate",
    "Identification": "identify",
    "TaskBank": "identify",
    "TaskIdentifier": "identify",
    "ExactIndex": "neighbors",
    "FaissHNSWIndex": "neighbors",
    "NeighborIndex": "neighbors",
    "build_index": "neighbors",
    "FilteredRecord": "records",
    "RecordSelection": "records",
    "select_records": "records",
    "DemonstrationIndex": "retrieve",
    "few_shot_prompt": "retrieve",
    "leave_one_out_precision": "retrieve",
    "SelectionResult": "select",
    "select_file": "select",
    "select_instructions": "select",
    "build_task_map": "task_map",
    "ServingToolkit": "toolkit",
    "map_file": "task_map",
    "EmbeddedDataset": "vectors",
    "EmbeddedRows": "vectors",
    "embed_dataset": "vectors",
    "embed_rows": "vectors",
    "approximate_filter": "dedup",
    "DeduplicationResult": "deduplicate",
    "DuplicateRecord": "deduplicate",
    "OutlierRecord": "deduplicate",
    "dedup_file": "deduplicate",
    "deduplicate": "deduplicate",
    "Duplicates": "duplicates",
    "Outliers": "duplicates",
    "find_duplicates": "duplicates",
    "find_outliers": "duplicates",
    "Removal": "duplicates",
    "find_removals": "duplicates",
}
__all__ = [
    "CorrelationResult",
    "DeduplicationResult",
    "DuplicateRecord",
    "Duplicates",
    "OutlierRecord",
    "Outliers",
    "Removal",
    "dedup_file",
    "deduplicate",
    "find_duplicates",
    "find_outliers",
    "find_removals",
    "DemonstrationIndex",
    "EmbeddedDataset",
    "EmbeddedRows",
    "ExactIndex",
    "FaissHNSWIndex",
    "FilteredRecord",
    "Identification",
    "NeighborIndex",
    "RecordSelection",
    "SelectionResult",
    "ServingToolkit",
    "TaskBank",
    "TaskIdentifier",
    "approximate_filter",
    "build_index",
    "build_task_map",
    "correlate_files",
    "correlate_vectors",
    "embed_dataset",
    "embed_rows",
    "few_shot_prompt",
    "leave_one_out_precision",
    "map_file",
    "select_file",
    "select_instructions",
    "select_records",
]


__getattr__, __dir__ = lazy_exports(__name__, {name: f".{module}" for name, module in _LAZY.items()})
