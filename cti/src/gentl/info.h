/* info.h - the GenTL information-query protocol (pBuffer NULL -> size query). */
#ifndef ACESIM_GENTL_INFO_H
#define ACESIM_GENTL_INFO_H

#include <stdbool.h>

#include "gentl_types.h"

/* All helpers: piSize must be non-NULL (checked by the caller via gt_info_check); piType may be
 * NULL.  pBuffer NULL -> *piSize = required size, SUCCESS.  Too small -> GC_ERR_BUFFER_TOO_SMALL
 * with *piSize = required size. */
GC_ERROR gt_info_check(const char *what, size_t *piSize);
GC_ERROR gt_info_string(const char *s, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_bytes(const void *p, size_t n, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_int32(int32_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_uint32(uint32_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_uint64(uint64_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_sizet(size_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_bool8(bool v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_ptr(const void *v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_info_float64(double v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);

/* The string-out protocol of TLGetInterfaceID, IFGetDeviceID, DevGetDataStreamID, GCGetPortURL
 * (no type).  sOut NULL -> size query. */
GC_ERROR gt_string_out(const char *s, char *sOut, size_t *piSize, const char *what);

#endif
