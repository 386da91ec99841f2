/* test_camera_model.c - unit test of the camera model (src/model/camera.c, roi.c, acquisition.c,
 * regmap.c, timing.c).
 * Plain C, no framework: every CHECK counts; the summary line is "N passed, M failed" and the
 * exit code is non-zero when anything failed. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_condattr_setclock */
#endif

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_test_support.h"
#include "../src/model/image.h"
#include "../src/model/timing.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t r8(cam_camera *c, uint64_t a) { return rn(c, a, 8); }

static bool near(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

static void set_roi(cam_camera *c, int64_t w, int64_t h, int64_t x, int64_t y)
{
    w4(c, CAM_ADDR_OffsetX, 0);
    w4(c, CAM_ADDR_OffsetY, 0);
    CHECK(w4(c, CAM_ADDR_Width, w) == CAM_OK, "Width %" PRId64 ": %s", w, why);
    CHECK(w4(c, CAM_ADDR_Height, h) == CAM_OK, "Height %" PRId64 ": %s", h, why);
    CHECK(w4(c, CAM_ADDR_OffsetX, x) == CAM_OK, "OffsetX: %s", why);
    CHECK(w4(c, CAM_ADDR_OffsetY, y) == CAM_OK, "OffsetY: %s", why);
}

static void test_identity(void)
{
    cam_camera *c = cam_create("40713375");
    CHECK(c != NULL, "create");
    char s[65] = {0};
    CHECK(cam_read(c, CAM_ADDR_DeviceVendorName, s, 64, why, sizeof why) == CAM_OK, "%s", why);
    CHECK(strcmp(s, "Basler") == 0, "vendor '%s'", s);
    CHECK(cam_read(c, CAM_ADDR_DeviceModelName, s, 64, why, sizeof why) == CAM_OK, "%s", why);
    CHECK(strcmp(s, "acA4112-20um") == 0, "model '%s'", s);
    CHECK(cam_read(c, CAM_ADDR_DeviceSerialNumber, s, 64, why, sizeof why) == CAM_OK, "%s", why);
    CHECK(strcmp(s, "40713375") == 0, "serial '%s'", s);
    CHECK(strcmp(cam_serial_number(c), "40713375") == 0, "serial api");
    CHECK(strcmp(cam_vendor_name(c), "Basler") == 0 && strcmp(cam_model_name(c), "acA4112-20um") == 0, "api");
    CHECK(has_text(cam_firmware_version(c), ";U;acA4112_20u;V"), "fw '%s'", cam_firmware_version(c));
    /* prefix read of a string is allowed */
    memset(s, 0, sizeof s);
    CHECK(cam_read(c, CAM_ADDR_DeviceVendorName, s, 3, why, sizeof why) == CAM_OK && strcmp(s, "Bas") == 0, "prefix");
    CHECK(cam_read(c, CAM_ADDR_DeviceVendorName, s, 65, why, sizeof why) == CAM_ERR_ADDRESS, "too long");
    CHECK(r4(c, CAM_ADDR_DeviceSFNCVersionMajor) == 2, "sfnc");
    CHECK(r8(c, CAM_ADDR_PayloadSize) == 4096 * 3000, "payload %" PRId64, r8(c, CAM_ADDR_PayloadSize));

    /* DeviceUserID: RW, at most 16 characters, NUL within the register */
    CHECK(cam_write(c, CAM_ADDR_DeviceUserID, "left", 5, why, sizeof why) == CAM_OK, "%s", why);
    char uid[32];
    cam_user_id(c, uid, sizeof uid);
    CHECK(strcmp(uid, "left") == 0, "uid '%s'", uid);
    CHECK(cam_write(c, CAM_ADDR_DeviceUserID, "abcdefghijklmnopq", 18, why, sizeof why) == CAM_ERR_VALUE &&
              has_text(why, "at most 16"),
          "17 chars: %s", why);
    char full[64];
    memset(full, 'x', sizeof full);
    CHECK(cam_write(c, CAM_ADDR_DeviceUserID, full, 64, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "NUL"),
          "no NUL: %s", why);
    CHECK(cam_write(c, CAM_ADDR_DeviceUserID, "0123456789abcdef", 17, why, sizeof why) == CAM_OK, "16: %s", why);
    CHECK(cam_write(c, CAM_ADDR_DeviceVendorName, "x", 2, why, sizeof why) == CAM_ERR_ACCESS && has_text(why, "read-only"),
          "%s", why);

    /* XML area */
    size_t n;
    const uint8_t *x = cam_xml(&n);
    CHECK(n > 1000 && memcmp(x, "<?xml", 5) == 0, "xml");
    char head[6] = {0};
    CHECK(cam_read(c, cam_xml_address(), head, 5, why, sizeof why) == CAM_OK && strcmp(head, "<?xml") == 0, "xml read");
    uint8_t tail[4];
    CHECK(cam_read(c, cam_xml_address() + n - 2, tail, 4, why, sizeof why) == CAM_ERR_ADDRESS, "past end");
    CHECK(cam_read(c, cam_xml_address() + n - 2, tail, 2, why, sizeof why) == CAM_OK, "last bytes");
    CHECK(strstr(cam_xml_filename(), ".xml") != NULL, "filename");

    /* timestamp latch */
    uint64_t t0 = cam_now_ns(c);
    CHECK(w4(c, CAM_ADDR_TimestampLatch, 1) == CAM_OK, "%s", why);
    uint64_t t1 = cam_now_ns(c);
    uint64_t lv = (uint64_t)r8(c, CAM_ADDR_TimestampLatchValue);
    CHECK(lv >= t0 && lv <= t1, "latch %" PRIu64 " not in [%" PRIu64 ", %" PRIu64 "]", lv, t0, t1);
    CHECK(w4(c, CAM_ADDR_TimestampLatch, 0) == CAM_ERR_VALUE, "command value 0");

    /* selector-indexed register: UserDefinedValue[k] at base + 4k, signed */
    CHECK(w4(c, CAM_ADDR_UserDefinedValue + 8, -5) == CAM_OK, "%s", why);
    CHECK((int32_t)r4(c, CAM_ADDR_UserDefinedValue + 8) == -5, "udv2");
    CHECK(r4(c, CAM_ADDR_UserDefinedValue) == 0, "udv0 untouched");
    CHECK(w4(c, CAM_ADDR_UserDefinedValue + 20, 1) == CAM_ERR_ADDRESS, "past last element");

    /* temperature */
    double t = rf(c, CAM_ADDR_DeviceTemperature);
    CHECK(t > 20 && t < 70, "temp %g", t);
    CHECK(r4(c, CAM_ADDR_TemperatureState) == CAM_ENUM_TemperatureState_Ok, "tstate");
    cam_destroy(c);
}

static void test_validation(void)
{
    cam_camera *c = cam_create("12345678");
    CHECK(r4(c, CAM_ADDR_Width) == 4096 && r4(c, CAM_ADDR_Height) == 3000, "defaults");
    CHECK(r4(c, CAM_ADDR_OffsetX) == 8 && r4(c, CAM_ADDR_OffsetY) == 4, "offsets");
    CHECK(r4(c, CAM_ADDR_WidthMax) == 4112 && r4(c, CAM_ADDR_HeightMax) == 3008, "max");

    /* increments, min, dynamic max */
    CHECK(w4(c, CAM_ADDR_Width, 4097) == CAM_ERR_VALUE, "4097");
    CHECK(has_text(why, "off increment 4") && has_text(why, "nearest valid 4096 or 4100"), "why: %s", why);
    CHECK(w4(c, CAM_ADDR_Width, 4108) == CAM_ERR_VALUE && has_text(why, "above max 4104") && has_text(why, "OffsetX 8"),
          "why: %s", why);
    CHECK(w4(c, CAM_ADDR_Width, 4104) == CAM_OK, "4104: %s", why);
    CHECK(w4(c, CAM_ADDR_Width, CAM_A_WIDTH_MIN) == CAM_OK, "min: %s", why);
    CHECK(w4(c, CAM_ADDR_Width, CAM_A_WIDTH_MIN - CAM_A_WIDTH_INC) == CAM_ERR_VALUE && has_text(why, "below min"), "%s", why);
    CHECK(w4(c, CAM_ADDR_Height, 3001) == CAM_ERR_VALUE && has_text(why, "increment 2"), "%s", why);
    CHECK(w4(c, CAM_ADDR_OffsetX, 0) == CAM_OK && w4(c, CAM_ADDR_Width, 4112) == CAM_OK, "full width: %s", why);
    CHECK(w4(c, CAM_ADDR_OffsetX, 4) == CAM_ERR_VALUE && has_text(why, "above max 0"), "offset: %s", why);
    CHECK(w4(c, CAM_ADDR_OffsetY, 3) == CAM_ERR_VALUE, "offsetY inc");

    /* access and addresses */
    CHECK(wr(c, CAM_ADDR_PayloadSize, 1, 8) == CAM_ERR_ACCESS && has_text(why, "read-only"), "%s", why);
    uint8_t b[8];
    CHECK(cam_read(c, CAM_ADDR_AcquisitionStart, b, 4, why, sizeof why) == CAM_ERR_ACCESS && has_text(why, "write-only"),
          "%s", why);
    CHECK(cam_read(c, CAM_ADDR_Width + 2, b, 2, why, sizeof why) == CAM_ERR_ADDRESS && has_text(why, "inside"), "%s", why);
    CHECK(cam_read(c, CAM_ADDR_Width, b, 8, why, sizeof why) == CAM_ERR_ADDRESS && has_text(why, "exactly 4"), "%s", why);
    CHECK(cam_read(c, 0x999990, b, 4, why, sizeof why) == CAM_ERR_ADDRESS && has_text(why, "no register"), "%s", why);
    CHECK(cam_read(c, CAM_ADDR_Width, NULL, 4, why, sizeof why) == CAM_ERR_PARAMETER, "null");
    CHECK(cam_read(c, CAM_ADDR_Width, b, 0, why, sizeof why) == CAM_ERR_PARAMETER, "zero");
    CHECK(cam_write(c, cam_xml_address(), b, 4, why, sizeof why) == CAM_ERR_ACCESS, "xml ro");

    /* enumerations and booleans */
    CHECK(w4(c, CAM_ADDR_PixelFormat, PFNC_MONO10) == CAM_ERR_VALUE && has_text(why, "not an entry") && has_text(why, "Mono12p"),
          "Mono10: %s", why);
    CHECK(w4(c, CAM_ADDR_PixelFormat, PFNC_MONO12P) == CAM_OK, "%s", why);
    CHECK(r4(c, CAM_ADDR_PixelSize) == 12 && r4(c, CAM_ADDR_PixelDynamicRangeMax) == 4095, "12p");
    CHECK(r8(c, CAM_ADDR_PayloadSize) == (4112LL * 3000 * 12 + 7) / 8, "payload 12p");
    CHECK(w4(c, CAM_ADDR_PixelFormat, PFNC_MONO12) == CAM_OK && r4(c, CAM_ADDR_PixelSize) == 16, "12");
    CHECK(w4(c, CAM_ADDR_PixelFormat, PFNC_MONO8) == CAM_OK && r4(c, CAM_ADDR_PixelDynamicRangeMax) == 255, "8");
    CHECK(w4(c, CAM_ADDR_ReverseX, 2) == CAM_ERR_VALUE && has_text(why, "boolean"), "%s", why);
    CHECK(w4(c, CAM_ADDR_ReverseX, 1) == CAM_OK && r4(c, CAM_ADDR_ReverseX) == 1, "reverse");
    CHECK(w4(c, CAM_ADDR_TestImageSelector, 6) == CAM_OK && w4(c, CAM_ADDR_TestImageSelector, 7) == CAM_ERR_VALUE,
          "testimage");
    CHECK(w4(c, CAM_ADDR_GainAuto, CAM_ENUM_GainAuto_Off) == CAM_OK, "gainauto off");

    /* floats */
    CHECK(wf(c, CAM_ADDR_Gain, CAM_A_GAIN_MAX_DB) == CAM_OK && rf(c, CAM_ADDR_Gain) == CAM_A_GAIN_MAX_DB, "gain max");
    CHECK(wf(c, CAM_ADDR_Gain, CAM_A_GAIN_MAX_DB + 0.5) == CAM_ERR_VALUE && has_text(why, "above max"), "%s", why);
    CHECK(wf(c, CAM_ADDR_Gain, -0.1) == CAM_ERR_VALUE && has_text(why, "below min"), "%s", why);
    CHECK(wf(c, CAM_ADDR_Gain, NAN) == CAM_ERR_VALUE && has_text(why, "finite"), "%s", why);
    CHECK(wf(c, CAM_ADDR_ExposureTime, 5000.4) == CAM_OK && rf(c, CAM_ADDR_ExposureTime) == 5000.0, "snap %g",
          rf(c, CAM_ADDR_ExposureTime));
    CHECK(wf(c, CAM_ADDR_ExposureTime, CAM_A_EXPOSURE_MIN_US - 1) == CAM_ERR_VALUE, "exp min");
    CHECK(wf(c, CAM_ADDR_ExposureTime, CAM_A_EXPOSURE_MAX_US) == CAM_OK, "exp max: %s", why);
    CHECK(wf(c, CAM_ADDR_Gamma, 1.0) == CAM_OK && wf(c, CAM_ADDR_Gamma, 4.0) == CAM_ERR_VALUE, "gamma");
    CHECK(w4(c, CAM_ADDR_DigitalShift, 4) == CAM_OK && w4(c, CAM_ADDR_DigitalShift, 5) == CAM_ERR_VALUE, "shift");
    CHECK(w4(c, CAM_ADDR_DeviceLinkThroughputLimit, 524288) == CAM_OK &&
              w4(c, CAM_ADDR_DeviceLinkThroughputLimit, 524287) == CAM_ERR_VALUE,
          "limit min");
    cam_destroy(c);
}

static void test_binning_center(void)
{
    cam_camera *c = cam_create("12345678");
    CHECK(w4(c, CAM_ADDR_BinningHorizontal, 2) == CAM_OK, "%s", why);
    CHECK(r4(c, CAM_ADDR_WidthMax) == 2056 && r4(c, CAM_ADDR_Width) == 2048 && r4(c, CAM_ADDR_OffsetX) == 4,
          "bin2: wmax %" PRId64 " w %" PRId64 " x %" PRId64, r4(c, CAM_ADDR_WidthMax), r4(c, CAM_ADDR_Width),
          r4(c, CAM_ADDR_OffsetX));
    CHECK(w4(c, CAM_ADDR_BinningHorizontal, 1) == CAM_OK && r4(c, CAM_ADDR_Width) == 4096 &&
              r4(c, CAM_ADDR_OffsetX) == 8,
          "back to 1");
    CHECK(w4(c, CAM_ADDR_BinningVertical, 3) == CAM_OK && r4(c, CAM_ADDR_HeightMax) == 1002 &&
              r4(c, CAM_ADDR_Height) == 1000,
          "binv3: %" PRId64 " %" PRId64, r4(c, CAM_ADDR_HeightMax), r4(c, CAM_ADDR_Height));
    CHECK(w4(c, CAM_ADDR_BinningVertical, 5) == CAM_ERR_VALUE, "bin 5");
    /* vertical binning does not shorten readout: 1000 binned rows read 3000 sensor rows */
    CHECK(near(rf(c, CAM_ADDR_SensorReadoutTime), (3000 + 34) * 14.02, 1e-9), "readout %g",
          rf(c, CAM_ADDR_SensorReadoutTime));
    CHECK(w4(c, CAM_ADDR_BinningVertical, 1) == CAM_OK, "unbin");

    CHECK(w4(c, CAM_ADDR_Width, 1000) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_CenterX, 1) == CAM_OK && r4(c, CAM_ADDR_OffsetX) == 1556, "center %" PRId64,
          r4(c, CAM_ADDR_OffsetX));
    CHECK(w4(c, CAM_ADDR_OffsetX, 0) == CAM_ERR_ACCESS && has_text(why, "CenterX"), "%s", why);
    CHECK(w4(c, CAM_ADDR_Width, 2000) == CAM_OK && r4(c, CAM_ADDR_OffsetX) == 1056, "recenter %" PRId64,
          r4(c, CAM_ADDR_OffsetX));
    CHECK(w4(c, CAM_ADDR_Width, 4112) == CAM_OK && r4(c, CAM_ADDR_OffsetX) == 0, "center full width: %s", why);
    CHECK(w4(c, CAM_ADDR_CenterX, 0) == CAM_OK && w4(c, CAM_ADDR_OffsetX, 0) == CAM_OK, "uncenter");
    CHECK(w4(c, CAM_ADDR_Height, 480) == CAM_OK && w4(c, CAM_ADDR_CenterY, 1) == CAM_OK &&
              r4(c, CAM_ADDR_OffsetY) == 1264,
          "centerY %" PRId64, r4(c, CAM_ADDR_OffsetY));
    cam_destroy(c);
}

/* Spec section 3 example table (t_line 14.02 us, limit 360 MB/s). */
static void test_frame_rate_table(void)
{
    static const struct { int w, h; double fps[3]; } rows[] = {
        {4112, 3008, {23.45, 19.40, 14.55}}, {4096, 3000, {23.51, 19.53, 14.65}},
        {4096, 2160, {32.51, 27.13, 20.35}}, {4096, 1000, {68.98, 58.59, 43.95}},
        {4096, 480, {138.8, 122.1, 91.6}},
    };
    static const uint32_t fmts[3] = {PFNC_MONO8, PFNC_MONO12P, PFNC_MONO12};
    cam_camera *c = cam_create("12345678");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        set_roi(c, rows[i].w, rows[i].h, 0, 0);
        for (int f = 0; f < 3; f++) {
            CHECK(w4(c, CAM_ADDR_PixelFormat, fmts[f]) == CAM_OK, "%s", why);
            double fps = rf(c, CAM_ADDR_ResultingFrameRate);
            CHECK(near(fps, rows[i].fps[f], 0.005), "%dx%d fmt %d: %.3f fps, spec %.2f", rows[i].w, rows[i].h, f, fps,
                  rows[i].fps[f]);
            int64_t thr = r4(c, CAM_ADDR_DeviceLinkCurrentThroughput);
            CHECK(near((double)thr, fps * (double)r8(c, CAM_ADDR_PayloadSize), 1e-6), "throughput %" PRId64, thr);
        }
    }
    /* limit mode Off: the USB ceiling applies instead of DeviceLinkThroughputLimit */
    set_roi(c, 4112, 3008, 0, 0);
    w4(c, CAM_ADDR_PixelFormat, PFNC_MONO12);
    CHECK(w4(c, CAM_ADDR_DeviceLinkThroughputLimitMode, CAM_ENUM_DeviceLinkThroughputLimitMode_Off) == CAM_OK, "off");
    CHECK(near(rf(c, CAM_ADDR_ResultingFrameRate), (double)CAM_A_USB_CEILING_BPS / (4112.0 * 3008 * 2), 1e-9), "ceil");
    /* lower limit: bandwidth-bound */
    w4(c, CAM_ADDR_DeviceLinkThroughputLimitMode, CAM_ENUM_DeviceLinkThroughputLimitMode_On);
    CHECK(w4(c, CAM_ADDR_DeviceLinkThroughputLimit, 100000000) == CAM_OK, "%s", why);
    CHECK(near(rf(c, CAM_ADDR_ResultingFrameRate), 1e8 / (4112.0 * 3008 * 2), 1e-9), "limit 100M");
    w4(c, CAM_ADDR_DeviceLinkThroughputLimit, 360000000);
    w4(c, CAM_ADDR_PixelFormat, PFNC_MONO8);
    /* exposure-bound and AcquisitionFrameRate-bound */
    CHECK(wf(c, CAM_ADDR_ExposureTime, 100000) == CAM_OK, "%s", why);
    CHECK(near(rf(c, CAM_ADDR_ResultingFrameRate), 1e6 / (100000 + 2 * 14.02), 1e-9), "exp-bound %g",
          rf(c, CAM_ADDR_ResultingFrameRate));
    wf(c, CAM_ADDR_ExposureTime, 5000);
    CHECK(wf(c, CAM_ADDR_AcquisitionFrameRate, 10.0) == CAM_OK, "%s", why);
    CHECK(near(rf(c, CAM_ADDR_ResultingFrameRate), 23.45, 0.005), "AFR disabled has no effect");
    CHECK(w4(c, CAM_ADDR_AcquisitionFrameRateEnable, 1) == CAM_OK &&
              near(rf(c, CAM_ADDR_ResultingFrameRate), 10.0, 1e-12),
          "AFR 10");
    CHECK(wf(c, CAM_ADDR_AcquisitionFrameRate, 100.0) == CAM_OK && near(rf(c, CAM_ADDR_ResultingFrameRate), 23.45, 0.005),
          "AFR above sensor limit");
    /* pure model */
    cam_timing_input in = {3008, 4112u * 3008u, true, 360e6, 5000, false, 0};
    CHECK(near(cam_timing_frame_rate(&in), 23.45, 0.005), "pure");
    cam_destroy(c);
}

static void test_locking(void)
{
    cam_camera *c = cam_create("12345678");
    CHECK(w4(c, CAM_ADDR_TLParamsLocked, 1) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_Width, 2048) == CAM_ERR_ACCESS && has_text(why, "locked while streaming") &&
              has_text(why, "TLParamsLocked"),
          "%s", why);
    CHECK(w4(c, CAM_ADDR_PixelFormat, PFNC_MONO12) == CAM_ERR_ACCESS, "pf locked");
    CHECK(w4(c, CAM_ADDR_BinningVertical, 2) == CAM_ERR_ACCESS, "bin locked");
    CHECK(w4(c, CAM_ADDR_OffsetX, 0) == CAM_OK, "offset not locked: %s", why);
    CHECK(wf(c, CAM_ADDR_ExposureTime, 1000) == CAM_OK, "exposure not locked");
    CHECK(w4(c, CAM_ADDR_TLParamsLocked, 2) == CAM_ERR_VALUE, "TLParamsLocked 2");
    CHECK(w4(c, CAM_ADDR_TLParamsLocked, 0) == CAM_OK && w4(c, CAM_ADDR_Width, 2048) == CAM_OK, "unlocked");

    CHECK(!cam_is_acquiring(c), "idle");
    CHECK(w4(c, CAM_ADDR_AcquisitionStart, 1) == CAM_OK && cam_is_acquiring(c), "start");
    CHECK(w4(c, CAM_ADDR_Height, 1000) == CAM_ERR_ACCESS && has_text(why, "acquisition is running"), "%s", why);
    CHECK(w4(c, CAM_ADDR_AcquisitionStop, 1) == CAM_OK && !cam_is_acquiring(c), "stop");
    CHECK(w4(c, CAM_ADDR_Height, 1000) == CAM_OK, "after stop: %s", why);
    cam_destroy(c);
}

static void test_render(void)
{
    cam_camera *c = cam_create("12345678");
    set_roi(c, 640, 480, 16, 10);
    w4(c, CAM_ADDR_PixelFormat, PFNC_MONO12P);
    size_t ps = cam_payload_size(c);
    CHECK(ps == 640 * 480 * 3 / 2, "payload %zu", ps);
    uint8_t *buf = malloc(ps);
    cam_frame_tick tick = {7, 1234};
    cam_frame_info info;
    CHECK(cam_render_frame(c, &tick, buf, ps - 1, &info) == CAM_ERR_PARAMETER && info.incomplete, "small");
    CHECK(cam_render_frame(c, &tick, buf, ps, &info) == CAM_OK, "render");
    CHECK(info.frame_id == 7 && info.timestamp_ns == 1234 && info.width == 640 && info.height == 480 &&
              info.offset_x == 16 && info.offset_y == 10 && info.pixel_format == PFNC_MONO12P &&
              info.image_size == ps && info.filled == ps && !info.incomplete && !info.contains_chunks,
          "info");
    free(buf);
    cam_destroy(c);
}

typedef struct {
    cam_camera *c;
    bool got;
    uint64_t waited_ns;
} waiter_arg;

static void *waiter(void *p)
{
    waiter_arg *a = p;
    cam_frame_tick t;
    uint64_t t0 = mono_ns();
    a->got = cam_wait_next_frame(a->c, 5000000000ull, &t);
    a->waited_ns = mono_ns() - t0;
    return NULL;
}

static void test_acquisition(void)
{
    cam_camera *c = cam_create("12345678");
    cam_frame_tick t;
    uint64_t t0 = mono_ns();
    CHECK(!cam_wait_next_frame(c, 1000000000ull, &t) && mono_ns() - t0 < 50000000ull, "not acquiring -> false now");

    /* pacing at 4096x480 Mono8 (~138.8 fps): long-run rate within 0.5% */
    set_roi(c, 4096, 480, 0, 0);
    double fps = rf(c, CAM_ADDR_ResultingFrameRate);
    CHECK(near(fps, 138.8, 0.005), "fps %g", fps);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    uint64_t first_arrival = 0, last_arrival = 0, first_ts = 0, last_ts = 0, prev_id = 0;
    int n = 0;
    bool ids_ok = true;
    while (n < 140) {
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "frame %d", n);
        uint64_t now = mono_ns();
        if (n == 0) {
            first_arrival = now;
            first_ts = t.timestamp_ns;
            ids_ok = ids_ok && t.frame_id == 1;
        } else {
            ids_ok = ids_ok && t.frame_id == prev_id + 1;
        }
        prev_id = t.frame_id;
        last_arrival = now;
        last_ts = t.timestamp_ns;
        n++;
    }
    double rate = (n - 1) / ((double)(last_arrival - first_arrival) * 1e-9);
    double ts_rate = (n - 1) / ((double)(last_ts - first_ts) * 1e-9);
    CHECK(ids_ok, "frame IDs start at 1 and are consecutive");
    CHECK(near(rate, fps, 0.005), "delivered %.3f fps vs %.3f", rate, fps);
    CHECK(near(ts_rate, fps, 0.001), "timestamp rate %.3f vs %.3f", ts_rate, fps);
    CHECK(last_ts < cam_now_ns(c), "timestamp in the past");

    /* a rate change while streaming takes effect on the next frame */
    wf(c, CAM_ADDR_AcquisitionFrameRate, 50.0);
    w4(c, CAM_ADDR_AcquisitionFrameRateEnable, 1);
    cam_wait_next_frame(c, 1000000000ull, &t);
    uint64_t ts0 = t.timestamp_ns;
    for (int i = 0; i < 10; i++)
        cam_wait_next_frame(c, 1000000000ull, &t);
    double r50 = 10 / ((double)(t.timestamp_ns - ts0) * 1e-9);
    CHECK(near(r50, 50.0, 0.005), "after change %.3f fps", r50);

    /* timeout while acquiring at 1 Hz */
    wf(c, CAM_ADDR_AcquisitionFrameRate, 1.0);
    cam_wait_next_frame(c, 2000000000ull, &t); /* align on the slow schedule */
    t0 = mono_ns();
    CHECK(!cam_wait_next_frame(c, 50000000ull, &t), "timeout");
    uint64_t el = mono_ns() - t0;
    CHECK(el >= 50000000ull && el < 150000000ull, "timeout took %" PRIu64 " ns", el);

    /* AcquisitionStop wakes a waiter promptly */
    waiter_arg a = {c, true, 0};
    pthread_t th;
    pthread_create(&th, NULL, waiter, &a);
    struct timespec d = {0, 50000000};
    nanosleep(&d, NULL);
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    pthread_join(th, NULL);
    CHECK(!a.got && a.waited_ns < 200000000ull, "stop woke waiter after %" PRIu64 " ns (got %d)", a.waited_ns, a.got);

    /* restart: frame IDs restart at 1 */
    w4(c, CAM_ADDR_AcquisitionFrameRateEnable, 0);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == 1, "restart id %" PRIu64, t.frame_id);

    /* unthrottled: frames as fast as asked */
    cam_set_unthrottled(c, true);
    t0 = mono_ns();
    for (int i = 0; i < 1000; i++)
        cam_wait_next_frame(c, 1000000000ull, &t);
    CHECK(t.frame_id == 1001 && mono_ns() - t0 < 100000000ull, "unthrottled id %" PRIu64, t.frame_id);
    cam_set_unthrottled(c, false);
    w4(c, CAM_ADDR_AcquisitionStop, 1);

    /* a caller a little late (a slow consumer thread, valgrind): nothing is lost */
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    d.tv_nsec = 100000000; /* ~14 periods, less than CAM_LATE_SLACK_NS */
    nanosleep(&d, NULL);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == 1, "a little late: id %" PRIu64, t.frame_id);
    w4(c, CAM_ADDR_AcquisitionStop, 1);

    /* a caller that stayed away (no stream): missed frames consume IDs instead of arriving in a burst */
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    d.tv_nsec = 700000000; /* more than CAM_LATE_SLACK_NS */
    nanosleep(&d, NULL);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id > 5, "late: id %" PRIu64, t.frame_id);
    t0 = mono_ns();
    cam_wait_next_frame(c, 1000000000ull, &t);
    cam_wait_next_frame(c, 1000000000ull, &t);
    CHECK(mono_ns() - t0 > 5000000ull, "no burst after catching up");
    w4(c, CAM_ADDR_AcquisitionStop, 1);

    /* SingleFrame: one frame, then the camera stops by itself */
    CHECK(w4(c, CAM_ADDR_AcquisitionMode, CAM_ENUM_AcquisitionMode_SingleFrame) == CAM_OK, "%s", why);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == 1, "single");
    CHECK(!cam_is_acquiring(c), "stopped after single frame");
    CHECK(!cam_wait_next_frame(c, 100000000ull, &t), "no second frame");
    cam_destroy(c);
}

int main(void)
{
    /* DeviceUserID writes persist (the state file): keep them out of the user's cache */
    static char dir[] = "/tmp/acesim-model-XXXXXX";
    if (!getenv("ACE_SIM_STATE_DIR") && mkdtemp(dir))
        setenv("ACE_SIM_STATE_DIR", dir, 1);
    test_identity();
    test_validation();
    test_binning_center();
    test_frame_rate_table();
    test_locking();
    test_render();
    test_acquisition();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
