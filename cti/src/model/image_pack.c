/* image_pack.c - PFNC pixel-format facts and the LSB-first bit packers (Mono10p, Mono12p).
 *
 * PFNC "p" formats are one contiguous little-endian bit stream: pixel i occupies bits
 * [i*bpp, (i+1)*bpp) of the stream, bit j of the stream is bit (j % 8) of byte (j / 8).
 * Mono12p therefore packs 2 pixels into 3 bytes:
 *   byte0 = p0[7:0], byte1 = p0[11:8] | p1[3:0] << 4, byte2 = p1[11:4]
 * and Mono10p 4 pixels into 5 bytes. Rows are not padded. */
#include "image_internal.h"

#include <string.h>

bool img_fmt_get(uint64_t pf, img_fmt *f)
{
    switch (pf) {
    case PFNC_MONO8:   *f = (img_fmt){ 8, 8, false }; return true;
    case PFNC_MONO10:  *f = (img_fmt){ 10, 16, false }; return true;
    case PFNC_MONO10P: *f = (img_fmt){ 10, 10, true }; return true;
    case PFNC_MONO12:  *f = (img_fmt){ 12, 16, false }; return true;
    case PFNC_MONO12P: *f = (img_fmt){ 12, 12, true }; return true;
    default: return false;
    }
}

uint32_t img_unit_rows(const img_fmt *f, uint32_t width)
{
    uint64_t row_bits = (uint64_t)width * f->bpp;
    uint32_t n = 1;
    while ((row_bits * n) % 8 != 0)
        n++;                       /* at most 8 (bpp 10 -> <= 4, bpp 12 -> <= 2) */
    return n;
}

/* 4 pixels -> 6 bytes (Mono12p). Builds the 48-bit group in a register; one 8-byte store
 * when there is room, else a 6-byte copy. */
static size_t pack12(const uint16_t *src, size_t n, uint8_t *dst)
{
    uint8_t *d = dst;
    size_t i = 0;
    /* 8-byte stores overlap the next group (rewritten by it); stop while 2 bytes remain */
    for (; i + 8 <= n; i += 4) {
        uint64_t v = (uint64_t)(src[i] & 0xFFF) | (uint64_t)(src[i + 1] & 0xFFF) << 12 |
                     (uint64_t)(src[i + 2] & 0xFFF) << 24 | (uint64_t)(src[i + 3] & 0xFFF) << 36;
        memcpy(d, &v, 8);           /* little-endian host: low bytes first */
        d += 6;
    }
    for (; i + 4 <= n; i += 4) {
        uint64_t v = (uint64_t)(src[i] & 0xFFF) | (uint64_t)(src[i + 1] & 0xFFF) << 12 |
                     (uint64_t)(src[i + 2] & 0xFFF) << 24 | (uint64_t)(src[i + 3] & 0xFFF) << 36;
        memcpy(d, &v, 6);
        d += 6;
    }
    for (; i + 2 <= n; i += 2) {
        uint32_t a = src[i] & 0xFFF, b = src[i + 1] & 0xFFF;
        d[0] = (uint8_t)a;
        d[1] = (uint8_t)((a >> 8) | (b & 0xF) << 4);
        d[2] = (uint8_t)(b >> 4);
        d += 3;
    }
    if (i < n) {                    /* odd final pixel: low byte, then high nibble, upper 4 bits 0 */
        uint32_t a = src[i] & 0xFFF;
        d[0] = (uint8_t)a;
        d[1] = (uint8_t)(a >> 8);
        d += 2;
    }
    return (size_t)(d - dst);
}

/* 4 pixels -> 5 bytes (Mono10p); remainder through a bit accumulator. */
static size_t pack10(const uint16_t *src, size_t n, uint8_t *dst)
{
    uint8_t *d = dst;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t v = (uint64_t)(src[i] & 0x3FF) | (uint64_t)(src[i + 1] & 0x3FF) << 10 |
                     (uint64_t)(src[i + 2] & 0x3FF) << 20 | (uint64_t)(src[i + 3] & 0x3FF) << 30;
        memcpy(d, &v, 5);
        d += 5;
    }
    uint32_t acc = 0, nb = 0;
    for (; i < n; i++) {
        acc |= (uint32_t)(src[i] & 0x3FF) << nb;
        nb += 10;
        while (nb >= 8) { *d++ = (uint8_t)acc; acc >>= 8; nb -= 8; }
    }
    if (nb)
        *d++ = (uint8_t)acc;
    return (size_t)(d - dst);
}

size_t img_pack(const uint16_t *src, size_t n, unsigned bpp, uint8_t *dst)
{
    return bpp == 12 ? pack12(src, n, dst) : pack10(src, n, dst);
}
