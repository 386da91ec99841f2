"""Run files that used to crash or stall ``record``: one line, exit 1, at once, and no file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from faults.campaign import run_cli

BASE = '[producer]\nsim = true\n[features]\nHeight = 32\n[acquisition]\nframes = 2\n'


@pytest.mark.parametrize(("text", "message"), [
    ('title = "dark\\u0000frames"\n' + BASE, "title: contains a NUL character"),
    (BASE + '[metadata]\noperator = "A. Scientist\\u0000"\n', "[metadata] operator: contains a NUL character"),
    (BASE + '[metadata]\n"sample\\u0000" = "S-17"\n', "[metadata]: the key 'sample\\x00' contains a NUL character"),
    (BASE + "[metadata]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply to read"),
    (BASE + '[output]\npath = "{run:099999d}.h5"\n', "{run} takes a zero-padded width of at most 12 digits"),
    (BASE + '[output]\npath = "{run:999999999d}.h5"\n', "{run} takes a zero-padded width of at most 12 digits"),
], ids=["nul-title", "nul-metadata-value", "nul-metadata-key", "nested-5000", "run-width-99999",
        "run-width-999999999"])
def test_a_bad_run_file_is_one_line_and_leaves_nothing(tmp_path: Path, text: str, message: str) -> None:
    run = tmp_path / "run.toml"
    run.write_text(text, encoding="utf-8")
    ran = run_cli("record", run, "-q", cwd=tmp_path, timeout=30)
    assert ran.returncode == 1, ran.stdout
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {run}: ") and message in lines[0], ran.stderr
    assert ran.seconds < 10  # {run:999999999d} used to build a 1 GB name for 18 s
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]  # no stub .h5, .reserve or .lock
