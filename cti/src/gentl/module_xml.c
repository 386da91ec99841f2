/* module_xml.c - GenApi 1.1 description files of the five GenTL modules, generated from the
 * feature tables of the module files (one source of truth for XML and register space). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "port.h"

typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
}

static const char *ns_of(const gt_feature *f) { return f->custom ? "Custom" : "Standard"; }

static void emit_reg(sbuf *b, const gt_module_desc *d, const gt_feature *f, uint64_t addr)
{
    sb_printf(b,
              "  <IntReg Name=\"%sReg\" NameSpace=\"Custom\">\n"
              "    <Visibility>Invisible</Visibility>\n"
              "    <Address>0x%llx</Address>\n"
              "    <Length>8</Length>\n"
              "    <AccessMode>%s</AccessMode>\n"
              "    <pPort>%s</pPort>\n"
              "    <Cachable>NoCache</Cachable>\n"
              "    <Sign>%s</Sign>\n"
              "    <Endianess>LittleEndian</Endianess>\n"
              "  </IntReg>\n",
              f->name, (unsigned long long)addr,
              (f->writable || f->kind == GF_CMD) ? "RW" : "RO", d->port_name,
              f->kind == GF_INT ? "Signed" : "Unsigned");
}

char *gt_module_xml_build(const gt_module_desc *d, size_t ncams, size_t *len)
{
    sbuf b = {0};
    sb_printf(&b,
              "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
              "<RegisterDescription ModelName=\"%s\" VendorName=\"%s\" "
              "ToolTip=\"GenTL %s module of the simulated acA4112-20um producer\" "
              "StandardNameSpace=\"None\" SchemaMajorVersion=\"1\" SchemaMinorVersion=\"1\" "
              "SchemaSubMinorVersion=\"0\" MajorVersion=\"1\" MinorVersion=\"0\" SubMinorVersion=\"0\" "
              "ProductGuid=\"%s\" VersionGuid=\"%s\" "
              "xmlns=\"http://www.genicam.org/GenApi/Version_1_1\" "
              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
              "xsi:schemaLocation=\"http://www.genicam.org/GenApi/Version_1_1 "
              "http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd\">\n",
              d->xml_model_name, "ace_gentl_sim", d->module_name, d->product_guid, d->version_guid);

    /* Categories in order of first appearance. */
    const char *cats[16];
    size_t ncat = 0;
    for (size_t i = 0; i < d->nfeatures; i++) {
        const char *c = d->features[i].category;
        bool seen = false;
        for (size_t k = 0; k < ncat; k++)
            seen = seen || strcmp(cats[k], c) == 0;
        if (!seen && ncat < 16)
            cats[ncat++] = c;
    }
    sb_printf(&b, "  <Category Name=\"Root\" NameSpace=\"Standard\">\n");
    for (size_t k = 0; k < ncat; k++)
        sb_printf(&b, "    <pFeature>%s</pFeature>\n", cats[k]);
    sb_printf(&b, "  </Category>\n");
    for (size_t k = 0; k < ncat; k++) {
        bool custom = strcmp(cats[k], "Simulation") == 0;
        sb_printf(&b, "  <Category Name=\"%s\" NameSpace=\"%s\">\n", cats[k], custom ? "Custom" : "Standard");
        for (size_t i = 0; i < d->nfeatures; i++)
            if (strcmp(d->features[i].category, cats[k]) == 0)
                sb_printf(&b, "    <pFeature>%s</pFeature>\n", d->features[i].name);
        sb_printf(&b, "  </Category>\n");
    }

    for (size_t i = 0; i < d->nfeatures; i++) {
        const gt_feature *f = &d->features[i];
        uint64_t addr = GT_REG_BASE + (uint64_t)i * GT_REG_STRIDE;
        switch (f->kind) {
        case GF_STRING:
            sb_printf(&b,
                      "  <StringReg Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n"
                      "    <Address>0x%llx</Address>\n"
                      "    <Length>%u</Length>\n"
                      "    <AccessMode>%s</AccessMode>\n"
                      "    <pPort>%s</pPort>\n"
                      "    <Cachable>NoCache</Cachable>\n"
                      "  </StringReg>\n",
                      f->name, ns_of(f), f->tooltip, (unsigned long long)addr, f->len,
                      f->writable && d->set_string ? "RW" : "RO", d->port_name);
            break;
        case GF_INT: {
            sb_printf(&b,
                      "  <Integer Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n"
                      "    <pValue>%sReg</pValue>\n",
                      f->name, ns_of(f), f->tooltip, f->name);
            if (f->writable) {
                long long mx = f->max < 0 ? (long long)(ncams ? ncams - 1 : 0) : (long long)f->max;
                sb_printf(&b, "    <Min>%lld</Min>\n    <Max>%lld</Max>\n", (long long)f->min, mx);
            }
            sb_printf(&b, "  </Integer>\n");
            emit_reg(&b, d, f, addr);
            break;
        }
        case GF_BOOL:
            sb_printf(&b,
                      "  <Boolean Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n"
                      "    <pValue>%sReg</pValue>\n"
                      "    <OnValue>1</OnValue>\n"
                      "    <OffValue>0</OffValue>\n"
                      "  </Boolean>\n",
                      f->name, ns_of(f), f->tooltip, f->name);
            emit_reg(&b, d, f, addr);
            break;
        case GF_CMD:
            sb_printf(&b,
                      "  <Command Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n"
                      "    <pValue>%sReg</pValue>\n"
                      "    <CommandValue>1</CommandValue>\n"
                      "  </Command>\n",
                      f->name, ns_of(f), f->tooltip, f->name);
            emit_reg(&b, d, f, addr);
            break;
        case GF_FLOAT:
            sb_printf(&b,
                      "  <Float Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n"
                      "    <pValue>%sReg</pValue>\n"
                      "    <Min>%lld</Min>\n"
                      "    <Max>%lld</Max>\n"
                      "  </Float>\n"
                      "  <FloatReg Name=\"%sReg\" NameSpace=\"Custom\">\n"
                      "    <Visibility>Invisible</Visibility>\n"
                      "    <Address>0x%llx</Address>\n"
                      "    <Length>8</Length>\n"
                      "    <AccessMode>%s</AccessMode>\n"
                      "    <pPort>%s</pPort>\n"
                      "    <Cachable>NoCache</Cachable>\n"
                      "    <Endianess>LittleEndian</Endianess>\n"
                      "  </FloatReg>\n",
                      f->name, ns_of(f), f->tooltip, f->name, (long long)f->min, (long long)f->max, f->name,
                      (unsigned long long)addr, f->writable ? "RW" : "RO", d->port_name);
            break;
        case GF_ENUM:
            sb_printf(&b,
                      "  <Enumeration Name=\"%s\" NameSpace=\"%s\">\n"
                      "    <ToolTip>%s</ToolTip>\n",
                      f->name, ns_of(f), f->tooltip);
            for (size_t e = 0; f->entries && f->entries[e]; e++)
                sb_printf(&b,
                          "    <EnumEntry Name=\"%s\" NameSpace=\"%s\">\n"
                          "      <Value>%zu</Value>\n"
                          "    </EnumEntry>\n",
                          f->entries[e], ns_of(f), e);
            sb_printf(&b, "    <pValue>%sReg</pValue>\n", f->name);
            for (size_t k = 0; k < d->nselections; k++)
                if (strcmp(d->selections[k].selector, f->name) == 0)
                    sb_printf(&b, "    <pSelected>%s</pSelected>\n", d->selections[k].selected);
            sb_printf(&b, "  </Enumeration>\n");
            emit_reg(&b, d, f, addr);
            break;
        }
    }
    sb_printf(&b, "  <Port Name=\"%s\" NameSpace=\"Standard\"/>\n</RegisterDescription>\n", d->port_name);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    *len = b.len;
    return b.s;
}

static const gt_module_desc *const all_descs[] = {
    &gt_system_desc, &gt_iface_desc, &gt_device_desc, &gt_stream_desc, &gt_buffer_desc,
};
#define NDESC (sizeof all_descs / sizeof all_descs[0])

static char *s_xml[NDESC];
static size_t s_xml_len[NDESC];

GC_ERROR gt_module_xml_build_all(void)
{
    for (size_t i = 0; i < NDESC; i++) {
        free(s_xml[i]);
        s_xml[i] = gt_module_xml_build(all_descs[i], g_gt.ncams, &s_xml_len[i]);
        if (!s_xml[i]) {
            gt_module_xml_free_all();
            return gt_fail(GC_ERR_OUT_OF_MEMORY, "out of memory building the module XML files");
        }
    }
    return GC_ERR_SUCCESS;
}

void gt_module_xml_free_all(void)
{
    for (size_t i = 0; i < NDESC; i++) {
        free(s_xml[i]);
        s_xml[i] = NULL;
        s_xml_len[i] = 0;
    }
}

const char *gt_module_xml(const gt_module_desc *d, size_t *len)
{
    for (size_t i = 0; i < NDESC; i++)
        if (all_descs[i] == d) {
            *len = s_xml_len[i];
            return s_xml[i];
        }
    *len = 0;
    return NULL;
}

const gt_module_desc *gt_module_desc_of(gt_kind kind)
{
    for (size_t i = 0; i < NDESC; i++)
        if (all_descs[i]->kind == kind)
            return all_descs[i];
    return NULL;
}
