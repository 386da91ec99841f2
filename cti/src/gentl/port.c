/* port.c - GCReadPort/GCWritePort/URL/port-info back ends: module register spaces + module
 * XMLs, and the remote-device port forwarded to the camera model. */
#include "port.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "info.h"

#define GT_SCHEMA_MAJOR 1
#define GT_SCHEMA_MINOR 1

GC_ERROR gt_cam_status_error(cam_status st, const char *op, uint64_t address, size_t len, const char *why)
{
    GC_ERROR code;
    switch (st) {
    case CAM_OK: return GC_ERR_SUCCESS;
    case CAM_ERR_ADDRESS: code = GC_ERR_INVALID_ADDRESS; break;
    case CAM_ERR_ACCESS: code = GC_ERR_ACCESS_DENIED; break;
    case CAM_ERR_VALUE: code = GC_ERR_INVALID_VALUE; break;
    case CAM_ERR_PARAMETER: code = GC_ERR_INVALID_PARAMETER; break;
    case CAM_ERR_STATE: code = GC_ERR_RESOURCE_IN_USE; break;
    default: code = GC_ERR_ERROR; break;
    }
    return gt_failf(code, "%s 0x%" PRIx64 " (%zu bytes): %s", op, address, len,
                    (why && why[0]) ? why : gt_error_name(code));
}

/* --- Module register spaces ---------------------------------------------------------- */

static const gt_feature *feature_at(const gt_module_desc *d, uint64_t address, size_t len, uint64_t *reg_addr)
{
    if (address < GT_REG_BASE)
        return NULL;
    uint64_t idx = (address - GT_REG_BASE) / GT_REG_STRIDE;
    if (idx >= d->nfeatures)
        return NULL;
    const gt_feature *f = &d->features[idx];
    uint64_t ra = GT_REG_BASE + idx * GT_REG_STRIDE;
    uint64_t rlen = f->kind == GF_STRING ? f->len : 8;
    if (address - ra >= rlen || len > rlen - (address - ra))
        return NULL;
    *reg_addr = ra;
    return f;
}

static GC_ERROR module_read(gt_obj *obj, const gt_module_desc *d, uint64_t address, void *buf, size_t len)
{
    size_t xml_len = 0;
    const char *xml = gt_module_xml(d, &xml_len);
    if (xml && address >= GT_XML_ADDRESS && address - GT_XML_ADDRESS < xml_len &&
        len <= xml_len - (address - GT_XML_ADDRESS)) {
        memcpy(buf, xml + (address - GT_XML_ADDRESS), len);
        return GC_ERR_SUCCESS;
    }
    uint64_t ra;
    const gt_feature *f = feature_at(d, address, len, &ra);
    if (!f)
        return gt_failf(GC_ERR_INVALID_ADDRESS, "%s port: no register at 0x%" PRIx64 " (%zu bytes)",
                        d->module_name, address, len);
    uint8_t reg[1024];
    memset(reg, 0, sizeof reg);
    int64_t iv = 0;
    GC_ERROR e;
    if (f->kind == GF_STRING) {
        uint32_t rl = f->len <= sizeof reg ? f->len : (uint32_t)sizeof reg;
        e = d->get(obj, f->id, &iv, (char *)reg, rl);
        reg[rl - 1] = 0;
    } else if (f->kind == GF_CMD) {
        e = GC_ERR_SUCCESS; /* commands read back 0: "done" */
    } else {
        e = d->get(obj, f->id, &iv, NULL, 0);
        uint64_t u = (uint64_t)iv;
        for (int i = 0; i < 8; i++)
            reg[i] = (uint8_t)(u >> (8 * i));
    }
    if (e != GC_ERR_SUCCESS)
        return e;
    memcpy(buf, reg + (address - ra), len);
    return GC_ERR_SUCCESS;
}

static GC_ERROR module_write(gt_obj *obj, const gt_module_desc *d, uint64_t address, const void *buf, size_t len)
{
    uint64_t ra;
    const gt_feature *f = feature_at(d, address, len, &ra);
    if (!f) {
        if (address >= GT_XML_ADDRESS)
            return gt_failf(GC_ERR_ACCESS_DENIED, "%s port: the description file at 0x%" PRIx64 " is read-only",
                            d->module_name, address);
        return gt_failf(GC_ERR_INVALID_ADDRESS, "%s port: no register at 0x%" PRIx64 " (%zu bytes)",
                        d->module_name, address, len);
    }
    if (!(f->writable || f->kind == GF_CMD) || (f->kind == GF_STRING && !d->set_string))
        return gt_failf(GC_ERR_ACCESS_DENIED, "%s port: %s is read-only", d->module_name, f->name);
    if (f->kind == GF_STRING) {
        /* GenApi writes the whole register, NUL-padded; a shorter write from the start is fine too */
        char text[1025];
        if (address != ra || len > f->len || f->len >= sizeof text)
            return gt_failf(GC_ERR_INVALID_ADDRESS, "%s port: %s must be written from 0x%" PRIx64 ", at most %u bytes",
                            d->module_name, f->name, ra, f->len);
        memcpy(text, buf, len);
        text[len] = 0;
        if (strlen(text) >= f->len)
            return gt_failf(GC_ERR_INVALID_VALUE, "%s port: %s takes at most %u characters", d->module_name, f->name,
                            f->len - 1);
        return d->set_string(obj, f->id, text);
    }
    if (address != ra || len != 8)
        return gt_failf(GC_ERR_INVALID_ADDRESS, "%s port: %s must be written as 8 bytes at 0x%" PRIx64,
                        d->module_name, f->name, ra);
    const uint8_t *p = buf;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    int64_t v = (int64_t)u;
    if (f->kind == GF_CMD && v != 1)
        return gt_failf(GC_ERR_INVALID_VALUE, "%s port: command %s takes the value 1", d->module_name, f->name);
    if (f->kind == GF_BOOL && v != 0 && v != 1)
        return gt_failf(GC_ERR_INVALID_VALUE, "%s port: %s is a boolean (0/1)", d->module_name, f->name);
    if (f->kind == GF_ENUM) {
        int64_t n = 0;
        while (f->entries && f->entries[n])
            n++;
        if (v < 0 || v >= n)
            return gt_failf(GC_ERR_INVALID_VALUE, "%s port: %" PRId64 " is no entry of %s", d->module_name, v, f->name);
    }
    if (f->kind == GF_FLOAT) {
        double dv;
        memcpy(&dv, &v, sizeof dv);
        if (!(dv >= (double)f->min && dv <= (double)f->max))
            return gt_failf(GC_ERR_INVALID_VALUE, "%s port: %s = %g out of range [%" PRId64 ", %" PRId64 "]",
                            d->module_name, f->name, dv, f->min, f->max);
    }
    if (f->kind == GF_INT) {
        int64_t mx = f->max < 0 ? (int64_t)(g_gt.ncams ? g_gt.ncams - 1 : 0) : f->max;
        if (v < f->min || v > mx)
            return gt_failf(GC_ERR_INVALID_VALUE, "%s port: %s = %" PRId64 " out of range [%" PRId64 ", %" PRId64 "]",
                            d->module_name, f->name, v, f->min, mx);
    }
    return d->set(obj, f->id, v);
}

/* --- Remote device port ------------------------------------------------------------ */

/* Where [address, address + len) lies relative to a file at [xa, xa + n): inside, outside or
 * across its edge. */
typedef enum { IN_FILE, OUTSIDE_FILE, ACROSS_FILE } file_overlap;

static file_overlap overlap(uint64_t address, size_t len, uint64_t xa, size_t n)
{
    uint64_t end = address + len; /* no wrap: checked by check_port_access */
    if (end <= xa || address >= xa + n)
        return OUTSIDE_FILE;
    return address >= xa && end <= xa + n ? IN_FILE : ACROSS_FILE;
}

static GC_ERROR remote_read(gt_rport *rp, uint64_t address, void *buf, size_t len)
{
    gt_device *dev = rp->dev;
    if (gt_camslot_check_unplug(dev->slot))
        return gt_failf(GC_ERR_IO, "read 0x%" PRIx64 " (%zu bytes): %s was disconnected (device lost)", address, len,
                        dev->slot->id);
    const gt_devxml *served = gt_dev_served_xml(dev);
    if (served) {
        file_overlap o = overlap(address, len, GT_DEVXML_ADDRESS, served->len);
        if (o == IN_FILE) {
            dev->xml_read = true;
            memcpy(buf, served->bytes + (address - GT_DEVXML_ADDRESS), len);
            return GC_ERR_SUCCESS;
        }
        if (o == ACROSS_FILE)
            return gt_failf(GC_ERR_INVALID_ADDRESS, "read 0x%" PRIx64 " (%zu bytes): crosses the edge of the "
                            "description file at 0x%" PRIx64 " (%zu bytes)", address, len, GT_DEVXML_ADDRESS,
                            served->len);
        if (!served->model_layout)
            return gt_ram_read(&served->ram, address, buf, len);
    }
    size_t xml_len = 0;
    const uint8_t *xml = cam_xml(&xml_len);
    uint64_t xa = cam_xml_address();
    if (xml && overlap(address, len, xa, xml_len) == IN_FILE) {
        if (!served)
            dev->xml_read = true;
        memcpy(buf, xml + (address - xa), len);
        return GC_ERR_SUCCESS;
    }
    char why[256];
    why[0] = 0;
    cam_status st = cam_read(dev->slot->cam, address, buf, len, why, sizeof why);
    return gt_cam_status_error(st, "read", address, len, why);
}

static GC_ERROR remote_write(gt_rport *rp, uint64_t address, const void *buf, size_t len)
{
    gt_device *dev = rp->dev;
    if (gt_camslot_check_unplug(dev->slot))
        return gt_failf(GC_ERR_IO, "write 0x%" PRIx64 " (%zu bytes): %s was disconnected (device lost)", address, len,
                        dev->slot->id);
    if (dev->access == DEVICE_ACCESS_READONLY)
        return gt_failf(GC_ERR_ACCESS_DENIED, "write 0x%" PRIx64 ": device was opened read-only", address);
    gt_devxml *served = gt_dev_served_xml(dev);
    if (served) {
        if (overlap(address, len, GT_DEVXML_ADDRESS, served->len) != OUTSIDE_FILE)
            return gt_failf(GC_ERR_ACCESS_DENIED, "write 0x%" PRIx64 " (%zu bytes): the description file at 0x%" PRIx64
                            " is read-only", address, len, GT_DEVXML_ADDRESS);
        if (!served->model_layout)
            return gt_ram_write(&served->ram, address, buf, len);
    }
    char why[256];
    why[0] = 0;
    cam_status st = cam_write(dev->slot->cam, address, buf, len, why, sizeof why);
    if (st == CAM_OK && address == GT_CAM_ADDR_ACQUISITION_START)
        gt_camslot_acquisition_started(dev->slot);
    return gt_cam_status_error(st, "write", address, len, why);
}

/* --- Generic port functions ------------------------------------------------------------ */

/* The checks GCReadPort and GCWritePort share: size pointer, buffer, length, address range. */
static GC_ERROR check_port_access(const char *fn, uint64_t address, const void *buf, size_t *piSize)
{
    if (!piSize)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "%s: piSize is NULL", fn);
    if (!buf) {
        *piSize = 0;
        return gt_failf(GC_ERR_INVALID_PARAMETER, "%s: pBuffer is NULL", fn);
    }
    size_t len = *piSize;
    if (len == 0)
        return gt_failf(GC_ERR_INVALID_PARAMETER, "%s: zero length", fn);
    if (address + len < address) {
        *piSize = 0;
        return gt_failf(GC_ERR_INVALID_ADDRESS, "%s: 0x%" PRIx64 " + %zu wraps around", fn, address, len);
    }
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_port_read(gt_obj *obj, uint64_t address, void *buf, size_t *piSize)
{
    GC_ERROR e = check_port_access("GCReadPort", address, buf, piSize);
    if (e != GC_ERR_SUCCESS)
        return e;
    size_t len = *piSize;
    if (obj->kind == GT_RPORT)
        e = remote_read((gt_rport *)obj, address, buf, len);
    else
        e = module_read(obj, gt_module_desc_of(obj->kind), address, buf, len);
    *piSize = e == GC_ERR_SUCCESS ? len : 0;
    return e;
}

GC_ERROR gt_port_write(gt_obj *obj, uint64_t address, const void *buf, size_t *piSize)
{
    GC_ERROR e = check_port_access("GCWritePort", address, buf, piSize);
    if (e != GC_ERR_SUCCESS)
        return e;
    size_t len = *piSize;
    if (obj->kind == GT_RPORT)
        e = remote_write((gt_rport *)obj, address, buf, len);
    else
        e = module_write(obj, gt_module_desc_of(obj->kind), address, buf, len);
    *piSize = e == GC_ERR_SUCCESS ? len : 0;
    return e;
}

/* URL pieces of a port. */
typedef struct {
    const char *filename;
    uint64_t address;
    uint64_t size;
    int64_t schema[3];
    int64_t version[3];
} url_parts;

/* The port's URLs: one per port; a remote device serving a file with the simulator's register
 * layout has a second one, the simulator's own XML (its registers are the same). */
static uint32_t url_count(gt_obj *obj)
{
    if (obj->kind != GT_RPORT)
        return 1;
    const gt_devxml *served = gt_dev_served_xml(((gt_rport *)obj)->dev);
    return served && served->model_layout ? 2 : 1;
}

static GC_ERROR url_of(gt_obj *obj, uint32_t index, url_parts *u)
{
    const int64_t default_schema[3] = {GT_SCHEMA_MAJOR, GT_SCHEMA_MINOR, 0}, default_version[3] = {1, 0, 0};
    memcpy(u->schema, default_schema, sizeof u->schema);
    memcpy(u->version, default_version, sizeof u->version);
    if (index >= url_count(obj))
        return gt_failf(GC_ERR_INVALID_INDEX, "GCGetPortURLInfo: URL index %u, the port has %u URL%s", index,
                        url_count(obj), url_count(obj) == 1 ? "" : "s");
    if (obj->kind == GT_RPORT) {
        gt_device *dev = ((gt_rport *)obj)->dev;
        const gt_devxml *served = gt_dev_served_xml(dev);
        dev->xml_read = true; /* the consumer is about to build its node map: the choice is fixed */
        if (served && index == 0) {
            u->filename = served->filename;
            u->address = GT_DEVXML_ADDRESS;
            u->size = served->len;
            memcpy(u->schema, served->schema, sizeof u->schema);
            memcpy(u->version, served->version, sizeof u->version);
            return GC_ERR_SUCCESS;
        }
        size_t len = 0;
        const uint8_t *xml = cam_xml(&len);
        if (!xml || !len || !cam_xml_filename())
            return gt_fail(GC_ERR_NOT_AVAILABLE, "the camera model provides no description file");
        u->filename = cam_xml_filename();
        u->address = cam_xml_address();
        u->size = len;
        return GC_ERR_SUCCESS;
    }
    const gt_module_desc *d = gt_module_desc_of(obj->kind);
    size_t len = 0;
    if (!d || !gt_module_xml(d, &len))
        return gt_fail(GC_ERR_NOT_AVAILABLE, "module description file not available");
    u->filename = d->xml_filename;
    u->address = GT_XML_ADDRESS;
    u->size = len;
    return GC_ERR_SUCCESS;
}

static void format_url(const url_parts *u, char *out, size_t n)
{
    snprintf(out, n, "local:%s;%" PRIx64 ";%" PRIx64 "?SchemaVersion=%" PRId64 ".%" PRId64 ".%" PRId64, u->filename,
             u->address, u->size, u->schema[0], u->schema[1], u->schema[2]);
}

GC_ERROR gt_port_num_urls(gt_obj *obj, uint32_t *n)
{
    url_parts u;
    GC_ERROR e = url_of(obj, 0, &u);
    if (e != GC_ERR_SUCCESS)
        return e;
    *n = url_count(obj);
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_port_url(gt_obj *obj, char *sURL, size_t *piSize)
{
    url_parts u;
    GC_ERROR e = url_of(obj, 0, &u);
    if (e != GC_ERR_SUCCESS)
        return e;
    char url[512];
    format_url(&u, url, sizeof url);
    return gt_string_out(url, sURL, piSize, "GCGetPortURL");
}

GC_ERROR gt_port_url_info(gt_obj *obj, uint32_t index, URL_INFO_CMD cmd, INFO_DATATYPE *piType,
                          void *pBuffer, size_t *piSize)
{
    url_parts u;
    GC_ERROR e = url_of(obj, index, &u);
    if (e != GC_ERR_SUCCESS)
        return e;
    char url[512];
    switch (cmd) {
    case URL_INFO_URL:
        format_url(&u, url, sizeof url);
        return gt_info_string(url, piType, pBuffer, piSize);
    case URL_INFO_SCHEMA_VER_MAJOR: return gt_info_int32((int32_t)u.schema[0], piType, pBuffer, piSize);
    case URL_INFO_SCHEMA_VER_MINOR: return gt_info_int32((int32_t)u.schema[1], piType, pBuffer, piSize);
    case URL_INFO_FILE_VER_MAJOR: return gt_info_int32((int32_t)u.version[0], piType, pBuffer, piSize);
    case URL_INFO_FILE_VER_MINOR: return gt_info_int32((int32_t)u.version[1], piType, pBuffer, piSize);
    case URL_INFO_FILE_VER_SUBMINOR: return gt_info_int32((int32_t)u.version[2], piType, pBuffer, piSize);
    case URL_INFO_FILE_SHA1_HASH:
        return gt_fail(GC_ERR_NOT_AVAILABLE, "GCGetPortURLInfo: no SHA1 hash is provided for the description files");
    case URL_INFO_FILE_REGISTER_ADDRESS: return gt_info_uint64(u.address, piType, pBuffer, piSize);
    case URL_INFO_FILE_SIZE: return gt_info_uint64(u.size, piType, pBuffer, piSize);
    case URL_INFO_SCHEME: return gt_info_int32(URL_SCHEME_LOCAL, piType, pBuffer, piSize);
    case URL_INFO_FILENAME: return gt_info_string(u.filename, piType, pBuffer, piSize);
    default:
        return gt_failf(GC_ERR_NOT_IMPLEMENTED, "GCGetPortURLInfo: info command %d is not implemented", (int)cmd);
    }
}

static const char *module_port_id(gt_obj *obj)
{
    switch (obj->kind) {
    case GT_TL: return GT_TL_ID;
    case GT_IF: return GT_IF_ID;
    case GT_DEV: return ((gt_device *)obj)->slot->id;
    case GT_DS: return GT_DS_ID;
    case GT_BUF: return "Buffer";
    case GT_RPORT: return ((gt_rport *)obj)->dev->slot->id;
    default: return "";
    }
}

GC_ERROR gt_port_info(gt_obj *obj, PORT_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    bool remote = obj->kind == GT_RPORT;
    cam_camera *cam = remote ? ((gt_rport *)obj)->dev->slot->cam : NULL;
    const gt_module_desc *d = remote ? NULL : gt_module_desc_of(obj->kind);
    switch (cmd) {
    case PORT_INFO_ID: return gt_info_string(module_port_id(obj), piType, pBuffer, piSize);
    case PORT_INFO_VENDOR:
        return gt_info_string(remote ? cam_vendor_name(cam) : GT_TL_VENDOR, piType, pBuffer, piSize);
    case PORT_INFO_MODEL:
        return gt_info_string(remote ? cam_model_name(cam) : GT_TL_MODEL, piType, pBuffer, piSize);
    case PORT_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    case PORT_INFO_MODULE:
        return gt_info_string(remote ? "Device" : d->module_name, piType, pBuffer, piSize);
    case PORT_INFO_LITTLE_ENDIAN: return gt_info_bool8(true, piType, pBuffer, piSize);
    case PORT_INFO_BIG_ENDIAN: return gt_info_bool8(false, piType, pBuffer, piSize);
    case PORT_INFO_ACCESS_READ: return gt_info_bool8(true, piType, pBuffer, piSize);
    case PORT_INFO_ACCESS_WRITE:
        return gt_info_bool8(!remote || ((gt_rport *)obj)->dev->access != DEVICE_ACCESS_READONLY, piType,
                             pBuffer, piSize);
    case PORT_INFO_ACCESS_NA: return gt_info_bool8(false, piType, pBuffer, piSize);
    case PORT_INFO_ACCESS_NI: return gt_info_bool8(false, piType, pBuffer, piSize);
    case PORT_INFO_VERSION:
        return gt_info_string(remote ? cam_device_version(cam) : GT_TL_VERSION, piType, pBuffer, piSize);
    case PORT_INFO_PORTNAME:
        return gt_info_string(remote ? "Device" : d->port_name, piType, pBuffer, piSize);
    default:
        return gt_failf(GC_ERR_NOT_IMPLEMENTED, "GCGetPortInfo: info command %d is not implemented", (int)cmd);
    }
}
