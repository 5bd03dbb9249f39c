"""Prometheus metrics of one application: counters the core feeds, figures read at scrape time.

Each :class:`AppMetrics` owns its own CollectorRegistry (never the process-wide default), so two
applications in one process, or two tests, never share counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Answers take milliseconds; a slow database or a long letter pushes some to seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

BroadcastCounts = Callable[[], Mapping[str, int] | None]


class _ScrapeTime(Collector):
    """Figures owned elsewhere (knowledge version, broadcast totals), read at each scrape."""

    def __init__(self, version: Callable[[], int], broadcasts: BroadcastCounts) -> None:
        self._version = version
        self._broadcasts = broadcasts

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "dvc_knowledge_version", "Version of the knowledge index answering now"
        )
        gauge.add_metric([], float(self._version()))
        yield gauge
        counts = self._broadcasts()
        family = CounterMetricFamily(
            "dvc_broadcast_messages",
            "Broadcast messages by final status, since this process started",
            labels=["status"],
        )
        for status, count in sorted((counts or {}).items()):
            family.add_metric([status], float(count))
        yield family


class AppMetrics:
    """Implements bot.core.observe.Metrics; ``render()`` gives the Prometheus text."""

    def __init__(
        self,
        *,
        knowledge_version: Callable[[], int] = lambda: 0,
        broadcasts: BroadcastCounts = lambda: None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._questions = Counter(
            "dvc_questions",
            "Messages handled, by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "dvc_answer_latency_seconds",
            "Time to produce an answer, by channel",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._errors = Counter("dvc_errors", "Errors by kind", ["kind"], registry=self.registry)
        self.registry.register(_ScrapeTime(knowledge_version, broadcasts))

    def question(self, channel: str, outcome: str, seconds: float) -> None:
        self._questions.labels(channel, outcome).inc()
        self._latency.labels(channel).observe(seconds)

    def error(self, kind: str, count: int = 1) -> None:
        self._errors.labels(kind).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
