/* device.c - the Device module: opening a simulated camera, its info and its module features
 * (incl. the Simulation category), and its remote-device port object. */
#include "device.h"

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
    if (slot->gone)
        return gt_failf(GC_ERR_ACCESS_DENIED,
                        "IFOpenDevice: %s was disconnected; call IFUpdateDeviceList to find it again", slot->id);
    long holder = gt_camslot_holder_pid(slot);
    if (holder > 0)
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process (PID %ld)", slot->id,
                        holder);
    if (holder < 0)
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process", slot->id);
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
       DF_DROP, DF_STALL, DF_SEED };

static const char *const sim_line_entries[] = {"Line1", "Line3", "Line4", NULL};
static const unsigned sim_line_of[] = {1, 3, 4};
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
};

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
    case DF_ACCESS: *iv = gt_camslot_access_status(dev->slot); break;
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
    default: *iv = 0; break;
    }
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
    default: break;
    }
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
    .get = dev_get,
    .set = dev_set,
};
