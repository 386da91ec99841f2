/* api.c - the 64 exported GenTL 1.6 entry points: take the locks, validate every handle and
 * pointer argument, dispatch to the module files.  Nothing else in the library is exported. */
#include "gentl_types.h"

#include "buffer.h"
#include "core.h"
#include "device.h"
#include "errors.h"
#include "event.h"
#include "handles.h"
#include "info.h"
#include "interface.h"
#include "port.h"
#include "stream.h"
#include "system.h"

#define BEGIN                                                                                                   \
    GC_ERROR e = gt_begin();                                                                                    \
    if (e != GC_ERR_SUCCESS)                                                                                    \
        return e;
#define BEGIN_DATA                                                                                              \
    GC_ERROR e = gt_begin_data();                                                                               \
    if (e != GC_ERR_SUCCESS)                                                                                    \
        return e;
#define GET(var, type, h, kinds)                                                                                \
    type *var = (type *)gt_handle_get((h), (kinds), __func__);                                                  \
    if (!var) {                                                                                                 \
        e = GC_ERR_INVALID_HANDLE;                                                                              \
        goto out;                                                                                               \
    }
#define REQUIRE(cond, what)                                                                                     \
    if (!(cond)) {                                                                                              \
        e = gt_failf(GC_ERR_INVALID_PARAMETER, "%s: %s", __func__, what);                                       \
        goto out;                                                                                               \
    }
#define END                                                                                                     \
    out:                                                                                                        \
    gt_end();                                                                                                   \
    return e;
#define END_DATA                                                                                                \
    out:                                                                                                        \
    gt_end_data();                                                                                              \
    return e;

/* A buffer handle that must belong to data stream ds. */
#define GET_BUF(var, ds, h)                                                                                     \
    GET(var, gt_buffer, h, GT_BUF)                                                                              \
    if (var->ds != (ds)) {                                                                                      \
        e = gt_failf(GC_ERR_INVALID_HANDLE, "%s: the buffer belongs to another data stream", __func__);        \
        goto out;                                                                                               \
    }

/* ---------------------------------------------------------------- library / system ---- */

GC_API GCGetInfo(TL_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    REQUIRE(piSize, "piSize is NULL")
    e = gt_tl_info(iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API GCGetLastError(GC_ERROR *piErrorCode, char *sErrText, size_t *piSize)
{
    return gt_get_last_error(piErrorCode, sErrText, piSize);
}

GC_API GCInitLib(void) { return gt_lib_init(); }

GC_API GCCloseLib(void) { return gt_lib_close(); }

GC_API TLOpen(TL_HANDLE *phTL)
{
    BEGIN
    REQUIRE(phTL, "phTL is NULL")
    gt_system *tl = NULL;
    e = gt_tl_open(&tl);
    if (e == GC_ERR_SUCCESS)
        *phTL = tl;
    END
}

GC_API TLClose(TL_HANDLE hTL)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    gt_system_close(tl);
    END
}

GC_API TLGetInfo(TL_HANDLE hTL, TL_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    (void)tl;
    REQUIRE(piSize, "piSize is NULL")
    e = gt_tl_info(iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API TLGetNumInterfaces(TL_HANDLE hTL, uint32_t *piNumIfaces)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    REQUIRE(piNumIfaces, "piNumIfaces is NULL")
    e = gt_tl_num_interfaces(tl, piNumIfaces);
    END
}

GC_API TLGetInterfaceID(TL_HANDLE hTL, uint32_t iIndex, char *sID, size_t *piSize)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_tl_interface_id(tl, iIndex, sID, piSize);
    END
}

GC_API TLGetInterfaceInfo(TL_HANDLE hTL, const char *sIfaceID, INTERFACE_INFO_CMD iInfoCmd, INFO_DATATYPE *piType,
                          void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    REQUIRE(sIfaceID, "sIfaceID is NULL")
    REQUIRE(piSize, "piSize is NULL")
    e = gt_tl_interface_info(tl, sIfaceID, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API TLOpenInterface(TL_HANDLE hTL, const char *sIfaceID, IF_HANDLE *phIface)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    REQUIRE(sIfaceID, "sIfaceID is NULL")
    REQUIRE(phIface, "phIface is NULL")
    gt_iface *ifc = NULL;
    e = gt_tl_open_interface(tl, sIfaceID, &ifc);
    if (e == GC_ERR_SUCCESS)
        *phIface = ifc;
    END
}

GC_API TLUpdateInterfaceList(TL_HANDLE hTL, bool8_t *pbChanged, uint64_t iTimeout)
{
    BEGIN
    GET(tl, gt_system, hTL, GT_TL)
    e = gt_tl_update_interfaces(tl, pbChanged, iTimeout);
    END
}

/* ---------------------------------------------------------------------- interface ---- */

GC_API IFClose(IF_HANDLE hIface)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    gt_iface_close(ifc);
    END
}

GC_API IFGetInfo(IF_HANDLE hIface, INTERFACE_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    (void)ifc;
    REQUIRE(piSize, "piSize is NULL")
    e = gt_iface_info_static(iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API IFGetNumDevices(IF_HANDLE hIface, uint32_t *piNumDevices)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    REQUIRE(piNumDevices, "piNumDevices is NULL")
    e = gt_if_num_devices(ifc, piNumDevices);
    END
}

GC_API IFGetDeviceID(IF_HANDLE hIface, uint32_t iIndex, char *sIDeviceID, size_t *piSize)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_if_device_id(ifc, iIndex, sIDeviceID, piSize);
    END
}

GC_API IFUpdateDeviceList(IF_HANDLE hIface, bool8_t *pbChanged, uint64_t iTimeout)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    e = gt_if_update_devices(ifc, pbChanged, iTimeout);
    END
}

GC_API IFGetDeviceInfo(IF_HANDLE hIface, const char *sDeviceID, DEVICE_INFO_CMD iInfoCmd, INFO_DATATYPE *piType,
                       void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    REQUIRE(sDeviceID, "sDeviceID is NULL")
    REQUIRE(piSize, "piSize is NULL")
    e = gt_if_device_info(ifc, sDeviceID, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API IFOpenDevice(IF_HANDLE hIface, const char *sDeviceID, DEVICE_ACCESS_FLAGS iOpenFlag, DEV_HANDLE *phDevice)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    REQUIRE(sDeviceID, "sDeviceID is NULL")
    REQUIRE(phDevice, "phDevice is NULL")
    gt_device *dev = NULL;
    e = gt_if_open_device(ifc, sDeviceID, iOpenFlag, &dev);
    if (e == GC_ERR_SUCCESS)
        *phDevice = dev;
    END
}

GC_API IFGetParentTL(IF_HANDLE hIface, TL_HANDLE *phSystem)
{
    BEGIN
    GET(ifc, gt_iface, hIface, GT_IF)
    REQUIRE(phSystem, "phSystem is NULL")
    *phSystem = ifc->tl;
    END
}

/* ------------------------------------------------------------------------- device ---- */

GC_API DevGetPort(DEV_HANDLE hDevice, PORT_HANDLE *phRemoteDevice)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(phRemoteDevice, "phRemoteDevice is NULL")
    gt_rport *rp = NULL;
    e = gt_dev_get_port(dev, &rp);
    if (e == GC_ERR_SUCCESS)
        *phRemoteDevice = rp;
    END
}

GC_API DevGetNumDataStreams(DEV_HANDLE hDevice, uint32_t *piNumDataStreams)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(piNumDataStreams, "piNumDataStreams is NULL")
    e = gt_dev_num_streams(dev, piNumDataStreams);
    END
}

GC_API DevGetDataStreamID(DEV_HANDLE hDevice, uint32_t iIndex, char *sDataStreamID, size_t *piSize)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_dev_stream_id(dev, iIndex, sDataStreamID, piSize);
    END
}

GC_API DevOpenDataStream(DEV_HANDLE hDevice, const char *sDataStreamID, DS_HANDLE *phDataStream)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(sDataStreamID, "sDataStreamID is NULL")
    REQUIRE(phDataStream, "phDataStream is NULL")
    gt_stream *ds = NULL;
    e = gt_dev_open_stream(dev, sDataStreamID, &ds);
    if (e == GC_ERR_SUCCESS)
        *phDataStream = ds;
    END
}

GC_API DevGetInfo(DEV_HANDLE hDevice, DEVICE_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_device_info_slot(dev->slot, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API DevClose(DEV_HANDLE hDevice)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    gt_device_close(dev);
    END
}

GC_API DevGetParentIF(DEV_HANDLE hDevice, IF_HANDLE *phIface)
{
    BEGIN
    GET(dev, gt_device, hDevice, GT_DEV)
    REQUIRE(phIface, "phIface is NULL")
    *phIface = dev->iface;
    END
}

/* -------------------------------------------------------------------- data stream ---- */

GC_API DSAnnounceBuffer(DS_HANDLE hDataStream, void *pBuffer, size_t iSize, void *pPrivate, BUFFER_HANDLE *phBuffer)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    REQUIRE(phBuffer, "phBuffer is NULL")
    gt_buffer *b = NULL;
    e = gt_ds_announce(ds, pBuffer, iSize, pPrivate, false, &b);
    if (e == GC_ERR_SUCCESS)
        *phBuffer = b;
    END
}

GC_API DSAllocAndAnnounceBuffer(DS_HANDLE hDataStream, size_t iSize, void *pPrivate, BUFFER_HANDLE *phBuffer)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    REQUIRE(phBuffer, "phBuffer is NULL")
    gt_buffer *b = NULL;
    e = gt_ds_alloc_announce(ds, iSize, pPrivate, &b);
    if (e == GC_ERR_SUCCESS)
        *phBuffer = b;
    END
}

GC_API DSFlushQueue(DS_HANDLE hDataStream, ACQ_QUEUE_TYPE iOperation)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    e = gt_ds_flush(ds, iOperation);
    END
}

GC_API DSStartAcquisition(DS_HANDLE hDataStream, ACQ_START_FLAGS iStartFlags, uint64_t iNumToAcquire)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    e = gt_ds_start(ds, iStartFlags, iNumToAcquire);
    END
}

GC_API DSStopAcquisition(DS_HANDLE hDataStream, ACQ_STOP_FLAGS iStopFlags)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    e = gt_ds_stop(ds, iStopFlags);
    END
}

GC_API DSGetInfo(DS_HANDLE hDataStream, STREAM_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_ds_info(ds, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API DSGetBufferID(DS_HANDLE hDataStream, uint32_t iIndex, BUFFER_HANDLE *phBuffer)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    REQUIRE(phBuffer, "phBuffer is NULL")
    gt_buffer *b = NULL;
    e = gt_ds_buffer_id(ds, iIndex, &b);
    if (e == GC_ERR_SUCCESS)
        *phBuffer = b;
    END
}

GC_API DSClose(DS_HANDLE hDataStream)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    gt_stream_close(ds);
    END
}

GC_API DSRevokeBuffer(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, void **pBuffer, void **pPrivate)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    e = gt_ds_revoke(ds, b, pBuffer, pPrivate);
    END
}

GC_API DSQueueBuffer(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    e = gt_ds_queue(ds, b);
    END
}

GC_API DSGetBufferInfo(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, BUFFER_INFO_CMD iInfoCmd, INFO_DATATYPE *piType,
                       void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_buf_info(b, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API DSGetBufferChunkData(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, SINGLE_CHUNK_DATA *pChunkData,
                            size_t *piNumChunks)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piNumChunks, "piNumChunks is NULL")
    e = gt_buf_chunk_data(b, pChunkData, piNumChunks);
    END
}

GC_API DSGetParentDev(DS_HANDLE hDataStream, DEV_HANDLE *phDevice)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    REQUIRE(phDevice, "phDevice is NULL")
    *phDevice = ds->dev;
    END
}

GC_API DSGetNumBufferParts(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, uint32_t *piNumParts)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piNumParts, "piNumParts is NULL")
    e = gt_buf_num_parts(b, piNumParts);
    END
}

GC_API DSGetBufferPartInfo(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, uint32_t iPartIndex,
                           BUFFER_PART_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_buf_part_info(b, iPartIndex, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API DSAnnounceCompositeBuffer(DS_HANDLE hDataStream, size_t iNumSegments, void **ppSegments, size_t *piSizes,
                                 void *pPrivate, BUFFER_HANDLE *phBuffer)
{
    (void)iNumSegments;
    (void)ppSegments;
    (void)piSizes;
    (void)pPrivate;
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    (void)ds;
    REQUIRE(phBuffer, "phBuffer is NULL")
    e = gt_fail(GC_ERR_NOT_IMPLEMENTED, "DSAnnounceCompositeBuffer: composite buffers are not supported");
    END
}

GC_API DSGetBufferInfoStacked(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, DS_BUFFER_INFO_STACKED *pInfoStacked,
                              size_t iNumInfos)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(pInfoStacked || iNumInfos == 0, "pInfoStacked is NULL")
    e = gt_buf_info_stacked(b, pInfoStacked, iNumInfos);
    END
}

GC_API DSGetBufferPartInfoStacked(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer,
                                  DS_BUFFER_PART_INFO_STACKED *pInfoStacked, size_t iNumInfos)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(pInfoStacked || iNumInfos == 0, "pInfoStacked is NULL")
    e = gt_buf_part_info_stacked(b, pInfoStacked, iNumInfos);
    END
}

GC_API DSGetNumFlows(DS_HANDLE hDataStream, uint32_t *piNumFlows)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    (void)ds;
    REQUIRE(piNumFlows, "piNumFlows is NULL")
    *piNumFlows = 0; /* no GenDC flows */
    END
}

GC_API DSGetFlowInfo(DS_HANDLE hDataStream, uint32_t iFlowIndex, FLOW_INFO_CMD iInfoCmd, INFO_DATATYPE *piType,
                     void *pBuffer, size_t *piSize)
{
    (void)iInfoCmd;
    (void)piType;
    (void)pBuffer;
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    (void)ds;
    REQUIRE(piSize, "piSize is NULL")
    e = gt_failf(GC_ERR_INVALID_INDEX, "DSGetFlowInfo: flow %u does not exist (the stream has 0 flows)", iFlowIndex);
    END
}

GC_API DSGetNumBufferSegments(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, uint32_t *piNumSegments)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piNumSegments, "piNumSegments is NULL")
    e = gt_buf_num_segments(b, piNumSegments);
    END
}

GC_API DSGetBufferSegmentInfo(DS_HANDLE hDataStream, BUFFER_HANDLE hBuffer, uint32_t iSegmentIndex,
                              SEGMENT_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(ds, gt_stream, hDataStream, GT_DS)
    GET_BUF(b, ds, hBuffer)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_buf_segment_info(b, iSegmentIndex, iInfoCmd, piType, pBuffer, piSize);
    END
}

/* ---------------------------------------------------------------------------- ports ---- */

GC_API GCReadPort(PORT_HANDLE hPort, uint64_t iAddress, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    e = gt_port_read(p, iAddress, pBuffer, piSize);
    END
}

GC_API GCWritePort(PORT_HANDLE hPort, uint64_t iAddress, const void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    e = gt_port_write(p, iAddress, pBuffer, piSize);
    END
}

GC_API GCGetPortURL(PORT_HANDLE hPort, char *sURL, size_t *piSize)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_port_url(p, sURL, piSize);
    END
}

GC_API GCGetPortInfo(PORT_HANDLE hPort, PORT_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_port_info(p, iInfoCmd, piType, pBuffer, piSize);
    END
}

GC_API GCGetNumPortURLs(PORT_HANDLE hPort, uint32_t *piNumURLs)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piNumURLs, "piNumURLs is NULL")
    e = gt_port_num_urls(p, piNumURLs);
    END
}

GC_API GCGetPortURLInfo(PORT_HANDLE hPort, uint32_t iURLIndex, URL_INFO_CMD iInfoCmd, INFO_DATATYPE *piType,
                        void *pBuffer, size_t *piSize)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_port_url_info(p, iURLIndex, iInfoCmd, piType, pBuffer, piSize);
    END
}

/* Stacked access: entries are processed in order; on the first failure *piNumEntries is the
 * number of entries that succeeded and that failure is returned. */
GC_API GCReadPortStacked(PORT_HANDLE hPort, PORT_REGISTER_STACK_ENTRY *pEntries, size_t *piNumEntries)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piNumEntries, "piNumEntries is NULL")
    REQUIRE(pEntries || *piNumEntries == 0, "pEntries is NULL")
    size_t n = *piNumEntries, i;
    for (i = 0; i < n; i++) {
        size_t sz = pEntries[i].Size;
        e = gt_port_read(p, pEntries[i].Address, pEntries[i].pBuffer, &sz);
        if (e != GC_ERR_SUCCESS)
            break;
    }
    *piNumEntries = i;
    END
}

GC_API GCWritePortStacked(PORT_HANDLE hPort, PORT_REGISTER_STACK_ENTRY *pEntries, size_t *piNumEntries)
{
    BEGIN
    GET(p, gt_obj, hPort, GT_PORTS)
    REQUIRE(piNumEntries, "piNumEntries is NULL")
    REQUIRE(pEntries || *piNumEntries == 0, "pEntries is NULL")
    size_t n = *piNumEntries, i;
    for (i = 0; i < n; i++) {
        size_t sz = pEntries[i].Size;
        e = gt_port_write(p, pEntries[i].Address, pEntries[i].pBuffer, &sz);
        if (e != GC_ERR_SUCCESS)
            break;
    }
    *piNumEntries = i;
    END
}

/* --------------------------------------------------------------------------- events ---- */

GC_API GCRegisterEvent(EVENTSRC_HANDLE hEventSrc, EVENT_TYPE iEventID, EVENT_HANDLE *phEvent)
{
    BEGIN
    GET(src, gt_obj, hEventSrc, GT_MODULES)
    REQUIRE(phEvent, "phEvent is NULL")
    gt_event *ev = NULL;
    e = gt_event_register(src, iEventID, &ev);
    if (e == GC_ERR_SUCCESS)
        *phEvent = ev;
    END
}

GC_API GCUnregisterEvent(EVENTSRC_HANDLE hEventSrc, EVENT_TYPE iEventID)
{
    BEGIN
    GET(src, gt_obj, hEventSrc, GT_MODULES)
    e = gt_event_unregister(src, iEventID);
    END
}

GC_API EventGetData(EVENT_HANDLE hEvent, void *pBuffer, size_t *piSize, uint64_t iTimeout)
{
    BEGIN_DATA
    GET(ev, gt_event, hEvent, GT_EVENT)
    e = gt_event_get_data(ev, pBuffer, piSize, iTimeout);
    END_DATA
}

GC_API EventGetDataInfo(EVENT_HANDLE hEvent, const void *pInBuffer, size_t iInSize, EVENT_DATA_INFO_CMD iInfoCmd,
                        INFO_DATATYPE *piType, void *pOutBuffer, size_t *piOutSize)
{
    BEGIN_DATA
    GET(ev, gt_event, hEvent, GT_EVENT)
    REQUIRE(piOutSize, "piOutSize is NULL")
    e = gt_event_data_info(ev, pInBuffer, iInSize, iInfoCmd, piType, pOutBuffer, piOutSize);
    END_DATA
}

GC_API EventGetInfo(EVENT_HANDLE hEvent, EVENT_INFO_CMD iInfoCmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    BEGIN_DATA
    GET(ev, gt_event, hEvent, GT_EVENT)
    REQUIRE(piSize, "piSize is NULL")
    e = gt_event_info(ev, iInfoCmd, piType, pBuffer, piSize);
    END_DATA
}

GC_API EventFlush(EVENT_HANDLE hEvent)
{
    BEGIN_DATA
    GET(ev, gt_event, hEvent, GT_EVENT)
    e = gt_event_flush(ev);
    END_DATA
}

GC_API EventKill(EVENT_HANDLE hEvent)
{
    BEGIN_DATA
    GET(ev, gt_event, hEvent, GT_EVENT)
    e = gt_event_kill(ev);
    END_DATA
}
