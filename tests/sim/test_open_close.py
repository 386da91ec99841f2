"""100 open/close cycles leak neither memory, file descriptors nor threads.

Through the raw GenTL path: Harvesters itself keeps ~410 KiB per ImageAcquirer alive
(weakref.finalize on bound methods), which ace_gentl.Session works around and tests
separately (tests/test_session.py)."""

from __future__ import annotations

import gc

import pytest

from gentl_consumer import gentl_rig, gentl_stream, open_fd_count, process_rss_bytes, thread_count

CYCLES = 100


def _cycle_gentl() -> None:
    with gentl_rig() as rig:
        rig.remote.get_node("Height").value = 64
        with gentl_stream(rig, num_buffers=2) as stream:
            stream.start()
            stream.next()


@pytest.mark.slow
def test_gentl_open_close_cycles_do_not_grow() -> None:
    for _ in range(5):  # warm up caches and allocator pools
        _cycle_gentl()
    gc.collect()
    rss0, fds0, threads0 = process_rss_bytes(), open_fd_count(), thread_count()
    for _ in range(CYCLES):
        _cycle_gentl()
    gc.collect()
    grown = process_rss_bytes() - rss0
    assert grown < 5 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over {CYCLES} cycles"
    assert open_fd_count() == fds0
    assert thread_count() == threads0
