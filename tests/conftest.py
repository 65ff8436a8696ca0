"""Shared test setup: hypothesis profiles and the `slow` marker.

- ``--hypothesis-profile ci`` (default): few examples, fast.
- ``--hypothesis-profile long``: thousands of examples (also runs generated test files).
- ``@pytest.mark.slow`` tests are skipped unless ``--runslow`` or ``LAZYGEN_SLOW=1``.
"""

from __future__ import annotations

import os
import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover
    settings = None

if settings is not None:
    settings.register_profile(
        "ci",
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        derandomize=True,
    )
    settings.register_profile(
        "long",
        max_examples=2000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running checks (run with --runslow)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or os.environ.get("LAZYGEN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or LAZYGEN_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def hypothesis_profile() -> str:
    """The active hypothesis profile's name."""

    return settings._current_profile if settings is not None else "ci"
