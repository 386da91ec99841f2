/* buffer.c - what a filled buffer reports (DSGetBufferInfo...), U3V chunk-layout parsing, and
 * the Buffer module's own small node map. */
#include "buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "info.h"
#include "port.h"

GC_ERROR gt_buf_info(gt_buffer *b, BUFFER_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    const cam_frame_info *fi = &b->info;
    bool chunks = b->filled && fi->contains_chunks;
    size_t filled = b->filled ? fi->filled : 0;
    switch (cmd) {
    case BUFFER_INFO_BASE: return gt_info_ptr(b->base, piType, pBuffer, piSize);
    case BUFFER_INFO_SIZE: return gt_info_sizet(b->size, piType, pBuffer, piSize);
    case BUFFER_INFO_USER_PTR: return gt_info_ptr(b->priv, piType, pBuffer, piSize);
    case BUFFER_INFO_TIMESTAMP: return gt_info_uint64(fi->timestamp_ns, piType, pBuffer, piSize);
    case BUFFER_INFO_NEW_DATA: return gt_info_bool8(b->new_data, piType, pBuffer, piSize);
    case BUFFER_INFO_IS_QUEUED: return gt_info_bool8(b->state == GT_BUF_INPUT, piType, pBuffer, piSize);
    case BUFFER_INFO_IS_ACQUIRING: return gt_info_bool8(b->state == GT_BUF_ACQUIRING, piType, pBuffer, piSize);
    case BUFFER_INFO_IS_INCOMPLETE:
        return gt_info_bool8(!b->filled || fi->incomplete, piType, pBuffer, piSize);
    case BUFFER_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    case BUFFER_INFO_SIZE_FILLED: return gt_info_sizet(filled, piType, pBuffer, piSize);
    case BUFFER_INFO_WIDTH: return gt_info_sizet(fi->width, piType, pBuffer, piSize);
    case BUFFER_INFO_HEIGHT: return gt_info_sizet(fi->height, piType, pBuffer, piSize);
    case BUFFER_INFO_XOFFSET: return gt_info_sizet(fi->offset_x, piType, pBuffer, piSize);
    case BUFFER_INFO_YOFFSET: return gt_info_sizet(fi->offset_y, piType, pBuffer, piSize);
    case BUFFER_INFO_XPADDING: return gt_info_sizet(fi->padding_x, piType, pBuffer, piSize);
    case BUFFER_INFO_YPADDING: return gt_info_sizet(0, piType, pBuffer, piSize);
    case BUFFER_INFO_FRAMEID: return gt_info_uint64(fi->frame_id, piType, pBuffer, piSize);
    case BUFFER_INFO_IMAGEPRESENT: return gt_info_bool8(b->filled && fi->image_size > 0, piType, pBuffer, piSize);
    case BUFFER_INFO_IMAGEOFFSET: return gt_info_sizet(0, piType, pBuffer, piSize);
    case BUFFER_INFO_PAYLOADTYPE:
        /* An image with chunks is PAYLOAD_TYPE_IMAGE + CONTAINS_CHUNKDATA (GenTL 1.5+; CHUNK_DATA is
         * the legacy id).  Harvesters makes a PayloadImage of both and runs its chunk adapter. */
        return gt_info_sizet(PAYLOAD_TYPE_IMAGE, piType, pBuffer, piSize);
    case BUFFER_INFO_PIXELFORMAT: return gt_info_uint64(fi->pixel_format, piType, pBuffer, piSize);
    case BUFFER_INFO_PIXELFORMAT_NAMESPACE:
        return gt_info_uint64(PIXELFORMAT_NAMESPACE_PFNC_32BIT, piType, pBuffer, piSize);
    case BUFFER_INFO_DELIVERED_IMAGEHEIGHT: return gt_info_sizet(fi->height, piType, pBuffer, piSize);
    case BUFFER_INFO_DELIVERED_CHUNKPAYLOADSIZE:
        if (!chunks)
            return gt_fail(GC_ERR_NOT_AVAILABLE, "DSGetBufferInfo: the buffer holds no chunk data");
        return gt_info_sizet(fi->chunk_payload_size, piType, pBuffer, piSize);
    case BUFFER_INFO_CHUNKLAYOUTID:
        if (!chunks)
            return gt_fail(GC_ERR_NOT_AVAILABLE, "DSGetBufferInfo: the buffer holds no chunk data");
        return gt_info_uint64(fi->chunk_payload_size, piType, pBuffer, piSize);
    case BUFFER_INFO_FILENAME:
        return gt_fail(GC_ERR_NOT_AVAILABLE, "DSGetBufferInfo: the payload is not a file");
    case BUFFER_INFO_PIXEL_ENDIANNESS: return gt_info_int32(PIXELENDIANNESS_LITTLE, piType, pBuffer, piSize);
    case BUFFER_INFO_DATA_SIZE: return gt_info_sizet(filled, piType, pBuffer, piSize);
    case BUFFER_INFO_TIMESTAMP_NS: return gt_info_uint64(fi->timestamp_ns, piType, pBuffer, piSize);
    case BUFFER_INFO_DATA_LARGER_THAN_BUFFER:
        return gt_info_bool8(b->filled && fi->incomplete && fi->filled < fi->image_size, piType, pBuffer, piSize);
    case BUFFER_INFO_CONTAINS_CHUNKDATA: return gt_info_bool8(chunks, piType, pBuffer, piSize);
    case BUFFER_INFO_IS_COMPOSITE: return gt_info_bool8(false, piType, pBuffer, piSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "DSGetBufferInfo: info command %d is not implemented", (int)cmd);
    }
}

GC_ERROR gt_buf_info_stacked(gt_buffer *b, DS_BUFFER_INFO_STACKED *p, size_t n)
{
    GC_ERROR first = GC_ERR_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        size_t sz = p[i].iSize;
        INFO_DATATYPE t = INFO_DATATYPE_UNKNOWN;
        p[i].iResult = gt_buf_info(b, p[i].iInfoCmd, &t, p[i].pBuffer, &sz);
        p[i].iType = t;
        p[i].iSize = sz;
        if (p[i].iResult != GC_ERR_SUCCESS && first == GC_ERR_SUCCESS)
            first = p[i].iResult;
    }
    return first;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

GC_ERROR gt_buf_chunk_data(gt_buffer *b, SINGLE_CHUNK_DATA *pChunkData, size_t *piNumChunks)
{
    if (!b->filled || !b->info.contains_chunks) {
        *piNumChunks = 0;
        return GC_ERR_SUCCESS;
    }
    size_t end = b->info.chunk_payload_size ? b->info.chunk_payload_size : b->info.filled;
    if (end > b->size)
        return gt_fail(GC_ERR_PARSING_CHUNK_DATA, "DSGetBufferChunkData: chunk payload larger than the buffer");
    /* Pass 1: count (backwards from the end: [data][u32 id][u32 length]). */
    size_t count = 0;
    for (size_t pos = end; pos > 0; count++) {
        if (pos < 8)
            return gt_fail(GC_ERR_PARSING_CHUNK_DATA, "DSGetBufferChunkData: truncated chunk trailer");
        uint32_t len = le32(b->base + pos - 4);
        if (len > pos - 8)
            return gt_fail(GC_ERR_PARSING_CHUNK_DATA, "DSGetBufferChunkData: chunk length exceeds the buffer");
        pos = pos - 8 - len;
    }
    if (!pChunkData) {
        *piNumChunks = count;
        return GC_ERR_SUCCESS;
    }
    if (*piNumChunks < count) {
        size_t have = *piNumChunks;
        *piNumChunks = count;
        return gt_failf(GC_ERR_BUFFER_TOO_SMALL, "DSGetBufferChunkData: room for %zu chunks, %zu present", have, count);
    }
    /* Pass 2: fill in buffer order (first chunk first). */
    size_t k = count;
    for (size_t pos = end; pos > 0;) {
        uint32_t id = le32(b->base + pos - 8);
        uint32_t len = le32(b->base + pos - 4);
        size_t off = pos - 8 - len;
        k--;
        pChunkData[k].ChunkID = id;
        pChunkData[k].ChunkOffset = (ptrdiff_t)off;
        pChunkData[k].ChunkLength = len;
        pos = off;
    }
    *piNumChunks = count;
    return GC_ERR_SUCCESS;
}

/* Single-part, non-composite payload: no parts (parts are for MULTI_PART), no segments. */
GC_ERROR gt_buf_num_parts(gt_buffer *b, uint32_t *n)
{
    (void)b;
    *n = 0;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_buf_part_info(gt_buffer *b, uint32_t index, BUFFER_PART_INFO_CMD cmd, INFO_DATATYPE *piType,
                          void *pBuffer, size_t *piSize)
{
    (void)b;
    (void)cmd;
    (void)piType;
    (void)pBuffer;
    (void)piSize;
    return gt_failf(GC_ERR_INVALID_INDEX, "DSGetBufferPartInfo: part %u does not exist (single-part payload, 0 parts)",
                    index);
}

GC_ERROR gt_buf_part_info_stacked(gt_buffer *b, DS_BUFFER_PART_INFO_STACKED *p, size_t n)
{
    GC_ERROR first = GC_ERR_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        size_t sz = p[i].iSize;
        INFO_DATATYPE t = INFO_DATATYPE_UNKNOWN;
        p[i].iResult = gt_buf_part_info(b, p[i].iPartIndex, p[i].iInfoCmd, &t, p[i].pBuffer, &sz);
        p[i].iType = t;
        p[i].iSize = sz;
        if (p[i].iResult != GC_ERR_SUCCESS && first == GC_ERR_SUCCESS)
            first = p[i].iResult;
    }
    return first;
}

GC_ERROR gt_buf_num_segments(gt_buffer *b, uint32_t *n)
{
    (void)b;
    *n = 0;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_buf_segment_info(gt_buffer *b, uint32_t index, SEGMENT_INFO_CMD cmd, INFO_DATATYPE *piType,
                             void *pBuffer, size_t *piSize)
{
    (void)b;
    (void)cmd;
    (void)piType;
    (void)pBuffer;
    (void)piSize;
    return gt_failf(GC_ERR_INVALID_INDEX, "DSGetBufferSegmentInfo: segment %u does not exist (not a composite buffer)",
                    index);
}

/* --- Buffer module features (Custom namespace: SFNC defines none for buffers) ---------- */

enum { BF_SIZE, BF_FILLED, BF_FRAMEID, BF_INCOMPLETE };

static const gt_feature buf_features[] = {
    {BF_SIZE, "BufferSize", GF_INT, 8, false, "BufferInformation", "Size of the buffer in bytes.", NULL, 0, 0, true},
    {BF_FILLED, "BufferSizeFilled", GF_INT, 8, false, "BufferInformation", "Bytes written into the buffer by the last frame.", NULL, 0, 0, true},
    {BF_FRAMEID, "BufferFrameID", GF_INT, 8, false, "BufferInformation", "Frame ID of the last frame in the buffer.", NULL, 0, 0, true},
    {BF_INCOMPLETE, "BufferIncomplete", GF_BOOL, 8, false, "BufferInformation", "True when the last frame is incomplete.", NULL, 0, 0, true},
};

static GC_ERROR buf_get(gt_obj *obj, int id, int64_t *iv, char *sv, size_t sl)
{
    (void)sv;
    (void)sl;
    gt_buffer *b = (gt_buffer *)obj;
    switch (id) {
    case BF_SIZE: *iv = (int64_t)b->size; break;
    case BF_FILLED: *iv = b->filled ? (int64_t)b->info.filled : 0; break;
    case BF_FRAMEID: *iv = (int64_t)b->info.frame_id; break;
    case BF_INCOMPLETE: *iv = (!b->filled || b->info.incomplete) ? 1 : 0; break;
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR buf_set(gt_obj *obj, int id, int64_t v)
{
    (void)obj;
    (void)id;
    (void)v;
    return gt_fail(GC_ERR_ACCESS_DENIED, "Buffer port: no writable features");
}

const gt_module_desc gt_buffer_desc = {
    .kind = GT_BUF,
    .module_name = "TLBuffer",
    .port_name = "BufferPort",
    .xml_filename = "ace_gentl_sim_Buffer.xml",
    .xml_model_name = "AceGenTLSimBuffer",
    .product_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7B05",
    .version_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7C05",
    .features = buf_features,
    .nfeatures = sizeof buf_features / sizeof buf_features[0],
    .get = buf_get,
    .set = buf_set,
};
