"""What the core reports for monitoring, without knowing how it is exported.

The composition root passes an implementation (bot.metrics.AppMetrics, Prometheus); tests and
tools get :data:`NO_METRICS`, which counts nothing.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    def question(self, channel: str, outcome: str, seconds: float) -> None:
        """One message handled on ``channel`` with ``outcome``, in ``seconds``."""

    def error(self, kind: str, count: int = 1) -> None:
        """Something went wrong that an operator should see counted (e.g. "answer_failed")."""


class NoMetrics:
    def question(self, channel: str, outcome: str, seconds: float) -> None:
        pass

    def error(self, kind: str, count: int = 1) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
