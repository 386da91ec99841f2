/* image_scene.c - the default (TestImageSelector Off) image: a synthetic test chart seen by the
 * IMX304, with photon shot noise, read noise, analog gain, black level, gamma, digital shift
 * and binning; and the noise bank that makes frames at close to memcpy speed.
 *
 * Signal chain (per delivered pixel, binned sensor coordinate X, Y; see TEST_IMAGES.md):
 *   mu_i  = min(FLUX * t_exp * I(Xs, Ys) * R(Xs, Ys), FULL_WELL)   per sensor pixel i of the bin
 *   S     = sum mu_i,  V = sum (mu_i < FULL_WELL ? mu_i : 0) + n * READ_NOISE^2   (electrons)
 *   e     = S + sqrt(V) * z,  z ~ N(0,1)               (binned shot + read noise, Gaussian)
 *   v     = BlackLevel + 10^(Gain/20) * (4095 / ADC_FS_E) * e / d     d = 1, or bh / bv for Average
 *   v12   = clamp(round(v), 0, 4095)                    (Sum saturates here)
 *   out12 = min(4095, round(4095 * (v12/4095)^Gamma) * 2^DigitalShift)
 *   Mono12/Mono12p: out12,  Mono10/10p: out12 >> 2,  Mono8: out12 >> 4
 *
 * Noise bank: K fully rendered noisy frames in the output format (already binned, reversed,
 * packed). Frame f takes each row unit u from bank variant k = H(seed, f, u) mod K.
 * The K draws of every pixel are centred and rescaled (z'_k = (z_k - mean z) * sqrt(K/(K-1)))
 * so each variant has unit variance, the K-frame average is exactly noise-free (no spurious
 * fixed pattern) and the expected temporal variance over frames is the nominal one. */
#include "image_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- model constants: all [A] (assumed; IMX304-like, see TEST_IMAGES.md) ---- */
#define SC_FLUX_E_PER_US   2.2      /* e-/us for reflectance 1 under illumination 1 */
#define SC_FULL_WELL_E     10500.0  /* pixel well capacity (e-) */
#define SC_ADC_FS_E        10000.0  /* electrons reaching 4095 DN at 0 dB: 0.4095 DN/e- */
#define SC_READ_NOISE_E    2.4      /* temporal dark noise (e- rms) */
#define SC_SENSOR_W        4112
#define SC_SENSOR_H        3008
/* bank sizing: K variants, K * width * height <= budget (pixel-variants), independent of the
 * pixel format so that Mono8 == Mono12 >> 4 exactly for the same seed and frame */
#define SC_BANK_PIXEL_BUDGET (50u * 1000u * 1000u)
#define SC_BANK_K_MIN      4
#define SC_BANK_K_MAX      16

/* ---- the chart (sensor pixel coordinates, 0..4111 x 0..3007) ---- */
#define BG_REFL     0.5
/* row of 6 discs, radius 250, centre y 650, centres x = 436 + 648 k */
#define DISC_CY     650
#define DISC_R      250
#define DISC_X0     436
#define DISC_PITCH  648
static const double disc_refl[6] = { 0.05, 0.20, 0.35, 0.65, 0.80, 0.95 };
/* 8 grating groups, 480 px wide, at x = 64 + 504 g; periods in sensor pixels; bars 0.9/0.1 */
#define GR_X0       64
#define GR_PITCH    504
#define GR_W        480
#define GR_HI       0.9
#define GR_LO       0.1
static const int gr_period[8] = { 2, 4, 6, 8, 12, 16, 24, 32 };
#define GRV_Y0      1150        /* vertical bars (resolve horizontally) y in [1150, 1850) */
#define GRV_Y1      1850
#define GRH_Y0      2050        /* horizontal bars y in [2050, 2650) */
#define GRH_Y1      2650
/* 16-step grey wedge, steps 257 px wide, reflectance (k + 0.5) / 16, y in [2750, 2950) */
#define WEDGE_Y0    2750
#define WEDGE_Y1    2950
#define WEDGE_STEP  257

static double grating(int64_t X, int64_t phase_coord)
{
    int64_t g = (X - GR_X0) / GR_PITCH;
    if (X < GR_X0 || g >= 8 || (X - GR_X0) - g * GR_PITCH >= GR_W)
        return BG_REFL;
    int p = gr_period[g];
    return (phase_coord % p) < p / 2 ? GR_HI : GR_LO;
}

static double reflectance(int64_t X, int64_t Y)
{
    if (Y >= DISC_CY - DISC_R && Y <= DISC_CY + DISC_R) {
        int64_t k = (X - DISC_X0 + DISC_PITCH / 2) / DISC_PITCH;
        if (X - DISC_X0 + DISC_PITCH / 2 >= 0 && k < 6) {
            int64_t dx = X - (DISC_X0 + k * DISC_PITCH), dy = Y - DISC_CY;
            if (dx * dx + dy * dy <= (int64_t)DISC_R * DISC_R)
                return disc_refl[k];
        }
        return BG_REFL;
    }
    if (Y >= GRV_Y0 && Y < GRV_Y1)
        return grating(X, X - GR_X0);
    if (Y >= GRH_Y0 && Y < GRH_Y1)
        return grating(X, Y - GRH_Y0);
    if (Y >= WEDGE_Y0 && Y < WEDGE_Y1 && X / WEDGE_STEP < 16)
        return ((double)(X / WEDGE_STEP) + 0.5) / 16.0;
    return BG_REFL;
}

/* illumination: linear left-to-right gradient 0.6..1.0 times a mild vertical fall-off */
static double illumination(int64_t X, int64_t Y)
{
    double u = (double)X / (SC_SENSOR_W - 1);
    double v = ((double)Y - (SC_SENSOR_H - 1) / 2.0) / ((SC_SENSOR_H - 1) / 2.0);
    return (0.6 + 0.4 * u) * (1.0 - 0.1 * v * v);
}

/* ---- settings-derived parameters ---- */
typedef struct {
    uint32_t bh, bv;
    double ft;                  /* FLUX * exposure: e- per unit I*R */
    double gc;                  /* DN per electron incl. gain and average divisor */
    double bl;                  /* black level (12-bit DN) */
    unsigned out_shift;         /* 12 - format bits */
} sc_par;

static double finite_or(double v, double dflt) { return isfinite(v) ? v : dflt; }

static void params(const img_settings *s, const img_fmt *f, sc_par *p)
{
    p->bh = s->binning_h ? s->binning_h : 1;
    p->bv = s->binning_v ? s->binning_v : 1;
    double t = finite_or(s->exposure_us, 0);
    p->ft = SC_FLUX_E_PER_US * (t > 0 ? t : 0);
    double d = (s->binning_h_mode == IMG_BIN_AVERAGE ? p->bh : 1) *
               (double)(s->binning_v_mode == IMG_BIN_AVERAGE ? p->bv : 1);
    p->gc = pow(10.0, finite_or(s->gain_db, 0) / 20.0) * (4095.0 / SC_ADC_FS_E) / d;
    p->bl = finite_or(s->black_level, 0);
    p->out_shift = 12 - f->bits;
}

/* mean (S) and variance (V) in electrons of the binned pixel at binned coordinate (X, Y) */
static void binned_signal(const sc_par *p, uint64_t X, uint64_t Y, double *S, double *V)
{
    double s = 0, v = 0;
    for (uint32_t j = 0; j < p->bv; j++) {
        int64_t ys = (int64_t)(Y * p->bv + j);
        for (uint32_t i = 0; i < p->bh; i++) {
            int64_t xs = (int64_t)(X * p->bh + i);
            double mu = p->ft * illumination(xs, ys) * reflectance(xs, ys);
            if (mu >= SC_FULL_WELL_E)
                mu = SC_FULL_WELL_E;    /* full well: pinned, no shot noise */
            else
                v += mu;
            s += mu;
        }
    }
    *S = s;
    *V = v + (double)(p->bh * p->bv) * SC_READ_NOISE_E * SC_READ_NOISE_E;
}

/* 12-bit ADC value -> output value (gamma, digital shift, format bit depth) */
static uint16_t out_value(const img_settings *s, unsigned out_shift, uint32_t v12)
{
    double g = finite_or(s->gamma, 1);
    double y = v12;
    if (g != 1.0)
        y = g > 0 ? floor(4095.0 * pow(v12 / 4095.0, g) + 0.5) : 4095.0;  /* x^0 = 1 */
    uint32_t sh = s->digital_shift > 12 ? 12 : s->digital_shift;
    y *= (double)(1u << sh);
    if (y > 4095)
        y = 4095;
    return (uint16_t)((uint32_t)y >> out_shift);
}

static uint32_t adc(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 4095)
        return 4095;
    return (uint32_t)(v + 0.5);
}

uint32_t img_scene_pixel(const img_settings *s, uint32_t x, uint32_t y)
{
    img_fmt f;
    sc_par p;
    if (!img_fmt_get(s->pixel_format, &f))
        return 0;
    params(s, &f, &p);
    double S, V;
    binned_signal(&p, img_bin_x(s, x), img_bin_y(s, y), &S, &V);
    return out_value(s, p.out_shift, adc(p.bl + p.gc * S));
}

/* ---- noise bank ---- */

void img_scene_init_tables(img_renderer *r)
{
    /* z_i = Phi^-1((i + 0.5) / N) by bisection on erfc, then rescaled to unit variance */
    double sum2 = 0;
    for (uint32_t i = 0; i < IMG_NORM_TAB_SIZE; i++) {
        double q = (i + 0.5) / IMG_NORM_TAB_SIZE, lo = -10, hi = 10;
        for (int it = 0; it < 80; it++) {
            double mid = 0.5 * (lo + hi);
            if (0.5 * erfc(-mid / sqrt(2.0)) < q) lo = mid; else hi = mid;
        }
        r->norm_tab[i] = (float)(0.5 * (lo + hi));
        sum2 += (double)r->norm_tab[i] * r->norm_tab[i];
    }
    float k = (float)sqrt(IMG_NORM_TAB_SIZE / sum2);
    for (uint32_t i = 0; i < IMG_NORM_TAB_SIZE; i++)
        r->norm_tab[i] *= k;
}

void img_scene_free(img_renderer *r)
{
    free(r->bank);
    r->bank = NULL;
    r->bank_valid = false;
    r->bank_k = 0;
}

/* settings with everything that does not affect the scene bytes normalised away */
static img_settings scene_key(const img_settings *s)
{
    img_settings k = *s;
    k.test_image = 0;
    k.test_image_hold = false;
    k.exposure_us = finite_or(k.exposure_us, 0);
    k.gain_db = finite_or(k.gain_db, 0);
    k.black_level = finite_or(k.black_level, 0);
    k.gamma = finite_or(k.gamma, 1);
    return k;
}

static bool same_key(const img_settings *a, const img_settings *b)
{
    return a->width == b->width && a->height == b->height && a->offset_x == b->offset_x &&
           a->offset_y == b->offset_y && a->binning_h == b->binning_h &&
           a->binning_v == b->binning_v && a->binning_h_mode == b->binning_h_mode &&
           a->binning_v_mode == b->binning_v_mode && a->reverse_x == b->reverse_x &&
           a->reverse_y == b->reverse_y && a->pixel_format == b->pixel_format &&
           a->exposure_us == b->exposure_us && a->gain_db == b->gain_db &&
           a->black_level == b->black_level && a->gamma == b->gamma &&
           a->digital_shift == b->digital_shift && a->seed == b->seed;
}

static inline uint64_t xorshift64(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *st = x;
}

/* Render all K variants of the bank. Work per pixel: one scene evaluation per sensor pixel,
 * one sqrt, K table-normal draws; the 12-bit -> output map is a 4096-entry LUT. */
static bool build_bank(img_renderer *r, const img_settings *s, const img_fmt *f)
{
    const size_t w = s->width, fb = img_frame_bytes(s);
    uint64_t px = (uint64_t)w * s->height;
    uint32_t K = (uint32_t)(SC_BANK_PIXEL_BUDGET / (px ? px : 1));
    K = K < SC_BANK_K_MIN ? SC_BANK_K_MIN : K > SC_BANK_K_MAX ? SC_BANK_K_MAX : K;
    img_scene_free(r);
    while (K >= 1 && !(r->bank = malloc((size_t)K * fb)))
        K /= 2;                         /* low memory: fewer variants, down to 1 */
    if (!r->bank)
        return false;

    sc_par p;
    params(s, f, &p);
    const uint32_t ur = img_unit_rows(f, s->width);
    const size_t unit_px = (size_t)ur * w;
    uint16_t *lut = malloc(4096 * sizeof *lut);
    float *m = malloc(w * sizeof *m), *sd = malloc(w * sizeof *sd);
    uint16_t *ubuf = malloc((size_t)K * unit_px * sizeof *ubuf);
    if (!lut || !m || !sd || !ubuf) {
        free(lut); free(m); free(sd); free(ubuf);
        img_scene_free(r);
        return false;
    }
    for (uint32_t v = 0; v < 4096; v++)
        lut[v] = out_value(s, p.out_shift, v);
    /* centring makes the K draws of a pixel average to exactly 0; the factor restores var 1 */
    const float cK = K > 1 ? (float)sqrt((double)K / (K - 1)) : 1.0f;
    const float invK = 1.0f / (float)K;
    const float *tab = r->norm_tab;

    size_t off = 0;
    for (uint32_t y0 = 0; y0 < s->height; y0 += ur) {
        uint32_t n = s->height - y0 < ur ? s->height - y0 : ur;
        for (uint32_t j = 0; j < n; j++) {
            const uint32_t y = y0 + j;
            const uint64_t Y = img_bin_y(s, y);
            for (uint32_t x = 0; x < w; x++) {
                double S, V;
                binned_signal(&p, img_bin_x(s, x), Y, &S, &V);
                m[x] = (float)(p.bl + p.gc * S);
                sd[x] = (float)(p.gc * sqrt(V));
            }
            /* per delivered row: its own generator state, so rows are independent of order */
            uint64_t st = img_mix64(s->seed ^ img_mix64(0xA5A5000000000000ull + y)) | 1;
            float z[SC_BANK_K_MAX];
            for (uint32_t x = 0; x < w; x++) {
                float zs = 0;
                for (uint32_t k = 0; k < K; k += 5) {      /* 5 x 12-bit indices per word */
                    uint64_t rnd = xorshift64(&st);
                    for (uint32_t q = 0; q < 5 && k + q < K; q++, rnd >>= 12)
                        zs += z[k + q] = tab[rnd & (IMG_NORM_TAB_SIZE - 1)];
                }
                const float zm = K > 1 ? zs * invK : 0.0f, sdx = sd[x] * cK;
                for (uint32_t k = 0; k < K; k++) {
                    float v = m[x] + sdx * (z[k] - zm);
                    uint32_t a = v > 0 ? (v >= 4095.0f ? 4095u : (uint32_t)(v + 0.5f)) : 0u;
                    ubuf[(size_t)k * unit_px + (size_t)j * w + x] = lut[a];
                }
            }
        }
        /* unit -> each bank variant, in the output format */
        size_t len = 0;
        for (uint32_t k = 0; k < K; k++) {
            uint8_t *d = r->bank + (size_t)k * fb + off;
            const uint16_t *u = ubuf + (size_t)k * unit_px;
            size_t cnt = (size_t)n * w;
            if (f->packed)
                len = img_pack(u, cnt, f->bpp, d);
            else if (f->bpp == 8) {
                for (size_t i = 0; i < cnt; i++)
                    d[i] = (uint8_t)u[i];
                len = cnt;
            } else {
                memcpy(d, u, cnt * 2);
                len = cnt * 2;
            }
        }
        off += len;
    }
    free(lut); free(m); free(sd); free(ubuf);
    r->bank_k = K;
    r->bank_frame_bytes = fb;
    r->bank_set = scene_key(s);
    r->bank_valid = true;
    return true;
}

bool img_scene_is_prepared(const img_renderer *r, const img_settings *s)
{
    img_settings key = scene_key(s);
    return r->bank_valid && same_key(&r->bank_set, &key);
}

bool img_scene_prepare(img_renderer *r, const img_settings *s)
{
    img_fmt f;
    if (!img_fmt_get(s->pixel_format, &f))
        return false;
    img_settings key = scene_key(s);
    if (r->bank_valid && same_key(&r->bank_set, &key))
        return false;
    (void)build_bank(r, &key, &f);
    return true;
}

void img_scene_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst)
{
    img_fmt f;
    if (!img_fmt_get(s->pixel_format, &f))
        return;
    img_settings key = scene_key(s);
    if (!r->bank_valid || !same_key(&r->bank_set, &key)) {
        if (!build_bank(r, &key, &f)) {
            memset(dst, 0, img_frame_bytes(s));      /* out of memory: black frame */
            return;
        }
    }
    /* Row groups of G = 4 / gcd(width, 4) rows (1 row when width % 4 == 0) come from one
     * variant k = H(seed, frame, group). G rows are byte-aligned in every format (Mono10p needs
     * the most), so the same group choice - hence the same noise - is used in all formats. */
    const uint32_t ur = (s->width % 4 == 0) ? 1 : (s->width % 2 == 0) ? 2 : 4;
    const size_t fb = r->bank_frame_bytes, unit_bytes = (size_t)ur * s->width * f.bpp / 8;
    const uint64_t K = r->bank_k;
    const uint64_t fh = img_mix64(s->seed ^ img_mix64(frame_id ^ 0x5CE1E000000000ull));
    size_t off = 0;
    for (uint64_t u = 0; off < fb; u++, off += unit_bytes) {
        uint64_t h = img_mix64(fh + u * 0x9E3779B97F4A7C15ull);
        uint64_t k = ((h >> 32) * K) >> 32;
        size_t len = fb - off < unit_bytes ? fb - off : unit_bytes;
        memcpy(dst + off, r->bank + k * fb + off, len);
    }
}
