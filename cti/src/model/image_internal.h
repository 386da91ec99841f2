/* image_internal.h - shared between image.c, image_scene.c, image_testimg.c, image_pack.c.
 * Not part of the public API (image.h). */
#ifndef ACESIM_IMAGE_INTERNAL_H
#define ACESIM_IMAGE_INTERNAL_H

#include "image.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "image.c writes Mono10/Mono12 as native uint16: little-endian hosts only"
#endif

/* ---- pixel formats (image_pack.c) ---- */
typedef struct {
    unsigned bits;      /* value bit depth: 8, 10 or 12 */
    unsigned bpp;       /* bits per pixel in the buffer: 8, 16, 10 or 12 */
    bool packed;        /* PFNC "p" format: contiguous LSB-first bit stream */
} img_fmt;

/* false if the pixel format is not one of the PFNC_* codes in image.h */
bool img_fmt_get(uint64_t pixel_format, img_fmt *f);

/* Rows per "unit": the smallest number of rows whose bit length is a whole number of bytes,
 * so that every unit starts on a byte boundary and can be produced/copied independently. */
uint32_t img_unit_rows(const img_fmt *f, uint32_t width);

/* Pack n values (each < 2^bpp) LSB-first into dst starting at a byte boundary; returns bytes
 * written = ceil(n*bpp/8). Unused high bits of a final partial byte are 0. bpp: 10 or 12. */
size_t img_pack(const uint16_t *src, size_t n, unsigned bpp, uint8_t *dst);

/* ---- deterministic hashing / RNG ---- */
static inline uint64_t img_mix64(uint64_t z)   /* splitmix64 finaliser */
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- renderer ---- */
#define IMG_NORM_TAB_BITS 12
#define IMG_NORM_TAB_SIZE (1u << IMG_NORM_TAB_BITS)

struct img_renderer {
    /* scene noise bank: `bank_k` fully rendered noisy frames in the output format */
    bool bank_valid;
    img_settings bank_set;       /* settings the bank was built for */
    uint8_t *bank;               /* bank_k * bank_frame_bytes */
    size_t bank_frame_bytes;
    uint32_t bank_k;
    /* test images: scratch rows/tapes, rebuilt when the geometry/format changes */
    bool ti_valid;
    img_settings ti_set;
    void *tape;                  /* ramp tape, forward and reverse, in container type */
    void *tpl;                   /* row templates (checkerboard phases, frame-ID bars) */
    uint16_t *unit_buf;          /* one unit of unpacked values (packed formats) */
    uint8_t *ptape;              /* Mono12p, even width: pre-packed tapes and templates */
    size_t unit_buf_px;
    /* table of standard-normal deviates (inverse CDF at midpoints, unit variance) */
    float norm_tab[IMG_NORM_TAB_SIZE];
};

/* image_scene.c */
void img_scene_init_tables(img_renderer *r);
void img_scene_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst);
void img_scene_free(img_renderer *r);
bool img_scene_prepare(img_renderer *r, const img_settings *s); /* true if it rebuilt */
bool img_scene_is_prepared(const img_renderer *r, const img_settings *s);
uint32_t img_scene_pixel(const img_settings *s, uint32_t x, uint32_t y);

/* image_testimg.c */
void img_testimg_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst);
void img_testimg_free(img_renderer *r);
bool img_testimg_prepare(img_renderer *r, const img_settings *s); /* true if it rebuilt */
bool img_testimg_is_prepared(const img_renderer *r, const img_settings *s);
uint32_t img_testimg_pixel(const img_settings *s, uint32_t x, uint32_t y, uint64_t frame_id);

/* image.c: binned sensor coordinate of delivered pixel (x, y) (ROI offset + reverse). */
static inline uint32_t img_bin_x(const img_settings *s, uint32_t x)
{
    return s->offset_x + (s->reverse_x ? s->width - 1 - x : x);
}
static inline uint32_t img_bin_y(const img_settings *s, uint32_t y)
{
    return s->offset_y + (s->reverse_y ? s->height - 1 - y : y);
}

#endif
