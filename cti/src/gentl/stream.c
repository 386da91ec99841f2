#define _POSIX_C_SOURCE 200809L
/* stream.c - DataStream module: announced buffers, input pool / output queue, acquisition
 * start/stop and the stream thread that turns sensor frames into filled buffers. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "errors.h"
#include "event.h"
#include "handles.h"
#include "info.h"
#include "port.h"

#define GT_FRAME_WAIT_NS UINT64_C(50000000) /* 50 ms: how often the thread looks at its stop flag */
#define GT_IDLE_WAIT_MS 10                   /* camera not acquiring: poll period */
#define GT_BUF_ANNOUNCE_MIN 1
#define GT_NUM_CHUNKS_MAX 64

static void q_push(gt_bufq *q, gt_buffer *b)
{
    b->qnext = NULL;
    if (q->tail)
        q->tail->qnext = b;
    else
        q->head = b;
    q->tail = b;
    q->n++;
}

static void q_push_front(gt_bufq *q, gt_buffer *b)
{
    b->qnext = q->head;
    q->head = b;
    if (!q->tail)
        q->tail = b;
    q->n++;
}

static gt_buffer *q_pop(gt_bufq *q)
{
    gt_buffer *b = q->head;
    if (b) {
        q->head = b->qnext;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        b->qnext = NULL;
    }
    return b;
}

/* Move every buffer of q to state st (announced). */
static void q_discard(gt_bufq *q)
{
    gt_buffer *b;
    while ((b = q_pop(q)))
        b->state = GT_BUF_ANNOUNCED;
}

/* --- Faults (Device-module Simulation controls) -------------------------------------------
 * The fault decisions for a frame are a pure function of (SimFaultSeed, frame ID): SplitMix64 of
 * both gives two uniform numbers in [0, 1), u_drop and u_incomplete.  Frame IDs restart at 1 on
 * AcquisitionStart, so this is a seeded PRNG reset on AcquisitionStart: the same seed gives the
 * same dropped and incomplete frame IDs in every acquisition, however fast the consumer is. */
static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static double fault_uniform(const gt_camslot *slot, uint64_t frame_id, unsigned which)
{
    uint64_t h = splitmix64(splitmix64((uint64_t)slot->fault_seed) ^ (frame_id * 2 + which));
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* The camera is gone (data held, called by the stream thread): queued buffers come back
 * incomplete, the engine stops. */
static void stream_device_lost(gt_stream *ds)
{
    gt_camslot_disconnect(ds->dev->slot);
    gt_buffer *b;
    while ((b = q_pop(&ds->input))) {
        memset(&b->info, 0, sizeof b->info);
        b->info.incomplete = true;
        b->filled = true;
        b->new_data = false;
        b->state = GT_BUF_OUTPUT;
        q_push(&ds->output, b);
        gt_event_notify_new_buffer(ds);
    }
}

/* --- Stream thread ---------------------------------------------------------------------- */

static void *stream_thread(void *arg)
{
    gt_stream *ds = arg;
    gt_camslot *slot = ds->dev->slot;
    cam_camera *cam = slot->cam;
#if defined(__linux__)
    /* Its own name, not the one it inherits from the consumer's thread that started acquisition:
     * CPU profiles (benchmarks/bench_cpu.py) then tell the simulated camera's rendering apart. */
    prctl(PR_SET_NAME, "ace-sim-stream", 0, 0, 0);
#endif
    pthread_mutex_lock(&g_gt.data);
    while (!ds->stop_req) {
        if (ds->num_to_acquire != GENTL_INFINITE && ds->delivered_this_run >= ds->num_to_acquire)
            break;
        if (gt_camslot_check_unplug(slot)) {
            stream_device_lost(ds);
            break;
        }
        if (slot->unthrottled && ds->input.n == 0) {
            /* Unthrottled: frames are made on demand, so wait for a buffer instead of losing one. */
            struct timespec dl;
            gt_deadline(&dl, 50);
            gt_cond_wait_until(&ds->cond, &dl);
            continue;
        }
        uint64_t wait_ns = GT_FRAME_WAIT_NS;
        if (slot->unplug_at) { /* SimFaultUnplugAfterMs: wake up for it on time */
            uint64_t now = gt_mono_ns();
            wait_ns = slot->unplug_at <= now ? 0 : slot->unplug_at - now < wait_ns ? slot->unplug_at - now : wait_ns;
        }
        pthread_mutex_unlock(&g_gt.data);
        cam_frame_tick tick;
        bool acquiring = cam_is_acquiring(cam);
        bool got = acquiring && cam_wait_next_frame(cam, wait_ns, &tick);
        pthread_mutex_lock(&g_gt.data);
        if (!got) {
            if (!acquiring && !ds->stop_req) {
                struct timespec dl;
                gt_deadline(&dl, GT_IDLE_WAIT_MS);
                gt_cond_wait_until(&ds->cond, &dl);
            }
            continue;
        }
        /* The sensor skips frame IDs of frames nobody waited for (we were rendering): lost. */
        if (ds->last_frame_id && tick.frame_id > ds->last_frame_id + 1) {
            uint64_t gap = tick.frame_id - ds->last_frame_id - 1;
            ds->num_underrun += gap;
            ds->num_started += gap;
        }
        ds->last_frame_id = tick.frame_id;
        ds->num_started++;
        if (slot->fault_drop > 0 && fault_uniform(slot, tick.frame_id, 0) < slot->fault_drop) {
            ds->num_dropped++; /* lost on the simulated link: its frame ID is gone */
            continue;
        }
        if (slot->stall_armed && slot->fault_stall_ms > 0) {
            /* one stall in the delivery; the camera runs on meanwhile (frames it cannot hand
             * over in time are lost, as on a stalled link) */
            slot->stall_armed = false;
            struct timespec dl;
            gt_deadline(&dl, (uint64_t)slot->fault_stall_ms);
            while (!ds->stop_req && gt_cond_wait_until(&ds->cond, &dl)) {
            }
            if (ds->stop_req)
                break;
        }
        gt_buffer *b = q_pop(&ds->input);
        if (!b) {
            ds->num_underrun++; /* frame lost: its frame ID is gone */
            continue;
        }
        b->state = GT_BUF_ACQUIRING;
        b->new_data = false;
        pthread_mutex_unlock(&g_gt.data);
        cam_frame_info info;
        memset(&info, 0, sizeof info);
        cam_status st = cam_render_frame(cam, &tick, b->base, b->size, &info);
        pthread_mutex_lock(&g_gt.data);
        if (ds->stop_req && ds->stop_kill) {
            /* Killed: the frame is abandoned, the buffer goes back to the input pool. */
            b->state = GT_BUF_INPUT;
            q_push_front(&ds->input, b);
            break;
        }
        if (st != CAM_OK)
            info.incomplete = true;
        if (st == CAM_OK && slot->fault_incomplete > 0 &&
            fault_uniform(slot, tick.frame_id, 1) < slot->fault_incomplete) {
            /* delivered incomplete: only part of the image arrived, no chunk trailers */
            info.incomplete = true;
            info.filled = info.image_size / 2;
            info.contains_chunks = false;
            info.chunk_payload_size = 0;
        }
        if (info.frame_id == 0)
            info.frame_id = tick.frame_id;
        if (info.timestamp_ns == 0)
            info.timestamp_ns = tick.timestamp_ns;
        b->info = info;
        b->filled = true;
        b->new_data = true;
        b->state = GT_BUF_OUTPUT;
        q_push(&ds->output, b);
        ds->num_delivered++;
        ds->delivered_this_run++;
        gt_event_notify_new_buffer(ds);
        if (slot->fault_disconnect > 0 && ++slot->disc_count >= (uint64_t)slot->fault_disconnect) {
            stream_device_lost(ds);
            break;
        }
    }
    ds->grabbing = false;
    pthread_mutex_unlock(&g_gt.data);
    return NULL;
}

/* Join the stream thread (api held, data held on entry and exit; data released meanwhile). */
static void stream_join(gt_stream *ds, bool kill)
{
    if (!ds->thread_joinable)
        return;
    ds->stop_req = true;
    ds->stop_kill = kill;
    pthread_cond_broadcast(&ds->cond);
    pthread_mutex_unlock(&g_gt.data);
    pthread_join(ds->thread, NULL);
    pthread_mutex_lock(&g_gt.data);
    ds->thread_joinable = false;
    ds->grabbing = false;
    ds->stop_req = false;
    ds->stop_kill = false;
}

/* With a foreign XML the consumer's AcquisitionStart/AcquisitionStop land in register memory, so the
 * DataStream starts and stops the camera model itself (api held; data released around the write,
 * because AcquisitionStart prepares the renderer: ~0.3 s at full resolution). */
static GC_ERROR model_acquisition(gt_stream *ds, uint64_t address, const char *what)
{
    uint8_t one[4] = {1, 0, 0, 0};
    char why[256];
    why[0] = 0;
    cam_camera *cam = ds->dev->slot->cam;
    pthread_mutex_unlock(&g_gt.data);
    cam_status st = cam_write(cam, address, one, sizeof one, why, sizeof why);
    pthread_mutex_lock(&g_gt.data);
    return gt_cam_status_error(st, what, address, sizeof one, why);
}

static void stop_model_if_memory(gt_stream *ds)
{
    if (gt_dev_register_memory(ds->dev) && cam_is_acquiring(ds->dev->slot->cam))
        (void)model_acquisition(ds, GT_CAM_ADDR_ACQUISITION_STOP, "camera AcquisitionStop");
}

/* --- Open / close ------------------------------------------------------------------------ */

GC_ERROR gt_dev_open_stream(gt_device *dev, const char *id, gt_stream **out)
{
    if (strcmp(id, GT_DS_ID) != 0)
        return gt_failf(GC_ERR_INVALID_ID, "DevOpenDataStream: unknown data stream ID \"%.100s\"", id);
    if (dev->ds)
        return gt_fail(GC_ERR_RESOURCE_IN_USE, "DevOpenDataStream: the data stream is already open");
    gt_stream *ds = calloc(1, sizeof *ds);
    if (!ds)
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "DevOpenDataStream: out of memory");
    ds->hdr.kind = GT_DS;
    ds->dev = dev;
    gt_cond_init(&ds->cond);
    if (!gt_handle_add(&ds->hdr)) {
        pthread_cond_destroy(&ds->cond);
        free(ds);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "DevOpenDataStream: out of memory");
    }
    dev->ds = ds;
    *out = ds;
    return GC_ERR_SUCCESS;
}

void gt_buffer_free(gt_buffer *b)
{
    gt_event_drop_all(&b->hdr);
    gt_handle_remove(&b->hdr);
    if (b->owned)
        free(b->base);
    free(b);
}

void gt_stream_close(gt_stream *ds)
{
    stream_join(ds, true);
    stop_model_if_memory(ds);
    gt_event_drop_all(&ds->hdr); /* before the buffers: a new-buffer waiter must not see them */
    for (size_t i = 0; i < ds->nbufs; i++)
        gt_buffer_free(ds->bufs[i]);
    free(ds->bufs);
    gt_handle_remove(&ds->hdr);
    if (ds->dev && ds->dev->ds == ds)
        ds->dev->ds = NULL;
    pthread_cond_destroy(&ds->cond);
    free(ds);
}

/* --- Info ---------------------------------------------------------------------------- */

GC_ERROR gt_ds_info(gt_stream *ds, STREAM_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    switch (cmd) {
    case STREAM_INFO_ID: return gt_info_string(GT_DS_ID, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_DELIVERED: return gt_info_uint64(ds->num_delivered, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_UNDERRUN: return gt_info_uint64(ds->num_underrun, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_ANNOUNCED: return gt_info_sizet(ds->nbufs, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_QUEUED: return gt_info_sizet(ds->input.n, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_AWAIT_DELIVERY: return gt_info_sizet(ds->output.n, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_STARTED: return gt_info_uint64(ds->num_started, piType, pBuffer, piSize);
    case STREAM_INFO_PAYLOAD_SIZE:
        return gt_info_sizet(cam_payload_size(ds->dev->slot->cam), piType, pBuffer, piSize);
    case STREAM_INFO_IS_GRABBING: return gt_info_bool8(ds->grabbing, piType, pBuffer, piSize);
    case STREAM_INFO_DEFINES_PAYLOADSIZE: return gt_info_bool8(true, piType, pBuffer, piSize);
    case STREAM_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    case STREAM_INFO_NUM_CHUNKS_MAX: return gt_info_sizet(GT_NUM_CHUNKS_MAX, piType, pBuffer, piSize);
    case STREAM_INFO_BUF_ANNOUNCE_MIN: return gt_info_sizet(GT_BUF_ANNOUNCE_MIN, piType, pBuffer, piSize);
    case STREAM_INFO_BUF_ALIGNMENT: return gt_info_sizet(1, piType, pBuffer, piSize);
    case STREAM_INFO_FLOW_TABLE:
    case STREAM_INFO_GENDC_PREFETCH_DESCRIPTOR:
        return gt_failf(GC_ERR_NOT_AVAILABLE, "DSGetInfo: info command %d is not available (no GenDC/flows)", (int)cmd);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "DSGetInfo: info command %d is not implemented", (int)cmd);
    }
}

/* --- Buffers --------------------------------------------------------------------------- */

GC_ERROR gt_ds_announce(gt_stream *ds, void *base, size_t size, void *priv, bool owned, gt_buffer **out)
{
    if (!base)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "DSAnnounceBuffer: pBuffer is NULL");
    if (size == 0)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "DSAnnounceBuffer: iSize is 0");
    for (size_t i = 0; i < ds->nbufs; i++)
        if (ds->bufs[i]->base == base)
            return gt_fail(GC_ERR_RESOURCE_IN_USE, "DSAnnounceBuffer: this memory is already announced");
    if (ds->nbufs == ds->capbufs) {
        size_t nc = ds->capbufs ? ds->capbufs * 2 : 16;
        gt_buffer **nb = realloc(ds->bufs, nc * sizeof *nb);
        if (!nb)
            return gt_fail(GC_ERR_OUT_OF_MEMORY, "DSAnnounceBuffer: out of memory");
        ds->bufs = nb;
        ds->capbufs = nc;
    }
    gt_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "DSAnnounceBuffer: out of memory");
    b->hdr.kind = GT_BUF;
    b->ds = ds;
    b->base = base;
    b->size = size;
    b->priv = priv;
    b->owned = owned;
    b->state = GT_BUF_ANNOUNCED;
    if (!gt_handle_add(&b->hdr)) {
        free(b);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "DSAnnounceBuffer: out of memory");
    }
    ds->bufs[ds->nbufs++] = b;
    *out = b;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_alloc_announce(gt_stream *ds, size_t size, void *priv, gt_buffer **out)
{
    if (size == 0)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "DSAllocAndAnnounceBuffer: iSize is 0");
    void *mem = NULL;
    if (posix_memalign(&mem, 64, size) != 0 || !mem)
        return gt_failf(GC_ERR_OUT_OF_MEMORY, "DSAllocAndAnnounceBuffer: cannot allocate %zu bytes", size);
    GC_ERROR e = gt_ds_announce(ds, mem, size, priv, true, out);
    if (e != GC_ERR_SUCCESS)
        free(mem);
    return e;
}

static const char *state_name(gt_buf_state s)
{
    switch (s) {
    case GT_BUF_ANNOUNCED: return "announced";
    case GT_BUF_INPUT: return "queued in the input pool";
    case GT_BUF_ACQUIRING: return "being filled";
    case GT_BUF_OUTPUT: return "in the output queue";
    case GT_BUF_DELIVERED: return "delivered";
    }
    return "?";
}

GC_ERROR gt_ds_revoke(gt_stream *ds, gt_buffer *b, void **pBuffer, void **pPrivate)
{
    if (b->state == GT_BUF_INPUT || b->state == GT_BUF_ACQUIRING || b->state == GT_BUF_OUTPUT)
        return gt_failf(GC_ERR_RESOURCE_IN_USE,
                        "DSRevokeBuffer: the buffer is %s; flush the queues (DSFlushQueue) first", state_name(b->state));
    size_t i = 0;
    while (i < ds->nbufs && ds->bufs[i] != b)
        i++;
    if (i == ds->nbufs)
        return gt_fail(GC_ERR_INVALID_HANDLE, "DSRevokeBuffer: the buffer does not belong to this data stream");
    memmove(&ds->bufs[i], &ds->bufs[i + 1], (ds->nbufs - i - 1) * sizeof ds->bufs[0]);
    ds->nbufs--;
    if (pBuffer)
        *pBuffer = b->owned ? NULL : b->base;
    if (pPrivate)
        *pPrivate = b->priv;
    gt_buffer_free(b);
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_queue(gt_stream *ds, gt_buffer *b)
{
    if (b->state != GT_BUF_ANNOUNCED && b->state != GT_BUF_DELIVERED)
        return gt_failf(GC_ERR_RESOURCE_IN_USE, "DSQueueBuffer: the buffer is already %s", state_name(b->state));
    b->state = GT_BUF_INPUT;
    b->new_data = false;
    q_push(&ds->input, b);
    pthread_cond_broadcast(&ds->cond);
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_flush(gt_stream *ds, ACQ_QUEUE_TYPE op)
{
    gt_buffer *b;
    switch (op) {
    case ACQ_QUEUE_INPUT_TO_OUTPUT:
        while ((b = q_pop(&ds->input))) {
            b->state = GT_BUF_OUTPUT;
            b->new_data = false;
            q_push(&ds->output, b);
            gt_event_notify_new_buffer(ds);
        }
        break;
    case ACQ_QUEUE_OUTPUT_DISCARD:
        q_discard(&ds->output);
        break;
    case ACQ_QUEUE_ALL_TO_INPUT:
        q_discard(&ds->output);
        /* every announced buffer is unqueued now */
        /* fall through */
    case ACQ_QUEUE_UNQUEUED_TO_INPUT:
        for (size_t i = 0; i < ds->nbufs; i++) {
            b = ds->bufs[i];
            if (b->state == GT_BUF_ANNOUNCED || b->state == GT_BUF_DELIVERED) {
                b->state = GT_BUF_INPUT;
                b->new_data = false;
                q_push(&ds->input, b);
            }
        }
        pthread_cond_broadcast(&ds->cond);
        break;
    case ACQ_QUEUE_ALL_DISCARD:
        q_discard(&ds->input);
        q_discard(&ds->output);
        break;
    default:
        return gt_failf(GC_ERR_INVALID_PARAMETER, "DSFlushQueue: unknown operation %d", (int)op);
    }
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_start(gt_stream *ds, ACQ_START_FLAGS flags, uint64_t num)
{
    if (flags != ACQ_START_FLAGS_DEFAULT)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "DSStartAcquisition: unknown start flags %d", (int)flags);
    if (num == 0)
        return gt_fail(GC_ERR_INVALID_PARAMETER, "DSStartAcquisition: iNumToAcquire is 0");
    if (ds->grabbing)
        return gt_fail(GC_ERR_RESOURCE_IN_USE, "DSStartAcquisition: acquisition is already started");
    if (ds->dev->slot->gone)
        return gt_failf(GC_ERR_IO, "DSStartAcquisition: %s was disconnected (device lost)", ds->dev->slot->id);
    if (ds->nbufs < GT_BUF_ANNOUNCE_MIN)
        return gt_failf(GC_ERR_RESOURCE_EXHAUSTED,
                        "DSStartAcquisition: %zu buffers announced, at least %d needed (STREAM_INFO_BUF_ANNOUNCE_MIN)",
                        ds->nbufs, GT_BUF_ANNOUNCE_MIN);
    if (ds->thread_joinable) /* finished by itself after iNumToAcquire buffers */
        stream_join(ds, false);
    if (gt_dev_register_memory(ds->dev) && !cam_is_acquiring(ds->dev->slot->cam)) {
        GC_ERROR e = model_acquisition(ds, GT_CAM_ADDR_ACQUISITION_START, "DSStartAcquisition: camera AcquisitionStart");
        if (e == GC_ERR_SUCCESS)
            gt_camslot_acquisition_started(ds->dev->slot);
        if (e != GC_ERR_SUCCESS)
            return e;
    }
    ds->stop_req = ds->stop_kill = false;
    ds->num_to_acquire = num;
    ds->delivered_this_run = 0;
    ds->last_frame_id = 0;
    ds->num_delivered = ds->num_underrun = ds->num_started = ds->num_dropped = 0;
    ds->dev->slot->stall_armed = ds->dev->slot->fault_stall_ms > 0;
    ds->dev->slot->disc_count = 0;
    ds->grabbing = true;
    if (pthread_create(&ds->thread, NULL, stream_thread, ds) != 0) {
        ds->grabbing = false;
        return gt_fail(GC_ERR_RESOURCE_EXHAUSTED, "DSStartAcquisition: cannot create the stream thread");
    }
    ds->thread_joinable = true;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_stop(gt_stream *ds, ACQ_STOP_FLAGS flags)
{
    if (flags != ACQ_STOP_FLAGS_DEFAULT && flags != ACQ_STOP_FLAGS_KILL)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "DSStopAcquisition: unknown stop flags %d", (int)flags);
    if (!ds->thread_joinable)
        return gt_fail(GC_ERR_RESOURCE_IN_USE, "DSStopAcquisition: acquisition is not started");
    stream_join(ds, flags == ACQ_STOP_FLAGS_KILL);
    stop_model_if_memory(ds);
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ds_buffer_id(gt_stream *ds, uint32_t index, gt_buffer **out)
{
    if (index >= ds->nbufs)
        return gt_failf(GC_ERR_INVALID_INDEX, "DSGetBufferID: index %u, %zu buffers are announced", index, ds->nbufs);
    *out = ds->bufs[index];
    return GC_ERR_SUCCESS;
}

/* --- DataStream module features --------------------------------------------------------- */

enum { SF_ID, SF_TYPE, SF_ANNOUNCED, SF_ANNMIN, SF_HANDLING, SF_DELIVERED, SF_LOST, SF_STARTED, SF_INPUT,
       SF_OUTPUT, SF_GRABBING, SF_CHUNKMAX, SF_ALIGN, SF_PAYLOAD };

extern const char *const gt_tltype_entries[];
static const char *const handling_entries[] = {"OldestFirst", NULL};

static const gt_feature ds_features[] = {
    {SF_ID, "StreamID", GF_STRING, 64, false, "StreamInformation", "ID of the data stream.", NULL, 0, 0, false},
    {SF_TYPE, "StreamType", GF_ENUM, 8, false, "StreamInformation", "Transport layer type of the data stream.", gt_tltype_entries, 0, 0, false},
    {SF_ANNOUNCED, "StreamAnnouncedBufferCount", GF_INT, 8, false, "BufferHandlingControl", "Number of announced buffers.", NULL, 0, 0, false},
    {SF_ANNMIN, "StreamAnnounceBufferMinimum", GF_INT, 8, false, "BufferHandlingControl", "Minimal number of buffers to announce.", NULL, 0, 0, false},
    {SF_HANDLING, "StreamBufferHandlingMode", GF_ENUM, 8, true, "BufferHandlingControl", "Buffer handling mode of the data stream.", handling_entries, 0, 0, false},
    {SF_DELIVERED, "StreamDeliveredFrameCount", GF_INT, 8, false, "StreamInformation", "Number of delivered frames since the last acquisition start.", NULL, 0, 0, false},
    {SF_LOST, "StreamLostFrameCount", GF_INT, 8, false, "StreamInformation", "Number of frames lost: no buffer was queued (underruns) or lost on the link (SimFaultDropRate).", NULL, 0, 0, false},
    {SF_STARTED, "StreamStartedFrameCount", GF_INT, 8, false, "StreamInformation", "Number of frames started by the acquisition engine.", NULL, 0, 0, false},
    {SF_INPUT, "StreamInputBufferCount", GF_INT, 8, false, "BufferHandlingControl", "Number of buffers in the input pool.", NULL, 0, 0, false},
    {SF_OUTPUT, "StreamOutputBufferCount", GF_INT, 8, false, "BufferHandlingControl", "Number of buffers in the output queue.", NULL, 0, 0, false},
    {SF_GRABBING, "StreamIsGrabbing", GF_BOOL, 8, false, "StreamInformation", "True while the acquisition engine is started.", NULL, 0, 0, false},
    {SF_CHUNKMAX, "StreamChunkCountMaximum", GF_INT, 8, false, "StreamInformation", "Maximum number of chunks in a buffer.", NULL, 0, 0, false},
    {SF_ALIGN, "StreamBufferAlignment", GF_INT, 8, false, "BufferHandlingControl", "Required buffer alignment in bytes.", NULL, 0, 0, false},
    {SF_PAYLOAD, "StreamPayloadSize", GF_INT, 8, false, "StreamInformation", "Bytes a buffer must hold for the current camera settings.", NULL, 0, 0, false},
};

static GC_ERROR ds_get(gt_obj *obj, int id, int64_t *iv, char *sv, size_t sl)
{
    gt_stream *ds = (gt_stream *)obj;
    switch (id) {
    case SF_ID: snprintf(sv, sl, "%s", GT_DS_ID); break;
    case SF_TYPE: *iv = 8; break;
    case SF_ANNOUNCED: *iv = (int64_t)ds->nbufs; break;
    case SF_ANNMIN: *iv = GT_BUF_ANNOUNCE_MIN; break;
    case SF_HANDLING: *iv = ds->handling_mode; break;
    case SF_DELIVERED: *iv = (int64_t)ds->num_delivered; break;
    case SF_LOST: *iv = (int64_t)(ds->num_underrun + ds->num_dropped); break;
    case SF_STARTED: *iv = (int64_t)ds->num_started; break;
    case SF_INPUT: *iv = (int64_t)ds->input.n; break;
    case SF_OUTPUT: *iv = (int64_t)ds->output.n; break;
    case SF_GRABBING: *iv = ds->grabbing ? 1 : 0; break;
    case SF_CHUNKMAX: *iv = GT_NUM_CHUNKS_MAX; break;
    case SF_ALIGN: *iv = 1; break;
    case SF_PAYLOAD: *iv = (int64_t)cam_payload_size(ds->dev->slot->cam); break;
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR ds_set(gt_obj *obj, int id, int64_t v)
{
    gt_stream *ds = (gt_stream *)obj;
    if (id == SF_HANDLING)
        ds->handling_mode = v;
    return GC_ERR_SUCCESS;
}

const gt_module_desc gt_stream_desc = {
    .kind = GT_DS,
    .module_name = "TLDataStream",
    .port_name = "StreamPort",
    .xml_filename = "ace_gentl_sim_DataStream.xml",
    .xml_model_name = "AceGenTLSimDataStream",
    .product_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7B04",
    .version_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7C04",
    .features = ds_features,
    .nfeatures = sizeof ds_features / sizeof ds_features[0],
    .get = ds_get,
    .set = ds_set,
};
