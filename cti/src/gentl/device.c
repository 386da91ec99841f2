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
    if (gt_camslot_access_status(slot) == DEVICE_ACCESS_STATUS_BUSY || !gt_camslot_claim(slot))
        return gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process", slot->id);
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
       DF_TSFREQ, DF_UNTHROTTLED };

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
};

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
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR dev_set(gt_obj *obj, int id, int64_t v)
{
    gt_device *dev = (gt_device *)obj;
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
