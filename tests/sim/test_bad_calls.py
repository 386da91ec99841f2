"""Bad GenTL calls through ctypes return the right error and never crash the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ace_gentl.sim import cti_path

SCRIPT = Path(__file__).resolve().parents[1] / "badcalls_script.py"


@pytest.fixture(scope="module")
def results() -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(SCRIPT.parent))
    proc = subprocess.run([sys.executable, str(SCRIPT), str(cti_path())], capture_output=True, text=True,
                          timeout=120, env=env)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, f"child died with {proc.returncode}; last calls: {lines[-3:]}\n{proc.stderr[-3000:]}"
    assert lines and lines[-1] == {"done": True}, f"script did not finish: {proc.stderr[-2000:]}"
    return lines[:-1]


def test_every_bad_call_returns_its_error(results: list[dict]) -> None:
    wrong = []
    for r in results:
        expected = r["expected"] if isinstance(r["expected"], list) else [r["expected"]]
        if r["got"] not in expected:
            wrong.append(f"{r['call']}: expected {expected}, got {r['got']} ({r['last_error']})")
    assert not wrong, "\n".join(wrong)
    assert len(results) > 50


def test_every_error_has_a_last_error_text(results: list[dict]) -> None:
    failing = [r for r in results if r["got"] != "SUCCESS"]
    assert failing
    missing = [r["call"] for r in failing if not r["last_error"] or r["last_error_code"] != r["got"]]
    assert not missing, f"GCGetLastError gave no text or another code after: {missing}"
