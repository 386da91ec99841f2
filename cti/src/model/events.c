/* events.c - remote-device events: one record per occurrence (event ID, device time, the frame it
 * refers to), queued in a ring of CAM_EVENT_QUEUE_DEPTH records that the adapter drains
 * (cam_wait_event) and frames as U3V event messages.  The model knows nothing of the framing. */
#include <stdlib.h>

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
    c->events.ring = calloc(CAM_EVENT_QUEUE_DEPTH, sizeof *c->events.ring);
    return c->events.ring != NULL;
}

void events_free(cam_camera *c)
{
    free(c->events.ring);
}

void event_emit(cam_camera *c, int sel, uint64_t t, uint64_t frame_id)
{
    if (sel < 0 || sel >= CAM_EVENT_COUNT || GIX(c, EventNotification, sel) != CAM_ENUM_EventNotification_On)
        return;
    cam_event_queue *q = &c->events;
    if (q->n == CAM_EVENT_QUEUE_DEPTH) { /* full: drop the oldest */
        q->head = (q->head + 1) % CAM_EVENT_QUEUE_DEPTH;
        q->n--;
    }
    cam_event *e = &q->ring[(q->head + q->n) % CAM_EVENT_QUEUE_DEPTH];
    e->event_id = event_ids[sel];
    e->number = q->next_number++;
    e->timestamp_ns = t;
    e->has_frame_id = event_has_frame_id[sel];
    e->frame_id = e->has_frame_id ? frame_id : 0;
    q->n++;
    q->fired++;
    pthread_cond_broadcast(&c->cv);
}

static cam_wait_result take_event(cam_camera *c, uint64_t now, void *ev)
{
    (void)now;
    cam_event_queue *q = &c->events;
    if (!q->n)
        return CAM_WAIT_ON;
    if (ev)
        *(cam_event *)ev = q->ring[q->head];
    q->head = (q->head + 1) % CAM_EVENT_QUEUE_DEPTH;
    q->n--;
    return CAM_WAIT_GOT;
}

bool cam_wait_event(cam_camera *cam, uint64_t timeout_ns, cam_event *ev)
{
    return cam && cam_wait(cam, timeout_ns, take_event, ev);
}

size_t cam_event_queue_length(cam_camera *cam)
{
    if (!cam)
        return 0;
    cam_lock_now(cam);
    size_t n = cam->events.n;
    cam_unlock(cam);
    return n;
}

uint64_t cam_events_fired(cam_camera *cam)
{
    if (!cam)
        return 0;
    cam_lock_now(cam);
    uint64_t n = cam->events.fired;
    cam_unlock(cam);
    return n;
}

void cam_flush_events(cam_camera *cam)
{
    if (!cam)
        return;
    cam_lock_now(cam);
    cam->events.n = 0;
    cam->events.head = 0;
    cam_unlock(cam);
}
