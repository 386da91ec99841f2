/* regmap.c - register storage initialised from the generated table, and generic validation. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAM_REGS_DEFINE_TABLE
#include "regmap.h"

void cam_say(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static size_t span_of(const cam_reg_desc *d)
{
    return (size_t)d->stride * (d->count - 1) + d->length;
}

bool regmap_init(cam_regmap *m)
{
    size_t total = 0;
    for (int i = 0; i < CAM_REG_COUNT; i++) {
        m->offset[i] = total;
        total += span_of(&cam_reg_table[i]);
    }
    m->store = calloc(total ? total : 1, 1);
    if (!m->store)
        return false;
    for (int i = 0; i < CAM_REG_COUNT; i++) {
        const cam_reg_desc *d = &cam_reg_table[i];
        for (uint32_t k = 0; k < d->count; k++) {
            switch (d->type) {
            case CAM_T_FLOAT:
                regmap_set_float(m, (cam_reg_id)i, k, d->def_f);
                break;
            case CAM_T_STRING:
                regmap_set_string(m, (cam_reg_id)i, d->def_s ? d->def_s : "");
                break;
            default:
                regmap_set_int(m, (cam_reg_id)i, k, d->def_elems ? d->def_elems[k] : d->def_i);
                break;
            }
        }
    }
    return true;
}

void regmap_free(cam_regmap *m)
{
    free(m->store);
    m->store = NULL;
}

int regmap_find(uint64_t address, uint32_t *index, bool *at_start)
{
    for (int i = 0; i < CAM_REG_COUNT; i++) {
        const cam_reg_desc *d = &cam_reg_table[i];
        if (address < d->address || address >= d->address + span_of(d))
            continue;
        uint64_t rel = address - d->address;
        uint32_t k = (uint32_t)(rel / d->stride);
        uint64_t in = rel % d->stride;
        if (in >= d->length)
            return -1; /* gap between elements of an indexed register */
        *index = k;
        *at_start = (in == 0);
        return i;
    }
    return -1;
}

uint8_t *regmap_bytes(cam_regmap *m, cam_reg_id id, uint32_t idx)
{
    return m->store + m->offset[id] + (size_t)cam_reg_table[id].stride * idx;
}

int64_t regmap_decode_int(const cam_reg_desc *d, const uint8_t *p)
{
    uint64_t u = 0;
    for (uint32_t i = 0; i < d->length; i++)
        u |= (uint64_t)p[i] << (8 * i);
    if ((d->flags & CAM_F_SIGNED) && d->length < 8 && (u >> (8 * d->length - 1)) & 1u)
        u |= ~0ULL << (8 * d->length); /* sign-extend */
    return (int64_t)u;
}

void regmap_encode_int(const cam_reg_desc *d, int64_t v, uint8_t *p)
{
    uint64_t u = (uint64_t)v;
    for (uint32_t i = 0; i < d->length; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

double regmap_decode_float(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

void regmap_encode_float(double v, uint8_t *p)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

int64_t regmap_get_int(cam_regmap *m, cam_reg_id id, uint32_t idx)
{
    return regmap_decode_int(&cam_reg_table[id], regmap_bytes(m, id, idx));
}

void regmap_set_int(cam_regmap *m, cam_reg_id id, uint32_t idx, int64_t v)
{
    regmap_encode_int(&cam_reg_table[id], v, regmap_bytes(m, id, idx));
}

double regmap_get_float(cam_regmap *m, cam_reg_id id, uint32_t idx)
{
    return regmap_decode_float(regmap_bytes(m, id, idx));
}

void regmap_set_float(cam_regmap *m, cam_reg_id id, uint32_t idx, double v)
{
    regmap_encode_float(v, regmap_bytes(m, id, idx));
}

const char *regmap_get_string(cam_regmap *m, cam_reg_id id)
{
    /* writes are validated to hold a NUL within the length, so this is always terminated */
    return (const char *)regmap_bytes(m, id, 0);
}

void regmap_set_string(cam_regmap *m, cam_reg_id id, const char *s)
{
    uint8_t *p = regmap_bytes(m, id, 0);
    size_t n = cam_reg_table[id].length;
    memset(p, 0, n);
    size_t l = strlen(s);
    memcpy(p, s, l < n - 1 ? l : n - 1);
}

cam_status regmap_check_int(const cam_reg_desc *d, int64_t v, int64_t min, int64_t max,
                            const char *min_src, const char *max_src, char *why, size_t why_len)
{
    /* an 8-byte unsigned register above INT64_MAX decodes negative: report it as too large */
    bool huge = !(d->flags & CAM_F_SIGNED) && d->length == 8 && v < 0;
    if (huge || v > max) {
        cam_say(why, why_len, "%s: %" PRIu64 " is above max %" PRId64 "%s%s%s", d->name,
                (uint64_t)v, max, max_src ? " (" : "", max_src ? max_src : "", max_src ? ")" : "");
        return CAM_ERR_VALUE;
    }
    if (v < min) {
        cam_say(why, why_len, "%s: %" PRId64 " is below min %" PRId64 "%s%s%s", d->name, v, min,
                min_src ? " (" : "", min_src ? min_src : "", min_src ? ")" : "");
        return CAM_ERR_VALUE;
    }
    if (d->inc_i > 1 && (v - min) % d->inc_i != 0) {
        int64_t lo = min + (v - min) / d->inc_i * d->inc_i;
        int64_t hi = lo + d->inc_i;
        if (hi <= max)
            cam_say(why, why_len,
                    "%s: %" PRId64 " is off increment %" PRId64 " (min %" PRId64 ", max %" PRId64
                    "); nearest valid %" PRId64 " or %" PRId64,
                    d->name, v, d->inc_i, min, max, lo, hi);
        else
            cam_say(why, why_len,
                    "%s: %" PRId64 " is off increment %" PRId64 " (min %" PRId64 ", max %" PRId64
                    "); nearest valid %" PRId64,
                    d->name, v, d->inc_i, min, max, lo);
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}

cam_status regmap_check_float(const cam_reg_desc *d, double *v, double min, double max,
                              char *why, size_t why_len)
{
    if (!isfinite(*v)) {
        cam_say(why, why_len, "%s: %g is not a finite number", d->name, *v);
        return CAM_ERR_VALUE;
    }
    double x = *v;
    if (d->inc_f > 0) /* snap relative to min, like GenApi's increment */
        x = min + round((x - min) / d->inc_f) * d->inc_f;
    /* compare with a relative tolerance so a double round trip through GenApi never fails */
    double tol = 1e-9 * fmax(1.0, fmax(fabs(min), fabs(max)));
    if (x > max + tol || *v > max + tol) {
        cam_say(why, why_len, "%s: %.9g is above max %.9g", d->name, *v, max);
        return CAM_ERR_VALUE;
    }
    if (x < min - tol || *v < min - tol) {
        cam_say(why, why_len, "%s: %.9g is below min %.9g", d->name, *v, min);
        return CAM_ERR_VALUE;
    }
    *v = fmin(fmax(x, min), max);
    return CAM_OK;
}

cam_status regmap_check_enum(const cam_reg_desc *d, int64_t v, char *why, size_t why_len)
{
    for (uint32_t i = 0; i < d->n_entries; i++)
        if (d->entries[i].value == v)
            return CAM_OK;
    char list[256];
    size_t off = 0;
    list[0] = 0;
    for (uint32_t i = 0; i < d->n_entries && off < sizeof list; i++) {
        int w = snprintf(list + off, sizeof list - off, "%s%s=0x%" PRIX64, i ? ", " : "",
                         d->entries[i].name, (uint64_t)d->entries[i].value);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    cam_say(why, why_len, "%s: 0x%" PRIX64 " is not an entry (allowed: %s)", d->name, (uint64_t)v, list);
    return CAM_ERR_VALUE;
}

cam_status regmap_check_string(const cam_reg_desc *d, const uint8_t *buf, size_t len,
                               char *why, size_t why_len)
{
    const uint8_t *nul = memchr(buf, 0, len);
    if (!nul && len >= d->length) {
        cam_say(why, why_len, "%s: text is not NUL-terminated within the register's %u bytes",
                d->name, (unsigned)d->length);
        return CAM_ERR_VALUE;
    }
    size_t chars = nul ? (size_t)(nul - buf) : len;
    size_t max = d->max_chars ? d->max_chars : d->length - 1;
    if (chars > max) {
        cam_say(why, why_len, "%s: %zu characters, at most %zu allowed", d->name, chars, max);
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}
