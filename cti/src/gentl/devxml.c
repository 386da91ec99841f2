/* devxml.c - served description files, their register memory and the power-up state file. */
#define _POSIX_C_SOURCE 200809L
#include "devxml.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../model/camera.h"
#include "errors.h"

#define POWERUP_MAGIC "ace_gentl_sim power-up"
#define POWERUP_VERSION 1

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
    if (!why || !n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

/* --- Reading the root element -------------------------------------------------------------- */

static const uint8_t *find(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || n < k)
        return NULL;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

/* The start tag of <RegisterDescription ...>: [*tag, *tag + *tag_len). */
static bool root_tag(const uint8_t *x, size_t n, const uint8_t **tag, size_t *tag_len)
{
    const uint8_t *p = find(x, n, "<RegisterDescription");
    if (!p)
        return false;
    const uint8_t *end = x + n;
    uint8_t quote = 0;
    for (const uint8_t *q = p; q < end; q++) {
        if (quote) {
            if (*q == quote)
                quote = 0;
        } else if (*q == '"' || *q == '\'') {
            quote = *q;
        } else if (*q == '>') {
            *tag = p;
            *tag_len = (size_t)(q - p);
            return true;
        }
    }
    return false;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The value of attribute `name` of the root element, or false. */
static bool root_attr(const uint8_t *x, size_t n, const char *name, char *out, size_t out_len)
{
    const uint8_t *tag;
    size_t len;
    if (!root_tag(x, n, &tag, &len))
        return false;
    size_t k = strlen(name);
    for (size_t i = 1; i + k < len; i++) {
        if (!is_space(tag[i - 1]) || memcmp(tag + i, name, k) != 0)
            continue;
        size_t j = i + k;
        while (j < len && is_space(tag[j]))
            j++;
        if (j >= len || tag[j] != '=')
            continue;
        j++;
        while (j < len && is_space(tag[j]))
            j++;
        if (j >= len || (tag[j] != '"' && tag[j] != '\''))
            continue;
        uint8_t quote = tag[j++];
        size_t start = j;
        while (j < len && tag[j] != quote)
            j++;
        size_t vlen = j - start;
        if (vlen >= out_len)
            vlen = out_len - 1;
        memcpy(out, tag + start, vlen);
        out[vlen] = 0;
        return true;
    }
    return false;
}

static int64_t root_int(const uint8_t *x, size_t n, const char *name, int64_t fallback)
{
    char v[32];
    if (!root_attr(x, n, name, v, sizeof v))
        return fallback;
    char *end;
    long long r = strtoll(v, &end, 10);
    return (end == v || *end) ? fallback : (int64_t)r;
}

static bool same_guid(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

/* --- Loading ---------------------------------------------------------------------------- */

/* Keep the name usable in a local: URL (no ';', '?', '/') and say what the file is. */
static void url_name(const char *name, bool zipped, char *out, size_t n)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (!*base)
        base = "device.xml";
    size_t k = 0;
    for (const char *p = base; *p && k + 9 < n && k < 200; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        out[k++] = ok ? c : '_';
    }
    out[k] = 0;
    size_t l = strlen(out);
    bool ends_zip = l >= 4 && same_guid(out + l - 4, ".zip");
    if (zipped && !ends_zip)
        snprintf(out + l, n - l, ".zip");
    else if (!zipped && ends_zip)
        snprintf(out + l, n - l, ".xml"); /* an XML named .zip would be unzipped by a consumer */
}

gt_devxml *gt_devxml_from_bytes(const uint8_t *bytes, size_t len, const char *name, const char *path, char *why,
                                size_t why_len)
{
    if (len == 0) {
        say(why, why_len, "the file is empty");
        return NULL;
    }
    if (len > GT_DEVXML_MAX_BYTES) {
        say(why, why_len, "%zu bytes, larger than the %zu MiB a device description file may have", len,
            GT_DEVXML_MAX_BYTES >> 20);
        return NULL;
    }
    bool zipped = len >= 4 && memcmp(bytes, "PK\x03\x04", 4) == 0;
    if (!zipped) {
        size_t i = 0;
        if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0)
            i = 3;
        while (i < len && is_space(bytes[i]))
            i++;
        const uint8_t *tag;
        size_t tag_len;
        if (i >= len || bytes[i] != '<') {
            say(why, why_len, "not a GenICam device description file: neither XML nor a zip archive (it starts "
                "with neither '<' nor 'PK')");
            return NULL;
        }
        if (!root_tag(bytes, len, &tag, &tag_len)) {
            say(why, why_len, "not a GenICam device description file: XML without a <RegisterDescription> root "
                "element");
            return NULL;
        }
    }
    gt_devxml *x = calloc(1, sizeof *x);
    if (!x || !(x->bytes = malloc(len))) {
        free(x);
        say(why, why_len, "out of memory");
        return NULL;
    }
    memcpy(x->bytes, bytes, len);
    x->len = len;
    x->zipped = zipped;
    url_name(name, zipped, x->filename, sizeof x->filename);
    snprintf(x->path, sizeof x->path, "%s", path ? path : "");
    x->schema[0] = 1, x->schema[1] = 1, x->schema[2] = 0;
    x->version[0] = 1, x->version[1] = 0, x->version[2] = 0;
    if (!zipped) {
        static const char *const schema_attrs[3] = {"SchemaMajorVersion", "SchemaMinorVersion", "SchemaSubMinorVersion"};
        static const char *const version_attrs[3] = {"MajorVersion", "MinorVersion", "SubMinorVersion"};
        for (int k = 0; k < 3; k++) {
            x->schema[k] = root_int(bytes, len, schema_attrs[k], x->schema[k]);
            x->version[k] = root_int(bytes, len, version_attrs[k], x->version[k]);
        }
        char guid[80], own[80];
        size_t own_len = 0;
        const uint8_t *own_xml = cam_xml(&own_len);
        x->model_layout = root_attr(bytes, len, "ProductGuid", guid, sizeof guid) && own_xml &&
                          root_attr(own_xml, own_len, "ProductGuid", own, sizeof own) && same_guid(guid, own);
    }
    return x;
}

gt_devxml *gt_devxml_load(const char *path, char *why, size_t why_len)
{
    if (!path || !*path) {
        say(why, why_len, "no file given");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say(why, why_len, "%s", errno == ENOENT ? "no such file" : strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        say(why, why_len, "not a regular file");
        return NULL;
    }
    if ((uint64_t)st.st_size > GT_DEVXML_MAX_BYTES) {
        close(fd);
        say(why, why_len, "%lld bytes, larger than the %zu MiB a device description file may have",
            (long long)st.st_size, GT_DEVXML_MAX_BYTES >> 20);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        say(why, why_len, "out of memory");
        return NULL;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    gt_devxml *x = NULL;
    if (got != len)
        say(why, why_len, "read error: %s", strerror(errno ? errno : EIO));
    else
        x = gt_devxml_from_bytes(buf, len, path, path, why, why_len);
    free(buf);
    return x;
}

void gt_devxml_free(gt_devxml *x)
{
    if (!x)
        return;
    gt_ram_clear(&x->ram);
    free(x->bytes);
    free(x);
}

bool gt_devxml_same(const gt_devxml *a, const gt_devxml *b)
{
    return a && b && a->len == b->len && strcmp(a->filename, b->filename) == 0 &&
           memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* --- Register memory ------------------------------------------------------------------- */

static size_t slot_of(const gt_ram *r, uint64_t page)
{
    size_t mask = r->cap - 1;
    size_t i = (size_t)((page * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & mask;
    while (r->slots[i].data && r->slots[i].page != page)
        i = (i + 1) & mask;
    return i;
}

static uint8_t *page_of(const gt_ram *r, uint64_t page)
{
    if (!r->cap)
        return NULL;
    return r->slots[slot_of(r, page)].data;
}

/* Room for `more` pages at a load factor of at most 1/2. */
static bool reserve(gt_ram *r, size_t more)
{
    size_t need = (r->n + more) * 2;
    if (need <= r->cap)
        return true;
    size_t cap = r->cap ? r->cap : 64;
    while (cap < need)
        cap *= 2;
    gt_rampage *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    gt_ram grown = {slots, cap, r->n};
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].data)
            grown.slots[slot_of(&grown, r->slots[i].page)] = r->slots[i];
    free(r->slots);
    *r = grown;
    return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

GC_ERROR gt_ram_read(const gt_ram *r, uint64_t address, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        uint64_t page = address / GT_RAM_PAGE_SIZE;
        size_t off = (size_t)(address % GT_RAM_PAGE_SIZE);
        size_t n = GT_RAM_PAGE_SIZE - off < len ? GT_RAM_PAGE_SIZE - off : len;
        const uint8_t *p = page_of(r, page);
        if (p)
            memcpy(out, p + off, n);
        else
            memset(out, 0, n);
        out += n;
        address += n;
        len -= n;
    }
    return GC_ERR_SUCCESS;
}

GC_ERROR gt_ram_write(gt_ram *r, uint64_t address, const void *buf, size_t len)
{
    /* First count the pages this write adds, so a refused write changes nothing. */
    size_t adds = 0;
    const uint8_t *in = buf;
    uint64_t a = address;
    for (size_t left = len; left;) {
        size_t off = (size_t)(a % GT_RAM_PAGE_SIZE);
        size_t n = GT_RAM_PAGE_SIZE - off < left ? GT_RAM_PAGE_SIZE - off : left;
        if (!page_of(r, a / GT_RAM_PAGE_SIZE) && !all_zero(in, n))
            adds++;
        if (r->n + adds > GT_RAM_MAX_PAGES)
            return gt_failf(GC_ERR_RESOURCE_EXHAUSTED,
                            "write 0x%" PRIx64 " (%zu bytes): the simulated register memory is full (%u pages of "
                            "%u bytes hold non-zero values)", address, len, GT_RAM_MAX_PAGES, GT_RAM_PAGE_SIZE);
        in += n;
        a += n;
        left -= n;
    }
    if (!reserve(r, adds))
        return gt_fail(GC_ERR_OUT_OF_MEMORY, "register memory: out of memory");
    in = buf;
    while (len) {
        uint64_t page = address / GT_RAM_PAGE_SIZE;
        size_t off = (size_t)(address % GT_RAM_PAGE_SIZE);
        size_t n = GT_RAM_PAGE_SIZE - off < len ? GT_RAM_PAGE_SIZE - off : len;
        uint8_t *p = page_of(r, page);
        if (!p && !all_zero(in, n)) { /* reserve() made room: the table exists */
            if (!(p = calloc(1, GT_RAM_PAGE_SIZE)))
                return gt_fail(GC_ERR_OUT_OF_MEMORY, "register memory: out of memory");
            size_t i = slot_of(r, page);
            r->slots[i].page = page;
            r->slots[i].data = p;
            r->n++;
        }
        if (p) /* zeros to an absent page store nothing: it reads as zeros already */
            memcpy(p + off, in, n);
        in += n;
        address += n;
        len -= n;
    }
    return GC_ERR_SUCCESS;
}

void gt_ram_clear(gt_ram *r)
{
    for (size_t i = 0; i < r->cap; i++)
        free(r->slots[i].data);
    free(r->slots);
    r->slots = NULL;
    r->cap = r->n = 0;
}

/* --- Power-up state file ------------------------------------------------------------------
 *   ace_gentl_sim power-up 1
 *   note <one line>
 *   xml own                      or   xml <bytes> <url file name>\n<the bytes>\n
 *   ram <pages>                  then per page: page <hex page number>\n<4096 bytes>\n
 *   end
 */
bool gt_powerup_save(const char *path, const char *note, const gt_devxml *x, char *why, size_t why_len)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        say(why, why_len, "cannot write %s: %s", tmp, strerror(errno));
        return false;
    }
    fprintf(f, "%s %d\nnote ", POWERUP_MAGIC, POWERUP_VERSION);
    for (const char *p = note ? note : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
    if (!x) {
        fprintf(f, "xml own\nram 0\n");
    } else {
        fprintf(f, "xml %zu %s\n", x->len, x->filename);
        fwrite(x->bytes, 1, x->len, f);
        fprintf(f, "\nram %zu\n", x->model_layout ? (size_t)0 : x->ram.n);
        for (size_t i = 0; !x->model_layout && i < x->ram.cap; i++) {
            if (!x->ram.slots[i].data)
                continue;
            fprintf(f, "page %" PRIx64 "\n", x->ram.slots[i].page);
            fwrite(x->ram.slots[i].data, 1, GT_RAM_PAGE_SIZE, f);
            fputc('\n', f);
        }
    }
    fprintf(f, "end\n");
    bool ok = !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        say(why, why_len, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        remove(tmp);
        return false;
    }
    return true;
}

/* One text line (without its newline) into buf; false at EOF or when longer than buf. */
static bool read_line(FILE *f, char *buf, size_t n)
{
    if (!fgets(buf, (int)n, f))
        return false;
    size_t l = strlen(buf);
    if (l == 0 || buf[l - 1] != '\n')
        return false;
    buf[l - 1] = 0;
    return true;
}

static int load_body(FILE *f, const char *path, gt_devxml **out, char *note, size_t note_len, char *why,
                     size_t why_len)
{
    char line[1400];
    int ver = 0;
    if (!read_line(f, line, sizeof line) || strncmp(line, POWERUP_MAGIC " ", sizeof POWERUP_MAGIC) != 0 ||
        sscanf(line + sizeof POWERUP_MAGIC, "%d", &ver) != 1) {
        say(why, why_len, "not an ace_gentl_sim power-up file");
        return -1;
    }
    if (ver != POWERUP_VERSION) {
        say(why, why_len, "unsupported version %d (expected %d)", ver, POWERUP_VERSION);
        return -1;
    }
    if (!read_line(f, line, sizeof line) || strncmp(line, "note ", 5) != 0) {
        say(why, why_len, "no note line");
        return -1;
    }
    snprintf(note, note_len, "%s", line + 5);
    if (!read_line(f, line, sizeof line) || strncmp(line, "xml ", 4) != 0) {
        say(why, why_len, "no xml line");
        return -1;
    }
    gt_devxml *x = NULL;
    if (strcmp(line + 4, "own") != 0) {
        char name[256];
        size_t len = 0;
        if (sscanf(line + 4, "%zu %255s", &len, name) != 2 || len == 0 || len > GT_DEVXML_MAX_BYTES) {
            say(why, why_len, "bad xml line");
            return -1;
        }
        uint8_t *bytes = malloc(len);
        if (!bytes) {
            say(why, why_len, "out of memory");
            return -1;
        }
        bool ok = fread(bytes, 1, len, f) == len && fgetc(f) == '\n';
        char reason[300] = "truncated description file";
        if (ok)
            x = gt_devxml_from_bytes(bytes, len, name, path, reason, sizeof reason);
        free(bytes);
        if (!x) {
            say(why, why_len, "%s", reason);
            return -1;
        }
    }
    size_t pages = 0;
    if (!read_line(f, line, sizeof line) || sscanf(line, "ram %zu", &pages) != 1 || pages > GT_RAM_MAX_PAGES ||
        (pages && (!x || x->model_layout))) {
        gt_devxml_free(x);
        say(why, why_len, "bad ram line");
        return -1;
    }
    uint8_t page[GT_RAM_PAGE_SIZE];
    for (size_t i = 0; i < pages; i++) {
        uint64_t number = 0;
        if (!read_line(f, line, sizeof line) || sscanf(line, "page %" SCNx64, &number) != 1 ||
            number > UINT64_MAX / GT_RAM_PAGE_SIZE || page_of(&x->ram, number) ||
            fread(page, 1, sizeof page, f) != sizeof page || fgetc(f) != '\n' ||
            gt_ram_write(&x->ram, number * GT_RAM_PAGE_SIZE, page, sizeof page) != GC_ERR_SUCCESS) {
            gt_devxml_free(x);
            say(why, why_len, "bad or truncated register page %zu of %zu", i + 1, pages);
            return -1;
        }
    }
    if (!read_line(f, line, sizeof line) || strcmp(line, "end") != 0 || fgetc(f) != EOF) {
        gt_devxml_free(x);
        say(why, why_len, "truncated (no 'end' line) or data after it");
        return -1;
    }
    *out = x;
    return 1;
}

int gt_powerup_load(const char *path, gt_devxml **out, char *note, size_t note_len, char *why, size_t why_len)
{
    *out = NULL;
    note[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        say(why, why_len, "unreadable: %s", strerror(errno));
        return -1;
    }
    int r = load_body(f, path, out, note, note_len, why, why_len);
    fclose(f);
    if (r < 0)
        note[0] = 0;
    return r;
}
