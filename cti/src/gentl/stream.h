/* stream.h - the DataStream module, its buffers' queues and the stream thread.
 * Locks held (api+data), args validated, unless noted. */
#ifndef ACESIM_GENTL_STREAM_H
#define ACESIM_GENTL_STREAM_H

#include "core.h"

GC_ERROR gt_dev_open_stream(gt_device *dev, const char *id, gt_stream **out);
GC_ERROR gt_ds_info(gt_stream *ds, STREAM_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_ds_announce(gt_stream *ds, void *base, size_t size, void *priv, bool owned, gt_buffer **out);
GC_ERROR gt_ds_alloc_announce(gt_stream *ds, size_t size, void *priv, gt_buffer **out);
GC_ERROR gt_ds_revoke(gt_stream *ds, gt_buffer *b, void **pBuffer, void **pPrivate);
GC_ERROR gt_ds_queue(gt_stream *ds, gt_buffer *b);
GC_ERROR gt_ds_flush(gt_stream *ds, ACQ_QUEUE_TYPE op);
GC_ERROR gt_ds_start(gt_stream *ds, ACQ_START_FLAGS flags, uint64_t num);
GC_ERROR gt_ds_stop(gt_stream *ds, ACQ_STOP_FLAGS flags);
GC_ERROR gt_ds_buffer_id(gt_stream *ds, uint32_t index, gt_buffer **out);

#endif
