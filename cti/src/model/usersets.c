/* usersets.c - user sets and the persistent state file.
 *
 * A user set holds every writable configuration register (access RW, not a command, not computed),
 * all elements of selector-indexed ones, except TLParamsLocked, UserSetSelector, UserSetDefault and
 * DeviceUserID.  Factory sets: Default = the table's defaults; HighGain = Default with Gain
 * CAM_A_HIGH_GAIN_DB; AutoFunctions = Default with ExposureAuto and GainAuto Continuous.
 *
 * State file: $ACE_SIM_STATE_DIR (else $XDG_CACHE_HOME/ace_gentl_sim, else ~/.cache/ace_gentl_sim)
 * /<serial>.state, text, written to a temporary file and renamed into place:
 *   ace_gentl_sim state 1
 *   DeviceUserID <hex bytes>
 *   UserSetDefault <entry name>
 *   set UserSet1            (one block per saved set; "set PowerUp" for the power-up settings)
 *   <Feature>[<index>] <value>   ints decimal, floats %.17g
 *   endset
 *   end
 * Anything unexpected (wrong header or version, unknown feature, value out of range, missing end)
 * makes the whole file count as damaged: factory values, and one line through cam_take_log(). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "camera_internal.h"

#define STATE_MAGIC "ace_gentl_sim state"
#define STATE_VERSION 1
#define US_USER1 CAM_ENUM_UserSetSelector_UserSet1

static size_t store_size(cam_camera *c)
{
    const cam_reg_desc *d = &cam_reg_table[CAM_REG_COUNT - 1];
    return c->regs.offset[CAM_REG_COUNT - 1] + (size_t)d->stride * (d->count - 1) + d->length;
}

static bool member(int id)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    if (d->access != CAM_ACC_RW || d->type == CAM_T_COMMAND || (d->flags & CAM_F_DERIVED))
        return false;
    return id != CAM_REG_TLParamsLocked && id != CAM_REG_UserSetSelector && id != CAM_REG_UserSetDefault &&
           id != CAM_REG_DeviceUserID;
}

static size_t span(int id)
{
    const cam_reg_desc *d = &cam_reg_table[id];
    return (size_t)d->stride * (d->count - 1) + d->length;
}

void usersets_factory(cam_camera *c, int64_t which, uint8_t *store)
{
    cam_regmap tmp;
    if (!regmap_init(&tmp))
        return;
    if (which == CAM_ENUM_UserSetSelector_HighGain)
        regmap_set_float(&tmp, CAM_REG_Gain, 0, CAM_A_HIGH_GAIN_DB);
    if (which == CAM_ENUM_UserSetSelector_AutoFunctions) {
        regmap_set_int(&tmp, CAM_REG_ExposureAuto, 0, CAM_ENUM_ExposureAuto_Continuous);
        regmap_set_int(&tmp, CAM_REG_GainAuto, 0, CAM_ENUM_GainAuto_Continuous);
    }
    memcpy(store, tmp.store, store_size(c));
    regmap_free(&tmp);
}

/* Copy the set's members from src into the live registers. */
static void apply(cam_camera *c, const uint8_t *src)
{
    for (int id = 0; id < CAM_REG_COUNT; id++)
        if (member(id))
            memcpy(c->regs.store + c->regs.offset[id], src + c->regs.offset[id], span(id));
    uint64_t now = cam_dev_now_locked(c);
    for (unsigned l = 1; l <= 4; l++)
        sim_line_changed(c, l, now);
    sim_after_change(c, now);
}

static cam_status load_set(cam_camera *c, int64_t which, char *why, size_t why_len)
{
    if (c->acquiring || GI(c, TLParamsLocked)) {
        cam_say(why, why_len, "UserSetLoad: not allowed while streaming (%s); stop acquisition first",
                c->acquiring ? "acquisition is running" : "TLParamsLocked = 1");
        return CAM_ERR_ACCESS;
    }
    size_t n = store_size(c);
    uint8_t *buf = malloc(n);
    if (!buf) {
        cam_say(why, why_len, "UserSetLoad: out of memory");
        return CAM_ERR_STATE;
    }
    if (which >= US_USER1 && c->usersets.user_set[which - US_USER1])
        memcpy(buf, c->usersets.user_set[which - US_USER1], n);
    else
        usersets_factory(c, which >= US_USER1 ? CAM_ENUM_UserSetSelector_Default : which, buf);
    apply(c, buf);
    free(buf);
    return CAM_OK;
}

static cam_status save_set(cam_camera *c, int64_t which, char *why, size_t why_len)
{
    if (which < US_USER1) {
        cam_say(why, why_len, "UserSetSave: %s is a factory set and cannot be overwritten; select UserSet1, "
                "UserSet2 or UserSet3", cam_reg_table[CAM_REG_UserSetSelector].entries[which].name);
        return CAM_ERR_ACCESS;
    }
    size_t n = store_size(c);
    uint8_t **slot = &c->usersets.user_set[which - US_USER1];
    if (!*slot && !(*slot = malloc(n))) {
        cam_say(why, why_len, "UserSetSave: out of memory");
        return CAM_ERR_STATE;
    }
    memcpy(*slot, c->regs.store, n);
    usersets_persist(c);
    return CAM_OK;
}

/* UserSetLoad, UserSetSave: the set UserSetSelector names. */
cam_status usersets_load(const cam_reg_op *op)
{
    return load_set(op->c, GI(op->c, UserSetSelector), op->why, op->why_len);
}

cam_status usersets_save(const cam_reg_op *op)
{
    return save_set(op->c, GI(op->c, UserSetSelector), op->why, op->why_len);
}

/* UserSetDefault and DeviceUserID live in the state file: written at once. */
void usersets_save_file(const cam_reg_op *op)
{
    usersets_persist(op->c);
}

void usersets_free(cam_camera *c)
{
    for (int i = 0; i < 3; i++) {
        free(c->usersets.user_set[i]);
        c->usersets.user_set[i] = NULL;
    }
    free(c->usersets.powerup_set);
    c->usersets.powerup_set = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Power-up settings: a fourth stored set, outside the UserSetSelector entries, that the adapter
 * applies after UserSetDefault when it creates the camera (ace-gentl sim --from-recording).
 * ------------------------------------------------------------------------------------------- */
cam_status cam_powerup_save(cam_camera *cam, char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = 0;
    if (!cam)
        return CAM_ERR_PARAMETER;
    pthread_mutex_lock(&cam->mu);
    size_t n = store_size(cam);
    cam_status st = CAM_OK;
    if (!cam->usersets.powerup_set && !(cam->usersets.powerup_set = malloc(n))) {
        cam_say(why, why_len, "power-up settings: out of memory");
        st = CAM_ERR_STATE;
    } else {
        memcpy(cam->usersets.powerup_set, cam->regs.store, n);
        usersets_persist(cam);
    }
    cam_unlock(cam);
    return st;
}

void cam_powerup_clear(cam_camera *cam)
{
    if (!cam)
        return;
    pthread_mutex_lock(&cam->mu);
    if (cam->usersets.powerup_set) {
        free(cam->usersets.powerup_set);
        cam->usersets.powerup_set = NULL;
        usersets_persist(cam);
    }
    cam_unlock(cam);
}

bool cam_powerup_saved(cam_camera *cam)
{
    if (!cam)
        return false;
    pthread_mutex_lock(&cam->mu);
    bool saved = cam->usersets.powerup_set != NULL;
    cam_unlock(cam);
    return saved;
}

bool cam_powerup_apply(cam_camera *cam)
{
    if (!cam)
        return false;
    pthread_mutex_lock(&cam->mu);
    bool saved = cam->usersets.powerup_set != NULL && !cam->acquiring;
    if (saved)
        apply(cam, cam->usersets.powerup_set);
    cam_unlock(cam);
    return saved;
}

/* ---------------------------------------------------------------------------------------------
 * The state file
 * ------------------------------------------------------------------------------------------- */
static void state_dir(char *buf, size_t n)
{
    const char *d = getenv("ACE_SIM_STATE_DIR");
    if (d && *d) {
        snprintf(buf, n, "%s", d);
        return;
    }
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x) {
        snprintf(buf, n, "%s/ace_gentl_sim", x);
        return;
    }
    const char *h = getenv("HOME");
    snprintf(buf, n, "%s/.cache/ace_gentl_sim", h && *h ? h : "/tmp");
}

static void mkdirs(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0700);
            *p = '/';
        }
    }
    mkdir(tmp, 0700);
}

static void write_set(FILE *f, const char *name, cam_camera *c, const uint8_t *store)
{
    cam_regmap view = c->regs;
    view.store = (uint8_t *)store;
    fprintf(f, "set %s\n", name);
    for (int id = 0; id < CAM_REG_COUNT; id++) {
        if (!member(id))
            continue;
        const cam_reg_desc *d = &cam_reg_table[id];
        for (uint32_t k = 0; k < d->count; k++) {
            if (d->type == CAM_T_FLOAT)
                fprintf(f, "%s[%u] %.17g\n", d->name, k, regmap_get_float(&view, (cam_reg_id)id, k));
            else if (d->type != CAM_T_STRING)
                fprintf(f, "%s[%u] %" PRId64 "\n", d->name, k, regmap_get_int(&view, (cam_reg_id)id, k));
        }
    }
    fprintf(f, "endset\n");
}

void usersets_persist(cam_camera *c)
{
    char dir[900];
    state_dir(dir, sizeof dir);
    mkdirs(dir);
    snprintf(c->usersets.state_path, sizeof c->usersets.state_path, "%s/%s.state", dir, c->serial);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", c->usersets.state_path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cam_log(c, "cannot write state file %s: %s (settings kept in memory only)", tmp, strerror(errno));
        return;
    }
    fprintf(f, "%s %d\n", STATE_MAGIC, STATE_VERSION);
    fprintf(f, "DeviceUserID ");
    for (const char *p = regmap_get_string(&c->regs, CAM_REG_DeviceUserID); *p; p++)
        fprintf(f, "%02x", (unsigned)(uint8_t)*p);
    fprintf(f, "\n");
    const cam_reg_desc *us = &cam_reg_table[CAM_REG_UserSetDefault];
    int64_t def = GI(c, UserSetDefault);
    for (uint32_t i = 0; i < us->n_entries; i++)
        if (us->entries[i].value == def)
            fprintf(f, "UserSetDefault %s\n", us->entries[i].name);
    for (int i = 0; i < 3; i++)
        if (c->usersets.user_set[i]) {
            char name[32];
            snprintf(name, sizeof name, "UserSet%u", (unsigned)(i + 1) % 10u);
            write_set(f, name, c, c->usersets.user_set[i]);
        }
    if (c->usersets.powerup_set)
        write_set(f, "PowerUp", c, c->usersets.powerup_set);
    fprintf(f, "end\n");
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, c->usersets.state_path) != 0) {
        cam_log(c, "cannot write state file %s: %s (settings kept in memory only)", c->usersets.state_path, strerror(errno));
        remove(tmp);
    }
}

static int64_t entry_value(const cam_reg_desc *d, const char *name, bool *ok)
{
    for (uint32_t i = 0; i < d->n_entries; i++)
        if (strcmp(d->entries[i].name, name) == 0) {
            *ok = true;
            return d->entries[i].value;
        }
    *ok = false;
    return 0;
}

/* Static checks of one value (range, entry, boolean). */
static bool value_ok(const cam_reg_desc *d, const char *text, uint8_t *dst)
{
    char *end;
    if (d->type == CAM_T_FLOAT) {
        double v = strtod(text, &end);
        if (*end || !isfinite(v) || v < d->min_f - 1e-9 * fabs(d->min_f) || v > d->max_f + 1e-9 * fabs(d->max_f))
            return false;
        regmap_encode_float(v, dst);
        return true;
    }
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end || errno)
        return false;
    char why[8];
    if (d->type == CAM_T_ENUM && regmap_check_enum(d, v, why, 0) != CAM_OK)
        return false;
    if (d->type == CAM_T_BOOLEAN && v != 0 && v != 1)
        return false;
    if (d->type == CAM_T_INTEGER && (v < d->min_i || v > d->max_i))
        return false;
    regmap_encode_int(d, v, dst);
    return true;
}

/* Consistency of a loaded set (the dynamic limits: ROI, auto limits lower <= upper). */
static bool roi_ok(cam_camera *c, const uint8_t *store)
{
    cam_regmap v = c->regs;
    v.store = (uint8_t *)store;
    int64_t bh = regmap_get_int(&v, CAM_REG_BinningHorizontal, 0), bv = regmap_get_int(&v, CAM_REG_BinningVertical, 0);
    int64_t wmax = CAM_A_WIDTH_INC * ((regmap_get_int(&v, CAM_REG_SensorWidth, 0) / bh) / CAM_A_WIDTH_INC);
    int64_t hmax = CAM_A_HEIGHT_INC * ((regmap_get_int(&v, CAM_REG_SensorHeight, 0) / bv) / CAM_A_HEIGHT_INC);
    return regmap_get_int(&v, CAM_REG_Width, 0) + regmap_get_int(&v, CAM_REG_OffsetX, 0) <= wmax &&
           regmap_get_int(&v, CAM_REG_Height, 0) + regmap_get_int(&v, CAM_REG_OffsetY, 0) <= hmax &&
           regmap_get_float(&v, CAM_REG_AutoExposureTimeLowerLimit, 0) <=
               regmap_get_float(&v, CAM_REG_AutoExposureTimeUpperLimit, 0) &&
           regmap_get_float(&v, CAM_REG_AutoGainLowerLimit, 0) <= regmap_get_float(&v, CAM_REG_AutoGainUpperLimit, 0);
}

static int find_reg(const char *name)
{
    for (int id = 0; id < CAM_REG_COUNT; id++)
        if (strcmp(cam_reg_table[id].name, name) == 0)
            return id;
    return -1;
}

/* Parse the file into the out-parameters; returns NULL on success or a reason. */
static const char *parse_state(cam_camera *c, FILE *f, char *user_id, int64_t *def, uint8_t *sets[4],
                               char *reason, size_t rn)
{
    char line[512];
    size_t n = store_size(c);
    if (!fgets(line, sizeof line, f))
        return "empty file";
    int ver;
    if (strncmp(line, STATE_MAGIC " ", sizeof STATE_MAGIC) != 0)
        return "not an ace_gentl_sim state file";
    if (sscanf(line + sizeof STATE_MAGIC, "%d", &ver) != 1 || ver != STATE_VERSION) {
        snprintf(reason, rn, "unsupported version '%.20s' (expected %d)", line + sizeof STATE_MAGIC, STATE_VERSION);
        strtok(reason, "\n");
        return reason;
    }
    int cur = -1;
    bool ended = false;
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (l == 0 || line[l - 1] != '\n')
            return "truncated line";
        line[l - 1] = 0;
        if (ended)
            return "data after 'end'";
        char key[128], val[400];
        val[0] = 0;
        if (strcmp(line, "end") == 0) {
            if (cur >= 0)
                return "set not closed";
            ended = true;
            continue;
        }
        if (strcmp(line, "endset") == 0) {
            if (cur < 0 || !roi_ok(c, sets[cur]))
                return cur < 0 ? "'endset' without 'set'" : "inconsistent image ROI or auto limits in a user set";
            cur = -1;
            continue;
        }
        if (sscanf(line, "%127s %399s", key, val) < 1) {
            if (line[0] == 0)
                continue;
            return "unreadable line";
        }
        if (cur < 0 && strcmp(key, "DeviceUserID") == 0) {
            size_t k = strlen(val);
            if (k % 2 || k / 2 > CAM_A_USER_ID_MAX_CHARS)
                return "bad DeviceUserID";
            for (size_t i = 0; i < k / 2; i++) {
                unsigned b;
                if (sscanf(val + 2 * i, "%2x", &b) != 1 || b == 0)
                    return "bad DeviceUserID";
                user_id[i] = (char)b;
            }
            user_id[k / 2] = 0;
        } else if (cur < 0 && strcmp(key, "UserSetDefault") == 0) {
            bool ok;
            *def = entry_value(&cam_reg_table[CAM_REG_UserSetDefault], val, &ok);
            if (!ok)
                return "unknown UserSetDefault";
        } else if (cur < 0 && strcmp(key, "set") == 0) {
            if (strcmp(val, "PowerUp") == 0)
                cur = 3;
            else if (strlen(val) != 8 || strncmp(val, "UserSet", 7) || val[7] < '1' || val[7] > '3')
                return "unknown user set";
            else
                cur = val[7] - '1';
            if (!sets[cur] && !(sets[cur] = malloc(n)))
                return "out of memory";
            usersets_factory(c, CAM_ENUM_UserSetSelector_Default, sets[cur]);
        } else if (cur >= 0) {
            char *br = strchr(key, '[');
            unsigned idx = 0;
            if (!br || sscanf(br, "[%u]", &idx) != 1)
                return "unreadable feature line";
            *br = 0;
            int id = find_reg(key);
            if (id < 0 || !member(id) || idx >= cam_reg_table[id].count) {
                snprintf(reason, rn, "unknown feature '%.60s'", key);
                return reason;
            }
            const cam_reg_desc *d = &cam_reg_table[id];
            if (!value_ok(d, val, sets[cur] + c->regs.offset[id] + (size_t)d->stride * idx)) {
                snprintf(reason, rn, "bad value '%.40s' for %.60s", val, key);
                return reason;
            }
        } else {
            return "unexpected line";
        }
    }
    return ended ? NULL : "truncated (no 'end' line)";
}

void usersets_load_state(cam_camera *c)
{
    char dir[900];
    state_dir(dir, sizeof dir);
    snprintf(c->usersets.state_path, sizeof c->usersets.state_path, "%s/%s.state", dir, c->serial);
    FILE *f = fopen(c->usersets.state_path, "r");
    if (!f) {
        if (errno != ENOENT)
            cam_log(c, "state file %s unreadable (%s); using factory settings", c->usersets.state_path, strerror(errno));
        return;
    }
    char user_id[CAM_A_USER_ID_MAX_CHARS + 1] = "";
    int64_t def = CAM_ENUM_UserSetDefault_Default;
    uint8_t *sets[4] = {NULL, NULL, NULL, NULL};
    char reason[160];
    const char *err = parse_state(c, f, user_id, &def, sets, reason, sizeof reason);
    fclose(f);
    if (err) {
        for (int i = 0; i < 4; i++)
            free(sets[i]);
        cam_log(c, "state file %s is damaged (%s); using factory settings", c->usersets.state_path, err);
        return;
    }
    for (int i = 0; i < 3; i++)
        c->usersets.user_set[i] = sets[i];
    c->usersets.powerup_set = sets[3]; /* applied by the adapter (cam_powerup_apply), not here */
    regmap_set_string(&c->regs, CAM_REG_DeviceUserID, user_id);
    SI(c, UserSetDefault, def);
    if (def != CAM_ENUM_UserSetDefault_Default) {
        char why[160];
        load_set(c, def, why, sizeof why);
    }
}
