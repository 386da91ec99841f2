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

#include "../../generated/camera_regs.h"
#include "image.h"
#include "regmap.h"
#include "timing.h"

extern const uint8_t cam_xml_bytes[];
extern const size_t cam_xml_size;

struct cam_camera {
    pthread_mutex_t mu;     /* guards everything below except the renderer */
    pthread_cond_t cv;      /* signalled on every register write (stop, rate change) */
    cam_regmap regs;
    char serial[32];
    uint64_t t0_ns;         /* CLOCK_MONOTONIC at creation: device clock zero */
    uint64_t seed;          /* noise seed, from the serial */
    bool acquiring;
    bool unthrottled;
    uint64_t frame_id;      /* last frame ID handed out */
    uint64_t next_start_ns; /* CLOCK_MONOTONIC exposure start of the next frame */

    pthread_mutex_t render_mu; /* the renderer is not thread-safe itself */
    img_renderer *renderer;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------------------------------------
 * Register helpers (mutex held)
 * ------------------------------------------------------------------------------------------- */
#define GI(c, id) regmap_get_int(&(c)->regs, CAM_REG_##id, 0)
#define GF(c, id) regmap_get_float(&(c)->regs, CAM_REG_##id, 0)
#define SI(c, id, v) regmap_set_int(&(c)->regs, CAM_REG_##id, 0, (v))

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

static size_t payload_locked(cam_camera *c)
{
    img_settings s = settings_locked(c);
    return img_frame_bytes(&s);
}

static double frame_rate_locked(cam_camera *c)
{
    cam_timing_input in;
    in.sensor_rows = (uint32_t)(GI(c, Height) * GI(c, BinningVertical));
    in.payload_bytes = payload_locked(c);
    in.throughput_limit_on = GI(c, DeviceLinkThroughputLimitMode) == CAM_ENUM_DeviceLinkThroughputLimitMode_On;
    in.throughput_limit_bps = (double)GI(c, DeviceLinkThroughputLimit);
    in.exposure_us = GF(c, ExposureTime);
    in.frame_rate_enable = GI(c, AcquisitionFrameRateEnable) != 0;
    in.frame_rate_hz = GF(c, AcquisitionFrameRate);
    return cam_timing_frame_rate(&in);
}

/* Hook for part 2's first-order thermal model; a constant for now. */
static double temperature_locked(cam_camera *c)
{
    (void)c;
    return CAM_A_TEMPERATURE_C;
}

/* Value of a derived register, as int64 (ints) or double (floats). */
static int64_t derive_int(cam_camera *c, cam_reg_id id)
{
    switch (id) {
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
        return regmap_get_int(&c->regs, id, 0);
    }
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
    c->acquiring = true;
    c->frame_id = 0;
    c->next_start_ns = mono_ns();
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
    if (!c->renderer) {
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
    c->t0_ns = mono_ns();
    return c;
}

void cam_destroy(cam_camera *cam)
{
    if (!cam)
        return;
    img_renderer_destroy(cam->renderer);
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
    pthread_mutex_unlock(&cam->mu);
}

uint64_t cam_now_ns(cam_camera *cam)
{
    return mono_ns() - cam->t0_ns;
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
    if (d->flags & CAM_F_DERIVED) {
        if (d->type == CAM_T_FLOAT)
            regmap_encode_float(derive_float(cam, (cam_reg_id)id), tmp);
        else
            regmap_encode_int(d, derive_int(cam, (cam_reg_id)id), tmp);
        memcpy(buf, tmp, len);
    } else {
        memcpy(buf, regmap_bytes(&cam->regs, (cam_reg_id)id, idx), len);
    }
    pthread_mutex_unlock(&cam->mu);
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

    if (d->type == CAM_T_STRING) {
        cam_status st = regmap_check_string(d, buf, len, why, why_len);
        if (st != CAM_OK)
            return st;
        uint8_t *p = regmap_bytes(&c->regs, (cam_reg_id)id, 0);
        memset(p, 0, d->length);
        memcpy(p, buf, len);
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
        c->acquiring = false;
        return CAM_OK;
    case CAM_REG_TimestampLatch:
        SI(c, TimestampLatchValue, (int64_t)(mono_ns() - c->t0_ns));
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
    pthread_mutex_lock(&cam->mu);
    st = write_locked(cam, id, idx, buf, len, why, why_len);
    if (st == CAM_OK)
        pthread_cond_broadcast(&cam->cv); /* stop, or a new frame period, takes effect now */
    pthread_mutex_unlock(&cam->mu);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Acquisition
 * ------------------------------------------------------------------------------------------- */
size_t cam_payload_size(cam_camera *cam)
{
    pthread_mutex_lock(&cam->mu);
    size_t n = payload_locked(cam);
    pthread_mutex_unlock(&cam->mu);
    return n;
}

bool cam_is_acquiring(cam_camera *cam)
{
    pthread_mutex_lock(&cam->mu);
    bool a = cam->acquiring;
    pthread_mutex_unlock(&cam->mu);
    return a;
}

void cam_set_unthrottled(cam_camera *cam, bool on)
{
    pthread_mutex_lock(&cam->mu);
    cam->unthrottled = on;
    if (!on)
        cam->next_start_ns = mono_ns(); /* resume pacing from now, not from a stale schedule */
    pthread_cond_broadcast(&cam->cv);
    pthread_mutex_unlock(&cam->mu);
}

static struct timespec to_timespec(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    return ts;
}

/* Frames are on an absolute schedule: frame k's exposure starts at next_start, it is delivered one
 * frame period later, and the next exposure starts at next_start + period.  The period is taken
 * from ResultingFrameRate at each frame, so a rate change while streaming applies to the next
 * frame.  A caller more than two periods late finds the sensor has moved on: the frames it missed
 * consume frame IDs (a gap in frame_id) instead of arriving in a burst. */
bool cam_wait_next_frame(cam_camera *cam, uint64_t timeout_ns, cam_frame_tick *tick)
{
    if (!cam || !tick)
        return false;
    uint64_t deadline = mono_ns() + timeout_ns;
    if (deadline < timeout_ns)
        deadline = UINT64_MAX; /* "forever" */
    pthread_mutex_lock(&cam->mu);
    for (;;) {
        if (!cam->acquiring) {
            pthread_mutex_unlock(&cam->mu);
            return false;
        }
        uint64_t now = mono_ns();
        if (cam->unthrottled) {
            cam->next_start_ns = now;
            tick->timestamp_ns = now - cam->t0_ns;
            break;
        }
        uint64_t period = (uint64_t)llround(1e9 / frame_rate_locked(cam));
        if (period == 0)
            period = 1;
        uint64_t due = cam->next_start_ns + period;
        if (now >= due) {
            if (now - due > 2 * period) {
                uint64_t missed = (now - due) / period;
                cam->next_start_ns += missed * period;
                cam->frame_id += missed;
            }
            tick->timestamp_ns = cam->next_start_ns - cam->t0_ns;
            cam->next_start_ns += period;
            break;
        }
        if (now >= deadline) {
            pthread_mutex_unlock(&cam->mu);
            return false;
        }
        struct timespec ts = to_timespec(due < deadline ? due : deadline);
        int rc = pthread_cond_timedwait(&cam->cv, &cam->mu, &ts);
        if (rc != 0 && rc != ETIMEDOUT && rc != EINTR) {
            pthread_mutex_unlock(&cam->mu);
            return false;
        }
    }
    tick->frame_id = ++cam->frame_id;
    if (GI(cam, AcquisitionMode) == CAM_ENUM_AcquisitionMode_SingleFrame)
        cam->acquiring = false; /* SingleFrame: the camera stops by itself after one frame */
    pthread_mutex_unlock(&cam->mu);
    return true;
}

cam_status cam_render_frame(cam_camera *cam, const cam_frame_tick *tick, void *dst, size_t dst_size,
                            cam_frame_info *info)
{
    if (!cam || !tick || !info)
        return CAM_ERR_PARAMETER;
    memset(info, 0, sizeof *info);
    pthread_mutex_lock(&cam->mu);
    img_settings s = settings_locked(cam); /* snapshot; render outside the register lock */
    pthread_mutex_unlock(&cam->mu);

    size_t bytes = img_frame_bytes(&s);
    info->frame_id = tick->frame_id;
    info->timestamp_ns = tick->timestamp_ns;
    info->width = s.width;
    info->height = s.height;
    info->offset_x = s.offset_x;
    info->offset_y = s.offset_y;
    info->padding_x = 0;
    info->pixel_format = s.pixel_format;
    info->image_size = bytes;
    if (!dst || dst_size < bytes) {
        info->incomplete = true;
        return CAM_ERR_PARAMETER;
    }
    pthread_mutex_lock(&cam->render_mu);
    img_render(cam->renderer, &s, tick->frame_id, dst);
    pthread_mutex_unlock(&cam->render_mu);
    info->filled = bytes;
    info->contains_chunks = false;
    info->chunk_payload_size = 0;
    info->incomplete = false;
    return CAM_OK;
}
