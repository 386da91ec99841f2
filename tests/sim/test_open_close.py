"""100 open/close cycles leak neither memory, file descriptors nor threads."""

from __future__ import annotations

import gc

import pytest

from simrig import gentl_rig, gentl_stream, harvester, open_fd_count, process_rss_bytes, thread_count

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


@pytest.mark.slow
def test_harvesters_create_destroy_cycles_do_not_grow() -> None:
    with harvester() as h:
        def cycle() -> None:
            ia = h.create(0)
            try:
                ia.remote_device.node_map.Height.value = 64
                ia.start()
                with ia.fetch(timeout=5):
                    pass
                ia.stop()
            finally:
                ia.destroy()

        for _ in range(5):
            cycle()
        gc.collect()
        rss0, fds0, threads0 = process_rss_bytes(), open_fd_count(), thread_count()
        for _ in range(CYCLES):
            cycle()
        gc.collect()
        grown = process_rss_bytes() - rss0
        assert grown < 5 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over {CYCLES} cycles"
        assert open_fd_count() == fds0
        assert thread_count() == threads0
