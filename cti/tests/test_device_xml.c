/* test_device_xml.c - the remote device serving another camera's description file, driven through
 * the built ace_gentl_sim.cti like a GenTL consumer (dlopen/dlsym): SimDeviceXml, the register
 * memory (any address and size, page limit, edges of the file), the DataStream driving the model,
 * two cameras with and without a foreign XML, a file with the simulator's ProductGuid (model
 * registers, two URLs), ACE_SIM_DEVICE_XML (good and bad), the saved power-up state (and a
 * damaged one), and bad files.
 *
 *   test_device_xml <path/to/ace_gentl_sim.cti>
 *
 * Prints "N passed, M failed"; exit status 0 only when nothing failed. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gentl_types.h"

#define FUNCS(X)                                                                                              \
    X(GCGetLastError, (GC_ERROR *, char *, size_t *))                                                         \
    X(GCInitLib, (void))                                                                                      \
    X(GCCloseLib, (void))                                                                                     \
    X(GCReadPort, (PORT_HANDLE, uint64_t, void *, size_t *))                                                  \
    X(GCWritePort, (PORT_HANDLE, uint64_t, const void *, size_t *))                                           \
    X(GCGetNumPortURLs, (PORT_HANDLE, uint32_t *))                                                            \
    X(GCGetPortURLInfo, (PORT_HANDLE, uint32_t, URL_INFO_CMD, INFO_DATATYPE *, void *, size_t *))            \
    X(TLOpen, (TL_HANDLE *))                                                                                  \
    X(TLClose, (TL_HANDLE))                                                                                   \
    X(TLGetInterfaceID, (TL_HANDLE, uint32_t, char *, size_t *))                                              \
    X(TLUpdateInterfaceList, (TL_HANDLE, bool8_t *, uint64_t))                                                \
    X(TLOpenInterface, (TL_HANDLE, const char *, IF_HANDLE *))                                                \
    X(IFClose, (IF_HANDLE))                                                                                   \
    X(IFUpdateDeviceList, (IF_HANDLE, bool8_t *, uint64_t))                                                   \
    X(IFGetDeviceID, (IF_HANDLE, uint32_t, char *, size_t *))                                                 \
    X(IFOpenDevice, (IF_HANDLE, const char *, DEVICE_ACCESS_FLAGS, DEV_HANDLE *))                             \
    X(DevGetPort, (DEV_HANDLE, PORT_HANDLE *))                                                                \
    X(DevOpenDataStream, (DEV_HANDLE, const char *, DS_HANDLE *))                                             \
    X(DevClose, (DEV_HANDLE))                                                                                 \
    X(DSAnnounceBuffer, (DS_HANDLE, void *, size_t, void *, BUFFER_HANDLE *))                                 \
    X(DSQueueBuffer, (DS_HANDLE, BUFFER_HANDLE))                                                              \
    X(DSFlushQueue, (DS_HANDLE, ACQ_QUEUE_TYPE))                                                              \
    X(DSRevokeBuffer, (DS_HANDLE, BUFFER_HANDLE, void **, void **))                                           \
    X(DSStartAcquisition, (DS_HANDLE, ACQ_START_FLAGS, uint64_t))                                             \
    X(DSStopAcquisition, (DS_HANDLE, ACQ_STOP_FLAGS))                                                         \
    X(DSGetInfo, (DS_HANDLE, STREAM_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                             \
    X(DSGetBufferInfo, (DS_HANDLE, BUFFER_HANDLE, BUFFER_INFO_CMD, INFO_DATATYPE *, void *, size_t *))        \
    X(DSClose, (DS_HANDLE))                                                                                   \
    X(GCRegisterEvent, (EVENTSRC_HANDLE, EVENT_TYPE, EVENT_HANDLE *))                                         \
    X(EventGetData, (EVENT_HANDLE, void *, size_t *, uint64_t))

#define DECLARE(name, args) static GC_ERROR(*p##name) args;
FUNCS(DECLARE)

static int g_pass, g_fail;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        g_pass++;
        return;
    }
    g_fail++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static const char *last_text(void)
{
    static char text[2048];
    size_t sz = sizeof text;
    GC_ERROR c = 0;
    text[0] = 0;
    if (pGCGetLastError(&c, text, &sz) != GC_ERR_SUCCESS)
        return "";
    return text;
}

#define OK(call) check_ok((call), #call, __LINE__)
static int check_ok(GC_ERROR r, const char *what, int line)
{
    check(r == GC_ERR_SUCCESS, "line %d: %s -> %d (%s)", line, what, (int)r, r ? last_text() : "");
    return r == GC_ERR_SUCCESS;
}

/* Expect an error code and a last-error text that contains `text`. */
#define ERR(call, want, text) check_err((call), (want), (text), #call, __LINE__)
static void check_err(GC_ERROR r, GC_ERROR want, const char *text, const char *what, int line)
{
    const char *t = r == GC_ERR_SUCCESS ? "" : last_text();
    check(r == want && strstr(t, text) != NULL, "line %d: %s -> %d, expected %d with \"%s\" (text \"%s\")", line,
          what, (int)r, (int)want, text, t);
}

/* ------------------------------------------------------------------------ files ------ */
static char g_dir[1024];

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char paths[16][1200];
    static int k;
    char *p = paths[k++ & 15];
    snprintf(p, 1200, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        check(0, "cannot write %s: %s", p, strerror(errno));
        if (f)
            fclose(f);
    }
    return p;
}

/* A small foreign node map: registers where the simulator's model has its own (0x20020 = the
 * model's Width, 8 bytes here), far away (0x7FFE_FFFF_FFF0), a string, and a register crossing a
 * page boundary. */
static const char FOREIGN_XML[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<RegisterDescription ModelName=\"Tiny\" VendorName=\"Test Optics\" StandardNameSpace=\"None\" "
    "SchemaMajorVersion=\"1\" SchemaMinorVersion=\"1\" SchemaSubMinorVersion=\"0\" MajorVersion=\"3\" "
    "MinorVersion=\"2\" SubMinorVersion=\"1\" ProductGuid=\"11111111-2222-3333-4444-555555555555\" "
    "VersionGuid=\"11111111-2222-3333-4444-666666666666\" xmlns=\"http://www.genicam.org/GenApi/Version_1_1\">\n"
    "  <Category Name=\"Root\" NameSpace=\"Standard\"><pFeature>Width</pFeature></Category>\n"
    "  <IntReg Name=\"Width\" NameSpace=\"Standard\"><Address>0x20020</Address><Length>8</Length>"
    "<AccessMode>RW</AccessMode><pPort>Device</pPort><Sign>Unsigned</Sign><Endianess>LittleEndian</Endianess></IntReg>\n"
    "  <Port Name=\"Device\" NameSpace=\"Standard\"/>\n"
    "</RegisterDescription>\n";

/* ------------------------------------------------------------------------ handles ---- */
typedef struct {
    TL_HANDLE tl;
    IF_HANDLE ifc;
} lib_t;

static int lib_open(lib_t *l)
{
    memset(l, 0, sizeof *l);
    if (!OK(pGCInitLib()) || !OK(pTLOpen(&l->tl)))
        return 0;
    bool8_t changed = 0;
    OK(pTLUpdateInterfaceList(l->tl, &changed, 100));
    char id[128];
    size_t sz = sizeof id;
    if (!OK(pTLGetInterfaceID(l->tl, 0, id, &sz)) || !OK(pTLOpenInterface(l->tl, id, &l->ifc)))
        return 0;
    return OK(pIFUpdateDeviceList(l->ifc, &changed, 100));
}

static void lib_close(lib_t *l)
{
    OK(pIFClose(l->ifc));
    OK(pTLClose(l->tl));
    OK(pGCCloseLib());
}

static GC_ERROR dev_open(lib_t *l, uint32_t index, DEV_HANDLE *dev)
{
    char id[128];
    size_t sz = sizeof id;
    GC_ERROR e = pIFGetDeviceID(l->ifc, index, id, &sz);
    return e ? e : pIFOpenDevice(l->ifc, id, DEVICE_ACCESS_EXCLUSIVE, dev);
}

/* Read the XML behind a port's first URL and find the address of a register node. */
static uint64_t module_address(PORT_HANDLE port, const char *node)
{
    char url[600];
    size_t sz = sizeof url;
    INFO_DATATYPE t;
    if (pGCGetPortURLInfo(port, 0, URL_INFO_URL, &t, url, &sz) != GC_ERR_SUCCESS)
        return 0;
    uint64_t a = 0, n = 0;
    char *semi = strchr(url, ';');
    if (!semi || sscanf(semi + 1, "%" SCNx64 ";%" SCNx64, &a, &n) != 2)
        return 0;
    char *xml = calloc(1, n + 1);
    size_t len = n;
    uint64_t found = 0;
    if (xml && pGCReadPort(port, a, xml, &len) == GC_ERR_SUCCESS) {
        char pattern[128];
        snprintf(pattern, sizeof pattern, "Name=\"%s\"", node);
        char *p = strstr(xml, pattern);
        char *addr = p ? strstr(p, "<Address>") : NULL;
        if (addr)
            found = strtoull(addr + 9, NULL, 16);
    }
    free(xml);
    return found;
}

static GC_ERROR set_string(DEV_HANDLE dev, const char *node, const char *value, size_t reg_len)
{
    char *buf = calloc(1, reg_len);
    snprintf(buf, reg_len, "%s", value);
    size_t sz = reg_len;
    GC_ERROR e = pGCWritePort(dev, module_address(dev, node), buf, &sz);
    free(buf);
    return e;
}

static void get_string(DEV_HANDLE dev, const char *node, char *out, size_t reg_len)
{
    size_t sz = reg_len;
    OK(pGCReadPort(dev, module_address(dev, node), out, &sz));
    out[reg_len - 1] = 0;
}

static GC_ERROR set_int(DEV_HANDLE dev, const char *node, int64_t v)
{
    char reg[80];
    snprintf(reg, sizeof reg, "%sReg", node);
    size_t sz = 8;
    return pGCWritePort(dev, module_address(dev, reg), &v, &sz);
}

static int64_t get_int(DEV_HANDLE dev, const char *node)
{
    char reg[80];
    snprintf(reg, sizeof reg, "%sReg", node);
    int64_t v = -1;
    size_t sz = 8;
    OK(pGCReadPort(dev, module_address(dev, reg), &v, &sz));
    return v;
}

static void remote_url(PORT_HANDLE rp, uint32_t index, char *url, size_t n)
{
    INFO_DATATYPE t;
    size_t sz = n;
    url[0] = 0;
    OK(pGCGetPortURLInfo(rp, index, URL_INFO_URL, &t, url, &sz));
}

/* The file behind URL `index` of the remote port. */
static uint8_t *remote_file(PORT_HANDLE rp, uint32_t index, size_t *len)
{
    char url[600];
    remote_url(rp, index, url, sizeof url);
    uint64_t a = 0, n = 0;
    char *semi = strchr(url, ';');
    if (!semi || sscanf(semi + 1, "%" SCNx64 ";%" SCNx64, &a, &n) != 2 || n == 0)
        return NULL;
    uint8_t *buf = malloc(n);
    size_t sz = n;
    if (!buf || pGCReadPort(rp, a, buf, &sz) != GC_ERR_SUCCESS) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* ------------------------------------------------------------------------ tests ------ */
#define XML_AT UINT64_C(0x7FFF000000000000)

static void test_register_memory(lib_t *l, const char *foreign)
{
    DEV_HANDLE dev = NULL;
    PORT_HANDLE rp = NULL;
    if (!OK(dev_open(l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    OK(set_string(dev, "SimDeviceXml", foreign, 1024));
    /* the very first access of a fresh memory: zeros (stores nothing), then a read */
    uint32_t zero4 = 0, got4 = 1;
    size_t sz4 = 4;
    OK(pGCWritePort(rp, 0x40010, &zero4, &sz4));
    sz4 = 4;
    OK(pGCReadPort(rp, 0x40010, &got4, &sz4));
    check(got4 == 0, "zeros written to a fresh memory read back as zeros");
    char text[1024];
    get_string(dev, "SimDeviceXml", text, sizeof text);
    check(strcmp(text, foreign) == 0, "SimDeviceXml reads back %s, got %s", foreign, text);
    check(get_int(dev, "SimRegisterSpace") == 1, "a foreign XML: SimRegisterSpace Memory");

    char url[600];
    remote_url(rp, 0, url, sizeof url);
    char want[600];
    snprintf(want, sizeof want, "local:tiny.xml;7fff000000000000;%zx?SchemaVersion=1.1.0", sizeof FOREIGN_XML - 1);
    check(strcmp(url, want) == 0, "URL %s, want %s", url, want);
    uint32_t nurls = 0;
    OK(pGCGetNumPortURLs(rp, &nurls));
    check(nurls == 1, "foreign XML: 1 URL, got %u", nurls);
    INFO_DATATYPE t;
    int32_t ver = 0;
    size_t sz = sizeof ver;
    OK(pGCGetPortURLInfo(rp, 0, URL_INFO_FILE_VER_MAJOR, &t, &ver, &sz));
    check(ver == 3, "file version from the root element: 3, got %d", ver);
    size_t len = 0;
    uint8_t *file = remote_file(rp, 0, &len);
    check(file && len == sizeof FOREIGN_XML - 1 && memcmp(file, FOREIGN_XML, len) == 0, "the served bytes are the file");
    free(file);
    ERR(set_string(dev, "SimDeviceXml", "", 1024), GC_ERR_ACCESS_DENIED, "already read");

    /* zero-filled, writes read back, any size and alignment */
    uint8_t buf[10000], back[10000];
    memset(back, 0xEE, sizeof back);
    sz = sizeof back;
    OK(pGCReadPort(rp, 0, back, &sz));
    int zeros = 1;
    for (size_t i = 0; i < sizeof back; i++)
        zeros = zeros && back[i] == 0;
    check(zeros, "unwritten memory reads as zeros");
    static const uint64_t addrs[] = {0, 1, 0x20020, 0xFFD, 0x12345677, UINT64_C(0x7FFEFFFFFFFF0000), UINT64_C(0xFFFFFFFFFFFFD000)};
    static const size_t sizes[] = {1, 2, 3, 4, 8, 13, 4096, 4099, 10000};
    for (size_t a = 0; a < sizeof addrs / sizeof addrs[0]; a++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (size_t i = 0; i < sizes[s]; i++)
                buf[i] = (uint8_t)(a * 31 + s * 7 + i + 1);
            size_t w = sizes[s], r = sizes[s];
            GC_ERROR we = pGCWritePort(rp, addrs[a], buf, &w);
            memset(back, 0, sizeof back);
            GC_ERROR re = pGCReadPort(rp, addrs[a], back, &r);
            check(we == GC_ERR_SUCCESS && re == GC_ERR_SUCCESS && w == sizes[s] && memcmp(buf, back, sizes[s]) == 0,
                  "write/read back %zu bytes at 0x%" PRIx64 ": %d %d %s", sizes[s], addrs[a], (int)we, (int)re,
                  we || re ? last_text() : "");
        }
    uint64_t width8 = 0;
    sz = 8;
    OK(pGCReadPort(rp, 0x20020, &width8, &sz));
    check(width8 != 0, "an 8-byte register where the model has its 4-byte Width is memory");

    /* the model's own registers are not reachable: its XML address is memory too */
    uint8_t own[8] = {1};
    sz = sizeof own;
    OK(pGCReadPort(rp, 0x10000000, own, &sz));
    check(own[0] == 0, "the simulator's own XML address is memory in foreign mode");

    /* edges: the served file, wrap-around, bad parameters */
    sz = 32;
    ERR(pGCReadPort(rp, XML_AT - 16, buf, &sz), GC_ERR_INVALID_ADDRESS, "crosses the edge");
    sz = 4;
    ERR(pGCWritePort(rp, XML_AT + 8, buf, &sz), GC_ERR_ACCESS_DENIED, "read-only");
    sz = 32;
    ERR(pGCWritePort(rp, XML_AT - 16, buf, &sz), GC_ERR_ACCESS_DENIED, "read-only");
    sz = 0x100;
    ERR(pGCReadPort(rp, UINT64_C(0xFFFFFFFFFFFFFF01), buf, &sz), GC_ERR_INVALID_ADDRESS, "wraps");
    sz = 0xFF;
    OK(pGCReadPort(rp, UINT64_C(0xFFFFFFFFFFFFFF00), buf, &sz));
    sz = 0;
    ERR(pGCReadPort(rp, 0, buf, &sz), GC_ERR_INVALID_PARAMETER, "zero length");
    sz = 4;
    ERR(pGCWritePort(rp, 0, NULL, &sz), GC_ERR_INVALID_PARAMETER, "NULL");

    /* the memory is bounded: 16384 distinct non-zero pages, then a clear refusal; zeros are free */
    size_t used = 0;
    for (uint64_t p = 0; p < 20000 && used < 16384; p++) {
        uint8_t v = 0x5A;
        size_t one = 1;
        if (pGCWritePort(rp, UINT64_C(0x100000000) + p * 4096, &v, &one) != GC_ERR_SUCCESS)
            break;
        used++;
    }
    uint8_t v = 0x5A;
    size_t one = 1;
    ERR(pGCWritePort(rp, UINT64_C(0x300000000), &v, &one), GC_ERR_RESOURCE_EXHAUSTED, "register memory is full");
    uint8_t zero[8] = {0};
    sz = sizeof zero;
    OK(pGCWritePort(rp, UINT64_C(0x300000000), zero, &sz));
    sz = 1;
    OK(pGCWritePort(rp, UINT64_C(0x100000000), &v, &sz)); /* an existing page still takes writes */
    check(used > 16000, "thousands of distinct pages fit (%zu)", used);
    OK(pDevClose(dev));

    /* reopened with the same file: the memory is as it was; without SimDeviceXml: own XML */
    if (!OK(dev_open(l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    OK(set_string(dev, "SimDeviceXml", foreign, 1024));
    uint64_t again = 0;
    sz = 8;
    OK(pGCReadPort(rp, 0x20020, &again, &sz));
    check(again == width8, "register memory survives DevClose for the same file (%" PRIx64 " vs %" PRIx64 ")", again,
          width8);
    OK(pDevClose(dev));
    if (!OK(dev_open(l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    remote_url(rp, 0, url, sizeof url);
    check(strncmp(url, "local:Basler_acA4112-20um_sim.xml;10000000;", 43) == 0, "next open serves the own XML: %s", url);
    check(get_int(dev, "SimRegisterSpace") == 0, "own XML: SimRegisterSpace Model");
    OK(pDevClose(dev));
}

static void test_streaming_and_two_cameras(lib_t *l, const char *foreign)
{
    DEV_HANDLE a = NULL, b = NULL;
    PORT_HANDLE ra = NULL, rb = NULL;
    if (!OK(dev_open(l, 0, &a)) || !OK(dev_open(l, 1, &b)) || !OK(pDevGetPort(a, &ra)) || !OK(pDevGetPort(b, &rb)))
        return;
    OK(set_string(a, "SimDeviceXml", foreign, 1024));
    OK(set_int(a, "SimImageWidth", 640));
    OK(set_int(a, "SimImageHeight", 48));
    OK(set_int(a, "SimImagePixelFormat", 2)); /* Mono12p */
    OK(set_int(a, "SimUnthrottled", 1));      /* frames on demand: contiguous IDs even under valgrind */
    ERR(set_int(a, "SimImageWidth", 642), GC_ERR_INVALID_VALUE, "increment");
    check(get_int(a, "SimImageWidth") == 640 && get_int(a, "SimImageHeight") == 48, "SimImage* read back");
    uint64_t w = 99;
    size_t sz = 8;
    OK(pGCWritePort(ra, 0x20020, &w, &sz)); /* camera 1: memory */
    uint32_t wb = 0;
    sz = 4;
    OK(pGCReadPort(rb, 0x20020, &wb, &sz)); /* camera 2: the model's Width */
    check(wb != 99 && (int64_t)wb == get_int(b, "SimImageWidth"), "camera 2 keeps the model's registers (Width %u)", wb);
    char url[600];
    remote_url(rb, 0, url, sizeof url);
    check(strstr(url, "Basler_acA4112-20um_sim.xml") != NULL, "camera 2 serves the own XML: %s", url);

    DS_HANDLE ds = NULL;
    if (!OK(pDevOpenDataStream(a, "Stream0", &ds)))
        return;
    size_t payload = 0;
    INFO_DATATYPE t;
    sz = sizeof payload;
    OK(pDSGetInfo(ds, STREAM_INFO_PAYLOAD_SIZE, &t, &payload, &sz));
    check(payload == 640 * 48 * 3 / 2, "the DataStream defines the payload: %zu", payload);
    bool8_t defines = 0;
    sz = 1;
    OK(pDSGetInfo(ds, STREAM_INFO_DEFINES_PAYLOADSIZE, &t, &defines, &sz));
    check(defines == 1, "DEFINES_PAYLOADSIZE");
    EVENT_HANDLE ev = NULL;
    OK(pGCRegisterEvent(ds, EVENT_NEW_BUFFER, &ev));
    uint8_t *mem[3];
    BUFFER_HANDLE bh[3];
    for (int i = 0; i < 3; i++) {
        mem[i] = malloc(payload);
        OK(pDSAnnounceBuffer(ds, mem[i], payload, NULL, &bh[i]));
        OK(pDSQueueBuffer(ds, bh[i]));
    }
    /* no AcquisitionStart on the remote port: the DataStream starts the camera */
    OK(pDSStartAcquisition(ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE));
    ERR(set_int(a, "SimImageWidth", 320), GC_ERR_ACCESS_DENIED, "streaming");
    uint64_t last_id = 0;
    int frames = 0;
    for (int i = 0; i < 5; i++) {
        EVENT_NEW_BUFFER_DATA d;
        size_t dsz = sizeof d;
        if (!OK(pEventGetData(ev, &d, &dsz, 3000)))
            break;
        uint64_t id = 0, fmt = 0;
        size_t width = 0;
        sz = 8;
        OK(pDSGetBufferInfo(ds, d.BufferHandle, BUFFER_INFO_FRAMEID, &t, &id, &sz));
        sz = sizeof width;
        OK(pDSGetBufferInfo(ds, d.BufferHandle, BUFFER_INFO_WIDTH, &t, &width, &sz));
        sz = 8;
        OK(pDSGetBufferInfo(ds, d.BufferHandle, BUFFER_INFO_PIXELFORMAT, &t, &fmt, &sz));
        check(id == last_id + 1 && width == 640 && fmt == 0x010C0047u, "frame %" PRIu64 " width %zu format %" PRIx64,
              id, width, fmt);
        last_id = id;
        frames++;
        OK(pDSQueueBuffer(ds, d.BufferHandle));
    }
    check(frames == 5, "5 frames from the model while a foreign XML is served (%d)", frames);
    OK(pDSStopAcquisition(ds, ACQ_STOP_FLAGS_KILL));
    OK(set_int(a, "SimImageWidth", 320)); /* the DataStream stopped the camera: not locked any more */
    OK(pDSStartAcquisition(ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE)); /* and starts it again */
    EVENT_NEW_BUFFER_DATA d;
    size_t dsz = sizeof d;
    OK(pEventGetData(ev, &d, &dsz, 3000));
    OK(pDSStopAcquisition(ds, ACQ_STOP_FLAGS_KILL));
    OK(pDSFlushQueue(ds, ACQ_QUEUE_ALL_DISCARD));
    for (int i = 0; i < 3; i++)
        OK(pDSRevokeBuffer(ds, bh[i], NULL, NULL));
    OK(pDSClose(ds));
    for (int i = 0; i < 3; i++)
        free(mem[i]);
    OK(pDevClose(a));
    OK(pDevClose(b));
}

/* A copy of the simulator's own XML under another name: the same ProductGuid, so the camera
 * model's registers, and the simulator's XML as the second URL. */
static void test_model_layout(lib_t *l)
{
    DEV_HANDLE dev = NULL;
    PORT_HANDLE rp = NULL;
    if (!OK(dev_open(l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    size_t len = 0;
    uint8_t *own = remote_file(rp, 0, &len);
    OK(pDevClose(dev));
    if (!own)
        return;
    const char *copy = write_file("renamed copy;of own.xml", own, len);
    if (!OK(dev_open(l, 0, &dev)) || !OK(pDevGetPort(dev, &rp))) {
        free(own);
        return;
    }
    OK(set_string(dev, "SimDeviceXml", copy, 1024));
    check(get_int(dev, "SimRegisterSpace") == 0, "the simulator's ProductGuid: SimRegisterSpace Model");
    uint32_t n = 0;
    OK(pGCGetNumPortURLs(rp, &n));
    check(n == 2, "two URLs, got %u", n);
    char url[600];
    remote_url(rp, 0, url, sizeof url);
    check(strncmp(url, "local:renamed_copy_of_own.xml;7fff000000000000;", 47) == 0, "URL 0 %s", url);
    remote_url(rp, 1, url, sizeof url);
    check(strncmp(url, "local:Basler_acA4112-20um_sim.xml;10000000;", 43) == 0, "URL 1 %s", url);
    INFO_DATATYPE t;
    char buf[600];
    size_t sz = sizeof buf;
    ERR(pGCGetPortURLInfo(rp, 2, URL_INFO_URL, &t, buf, &sz), GC_ERR_INVALID_INDEX, "2 URLs");
    OK(pGCWritePort(rp, 0x20020, &(uint32_t){1024}, &(size_t){4}));
    uint32_t w = 0;
    sz = 4;
    OK(pGCReadPort(rp, 0x20020, &w, &sz));
    check(w == 1024, "the model's Width register (1024), got %u", w);
    check(get_int(dev, "SimImageWidth") == 1024, "SimImageWidth is the same register");
    sz = 8;
    ERR(pGCReadPort(rp, 0x20020, buf, &sz), GC_ERR_INVALID_ADDRESS, "exactly 4");
    OK(pDevClose(dev));
    free(own);
}

static void test_bad_files(lib_t *l)
{
    DEV_HANDLE dev = NULL;
    if (!OK(dev_open(l, 0, &dev)))
        return;
    char missing[1200];
    snprintf(missing, sizeof missing, "%s/missing.xml", g_dir);
    ERR(set_string(dev, "SimDeviceXml", missing, 1024), GC_ERR_INVALID_PARAMETER, "no such file");
    ERR(set_string(dev, "SimDeviceXml", g_dir, 1024), GC_ERR_INVALID_PARAMETER, "not a regular file");
    ERR(set_string(dev, "SimDeviceXml", write_file("empty.xml", "", 0), 1024), GC_ERR_INVALID_PARAMETER, "empty");
    static const uint8_t garbage[] = {0x7F, 'E', 'L', 'F', 0, 1, 2, 3};
    ERR(set_string(dev, "SimDeviceXml", write_file("garbage.xml", garbage, sizeof garbage), 1024),
        GC_ERR_INVALID_PARAMETER, "neither XML nor a zip");
    static const char html[] = "<html><body>not a node map</body></html>";
    ERR(set_string(dev, "SimDeviceXml", write_file("page.xml", html, sizeof html - 1), 1024), GC_ERR_INVALID_PARAMETER,
        "<RegisterDescription>");
    char longpath[2000];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    size_t sz = sizeof longpath;
    ERR(pGCWritePort(dev, module_address(dev, "SimDeviceXml"), longpath, &sz), GC_ERR_INVALID_ADDRESS, "(2000 bytes)");
    char unterminated[1024];
    memset(unterminated, 'a', sizeof unterminated);
    sz = sizeof unterminated;
    ERR(pGCWritePort(dev, module_address(dev, "SimDeviceXml"), unterminated, &sz), GC_ERR_INVALID_VALUE,
        "at most 1023 characters");
    /* a zip archive is served as it is, under a .zip name (the consumer unzips it) */
    static const uint8_t zip[] = {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0};
    OK(set_string(dev, "SimDeviceXml", write_file("camera.xml", zip, sizeof zip), 1024));
    PORT_HANDLE rp = NULL;
    OK(pDevGetPort(dev, &rp));
    char url[600];
    remote_url(rp, 0, url, sizeof url);
    check(strncmp(url, "local:camera.xml.zip;", 21) == 0, "zip URL %s", url);
    /* a failed write does not change what is served */
    OK(pDevClose(dev));
    if (!OK(dev_open(l, 0, &dev)))
        return;
    ERR(set_string(dev, "SimDeviceXml", missing, 1024), GC_ERR_INVALID_PARAMETER, "no such file");
    OK(pDevGetPort(dev, &rp));
    remote_url(rp, 0, url, sizeof url);
    check(strstr(url, "Basler_acA4112-20um_sim.xml") != NULL, "after a refused file: own XML (%s)", url);
    OK(pDevClose(dev));
}

/* SimPowerUpSave: a later load of the producer serves the same file with the same memory. */
static void test_power_up(const char *foreign)
{
    lib_t l;
    if (!lib_open(&l))
        return;
    DEV_HANDLE dev = NULL;
    PORT_HANDLE rp = NULL;
    if (!OK(dev_open(&l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    OK(set_string(dev, "SimDeviceXml", foreign, 1024));
    OK(set_int(dev, "SimImageHeight", 64));
    uint64_t v = 0x1122334455667788u;
    size_t sz = 8;
    OK(pGCWritePort(rp, 0x20020, &v, &sz));
    OK(set_string(dev, "SimPowerUpNote", "from a test", 256));
    OK(set_int(dev, "SimPowerUpSave", 1));
    OK(pDevClose(dev));
    lib_close(&l);

    if (!lib_open(&l) || !OK(dev_open(&l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    check(get_int(dev, "SimRegisterSpace") == 1 && get_int(dev, "SimImageHeight") == 64,
          "the power-up state: foreign XML and the model's settings");
    uint64_t back = 0;
    sz = 8;
    OK(pGCReadPort(rp, 0x20020, &back, &sz));
    check(back == v, "the power-up state keeps the register memory (%" PRIx64 ")", back);
    char url[600];
    remote_url(rp, 0, url, sizeof url);
    check(strncmp(url, "local:tiny.xml;", 15) == 0, "power-up URL %s", url);
    OK(set_int(dev, "SimPowerUpClear", 1));
    OK(pDevClose(dev));
    lib_close(&l);

    if (!lib_open(&l) || !OK(dev_open(&l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    remote_url(rp, 0, url, sizeof url);
    check(strstr(url, "Basler_acA4112-20um_sim.xml") != NULL && get_int(dev, "SimImageHeight") != 64,
          "after SimPowerUpClear: own XML, factory settings (%s)", url);
    OK(pDevClose(dev));
    if (!OK(dev_open(&l, 0, &dev)))
        return;
    OK(set_string(dev, "SimDeviceXml", foreign, 1024));
    OK(set_int(dev, "SimPowerUpSave", 1));
    OK(pDevClose(dev));
    lib_close(&l);

    /* a damaged power-up file: the own XML, never a crash */
    char path[1200];
    snprintf(path, sizeof path, "%s/40000001.powerup", getenv("ACE_SIM_STATE_DIR"));
    FILE *f = fopen(path, "r+b");
    check(f != NULL, "the power-up file exists at %s", path);
    if (f) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        check(truncate(path, size / 2) == 0, "truncate %s", path);
    }
    if (!lib_open(&l) || !OK(dev_open(&l, 0, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    remote_url(rp, 0, url, sizeof url);
    check(strstr(url, "Basler_acA4112-20um_sim.xml") != NULL, "damaged power-up state: own XML (%s)", url);
    OK(set_int(dev, "SimPowerUpClear", 1));
    OK(pDevClose(dev));
    lib_close(&l);
}

static void test_environment(const char *foreign)
{
    lib_t l;
    setenv("ACE_SIM_DEVICE_XML", foreign, 1);
    if (lib_open(&l)) {
        for (uint32_t i = 0; i < 2; i++) {
            DEV_HANDLE dev = NULL;
            PORT_HANDLE rp = NULL;
            if (!OK(dev_open(&l, i, &dev)) || !OK(pDevGetPort(dev, &rp)))
                continue;
            char url[600];
            remote_url(rp, 0, url, sizeof url);
            check(strncmp(url, "local:tiny.xml;", 15) == 0, "camera %u serves ACE_SIM_DEVICE_XML: %s", i + 1, url);
            OK(pDevClose(dev));
        }
        char source[1024];
        get_string(l.ifc, "SimDeviceXmlSource", source, sizeof source);
        check(strstr(source, "tiny.xml") && strstr(source, "from ACE_SIM_DEVICE_XML="), "Interface says %s", source);
        lib_close(&l);
    }
    char missing[1200];
    snprintf(missing, sizeof missing, "%s/nowhere.xml", g_dir);
    setenv("ACE_SIM_DEVICE_XML", missing, 1);
    if (lib_open(&l)) {
        DEV_HANDLE dev = NULL;
        ERR(dev_open(&l, 0, &dev), GC_ERR_INVALID_PARAMETER, "nowhere.xml: no such file");
        char source[1024];
        get_string(l.ifc, "SimDeviceXmlSource", source, sizeof source);
        check(strstr(source, "every open fails") != NULL, "Interface says %s", source);
        lib_close(&l);
    }
    unsetenv("ACE_SIM_DEVICE_XML");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <ace_gentl_sim.cti>\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
#define RESOLVE(name, args)                                                                                   \
    *(void **)(&p##name) = dlsym(lib, #name);                                                                 \
    if (!p##name) {                                                                                           \
        fprintf(stderr, "missing symbol %s\n", #name);                                                        \
        return 2;                                                                                             \
    }
    FUNCS(RESOLVE)
    const char *state = getenv("ACE_SIM_STATE_DIR");
    if (!state || !*state) {
        fprintf(stderr, "ACE_SIM_STATE_DIR must be set (ctest sets it)\n");
        return 2;
    }
    snprintf(g_dir, sizeof g_dir, "%s/files", state);
    for (char *p = g_dir + 1; *p; p++) /* mkdir -p: the state folder may not exist yet */
        if (*p == '/') {
            *p = 0;
            mkdir(g_dir, 0777);
            *p = '/';
        }
    mkdir(g_dir, 0777);
    setenv("ACE_SIM_CAMERAS", "2", 1);
    unsetenv("ACE_SIM_DEVICE_XML");
    const char *foreign = write_file("tiny.xml", FOREIGN_XML, sizeof FOREIGN_XML - 1);

    lib_t l;
    if (lib_open(&l)) {
        char source[1024];
        get_string(l.ifc, "SimDeviceXmlSource", source, sizeof source);
        check(strcmp(source, "the simulator's own XML") == 0, "Interface says %s", source);
        test_register_memory(&l, foreign);
        test_streaming_and_two_cameras(&l, foreign);
        test_model_layout(&l);
        test_bad_files(&l);
        lib_close(&l);
    }
    test_power_up(foreign);
    test_environment(foreign);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    dlclose(lib);
    return g_fail == 0 ? 0 : 1;
}
