/* chunks.c - chunk data appended to the image (U3V layout, gentl-producer-notes section 8):
 *   [image][u32 ChunkID Image][u32 image bytes] then for every enabled chunk, in ChunkSelector
 *   order: [data][u32 ChunkID][u32 data bytes].  A consumer parses backwards from the filled size,
 *   which ends exactly at the last trailer.  PayloadCRC16, when enabled, is the last chunk: its data
 *   is a u32 whose low 16 bits are CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection,
 *   xorout 0) over every byte before it (offset 0 up to its first data byte: image, image trailer
 *   and all other chunks with their trailers). */
#include <string.h>

#include "camera_internal.h"

static const uint32_t chunk_ids[CAM_CHUNK_COUNT] = {
    CAM_CHUNK_ID_Image, CAM_CHUNK_ID_Timestamp, CAM_CHUNK_ID_ExposureTime, CAM_CHUNK_ID_Gain,
    CAM_CHUNK_ID_LineStatusAll, CAM_CHUNK_ID_CounterValue, CAM_CHUNK_ID_SequencerSetActive,
    CAM_CHUNK_ID_PayloadCRC16,
};
static const uint32_t chunk_sizes[CAM_CHUNK_COUNT] = {
    0, CAM_CHUNK_SIZE_Timestamp, CAM_CHUNK_SIZE_ExposureTime, CAM_CHUNK_SIZE_Gain,
    CAM_CHUNK_SIZE_LineStatusAll, CAM_CHUNK_SIZE_CounterValue, CAM_CHUNK_SIZE_SequencerSetActive,
    CAM_CHUNK_SIZE_PayloadCRC16,
};

cam_chunk_cfg chunks_config_locked(cam_camera *c)
{
    cam_chunk_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.active = GI(c, ChunkModeActive) != 0;
    for (int i = 0; i < CAM_CHUNK_COUNT; i++)
        cfg.enable[i] = i == CAM_CHUNK_SEL_Image || GIX(c, ChunkEnable, i) != 0;
    return cfg;
}

cam_status chunks_check_enable(const cam_reg_op *op)
{
    if (op->idx == CAM_CHUNK_SEL_Image && op->value == 0) {
        cam_say(op->why, op->why_len, "ChunkEnable: the Image chunk is always enabled");
        return CAM_ERR_VALUE;
    }
    return CAM_OK;
}

size_t chunks_payload_size(const cam_chunk_cfg *cfg, size_t image_bytes)
{
    if (!cfg->active)
        return image_bytes;
    size_t n = image_bytes + 8;
    for (int i = 1; i < CAM_CHUNK_COUNT; i++)
        if (cfg->enable[i])
            n += chunk_sizes[i] + 8;
    return n;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void putd(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put64(p, u);
}

uint16_t crc16_ccitt_false(const uint8_t *p, size_t n)
{
    static uint16_t table[256];
    static int ready; /* benign race: every thread computes the same table */
    if (!ready) {
        for (int i = 0; i < 256; i++) {
            uint16_t r = (uint16_t)(i << 8);
            for (int b = 0; b < 8; b++)
                r = (uint16_t)((r & 0x8000) ? (r << 1) ^ 0x1021 : r << 1);
            table[i] = r;
        }
        ready = 1;
    }
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc << 8) ^ table[((crc >> 8) ^ p[i]) & 0xFF]);
    return crc;
}

size_t chunks_write(const cam_chunk_cfg *cfg, uint8_t *dst, size_t image_bytes, uint64_t timestamp_ns,
                    const cam_frame_rec *rec)
{
    if (!cfg->active)
        return image_bytes;
    size_t o = image_bytes;
    put32(dst + o, chunk_ids[0]);
    put32(dst + o + 4, (uint32_t)image_bytes);
    o += 8;
    for (int i = 1; i < CAM_CHUNK_COUNT; i++) {
        if (!cfg->enable[i])
            continue;
        uint8_t *d = dst + o;
        memset(d, 0, chunk_sizes[i]);
        switch (i) {
        case CAM_CHUNK_SEL_Timestamp:
            put64(d, timestamp_ns);
            break;
        case CAM_CHUNK_SEL_ExposureTime:
            putd(d, rec->exposure_us);
            break;
        case CAM_CHUNK_SEL_Gain:
            putd(d, rec->gain_db);
            break;
        case CAM_CHUNK_SEL_LineStatusAll:
            put32(d, rec->line_status);
            break;
        case CAM_CHUNK_SEL_CounterValue:
            put32(d, rec->counter[0]);
            put32(d + 4, rec->counter[1]);
            break;
        case CAM_CHUNK_SEL_SequencerSetActive:
            put32(d, rec->seq_set);
            break;
        case CAM_CHUNK_SEL_PayloadCRC16:
            put32(d, crc16_ccitt_false(dst, o));
            break;
        default:
            break;
        }
        o += chunk_sizes[i];
        put32(dst + o, chunk_ids[i]);
        put32(dst + o + 4, chunk_sizes[i]);
        o += 8;
    }
    return o;
}
