/* system.h - library init, the System (TL) module. All functions: locks held, args validated. */
#ifndef ACESIM_GENTL_SYSTEM_H
#define ACESIM_GENTL_SYSTEM_H

#include "core.h"

GC_ERROR gt_lib_init(void);   /* GCInitLib (takes the locks itself) */
GC_ERROR gt_lib_close(void);  /* GCCloseLib (takes the locks itself) */

GC_ERROR gt_tl_info(TL_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_tl_open(gt_system **out);
GC_ERROR gt_tl_num_interfaces(gt_system *tl, uint32_t *n);
GC_ERROR gt_tl_interface_id(gt_system *tl, uint32_t index, char *sID, size_t *piSize);
GC_ERROR gt_tl_interface_info(gt_system *tl, const char *id, INTERFACE_INFO_CMD cmd, INFO_DATATYPE *piType,
                              void *pBuffer, size_t *piSize);
GC_ERROR gt_tl_update_interfaces(gt_system *tl, bool8_t *pbChanged, uint64_t timeout);

#endif
