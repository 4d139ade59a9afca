"""What the simulator models, as shown on the start page.

Each item names the test module that checks it; tests/playground/test_features.py fails
when a named module is missing, so the page cannot claim what no test checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Feature:
    name: str
    detail: str
    test: str  # path of the test module, relative to the repository root


@dataclass(frozen=True)
class BrokerFeatures:
    name: str
    metaphor: str
    css: str
    items: list[Feature]
    left_out: list[str] = field(default_factory=list)


FEATURES: list[BrokerFeatures] = []
