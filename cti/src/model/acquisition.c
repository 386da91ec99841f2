/* acquisition.c - AcquisitionStart/Stop and what the frames need: the frame rate and readout
 * (timing.c's formulas on the registers), the data rate, AcquisitionStatus, and the adapter's
 * stream-thread entry points: waiting for the next frame of the simulated timeline (sim.c) and
 * rendering it with the settings it was taken with (the renderer runs outside c->mu). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "camera_internal.h"
#include "timing.h"

img_settings cam_settings_locked(cam_camera *c)
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
    img_settings s = cam_settings_locked(c);
    return img_frame_bytes(&s);
}

static uint32_t sensor_rows(cam_camera *c)
{
    return (uint32_t)(GI(c, Height) * GI(c, BinningVertical));
}

double cam_frame_rate_locked(cam_camera *c, bool with_afr)
{
    cam_timing_input in;
    in.sensor_rows = sensor_rows(c);
    in.payload_bytes = cam_payload_locked(c);
    in.throughput_limit_on = GI(c, DeviceLinkThroughputLimitMode) == CAM_ENUM_DeviceLinkThroughputLimitMode_On;
    in.throughput_limit_bps = (double)GI(c, DeviceLinkThroughputLimit);
    in.exposure_us = GF(c, ExposureTime);
    in.frame_rate_enable = with_afr && GI(c, AcquisitionFrameRateEnable) != 0;
    in.frame_rate_hz = GF(c, AcquisitionFrameRate);
    return cam_timing_frame_rate(&in);
}

double cam_throughput_locked(cam_camera *c)
{
    return (double)cam_payload_locked(c) * cam_frame_rate_locked(c, true);
}

/* ---------------------------------------------------------------------------------------------
 * Registers
 * ------------------------------------------------------------------------------------------- */
double acq_frame_rate(const cam_reg_op *op)
{
    return cam_frame_rate_locked(op->c, true);
}

double acq_readout_time(const cam_reg_op *op)
{
    return cam_timing_readout_us(sensor_rows(op->c));
}

int64_t acq_throughput(const cam_reg_op *op)
{
    return (int64_t)llround(cam_throughput_locked(op->c));
}

int64_t acq_status(const cam_reg_op *op)
{
    return sim_status(op->c, (int)op->idx, cam_dev_now_locked(op->c));
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
        clock_pause_begin(c);
        cam_unlock(c);
    }
    img_prepare(c->renderer, s);
    if (pause) {
        pthread_mutex_lock(&c->mu);
        clock_pause_end(c);
        cam_unlock(c);
    }
}

/* Like a real camera starting up, AcquisitionStart takes the time the renderer needs for the
 * current settings (noise bank: ~0.3 s at full resolution) BEFORE the frame schedule begins, so
 * the first frames are not late. */
void acq_prepare(cam_camera *c)
{
    pthread_mutex_lock(&c->mu);
    bool run = !c->acquiring;
    img_settings s = cam_settings_locked(c);
    cam_unlock(c);
    if (run) {
        pthread_mutex_lock(&c->render_mu);
        prepare_renderer(c, &s, false);
        pthread_mutex_unlock(&c->render_mu);
    }
}

cam_status acq_start(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    if (c->acquiring)
        return CAM_OK; /* a second start while running is harmless, as on the camera */
    sim_acquisition_start(c, c->sim_now); /* = the write's time (cam_write advanced to it): the first
                                             * exposure starts exactly when the output says so */
    return CAM_OK;
}

cam_status acq_stop(const cam_reg_op *op)
{
    sim_acquisition_stop(op->c);
    return CAM_OK;
}

/* ---------------------------------------------------------------------------------------------
 * The adapter's stream thread
 * ------------------------------------------------------------------------------------------- */
size_t cam_payload_size(cam_camera *cam)
{
    pthread_mutex_lock(&cam->mu);
    size_t n = cam_payload_locked(cam);
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
    uint64_t now = cam_lock_now(cam);
    sim_set_unthrottled(cam, on, now);
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
}

/* Frames come from the simulated timeline (sim.c): free-run frames are ready one frame period
 * after their exposure start, triggered frames when their readout ends.  The wait sleeps on the
 * condvar until the next scheduled happening (frame ready, pulse-train edge, delayed trigger, ...)
 * or the deadline; writes, simulated pulses and AcquisitionStop wake it at once. */
static cam_wait_result take_frame(cam_camera *c, uint64_t now, void *tick)
{
    if (!c->acquiring)
        return CAM_WAIT_STOP;
    bool got;
    if (c->unthrottled && sim_unthrottled_frame(c, now, tick)) {
        wiring_outputs(c, now);
        got = true;
    } else {
        got = sim_pop_ready(c, now, tick);
    }
    if (!got)
        return CAM_WAIT_ON;
    if (GI(c, AcquisitionMode) == CAM_ENUM_AcquisitionMode_SingleFrame) {
        sim_acquisition_stop(c); /* SingleFrame: the camera stops by itself after one frame */
        thermal_replan(c, cam_dev_now_locked(c));
    }
    return CAM_WAIT_GOT;
}

bool cam_wait_next_frame(cam_camera *cam, uint64_t timeout_ns, cam_frame_tick *tick)
{
    return cam && tick && cam_wait(cam, timeout_ns, take_frame, tick);
}

/* The settings and record of the frame `tick` under c->mu: the image shows the exposure and gain
 * the frame was taken with (its ChunkExposureTime and ChunkGain), not the registers now: an auto
 * function or a write may have changed them since the exposure started; in TriggerWidth mode the
 * exposure is the measured width. */
static void frame_settings_locked(cam_camera *c, const cam_frame_tick *tick, img_settings *s, cam_frame_rec *rec)
{
    *s = cam_settings_locked(c);
    const cam_frame_rec *r = sim_find_rec(c, tick->frame_id);
    if (!r) { /* an old or foreign tick: report the present values */
        memset(rec, 0, sizeof *rec);
        rec->exposure_us = s->exposure_us;
        rec->gain_db = s->gain_db;
        rec->line_status = sim_line_status_all(c, cam_dev_now_locked(c));
        rec->counter[0] = c->counter[0];
        rec->counter[1] = c->counter[1];
        rec->seq_set = c->seq_active;
        return;
    }
    *rec = *r;
    if (rec->exposure_us > 0)
        s->exposure_us = rec->exposure_us;
    s->gain_db = rec->gain_db;
    if (rec->seq_on) { /* the frame's sequencer set, not the set active now */
        s->black_level = rec->black_level * 16.0;
        s->offset_x = rec->offset_x;
        s->offset_y = rec->offset_y;
        s->digital_shift = rec->digital_shift;
        s->test_image = rec->test_image;
    }
}

cam_status cam_render_frame(cam_camera *cam, const cam_frame_tick *tick, void *dst, size_t dst_size,
                            cam_frame_info *info)
{
    if (!cam || !tick || !info)
        return CAM_ERR_PARAMETER;
    memset(info, 0, sizeof *info);
    cam_lock_now(cam);
    img_settings s; /* snapshot; render outside the register lock */
    cam_frame_rec rec;
    frame_settings_locked(cam, tick, &s, &rec);
    cam_chunk_cfg cfg = chunks_config_locked(cam);
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
    uint64_t r0 = cam_mono_ns();
    img_render(cam->renderer, &s, tick->frame_id, dst);
    uint64_t r1 = cam_mono_ns();
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
