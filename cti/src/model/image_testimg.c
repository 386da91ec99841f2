/* image_testimg.c - TestImageSelector Testimage1..Testimage6: exact integer patterns.
 *
 * B = bit depth of the format (8, 10 or 12), M = 2^B - 1, F = frame ID (0 while
 * test_image_hold), X/Y = binned sensor coordinates of the delivered pixel (image.c).
 *   1  diagonal ramp, moving   (X + Y + F) mod 2^B
 *   2  horizontal ramp, static  X mod 2^B
 *   3  vertical ramp, moving   (Y + F) mod 2^B
 *   4  checkerboard 16x16, toggling each frame   ((X>>4) ^ (Y>>4) ^ F) & 1 ? M : 0
 *   5  flat, = frame ID         F mod 2^B
 *   6  frame-ID bars: 16-px-wide bars, bar n = (X>>4) mod 64 is M if bit n of F is set, else 0
 * Test images carry no noise and ignore exposure, gain, black level, gamma, digital shift and
 * binning mode (binning only changes which X/Y a pixel has, through offsets in binned pixels).
 *
 * Speed: every row is either a slice of a precomputed ramp "tape", a precomputed row template
 * or a constant, so a frame is a sequence of memcpy/memset (plus packing for Mono10p/12p). */
#include "image_internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t frame_of(const img_settings *s, uint64_t frame_id)
{
    return s->test_image_hold ? 0 : frame_id;
}

uint32_t img_testimg_pixel(const img_settings *s, uint32_t x, uint32_t y, uint64_t frame_id)
{
    img_fmt f;
    if (!img_fmt_get(s->pixel_format, &f))
        return 0;
    const uint64_t M = (1u << f.bits) - 1;
    const uint64_t F = frame_of(s, frame_id);
    const uint64_t X = img_bin_x(s, x), Y = img_bin_y(s, y);
    switch (s->test_image) {
    case 1: return (uint32_t)((X + Y + F) & M);
    case 2: return (uint32_t)(X & M);
    case 3: return (uint32_t)((Y + F) & M);
    case 4: return (((X >> 4) ^ (Y >> 4) ^ F) & 1) ? (uint32_t)M : 0;
    case 5: return (uint32_t)(F & M);
    case 6: return ((F >> ((X >> 4) & 63)) & 1) ? (uint32_t)M : 0;
    default: return 0;
    }
}

void img_testimg_free(img_renderer *r)
{
    free(r->tape);
    free(r->tpl);
    free(r->unit_buf);
    free(r->ptape);
    r->ptape = NULL;
    r->tape = r->tpl = NULL;
    r->unit_buf = NULL;
    r->unit_buf_px = 0;
    r->ti_valid = false;
}

/* element access in the "container" type: uint8_t for 8-bit, uint16_t otherwise */
static inline void put(void *base, size_t es, size_t i, uint32_t v)
{
    if (es == 1)
        ((uint8_t *)base)[i] = (uint8_t)v;
    else
        ((uint16_t *)base)[i] = (uint16_t)v;
}

/* (Re)build tapes and static templates; they depend on width, offset_x, reverse_x, format. */
static bool prepare(img_renderer *r, const img_settings *s, const img_fmt *f)
{
    const img_settings *o = &r->ti_set;
    if (r->ti_valid && o->width == s->width && o->offset_x == s->offset_x &&
        o->reverse_x == s->reverse_x && o->pixel_format == s->pixel_format &&
        o->height == s->height)
        return true;
    img_testimg_free(r);
    const size_t es = f->bits == 8 ? 1 : 2, w = s->width;
    const uint32_t M = (1u << f->bits) - 1;
    const size_t L = w + M + 1;          /* tape: any start in [0, M] plus w values */
    r->tape = malloc(2 * L * es);
    r->tpl = malloc(3 * w * es);
    size_t unit_px = (size_t)img_unit_rows(f, s->width) * w;
    if (f->packed) {
        r->unit_buf = malloc(unit_px * sizeof(uint16_t));
        r->unit_buf_px = unit_px;
    }
    if (!r->tape || !r->tpl || (f->packed && !r->unit_buf)) {
        img_testimg_free(r);
        return false;
    }
    uint8_t *fwd = r->tape, *rev = fwd + L * es;
    for (size_t i = 0; i < L; i++) {
        put(fwd, es, i, (uint32_t)(i & M));            /* fwd[i] = i mod 2^B */
        put(rev, es, i, (uint32_t)((0 - i) & M));      /* rev[i] = -i mod 2^B */
    }
    uint8_t *c0 = r->tpl, *c1 = c0 + w * es;
    for (uint32_t x = 0; x < w; x++) {
        uint32_t X = img_bin_x(s, x);
        put(c0, es, x, ((X >> 4) & 1) ? M : 0);
        put(c1, es, x, ((X >> 4) & 1) ? 0 : M);
    }
    if (f->bpp == 12 && w % 2 == 0) {
        /* Mono12p with even width: every row starts on a byte. Pre-pack the tapes in both pixel
         * phases (a row starting at an odd tape index uses the phase-1 copy) and the two
         * checkerboard rows, so that a frame is memcpy only. Layout: 4 tapes (fwd p0, fwd p1,
         * rev p0, rev p1) of tl bytes, then 3 rows (c0, c1, per-frame row). */
        const size_t tl = (L - 1) * 3 / 2 + 2, rb = w * 3 / 2;
        r->ptape = malloc(4 * tl + 3 * rb);
        if (!r->ptape) {
            img_testimg_free(r);
            return false;
        }
        const uint16_t *u16f = (const uint16_t *)(const void *)fwd;
        const uint16_t *u16r = (const uint16_t *)(const void *)rev;
        img_pack(u16f, L - 1, 12, r->ptape);
        img_pack(u16f + 1, L - 1, 12, r->ptape + tl);
        img_pack(u16r, L - 1, 12, r->ptape + 2 * tl);
        img_pack(u16r + 1, L - 1, 12, r->ptape + 3 * tl);
        img_pack((const uint16_t *)(const void *)c0, w, 12, r->ptape + 4 * tl);
        img_pack((const uint16_t *)(const void *)c1, w, 12, r->ptape + 4 * tl + rb);
    }
    r->ti_set = *s;
    r->ti_valid = true;
    return true;
}

/* Mono12p row of w (even) copies of v: one 3-byte pair pattern, then doubling copies */
static void fill12p(uint8_t *d, size_t w, uint32_t v)
{
    const size_t rb = w * 3 / 2;
    if (rb < 3)
        return;
    d[0] = (uint8_t)v;
    d[1] = (uint8_t)((v >> 8) | (v & 0xF) << 4);
    d[2] = (uint8_t)(v >> 4);
    for (size_t have = 3; have < rb; have *= 2)
        memcpy(d + have, d, have < rb - have ? have : rb - have);
}

/* the Mono12p/even-width path: every row is a memcpy of pre-packed bytes or a pattern fill */
static void render12p_fast(img_renderer *r, const img_settings *s, uint64_t F, uint8_t *dst)
{
    const size_t w = s->width, M = 4095, L = w + M + 1;
    const size_t tl = (L - 1) * 3 / 2 + 2, rb = w * 3 / 2;
    uint8_t *rows = r->ptape + 4 * tl, *frow = rows + 2 * rb;
    if (s->test_image == 6)                    /* per-frame row (unpacked copy made by caller) */
        img_pack((const uint16_t *)(const void *)((uint8_t *)r->tpl + 4 * w), w, 12, frow);
    else if (s->test_image == 5)
        fill12p(frow, w, (uint32_t)(F & M));
    uint8_t *d = dst;
    for (uint32_t y = 0; y < s->height; y++, d += rb) {
        const uint64_t Y = img_bin_y(s, y);
        uint64_t add, st;
        const uint8_t *src;
        switch (s->test_image) {
        case 1:
        case 2:                                 /* same start index as row_src() */
            add = s->test_image == 1 ? Y + F : 0;
            st = !s->reverse_x ? (s->offset_x + add) & M
                               : (0 - (s->offset_x + w - 1 + add)) & M;
            src = r->ptape + (s->reverse_x ? 2 : 0) * tl + (st & 1) * tl + (st >> 1) * 3;
            break;
        case 3: fill12p(d, w, (uint32_t)((Y + F) & M)); continue;
        case 4: src = rows + (((Y >> 4) ^ F) & 1) * rb; break;
        default: src = frow; break;            /* 5 and 6 */
        }
        memcpy(d, src, rb);
    }
}

/* Row source for delivered row y: a pointer to w container values, or NULL and *fill. */
static const void *row_src(const img_renderer *r, const img_settings *s, const img_fmt *f,
                           uint32_t y, uint64_t F, uint32_t *fill)
{
    const size_t es = f->bits == 8 ? 1 : 2, w = s->width;
    const uint64_t M = (1u << f->bits) - 1;
    const uint64_t Y = img_bin_y(s, y);
    const uint8_t *fwd = r->tape, *rev = fwd + (w + M + 1) * es;
    const uint8_t *tpl = r->tpl;
    uint64_t add;
    switch (s->test_image) {
    case 1:
    case 2:
        add = s->test_image == 1 ? Y + F : 0;
        if (!s->reverse_x)                      /* value(x) = (ox + x + add) mod 2^B */
            return fwd + ((s->offset_x + add) & M) * es;
        /* value(x) = (c - x) mod 2^B with c = ox + w-1 + add; rev[start + x] = -(start+x) */
        return rev + ((0 - (s->offset_x + w - 1 + add)) & M) * es;
    case 3: *fill = (uint32_t)((Y + F) & M); return NULL;
    case 4: return tpl + (((Y >> 4) ^ F) & 1) * w * es;
    case 5: *fill = (uint32_t)(F & M); return NULL;
    case 6: return tpl + 2 * w * es;
    default: *fill = 0; return NULL;
    }
}

static void emit_u16_fill(uint16_t *d, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        d[i] = v;
}

bool img_testimg_is_prepared(const img_renderer *r, const img_settings *s)
{
    const img_settings *o = &r->ti_set;
    return r->ti_valid && o->width == s->width && o->offset_x == s->offset_x && o->reverse_x == s->reverse_x &&
           o->pixel_format == s->pixel_format && o->height == s->height;
}

bool img_testimg_prepare(img_renderer *r, const img_settings *s)
{
    img_fmt f;
    if (!img_fmt_get(s->pixel_format, &f))
        return false;
    if (img_testimg_is_prepared(r, s))
        return false;
    (void)prepare(r, s, &f);
    return true;
}

void img_testimg_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst)
{
    img_fmt f;
    if (!img_fmt_get(s->pixel_format, &f))
        return;
    if (!prepare(r, s, &f)) {
        memset(dst, 0, img_frame_bytes(s));   /* out of memory: deliver a black frame */
        return;
    }
    const uint64_t F = frame_of(s, frame_id);
    const size_t w = s->width, es = f.bits == 8 ? 1 : 2;
    const uint32_t M = (1u << f.bits) - 1;

    if (s->test_image == 6) {                  /* frame-dependent template: rebuild per frame */
        uint8_t *bars = (uint8_t *)r->tpl + 2 * w * es;
        for (uint32_t x = 0; x < w; x++)
            put(bars, es, x, ((F >> ((img_bin_x(s, x) >> 4) & 63)) & 1) ? M : 0);
    }

    if (!f.packed) {
        const size_t row_bytes = w * es;
        uint8_t *d = dst;
        /* uint16 rows are written directly only when dst is 2-byte aligned */
        const bool aligned = ((uintptr_t)dst & 1) == 0;
        for (uint32_t y = 0; y < s->height; y++, d += row_bytes) {
            uint32_t fill = 0;
            const void *src = row_src(r, s, &f, y, F, &fill);
            if (src)
                memcpy(d, src, row_bytes);
            else if (es == 1)
                memset(d, (int)fill, row_bytes);
            else if (aligned)
                emit_u16_fill((uint16_t *)(void *)d, w, (uint16_t)fill);
            else
                for (size_t i = 0; i < w; i++)
                    memcpy(d + 2 * i, &(uint16_t){ (uint16_t)fill }, 2);
        }
        return;
    }

    if (r->ptape) {
        render12p_fast(r, s, F, dst);
        return;
    }
    /* packed: assemble a unit of rows (byte-aligned bit length) unpacked, then pack it */
    const uint32_t ur = img_unit_rows(&f, s->width);
    uint8_t *d = dst;
    for (uint32_t y0 = 0; y0 < s->height; y0 += ur) {
        uint32_t n = s->height - y0 < ur ? s->height - y0 : ur;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t fill = 0;
            const void *src = row_src(r, s, &f, y0 + k, F, &fill);
            if (src)
                memcpy(r->unit_buf + k * w, src, w * 2);
            else
                emit_u16_fill(r->unit_buf + k * w, w, (uint16_t)fill);
        }
        d += img_pack(r->unit_buf, (size_t)n * w, f.bpp, d);
    }
}
