/* devxml.h - a device description file the remote device serves instead of the simulator's own
 * (Device-module SimDeviceXml, ACE_SIM_DEVICE_XML, the saved power-up state), the register
 * memory behind a foreign one, and the power-up state file (cti/README.md "Serving any
 * camera's XML"). */
#ifndef ACESIM_GENTL_DEVXML_H
#define ACESIM_GENTL_DEVXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gentl_types.h"

/* Largest description file accepted: far above any camera's file, it keeps a wrong path (a video,
 * a disk image) from being read into memory. */
#define GT_DEVXML_MAX_BYTES ((size_t)64 << 20)
/* Where a served file lives on the remote port: above the 48-bit range that U3V and GigE Vision
 * register maps use, so it never hides a register of the served XML. */
#define GT_DEVXML_ADDRESS UINT64_C(0x7FFF000000000000)

/* Register memory: zero-filled, sparse, 4 KiB pages in an open-addressing table.  At most
 * GT_RAM_MAX_PAGES distinct non-zero pages (64 MiB); writing zeros to an absent page stores
 * nothing, so the limit counts only what was really set. */
#define GT_RAM_PAGE_SIZE 4096u
#define GT_RAM_MAX_PAGES 16384u

typedef struct {
    uint64_t page;  /* address / GT_RAM_PAGE_SIZE */
    uint8_t *data;  /* NULL: empty slot */
} gt_rampage;

typedef struct {
    gt_rampage *slots;
    size_t cap;     /* power of two, or 0 */
    size_t n;       /* pages in use */
} gt_ram;

typedef struct {
    uint8_t *bytes;
    size_t len;
    char filename[256];  /* the file name in the port's URL */
    char path[1024];     /* where it came from (SimDeviceXml reads it back) */
    bool zipped;
    /* Its ProductGuid is the simulator's (the same product, by the GenICam rule): its registers
     * are the camera model's, as with the simulator's own XML.  Otherwise: register memory. */
    bool model_layout;
    int64_t schema[3];   /* SchemaMajor/Minor/SubMinorVersion of the root element (1.1.0 if absent) */
    int64_t version[3];  /* Major/Minor/SubMinorVersion of the root element (1.0.0 if absent) */
    gt_ram ram;
} gt_devxml;

/* Read and check a file.  NULL on failure with a one-line reason in why ("no such file", "not a
 * GenICam device description file: ...", "larger than 64 MiB", ...). */
gt_devxml *gt_devxml_load(const char *path, char *why, size_t why_len);
/* A description from bytes (copied).  NULL on failure with the reason. */
gt_devxml *gt_devxml_from_bytes(const uint8_t *bytes, size_t len, const char *name, const char *path, char *why,
                                size_t why_len);
void gt_devxml_free(gt_devxml *x);
/* Same file content and name (a second SimDeviceXml write of the same file keeps the memory). */
bool gt_devxml_same(const gt_devxml *a, const gt_devxml *b);

/* Register memory access.  Any address and length (the caller checked wrap-around); reads of
 * what was never written give zeros.  A write that needs more than GT_RAM_MAX_PAGES pages fails
 * with GC_ERR_RESOURCE_EXHAUSTED and changes nothing.  The error text is set on failure. */
GC_ERROR gt_ram_read(const gt_ram *r, uint64_t address, void *buf, size_t len);
GC_ERROR gt_ram_write(gt_ram *r, uint64_t address, const void *buf, size_t len);
void gt_ram_clear(gt_ram *r);

/* The power-up state file (<state>/<serial>.powerup): a note, the served file (or "own") and its
 * register memory.  Written to a temporary file and renamed into place.  save returns false with
 * the reason; load returns 0 when there is no file, 1 when loaded (*out NULL = the simulator's own
 * XML), -1 when the file is damaged (reason in why). */
bool gt_powerup_save(const char *path, const char *note, const gt_devxml *x, char *why, size_t why_len);
int gt_powerup_load(const char *path, gt_devxml **out, char *note, size_t note_len, char *why, size_t why_len);

#endif
