/* test_camera_triggers.c - unit test of the model's triggers, overtriggers, bursts,
 * TriggerWidth, lines, counters, timer, chunks, events, user sets and the state file, temperature,
 * auto exposure.  Same conventions as test_camera_model.c: "N passed, M failed", non-zero exit on
 * failure.  Simulated timestamps are checked exactly; wall-clock checks have generous margins. */
#include "model_test_support.h"

static void enable_event(cam_camera *c, int sel)
{
    CHECK(w4(c, CAM_ADDR_EventNotification + 4 * sel, CAM_ENUM_EventNotification_On) == CAM_OK, "%s", why);
}

typedef struct {
    uint16_t id;
    uint64_t ts, frame_id;
} ev_t;

static int drain(cam_camera *c, ev_t *out, int max)
{
    int n = 0;
    cam_event e;
    while (n < max && cam_wait_event(c, 0, &e)) {
        out[n].id = e.event_id;
        out[n].ts = e.timestamp_ns;
        out[n].frame_id = e.has_frame_id ? e.frame_id : 0;
        n++;
    }
    return n;
}

static void test_line_triggers(void)
{
    cam_camera *c = small_cam("30000001");
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Line1);
    CHECK(wf(c, CAM_ADDR_TriggerDelay, 100.0) == CAM_OK, "%s", why);
    enable_event(c, CAM_EVENT_SEL_FrameStart);
    enable_event(c, CAM_EVENT_SEL_ExposureEnd);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    cam_frame_tick t;
    CHECK(!cam_wait_next_frame(c, 50000000ull, &t), "no trigger, no frame");
    CHECK(r4(c, CAM_ADDR_AcquisitionStatus) == 1, "FrameTriggerWait while waiting");
    cam_flush_events(c);

    /* N single pulses -> exactly N frames, timestamp = pulse time + 100 us */
    const int N = 5;
    uint64_t lo[5], hi[5];
    int got = 0;
    for (int i = 0; i < N; i++) {
        lo[i] = cam_now_ns(c);
        CHECK(cam_sim_line_pulse(c, 1) == CAM_OK, "pulse");
        hi[i] = cam_now_ns(c);
        if (cam_wait_next_frame(c, 1000000000ull, &t)) {
            got++;
            CHECK(t.frame_id == (uint64_t)i + 1, "frame id %" PRIu64, t.frame_id);
            CHECK(t.timestamp_ns >= lo[i] + 100000 && t.timestamp_ns <= hi[i] + 100000,
                  "ts %" PRIu64 " in [%" PRIu64 ", %" PRIu64 "] + delay", t.timestamp_ns, lo[i], hi[i]);
        }
    }
    CHECK(got == N, "%d frames for %d pulses", got, N);
    CHECK(!cam_wait_next_frame(c, 30000000ull, &t), "no extra frame");
    CHECK(cam_sim_line_pulse(c, 2) == CAM_ERR_VALUE, "line 2 is an output");

    /* events: FrameStart and ExposureEnd for every frame, in time order */
    ev_t ev[64];
    int n = drain(c, ev, 64);
    int fs = 0, ee = 0;
    bool ordered = true;
    for (int i = 0; i < n; i++) {
        if (i && ev[i].ts < ev[i - 1].ts)
            ordered = false;
        if (ev[i].id == CAM_EVENT_ID_FrameStart)
            fs++;
        if (ev[i].id == CAM_EVENT_ID_ExposureEnd) {
            ee++;
            CHECK(ev[i].frame_id == (uint64_t)ee, "ExposureEnd frame id %" PRIu64, ev[i].frame_id);
        }
    }
    CHECK(fs == N && ee == N && ordered, "events fs %d ee %d ordered %d", fs, ee, ordered);

    /* a 50 Hz pulse train: frames exactly 20 ms apart in device time */
    CHECK(cam_sim_line_pulse_frequency(c, 1, 50.0) == CAM_OK, "train");
    CHECK(cam_sim_get_line_pulse_frequency(c, 1) == 50.0, "train readback");
    uint64_t prev = 0;
    bool exact = true;
    for (int i = 0; i < 6; i++) {
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "train frame %d", i);
        if (i && t.timestamp_ns - prev != 20000000ull)
            exact = false;
        prev = t.timestamp_ns;
    }
    CHECK(exact, "train frames 20 ms apart");
    cam_sim_line_pulse_frequency(c, 1, 0);
    w4(c, CAM_ADDR_AcquisitionStop, 1);

    /* FallingEdge + debouncer: a 10 us pulse is shorter than a 50 us debouncer -> no trigger */
    w4(c, CAM_ADDR_LineSelector, 0);
    CHECK(wf(c, CAM_ADDR_LineDebouncerTime, 50.0) == CAM_OK, "%s", why);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    cam_sim_line_pulse(c, 1);
    CHECK(!cam_wait_next_frame(c, 50000000ull, &t), "debounced pulse filtered");
    /* a held level passes the debouncer: timestamp = edge + debouncer + delay */
    uint64_t a = cam_now_ns(c);
    cam_sim_line_level(c, 1, true);
    uint64_t b = cam_now_ns(c);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.timestamp_ns >= a + 150000 && t.timestamp_ns <= b + 150000,
          "debounced level ts %" PRIu64 " in [%" PRIu64 ", %" PRIu64 "]", t.timestamp_ns, a + 150000, b + 150000);
    CHECK(r4(c, CAM_ADDR_LineStatus) == 1 && (r4(c, CAM_ADDR_LineStatusAll) & 1), "Line1 status high");
    cam_sim_line_level(c, 1, false);
    CHECK(cam_sim_get_line_level(c, 1) == false, "level readback");
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);
}

static void test_overtrigger_software_burst(void)
{
    cam_camera *c = small_cam("30000002");
    wf(c, CAM_ADDR_ExposureTime, 50000.0); /* 50 ms: triggers 0 us apart must be lost */
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software);
    enable_event(c, CAM_EVENT_SEL_FrameStartOvertrigger);
    w4(c, CAM_ADDR_CounterSelector, 1);
    w4(c, CAM_ADDR_CounterEventSource + 4, CAM_ENUM_CounterEventSource_FrameTrigger);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    for (int i = 0; i < 5; i++)
        CHECK(w4(c, CAM_ADDR_TriggerSoftware, 1) == CAM_OK, "TriggerSoftware: %s", why);
    cam_frame_tick t;
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == 1, "one accepted");
    CHECK(!cam_wait_next_frame(c, 100000000ull, &t), "the others were lost");
    CHECK(cam_sim_lost_triggers(c, 0) == 4, "lost count %" PRIu64, cam_sim_lost_triggers(c, 0));
    ev_t ev[16];
    int n = drain(c, ev, 16);
    CHECK(n == 4 && ev[0].id == CAM_EVENT_ID_FrameStartOvertrigger && ev[0].frame_id == 1, "%d overtrigger events", n);
    /* a trigger after the frame period is accepted again */
    CHECK(w4(c, CAM_ADDR_TriggerSoftware, 1) == CAM_OK, "%s", why);
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == 2, "accepted after the period");
    /* a trigger whose source is not Software: TriggerSoftware has no effect */
    w4(c, CAM_ADDR_AcquisitionStop, 1);

    /* burst: FrameBurstStart by SoftwareSignal2, 3 frames per burst, FrameStart free-running */
    wf(c, CAM_ADDR_ExposureTime, 1000.0);
    trigger(c, FS, CAM_ENUM_TriggerMode_Off, CAM_ENUM_TriggerSource_Software);
    w4(c, CAM_ADDR_TriggerSelector, 1);
    trigger(c, FBS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_SoftwareSignal2);
    CHECK(w4(c, CAM_ADDR_AcquisitionBurstFrameCount, 3) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_AcquisitionBurstFrameCount, 256) == CAM_ERR_VALUE, "burst count max 255");
    enable_event(c, CAM_EVENT_SEL_FrameBurstStart);
    enable_event(c, CAM_EVENT_SEL_FrameBurstStartOvertrigger);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    cam_flush_events(c);
    w4(c, CAM_ADDR_AcquisitionStatusSelector, 1);
    CHECK(r4(c, CAM_ADDR_AcquisitionStatus + 4) == 1, "FrameBurstTriggerWait");
    w4(c, CAM_ADDR_SoftwareSignalSelector, 1);
    CHECK(w4(c, CAM_ADDR_SoftwareSignalPulse + 4, 1) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_SoftwareSignalPulse + 4, 1) == CAM_OK, "%s", why); /* during the burst: lost */
    int frames = 0;
    while (cam_wait_next_frame(c, 150000000ull, &t))
        frames++;
    CHECK(frames == 3, "burst gave %d frames", frames);
    CHECK(cam_sim_lost_triggers(c, 1) == 1, "burst overtrigger counted");
    n = drain(c, ev, 16);
    CHECK(n == 2 && ev[0].id == CAM_EVENT_ID_FrameBurstStart && ev[1].id == CAM_EVENT_ID_FrameBurstStartOvertrigger,
          "burst events %d", n);
    CHECK(w4(c, CAM_ADDR_SoftwareSignalPulse + 4, 1) == CAM_OK, "%s", why);
    frames = 0;
    while (cam_wait_next_frame(c, 150000000ull, &t))
        frames++;
    CHECK(frames == 3 && t.frame_id == 6, "second burst %d frames, last id %" PRIu64, frames, t.frame_id);
    CHECK(w4(c, CAM_ADDR_TriggerActivation, CAM_ENUM_TriggerActivation_LevelHigh) == CAM_ERR_VALUE &&
              has_text(why, "FrameBurstStart"), "LevelHigh only for bursts: %s", why);
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);
}

static void test_trigger_width_lines_timer(void)
{
    cam_camera *c = small_cam("30000003");
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Line3);
    CHECK(w4(c, CAM_ADDR_ExposureMode, CAM_ENUM_ExposureMode_TriggerWidth) == CAM_OK, "%s", why);
    enable_event(c, CAM_EVENT_SEL_FrameStart);
    enable_event(c, CAM_EVENT_SEL_ExposureEnd);
    w4(c, CAM_ADDR_ChunkModeActive, 1);
    w4(c, CAM_ADDR_ChunkEnable + 4 * CAM_CHUNK_SEL_ExposureTime, 1);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    uint64_t a0 = cam_now_ns(c);
    cam_sim_line_level(c, 3, true);
    uint64_t a1 = cam_now_ns(c);
    sleep_ms(5);
    w4(c, CAM_ADDR_LineSelector, 1); /* Line2 carries ExposureActive by default */
    CHECK(r4(c, CAM_ADDR_LineStatus + 4) == 1, "Line2 high during the exposure");
    uint64_t b0 = cam_now_ns(c);
    cam_sim_line_level(c, 3, false);
    uint64_t b1 = cam_now_ns(c);
    cam_frame_tick t;
    CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "width frame");
    CHECK(r4(c, CAM_ADDR_LineStatus + 4) == 0, "Line2 low after the exposure");
    ev_t ev[8];
    int n = drain(c, ev, 8);
    CHECK(n == 2, "2 events, got %d", n);
    if (n == 2) {
        uint64_t width = ev[1].ts - ev[0].ts;
        CHECK(width >= b0 - a1 + 14000 && width <= b1 - a0 + 14000, "exposure %" PRIu64 " ns", width);
        size_t ps = (size_t)rn(c, CAM_ADDR_PayloadSize, 8);
        uint8_t *buf = malloc(ps);
        cam_frame_info info;
        CHECK(cam_render_frame(c, &t, buf, ps, &info) == CAM_OK, "render");
        double e;
        memcpy(&e, buf + 256 * 256 + 8, 8);
        CHECK(fabs(e - width / 1000.0) < 1e-6, "ChunkExposureTime %g vs %g", e, width / 1000.0);
        free(buf);
    }
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    w4(c, CAM_ADDR_ChunkModeActive, 0);
    w4(c, CAM_ADDR_ExposureMode, CAM_ENUM_ExposureMode_Timed);

    /* Line3 as output with Timer1Active; Line4 output with UserOutput3, inverted */
    CHECK(w4(c, CAM_ADDR_LineMode, CAM_ENUM_LineMode_Output) == CAM_ERR_ACCESS, "Line2 mode fixed: %s", why);
    CHECK(w4(c, CAM_ADDR_LineSource + 8, CAM_ENUM_LineSource_Timer1Active) == CAM_ERR_ACCESS, "input: %s", why);
    CHECK(w4(c, CAM_ADDR_LineMode + 8, CAM_ENUM_LineMode_Output) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_LineSource + 8, CAM_ENUM_LineSource_UserOutput1) == CAM_ERR_VALUE, "wrong user output: %s",
          why);
    CHECK(w4(c, CAM_ADDR_LineSource + 8, CAM_ENUM_LineSource_Timer1Active) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_LineMode + 12, CAM_ENUM_LineMode_Output) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_LineSource + 12, CAM_ENUM_LineSource_UserOutput3) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_UserOutputValueAll, 8) == CAM_OK && r4(c, CAM_ADDR_UserOutputValue + 8) == 1, "ValueAll");
    CHECK((r4(c, CAM_ADDR_LineStatusAll) & 8) == 8, "Line4 follows UserOutput3");
    w4(c, CAM_ADDR_LineInverter + 12, 1);
    CHECK((r4(c, CAM_ADDR_LineStatusAll) & 8) == 0, "inverted");
    CHECK(r4(c, CAM_ADDR_UserOutputValueAll) == 8, "ValueAll readback");
    CHECK(w4(c, CAM_ADDR_UserOutputValueAll, 1) == CAM_ERR_VALUE, "bit 0 unused");
    wf(c, CAM_ADDR_TimerDelay, 20000.0);
    wf(c, CAM_ADDR_TimerDuration, 200000.0);
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    w4(c, CAM_ADDR_TriggerSoftware, 1);
    CHECK((r4(c, CAM_ADDR_LineStatusAll) & 4) == 0, "timer not yet active");
    sleep_ms(100);
    CHECK((r4(c, CAM_ADDR_LineStatusAll) & 4) == 4, "timer active");
    sleep_ms(250);
    CHECK((r4(c, CAM_ADDR_LineStatusAll) & 4) == 0, "timer ended");
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);
}

static void test_chunks_counters(void)
{
    cam_camera *c = small_cam("30000004");
    size_t img = 256 * 256;
    CHECK(rn(c, CAM_ADDR_PayloadSize, 8) == (int64_t)img, "no chunks");
    CHECK(w4(c, CAM_ADDR_ChunkModeActive, 1) == CAM_OK, "%s", why);
    CHECK(rn(c, CAM_ADDR_PayloadSize, 8) == (int64_t)img + 8, "image trailer only");
    for (int i = 1; i < CAM_CHUNK_COUNT; i++)
        CHECK(w4(c, CAM_ADDR_ChunkEnable + 4 * i, 1) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_ChunkEnable, 0) == CAM_ERR_VALUE, "Image stays: %s", why);
    size_t ps = img + 8 + (8 + 8) * 3 + (4 + 8) + (8 + 8) + (4 + 8) + (4 + 8);
    CHECK(rn(c, CAM_ADDR_PayloadSize, 8) == (int64_t)ps, "payload %" PRId64, rn(c, CAM_ADDR_PayloadSize, 8));
    wf(c, CAM_ADDR_Gain, 6.5);
    wf(c, CAM_ADDR_ExposureTime, 2000.0);
    w4(c, CAM_ADDR_CounterResetSource, CAM_ENUM_CounterResetSource_Line1);
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software); /* one frame per trigger */
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    CHECK(w4(c, CAM_ADDR_ChunkModeActive, 0) == CAM_ERR_ACCESS, "locked while streaming");
    CHECK(w4(c, CAM_ADDR_ChunkEnable + 4, 0) == CAM_ERR_ACCESS, "enable locked while streaming");
    uint8_t *buf = malloc(ps + 16);
    for (int f = 1; f <= 4; f++) {
        cam_frame_tick t;
        cam_frame_info info;
        if (f == 3)
            cam_sim_line_pulse(c, 1); /* resets Counter1 (Line1 is not a trigger source here) */
        w4(c, CAM_ADDR_TriggerSoftware, 1);
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t) && t.frame_id == (uint64_t)f, "frame %d", f);
        CHECK(cam_render_frame(c, &t, buf, ps, &info) == CAM_OK, "render");
        CHECK(info.contains_chunks && info.filled == ps && info.chunk_payload_size == ps, "info");
        /* parse backwards */
        size_t end = info.filled;
        uint64_t ts = 0, cnt = 0, seq = 99;
        double e = 0, g = 0;
        uint32_t crc = 0;
        size_t crc_at = 0;
        int chunks = 0;
        bool ok = true;
        while (end >= 8 && ok) {
            uint32_t id = (uint32_t)le(buf + end - 8, 4), len = (uint32_t)le(buf + end - 4, 4);
            if (len > end - 8) {
                ok = false;
                break;
            }
            const uint8_t *d = buf + end - 8 - len;
            if (id == CAM_CHUNK_ID_Timestamp)
                ts = le(d, 8);
            else if (id == CAM_CHUNK_ID_ExposureTime)
                memcpy(&e, d, 8);
            else if (id == CAM_CHUNK_ID_Gain)
                memcpy(&g, d, 8);
            else if (id == CAM_CHUNK_ID_CounterValue)
                cnt = le(d, 4);
            else if (id == CAM_CHUNK_ID_SequencerSetActive)
                seq = le(d, 4);
            else if (id == CAM_CHUNK_ID_PayloadCRC16) {
                crc = (uint32_t)le(d, 4);
                crc_at = (size_t)(d - buf);
            } else if (id != CAM_CHUNK_ID_Image && id != CAM_CHUNK_ID_LineStatusAll)
                ok = false;
            chunks++;
            end -= 8 + len;
        }
        CHECK(ok && end == 0 && chunks == CAM_CHUNK_COUNT, "layout parses back to 0 (%d chunks)", chunks);
        CHECK(ts == t.timestamp_ns && e == 2000.0 && g == 6.5 && seq == 0, "values ts %" PRIu64 " e %g g %g seq %" PRIu64,
              ts, e, g, seq);
        uint16_t r = 0xFFFF; /* CRC-16/CCITT-FALSE, bitwise reference */
        for (size_t i = 0; i < crc_at; i++) {
            r ^= (uint16_t)(buf[i] << 8);
            for (int b = 0; b < 8; b++)
                r = (uint16_t)((r & 0x8000) ? (r << 1) ^ 0x1021 : r << 1);
        }
        CHECK(crc == r, "crc %04x vs %04x", crc, r);
        CHECK(cnt == (uint64_t)(f < 3 ? f : f - 2), "frame %d counter %" PRIu64, f, cnt);
    }
    uint8_t check[9] = "123456789";
    extern uint16_t crc16_ccitt_false(const uint8_t *, size_t);
    CHECK(crc16_ccitt_false(check, 9) == 0x29B1, "CRC-16/CCITT-FALSE check value");
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    free(buf);
    cam_destroy(c);
}

static bool has_file_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    fclose(f);
    return true;
}

static void test_user_sets(const char *dir)
{
    cam_camera *c = small_cam("30000005");
    char log[512];
    cam_take_log(c, log, sizeof log);
    CHECK(log[0] == 0, "no log without a state file: %s", log);
    w4(c, CAM_ADDR_UserSetSelector, CAM_ENUM_UserSetSelector_HighGain);
    CHECK(w4(c, CAM_ADDR_UserSetSave, 1) == CAM_ERR_ACCESS && has_text(why, "factory"), "factory save: %s", why);
    CHECK(w4(c, CAM_ADDR_UserSetLoad, 1) == CAM_OK && rf(c, CAM_ADDR_Gain) == CAM_A_HIGH_GAIN_DB, "HighGain");
    CHECK(r4(c, CAM_ADDR_Width) == 4096, "a load sets every member, Width too");
    w4(c, CAM_ADDR_OffsetX, 0);
    w4(c, CAM_ADDR_Width, 256);
    wf(c, CAM_ADDR_Gain, 7.0);
    w4(c, CAM_ADDR_TriggerMode + 4, CAM_ENUM_TriggerMode_On);
    w4(c, CAM_ADDR_UserSetSelector, CAM_ENUM_UserSetSelector_UserSet2);
    CHECK(w4(c, CAM_ADDR_UserSetSave, 1) == CAM_OK, "save: %s", why);
    CHECK(w4(c, CAM_ADDR_UserSetDefault, CAM_ENUM_UserSetDefault_UserSet2) == CAM_OK, "%s", why);
    const char uid[] = "bench-7";
    CHECK(cam_write(c, CAM_ADDR_DeviceUserID, uid, sizeof uid, why, sizeof why) == CAM_OK, "%s", why);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    CHECK(w4(c, CAM_ADDR_UserSetLoad, 1) == CAM_ERR_ACCESS, "no load while streaming");
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);

    c = cam_create("30000005"); /* a new process would see the same */
    CHECK(rf(c, CAM_ADDR_Gain) == 7.0 && r4(c, CAM_ADDR_Width) == 256, "UserSet2 applied at creation");
    CHECK(r4(c, CAM_ADDR_TriggerMode + 4) == CAM_ENUM_TriggerMode_On, "indexed register restored");
    char id[32];
    cam_user_id(c, id, sizeof id);
    CHECK(strcmp(id, "bench-7") == 0, "user id %s", id);
    w4(c, CAM_ADDR_UserSetSelector, CAM_ENUM_UserSetSelector_Default);
    CHECK(w4(c, CAM_ADDR_UserSetLoad, 1) == CAM_OK && r4(c, CAM_ADDR_Width) == 4096, "Default");
    cam_destroy(c);

    char path[1024];
    snprintf(path, sizeof path, "%s/30000005.state", dir);
    FILE *f = fopen(path, "r");
    char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    const char *bad[3] = {"\x01\x02garbage\xff\n", NULL, "ace_gentl_sim state 99\nend\n"};
    char trunc[65536];
    snprintf(trunc, sizeof trunc, "%.*s", (int)(n / 2), text);
    bad[1] = trunc;
    const char *what[3] = {"garbage", "truncated", "wrong version"};
    for (int i = 0; i < 3; i++) {
        CHECK(has_file_text(path, bad[i]), "write %s", path);
        c = cam_create("30000005");
        CHECK(c != NULL, "create with %s file", what[i]);
        cam_take_log(c, log, sizeof log);
        CHECK(has_text(log, "damaged") && has_text(log, "factory"), "%s: log '%s'", what[i], log);
        cam_take_log(c, log, sizeof log);
        CHECK(log[0] == 0, "log taken once");
        CHECK(rf(c, CAM_ADDR_Gain) == 0.0 && r4(c, CAM_ADDR_UserSetDefault) == 0, "%s: factory values", what[i]);
        cam_user_id(c, id, sizeof id);
        CHECK(id[0] == 0, "%s: factory user id", what[i]);
        cam_destroy(c);
    }
}

static void test_auto_exposure(void)
{
    cam_camera *c = small_cam("30000006");
    wf(c, CAM_ADDR_ExposureTime, 1000.0);
    wf(c, CAM_ADDR_AutoTargetBrightness, 0.5);
    CHECK(w4(c, CAM_ADDR_ExposureAuto, CAM_ENUM_ExposureAuto_Once) == CAM_OK, "%s", why);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    cam_set_unthrottled(c, true);
    uint8_t *buf = malloc(256 * 256);
    int frames = 0;
    double b = 0;
    while (frames < 10 && r4(c, CAM_ADDR_ExposureAuto) != CAM_ENUM_ExposureAuto_Off) {
        cam_frame_tick t;
        cam_frame_info info;
        cam_wait_next_frame(c, 1000000000ull, &t);
        cam_render_frame(c, &t, buf, 256 * 256, &info);
        frames++;
    }
    CHECK(r4(c, CAM_ADDR_ExposureAuto) == CAM_ENUM_ExposureAuto_Off && frames <= 5, "Once converged in %d frames",
          frames);
    cam_frame_tick t;
    cam_frame_info info;
    cam_wait_next_frame(c, 1000000000ull, &t);
    cam_render_frame(c, &t, buf, 256 * 256, &info);
    double sum = 0;
    for (int i = 0; i < 256 * 256; i++)
        sum += buf[i];
    b = sum / (256.0 * 256.0) / 255.0;
    CHECK(fabs(b - 0.5) < 0.03, "brightness %.3f (exposure %g)", b, rf(c, CAM_ADDR_ExposureTime));
    /* Continuous with a low exposure upper limit: gain takes the rest (MinimizeGain) */
    wf(c, CAM_ADDR_AutoExposureTimeUpperLimit, 1000.0);
    CHECK(wf(c, CAM_ADDR_AutoExposureTimeLowerLimit, 2000.0) == CAM_ERR_VALUE, "lower > upper: %s", why);
    w4(c, CAM_ADDR_ExposureAuto, CAM_ENUM_ExposureAuto_Continuous);
    w4(c, CAM_ADDR_GainAuto, CAM_ENUM_GainAuto_Continuous);
    for (int i = 0; i < 6; i++) {
        cam_wait_next_frame(c, 1000000000ull, &t);
        cam_render_frame(c, &t, buf, 256 * 256, &info);
    }
    sum = 0;
    for (int i = 0; i < 256 * 256; i++)
        sum += buf[i];
    b = sum / (256.0 * 256.0) / 255.0;
    CHECK(fabs(b - 0.5) < 0.04 && rf(c, CAM_ADDR_ExposureTime) <= 1000.0 && rf(c, CAM_ADDR_Gain) > 0.5,
          "continuous: b %.3f e %g g %g", b, rf(c, CAM_ADDR_ExposureTime), rf(c, CAM_ADDR_Gain));
    free(buf);
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);
}

static void test_temperature(void)
{
    setenv("ACE_SIM_THERMAL_TAU_S", "0.2", 1);
    setenv("ACE_SIM_THERMAL_RISE_C", "60", 1);
    cam_camera *c = cam_create("30000007"); /* full resolution: ~290 MB/s -> steady ~87 C */
    unsetenv("ACE_SIM_THERMAL_TAU_S");
    unsetenv("ACE_SIM_THERMAL_RISE_C");
    double t_idle = rf(c, CAM_ADDR_DeviceTemperature);
    CHECK(fabs(t_idle - CAM_A_TEMPERATURE_C) < 1e-9 && r4(c, CAM_ADDR_TemperatureState) == 0, "idle %g", t_idle);
    enable_event(c, CAM_EVENT_SEL_CriticalTemperature);
    enable_event(c, CAM_EVENT_SEL_OverTemperature);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    uint64_t t0 = cam_now_ns(c);
    sleep_ms(1500);
    double hot = rf(c, CAM_ADDR_DeviceTemperature);
    double ss = CAM_A_TEMPERATURE_C + 60.0 * (double)rn(c, CAM_ADDR_DeviceLinkCurrentThroughput, 4) / CAM_A_USB_CEILING_BPS;
    CHECK(fabs(hot - ss) < 0.1 && r4(c, CAM_ADDR_TemperatureState) == 2, "hot %g vs steady %g", hot, ss);
    ev_t ev[8];
    int n = drain(c, ev, 8);
    CHECK(n == 2 && ev[0].id == CAM_EVENT_ID_CriticalTemperature && ev[1].id == CAM_EVENT_ID_OverTemperature, "%d events",
          n);
    if (n == 2) { /* crossing times follow from the first-order model */
        double tc = 0.2 * log((CAM_A_TEMPERATURE_C - ss) / (CAM_A_TEMPERATURE_CRITICAL_C - ss)) * 1e9;
        CHECK(fabs((double)(ev[0].ts - t0) - tc) < 5e6, "critical at %g ms, expected %g", (ev[0].ts - t0) / 1e6, tc / 1e6);
    }
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    sleep_ms(1500);
    double cool = rf(c, CAM_ADDR_DeviceTemperature);
    CHECK(fabs(cool - CAM_A_TEMPERATURE_C) < 0.1 && r4(c, CAM_ADDR_TemperatureState) == 0, "settled %g", cool);
    cam_destroy(c);
}

int main(void)
{
    char dir[] = "/tmp/acesim-state-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    setenv("ACE_SIM_STATE_DIR", dir, 1);
    test_line_triggers();
    test_overtrigger_software_burst();
    test_trigger_width_lines_timer();
    test_chunks_counters();
    test_user_sets(dir);
    test_auto_exposure();
    test_temperature();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
