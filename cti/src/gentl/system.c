/* system.c - global state, library init/close, simulated cameras and the System module. */
#define _GNU_SOURCE
#include "system.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "event.h"
#include "handles.h"
#include "info.h"
#include "interface.h"
#include "port.h"

gt_global g_gt = {
    .api = PTHREAD_MUTEX_INITIALIZER,
    .data = PTHREAD_MUTEX_INITIALIZER,
    .model_cond = PTHREAD_COND_INITIALIZER,
};

/* --- Locking helpers ------------------------------------------------------------------ */

GC_ERROR gt_begin(void)
{
    pthread_mutex_lock(&g_gt.api);
    pthread_mutex_lock(&g_gt.data);
    if (!g_gt.initialized) {
        pthread_mutex_unlock(&g_gt.data);
        pthread_mutex_unlock(&g_gt.api);
        return gt_fail(GC_ERR_NOT_INITIALIZED, "GCInitLib has not been called");
    }
    return GC_ERR_SUCCESS;
}

void gt_end(void)
{
    pthread_mutex_unlock(&g_gt.data);
    pthread_mutex_unlock(&g_gt.api);
}

GC_ERROR gt_begin_data(void)
{
    pthread_mutex_lock(&g_gt.data);
    if (!g_gt.initialized) {
        pthread_mutex_unlock(&g_gt.data);
        return gt_fail(GC_ERR_NOT_INITIALIZED, "GCInitLib has not been called");
    }
    return GC_ERR_SUCCESS;
}

void gt_end_data(void) { pthread_mutex_unlock(&g_gt.data); }

void gt_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

uint64_t gt_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

bool gt_deadline(struct timespec *ts, uint64_t timeout_ms)
{
    /* More than ~30 years counts as forever (and avoids time_t overflow). */
    if (timeout_ms == GENTL_INFINITE || timeout_ms > UINT64_C(1000000000000))
        return false;
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(timeout_ms / 1000);
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
    return true;
}

bool gt_cond_wait_until(pthread_cond_t *c, const struct timespec *deadline)
{
    if (!deadline) {
        pthread_cond_wait(c, &g_gt.data);
        return true;
    }
    return pthread_cond_timedwait(c, &g_gt.data, deadline) != ETIMEDOUT;
}

/* --- Library identity ------------------------------------------------------------------ */

static char s_path[4096];

const char *gt_lib_path(void)
{
    if (!s_path[0]) {
        Dl_info info;
        memset(&info, 0, sizeof info);
        char *abs = NULL;
        if (dladdr((void *)(uintptr_t)&gt_lib_path, &info) && info.dli_fname &&
            (abs = realpath(info.dli_fname, NULL)) != NULL)
            snprintf(s_path, sizeof s_path, "%s", abs);
        else if (info.dli_fname)
            snprintf(s_path, sizeof s_path, "%s", info.dli_fname);
        else
            snprintf(s_path, sizeof s_path, "ace_gentl_sim.cti");
        free(abs);
    }
    return s_path;
}

const char *gt_lib_name(void)
{
    const char *p = gt_lib_path();
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}

/* --- Simulated cameras --------------------------------------------------------------- */

static size_t camera_count_from_env(void)
{
    const char *s = getenv("ACE_SIM_CAMERAS");
    if (!s || !*s)
        return 1;
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end == s)
        return 1;
    if (n < 1)
        n = 1;
    if (n > GT_MAX_CAMERAS)
        n = GT_MAX_CAMERAS;
    return (size_t)n;
}

/* The model's pending log line (damaged state file, failed state write, ...) goes to stderr,
 * once: cam_take_log clears it. */
void gt_camslot_log(gt_camslot *slot)
{
    if (!slot || !slot->cam)
        return;
    char line[600];
    cam_take_log(slot->cam, line, sizeof line);
    if (line[0])
        fprintf(stderr, "ace_gentl_sim: %s\n", line);
}

/* --- The served description file at power-up ----------------------------------------------- */

bool gt_powerup_path(const gt_camslot *slot, char *buf, size_t len)
{
    char dir[1024];
    gt_state_dir(dir, sizeof dir);
    int n = snprintf(buf, len, "%s/%s.powerup", dir, slot->serial);
    return n > 0 && (size_t)n < len;
}

static void describe_xml(const gt_devxml *x, char *buf, size_t len)
{
    if (!x)
        snprintf(buf, len, "the simulator's own XML");
    else
        snprintf(buf, len, "%s (%zu bytes; %s)", x->filename, x->len,
                 x->model_layout ? "the simulator's ProductGuid: the camera model's registers" : "register memory");
}

void gt_camslot_boot(gt_camslot *s)
{
    gt_devxml_free(s->boot);
    s->boot = NULL;
    s->boot_error[0] = 0;
    char why[600], what[400];
    const char *env = getenv("ACE_SIM_DEVICE_XML");
    if (env && *env) {
        s->boot = gt_devxml_load(env, why, sizeof why);
        if (!s->boot) {
            snprintf(s->boot_error, sizeof s->boot_error, "ACE_SIM_DEVICE_XML=%.700s: %.500s", env, why);
            snprintf(s->boot_origin, sizeof s->boot_origin, "%.1300s (every open fails until it is fixed or unset)",
                     s->boot_error);
            fprintf(stderr, "ace_gentl_sim: %s: %s\n", s->id, s->boot_error);
            return;
        }
        describe_xml(s->boot, what, sizeof what);
        snprintf(s->boot_origin, sizeof s->boot_origin, "%s from ACE_SIM_DEVICE_XML=%.900s", what, env);
        return; /* the variable wins over a saved power-up state, which stays saved */
    }
    char path[1200];
    gt_devxml *x = NULL;
    char note[256];
    int r = gt_powerup_path(s, path, sizeof path) ? gt_powerup_load(path, &x, note, sizeof note, why, sizeof why) : 0;
    if (r < 0) {
        fprintf(stderr, "ace_gentl_sim: %s: the power-up state %s is damaged (%s); serving the simulator's own XML\n",
                s->id, path, why);
        snprintf(s->boot_origin, sizeof s->boot_origin, "the simulator's own XML (the power-up state %.900s is "
                 "damaged: %.300s)", path, why);
        return;
    }
    if (r == 0) {
        snprintf(s->boot_origin, sizeof s->boot_origin, "the simulator's own XML");
        return;
    }
    s->boot = x;
    bool settings = cam_powerup_apply(s->cam);
    describe_xml(x, what, sizeof what);
    snprintf(s->boot_origin, sizeof s->boot_origin, "%s%s, from the power-up state %.700s%s%.250s", what,
             settings ? " with saved settings" : "", path, note[0] ? ": " : "", note);
}

static void unplug_restore(gt_camslot *slot);

GC_ERROR gt_cameras_create(void)
{
    g_gt.ncams = camera_count_from_env();
    for (size_t i = 0; i < g_gt.ncams; i++) {
        gt_camslot *s = &g_gt.cams[i];
        memset(s, 0, sizeof *s);
        snprintf(s->serial, sizeof s->serial, "%08u", 40000001u + (unsigned)i);
        snprintf(s->id, sizeof s->id, "U3V-SIM-%s", s->serial);
        s->lock_fd = -1;
        s->cam = cam_create(s->serial);
        if (!s->cam) {
            gt_cameras_destroy();
            return gt_fail(GC_ERR_OUT_OF_MEMORY, "GCInitLib: cannot create the simulated cameras");
        }
        gt_camslot_boot(s);
        gt_camslot_log(s);
        unplug_restore(s);
    }
    return GC_ERR_SUCCESS;
}

void gt_cameras_destroy(void)
{
    for (size_t i = 0; i < GT_MAX_CAMERAS; i++) {
        gt_camslot_log(&g_gt.cams[i]);
        if (g_gt.cams[i].cam)
            gt_camslot_release(&g_gt.cams[i]);
        if (g_gt.cams[i].cam)
            cam_destroy(g_gt.cams[i].cam);
        gt_devxml_free(g_gt.cams[i].boot);
        gt_devxml_free(g_gt.cams[i].chosen);
        memset(&g_gt.cams[i], 0, sizeof g_gt.cams[i]);
    }
    g_gt.ncams = 0;
}

gt_camslot *gt_camslot_by_id(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < g_gt.ncams; i++)
        if (strcmp(g_gt.cams[i].id, id) == 0)
            return &g_gt.cams[i];
    return NULL;
}

/* --- Cross-process access ---------------------------------------------------------------
 * A camera opened by one process is busy for every other process.  IFOpenDevice takes an
 * exclusive flock() on $STATE/locks/<serial>.lock (STATE = ACE_SIM_STATE_DIR, else
 * $XDG_CACHE_HOME/ace_gentl_sim, else ~/.cache/ace_gentl_sim) and writes its PID into the file;
 * DevClose closes the file.  The kernel drops the lock when the process dies, even by kill -9,
 * so a crashed holder never leaves the camera busy.  Other processes probe the lock with a
 * non-blocking shared flock. */
void gt_state_dir(char *buf, size_t len)
{
    const char *st = getenv("ACE_SIM_STATE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (st && *st)
        snprintf(buf, len, "%s", st);
    else if (xdg && *xdg)
        snprintf(buf, len, "%s/ace_gentl_sim", xdg);
    else if (home && *home)
        snprintf(buf, len, "%s/.cache/ace_gentl_sim", home);
    else
        snprintf(buf, len, "/tmp/ace_gentl_sim-%ld", (long)getuid());
}

static bool lock_path(const gt_camslot *slot, char *buf, size_t len, bool create_dirs)
{
    char dir[1024];
    gt_state_dir(dir, sizeof dir);
    if (create_dirs) {
        /* mkdir -p dir/locks */
        char tmp[1100];
        int n = snprintf(tmp, sizeof tmp, "%s/locks", dir);
        if (n < 0 || (size_t)n >= sizeof tmp)
            return false;
        for (char *p = tmp + 1; *p; p++) {
            if (*p == '/') {
                *p = 0;
                (void)mkdir(tmp, 0777);
                *p = '/';
            }
        }
        (void)mkdir(tmp, 0777);
    }
    int n = snprintf(buf, len, "%s/locks/%s.lock", dir, slot->serial);
    return n > 0 && (size_t)n < len;
}

/* PID of another process holding the camera, or 0 when it is free. */
static long camslot_holder_elsewhere(const gt_camslot *slot)
{
    if (slot->lock_fd >= 0)
        return 0; /* we hold it */
    char path[1200];
    if (!lock_path(slot, path, sizeof path, false))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* no lock file: nobody ever opened it */
    long pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
    } else if (errno == EWOULDBLOCK) {
        char txt[32];
        ssize_t n = pread(fd, txt, sizeof txt - 1, 0);
        txt[n > 0 ? n : 0] = 0;
        pid = strtol(txt, NULL, 10);
        if (pid <= 0)
            pid = -1; /* busy, holder unknown */
    }
    close(fd);
    return pid;
}

static bool camslot_busy_elsewhere(const gt_camslot *slot)
{
    return camslot_holder_elsewhere(slot) != 0;
}

bool gt_camslot_claim(gt_camslot *slot)
{
    if (slot->lock_fd >= 0)
        return true;
    char path[1200];
    if (!lock_path(slot, path, sizeof path, true)) {
        gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s: the lock file path is too long", slot->id);
        return false;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        /* no place for the lock (read-only folder...): the camera still works in this process */
        return true;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char txt[32];
        ssize_t n = pread(fd, txt, sizeof txt - 1, 0);
        txt[n > 0 ? n : 0] = 0;
        long pid = strtol(txt, NULL, 10);
        close(fd);
        if (pid > 0)
            gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process (PID %ld)", slot->id, pid);
        else
            gt_failf(GC_ERR_ACCESS_DENIED, "IFOpenDevice: %s is in use by another process", slot->id);
        return false;
    }
    char txt[32];
    int n = snprintf(txt, sizeof txt, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && n > 0)
        (void)!pwrite(fd, txt, (size_t)n, 0);
    slot->lock_fd = fd;
    return true;
}

void gt_camslot_release(gt_camslot *slot)
{
    if (slot->lock_fd >= 0) {
        (void)!ftruncate(slot->lock_fd, 0);
        close(slot->lock_fd); /* drops the flock */
        slot->lock_fd = -1;
    }
}

DEVICE_ACCESS_STATUS gt_camslot_access_status(const gt_camslot *slot)
{
    if (slot->gone)
        return DEVICE_ACCESS_STATUS_NOACCESS;
    if (slot->open_dev)
        return slot->open_dev->access == DEVICE_ACCESS_READONLY ? DEVICE_ACCESS_STATUS_OPEN_READONLY
                                                                : DEVICE_ACCESS_STATUS_OPEN_READWRITE;
    if (camslot_busy_elsewhere(slot))
        return DEVICE_ACCESS_STATUS_BUSY;
    return DEVICE_ACCESS_STATUS_READWRITE;
}

long gt_camslot_holder_pid(const gt_camslot *slot)
{
    return camslot_holder_elsewhere(slot);
}

/* --- Simulated unplug / replug ------------------------------------------------------------ */

#define GT_EVENT_ID_DEVICE_LOST 0x9FFFu

void gt_camslot_disconnect(gt_camslot *slot)
{
    if (slot->gone)
        return;
    slot->gone = true;
    /* the camera stops (AcquisitionStop, as if its power was cut) */
    uint32_t one = 1;
    char why[128];
    (void)cam_write(slot->cam, GT_CAM_ADDR_ACQUISITION_STOP, &one, sizeof one, why, sizeof why);
    gt_device *dev = slot->open_dev;
    if (!dev)
        return;
    /* device-lost EVENT_MODULE on the Device module: a U3V event message with event ID 0x9FFF
     * (device-specific range; no node of the camera XML listens to it) */
    uint8_t m[24];
    memset(m, 0, sizeof m);
    uint64_t ts = cam_now_ns(slot->cam);
    m[0] = 0x55; m[1] = 0x33; m[2] = 0x56; m[3] = 0x45; /* 'U3VE' */
    m[6] = 0x00; m[7] = 0x0C;                           /* EVENT_CMD 0x0C00 */
    m[8] = 12;                                          /* scd_length */
    m[12] = 12;                                         /* event_size */
    m[14] = (uint8_t)(GT_EVENT_ID_DEVICE_LOST & 0xFF);
    m[15] = (uint8_t)(GT_EVENT_ID_DEVICE_LOST >> 8);
    for (int i = 0; i < 8; i++)
        m[16 + i] = (uint8_t)(ts >> (8 * i));
    gt_event_post(&dev->hdr, EVENT_MODULE, m, sizeof m);
}

/* An unplugged camera stays unplugged for every load of the producer until its replug time:
 * <state>/<serial>.unplugged holds that time (CLOCK_REALTIME ns, one decimal line), so that a
 * consumer that unloads the producer to look for the camera again (Harvesters through ace_gentl
 * does) does not find it powered up at once, nor does another process.  `ace-gentl sim reset`
 * removes the file. */
#define GT_UNPLUG_MAX_NS (UINT64_C(3600000) * UINT64_C(1000000)) /* SimFaultReplugAfterMs max */

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static bool unplug_path(const gt_camslot *slot, char *buf, size_t len)
{
    char dir[1024];
    gt_state_dir(dir, sizeof dir);
    int n = snprintf(buf, len, "%s/%s.unplugged", dir, slot->serial);
    return n > 0 && (size_t)n < len;
}

static void unplug_save(const gt_camslot *slot, uint64_t back_real)
{
    char path[1200], tmp[1300];
    if (!unplug_path(slot, path, sizeof path))
        return;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return; /* no state folder: the unplug lasts only while the producer stays loaded */
    bool ok = fprintf(f, "%llu\n", (unsigned long long)back_real) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        (void)remove(tmp);
}

static void unplug_forget(const gt_camslot *slot)
{
    char path[1200];
    if (unplug_path(slot, path, sizeof path))
        (void)remove(path);
}

/* At camera creation: still unplugged by an earlier load (or process)? */
static void unplug_restore(gt_camslot *slot)
{
    char path[1200];
    if (!unplug_path(slot, path, sizeof path))
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    unsigned long long back = 0;
    bool ok = fscanf(f, "%llu", &back) == 1;
    fclose(f);
    uint64_t now = real_ns();
    if (!ok || back <= now || back - now > GT_UNPLUG_MAX_NS) { /* back already, or not a time of ours */
        (void)remove(path);
        return;
    }
    slot->gone = true;
    slot->unplugged = true;
    slot->replug_at = gt_mono_ns() + (back - now);
}

/* SimFaultUnplugAfterMs: timed from AcquisitionStart, because a recording's settings and
 * buffers take a varying time before it (measured 0.1-0.5 s through Harvesters): "1000 ms" then
 * means ~1 s of frames, whatever the setup took.  One shot: a re-plugged camera stays. */
void gt_camslot_acquisition_started(gt_camslot *slot)
{
    if (slot->fault_unplug_ms > 0 && !slot->gone)
        slot->unplug_at = gt_mono_ns() + (uint64_t)slot->fault_unplug_ms * UINT64_C(1000000);
}

bool gt_camslot_check_unplug(gt_camslot *slot)
{
    if (slot->unplug_at && !slot->gone && gt_mono_ns() >= slot->unplug_at) {
        slot->unplug_at = 0;
        slot->fault_unplug_ms = 0;
        slot->unplugged = true;
        uint64_t away = (uint64_t)slot->fault_replug_ms * UINT64_C(1000000);
        slot->replug_at = gt_mono_ns() + away;
        unplug_save(slot, real_ns() + away);
        gt_camslot_disconnect(slot);
    }
    return slot->gone;
}

bool gt_camslot_listed(gt_camslot *slot)
{
    (void)gt_camslot_check_unplug(slot);
    return !(slot->gone && slot->unplugged); /* pulled out: gone from the bus, not just unreachable */
}

/* The simulation settings of the camera that a power cycle keeps (they are the bench's, not the
 * camera's): its wiring, its clock's oscillator, the trigger and edge faults. */
static void carry_over(cam_camera *from, cam_camera *to, const gt_camslot *slot)
{
    static const unsigned inputs[] = {1, 3, 4};
    char why[256], list[1024];
    for (size_t i = 0; i < 3; i++) {
        cam_wire w;
        if (cam_sim_get_wire(from, inputs[i], &w) == CAM_OK)
            (void)cam_sim_set_wire(to, inputs[i], &w, why, sizeof why);
        cam_sim_get_drop_edges(from, inputs[i], list, sizeof list);
        (void)cam_sim_set_drop_edges(to, inputs[i], list, why, sizeof why);
    }
    cam_sim_get_miss_triggers(from, list, sizeof list);
    (void)cam_sim_set_miss_triggers(to, list, why, sizeof why);
    if (slot->clock_set)
        (void)cam_clock_set(to, slot->clock_drift_ppm, slot->clock_offset_ns, why, sizeof why);
}

bool gt_cameras_replug(void)
{
    bool changed = false;
    for (size_t i = 0; i < g_gt.ncams; i++) {
        gt_camslot *s = &g_gt.cams[i];
        (void)gt_camslot_check_unplug(s);
        if (!s->gone || s->open_dev)
            continue;
        if (s->unplugged && gt_mono_ns() < s->replug_at)
            continue; /* SimFaultReplugAfterMs: not back yet */
        /* EVENT_REMOTE_DEVICE waiters of the closed device may still sit in cam_wait_event */
        while (g_gt.model_waiters > 0)
            pthread_cond_wait(&g_gt.model_cond, &g_gt.data);
        /* re-plugged: the camera powers up fresh (UserSetDefault and saved state apply again) */
        cam_camera *fresh = cam_create(s->serial);
        if (!fresh)
            continue;
        gt_camslot_log(s);
        carry_over(s->cam, fresh, s);
        cam_destroy(s->cam);
        s->cam = fresh;
        gt_camslot_boot(s); /* powered up again: the power-up choice, and fresh register memory */
        gt_devxml_free(s->chosen);
        s->chosen = NULL;
        gt_camslot_log(s);
        cam_set_unthrottled(fresh, s->unthrottled);
        s->gone = false;
        s->fault_disconnect = 0; /* otherwise it would be unplugged again at once */
        s->disc_count = 0;
        if (s->unplugged)
            unplug_forget(s);
        s->unplugged = false;
        s->replug_at = 0;
        changed = true;
    }
    return changed;
}

/* --- Init / close --------------------------------------------------------------------- */

GC_ERROR gt_lib_init(void)
{
    pthread_mutex_lock(&g_gt.api);
    pthread_mutex_lock(&g_gt.data);
    GC_ERROR e = GC_ERR_SUCCESS;
    if (g_gt.initialized) {
        e = gt_fail(GC_ERR_RESOURCE_IN_USE, "GCInitLib: the library is already initialised");
        goto out;
    }
    (void)gt_lib_path();
    e = gt_cameras_create();
    if (e != GC_ERR_SUCCESS)
        goto out;
    e = gt_module_xml_build_all();
    if (e != GC_ERR_SUCCESS) {
        gt_cameras_destroy();
        goto out;
    }
    g_gt.initialized = true;
out:
    pthread_mutex_unlock(&g_gt.data);
    pthread_mutex_unlock(&g_gt.api);
    return e;
}

GC_ERROR gt_lib_close(void)
{
    GC_ERROR e = gt_begin();
    if (e != GC_ERR_SUCCESS)
        return e;
    if (g_gt.tl)
        gt_system_close(g_gt.tl);
    /* EVENT_REMOTE_DEVICE waiters inside cam_wait_event (data released) see their event dead
     * within one wait slice; the cameras must outlive them. */
    while (g_gt.model_waiters > 0)
        pthread_cond_wait(&g_gt.model_cond, &g_gt.data);
    gt_cameras_destroy();
    gt_module_xml_free_all();
    gt_handle_clear();
    g_gt.initialized = false;
    gt_end();
    return GC_ERR_SUCCESS;
}

/* --- System module ------------------------------------------------------------------- */

GC_ERROR gt_tl_info(TL_INFO_CMD cmd, INFO_DATATYPE *piType, void *pBuffer, size_t *piSize)
{
    switch (cmd) {
    case TL_INFO_ID: return gt_info_string(GT_TL_ID, piType, pBuffer, piSize);
    case TL_INFO_VENDOR: return gt_info_string(GT_TL_VENDOR, piType, pBuffer, piSize);
    case TL_INFO_MODEL: return gt_info_string(GT_TL_MODEL, piType, pBuffer, piSize);
    case TL_INFO_VERSION: return gt_info_string(GT_TL_VERSION, piType, pBuffer, piSize);
    case TL_INFO_TLTYPE: return gt_info_string(GT_TL_TYPE, piType, pBuffer, piSize);
    case TL_INFO_NAME: return gt_info_string(gt_lib_name(), piType, pBuffer, piSize);
    case TL_INFO_PATHNAME: return gt_info_string(gt_lib_path(), piType, pBuffer, piSize);
    case TL_INFO_DISPLAYNAME: return gt_info_string("Simulated Basler ace U3V (ace_gentl_sim)", piType, pBuffer, piSize);
    case TL_INFO_CHAR_ENCODING: return gt_info_int32(TL_CHAR_ENCODING_ASCII, piType, pBuffer, piSize);
    case TL_INFO_GENTL_VER_MAJOR: return gt_info_uint32(GENTL_MAJOR_VERSION, piType, pBuffer, piSize);
    case TL_INFO_GENTL_VER_MINOR: return gt_info_uint32(GENTL_MINOR_VERSION, piType, pBuffer, piSize);
    default: return gt_failf(GC_ERR_NOT_IMPLEMENTED, "TL info command %d is not implemented", (int)cmd);
    }
}

GC_ERROR gt_tl_open(gt_system **out)
{
    if (g_gt.tl)
        return gt_fail(GC_ERR_RESOURCE_IN_USE, "TLOpen: the system module is already open");
    gt_system *tl = calloc(1, sizeof *tl);
    if (!tl)
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "TLOpen: out of memory");
    tl->hdr.kind = GT_TL;
    if (!gt_handle_add(&tl->hdr)) {
        free(tl);
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "TLOpen: out of memory");
    }
    g_gt.tl = tl;
    *out = tl;
    return GC_ERR_SUCCESS;
}

void gt_event_drop_all(gt_obj *src); /* event.c */

void gt_system_close(gt_system *tl)
{
    if (tl->iface)
        gt_iface_close(tl->iface);
    gt_event_drop_all(&tl->hdr);
    gt_handle_remove(&tl->hdr);
    if (g_gt.tl == tl)
        g_gt.tl = NULL;
    free(tl);
}

GC_ERROR gt_tl_num_interfaces(gt_system *tl, uint32_t *n)
{
    (void)tl;
    *n = 1;
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_tl_interface_id(gt_system *tl, uint32_t index, char *sID, size_t *piSize)
{
    (void)tl;
    if (index != 0)
        return gt_failf(GC_ERR_INVALID_INDEX, "TLGetInterfaceID: index %u, there is 1 interface", index);
    return gt_string_out(GT_IF_ID, sID, piSize, "TLGetInterfaceID");
}

GC_ERROR gt_tl_interface_info(gt_system *tl, const char *id, INTERFACE_INFO_CMD cmd, INFO_DATATYPE *piType,
                              void *pBuffer, size_t *piSize)
{
    (void)tl;
    if (strcmp(id, GT_IF_ID) != 0)
        return gt_failf(GC_ERR_INVALID_ID, "unknown interface ID \"%.100s\"", id);
    return gt_iface_info_static(cmd, piType, pBuffer, piSize);
}

GC_ERROR gt_tl_update_interfaces(gt_system *tl, bool8_t *pbChanged, uint64_t timeout)
{
    (void)tl;
    (void)timeout; /* the one simulated interface is always present */
    if (pbChanged)
        *pbChanged = 0;
    return GC_ERR_SUCCESS;
}

/* Feature table of the System module. */
enum { SF_VENDOR, SF_MODEL, SF_ID, SF_VERSION, SF_PATH, SF_TYPE, SF_VMAJ, SF_VMIN, SF_UPDATE, SF_SEL, SF_IFID,
       SF_IFTYPE };

const char *const gt_tltype_entries[] = {"Mixed", "Custom", "GEV", "CL", "IIDC", "UVC", "CXP", "CLHS", "U3V",
                                         "Ethernet", "PCI", NULL};
#define TLTYPE_U3V_VALUE 8

static const gt_feature sys_features[] = {
    {SF_VENDOR, "TLVendorName", GF_STRING, 64, false, "SystemInformation", "Name of the GenTL producer vendor.", NULL, 0, 0, false},
    {SF_MODEL, "TLModelName", GF_STRING, 128, false, "SystemInformation", "Name of the GenTL producer.", NULL, 0, 0, false},
    {SF_ID, "TLID", GF_STRING, 64, false, "SystemInformation", "Unique identifier of the GenTL producer.", NULL, 0, 0, false},
    {SF_VERSION, "TLVersion", GF_STRING, 64, false, "SystemInformation", "Version of the GenTL producer.", NULL, 0, 0, false},
    {SF_PATH, "TLPath", GF_STRING, 1024, false, "SystemInformation", "Full path of the GenTL producer file.", NULL, 0, 0, false},
    {SF_TYPE, "TLType", GF_ENUM, 8, false, "SystemInformation", "Transport layer type.", gt_tltype_entries, 0, 0, false},
    {SF_VMAJ, "GenTLVersionMajor", GF_INT, 8, false, "SystemInformation", "Major version of the GenTL standard implemented.", NULL, 0, 0, false},
    {SF_VMIN, "GenTLVersionMinor", GF_INT, 8, false, "SystemInformation", "Minor version of the GenTL standard implemented.", NULL, 0, 0, false},
    {SF_UPDATE, "InterfaceUpdateList", GF_CMD, 8, true, "InterfaceEnumeration", "Updates the internal interface list.", NULL, 0, 0, false},
    {SF_SEL, "InterfaceSelector", GF_INT, 8, true, "InterfaceEnumeration", "Selects the interface.", NULL, 0, 0, false},
    {SF_IFID, "InterfaceID", GF_STRING, 64, false, "InterfaceEnumeration", "ID of the selected interface.", NULL, 0, 0, false},
    {SF_IFTYPE, "InterfaceType", GF_ENUM, 8, false, "InterfaceEnumeration", "Transport layer type of the selected interface.", gt_tltype_entries, 0, 0, false},
};

static GC_ERROR sys_get(gt_obj *obj, int id, int64_t *iv, char *sv, size_t sl)
{
    gt_system *tl = (gt_system *)obj;
    switch (id) {
    case SF_VENDOR: snprintf(sv, sl, "%s", GT_TL_VENDOR); break;
    case SF_MODEL: snprintf(sv, sl, "%s", GT_TL_MODEL); break;
    case SF_ID: snprintf(sv, sl, "%s", GT_TL_ID); break;
    case SF_VERSION: snprintf(sv, sl, "%s", GT_TL_VERSION); break;
    case SF_PATH: snprintf(sv, sl, "%s", gt_lib_path()); break;
    case SF_TYPE: *iv = TLTYPE_U3V_VALUE; break;
    case SF_VMAJ: *iv = GENTL_MAJOR_VERSION; break;
    case SF_VMIN: *iv = GENTL_MINOR_VERSION; break;
    case SF_SEL: *iv = tl->iface_selector; break;
    case SF_IFID: snprintf(sv, sl, "%s", GT_IF_ID); break;
    case SF_IFTYPE: *iv = TLTYPE_U3V_VALUE; break;
    default: *iv = 0; break;
    }
    return GC_ERR_SUCCESS;
}

static GC_ERROR sys_set(gt_obj *obj, int id, int64_t v)
{
    gt_system *tl = (gt_system *)obj;
    if (id == SF_SEL)
        tl->iface_selector = v;
    /* SF_UPDATE: nothing to rediscover */
    return GC_ERR_SUCCESS;
}

const gt_module_desc gt_system_desc = {
    .kind = GT_TL,
    .module_name = "TLSystem",
    .port_name = "TLPort",
    .xml_filename = "ace_gentl_sim_System.xml",
    .xml_model_name = "AceGenTLSimSystem",
    .product_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7B01",
    .version_guid = "7A1C2E40-5B3D-4F61-9C2A-0D1E5F6A7C01",
    .features = sys_features,
    .nfeatures = sizeof sys_features / sizeof sys_features[0],
    .get = sys_get,
    .set = sys_set,
};
