/* test_sequencer.c - unit test of the sequencer (README "Sequencer"): configuration rules and their
 * messages, save/load with the path settings, FrameStart cycling with ChunkSequencerSetActive and
 * ChunkExposureTime per frame, Line1 and SoftwareSignal paths, and the sets inside a user set across
 * two cam_create calls.  Same conventions as test_camera_triggers.c. */
#include "model_test_support.h"


static void seq_reg(cam_camera *c, uint64_t addr, int64_t v)
{
    CHECK(w4(c, addr, v) == CAM_OK, "write 0x%" PRIX64 " = %" PRId64 ": %s", addr, v, why);
}

/* Sets 0..n-1 with ExposureTime 1000*(k+1) (and BlackLevel k), path 0 -> (k+1) % n on `src`. */
static void save_cycle(cam_camera *c, int n, int64_t src)
{
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_On);
    for (int k = 0; k < n; k++) {
        seq_reg(c, CAM_ADDR_SequencerSetSelector, k);
        CHECK(wf(c, CAM_ADDR_ExposureTime, 1000.0 * (k + 1)) == CAM_OK, "%s", why);
        CHECK(wf(c, CAM_ADDR_BlackLevel, (double)k) == CAM_OK, "%s", why);
        seq_reg(c, CAM_ADDR_SequencerPathSelector, 0);
        seq_reg(c, CAM_ADDR_SequencerSetNext, (k + 1) % n);
        seq_reg(c, CAM_ADDR_SequencerTriggerSource, src);
        seq_reg(c, CAM_ADDR_SequencerSetSave, 1);
    }
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_Off);
}

/* ChunkSequencerSetActive and ChunkExposureTime of a rendered frame (parsed backwards). */
static void frame_chunks(cam_camera *c, const cam_frame_tick *t, uint8_t *buf, size_t ps, int64_t *set, double *exp)
{
    cam_frame_info info;
    *set = -1;
    *exp = 0;
    CHECK(cam_render_frame(c, t, buf, ps, &info) == CAM_OK && info.filled == ps, "render");
    size_t end = info.filled;
    while (end >= 8) {
        uint32_t id = (uint32_t)le(buf + end - 8, 4), len = (uint32_t)le(buf + end - 4, 4);
        if (len > end - 8)
            break;
        const uint8_t *d = buf + end - 8 - len;
        if (id == CAM_CHUNK_ID_SequencerSetActive)
            *set = (int64_t)le(d, 4);
        else if (id == CAM_CHUNK_ID_ExposureTime)
            memcpy(exp, d, 8);
        end -= 8 + len;
    }
}

static size_t enable_seq_chunks(cam_camera *c)
{
    CHECK(w4(c, CAM_ADDR_ChunkModeActive, 1) == CAM_OK, "%s", why);
    size_t img = (size_t)rn(c, CAM_ADDR_PayloadSize, 8) - 8;
    CHECK(w4(c, CAM_ADDR_ChunkEnable + 4 * CAM_CHUNK_SEL_SequencerSetActive, 1) == CAM_OK, "%s", why);
    CHECK(w4(c, CAM_ADDR_ChunkEnable + 4 * CAM_CHUNK_SEL_ExposureTime, 1) == CAM_OK, "%s", why);
    size_t ps = img + 8 + (4 + 8) + (8 + 8);
    CHECK(rn(c, CAM_ADDR_PayloadSize, 8) == (int64_t)ps, "PayloadSize includes the sequencer chunk: %" PRId64,
          rn(c, CAM_ADDR_PayloadSize, 8));
    return ps;
}

static void test_rules(void)
{
    cam_camera *c = small_cam("40000001");
    CHECK(r4(c, CAM_ADDR_SequencerMode) == CAM_ENUM_SequencerMode_Off, "Off by default");
    CHECK(w4(c, CAM_ADDR_SequencerSetSave, 1) == CAM_ERR_ACCESS && has_text(why, "SequencerConfigurationMode"),
          "save outside configuration mode: %s", why);
    CHECK(w4(c, CAM_ADDR_SequencerSetLoad, 1) == CAM_ERR_ACCESS, "load outside configuration mode: %s", why);
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_On);
    CHECK(w4(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_On) == CAM_ERR_VALUE &&
              has_text(why, "SequencerConfigurationMode is On"),
          "On refused in configuration mode: %s", why);
    CHECK(w4(c, CAM_ADDR_SequencerSetSelector, CAM_A_SEQUENCER_SETS) == CAM_ERR_VALUE, "set %d: %s",
          (int)CAM_A_SEQUENCER_SETS, why);
    CHECK(w4(c, CAM_ADDR_SequencerSetStart, 1) == CAM_ERR_VALUE, "only set 0 can start: %s", why);
    CHECK(w4(c, CAM_ADDR_SequencerPathSelector, 2) == CAM_ERR_VALUE, "paths 0..1: %s", why);
    CHECK(w4(c, CAM_ADDR_SeqSetNext, 1) == CAM_ERR_ACCESS && has_text(why, "internal"), "storage: %s", why);
    /* save set 3, change, load it back */
    seq_reg(c, CAM_ADDR_SequencerSetSelector, 3);
    wf(c, CAM_ADDR_ExposureTime, 3333.0);
    wf(c, CAM_ADDR_Gain, 4.5);
    seq_reg(c, CAM_ADDR_SequencerPathSelector, 1); /* GenApi's pIndex; raw writes address element 1 */
    seq_reg(c, CAM_ADDR_SequencerSetNext + 4, 7);
    seq_reg(c, CAM_ADDR_SequencerTriggerSource + 4, CAM_ENUM_SequencerTriggerSource_Line3);
    seq_reg(c, CAM_ADDR_SequencerSetSave, 1);
    wf(c, CAM_ADDR_ExposureTime, 100.0);
    wf(c, CAM_ADDR_Gain, 0.0);
    seq_reg(c, CAM_ADDR_SequencerSetNext + 4, 0);
    seq_reg(c, CAM_ADDR_SequencerSetLoad, 1);
    CHECK(rf(c, CAM_ADDR_ExposureTime) == 3333.0 && rf(c, CAM_ADDR_Gain) == 4.5, "load: %g %g",
          rf(c, CAM_ADDR_ExposureTime), rf(c, CAM_ADDR_Gain));
    CHECK(r4(c, CAM_ADDR_SequencerSetNext + 4) == 7 &&
              r4(c, CAM_ADDR_SequencerTriggerSource + 4) == CAM_ENUM_SequencerTriggerSource_Line3,
          "path settings are part of the set");
    CHECK(r4(c, CAM_ADDR_SequencerSetActive) == 3, "active after a load: %" PRId64,
          r4(c, CAM_ADDR_SequencerSetActive));
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_Off);
    seq_reg(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_On);
    CHECK(r4(c, CAM_ADDR_SequencerSetActive) == 0, "On: the camera is on SequencerSetStart");
    CHECK(w4(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_On) == CAM_ERR_ACCESS &&
              has_text(why, "SequencerMode is On"),
          "configuration mode refused while the sequencer runs: %s", why);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    CHECK(w4(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_Off) == CAM_ERR_ACCESS &&
              has_text(why, "locked while streaming"),
          "locked while streaming: %s", why);
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    cam_destroy(c);
}

static void test_frame_start_cycle(void)
{
    cam_camera *c = small_cam("40000002");
    save_cycle(c, 3, CAM_ENUM_SequencerTriggerSource_FrameStart);
    size_t ps = enable_seq_chunks(c);
    uint8_t *buf = malloc(ps);
    seq_reg(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_On);
    for (int run = 0; run < 2; run++) { /* every acquisition starts at set 0 */
        trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software);
        w4(c, CAM_ADDR_AcquisitionStart, 1);
        for (int f = 0; f < 7; f++) {
            cam_frame_tick t;
            CHECK(r4(c, CAM_ADDR_SequencerSetActive) == f % 3, "active before frame %d", f);
            w4(c, CAM_ADDR_TriggerSoftware, 1);
            CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "frame %d", f);
            int64_t set;
            double e;
            frame_chunks(c, &t, buf, ps, &set, &e);
            CHECK(set == f % 3 && e == 1000.0 * (f % 3 + 1), "run %d frame %d: set %" PRId64 " exposure %g", run, f,
                  set, e);
        }
        w4(c, CAM_ADDR_AcquisitionStop, 1);
    }
    /* free run: the same cycle, frame periods follow each set's exposure */
    trigger(c, FS, CAM_ENUM_TriggerMode_Off, CAM_ENUM_TriggerSource_Software);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    for (int f = 0; f < 6; f++) {
        cam_frame_tick t;
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "free-run frame %d", f);
        int64_t set;
        double e;
        frame_chunks(c, &t, buf, ps, &set, &e);
        CHECK(set == f % 3 && e == 1000.0 * (f % 3 + 1), "free-run frame %d: set %" PRId64 " exposure %g", f, set, e);
    }
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    free(buf);
    cam_destroy(c);
}

static void test_line_and_signal_paths(void)
{
    cam_camera *c = small_cam("40000003");
    /* set 0 --Line1--> 1 --Line1--> 0; path 1 of both: SoftwareSignal2 -> 2; set 2 --FrameStart--> 0 */
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_On);
    for (int k = 0; k < 3; k++) {
        seq_reg(c, CAM_ADDR_SequencerSetSelector, k);
        wf(c, CAM_ADDR_ExposureTime, 500.0 + 100.0 * k);
        seq_reg(c, CAM_ADDR_SequencerPathSelector, 0);
        seq_reg(c, CAM_ADDR_SequencerSetNext, k == 0 ? 1 : 0);
        seq_reg(c, CAM_ADDR_SequencerTriggerSource,
                k == 2 ? CAM_ENUM_SequencerTriggerSource_FrameStart : CAM_ENUM_SequencerTriggerSource_Line1);
        seq_reg(c, CAM_ADDR_SequencerPathSelector, 1);
        seq_reg(c, CAM_ADDR_SequencerSetNext + 4, 2);
        seq_reg(c, CAM_ADDR_SequencerTriggerSource + 4, CAM_ENUM_SequencerTriggerSource_SoftwareSignal2);
        seq_reg(c, CAM_ADDR_SequencerSetSave, 1);
    }
    seq_reg(c, CAM_ADDR_SequencerConfigurationMode, CAM_ENUM_SequencerConfigurationMode_Off);
    size_t ps = enable_seq_chunks(c);
    uint8_t *buf = malloc(ps);
    seq_reg(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_On);
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    /* action before the frame: 0 none, 1 Line1 pulse, 2 SoftwareSignal2 */
    static const int action[] = {0, 0, 1, 0, 1, 2, 0, 1};
    static const int expect[] = {0, 0, 1, 1, 0, 2, 0, 1};
    for (int f = 0; f < 8; f++) {
        if (action[f] == 1)
            CHECK(cam_sim_line_pulse(c, 1) == CAM_OK, "pulse");
        else if (action[f] == 2)
            CHECK(w4(c, CAM_ADDR_SoftwareSignalPulse + 4, 1) == CAM_OK, "%s", why);
        sleep_ms(2);
        w4(c, CAM_ADDR_TriggerSoftware, 1);
        cam_frame_tick t;
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "frame %d", f);
        int64_t set;
        double e;
        frame_chunks(c, &t, buf, ps, &set, &e);
        CHECK(set == expect[f] && e == 500.0 + 100.0 * expect[f], "frame %d: set %" PRId64 " (want %d) exposure %g",
              f, set, expect[f], e);
    }
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    free(buf);
    cam_destroy(c);
}

static void test_user_set_keeps_sets(void)
{
    cam_camera *c = small_cam("40000004");
    save_cycle(c, 2, CAM_ENUM_SequencerTriggerSource_FrameStart);
    seq_reg(c, CAM_ADDR_SequencerMode, CAM_ENUM_SequencerMode_On);
    seq_reg(c, CAM_ADDR_UserSetSelector, CAM_ENUM_UserSetSelector_UserSet1);
    seq_reg(c, CAM_ADDR_UserSetSave, 1);
    seq_reg(c, CAM_ADDR_UserSetDefault, CAM_ENUM_UserSetDefault_UserSet1);
    cam_destroy(c);
    c = cam_create("40000004"); /* UserSet1 from the state file */
    CHECK(r4(c, CAM_ADDR_SequencerMode) == CAM_ENUM_SequencerMode_On, "SequencerMode restored");
    trigger(c, FS, CAM_ENUM_TriggerMode_On, CAM_ENUM_TriggerSource_Software);
    w4(c, CAM_ADDR_AcquisitionStart, 1);
    for (int f = 0; f < 4; f++) {
        w4(c, CAM_ADDR_TriggerSoftware, 1);
        cam_frame_tick t;
        CHECK(cam_wait_next_frame(c, 1000000000ull, &t), "frame %d", f);
        CHECK(rf(c, CAM_ADDR_ExposureTime) == 1000.0 * ((f + 1) % 2 + 1), "sets restored with the user set: %g",
              rf(c, CAM_ADDR_ExposureTime));
    }
    w4(c, CAM_ADDR_AcquisitionStop, 1);
    seq_reg(c, CAM_ADDR_UserSetDefault, CAM_ENUM_UserSetDefault_Default);
    cam_destroy(c);
}

int main(void)
{
    char dir[] = "/tmp/acesim-seq-XXXXXX";
    if (!getenv("ACE_SIM_STATE_DIR")) {
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 2;
        }
        setenv("ACE_SIM_STATE_DIR", dir, 1);
    }
    test_rules();
    test_frame_start_cycle();
    test_line_and_signal_paths();
    test_user_set_keeps_sets();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
