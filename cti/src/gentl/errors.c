/* errors.c - per-thread last error.  The text is either a pointer to a constant string or
 * formatted into a thread-local buffer; GCGetLastError only copies. */
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GT_ERR_TEXT_MAX 512

static _Thread_local GC_ERROR t_code = GC_ERR_SUCCESS;
static _Thread_local const char *t_text = "No error";
static _Thread_local char t_buf[GT_ERR_TEXT_MAX];

GC_ERROR gt_fail(GC_ERROR code, const char *static_text)
{
    t_code = code;
    t_text = (static_text && static_text[0]) ? static_text : gt_error_name(code);
    return code;
}

GC_ERROR gt_failf(GC_ERROR code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t_buf, sizeof t_buf, fmt, ap);
    va_end(ap);
    t_code = code;
    t_text = (n > 0) ? t_buf : gt_error_name(code);
    return code;
}

const char *gt_error_name(GC_ERROR code)
{
    switch (code) {
    case GC_ERR_SUCCESS: return "GC_ERR_SUCCESS";
    case GC_ERR_ERROR: return "GC_ERR_ERROR";
    case GC_ERR_NOT_INITIALIZED: return "GC_ERR_NOT_INITIALIZED";
    case GC_ERR_NOT_IMPLEMENTED: return "GC_ERR_NOT_IMPLEMENTED";
    case GC_ERR_RESOURCE_IN_USE: return "GC_ERR_RESOURCE_IN_USE";
    case GC_ERR_ACCESS_DENIED: return "GC_ERR_ACCESS_DENIED";
    case GC_ERR_INVALID_HANDLE: return "GC_ERR_INVALID_HANDLE";
    case GC_ERR_INVALID_ID: return "GC_ERR_INVALID_ID";
    case GC_ERR_NO_DATA: return "GC_ERR_NO_DATA";
    case GC_ERR_INVALID_PARAMETER: return "GC_ERR_INVALID_PARAMETER";
    case GC_ERR_IO: return "GC_ERR_IO";
    case GC_ERR_TIMEOUT: return "GC_ERR_TIMEOUT";
    case GC_ERR_ABORT: return "GC_ERR_ABORT";
    case GC_ERR_INVALID_BUFFER: return "GC_ERR_INVALID_BUFFER";
    case GC_ERR_NOT_AVAILABLE: return "GC_ERR_NOT_AVAILABLE";
    case GC_ERR_INVALID_ADDRESS: return "GC_ERR_INVALID_ADDRESS";
    case GC_ERR_BUFFER_TOO_SMALL: return "GC_ERR_BUFFER_TOO_SMALL";
    case GC_ERR_INVALID_INDEX: return "GC_ERR_INVALID_INDEX";
    case GC_ERR_PARSING_CHUNK_DATA: return "GC_ERR_PARSING_CHUNK_DATA";
    case GC_ERR_INVALID_VALUE: return "GC_ERR_INVALID_VALUE";
    case GC_ERR_RESOURCE_EXHAUSTED: return "GC_ERR_RESOURCE_EXHAUSTED";
    case GC_ERR_OUT_OF_MEMORY: return "GC_ERR_OUT_OF_MEMORY";
    case GC_ERR_BUSY: return "GC_ERR_BUSY";
    case GC_ERR_AMBIGUOUS: return "GC_ERR_AMBIGUOUS";
    default: return "GC_ERR (unknown code)";
    }
}

GC_ERROR gt_get_last_error(GC_ERROR *piErrorCode, char *sErrText, size_t *piSize)
{
    /* Does not change the stored error itself (so it can be asked twice). */
    if (!piErrorCode || !piSize)
        return GC_ERR_INVALID_PARAMETER;
    size_t need = strlen(t_text) + 1;
    *piErrorCode = t_code;
    if (!sErrText) {
        *piSize = need;
        return GC_ERR_SUCCESS;
    }
    if (*piSize < need) {
        /* Truncate rather than fail: a consumer printing the message still gets most of it. */
        if (*piSize == 0)
            return GC_ERR_BUFFER_TOO_SMALL;
        memcpy(sErrText, t_text, *piSize - 1);
        sErrText[*piSize - 1] = '\0';
        return GC_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(sErrText, t_text, need);
    *piSize = need;
    return GC_ERR_SUCCESS;
}
