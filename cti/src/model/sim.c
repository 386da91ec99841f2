/* sim.c - simulated time of the camera: input lines (inverter, debouncer, pulse trains), triggers
 * and the overlap rule, exposures, frame pacing, counters, Timer1, acquisition status.
 *
 * Time advances lazily: every model entry point calls sim_advance(now), which processes every
 * scheduled happening (a min-heap ordered by time, then by scheduling order) up to now.  Each
 * happening carries its exact, analytically computed time, so timestamps and event order do not
 * depend on when the caller came by; no extra thread is needed.  README "Triggers and timing". */
#include <math.h>
#include <string.h>

#include "camera_internal.h"
#include "timing.h"

/* ---------------------------------------------------------------------------------------------
 * The heap
 * ------------------------------------------------------------------------------------------- */
static bool ev_less(const sim_ev *a, const sim_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(cam_camera *c, uint64_t t, uint8_t type, uint8_t a, uint32_t gen, uint64_t arg)
{
    if (c->heap_n >= SIM_HEAP_MAX)
        return; /* cannot happen with the bounded sources below; drop rather than overflow */
    sim_ev e = {t, c->heap_seq++, arg, gen, type, a};
    size_t i = c->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(&e, &c->heap[p]))
            break;
        c->heap[i] = c->heap[p];
        i = p;
    }
    c->heap[i] = e;
}

static sim_ev pop(cam_camera *c)
{
    sim_ev top = c->heap[0];
    sim_ev last = c->heap[--c->heap_n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const sim_ev *best = &last;
        if (l < c->heap_n && ev_less(&c->heap[l], best)) {
            m = l;
            best = &c->heap[l];
        }
        if (r < c->heap_n && ev_less(&c->heap[r], best))
            m = r;
        if (m == i)
            break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (c->heap_n)
        c->heap[i] = last;
    return top;
}

void sim_schedule_thermal(cam_camera *c, uint64_t t, int level, uint32_t gen)
{
    push(c, t, SIM_THERMAL, (uint8_t)level, gen, 0);
}

uint64_t sim_next_due(cam_camera *c)
{
    return c->heap_n ? c->heap[0].t : UINT64_MAX;
}

/* ---------------------------------------------------------------------------------------------
 * Settings helpers
 * ------------------------------------------------------------------------------------------- */
static uint64_t us_to_ns(double us)
{
    return us <= 0 ? 0 : (uint64_t)llround(us * 1000.0);
}

static bool trig_on(cam_camera *c, int sel)
{
    return GIX(c, TriggerMode, sel) == CAM_ENUM_TriggerMode_On;
}

static uint64_t trig_delay(cam_camera *c, int sel)
{
    return us_to_ns(GFX(c, TriggerDelay, sel));
}

static bool width_mode(cam_camera *c)
{
    int64_t src = GIX(c, TriggerSource, CAM_TRIG_FS);
    return GI(c, ExposureMode) == CAM_ENUM_ExposureMode_TriggerWidth && trig_on(c, CAM_TRIG_FS) &&
           (src == CAM_ENUM_TriggerSource_Line1 || src == CAM_ENUM_TriggerSource_Line3 ||
            src == CAM_ENUM_TriggerSource_Line4);
}

static bool free_run(cam_camera *c)
{
    return !trig_on(c, CAM_TRIG_FS);
}

static bool single_done(cam_camera *c)
{
    return GI(c, AcquisitionMode) == CAM_ENUM_AcquisitionMode_SingleFrame &&
           (c->frame_id >= 1 || c->pending_starts > 0);
}

/* Minimum time between two exposure starts (overlap rule): 1 / ResultingFrameRate without the
 * AcquisitionFrameRate term, i.e. max(readout, transfer, exposure + C_exp). */
static uint64_t min_period_ns(cam_camera *c)
{
    return (uint64_t)llround(1e9 / cam_frame_rate_locked(c, false));
}

static uint64_t free_period_ns(cam_camera *c)
{
    uint64_t p = (uint64_t)llround(1e9 / cam_frame_rate_locked(c, true));
    return p ? p : 1;
}

static uint64_t readout_ns(cam_camera *c)
{
    return us_to_ns(cam_timing_readout_us((uint32_t)(GI(c, Height) * GI(c, BinningVertical))));
}

static bool is_input(cam_camera *c, unsigned line)
{
    return GIX(c, LineMode, line - 1) == CAM_ENUM_LineMode_Input;
}

/* ---------------------------------------------------------------------------------------------
 * Counters and status
 * ------------------------------------------------------------------------------------------- */
static void counter_reset_by(cam_camera *c, int64_t source)
{
    for (int n = 0; n < 2; n++)
        if (GIX(c, CounterResetSource, n) == source)
            c->counter[n] = 0;
}

static void counter_count(cam_camera *c, int64_t event_source, uint64_t t)
{
    for (int n = 0; n < 2; n++) {
        if (GIX(c, CounterEventSource, n) != event_source)
            continue;
        uint32_t dur = (uint32_t)GIX(c, CounterDuration, n);
        if (dur && c->counter[n] >= dur)
            c->counter[n] = 0; /* a counter with a duration runs 1..CounterDuration */
        c->counter[n]++;
        if (dur && c->counter[n] == dur && n == 1) {
            counter_reset_by(c, CAM_ENUM_CounterResetSource_Counter2End);
            seq_signal(c, CAM_ENUM_SequencerTriggerSource_Counter2End, t);
        }
    }
}

void sim_counter_reset(cam_camera *c, int n)
{
    c->counter[n] = 0;
}

static bool frame_trigger_wait(cam_camera *c, uint64_t now)
{
    if (!c->acquiring || !trig_on(c, CAM_TRIG_FS) || c->width_open || single_done(c))
        return false;
    if (trig_on(c, CAM_TRIG_FBS) && c->burst_remaining == 0)
        return false;
    return now + trig_delay(c, CAM_TRIG_FS) >= c->next_allowed_start;
}

static bool burst_trigger_wait(cam_camera *c)
{
    return c->acquiring && trig_on(c, CAM_TRIG_FBS) && c->burst_remaining == 0 && !single_done(c);
}

bool sim_status(cam_camera *c, int which, uint64_t now)
{
    switch (which) {
    case CAM_ENUM_AcquisitionStatusSelector_FrameTriggerWait:
        return frame_trigger_wait(c, now);
    case CAM_ENUM_AcquisitionStatusSelector_FrameBurstTriggerWait:
        return burst_trigger_wait(c);
    case CAM_ENUM_AcquisitionStatusSelector_ExposureActive:
        return c->exposing;
    case CAM_ENUM_AcquisitionStatusSelector_FrameActive:
        return c->frames_active > 0;
    default:
        return false;
    }
}

bool sim_line_status(cam_camera *c, unsigned line, uint64_t now)
{
    if (is_input(c, line))
        return c->sig[line];
    bool v = false;
    switch (GIX(c, LineSource, line - 1)) {
    case CAM_ENUM_LineSource_ExposureActive:
        v = c->exposing;
        break;
    case CAM_ENUM_LineSource_FrameTriggerWait:
        v = frame_trigger_wait(c, now);
        break;
    case CAM_ENUM_LineSource_FrameBurstTriggerWait:
        v = burst_trigger_wait(c);
        break;
    case CAM_ENUM_LineSource_Timer1Active:
        v = c->timer_active;
        break;
    case CAM_ENUM_LineSource_UserOutput1:
        v = GIX(c, UserOutputValue, 0) != 0;
        break;
    case CAM_ENUM_LineSource_UserOutput2:
        v = GIX(c, UserOutputValue, 1) != 0;
        break;
    case CAM_ENUM_LineSource_UserOutput3:
        v = GIX(c, UserOutputValue, 2) != 0;
        break;
    default:
        break;
    }
    return v != (GIX(c, LineInverter, line - 1) != 0);
}

uint32_t sim_line_status_all(cam_camera *c, uint64_t now)
{
    uint32_t m = 0;
    for (unsigned l = 1; l <= 4; l++)
        if (sim_line_status(c, l, now))
            m |= 1u << (l - 1);
    return m;
}

/* ---------------------------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------------------------- */
const cam_frame_rec *sim_find_rec(cam_camera *c, uint64_t id)
{
    const cam_frame_rec *r = &c->rec[id % CAM_REC_RING];
    return r->id == id ? r : NULL;
}

static void make_ready(cam_camera *c, uint64_t id)
{
    if (c->frames_active > 0)
        c->frames_active--;
    if (!c->acquiring)
        return;
    if (c->ready_n == CAM_READY_MAX) { /* nobody collects: the oldest frame is lost */
        c->ready_head = (c->ready_head + 1) % CAM_READY_MAX;
        c->ready_n--;
    }
    c->ready[(c->ready_head + c->ready_n) % CAM_READY_MAX] = id;
    c->ready_n++;
    pthread_cond_broadcast(&c->cv);
}

static void start_exposure(cam_camera *c, uint64_t t, bool width, bool unthrottled);

/* A burst started by a level (LevelHigh/LevelLow) restarts while the level stays active. */
static void trigger_arrive(cam_camera *c, int sel, uint64_t t);

static void burst_done(cam_camera *c, uint64_t t)
{
    event_emit(c, CAM_EVENT_SEL_FrameBurstStartWait, t, 0);
    int64_t act = GIX(c, TriggerActivation, CAM_TRIG_FBS);
    int64_t src = GIX(c, TriggerSource, CAM_TRIG_FBS);
    if ((act == CAM_ENUM_TriggerActivation_LevelHigh || act == CAM_ENUM_TriggerActivation_LevelLow) &&
        src >= 1 && src <= 4) {
        bool active = c->sig[src] == (act == CAM_ENUM_TriggerActivation_LevelHigh);
        if (active)
            trigger_arrive(c, CAM_TRIG_FBS, t);
    }
}

static void start_exposure(cam_camera *c, uint64_t t, bool width, bool unthrottled)
{
    uint64_t id = ++c->frame_id;
    cam_frame_rec *r = &c->rec[id % CAM_REC_RING];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->start_ns = t;
    r->exposure_us = GF(c, ExposureTime);
    r->gain_db = GF(c, Gain);
    r->seq_set = c->seq_active;
    r->seq_on = GI(c, SequencerMode) == CAM_ENUM_SequencerMode_On;
    r->black_level = GF(c, BlackLevel);
    r->offset_x = (uint32_t)GI(c, OffsetX);
    r->offset_y = (uint32_t)GI(c, OffsetY);
    r->digital_shift = (uint32_t)GI(c, DigitalShift);
    r->test_image = (uint32_t)GI(c, TestImageSelector);
    r->triggered = !free_run(c);
    counter_count(c, CAM_ENUM_CounterEventSource_FrameStart, t);
    c->exposing = true;
    c->exposing_id = id;
    c->frames_active++;
    c->last_start = t;
    r->line_status = sim_line_status_all(c, t);
    r->counter[0] = c->counter[0];
    r->counter[1] = c->counter[1];
    event_emit(c, CAM_EVENT_SEL_FrameStart, t, id);
    bool burst = trig_on(c, CAM_TRIG_FBS);
    if (burst && c->burst_remaining > 0)
        c->burst_remaining--;
    if (GI(c, TimerTriggerSource) == CAM_ENUM_TimerTriggerSource_ExposureStart) {
        uint64_t on = t + us_to_ns(GF(c, TimerDelay));
        c->timer_gen++;
        push(c, on, SIM_TIMER_ON, 0, c->timer_gen, 0);
        push(c, on + us_to_ns(GF(c, TimerDuration)), SIM_TIMER_OFF, 0, c->timer_gen, 0);
    }
    if (width) {
        c->width_open = true; /* ends with the inactive trigger edge */
    } else {
        push(c, t + us_to_ns(r->exposure_us), SIM_EXP_END, 0, 0, id);
    }
    c->next_allowed_start = t + min_period_ns(c);
    if (unthrottled) {
        make_ready(c, id);
        seq_signal(c, CAM_ENUM_SequencerTriggerSource_FrameStart, t);
        return;
    }
    if (r->triggered) {
        uint64_t d = trig_delay(c, CAM_TRIG_FS);
        uint64_t w = c->next_allowed_start > d ? c->next_allowed_start - d : 0;
        if (!width)
            push(c, w > t ? w : t, SIM_WAIT, 0, 0, 0);
    } else {
        c->period_gen++;
        c->period_pending = true;
        push(c, t + free_period_ns(c), SIM_PERIOD, 0, c->period_gen, id);
    }
    seq_signal(c, CAM_ENUM_SequencerTriggerSource_FrameStart, t); /* the next frame uses the next set */
}

/* A trigger (after inverter/debouncer for lines) arrives at time t. */
static void trigger_arrive(cam_camera *c, int sel, uint64_t t)
{
    if (!c->acquiring || !trig_on(c, sel))
        return;
    if (sel == CAM_TRIG_FS) {
        counter_count(c, CAM_ENUM_CounterEventSource_FrameTrigger, t);
        if (single_done(c))
            return; /* SingleFrame already has its frame */
        if (faults_in_list(&c->miss_triggers, ++c->frame_triggers))
            return; /* SimFaultMissTriggers: received and counted, but no frame (not an overtrigger) */
        uint64_t start = t + trig_delay(c, CAM_TRIG_FS);
        bool ok = !c->width_open && start >= c->next_allowed_start &&
                  !(trig_on(c, CAM_TRIG_FBS) && c->burst_remaining == 0);
        if (!ok) {
            c->lost[CAM_TRIG_FS]++;
            event_emit(c, CAM_EVENT_SEL_FrameStartOvertrigger, t, c->frame_id);
            return;
        }
        /* reserve the slot now so that a second trigger inside the delay is lost */
        c->next_allowed_start = start + min_period_ns(c);
        c->pending_starts++;
        push(c, start, SIM_START, 0, 0, width_mode(c) ? 1 : 0);
        return;
    }
    /* FrameBurstStart */
    if (c->burst_remaining > 0 || single_done(c)) {
        c->lost[CAM_TRIG_FBS]++;
        event_emit(c, CAM_EVENT_SEL_FrameBurstStartOvertrigger, t, c->frame_id);
        return;
    }
    c->burst_remaining = (uint32_t)GI(c, AcquisitionBurstFrameCount);
    event_emit(c, CAM_EVENT_SEL_FrameBurstStart, t, c->frame_id + 1);
    if (free_run(c) && !c->period_pending && c->pending_starts == 0) {
        uint64_t start = t + trig_delay(c, CAM_TRIG_FBS);
        if (start < c->next_allowed_start)
            start = c->next_allowed_start;
        c->pending_starts++;
        push(c, start, SIM_START, 0, 0, 0);
    } else if (!free_run(c)) {
        event_emit(c, CAM_EVENT_SEL_FrameStartWait, t, 0);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Lines
 * ------------------------------------------------------------------------------------------- */
static bool activation_matches(int64_t act, bool rising)
{
    switch (act) {
    case CAM_ENUM_TriggerActivation_RisingEdge:
    case CAM_ENUM_TriggerActivation_LevelHigh:
        return rising;
    case CAM_ENUM_TriggerActivation_FallingEdge:
    case CAM_ENUM_TriggerActivation_LevelLow:
        return !rising;
    default:
        return true; /* AnyEdge */
    }
}

/* The conditioned (inverted, debounced) input `line` changes to v at time t. */
static void sig_set(cam_camera *c, unsigned line, bool v, uint64_t t)
{
    if (c->sig[line] == v)
        return;
    c->sig[line] = v;
    if (!is_input(c, line))
        return;
    for (int sel = 0; sel < 2; sel++) {
        if (!trig_on(c, sel) || GIX(c, TriggerSource, sel) != (int64_t)line)
            continue;
        int64_t act = GIX(c, TriggerActivation, sel);
        if (sel == CAM_TRIG_FS && width_mode(c)) {
            bool active_high = act != CAM_ENUM_TriggerActivation_FallingEdge &&
                               act != CAM_ENUM_TriggerActivation_LevelLow;
            if (v == active_high) {
                trigger_arrive(c, sel, t);
            } else if (c->width_open || c->pending_starts > 0) {
                /* end of the trigger pulse: the exposure ends delay + C4 later */
                push(c, t + trig_delay(c, CAM_TRIG_FS) + us_to_ns(CAM_A_TRIGGER_WIDTH_OFFSET_US), SIM_EXP_END, 1, 0,
                     c->frame_id + (c->pending_starts > 0 ? 1 : 0));
            }
            continue;
        }
        if (activation_matches(act, v))
            trigger_arrive(c, sel, t);
    }
    if (v) {
        static const int64_t seq_src[5] = {-1, CAM_ENUM_SequencerTriggerSource_Line1, -1,
                                           CAM_ENUM_SequencerTriggerSource_Line3, CAM_ENUM_SequencerTriggerSource_Line4};
        if (seq_src[line] >= 0)
            seq_signal(c, seq_src[line], t); /* before a frame this edge triggers: it uses the new set */
        static const int64_t reset_src[5] = {-1, CAM_ENUM_CounterResetSource_Line1, -1,
                                             CAM_ENUM_CounterResetSource_Line3, CAM_ENUM_CounterResetSource_Line4};
        if (reset_src[line] >= 0)
            counter_reset_by(c, reset_src[line]);
    }
}

void sim_raw_level(cam_camera *c, unsigned line, bool level, uint64_t t)
{
    c->raw[line] = level;
    bool cond = level != (GIX(c, LineInverter, line - 1) != 0);
    uint64_t deb = us_to_ns(GFX(c, LineDebouncerTime, line - 1));
    c->deb_gen[line]++;
    if (deb == 0 || !is_input(c, line))
        sig_set(c, line, cond, t);
    else
        push(c, t + deb, SIM_DEB, (uint8_t)line, c->deb_gen[line], cond ? 1 : 0);
}

void sim_input_edge(cam_camera *c, unsigned line, bool level, uint64_t t)
{
    if (level && !c->raw[line]) {
        c->input_rises[line]++;
        c->dropping[line] = faults_in_list(&c->drop_edges[line], c->input_rises[line]);
        if (c->dropping[line])
            return; /* SimFaultDropEdges: the cable lost this pulse; the input stays low */
    } else if (!level && c->dropping[line]) {
        c->dropping[line] = false; /* the end of the dropped pulse */
        return;
    }
    sim_raw_level(c, line, level, t);
}

void sim_push_wire(cam_camera *c, unsigned line, bool level, uint64_t t)
{
    push(c, t, SIM_WIRE, (uint8_t)line, 0, level ? 1 : 0);
}

void sim_line_changed(cam_camera *c, unsigned line, uint64_t now)
{
    sim_raw_level(c, line, c->raw[line], now);
}

void sim_pulse(cam_camera *c, unsigned line, uint64_t now)
{
    sim_input_edge(c, line, true, now);
    push(c, now + CAM_SIM_PULSE_WIDTH_NS, SIM_FALL, (uint8_t)line, 0, 0);
}

/* Edge k of a train: rising edges at t0 + round(j * 1e9 / hz) (k = 2j), falling edges a pulse width
 * (at most half a period) later. */
static uint64_t train_edge(cam_camera *c, unsigned line, uint64_t k)
{
    double period = 1e9 / c->train_hz[line];
    uint64_t rise = c->train_t0[line] + (uint64_t)llround((double)(k / 2) * period);
    if (k % 2 == 0)
        return rise;
    uint64_t w = CAM_SIM_PULSE_WIDTH_NS;
    if ((double)w > period / 2)
        w = (uint64_t)(period / 2);
    return rise + (w ? w : 1);
}

void sim_train(cam_camera *c, unsigned line, double hz, uint64_t now)
{
    c->train_gen[line]++;
    c->train_hz[line] = hz;
    if (hz <= 0) {
        c->train_hz[line] = 0;
        if (c->raw[line])
            sim_input_edge(c, line, false, now);
        return;
    }
    c->train_t0[line] = now;
    c->train_k[line] = 0;
    push(c, now, SIM_TRAIN, (uint8_t)line, c->train_gen[line], 0);
}

void sim_trigger_software(cam_camera *c, int sel, uint64_t now)
{
    if (GIX(c, TriggerSource, sel) == CAM_ENUM_TriggerSource_Software)
        trigger_arrive(c, sel, now);
}

void sim_software_signal(cam_camera *c, int signal, uint64_t now)
{
    seq_signal(c, CAM_ENUM_SequencerTriggerSource_SoftwareSignal1 + (signal - 1), now);
    for (int sel = 0; sel < 2; sel++)
        if (GIX(c, TriggerSource, sel) == CAM_ENUM_TriggerSource_SoftwareSignal1 + (signal - 1))
            trigger_arrive(c, sel, now);
}

/* ---------------------------------------------------------------------------------------------
 * Processing
 * ------------------------------------------------------------------------------------------- */
static void handle(cam_camera *c, const sim_ev *e)
{
    uint64_t t = e->t;
    switch (e->type) {
    case SIM_TRAIN: {
        if (e->gen != c->train_gen[e->a] || c->train_hz[e->a] <= 0)
            break;
        uint64_t k = c->train_k[e->a]++;
        sim_input_edge(c, e->a, k % 2 == 0, t);
        push(c, train_edge(c, e->a, k + 1), SIM_TRAIN, e->a, e->gen, 0);
        break;
    }
    case SIM_FALL:
        if (c->train_hz[e->a] <= 0)
            sim_input_edge(c, e->a, false, t);
        break;
    case SIM_WIRE:
        if (c->wiring.wire[e->a].source == CAM_LINE_SOURCE_CAMERA)
            sim_input_edge(c, e->a, e->arg != 0, t);
        break;
    case SIM_DEB:
        if (e->gen == c->deb_gen[e->a])
            sig_set(c, e->a, e->arg != 0, t);
        break;
    case SIM_START:
        if (c->pending_starts > 0)
            c->pending_starts--;
        if (c->acquiring)
            start_exposure(c, t, e->arg != 0, false);
        break;
    case SIM_EXP_END: {
        uint64_t id = e->arg;
        if (c->exposing && c->exposing_id == id) {
            c->exposing = false;
            c->width_open = false;
        } else if (e->a == 1 && c->exposing_id != id) {
            break; /* width end for a frame that never started */
        }
        cam_frame_rec *r = &c->rec[id % CAM_REC_RING];
        if (r->id != id)
            break;
        r->exp_end_ns = t;
        if (e->a == 1) /* TriggerWidth: the exposure lasted until now */
            r->exposure_us = (double)(t - r->start_ns) / 1000.0;
        event_emit(c, CAM_EVENT_SEL_ExposureEnd, t, id);
        if (r->triggered) {
            push(c, t + readout_ns(c), SIM_READY, 0, 0, id);
            if (e->a == 1) {
                uint64_t next = t + us_to_ns(CAM_A_EXPOSURE_OVERHEAD_US);
                uint64_t rd = r->start_ns + min_period_ns(c) - us_to_ns(GF(c, ExposureTime)) +
                              us_to_ns(r->exposure_us);
                if (rd > next)
                    next = rd;
                c->next_allowed_start = next;
                uint64_t d = trig_delay(c, CAM_TRIG_FS);
                push(c, next > d + t ? next - d : t, SIM_WAIT, 0, 0, 0);
            }
        }
        break;
    }
    case SIM_READY:
        make_ready(c, e->arg);
        if (trig_on(c, CAM_TRIG_FBS) && c->burst_remaining == 0 && c->frames_active == 0 && c->acquiring &&
            c->pending_starts == 0)
            burst_done(c, t);
        break;
    case SIM_PERIOD: {
        if (e->gen != c->period_gen)
            break;
        c->period_pending = false;
        make_ready(c, e->arg);
        if (!c->acquiring || !free_run(c) || single_done(c) || c->unthrottled)
            break;
        if (trig_on(c, CAM_TRIG_FBS)) {
            if (c->burst_remaining == 0) {
                burst_done(c, t);
                break;
            }
        }
        start_exposure(c, t, false, false);
        break;
    }
    case SIM_TIMER_ON:
        if (e->gen == c->timer_gen)
            c->timer_active = true;
        break;
    case SIM_TIMER_OFF:
        if (e->gen == c->timer_gen)
            c->timer_active = false;
        break;
    case SIM_WAIT:
        if (frame_trigger_wait(c, t))
            event_emit(c, CAM_EVENT_SEL_FrameStartWait, t, 0);
        break;
    case SIM_THERMAL:
        thermal_crossing(c, e->a, e->gen, t);
        break;
    default:
        break;
    }
}

void sim_advance(cam_camera *c, uint64_t now)
{
    /* bound the work per call so a very fast pulse train cannot stall a caller forever */
    unsigned budget = 1000000;
    wiring_drain(c); /* edges wired cameras sent meanwhile, onto this timeline */
    while (c->heap_n && c->heap[0].t <= now && budget--) {
        sim_ev e = pop(c);
        if (e.t > c->sim_now)
            c->sim_now = e.t;
        handle(c, &e);
        wiring_outputs(c, e.t); /* output lines that changed, to the cameras wired to them */
    }
    if (now > c->sim_now)
        c->sim_now = now;
}

void sim_init(cam_camera *c)
{
    c->heap_n = 0;
    for (unsigned l = 1; l <= 4; l++) {
        c->raw[l] = false;
        c->sig[l] = GIX(c, LineInverter, l - 1) != 0;
    }
}

void sim_acquisition_start(cam_camera *c, uint64_t now)
{
    c->frame_id = 0;
    c->frame_triggers = 0;
    for (unsigned l = 0; l < 5; l++) {
        c->input_rises[l] = 0; /* SimFaultDropEdges counts from here */
        c->dropping[l] = false;
    }
    c->render_credit_ns = 0;
    c->lost[0] = c->lost[1] = 0;
    c->burst_remaining = 0;
    c->pending_starts = 0;
    c->width_open = false;
    c->ready_n = 0;
    c->ready_head = 0;
    c->period_gen++;
    c->period_pending = false;
    c->next_allowed_start = now;
    c->acquiring = true;
    seq_mode_on(c); /* every acquisition starts at SequencerSetStart */
    if (trig_on(c, CAM_TRIG_FBS)) {
        burst_done(c, now); /* waiting for the first burst trigger (or a level already active) */
    } else if (free_run(c)) {
        if (!c->unthrottled)
            start_exposure(c, now, false, false);
    } else {
        event_emit(c, CAM_EVENT_SEL_FrameStartWait, now, 0);
    }
}

void sim_acquisition_stop(cam_camera *c)
{
    c->acquiring = false;
    c->period_gen++;
    c->period_pending = false;
    c->ready_n = 0;
    c->burst_remaining = 0;
}

/* Settings changed while acquiring: a free-run frame period is re-planned from the last exposure
 * start (a new rate applies to the frame in progress), and a camera that has just been switched to
 * free run starts exposing. */
void sim_after_change(cam_camera *c, uint64_t now)
{
    if (c->acquiring && !c->unthrottled && free_run(c)) {
        if (c->period_pending) {
            uint64_t due = c->last_start + free_period_ns(c);
            c->period_gen++;
            push(c, due > now ? due : now, SIM_PERIOD, 0, c->period_gen, c->frame_id);
        } else if (c->pending_starts == 0 && !single_done(c) &&
                   (!trig_on(c, CAM_TRIG_FBS) || c->burst_remaining > 0)) {
            uint64_t s = c->next_allowed_start > now ? c->next_allowed_start : now;
            c->pending_starts++;
            push(c, s, SIM_START, 0, 0, 0);
        }
    }
    thermal_replan(c, now);
}

/* ---------------------------------------------------------------------------------------------
 * Delivery
 * ------------------------------------------------------------------------------------------- */
bool sim_pop_ready(cam_camera *c, uint64_t now, cam_frame_tick *tick)
{
    if (c->ready_n == 0)
        return false;
    /* a caller that stayed away (no stream running) finds the sensor has moved on: only the newest
     * frame is still there, the others used up their frame IDs.  "Away" means later than
     * max(2 periods, CAM_LATE_SLACK_NS) beyond the time it spent rendering: a consumer that keeps
     * calling (the adapter's stream thread, even under valgrind) never loses frames this way. */
    uint64_t oldest = c->ready[c->ready_head];
    const cam_frame_rec *r = sim_find_rec(c, oldest);
    if (c->ready_n > 1 && r && !r->triggered) {
        /* Time the consumer spent rendering (cam_render_frame) is the simulator's own cost, not
         * the consumer's fault: it is excused, so a slow render never loses frames.  (Renderer
         * rebuilds do not even count: the device clock is paused meanwhile.) */
        uint64_t p = free_period_ns(c);
        uint64_t ready_t = r->start_ns + p;
        uint64_t slack = 2 * p > CAM_LATE_SLACK_NS ? 2 * p : CAM_LATE_SLACK_NS;
        if (now > ready_t && now - ready_t > slack + c->render_credit_ns) {
            size_t last = (c->ready_head + c->ready_n - 1) % CAM_READY_MAX;
            c->ready_head = last;
            c->ready_n = 1;
        }
    }
    uint64_t id = c->ready[c->ready_head];
    c->ready_head = (c->ready_head + 1) % CAM_READY_MAX;
    c->ready_n--;
    if (c->ready_n == 0)
        c->render_credit_ns = 0; /* caught up */
    r = sim_find_rec(c, id);
    tick->frame_id = id;
    tick->timestamp_ns = r ? r->start_ns : now;
    return true;
}

bool sim_unthrottled_frame(cam_camera *c, uint64_t now, cam_frame_tick *tick)
{
    if (!free_run(c) || single_done(c) || (trig_on(c, CAM_TRIG_FBS) && c->burst_remaining == 0))
        return false;
    c->period_gen++;
    c->period_pending = false;
    start_exposure(c, now, false, true);
    return sim_pop_ready(c, now, tick);
}

static uint64_t shifted(uint64_t t, int64_t delta)
{
    if (delta < 0 && (uint64_t)(-delta) > t)
        return 0;
    return t + (uint64_t)delta;
}

void sim_shift_time(cam_camera *c, int64_t delta)
{
    for (size_t i = 0; i < c->heap_n; i++) /* a uniform shift keeps the heap order */
        c->heap[i].t = shifted(c->heap[i].t, delta);
    for (unsigned l = 0; l < 5; l++)
        c->train_t0[l] = shifted(c->train_t0[l], delta);
    c->sim_now = shifted(c->sim_now, delta);
    c->last_start = shifted(c->last_start, delta);
    c->next_allowed_start = shifted(c->next_allowed_start, delta);
    c->thermal.temp_t = shifted(c->thermal.temp_t, delta);
}

void sim_set_unthrottled(cam_camera *c, bool on, uint64_t now)
{
    if (c->unthrottled == on)
        return;
    c->unthrottled = on;
    c->period_gen++; /* drop the paced schedule */
    if (c->period_pending) {
        c->period_pending = false;
        make_ready(c, c->frame_id); /* the frame already exposing is delivered, not lost */
    }
    c->next_allowed_start = now;
    sim_after_change(c, now); /* back to paced: the schedule resumes from now */
}
