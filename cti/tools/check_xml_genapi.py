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

    lib.cam_destroy(cam)
    print("check_xml_genapi: %d features, %d failures" % (seen, len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
