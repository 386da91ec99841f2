/* image.h - image synthesis for the simulated acA4112-20um: scene, noise, test images,
 * binning, reverse, PFNC packing.  Knows nothing of registers or GenTL. */
#ifndef ACESIM_IMAGE_H
#define ACESIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFNC_MONO8   0x01080001u
#define PFNC_MONO10  0x01100003u
#define PFNC_MONO10P 0x010A0046u
#define PFNC_MONO12  0x01100005u
#define PFNC_MONO12P 0x010C0047u

typedef enum { IMG_BIN_SUM = 0, IMG_BIN_AVERAGE = 1 } img_binning_mode;

/* Everything that decides the bytes of a frame, apart from the frame ID. */
typedef struct {
    uint32_t width, height;       /* delivered size (after binning) */
    uint32_t offset_x, offset_y;  /* ROI offset in binned pixels */
    uint32_t binning_h, binning_v;
    img_binning_mode binning_h_mode, binning_v_mode;
    bool reverse_x, reverse_y;
    uint64_t pixel_format;        /* one of PFNC_* above */
    uint32_t test_image;          /* 0 = Off (synthetic scene), 1..6 = Testimage1..6 */
    bool test_image_hold;         /* TestImageResetAndHold: frame ID taken as 0 */
    double exposure_us;
    double gain_db;
    double black_level;           /* DN on the 12-bit scale... see image.c for the exact rule */
    double gamma;
    uint32_t digital_shift;
    uint64_t seed;                /* noise seed (per camera) */
} img_settings;

/* Bytes of one image in this format: PFNC packing, rows not padded (Mono12p: ceil(w*h*12/8)). */
size_t img_frame_bytes(const img_settings *s);

/* A renderer caches what depends only on the settings (e.g. scene and noise banks) so that
 * rendering a frame is close to memcpy speed. One renderer per camera; not thread-safe itself
 * (the camera calls it from the stream thread only). */
typedef struct img_renderer img_renderer;
img_renderer *img_renderer_create(void);
void img_renderer_destroy(img_renderer *r);

/* Build what rendering with `s` needs (noise bank or test-image tables) if it is not built yet.
 * Returns true when it did work (this may take ~0.3 s at full resolution), false when the cache
 * was already valid.  img_render calls it itself; the camera calls it ahead of time (at
 * AcquisitionStart, and with its device clock paused) so that the slow rebuild never makes the
 * simulated camera lose frames. */
bool img_prepare(img_renderer *r, const img_settings *s);
/* True when img_render with `s` needs no rebuild (cheap check). */
bool img_is_prepared(const img_renderer *r, const img_settings *s);

/* Render frame `frame_id` with settings `s` into dst (img_frame_bytes(s) bytes). */
void img_render(img_renderer *r, const img_settings *s, uint64_t frame_id, uint8_t *dst);

/* Reference (slow, obviously-correct) value of the test-image pixel (x, y) of frame `frame_id`
 * as an unpacked integer in the format's bit depth; used by the C tests to check img_render. */
uint32_t img_test_pixel(const img_settings *s, uint32_t x, uint32_t y, uint64_t frame_id);

#endif
