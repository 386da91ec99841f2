/* roi.c - the image format (README "Decisions"): the area of interest in binned pixels, its
 * maxima and dynamic limits (WidthLimit etc., the hidden registers GenApi reads as pMax), centring,
 * the rescale on a binning change, and what follows from the pixel format: PixelSize,
 * PixelDynamicRangeMax and PayloadSize.  No state of its own: it is all in the registers. */
#include <inttypes.h>
#include <stdio.h>

#include "camera_internal.h"

static int64_t round_down(int64_t v, int64_t inc)
{
    return v / inc * inc;
}

int64_t roi_width_max_locked(cam_camera *c)
{
    return round_down(GI(c, SensorWidth) / GI(c, BinningHorizontal), CAM_A_WIDTH_INC);
}

int64_t roi_height_max_locked(cam_camera *c)
{
    return round_down(GI(c, SensorHeight) / GI(c, BinningVertical), CAM_A_HEIGHT_INC);
}

/* PayloadSize: the image plus, with ChunkModeActive, the whole chunk area. */
size_t cam_payload_locked(cam_camera *c)
{
    cam_chunk_cfg cfg = chunks_config_locked(c);
    return chunks_payload_size(&cfg, cam_image_bytes_locked(c));
}

/* ---------------------------------------------------------------------------------------------
 * Derived registers
 * ------------------------------------------------------------------------------------------- */
int64_t roi_width_max(const cam_reg_op *op)
{
    return roi_width_max_locked(op->c);
}

int64_t roi_height_max(const cam_reg_op *op)
{
    return roi_height_max_locked(op->c);
}

int64_t roi_width_limit(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    return GI(c, CenterX) ? roi_width_max_locked(c) : roi_width_max_locked(c) - GI(c, OffsetX);
}

int64_t roi_height_limit(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    return GI(c, CenterY) ? roi_height_max_locked(c) : roi_height_max_locked(c) - GI(c, OffsetY);
}

int64_t roi_offset_x_limit(const cam_reg_op *op)
{
    return roi_width_max_locked(op->c) - GI(op->c, Width);
}

int64_t roi_offset_y_limit(const cam_reg_op *op)
{
    return roi_height_max_locked(op->c) - GI(op->c, Height);
}

int64_t roi_pixel_size(const cam_reg_op *op)
{
    switch (GI(op->c, PixelFormat)) {
    case CAM_ENUM_PixelFormat_Mono12:
        return CAM_ENUM_PixelSize_Bpp16;
    case CAM_ENUM_PixelFormat_Mono12p:
        return CAM_ENUM_PixelSize_Bpp12;
    default:
        return CAM_ENUM_PixelSize_Bpp8;
    }
}

int64_t roi_dynamic_range_max(const cam_reg_op *op)
{
    return GI(op->c, PixelFormat) == CAM_ENUM_PixelFormat_Mono8 ? 255 : 4095;
}

int64_t roi_payload_size(const cam_reg_op *op)
{
    return (int64_t)cam_payload_locked(op->c);
}

/* ---------------------------------------------------------------------------------------------
 * The dynamic limits in words, e.g. "WidthMax 4112 - OffsetX 8"
 * ------------------------------------------------------------------------------------------- */
void roi_describe_width_limit(cam_camera *c, char *buf, size_t len)
{
    if (GI(c, CenterX))
        snprintf(buf, len, "WidthMax %" PRId64 ", CenterX on", roi_width_max_locked(c));
    else
        snprintf(buf, len, "WidthMax %" PRId64 " - OffsetX %" PRId64, roi_width_max_locked(c), GI(c, OffsetX));
}

void roi_describe_height_limit(cam_camera *c, char *buf, size_t len)
{
    if (GI(c, CenterY))
        snprintf(buf, len, "HeightMax %" PRId64 ", CenterY on", roi_height_max_locked(c));
    else
        snprintf(buf, len, "HeightMax %" PRId64 " - OffsetY %" PRId64, roi_height_max_locked(c), GI(c, OffsetY));
}

void roi_describe_offset_x_limit(cam_camera *c, char *buf, size_t len)
{
    snprintf(buf, len, "WidthMax %" PRId64 " - Width %" PRId64, roi_width_max_locked(c), GI(c, Width));
}

void roi_describe_offset_y_limit(cam_camera *c, char *buf, size_t len)
{
    snprintf(buf, len, "HeightMax %" PRId64 " - Height %" PRId64, roi_height_max_locked(c), GI(c, Height));
}

/* ---------------------------------------------------------------------------------------------
 * Side effects of writes
 * ------------------------------------------------------------------------------------------- */
static void recenter(cam_camera *c)
{
    if (GI(c, CenterX))
        SI(c, OffsetX, round_down((roi_width_max_locked(c) - GI(c, Width)) / 2, CAM_A_OFFSET_X_INC));
    if (GI(c, CenterY))
        SI(c, OffsetY, round_down((roi_height_max_locked(c) - GI(c, Height)) / 2, CAM_A_OFFSET_Y_INC));
}

/* Width, Height, CenterX or CenterY changed: a centred offset follows. */
void roi_recenter(const cam_reg_op *op)
{
    recenter(op->c);
}

/* Scale one axis' size and offset by old/new binning, then make them fit max. */
static void rescale_axis(cam_camera *c, cam_reg_id size_id, cam_reg_id offset_id, int64_t max, int64_t old_b,
                         int64_t new_b, int64_t size_min, int64_t size_inc, int64_t offset_inc)
{
    int64_t size = round_down(regmap_get_int(&c->regs, size_id, 0) * old_b / new_b, size_inc);
    int64_t offset = round_down(regmap_get_int(&c->regs, offset_id, 0) * old_b / new_b, offset_inc);
    if (size < size_min)
        size = size_min;
    if (size > max)
        size = max;
    if (offset + size > max)
        offset = round_down(max - size, offset_inc);
    regmap_set_int(&c->regs, size_id, 0, size);
    regmap_set_int(&c->regs, offset_id, 0, offset);
}

/* BinningHorizontal or BinningVertical changed from op->old: scale the ROI like the camera does,
 * then make it fit. */
void roi_rescale(const cam_reg_op *op)
{
    cam_camera *c = op->c;
    int64_t b = regmap_get_int(&c->regs, op->id, 0);
    if (b == op->old)
        return;
    if (op->id == CAM_REG_BinningHorizontal)
        rescale_axis(c, CAM_REG_Width, CAM_REG_OffsetX, roi_width_max_locked(c), op->old, b, CAM_A_WIDTH_MIN,
                     CAM_A_WIDTH_INC, CAM_A_OFFSET_X_INC);
    else
        rescale_axis(c, CAM_REG_Height, CAM_REG_OffsetY, roi_height_max_locked(c), op->old, b, CAM_A_HEIGHT_MIN,
                     CAM_A_HEIGHT_INC, CAM_A_OFFSET_Y_INC);
    recenter(c);
}
