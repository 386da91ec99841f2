/* wiring.c - simulated cameras wired to each other (README "Cameras wired to each other").
 *
 * An input of a receiver (Line1/3/4) can follow an output line (Line2/3/4) of another camera in
 * the same process, named by its serial number.  Every level change of the source's output, as
 * its LineSource and LineInverter make it (sim_line_status), is sent with its host time (the
 * source's device time through the source's clock, plus the cable delay) into the receiver's
 * inbox; the receiver puts it on its own timeline at that host time, read on its own clock
 * (SIM_WIRE), where it passes SimFaultDropEdges, the inverter and the debouncer like any edge.
 * So a follower's timestamps are exact on its clock whenever its caller comes by.
 *
 * Locking.  Each camera's model state is under its own mu.  The registry of cameras, every
 * camera's wire settings and its inbox are under g_wire_mu, a leaf lock: it is taken inside a
 * camera's mu (source sending, receiver draining, settings written) and nothing is locked while
 * it is held.  A receiver waiting for frames sleeps on its own condvar, so a source that sent it
 * edges wakes it after releasing its own mu (cam_unlock -> wiring_wake): it takes the receiver's
 * mu only then, so two cameras wired both ways cannot deadlock, and a wake is never lost (the
 * receiver checks its inbox under its mu before sleeping).  wire_refs keeps a receiver alive
 * while it is being woken: cam_destroy waits for them.
 *
 * The source's timeline advances when it is called (its stream thread waits on it at every
 * scheduled happening), so an edge reaches the receiver within the source's scheduling latency
 * (~0.1 ms measured on an idle 2-core machine, more under load); its time stays exact. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "camera_internal.h"

#define WIRE_CAMERAS_MAX 64u

static pthread_mutex_t g_wire_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wire_cv = PTHREAD_COND_INITIALIZER; /* a camera's wire_refs dropped to 0 */
static cam_camera *g_cameras[WIRE_CAMERAS_MAX];
static size_t g_ncameras;

static bool is_input_line(unsigned line)
{
    return line == 1 || line == 3 || line == 4;
}

static bool is_output_line(unsigned line)
{
    return line >= 2 && line <= 4;
}

void wiring_register(cam_camera *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t now = cam_dev_now_locked(c);
    for (unsigned l = 2; l <= 4; l++) /* what a wired input would see now (Line2 is always an output) */
        c->wiring.out_level[l] =
            (l == 2 || GIX(c, LineMode, l - 1) == CAM_ENUM_LineMode_Output) && sim_line_status(c, l, now);
    cam_unlock(c);
    for (unsigned l = 0; l < 5; l++) {
        c->wiring.wire[l].source = CAM_LINE_SOURCE_OFF;
        c->wiring.wire[l].camera[0] = 0;
        c->wiring.wire[l].line = 2;
        c->wiring.wire[l].delay_us = 1.0;
    }
    pthread_mutex_lock(&g_wire_mu);
    if (g_ncameras < WIRE_CAMERAS_MAX)
        g_cameras[g_ncameras++] = c; /* beyond 64 cameras in a process, a camera cannot be wired */
    pthread_mutex_unlock(&g_wire_mu);
}

static void send_edge(cam_camera *src, unsigned line, bool level, uint64_t mono);

void wiring_unregister(cam_camera *c)
{
    /* unplugged: the cable carries no signal any more, so its high outputs fall now */
    pthread_mutex_lock(&c->mu);
    for (unsigned l = 2; l <= 4; l++) {
        if (c->wiring.out_level[l]) {
            c->wiring.out_level[l] = false;
            send_edge(c, l, false, cam_mono_ns());
        }
    }
    bool notify = c->wiring.notify;
    c->wiring.notify = false;
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_lock(&g_wire_mu);
    for (size_t i = 0; i < g_ncameras; i++) {
        if (g_cameras[i] == c) {
            g_cameras[i] = g_cameras[--g_ncameras];
            break;
        }
    }
    while (c->wiring.refs > 0)
        pthread_cond_wait(&g_wire_cv, &g_wire_mu);
    pthread_mutex_unlock(&g_wire_mu);
    if (notify)
        wiring_wake();
}

/* The edge leaves src at host time `mono`. */
static void send_edge(cam_camera *src, unsigned line, bool level, uint64_t mono)
{
    pthread_mutex_lock(&g_wire_mu);
    for (size_t i = 0; i < g_ncameras; i++) {
        cam_camera *r = g_cameras[i];
        for (unsigned l = 1; l <= 4; l++) {
            const cam_wire *w = &r->wiring.wire[l];
            if (w->source != CAM_LINE_SOURCE_CAMERA || w->line != line || strcmp(w->camera, src->serial) != 0)
                continue;
            if (r->wiring.inbox_n[l] == CAM_WIRE_INBOX) { /* nobody drains it: the oldest edge is lost */
                r->wiring.inbox_head[l] = (r->wiring.inbox_head[l] + 1) % CAM_WIRE_INBOX;
                r->wiring.inbox_n[l]--;
                r->wiring.inbox_overflow++;
            }
            cam_wire_edge *e = &r->wiring.inbox[l][(r->wiring.inbox_head[l] + r->wiring.inbox_n[l]) % CAM_WIRE_INBOX];
            e->mono_ns = mono + (uint64_t)llround(w->delay_us * 1000.0);
            e->level = level;
            r->wiring.inbox_n[l]++;
            r->wiring.inbox_dirty = true;
            src->wiring.notify = true;
        }
    }
    pthread_mutex_unlock(&g_wire_mu);
}

void wiring_outputs(cam_camera *c, uint64_t t)
{
    for (unsigned l = 2; l <= 4; l++) {
        bool output = GIX(c, LineMode, l - 1) == CAM_ENUM_LineMode_Output;
        bool v = output && sim_line_status(c, l, t);
        if (v != c->wiring.out_level[l]) {
            c->wiring.out_level[l] = v;
            send_edge(c, l, v, clock_mono_of_dev(c, t));
        }
    }
}

void wiring_drain(cam_camera *c)
{
    pthread_mutex_lock(&g_wire_mu);
    if (c->wiring.inbox_dirty) {
        for (unsigned l = 1; l <= 4; l++) {
            while (c->wiring.inbox_n[l]) {
                const cam_wire_edge *e = &c->wiring.inbox[l][c->wiring.inbox_head[l]];
                sim_push_wire(c, l, e->level, clock_dev_of_mono(c, e->mono_ns));
                c->wiring.inbox_head[l] = (c->wiring.inbox_head[l] + 1) % CAM_WIRE_INBOX;
                c->wiring.inbox_n[l]--;
            }
        }
        c->wiring.inbox_dirty = false;
    }
    pthread_mutex_unlock(&g_wire_mu);
}

void wiring_wake(void)
{
    cam_camera *wake[WIRE_CAMERAS_MAX];
    size_t n = 0;
    pthread_mutex_lock(&g_wire_mu);
    for (size_t i = 0; i < g_ncameras; i++) {
        if (g_cameras[i]->wiring.inbox_dirty) {
            g_cameras[i]->wiring.refs++;
            wake[n++] = g_cameras[i];
        }
    }
    pthread_mutex_unlock(&g_wire_mu);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&wake[i]->mu);
        pthread_cond_broadcast(&wake[i]->cv);
        pthread_mutex_unlock(&wake[i]->mu);
    }
    if (!n)
        return;
    pthread_mutex_lock(&g_wire_mu);
    for (size_t i = 0; i < n; i++)
        if (--wake[i]->wiring.refs == 0)
            pthread_cond_broadcast(&g_wire_cv);
    pthread_mutex_unlock(&g_wire_mu);
}

void cam_unlock(cam_camera *c)
{
    bool notify = c->wiring.notify;
    c->wiring.notify = false;
    pthread_mutex_unlock(&c->mu);
    if (notify)
        wiring_wake();
}

static bool camera_exists(const char *serial)
{
    bool found = false;
    pthread_mutex_lock(&g_wire_mu);
    for (size_t i = 0; i < g_ncameras && !found; i++)
        found = strcmp(g_cameras[i]->serial, serial) == 0;
    pthread_mutex_unlock(&g_wire_mu);
    return found;
}

/* True for an input line; else false with the reason in why. */
static bool input_line_said(unsigned line, char *why, size_t why_len)
{
    if (is_input_line(line))
        return true;
    cam_say(why, why_len, "Line%u is not an input of the camera (Line1, Line3, Line4)", line);
    return false;
}

cam_status cam_sim_set_wire(cam_camera *cam, unsigned line, const cam_wire *wire, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam || !wire)
        return CAM_ERR_PARAMETER;
    if (!input_line_said(line, why, why_len))
        return CAM_ERR_VALUE;
    if (wire->source != CAM_LINE_SOURCE_OFF && wire->source != CAM_LINE_SOURCE_CAMERA) {
        cam_say(why, why_len, "line source %d is neither Off (0) nor Camera (1)", (int)wire->source);
        return CAM_ERR_VALUE;
    }
    if (!is_output_line(wire->line)) {
        cam_say(why, why_len, "Line%u is not an output a camera can drive (Line2, Line3, Line4)", wire->line);
        return CAM_ERR_VALUE;
    }
    if (!isfinite(wire->delay_us) || wire->delay_us < 0 || wire->delay_us > CAM_WIRE_DELAY_MAX_US) {
        cam_say(why, why_len, "delay %g us is outside 0..%g us", wire->delay_us, CAM_WIRE_DELAY_MAX_US);
        return CAM_ERR_VALUE;
    }
    if (!memchr(wire->camera, 0, sizeof wire->camera)) {
        cam_say(why, why_len, "the serial number is longer than %zu characters", sizeof wire->camera - 1);
        return CAM_ERR_VALUE;
    }
    if (wire->camera[0] && !camera_exists(wire->camera)) {
        cam_say(why, why_len, "no simulated camera with serial number \"%s\" in this process", wire->camera);
        return CAM_ERR_VALUE;
    }
    pthread_mutex_lock(&cam->mu);
    uint64_t now = cam_dev_now_locked(cam);
    sim_advance(cam, now);
    bool was_wired = cam->wiring.wire[line].source == CAM_LINE_SOURCE_CAMERA;
    pthread_mutex_lock(&g_wire_mu);
    cam->wiring.wire[line] = *wire;
    if (wire->source != CAM_LINE_SOURCE_CAMERA || !was_wired) {
        cam->wiring.inbox_n[line] = 0; /* edges of a former wire still on their way are gone with it */
        cam->wiring.inbox_head[line] = 0;
    }
    pthread_mutex_unlock(&g_wire_mu);
    /* the input starts low when wired or unwired: it follows the source's edges from now on */
    if (cam->raw[line] && (was_wired || wire->source == CAM_LINE_SOURCE_CAMERA))
        sim_raw_level(cam, line, false, now);
    pthread_cond_broadcast(&cam->cv);
    cam_unlock(cam);
    return CAM_OK;
}

cam_status cam_sim_get_wire(cam_camera *cam, unsigned line, cam_wire *wire)
{
    if (!cam || !wire)
        return CAM_ERR_PARAMETER;
    if (!is_input_line(line))
        return CAM_ERR_VALUE;
    pthread_mutex_lock(&cam->mu);
    *wire = cam->wiring.wire[line];
    pthread_mutex_unlock(&cam->mu);
    return CAM_OK;
}

cam_status cam_sim_set_drop_edges(cam_camera *cam, unsigned line, const char *list, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam || !list)
        return CAM_ERR_PARAMETER;
    if (!input_line_said(line, why, why_len))
        return CAM_ERR_VALUE;
    return faults_set_list(cam, &cam->drop_edges[line], list, why, why_len);
}

void cam_sim_get_drop_edges(cam_camera *cam, unsigned line, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = 0;
    if (!cam || !is_input_line(line))
        return;
    pthread_mutex_lock(&cam->mu);
    faults_format_list(&cam->drop_edges[line], buf, len);
    pthread_mutex_unlock(&cam->mu);
}
