"""Every notebook in notebooks/ runs from top to bottom against the simulated camera, without an error."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
#: Each notebook is meant to take well under 30 s; this bound only catches one that hangs or crawls.
LIMIT_S = 60


def simulator_state() -> dict[str, bytes]:
    """The simulator's saved state (user sets, UserSetDefault, DeviceUserID, power-up states) by file name.

    conftest.py gives the test session its own ACE_SIM_STATE_DIR, which the notebooks' kernels inherit.
    """
    folder = Path(os.environ["ACE_SIM_STATE_DIR"])
    return {file.name: file.read_bytes() for file in sorted(folder.glob("*")) if file.is_file()}


def test_the_four_notebooks_are_there() -> None:
    names = [path.stem for path in NOTEBOOKS]
    assert names == ["01_quick_start", "02_live_view", "03_hardware_trigger_chunks", "04_bluesky"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code"), \
        "commit notebooks without outputs"
    shutil.copy(path, tmp_path)  # run where it may write its files
    client = NotebookClient(book, timeout=LIMIT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    state_before = simulator_state()
    started = time.monotonic()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    elapsed = time.monotonic() - started
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".h5")
    assert left == [path.name], f"{path.name} left files behind: {left}"
    assert simulator_state() == state_before, "the notebook changed what the simulator starts with"
    assert elapsed < LIMIT_S, f"{path.name} took {elapsed:.0f} s"
    errors = [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert errors == []
    images = sum(1 for cell in book.cells if cell.cell_type == "code" for out in cell.outputs
                 if out.output_type in ("display_data", "execute_result") and "image/png" in out.get("data", {}))
    assert images >= 1, "every notebook shows at least one plot"
    assert list(tmp_path.glob("*.h5")), "every notebook records a file"
