/* errors.h - per-thread last error for GCGetLastError. */
#ifndef ACESIM_GENTL_ERRORS_H
#define ACESIM_GENTL_ERRORS_H

#include "gentl_types.h"

/* Record a failure with a constant message (no formatting, no copy: cheap enough for the
 * thousands of EventGetData timeouts a polling consumer produces).  Returns code. */
GC_ERROR gt_fail(GC_ERROR code, const char *static_text);

/* Record a failure with a printf-style message.  Returns code. */
GC_ERROR gt_failf(GC_ERROR code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Success path helper: does not touch the last error (standard: last error of the last failing call). */
static inline GC_ERROR gt_ok(void) { return GC_ERR_SUCCESS; }

/* Short symbolic name of a GC_ERROR ("GC_ERR_TIMEOUT"). */
const char *gt_error_name(GC_ERROR code);

/* GCGetLastError implementation. */
GC_ERROR gt_get_last_error(GC_ERROR *piErrorCode, char *sErrText, size_t *piSize);

#endif
