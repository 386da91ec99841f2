"""Issue point 9 (second half): a camera opened by one process is busy for every other process,
and the lock dies with the process (kill -9 frees it)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from genicam.gentl import DEVICE_ACCESS_STATUS_LIST as STATUS
from sim_controls import new_harvester, sim_camera, sim_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("sim_env")

HOLDER = """
    index = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("HOLD_INDEX", "0"))
    h = new_harvester()
    ia = h.create(index)
    ia.remote_device.node_map.Height.value = 64
    if os.environ.get("HOLD_STREAM"):
        ia.start()
        ia.fetch(timeout=5).queue()
    print("HOLDING", flush=True)
    sys.stdin.readline()  # until the parent closes stdin, or we are killed
    ia.destroy(); h.reset()
    print("RELEASED", flush=True)
"""


def _spawn_holder(**env: str) -> subprocess.Popen:
    import sys as _sys

    from sim_controls import child_env, child_script

    proc = subprocess.Popen([_sys.executable, "-c", child_script(HOLDER)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(**env))
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("HOLDING") or not line:
            break
    if not line.startswith("HOLDING"):
        proc.kill()
        raise AssertionError(f"holder did not open the camera: {proc.stderr.read()[-2000:]}")
    return proc


def _statuses() -> list[int]:
    h = new_harvester()
    try:
        return [int(d.access_status) for d in h.device_info_list]
    finally:
        h.reset()


def _open_fails_with_access_denied(index: int = 0) -> None:
    from genicam.gentl import AccessDeniedException

    h = new_harvester()
    try:
        with pytest.raises(AccessDeniedException):
            ia = h.create(index)
            ia.destroy()
    finally:
        h.reset()


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_camera_open_in_another_process_is_busy_and_cannot_be_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACE_SIM_CAMERAS", "2")
    assert _statuses() == [STATUS.DEVICE_ACCESS_STATUS_READWRITE] * 2
    holder = _spawn_holder(HOLD_INDEX="0")
    try:
        assert _statuses() == [STATUS.DEVICE_ACCESS_STATUS_BUSY, STATUS.DEVICE_ACCESS_STATUS_READWRITE]
        _open_fails_with_access_denied(0)
        # the other camera is free and works
        with sim_camera(1, height=64) as cam:
            cam.start()
            assert cam.fetch().frame_id == 1
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert "RELEASED" in holder.stdout.read()
    assert _statuses() == [STATUS.DEVICE_ACCESS_STATUS_READWRITE] * 2, "a closed camera is free again"


def test_interface_node_map_reports_busy() -> None:
    from gentl_consumer import node_map_of

    holder = _spawn_holder()
    try:
        h = new_harvester()
        try:
            iface = h.device_info_list[0].parent  # the GenTL Interface Harvesters opened
            nm, _port = node_map_of(iface.port)
            nm.get_node("DeviceUpdateList").execute()
            nm.get_node("DeviceSelector").value = 0
            assert nm.get_node("DeviceAccessStatus").value == "Busy"
            del nm, _port
        finally:
            h.reset()
    finally:
        _kill(holder)


@pytest.mark.parametrize("streaming", [False, True])
def test_a_killed_holder_frees_the_camera(streaming: bool) -> None:
    env = {"HOLD_STREAM": "1"} if streaming else {}
    holder = _spawn_holder(**env)
    try:
        _open_fails_with_access_denied(0)
    finally:
        _kill(holder)
    assert holder.returncode == -signal.SIGKILL
    assert _statuses() == [STATUS.DEVICE_ACCESS_STATUS_READWRITE]
    with sim_camera(height=64) as cam:
        cam.start()
        assert cam.fetch().frame_id == 1


def test_open_in_this_process_is_not_busy_for_this_process_after_close() -> None:
    with sim_camera(height=64):
        pass
    with sim_camera(height=64) as cam:
        cam.start()
        assert cam.fetch().frame_id == 1
