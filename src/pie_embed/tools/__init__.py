"""Tools over instruction embeddings: selection, demonstration retrieval, task correlation,
task identification and task maps."""

from pie_embed.tools.correlate import CorrelationResult, correlate_files, correlate_vectors
from pie_embed.tools.identify import Identification, TaskBank, TaskIdentifier
from pie_embed.tools.neighbors import ExactIndex, FaissHNSWIndex, NeighborIndex, build_index
from pie_embed.tools.records import FilteredRecord, RecordSelection, select_records
from pie_embed.tools.retrieve import DemonstrationIndex, few_shot_prompt, leave_one_out_precision
from pie_embed.tools.select import SelectionResult, select_file, select_instructions
from pie_embed.tools.task_map import build_task_map, map_file
from pie_embed.tools.vectors import EmbeddedDataset, embed_dataset

__all__ = [
    "CorrelationResult",
    "DemonstrationIndex",
    "EmbeddedDataset",
    "ExactIndex",
    "FilteredRecord",
    "FaissHNSWIndex",
    "Identification",
    "NeighborIndex",
    "RecordSelection",
    "SelectionResult",
    "TaskBank",
    "TaskIdentifier",
    "build_index",
    "build_task_map",
    "correlate_files",
    "correlate_vectors",
    "embed_dataset",
    "few_shot_prompt",
    "leave_one_out_precision",
    "map_file",
    "select_file",
    "select_instructions",
    "select_records",
]
