/* core.h - the producer's object model and global state, shared by the module files.
 *
 * Locking (see GENTL.md "Threading"):
 *   g_gt.api  serialises every control call (open/close/start/stop/announce/port access...).
 *   g_gt.data protects everything the stream thread and the event functions touch: the handle
 *             registry, buffer queues, counters, event queues.  Lock order: api -> data.
 *   Event wait functions (EventGetData...) take only `data` and wait on a condition variable,
 *   so a thread blocked in EventGetData never blocks another API call.  The stream thread takes
 *   only `data`, and releases it while waiting for the sensor and while rendering, so joining it
 *   under `api` (with `data` released) cannot deadlock.
 */
#ifndef ACESIM_GENTL_CORE_H
#define ACESIM_GENTL_CORE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "gentl_types.h"
#include "devxml.h"
#include "../model/camera.h"
#include "../../generated/camera_regs.h"

#define GT_MAX_CAMERAS 16
#define GT_NUM_EVENT_TYPES 6 /* EVENT_ERROR .. EVENT_MODULE */
#define GT_EVENT_DATA_MAX 1024u
#define GT_EVENT_QUEUE_MAX 256u

#define GT_TL_ID "ace_gentl_sim"
#define GT_TL_VENDOR "ace-gentl-sim"
#define GT_TL_MODEL "Simulated Basler acA4112-20um U3V producer"
#define GT_TL_VERSION "1.0.0"
#define GT_TL_TYPE "U3V"
#define GT_IF_ID "U3V-SIM-IF0"
#define GT_IF_DISPLAYNAME "Simulated USB3 Vision interface 0"
#define GT_DS_ID "Stream0"
#define GT_TIMESTAMP_FREQ UINT64_C(1000000000)
#define GT_CAM_ADDR_ACQUISITION_START CAM_ADDR_AcquisitionStart
#define GT_CAM_ADDR_ACQUISITION_STOP CAM_ADDR_AcquisitionStop

typedef enum {
    GT_TL = 1u << 0,
    GT_IF = 1u << 1,
    GT_DEV = 1u << 2,
    GT_DS = 1u << 3,
    GT_BUF = 1u << 4,
    GT_RPORT = 1u << 5,
    GT_EVENT = 1u << 6,
} gt_kind;

#define GT_MODULES (GT_TL | GT_IF | GT_DEV | GT_DS | GT_BUF)
#define GT_PORTS (GT_MODULES | GT_RPORT)

typedef struct gt_event gt_event;
typedef struct gt_system gt_system;
typedef struct gt_iface gt_iface;
typedef struct gt_device gt_device;
typedef struct gt_stream gt_stream;
typedef struct gt_buffer gt_buffer;
typedef struct gt_rport gt_rport;

/* Common head of every handle object. */
typedef struct gt_obj {
    gt_kind kind;
    gt_event *events[GT_NUM_EVENT_TYPES]; /* registered events of this event source */
} gt_obj;

/* A simulated camera on the (single) interface: exists from GCInitLib to GCCloseLib. */
typedef struct {
    cam_camera *cam;
    char serial[16];
    char id[48];
    bool unthrottled;   /* device-module feature SimUnthrottled */
    gt_device *open_dev; /* opened by this process, or NULL */
    int lock_fd;         /* flock'ed $STATE/locks/<serial>.lock while open here, else -1 */
    /* Simulation controls of the Device module (belong to the camera, persist across DevClose) */
    int64_t sim_line_sel;        /* SimLineSelector: 0 = Line1, 1 = Line3, 2 = Line4 */
    int64_t sim_trig_sel;        /* SimTriggerSelector: 0 = FrameStart, 1 = FrameBurstStart */
    int64_t fault_disconnect;    /* SimFaultDisconnectAfterFrames, 0 = off */
    double fault_incomplete;     /* SimFaultIncompleteRate 0..1 */
    double fault_drop;           /* SimFaultDropRate 0..1 */
    int64_t fault_stall_ms;      /* SimFaultStallMs, 0 = off */
    int64_t fault_seed;          /* SimFaultSeed */
    bool stall_armed;            /* one stall pending */
    uint64_t disc_count;         /* frames delivered since the disconnect fault was armed */
    bool gone;                   /* disconnected (fault) until closed and re-enumerated */
    int64_t fault_unplug_ms;     /* SimFaultUnplugAfterMs: armed by the next AcquisitionStart, 0 = off */
    int64_t fault_replug_ms;     /* SimFaultReplugAfterMs: back this long after the unplug */
    uint64_t unplug_at;          /* CLOCK_MONOTONIC ns of the armed unplug, 0 = none */
    uint64_t replug_at;          /* unplugged by time: not listed, not openable before this */
    bool unplugged;              /* gone by SimFaultUnplugAfterMs: off the device list until back */
    bool clock_set;              /* SimClockDriftPpm/SimClockOffset written: kept over a re-plug */
    double clock_drift_ppm;
    uint64_t clock_offset_ns;
    /* The description file a new open serves (cti/README.md "Serving any camera's XML"), set when
     * the camera is created: ACE_SIM_DEVICE_XML, else the saved power-up state; NULL = own XML. */
    gt_devxml *boot;
    char boot_origin[1400];      /* where `boot` comes from (Interface feature SimDeviceXmlSource) */
    char boot_error[1400];       /* ACE_SIM_DEVICE_XML is unusable: IFOpenDevice fails with this text */
    /* The file last written to SimDeviceXml; kept after DevClose so that opening again with the
     * same file finds its register memory as it was (like a powered camera). */
    gt_devxml *chosen;
    char powerup_note[256];      /* SimPowerUpNote: stored with SimPowerUpSave */
} gt_camslot;

struct gt_system {
    gt_obj hdr;
    gt_iface *iface;         /* the open interface, or NULL */
    int64_t iface_selector;  /* InterfaceSelector */
};

struct gt_iface {
    gt_obj hdr;
    gt_system *tl;
    int64_t dev_selector;    /* DeviceSelector */
};

struct gt_rport {
    gt_obj hdr;              /* kind GT_RPORT: the remote-device port of a device */
    gt_device *dev;
};

/* Which description file an open device serves. */
typedef enum {
    GT_XML_BOOT = 0,         /* the camera's power-up choice (slot->boot; NULL = own) */
    GT_XML_OWN,              /* SimDeviceXml = "": the simulator's own */
    GT_XML_CHOSEN,           /* SimDeviceXml = a file: slot->chosen */
} gt_xml_choice;

struct gt_device {
    gt_obj hdr;
    gt_iface *iface;
    gt_camslot *slot;
    DEVICE_ACCESS_FLAGS access;
    gt_rport *rport;
    gt_stream *ds;           /* the open data stream, or NULL */
    gt_xml_choice xml_choice;
    bool xml_read;           /* the remote port's URL or XML was read: SimDeviceXml is fixed for this open */
};

/* The description file `dev` serves: NULL = the simulator's own. */
gt_devxml *gt_dev_served_xml(const gt_device *dev);
/* The served file is foreign (not the simulator's register layout): the remote registers are
 * memory, and the DataStream starts and stops the camera model itself. */
bool gt_dev_register_memory(const gt_device *dev);

typedef enum {
    GT_BUF_ANNOUNCED = 0, /* announced, in no queue, not with the user as a delivered buffer */
    GT_BUF_INPUT,         /* in the input pool */
    GT_BUF_ACQUIRING,     /* being filled by the stream thread */
    GT_BUF_OUTPUT,        /* in the output queue (waiting for EventGetData) */
    GT_BUF_DELIVERED,     /* handed to the user by EventGetData */
} gt_buf_state;

struct gt_buffer {
    gt_obj hdr;
    gt_stream *ds;
    uint8_t *base;
    size_t size;
    void *priv;
    bool owned;              /* allocated by DSAllocAndAnnounceBuffer */
    gt_buf_state state;
    gt_buffer *qnext;        /* link in the input or output queue */
    bool filled;             /* has ever been filled */
    bool new_data;
    cam_frame_info info;
};

typedef struct {
    gt_buffer *head, *tail;
    size_t n;
} gt_bufq;

struct gt_stream {
    gt_obj hdr;
    gt_device *dev;
    gt_buffer **bufs;        /* announced buffers in announce order */
    size_t nbufs, capbufs;
    gt_bufq input, output;
    uint64_t num_delivered, num_underrun, num_started;
    uint64_t num_dropped;    /* SimFaultDropRate: frames lost on the simulated link */
    bool grabbing;           /* between DSStartAcquisition and stop / iNumToAcquire reached */
    bool thread_joinable;
    bool stop_req, stop_kill;
    uint64_t num_to_acquire, delivered_this_run;
    uint64_t last_frame_id;  /* last sensor frame ID seen in this run (gap = lost frames) */
    pthread_t thread;
    pthread_cond_t cond;     /* input pool changed / stop requested */
    int64_t handling_mode;   /* StreamBufferHandlingMode: 0 = OldestFirst */
};

typedef struct gt_evitem {
    struct gt_evitem *next;
    size_t len;
    uint8_t data[];
} gt_evitem;

struct gt_event {
    gt_obj hdr;              /* kind GT_EVENT */
    uint64_t cam_fired_base; /* EVENT_REMOTE_DEVICE: cam_events_fired() at registration */
    gt_obj *src;
    EVENT_TYPE type;
    pthread_cond_t cond;
    gt_evitem *head, *tail;  /* data queue (not used by EVENT_NEW_BUFFER: that is ds->output) */
    size_t nitems;
    uint64_t num_fired;
    unsigned kills;          /* pending EventKill requests */
    int waiters;
    bool dead;               /* unregistered while a thread waited: the last waiter frees it */
};

typedef struct {
    pthread_mutex_t api;
    pthread_mutex_t data;
    bool initialized;
    gt_system *tl;
    size_t ncams;
    gt_camslot cams[GT_MAX_CAMERAS];
    int model_waiters;        /* threads inside cam_wait_event with data released */
    pthread_cond_t model_cond; /* signalled when model_waiters drops */
} gt_global;

extern gt_global g_gt;

/* Enter/leave a control call: takes api+data; fails with GC_ERR_NOT_INITIALIZED. */
GC_ERROR gt_begin(void);
void gt_end(void);
/* Event calls: only data. */
GC_ERROR gt_begin_data(void);
void gt_end_data(void);

/* Monotonic deadline helpers for condition waits (CLOCK_MONOTONIC condvars). */
void gt_cond_init(pthread_cond_t *c);
/* Deadline now + timeout_ms on CLOCK_MONOTONIC; returns false for "forever" (GENTL_INFINITE
 * or absurdly long timeouts). */
bool gt_deadline(struct timespec *ts, uint64_t timeout_ms);
/* Wait on c (g_gt.data held) until signalled or the deadline (NULL: forever).
 * Returns false when the deadline has passed. */
bool gt_cond_wait_until(pthread_cond_t *c, const struct timespec *deadline);

/* Module lifetimes (locks held). */
void gt_system_close(gt_system *tl);
void gt_iface_close(gt_iface *ifc);
void gt_device_close(gt_device *dev);
void gt_stream_close(gt_stream *ds);
void gt_buffer_free(gt_buffer *b);

/* Cameras (system.c). */
GC_ERROR gt_cameras_create(void);
void gt_cameras_destroy(void);
gt_camslot *gt_camslot_by_id(const char *id);
DEVICE_ACCESS_STATUS gt_camslot_access_status(const gt_camslot *slot);
/* PID of another process that has the camera open (-1 unknown), 0 if none. */
long gt_camslot_holder_pid(const gt_camslot *slot);
/* The camera was unplugged (SimFaultDisconnectAfterFrames); data held. */
void gt_camslot_disconnect(gt_camslot *slot);
/* Re-plug disconnected cameras that are closed (IFUpdateDeviceList); returns true if any. */
bool gt_cameras_replug(void);
/* SimFaultUnplugAfterMs: AcquisitionStart arms it; check unplugs when its time has come (data
 * held; true if the camera is gone).  Listed: on the interface's device list now. */
void gt_camslot_acquisition_started(gt_camslot *slot);
bool gt_camslot_check_unplug(gt_camslot *slot);
bool gt_camslot_listed(gt_camslot *slot);
/* CLOCK_MONOTONIC in ns. */
uint64_t gt_mono_ns(void);
/* Write the model's pending log line (cam_take_log) to stderr, prefixed "ace_gentl_sim: ". */
void gt_camslot_log(gt_camslot *slot);
/* Cross-process ownership (GENTL.md "Busy across processes"): claim on IFOpenDevice, release on close. */
bool gt_camslot_claim(gt_camslot *slot);
void gt_camslot_release(gt_camslot *slot);

/* The simulator's state folder: $ACE_SIM_STATE_DIR, else $XDG_CACHE_HOME/ace_gentl_sim, else
 * ~/.cache/ace_gentl_sim (the model's user-set files use the same rule). */
void gt_state_dir(char *buf, size_t len);
/* The power-up choice of a camera (re)created now: ACE_SIM_DEVICE_XML or the saved state (system.c). */
void gt_camslot_boot(gt_camslot *slot);
/* <state>/<serial>.powerup */
bool gt_powerup_path(const gt_camslot *slot, char *buf, size_t len);

/* Identity of this library file (dladdr). */
const char *gt_lib_path(void);
const char *gt_lib_name(void);

#endif
