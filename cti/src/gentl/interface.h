/* interface.h - the Interface module (one simulated U3V interface). Locks held, args validated. */
#ifndef ACESIM_GENTL_INTERFACE_H
#define ACESIM_GENTL_INTERFACE_H

#include "core.h"

extern const char *const gt_tltype_entries[];

GC_ERROR gt_iface_info_static(INTERFACE_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_tl_open_interface(gt_system *tl, const char *id, gt_iface **out);
GC_ERROR gt_if_num_devices(gt_iface *ifc, uint32_t *n);
GC_ERROR gt_if_device_id(gt_iface *ifc, uint32_t index, char *sID, size_t *piSize);
GC_ERROR gt_if_update_devices(gt_iface *ifc, bool8_t *pbChanged, uint64_t timeout);
GC_ERROR gt_if_device_info(gt_iface *ifc, const char *id, DEVICE_INFO_CMD cmd, INFO_DATATYPE *piType,
                           void *pBuffer, size_t *piSize);

#endif
