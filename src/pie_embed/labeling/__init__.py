"""Task labels: the IEB ``verb|noun`` category of an instruction, from its syntax."""

from pie_embed.labeling.agreement import LabelAgreement, label_agreement, read_gold_labels
from pie_embed.labeling.dataset import IEBDataset, LabelingStats, build_ieb_dataset, find_test_overlap
from pie_embed.labeling.labeler import TaskLabeler
from pie_embed.labeling.rules import TaskLabel
from pie_embed.labeling.synonyms import WordNetSynonyms, merge_synonym_labels

__all__ = [
    "IEBDataset",
    "LabelAgreement",
    "LabelingStats",
    "TaskLabel",
    "TaskLabeler",
    "WordNetSynonyms",
    "build_ieb_dataset",
    "find_test_overlap",
    "label_agreement",
    "merge_synonym_labels",
    "read_gold_labels",
]
