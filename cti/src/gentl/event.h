/* event.h - GenTL events: registration on modules, queues, waiting.  EVENT_REMOTE_DEVICE
 * delivers the camera model's events (cam_wait_event) framed as U3V event messages. */
#ifndef ACESIM_GENTL_EVENT_H
#define ACESIM_GENTL_EVENT_H

#include "core.h"

/* Control side (api + data held). */
GC_ERROR gt_event_register(gt_obj *src, EVENT_TYPE type, gt_event **out);
GC_ERROR gt_event_unregister(gt_obj *src, EVENT_TYPE type);
void gt_event_drop_all(gt_obj *src);

/* Event side (only data held; gt_event_get_data waits on the event's condvar). */
GC_ERROR gt_event_get_data(gt_event *ev, void *pBuffer, size_t *piSize, uint64_t timeout_ms);
GC_ERROR gt_event_info(gt_event *ev, EVENT_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_event_data_info(gt_event *ev, const void *pIn, size_t inSize, EVENT_DATA_INFO_CMD cmd,
                            INFO_DATATYPE *piType, void *pOut, size_t *piOutSize);
GC_ERROR gt_event_flush(gt_event *ev);
GC_ERROR gt_event_kill(gt_event *ev);

/* Producer side (data held): a buffer was appended to ds->output. */
void gt_event_notify_new_buffer(gt_stream *ds);
/* Producer side (data held): queue a data item on src's event of `type` if registered. */
void gt_event_post(gt_obj *src, EVENT_TYPE type, const void *data, size_t len);

#endif
