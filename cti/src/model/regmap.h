/* regmap.h - register storage and generic validation, driven by the generated table
 * (generated/camera_regs.h).  Knows nothing of what a register means: the hooks of
 * generated/camera_hooks.h add that, run by camera.c's register path.
 * Not thread-safe by itself: camera.c holds its mutex around every call. */
#ifndef ACESIM_REGMAP_H
#define ACESIM_REGMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../generated/camera_regs.h"
#include "camera.h"

typedef struct {
    uint8_t *store;                 /* every register's bytes, little endian */
    size_t offset[CAM_REG_COUNT];   /* where each register (all its elements) starts in store */
} cam_regmap;

/* Allocate and fill with the table's defaults.  false on out of memory. */
bool regmap_init(cam_regmap *m);
void regmap_free(cam_regmap *m);

/* Register containing `address`: returns its id (or -1) and the element index; *at_start tells
 * whether the address is the element's first byte. */
int regmap_find(uint64_t address, uint32_t *index, bool *at_start);

/* Raw element bytes of register id, element idx (length = table length). */
uint8_t *regmap_bytes(cam_regmap *m, cam_reg_id id, uint32_t idx);

int64_t regmap_decode_int(const cam_reg_desc *d, const uint8_t *p);
void regmap_encode_int(const cam_reg_desc *d, int64_t v, uint8_t *p);
double regmap_decode_float(const uint8_t *p);
void regmap_encode_float(double v, uint8_t *p);

int64_t regmap_get_int(cam_regmap *m, cam_reg_id id, uint32_t idx);
void regmap_set_int(cam_regmap *m, cam_reg_id id, uint32_t idx, int64_t v);
double regmap_get_float(cam_regmap *m, cam_reg_id id, uint32_t idx);
void regmap_set_float(cam_regmap *m, cam_reg_id id, uint32_t idx, double v);
const char *regmap_get_string(cam_regmap *m, cam_reg_id id); /* always NUL-terminated */
void regmap_set_string(cam_regmap *m, cam_reg_id id, const char *s);

/* Value checks against the table (limits passed in so the caller can resolve dynamic ones).
 * On failure they write a one-line reason into why and return CAM_ERR_VALUE. */
cam_status regmap_check_int(const cam_reg_desc *d, int64_t v, int64_t min, int64_t max,
                            const char *min_src, const char *max_src, char *why, size_t why_len);
/* Floats are snapped to the increment (as the camera rounds exposure to its time base); *v is
 * updated to the value that will be stored. */
cam_status regmap_check_float(const cam_reg_desc *d, double *v, double min, double max,
                              char *why, size_t why_len);
cam_status regmap_check_enum(const cam_reg_desc *d, int64_t v, char *why, size_t why_len);
cam_status regmap_check_string(const cam_reg_desc *d, const uint8_t *buf, size_t len,
                               char *why, size_t why_len);

/* snprintf into why when why is non-NULL (helper shared with the model's files). */
void cam_say(char *why, size_t why_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
