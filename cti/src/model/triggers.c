/* triggers.c - the registers of triggers and counters: which activation a trigger may use, and
 * the commands that fire software triggers and signals or reset a counter.  What a trigger does
 * happens on the simulated timeline, whose state sim.c owns. */
#include "camera_internal.h"

cam_status trig_check_activation(const cam_reg_op *op)
{
    int64_t v = op->value;
    bool level = v == CAM_ENUM_TriggerActivation_LevelHigh || v == CAM_ENUM_TriggerActivation_LevelLow;
    if (op->idx == CAM_TRIG_FS && level) {
        cam_say(op->why, op->why_len,
                "TriggerActivation: %s is only available for TriggerSelector FrameBurstStart",
                v == CAM_ENUM_TriggerActivation_LevelHigh ? "LevelHigh" : "LevelLow");
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}

cam_status trig_software(const cam_reg_op *op)
{
    sim_trigger_software(op->c, (int)op->idx, cam_dev_now_locked(op->c));
    return CAM_OK;
}

cam_status trig_software_signal(const cam_reg_op *op)
{
    sim_software_signal(op->c, (int)op->idx + 1, cam_dev_now_locked(op->c));
    return CAM_OK;
}

cam_status trig_counter_reset(const cam_reg_op *op)
{
    sim_counter_reset(op->c, (int)op->idx);
    return CAM_OK;
}

uint64_t cam_sim_lost_triggers(cam_camera *cam, unsigned trigger)
{
    if (!cam || trigger > 1)
        return 0;
    cam_lock_now(cam);
    uint64_t n = cam->lost[trigger];
    cam_unlock(cam);
    return n;
}
