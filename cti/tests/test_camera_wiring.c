/* test_camera_wiring.c - unit test of the model's device clock, of cameras wired to each other
 * (edge propagation with the cable delay, the receiver's debouncer), of SimFaultDropEdges and
 * SimFaultMissTriggers.  Same conventions as test_camera_model.c: "N passed, M failed", non-zero
 * exit on failure.  Simulated times are checked to the ns where they are exact; host-clock
 * comparisons have margins of tens of us (scheduling). */
#include "model_test_support.h"

static uint64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_clock(void)
{
    cam_camera *a = small_cam("30000101"), *b = small_cam("30000102");
    double da = 0, db = 0;
    uint64_t oa = 0, ob = 0;
    cam_clock_get(a, &da, &oa);
    cam_clock_get(b, &db, &ob);
    CHECK(fabs(da) >= 3 && fabs(da) <= 40 && fabs(db) >= 3 && fabs(db) <= 40, "seeded drifts %g %g ppm", da, db);
    CHECK(oa >= 2000000000ull && oa <= 62000000000ull && ob >= 2000000000ull && ob <= 62000000000ull,
          "seeded offsets %" PRIu64 " %" PRIu64, oa, ob);
    CHECK(da != db && oa != ob, "every serial has its own clock");
    CHECK(cam_now_ns(a) >= oa, "the device clock starts at its offset");

    /* device time = offset + elapsed * (1 + drift): 1000 ppm is 200 us over 200 ms */
    CHECK(cam_clock_set(a, 1000.0, 7000000000ull, why, sizeof why) == CAM_OK, "%s", why);
    CHECK(cam_clock_set(a, 1000.5, 0, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "ppm"), "%s", why);
    CHECK(cam_clock_set(a, NAN, 0, why, sizeof why) == CAM_ERR_VALUE, "NaN drift");
    cam_clock_get(a, &da, &oa);
    CHECK(da == 1000.0 && oa == 7000000000ull, "read back %g %" PRIu64, da, oa);
    uint64_t m0 = mono(), d0 = cam_now_ns(a), m0b = mono();
    sleep_ms(200);
    uint64_t m1 = mono(), d1 = cam_now_ns(a), m1b = mono();
    double host = ((double)m1 + (double)m1b) / 2 - ((double)m0 + (double)m0b) / 2;
    double rate = (double)(d1 - d0) / host;
    CHECK(fabs(rate - 1.001) < 2e-5, "device clock rate %.7f, expected 1.001", rate);
    /* TimestampLatch latches the same clock */
    uint64_t before = cam_now_ns(a);
    CHECK(w4(a, CAM_ADDR_TimestampLatch, 1) == CAM_OK, "%s", why);
    uint64_t latched = (uint64_t)rn(a, CAM_ADDR_TimestampLatchValue, 8), after = cam_now_ns(a);
    CHECK(latched >= before && latched <= after, "latch %" PRIu64 " in [%" PRIu64 ", %" PRIu64 "]", latched, before,
          after);

    /* the free-run schedule runs on the device clock: timestamps exactly one period apart */
    w4(a, CAM_ADDR_AcquisitionFrameRateEnable, 1);
    wf(a, CAM_ADDR_AcquisitionFrameRate, 200.0);
    wf(a, CAM_ADDR_ExposureTime, 1000.0);
    w4(a, CAM_ADDR_AcquisitionStart, 1);
    CHECK(cam_clock_set(a, 5.0, 0, why, sizeof why) == CAM_ERR_STATE && has_text(why, "acquiring"), "%s", why);
    cam_frame_tick t;
    uint64_t prev = 0, m_first = 0, m_last = 0;
    bool exact = true;
    for (int i = 0; i < 20; i++) {
        CHECK(cam_wait_next_frame(a, 1000000000ull, &t), "frame %d", i);
        if (i == 0)
            m_first = mono();
        m_last = mono();
        if (prev && t.timestamp_ns - prev != 5000000ull)
            exact = false;
        prev = t.timestamp_ns;
    }
    CHECK(exact, "device timestamps 5 ms apart");
    /* 19 periods of 5 ms device time last 95 ms / 1.001 of host time (within scheduling) */
    CHECK(fabs((double)(m_last - m_first) - 95e6 / 1.001) < 3e6, "host span %" PRIu64, m_last - m_first);
    w4(a, CAM_ADDR_AcquisitionStop, 1);
    CHECK(cam_clock_set(a, -37.5, 123, why, sizeof why) == CAM_OK, "%s", why);
    CHECK(cam_now_ns(a) >= 123, "clock set again when stopped");
    cam_destroy(a);
    cam_destroy(b);
}

/* Source: free run at `hz` (a run stops it within a period of its last frame, else one more
 * exposure triggers the receiver) with Line2 ExposureActive.  Receiver: FrameStart on Line1 from it. */
static void wire(cam_camera *r, const char *source, double delay_us)
{
    cam_wire w;
    CHECK(cam_sim_get_wire(r, 1, &w) == CAM_OK && w.source == CAM_LINE_SOURCE_OFF && w.line == 2 &&
              w.delay_us == 1.0 && !w.camera[0],
          "defaults");
    w.source = CAM_LINE_SOURCE_CAMERA;
    snprintf(w.camera, sizeof w.camera, "%s", source);
    w.line = 2;
    w.delay_us = delay_us;
    CHECK(cam_sim_set_wire(r, 1, &w, why, sizeof why) == CAM_OK, "%s", why);
}

static void source_free_run(cam_camera *s, double hz)
{
    w4(s, CAM_ADDR_AcquisitionFrameRateEnable, 1);
    wf(s, CAM_ADDR_AcquisitionFrameRate, hz);
    wf(s, CAM_ADDR_ExposureTime, 1000.0);
    CHECK(r4(s, CAM_ADDR_LineSource + 4) == CAM_ENUM_LineSource_ExposureActive, "Line2 ExposureActive");
}

static void receiver_on_line1(cam_camera *r)
{
    wf(r, CAM_ADDR_ExposureTime, 1000.0);
    trigger(r, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Line1);
    w4(r, CAM_ADDR_CounterEventSource, CAM_ENUM_CounterEventSource_FrameTrigger);
    w4(r, CAM_ADDR_ChunkModeActive, 1);
    w4(r, CAM_ADDR_ChunkEnable + 4 * CAM_ENUM_ChunkSelector_CounterValue, 1);
}

/* Counter1 of a frame, from its CounterValue chunk. */
static uint32_t frame_counter(cam_camera *c, const cam_frame_tick *t)
{
    size_t ps = cam_payload_size(c);
    uint8_t *buf = malloc(ps);
    cam_frame_info info;
    uint32_t v = UINT32_MAX;
    if (buf && cam_render_frame(c, t, buf, ps, &info) == CAM_OK) {
        size_t end = info.filled;
        while (end >= 8) {
            uint32_t id = (uint32_t)le(buf + end - 8, 4), len = (uint32_t)le(buf + end - 4, 4);
            if (len > end - 8)
                break;
            if (id == CAM_CHUNK_ID_CounterValue)
                v = (uint32_t)le(buf + end - 8 - len, 4);
            end -= 8 + len;
        }
    }
    free(buf);
    return v;
}

/* Run the source for `n` frames and collect the receiver's frames (timestamps, counters).  The
 * frames are rendered (for their counter chunk) after the run: a renderer rebuild mid-run pauses
 * the receiver's clock (README "Timing model"), which would move its later timestamps. */
static int run(cam_camera *s, cam_camera *r, int n, uint64_t *src_ts, uint64_t *rcv_ts, uint32_t *rcv_counter,
               int max)
{
    cam_frame_tick t, ticks[64];
    int got = 0;
    if (max > 64)
        max = 64;
    w4(r, CAM_ADDR_CounterReset, 1); /* Counter1 counts this run's triggers */
    w4(r, CAM_ADDR_AcquisitionStart, 1); /* the follower is armed first */
    w4(s, CAM_ADDR_AcquisitionStart, 1);
    for (int i = 0; i < n; i++) {
        CHECK(cam_wait_next_frame(s, 1000000000ull, &t), "source frame %d", i);
        src_ts[i] = t.timestamp_ns;
        while (got < max && cam_wait_next_frame(r, 0, &ticks[got]))
            got++;
    }
    w4(s, CAM_ADDR_AcquisitionStop, 1);
    /* the source's next exposure started as its last frame was delivered: that trigger too */
    while (got < max && cam_wait_next_frame(r, 50000000ull, &ticks[got]))
        got++;
    w4(r, CAM_ADDR_AcquisitionStop, 1);
    for (int i = 0; i < got; i++) {
        rcv_ts[i] = ticks[i].timestamp_ns;
        rcv_counter[i] = frame_counter(r, &ticks[i]);
    }
    return got;
}

static void test_wiring(void)
{
    cam_camera *s = small_cam("30000201"), *r = small_cam("30000202");
    /* both clocks at rest, offsets known: device times compare through the host clock */
    cam_clock_set(s, 0.0, 10000000000ull, why, sizeof why);
    cam_clock_set(r, 0.0, 10000000000ull, why, sizeof why);
    uint64_t d0 = cam_now_ns(s), m0 = cam_now_ns(r), d1 = cam_now_ns(s);
    int64_t r_minus_s = (int64_t)m0 - (int64_t)((d0 + d1) / 2); /* receiver clock - source clock */
    source_free_run(s, 50.0); /* 20 ms: the test stops it well inside a period */
    receiver_on_line1(r);

    cam_wire bad = {CAM_LINE_SOURCE_CAMERA, "99999999", 2, 1.0};
    CHECK(cam_sim_set_wire(r, 1, &bad, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "99999999"), "%s", why);
    bad = (cam_wire){CAM_LINE_SOURCE_CAMERA, "30000201", 1, 1.0};
    CHECK(cam_sim_set_wire(r, 1, &bad, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "output"), "%s", why);
    bad = (cam_wire){CAM_LINE_SOURCE_CAMERA, "30000201", 2, NAN};
    CHECK(cam_sim_set_wire(r, 1, &bad, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "delay"), "%s", why);
    CHECK(cam_sim_set_wire(r, 2, &bad, why, sizeof why) == CAM_ERR_VALUE && has_text(why, "input"), "%s", why);
    wire(r, "30000201", 25.0);
    CHECK(cam_sim_line_pulse(r, 1) == CAM_ERR_STATE, "a wired input is not pulsed by hand");
    CHECK(cam_sim_line_level(r, 1, true) == CAM_ERR_STATE, "nor held");
    CHECK(cam_sim_line_pulse_frequency(r, 1, 10.0) == CAM_ERR_STATE, "nor given a pulse train");

    enum { N = 12 };
    uint64_t st[N], rt[N + 4];
    uint32_t rc[N + 4];
    int got = run(s, r, N, st, rt, rc, N + 4);
    CHECK(got == N + 1, "%d receiver frames for %d source exposures (+1 started at the stop)", got, N);
    bool exact = true, counted = true;
    for (int i = 0; i + 1 < N && i + 1 < got; i++) {
        if (rt[i + 1] - rt[i] != st[i + 1] - st[i])
            exact = false;
        if (rc[i] != (uint32_t)i + 1)
            counted = false;
    }
    CHECK(exact, "receiver frames exactly as far apart as the source's exposures");
    CHECK(counted, "FrameTrigger counter 1, 2, 3, ...");
    int64_t lag = (int64_t)rt[0] - (int64_t)st[0] - r_minus_s;
    CHECK(llabs(lag - 25000) < 20000, "receiver exposes %" PRId64 " ns after the source (cable 25 us)", lag);

    /* the receiver's debouncer delays the wired edge like any other: 100 us more */
    wf(r, CAM_ADDR_LineDebouncerTime, 100.0);
    uint64_t st2[N], rt2[N + 4];
    got = run(s, r, 4, st2, rt2, rc, N + 4);
    CHECK(got >= 4, "%d frames with the debouncer", got);
    int64_t lag2 = (int64_t)rt2[0] - (int64_t)st2[0] - r_minus_s;
    CHECK(llabs(lag2 - lag - 100000) < 20000, "debouncer adds %" PRId64 " ns", lag2 - lag);
    wf(r, CAM_ADDR_LineDebouncerTime, 0.0);

    /* different clocks: the receiver's timestamps are on its own clock (+50 ppm vs -50 ppm) */
    cam_clock_set(s, -50.0, 10000000000ull, why, sizeof why);
    cam_clock_set(r, 50.0, 20000000000ull, why, sizeof why);
    got = run(s, r, N, st, rt, rc, N + 4);
    bool scaled = got >= N;
    for (int i = 0; i + 1 < N && scaled; i++) {
        double expect = (double)(st[i + 1] - st[i]) * (1 + 50e-6) / (1 - 50e-6);
        if (fabs((double)(rt[i + 1] - rt[i]) - expect) > 3)
            scaled = false;
    }
    CHECK(scaled, "receiver intervals = source intervals x (1 + 50 ppm) / (1 - 50 ppm)");
    CHECK(rt[0] > 20000000000ull && st[0] > 10000000000ull && rt[0] - st[0] > 9000000000ull, "each on its clock");

    /* SimFaultDropEdges: the 3rd and 5th rising edges never reach the input, so no counter sees them */
    CHECK(cam_sim_set_drop_edges(r, 1, "5, 3", why, sizeof why) == CAM_OK, "%s", why);
    char list[64];
    cam_sim_get_drop_edges(r, 1, list, sizeof list);
    CHECK(strcmp(list, "3,5") == 0, "canonical list \"%s\"", list);
    CHECK(cam_sim_set_drop_edges(r, 1, "0", why, sizeof why) == CAM_ERR_VALUE, "edges count from 1: %s", why);
    CHECK(cam_sim_set_drop_edges(r, 1, "3;4", why, sizeof why) == CAM_ERR_VALUE, "a comma list: %s", why);
    CHECK(cam_sim_set_drop_edges(r, 2, "3", why, sizeof why) == CAM_ERR_VALUE, "Line2 is no input");
    got = run(s, r, N, st, rt, rc, N + 4);
    CHECK(got == N - 1, "%d frames: 2 edges dropped of %d + 1", got, N);
    /* the receiver's frame k after the drops is the source's exposure k + 1 (+2); counters follow it */
    CHECK(got >= 5 && rc[0] == 1 && rc[1] == 2 && rc[2] == 3 && rc[3] == 4, "counters 1..4 (%u %u %u %u)", rc[0],
          rc[1], rc[2], rc[3]);
    double period_r = (double)(st[1] - st[0]) * (1 + 50e-6) / (1 - 50e-6);
    CHECK(fabs((double)(rt[2] - rt[1]) - 2 * period_r) < 5, "a period missing after the 2nd frame");
    CHECK(fabs((double)(rt[3] - rt[2]) - 2 * period_r) < 5, "and after the 3rd (5th edge)");
    cam_sim_set_drop_edges(r, 1, "", why, sizeof why);

    /* SimFaultMissTriggers: triggers 2 and 4 are counted but give no frame */
    CHECK(cam_sim_set_miss_triggers(r, "2,4", why, sizeof why) == CAM_OK, "%s", why);
    cam_sim_get_miss_triggers(r, list, sizeof list);
    CHECK(strcmp(list, "2,4") == 0, "read back \"%s\"", list);
    CHECK(cam_sim_set_miss_triggers(r, "x", why, sizeof why) == CAM_ERR_VALUE, "%s", why);
    got = run(s, r, N, st, rt, rc, N + 4);
    CHECK(got == N - 1, "%d frames: 2 of %d + 1 triggers missed", got, N);
    CHECK(got >= 4 && rc[0] == 1 && rc[1] == 3 && rc[2] == 5 && rc[3] == 6,
          "the frames' FrameTrigger counters skip the missed triggers: %u %u %u %u", rc[0], rc[1], rc[2], rc[3]);
    CHECK(cam_sim_lost_triggers(r, 0) == 0, "a missed trigger is no overtrigger");
    cam_sim_set_miss_triggers(r, "", why, sizeof why);

    /* the source goes away (unplugged) and comes back under the same serial: the wire holds */
    cam_destroy(s);
    cam_frame_tick t;
    CHECK(!cam_wait_next_frame(r, 20000000ull, &t), "no source, no frame");
    s = small_cam("30000201");
    source_free_run(s, 50.0); /* 20 ms: the test stops it well inside a period */
    got = run(s, r, 5, st, rt, rc, N + 4);
    CHECK(got == 6, "%d frames from the re-created source", got);


    /* unwired: the hand controls work again, the source's edges no longer arrive */
    cam_wire off;
    cam_sim_get_wire(r, 1, &off);
    off.source = CAM_LINE_SOURCE_OFF;
    CHECK(cam_sim_set_wire(r, 1, &off, why, sizeof why) == CAM_OK, "%s", why);
    got = run(s, r, 5, st, rt, rc, N + 4);
    CHECK(got == 0, "%d frames after unwiring", got);
    CHECK(cam_sim_line_pulse(r, 1) == CAM_OK, "pulse by hand again");
    cam_destroy(r); /* receiver first: the source must not send to it any more */
    w4(s, CAM_ADDR_AcquisitionStart, 1);
    CHECK(cam_wait_next_frame(s, 1000000000ull, &t), "the source runs on alone");
    w4(s, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(s);
}

/* Two cameras wired both ways, each waited on by its own thread: no deadlock, every frame. */
#include <pthread.h>
typedef struct {
    cam_camera *c;
    int frames;
} waiter;

static void *wait_frames(void *arg)
{
    waiter *w = arg;
    cam_frame_tick t;
    uint64_t end = mono() + 1500000000ull;
    while (mono() < end && w->frames < 1000)
        if (cam_wait_next_frame(w->c, 20000000ull, &t))
            w->frames++;
    return NULL;
}

static void test_both_ways(void)
{
    cam_camera *a = small_cam("30000301"), *b = small_cam("30000302");
    source_free_run(a, 200.0);
    /* b follows a's Line2 on Line1; a follows b's Line3 (ExposureActive) on Line4 as a counter reset
     * (not a trigger): edges flow both ways while both are waited on */
    receiver_on_line1(b);
    wire(b, "30000301", 1.0);
    w4(b, CAM_ADDR_LineMode + 8, CAM_ENUM_LineMode_Output);
    w4(b, CAM_ADDR_LineSource + 8, CAM_ENUM_LineSource_ExposureActive);
    cam_wire back = {CAM_LINE_SOURCE_CAMERA, "30000302", 3, 1.0};
    CHECK(cam_sim_set_wire(a, 4, &back, why, sizeof why) == CAM_OK, "%s", why);
    w4(a, CAM_ADDR_CounterResetSource, CAM_ENUM_CounterResetSource_Line4);
    w4(b, CAM_ADDR_AcquisitionStart, 1);
    w4(a, CAM_ADDR_AcquisitionStart, 1);
    waiter wa = {a, 0}, wb = {b, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, wait_frames, &wa);
    pthread_create(&tb, NULL, wait_frames, &wb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    w4(a, CAM_ADDR_AcquisitionStop, 1);
    w4(b, CAM_ADDR_AcquisitionStop, 1);
    CHECK(wa.frames >= 250 && abs(wa.frames - wb.frames) <= 2, "a %d frames, b %d frames in 1.5 s", wa.frames,
          wb.frames);
    cam_destroy(a);
    cam_destroy(b);
}

int main(void)
{
    test_clock();
    test_wiring();
    test_both_ways();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
