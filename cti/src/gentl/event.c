/* event.c - event objects.  EVENT_NEW_BUFFER's queue is the data stream's output queue; the
 * other event types keep a FIFO of data items (at most GT_EVENT_QUEUE_MAX, oldest dropped).
 * EVENT_REMOTE_DEVICE frames the camera model's event records as U3V event messages. */
#include "event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "handles.h"
#include "info.h"

#define U3V_EVENT_PREFIX UINT32_C(0x45563355)
#define U3V_EVENT_CMD 0x0C00u
#define U3V_EVENT_MESSAGE_MAX 32u /* with a FrameID; 24 bytes without */

static cam_camera *remote_cam(const gt_event *ev);

static bool type_allowed(gt_kind kind, EVENT_TYPE type)
{
    switch (type) {
    case EVENT_NEW_BUFFER: return kind == GT_DS;
    case EVENT_MODULE: return (kind & GT_MODULES) != 0;
    case EVENT_REMOTE_DEVICE: return kind == GT_DEV;
    default: return false;
    }
}

GC_ERROR gt_event_register(gt_obj *src, EVENT_TYPE type, gt_event **out)
{
    if (!type_allowed(src->kind, type))
        return gt_failf(GC_ERR_NOT_IMPLEMENTED,
                        "GCRegisterEvent: event type %d is not supported on this module", (int)type);
    if (src->events[type])
        return gt_failf(GC_ERR_RESOURCE_IN_USE, "GCRegisterEvent: event type %d is already registered", (int)type);
    gt_event *ev = calloc(1, sizeof *ev);
    if (!ev)
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "GCRegisterEvent: out of memory");
    ev->hdr.kind = GT_EVENT;
    ev->src = src;
    ev->type = type;
    gt_cond_init(&ev->cond);
    if (!gt_handle_add(&ev->hdr)) {
        pthread_cond_destroy(&ev->cond);
        free(ev);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "GCRegisterEvent: out of memory");
    }
    src->events[type] = ev;
    if (remote_cam(ev)) {
        /* a new listener starts with an empty queue: messages of an earlier session are dropped */
        cam_flush_events(remote_cam(ev));
        ev->cam_fired_base = cam_events_fired(remote_cam(ev));
    }
    *out = ev;
    return GC_ERR_SUCCESS;
}

static void free_items(gt_event *ev)
{
    gt_evitem *it = ev->head;
    while (it) {
        gt_evitem *n = it->next;
        free(it);
        it = n;
    }
    ev->head = ev->tail = NULL;
    ev->nitems = 0;
}

static void event_free(gt_event *ev)
{
    free_items(ev);
    pthread_cond_destroy(&ev->cond);
    free(ev);
}

/* Detach ev from its source and the registry; free it now or let the last waiter do it. */
static void event_destroy(gt_event *ev)
{
    gt_handle_remove(&ev->hdr);
    if (ev->src && ev->src->events[ev->type] == ev)
        ev->src->events[ev->type] = NULL;
    ev->src = NULL;
    free_items(ev);
    if (ev->waiters > 0) {
        ev->dead = true;
        pthread_cond_broadcast(&ev->cond);
    } else {
        event_free(ev);
    }
}

GC_ERROR gt_event_unregister(gt_obj *src, EVENT_TYPE type)
{
    if (type < 0 || type >= GT_NUM_EVENT_TYPES || !src->events[type])
        return gt_failf(GC_ERR_NOT_AVAILABLE, "GCUnregisterEvent: event type %d is not registered", (int)type);
    event_destroy(src->events[type]);
    return GC_ERR_SUCCESS;
}

void gt_event_drop_all(gt_obj *src)
{
    for (int t = 0; t < GT_NUM_EVENT_TYPES; t++)
        if (src->events[t])
            event_destroy(src->events[t]);
}

static bool has_data(const gt_event *ev)
{
    if (ev->type == EVENT_NEW_BUFFER)
        return ev->src && ((gt_stream *)ev->src)->output.n > 0;
    return ev->head != NULL;
}

static size_t size_max(const gt_event *ev)
{
    return ev->type == EVENT_NEW_BUFFER ? sizeof(EVENT_NEW_BUFFER_DATA) : GT_EVENT_DATA_MAX;
}

/* Take the next item; the caller has checked has_data and the buffer size. */
static GC_ERROR deliver(gt_event *ev, void *pBuffer, size_t *piSize)
{
    if (ev->type == EVENT_NEW_BUFFER) {
        gt_stream *ds = (gt_stream *)ev->src;
        gt_buffer *b = ds->output.head;
        if (*piSize < sizeof(EVENT_NEW_BUFFER_DATA)) {
            size_t have = *piSize;
            *piSize = sizeof(EVENT_NEW_BUFFER_DATA);
            return gt_failf(GC_ERR_BUFFER_TOO_SMALL, "EventGetData: %zu bytes given, %zu needed", have,
                            sizeof(EVENT_NEW_BUFFER_DATA));
        }
        ds->output.head = b->qnext;
        if (!ds->output.head)
            ds->output.tail = NULL;
        ds->output.n--;
        b->qnext = NULL;
        b->state = GT_BUF_DELIVERED;
        EVENT_NEW_BUFFER_DATA d;
        d.BufferHandle = b;
        d.pUserPointer = b->priv;
        memcpy(pBuffer, &d, sizeof d);
        *piSize = sizeof d;
        return GC_ERR_SUCCESS;
    }
    gt_evitem *it = ev->head;
    if (*piSize < it->len) {
        size_t have = *piSize;
        *piSize = it->len;
        return gt_failf(GC_ERR_BUFFER_TOO_SMALL, "EventGetData: %zu bytes given, %zu needed", have, it->len);
    }
    memcpy(pBuffer, it->data, it->len);
    *piSize = it->len;
    ev->head = it->next;
    if (!ev->head)
        ev->tail = NULL;
    ev->nitems--;
    free(it);
    return GC_ERR_SUCCESS;
}

static cam_camera *remote_cam(const gt_event *ev)
{
    if (ev->type != EVENT_REMOTE_DEVICE || !ev->src || ev->src->kind != GT_DEV)
        return NULL;
    return ((gt_device *)ev->src)->slot->cam;
}

static uint64_t mono_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Queue a copy of data at the front of ev's item queue (no num_fired: already counted). */
static void push_front(gt_event *ev, const void *data, size_t len)
{
    gt_evitem *it = malloc(sizeof *it + len);
    if (!it)
        return;
    it->len = len;
    memcpy(it->data, data, len);
    it->next = ev->head;
    ev->head = it;
    if (!ev->tail)
        ev->tail = it;
    ev->nitems++;
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

/* The U3V event message of a model event record (little endian): u32 prefix 'U3VE' 0x45563355,
 * u16 flags 0, u16 command EVENT_CMD 0x0C00, u16 scd_length, u16 request_id (the record's number),
 * then the SCD: u16 event_size (12 + data), u16 event_id, u64 timestamp (device ns), data (u64
 * FrameID for the events that carry one).  Returns its length. */
static size_t u3v_event_message(const cam_event *e, uint8_t m[U3V_EVENT_MESSAGE_MAX])
{
    uint16_t scd = (uint16_t)(12 + (e->has_frame_id ? 8 : 0));
    memset(m, 0, U3V_EVENT_MESSAGE_MAX);
    m[0] = 0x55, m[1] = 0x33, m[2] = 0x56, m[3] = 0x45; /* U3V_EVENT_PREFIX little endian */
    put16(m + 4, 0);
    put16(m + 6, U3V_EVENT_CMD);
    put16(m + 8, scd);
    put16(m + 10, e->number);
    put16(m + 12, scd);
    put16(m + 14, e->event_id);
    put64(m + 16, e->timestamp_ns);
    if (e->has_frame_id)
        put64(m + 24, e->frame_id);
    return 12u + scd;
}

#define GT_REMOTE_SLICE_MS 20u /* EventKill / unregister are noticed within this time */

/* The two ways a waiting EventGetData ends without data: the event was unregistered, or EventKill
 * was called (each call ends one wait).  True, with *r set, if the wait must end. */
static bool waiting_ended(gt_event *ev, GC_ERROR *r)
{
    if (ev->dead) {
        *r = gt_fail(GC_ERR_ABORT, "EventGetData: the event was unregistered (module closed) while waiting");
        return true;
    }
    if (ev->kills) {
        ev->kills--;
        *r = gt_fail(GC_ERR_ABORT, "EventGetData: aborted by EventKill");
        return true;
    }
    return false;
}

/* EVENT_REMOTE_DEVICE: drain the camera model's event queue (cam_wait_event) with g_gt.data
 * released, in slices, so EventKill and DevClose still wake the waiter.  A record taken from the
 * model goes, framed as its U3V message, through the event's own item queue, so BUFFER_TOO_SMALL
 * keeps it queued. */
static GC_ERROR remote_get_data(gt_event *ev, void *pBuffer, size_t *piSize, uint64_t timeout_ms)
{
    bool forever = timeout_ms == GENTL_INFINITE || timeout_ms > UINT64_C(1000000000000);
    uint64_t deadline = forever ? UINT64_MAX : mono_ms_now() + timeout_ms;
    GC_ERROR r;
    ev->waiters++;
    for (;;) {
        if (waiting_ended(ev, &r))
            break;
        if (ev->head) {
            r = deliver(ev, pBuffer, piSize);
            break;
        }
        cam_camera *cam = remote_cam(ev);
        uint64_t now = mono_ms_now();
        uint64_t left = now >= deadline ? 0 : deadline - now;
        uint64_t slice = left < GT_REMOTE_SLICE_MS ? left : GT_REMOTE_SLICE_MS;
        bool got = false;
        cam_event rec;
        if (cam) {
            g_gt.model_waiters++;
            pthread_mutex_unlock(&g_gt.data);
            got = cam_wait_event(cam, slice * UINT64_C(1000000), &rec);
            pthread_mutex_lock(&g_gt.data);
            if (--g_gt.model_waiters == 0)
                pthread_cond_broadcast(&g_gt.model_cond);
        }
        if (got) {
            uint8_t msg[U3V_EVENT_MESSAGE_MAX];
            push_front(ev, msg, u3v_event_message(&rec, msg));
            continue;
        }
        if (!cam && slice > 0) { /* no camera (cannot happen for a registered event): just wait */
            struct timespec dl;
            gt_deadline(&dl, slice);
            gt_cond_wait_until(&ev->cond, &dl);
        }
        if (left == 0) {
            if (ev->head)
                continue;
            r = gt_fail(GC_ERR_TIMEOUT, "EventGetData: timeout, no event data");
            break;
        }
    }
    ev->waiters--;
    if (ev->dead && ev->waiters == 0)
        event_free(ev);
    return r;
}

GC_ERROR gt_event_get_data(gt_event *ev, void *pBuffer, size_t *piSize, uint64_t timeout_ms)
{
    if (!pBuffer || !piSize)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "EventGetData: pBuffer or piSize is NULL");
    if (ev->type == EVENT_REMOTE_DEVICE)
        return remote_get_data(ev, pBuffer, piSize, timeout_ms);
    struct timespec dl;
    bool timed = gt_deadline(&dl, timeout_ms);
    bool expired = false;
    GC_ERROR r;
    ev->waiters++;
    for (;;) {
        if (waiting_ended(ev, &r))
            break;
        if (has_data(ev)) {
            r = deliver(ev, pBuffer, piSize);
            break;
        }
        if (timeout_ms == 0 || expired) {
            r = gt_fail(GC_ERR_TIMEOUT, "EventGetData: timeout, no event data");
            break;
        }
        if (!gt_cond_wait_until(&ev->cond, timed ? &dl : NULL))
            expired = true;
    }
    ev->waiters--;
    if (ev->dead && ev->waiters == 0)
        event_free(ev);
    return r;
}

GC_ERROR gt_event_info(gt_event *ev, EVENT_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    switch (cmd) {
    case EVENT_EVENT_TYPE: return gt_info_int32(ev->type, piType, pBuffer, piSize);
    case EVENT_NUM_IN_QUEUE: {
        size_t n = ev->type == EVENT_NEW_BUFFER ? (ev->src ? ((gt_stream *)ev->src)->output.n : 0) : ev->nitems;
        if (remote_cam(ev))
            n += cam_event_queue_length(remote_cam(ev));
        return gt_info_sizet(n, piType, pBuffer, piSize);
    }
    case EVENT_NUM_FIRED: {
        uint64_t n = ev->num_fired;
        if (remote_cam(ev))
            n += cam_events_fired(remote_cam(ev)) - ev->cam_fired_base;
        return gt_info_uint64(n, piType, pBuffer, piSize);
    }
    case EVENT_SIZE_MAX: return gt_info_sizet(size_max(ev), piType, pBuffer, piSize);
    case EVENT_INFO_DATA_SIZE_MAX:
        return gt_info_sizet(ev->type == EVENT_NEW_BUFFER ? sizeof(void *) : GT_EVENT_DATA_MAX, piType, pBuffer,
                             piSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "EventGetInfo: info command %d is not implemented", (int)cmd);
    }
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

GC_ERROR gt_event_data_info(gt_event *ev, const void *pIn, size_t inSize, EVENT_DATA_INFO_CMD cmd,
                            INFO_DATATYPE *piType, void *pOut, size_t *piOutSize)
{
    if (!pIn)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "EventGetDataInfo: pInBuffer is NULL");
    if (ev->type == EVENT_NEW_BUFFER) {
        if (inSize < sizeof(EVENT_NEW_BUFFER_DATA))
            return gt_failf(GC_ERR_INVALID_PARAMETER, "EventGetDataInfo: %zu bytes of event data, %zu expected",
                            inSize, sizeof(EVENT_NEW_BUFFER_DATA));
        EVENT_NEW_BUFFER_DATA d;
        memcpy(&d, pIn, sizeof d);
        switch (cmd) {
        case EVENT_DATA_ID: return gt_info_ptr(d.BufferHandle, piType, pOut, piOutSize);
        case EVENT_DATA_VALUE: return gt_info_ptr(d.pUserPointer, piType, pOut, piOutSize);
        case EVENT_DATA_NUMID:
            return gt_fail(GC_ERR_NOT_AVAILABLE, "EventGetDataInfo: EVENT_NEW_BUFFER has no numeric ID");
        default:
            return gt_failf(GC_ERR_NOT_IMPLEMENTED, "EventGetDataInfo: info command %d is not implemented", (int)cmd);
        }
    }
    /* Remote-device / module events carry a U3V event message. */
    const uint8_t *p = pIn;
    if (inSize < 24 || le32(p) != U3V_EVENT_PREFIX)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "EventGetDataInfo: the data is not a U3V event message");
    uint16_t event_id = le16(p + 14);
    char idstr[8];
    switch (cmd) {
    case EVENT_DATA_ID:
        snprintf(idstr, sizeof idstr, "%04X", (unsigned)event_id);
        return gt_info_string(idstr, piType, pOut, piOutSize);
    case EVENT_DATA_VALUE: return gt_info_bytes(pIn, inSize, piType, pOut, piOutSize);
    case EVENT_DATA_NUMID: return gt_info_uint64(event_id, piType, pOut, piOutSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "EventGetDataInfo: info command %d is not implemented", (int)cmd);
    }
}

GC_ERROR gt_event_flush(gt_event *ev)
{
    if (ev->type == EVENT_NEW_BUFFER) {
        gt_stream *ds = (gt_stream *)ev->src;
        if (ds) {
            for (gt_buffer *b = ds->output.head; b;) {
                gt_buffer *n = b->qnext;
                b->qnext = NULL;
                b->state = GT_BUF_ANNOUNCED;
                b = n;
            }
            ds->output.head = ds->output.tail = NULL;
            ds->output.n = 0;
        }
    } else {
        free_items(ev);
        if (remote_cam(ev))
            cam_flush_events(remote_cam(ev));
    }
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_event_kill(gt_event *ev)
{
    ev->kills++;
    pthread_cond_broadcast(&ev->cond);
    return GC_ERR_SUCCESS;
}

void gt_event_notify_new_buffer(gt_stream *ds)
{
    gt_event *ev = ds->hdr.events[EVENT_NEW_BUFFER];
    if (ev) {
        ev->num_fired++;
        pthread_cond_broadcast(&ev->cond);
    }
}

void gt_event_post(gt_obj *src, EVENT_TYPE type, const void *data, size_t len)
{
    if (type < 0 || type >= GT_NUM_EVENT_TYPES || type == EVENT_NEW_BUFFER)
        return;
    gt_event *ev = src->events[type];
    if (!ev || !data || len == 0 || len > GT_EVENT_DATA_MAX)
        return;
    gt_evitem *it = malloc(sizeof *it + len);
    if (!it)
        return;
    it->next = NULL;
    it->len = len;
    memcpy(it->data, data, len);
    if (ev->nitems >= GT_EVENT_QUEUE_MAX) { /* drop the oldest */
        gt_evitem *old = ev->head;
        ev->head = old->next;
        if (!ev->head)
            ev->tail = NULL;
        ev->nitems--;
        free(old);
    }
    if (ev->tail)
        ev->tail->next = it;
    else
        ev->head = it;
    ev->tail = it;
    ev->nitems++;
    ev->num_fired++;
    pthread_cond_broadcast(&ev->cond);
}
