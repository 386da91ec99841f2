/* port.h - ports: the register space and description file of every module (System, Interface,
 * Device, DataStream, Buffer) and the remote-device port (forwarded to cam_read/cam_write). */
#ifndef ACESIM_GENTL_PORT_H
#define ACESIM_GENTL_PORT_H

#include "core.h"

/* --- Module register spaces ------------------------------------------------------------
 * Each module has a table of features.  Feature i lives in a register at
 * GT_REG_BASE + i * GT_REG_STRIDE; integers/booleans/enums/commands are 8-byte little-endian
 * registers, strings are NUL-padded registers of `len` bytes.  The module XML is served at
 * GT_XML_ADDRESS. */
#define GT_REG_BASE UINT64_C(0x1000)
#define GT_REG_STRIDE UINT64_C(0x400)
#define GT_XML_ADDRESS UINT64_C(0x100000)

/* GF_FLOAT: an 8-byte IEEE double register; get/set pass its bits in the int64 (memcpy);
 * min/max are the (integral) range of the value. */
typedef enum { GF_STRING, GF_INT, GF_BOOL, GF_CMD, GF_ENUM, GF_FLOAT } gt_feat_kind;

typedef struct {
    int id;                       /* module-specific id passed to get/set */
    const char *name;
    gt_feat_kind kind;
    uint32_t len;                 /* string registers: bytes incl. NUL (at most 1024); others 8 */
    bool writable;
    const char *category;
    const char *tooltip;
    const char *const *entries;   /* GF_ENUM: NULL-terminated names, value = index */
    int64_t min, max;             /* GF_INT writable: range; max < 0 -> "camera count - 1" */
    bool custom;                  /* NameSpace Custom (else Standard) */
} gt_feature;

/* A feature chosen by a selector: <pSelected> in the selector's node (GenApi, and ace_gentl's
 * FeatureMap, learn the selector from it). */
typedef struct {
    const char *selector, *selected;
} gt_selection;

typedef struct gt_module_desc {
    gt_kind kind;
    const char *module_name;      /* PORT_INFO_MODULE, e.g. "TLSystem" */
    const char *port_name;        /* <Port Name=...>, PORT_INFO_PORTNAME */
    const char *xml_filename;
    const char *xml_model_name;
    const char *product_guid;
    const char *version_guid;
    const gt_feature *features;
    size_t nfeatures;
    const gt_selection *selections; /* may be NULL */
    size_t nselections;
    /* Read the value of feature `id` (locks held).  Ints into *ival, strings into sval[slen]. */
    GC_ERROR (*get)(gt_obj *obj, int id, int64_t *ival, char *sval, size_t slen);
    /* Write an int/bool/enum/command feature. */
    GC_ERROR (*set)(gt_obj *obj, int id, int64_t ival);
    /* Write a writable string feature (NULL when the module has none). */
    GC_ERROR (*set_string)(gt_obj *obj, int id, const char *sval);
} gt_module_desc;

/* Defined by the module files. */
extern const gt_module_desc gt_system_desc, gt_iface_desc, gt_device_desc, gt_stream_desc,
    gt_buffer_desc;

/* module_xml.c: generate / free all module XMLs (GCInitLib / GCCloseLib). */
GC_ERROR gt_module_xml_build_all(void);
void gt_module_xml_free_all(void);
const char *gt_module_xml(const gt_module_desc *d, size_t *len);
/* Build one XML into a malloc'ed string (for tests of the generator). */
char *gt_module_xml_build(const gt_module_desc *d, size_t ncams, size_t *len);

const gt_module_desc *gt_module_desc_of(gt_kind kind);

/* --- Port operations (api + data locks held; obj is a validated GT_PORTS object) --- */
GC_ERROR gt_port_read(gt_obj *obj, uint64_t address, void *buf, size_t *piSize);
GC_ERROR gt_port_write(gt_obj *obj, uint64_t address, const void *buf, size_t *piSize);
GC_ERROR gt_port_num_urls(gt_obj *obj, uint32_t *n);
GC_ERROR gt_port_url_info(gt_obj *obj, uint32_t index, URL_INFO_CMD cmd, INFO_DATATYPE *piType,
                          void *pBuffer, size_t *piSize);
GC_ERROR gt_port_url(gt_obj *obj, char *sURL, size_t *piSize);
GC_ERROR gt_port_info(gt_obj *obj, PORT_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer,
                      size_t *piSize);

/* Map a model status to GC_ERROR, recording `why` as the last-error text. */
GC_ERROR gt_cam_status_error(cam_status st, const char *op, uint64_t address, size_t len, const char *why);

#endif
