/* camera_internal.h - the camera object shared by the model's concept files.  Each file owns the
 * state of its concept (a sub-struct of cam_camera where it has one of its own) and the behaviour
 * of its registers: the hooks that generated/camera_hooks.h names (gen_camera.py declares them
 * with each register) and that camera.c's generic register path calls.
 *   camera.c    the generic register path (locate, read, write), creation, identity, the log
 *   roi.c       image format: WidthMax/HeightMax, the ROI limits, centring, binning rescale,
 *               PixelSize, PixelDynamicRangeMax, PayloadSize
 *   acquisition.c AcquisitionStart/Stop, frame rate, readout, throughput, acquisition status,
 *               waiting for frames and rendering them (the renderer hand-off)
 *   triggers.c  trigger rules, TriggerSoftware, SoftwareSignalPulse, CounterReset
 *   lines.c     line rules, LineStatus, user outputs, the simulation's hand controls of the inputs
 *   sim.c       simulated time: lines, triggers, exposures, counters, timer, frame pacing
 *   events.c    the queue of event records (the adapter frames them as U3V messages)
 *   chunks.c    chunk layout and CRC
 *   usersets.c  user sets and the persistent state file
 *   sequencer.c sequencer sets: save/load, activation, advancing along the paths
 *   thermal.c   the first-order temperature model, DeviceTemperature, TemperatureState
 *   autofn.c    ExposureAuto / GainAuto and their limits
 *   clock.c     the device clock (drift, offset, pauses), TimestampLatch
 *   wiring.c    cameras wired to each other: output edges of one reach another's input
 *   faults.c    trigger faults (SimFaultMissTriggers) and the edge-number lists of the faults
 * Everything named *_locked or taking `cam_camera *c` (or a cam_reg_op) below runs with c->mu
 * held, unless noted.  Internal times are device time (clock.c): offset + elapsed * (1 + drift),
 * where elapsed is CLOCK_MONOTONIC - t0 (ns since cam_create, minus the simulator's pauses). */
#ifndef ACESIM_CAMERA_INTERNAL_H
#define ACESIM_CAMERA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../generated/camera_hooks.h"
#include "../../generated/camera_regs.h"
#include "camera.h"
#include "image.h"
#include "regmap.h"

#define GI(c, id) regmap_get_int(&(c)->regs, CAM_REG_##id, 0)
#define GF(c, id) regmap_get_float(&(c)->regs, CAM_REG_##id, 0)
#define SI(c, id, v) regmap_set_int(&(c)->regs, CAM_REG_##id, 0, (v))
#define GIX(c, id, i) regmap_get_int(&(c)->regs, CAM_REG_##id, (uint32_t)(i))
#define GFX(c, id, i) regmap_get_float(&(c)->regs, CAM_REG_##id, (uint32_t)(i))

#define CAM_TRIG_FS 0  /* TriggerSelector FrameStart */
#define CAM_TRIG_FBS 1 /* TriggerSelector FrameBurstStart */

/* Scheduled happenings of the simulated timeline (sim.c). */
enum {
    SIM_TRAIN = 1, /* next edge of a line's pulse train           a = line, gen = train generation */
    SIM_FALL,      /* falling edge of a single pulse               a = line */
    SIM_DEB,       /* a debounced input change becomes valid       a = line, gen, arg = level */
    SIM_START,     /* an exposure starts                           arg = 1 if TriggerWidth */
    SIM_EXP_END,   /* an exposure ends                             arg = frame id */
    SIM_READY,     /* a triggered frame is read out                arg = frame id */
    SIM_PERIOD,    /* a free-run frame period ends                 arg = frame id, gen = period gen */
    SIM_TIMER_ON,  /* Timer1Active goes high                       gen = timer gen */
    SIM_TIMER_OFF, /* Timer1Active goes low                        gen = timer gen */
    SIM_WAIT,      /* the camera may accept a frame trigger again  (FrameStartWait event) */
    SIM_THERMAL,   /* a temperature threshold is crossed           a = 0 critical / 1 error, gen */
    SIM_WIRE,      /* an edge from a wired camera reaches an input a = line, arg = level */
};

typedef struct {
    uint64_t t, seq, arg;
    uint32_t gen;
    uint8_t type, a;
} sim_ev;

#define SIM_HEAP_MAX 8192u

/* One frame from exposure start to delivery (ring indexed by frame id). */
typedef struct {
    uint64_t id;
    uint64_t start_ns, exp_end_ns; /* exp_end_ns 0 while unknown (TriggerWidth) */
    double exposure_us, gain_db;
    uint32_t line_status;          /* LineStatusAll at exposure start */
    uint32_t counter[2];           /* counter values at exposure start */
    uint32_t seq_set;              /* SequencerSetActive at exposure start (ChunkSequencerSetActive) */
    bool seq_on;                   /* SequencerMode On: the render uses the values below */
    double black_level;            /* the sequencer set's BlackLevel, OffsetX/Y, DigitalShift, TestImage */
    uint32_t offset_x, offset_y, digital_shift, test_image;
    bool triggered;
} cam_frame_rec;

/* A comma list of 1-based numbers (SimFaultMissTriggers, SimFaultDropEdges), sorted, unique. */
#define CAM_NUMBER_LIST_MAX 64u
typedef struct {
    uint64_t v[CAM_NUMBER_LIST_MAX];
    size_t n;
} cam_number_list;

/* Edges a wired input has been sent and not yet put on its timeline (wiring.c; g_wire_mu). */
#define CAM_WIRE_INBOX 256u
typedef struct {
    uint64_t mono_ns; /* host CLOCK_MONOTONIC at which the edge arrives (source edge + delay) */
    bool level;
} cam_wire_edge;

#define CAM_REC_RING 256u
#define CAM_READY_MAX 1024u
#define CAM_LATE_SLACK_NS 500000000ull /* see sim_pop_ready */

/* --- device clock (clock.c) --- */
typedef struct {
    uint64_t t0_ns;         /* CLOCK_MONOTONIC at creation: device clock zero, moved forward by every
                             * pause (the device clock stands still while the simulator rebuilds) */
    int pause_depth;        /* > 0 while the simulator pauses the device clock */
    uint64_t pause_dev;     /* device time at which the clock stands */
    uint64_t pause_mono;    /* CLOCK_MONOTONIC when the pause began */
    double drift_ppm;       /* device clock rate - 1, in ppm (SimClockDriftPpm) */
    uint64_t offset_ns;     /* device time at power-up (SimClockOffset) */
} cam_clock;

/* --- wiring (wiring.c): inputs driven by another camera's output --- */
typedef struct {
    cam_wire wire[5];            /* per input line; source CAM_LINE_SOURCE_OFF = driven by hand */
    cam_wire_edge inbox[5][CAM_WIRE_INBOX]; /* guarded by g_wire_mu, not mu */
    size_t inbox_head[5], inbox_n[5];
    uint64_t inbox_overflow;
    bool inbox_dirty;            /* g_wire_mu: edges are waiting; wake this camera */
    int refs;                    /* g_wire_mu: wakers using this camera right now */
    bool out_level[5];           /* output line levels last sent to wired cameras */
    bool notify;                 /* edges were sent: wake their receivers once mu is released */
} cam_wiring;

/* --- events (events.c): a ring of CAM_EVENT_QUEUE_DEPTH records --- */
typedef struct {
    cam_event *ring;
    size_t head, n;
    uint64_t fired;              /* events queued since creation */
    uint16_t next_number;        /* cam_event.number of the next event */
} cam_event_queue;

/* --- temperature (thermal.c) --- */
typedef struct {
    double temp_c;               /* temperature at temp_t */
    uint64_t temp_t;
    double thr;                  /* data rate (B/s) assumed since temp_t */
    double tau_s, rise_c;
    uint32_t gen;                /* of the scheduled threshold crossings */
} cam_thermal;

/* --- user sets and state file (usersets.c) --- */
typedef struct {
    uint8_t *user_set[3];        /* saved UserSet1..3 (whole register store), NULL = never saved */
    uint8_t *powerup_set;        /* saved power-up settings (cam_powerup_save), NULL = none */
    char state_path[1024];
} cam_usersets;

struct cam_camera {
    pthread_mutex_t mu;     /* guards everything below except the renderer */
    pthread_cond_t cv;      /* broadcast on every change: writes, frames ready, events queued */
    cam_regmap regs;
    char serial[32];
    char log[512];          /* the pending log line (cam_log, cam_take_log) */
    uint64_t seed;          /* noise seed, from the serial */
    cam_clock clock;
    uint64_t render_credit_ns; /* time the frame consumer spent rendering since it last caught up */
    bool acquiring;
    bool unthrottled;

    /* --- simulated timeline (sim.c) --- */
    sim_ev heap[SIM_HEAP_MAX];
    size_t heap_n;
    uint64_t heap_seq;
    uint64_t sim_now;            /* device time processed so far */
    /* lines, index 1..4 */
    bool raw[5];                 /* physical level set by the simulation controls */
    bool sig[5];                 /* input after inverter and debouncer */
    uint32_t deb_gen[5];
    double train_hz[5];
    uint64_t train_t0[5], train_k[5];
    uint32_t train_gen[5];
    cam_number_list drop_edges[5]; /* SimFaultDropEdges: rising edges the cable drops */
    uint64_t input_rises[5];     /* rising edges that reached the input since AcquisitionStart */
    bool dropping[5];            /* the rising edge was dropped: so is its falling edge */
    /* acquisition */
    uint64_t frame_id;           /* last frame ID handed out by an exposure start */
    uint64_t last_start;         /* device time of the last exposure start */
    uint64_t next_allowed_start; /* overlap rule: earliest next exposure start */
    uint32_t period_gen;
    bool period_pending;         /* a free-run SIM_PERIOD is scheduled for frame_id */
    int pending_starts;          /* accepted triggers whose exposure has not started (delay) */
    bool exposing, width_open;   /* exposure running; TriggerWidth exposure whose end is unknown */
    uint64_t exposing_id;
    int frames_active;           /* started, not yet read out */
    uint32_t burst_remaining;
    uint64_t lost[2];            /* lost FrameStart / FrameBurstStart triggers */
    uint64_t frame_triggers;     /* FrameStart triggers received since AcquisitionStart */
    cam_number_list miss_triggers; /* SimFaultMissTriggers: received, counted, no frame */
    cam_frame_rec rec[CAM_REC_RING];
    uint64_t ready[CAM_READY_MAX]; /* frame ids ready for cam_wait_next_frame, oldest first */
    size_t ready_head, ready_n;
    /* counters and timer */
    uint32_t counter[2];
    bool timer_active;
    uint32_t timer_gen;

    cam_wiring wiring;
    cam_event_queue events;
    cam_thermal thermal;
    cam_usersets usersets;
    uint32_t seq_active;         /* SequencerSetActive (sequencer.c) */
    int auto_once_frames;        /* frames of the running Once of ExposureAuto/GainAuto (autofn.c) */

    pthread_mutex_t render_mu; /* the renderer is not thread-safe itself */
    img_renderer *renderer;
};

/* camera.c */
uint64_t cam_mono_ns(void);
/* Take c->mu and bring the timeline up to the device time now; returns that time. */
uint64_t cam_lock_now(cam_camera *c);
/* Wait up to timeout_ns (mu NOT held) for what `poll` looks for: it runs with c->mu held, the
 * timeline brought up to `now`, at once and again after every wake-up (the timeline's next
 * scheduled happening, or a broadcast of c->cv: writes, frames, events), until it says GOT or
 * STOP.  True when it said GOT. */
typedef enum { CAM_WAIT_ON, CAM_WAIT_GOT, CAM_WAIT_STOP } cam_wait_result;
typedef cam_wait_result (*cam_wait_poll)(cam_camera *c, uint64_t now, void *arg);
bool cam_wait(cam_camera *c, uint64_t timeout_ns, cam_wait_poll poll, void *arg);
/* Release c->mu, then wake the cameras wired to c that were sent edges meanwhile (wiring.c). */
void cam_unlock(cam_camera *c);
void cam_log(cam_camera *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* roi.c */
int64_t roi_width_max_locked(cam_camera *c);  /* WidthMax, HeightMax */
int64_t roi_height_max_locked(cam_camera *c);
size_t cam_payload_locked(cam_camera *c);      /* PayloadSize */

/* acquisition.c */
img_settings cam_settings_locked(cam_camera *c); /* what the renderer is given, from the registers */
size_t cam_image_bytes_locked(cam_camera *c);
double cam_frame_rate_locked(cam_camera *c, bool with_afr);
double cam_throughput_locked(cam_camera *c); /* DeviceLinkCurrentThroughput, B/s */

/* sim.c */
void sim_init(cam_camera *c);
void sim_advance(cam_camera *c, uint64_t now);             /* process everything due up to now */
uint64_t sim_next_due(cam_camera *c);                       /* UINT64_MAX when nothing is scheduled */
void sim_acquisition_start(cam_camera *c, uint64_t now);
void sim_acquisition_stop(cam_camera *c);
void sim_after_change(cam_camera *c, uint64_t now);         /* settings changed: replan */
void sim_line_changed(cam_camera *c, unsigned line, uint64_t now); /* inverter/mode changed */
void sim_trigger_software(cam_camera *c, int sel, uint64_t now);
void sim_software_signal(cam_camera *c, int signal /* 1..3 */, uint64_t now);
void sim_counter_reset(cam_camera *c, int n);
void sim_raw_level(cam_camera *c, unsigned line, bool level, uint64_t t);
/* An edge from outside (a pulse, a level, a wired camera) reaches `line` at t: counted, maybe
 * dropped by SimFaultDropEdges, then sim_raw_level. */
void sim_input_edge(cam_camera *c, unsigned line, bool level, uint64_t t);
void sim_shift_time(cam_camera *c, int64_t delta);      /* the device clock jumped by delta */
void sim_push_wire(cam_camera *c, unsigned line, bool level, uint64_t t);
void sim_pulse(cam_camera *c, unsigned line, uint64_t now);
void sim_train(cam_camera *c, unsigned line, double hz, uint64_t now);
bool sim_status(cam_camera *c, int which, uint64_t now);   /* AcquisitionStatusSelector value */
bool sim_line_status(cam_camera *c, unsigned line /* 1..4 */, uint64_t now);
uint32_t sim_line_status_all(cam_camera *c, uint64_t now);
bool sim_pop_ready(cam_camera *c, uint64_t now, cam_frame_tick *tick);
bool sim_unthrottled_frame(cam_camera *c, uint64_t now, cam_frame_tick *tick);
const cam_frame_rec *sim_find_rec(cam_camera *c, uint64_t id);
void sim_set_unthrottled(cam_camera *c, bool on, uint64_t now);
void sim_schedule_thermal(cam_camera *c, uint64_t t, int level, uint32_t gen);

/* clock.c: device time <-> CLOCK_MONOTONIC (mu held) */
void clock_init(cam_camera *c);                           /* seeded defaults, from the serial */
uint64_t cam_dev_now_locked(cam_camera *c);               /* device clock (stands still during a pause) */
/* The simulator pauses the device clock while it rebuilds the renderer (nested pauses count). */
void clock_pause_begin(cam_camera *c);
void clock_pause_end(cam_camera *c);
uint64_t clock_dev_of_mono(cam_camera *c, uint64_t mono);
uint64_t clock_mono_of_dev(cam_camera *c, uint64_t dev); /* rounded up: a wait never wakes early */

/* wiring.c */
void wiring_register(cam_camera *c);                      /* cam_create (mu not held) */
void wiring_unregister(cam_camera *c);                    /* cam_destroy: waits for wakers */
void wiring_outputs(cam_camera *c, uint64_t t);           /* send changed output levels at t */
void wiring_drain(cam_camera *c);                         /* put arrived edges on the timeline */
void wiring_wake(void);                                   /* mu NOT held: wake receivers */

/* faults.c */
/* Parse "3,7, 12" (1-based, at most CAM_NUMBER_LIST_MAX); "" = none.  False + why on bad text. */
bool faults_parse_list(const char *text, cam_number_list *out, char *why, size_t why_len);
void faults_format_list(const cam_number_list *l, char *buf, size_t len);
bool faults_in_list(const cam_number_list *l, uint64_t n);
/* Parse `list` into *slot (a list of cam's own), under cam's lock after the model caught up with now. */
cam_status faults_set_list(cam_camera *cam, cam_number_list *slot, const char *list, char *why, size_t why_len);

/* events.c */
bool events_init(cam_camera *c);
void events_free(cam_camera *c);
/* Queue the event of EventSelector value `sel` at device time t, if its EventNotification is On. */
void event_emit(cam_camera *c, int sel, uint64_t t, uint64_t frame_id);

/* chunks.c */
typedef struct {
    bool active;
    bool enable[CAM_CHUNK_COUNT];
} cam_chunk_cfg;
cam_chunk_cfg chunks_config_locked(cam_camera *c);
size_t chunks_payload_size(const cam_chunk_cfg *cfg, size_t image_bytes);
/* Writes the trailers and chunks after the image; returns the filled size. */
size_t chunks_write(const cam_chunk_cfg *cfg, uint8_t *dst, size_t image_bytes, uint64_t timestamp_ns,
                    const cam_frame_rec *rec);
uint16_t crc16_ccitt_false(const uint8_t *p, size_t n);

/* usersets.c */
void usersets_load_state(cam_camera *c);   /* at creation: read the state file, apply UserSetDefault */
void usersets_persist(cam_camera *c);      /* write the state file (atomic) */
void usersets_free(cam_camera *c);
void usersets_factory(cam_camera *c, int64_t which, uint8_t *store); /* factory set into a store */

/* sequencer.c */
void seq_mode_on(cam_camera *c);                          /* SequencerMode became On / acquisition starts */
void seq_signal(cam_camera *c, int64_t source, uint64_t t); /* a SequencerTriggerSource fired */

/* thermal.c */
void thermal_init(cam_camera *c);
double thermal_temp(cam_camera *c, uint64_t now);
void thermal_replan(cam_camera *c, uint64_t now);         /* data rate may have changed */
void thermal_crossing(cam_camera *c, int level, uint32_t gen, uint64_t t);

/* autofn.c: measure a rendered frame and adjust ExposureTime / Gain (takes c->mu itself). */
void autofn_after_render(cam_camera *c, const img_settings *s, const uint8_t *img);

#endif
