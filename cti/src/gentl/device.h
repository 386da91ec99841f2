/* device.h - the Device module and its remote-device port. Locks held, args validated. */
#ifndef ACESIM_GENTL_DEVICE_H
#define ACESIM_GENTL_DEVICE_H

#include "core.h"

extern const char *const gt_access_status_entries[];

GC_ERROR gt_device_info_slot(gt_camslot *slot, DEVICE_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer,
                             size_t *piSize);
GC_ERROR gt_if_open_device(gt_iface *ifc, const char *id, DEVICE_ACCESS_FLAGS flags, gt_device **out);
GC_ERROR gt_dev_get_port(gt_device *dev, gt_rport **out);
GC_ERROR gt_dev_num_streams(gt_device *dev, uint32_t *n);
GC_ERROR gt_dev_stream_id(gt_device *dev, uint32_t index, char *sID, size_t *piSize);

#endif
