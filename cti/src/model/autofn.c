/* autofn.c - ExposureAuto / GainAuto.
 *
 * Measurement: after each rendered frame (TestImageSelector Off), the mean pixel value of the
 * brightness region (AutoFunctionROI1 if its UseBrightness is set, else ROI2 if set, else the whole
 * image), clipped to the delivered image, sampled on every 4th column of every 4th row, divided by
 * full scale (255 or 4095) gives the brightness B.
 * Step: the sensor response is linear in ExposureTime x 10^(Gain/20) (below saturation), so the
 * factor f = AutoTargetBrightness / B (limited to 1/16..16, and to at most 0.5 when B >= 0.98, i.e.
 * saturated) gives the product P = ExposureTime x 10^(Gain/20) x f the frame needs.  One auto
 * function alone takes all of P within its limits (AutoExposureTimeLowerLimit..UpperLimit,
 * AutoGainLowerLimit..UpperLimit).  With both on, AutoFunctionProfile decides the split:
 * MinimizeGain keeps the gain at its lower limit and lets the exposure take P, the gain only the
 * rest beyond AutoExposureTimeUpperLimit; MinimizeExposureTime keeps the exposure at its lower
 * limit and lets the gain take P, the exposure only the rest beyond AutoGainUpperLimit.  The split
 * depends only on P and the limits, not on the values the run started from.  A run of Once
 * ends (the feature returns to Off) when |B - target| <= 0.02, when the values cannot move any
 * further, or after 30 frames.  The image is rendered with the exposure and gain its frame was
 * taken with (cam_render_frame, = its chunks); a frame taken before the last step (stale: its
 * values differ from the registers) is not measured, so a step is never applied twice.
 * Converges in 2-3 measured frames on the synthetic scene. */
#include <math.h>
#include <string.h>

#include "camera_internal.h"

#define AUTO_TOLERANCE 0.02
#define AUTO_ONCE_MAX_FRAMES 30

static uint32_t pixel(const img_settings *s, const uint8_t *img, uint32_t x, uint32_t y)
{
    size_t i = (size_t)y * s->width + x;
    switch (s->pixel_format) {
    case PFNC_MONO12:
        return (uint32_t)img[2 * i] | (uint32_t)img[2 * i + 1] << 8;
    case PFNC_MONO12P: {
        const uint8_t *p = img + (i / 2) * 3;
        return (i & 1) ? (uint32_t)(p[1] >> 4) | (uint32_t)p[2] << 4 : (uint32_t)p[0] | (uint32_t)(p[1] & 0xF) << 8;
    }
    default:
        return img[i];
    }
}

static double clampd(double v, double lo, double hi)
{
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    return v < lo ? lo : v > hi ? hi : v;
}

void autofn_after_render(cam_camera *c, const img_settings *s, const uint8_t *img)
{
    pthread_mutex_lock(&c->mu);
    bool ea = GI(c, ExposureAuto) != CAM_ENUM_ExposureAuto_Off &&
              GI(c, ExposureMode) == CAM_ENUM_ExposureMode_Timed;
    bool ga = GI(c, GainAuto) != CAM_ENUM_GainAuto_Off;
    if ((!ea && !ga) || s->test_image != 0) {
        c->auto_once_frames = 0;
        cam_unlock(c);
        return;
    }
    int roi = GIX(c, AutoFunctionROIUseBrightness, 0) ? 0 : GIX(c, AutoFunctionROIUseBrightness, 1) ? 1 : -1;
    uint32_t x0 = 0, y0 = 0, x1 = s->width, y1 = s->height;
    if (roi >= 0) {
        x0 = (uint32_t)GIX(c, AutoFunctionROIOffsetX, roi);
        y0 = (uint32_t)GIX(c, AutoFunctionROIOffsetY, roi);
        x1 = x0 + (uint32_t)GIX(c, AutoFunctionROIWidth, roi);
        y1 = y0 + (uint32_t)GIX(c, AutoFunctionROIHeight, roi);
        if (x1 > s->width)
            x1 = s->width;
        if (y1 > s->height)
            y1 = s->height;
        if (x0 >= x1 || y0 >= y1) /* region outside the image: measure the whole image */
            x0 = 0, y0 = 0, x1 = s->width, y1 = s->height;
    }
    cam_unlock(c);

    double sum = 0;
    size_t n = 0;
    for (uint32_t y = y0; y < y1; y += 4)
        for (uint32_t x = x0; x < x1; x += 4) {
            sum += pixel(s, img, x, y);
            n++;
        }
    double full = s->pixel_format == PFNC_MONO8 ? 255.0 : 4095.0;
    double b = n ? sum / (double)n / full : 0;

    pthread_mutex_lock(&c->mu);
    double target = GF(c, AutoTargetBrightness);
    bool once_e = GI(c, ExposureAuto) == CAM_ENUM_ExposureAuto_Once;
    bool once_g = GI(c, GainAuto) == CAM_ENUM_GainAuto_Once;
    double e = GF(c, ExposureTime), g = GF(c, Gain);
    double e_new = e, g_new = g;
    double elo = fmax(GF(c, AutoExposureTimeLowerLimit), CAM_A_EXPOSURE_MIN_US);
    double ehi = fmin(GF(c, AutoExposureTimeUpperLimit), CAM_A_EXPOSURE_MAX_US);
    double glo = GF(c, AutoGainLowerLimit), ghi = GF(c, AutoGainUpperLimit);
    /* a value outside its (possibly just changed) limits is never "done" */
    bool inside = (!ea || (e >= elo && e <= ehi)) && (!ga || (g >= glo && g <= ghi));
    /* a frame whose exposure started before the last adjustment (s carries the frame's own exposure
     * and gain) says nothing about the present values: no step, and not "done" either */
    bool stale = (ea && fabs(s->exposure_us - e) >= 0.5) || (ga && fabs(s->gain_db - g) > 1e-9);
    bool on_target = fabs(b - target) <= AUTO_TOLERANCE;
    bool done = !stale && inside && on_target;
    /* On target, Continuous still re-splits the product by the profile (f = 1: same brightness), so
     * e.g. a gain left high by an earlier setting comes down under MinimizeGain; a finished Once
     * leaves the values as they are. */
    if (!stale && !(done && (once_e || once_g))) {
        double f = target / (b > 1e-4 ? b : 1e-4);
        f = clampd(f, 1.0 / 16, 16.0);
        if (b >= 0.98 && f > 0.5)
            f = 0.5;
        if (done)
            f = 1.0;
        /* The brightness needs the exposure x gain product P = e * 10^(g/20) * f.  With both auto
         * functions on, the profile's minimised value starts from its lower limit, the other one
         * takes as much of P as its limits allow, and the minimised one takes the rest.  So the
         * split does not depend on where the values started. */
        double p = e * pow(10.0, g / 20.0) * f;
        bool gain_first = GI(c, AutoFunctionProfile) == CAM_ENUM_AutoFunctionProfile_MinimizeExposureTime;
        if (ea && ga && gain_first) {
            g_new = clampd(20.0 * log10(p / elo), glo, ghi);
            e_new = clampd(round(p / pow(10.0, g_new / 20.0)), elo, ehi);
        } else if (ea && ga) {
            e_new = clampd(round(p / pow(10.0, glo / 20.0)), elo, ehi);
            g_new = clampd(20.0 * log10(p / e_new), glo, ghi);
        } else if (ea) {
            e_new = clampd(round(p / pow(10.0, g / 20.0)), elo, ehi);
        } else {
            g_new = clampd(20.0 * log10(p / e), glo, ghi);
        }
        if (fabs(e_new - e) < 0.5)
            e_new = e; /* below the 1 us step (and float noise of the re-split): no change */
        if (fabs(g_new - g) < 1e-6)
            g_new = g;
        if (e_new == e && g_new == g)
            done = true; /* at the limits: nothing more to do */
    }
    bool changed = false;
    if (ea && e_new != e) {
        regmap_set_float(&c->regs, CAM_REG_ExposureTime, 0, e_new);
        changed = true;
    }
    if (ga && g_new != g) {
        regmap_set_float(&c->regs, CAM_REG_Gain, 0, g_new);
        changed = true;
    }
    if (once_e || once_g) {
        if (done || ++c->auto_once_frames >= AUTO_ONCE_MAX_FRAMES) {
            if (once_e)
                SI(c, ExposureAuto, CAM_ENUM_ExposureAuto_Off);
            if (once_g)
                SI(c, GainAuto, CAM_ENUM_GainAuto_Off);
            c->auto_once_frames = 0;
        }
    }
    if (changed)
        sim_after_change(c, cam_dev_now_locked(c));
    pthread_cond_broadcast(&c->cv);
    cam_unlock(c);
}

/* ExposureAuto or GainAuto written: a Once starts counting its frames afresh. */
void autofn_restart(const cam_reg_op *op)
{
    op->c->auto_once_frames = 0;
}

/* A lower limit may not go above its upper limit, nor an upper below its lower. */
cam_status autofn_check_limit(const cam_reg_op *op)
{
    cam_reg_id id = op->id;
    bool lower = id == CAM_REG_AutoExposureTimeLowerLimit || id == CAM_REG_AutoGainLowerLimit;
    cam_reg_id other = id == CAM_REG_AutoExposureTimeLowerLimit   ? CAM_REG_AutoExposureTimeUpperLimit
                       : id == CAM_REG_AutoExposureTimeUpperLimit ? CAM_REG_AutoExposureTimeLowerLimit
                       : id == CAM_REG_AutoGainLowerLimit         ? CAM_REG_AutoGainUpperLimit
                                                                  : CAM_REG_AutoGainLowerLimit;
    double f = op->fvalue;
    double o = regmap_get_float(&op->c->regs, other, 0);
    if (isfinite(f) && (lower ? f > o : f < o)) {
        cam_say(op->why, op->why_len, "%s: %.9g is %s %s %.9g", cam_reg_table[id].name, f,
                lower ? "above" : "below", cam_reg_table[other].name, o);
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}
