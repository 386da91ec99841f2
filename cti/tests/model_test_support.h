/* model_test_support.h - what the C unit tests of the camera model share: the CHECK counter that
 * feeds the closing "N passed, M failed" line, little-endian register access through cam_read /
 * cam_write (failures leave their reason in `why`), and a small, fast camera. */
#ifndef ACESIM_MODEL_TEST_SUPPORT_H
#define ACESIM_MODEL_TEST_SUPPORT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../generated/camera_regs.h"
#include "../src/model/camera.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                                   \
    do {                                                                                                   \
        if (cond) {                                                                                        \
            passed++;                                                                                      \
        } else {                                                                                           \
            failed++;                                                                                      \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                         \
            printf(__VA_ARGS__);                                                                           \
            printf("\n");                                                                                  \
        }                                                                                                  \
    } while (0)

static char why[256];

static inline cam_status wr(cam_camera *c, uint64_t a, int64_t v, size_t len)
{
    uint8_t b[8];
    for (size_t i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    return cam_write(c, a, b, len, why, sizeof why);
}
static inline cam_status w4(cam_camera *c, uint64_t a, int64_t v) { return wr(c, a, v, 4); }
static inline cam_status wf(cam_camera *c, uint64_t a, double v)
{
    int64_t u;
    memcpy(&u, &v, sizeof u);
    return wr(c, a, u, 8);
}
static inline int64_t rn(cam_camera *c, uint64_t a, size_t len)
{
    uint8_t b[8] = {0};
    if (cam_read(c, a, b, len, why, sizeof why) != CAM_OK)
        printf("  read 0x%" PRIX64 " failed: %s\n", a, why);
    uint64_t u = 0;
    for (size_t i = 0; i < len; i++)
        u |= (uint64_t)b[i] << (8 * i);
    return (int64_t)u;
}
static inline int64_t r4(cam_camera *c, uint64_t a) { return rn(c, a, 4); }
static inline double rf(cam_camera *c, uint64_t a)
{
    int64_t u = rn(c, a, 8);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static inline uint64_t le(const uint8_t *p, int n)
{
    uint64_t u = 0;
    for (int i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return u;
}
static inline bool has_text(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static inline void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
}

/* a small, fast camera: 256x256 Mono8 */
static inline cam_camera *small_cam(const char *serial)
{
    cam_camera *c = cam_create(serial);
    w4(c, CAM_ADDR_OffsetX, 0);
    w4(c, CAM_ADDR_OffsetY, 0);
    w4(c, CAM_ADDR_Width, 256);
    w4(c, CAM_ADDR_Height, 256);
    return c;
}

/* FrameStart trigger (element 0) settings */
#define FS 0
#define FBS 1
static inline void trigger(cam_camera *c, int sel, int64_t mode, int64_t source)
{
    CHECK(w4(c, CAM_ADDR_TriggerMode + 4 * sel, mode) == CAM_OK, "TriggerMode: %s", why);
    CHECK(w4(c, CAM_ADDR_TriggerSource + 4 * sel, source) == CAM_OK, "TriggerSource: %s", why);
}

#endif
