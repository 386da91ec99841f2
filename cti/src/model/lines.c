/* lines.c - the registers of the I/O lines (Line1 opto input, Line2 opto output, Line3/Line4
 * GPIO): which feature applies to an input or an output, LineStatus, the user outputs, and the
 * simulation's hand controls of the inputs (SimLinePulse, SimLineLevel, SimLinePulseFrequency).
 * The lines' levels, debouncers and pulse trains live on the simulated timeline (sim.c). */
#include <math.h>

#include "camera_internal.h"

static const char *line_name(uint32_t idx)
{
    static const char *n[4] = {"Line1", "Line2", "Line3", "Line4"};
    return n[idx & 3];
}

static bool is_output(cam_camera *c, uint32_t idx)
{
    return GIX(c, LineMode, idx & 3) == CAM_ENUM_LineMode_Output;
}

/* ---------------------------------------------------------------------------------------------
 * Rules (GenApi sees the same rules through the *LockedExpr swiss knives)
 * ------------------------------------------------------------------------------------------- */
cam_status lines_check_mode(const cam_reg_op *op)
{
    if (op->idx < 2) {
        cam_say(op->why, op->why_len, "LineMode: %s is always an %s", line_name(op->idx),
                op->idx == 0 ? "input" : "output");
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

cam_status lines_check_source(const cam_reg_op *op)
{
    int64_t v = op->value;
    if (!is_output(op->c, op->idx)) {
        cam_say(op->why, op->why_len, "LineSource: %s is an input; set LineMode to Output first",
                line_name(op->idx));
        return CAM_ERR_ACCESS;
    }
    if (v >= CAM_ENUM_LineSource_UserOutput1 && v <= CAM_ENUM_LineSource_UserOutput3 &&
        v - CAM_ENUM_LineSource_UserOutput1 + 1 != (int64_t)op->idx) {
        cam_say(op->why, op->why_len, "LineSource: %s can carry only UserOutput%u, not UserOutput%d",
                line_name(op->idx), (unsigned)op->idx, (int)(v - CAM_ENUM_LineSource_UserOutput1 + 1));
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}

cam_status lines_check_debouncer(const cam_reg_op *op)
{
    if (is_output(op->c, op->idx)) {
        cam_say(op->why, op->why_len, "LineDebouncerTime: %s is an output; the debouncer applies to inputs only",
                line_name(op->idx));
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

cam_status lines_check_min_pulse(const cam_reg_op *op)
{
    if (!is_output(op->c, op->idx)) {
        cam_say(op->why, op->why_len, "LineMinimumOutputPulseWidth: %s is an input; applies to outputs only",
                line_name(op->idx));
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Status, user outputs, changes
 * ------------------------------------------------------------------------------------------- */
int64_t lines_status(const cam_reg_op *op)
{
    return sim_line_status(op->c, op->idx + 1, cam_dev_now_locked(op->c));
}

int64_t lines_status_all(const cam_reg_op *op)
{
    return sim_line_status_all(op->c, cam_dev_now_locked(op->c));
}

/* UserOutputValueAll: bit n = UserOutputValue[UserOutput n] (bit 0 unused). */
int64_t lines_user_outputs(const cam_reg_op *op)
{
    int64_t v = 0;
    for (int i = 0; i < 3; i++)
        if (GIX(op->c, UserOutputValue, i))
            v |= (int64_t)1 << (i + 1);
    return v;
}

cam_status lines_set_user_outputs(const cam_reg_op *op)
{
    for (int i = 0; i < 3; i++)
        regmap_set_int(&op->c->regs, CAM_REG_UserOutputValue, (uint32_t)i, (op->value >> (i + 1)) & 1);
    return CAM_OK;
}

/* LineInverter or LineMode changed: the line's conditioned level follows. */
void lines_changed(const cam_reg_op *op)
{
    sim_line_changed(op->c, op->idx + 1, cam_dev_now_locked(op->c));
}

/* ---------------------------------------------------------------------------------------------
 * The simulation's hand controls of the inputs
 * ------------------------------------------------------------------------------------------- */
static bool sim_line_ok(unsigned line)
{
    return line == 1 || line == 3 || line == 4;
}

/* An input wired to another camera (SimLineSource Camera) is not driven by hand. */
static bool wired(cam_camera *c, unsigned line)
{
    return c->wiring.wire[line].source == CAM_LINE_SOURCE_CAMERA;
}

/* Take cam's lock for a hand control of input `line`, the timeline brought up to *now; refused
 * for a line that is not an input, and, when `refuse_wired`, for one wired to another camera. */
static cam_status lock_input(cam_camera *cam, unsigned line, bool refuse_wired, uint64_t *now)
{
    if (!cam)
        return CAM_ERR_PARAMETER;
    if (!sim_line_ok(line))
        return CAM_ERR_VALUE;
    *now = cam_lock_now(cam);
    if (refuse_wired && wired(cam, line)) {
        cam_unlock(cam);
        return CAM_ERR_STATE;
    }
    return CAM_OK;
}

/* The input changed by hand: waiters see it at once. */
static cam_status unlock_changed(cam_camera *cam)
{
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
    return CAM_OK;
}

cam_status cam_sim_line_pulse(cam_camera *cam, unsigned line)
{
    uint64_t now;
    cam_status st = lock_input(cam, line, true, &now);
    if (st != CAM_OK)
        return st;
    sim_pulse(cam, line, now);
    return unlock_changed(cam);
}

cam_status cam_sim_line_level(cam_camera *cam, unsigned line, bool high)
{
    uint64_t now;
    cam_status st = lock_input(cam, line, true, &now);
    if (st != CAM_OK)
        return st;
    if (cam->train_hz[line] > 0)
        sim_train(cam, line, 0, now); /* a held level replaces a pulse train */
    sim_input_edge(cam, line, high, now);
    return unlock_changed(cam);
}

cam_status cam_sim_line_pulse_frequency(cam_camera *cam, unsigned line, double hz)
{
    if (cam && (!isfinite(hz) || hz < 0 || hz > 1e6))
        return CAM_ERR_VALUE;
    uint64_t now;
    cam_status st = lock_input(cam, line, hz > 0, &now);
    if (st != CAM_OK)
        return st;
    sim_train(cam, line, hz, now);
    sim_advance(cam, now); /* the first rising edge is now */
    return unlock_changed(cam);
}

bool cam_sim_get_line_level(cam_camera *cam, unsigned line)
{
    if (!cam || !sim_line_ok(line))
        return false;
    cam_lock_now(cam);
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
