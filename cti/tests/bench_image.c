/* bench_image.c - speed of img_render on one core: full-resolution 4112x3008 frames in Mono8,
 * Mono12, Mono12p for the default scene (steady state, bank built) and a test image, plus the
 * scene bank rebuild time.  Build:
 *   cc -std=c11 -O2 -Isrc/model tests/bench_image.c src/model/image*.c -lm -o bench_image
 * Usage: bench_image [seconds-per-case, default 1.0] */
#define _POSIX_C_SOURCE 199309L
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static img_settings full(uint64_t pf, uint32_t test_image)
{
    img_settings s = { 0 };
    s.width = 4112; s.height = 3008;
    s.binning_h = s.binning_v = 1;
    s.pixel_format = pf;
    s.test_image = test_image;
    s.exposure_us = 5000; s.gamma = 1.0; s.seed = 12345;
    return s;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    const struct { const char *name; uint64_t pf; } fmts[] = {
        { "Mono8", PFNC_MONO8 }, { "Mono12", PFNC_MONO12 }, { "Mono12p", PFNC_MONO12P } };
    const uint32_t imgs[] = { 0, 1, 4 };
    img_renderer *r = img_renderer_create();
    uint8_t *buf = malloc((size_t)4112 * 3008 * 2);
    uint8_t *ref = malloc((size_t)4112 * 3008 * 2);
    if (!r || !buf || !ref)
        return 1;
    /* memcpy of the same byte count as the reference for "close to memcpy speed" */
    printf("%-8s %-11s %10s %9s %9s %12s\n", "format", "image", "MB/frame", "ms/frame", "fps",
           "rebuild ms");
    for (size_t fi = 0; fi < 3; fi++) {
        for (size_t ii = 0; ii < 3; ii++) {
            img_settings s = full(fmts[fi].pf, imgs[ii]);
            size_t fb = img_frame_bytes(&s);
            double rebuild = -1;
            if (imgs[ii] == 0) {
                /* rebuild: change the exposure so the bank must be re-rendered; best of 3 */
                for (int k = 0; k < 3; k++) {
                    s.exposure_us = 5000 + k;
                    double t0 = now();
                    img_render(r, &s, 0, buf);
                    double t = now() - t0;
                    if (rebuild < 0 || t < rebuild)
                        rebuild = t;
                }
            } else {
                img_render(r, &s, 0, buf);
            }
            uint64_t n = 0;
            double t0 = now(), t;
            do {
                img_render(r, &s, ++n, buf);
                t = now() - t0;
            } while (t < secs);
            char name[16];
            snprintf(name, sizeof name, imgs[ii] ? "Testimage%u" : "scene", imgs[ii]);
            printf("%-8s %-11s %10.2f %9.3f %9.1f", fmts[fi].name, name, fb / 1e6, 1e3 * t / n,
                   n / t);
            if (rebuild >= 0)
                printf(" %12.1f", rebuild * 1e3);
            printf("\n");
        }
    }
    /* memcpy reference, same sizes */
    for (size_t fi = 0; fi < 3; fi++) {
        img_settings s = full(fmts[fi].pf, 0);
        size_t fb = img_frame_bytes(&s);
        uint64_t n = 0;
        double t0 = now(), t;
        do {
            ref[n % 7] ^= 1;
            memcpy(buf, ref, fb);
            n++;
            t = now() - t0;
        } while (t < secs);
        printf("%-8s %-11s %10.2f %9.3f %9.1f\n", fmts[fi].name, "memcpy", fb / 1e6, 1e3 * t / n,
               n / t);
    }
    img_renderer_destroy(r);
    free(buf);
    free(ref);
    return 0;
}
