/* camera.c - the simulated acA4112-20um: register semantics (validation, derived values, side
 * effects), acquisition state, frame pacing and the hand-off to the image renderer.
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
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>

#include "../../generated/camera_regs.h"
#include "camera_internal.h"
#include "image.h"
#include "regmap.h"
#include "timing.h"

extern const uint8_t cam_xml_bytes[];
extern const size_t cam_xml_size;

uint64_t cam_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#define mono_ns cam_mono_ns

void cam_log(cam_camera *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->log, sizeof c->log, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------------------------
 * Register helpers (mutex held)
 * ------------------------------------------------------------------------------------------- */

static int64_t round_down(int64_t v, int64_t inc)
{
    return v / inc * inc;
}

static int64_t width_max(cam_camera *c)
{
    return round_down(GI(c, SensorWidth) / GI(c, BinningHorizontal), CAM_A_WIDTH_INC);
}

static int64_t height_max(cam_camera *c)
{
    return round_down(GI(c, SensorHeight) / GI(c, BinningVertical), CAM_A_HEIGHT_INC);
}

static img_settings settings_locked(cam_camera *c)
{
    img_settings s;
    memset(&s, 0, sizeof s);
    s.width = (uint32_t)GI(c, Width);
    s.height = (uint32_t)GI(c, Height);
    s.offset_x = (uint32_t)GI(c, OffsetX);
    s.offset_y = (uint32_t)GI(c, OffsetY);
    s.binning_h = (uint32_t)GI(c, BinningHorizontal);
    s.binning_v = (uint32_t)GI(c, BinningVertical);
    s.binning_h_mode = GI(c, BinningHorizontalMode) == CAM_ENUM_BinningHorizontalMode_Average ? IMG_BIN_AVERAGE
                                                                                              : IMG_BIN_SUM;
    s.binning_v_mode = GI(c, BinningVerticalMode) == CAM_ENUM_BinningVerticalMode_Average ? IMG_BIN_AVERAGE
                                                                                          : IMG_BIN_SUM;
    s.reverse_x = GI(c, ReverseX) != 0;
    s.reverse_y = GI(c, ReverseY) != 0;
    s.pixel_format = (uint64_t)GI(c, PixelFormat);
    s.test_image = (uint32_t)GI(c, TestImageSelector);
    s.test_image_hold = GI(c, TestImageResetAndHold) != 0;
    s.exposure_us = GF(c, ExposureTime);
    s.gain_db = GF(c, Gain);
    s.black_level = GF(c, BlackLevel) * 16.0; /* register is on the 8-bit scale, the renderer works in 12-bit DN */
    s.gamma = GF(c, Gamma);
    s.digital_shift = (uint32_t)GI(c, DigitalShift);
    s.seed = c->seed;
    return s;
}

size_t cam_image_bytes_locked(cam_camera *c)
{
    img_settings s = settings_locked(c);
    return img_frame_bytes(&s);
}

/* PayloadSize: the image plus, with ChunkModeActive, the whole chunk area. */
static size_t payload_locked(cam_camera *c)
{
    cam_chunk_cfg cfg = chunks_config_locked(c);
    return chunks_payload_size(&cfg, cam_image_bytes_locked(c));
}

double cam_frame_rate_locked(cam_camera *c, bool with_afr)
{
    cam_timing_input in;
    in.sensor_rows = (uint32_t)(GI(c, Height) * GI(c, BinningVertical));
    in.payload_bytes = payload_locked(c);
    in.throughput_limit_on = GI(c, DeviceLinkThroughputLimitMode) == CAM_ENUM_DeviceLinkThroughputLimitMode_On;
    in.throughput_limit_bps = (double)GI(c, DeviceLinkThroughputLimit);
    in.exposure_us = GF(c, ExposureTime);
    in.frame_rate_enable = with_afr && GI(c, AcquisitionFrameRateEnable) != 0;
    in.frame_rate_hz = GF(c, AcquisitionFrameRate);
    return cam_timing_frame_rate(&in);
}

static double frame_rate_locked(cam_camera *c)
{
    return cam_frame_rate_locked(c, true);
}

double cam_throughput_locked(cam_camera *c)
{
    return (double)payload_locked(c) * frame_rate_locked(c);
}

/* Device clock (clock.c: its drift and offset).  The simulator pauses it (pause_begin/pause_end)
 * while it rebuilds the renderer, so that time the simulator itself needs never shows up as
 * camera time: no frame period passes,
 * no frame is lost, and timestamps stay on the camera's exact schedule.  The cost: after a pause
 * the device clock runs behind CLOCK_MONOTONIC by the pause length (cam_now_ns and all timestamps
 * stay consistent with each other). */
uint64_t cam_dev_now_locked(cam_camera *c)
{
    if (c->pause_depth > 0)
        return c->pause_dev;
    return clock_dev_of_mono(c, mono_ns());
}
#define dev_now cam_dev_now_locked

static void pause_begin(cam_camera *c)
{
    if (c->pause_depth++ == 0) {
        sim_advance(c, clock_dev_of_mono(c, mono_ns()));
        c->pause_mono = mono_ns();
        c->pause_dev = clock_dev_of_mono(c, c->pause_mono);
    }
}

static void pause_end(cam_camera *c)
{
    if (c->pause_depth > 0 && --c->pause_depth == 0) {
        uint64_t d = mono_ns() - c->pause_mono;
        c->t0_ns += d;
        c->paused_total_ns += d;
        pthread_cond_broadcast(&c->cv);
    }
}

/* Make sure the renderer is ready for `s` (render_mu held, c->mu NOT held).  A rebuild runs with
 * the device clock paused when `pause` is set (mid-stream); at AcquisitionStart no schedule runs
 * yet, so no pause is needed. */
static void prepare_renderer(cam_camera *c, const img_settings *s, bool pause)
{
    if (img_is_prepared(c->renderer, s))
        return;
    if (pause) {
        pthread_mutex_lock(&c->mu);
        pause_begin(c);
        cam_unlock(c);
    }
    img_prepare(c->renderer, s);
    if (pause) {
        pthread_mutex_lock(&c->mu);
        pause_end(c);
        cam_unlock(c);
    }
}

static double temperature_locked(cam_camera *c)
{
    return thermal_temp(c, dev_now(c));
}

static int64_t user_output_all(cam_camera *c)
{
    int64_t v = 0;
    for (int i = 0; i < 3; i++)
        if (GIX(c, UserOutputValue, i))
            v |= (int64_t)1 << (i + 1);
    return v;
}

/* Value of a derived register (element idx), as int64 (ints) or double (floats). */
static int64_t derive_int_at(cam_camera *c, cam_reg_id id, uint32_t idx)
{
    switch (id) {
    case CAM_REG_AcquisitionStatus:
        return sim_status(c, (int)idx, dev_now(c));
    case CAM_REG_LineStatus:
        return sim_line_status(c, idx + 1, dev_now(c));
    case CAM_REG_LineStatusAll:
        return sim_line_status_all(c, dev_now(c));
    case CAM_REG_UserOutputValueAll:
        return user_output_all(c);
    case CAM_REG_SequencerSetActive:
        return c->seq_active;
    case CAM_REG_WidthMax:
        return width_max(c);
    case CAM_REG_HeightMax:
        return height_max(c);
    case CAM_REG_WidthLimit:
        return GI(c, CenterX) ? width_max(c) : width_max(c) - GI(c, OffsetX);
    case CAM_REG_HeightLimit:
        return GI(c, CenterY) ? height_max(c) : height_max(c) - GI(c, OffsetY);
    case CAM_REG_OffsetXLimit:
        return width_max(c) - GI(c, Width);
    case CAM_REG_OffsetYLimit:
        return height_max(c) - GI(c, Height);
    case CAM_REG_PayloadSize:
        return (int64_t)payload_locked(c);
    case CAM_REG_PixelSize:
        switch (GI(c, PixelFormat)) {
        case CAM_ENUM_PixelFormat_Mono12:
            return CAM_ENUM_PixelSize_Bpp16;
        case CAM_ENUM_PixelFormat_Mono12p:
            return CAM_ENUM_PixelSize_Bpp12;
        default:
            return CAM_ENUM_PixelSize_Bpp8;
        }
    case CAM_REG_PixelDynamicRangeMax:
        return GI(c, PixelFormat) == CAM_ENUM_PixelFormat_Mono8 ? 255 : 4095;
    case CAM_REG_DeviceLinkCurrentThroughput:
        return (int64_t)llround((double)payload_locked(c) * frame_rate_locked(c));
    case CAM_REG_TemperatureState: {
        double t = temperature_locked(c);
        if (t >= CAM_A_TEMPERATURE_ERROR_C)
            return CAM_ENUM_TemperatureState_Error;
        if (t >= CAM_A_TEMPERATURE_CRITICAL_C)
            return CAM_ENUM_TemperatureState_Critical;
        return CAM_ENUM_TemperatureState_Ok;
    }
    default:
        return regmap_get_int(&c->regs, id, idx);
    }
}

static int64_t derive_int(cam_camera *c, cam_reg_id id)
{
    return derive_int_at(c, id, 0);
}

static double derive_float(cam_camera *c, cam_reg_id id)
{
    switch (id) {
    case CAM_REG_ResultingFrameRate:
        return frame_rate_locked(c);
    case CAM_REG_SensorReadoutTime:
        return cam_timing_readout_us((uint32_t)(GI(c, Height) * GI(c, BinningVertical)));
    case CAM_REG_DeviceTemperature:
        return temperature_locked(c);
    default:
        return regmap_get_float(&c->regs, id, 0);
    }
}

/* Current value of any numeric register as a double (for dynamic limits). */
static double value_as_double(cam_camera *c, int id)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    if (d->type == CAM_T_FLOAT)
        return (d->flags & CAM_F_DERIVED) ? derive_float(c, (cam_reg_id)id) : regmap_get_float(&c->regs, (cam_reg_id)id, 0);
    return (double)((d->flags & CAM_F_DERIVED) ? derive_int(c, (cam_reg_id)id)
                                               : regmap_get_int(&c->regs, (cam_reg_id)id, 0));
}

static int64_t value_as_int(cam_camera *c, int id)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    return (d->flags & CAM_F_DERIVED) ? derive_int(c, (cam_reg_id)id) : regmap_get_int(&c->regs, (cam_reg_id)id, 0);
}

/* Explain a dynamic limit in words, e.g. "WidthMax 4112 - OffsetX 8". */
static void describe_limit(cam_camera *c, int ref, char *buf, size_t n)
{
    switch (ref) {
    case CAM_REG_WidthLimit:
        if (GI(c, CenterX))
            snprintf(buf, n, "WidthMax %" PRId64 ", CenterX on", width_max(c));
        else
            snprintf(buf, n, "WidthMax %" PRId64 " - OffsetX %" PRId64, width_max(c), GI(c, OffsetX));
        break;
    case CAM_REG_HeightLimit:
        if (GI(c, CenterY))
            snprintf(buf, n, "HeightMax %" PRId64 ", CenterY on", height_max(c));
        else
            snprintf(buf, n, "HeightMax %" PRId64 " - OffsetY %" PRId64, height_max(c), GI(c, OffsetY));
        break;
    case CAM_REG_OffsetXLimit:
        snprintf(buf, n, "WidthMax %" PRId64 " - Width %" PRId64, width_max(c), GI(c, Width));
        break;
    case CAM_REG_OffsetYLimit:
        snprintf(buf, n, "HeightMax %" PRId64 " - Height %" PRId64, height_max(c), GI(c, Height));
        break;
    default:
        snprintf(buf, n, "%s", cam_reg_table[ref].name);
        break;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Side effects of writes (mutex held, value already validated and stored)
 * ------------------------------------------------------------------------------------------- */
static void recenter(cam_camera *c)
{
    if (GI(c, CenterX))
        SI(c, OffsetX, round_down((width_max(c) - GI(c, Width)) / 2, CAM_A_OFFSET_X_INC));
    if (GI(c, CenterY))
        SI(c, OffsetY, round_down((height_max(c) - GI(c, Height)) / 2, CAM_A_OFFSET_Y_INC));
}

/* Binning changed from old to new: scale the ROI like the camera does, then make it fit. */
static void rescale_roi(cam_camera *c, bool horizontal, int64_t old_b, int64_t new_b)
{
    if (horizontal) {
        int64_t wmax = width_max(c);
        int64_t w = round_down(GI(c, Width) * old_b / new_b, CAM_A_WIDTH_INC);
        int64_t x = round_down(GI(c, OffsetX) * old_b / new_b, CAM_A_OFFSET_X_INC);
        if (w < CAM_A_WIDTH_MIN)
            w = CAM_A_WIDTH_MIN;
        if (w > wmax)
            w = wmax;
        if (x + w > wmax)
            x = round_down(wmax - w, CAM_A_OFFSET_X_INC);
        SI(c, Width, w);
        SI(c, OffsetX, x);
    } else {
        int64_t hmax = height_max(c);
        int64_t h = round_down(GI(c, Height) * old_b / new_b, CAM_A_HEIGHT_INC);
        int64_t y = round_down(GI(c, OffsetY) * old_b / new_b, CAM_A_OFFSET_Y_INC);
        if (h < CAM_A_HEIGHT_MIN)
            h = CAM_A_HEIGHT_MIN;
        if (h > hmax)
            h = hmax;
        if (y + h > hmax)
            y = round_down(hmax - h, CAM_A_OFFSET_Y_INC);
        SI(c, Height, h);
        SI(c, OffsetY, y);
    }
    recenter(c);
}

static void start_acquisition(cam_camera *c)
{
    if (c->acquiring)
        return; /* a second start while running is harmless, as on the camera */
    sim_acquisition_start(c, c->sim_now); /* = the write's time (cam_write advanced to it): the first
                                             * exposure starts exactly when the output says so */
}

/* ---------------------------------------------------------------------------------------------
 * Creation, identity, clock
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
    clock_init(c);
    c->t0_ns = mono_ns();
    thermal_init(c);
    c->temp_t = clock_dev_of_mono(c, c->t0_ns);
    sim_init(c);
    usersets_load_state(c); /* saved sets, DeviceUserID, and UserSetDefault applied */
    pthread_mutex_lock(&c->mu);
    c->out_level[2] = sim_line_status(c, 2, cam_dev_now_locked(c)); /* what a wired input would see now */
    c->out_level[3] = GIX(c, LineMode, 2) == CAM_ENUM_LineMode_Output && sim_line_status(c, 3, cam_dev_now_locked(c));
    c->out_level[4] = GIX(c, LineMode, 3) == CAM_ENUM_LineMode_Output && sim_line_status(c, 4, cam_dev_now_locked(c));
    cam_unlock(c);
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

uint64_t cam_now_ns(cam_camera *cam)
{
    if (!cam)
        return 0;
    pthread_mutex_lock(&cam->mu);
    uint64_t t = dev_now(cam);
    cam_unlock(cam);
    return t;
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
    const cam_reg_desc *d = &cam_reg_table[id];
    uint8_t tmp[8];
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    if (d->flags & CAM_F_DERIVED) {
        if (d->type == CAM_T_FLOAT)
            regmap_encode_float(derive_float(cam, (cam_reg_id)id), tmp);
        else
            regmap_encode_int(d, derive_int_at(cam, (cam_reg_id)id, idx), tmp);
        memcpy(buf, tmp, len);
    } else {
        memcpy(buf, regmap_bytes(&cam->regs, (cam_reg_id)id, idx), len);
    }
    cam_unlock(cam);
    return CAM_OK;
}

static const char *line_name(uint32_t idx)
{
    static const char *n[4] = {"Line1", "Line2", "Line3", "Line4"};
    return n[idx & 3];
}

/* Rules that depend on the selector or on other features (GenApi sees the same rules through the
 * *LockedExpr swiss knives); mutex held. */
static cam_status check_specific(cam_camera *c, int id, uint32_t idx, const uint8_t *buf, char *why, size_t why_len)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    int64_t v = d->type == CAM_T_STRING ? 0 : d->type == CAM_T_FLOAT ? 0 : regmap_decode_int(d, buf);
    bool output = GIX(c, LineMode, idx & 3) == CAM_ENUM_LineMode_Output;
    switch (id) {
    case CAM_REG_LineMode:
        if (idx < 2) {
            cam_say(why, why_len, "LineMode: %s is always an %s", line_name(idx), idx == 0 ? "input" : "output");
            return CAM_ERR_ACCESS;
        }
        break;
    case CAM_REG_LineSource:
        if (!output) {
            cam_say(why, why_len, "LineSource: %s is an input; set LineMode to Output first", line_name(idx));
            return CAM_ERR_ACCESS;
        }
        if (v >= CAM_ENUM_LineSource_UserOutput1 && v <= CAM_ENUM_LineSource_UserOutput3 &&
            v - CAM_ENUM_LineSource_UserOutput1 + 1 != (int64_t)idx) {
            cam_say(why, why_len, "LineSource: %s can carry only UserOutput%u, not UserOutput%d", line_name(idx),
                    (unsigned)idx, (int)(v - CAM_ENUM_LineSource_UserOutput1 + 1));
            return CAM_ERR_VALUE;
        }
        break;
    case CAM_REG_LineDebouncerTime:
        if (output) {
            cam_say(why, why_len, "LineDebouncerTime: %s is an output; the debouncer applies to inputs only",
                    line_name(idx));
            return CAM_ERR_ACCESS;
        }
        break;
    case CAM_REG_LineMinimumOutputPulseWidth:
        if (!output) {
            cam_say(why, why_len, "LineMinimumOutputPulseWidth: %s is an input; applies to outputs only",
                    line_name(idx));
            return CAM_ERR_ACCESS;
        }
        break;
    case CAM_REG_TriggerActivation:
        if (idx == CAM_TRIG_FS &&
            (v == CAM_ENUM_TriggerActivation_LevelHigh || v == CAM_ENUM_TriggerActivation_LevelLow)) {
            cam_say(why, why_len, "TriggerActivation: %s is only available for TriggerSelector FrameBurstStart",
                    v == CAM_ENUM_TriggerActivation_LevelHigh ? "LevelHigh" : "LevelLow");
            return CAM_ERR_VALUE;
        }
        break;
    case CAM_REG_SequencerMode:
        if (v == CAM_ENUM_SequencerMode_On &&
            GI(c, SequencerConfigurationMode) == CAM_ENUM_SequencerConfigurationMode_On) {
            cam_say(why, why_len, "SequencerMode: On is not available while SequencerConfigurationMode is On; "
                    "set SequencerConfigurationMode Off first");
            return CAM_ERR_VALUE;
        }
        break;
    case CAM_REG_SequencerConfigurationMode:
        if (GI(c, SequencerMode) == CAM_ENUM_SequencerMode_On) {
            cam_say(why, why_len, "SequencerConfigurationMode: read-only while SequencerMode is On; "
                    "set SequencerMode Off first");
            return CAM_ERR_ACCESS;
        }
        break;
    case CAM_REG_SeqSetExposureTime:
    case CAM_REG_SeqSetGain:
    case CAM_REG_SeqSetBlackLevel:
    case CAM_REG_SeqSetOffsetX:
    case CAM_REG_SeqSetOffsetY:
    case CAM_REG_SeqSetDigitalShift:
    case CAM_REG_SeqSetTestImageSelector:
    case CAM_REG_SeqSetNext:
    case CAM_REG_SeqSetTriggerSource:
        cam_say(why, why_len, "%s: internal sequencer set storage; use SequencerSetSave", d->name);
        return CAM_ERR_ACCESS;
    case CAM_REG_ChunkEnable:
        if (idx == CAM_CHUNK_SEL_Image && v == 0) {
            cam_say(why, why_len, "ChunkEnable: the Image chunk is always enabled");
            return CAM_ERR_VALUE;
        }
        break;
    case CAM_REG_AutoExposureTimeLowerLimit:
    case CAM_REG_AutoExposureTimeUpperLimit:
    case CAM_REG_AutoGainLowerLimit:
    case CAM_REG_AutoGainUpperLimit: {
        double f = regmap_decode_float(buf);
        bool lower = id == CAM_REG_AutoExposureTimeLowerLimit || id == CAM_REG_AutoGainLowerLimit;
        int other = id == CAM_REG_AutoExposureTimeLowerLimit   ? CAM_REG_AutoExposureTimeUpperLimit
                    : id == CAM_REG_AutoExposureTimeUpperLimit ? CAM_REG_AutoExposureTimeLowerLimit
                    : id == CAM_REG_AutoGainLowerLimit         ? CAM_REG_AutoGainUpperLimit
                                                               : CAM_REG_AutoGainLowerLimit;
        double o = regmap_get_float(&c->regs, (cam_reg_id)other, 0);
        if (isfinite(f) && (lower ? f > o : f < o)) {
            cam_say(why, why_len, "%s: %.9g is %s %s %.9g", d->name, f, lower ? "above" : "below",
                    cam_reg_table[other].name, o);
            return CAM_ERR_VALUE;
        }
        break;
    }
    default:
        break;
    }
    return CAM_OK;
}

/* Validate and store one write; mutex held. */
static cam_status write_locked(cam_camera *c, int id, uint32_t idx, const uint8_t *buf, size_t len, char *why,
                               size_t why_len)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    if ((d->flags & CAM_F_LOCKED) && (c->acquiring || GI(c, TLParamsLocked))) {
        cam_say(why, why_len, "%s: locked while streaming (%s); stop acquisition and clear TLParamsLocked first",
                d->name, c->acquiring ? "acquisition is running" : "TLParamsLocked = 1");
        return CAM_ERR_ACCESS;
    }
    if (d->lock_ref >= 0 && value_as_int(c, d->lock_ref)) {
        cam_say(why, why_len, "%s: read-only while %s is true", d->name, cam_reg_table[d->lock_ref].name);
        return CAM_ERR_ACCESS;
    }

    cam_status sst = check_specific(c, id, idx, buf, why, why_len);
    if (sst != CAM_OK)
        return sst;

    if (d->type == CAM_T_STRING) {
        cam_status st = regmap_check_string(d, buf, len, why, why_len);
        if (st != CAM_OK)
            return st;
        uint8_t *p = regmap_bytes(&c->regs, (cam_reg_id)id, 0);
        memset(p, 0, d->length);
        memcpy(p, buf, len);
        if (id == CAM_REG_DeviceUserID)
            usersets_persist(c);
        return CAM_OK;
    }
    if (d->type == CAM_T_FLOAT) {
        double v = regmap_decode_float(buf);
        double mn = d->min_ref >= 0 ? value_as_double(c, d->min_ref) : d->min_f;
        double mx = d->max_ref >= 0 ? value_as_double(c, d->max_ref) : d->max_f;
        cam_status st = regmap_check_float(d, &v, mn, mx, why, why_len);
        if (st != CAM_OK)
            return st;
        regmap_set_float(&c->regs, (cam_reg_id)id, idx, v);
        return CAM_OK;
    }

    int64_t v = regmap_decode_int(d, buf);
    cam_status st = CAM_OK;
    switch (d->type) {
    case CAM_T_ENUM:
        st = regmap_check_enum(d, v, why, why_len);
        break;
    case CAM_T_BOOLEAN:
        if (v != 0 && v != 1) {
            cam_say(why, why_len, "%s: %" PRId64 " is not a boolean (0 or 1)", d->name, v);
            st = CAM_ERR_VALUE;
        }
        break;
    case CAM_T_COMMAND:
        if (v != 1) {
            cam_say(why, why_len, "%s: command register takes 1 (execute), got %" PRId64, d->name, v);
            st = CAM_ERR_VALUE;
        }
        break;
    default: {
        char mins[96], maxs[96];
        int64_t mn = d->min_i, mx = d->max_i;
        if (d->min_ref >= 0) {
            mn = value_as_int(c, d->min_ref);
            describe_limit(c, d->min_ref, mins, sizeof mins);
        }
        if (d->max_ref >= 0) {
            mx = value_as_int(c, d->max_ref);
            describe_limit(c, d->max_ref, maxs, sizeof maxs);
        }
        st = regmap_check_int(d, v, mn, mx, d->min_ref >= 0 ? mins : NULL, d->max_ref >= 0 ? maxs : NULL, why,
                              why_len);
        break;
    }
    }
    if (st != CAM_OK)
        return st;

    /* commands act, they are not stored */
    switch (id) {
    case CAM_REG_AcquisitionStart:
        start_acquisition(c);
        return CAM_OK;
    case CAM_REG_AcquisitionStop:
        sim_acquisition_stop(c);
        return CAM_OK;
    case CAM_REG_TimestampLatch:
        SI(c, TimestampLatchValue, (int64_t)dev_now(c));
        return CAM_OK;
    case CAM_REG_TriggerSoftware:
        sim_trigger_software(c, (int)idx, dev_now(c));
        return CAM_OK;
    case CAM_REG_SoftwareSignalPulse:
        sim_software_signal(c, (int)idx + 1, dev_now(c));
        return CAM_OK;
    case CAM_REG_CounterReset:
        sim_counter_reset(c, (int)idx);
        return CAM_OK;
    case CAM_REG_UserSetLoad:
        return userset_load(c, GI(c, UserSetSelector), why, why_len);
    case CAM_REG_UserSetSave:
        return userset_save(c, GI(c, UserSetSelector), why, why_len);
    case CAM_REG_SequencerSetLoad:
        return seq_set_load(c, why, why_len);
    case CAM_REG_SequencerSetSave:
        return seq_set_save(c, why, why_len);
    case CAM_REG_UserOutputValueAll:
        for (int i = 0; i < 3; i++)
            regmap_set_int(&c->regs, CAM_REG_UserOutputValue, (uint32_t)i, (v >> (i + 1)) & 1);
        return CAM_OK;
    default:
        break;
    }

    int64_t old = d->type == CAM_T_COMMAND ? 0 : regmap_get_int(&c->regs, (cam_reg_id)id, idx);
    regmap_set_int(&c->regs, (cam_reg_id)id, idx, v);
    switch (id) {
    case CAM_REG_BinningHorizontal:
        if (old != v)
            rescale_roi(c, true, old, v);
        break;
    case CAM_REG_BinningVertical:
        if (old != v)
            rescale_roi(c, false, old, v);
        break;
    case CAM_REG_Width:
    case CAM_REG_Height:
    case CAM_REG_CenterX:
    case CAM_REG_CenterY:
        recenter(c);
        break;
    case CAM_REG_LineInverter:
    case CAM_REG_LineMode:
        sim_line_changed(c, idx + 1, dev_now(c));
        break;
    case CAM_REG_UserSetDefault:
        usersets_persist(c);
        break;
    case CAM_REG_SequencerMode:
        seq_mode_on(c); /* On: the camera is on SequencerSetStart, its values are the working ones */
        break;
    case CAM_REG_ExposureAuto:
    case CAM_REG_GainAuto:
        c->auto_once_frames = 0;
        break;
    default:
        break;
    }
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
    if (id == CAM_REG_AcquisitionStart) {
        /* Like a real camera starting up, AcquisitionStart takes the time the renderer needs for
         * the current settings (noise bank: ~0.3 s at full resolution) BEFORE the frame schedule
         * begins, so the first frames are not late. */
        pthread_mutex_lock(&cam->mu);
        bool run = !cam->acquiring;
        img_settings s = settings_locked(cam);
        cam_unlock(cam);
        if (run) {
            pthread_mutex_lock(&cam->render_mu);
            prepare_renderer(cam, &s, false);
            pthread_mutex_unlock(&cam->render_mu);
        }
    }
    pthread_mutex_lock(&cam->mu);
    uint64_t now = dev_now(cam);
    sim_advance(cam, now);
    st = write_locked(cam, id, idx, buf, len, why, why_len);
    if (st == CAM_OK) {
        sim_after_change(cam, now);
        wiring_outputs(cam, now); /* AcquisitionStart, LineSource, UserOutputValue, ... */
        pthread_cond_broadcast(&cam->cv); /* stop, or a new frame period, takes effect now */
    }
    cam_unlock(cam);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Acquisition
 * ------------------------------------------------------------------------------------------- */
size_t cam_payload_size(cam_camera *cam)
{
    pthread_mutex_lock(&cam->mu);
    size_t n = payload_locked(cam);
    cam_unlock(cam);
    return n;
}

bool cam_is_acquiring(cam_camera *cam)
{
    pthread_mutex_lock(&cam->mu);
    bool a = cam->acquiring;
    cam_unlock(cam);
    return a;
}

void cam_set_unthrottled(cam_camera *cam, bool on)
{
    pthread_mutex_lock(&cam->mu);
    uint64_t now = dev_now(cam);
    sim_advance(cam, now);
    sim_set_unthrottled(cam, on, now);
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
}

static struct timespec to_timespec(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    return ts;
}

/* Frames come from the simulated timeline (sim.c): free-run frames are ready one frame period
 * after their exposure start, triggered frames when their readout ends.  The wait sleeps on the
 * condvar until the next scheduled happening (frame ready, pulse-train edge, delayed trigger, ...)
 * or the deadline; writes, simulated pulses and AcquisitionStop wake it at once. */
bool cam_wait_next_frame(cam_camera *cam, uint64_t timeout_ns, cam_frame_tick *tick)
{
    if (!cam || !tick)
        return false;
    uint64_t deadline = mono_ns() + timeout_ns;
    if (deadline < timeout_ns)
        deadline = UINT64_MAX; /* "forever" */
    bool got = false;
    pthread_mutex_lock(&cam->mu);
    for (;;) {
        uint64_t mnow = mono_ns();
        uint64_t now = dev_now(cam);
        sim_advance(cam, now);
        if (!cam->acquiring)
            break;
        if (cam->unthrottled && sim_unthrottled_frame(cam, now, tick)) {
            wiring_outputs(cam, now);
            got = true;
            break;
        }
        if (sim_pop_ready(cam, now, tick)) {
            got = true;
            break;
        }
        if (mnow >= deadline)
            break;
        uint64_t due = sim_next_due(cam);
        uint64_t wake = (due == UINT64_MAX || cam->pause_depth > 0) ? deadline : clock_mono_of_dev(cam, due);
        if (wake > deadline)
            wake = deadline;
        if (cam->wire_notify) { /* wake the cameras this one sent edges before sleeping */
            cam_unlock(cam);
            pthread_mutex_lock(&cam->mu);
            continue;
        }
        struct timespec ts = to_timespec(wake);
        int rc = pthread_cond_timedwait(&cam->cv, &cam->mu, &ts);
        if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
            break;
    }
    if (got && GI(cam, AcquisitionMode) == CAM_ENUM_AcquisitionMode_SingleFrame) {
        sim_acquisition_stop(cam); /* SingleFrame: the camera stops by itself after one frame */
        thermal_replan(cam, dev_now(cam));
    }
    cam_unlock(cam);
    return got;
}

cam_status cam_render_frame(cam_camera *cam, const cam_frame_tick *tick, void *dst, size_t dst_size,
                            cam_frame_info *info)
{
    if (!cam || !tick || !info)
        return CAM_ERR_PARAMETER;
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    img_settings s = settings_locked(cam); /* snapshot; render outside the register lock */
    cam_chunk_cfg cfg = chunks_config_locked(cam);
    cam_frame_rec rec;
    const cam_frame_rec *r = sim_find_rec(cam, tick->frame_id);
    if (r) {
        rec = *r;
        /* the image shows the exposure and gain the frame was taken with (its ChunkExposureTime and
         * ChunkGain), not the registers now: an auto function or a write may have changed them since
         * the exposure started; in TriggerWidth mode the exposure is the measured width */
        if (rec.exposure_us > 0)
            s.exposure_us = rec.exposure_us;
        s.gain_db = rec.gain_db;
        if (rec.seq_on) { /* the frame's sequencer set, not the set active now */
            s.black_level = rec.black_level * 16.0;
            s.offset_x = rec.offset_x;
            s.offset_y = rec.offset_y;
            s.digital_shift = rec.digital_shift;
            s.test_image = rec.test_image;
        }
    } else { /* an old or foreign tick: report the present values */
        memset(&rec, 0, sizeof rec);
        rec.exposure_us = s.exposure_us;
        rec.gain_db = s.gain_db;
        rec.line_status = sim_line_status_all(cam, dev_now(cam));
        rec.counter[0] = cam->counter[0];
        rec.counter[1] = cam->counter[1];
        rec.seq_set = cam->seq_active;
    }
    cam_unlock(cam);

    size_t bytes = img_frame_bytes(&s);
    size_t total = chunks_payload_size(&cfg, bytes);
    info->frame_id = tick->frame_id;
    info->timestamp_ns = tick->timestamp_ns;
    info->width = s.width;
    info->height = s.height;
    info->offset_x = s.offset_x;
    info->offset_y = s.offset_y;
    info->padding_x = 0;
    info->pixel_format = s.pixel_format;
    info->image_size = bytes;
    if (!dst || dst_size < total) {
        info->incomplete = true;
        return CAM_ERR_PARAMETER;
    }
    pthread_mutex_lock(&cam->render_mu);
    prepare_renderer(cam, &s, true); /* a rebuild pauses the device clock: no frame is lost */
    uint64_t r0 = mono_ns();
    img_render(cam->renderer, &s, tick->frame_id, dst);
    uint64_t r1 = mono_ns();
    pthread_mutex_unlock(&cam->render_mu);
    pthread_mutex_lock(&cam->mu);
    cam->render_credit_ns += r1 - r0; /* the consumer was busy with the simulator: excused lateness */
    cam_unlock(cam);
    autofn_after_render(cam, &s, dst);
    info->filled = chunks_write(&cfg, dst, bytes, tick->timestamp_ns, &rec);
    info->contains_chunks = cfg.active;
    info->chunk_payload_size = cfg.active ? info->filled : 0;
    info->incomplete = false;
    return CAM_OK;
}


/* ---------------------------------------------------------------------------------------------
 * Simulated wiring by hand (SimLinePulse, SimLineLevel, SimLinePulseFrequency), events, log
 * ------------------------------------------------------------------------------------------- */
static bool sim_line_ok(unsigned line)
{
    return line == 1 || line == 3 || line == 4;
}

/* An input wired to another camera (SimLineSource Camera) is not driven by hand. */
static bool wired(cam_camera *c, unsigned line)
{
    return c->wire[line].source == CAM_LINE_SOURCE_CAMERA;
}

cam_status cam_sim_line_pulse(cam_camera *cam, unsigned line)
{
    if (!cam)
        return CAM_ERR_PARAMETER;
    if (!sim_line_ok(line))
        return CAM_ERR_VALUE;
    pthread_mutex_lock(&cam->mu);
    if (wired(cam, line)) {
        cam_unlock(cam);
        return CAM_ERR_STATE;
    }
    uint64_t now = dev_now(cam);
    sim_advance(cam, now);
    sim_pulse(cam, line, now);
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
    return CAM_OK;
}

cam_status cam_sim_line_level(cam_camera *cam, unsigned line, bool high)
{
    if (!cam)
        return CAM_ERR_PARAMETER;
    if (!sim_line_ok(line))
        return CAM_ERR_VALUE;
    pthread_mutex_lock(&cam->mu);
    if (wired(cam, line)) {
        cam_unlock(cam);
        return CAM_ERR_STATE;
    }
    uint64_t now = dev_now(cam);
    sim_advance(cam, now);
    if (cam->train_hz[line] > 0)
        sim_train(cam, line, 0, now); /* a held level replaces a pulse train */
    sim_input_edge(cam, line, high, now);
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
    return CAM_OK;
}

cam_status cam_sim_line_pulse_frequency(cam_camera *cam, unsigned line, double hz)
{
    if (!cam)
        return CAM_ERR_PARAMETER;
    if (!sim_line_ok(line) || !isfinite(hz) || hz < 0 || hz > 1e6)
        return CAM_ERR_VALUE;
    pthread_mutex_lock(&cam->mu);
    if (wired(cam, line) && hz > 0) {
        cam_unlock(cam);
        return CAM_ERR_STATE;
    }
    uint64_t now = dev_now(cam);
    sim_advance(cam, now);
    sim_train(cam, line, hz, now);
    sim_advance(cam, now); /* the first rising edge is now */
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
    return CAM_OK;
}

bool cam_sim_get_line_level(cam_camera *cam, unsigned line)
{
    if (!cam || !sim_line_ok(line))
        return false;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    bool v = cam->raw[line];
    cam_unlock(cam);
    return v;
}

double cam_sim_get_line_pulse_frequency(cam_camera *cam, unsigned line)
{
    if (!cam || !sim_line_ok(line))
        return 0.0;
    pthread_mutex_lock(&cam->mu);
    double hz = cam->train_hz[line];
    cam_unlock(cam);
    return hz;
}

uint64_t cam_sim_lost_triggers(cam_camera *cam, unsigned trigger)
{
    if (!cam || trigger > 1)
        return 0;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    uint64_t n = cam->lost[trigger];
    cam_unlock(cam);
    return n;
}

bool cam_wait_event(cam_camera *cam, uint64_t timeout_ns, uint8_t *msg, size_t *len, uint16_t *event_id)
{
    if (!cam)
        return false;
    uint64_t deadline = mono_ns() + timeout_ns;
    if (deadline < timeout_ns)
        deadline = UINT64_MAX;
    bool got = false;
    pthread_mutex_lock(&cam->mu);
    for (;;) {
        uint64_t mnow = mono_ns();
        sim_advance(cam, dev_now(cam));
        if (cam->evq_n) {
            size_t slot = cam->evq_head;
            if (msg)
                memcpy(msg, cam->evq[slot], cam->evq_len[slot]);
            if (len)
                *len = cam->evq_len[slot];
            if (event_id)
                *event_id = cam->evq_id[slot];
            cam->evq_head = (cam->evq_head + 1) % CAM_EVENT_QUEUE_DEPTH;
            cam->evq_n--;
            got = true;
            break;
        }
        if (mnow >= deadline)
            break;
        uint64_t due = sim_next_due(cam);
        uint64_t wake = (due == UINT64_MAX || cam->pause_depth > 0) ? deadline : clock_mono_of_dev(cam, due);
        if (wake > deadline)
            wake = deadline;
        if (cam->wire_notify) { /* wake the cameras this one sent edges before sleeping */
            cam_unlock(cam);
            pthread_mutex_lock(&cam->mu);
            continue;
        }
        struct timespec ts = to_timespec(wake);
        int rc = pthread_cond_timedwait(&cam->cv, &cam->mu, &ts);
        if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
            break;
    }
    cam_unlock(cam);
    return got;
}

size_t cam_event_queue_length(cam_camera *cam)
{
    if (!cam)
        return 0;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    size_t n = cam->evq_n;
    cam_unlock(cam);
    return n;
}

uint64_t cam_events_fired(cam_camera *cam)
{
    if (!cam)
        return 0;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    uint64_t n = cam->ev_fired;
    cam_unlock(cam);
    return n;
}

void cam_flush_events(cam_camera *cam)
{
    if (!cam)
        return;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, dev_now(cam));
    cam->evq_n = 0;
    cam->evq_head = 0;
    cam_unlock(cam);
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
