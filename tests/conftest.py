"""Session-wide test setup: the simulated camera keeps its state (user sets, busy locks) in a
temporary folder, never in the user's ~/.cache.  Set before any producer is loaded, because
the producer reads ACE_SIM_STATE_DIR when it creates its cameras."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if "ACE_SIM_STATE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="ace_sim_state_")
        os.environ["ACE_SIM_STATE_DIR"] = folder
        config.add_cleanup(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
