/* interface.c - the Interface module: the simulated cameras are its devices. */
#include "interface.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "errors.h"
#include "handles.h"
#include "info.h"
#include "port.h"

void gt_event_drop_all(gt_obj *src); /* event.c */

GC_ERROR gt_iface_info_static(INTERFACE_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    switch (cmd) {
    case INTERFACE_INFO_ID: return gt_info_string(GT_IF_ID, piType, pBuffer, piSize);
    case INTERFACE_INFO_DISPLAYNAME: return gt_info_string(GT_IF_DISPLAYNAME, piType, pBuffer, piSize);
    case INTERFACE_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "interface info command %d is not implemented", (int)cmd);
    }
}

GC_ERROR gt_tl_open_interface(gt_system *tl, const char *id, gt_iface **out)
{
    if (strcmp(id, GT_IF_ID) != 0)
        return gt_failf(GC_ERR_INVALID_ID, "TLOpenInterface: unknown interface ID \"%.100s\"", id);
    if (tl->iface)
        return gt_fail(GC_ERR_RESOURCE_IN_USE, "TLOpenInterface: the interface is already open");
    gt_iface *ifc = calloc(1, sizeof *ifc);
    if (!ifc)
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "TLOpenInterface: out of memory");
    ifc->hdr.kind = GT_IF;
    ifc->tl = tl;
    if (!gt_handle_add(&ifc->hdr)) {
        free(ifc);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "TLOpenInterface: out of memory");
    }
    tl->iface = ifc;
    *out = ifc;
    return GC_ERR_SUCCESS;
}

void gt_iface_close(gt_iface *ifc)
{
    for (size_t i = 0; i < g_gt.ncams; i++) {
        gt_device *d = g_gt.cams[i].open_dev;
        if (d && d->iface == ifc)
            gt_device_close(d);
    }
    gt_event_drop_all(&ifc->hdr);
    gt_handle_remove(&ifc->hdr);
    if (ifc->tl && ifc->tl->iface == ifc)
        ifc->tl->iface = NULL;
    free(ifc);
}

/* The cameras on the list: all but those pulled out by SimFaultUnplugAfterMs and not back yet. */
static uint32_t listed_count(void)
{
    uint32_t n = 0;
    for (size_t i = 0; i < g_gt.ncams; i++)
        n += gt_camslot_listed(&g_gt.cams[i]) ? 1 : 0;
    return n;
}

GC_ERROR gt_if_num_devices(gt_iface *ifc, uint32_t *n)
{
    (void)ifc;
    *n = listed_count();
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_if_device_id(gt_iface *ifc, uint32_t index, char *sID, size_t *piSize)
{
    (void)ifc;
    uint32_t k = 0;
    for (size_t i = 0; i < g_gt.ncams; i++) {
        if (!gt_camslot_listed(&g_gt.cams[i]))
            continue;
        if (k++ == index)
            return gt_string_out(g_gt.cams[i].id, sID, piSize, "IFGetDeviceID");
    }
    return gt_failf(GC_ERR_INVALID_INDEX, "IFGetDeviceID: index %u, there are %u devices", index, listed_count());
}

GC_ERROR gt_if_update_devices(gt_iface *ifc, bool8_t *pbChanged, uint64_t timeout)
{
    (void)ifc;
    (void)timeout; /* the simulated cameras are present at once */
    /* A camera lost by SimFaultDisconnectAfterFrames and since closed is plugged in again. */
    bool changed = gt_cameras_replug();
    if (pbChanged)
        *pbChanged = changed ? 1 : 0;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_if_device_info(gt_iface *ifc, const char *id, DEVICE_INFO_CMD cmd, INFO_DATATYPE *piType,
                           void *pBuffer, size_t *piSize)
{
    (void)ifc;
    gt_camslot *slot = gt_camslot_by_id(id);
    if (!slot)
        return gt_failf(GC_ERR_INVALID_ID, "IFGetDeviceInfo: unknown device ID \"%.100s\"", id);
    return gt_device_info_slot(slot, cmd, piType, pBuffer, piSize);
}

/* Feature table of the Interface module. */
enum { IF_ID, IF_TYPE, IF_UPDATE, IF_SEL, IF_DEVID, IF_VENDOR, IF_MODEL, IF_SERIAL, IF_ACCESS, IF_USERID, IF_SIMXML };

const char *const gt_access_status_entries[] = {"Unknown", "ReadWrite", "ReadOnly", "NoAccess", "Busy",
                                                "OpenReadWrite", "OpenReadOnly", NULL};

static const gt_feature if_features[] = {
    {IF_ID, "InterfaceID", GF_STRING, 64, false, "InterfaceInformation", "ID of the interface.", NULL, 0, 0, false},
    {IF_TYPE, "InterfaceType", GF_ENUM, 8, false, "InterfaceInformation", "Transport layer type of the interface.", gt_tltype_entries, 0, 0, false},
    {IF_UPDATE, "DeviceUpdateList", GF_CMD, 8, true, "DeviceEnumeration", "Updates the internal device list.", NULL, 0, 0, false},
    {IF_SEL, "DeviceSelector", GF_INT, 8, true, "DeviceEnumeration", "Selects the device.", NULL, 0, -1, false},
    {IF_DEVID, "DeviceID", GF_STRING, 64, false, "DeviceEnumeration", "ID of the selected device.", NULL, 0, 0, false},
    {IF_VENDOR, "DeviceVendorName", GF_STRING, 64, false, "DeviceEnumeration", "Vendor of the selected device.", NULL, 0, 0, false},
    {IF_MODEL, "DeviceModelName", GF_STRING, 64, false, "DeviceEnumeration", "Model of the selected device.", NULL, 0, 0, false},
    {IF_SERIAL, "DeviceSerialNumber", GF_STRING, 64, false, "DeviceEnumeration", "Serial number of the selected device.", NULL, 0, 0, false},
    {IF_ACCESS, "DeviceAccessStatus", GF_ENUM, 8, false, "DeviceEnumeration", "Access status of the selected device.", gt_access_status_entries, 0, 0, false},
    {IF_USERID, "DeviceUserID", GF_STRING, 64, false, "DeviceEnumeration", "User-defined name of the selected device.", NULL, 0, 0, false},
    {IF_SIMXML, "SimDeviceXmlSource", GF_STRING, 1024, false, "Simulation",
     "Simulation only: the description file an open of the selected camera serves unless SimDeviceXml says otherwise, and where that choice comes from (ACE_SIM_DEVICE_XML, the saved power-up state).",
     NULL, 0, 0, true},
};

static GC_ERROR if_get(gt_obj *obj, int id, int64_t *iv, char *sv, size_t sl)
{
    gt_iface *ifc = (gt_iface *)obj;
    gt_camslot *slot = NULL;
    if (ifc->dev_selector >= 0 && (size_t)ifc->dev_selector < g_gt.ncams)
        slot = &g_gt.cams[ifc->dev_selector];
    if (!slot && id >= IF_DEVID)
        return gt_fail(GC_ERR_NOT_AVAILABLE, "Interface port: DeviceSelector selects no device");
    switch (id) {
    case IF_ID: snprintf(sv, sl, "%s", GT_IF_ID); break;
    case IF_TYPE: *iv = 8; break;
    case IF_SEL: *iv = ifc->dev_selector; break;
    case IF_DEVID: snprintf(sv, sl, "%s", slot->id); break;
    case IF_VENDOR: snprintf(sv, sl, "%s", cam_vendor_name(slot->cam)); break;
    case IF_MODEL: snprintf(sv, sl, "%s", cam_model_name(slot->cam)); break;
    case IF_SERIAL: snprintf(sv, sl, "%s", cam_serial_number(slot->cam)); break;
    case IF_ACCESS: *iv = gt_camslot_access_status(slot); break;
    case IF_USERID: cam_user_id(slot->cam, sv, sl); break;
    case IF_SIMXML: snprintf(sv, sl, "%s", slot->boot_origin); break;
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR if_set(gt_obj *obj, int id, int64_t v)
{
    gt_iface *ifc = (gt_iface *)obj;
    if (id == IF_SEL)
        ifc->dev_selector = v;
    if (id == IF_UPDATE)
        (void)gt_cameras_replug();
    return GC_ERR_SUCCESS;
}

const gt_module_desc gt_iface_desc = {
    .kind = GT_IF,
    .module_name = "TLInterface",
    .port_name = "InterfacePort",
    .xml_filename = "ace_gentl_sim_Interface.xml",
    .xml_model_name = "AceGenTLSimInterface",
    .product_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7B02",
    .version_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7C02",
    .features = if_features,
    .nfeatures = sizeof if_features / sizeof if_features[0],
    .get = if_get,
    .set = if_set,
};
