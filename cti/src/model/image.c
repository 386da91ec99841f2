/* image.c - public entry points of the image model (see image.h and TEST_IMAGES.md).
 *
 *   image_scene.c   synthetic scene, photon/read noise, gain, black level, gamma, digital shift,
 *                   binning; a bank of pre-rendered noisy frames from which frames are assembled
 *   image_testimg.c Testimage1..6 (exact integer formulas)
 *   image_pack.c    PFNC formats and Mono10p/Mono12p bit packing
 *
 * Coordinates: delivered pixel (x, y), 0 <= x < width, 0 <= y < height, maps to the
 * *binned sensor* coordinate X = offset_x + (reverse_x ? width-1-x : x), Y likewise
 * (img_bin_x / img_bin_y). Reverse mirrors the content inside the unchanged ROI window.
 *
 * img_settings.black_level rule: DN on the 12-bit scale, added once after binning, before gamma
 * and digital shift; Mono8 = 12-bit output >> 4, so black_level 16 raises Mono8 by exactly 1.
 * (If the camera's BlackLevel feature is on the 8-bit scale, the caller multiplies by 16.) */
#include "image_internal.h"

#include <stdlib.h>
#include <string.h>

size_t img_frame_bytes(const img_settings *s)
{
    img_fmt f;
    if (!s || !img_fmt_get(s->pixel_format, &f))
        return 0;
    uint64_t bits = (uint64_t)s->width * s->height * f.bpp;
    return (size_t)((bits + 7) / 8);
}

img_renderer *img_renderer_create(void)
{
    img_renderer *r = calloc(1, sizeof *r);
    if (r)
        img_scene_init_tables(r);
    return r;
}

void img_renderer_destroy(img_renderer *r)
{
    if (!r)
        return;
    img_scene_free(r);
    img_testimg_free(r);
    free(r);
}

bool img_is_prepared(const img_renderer *r, const img_settings *s)
{
    img_fmt f;
    if (!r || !s || !img_fmt_get(s->pixel_format, &f) || s->width == 0 || s->height == 0)
        return true;
    if (s->test_image >= 1 && s->test_image <= 6)
        return !r->bank_valid && img_testimg_is_prepared(r, s);
    return img_scene_is_prepared(r, s);
}

bool img_prepare(img_renderer *r, const img_settings *s)
{
    img_fmt f;
    if (!r || !s || !img_fmt_get(s->pixel_format, &f) || s->width == 0 || s->height == 0)
        return false;
    if (s->test_image >= 1 && s->test_image <= 6) {
        bool had_bank = r->bank_valid;
        img_scene_free(r);
        return img_testimg_prepare(r, s) || had_bank;
    }
    return img_scene_prepare(r, s);
}

void img_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst)
{
    img_fmt f;
    if (!r || !s || !dst || !img_fmt_get(s->pixel_format, &f) || s->width == 0 || s->height == 0)
        return;
    if (s->test_image >= 1 && s->test_image <= 6) {
        img_scene_free(r);          /* do not keep ~100 MB of scene bank while unused */
        img_testimg_render(r, s, frame_id, dst);
    } else {
        img_scene_render(r, s, frame_id, dst);
    }
}

uint32_t img_test_pixel(const img_settings *s, uint32_t x, uint32_t y, uint64_t frame_id)
{
    img_fmt f;
    if (!s || !img_fmt_get(s->pixel_format, &f))
        return 0;
    if (s->test_image >= 1 && s->test_image <= 6)
        return img_testimg_pixel(s, x, y, frame_id);
    /* test_image 0: the noise-free value of the scene (the expectation before noise,
     * rounded and passed through gamma/shift), for mean checks in tests */
    return img_scene_pixel(s, x, y);
}
