/* test_gentl_api.c - drives the built ace_gentl_sim.cti through dlopen/dlsym like a GenTL
 * consumer: every API path, the info size protocol, module ports and URLs, the remote XML,
 * register access, streaming with frame-ID and underrun accounting, flush modes, events, and a
 * long list of bad calls that must fail with the right GC_ERR_* and a non-empty error text.
 *
 *   test_gentl_api <path/to/ace_gentl_sim.cti>
 *
 * Prints "N passed, M failed"; exit status 0 only when nothing failed. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gentl_types.h"

#if defined(__has_include)
#if __has_include("camera_regs.h")
#include "camera_regs.h"
#endif
#endif
#ifndef CAM_ADDR_Width
#define CAM_ADDR_Width 0x20020ULL
#define CAM_ADDR_Height 0x20028ULL
#define CAM_ADDR_PixelFormat 0x20080ULL
#define CAM_ADDR_AcquisitionStart 0x40008ULL
#define CAM_ADDR_AcquisitionStop 0x40010ULL
#define CAM_ADDR_PayloadSize 0x50000ULL
#endif
#define REG32 4 /* Width/Height/commands are 4-byte registers in the camera XML */

/* ------------------------------------------------------------------ the 64 functions ---- */
#define GENTL_FUNCS(X)                                                                                        \
    X(GCGetInfo, (TL_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                                            \
    X(GCGetLastError, (GC_ERROR *, char *, size_t *))                                                         \
    X(GCInitLib, (void))                                                                                      \
    X(GCCloseLib, (void))                                                                                     \
    X(GCReadPort, (PORT_HANDLE, uint64_t, void *, size_t *))                                                  \
    X(GCWritePort, (PORT_HANDLE, uint64_t, const void *, size_t *))                                           \
    X(GCGetPortURL, (PORT_HANDLE, char *, size_t *))                                                          \
    X(GCGetPortInfo, (PORT_HANDLE, PORT_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                         \
    X(GCRegisterEvent, (EVENTSRC_HANDLE, EVENT_TYPE, EVENT_HANDLE *))                                         \
    X(GCUnregisterEvent, (EVENTSRC_HANDLE, EVENT_TYPE))                                                       \
    X(EventGetData, (EVENT_HANDLE, void *, size_t *, uint64_t))                                               \
    X(EventGetDataInfo, (EVENT_HANDLE, const void *, size_t, EVENT_DATA_INFO_CMD, INFO_DATATYPE *, void *,    \
                         size_t *))                                                                           \
    X(EventGetInfo, (EVENT_HANDLE, EVENT_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                        \
    X(EventFlush, (EVENT_HANDLE))                                                                             \
    X(EventKill, (EVENT_HANDLE))                                                                              \
    X(TLOpen, (TL_HANDLE *))                                                                                  \
    X(TLClose, (TL_HANDLE))                                                                                   \
    X(TLGetInfo, (TL_HANDLE, TL_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                                 \
    X(TLGetNumInterfaces, (TL_HANDLE, uint32_t *))                                                            \
    X(TLGetInterfaceID, (TL_HANDLE, uint32_t, char *, size_t *))                                              \
    X(TLGetInterfaceInfo, (TL_HANDLE, const char *, INTERFACE_INFO_CMD, INFO_DATATYPE *, void *, size_t *))   \
    X(TLOpenInterface, (TL_HANDLE, const char *, IF_HANDLE *))                                                \
    X(TLUpdateInterfaceList, (TL_HANDLE, bool8_t *, uint64_t))                                                \
    X(IFClose, (IF_HANDLE))                                                                                   \
    X(IFGetInfo, (IF_HANDLE, INTERFACE_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                          \
    X(IFGetNumDevices, (IF_HANDLE, uint32_t *))                                                               \
    X(IFGetDeviceID, (IF_HANDLE, uint32_t, char *, size_t *))                                                 \
    X(IFUpdateDeviceList, (IF_HANDLE, bool8_t *, uint64_t))                                                   \
    X(IFGetDeviceInfo, (IF_HANDLE, const char *, DEVICE_INFO_CMD, INFO_DATATYPE *, void *, size_t *))         \
    X(IFOpenDevice, (IF_HANDLE, const char *, DEVICE_ACCESS_FLAGS, DEV_HANDLE *))                             \
    X(DevGetPort, (DEV_HANDLE, PORT_HANDLE *))                                                                \
    X(DevGetNumDataStreams, (DEV_HANDLE, uint32_t *))                                                         \
    X(DevGetDataStreamID, (DEV_HANDLE, uint32_t, char *, size_t *))                                           \
    X(DevOpenDataStream, (DEV_HANDLE, const char *, DS_HANDLE *))                                             \
    X(DevGetInfo, (DEV_HANDLE, DEVICE_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                           \
    X(DevClose, (DEV_HANDLE))                                                                                 \
    X(DSAnnounceBuffer, (DS_HANDLE, void *, size_t, void *, BUFFER_HANDLE *))                                 \
    X(DSAllocAndAnnounceBuffer, (DS_HANDLE, size_t, void *, BUFFER_HANDLE *))                                 \
    X(DSFlushQueue, (DS_HANDLE, ACQ_QUEUE_TYPE))                                                              \
    X(DSStartAcquisition, (DS_HANDLE, ACQ_START_FLAGS, uint64_t))                                             \
    X(DSStopAcquisition, (DS_HANDLE, ACQ_STOP_FLAGS))                                                         \
    X(DSGetInfo, (DS_HANDLE, STREAM_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                             \
    X(DSGetBufferID, (DS_HANDLE, uint32_t, BUFFER_HANDLE *))                                                  \
    X(DSClose, (DS_HANDLE))                                                                                   \
    X(DSRevokeBuffer, (DS_HANDLE, BUFFER_HANDLE, void **, void **))                                           \
    X(DSQueueBuffer, (DS_HANDLE, BUFFER_HANDLE))                                                              \
    X(DSGetBufferInfo, (DS_HANDLE, BUFFER_HANDLE, BUFFER_INFO_CMD, INFO_DATATYPE *, void *, size_t *))        \
    X(GCGetNumPortURLs, (PORT_HANDLE, uint32_t *))                                                            \
    X(GCGetPortURLInfo, (PORT_HANDLE, uint32_t, URL_INFO_CMD, INFO_DATATYPE *, void *, size_t *))            \
    X(GCReadPortStacked, (PORT_HANDLE, PORT_REGISTER_STACK_ENTRY *, size_t *))                                \
    X(GCWritePortStacked, (PORT_HANDLE, PORT_REGISTER_STACK_ENTRY *, size_t *))                               \
    X(DSGetBufferChunkData, (DS_HANDLE, BUFFER_HANDLE, SINGLE_CHUNK_DATA *, size_t *))                        \
    X(IFGetParentTL, (IF_HANDLE, TL_HANDLE *))                                                                \
    X(DevGetParentIF, (DEV_HANDLE, IF_HANDLE *))                                                              \
    X(DSGetParentDev, (DS_HANDLE, DEV_HANDLE *))                                                              \
    X(DSGetNumBufferParts, (DS_HANDLE, BUFFER_HANDLE, uint32_t *))                                            \
    X(DSGetBufferPartInfo, (DS_HANDLE, BUFFER_HANDLE, uint32_t, BUFFER_PART_INFO_CMD, INFO_DATATYPE *, void *, \
                            size_t *))                                                                        \
    X(DSAnnounceCompositeBuffer, (DS_HANDLE, size_t, void **, size_t *, void *, BUFFER_HANDLE *))             \
    X(DSGetBufferInfoStacked, (DS_HANDLE, BUFFER_HANDLE, DS_BUFFER_INFO_STACKED *, size_t))                   \
    X(DSGetBufferPartInfoStacked, (DS_HANDLE, BUFFER_HANDLE, DS_BUFFER_PART_INFO_STACKED *, size_t))          \
    X(DSGetNumFlows, (DS_HANDLE, uint32_t *))                                                                 \
    X(DSGetFlowInfo, (DS_HANDLE, uint32_t, FLOW_INFO_CMD, INFO_DATATYPE *, void *, size_t *))                 \
    X(DSGetNumBufferSegments, (DS_HANDLE, BUFFER_HANDLE, uint32_t *))                                         \
    X(DSGetBufferSegmentInfo, (DS_HANDLE, BUFFER_HANDLE, uint32_t, SEGMENT_INFO_CMD, INFO_DATATYPE *, void *,  \
                               size_t *))

#define DECLARE(name, args) static GC_ERROR(*p##name) args;
GENTL_FUNCS(DECLARE)

/* ------------------------------------------------------------------------- harness ---- */
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

static const char *last_text(GC_ERROR *code)
{
    static char text[1024];
    size_t sz = 0;
    GC_ERROR c = 0;
    text[0] = 0;
    if (pGCGetLastError(&c, NULL, &sz) != GC_ERR_SUCCESS)
        return "";
    sz = sizeof text;
    if (pGCGetLastError(&c, text, &sz) != GC_ERR_SUCCESS)
        return "";
    if (code)
        *code = c;
    return text;
}

#define OK(call) check_ok((call), #call, __LINE__)
static int check_ok(GC_ERROR r, const char *what, int line)
{
    if (r != GC_ERR_SUCCESS) {
        GC_ERROR c;
        const char *t = last_text(&c);
        check(0, "line %d: %s -> %d (%s)", line, what, (int)r, t);
        return 0;
    }
    check(1, "%s", what);
    return 1;
}

/* Expect an error code, and GCGetLastError to report the same code with a non-empty text. */
#define ERR(call, want) check_err((call), (want), #call, __LINE__)
static void check_err(GC_ERROR r, GC_ERROR want, const char *what, int line)
{
    if (r != want) {
        GC_ERROR c;
        const char *t = last_text(&c);
        check(0, "line %d: %s -> %d, expected %d (%s)", line, what, (int)r, (int)want, t);
        return;
    }
    GC_ERROR c = 0;
    const char *t = last_text(&c);
    check(c == want && t[0] != 0, "line %d: %s: GCGetLastError gave %d \"%s\"", line, what, (int)c, t);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* String info via the size protocol: size query, then value. */
typedef GC_ERROR (*info_fn)(void *ctx, int32_t cmd, INFO_DATATYPE *t, void *buf, size_t *sz);
static char *get_string(info_fn f, void *ctx, int32_t cmd, const char *what)
{
    static char out[8][4096];
    static int k;
    char *s = out[k++ & 7];
    s[0] = 0;
    size_t sz = 0;
    INFO_DATATYPE t = -1;
    if (f(ctx, cmd, &t, NULL, &sz) != GC_ERR_SUCCESS) {
        check(0, "%s cmd %d: size query failed: %s", what, (int)cmd, last_text(NULL));
        return s;
    }
    check(t == INFO_DATATYPE_STRING && sz > 0 && sz <= 4096, "%s cmd %d: type %d size %zu", what, (int)cmd, (int)t, sz);
    if (sz > 1) { /* too small -> BUFFER_TOO_SMALL */
        size_t small = sz - 1;
        check(f(ctx, cmd, &t, s, &small) == GC_ERR_BUFFER_TOO_SMALL, "%s cmd %d: too small buffer accepted", what, (int)cmd);
    }
    size_t sz2 = sz;
    if (f(ctx, cmd, &t, s, &sz2) != GC_ERR_SUCCESS || sz2 != sz || strlen(s) + 1 != sz)
        check(0, "%s cmd %d: value query failed (%zu/%zu)", what, (int)cmd, sz2, sz);
    else
        check(1, "%s", what);
    return s;
}

static uint64_t get_num(info_fn f, void *ctx, int32_t cmd, INFO_DATATYPE want_type, size_t want_size, const char *what)
{
    uint8_t buf[16] = {0};
    size_t sz = 0;
    INFO_DATATYPE t = -1;
    GC_ERROR r = f(ctx, cmd, &t, NULL, &sz);
    check(r == GC_ERR_SUCCESS && t == want_type && sz == want_size, "%s cmd %d: size query r=%d type=%d size=%zu",
          what, (int)cmd, (int)r, (int)t, sz);
    sz = sizeof buf;
    r = f(ctx, cmd, &t, buf, &sz);
    check(r == GC_ERR_SUCCESS && sz == want_size, "%s cmd %d: value r=%d size=%zu", what, (int)cmd, (int)r, sz);
    uint64_t v = 0;
    switch (want_size) {
    case 1: v = buf[0]; break;
    case 4: { uint32_t u; memcpy(&u, buf, 4); v = u; break; }
    case 8: memcpy(&v, buf, 8); break;
    default: break;
    }
    return v;
}

/* Adapters so one helper serves every *GetInfo. */
static void *g_h, *g_h2;
static const char *g_id;
static GC_ERROR f_gc(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { (void)c; return pGCGetInfo(cmd, t, b, s); }
static GC_ERROR f_tl(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pTLGetInfo(c, cmd, t, b, s); }
static GC_ERROR f_tlif(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pTLGetInterfaceInfo(c, g_id, cmd, t, b, s); }
static GC_ERROR f_if(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pIFGetInfo(c, cmd, t, b, s); }
static GC_ERROR f_ifdev(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pIFGetDeviceInfo(c, g_id, cmd, t, b, s); }
static GC_ERROR f_dev(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pDevGetInfo(c, cmd, t, b, s); }
static GC_ERROR f_ds(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pDSGetInfo(c, cmd, t, b, s); }
static GC_ERROR f_buf(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pDSGetBufferInfo(g_h, c, cmd, t, b, s); }
static GC_ERROR f_port(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pGCGetPortInfo(c, cmd, t, b, s); }
static GC_ERROR f_url(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pGCGetPortURLInfo(c, 0, cmd, t, b, s); }
static GC_ERROR f_ev(void *c, int32_t cmd, INFO_DATATYPE *t, void *b, size_t *s) { return pEventGetInfo(c, cmd, t, b, s); }

/* ------------------------------------------------------------------------ helpers ---- */

static uint32_t rd32(PORT_HANDLE p, uint64_t a)
{
    uint32_t v = 0;
    size_t sz = 4;
    GC_ERROR r = pGCReadPort(p, a, &v, &sz);
    check(r == GC_ERR_SUCCESS && sz == 4, "read32 0x%" PRIx64 " -> %d %s", a, (int)r, r ? last_text(NULL) : "");
    return v;
}

static GC_ERROR wr32(PORT_HANDLE p, uint64_t a, uint32_t v)
{
    size_t sz = 4;
    return pGCWritePort(p, a, &v, &sz);
}

static int64_t rd64(PORT_HANDLE p, uint64_t a)
{
    int64_t v = 0;
    size_t sz = 8;
    GC_ERROR r = pGCReadPort(p, a, &v, &sz);
    check(r == GC_ERR_SUCCESS && sz == 8, "read64 0x%" PRIx64 " -> %d %s", a, (int)r, r ? last_text(NULL) : "");
    return v;
}

static GC_ERROR wr64(PORT_HANDLE p, uint64_t a, int64_t v)
{
    size_t sz = 8;
    return pGCWritePort(p, a, &v, &sz);
}

/* Read a port's description file through its URL; returns malloc'ed NUL-terminated text. */
static char *read_port_xml(PORT_HANDLE p, const char *expect_portname, const char *what)
{
    uint32_t n = 0;
    if (!OK(pGCGetNumPortURLs(p, &n)) || n != 1) {
        check(0, "%s: %u URLs", what, n);
        return NULL;
    }
    char *url = get_string(f_url, p, URL_INFO_URL, what);
    check(strncmp(url, "local:", 6) == 0, "%s: URL %s", what, url);
    /* legacy GCGetPortURL gives the same text */
    char legacy[512];
    size_t lsz = 0;
    OK(pGCGetPortURL(p, NULL, &lsz));
    lsz = sizeof legacy;
    OK(pGCGetPortURL(p, legacy, &lsz));
    check(strcmp(legacy, url) == 0, "%s: GCGetPortURL %s != %s", what, legacy, url);
    char fname[256];
    unsigned long long addr = 0, len = 0;
    if (sscanf(url, "local:%255[^;];%llx;%llx", fname, &addr, &len) != 3) {
        check(0, "%s: unparsable URL %s", what, url);
        return NULL;
    }
    char *fn2 = get_string(f_url, p, URL_INFO_FILENAME, what);
    check(strcmp(fn2, fname) == 0, "%s: FILENAME %s vs %s", what, fn2, fname);
    check(get_num(f_url, p, URL_INFO_FILE_REGISTER_ADDRESS, INFO_DATATYPE_UINT64, 8, what) == addr, "%s: address", what);
    check(get_num(f_url, p, URL_INFO_FILE_SIZE, INFO_DATATYPE_UINT64, 8, what) == len, "%s: size", what);
    check(get_num(f_url, p, URL_INFO_SCHEME, INFO_DATATYPE_INT32, 4, what) == URL_SCHEME_LOCAL, "%s: scheme", what);
    check(get_num(f_url, p, URL_INFO_SCHEMA_VER_MAJOR, INFO_DATATYPE_INT32, 4, what) == 1, "%s: schema major", what);
    check(get_num(f_url, p, URL_INFO_SCHEMA_VER_MINOR, INFO_DATATYPE_INT32, 4, what) == 1, "%s: schema minor", what);
    get_num(f_url, p, URL_INFO_FILE_VER_MAJOR, INFO_DATATYPE_INT32, 4, what);
    get_num(f_url, p, URL_INFO_FILE_VER_MINOR, INFO_DATATYPE_INT32, 4, what);
    get_num(f_url, p, URL_INFO_FILE_VER_SUBMINOR, INFO_DATATYPE_INT32, 4, what);
    size_t hs = 20;
    uint8_t hash[20];
    INFO_DATATYPE t;
    GC_ERROR hr = pGCGetPortURLInfo(p, 0, URL_INFO_FILE_SHA1_HASH, &t, hash, &hs);
    check(hr == GC_ERR_SUCCESS || hr == GC_ERR_NOT_AVAILABLE, "%s: SHA1 -> %d", what, (int)hr);
    size_t sz = 0;
    ERR(pGCGetPortURLInfo(p, 1, URL_INFO_URL, &t, NULL, &sz), GC_ERR_INVALID_INDEX);
    ERR(pGCGetPortURLInfo(p, 0, 999, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCGetPortURLInfo(p, 0, URL_INFO_URL, &t, NULL, NULL), GC_ERR_INVALID_PARAMETER);

    char *xml = calloc(1, (size_t)len + 1);
    size_t rsz = (size_t)len;
    if (!xml || !OK(pGCReadPort(p, addr, xml, &rsz)) || rsz != len) {
        free(xml);
        return NULL;
    }
    check(strstr(xml, "<RegisterDescription") != NULL, "%s: no RegisterDescription", what);
    char pn[128];
    snprintf(pn, sizeof pn, "<Port Name=\"%s\"", expect_portname);
    check(strstr(xml, pn) != NULL, "%s: no %s in the XML", what, pn);
    check(strstr(xml, "ProductGuid=") && strstr(xml, "VersionGuid="), "%s: GUIDs missing", what);
    /* reading one byte past the file -> INVALID_ADDRESS */
    char tmp[16];
    size_t over = 2;
    if (strcmp(expect_portname, "Device") != 0)
        ERR(pGCReadPort(p, addr + len - 1, tmp, &over), GC_ERR_INVALID_ADDRESS);
    /* port info */
    char *portname = get_string(f_port, p, PORT_INFO_PORTNAME, what);
    check(strcmp(portname, expect_portname) == 0, "%s: PORTNAME %s", what, portname);
    get_string(f_port, p, PORT_INFO_ID, what);
    get_string(f_port, p, PORT_INFO_VENDOR, what);
    get_string(f_port, p, PORT_INFO_MODEL, what);
    check(strcmp(get_string(f_port, p, PORT_INFO_TLTYPE, what), "U3V") == 0, "%s: TLTYPE", what);
    get_string(f_port, p, PORT_INFO_MODULE, what);
    get_string(f_port, p, PORT_INFO_VERSION, what);
    check(get_num(f_port, p, PORT_INFO_LITTLE_ENDIAN, INFO_DATATYPE_BOOL8, 1, what) == 1, "%s: little endian", what);
    check(get_num(f_port, p, PORT_INFO_BIG_ENDIAN, INFO_DATATYPE_BOOL8, 1, what) == 0, "%s: big endian", what);
    check(get_num(f_port, p, PORT_INFO_ACCESS_READ, INFO_DATATYPE_BOOL8, 1, what) == 1, "%s: readable", what);
    get_num(f_port, p, PORT_INFO_ACCESS_WRITE, INFO_DATATYPE_BOOL8, 1, what);
    get_num(f_port, p, PORT_INFO_ACCESS_NA, INFO_DATATYPE_BOOL8, 1, what);
    get_num(f_port, p, PORT_INFO_ACCESS_NI, INFO_DATATYPE_BOOL8, 1, what);
    ERR(pGCGetPortInfo(p, 12345, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
    return xml;
}

/* Address of a register-backed feature in a module XML: "<Kind Name=\"name\"" ... <Address>. */
static uint64_t xml_addr(const char *xml, const char *node)
{
    char pat[160];
    snprintf(pat, sizeof pat, " Name=\"%s\"", node);
    const char *p = xml ? strstr(xml, pat) : NULL;
    if (!p) {
        check(0, "node %s not in XML", node);
        return 0;
    }
    const char *a = strstr(p, "<Address>");
    if (!a) {
        check(0, "node %s has no address", node);
        return 0;
    }
    return strtoull(a + 9, NULL, 0);
}

static void read_string_reg(PORT_HANDLE p, uint64_t addr, size_t len, char *out)
{
    size_t sz = len;
    memset(out, 0, len + 1);
    OK(pGCReadPort(p, addr, out, &sz));
}

/* -------------------------------------------------------------------- EventKill waiter ---- */
typedef struct {
    EVENT_HANDLE ev;
    GC_ERROR result;
} waiter_arg;

static void *waiter(void *a)
{
    waiter_arg *w = a;
    EVENT_NEW_BUFFER_DATA d;
    size_t sz = sizeof d;
    w->result = pEventGetData(w->ev, &d, &sz, GENTL_INFINITE);
    return NULL;
}

/* Poll module events concurrently (like harvesters' event monitor). */
static volatile int g_poll_stop;
static void *poller(void *a)
{
    EVENT_HANDLE ev = a;
    uint8_t buf[1024];
    while (!g_poll_stop) {
        size_t sz = sizeof buf;
        size_t smax = 0;
        INFO_DATATYPE t;
        size_t s8 = sizeof smax;
        pEventGetInfo(ev, EVENT_SIZE_MAX, &t, &smax, &s8);
        GC_ERROR r = pEventGetData(ev, buf, &sz, 1);
        if (r != GC_ERR_TIMEOUT)
            break;
        last_text(NULL);
    }
    return NULL;
}

/* ------------------------------------------------------------------------ streaming ---- */
#define NBUF 4

typedef struct {
    DS_HANDLE ds;
    EVENT_HANDLE ev_nb;
    BUFFER_HANDLE hb[NBUF];
    void *mem[NBUF];
    int priv[NBUF];
} stream_ctx;

static int buf_index(stream_ctx *s, BUFFER_HANDLE h)
{
    for (int i = 0; i < NBUF; i++)
        if (s->hb[i] == h)
            return i;
    return -1;
}

static uint64_t ds_u64(DS_HANDLE ds, STREAM_INFO_CMD cmd)
{
    uint64_t v = 0;
    size_t sz = 8;
    INFO_DATATYPE t;
    OK(pDSGetInfo(ds, cmd, &t, &v, &sz));
    return v;
}

static uint64_t buf_u64(DS_HANDLE ds, BUFFER_HANDLE b, BUFFER_INFO_CMD cmd)
{
    uint64_t v = 0;
    size_t sz = 8;
    INFO_DATATYPE t;
    OK(pDSGetBufferInfo(ds, b, cmd, &t, &v, &sz));
    return v;
}

static uint8_t buf_b8(DS_HANDLE ds, BUFFER_HANDLE b, BUFFER_INFO_CMD cmd)
{
    uint8_t v = 0xAA;
    size_t sz = 1;
    INFO_DATATYPE t;
    OK(pDSGetBufferInfo(ds, b, cmd, &t, &v, &sz));
    return v;
}

/* Wait for one new buffer. */
static BUFFER_HANDLE next_buffer(stream_ctx *s, uint64_t timeout_ms)
{
    EVENT_NEW_BUFFER_DATA d;
    size_t sz = sizeof d;
    GC_ERROR r = pEventGetData(s->ev_nb, &d, &sz, timeout_ms);
    if (r != GC_ERR_SUCCESS) {
        check(0, "EventGetData(new buffer) -> %d %s", (int)r, last_text(NULL));
        return NULL;
    }
    int i = buf_index(s, d.BufferHandle);
    check(sz == 16 && i >= 0 && d.pUserPointer == &s->priv[i], "new buffer data: size %zu index %d", sz, i);
    return i >= 0 ? d.BufferHandle : NULL;
}

static void test_buffer_info_all(stream_ctx *s, BUFFER_HANDLE b, uint32_t w, uint32_t h)
{
    g_h = s->ds;
    const char *what = "DSGetBufferInfo";
    int i = buf_index(s, b);
    void *base = NULL;
    size_t sz = sizeof base;
    INFO_DATATYPE t;
    OK(pDSGetBufferInfo(s->ds, b, BUFFER_INFO_BASE, &t, &base, &sz));
    check(t == INFO_DATATYPE_PTR && i >= 0 && base == s->mem[i], "BASE");
    check(get_num(f_buf, b, BUFFER_INFO_SIZE, INFO_DATATYPE_SIZET, 8, what) >= (uint64_t)w * h, "SIZE");
    check(get_num(f_buf, b, BUFFER_INFO_USER_PTR, INFO_DATATYPE_PTR, 8, what) == (uint64_t)(uintptr_t)&s->priv[i], "USER_PTR");
    uint64_t ts = get_num(f_buf, b, BUFFER_INFO_TIMESTAMP, INFO_DATATYPE_UINT64, 8, what);
    check(get_num(f_buf, b, BUFFER_INFO_TIMESTAMP_NS, INFO_DATATYPE_UINT64, 8, what) == ts, "TIMESTAMP_NS == TIMESTAMP");
    check(get_num(f_buf, b, BUFFER_INFO_NEW_DATA, INFO_DATATYPE_BOOL8, 1, what) == 1, "NEW_DATA");
    check(get_num(f_buf, b, BUFFER_INFO_IS_QUEUED, INFO_DATATYPE_BOOL8, 1, what) == 0, "IS_QUEUED");
    check(get_num(f_buf, b, BUFFER_INFO_IS_ACQUIRING, INFO_DATATYPE_BOOL8, 1, what) == 0, "IS_ACQUIRING");
    check(get_num(f_buf, b, BUFFER_INFO_IS_INCOMPLETE, INFO_DATATYPE_BOOL8, 1, what) == 0, "IS_INCOMPLETE");
    check(strcmp(get_string(f_buf, b, BUFFER_INFO_TLTYPE, what), "U3V") == 0, "TLTYPE");
    check(get_num(f_buf, b, BUFFER_INFO_SIZE_FILLED, INFO_DATATYPE_SIZET, 8, what) == (uint64_t)w * h, "SIZE_FILLED");
    check(get_num(f_buf, b, BUFFER_INFO_WIDTH, INFO_DATATYPE_SIZET, 8, what) == w, "WIDTH");
    check(get_num(f_buf, b, BUFFER_INFO_HEIGHT, INFO_DATATYPE_SIZET, 8, what) == h, "HEIGHT");
    get_num(f_buf, b, BUFFER_INFO_XOFFSET, INFO_DATATYPE_SIZET, 8, what);
    get_num(f_buf, b, BUFFER_INFO_YOFFSET, INFO_DATATYPE_SIZET, 8, what);
    check(get_num(f_buf, b, BUFFER_INFO_XPADDING, INFO_DATATYPE_SIZET, 8, what) == 0, "XPADDING");
    check(get_num(f_buf, b, BUFFER_INFO_YPADDING, INFO_DATATYPE_SIZET, 8, what) == 0, "YPADDING");
    check(get_num(f_buf, b, BUFFER_INFO_FRAMEID, INFO_DATATYPE_UINT64, 8, what) >= 1, "FRAMEID");
    check(get_num(f_buf, b, BUFFER_INFO_IMAGEPRESENT, INFO_DATATYPE_BOOL8, 1, what) == 1, "IMAGEPRESENT");
    check(get_num(f_buf, b, BUFFER_INFO_IMAGEOFFSET, INFO_DATATYPE_SIZET, 8, what) == 0, "IMAGEOFFSET");
    check(get_num(f_buf, b, BUFFER_INFO_PAYLOADTYPE, INFO_DATATYPE_SIZET, 8, what) == PAYLOAD_TYPE_IMAGE, "PAYLOADTYPE");
    check(get_num(f_buf, b, BUFFER_INFO_PIXELFORMAT, INFO_DATATYPE_UINT64, 8, what) == 0x01080001u, "PIXELFORMAT Mono8");
    check(get_num(f_buf, b, BUFFER_INFO_PIXELFORMAT_NAMESPACE, INFO_DATATYPE_UINT64, 8, what) == PIXELFORMAT_NAMESPACE_PFNC_32BIT, "PF NAMESPACE");
    check(get_num(f_buf, b, BUFFER_INFO_DELIVERED_IMAGEHEIGHT, INFO_DATATYPE_SIZET, 8, what) == h, "DELIVERED_IMAGEHEIGHT");
    check(get_num(f_buf, b, BUFFER_INFO_PIXEL_ENDIANNESS, INFO_DATATYPE_INT32, 4, what) == PIXELENDIANNESS_LITTLE, "ENDIANNESS");
    check(get_num(f_buf, b, BUFFER_INFO_DATA_SIZE, INFO_DATATYPE_SIZET, 8, what) == (uint64_t)w * h, "DATA_SIZE");
    check(get_num(f_buf, b, BUFFER_INFO_DATA_LARGER_THAN_BUFFER, INFO_DATATYPE_BOOL8, 1, what) == 0, "DATA_LARGER");
    check(get_num(f_buf, b, BUFFER_INFO_CONTAINS_CHUNKDATA, INFO_DATATYPE_BOOL8, 1, what) == 0, "CONTAINS_CHUNKDATA");
    check(get_num(f_buf, b, BUFFER_INFO_IS_COMPOSITE, INFO_DATATYPE_BOOL8, 1, what) == 0, "IS_COMPOSITE");
    size_t s0 = 0;
    ERR(pDSGetBufferInfo(s->ds, b, BUFFER_INFO_DELIVERED_CHUNKPAYLOADSIZE, &t, NULL, &s0), GC_ERR_NOT_AVAILABLE);
    ERR(pDSGetBufferInfo(s->ds, b, BUFFER_INFO_FILENAME, &t, NULL, &s0), GC_ERR_NOT_AVAILABLE);
    ERR(pDSGetBufferInfo(s->ds, b, 777, &t, NULL, &s0), GC_ERR_NOT_IMPLEMENTED);
    ERR(pDSGetBufferInfo(s->ds, b, BUFFER_INFO_WIDTH, &t, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    uint32_t small;
    s0 = sizeof small;
    ERR(pDSGetBufferInfo(s->ds, b, BUFFER_INFO_WIDTH, &t, &small, &s0), GC_ERR_BUFFER_TOO_SMALL);
    /* stacked */
    size_t wv = 0, hv = 0;
    uint64_t fid = 0;
    DS_BUFFER_INFO_STACKED st[4] = {
        {BUFFER_INFO_WIDTH, 0, &wv, sizeof wv, -1},
        {BUFFER_INFO_HEIGHT, 0, &hv, sizeof hv, -1},
        {BUFFER_INFO_FRAMEID, 0, &fid, sizeof fid, -1},
        {999, 0, NULL, 0, -1},
    };
    GC_ERROR r = pDSGetBufferInfoStacked(s->ds, b, st, 3);
    check(r == GC_ERR_SUCCESS && st[0].iResult == 0 && wv == w && hv == h && st[1].iType == INFO_DATATYPE_SIZET && fid >= 1,
          "DSGetBufferInfoStacked");
    r = pDSGetBufferInfoStacked(s->ds, b, st, 4);
    check(r == GC_ERR_NOT_IMPLEMENTED && st[3].iResult == GC_ERR_NOT_IMPLEMENTED, "stacked bad cmd -> %d", (int)r);
    /* chunks / parts / segments */
    size_t nch = 99;
    OK(pDSGetBufferChunkData(s->ds, b, NULL, &nch));
    check(nch == 0, "no chunks: %zu", nch);
    ERR(pDSGetBufferChunkData(s->ds, b, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    uint32_t np = 99;
    OK(pDSGetNumBufferParts(s->ds, b, &np));
    check(np == 0, "parts %u", np);
    s0 = 8;
    ERR(pDSGetBufferPartInfo(s->ds, b, 0, BUFFER_PART_INFO_BASE, &t, NULL, &s0), GC_ERR_INVALID_INDEX);
    DS_BUFFER_PART_INFO_STACKED pst = {0, BUFFER_PART_INFO_WIDTH, 0, 0, &wv, sizeof wv};
    r = pDSGetBufferPartInfoStacked(s->ds, b, &pst, 1);
    check(r == GC_ERR_INVALID_INDEX && pst.iResult == GC_ERR_INVALID_INDEX, "part stacked");
    OK(pDSGetNumBufferSegments(s->ds, b, &np));
    check(np == 0, "segments %u", np);
    ERR(pDSGetBufferSegmentInfo(s->ds, b, 0, SEGMENT_INFO_BASE, &t, NULL, &s0), GC_ERR_INVALID_INDEX);
    ERR(pDSGetNumBufferSegments(s->ds, b, NULL), GC_ERR_INVALID_PARAMETER);
    /* the buffer's own module port */
    char *x = read_port_xml(b, "BufferPort", "buffer port");
    if (x) {
        uint64_t a = xml_addr(x, "BufferSizeReg");
        check((uint64_t)rd64(b, a) >= (uint64_t)w * h, "BufferSize register");
        ERR(wr64(b, a, 5), GC_ERR_ACCESS_DENIED);
    }
    free(x);
}

static void test_streaming(DEV_HANDLE dev, PORT_HANDLE rp)
{
    stream_ctx S;
    memset(&S, 0, sizeof S);
    uint32_t n = 0;
    OK(pDevGetNumDataStreams(dev, &n));
    check(n == 1, "1 data stream");
    char id[64];
    size_t sz = 0;
    OK(pDevGetDataStreamID(dev, 0, NULL, &sz));
    sz = sizeof id;
    OK(pDevGetDataStreamID(dev, 0, id, &sz));
    sz = sizeof id;
    ERR(pDevGetDataStreamID(dev, 1, id, &sz), GC_ERR_INVALID_INDEX);
    ERR(pDevOpenDataStream(dev, "nope", &S.ds), GC_ERR_INVALID_ID);
    ERR(pDevOpenDataStream(dev, id, NULL), GC_ERR_INVALID_PARAMETER);
    if (!OK(pDevOpenDataStream(dev, id, &S.ds)))
        return;
    DS_HANDLE ds2 = NULL;
    ERR(pDevOpenDataStream(dev, id, &ds2), GC_ERR_RESOURCE_IN_USE);
    DEV_HANDLE parent = NULL;
    OK(pDSGetParentDev(S.ds, &parent));
    check(parent == dev, "DSGetParentDev");

    /* ROI 640 x 480 Mono8 */
    const uint32_t W = 640, H = 480;
    OK(wr32(rp, CAM_ADDR_Width, W));
    OK(wr32(rp, CAM_ADDR_Height, H));
    check(rd32(rp, CAM_ADDR_Width) == W && rd32(rp, CAM_ADDR_Height) == H, "ROI written");

    /* stream info */
    const char *what = "DSGetInfo";
    check(strcmp(get_string(f_ds, S.ds, STREAM_INFO_ID, what), id) == 0, "STREAM_INFO_ID");
    check(strcmp(get_string(f_ds, S.ds, STREAM_INFO_TLTYPE, what), "U3V") == 0, "STREAM TLTYPE");
    get_num(f_ds, S.ds, STREAM_INFO_NUM_DELIVERED, INFO_DATATYPE_UINT64, 8, what);
    get_num(f_ds, S.ds, STREAM_INFO_NUM_UNDERRUN, INFO_DATATYPE_UINT64, 8, what);
    check(get_num(f_ds, S.ds, STREAM_INFO_NUM_ANNOUNCED, INFO_DATATYPE_SIZET, 8, what) == 0, "no buffers yet");
    get_num(f_ds, S.ds, STREAM_INFO_NUM_QUEUED, INFO_DATATYPE_SIZET, 8, what);
    get_num(f_ds, S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY, INFO_DATATYPE_SIZET, 8, what);
    get_num(f_ds, S.ds, STREAM_INFO_NUM_STARTED, INFO_DATATYPE_UINT64, 8, what);
    uint64_t payload = get_num(f_ds, S.ds, STREAM_INFO_PAYLOAD_SIZE, INFO_DATATYPE_SIZET, 8, what);
    check(payload >= (uint64_t)W * H, "PAYLOAD_SIZE %" PRIu64, payload);
    {
        uint64_t reg = 0;
        size_t rs = 8;
        if (pGCReadPort(rp, CAM_ADDR_PayloadSize, &reg, &rs) == GC_ERR_SUCCESS)
            check(reg == payload, "remote PayloadSize %" PRIu64 " == STREAM_INFO_PAYLOAD_SIZE", reg);
    }
    check(get_num(f_ds, S.ds, STREAM_INFO_IS_GRABBING, INFO_DATATYPE_BOOL8, 1, what) == 0, "not grabbing");
    check(get_num(f_ds, S.ds, STREAM_INFO_DEFINES_PAYLOADSIZE, INFO_DATATYPE_BOOL8, 1, what) == 1, "defines payload");
    get_num(f_ds, S.ds, STREAM_INFO_NUM_CHUNKS_MAX, INFO_DATATYPE_SIZET, 8, what);
    check(get_num(f_ds, S.ds, STREAM_INFO_BUF_ANNOUNCE_MIN, INFO_DATATYPE_SIZET, 8, what) >= 1, "announce min");
    check(get_num(f_ds, S.ds, STREAM_INFO_BUF_ALIGNMENT, INFO_DATATYPE_SIZET, 8, what) >= 1, "alignment");
    INFO_DATATYPE t;
    size_t s0 = 0;
    ERR(pDSGetInfo(S.ds, STREAM_INFO_FLOW_TABLE, &t, NULL, &s0), GC_ERR_NOT_AVAILABLE);
    ERR(pDSGetInfo(S.ds, 4242, &t, NULL, &s0), GC_ERR_NOT_IMPLEMENTED);
    ERR(pDSGetInfo(S.ds, STREAM_INFO_ID, &t, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    uint32_t nflows = 9;
    OK(pDSGetNumFlows(S.ds, &nflows));
    check(nflows == 0, "flows");
    ERR(pDSGetFlowInfo(S.ds, 0, FLOW_INFO_SIZE, &t, NULL, &s0), GC_ERR_INVALID_INDEX);

    /* DataStream module port */
    char *dsxml = read_port_xml(S.ds, "StreamPort", "stream port");
    uint64_t a_lost = xml_addr(dsxml, "StreamLostFrameCountReg");
    uint64_t a_deliv = xml_addr(dsxml, "StreamDeliveredFrameCountReg");
    uint64_t a_ann = xml_addr(dsxml, "StreamAnnouncedBufferCountReg");

    /* events on the stream */
    ERR(pGCRegisterEvent(S.ds, EVENT_NEW_BUFFER, NULL), GC_ERR_INVALID_PARAMETER);
    if (!OK(pGCRegisterEvent(S.ds, EVENT_NEW_BUFFER, &S.ev_nb)))
        return;
    EVENT_HANDLE evx;
    ERR(pGCRegisterEvent(S.ds, EVENT_NEW_BUFFER, &evx), GC_ERR_RESOURCE_IN_USE);
    check(get_num(f_ev, S.ev_nb, EVENT_SIZE_MAX, INFO_DATATYPE_SIZET, 8, "EventGetInfo") == 16, "EVENT_SIZE_MAX 16");
    check(get_num(f_ev, S.ev_nb, EVENT_EVENT_TYPE, INFO_DATATYPE_INT32, 4, "EventGetInfo") == EVENT_NEW_BUFFER, "EVENT_TYPE");
    get_num(f_ev, S.ev_nb, EVENT_NUM_IN_QUEUE, INFO_DATATYPE_SIZET, 8, "EventGetInfo");
    get_num(f_ev, S.ev_nb, EVENT_NUM_FIRED, INFO_DATATYPE_UINT64, 8, "EventGetInfo");
    get_num(f_ev, S.ev_nb, EVENT_INFO_DATA_SIZE_MAX, INFO_DATATYPE_SIZET, 8, "EventGetInfo");
    ERR(pEventGetInfo(S.ev_nb, 99, &t, NULL, &s0), GC_ERR_NOT_IMPLEMENTED);
    EVENT_NEW_BUFFER_DATA nbd;
    size_t nbs = sizeof nbd;
    ERR(pEventGetData(S.ev_nb, &nbd, &nbs, 0), GC_ERR_TIMEOUT);
    nbs = sizeof nbd;
    ERR(pEventGetData(S.ev_nb, &nbd, &nbs, 20), GC_ERR_TIMEOUT);
    ERR(pEventGetData(S.ev_nb, NULL, &nbs, 0), GC_ERR_INVALID_PARAMETER);

    /* announce: 3 consumer buffers + 1 producer-allocated */
    size_t bsize = (size_t)payload;
    for (int i = 0; i < NBUF; i++) {
        if (i < NBUF - 1) {
            S.mem[i] = malloc(bsize);
            OK(pDSAnnounceBuffer(S.ds, S.mem[i], bsize, &S.priv[i], &S.hb[i]));
        } else {
            OK(pDSAllocAndAnnounceBuffer(S.ds, bsize, &S.priv[i], &S.hb[i]));
            void *base = NULL;
            size_t ps = sizeof base;
            OK(pDSGetBufferInfo(S.ds, S.hb[i], BUFFER_INFO_BASE, &t, &base, &ps));
            S.mem[i] = base;
            check(base != NULL, "allocated buffer base");
        }
    }
    BUFFER_HANDLE dup;
    ERR(pDSAnnounceBuffer(S.ds, S.mem[0], bsize, NULL, &dup), GC_ERR_RESOURCE_IN_USE);
    ERR(pDSAnnounceBuffer(S.ds, NULL, bsize, NULL, &dup), GC_ERR_INVALID_PARAMETER);
    ERR(pDSAnnounceBuffer(S.ds, S.mem[0], 0, NULL, &dup), GC_ERR_INVALID_PARAMETER);
    ERR(pDSAnnounceBuffer(S.ds, S.mem[0], bsize, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pDSAllocAndAnnounceBuffer(S.ds, 0, NULL, &dup), GC_ERR_INVALID_PARAMETER);
    ERR(pDSAnnounceCompositeBuffer(S.ds, 1, S.mem, &bsize, NULL, &dup), GC_ERR_NOT_IMPLEMENTED);
    check(ds_u64(S.ds, STREAM_INFO_NUM_ANNOUNCED) == NBUF, "NUM_ANNOUNCED");
    check(dsxml && rd64(S.ds, a_ann) == NBUF, "StreamAnnouncedBufferCount register");
    for (uint32_t i = 0; i < NBUF; i++) {
        BUFFER_HANDLE h = NULL;
        OK(pDSGetBufferID(S.ds, i, &h));
        check(h == S.hb[i], "DSGetBufferID(%u)", i);
    }
    BUFFER_HANDLE hx;
    ERR(pDSGetBufferID(S.ds, NBUF, &hx), GC_ERR_INVALID_INDEX);
    ERR(pDSGetBufferID(S.ds, 0, NULL), GC_ERR_INVALID_PARAMETER);
    /* never-filled buffer: incomplete, no new data */
    check(buf_b8(S.ds, S.hb[0], BUFFER_INFO_IS_INCOMPLETE) == 1, "unfilled buffer incomplete");
    check(buf_b8(S.ds, S.hb[0], BUFFER_INFO_NEW_DATA) == 0, "unfilled buffer no new data");

    for (int i = 0; i < NBUF; i++)
        OK(pDSQueueBuffer(S.ds, S.hb[i]));
    ERR(pDSQueueBuffer(S.ds, S.hb[0]), GC_ERR_RESOURCE_IN_USE);
    ERR(pDSRevokeBuffer(S.ds, S.hb[0], NULL, NULL), GC_ERR_RESOURCE_IN_USE);
    check(buf_b8(S.ds, S.hb[0], BUFFER_INFO_IS_QUEUED) == 1, "IS_QUEUED");
    check(ds_u64(S.ds, STREAM_INFO_NUM_QUEUED) == NBUF, "NUM_QUEUED");

    /* start: wrong flags / zero count first */
    ERR(pDSStartAcquisition(S.ds, 5, GENTL_INFINITE), GC_ERR_INVALID_PARAMETER);
    ERR(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, 0), GC_ERR_INVALID_PARAMETER);
    ERR(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_DEFAULT), GC_ERR_RESOURCE_IN_USE);
    OK(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE));
    ERR(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE), GC_ERR_RESOURCE_IN_USE);
    check(buf_b8(S.ds, S.hb[0], BUFFER_INFO_IS_QUEUED) == 1, "still queued before AcquisitionStart");
    OK(wr32(rp, CAM_ADDR_AcquisitionStart, 1));
    check(get_num(f_ds, S.ds, STREAM_INFO_IS_GRABBING, INFO_DATATYPE_BOOL8, 1, what) == 1, "grabbing");
    /* locked while acquiring: Width write refused */
    GC_ERROR wr = wr32(rp, CAM_ADDR_Width, 320);
    check(wr == GC_ERR_ACCESS_DENIED, "Width write while acquiring -> %d", (int)wr);
    if (wr == GC_ERR_ACCESS_DENIED)
        check(last_text(NULL)[0] != 0, "why text for locked Width");

    /* grab 20 frames, re-queueing each */
    uint64_t prev = 0, first = 0;
    int in_order = 1;
    for (int f = 0; f < 20; f++) {
        BUFFER_HANDLE b = next_buffer(&S, 3000);
        if (!b)
            break;
        uint64_t fid = buf_u64(S.ds, b, BUFFER_INFO_FRAMEID);
        if (f == 0) {
            first = fid;
            test_buffer_info_all(&S, b, W, H);
            /* event data info for the new-buffer event */
            EVENT_NEW_BUFFER_DATA d = {b, &S.priv[buf_index(&S, b)]};
            g_h2 = S.ev_nb;
            (void)d;
        }
        if (fid <= prev)
            in_order = 0;
        prev = fid;
        check(buf_b8(S.ds, b, BUFFER_INFO_IS_INCOMPLETE) == 0, "frame %d complete", f);
        OK(pDSQueueBuffer(S.ds, b));
    }
    check(first == 1, "first frame ID is 1 (got %" PRIu64 ")", first);
    check(in_order, "frame IDs increase");
    uint64_t deliv = ds_u64(S.ds, STREAM_INFO_NUM_DELIVERED);
    uint64_t lost = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    check(deliv >= 20, "NUM_DELIVERED %" PRIu64, deliv);
    printf("  grabbed 20 frames at %ux%u: last frame ID %" PRIu64 ", delivered %" PRIu64 ", lost %" PRIu64 "\n", W, H,
           prev, deliv, lost);

    /* EventGetDataInfo on new-buffer data */
    {
        EVENT_NEW_BUFFER_DATA d = {S.hb[1], &S.priv[1]};
        void *v = NULL;
        size_t vs = sizeof v;
        OK(pEventGetDataInfo(S.ev_nb, &d, sizeof d, EVENT_DATA_ID, &t, &v, &vs));
        check(t == INFO_DATATYPE_PTR && v == S.hb[1], "EVENT_DATA_ID = buffer handle");
        vs = sizeof v;
        OK(pEventGetDataInfo(S.ev_nb, &d, sizeof d, EVENT_DATA_VALUE, &t, &v, &vs));
        check(v == &S.priv[1], "EVENT_DATA_VALUE = private pointer");
        ERR(pEventGetDataInfo(S.ev_nb, &d, 3, EVENT_DATA_ID, &t, &v, &vs), GC_ERR_INVALID_PARAMETER);
        ERR(pEventGetDataInfo(S.ev_nb, NULL, 16, EVENT_DATA_ID, &t, &v, &vs), GC_ERR_INVALID_PARAMETER);
        ERR(pEventGetDataInfo(S.ev_nb, &d, sizeof d, EVENT_DATA_ID, &t, &v, NULL), GC_ERR_INVALID_PARAMETER);
    }

    /* underruns: take every buffer out and keep them for 300 ms (about 30 frames at 100 fps) */
    BUFFER_HANDLE held[NBUF];
    int nheld = 0;
    for (int k = 0; k < 200 && nheld < NBUF; k++) {
        EVENT_NEW_BUFFER_DATA d;
        size_t ds_ = sizeof d;
        if (pEventGetData(S.ev_nb, &d, &ds_, 1000) == GC_ERR_SUCCESS) {
            uint64_t fid = buf_u64(S.ds, d.BufferHandle, BUFFER_INFO_FRAMEID);
            if (fid > prev)
                prev = fid;
            held[nheld++] = d.BufferHandle;
        }
    }
    check(nheld == NBUF, "took all %d buffers", nheld);
    uint64_t lost0 = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    sleep_ms(300);
    uint64_t lost1 = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    check(lost1 >= lost0 + 10, "underruns counted while no buffer queued: %" PRIu64 " -> %" PRIu64, lost0, lost1);
    check(dsxml && (uint64_t)rd64(S.ds, a_lost) >= lost1, "StreamLostFrameCount register");
    for (int i = 0; i < nheld; i++)
        OK(pDSQueueBuffer(S.ds, held[i]));
    BUFFER_HANDLE b = next_buffer(&S, 3000);
    if (b) {
        uint64_t fid = buf_u64(S.ds, b, BUFFER_INFO_FRAMEID);
        check(fid > prev + 10, "frame ID gap after underrun: %" PRIu64 " after %" PRIu64, fid, prev);
        uint64_t d2 = ds_u64(S.ds, STREAM_INFO_NUM_DELIVERED);
        uint64_t l2 = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
        uint64_t aw = ds_u64(S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY);
        /* every sensor frame up to the newest delivered one was delivered or lost */
        check(d2 + l2 >= fid && d2 + l2 <= fid + NBUF + 2, "delivered %" PRIu64 " + lost %" PRIu64 " ~ frame ID %" PRIu64 " (await %" PRIu64 ")",
              d2, l2, fid, aw);
        check(dsxml && (uint64_t)rd64(S.ds, a_deliv) >= d2, "StreamDeliveredFrameCount register");
        OK(pDSQueueBuffer(S.ds, b));
    }

    /* unthrottled: a slow consumer loses no frame */
    char *devxml = read_port_xml(dev, "DevicePort", "device port");
    uint64_t a_unthr = xml_addr(devxml, "SimUnthrottledReg");
    check(rd64(dev, a_unthr) == 0, "SimUnthrottled default false");
    ERR(wr64(dev, a_unthr, 2), GC_ERR_INVALID_VALUE);
    OK(wr64(dev, a_unthr, 1));
    check(rd64(dev, a_unthr) == 1, "SimUnthrottled set");
    /* let frames made before the switch pass (unthrottled, a new frame follows every queue) */
    for (int k = 0; k < 2 * NBUF; k++) {
        BUFFER_HANDLE bb = next_buffer(&S, 3000);
        if (!bb)
            break;
        OK(pDSQueueBuffer(S.ds, bb));
    }
    uint64_t lu0 = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    uint64_t last_id = 0;
    int contiguous = 1;
    for (int f = 0; f < 20; f++) {
        BUFFER_HANDLE bb = next_buffer(&S, 3000);
        if (!bb)
            break;
        uint64_t fid = buf_u64(S.ds, bb, BUFFER_INFO_FRAMEID);
        if (last_id && fid != last_id + 1)
            contiguous = 0;
        last_id = fid;
        sleep_ms(5);
        OK(pDSQueueBuffer(S.ds, bb));
    }
    uint64_t lu1 = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    check(lu1 == lu0 && contiguous, "unthrottled: no loss (%" PRIu64 " -> %" PRIu64 "), contiguous IDs %d", lu0, lu1, contiguous);
    OK(wr64(dev, a_unthr, 0));
    free(devxml);

    /* EventKill wakes a waiter; first remove everything so that it really waits */
    OK(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_KILL));
    ERR(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_KILL), GC_ERR_RESOURCE_IN_USE);
    ERR(pDSStopAcquisition(S.ds, 7), GC_ERR_INVALID_PARAMETER);
    OK(wr32(rp, CAM_ADDR_AcquisitionStop, 1));
    check(get_num(f_ds, S.ds, STREAM_INFO_IS_GRABBING, INFO_DATATYPE_BOOL8, 1, what) == 0, "stopped");
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_DISCARD));
    check(ds_u64(S.ds, STREAM_INFO_NUM_QUEUED) == 0 && ds_u64(S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY) == 0, "ALL_DISCARD");
    {
        waiter_arg w = {S.ev_nb, 1};
        pthread_t th;
        pthread_create(&th, NULL, waiter, &w);
        sleep_ms(100);
        OK(pEventKill(S.ev_nb));
        pthread_join(th, NULL);
        check(w.result == GC_ERR_ABORT, "EventKill -> waiter got %d", (int)w.result);
    }
    /* flush modes */
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_UNQUEUED_TO_INPUT));
    check(ds_u64(S.ds, STREAM_INFO_NUM_QUEUED) == NBUF, "UNQUEUED_TO_INPUT");
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_INPUT_TO_OUTPUT));
    check(ds_u64(S.ds, STREAM_INFO_NUM_QUEUED) == 0 && ds_u64(S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY) == NBUF, "INPUT_TO_OUTPUT");
    {
        size_t nq = 0, ns = sizeof nq;
        OK(pEventGetInfo(S.ev_nb, EVENT_NUM_IN_QUEUE, &t, &nq, &ns));
        check(nq == NBUF, "EVENT_NUM_IN_QUEUE %zu", nq);
        BUFFER_HANDLE bb = next_buffer(&S, 100);
        check(bb != NULL && buf_b8(S.ds, bb, BUFFER_INFO_NEW_DATA) == 0, "flushed buffer carries no new data");
    }
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_OUTPUT_DISCARD));
    check(ds_u64(S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY) == 0, "OUTPUT_DISCARD");
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_TO_INPUT));
    check(ds_u64(S.ds, STREAM_INFO_NUM_QUEUED) == NBUF, "ALL_TO_INPUT");
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_INPUT_TO_OUTPUT));
    OK(pEventFlush(S.ev_nb));
    check(ds_u64(S.ds, STREAM_INFO_NUM_AWAIT_DELIVERY) == 0, "EventFlush empties the output queue");
    ERR(pDSFlushQueue(S.ds, 99), GC_ERR_INVALID_PARAMETER);

    /* iNumToAcquire = 5: exactly five, then the engine stops by itself */
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_TO_INPUT));
    OK(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, 5));
    OK(wr32(rp, CAM_ADDR_AcquisitionStart, 1));
    int got = 0;
    for (int f = 0; f < 5; f++) {
        BUFFER_HANDLE bb = next_buffer(&S, 3000);
        if (!bb)
            break;
        got++;
        OK(pDSQueueBuffer(S.ds, bb));
    }
    check(got == 5, "5 of 5");
    sleep_ms(100);
    EVENT_NEW_BUFFER_DATA d6;
    size_t s6 = sizeof d6;
    ERR(pEventGetData(S.ev_nb, &d6, &s6, 100), GC_ERR_TIMEOUT);
    check(ds_u64(S.ds, STREAM_INFO_NUM_DELIVERED) == 5, "NUM_DELIVERED 5");
    check(get_num(f_ds, S.ds, STREAM_INFO_IS_GRABBING, INFO_DATATYPE_BOOL8, 1, what) == 0, "auto-stopped");
    OK(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_DEFAULT));
    OK(wr32(rp, CAM_ADDR_AcquisitionStop, 1));

    /* a buffer smaller than the payload -> incomplete, no overflow */
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_DISCARD));
    uint8_t *smallmem = malloc(1024);
    int spriv = 0;
    BUFFER_HANDLE hs = NULL;
    OK(pDSAnnounceBuffer(S.ds, smallmem, 1024, &spriv, &hs));
    OK(pDSQueueBuffer(S.ds, hs));
    OK(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, 1));
    OK(wr32(rp, CAM_ADDR_AcquisitionStart, 1));
    {
        EVENT_NEW_BUFFER_DATA d;
        size_t ds_ = sizeof d;
        if (OK(pEventGetData(S.ev_nb, &d, &ds_, 3000))) {
            check(d.BufferHandle == hs, "small buffer delivered");
            check(buf_b8(S.ds, hs, BUFFER_INFO_IS_INCOMPLETE) == 1, "small buffer incomplete");
        }
    }
    OK(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_KILL));
    OK(wr32(rp, CAM_ADDR_AcquisitionStop, 1));
    void *pb = NULL, *pp = NULL;
    OK(pDSRevokeBuffer(S.ds, hs, &pb, &pp));
    check(pb == smallmem && pp == &spriv, "revoke returns memory and private pointer");
    free(smallmem);
    ERR(pDSQueueBuffer(S.ds, hs), GC_ERR_INVALID_HANDLE); /* stale buffer */

    /* revoke the rest; out pointers optional */
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_DISCARD));
    OK(pDSRevokeBuffer(S.ds, S.hb[0], NULL, NULL));
    pb = pp = (void *)1;
    OK(pDSRevokeBuffer(S.ds, S.hb[NBUF - 1], &pb, &pp));
    check(pb == NULL && pp == &S.priv[NBUF - 1], "revoking an allocated buffer returns NULL memory");
    ERR(pDSRevokeBuffer(S.ds, S.hb[0], NULL, NULL), GC_ERR_INVALID_HANDLE);
    for (int i = 1; i < NBUF - 1; i++)
        OK(pDSRevokeBuffer(S.ds, S.hb[i], NULL, NULL));
    for (int i = 0; i < NBUF - 1; i++)
        free(S.mem[i]);
    check(ds_u64(S.ds, STREAM_INFO_NUM_ANNOUNCED) == 0, "all revoked");
    free(dsxml);

    /* close: the event and the stream become stale */
    OK(pDSClose(S.ds));
    nbs = sizeof nbd;
    ERR(pEventGetData(S.ev_nb, &nbd, &nbs, 0), GC_ERR_INVALID_HANDLE);
    ERR(pDSClose(S.ds), GC_ERR_INVALID_HANDLE);
    ERR(pDSGetInfo(S.ds, STREAM_INFO_ID, &t, NULL, &s0), GC_ERR_INVALID_HANDLE);
}

/* ------------------------------------------------------------------------ bad calls ---- */
static void test_bad_handles(TL_HANDLE tl, IF_HANDLE ifc, DEV_HANDLE dev)
{
    int stackvar = 0;
    void *garbage[] = {NULL, (void *)(uintptr_t)0x1234, &stackvar, (void *)(uintptr_t)0xdeadbeefcafef00dull};
    INFO_DATATYPE t;
    char buf[64];
    size_t sz;
    uint32_t u;
    void *h;
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        void *g = garbage[i];
        sz = sizeof buf;
        ERR(pTLGetInfo(g, TL_INFO_ID, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
        ERR(pTLClose(g), GC_ERR_INVALID_HANDLE);
        ERR(pTLGetNumInterfaces(g, &u), GC_ERR_INVALID_HANDLE);
        ERR(pTLOpenInterface(g, "U3V-SIM-IF0", &h), GC_ERR_INVALID_HANDLE);
        ERR(pTLUpdateInterfaceList(g, NULL, 0), GC_ERR_INVALID_HANDLE);
        ERR(pIFClose(g), GC_ERR_INVALID_HANDLE);
        ERR(pIFGetNumDevices(g, &u), GC_ERR_INVALID_HANDLE);
        ERR(pIFOpenDevice(g, "x", DEVICE_ACCESS_EXCLUSIVE, &h), GC_ERR_INVALID_HANDLE);
        ERR(pIFGetParentTL(g, &h), GC_ERR_INVALID_HANDLE);
        ERR(pDevGetPort(g, &h), GC_ERR_INVALID_HANDLE);
        ERR(pDevClose(g), GC_ERR_INVALID_HANDLE);
        ERR(pDevGetParentIF(g, &h), GC_ERR_INVALID_HANDLE);
        sz = sizeof buf;
        ERR(pDevGetInfo(g, DEVICE_INFO_ID, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
        ERR(pDSClose(g), GC_ERR_INVALID_HANDLE);
        ERR(pDSStartAcquisition(g, 0, 1), GC_ERR_INVALID_HANDLE);
        ERR(pDSStopAcquisition(g, 0), GC_ERR_INVALID_HANDLE);
        ERR(pDSFlushQueue(g, 0), GC_ERR_INVALID_HANDLE);
        ERR(pDSQueueBuffer(g, g), GC_ERR_INVALID_HANDLE);
        ERR(pDSRevokeBuffer(g, g, NULL, NULL), GC_ERR_INVALID_HANDLE);
        ERR(pDSAnnounceBuffer(g, buf, sizeof buf, NULL, &h), GC_ERR_INVALID_HANDLE);
        ERR(pDSAllocAndAnnounceBuffer(g, 16, NULL, &h), GC_ERR_INVALID_HANDLE);
        sz = sizeof buf;
        ERR(pDSGetBufferInfo(g, g, BUFFER_INFO_BASE, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
        sz = 4;
        ERR(pGCReadPort(g, 0, buf, &sz), GC_ERR_INVALID_HANDLE);
        sz = 4;
        ERR(pGCWritePort(g, 0, buf, &sz), GC_ERR_INVALID_HANDLE);
        ERR(pGCGetNumPortURLs(g, &u), GC_ERR_INVALID_HANDLE);
        sz = sizeof buf;
        ERR(pGCGetPortInfo(g, PORT_INFO_PORTNAME, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
        ERR(pGCRegisterEvent(g, EVENT_MODULE, &h), GC_ERR_INVALID_HANDLE);
        ERR(pGCUnregisterEvent(g, EVENT_MODULE), GC_ERR_INVALID_HANDLE);
        sz = sizeof buf;
        ERR(pEventGetData(g, buf, &sz, 0), GC_ERR_INVALID_HANDLE);
        sz = sizeof buf;
        ERR(pEventGetInfo(g, EVENT_NUM_FIRED, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
        ERR(pEventFlush(g), GC_ERR_INVALID_HANDLE);
        ERR(pEventKill(g), GC_ERR_INVALID_HANDLE);
    }
    /* the right pointer but the wrong kind of handle */
    sz = sizeof buf;
    ERR(pTLGetInfo(ifc, TL_INFO_ID, &t, buf, &sz), GC_ERR_INVALID_HANDLE);
    ERR(pIFGetNumDevices(tl, &u), GC_ERR_INVALID_HANDLE);
    ERR(pDevGetPort(ifc, &h), GC_ERR_INVALID_HANDLE);
    ERR(pDSClose(dev), GC_ERR_INVALID_HANDLE);
    ERR(pEventKill(dev), GC_ERR_INVALID_HANDLE);
    /* NULL out pointers */
    ERR(pTLGetNumInterfaces(tl, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pTLGetInterfaceID(tl, 0, buf, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pTLOpenInterface(tl, NULL, &h), GC_ERR_INVALID_PARAMETER);
    ERR(pTLGetInterfaceInfo(tl, NULL, INTERFACE_INFO_ID, &t, NULL, &sz), GC_ERR_INVALID_PARAMETER);
    ERR(pIFGetNumDevices(ifc, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pIFGetDeviceID(ifc, 0, buf, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pIFGetDeviceInfo(ifc, NULL, DEVICE_INFO_ID, &t, NULL, &sz), GC_ERR_INVALID_PARAMETER);
    ERR(pIFOpenDevice(ifc, NULL, DEVICE_ACCESS_EXCLUSIVE, &h), GC_ERR_INVALID_PARAMETER);
    ERR(pIFGetParentTL(ifc, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pDevGetPort(dev, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pDevGetNumDataStreams(dev, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pDevGetParentIF(dev, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pDevGetInfo(dev, DEVICE_INFO_ID, &t, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pGCGetNumPortURLs(tl, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pGCGetPortURL(tl, buf, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pGCRegisterEvent(tl, EVENT_MODULE, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pGCGetInfo(TL_INFO_ID, &t, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    ERR(pGCReadPortStacked(tl, NULL, NULL), GC_ERR_INVALID_PARAMETER);
    {
        GC_ERROR c;
        ERR(pGCGetLastError(NULL, buf, &sz), GC_ERR_INVALID_PARAMETER);
        check(pGCGetLastError(&c, buf, NULL) == GC_ERR_INVALID_PARAMETER, "GCGetLastError(piSize NULL)");
    }
    /* bad commands / indices */
    sz = 0;
    ERR(pTLGetInfo(tl, 555, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
    ERR(pIFGetInfo(ifc, 555, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
    ERR(pDevGetInfo(dev, 555, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
    ERR(pTLGetInterfaceID(tl, 7, NULL, &sz), GC_ERR_INVALID_INDEX);
    ERR(pIFGetDeviceID(ifc, 99, NULL, &sz), GC_ERR_INVALID_INDEX);
    ERR(pTLGetInterfaceInfo(tl, "no-such-if", INTERFACE_INFO_ID, &t, NULL, &sz), GC_ERR_INVALID_ID);
    ERR(pIFGetDeviceInfo(ifc, "no-such-dev", DEVICE_INFO_ID, &t, NULL, &sz), GC_ERR_INVALID_ID);
    ERR(pIFOpenDevice(ifc, "no-such-dev", DEVICE_ACCESS_EXCLUSIVE, &h), GC_ERR_INVALID_ID);
    ERR(pTLOpenInterface(tl, "no-such-if", &h), GC_ERR_INVALID_ID);
    /* events that are not supported on a module */
    ERR(pGCRegisterEvent(tl, EVENT_NEW_BUFFER, &h), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCRegisterEvent(tl, EVENT_REMOTE_DEVICE, &h), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCRegisterEvent(dev, EVENT_ERROR, &h), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCRegisterEvent(dev, 4711, &h), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCRegisterEvent(dev, -3, &h), GC_ERR_NOT_IMPLEMENTED);
    ERR(pGCUnregisterEvent(dev, EVENT_FEATURE_CHANGE), GC_ERR_NOT_AVAILABLE);
    ERR(pGCUnregisterEvent(dev, -1), GC_ERR_NOT_AVAILABLE);
}

/* ---------------------------------------------------------------------------- main ---- */

static void test_module_ports(TL_HANDLE tl, IF_HANDLE ifc, uint32_t ndev)
{
    char *x = read_port_xml(tl, "TLPort", "system port");
    if (x) {
        char s[1100];
        read_string_reg(tl, xml_addr(x, "TLVendorName"), 64, s);
        check(strcmp(s, "ace-gentl-sim") == 0, "TLVendorName register: %s", s);
        read_string_reg(tl, xml_addr(x, "TLPath"), 1024, s);
        check(strstr(s, ".cti") != NULL, "TLPath register: %s", s);
        check(rd64(tl, xml_addr(x, "GenTLVersionMajorReg")) == 1, "GenTLVersionMajor");
        check(rd64(tl, xml_addr(x, "GenTLVersionMinorReg")) == 6, "GenTLVersionMinor");
        check(rd64(tl, xml_addr(x, "TLTypeReg")) == 8, "TLType = U3V entry");
        OK(wr64(tl, xml_addr(x, "InterfaceUpdateListReg"), 1));
        ERR(wr64(tl, xml_addr(x, "InterfaceSelectorReg"), 5), GC_ERR_INVALID_VALUE);
        ERR(wr64(tl, xml_addr(x, "GenTLVersionMajorReg"), 5), GC_ERR_ACCESS_DENIED);
        uint64_t a = xml_addr(x, "TLVendorName");
        char c8[8];
        size_t sz = 8;
        ERR(pGCWritePort(tl, a, c8, &sz), GC_ERR_ACCESS_DENIED);
        sz = 4;
        ERR(pGCWritePort(tl, xml_addr(x, "InterfaceSelectorReg"), c8, &sz), GC_ERR_INVALID_ADDRESS);
        sz = 2000; /* crosses registers */
        char big[2000];
        ERR(pGCReadPort(tl, a, big, &sz), GC_ERR_INVALID_ADDRESS);
        sz = 4;
        ERR(pGCReadPort(tl, 0, big, &sz), GC_ERR_INVALID_ADDRESS);
        sz = 4;
        ERR(pGCReadPort(tl, UINT64_MAX - 1, big, &sz), GC_ERR_INVALID_ADDRESS);
        sz = 0;
        ERR(pGCReadPort(tl, a, big, &sz), GC_ERR_INVALID_PARAMETER);
        sz = 4;
        ERR(pGCReadPort(tl, a, NULL, &sz), GC_ERR_INVALID_PARAMETER);
        ERR(pGCReadPort(tl, a, big, NULL), GC_ERR_INVALID_PARAMETER);
        sz = 4;
        ERR(pGCWritePort(tl, a, NULL, &sz), GC_ERR_INVALID_PARAMETER);
        /* stacked reads: two good entries and a bad one */
        char s1[64], s2[64];
        PORT_REGISTER_STACK_ENTRY e[3] = {{a, s1, 64}, {xml_addr(x, "TLID"), s2, 64}, {0, s1, 4}};
        size_t n = 2;
        OK(pGCReadPortStacked(tl, e, &n));
        check(n == 2 && strcmp(s1, "ace-gentl-sim") == 0 && strcmp(s2, "ace_gentl_sim") == 0, "stacked read");
        n = 3;
        ERR(pGCReadPortStacked(tl, e, &n), GC_ERR_INVALID_ADDRESS);
        check(n == 2, "stacked read stops at the bad entry (%zu)", n);
        int64_t one = 0;
        PORT_REGISTER_STACK_ENTRY w[1] = {{xml_addr(x, "InterfaceSelectorReg"), &one, 8}};
        n = 1;
        OK(pGCWritePortStacked(tl, w, &n));
    }
    free(x);
    x = read_port_xml(ifc, "InterfacePort", "interface port");
    if (x && ndev >= 2) {
        char s[80];
        uint64_t sel = xml_addr(x, "DeviceSelectorReg");
        OK(wr64(ifc, sel, 1));
        read_string_reg(ifc, xml_addr(x, "DeviceSerialNumber"), 64, s);
        check(strcmp(s, "40000002") == 0, "DeviceSelector 1 -> serial %s", s);
        ERR(wr64(ifc, sel, ndev), GC_ERR_INVALID_VALUE);
        OK(wr64(ifc, sel, 0));
        read_string_reg(ifc, xml_addr(x, "DeviceID"), 64, s);
        check(strcmp(s, "U3V-SIM-40000001") == 0, "DeviceID register %s", s);
        check(rd64(ifc, xml_addr(x, "DeviceAccessStatusReg")) == DEVICE_ACCESS_STATUS_READWRITE, "access status reg");
    }
    free(x);
}

static void test_session(int full)
{
    const char *w = "GCGetInfo";
    if (full) {
        ERR(pGCInitLib(), GC_ERR_RESOURCE_IN_USE);
        check(strcmp(get_string(f_gc, NULL, TL_INFO_TLTYPE, w), "U3V") == 0, "TL TLTYPE");
        check(strcmp(get_string(f_gc, NULL, TL_INFO_ID, w), "ace_gentl_sim") == 0, "TL ID");
        get_string(f_gc, NULL, TL_INFO_VENDOR, w);
        get_string(f_gc, NULL, TL_INFO_MODEL, w);
        get_string(f_gc, NULL, TL_INFO_VERSION, w);
        get_string(f_gc, NULL, TL_INFO_DISPLAYNAME, w);
        check(strcmp(get_string(f_gc, NULL, TL_INFO_NAME, w), "ace_gentl_sim.cti") == 0, "TL NAME");
        char *path = get_string(f_gc, NULL, TL_INFO_PATHNAME, w);
        check(path[0] == '/' && strstr(path, "ace_gentl_sim.cti") != NULL, "TL PATHNAME %s", path);
        check(get_num(f_gc, NULL, TL_INFO_CHAR_ENCODING, INFO_DATATYPE_INT32, 4, w) == TL_CHAR_ENCODING_ASCII, "encoding");
        check(get_num(f_gc, NULL, TL_INFO_GENTL_VER_MAJOR, INFO_DATATYPE_UINT32, 4, w) == 1, "GenTL major");
        check(get_num(f_gc, NULL, TL_INFO_GENTL_VER_MINOR, INFO_DATATYPE_UINT32, 4, w) == 6, "GenTL minor");
        size_t sz = 0;
        INFO_DATATYPE t;
        ERR(pGCGetInfo(1234, &t, NULL, &sz), GC_ERR_NOT_IMPLEMENTED);
        OK(pGCGetInfo(TL_INFO_ID, NULL, NULL, &sz)); /* piType is optional */
    }
    TL_HANDLE tl = NULL, tl2 = NULL;
    if (!OK(pTLOpen(&tl)))
        return;
    ERR(pTLOpen(&tl2), GC_ERR_RESOURCE_IN_USE);
    ERR(pTLOpen(NULL), GC_ERR_INVALID_PARAMETER);
    bool8_t changed = 7;
    OK(pTLUpdateInterfaceList(tl, &changed, 1000));
    check(changed == 0 || changed == 1, "pbChanged written");
    OK(pTLUpdateInterfaceList(tl, NULL, 0));
    uint32_t nif = 0;
    OK(pTLGetNumInterfaces(tl, &nif));
    check(nif == 1, "1 interface");
    char ifid[64];
    size_t sz = 0;
    OK(pTLGetInterfaceID(tl, 0, NULL, &sz));
    check(sz == strlen("U3V-SIM-IF0") + 1, "interface ID size");
    sz = 3;
    ERR(pTLGetInterfaceID(tl, 0, ifid, &sz), GC_ERR_BUFFER_TOO_SMALL);
    sz = sizeof ifid;
    OK(pTLGetInterfaceID(tl, 0, ifid, &sz));
    check(strcmp(ifid, "U3V-SIM-IF0") == 0, "interface ID %s", ifid);
    if (full) {
        check(strcmp(get_string(f_tl, tl, TL_INFO_ID, "TLGetInfo"), "ace_gentl_sim") == 0, "TLGetInfo ID");
        g_id = ifid;
        get_string(f_tlif, tl, INTERFACE_INFO_ID, "TLGetInterfaceInfo");
        get_string(f_tlif, tl, INTERFACE_INFO_DISPLAYNAME, "TLGetInterfaceInfo");
        check(strcmp(get_string(f_tlif, tl, INTERFACE_INFO_TLTYPE, "TLGetInterfaceInfo"), "U3V") == 0, "if TLTYPE");
    }
    IF_HANDLE ifc = NULL, ifc2 = NULL;
    if (!OK(pTLOpenInterface(tl, ifid, &ifc)))
        return;
    ERR(pTLOpenInterface(tl, ifid, &ifc2), GC_ERR_RESOURCE_IN_USE);
    TL_HANDLE ptl = NULL;
    OK(pIFGetParentTL(ifc, &ptl));
    check(ptl == tl, "IFGetParentTL");
    OK(pIFUpdateDeviceList(ifc, &changed, 1000));
    OK(pIFUpdateDeviceList(ifc, NULL, 0));
    uint32_t ndev = 0;
    OK(pIFGetNumDevices(ifc, &ndev));
    check(ndev == 3, "3 devices (ACE_SIM_CAMERAS=3), got %u", ndev);
    char devid[3][64];
    for (uint32_t i = 0; i < ndev && i < 3; i++) {
        sz = 0;
        OK(pIFGetDeviceID(ifc, i, NULL, &sz));
        sz = sizeof devid[i];
        OK(pIFGetDeviceID(ifc, i, devid[i], &sz));
        if (full) {
            g_id = devid[i];
            const char *wd = "IFGetDeviceInfo";
            check(strcmp(get_string(f_ifdev, ifc, DEVICE_INFO_VENDOR, wd), "Basler") == 0, "vendor");
            check(strcmp(get_string(f_ifdev, ifc, DEVICE_INFO_MODEL, wd), "acA4112-20um") == 0, "model");
            check(strcmp(get_string(f_ifdev, ifc, DEVICE_INFO_TLTYPE, wd), "U3V") == 0, "dev tltype");
            check(strcmp(get_string(f_ifdev, ifc, DEVICE_INFO_ID, wd), devid[i]) == 0, "dev id");
            get_string(f_ifdev, ifc, DEVICE_INFO_DISPLAYNAME, wd);
            get_string(f_ifdev, ifc, DEVICE_INFO_USER_DEFINED_NAME, wd);
            get_string(f_ifdev, ifc, DEVICE_INFO_VERSION, wd);
            char *sn = get_string(f_ifdev, ifc, DEVICE_INFO_SERIAL_NUMBER, wd);
            check(strlen(sn) == 8, "8-digit serial %s", sn);
            check(get_num(f_ifdev, ifc, DEVICE_INFO_ACCESS_STATUS, INFO_DATATYPE_INT32, 4, wd) ==
                      DEVICE_ACCESS_STATUS_READWRITE, "access READWRITE");
            check(get_num(f_ifdev, ifc, DEVICE_INFO_TIMESTAMP_FREQUENCY, INFO_DATATYPE_UINT64, 8, wd) == 1000000000u,
                  "timestamp frequency");
        }
    }
    check(ndev >= 3 && strcmp(devid[0], devid[1]) != 0 && strcmp(devid[1], devid[2]) != 0, "distinct device IDs");
    if (full) {
        check(strcmp(get_string(f_if, ifc, INTERFACE_INFO_ID, "IFGetInfo"), ifid) == 0, "IFGetInfo ID");
        test_module_ports(tl, ifc, ndev);
        uint32_t n;
        ERR(pGCGetNumPortURLs(NULL, &n), GC_ERR_INVALID_HANDLE);
    }
    /* module events on TL and IF */
    EVENT_HANDLE ev_tl = NULL, ev_if = NULL, ev_dev = NULL, ev_rem = NULL, evx;
    OK(pGCRegisterEvent(tl, EVENT_MODULE, &ev_tl));
    ERR(pGCRegisterEvent(tl, EVENT_MODULE, &evx), GC_ERR_RESOURCE_IN_USE);
    OK(pGCRegisterEvent(ifc, EVENT_MODULE, &ev_if));

    DEV_HANDLE dev = NULL, dev2 = NULL, devro = NULL;
    ERR(pIFOpenDevice(ifc, devid[0], DEVICE_ACCESS_NONE, &dev), GC_ERR_INVALID_PARAMETER);
    ERR(pIFOpenDevice(ifc, devid[0], 99, &dev), GC_ERR_INVALID_PARAMETER);
    if (!OK(pIFOpenDevice(ifc, devid[0], DEVICE_ACCESS_EXCLUSIVE, &dev)))
        return;
    ERR(pIFOpenDevice(ifc, devid[0], DEVICE_ACCESS_CONTROL, &dev2), GC_ERR_RESOURCE_IN_USE);
    g_id = devid[0];
    check(get_num(f_ifdev, ifc, DEVICE_INFO_ACCESS_STATUS, INFO_DATATYPE_INT32, 4, "IFGetDeviceInfo") ==
              DEVICE_ACCESS_STATUS_OPEN_READWRITE, "access OPEN_READWRITE");
    IF_HANDLE pif = NULL;
    OK(pDevGetParentIF(dev, &pif));
    check(pif == ifc, "DevGetParentIF");
    check(strcmp(get_string(f_dev, dev, DEVICE_INFO_ID, "DevGetInfo"), devid[0]) == 0, "DevGetInfo ID");
    check(strcmp(get_string(f_dev, dev, DEVICE_INFO_TLTYPE, "DevGetInfo"), "U3V") == 0, "DevGetInfo TLTYPE");
    OK(pGCRegisterEvent(dev, EVENT_MODULE, &ev_dev));
    OK(pGCRegisterEvent(dev, EVENT_REMOTE_DEVICE, &ev_rem));
    ERR(pGCRegisterEvent(dev, EVENT_REMOTE_DEVICE, &evx), GC_ERR_RESOURCE_IN_USE);
    check(get_num(f_ev, ev_rem, EVENT_SIZE_MAX, INFO_DATATYPE_SIZET, 8, "EventGetInfo") >= 64, "remote event size max");
    {
        uint8_t eb[1024];
        size_t es = sizeof eb;
        ERR(pEventGetData(ev_rem, eb, &es, 0), GC_ERR_TIMEOUT);
        /* EventGetDataInfo parses a U3V event message */
        uint8_t msg[32] = {0x55, 0x33, 0x56, 0x45, 0, 0, 0x00, 0x0C, 20, 0, 1, 0, 20, 0, 0x01, 0x90};
        g_h2 = ev_rem;
        char idstr[16];
        size_t is = sizeof idstr;
        INFO_DATATYPE t;
        OK(pEventGetDataInfo(ev_rem, msg, sizeof msg, EVENT_DATA_ID, &t, idstr, &is));
        check(t == INFO_DATATYPE_STRING && strcmp(idstr, "9001") == 0, "U3V event id string %s", idstr);
        uint8_t vb[64];
        is = sizeof vb;
        OK(pEventGetDataInfo(ev_rem, msg, sizeof msg, EVENT_DATA_VALUE, &t, vb, &is));
        check(t == INFO_DATATYPE_BUFFER && is == sizeof msg, "U3V event value = whole message");
        msg[0] = 0;
        is = sizeof vb;
        ERR(pEventGetDataInfo(ev_rem, msg, sizeof msg, EVENT_DATA_ID, &t, vb, &is), GC_ERR_INVALID_PARAMETER);
    }
    /* a second camera, read-only: writes are refused */
    if (OK(pIFOpenDevice(ifc, devid[1], DEVICE_ACCESS_READONLY, &devro))) {
        PORT_HANDLE rro = NULL;
        OK(pDevGetPort(devro, &rro));
        ERR(wr32(rro, CAM_ADDR_Width, 640), GC_ERR_ACCESS_DENIED);
        rd32(rro, CAM_ADDR_Width);
        g_id = devid[1];
        check(get_num(f_ifdev, ifc, DEVICE_INFO_ACCESS_STATUS, INFO_DATATYPE_INT32, 4, "IFGetDeviceInfo") ==
                  DEVICE_ACCESS_STATUS_OPEN_READONLY, "access OPEN_READONLY");
        OK(pDevClose(devro));
        ERR(pDevGetPort(devro, &rro), GC_ERR_INVALID_HANDLE);
        uint32_t v = 0;
        sz = 4;
        ERR(pGCReadPort(rro, CAM_ADDR_Width, &v, &sz), GC_ERR_INVALID_HANDLE);
    }

    PORT_HANDLE rp = NULL;
    OK(pDevGetPort(dev, &rp));
    if (full) {
        char *x = read_port_xml(dev, "DevicePort", "device module port");
        if (x) {
            char s[80];
            read_string_reg(dev, xml_addr(x, "DeviceSerialNumber"), 64, s);
            check(strcmp(s, "40000001") == 0, "device module serial %s", s);
            check(rd64(dev, xml_addr(x, "DeviceAccessStatusReg")) == DEVICE_ACCESS_STATUS_OPEN_READWRITE, "dev access reg");
            check(strstr(x, "<Category Name=\"Simulation\"") != NULL, "Simulation category");
        }
        free(x);
        char *rx = read_port_xml(rp, "Device", "remote device port");
        if (rx) {
            check(strstr(rx, "Name=\"AcquisitionStart\"") && strstr(rx, "Name=\"PayloadSize\""), "remote XML features");
            printf("  remote XML: %zu bytes\n", strlen(rx));
        }
        free(rx);
        /* registers */
        uint32_t w0 = rd32(rp, CAM_ADDR_Width);
        check(w0 >= 16 && w0 <= 4112, "Width %u", w0);
        OK(wr32(rp, CAM_ADDR_Width, 1024));
        check(rd32(rp, CAM_ADDR_Width) == 1024, "Width written");
        ERR(wr32(rp, CAM_ADDR_Width, 1023), GC_ERR_INVALID_VALUE); /* off increment */
        ERR(wr32(rp, CAM_ADDR_Width, 100000), GC_ERR_INVALID_VALUE);
        uint32_t v;
        size_t s4 = 4;
        ERR(pGCReadPort(rp, UINT64_C(0xFFFFFFFFFFFF0000), &v, &s4), GC_ERR_INVALID_ADDRESS);
        s4 = 4;
        ERR(pGCWritePort(rp, UINT64_C(0x7FFFFFF0), &v, &s4), GC_ERR_INVALID_ADDRESS);
        s4 = 2;
        ERR(pGCReadPort(rp, CAM_ADDR_Width + 2, &v, &s4), GC_ERR_INVALID_ADDRESS); /* inside a register */
        s4 = 0;
        ERR(pGCReadPort(rp, CAM_ADDR_Width, &v, &s4), GC_ERR_INVALID_PARAMETER);
        uint32_t w1 = 0, h1 = 0, nw = 800, nh = 600;
        PORT_REGISTER_STACK_ENTRY we[2] = {{CAM_ADDR_Width, &nw, 4}, {CAM_ADDR_Height, &nh, 4}};
        size_t n = 2;
        OK(pGCWritePortStacked(rp, we, &n));
        PORT_REGISTER_STACK_ENTRY re[2] = {{CAM_ADDR_Width, &w1, 4}, {CAM_ADDR_Height, &h1, 4}};
        n = 2;
        OK(pGCReadPortStacked(rp, re, &n));
        check(n == 2 && w1 == 800 && h1 == 600, "stacked ROI %ux%u", w1, h1);
        test_bad_handles(tl, ifc, dev);
    }
    /* concurrent module-event poller while streaming (harvesters' event monitor) */
    pthread_t pth;
    g_poll_stop = 0;
    pthread_create(&pth, NULL, poller, ev_dev);
    test_streaming(dev, rp);
    g_poll_stop = 1;
    pthread_join(pth, NULL);

    /* module events: flush/kill/unregister */
    OK(pEventFlush(ev_tl));
    OK(pGCUnregisterEvent(tl, EVENT_MODULE));
    ERR(pEventFlush(ev_tl), GC_ERR_INVALID_HANDLE);
    ERR(pGCUnregisterEvent(tl, EVENT_MODULE), GC_ERR_NOT_AVAILABLE);
    OK(pGCRegisterEvent(tl, EVENT_MODULE, &ev_tl)); /* again after unregistering */

    if (full) {
        OK(pDevClose(dev));
        ERR(pDevClose(dev), GC_ERR_INVALID_HANDLE);
        size_t s4 = 4;
        uint32_t v;
        ERR(pGCReadPort(rp, CAM_ADDR_Width, &v, &s4), GC_ERR_INVALID_HANDLE);
        s4 = 8;
        ERR(pEventGetData(ev_rem, &v, &s4, 0), GC_ERR_INVALID_HANDLE); /* dropped with the device */
        OK(pIFClose(ifc));
        ERR(pIFClose(ifc), GC_ERR_INVALID_HANDLE);
        ERR(pEventKill(ev_if), GC_ERR_INVALID_HANDLE);
        OK(pTLClose(tl));
        ERR(pTLClose(tl), GC_ERR_INVALID_HANDLE);
    }
    /* else: leave everything open, GCCloseLib must clean up */
}

/* ------------------------------------------- remote-device events, chunk data, simulated wiring, faults ---- */

#ifdef CAM_ADDR_EventNotification
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static GC_ERROR wrf64(PORT_HANDLE p, uint64_t a, double v)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return wr64(p, a, bits);
}

static double rdf64(PORT_HANDLE p, uint64_t a)
{
    int64_t bits = rd64(p, a);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static uint32_t le32_at(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64_at(const uint8_t *p) { return (uint64_t)le32_at(p) | (uint64_t)le32_at(p + 4) << 32; }

static int32_t ifdev_access(IF_HANDLE ifc, const char *id)
{
    int32_t v = -1;
    size_t sz = sizeof v;
    INFO_DATATYPE t;
    OK(pIFGetDeviceInfo(ifc, id, DEVICE_INFO_ACCESS_STATUS, &t, &v, &sz));
    return v;
}

/* Start with all buffers queued; frame rate limited so a slow host never underruns. */
static void p2_start(stream_ctx *S, PORT_HANDLE rp)
{
    OK(pDSFlushQueue(S->ds, ACQ_QUEUE_ALL_DISCARD));
    for (int i = 0; i < NBUF; i++)
        OK(pDSQueueBuffer(S->ds, S->hb[i]));
    OK(pDSStartAcquisition(S->ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE));
    OK(wr32(rp, CAM_ADDR_AcquisitionStart, 1));
}

static void p2_stop(stream_ctx *S, PORT_HANDLE rp)
{
    wr32(rp, CAM_ADDR_AcquisitionStop, 1);
    OK(pDSStopAcquisition(S->ds, ACQ_STOP_FLAGS_KILL));
    OK(pDSFlushQueue(S->ds, ACQ_QUEUE_ALL_DISCARD));
    OK(pEventFlush(S->ev_nb));
}

/* Frame IDs of the next n buffers (each requeued). */
static void p2_ids(stream_ctx *S, uint64_t *ids, int n)
{
    for (int i = 0; i < n; i++) {
        BUFFER_HANDLE b = next_buffer(S, 3000);
        ids[i] = b ? buf_u64(S->ds, b, BUFFER_INFO_FRAMEID) : 0;
        if (b)
            OK(pDSQueueBuffer(S->ds, b));
    }
}

static void test_events_chunks_wiring_faults(void)
{
    printf("events, chunks, simulated wiring, faults\n");
    const char *id = "U3V-SIM-40000003";
    TL_HANDLE tl;
    IF_HANDLE ifc;
    DEV_HANDLE dev;
    PORT_HANDLE rp;
    if (!OK(pTLOpen(&tl)) || !OK(pTLOpenInterface(tl, "U3V-SIM-IF0", &ifc)) ||
        !OK(pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev)) || !OK(pDevGetPort(dev, &rp)))
        return;
    stream_ctx S;
    memset(&S, 0, sizeof S);
    OK(pDevOpenDataStream(dev, "Stream0", &S.ds));
    ERR(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE), GC_ERR_RESOURCE_EXHAUSTED);
    check(last_text(NULL)[0] != 0, "start without buffers: error text");
    g_h = S.ds;

    /* remote-device event: info, EventKill wakes a waiter (nothing enabled yet) */
    EVENT_HANDLE ev_rd = NULL, ev_mod = NULL;
    OK(pGCRegisterEvent(dev, EVENT_REMOTE_DEVICE, &ev_rd));
    OK(pGCRegisterEvent(dev, EVENT_MODULE, &ev_mod));
    check(get_num(f_ev, ev_rd, EVENT_SIZE_MAX, INFO_DATATYPE_SIZET, sizeof(size_t), "ev") >= 64, "remote SIZE_MAX");
    check(get_num(f_ev, ev_rd, EVENT_NUM_IN_QUEUE, INFO_DATATYPE_SIZET, sizeof(size_t), "ev") == 0, "remote queue empty");
    {
        waiter_arg wa = {ev_rd, GC_ERR_SUCCESS};
        pthread_t th;
        pthread_create(&th, NULL, waiter, &wa);
        sleep_ms(60);
        OK(pEventKill(ev_rd));
        pthread_join(th, NULL);
        check(wa.result == GC_ERR_ABORT, "EventKill wakes a remote-event waiter (%d)", (int)wa.result);
        uint8_t m[64];
        size_t ms = sizeof m;
        ERR(pEventGetData(ev_rd, m, &ms, 0), GC_ERR_TIMEOUT);
    }

    /* settings: small ROI, 100 fps, chunks Timestamp + PayloadCRC16, FrameStart events */
    OK(wr32(rp, CAM_ADDR_Width, 320));
    OK(wr32(rp, CAM_ADDR_Height, 240));
    OK(wr32(rp, CAM_ADDR_AcquisitionFrameRateEnable, 1));
    double fps = 100.0;
    {
        size_t sz = 8;
        OK(pGCWritePort(rp, CAM_ADDR_AcquisitionFrameRate, &fps, &sz));
    }
    OK(wr32(rp, CAM_ADDR_ChunkModeActive, 1));
    OK(wr32(rp, CAM_ADDR_ChunkEnable + 4 * 1, 1)); /* Timestamp */
    OK(wr32(rp, CAM_ADDR_ChunkEnable + 4 * CAM_CHUNK_SEL_PayloadCRC16, 1)); /* PayloadCRC16 */
    OK(wr32(rp, CAM_ADDR_EventNotification + 4 * 1, 1)); /* FrameStart On */
    size_t payload = (size_t)rd64(rp, CAM_ADDR_PayloadSize);
    check(payload == 320 * 240 + 8 + 16 + 12, "payload with chunks %zu", payload);
    OK(pGCRegisterEvent(S.ds, EVENT_NEW_BUFFER, &S.ev_nb));
    for (int i = 0; i < NBUF; i++) {
        S.priv[i] = i;
        OK(pDSAllocAndAnnounceBuffer(S.ds, payload, &S.priv[i], &S.hb[i]));
    }
    p2_start(&S, rp);

    /* chunk data of 5 frames */
    for (int k = 0; k < 5; k++) {
        BUFFER_HANDLE b = next_buffer(&S, 3000);
        if (!b)
            break;
        check(buf_b8(S.ds, b, BUFFER_INFO_CONTAINS_CHUNKDATA) == 1, "CONTAINS_CHUNKDATA");
        check(buf_u64(S.ds, b, BUFFER_INFO_PAYLOADTYPE) == PAYLOAD_TYPE_IMAGE, "PAYLOADTYPE IMAGE with chunks");
        uint64_t filled = buf_u64(S.ds, b, BUFFER_INFO_SIZE_FILLED);
        check(buf_u64(S.ds, b, BUFFER_INFO_DELIVERED_CHUNKPAYLOADSIZE) == filled && filled == payload,
              "DELIVERED_CHUNKPAYLOADSIZE = SIZE_FILLED = %" PRIu64, filled);
        size_t n = 0;
        OK(pDSGetBufferChunkData(S.ds, b, NULL, &n));
        check(n == 3, "3 chunks (%zu)", n);
        SINGLE_CHUNK_DATA cd[3];
        memset(cd, 0, sizeof cd);
        size_t small = 1;
        ERR(pDSGetBufferChunkData(S.ds, b, cd, &small), GC_ERR_BUFFER_TOO_SMALL);
        check(small == 3, "too small gives the count");
        n = 3;
        if (OK(pDSGetBufferChunkData(S.ds, b, cd, &n)) && n == 3) {
            check(cd[0].ChunkID == 0xA5A50000u && cd[0].ChunkOffset == 0 && cd[0].ChunkLength == 320 * 240,
                  "image chunk");
            check(cd[1].ChunkID == 0xA5A50001u && cd[1].ChunkLength == 8, "timestamp chunk");
            check(cd[2].ChunkID == 0xA5A50006u && cd[2].ChunkLength == 4, "CRC chunk");
            uint8_t *base = NULL;
            size_t bs = sizeof base;
            INFO_DATATYPE t;
            OK(pDSGetBufferInfo(S.ds, b, BUFFER_INFO_BASE, &t, &base, &bs));
            if (base)
                check(le64_at(base + cd[1].ChunkOffset) == buf_u64(S.ds, b, BUFFER_INFO_TIMESTAMP),
                      "ChunkTimestamp = buffer timestamp");
        }
        OK(pDSQueueBuffer(S.ds, b));
    }
    check(get_num(f_ds, S.ds, STREAM_INFO_NUM_CHUNKS_MAX, INFO_DATATYPE_SIZET, sizeof(size_t), "ds") >= 7,
          "NUM_CHUNKS_MAX");

    /* FrameStart events: complete U3V messages, FrameIDs 1.. in order, DATA_ID "9002" */
    {
        uint64_t want = 1;
        int got = 0;
        for (int k = 0; k < 5; k++) {
            uint8_t m[1024];
            size_t ms = sizeof m;
            if (!OK(pEventGetData(ev_rd, m, &ms, 2000)))
                break;
            got++;
            check(ms == 32 && le32_at(m) == 0x45563355u && m[14] == 0x02 && m[15] == 0x90, "U3V FrameStart message");
            check(le64_at(m + 24) == want, "event FrameID %" PRIu64 " want %" PRIu64, le64_at(m + 24), want);
            want++;
            char idstr[16];
            size_t is = sizeof idstr;
            INFO_DATATYPE t;
            OK(pEventGetDataInfo(ev_rd, m, ms, EVENT_DATA_ID, &t, idstr, &is));
            check(t == INFO_DATATYPE_STRING && strcmp(idstr, "9002") == 0, "DATA_ID \"%s\"", idstr);
            uint8_t val[64];
            size_t vs = sizeof val;
            OK(pEventGetDataInfo(ev_rd, m, ms, EVENT_DATA_VALUE, &t, val, &vs));
            check(vs == ms && memcmp(val, m, ms) == 0, "DATA_VALUE = the whole message");
        }
        check(got == 5, "5 FrameStart events");
        check(get_num(f_ev, ev_rd, EVENT_NUM_FIRED, INFO_DATATYPE_UINT64, 8, "ev") >= 5, "NUM_FIRED");
        uint8_t tiny[4];
        size_t ts = sizeof tiny;
        ERR(pEventGetData(ev_rd, tiny, &ts, 1000), GC_ERR_BUFFER_TOO_SMALL);
        check(ts == 32, "needed size 32 (%zu)", ts);
    }
    OK(wr32(rp, CAM_ADDR_EventNotification + 4 * 1, 0));
    p2_stop(&S, rp);
    OK(pEventFlush(ev_rd));

    /* simulated wiring: Device-module controls */
    char *devxml = read_port_xml(dev, "DevicePort", "device port");
    uint64_t a_sel = xml_addr(devxml, "SimLineSelectorReg"), a_pulse = xml_addr(devxml, "SimLinePulseReg");
    uint64_t a_freq = xml_addr(devxml, "SimLinePulseFrequencyReg"), a_lvl = xml_addr(devxml, "SimLineLevelReg");
    uint64_t a_disc = xml_addr(devxml, "SimFaultDisconnectAfterFramesReg");
    uint64_t a_inc = xml_addr(devxml, "SimFaultIncompleteRateReg"), a_drop = xml_addr(devxml, "SimFaultDropRateReg");
    uint64_t a_stall = xml_addr(devxml, "SimFaultStallMsReg"), a_seed = xml_addr(devxml, "SimFaultSeedReg");
    check(devxml && strstr(devxml, "<Float Name=\"SimFaultDropRate\"") != NULL, "Float node in the Device XML");
    free(devxml);
    OK(wr64(dev, a_sel, 1)); /* Line3 */
    ERR(wr64(dev, a_sel, 3), GC_ERR_INVALID_VALUE);
    OK(wr64(dev, a_lvl, 1));
    check(rd64(dev, a_lvl) == 1, "SimLineLevel reads back");
    OK(wr64(dev, a_lvl, 0));
    OK(wrf64(dev, a_freq, 250.0));
    check(rdf64(dev, a_freq) == 250.0, "SimLinePulseFrequency reads back");
    ERR(wrf64(dev, a_freq, -1.0), GC_ERR_INVALID_VALUE);
    OK(wrf64(dev, a_freq, 0.0));
    OK(wr64(dev, a_sel, 0)); /* Line1 = the default trigger source */
    OK(wr32(rp, CAM_ADDR_TriggerMode, 1));
    p2_start(&S, rp);
    sleep_ms(20);
    for (int k = 0; k < 3; k++) {
        OK(wr64(dev, a_pulse, 1));
        sleep_ms(30);
    }
    uint64_t ids[12];
    p2_ids(&S, ids, 3);
    check(ids[0] == 1 && ids[1] == 2 && ids[2] == 3, "3 pulses -> frames 1,2,3");
    {
        EVENT_NEW_BUFFER_DATA d;
        size_t sz = sizeof d;
        ERR(pEventGetData(S.ev_nb, &d, &sz, 150), GC_ERR_TIMEOUT);
    }
    /* SimLostTriggerCount (Device module, never in the camera XML): a second pulse 2 ms after the
     * first, inside a 50 ms exposure, is lost */
    {
        char *dx = read_port_xml(dev, "DevicePort", "device port");
        uint64_t a_tsel = xml_addr(dx, "SimTriggerSelectorReg"), a_lost = xml_addr(dx, "SimLostTriggerCountReg");
        check(dx && strstr(dx, "<Integer Name=\"SimLostTriggerCount\" NameSpace=\"Custom\">") != NULL,
              "SimLostTriggerCount in the Device XML");
        free(dx);
        double exp_old = rdf64(rp, CAM_ADDR_ExposureTime);
        OK(wrf64(rp, CAM_ADDR_ExposureTime, 50000.0));
        check(rd64(dev, a_lost) == 0, "no lost trigger yet");
        OK(wr64(dev, a_pulse, 1));
        sleep_ms(2);
        OK(wr64(dev, a_pulse, 1));
        p2_ids(&S, ids, 1);
        check(ids[0] == 4, "the first pulse gave frame 4 (%" PRIu64 ")", ids[0]);
        check(rd64(dev, a_lost) == 1, "SimLostTriggerCount[FrameStart] = %" PRId64, rd64(dev, a_lost));
        OK(wr64(dev, a_tsel, 1));
        check(rd64(dev, a_tsel) == 1, "SimTriggerSelector reads back");
        check(rd64(dev, a_lost) == 0, "SimLostTriggerCount[FrameBurstStart] = 0");
        ERR(wr64(dev, a_tsel, 2), GC_ERR_INVALID_VALUE);
        ERR(wr64(dev, a_lost, 0), GC_ERR_ACCESS_DENIED);
        OK(wr64(dev, a_tsel, 0));
        OK(wrf64(rp, CAM_ADDR_ExposureTime, exp_old));
    }
    p2_stop(&S, rp);
    OK(wr32(rp, CAM_ADDR_TriggerMode, 0));

    /* faults: same seed, same dropped frame IDs */
    OK(wr64(dev, a_seed, 12345));
    OK(wrf64(dev, a_drop, 0.3));
    ERR(wrf64(dev, a_drop, 1.5), GC_ERR_INVALID_VALUE);
    uint64_t run1[12], run2[12];
    p2_start(&S, rp);
    p2_ids(&S, run1, 12);
    uint64_t underrun = ds_u64(S.ds, STREAM_INFO_NUM_UNDERRUN);
    p2_stop(&S, rp);
    p2_start(&S, rp);
    p2_ids(&S, run2, 12);
    p2_stop(&S, rp);
    check(memcmp(run1, run2, sizeof run1) == 0, "same seed, same frame IDs");
    check(run1[11] > 12, "drops consumed frame IDs (last %" PRIu64 ")", run1[11]);
    check(underrun == 0, "link drops are not underruns");
    OK(wrf64(dev, a_drop, 0.0));
    /* incomplete */
    OK(wrf64(dev, a_inc, 1.0));
    p2_start(&S, rp);
    {
        BUFFER_HANDLE b = next_buffer(&S, 3000);
        if (b) {
            check(buf_b8(S.ds, b, BUFFER_INFO_IS_INCOMPLETE) == 1, "fault: IS_INCOMPLETE");
            check(buf_u64(S.ds, b, BUFFER_INFO_SIZE_FILLED) < payload, "fault: SIZE_FILLED short");
            check(buf_b8(S.ds, b, BUFFER_INFO_CONTAINS_CHUNKDATA) == 0, "fault: no chunk layout");
        }
    }
    p2_stop(&S, rp);
    OK(wrf64(dev, a_inc, 0.0));
    /* one stall */
    OK(wr64(dev, a_stall, 200));
    p2_start(&S, rp);
    {
        double t0 = now_s();
        p2_ids(&S, ids, 1);
        double t1 = now_s();
        p2_ids(&S, ids + 1, 3);
        double t2 = now_s();
        check(t1 - t0 >= 0.18, "stall delays the first frame (%.3f s)", t1 - t0);
        check(t2 - t1 < 0.15, "then normal (%.3f s for 3 frames)", t2 - t1);
    }
    p2_stop(&S, rp);
    OK(wr64(dev, a_stall, 0));

    /* disconnect after 3 frames */
    OK(wr64(dev, a_disc, 3));
    p2_start(&S, rp);
    p2_ids(&S, ids, 2);
    check(next_buffer(&S, 3000) != NULL, "third frame before the unplug");
    {
        uint8_t m[1024];
        size_t ms = sizeof m;
        if (OK(pEventGetData(ev_mod, m, &ms, 2000))) {
            char idstr[16];
            size_t is = sizeof idstr;
            INFO_DATATYPE t;
            OK(pEventGetDataInfo(ev_mod, m, ms, EVENT_DATA_ID, &t, idstr, &is));
            check(strcmp(idstr, "9FFF") == 0, "device-lost EVENT_MODULE id %s", idstr);
        }
        int incomplete = 0;
        for (int k = 0; k < NBUF; k++) {
            EVENT_NEW_BUFFER_DATA d;
            size_t sz = sizeof d;
            if (pEventGetData(S.ev_nb, &d, &sz, 500) != GC_ERR_SUCCESS)
                break;
            incomplete += buf_b8(S.ds, d.BufferHandle, BUFFER_INFO_IS_INCOMPLETE);
        }
        check(incomplete >= 1, "queued buffers come back incomplete (%d)", incomplete);
        uint32_t v = 0;
        size_t sz = 4;
        ERR(pGCReadPort(rp, CAM_ADDR_Width, &v, &sz), GC_ERR_IO);
        ERR(wr32(rp, CAM_ADDR_Width, 320), GC_ERR_IO);
        OK(pDSQueueBuffer(S.ds, S.hb[0])); /* host-side: accepted, but no frame will ever fill it */
        {
            EVENT_NEW_BUFFER_DATA d;
            size_t sz = sizeof d;
            ERR(pEventGetData(S.ev_nb, &d, &sz, 100), GC_ERR_TIMEOUT);
        }
        OK(pDSStopAcquisition(S.ds, ACQ_STOP_FLAGS_KILL));
        ERR(pDSStartAcquisition(S.ds, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE), GC_ERR_IO);
        check(ifdev_access(ifc, id) == DEVICE_ACCESS_STATUS_NOACCESS, "NOACCESS after the unplug");
    }
    OK(pDSFlushQueue(S.ds, ACQ_QUEUE_ALL_DISCARD));
    for (int i = 0; i < NBUF; i++)
        OK(pDSRevokeBuffer(S.ds, S.hb[i], NULL, NULL));
    OK(pDSClose(S.ds));
    OK(pDevClose(dev));
    ERR(pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev), GC_ERR_ACCESS_DENIED);
    bool8_t changed = 0;
    OK(pIFUpdateDeviceList(ifc, &changed, 100));
    check(changed == 1, "re-enumeration finds the camera again");
    check(ifdev_access(ifc, id) == DEVICE_ACCESS_STATUS_READWRITE, "READWRITE after re-plug");
    if (OK(pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev))) {
        OK(pDevGetPort(dev, &rp));
        check(rd32(rp, CAM_ADDR_Width) == 4096, "fresh camera: factory Width");
        devxml = read_port_xml(dev, "DevicePort", "device port");
        check(rd64(dev, xml_addr(devxml, "SimFaultDisconnectAfterFramesReg")) == 0, "disconnect fault disarmed");
        free(devxml);
        OK(pDevClose(dev));
    }
    g_h = NULL;
    OK(pTLClose(tl));
}

/* Two cameras wired through the Device modules (B's Line1 follows A's Line2 ExposureActive), the
 * clock controls, and A unplugged by SimFaultUnplugAfterMs: off the device list, not openable,
 * back after SimFaultReplugAfterMs with the bench settings (its clock) kept. */
static void small_stream(DEV_HANDLE dev, PORT_HANDLE rp, stream_ctx *S)
{
    memset(S, 0, sizeof *S);
    OK(wr32(rp, CAM_ADDR_Width, 320));
    OK(wr32(rp, CAM_ADDR_Height, 64));
    OK(pDevOpenDataStream(dev, "Stream0", &S->ds));
    OK(pGCRegisterEvent(S->ds, EVENT_NEW_BUFFER, &S->ev_nb));
    size_t payload = (size_t)rd64(rp, CAM_ADDR_PayloadSize);
    for (int i = 0; i < NBUF; i++) {
        S->priv[i] = i;
        OK(pDSAllocAndAnnounceBuffer(S->ds, payload, &S->priv[i], &S->hb[i]));
    }
}

static void close_stream(stream_ctx *S)
{
    OK(pDSFlushQueue(S->ds, ACQ_QUEUE_ALL_DISCARD));
    for (int i = 0; i < NBUF; i++)
        OK(pDSRevokeBuffer(S->ds, S->hb[i], NULL, NULL));
    OK(pDSClose(S->ds));
}

static GC_ERROR wrstr(PORT_HANDLE p, uint64_t a, const char *v)
{
    size_t sz = strlen(v) + 1;
    return pGCWritePort(p, a, v, &sz);
}

static uint32_t listed_devices(IF_HANDLE ifc)
{
    bool8_t changed = 0;
    uint32_t n = 0;
    OK(pIFUpdateDeviceList(ifc, &changed, 100));
    OK(pIFGetNumDevices(ifc, &n));
    return n;
}

static void test_wired_cameras_and_timed_unplug(void)
{
    printf("wired cameras, device clocks, timed unplug\n");
    TL_HANDLE tl;
    IF_HANDLE ifc;
    DEV_HANDLE da, db;
    PORT_HANDLE ra, rb;
    if (!OK(pTLOpen(&tl)) || !OK(pTLOpenInterface(tl, "U3V-SIM-IF0", &ifc)) ||
        !OK(pIFOpenDevice(ifc, "U3V-SIM-40000001", DEVICE_ACCESS_EXCLUSIVE, &da)) || !OK(pDevGetPort(da, &ra)) ||
        !OK(pIFOpenDevice(ifc, "U3V-SIM-40000002", DEVICE_ACCESS_EXCLUSIVE, &db)) || !OK(pDevGetPort(db, &rb)))
        return;
    char *x = read_port_xml(db, "DevicePort", "device port");
    check(x && strstr(x, "<pSelected>SimLineSource</pSelected>") != NULL, "SimLineSelector selects SimLineSource");
    uint64_t a_sel = xml_addr(x, "SimLineSelectorReg"), a_src = xml_addr(x, "SimLineSourceReg");
    uint64_t a_cam = xml_addr(x, "SimLineSourceCamera"), a_line = xml_addr(x, "SimLineSourceLineReg");
    uint64_t a_delay = xml_addr(x, "SimLineSourceDelayReg"), a_dropedges = xml_addr(x, "SimFaultDropEdges");
    uint64_t a_miss = xml_addr(x, "SimFaultMissTriggers"), a_drift = xml_addr(x, "SimClockDriftPpmReg");
    uint64_t a_offset = xml_addr(x, "SimClockOffsetReg"), a_unplug = xml_addr(x, "SimFaultUnplugAfterMsReg");
    uint64_t a_replug = xml_addr(x, "SimFaultReplugAfterMsReg"), a_pulse = xml_addr(x, "SimLinePulseReg");
    free(x);

    /* wiring controls: checked values, refusals with reasons */
    OK(wr64(db, a_sel, 0)); /* Line1 */
    check(rd64(db, a_src) == 0 && rd64(db, a_line) == 0 && rdf64(db, a_delay) == 1.0, "wiring defaults");
    ERR(wrstr(db, a_cam, "12345678"), GC_ERR_INVALID_VALUE);
    check(strstr(last_text(NULL), "12345678") != NULL, "unknown serial named: %s", last_text(NULL));
    OK(wrstr(db, a_cam, "40000001"));
    OK(wr64(db, a_line, 0)); /* Line2 */
    OK(wrf64(db, a_delay, 3.0));
    ERR(wrf64(db, a_delay, -1.0), GC_ERR_INVALID_VALUE);
    OK(wr64(db, a_src, 1)); /* Camera */
    ERR(wr64(db, a_src, 2), GC_ERR_INVALID_VALUE);
    ERR(wr64(db, a_pulse, 1), GC_ERR_ACCESS_DENIED);
    ERR(wrstr(db, a_dropedges, "1,x"), GC_ERR_INVALID_VALUE);
    OK(wrstr(db, a_dropedges, "2"));
    OK(wrstr(db, a_miss, ""));
    {
        char v[32] = {0};
        size_t sz = sizeof v; /* the register's length */
        OK(pGCReadPort(db, a_cam, v, &sz));
        check(strcmp(v, "40000001") == 0, "SimLineSourceCamera reads back \"%s\"", v);
    }

    /* A free-runs at 100 fps, B follows: B's frames 1..4 from A's exposures 1, 3, 4, 5 (edge 2 dropped) */
    stream_ctx SA, SB;
    small_stream(da, ra, &SA);
    small_stream(db, rb, &SB);
    OK(wr32(ra, CAM_ADDR_AcquisitionFrameRateEnable, 1));
    OK(wrf64(ra, CAM_ADDR_AcquisitionFrameRate, 100.0));
    OK(wrf64(ra, CAM_ADDR_ExposureTime, 2000.0));
    OK(wrf64(rb, CAM_ADDR_ExposureTime, 2000.0));
    OK(wr32(rb, CAM_ADDR_TriggerMode, 1)); /* FrameStart from Line1 */
    p2_start(&SB, rb);
    p2_start(&SA, ra);
    check(wrf64(da, a_drift, 5.0) == GC_ERR_ACCESS_DENIED, "SimClockDriftPpm fixed while acquiring");
    uint64_t ia[6], ib[4], tb[4];
    p2_ids(&SA, ia, 6);
    for (int i = 0; i < 4; i++) {
        BUFFER_HANDLE b = next_buffer(&SB, 3000);
        ib[i] = b ? buf_u64(SB.ds, b, BUFFER_INFO_FRAMEID) : 0;
        tb[i] = b ? buf_u64(SB.ds, b, BUFFER_INFO_TIMESTAMP) : 0;
        if (b)
            OK(pDSQueueBuffer(SB.ds, b));
    }
    p2_stop(&SA, ra);
    p2_stop(&SB, rb);
    check(ia[5] == 6 && ib[0] == 1 && ib[3] == 4, "A frames 1..6, B frames 1..4");
    double p1 = (double)(tb[1] - tb[0]), p2 = (double)(tb[2] - tb[1]);
    check(p1 > 1.99 * p2 && p1 < 2.01 * p2, "B: a period missing after frame 1 (dropped edge): %.0f %.0f", p1, p2);
    OK(wr64(db, a_src, 0));

    /* clocks */
    OK(wrf64(da, a_drift, -12.5));
    OK(wr64(da, a_offset, INT64_C(5000000000)));
    check(rdf64(da, a_drift) == -12.5 && rd64(da, a_offset) == INT64_C(5000000000), "clock settings read back");
    ERR(wrf64(da, a_drift, 5000.0), GC_ERR_INVALID_VALUE);

    /* A unplugged 100 ms after AcquisitionStart, back 300 ms later */
    uint32_t before = listed_devices(ifc);
    check(before == 3, "3 cameras listed");
    OK(wr64(da, a_unplug, 100));
    OK(wr64(da, a_replug, 300));
    p2_start(&SA, ra);
    double t0 = now_s();
    while (ifdev_access(ifc, "U3V-SIM-40000001") != DEVICE_ACCESS_STATUS_NOACCESS && now_s() - t0 < 3)
        sleep_ms(5);
    double gone = now_s() - t0;
    check(gone > 0.08 && gone < 0.5, "unplugged after %.3f s", gone);
    ERR(wr32(ra, CAM_ADDR_Width, 320), GC_ERR_IO);
    check(listed_devices(ifc) == 2, "off the device list");
    OK(pDSStopAcquisition(SA.ds, ACQ_STOP_FLAGS_KILL));
    close_stream(&SA);
    OK(pDevClose(da));
    check(listed_devices(ifc) == 2, "closed, but not back yet");
    ERR(pIFOpenDevice(ifc, "U3V-SIM-40000001", DEVICE_ACCESS_EXCLUSIVE, &da), GC_ERR_ACCESS_DENIED);
    check(strstr(last_text(NULL), "SimFaultReplugAfterMs") != NULL, "why: %s", last_text(NULL));
    while (now_s() - t0 < gone + 0.35)
        sleep_ms(10);
    check(listed_devices(ifc) == 3, "back on the list");
    if (OK(pIFOpenDevice(ifc, "U3V-SIM-40000001", DEVICE_ACCESS_EXCLUSIVE, &da))) {
        check(rd64(da, a_unplug) == 0, "the unplug fired once");
        check(rdf64(da, a_drift) == -12.5, "the clock's drift is the oscillator's: kept");
        OK(pDevClose(da));
    }
    close_stream(&SB);
    OK(pDevClose(db));
    OK(pTLClose(tl));
}

/* Busy across processes: a forked child holds camera 1; the parent sees BUSY and the child's PID;
 * the kernel drops the lock when the child is killed (SIGKILL). */
static void test_busy_fork(void)
{
    printf("busy across processes (fork)\n");
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) {
        check(0, "pipe");
        return;
    }
    const char *id = "U3V-SIM-40000001";
    pid_t pid = fork();
    if (pid < 0) {
        check(0, "fork");
        return;
    }
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        TL_HANDLE tl;
        IF_HANDLE ifc;
        DEV_HANDLE dev;
        char c = 'e';
        if (pGCInitLib() == GC_ERR_SUCCESS && pTLOpen(&tl) == GC_ERR_SUCCESS &&
            pTLOpenInterface(tl, "U3V-SIM-IF0", &ifc) == GC_ERR_SUCCESS &&
            pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev) == GC_ERR_SUCCESS)
            c = 'r';
        if (write(up[1], &c, 1) != 1)
            _exit(3);
        char x;
        while (read(down[0], &x, 1) < 0) { /* parked until killed */
        }
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char c = 0;
    check(read(up[0], &c, 1) == 1 && c == 'r', "child opened the camera");
    if (OK(pGCInitLib())) {
        TL_HANDLE tl;
        IF_HANDLE ifc;
        DEV_HANDLE dev;
        OK(pTLOpen(&tl));
        OK(pTLOpenInterface(tl, "U3V-SIM-IF0", &ifc));
        check(ifdev_access(ifc, id) == DEVICE_ACCESS_STATUS_BUSY, "BUSY while another process holds it");
        check(ifdev_access(ifc, "U3V-SIM-40000002") == DEVICE_ACCESS_STATUS_READWRITE, "the others are free");
        ERR(pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev), GC_ERR_ACCESS_DENIED);
        char want[32];
        snprintf(want, sizeof want, "PID %ld", (long)pid);
        const char *txt = last_text(NULL);
        check(strstr(txt, want) != NULL, "last error names the holder: %s", txt);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        check(ifdev_access(ifc, id) == DEVICE_ACCESS_STATUS_READWRITE, "free again after kill -9");
        if (OK(pIFOpenDevice(ifc, id, DEVICE_ACCESS_EXCLUSIVE, &dev)))
            OK(pDevClose(dev));
        OK(pGCCloseLib());
    } else {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    close(up[0]);
    close(down[1]);
}
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <ace_gentl_sim.cti>\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    setenv("ACE_SIM_CAMERAS", "3", 1);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    int missing = 0;
#define LOAD(name, args)                                                                                      \
    *(void **)(&p##name) = dlsym(lib, #name);                                                                 \
    if (!p##name) {                                                                                           \
        fprintf(stderr, "missing symbol %s\n", #name);                                                        \
        missing++;                                                                                            \
    }
    GENTL_FUNCS(LOAD)
    check(missing == 0, "%d of 64 symbols missing", missing);
    if (missing)
        return 1;

    /* before GCInitLib */
    TL_HANDLE tl;
    size_t sz = 0;
    INFO_DATATYPE t;
    ERR(pGCGetInfo(TL_INFO_ID, &t, NULL, &sz), GC_ERR_NOT_INITIALIZED);
    ERR(pTLOpen(&tl), GC_ERR_NOT_INITIALIZED);
    ERR(pGCCloseLib(), GC_ERR_NOT_INITIALIZED);
    ERR(pEventKill(NULL), GC_ERR_NOT_INITIALIZED);

    printf("full session\n");
    if (OK(pGCInitLib())) {
        test_session(1);
        OK(pGCCloseLib());
    }
    ERR(pTLOpen(&tl), GC_ERR_NOT_INITIALIZED);

#ifdef CAM_ADDR_EventNotification
    if (OK(pGCInitLib())) {
        test_events_chunks_wiring_faults();
        OK(pGCCloseLib());
    }
    if (OK(pGCInitLib())) {
        test_wired_cameras_and_timed_unplug();
        OK(pGCCloseLib());
    }
    test_busy_fork();
#endif

    printf("open/close cycles (some leave modules open for GCCloseLib)\n");
    for (int cycle = 0; cycle < 4; cycle++) {
        if (!OK(pGCInitLib()))
            break;
        if (cycle & 1) {
            test_session(0);
        } else {
            TL_HANDLE h;
            IF_HANDLE i;
            DEV_HANDLE d;
            DS_HANDLE s;
            BUFFER_HANDLE b;
            EVENT_HANDLE e;
            OK(pTLOpen(&h));
            OK(pTLOpenInterface(h, "U3V-SIM-IF0", &i));
            OK(pIFOpenDevice(i, "U3V-SIM-40000002", DEVICE_ACCESS_CONTROL, &d));
            OK(pDevOpenDataStream(d, "Stream0", &s));
            OK(pGCRegisterEvent(s, EVENT_NEW_BUFFER, &e));
            OK(pDSAllocAndAnnounceBuffer(s, 4096, NULL, &b));
            OK(pDSQueueBuffer(s, b));
            OK(pDSStartAcquisition(s, ACQ_START_FLAGS_DEFAULT, GENTL_INFINITE));
            if (cycle == 2)
                OK(pDSClose(s)); /* close while acquiring, with announced buffers */
        }
        OK(pGCCloseLib());
    }
    dlclose(lib);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
