/* info.c - size-query protocol helpers shared by every *GetInfo function. */
#include "info.h"

#include <string.h>

#include "errors.h"

GC_ERROR gt_info_check(const char *what, size_t *piSize)
{
    if (!piSize)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "%s: piSize is NULL", what);
    return GC_ERR_SUCCESS;
}

static GC_ERROR put(INFO_DATATYPE type, const void *src, size_t n, INFO_DATATYPE *piType,
                    void *pBuffer, size_t *piSize)
{
    if (!piSize)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "piSize is NULL");
    if (piType)
        *piType = type;
    if (!pBuffer) {
        *piSize = n;
        return GC_ERR_SUCCESS;
    }
    if (*piSize < n) {
        size_t have = *piSize;
        *piSize = n;
        return gt_failf(GC_ERR_BUFFER_TOO_SMALL, "buffer of %zu bytes is too small, %zu bytes needed", have, n);
    }
    memcpy(pBuffer, src, n);
    *piSize = n;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_info_string(const char *s, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    if (!s)
        s = "";
    return put(INFO_DATATYPE_STRING, s, strlen(s) + 1, piType, pBuffer, piSize);
}

GC_ERROR gt_info_bytes(const void *p, size_t n, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_BUFFER, p, n, piType, pBuffer, piSize);
}

GC_ERROR gt_info_int32(int32_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_INT32, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_info_uint32(uint32_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_UINT32, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_info_uint64(uint64_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_UINT64, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_info_sizet(size_t v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_SIZET, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_info_bool8(bool v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    bool8_t b = v ? 1 : 0;
    return put(INFO_DATATYPE_BOOL8, &b, sizeof b, piType, pBuffer, piSize);
}

GC_ERROR gt_info_ptr(const void *v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_PTR, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_info_float64(double v, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    return put(INFO_DATATYPE_FLOAT64, &v, sizeof v, piType, pBuffer, piSize);
}

GC_ERROR gt_string_out(const char *s, char *sOut, size_t *piSize, const char *what)
{
    if (!piSize)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "%s: piSize is NULL", what);
    size_t n = strlen(s) + 1;
    if (!sOut) {
        *piSize = n;
        return GC_ERR_SUCCESS;
    }
    if (*piSize < n) {
        size_t have = *piSize;
        *piSize = n;
        return gt_failf(GC_ERR_BUFFER_TOO_SMALL, "%s: buffer of %zu bytes is too small, %zu needed", what, have, n);
    }
    memcpy(sOut, s, n);
    *piSize = n;
    return GC_ERR_SUCCESS;
}
