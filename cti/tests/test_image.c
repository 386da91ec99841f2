/* test_image.c - unit test of the image model (src/model/image*.c).
 *   cc -std=c11 -Wall -Wextra -Werror -O2 -Isrc/model tests/test_image.c src/model/image*.c -lm
 * Prints every failure and "N passed, M failed"; exit code 0 only if nothing failed. */
#include "image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (cond) n_pass++;                                                      \
        else { n_fail++; printf("FAIL %s:%d: ", __FILE__, __LINE__);             \
               printf(__VA_ARGS__); printf("\n"); }                              \
    } while (0)

static img_settings base(uint64_t pf, uint32_t w, uint32_t h)
{
    img_settings s = { 0 };
    s.width = w; s.height = h;
    s.binning_h = s.binning_v = 1;
    s.pixel_format = pf;
    s.exposure_us = 5000; s.gamma = 1.0; s.seed = 0xC0FFEE;
    return s;
}

static unsigned bits_of(uint64_t pf)
{
    return pf == PFNC_MONO8 ? 8 : (pf == PFNC_MONO10 || pf == PFNC_MONO10P) ? 10 : 12;
}

static unsigned bpp_of(uint64_t pf)
{
    switch (pf) {
    case PFNC_MONO8: return 8;
    case PFNC_MONO10P: return 10;
    case PFNC_MONO12P: return 12;
    default: return 16;
    }
}

/* Independent unpacker: bit-by-bit reading of the PFNC LSB-first stream (packed formats),
 * little-endian uint16 for Mono10/12. Returns false if a padding/unused bit is set. */
static bool unpack(const img_settings *s, const uint8_t *buf, uint32_t *out)
{
    size_t n = (size_t)s->width * s->height;
    unsigned bpp = bpp_of(s->pixel_format), bits = bits_of(s->pixel_format);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        if (bpp == 8) v = buf[i];
        else if (bpp == 16) {
            v = buf[2 * i] | (uint32_t)buf[2 * i + 1] << 8;
            if (v >> bits) ok = false;         /* value must sit in the low bits */
        } else {
            for (unsigned b = 0; b < bpp; b++) {
                size_t bit = i * bpp + b;
                v |= (uint32_t)((buf[bit / 8] >> (bit % 8)) & 1) << b;
            }
        }
        out[i] = v;
    }
    size_t total_bits = n * bpp;
    if (bpp != 8 && bpp != 16 && total_bits % 8)     /* unused high bits of the last byte */
        if (buf[total_bits / 8] >> (total_bits % 8)) ok = false;
    return ok;
}

static uint8_t *render(img_renderer *r, const img_settings *s, uint64_t f)
{
    size_t fb = img_frame_bytes(s);
    uint8_t *b = malloc(fb + 16);
    memset(b, 0xEE, fb + 16);
    img_render(r, s, f, b);
    /* must not write past img_frame_bytes */
    for (int i = 0; i < 16; i++)
        if (b[fb + i] != 0xEE) { printf("overrun\n"); n_fail++; break; }
    return b;
}

static double mean_of(const img_settings *s, const uint8_t *b)
{
    size_t n = (size_t)s->width * s->height;
    uint32_t *v = malloc(n * sizeof *v);
    unpack(s, b, v);
    double m = 0;
    for (size_t i = 0; i < n; i++) m += v[i];
    free(v);
    return m / n;
}

static double render_mean(img_renderer *r, const img_settings *s, uint64_t f)
{
    uint8_t *b = render(r, s, f);
    double m = mean_of(s, b);
    free(b);
    return m;
}

/* ---- tests ---- */

static void test_frame_bytes(void)
{
    img_settings s = base(PFNC_MONO8, 4112, 3008);
    CHECK(img_frame_bytes(&s) == 4112u * 3008, "Mono8 bytes");
    s.pixel_format = PFNC_MONO12;
    CHECK(img_frame_bytes(&s) == 2u * 4112 * 3008, "Mono12 bytes");
    s.pixel_format = PFNC_MONO12P;
    CHECK(img_frame_bytes(&s) == 4112u * 3008 * 3 / 2, "Mono12p bytes");
    s.width = 5; s.height = 3;                  /* 15 px * 12 bit = 180 bit = 22.5 bytes */
    CHECK(img_frame_bytes(&s) == 23, "Mono12p odd bytes %zu", img_frame_bytes(&s));
    s.pixel_format = PFNC_MONO10P;              /* 150 bit -> 19 bytes */
    CHECK(img_frame_bytes(&s) == 19, "Mono10p odd bytes %zu", img_frame_bytes(&s));
    s.pixel_format = 0x12345678;
    CHECK(img_frame_bytes(&s) == 0, "unknown format -> 0");
}

/* hand-computed values, so img_test_pixel is not only checked against itself */
static void test_reference_formulas(void)
{
    img_settings s = base(PFNC_MONO8, 100, 50);
    s.test_image = 1;
    CHECK(img_test_pixel(&s, 10, 20, 3) == 33, "T1 (10+20+3)");
    CHECK(img_test_pixel(&s, 200, 60, 0) == (260 & 255), "T1 wraps mod 256");
    s.reverse_x = true;
    CHECK(img_test_pixel(&s, 0, 0, 0) == 99, "T1 reverse_x: x=0 is X=99");
    s.reverse_x = false; s.offset_x = 8; s.offset_y = 4;
    CHECK(img_test_pixel(&s, 0, 0, 0) == 12, "T1 offsets");
    s.test_image_hold = true;
    CHECK(img_test_pixel(&s, 0, 0, 77) == 12, "hold freezes frame ID");
    s = base(PFNC_MONO12, 100, 50);
    s.test_image = 2;
    CHECK(img_test_pixel(&s, 99, 7, 5) == 99, "T2 static horizontal ramp");
    s.test_image = 3;
    CHECK(img_test_pixel(&s, 3, 7, 4090) == (4097 & 4095), "T3 wraps mod 4096");
    s.test_image = 4;
    CHECK(img_test_pixel(&s, 16, 0, 0) == 4095 && img_test_pixel(&s, 15, 0, 0) == 0 &&
          img_test_pixel(&s, 16, 16, 0) == 0 && img_test_pixel(&s, 16, 0, 1) == 0,
          "T4 checkerboard");
    s.test_image = 5;
    CHECK(img_test_pixel(&s, 1, 1, 5000) == 5000 % 4096, "T5 = frame mod 4096");
    s.test_image = 6;                            /* F = 5: bars 0 and 2 bright */
    CHECK(img_test_pixel(&s, 0, 0, 5) == 4095 && img_test_pixel(&s, 16, 0, 5) == 0 &&
          img_test_pixel(&s, 32, 9, 5) == 4095 && img_test_pixel(&s, 48, 0, 5) == 0,
          "T6 frame-ID bars");
}

/* exact Mono12p / Mono12 / Mono10p byte layout for a known value */
static void test_packing_bytes(void)
{
    img_renderer *r = img_renderer_create();
    img_settings s = base(PFNC_MONO12P, 3, 1);   /* 3 px: 0xABC each, frame 0xABC, T5 */
    s.test_image = 5;
    uint8_t *b = render(r, &s, 0xABC);
    const uint8_t want[5] = { 0xBC, 0xCA, 0xAB, 0xBC, 0x0A };
    CHECK(memcmp(b, want, 5) == 0, "Mono12p bytes %02X %02X %02X %02X %02X", b[0], b[1], b[2],
          b[3], b[4]);
    free(b);
    s.pixel_format = PFNC_MONO12;
    b = render(r, &s, 0xABC);
    CHECK(b[0] == 0xBC && b[1] == 0x0A && b[4] == 0xBC && b[5] == 0x0A, "Mono12 little-endian");
    free(b);
    s.pixel_format = PFNC_MONO10P; s.width = 5;  /* 5 x 0x2AB: 50 bits -> 7 bytes */
    b = render(r, &s, 0x2AB);
    /* stream: 0x2AB repeated = bits ...; check via hand-computed bytes */
    uint64_t v = 0;
    for (int i = 0; i < 5; i++) v |= (uint64_t)0x2AB << (10 * i);
    bool ok = true;
    for (int i = 0; i < 7; i++) ok &= b[i] == (uint8_t)(v >> (8 * i));
    CHECK(ok, "Mono10p bytes");
    free(b);
    img_renderer_destroy(r);
}

/* every test image, every format, several geometries and frames: pixel-exact */
static void test_test_images_exact(void)
{
    const uint64_t fmts[] = { PFNC_MONO8, PFNC_MONO12, PFNC_MONO12P, PFNC_MONO10, PFNC_MONO10P };
    struct { uint32_t w, h, ox, oy, b; bool rx, ry; } g[] = {
        { 64, 48, 0, 0, 1, false, false },
        { 37, 21, 13, 7, 1, false, false },       /* odd width: Mono12p rows on nibbles */
        { 101, 5, 3990, 3000, 1, true, false },   /* beyond the 12-bit ramp period, reverse X */
        { 33, 17, 5, 9, 2, false, true },         /* binning 2, reverse Y */
        { 35, 13, 100, 50, 3, true, true },       /* binning 3, both reverse, odd */
        { 100, 6, 3991, 3000, 1, true, false },   /* even width, reverse X (pre-packed 12p) */
        { 34, 9, 6, 3, 2, true, true },           /* even width, binning 2, both reverse */
        { 1, 1, 7, 7, 1, false, false },
        { 4112, 2, 0, 1000, 1, false, false },    /* full width */
    };
    const uint64_t frames[] = { 0, 1, 2, 17, 4097, 0x123456789ull };
    img_renderer *r = img_renderer_create();
    int bad_cases = 0, cases = 0;
    for (size_t fi = 0; fi < sizeof fmts / sizeof *fmts; fi++)
        for (size_t gi = 0; gi < sizeof g / sizeof *g; gi++)
            for (uint32_t t = 1; t <= 6; t++)
                for (size_t k = 0; k < sizeof frames / sizeof *frames; k++)
                    for (int hold = 0; hold < 2; hold++) {
                        img_settings s = base(fmts[fi], g[gi].w, g[gi].h);
                        s.offset_x = g[gi].ox; s.offset_y = g[gi].oy;
                        s.binning_h = s.binning_v = g[gi].b;
                        s.binning_h_mode = IMG_BIN_AVERAGE;
                        s.reverse_x = g[gi].rx; s.reverse_y = g[gi].ry;
                        s.test_image = t; s.test_image_hold = hold;
                        s.gain_db = 12; s.black_level = 40; s.digital_shift = 2; /* ignored */
                        uint8_t *b = render(r, &s, frames[k]);
                        uint32_t *v = malloc(sizeof *v * s.width * s.height);
                        bool ok = unpack(&s, b, v);
                        for (uint32_t y = 0; y < s.height && ok; y++)
                            for (uint32_t x = 0; x < s.width && ok; x++)
                                if (v[(size_t)y * s.width + x] != img_test_pixel(&s, x, y, frames[k])) {
                                    ok = false;
                                    printf("  fmt %#llx geom %zu T%u frame %llu hold %d: (%u,%u) = %u, want %u\n",
                                           (unsigned long long)fmts[fi], gi, t,
                                           (unsigned long long)frames[k], hold, x, y,
                                           v[(size_t)y * s.width + x],
                                           img_test_pixel(&s, x, y, frames[k]));
                                }
                        cases++;
                        if (!ok) bad_cases++;
                        free(v);
                        free(b);
                    }
    CHECK(bad_cases == 0, "test images exact: %d of %d cases wrong", bad_cases, cases);
    img_renderer_destroy(r);
}

/* full-resolution Mono12p, all test images, one moving frame: every pixel */
static void test_test_images_fullres(void)
{
    img_renderer *r = img_renderer_create();
    img_settings s = base(PFNC_MONO12P, 4112, 3008);
    uint32_t *v = malloc(sizeof *v * 4112 * 3008);
    for (uint32_t t = 1; t <= 6; t++) {
        s.test_image = t;
        uint8_t *b = render(r, &s, 1234567);
        bool ok = unpack(&s, b, v);
        size_t bad = 0;
        for (uint32_t y = 0; y < s.height; y++)
            for (uint32_t x = 0; x < s.width; x++)
                bad += v[(size_t)y * s.width + x] != img_test_pixel(&s, x, y, 1234567);
        CHECK(ok && bad == 0, "full-res Mono12p T%u: %zu wrong pixels", t, bad);
        free(b);
    }
    free(v);
    img_renderer_destroy(r);
}

static void test_determinism(void)
{
    img_settings s = base(PFNC_MONO12, 256, 200);
    s.offset_x = 1000; s.offset_y = 400;
    img_renderer *a = img_renderer_create(), *b = img_renderer_create();
    size_t fb = img_frame_bytes(&s);
    uint8_t *a9 = render(a, &s, 9), *a10 = render(a, &s, 10);
    uint8_t *b10 = render(b, &s, 10), *b9 = render(b, &s, 9);
    CHECK(memcmp(a9, b9, fb) == 0 && memcmp(a10, b10, fb) == 0,
          "same settings+seed+frame -> same bytes (order and renderer independent)");
    CHECK(memcmp(a9, a10, fb) != 0, "consecutive frames differ");
    /* rows: with K >= 4 variants, at most about 1/4 of rows repeat between two frames */
    size_t same = 0, rb = 2u * s.width;
    for (uint32_t y = 0; y < s.height; y++)
        same += memcmp(a9 + y * rb, a10 + y * rb, rb) == 0;
    CHECK(same < s.height / 2, "identical rows between frames: %zu of %u", same, s.height);
    /* settings round-trip rebuilds the same bank */
    s.exposure_us = 1000;
    free(render(a, &s, 3));
    s.exposure_us = 5000;
    uint8_t *a9b = render(a, &s, 9);
    CHECK(memcmp(a9, a9b, fb) == 0, "bank rebuild after settings change is deterministic");
    s.seed++;
    uint8_t *c9 = render(a, &s, 9);
    CHECK(memcmp(a9, c9, fb) != 0, "different seed -> different noise");
    free(a9); free(a10); free(b10); free(b9); free(a9b); free(c9);
    img_renderer_destroy(a);
    img_renderer_destroy(b);
}

/* the same noise in every format: Mono8 = Mono12 >> 4, Mono12p unpacks to Mono12 */
static void test_format_consistency(void)
{
    img_renderer *r = img_renderer_create();
    img_settings s = base(PFNC_MONO12, 301, 77);   /* odd width */
    s.offset_x = 500; s.offset_y = 550;
    size_t n = (size_t)s.width * s.height;
    uint32_t *v12 = malloc(n * 4), *v8 = malloc(n * 4), *vp = malloc(n * 4);
    for (uint64_t f = 0; f < 3; f++) {
        s.pixel_format = PFNC_MONO12; uint8_t *b = render(r, &s, f); unpack(&s, b, v12); free(b);
        s.pixel_format = PFNC_MONO8; b = render(r, &s, f); unpack(&s, b, v8); free(b);
        s.pixel_format = PFNC_MONO12P; b = render(r, &s, f);
        bool pad_ok = unpack(&s, b, vp); free(b);
        size_t bad8 = 0, badp = 0;
        for (size_t i = 0; i < n; i++) {
            bad8 += v8[i] != v12[i] >> 4;
            badp += vp[i] != v12[i];
        }
        CHECK(bad8 == 0, "frame %llu: Mono8 != Mono12>>4 at %zu px", (unsigned long long)f, bad8);
        CHECK(badp == 0 && pad_ok, "frame %llu: Mono12p != Mono12 at %zu px",
              (unsigned long long)f, badp);
    }
    free(v12); free(v8); free(vp);
    img_renderer_destroy(r);
}

/* noise-free reference mean of the ROI (img_test_pixel with test_image 0) */
static double ref_mean(const img_settings *s)
{
    double m = 0;
    for (uint32_t y = 0; y < s->height; y++)
        for (uint32_t x = 0; x < s->width; x++)
            m += img_test_pixel(s, x, y, 0);
    return m / ((double)s->width * s->height);
}

static void test_exposure_gain_black(void)
{
    img_renderer *r = img_renderer_create();
    img_settings s = base(PFNC_MONO12, 512, 400);
    s.offset_x = 1600; s.offset_y = 300;           /* discs + background */
    s.black_level = 64;
    s.exposure_us = 500;
    double m1 = render_mean(r, &s, 1) - 64;
    s.exposure_us = 1000;
    double m2 = render_mean(r, &s, 1) - 64;
    s.exposure_us = 2000;
    double m4 = render_mean(r, &s, 1) - 64;
    CHECK(fabs(m2 / m1 - 2) < 0.01 && fabs(m4 / m2 - 2) < 0.01,
          "mean linear in exposure: %.2f %.2f %.2f", m1, m2, m4);
    CHECK(fabs(m4 + 64 - ref_mean(&s)) < 1.0, "mean %.2f matches noise-free reference %.2f",
          m4 + 64, ref_mean(&s));
    s.gain_db = 6;
    double g = render_mean(r, &s, 1) - 64;
    CHECK(fabs(g / m4 - pow(10, 6 / 20.0)) < 0.01, "6 dB gain factor %.4f", g / m4);
    s.gain_db = 0; s.black_level = 164;
    double b = render_mean(r, &s, 1);
    CHECK(fabs(b - (m4 + 164)) < 0.5, "black level +100 DN: %.2f vs %.2f", b, m4 + 164);
    s.black_level = 64; s.digital_shift = 1;
    double d = render_mean(r, &s, 1) - 128;        /* shift doubles signal and black level */
    CHECK(fabs(d / m4 - 2) < 0.01, "digital shift 1 doubles: %.4f", d / m4);
    s.digital_shift = 0;
    /* Mono8: BlackLevel in 12-bit DN, so +160 DN raises Mono8 by 10 */
    s.pixel_format = PFNC_MONO8; s.black_level = 0;
    double e0 = render_mean(r, &s, 1);
    s.black_level = 160;
    double e1 = render_mean(r, &s, 1);
    CHECK(fabs(e1 - e0 - 10) < 0.05, "Mono8 black level 160 -> +%.3f", e1 - e0);
    /* default settings give a mid-grey image */
    s = base(PFNC_MONO8, 4096, 3000);
    s.offset_x = 8; s.offset_y = 4;
    double def = render_mean(r, &s, 0);
    CHECK(def > 80 && def < 160, "default Mono8 mean %.1f is mid-grey", def);
    printf("  default scene 4096x3000 Mono8 mean = %.2f\n", def);
    /* gamma 0.5 brightens; mean follows the reference */
    s = base(PFNC_MONO12, 256, 256);
    s.offset_x = 2000; s.offset_y = 2700; s.gamma = 0.5;
    double gm = render_mean(r, &s, 2), gr = ref_mean(&s);
    CHECK(fabs(gm - gr) < 3 && gm > render_mean(r, &(img_settings){ .width = 256, .height = 256,
          .offset_x = 2000, .offset_y = 2700, .binning_h = 1, .binning_v = 1,
          .pixel_format = PFNC_MONO12, .exposure_us = 5000, .gamma = 1, .seed = 0xC0FFEE }, 2),
          "gamma 0.5: mean %.1f, reference %.1f", gm, gr);
    img_renderer_destroy(r);
}

static void test_saturation(void)
{
    const uint64_t fmts[] = { PFNC_MONO8, PFNC_MONO12, PFNC_MONO12P };
    img_renderer *r = img_renderer_create();
    for (int i = 0; i < 3; i++) {
        img_settings s = base(fmts[i], 4112, 64);
        s.offset_y = 600;                          /* through the darkest disc */
        s.exposure_us = 1e6;
        uint8_t *b = render(r, &s, 4);
        uint32_t *v = malloc(sizeof *v * s.width * s.height);
        unpack(&s, b, v);
        uint32_t max = (1u << bits_of(fmts[i])) - 1, lo = max;
        for (size_t k = 0; k < (size_t)s.width * s.height; k++) lo = v[k] < lo ? v[k] : lo;
        CHECK(lo == max, "saturated frame: min %u, want all %u", lo, max);
        free(v); free(b);
    }
    img_renderer_destroy(r);
}

static void test_binning(void)
{
    img_renderer *r = img_renderer_create();
    /* sensor area 800x600 at (1200, 200) */
    img_settings u = base(PFNC_MONO12, 800, 600);
    u.offset_x = 1200; u.offset_y = 200; u.exposure_us = 1000; u.black_level = 32;
    double mu = render_mean(r, &u, 0) - 32;
    img_settings s = u;
    s.width = 400; s.height = 300; s.offset_x = 600; s.offset_y = 100;
    s.binning_h = s.binning_v = 2;
    s.binning_h_mode = s.binning_v_mode = IMG_BIN_AVERAGE;
    double ma = render_mean(r, &s, 0) - 32;
    s.binning_h_mode = s.binning_v_mode = IMG_BIN_SUM;
    double ms = render_mean(r, &s, 0) - 32;
    s.binning_h_mode = IMG_BIN_SUM; s.binning_v_mode = IMG_BIN_AVERAGE;
    double mh = render_mean(r, &s, 0) - 32;
    CHECK(fabs(ma / mu - 1) < 0.005, "Average 2x2 keeps the mean: %.2f vs %.2f", ma, mu);
    CHECK(fabs(ms / ma - 4) < 0.02, "Sum 2x2 = 4 x Average: %.3f", ms / ma);
    CHECK(fabs(mh / ma - 2) < 0.01, "Sum H, Average V = 2 x: %.3f", mh / ma);
    /* binning 3 horizontally only */
    s = u; s.width = 266; s.offset_x = 400; s.binning_h = 3; s.binning_h_mode = IMG_BIN_SUM;
    double m3 = render_mean(r, &s, 0) - 32;
    CHECK(fabs(m3 / mu - 3) < 0.03, "Sum 3x1 = 3 x: %.3f", m3 / mu);
    /* Sum saturates at 4095 where Average does not */
    s = u; s.width = 400; s.height = 300; s.offset_x = 600; s.offset_y = 100;
    s.binning_h = s.binning_v = 2; s.exposure_us = 4000;
    s.binning_h_mode = s.binning_v_mode = IMG_BIN_SUM;
    uint8_t *b = render(r, &s, 0);
    uint32_t *v = malloc(sizeof *v * 400 * 300);
    unpack(&s, b, v);
    size_t at_max = 0, over = 0;
    for (size_t i = 0; i < 400 * 300; i++) { at_max += v[i] == 4095; over += v[i] > 4095; }
    CHECK(over == 0 && at_max > 400 * 300 / 2, "Sum saturates at 4095 (%zu px at max)", at_max);
    free(b); free(v);
    img_renderer_destroy(r);
}

/* every pixel is its noise-free value plus noise of the model's size (catches wrong
 * ROI/reverse/binning geometry: a mirrored chart would be many sigma off at edges) */
static void test_scene_geometry_and_noise(void)
{
    img_renderer *r = img_renderer_create();
    struct { uint32_t w, h, ox, oy, b; bool rx, ry; img_binning_mode m; } g[] = {
        { 640, 480, 100, 300, 1, false, false, IMG_BIN_SUM },
        { 640, 480, 100, 300, 1, true, true, IMG_BIN_SUM },
        { 301, 201, 50, 400, 2, true, false, IMG_BIN_AVERAGE },
        { 211, 151, 30, 380, 3, false, true, IMG_BIN_AVERAGE },
        { 400, 300, 20, 350, 4, true, true, IMG_BIN_AVERAGE },
    };
    for (size_t gi = 0; gi < sizeof g / sizeof *g; gi++) {
        img_settings s = base(PFNC_MONO12, g[gi].w, g[gi].h);
        s.offset_x = g[gi].ox; s.offset_y = g[gi].oy;
        s.binning_h = s.binning_v = g[gi].b;
        s.binning_h_mode = s.binning_v_mode = g[gi].m;
        s.reverse_x = g[gi].rx; s.reverse_y = g[gi].ry;
        s.exposure_us = 2000; s.black_level = 50;
        uint8_t *b = render(r, &s, 11);
        size_t n = (size_t)s.width * s.height, far = 0;
        uint32_t *v = malloc(n * 4);
        unpack(&s, b, v);
        for (uint32_t y = 0; y < s.height; y++)
            for (uint32_t x = 0; x < s.width; x++) {
                double ref = img_test_pixel(&s, x, y, 0);
                /* shot noise sigma in DN is sqrt(0.4095 * (ref - bl)) for unbinned; allow 6x */
                double sig = sqrt(0.4095 * fmax(ref - 50, 1) + 1) + 1;
                far += fabs(v[(size_t)y * s.width + x] - ref) > 6 * sig;
            }
        CHECK(far < n / 10000 + 1, "geometry %zu: %zu of %zu px far from the reference", gi, far, n);
        free(v); free(b);
    }
    /* noise size: flat background patch, exposure 5000: S = 2.2*5000*I*0.5 e-, sigma = 0.4095*sqrt(S+5.76) */
    img_settings s = base(PFNC_MONO12, 400, 200);
    s.offset_x = 1800; s.offset_y = 920; s.black_level = 100;    /* rows 920..1119: background */
    size_t n = (size_t)s.width * s.height;
    uint32_t *v = malloc(n * 4);
    double *ref = malloc(n * sizeof *ref), exp_var = 0;
    for (uint32_t y = 0; y < s.height; y++)
        for (uint32_t x = 0; x < s.width; x++) {
            double e = (img_test_pixel(&s, x, y, 0) - 100) / 0.4095;
            ref[(size_t)y * s.width + x] = img_test_pixel(&s, x, y, 0);
            exp_var += 0.4095 * 0.4095 * (e + 2.4 * 2.4) + 1.0 / 12;   /* + rounding */
        }
    exp_var /= n;
    /* spatial variance within one frame, around the noise-free value */
    uint8_t *b = render(r, &s, 5);
    unpack(&s, b, v);
    double sv = 0;
    for (size_t i = 0; i < n; i++) sv += (v[i] - ref[i]) * (v[i] - ref[i]);
    sv /= n;
    CHECK(fabs(sv / exp_var - 1) < 0.05, "spatial noise variance %.1f, model %.1f", sv, exp_var);
    free(b);
    /* temporal: per-pixel variance over 48 frames, and the 48-frame mean is unbiased */
    enum { NF = 48 };
    double *sum = calloc(n, sizeof *sum), *sum2 = calloc(n, sizeof *sum2);
    for (int f = 0; f < NF; f++) {
        b = render(r, &s, 1000 + f);
        unpack(&s, b, v);
        for (size_t i = 0; i < n; i++) { sum[i] += v[i]; sum2[i] += (double)v[i] * v[i]; }
        free(b);
    }
    double tv = 0, bias = 0;
    for (size_t i = 0; i < n; i++) {
        double m = sum[i] / NF;
        tv += (sum2[i] / NF - m * m) * NF / (NF - 1);
        bias += m - ref[i];
    }
    tv /= n; bias /= n;
    CHECK(fabs(tv / exp_var - 1) < 0.10, "temporal noise variance %.1f, model %.1f", tv, exp_var);
    CHECK(fabs(bias) < 0.3, "temporal mean bias %.3f DN", bias);
    printf("  noise: model var %.1f DN^2, spatial %.1f, temporal %.1f\n", exp_var, sv, tv);
    free(sum); free(sum2); free(v); free(ref);
    img_renderer_destroy(r);
}

/* switching between scene and test images and formats keeps producing correct frames */
static void test_switching(void)
{
    img_renderer *r = img_renderer_create();
    img_settings s = base(PFNC_MONO8, 128, 64);
    uint8_t *a = render(r, &s, 3);
    s.test_image = 4; s.pixel_format = PFNC_MONO12P;
    uint8_t *t = render(r, &s, 3);
    uint32_t *v = malloc(128 * 64 * 4);
    unpack(&s, t, v);
    bool ok = true;
    for (uint32_t y = 0; y < 64; y++)
        for (uint32_t x = 0; x < 128; x++)
            ok &= v[y * 128 + x] == img_test_pixel(&s, x, y, 3);
    CHECK(ok, "test image after scene");
    s.test_image = 0; s.pixel_format = PFNC_MONO8;
    uint8_t *a2 = render(r, &s, 3);
    CHECK(memcmp(a, a2, 128 * 64) == 0, "scene after test image is the same");
    /* degenerate sizes do not crash */
    s.width = 0;
    img_render(r, &s, 0, a);
    s.width = 1; s.height = 1; s.pixel_format = PFNC_MONO12P;
    free(render(r, &s, 0));
    n_pass++;
    free(a); free(t); free(a2); free(v);
    img_renderer_destroy(r);
}

int main(void)
{
    test_frame_bytes();
    test_reference_formulas();
    test_packing_bytes();
    test_test_images_exact();
    test_test_images_fullres();
    test_determinism();
    test_format_consistency();
    test_exposure_gain_black();
    test_saturation();
    test_binning();
    test_scene_geometry_and_noise();
    test_switching();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
