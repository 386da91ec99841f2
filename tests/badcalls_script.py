"""Makes bad GenTL calls against a producer and prints one JSON line per call.

Run in a child process by tests/sim/test_bad_calls.py, so that a crash shows up as a
failed test (with every line printed before it) instead of killing the test run.
Usage: python badcalls_script.py PATH.cti
"""

from __future__ import annotations

import ctypes as C
import json
import sys

from gentl_ctypes import (ACQ_QUEUE_ALL_DISCARD, ACQ_STOP_FLAGS_KILL, DEVICE_ACCESS_EXCLUSIVE,
                          EVENT_NEW_BUFFER, GC_ERR, STRING, TL_INFO_VENDOR, Producer)


def main(path: str) -> None:
    p = Producer(path)

    def check(name: str, expected: str | tuple[str, ...], rc: int) -> None:
        code, text = p.last_error() if rc != 0 else (0, "")
        print(json.dumps({"call": name, "expected": expected, "got": GC_ERR.get(rc, str(rc)),
                          "last_error_code": GC_ERR.get(code, str(code)), "last_error": text}), flush=True)

    size = C.c_size_t(0)
    dtype = C.c_int32(0)
    handle = C.c_void_p()
    garbage = C.c_void_p(0xDEADBEEF0)

    # Before GCInitLib
    check("TLOpen before GCInitLib", "NOT_INITIALIZED", p.TLOpen(C.byref(handle)))
    check("GCInitLib", "SUCCESS", p.GCInitLib())
    check("GCInitLib twice", ("RESOURCE_IN_USE", "SUCCESS"), p.GCInitLib())

    # System module
    check("TLOpen(NULL)", "INVALID_PARAMETER", p.TLOpen(None))
    tl = C.c_void_p()
    check("TLOpen", "SUCCESS", p.TLOpen(C.byref(tl)))
    check("TLOpen twice", "RESOURCE_IN_USE", p.TLOpen(C.byref(handle)))
    check("TLGetInfo(NULL handle)", "INVALID_HANDLE", p.TLGetInfo(None, TL_INFO_VENDOR, C.byref(dtype), None, C.byref(size)))
    check("TLGetInfo(garbage handle)", "INVALID_HANDLE", p.TLGetInfo(garbage, TL_INFO_VENDOR, C.byref(dtype), None, C.byref(size)))
    check("TLGetInfo(piSize NULL)", "INVALID_PARAMETER", p.TLGetInfo(tl, TL_INFO_VENDOR, C.byref(dtype), None, None))
    check("TLGetInfo(unknown cmd)", "NOT_IMPLEMENTED", p.TLGetInfo(tl, 777, C.byref(dtype), None, C.byref(size)))
    small = C.create_string_buffer(2)
    size.value = 2
    check("TLGetInfo(buffer too small)", "BUFFER_TOO_SMALL", p.TLGetInfo(tl, TL_INFO_VENDOR, C.byref(dtype), small, C.byref(size)))
    n = C.c_uint32(0)
    check("TLGetNumInterfaces(NULL out)", "INVALID_PARAMETER", p.TLGetNumInterfaces(tl, None))
    check("TLUpdateInterfaceList", "SUCCESS", p.TLUpdateInterfaceList(tl, None, 100))
    check("TLGetNumInterfaces", "SUCCESS", p.TLGetNumInterfaces(tl, C.byref(n)))
    check("TLGetInterfaceID(index out of range)", ("INVALID_INDEX", "INVALID_PARAMETER"),
          p.TLGetInterfaceID(tl, n.value + 5, None, C.byref(size)))
    check("TLOpenInterface(unknown id)", "INVALID_ID", p.TLOpenInterface(tl, b"no-such-interface", C.byref(handle)))
    check("TLOpenInterface(NULL id)", "INVALID_PARAMETER", p.TLOpenInterface(tl, None, C.byref(handle)))
    size.value = 0
    p.TLGetInterfaceID(tl, 0, None, C.byref(size))
    if_id_buf = C.create_string_buffer(size.value)
    check("TLGetInterfaceID", "SUCCESS", p.TLGetInterfaceID(tl, 0, if_id_buf, C.byref(size)))
    if_id = if_id_buf.value.decode()

    iface = C.c_void_p()
    check("TLOpenInterface", "SUCCESS", p.TLOpenInterface(tl, if_id.encode(), C.byref(iface)))
    check("IFUpdateDeviceList", "SUCCESS", p.IFUpdateDeviceList(iface, None, 100))
    check("IFGetDeviceID(bad index)", ("INVALID_INDEX", "INVALID_PARAMETER"), p.IFGetDeviceID(iface, 99, None, C.byref(size)))
    check("IFOpenDevice(unknown id)", "INVALID_ID", p.IFOpenDevice(iface, b"nope", DEVICE_ACCESS_EXCLUSIVE, C.byref(handle)))
    check("IFOpenDevice(NULL out)", "INVALID_PARAMETER", p.IFOpenDevice(iface, b"nope", DEVICE_ACCESS_EXCLUSIVE, None))
    size.value = 0
    p.IFGetDeviceID(iface, 0, None, C.byref(size))
    dev_id = C.create_string_buffer(size.value)
    p.IFGetDeviceID(iface, 0, dev_id, C.byref(size))
    check("IFOpenDevice(bad flags)", ("INVALID_PARAMETER", "ACCESS_DENIED", "NOT_IMPLEMENTED"),
          p.IFOpenDevice(iface, dev_id.value, 99, C.byref(handle)))
    dev = C.c_void_p()
    check("IFOpenDevice", "SUCCESS", p.IFOpenDevice(iface, dev_id.value, DEVICE_ACCESS_EXCLUSIVE, C.byref(dev)))
    check("IFOpenDevice again", ("RESOURCE_IN_USE", "ACCESS_DENIED", "BUSY"),
          p.IFOpenDevice(iface, dev_id.value, DEVICE_ACCESS_EXCLUSIVE, C.byref(handle)))

    # Ports
    remote = C.c_void_p()
    check("DevGetPort(NULL out)", "INVALID_PARAMETER", p.DevGetPort(dev, None))
    check("DevGetPort", "SUCCESS", p.DevGetPort(dev, C.byref(remote)))
    check("GCGetNumPortURLs(NULL)", "INVALID_HANDLE", p.GCGetNumPortURLs(None, C.byref(n)))
    word = C.c_uint32(0)
    size.value = 4
    check("GCReadPort(address far out of range)", "INVALID_ADDRESS", p.GCReadPort(remote, 0x7FFF_FFFF_FFFF_0000, C.byref(word), C.byref(size)))
    size.value = 4
    check("GCReadPort(NULL buffer)", "INVALID_PARAMETER", p.GCReadPort(remote, 0, None, C.byref(size)))
    check("GCReadPort(NULL size)", "INVALID_PARAMETER", p.GCReadPort(remote, 0, C.byref(word), None))
    size.value = 4
    check("GCWritePort(garbage port)", "INVALID_HANDLE", p.GCWritePort(garbage, 0, C.byref(word), C.byref(size)))
    size.value = 4
    check("GCReadPort(TL module port, bad address)", "INVALID_ADDRESS", p.GCReadPort(tl, 0x7FFF_FFFF_FFFF_0000, C.byref(word), C.byref(size)))

    # Data stream
    ds = C.c_void_p()
    check("DevOpenDataStream(unknown id)", "INVALID_ID", p.DevOpenDataStream(dev, b"nope", C.byref(handle)))
    size.value = 0
    p.DevGetDataStreamID(dev, 0, None, C.byref(size))
    ds_id = C.create_string_buffer(size.value)
    p.DevGetDataStreamID(dev, 0, ds_id, C.byref(size))
    check("DevOpenDataStream", "SUCCESS", p.DevOpenDataStream(dev, ds_id.value, C.byref(ds)))
    check("DSStartAcquisition with no buffers", ("RESOURCE_EXHAUSTED", "NO_DATA", "ERROR", "INVALID_BUFFER"),
          p.DSStartAcquisition(ds, 0, 0xFFFFFFFFFFFFFFFF))
    check("DSAnnounceBuffer(NULL memory)", "INVALID_PARAMETER", p.DSAnnounceBuffer(ds, None, 100, None, C.byref(handle)))
    check("DSAnnounceBuffer(size 0)", "INVALID_PARAMETER", p.DSAnnounceBuffer(ds, C.byref(word), 0, None, C.byref(handle)))
    mem = C.create_string_buffer(64)
    buf = C.c_void_p()
    check("DSAnnounceBuffer", "SUCCESS", p.DSAnnounceBuffer(ds, mem, 64, None, C.byref(buf)))
    check("DSAnnounceBuffer same memory twice", ("RESOURCE_IN_USE", "SUCCESS", "INVALID_BUFFER"),
          p.DSAnnounceBuffer(ds, mem, 64, None, C.byref(handle)))
    check("DSQueueBuffer(garbage buffer)", "INVALID_HANDLE", p.DSQueueBuffer(ds, garbage))
    check("DSQueueBuffer", "SUCCESS", p.DSQueueBuffer(ds, buf))
    check("DSQueueBuffer twice", ("RESOURCE_IN_USE", "INVALID_PARAMETER", "ERROR", "INVALID_BUFFER"), p.DSQueueBuffer(ds, buf))
    check("DSRevokeBuffer while queued", ("RESOURCE_IN_USE", "BUSY", "ACCESS_DENIED", "ERROR"),
          p.DSRevokeBuffer(ds, buf, None, None))
    check("DSGetBufferInfo(unknown cmd)", "NOT_IMPLEMENTED", p.DSGetBufferInfo(ds, buf, 777, C.byref(dtype), None, C.byref(size)))
    check("DSFlushQueue(bad mode)", ("INVALID_PARAMETER", "NOT_IMPLEMENTED"), p.DSFlushQueue(ds, 77))
    check("DSFlushQueue(ALL_DISCARD)", "SUCCESS", p.DSFlushQueue(ds, ACQ_QUEUE_ALL_DISCARD))
    check("DSStopAcquisition when not started", ("RESOURCE_IN_USE", "ERROR", "NOT_AVAILABLE", "SUCCESS"),
          p.DSStopAcquisition(ds, ACQ_STOP_FLAGS_KILL))
    event = C.c_void_p()
    check("GCRegisterEvent(NULL out)", "INVALID_PARAMETER", p.GCRegisterEvent(ds, EVENT_NEW_BUFFER, None))
    check("GCRegisterEvent(new buffer)", "SUCCESS", p.GCRegisterEvent(ds, EVENT_NEW_BUFFER, C.byref(event)))
    check("GCRegisterEvent(new buffer) twice", "RESOURCE_IN_USE", p.GCRegisterEvent(ds, EVENT_NEW_BUFFER, C.byref(handle)))
    data = C.create_string_buffer(16)
    size.value = 16
    check("EventGetData timeout", "TIMEOUT", p.EventGetData(event, data, C.byref(size), 10))
    size.value = 4
    check("EventGetData(buffer too small)", ("BUFFER_TOO_SMALL", "TIMEOUT"), p.EventGetData(event, data, C.byref(size), 0))
    check("EventGetData(garbage event)", "INVALID_HANDLE", p.EventGetData(garbage, data, C.byref(size), 0))
    check("DSRevokeBuffer", "SUCCESS", p.DSRevokeBuffer(ds, buf, None, None))
    check("DSRevokeBuffer twice (stale handle)", "INVALID_HANDLE", p.DSRevokeBuffer(ds, buf, None, None))
    check("DSQueueBuffer(stale handle)", "INVALID_HANDLE", p.DSQueueBuffer(ds, buf))

    # Close in order; stale handles afterwards
    check("DSClose", "SUCCESS", p.DSClose(ds))
    check("EventGetData(event of closed stream)", "INVALID_HANDLE", p.EventGetData(event, data, C.byref(size), 0))
    check("DSClose twice", "INVALID_HANDLE", p.DSClose(ds))
    check("DevClose", "SUCCESS", p.DevClose(dev))
    size.value = 4
    check("GCReadPort(stale remote port)", "INVALID_HANDLE", p.GCReadPort(remote, 0, C.byref(word), C.byref(size)))
    check("DevClose twice", "INVALID_HANDLE", p.DevClose(dev))
    check("IFClose", "SUCCESS", p.IFClose(iface))
    check("TLClose", "SUCCESS", p.TLClose(tl))
    check("TLClose twice", "INVALID_HANDLE", p.TLClose(tl))
    check("GCCloseLib", "SUCCESS", p.GCCloseLib())
    check("GCCloseLib twice", "NOT_INITIALIZED", p.GCCloseLib())
    _ = STRING
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
