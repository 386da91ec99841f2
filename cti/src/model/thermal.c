/* thermal.c - DeviceTemperature as a first-order system:
 *   dT/dt = (T_ss - T) / tau,  T_ss = T_idle + RISE * rate / USB_CEILING
 * where rate is DeviceLinkCurrentThroughput while acquiring and 0 otherwise.  Between changes of
 * the rate the solution is exact: T(t) = T_ss + (T(t0) - T_ss) * exp(-(t - t0) / tau), so the time
 * a threshold is crossed is computed analytically and scheduled on the simulated timeline
 * (CriticalTemperature / OverTemperature events carry that exact time).
 * Constants: T_idle CAM_A_TEMPERATURE_C, RISE CAM_A_THERMAL_RISE_C, tau CAM_A_THERMAL_TAU_S;
 * ACE_SIM_THERMAL_TAU_S and ACE_SIM_THERMAL_RISE_C override the last two (tests).
 * DeviceTemperature and TemperatureState read the model at the device time of the read. */
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
    c->thermal.tau_s = env_double("ACE_SIM_THERMAL_TAU_S", CAM_A_THERMAL_TAU_S, 1e-3);
    c->thermal.rise_c = env_double("ACE_SIM_THERMAL_RISE_C", CAM_A_THERMAL_RISE_C, 0.0);
    c->thermal.temp_c = CAM_A_TEMPERATURE_C;
    c->thermal.temp_t = clock_dev_of_mono(c, c->clock.t0_ns); /* power-up */
    c->thermal.thr = 0;
}

static double steady(cam_camera *c, double thr)
{
    return CAM_A_TEMPERATURE_C + c->thermal.rise_c * thr / (double)CAM_A_USB_CEILING_BPS;
}

double thermal_temp(cam_camera *c, uint64_t now)
{
    if (now <= c->thermal.temp_t)
        return c->thermal.temp_c;
    double ss = steady(c, c->thermal.thr);
    return ss + (c->thermal.temp_c - ss) * exp(-(double)(now - c->thermal.temp_t) * 1e-9 / c->thermal.tau_s);
}

void thermal_replan(cam_camera *c, uint64_t now)
{
    double thr = c->acquiring ? cam_throughput_locked(c) : 0.0;
    if (thr == c->thermal.thr && c->thermal.temp_t != 0)
        return;
    c->thermal.temp_c = thermal_temp(c, now);
    c->thermal.temp_t = now;
    c->thermal.thr = thr;
    c->thermal.gen++;
    double ss = steady(c, thr);
    static const double limits[2] = {CAM_A_TEMPERATURE_CRITICAL_C, CAM_A_TEMPERATURE_ERROR_C};
    for (int level = 0; level < 2; level++) {
        double lim = limits[level];
        if (c->thermal.temp_c < lim && ss > lim) {
            double dt = c->thermal.tau_s * log((c->thermal.temp_c - ss) / (lim - ss));
            uint64_t t = now + (uint64_t)llround(dt * 1e9);
            /* scheduled on sim.c's timeline */
            sim_schedule_thermal(c, t, level, c->thermal.gen);
        }
    }
}

void thermal_crossing(cam_camera *c, int level, uint32_t gen, uint64_t t)
{
    if (gen != c->thermal.gen)
        return;
    event_emit(c, level == 0 ? CAM_EVENT_SEL_CriticalTemperature : CAM_EVENT_SEL_OverTemperature, t, 0);
}

double thermal_temperature(const cam_reg_op *op)
{
    return thermal_temp(op->c, cam_dev_now_locked(op->c));
}

int64_t thermal_state(const cam_reg_op *op)
{
    double t = thermal_temperature(op);
    if (t >= CAM_A_TEMPERATURE_ERROR_C)
        return CAM_ENUM_TemperatureState_Error;
    if (t >= CAM_A_TEMPERATURE_CRITICAL_C)
        return CAM_ENUM_TemperatureState_Critical;
    return CAM_ENUM_TemperatureState_Ok;
}
