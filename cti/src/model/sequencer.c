/* sequencer.c - the ace USB sequencer (README "Sequencer").
 *
 * A sequencer set holds ExposureTime, Gain, BlackLevel, OffsetX, OffsetY, DigitalShift,
 * TestImageSelector and, per path 0/1, SequencerSetNext and SequencerTriggerSource.  The sets live in
 * the register map as the internal SeqSet* registers (element k = set k; path p of set k = element
 * p * N + k), so user sets and the state file carry them.
 *
 * With SequencerMode On, activating a set writes its values into the working registers (so reads of
 * ExposureTime etc. show the active set and the frame timing follows it); sim.c records the values
 * of every frame at its exposure start, and the frame is rendered and chunked with them.  A path's
 * source firing moves the active set to that path's SequencerSetNext; path 0 is checked first. */
#include <string.h>

#include "camera_internal.h"

#define N_SETS CAM_A_SEQUENCER_SETS

#define SGI(c, id, i) regmap_get_int(&(c)->regs, CAM_REG_##id, (uint32_t)(i))
#define SSI(c, id, i, v) regmap_set_int(&(c)->regs, CAM_REG_##id, (uint32_t)(i), (v))
#define SGF(c, id, i) regmap_get_float(&(c)->regs, CAM_REG_##id, (uint32_t)(i))
#define SSF(c, id, i, v) regmap_set_float(&(c)->regs, CAM_REG_##id, (uint32_t)(i), (v))

static int64_t round_down(int64_t v, int64_t inc)
{
    return v < 0 ? 0 : v / inc * inc;
}

/* Copy set k into the working registers.  Offsets are fitted to the present Width/Height (the
 * ROI size may have changed since the set was saved) and left alone while CenterX/CenterY. */
static void apply_set(cam_camera *c, uint32_t k, bool paths)
{
    SSF(c, ExposureTime, 0, SGF(c, SeqSetExposureTime, k));
    SSF(c, Gain, 0, SGF(c, SeqSetGain, k));
    SSF(c, BlackLevel, 0, SGF(c, SeqSetBlackLevel, k));
    SSI(c, DigitalShift, 0, SGI(c, SeqSetDigitalShift, k));
    SSI(c, TestImageSelector, 0, SGI(c, SeqSetTestImageSelector, k));
    int64_t wmax = roi_width_max_locked(c), hmax = roi_height_max_locked(c);
    if (!GI(c, CenterX)) {
        int64_t ox = SGI(c, SeqSetOffsetX, k), lim = round_down(wmax - GI(c, Width), CAM_A_OFFSET_X_INC);
        SSI(c, OffsetX, 0, ox > lim ? lim : ox);
    }
    if (!GI(c, CenterY)) {
        int64_t oy = SGI(c, SeqSetOffsetY, k), lim = round_down(hmax - GI(c, Height), CAM_A_OFFSET_Y_INC);
        SSI(c, OffsetY, 0, oy > lim ? lim : oy);
    }
    if (paths) {
        for (uint32_t p = 0; p < 2; p++) {
            SSI(c, SequencerSetNext, p, SGI(c, SeqSetNext, p * N_SETS + k));
            SSI(c, SequencerTriggerSource, p, SGI(c, SeqSetTriggerSource, p * N_SETS + k));
        }
    }
    c->seq_active = k;
}

void seq_mode_on(cam_camera *c)
{
    if (GI(c, SequencerMode) == CAM_ENUM_SequencerMode_On)
        apply_set(c, (uint32_t)GI(c, SequencerSetStart), false);
}

void seq_signal(cam_camera *c, int64_t source, uint64_t t)
{
    if (!c->acquiring || GI(c, SequencerMode) != CAM_ENUM_SequencerMode_On)
        return;
    uint32_t k = c->seq_active;
    for (uint32_t p = 0; p < 2; p++) {
        if (SGI(c, SeqSetTriggerSource, p * N_SETS + k) != source)
            continue;
        apply_set(c, (uint32_t)SGI(c, SeqSetNext, p * N_SETS + k), false);
        if (source != CAM_ENUM_SequencerTriggerSource_FrameStart)
            sim_after_change(c, t); /* like a register write: the new exposure applies from the next frame */
        return;
    }
}

static cam_status need_config(cam_camera *c, const char *what, char *why, size_t why_len)
{
    if (GI(c, SequencerConfigurationMode) != CAM_ENUM_SequencerConfigurationMode_On) {
        cam_say(why, why_len, "%s: only while SequencerConfigurationMode is On (set SequencerMode Off, then "
                "SequencerConfigurationMode On)", what);
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

cam_status seq_set_load(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    cam_status st = need_config(c, "SequencerSetLoad", op->why, op->why_len);
    if (st == CAM_OK)
        apply_set(c, (uint32_t)GI(c, SequencerSetSelector), true);
    return st;
}

cam_status seq_set_save(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    cam_status st = need_config(c, "SequencerSetSave", op->why, op->why_len);
    if (st != CAM_OK)
        return st;
    uint32_t k = (uint32_t)GI(c, SequencerSetSelector);
    SSF(c, SeqSetExposureTime, k, GF(c, ExposureTime));
    SSF(c, SeqSetGain, k, GF(c, Gain));
    SSF(c, SeqSetBlackLevel, k, GF(c, BlackLevel));
    SSI(c, SeqSetOffsetX, k, GI(c, OffsetX));
    SSI(c, SeqSetOffsetY, k, GI(c, OffsetY));
    SSI(c, SeqSetDigitalShift, k, GI(c, DigitalShift));
    SSI(c, SeqSetTestImageSelector, k, GI(c, TestImageSelector));
    for (uint32_t p = 0; p < 2; p++) {
        SSI(c, SeqSetNext, p * N_SETS + k, SGI(c, SequencerSetNext, p));
        SSI(c, SeqSetTriggerSource, p * N_SETS + k, SGI(c, SequencerTriggerSource, p));
    }
    return CAM_OK;
}

/* ---------------------------------------------------------------------------------------------
 * The sequencer's registers
 * ------------------------------------------------------------------------------------------- */
int64_t seq_set_active(const cam_reg_op *op)
{
    return op->c->seq_active;
}

cam_status seq_check_mode(const cam_reg_op *op)
{
    if (op->value == CAM_ENUM_SequencerMode_On &&
        GI(op->c, SequencerConfigurationMode) == CAM_ENUM_SequencerConfigurationMode_On) {
        cam_say(op->why, op->why_len,
                "SequencerMode: On is not available while SequencerConfigurationMode is On; "
                "set SequencerConfigurationMode Off first");
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}

/* SequencerMode written: On puts the camera on SequencerSetStart, its values are the working ones. */
void seq_mode_changed(const cam_reg_op *op)
{
    seq_mode_on(op->c);
}

cam_status seq_check_config(const cam_reg_op *op)
{
    if (GI(op->c, SequencerMode) == CAM_ENUM_SequencerMode_On) {
        cam_say(op->why, op->why_len, "SequencerConfigurationMode: read-only while SequencerMode is On; "
                "set SequencerMode Off first");
        return CAM_ERR_ACCESS;
    }
    return CAM_OK;
}

/* The SeqSet* registers are the sets' storage: written by SequencerSetSave (and user sets), never
 * through the register space. */
cam_status seq_check_storage(const cam_reg_op *op)
{
    cam_say(op->why, op->why_len, "%s: internal sequencer set storage; use SequencerSetSave",
            cam_reg_table[op->id].name);
    return CAM_ERR_ACCESS;
}
