/* thermal.c - DeviceTemperature as a first-order system:
 *   dT/dt = (T_ss - T) / tau,  T_ss = T_idle + RISE * rate / USB_CEILING
 * where rate is DeviceLinkCurrentThroughput while acquiring and 0 otherwise.  Between changes of
 * the rate the solution is exact: T(t) = T_ss + (T(t0) - T_ss) * exp(-(t - t0) / tau), so the time
 * a threshold is crossed is computed analytically and scheduled on the simulated timeline
 * (CriticalTemperature / OverTemperature events carry that exact time).
 * Constants: T_idle CAM_A_TEMPERATURE_C, RISE CAM_A_THERMAL_RISE_C, tau CAM_A_THERMAL_TAU_S;
 * ACE_SIM_THERMAL_TAU_S and ACE_SIM_THERMAL_RISE_C override the last two (tests). */
#include <math.h>
#include <stdlib.h>

#include "camera_internal.h"

static double env_double(const char *name, double def, double min)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    double v = strtod(s, &end);
    return (*end == 0 && isfinite(v) && v >= min) ? v : def;
}

void thermal_init(cam_camera *c)
{
    c->tau_s = env_double("ACE_SIM_THERMAL_TAU_S", CAM_A_THERMAL_TAU_S, 1e-3);
    c->rise_c = env_double("ACE_SIM_THERMAL_RISE_C", CAM_A_THERMAL_RISE_C, 0.0);
    c->temp_c = CAM_A_TEMPERATURE_C;
    c->temp_t = 0;
    c->temp_thr = 0;
}

static double steady(cam_camera *c, double thr)
{
    return CAM_A_TEMPERATURE_C + c->rise_c * thr / (double)CAM_A_USB_CEILING_BPS;
}

double thermal_temp(cam_camera *c, uint64_t now)
{
    if (now <= c->temp_t)
        return c->temp_c;
    double ss = steady(c, c->temp_thr);
    return ss + (c->temp_c - ss) * exp(-(double)(now - c->temp_t) * 1e-9 / c->tau_s);
}

void thermal_replan(cam_camera *c, uint64_t now)
{
    double thr = c->acquiring ? cam_throughput_locked(c) : 0.0;
    if (thr == c->temp_thr && c->temp_t != 0)
        return;
    c->temp_c = thermal_temp(c, now);
    c->temp_t = now;
    c->temp_thr = thr;
    c->thermal_gen++;
    double ss = steady(c, thr);
    static const double limits[2] = {CAM_A_TEMPERATURE_CRITICAL_C, CAM_A_TEMPERATURE_ERROR_C};
    for (int level = 0; level < 2; level++) {
        double lim = limits[level];
        if (c->temp_c < lim && ss > lim) {
            double dt = c->tau_s * log((c->temp_c - ss) / (lim - ss));
            uint64_t t = now + (uint64_t)llround(dt * 1e9);
            /* scheduled on sim.c's timeline */
            sim_schedule_thermal(c, t, level, c->thermal_gen);
        }
    }
}

void thermal_crossing(cam_camera *c, int level, uint32_t gen, uint64_t t)
{
    if (gen != c->thermal_gen)
        return;
    event_emit(c, level == 0 ? CAM_EVENT_SEL_CriticalTemperature : CAM_EVENT_SEL_OverTemperature, t, 0);
}
