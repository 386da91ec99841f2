/* faults.c - faults of the camera model that are about triggers and edges, and the number lists
 * they take ("3,7": 1-based, counted since AcquisitionStart).
 *   SimFaultMissTriggers  FrameStart triggers the camera receives (a FrameTrigger counter counts
 *                         them) but exposes no frame for: a frame missing exactly there, which a
 *                         rig's matching must show as -1, never as a shifted match.
 *   SimFaultDropEdges     (wiring.c / sim.c) rising edges a cable drops before the input. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camera_internal.h"

bool faults_parse_list(const char *text, cam_number_list *out, char *why, size_t why_len)
{
    cam_number_list l;
    memset(&l, 0, sizeof l);
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p)) {
            cam_say(why, why_len, "\"%.60s\" is not a comma list of numbers from 1 (e.g. \"3,7\")", text);
            return false;
        }
        errno = 0;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v == 0 || v > UINT64_C(1) << 48) {
            cam_say(why, why_len, "\"%.60s\": numbers count from 1 (and stay below 2^48)", text);
            return false;
        }
        if (!faults_in_list(&l, v)) {
            if (l.n == CAM_NUMBER_LIST_MAX) {
                cam_say(why, why_len, "at most %u numbers", CAM_NUMBER_LIST_MAX);
                return false;
            }
            size_t i = l.n++;
            while (i > 0 && l.v[i - 1] > v) { /* kept sorted: the read-back is canonical */
                l.v[i] = l.v[i - 1];
                i--;
            }
            l.v[i] = v;
        }
        p = end;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p) {
            cam_say(why, why_len, "\"%.60s\" is not a comma list of numbers from 1 (e.g. \"3,7\")", text);
            return false;
        }
    }
    *out = l;
    return true;
}

void faults_format_list(const cam_number_list *l, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < l->n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%" PRIu64, i ? "," : "", l->v[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

bool faults_in_list(const cam_number_list *l, uint64_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == n)
            return true;
    return false;
}

cam_status faults_set_list(cam_camera *cam, cam_number_list *slot, const char *list, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam || !slot || !list)
        return CAM_ERR_PARAMETER;
    cam_number_list l;
    if (!faults_parse_list(list, &l, why, why_len))
        return CAM_ERR_VALUE;
    pthread_mutex_lock(&cam->mu);
    sim_advance(cam, cam_dev_now_locked(cam));
    *slot = l;
    cam_unlock(cam);
    return CAM_OK;
}

cam_status cam_sim_set_miss_triggers(cam_camera *cam, const char *list, char *why, size_t why_len)
{
    return faults_set_list(cam, cam ? &cam->miss_triggers : NULL, list, why, why_len);
}

void cam_sim_get_miss_triggers(cam_camera *cam, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = 0;
    if (!cam)
        return;
    pthread_mutex_lock(&cam->mu);
    faults_format_list(&cam->miss_triggers, buf, len);
    cam_unlock(cam);
}
