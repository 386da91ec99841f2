/* camera.c - the simulated acA4112-20um's generic register path, creation and identity.
 *
 * What a register does is declared with it in tools/gen_camera.py and reaches this file as the
 * hooks of generated/camera_hooks.h: a read returns the register's derived value or its storage;
 * a write passes the generic checks (lock, then the register's own check hook, then type, range
 * and increment), then either acts (commands) or is stored and followed by its after hook.  The
 * hooks live in the concept files that own their state (camera_internal.h lists them).
 *
 * Register access rule (README "Register layout"): an access must start at the first byte of a
 * register (or of one element of a selector-indexed register).  Numeric registers must be
 * accessed with exactly their length; String registers may be read or written with any length up
 * to theirs (a short write is NUL-padded).  The XML area may be read in any sub-range.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_condattr_setclock */
#endif

#include "camera.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAM_HOOKS_DEFINE_TABLE
#include "camera_internal.h"

extern const uint8_t cam_xml_bytes[];
extern const size_t cam_xml_size;

uint64_t cam_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cam_log(cam_camera *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->log, sizeof c->log, fmt, ap);
    va_end(ap);
}

uint64_t cam_lock_now(cam_camera *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t now = cam_dev_now_locked(c);
    sim_advance(c, now);
    return now;
}

static struct timespec to_timespec(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    return ts;
}

/* Sleep on c->cv until the timeline's next scheduled happening or `deadline` (host clock),
 * whichever is first; writes, frames and events wake it sooner.  False when the wait failed. */
static bool sleep_until_due(cam_camera *c, uint64_t deadline)
{
    uint64_t due = sim_next_due(c);
    uint64_t wake = (due == UINT64_MAX || c->clock.pause_depth > 0) ? deadline : clock_mono_of_dev(c, due);
    if (wake > deadline)
        wake = deadline;
    if (c->wiring.notify) { /* wake the cameras this one sent edges before sleeping */
        cam_unlock(c);
        pthread_mutex_lock(&c->mu);
        return true;
    }
    struct timespec ts = to_timespec(wake);
    int rc = pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    return rc == 0 || rc == ETIMEDOUT || rc == EINTR;
}

bool cam_wait(cam_camera *c, uint64_t timeout_ns, cam_wait_poll poll, void *arg)
{
    uint64_t deadline = cam_mono_ns() + timeout_ns;
    if (deadline < timeout_ns)
        deadline = UINT64_MAX; /* "forever" */
    cam_wait_result r;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        uint64_t mnow = cam_mono_ns();
        uint64_t now = cam_dev_now_locked(c);
        sim_advance(c, now);
        r = poll(c, now, arg);
        if (r != CAM_WAIT_ON || mnow >= deadline || !sleep_until_due(c, deadline))
            break;
    }
    cam_unlock(c);
    return r == CAM_WAIT_GOT;
}

/* ---------------------------------------------------------------------------------------------
 * Creation, identity
 * ------------------------------------------------------------------------------------------- */
cam_camera *cam_create(const char *serial)
{
    cam_camera *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!regmap_init(&c->regs)) {
        free(c);
        return NULL;
    }
    c->renderer = img_renderer_create();
    if (!c->renderer || !events_init(c)) {
        img_renderer_destroy(c->renderer);
        events_free(c);
        regmap_free(&c->regs);
        free(c);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* absolute deadlines immune to clock jumps */
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->render_mu, NULL);

    snprintf(c->serial, sizeof c->serial, "%s", serial ? serial : "00000000");
    regmap_set_string(&c->regs, CAM_REG_DeviceSerialNumber, c->serial);
    /* FNV-1a of the serial: every simulated camera gets its own, stable noise */
    uint64_t h = 1469598103934665603ull;
    for (const char *p = c->serial; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    c->seed = h;
    clock_init(c);          /* powered now */
    thermal_init(c);
    sim_init(c);
    usersets_load_state(c); /* saved sets, DeviceUserID, and UserSetDefault applied */
    wiring_register(c);
    return c;
}

void cam_destroy(cam_camera *cam)
{
    if (!cam)
        return;
    wiring_unregister(cam); /* no camera sends it edges or wakes it any more */
    img_renderer_destroy(cam->renderer);
    events_free(cam);
    usersets_free(cam);
    regmap_free(&cam->regs);
    pthread_cond_destroy(&cam->cv);
    pthread_mutex_destroy(&cam->mu);
    pthread_mutex_destroy(&cam->render_mu);
    free(cam);
}

const uint8_t *cam_xml(size_t *len)
{
    if (len)
        *len = cam_xml_size;
    return cam_xml_bytes;
}

const char *cam_xml_filename(void)
{
    return CAM_XML_FILENAME;
}

uint64_t cam_xml_address(void)
{
    return CAM_XML_ADDRESS;
}

/* These strings are RO registers that never change after cam_create, so no lock is needed. */
const char *cam_vendor_name(const cam_camera *cam)
{
    (void)cam;
    return cam_reg_table[CAM_REG_DeviceVendorName].def_s;
}

const char *cam_model_name(const cam_camera *cam)
{
    (void)cam;
    return cam_reg_table[CAM_REG_DeviceModelName].def_s;
}

const char *cam_serial_number(const cam_camera *cam)
{
    return cam->serial;
}

const char *cam_device_version(const cam_camera *cam)
{
    (void)cam;
    return cam_reg_table[CAM_REG_DeviceVersion].def_s;
}

const char *cam_firmware_version(const cam_camera *cam)
{
    (void)cam;
    return cam_reg_table[CAM_REG_DeviceFirmwareVersion].def_s;
}

void cam_user_id(cam_camera *cam, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    pthread_mutex_lock(&cam->mu);
    snprintf(buf, len, "%s", regmap_get_string(&cam->regs, CAM_REG_DeviceUserID));
    cam_unlock(cam);
}

/* ---------------------------------------------------------------------------------------------
 * Register access
 * ------------------------------------------------------------------------------------------- */
static cam_status locate(uint64_t address, size_t len, bool writing, int *id_out, uint32_t *idx_out,
                         char *why, size_t why_len)
{
    uint32_t idx;
    bool at_start;
    int id = regmap_find(address, &idx, &at_start);
    if (id < 0) {
        cam_say(why, why_len, "no register at 0x%" PRIX64, address);
        return CAM_ERR_ADDRESS;
    }
    const cam_reg_desc *d = &cam_reg_table[id];
    uint64_t start = d->address + (uint64_t)d->stride * idx;
    if (!at_start) {
        cam_say(why, why_len, "%s: 0x%" PRIX64 " is inside the register (starts at 0x%" PRIX64 ", %u bytes); "
                "access must start at the register", d->name, address, start, (unsigned)d->length);
        return CAM_ERR_ADDRESS;
    }
    if (d->type == CAM_T_STRING ? len > d->length : len != d->length) {
        cam_say(why, why_len, "%s: access of %zu bytes at 0x%" PRIX64 ", the register has %s%u bytes", d->name,
                len, start, d->type == CAM_T_STRING ? "at most " : "exactly ", (unsigned)d->length);
        return CAM_ERR_ADDRESS;
    }
    if (writing && d->access == CAM_ACC_RO) {
        cam_say(why, why_len, "%s: read-only", d->name);
        return CAM_ERR_ACCESS;
    }
    if (!writing && d->access == CAM_ACC_WO) {
        cam_say(why, why_len, "%s: write-only", d->name);
        return CAM_ERR_ACCESS;
    }
    *id_out = id;
    *idx_out = idx;
    return CAM_OK;
}

/* The current value of register id (element 0) as an integer: its derived value or its storage. */
static int64_t int_value(cam_camera *c, int id)
{
    const cam_reg_hooks *h = &cam_reg_hooks_table[id];
    cam_reg_op op = {.c = c, .id = (cam_reg_id)id};
    return h->derive_int ? h->derive_int(&op) : regmap_get_int(&c->regs, (cam_reg_id)id, 0);
}

/* The same as a double, for the dynamic limits of Floats. */
static double float_value(cam_camera *c, int id)
{
    if (cam_reg_table[id].type != CAM_T_FLOAT)
        return (double)int_value(c, id);
    const cam_reg_hooks *h = &cam_reg_hooks_table[id];
    cam_reg_op op = {.c = c, .id = (cam_reg_id)id};
    return h->derive_float ? h->derive_float(&op) : regmap_get_float(&c->regs, (cam_reg_id)id, 0);
}

cam_status cam_read(cam_camera *cam, uint64_t address, void *buf, size_t len, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam || !buf || len == 0) {
        cam_say(why, why_len, "cam_read: NULL camera/buffer or zero length");
        return CAM_ERR_PARAMETER;
    }
    if (address >= CAM_XML_ADDRESS && address < CAM_XML_ADDRESS + cam_xml_size) {
        if (len > CAM_XML_ADDRESS + cam_xml_size - address) {
            cam_say(why, why_len, "read of %zu bytes at 0x%" PRIX64 " runs past the end of the XML file (%zu bytes)",
                    len, address, cam_xml_size);
            return CAM_ERR_ADDRESS;
        }
        memcpy(buf, cam_xml_bytes + (address - CAM_XML_ADDRESS), len);
        return CAM_OK;
    }
    int id;
    uint32_t idx;
    cam_status st = locate(address, len, false, &id, &idx, why, why_len);
    if (st != CAM_OK)
        return st;
    const cam_reg_hooks *h = &cam_reg_hooks_table[id];
    cam_reg_op op = {.c = cam, .id = (cam_reg_id)id, .idx = idx};
    uint8_t tmp[8];
    cam_lock_now(cam);
    if (h->derive_float) {
        regmap_encode_float(h->derive_float(&op), tmp);
        memcpy(buf, tmp, len);
    } else if (h->derive_int) {
        regmap_encode_int(&cam_reg_table[id], h->derive_int(&op), tmp);
        memcpy(buf, tmp, len);
    } else {
        memcpy(buf, regmap_bytes(&cam->regs, (cam_reg_id)id, idx), len);
    }
    cam_unlock(cam);
    return CAM_OK;
}

/* Refused while streaming (CAM_F_LOCKED) or while the register that locks it is true. */
static cam_status check_unlocked(cam_camera *c, const cam_reg_desc *d, char *why, size_t why_len)
{
    if ((d->flags & CAM_F_LOCKED) && (c->acquiring || GI(c, TLParamsLocked))) {
        cam_say(why, why_len, "%s: locked while streaming (%s); stop acquisition and clear TLParamsLocked first",
                d->name, c->acquiring ? "acquisition is running" : "TLParamsLocked = 1");
        return CAM_ERR_ACCESS;
    }
    if (d->lock_ref >= 0 && int_value(c, d->lock_ref)) {
        cam_say(why, why_len, "%s: read-only while %s is true", d->name, cam_reg_table[d->lock_ref].name);
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

/* A limit of an Integer: the table's, or the live value of the register `ref` names (-1: none),
 * explained in words (its describe hook) into `words`. */
static int64_t int_limit(cam_camera *c, int ref, int64_t fixed, char *words, size_t n)
{
    if (ref < 0)
        return fixed;
    cam_reg_hooks_table[ref].describe(c, words, n);
    return int_value(c, ref);
}

/* The generic value checks by type; a Float's op->fvalue is snapped to its increment. */
static cam_status check_value(const cam_reg_desc *d, const uint8_t *buf, size_t len, cam_reg_op *op)
{
    cam_camera *c = op->c;
    char *why = op->why;
    size_t why_len = op->why_len;
    switch (d->type) {
    case CAM_T_STRING:
        return regmap_check_string(d, buf, len, why, why_len);
    case CAM_T_FLOAT: {
        double mn = d->min_ref >= 0 ? float_value(c, d->min_ref) : d->min_f;
        double mx = d->max_ref >= 0 ? float_value(c, d->max_ref) : d->max_f;
        return regmap_check_float(d, &op->fvalue, mn, mx, why, why_len);
    }
    case CAM_T_ENUM:
        return regmap_check_enum(d, op->value, why, why_len);
    case CAM_T_BOOLEAN:
        if (op->value != 0 && op->value != 1) {
            cam_say(why, why_len, "%s: %" PRId64 " is not a boolean (0 or 1)", d->name, op->value);
            return CAM_ERR_VALUE;
        }
        return CAM_OK;
    case CAM_T_COMMAND:
        if (op->value != 1) {
            cam_say(why, why_len, "%s: command register takes 1 (execute), got %" PRId64, d->name, op->value);
            return CAM_ERR_VALUE;
        }
        return CAM_OK;
    default: {
        char mins[96], maxs[96];
        int64_t mn = int_limit(c, d->min_ref, d->min_i, mins, sizeof mins);
        int64_t mx = int_limit(c, d->max_ref, d->max_i, maxs, sizeof maxs);
        return regmap_check_int(d, op->value, mn, mx, d->min_ref >= 0 ? mins : NULL, d->max_ref >= 0 ? maxs : NULL,
                                why, why_len);
    }
    }
}

/* Store a checked write; returns the integer value it replaced (0 for Float and String). */
static int64_t store(const cam_reg_desc *d, const uint8_t *buf, size_t len, const cam_reg_op *op)
{
    cam_regmap *regs = &op->c->regs;
    switch (d->type) {
    case CAM_T_STRING: {
        uint8_t *p = regmap_bytes(regs, op->id, 0);
        memset(p, 0, d->length);
        memcpy(p, buf, len);
        return 0;
    }
    case CAM_T_FLOAT:
        regmap_set_float(regs, op->id, op->idx, op->fvalue);
        return 0;
    default: {
        int64_t old = regmap_get_int(regs, op->id, op->idx);
        regmap_set_int(regs, op->id, op->idx, op->value);
        return old;
    }
    }
}

/* Validate one write, then act on it or store it; mutex held.  The register's own check runs
 * before the type checks, so its precise reason wins (e.g. "Line1 is always an input"). */
static cam_status write_locked(cam_camera *c, int id, uint32_t idx, const uint8_t *buf, size_t len, char *why,
                               size_t why_len)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    const cam_reg_hooks *h = &cam_reg_hooks_table[id];
    cam_status st = check_unlocked(c, d, why, why_len);
    if (st != CAM_OK)
        return st;
    cam_reg_op op = {.c = c, .id = (cam_reg_id)id, .idx = idx, .why = why, .why_len = why_len};
    if (d->type == CAM_T_FLOAT)
        op.fvalue = regmap_decode_float(buf);
    else if (d->type != CAM_T_STRING)
        op.value = regmap_decode_int(d, buf);
    if (h->check && (st = h->check(&op)) != CAM_OK)
        return st;
    if ((st = check_value(d, buf, len, &op)) != CAM_OK)
        return st;
    if (h->act)
        return h->act(&op); /* commands act, they are not stored */
    op.old = store(d, buf, len, &op);
    if (h->after)
        h->after(&op);
    return CAM_OK;
}

cam_status cam_write(cam_camera *cam, uint64_t address, const void *buf, size_t len, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam || !buf || len == 0) {
        cam_say(why, why_len, "cam_write: NULL camera/buffer or zero length");
        return CAM_ERR_PARAMETER;
    }
    if (address >= CAM_XML_ADDRESS && address < CAM_XML_ADDRESS + cam_xml_size) {
        cam_say(why, why_len, "the XML file at 0x%" PRIX64 " is read-only", (uint64_t)CAM_XML_ADDRESS);
        return CAM_ERR_ACCESS;
    }
    int id;
    uint32_t idx;
    cam_status st = locate(address, len, true, &id, &idx, why, why_len);
    if (st != CAM_OK)
        return st;
    if (cam_reg_hooks_table[id].prepare)
        cam_reg_hooks_table[id].prepare(cam); /* mu not held: it may take long */
    uint64_t now = cam_lock_now(cam);
    st = write_locked(cam, id, idx, buf, len, why, why_len);
    if (st == CAM_OK) {
        sim_after_change(cam, now);
        wiring_outputs(cam, now); /* AcquisitionStart, LineSource, UserOutputValue, ... */
        pthread_cond_broadcast(&cam->cv); /* stop, or a new frame period, takes effect now */
    }
    cam_unlock(cam);
    return st;
}

void cam_take_log(cam_camera *cam, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    buf[0] = 0;
    if (!cam)
        return;
    pthread_mutex_lock(&cam->mu);
    snprintf(buf, len, "%s", cam->log);
    cam->log[0] = 0;
    cam_unlock(cam);
}
