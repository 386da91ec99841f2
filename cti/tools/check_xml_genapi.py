#!/usr/bin/env python3
"""check_xml_genapi.py - load the generated device XML into GenApi (genicam wheel) and drive the
C camera model through a GenApi port, so XML addresses, lengths, endianness, limits and locks are
checked against the real C code, not just against the XML.

Builds a small shared library (cc) from src/model/*.c + generated/camera_xml.c into a temp dir.
Usage: python3 cti/tools/check_xml_genapi.py [--cc cc] [--image-src FILE ...]
Exit code 0 when every check passed.
"""
import argparse
import ctypes
import glob
import os
import struct
import subprocess
import sys
import tempfile

from genicam.genapi import AbstractPort, EAccessMode, NodeMap

CTI = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ERR_NAMES = ["OK", "ADDRESS", "ACCESS", "VALUE", "PARAMETER", "STATE"]


def build(cc, image_src):
    out = os.path.join(tempfile.mkdtemp(prefix="camxml-"), "libcammodel.so")
    model = [f for f in glob.glob(os.path.join(CTI, "src/model/*.c")) if not os.path.basename(f).startswith("image")]
    srcs = model + [os.path.join(CTI, "generated/camera_xml.c")] + image_src
    subprocess.check_call([cc, "-std=c11", "-O1", "-fPIC", "-shared", "-pthread",
                           "-I" + os.path.join(CTI, "src/model"), "-o", out] + srcs + ["-lm"])
    return out


class CamPort(AbstractPort):
    def __init__(self, lib, cam):
        super().__init__()
        self.lib, self.cam, self.log = lib, cam, []
        self.why = ctypes.create_string_buffer(256)

    def get_access_mode(self):
        return EAccessMode.RW

    def read(self, address, length):
        buf = ctypes.create_string_buffer(length)
        st = self.lib.cam_read(self.cam, ctypes.c_uint64(address), buf, ctypes.c_size_t(length), self.why, 256)
        self.log.append(("R", address, length, st))
        if st:
            raise IOError("read 0x%x/%d: %s %s" % (address, length, ERR_NAMES[st], self.why.value.decode()))
        return buf.raw

    def write(self, address, value):
        data = bytes(value)
        st = self.lib.cam_write(self.cam, ctypes.c_uint64(address), data, ctypes.c_size_t(len(data)), self.why, 256)
        self.log.append(("W", address, len(data), st))
        if st:
            raise IOError("write 0x%x/%d: %s %s" % (address, len(data), ERR_NAMES[st], self.why.value.decode()))


class Event(ctypes.Structure):  # cam_event (camera.h)
    _fields_ = [("event_id", ctypes.c_uint16), ("number", ctypes.c_uint16), ("timestamp_ns", ctypes.c_uint64),
                ("has_frame_id", ctypes.c_bool), ("frame_id", ctypes.c_uint64)]


def u3v_event_message(e):
    """The U3V event message of a model event record, as the adapter frames it (src/gentl/event.c)."""
    data = struct.pack("<Q", e.frame_id) if e.has_frame_id else b""
    scd = 12 + len(data)
    return struct.pack("<IHHHHHHQ", 0x45563355, 0, 0x0C00, scd, e.number, scd, e.event_id, e.timestamp_ns) + data


class Tick(ctypes.Structure):
    _fields_ = [("frame_id", ctypes.c_uint64), ("timestamp_ns", ctypes.c_uint64)]


class FrameInfo(ctypes.Structure):
    _fields_ = [("frame_id", ctypes.c_uint64), ("timestamp_ns", ctypes.c_uint64), ("width", ctypes.c_size_t),
                ("height", ctypes.c_size_t), ("offset_x", ctypes.c_size_t), ("offset_y", ctypes.c_size_t),
                ("padding_x", ctypes.c_size_t), ("pixel_format", ctypes.c_uint64), ("image_size", ctypes.c_size_t),
                ("filled", ctypes.c_size_t), ("contains_chunks", ctypes.c_bool),
                ("chunk_payload_size", ctypes.c_size_t), ("incomplete", ctypes.c_bool)]


def selectors_locks_chunks_events(nm, lib, cam, port, check, expect_error):
    """Selector-indexed, locked, chunk and event features through GenApi: selectors with pIndex, swiss-knife locks, chunk ports, event ports."""
    # every selector-indexed feature reaches its own element
    nm.TriggerSelector.value = "FrameBurstStart"
    nm.TriggerMode.value = "On"
    nm.TriggerSelector.value = "FrameStart"
    check(nm.TriggerMode.value == "Off", "TriggerMode per selector")
    nm.TriggerSelector.value = "FrameBurstStart"
    check(nm.TriggerMode.value == "On", "TriggerMode FrameBurstStart kept")
    nm.TriggerMode.value = "Off"
    nm.TriggerSelector.value = "FrameStart"
    expect_error(lambda: setattr(nm.TriggerActivation, "value", "LevelHigh"), "LevelHigh refused for FrameStart")
    # GenApi offers only what the device accepts: Level* entries only for FrameBurstStart
    avail = lambda: [e.symbolic for e in nm.TriggerActivation.entries if e.get_access_mode() != EAccessMode.NA]
    check("LevelHigh" not in avail() and "LevelLow" not in avail(), "Level* not available for FrameStart")
    nm.TriggerSelector.value = "FrameBurstStart"
    check("LevelHigh" in avail() and "LevelLow" in avail(), "Level* available for FrameBurstStart")
    nm.TriggerActivation.value = "LevelHigh"
    check(nm.TriggerActivation.value == "LevelHigh", "LevelHigh for FrameBurstStart")
    nm.TriggerActivation.value = "RisingEdge"
    nm.TriggerSelector.value = "FrameStart"
    # auto limits: lower <= upper as dynamic pMax/pMin
    nm.AutoExposureTimeUpperLimit.value = 5000.0
    check(nm.AutoExposureTimeLowerLimit.max == 5000.0, "AutoExposureTimeLowerLimit max = upper")
    nm.AutoExposureTimeLowerLimit.value = 300.0
    check(nm.AutoExposureTimeUpperLimit.min == 300.0, "AutoExposureTimeUpperLimit min = lower")
    nm.AutoExposureTimeLowerLimit.value = 5000.0
    expect_error(lambda: setattr(nm.AutoExposureTimeUpperLimit, "value", 4999.0), "upper below lower refused")
    nm.AutoExposureTimeLowerLimit.value = 100.0
    nm.AutoExposureTimeUpperLimit.value = 100000.0
    nm.AutoGainUpperLimit.value = 20.0
    check(nm.AutoGainLowerLimit.max == 20.0, "AutoGainLowerLimit max = upper")
    nm.AutoGainLowerLimit.value = 2.0
    check(nm.AutoGainUpperLimit.min == 2.0, "AutoGainUpperLimit min = lower")
    expect_error(lambda: setattr(nm.AutoGainLowerLimit, "value", 21.0), "lower above upper refused")
    nm.AutoGainLowerLimit.value = 0.0
    nm.AutoGainUpperLimit.value = 48.0
    # ChunkEnable[Image] is always on: read-only for that selector value
    nm.ChunkSelector.value = "Image"
    check(nm.ChunkEnable.get_access_mode() == EAccessMode.RO and nm.ChunkEnable.value, "ChunkEnable[Image] RO")
    nm.ChunkSelector.value = "Timestamp"
    check(nm.ChunkEnable.get_access_mode() == EAccessMode.RW, "ChunkEnable[Timestamp] RW")
    # simulation-only diagnostics are not in the camera XML (Device module: SimLostTriggerCount)
    check(not any(n.startswith("Sim") for n in dir(nm)), "no Sim* node in the camera XML")
    nm.TriggerDelay.value = 250.0
    check(nm.TriggerDelay.value == 250.0, "TriggerDelay")
    # lines: LineMode locked on Line1/2, LineSource locked on inputs, debouncer locked on outputs
    nm.LineSelector.value = "Line1"
    check(nm.LineMode.get_access_mode() == EAccessMode.RO and nm.LineMode.value == "Input", "Line1 input RO")
    check(nm.LineSource.get_access_mode() == EAccessMode.RO, "LineSource RO on an input")
    check(nm.LineFormat.value == "OptoCoupled", "Line1 format")
    nm.LineSelector.value = "Line2"
    check(nm.LineMode.value == "Output" and nm.LineSource.value == "ExposureActive", "Line2 defaults")
    check(nm.LineDebouncerTime.get_access_mode() == EAccessMode.RO, "debouncer RO on an output")
    nm.LineSelector.value = "Line3"
    check(nm.LineMode.get_access_mode() == EAccessMode.RW, "Line3 mode RW")
    nm.LineMode.value = "Output"
    check(nm.LineSource.get_access_mode() == EAccessMode.RW, "LineSource RW on an output")
    nm.LineSource.value = "UserOutput2"
    nm.UserOutputSelector.value = "UserOutput2"
    nm.UserOutputValue.value = True
    check(nm.LineStatus.value is True and nm.LineStatusAll.value & 4, "Line3 follows UserOutput2")
    check(nm.UserOutputValueAll.value == 4, "UserOutputValueAll %d" % nm.UserOutputValueAll.value)
    nm.UserOutputValueAll.value = 0
    check(nm.LineStatus.value is False, "cleared through ValueAll")
    # counters, timer, auto functions, user sets: read and write through GenApi
    nm.CounterSelector.value = "Counter2"
    nm.CounterEventSource.value = "FrameTrigger"
    nm.CounterSelector.value = "Counter1"
    check(nm.CounterEventSource.value == "FrameStart", "counter per selector")
    nm.CounterReset.execute()
    nm.TimerDuration.value = 500.0
    nm.AutoFunctionROISelector.value = "ROI2"
    check(nm.AutoFunctionROIUseBrightness.value is False, "ROI2 default")
    nm.AutoFunctionROISelector.value = "ROI1"
    check(nm.AutoFunctionROIUseBrightness.value is True, "ROI1 default")
    nm.UserSetSelector.value = "HighGain"
    expect_error(lambda: nm.UserSetSave.execute(), "factory set save refused")
    nm.UserSetLoad.execute()
    check(abs(nm.Gain.value - 24.0) < 1e-9, "HighGain loaded")
    nm.UserSetSelector.value = "Default"
    nm.UserSetLoad.execute()
    check(nm.Gain.value == 0.0, "Default loaded")
    # chunks: ChunkModeActive grows PayloadSize; values read back through the chunk ports
    nm.Width.value = 256
    nm.Height.value = 64
    nm.ChunkModeActive.value = True
    for sel in ("Timestamp", "ExposureTime", "Gain", "LineStatusAll", "CounterValue", "PayloadCRC16"):
        nm.ChunkSelector.value = sel
        nm.ChunkEnable.value = True
    check(nm.PayloadSize.value == 256 * 64 + 8 + 16 * 3 + 12 + 16 + 12, "chunk payload %d" % nm.PayloadSize.value)
    nm.EventSelector.value = "FrameStart"
    nm.EventNotification.value = "On"
    nm.TLParamsLocked.value = 1
    check(nm.ChunkModeActive.get_access_mode() == EAccessMode.RO, "ChunkModeActive locked")
    check(nm.ChunkEnable.get_access_mode() == EAccessMode.RO, "ChunkEnable[PayloadCRC16] locked")
    nm.AcquisitionStart.execute()
    tick = Tick()
    check(lib.cam_wait_next_frame(cam, 2000000000, ctypes.byref(tick)), "free-run frame")
    size = nm.PayloadSize.value
    buf = ctypes.create_string_buffer(size)
    info = FrameInfo()
    lib.cam_render_frame(cam, ctypes.byref(tick), buf, size, ctypes.byref(info))
    nm.AcquisitionStop.execute()
    nm.TLParamsLocked.value = 0
    from genicam.genapi import ChunkAdapterU3V, EventAdapterU3V
    ca = ChunkAdapterU3V(nm._nodemap if hasattr(nm, "_nodemap") else nm)
    data = bytes(buf.raw[:info.filled])
    ca.attach_buffer(data, info.filled)
    check(nm.ChunkTimestamp.value == tick.timestamp_ns, "ChunkTimestamp %d vs %d" % (nm.ChunkTimestamp.value,
                                                                                      tick.timestamp_ns))
    check(nm.ChunkExposureTime.value == nm.ExposureTime.value, "ChunkExposureTime %g" % nm.ChunkExposureTime.value)
    nm.ChunkCounterSelector.value = "Counter1"
    check(nm.ChunkCounterValue.value == tick.frame_id, "ChunkCounterValue %d" % nm.ChunkCounterValue.value)
    ca.detach_buffer()
    # events: the U3V message through GenApi's U3V event adapter
    ev = Event()
    check(lib.cam_wait_event(cam, 0, ctypes.byref(ev)), "FrameStart event queued")
    ea = EventAdapterU3V(nm.pointer)  # as harvesters does
    ea.deliver_message(u3v_event_message(ev))
    check(nm.EventFrameStartFrameID.value == 1 and nm.EventFrameStart.value == ev.event_id, "event nodes")
    check(nm.EventFrameStartTimestamp.value == tick.timestamp_ns, "event timestamp")
    nm.ChunkModeActive.value = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--image-src", nargs="*", default=None,
                    help="image implementation sources (default: src/model/image*.c)")
    args = ap.parse_args()
    image_src = args.image_src if args.image_src is not None else sorted(glob.glob(os.path.join(CTI, "src/model/image*.c")))
    lib = ctypes.CDLL(build(args.cc, image_src))
    lib.cam_create.restype = ctypes.c_void_p
    lib.cam_create.argtypes = [ctypes.c_char_p]
    lib.cam_read.argtypes = lib.cam_write.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p,
                                                      ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    lib.cam_xml.restype = ctypes.POINTER(ctypes.c_uint8)
    lib.cam_xml.argtypes = [ctypes.POINTER(ctypes.c_size_t)]
    lib.cam_xml_address.restype = ctypes.c_uint64
    lib.cam_is_acquiring.argtypes = [ctypes.c_void_p]
    lib.cam_is_acquiring.restype = ctypes.c_bool
    lib.cam_destroy.argtypes = [ctypes.c_void_p]

    os.environ["ACE_SIM_STATE_DIR"] = tempfile.mkdtemp(prefix="camxml-state-")  # persisted writes go here
    lib.cam_wait_next_frame.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p]
    lib.cam_wait_next_frame.restype = ctypes.c_bool
    lib.cam_sim_line_pulse.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.cam_wait_event.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p]
    lib.cam_wait_event.restype = ctypes.c_bool
    lib.cam_render_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                     ctypes.c_void_p]

    cam = lib.cam_create(b"40713375")
    n = ctypes.c_size_t()
    p = lib.cam_xml(ctypes.byref(n))
    xml = ctypes.string_at(p, n.value).decode("utf-8")

    # the XML read through the port must be the same bytes
    port = CamPort(lib, cam)
    assert port.read(lib.cam_xml_address(), n.value).decode() == xml

    nm = NodeMap()
    nm.load_xml_from_string(xml)
    nm.connect(port, "Device")

    fails = []

    def check(cond, msg):
        if not cond:
            fails.append(msg)
            print("FAIL", msg)

    def expect_error(fn, msg):
        try:
            fn()
        except Exception:
            return
        fails.append(msg + " (no error)")
        print("FAIL", msg, "(no error)")

    # every feature node reachable from Root reads without error (unless write-only)
    seen = 0
    for node in nm.Root.features:
        for f in node.features:
            seen += 1
            try:
                if not hasattr(f, "get_access_mode") or hasattr(f, "execute"):
                    continue  # commands are write-only
                if f.get_access_mode() in (EAccessMode.RO, EAccessMode.RW):
                    f.to_string()
            except Exception as e:  # noqa: BLE001 - report every failure
                check(False, "%s: %s" % (f.node.name, e))
    check(seen > 50, "features reachable: %d" % seen)

    check(nm.DeviceVendorName.value == "Basler", "vendor")
    check(nm.DeviceModelName.value == "acA4112-20um", "model")
    check(nm.DeviceSerialNumber.value == "40713375", "serial")
    check(nm.Width.value == 4096 and nm.Height.value == 3000, "size")
    check(nm.Width.max == 4104 and nm.Width.min == 16 and nm.Width.inc == 4, "width limits %d %d %d" % (
        nm.Width.min, nm.Width.max, nm.Width.inc))
    check(nm.OffsetX.max == 16, "offsetx max %d" % nm.OffsetX.max)
    check(nm.PayloadSize.value == 4096 * 3000, "payload")
    check(abs(nm.ResultingFrameRate.value - 23.51) < 0.12, "fps %g" % nm.ResultingFrameRate.value)
    nm.PixelFormat.value = "Mono12p"
    check(nm.PixelSize.value == "Bpp12" and nm.PixelDynamicRangeMax.value == 4095, "12p")
    check(nm.PayloadSize.value == 4096 * 3000 * 3 // 2, "payload 12p")
    check(abs(nm.ResultingFrameRate.value - 19.53) < 0.1, "fps 12p %g" % nm.ResultingFrameRate.value)
    check(sorted(e.symbolic for e in nm.PixelFormat.entries) == ["Mono12", "Mono12p", "Mono8"], "pf entries")
    nm.PixelFormat.value = "Mono8"

    nm.OffsetX.value = 0
    nm.Width.value = 4112
    check(nm.Width.value == 4112 and nm.OffsetX.max == 0, "full width")
    expect_error(lambda: setattr(nm.Width, "value", 4097), "Width 4097 refused")
    nm.BinningHorizontal.value = 2
    check(nm.WidthMax.value == 2056 and nm.Width.value == 2056, "binning: %d %d" % (nm.WidthMax.value, nm.Width.value))
    nm.BinningHorizontal.value = 1
    nm.Width.value = 1000
    nm.CenterX.value = True
    check(nm.OffsetX.value == 1556, "centerx %d" % nm.OffsetX.value)
    check(nm.OffsetX.get_access_mode() == EAccessMode.RO, "OffsetX RO while CenterX")
    nm.CenterX.value = False
    check(nm.OffsetX.get_access_mode() == EAccessMode.RW, "OffsetX RW again")

    nm.Gain.value = 12.5
    check(nm.Gain.value == 12.5 and nm.Gain.max == 48.0, "gain")
    nm.ExposureTime.value = 20000.0
    check(nm.ExposureTime.value == 20000.0, "exposure")
    nm.DeviceUserID.value = "bench-3"
    check(nm.DeviceUserID.value == "bench-3", "userid")
    nm.UserDefinedValueSelector.value = "Value3"
    nm.UserDefinedValue.value = -42
    nm.UserDefinedValueSelector.value = "Value1"
    check(nm.UserDefinedValue.value == 0, "udv1")
    nm.UserDefinedValueSelector.value = "Value3"
    check(nm.UserDefinedValue.value == -42, "udv3")
    check(("W", 0x10280 + 8, 4, 0) in port.log, "pIndex addressed element 2")
    nm.TimestampLatch.execute()
    check(nm.TimestampLatchValue.value > 0, "latch")

    # locking: TLParamsLocked makes Width/PixelFormat RO for GenApi, and the C side agrees
    nm.TLParamsLocked.value = 1
    check(nm.Width.get_access_mode() == EAccessMode.RO, "Width RO when locked")
    check(nm.PixelFormat.get_access_mode() == EAccessMode.RO, "PixelFormat RO when locked")
    check(nm.OffsetX.get_access_mode() == EAccessMode.RW, "OffsetX stays RW")
    nm.AcquisitionStart.execute()
    check(lib.cam_is_acquiring(cam), "acquiring")
    nm.AcquisitionStop.execute()
    check(not lib.cam_is_acquiring(cam), "stopped")
    nm.TLParamsLocked.value = 0
    check(nm.Width.get_access_mode() == EAccessMode.RW, "Width RW again")

    selectors_locks_chunks_events(nm, lib, cam, port, check, expect_error)

    lib.cam_destroy(cam)
    print("check_xml_genapi: %d features, %d failures" % (seen, len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
