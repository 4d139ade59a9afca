"""The start page tells the truth about what the simulator models."""

from pathlib import Path

import pytest

from playground.web.features import FEATURES

ROOT = Path(__file__).resolve().parents[3]


def test_start_page_lists_what_the_simulator_models(client):
    """The start page names both brokers and every modelled feature, escaped."""
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "RabbitMQ" in body and "Kafka" in body
    for broker in FEATURES:
        for item in broker.items:
            assert item.test in body


@pytest.mark.parametrize("item", [i for b in FEATURES for i in b.items], ids=lambda i: i.name)
def test_every_listed_feature_names_a_test_that_exists(item):
    """A feature on the start page points at a test module that exists and has tests."""
    path = ROOT / item.test
    assert path.is_file(), f"{item.name}: {item.test} does not exist"
    assert "def test_" in path.read_text()


def test_start_page_lists_at_least_both_brokers():
    """The feature table covers RabbitMQ and Kafka."""
    assert {b.name for b in FEATURES} >= {"RabbitMQ", "Kafka"}
