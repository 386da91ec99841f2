/* camera.h - pure model of the Basler acA4112-20um (registers, timing, frames).
 *
 * The model knows nothing of GenTL: the transport adapter in src/gentl/ maps
 * GenTL calls onto these functions (Aravis' fake camera / fake device split).
 * Every function is thread-safe: the model keeps its own mutex, so register
 * access from the API thread and frame rendering from the stream thread may
 * run concurrently.  Rendering copies the settings under the mutex and renders
 * outside it.
 */
#ifndef ACESIM_CAMERA_H
#define ACESIM_CAMERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CAM_OK = 0,
    CAM_ERR_ADDRESS,   /* no register there, or access crosses a register -> GC_ERR_INVALID_ADDRESS */
    CAM_ERR_ACCESS,    /* read-only, write-only, or locked while streaming -> GC_ERR_ACCESS_DENIED  */
    CAM_ERR_VALUE,     /* out of range, off increment, unknown entry       -> GC_ERR_INVALID_VALUE  */
    CAM_ERR_PARAMETER, /* NULL pointer or zero length                      -> GC_ERR_INVALID_PARAMETER */
    CAM_ERR_STATE,     /* e.g. command not allowed now                     -> GC_ERR_RESOURCE_IN_USE */
} cam_status;

typedef struct cam_camera cam_camera;

/* Create a camera with the given 8-digit serial number, in factory state. NULL on out of memory. */
cam_camera *cam_create(const char *serial);
void cam_destroy(cam_camera *cam);

/* Register access, little endian, as a U3V device's register space (SBRM/SIRM/technology-agnostic
 * region all live in one 64-bit address space).  `why` (may be NULL) receives a one-line human
 * explanation on failure, e.g. "Width: 4097 is off increment 4 (min 16, max 4112)". */
cam_status cam_read(cam_camera *cam, uint64_t address, void *buf, size_t len, char *why, size_t why_len);
cam_status cam_write(cam_camera *cam, uint64_t address, const void *buf, size_t len, char *why, size_t why_len);

/* The device description file, served by the adapter through the remote-device port at
 * cam_xml_address() with URL "local:<cam_xml_filename()>;<addr hex>;<len hex>?SchemaVersion=1.1.0".
 * Reads of [address, address+len) of cam_read() also return these bytes. */
const uint8_t *cam_xml(size_t *len);
const char *cam_xml_filename(void);
uint64_t cam_xml_address(void);

/* Identity, for DevGetInfo / IFGetDeviceInfo.  Returned strings live as long as the camera;
 * cam_user_id copies into buf because the user may change it. */
const char *cam_vendor_name(const cam_camera *cam);     /* "Basler" */
const char *cam_model_name(const cam_camera *cam);      /* "acA4112-20um" */
const char *cam_serial_number(const cam_camera *cam);
const char *cam_device_version(const cam_camera *cam);  /* DeviceVersion */
const char *cam_firmware_version(const cam_camera *cam);
void cam_user_id(cam_camera *cam, char *buf, size_t len);

/* Device clock in ns: offset + elapsed * (1 + drift_ppm * 1e-6), elapsed = host CLOCK_MONOTONIC
 * ns since the camera was powered (created), minus the simulator's own pauses.  Every device time
 * (TimestampLatchValue, frame and chunk timestamps, event timestamps, the frame schedule) is on
 * this clock.  cam_create seeds drift and offset from the serial number (cam_clock_get). */
uint64_t cam_now_ns(cam_camera *cam);
#define CAM_CLOCK_DRIFT_MAX_PPM 1000.0
/* Refused while acquiring (the running schedule is on the clock): CAM_ERR_STATE; drift beyond
 * +-CAM_CLOCK_DRIFT_MAX_PPM or NaN: CAM_ERR_VALUE.  The clock restarts at offset (power-up). */
cam_status cam_clock_set(cam_camera *cam, double drift_ppm, uint64_t offset_ns, char *why, size_t why_len);
void cam_clock_get(cam_camera *cam, double *drift_ppm, uint64_t *offset_ns);

/* --- Acquisition, driven by the adapter's stream thread --- */

/* PayloadSize in bytes for the current settings (what a buffer must hold). */
size_t cam_payload_size(cam_camera *cam);

/* True between AcquisitionStart and AcquisitionStop (written through the registers). */
bool cam_is_acquiring(cam_camera *cam);

/* Unthrottled: frames come as fast as the adapter asks (simulation control SimUnthrottled). */
void cam_set_unthrottled(cam_camera *cam, bool on);

/* One sensor frame. */
typedef struct {
    uint64_t frame_id;     /* starts at 1 after AcquisitionStart, counts every frame the sensor produced */
    uint64_t timestamp_ns; /* device clock at exposure start */
} cam_frame_tick;

/* Wait until the sensor produces its next frame (frame period from ResultingFrameRate; immediately
 * when unthrottled), at most timeout_ns.  Returns true and fills *tick when a frame is due; false
 * on timeout or when acquisition is not running.  The adapter calls this in a loop; a frame that
 * finds no buffer is lost (the adapter counts it), its frame ID is still consumed. */
bool cam_wait_next_frame(cam_camera *cam, uint64_t timeout_ns, cam_frame_tick *tick);

/* What a rendered frame contains (feeds DSGetBufferInfo). */
typedef struct {
    uint64_t frame_id;
    uint64_t timestamp_ns;
    size_t width, height;         /* delivered image size in pixels */
    size_t offset_x, offset_y;    /* ROI offsets as set (sensor pixels / binning) */
    size_t padding_x;             /* 0 */
    uint64_t pixel_format;        /* PFNC code */
    size_t image_size;            /* bytes of image data at offset 0 */
    size_t filled;                /* bytes written: image (+ chunk area with ChunkModeActive) */
    bool contains_chunks;         /* ChunkModeActive */
    size_t chunk_payload_size;    /* bytes of the whole chunk layout (== filled) */
    bool incomplete;
} cam_frame_info;

/* Render the frame for `tick` into dst.  dst_size must be >= cam_payload_size() as it was
 * when the frame's settings were taken; otherwise CAM_ERR_PARAMETER and info->incomplete. */
cam_status cam_render_frame(cam_camera *cam, const cam_frame_tick *tick, void *dst, size_t dst_size,
                            cam_frame_info *info);


/* --- Simulated wiring, remote-device events, persistence --- */

/* Simulated wiring, driven by the Device-module Simulation controls (SimLineSelector etc.).
 * `line` is 1, 3 or 4 (the camera's inputs); anything else -> CAM_ERR_VALUE.
 * A pulse is a rising edge now and a falling edge CAM_SIM_PULSE_WIDTH_NS later. */
#define CAM_SIM_PULSE_WIDTH_NS 10000u
cam_status cam_sim_line_pulse(cam_camera *cam, unsigned line);
cam_status cam_sim_line_level(cam_camera *cam, unsigned line, bool high);
/* Periodic pulse train on `line` at `hz` (0 = off). */
cam_status cam_sim_line_pulse_frequency(cam_camera *cam, unsigned line, double hz);
/* Current settings of the wiring, for reading the Simulation controls back. */
bool cam_sim_get_line_level(cam_camera *cam, unsigned line);
double cam_sim_get_line_pulse_frequency(cam_camera *cam, unsigned line);
/* Cameras wired to each other (cti/README.md "Cameras wired to each other").  An input (1, 3, 4)
 * with source CAM_LINE_SOURCE_CAMERA follows the output `line` (2, 3, 4) of the camera with serial
 * `camera` (in this process), `delay_us` later on the host clock; the edge then passes this
 * camera's inverter and debouncer like any other.  While wired, the hand controls of that input
 * (pulse, level, pulse train) are refused (CAM_ERR_STATE). */
typedef enum { CAM_LINE_SOURCE_OFF = 0, CAM_LINE_SOURCE_CAMERA = 1 } cam_line_source;
#define CAM_WIRE_DELAY_MAX_US 1000000.0
typedef struct {
    cam_line_source source;
    char camera[32];   /* serial number of the driving camera ("" = none yet) */
    unsigned line;     /* its output line: 2, 3 or 4 */
    double delay_us;   /* propagation delay, 0..CAM_WIRE_DELAY_MAX_US; default 1.0 */
} cam_wire;
cam_status cam_sim_set_wire(cam_camera *cam, unsigned line, const cam_wire *wire, char *why, size_t why_len);
cam_status cam_sim_get_wire(cam_camera *cam, unsigned line, cam_wire *wire);
/* SimFaultDropEdges: the cable to input `line` drops these rising edges (and their falling
 * edges), 1-based, counted since AcquisitionStart: no counter, trigger or sequencer sees them.
 * `list` is "5" or "3,7" ("" = none). */
cam_status cam_sim_set_drop_edges(cam_camera *cam, unsigned line, const char *list, char *why, size_t why_len);
void cam_sim_get_drop_edges(cam_camera *cam, unsigned line, char *buf, size_t len);
/* SimFaultMissTriggers: FrameStart triggers (1-based since AcquisitionStart) the camera receives
 * (counters with CounterEventSource FrameTrigger count them) but exposes no frame for. */
cam_status cam_sim_set_miss_triggers(cam_camera *cam, const char *list, char *why, size_t why_len);
void cam_sim_get_miss_triggers(cam_camera *cam, char *buf, size_t len);

/* Simulator diagnostic (Device-module SimLostTriggerCount, never in the camera XML): triggers
 * lost since AcquisitionStart because the camera could not accept them.  `trigger` is the
 * TriggerSelector value: 0 = FrameStart (overtriggers), 1 = FrameBurstStart; anything else -> 0. */
uint64_t cam_sim_lost_triggers(cam_camera *cam, unsigned trigger);

/* Remote-device events: when EventNotification is On for an event, the model queues one record
 * per occurrence.  The adapter drains the queue for EVENT_REMOTE_DEVICE and frames each record as
 * a U3V event message (src/gentl/event.c).  The queue holds CAM_EVENT_QUEUE_DEPTH records; none
 * are lost at the full frame rate (when it is full, the oldest is dropped). */
#define CAM_EVENT_QUEUE_DEPTH 4096u
typedef struct {
    uint16_t event_id;     /* CAM_EVENT_ID_* (generated/camera_regs.h) */
    uint16_t number;       /* counts the camera's queued events, wrapping (the U3V request_id) */
    uint64_t timestamp_ns; /* device clock */
    bool has_frame_id;     /* the event carries the frame it refers to (CAM_EVENT_HAS_FRAMEID_*) */
    uint64_t frame_id;
} cam_event;
/* Wait up to timeout_ns for the oldest queued event; takes it into *ev and returns true, or false
 * on timeout. */
bool cam_wait_event(cam_camera *cam, uint64_t timeout_ns, cam_event *ev);
size_t cam_event_queue_length(cam_camera *cam);
uint64_t cam_events_fired(cam_camera *cam);
void cam_flush_events(cam_camera *cam);

/* Persistent state (user sets UserSet1-3, UserSetDefault, DeviceUserID) lives in
 * $ACE_SIM_STATE_DIR (default $XDG_CACHE_HOME/ace_gentl_sim or ~/.cache/ace_gentl_sim), one file
 * per serial number.  cam_create loads it and applies UserSetDefault; a damaged file is reported
 * through cam_take_log() and factory values are used instead (never a crash). */
/* Power-up settings: a stored copy of every user-set register (the same members as a user set),
 * kept in the state file as "set PowerUp".  cam_create loads but does not apply them: the adapter
 * calls cam_powerup_apply() after creating the camera (ACE_SIM_DEVICE_XML unset), so a saved
 * rehearsal setup (ace-gentl sim --from-recording) comes back in every process until cleared. */
cam_status cam_powerup_save(cam_camera *cam, char *why, size_t why_len);
void cam_powerup_clear(cam_camera *cam);
bool cam_powerup_saved(cam_camera *cam);
/* Apply the saved power-up settings (not while acquiring); false when there are none. */
bool cam_powerup_apply(cam_camera *cam);

/* Returns and clears the model's pending log line (empty string if none); the adapter logs it. */
void cam_take_log(cam_camera *cam, char *buf, size_t len);

#endif
