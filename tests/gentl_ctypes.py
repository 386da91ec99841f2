"""Minimal ctypes bindings to a GenTL producer, for calls no high-level wrapper will make
(NULL pointers, garbage handles, wrong states).  Values are the GenTL 1.6 standard's."""

from __future__ import annotations

import ctypes as C
from pathlib import Path

GC_ERR = {
    0: "SUCCESS", -1001: "ERROR", -1002: "NOT_INITIALIZED", -1003: "NOT_IMPLEMENTED",
    -1004: "RESOURCE_IN_USE", -1005: "ACCESS_DENIED", -1006: "INVALID_HANDLE", -1007: "INVALID_ID",
    -1008: "NO_DATA", -1009: "INVALID_PARAMETER", -1010: "IO", -1011: "TIMEOUT", -1012: "ABORT",
    -1013: "INVALID_BUFFER", -1014: "NOT_AVAILABLE", -1015: "INVALID_ADDRESS", -1016: "BUFFER_TOO_SMALL",
    -1017: "INVALID_INDEX", -1018: "PARSING_CHUNK_DATA", -1019: "INVALID_VALUE",
    -1020: "RESOURCE_EXHAUSTED", -1021: "OUT_OF_MEMORY", -1022: "BUSY", -1023: "AMBIGUOUS",
}
CODE = {name: code for code, name in GC_ERR.items()}

GENTL_FUNCTIONS = [
    "GCGetInfo", "GCGetLastError", "GCInitLib", "GCCloseLib", "GCReadPort", "GCWritePort", "GCGetPortURL",
    "GCGetPortInfo", "GCRegisterEvent", "GCUnregisterEvent", "EventGetData", "EventGetDataInfo",
    "EventGetInfo", "EventFlush", "EventKill", "TLOpen", "TLClose", "TLGetInfo", "TLGetNumInterfaces",
    "TLGetInterfaceID", "TLGetInterfaceInfo", "TLOpenInterface", "TLUpdateInterfaceList", "IFClose",
    "IFGetInfo", "IFGetNumDevices", "IFGetDeviceID", "IFUpdateDeviceList", "IFGetDeviceInfo",
    "IFOpenDevice", "DevGetPort", "DevGetNumDataStreams", "DevGetDataStreamID", "DevOpenDataStream",
    "DevGetInfo", "DevClose", "DSAnnounceBuffer", "DSAllocAndAnnounceBuffer", "DSFlushQueue",
    "DSStartAcquisition", "DSStopAcquisition", "DSGetInfo", "DSGetBufferID", "DSClose", "DSRevokeBuffer",
    "DSQueueBuffer", "DSGetBufferInfo", "GCGetNumPortURLs", "GCGetPortURLInfo", "GCReadPortStacked",
    "GCWritePortStacked", "DSGetBufferChunkData", "IFGetParentTL", "DevGetParentIF", "DSGetParentDev",
    "DSGetNumBufferParts", "DSGetBufferPartInfo", "DSAnnounceCompositeBuffer", "DSGetBufferInfoStacked",
    "DSGetBufferPartInfoStacked", "DSGetNumFlows", "DSGetFlowInfo", "DSGetNumBufferSegments",
    "DSGetBufferSegmentInfo",
]
assert len(GENTL_FUNCTIONS) == 64

# INFO_DATATYPE
STRING, INT32, UINT32, UINT64, PTR, BOOL8, SIZET, BUFFER = 1, 5, 6, 8, 10, 11, 12, 13
# commands used by the tests
TL_INFO_VENDOR, TL_INFO_TLTYPE, TL_INFO_PATHNAME = 1, 4, 6
DEVICE_INFO_ACCESS_STATUS, DEVICE_INFO_SERIAL_NUMBER = 5, 7
DEVICE_ACCESS_EXCLUSIVE = 4
STREAM_INFO_NUM_UNDERRUN, STREAM_INFO_PAYLOAD_SIZE = 2, 7
EVENT_NEW_BUFFER = 1
ACQ_QUEUE_ALL_DISCARD = 4
ACQ_STOP_FLAGS_KILL = 1
GENTL_INFINITE = 0xFFFFFFFFFFFFFFFF

H = C.c_void_p


class Producer:
    """The producer's C functions with argument types set, plus last-error text."""

    def __init__(self, path: Path | str) -> None:
        self.lib = C.CDLL(str(path))
        lib = self.lib
        sz = C.POINTER(C.c_size_t)
        i32 = C.POINTER(C.c_int32)
        proto = {
            "GCInitLib": [], "GCCloseLib": [],
            "GCGetLastError": [i32, C.c_char_p, sz],
            "GCGetInfo": [C.c_int32, i32, C.c_void_p, sz],
            "TLOpen": [C.POINTER(H)], "TLClose": [H],
            "TLGetInfo": [H, C.c_int32, i32, C.c_void_p, sz],
            "TLGetNumInterfaces": [H, C.POINTER(C.c_uint32)],
            "TLGetInterfaceID": [H, C.c_uint32, C.c_char_p, sz],
            "TLOpenInterface": [H, C.c_char_p, C.POINTER(H)],
            "TLUpdateInterfaceList": [H, C.POINTER(C.c_uint8), C.c_uint64],
            "IFClose": [H], "IFGetNumDevices": [H, C.POINTER(C.c_uint32)],
            "IFGetDeviceID": [H, C.c_uint32, C.c_char_p, sz],
            "IFUpdateDeviceList": [H, C.POINTER(C.c_uint8), C.c_uint64],
            "IFGetDeviceInfo": [H, C.c_char_p, C.c_int32, i32, C.c_void_p, sz],
            "IFOpenDevice": [H, C.c_char_p, C.c_int32, C.POINTER(H)],
            "DevGetPort": [H, C.POINTER(H)], "DevClose": [H],
            "DevGetNumDataStreams": [H, C.POINTER(C.c_uint32)],
            "DevGetDataStreamID": [H, C.c_uint32, C.c_char_p, sz],
            "DevOpenDataStream": [H, C.c_char_p, C.POINTER(H)],
            "DevGetInfo": [H, C.c_int32, i32, C.c_void_p, sz],
            "GCReadPort": [H, C.c_uint64, C.c_void_p, sz],
            "GCWritePort": [H, C.c_uint64, C.c_void_p, sz],
            "GCGetNumPortURLs": [H, C.POINTER(C.c_uint32)],
            "GCGetPortURLInfo": [H, C.c_uint32, C.c_int32, i32, C.c_void_p, sz],
            "GCGetPortInfo": [H, C.c_int32, i32, C.c_void_p, sz],
            "GCRegisterEvent": [H, C.c_int32, C.POINTER(H)],
            "GCUnregisterEvent": [H, C.c_int32],
            "EventGetData": [H, C.c_void_p, sz, C.c_uint64],
            "EventGetInfo": [H, C.c_int32, i32, C.c_void_p, sz],
            "EventFlush": [H], "EventKill": [H],
            "DSAnnounceBuffer": [H, C.c_void_p, C.c_size_t, C.c_void_p, C.POINTER(H)],
            "DSAllocAndAnnounceBuffer": [H, C.c_size_t, C.c_void_p, C.POINTER(H)],
            "DSQueueBuffer": [H, H], "DSRevokeBuffer": [H, H, C.POINTER(C.c_void_p), C.POINTER(C.c_void_p)],
            "DSFlushQueue": [H, C.c_int32],
            "DSStartAcquisition": [H, C.c_int32, C.c_uint64], "DSStopAcquisition": [H, C.c_int32],
            "DSGetInfo": [H, C.c_int32, i32, C.c_void_p, sz],
            "DSGetBufferInfo": [H, H, C.c_int32, i32, C.c_void_p, sz],
            "DSGetBufferID": [H, C.c_uint32, C.POINTER(H)],
            "DSClose": [H],
        }
        for name, args in proto.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = C.c_int32

    def __getattr__(self, name: str):
        return getattr(self.lib, name)

    def last_error(self) -> tuple[int, str]:
        code = C.c_int32(0)
        size = C.c_size_t(0)
        self.lib.GCGetLastError(C.byref(code), None, C.byref(size))
        text = C.create_string_buffer(max(size.value, 1))
        self.lib.GCGetLastError(C.byref(code), text, C.byref(size))
        return code.value, text.value.decode("ascii", "replace")

    def get_string(self, fn, *args) -> str:
        """Size query then value, for any *GetInfo-shaped call ending in (type, buffer, size)."""
        dtype = C.c_int32(0)
        size = C.c_size_t(0)
        rc = fn(*args, C.byref(dtype), None, C.byref(size))
        assert rc == 0, f"size query failed: {GC_ERR.get(rc, rc)} {self.last_error()}"
        buf = C.create_string_buffer(size.value)
        rc = fn(*args, C.byref(dtype), buf, C.byref(size))
        assert rc == 0, f"value query failed: {GC_ERR.get(rc, rc)} {self.last_error()}"
        return buf.value.decode()
