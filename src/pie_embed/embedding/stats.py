"""What one embedding call did (importable without torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EncodeStats"]


@dataclass
class EncodeStats:
    """What one :meth:`InstructionEmbedder.encode_with_stats` call did."""

    count: int = 0
    unique: int = 0  # distinct texts actually run through the model
    truncated: int = 0
    batches: int = 0
    seconds: float = 0.0
    tokens: list[int] = field(default_factory=list)  # tokens run per input text (after any truncation)

    @property
    def texts_per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0
