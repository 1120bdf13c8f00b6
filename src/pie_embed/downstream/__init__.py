"""Downstream benchmarks: what task-aware embeddings do for an LLM (in-context learning with retrieved
demonstrations), for data selection (task coverage) and for test-set compression (ranking agreement)."""

from pie_embed.downstream.compression import CompressionResult, compress_test_set
from pie_embed.downstream.coverage import CoverageResult, LabeledPool, selection_coverage
from pie_embed.downstream.generator import Generator, TransformersGenerator, load_generator
from pie_embed.downstream.icl import ICLResult, ICLSettings, run_icl
from pie_embed.downstream.induction import ICLSplit, build_icl_split, load_induction
from pie_embed.downstream.pickers import DemonstrationPicker

__all__ = [
    "CompressionResult",
    "CoverageResult",
    "DemonstrationPicker",
    "Generator",
    "ICLResult",
    "ICLSettings",
    "ICLSplit",
    "LabeledPool",
    "TransformersGenerator",
    "build_icl_split",
    "compress_test_set",
    "load_generator",
    "load_induction",
    "run_icl",
    "selection_coverage",
]
