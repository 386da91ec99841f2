/* buffer.h - buffer information, chunk data, parts/segments. Locks held, args validated. */
#ifndef ACESIM_GENTL_BUFFER_H
#define ACESIM_GENTL_BUFFER_H

#include "core.h"

GC_ERROR gt_buf_info(gt_buffer *b, BUFFER_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize);
GC_ERROR gt_buf_info_stacked(gt_buffer *b, DS_BUFFER_INFO_STACKED *p, size_t n);
GC_ERROR gt_buf_chunk_data(gt_buffer *b, SINGLE_CHUNK_DATA *pChunkData, size_t *piNumChunks);
GC_ERROR gt_buf_num_parts(gt_buffer *b, uint32_t *n);
GC_ERROR gt_buf_part_info(gt_buffer *b, uint32_t index, BUFFER_PART_INFO_CMD cmd, INFO_DATATYPE *piType,
                          void *pBuffer, size_t *piSize);
GC_ERROR gt_buf_part_info_stacked(gt_buffer *b, DS_BUFFER_PART_INFO_STACKED *p, size_t n);
GC_ERROR gt_buf_num_segments(gt_buffer *b, uint32_t *n);
GC_ERROR gt_buf_segment_info(gt_buffer *b, uint32_t index, SEGMENT_INFO_CMD cmd, INFO_DATATYPE *piType,
                             void *pBuffer, size_t *piSize);

#endif
