/* handles.c - open-addressing hash set of live handle pointers with their kind.
 * The key is the pointer value; lookups never read through the pointer. */
#include "handles.h"

#include <stdlib.h>

#include "errors.h"

typedef struct {
    const void *p;   /* NULL = empty, TOMB = deleted */
    gt_kind kind;
} slot_t;

static const char tomb_marker;
#define TOMB ((const void *)&tomb_marker)

static slot_t *s_tab;
static size_t s_cap;   /* power of two */
static size_t s_used;  /* live + tombstones */
static size_t s_live;

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x;
}

static bool rehash(size_t newcap)
{
    slot_t *nt = calloc(newcap, sizeof *nt);
    if (!nt)
        return false;
    for (size_t i = 0; i < s_cap; i++) {
        const void *p = s_tab[i].p;
        if (!p || p == TOMB)
            continue;
        size_t j = hash_ptr(p) & (newcap - 1);
        while (nt[j].p)
            j = (j + 1) & (newcap - 1);
        nt[j] = s_tab[i];
    }
    free(s_tab);
    s_tab = nt;
    s_cap = newcap;
    s_used = s_live;
    return true;
}

bool gt_handle_add(gt_obj *obj)
{
    if (!obj)
        return false;
    if ((s_used + 1) * 2 > s_cap) {
        size_t nc = s_cap ? s_cap : 64;
        while ((s_live + 1) * 4 > nc) /* after rehash at most 25 % live, no tombstones */
            nc *= 2;
        if (!rehash(nc))
            return false;
    }
    size_t j = hash_ptr(obj) & (s_cap - 1);
    while (s_tab[j].p && s_tab[j].p != TOMB) {
        if (s_tab[j].p == obj) {
            s_tab[j].kind = obj->kind;
            return true;
        }
        j = (j + 1) & (s_cap - 1);
    }
    if (!s_tab[j].p)
        s_used++;
    s_tab[j].p = obj;
    s_tab[j].kind = obj->kind;
    s_live++;
    return true;
}

static slot_t *lookup(const void *p)
{
    if (!p || !s_cap || p == TOMB)
        return NULL;
    size_t j = hash_ptr(p) & (s_cap - 1);
    for (size_t n = 0; n < s_cap && s_tab[j].p; n++) {
        if (s_tab[j].p == p)
            return &s_tab[j];
        j = (j + 1) & (s_cap - 1);
    }
    return NULL;
}

void gt_handle_remove(const gt_obj *obj)
{
    slot_t *s = lookup(obj);
    if (s) {
        s->p = TOMB;
        s->kind = 0;
        s_live--;
    }
}

gt_obj *gt_handle_find(const void *h, unsigned kinds)
{
    slot_t *s = lookup(h);
    if (!s || !(s->kind & kinds))
        return NULL;
    return (gt_obj *)(uintptr_t)s->p;
}

static const char *kind_names(unsigned kinds)
{
    switch (kinds) {
    case GT_TL: return "system (TL) handle";
    case GT_IF: return "interface handle";
    case GT_DEV: return "device handle";
    case GT_DS: return "data stream handle";
    case GT_BUF: return "buffer handle";
    case GT_EVENT: return "event handle";
    case GT_PORTS: return "port handle";
    case GT_MODULES: return "event source (module) handle";
    default: return "handle";
    }
}

gt_obj *gt_handle_get(const void *h, unsigned kinds, const char *what)
{
    gt_obj *o = gt_handle_find(h, kinds);
    if (!o) {
        if (!h)
            gt_failf(GC_ERR_INVALID_HANDLE, "%s: %s is NULL", what, kind_names(kinds));
        else
            gt_failf(GC_ERR_INVALID_HANDLE, "%s: %p is not a valid open %s", what, h, kind_names(kinds));
    }
    return o;
}

size_t gt_handle_count(void) { return s_live; }

void gt_handle_clear(void)
{
    free(s_tab);
    s_tab = NULL;
    s_cap = s_used = s_live = 0;
}
