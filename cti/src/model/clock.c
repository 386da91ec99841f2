/* clock.c - the device clock.  A real camera counts its own oscillator from power-up: it runs a
 * few to tens of ppm fast or slow against the host's clock, and its zero is whenever it was
 * powered.  Here:
 *     device = offset + elapsed * (1 + drift_ppm * 1e-6)
 * with elapsed = CLOCK_MONOTONIC - t0 (ns since cam_create, t0 moved forward by the simulator's
 * pauses).  The whole simulated timeline (frame periods, trigger delays, exposures,
 * timestamps, events, TimestampLatchValue) runs in device time, so a camera whose clock is 37.5
 * ppm fast also delivers its free-run frames 37.5 ppm fast in host time, as a real one does.
 * Seeded defaults differ per serial (FNV-1a of it, as the noise seed): drift 3..40 ppm either
 * way, offset 2..62 s.  README "Device clocks". */
#include <math.h>
#include <pthread.h>

#include "camera_internal.h"

/* elapsed * k rounded, k = drift * 1e-6: |k| <= 1e-3, so elapsed up to 2^63 stays in range, and a
 * double holds elapsed * k (< 2^53 ns for ~100 days) to the ns. */
static int64_t scaled(uint64_t ns, double k)
{
    return (int64_t)llround((double)ns * k);
}

void clock_init(cam_camera *c)
{
    uint64_t h = c->seed;
    double magnitude = 3.0 + (double)((h >> 8) % 3701u) / 100.0; /* 3.00 .. 40.00 ppm */
    c->clock.drift_ppm = (h >> 40) & 1 ? magnitude : -magnitude;
    c->clock.offset_ns = 2000000000ull + ((h >> 20) % 60000u) * 1000000ull; /* 2 .. 62 s, whole ms */
    c->clock.t0_ns = cam_mono_ns(); /* powered now */
}

uint64_t clock_dev_of_mono(cam_camera *c, uint64_t mono)
{
    uint64_t elapsed = mono > c->clock.t0_ns ? mono - c->clock.t0_ns : 0;
    int64_t d = (int64_t)elapsed + scaled(elapsed, c->clock.drift_ppm * 1e-6);
    return c->clock.offset_ns + (uint64_t)(d > 0 ? d : 0);
}

uint64_t clock_mono_of_dev(cam_camera *c, uint64_t dev)
{
    if (dev <= c->clock.offset_ns)
        return c->clock.t0_ns;
    double k = c->clock.drift_ppm * 1e-6;
    uint64_t x = dev - c->clock.offset_ns;
    /* elapsed = x / (1 + k) = x - x * k / (1 + k); +1 ns so that the rounding never wakes a waiter
     * before the device time it waits for */
    int64_t e = (int64_t)x - scaled(x, k / (1.0 + k)) + 1;
    return c->clock.t0_ns + (uint64_t)(e > 0 ? e : 0);
}

/* The simulator pauses the device clock (clock_pause_begin/end) while it rebuilds the renderer,
 * so that time the simulator itself needs never shows up as camera time: no frame period passes,
 * no frame is lost, and timestamps stay on the camera's exact schedule.  The cost: after a pause
 * the device clock runs behind CLOCK_MONOTONIC by the pause length (cam_now_ns and all timestamps
 * stay consistent with each other). */
uint64_t cam_dev_now_locked(cam_camera *c)
{
    if (c->clock.pause_depth > 0)
        return c->clock.pause_dev;
    return clock_dev_of_mono(c, cam_mono_ns());
}

void clock_pause_begin(cam_camera *c)
{
    if (c->clock.pause_depth++ == 0) {
        sim_advance(c, clock_dev_of_mono(c, cam_mono_ns()));
        c->clock.pause_mono = cam_mono_ns();
        c->clock.pause_dev = clock_dev_of_mono(c, c->clock.pause_mono);
    }
}

void clock_pause_end(cam_camera *c)
{
    if (c->clock.pause_depth > 0 && --c->clock.pause_depth == 0) {
        c->clock.t0_ns += cam_mono_ns() - c->clock.pause_mono;
        pthread_cond_broadcast(&c->cv);
    }
}

/* TimestampLatch: the device time now into TimestampLatchValue. */
cam_status clock_latch(const cam_reg_op *op)
{
    SI(op->c, TimestampLatchValue, (int64_t)cam_dev_now_locked(op->c));
    return CAM_OK;
}

uint64_t cam_now_ns(cam_camera *cam)
{
    if (!cam)
        return 0;
    pthread_mutex_lock(&cam->mu);
    uint64_t t = cam_dev_now_locked(cam);
    cam_unlock(cam);
    return t;
}

cam_status cam_clock_set(cam_camera *cam, double drift_ppm, uint64_t offset_ns, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam)
        return CAM_ERR_PARAMETER;
    if (!isfinite(drift_ppm) || fabs(drift_ppm) > CAM_CLOCK_DRIFT_MAX_PPM) {
        cam_say(why, why_len, "drift %g ppm is outside +-%g ppm", drift_ppm, CAM_CLOCK_DRIFT_MAX_PPM);
        return CAM_ERR_VALUE;
    }
    if (offset_ns > (UINT64_C(1) << 62)) {
        cam_say(why, why_len, "offset %llu ns is above 2^62 ns", (unsigned long long)offset_ns);
        return CAM_ERR_VALUE;
    }
    pthread_mutex_lock(&cam->mu);
    cam_status st = CAM_OK;
    if (cam->acquiring) {
        cam_say(why, why_len, "not while acquiring (the running frame schedule is on the device clock); "
                "stop the acquisition first");
        st = CAM_ERR_STATE;
    } else {
        uint64_t before = cam_dev_now_locked(cam);
        sim_advance(cam, before);
        cam->clock.drift_ppm = drift_ppm;
        cam->clock.offset_ns = offset_ns;
        /* the clock jumps; what is scheduled (pulse-train edges, debouncers, temperature
         * crossings) moves with it, so it still happens when it would have in host time */
        sim_shift_time(cam, (int64_t)(cam_dev_now_locked(cam) - before));
    }
    cam_unlock(cam);
    return st;
}

void cam_clock_get(cam_camera *cam, double *drift_ppm, uint64_t *offset_ns)
{
    if (!cam)
        return;
    pthread_mutex_lock(&cam->mu);
    if (drift_ppm)
        *drift_ppm = cam->clock.drift_ppm;
    if (offset_ns)
        *offset_ns = cam->clock.offset_ns;
    cam_unlock(cam);
}
