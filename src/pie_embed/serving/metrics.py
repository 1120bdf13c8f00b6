"""Prometheus metrics of one server: requests, latency, batch sizes and queue depth."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


class ServerMetrics:
    """Counters and histograms in a registry of their own (several servers can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pie_requests",
            "HTTP requests by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pie_request_duration_seconds",
            "Time from request to the end of the response.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inputs = Counter(
            "pie_inputs", "Texts received, by endpoint.", ["endpoint"], registry=self.registry
        )
        self.tokens = Counter(
            "pie_tokens", "Tokens run through the model, by endpoint.", ["endpoint"], registry=self.registry
        )
        self.batch_texts = Histogram(
            "pie_batch_size", "Texts per model call.", buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.batch_requests = Histogram(
            "pie_batch_requests",
            "Requests merged into one model call.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "pie_batch_duration_seconds",
            "Time of one model call.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge("pie_queue_depth", "Texts waiting for a model call.", registry=self.registry)
        self.rejected = Counter(
            "pie_rejected",
            "Requests turned away before the model, by reason.",
            ["reason"],
            registry=self.registry,
        )

    def observe_batch(self, texts: int, requests: int, seconds: float) -> None:
        self.batch_texts.observe(texts)
        self.batch_requests.observe(requests)
        self.batch_seconds.observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
