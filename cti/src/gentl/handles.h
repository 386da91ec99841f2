/* handles.h - registry of live handles.  A handle passed in by the consumer is only compared
 * against the registry, never dereferenced before it is found there with the right kind. */
#ifndef ACESIM_GENTL_HANDLES_H
#define ACESIM_GENTL_HANDLES_H

#include "core.h"

/* Register / forget an object (g_gt.data held).  Register fails only on out of memory. */
bool gt_handle_add(gt_obj *obj);
void gt_handle_remove(const gt_obj *obj);
/* The live object behind h if its kind is in `kinds`, else NULL (h is not dereferenced). */
gt_obj *gt_handle_find(const void *h, unsigned kinds);
/* Like gt_handle_find, but records GC_ERR_INVALID_HANDLE with a message naming `what`. */
gt_obj *gt_handle_get(const void *h, unsigned kinds, const char *what);
size_t gt_handle_count(void);
void gt_handle_clear(void);

#endif
