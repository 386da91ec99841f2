#!/usr/bin/env python3
"""gen_camera.py - the ONE definition of the simulated acA4112-20um's features and registers.

Running it writes
  cti/generated/camera_regs.h   register addresses, the model's tunable [A] constants and a C
                                table (type, length, access, default, limits, enum entries, flags)
  cti/generated/camera_hooks.h  the registers' behaviour: which model function derives, checks,
                                acts on or follows a write of each register, and their prototypes
  cti/generated/camera_xml.c    the GenICam device description (GenApi schema 1.1) as bytes
Both are committed.  `--check` exits 1 if the committed files differ from what would be written.

Python 3 standard library only.  Facts come from /work/shared/spec/acA4112-20um-features.md;
values that the spec tags [A] (assumed) are the named constants in ASSUMED below.
"""
import argparse
import os
import re
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(os.path.dirname(HERE), "generated")

# ---------------------------------------------------------------------------------------------
# Tunable assumptions ([A] in the spec).  Everything the simulator assumes lives here; the C code
# gets them as CAM_A_* #defines.  Change a value, re-run this script, rebuild.
# ---------------------------------------------------------------------------------------------
ASSUMED = {
    # sensor timing (spec section 3): T_readout(H) = (H + READOUT_EXTRA_ROWS) * LINE_TIME_US
    "LINE_TIME_US": 14.02,            # IMX304 HMAX 1041 @ 74.25 MHz [S-derived]
    "READOUT_EXTRA_ROWS": 34,         # VMAX - active rows [S]
    "EXPOSURE_OVERHEAD_US": 2 * 14.02,  # C_exp: 1/(ExposureTime + C_exp) bounds the rate [A]
    "USB_CEILING_BPS": 380000000,     # link ceiling with the throughput limit Off [A, acA4024-29uc: 31.1 fps x 12.2 MB]
    "DEVICE_LINK_SPEED_BPS": 500000000,  # SuperSpeed 5 Gbit/s after 8b/10b [A]
    "TEMPERATURE_C": 41.5,            # coreboard temperature when idle, the thermal model's start [A]
    "TEMPERATURE_CRITICAL_C": 72.0,   # TemperatureState Critical at or above this [A]
    "TEMPERATURE_ERROR_C": 80.0,      # TemperatureState Error at or above this [A]
    # first-order thermal model: dT/dt = (T_idle + RISE * throughput/USB_CEILING - T) / TAU
    "THERMAL_TAU_S": 600.0,           # time constant [A]; env ACE_SIM_THERMAL_TAU_S overrides
    "THERMAL_RISE_C": 15.0,           # steady rise at the USB ceiling's data rate [A]; env ACE_SIM_THERMAL_RISE_C
    # triggers and I/O
    "TRIGGER_WIDTH_OFFSET_US": 14.0,  # C4: added to the trigger width in ExposureMode TriggerWidth [A]
    "TRIGGER_DELAY_MAX_US": 1000000.0,
    "LINE_DEBOUNCER_MAX_US": 20000.0,
    "LINE_MIN_PULSE_MAX_US": 100.0,
    "TIMER_MAX_US": 16777215.0,
    "BURST_FRAME_COUNT_MAX": 255,
    "HIGH_GAIN_DB": 24.0,             # Gain of the factory user set HighGain [A]
    "AUTO_TARGET_MIN": 0.19608, "AUTO_TARGET_MAX": 0.80392, "AUTO_TARGET_DEFAULT": 0.3,
    "AUTO_EXPOSURE_LOWER_DEFAULT_US": 100.0, "AUTO_EXPOSURE_UPPER_DEFAULT_US": 100000.0,
    # image format
    "WIDTH_MIN": 16, "WIDTH_INC": 4,
    "HEIGHT_MIN": 16, "HEIGHT_INC": 2,
    "OFFSET_X_INC": 4, "OFFSET_Y_INC": 2,
    "BINNING_MAX": 4,
    # analog
    "GAIN_MAX_DB": 48.0,
    "BLACK_LEVEL_MAX": 31.9375,
    "GAMMA_MAX": 3.99998,
    "DIGITAL_SHIFT_MAX": 4,
    # acquisition
    "EXPOSURE_MIN_US": 19.0, "EXPOSURE_MAX_US": 10000000.0, "EXPOSURE_INC_US": 1.0,
    "EXPOSURE_DEFAULT_US": 5000.0,
    "FRAME_RATE_MIN": 0.1, "FRAME_RATE_MAX": 1000000.0, "FRAME_RATE_DEFAULT": 100.0,
    # identity
    "DEVICE_VERSION": "107999-01",
    "FIRMWARE_VERSION": "107999-01;U;acA4112_20u;V1.1-0;0",
    "SFNC_MINOR": 1,
    "USER_ID_MAX_CHARS": 16,
    "SEQUENCER_SETS": 32,             # number of sequencer sets N
}
A = ASSUMED

XML_FILENAME = "Basler_acA4112-20um_sim.xml"
XML_ADDRESS = 0x10000000
SCHEMA = (1, 1, 0)
XML_VERSION = (1, 0, 0)
PRODUCT_GUID = "5f0d2a36-8e7b-4c1e-9a53-2b6f4d1c7a01"
VERSION_GUID = "b3c8e1f4-1d2a-4e6b-8c0f-7a9d5e3b2c10"

PFNC = {"Mono8": 0x01080001, "Mono12": 0x01100005, "Mono12p": 0x010C0047}


# ---------------------------------------------------------------------------------------------
# The feature table
# ---------------------------------------------------------------------------------------------
class Feat:
    """One feature and its register.

    type      Integer | Float | Enumeration | Boolean | String | Command | Register-only
              (reg_only=True: a hidden IntReg that other nodes point to, e.g. a dynamic max)
    access    RO | RW | WO
    length    bytes (Integer/Enum/Boolean/Command 4 or 8, Float 8 = IEEE double, String n)
    minimum/maximum: a number, or the name of another entry (-> <pMin>/<pMax> to its register)
    locked    refused while acquiring or TLParamsLocked=1 (XML: pIsLocked TLParamsLocked)
    derived   (property) has a `derive` hook: computed on every read (XML: NoCache)
    selector  name of an Enumeration/Integer selector; with `count` > 1 the register is an array
              of `count` elements `stride` bytes apart addressed by the selector's value (pIndex)
    port      None for the Device port; otherwise the name of a chunk or event port (CHUNKS/EVENTS):
              the address is relative to that port (chunk data / event SCD) and the feature has no
              device register (it is not in the C table)
    elem_defaults  per-element defaults of a selector-indexed register (list, one per element)
    lock_expr (formula, {variable: register}) -> an IntSwissKnife used as <pIsLocked>; the C side
              enforces the same rule in a check hook with a precise message.  With `locked` as
              well, the formula is OR'ed with TLParamsLocked.
    entry_avail {entry name: (formula, {variable: register})} -> an IntSwissKnife used as the entry's
              <pIsAvailable>; the C side refuses the entry with a message where the formula is 0
    internal  storage the model keeps in its register map (so user sets and the state file carry it)
              but that is not a GenApi feature: not in the XML (the sequencer sets)

    Behaviour (C hooks, generated/camera_hooks.h): each names a C function of the model, prefixed
    by the concept file that defines it (roi_ -> src/model/roi.c, ...).  camera.c runs them from
    the generic register path (cam_read, cam_write); check_table() refuses inconsistent ones.
    derive    the value on every read: the register is derived (int64_t, or double for a Float)
    describe  the words for a dynamic limit in an error message (every dynamic limit of an Integer)
    check     a rule that depends on the selector or other registers, before the type checks
    act       what a write does instead of being stored (every Command; writable derived registers)
    prepare   before `act`, without the camera's lock (work that takes long)
    after     a side effect after the value is stored
    """

    def __init__(self, name, type_, address, access, category, desc, *, length=4, default=None,
                 minimum=None, maximum=None, inc=None, unit=None, entries=None, vis="Beginner",
                 locked=False, selector=None, count=1, stride=None, signed=False,
                 max_chars=None, reg_only=False, is_locked_by=None, volatile=False, standard=True,
                 assumed=(), port=None, elem_defaults=None, lock_expr=None, entry_avail=None, internal=False,
                 derive=None, describe=None, check=None, act=None, prepare=None, after=None):
        self.name, self.type, self.address, self.access = name, type_, address, access
        self.category, self.desc, self.length, self.default = category, desc, length, default
        self.minimum, self.maximum, self.inc, self.unit = minimum, maximum, inc, unit
        self.entries = entries or []          # [(name, value, description)]
        self.vis, self.locked = vis, locked
        self.selector, self.count, self.stride = selector, count, stride or length
        self.signed, self.max_chars, self.reg_only = signed, max_chars, reg_only
        self.is_locked_by = is_locked_by      # register name whose non-zero value makes it RO
        self.volatile = volatile              # camera may change it by itself -> NoCache
        self.standard = standard
        self.assumed = assumed                # which properties are [A] (for the README)
        self.selects = []                     # filled in: features this selector selects
        self.port = port                      # None: Device port; else a chunk/event port name
        self.elem_defaults = elem_defaults    # per-element defaults of an indexed register
        self.lock_expr = lock_expr            # (formula, {var: register}) -> IntSwissKnife pIsLocked
        self.entry_avail = entry_avail or {}  # {entry: (formula, {var: register})} -> pIsAvailable
        self.internal = internal              # storage only: in the C table (user sets, state file), not in the XML
        self.hooks = {k: v for k, v in (("derive", derive), ("describe", describe), ("check", check),
                                        ("act", act), ("prepare", prepare), ("after", after)) if v}

    @property
    def derived(self):
        return "derive" in self.hooks

    @property
    def reg_name(self):
        return self.name if self.reg_only or self.type == "String" else self.name + "Reg"

    @property
    def cachable(self):
        if self.derived or self.volatile or self.access == "WO":
            return "NoCache"
        if self.access == "RO":
            return "WriteThrough"  # constant for the camera's life
        return "NoCache"  # RW: the camera may adjust it as a side effect of another write


def E(*pairs):
    return [(n, v, d) for (n, v, d) in pairs]


DEV, IMG, ANA, ACQ, TL = ("DeviceControl", "ImageFormatControl", "AnalogControl",
                          "AcquisitionControl", "TransportLayerControl")
AUTO, DIO, CNT, CHK, EVT, UST = ("AutoFunctionControl", "DigitalIOControl", "CounterAndTimerControl",
                                 "ChunkDataControl", "EventControl", "UserSetControl")
SEQ = "SequencerControl"
CATEGORIES = [
    (DEV, "Identity, link, temperature and timestamp of the device."),
    (IMG, "Size, position, binning, mirroring and pixel format of the delivered image."),
    (ANA, "Gain, black level, gamma and digital shift applied to the pixel values."),
    (ACQ, "Starting and stopping acquisition, triggers, exposure and frame rate."),
    (AUTO, "Targets, limits and measurement region of the automatic exposure and gain control."),
    (DIO, "Input and output lines and user outputs."),
    (CNT, "Frame counters and the exposure-start timer."),
    (CHK, "Data appended to each image (chunks)."),
    (EVT, "Messages the camera sends when something happens (events)."),
    (UST, "Saving and loading complete camera configurations."),
    (SEQ, "Sets of exposure, gain, black level, ROI offset, digital shift and test image the camera steps through."),
    (TL, "Transport layer parameters: payload size and the lock the consumer sets while streaming."),
]

# Chunks: name -> (ChunkID, data bytes).  Image is the first chunk (the image itself); the others
# follow in this order when enabled; PayloadCRC16 is always last.  IDs are this simulator's own.
CHUNKS = [("Image", 0xA5A50000, None), ("Timestamp", 0xA5A50001, 8), ("ExposureTime", 0xA5A50002, 8),
          ("Gain", 0xA5A50003, 8), ("LineStatusAll", 0xA5A50004, 4), ("CounterValue", 0xA5A50005, 8),
          ("SequencerSetActive", 0xA5A50007, 4), ("PayloadCRC16", 0xA5A50006, 4)]
# Events: name -> (U3V event ID, has FrameID).  IDs are this simulator's own.
EVENTS = [("ExposureEnd", 0x9001, True), ("FrameStart", 0x9002, True), ("FrameBurstStart", 0x9003, True),
          ("FrameStartOvertrigger", 0x9004, True), ("FrameBurstStartOvertrigger", 0x9005, True),
          ("FrameStartWait", 0x9006, False), ("FrameBurstStartWait", 0x9007, False),
          ("CriticalTemperature", 0x9008, False), ("OverTemperature", 0x9009, False)]
USER_SETS = ["Default", "HighGain", "AutoFunctions", "UserSet1", "UserSet2", "UserSet3"]

OFF_ONCE_CONT = E(("Off", 0, "The automatic function is off; the value is set by the user."),
                  ("Once", 1, "Adjust once, then return to Off."),
                  ("Continuous", 2, "Adjust continuously while acquiring."))

TEST_IMAGES = E(("Off", 0, "Normal sensor image."),
                *[("Testimage%d" % i, i, "Test image %d (see TEST_IMAGES.md)." % i) for i in range(1, 7)])
SEQ_SOURCES = E(("FrameStart", 8, "After every exposure start (the next frame uses the next set)."),
                ("Counter2End", 9, "When Counter2 reaches CounterDuration."),
                ("Line1", 1, "Rising edge of Line1 (after inverter and debouncer)."),
                ("Line3", 3, "Rising edge of Line3 (input)."), ("Line4", 4, "Rising edge of Line4 (input)."),
                ("SoftwareSignal1", 5, "SoftwareSignalPulse[SoftwareSignal1]."),
                ("SoftwareSignal2", 6, "SoftwareSignalPulse[SoftwareSignal2]."),
                ("SoftwareSignal3", 7, "SoftwareSignalPulse[SoftwareSignal3]."))

FEATURES = [
    # ---- Device control 0x0001_0000 ----
    Feat("DeviceVendorName", "String", 0x10000, "RO", DEV, "Name of the camera's manufacturer.",
         length=64, default="Basler"),
    Feat("DeviceModelName", "String", 0x10040, "RO", DEV, "Model name of the camera.",
         length=64, default="acA4112-20um"),
    Feat("DeviceManufacturerInfo", "String", 0x10080, "RO", DEV,
         "Additional manufacturer text; here it says the device is simulated.",
         length=64, default="Simulated camera (GenTL producer)"),
    Feat("DeviceVersion", "String", 0x100C0, "RO", DEV, "Product version (part number) of the camera.",
         length=64, default=A["DEVICE_VERSION"], assumed=("value",)),
    Feat("DeviceFirmwareVersion", "String", 0x10100, "RO", DEV, "Version of the firmware in the camera.",
         length=64, default=A["FIRMWARE_VERSION"], assumed=("value",)),
    Feat("DeviceSerialNumber", "String", 0x10140, "RO", DEV,
         "Serial number of the camera (set per simulated device).", length=64, default=""),
    Feat("DeviceUserID", "String", 0x10180, "RW", DEV,
         "A name the user may give the camera (at most %d characters)." % A["USER_ID_MAX_CHARS"],
         length=64, default="", max_chars=A["USER_ID_MAX_CHARS"], assumed=("length",),
         after="usersets_save_file"),
    Feat("DeviceScanType", "Enumeration", 0x10200, "RO", DEV, "Sensor architecture of the camera.",
         default="Areascan", entries=E(("Areascan", 0, "The sensor is a 2D area sensor."))),
    Feat("DeviceSFNCVersionMajor", "Integer", 0x10208, "RO", DEV,
         "Major version of the feature naming convention the camera follows.", default=2),
    Feat("DeviceSFNCVersionMinor", "Integer", 0x10210, "RO", DEV,
         "Minor version of the feature naming convention the camera follows.",
         default=A["SFNC_MINOR"], assumed=("value",)),
    Feat("DeviceSFNCVersionSubMinor", "Integer", 0x10218, "RO", DEV,
         "Sub-minor version of the feature naming convention the camera follows.", default=0),
    Feat("DeviceTemperatureSelector", "Enumeration", 0x10220, "RW", DEV,
         "Chooses where DeviceTemperature is measured.", vis="Expert", default="Coreboard",
         entries=E(("Coreboard", 0, "Temperature on the main board."))),
    Feat("DeviceTemperature", "Float", 0x10228, "RO", DEV,
         "Temperature at the place chosen by DeviceTemperatureSelector.", length=8, unit="C",
         vis="Expert", selector="DeviceTemperatureSelector", assumed=("value",),
         derive="thermal_temperature"),
    Feat("TemperatureState", "Enumeration", 0x10230, "RO", DEV,
         "Whether the temperature is in the safe range.", default="Ok",
         entries=E(("Ok", 0, "Temperature is fine."), ("Critical", 1, "Temperature is close to the limit."),
                   ("Error", 2, "Temperature is above the limit.")), derive="thermal_state"),
    Feat("DeviceLinkSelector", "Integer", 0x10238, "RW", DEV, "Chooses the link the Link features refer to.",
         default=0, minimum=0, maximum=0, inc=1),
    Feat("DeviceLinkSpeed", "Integer", 0x10240, "RO", DEV, "Speed of the negotiated USB link.",
         default=A["DEVICE_LINK_SPEED_BPS"], unit="Bps", vis="Expert", selector="DeviceLinkSelector",
         assumed=("value",)),
    Feat("DeviceLinkThroughputLimitMode", "Enumeration", 0x10248, "RW", DEV,
         "When On, the camera never sends more than DeviceLinkThroughputLimit bytes per second.",
         default="On", selector="DeviceLinkSelector",
         entries=E(("Off", 0, "No limit other than the link itself."),
                   ("On", 1, "Limit the data rate to DeviceLinkThroughputLimit."))),
    Feat("DeviceLinkThroughputLimit", "Integer", 0x10250, "RW", DEV,
         "Largest average data rate the camera may send when the limit mode is On.",
         default=360000000, minimum=524288, maximum=419430400, inc=1, unit="Bps",
         selector="DeviceLinkSelector"),
    Feat("DeviceLinkCurrentThroughput", "Integer", 0x10258, "RO", DEV,
         "Data rate the camera needs with the present settings (PayloadSize x ResultingFrameRate).",
         unit="Bps", vis="Expert", selector="DeviceLinkSelector", derive="acq_throughput"),
    Feat("BslUSBSpeedMode", "Enumeration", 0x10260, "RO", DEV, "USB speed the camera is connected with.",
         default="SuperSpeed", standard=False,
         entries=E(("LowSpeed", 0, "USB 1.0 low speed."), ("FullSpeed", 1, "USB 1.1 full speed."),
                   ("HighSpeed", 2, "USB 2.0 high speed."), ("SuperSpeed", 3, "USB 3.0 SuperSpeed."))),
    Feat("TimestampLatch", "Command", 0x10268, "WO", DEV,
         "Copies the current device time into TimestampLatchValue.", vis="Expert", act="clock_latch"),
    Feat("TimestampLatchValue", "Integer", 0x10270, "RO", DEV,
         "Device time (ns since power-up) taken by the last TimestampLatch.", length=8, unit="ns",
         vis="Expert", volatile=True),
    Feat("UserDefinedValueSelector", "Enumeration", 0x10278, "RW", DEV,
         "Chooses which of the user values UserDefinedValue refers to.", vis="Guru", default="Value1",
         entries=E(*[("Value%d" % i, i - 1, "User value %d." % i) for i in range(1, 6)])),
    Feat("UserDefinedValue", "Integer", 0x10280, "RW", DEV,
         "A number the user may store in the camera.", vis="Guru", default=0, signed=True,
         minimum=-2**31, maximum=2**31 - 1, inc=1, selector="UserDefinedValueSelector",
         count=5, stride=4),

    # ---- Image format control 0x0002_0000 ----
    Feat("SensorWidth", "Integer", 0x20000, "RO", IMG, "Number of active pixel columns of the sensor.",
         default=4112, unit="px"),
    Feat("SensorHeight", "Integer", 0x20008, "RO", IMG, "Number of active pixel rows of the sensor.",
         default=3008, unit="px"),
    Feat("WidthMax", "Integer", 0x20010, "RO", IMG,
         "Largest Width possible with the current horizontal binning.", unit="px",
         derive="roi_width_max"),
    Feat("HeightMax", "Integer", 0x20018, "RO", IMG,
         "Largest Height possible with the current vertical binning.", unit="px",
         derive="roi_height_max"),
    Feat("Width", "Integer", 0x20020, "RW", IMG, "Width of the image area of interest, in (binned) pixels.",
         default=4096, minimum=A["WIDTH_MIN"], maximum="WidthLimit", inc=A["WIDTH_INC"], unit="px",
         locked=True, volatile=True, assumed=("min", "inc"), after="roi_recenter"),
    Feat("Height", "Integer", 0x20028, "RW", IMG, "Height of the image area of interest, in (binned) rows.",
         default=3000, minimum=A["HEIGHT_MIN"], maximum="HeightLimit", inc=A["HEIGHT_INC"], unit="px",
         locked=True, volatile=True, assumed=("min", "inc"), after="roi_recenter"),
    Feat("OffsetX", "Integer", 0x20030, "RW", IMG,
         "Horizontal position of the area of interest from the sensor's left edge, in (binned) pixels.",
         default=8, minimum=0, maximum="OffsetXLimit", inc=A["OFFSET_X_INC"], unit="px",
         is_locked_by="CenterX", volatile=True, assumed=("inc",)),
    Feat("OffsetY", "Integer", 0x20038, "RW", IMG,
         "Vertical position of the area of interest from the sensor's top edge, in (binned) rows.",
         default=4, minimum=0, maximum="OffsetYLimit", inc=A["OFFSET_Y_INC"], unit="px",
         is_locked_by="CenterY", volatile=True, assumed=("inc",)),
    Feat("CenterX", "Boolean", 0x20040, "RW", IMG,
         "When true the camera keeps the area of interest horizontally centred; OffsetX is then read-only.",
         default=False, after="roi_recenter"),
    Feat("CenterY", "Boolean", 0x20048, "RW", IMG,
         "When true the camera keeps the area of interest vertically centred; OffsetY is then read-only.",
         default=False, after="roi_recenter"),
    Feat("BinningHorizontal", "Integer", 0x20050, "RW", IMG,
         "Number of adjacent columns combined into one pixel.", default=1, minimum=1,
         maximum=A["BINNING_MAX"], inc=1, locked=True, assumed=("max",), after="roi_rescale"),
    Feat("BinningVertical", "Integer", 0x20058, "RW", IMG,
         "Number of adjacent rows combined into one pixel.", default=1, minimum=1,
         maximum=A["BINNING_MAX"], inc=1, locked=True, assumed=("max",), after="roi_rescale"),
    Feat("BinningHorizontalMode", "Enumeration", 0x20060, "RW", IMG,
         "How binned columns are combined.", default="Sum",
         entries=E(("Sum", 0, "Add the pixel values."), ("Average", 1, "Average the pixel values."))),
    Feat("BinningVerticalMode", "Enumeration", 0x20068, "RW", IMG,
         "How binned rows are combined.", default="Sum",
         entries=E(("Sum", 0, "Add the pixel values."), ("Average", 1, "Average the pixel values."))),
    Feat("ReverseX", "Boolean", 0x20070, "RW", IMG, "Mirrors the image left to right.", default=False),
    Feat("ReverseY", "Boolean", 0x20078, "RW", IMG, "Mirrors the image top to bottom.", default=False),
    Feat("PixelFormat", "Enumeration", 0x20080, "RW", IMG, "Format of the pixel data sent by the camera.",
         default="Mono8", locked=True,
         entries=E(("Mono8", PFNC["Mono8"], "8 bits per pixel, one byte each."),
                   ("Mono12", PFNC["Mono12"], "12 bits per pixel in the low bits of 16-bit words."),
                   ("Mono12p", PFNC["Mono12p"], "12 bits per pixel, packed: 2 pixels in 3 bytes."))),
    Feat("PixelSize", "Enumeration", 0x20088, "RO", IMG, "Bits per pixel of the current pixel format.",
         default="Bpp8",
         entries=E(("Bpp8", 8, "8 bits per pixel."), ("Bpp12", 12, "12 bits per pixel."),
                   ("Bpp16", 16, "16 bits per pixel.")), derive="roi_pixel_size"),
    Feat("PixelColorFilter", "Enumeration", 0x20090, "RO", IMG, "Colour filter on the sensor (none: mono).",
         default="None", entries=E(("None", 0, "No colour filter."))),
    Feat("PixelDynamicRangeMin", "Integer", 0x20098, "RO", IMG, "Smallest pixel value the format can carry.",
         default=0),
    Feat("PixelDynamicRangeMax", "Integer", 0x200A0, "RO", IMG, "Largest pixel value the format can carry.",
         derive="roi_dynamic_range_max"),
    Feat("TestImageSelector", "Enumeration", 0x200A8, "RW", IMG,
         "Replaces the sensor image by a synthetic test image.", default="Off",
         entries=TEST_IMAGES),
    Feat("TestImageResetAndHold", "Boolean", 0x200B0, "RW", IMG,
         "Freezes a moving test image at its first frame.", default=False),

    # ---- Analog control 0x0003_0000 ----
    Feat("GainSelector", "Enumeration", 0x30000, "RW", ANA, "Chooses which gain Gain refers to.",
         default="All", entries=E(("All", 0, "Gain applied to all pixels."))),
    Feat("Gain", "Float", 0x30008, "RW", ANA, "Amplification of the pixel signal.", length=8,
         default=0.0, minimum=0.0, maximum=A["GAIN_MAX_DB"], unit="dB", selector="GainSelector",
         volatile=True, assumed=("max",)),
    Feat("GainAuto", "Enumeration", 0x30010, "RW", ANA, "Automatic gain control.", default="Off",
         entries=OFF_ONCE_CONT, volatile=True, after="autofn_restart"),
    Feat("BlackLevelSelector", "Enumeration", 0x30018, "RW", ANA, "Chooses which black level BlackLevel refers to.",
         default="All", entries=E(("All", 0, "Black level of all pixels."))),
    Feat("BlackLevel", "Float", 0x30020, "RW", ANA, "Offset added to the pixel values (8-bit scale).",
         length=8, default=0.0, minimum=0.0, maximum=A["BLACK_LEVEL_MAX"], unit="DN",
         selector="BlackLevelSelector", assumed=("max",)),
    Feat("Gamma", "Float", 0x30028, "RW", ANA, "Gamma correction exponent; 1 leaves the values linear.",
         length=8, default=1.0, minimum=0.0, maximum=A["GAMMA_MAX"], assumed=("max",)),
    Feat("DigitalShift", "Integer", 0x30030, "RW", ANA,
         "Multiplies the pixel values by 2^n (bit shift), saturating.", default=0, minimum=0,
         maximum=A["DIGITAL_SHIFT_MAX"], inc=1),

    # ---- Acquisition control 0x0004_0000 ----
    Feat("AcquisitionMode", "Enumeration", 0x40000, "RW", ACQ, "Number of frames per AcquisitionStart.",
         default="Continuous", locked=True,
         entries=E(("Continuous", 0, "Frames until AcquisitionStop."),
                   ("SingleFrame", 1, "One frame, then acquisition stops by itself."))),
    Feat("AcquisitionStart", "Command", 0x40008, "WO", ACQ, "Starts the acquisition.",
         prepare="acq_prepare", act="acq_start"),
    Feat("AcquisitionStop", "Command", 0x40010, "WO", ACQ, "Stops the acquisition.", act="acq_stop"),
    Feat("AcquisitionFrameRateEnable", "Boolean", 0x40018, "RW", ACQ,
         "When true the frame rate is limited to AcquisitionFrameRate.", default=False),
    Feat("AcquisitionFrameRate", "Float", 0x40020, "RW", ACQ,
         "Upper limit of the frame rate when AcquisitionFrameRateEnable is true.", length=8,
         default=A["FRAME_RATE_DEFAULT"], minimum=A["FRAME_RATE_MIN"], maximum=A["FRAME_RATE_MAX"],
         unit="Hz", assumed=("min", "max", "default")),
    Feat("ResultingFrameRate", "Float", 0x40028, "RO", ACQ,
         "Frame rate the camera achieves with the present settings.", length=8, unit="Hz",
         derive="acq_frame_rate"),
    Feat("SensorReadoutTime", "Float", 0x40030, "RO", ACQ,
         "Approximate time to read the area of interest out of the sensor.", length=8, unit="us",
         derive="acq_readout_time"),
    Feat("ExposureMode", "Enumeration", 0x40038, "RW", ACQ, "How the exposure time is determined.",
         default="Timed",
         entries=E(("Timed", 1, "Exposure lasts ExposureTime."),
                   ("TriggerWidth", 2, "Exposure lasts as long as the trigger signal (needs triggers)."))),
    Feat("ExposureTime", "Float", 0x40040, "RW", ACQ, "Duration of the exposure.", length=8,
         default=A["EXPOSURE_DEFAULT_US"], minimum=A["EXPOSURE_MIN_US"], maximum=A["EXPOSURE_MAX_US"],
         inc=A["EXPOSURE_INC_US"], unit="us", volatile=True,
         assumed=("min", "max", "inc", "default")),
    Feat("ExposureAuto", "Enumeration", 0x40048, "RW", ACQ, "Automatic exposure control.", default="Off",
         entries=OFF_ONCE_CONT, volatile=True, after="autofn_restart"),

    # ---- Transport layer control 0x0005_0000 ----
    Feat("PayloadSize", "Integer", 0x50000, "RO", TL, "Bytes a buffer must hold for one frame.",
         length=8, unit="B", derive="roi_payload_size"),
    Feat("TLParamsLocked", "Integer", 0x50008, "RW", TL,
         "Set to 1 by the transport layer while streaming; locks size and format features.",
         vis="Invisible", default=0, minimum=0, maximum=1, inc=1),

    # ---- Triggers (AcquisitionControl, 0x0004_0050) ----
    Feat("AcquisitionBurstFrameCount", "Integer", 0x40050, "RW", ACQ,
         "Frames acquired per FrameBurstStart trigger.", default=1, minimum=1,
         maximum=A["BURST_FRAME_COUNT_MAX"], inc=1, assumed=("max",)),
    Feat("AcquisitionStatusSelector", "Enumeration", 0x40058, "RW", ACQ,
         "Chooses which acquisition signal AcquisitionStatus reports.", default="FrameTriggerWait",
         entries=E(("FrameTriggerWait", 0, "The camera waits for a frame start trigger."),
                   ("FrameBurstTriggerWait", 1, "The camera waits for a frame burst start trigger."),
                   ("ExposureActive", 2, "The sensor is exposing."),
                   ("FrameActive", 3, "A frame is being exposed or read out."))),
    Feat("AcquisitionStatus", "Boolean", 0x40060, "RO", ACQ, "State of the signal chosen by AcquisitionStatusSelector.",
         selector="AcquisitionStatusSelector", count=4, stride=4, derive="acq_status"),
    Feat("TriggerSelector", "Enumeration", 0x40070, "RW", ACQ, "Chooses the trigger the Trigger features configure.",
         default="FrameStart",
         entries=E(("FrameStart", 0, "Starts the acquisition of one frame."),
                   ("FrameBurstStart", 1, "Starts a burst of AcquisitionBurstFrameCount frames."))),
    Feat("TriggerMode", "Enumeration", 0x40078, "RW", ACQ, "Whether the selected trigger is used.",
         default="Off", selector="TriggerSelector", count=2, stride=4,
         entries=E(("Off", 0, "The trigger is not used."), ("On", 1, "The trigger starts acquisitions."))),
    Feat("TriggerSource", "Enumeration", 0x40080, "RW", ACQ, "Signal that fires the selected trigger.",
         default="Line1", selector="TriggerSelector", count=2, stride=4,
         entries=E(("Software", 0, "TriggerSoftware command."), ("Line1", 1, "Input line 1 (opto-coupled)."),
                   ("Line3", 3, "GPIO line 3 (as input)."), ("Line4", 4, "GPIO line 4 (as input)."),
                   ("SoftwareSignal1", 5, "SoftwareSignalPulse on SoftwareSignal1."),
                   ("SoftwareSignal2", 6, "SoftwareSignalPulse on SoftwareSignal2."),
                   ("SoftwareSignal3", 7, "SoftwareSignalPulse on SoftwareSignal3."))),
    Feat("TriggerActivation", "Enumeration", 0x40088, "RW", ACQ, "Which signal change fires the trigger.",
         default="RisingEdge", selector="TriggerSelector", count=2, stride=4,
         entries=E(("RisingEdge", 0, "Low to high."), ("FallingEdge", 1, "High to low."),
                   ("AnyEdge", 2, "Either change."), ("LevelHigh", 3, "While high (FrameBurstStart only)."),
                   ("LevelLow", 4, "While low (FrameBurstStart only).")),
         entry_avail={e: ("SEL=1", {"SEL": "TriggerSelectorReg"}) for e in ("LevelHigh", "LevelLow")},
         check="trig_check_activation"),
    Feat("TriggerDelay", "Float", 0x40090, "RW", ACQ, "Time from the trigger to the start it causes.",
         length=8, default=0.0, minimum=0.0, maximum=A["TRIGGER_DELAY_MAX_US"], unit="us",
         selector="TriggerSelector", count=2, stride=8, assumed=("max",)),
    Feat("TriggerSoftware", "Command", 0x400A0, "WO", ACQ, "Fires the selected trigger when its source is Software.",
         selector="TriggerSelector", count=2, stride=4, act="trig_software"),
    Feat("SoftwareSignalSelector", "Enumeration", 0x400A8, "RW", ACQ, "Chooses the software signal to pulse.",
         default="SoftwareSignal1",
         entries=E(*[("SoftwareSignal%d" % i, i - 1, "Software signal %d." % i) for i in range(1, 4)])),
    Feat("SoftwareSignalPulse", "Command", 0x400B0, "WO", ACQ,
         "Pulses the selected software signal (fires triggers that use it as source).",
         selector="SoftwareSignalSelector", count=3, stride=4, act="trig_software_signal"),

    # ---- Auto functions 0x000C_0000 ----
    Feat("AutoTargetBrightness", "Float", 0xC0000, "RW", AUTO,
         "Mean brightness the auto functions aim at, as a fraction of full scale.", length=8,
         default=A["AUTO_TARGET_DEFAULT"], minimum=A["AUTO_TARGET_MIN"], maximum=A["AUTO_TARGET_MAX"],
         assumed=("min", "max", "default")),
    Feat("AutoExposureTimeLowerLimit", "Float", 0xC0008, "RW", AUTO, "Shortest exposure ExposureAuto may set.",
         length=8, default=A["AUTO_EXPOSURE_LOWER_DEFAULT_US"], minimum=A["EXPOSURE_MIN_US"],
         maximum="AutoExposureTimeUpperLimit", unit="us", assumed=("default",), check="autofn_check_limit"),
    Feat("AutoExposureTimeUpperLimit", "Float", 0xC0010, "RW", AUTO, "Longest exposure ExposureAuto may set.",
         length=8, default=A["AUTO_EXPOSURE_UPPER_DEFAULT_US"], minimum="AutoExposureTimeLowerLimit",
         maximum=A["EXPOSURE_MAX_US"], unit="us", assumed=("default",), check="autofn_check_limit"),
    Feat("AutoGainLowerLimit", "Float", 0xC0018, "RW", AUTO, "Lowest gain GainAuto may set.", length=8,
         default=0.0, minimum=0.0, maximum="AutoGainUpperLimit", unit="dB", selector="GainSelector",
         check="autofn_check_limit"),
    Feat("AutoGainUpperLimit", "Float", 0xC0020, "RW", AUTO, "Highest gain GainAuto may set.", length=8,
         default=A["GAIN_MAX_DB"], minimum="AutoGainLowerLimit", maximum=A["GAIN_MAX_DB"], unit="dB",
         selector="GainSelector", check="autofn_check_limit"),
    Feat("AutoFunctionProfile", "Enumeration", 0xC0028, "RW", AUTO,
         "Which of exposure and gain is kept low when both auto functions run.", default="MinimizeGain",
         entries=E(("MinimizeGain", 0, "Use exposure first, gain only when exposure is at its limit."),
                   ("MinimizeExposureTime", 1, "Use gain first, exposure only when gain is at its limit."))),
    Feat("AutoFunctionROISelector", "Enumeration", 0xC0030, "RW", AUTO,
         "Chooses the auto-function region the ROI features configure.", default="ROI1",
         entries=E(("ROI1", 0, "Region 1."), ("ROI2", 1, "Region 2."))),
    Feat("AutoFunctionROIOffsetX", "Integer", 0xC0038, "RW", AUTO,
         "Left edge of the region, in image pixels (clipped to the image).", default=0, minimum=0,
         maximum=4108, inc=4, unit="px", selector="AutoFunctionROISelector", count=2, stride=4),
    Feat("AutoFunctionROIOffsetY", "Integer", 0xC0040, "RW", AUTO,
         "Top edge of the region, in image rows (clipped to the image).", default=0, minimum=0,
         maximum=2992, inc=2, unit="px", selector="AutoFunctionROISelector", count=2, stride=4),
    Feat("AutoFunctionROIWidth", "Integer", 0xC0048, "RW", AUTO, "Width of the region.", default=4112,
         minimum=16, maximum=4112, inc=4, unit="px", selector="AutoFunctionROISelector", count=2, stride=4),
    Feat("AutoFunctionROIHeight", "Integer", 0xC0050, "RW", AUTO, "Height of the region.", default=3008,
         minimum=16, maximum=3008, inc=2, unit="px", selector="AutoFunctionROISelector", count=2, stride=4),
    Feat("AutoFunctionROIUseBrightness", "Boolean", 0xC0058, "RW", AUTO,
         "Whether the region is used to measure brightness.", default=False,
         selector="AutoFunctionROISelector", count=2, stride=4, elem_defaults=[True, False]),

    # ---- Digital I/O 0x0007_0000 ----
    Feat("LineSelector", "Enumeration", 0x70000, "RW", DIO, "Chooses the line the Line features configure.",
         default="Line1", entries=E(("Line1", 0, "Opto-coupled input."), ("Line2", 1, "Opto-coupled output."),
                                   ("Line3", 2, "GPIO line 3."), ("Line4", 3, "GPIO line 4."))),
    Feat("LineMode", "Enumeration", 0x70008, "RW", DIO,
         "Whether the line is an input or an output (fixed for Line1 and Line2).", default="Input",
         selector="LineSelector", count=4, stride=4, elem_defaults=["Input", "Output", "Input", "Input"],
         lock_expr=("SEL<2", {"SEL": "LineSelectorReg"}),
         entries=E(("Input", 0, "The line is an input."), ("Output", 1, "The line is an output.")),
         check="lines_check_mode", after="lines_changed"),
    Feat("LineFormat", "Enumeration", 0x70018, "RO", DIO, "Electrical format of the line.",
         default="TTL", selector="LineSelector", count=4, stride=4,
         elem_defaults=["OptoCoupled", "OptoCoupled", "TTL", "TTL"], assumed=("per-line mapping",),
         entries=E(("NoConnect", 0, "Not connected."), ("TriState", 1, "Tri-state."), ("TTL", 2, "TTL."),
                   ("LVDS", 3, "LVDS."), ("RS422", 4, "RS-422."), ("OptoCoupled", 5, "Opto-coupled."))),
    Feat("LineLogic", "Enumeration", 0x70028, "RO", DIO, "Logic of the line.", default="Positive",
         selector="LineSelector", count=4, stride=4,
         entries=E(("Positive", 0, "High voltage is logical 1."), ("Negative", 1, "Low voltage is logical 1."))),
    Feat("LineInverter", "Boolean", 0x70038, "RW", DIO, "Inverts the line's signal.", default=False,
         selector="LineSelector", count=4, stride=4, after="lines_changed"),
    Feat("LineStatus", "Boolean", 0x70048, "RO", DIO,
         "Current logical state of the line (after inverter and debouncer for inputs).",
         selector="LineSelector", count=4, stride=4, derive="lines_status"),
    Feat("LineStatusAll", "Integer", 0x70058, "RO", DIO, "States of all lines: bit 0 = Line1 ... bit 3 = Line4.",
         derive="lines_status_all"),
    Feat("LineSource", "Enumeration", 0x70060, "RW", DIO,
         "Signal an output line carries (UserOutputN only on its own line: 1 on Line2, 2 on Line3, 3 on Line4).",
         default="Off", selector="LineSelector", count=4, stride=4,
         elem_defaults=["Off", "ExposureActive", "Off", "Off"],
         lock_expr=("MODE<>1", {"MODE": "LineModeReg"}), assumed=("per-line mapping",),
         entries=E(("Off", 0, "Low."), ("ExposureActive", 1, "High while the sensor exposes."),
                   ("FrameTriggerWait", 2, "High while the camera can accept a frame start trigger."),
                   ("FrameBurstTriggerWait", 3, "High while the camera can accept a frame burst start trigger."),
                   ("Timer1Active", 4, "High while Timer1 runs."), ("UserOutput1", 5, "UserOutputValue of UserOutput1."),
                   ("UserOutput2", 6, "UserOutputValue of UserOutput2."),
                   ("UserOutput3", 7, "UserOutputValue of UserOutput3.")), check="lines_check_source"),
    Feat("LineDebouncerTime", "Float", 0x70070, "RW", DIO,
         "An input change counts only after the level has been stable this long.", length=8, default=0.0,
         minimum=0.0, maximum=A["LINE_DEBOUNCER_MAX_US"], unit="us", selector="LineSelector", count=4,
         stride=8, lock_expr=("MODE=1", {"MODE": "LineModeReg"}), assumed=("max",),
         check="lines_check_debouncer"),
    Feat("LineMinimumOutputPulseWidth", "Float", 0x70090, "RW", DIO,
         "Shortest pulse an output line produces (stored; the simulated outputs are ideal).", length=8,
         default=0.0, minimum=0.0, maximum=A["LINE_MIN_PULSE_MAX_US"], unit="us", selector="LineSelector",
         count=4, stride=8, lock_expr=("MODE=0", {"MODE": "LineModeReg"}), assumed=("max",),
         check="lines_check_min_pulse"),
    Feat("UserOutputSelector", "Enumeration", 0x700B0, "RW", DIO, "Chooses the user output UserOutputValue sets.",
         default="UserOutput1", entries=E(*[("UserOutput%d" % i, i - 1, "User output %d." % i) for i in range(1, 4)])),
    Feat("UserOutputValue", "Boolean", 0x700B8, "RW", DIO, "Value of the selected user output.", default=False,
         selector="UserOutputSelector", count=3, stride=4),
    Feat("UserOutputValueAll", "Integer", 0x700C8, "RW", DIO,
         "All user outputs at once: bit n = UserOutputn (bit 0 unused).", default=0, minimum=0, maximum=14,
         inc=2, derive="lines_user_outputs", act="lines_set_user_outputs"),

    # ---- Counters and timer 0x0008_0000 ----
    Feat("CounterSelector", "Enumeration", 0x80000, "RW", CNT, "Chooses the counter the Counter features configure.",
         default="Counter1", entries=E(("Counter1", 0, "Counter 1."), ("Counter2", 1, "Counter 2."))),
    Feat("CounterEventSource", "Enumeration", 0x80008, "RW", CNT, "What the counter counts.",
         default="FrameStart", selector="CounterSelector", count=2, stride=4,
         entries=E(("Off", 0, "Nothing."), ("FrameStart", 1, "Frame starts (accepted triggers / frames)."),
                   ("FrameTrigger", 2, "Every frame start trigger, accepted or lost."))),
    Feat("CounterResetSource", "Enumeration", 0x80010, "RW", CNT, "Signal that resets the counter to 0.",
         default="Off", selector="CounterSelector", count=2, stride=4,
         entries=E(("Off", 0, "No reset except CounterReset."), ("Software", 1, "CounterReset."),
                   ("Line1", 2, "Rising edge of Line1."), ("Line3", 4, "Rising edge of Line3."),
                   ("Line4", 5, "Rising edge of Line4."), ("Counter2End", 6, "Counter2 reaching CounterDuration."))),
    Feat("CounterResetActivation", "Enumeration", 0x80018, "RW", CNT, "Which change of the reset signal resets.",
         default="RisingEdge", selector="CounterSelector", count=2, stride=4,
         entries=E(("RisingEdge", 0, "Low to high."),)),
    Feat("CounterReset", "Command", 0x80020, "WO", CNT, "Resets the selected counter to 0.",
         selector="CounterSelector", count=2, stride=4, act="trig_counter_reset"),
    Feat("CounterDuration", "Integer", 0x80028, "RW", CNT,
         "Count at which the counter ends (CounterNEnd) and starts again from 0; 0 = never.",
         default=0, minimum=0, maximum=4294967295, inc=1, vis="Expert", selector="CounterSelector",
         count=2, stride=4),
    Feat("TimerSelector", "Enumeration", 0x80040, "RW", CNT, "Chooses the timer the Timer features configure.",
         default="Timer1", entries=E(("Timer1", 0, "Timer 1."),)),
    Feat("TimerTriggerSource", "Enumeration", 0x80048, "RW", CNT, "Signal that starts the timer.",
         default="ExposureStart", selector="TimerSelector",
         entries=E(("Off", 0, "The timer does not run."), ("ExposureStart", 1, "Start of each exposure."))),
    Feat("TimerDelay", "Float", 0x80050, "RW", CNT, "Time from the trigger to Timer1Active going high.",
         length=8, default=0.0, minimum=0.0, maximum=A["TIMER_MAX_US"], unit="us", selector="TimerSelector",
         assumed=("max",)),
    Feat("TimerDuration", "Float", 0x80058, "RW", CNT, "Time Timer1Active stays high.", length=8, default=10.0,
         minimum=0.0, maximum=A["TIMER_MAX_US"], unit="us", selector="TimerSelector", assumed=("max",)),

    # ---- Chunk data 0x0009_0000 ----
    Feat("ChunkModeActive", "Boolean", 0x90000, "RW", CHK,
         "Appends the enabled chunks to every image; PayloadSize grows accordingly.", default=False, locked=True),
    Feat("ChunkSelector", "Enumeration", 0x90008, "RW", CHK, "Chooses the chunk ChunkEnable refers to.",
         default="Image",
         entries=E(*[(n, i, "The %s chunk." % n) for i, (n, _, _) in enumerate(CHUNKS)])),
    Feat("ChunkEnable", "Boolean", 0x90010, "RW", CHK, "Includes the selected chunk (Image is always included).",
         default=False, locked=True, selector="ChunkSelector", count=len(CHUNKS), stride=4,
         elem_defaults=[True] + [False] * (len(CHUNKS) - 1),
         lock_expr=("SEL=0", {"SEL": "ChunkSelectorReg"}), check="chunks_check_enable"),
    Feat("ChunkGainSelector", "Enumeration", 0x90030, "RW", CHK, "Chooses the gain ChunkGain reports.",
         default="All", entries=E(("All", 0, "Gain applied to all pixels."),)),
    Feat("ChunkCounterSelector", "Enumeration", 0x90038, "RW", CHK, "Chooses the counter ChunkCounterValue reports.",
         default="Counter1", entries=E(("Counter1", 0, "Counter 1."), ("Counter2", 1, "Counter 2."))),
    Feat("ChunkTimestamp", "Integer", 0, "RO", CHK, "Exposure start of the frame, ns of device time.",
         length=8, unit="ns", port="ChunkTimestampPort", volatile=True),
    Feat("ChunkExposureTime", "Float", 0, "RO", CHK, "Exposure time of the frame.", length=8, unit="us",
         port="ChunkExposureTimePort", volatile=True),
    Feat("ChunkGain", "Float", 0, "RO", CHK, "Gain of the frame.", length=8, unit="dB", port="ChunkGainPort",
         selector="ChunkGainSelector", volatile=True),
    Feat("ChunkLineStatusAll", "Integer", 0, "RO", CHK, "LineStatusAll at the frame's exposure start.",
         port="ChunkLineStatusAllPort", volatile=True),
    Feat("ChunkCounterValue", "Integer", 0, "RO", CHK, "Value of the selected counter at the frame's exposure start.",
         port="ChunkCounterValuePort", selector="ChunkCounterSelector", count=2, stride=4, volatile=True),
    Feat("ChunkSequencerSetActive", "Integer", 0, "RO", CHK, "Sequencer set the frame was taken with.",
         port="ChunkSequencerSetActivePort", volatile=True),
    Feat("ChunkPayloadCRC16", "Integer", 0, "RO", CHK,
         "CRC-16/CCITT-FALSE of every byte before this chunk's data (image and the other chunks).",
         port="ChunkPayloadCRC16Port", volatile=True),

    # ---- Events 0x000A_0000 ----
    Feat("EventSelector", "Enumeration", 0xA0000, "RW", EVT, "Chooses the event EventNotification refers to.",
         default="ExposureEnd", entries=E(*[(n, i, "The %s event." % n) for i, (n, _, _) in enumerate(EVENTS)])),
    Feat("EventNotification", "Enumeration", 0xA0008, "RW", EVT, "Whether the camera sends the selected event.",
         default="Off", selector="EventSelector", count=len(EVENTS), stride=4,
         entries=E(("Off", 0, "Not sent."), ("On", 1, "Sent on every occurrence."))),
] + [f for (n, eid, has_fid) in EVENTS for f in (
    [Feat("Event%s" % n, "Integer", 2, "RO", EVT, "Event ID of the last %s event." % n, length=2,
          port="Event%sPort" % n, volatile=True, vis="Expert"),
     Feat("Event%sTimestamp" % n, "Integer", 4, "RO", EVT, "Device time (ns) of the last %s event." % n,
          length=8, unit="ns", port="Event%sPort" % n, volatile=True, vis="Expert")]
    + ([Feat("Event%sFrameID" % n, "Integer", 12, "RO", EVT, "Frame ID the last %s event refers to." % n,
             length=8, port="Event%sPort" % n, volatile=True, vis="Expert")] if has_fid else []))] + [

    # ---- User sets 0x000B_0000 ----
    Feat("UserSetSelector", "Enumeration", 0xB0000, "RW", UST, "Chooses the user set to load or save.",
         default="Default", entries=E(*[(n, i, "User set %s." % n) for i, n in enumerate(USER_SETS)])),
    Feat("UserSetLoad", "Command", 0xB0008, "WO", UST, "Loads the selected user set into the camera.",
         act="usersets_load"),
    Feat("UserSetSave", "Command", 0xB0010, "WO", UST,
         "Saves the current configuration into the selected user set (UserSet1-3 only).", act="usersets_save"),
    Feat("UserSetDefault", "Enumeration", 0xB0018, "RW", UST, "User set loaded when the camera starts.",
         default="Default", entries=E(*[(n, i, "User set %s." % n) for i, n in enumerate(USER_SETS)]),
         after="usersets_save_file"),

    # ---- Sequencer 0x000D_0000 (README "Sequencer") ----
    Feat("SequencerMode", "Enumeration", 0xD0000, "RW", SEQ,
         "When On, every acquisition starts at SequencerSetStart and steps through the sequencer sets.",
         vis="Expert", default="Off", locked=True,
         entries=E(("Off", 0, "The sequencer is off."), ("On", 1, "The sequencer is on.")),
         entry_avail={"On": ("CFG=0", {"CFG": "SequencerConfigurationModeReg"})},
         check="seq_check_mode", after="seq_mode_changed"),
    Feat("SequencerConfigurationMode", "Enumeration", 0xD0008, "RW", SEQ,
         "When On, sequencer sets can be saved and loaded (only with SequencerMode Off).",
         vis="Expert", default="Off", locked=True,
         entries=E(("Off", 0, "Sequencer sets cannot be edited."), ("On", 1, "Sequencer sets can be edited.")),
         lock_expr=("MODE=1", {"MODE": "SequencerModeReg"}), check="seq_check_config"),
    Feat("SequencerSetSelector", "Integer", 0xD0010, "RW", SEQ,
         "Chooses the sequencer set SequencerSetLoad and SequencerSetSave refer to.",
         vis="Expert", default=0, minimum=0, maximum=A["SEQUENCER_SETS"] - 1, inc=1, assumed=("max",)),
    Feat("SequencerSetLoad", "Command", 0xD0018, "WO", SEQ,
         "Loads the selected sequencer set into the camera (SequencerConfigurationMode On only).", vis="Expert",
         selector="SequencerSetSelector", act="seq_set_load"),
    Feat("SequencerSetSave", "Command", 0xD0020, "WO", SEQ,
         "Saves the current sequencer features into the selected set (SequencerConfigurationMode On only).",
         vis="Expert", selector="SequencerSetSelector", act="seq_set_save"),
    Feat("SequencerSetActive", "Integer", 0xD0028, "RO", SEQ, "Sequencer set the camera is on.",
         vis="Expert", derive="seq_set_active"),
    Feat("SequencerSetStart", "Integer", 0xD0030, "RW", SEQ, "First sequencer set of every acquisition.",
         vis="Expert", default=0, minimum=0, maximum=0, inc=1),
    Feat("SequencerPathSelector", "Integer", 0xD0038, "RW", SEQ,
         "Chooses the path SequencerSetNext and SequencerTriggerSource refer to.",
         vis="Expert", default=0, minimum=0, maximum=1, inc=1),
    Feat("SequencerSetNext", "Integer", 0xD0040, "RW", SEQ,
         "Set the sequencer goes to when the selected path's trigger fires (saved with the set).",
         vis="Expert", default=0, minimum=0, maximum=A["SEQUENCER_SETS"] - 1, inc=1,
         selector="SequencerPathSelector", count=2, stride=4),
    Feat("SequencerTriggerSource", "Enumeration", 0xD0048, "RW", SEQ,
         "Signal that advances the sequencer along the selected path (saved with the set).",
         vis="Expert", default="FrameStart", selector="SequencerPathSelector", count=2, stride=4,
         entries=SEQ_SOURCES),
    Feat("SequencerTriggerActivation", "Enumeration", 0xD0050, "RW", SEQ,
         "Which change of the path's signal advances the sequencer (only LevelHigh exists).",
         vis="Expert", default="LevelHigh", selector="SequencerPathSelector", count=2, stride=4,
         entries=E(("LevelHigh", 3, "The sequencer advances when the signal becomes high."),)),
    # sequencer set storage (internal, element k = set k; path p of set k = element p*N + k)
    Feat("SeqSetExposureTime", "Float", 0xD0100, "RW", None, "Stored ExposureTime.", length=8,
         count=A["SEQUENCER_SETS"], stride=8, default=A["EXPOSURE_DEFAULT_US"], minimum=A["EXPOSURE_MIN_US"],
         maximum=A["EXPOSURE_MAX_US"], unit="us", internal=True, check="seq_check_storage"),
    Feat("SeqSetGain", "Float", 0xD0200, "RW", None, "Stored Gain.", length=8, count=A["SEQUENCER_SETS"],
         stride=8, default=0.0, minimum=0.0, maximum=A["GAIN_MAX_DB"], unit="dB", internal=True,
         check="seq_check_storage"),
    Feat("SeqSetBlackLevel", "Float", 0xD0300, "RW", None, "Stored BlackLevel.", length=8,
         count=A["SEQUENCER_SETS"], stride=8, default=0.0, minimum=0.0, maximum=A["BLACK_LEVEL_MAX"],
         internal=True, check="seq_check_storage"),
    Feat("SeqSetOffsetX", "Integer", 0xD0400, "RW", None, "Stored OffsetX.", count=A["SEQUENCER_SETS"],
         default=8, minimum=0, maximum=4096, inc=A["OFFSET_X_INC"], internal=True, check="seq_check_storage"),
    Feat("SeqSetOffsetY", "Integer", 0xD0480, "RW", None, "Stored OffsetY.", count=A["SEQUENCER_SETS"],
         default=4, minimum=0, maximum=2992, inc=A["OFFSET_Y_INC"], internal=True, check="seq_check_storage"),
    Feat("SeqSetDigitalShift", "Integer", 0xD0500, "RW", None, "Stored DigitalShift.",
         count=A["SEQUENCER_SETS"], default=0, minimum=0, maximum=A["DIGITAL_SHIFT_MAX"], inc=1, internal=True,
         check="seq_check_storage"),
    Feat("SeqSetTestImageSelector", "Enumeration", 0xD0580, "RW", None, "Stored TestImageSelector.",
         count=A["SEQUENCER_SETS"], default="Off", entries=TEST_IMAGES, internal=True,
         check="seq_check_storage"),
    Feat("SeqSetNext", "Integer", 0xD0600, "RW", None, "Stored SequencerSetNext, element path*N + set.",
         count=2 * A["SEQUENCER_SETS"], default=0, minimum=0, maximum=A["SEQUENCER_SETS"] - 1, inc=1,
         internal=True, check="seq_check_storage"),
    Feat("SeqSetTriggerSource", "Enumeration", 0xD0700, "RW", None,
         "Stored SequencerTriggerSource, element path*N + set.", count=2 * A["SEQUENCER_SETS"],
         default="FrameStart", entries=SEQ_SOURCES, internal=True, check="seq_check_storage"),

    # ---- Hidden helper registers 0x0006_0000 (dynamic limits) ----
    Feat("WidthLimit", "Integer", 0x60000, "RO", None, "Max Width: WidthMax - OffsetX (WidthMax when CenterX).",
         reg_only=True, vis="Invisible", standard=False,
         derive="roi_width_limit", describe="roi_describe_width_limit"),
    Feat("HeightLimit", "Integer", 0x60008, "RO", None, "Max Height: HeightMax - OffsetY (HeightMax when CenterY).",
         reg_only=True, vis="Invisible", standard=False,
         derive="roi_height_limit", describe="roi_describe_height_limit"),
    Feat("OffsetXLimit", "Integer", 0x60010, "RO", None, "Max OffsetX: WidthMax - Width.",
         reg_only=True, vis="Invisible", standard=False,
         derive="roi_offset_x_limit", describe="roi_describe_offset_x_limit"),
    Feat("OffsetYLimit", "Integer", 0x60018, "RO", None, "Max OffsetY: HeightMax - Height.",
         reg_only=True, vis="Invisible", standard=False,
         derive="roi_offset_y_limit", describe="roi_describe_offset_y_limit"),
]

BY_NAME = {f.name: f for f in FEATURES}
DEVICE_FEATURES = [f for f in FEATURES if not f.port]  # the ones with a device register (C table)
TYPE_C = {"Integer": "CAM_T_INTEGER", "Float": "CAM_T_FLOAT", "Enumeration": "CAM_T_ENUM",
          "Boolean": "CAM_T_BOOLEAN", "String": "CAM_T_STRING", "Command": "CAM_T_COMMAND"}
ACCESS_C = {"RO": "CAM_ACC_RO", "WO": "CAM_ACC_WO", "RW": "CAM_ACC_RW"}


# ---------------------------------------------------------------------------------------------
# Consistency checks: fail loudly rather than generate a broken camera.
# ---------------------------------------------------------------------------------------------
def check_table():
    errs = []
    spans = []
    port_spans = {}
    for f in FEATURES:
        if f.type not in TYPE_C:
            errs.append("%s: unknown type %s" % (f.name, f.type))
        if f.type == "Float" and f.length != 8:
            errs.append("%s: Float registers are 8-byte doubles" % f.name)
        if f.type in ("Integer", "Enumeration", "Boolean", "Command") and f.length not in (4, 8) \
                and not (f.port and f.length == 2):
            errs.append("%s: length %d" % (f.name, f.length))
        if f.address % 4 and not f.port:
            errs.append("%s: address not 4-aligned" % f.name)
        if f.port and f.type not in ("Integer", "Float"):
            errs.append("%s: only Integer/Float nodes live on chunk/event ports" % f.name)
        if f.elem_defaults is not None and len(f.elem_defaults) != f.count:
            errs.append("%s: elem_defaults needs %d values" % (f.name, f.count))
        if f.elem_defaults is not None and f.type == "Enumeration":
            for d in f.elem_defaults:
                if d not in [n for n, _, _ in f.entries]:
                    errs.append("%s: element default %r not an entry" % (f.name, d))
        if f.type == "Enumeration":
            if not f.entries:
                errs.append("%s: no entries" % f.name)
            vals = [v for _, v, _ in f.entries]
            if len(set(vals)) != len(vals):
                errs.append("%s: duplicate entry values" % f.name)
            if f.default is not None and f.default not in [n for n, _, _ in f.entries]:
                errs.append("%s: default %r not an entry" % (f.name, f.default))
        for lim in (f.minimum, f.maximum):
            if isinstance(lim, str) and lim not in BY_NAME:
                errs.append("%s: limit refers to unknown %s" % (f.name, lim))
        if isinstance(f.default, (int, float)) and not isinstance(f.default, bool):
            if isinstance(f.minimum, (int, float)) and f.default < f.minimum:
                errs.append("%s: default below min" % f.name)
            if isinstance(f.maximum, (int, float)) and f.default > f.maximum:
                errs.append("%s: default above max" % f.name)
            if f.type == "Integer" and f.inc and isinstance(f.minimum, int) and (f.default - f.minimum) % f.inc:
                errs.append("%s: default off increment" % f.name)
        if f.type == "String" and f.default is not None and len(f.default.encode()) >= f.length:
            errs.append("%s: default does not fit" % f.name)
        if f.selector:
            s = BY_NAME.get(f.selector)
            if s is None:
                errs.append("%s: unknown selector %s" % (f.name, f.selector))
            elif f.count > 1:
                vals = sorted(v for _, v, _ in s.entries) if s.type == "Enumeration" else None
                if vals is not None and vals != list(range(f.count)):
                    errs.append("%s: indexed by %s whose values are not 0..%d" % (f.name, s.name, f.count - 1))
                if f.stride < f.length:
                    errs.append("%s: stride < length" % f.name)
        for n in f.entry_avail:
            if n not in [e for e, _, _ in f.entries]:
                errs.append("%s: entry_avail names unknown entry %s" % (f.name, n))
        if f.is_locked_by and f.is_locked_by not in BY_NAME:
            errs.append("%s: unknown lock %s" % (f.name, f.is_locked_by))
        if f.category is None and not f.reg_only and not f.internal:
            errs.append("%s: no category" % f.name)
        total = f.stride * (f.count - 1) + f.length
        if f.port:
            port_spans.setdefault(f.port, []).append((f.address, f.address + total, f.name))
        else:
            spans.append((f.address, f.address + total, f.name))
    for sp in [spans] + list(port_spans.values()):
        sp.sort()
        for (a0, a1, n0), (b0, b1, n1) in zip(sp, sp[1:]):
            if b0 < a1:
                errs.append("registers overlap: %s and %s" % (n0, n1))
    for n, _, size in CHUNKS:
        for f in FEATURES:
            if f.port == "Chunk%sPort" % n and f.address + f.stride * (f.count - 1) + f.length > size:
                errs.append("%s: runs past the %d-byte chunk" % (f.name, size))
    if spans[-1][1] > XML_ADDRESS:
        errs.append("registers run into the XML area")
    if len(BY_NAME) != len(FEATURES):
        errs.append("duplicate feature names")
    errs += check_hooks()
    if errs:
        sys.exit("gen_camera.py: table errors:\n  " + "\n  ".join(errs))


def int_limit_refs():
    """Registers that give an Integer feature its dynamic min or max (they need `describe`)."""
    return {lim for f in FEATURES if f.type == "Integer" for lim in (f.minimum, f.maximum) if isinstance(lim, str)}


def hook_kinds():
    """{C function: (hook kind, C signature kind)}; a function serves one kind only."""
    kinds, errs = {}, []
    for f in DEVICE_FEATURES:
        for k, fn in f.hooks.items():
            sig = "derive_float" if (k == "derive" and f.type == "Float") else "derive_int" if k == "derive" else k
            if kinds.setdefault(fn, sig) != sig:
                errs.append("%s: %s is used as %s and as %s" % (f.name, fn, kinds[fn], sig))
    return kinds, errs


def check_hooks():
    """The rules between a register and its behaviour (Feat docstring)."""
    errs = []
    refs = int_limit_refs()
    for f in FEATURES:
        h = f.hooks
        for fn in h.values():
            if not re.fullmatch(r"[a-z][a-z0-9]*_[a-z0-9_]+", fn):
                errs.append("%s: hook %r is not a C name prefixed by its concept file" % (f.name, fn))
        if f.port and h:
            errs.append("%s: chunk/event port features have no device register, so no hooks" % f.name)
            continue
        if f.port:
            continue
        writable = f.access != "RO"
        if f.type == "Command" and "act" not in h:
            errs.append("%s: a Command needs an act hook" % f.name)
        if "act" in h and f.type != "Command" and not (f.derived and writable):
            errs.append("%s: act only on Commands and writable derived registers" % f.name)
        if f.derived and writable and "act" not in h:
            errs.append("%s: a writable derived register needs an act hook (its value is not stored)" % f.name)
        if "prepare" in h and "act" not in h:
            errs.append("%s: prepare runs before act; there is no act" % f.name)
        if "after" in h and ("act" in h or not writable):
            errs.append("%s: after runs once a write is stored; this register stores none" % f.name)
        if "check" in h and not writable:
            errs.append("%s: check on a read-only register" % f.name)
        if (f.name in refs) != ("describe" in h):
            errs.append("%s: describe is for (and needed by) the dynamic limits of Integers" % f.name)
        if f.name in refs and not f.derived:
            errs.append("%s: a dynamic limit is derived" % f.name)
    errs += hook_kinds()[1]
    return errs


# ---------------------------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------------------------
def fnum(x):
    return repr(float(x))


def xml_node_head(out, tag, f, ind="  "):
    ns = "Standard" if f.standard else "Custom"
    out.append('%s<%s Name="%s" NameSpace="%s">' % (ind, tag, f.name, ns))
    out.append("%s  <ToolTip>%s</ToolTip>" % (ind, escape(f.desc)))
    out.append("%s  <Description>%s</Description>" % (ind, escape(f.desc)))
    out.append("%s  <Visibility>%s</Visibility>" % (ind, f.vis))
    if f.lock_expr:  # (OR'ed with TLParamsLocked when f.locked, see gen_xml)
        out.append("%s  <pIsLocked>%sLockedExpr</pIsLocked>" % (ind, f.name))
    elif f.locked:
        out.append("%s  <pIsLocked>TLParamsLocked</pIsLocked>" % ind)
    elif f.is_locked_by:
        out.append("%s  <pIsLocked>%s</pIsLocked>" % (ind, BY_NAME[f.is_locked_by].reg_name))


def xml_register(out, f, tag):
    ns = "Custom"
    out.append('  <%s Name="%s" NameSpace="%s">' % (tag, f.reg_name, ns))
    if f.reg_only:
        out.append("    <Description>%s</Description>" % escape(f.desc))
        out.append("    <Visibility>Invisible</Visibility>")
    elif f.type == "String":
        out.append("    <ToolTip>%s</ToolTip>" % escape(f.desc))
        out.append("    <Description>%s</Description>" % escape(f.desc))
        out.append("    <Visibility>%s</Visibility>" % f.vis)
    else:
        out.append("    <Visibility>Invisible</Visibility>")
    out.append("    <Address>0x%X</Address>" % f.address)
    if f.count > 1:
        out.append('    <pIndex Offset="%d">%s</pIndex>' % (f.stride, BY_NAME[f.selector].reg_name))
    out.append("    <Length>%d</Length>" % f.length)
    out.append("    <AccessMode>%s</AccessMode>" % f.access)
    out.append("    <pPort>%s</pPort>" % (f.port or "Device"))
    out.append("    <Cachable>%s</Cachable>" % f.cachable)
    if tag == "IntReg":
        out.append("    <Sign>%s</Sign>" % ("Signed" if f.signed else "Unsigned"))
    if tag in ("IntReg", "FloatReg"):
        out.append("    <Endianess>LittleEndian</Endianess>")
    out.append("  </%s>" % tag)


def limit_xml(tag, val, f):
    if isinstance(val, str):
        return "    <p%s>%s</p%s>" % (tag, BY_NAME[val].reg_name, tag)
    return "    <%s>%s</%s>" % (tag, fnum(val) if f.type == "Float" else int(val), tag)


def gen_xml():
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    out.append('<RegisterDescription ModelName="acA4112-20um" VendorName="Basler" '
               'ToolTip="Simulated Basler acA4112-20um (USB3 Vision-like register map)" '
               'StandardNameSpace="None" SchemaMajorVersion="%d" SchemaMinorVersion="%d" '
               'SchemaSubMinorVersion="%d" MajorVersion="%d" MinorVersion="%d" SubMinorVersion="%d" '
               'ProductGuid="%s" VersionGuid="%s" xmlns="http://www.genicam.org/GenApi/Version_1_1" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://www.genicam.org/GenApi/Version_1_1 '
               'http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd">'
               % (SCHEMA + XML_VERSION + (PRODUCT_GUID, VERSION_GUID)))
    out.append('  <Category Name="Root" NameSpace="Standard">')
    out.append("    <ToolTip>All features of the camera.</ToolTip>")
    for c, _ in CATEGORIES:
        out.append("    <pFeature>%s</pFeature>" % c)
    out.append("  </Category>")
    for c, d in CATEGORIES:
        out.append('  <Category Name="%s" NameSpace="Standard">' % c)
        out.append("    <ToolTip>%s</ToolTip>" % escape(d))
        out.append("    <Description>%s</Description>" % escape(d))
        out.append("    <Visibility>Beginner</Visibility>")
        for f in FEATURES:
            if f.category == c:
                out.append("    <pFeature>%s</pFeature>" % f.name)
        out.append("  </Category>")

    for f in FEATURES:
        if f.internal:
            continue  # storage only, not a GenApi feature
        if f.reg_only:
            xml_register(out, f, "IntReg")
            continue
        t = f.type
        if t == "String":
            xml_register(out, f, "StringReg")
            continue
        if t == "Integer":
            xml_node_head(out, "Integer", f)
            out.append("    <pValue>%s</pValue>" % f.reg_name)
            if f.minimum is not None:
                out.append(limit_xml("Min", f.minimum, f))
            if f.maximum is not None:
                out.append(limit_xml("Max", f.maximum, f))
            if f.inc is not None:
                out.append("    <Inc>%d</Inc>" % f.inc)
            if f.unit:
                out.append("    <Unit>%s</Unit>" % f.unit)
            for s in f.selects:
                out.append("    <pSelected>%s</pSelected>" % s)
            out.append("  </Integer>")
            xml_register(out, f, "IntReg")
        elif t == "Float":
            xml_node_head(out, "Float", f)
            out.append("    <pValue>%s</pValue>" % f.reg_name)
            if f.minimum is not None:
                out.append(limit_xml("Min", f.minimum, f))
            if f.maximum is not None:
                out.append(limit_xml("Max", f.maximum, f))
            if f.unit:
                out.append("    <Unit>%s</Unit>" % f.unit)
            out.append("  </Float>")
            xml_register(out, f, "FloatReg")
        elif t == "Enumeration":
            xml_node_head(out, "Enumeration", f)
            for n, v, d in f.entries:
                out.append('    <EnumEntry Name="%s" NameSpace="%s">' % (n, "Standard" if f.standard else "Custom"))
                out.append("      <ToolTip>%s</ToolTip>" % escape(d))
                if n in f.entry_avail:
                    out.append("      <pIsAvailable>%s_%sAvailExpr</pIsAvailable>" % (f.name, n))
                out.append("      <Value>%d</Value>" % v)
                out.append("    </EnumEntry>")
            out.append("    <pValue>%s</pValue>" % f.reg_name)
            for s in f.selects:
                out.append("    <pSelected>%s</pSelected>" % s)
            out.append("  </Enumeration>")
            xml_register(out, f, "IntReg")
        elif t == "Boolean":
            xml_node_head(out, "Boolean", f)
            out.append("    <pValue>%s</pValue>" % f.reg_name)
            out.append("    <OnValue>1</OnValue>")
            out.append("    <OffValue>0</OffValue>")
            out.append("  </Boolean>")
            xml_register(out, f, "IntReg")
        elif t == "Command":
            xml_node_head(out, "Command", f)
            out.append("    <pValue>%s</pValue>" % f.reg_name)
            out.append("    <CommandValue>1</CommandValue>")
            out.append("  </Command>")
            xml_register(out, f, "IntReg")
    def swiss_knife(name, formula, variables):
        out.append('  <IntSwissKnife Name="%s" NameSpace="Custom">' % name)
        out.append("    <Visibility>Invisible</Visibility>")
        for var, reg in sorted(variables.items()):
            out.append('    <pVariable Name="%s">%s</pVariable>' % (var, reg))
        out.append("    <Formula>%s</Formula>" % escape(formula))
        out.append("  </IntSwissKnife>")

    for f in FEATURES:
        if f.lock_expr:
            formula, variables = f.lock_expr
            if f.locked:  # also locked while streaming
                formula, variables = "(%s)||(TLLOCK<>0)" % formula, dict(variables, TLLOCK="TLParamsLocked")
            swiss_knife("%sLockedExpr" % f.name, formula, variables)
        for n, (formula, variables) in f.entry_avail.items():
            swiss_knife("%s_%sAvailExpr" % (f.name, n), formula, variables)
    out.append('  <Port Name="Device" NameSpace="Standard">')
    out.append("    <ToolTip>Register space of the camera.</ToolTip>")
    out.append("  </Port>")
    for n, cid_, _ in CHUNKS[1:]:
        out.append('  <Port Name="Chunk%sPort" NameSpace="Custom">' % n)
        out.append("    <ToolTip>Data of the %s chunk (address 0 = its first byte).</ToolTip>" % n)
        out.append("    <ChunkID>%08X</ChunkID>" % cid_)
        out.append("  </Port>")
    for n, eid, _ in EVENTS:
        out.append('  <Port Name="Event%sPort" NameSpace="Custom">' % n)
        out.append("    <ToolTip>The %s event message (address 0 = start of the SCD).</ToolTip>" % n)
        out.append("    <EventID>%04X</EventID>" % eid)
        out.append("  </Port>")
    out.append("</RegisterDescription>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# C
# ---------------------------------------------------------------------------------------------
BANNER = "/* GENERATED by cti/tools/gen_camera.py - do not edit; edit the table and re-run. */\n"


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_double(x):
    r = repr(float(x))
    return r if ("." in r or "e" in r) else r + ".0"


def cid(name):
    return "CAM_REG_" + name


def gen_regs_h():
    o = [BANNER, "#ifndef ACESIM_CAMERA_REGS_H", "#define ACESIM_CAMERA_REGS_H", "",
         "#include <stddef.h>", "#include <stdint.h>", ""]
    o.append("/* Tunable assumptions ([A] in the spec); defined in tools/gen_camera.py ASSUMED. */")
    for k, v in ASSUMED.items():
        if isinstance(v, str):
            o.append("#define CAM_A_%s %s" % (k, c_str(v)))
        elif isinstance(v, float):
            o.append("#define CAM_A_%s %s" % (k, c_double(v)))
        else:
            o.append("#define CAM_A_%s %dLL" % (k, v))
    o.append("")
    o.append("#define CAM_XML_FILENAME %s" % c_str(XML_FILENAME))
    o.append("#define CAM_XML_ADDRESS 0x%XULL" % XML_ADDRESS)
    o.append("")
    o.append("/* Chunk IDs (chunk trailer) and data bytes, in layout order; Image is the image itself. */")
    for i, (n, cid_, size) in enumerate(CHUNKS):
        o.append("#define CAM_CHUNK_ID_%s 0x%08XU" % (n, cid_))
        o.append("#define CAM_CHUNK_SEL_%s %d" % (n, i))
        if size:
            o.append("#define CAM_CHUNK_SIZE_%s %d" % (n, size))
    o.append("#define CAM_CHUNK_COUNT %d" % len(CHUNKS))
    o.append("")
    o.append("/* Event IDs (U3V event message) by EventSelector value. */")
    for i, (n, eid, fid) in enumerate(EVENTS):
        o.append("#define CAM_EVENT_ID_%s 0x%04XU" % (n, eid))
        o.append("#define CAM_EVENT_SEL_%s %d" % (n, i))
        o.append("#define CAM_EVENT_HAS_FRAMEID_%s %d" % (n, 1 if fid else 0))
    o.append("#define CAM_EVENT_COUNT %d" % len(EVENTS))
    o.append("")
    o.append("/* Register addresses (first element for selector-indexed registers). */")
    for f in DEVICE_FEATURES:
        o.append("#define CAM_ADDR_%s 0x%05XULL" % (f.name, f.address))
    o.append("")
    o.append("/* Enumeration entry values. */")
    for f in DEVICE_FEATURES:
        for n, v, _ in f.entries:
            o.append("#define CAM_ENUM_%s_%s 0x%XLL" % (f.name, n, v))
    o.append("")
    o.append("typedef enum {")
    for f in DEVICE_FEATURES:
        o.append("    %s," % cid(f.name))
    o.append("    CAM_REG_COUNT")
    o.append("} cam_reg_id;")
    o.append("")
    o.append("typedef enum { CAM_T_INTEGER, CAM_T_FLOAT, CAM_T_ENUM, CAM_T_BOOLEAN, CAM_T_STRING, CAM_T_COMMAND } cam_reg_type;")
    o.append("typedef enum { CAM_ACC_RO = 1, CAM_ACC_WO = 2, CAM_ACC_RW = 3 } cam_reg_access;")
    o.append("")
    o.append("#define CAM_F_LOCKED  0x1u /* refused while acquiring or TLParamsLocked = 1 */")
    o.append("#define CAM_F_DERIVED 0x2u /* value computed on every read (a derive hook, camera_hooks.h) */")
    o.append("#define CAM_F_SIGNED  0x4u /* integer register is two's complement */")
    o.append("#define CAM_F_HIDDEN  0x8u /* helper register, not a feature */")
    o.append("")
    o.append("typedef struct { const char *name; int64_t value; } cam_enum_entry;")
    o.append("")
    o.append("typedef struct {")
    o.append("    const char *name;")
    o.append("    uint64_t address;")
    o.append("    uint32_t length;          /* bytes of one element */")
    o.append("    uint32_t count, stride;   /* selector-indexed: count elements stride bytes apart */")
    o.append("    int selector;             /* cam_reg_id of the selector or -1 */")
    o.append("    cam_reg_type type;")
    o.append("    cam_reg_access access;")
    o.append("    uint32_t flags;")
    o.append("    int64_t def_i;            /* Integer/Boolean/Enum default */")
    o.append("    double def_f;             /* Float default */")
    o.append("    const char *def_s;        /* String default */")
    o.append("    int64_t min_i, max_i, inc_i;")
    o.append("    double min_f, max_f, inc_f; /* inc_f 0: no increment */")
    o.append("    int min_ref, max_ref;     /* cam_reg_id giving a dynamic limit or -1 */")
    o.append("    int lock_ref;             /* cam_reg_id whose non-zero value makes it read-only, or -1 */")
    o.append("    uint32_t max_chars;       /* String: longest accepted text (0: length - 1) */")
    o.append("    uint32_t n_entries;")
    o.append("    const cam_enum_entry *entries;")
    o.append("    const int64_t *def_elems;  /* per-element defaults of an indexed register, or NULL */")
    o.append("} cam_reg_desc;")
    o.append("")
    o.append("extern const cam_reg_desc cam_reg_table[CAM_REG_COUNT];")
    o.append("")
    o.append("#ifdef CAM_REGS_DEFINE_TABLE /* defined by exactly one .c file (regmap.c) */")
    for f in DEVICE_FEATURES:
        if f.elem_defaults is not None:
            ev = dict((n, v) for n, v, _ in f.entries)
            vals = [ev[d] if f.type == "Enumeration" else int(d) for d in f.elem_defaults]
            o.append("static const int64_t cam_defs_%s[] = {%s};" % (f.name, ", ".join("%d" % v for v in vals)))
    for f in DEVICE_FEATURES:
        if f.entries:
            o.append("static const cam_enum_entry cam_entries_%s[] = {%s};" % (
                f.name, ", ".join("{%s, %d}" % (c_str(n), v) for n, v, _ in f.entries)))
    o.append("const cam_reg_desc cam_reg_table[CAM_REG_COUNT] = {")
    for f in DEVICE_FEATURES:
        flags = []
        if f.locked:
            flags.append("CAM_F_LOCKED")
        if f.derived:
            flags.append("CAM_F_DERIVED")
        if f.signed:
            flags.append("CAM_F_SIGNED")
        if f.reg_only:
            flags.append("CAM_F_HIDDEN")
        def_i, def_f, def_s = 0, 0.0, "NULL"
        if f.type == "Enumeration" and f.default is not None:
            def_i = dict((n, v) for n, v, _ in f.entries)[f.default]
        elif f.type == "Boolean":
            def_i = 1 if f.default else 0
        elif f.type == "Integer" and f.default is not None:
            def_i = f.default
        elif f.type == "Float" and f.default is not None:
            def_f = f.default
        elif f.type == "String":
            def_s = c_str(f.default or "")
        if f.type == "Float":
            # a dynamic limit (name of another Float) keeps that feature's static bound as the
            # static one here (state-file checks); the write check uses the live value (min_ref/max_ref)
            mn, mx = f.minimum, f.maximum
            mn = BY_NAME[mn].minimum if isinstance(mn, str) else mn
            mx = BY_NAME[mx].maximum if isinstance(mx, str) else mx
            mn_f = mn if isinstance(mn, (int, float)) else -1e308
            mx_f = mx if isinstance(mx, (int, float)) else 1e308
            mn_i, mx_i, inc_i = 0, 0, 0
        else:
            mn_f = mx_f = 0.0
            if f.type == "Boolean":
                mn_i, mx_i = 0, 1
            else:
                mn_i = f.minimum if isinstance(f.minimum, int) else (-2**63 if f.signed else 0)
                if isinstance(f.maximum, int):
                    mx_i = f.maximum
                else:
                    mx_i = (2**(8 * f.length - 1) - 1) if f.signed else min(2**(8 * f.length) - 1, 2**63 - 1)
            inc_i = f.inc or 1
        inc_f = float(f.inc) if (f.type == "Float" and f.inc) else 0.0
        ref = lambda v: cid(v) if isinstance(v, str) else "-1"
        mn_i_s = "INT64_MIN" if mn_i == -2**63 else "%dLL" % mn_i
        mx_i_s = "INT64_MAX" if mx_i == 2**63 - 1 else "%dLL" % mx_i
        o.append("    [%s] = {%s, 0x%XULL, %d, %d, %d, %s, %s, %s, %s, %dLL, %s, %s, %s, %s, %dLL, %s, %s, %s, %s, %s, %s, %d, %d, %s, %s}," % (
            cid(f.name), c_str(f.name), f.address, f.length, f.count, f.stride,
            cid(f.selector) if f.selector else "-1", TYPE_C[f.type], ACCESS_C[f.access],
            " | ".join(flags) if flags else "0", def_i, c_double(def_f), def_s,
            mn_i_s, mx_i_s, inc_i, c_double(mn_f), c_double(mx_f), c_double(inc_f),
            ref(f.minimum), ref(f.maximum), cid(f.is_locked_by) if f.is_locked_by else "-1",
            f.max_chars or 0, len(f.entries),
            ("cam_entries_%s" % f.name) if f.entries else "NULL",
            ("cam_defs_%s" % f.name) if f.elem_defaults is not None else "NULL"))
    o.append("};")
    o.append("#endif")
    o.append("")
    o.append("#endif")
    return "\n".join(o) + "\n"


HOOK_SIGNATURES = {  # kind -> (return type, parameters) of the C function
    "derive_int": ("int64_t", "const cam_reg_op *op"),
    "derive_float": ("double", "const cam_reg_op *op"),
    "describe": ("void", "cam_camera *c, char *buf, size_t len"),
    "check": ("cam_status", "const cam_reg_op *op"),
    "prepare": ("void", "cam_camera *c"),
    "act": ("cam_status", "const cam_reg_op *op"),
    "after": ("void", "const cam_reg_op *op"),
}


def gen_hooks_h():
    kinds, _ = hook_kinds()
    o = [BANNER, "/* The registers' behaviour (the hooks of gen_camera.py's Feat): cam_reg_hooks_table[id] names",
         " * the model functions camera.c's generic register path calls for register id (NULL: none).",
         " * Each function lives in the concept file its prefix names (roi_ -> src/model/roi.c, ...).",
         " * All run with c->mu held, except prepare (mu not held). */",
         "#ifndef ACESIM_CAMERA_HOOKS_H", "#define ACESIM_CAMERA_HOOKS_H", "",
         "#include <stddef.h>", "#include <stdint.h>", "",
         '#include "camera.h"', '#include "camera_regs.h"', "",
         "/* One access to element idx of register id, as a hook sees it. */",
         "typedef struct {",
         "    cam_camera *c;",
         "    cam_reg_id id;",
         "    uint32_t idx;",
         "    int64_t value;  /* check, act: the value written (Integer, Enumeration, Boolean, Command) */",
         "    double fvalue;  /* check: the value written to a Float, as sent (before snapping) */",
         "    int64_t old;    /* after: the integer value before the write (0 for Float and String) */",
         "    char *why;      /* check, act: a refusal's one-line reason goes here (cam_say; may be NULL) */",
         "    size_t why_len;",
         "} cam_reg_op;", "",
         "typedef struct {"]
    for k, (ret, params) in HOOK_SIGNATURES.items():
        o.append("    %s (*%s)(%s);" % (ret, k, params))
    o += ["} cam_reg_hooks;", "", "extern const cam_reg_hooks cam_reg_hooks_table[CAM_REG_COUNT];", ""]
    for k, (ret, params) in HOOK_SIGNATURES.items():
        names = sorted(fn for fn, sig in kinds.items() if sig == k)
        o.append("/* %s */" % k)
        o += ["%s %s(%s);" % (ret, fn, params) for fn in names]
        o.append("")
    o.append("#ifdef CAM_HOOKS_DEFINE_TABLE /* defined by exactly one .c file (camera.c) */")
    o.append("const cam_reg_hooks cam_reg_hooks_table[CAM_REG_COUNT] = {")
    for f in DEVICE_FEATURES:
        if f.hooks:
            named = {(("derive_float" if f.type == "Float" else "derive_int") if k == "derive" else k): fn
                     for k, fn in f.hooks.items()}
            fields = [".%s = %s" % (k, named[k]) for k in HOOK_SIGNATURES if k in named]
            o.append("    [%s] = {%s}," % (cid(f.name), ", ".join(fields)))
    o += ["};", "#endif", "", "#endif"]
    return "\n".join(o) + "\n"


def gen_xml_c(xml):
    data = xml.encode("utf-8")
    o = [BANNER, "#include <stddef.h>", "#include <stdint.h>", "", '#include "camera_regs.h"', "",
         "/* Device description file (GenApi schema 1.1), %d bytes. */" % len(data),
         "const uint8_t cam_xml_bytes[%d] = {" % len(data)]
    for i in range(0, len(data), 20):
        o.append("    " + ", ".join("0x%02x" % b for b in data[i:i + 20]) + ",")
    o.append("};")
    o.append("const size_t cam_xml_size = %d;" % len(data))
    return "\n".join(o) + "\n"


def fmt_limit(v, f):
    if v is None:
        return ""
    if isinstance(v, str):
        return v  # dynamic limit: name of the helper register
    return ("%g" % v) if f.type == "Float" else str(v)


def pretty_formula(formula, variables):
    """A swiss-knife formula with its variables replaced by the features they read (README notes)."""
    names = {v: (r[:-3] if r.endswith("Reg") else r) for v, r in variables.items()}
    return re.sub(r"[A-Za-z_]+", lambda m: names.get(m.group(0), m.group(0)), formula)


def gen_markdown():
    """Feature table for README.md (between the FEATURES markers)."""
    o = ["| Feature | Type | Access | Address | Len | Default | Min | Max | Inc | Unit | Notes |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for f in FEATURES:
        notes = []
        if f.entries:
            notes.append("entries: " + ", ".join("%s=0x%X" % (n, v) if v > 255 else "%s=%d" % (n, v)
                                                 for n, v, _ in f.entries))
        if f.locked:
            notes.append("locked while streaming")
        if f.derived:
            notes.append("derived")
        if f.is_locked_by:
            notes.append("RO while %s" % f.is_locked_by)
        if f.lock_expr:
            notes.append("RO where %s" % pretty_formula(*f.lock_expr) + (" or TLParamsLocked" if f.locked else ""))
        for n, (formula, variables) in f.entry_avail.items():
            notes.append("%s only where %s" % (n, pretty_formula(formula, variables)))
        if f.selector:
            notes.append("selector %s%s" % (f.selector, " (indexed, %d x stride %d)" % (f.count, f.stride)
                                            if f.count > 1 else ""))
        if f.max_chars:
            notes.append("max %d chars" % f.max_chars)
        if f.reg_only:
            notes.append("hidden helper register")
        if f.internal:
            notes.append("internal storage (user sets, state file), not in the XML; %d elements" % f.count)
        if f.vis != "Beginner":
            notes.append(f.vis)
        if f.assumed:
            notes.append("**[A]** " + "/".join(f.assumed))
        d = f.default
        if f.derived:
            d = "(computed)"
        elif isinstance(d, bool):
            d = "true" if d else "false"
        elif isinstance(d, str):
            d = '"%s"' % d if f.type == "String" else d
        elif d is None:
            d = ""
        if f.port:
            notes.append("on %s" % f.port)
        o.append("| %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            f.name, f.type, f.access, ("+%d" % f.address) if f.port else ("0x%05X" % f.address), f.length, str(d).replace("|", "\\|"),
            fmt_limit(f.minimum, f), fmt_limit(f.maximum, f), f.inc if f.inc is not None else "",
            f.unit or "", "; ".join(notes)))
    o.append("")
    o.append("Assumed constants (`ASSUMED` in tools/gen_camera.py, `CAM_A_*` in generated/camera_regs.h):")
    o.append("")
    o.append("| Constant | Value |")
    o.append("|---|---|")
    for k, v in ASSUMED.items():
        o.append("| `CAM_A_%s` | %s |" % (k, v))
    return "\n".join(o) + "\n"


README = os.path.join(os.path.dirname(HERE), "README.md")
MARK_BEGIN = "<!-- BEGIN FEATURES (generated by tools/gen_camera.py) -->\n"
MARK_END = "<!-- END FEATURES -->"


def readme_with_table(text):
    """README text with the generated block replaced; None when the markers are missing."""
    i, j = text.find(MARK_BEGIN), text.find(MARK_END)
    if i < 0 or j < i:
        return None
    return text[:i + len(MARK_BEGIN)] + gen_markdown() + text[j:]


def generate():
    check_table()
    for f in FEATURES:
        f.selects = []
    for f in FEATURES:
        if f.selector:
            BY_NAME[f.selector].selects.append(f.name)
    xml = gen_xml()
    return {
        "camera_regs.h": gen_regs_h(),
        "camera_hooks.h": gen_hooks_h(),
        "camera_xml.c": gen_xml_c(xml),
    }, xml


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the generated files are out of date")
    ap.add_argument("--xml", metavar="FILE", help="also write the plain XML to FILE (for inspection)")
    args = ap.parse_args()
    files, xml = generate()
    if args.xml:
        with open(args.xml, "w", encoding="utf-8") as fh:
            fh.write(xml)
    stale = []
    if os.path.exists(README):
        with open(README, encoding="utf-8") as fh:
            text = readme_with_table(fh.read())
        if text is not None:
            files["../README.md"] = text
    for name, text in files.items():
        path = os.path.join(OUT_DIR, name)
        try:
            with open(path, encoding="utf-8") as fh:
                old = fh.read()
        except FileNotFoundError:
            old = None
        if old != text:
            stale.append(name)
            if not args.check:
                os.makedirs(OUT_DIR, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    if args.check:
        if stale:
            print("gen_camera.py --check: out of date: %s (run python3 cti/tools/gen_camera.py)"
                  % ", ".join(stale), file=sys.stderr)
            return 1
        print("gen_camera.py --check: generated files are up to date")
        return 0
    print("gen_camera.py: wrote %s" % (", ".join(stale) if stale else "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
