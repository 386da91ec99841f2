/* events.c - remote-device events: one complete U3V event message per occurrence, queued in a
 * ring of CAM_EVENT_QUEUE_DEPTH messages that the adapter drains (cam_wait_event).
 *
 * Message (little endian), camera.h: u32 prefix 'U3VE' 0x45563355, u16 flags 0, u16 command 0x0C00,
 * u16 scd_length, u16 request_id, then the SCD: u16 event_size (12 + data), u16 event_id,
 * u64 timestamp (device ns), data (u64 FrameID for the events that carry one). */
#include <stdlib.h>
#include <string.h>

#include "camera_internal.h"

static const uint16_t event_ids[CAM_EVENT_COUNT] = {
    CAM_EVENT_ID_ExposureEnd,           CAM_EVENT_ID_FrameStart,
    CAM_EVENT_ID_FrameBurstStart,       CAM_EVENT_ID_FrameStartOvertrigger,
    CAM_EVENT_ID_FrameBurstStartOvertrigger, CAM_EVENT_ID_FrameStartWait,
    CAM_EVENT_ID_FrameBurstStartWait,   CAM_EVENT_ID_CriticalTemperature,
    CAM_EVENT_ID_OverTemperature,
};
static const bool event_has_frame_id[CAM_EVENT_COUNT] = {
    CAM_EVENT_HAS_FRAMEID_ExposureEnd,           CAM_EVENT_HAS_FRAMEID_FrameStart,
    CAM_EVENT_HAS_FRAMEID_FrameBurstStart,       CAM_EVENT_HAS_FRAMEID_FrameStartOvertrigger,
    CAM_EVENT_HAS_FRAMEID_FrameBurstStartOvertrigger, CAM_EVENT_HAS_FRAMEID_FrameStartWait,
    CAM_EVENT_HAS_FRAMEID_FrameBurstStartWait,   CAM_EVENT_HAS_FRAMEID_CriticalTemperature,
    CAM_EVENT_HAS_FRAMEID_OverTemperature,
};

bool events_init(cam_camera *c)
{
    c->evq = calloc(CAM_EVENT_QUEUE_DEPTH, sizeof *c->evq);
    c->evq_len = calloc(CAM_EVENT_QUEUE_DEPTH, 1);
    c->evq_id = calloc(CAM_EVENT_QUEUE_DEPTH, sizeof *c->evq_id);
    return c->evq && c->evq_len && c->evq_id;
}

void events_free(cam_camera *c)
{
    free(c->evq);
    free(c->evq_len);
    free(c->evq_id);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void event_emit(cam_camera *c, int sel, uint64_t t, uint64_t frame_id)
{
    if (sel < 0 || sel >= CAM_EVENT_COUNT || GIX(c, EventNotification, sel) != CAM_ENUM_EventNotification_On)
        return;
    if (c->evq_n == CAM_EVENT_QUEUE_DEPTH) { /* full: drop the oldest, count it */
        c->evq_head = (c->evq_head + 1) % CAM_EVENT_QUEUE_DEPTH;
        c->evq_n--;
        c->ev_dropped++;
    }
    size_t slot = (c->evq_head + c->evq_n) % CAM_EVENT_QUEUE_DEPTH;
    uint8_t *m = c->evq[slot];
    uint16_t data = event_has_frame_id[sel] ? 8 : 0;
    uint16_t scd = (uint16_t)(12 + data);
    memset(m, 0, CAM_EVENT_MESSAGE_MAX);
    m[0] = 0x55, m[1] = 0x33, m[2] = 0x56, m[3] = 0x45; /* 0x45563355 little endian */
    put16(m + 4, 0);
    put16(m + 6, 0x0C00);
    put16(m + 8, scd);
    put16(m + 10, c->ev_request_id++);
    put16(m + 12, scd);
    put16(m + 14, event_ids[sel]);
    put64(m + 16, t);
    if (data)
        put64(m + 24, frame_id);
    c->evq_len[slot] = (uint8_t)(12 + scd);
    c->evq_id[slot] = event_ids[sel];
    c->evq_n++;
    c->ev_fired++;
    pthread_cond_broadcast(&c->cv);
}
