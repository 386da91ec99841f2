/* device.c - the Device module: opening a simulated camera, its info and its module features
 * (incl. the Simulation category), and its remote-device port object. */
#include "device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "handles.h"
#include "info.h"
#include "interface.h"
#include "port.h"

void gt_event_drop_all(gt_obj *src); /* event.c */

GC_ERROR gt_device_info_slot(gt_camslot *slot, DEVICE_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer,
                             size_t *piSize)
{
    char tmp[160];
    switch (cmd) {
    case DEVICE_INFO_ID: return gt_info_string(slot->id, piType, pBuffer, piSize);
    case DEVICE_INFO_VENDOR: return gt_info_string(cam_vendor_name(slot->cam), piType, pBuffer, piSize);
    case DEVICE_INFO_MODEL: return gt_info_string(cam_model_name(slot->cam), piType, pBuffer, piSize);
    case DEVICE_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    case DEVICE_INFO_DISPLAYNAME:
        snprintf(tmp, sizeof tmp, "%s %s (%s)", cam_vendor_name(slot->cam), cam_model_name(slot->cam),
                 cam_serial_number(slot->cam));
        return gt_info_string(tmp, piType, pBuffer, piSize);
    case DEVICE_INFO_ACCESS_STATUS:
        return gt_info_int32(gt_camslot_access_status(slot), piType, pBuffer, piSize);
    case DEVICE_INFO_USER_DEFINED_NAME:
        tmp[0] = 0;
        cam_user_id(slot->cam, tmp, sizeof tmp);
        return gt_info_string(tmp, piType, pBuffer, piSize);
    case DEVICE_INFO_SERIAL_NUMBER: return gt_info_string(cam_serial_number(slot->cam), piType, pBuffer, piSize);
    case DEVICE_INFO_VERSION: return gt_info_string(cam_device_version(slot->cam), piType, pBuffer, piSize);
    case DEVICE_INFO_TIMESTAMP_FREQUENCY: return gt_info_uint64(GT_TIMESTAMP_FREQ, piType, pBuffer, piSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "device info command %d is not implemented", (int)cmd);
    }
}

GC_ERROR gt_if_open_device(gt_iface *ifc, const char *id, DEVICE_ACCESS_FLAGS flags, gt_device **out)
{
    gt_camslot *slot = gt_camslot_by_id(id);
    if (!slot)
        return gt_failf(GC_ERR_INVALID_ID, "IFOpenDevice: unknown device ID \"%.100s\"", id);
    if (flags != DEVICE_ACCESS_READONLY && flags != DEVICE_ACCESS_CONTROL && flags != DEVICE_ACCESS_EXCLUSIVE)
        return gt_failf(GC_ERR_INVALID_PARAMETER,
                        "IFOpenDevice: access flag %d not supported (READONLY=2, CONTROL=3, EXCLUSIVE=4)", (int)flags);
    if (slot->open_dev)
        return gt_failf(GC_ERR_RESOURCE_IN_USE, "IFOpenDevice: %s is already open in this process", slot->id);
    (void)gt_camslot_check_unplug(slot);
    if (slot->gone && slot->unplugged)
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is unplugged (SimFaultUnplugAfterMs)%s", slot->id,
                        gt_mono_ns() < slot->replug_at ? "; it comes back after SimFaultReplugAfterMs"
                                                       : "; call IFUpdateDeviceList to find it again");
    if (slot->gone)
        return gt_failf(GC_ERR_ACCESS_DENIED,
                        "IFOpenDevice: %s was disconnected; call IFUpdateDeviceList to find it again", slot->id);
    long holder = gt_camslot_holder_pid(slot);
    if (holder > 0)
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process (PID %ld)", slot->id,
                        holder);
    if (holder < 0)
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process", slot->id);
    if (slot->boot_error[0])
        return gt_failf(GC_ERR_INVALID_PARAMETER, "IFOpenDevice: %s: %s; fix the variable or unset it", slot->id,
                        slot->boot_error);
    if (!gt_camslot_claim(slot))
        return GC_ERR_ACCESS_DENIED; /* claim set the text (PID of the holder) */
    gt_device *dev = calloc(1, sizeof *dev);
    gt_rport *rp = calloc(1, sizeof *rp);
    if (!dev || !rp) {
        free(dev);
        free(rp);
        gt_camslot_release(slot);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "IFOpenDevice: out of memory");
    }
    dev->hdr.kind = GT_DEV;
    dev->iface = ifc;
    dev->slot = slot;
    dev->access = flags;
    dev->rport = rp;
    rp->hdr.kind = GT_RPORT;
    rp->dev = dev;
    if (!gt_handle_add(&dev->hdr)) {
        free(dev);
        free(rp);
        gt_camslot_release(slot);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "IFOpenDevice: out of memory");
    }
    if (!gt_handle_add(&rp->hdr)) {
        gt_handle_remove(&dev->hdr);
        free(dev);
        free(rp);
        gt_camslot_release(slot);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "IFOpenDevice: out of memory");
    }
    slot->open_dev = dev;
    *out = dev;
    return GC_ERR_SUCCESS;
}

void gt_device_close(gt_device *dev)
{
    if (dev->ds)
        gt_stream_close(dev->ds);
    gt_event_drop_all(&dev->hdr);
    gt_event_drop_all(&dev->rport->hdr);
    gt_handle_remove(&dev->rport->hdr);
    gt_handle_remove(&dev->hdr);
    gt_camslot_log(dev->slot);
    if (dev->slot->open_dev == dev) {
        dev->slot->open_dev = NULL;
        gt_camslot_release(dev->slot);
    }
    free(dev->rport);
    free(dev);
}

gt_devxml *gt_dev_served_xml(const gt_device *dev)
{
    switch (dev->xml_choice) {
    case GT_XML_OWN: return NULL;
    case GT_XML_CHOSEN: return dev->slot->chosen;
    case GT_XML_BOOT: break;
    }
    return dev->slot->boot;
}

bool gt_dev_register_memory(const gt_device *dev)
{
    const gt_devxml *x = gt_dev_served_xml(dev);
    return x && !x->model_layout;
}

GC_ERROR gt_dev_get_port(gt_device *dev, gt_rport **out)
{
    *out = dev->rport;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_dev_num_streams(gt_device *dev, uint32_t *n)
{
    (void)dev;
    *n = 1;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_dev_stream_id(gt_device *dev, uint32_t index, char *sID, size_t *piSize)
{
    (void)dev;
    if (index != 0)
        return gt_failf(GC_ERR_INVALID_INDEX, "DevGetDataStreamID: index %u, the device has 1 data stream", index);
    return gt_string_out(GT_DS_ID, sID, piSize, "DevGetDataStreamID");
}

/* Feature table of the Device module. */
enum { DF_ID, DF_VENDOR, DF_MODEL, DF_SERIAL, DF_TYPE, DF_ACCESS, DF_USERID, DF_DISPLAY, DF_TLMAJ, DF_TLMIN,
       DF_TSFREQ, DF_UNTHROTTLED, DF_TRIGSEL, DF_LOSTTRIG, DF_LINESEL, DF_PULSE, DF_PULSEFREQ, DF_LEVEL, DF_DISCONNECT, DF_INCOMPLETE,
       DF_DROP, DF_STALL, DF_SEED, DF_XML, DF_REGSPACE, DF_IMGW, DF_IMGH, DF_IMGFMT, DF_PUNOTE, DF_PUSAVE, DF_PUCLEAR,
       DF_LINESRC, DF_LINESRCCAM, DF_LINESRCLINE, DF_LINESRCDELAY, DF_DROPEDGES, DF_MISSTRIG, DF_CLOCKDRIFT,
       DF_CLOCKOFFSET, DF_UNPLUG, DF_REPLUG };

static const char *const regspace_entries[] = {"Model", "Memory", NULL};
/* SimImagePixelFormat entries and their PFNC codes (the model's PixelFormat entries). */
static const char *const image_format_entries[] = {"Mono8", "Mono12", "Mono12p", NULL};
static const uint32_t image_format_pfnc[] = {(uint32_t)CAM_ENUM_PixelFormat_Mono8, (uint32_t)CAM_ENUM_PixelFormat_Mono12,
                                             (uint32_t)CAM_ENUM_PixelFormat_Mono12p};

static const char *const sim_line_entries[] = {"Line1", "Line3", "Line4", NULL};
static const unsigned sim_line_of[] = {1, 3, 4};
/* SimLineSource entries = cam_line_source values; SimLineSourceLine entries = output lines 2..4. */
static const char *const sim_line_source_entries[] = {"Off", "Camera", NULL};
static const char *const sim_source_line_entries[] = {"Line2", "Line3", "Line4", NULL};
/* Values = the camera's TriggerSelector values (FrameStart 0, FrameBurstStart 1). */
static const char *const sim_trigger_entries[] = {"FrameStart", "FrameBurstStart", NULL};

static const gt_feature dev_features[] = {
    {DF_ID, "DeviceID", GF_STRING, 64, false, "DeviceInformation", "ID of the device.", NULL, 0, 0, false},
    {DF_VENDOR, "DeviceVendorName", GF_STRING, 64, false, "DeviceInformation", "Vendor of the device.", NULL, 0, 0, false},
    {DF_MODEL, "DeviceModelName", GF_STRING, 64, false, "DeviceInformation", "Model of the device.", NULL, 0, 0, false},
    {DF_SERIAL, "DeviceSerialNumber", GF_STRING, 64, false, "DeviceInformation", "Serial number of the device.", NULL, 0, 0, false},
    {DF_TYPE, "DeviceType", GF_ENUM, 8, false, "DeviceInformation", "Transport layer type of the device.", gt_tltype_entries, 0, 0, false},
    {DF_ACCESS, "DeviceAccessStatus", GF_ENUM, 8, false, "DeviceInformation", "Access status of the device.", gt_access_status_entries, 0, 0, false},
    {DF_USERID, "DeviceUserID", GF_STRING, 64, false, "DeviceInformation", "User-defined name of the device.", NULL, 0, 0, false},
    {DF_DISPLAY, "DeviceDisplayName", GF_STRING, 160, false, "DeviceInformation", "Display name of the device.", NULL, 0, 0, false},
    {DF_TLMAJ, "DeviceTLVersionMajor", GF_INT, 8, false, "DeviceInformation", "Major version of the device's transport layer (USB3 Vision).", NULL, 0, 0, false},
    {DF_TLMIN, "DeviceTLVersionMinor", GF_INT, 8, false, "DeviceInformation", "Minor version of the device's transport layer (USB3 Vision).", NULL, 0, 0, false},
    {DF_TSFREQ, "DeviceTimestampFrequency", GF_INT, 8, false, "DeviceInformation", "Tick frequency of the device timestamps in Hz.", NULL, 0, 0, false},
    {DF_UNTHROTTLED, "SimUnthrottled", GF_BOOL, 8, true, "Simulation",
     "Simulation only: when true, frames are produced as fast as buffers are queued instead of at the camera's frame rate, and no frame is lost for lack of a buffer.",
     NULL, 0, 0, true},
    {DF_TRIGSEL, "SimTriggerSelector", GF_ENUM, 8, true, "Simulation",
     "Simulation only: selects the trigger (FrameStart, FrameBurstStart) SimLostTriggerCount reports.",
     sim_trigger_entries, 0, 0, true},
    {DF_LOSTTRIG, "SimLostTriggerCount", GF_INT, 8, false, "Simulation",
     "Simulation only (not a camera feature): triggers of the kind selected by SimTriggerSelector that the camera could not accept (overtriggers), since AcquisitionStart.",
     NULL, 0, 0, true},
    {DF_LINESEL, "SimLineSelector", GF_ENUM, 8, true, "Simulation",
     "Simulation only: selects the camera input (Line1, Line3, Line4) that SimLinePulse, SimLinePulseFrequency and SimLineLevel drive.",
     sim_line_entries, 0, 0, true},
    {DF_PULSE, "SimLinePulse", GF_CMD, 8, true, "Simulation",
     "Simulation only: one 10 us high pulse on the selected input, now.", NULL, 0, 0, true},
    {DF_PULSEFREQ, "SimLinePulseFrequency", GF_FLOAT, 8, true, "Simulation",
     "Simulation only: periodic 10 us pulses on the selected input at this frequency in Hz (0 = off); the first rising edge is the write.",
     NULL, 0, 1000000, true},
    {DF_LEVEL, "SimLineLevel", GF_BOOL, 8, true, "Simulation",
     "Simulation only: holds the physical level of the selected input (stops a pulse train).", NULL, 0, 0, true},
    {DF_DISCONNECT, "SimFaultDisconnectAfterFrames", GF_INT, 8, true, "Simulation",
     "Simulation only: after this many delivered frames the camera is unplugged (0 = off). Close the device and update the device list to find it again.",
     NULL, 0, INT64_C(2147483647), true},
    {DF_INCOMPLETE, "SimFaultIncompleteRate", GF_FLOAT, 8, true, "Simulation",
     "Simulation only: fraction (0..1) of buffers delivered incomplete (IS_INCOMPLETE, SIZE_FILLED short).", NULL, 0, 1,
     true},
    {DF_DROP, "SimFaultDropRate", GF_FLOAT, 8, true, "Simulation",
     "Simulation only: fraction (0..1) of frames lost on the link (their frame IDs are consumed, StreamLostFrameCount counts them).",
     NULL, 0, 1, true},
    {DF_STALL, "SimFaultStallMs", GF_INT, 8, true, "Simulation",
     "Simulation only: one stall of this many ms in the delivery (before the next frame, and again after each DSStartAcquisition), then normal (0 = off).",
     NULL, 0, 600000, true},
    {DF_SEED, "SimFaultSeed", GF_INT, 8, true, "Simulation",
     "Simulation only: seed of the fault PRNG; the same seed gives the same faulty frame IDs in every acquisition.", NULL, 0,
     INT64_C(4294967295), true},
    {DF_XML, "SimDeviceXml", GF_STRING, 1024, true, "Simulation",
     "Simulation only: path of a GenICam device description file (.xml or .zip) the remote device serves in this open; write it after opening the device and before the remote device's XML is read. Empty: the simulator's own. Reads back the file served (empty: the simulator's own).",
     NULL, 0, 0, true},
    {DF_REGSPACE, "SimRegisterSpace", GF_ENUM, 8, false, "Simulation",
     "Simulation only: what is behind the remote device's registers: Model (the simulated camera: its own XML, or one with its ProductGuid) or Memory (a foreign XML: zero-filled memory, writes read back; the DataStream starts and stops the camera).",
     regspace_entries, 0, 0, true},
    {DF_IMGW, "SimImageWidth", GF_INT, 8, true, "Simulation",
     "Simulation only: width of the frames the camera model delivers (its Width register); the way to shape frames while a foreign XML is served.",
     NULL, 0, 65535, true},
    {DF_IMGH, "SimImageHeight", GF_INT, 8, true, "Simulation",
     "Simulation only: height of the frames the camera model delivers (its Height register).", NULL, 0, 65535, true},
    {DF_IMGFMT, "SimImagePixelFormat", GF_ENUM, 8, true, "Simulation",
     "Simulation only: pixel format of the frames the camera model delivers (its PixelFormat register).",
     image_format_entries, 0, 0, true},
    {DF_PUNOTE, "SimPowerUpNote", GF_STRING, 256, true, "Simulation",
     "Simulation only: a note saved with SimPowerUpSave (where the setup came from); shown by ace-gentl sim.",
     NULL, 0, 0, true},
    {DF_PUSAVE, "SimPowerUpSave", GF_CMD, 8, true, "Simulation",
     "Simulation only: the description file served now, its register memory and the camera model's settings become this camera's power-up state in the state folder; every process that loads the producer from then on starts the camera that way (unless ACE_SIM_DEVICE_XML is set).",
     NULL, 0, 0, true},
    {DF_PUCLEAR, "SimPowerUpClear", GF_CMD, 8, true, "Simulation",
     "Simulation only: forget the saved power-up state; from the next load of the producer on the camera serves its own XML with factory settings again.",
     NULL, 0, 0, true},
    {DF_LINESRC, "SimLineSource", GF_ENUM, 8, true, "Simulation",
     "Simulation only: what drives the input selected by SimLineSelector: Off (the SimLinePulse, SimLinePulseFrequency and SimLineLevel controls) or Camera (the output line SimLineSourceLine of the camera SimLineSourceCamera in this process, SimLineSourceDelay later).",
     sim_line_source_entries, 0, 0, true},
    {DF_LINESRCCAM, "SimLineSourceCamera", GF_STRING, 32, true, "Simulation",
     "Simulation only: serial number of the simulated camera whose output drives the selected input (SimLineSource Camera).",
     NULL, 0, 0, true},
    {DF_LINESRCLINE, "SimLineSourceLine", GF_ENUM, 8, true, "Simulation",
     "Simulation only: the output line (Line2, Line3, Line4) of SimLineSourceCamera that drives the selected input; every edge of it as its LineSource makes it (e.g. ExposureActive) arrives here.",
     sim_source_line_entries, 0, 0, true},
    {DF_LINESRCDELAY, "SimLineSourceDelay", GF_FLOAT, 8, true, "Simulation",
     "Simulation only: propagation delay in us from the driving camera's output to the selected input (then this camera's inverter and debouncer apply).",
     NULL, 0, 1000000, true},
    {DF_DROPEDGES, "SimFaultDropEdges", GF_STRING, 512, true, "Simulation",
     "Simulation only: comma list of rising edges (1-based, counted since AcquisitionStart) the cable to the selected input drops, with their falling edges: no trigger, counter or sequencer of the camera sees them. Empty = none.",
     NULL, 0, 0, true},
    {DF_MISSTRIG, "SimFaultMissTriggers", GF_STRING, 512, true, "Simulation",
     "Simulation only: comma list of FrameStart triggers (1-based, since AcquisitionStart) the camera receives (FrameTrigger counters count them) but exposes no frame for. Empty = none.",
     NULL, 0, 0, true},
    {DF_CLOCKDRIFT, "SimClockDriftPpm", GF_FLOAT, 8, true, "Simulation",
     "Simulation only: how fast the device clock runs against the host's, in ppm (device time = elapsed host time x (1 + drift x 1e-6) + SimClockOffset). Seeded per serial; not while acquiring.",
     NULL, -1000, 1000, true},
    {DF_CLOCKOFFSET, "SimClockOffset", GF_INT, 8, true, "Simulation",
     "Simulation only: the device clock's time in ns when the camera was powered (created or re-plugged). Seeded per serial; writing it sets the clock; not while acquiring.",
     NULL, 0, INT64_C(4611686018427387904), true},
    {DF_UNPLUG, "SimFaultUnplugAfterMs", GF_INT, 8, true, "Simulation",
     "Simulation only: the camera is unplugged this many ms after the next AcquisitionStart (0 = off; once): the stream ends, it leaves the device list and cannot be opened until SimFaultReplugAfterMs.",
     NULL, 0, 3600000, true},
    {DF_REPLUG, "SimFaultReplugAfterMs", GF_INT, 8, true, "Simulation",
     "Simulation only: a camera unplugged by SimFaultUnplugAfterMs comes back this many ms after the unplug (listed again at the next device list update once closed, powered up fresh); 0 = as soon as it is closed.",
     NULL, 0, 3600000, true},
};

/* The per-input and per-trigger controls, as their selectors' <pSelected>. */
static const gt_selection dev_selections[] = {
    {"SimTriggerSelector", "SimLostTriggerCount"}, {"SimLineSelector", "SimLinePulse"},
    {"SimLineSelector", "SimLinePulseFrequency"},  {"SimLineSelector", "SimLineLevel"},
    {"SimLineSelector", "SimLineSource"},          {"SimLineSelector", "SimLineSourceCamera"},
    {"SimLineSelector", "SimLineSourceLine"},      {"SimLineSelector", "SimLineSourceDelay"},
    {"SimLineSelector", "SimFaultDropEdges"},
};

/* Read a 4-byte register of the camera model (SimImage*). */
static uint32_t model_reg(cam_camera *cam, uint64_t address)
{
    uint8_t b[4] = {0};
    char why[160];
    (void)cam_read(cam, address, b, sizeof b, why, sizeof why);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static GC_ERROR model_write(cam_camera *cam, const char *feature, uint64_t address, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    char why[256];
    why[0] = 0;
    cam_status st = cam_write(cam, address, b, sizeof b, why, sizeof why);
    char op[64];
    snprintf(op, sizeof op, "%s: write", feature);
    return gt_cam_status_error(st, op, address, sizeof b, why);
}

static GC_ERROR powerup_save(gt_device *dev)
{
    gt_camslot *slot = dev->slot;
    char path[1200], why[600];
    if (!gt_powerup_path(slot, path, sizeof path))
        return gt_fail(GC_ERR_IO, "SimPowerUpSave: the state folder path is too long");
    why[0] = 0;
    if (cam_powerup_save(slot->cam, why, sizeof why) != CAM_OK)
        return gt_failf(GC_ERR_IO, "SimPowerUpSave: %s", why);
    if (!gt_powerup_save(path, slot->powerup_note, gt_dev_served_xml(dev), why, sizeof why)) {
        cam_powerup_clear(slot->cam);
        return gt_failf(GC_ERR_IO, "SimPowerUpSave: %s", why);
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR powerup_clear(gt_device *dev)
{
    char path[1200];
    cam_powerup_clear(dev->slot->cam);
    if (gt_powerup_path(dev->slot, path, sizeof path) && remove(path) != 0 && errno != ENOENT)
        return gt_failf(GC_ERR_IO, "SimPowerUpClear: cannot remove %s: %s", path, strerror(errno));
    return GC_ERR_SUCCESS;
}

static int64_t dbl_bits(double d)
{
    int64_t v;
    memcpy(&v, &d, sizeof v);
    return v;
}

static double bits_dbl(int64_t v)
{
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static GC_ERROR dev_get(gt_obj *obj, int id, int64_t *iv, char *sv, size_t sl)
{
    gt_device *dev = (gt_device *)obj;
    cam_camera *cam = dev->slot->cam;
    switch (id) {
    case DF_ID: snprintf(sv, sl, "%s", dev->slot->id); break;
    case DF_VENDOR: snprintf(sv, sl, "%s", cam_vendor_name(cam)); break;
    case DF_MODEL: snprintf(sv, sl, "%s", cam_model_name(cam)); break;
    case DF_SERIAL: snprintf(sv, sl, "%s", cam_serial_number(cam)); break;
    case DF_TYPE: *iv = 8; break;
    case DF_ACCESS:
        (void)gt_camslot_check_unplug(dev->slot);
        *iv = gt_camslot_access_status(dev->slot);
        break;
    case DF_USERID: cam_user_id(cam, sv, sl); break;
    case DF_DISPLAY:
        snprintf(sv, sl, "%s %s (%s)", cam_vendor_name(cam), cam_model_name(cam), cam_serial_number(cam));
        break;
    case DF_TLMAJ: *iv = 1; break;
    case DF_TLMIN: *iv = 0; break;
    case DF_TSFREQ: *iv = (int64_t)GT_TIMESTAMP_FREQ; break;
    case DF_UNTHROTTLED: *iv = dev->slot->unthrottled ? 1 : 0; break;
    case DF_TRIGSEL: *iv = dev->slot->sim_trig_sel; break;
    case DF_LOSTTRIG: *iv = (int64_t)cam_sim_lost_triggers(cam, (unsigned)dev->slot->sim_trig_sel); break;
    case DF_LINESEL: *iv = dev->slot->sim_line_sel; break;
    case DF_PULSEFREQ:
        *iv = dbl_bits(cam_sim_get_line_pulse_frequency(cam, sim_line_of[dev->slot->sim_line_sel]));
        break;
    case DF_LEVEL: *iv = cam_sim_get_line_level(cam, sim_line_of[dev->slot->sim_line_sel]) ? 1 : 0; break;
    case DF_DISCONNECT: *iv = dev->slot->fault_disconnect; break;
    case DF_INCOMPLETE: *iv = dbl_bits(dev->slot->fault_incomplete); break;
    case DF_DROP: *iv = dbl_bits(dev->slot->fault_drop); break;
    case DF_STALL: *iv = dev->slot->fault_stall_ms; break;
    case DF_SEED: *iv = dev->slot->fault_seed; break;
    case DF_XML: {
        const gt_devxml *x = gt_dev_served_xml(dev);
        snprintf(sv, sl, "%s", x ? (x->path[0] ? x->path : x->filename) : "");
        break;
    }
    case DF_REGSPACE: *iv = gt_dev_register_memory(dev) ? 1 : 0; break;
    case DF_IMGW: *iv = model_reg(cam, CAM_ADDR_Width); break;
    case DF_IMGH: *iv = model_reg(cam, CAM_ADDR_Height); break;
    case DF_IMGFMT: {
        uint32_t code = model_reg(cam, CAM_ADDR_PixelFormat);
        *iv = 0;
        for (int64_t i = 0; i < 3; i++)
            if (image_format_pfnc[i] == code)
                *iv = i;
        break;
    }
    case DF_PUNOTE: snprintf(sv, sl, "%s", dev->slot->powerup_note); break;
    case DF_LINESRC:
    case DF_LINESRCCAM:
    case DF_LINESRCLINE:
    case DF_LINESRCDELAY: {
        cam_wire w;
        memset(&w, 0, sizeof w);
        (void)cam_sim_get_wire(cam, sim_line_of[dev->slot->sim_line_sel], &w);
        if (id == DF_LINESRC)
            *iv = w.source == CAM_LINE_SOURCE_CAMERA ? 1 : 0;
        else if (id == DF_LINESRCCAM)
            snprintf(sv, sl, "%s", w.camera);
        else if (id == DF_LINESRCLINE)
            *iv = w.line >= 2 && w.line <= 4 ? (int64_t)w.line - 2 : 0;
        else
            *iv = dbl_bits(w.delay_us);
        break;
    }
    case DF_DROPEDGES: cam_sim_get_drop_edges(cam, sim_line_of[dev->slot->sim_line_sel], sv, sl); break;
    case DF_MISSTRIG: cam_sim_get_miss_triggers(cam, sv, sl); break;
    case DF_CLOCKDRIFT:
    case DF_CLOCKOFFSET: {
        double drift = 0;
        uint64_t offset = 0;
        cam_clock_get(cam, &drift, &offset);
        *iv = id == DF_CLOCKDRIFT ? dbl_bits(drift) : (int64_t)offset;
        break;
    }
    case DF_UNPLUG: *iv = dev->slot->fault_unplug_ms; break;
    case DF_REPLUG: *iv = dev->slot->fault_replug_ms; break;
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

/* A refusal of the model's simulation controls as a GenTL error with its reason; line 0 = none. */
static GC_ERROR sim_status_error(cam_status st, const char *feature, unsigned line, const char *why)
{
    if (st == CAM_OK)
        return GC_ERR_SUCCESS;
    GC_ERROR e = st == CAM_ERR_STATE ? GC_ERR_ACCESS_DENIED : GC_ERR_INVALID_VALUE;
    if (line)
        return gt_failf(e, "%s (SimLineSelector Line%u): %s", feature, line, why[0] ? why : "refused");
    return gt_failf(e, "%s: %s", feature, why[0] ? why : "refused");
}

static GC_ERROR wire_set(gt_camslot *slot, int id, int64_t v)
{
    unsigned line = sim_line_of[slot->sim_line_sel];
    cam_wire w;
    char why[256];
    why[0] = 0;
    (void)cam_sim_get_wire(slot->cam, line, &w);
    const char *name = "SimLineSource";
    if (id == DF_LINESRC) {
        w.source = v ? CAM_LINE_SOURCE_CAMERA : CAM_LINE_SOURCE_OFF;
    } else if (id == DF_LINESRCLINE) {
        w.line = (unsigned)v + 2;
        name = "SimLineSourceLine";
    } else {
        w.delay_us = bits_dbl(v);
        name = "SimLineSourceDelay";
    }
    return sim_status_error(cam_sim_set_wire(slot->cam, line, &w, why, sizeof why), name, line, why);
}

static GC_ERROR clock_set(gt_camslot *slot, int id, int64_t v)
{
    double drift = 0;
    uint64_t offset = 0;
    char why[256];
    why[0] = 0;
    cam_clock_get(slot->cam, &drift, &offset);
    if (id == DF_CLOCKDRIFT)
        drift = bits_dbl(v);
    else
        offset = (uint64_t)v;
    GC_ERROR e = sim_status_error(cam_clock_set(slot->cam, drift, offset, why, sizeof why),
                                  id == DF_CLOCKDRIFT ? "SimClockDriftPpm" : "SimClockOffset", 0, why);
    if (e == GC_ERR_SUCCESS) { /* the oscillator's: kept when the camera is re-plugged */
        slot->clock_set = true;
        slot->clock_drift_ppm = drift;
        slot->clock_offset_ns = offset;
    }
    return e;
}

static GC_ERROR dev_set_string(gt_obj *obj, int id, const char *v)
{
    gt_device *dev = (gt_device *)obj;
    gt_camslot *slot = dev->slot;
    if (id == DF_PUNOTE) {
        snprintf(slot->powerup_note, sizeof slot->powerup_note, "%s", v);
        return GC_ERR_SUCCESS;
    }
    unsigned line = sim_line_of[slot->sim_line_sel];
    char why[256];
    why[0] = 0;
    if (id == DF_LINESRCCAM) {
        cam_wire w;
        (void)cam_sim_get_wire(slot->cam, line, &w);
        if (strlen(v) >= sizeof w.camera)
            return gt_failf(GC_ERR_INVALID_VALUE, "SimLineSourceCamera: \"%.60s\" is longer than a serial number", v);
        snprintf(w.camera, sizeof w.camera, "%s", v);
        return sim_status_error(cam_sim_set_wire(slot->cam, line, &w, why, sizeof why), "SimLineSourceCamera", line,
                                why);
    }
    if (id == DF_DROPEDGES)
        return sim_status_error(cam_sim_set_drop_edges(slot->cam, line, v, why, sizeof why), "SimFaultDropEdges",
                                line, why);
    if (id == DF_MISSTRIG)
        return sim_status_error(cam_sim_set_miss_triggers(slot->cam, v, why, sizeof why), "SimFaultMissTriggers", 0,
                                why);
    if (id != DF_XML)
        return gt_fail(GC_ERR_ACCESS_DENIED, "Device port: the feature is read-only");
    if (dev->xml_read)
        return gt_fail(GC_ERR_ACCESS_DENIED,
                       "SimDeviceXml: the remote device's XML was already read in this open; close the device, open "
                       "it again and write SimDeviceXml before the remote device's node map is made");
    if (!v[0]) {
        dev->xml_choice = GT_XML_OWN;
        return GC_ERR_SUCCESS;
    }
    char xml_why[600];
    gt_devxml *x = gt_devxml_load(v, xml_why, sizeof xml_why);
    if (!x)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "SimDeviceXml: %.700s: %s", v, xml_why);
    if (gt_devxml_same(slot->chosen, x)) {
        gt_devxml_free(x); /* the same file again: its register memory is kept */
        snprintf(slot->chosen->path, sizeof slot->chosen->path, "%s", v);
    } else {
        gt_devxml_free(slot->chosen);
        slot->chosen = x;
    }
    dev->xml_choice = GT_XML_CHOSEN;
    return GC_ERR_SUCCESS;
}

static GC_ERROR dev_set(gt_obj *obj, int id, int64_t v)
{
    gt_device *dev = (gt_device *)obj;
    gt_camslot *slot = dev->slot;
    if (slot->gone && (id == DF_PULSE || id == DF_PULSEFREQ || id == DF_LEVEL))
        return gt_failf(GC_ERR_IO, "Device port: %s was disconnected", slot->id);
    unsigned line = sim_line_of[slot->sim_line_sel];
    cam_status st = CAM_OK;
    switch (id) {
    case DF_LINESEL: slot->sim_line_sel = v; return GC_ERR_SUCCESS;
    case DF_TRIGSEL: slot->sim_trig_sel = v; return GC_ERR_SUCCESS;
    case DF_PULSE: st = cam_sim_line_pulse(slot->cam, line); break;
    case DF_PULSEFREQ: st = cam_sim_line_pulse_frequency(slot->cam, line, bits_dbl(v)); break;
    case DF_LEVEL: st = cam_sim_line_level(slot->cam, line, v != 0); break;
    case DF_LINESRC:
    case DF_LINESRCLINE:
    case DF_LINESRCDELAY: return wire_set(slot, id, v);
    case DF_CLOCKDRIFT:
    case DF_CLOCKOFFSET: return clock_set(slot, id, v);
    case DF_UNPLUG:
        slot->fault_unplug_ms = v;
        return GC_ERR_SUCCESS;
    case DF_REPLUG: slot->fault_replug_ms = v; return GC_ERR_SUCCESS;
    case DF_DISCONNECT:
        slot->fault_disconnect = v;
        slot->disc_count = 0;
        return GC_ERR_SUCCESS;
    case DF_INCOMPLETE: slot->fault_incomplete = bits_dbl(v); return GC_ERR_SUCCESS;
    case DF_DROP: slot->fault_drop = bits_dbl(v); return GC_ERR_SUCCESS;
    case DF_STALL:
        slot->fault_stall_ms = v;
        slot->stall_armed = v > 0;
        return GC_ERR_SUCCESS;
    case DF_SEED: slot->fault_seed = v; return GC_ERR_SUCCESS;
    case DF_IMGW: return model_write(slot->cam, "SimImageWidth", CAM_ADDR_Width, (uint32_t)v);
    case DF_IMGH: return model_write(slot->cam, "SimImageHeight", CAM_ADDR_Height, (uint32_t)v);
    case DF_IMGFMT: return model_write(slot->cam, "SimImagePixelFormat", CAM_ADDR_PixelFormat, image_format_pfnc[v]);
    case DF_PUSAVE: return powerup_save(dev);
    case DF_PUCLEAR: return powerup_clear(dev);
    default: break;
    }
    if (st == CAM_ERR_STATE)
        return gt_failf(GC_ERR_ACCESS_DENIED, "Device port: Line%u is wired to another camera (SimLineSource Camera); "
                        "set SimLineSource Off to drive it by hand", line);
    if (st != CAM_OK)
        return gt_failf(GC_ERR_INVALID_VALUE, "Device port: the simulated wiring refused the value (line %u)", line);
    if (id == DF_UNTHROTTLED) {
        dev->slot->unthrottled = v != 0;
        cam_set_unthrottled(dev->slot->cam, v != 0);
        if (dev->ds)
            pthread_cond_broadcast(&dev->ds->cond);
    }
    return GC_ERR_SUCCESS;
}

const gt_module_desc gt_device_desc = {
    .kind = GT_DEV,
    .module_name = "TLDevice",
    .port_name = "DevicePort",
    .xml_filename = "ace_gentl_sim_Device.xml",
    .xml_model_name = "AceGenTLSimDevice",
    .product_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7B03",
    .version_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7C03",
    .features = dev_features,
    .nfeatures = sizeof dev_features / sizeof dev_features[0],
    .selections = dev_selections,
    .nselections = sizeof dev_selections / sizeof dev_selections[0],
    .get = dev_get,
    .set = dev_set,
    .set_string = dev_set_string,
};
