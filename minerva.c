/* minerva.c — LLM inference in C: the whole engine in one translation unit.
   MIT licensed (see LICENSE). The API is documented in minerva.h.

   Contents (a section calls only sections above it):
     1. platform      mapping files, aligned memory, time, errors, OpenMP glue
     2. containers    stb_ds arrays, a string hash map
     3. json          a strict, bounded JSON reader and a string writer
     4. numbers       f16/bf16, block types, quantize/dequantize, dot kernels
     5. files         GGUF, SafeTensors, llama2.c: one tensor table for all formats
     6. models        hyperparameters and table-driven tensor binding
     7. kv cache      cache layout, sequences
     8. compute       matmul, norms, RoPE, attention, the forward pass
     9. text          Unicode tables, UTF-8, NFC, BPE pre-tokenizers
    10. tokenizer     SentencePiece and byte-level BPE vocabularies
    11. chat          chat templates (Jinja), the harmony format of GPT-OSS
    12. sampling      greedy, temperature, top-k/p, min-p, penalties
    13. generation    the public API on top of all the above
    14. model writer  random-weight models; quantized copies of models */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* No implicit floating-point contraction: every fused multiply-add is
   written out (fmaf), so results are the same whatever the compiler and its
   flags (and equal llama.cpp's where its arithmetic is reproduced). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "minerva.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__F16C__)
#include <immintrin.h>
#endif

/* ============================================================================
   1. platform — mapping files, aligned memory, time, errors, OpenMP glue
   ============================================================================ */

#define MV_ERROR_SIZE 256
#define MV_ALIGN 64
#define MV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MV_MAX(a, b) ((a) > (b) ? (a) : (b))
#if defined(__GNUC__) || defined(__clang__)
#define MV_INLINE static inline __attribute__((always_inline))
#define MV_UNUSED __attribute__((unused))
#else
#define MV_INLINE static inline
#define MV_UNUSED
#endif

const char *mv_status_string(int status) {
    switch (status) {
    case MV_OK: return "ok";
    case MV_ERR_IO: return "i/o error";
    case MV_ERR_FORMAT: return "malformed file";
    case MV_ERR_UNSUPPORTED: return "unsupported";
    case MV_ERR_NOMEM: return "out of memory";
    case MV_ERR_ARG: return "bad argument";
    case MV_ERR_CONTEXT_FULL: return "context full";
    }
    return "unknown error";
}

/* Writes a message into err (MV_ERROR_SIZE bytes, may be NULL) and returns code. */
static int fail(char *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, MV_ERROR_SIZE, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void copy_error(char *dst, size_t size, const char *msg) {
    if (dst && size) snprintf(dst, size, "%s", msg);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc_aligned(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, MV_ALIGN, size ? size : MV_ALIGN) != 0) return NULL;
    return p;
}

enum { HUGE_PAGE = 2 << 20 };

/* Asks the kernel to back size bytes from p (on a 2 MiB boundary) with huge
   pages: a fault per 2 MiB instead of per 4 KiB, and fewer page walks. */
static void advise_huge_pages(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
    madvise(p, (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#else
    (void)p, (void)size;
#endif
}

/* A large buffer on 2 MiB boundaries, in huge pages where the kernel can. */
static void *alloc_huge(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size ? size : MV_ALIGN) != 0) return NULL;
    advise_huge_pages(p, size);
    return p;
}

/* Zeroed memory straight from the kernel, on 2 MiB boundaries: each page is
   made (a huge page where it can be) when first touched, not all at once
   as calloc's 4 KiB pages, each a fault, would be. */
typedef struct {
    uint8_t *data;
    void *base;              /* the mapping, for munmap */
    size_t size;
} zeroed_memory;

static bool zeroed_alloc(zeroed_memory *z, size_t size) {
    z->size = size + HUGE_PAGE;
    z->base = mmap(NULL, z->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (z->base == MAP_FAILED) {
        memset(z, 0, sizeof *z);
        return false;
    }
    z->data = (uint8_t *)(((uintptr_t)z->base + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
    advise_huge_pages(z->data, size);
    return true;
}

static void zeroed_free(zeroed_memory *z) {
    if (z->base) munmap(z->base, z->size);
    memset(z, 0, sizeof *z);
}

/* A read-only mapping of a whole file (or, in tests, a caller's buffer). */
typedef struct {
    const uint8_t *data;
    size_t size;
    bool mapped;
    int fd;                  /* the file, open while mapped (for read_mapped) */
} file_map;

static int map_file(const char *path, file_map *m, char *err) {
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, MV_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, MV_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return fail(err, MV_ERR_FORMAT, "%s: file is empty", path);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return fail(err, MV_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    }
    m->data = p;
    m->size = (size_t)st.st_size;
    m->mapped = true;
    m->fd = fd;
    return MV_OK;
}

static void unmap_file(file_map *m) {
    if (m->mapped) {
        munmap((void *)m->data, m->size);
        close(m->fd);
    }
    memset(m, 0, sizeof *m);
}

/* Whether the n bytes at p lie in the mapping. */
static bool map_holds(const file_map *m, const uint8_t *p, size_t n) {
    const uintptr_t begin = (uintptr_t)m->data, at = (uintptr_t)p - begin;
    return m->mapped && (uintptr_t)p >= begin && at <= m->size && n <= m->size - at;
}

/* Copies the n bytes at p, which lie in the mapping, into dst by reading the
   file: a first touch of mapped pages costs a fault and a page walk per
   4 KiB (about 0.3 s for 636 MiB here), a read copies through the kernel's
   large pages (0.06 s). false: m NULL, or not all read (dst then undefined). */
static bool read_mapped(const file_map *m, const uint8_t *p, size_t n, uint8_t *dst) {
    if (!m || !map_holds(m, p, n)) return false;
    for (size_t done = 0; done < n;) {
        const ssize_t r = pread(m->fd, dst + done, n - done, (off_t)(p - m->data + done));
        if (r <= 0) return false;
        done += (size_t)r;
    }
    return true;
}

/* Drops the whole pages of p..p+n that lie in the mapping from the process
   (the page cache keeps them; a later read maps them again). */
static void release_pages(const file_map *m, const uint8_t *p, size_t n) {
    if (!map_holds(m, p, n)) return;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), begin = (uintptr_t)p, end = begin + n;
    const uintptr_t b = (begin + page - 1) / page * page, e = end / page * page;
    if (e > b) madvise((void *)b, e - b, MADV_DONTNEED);
}

/* A parallel loop over OpenMP threads; without OpenMP an ordinary loop. */
#ifdef _OPENMP
#define MV_PRAGMA(x) _Pragma(#x)
#define MV_PARALLEL_FOR(threads) MV_PRAGMA(omp parallel for num_threads(threads) schedule(static))
#else
#define MV_PARALLEL_FOR(threads) (void)(threads);
#endif

static int default_thread_count(void) {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

static int thread_index(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* A parallel region that splits its work itself (thread_index of
   thread_count), with barriers inside; without OpenMP one pass. */
#ifdef _OPENMP
#define MV_PARALLEL(threads) MV_PRAGMA(omp parallel num_threads(threads))
#define MV_BARRIER MV_PRAGMA(omp barrier)
static int thread_count(void) { return omp_get_num_threads(); }
#else
#define MV_PARALLEL(threads) (void)(threads);
#define MV_BARRIER
static int thread_count(void) { return 1; }
#endif

/* ============================================================================
   2. containers — stb_ds dynamic arrays, a string hash map
   ============================================================================ */

/* stb_ds's functions are external symbols; rename them so a host program
   that also compiles stb_ds links cleanly. Its hash maps keep a process-wide
   seed, so Minerva uses only its arrays and keeps its own map below. */
#define stbds_arrgrowf mv__stbds_arrgrowf
#define stbds_arrfreef mv__stbds_arrfreef
#define stbds_hmfree_func mv__stbds_hmfree_func
#define stbds_hmget_key mv__stbds_hmget_key
#define stbds_hmget_key_ts mv__stbds_hmget_key_ts
#define stbds_hmput_default mv__stbds_hmput_default
#define stbds_hmput_key mv__stbds_hmput_key
#define stbds_hmdel_key mv__stbds_hmdel_key
#define stbds_shmode_func mv__stbds_shmode_func
#define stbds_rand_seed mv__stbds_rand_seed
#define stbds_hash_bytes mv__stbds_hash_bytes
#define stbds_hash_string mv__stbds_hash_string
#define stbds_stralloc mv__stbds_stralloc
#define stbds_strreset mv__stbds_strreset
#define stbds_unit_tests mv__stbds_unit_tests
#define STBDS_NO_SHORT_NAMES
#define STB_DS_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#if defined(__has_include)
#if __has_include(<stb/stb_ds.h>)
#include <stb/stb_ds.h>
#else
#include <stb_ds.h>
#endif
#else
#include <stb/stb_ds.h>
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#define arrlen stbds_arrlen
#define arrput stbds_arrput
#define arrpop stbds_arrpop
#define arrfree stbds_arrfree
#define arrsetlen stbds_arrsetlen
#define arraddnptr stbds_arraddnptr
#define arrlast stbds_arrlast
#define arrsetcap stbds_arrsetcap

/* FNV-1a, 64 bit. */
static uint64_t hash_bytes(const void *p, size_t n) {
    const uint8_t *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

/* Maps strings to int32 values. The map does not own the strings: the
   caller's key_of(owner, value) gives the key a value was inserted under,
   so a map of n entries costs 8 bytes a slot. */
typedef struct {
    uint32_t *slots;   /* value + 1, 0 = empty */
    uint32_t *hashes;  /* low 32 bits of each slot's key hash */
    uint32_t mask;
    uint32_t count;
} str_map;

typedef const char *(*key_of_fn)(const void *owner, int32_t value, size_t *len);

static int strmap_init(str_map *m, size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    m->slots = calloc(cap, sizeof *m->slots);
    m->hashes = calloc(cap, sizeof *m->hashes);
    m->mask = (uint32_t)(cap - 1);
    m->count = 0;
    return m->slots && m->hashes ? MV_OK : MV_ERR_NOMEM;
}

static void strmap_free(str_map *m) {
    free(m->slots);
    free(m->hashes);
    memset(m, 0, sizeof *m);
}

/* The slot holding key, or the empty slot where it would go. */
static uint32_t strmap_slot(const str_map *m, const char *key, size_t len, uint32_t h,
                            key_of_fn key_of, const void *owner) {
    uint32_t i = h & m->mask;
    while (m->slots[i]) {
        if (m->hashes[i] == h) {
            size_t klen;
            const char *k = key_of(owner, (int32_t)(m->slots[i] - 1), &klen);
            if (klen == len && memcmp(k, key, len) == 0) return i;
        }
        i = (i + 1) & m->mask;
    }
    return i;
}

/* Doubles the slots when half are taken; entries keep their hashes. */
static int strmap_grow(str_map *m) {
    if (m->count + 1 <= (m->mask + 1) / 2) return MV_OK;
    str_map bigger;
    if (strmap_init(&bigger, (size_t)(m->mask + 1))) return MV_ERR_NOMEM;
    for (uint32_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i]) continue;
        uint32_t j = m->hashes[i] & bigger.mask;
        while (bigger.slots[j]) j = (j + 1) & bigger.mask;
        bigger.slots[j] = m->slots[i], bigger.hashes[j] = m->hashes[i];
    }
    bigger.count = m->count;
    strmap_free(m);
    *m = bigger;
    return MV_OK;
}

/* Inserts value under its own key; a value with an equal key is replaced. */
static int strmap_put(str_map *m, int32_t value, key_of_fn key_of, const void *owner) {
    if (strmap_grow(m)) return MV_ERR_NOMEM;
    size_t len;
    const char *key = key_of(owner, value, &len);
    uint32_t h = (uint32_t)hash_bytes(key, len);
    uint32_t i = strmap_slot(m, key, len, h, key_of, owner);
    if (!m->slots[i]) m->count++;
    m->slots[i] = (uint32_t)value + 1;
    m->hashes[i] = h;
    return MV_OK;
}

static int32_t strmap_get(const str_map *m, const char *key, size_t len, key_of_fn key_of,
                          const void *owner) {
    if (!m->slots) return -1;
    uint32_t i = strmap_slot(m, key, len, (uint32_t)hash_bytes(key, len), key_of, owner);
    return m->slots[i] ? (int32_t)(m->slots[i] - 1) : -1;
}

/* A growing byte buffer (stb_ds array of char). */
static void buf_append(char **b, const void *p, size_t n) {
    if (n) memcpy(arraddnptr(*b, n), p, n);
}

static void buf_printf(char **b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        buf_append(b, tmp, (size_t)n);
        return;
    }
    char *dst = arraddnptr(*b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    arrsetlen(*b, arrlen(*b) - 1);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static int utf8_valid_len(const uint8_t *p, const uint8_t *end) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
    else return 0;
    if (end - p < n) return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return n;
}

/* ============================================================================
   3. json — a strict, bounded reader (RFC 8259) and a small writer
   ============================================================================ */

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

/* Arrays hold n values in items; objects hold n keys in keys and n values in
   items. Strings are NUL-terminated and may contain NULs (len says). */
typedef struct json_value {
    json_kind kind;
    uint32_t n;
    double number;
    char *str;
    size_t len;
    struct json_value *items;
    struct json_value *keys;
} json_value;

#define JSON_MAX_DEPTH 256

typedef struct {
    const char *p, *end, *start;
    char *err;
    char **blocks;   /* stb_ds array of arena blocks, owned by the document */
} json_parser;

typedef struct {
    json_value root;
    char **blocks;
} json_doc;

static void *json_alloc(json_parser *jp, size_t size) {
    char *b = malloc(size ? size : 1);
    if (b) arrput(jp->blocks, b);
    return b;
}

static void json_free(json_doc *doc) {
    for (ptrdiff_t i = 0; i < arrlen(doc->blocks); i++) free(doc->blocks[i]);
    arrfree(doc->blocks);
    memset(doc, 0, sizeof *doc);
}

static int json_fail(json_parser *jp, const char *what) {
    int line = 1, col = 1;
    for (const char *q = jp->start; q < jp->p && q < jp->end; q++) {
        if (*q == '\n') line++, col = 1;
        else col++;
    }
    return fail(jp->err, MV_ERR_FORMAT, "json: %s at line %d column %d", what, line, col);
}

static void json_skip_space(json_parser *jp) {
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')) jp->p++;
}

static int utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int json_hex4(json_parser *jp, uint32_t *v) {
    if (jp->end - jp->p < 4) return json_fail(jp, "truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = jp->p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return json_fail(jp, "bad \\u escape");
        *v = *v * 16 + (uint32_t)d;
    }
    jp->p += 4;
    return MV_OK;
}

/* Parses a string at jp->p (on the opening quote). */
static int json_string(json_parser *jp, char **out, size_t *out_len) {
    jp->p++;
    const char *s = jp->p;
    size_t max = 0;
    while (s < jp->end && *s != '"') {
        if (*s == '\\') s++;
        s++, max++;
    }
    if (s >= jp->end) return json_fail(jp, "unterminated string");
    char *dst = json_alloc(jp, max * 3 + 1); /* \uXXXX (6 bytes) becomes at most 3; pairs 4 of 12 */
    if (!dst) return MV_ERR_NOMEM;
    size_t n = 0;
    while (*jp->p != '"') {
        uint8_t c = (uint8_t)*jp->p;
        if (c < 0x20) return json_fail(jp, "control character in string");
        if (c != '\\') {
            int len = utf8_valid_len((const uint8_t *)jp->p, (const uint8_t *)jp->end);
            if (!len) return json_fail(jp, "invalid UTF-8 in string");
            memcpy(dst + n, jp->p, (size_t)len);
            n += (size_t)len, jp->p += len;
            continue;
        }
        jp->p++;
        char e = *jp->p++;
        switch (e) {
        case '"': dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; break;
        case '/': dst[n++] = '/'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'n': dst[n++] = '\n'; break;
        case 'r': dst[n++] = '\r'; break;
        case 't': dst[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (json_hex4(jp, &cp)) return MV_ERR_FORMAT;
            if (cp >= 0xD800 && cp <= 0xDBFF && jp->end - jp->p >= 6 && jp->p[0] == '\\' && jp->p[1] == 'u') {
                jp->p += 2;
                if (json_hex4(jp, &lo)) return MV_ERR_FORMAT;
                if (lo < 0xDC00 || lo > 0xDFFF) return json_fail(jp, "unpaired surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                return json_fail(jp, "unpaired surrogate");
            }
            n += (size_t)utf8_encode(cp, dst + n);
            break;
        }
        default: jp->p--; return json_fail(jp, "bad escape");
        }
    }
    jp->p++;
    dst[n] = 0;
    *out = dst;
    *out_len = n;
    return MV_OK;
}

static int json_number(json_parser *jp, double *out) {
    const char *s = jp->p;
    if (s < jp->end && *s == '-') s++;
    if (s >= jp->end || !isdigit((unsigned char)*s)) return json_fail(jp, "bad number");
    if (*s == '0') s++;
    else while (s < jp->end && isdigit((unsigned char)*s)) s++;
    if (s < jp->end && *s == '.') {
        s++;
        if (s >= jp->end || !isdigit((unsigned char)*s)) return json_fail(jp, "bad number");
        while (s < jp->end && isdigit((unsigned char)*s)) s++;
    }
    if (s < jp->end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < jp->end && (*s == '+' || *s == '-')) s++;
        if (s >= jp->end || !isdigit((unsigned char)*s)) return json_fail(jp, "bad number");
        while (s < jp->end && isdigit((unsigned char)*s)) s++;
    }
    char tmp[64];
    size_t n = (size_t)(s - jp->p);
    if (n >= sizeof tmp) {
        /* a long literal: strtod on a copy bounded by the input */
        char *copy = malloc(n + 1);
        if (!copy) return MV_ERR_NOMEM;
        memcpy(copy, jp->p, n);
        copy[n] = 0;
        *out = strtod(copy, NULL);
        free(copy);
    } else {
        memcpy(tmp, jp->p, n);
        tmp[n] = 0;
        *out = strtod(tmp, NULL);
    }
    jp->p = s;
    return MV_OK;
}

static int json_value_parse(json_parser *jp, json_value *v, int depth);

/* Arrays and objects: collect children in a temporary stb_ds array, then
   copy them into the document's arena. */
static int json_container(json_parser *jp, json_value *v, int depth, int is_object) {
    if (depth >= JSON_MAX_DEPTH) return json_fail(jp, "nesting too deep");
    char close = is_object ? '}' : ']';
    json_value *items = NULL, *keys = NULL;
    int rc = MV_OK;
    jp->p++;
    json_skip_space(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
    } else {
        for (;;) {
            json_skip_space(jp);
            if (is_object) {
                json_value key = {0};
                if (jp->p >= jp->end || *jp->p != '"') { rc = json_fail(jp, "expected a key"); break; }
                key.kind = JSON_STRING;
                if ((rc = json_string(jp, &key.str, &key.len))) break;
                arrput(keys, key);
                json_skip_space(jp);
                if (jp->p >= jp->end || *jp->p != ':') { rc = json_fail(jp, "expected ':'"); break; }
                jp->p++;
            }
            json_value item = {0};
            if ((rc = json_value_parse(jp, &item, depth + 1))) break;
            arrput(items, item);
            json_skip_space(jp);
            if (jp->p < jp->end && *jp->p == ',') { jp->p++; continue; }
            if (jp->p < jp->end && *jp->p == close) { jp->p++; break; }
            rc = json_fail(jp, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
            break;
        }
    }
    if (rc == MV_OK) {
        size_t n = (size_t)arrlen(items);
        v->kind = is_object ? JSON_OBJECT : JSON_ARRAY;
        v->n = (uint32_t)n;
        if (n) {
            v->items = json_alloc(jp, n * sizeof *items);
            if (is_object) v->keys = json_alloc(jp, n * sizeof *keys);
            if (!v->items || (is_object && !v->keys)) rc = MV_ERR_NOMEM;
            else {
                memcpy(v->items, items, n * sizeof *items);
                if (is_object) memcpy(v->keys, keys, n * sizeof *keys);
            }
        }
    }
    arrfree(items);
    arrfree(keys);
    return rc;
}

static int json_value_parse(json_parser *jp, json_value *v, int depth) {
    json_skip_space(jp);
    if (jp->p >= jp->end) return json_fail(jp, "unexpected end of input");
    memset(v, 0, sizeof *v);
    switch (*jp->p) {
    case '{': return json_container(jp, v, depth, 1);
    case '[': return json_container(jp, v, depth, 0);
    case '"': v->kind = JSON_STRING; return json_string(jp, &v->str, &v->len);
    case 't':
        if (jp->end - jp->p >= 4 && !memcmp(jp->p, "true", 4)) { jp->p += 4; v->kind = JSON_TRUE; return MV_OK; }
        break;
    case 'f':
        if (jp->end - jp->p >= 5 && !memcmp(jp->p, "false", 5)) { jp->p += 5; v->kind = JSON_FALSE; return MV_OK; }
        break;
    case 'n':
        if (jp->end - jp->p >= 4 && !memcmp(jp->p, "null", 4)) { jp->p += 4; v->kind = JSON_NULL; return MV_OK; }
        break;
    default:
        if (*jp->p == '-' || isdigit((unsigned char)*jp->p)) { v->kind = JSON_NUMBER; return json_number(jp, &v->number); }
    }
    return json_fail(jp, "unexpected character");
}

/* Parses len bytes as one JSON document. err: MV_ERROR_SIZE bytes. */
static int json_parse(const char *text, size_t len, json_doc *doc, char *err) {
    json_parser jp = {text, text + len, text, err, NULL};
    memset(doc, 0, sizeof *doc);
    int rc = json_value_parse(&jp, &doc->root, 0);
    if (rc == MV_OK) {
        json_skip_space(&jp);
        if (jp.p != jp.end) rc = json_fail(&jp, "trailing characters after the value");
    }
    doc->blocks = jp.blocks;
    if (rc != MV_OK) json_free(doc);
    return rc;
}

/* The member of an object with that key, or NULL. */
static const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->kind != JSON_OBJECT) return NULL;
    size_t len = strlen(key);
    for (uint32_t i = 0; i < obj->n; i++)
        if (obj->keys[i].len == len && !memcmp(obj->keys[i].str, key, len)) return &obj->items[i];
    return NULL;
}

/* v is the string s. */
static bool json_is(const json_value *v, const char *s) {
    return v && v->kind == JSON_STRING && v->len == strlen(s) && !memcmp(v->str, s, v->len);
}

static bool json_true(const json_value *v) { return v && v->kind == JSON_TRUE; }

/* Writes s as a JSON string literal: only '"', '\\' and control characters
   are escaped, non-ASCII text is kept as it is. */
static void json_write_string(char **out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    buf_append(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        switch (c) {
        case '"': buf_append(out, "\\\"", 2); break;
        case '\\': buf_append(out, "\\\\", 2); break;
        case '\n': buf_append(out, "\\n", 2); break;
        case '\r': buf_append(out, "\\r", 2); break;
        case '\t': buf_append(out, "\\t", 2); break;
        case '\b': buf_append(out, "\\b", 2); break;
        case '\f': buf_append(out, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                buf_append(out, e, 6);
            } else {
                buf_append(out, &s[i], 1);
            }
        }
    }
    buf_append(out, "\"", 1);
}

/* ============================================================================
   4. numbers — f16/bf16, block types, quantize/dequantize, dot kernels
   ============================================================================ */

/* A fused multiply-add, one rounding (fmaf: an instruction where the
   target has one, else glibc's exact emulation). */
#define MV_FMA(a, b, c) fmaf(a, b, c)

MV_INLINE float f32_from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
MV_INLINE uint32_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

/* IEEE binary16 to binary32, exact (subnormals, inf and NaN included):
   one instruction where the target has F16C. */
static inline float f16_to_f32(uint16_t h) {
#if defined(__F16C__)
    return _cvtsh_ss(h);
#endif
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0x1F) return f32_from_bits(sign | 0x7F800000 | (mant << 13));
    if (exp == 0) return mant ? (sign ? -1.0f : 1.0f) * (float)mant * 0x1p-24f : f32_from_bits(sign);
    return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

/* binary32 to binary16, rounding to nearest even (F16C where the target
   has it; NaN always as below). */
static inline uint16_t f32_to_f16(float f) {
#if defined(__F16C__)
    if (f == f) return _cvtss_sh(f, 0);
#endif
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7FFFFFFF;
    if (ax > 0x7F800000) return sign | 0x7E00;                 /* NaN */
    if (ax >= 0x477FF000) return sign | 0x7C00;                /* rounds to inf */
    if (ax < 0x38800000)                                       /* fp16 subnormal or zero */
        return sign | (uint16_t)lrintf(f32_from_bits(ax) * 0x1p24f);
    uint32_t h = ((ax >> 23) - 112) << 10 | ((ax >> 13) & 0x3FF);
    uint32_t rest = ax & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return sign | (uint16_t)h;
}

static inline float bf16_to_f32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }

static inline uint16_t f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((x >> 16) | 64); /* quiet NaN */
    return (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

/* Block layouts (FORMATS.md §2.2). Fields are little-endian; f16 fields are
   raw bits. Row data in a GGUF is 32-byte aligned and blocks have even sizes,
   so the u16 fields are naturally aligned. */
#define QK 32
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;            /* y = d·(q−8) */
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;         /* y = d·q + m */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0; /* y = d·(q−16) */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;                 /* y = d·q */
typedef struct { uint16_t d, s; int8_t qs[QK]; } block_q8_1;              /* s = d·Σq */
_Static_assert(sizeof(block_q4_0) == 18, "block_q4_0");
_Static_assert(sizeof(block_q4_1) == 20, "block_q4_1");
_Static_assert(sizeof(block_q5_0) == 22, "block_q5_0");
_Static_assert(sizeof(block_q5_1) == 24, "block_q5_1");
_Static_assert(sizeof(block_q8_0) == 34, "block_q8_0");
_Static_assert(sizeof(block_q8_1) == 36, "block_q8_1");

/* 256-element super-blocks (FORMATS.md §2.4, §2.5); Q8_K is for activations. */
#define QK_K 256
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } block_q8_K; /* bsums: sums of 16 */
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } block_q2_K;
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } block_q3_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } block_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } block_q5_K;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } block_q6_K;
typedef struct { uint16_t d, scales_h; uint8_t scales_l[4]; uint8_t qs[128]; } block_iq4_xs;
typedef struct { uint8_t qs[48]; uint8_t qh[4]; uint16_t d; } block_tq1_0;
typedef struct { uint8_t qs[64]; uint16_t d; } block_tq2_0;
/* 32-element blocks with a non-linear code table (Q8_0 activations). */
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_iq4_nl;
typedef struct { uint8_t e; uint8_t qs[QK / 2]; } block_mxfp4;        /* e: E8M0 scale */
/* MLX's affine groups (y = scale·code + bias) repacked per 32 values with
   the scale and bias as f32, exact for any F16/BF16/F32 source: codes of 2
   to 4 bits as nibbles (Q4_1's layout), 5 to 8 bits as int8 code − 128
   (the bias then holding the 128·scale). */
typedef struct { float d, m; uint8_t qs[QK / 2]; } block_mlx4;
typedef struct { float d, m; int8_t qs[QK]; } block_mlx8;
_Static_assert(sizeof(block_q8_K) == 292 && sizeof(block_q2_K) == 84 && sizeof(block_q3_K) == 110, "K blocks");
_Static_assert(sizeof(block_q4_K) == 144 && sizeof(block_q5_K) == 176 && sizeof(block_q6_K) == 210, "K blocks");
_Static_assert(sizeof(block_iq4_xs) == 136 && sizeof(block_tq1_0) == 54 && sizeof(block_tq2_0) == 66, "K blocks");
_Static_assert(sizeof(block_iq4_nl) == 18 && sizeof(block_mxfp4) == 17, "blocks");
_Static_assert(sizeof(block_mlx4) == 24 && sizeof(block_mlx8) == 40, "blocks");

/* IQ4_NL/IQ4_XS codes; MXFP4's E2M1 values doubled to integers (its scale is
   halved to match, as ggml keeps it). */
static const int8_t IQ4_VALUES[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
static const int8_t MXFP4_VALUES[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/* 2^(e−128): an E8M0 scale halved (e = 0 and 1 are subnormal). */
static inline float e8m0_half(uint8_t e) {
    return f32_from_bits(e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23);
}

/* ---- dequantize: stored row of n values -> f32 -------------------------- */

static void dequantize_f32(const void *src, float *y, int64_t n) { memcpy(y, src, (size_t)n * 4); }

static void dequantize_f16(const void *src, float *y, int64_t n) {
    const uint16_t *x = src;
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
#endif
    for (; i < n; i++) y[i] = f16_to_f32(x[i]);
}

static void dequantize_bf16(const void *src, float *y, int64_t n) {
    const uint16_t *x = src;
    for (int64_t i = 0; i < n; i++) y[i] = bf16_to_f32(x[i]);
}

/* The 5th bit of element j of a Q5 block. */
MV_INLINE int q5_high_bit(const uint8_t qh[4], int j) {
    uint32_t h;
    memcpy(&h, qh, 4);
    return (h >> j) & 1;
}

static void dequantize_q4_0(const void *src, float *y, int64_t n) {
    const block_q4_0 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * ((b[i].qs[j] & 15) - 8);
            y[j + QK / 2] = d * ((b[i].qs[j] >> 4) - 8);
        }
    }
}

static void dequantize_q4_1(const void *src, float *y, int64_t n) {
    const block_q4_1 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d), m = f16_to_f32(b[i].m);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * (b[i].qs[j] & 15) + m;
            y[j + QK / 2] = d * (b[i].qs[j] >> 4) + m;
        }
    }
}

static void dequantize_q5_0(const void *src, float *y, int64_t n) {
    const block_q5_0 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * (((b[i].qs[j] & 15) | q5_high_bit(b[i].qh, j) << 4) - 16);
            y[j + QK / 2] = d * (((b[i].qs[j] >> 4) | q5_high_bit(b[i].qh, j + 16) << 4) - 16);
        }
    }
}

static void dequantize_q5_1(const void *src, float *y, int64_t n) {
    const block_q5_1 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d), m = f16_to_f32(b[i].m);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = d * ((b[i].qs[j] & 15) | q5_high_bit(b[i].qh, j) << 4) + m;
            y[j + QK / 2] = d * ((b[i].qs[j] >> 4) | q5_high_bit(b[i].qh, j + 16) << 4) + m;
        }
    }
}

static void dequantize_q8_0(const void *src, float *y, int64_t n) {
    const block_q8_0 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK; j++) y[j] = d * b[i].qs[j];
    }
}

static void dequantize_q8_1(const void *src, float *y, int64_t n) {
    const block_q8_1 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK; j++) y[j] = d * b[i].qs[j];
    }
}

static void dequantize_iq4_nl(const void *src, float *y, int64_t n) {
    const block_iq4_nl *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) y[j] = d * IQ4_VALUES[b[i].qs[j] & 15], y[j + 16] = d * IQ4_VALUES[b[i].qs[j] >> 4];
    }
}

static void dequantize_mxfp4(const void *src, float *y, int64_t n) {
    const block_mxfp4 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK) {
        float d = e8m0_half(b[i].e);
        for (int j = 0; j < QK / 2; j++) y[j] = MXFP4_VALUES[b[i].qs[j] & 15] * d, y[j + 16] = MXFP4_VALUES[b[i].qs[j] >> 4] * d;
    }
}

static void dequantize_mlx4(const void *src, float *y, int64_t n) {
    const block_mlx4 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK)
        for (int j = 0; j < QK / 2; j++)
            y[j] = MV_FMA(b[i].d, (float)(b[i].qs[j] & 15), b[i].m), y[j + 16] = MV_FMA(b[i].d, (float)(b[i].qs[j] >> 4), b[i].m);
}

static void dequantize_mlx8(const void *src, float *y, int64_t n) {
    const block_mlx8 *b = src;
    for (int64_t i = 0; i < n / QK; i++, y += QK)
        for (int j = 0; j < QK; j++) y[j] = MV_FMA(b[i].d, (float)b[i].qs[j], b[i].m);
}

/* A K-type super-block as integers, the one form the dequantizers and dot
   kernels of all K types read: value = d·scale·(q − offset) − dmin·min. q is
   as llama.cpp's kernels multiply it: unsigned for Q2_K/Q4_K/Q5_K/Q6_K/TQ
   (Q6_K and TQ subtract offset 32 and 1 separately), signed for Q3_K/IQ4_XS. */
typedef struct {
    int8_t q[QK_K];
    int16_t scale[16], min[16];  /* per 16 elements */
    int offset;
    float d, dmin;
} kblock;

/* Scale and min j of the 12-byte packing of Q4_K/Q5_K (6 bits each). */
static void k4_scale_min(const uint8_t *b, int j, int *sc, int *m) {
    if (j < 4) *sc = b[j] & 63, *m = b[j + 4] & 63;
    else *sc = (b[j + 4] & 15) | (b[j - 4] >> 6) << 4, *m = (b[j + 4] >> 4) | (b[j] >> 6) << 4;
}

/* Base-3 digit n of a TQ1_0 byte: the byte is a fixed-point fraction of 3^5. */
static inline int tq1_trit(uint8_t b, int n) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    return ((uint8_t)(b * pow3[n]) * 3) >> 8;
}

/* The scales, mins, d and dmin of a Q4_K/Q5_K super-block (per 32 elements, stored per 16). */
static void k4_header(const uint8_t *scales, uint16_t d, uint16_t dmin, kblock *k) {
    for (int j = 0; j < 8; j++) {
        int sc, m;
        k4_scale_min(scales, j, &sc, &m);
        k->scale[2 * j] = k->scale[2 * j + 1] = (int16_t)sc;
        k->min[2 * j] = k->min[2 * j + 1] = (int16_t)m;
    }
    k->offset = 0, k->d = f16_to_f32(d), k->dmin = f16_to_f32(dmin);
}

static void unpack_kblock(int type, const void *w, int64_t i, kblock *k) {
    memset(k->min, 0, sizeof k->min);
    k->offset = 0, k->dmin = 0;
    switch (type) {
    case MV_TYPE_Q2_K: {
        const block_q2_K *b = (const block_q2_K *)w + i;
        for (int e = 0; e < QK_K; e++) k->q[e] = (int8_t)((b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3);
        for (int j = 0; j < 16; j++) k->scale[j] = b->scales[j] & 15, k->min[j] = b->scales[j] >> 4;
        k->d = f16_to_f32(b->d), k->dmin = f16_to_f32(b->dmin);
        return;
    }
    case MV_TYPE_Q3_K: {
        const block_q3_K *b = (const block_q3_K *)w + i;
        for (int e = 0; e < QK_K; e++) {
            int lo = (b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
            int hb = (b->hmask[e % 32] >> (4 * (e / 128) + (e % 128) / 32)) & 1;
            k->q[e] = (int8_t)(lo - (hb ? 0 : 4));
        }
        for (int j = 0; j < 16; j++) {
            int low4 = j < 8 ? b->scales[j] & 15 : b->scales[j - 8] >> 4;
            k->scale[j] = (int16_t)((low4 | ((b->scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32);
        }
        k->d = f16_to_f32(b->d);
        return;
    }
    case MV_TYPE_Q4_K: case MV_TYPE_Q5_K: {
        const bool five = type == MV_TYPE_Q5_K;
        const uint8_t *qs = five ? ((const block_q5_K *)w)[i].qs : ((const block_q4_K *)w)[i].qs;
        const uint8_t *scales = five ? ((const block_q5_K *)w)[i].scales : ((const block_q4_K *)w)[i].scales;
        for (int c = 0; c < 4; c++) /* 64 elements: the low nibbles of 32 bytes, then their high ones */
            for (int l = 0; l < 32; l++) k->q[64 * c + l] = (int8_t)(qs[32 * c + l] & 15), k->q[64 * c + 32 + l] = (int8_t)(qs[32 * c + l] >> 4);
        if (five) {
            const uint8_t *qh = ((const block_q5_K *)w)[i].qh;
            for (int c = 0; c < 4; c++)
                for (int l = 0; l < 32; l++)
                    k->q[64 * c + l] |= (int8_t)(((qh[l] >> (2 * c)) & 1) << 4), k->q[64 * c + 32 + l] |= (int8_t)(((qh[l] >> (2 * c + 1)) & 1) << 4);
        }
        k4_header(scales, five ? ((const block_q5_K *)w)[i].d : ((const block_q4_K *)w)[i].d,
                  five ? ((const block_q5_K *)w)[i].dmin : ((const block_q4_K *)w)[i].dmin, k);
        return;
    }
    case MV_TYPE_Q6_K: {
        const block_q6_K *b = (const block_q6_K *)w + i;
        for (int h = 0; h < 2; h++) { /* 128 elements: 4 runs of 32, low 4 bits from ql, high 2 from qh */
            const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
            int8_t *q = k->q + 128 * h;
            for (int l = 0; l < 32; l++) {
                q[l] = (int8_t)((ql[l] & 15) | (qh[l] & 3) << 4);
                q[32 + l] = (int8_t)((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4);
                q[64 + l] = (int8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4);
                q[96 + l] = (int8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4);
            }
        }
        for (int j = 0; j < 16; j++) k->scale[j] = b->scales[j];
        k->offset = 32, k->d = f16_to_f32(b->d);
        return;
    }
    case MV_TYPE_IQ4_XS: {
        const block_iq4_xs *b = (const block_iq4_xs *)w + i;
        for (int sb = 0; sb < 8; sb++) {
            for (int j = 0; j < 16; j++) {
                k->q[32 * sb + j] = IQ4_VALUES[b->qs[16 * sb + j] & 15];
                k->q[32 * sb + 16 + j] = IQ4_VALUES[b->qs[16 * sb + j] >> 4];
            }
            int ls = ((b->scales_l[sb / 2] >> (4 * (sb % 2))) & 15) | ((b->scales_h >> (2 * sb)) & 3) << 4;
            k->scale[2 * sb] = k->scale[2 * sb + 1] = (int16_t)(ls - 32);
        }
        k->d = f16_to_f32(b->d);
        return;
    }
    case MV_TYPE_TQ1_0: {
        const block_tq1_0 *b = (const block_tq1_0 *)w + i;
        for (int n = 0; n < 5; n++)
            for (int m = 0; m < 32; m++) k->q[32 * n + m] = (int8_t)tq1_trit(b->qs[m], n);
        for (int n = 0; n < 5; n++)
            for (int m = 0; m < 16; m++) k->q[160 + 16 * n + m] = (int8_t)tq1_trit(b->qs[32 + m], n);
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 4; j++) k->q[240 + 4 * n + j] = (int8_t)tq1_trit(b->qh[j], n);
        for (int j = 0; j < 16; j++) k->scale[j] = 1;
        k->offset = 1, k->d = f16_to_f32(b->d);
        return;
    }
    default: { /* TQ2_0 */
        const block_tq2_0 *b = (const block_tq2_0 *)w + i;
        for (int e = 0; e < QK_K; e++) k->q[e] = (int8_t)((b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3);
        for (int j = 0; j < 16; j++) k->scale[j] = 1;
        k->offset = 1, k->d = f16_to_f32(b->d);
    }
    }
}

/* As llama.cpp's dequantizers compute it: dl = d·scale, ml = dmin·min, dl·(q − offset) − ml. */
static void dequantize_k(int type, const void *src, float *y, int64_t n) {
    kblock k;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K) {
        unpack_kblock(type, src, i, &k);
        for (int e = 0; e < QK_K; e++) {
            const float dl = k.d * k.scale[e / 16], ml = k.dmin * k.min[e / 16];
            y[e] = dl * (float)(k.q[e] - k.offset) - ml;
        }
    }
}

static void dequantize_q2_k(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_Q2_K, src, y, n); }
static void dequantize_q3_k(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_Q3_K, src, y, n); }
static void dequantize_q4_k(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_Q4_K, src, y, n); }
static void dequantize_q5_k(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_Q5_K, src, y, n); }
static void dequantize_q6_k(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_Q6_K, src, y, n); }
static void dequantize_iq4_xs(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_IQ4_XS, src, y, n); }
static void dequantize_tq1_0(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_TQ1_0, src, y, n); }
static void dequantize_tq2_0(const void *src, float *y, int64_t n) { dequantize_k(MV_TYPE_TQ2_0, src, y, n); }

static void dequantize_q8_k(const void *src, float *y, int64_t n) {
    const block_q8_K *b = src;
    for (int64_t i = 0; i < n / QK_K; i++, y += QK_K)
        for (int j = 0; j < QK_K; j++) y[j] = b[i].d * b[i].qs[j];
}

/* ---- quantize: f32 row of n values -> stored blocks ---------------------
   These follow the reference quantizers of ggml (ggml-quants.c), so files
   written here and there agree and activations round as llama.cpp's do. */

static void quantize_f32(const float *x, void *dst, int64_t n) { memcpy(dst, x, (size_t)n * 4); }

static void quantize_f16(const float *x, void *dst, int64_t n) {
    uint16_t *y = dst;
    int64_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) { /* 8 at a time; from a NaN on, one at a time (f32_to_f16 has its own NaN) */
        const __m256 v = _mm256_loadu_ps(x + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) break;
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
#endif
    for (; i < n; i++) y[i] = f32_to_f16(x[i]);
}

static void quantize_bf16(const float *x, void *dst, int64_t n) {
    uint16_t *y = dst;
    for (int64_t i = 0; i < n; i++) y[i] = f32_to_bf16(x[i]);
}

/* The value of largest magnitude, with its sign. */
static float block_extreme(const float *x, int n) {
    float amax = 0, v = 0;
    for (int j = 0; j < n; j++)
        if (fabsf(x[j]) > amax) amax = fabsf(x[j]), v = x[j];
    return v;
}

static void block_min_max(const float *x, int n, float *min, float *max) {
    *min = FLT_MAX, *max = -FLT_MAX;
    for (int j = 0; j < n; j++) *min = fminf(*min, x[j]), *max = fmaxf(*max, x[j]);
}

static void quantize_q4_0(const float *x, void *dst, int64_t n) {
    block_q4_0 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float d = block_extreme(x, QK) / -8, id = d ? 1.0f / d : 0.0f;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < QK / 2; j++) {
            uint8_t lo = (uint8_t)MV_MIN(15, (int8_t)(x[j] * id + 8.5f));
            uint8_t hi = (uint8_t)MV_MIN(15, (int8_t)(x[j + QK / 2] * id + 8.5f));
            b[i].qs[j] = lo | hi << 4;
        }
    }
}

static void quantize_q4_1(const float *x, void *dst, int64_t n) {
    block_q4_1 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float min, max;
        block_min_max(x, QK, &min, &max);
        float d = (max - min) / 15, id = d ? 1.0f / d : 0.0f;
        b[i].d = f32_to_f16(d);
        b[i].m = f32_to_f16(min);
        for (int j = 0; j < QK / 2; j++) {
            uint8_t lo = (uint8_t)MV_MIN(15, (int8_t)((x[j] - min) * id + 0.5f));
            uint8_t hi = (uint8_t)MV_MIN(15, (int8_t)((x[j + QK / 2] - min) * id + 0.5f));
            b[i].qs[j] = lo | hi << 4;
        }
    }
}

static void quantize_q5_0(const float *x, void *dst, int64_t n) {
    block_q5_0 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float d = block_extreme(x, QK) / -16, id = d ? 1.0f / d : 0.0f;
        uint32_t qh = 0;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < QK / 2; j++) {
            uint8_t lo = (uint8_t)MV_MIN(31, (int8_t)(x[j] * id + 16.5f));
            uint8_t hi = (uint8_t)MV_MIN(31, (int8_t)(x[j + QK / 2] * id + 16.5f));
            b[i].qs[j] = (lo & 15) | (hi & 15) << 4;
            qh |= (uint32_t)(lo >> 4) << j | (uint32_t)(hi >> 4) << (j + QK / 2);
        }
        memcpy(b[i].qh, &qh, 4);
    }
}

static void quantize_q5_1(const float *x, void *dst, int64_t n) {
    block_q5_1 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float min, max;
        block_min_max(x, QK, &min, &max);
        float d = (max - min) / 31, id = d ? 1.0f / d : 0.0f;
        uint32_t qh = 0;
        b[i].d = f32_to_f16(d);
        b[i].m = f32_to_f16(min);
        for (int j = 0; j < QK / 2; j++) {
            uint8_t lo = (uint8_t)((x[j] - min) * id + 0.5f);
            uint8_t hi = (uint8_t)((x[j + QK / 2] - min) * id + 0.5f);
            b[i].qs[j] = (lo & 15) | (hi & 15) << 4;
            qh |= (uint32_t)((lo >> 4) & 1) << j | (uint32_t)((hi >> 4) & 1) << (j + QK / 2);
        }
        memcpy(b[i].qh, &qh, 4);
    }
}

static void quantize_q8_0(const float *x, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = fabsf(block_extreme(x, QK));
        float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < QK; j++) b[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

static void quantize_q8_1(const float *x, void *dst, int64_t n) {
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = fabsf(block_extreme(x, QK));
        float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        int sum = 0;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < QK; j++) sum += b[i].qs[j] = (int8_t)roundf(x[j] * id);
        b[i].s = f32_to_f16(d * (float)sum);
    }
}

/* Activation rows are quantized as llama.cpp's x86 kernels do (id = 127/max,
   rounding half to even), not as its reference quantizer (1/d, half away
   from zero): an element that rounds differently moves a logit by ~1%. */
static void quantize_act_q8_0(const float *x, void *dst, int64_t n) {
    block_q8_0 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        const float amax = fabsf(block_extreme(x, QK)), id = amax != 0.0f ? 127.0f / amax : 0.0f;
        b[i].d = f32_to_f16(amax / 127.0f);
        for (int j = 0; j < QK; j++) b[i].qs[j] = (int8_t)nearbyintf(x[j] * id);
    }
}

static void quantize_act_q8_1(const float *x, void *dst, int64_t n) {
    block_q8_1 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        const float amax = fabsf(block_extreme(x, QK)), id = amax != 0.0f ? 127.0f / amax : 0.0f, d = amax / 127.0f;
        int sum = 0;
        b[i].d = f32_to_f16(d);
        for (int j = 0; j < QK; j++) sum += b[i].qs[j] = (int8_t)nearbyintf(x[j] * id);
        b[i].s = f32_to_f16(d * (float)sum);
    }
}

/* Q8_K, as ggml's reference: scale −127/x for the element x of largest
   magnitude, round half to even, d = 1/scale, sums of every 16. */
static void quantize_act_q8_k(const float *x, void *dst, int64_t n) {
    block_q8_K *b = dst;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        const float max = block_extreme(x, QK_K);
        memset(b[i].bsums, 0, sizeof b[i].bsums);
        if (max == 0) {
            b[i].d = 0;
            memset(b[i].qs, 0, QK_K);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            b[i].qs[j] = (int8_t)MV_MIN(127, (int)nearbyintf(iscale * x[j]));
            b[i].bsums[j / 16] = (int16_t)(b[i].bsums[j / 16] + b[i].qs[j]);
        }
        b[i].d = 1 / iscale;
    }
}

/* ---- quantizers for the K types and the code-table types ----------------
   Scales are fitted by weighted least squares: for codes l, the best scale
   of x ≈ s·l is s = Σwxl/Σwl², leaving the error Σwx² − (Σwxl)²/Σwl². A fit
   tries scales that put the extreme value near the extreme code, keeps the
   best, then moves single codes while that lowers the error. The sub-block
   scales are then quantized against the super-block's d (and dmin), and
   every code is rounded again against the scale it will be read with. */

/* A set of codes: the 16 sorted values of a table, or the integers lo..hi. */
typedef struct { const int8_t *table; int lo, hi; } code_set;

static int code_value(const code_set *c, int i) { return c->table ? c->table[i] : c->lo + i; }

/* v rounded half to even into lo..hi (NaN: lo). */
static int round_clamp(float v, int lo, int hi) {
    if (!(v > (float)lo)) return lo;
    return v >= (float)hi ? hi : (int)nearbyintf(v);
}

/* Index of the code nearest v (NaN: the first). */
static int nearest_code(const code_set *c, float v) {
    const int last = 15;
    if (!c->table) return round_clamp(v, c->lo, c->hi) - c->lo;
    if (!(v > (float)c->table[0])) return 0;
    if (v >= (float)c->table[last]) return last;
    int below = 0, above = last;
    while (above - below > 1) {
        int mid = (below + above) / 2;
        if (v < c->table[mid]) above = mid;
        else below = mid;
    }
    return v - c->table[below] < c->table[above] - v ? below : above;
}

/* The scale s minimizing Σw(x − s·l)² over codes l of c. Tried first:
   the scales that map the extreme of x to the first code + step·t, |t| ≤ ntry. */
static float fit_scale(const float *x, const float *w, int n, const code_set *c, float step, int ntry) {
    const float max = block_extreme(x, n);
    if (fabsf(max) < 1e-15f) return 0;
    double sxl = 0, sll = 0;
    uint8_t L[QK_K], trial[QK_K];
    for (int t = -ntry; t <= ntry; t++) {
        const float inverse = ((float)code_value(c, 0) + step * (float)t) / max;
        double txl = 0, tll = 0;
        for (int i = 0; i < n; i++) {
            trial[i] = (uint8_t)nearest_code(c, inverse * x[i]);
            const double l = code_value(c, trial[i]);
            txl += w[i] * x[i] * l, tll += w[i] * l * l;
        }
        if (tll > 0 && (sll == 0 || txl * txl * sll > sxl * sxl * tll)) {
            sxl = txl, sll = tll;
            memcpy(L, trial, (size_t)n);
        }
    }
    if (sll == 0) return 0;
    for (int pass = 0; pass < 4; pass++) {
        bool moved = false;
        for (int i = 0; i < n; i++) {
            const int to = nearest_code(c, x[i] * (float)(sll / sxl));
            if (to == L[i]) continue;
            const double from_l = code_value(c, L[i]), to_l = code_value(c, to);
            const double nxl = sxl + w[i] * x[i] * (to_l - from_l), nll = sll + w[i] * (to_l * to_l - from_l * from_l);
            if (nll > 0 && nxl * nxl * sll > sxl * sxl * nll) sxl = nxl, sll = nll, L[i] = (uint8_t)to, moved = true;
        }
        if (!moved) break;
    }
    return (float)(sxl / sll);
}

/* The scale s ≥ 0 and min m ≥ 0 minimizing Σw(x − (s·l − m))² over codes l in 0..nmax,
   trying the scales (nmax + first + step·t)/(max − min) for t in 0..n_try. */
static float fit_affine(const float *x, const float *w, int n, int nmax, float first, float step, int n_try, float *m) {
    float lo, hi;
    block_min_max(x, n, &lo, &hi);
    lo = fminf(lo, 0);
    if (!(hi > lo)) {
        *m = -lo;
        return 0;
    }
    double sw = 0, swx = 0;
    for (int i = 0; i < n; i++) sw += w[i], swx += w[i] * x[i];
    float best_s = (hi - lo) / (float)nmax, best_b = lo;
    double best_error = 0;
    for (int i = 0; i < n; i++) {
        const double e = best_s * round_clamp((x[i] - lo) / best_s, 0, nmax) + lo - x[i];
        best_error += w[i] * e * e;
    }
    uint8_t trial[QK_K];
    for (int t = 0; t <= n_try; t++) {
        const float inverse = ((float)nmax + first + step * (float)t) / (hi - lo);
        double sl = 0, sll = 0, sxl = 0;
        for (int i = 0; i < n; i++) {
            trial[i] = (uint8_t)round_clamp(inverse * (x[i] - lo), 0, nmax);
            sl += w[i] * trial[i], sll += w[i] * trial[i] * trial[i], sxl += w[i] * trial[i] * x[i];
        }
        const double det = sw * sll - sl * sl;
        if (!(det > 0)) continue;
        double s = (sw * sxl - swx * sl) / det, b = (sll * swx - sl * sxl) / det;
        if (b > 0) b = 0, s = sxl / sll;
        double error = 0;
        for (int i = 0; i < n; i++) {
            const double e = s * trial[i] + b - x[i];
            error += w[i] * e * e;
        }
        if (error < best_error) best_error = error, best_s = (float)s, best_b = (float)b;
    }
    *m = -best_b;
    return best_s;
}

/* Sub-block scales s[0..n) as integers q in lo..hi with q·d ≈ s; returns d.
   Signed ranges put the extreme scale at lo, unsigned ones the largest at hi. */
static float quantize_scales(const float *s, int n, int lo, int hi, int16_t *q) {
    float d = 0;
    if (lo < 0) d = block_extreme(s, n) / (float)lo;
    else {
        for (int j = 0; j < n; j++) d = fmaxf(d, s[j]);
        d /= (float)hi;
    }
    for (int j = 0; j < n; j++) q[j] = (int16_t)(d != 0 ? round_clamp(s[j] / d, lo, hi) : 0);
    return d;
}

static int float_desc(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* TQ1_0/TQ2_0: one scale for 256 codes in −1..1. With the k largest |x| at
   ±1 the best d is their mean; every k is tried. */
static float fit_ternary(const float *x, int n) {
    float a[QK_K];
    for (int i = 0; i < n; i++) a[i] = fabsf(x[i]);
    qsort(a, (size_t)n, sizeof *a, float_desc);
    double sum = 0, best = 0, best_d = 0;  /* error = Σx² − (Σ top k)²/k */
    for (int k = 1; k <= n; k++) {
        sum += a[k - 1];
        if (sum * sum / k > best) best = sum * sum / k, best_d = sum / k;
    }
    return (float)best_d;
}

/* The inverse of unpack_kblock: k's integers into block i of a K-type row. */
static void pack_kblock(int type, const kblock *k, void *w, int64_t i) {
    switch (type) {
    case MV_TYPE_Q2_K: case MV_TYPE_TQ2_0: {
        uint8_t *qs = type == MV_TYPE_Q2_K ? ((block_q2_K *)w)[i].qs : ((block_tq2_0 *)w)[i].qs;
        memset(qs, 0, 64);
        for (int e = 0; e < QK_K; e++) qs[32 * (e / 128) + e % 32] |= (uint8_t)((k->q[e] & 3) << (2 * ((e % 128) / 32)));
        if (type == MV_TYPE_TQ2_0) {
            ((block_tq2_0 *)w)[i].d = f32_to_f16(k->d);
            return;
        }
        block_q2_K *b = (block_q2_K *)w + i;
        for (int j = 0; j < 16; j++) b->scales[j] = (uint8_t)(k->scale[j] | k->min[j] << 4);
        b->d = f32_to_f16(k->d), b->dmin = f32_to_f16(k->dmin);
        return;
    }
    case MV_TYPE_Q3_K: {
        block_q3_K *b = (block_q3_K *)w + i;
        memset(b, 0, sizeof *b);
        for (int e = 0; e < QK_K; e++) {
            const int high = k->q[e] >= 0, low = high ? k->q[e] : k->q[e] + 4;
            b->qs[32 * (e / 128) + e % 32] |= (uint8_t)(low << (2 * ((e % 128) / 32)));
            b->hmask[e % 32] |= (uint8_t)(high << (4 * (e / 128) + (e % 128) / 32));
        }
        for (int j = 0; j < 16; j++) {
            const int s = k->scale[j] + 32;
            b->scales[j % 8] |= (uint8_t)((s & 15) << (4 * (j / 8)));
            b->scales[8 + j % 4] |= (uint8_t)((s >> 4) << (2 * (j / 4)));
        }
        b->d = f32_to_f16(k->d);
        return;
    }
    case MV_TYPE_Q4_K: case MV_TYPE_Q5_K: {
        const bool five = type == MV_TYPE_Q5_K;
        uint8_t *qs = five ? ((block_q5_K *)w)[i].qs : ((block_q4_K *)w)[i].qs;
        uint8_t *scales = five ? ((block_q5_K *)w)[i].scales : ((block_q4_K *)w)[i].scales;
        memset(qs, 0, 128);
        memset(scales, 0, 12);
        if (five) memset(((block_q5_K *)w)[i].qh, 0, 32);
        for (int e = 0; e < QK_K; e++) {
            const int c = e / 64, l = e % 32, high = (e % 64) >= 32;
            qs[32 * c + l] |= (uint8_t)((k->q[e] & 15) << (4 * high));
            if (five) ((block_q5_K *)w)[i].qh[l] |= (uint8_t)((k->q[e] >> 4) << (2 * c + high));
        }
        for (int j = 0; j < 8; j++) {
            const int sc = k->scale[2 * j], m = k->min[2 * j];
            if (j < 4) {
                scales[j] |= (uint8_t)sc, scales[j + 4] |= (uint8_t)m;
            } else {
                scales[j + 4] = (uint8_t)((sc & 15) | (m & 15) << 4);
                scales[j - 4] |= (uint8_t)((sc >> 4) << 6), scales[j] |= (uint8_t)((m >> 4) << 6);
            }
        }
        const uint16_t d = f32_to_f16(k->d), dmin = f32_to_f16(k->dmin);
        if (five) ((block_q5_K *)w)[i].d = d, ((block_q5_K *)w)[i].dmin = dmin;
        else ((block_q4_K *)w)[i].d = d, ((block_q4_K *)w)[i].dmin = dmin;
        return;
    }
    case MV_TYPE_Q6_K: {
        block_q6_K *b = (block_q6_K *)w + i;
        memset(b, 0, sizeof *b);
        for (int e = 0; e < QK_K; e++) {
            const int h = e / 128, r = e % 128, l = r % 32, part = r / 32;
            b->ql[64 * h + l + 32 * (part & 1)] |= (uint8_t)((k->q[e] & 15) << (4 * (part >= 2)));
            b->qh[32 * h + l] |= (uint8_t)((k->q[e] >> 4) << (2 * part));
        }
        for (int j = 0; j < 16; j++) b->scales[j] = (int8_t)k->scale[j];
        b->d = f32_to_f16(k->d);
        return;
    }
    case MV_TYPE_IQ4_XS: {
        block_iq4_xs *b = (block_iq4_xs *)w + i;
        memset(b, 0, sizeof *b);
        for (int e = 0; e < QK_K; e++) {
            int code = 0;
            while (code < 15 && IQ4_VALUES[code] != k->q[e]) code++;
            b->qs[16 * (e / 32) + e % 16] |= (uint8_t)(code << (4 * ((e % 32) >= 16)));
        }
        for (int sb = 0; sb < 8; sb++) {
            const int ls = k->scale[2 * sb] + 32;
            b->scales_l[sb / 2] |= (uint8_t)((ls & 15) << (4 * (sb % 2)));
            b->scales_h |= (uint16_t)((ls >> 4) << (2 * sb));
        }
        b->d = f32_to_f16(k->d);
        return;
    }
    default: { /* TQ1_0: 5 codes a byte as a fraction of 3^5 rounded up, the first code most significant */
        block_tq1_0 *b = (block_tq1_0 *)w + i;
        for (int byte = 0; byte < 52; byte++) {
            int value = 0;
            for (int n = 0; n < 5; n++) {
                int e = byte < 32 ? 32 * n + byte : byte < 48 ? 160 + 16 * n + byte - 32 : 240 + 4 * n + byte - 48;
                value = 3 * value + (byte >= 48 && n == 4 ? 0 : k->q[e]);
            }
            const uint8_t packed = (uint8_t)((value * 256 + 242) / 243);
            if (byte < 48) b->qs[byte] = packed;
            else b->qh[byte - 48] = packed;
        }
        b->d = f32_to_f16(k->d);
    }
    }
}

/* How each K type is fitted: sub-blocks of `sub` elements with codes stored
   as code + offset; their scales (and mins) quantized into scale_lo..hi. */
typedef struct {
    int sub;
    code_set codes;
    int offset, scale_lo, scale_hi;
    bool affine;           /* codes 0..hi, a min subtracted (fit_affine) */
    float first, step;
    int n_try;
} k_fit;

static const k_fit K_FITS[MV_TYPE_COUNT] = {
    [MV_TYPE_Q2_K] = {16, {NULL, 0, 3}, 0, 0, 15, true, -0.5f, 0.1f, 15},
    [MV_TYPE_Q3_K] = {16, {NULL, -4, 3}, 0, -32, 31, false, 0, 0.1f, 9},
    [MV_TYPE_Q4_K] = {32, {NULL, 0, 15}, 0, 0, 63, true, -1.0f, 0.1f, 20},
    [MV_TYPE_Q5_K] = {32, {NULL, 0, 31}, 0, 0, 63, true, -0.5f, 0.1f, 15},
    [MV_TYPE_Q6_K] = {16, {NULL, -32, 31}, 32, -128, 127, false, 0, 0.1f, 9},
    [MV_TYPE_IQ4_XS] = {32, {IQ4_VALUES, 0, 0}, 0, -32, 31, false, 0, 1.0f, 7},
    [MV_TYPE_TQ1_0] = {QK_K, {NULL, -1, 1}, 1, 1, 1, false, 0, 0, 0},
    [MV_TYPE_TQ2_0] = {QK_K, {NULL, -1, 1}, 1, 1, 1, false, 0, 0, 0},
};

/* Fit weights rms(x) + |x|: the error that counts is the plain squared one,
   leaning a little toward the large values, which matter most to a layer. */
static void fit_weights(const float *x, int n, float *w) {
    double sum_sq = 0;
    for (int i = 0; i < n; i++) sum_sq += (double)x[i] * x[i];
    const float rms = (float)sqrt(sum_sq / n);
    for (int i = 0; i < n; i++) w[i] = rms + fabsf(x[i]);
}

/* Rounds elements [e0, e0 + n) of x to codes of k for sub-block scale sc and
   min m (integers, as stored); returns the squared error. */
static double round_codes(const float *x, const code_set *c, kblock *k, int e0, int n, int sc, int m) {
    const float dl = k->d * (float)sc, ml = k->dmin * (float)m;
    double error = 0;
    for (int e = e0; e < e0 + n; e++) {
        const int l = code_value(c, nearest_code(c, dl != 0 ? (x[e] + ml) / dl : 0));
        const double diff = dl * (float)l - ml - x[e];
        k->q[e] = (int8_t)(l + k->offset);
        error += diff * diff;
    }
    return error;
}

static void quantize_k(int type, const float *x, void *dst, int64_t n) {
    const k_fit *f = &K_FITS[type];
    const int n_sub = QK_K / f->sub, lo = f->scale_lo, hi = f->scale_hi;
    const bool ternary = n_sub == 1;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        kblock k = {.offset = f->offset};
        float scale[16], min[16], w[QK_K];
        int16_t qscale[16] = {0}, qmin[16] = {0};
        for (int j = 0; j < n_sub; j++) {
            const float *xs = x + j * f->sub, *ws = w + j * f->sub;
            fit_weights(xs, f->sub, w + j * f->sub);
            scale[j] = ternary ? fit_ternary(xs, QK_K)
                     : f->affine ? fit_affine(xs, ws, f->sub, f->codes.hi, f->first, f->step, f->n_try, &min[j])
                     : fit_scale(xs, ws, f->sub, &f->codes, f->step, f->n_try);
        }
        const float d = ternary ? scale[0] : quantize_scales(scale, n_sub, lo, hi, qscale);
        if (ternary) qscale[0] = 1;
        k.d = f16_to_f32(f32_to_f16(d));
        if (f->affine) k.dmin = f16_to_f32(f32_to_f16(quantize_scales(min, n_sub, 0, hi, qmin)));
        /* the quantized scale and min, or a neighbour, whichever rounds best */
        for (int j = 0; j < n_sub; j++) {
            int best_sc = qscale[j], best_m = qmin[j];
            double best_error = INFINITY;
            for (int sc = MV_MAX(lo, qscale[j] - 1); sc <= MV_MIN(hi, qscale[j] + 1); sc++)
                for (int m = f->affine ? MV_MAX(0, qmin[j] - 1) : 0; m <= (f->affine ? MV_MIN(hi, qmin[j] + 1) : 0); m++) {
                    const double error = round_codes(x, &f->codes, &k, j * f->sub, f->sub, sc, m);
                    if (error < best_error) best_error = error, best_sc = sc, best_m = m;
                }
            round_codes(x, &f->codes, &k, j * f->sub, f->sub, best_sc, best_m);
            for (int e = j * f->sub; e < (j + 1) * f->sub; e += 16) k.scale[e / 16] = (int16_t)best_sc, k.min[e / 16] = (int16_t)best_m;
        }
        pack_kblock(type, &k, dst, i);
    }
}

static void quantize_q2_k(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_Q2_K, x, dst, n); }
static void quantize_q3_k(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_Q3_K, x, dst, n); }
static void quantize_q4_k(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_Q4_K, x, dst, n); }
static void quantize_q5_k(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_Q5_K, x, dst, n); }
static void quantize_q6_k(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_Q6_K, x, dst, n); }
static void quantize_iq4_xs(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_IQ4_XS, x, dst, n); }
static void quantize_tq1_0(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_TQ1_0, x, dst, n); }
static void quantize_tq2_0(const float *x, void *dst, int64_t n) { quantize_k(MV_TYPE_TQ2_0, x, dst, n); }

static void quantize_iq4_nl(const float *x, void *dst, int64_t n) {
    static const code_set codes = {IQ4_VALUES, 0, 0};
    block_iq4_nl *b = dst;
    float w[QK];
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        fit_weights(x, QK, w);
        b[i].d = f32_to_f16(fit_scale(x, w, QK, &codes, 1.0f, 7));
        const float d = f16_to_f32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            const int lo = nearest_code(&codes, d != 0 ? x[j] / d : 0), hi = nearest_code(&codes, d != 0 ? x[j + QK / 2] / d : 0);
            b[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

/* MXFP4: the power-of-two scale putting the block's largest |x| just past
   the top code (6), or the next one up; whichever leaves less error. */
static void quantize_mxfp4(const float *x, void *dst, int64_t n) {
    block_mxfp4 *b = dst;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        const float amax = fabsf(block_extreme(x, QK));
        const int e0 = !(amax > 0) ? 0 : isinf(amax) ? 253 : MV_MAX(0, MV_MIN(253, (int)floorf(log2f(amax)) - 2 + 127));
        double best_error = INFINITY;
        for (int e = e0; e <= e0 + 1; e++) {
            block_mxfp4 trial = {.e = (uint8_t)e};
            const float d = e8m0_half((uint8_t)e);
            double error = 0;
            for (int j = 0; j < QK; j++) {
                int best = 0;
                for (int c = 1; c < 16; c++)
                    if (fabsf(MXFP4_VALUES[c] * d - x[j]) < fabsf(MXFP4_VALUES[best] * d - x[j])) best = c;
                const double diff = MXFP4_VALUES[best] * d - x[j];
                error += diff * diff;
                trial.qs[j % 16] |= (uint8_t)(best << (4 * (j >= 16)));
            }
            if (error < best_error) best_error = error, b[i] = trial;
        }
    }
}

/* MLX4/MLX8 from floats (for tests and benchmarks; models bring their own
   codes): the group's minimum as bias, the range over the codes as scale. */
static void quantize_mlx(const float *x, void *dst, int64_t n, bool eight) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float min, max;
        block_min_max(x, QK, &min, &max);
        const int top = eight ? 255 : 15;
        const float d = (max - min) / (float)top, id = d ? 1.0f / d : 0.0f;
        block_mlx4 *b4 = (block_mlx4 *)dst + i;
        block_mlx8 *b8 = (block_mlx8 *)dst + i;
        if (eight) b8->d = d, b8->m = MV_FMA(128.0f, d, min);
        else b4->d = d, b4->m = min, memset(b4->qs, 0, sizeof b4->qs);
        for (int j = 0; j < QK; j++) {
            const int q = round_clamp((x[j] - min) * id, 0, top);
            if (eight) b8->qs[j] = (int8_t)(q - 128);
            else b4->qs[j % 16] |= (uint8_t)(q << (4 * (j >= 16)));
        }
    }
}

static void quantize_mlx4(const float *x, void *dst, int64_t n) { quantize_mlx(x, dst, n, false); }
static void quantize_mlx8(const float *x, void *dst, int64_t n) { quantize_mlx(x, dst, n, true); }

/* ---- dot products: one stored weight row · one activation row ----------
   The activation row is in the weight type's dot_type: F32 for float
   weights, Q8_0 or Q8_1 blocks for the block types.

   Every kernel, at every SIMD level, adds in one order, the scalar
   kernel's, so results are bit-identical on every CPU. That order is
   llama.cpp's on x86 with AVX-512, so its reference logits are reproduced
   to the last bit rather than to within rounding (which matters: an
   activation that rounds to the other Q8 code moves a logit by ~1%):
   - block types: per block, 8 lanes each holding the integer sum of 4
     adjacent products; lane += (d_w·d_a)·sum, fused; lanes folded as
     reduce8; Q4_1/Q5_1 add their m·s terms separately, fused;
   - float types: 4 chains of 16 lanes over steps of 64, fused; the chains
     folded (0+2)+(1+3), the lanes as reduce16; then the rest one by one,
     as llama.cpp's build (gcc -O3) vectorized its loop: in groups of 8 the
     products rounded before each addition, the last (rest mod 8) fused;
   - BF16 (BF16 activations): as vdpbf16ps, lane j of each 32-element chunk
     adds x[2j+1]·y[2j+1], then x[2j]·y[2j] (exact products, so each step
     is a fused multiply-add); chunks alternate between two 16-lane chains,
     each reduced as reduce16 and summed in double with the rest;
   - "chain16" rows (llama.cpp's batched F32/F16/BF16 GEMM): one chain of
     16 lanes (BF16: pairs, 32 elements a step);
   - "interleaved" block rows (types llama.cpp repacks 8 rows at a time on
     x86, in matrices of a multiple of 8 rows): one chain per row, each
     block's whole integer sum added as sum·(d_w·d_a), fused.
   The fused steps are fmaf everywhere: an instruction where the target has
   one, else (glibc) the CPU's FMA found at run time or an exact emulation. */


/* sum + a·b in two roundings, whatever the compiler's -ffp-contract: the
   volatile product cannot be fused into the addition. */
static inline float add_product(float sum, float a, float b) {
    volatile float product = a * b;
    return sum + product;
}

/* ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)): an 8-lane register's horizontal sum. */
static inline float reduce8(const float *a) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* A 16-lane register's horizontal sum: halves, quarters, then pairs. */
static inline float reduce16(const float *a) {
    float b[8];
    for (int i = 0; i < 8; i++) b[i] = a[i] + a[i + 8];
    return reduce8(b);
}

typedef float (*dot_fn)(int n, const void *w, const void *a);

MV_INLINE float float_value(int type, const void *p, int i) {
    if (type == MV_TYPE_F16) return f16_to_f32(((const uint16_t *)p)[i]);
    if (type == MV_TYPE_BF16) return bf16_to_f32(((const uint16_t *)p)[i]);
    return ((const float *)p)[i];
}

/* The activations of a float-type weight row: F16 and BF16 rows take their
   own type (llama.cpp rounds activations so), F32 rows F32. */
MV_INLINE int float_act_type(int type) { return type; }

/* The elements after the chains, as llama.cpp's vec_dot adds them: f16
   products (exact in f32) in double; f32 products in float, unfused but
   for the last (n − i0) mod 8, which are fused. */
MV_INLINE float float_tail(int type, int i0, int n, const void *w, const void *a, float s) {
    const int at = float_act_type(type), fused_from = n - (n - i0) % 8;
    if (at == MV_TYPE_F16) {
        double sum = s;
        for (int i = i0; i < n; i++) sum += (double)(float_value(type, w, i) * float_value(at, a, i));
        return (float)sum;
    }
    for (int i = i0; i < fused_from; i++) s = add_product(s, float_value(type, w, i), float_value(at, a, i));
    for (int i = fused_from; i < n; i++) s = MV_FMA(float_value(type, w, i), float_value(at, a, i), s);
    return s;
}

MV_INLINE float dot_float_scalar(int type, int n, const void *w, const void *a) {
    const int at = float_act_type(type);
    float lanes[64] = {0}, folded[16];
    const int np = n & ~63;
    for (int i = 0; i < np; i++) lanes[i & 63] = MV_FMA(float_value(type, w, i), float_value(at, a, i), lanes[i & 63]);
    for (int l = 0; l < 16; l++) folded[l] = (lanes[l] + lanes[l + 32]) + (lanes[l + 16] + lanes[l + 48]);
    return float_tail(type, np, n, w, a, reduce16(folded));
}

static float dot_f32_scalar(int n, const void *w, const void *a) { return dot_float_scalar(MV_TYPE_F32, n, w, a); }
static float dot_f16_scalar(int n, const void *w, const void *a) { return dot_float_scalar(MV_TYPE_F16, n, w, a); }

/* One vdpbf16ps lane: lane + x[e+1]·y[e+1], then + x[e]·y[e]. */
MV_INLINE float bf16_pair(float lane, const uint16_t *x, const uint16_t *y, int e) {
    return MV_FMA(bf16_to_f32(x[e]), bf16_to_f32(y[e]), MV_FMA(bf16_to_f32(x[e + 1]), bf16_to_f32(y[e + 1]), lane));
}

/* The BF16 rest after the chains, and the sum of both chains, in double. */
MV_INLINE float bf16_finish(float chain0, float chain1, int i0, int n, const uint16_t *x, const uint16_t *y) {
    double sum = 0;
    sum += chain0;
    sum += chain1;
    for (int i = i0; i < n; i++) sum += (double)(bf16_to_f32(x[i]) * bf16_to_f32(y[i]));
    return (float)sum;
}

static float dot_bf16_scalar(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    float lanes[2][16] = {{0}};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < 16; j++) lanes[c][j] = bf16_pair(lanes[c][j], x, y, i + 32 * c + 2 * j);
    return bf16_finish(reduce16(lanes[0]), reduce16(lanes[1]), np, n, x, y);
}

/* Rows (F32·F32 or F16·F16) of a multiple of 16 elements in one chain of 16 lanes. */
MV_INLINE float chain16_scalar(int type, int n, const void *x, const void *y) {
    float lanes[16] = {0};
    for (int i = 0; i < n; i++) lanes[i & 15] = MV_FMA(float_value(type, x, i), float_value(type, y, i), lanes[i & 15]);
    return reduce16(lanes);
}

static float chain16_f32_scalar(int n, const void *x, const void *y) { return chain16_scalar(MV_TYPE_F32, n, x, y); }
static float chain16_f16_scalar(int n, const void *x, const void *y) { return chain16_scalar(MV_TYPE_F16, n, x, y); }

static float chain16_bf16_scalar(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    float lanes[16] = {0};
    for (int i = 0; i < n; i += 32)
        for (int j = 0; j < 16; j++) lanes[j] = bf16_pair(lanes[j], x, y, i + 2 * j);
    return reduce16(lanes);
}

/* Types with an offset (y = d·q + m) take Q8_1 activations, whose sums give
   the m·Σa term. */
MV_INLINE bool type_has_offset(int type) { return type == MV_TYPE_Q4_1 || type == MV_TYPE_Q5_1 || type == MV_TYPE_MLX4 || type == MV_TYPE_MLX8; }

/* Weight block i: its 32 values as small integers (Q4_0/Q5_0 centred,
   Q4_1/Q5_1 as stored), its scale d and offset m (0 for symmetric types). */
static void unpack_block(int type, const void *w, int i, int8_t q[QK], float *d, float *m) {
    *m = 0;
    switch (type) {
    case MV_TYPE_Q4_0: {
        const block_q4_0 *b = (const block_q4_0 *)w + i;
        for (int j = 0; j < QK / 2; j++) q[j] = (int8_t)((b->qs[j] & 15) - 8), q[j + 16] = (int8_t)((b->qs[j] >> 4) - 8);
        *d = f16_to_f32(b->d);
        return;
    }
    case MV_TYPE_Q4_1: {
        const block_q4_1 *b = (const block_q4_1 *)w + i;
        for (int j = 0; j < QK / 2; j++) q[j] = (int8_t)(b->qs[j] & 15), q[j + 16] = (int8_t)(b->qs[j] >> 4);
        *d = f16_to_f32(b->d), *m = f16_to_f32(b->m);
        return;
    }
    case MV_TYPE_Q5_0: {
        const block_q5_0 *b = (const block_q5_0 *)w + i;
        for (int j = 0; j < QK / 2; j++) {
            q[j] = (int8_t)(((b->qs[j] & 15) | q5_high_bit(b->qh, j) << 4) - 16);
            q[j + 16] = (int8_t)(((b->qs[j] >> 4) | q5_high_bit(b->qh, j + 16) << 4) - 16);
        }
        *d = f16_to_f32(b->d);
        return;
    }
    case MV_TYPE_Q5_1: {
        const block_q5_1 *b = (const block_q5_1 *)w + i;
        for (int j = 0; j < QK / 2; j++) {
            q[j] = (int8_t)((b->qs[j] & 15) | q5_high_bit(b->qh, j) << 4);
            q[j + 16] = (int8_t)((b->qs[j] >> 4) | q5_high_bit(b->qh, j + 16) << 4);
        }
        *d = f16_to_f32(b->d), *m = f16_to_f32(b->m);
        return;
    }
    case MV_TYPE_IQ4_NL: case MV_TYPE_MXFP4: {
        const bool nl = type == MV_TYPE_IQ4_NL;
        const uint8_t *qs = nl ? ((const block_iq4_nl *)w)[i].qs : ((const block_mxfp4 *)w)[i].qs;
        const int8_t *values = nl ? IQ4_VALUES : MXFP4_VALUES;
        for (int j = 0; j < QK / 2; j++) q[j] = values[qs[j] & 15], q[j + 16] = values[qs[j] >> 4];
        *d = nl ? f16_to_f32(((const block_iq4_nl *)w)[i].d) : e8m0_half(((const block_mxfp4 *)w)[i].e);
        return;
    }
    case MV_TYPE_MLX4: {
        const block_mlx4 *b = (const block_mlx4 *)w + i;
        for (int j = 0; j < QK / 2; j++) q[j] = (int8_t)(b->qs[j] & 15), q[j + 16] = (int8_t)(b->qs[j] >> 4);
        *d = b->d, *m = b->m;
        return;
    }
    case MV_TYPE_MLX8: {
        const block_mlx8 *b = (const block_mlx8 *)w + i;
        memcpy(q, b->qs, QK);
        *d = b->d, *m = b->m;
        return;
    }
    default: {
        const block_q8_0 *b = (const block_q8_0 *)w + i;
        memcpy(q, b->qs, QK);
        *d = f16_to_f32(b->d);
    }
    }
}

/* IQ4_NL and MXFP4 alternate blocks between two accumulators in llama.cpp's
   vec_dot (chains = 2); an odd last block is then added alone, unfused. */

/* Activation block i: its int8 values, its scale, and (Q8_1) d·Σq. */
MV_INLINE const int8_t *act_block(int type, const void *a, int i, float *d, float *s) {
    if (type_has_offset(type)) {
        const block_q8_1 *y = (const block_q8_1 *)a + i;
        *d = f16_to_f32(y->d), *s = f16_to_f32(y->s);
        return y->qs;
    }
    const block_q8_0 *y = (const block_q8_0 *)a + i;
    *d = f16_to_f32(y->d), *s = 0;
    return y->qs;
}

MV_INLINE float dot_blocks_scalar(int type, int chains, int n, const void *w, const void *a) {
    float lanes[2][8] = {{0}}, offsets = 0;
    const int nb = n / QK, two = chains == 2, paired = two ? nb & ~1 : nb;
    for (int i = 0; i < paired; i++) {
        int8_t q[QK];
        float dw, m, da, sa;
        unpack_block(type, w, i, q, &dw, &m);
        const int8_t *qa = act_block(type, a, i, &da, &sa);
        const float d = dw * da;
        for (int k = 0; k < 8; k++) {
            int s = 0;
            for (int j = 4 * k; j < 4 * k + 4; j++) s += q[j] * qa[j];
            lanes[two ? i & 1 : 0][k] = MV_FMA(d, (float)s, lanes[two ? i & 1 : 0][k]);
        }
        offsets = MV_FMA(m, sa, offsets);
    }
    for (int k = 0; k < 8; k++) lanes[0][k] += lanes[1][k];
    float sum = reduce8(lanes[0]) + offsets;
    if (paired < nb) {
        int8_t q[QK];
        float dw, m, da, sa;
        unpack_block(type, w, paired, q, &dw, &m);
        const int8_t *qa = act_block(type, a, paired, &da, &sa);
        int s = 0;
        for (int j = 0; j < QK; j++) s += q[j] * qa[j];
        sum = add_product(sum, dw * da, (float)s);
    }
    return sum;
}

static float dot_q4_0_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_Q4_0, 1, n, w, a); }
static float dot_q4_1_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_Q4_1, 1, n, w, a); }
static float dot_q5_0_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_Q5_0, 1, n, w, a); }
static float dot_q5_1_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_Q5_1, 1, n, w, a); }
static float dot_q8_0_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_Q8_0, 1, n, w, a); }
static float dot_mlx4_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_MLX4, 1, n, w, a); }
static float dot_mlx8_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_MLX8, 1, n, w, a); }

MV_INLINE float dot_interleaved_scalar(int type, int n, const void *w, const void *a) {
    float acc = 0;
    for (int i = 0; i < n / QK; i++) {
        int8_t q[QK];
        float dw, m, da, sa;
        unpack_block(type, w, i, q, &dw, &m);
        const int8_t *qa = act_block(type, a, i, &da, &sa);
        int s = 0;
        for (int j = 0; j < QK; j++) s += q[j] * qa[j];
        acc = MV_FMA((float)s, dw * da, acc);
    }
    return acc;
}

static float dot_q4_0_interleaved_scalar(int n, const void *w, const void *a) { return dot_interleaved_scalar(MV_TYPE_Q4_0, n, w, a); }
static float dot_iq4_nl_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_IQ4_NL, 2, n, w, a); }
static float dot_mxfp4_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_MXFP4, 2, n, w, a); }
static float dot_iq4_nl_one_chain_scalar(int n, const void *w, const void *a) { return dot_blocks_scalar(MV_TYPE_IQ4_NL, 1, n, w, a); }
static float dot_iq4_nl_interleaved_scalar(int n, const void *w, const void *a) { return dot_interleaved_scalar(MV_TYPE_IQ4_NL, n, w, a); }
static float dot_mxfp4_interleaved_scalar(int n, const void *w, const void *a) { return dot_interleaved_scalar(MV_TYPE_MXFP4, n, w, a); }

/* ---- K types: llama.cpp's lanes and float steps, shared by all levels ----
   Each level computes the 8 integer lanes of a super-block its own way
   (kblock_lanes here); the few float steps per super-block are shared. */

static void kblock_lanes(const kblock *k, const block_q8_K *y, int32_t lanes[8]) {
    for (int l = 0; l < 8; l++) {
        int32_t s = 0;
        for (int g = 0; g < QK_K; g += 32)
            for (int e = g + 4 * l; e < g + 4 * l + 4; e++) s += k->scale[e / 16] * k->q[e] * y->qs[e];
        lanes[l] = s - k->offset * (y->bsums[2 * l] * k->scale[2 * l] + y->bsums[2 * l + 1] * k->scale[2 * l + 1]);
    }
}

/* Σ min·Σa of a super-block, per 32 elements where the mins are (Q4_K/Q5_K),
   per 16 elsewhere. */
static int32_t kblock_min_sum(const kblock *k, const block_q8_K *y) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) s += k->min[j] * y->bsums[j];
    return s;
}

typedef struct {
    float lanes[8], min4[4], min_sum;
} kaccum;

/* One super-block into the accumulators, as llama.cpp's vec_dot does per type. */
static void kaccum_add(int type, kaccum *acc, const kblock *k, const block_q8_K *y, const int32_t lanes[8]) {
    const float d = y->d * k->d, dmin = -y->d * k->dmin;
    if (type == MV_TYPE_Q2_K)
        for (int l = 0; l < 8; l++)
            acc->lanes[l] = MV_FMA(dmin, (float)(k->min[2 * l] * y->bsums[2 * l] + k->min[2 * l + 1] * y->bsums[2 * l + 1]), acc->lanes[l]);
    if (type == MV_TYPE_Q4_K)
        for (int i = 0; i < 4; i++) {
            const int s0 = y->bsums[4 * i] + y->bsums[4 * i + 1], s1 = y->bsums[4 * i + 2] + y->bsums[4 * i + 3];
            acc->min4[i] = MV_FMA(dmin, (float)(k->min[4 * i] * s0 + k->min[4 * i + 2] * s1), acc->min4[i]);
        }
    if (type == MV_TYPE_Q5_K) acc->min_sum = MV_FMA(dmin, (float)kblock_min_sum(k, y), acc->min_sum);
    for (int l = 0; l < 8; l++) acc->lanes[l] = MV_FMA(d, (float)lanes[l], acc->lanes[l]);
}

static float kaccum_result(int type, const kaccum *acc) {
    float s = reduce8(acc->lanes);
    if (type == MV_TYPE_Q4_K) s += (acc->min4[0] + acc->min4[2]) + (acc->min4[1] + acc->min4[3]);
    if (type == MV_TYPE_Q5_K) s += acc->min_sum;
    return s;
}

/* The interleaved order (Q4_K, Q2_K): the super-block split into parts (1
   in llama.cpp's GEMV; 4 of 64 for Q4_K, 2 of 128 for Q2_K in its AVX-512
   GEMM); per part the integer total of scale·q·a and of min·Σa, each into
   its own fused chain; the result is their difference. */
typedef struct {
    float sum, min;
} kchain;

/* Σ scale·q·a of each group of 32 elements (exact: any order gives it). */
static void kblock_groups(const kblock *k, const block_q8_K *y, int32_t groups[8]) {
    for (int g = 0; g < 8; g++) {
        int32_t s = 0;
        for (int e = 32 * g; e < 32 * g + 32; e++) s += k->scale[e / 16] * k->q[e] * y->qs[e];
        groups[g] = s;
    }
}

static void kchain_add(kchain *c, int parts, const kblock *k, const block_q8_K *y, const int32_t groups[8]) {
    const int span = QK_K / parts;
    for (int p = 0; p < parts; p++) {
        int32_t total = 0, min = 0;
        for (int g = p * span / 32; g < (p + 1) * span / 32; g++) total += groups[g];
        for (int j = p * span / 16; j < (p + 1) * span / 16; j++) min += k->min[j] * y->bsums[j];
        c->sum = MV_FMA((float)total, k->d * y->d, c->sum);
        c->min = MV_FMA((float)min, k->dmin * y->d, c->min);
    }
}

/* A K-type dot product with a given way to compute the lanes; parts 0 is
   the plain order, otherwise the interleaved one in that many parts. */
#define MV_DOT_K_BODY(lanes_fn, groups_fn)                               \
    kaccum acc = {{0}, {0}, 0};                                          \
    kchain chain = {0, 0};                                               \
    kblock k;                                                            \
    for (int i = 0; i < n / QK_K; i++) {                                 \
        const block_q8_K *y = (const block_q8_K *)a + i;                 \
        int32_t lanes[8];                                                \
        unpack_kblock(type, w, i, &k);                                   \
        if (parts) {                                                     \
            groups_fn(&k, y, lanes);                                     \
            kchain_add(&chain, parts, &k, y, lanes);                     \
            continue;                                                    \
        }                                                                \
        lanes_fn(type, &k, y, lanes);                                    \
        kaccum_add(type, &acc, &k, y, lanes);                            \
    }                                                                    \
    return parts ? chain.sum - chain.min : kaccum_result(type, &acc)

MV_INLINE void kblock_lanes_scalar(int type, const kblock *k, const block_q8_K *y, int32_t lanes[8]) {
    (void)type;
    kblock_lanes(k, y, lanes);
}

MV_INLINE float dot_k_scalar(int type, int parts, int n, const void *w, const void *a) { MV_DOT_K_BODY(kblock_lanes_scalar, kblock_groups); }

#define MV_K_KERNELS(level, body)                                                                                          \
    static float dot_q2_k_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q2_K, 0, n, w, a); }          \
    static float dot_q3_k_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q3_K, 0, n, w, a); }          \
    static float dot_q4_k_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q4_K, 0, n, w, a); }          \
    static float dot_q5_k_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q5_K, 0, n, w, a); }          \
    static float dot_q6_k_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q6_K, 0, n, w, a); }          \
    static float dot_iq4_xs_##level(int n, const void *w, const void *a) { return body(MV_TYPE_IQ4_XS, 0, n, w, a); }      \
    static float dot_tq1_0_##level(int n, const void *w, const void *a) { return body(MV_TYPE_TQ1_0, 0, n, w, a); }        \
    static float dot_tq2_0_##level(int n, const void *w, const void *a) { return body(MV_TYPE_TQ2_0, 0, n, w, a); }        \
    static float dot_q2_k_interleaved_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q2_K, 1, n, w, a); } \
    static float dot_q4_k_interleaved_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q4_K, 1, n, w, a); } \
    static float dot_q2_k_gemm_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q2_K, 2, n, w, a); }      \
    static float dot_q4_k_gemm_##level(int n, const void *w, const void *a) { return body(MV_TYPE_Q4_K, 4, n, w, a); }
MV_K_KERNELS(scalar, dot_k_scalar)
/* Table rows of the kernels above, for each level. */
#define MV_K_ROW(level) \
    [MV_TYPE_Q2_K] = dot_q2_k_##level, [MV_TYPE_Q3_K] = dot_q3_k_##level, [MV_TYPE_Q4_K] = dot_q4_k_##level, \
    [MV_TYPE_Q5_K] = dot_q5_k_##level, [MV_TYPE_Q6_K] = dot_q6_k_##level, [MV_TYPE_IQ4_XS] = dot_iq4_xs_##level, \
    [MV_TYPE_TQ1_0] = dot_tq1_0_##level, [MV_TYPE_TQ2_0] = dot_tq2_0_##level
#define MV_INTERLEAVED_ROW(level, k_level) \
    [MV_TYPE_Q4_0] = dot_q4_0_interleaved_##level, [MV_TYPE_IQ4_NL] = dot_iq4_nl_interleaved_##level, \
    [MV_TYPE_MXFP4] = dot_mxfp4_interleaved_##level, [MV_TYPE_Q2_K] = dot_q2_k_interleaved_##k_level, \
    [MV_TYPE_Q4_K] = dot_q4_k_interleaved_##k_level
#define MV_REPACK_GEMM_ROW(level, k_level) \
    [MV_TYPE_Q4_0] = dot_q4_0_interleaved_##level, [MV_TYPE_IQ4_NL] = dot_iq4_nl_interleaved_##level, \
    [MV_TYPE_MXFP4] = dot_mxfp4_interleaved_##level, [MV_TYPE_Q2_K] = dot_q2_k_gemm_##k_level, \
    [MV_TYPE_Q4_K] = dot_q4_k_gemm_##k_level
#define MV_GEMM_ROW(level, k_level) \
    [MV_TYPE_F32] = chain16_f32_##level, [MV_TYPE_F16] = chain16_f16_##level, [MV_TYPE_BF16] = chain16_bf16_##level, \
    [MV_TYPE_IQ4_NL] = dot_iq4_nl_one_chain_##level, [MV_TYPE_Q2_K] = dot_q2_k_gemm_##k_level, \
    [MV_TYPE_Q4_K] = dot_q4_k_gemm_##k_level

/* ---- SIMD kernels, written once with SIMDe ------------------------------
   SIMDe maps each intrinsic to the native instruction where the compiler
   targets it and to portable code elsewhere, so every kernel compiles (and
   is tested) on every machine; only the natively supported level is chosen
   for inference. Build with -DMV_NO_SIMD for scalar kernels only. */

enum { KERNEL_SCALAR, KERNEL_AVX2, KERNEL_AVX512, KERNEL_NEON, KERNEL_LEVELS };
static const char *const KERNEL_NAMES[KERNEL_LEVELS] = {"scalar", "avx2", "avx512", "neon"};

#if !defined(MV_NO_SIMD) && defined(__has_include)
#if !__has_include(<simde/x86/avx512.h>)
#define MV_NO_SIMD
#warning "SIMDe headers not found (Debian: libsimde-dev): building scalar kernels only"
#endif
#endif

#ifndef MV_NO_SIMD
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <simde/x86/avx512.h>
#include <simde/x86/avx2.h>
#include <simde/x86/fma.h>
#include <simde/x86/f16c.h>
#include <simde/arm/neon.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi" /* vector types without -mavx: SIMDe emulates; the ABI note does not apply */
#pragma GCC diagnostic warning "-Wunused-function" /* SIMDe's headers turn it off for the rest of the file */
#endif

/* -- AVX2 (256-bit) -- */

static inline float avx2_reduce8(simde__m256 v) {
    simde__m128 s = simde_mm_add_ps(simde_mm256_castps256_ps128(v), simde_mm256_extractf128_ps(v, 1));
    s = simde_mm_add_ps(s, simde_mm_movehl_ps(s, s));
    s = simde_mm_add_ss(s, simde_mm_movehdup_ps(s));
    return simde_mm_cvtss_f32(s);
}

/* 8 floats of a row of the given float type, from element i. */
MV_INLINE simde__m256 avx2_load_float(int type, const void *p, int i) {
    if (type == MV_TYPE_F16) return simde_mm256_cvtph_ps(simde_mm_loadu_si128((const void *)((const uint16_t *)p + i)));
    if (type == MV_TYPE_BF16) {
        simde__m256i v = simde_mm256_cvtepu16_epi32(simde_mm_loadu_si128((const void *)((const uint16_t *)p + i)));
        return simde_mm256_castsi256_ps(simde_mm256_slli_epi32(v, 16));
    }
    return simde_mm256_loadu_ps((const float *)p + i);
}

/* The 16-lane chains as pairs of 8-lane registers: acc[2c] lanes 0-7 and
   acc[2c+1] lanes 8-15 of chain c. */
MV_INLINE float avx2_dot_float(int type, int n, const void *w, const void *a) {
    const int at = float_act_type(type);
    simde__m256 acc[8];
    for (int k = 0; k < 8; k++) acc[k] = simde_mm256_setzero_ps();
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int k = 0; k < 8; k++)
            acc[k] = simde_mm256_fmadd_ps(avx2_load_float(type, w, i + 8 * k), avx2_load_float(at, a, i + 8 * k), acc[k]);
    simde__m256 lo = simde_mm256_add_ps(simde_mm256_add_ps(acc[0], acc[4]), simde_mm256_add_ps(acc[2], acc[6]));
    simde__m256 hi = simde_mm256_add_ps(simde_mm256_add_ps(acc[1], acc[5]), simde_mm256_add_ps(acc[3], acc[7]));
    return float_tail(type, np, n, w, a, avx2_reduce8(simde_mm256_add_ps(lo, hi)));
}

MV_INLINE float avx2_chain16(int type, int n, const void *x, const void *y) {
    simde__m256 lo = simde_mm256_setzero_ps(), hi = simde_mm256_setzero_ps();
    for (int i = 0; i < n; i += 16) {
        lo = simde_mm256_fmadd_ps(avx2_load_float(type, x, i), avx2_load_float(type, y, i), lo);
        hi = simde_mm256_fmadd_ps(avx2_load_float(type, x, i + 8), avx2_load_float(type, y, i + 8), hi);
    }
    return avx2_reduce8(simde_mm256_add_ps(lo, hi));
}

/* vdpbf16ps on 8 lanes: 16 bf16 of x and y as 8 (even, odd) pairs. */
MV_INLINE simde__m256 avx2_bf16_pairs(simde__m256 lanes, const uint16_t *x, const uint16_t *y) {
    const simde__m256i vx = simde_mm256_loadu_si256((const void *)x), vy = simde_mm256_loadu_si256((const void *)y);
    const simde__m256i high = simde_mm256_set1_epi32((int)0xFFFF0000u);
    lanes = simde_mm256_fmadd_ps(simde_mm256_castsi256_ps(simde_mm256_and_si256(vx, high)),
                                 simde_mm256_castsi256_ps(simde_mm256_and_si256(vy, high)), lanes);
    return simde_mm256_fmadd_ps(simde_mm256_castsi256_ps(simde_mm256_slli_epi32(vx, 16)),
                                simde_mm256_castsi256_ps(simde_mm256_slli_epi32(vy, 16)), lanes);
}

static float dot_bf16_avx2(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde__m256 c[4] = {simde_mm256_setzero_ps(), simde_mm256_setzero_ps(), simde_mm256_setzero_ps(), simde_mm256_setzero_ps()};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int k = 0; k < 4; k++) c[k] = avx2_bf16_pairs(c[k], x + i + 16 * k, y + i + 16 * k);
    return bf16_finish(avx2_reduce8(simde_mm256_add_ps(c[0], c[1])), avx2_reduce8(simde_mm256_add_ps(c[2], c[3])), np, n, x, y);
}

static float chain16_bf16_avx2(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde__m256 lo = simde_mm256_setzero_ps(), hi = simde_mm256_setzero_ps();
    for (int i = 0; i < n; i += 32) lo = avx2_bf16_pairs(lo, x + i, y + i), hi = avx2_bf16_pairs(hi, x + i + 16, y + i + 16);
    return avx2_reduce8(simde_mm256_add_ps(lo, hi));
}

/* 32 bytes that are 0xFF where bit j of the 32-bit mask is set. */
MV_INLINE simde__m256i avx2_bits_to_bytes(const uint8_t qh[4]) {
    uint32_t x;
    memcpy(&x, qh, 4);
    const simde__m256i shuffle = simde_mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    simde__m256i bytes = simde_mm256_shuffle_epi8(simde_mm256_set1_epi32((int)x), shuffle);
    bytes = simde_mm256_or_si256(bytes, simde_mm256_set1_epi64x(0x7FBFDFEFF7FBFDFE));
    return simde_mm256_cmpeq_epi8(bytes, simde_mm256_set1_epi64x(-1));
}

/* The 32 low/high nibbles of 16 bytes, in element order (low nibbles first). */
MV_INLINE simde__m256i avx2_nibbles(const uint8_t qs[16]) {
    simde__m128i b = simde_mm_loadu_si128((const void *)qs);
    simde__m256i both = simde_mm256_set_m128i(simde_mm_srli_epi16(b, 4), b);
    return simde_mm256_and_si256(both, simde_mm256_set1_epi8(15));
}

/* The 32 weights of block i as int8, as unpack_block gives them. */
MV_INLINE simde__m256i avx2_block_weights(int type, const void *w, int i) {
    switch (type) {
    case MV_TYPE_IQ4_NL: case MV_TYPE_MXFP4: {
        const simde__m256i table = simde_mm256_broadcastsi128_si256(simde_mm_loadu_si128((const void *)(type == MV_TYPE_IQ4_NL ? IQ4_VALUES : MXFP4_VALUES)));
        const uint8_t *qs = type == MV_TYPE_IQ4_NL ? ((const block_iq4_nl *)w)[i].qs : ((const block_mxfp4 *)w)[i].qs;
        return simde_mm256_shuffle_epi8(table, avx2_nibbles(qs));
    }
    case MV_TYPE_Q4_0: return simde_mm256_sub_epi8(avx2_nibbles(((const block_q4_0 *)w)[i].qs), simde_mm256_set1_epi8(8));
    case MV_TYPE_Q4_1: return avx2_nibbles(((const block_q4_1 *)w)[i].qs);
    case MV_TYPE_MLX4: return avx2_nibbles(((const block_mlx4 *)w)[i].qs);
    case MV_TYPE_MLX8: return simde_mm256_loadu_si256((const void *)((const block_mlx8 *)w)[i].qs);
    case MV_TYPE_Q5_0: {
        const block_q5_0 *b = (const block_q5_0 *)w + i;
        simde__m256i high = simde_mm256_andnot_si256(avx2_bits_to_bytes(b->qh), simde_mm256_set1_epi8((char)0xF0));
        return simde_mm256_or_si256(avx2_nibbles(b->qs), high); /* q − 16 as int8 */
    }
    case MV_TYPE_Q5_1: {
        const block_q5_1 *b = (const block_q5_1 *)w + i;
        simde__m256i high = simde_mm256_and_si256(avx2_bits_to_bytes(b->qh), simde_mm256_set1_epi8(0x10));
        return simde_mm256_or_si256(avx2_nibbles(b->qs), high);
    }
    default: return simde_mm256_loadu_si256((const void *)((const block_q8_0 *)w)[i].qs);
    }
}

/* The block's scale d and offset m (0 for the symmetric types). */
MV_INLINE float weight_block_scale(int type, const void *w, int i, float *m) {
    switch (type) {
    case MV_TYPE_IQ4_NL: *m = 0; return f16_to_f32(((const block_iq4_nl *)w)[i].d);
    case MV_TYPE_MXFP4: *m = 0; return e8m0_half(((const block_mxfp4 *)w)[i].e);
    case MV_TYPE_Q4_0: *m = 0; return f16_to_f32(((const block_q4_0 *)w)[i].d);
    case MV_TYPE_Q4_1: *m = f16_to_f32(((const block_q4_1 *)w)[i].m); return f16_to_f32(((const block_q4_1 *)w)[i].d);
    case MV_TYPE_Q5_0: *m = 0; return f16_to_f32(((const block_q5_0 *)w)[i].d);
    case MV_TYPE_Q5_1: *m = f16_to_f32(((const block_q5_1 *)w)[i].m); return f16_to_f32(((const block_q5_1 *)w)[i].d);
    case MV_TYPE_MLX4: *m = ((const block_mlx4 *)w)[i].m; return ((const block_mlx4 *)w)[i].d;
    case MV_TYPE_MLX8: *m = ((const block_mlx8 *)w)[i].m; return ((const block_mlx8 *)w)[i].d;
    default: *m = 0; return f16_to_f32(((const block_q8_0 *)w)[i].d);
    }
}

/* Of those, Q4_1, Q5_1 and MLX4 store unsigned codes. */
MV_INLINE bool type_codes_unsigned(int type) { return type == MV_TYPE_Q4_1 || type == MV_TYPE_Q5_1 || type == MV_TYPE_MLX4; }

/* 8 int32 lanes, each the sum of 4 adjacent products of w and a (int8;
   unsigned w for Q4_1/Q5_1). With VNNI one instruction, else two. */
MV_INLINE simde__m256i avx2_lane_sums(int type, bool vnni, simde__m256i w, simde__m256i a) {
    simde__m256i u = w, s = a;
    if (!type_codes_unsigned(type)) u = simde_mm256_sign_epi8(w, w), s = simde_mm256_sign_epi8(a, w);
    if (vnni) return simde_mm256_dpbusd_epi32(simde_mm256_setzero_si256(), u, s);
    return simde_mm256_madd_epi16(simde_mm256_maddubs_epi16(u, s), simde_mm256_set1_epi16(1));
}

/* The sum of 8 int32 lanes (exact). */
MV_INLINE int avx2_sum_lanes(simde__m256i p) {
    simde__m128i h = simde_mm_add_epi32(simde_mm256_castsi256_si128(p), simde_mm256_extracti128_si256(p, 1));
    h = simde_mm_add_epi32(h, simde_mm_shuffle_epi32(h, 0x4E));
    h = simde_mm_add_epi32(h, simde_mm_shuffle_epi32(h, 0xB1));
    return simde_mm_cvtsi128_si32(h);
}

MV_INLINE float avx2_dot_blocks(int type, bool vnni, int chains, int n, const void *w, const void *a) {
    simde__m256 acc[2] = {simde_mm256_setzero_ps(), simde_mm256_setzero_ps()};
    float offsets = 0;
    const int nb = n / QK, two = chains == 2, paired = two ? nb & ~1 : nb;
    for (int i = 0; i < paired; i++) {
        float da, sa, m;
        const int8_t *qa = act_block(type, a, i, &da, &sa);
        const float dw = weight_block_scale(type, w, i, &m);
        simde__m256i p = avx2_lane_sums(type, vnni, avx2_block_weights(type, w, i), simde_mm256_loadu_si256((const void *)qa));
        acc[two & i] = simde_mm256_fmadd_ps(simde_mm256_set1_ps(dw * da), simde_mm256_cvtepi32_ps(p), acc[two & i]);
        offsets = MV_FMA(m, sa, offsets);
    }
    float sum = avx2_reduce8(simde_mm256_add_ps(acc[0], acc[1])) + offsets;
    if (paired < nb) {
        float da, sa, m;
        const int8_t *qa = act_block(type, a, paired, &da, &sa);
        const float dw = weight_block_scale(type, w, paired, &m);
        simde__m256i p = avx2_lane_sums(type, vnni, avx2_block_weights(type, w, paired), simde_mm256_loadu_si256((const void *)qa));
        sum = add_product(sum, dw * da, (float)avx2_sum_lanes(p));
    }
    return sum;
}

MV_INLINE float avx2_dot_blocks_plain(int type, int chains, int n, const void *w, const void *a) { return avx2_dot_blocks(type, false, chains, n, w, a); }

MV_INLINE float avx2_dot_interleaved(int type, bool vnni, int n, const void *w, const void *a) {
    float acc = 0;
    for (int i = 0; i < n / QK; i++) {
        float da, sa, m;
        const int8_t *qa = act_block(type, a, i, &da, &sa);
        const float dw = weight_block_scale(type, w, i, &m);
        simde__m256i p = avx2_lane_sums(type, vnni, avx2_block_weights(type, w, i), simde_mm256_loadu_si256((const void *)qa));
        acc = MV_FMA((float)avx2_sum_lanes(p), dw * da, acc);
    }
    return acc;
}

/* The K types' lanes: per 32 elements, products summed 4 to a lane (signed
   codes through the sign trick), times the 16-element scales. */
MV_INLINE void avx2_kblock_lanes(int type, const kblock *k, const block_q8_K *y, int32_t lanes[8]) {
    const bool is_signed = type == MV_TYPE_Q3_K || type == MV_TYPE_IQ4_XS;
    simde__m256i acc = simde_mm256_setzero_si256();
    for (int g = 0; g < QK_K / 32; g++) {
        const simde__m256i q = simde_mm256_loadu_si256((const void *)(k->q + 32 * g)), a = simde_mm256_loadu_si256((const void *)(y->qs + 32 * g));
        const simde__m256i p16 = is_signed ? simde_mm256_maddubs_epi16(simde_mm256_sign_epi8(q, q), simde_mm256_sign_epi8(a, q))
                                           : simde_mm256_maddubs_epi16(q, a);
        const simde__m256i scale = simde_mm256_set_m128i(simde_mm_set1_epi16(k->scale[2 * g + 1]), simde_mm_set1_epi16(k->scale[2 * g]));
        acc = simde_mm256_add_epi32(acc, simde_mm256_madd_epi16(p16, scale));
    }
    simde_mm256_storeu_si256((void *)lanes, acc);
    for (int l = 0; l < 8; l++) lanes[l] -= k->offset * (y->bsums[2 * l] * k->scale[2 * l] + y->bsums[2 * l + 1] * k->scale[2 * l + 1]);
}

/* kblock_groups for the interleaved types (codes unsigned: Q4_K, Q2_K). */
MV_INLINE void avx2_kblock_groups(const kblock *k, const block_q8_K *y, int32_t groups[8]) {
    for (int g = 0; g < QK_K / 32; g++) {
        const simde__m256i q = simde_mm256_loadu_si256((const void *)(k->q + 32 * g)), a = simde_mm256_loadu_si256((const void *)(y->qs + 32 * g));
        const simde__m256i scale = simde_mm256_set_m128i(simde_mm_set1_epi16(k->scale[2 * g + 1]), simde_mm_set1_epi16(k->scale[2 * g]));
        const simde__m256i v = simde_mm256_madd_epi16(simde_mm256_maddubs_epi16(q, a), scale);
        const simde__m128i h = simde_mm_add_epi32(simde_mm256_castsi256_si128(v), simde_mm256_extracti128_si256(v, 1));
        const simde__m128i h2 = simde_mm_add_epi32(h, simde_mm_shuffle_epi32(h, 0x4E));
        groups[g] = simde_mm_cvtsi128_si32(simde_mm_add_epi32(h2, simde_mm_shuffle_epi32(h2, 0xB1)));
    }
}

/* Q4_K's (and Q5_K's) lanes and group sums straight from its bytes: group
   g's 32 codes are the low (g even) or high nibbles of qs[32·(g/2)...],
   Q5_K's fifth bit bit g of qh[...]. */
MV_INLINE void avx2_q4_k_sums(const uint8_t *qs, const uint8_t *qh, const kblock *k, const block_q8_K *y, int32_t lanes[8], int32_t groups[8]) {
    const simde__m256i low = simde_mm256_set1_epi8(15), ones = simde_mm256_set1_epi16(1), bit = simde_mm256_set1_epi8(1);
    simde__m256i acc = simde_mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        const simde__m256i bytes = simde_mm256_loadu_si256((const void *)(qs + 32 * c));
        for (int h = 0; h < 2; h++) {
            const int g = 2 * c + h;
            simde__m256i q = simde_mm256_and_si256(h ? simde_mm256_srli_epi16(bytes, 4) : bytes, low);
            if (qh) {
                const simde__m256i hb = simde_mm256_srl_epi16(simde_mm256_loadu_si256((const void *)qh), simde_mm_cvtsi32_si128(g));
                q = simde_mm256_or_si256(q, simde_mm256_slli_epi16(simde_mm256_and_si256(hb, bit), 4));
            }
            const simde__m256i v = simde_mm256_mullo_epi32(
                simde_mm256_madd_epi16(simde_mm256_maddubs_epi16(q, simde_mm256_loadu_si256((const void *)(y->qs + 32 * g))), ones),
                simde_mm256_set1_epi32(k->scale[2 * g]));
            acc = simde_mm256_add_epi32(acc, v);
            const simde__m128i s4 = simde_mm_add_epi32(simde_mm256_castsi256_si128(v), simde_mm256_extracti128_si256(v, 1));
            const simde__m128i s2 = simde_mm_add_epi32(s4, simde_mm_shuffle_epi32(s4, 0x4E));
            groups[g] = simde_mm_cvtsi128_si32(simde_mm_add_epi32(s2, simde_mm_shuffle_epi32(s2, 0xB1)));
        }
    }
    simde_mm256_storeu_si256((void *)lanes, acc);
}

/* Q4_K (either order) and Q5_K without unpacking their codes: the integer
   sums of avx2_q4_k_sums, then the float steps every level shares. */
MV_INLINE float avx2_dot_q4_k(int type, int parts, int n, const void *w, const void *a) {
    kaccum acc = {{0}, {0}, 0};
    kchain chain = {0, 0};
    kblock k;
    for (int i = 0; i < n / QK_K; i++) {
        const block_q4_K *b4 = (const block_q4_K *)w + i;
        const block_q5_K *b5 = (const block_q5_K *)w + i;
        const block_q8_K *y = (const block_q8_K *)a + i;
        int32_t lanes[8], groups[8];
        if (type == MV_TYPE_Q5_K) k4_header(b5->scales, b5->d, b5->dmin, &k), avx2_q4_k_sums(b5->qs, b5->qh, &k, y, lanes, groups);
        else k4_header(b4->scales, b4->d, b4->dmin, &k), avx2_q4_k_sums(b4->qs, NULL, &k, y, lanes, groups);
        if (parts) kchain_add(&chain, parts, &k, y, groups);
        else kaccum_add(type, &acc, &k, y, lanes);
    }
    return parts ? chain.sum - chain.min : kaccum_result(type, &acc);
}

/* Q6_K's lanes straight from its bytes: group g (of 32) takes the low or
   high nibbles of ql[64·(g/4) + 32·(g%2)...] and bits 2·(g%4) of qh[32·(g/4)...]. */
MV_INLINE void avx2_q6_k_lanes(const block_q6_K *b, const block_q8_K *y, int32_t lanes[8]) {
    const simde__m256i low = simde_mm256_set1_epi8(15), two = simde_mm256_set1_epi8(3);
    simde__m256i acc = simde_mm256_setzero_si256();
    for (int g = 0; g < QK_K / 32; g++) {
        const int h = g / 4, part = g % 4;
        const simde__m256i ql = simde_mm256_loadu_si256((const void *)(b->ql + 64 * h + 32 * (part & 1)));
        const simde__m256i qh = simde_mm256_loadu_si256((const void *)(b->qh + 32 * h));
        const simde__m256i lo = simde_mm256_and_si256(part >= 2 ? simde_mm256_srli_epi16(ql, 4) : ql, low);
        const simde__m256i hi = simde_mm256_and_si256(simde_mm256_srl_epi16(qh, simde_mm_cvtsi32_si128(2 * part)), two);
        const simde__m256i q = simde_mm256_or_si256(lo, simde_mm256_slli_epi16(hi, 4));
        const simde__m256i scale = simde_mm256_set_m128i(simde_mm_set1_epi16(b->scales[2 * g + 1]), simde_mm_set1_epi16(b->scales[2 * g]));
        acc = simde_mm256_add_epi32(acc, simde_mm256_madd_epi16(simde_mm256_maddubs_epi16(q, simde_mm256_loadu_si256((const void *)(y->qs + 32 * g))), scale));
    }
    simde_mm256_storeu_si256((void *)lanes, acc);
    for (int l = 0; l < 8; l++) lanes[l] -= 32 * (y->bsums[2 * l] * b->scales[2 * l] + y->bsums[2 * l + 1] * b->scales[2 * l + 1]);
}

MV_INLINE float avx2_dot_q6_k(int n, const void *w, const void *a) {
    kaccum acc = {{0}, {0}, 0};
    kblock k = {.offset = 32};
    for (int i = 0; i < n / QK_K; i++) {
        const block_q6_K *b = (const block_q6_K *)w + i;
        const block_q8_K *y = (const block_q8_K *)a + i;
        int32_t lanes[8];
        k.d = f16_to_f32(b->d);
        avx2_q6_k_lanes(b, y, lanes);
        kaccum_add(MV_TYPE_Q6_K, &acc, &k, y, lanes);
    }
    return kaccum_result(MV_TYPE_Q6_K, &acc);
}

MV_INLINE float avx2_dot_k(int type, int parts, int n, const void *w, const void *a) {
    if (type == MV_TYPE_Q4_K || type == MV_TYPE_Q5_K) return avx2_dot_q4_k(type, parts, n, w, a);
    if (type == MV_TYPE_Q6_K && !parts) return avx2_dot_q6_k(n, w, a);
    MV_DOT_K_BODY(avx2_kblock_lanes, avx2_kblock_groups);
}

#define MV_INTERLEAVED_KERNELS(level, body_blocks)                                                                                 \
    static float dot_q4_0_interleaved_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q4_0, n, w, a); }     \
    static float dot_iq4_nl_interleaved_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_IQ4_NL, n, w, a); } \
    static float dot_mxfp4_interleaved_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_MXFP4, n, w, a); }
MV_INLINE float avx2_dot_interleaved_plain(int type, int n, const void *w, const void *a) { return avx2_dot_interleaved(type, false, n, w, a); }
MV_INLINE float avx512_dot_interleaved(int type, int n, const void *w, const void *a) { return avx2_dot_interleaved(type, true, n, w, a); }
MV_INTERLEAVED_KERNELS(avx2, avx2_dot_interleaved_plain)
MV_INTERLEAVED_KERNELS(avx512, avx512_dot_interleaved)
MV_K_KERNELS(avx2, avx2_dot_k)

/* -- AVX-512: 16-lane chains in one register; VNNI for the block types -- */

/* Debian's SIMDe (0.7.4) lacks these AVX-512 operations: the native
   intrinsic where there is one, two 256-bit halves elsewhere. */
MV_INLINE simde__m256 mv512_half(simde__m512 v, int upper) {
    return upper ? simde_mm256_castsi256_ps(simde_mm512_extracti64x4_epi64(simde_mm512_castps_si512(v), 1))
                 : simde_mm512_castps512_ps256(v);
}

/* 16 floats from 16 f16 or bf16 values. */
MV_INLINE simde__m512 mv512_load_half(int type, const uint16_t *p) {
#if defined(SIMDE_X86_AVX512F_NATIVE)
    __m256i h = _mm256_loadu_si256((const void *)p);
    if (type == MV_TYPE_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
#else
    return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(avx2_load_float(type, p, 0)), avx2_load_float(type, p, 8), 1);
#endif
}

/* The horizontal sum in reduce16's order. */
MV_INLINE float mv512_reduce16(simde__m512 v) {
    return avx2_reduce8(simde_mm256_add_ps(mv512_half(v, 0), mv512_half(v, 1)));
}

MV_INLINE simde__m512 avx512_load_float(int type, const void *p, int i) {
    if (type == MV_TYPE_F32) return simde_mm512_loadu_ps((const float *)p + i);
    return mv512_load_half(type, (const uint16_t *)p + i);
}

MV_INLINE float avx512_dot_float(int type, int n, const void *w, const void *a) {
    const int at = float_act_type(type);
    simde__m512 acc[4] = {simde_mm512_setzero_ps(), simde_mm512_setzero_ps(), simde_mm512_setzero_ps(), simde_mm512_setzero_ps()};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int k = 0; k < 4; k++)
            acc[k] = simde_mm512_fmadd_ps(avx512_load_float(type, w, i + 16 * k), avx512_load_float(at, a, i + 16 * k), acc[k]);
    float s = mv512_reduce16(simde_mm512_add_ps(simde_mm512_add_ps(acc[0], acc[2]), simde_mm512_add_ps(acc[1], acc[3])));
    return float_tail(type, np, n, w, a, s);
}

MV_INLINE float avx512_chain16(int type, int n, const void *x, const void *y) {
    simde__m512 acc = simde_mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) acc = simde_mm512_fmadd_ps(avx512_load_float(type, x, i), avx512_load_float(type, y, i), acc);
    return mv512_reduce16(acc);
}

MV_INLINE float avx512_dot_blocks(int type, int chains, int n, const void *w, const void *a) { return avx2_dot_blocks(type, true, chains, n, w, a); }

/* vdpbf16ps on 16 lanes, as two FMAs so that every build gives its result. */
MV_INLINE simde__m512 avx512_bf16_pairs(simde__m512 lanes, const uint16_t *x, const uint16_t *y) {
    const simde__m512i vx = simde_mm512_loadu_si512((const void *)x), vy = simde_mm512_loadu_si512((const void *)y);
    const simde__m512i high = simde_mm512_set1_epi32((int)0xFFFF0000u);
    lanes = simde_mm512_fmadd_ps(simde_mm512_castsi512_ps(simde_mm512_and_si512(vx, high)),
                                 simde_mm512_castsi512_ps(simde_mm512_and_si512(vy, high)), lanes);
    return simde_mm512_fmadd_ps(simde_mm512_castsi512_ps(simde_mm512_slli_epi32(vx, 16)),
                                simde_mm512_castsi512_ps(simde_mm512_slli_epi32(vy, 16)), lanes);
}

static float dot_bf16_avx512(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde__m512 c0 = simde_mm512_setzero_ps(), c1 = simde_mm512_setzero_ps();
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64) c0 = avx512_bf16_pairs(c0, x + i, y + i), c1 = avx512_bf16_pairs(c1, x + i + 32, y + i + 32);
    return bf16_finish(mv512_reduce16(c0), mv512_reduce16(c1), np, n, x, y);
}

static float chain16_bf16_avx512(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde__m512 c = simde_mm512_setzero_ps();
    for (int i = 0; i < n; i += 32) c = avx512_bf16_pairs(c, x + i, y + i);
    return mv512_reduce16(c);
}

/* -- NEON (with the dotprod extension) -- */

/* reduce8 of lanes lo (0-3) and hi (4-7). */
MV_INLINE float neon_reduce8(simde_float32x4_t lo, simde_float32x4_t hi) {
    simde_float32x4_t t = simde_vaddq_f32(lo, hi);             /* a0+a4, a1+a5, a2+a6, a3+a7 */
    simde_float32x4_t u = simde_vaddq_f32(t, simde_vextq_f32(t, t, 2));
    return simde_vgetq_lane_f32(u, 0) + simde_vgetq_lane_f32(u, 1);
}

MV_INLINE simde_float32x4_t neon_load_float(int type, const void *p, int i) {
    if (type == MV_TYPE_F16) return simde_vcvt_f32_f16(simde_vreinterpret_f16_u16(simde_vld1_u16((const uint16_t *)p + i)));
    if (type == MV_TYPE_BF16) return simde_vreinterpretq_f32_u32(simde_vshlq_n_u32(simde_vmovl_u16(simde_vld1_u16((const uint16_t *)p + i)), 16));
    return simde_vld1q_f32((const float *)p + i);
}

/* The 16-lane chains as 4 registers each: acc[4c + k] holds lanes 4k..4k+3 of chain c. */
MV_INLINE float neon_dot_float(int type, int n, const void *w, const void *a) {
    const int at = float_act_type(type);
    simde_float32x4_t acc[16];
    for (int k = 0; k < 16; k++) acc[k] = simde_vdupq_n_f32(0);
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int k = 0; k < 16; k++) acc[k] = simde_vfmaq_f32(acc[k], neon_load_float(type, w, i + 4 * k), neon_load_float(at, a, i + 4 * k));
    simde_float32x4_t f[4]; /* the folded chains: lanes 0-3, 4-7, 8-11, 12-15 */
    for (int k = 0; k < 4; k++) f[k] = simde_vaddq_f32(simde_vaddq_f32(acc[k], acc[8 + k]), simde_vaddq_f32(acc[4 + k], acc[12 + k]));
    return float_tail(type, np, n, w, a, neon_reduce8(simde_vaddq_f32(f[0], f[2]), simde_vaddq_f32(f[1], f[3])));
}

MV_INLINE float neon_chain16(int type, int n, const void *x, const void *y) {
    simde_float32x4_t acc[4] = {simde_vdupq_n_f32(0), simde_vdupq_n_f32(0), simde_vdupq_n_f32(0), simde_vdupq_n_f32(0)};
    for (int i = 0; i < n; i += 16)
        for (int k = 0; k < 4; k++) acc[k] = simde_vfmaq_f32(acc[k], neon_load_float(type, x, i + 4 * k), neon_load_float(type, y, i + 4 * k));
    return neon_reduce8(simde_vaddq_f32(acc[0], acc[2]), simde_vaddq_f32(acc[1], acc[3]));
}

/* vdpbf16ps on 4 lanes: 8 bf16 of x and y as 4 (even, odd) pairs. */
MV_INLINE simde_float32x4_t neon_bf16_pairs(simde_float32x4_t lanes, const uint16_t *x, const uint16_t *y) {
    const simde_uint32x4_t vx = simde_vreinterpretq_u32_u16(simde_vld1q_u16(x)), vy = simde_vreinterpretq_u32_u16(simde_vld1q_u16(y));
    const simde_uint32x4_t high = simde_vdupq_n_u32(0xFFFF0000u);
    lanes = simde_vfmaq_f32(lanes, simde_vreinterpretq_f32_u32(simde_vandq_u32(vx, high)), simde_vreinterpretq_f32_u32(simde_vandq_u32(vy, high)));
    return simde_vfmaq_f32(lanes, simde_vreinterpretq_f32_u32(simde_vshlq_n_u32(vx, 16)), simde_vreinterpretq_f32_u32(simde_vshlq_n_u32(vy, 16)));
}

static float dot_bf16_neon(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde_float32x4_t c[8];
    for (int k = 0; k < 8; k++) c[k] = simde_vdupq_n_f32(0);
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int k = 0; k < 8; k++) c[k] = neon_bf16_pairs(c[k], x + i + 8 * k, y + i + 8 * k);
    float r0 = neon_reduce8(simde_vaddq_f32(c[0], c[2]), simde_vaddq_f32(c[1], c[3]));
    float r1 = neon_reduce8(simde_vaddq_f32(c[4], c[6]), simde_vaddq_f32(c[5], c[7]));
    return bf16_finish(r0, r1, np, n, x, y);
}

static float chain16_bf16_neon(int n, const void *w, const void *a) {
    const uint16_t *x = w, *y = a;
    simde_float32x4_t c[4] = {simde_vdupq_n_f32(0), simde_vdupq_n_f32(0), simde_vdupq_n_f32(0), simde_vdupq_n_f32(0)};
    for (int i = 0; i < n; i += 32)
        for (int k = 0; k < 4; k++) c[k] = neon_bf16_pairs(c[k], x + i + 8 * k, y + i + 8 * k);
    return neon_reduce8(simde_vaddq_f32(c[0], c[2]), simde_vaddq_f32(c[1], c[3]));
}

/* 16 bytes that are 0xFF where bit j of the 16-bit mask is set. */
MV_INLINE simde_uint8x16_t neon_bits_to_bytes(uint32_t bits16) {
    static const uint8_t select[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    simde_uint8x16_t v = simde_vcombine_u8(simde_vdup_n_u8((uint8_t)bits16), simde_vdup_n_u8((uint8_t)(bits16 >> 8)));
    return simde_vtstq_u8(v, simde_vld1q_u8(select));
}

/* The weights of block i as two int8x16 (elements 0..15, 16..31). */
MV_INLINE void neon_block_weights(int type, const void *w, int i, simde_int8x16_t *lo, simde_int8x16_t *hi) {
    const simde_uint8x16_t m4 = simde_vdupq_n_u8(15);
    if (type == MV_TYPE_Q8_0 || type == MV_TYPE_MLX8) {
        const int8_t *qs = type == MV_TYPE_Q8_0 ? ((const block_q8_0 *)w)[i].qs : ((const block_mlx8 *)w)[i].qs;
        *lo = simde_vld1q_s8(qs), *hi = simde_vld1q_s8(qs + 16);
        return;
    }
    if (type == MV_TYPE_IQ4_NL || type == MV_TYPE_MXFP4) {
        const simde_int8x16_t table = simde_vld1q_s8(type == MV_TYPE_IQ4_NL ? IQ4_VALUES : MXFP4_VALUES);
        const simde_uint8x16_t b = simde_vld1q_u8(type == MV_TYPE_IQ4_NL ? ((const block_iq4_nl *)w)[i].qs : ((const block_mxfp4 *)w)[i].qs);
        const simde_uint8x16_t high = simde_vandq_u8(simde_vreinterpretq_u8_u16(simde_vshrq_n_u16(simde_vreinterpretq_u16_u8(b), 4)), m4);
        *lo = simde_vqtbl1q_s8(table, simde_vandq_u8(b, m4)), *hi = simde_vqtbl1q_s8(table, high);
        return;
    }
    const uint8_t *qs = type == MV_TYPE_Q4_0 ? ((const block_q4_0 *)w)[i].qs : type == MV_TYPE_Q4_1 ? ((const block_q4_1 *)w)[i].qs
                      : type == MV_TYPE_MLX4 ? ((const block_mlx4 *)w)[i].qs
                      : type == MV_TYPE_Q5_0 ? ((const block_q5_0 *)w)[i].qs : ((const block_q5_1 *)w)[i].qs;
    simde_uint8x16_t b = simde_vld1q_u8(qs);
    /* the high nibbles by a 16-bit shift: SIMDe's 8-bit one overflows a signed shift on GFNI hosts */
    simde_uint8x16_t l = simde_vandq_u8(b, m4), h = simde_vandq_u8(simde_vreinterpretq_u8_u16(simde_vshrq_n_u16(simde_vreinterpretq_u16_u8(b), 4)), m4);
    if (type == MV_TYPE_Q5_0 || type == MV_TYPE_Q5_1) {
        uint32_t qh;
        memcpy(&qh, type == MV_TYPE_Q5_0 ? ((const block_q5_0 *)w)[i].qh : ((const block_q5_1 *)w)[i].qh, 4);
        const simde_uint8x16_t bit4 = simde_vdupq_n_u8(0x10);
        l = simde_vorrq_u8(l, simde_vandq_u8(neon_bits_to_bytes(qh & 0xFFFF), bit4));
        h = simde_vorrq_u8(h, simde_vandq_u8(neon_bits_to_bytes(qh >> 16), bit4));
    }
    *lo = simde_vreinterpretq_s8_u8(l), *hi = simde_vreinterpretq_s8_u8(h);
    if (type == MV_TYPE_Q4_0 || type == MV_TYPE_Q5_0) {
        simde_int8x16_t bias = simde_vdupq_n_s8(type == MV_TYPE_Q4_0 ? 8 : 16);
        *lo = simde_vsubq_s8(*lo, bias), *hi = simde_vsubq_s8(*hi, bias);
    }
}

/* sdot's int32 lanes are sums of 4 adjacent products: the 8 lanes of the
   order, as lanes 0-3 (lo) and 4-7 (hi) of block i. */
MV_INLINE void neon_block_lanes(int type, const void *w, const void *a, int i, simde_int32x4_t *lo, simde_int32x4_t *hi) {
    const simde_int32x4_t zero = simde_vdupq_n_s32(0);
    float da, sa;
    const int8_t *qa = act_block(type, a, i, &da, &sa);
    simde_int8x16_t wlo, whi;
    neon_block_weights(type, w, i, &wlo, &whi);
    *lo = simde_vdotq_s32(zero, wlo, simde_vld1q_s8(qa)), *hi = simde_vdotq_s32(zero, whi, simde_vld1q_s8(qa + 16));
}

MV_INLINE float neon_dot_blocks(int type, int chains, int n, const void *w, const void *a) {
    simde_float32x4_t acc_lo[2] = {simde_vdupq_n_f32(0), simde_vdupq_n_f32(0)}, acc_hi[2] = {simde_vdupq_n_f32(0), simde_vdupq_n_f32(0)};
    float offsets = 0;
    const int nb = n / QK, two = chains == 2, paired = two ? nb & ~1 : nb;
    for (int i = 0; i < paired; i++) {
        float da, sa, m;
        act_block(type, a, i, &da, &sa);
        const float dw = weight_block_scale(type, w, i, &m);
        simde_int32x4_t lo, hi;
        neon_block_lanes(type, w, a, i, &lo, &hi);
        const simde_float32x4_t d = simde_vdupq_n_f32(dw * da);
        acc_lo[two & i] = simde_vfmaq_f32(acc_lo[two & i], d, simde_vcvtq_f32_s32(lo));
        acc_hi[two & i] = simde_vfmaq_f32(acc_hi[two & i], d, simde_vcvtq_f32_s32(hi));
        offsets = MV_FMA(m, sa, offsets);
    }
    float sum = neon_reduce8(simde_vaddq_f32(acc_lo[0], acc_lo[1]), simde_vaddq_f32(acc_hi[0], acc_hi[1])) + offsets;
    if (paired < nb) {
        float da, sa, m;
        act_block(type, a, paired, &da, &sa);
        const float dw = weight_block_scale(type, w, paired, &m);
        simde_int32x4_t lo, hi;
        neon_block_lanes(type, w, a, paired, &lo, &hi);
        sum = add_product(sum, dw * da, (float)simde_vaddvq_s32(simde_vaddq_s32(lo, hi)));
    }
    return sum;
}

MV_INLINE float neon_dot_interleaved(int type, int n, const void *w, const void *a) {
    float acc = 0;
    for (int i = 0; i < n / QK; i++) {
        float da, sa, m;
        act_block(type, a, i, &da, &sa);
        const float dw = weight_block_scale(type, w, i, &m);
        simde_int32x4_t lo, hi;
        neon_block_lanes(type, w, a, i, &lo, &hi);
        acc = MV_FMA((float)simde_vaddvq_s32(simde_vaddq_s32(lo, hi)), dw * da, acc);
    }
    return acc;
}

MV_INLINE void neon_kblock_lanes(int type, const kblock *k, const block_q8_K *y, int32_t lanes[8]) {
    (void)type;
    const simde_int32x4_t zero = simde_vdupq_n_s32(0);
    simde_int32x4_t lo = zero, hi = zero;
    for (int g = 0; g < QK_K / 32; g++) {
        const simde_int32x4_t p0 = simde_vdotq_s32(zero, simde_vld1q_s8(k->q + 32 * g), simde_vld1q_s8(y->qs + 32 * g));
        const simde_int32x4_t p1 = simde_vdotq_s32(zero, simde_vld1q_s8(k->q + 32 * g + 16), simde_vld1q_s8(y->qs + 32 * g + 16));
        lo = simde_vmlaq_n_s32(lo, p0, k->scale[2 * g]), hi = simde_vmlaq_n_s32(hi, p1, k->scale[2 * g + 1]);
    }
    simde_vst1q_s32(lanes, lo), simde_vst1q_s32(lanes + 4, hi);
    for (int l = 0; l < 8; l++) lanes[l] -= k->offset * (y->bsums[2 * l] * k->scale[2 * l] + y->bsums[2 * l + 1] * k->scale[2 * l + 1]);
}

MV_INLINE float neon_dot_k(int type, int parts, int n, const void *w, const void *a) { MV_DOT_K_BODY(neon_kblock_lanes, kblock_groups); }

MV_INTERLEAVED_KERNELS(neon, neon_dot_interleaved)
MV_K_KERNELS(neon, neon_dot_k)

/* One named kernel per (level, type): the generic bodies above are inlined
   with the type as a constant. */
#define MV_DOT_KERNELS(level, body_float, body_blocks)                                                                       \
    static float dot_f32_##level(int n, const void *w, const void *a) { return body_float(MV_TYPE_F32, n, w, a); }     \
    static float dot_f16_##level(int n, const void *w, const void *a) { return body_float(MV_TYPE_F16, n, w, a); }     \
    static float dot_q4_0_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q4_0, 1, n, w, a); }  \
    static float dot_q4_1_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q4_1, 1, n, w, a); }  \
    static float dot_q5_0_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q5_0, 1, n, w, a); }  \
    static float dot_q5_1_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q5_1, 1, n, w, a); }  \
    static float dot_q8_0_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_Q8_0, 1, n, w, a); }  \
    static float dot_mlx4_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_MLX4, 1, n, w, a); }  \
    static float dot_mlx8_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_MLX8, 1, n, w, a); }  \
    static float dot_iq4_nl_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_IQ4_NL, 2, n, w, a); } \
    static float dot_mxfp4_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_MXFP4, 2, n, w, a); } \
    static float dot_iq4_nl_one_chain_##level(int n, const void *w, const void *a) { return body_blocks(MV_TYPE_IQ4_NL, 1, n, w, a); }
MV_DOT_KERNELS(avx2, avx2_dot_float, avx2_dot_blocks_plain)
MV_DOT_KERNELS(avx512, avx512_dot_float, avx512_dot_blocks)
MV_DOT_KERNELS(neon, neon_dot_float, neon_dot_blocks)
#define MV_CHAIN16_KERNELS(level)                                                                                              \
    static float chain16_f32_##level(int n, const void *x, const void *y) { return level##_chain16(MV_TYPE_F32, n, x, y); } \
    static float chain16_f16_##level(int n, const void *x, const void *y) { return level##_chain16(MV_TYPE_F16, n, x, y); }
MV_CHAIN16_KERNELS(avx2)
MV_CHAIN16_KERNELS(avx512)
MV_CHAIN16_KERNELS(neon)
#define MV_DOT_ROW(level, k_level) \
    [MV_TYPE_F32] = dot_f32_##level, [MV_TYPE_F16] = dot_f16_##level, [MV_TYPE_BF16] = dot_bf16_##level, \
    [MV_TYPE_Q4_0] = dot_q4_0_##level, [MV_TYPE_Q4_1] = dot_q4_1_##level, [MV_TYPE_Q5_0] = dot_q5_0_##level, \
    [MV_TYPE_Q5_1] = dot_q5_1_##level, [MV_TYPE_Q8_0] = dot_q8_0_##level, [MV_TYPE_IQ4_NL] = dot_iq4_nl_##level, \
    [MV_TYPE_MXFP4] = dot_mxfp4_##level, [MV_TYPE_MLX4] = dot_mlx4_##level, [MV_TYPE_MLX8] = dot_mlx8_##level, MV_K_ROW(k_level)
#endif /* MV_NO_SIMD */

/* The order of a dot product's sums: which llama.cpp kernel it mirrors. */
enum {
    ORDER_VEC,          /* its vec_dot: single tokens, and types it has no GEMM for */
    ORDER_GEMM,         /* its batched GEMM (tinyBLAS): floats, IQ4_NL */
    ORDER_REPACK_GEMV,  /* types it repacks 8 rows at a time, one token */
    ORDER_REPACK_GEMM,  /* the same, groups of 4 tokens */
    ORDERS
};

/* Dot kernels by [level][order][weight type]; a NULL kernel at a SIMD level
   falls back to the scalar one of that order. */
static const dot_fn DOT_KERNELS[KERNEL_LEVELS][ORDERS][MV_TYPE_COUNT] = {
    [KERNEL_SCALAR] = {
        [ORDER_VEC] = {
            [MV_TYPE_F32] = dot_f32_scalar, [MV_TYPE_F16] = dot_f16_scalar, [MV_TYPE_BF16] = dot_bf16_scalar,
            [MV_TYPE_Q4_0] = dot_q4_0_scalar, [MV_TYPE_Q4_1] = dot_q4_1_scalar, [MV_TYPE_Q5_0] = dot_q5_0_scalar,
            [MV_TYPE_Q5_1] = dot_q5_1_scalar, [MV_TYPE_Q8_0] = dot_q8_0_scalar, [MV_TYPE_IQ4_NL] = dot_iq4_nl_scalar,
            [MV_TYPE_MXFP4] = dot_mxfp4_scalar, [MV_TYPE_MLX4] = dot_mlx4_scalar, [MV_TYPE_MLX8] = dot_mlx8_scalar, MV_K_ROW(scalar),
        },
        [ORDER_GEMM] = {MV_GEMM_ROW(scalar, scalar)},
        [ORDER_REPACK_GEMV] = {MV_INTERLEAVED_ROW(scalar, scalar)},
        [ORDER_REPACK_GEMM] = {MV_REPACK_GEMM_ROW(scalar, scalar)},
    },
#ifndef MV_NO_SIMD
    [KERNEL_AVX2] = {{MV_DOT_ROW(avx2, avx2)}, {MV_GEMM_ROW(avx2, avx2)}, {MV_INTERLEAVED_ROW(avx2, avx2)}, {MV_REPACK_GEMM_ROW(avx2, avx2)}},
    [KERNEL_AVX512] = {{MV_DOT_ROW(avx512, avx2)}, {MV_GEMM_ROW(avx512, avx2)}, {MV_INTERLEAVED_ROW(avx512, avx2)}, {MV_REPACK_GEMM_ROW(avx512, avx2)}},
    [KERNEL_NEON] = {{MV_DOT_ROW(neon, neon)}, {MV_GEMM_ROW(neon, neon)}, {MV_INTERLEAVED_ROW(neon, neon)}, {MV_REPACK_GEMM_ROW(neon, neon)}},
#endif
};

/* The best level this build runs natively (not through SIMDe's emulation). */
static int native_kernel_level(void) {
#ifndef MV_NO_SIMD
#if defined(SIMDE_X86_AVX512F_NATIVE) && defined(SIMDE_X86_AVX512BW_NATIVE) && defined(SIMDE_X86_AVX512VL_NATIVE) && \
    defined(SIMDE_X86_AVX512VNNI_NATIVE) && defined(SIMDE_X86_AVX512DQ_NATIVE)
    return KERNEL_AVX512;
#elif defined(SIMDE_X86_AVX2_NATIVE) && defined(SIMDE_X86_FMA_NATIVE) && defined(SIMDE_X86_F16C_NATIVE)
    return KERNEL_AVX2;
#elif defined(SIMDE_ARM_NEON_A64V8_NATIVE) && defined(__ARM_FEATURE_DOTPROD)
    return KERNEL_NEON;
#endif
#endif
    return KERNEL_SCALAR;
}

static dot_fn dot_kernel(int level, int order, int type) {
    dot_fn f = DOT_KERNELS[level][order][type];
    return f ? f : DOT_KERNELS[KERNEL_SCALAR][order][type];
}

/* exp(x) by the polynomial llama.cpp's AVX-512 build uses in softmax and
   SwiGLU (range reduction by ln 2 in two parts, a degree-5 polynomial, then
   scaling by 2^n; within ~1.5 ulp of exp): with it, attention weights and
   SwiGLU outputs round exactly as the reference's do. */
static float exp_approx(float x) {
    if (x != x) return x;
    const float r = 0x1.8p23f, z = MV_FMA(x, 0x1.715476p+0f, r), n = z - r;
    if (fabsf(n) > 192) return n <= 0 ? 0.0f : INFINITY;
    const float b = MV_FMA(-n, 0x1.7f7d1cp-20f, MV_FMA(-n, 0x1.62e4p-1f, x)), u = b * b;
    const float j = MV_FMA(MV_FMA(MV_FMA(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, MV_FMA(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                           MV_FMA(0x1.ffffecp-1f, b, 1.0f));
    /* j·2^n: a multiplication by an exact power of two where 2^n is a normal float (as ldexpf, one rounding) */
    return fabsf(n) <= 126 ? j * f32_from_bits((uint32_t)((int)n + 127) << 23) : ldexpf(j, (int)n);
}

#if !defined(MV_NO_SIMD) && defined(SIMDE_X86_AVX512F_NATIVE)
/* exp_approx of 16 lanes by the same operations; false where a lane is NaN
   or past the top of the range (the caller takes the scalar function).
   j·2^n by vscalefps, one rounding as ldexpf's, also below the normal
   range; n < −192 gives 0. */
MV_INLINE bool mv512_exp_approx(simde__m512 v, simde__m512 *y) {
    const simde__m512 r = simde_mm512_set1_ps(0x1.8p23f);
    const simde__m512 n = simde_mm512_sub_ps(simde_mm512_fmadd_ps(v, simde_mm512_set1_ps(0x1.715476p+0f), r), r);
    if (simde_mm512_cmp_ps_mask(n, simde_mm512_set1_ps(126), SIMDE_CMP_NLE_UQ)) return false; /* n > 126, or NaN as v is */
    const simde__m512 b = simde_mm512_fnmadd_ps(n, simde_mm512_set1_ps(0x1.7f7d1cp-20f), simde_mm512_fnmadd_ps(n, simde_mm512_set1_ps(0x1.62e4p-1f), v));
    const simde__m512 u = simde_mm512_mul_ps(b, b);
    const simde__m512 j = simde_mm512_fmadd_ps(
        simde_mm512_fmadd_ps(simde_mm512_fmadd_ps(simde_mm512_set1_ps(0x1.0e4020p-7f), b, simde_mm512_set1_ps(0x1.573e2ep-5f)), u,
                             simde_mm512_fmadd_ps(simde_mm512_set1_ps(0x1.555e66p-3f), b, simde_mm512_set1_ps(0x1.fffdb6p-2f))),
        u, simde_mm512_fmadd_ps(simde_mm512_set1_ps(0x1.ffffecp-1f), b, simde_mm512_set1_ps(1.0f)));
    *y = simde_mm512_maskz_mov_ps(simde_mm512_cmp_ps_mask(n, simde_mm512_set1_ps(-192), SIMDE_CMP_GE_OQ), _mm512_scalef_ps(j, n));
    return true;
}
#endif

/* exp_approx of 16 floats: one AVX-512 pass where the target has it natively
   (the same results), else the scalar function. */
static void exp_approx16(const float *x, float *y) {
#if !defined(MV_NO_SIMD) && defined(SIMDE_X86_AVX512F_NATIVE)
    simde__m512 v;
    if (mv512_exp_approx(simde_mm512_loadu_ps(x), &v)) {
        simde_mm512_storeu_ps(y, v);
        return;
    }
#endif
    for (int l = 0; l < 16; l++) y[l] = exp_approx(x[l]);
}

/* The largest of init and the products x[0..n)·f, NaNs skipped (as fmaxf),
   16 lanes at a time: a maximum is the same whatever the order. */
static float max_of(const float *x, int n, float f, float init) {
    int i = 0;
#ifndef MV_NO_SIMD
    simde__m512 lanes = simde_mm512_set1_ps(init);
    for (; i + 16 <= n; i += 16) /* a NaN in x keeps lanes */
        lanes = simde_mm512_max_ps(simde_mm512_mul_ps(simde_mm512_loadu_ps(x + i), simde_mm512_set1_ps(f)), lanes);
    float l16[16];
    simde_mm512_storeu_ps(l16, lanes);
    for (int l = 0; l < 16; l++) init = l16[l] > init ? l16[l] : init;
#endif
    for (; i < n; i++) {
        const float v = x[i] * f;
        init = v > init ? v : init;
    }
    return init;
}

/* ---- panel kernels: a panel of weight rows against a run of tokens ------
   A matmul spends its time here. A dot kernel above takes one row and one
   token a call; a panel kernel takes a panel of rows (4 or 16) and a run of
   tokens, and keeps weights, activations and partial sums in registers
   across rows and tokens, so each weight is read (and unpacked) once per
   few tokens and each activation once per panel of rows. Every output is
   still produced by exactly the floating-point operations of its order's
   scalar kernel, in the same sequence; only the integer sums inside a
   block (exact) are formed another way:
   - VPDPBUSD multiplies unsigned by signed bytes, 4 to a lane. Q4_0 codes
     are unsigned already (Σq·a − 8·Σa = Σ(q−8)·a); Q8_0 codes are made
     unsigned by flipping their top bit (Σ(w+128)·a − 128·Σa = Σw·a). The
     activation sums (8·Σa per block, 128·Σa per 4 elements) are formed once
     a matmul, with the block scales as floats (panel_prepare).
   - interleaved order (Q4_0): 16 rows a register, a lane a row: the 16
     rows' 4-byte groups are transposed into one register per group, and a
     block's integer sums of 16 rows come out of 8 VPDPBUSD, each against
     4 bytes of the activation broadcast.
   - plain order (Q8_0): a ymm register a (row, token), 8 lanes of sums of
     4, as the order has them; the 16 scales d_w·d_a of 4 rows × 4 tokens
     come from one multiplication (each product of two f16 values is exact
     in f32, so however it is formed it is the scalar kernel's).
   - chain16 order (F32, F16 in batches): 16-lane chains in zmm registers,
     4 rows × up to 6 tokens at a time, activations converted to f32 once a
     matmul.
   A panel kernel is called with whole panels of its row count; the rows
   left over go through the dot kernels. */

/* A matmul's activations as the panel kernels read them. */
typedef struct {
    const uint8_t *q;        /* the rows in the weight's dot type, q_stride bytes apart */
    size_t q_stride;
    float *d;                /* PREP_Q4_0, PREP_Q8_0: block scales as floats, [block · n_tok + token] */
    int32_t *c;              /* PREP_Q4_0: −8·Σa per block; PREP_Q8_0: −128·Σa per 4 elements;
                                PREP_Q4_K: Σa of groups 2h, 2h+1 (32 each) as two int16 per super-block and h */
    size_t c_stride;         /* int32 per token */
    const float *f;          /* F32 weights: the rows (f32), f_stride apart (F16 weights read q, f16) */
    size_t f_stride;
    int n_tok;
} panel_act;

enum { PREP_NONE, PREP_Q4_0, PREP_Q8_0, PREP_Q4_K };

/* Per-thread scratch of a panel kernel, in bytes. */
#define PANEL_SCRATCH ((size_t)192 * 1024)
/* Rows a panel kernel passes over each run of tokens before the next run,
   so that the tokens stay in L1 (Q8_0 keeps their block scales in scratch). */
enum { PANEL_GROUP_ROWS = 16 };

/* packed: the rows in the kernel's own layout (panel_pack), or NULL:
   then the kernel packs them a chunk at a time into its scratch. */
typedef void (*panel_fn)(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                         float *out, size_t out_stride, void *scratch, const uint8_t *packed);
/* Blocks i0..i0+nb of a panel's rows (w: the first, stride bytes apart), in the kernel's layout. */
typedef void (*panel_pack_fn)(const uint8_t *w, size_t stride, int i0, int nb, void *dst);

typedef struct {
    panel_fn fn;
    int rows;                /* a panel; n_rows is a multiple */
    int prep;                /* what panel_prepare makes for it */
    int min_tokens;          /* fewer: the dot kernels are as fast */
    panel_pack_fn pack;      /* the layout the kernel computes on, if it has one */
    size_t pack_bytes;       /* bytes of one block of a panel's rows in that layout */
} panel_kernel;

/* Floats, ints of the activation side data per token for n elements. */
static size_t panel_d_count(int n_tok, int n) { return (size_t)n_tok * (size_t)(n / QK) + 16; }
static size_t panel_c_stride(int prep, int n) {
    return prep == PREP_Q8_0 ? (size_t)(n / QK) * 8 : prep == PREP_Q4_K ? (size_t)(n / QK_K) * 4 : (size_t)(n / QK);
}

/* The side data of token t (its row q, of n elements in the dot type). */
static void panel_prepare(int prep, int n, const uint8_t *q, int t, const panel_act *a) {
    int32_t *c = a->c + (size_t)t * a->c_stride;
    if (prep == PREP_Q4_K) {
        const block_q8_K *yk = (const block_q8_K *)q;
        for (int i = 0; i < n / QK_K; i++)
            for (int h = 0; h < 4; h++) {
                const int16_t *bs = yk[i].bsums + 4 * h;
                c[4 * i + h] = (int32_t)((uint32_t)(uint16_t)(bs[0] + bs[1]) | (uint32_t)(uint16_t)(bs[2] + bs[3]) << 16);
            }
        return;
    }
    const block_q8_0 *y = (const block_q8_0 *)q;
    for (int i = 0; i < n / QK; i++) {
        a->d[(size_t)i * a->n_tok + t] = f16_to_f32(y[i].d);
        if (prep == PREP_Q4_0) {
            int s = 0;
            for (int j = 0; j < QK; j++) s += y[i].qs[j];
            c[i] = -8 * s;
        } else
            for (int l = 0; l < 8; l++) c[8 * i + l] = -128 * (y[i].qs[4 * l] + y[i].qs[4 * l + 1] + y[i].qs[4 * l + 2] + y[i].qs[4 * l + 3]);
    }
}

#ifndef MV_NO_SIMD
/* Operations Debian's SIMDe lacks at 512 bits: the native intrinsic, else two halves. */
MV_INLINE simde__m512 mv512_cvtepi32_ps(simde__m512i v) {
#if defined(SIMDE_X86_AVX512F_NATIVE)
    return _mm512_cvtepi32_ps(v);
#else
    return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(simde_mm256_cvtepi32_ps(simde_mm512_castsi512_si256(v))),
                                   simde_mm256_cvtepi32_ps(simde_mm512_extracti64x4_epi64(v, 1)), 1);
#endif
}

MV_INLINE simde__m512i mv512_cvtepu8_epi32(simde__m128i v) {
#if defined(SIMDE_X86_AVX512F_NATIVE)
    return _mm512_cvtepu8_epi32(v);
#else
    return simde_mm512_inserti64x4(simde_mm512_castsi256_si512(simde_mm256_cvtepu8_epi32(v)),
                                   simde_mm256_cvtepu8_epi32(simde_mm_srli_si128(v, 8)), 1);
#endif
}

MV_INLINE simde__m512i mv512_cvtepu8_epi16(simde__m256i v) {
#if defined(SIMDE_X86_AVX512BW_NATIVE)
    return _mm512_cvtepu8_epi16(v);
#else
    return simde_mm512_inserti64x4(simde_mm512_castsi256_si512(simde_mm256_cvtepu8_epi16(simde_mm256_castsi256_si128(v))),
                                   simde_mm256_cvtepu8_epi16(simde_mm256_extracti128_si256(v, 1)), 1);
#endif
}

/* Loops over a tile's registers, unrolled so that they stay registers (-O2 would keep them in memory). */
#define MV_UNROLL _Pragma("GCC unroll 8")

MV_INLINE int32_t load_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Asks for the line at p into L2 (prefetcht2 on x86): the hint every
   kernel here was measured with. SIMDe's T0 hint is that instruction under
   gcc (its 1 is x86's T2); real T0 measured no better on Zen 5. */
#if defined(__GNUC__)
#define MV_PREFETCH(p) __builtin_prefetch((p), 0, 1)
#else
#define MV_PREFETCH(p) ((void)(p))
#endif

/* The hardware prefetcher alone leaves a single token's kernels short of
   the memory bandwidth here (4 KB page ends, here and in the host, stop it;
   Q4_K's packed stream reads at 60% of the rate with it alone): a kernel
   asks for the lines of [p, p + n) 4 KB ahead, about what 2 threads have in
   flight (past a matrix's end is harmless). */
MV_INLINE void prefetch_ahead(const void *p, size_t n) {
    for (size_t l = 0; l < n; l += 64) MV_PREFETCH((const char *)p + 4096 + l);
}

/* -- Q4_0, interleaved order: 16 rows a register -- */

/* A block of 16 rows, transposed: lane r of q[j] holds code bytes 4j..4j+3
   of row r (elements 4j.. in their low nibbles, 16+4j.. in their high
   ones), then the rows' f16 scales: 288 bytes, as the 16 blocks stored. */
typedef struct {
    uint8_t q[4][64];
    uint16_t d[16];
} q4_0_x16;

enum { Q4_0_CHUNK = 160 };   /* blocks packed at a time when not packed at load: 45 KB */
enum { PANEL_TOKENS = 256 }; /* tokens whose sums are kept at a time */

/* 16 bytes at src of each of 16 rows (stride apart), transposed: lane r of
   dst[j] holds bytes 4j..4j+3 of row r. */
MV_INLINE void avx512_transpose_16x16(const uint8_t *src, size_t stride, uint8_t dst[4][64]) {
    simde__m512i z[4];
    for (int k = 0; k < 4; k++) { /* 128-bit chunk c of z[k]: the 16 bytes of row 4c + k */
        z[k] = simde_mm512_castsi128_si512(simde_mm_loadu_si128((const void *)(src + (size_t)k * stride)));
        z[k] = simde_mm512_inserti32x4(z[k], simde_mm_loadu_si128((const void *)(src + (size_t)(4 + k) * stride)), 1);
        z[k] = simde_mm512_inserti32x4(z[k], simde_mm_loadu_si128((const void *)(src + (size_t)(8 + k) * stride)), 2);
        z[k] = simde_mm512_inserti32x4(z[k], simde_mm_loadu_si128((const void *)(src + (size_t)(12 + k) * stride)), 3);
    }
    const simde__m512i t0 = simde_mm512_unpacklo_epi32(z[0], z[1]), t1 = simde_mm512_unpackhi_epi32(z[0], z[1]);
    const simde__m512i t2 = simde_mm512_unpacklo_epi32(z[2], z[3]), t3 = simde_mm512_unpackhi_epi32(z[2], z[3]);
    simde_mm512_storeu_si512((void *)dst[0], simde_mm512_unpacklo_epi64(t0, t2));
    simde_mm512_storeu_si512((void *)dst[1], simde_mm512_unpackhi_epi64(t0, t2));
    simde_mm512_storeu_si512((void *)dst[2], simde_mm512_unpacklo_epi64(t1, t3));
    simde_mm512_storeu_si512((void *)dst[3], simde_mm512_unpackhi_epi64(t1, t3));
}

/* Blocks i0..i0+nb of 16 rows (w: the first, stride bytes apart) into p. */
static void avx512_pack_q4_0(const uint8_t *w, size_t stride, int i0, int nb, void *dst) {
    q4_0_x16 *p = dst;
    for (int i = 0; i < nb; i++) {
        const uint8_t *b = w + (size_t)(i0 + i) * sizeof(block_q4_0);
        avx512_transpose_16x16(b + offsetof(block_q4_0, qs), stride, p[i].q);
        for (int r = 0; r < 16; r++) memcpy(&p[i].d[r], b + (size_t)r * stride, 2);
    }
}

/* T tokens from t: acc[u·16 + r] = fma(Σ, d_w·d_a, acc) over the blocks. */
MV_INLINE void avx512_q4_0_tokens(const q4_0_x16 *p, int nb, int i0, const panel_act *a, int t, int T, float *acc) {
    const simde__m512i low = simde_mm512_set1_epi8(15);
    simde__m512 s[4];
    const uint8_t *y[4];
    MV_UNROLL for (int u = 0; u < T; u++) s[u] = simde_mm512_loadu_ps(acc + 16 * u), y[u] = a->q + (size_t)(t + u) * a->q_stride;
    for (int i = 0; i < nb; i++) {
        simde__m512i w[8]; /* w[g]: elements 4g..4g+3 of each row */
        MV_UNROLL for (int j = 0; j < 4; j++) {
            const simde__m512i v = simde_mm512_loadu_si512((const void *)p[i].q[j]);
            w[j] = simde_mm512_and_si512(v, low), w[j + 4] = simde_mm512_and_si512(simde_mm512_srli_epi16(v, 4), low);
        }
        const simde__m512 dw = mv512_load_half(MV_TYPE_F16, p[i].d);
        const int ib = i0 + i;
        MV_UNROLL for (int u = 0; u < T; u++) {
            const int8_t *qa = ((const block_q8_0 *)y[u])[ib].qs;
            simde__m512i x0 = simde_mm512_set1_epi32(a->c[(size_t)(t + u) * a->c_stride + ib]), x1 = simde_mm512_setzero_si512();
            x0 = simde_mm512_dpbusd_epi32(x0, w[0], simde_mm512_set1_epi32(load_i32(qa)));
            x1 = simde_mm512_dpbusd_epi32(x1, w[1], simde_mm512_set1_epi32(load_i32(qa + 4)));
            x0 = simde_mm512_dpbusd_epi32(x0, w[2], simde_mm512_set1_epi32(load_i32(qa + 8)));
            x1 = simde_mm512_dpbusd_epi32(x1, w[3], simde_mm512_set1_epi32(load_i32(qa + 12)));
            x0 = simde_mm512_dpbusd_epi32(x0, w[4], simde_mm512_set1_epi32(load_i32(qa + 16)));
            x1 = simde_mm512_dpbusd_epi32(x1, w[5], simde_mm512_set1_epi32(load_i32(qa + 20)));
            x0 = simde_mm512_dpbusd_epi32(x0, w[6], simde_mm512_set1_epi32(load_i32(qa + 24)));
            x1 = simde_mm512_dpbusd_epi32(x1, w[7], simde_mm512_set1_epi32(load_i32(qa + 28)));
            const simde__m512 scale = simde_mm512_mul_ps(dw, simde_mm512_set1_ps(a->d[(size_t)ib * a->n_tok + t + u]));
            s[u] = simde_mm512_fmadd_ps(mv512_cvtepi32_ps(simde_mm512_add_epi32(x0, x1)), scale, s[u]);
        }
    }
    MV_UNROLL for (int u = 0; u < T; u++) simde_mm512_storeu_ps(acc + 16 * u, s[u]);
}

/* -- Q4_K, interleaved order: 16 rows a register -- */

/* A super-block of 16 rows, transposed: lane r of q[c][j] holds code bytes
   32c+4j..32c+4j+3 of row r (elements 4j.. of group 2c in their low
   nibbles, of group 2c+1 in their high ones); then each group's scale per
   row, the mins of groups 2h and 2h+1 side by side per row (for VPDPWSSD),
   and the rows' d and dmin: 2368 bytes, 16 more a row than stored. */
typedef struct {
    uint8_t q[4][8][64];
    uint8_t scale[8][16];
    uint8_t min[4][32];
    uint16_t d[16], dmin[16];
} q4_k_x16;

enum { Q4_K_CHUNK = 64 }; /* super-blocks packed at a time when not packed at load: 148 KB */

static void avx512_pack_q4_k(const uint8_t *w, size_t stride, int i0, int nb, void *dst) {
    q4_k_x16 *p = dst;
    for (int i = 0; i < nb; i++) {
        const uint8_t *b = w + (size_t)(i0 + i) * sizeof(block_q4_K);
        for (int c = 0; c < 4; c++)
            for (int h = 0; h < 2; h++) avx512_transpose_16x16(b + offsetof(block_q4_K, qs) + 32 * c + 16 * h, stride, &p[i].q[c][4 * h]);
        for (int r = 0; r < 16; r++) {
            const block_q4_K *row = (const block_q4_K *)(b + (size_t)r * stride);
            for (int g = 0; g < 8; g++) {
                int sc, m;
                k4_scale_min(row->scales, g, &sc, &m);
                p[i].scale[g][r] = (uint8_t)sc, p[i].min[g / 2][2 * r + g % 2] = (uint8_t)m;
            }
            p[i].d[r] = row->d, p[i].dmin[r] = row->dmin;
        }
    }
}

/* T tokens from t, the super-block in parts (1 or 4, as kchain_add):
   acc[u·32 + r] the Σ·d chain of row r, acc[u·32 + 16 + r] its min·dmin chain. */
MV_INLINE void avx512_q4_k_tokens(const q4_k_x16 *p, int nb, int i0, const panel_act *a, int t, int T, int parts, float *acc) {
    const simde__m512i low = simde_mm512_set1_epi8(15), zero = simde_mm512_setzero_si512();
    simde__m512 sum[4], min[4];
    simde__m512i total[4];
    const block_q8_K *y[4];
    const int32_t *c[4];
    MV_UNROLL for (int u = 0; u < T; u++) {
        sum[u] = simde_mm512_loadu_ps(acc + 32 * u), min[u] = simde_mm512_loadu_ps(acc + 32 * u + 16);
        y[u] = (const block_q8_K *)(a->q + (size_t)(t + u) * a->q_stride), c[u] = a->c + (size_t)(t + u) * a->c_stride;
    }
    for (int i = 0; i < nb; i++) {
        const q4_k_x16 *b = &p[i];
        const int ib = i0 + i;
        if (T == 1) prefetch_ahead(b, sizeof *b);
        const simde__m512 dw = mv512_load_half(MV_TYPE_F16, b->d), dmw = mv512_load_half(MV_TYPE_F16, b->dmin);
        MV_UNROLL for (int u = 0; u < T; u++) total[u] = zero;
        for (int g = 0; g < 8; g++) {
            simde__m512i w[8];
            MV_UNROLL for (int j = 0; j < 8; j++) {
                const simde__m512i v = simde_mm512_loadu_si512((const void *)b->q[g / 2][j]);
                w[j] = simde_mm512_and_si512(g % 2 ? simde_mm512_srli_epi16(v, 4) : v, low);
            }
            const simde__m512i sc = mv512_cvtepu8_epi32(simde_mm_loadu_si128((const void *)b->scale[g]));
            MV_UNROLL for (int u = 0; u < T; u++) {
                const int8_t *qa = y[u][ib].qs + 32 * g;
                simde__m512i x0 = zero, x1 = zero;
                MV_UNROLL for (int j = 0; j < 8; j += 2) {
                    x0 = simde_mm512_dpbusd_epi32(x0, w[j], simde_mm512_set1_epi32(load_i32(qa + 4 * j)));
                    x1 = simde_mm512_dpbusd_epi32(x1, w[j + 1], simde_mm512_set1_epi32(load_i32(qa + 4 * j + 4)));
                }
                total[u] = simde_mm512_add_epi32(total[u], simde_mm512_mullo_epi32(simde_mm512_add_epi32(x0, x1), sc));
            }
            if (g % (8 / parts) != 8 / parts - 1) continue;
            /* the end of a part: its integer totals into the float chains */
            const int h0 = parts == 4 ? g / 2 : 0, h1 = g / 2;
            MV_UNROLL for (int u = 0; u < T; u++) {
                simde__m512i mins = zero;
                for (int h = h0; h <= h1; h++)
                    mins = simde_mm512_dpwssd_epi32(mins, mv512_cvtepu8_epi16(simde_mm256_loadu_si256((const void *)b->min[h])),
                                                    simde_mm512_set1_epi32(c[u][4 * ib + h]));
                const simde__m512 yd = simde_mm512_set1_ps(y[u][ib].d);
                sum[u] = simde_mm512_fmadd_ps(mv512_cvtepi32_ps(total[u]), simde_mm512_mul_ps(dw, yd), sum[u]);
                min[u] = simde_mm512_fmadd_ps(mv512_cvtepi32_ps(mins), simde_mm512_mul_ps(dmw, yd), min[u]);
                total[u] = zero;
            }
        }
    }
    MV_UNROLL for (int u = 0; u < T; u++) simde_mm512_storeu_ps(acc + 32 * u, sum[u]), simde_mm512_storeu_ps(acc + 32 * u + 16, min[u]);
}

/* The 16-row panels (Q4_0, Q4_K; parts as kchain_add): per panel of rows
   and run of tokens, the blocks packed a chunk at a time into scratch (or
   read where they were packed at load), then the tokens 4 and 1 at a time
   into acc (16 floats a token, Q4_K 32: its sum and min chains). */
MV_INLINE void avx512_x16_panel(int type, int parts, int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0,
                                int t1, float *out, size_t out_stride, void *scratch, const uint8_t *packed) {
    const bool k = type == MV_TYPE_Q4_K;
    const int nb = n / (k ? QK_K : QK), lanes = k ? 32 : 16, max_chunk = k ? Q4_K_CHUNK : Q4_0_CHUNK;
    const size_t block = k ? sizeof(q4_k_x16) : sizeof(q4_0_x16);
    float *acc = (float *)((uint8_t *)scratch + (size_t)max_chunk * block);
    for (int r = 0; r < n_rows; r += 16)
        for (int tc = t0; tc < t1; tc += PANEL_TOKENS) {
            const int te = MV_MIN(t1, tc + PANEL_TOKENS), chunk = packed ? nb : te - tc <= 2 ? (k ? 4 : 8) : max_chunk;
            memset(acc, 0, (size_t)(te - tc) * lanes * sizeof(float));
            for (int i = 0; i < nb; i += chunk) {
                const int kb = MV_MIN(chunk, nb - i);
                const void *p = packed ? packed + ((size_t)(r / 16) * nb + i) * block : scratch;
                if (!packed) (k ? avx512_pack_q4_k : avx512_pack_q4_0)(w + (size_t)r * w_stride, w_stride, i, kb, scratch);
                int t = tc;
                for (; t + 4 <= te; t += 4)
                    if (k) avx512_q4_k_tokens(p, kb, i, a, t, 4, parts, acc + (t - tc) * lanes);
                    else avx512_q4_0_tokens(p, kb, i, a, t, 4, acc + (t - tc) * lanes);
                for (; t < te; t++)
                    if (k) avx512_q4_k_tokens(p, kb, i, a, t, 1, parts, acc + (t - tc) * lanes);
                    else avx512_q4_0_tokens(p, kb, i, a, t, 1, acc + (t - tc) * lanes);
            }
            for (int t = tc; t < te; t++)
                for (int j = 0; j < 16; j++) {
                    const float *at = acc + (size_t)(t - tc) * lanes;
                    out[(size_t)t * out_stride + r + j] = k ? at[j] - at[16 + j] : at[j];
                }
        }
}

static void panel_q4_0_avx512(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                              float *out, size_t out_stride, void *scratch, const uint8_t *packed) {
    avx512_x16_panel(MV_TYPE_Q4_0, 1, n, w, w_stride, n_rows, a, t0, t1, out, out_stride, scratch, packed);
}

static void panel_q4_k_gemv_avx512(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                                   float *out, size_t out_stride, void *scratch, const uint8_t *packed) {
    avx512_x16_panel(MV_TYPE_Q4_K, 1, n, w, w_stride, n_rows, a, t0, t1, out, out_stride, scratch, packed);
}

static void panel_q4_k_gemm_avx512(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                                   float *out, size_t out_stride, void *scratch, const uint8_t *packed) {
    avx512_x16_panel(MV_TYPE_Q4_K, 4, n, w, w_stride, n_rows, a, t0, t1, out, out_stride, scratch, packed);
}

/* -- Q8_0, plain order: 4 rows × up to 4 tokens, two tokens a zmm register -- */

/* Rows w..w+3 against T tokens from t: the 8 int32 lanes of each block's
   products (VPDPBUSD on the weights' codes + 128, from the −128·Σ4 start
   in c), to float, times d_w·d_a, into the 8 float lanes of (row, token) as
   vec_dot adds them. Lanes 0-7 of acc[k][p] hold token t + 2p, lanes 8-15
   token t + 2p + 1 (for odd T the last pair's upper half repeats the lower). */
MV_INLINE void avx512_q8_0_tile(int nb, const uint8_t *w, size_t w_stride, const float *dw, const panel_act *a, int t, int T,
                                float *out, size_t out_stride) {
    const int P = (T + 1) / 2;
    simde__m512 acc[4][2];
    const block_q8_0 *y[2][2];
    const int32_t *c[2][2];
    MV_UNROLL for (int p = 0; p < P; p++)
        MV_UNROLL for (int h = 0; h < 2; h++) {
            const int u = MV_MIN(2 * p + h, T - 1);
            y[p][h] = (const block_q8_0 *)(a->q + (size_t)(t + u) * a->q_stride), c[p][h] = a->c + (size_t)(t + u) * a->c_stride;
        }
    MV_UNROLL for (int k = 0; k < 4; k++)
        MV_UNROLL for (int p = 0; p < P; p++) acc[k][p] = simde_mm512_setzero_ps();
    /* lane l of the scale picks d_a of token 2p + l/8 out of the block's 4 */
    simde__m512i halves[2];
    MV_UNROLL for (int p = 0; p < P; p++)
        halves[p] = simde_mm512_inserti64x4(simde_mm512_set1_epi32(2 * p), simde_mm256_set1_epi32(MV_MIN(2 * p + 1, T - 1)), 1);
    const simde__m512i flip = simde_mm512_set1_epi8((char)0x80);
    for (int i = 0; i < nb; i++) {
        simde__m512i wq[4], x[2], start[2];
        simde__m512 da[2];
        MV_UNROLL for (int k = 0; k < 4; k++)
            wq[k] = simde_mm512_xor_si512(simde_mm512_broadcast_i64x4(simde_mm256_loadu_si256((const void *)((const block_q8_0 *)(w + (size_t)k * w_stride))[i].qs)), flip);
        const simde__m512 d4 = simde_mm512_castps128_ps512(simde_mm_loadu_ps(a->d + (size_t)i * a->n_tok + t));
        MV_UNROLL for (int p = 0; p < P; p++) {
            x[p] = simde_mm512_inserti64x4(simde_mm512_castsi256_si512(simde_mm256_loadu_si256((const void *)y[p][0][i].qs)),
                                           simde_mm256_loadu_si256((const void *)y[p][1][i].qs), 1);
            start[p] = simde_mm512_inserti64x4(simde_mm512_castsi256_si512(simde_mm256_loadu_si256((const void *)(c[p][0] + 8 * i))),
                                               simde_mm256_loadu_si256((const void *)(c[p][1] + 8 * i)), 1);
            da[p] = simde_mm512_permutexvar_ps(halves[p], d4);
        }
        MV_UNROLL for (int k = 0; k < 4; k++) {
            const simde__m512 dk = simde_mm512_set1_ps(dw[4 * i + k]);
            MV_UNROLL for (int p = 0; p < P; p++) {
                const simde__m512i sum = simde_mm512_dpbusd_epi32(start[p], wq[k], x[p]);
                acc[k][p] = simde_mm512_fmadd_ps(simde_mm512_mul_ps(dk, da[p]), mv512_cvtepi32_ps(sum), acc[k][p]);
            }
        }
    }
    const simde__m256 zero = simde_mm256_setzero_ps();
    MV_UNROLL for (int u = 0; u < T; u++)
        MV_UNROLL for (int k = 0; k < 4; k++) {
            const simde__m512 v = acc[k][u / 2];
            const simde__m256 lanes = u % 2 ? simde_mm256_castsi256_ps(simde_mm512_extracti64x4_epi64(simde_mm512_castps_si512(v), 1))
                                            : simde_mm512_castps512_ps256(v);
            out[(size_t)(t + u) * out_stride + k] = avx2_reduce8(simde_mm256_add_ps(lanes, zero)) + 0.0f;
        }
}

/* Rows g..g+rows-1 (their scales in dw) against tokens t..t+T-1, 4 rows at a time. */
MV_INLINE void avx512_q8_0_group(int nb, const uint8_t *w, size_t w_stride, const float *dw, int g, int rows, const panel_act *a, int t,
                                 int T, float *out, size_t out_stride) {
    for (int r = g; r < g + rows; r += 4)
        avx512_q8_0_tile(nb, w + (size_t)r * w_stride, w_stride, dw + (size_t)(r - g) * nb, a, t, T, out + r, out_stride);
}

static void panel_q8_0_avx512(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                              float *out, size_t out_stride, void *scratch, const uint8_t *packed) {
    const int nb = n / QK;
    (void)packed;
    float *dw = scratch; /* [row / 4][block][row % 4] of the group */
    for (int g = 0; g < n_rows; g += PANEL_GROUP_ROWS) {
        const int rows = MV_MIN(PANEL_GROUP_ROWS, n_rows - g);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < nb; i++)
                dw[((size_t)(r / 4) * nb + i) * 4 + r % 4] = f16_to_f32(((const block_q8_0 *)(w + (size_t)(g + r) * w_stride))[i].d);
        int t = t0;
        for (; t + 4 <= t1; t += 4) avx512_q8_0_group(nb, w, w_stride, dw, g, rows, a, t, 4, out, out_stride);
        switch (t1 - t) {
        case 3: avx512_q8_0_group(nb, w, w_stride, dw, g, rows, a, t, 3, out, out_stride); break;
        case 2: avx512_q8_0_group(nb, w, w_stride, dw, g, rows, a, t, 2, out, out_stride); break;
        case 1: avx512_q8_0_group(nb, w, w_stride, dw, g, rows, a, t, 1, out, out_stride); break;
        }
    }
}

/* -- Q6_K, plain order: 4 rows × up to 4 tokens -- */

/* Codes of groups 4m..4m+3 (128 elements) of a Q6_K super-block, the
   first 64 in q[0]: the low and high nibbles of ql[64m...] with bits 0-1 and
   4-5 of qh[32m...], whose second half is bits 2-3 and 6-7 shifted down. */
MV_INLINE void avx512_q6_k_codes(const block_q6_K *b, int m, simde__m512i q[2]) {
    const simde__m512i low = simde_mm512_set1_epi8(15), high = simde_mm512_set1_epi8(0x30);
    const simde__m512i ql = simde_mm512_loadu_si512((const void *)(b->ql + 64 * m));
    const simde__m256i qh = simde_mm256_loadu_si256((const void *)(b->qh + 32 * m));
    const simde__m512i qh2 = simde_mm512_inserti64x4(simde_mm512_castsi256_si512(qh), simde_mm256_srli_epi16(qh, 2), 1);
    q[0] = simde_mm512_or_si512(simde_mm512_and_si512(ql, low), simde_mm512_and_si512(simde_mm512_slli_epi16(qh2, 4), high));
    q[1] = simde_mm512_or_si512(simde_mm512_and_si512(simde_mm512_srli_epi16(ql, 4), low), simde_mm512_and_si512(qh2, high));
}

/* Rows w..w+3 against T tokens from t, in llama.cpp's vec_dot lanes: lane l
   of a super-block sums elements 4l..4l+3 of each group of 32 times their
   scale, less 32·Σ scale·Σa of 16-element slots 2l, 2l+1; d_w·d_a times it
   into 8 float lanes, reduced as reduce8. Block i of row r at
   w + r·w_stride + i·block_stride (stored rows, or 4 interleaved). */
MV_INLINE void avx512_q6_k_tile(int nb, const uint8_t *w, size_t w_stride, size_t block_stride, const panel_act *a, int t, int T,
                                float *out, size_t out_stride) {
    kaccum acc[4][4];
    memset(acc, 0, sizeof acc);
    for (int i = 0; i < nb; i++) {
        const block_q6_K *b[4];
        simde__m512i scales[4], sums[4][4];
        MV_UNROLL for (int r = 0; r < 4; r++) {
            b[r] = (const block_q6_K *)(w + (size_t)r * w_stride + (size_t)i * block_stride);
            prefetch_ahead(b[r], sizeof(block_q6_K));
            const simde__m256i sc = simde_mm256_cvtepi8_epi16(simde_mm_loadu_si128((const void *)b[r]->scales));
            scales[r] = simde_mm512_inserti64x4(simde_mm512_castsi256_si512(sc), sc, 1);
            MV_UNROLL for (int u = 0; u < T; u++) sums[r][u] = simde_mm512_setzero_si512();
        }
        for (int m = 0; m < 2; m++) {
            simde__m512i q[4][2];
            MV_UNROLL for (int r = 0; r < 4; r++) avx512_q6_k_codes(b[r], m, q[r]);
            MV_UNROLL for (int h = 0; h < 2; h++) {
                /* 16-bit lanes 8j..8j+7 (elements 16j..16j+15 in pairs) take the scale of slot 4k + j */
                const int k = 2 * m + h;
                const int64_t rep = 0x0001000100010001ll;
                const simde__m512i spread = simde_mm512_set_epi64(rep * (4 * k + 3), rep * (4 * k + 3), rep * (4 * k + 2), rep * (4 * k + 2),
                                                                  rep * (4 * k + 1), rep * (4 * k + 1), rep * (4 * k), rep * (4 * k));
                simde__m512i sc[4];
                MV_UNROLL for (int r = 0; r < 4; r++) sc[r] = simde_mm512_permutexvar_epi16(spread, scales[r]);
                MV_UNROLL for (int u = 0; u < T; u++) {
                    const simde__m512i x = simde_mm512_loadu_si512((const void *)(((const block_q8_K *)(a->q + (size_t)(t + u) * a->q_stride))[i].qs + 64 * k));
                    /* pairs of products (at most 2·63·128: no saturation) times their scale, summed in pairs: 4 elements a lane */
                    MV_UNROLL for (int r = 0; r < 4; r++)
                        sums[r][u] = simde_mm512_add_epi32(sums[r][u], simde_mm512_madd_epi16(simde_mm512_maddubs_epi16(q[r][h], x), sc[r]));
                }
            }
        }
        MV_UNROLL for (int u = 0; u < T; u++) {
            const block_q8_K *y = (const block_q8_K *)(a->q + (size_t)(t + u) * a->q_stride) + i;
            const simde__m256i bsums = simde_mm256_loadu_si256((const void *)y->bsums);
            MV_UNROLL for (int r = 0; r < 4; r++) {
                const simde__m256i offset = simde_mm256_madd_epi16(simde_mm512_castsi512_si256(scales[r]), bsums);
                const simde__m256i lanes = simde_mm256_sub_epi32(simde_mm256_add_epi32(simde_mm512_castsi512_si256(sums[r][u]),
                                                                                       simde_mm512_extracti64x4_epi64(sums[r][u], 1)),
                                                                 simde_mm256_slli_epi32(offset, 5));
                const simde__m256 d = simde_mm256_set1_ps(y->d * f16_to_f32(b[r]->d));
                simde_mm256_storeu_ps(acc[r][u].lanes, simde_mm256_fmadd_ps(d, simde_mm256_cvtepi32_ps(lanes), simde_mm256_loadu_ps(acc[r][u].lanes)));
            }
        }
    }
    for (int u = 0; u < T; u++)
        for (int r = 0; r < 4; r++) out[(size_t)(t + u) * out_stride + r] = kaccum_result(MV_TYPE_Q6_K, &acc[r][u]);
}

/* Q6_K's layout at load: the 4 rows of a panel block by block, one stream
   (the blocks unchanged, so the sums are the stored rows' to the bit). */
static void pack_q6_k_x4(const uint8_t *w, size_t stride, int i0, int nb, void *dst) {
    for (int i = 0; i < nb; i++)
        for (int r = 0; r < 4; r++)
            memcpy((uint8_t *)dst + (size_t)(4 * i + r) * sizeof(block_q6_K), w + (size_t)r * stride + (size_t)(i0 + i) * sizeof(block_q6_K),
                   sizeof(block_q6_K));
}

/* Rows g..g+rows-1 (stored, or packed at load 4 a panel) against tokens t..t+T-1, 4 rows at a time. */
MV_INLINE void avx512_q6_k_group(int nb, const uint8_t *w, size_t w_stride, const uint8_t *packed, int g, int rows, const panel_act *a,
                                 int t, int T, float *out, size_t out_stride) {
    const size_t row = packed ? sizeof(block_q6_K) : w_stride, block = packed ? 4 * sizeof(block_q6_K) : sizeof(block_q6_K);
    for (int r = g; r < g + rows; r += 4) {
        const uint8_t *wr = packed ? packed + (size_t)(r / 4) * nb * block : w + (size_t)r * w_stride;
        avx512_q6_k_tile(nb, wr, row, block, a, t, T, out + r, out_stride);
    }
}

static void panel_q6_k_avx512(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1, float *out,
                              size_t out_stride, void *scratch, const uint8_t *packed) {
    (void)scratch;
    const int nb = n / QK_K;
    for (int g = 0; g < n_rows; g += PANEL_GROUP_ROWS) {
        const int rows = MV_MIN(PANEL_GROUP_ROWS, n_rows - g);
        int t = t0;
        for (; t + 4 <= t1; t += 4) avx512_q6_k_group(nb, w, w_stride, packed, g, rows, a, t, 4, out, out_stride);
        switch (t1 - t) {
        case 3: avx512_q6_k_group(nb, w, w_stride, packed, g, rows, a, t, 3, out, out_stride); break;
        case 2: avx512_q6_k_group(nb, w, w_stride, packed, g, rows, a, t, 2, out, out_stride); break;
        case 1: avx512_q6_k_group(nb, w, w_stride, packed, g, rows, a, t, 1, out, out_stride); break;
        }
    }
}

/* -- float rows (F32, F16), chain16 order: 4 rows × up to 6 tokens, a chain each -- */

/* Token t's activations for float weights, in the weights' type: F16 rows
   widen as they load (half the bytes of f32 rows through the caches). */
MV_INLINE const uint8_t *float_panel_act(int type, const panel_act *a, int t) {
    return type == MV_TYPE_F16 ? a->q + (size_t)t * a->q_stride : (const uint8_t *)(a->f + (size_t)t * a->f_stride);
}

MV_INLINE void avx512_chain16_tile(int type, int n, const uint8_t *w, size_t w_stride, const panel_act *a, int t, int T,
                                   float *out, size_t out_stride) {
    simde__m512 acc[4][6];
    MV_UNROLL for (int k = 0; k < 4; k++)
        MV_UNROLL for (int u = 0; u < 6; u++) acc[k][u] = simde_mm512_setzero_ps();
    const uint8_t *x[6];
    for (int u = 0; u < T; u++) x[u] = float_panel_act(type, a, t + u);
    for (int i = 0; i < n; i += 16) {
        simde__m512 wk[4];
        MV_UNROLL for (int k = 0; k < 4; k++) wk[k] = avx512_load_float(type, w + (size_t)k * w_stride, i);
        MV_UNROLL for (int u = 0; u < T; u++) {
            const simde__m512 xu = avx512_load_float(type, x[u], i);
            MV_UNROLL for (int k = 0; k < 4; k++) acc[k][u] = simde_mm512_fmadd_ps(wk[k], xu, acc[k][u]);
        }
    }
    MV_UNROLL for (int u = 0; u < T; u++)
        MV_UNROLL for (int k = 0; k < 4; k++) out[(size_t)(t + u) * out_stride + k] = mv512_reduce16(acc[k][u]);
}

/* A group of rows against tokens t..t+T-1, 4 rows at a time; T a constant
   in each call, so that the tile's registers stay registers. */
MV_INLINE void avx512_chain16_group(int type, int n, const uint8_t *w, size_t w_stride, int rows, const panel_act *a, int t, int T,
                                    float *out, size_t out_stride) {
    for (int r = 0; r < rows; r += 4) avx512_chain16_tile(type, n, w + (size_t)r * w_stride, w_stride, a, t, T, out + r, out_stride);
}

MV_INLINE void avx512_chain16_panel(int type, int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0,
                                    int t1, float *out, size_t out_stride) {
    for (int g = 0; g < n_rows; g += PANEL_GROUP_ROWS) {
        const uint8_t *wg = w + (size_t)g * w_stride;
        const int rows = MV_MIN(PANEL_GROUP_ROWS, n_rows - g);
        int t = t0;
        for (; t + 6 <= t1; t += 6) avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 6, out + g, out_stride);
        switch (t1 - t) {
        case 5: avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 5, out + g, out_stride); break;
        case 4: avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 4, out + g, out_stride); break;
        case 3: avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 3, out + g, out_stride); break;
        case 2: avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 2, out + g, out_stride); break;
        case 1: avx512_chain16_group(type, n, wg, w_stride, rows, a, t, 1, out + g, out_stride); break;
        }
    }
}

/* -- float rows (F32, F16), plain (vec_dot) order: 16 or 4 rows, a token at a time, four 16-lane chains each -- */

/* Lane j: mv512_reduce16(v[j]), the same halving tree (lanes i + i+8, then
   + 4, + 2, + 1) for 16 registers at once: 15 additions, not 16 × 4. */
MV_INLINE simde__m512 avx512_reduce16x16(const simde__m512 *v) {
    simde__m512 t[8], u[4], w[2];
    MV_UNROLL for (int j = 0; j < 8; j++) /* t[j]: v[2j]'s halves added in lanes 0-7, v[2j+1]'s in 8-15 */
        t[j] = simde_mm512_add_ps(simde_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0x44), simde_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0xEE));
    MV_UNROLL for (int k = 0; k < 4; k++) /* 128-bit chunk c of u[k]: v[4k + c]'s quarters added */
        u[k] = simde_mm512_add_ps(simde_mm512_shuffle_f32x4(t[2 * k], t[2 * k + 1], 0x88), simde_mm512_shuffle_f32x4(t[2 * k], t[2 * k + 1], 0xDD));
    MV_UNROLL for (int m = 0; m < 2; m++) /* chunk c of w[m]: pairs of v[8m + c], then of v[8m + 4 + c] */
        w[m] = simde_mm512_add_ps(simde_mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0x44), simde_mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0xEE));
    /* lane 4c + m holds v[4m + c]'s sum */
    const simde__m512 r = simde_mm512_add_ps(simde_mm512_shuffle_ps(w[0], w[1], 0x88), simde_mm512_shuffle_ps(w[0], w[1], 0xDD));
    return simde_mm512_permutexvar_ps(simde_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0), r);
}

/* Row w against tokens t..t+T-1 over the first np elements in vec_dot's
   four chains (each weight converted once for all T tokens), each token's
   chains added as the dot kernel adds them: sum[u·stride]. */
MV_INLINE void avx512_vec_float_row(int type, int np, const uint8_t *w, const panel_act *a, int t, int T, simde__m512 *sum, int stride) {
    simde__m512 acc[4][4];
    MV_UNROLL for (int u = 0; u < T; u++)
        MV_UNROLL for (int c = 0; c < 4; c++) acc[u][c] = simde_mm512_setzero_ps();
    for (int i = 0; i < np; i += 64) {
        simde__m512 wc[4];
        MV_UNROLL for (int c = 0; c < 4; c++) wc[c] = avx512_load_float(type, w, i + 16 * c);
        MV_UNROLL for (int u = 0; u < T; u++) {
            const uint8_t *x = float_panel_act(type, a, t + u);
            MV_UNROLL for (int c = 0; c < 4; c++) acc[u][c] = simde_mm512_fmadd_ps(wc[c], avx512_load_float(type, x, i + 16 * c), acc[u][c]);
        }
    }
    MV_UNROLL for (int u = 0; u < T; u++)
        sum[u * stride] = simde_mm512_add_ps(simde_mm512_add_ps(acc[u][0], acc[u][2]), simde_mm512_add_ps(acc[u][1], acc[u][3]));
}

/* 16 rows (or the last 4, 8, 12) a time against 4 tokens a time; a token's
   16 row sums reduced together. */
MV_INLINE void avx512_vec_float_panel(int type, int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1,
                                      float *out, size_t out_stride) {
    const int np = n & ~63;
    for (int r = 0; r < n_rows; r += 16) {
        const int rows = MV_MIN(16, n_rows - r);
        for (int t = t0; t < t1; t += 4) {
            const int T = MV_MIN(4, t1 - t);
            simde__m512 sum[4][16];
            for (int k = 0; k < rows; k++) {
                const uint8_t *wk = w + (size_t)(r + k) * w_stride;
                switch (T) { /* T a constant in each call, so that the accumulators stay registers */
                case 4: avx512_vec_float_row(type, np, wk, a, t, 4, &sum[0][k], 16); break;
                case 3: avx512_vec_float_row(type, np, wk, a, t, 3, &sum[0][k], 16); break;
                case 2: avx512_vec_float_row(type, np, wk, a, t, 2, &sum[0][k], 16); break;
                default: avx512_vec_float_row(type, np, wk, a, t, 1, &sum[0][k], 16); break;
                }
            }
            for (int u = 0; u < T; u++) {
                float s[16];
                if (rows == 16) simde_mm512_storeu_ps(s, avx512_reduce16x16(sum[u]));
                else
                    for (int k = 0; k < rows; k++) s[k] = mv512_reduce16(sum[u][k]);
                for (int k = 0; k < rows; k++)
                    out[(size_t)(t + u) * out_stride + r + k] =
                        float_tail(type, np, n, w + (size_t)(r + k) * w_stride, a->q + (size_t)(t + u) * a->q_stride, s[k]);
            }
        }
    }
}

/* The float panel kernels: a body above for one type. */
#define MV_FLOAT_PANEL(name, body, type)                                                                                     \
    static void name(int n, const uint8_t *w, size_t w_stride, int n_rows, const panel_act *a, int t0, int t1, float *out, \
                     size_t out_stride, void *scratch, const uint8_t *packed) {                                              \
        (void)scratch, (void)packed;                                                                                         \
        body(type, n, w, w_stride, n_rows, a, t0, t1, out, out_stride);                                                      \
    }
MV_FLOAT_PANEL(panel_chain16_f32_avx512, avx512_chain16_panel, MV_TYPE_F32)
MV_FLOAT_PANEL(panel_chain16_f16_avx512, avx512_chain16_panel, MV_TYPE_F16)
MV_FLOAT_PANEL(panel_vec_f32_avx512, avx512_vec_float_panel, MV_TYPE_F32)
MV_FLOAT_PANEL(panel_vec_f16_avx512, avx512_vec_float_panel, MV_TYPE_F16)

/* -- attention over an F16 cache: 16 keys across the lanes, query rows of one KV head -- */

/* Measured on Zen 4 with the cache streaming from memory: K blocks are
   asked for 8 KB ahead; V rows 8 rows ahead at the same slots (after the
   last rows of a block, the first rows of the next). */
enum { KEY_AHEAD = 8192, VALUE_AHEAD_ROWS = 8, VALUE_BLOCK = 512 };

/* b_l = chain l + chain l+8 of up to 4 rows (chain l: elements l, l+16, ...
   of each key, fused multiply-adds from 0) for 32 keys, two blocks of 16
   (bytes apart) in two registers, so that a broadcast q element serves two
   FMAs: b[2r], b[2r + 1]. */
MV_INLINE void avx512_lane_pair(int R, int l, int hd, const uint8_t *k, size_t bytes, const float *qf, simde__m512 *b) {
    simde__m512 lo[4][2], hi[4][2];
    MV_UNROLL for (int r = 0; r < R; r++)
        MV_UNROLL for (int v = 0; v < 2; v++) lo[r][v] = hi[r][v] = simde_mm512_setzero_ps();
    for (int i = l; i < hd; i += 16) {
        simde__m512 k_lo[2], k_hi[2];
        MV_UNROLL for (int v = 0; v < 2; v++) {
            k_lo[v] = mv512_load_half(MV_TYPE_F16, (const uint16_t *)(k + v * bytes + (size_t)i * 32));
            k_hi[v] = mv512_load_half(MV_TYPE_F16, (const uint16_t *)(k + v * bytes + (size_t)(i + 8) * 32));
        }
        MV_UNROLL for (int r = 0; r < R; r++) {
            simde__m512 q_lo = simde_mm512_set1_ps(qf[(size_t)r * hd + i]), q_hi = simde_mm512_set1_ps(qf[(size_t)r * hd + i + 8]);
#if defined(SIMDE_X86_AVX512F_NATIVE) && defined(__GNUC__)
            __asm__("" : "+v"(q_lo), "+v"(q_hi)); /* one broadcast for both blocks, not one folded into each FMA */
#endif
            MV_UNROLL for (int v = 0; v < 2; v++) {
                lo[r][v] = simde_mm512_fmadd_ps(k_lo[v], q_lo, lo[r][v]);
                hi[r][v] = simde_mm512_fmadd_ps(k_hi[v], q_hi, hi[r][v]);
            }
        }
    }
    MV_UNROLL for (int r = 0; r < R; r++)
        MV_UNROLL for (int v = 0; v < 2; v++) b[2 * r + v] = simde_mm512_add_ps(lo[r][v], hi[r][v]);
}

/* Scores of R rows against 32 keys: reduce16's tree on b_0..b_7,
   ((b0+b4)+(b2+b6)) + ((b1+b5)+(b3+b7)), with few registers live. Where
   ahead is not NULL, the block there (hd·64 bytes) is asked for, a quarter
   a step: a burst of 64 prefetches stalled the loads behind it (most
   likely on the core's miss buffers). */
MV_INLINE void avx512_key_block(int R, int hd, const uint8_t *k, const uint8_t *ahead, const float *qf, float *score, size_t stride) {
    simde__m512 x[8], y[8], pair[8], half[8];
    static const int order[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    MV_UNROLL for (int h = 0; h < 2; h++) {
        MV_UNROLL for (int j = 0; j < 2; j++) { /* each lane pair's l a constant: K·q 28 -> 23 µs a tile (Zen 5) */
            if (ahead)
                for (int l = 0; l < hd * 16; l += 64) MV_PREFETCH((const char *)ahead + (2 * h + j) * hd * 16 + l);
            avx512_lane_pair(R, order[4 * h + 2 * j], hd, k, (size_t)hd * 32, qf, x);
            avx512_lane_pair(R, order[4 * h + 2 * j + 1], hd, k, (size_t)hd * 32, qf, y);
            MV_UNROLL for (int r = 0; r < 2 * R; r++) {
                const simde__m512 sum = simde_mm512_add_ps(x[r], y[r]);
                pair[r] = j ? simde_mm512_add_ps(pair[r], sum) : sum;
            }
        }
        MV_UNROLL for (int r = 0; r < 2 * R; r++) half[r] = h ? simde_mm512_add_ps(half[r], pair[r]) : pair[r];
    }
    MV_UNROLL for (int r = 0; r < R; r++)
        MV_UNROLL for (int v = 0; v < 2; v++) simde_mm512_storeu_ps(score + (size_t)r * stride + 16 * v, half[2 * r + v]);
}

/* Rows 0..rows-1 against 32 keys, 4 at a time (R a constant in each call,
   so that the chains stay registers). */
MV_INLINE void avx512_key_rows(int hd, const uint8_t *k, const float *qf, int rows, float *score, size_t stride) {
    const uint8_t *ahead = k + KEY_AHEAD;
    int r = 0;
    for (; r + 4 <= rows; r += 4, ahead = NULL) avx512_key_block(4, hd, k, ahead, qf + (size_t)r * hd, score + (size_t)r * stride, stride);
    switch (rows - r) {
    case 3: avx512_key_block(3, hd, k, ahead, qf + (size_t)r * hd, score + (size_t)r * stride, stride); break;
    case 2: avx512_key_block(2, hd, k, ahead, qf + (size_t)r * hd, score + (size_t)r * stride, stride); break;
    case 1: avx512_key_block(1, hd, k, ahead, qf + (size_t)r * hd, score + (size_t)r * stride, stride); break;
    }
}

/* score[r·stride + s] = K·q_r over the keys s < n_keys rounded up to 32 (K
   in blocks of 16 keys, [s / 16][element][s % 16], padded to 64 keys; qf:
   rows of hd f32, hd a multiple of 16), each in the chain16 order:
   attention_scores_f16_scalar's, bit for bit. The usual head sizes are
   constants in the calls. */
static void attention_scores_f16_avx512(int hd, const uint16_t *k, int n_keys, const float *qf, int rows, float *score, size_t stride) {
    for (int s = 0; s < n_keys; s += 32) {
        const uint8_t *ks = (const uint8_t *)(k + (size_t)s * hd);
        if (hd == 64) avx512_key_rows(64, ks, qf, rows, score + s, stride);
        else if (hd == 128) avx512_key_rows(128, ks, qf, rows, score + s, stride);
        else avx512_key_rows(hd, ks, qf, rows, score + s, stride);
    }
}

/* Elements d..d+D-1 against up to 8 rows over slots s0..s1: the 16-lane
   chains acc[e·R + r] go on; the rows at ahead are asked for at the same
   slots. */
MV_INLINE void avx512_value_chains(int D, int R, int s0, int s1, const uint8_t *v, const uint8_t *ahead, size_t v_stride, const float *p,
                                   size_t p_stride, simde__m512 *acc) {
    simde__m512 c[8][2];
    MV_UNROLL for (int r = 0; r < R; r++)
        MV_UNROLL for (int e = 0; e < D; e++) c[r][e] = acc[e * R + r];
    for (int s = s0; s < s1; s += 16) {
        simde__m512 ve[2];
        MV_UNROLL for (int e = 0; e < D; e++) {
            if (s % 32 == 0) MV_PREFETCH(ahead + (size_t)e * v_stride + (size_t)s * 2);
            ve[e] = mv512_load_half(MV_TYPE_F16, (const uint16_t *)(v + (size_t)e * v_stride) + s);
        }
        MV_UNROLL for (int r = 0; r < R; r++) {
            simde__m512 pr = simde_mm512_loadu_ps(p + (size_t)r * p_stride + s);
#if defined(SIMDE_X86_AVX512F_NATIVE) && defined(__GNUC__)
            __asm__("" : "+v"(pr)); /* one load for both elements, not one folded into each FMA */
#endif
            MV_UNROLL for (int e = 0; e < D; e++) c[r][e] = simde_mm512_fmadd_ps(ve[e], pr, c[r][e]);
        }
    }
    MV_UNROLL for (int r = 0; r < R; r++)
        MV_UNROLL for (int e = 0; e < D; e++) acc[e * R + r] = c[r][e];
}

/* The chains of R rows (a constant in each call, so that they stay registers). */
MV_INLINE void avx512_value_rows(int D, int R, int s0, int s1, const uint8_t *v, const uint8_t *ahead, size_t v_stride, const float *p,
                                 size_t p_stride, simde__m512 *acc) {
    switch (R) {
    case 8: avx512_value_chains(D, 8, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 7: avx512_value_chains(D, 7, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 6: avx512_value_chains(D, 6, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 5: avx512_value_chains(D, 5, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 4: avx512_value_chains(D, 4, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 3: avx512_value_chains(D, 3, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    case 2: avx512_value_chains(D, 2, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    default: avx512_value_chains(D, 1, s0, s1, v, ahead, v_stride, p, p_stride, acc); break;
    }
}

/* out[r·out_stride + d] = Σ_s V[d][s]·p[r][s] over n slots (a multiple of
   16; V rows v_stride bytes apart, F16; p rows f32): one 16-lane chain per
   output, then reduce16 (attention_values_f16_scalar's order); two elements
   against 8 rows a pass, so that a V load serves 16 FMAs, over blocks of
   512 slots, so that the rows of p stay in L1 (the chains of 8 rows × 128
   elements wait in scratch, 64 KiB). */
static void attention_values_f16_avx512(int n, const uint8_t *v, size_t v_stride, int hdv, const float *p, size_t p_stride, int rows,
                                        float *out, size_t out_stride, void *scratch) {
    simde__m512 *chains = scratch;
    for (int r0 = 0; r0 < rows; r0 += 8)
        for (int d0 = 0; d0 < hdv; d0 += 128) {
            const int nr = MV_MIN(8, rows - r0), d1 = MV_MIN(hdv, d0 + 128);
            for (int i = 0; i < nr * (d1 - d0); i++) chains[i] = simde_mm512_setzero_ps();
            for (int s0 = 0; s0 < n; s0 += VALUE_BLOCK)
                for (int d = d0; d < d1; d += 2) {
                    const uint8_t *vd = v + (size_t)d * v_stride;
                    const int a = d + VALUE_AHEAD_ROWS, wrap = a >= d1;
                    const uint8_t *ahead = v + (size_t)(wrap ? a - (d1 - d0) : a) * v_stride + (wrap ? 2 * VALUE_BLOCK : 0);
                    const float *pr = p + (size_t)r0 * p_stride;
                    simde__m512 *acc = chains + (size_t)(d - d0) * nr;
                    if (d + 2 <= d1) avx512_value_rows(2, nr, s0, MV_MIN(n, s0 + VALUE_BLOCK), vd, ahead, v_stride, pr, p_stride, acc);
                    else avx512_value_rows(1, nr, s0, MV_MIN(n, s0 + VALUE_BLOCK), vd, ahead, v_stride, pr, p_stride, acc);
                }
            for (int d = d0; d < d1; d++)
                for (int r = 0; r < nr; r++) out[(size_t)(r0 + r) * out_stride + d] = mv512_reduce16(chains[(size_t)(d - d0) * nr + r]);
        }
}
#endif /* MV_NO_SIMD */

/* Panel kernels by [level][order][weight type]; NULL: the dot kernels. */
static const panel_kernel PANEL_KERNELS[KERNEL_LEVELS][ORDERS][MV_TYPE_COUNT] = {
#ifndef MV_NO_SIMD
    [KERNEL_AVX512] = {
        [ORDER_VEC] = {[MV_TYPE_Q8_0] = {panel_q8_0_avx512, 4, PREP_Q8_0, 2, NULL, 0}, [MV_TYPE_Q6_K] = {panel_q6_k_avx512, 4, PREP_NONE, 1, pack_q6_k_x4, 4 * sizeof(block_q6_K)},
                       [MV_TYPE_F32] = {panel_vec_f32_avx512, 4, PREP_NONE, 2, NULL, 0}, [MV_TYPE_F16] = {panel_vec_f16_avx512, 4, PREP_NONE, 1, NULL, 0}},
        [ORDER_GEMM] = {[MV_TYPE_F32] = {panel_chain16_f32_avx512, 4, PREP_NONE, 1, NULL, 0},
                        [MV_TYPE_F16] = {panel_chain16_f16_avx512, 4, PREP_NONE, 1, NULL, 0}},
        [ORDER_REPACK_GEMV] = {[MV_TYPE_Q4_0] = {panel_q4_0_avx512, 16, PREP_Q4_0, 1, avx512_pack_q4_0, sizeof(q4_0_x16)},
                               [MV_TYPE_Q4_K] = {panel_q4_k_gemv_avx512, 16, PREP_Q4_K, 1, avx512_pack_q4_k, sizeof(q4_k_x16)}},
        [ORDER_REPACK_GEMM] = {[MV_TYPE_Q4_0] = {panel_q4_0_avx512, 16, PREP_Q4_0, 1, avx512_pack_q4_0, sizeof(q4_0_x16)},
                               [MV_TYPE_Q4_K] = {panel_q4_k_gemm_avx512, 16, PREP_Q4_K, 1, avx512_pack_q4_k, sizeof(q4_k_x16)}},
    },
#endif
    [KERNEL_SCALAR] = {{{NULL, 0, 0, 0, NULL, 0}}},
};

/* Out[r·out_stride + d] = Σ_s V[d][s]·p[r][s] over n slots (a multiple of
   16), V in F16 rows v_stride bytes apart, p in f32 rows: in 16 lanes (slot
   s in lane s mod 16, fused multiply-adds in slot order), then reduce16. */
static void attention_values_f16_scalar(int n, const uint8_t *v, size_t v_stride, int hdv, const float *p, size_t p_stride, int rows,
                                        float *out, size_t out_stride, void *scratch) {
    (void)scratch;
    for (int r = 0; r < rows; r++)
        for (int d = 0; d < hdv; d++) {
            const uint16_t *vd = (const uint16_t *)(v + (size_t)d * v_stride);
            const float *pr = p + (size_t)r * p_stride;
            float lanes[16] = {0};
            for (int s = 0; s < n; s += 16)
                for (int l = 0; l < 16; l++) lanes[l] = MV_FMA(f16_to_f32(vd[s + l]), pr[s + l], lanes[l]);
            out[(size_t)r * out_stride + d] = reduce16(lanes);
        }
}

/* score[r·stride + s] = K·q_r for keys s < n_keys rounded up to 16, K in
   blocks of 16 keys (F16, [s / 16][element][s % 16]), q rows of hd f32: for
   16 keys at once, in chain16 order (lane l = element mod 16, fused
   multiply-adds from 0), then reduce16 across the lanes. */
static void attention_scores_f16_scalar(int hd, const uint16_t *k, int n_keys, const float *qf, int rows, float *score, size_t stride) {
    for (int s = 0; s < n_keys; s += 16)
        for (int r = 0; r < rows; r++) {
            float chain[16][16] = {{0}}, lanes[16]; /* [lane][key] */
            for (int i = 0; i < hd; i++) {
                const uint16_t *ki = k + ((size_t)s * hd + 16 * (size_t)i);
                for (int j = 0; j < 16; j++) chain[i % 16][j] = MV_FMA(f16_to_f32(ki[j]), qf[(size_t)r * hd + i], chain[i % 16][j]);
            }
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) lanes[l] = chain[l][j];
                score[(size_t)r * stride + s + j] = reduce16(lanes);
            }
        }
}

/* Attention over an F16 cache, by level: the scores of a KV head's query
   rows (the SIMD kernel takes head_dim a multiple of 16) and their weighted
   values. */
typedef void (*attention_scores_fn)(int hd, const uint16_t *k, int n_keys, const float *qf, int rows, float *score, size_t stride);
typedef void (*attention_values_fn)(int n, const uint8_t *v, size_t v_stride, int hdv, const float *p, size_t p_stride, int rows,
                                    float *out, size_t out_stride, void *scratch);
typedef struct {
    attention_scores_fn scores;
    attention_values_fn values;
} attention_kernel;

static const attention_kernel ATTENTION_KERNELS[KERNEL_LEVELS] = {
#ifndef MV_NO_SIMD
    [KERNEL_AVX2] = {attention_scores_f16_avx512, attention_values_f16_avx512},
    [KERNEL_AVX512] = {attention_scores_f16_avx512, attention_values_f16_avx512},
    [KERNEL_NEON] = {attention_scores_f16_avx512, attention_values_f16_avx512},
#endif
    [KERNEL_SCALAR] = {attention_scores_f16_scalar, attention_values_f16_scalar},
};

/* ---- the type table: one row per GGUF type ------------------------------ */

typedef void (*dequantize_fn)(const void *src, float *dst, int64_t n);
typedef void (*quantize_fn)(const float *src, void *dst, int64_t n);

typedef struct {
    const char *name;
    int block_size;        /* elements per block */
    int block_bytes;       /* bytes per block */
    int dot_type;          /* activation type of the dot product; -1: no matmul */
    dequantize_fn dequantize;
    quantize_fn quantize;  /* weights, as ggml's reference quantizers write files */
    quantize_fn quantize_activations; /* activation types: rows before a dot product */
} type_traits;

/* Types with dequantize set are implemented; the others are known so that a
   file using them is described and refused by name. */
#define KNOWN_TYPE(name, block_size, block_bytes) {name, block_size, block_bytes, -1, NULL, NULL, NULL}
static const type_traits TYPES[MV_TYPE_COUNT] = {
    [MV_TYPE_F32] = {"F32", 1, 4, MV_TYPE_F32, dequantize_f32, quantize_f32, NULL},
    [MV_TYPE_F16] = {"F16", 1, 2, MV_TYPE_F16, dequantize_f16, quantize_f16, quantize_f16},
    [MV_TYPE_BF16] = {"BF16", 1, 2, MV_TYPE_BF16, dequantize_bf16, quantize_bf16, quantize_bf16},
    [MV_TYPE_Q4_0] = {"Q4_0", QK, 18, MV_TYPE_Q8_0, dequantize_q4_0, quantize_q4_0, NULL},
    [MV_TYPE_Q4_1] = {"Q4_1", QK, 20, MV_TYPE_Q8_1, dequantize_q4_1, quantize_q4_1, NULL},
    [MV_TYPE_Q5_0] = {"Q5_0", QK, 22, MV_TYPE_Q8_0, dequantize_q5_0, quantize_q5_0, NULL},
    [MV_TYPE_Q5_1] = {"Q5_1", QK, 24, MV_TYPE_Q8_1, dequantize_q5_1, quantize_q5_1, NULL},
    [MV_TYPE_Q8_0] = {"Q8_0", QK, 34, MV_TYPE_Q8_0, dequantize_q8_0, quantize_q8_0, quantize_act_q8_0},
    [MV_TYPE_Q8_1] = {"Q8_1", QK, 36, -1, dequantize_q8_1, quantize_q8_1, quantize_act_q8_1},
    [MV_TYPE_Q2_K] = {"Q2_K", QK_K, 84, MV_TYPE_Q8_K, dequantize_q2_k, quantize_q2_k, NULL},
    [MV_TYPE_Q3_K] = {"Q3_K", QK_K, 110, MV_TYPE_Q8_K, dequantize_q3_k, quantize_q3_k, NULL},
    [MV_TYPE_Q4_K] = {"Q4_K", QK_K, 144, MV_TYPE_Q8_K, dequantize_q4_k, quantize_q4_k, NULL},
    [MV_TYPE_Q5_K] = {"Q5_K", QK_K, 176, MV_TYPE_Q8_K, dequantize_q5_k, quantize_q5_k, NULL},
    [MV_TYPE_Q6_K] = {"Q6_K", QK_K, 210, MV_TYPE_Q8_K, dequantize_q6_k, quantize_q6_k, NULL},
    [MV_TYPE_Q8_K] = {"Q8_K", QK_K, 292, -1, dequantize_q8_k, NULL, quantize_act_q8_k},
    [MV_TYPE_IQ2_XXS] = KNOWN_TYPE("IQ2_XXS", 256, 66),
    [MV_TYPE_IQ2_XS] = KNOWN_TYPE("IQ2_XS", 256, 74),
    [MV_TYPE_IQ3_XXS] = KNOWN_TYPE("IQ3_XXS", 256, 98),
    [MV_TYPE_IQ1_S] = KNOWN_TYPE("IQ1_S", 256, 50),
    [MV_TYPE_IQ4_NL] = {"IQ4_NL", QK, 18, MV_TYPE_Q8_0, dequantize_iq4_nl, quantize_iq4_nl, NULL},
    [MV_TYPE_IQ3_S] = KNOWN_TYPE("IQ3_S", 256, 110),
    [MV_TYPE_IQ2_S] = KNOWN_TYPE("IQ2_S", 256, 82),
    [MV_TYPE_IQ4_XS] = {"IQ4_XS", QK_K, 136, MV_TYPE_Q8_K, dequantize_iq4_xs, quantize_iq4_xs, NULL},
    [MV_TYPE_I8] = KNOWN_TYPE("I8", 1, 1),
    [MV_TYPE_I16] = KNOWN_TYPE("I16", 1, 2),
    [MV_TYPE_I32] = KNOWN_TYPE("I32", 1, 4),
    [MV_TYPE_I64] = KNOWN_TYPE("I64", 1, 8),
    [MV_TYPE_F64] = KNOWN_TYPE("F64", 1, 8),
    [MV_TYPE_IQ1_M] = KNOWN_TYPE("IQ1_M", 256, 56),
    [MV_TYPE_TQ1_0] = {"TQ1_0", QK_K, 54, MV_TYPE_Q8_K, dequantize_tq1_0, quantize_tq1_0, NULL},
    [MV_TYPE_TQ2_0] = {"TQ2_0", QK_K, 66, MV_TYPE_Q8_K, dequantize_tq2_0, quantize_tq2_0, NULL},
    [MV_TYPE_MXFP4] = {"MXFP4", QK, 17, MV_TYPE_Q8_0, dequantize_mxfp4, quantize_mxfp4, NULL},
    [MV_TYPE_MLX4] = {"MLX4", QK, 24, MV_TYPE_Q8_1, dequantize_mlx4, quantize_mlx4, NULL},
    [MV_TYPE_MLX8] = {"MLX8", QK, 40, MV_TYPE_Q8_1, dequantize_mlx8, quantize_mlx8, NULL},
};

const char *mv_type_name(int type) {
    return type >= 0 && type < MV_TYPE_COUNT ? TYPES[type].name : NULL;
}

int mv_type_from_name(const char *name) {
    for (int t = 0; t < MV_TYPE_COUNT; t++)
        if (TYPES[t].name && !strcasecmp(TYPES[t].name, name)) return t;
    return -1;
}

static bool type_known(uint32_t type) { return type < MV_TYPE_COUNT && TYPES[type].name; }
static bool type_implemented(int type) { return TYPES[type].dequantize != NULL; }

/* Bytes of a row of n elements (n a multiple of the block size). */
static size_t row_bytes(int type, int64_t n) {
    return (size_t)(n / TYPES[type].block_size) * (size_t)TYPES[type].block_bytes;
}

/* ============================================================================
   5. files — GGUF, SafeTensors, llama2.c: one tensor table for all formats
   ============================================================================ */

/* GGUF metadata value types (FORMATS.md §1.1). */
enum {
    GGUF_U8, GGUF_I8, GGUF_U16, GGUF_I16, GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL,
    GGUF_STRING, GGUF_ARRAY, GGUF_U64, GGUF_I64, GGUF_F64, GGUF_VALUE_TYPES
};
static const uint8_t GGUF_VALUE_SIZE[GGUF_VALUE_TYPES] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
static const char *const GGUF_VALUE_NAMES[GGUF_VALUE_TYPES] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};

#define GGUF_MAGIC 0x46554747u /* "GGUF" */
#define GGUF_TYPE_COUNT MV_TYPE_MLX4 /* type ids a GGUF file may hold; Minerva's own follow */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_ARRAY_DEPTH 8
#define GGUF_MAX_NAME 1024
#define MV_MAX_ELEMENTS (1ull << 50) /* no real tensor comes near this; products below cannot overflow */

/* One metadata entry. Values point into the mapping. */
typedef struct {
    char *key;               /* owned, NUL-terminated */
    uint32_t type;           /* GGUF_* */
    uint32_t array_type;     /* arrays: element type */
    uint64_t n;              /* strings: byte length; arrays: element count */
    const uint8_t *data;     /* strings: the bytes; arrays: the first element */
    const uint8_t *record;   /* the whole record as stored, for copying into a new file */
    uint64_t record_len;
    union { uint64_t u; int64_t i; double f; } v; /* scalars, widened */
} meta_kv;

/* One tensor: the description every format ends in. */
typedef struct {
    char *name;              /* owned */
    int type;                /* mv_type */
    int n_dims;
    int64_t ne[4];           /* ne[0] innermost; missing dims are 1 */
    const uint8_t *data;     /* in the mapping */
    uint64_t offset;         /* of data in the file */
    uint64_t nbytes;
    const uint8_t *panels;   /* the rows repacked at load for a panel kernel (in model_file.owned), or NULL */
} tensor;

/* Where a model's tensors and metadata come from. SafeTensors directories
   (Hugging Face, MLX) keep their own tensor names and get GGUF metadata
   made from config.json; llama2.c checkpoints get GGUF names. */
enum { SOURCE_GGUF, SOURCE_SAFETENSORS, SOURCE_LLAMA2C };

typedef struct {
    int source;              /* SOURCE_* */
    const char *format;      /* "gguf", "safetensors", "mlx", "llama2.c" */
    file_map map;            /* the file (GGUF, llama2.c) */
    file_map *shards;        /* SafeTensors: the weight files (stb_ds) */
    char *made_meta;         /* metadata records made at load, which kvs point into (stb_ds) */
    void **owned;            /* tensor data made at load (stb_ds) */
    int version;
    uint32_t alignment;
    uint64_t data_offset;
    meta_kv *kvs;            /* stb_ds arrays */
    tensor *tensors;
    str_map tensor_index;
} model_file;

static const char *tensor_key(const void *owner, int32_t i, size_t *len) {
    const tensor *t = &((const model_file *)owner)->tensors[i];
    *len = strlen(t->name);
    return t->name;
}

static const char *kv_key(const void *owner, int32_t i, size_t *len) {
    const meta_kv *kv = &((const model_file *)owner)->kvs[i];
    *len = strlen(kv->key);
    return kv->key;
}

static const tensor *file_tensor(const model_file *f, const char *name) {
    int32_t i = strmap_get(&f->tensor_index, name, strlen(name), tensor_key, f);
    return i < 0 ? NULL : &f->tensors[i];
}

/* The mapped file t's data lies in (the file or a shard), or NULL (data made
   at load). */
static const file_map *tensor_source(const model_file *f, const tensor *t) {
    for (ptrdiff_t i = -1; i < arrlen(f->shards); i++) {
        const file_map *m = i < 0 ? &f->map : &f->shards[i];
        if (map_holds(m, t->data, t->nbytes)) return m;
    }
    return NULL;
}

static void model_file_free(model_file *f) {
    for (ptrdiff_t i = 0; i < arrlen(f->kvs); i++) free(f->kvs[i].key);
    for (ptrdiff_t i = 0; i < arrlen(f->tensors); i++) free(f->tensors[i].name);
    arrfree(f->kvs);
    arrfree(f->tensors);
    strmap_free(&f->tensor_index);
    unmap_file(&f->map);
    for (ptrdiff_t i = 0; i < arrlen(f->shards); i++) unmap_file(&f->shards[i]);
    arrfree(f->shards);
    arrfree(f->made_meta);
    for (ptrdiff_t i = 0; i < arrlen(f->owned); i++) free(f->owned[i]);
    arrfree(f->owned);
    memset(f, 0, sizeof *f);
}

static int64_t tensor_n_elements(const tensor *t) { return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]; }
static int64_t tensor_n_rows(const tensor *t) { return t->ne[1] * t->ne[2] * t->ne[3]; }

/* ---- metadata lookup ---------------------------------------------------- */

static const meta_kv *meta_find(const model_file *f, const char *key) {
    for (ptrdiff_t i = 0; i < arrlen(f->kvs); i++)
        if (!strcmp(f->kvs[i].key, key)) return &f->kvs[i];
    return NULL;
}

static bool gguf_type_is_int(uint32_t t) {
    return t <= GGUF_I32 || t == GGUF_U64 || t == GGUF_I64 || t == GGUF_BOOL;
}

/* Reads scalar element i of an array value or the scalar itself, widened. */
static double meta_number_at(uint32_t type, const uint8_t *p) {
    switch (type) {
    case GGUF_U8: case GGUF_BOOL: return *p;
    case GGUF_I8: return (int8_t)*p;
    case GGUF_U16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case GGUF_I16: { int16_t v; memcpy(&v, p, 2); return v; }
    case GGUF_U32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case GGUF_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case GGUF_F32: { float v; memcpy(&v, p, 4); return v; }
    case GGUF_U64: { uint64_t v; memcpy(&v, p, 8); return (double)v; }
    case GGUF_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case GGUF_F64: { double v; memcpy(&v, p, 8); return v; }
    }
    return 0;
}

/* Integer value of a key of any integer type (an array: its first element). */
static bool meta_int(const meta_kv *kv, int64_t *out) {
    if (!kv) return false;
    if (kv->type == GGUF_ARRAY) {
        if (!kv->n || !gguf_type_is_int(kv->array_type)) return false;
        *out = (int64_t)meta_number_at(kv->array_type, kv->data);
        return true;
    }
    if (!gguf_type_is_int(kv->type)) return false;
    *out = kv->type == GGUF_U64 ? (int64_t)kv->v.u : kv->v.i;
    return true;
}

static bool meta_float(const meta_kv *kv, double *out) {
    if (!kv) return false;
    if (kv->type == GGUF_F32 || kv->type == GGUF_F64) { *out = kv->v.f; return true; }
    int64_t i;
    if (meta_int(kv, &i)) { *out = (double)i; return true; }
    return false;
}

static const char *meta_string(const meta_kv *kv, size_t *len) {
    if (!kv || kv->type != GGUF_STRING) return NULL;
    if (len) *len = kv->n;
    return (const char *)kv->data;
}

/* Renders a value as text into a stb_ds buffer (arrays abbreviated to max_items). */
static void meta_render(char **out, uint32_t type, const uint8_t **p, uint64_t n, int max_items);

static void meta_render_value(char **out, uint32_t type, const uint8_t **p, int max_items) {
    switch (type) {
    case GGUF_STRING: {
        uint64_t len;
        memcpy(&len, *p, 8);
        buf_append(out, *p + 8, len);
        *p += 8 + len;
        return;
    }
    case GGUF_ARRAY: {
        uint32_t et;
        uint64_t n;
        memcpy(&et, *p, 4);
        memcpy(&n, *p + 4, 8);
        *p += 12;
        buf_printf(out, "[%llu]", (unsigned long long)n);
        meta_render(out, et, p, n, max_items);
        return;
    }
    case GGUF_BOOL: buf_printf(out, "%s", **p ? "true" : "false"); break;
    case GGUF_F32: case GGUF_F64: buf_printf(out, "%.9g", meta_number_at(type, *p)); break;
    case GGUF_U64: { uint64_t v; memcpy(&v, *p, 8); buf_printf(out, "%llu", (unsigned long long)v); break; }
    case GGUF_I64: { int64_t v; memcpy(&v, *p, 8); buf_printf(out, "%lld", (long long)v); break; }
    default: buf_printf(out, "%.0f", meta_number_at(type, *p));
    }
    *p += GGUF_VALUE_SIZE[type];
}

/* The elements of an array (already validated), " v0, v1, ...". */
static void meta_render(char **out, uint32_t type, const uint8_t **p, uint64_t n, int max_items) {
    for (uint64_t i = 0; i < n; i++) {
        if ((int64_t)i == max_items) {
            buf_printf(out, ", ...");
            break;
        }
        buf_append(out, i ? ", " : " ", i ? 2 : 1);
        meta_render_value(out, type, p, max_items);
    }
}

/* ---- GGUF reader (FORMATS.md §1) ------------------------------------------ */

typedef struct {
    const uint8_t *p, *end, *base;
    char *err;
} cursor;

static bool take(cursor *c, void *dst, size_t n) {
    if ((size_t)(c->end - c->p) < n) return false;
    memcpy(dst, c->p, n);
    c->p += n;
    return true;
}

static size_t cursor_offset(const cursor *c) { return (size_t)(c->p - c->base); }

static bool utf8_valid(const uint8_t *s, uint64_t n) {
    for (uint64_t i = 0; i < n;) {
        int len = utf8_valid_len(s + i, s + n);
        if (!len || s[i] == 0) return false;
        i += (uint64_t)len;
    }
    return true;
}

/* A length-prefixed string; what names it in messages. */
static int gguf_string(cursor *c, const uint8_t **s, uint64_t *len, const char *what) {
    size_t at = cursor_offset(c);
    if (!take(c, len, 8)) return fail(c->err, MV_ERR_FORMAT, "%s: file ends inside a string length (offset %zu)", what, at);
    if (*len > (uint64_t)(c->end - c->p))
        return fail(c->err, MV_ERR_FORMAT, "%s: string of %llu bytes at offset %zu runs past the end of the file",
                    what, (unsigned long long)*len, at);
    *s = c->p;
    c->p += *len;
    return MV_OK;
}

/* Checks one value of the given type and moves past it. */
static int gguf_value(cursor *c, uint32_t type, int depth, const char *key, meta_kv *kv) {
    if (type >= GGUF_VALUE_TYPES) return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': unknown value type %u", key, type);
    if (type == GGUF_STRING) {
        const uint8_t *s;
        uint64_t len;
        int rc = gguf_string(c, &s, &len, key);
        if (rc == MV_OK && kv) kv->data = s, kv->n = len;
        return rc;
    }
    if (type != GGUF_ARRAY) {
        uint8_t v[8] = {0};
        if (!take(c, v, GGUF_VALUE_SIZE[type]))
            return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': file ends inside its %s value", key, GGUF_VALUE_NAMES[type]);
        if (type == GGUF_BOOL && v[0] > 1)
            return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': bool value %u is neither 0 nor 1", key, v[0]);
        if (kv) {
            if (type == GGUF_F32 || type == GGUF_F64) kv->v.f = meta_number_at(type, v);
            else if (type == GGUF_U64) memcpy(&kv->v.u, v, 8);
            else if (type == GGUF_I64) memcpy(&kv->v.i, v, 8);
            else kv->v.i = (int64_t)meta_number_at(type, v);
        }
        return MV_OK;
    }
    if (depth >= GGUF_MAX_ARRAY_DEPTH) return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': arrays nested too deep", key);
    uint32_t et;
    uint64_t n;
    if (!take(c, &et, 4) || !take(c, &n, 8))
        return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': file ends inside an array header", key);
    if (et >= GGUF_VALUE_TYPES) return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': unknown array element type %u", key, et);
    uint64_t min_size = et == GGUF_STRING ? 8 : et == GGUF_ARRAY ? 12 : GGUF_VALUE_SIZE[et];
    if (n > (uint64_t)(c->end - c->p) / min_size)
        return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': array of %llu %s elements runs past the end of the file",
                    key, (unsigned long long)n, GGUF_VALUE_NAMES[et]);
    if (kv) kv->array_type = et, kv->n = n, kv->data = c->p;
    if (et != GGUF_STRING && et != GGUF_ARRAY) {
        if (et == GGUF_BOOL)
            for (uint64_t i = 0; i < n; i++)
                if (c->p[i] > 1) return fail(c->err, MV_ERR_FORMAT, "GGUF key '%s': bool element %llu is neither 0 nor 1", key, (unsigned long long)i);
        c->p += n * min_size;
        return MV_OK;
    }
    for (uint64_t i = 0; i < n; i++) {
        int rc = gguf_value(c, et, depth + 1, key, NULL);
        if (rc) return rc;
    }
    return MV_OK;
}

static int gguf_read_kv(cursor *c, model_file *f, uint64_t index, str_map *keys) {
    char *err = c->err;
    const uint8_t *record = c->p, *key;
    uint64_t key_len;
    char what[64];
    snprintf(what, sizeof what, "GGUF key #%llu", (unsigned long long)index);
    int rc = gguf_string(c, &key, &key_len, what);
    if (rc) return rc;
    if (key_len == 0 || key_len > 65535 || !utf8_valid(key, key_len))
        return fail(err, MV_ERR_FORMAT, "%s (offset %zu): key is empty, too long or not valid UTF-8", what,
                    (size_t)(record - c->base));
    meta_kv kv = {0};
    kv.key = malloc(key_len + 1);
    if (!kv.key) return MV_ERR_NOMEM;
    memcpy(kv.key, key, key_len);
    kv.key[key_len] = 0;
    arrput(f->kvs, kv);
    meta_kv *slot = &arrlast(f->kvs);
    if (!take(c, &slot->type, 4)) return fail(err, MV_ERR_FORMAT, "GGUF key '%s': file ends before its type", slot->key);
    if ((rc = gguf_value(c, slot->type, 0, slot->key, slot))) return rc;
    slot->record = record;
    slot->record_len = (uint64_t)(c->p - record);
    int32_t id = (int32_t)(arrlen(f->kvs) - 1);
    if (strmap_get(keys, slot->key, key_len, kv_key, f) >= 0)
        return fail(err, MV_ERR_FORMAT, "GGUF key '%s' appears twice", slot->key);
    strmap_put(keys, id, kv_key, f);
    return MV_OK;
}

static int gguf_read_tensor_info(cursor *c, model_file *f, uint64_t index, str_map *names) {
    char *err = c->err;
    const uint8_t *name;
    uint64_t name_len;
    char what[64];
    snprintf(what, sizeof what, "GGUF tensor #%llu", (unsigned long long)index);
    int rc = gguf_string(c, &name, &name_len, what);
    if (rc) return rc;
    if (name_len == 0 || name_len > GGUF_MAX_NAME || !utf8_valid(name, name_len))
        return fail(err, MV_ERR_FORMAT, "%s: name is empty, too long or not valid UTF-8", what);
    tensor t = {0};
    t.name = malloc(name_len + 1);
    if (!t.name) return MV_ERR_NOMEM;
    memcpy(t.name, name, name_len);
    t.name[name_len] = 0;
    arrput(f->tensors, t);
    tensor *tp = &arrlast(f->tensors);
    uint32_t n_dims, type;
    if (!take(c, &n_dims, 4)) return fail(err, MV_ERR_FORMAT, "tensor %s: file ends inside its info", tp->name);
    if (n_dims < 1 || n_dims > 4) return fail(err, MV_ERR_FORMAT, "tensor %s: %u dimensions (1 to 4 allowed)", tp->name, n_dims);
    tp->n_dims = (int)n_dims;
    uint64_t total = 1;
    for (int d = 0; d < 4; d++) {
        uint64_t ne = 1;
        if (d < (int)n_dims && !take(c, &ne, 8)) return fail(err, MV_ERR_FORMAT, "tensor %s: file ends inside its shape", tp->name);
        if (ne == 0 || ne > MV_MAX_ELEMENTS || total > MV_MAX_ELEMENTS / ne)
            return fail(err, MV_ERR_FORMAT, "tensor %s: dimension %d of size %llu is zero or absurd", tp->name, d, (unsigned long long)ne);
        tp->ne[d] = (int64_t)ne;
        total *= ne;
    }
    if (!take(c, &type, 4) || !take(c, &tp->offset, 8)) return fail(err, MV_ERR_FORMAT, "tensor %s: file ends inside its info", tp->name);
    if (!type_known(type) || type >= GGUF_TYPE_COUNT) return fail(err, MV_ERR_FORMAT, "tensor %s: unknown type id %u", tp->name, type);
    tp->type = (int)type;
    if (tp->ne[0] % TYPES[type].block_size)
        return fail(err, MV_ERR_FORMAT, "tensor %s: rows of %lld elements are not a multiple of the %s block (%d)",
                    tp->name, (long long)tp->ne[0], TYPES[type].name, TYPES[type].block_size);
    tp->nbytes = row_bytes(tp->type, tp->ne[0]) * (uint64_t)tensor_n_rows(tp);
    if (strmap_get(names, tp->name, name_len, tensor_key, f) >= 0)
        return fail(err, MV_ERR_FORMAT, "tensor %s appears twice", tp->name);
    strmap_put(names, (int32_t)(arrlen(f->tensors) - 1), tensor_key, f);
    return MV_OK;
}

/* Parses the mapping m (taken over by f, also on failure). */
static int gguf_parse(model_file *f, const char *path, char *err) {
    cursor c = {f->map.data, f->map.data + f->map.size, f->map.data, err};
    uint32_t magic, version;
    uint64_t n_tensors, n_kv;
    if (!take(&c, &magic, 4) || magic != GGUF_MAGIC) return fail(err, MV_ERR_FORMAT, "%s: not a GGUF file (bad magic)", path);
    if (!take(&c, &version, 4)) return fail(err, MV_ERR_FORMAT, "%s: file ends inside the header", path);
    if (version != 2 && version != 3)
        return fail(err, version == 1 ? MV_ERR_UNSUPPORTED : MV_ERR_FORMAT, "%s: GGUF version %u (2 and 3 are supported)", path, version);
    f->version = (int)version;
    if (!take(&c, &n_tensors, 8) || !take(&c, &n_kv, 8)) return fail(err, MV_ERR_FORMAT, "%s: file ends inside the header", path);
    /* a key/value record takes at least 13 bytes, a tensor info 33 */
    if (n_kv > f->map.size / 13) return fail(err, MV_ERR_FORMAT, "%s: %llu metadata keys cannot fit in the file", path, (unsigned long long)n_kv);
    if (n_tensors > f->map.size / 33) return fail(err, MV_ERR_FORMAT, "%s: %llu tensors cannot fit in the file", path, (unsigned long long)n_tensors);

    str_map keys;
    int rc = strmap_init(&keys, (size_t)n_kv);
    for (uint64_t i = 0; rc == MV_OK && i < n_kv; i++) rc = gguf_read_kv(&c, f, i, &keys);
    strmap_free(&keys);
    if (rc) return rc;

    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    const meta_kv *al = meta_find(f, "general.alignment");
    if (al) {
        if (al->type != GGUF_U32 || al->v.u == 0 || (al->v.u & (al->v.u - 1)) || al->v.u > (1u << 30))
            return fail(err, MV_ERR_FORMAT, "GGUF key 'general.alignment': must be a u32 power of two");
        f->alignment = (uint32_t)al->v.u;
    }

    if ((rc = strmap_init(&f->tensor_index, (size_t)n_tensors))) return rc;
    for (uint64_t i = 0; i < n_tensors; i++)
        if ((rc = gguf_read_tensor_info(&c, f, i, &f->tensor_index))) return rc;

    uint64_t pos = cursor_offset(&c);
    if (n_tensors) pos += (f->alignment - pos % f->alignment) % f->alignment;
    if (pos > f->map.size) return fail(err, MV_ERR_FORMAT, "%s: tensor data would start past the end of the file", path);
    f->data_offset = pos;
    uint64_t data_size = f->map.size - pos;
    for (ptrdiff_t i = 0; i < arrlen(f->tensors); i++) {
        tensor *t = &f->tensors[i];
        if (t->offset % f->alignment)
            return fail(err, MV_ERR_FORMAT, "tensor %s: offset %llu is not a multiple of the alignment %u", t->name,
                        (unsigned long long)t->offset, f->alignment);
        if (t->offset > data_size || t->nbytes > data_size - t->offset)
            return fail(err, MV_ERR_FORMAT, "tensor %s: data [%llu, +%llu) runs past the end of the file", t->name,
                        (unsigned long long)t->offset, (unsigned long long)t->nbytes);
        t->data = f->map.data + pos + t->offset;
        t->offset += pos;
    }
    return MV_OK;
}

/* Opens a GGUF file; on failure f is left empty. */
static int model_file_open(model_file *f, const char *path, char *err) {
    memset(f, 0, sizeof *f);
    f->format = "gguf";
    int rc = map_file(path, &f->map, err);
    if (rc == MV_OK) rc = gguf_parse(f, path, err);
    if (rc != MV_OK) model_file_free(f);
    return rc;
}

/* ---- GGUF writer ------------------------------------------------------------
   Metadata is serialized as it is added; tensor infos are collected, then
   gguf_writer_begin writes the header and each tensor's data follows in the
   order the tensors were added, so a large model streams tensor by tensor. */

typedef struct {
    char *name;
    int type, n_dims;
    int64_t ne[4];
    uint64_t offset, nbytes;
} writer_tensor;

typedef struct {
    char *kv_bytes;           /* serialized key/value records (stb_ds) */
    uint64_t n_kv;
    writer_tensor *tensors;   /* stb_ds */
    uint64_t data_size;
    uint32_t alignment;
    FILE *f;
    char *path;
    ptrdiff_t next;           /* index of the tensor whose data is due */
    uint64_t written;         /* bytes of it written so far */
} gguf_writer;

static void gw_put(gguf_writer *w, const void *p, size_t n) { buf_append(&w->kv_bytes, p, n); }

static void gw_string(gguf_writer *w, const char *s, size_t len) {
    uint64_t n = len;
    gw_put(w, &n, 8);
    gw_put(w, s, len);
}

static void gw_key(gguf_writer *w, const char *key, uint32_t type) {
    gw_string(w, key, strlen(key));
    gw_put(w, &type, 4);
    w->n_kv++;
}

/* A metadata record as another GGUF stores it (key, type, value). */
static void gw_record(gguf_writer *w, const uint8_t *record, uint64_t len) {
    gw_put(w, record, (size_t)len);
    w->n_kv++;
}

static void gw_u32(gguf_writer *w, const char *key, uint32_t v) { gw_key(w, key, GGUF_U32); gw_put(w, &v, 4); }
static void gw_f32(gguf_writer *w, const char *key, float v) { gw_key(w, key, GGUF_F32); gw_put(w, &v, 4); }
static void gw_bool(gguf_writer *w, const char *key, bool v) { uint8_t b = v; gw_key(w, key, GGUF_BOOL); gw_put(w, &b, 1); }
static void gw_str(gguf_writer *w, const char *key, const char *v) { gw_key(w, key, GGUF_STRING); gw_string(w, v, strlen(v)); }

/* An array of n fixed-size elements of GGUF type et. */
static void gw_array(gguf_writer *w, const char *key, uint32_t et, const void *data, uint64_t n) {
    gw_key(w, key, GGUF_ARRAY);
    gw_put(w, &et, 4);
    gw_put(w, &n, 8);
    gw_put(w, data, (size_t)n * GGUF_VALUE_SIZE[et]);
}

static void gw_string_array(gguf_writer *w, const char *key, const char *const *s, const uint32_t *len, uint64_t n) {
    uint32_t et = GGUF_STRING;
    gw_key(w, key, GGUF_ARRAY);
    gw_put(w, &et, 4);
    gw_put(w, &n, 8);
    for (uint64_t i = 0; i < n; i++) gw_string(w, s[i], len[i]);
}

static void gw_tensor(gguf_writer *w, const char *name, int type, int n_dims, const int64_t *ne) {
    writer_tensor t = {0};
    t.name = strdup(name);
    t.type = type;
    t.n_dims = n_dims;
    for (int d = 0; d < 4; d++) t.ne[d] = d < n_dims ? ne[d] : 1;
    t.nbytes = row_bytes(type, t.ne[0]) * (uint64_t)(t.ne[1] * t.ne[2] * t.ne[3]);
    t.offset = w->data_size;
    w->data_size += t.nbytes + (w->alignment - t.nbytes % w->alignment) % w->alignment;
    arrput(w->tensors, t);
}

static void gw_init(gguf_writer *w) {
    memset(w, 0, sizeof *w);
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
}

static void gw_free(gguf_writer *w) {
    for (ptrdiff_t i = 0; i < arrlen(w->tensors); i++) free(w->tensors[i].name);
    arrfree(w->tensors);
    arrfree(w->kv_bytes);
    if (w->f) {
        fclose(w->f);
        if (w->path) remove(w->path); /* an unfinished file is not left behind */
    }
    free(w->path);
    memset(w, 0, sizeof *w);
}

static int gw_write(gguf_writer *w, const void *p, size_t n, char *err) {
    if (n && fwrite(p, 1, n, w->f) != n) return fail(err, MV_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    return MV_OK;
}

static int gw_pad(gguf_writer *w, uint64_t n, char *err) {
    static const uint8_t zeros[64];
    uint64_t pad = (w->alignment - n % w->alignment) % w->alignment;
    return gw_write(w, zeros, (size_t)pad, err);
}

static int gw_begin(gguf_writer *w, const char *path, char *err) {
    w->path = strdup(path);
    w->f = fopen(path, "wb");
    if (!w->f) return fail(err, MV_ERR_IO, "%s: %s", path, strerror(errno));
    uint32_t header[2] = {GGUF_MAGIC, 3};
    uint64_t counts[2] = {(uint64_t)arrlen(w->tensors), w->n_kv};
    char *info = NULL;
    for (ptrdiff_t i = 0; i < arrlen(w->tensors); i++) {
        writer_tensor *t = &w->tensors[i];
        uint64_t len = strlen(t->name), ne;
        uint32_t nd = (uint32_t)t->n_dims, type = (uint32_t)t->type;
        buf_append(&info, &len, 8);
        buf_append(&info, t->name, len);
        buf_append(&info, &nd, 4);
        for (int d = 0; d < t->n_dims; d++) ne = (uint64_t)t->ne[d], buf_append(&info, &ne, 8);
        buf_append(&info, &type, 4);
        buf_append(&info, &t->offset, 8);
    }
    int rc = gw_write(w, header, 8, err);
    if (!rc) rc = gw_write(w, counts, 16, err);
    if (!rc) rc = gw_write(w, w->kv_bytes, (size_t)arrlen(w->kv_bytes), err);
    if (!rc) rc = gw_write(w, info, (size_t)arrlen(info), err);
    if (!rc && arrlen(w->tensors)) rc = gw_pad(w, 24 + (uint64_t)arrlen(w->kv_bytes) + (uint64_t)arrlen(info), err);
    arrfree(info);
    return rc;
}

/* Appends n bytes of the current tensor's data; its padding follows its last byte. */
static int gw_tensor_data(gguf_writer *w, const void *data, size_t n, char *err) {
    if (w->next >= arrlen(w->tensors)) return fail(err, MV_ERR_ARG, "%s: more tensor data than tensors", w->path);
    writer_tensor *t = &w->tensors[w->next];
    if (n > t->nbytes - w->written) return fail(err, MV_ERR_ARG, "%s: tensor %s: more than its %llu bytes", w->path, t->name, (unsigned long long)t->nbytes);
    int rc = gw_write(w, data, n, err);
    w->written += n;
    if (!rc && w->written == t->nbytes) {
        rc = gw_pad(w, t->nbytes, err);
        w->next++, w->written = 0;
    }
    return rc;
}

static int gw_finish(gguf_writer *w, char *err) {
    if (w->next != arrlen(w->tensors)) return fail(err, MV_ERR_ARG, "%s: %lld tensors still lack data", w->path, (long long)(arrlen(w->tensors) - w->next));
    FILE *f = w->f;
    w->f = NULL;
    if (fclose(f) != 0) {
        remove(w->path);
        return fail(err, MV_ERR_IO, "%s: close failed: %s", w->path, strerror(errno));
    }
    return MV_OK;
}

/* ---- SafeTensors ------------------------------------------------------------
   u64 header length, a JSON header mapping each tensor to {dtype, shape,
   data_offsets} (offsets from the end of the header), then the data. A
   model directory holds config.json, model.safetensors or shards listed in
   model.safetensors.index.json, and the tokenizer files. */

#define SAFETENSORS_MAX_HEADER (100u << 20)

/* SafeTensors dtypes and the types that hold them (FORMATS.md §4.1): the
   integer dtypes only carry MLX's packed codes and scales and MXFP4 blocks. */
static const struct { const char *name; int type; } SAFETENSORS_DTYPES[] = {
    {"F32", MV_TYPE_F32}, {"F16", MV_TYPE_F16}, {"BF16", MV_TYPE_BF16}, {"F64", MV_TYPE_F64},
    {"I8", MV_TYPE_I8}, {"U8", MV_TYPE_I8}, {"BOOL", MV_TYPE_I8}, {"I16", MV_TYPE_I16}, {"U16", MV_TYPE_I16},
    {"I32", MV_TYPE_I32}, {"U32", MV_TYPE_I32}, {"I64", MV_TYPE_I64}, {"U64", MV_TYPE_I64},
};

typedef struct { uint64_t begin, end; int32_t tensor; } byte_range;

static int by_begin(const void *a, const void *b) {
    const byte_range *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* One tensor of a SafeTensors header: its dtype, shape and byte range, checked. */
static int safetensors_tensor(model_file *f, const json_value *key, const json_value *desc, uint64_t data_size, const uint8_t *data,
                              byte_range *range, const char *path, char *err) {
    const json_value *dtype = json_get(desc, "dtype"), *shape = json_get(desc, "shape"), *offsets = json_get(desc, "data_offsets");
    const char *name = key->str;
    if (!key->len || key->len > GGUF_MAX_NAME || memchr(name, 0, key->len))
        return fail(err, MV_ERR_FORMAT, "%s: a tensor name is empty, too long or holds a NUL", path);
    if (!dtype || dtype->kind != JSON_STRING || !shape || shape->kind != JSON_ARRAY || !offsets || offsets->kind != JSON_ARRAY || offsets->n != 2)
        return fail(err, MV_ERR_FORMAT, "%s: tensor %s: needs dtype, shape and data_offsets [begin, end]", path, name);
    int type = -1;
    for (size_t i = 0; i < sizeof SAFETENSORS_DTYPES / sizeof *SAFETENSORS_DTYPES; i++)
        if (!strcmp(dtype->str, SAFETENSORS_DTYPES[i].name)) type = SAFETENSORS_DTYPES[i].type;
    if (type < 0) return fail(err, MV_ERR_UNSUPPORTED, "%s: tensor %s: dtype %s is not supported", path, name, dtype->str);
    if (shape->n > 4) return fail(err, MV_ERR_UNSUPPORTED, "%s: tensor %s: %u dimensions (at most 4)", path, name, shape->n);
    tensor t = {.type = type, .n_dims = shape->n ? (int)shape->n : 1, .ne = {1, 1, 1, 1}};
    uint64_t total = 1;
    for (uint32_t d = 0; d < shape->n; d++) {
        const json_value *v = &shape->items[shape->n - 1 - d]; /* outermost first: ne is the reverse */
        if (v->kind != JSON_NUMBER || v->number < 1 || v->number > (double)MV_MAX_ELEMENTS || v->number != floor(v->number) ||
            total > MV_MAX_ELEMENTS / (uint64_t)v->number)
            return fail(err, MV_ERR_FORMAT, "%s: tensor %s: dimension %u is not a positive size", path, name, d);
        t.ne[d] = (int64_t)v->number;
        total *= (uint64_t)v->number;
    }
    for (int k = 0; k < 2; k++)
        if (offsets->items[k].kind != JSON_NUMBER || offsets->items[k].number < 0 || offsets->items[k].number != floor(offsets->items[k].number))
            return fail(err, MV_ERR_FORMAT, "%s: tensor %s: data_offsets are not byte offsets", path, name);
    range->begin = (uint64_t)offsets->items[0].number, range->end = (uint64_t)offsets->items[1].number;
    t.nbytes = total * (uint64_t)TYPES[type].block_bytes;
    if (range->begin > range->end || range->end > data_size)
        return fail(err, MV_ERR_FORMAT, "%s: tensor %s: bytes [%llu, %llu) lie outside the %llu bytes of data", path, name,
                    (unsigned long long)range->begin, (unsigned long long)range->end, (unsigned long long)data_size);
    if (range->end - range->begin != t.nbytes)
        return fail(err, MV_ERR_FORMAT, "%s: tensor %s: %llu bytes for %llu elements of %s", path, name,
                    (unsigned long long)(range->end - range->begin), (unsigned long long)total, dtype->str);
    if (file_tensor(f, name)) return fail(err, MV_ERR_FORMAT, "%s: tensor %s appears twice", path, name);
    t.data = data + range->begin;
    t.offset = range->begin;
    if (!(t.name = strndup(name, key->len))) return MV_ERR_NOMEM;
    arrput(f->tensors, t);
    range->tensor = (int32_t)(arrlen(f->tensors) - 1);
    strmap_put(&f->tensor_index, range->tensor, tensor_key, f);
    return MV_OK;
}

/* Adds the tensors of one SafeTensors file, mapped in map. */
static int safetensors_parse(model_file *f, const file_map *map, const char *path, char *err) {
    uint64_t header_len;
    if (map->size < 8) return fail(err, MV_ERR_FORMAT, "%s: too short for a SafeTensors header", path);
    memcpy(&header_len, map->data, 8);
    if (header_len < 2 || header_len > SAFETENSORS_MAX_HEADER || header_len > map->size - 8)
        return fail(err, MV_ERR_FORMAT, "%s: header length %llu does not fit the file", path, (unsigned long long)header_len);
    json_doc doc;
    int rc = json_parse((const char *)map->data + 8, (size_t)header_len, &doc, err);
    if (rc) return snprintf(err + strlen(err), MV_ERROR_SIZE - strlen(err), " (in the header of %s)", path), rc;
    if (doc.root.kind != JSON_OBJECT) rc = fail(err, MV_ERR_FORMAT, "%s: the header is not a JSON object", path);
    const uint64_t data_size = map->size - 8 - header_len;
    const uint8_t *data = map->data + 8 + header_len;
    byte_range *ranges = NULL;
    for (uint32_t i = 0; !rc && i < doc.root.n; i++) {
        if (!strcmp(doc.root.keys[i].str, "__metadata__")) continue;
        byte_range r;
        if (!(rc = safetensors_tensor(f, &doc.root.keys[i], &doc.root.items[i], data_size, data, &r, path, err))) arrput(ranges, r);
    }
    if (!rc && ranges) qsort(ranges, (size_t)arrlen(ranges), sizeof *ranges, by_begin);
    for (ptrdiff_t i = 1; !rc && i < arrlen(ranges); i++)
        if (ranges[i].begin < ranges[i - 1].end)
            rc = fail(err, MV_ERR_FORMAT, "%s: tensors %s and %s overlap", path, f->tensors[ranges[i - 1].tensor].name, f->tensors[ranges[i].tensor].name);
    arrfree(ranges);
    json_free(&doc);
    return rc;
}

/* Maps one SafeTensors file of a model and adds its tensors. */
static int safetensors_open_shard(model_file *f, const char *path, char *err) {
    file_map map;
    int rc = map_file(path, &map, err);
    if (rc) return rc;
    arrput(f->shards, map);
    return safetensors_parse(f, &arrlast(f->shards), path, err);
}

/* A file of dir, read whole into a JSON document; MV_ERR_IO if it is absent. */
static int json_read_file(const char *dir, const char *name, json_doc *doc, char *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    file_map map;
    int rc = map_file(path, &map, err);
    if (rc) return rc;
    rc = json_parse((const char *)map.data, map.size, doc, err);
    if (rc) snprintf(err + strlen(err), MV_ERROR_SIZE - strlen(err), " (in %s)", path);
    unmap_file(&map);
    return rc;
}

/* The weights of a model directory: model.safetensors, or the shards
   named by model.safetensors.index.json (each opened once). */
static int safetensors_open_dir(model_file *f, const char *dir, char *err) {
    char path[4096];
    json_doc index;
    int rc = json_read_file(dir, "model.safetensors.index.json", &index, err);
    if (rc == MV_ERR_IO) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        return safetensors_open_shard(f, path, err);
    }
    if (rc) return rc;
    const json_value *map = json_get(&index.root, "weight_map");
    if (!map || map->kind != JSON_OBJECT || !map->n) rc = fail(err, MV_ERR_FORMAT, "%s/model.safetensors.index.json: no weight_map", dir);
    for (uint32_t i = 0; !rc && i < map->n; i++) {
        const json_value *file = &map->items[i];
        bool seen = false;
        for (uint32_t k = 0; k < i; k++) seen |= map->items[k].kind == JSON_STRING && file->kind == JSON_STRING && !strcmp(map->items[k].str, file->str);
        if (file->kind != JSON_STRING || !file->len || strstr(file->str, "..") || file->str[0] == '/')
            rc = fail(err, MV_ERR_FORMAT, "%s/model.safetensors.index.json: tensor %s: bad file name", dir, map->keys[i].str);
        else if (!seen) {
            snprintf(path, sizeof path, "%s/%s", dir, file->str);
            rc = safetensors_open_shard(f, path, err);
        }
    }
    for (uint32_t i = 0; !rc && i < map->n; i++)
        if (!file_tensor(f, map->keys[i].str))
            rc = fail(err, MV_ERR_FORMAT, "%s/model.safetensors.index.json lists %s, which no shard holds", dir, map->keys[i].str);
    json_free(&index);
    return rc;
}

/* Reads back GGUF records serialized by w into f's metadata (f owns them then). */
static int metadata_from_writer(model_file *f, gguf_writer *w, char *err) {
    cursor c = {(const uint8_t *)w->kv_bytes, (const uint8_t *)w->kv_bytes + arrlen(w->kv_bytes), (const uint8_t *)w->kv_bytes, err};
    str_map keys;
    f->made_meta = w->kv_bytes, w->kv_bytes = NULL;
    int rc = strmap_init(&keys, (size_t)w->n_kv);
    for (uint64_t i = 0; !rc && i < w->n_kv; i++) rc = gguf_read_kv(&c, f, i, &keys);
    strmap_free(&keys);
    return rc;
}

/* ---- config.json: Hugging Face hyperparameters as GGUF metadata ----------
   The keys are written as GGUF records, then read back by the GGUF reader,
   so one reader of hyperparameters serves every source. */

static const struct { const char *model_type, *arch; } HF_ARCHS[] = {
    {"llama", "llama"}, {"mistral", "llama"}, {"qwen2", "qwen2"}, {"qwen3", "qwen3"}, {"gpt_oss", "gpt-oss"},
};

static bool config_number(const json_value *cfg, const char *key, double *v) {
    const json_value *x = json_get(cfg, key);
    if (!x || x->kind != JSON_NUMBER) return false;
    *v = x->number;
    return true;
}

/* ARCH.suffix = config[key], when the config has it. */
static void config_u32(gguf_writer *w, const json_value *cfg, const char *key, const char *arch, const char *suffix) {
    double v;
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, suffix);
    if (config_number(cfg, key, &v) && v >= 0 && v <= UINT32_MAX && v == floor(v)) gw_u32(w, name, (uint32_t)v);
}

static void config_f32(gguf_writer *w, const json_value *cfg, const char *key, const char *arch, const char *suffix) {
    double v;
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, suffix);
    if (config_number(cfg, key, &v)) gw_f32(w, name, (float)v);
}

/* Adds a tensor made at load; f owns data (malloc'd) from here on, even on failure. */
static int file_add_tensor(model_file *f, const char *name, int type, int n_dims, const int64_t *ne, void *data) {
    tensor t = {.name = strdup(name), .type = type, .n_dims = n_dims, .ne = {1, 1, 1, 1}, .data = data};
    for (int d = 0; d < n_dims; d++) t.ne[d] = ne[d];
    t.nbytes = row_bytes(type, t.ne[0]) * (uint64_t)tensor_n_rows(&t);
    arrput(f->owned, data);
    if (!t.name) return MV_ERR_NOMEM;
    arrput(f->tensors, t);
    return strmap_put(&f->tensor_index, (int32_t)(arrlen(f->tensors) - 1), tensor_key, f);
}

/* Removes the tensors flagged in drop (one flag per tensor) from f's table. */
static int file_drop_tensors(model_file *f, const bool *drop) {
    ptrdiff_t kept = 0;
    for (ptrdiff_t i = 0; i < arrlen(f->tensors); i++) {
        if (drop[i]) free(f->tensors[i].name);
        else f->tensors[kept++] = f->tensors[i];
    }
    if (kept == arrlen(f->tensors)) return MV_OK;
    arrsetlen(f->tensors, kept);
    strmap_free(&f->tensor_index);
    int rc = strmap_init(&f->tensor_index, (size_t)kept);
    for (ptrdiff_t i = 0; !rc && i < kept; i++) rc = strmap_put(&f->tensor_index, (int32_t)i, tensor_key, f);
    return rc;
}

/* Llama 3's RoPE frequency factors (FORMATS.md §4.3), as the tensor
   rope_freqs.weight holds them in GGUF: each frequency is divided by its entry. */
static int llama3_rope_freqs(model_file *f, const json_value *scaling, int n_rot, double base, char *err) {
    double factor = 8, low = 1, high = 4, original = 8192;
    config_number(scaling, "factor", &factor), config_number(scaling, "low_freq_factor", &low);
    config_number(scaling, "high_freq_factor", &high), config_number(scaling, "original_max_position_embeddings", &original);
    if (n_rot < 2 || n_rot > 4096 || n_rot % 2 || !(factor > 0) || !(high > low))
        return fail(err, MV_ERR_FORMAT, "config.json: llama3 rope_scaling needs factor > 0, high_freq_factor > low_freq_factor");
    float *freqs = malloc((size_t)(n_rot / 2) * sizeof *freqs);
    if (!freqs) return MV_ERR_NOMEM;
    for (int i = 0; i < n_rot / 2; i++) {
        const double wavelength = 2 * M_PI * pow(base, 2.0 * i / n_rot), s = (original / wavelength - low) / (high - low);
        freqs[i] = (float)(wavelength < original / high ? 1 : wavelength > original / low ? factor : 1 / ((1 - s) / factor + s));
    }
    return file_add_tensor(f, "rope_freqs.weight", MV_TYPE_F32, 1, (int64_t[]){n_rot / 2}, freqs);
}

/* The hyperparameters of config.json as GGUF keys of the architecture it names. */
static int config_to_metadata(model_file *f, const json_value *cfg, const char *name, char *err) {
    const json_value *model_type = json_get(cfg, "model_type");
    const char *arch = NULL;
    for (size_t i = 0; model_type && model_type->kind == JSON_STRING && i < sizeof HF_ARCHS / sizeof *HF_ARCHS; i++)
        if (!strcmp(model_type->str, HF_ARCHS[i].model_type)) arch = HF_ARCHS[i].arch;
    if (!arch)
        return fail(err, MV_ERR_UNSUPPORTED, "config.json: model_type '%s' is not supported",
                    model_type && model_type->kind == JSON_STRING ? model_type->str : "(none)");
    gguf_writer w;
    gw_init(&w);
    gw_str(&w, "general.architecture", arch);
    gw_str(&w, "general.name", name);
    config_u32(&w, cfg, "max_position_embeddings", arch, "context_length");
    config_u32(&w, cfg, "hidden_size", arch, "embedding_length");
    config_u32(&w, cfg, "num_hidden_layers", arch, "block_count");
    config_u32(&w, cfg, "intermediate_size", arch, "feed_forward_length");
    config_u32(&w, cfg, "num_attention_heads", arch, "attention.head_count");
    config_u32(&w, cfg, "num_key_value_heads", arch, "attention.head_count_kv");
    config_u32(&w, cfg, "head_dim", arch, "attention.key_length");
    config_u32(&w, cfg, "head_dim", arch, "attention.value_length");
    config_u32(&w, cfg, "head_dim", arch, "rope.dimension_count");
    config_u32(&w, cfg, "vocab_size", arch, "vocab_size");
    config_f32(&w, cfg, "rms_norm_eps", arch, "attention.layer_norm_rms_epsilon");
    const json_value *params = json_get(cfg, "rope_parameters"), *scaling = json_get(cfg, "rope_scaling");
    if (!scaling || scaling->kind != JSON_OBJECT) scaling = params;
    double theta = 10000, v;
    if (config_number(cfg, "rope_theta", &theta) || config_number(params, "rope_theta", &theta)) {
        char key[128];
        snprintf(key, sizeof key, "%s.rope.freq_base", arch);
        gw_f32(&w, key, (float)theta);
    }
    const json_value *rope_type = json_get(scaling, "rope_type");
    if (!rope_type) rope_type = json_get(scaling, "type");
    int rc = MV_OK;
    if (rope_type && rope_type->kind == JSON_STRING && strcmp(rope_type->str, "default")) {
        char key[128];
        snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
        if (!strcmp(rope_type->str, "llama3")) {
            double hidden = 0, heads = 1, head_dim = 0;
            config_number(cfg, "hidden_size", &hidden), config_number(cfg, "num_attention_heads", &heads);
            if (!config_number(cfg, "head_dim", &head_dim) && heads >= 1) head_dim = floor(hidden / heads);
            rc = llama3_rope_freqs(f, scaling, (int)head_dim, theta, err);
        } else if (!strcmp(rope_type->str, "linear") || !strcmp(rope_type->str, "yarn")) {
            gw_str(&w, key, rope_type->str);
            config_f32(&w, scaling, "factor", arch, "rope.scaling.factor");
            config_u32(&w, scaling, "original_max_position_embeddings", arch, "rope.scaling.original_context_length");
            config_f32(&w, scaling, "beta_fast", arch, "rope.scaling.yarn_beta_fast");
            config_f32(&w, scaling, "beta_slow", arch, "rope.scaling.yarn_beta_slow");
            const json_value *truncate = json_get(scaling, "truncate");
            snprintf(key, sizeof key, "%s.rope.scaling.yarn_truncate", arch);
            if (truncate && (truncate->kind == JSON_TRUE || truncate->kind == JSON_FALSE)) gw_bool(&w, key, truncate->kind == JSON_TRUE);
        } else {
            rc = fail(err, MV_ERR_UNSUPPORTED, "config.json: rope_scaling type '%s' is not supported", rope_type->str);
        }
    }
    config_u32(&w, cfg, "num_local_experts", arch, "expert_count");
    config_u32(&w, cfg, "num_experts_per_tok", arch, "expert_used_count");
    config_u32(&w, cfg, "moe_intermediate_size", arch, "expert_feed_forward_length");
    /* GPT-OSS lists each layer's kind */
    const json_value *types = json_get(cfg, "layer_types");
    if (types && types->kind == JSON_ARRAY && types->n) {
        uint8_t *slides = calloc(types->n, 1);
        if (!slides) rc = MV_ERR_NOMEM;
        for (uint32_t i = 0; slides && i < types->n; i++) slides[i] = json_is(&types->items[i], "sliding_attention");
        char key[128];
        snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", arch);
        if (slides) gw_array(&w, key, GGUF_BOOL, slides, types->n);
        free(slides);
    }
    /* Mistral's window; Qwen2 names one but slides only when use_sliding_window says so */
    const json_value *use_window = json_get(cfg, "use_sliding_window");
    if (config_number(cfg, "sliding_window", &v) && v > 0 && (!use_window || use_window->kind == JSON_TRUE))
        config_u32(&w, cfg, "sliding_window", arch, "attention.sliding_window");
    if (!rc) rc = metadata_from_writer(f, &w, err);
    gw_free(&w);
    return rc;
}

/* ---- MLX quantized layers (FORMATS.md §5) ----------------------------------
   A quantized module p stores p.weight (codes packed LSB-first in uint32),
   p.scales and, in affine mode, p.biases per group of inputs. They are
   repacked once at load into MLX4/MLX8 blocks, exact, and the three tensors
   become one named p.weight. */

/* The parameters of module p: its entry in the config's "quantization"
   (false: not quantized), else the defaults there. */
enum { MLX_AFFINE, MLX_MXFP4, MLX_OTHER };

static bool mlx_params(const json_value *q, const char *module, int *group, int *bits, int *mode) {
    const json_value *own = json_get(q, module), *from = own && own->kind == JSON_OBJECT ? own : q;
    double g = 64, b = 4;
    if (own && own->kind == JSON_FALSE) return false;
    config_number(from, "group_size", &g), config_number(from, "bits", &b);
    const json_value *m = json_get(from, "mode");
    *group = (int)g, *bits = (int)b, *mode = !m || json_is(m, "affine") ? MLX_AFFINE : json_is(m, "mxfp4") ? MLX_MXFP4 : MLX_OTHER;
    return true;
}

/* ---- MXFP4 in Hugging Face and MLX files (FORMATS.md §4.4, §5.6) ---------
   Both store a row's 4-bit E2M1 codes two to a byte, element 2k in the low
   nibble of byte k, with an E8M0 scale byte per 32 elements; ggml's blocks
   (MXFP4) hold element j in the low nibble of byte j, j + 16 in the high. */

/* Rows first, first + step, ... of each of n_mat matrices of `rows` rows
   of `in` elements, as MXFP4 blocks (malloc'd; NULL: out of memory). */
static block_mxfp4 *mxfp4_from_pairs(const uint8_t *codes, const uint8_t *scales, int64_t in, int64_t rows, int64_t n_mat, int first,
                                     int step) {
    const int64_t groups = in / QK, out_rows = rows / step;
    block_mxfp4 *out = malloc((size_t)(n_mat * out_rows * groups) * sizeof *out);
    for (int64_t m = 0; out && m < n_mat; m++)
        for (int64_t r = 0; r < out_rows; r++) {
            const int64_t src = m * rows + first + r * step;
            block_mxfp4 *b = out + (m * out_rows + r) * groups;
            for (int64_t g = 0; g < groups; g++) {
                const uint8_t *c = codes + (size_t)((src * groups + g) * 16);
                b[g].e = scales[src * groups + g];
                for (int j = 0; j < QK / 2; j++) /* elements j and j + 16 share byte j/2's nibble of j's parity */
                    b[g].qs[j] = (uint8_t)(j % 2 ? (c[j / 2] >> 4) | (c[8 + j / 2] & 0xF0) : (c[j / 2] & 15) | (c[8 + j / 2] << 4));
            }
        }
    return out;
}

/* Hugging Face GPT-OSS experts: gate_up_proj_{blocks,scales,bias} (gate in
   the even rows, up in the odd) and down_proj_* become the tensors the
   bindings name, mlp.experts.{gate,up,down}_proj.{weight,bias}. */
static int gpt_oss_split_experts(model_file *f, char *err) {
    static const char *const parts[] = {"gate_up_proj", "down_proj"};
    const ptrdiff_t n = arrlen(f->tensors);
    int rc = MV_OK;
    bool *drop = NULL;
    for (ptrdiff_t i = 0; !rc && i < n; i++) {
        const char *name = f->tensors[i].name, *at = strstr(name, ".mlp.experts.");
        if (!at) continue;
        at += strlen(".mlp.experts.");
        if (!strcmp(at, "gate_up_proj") || !strcmp(at, "down_proj"))
            return fail(err, MV_ERR_UNSUPPORTED, "%s: unquantized GPT-OSS experts are not supported (use the MXFP4 checkpoint)", name);
        for (int p = 0; !rc && p < 2; p++) {
            char key[GGUF_MAX_NAME + 32];
            snprintf(key, sizeof key, "%s_blocks", parts[p]);
            if (strcmp(at, key)) continue;
            const int prefix = (int)(at - name);
            const tensor *b = &f->tensors[i], *sc, *bias;
            snprintf(key, sizeof key, "%.*s%s_scales", prefix, name, parts[p]);
            sc = file_tensor(f, key);
            snprintf(key, sizeof key, "%.*s%s_bias", prefix, name, parts[p]);
            bias = file_tensor(f, key);
            const int64_t groups = b->ne[1], rows = b->ne[2], n_mat = b->ne[3];
            if (!sc || !bias || b->type != MV_TYPE_I8 || b->ne[0] != 16 || sc->type != MV_TYPE_I8 || sc->ne[0] != groups ||
                sc->ne[1] != rows || sc->ne[2] != n_mat || bias->ne[0] != rows || bias->ne[1] != n_mat ||
                TYPES[bias->type].block_size != 1 || !type_implemented(bias->type) || (p == 0 && rows % 2))
                return fail(err, MV_ERR_FORMAT, "%s: GPT-OSS expert blocks, scales and bias do not match", name);
            if (!drop && !(drop = calloc((size_t)n, sizeof *drop))) return MV_ERR_NOMEM;
            drop[i] = drop[sc - f->tensors] = drop[bias - f->tensors] = true;
            /* copies of what the additions below may move */
            const uint8_t *codes = b->data, *scales = sc->data, *bias_data = bias->data;
            const int bias_type = bias->type;
            float *bias_f32 = malloc((size_t)(rows * n_mat) * sizeof *bias_f32);
            if (!bias_f32) rc = MV_ERR_NOMEM;
            else TYPES[bias_type].dequantize(bias_data, bias_f32, rows * n_mat);
            const int n_out = p == 0 ? 2 : 1;
            for (int o = 0; !rc && o < n_out; o++) {
                static const char *const out_names[2][2] = {{"gate_proj", "up_proj"}, {"down_proj", NULL}};
                const int64_t out_rows = rows / n_out;
                block_mxfp4 *w = mxfp4_from_pairs(codes, scales, groups * QK, rows, n_mat, o, n_out);
                float *bo = malloc((size_t)(out_rows * n_mat) * sizeof *bo);
                for (int64_t r = 0; bo && r < out_rows * n_mat; r++) bo[r] = bias_f32[r * n_out + o];
                snprintf(key, sizeof key, "%.*s%s.weight", prefix, name, out_names[p][o]);
                rc = w ? file_add_tensor(f, key, MV_TYPE_MXFP4, 3, (int64_t[]){groups * QK, out_rows, n_mat}, w) : MV_ERR_NOMEM;
                snprintf(key, sizeof key, "%.*s%s.bias", prefix, name, out_names[p][o]);
                if (!rc) rc = bo ? file_add_tensor(f, key, MV_TYPE_F32, 2, (int64_t[]){out_rows, n_mat}, bo) : MV_ERR_NOMEM;
                else free(bo);
            }
            free(bias_f32);
        }
    }
    if (drop) {
        bool *all = realloc(drop, (size_t)arrlen(f->tensors) * sizeof *drop);
        if (all) memset(all + n, 0, (size_t)(arrlen(f->tensors) - n) * sizeof *all), drop = all;
        if (!rc) rc = all ? file_drop_tensors(f, drop) : MV_ERR_NOMEM;
    }
    free(drop);
    return rc;
}

/* Code k of a row packed LSB-first, b bits each, in n bytes. */
static int mlx_code(const uint8_t *row, size_t n, int64_t k, int b) {
    const uint64_t bit = (uint64_t)k * (uint64_t)b;
    uint64_t word = 0;
    memcpy(&word, row + bit / 8, MV_MIN(8, n - bit / 8));
    return (int)((word >> (bit % 8)) & ((1u << b) - 1));
}

/* Repacks the tensor w of module p with its scales s and biases z. */
static int mlx_repack_one(model_file *f, tensor *w, const tensor *s, const tensor *z, int group, int bits, char *err) {
    const int64_t in = w->ne[0] * 32 / bits, rows = tensor_n_rows(w), groups = in / MV_MAX(group, 1);
    if ((group != 32 && group != 64 && group != 128) || (bits < 2 || bits > 8 || bits == 7) || in % group)
        return fail(err, MV_ERR_UNSUPPORTED, "%s: MLX quantization with %d bits in groups of %d is not supported", w->name, bits, group);
    if (s->ne[0] != groups || tensor_n_rows(s) != rows || z->ne[0] != groups || tensor_n_rows(z) != rows || !type_implemented(s->type) ||
        !type_implemented(z->type) || TYPES[s->type].block_size != 1 || TYPES[z->type].block_size != 1)
        return fail(err, MV_ERR_FORMAT, "%s: scales and biases do not match the weights (%lld inputs in %lld rows)", w->name, (long long)in,
                    (long long)rows);
    const int type = bits <= 4 ? MV_TYPE_MLX4 : MV_TYPE_MLX8;
    uint8_t *data = malloc(row_bytes(type, in) * (size_t)rows);
    float *scale = malloc((size_t)groups * 2 * sizeof *scale), *bias = scale + groups;
    if (!data || !scale) return free(data), free(scale), MV_ERR_NOMEM;
    const size_t packed = (size_t)w->ne[0] * 4;
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *codes = w->data + (size_t)r * packed;
        TYPES[s->type].dequantize(s->data + (size_t)r * row_bytes(s->type, groups), scale, groups);
        TYPES[z->type].dequantize(z->data + (size_t)r * row_bytes(z->type, groups), bias, groups);
        for (int64_t blk = 0; blk < in / QK; blk++) {
            const float d = scale[blk * QK / group], m = bias[blk * QK / group];
            if (type == MV_TYPE_MLX4) {
                block_mlx4 *b = (block_mlx4 *)data + r * (in / QK) + blk;
                b->d = d, b->m = m;
                for (int j = 0; j < QK / 2; j++)
                    b->qs[j] = (uint8_t)(mlx_code(codes, packed, blk * QK + j, bits) | mlx_code(codes, packed, blk * QK + j + 16, bits) << 4);
            } else {
                block_mlx8 *b = (block_mlx8 *)data + r * (in / QK) + blk;
                b->d = d, b->m = MV_FMA(128.0f, d, m);
                for (int j = 0; j < QK; j++) b->qs[j] = (int8_t)(mlx_code(codes, packed, blk * QK + j, bits) - 128);
            }
        }
    }
    free(scale);
    arrput(f->owned, data);
    w->type = type, w->ne[0] = in, w->data = data, w->nbytes = row_bytes(type, in) * (uint64_t)rows;
    return MV_OK;
}

/* An MLX mxfp4 module: codes as uint32 words, a scale byte per 32. */
static int mlx_repack_mxfp4(model_file *f, tensor *w, const tensor *s, int group, int bits, char *err) {
    const int64_t in = w->ne[0] * 8, rows = tensor_n_rows(w);
    if (group != QK || bits != 4 || s->type != MV_TYPE_I8 || s->ne[0] != in / QK || tensor_n_rows(s) != rows)
        return fail(err, MV_ERR_FORMAT, "%s: MLX mxfp4 needs 4 bits in groups of 32 and a scale byte per group", w->name);
    block_mxfp4 *data = mxfp4_from_pairs(w->data, s->data, in, rows, 1, 0, 1);
    if (!data) return MV_ERR_NOMEM;
    arrput(f->owned, data);
    w->type = MV_TYPE_MXFP4, w->ne[0] = in, w->data = (const uint8_t *)data, w->nbytes = row_bytes(MV_TYPE_MXFP4, in) * (uint64_t)rows;
    return MV_OK;
}

/* Repacks every quantized module of an MLX directory; its scales and biases then leave the tensor table. */
static int mlx_repack(model_file *f, const json_value *cfg, char *err) {
    const json_value *q = json_get(cfg, "quantization");
    if (!q || q->kind != JSON_OBJECT) return MV_OK;
    bool *consumed = calloc((size_t)MV_MAX(arrlen(f->tensors), 1), sizeof *consumed);
    int rc = consumed ? MV_OK : MV_ERR_NOMEM;
    for (ptrdiff_t i = 0; !rc && i < arrlen(f->tensors); i++) {
        tensor *w = &f->tensors[i];
        const size_t len = strlen(w->name);
        if (len < 8 || strcmp(w->name + len - 7, ".weight") || w->type != MV_TYPE_I32) continue;
        char module[GGUF_MAX_NAME], name[GGUF_MAX_NAME + 8];
        snprintf(module, sizeof module, "%.*s", (int)(len - 7), w->name);
        snprintf(name, sizeof name, "%s.scales", module);
        const tensor *s = file_tensor(f, name);
        snprintf(name, sizeof name, "%s.biases", module);
        const tensor *z = file_tensor(f, name);
        int group, bits, mode;
        if (!s || !mlx_params(q, module, &group, &bits, &mode)) continue;
        if (mode == MLX_MXFP4) rc = mlx_repack_mxfp4(f, w, s, group, bits, err);
        else if (mode != MLX_AFFINE || !z)
            rc = fail(err, MV_ERR_UNSUPPORTED, "%s: MLX quantization mode is not affine or mxfp4 (or has no biases)", module);
        else rc = mlx_repack_one(f, w, s, z, group, bits, err);
        f->format = "mlx";
        consumed[s - f->tensors] = true;
        if (z) consumed[z - f->tensors] = true;
    }
    if (!rc) rc = file_drop_tensors(f, consumed); /* the scales and biases */
    free(consumed);
    return rc;
}

/* Opens a model directory: config.json and its SafeTensors weights. */
static int model_dir_open(model_file *f, const char *dir, char *err) {
    memset(f, 0, sizeof *f);
    f->source = SOURCE_SAFETENSORS;
    f->format = "safetensors";
    json_doc cfg;
    int rc = json_read_file(dir, "config.json", &cfg, err);
    if (rc == MV_ERR_IO) return fail(err, MV_ERR_IO, "%s: no config.json (a model directory needs one)", dir);
    if (rc) return rc;
    const char *slash = strrchr(dir, '/');
    rc = strmap_init(&f->tensor_index, 256);
    if (!rc) rc = safetensors_open_dir(f, dir, err);
    if (!rc) rc = config_to_metadata(f, &cfg.root, slash && slash[1] ? slash + 1 : dir, err);
    if (!rc) rc = mlx_repack(f, &cfg.root, err);
    if (!rc) rc = gpt_oss_split_experts(f, err);
    json_free(&cfg);
    if (rc) model_file_free(f);
    return rc;
}

/* ---- llama2.c checkpoints (FORMATS.md §7) ----------------------------------
   A header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
   vocab_size, seq_len), then f32 arrays back to back: legacy (v0), or
   behind a 256-byte header with magic "ak42" and version 1 in another
   order. Tensors are named as GGUF names them; RoPE is interleaved. */

#define LLAMA2C_MAGIC 0x616b3432u

typedef struct { int dim, hidden, n_layer, n_head, n_kv, vocab, seq_len; bool shared, v1; } llama2c_header;

/* The header, if the file is a llama2.c checkpoint of exactly its size. */
static bool llama2c_header_read(const file_map *map, llama2c_header *h) {
    int32_t x[7];
    uint32_t magic = 0, version = 0;
    if (map->size >= 8) memcpy(&magic, map->data, 4), memcpy(&version, map->data + 4, 4);
    h->v1 = magic == LLAMA2C_MAGIC && version == 1;
    if (map->size < (h->v1 ? 256u : 28u)) return false;
    memcpy(x, map->data + (h->v1 ? 8 : 0), sizeof x);
    *h = (llama2c_header){x[0], x[1], x[2], x[3], x[4], abs(x[5]), x[6], h->v1 ? map->data[36] != 0 : x[5] > 0, h->v1};
    if (h->dim <= 0 || h->dim > (1 << 16) || h->hidden <= 0 || h->hidden > (1 << 18) || h->n_layer <= 0 || h->n_layer > 1024 ||
        h->n_head <= 0 || h->dim % h->n_head || h->n_kv <= 0 || h->n_head % h->n_kv || h->vocab <= 0 || h->vocab > (1 << 22) ||
        h->seq_len <= 0 || h->seq_len > (1 << 22) || x[5] == INT32_MIN)
        return false;
    const uint64_t d = (uint64_t)h->dim, kv = d / (uint64_t)h->n_head * (uint64_t)h->n_kv, L = (uint64_t)h->n_layer;
    uint64_t floats = (uint64_t)h->vocab * d + L * (2 * d + d * d + 2 * kv * d + d * d + 3 * d * (uint64_t)h->hidden) + d;
    if (!h->v1) floats += (uint64_t)h->seq_len * (d / (uint64_t)h->n_head); /* freq_cis_real and _imag */
    if (!h->shared) floats += (uint64_t)h->vocab * d;
    return map->size == (h->v1 ? 256 : 28) + 4 * floats;
}

/* Adds tensor name (printf-style with the layer) of ne0 × ne1 f32 at *at; moves *at past it. */
static int add_f32_tensor(model_file *f, const uint8_t **at, int n_dims, int64_t ne0, int64_t ne1, const char *fmt, int layer) {
    char name[64];
    snprintf(name, sizeof name, fmt, layer);
    tensor t = {.name = strdup(name), .type = MV_TYPE_F32, .n_dims = n_dims, .ne = {ne0, ne1, 1, 1}, .data = *at,
                .offset = (uint64_t)(*at - f->map.data), .nbytes = (uint64_t)(ne0 * ne1) * 4};
    if (!t.name) return MV_ERR_NOMEM;
    *at += t.nbytes;
    arrput(f->tensors, t);
    return strmap_put(&f->tensor_index, (int32_t)(arrlen(f->tensors) - 1), tensor_key, f);
}

/* A layer tensor's f32 array: n_layer slices of ne0 × ne1. */
static int add_layer_tensors(model_file *f, const uint8_t **at, const llama2c_header *h, int64_t ne0, int64_t ne1, const char *fmt) {
    int rc = MV_OK;
    for (int l = 0; !rc && l < h->n_layer; l++) rc = add_f32_tensor(f, at, ne1 > 1 ? 2 : 1, ne0, ne1, fmt, l);
    return rc;
}

static int llama2c_open(model_file *f, const char *path, char *err) {
    memset(f, 0, sizeof *f);
    f->source = SOURCE_LLAMA2C;
    f->format = "llama2.c";
    llama2c_header h;
    int rc = map_file(path, &f->map, err);
    if (!rc && !llama2c_header_read(&f->map, &h)) rc = fail(err, MV_ERR_FORMAT, "%s: not a llama2.c checkpoint (header and size disagree)", path);
    if (!rc) rc = strmap_init(&f->tensor_index, (size_t)(16 * h.n_layer + 8));
    const int64_t d = h.dim, kv = h.dim / h.n_head * h.n_kv, F = h.hidden;
    const uint8_t *at = f->map.data + (h.v1 ? 256 : 28);
    /* the arrays in file order; v1 puts the norms first and has no freq_cis */
    if (!rc && h.v1) {
        if (!(rc = add_layer_tensors(f, &at, &h, d, 1, "blk.%d.attn_norm.weight")) && !(rc = add_layer_tensors(f, &at, &h, d, 1, "blk.%d.ffn_norm.weight")))
            rc = add_f32_tensor(f, &at, 1, d, 1, "output_norm.weight", 0);
        if (!rc) rc = add_f32_tensor(f, &at, 2, d, h.vocab, "token_embd.weight", 0);
    } else if (!rc) {
        if (!(rc = add_f32_tensor(f, &at, 2, d, h.vocab, "token_embd.weight", 0))) rc = add_layer_tensors(f, &at, &h, d, 1, "blk.%d.attn_norm.weight");
    }
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, d, "blk.%d.attn_q.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, kv, "blk.%d.attn_k.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, kv, "blk.%d.attn_v.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, d, "blk.%d.attn_output.weight");
    if (!rc && !h.v1) rc = add_layer_tensors(f, &at, &h, d, 1, "blk.%d.ffn_norm.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, F, "blk.%d.ffn_gate.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, F, d, "blk.%d.ffn_down.weight");
    if (!rc) rc = add_layer_tensors(f, &at, &h, d, F, "blk.%d.ffn_up.weight");
    if (!rc && !h.v1) rc = add_f32_tensor(f, &at, 1, d, 1, "output_norm.weight", 0);
    if (!rc && !h.v1) at += (size_t)h.seq_len * (size_t)(d / h.n_head) * 4; /* freq_cis_real and _imag: unused */
    if (!rc && !h.shared) rc = add_f32_tensor(f, &at, 2, d, h.vocab, "output.weight", 0);
    if (!rc) {
        gguf_writer w;
        gw_init(&w);
        gw_str(&w, "general.architecture", "llama");
        gw_str(&w, "general.name", "llama2.c");
        gw_u32(&w, "llama.context_length", (uint32_t)h.seq_len);
        gw_u32(&w, "llama.embedding_length", (uint32_t)h.dim);
        gw_u32(&w, "llama.block_count", (uint32_t)h.n_layer);
        gw_u32(&w, "llama.feed_forward_length", (uint32_t)h.hidden);
        gw_u32(&w, "llama.attention.head_count", (uint32_t)h.n_head);
        gw_u32(&w, "llama.attention.head_count_kv", (uint32_t)h.n_kv);
        gw_u32(&w, "llama.vocab_size", (uint32_t)h.vocab);
        gw_f32(&w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
        rc = metadata_from_writer(f, &w, err);
        gw_free(&w);
    }
    if (rc) model_file_free(f);
    return rc;
}

/* ============================================================================
   6. models — hyperparameters and table-driven tensor binding
   ============================================================================ */

enum { ROPE_NORM, ROPE_NEOX }; /* pairs (2i, 2i+1) or (i, i + n_rot/2), FORMATS.md §3.3 */

/* How a mixture of experts weighs the experts it picks: softmax over all
   logits, top-k of the probabilities, renormalized (Mixtral, Qwen3-MoE); or
   top-k of the logits, softmax over those k (GPT-OSS). */
enum { GATING_SOFTMAX, GATING_SOFTMAX_WEIGHT };
/* The feed-forward activation: silu(gate)·up, or GPT-OSS's clamped
   min(g,7)·σ(1.702·min(g,7))·(clamp(u,±7) + 1). */
enum { ACT_SWIGLU, ACT_SWIGLU_OAI };

/* The architectures: how GGUF files of each pair RoPE's dimensions (Qwen is
   never permuted; llama's converter permutes Q/K for NORM), the experts'
   gating and activation, and the period of sliding-window layers when the
   file names none (0: the architecture has none). */
enum { ARCH_LLAMA, ARCH_QWEN2, ARCH_QWEN3, ARCH_QWEN3MOE, ARCH_GPT_OSS, ARCH_COUNT };
static const struct { const char *name; int rope_style, gating, activation, swa_period; } ARCHS[ARCH_COUNT] = {
    [ARCH_LLAMA] = {"llama", ROPE_NORM, GATING_SOFTMAX, ACT_SWIGLU, 0},
    [ARCH_QWEN2] = {"qwen2", ROPE_NEOX, GATING_SOFTMAX, ACT_SWIGLU, 0},
    [ARCH_QWEN3] = {"qwen3", ROPE_NEOX, GATING_SOFTMAX, ACT_SWIGLU, 0},
    [ARCH_QWEN3MOE] = {"qwen3moe", ROPE_NEOX, GATING_SOFTMAX, ACT_SWIGLU, 0},
    [ARCH_GPT_OSS] = {"gpt-oss", ROPE_NEOX, GATING_SOFTMAX_WEIGHT, ACT_SWIGLU_OAI, 2},
};
#define ARCH_BIT(a) (1u << (a))

typedef struct {
    int arch;
    int n_vocab, n_embd, n_layer, n_ff, n_ctx_train;
    int n_head, n_head_kv, head_dim, head_dim_v, n_rot;
    int n_expert, n_expert_used, n_ff_exp; /* n_expert 0: a dense model */
    int n_swa;                             /* sliding window (positions a query sees, itself included); 0: none */
    float expert_weights_scale;            /* the experts' weights multiplied by it (0 or 1: not) */
    int swa_period;                        /* layer il slides if il % period < period − 1 (0: all) ... */
    const meta_kv *swa_layers;             /* ... unless the file lists the sliding layers (an array) */
    float rms_eps;
    int rope_style;
    float rope_base, rope_freq_scale;
    float yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    bool yarn_truncate;                    /* correction dims rounded outward (llama.cpp, HF's default) */
    int n_ctx_orig;
} hparams;

/* Weights of one layer. Vectors (norms, biases, sinks) are f32: pointers
   into the mapping when stored as F32, converted copies otherwise. Experts'
   matrices are 3-D, one 2-D matrix per expert; their biases one row each. */
typedef struct {
    const float *attn_norm, *ffn_norm, *bq, *bk, *bv, *bo, *q_norm, *k_norm, *attn_sinks;
    const tensor *wq, *wk, *wv, *wo, *ffn_gate, *ffn_up, *ffn_down;
    const tensor *ffn_router, *ffn_gate_exps, *ffn_up_exps, *ffn_down_exps;
    const float *ffn_router_b, *ffn_gate_exps_b, *ffn_up_exps_b, *ffn_down_exps_b;
    bool sliding;             /* attends to the last n_swa positions only */
} layer_weights;

typedef struct {
    const tensor *tok_embd, *output;
    const float *output_norm, *rope_freqs;
} model_weights;

/* Expected sizes of a tensor's dimensions, in terms of the hyperparameters. */
enum {
    DIM_EMBD = 1, DIM_VOCAB, DIM_Q, DIM_K, DIM_V, DIM_ATT_OUT, DIM_FF, DIM_HEAD, DIM_ROT_HALF, DIM_HEADS, DIM_EXPERTS, DIM_FF_EXP
};

static int64_t dim_size(const hparams *hp, int dim) {
    switch (dim) {
    case DIM_EMBD: return hp->n_embd;
    case DIM_VOCAB: return hp->n_vocab;
    case DIM_Q: return (int64_t)hp->n_head * hp->head_dim;
    case DIM_K: return (int64_t)hp->n_head_kv * hp->head_dim;
    case DIM_V: return (int64_t)hp->n_head_kv * hp->head_dim_v;
    case DIM_ATT_OUT: return (int64_t)hp->n_head * hp->head_dim_v;
    case DIM_FF: return hp->n_ff;
    case DIM_HEAD: return hp->head_dim;
    case DIM_ROT_HALF: return hp->n_rot / 2;
    case DIM_HEADS: return hp->n_head;
    case DIM_EXPERTS: return hp->n_expert;
    case DIM_FF_EXP: return hp->n_ff_exp;
    }
    return 1;
}

/* BIND_DENSE / BIND_MOE: bound only in models without / with experts. */
enum { BIND_LAYER = 1, BIND_VECTOR = 2, BIND_OPTIONAL = 4, BIND_DENSE = 8, BIND_MOE = 16 };

/* One table binds every architecture's tensors, under their GGUF names and
   their Hugging Face names (NULL: the GGUF name; %d is the layer). archs:
   the architectures a row is for (0: all); made: those whose random models
   (make-model) have an optional tensor. */
static const struct binding {
    const char *name, *hf_name;
    unsigned flags, archs, made;
    size_t offset;          /* into layer_weights (BIND_LAYER) or model_weights */
    uint8_t dims[3];
} BINDINGS[] = {
#define HF_LAYER "model.layers.%d."
#define LAYER_VECTOR BIND_LAYER | BIND_VECTOR
#define OSS ARCH_BIT(ARCH_GPT_OSS)
#define NOT_OSS ~ARCH_BIT(ARCH_GPT_OSS)
#define QK_NORM ARCH_BIT(ARCH_QWEN3) | ARCH_BIT(ARCH_QWEN3MOE)
#define W(field) offsetof(model_weights, field)
#define L(field) offsetof(layer_weights, field)
    {"token_embd.weight", "model.embed_tokens.weight", 0, 0, 0, W(tok_embd), {DIM_EMBD, DIM_VOCAB}},
    {"output.weight", "lm_head.weight", BIND_OPTIONAL, 0, ~0u, W(output), {DIM_EMBD, DIM_VOCAB}},
    {"output_norm.weight", "model.norm.weight", BIND_VECTOR, 0, 0, W(output_norm), {DIM_EMBD}},
    {"rope_freqs.weight", NULL, BIND_VECTOR | BIND_OPTIONAL, 0, 0, W(rope_freqs), {DIM_ROT_HALF}},
    {"blk.%d.attn_norm.weight", HF_LAYER "input_layernorm.weight", LAYER_VECTOR, 0, 0, L(attn_norm), {DIM_EMBD}},
    {"blk.%d.attn_q.weight", HF_LAYER "self_attn.q_proj.weight", BIND_LAYER, 0, 0, L(wq), {DIM_EMBD, DIM_Q}},
    {"blk.%d.attn_k.weight", HF_LAYER "self_attn.k_proj.weight", BIND_LAYER, 0, 0, L(wk), {DIM_EMBD, DIM_K}},
    {"blk.%d.attn_v.weight", HF_LAYER "self_attn.v_proj.weight", BIND_LAYER, 0, 0, L(wv), {DIM_EMBD, DIM_V}},
    {"blk.%d.attn_output.weight", HF_LAYER "self_attn.o_proj.weight", BIND_LAYER, 0, 0, L(wo), {DIM_ATT_OUT, DIM_EMBD}},
    {"blk.%d.attn_q.bias", HF_LAYER "self_attn.q_proj.bias", LAYER_VECTOR | BIND_OPTIONAL, 0, ARCH_BIT(ARCH_QWEN2) | OSS, L(bq), {DIM_Q}},
    {"blk.%d.attn_k.bias", HF_LAYER "self_attn.k_proj.bias", LAYER_VECTOR | BIND_OPTIONAL, 0, ARCH_BIT(ARCH_QWEN2) | OSS, L(bk), {DIM_K}},
    {"blk.%d.attn_v.bias", HF_LAYER "self_attn.v_proj.bias", LAYER_VECTOR | BIND_OPTIONAL, 0, ARCH_BIT(ARCH_QWEN2) | OSS, L(bv), {DIM_V}},
    {"blk.%d.attn_output.bias", HF_LAYER "self_attn.o_proj.bias", LAYER_VECTOR | BIND_OPTIONAL, 0, OSS, L(bo), {DIM_EMBD}},
    {"blk.%d.attn_q_norm.weight", HF_LAYER "self_attn.q_norm.weight", LAYER_VECTOR | BIND_OPTIONAL, 0, QK_NORM, L(q_norm), {DIM_HEAD}},
    {"blk.%d.attn_k_norm.weight", HF_LAYER "self_attn.k_norm.weight", LAYER_VECTOR | BIND_OPTIONAL, 0, QK_NORM, L(k_norm), {DIM_HEAD}},
    {"blk.%d.attn_sinks.weight", HF_LAYER "self_attn.sinks", LAYER_VECTOR, OSS, 0, L(attn_sinks), {DIM_HEADS}},
    /* GPT-OSS's GGUF files name the norm before the experts differently */
    {"blk.%d.ffn_norm.weight", HF_LAYER "post_attention_layernorm.weight", LAYER_VECTOR, NOT_OSS, 0, L(ffn_norm), {DIM_EMBD}},
    {"blk.%d.post_attention_norm.weight", HF_LAYER "post_attention_layernorm.weight", LAYER_VECTOR, OSS, 0, L(ffn_norm), {DIM_EMBD}},
    {"blk.%d.ffn_gate.weight", HF_LAYER "mlp.gate_proj.weight", BIND_LAYER | BIND_DENSE, 0, 0, L(ffn_gate), {DIM_EMBD, DIM_FF}},
    {"blk.%d.ffn_up.weight", HF_LAYER "mlp.up_proj.weight", BIND_LAYER | BIND_DENSE, 0, 0, L(ffn_up), {DIM_EMBD, DIM_FF}},
    {"blk.%d.ffn_down.weight", HF_LAYER "mlp.down_proj.weight", BIND_LAYER | BIND_DENSE, 0, 0, L(ffn_down), {DIM_FF, DIM_EMBD}},
    {"blk.%d.ffn_gate_inp.weight", HF_LAYER "mlp.router.weight", BIND_LAYER | BIND_MOE, 0, 0, L(ffn_router), {DIM_EMBD, DIM_EXPERTS}},
    {"blk.%d.ffn_gate_inp.bias", HF_LAYER "mlp.router.bias", LAYER_VECTOR | BIND_MOE | BIND_OPTIONAL, 0, OSS, L(ffn_router_b), {DIM_EXPERTS}},
    {"blk.%d.ffn_gate_exps.weight", HF_LAYER "mlp.experts.gate_proj.weight", BIND_LAYER | BIND_MOE, 0, 0, L(ffn_gate_exps),
     {DIM_EMBD, DIM_FF_EXP, DIM_EXPERTS}},
    {"blk.%d.ffn_up_exps.weight", HF_LAYER "mlp.experts.up_proj.weight", BIND_LAYER | BIND_MOE, 0, 0, L(ffn_up_exps),
     {DIM_EMBD, DIM_FF_EXP, DIM_EXPERTS}},
    {"blk.%d.ffn_down_exps.weight", HF_LAYER "mlp.experts.down_proj.weight", BIND_LAYER | BIND_MOE, 0, 0, L(ffn_down_exps),
     {DIM_FF_EXP, DIM_EMBD, DIM_EXPERTS}},
    {"blk.%d.ffn_gate_exps.bias", HF_LAYER "mlp.experts.gate_proj.bias", LAYER_VECTOR | BIND_MOE | BIND_OPTIONAL, 0, OSS,
     L(ffn_gate_exps_b), {DIM_FF_EXP, DIM_EXPERTS}},
    {"blk.%d.ffn_up_exps.bias", HF_LAYER "mlp.experts.up_proj.bias", LAYER_VECTOR | BIND_MOE | BIND_OPTIONAL, 0, OSS,
     L(ffn_up_exps_b), {DIM_FF_EXP, DIM_EXPERTS}},
    {"blk.%d.ffn_down_exps.bias", HF_LAYER "mlp.experts.down_proj.bias", LAYER_VECTOR | BIND_MOE | BIND_OPTIONAL, 0, OSS,
     L(ffn_down_exps_b), {DIM_EMBD, DIM_EXPERTS}},
#undef L
#undef W
#undef QK_NORM
#undef NOT_OSS
#undef OSS
#undef LAYER_VECTOR
#undef HF_LAYER
};

/* Whether a row binds a tensor of a model of this architecture and kind. */
static bool binding_applies(const struct binding *b, const hparams *hp) {
    if (b->archs && !(b->archs & ARCH_BIT(hp->arch))) return false;
    return !(b->flags & (hp->n_expert ? BIND_DENSE : BIND_MOE));
}

/* The key "ARCH.suffix". */
static const meta_kv *meta_arch(const model_file *f, const char *arch, const char *suffix) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return meta_find(f, key);
}

/* An integer hyperparameter: required (def < 0) or defaulted, within [lo, hi]. */
static int hparam_int(const model_file *f, const char *arch, const char *suffix, int64_t def, int64_t lo, int64_t hi,
                      int *out, char *err) {
    const meta_kv *kv = meta_arch(f, arch, suffix);
    int64_t v = def;
    if (kv && !meta_int(kv, &v)) return fail(err, MV_ERR_FORMAT, "GGUF key '%s.%s': expected an integer", arch, suffix);
    if (!kv && def < 0) return fail(err, MV_ERR_FORMAT, "GGUF key '%s.%s' is missing", arch, suffix);
    if (v < lo || v > hi)
        return fail(err, MV_ERR_FORMAT, "GGUF key '%s.%s': %lld is out of range [%lld, %lld]", arch, suffix, (long long)v,
                    (long long)lo, (long long)hi);
    *out = (int)v;
    return MV_OK;
}

static int hparam_float(const model_file *f, const char *arch, const char *suffix, double def, float *out, char *err) {
    const meta_kv *kv = meta_arch(f, arch, suffix);
    double v = def;
    if (kv && !meta_float(kv, &v)) return fail(err, MV_ERR_FORMAT, "GGUF key '%s.%s': expected a number", arch, suffix);
    if (!isfinite(v)) return fail(err, MV_ERR_FORMAT, "GGUF key '%s.%s': not a finite number", arch, suffix);
    *out = (float)v;
    return MV_OK;
}

/* Experts: their count, how many a token uses, their feed-forward width
   (Llama's, Mixtral's form, is the dense width whatever the file says). */
static int read_experts(const model_file *f, const char *arch, hparams *hp, char *err) {
    int rc;
    if ((rc = hparam_int(f, arch, "expert_count", 0, 0, 1 << 16, &hp->n_expert, err))) return rc;
    if (!hp->n_expert) return MV_OK;
    hp->n_ff_exp = hp->n_ff;
    if (hp->arch != ARCH_LLAMA && (rc = hparam_int(f, arch, "expert_feed_forward_length", hp->n_ff, 1, 1 << 20, &hp->n_ff_exp, err)))
        return rc;
    if ((rc = hparam_int(f, arch, "expert_used_count", -1, 1, MV_MIN(hp->n_expert, 64), &hp->n_expert_used, err)) ||
        (rc = hparam_float(f, arch, "expert_weights_scale", 0.0, &hp->expert_weights_scale, err)))
        return rc;
    return MV_OK;
}

/* The sliding window of the architectures that have one (llama.cpp ignores
   the key elsewhere, Mistral's included), and which layers slide: a period
   (FORMATS.md §1.5) or a per-layer array. */
static int read_sliding_window(const model_file *f, const char *arch, hparams *hp, char *err) {
    const int period = ARCHS[hp->arch].swa_period;
    if (!period) return MV_OK;
    int rc = hparam_int(f, arch, "attention.sliding_window", -1, 1, 1 << 30, &hp->n_swa, err);
    if (rc) return rc;
    const meta_kv *pattern = meta_arch(f, arch, "attention.sliding_window_pattern");
    if (pattern && pattern->type == GGUF_ARRAY) {
        if (pattern->n != (uint64_t)hp->n_layer || !gguf_type_is_int(pattern->array_type))
            return fail(err, MV_ERR_FORMAT, "GGUF key '%s.attention.sliding_window_pattern': expected %d integers or booleans", arch,
                        hp->n_layer);
        hp->swa_layers = pattern;
        return MV_OK;
    }
    return hparam_int(f, arch, "attention.sliding_window_pattern", period, 0, 1 << 16, &hp->swa_period, err);
}

/* RoPE scaling: linear, or YaRN with its attention factor computed as
   llama.cpp computes it (llama-context.cpp): mscale(s) = 0.1·ln(s) + 1,
   divided by 1 + 0.1·ln(s) since the RoPE kernel multiplies that back in. */
static int read_rope_scaling(const model_file *f, const char *arch, hparams *hp, char *err) {
    hp->rope_freq_scale = 1.0f;
    hp->yarn_beta_fast = 32.0f;
    hp->yarn_beta_slow = 1.0f;
    hp->yarn_truncate = true;
    hp->n_ctx_orig = hp->n_ctx_train;
    float attn_factor = 1.0f, factor = 1.0f, log_mul = 0.0f;
    int rc;
    if ((rc = hparam_float(f, arch, "rope.scaling.attn_factor", 1.0, &attn_factor, err)) ||
        (rc = hparam_float(f, arch, "rope.scaling.factor", 1.0, &factor, err)))
        return rc;
    hp->yarn_attn_factor = attn_factor;
    size_t len;
    const char *scaling = meta_string(meta_arch(f, arch, "rope.scaling.type"), &len);
    if (!scaling || (len == 4 && !memcmp(scaling, "none", 4))) return MV_OK;
    if (factor > 0) hp->rope_freq_scale = 1.0f / factor;
    if (len == 6 && !memcmp(scaling, "linear", 6)) return MV_OK;
    if (!(len == 4 && !memcmp(scaling, "yarn", 4)))
        return fail(err, MV_ERR_UNSUPPORTED, "%s.rope.scaling.type '%.*s' is not supported", arch, (int)len, scaling);
    const meta_kv *truncate = meta_arch(f, arch, "rope.scaling.yarn_truncate");
    if (truncate && truncate->type == GGUF_BOOL) hp->yarn_truncate = truncate->v.i != 0;
    if ((rc = hparam_int(f, arch, "rope.scaling.original_context_length", hp->n_ctx_train, 1, 1 << 30, &hp->n_ctx_orig, err)) ||
        (rc = hparam_float(f, arch, "rope.scaling.yarn_beta_fast", 32.0, &hp->yarn_beta_fast, err)) ||
        (rc = hparam_float(f, arch, "rope.scaling.yarn_beta_slow", 1.0, &hp->yarn_beta_slow, err)) ||
        (rc = hparam_float(f, arch, "rope.scaling.yarn_log_multiplier", 0.0, &log_mul, err)))
        return rc;
    const float s = 1.0f / hp->rope_freq_scale;
#define YARN_MSCALE(m) (s <= 1.0f ? 1.0f : 0.1f * (m) * logf(s) + 1.0f)
    const float mscale = log_mul != 0.0f ? YARN_MSCALE(1.0f) / YARN_MSCALE(log_mul) : YARN_MSCALE(1.0f);
#undef YARN_MSCALE
    hp->yarn_ext_factor = 1.0f;
    hp->yarn_attn_factor = mscale * (1.0f / (1.0f + 0.1f * logf(s))) * attn_factor;
    return MV_OK;
}

static int read_hparams(const model_file *f, int n_vocab, hparams *hp, char *err) {
    memset(hp, 0, sizeof *hp);
    size_t len;
    const char *arch = meta_string(meta_find(f, "general.architecture"), &len);
    if (!arch) return fail(err, MV_ERR_FORMAT, "GGUF key 'general.architecture' is missing");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)MV_MIN(len, sizeof name - 1), arch);
    hp->arch = -1;
    for (int a = 0; a < ARCH_COUNT; a++)
        if (!strcmp(name, ARCHS[a].name)) hp->arch = a;
    if (hp->arch < 0) return fail(err, MV_ERR_UNSUPPORTED, "architecture '%s' is not supported", name);
    int rc;
    if ((rc = hparam_int(f, name, "embedding_length", -1, 1, 1 << 17, &hp->n_embd, err)) ||
        (rc = hparam_int(f, name, "block_count", -1, 1, 4096, &hp->n_layer, err)) ||
        (rc = hparam_int(f, name, "feed_forward_length", -1, 1, 1 << 20, &hp->n_ff, err)) ||
        (rc = hparam_int(f, name, "context_length", 2048, 1, 1 << 30, &hp->n_ctx_train, err)) ||
        (rc = hparam_int(f, name, "attention.head_count", -1, 1, 4096, &hp->n_head, err)) ||
        (rc = hparam_int(f, name, "attention.head_count_kv", hp->n_head, 1, hp->n_head, &hp->n_head_kv, err)) ||
        (rc = hparam_int(f, name, "attention.key_length", hp->n_embd / hp->n_head, 2, 1024, &hp->head_dim, err)) ||
        (rc = hparam_int(f, name, "attention.value_length", hp->head_dim, 1, 1024, &hp->head_dim_v, err)) ||
        (rc = hparam_int(f, name, "rope.dimension_count", hp->head_dim, 0, hp->head_dim, &hp->n_rot, err)) ||
        (rc = hparam_int(f, name, "vocab_size", n_vocab > 0 ? n_vocab : 0, 0, 1 << 24, &hp->n_vocab, err)) ||
        (rc = hparam_float(f, name, "attention.layer_norm_rms_epsilon", 1e-5, &hp->rms_eps, err)) ||
        (rc = hparam_float(f, name, "rope.freq_base", 10000.0, &hp->rope_base, err)))
        return rc;
    if ((rc = read_experts(f, name, hp, err)) || (rc = read_sliding_window(f, name, hp, err))) return rc;
    if (hp->n_head % hp->n_head_kv)
        return fail(err, MV_ERR_FORMAT, "%s: %d attention heads are not a multiple of %d KV heads", name, hp->n_head, hp->n_head_kv);
    if (hp->n_rot % 2) return fail(err, MV_ERR_FORMAT, "%s.rope.dimension_count: %d is odd", name, hp->n_rot);
    /* Hugging Face checkpoints all pair dimensions by halves (rotate-half) */
    hp->rope_style = f->source == SOURCE_SAFETENSORS ? ROPE_NEOX : ARCHS[hp->arch].rope_style;
    return read_rope_scaling(f, name, hp, err);
}

/* Whether layer il attends to a sliding window only. */
static bool layer_slides(const hparams *hp, int il) {
    if (!hp->n_swa) return false;
    const meta_kv *list = hp->swa_layers;
    if (list) return meta_number_at(list->array_type, list->data + (size_t)il * GGUF_VALUE_SIZE[list->array_type]) != 0;
    return hp->swa_period == 0 || il % hp->swa_period < hp->swa_period - 1;
}

/* ============================================================================
   7. kv cache — cache layout, sequences
   ============================================================================ */

/* Per layer and sequence: K head by head, a row of head_dim elements per
   slot (attention over one KV head reads one stream); V (F32, F16)
   transposed, one row per element of the value heads with a column per
   slot (as llama.cpp stores it without flash attention), so attention's
   weighted sum of values is a dot product per element. An F16 cache keeps
   K in blocks of 16 slots, element by element (element 0 of 16 keys, then
   element 1, ...: one stream, read with keys across the SIMD lanes). V
   rows and K blocks are padded to a multiple of 64 slots and the cache
   starts zeroed, so a kernel may run over the padding. A Q8_0 cache
   (blocks of 32 along a head: half an F16 cache) keeps V a row of all value
   heads per slot, since a block cannot take one new column at a time. Position p lives in slot p of a
   full-attention layer; a sliding-window layer keeps only a ring of
   n_ring = window + n_batch − 1 slots (p in slot p mod n_ring), enough for
   every token of a batch to see its whole window. */
typedef struct {
    int type;              /* F32, F16 or Q8_0 */
    int n_ctx, n_seq, n_layer;
    int n_ring;            /* slots of sliding layers (n_ctx if they have none) */
    int n_head_kv, head_dim;
    int k_width, v_width;  /* elements per position */
    int *n_slots;          /* [n_layer]: n_ctx or n_ring */
    uint8_t **k, **v;      /* [n_layer], in memory */
    zeroed_memory memory;
    int32_t *length;       /* [n_seq]: positions held */
    int32_t *ring_pos;     /* [n_seq][n_ring]: the position each ring slot holds, −1: none */
} kv_cache;

static int slots_padded(int n) { return (n + 63) / 64 * 64; }

static void kv_free(kv_cache *kv) {
    zeroed_free(&kv->memory);
    free(kv->k);
    free(kv->v);
    free(kv->n_slots);
    free(kv->length);
    free(kv->ring_pos);
    memset(kv, 0, sizeof *kv);
}

/* The bytes from one V row to the next: all the slots of one element,
   padded, and one line more, so that rows a power of two apart do not
   fall into the same L1 sets. */
static size_t kv_row_stride(const kv_cache *kv, int layer) { return row_bytes(kv->type, slots_padded(kv->n_slots[layer])) + MV_ALIGN; }

/* The bytes of a layer's K and of its V, each a multiple of MV_ALIGN. */
static void kv_layer_bytes(const kv_cache *kv, int layer, size_t *k, size_t *v) {
    const size_t n = (size_t)kv->n_slots[layer], n_seq = (size_t)kv->n_seq;
    *k = kv->type == MV_TYPE_F16 ? n_seq * (size_t)kv->k_width * row_bytes(kv->type, slots_padded((int)n))
                                 : n_seq * n * row_bytes(kv->type, kv->k_width);
    *v = kv->type == MV_TYPE_Q8_0 ? n_seq * n * row_bytes(kv->type, kv->v_width) : n_seq * (size_t)kv->v_width * kv_row_stride(kv, layer);
    *k = (*k + MV_ALIGN - 1) / MV_ALIGN * MV_ALIGN, *v = (*v + MV_ALIGN - 1) / MV_ALIGN * MV_ALIGN;
}

static int kv_init(kv_cache *kv, const hparams *hp, const bool *sliding, int type, int n_ctx, int n_seq, int n_batch) {
    memset(kv, 0, sizeof *kv);
    kv->type = type, kv->n_ctx = n_ctx, kv->n_seq = n_seq, kv->n_layer = hp->n_layer;
    kv->n_ring = hp->n_swa ? MV_MIN(n_ctx, hp->n_swa + n_batch - 1) : n_ctx;
    kv->n_head_kv = hp->n_head_kv, kv->head_dim = hp->head_dim;
    kv->k_width = hp->n_head_kv * hp->head_dim, kv->v_width = hp->n_head_kv * hp->head_dim_v;
    kv->k = calloc((size_t)hp->n_layer, sizeof *kv->k);
    kv->v = calloc((size_t)hp->n_layer, sizeof *kv->v);
    kv->n_slots = calloc((size_t)hp->n_layer, sizeof *kv->n_slots);
    kv->length = calloc((size_t)n_seq, sizeof *kv->length);
    kv->ring_pos = malloc((size_t)n_seq * (size_t)kv->n_ring * sizeof *kv->ring_pos);
    if (!kv->k || !kv->v || !kv->n_slots || !kv->length || !kv->ring_pos) return MV_ERR_NOMEM;
    memset(kv->ring_pos, 0xff, (size_t)n_seq * (size_t)kv->n_ring * sizeof *kv->ring_pos);
    size_t total = 0, k_bytes, v_bytes;
    for (int l = 0; l < hp->n_layer; l++) {
        kv->n_slots[l] = sliding[l] ? kv->n_ring : n_ctx;
        kv_layer_bytes(kv, l, &k_bytes, &v_bytes);
        total += k_bytes + v_bytes;
    }
    if (!zeroed_alloc(&kv->memory, total)) return MV_ERR_NOMEM;
    uint8_t *next = kv->memory.data;
    for (int l = 0; l < hp->n_layer; l++) {
        kv_layer_bytes(kv, l, &k_bytes, &v_bytes);
        kv->k[l] = next, kv->v[l] = next + k_bytes, next += k_bytes + v_bytes;
    }
    return MV_OK;
}

/* The K row of KV head kvh in a slot (F32, Q8_0). */
static uint8_t *kv_k_row(const kv_cache *kv, int layer, int seq, int kvh, int slot) {
    const size_t head = (size_t)seq * (size_t)kv->n_head_kv + (size_t)kvh;
    return kv->k[layer] + (head * (size_t)kv->n_slots[layer] + (size_t)slot) * row_bytes(kv->type, kv->head_dim);
}

/* The V row of a slot (Q8_0). */
static uint8_t *kv_v_slot(const kv_cache *kv, int layer, int seq, int slot) {
    return kv->v[layer] + ((size_t)seq * (size_t)kv->n_slots[layer] + (size_t)slot) * row_bytes(kv->type, kv->v_width);
}

/* The K blocks of KV head kvh in an F16 cache: [slot / 16][element][slot % 16]. */
static uint16_t *kv_k_blocks(const kv_cache *kv, int layer, int seq, int kvh) {
    const size_t head = (size_t)seq * (size_t)kv->n_head_kv + (size_t)kvh;
    return (uint16_t *)kv->k[layer] + head * (size_t)slots_padded(kv->n_slots[layer]) * (size_t)kv->head_dim;
}

/* The V row of one element (index into the value heads): all its slots (F32, F16). */
static uint8_t *kv_v_row(const kv_cache *kv, int layer, int seq, int element) {
    return kv->v[layer] + ((size_t)seq * (size_t)kv->v_width + (size_t)element) * kv_row_stride(kv, layer);
}

static void kv_store(kv_cache *kv, int layer, int seq, int pos, const float *k, const float *v) {
    const int slot = pos % kv->n_slots[layer];
    const int hd = kv->head_dim;
    if (kv->type == MV_TYPE_Q8_0) {
        for (int h = 0; h < kv->n_head_kv; h++) quantize_act_q8_0(k + (size_t)h * hd, kv_k_row(kv, layer, seq, h, slot), hd);
        quantize_act_q8_0(v, kv_v_slot(kv, layer, seq, slot), kv->v_width);
        return;
    }
    for (int h = 0; h < kv->n_head_kv; h++) {
        const float *kh = k + (size_t)h * hd;
        if (kv->type == MV_TYPE_F32) {
            memcpy(kv_k_row(kv, layer, seq, h, slot), kh, (size_t)hd * sizeof *k);
            continue;
        }
        uint16_t *block = kv_k_blocks(kv, layer, seq, h) + (size_t)(slot / 16) * 16 * (size_t)hd + slot % 16;
        for (int i = 0; i < hd; i++) block[16 * i] = f32_to_f16(kh[i]);
    }
    for (int e = 0; e < kv->v_width; e++) {
        uint8_t *col = kv_v_row(kv, layer, seq, e);
        if (kv->type == MV_TYPE_F32) ((float *)col)[slot] = v[e];
        else ((uint16_t *)col)[slot] = f32_to_f16(v[e]);
    }
}

/* Whether sequence seq can go on from position n_keep: the ring must still
   hold the window that position sees (a rewind past what it overwrote
   cannot be undone). */
static bool kv_can_continue_at(const kv_cache *kv, int seq, int n_keep, int n_swa) {
    if (!n_swa || kv->n_ring == kv->n_ctx) return true;
    for (int p = MV_MAX(0, n_keep - n_swa + 1); p < n_keep; p++)
        if (kv->ring_pos[(size_t)seq * kv->n_ring + p % kv->n_ring] != p) return false;
    return true;
}

/* Keeps positions [0, n_keep) of sequence seq. */
static void kv_keep(kv_cache *kv, int seq, int n_keep) {
    int32_t *ring = kv->ring_pos + (size_t)seq * kv->n_ring;
    for (int i = 0; i < kv->n_ring; i++)
        if (ring[i] >= n_keep) ring[i] = -1;
    kv->length[seq] = MV_MIN(kv->length[seq], n_keep);
}

/* ============================================================================
   8. compute — matmul, norms, RoPE, attention, activations, the forward pass
   ============================================================================ */

struct mv_model {
    model_file file;
    hparams hp;
    char arch_name[64];
    model_weights w;
    layer_weights *layers;
    float **owned;            /* converted vectors (stb_ds) */
    struct vocab *vocab;
    dot_fn dot[ORDERS][MV_TYPE_COUNT]; /* kernels chosen once at load */
    int kernel_level;
    uint64_t n_params, weight_bytes;
};

struct mv_context {
    mv_model *model;
    mv_context_params params;
    kv_cache kv;
    /* scratch for one forward pass of up to n_batch tokens, sized at creation */
    float *x, *xn, *q, *k, *v, *att, *tmp, *gate, *up, *rope;
    uint8_t *act;             /* activations quantized for the dot kernels */
    float *act_d;             /* their side data for the panel kernels */
    int32_t *act_c;
    uint8_t *panel_scratch;   /* PANEL_SCRATCH bytes per thread */
    float *att_scores;        /* per thread: attention's scratch (attention_scratch_floats) */
    /* mixtures of experts: router logits, each token's experts and weights,
       the rows an expert takes, their batch entries (t·k + j), the outputs */
    float *router, *moe_weight, *moe_in, *moe_out;
    int32_t *moe_sel, *moe_slot;
    uint64_t *expert_hits;    /* [n_layer][n_expert]: tokens each expert took */
    /* the last mv_decode */
    int32_t *pos, *seq;       /* stb_ds */
    float *logits;
    size_t logits_cap;        /* rows */
    int n_outputs;
    char error[MV_ERROR_SIZE];
};

/* The order llama.cpp's x86 build sums token t of a batch of n_tokens in:
   types it repacks (matrices of a multiple of 8 rows) go through its
   repacked GEMM in groups of 4 tokens and its GEMV otherwise; other batches
   of two or more through its tinyBLAS GEMM where that takes the type (float
   rows of a multiple of 16, or 32 for BF16, in matrices of a multiple of 4
   rows; IQ4_NL); the rest through its vec_dot. */
static int matmul_order(const mv_model *m, const tensor *w, int n_tokens, int t) {
    const int type = w->type;
    const int64_t n_in = w->ne[0], n_out = w->ne[1];
    if (n_out % 8 == 0 && m->dot[ORDER_REPACK_GEMV][type]) return t < n_tokens - n_tokens % 4 ? ORDER_REPACK_GEMM : ORDER_REPACK_GEMV;
    const bool floats = TYPES[type].block_size == 1;
    if (n_tokens > 1 && m->dot[ORDER_GEMM][type] && (!floats || (n_in % (type == MV_TYPE_BF16 ? 32 : 16) == 0 && n_out % 4 == 0)))
        return ORDER_GEMM;
    return ORDER_VEC;
}

static dot_fn matmul_kernel(const mv_model *m, const tensor *w, int n_tokens, int t) {
    return m->dot[matmul_order(m, w, n_tokens, t)][w->type];
}

/* The panel kernel of an order for w and a run of n_tokens, if there is one
   that pays and its scratch holds the rows' block scales (a group of them: Q8_0). */
static const panel_kernel *matmul_panel(const mv_model *m, const tensor *w, int order, int n_tokens) {
    const panel_kernel *pk = &PANEL_KERNELS[m->kernel_level][order][w->type];
    if (!pk->fn || n_tokens < pk->min_tokens || (size_t)w->ne[0] / QK * PANEL_GROUP_ROWS * sizeof(float) > PANEL_SCRATCH) return NULL;
    return pk;
}

/* Rows r0..r1 of out for tokens t0..t1 by the dot kernels, in tiles of rows
   whose weights stay in cache while the tokens pass; order_tokens: the
   batch size whose order they follow. */
static void matmul_dots(const mv_model *m, const tensor *w, const uint8_t *act, size_t act_stride, int order_tokens, int r0, int r1,
                        int t0, int t1, float *out) {
    const int n_in = (int)w->ne[0], n_out = (int)w->ne[1];
    const size_t w_stride = row_bytes(w->type, n_in);
    enum { TILE = 16 };
    for (int rt = r0; rt < r1; rt += TILE)
        for (int t = t0; t < t1; t++) {
            const dot_fn dot = matmul_kernel(m, w, order_tokens, order_tokens > 1 ? t : 0);
            for (int r = rt; r < MV_MIN(rt + TILE, r1); r++)
                out[(size_t)t * n_out + r] = dot(n_in, w->data + (size_t)r * w_stride, act + t * act_stride);
        }
}

/* How a matmul runs: its kernels, in which order, and the activations they
   read. out[t·n_out + r] = W_r · x_t for n_tokens rows x_t of n_in floats;
   one_by_one: summed as llama.cpp sums single tokens (its mul_mat_id
   multiplies experts' rows so, whatever the batch). */
typedef struct {
    float *out;
    const tensor *w;
    const float *x;
    int n_tokens, order_tokens;
    int split;                   /* tokens [0, split) in one order, [split, n_tokens) in another */
    const panel_kernel *pk[2];   /* their panel kernels, or NULL */
    int act_type, prep, unit, n_units;
    size_t w_stride, act_stride, blocks;
    quantize_fn quantize;        /* NULL: the kernels read x (F32 weights) */
    const uint8_t *act;
} matmul_plan;

static matmul_plan matmul_plan_for(mv_context *ctx, float *out, const tensor *w, const float *x, int n_tokens, bool one_by_one) {
    const mv_model *m = ctx->model;
    matmul_plan p = {.out = out, .w = w, .x = x, .n_tokens = n_tokens, .order_tokens = one_by_one ? 1 : n_tokens};
    const int n_in = (int)w->ne[0];
    p.act_type = TYPES[w->type].dot_type;
    p.w_stride = row_bytes(w->type, n_in);
    p.quantize = p.act_type != MV_TYPE_F32 ? TYPES[p.act_type].quantize_activations : NULL;
    p.act = p.quantize ? ctx->act : (const uint8_t *)x;
    p.act_stride = p.quantize ? row_bytes(p.act_type, n_in) : (size_t)n_in * sizeof(float);
    /* repacked types: groups of 4, then the rest; a type's panels in both
       orders share their rows and preparation */
    const int order0 = matmul_order(m, w, p.order_tokens, 0), order1 = matmul_order(m, w, p.order_tokens, p.order_tokens - 1);
    p.split = order0 == order1 ? n_tokens : n_tokens - n_tokens % 4;
    p.pk[0] = matmul_panel(m, w, order0, p.split), p.pk[1] = matmul_panel(m, w, order1, n_tokens - p.split);
    const panel_kernel *any = p.pk[0] ? p.pk[0] : p.pk[1];
    p.prep = any ? any->prep : PREP_NONE, p.unit = any ? any->rows : 1, p.n_units = (int)w->ne[1] / p.unit;
    p.blocks = (size_t)(n_in / TYPES[w->type].block_size);
    return p;
}

static panel_act matmul_panel_act(const mv_context *ctx, const matmul_plan *p, int prep) {
    const int n_in = (int)p->w->ne[0];
    return (panel_act){p->act, p->act_stride, ctx->act_d, ctx->act_c, panel_c_stride(prep, n_in),
                       p->w->type == MV_TYPE_F32 ? p->x : NULL, (size_t)n_in, p->n_tokens};
}

/* Thread ith of nth: its share of the tokens quantized, with the side data prep. */
static void matmul_quantize(const mv_context *ctx, const matmul_plan *p, int prep, int ith, int nth) {
    const int n_in = (int)p->w->ne[0];
    const panel_act a = matmul_panel_act(ctx, p, prep);
    for (int t = p->n_tokens * ith / nth; t < p->n_tokens * (ith + 1) / nth; t++) {
        p->quantize(p->x + (size_t)t * n_in, ctx->act + t * p->act_stride, n_in);
        if (prep) panel_prepare(prep, n_in, p->act + t * p->act_stride, t, &a);
    }
}

/* Thread ith of nth: its share of the rows for every token, in whole panels
   where there is a panel kernel. Which thread computes an output never
   changes its value. */
static void matmul_compute(mv_context *ctx, const matmul_plan *p, int prep, int ith, int nth) {
    const mv_model *m = ctx->model;
    const tensor *w = p->w;
    const int n_in = (int)w->ne[0], n_out = (int)w->ne[1], unit = p->unit;
    const panel_act a = matmul_panel_act(ctx, p, prep);
    const int r0 = p->n_units * ith / nth * unit, r1 = p->n_units * (ith + 1) / nth * unit;
    for (int range = 0; range < 2; range++) {
        const int t0 = range ? p->split : 0, t1 = range ? p->n_tokens : p->split;
        const panel_kernel *pk = p->pk[range];
        if (t0 >= t1) continue;
        if (pk && r1 > r0) {
            const uint8_t *packed = w->panels && pk->pack ? w->panels + (size_t)(r0 / unit) * p->blocks * pk->pack_bytes : NULL;
            pk->fn(n_in, w->data + (size_t)r0 * p->w_stride, p->w_stride, r1 - r0, &a, t0, t1, p->out + r0, (size_t)n_out,
                   ctx->panel_scratch + (size_t)ith * PANEL_SCRATCH, packed);
        }
        else matmul_dots(m, w, p->act, p->act_stride, p->order_tokens, r0, r1, t0, t1, p->out);
        if (ith == nth - 1) matmul_dots(m, w, p->act, p->act_stride, p->order_tokens, p->n_units * unit, n_out, t0, t1, p->out);
    }
}

/* The plans' matmuls in one parallel region: each thread quantizes its
   share of the tokens once for all of them (with the side data prep), then,
   after a barrier, computes its share of each matrix's rows. */
static void matmul_run(mv_context *ctx, const matmul_plan *plan, int n, int prep) {
    MV_PARALLEL(ctx->params.n_threads) {
        const int ith = thread_index(), nth = thread_count();
        if (plan[0].quantize) {
            matmul_quantize(ctx, &plan[0], prep, ith, nth);
            MV_BARRIER
        }
        for (int j = 0; j < n; j++) matmul_compute(ctx, &plan[j], prep, ith, nth);
    }
}

/* out[j] = w[j]·x for n ≤ 3 weights that read the same rows x (q, k, v;
   gate, up): one region for all when their kernels read the same
   activations (one panel kernel's side data at most), else one each. */
static void matmul_same_input(mv_context *ctx, int n, float *const *out, const tensor *const *w, const float *x, int n_tokens,
                              bool one_by_one) {
    matmul_plan plan[3];
    int prep = PREP_NONE;
    bool shared = true;
    for (int j = 0; j < n; j++) {
        plan[j] = matmul_plan_for(ctx, out[j], w[j], x, n_tokens, one_by_one);
        shared = shared && plan[j].act_type == plan[0].act_type && !(plan[j].prep && prep && plan[j].prep != prep);
        if (plan[j].prep) prep = plan[j].prep;
    }
    if (shared) matmul_run(ctx, plan, n, prep);
    else
        for (int j = 0; j < n; j++) matmul_run(ctx, &plan[j], 1, plan[j].prep);
}

static void matmul_rows(mv_context *ctx, float *out, const tensor *w, const float *x, int n_tokens, bool one_by_one) {
    matmul_same_input(ctx, 1, &out, &w, x, n_tokens, one_by_one);
}

static void matmul(mv_context *ctx, float *out, const tensor *w, const float *x, int n_tokens) {
    matmul_rows(ctx, out, w, x, n_tokens, false);
}

/* The panel kernel whose layout w may be kept in: a matrix (not a stack of
   experts) of whole panels, whose single tokens go through a kernel with a
   layout, the same layout as its batches' kernel (a batch of 4: the unit of
   the repacked GEMM order). */
static const panel_kernel *packing_kernel(const mv_model *m, const tensor *w) {
    const panel_kernel *pk = matmul_panel(m, w, matmul_order(m, w, 1, 0), 1);
    if (!pk || !pk->pack || w->ne[2] != 1 || w->ne[1] % pk->rows ||
        PANEL_KERNELS[m->kernel_level][matmul_order(m, w, 4, 0)][w->type].pack != pk->pack)
        return NULL;
    return pk;
}

/* A matrix made resident at load: w's rows in pk's layout, panel after panel
   (pk NULL: as stored), read from source (the file w->data lies in, or NULL)
   into dst, dst_bytes long. */
typedef struct {
    const tensor *w;
    const panel_kernel *pk;
    const file_map *source;
    uint8_t *dst;
    size_t dst_bytes;
} resident_matrix;

enum { RESIDENT_READ = 1 << 20 }; /* bytes a thread reads at a time */

static resident_matrix resident_plan(const tensor *w, const panel_kernel *pk, const file_map *source) {
    resident_matrix r = {w, pk, source, NULL, w->nbytes};
    if (pk) r.dst_bytes = (size_t)(w->ne[1] / pk->rows) * (size_t)(w->ne[0] / TYPES[w->type].block_size) * pk->pack_bytes;
    return r;
}

/* The bytes of one panel's rows in the file (r packed). */
static size_t resident_panel_source_bytes(const resident_matrix *r) {
    return (size_t)r->pk->rows * row_bytes(r->w->type, r->w->ne[0]);
}

/* Thread me of n_threads makes its share of r: a copy reads straight into
   dst; packing reads a megabyte of whole panels at a time into buffer (of
   RESIDENT_READ bytes, or one panel's where that is more) and packs it. */
static void resident_part(const resident_matrix *r, int64_t me, int64_t n_threads, uint8_t *buffer) {
    const tensor *w = r->w;
    if (!r->pk) {
        const int64_t n_chunks = (int64_t)((w->nbytes + RESIDENT_READ - 1) / RESIDENT_READ);
        for (int64_t c = n_chunks * me / n_threads; c < n_chunks * (me + 1) / n_threads; c++) {
            const size_t at = (size_t)c * RESIDENT_READ, n = MV_MIN((size_t)RESIDENT_READ, w->nbytes - at);
            if (!read_mapped(r->source, w->data + at, n, r->dst + at)) memcpy(r->dst + at, w->data + at, n);
        }
        return;
    }
    const int64_t n_panels = w->ne[1] / r->pk->rows, blocks = w->ne[0] / TYPES[w->type].block_size;
    const size_t stride = row_bytes(w->type, w->ne[0]), panel_bytes = (size_t)blocks * r->pk->pack_bytes;
    const size_t source_bytes = resident_panel_source_bytes(r);
    const int64_t per_read = MV_MAX(1, (int64_t)(RESIDENT_READ / source_bytes)), end = n_panels * (me + 1) / n_threads;
    for (int64_t p = n_panels * me / n_threads; p < end; p += per_read) {
        const int64_t n = MV_MIN(per_read, end - p);
        const uint8_t *rows = w->data + (size_t)p * source_bytes;
        if (buffer && read_mapped(r->source, rows, (size_t)n * source_bytes, buffer)) rows = buffer;
        for (int64_t q = 0; q < n; q++) r->pk->pack(rows + (size_t)q * source_bytes, stride, 0, (int)blocks, r->dst + (size_t)(p + q) * panel_bytes);
    }
}

/* Matrices r[0..n) made resident in one parallel region, each split among
   the threads, with no barrier between them. */
static void make_resident(const resident_matrix *r, ptrdiff_t n) {
    size_t buffer_bytes = RESIDENT_READ;
    for (ptrdiff_t i = 0; i < n; i++)
        if (r[i].pk) buffer_bytes = MV_MAX(buffer_bytes, resident_panel_source_bytes(&r[i]));
    MV_PARALLEL(default_thread_count()) {
        uint8_t *buffer = malloc(buffer_bytes); /* NULL: packed from the mapping */
        for (ptrdiff_t i = 0; i < n; i++) resident_part(&r[i], thread_index(), thread_count(), buffer);
        free(buffer);
    }
}

/* y = x / sqrt(mean(x²) + eps) ⊙ w (the sum in double, as ggml). */
static void rmsnorm(float *y, const float *x, const float *w, int n, float eps) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float scale = 1.0f / sqrtf((float)(sum / n) + eps);
    for (int i = 0; i < n; i++) y[i] = x[i] * scale * w[i];
}

static void add_bias(float *x, const float *b, int n_rows, int n) {
    for (int t = 0; t < n_rows; t++)
        for (int i = 0; i < n; i++) x[(size_t)t * n + i] += b[i];
}

/* cos/sin of every rotated pair at position pos, as ggml computes them: the
   angle pos·base^(−2i/n_rot) (a running product in float), divided by the
   Llama-3 frequency factor, then YaRN's blend of interpolated and
   extrapolated angles with its magnitude correction (correction dims
   rounded outward unless the checkpoint says truncate: false). */
static void rope_angles(const hparams *hp, const float *freq_factors, int32_t pos, float *cs) {
    const float theta_scale = powf(hp->rope_base, -2.0f / (float)hp->n_rot);
    float corr_low = 0, corr_high = 0;
    if (hp->yarn_ext_factor != 0.0f) {
        const float n = (float)hp->n_rot, base = hp->rope_base, two_pi = 6.2831853071795864769f;
        corr_low = n * logf((float)hp->n_ctx_orig / (hp->yarn_beta_fast * two_pi)) / (2 * logf(base));
        corr_high = n * logf((float)hp->n_ctx_orig / (hp->yarn_beta_slow * two_pi)) / (2 * logf(base));
        if (hp->yarn_truncate) corr_low = floorf(corr_low), corr_high = ceilf(corr_high);
        corr_low = fmaxf(0, corr_low), corr_high = fminf(n - 1, corr_high);
    }
    float theta = (float)pos;
    for (int i = 0; i < hp->n_rot / 2; i++) {
        const float extrap = freq_factors ? theta / freq_factors[i] : theta;
        const float interp = hp->rope_freq_scale * extrap;
        float angle = interp, mscale = hp->yarn_attn_factor;
        if (hp->yarn_ext_factor != 0.0f) {
            const float y = ((float)i - corr_low) / fmaxf(0.001f, corr_high - corr_low);
            const float mix = (1 - fminf(1, fmaxf(0, y))) * hp->yarn_ext_factor;
            angle = interp * (1 - mix) + extrap * mix;
            mscale *= 1.0f + 0.1f * logf(1.0f / hp->rope_freq_scale);
        }
        cs[2 * i] = cosf(angle) * mscale;
        cs[2 * i + 1] = sinf(angle) * mscale;
        theta *= theta_scale;
    }
}

/* Rotates the first n_rot dims of each of n_heads heads of x. */
static void rope_apply(float *x, int n_heads, int head_dim, int n_rot, int style, const float *cs) {
    const int half = n_rot / 2;
    for (int h = 0; h < n_heads; h++) {
        float *v = x + (size_t)h * head_dim;
        for (int i = 0; i < half; i++) {
            const int i0 = style == ROPE_NORM ? 2 * i : i, i1 = style == ROPE_NORM ? 2 * i + 1 : i + half;
            const float a = v[i0], b = v[i1], c = cs[2 * i], s = cs[2 * i + 1];
            v[i0] = fmaf(a, c, -(b * s)); /* a's products fused, as llama.cpp's build computes them */
            v[i1] = fmaf(a, s, b * c);
        }
    }
}

/* x[i] = x[i]·f, rounded to F16 where to_f16 and kept as f32 (the values an
   F16 matmul multiplies, rounded as quantize_f16 rounds them): 16 or 8 at
   a time in registers where AVX-512 or F16C has it. */
static void scale_floats(float *x, int64_t n, float f, bool to_f16) {
    int64_t i = 0;
#if !defined(MV_NO_SIMD) && defined(SIMDE_X86_AVX512F_NATIVE)
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), _mm512_set1_ps(f));
        if (to_f16 && _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)) break;
        _mm512_storeu_ps(x + i, to_f16 ? _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)) : v);
    }
#endif
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(f));
        if (to_f16 && _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) break;
        _mm256_storeu_ps(x + i, to_f16 ? _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)) : v);
    }
#endif
    for (; i < n; i++) x[i] = to_f16 ? f16_to_f32(f32_to_f16(x[i] * f)) : x[i] * f;
}

/* x rounded to F16, kept as f32. */
static void round_f16(float *x, int64_t n) { scale_floats(x, n, 1.0f, true); }

/* y = softmax(x·scale) over n entries as ggml computes it: exp_approx 16
   at a time (expf for the rest), the sum in double, scaled by the float
   reciprocal of the sum, then rounded to F16 where to_f16. extra: a logit
   that only joins the denominator (an attention sink; −∞: none). Entries
   of −∞ come out 0. */
static void softmax(float *y, const float *x, int n, float scale, float extra, bool to_f16) {
    const float max = max_of(x, n, scale, extra);
    double sum = 0;
    const int n16 = n & ~15;
    int c = 0;
#if !defined(MV_NO_SIMD) && defined(SIMDE_X86_AVX512F_NATIVE)
    const simde__m512 scale16 = simde_mm512_set1_ps(scale), max16 = simde_mm512_set1_ps(max);
    for (; c + 256 <= n16; c += 256) { /* 16 chunks, their sums reduced together */
        simde__m512 e[16];
        int k = 0;
        while (k < 16 && mv512_exp_approx(simde_mm512_sub_ps(simde_mm512_mul_ps(simde_mm512_loadu_ps(x + c + 16 * k), scale16), max16), &e[k])) k++;
        if (k < 16) break; /* a NaN or an overflow: the loop below */
        float s[16];
        simde_mm512_storeu_ps(s, avx512_reduce16x16(e));
        for (k = 0; k < 16; k++) {
            simde_mm512_storeu_ps(y + c + 16 * k, e[k]);
            sum += (double)s[k];
        }
    }
#endif
    for (; c < n16; c += 16) {
        float e[16];
        for (int l = 0; l < 16; l++) e[l] = x[c + l] * scale - max;
        exp_approx16(e, e);
        memcpy(y + c, e, sizeof e);
        sum += reduce16(e);
    }
    for (int i = n16; i < n; i++) sum += (double)(y[i] = expf(x[i] * scale - max));
    if (extra != -INFINITY) sum += (double)expf(extra - max);
    scale_floats(y, n, (float)(1.0 / sum), to_f16);
}

/* k·q for a key in Q8_0 blocks and q in f32: q is not rounded (rounding it
   as well doubles the cache's error); 32 lanes, so that it vectorizes. */
static float score_q8_0(int n, const uint8_t *k, const float *restrict q) {
    const block_q8_0 *b = (const block_q8_0 *)k;
    float lanes[QK] = {0};
    for (int i = 0; i < n / QK; i++) {
        const float d = f16_to_f32(b[i].d);
        const int8_t *restrict qs = b[i].qs;
        for (int e = 0; e < QK; e++) lanes[e] += d * ((float)qs[e] * q[QK * i + e]);
    }
    for (int e = 0; e < QK / 2; e++) lanes[e] += lanes[e + QK / 2];
    return reduce16(lanes);
}

/* o = Σ p[slot]·V[slot] over the slots of value head kvh in a Q8_0 cache
   (slots of weight 0, masked or unused, skipped): block by block, in f32. */
static void attention_values_q8_0(const kv_cache *kv, int layer, int seq, int kvh, int hdv, const float *p, int n_slots,
                                  float *restrict o) {
    for (int d = 0; d < hdv; d++) o[d] = 0;
    for (int j = 0; j < n_slots; j++) {
        if (p[j] == 0.0f) continue;
        const block_q8_0 *b = (const block_q8_0 *)kv_v_slot(kv, layer, seq, j) + (size_t)kvh * (hdv / QK);
        for (int i = 0; i < hdv / QK; i++) {
            const float w = p[j] * f16_to_f32(b[i].d);
            const int8_t *restrict qs = b[i].qs;
            float *restrict oi = o + QK * i;
            for (int e = 0; e < QK; e++) oi[e] += w * (float)qs[e];
        }
    }
}

/* The factor of attention scores, 1/sqrt(head_dim). */
static float attention_scale(int head_dim) { return 1.0f / sqrtf((float)head_dim); }

/* An F16 cache's attention takes the query rows of one KV head (its query
   heads × tokens, at least 16 rows) together; a thread's scratch for it
   (scores or weights, q, results), in floats. */
static int attention_tile_tokens(const hparams *hp) { return MV_MAX(1, 16 / (hp->n_head / hp->n_head_kv)); }

static size_t attention_scratch_floats(const hparams *hp, int n_ctx) {
    const size_t rows = (size_t)attention_tile_tokens(hp) * (size_t)(hp->n_head / hp->n_head_kv), slots = (size_t)slots_padded(n_ctx);
    return rows * (slots + (size_t)hp->head_dim + (size_t)hp->head_dim_v) + 64;
}

/* Whether slot s holds a position that token pos sees (from first on). */
static bool slot_visible(int s, int pos, int first, int n_slots) {
    if (pos < n_slots) return s >= first && s <= pos; /* slot = position */
    return s < n_slots && pos - (pos - s) % n_slots >= first;
}

/* A row of scores of query head h at position pos, slots 0..n_pad-1
   (n_pad returned: the slots in use, padded), into its softmax weights
   (rounded to F16 where to_f16): scaled by 1/sqrt(head_dim), −∞ where
   hidden, the layer's sink added. */
static int attention_weights(const mv_model *m, int layer, int n_slots, int pos, int h, float *p, bool to_f16) {
    const layer_weights *L = &m->layers[layer];
    const int first = L->sliding ? MV_MAX(0, pos - m->hp.n_swa + 1) : 0;
    const int n_pad = MV_MIN(slots_padded(pos + 1), slots_padded(n_slots));
    if (pos < n_slots) { /* slot = position: those before first and after pos are hidden */
        for (int s = 0; s < first; s++) p[s] = -INFINITY;
        for (int s = pos + 1; s < n_pad; s++) p[s] = -INFINITY;
    } else
        for (int s = 0; s < n_pad; s++) p[s] = slot_visible(s, pos, first, n_slots) ? p[s] : -INFINITY;
    softmax(p, p, n_pad, attention_scale(m->hp.head_dim), L->attn_sinks ? L->attn_sinks[h] : -INFINITY, to_f16);
    return n_pad;
}

/* Attention of tokens t0..t1 (one sequence) for the query heads of KV head
   kvh over an F16 cache, as llama.cpp's batched matmuls without flash
   attention compute it: q and the weights rounded to F16, every sum K·q and
   Vᵀ·p in one 16-lane chain (its GEMM order), whatever the number of
   tokens. Slots a row does not see get −∞ scores, then weights of 0, which
   change no sum. */
static void attention_tile(mv_context *ctx, int layer, const float *q, float *out, const int32_t *pos, int seq, int t0, int t1, int kvh,
                           float *scratch, void *kernel_scratch) {
    const mv_model *m = ctx->model;
    const hparams *hp = &m->hp;
    const kv_cache *kv = &ctx->kv;
    const attention_kernel *ak = &ATTENTION_KERNELS[m->kernel_level];
    const int n_head = hp->n_head, hd = hp->head_dim, hdv = hp->head_dim_v, group = n_head / hp->n_head_kv;
    const int n_slots = kv->n_slots[layer], rows = (t1 - t0) * group, slots = slots_padded(kv->n_ctx);
    const size_t cap = (size_t)attention_tile_tokens(hp) * (size_t)group;
    float *score = scratch, *qf = score + cap * slots, *o = qf + cap * hd;
    int max_pos = 0;
    for (int t = t0; t < t1; t++) max_pos = MV_MAX(max_pos, pos[t]);
    const int n_keys = MV_MIN(n_slots, max_pos + 1), n_pad = MV_MIN(slots_padded(max_pos + 1), slots_padded(n_slots));
    for (int t = t0; t < t1; t++) memcpy(qf + (size_t)(t - t0) * group * hd, q + ((size_t)t * n_head + kvh * group) * hd, (size_t)group * hd * sizeof *qf);
    round_f16(qf, (int64_t)rows * hd);
    const size_t stride = kv_row_stride(kv, layer);
    const uint8_t *v0 = kv_v_row(kv, layer, seq, kvh * hdv);
    (hd % 16 == 0 ? ak->scores : attention_scores_f16_scalar)(hd, kv_k_blocks(kv, layer, seq, kvh), n_keys, qf, rows, score, (size_t)slots);
    for (int r = 0; r < rows; r++) {
        float *p = score + (size_t)r * slots;
        const int own_pad = attention_weights(m, layer, n_slots, pos[t0 + r / group], kvh * group + r % group, p, true);
        memset(p + own_pad, 0, (size_t)(n_pad - own_pad) * sizeof *p);
    }
    ak->values(n_pad, v0, stride, hdv, score, (size_t)slots, rows, o, (size_t)hdv, kernel_scratch);
    for (int t = t0; t < t1; t++)
        memcpy(out + ((size_t)t * n_head + kvh * group) * hdv, o + (size_t)(t - t0) * group * hdv, (size_t)group * hdv * sizeof *o);
}

/* Attention of n query rows (n_head heads each) over the cache: token t of
   sequence seq[t] at position pos[t] sees positions 0..pos[t], or the last
   n_swa of them on a sliding layer. Evaluated as llama.cpp evaluates it
   without flash attention: scores K·q times 1/sqrt(head_dim) over the
   cache's slots, −∞ where masked; softmax (with the layer's sink logit,
   GPT-OSS); out = Vᵀ·p. An F16 cache: attention_tile, a KV head's rows of
   up to 16 at a time. F32 and Q8_0 caches: a row at a time, sums as the
   dot kernels add them (vec_dot order), or in one 16-lane chain in F32
   batches (GEMM order). */
static void attention(mv_context *ctx, int layer, const float *q, float *out, const int32_t *pos, const int32_t *seq, int n) {
    const mv_model *m = ctx->model;
    const hparams *hp = &m->hp;
    const kv_cache *kv = &ctx->kv;
    const int n_head = hp->n_head, hd = hp->head_dim, hdv = hp->head_dim_v, group = hp->n_head / hp->n_head_kv;
    const int n_slots = kv->n_slots[layer];
    if (kv->type == MV_TYPE_F16) {
        const int tile = attention_tile_tokens(hp), n_tiles = (n + tile - 1) / tile;
        MV_PARALLEL_FOR(ctx->params.n_threads)
        for (int job = 0; job < hp->n_head_kv * n_tiles; job++) {
            const int kvh = job / n_tiles, t0 = job % n_tiles * tile, t1 = MV_MIN(n, t0 + tile);
            const int ith = thread_index();
            float *scratch = ctx->att_scores + (size_t)ith * attention_scratch_floats(hp, kv->n_ctx);
            for (int a = t0, b; a < t1; a = b) { /* runs of one sequence */
                for (b = a + 1; b < t1 && seq[b] == seq[a]; b++) {}
                attention_tile(ctx, layer, q, out, pos, seq[a], a, b, kvh, scratch, ctx->panel_scratch + (size_t)ith * PANEL_SCRATCH);
            }
        }
        return;
    }
    const bool q8 = kv->type == MV_TYPE_Q8_0;
    const dot_fn dot = m->dot[ORDER_VEC][kv->type], chain = n > 1 ? m->dot[ORDER_GEMM][kv->type] : NULL;
    MV_PARALLEL_FOR(ctx->params.n_threads)
    for (int job = 0; job < n * n_head; job++) {
        const int t = job / n_head, h = job % n_head, kvh = h / group, n_keys = MV_MIN(n_slots, pos[t] + 1);
        const float *qh = q + ((size_t)t * n_head + h) * hd;
        float *p = ctx->att_scores + (size_t)thread_index() * attention_scratch_floats(hp, kv->n_ctx);
        for (int s = 0; s < n_keys; s++) {
            const uint8_t *k = kv_k_row(kv, layer, seq[t], kvh, s);
            p[s] = q8 ? score_q8_0(hd, k, qh) : dot(hd, k, qh);
        }
        const int n_pad = attention_weights(m, layer, n_slots, pos[t], h, p, false);
        float *o = out + ((size_t)t * n_head + h) * hdv;
        if (q8) attention_values_q8_0(kv, layer, seq[t], kvh, hdv, p, MV_MIN(n_pad, n_slots), o);
        else
            for (int d = 0; d < hdv; d++) o[d] = (chain ? chain : dot)(n_pad, kv_v_row(kv, layer, seq[t], kvh * hdv + d), p);
    }
}

/* gate = silu(gate) ⊙ up per row of n_ff, silu(x) = x / (1 + e^−x): 16 at a
   time with exp_approx, the rest with expf, as llama.cpp's AVX-512 build. */
static void swiglu(float *gate, const float *up, int n_rows, int n_ff) {
    for (int t = 0; t < n_rows; t++) {
        float *g = gate + (size_t)t * n_ff;
        const float *u = up + (size_t)t * n_ff;
        const int n16 = n_ff & ~15;
        for (int c = 0; c < n16; c += 16) {
            float e[16];
            for (int l = 0; l < 16; l++) e[l] = 0.0f - g[c + l];
            exp_approx16(e, e);
            for (int l = 0; l < 16; l++) g[c + l] = g[c + l] / (1.0f + e[l]) * u[c + l];
        }
        for (int i = n16; i < n_ff; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
    }
}

static void attention_block(mv_context *ctx, int il, const int32_t *pos, const int32_t *seq, int n) {
    const mv_model *m = ctx->model;
    const hparams *hp = &m->hp;
    const layer_weights *L = &m->layers[il];
    const int E = hp->n_embd, nq = hp->n_head * hp->head_dim, nk = hp->n_head_kv * hp->head_dim;
    const int nv = hp->n_head_kv * hp->head_dim_v;
    for (int t = 0; t < n; t++) rmsnorm(ctx->xn + (size_t)t * E, ctx->x + (size_t)t * E, L->attn_norm, E, hp->rms_eps);
    float *const qkv[3] = {ctx->q, ctx->k, ctx->v};
    const tensor *const w_qkv[3] = {L->wq, L->wk, L->wv};
    matmul_same_input(ctx, 3, qkv, w_qkv, ctx->xn, n, false);
    if (L->bq) add_bias(ctx->q, L->bq, n, nq);
    if (L->bk) add_bias(ctx->k, L->bk, n, nk);
    if (L->bv) add_bias(ctx->v, L->bv, n, nv);
    for (int t = 0; t < n; t++) {
        float *q = ctx->q + (size_t)t * nq, *k = ctx->k + (size_t)t * nk;
        if (L->q_norm)
            for (int h = 0; h < hp->n_head; h++) rmsnorm(q + h * hp->head_dim, q + h * hp->head_dim, L->q_norm, hp->head_dim, hp->rms_eps);
        if (L->k_norm)
            for (int h = 0; h < hp->n_head_kv; h++) rmsnorm(k + h * hp->head_dim, k + h * hp->head_dim, L->k_norm, hp->head_dim, hp->rms_eps);
        const float *cs = ctx->rope + (size_t)t * hp->n_rot;
        rope_apply(q, hp->n_head, hp->head_dim, hp->n_rot, hp->rope_style, cs);
        rope_apply(k, hp->n_head_kv, hp->head_dim, hp->n_rot, hp->rope_style, cs);
        kv_store(&ctx->kv, il, seq[t], pos[t], k, ctx->v + (size_t)t * nv);
    }
    attention(ctx, il, ctx->q, ctx->att, pos, seq, n);
    matmul(ctx, ctx->tmp, L->wo, ctx->att, n);
    if (L->bo) add_bias(ctx->tmp, L->bo, n, E);
    for (size_t i = 0; i < (size_t)n * E; i++) ctx->x[i] += ctx->tmp[i];
}

/* GPT-OSS's activation: x = min(g, 7), y = clamp(u, −7, 7),
   g ← x·σ(1.702·x)·(y + 1), with expf as ggml's swiglu_oai. */
static void swiglu_oai(float *gate, const float *up, int n_rows, int n_ff) {
    const float alpha = 1.702f, limit = 7.0f;
    for (size_t i = 0; i < (size_t)n_rows * n_ff; i++) {
        const float x = fminf(gate[i], limit), y = fminf(fmaxf(up[i], -limit), limit);
        gate[i] = x / (1.0f + expf(alpha * -x)) * (y + 1.0f);
    }
}

/* The experts token t uses (sel) and their weights, best first, from its
   router logits, as llama.cpp's build_moe_ffn: SOFTMAX: softmax of all
   logits, the top k of those, renormalized to sum 1 (the sum clamped below
   at F16's smallest normal); SOFTMAX_WEIGHT: the top k logits, softmaxed. */
static void route_token(const hparams *hp, float *logits, int32_t *sel, float *weight) {
    const int n_expert = hp->n_expert, k = hp->n_expert_used;
    const bool softmax_all = ARCHS[hp->arch].gating == GATING_SOFTMAX;
    if (softmax_all) softmax(logits, logits, n_expert, 1.0f, -INFINITY, false);
    for (int i = 0; i < k; i++) { /* selection by descending value; ties to the lower index */
        int best = -1;
        for (int e = 0; e < n_expert; e++) {
            bool taken = false;
            for (int j = 0; j < i; j++) taken |= sel[j] == e;
            if (!taken && (best < 0 || logits[e] > logits[best])) best = e;
        }
        sel[i] = best, weight[i] = logits[best];
    }
    if (softmax_all) {
        double sum = 0;
        for (int i = 0; i < k; i++) sum += weight[i];
        const float total = fmaxf((float)sum, 6.103515625e-5f);
        for (int i = 0; i < k; i++) weight[i] /= total;
    } else {
        softmax(weight, weight, k, 1.0f, -INFINITY, false);
    }
}

/* A mixture of experts: each token's k experts, computed expert by expert
   over the tokens that chose it (each expert's weights read once a batch),
   then x += Σ weight·output in the routing order. */
static void moe_block(mv_context *ctx, int il, int n) {
    const hparams *hp = &ctx->model->hp;
    const layer_weights *L = &ctx->model->layers[il];
    const int E = hp->n_embd, F = hp->n_ff_exp, k = hp->n_expert_used;
    matmul(ctx, ctx->router, L->ffn_router, ctx->xn, n);
    if (L->ffn_router_b) add_bias(ctx->router, L->ffn_router_b, n, hp->n_expert);
    for (int t = 0; t < n; t++) route_token(hp, ctx->router + (size_t)t * hp->n_expert, ctx->moe_sel + t * k, ctx->moe_weight + t * k);
    for (int e = 0; e < hp->n_expert; e++) {
        int count = 0;
        for (int i = 0; i < n * k; i++)
            if (ctx->moe_sel[i] == e) {
                memcpy(ctx->moe_in + (size_t)count * E, ctx->xn + (size_t)(i / k) * E, (size_t)E * sizeof(float));
                ctx->moe_slot[count++] = i;
            }
        ctx->expert_hits[(size_t)il * hp->n_expert + e] += (uint64_t)count;
        if (!count) continue;
        const tensor *w[3] = {L->ffn_gate_exps, L->ffn_up_exps, L->ffn_down_exps};
        tensor expert[3];
        for (int j = 0; j < 3; j++) {
            expert[j] = *w[j];
            expert[j].data += (size_t)e * (size_t)w[j]->ne[1] * row_bytes(w[j]->type, w[j]->ne[0]);
            expert[j].ne[2] = 1;
        }
        float *const gate_up[2] = {ctx->gate, ctx->up};
        const tensor *const w_gate_up[2] = {&expert[0], &expert[1]};
        matmul_same_input(ctx, 2, gate_up, w_gate_up, ctx->moe_in, count, true);
        if (L->ffn_gate_exps_b) add_bias(ctx->gate, L->ffn_gate_exps_b + (size_t)e * F, count, F);
        if (L->ffn_up_exps_b) add_bias(ctx->up, L->ffn_up_exps_b + (size_t)e * F, count, F);
        if (ARCHS[hp->arch].activation == ACT_SWIGLU_OAI) swiglu_oai(ctx->gate, ctx->up, count, F);
        else swiglu(ctx->gate, ctx->up, count, F);
        matmul_rows(ctx, ctx->tmp, &expert[2], ctx->gate, count, true);
        if (L->ffn_down_exps_b) add_bias(ctx->tmp, L->ffn_down_exps_b + (size_t)e * E, count, E);
        for (int c = 0; c < count; c++)
            memcpy(ctx->moe_out + (size_t)ctx->moe_slot[c] * E, ctx->tmp + (size_t)c * E, (size_t)E * sizeof(float));
    }
    const float scale = hp->expert_weights_scale;
    for (int t = 0; t < n; t++) {
        float *w = ctx->moe_weight + t * k;
        if (scale != 0.0f && scale != 1.0f)
            for (int j = 0; j < k; j++) w[j] *= scale;
        const float *y = ctx->moe_out + (size_t)t * k * E;
        for (int i = 0; i < E; i++) {
            float sum = y[i] * w[0];
            for (int j = 1; j < k; j++) sum += y[(size_t)j * E + i] * w[j];
            ctx->x[(size_t)t * E + i] += sum;
        }
    }
}

static void ffn_block(mv_context *ctx, int il, int n) {
    const hparams *hp = &ctx->model->hp;
    const layer_weights *L = &ctx->model->layers[il];
    const int E = hp->n_embd;
    for (int t = 0; t < n; t++) rmsnorm(ctx->xn + (size_t)t * E, ctx->x + (size_t)t * E, L->ffn_norm, E, hp->rms_eps);
    if (L->ffn_router) {
        moe_block(ctx, il, n);
        return;
    }
    float *const gate_up[2] = {ctx->gate, ctx->up};
    const tensor *const w_gate_up[2] = {L->ffn_gate, L->ffn_up};
    matmul_same_input(ctx, 2, gate_up, w_gate_up, ctx->xn, n, false);
    swiglu(ctx->gate, ctx->up, n, hp->n_ff);
    matmul(ctx, ctx->tmp, L->ffn_down, ctx->gate, n);
    for (size_t i = 0; i < (size_t)n * E; i++) ctx->x[i] += ctx->tmp[i];
}

/* Evaluates n ≤ n_batch tokens; writes the logits of the tokens with
   want[t] set, in order, to logits. */
static void forward(mv_context *ctx, const mv_token *tokens, const int32_t *pos, const int32_t *seq, int n,
                    const int8_t *want, float *logits) {
    const mv_model *m = ctx->model;
    const hparams *hp = &m->hp;
    const int E = hp->n_embd;
    const size_t embd_row = row_bytes(m->w.tok_embd->type, E);
    for (int t = 0; t < n; t++) {
        TYPES[m->w.tok_embd->type].dequantize(m->w.tok_embd->data + (size_t)tokens[t] * embd_row, ctx->x + (size_t)t * E, E);
        rope_angles(hp, m->w.rope_freqs, pos[t], ctx->rope + (size_t)t * hp->n_rot);
        ctx->kv.ring_pos[(size_t)seq[t] * ctx->kv.n_ring + pos[t] % ctx->kv.n_ring] = pos[t];
    }
    for (int il = 0; il < hp->n_layer; il++) {
        attention_block(ctx, il, pos, seq, n);
        ffn_block(ctx, il, n);
    }
    int n_out = 0;
    for (int t = 0; t < n; t++)
        if (want[t]) rmsnorm(ctx->xn + (size_t)n_out++ * E, ctx->x + (size_t)t * E, m->w.output_norm, E, hp->rms_eps);
    if (n_out) matmul(ctx, logits, m->w.output ? m->w.output : m->w.tok_embd, ctx->xn, n_out);
}

/* ============================================================================
   9. text — Unicode properties, UTF-8, NFC, the pre-tokenizers of BPE vocabularies
   ============================================================================ */

/* The pre-tokenizers are the regexes of tokenizer.json files, matched by
   table-driven scanners instead of a regex engine. The tables between the
   markers are written by tools/gen_unicode.py from the Unicode Character
   Database (Debian's unicode-data); rerun it to move to a new version. */

/* BEGIN GENERATED UNICODE TABLES */
/* Generated by gen_unicode.py from the Unicode 15.0.0 data files; do not edit by hand. */

#define UNICODE_VERSION "15.0.0"

/* General categories, in UnicodeData.txt's two-letter names. */
enum unicode_category {
    UC_Lu, UC_Ll, UC_Lt, UC_Lm, UC_Lo, UC_Mn, UC_Mc, UC_Me, UC_Nd, UC_Nl, UC_No, UC_Pc, UC_Pd, UC_Ps, UC_Pe,
    UC_Pi, UC_Pf, UC_Po, UC_Sm, UC_Sc, UC_Sk, UC_So, UC_Zs, UC_Zl, UC_Zp, UC_Cc, UC_Cf, UC_Cs, UC_Co, UC_Cn,
};

/* General category: (start << 5) | category for each run of code points that
   share one; a run lasts until the next start. 4007 runs. */
static const uint32_t unicode_category_runs[4007] = {
    0x19, 0x416, 0x431, 0x493, 0x4B1, 0x50D, 0x52E, 0x551, 0x572, 0x591, 0x5AC, 0x5D1,
    0x608, 0x751, 0x792, 0x7F1, 0x820, 0xB6D, 0xB91, 0xBAE, 0xBD4, 0xBEB, 0xC14, 0xC21,
    0xF6D, 0xF92, 0xFAE, 0xFD2, 0xFF9, 0x1416, 0x1431, 0x1453, 0x14D5, 0x14F1, 0x1514, 0x1535,
    0x1544, 0x156F, 0x1592, 0x15BA, 0x15D5, 0x15F4, 0x1615, 0x1632, 0x164A, 0x1694, 0x16A1, 0x16D1,
    0x1714, 0x172A, 0x1744, 0x1770, 0x178A, 0x17F1, 0x1800, 0x1AF2, 0x1B00, 0x1BE1, 0x1EF2, 0x1F01,
    0x2000, 0x2021, 0x2040, 0x2061, 0x2080, 0x20A1, 0x20C0, 0x20E1, 0x2100, 0x2121, 0x2140, 0x2161,
    0x2180, 0x21A1, 0x21C0, 0x21E1, 0x2200, 0x2221, 0x2240, 0x2261, 0x2280, 0x22A1, 0x22C0, 0x22E1,
    0x2300, 0x2321, 0x2340, 0x2361, 0x2380, 0x23A1, 0x23C0, 0x23E1, 0x2400, 0x2421, 0x2440, 0x2461,
    0x2480, 0x24A1, 0x24C0, 0x24E1, 0x2500, 0x2521, 0x2540, 0x2561, 0x2580, 0x25A1, 0x25C0, 0x25E1,
    0x2600, 0x2621, 0x2640, 0x2661, 0x2680, 0x26A1, 0x26C0, 0x26E1, 0x2720, 0x2741, 0x2760, 0x2781,
    0x27A0, 0x27C1, 0x27E0, 0x2801, 0x2820, 0x2841, 0x2860, 0x2881, 0x28A0, 0x28C1, 0x28E0, 0x2901,
    0x2940, 0x2961, 0x2980, 0x29A1, 0x29C0, 0x29E1, 0x2A00, 0x2A21, 0x2A40, 0x2A61, 0x2A80, 0x2AA1,
    0x2AC0, 0x2AE1, 0x2B00, 0x2B21, 0x2B40, 0x2B61, 0x2B80, 0x2BA1, 0x2BC0, 0x2BE1, 0x2C00, 0x2C21,
    0x2C40, 0x2C61, 0x2C80, 0x2CA1, 0x2CC0, 0x2CE1, 0x2D00, 0x2D21, 0x2D40, 0x2D61, 0x2D80, 0x2DA1,
    0x2DC0, 0x2DE1, 0x2E00, 0x2E21, 0x2E40, 0x2E61, 0x2E80, 0x2EA1, 0x2EC0, 0x2EE1, 0x2F00, 0x2F41,
    0x2F60, 0x2F81, 0x2FA0, 0x2FC1, 0x3020, 0x3061, 0x3080, 0x30A1, 0x30C0, 0x3101, 0x3120, 0x3181,
    0x31C0, 0x3241, 0x3260, 0x32A1, 0x32C0, 0x3321, 0x3380, 0x33C1, 0x33E0, 0x3421, 0x3440, 0x3461,
    0x3480, 0x34A1, 0x34C0, 0x3501, 0x3520, 0x3541, 0x3580, 0x35A1, 0x35C0, 0x3601, 0x3620, 0x3681,
    0x36A0, 0x36C1, 0x36E0, 0x3721, 0x3764, 0x3780, 0x37A1, 0x3804, 0x3880, 0x38A2, 0x38C1, 0x38E0,
    0x3902, 0x3921, 0x3940, 0x3962, 0x3981, 0x39A0, 0x39C1, 0x39E0, 0x3A01, 0x3A20, 0x3A41, 0x3A60,
    0x3A81, 0x3AA0, 0x3AC1, 0x3AE0, 0x3B01, 0x3B20, 0x3B41, 0x3B60, 0x3B81, 0x3BC0, 0x3BE1, 0x3C00,
    0x3C21, 0x3C40, 0x3C61, 0x3C80, 0x3CA1, 0x3CC0, 0x3CE1, 0x3D00, 0x3D21, 0x3D40, 0x3D61, 0x3D80,
    0x3DA1, 0x3DC0, 0x3DE1, 0x3E20, 0x3E42, 0x3E61, 0x3E80, 0x3EA1, 0x3EC0, 0x3F21, 0x3F40, 0x3F61,
    0x3F80, 0x3FA1, 0x3FC0, 0x3FE1, 0x4000, 0x4021, 0x4040, 0x4061, 0x4080, 0x40A1, 0x40C0, 0x40E1,
    0x4100, 0x4121, 0x4140, 0x4161, 0x4180, 0x41A1, 0x41C0, 0x41E1, 0x4200, 0x4221, 0x4240, 0x4261,
    0x4280, 0x42A1, 0x42C0, 0x42E1, 0x4300, 0x4321, 0x4340, 0x4361, 0x4380, 0x43A1, 0x43C0, 0x43E1,
    0x4400, 0x4421, 0x4440, 0x4461, 0x4480, 0x44A1, 0x44C0, 0x44E1, 0x4500, 0x4521, 0x4540, 0x4561,
    0x4580, 0x45A1, 0x45C0, 0x45E1, 0x4600, 0x4621, 0x4640, 0x4661, 0x4740, 0x4781, 0x47A0, 0x47E1,
    0x4820, 0x4841, 0x4860, 0x48E1, 0x4900, 0x4921, 0x4940, 0x4961, 0x4980, 0x49A1, 0x49C0, 0x49E1,
    0x5284, 0x52A1, 0x5603, 0x5854, 0x58C3, 0x5A54, 0x5C03, 0x5CB4, 0x5D83, 0x5DB4, 0x5DC3, 0x5DF4,
    0x6005, 0x6E00, 0x6E21, 0x6E40, 0x6E61, 0x6E83, 0x6EB4, 0x6EC0, 0x6EE1, 0x6F1D, 0x6F43, 0x6F61,
    0x6FD1, 0x6FE0, 0x701D, 0x7094, 0x70C0, 0x70F1, 0x7100, 0x717D, 0x7180, 0x71BD, 0x71C0, 0x7201,
    0x7220, 0x745D, 0x7460, 0x7581, 0x79E0, 0x7A01, 0x7A40, 0x7AA1, 0x7B00, 0x7B21, 0x7B40, 0x7B61,
    0x7B80, 0x7BA1, 0x7BC0, 0x7BE1, 0x7C00, 0x7C21, 0x7C40, 0x7C61, 0x7C80, 0x7CA1, 0x7CC0, 0x7CE1,
    0x7D00, 0x7D21, 0x7D40, 0x7D61, 0x7D80, 0x7DA1, 0x7DC0, 0x7DE1, 0x7E80, 0x7EA1, 0x7ED2, 0x7EE0,
    0x7F01, 0x7F20, 0x7F61, 0x7FA0, 0x8601, 0x8C00, 0x8C21, 0x8C40, 0x8C61, 0x8C80, 0x8CA1, 0x8CC0,
    0x8CE1, 0x8D00, 0x8D21, 0x8D40, 0x8D61, 0x8D80, 0x8DA1, 0x8DC0, 0x8DE1, 0x8E00, 0x8E21, 0x8E40,
    0x8E61, 0x8E80, 0x8EA1, 0x8EC0, 0x8EE1, 0x8F00, 0x8F21, 0x8F40, 0x8F61, 0x8F80, 0x8FA1, 0x8FC0,
    0x8FE1, 0x9000, 0x9021, 0x9055, 0x9065, 0x9107, 0x9140, 0x9161, 0x9180, 0x91A1, 0x91C0, 0x91E1,
    0x9200, 0x9221, 0x9240, 0x9261, 0x9280, 0x92A1, 0x92C0, 0x92E1, 0x9300, 0x9321, 0x9340, 0x9361,
    0x9380, 0x93A1, 0x93C0, 0x93E1, 0x9400, 0x9421, 0x9440, 0x9461, 0x9480, 0x94A1, 0x94C0, 0x94E1,
    0x9500, 0x9521, 0x9540, 0x9561, 0x9580, 0x95A1, 0x95C0, 0x95E1, 0x9600, 0x9621, 0x9640, 0x9661,
    0x9680, 0x96A1, 0x96C0, 0x96E1, 0x9700, 0x9721, 0x9740, 0x9761, 0x9780, 0x97A1, 0x97C0, 0x97E1,
    0x9800, 0x9841, 0x9860, 0x9881, 0x98A0, 0x98C1, 0x98E0, 0x9901, 0x9920, 0x9941, 0x9960, 0x9981,
    0x99A0, 0x99C1, 0x9A00, 0x9A21, 0x9A40, 0x9A61, 0x9A80, 0x9AA1, 0x9AC0, 0x9AE1, 0x9B00, 0x9B21,
    0x9B40, 0x9B61, 0x9B80, 0x9BA1, 0x9BC0, 0x9BE1, 0x9C00, 0x9C21, 0x9C40, 0x9C61, 0x9C80, 0x9CA1,
    0x9CC0, 0x9CE1, 0x9D00, 0x9D21, 0x9D40, 0x9D61, 0x9D80, 0x9DA1, 0x9DC0, 0x9DE1, 0x9E00, 0x9E21,
    0x9E40, 0x9E61, 0x9E80, 0x9EA1, 0x9EC0, 0x9EE1, 0x9F00, 0x9F21, 0x9F40, 0x9F61, 0x9F80, 0x9FA1,
    0x9FC0, 0x9FE1, 0xA000, 0xA021, 0xA040, 0xA061, 0xA080, 0xA0A1, 0xA0C0, 0xA0E1, 0xA100, 0xA121,
    0xA140, 0xA161, 0xA180, 0xA1A1, 0xA1C0, 0xA1E1, 0xA200, 0xA221, 0xA240, 0xA261, 0xA280, 0xA2A1,
    0xA2C0, 0xA2E1, 0xA300, 0xA321, 0xA340, 0xA361, 0xA380, 0xA3A1, 0xA3C0, 0xA3E1, 0xA400, 0xA421,
    0xA440, 0xA461, 0xA480, 0xA4A1, 0xA4C0, 0xA4E1, 0xA500, 0xA521, 0xA540, 0xA561, 0xA580, 0xA5A1,
    0xA5C0, 0xA5E1, 0xA61D, 0xA620, 0xAAFD, 0xAB23, 0xAB51, 0xAC01, 0xB131, 0xB14C, 0xB17D, 0xB1B5,
    0xB1F3, 0xB21D, 0xB225, 0xB7CC, 0xB7E5, 0xB811, 0xB825, 0xB871, 0xB885, 0xB8D1, 0xB8E5, 0xB91D,
    0xBA04, 0xBD7D, 0xBDE4, 0xBE71, 0xBEBD, 0xC01A, 0xC0D2, 0xC131, 0xC173, 0xC191, 0xC1D5, 0xC205,
    0xC371, 0xC39A, 0xC3B1, 0xC404, 0xC803, 0xC824, 0xC965, 0xCC08, 0xCD51, 0xCDC4, 0xCE05, 0xCE24,
    0xDA91, 0xDAA4, 0xDAC5, 0xDBBA, 0xDBD5, 0xDBE5, 0xDCA3, 0xDCE5, 0xDD35, 0xDD45, 0xDDC4, 0xDE08,
    0xDF44, 0xDFB5, 0xDFE4, 0xE011, 0xE1DD, 0xE1FA, 0xE204, 0xE225, 0xE244, 0xE605, 0xE97D, 0xE9A4,
    0xF4C5, 0xF624, 0xF65D, 0xF808, 0xF944, 0xFD65, 0xFE83, 0xFED5, 0xFEF1, 0xFF43, 0xFF7D, 0xFFA5,
    0xFFD3, 0x10004, 0x102C5, 0x10343, 0x10365, 0x10483, 0x104A5, 0x10503, 0x10525, 0x105DD, 0x10611, 0x107FD,
    0x10804, 0x10B25, 0x10B9D, 0x10BD1, 0x10BFD, 0x10C04, 0x10D7D, 0x10E04, 0x11114, 0x11124, 0x111FD, 0x1121A,
    0x1125D, 0x11305, 0x11404, 0x11923, 0x11945, 0x11C5A, 0x11C65, 0x12066, 0x12084, 0x12745, 0x12766, 0x12785,
    0x127A4, 0x127C6, 0x12825, 0x12926, 0x129A5, 0x129C6, 0x12A04, 0x12A25, 0x12B04, 0x12C45, 0x12C91, 0x12CC8,
    0x12E11, 0x12E23, 0x12E44, 0x13025, 0x13046, 0x1309D, 0x130A4, 0x131BD, 0x131E4, 0x1323D, 0x13264, 0x1353D,
    0x13544, 0x1363D, 0x13644, 0x1367D, 0x136C4, 0x1375D, 0x13785, 0x137A4, 0x137C6, 0x13825, 0x138BD, 0x138E6,
    0x1393D, 0x13966, 0x139A5, 0x139C4, 0x139FD, 0x13AE6, 0x13B1D, 0x13B84, 0x13BDD, 0x13BE4, 0x13C45, 0x13C9D,
    0x13CC8, 0x13E04, 0x13E53, 0x13E8A, 0x13F55, 0x13F73, 0x13F84, 0x13FB1, 0x13FC5, 0x13FFD, 0x14025, 0x14066,
    0x1409D, 0x140A4, 0x1417D, 0x141E4, 0x1423D, 0x14264, 0x1453D, 0x14544, 0x1463D, 0x14644, 0x1469D, 0x146A4,
    0x146FD, 0x14704, 0x1475D, 0x14785, 0x147BD, 0x147C6, 0x14825, 0x1487D, 0x148E5, 0x1493D, 0x14965, 0x149DD,
    0x14A25, 0x14A5D, 0x14B24, 0x14BBD, 0x14BC4, 0x14BFD, 0x14CC8, 0x14E05, 0x14E44, 0x14EA5, 0x14ED1, 0x14EFD,
    0x15025, 0x15066, 0x1509D, 0x150A4, 0x151DD, 0x151E4, 0x1525D, 0x15264, 0x1553D, 0x15544, 0x1563D, 0x15644,
    0x1569D, 0x156A4, 0x1575D, 0x15785, 0x157A4, 0x157C6, 0x15825, 0x158DD, 0x158E5, 0x15926, 0x1595D, 0x15966,
    0x159A5, 0x159DD, 0x15A04, 0x15A3D, 0x15C04, 0x15C45, 0x15C9D, 0x15CC8, 0x15E11, 0x15E33, 0x15E5D, 0x15F24,
    0x15F45, 0x1601D, 0x16025, 0x16046, 0x1609D, 0x160A4, 0x161BD, 0x161E4, 0x1623D, 0x16264, 0x1653D, 0x16544,
    0x1663D, 0x16644, 0x1669D, 0x166A4, 0x1675D, 0x16785, 0x167A4, 0x167C6, 0x167E5, 0x16806, 0x16825, 0x168BD,
    0x168E6, 0x1693D, 0x16966, 0x169A5, 0x169DD, 0x16AA5, 0x16AE6, 0x16B1D, 0x16B84, 0x16BDD, 0x16BE4, 0x16C45,
    0x16C9D, 0x16CC8, 0x16E15, 0x16E24, 0x16E4A, 0x16F1D, 0x17045, 0x17064, 0x1709D, 0x170A4, 0x1717D, 0x171C4,
    0x1723D, 0x17244, 0x172DD, 0x17324, 0x1737D, 0x17384, 0x173BD, 0x173C4, 0x1741D, 0x17464, 0x174BD, 0x17504,
    0x1757D, 0x175C4, 0x1775D, 0x177C6, 0x17805, 0x17826, 0x1787D, 0x178C6, 0x1793D, 0x17946, 0x179A5, 0x179DD,
    0x17A04, 0x17A3D, 0x17AE6, 0x17B1D, 0x17CC8, 0x17E0A, 0x17E75, 0x17F33, 0x17F55, 0x17F7D, 0x18005, 0x18026,
    0x18085, 0x180A4, 0x181BD, 0x181C4, 0x1823D, 0x18244, 0x1853D, 0x18544, 0x1875D, 0x18785, 0x187A4, 0x187C5,
    0x18826, 0x188BD, 0x188C5, 0x1893D, 0x18945, 0x189DD, 0x18AA5, 0x18AFD, 0x18B04, 0x18B7D, 0x18BA4, 0x18BDD,
    0x18C04, 0x18C45, 0x18C9D, 0x18CC8, 0x18E1D, 0x18EF1, 0x18F0A, 0x18FF5, 0x19004, 0x19025, 0x19046, 0x19091,
    0x190A4, 0x191BD, 0x191C4, 0x1923D, 0x19244, 0x1953D, 0x19544, 0x1969D, 0x196A4, 0x1975D, 0x19785, 0x197A4,
    0x197C6, 0x197E5, 0x19806, 0x198BD, 0x198C5, 0x198E6, 0x1993D, 0x19946, 0x19985, 0x199DD, 0x19AA6, 0x19AFD,
    0x19BA4, 0x19BFD, 0x19C04, 0x19C45, 0x19C9D, 0x19CC8, 0x19E1D, 0x19E24, 0x19E66, 0x19E9D, 0x1A005, 0x1A046,
    0x1A084, 0x1A1BD, 0x1A1C4, 0x1A23D, 0x1A244, 0x1A765, 0x1A7A4, 0x1A7C6, 0x1A825, 0x1A8BD, 0x1A8C6, 0x1A93D,
    0x1A946, 0x1A9A5, 0x1A9C4, 0x1A9F5, 0x1AA1D, 0x1AA84, 0x1AAE6, 0x1AB0A, 0x1ABE4, 0x1AC45, 0x1AC9D, 0x1ACC8,
    0x1AE0A, 0x1AF35, 0x1AF44, 0x1B01D, 0x1B025, 0x1B046, 0x1B09D, 0x1B0A4, 0x1B2FD, 0x1B344, 0x1B65D, 0x1B664,
    0x1B79D, 0x1B7A4, 0x1B7DD, 0x1B804, 0x1B8FD, 0x1B945, 0x1B97D, 0x1B9E6, 0x1BA45, 0x1BABD, 0x1BAC5, 0x1BAFD,
    0x1BB06, 0x1BC1D, 0x1BCC8, 0x1BE1D, 0x1BE46, 0x1BE91, 0x1BEBD, 0x1C024, 0x1C625, 0x1C644, 0x1C685, 0x1C77D,
    0x1C7F3, 0x1C804, 0x1C8C3, 0x1C8E5, 0x1C9F1, 0x1CA08, 0x1CB51, 0x1CB9D, 0x1D024, 0x1D07D, 0x1D084, 0x1D0BD,
    0x1D0C4, 0x1D17D, 0x1D184, 0x1D49D, 0x1D4A4, 0x1D4DD, 0x1D4E4, 0x1D625, 0x1D644, 0x1D685, 0x1D7A4, 0x1D7DD,
    0x1D804, 0x1D8BD, 0x1D8C3, 0x1D8FD, 0x1D905, 0x1D9FD, 0x1DA08, 0x1DB5D, 0x1DB84, 0x1DC1D, 0x1E004, 0x1E035,
    0x1E091, 0x1E275, 0x1E291, 0x1E2B5, 0x1E305, 0x1E355, 0x1E408, 0x1E54A, 0x1E695, 0x1E6A5, 0x1E6D5, 0x1E6E5,
    0x1E715, 0x1E725, 0x1E74D, 0x1E76E, 0x1E78D, 0x1E7AE, 0x1E7C6, 0x1E804, 0x1E91D, 0x1E924, 0x1EDBD, 0x1EE25,
    0x1EFE6, 0x1F005, 0x1F0B1, 0x1F0C5, 0x1F104, 0x1F1A5, 0x1F31D, 0x1F325, 0x1F7BD, 0x1F7D5, 0x1F8C5, 0x1F8F5,
    0x1F9BD, 0x1F9D5, 0x1FA11, 0x1FAB5, 0x1FB31, 0x1FB7D, 0x20004, 0x20566, 0x205A5, 0x20626, 0x20645, 0x20706,
    0x20725, 0x20766, 0x207A5, 0x207E4, 0x20808, 0x20951, 0x20A04, 0x20AC6, 0x20B05, 0x20B44, 0x20BC5, 0x20C24,
    0x20C46, 0x20CA4, 0x20CE6, 0x20DC4, 0x20E25, 0x20EA4, 0x21045, 0x21066, 0x210A5, 0x210E6, 0x211A5, 0x211C4,
    0x211E6, 0x21208, 0x21346, 0x213A5, 0x213D5, 0x21400, 0x218DD, 0x218E0, 0x2191D, 0x219A0, 0x219DD, 0x21A01,
    0x21F71, 0x21F83, 0x21FA1, 0x22004, 0x2493D, 0x24944, 0x249DD, 0x24A04, 0x24AFD, 0x24B04, 0x24B3D, 0x24B44,
    0x24BDD, 0x24C04, 0x2513D, 0x25144, 0x251DD, 0x25204, 0x2563D, 0x25644, 0x256DD, 0x25704, 0x257FD, 0x25804,
    0x2583D, 0x25844, 0x258DD, 0x25904, 0x25AFD, 0x25B04, 0x2623D, 0x26244, 0x262DD, 0x26304, 0x26B7D, 0x26BA5,
    0x26C11, 0x26D2A, 0x26FBD, 0x27004, 0x27215, 0x2735D, 0x27400, 0x27EDD, 0x27F01, 0x27FDD, 0x2800C, 0x28024,
    0x2CDB5, 0x2CDD1, 0x2CDE4, 0x2D016, 0x2D024, 0x2D36D, 0x2D38E, 0x2D3BD, 0x2D404, 0x2DD71, 0x2DDC9, 0x2DE24,
    0x2DF3D, 0x2E004, 0x2E245, 0x2E2A6, 0x2E2DD, 0x2E3E4, 0x2E645, 0x2E686, 0x2E6B1, 0x2E6FD, 0x2E804, 0x2EA45,
    0x2EA9D, 0x2EC04, 0x2EDBD, 0x2EDC4, 0x2EE3D, 0x2EE45, 0x2EE9D, 0x2F004, 0x2F685, 0x2F6C6, 0x2F6E5, 0x2F7C6,
    0x2F8C5, 0x2F8E6, 0x2F925, 0x2FA91, 0x2FAE3, 0x2FB11, 0x2FB73, 0x2FB84, 0x2FBA5, 0x2FBDD, 0x2FC08, 0x2FD5D,
    0x2FE0A, 0x2FF5D, 0x30011, 0x300CC, 0x300F1, 0x30165, 0x301DA, 0x301E5, 0x30208, 0x3035D, 0x30404, 0x30863,
    0x30884, 0x30F3D, 0x31004, 0x310A5, 0x310E4, 0x31525, 0x31544, 0x3157D, 0x31604, 0x31EDD, 0x32004, 0x323FD,
    0x32405, 0x32466, 0x324E5, 0x32526, 0x3259D, 0x32606, 0x32645, 0x32666, 0x32725, 0x3279D, 0x32815, 0x3283D,
    0x32891, 0x328C8, 0x32A04, 0x32DDD, 0x32E04, 0x32EBD, 0x33004, 0x3359D, 0x33604, 0x3395D, 0x33A08, 0x33B4A,
    0x33B7D, 0x33BD5, 0x34004, 0x342E5, 0x34326, 0x34365, 0x3439D, 0x343D1, 0x34404, 0x34AA6, 0x34AC5, 0x34AE6,
    0x34B05, 0x34BFD, 0x34C05, 0x34C26, 0x34C45, 0x34C66, 0x34CA5, 0x34DA6, 0x34E65, 0x34FBD, 0x34FE5, 0x35008,
    0x3515D, 0x35208, 0x3535D, 0x35411, 0x354E3, 0x35511, 0x355DD, 0x35605, 0x357C7, 0x357E5, 0x359FD, 0x36005,
    0x36086, 0x360A4, 0x36685, 0x366A6, 0x366C5, 0x36766, 0x36785, 0x367A6, 0x36845, 0x36866, 0x368A4, 0x369BD,
    0x36A08, 0x36B51, 0x36C35, 0x36D65, 0x36E95, 0x36FB1, 0x36FFD, 0x37005, 0x37046, 0x37064, 0x37426, 0x37445,
    0x374C6, 0x37505, 0x37546, 0x37565, 0x375C4, 0x37608, 0x37744, 0x37CC5, 0x37CE6, 0x37D05, 0x37D46, 0x37DA5,
    0x37DC6, 0x37DE5, 0x37E46, 0x37E9D, 0x37F91, 0x38004, 0x38486, 0x38585, 0x38686, 0x386C5, 0x3871D, 0x38771,
    0x38808, 0x3895D, 0x389A4, 0x38A08, 0x38B44, 0x38F03, 0x38FD1, 0x39001, 0x3913D, 0x39200, 0x3977D, 0x397A0,
    0x39811, 0x3991D, 0x39A05, 0x39A71, 0x39A85, 0x39C26, 0x39C45, 0x39D24, 0x39DA5, 0x39DC4, 0x39E85, 0x39EA4,
    0x39EE6, 0x39F05, 0x39F44, 0x39F7D, 0x3A001, 0x3A583, 0x3AD61, 0x3AF03, 0x3AF21, 0x3B363, 0x3B805, 0x3C000,
    0x3C021, 0x3C040, 0x3C061, 0x3C080, 0x3C0A1, 0x3C0C0, 0x3C0E1, 0x3C100, 0x3C121, 0x3C140, 0x3C161, 0x3C180,
    0x3C1A1, 0x3C1C0, 0x3C1E1, 0x3C200, 0x3C221, 0x3C240, 0x3C261, 0x3C280, 0x3C2A1, 0x3C2C0, 0x3C2E1, 0x3C300,
    0x3C321, 0x3C340, 0x3C361, 0x3C380, 0x3C3A1, 0x3C3C0, 0x3C3E1, 0x3C400, 0x3C421, 0x3C440, 0x3C461, 0x3C480,
    0x3C4A1, 0x3C4C0, 0x3C4E1, 0x3C500, 0x3C521, 0x3C540, 0x3C561, 0x3C580, 0x3C5A1, 0x3C5C0, 0x3C5E1, 0x3C600,
    0x3C621, 0x3C640, 0x3C661, 0x3C680, 0x3C6A1, 0x3C6C0, 0x3C6E1, 0x3C700, 0x3C721, 0x3C740, 0x3C761, 0x3C780,
    0x3C7A1, 0x3C7C0, 0x3C7E1, 0x3C800, 0x3C821, 0x3C840, 0x3C861, 0x3C880, 0x3C8A1, 0x3C8C0, 0x3C8E1, 0x3C900,
    0x3C921, 0x3C940, 0x3C961, 0x3C980, 0x3C9A1, 0x3C9C0, 0x3C9E1, 0x3CA00, 0x3CA21, 0x3CA40, 0x3CA61, 0x3CA80,
    0x3CAA1, 0x3CAC0, 0x3CAE1, 0x3CB00, 0x3CB21, 0x3CB40, 0x3CB61, 0x3CB80, 0x3CBA1, 0x3CBC0, 0x3CBE1, 0x3CC00,
    0x3CC21, 0x3CC40, 0x3CC61, 0x3CC80, 0x3CCA1, 0x3CCC0, 0x3CCE1, 0x3CD00, 0x3CD21, 0x3CD40, 0x3CD61, 0x3CD80,
    0x3CDA1, 0x3CDC0, 0x3CDE1, 0x3CE00, 0x3CE21, 0x3CE40, 0x3CE61, 0x3CE80, 0x3CEA1, 0x3CEC0, 0x3CEE1, 0x3CF00,
    0x3CF21, 0x3CF40, 0x3CF61, 0x3CF80, 0x3CFA1, 0x3CFC0, 0x3CFE1, 0x3D000, 0x3D021, 0x3D040, 0x3D061, 0x3D080,
    0x3D0A1, 0x3D0C0, 0x3D0E1, 0x3D100, 0x3D121, 0x3D140, 0x3D161, 0x3D180, 0x3D1A1, 0x3D1C0, 0x3D1E1, 0x3D200,
    0x3D221, 0x3D240, 0x3D261, 0x3D280, 0x3D2A1, 0x3D3C0, 0x3D3E1, 0x3D400, 0x3D421, 0x3D440, 0x3D461, 0x3D480,
    0x3D4A1, 0x3D4C0, 0x3D4E1, 0x3D500, 0x3D521, 0x3D540, 0x3D561, 0x3D580, 0x3D5A1, 0x3D5C0, 0x3D5E1, 0x3D600,
    0x3D621, 0x3D640, 0x3D661, 0x3D680, 0x3D6A1, 0x3D6C0, 0x3D6E1, 0x3D700, 0x3D721, 0x3D740, 0x3D761, 0x3D780,
    0x3D7A1, 0x3D7C0, 0x3D7E1, 0x3D800, 0x3D821, 0x3D840, 0x3D861, 0x3D880, 0x3D8A1, 0x3D8C0, 0x3D8E1, 0x3D900,
    0x3D921, 0x3D940, 0x3D961, 0x3D980, 0x3D9A1, 0x3D9C0, 0x3D9E1, 0x3DA00, 0x3DA21, 0x3DA40, 0x3DA61, 0x3DA80,
    0x3DAA1, 0x3DAC0, 0x3DAE1, 0x3DB00, 0x3DB21, 0x3DB40, 0x3DB61, 0x3DB80, 0x3DBA1, 0x3DBC0, 0x3DBE1, 0x3DC00,
    0x3DC21, 0x3DC40, 0x3DC61, 0x3DC80, 0x3DCA1, 0x3DCC0, 0x3DCE1, 0x3DD00, 0x3DD21, 0x3DD40, 0x3DD61, 0x3DD80,
    0x3DDA1, 0x3DDC0, 0x3DDE1, 0x3DE00, 0x3DE21, 0x3DE40, 0x3DE61, 0x3DE80, 0x3DEA1, 0x3DEC0, 0x3DEE1, 0x3DF00,
    0x3DF21, 0x3DF40, 0x3DF61, 0x3DF80, 0x3DFA1, 0x3DFC0, 0x3DFE1, 0x3E100, 0x3E201, 0x3E2DD, 0x3E300, 0x3E3DD,
    0x3E401, 0x3E500, 0x3E601, 0x3E700, 0x3E801, 0x3E8DD, 0x3E900, 0x3E9DD, 0x3EA01, 0x3EB1D, 0x3EB20, 0x3EB5D,
    0x3EB60, 0x3EB9D, 0x3EBA0, 0x3EBDD, 0x3EBE0, 0x3EC01, 0x3ED00, 0x3EE01, 0x3EFDD, 0x3F001, 0x3F102, 0x3F201,
    0x3F302, 0x3F401, 0x3F502, 0x3F601, 0x3F6BD, 0x3F6C1, 0x3F700, 0x3F782, 0x3F7B4, 0x3F7C1, 0x3F7F4, 0x3F841,
    0x3F8BD, 0x3F8C1, 0x3F900, 0x3F982, 0x3F9B4, 0x3FA01, 0x3FA9D, 0x3FAC1, 0x3FB00, 0x3FB9D, 0x3FBB4, 0x3FC01,
    0x3FD00, 0x3FDB4, 0x3FE1D, 0x3FE41, 0x3FEBD, 0x3FEC1, 0x3FF00, 0x3FF82, 0x3FFB4, 0x3FFFD, 0x40016, 0x4017A,
    0x4020C, 0x402D1, 0x4030F, 0x40330, 0x4034D, 0x4036F, 0x403B0, 0x403CD, 0x403EF, 0x40411, 0x40517, 0x40538,
    0x4055A, 0x405F6, 0x40611, 0x4072F, 0x40750, 0x40771, 0x407EB, 0x40831, 0x40892, 0x408AD, 0x408CE, 0x408F1,
    0x40A52, 0x40A71, 0x40A8B, 0x40AB1, 0x40BF6, 0x40C1A, 0x40CBD, 0x40CDA, 0x40E0A, 0x40E23, 0x40E5D, 0x40E8A,
    0x40F52, 0x40FAD, 0x40FCE, 0x40FE3, 0x4100A, 0x41152, 0x411AD, 0x411CE, 0x411FD, 0x41203, 0x413BD, 0x41413,
    0x4183D, 0x41A05, 0x41BA7, 0x41C25, 0x41C47, 0x41CA5, 0x41E3D, 0x42015, 0x42040, 0x42075, 0x420E0, 0x42115,
    0x42141, 0x42160, 0x421C1, 0x42200, 0x42261, 0x42295, 0x422A0, 0x422D5, 0x42312, 0x42320, 0x423D5, 0x42480,
    0x424B5, 0x424C0, 0x424F5, 0x42500, 0x42535, 0x42540, 0x425D5, 0x425E1, 0x42600, 0x42681, 0x426A4, 0x42721,
    0x42755, 0x42781, 0x427C0, 0x42812, 0x428A0, 0x428C1, 0x42955, 0x42972, 0x42995, 0x429C1, 0x429F5, 0x42A0A,
    0x42C09, 0x43060, 0x43081, 0x430A9, 0x4312A, 0x43155, 0x4319D, 0x43212, 0x432B5, 0x43352, 0x43395, 0x43412,
    0x43435, 0x43472, 0x43495, 0x434D2, 0x434F5, 0x435D2, 0x435F5, 0x439D2, 0x43A15, 0x43A52, 0x43A75, 0x43A92,
    0x43AB5, 0x43E92, 0x46015, 0x4610D, 0x4612E, 0x4614D, 0x4616E, 0x46195, 0x46412, 0x46455, 0x4652D, 0x4654E,
    0x46575, 0x46F92, 0x46FB5, 0x47372, 0x47695, 0x47B92, 0x47C55, 0x484FD, 0x48815, 0x4897D, 0x48C0A, 0x49395,
    0x49D4A, 0x4A015, 0x4B6F2, 0x4B715, 0x4B832, 0x4B855, 0x4BF12, 0x4C015, 0x4CDF2, 0x4CE15, 0x4ED0D, 0x4ED2E,
    0x4ED4D, 0x4ED6E, 0x4ED8D, 0x4EDAE, 0x4EDCD, 0x4EDEE, 0x4EE0D, 0x4EE2E, 0x4EE4D, 0x4EE6E, 0x4EE8D, 0x4EEAE,
    0x4EECA, 0x4F295, 0x4F812, 0x4F8AD, 0x4F8CE, 0x4F8F2, 0x4FCCD, 0x4FCEE, 0x4FD0D, 0x4FD2E, 0x4FD4D, 0x4FD6E,
    0x4FD8D, 0x4FDAE, 0x4FDCD, 0x4FDEE, 0x4FE12, 0x50015, 0x52012, 0x5306D, 0x5308E, 0x530AD, 0x530CE, 0x530ED,
    0x5310E, 0x5312D, 0x5314E, 0x5316D, 0x5318E, 0x531AD, 0x531CE, 0x531ED, 0x5320E, 0x5322D, 0x5324E, 0x5326D,
    0x5328E, 0x532AD, 0x532CE, 0x532ED, 0x5330E, 0x53332, 0x53B0D, 0x53B2E, 0x53B4D, 0x53B6E, 0x53B92, 0x53F8D,
    0x53FAE, 0x53FD2, 0x56015, 0x56612, 0x568B5, 0x568F2, 0x569B5, 0x56E9D, 0x56ED5, 0x572DD, 0x572F5, 0x58000,
    0x58601, 0x58C00, 0x58C21, 0x58C40, 0x58CA1, 0x58CE0, 0x58D01, 0x58D20, 0x58D41, 0x58D60, 0x58D81, 0x58DA0,
    0x58E21, 0x58E40, 0x58E61, 0x58EA0, 0x58EC1, 0x58F83, 0x58FC0, 0x59021, 0x59040, 0x59061, 0x59080, 0x590A1,
    0x590C0, 0x590E1, 0x59100, 0x59121, 0x59140, 0x59161, 0x59180, 0x591A1, 0x591C0, 0x591E1, 0x59200, 0x59221,
    0x59240, 0x59261, 0x59280, 0x592A1, 0x592C0, 0x592E1, 0x59300, 0x59321, 0x59340, 0x59361, 0x59380, 0x593A1,
    0x593C0, 0x593E1, 0x59400, 0x59421, 0x59440, 0x59461, 0x59480, 0x594A1, 0x594C0, 0x594E1, 0x59500, 0x59521,
    0x59540, 0x59561, 0x59580, 0x595A1, 0x595C0, 0x595E1, 0x59600, 0x59621, 0x59640, 0x59661, 0x59680, 0x596A1,
    0x596C0, 0x596E1, 0x59700, 0x59721, 0x59740, 0x59761, 0x59780, 0x597A1, 0x597C0, 0x597E1, 0x59800, 0x59821,
    0x59840, 0x59861, 0x59880, 0x598A1, 0x598C0, 0x598E1, 0x59900, 0x59921, 0x59940, 0x59961, 0x59980, 0x599A1,
    0x599C0, 0x599E1, 0x59A00, 0x59A21, 0x59A40, 0x59A61, 0x59A80, 0x59AA1, 0x59AC0, 0x59AE1, 0x59B00, 0x59B21,
    0x59B40, 0x59B61, 0x59B80, 0x59BA1, 0x59BC0, 0x59BE1, 0x59C00, 0x59C21, 0x59C40, 0x59C61, 0x59CB5, 0x59D60,
    0x59D81, 0x59DA0, 0x59DC1, 0x59DE5, 0x59E40, 0x59E61, 0x59E9D, 0x59F31, 0x59FAA, 0x59FD1, 0x5A001, 0x5A4DD,
    0x5A4E1, 0x5A51D, 0x5A5A1, 0x5A5DD, 0x5A604, 0x5AD1D, 0x5ADE3, 0x5AE11, 0x5AE3D, 0x5AFE5, 0x5B004, 0x5B2FD,
    0x5B404, 0x5B4FD, 0x5B504, 0x5B5FD, 0x5B604, 0x5B6FD, 0x5B704, 0x5B7FD, 0x5B804, 0x5B8FD, 0x5B904, 0x5B9FD,
    0x5BA04, 0x5BAFD, 0x5BB04, 0x5BBFD, 0x5BC05, 0x5C011, 0x5C04F, 0x5C070, 0x5C08F, 0x5C0B0, 0x5C0D1, 0x5C12F,
    0x5C150, 0x5C171, 0x5C18F, 0x5C1B0, 0x5C1D1, 0x5C2EC, 0x5C311, 0x5C34C, 0x5C371, 0x5C38F, 0x5C3B0, 0x5C3D1,
    0x5C40F, 0x5C430, 0x5C44D, 0x5C46E, 0x5C48D, 0x5C4AE, 0x5C4CD, 0x5C4EE, 0x5C50D, 0x5C52E, 0x5C551, 0x5C5E3,
    0x5C611, 0x5C74C, 0x5C791, 0x5C80C, 0x5C831, 0x5C84D, 0x5C871, 0x5CA15, 0x5CA51, 0x5CAAD, 0x5CACE, 0x5CAED,
    0x5CB0E, 0x5CB2D, 0x5CB4E, 0x5CB6D, 0x5CB8E, 0x5CBAC, 0x5CBDD, 0x5D015, 0x5D35D, 0x5D375, 0x5DE9D, 0x5E015,
    0x5FADD, 0x5FE15, 0x5FF9D, 0x60016, 0x60031, 0x60095, 0x600A3, 0x600C4, 0x600E9, 0x6010D, 0x6012E, 0x6014D,
    0x6016E, 0x6018D, 0x601AE, 0x601CD, 0x601EE, 0x6020D, 0x6022E, 0x60255, 0x6028D, 0x602AE, 0x602CD, 0x602EE,
    0x6030D, 0x6032E, 0x6034D, 0x6036E, 0x6038C, 0x603AD, 0x603CE, 0x60415, 0x60429, 0x60545, 0x605C6, 0x6060C,
    0x60623, 0x606D5, 0x60709, 0x60763, 0x60784, 0x607B1, 0x607D5, 0x6081D, 0x60824, 0x612FD, 0x61325, 0x61374,
    0x613A3, 0x613E4, 0x6140C, 0x61424, 0x61F71, 0x61F83, 0x61FE4, 0x6201D, 0x620A4, 0x6261D, 0x62624, 0x631FD,
    0x63215, 0x6324A, 0x632D5, 0x63404, 0x63815, 0x63C9D, 0x63E04, 0x64015, 0x643FD, 0x6440A, 0x64555, 0x6490A,
    0x64A15, 0x64A2A, 0x64C15, 0x6500A, 0x65155, 0x6562A, 0x65815, 0x68004, 0x9B815, 0x9C004, 0x1402A3, 0x1402C4,
    0x1491BD, 0x149215, 0x1498FD, 0x149A04, 0x149F03, 0x149FD1, 0x14A004, 0x14C183, 0x14C1B1, 0x14C204, 0x14C408, 0x14C544,
    0x14C59D, 0x14C800, 0x14C821, 0x14C840, 0x14C861, 0x14C880, 0x14C8A1, 0x14C8C0, 0x14C8E1, 0x14C900, 0x14C921, 0x14C940,
    0x14C961, 0x14C980, 0x14C9A1, 0x14C9C0, 0x14C9E1, 0x14CA00, 0x14CA21, 0x14CA40, 0x14CA61, 0x14CA80, 0x14CAA1, 0x14CAC0,
    0x14CAE1, 0x14CB00, 0x14CB21, 0x14CB40, 0x14CB61, 0x14CB80, 0x14CBA1, 0x14CBC0, 0x14CBE1, 0x14CC00, 0x14CC21, 0x14CC40,
    0x14CC61, 0x14CC80, 0x14CCA1, 0x14CCC0, 0x14CCE1, 0x14CD00, 0x14CD21, 0x14CD40, 0x14CD61, 0x14CD80, 0x14CDA1, 0x14CDC4,
    0x14CDE5, 0x14CE07, 0x14CE71, 0x14CE85, 0x14CFD1, 0x14CFE3, 0x14D000, 0x14D021, 0x14D040, 0x14D061, 0x14D080, 0x14D0A1,
    0x14D0C0, 0x14D0E1, 0x14D100, 0x14D121, 0x14D140, 0x14D161, 0x14D180, 0x14D1A1, 0x14D1C0, 0x14D1E1, 0x14D200, 0x14D221,
    0x14D240, 0x14D261, 0x14D280, 0x14D2A1, 0x14D2C0, 0x14D2E1, 0x14D300, 0x14D321, 0x14D340, 0x14D361, 0x14D383, 0x14D3C5,
    0x14D404, 0x14DCC9, 0x14DE05, 0x14DE51, 0x14DF1D, 0x14E014, 0x14E2E3, 0x14E414, 0x14E440, 0x14E461, 0x14E480, 0x14E4A1,
    0x14E4C0, 0x14E4E1, 0x14E500, 0x14E521, 0x14E540, 0x14E561, 0x14E580, 0x14E5A1, 0x14E5C0, 0x14E5E1, 0x14E640, 0x14E661,
    0x14E680, 0x14E6A1, 0x14E6C0, 0x14E6E1, 0x14E700, 0x14E721, 0x14E740, 0x14E761, 0x14E780, 0x14E7A1, 0x14E7C0, 0x14E7E1,
    0x14E800, 0x14E821, 0x14E840, 0x14E861, 0x14E880, 0x14E8A1, 0x14E8C0, 0x14E8E1, 0x14E900, 0x14E921, 0x14E940, 0x14E961,
    0x14E980, 0x14E9A1, 0x14E9C0, 0x14E9E1, 0x14EA00, 0x14EA21, 0x14EA40, 0x14EA61, 0x14EA80, 0x14EAA1, 0x14EAC0, 0x14EAE1,
    0x14EB00, 0x14EB21, 0x14EB40, 0x14EB61, 0x14EB80, 0x14EBA1, 0x14EBC0, 0x14EBE1, 0x14EC00, 0x14EC21, 0x14EC40, 0x14EC61,
    0x14EC80, 0x14ECA1, 0x14ECC0, 0x14ECE1, 0x14ED00, 0x14ED21, 0x14ED40, 0x14ED61, 0x14ED80, 0x14EDA1, 0x14EDC0, 0x14EDE1,
    0x14EE03, 0x14EE21, 0x14EF20, 0x14EF41, 0x14EF60, 0x14EF81, 0x14EFA0, 0x14EFE1, 0x14F000, 0x14F021, 0x14F040, 0x14F061,
    0x14F080, 0x14F0A1, 0x14F0C0, 0x14F0E1, 0x14F103, 0x14F134, 0x14F160, 0x14F181, 0x14F1A0, 0x14F1C1, 0x14F1E4, 0x14F200,
    0x14F221, 0x14F240, 0x14F261, 0x14F2C0, 0x14F2E1, 0x14F300, 0x14F321, 0x14F340, 0x14F361, 0x14F380, 0x14F3A1, 0x14F3C0,
    0x14F3E1, 0x14F400, 0x14F421, 0x14F440, 0x14F461, 0x14F480, 0x14F4A1, 0x14F4C0, 0x14F4E1, 0x14F500, 0x14F521, 0x14F540,
    0x14F5E1, 0x14F600, 0x14F6A1, 0x14F6C0, 0x14F6E1, 0x14F700, 0x14F721, 0x14F740, 0x14F761, 0x14F780, 0x14F7A1, 0x14F7C0,
    0x14F7E1, 0x14F800, 0x14F821, 0x14F840, 0x14F861, 0x14F880, 0x14F901, 0x14F920, 0x14F941, 0x14F97D, 0x14FA00, 0x14FA21,
    0x14FA5D, 0x14FA61, 0x14FA9D, 0x14FAA1, 0x14FAC0, 0x14FAE1, 0x14FB00, 0x14FB21, 0x14FB5D, 0x14FE43, 0x14FEA0, 0x14FEC1,
    0x14FEE4, 0x14FF03, 0x14FF41, 0x14FF64, 0x150045, 0x150064, 0x1500C5, 0x1500E4, 0x150165, 0x150184, 0x150466, 0x1504A5,
    0x1504E6, 0x150515, 0x150585, 0x1505BD, 0x15060A, 0x1506D5, 0x150713, 0x150735, 0x15075D, 0x150804, 0x150E91, 0x150F1D,
    0x151006, 0x151044, 0x151686, 0x151885, 0x1518DD, 0x1519D1, 0x151A08, 0x151B5D, 0x151C05, 0x151E44, 0x151F11, 0x151F64,
    0x151F91, 0x151FA4, 0x151FE5, 0x152008, 0x152144, 0x1524C5, 0x1525D1, 0x152604, 0x1528E5, 0x152A46, 0x152A9D, 0x152BF1,
    0x152C04, 0x152FBD, 0x153005, 0x153066, 0x153084, 0x153665, 0x153686, 0x1536C5, 0x153746, 0x153785, 0x1537C6, 0x153831,
    0x1539DD, 0x1539E3, 0x153A08, 0x153B5D, 0x153BD1, 0x153C04, 0x153CA5, 0x153CC3, 0x153CE4, 0x153E08, 0x153F44, 0x153FFD,
    0x154004, 0x154525, 0x1545E6, 0x154625, 0x154666, 0x1546A5, 0x1546FD, 0x154804, 0x154865, 0x154884, 0x154985, 0x1549A6,
    0x1549DD, 0x154A08, 0x154B5D, 0x154B91, 0x154C04, 0x154E03, 0x154E24, 0x154EF5, 0x154F44, 0x154F66, 0x154F85, 0x154FA6,
    0x154FC4, 0x155605, 0x155624, 0x155645, 0x1556A4, 0x1556E5, 0x155724, 0x1557C5, 0x155804, 0x155825, 0x155844, 0x15587D,
    0x155B64, 0x155BA3, 0x155BD1, 0x155C04, 0x155D66, 0x155D85, 0x155DC6, 0x155E11, 0x155E44, 0x155E63, 0x155EA6, 0x155EC5,
    0x155EFD, 0x156024, 0x1560FD, 0x156124, 0x1561FD, 0x156224, 0x1562FD, 0x156404, 0x1564FD, 0x156504, 0x1565FD, 0x156601,
    0x156B74, 0x156B83, 0x156C01, 0x156D23, 0x156D54, 0x156D9D, 0x156E01, 0x157804, 0x157C66, 0x157CA5, 0x157CC6, 0x157D05,
    0x157D26, 0x157D71, 0x157D86, 0x157DA5, 0x157DDD, 0x157E08, 0x157F5D, 0x158004, 0x1AF49D, 0x1AF604, 0x1AF8FD, 0x1AF964,
    0x1AFF9D, 0x1B001B, 0x1C001C, 0x1F2004, 0x1F4DDD, 0x1F4E04, 0x1F5B5D, 0x1F6001, 0x1F60FD, 0x1F6261, 0x1F631D, 0x1F63A4,
    0x1F63C5, 0x1F63E4, 0x1F6532, 0x1F6544, 0x1F66FD, 0x1F6704, 0x1F67BD, 0x1F67C4, 0x1F67FD, 0x1F6804, 0x1F685D, 0x1F6864,
    0x1F68BD, 0x1F68C4, 0x1F7654, 0x1F787D, 0x1F7A64, 0x1FA7CE, 0x1FA7ED, 0x1FA815, 0x1FAA04, 0x1FB21D, 0x1FB244, 0x1FB91D,
    0x1FB9F5, 0x1FBA1D, 0x1FBE04, 0x1FBF93, 0x1FBFB5, 0x1FC005, 0x1FC211, 0x1FC2ED, 0x1FC30E, 0x1FC331, 0x1FC35D, 0x1FC405,
    0x1FC611, 0x1FC62C, 0x1FC66B, 0x1FC6AD, 0x1FC6CE, 0x1FC6ED, 0x1FC70E, 0x1FC72D, 0x1FC74E, 0x1FC76D, 0x1FC78E, 0x1FC7AD,
    0x1FC7CE, 0x1FC7ED, 0x1FC80E, 0x1FC82D, 0x1FC84E, 0x1FC86D, 0x1FC88E, 0x1FC8B1, 0x1FC8ED, 0x1FC90E, 0x1FC931, 0x1FC9AB,
    0x1FCA11, 0x1FCA7D, 0x1FCA91, 0x1FCB0C, 0x1FCB2D, 0x1FCB4E, 0x1FCB6D, 0x1FCB8E, 0x1FCBAD, 0x1FCBCE, 0x1FCBF1, 0x1FCC52,
    0x1FCC6C, 0x1FCC92, 0x1FCCFD, 0x1FCD11, 0x1FCD33, 0x1FCD51, 0x1FCD9D, 0x1FCE04, 0x1FCEBD, 0x1FCEC4, 0x1FDFBD, 0x1FDFFA,
    0x1FE01D, 0x1FE031, 0x1FE093, 0x1FE0B1, 0x1FE10D, 0x1FE12E, 0x1FE151, 0x1FE172, 0x1FE191, 0x1FE1AC, 0x1FE1D1, 0x1FE208,
    0x1FE351, 0x1FE392, 0x1FE3F1, 0x1FE420, 0x1FE76D, 0x1FE791, 0x1FE7AE, 0x1FE7D4, 0x1FE7EB, 0x1FE814, 0x1FE821, 0x1FEB6D,
    0x1FEB92, 0x1FEBAE, 0x1FEBD2, 0x1FEBED, 0x1FEC0E, 0x1FEC31, 0x1FEC4D, 0x1FEC6E, 0x1FEC91, 0x1FECC4, 0x1FEE03, 0x1FEE24,
    0x1FF3C3, 0x1FF404, 0x1FF7FD, 0x1FF844, 0x1FF91D, 0x1FF944, 0x1FFA1D, 0x1FFA44, 0x1FFB1D, 0x1FFB44, 0x1FFBBD, 0x1FFC13,
    0x1FFC52, 0x1FFC74, 0x1FFC95, 0x1FFCB3, 0x1FFCFD, 0x1FFD15, 0x1FFD32, 0x1FFDB5, 0x1FFDFD, 0x1FFF3A, 0x1FFF95, 0x1FFFDD,
    0x200004, 0x20019D, 0x2001A4, 0x2004FD, 0x200504, 0x20077D, 0x200784, 0x2007DD, 0x2007E4, 0x2009DD, 0x200A04, 0x200BDD,
    0x201004, 0x201F7D, 0x202011, 0x20207D, 0x2020EA, 0x20269D, 0x2026F5, 0x202809, 0x202EAA, 0x202F35, 0x20314A, 0x203195,
    0x2031FD, 0x203215, 0x2033BD, 0x203415, 0x20343D, 0x203A15, 0x203FA5, 0x203FDD, 0x205004, 0x2053BD, 0x205404, 0x205A3D,
    0x205C05, 0x205C2A, 0x205F9D, 0x206004, 0x20640A, 0x20649D, 0x2065A4, 0x206829, 0x206844, 0x206949, 0x20697D, 0x206A04,
    0x206EC5, 0x206F7D, 0x207004, 0x2073DD, 0x2073F1, 0x207404, 0x20789D, 0x207904, 0x207A11, 0x207A29, 0x207ADD, 0x208000,
    0x208501, 0x208A04, 0x2093DD, 0x209408, 0x20955D, 0x209600, 0x209A9D, 0x209B01, 0x209F9D, 0x20A004, 0x20A51D, 0x20A604,
    0x20AC9D, 0x20ADF1, 0x20AE00, 0x20AF7D, 0x20AF80, 0x20B17D, 0x20B180, 0x20B27D, 0x20B280, 0x20B2DD, 0x20B2E1, 0x20B45D,
    0x20B461, 0x20B65D, 0x20B661, 0x20B75D, 0x20B761, 0x20B7BD, 0x20C004, 0x20E6FD, 0x20E804, 0x20EADD, 0x20EC04, 0x20ED1D,
    0x20F003, 0x20F0DD, 0x20F0E3, 0x20F63D, 0x20F643, 0x20F77D, 0x210004, 0x2100DD, 0x210104, 0x21013D, 0x210144, 0x2106DD,
    0x2106E4, 0x21073D, 0x210784, 0x2107BD, 0x2107E4, 0x210ADD, 0x210AF1, 0x210B0A, 0x210C04, 0x210EF5, 0x210F2A, 0x211004,
    0x2113FD, 0x2114EA, 0x21161D, 0x211C04, 0x211E7D, 0x211E84, 0x211EDD, 0x211F6A, 0x212004, 0x2122CA, 0x21239D, 0x2123F1,
    0x212404, 0x21275D, 0x2127F1, 0x21281D, 0x213004, 0x21371D, 0x21378A, 0x2137C4, 0x21380A, 0x213A1D, 0x213A4A, 0x214004,
    0x214025, 0x21409D, 0x2140A5, 0x2140FD, 0x214185, 0x214204, 0x21429D, 0x2142A4, 0x21431D, 0x214324, 0x2146DD, 0x214705,
    0x21477D, 0x2147E5, 0x21480A, 0x21493D, 0x214A11, 0x214B3D, 0x214C04, 0x214FAA, 0x214FF1, 0x215004, 0x2153AA, 0x21541D,
    0x215804, 0x215915, 0x215924, 0x215CA5, 0x215CFD, 0x215D6A, 0x215E11, 0x215EFD, 0x216004, 0x2166DD, 0x216731, 0x216804,
    0x216ADD, 0x216B0A, 0x216C04, 0x216E7D, 0x216F0A, 0x217004, 0x21725D, 0x217331, 0x2173BD, 0x21752A, 0x21761D, 0x218004,
    0x21893D, 0x219000, 0x21967D, 0x219801, 0x219E7D, 0x219F4A, 0x21A004, 0x21A485, 0x21A51D, 0x21A608, 0x21A75D, 0x21CC0A,
    0x21CFFD, 0x21D004, 0x21D55D, 0x21D565, 0x21D5AC, 0x21D5DD, 0x21D604, 0x21D65D, 0x21DFA5, 0x21E004, 0x21E3AA, 0x21E4E4,
    0x21E51D, 0x21E604, 0x21E8C5, 0x21EA2A, 0x21EAB1, 0x21EB5D, 0x21EE04, 0x21F045, 0x21F0D1, 0x21F15D, 0x21F604, 0x21F8AA,
    0x21F99D, 0x21FC04, 0x21FEFD, 0x220006, 0x220025, 0x220046, 0x220064, 0x220705, 0x2208F1, 0x2209DD, 0x220A4A, 0x220CC8,
    0x220E05, 0x220E24, 0x220E65, 0x220EA4, 0x220EDD, 0x220FE5, 0x221046, 0x221064, 0x221606, 0x221665, 0x2216E6, 0x221725,
    0x221771, 0x2217BA, 0x2217D1, 0x221845, 0x22187D, 0x2219BA, 0x2219DD, 0x221A04, 0x221D3D, 0x221E08, 0x221F5D, 0x222005,
    0x222064, 0x2224E5, 0x222586, 0x2225A5, 0x2226BD, 0x2226C8, 0x222811, 0x222884, 0x2228A6, 0x2228E4, 0x22291D, 0x222A04,
    0x222E65, 0x222E91, 0x222EC4, 0x222EFD, 0x223005, 0x223046, 0x223064, 0x223666, 0x2236C5, 0x2237E6, 0x223824, 0x2238B1,
    0x223925, 0x2239B1, 0x2239C6, 0x2239E5, 0x223A08, 0x223B44, 0x223B71, 0x223B84, 0x223BB1, 0x223C1D, 0x223C2A, 0x223EBD,
    0x224004, 0x22425D, 0x224264, 0x224586, 0x2245E5, 0x224646, 0x224685, 0x2246A6, 0x2246C5, 0x224711, 0x2247C5, 0x2247E4,
    0x224825, 0x22485D, 0x225004, 0x2250FD, 0x225104, 0x22513D, 0x225144, 0x2251DD, 0x2251E4, 0x2253DD, 0x2253E4, 0x225531,
    0x22555D, 0x225604, 0x225BE5, 0x225C06, 0x225C65, 0x225D7D, 0x225E08, 0x225F5D, 0x226005, 0x226046, 0x22609D, 0x2260A4,
    0x2261BD, 0x2261E4, 0x22623D, 0x226264, 0x22653D, 0x226544, 0x22663D, 0x226644, 0x22669D, 0x2266A4, 0x22675D, 0x226765,
    0x2267A4, 0x2267C6, 0x226805, 0x226826, 0x2268BD, 0x2268E6, 0x22693D, 0x226966, 0x2269DD, 0x226A04, 0x226A3D, 0x226AE6,
    0x226B1D, 0x226BA4, 0x226C46, 0x226C9D, 0x226CC5, 0x226DBD, 0x226E05, 0x226EBD, 0x228004, 0x2286A6, 0x228705, 0x228806,
    0x228845, 0x2288A6, 0x2288C5, 0x2288E4, 0x228971, 0x228A08, 0x228B51, 0x228B9D, 0x228BB1, 0x228BC5, 0x228BE4, 0x228C5D,
    0x229004, 0x229606, 0x229665, 0x229726, 0x229745, 0x229766, 0x2297E5, 0x229826, 0x229845, 0x229884, 0x2298D1, 0x2298E4,
    0x22991D, 0x229A08, 0x229B5D, 0x22B004, 0x22B5E6, 0x22B645, 0x22B6DD, 0x22B706, 0x22B785, 0x22B7C6, 0x22B7E5, 0x22B831,
    0x22BB04, 0x22BB85, 0x22BBDD, 0x22C004, 0x22C606, 0x22C665, 0x22C766, 0x22C7A5, 0x22C7C6, 0x22C7E5, 0x22C831, 0x22C884,
    0x22C8BD, 0x22CA08, 0x22CB5D, 0x22CC11, 0x22CDBD, 0x22D004, 0x22D565, 0x22D586, 0x22D5A5, 0x22D5C6, 0x22D605, 0x22D6C6,
    0x22D6E5, 0x22D704, 0x22D731, 0x22D75D, 0x22D808, 0x22D95D, 0x22E004, 0x22E37D, 0x22E3A5, 0x22E406, 0x22E445, 0x22E4C6,
    0x22E4E5, 0x22E59D, 0x22E608, 0x22E74A, 0x22E791, 0x22E7F5, 0x22E804, 0x22E8FD, 0x230004, 0x230586, 0x2305E5, 0x230706,
    0x230725, 0x230771, 0x23079D, 0x231400, 0x231801, 0x231C08, 0x231D4A, 0x231E7D, 0x231FE4, 0x2320FD, 0x232124, 0x23215D,
    0x232184, 0x23229D, 0x2322A4, 0x2322FD, 0x232304, 0x232606, 0x2326DD, 0x2326E6, 0x23273D, 0x232765, 0x2327A6, 0x2327C5,
    0x2327E4, 0x232806, 0x232824, 0x232846, 0x232865, 0x232891, 0x2328FD, 0x232A08, 0x232B5D, 0x233404, 0x23351D, 0x233544,
    0x233A26, 0x233A85, 0x233B1D, 0x233B45, 0x233B86, 0x233C05, 0x233C24, 0x233C51, 0x233C64, 0x233C86, 0x233CBD, 0x234004,
    0x234025, 0x234164, 0x234665, 0x234726, 0x234744, 0x234765, 0x2347F1, 0x2348E5, 0x23491D, 0x234A04, 0x234A25, 0x234AE6,
    0x234B25, 0x234B84, 0x235145, 0x2352E6, 0x235305, 0x235351, 0x2353A4, 0x2353D1, 0x23547D, 0x235604, 0x235F3D, 0x236011,
    0x23615D, 0x238004, 0x23813D, 0x238144, 0x2385E6, 0x238605, 0x2386FD, 0x238705, 0x2387C6, 0x2387E5, 0x238804, 0x238831,
    0x2388DD, 0x238A08, 0x238B4A, 0x238DBD, 0x238E11, 0x238E44, 0x23921D, 0x239245, 0x23951D, 0x239526, 0x239545, 0x239626,
    0x239645, 0x239686, 0x2396A5, 0x2396FD, 0x23A004, 0x23A0FD, 0x23A104, 0x23A15D, 0x23A164, 0x23A625, 0x23A6FD, 0x23A745,
    0x23A77D, 0x23A785, 0x23A7DD, 0x23A7E5, 0x23A8C4, 0x23A8E5, 0x23A91D, 0x23AA08, 0x23AB5D, 0x23AC04, 0x23ACDD, 0x23ACE4,
    0x23AD3D, 0x23AD44, 0x23B146, 0x23B1FD, 0x23B205, 0x23B25D, 0x23B266, 0x23B2A5, 0x23B2C6, 0x23B2E5, 0x23B304, 0x23B33D,
    0x23B408, 0x23B55D, 0x23DC04, 0x23DE65, 0x23DEA6, 0x23DEF1, 0x23DF3D, 0x23E005, 0x23E044, 0x23E066, 0x23E084, 0x23E23D,
    0x23E244, 0x23E686, 0x23E6C5, 0x23E77D, 0x23E7C6, 0x23E805, 0x23E826, 0x23E845, 0x23E871, 0x23EA08, 0x23EB5D, 0x23F604,
    0x23F63D, 0x23F80A, 0x23FAB5, 0x23FBB3, 0x23FC35, 0x23FE5D, 0x23FFF1, 0x240004, 0x24735D, 0x248009, 0x248DFD, 0x248E11,
    0x248EBD, 0x249004, 0x24A89D, 0x25F204, 0x25FE31, 0x25FE7D, 0x260004, 0x26861A, 0x268805, 0x268824, 0x2688E5, 0x268ADD,
    0x288004, 0x28C8FD, 0x2D0004, 0x2D473D, 0x2D4804, 0x2D4BFD, 0x2D4C08, 0x2D4D5D, 0x2D4DD1, 0x2D4E04, 0x2D57FD, 0x2D5808,
    0x2D595D, 0x2D5A04, 0x2D5DDD, 0x2D5E05, 0x2D5EB1, 0x2D5EDD, 0x2D6004, 0x2D6605, 0x2D66F1, 0x2D6795, 0x2D6803, 0x2D6891,
    0x2D68B5, 0x2D68DD, 0x2D6A08, 0x2D6B5D, 0x2D6B6A, 0x2D6C5D, 0x2D6C64, 0x2D6F1D, 0x2D6FA4, 0x2D721D, 0x2DC800, 0x2DCC01,
    0x2DD00A, 0x2DD2F1, 0x2DD37D, 0x2DE004, 0x2DE97D, 0x2DE9E5, 0x2DEA04, 0x2DEA26, 0x2DF11D, 0x2DF1E5, 0x2DF263, 0x2DF41D,
    0x2DFC03, 0x2DFC51, 0x2DFC63, 0x2DFC85, 0x2DFCBD, 0x2DFE06, 0x2DFE5D, 0x2E0004, 0x30FF1D, 0x310004, 0x319ADD, 0x31A004,
    0x31A13D, 0x35FE03, 0x35FE9D, 0x35FEA3, 0x35FF9D, 0x35FFA3, 0x35FFFD, 0x360004, 0x36247D, 0x362644, 0x36267D, 0x362A04,
    0x362A7D, 0x362AA4, 0x362ADD, 0x362C84, 0x362D1D, 0x362E04, 0x365F9D, 0x378004, 0x378D7D, 0x378E04, 0x378FBD, 0x379004,
    0x37913D, 0x379204, 0x37935D, 0x379395, 0x3793A5, 0x3793F1, 0x37941A, 0x37949D, 0x39E005, 0x39E5DD, 0x39E605, 0x39E8FD,
    0x39EA15, 0x39F89D, 0x3A0015, 0x3A1EDD, 0x3A2015, 0x3A24FD, 0x3A2535, 0x3A2CA6, 0x3A2CE5, 0x3A2D55, 0x3A2DA6, 0x3A2E7A,
    0x3A2F65, 0x3A3075, 0x3A30A5, 0x3A3195, 0x3A3545, 0x3A35D5, 0x3A3D7D, 0x3A4015, 0x3A4845, 0x3A48B5, 0x3A48DD, 0x3A580A,
    0x3A5A9D, 0x3A5C0A, 0x3A5E9D, 0x3A6015, 0x3A6AFD, 0x3A6C0A, 0x3A6F3D, 0x3A8000, 0x3A8341, 0x3A8680, 0x3A89C1, 0x3A8ABD,
    0x3A8AC1, 0x3A8D00, 0x3A9041, 0x3A9380, 0x3A93BD, 0x3A93C0, 0x3A941D, 0x3A9440, 0x3A947D, 0x3A94A0, 0x3A94FD, 0x3A9520,
    0x3A95BD, 0x3A95C0, 0x3A96C1, 0x3A975D, 0x3A9761, 0x3A979D, 0x3A97A1, 0x3A989D, 0x3A98A1, 0x3A9A00, 0x3A9D41, 0x3AA080,
    0x3AA0DD, 0x3AA0E0, 0x3AA17D, 0x3AA1A0, 0x3AA2BD, 0x3AA2C0, 0x3AA3BD, 0x3AA3C1, 0x3AA700, 0x3AA75D, 0x3AA760, 0x3AA7FD,
    0x3AA800, 0x3AA8BD, 0x3AA8C0, 0x3AA8FD, 0x3AA940, 0x3AAA3D, 0x3AAA41, 0x3AAD80, 0x3AB0C1, 0x3AB400, 0x3AB741, 0x3ABA80,
    0x3ABDC1, 0x3AC100, 0x3AC441, 0x3AC780, 0x3ACAC1, 0x3ACE00, 0x3AD141, 0x3AD4DD, 0x3AD500, 0x3AD832, 0x3AD841, 0x3ADB72,
    0x3ADB81, 0x3ADC40, 0x3ADF72, 0x3ADF81, 0x3AE2B2, 0x3AE2C1, 0x3AE380, 0x3AE6B2, 0x3AE6C1, 0x3AE9F2, 0x3AEA01, 0x3AEAC0,
    0x3AEDF2, 0x3AEE01, 0x3AF132, 0x3AF141, 0x3AF200, 0x3AF532, 0x3AF541, 0x3AF872, 0x3AF881, 0x3AF940, 0x3AF961, 0x3AF99D,
    0x3AF9C8, 0x3B0015, 0x3B4005, 0x3B46F5, 0x3B4765, 0x3B4DB5, 0x3B4EA5, 0x3B4ED5, 0x3B5085, 0x3B50B5, 0x3B50F1, 0x3B519D,
    0x3B5365, 0x3B541D, 0x3B5425, 0x3B561D, 0x3BE001, 0x3BE144, 0x3BE161, 0x3BE3FD, 0x3BE4A1, 0x3BE57D, 0x3C0005, 0x3C00FD,
    0x3C0105, 0x3C033D, 0x3C0365, 0x3C045D, 0x3C0465, 0x3C04BD, 0x3C04C5, 0x3C057D, 0x3C0603, 0x3C0DDD, 0x3C11E5, 0x3C121D,
    0x3C2004, 0x3C25BD, 0x3C2605, 0x3C26E3, 0x3C27DD, 0x3C2808, 0x3C295D, 0x3C29C4, 0x3C29F5, 0x3C2A1D, 0x3C5204, 0x3C55C5,
    0x3C55FD, 0x3C5804, 0x3C5D85, 0x3C5E08, 0x3C5F5D, 0x3C5FF3, 0x3C601D, 0x3C9A04, 0x3C9D63, 0x3C9D85, 0x3C9E08, 0x3C9F5D,
    0x3CFC04, 0x3CFCFD, 0x3CFD04, 0x3CFD9D, 0x3CFDA4, 0x3CFDFD, 0x3CFE04, 0x3CFFFD, 0x3D0004, 0x3D18BD, 0x3D18EA, 0x3D1A05,
    0x3D1AFD, 0x3D2000, 0x3D2441, 0x3D2885, 0x3D2963, 0x3D299D, 0x3D2A08, 0x3D2B5D, 0x3D2BD1, 0x3D2C1D, 0x3D8E2A, 0x3D9595,
    0x3D95AA, 0x3D9613, 0x3D962A, 0x3D96BD, 0x3DA02A, 0x3DA5D5, 0x3DA5EA, 0x3DA7DD, 0x3DC004, 0x3DC09D, 0x3DC0A4, 0x3DC41D,
    0x3DC424, 0x3DC47D, 0x3DC484, 0x3DC4BD, 0x3DC4E4, 0x3DC51D, 0x3DC524, 0x3DC67D, 0x3DC684, 0x3DC71D, 0x3DC724, 0x3DC75D,
    0x3DC764, 0x3DC79D, 0x3DC844, 0x3DC87D, 0x3DC8E4, 0x3DC91D, 0x3DC924, 0x3DC95D, 0x3DC964, 0x3DC99D, 0x3DC9A4, 0x3DCA1D,
    0x3DCA24, 0x3DCA7D, 0x3DCA84, 0x3DCABD, 0x3DCAE4, 0x3DCB1D, 0x3DCB24, 0x3DCB5D, 0x3DCB64, 0x3DCB9D, 0x3DCBA4, 0x3DCBDD,
    0x3DCBE4, 0x3DCC1D, 0x3DCC24, 0x3DCC7D, 0x3DCC84, 0x3DCCBD, 0x3DCCE4, 0x3DCD7D, 0x3DCD84, 0x3DCE7D, 0x3DCE84, 0x3DCF1D,
    0x3DCF24, 0x3DCFBD, 0x3DCFC4, 0x3DCFFD, 0x3DD004, 0x3DD15D, 0x3DD164, 0x3DD39D, 0x3DD424, 0x3DD49D, 0x3DD4A4, 0x3DD55D,
    0x3DD564, 0x3DD79D, 0x3DDE12, 0x3DDE5D, 0x3E0015, 0x3E059D, 0x3E0615, 0x3E129D, 0x3E1415, 0x3E15FD, 0x3E1635, 0x3E181D,
    0x3E1835, 0x3E1A1D, 0x3E1A35, 0x3E1EDD, 0x3E200A, 0x3E21B5, 0x3E35DD, 0x3E3CD5, 0x3E407D, 0x3E4215, 0x3E479D, 0x3E4815,
    0x3E493D, 0x3E4A15, 0x3E4A5D, 0x3E4C15, 0x3E4CDD, 0x3E6015, 0x3E7F74, 0x3E8015, 0x3EDB1D, 0x3EDB95, 0x3EDDBD, 0x3EDE15,
    0x3EDFBD, 0x3EE015, 0x3EEEFD, 0x3EEF75, 0x3EFB5D, 0x3EFC15, 0x3EFD9D, 0x3EFE15, 0x3EFE3D, 0x3F0015, 0x3F019D, 0x3F0215,
    0x3F091D, 0x3F0A15, 0x3F0B5D, 0x3F0C15, 0x3F111D, 0x3F1215, 0x3F15DD, 0x3F1615, 0x3F165D, 0x3F2015, 0x3F4A9D, 0x3F4C15,
    0x3F4DDD, 0x3F4E15, 0x3F4FBD, 0x3F5015, 0x3F513D, 0x3F5215, 0x3F57DD, 0x3F57F5, 0x3F58DD, 0x3F59D5, 0x3F5B9D, 0x3F5C15,
    0x3F5D3D, 0x3F5E15, 0x3F5F3D, 0x3F6015, 0x3F727D, 0x3F7295, 0x3F797D, 0x3F7E08, 0x3F7F5D, 0x400004, 0x54DC1D, 0x54E004,
    0x56E75D, 0x56E804, 0x5703DD, 0x570404, 0x59D45D, 0x59D604, 0x5D7C3D, 0x5F0004, 0x5F43DD, 0x600004, 0x62697D, 0x626A04,
    0x64761D, 0x1C0003A, 0x1C0005D, 0x1C0041A, 0x1C0101D, 0x1C02005, 0x1C03E1D, 0x1E0001C, 0x1FFFFDD, 0x200001C, 0x21FFFDD,
};

/* The categories of U+0000..U+00FF, the most frequent, without a search. */
static const uint8_t unicode_category_latin1[256] = {
    25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25,
    22, 17, 17, 17, 19, 17, 17, 17, 13, 14, 17, 18, 17, 12, 17, 17, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 17, 17, 18, 18, 18, 17,
    17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 17, 14, 20, 11,
    20, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 13, 18, 14, 18, 25,
    25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25,
    22, 17, 19, 19, 19, 19, 21, 17, 20, 21, 4, 15, 18, 26, 21, 20, 21, 18, 10, 10, 20, 1, 17, 17, 20, 10, 4, 16, 10, 10, 10, 17,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 18, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* White_Space (PropList.txt), inclusive ranges. */
static const uint32_t unicode_white_space[10][2] = {
    {0x9, 0xD}, {0x20, 0x20}, {0x85, 0x85}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
    {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

/* Canonical_Combining_Class: (start << 8) | class for each run of code points
   that share one; a run lasts until the next start. 581 runs. */
static const uint32_t unicode_ccc_runs[581] = {
    0x0, 0x300E6, 0x315E8, 0x316DC, 0x31AE8, 0x31BD8, 0x31CDC, 0x321CA, 0x323DC, 0x327CA, 0x329DC, 0x33401,
    0x339DC, 0x33DE6, 0x345F0, 0x346E6, 0x347DC, 0x34AE6, 0x34DDC, 0x34F00, 0x350E6, 0x353DC, 0x357E6, 0x358E8,
    0x359DC, 0x35BE6, 0x35CE9, 0x35DEA, 0x35FE9, 0x360EA, 0x362E9, 0x363E6, 0x37000, 0x483E6, 0x48800, 0x591DC,
    0x592E6, 0x596DC, 0x597E6, 0x59ADE, 0x59BDC, 0x59CE6, 0x5A2DC, 0x5A8E6, 0x5AADC, 0x5ABE6, 0x5ADDE, 0x5AEE4,
    0x5AFE6, 0x5B00A, 0x5B10B, 0x5B20C, 0x5B30D, 0x5B40E, 0x5B50F, 0x5B610, 0x5B711, 0x5B812, 0x5B913, 0x5BB14,
    0x5BC15, 0x5BD16, 0x5BE00, 0x5BF17, 0x5C000, 0x5C118, 0x5C219, 0x5C300, 0x5C4E6, 0x5C5DC, 0x5C600, 0x5C712,
    0x5C800, 0x610E6, 0x6181E, 0x6191F, 0x61A20, 0x61B00, 0x64B1B, 0x64C1C, 0x64D1D, 0x64E1E, 0x64F1F, 0x65020,
    0x65121, 0x65222, 0x653E6, 0x655DC, 0x657E6, 0x65CDC, 0x65DE6, 0x65FDC, 0x66000, 0x67023, 0x67100, 0x6D6E6,
    0x6DD00, 0x6DFE6, 0x6E3DC, 0x6E4E6, 0x6E500, 0x6E7E6, 0x6E900, 0x6EADC, 0x6EBE6, 0x6EDDC, 0x6EE00, 0x71124,
    0x71200, 0x730E6, 0x731DC, 0x732E6, 0x734DC, 0x735E6, 0x737DC, 0x73AE6, 0x73BDC, 0x73DE6, 0x73EDC, 0x73FE6,
    0x742DC, 0x743E6, 0x744DC, 0x745E6, 0x746DC, 0x747E6, 0x748DC, 0x749E6, 0x74B00, 0x7EBE6, 0x7F2DC, 0x7F3E6,
    0x7F400, 0x7FDDC, 0x7FE00, 0x816E6, 0x81A00, 0x81BE6, 0x82400, 0x825E6, 0x82800, 0x829E6, 0x82E00, 0x859DC,
    0x85C00, 0x898E6, 0x899DC, 0x89CE6, 0x8A000, 0x8CAE6, 0x8CFDC, 0x8D4E6, 0x8E200, 0x8E3DC, 0x8E4E6, 0x8E6DC,
    0x8E7E6, 0x8E9DC, 0x8EAE6, 0x8EDDC, 0x8F01B, 0x8F11C, 0x8F21D, 0x8F3E6, 0x8F6DC, 0x8F7E6, 0x8F9DC, 0x8FBE6,
    0x90000, 0x93C07, 0x93D00, 0x94D09, 0x94E00, 0x951E6, 0x952DC, 0x953E6, 0x95500, 0x9BC07, 0x9BD00, 0x9CD09,
    0x9CE00, 0x9FEE6, 0x9FF00, 0xA3C07, 0xA3D00, 0xA4D09, 0xA4E00, 0xABC07, 0xABD00, 0xACD09, 0xACE00, 0xB3C07,
    0xB3D00, 0xB4D09, 0xB4E00, 0xBCD09, 0xBCE00, 0xC3C07, 0xC3D00, 0xC4D09, 0xC4E00, 0xC5554, 0xC565B, 0xC5700,
    0xCBC07, 0xCBD00, 0xCCD09, 0xCCE00, 0xD3B09, 0xD3D00, 0xD4D09, 0xD4E00, 0xDCA09, 0xDCB00, 0xE3867, 0xE3A09,
    0xE3B00, 0xE486B, 0xE4C00, 0xEB876, 0xEBA09, 0xEBB00, 0xEC87A, 0xECC00, 0xF18DC, 0xF1A00, 0xF35DC, 0xF3600,
    0xF37DC, 0xF3800, 0xF39D8, 0xF3A00, 0xF7181, 0xF7282, 0xF7300, 0xF7484, 0xF7500, 0xF7A82, 0xF7E00, 0xF8082,
    0xF8100, 0xF82E6, 0xF8409, 0xF8500, 0xF86E6, 0xF8800, 0xFC6DC, 0xFC700, 0x103707, 0x103800, 0x103909, 0x103B00,
    0x108DDC, 0x108E00, 0x135DE6, 0x136000, 0x171409, 0x171600, 0x173409, 0x173500, 0x17D209, 0x17D300, 0x17DDE6, 0x17DE00,
    0x18A9E4, 0x18AA00, 0x1939DE, 0x193AE6, 0x193BDC, 0x193C00, 0x1A17E6, 0x1A18DC, 0x1A1900, 0x1A6009, 0x1A6100, 0x1A75E6,
    0x1A7D00, 0x1A7FDC, 0x1A8000, 0x1AB0E6, 0x1AB5DC, 0x1ABBE6, 0x1ABDDC, 0x1ABE00, 0x1ABFDC, 0x1AC1E6, 0x1AC3DC, 0x1AC5E6,
    0x1ACADC, 0x1ACBE6, 0x1ACF00, 0x1B3407, 0x1B3500, 0x1B4409, 0x1B4500, 0x1B6BE6, 0x1B6CDC, 0x1B6DE6, 0x1B7400, 0x1BAA09,
    0x1BAC00, 0x1BE607, 0x1BE700, 0x1BF209, 0x1BF400, 0x1C3707, 0x1C3800, 0x1CD0E6, 0x1CD300, 0x1CD401, 0x1CD5DC, 0x1CDAE6,
    0x1CDCDC, 0x1CE0E6, 0x1CE100, 0x1CE201, 0x1CE900, 0x1CEDDC, 0x1CEE00, 0x1CF4E6, 0x1CF500, 0x1CF8E6, 0x1CFA00, 0x1DC0E6,
    0x1DC2DC, 0x1DC3E6, 0x1DCADC, 0x1DCBE6, 0x1DCDEA, 0x1DCED6, 0x1DCFDC, 0x1DD0CA, 0x1DD1E6, 0x1DF6E8, 0x1DF7E4, 0x1DF9DC,
    0x1DFADA, 0x1DFBE6, 0x1DFCE9, 0x1DFDDC, 0x1DFEE6, 0x1DFFDC, 0x1E0000, 0x20D0E6, 0x20D201, 0x20D4E6, 0x20D801, 0x20DBE6,
    0x20DD00, 0x20E1E6, 0x20E200, 0x20E501, 0x20E7E6, 0x20E8DC, 0x20E9E6, 0x20EA01, 0x20ECDC, 0x20F0E6, 0x20F100, 0x2CEFE6,
    0x2CF200, 0x2D7F09, 0x2D8000, 0x2DE0E6, 0x2E0000, 0x302ADA, 0x302BE4, 0x302CE8, 0x302DDE, 0x302EE0, 0x303000, 0x309908,
    0x309B00, 0xA66FE6, 0xA67000, 0xA674E6, 0xA67E00, 0xA69EE6, 0xA6A000, 0xA6F0E6, 0xA6F200, 0xA80609, 0xA80700, 0xA82C09,
    0xA82D00, 0xA8C409, 0xA8C500, 0xA8E0E6, 0xA8F200, 0xA92BDC, 0xA92E00, 0xA95309, 0xA95400, 0xA9B307, 0xA9B400, 0xA9C009,
    0xA9C100, 0xAAB0E6, 0xAAB100, 0xAAB2E6, 0xAAB4DC, 0xAAB500, 0xAAB7E6, 0xAAB900, 0xAABEE6, 0xAAC000, 0xAAC1E6, 0xAAC200,
    0xAAF609, 0xAAF700, 0xABED09, 0xABEE00, 0xFB1E1A, 0xFB1F00, 0xFE20E6, 0xFE27DC, 0xFE2EE6, 0xFE3000, 0x101FDDC, 0x101FE00,
    0x102E0DC, 0x102E100, 0x10376E6, 0x1037B00, 0x10A0DDC, 0x10A0E00, 0x10A0FE6, 0x10A1000, 0x10A38E6, 0x10A3901, 0x10A3ADC, 0x10A3B00,
    0x10A3F09, 0x10A4000, 0x10AE5E6, 0x10AE6DC, 0x10AE700, 0x10D24E6, 0x10D2800, 0x10EABE6, 0x10EAD00, 0x10EFDDC, 0x10F0000, 0x10F46DC,
    0x10F48E6, 0x10F4BDC, 0x10F4CE6, 0x10F4DDC, 0x10F5100, 0x10F82E6, 0x10F83DC, 0x10F84E6, 0x10F85DC, 0x10F8600, 0x1104609, 0x1104700,
    0x1107009, 0x1107100, 0x1107F09, 0x1108000, 0x110B909, 0x110BA07, 0x110BB00, 0x11100E6, 0x1110300, 0x1113309, 0x1113500, 0x1117307,
    0x1117400, 0x111C009, 0x111C100, 0x111CA07, 0x111CB00, 0x1123509, 0x1123607, 0x1123700, 0x112E907, 0x112EA09, 0x112EB00, 0x1133B07,
    0x1133D00, 0x1134D09, 0x1134E00, 0x11366E6, 0x1136D00, 0x11370E6, 0x1137500, 0x1144209, 0x1144300, 0x1144607, 0x1144700, 0x1145EE6,
    0x1145F00, 0x114C209, 0x114C307, 0x114C400, 0x115BF09, 0x115C007, 0x115C100, 0x1163F09, 0x1164000, 0x116B609, 0x116B707, 0x116B800,
    0x1172B09, 0x1172C00, 0x1183909, 0x1183A07, 0x1183B00, 0x1193D09, 0x1193F00, 0x1194307, 0x1194400, 0x119E009, 0x119E100, 0x11A3409,
    0x11A3500, 0x11A4709, 0x11A4800, 0x11A9909, 0x11A9A00, 0x11C3F09, 0x11C4000, 0x11D4207, 0x11D4300, 0x11D4409, 0x11D4600, 0x11D9709,
    0x11D9800, 0x11F4109, 0x11F4300, 0x16AF001, 0x16AF500, 0x16B30E6, 0x16B3700, 0x16FF006, 0x16FF200, 0x1BC9E01, 0x1BC9F00, 0x1D165D8,
    0x1D16701, 0x1D16A00, 0x1D16DE2, 0x1D16ED8, 0x1D17300, 0x1D17BDC, 0x1D18300, 0x1D185E6, 0x1D18ADC, 0x1D18C00, 0x1D1AAE6, 0x1D1AE00,
    0x1D242E6, 0x1D24500, 0x1E000E6, 0x1E00700, 0x1E008E6, 0x1E01900, 0x1E01BE6, 0x1E02200, 0x1E023E6, 0x1E02500, 0x1E026E6, 0x1E02B00,
    0x1E08FE6, 0x1E09000, 0x1E130E6, 0x1E13700, 0x1E2AEE6, 0x1E2AF00, 0x1E2ECE6, 0x1E2F000, 0x1E4ECE8, 0x1E4EEDC, 0x1E4EFE6, 0x1E4F000,
    0x1E8D0DC, 0x1E8D700, 0x1E944E6, 0x1E94A07, 0x1E94B00,
};

/* Canonical decompositions, one level deep, by code point: {code point, first,
   second or 0 for a singleton}. Hangul syllables are computed instead. */
static const uint32_t unicode_decomp[2061][3] = {
    {0xC0, 0x41, 0x300}, {0xC1, 0x41, 0x301}, {0xC2, 0x41, 0x302}, {0xC3, 0x41, 0x303}, {0xC4, 0x41, 0x308}, {0xC5, 0x41, 0x30A},
    {0xC7, 0x43, 0x327}, {0xC8, 0x45, 0x300}, {0xC9, 0x45, 0x301}, {0xCA, 0x45, 0x302}, {0xCB, 0x45, 0x308}, {0xCC, 0x49, 0x300},
    {0xCD, 0x49, 0x301}, {0xCE, 0x49, 0x302}, {0xCF, 0x49, 0x308}, {0xD1, 0x4E, 0x303}, {0xD2, 0x4F, 0x300}, {0xD3, 0x4F, 0x301},
    {0xD4, 0x4F, 0x302}, {0xD5, 0x4F, 0x303}, {0xD6, 0x4F, 0x308}, {0xD9, 0x55, 0x300}, {0xDA, 0x55, 0x301}, {0xDB, 0x55, 0x302},
    {0xDC, 0x55, 0x308}, {0xDD, 0x59, 0x301}, {0xE0, 0x61, 0x300}, {0xE1, 0x61, 0x301}, {0xE2, 0x61, 0x302}, {0xE3, 0x61, 0x303},
    {0xE4, 0x61, 0x308}, {0xE5, 0x61, 0x30A}, {0xE7, 0x63, 0x327}, {0xE8, 0x65, 0x300}, {0xE9, 0x65, 0x301}, {0xEA, 0x65, 0x302},
    {0xEB, 0x65, 0x308}, {0xEC, 0x69, 0x300}, {0xED, 0x69, 0x301}, {0xEE, 0x69, 0x302}, {0xEF, 0x69, 0x308}, {0xF1, 0x6E, 0x303},
    {0xF2, 0x6F, 0x300}, {0xF3, 0x6F, 0x301}, {0xF4, 0x6F, 0x302}, {0xF5, 0x6F, 0x303}, {0xF6, 0x6F, 0x308}, {0xF9, 0x75, 0x300},
    {0xFA, 0x75, 0x301}, {0xFB, 0x75, 0x302}, {0xFC, 0x75, 0x308}, {0xFD, 0x79, 0x301}, {0xFF, 0x79, 0x308}, {0x100, 0x41, 0x304},
    {0x101, 0x61, 0x304}, {0x102, 0x41, 0x306}, {0x103, 0x61, 0x306}, {0x104, 0x41, 0x328}, {0x105, 0x61, 0x328}, {0x106, 0x43, 0x301},
    {0x107, 0x63, 0x301}, {0x108, 0x43, 0x302}, {0x109, 0x63, 0x302}, {0x10A, 0x43, 0x307}, {0x10B, 0x63, 0x307}, {0x10C, 0x43, 0x30C},
    {0x10D, 0x63, 0x30C}, {0x10E, 0x44, 0x30C}, {0x10F, 0x64, 0x30C}, {0x112, 0x45, 0x304}, {0x113, 0x65, 0x304}, {0x114, 0x45, 0x306},
    {0x115, 0x65, 0x306}, {0x116, 0x45, 0x307}, {0x117, 0x65, 0x307}, {0x118, 0x45, 0x328}, {0x119, 0x65, 0x328}, {0x11A, 0x45, 0x30C},
    {0x11B, 0x65, 0x30C}, {0x11C, 0x47, 0x302}, {0x11D, 0x67, 0x302}, {0x11E, 0x47, 0x306}, {0x11F, 0x67, 0x306}, {0x120, 0x47, 0x307},
    {0x121, 0x67, 0x307}, {0x122, 0x47, 0x327}, {0x123, 0x67, 0x327}, {0x124, 0x48, 0x302}, {0x125, 0x68, 0x302}, {0x128, 0x49, 0x303},
    {0x129, 0x69, 0x303}, {0x12A, 0x49, 0x304}, {0x12B, 0x69, 0x304}, {0x12C, 0x49, 0x306}, {0x12D, 0x69, 0x306}, {0x12E, 0x49, 0x328},
    {0x12F, 0x69, 0x328}, {0x130, 0x49, 0x307}, {0x134, 0x4A, 0x302}, {0x135, 0x6A, 0x302}, {0x136, 0x4B, 0x327}, {0x137, 0x6B, 0x327},
    {0x139, 0x4C, 0x301}, {0x13A, 0x6C, 0x301}, {0x13B, 0x4C, 0x327}, {0x13C, 0x6C, 0x327}, {0x13D, 0x4C, 0x30C}, {0x13E, 0x6C, 0x30C},
    {0x143, 0x4E, 0x301}, {0x144, 0x6E, 0x301}, {0x145, 0x4E, 0x327}, {0x146, 0x6E, 0x327}, {0x147, 0x4E, 0x30C}, {0x148, 0x6E, 0x30C},
    {0x14C, 0x4F, 0x304}, {0x14D, 0x6F, 0x304}, {0x14E, 0x4F, 0x306}, {0x14F, 0x6F, 0x306}, {0x150, 0x4F, 0x30B}, {0x151, 0x6F, 0x30B},
    {0x154, 0x52, 0x301}, {0x155, 0x72, 0x301}, {0x156, 0x52, 0x327}, {0x157, 0x72, 0x327}, {0x158, 0x52, 0x30C}, {0x159, 0x72, 0x30C},
    {0x15A, 0x53, 0x301}, {0x15B, 0x73, 0x301}, {0x15C, 0x53, 0x302}, {0x15D, 0x73, 0x302}, {0x15E, 0x53, 0x327}, {0x15F, 0x73, 0x327},
    {0x160, 0x53, 0x30C}, {0x161, 0x73, 0x30C}, {0x162, 0x54, 0x327}, {0x163, 0x74, 0x327}, {0x164, 0x54, 0x30C}, {0x165, 0x74, 0x30C},
    {0x168, 0x55, 0x303}, {0x169, 0x75, 0x303}, {0x16A, 0x55, 0x304}, {0x16B, 0x75, 0x304}, {0x16C, 0x55, 0x306}, {0x16D, 0x75, 0x306},
    {0x16E, 0x55, 0x30A}, {0x16F, 0x75, 0x30A}, {0x170, 0x55, 0x30B}, {0x171, 0x75, 0x30B}, {0x172, 0x55, 0x328}, {0x173, 0x75, 0x328},
    {0x174, 0x57, 0x302}, {0x175, 0x77, 0x302}, {0x176, 0x59, 0x302}, {0x177, 0x79, 0x302}, {0x178, 0x59, 0x308}, {0x179, 0x5A, 0x301},
    {0x17A, 0x7A, 0x301}, {0x17B, 0x5A, 0x307}, {0x17C, 0x7A, 0x307}, {0x17D, 0x5A, 0x30C}, {0x17E, 0x7A, 0x30C}, {0x1A0, 0x4F, 0x31B},
    {0x1A1, 0x6F, 0x31B}, {0x1AF, 0x55, 0x31B}, {0x1B0, 0x75, 0x31B}, {0x1CD, 0x41, 0x30C}, {0x1CE, 0x61, 0x30C}, {0x1CF, 0x49, 0x30C},
    {0x1D0, 0x69, 0x30C}, {0x1D1, 0x4F, 0x30C}, {0x1D2, 0x6F, 0x30C}, {0x1D3, 0x55, 0x30C}, {0x1D4, 0x75, 0x30C}, {0x1D5, 0xDC, 0x304},
    {0x1D6, 0xFC, 0x304}, {0x1D7, 0xDC, 0x301}, {0x1D8, 0xFC, 0x301}, {0x1D9, 0xDC, 0x30C}, {0x1DA, 0xFC, 0x30C}, {0x1DB, 0xDC, 0x300},
    {0x1DC, 0xFC, 0x300}, {0x1DE, 0xC4, 0x304}, {0x1DF, 0xE4, 0x304}, {0x1E0, 0x226, 0x304}, {0x1E1, 0x227, 0x304}, {0x1E2, 0xC6, 0x304},
    {0x1E3, 0xE6, 0x304}, {0x1E6, 0x47, 0x30C}, {0x1E7, 0x67, 0x30C}, {0x1E8, 0x4B, 0x30C}, {0x1E9, 0x6B, 0x30C}, {0x1EA, 0x4F, 0x328},
    {0x1EB, 0x6F, 0x328}, {0x1EC, 0x1EA, 0x304}, {0x1ED, 0x1EB, 0x304}, {0x1EE, 0x1B7, 0x30C}, {0x1EF, 0x292, 0x30C}, {0x1F0, 0x6A, 0x30C},
    {0x1F4, 0x47, 0x301}, {0x1F5, 0x67, 0x301}, {0x1F8, 0x4E, 0x300}, {0x1F9, 0x6E, 0x300}, {0x1FA, 0xC5, 0x301}, {0x1FB, 0xE5, 0x301},
    {0x1FC, 0xC6, 0x301}, {0x1FD, 0xE6, 0x301}, {0x1FE, 0xD8, 0x301}, {0x1FF, 0xF8, 0x301}, {0x200, 0x41, 0x30F}, {0x201, 0x61, 0x30F},
    {0x202, 0x41, 0x311}, {0x203, 0x61, 0x311}, {0x204, 0x45, 0x30F}, {0x205, 0x65, 0x30F}, {0x206, 0x45, 0x311}, {0x207, 0x65, 0x311},
    {0x208, 0x49, 0x30F}, {0x209, 0x69, 0x30F}, {0x20A, 0x49, 0x311}, {0x20B, 0x69, 0x311}, {0x20C, 0x4F, 0x30F}, {0x20D, 0x6F, 0x30F},
    {0x20E, 0x4F, 0x311}, {0x20F, 0x6F, 0x311}, {0x210, 0x52, 0x30F}, {0x211, 0x72, 0x30F}, {0x212, 0x52, 0x311}, {0x213, 0x72, 0x311},
    {0x214, 0x55, 0x30F}, {0x215, 0x75, 0x30F}, {0x216, 0x55, 0x311}, {0x217, 0x75, 0x311}, {0x218, 0x53, 0x326}, {0x219, 0x73, 0x326},
    {0x21A, 0x54, 0x326}, {0x21B, 0x74, 0x326}, {0x21E, 0x48, 0x30C}, {0x21F, 0x68, 0x30C}, {0x226, 0x41, 0x307}, {0x227, 0x61, 0x307},
    {0x228, 0x45, 0x327}, {0x229, 0x65, 0x327}, {0x22A, 0xD6, 0x304}, {0x22B, 0xF6, 0x304}, {0x22C, 0xD5, 0x304}, {0x22D, 0xF5, 0x304},
    {0x22E, 0x4F, 0x307}, {0x22F, 0x6F, 0x307}, {0x230, 0x22E, 0x304}, {0x231, 0x22F, 0x304}, {0x232, 0x59, 0x304}, {0x233, 0x79, 0x304},
    {0x340, 0x300, 0x0}, {0x341, 0x301, 0x0}, {0x343, 0x313, 0x0}, {0x344, 0x308, 0x301}, {0x374, 0x2B9, 0x0}, {0x37E, 0x3B, 0x0},
    {0x385, 0xA8, 0x301}, {0x386, 0x391, 0x301}, {0x387, 0xB7, 0x0}, {0x388, 0x395, 0x301}, {0x389, 0x397, 0x301}, {0x38A, 0x399, 0x301},
    {0x38C, 0x39F, 0x301}, {0x38E, 0x3A5, 0x301}, {0x38F, 0x3A9, 0x301}, {0x390, 0x3CA, 0x301}, {0x3AA, 0x399, 0x308}, {0x3AB, 0x3A5, 0x308},
    {0x3AC, 0x3B1, 0x301}, {0x3AD, 0x3B5, 0x301}, {0x3AE, 0x3B7, 0x301}, {0x3AF, 0x3B9, 0x301}, {0x3B0, 0x3CB, 0x301}, {0x3CA, 0x3B9, 0x308},
    {0x3CB, 0x3C5, 0x308}, {0x3CC, 0x3BF, 0x301}, {0x3CD, 0x3C5, 0x301}, {0x3CE, 0x3C9, 0x301}, {0x3D3, 0x3D2, 0x301}, {0x3D4, 0x3D2, 0x308},
    {0x400, 0x415, 0x300}, {0x401, 0x415, 0x308}, {0x403, 0x413, 0x301}, {0x407, 0x406, 0x308}, {0x40C, 0x41A, 0x301}, {0x40D, 0x418, 0x300},
    {0x40E, 0x423, 0x306}, {0x419, 0x418, 0x306}, {0x439, 0x438, 0x306}, {0x450, 0x435, 0x300}, {0x451, 0x435, 0x308}, {0x453, 0x433, 0x301},
    {0x457, 0x456, 0x308}, {0x45C, 0x43A, 0x301}, {0x45D, 0x438, 0x300}, {0x45E, 0x443, 0x306}, {0x476, 0x474, 0x30F}, {0x477, 0x475, 0x30F},
    {0x4C1, 0x416, 0x306}, {0x4C2, 0x436, 0x306}, {0x4D0, 0x410, 0x306}, {0x4D1, 0x430, 0x306}, {0x4D2, 0x410, 0x308}, {0x4D3, 0x430, 0x308},
    {0x4D6, 0x415, 0x306}, {0x4D7, 0x435, 0x306}, {0x4DA, 0x4D8, 0x308}, {0x4DB, 0x4D9, 0x308}, {0x4DC, 0x416, 0x308}, {0x4DD, 0x436, 0x308},
    {0x4DE, 0x417, 0x308}, {0x4DF, 0x437, 0x308}, {0x4E2, 0x418, 0x304}, {0x4E3, 0x438, 0x304}, {0x4E4, 0x418, 0x308}, {0x4E5, 0x438, 0x308},
    {0x4E6, 0x41E, 0x308}, {0x4E7, 0x43E, 0x308}, {0x4EA, 0x4E8, 0x308}, {0x4EB, 0x4E9, 0x308}, {0x4EC, 0x42D, 0x308}, {0x4ED, 0x44D, 0x308},
    {0x4EE, 0x423, 0x304}, {0x4EF, 0x443, 0x304}, {0x4F0, 0x423, 0x308}, {0x4F1, 0x443, 0x308}, {0x4F2, 0x423, 0x30B}, {0x4F3, 0x443, 0x30B},
    {0x4F4, 0x427, 0x308}, {0x4F5, 0x447, 0x308}, {0x4F8, 0x42B, 0x308}, {0x4F9, 0x44B, 0x308}, {0x622, 0x627, 0x653}, {0x623, 0x627, 0x654},
    {0x624, 0x648, 0x654}, {0x625, 0x627, 0x655}, {0x626, 0x64A, 0x654}, {0x6C0, 0x6D5, 0x654}, {0x6C2, 0x6C1, 0x654}, {0x6D3, 0x6D2, 0x654},
    {0x929, 0x928, 0x93C}, {0x931, 0x930, 0x93C}, {0x934, 0x933, 0x93C}, {0x958, 0x915, 0x93C}, {0x959, 0x916, 0x93C}, {0x95A, 0x917, 0x93C},
    {0x95B, 0x91C, 0x93C}, {0x95C, 0x921, 0x93C}, {0x95D, 0x922, 0x93C}, {0x95E, 0x92B, 0x93C}, {0x95F, 0x92F, 0x93C}, {0x9CB, 0x9C7, 0x9BE},
    {0x9CC, 0x9C7, 0x9D7}, {0x9DC, 0x9A1, 0x9BC}, {0x9DD, 0x9A2, 0x9BC}, {0x9DF, 0x9AF, 0x9BC}, {0xA33, 0xA32, 0xA3C}, {0xA36, 0xA38, 0xA3C},
    {0xA59, 0xA16, 0xA3C}, {0xA5A, 0xA17, 0xA3C}, {0xA5B, 0xA1C, 0xA3C}, {0xA5E, 0xA2B, 0xA3C}, {0xB48, 0xB47, 0xB56}, {0xB4B, 0xB47, 0xB3E},
    {0xB4C, 0xB47, 0xB57}, {0xB5C, 0xB21, 0xB3C}, {0xB5D, 0xB22, 0xB3C}, {0xB94, 0xB92, 0xBD7}, {0xBCA, 0xBC6, 0xBBE}, {0xBCB, 0xBC7, 0xBBE},
    {0xBCC, 0xBC6, 0xBD7}, {0xC48, 0xC46, 0xC56}, {0xCC0, 0xCBF, 0xCD5}, {0xCC7, 0xCC6, 0xCD5}, {0xCC8, 0xCC6, 0xCD6}, {0xCCA, 0xCC6, 0xCC2},
    {0xCCB, 0xCCA, 0xCD5}, {0xD4A, 0xD46, 0xD3E}, {0xD4B, 0xD47, 0xD3E}, {0xD4C, 0xD46, 0xD57}, {0xDDA, 0xDD9, 0xDCA}, {0xDDC, 0xDD9, 0xDCF},
    {0xDDD, 0xDDC, 0xDCA}, {0xDDE, 0xDD9, 0xDDF}, {0xF43, 0xF42, 0xFB7}, {0xF4D, 0xF4C, 0xFB7}, {0xF52, 0xF51, 0xFB7}, {0xF57, 0xF56, 0xFB7},
    {0xF5C, 0xF5B, 0xFB7}, {0xF69, 0xF40, 0xFB5}, {0xF73, 0xF71, 0xF72}, {0xF75, 0xF71, 0xF74}, {0xF76, 0xFB2, 0xF80}, {0xF78, 0xFB3, 0xF80},
    {0xF81, 0xF71, 0xF80}, {0xF93, 0xF92, 0xFB7}, {0xF9D, 0xF9C, 0xFB7}, {0xFA2, 0xFA1, 0xFB7}, {0xFA7, 0xFA6, 0xFB7}, {0xFAC, 0xFAB, 0xFB7},
    {0xFB9, 0xF90, 0xFB5}, {0x1026, 0x1025, 0x102E}, {0x1B06, 0x1B05, 0x1B35}, {0x1B08, 0x1B07, 0x1B35}, {0x1B0A, 0x1B09, 0x1B35}, {0x1B0C, 0x1B0B, 0x1B35},
    {0x1B0E, 0x1B0D, 0x1B35}, {0x1B12, 0x1B11, 0x1B35}, {0x1B3B, 0x1B3A, 0x1B35}, {0x1B3D, 0x1B3C, 0x1B35}, {0x1B40, 0x1B3E, 0x1B35}, {0x1B41, 0x1B3F, 0x1B35},
    {0x1B43, 0x1B42, 0x1B35}, {0x1E00, 0x41, 0x325}, {0x1E01, 0x61, 0x325}, {0x1E02, 0x42, 0x307}, {0x1E03, 0x62, 0x307}, {0x1E04, 0x42, 0x323},
    {0x1E05, 0x62, 0x323}, {0x1E06, 0x42, 0x331}, {0x1E07, 0x62, 0x331}, {0x1E08, 0xC7, 0x301}, {0x1E09, 0xE7, 0x301}, {0x1E0A, 0x44, 0x307},
    {0x1E0B, 0x64, 0x307}, {0x1E0C, 0x44, 0x323}, {0x1E0D, 0x64, 0x323}, {0x1E0E, 0x44, 0x331}, {0x1E0F, 0x64, 0x331}, {0x1E10, 0x44, 0x327},
    {0x1E11, 0x64, 0x327}, {0x1E12, 0x44, 0x32D}, {0x1E13, 0x64, 0x32D}, {0x1E14, 0x112, 0x300}, {0x1E15, 0x113, 0x300}, {0x1E16, 0x112, 0x301},
    {0x1E17, 0x113, 0x301}, {0x1E18, 0x45, 0x32D}, {0x1E19, 0x65, 0x32D}, {0x1E1A, 0x45, 0x330}, {0x1E1B, 0x65, 0x330}, {0x1E1C, 0x228, 0x306},
    {0x1E1D, 0x229, 0x306}, {0x1E1E, 0x46, 0x307}, {0x1E1F, 0x66, 0x307}, {0x1E20, 0x47, 0x304}, {0x1E21, 0x67, 0x304}, {0x1E22, 0x48, 0x307},
    {0x1E23, 0x68, 0x307}, {0x1E24, 0x48, 0x323}, {0x1E25, 0x68, 0x323}, {0x1E26, 0x48, 0x308}, {0x1E27, 0x68, 0x308}, {0x1E28, 0x48, 0x327},
    {0x1E29, 0x68, 0x327}, {0x1E2A, 0x48, 0x32E}, {0x1E2B, 0x68, 0x32E}, {0x1E2C, 0x49, 0x330}, {0x1E2D, 0x69, 0x330}, {0x1E2E, 0xCF, 0x301},
    {0x1E2F, 0xEF, 0x301}, {0x1E30, 0x4B, 0x301}, {0x1E31, 0x6B, 0x301}, {0x1E32, 0x4B, 0x323}, {0x1E33, 0x6B, 0x323}, {0x1E34, 0x4B, 0x331},
    {0x1E35, 0x6B, 0x331}, {0x1E36, 0x4C, 0x323}, {0x1E37, 0x6C, 0x323}, {0x1E38, 0x1E36, 0x304}, {0x1E39, 0x1E37, 0x304}, {0x1E3A, 0x4C, 0x331},
    {0x1E3B, 0x6C, 0x331}, {0x1E3C, 0x4C, 0x32D}, {0x1E3D, 0x6C, 0x32D}, {0x1E3E, 0x4D, 0x301}, {0x1E3F, 0x6D, 0x301}, {0x1E40, 0x4D, 0x307},
    {0x1E41, 0x6D, 0x307}, {0x1E42, 0x4D, 0x323}, {0x1E43, 0x6D, 0x323}, {0x1E44, 0x4E, 0x307}, {0x1E45, 0x6E, 0x307}, {0x1E46, 0x4E, 0x323},
    {0x1E47, 0x6E, 0x323}, {0x1E48, 0x4E, 0x331}, {0x1E49, 0x6E, 0x331}, {0x1E4A, 0x4E, 0x32D}, {0x1E4B, 0x6E, 0x32D}, {0x1E4C, 0xD5, 0x301},
    {0x1E4D, 0xF5, 0x301}, {0x1E4E, 0xD5, 0x308}, {0x1E4F, 0xF5, 0x308}, {0x1E50, 0x14C, 0x300}, {0x1E51, 0x14D, 0x300}, {0x1E52, 0x14C, 0x301},
    {0x1E53, 0x14D, 0x301}, {0x1E54, 0x50, 0x301}, {0x1E55, 0x70, 0x301}, {0x1E56, 0x50, 0x307}, {0x1E57, 0x70, 0x307}, {0x1E58, 0x52, 0x307},
    {0x1E59, 0x72, 0x307}, {0x1E5A, 0x52, 0x323}, {0x1E5B, 0x72, 0x323}, {0x1E5C, 0x1E5A, 0x304}, {0x1E5D, 0x1E5B, 0x304}, {0x1E5E, 0x52, 0x331},
    {0x1E5F, 0x72, 0x331}, {0x1E60, 0x53, 0x307}, {0x1E61, 0x73, 0x307}, {0x1E62, 0x53, 0x323}, {0x1E63, 0x73, 0x323}, {0x1E64, 0x15A, 0x307},
    {0x1E65, 0x15B, 0x307}, {0x1E66, 0x160, 0x307}, {0x1E67, 0x161, 0x307}, {0x1E68, 0x1E62, 0x307}, {0x1E69, 0x1E63, 0x307}, {0x1E6A, 0x54, 0x307},
    {0x1E6B, 0x74, 0x307}, {0x1E6C, 0x54, 0x323}, {0x1E6D, 0x74, 0x323}, {0x1E6E, 0x54, 0x331}, {0x1E6F, 0x74, 0x331}, {0x1E70, 0x54, 0x32D},
    {0x1E71, 0x74, 0x32D}, {0x1E72, 0x55, 0x324}, {0x1E73, 0x75, 0x324}, {0x1E74, 0x55, 0x330}, {0x1E75, 0x75, 0x330}, {0x1E76, 0x55, 0x32D},
    {0x1E77, 0x75, 0x32D}, {0x1E78, 0x168, 0x301}, {0x1E79, 0x169, 0x301}, {0x1E7A, 0x16A, 0x308}, {0x1E7B, 0x16B, 0x308}, {0x1E7C, 0x56, 0x303},
    {0x1E7D, 0x76, 0x303}, {0x1E7E, 0x56, 0x323}, {0x1E7F, 0x76, 0x323}, {0x1E80, 0x57, 0x300}, {0x1E81, 0x77, 0x300}, {0x1E82, 0x57, 0x301},
    {0x1E83, 0x77, 0x301}, {0x1E84, 0x57, 0x308}, {0x1E85, 0x77, 0x308}, {0x1E86, 0x57, 0x307}, {0x1E87, 0x77, 0x307}, {0x1E88, 0x57, 0x323},
    {0x1E89, 0x77, 0x323}, {0x1E8A, 0x58, 0x307}, {0x1E8B, 0x78, 0x307}, {0x1E8C, 0x58, 0x308}, {0x1E8D, 0x78, 0x308}, {0x1E8E, 0x59, 0x307},
    {0x1E8F, 0x79, 0x307}, {0x1E90, 0x5A, 0x302}, {0x1E91, 0x7A, 0x302}, {0x1E92, 0x5A, 0x323}, {0x1E93, 0x7A, 0x323}, {0x1E94, 0x5A, 0x331},
    {0x1E95, 0x7A, 0x331}, {0x1E96, 0x68, 0x331}, {0x1E97, 0x74, 0x308}, {0x1E98, 0x77, 0x30A}, {0x1E99, 0x79, 0x30A}, {0x1E9B, 0x17F, 0x307},
    {0x1EA0, 0x41, 0x323}, {0x1EA1, 0x61, 0x323}, {0x1EA2, 0x41, 0x309}, {0x1EA3, 0x61, 0x309}, {0x1EA4, 0xC2, 0x301}, {0x1EA5, 0xE2, 0x301},
    {0x1EA6, 0xC2, 0x300}, {0x1EA7, 0xE2, 0x300}, {0x1EA8, 0xC2, 0x309}, {0x1EA9, 0xE2, 0x309}, {0x1EAA, 0xC2, 0x303}, {0x1EAB, 0xE2, 0x303},
    {0x1EAC, 0x1EA0, 0x302}, {0x1EAD, 0x1EA1, 0x302}, {0x1EAE, 0x102, 0x301}, {0x1EAF, 0x103, 0x301}, {0x1EB0, 0x102, 0x300}, {0x1EB1, 0x103, 0x300},
    {0x1EB2, 0x102, 0x309}, {0x1EB3, 0x103, 0x309}, {0x1EB4, 0x102, 0x303}, {0x1EB5, 0x103, 0x303}, {0x1EB6, 0x1EA0, 0x306}, {0x1EB7, 0x1EA1, 0x306},
    {0x1EB8, 0x45, 0x323}, {0x1EB9, 0x65, 0x323}, {0x1EBA, 0x45, 0x309}, {0x1EBB, 0x65, 0x309}, {0x1EBC, 0x45, 0x303}, {0x1EBD, 0x65, 0x303},
    {0x1EBE, 0xCA, 0x301}, {0x1EBF, 0xEA, 0x301}, {0x1EC0, 0xCA, 0x300}, {0x1EC1, 0xEA, 0x300}, {0x1EC2, 0xCA, 0x309}, {0x1EC3, 0xEA, 0x309},
    {0x1EC4, 0xCA, 0x303}, {0x1EC5, 0xEA, 0x303}, {0x1EC6, 0x1EB8, 0x302}, {0x1EC7, 0x1EB9, 0x302}, {0x1EC8, 0x49, 0x309}, {0x1EC9, 0x69, 0x309},
    {0x1ECA, 0x49, 0x323}, {0x1ECB, 0x69, 0x323}, {0x1ECC, 0x4F, 0x323}, {0x1ECD, 0x6F, 0x323}, {0x1ECE, 0x4F, 0x309}, {0x1ECF, 0x6F, 0x309},
    {0x1ED0, 0xD4, 0x301}, {0x1ED1, 0xF4, 0x301}, {0x1ED2, 0xD4, 0x300}, {0x1ED3, 0xF4, 0x300}, {0x1ED4, 0xD4, 0x309}, {0x1ED5, 0xF4, 0x309},
    {0x1ED6, 0xD4, 0x303}, {0x1ED7, 0xF4, 0x303}, {0x1ED8, 0x1ECC, 0x302}, {0x1ED9, 0x1ECD, 0x302}, {0x1EDA, 0x1A0, 0x301}, {0x1EDB, 0x1A1, 0x301},
    {0x1EDC, 0x1A0, 0x300}, {0x1EDD, 0x1A1, 0x300}, {0x1EDE, 0x1A0, 0x309}, {0x1EDF, 0x1A1, 0x309}, {0x1EE0, 0x1A0, 0x303}, {0x1EE1, 0x1A1, 0x303},
    {0x1EE2, 0x1A0, 0x323}, {0x1EE3, 0x1A1, 0x323}, {0x1EE4, 0x55, 0x323}, {0x1EE5, 0x75, 0x323}, {0x1EE6, 0x55, 0x309}, {0x1EE7, 0x75, 0x309},
    {0x1EE8, 0x1AF, 0x301}, {0x1EE9, 0x1B0, 0x301}, {0x1EEA, 0x1AF, 0x300}, {0x1EEB, 0x1B0, 0x300}, {0x1EEC, 0x1AF, 0x309}, {0x1EED, 0x1B0, 0x309},
    {0x1EEE, 0x1AF, 0x303}, {0x1EEF, 0x1B0, 0x303}, {0x1EF0, 0x1AF, 0x323}, {0x1EF1, 0x1B0, 0x323}, {0x1EF2, 0x59, 0x300}, {0x1EF3, 0x79, 0x300},
    {0x1EF4, 0x59, 0x323}, {0x1EF5, 0x79, 0x323}, {0x1EF6, 0x59, 0x309}, {0x1EF7, 0x79, 0x309}, {0x1EF8, 0x59, 0x303}, {0x1EF9, 0x79, 0x303},
    {0x1F00, 0x3B1, 0x313}, {0x1F01, 0x3B1, 0x314}, {0x1F02, 0x1F00, 0x300}, {0x1F03, 0x1F01, 0x300}, {0x1F04, 0x1F00, 0x301}, {0x1F05, 0x1F01, 0x301},
    {0x1F06, 0x1F00, 0x342}, {0x1F07, 0x1F01, 0x342}, {0x1F08, 0x391, 0x313}, {0x1F09, 0x391, 0x314}, {0x1F0A, 0x1F08, 0x300}, {0x1F0B, 0x1F09, 0x300},
    {0x1F0C, 0x1F08, 0x301}, {0x1F0D, 0x1F09, 0x301}, {0x1F0E, 0x1F08, 0x342}, {0x1F0F, 0x1F09, 0x342}, {0x1F10, 0x3B5, 0x313}, {0x1F11, 0x3B5, 0x314},
    {0x1F12, 0x1F10, 0x300}, {0x1F13, 0x1F11, 0x300}, {0x1F14, 0x1F10, 0x301}, {0x1F15, 0x1F11, 0x301}, {0x1F18, 0x395, 0x313}, {0x1F19, 0x395, 0x314},
    {0x1F1A, 0x1F18, 0x300}, {0x1F1B, 0x1F19, 0x300}, {0x1F1C, 0x1F18, 0x301}, {0x1F1D, 0x1F19, 0x301}, {0x1F20, 0x3B7, 0x313}, {0x1F21, 0x3B7, 0x314},
    {0x1F22, 0x1F20, 0x300}, {0x1F23, 0x1F21, 0x300}, {0x1F24, 0x1F20, 0x301}, {0x1F25, 0x1F21, 0x301}, {0x1F26, 0x1F20, 0x342}, {0x1F27, 0x1F21, 0x342},
    {0x1F28, 0x397, 0x313}, {0x1F29, 0x397, 0x314}, {0x1F2A, 0x1F28, 0x300}, {0x1F2B, 0x1F29, 0x300}, {0x1F2C, 0x1F28, 0x301}, {0x1F2D, 0x1F29, 0x301},
    {0x1F2E, 0x1F28, 0x342}, {0x1F2F, 0x1F29, 0x342}, {0x1F30, 0x3B9, 0x313}, {0x1F31, 0x3B9, 0x314}, {0x1F32, 0x1F30, 0x300}, {0x1F33, 0x1F31, 0x300},
    {0x1F34, 0x1F30, 0x301}, {0x1F35, 0x1F31, 0x301}, {0x1F36, 0x1F30, 0x342}, {0x1F37, 0x1F31, 0x342}, {0x1F38, 0x399, 0x313}, {0x1F39, 0x399, 0x314},
    {0x1F3A, 0x1F38, 0x300}, {0x1F3B, 0x1F39, 0x300}, {0x1F3C, 0x1F38, 0x301}, {0x1F3D, 0x1F39, 0x301}, {0x1F3E, 0x1F38, 0x342}, {0x1F3F, 0x1F39, 0x342},
    {0x1F40, 0x3BF, 0x313}, {0x1F41, 0x3BF, 0x314}, {0x1F42, 0x1F40, 0x300}, {0x1F43, 0x1F41, 0x300}, {0x1F44, 0x1F40, 0x301}, {0x1F45, 0x1F41, 0x301},
    {0x1F48, 0x39F, 0x313}, {0x1F49, 0x39F, 0x314}, {0x1F4A, 0x1F48, 0x300}, {0x1F4B, 0x1F49, 0x300}, {0x1F4C, 0x1F48, 0x301}, {0x1F4D, 0x1F49, 0x301},
    {0x1F50, 0x3C5, 0x313}, {0x1F51, 0x3C5, 0x314}, {0x1F52, 0x1F50, 0x300}, {0x1F53, 0x1F51, 0x300}, {0x1F54, 0x1F50, 0x301}, {0x1F55, 0x1F51, 0x301},
    {0x1F56, 0x1F50, 0x342}, {0x1F57, 0x1F51, 0x342}, {0x1F59, 0x3A5, 0x314}, {0x1F5B, 0x1F59, 0x300}, {0x1F5D, 0x1F59, 0x301}, {0x1F5F, 0x1F59, 0x342},
    {0x1F60, 0x3C9, 0x313}, {0x1F61, 0x3C9, 0x314}, {0x1F62, 0x1F60, 0x300}, {0x1F63, 0x1F61, 0x300}, {0x1F64, 0x1F60, 0x301}, {0x1F65, 0x1F61, 0x301},
    {0x1F66, 0x1F60, 0x342}, {0x1F67, 0x1F61, 0x342}, {0x1F68, 0x3A9, 0x313}, {0x1F69, 0x3A9, 0x314}, {0x1F6A, 0x1F68, 0x300}, {0x1F6B, 0x1F69, 0x300},
    {0x1F6C, 0x1F68, 0x301}, {0x1F6D, 0x1F69, 0x301}, {0x1F6E, 0x1F68, 0x342}, {0x1F6F, 0x1F69, 0x342}, {0x1F70, 0x3B1, 0x300}, {0x1F71, 0x3AC, 0x0},
    {0x1F72, 0x3B5, 0x300}, {0x1F73, 0x3AD, 0x0}, {0x1F74, 0x3B7, 0x300}, {0x1F75, 0x3AE, 0x0}, {0x1F76, 0x3B9, 0x300}, {0x1F77, 0x3AF, 0x0},
    {0x1F78, 0x3BF, 0x300}, {0x1F79, 0x3CC, 0x0}, {0x1F7A, 0x3C5, 0x300}, {0x1F7B, 0x3CD, 0x0}, {0x1F7C, 0x3C9, 0x300}, {0x1F7D, 0x3CE, 0x0},
    {0x1F80, 0x1F00, 0x345}, {0x1F81, 0x1F01, 0x345}, {0x1F82, 0x1F02, 0x345}, {0x1F83, 0x1F03, 0x345}, {0x1F84, 0x1F04, 0x345}, {0x1F85, 0x1F05, 0x345},
    {0x1F86, 0x1F06, 0x345}, {0x1F87, 0x1F07, 0x345}, {0x1F88, 0x1F08, 0x345}, {0x1F89, 0x1F09, 0x345}, {0x1F8A, 0x1F0A, 0x345}, {0x1F8B, 0x1F0B, 0x345},
    {0x1F8C, 0x1F0C, 0x345}, {0x1F8D, 0x1F0D, 0x345}, {0x1F8E, 0x1F0E, 0x345}, {0x1F8F, 0x1F0F, 0x345}, {0x1F90, 0x1F20, 0x345}, {0x1F91, 0x1F21, 0x345},
    {0x1F92, 0x1F22, 0x345}, {0x1F93, 0x1F23, 0x345}, {0x1F94, 0x1F24, 0x345}, {0x1F95, 0x1F25, 0x345}, {0x1F96, 0x1F26, 0x345}, {0x1F97, 0x1F27, 0x345},
    {0x1F98, 0x1F28, 0x345}, {0x1F99, 0x1F29, 0x345}, {0x1F9A, 0x1F2A, 0x345}, {0x1F9B, 0x1F2B, 0x345}, {0x1F9C, 0x1F2C, 0x345}, {0x1F9D, 0x1F2D, 0x345},
    {0x1F9E, 0x1F2E, 0x345}, {0x1F9F, 0x1F2F, 0x345}, {0x1FA0, 0x1F60, 0x345}, {0x1FA1, 0x1F61, 0x345}, {0x1FA2, 0x1F62, 0x345}, {0x1FA3, 0x1F63, 0x345},
    {0x1FA4, 0x1F64, 0x345}, {0x1FA5, 0x1F65, 0x345}, {0x1FA6, 0x1F66, 0x345}, {0x1FA7, 0x1F67, 0x345}, {0x1FA8, 0x1F68, 0x345}, {0x1FA9, 0x1F69, 0x345},
    {0x1FAA, 0x1F6A, 0x345}, {0x1FAB, 0x1F6B, 0x345}, {0x1FAC, 0x1F6C, 0x345}, {0x1FAD, 0x1F6D, 0x345}, {0x1FAE, 0x1F6E, 0x345}, {0x1FAF, 0x1F6F, 0x345},
    {0x1FB0, 0x3B1, 0x306}, {0x1FB1, 0x3B1, 0x304}, {0x1FB2, 0x1F70, 0x345}, {0x1FB3, 0x3B1, 0x345}, {0x1FB4, 0x3AC, 0x345}, {0x1FB6, 0x3B1, 0x342},
    {0x1FB7, 0x1FB6, 0x345}, {0x1FB8, 0x391, 0x306}, {0x1FB9, 0x391, 0x304}, {0x1FBA, 0x391, 0x300}, {0x1FBB, 0x386, 0x0}, {0x1FBC, 0x391, 0x345},
    {0x1FBE, 0x3B9, 0x0}, {0x1FC1, 0xA8, 0x342}, {0x1FC2, 0x1F74, 0x345}, {0x1FC3, 0x3B7, 0x345}, {0x1FC4, 0x3AE, 0x345}, {0x1FC6, 0x3B7, 0x342},
    {0x1FC7, 0x1FC6, 0x345}, {0x1FC8, 0x395, 0x300}, {0x1FC9, 0x388, 0x0}, {0x1FCA, 0x397, 0x300}, {0x1FCB, 0x389, 0x0}, {0x1FCC, 0x397, 0x345},
    {0x1FCD, 0x1FBF, 0x300}, {0x1FCE, 0x1FBF, 0x301}, {0x1FCF, 0x1FBF, 0x342}, {0x1FD0, 0x3B9, 0x306}, {0x1FD1, 0x3B9, 0x304}, {0x1FD2, 0x3CA, 0x300},
    {0x1FD3, 0x390, 0x0}, {0x1FD6, 0x3B9, 0x342}, {0x1FD7, 0x3CA, 0x342}, {0x1FD8, 0x399, 0x306}, {0x1FD9, 0x399, 0x304}, {0x1FDA, 0x399, 0x300},
    {0x1FDB, 0x38A, 0x0}, {0x1FDD, 0x1FFE, 0x300}, {0x1FDE, 0x1FFE, 0x301}, {0x1FDF, 0x1FFE, 0x342}, {0x1FE0, 0x3C5, 0x306}, {0x1FE1, 0x3C5, 0x304},
    {0x1FE2, 0x3CB, 0x300}, {0x1FE3, 0x3B0, 0x0}, {0x1FE4, 0x3C1, 0x313}, {0x1FE5, 0x3C1, 0x314}, {0x1FE6, 0x3C5, 0x342}, {0x1FE7, 0x3CB, 0x342},
    {0x1FE8, 0x3A5, 0x306}, {0x1FE9, 0x3A5, 0x304}, {0x1FEA, 0x3A5, 0x300}, {0x1FEB, 0x38E, 0x0}, {0x1FEC, 0x3A1, 0x314}, {0x1FED, 0xA8, 0x300},
    {0x1FEE, 0x385, 0x0}, {0x1FEF, 0x60, 0x0}, {0x1FF2, 0x1F7C, 0x345}, {0x1FF3, 0x3C9, 0x345}, {0x1FF4, 0x3CE, 0x345}, {0x1FF6, 0x3C9, 0x342},
    {0x1FF7, 0x1FF6, 0x345}, {0x1FF8, 0x39F, 0x300}, {0x1FF9, 0x38C, 0x0}, {0x1FFA, 0x3A9, 0x300}, {0x1FFB, 0x38F, 0x0}, {0x1FFC, 0x3A9, 0x345},
    {0x1FFD, 0xB4, 0x0}, {0x2000, 0x2002, 0x0}, {0x2001, 0x2003, 0x0}, {0x2126, 0x3A9, 0x0}, {0x212A, 0x4B, 0x0}, {0x212B, 0xC5, 0x0},
    {0x219A, 0x2190, 0x338}, {0x219B, 0x2192, 0x338}, {0x21AE, 0x2194, 0x338}, {0x21CD, 0x21D0, 0x338}, {0x21CE, 0x21D4, 0x338}, {0x21CF, 0x21D2, 0x338},
    {0x2204, 0x2203, 0x338}, {0x2209, 0x2208, 0x338}, {0x220C, 0x220B, 0x338}, {0x2224, 0x2223, 0x338}, {0x2226, 0x2225, 0x338}, {0x2241, 0x223C, 0x338},
    {0x2244, 0x2243, 0x338}, {0x2247, 0x2245, 0x338}, {0x2249, 0x2248, 0x338}, {0x2260, 0x3D, 0x338}, {0x2262, 0x2261, 0x338}, {0x226D, 0x224D, 0x338},
    {0x226E, 0x3C, 0x338}, {0x226F, 0x3E, 0x338}, {0x2270, 0x2264, 0x338}, {0x2271, 0x2265, 0x338}, {0x2274, 0x2272, 0x338}, {0x2275, 0x2273, 0x338},
    {0x2278, 0x2276, 0x338}, {0x2279, 0x2277, 0x338}, {0x2280, 0x227A, 0x338}, {0x2281, 0x227B, 0x338}, {0x2284, 0x2282, 0x338}, {0x2285, 0x2283, 0x338},
    {0x2288, 0x2286, 0x338}, {0x2289, 0x2287, 0x338}, {0x22AC, 0x22A2, 0x338}, {0x22AD, 0x22A8, 0x338}, {0x22AE, 0x22A9, 0x338}, {0x22AF, 0x22AB, 0x338},
    {0x22E0, 0x227C, 0x338}, {0x22E1, 0x227D, 0x338}, {0x22E2, 0x2291, 0x338}, {0x22E3, 0x2292, 0x338}, {0x22EA, 0x22B2, 0x338}, {0x22EB, 0x22B3, 0x338},
    {0x22EC, 0x22B4, 0x338}, {0x22ED, 0x22B5, 0x338}, {0x2329, 0x3008, 0x0}, {0x232A, 0x3009, 0x0}, {0x2ADC, 0x2ADD, 0x338}, {0x304C, 0x304B, 0x3099},
    {0x304E, 0x304D, 0x3099}, {0x3050, 0x304F, 0x3099}, {0x3052, 0x3051, 0x3099}, {0x3054, 0x3053, 0x3099}, {0x3056, 0x3055, 0x3099}, {0x3058, 0x3057, 0x3099},
    {0x305A, 0x3059, 0x3099}, {0x305C, 0x305B, 0x3099}, {0x305E, 0x305D, 0x3099}, {0x3060, 0x305F, 0x3099}, {0x3062, 0x3061, 0x3099}, {0x3065, 0x3064, 0x3099},
    {0x3067, 0x3066, 0x3099}, {0x3069, 0x3068, 0x3099}, {0x3070, 0x306F, 0x3099}, {0x3071, 0x306F, 0x309A}, {0x3073, 0x3072, 0x3099}, {0x3074, 0x3072, 0x309A},
    {0x3076, 0x3075, 0x3099}, {0x3077, 0x3075, 0x309A}, {0x3079, 0x3078, 0x3099}, {0x307A, 0x3078, 0x309A}, {0x307C, 0x307B, 0x3099}, {0x307D, 0x307B, 0x309A},
    {0x3094, 0x3046, 0x3099}, {0x309E, 0x309D, 0x3099}, {0x30AC, 0x30AB, 0x3099}, {0x30AE, 0x30AD, 0x3099}, {0x30B0, 0x30AF, 0x3099}, {0x30B2, 0x30B1, 0x3099},
    {0x30B4, 0x30B3, 0x3099}, {0x30B6, 0x30B5, 0x3099}, {0x30B8, 0x30B7, 0x3099}, {0x30BA, 0x30B9, 0x3099}, {0x30BC, 0x30BB, 0x3099}, {0x30BE, 0x30BD, 0x3099},
    {0x30C0, 0x30BF, 0x3099}, {0x30C2, 0x30C1, 0x3099}, {0x30C5, 0x30C4, 0x3099}, {0x30C7, 0x30C6, 0x3099}, {0x30C9, 0x30C8, 0x3099}, {0x30D0, 0x30CF, 0x3099},
    {0x30D1, 0x30CF, 0x309A}, {0x30D3, 0x30D2, 0x3099}, {0x30D4, 0x30D2, 0x309A}, {0x30D6, 0x30D5, 0x3099}, {0x30D7, 0x30D5, 0x309A}, {0x30D9, 0x30D8, 0x3099},
    {0x30DA, 0x30D8, 0x309A}, {0x30DC, 0x30DB, 0x3099}, {0x30DD, 0x30DB, 0x309A}, {0x30F4, 0x30A6, 0x3099}, {0x30F7, 0x30EF, 0x3099}, {0x30F8, 0x30F0, 0x3099},
    {0x30F9, 0x30F1, 0x3099}, {0x30FA, 0x30F2, 0x3099}, {0x30FE, 0x30FD, 0x3099}, {0xF900, 0x8C48, 0x0}, {0xF901, 0x66F4, 0x0}, {0xF902, 0x8ECA, 0x0},
    {0xF903, 0x8CC8, 0x0}, {0xF904, 0x6ED1, 0x0}, {0xF905, 0x4E32, 0x0}, {0xF906, 0x53E5, 0x0}, {0xF907, 0x9F9C, 0x0}, {0xF908, 0x9F9C, 0x0},
    {0xF909, 0x5951, 0x0}, {0xF90A, 0x91D1, 0x0}, {0xF90B, 0x5587, 0x0}, {0xF90C, 0x5948, 0x0}, {0xF90D, 0x61F6, 0x0}, {0xF90E, 0x7669, 0x0},
    {0xF90F, 0x7F85, 0x0}, {0xF910, 0x863F, 0x0}, {0xF911, 0x87BA, 0x0}, {0xF912, 0x88F8, 0x0}, {0xF913, 0x908F, 0x0}, {0xF914, 0x6A02, 0x0},
    {0xF915, 0x6D1B, 0x0}, {0xF916, 0x70D9, 0x0}, {0xF917, 0x73DE, 0x0}, {0xF918, 0x843D, 0x0}, {0xF919, 0x916A, 0x0}, {0xF91A, 0x99F1, 0x0},
    {0xF91B, 0x4E82, 0x0}, {0xF91C, 0x5375, 0x0}, {0xF91D, 0x6B04, 0x0}, {0xF91E, 0x721B, 0x0}, {0xF91F, 0x862D, 0x0}, {0xF920, 0x9E1E, 0x0},
    {0xF921, 0x5D50, 0x0}, {0xF922, 0x6FEB, 0x0}, {0xF923, 0x85CD, 0x0}, {0xF924, 0x8964, 0x0}, {0xF925, 0x62C9, 0x0}, {0xF926, 0x81D8, 0x0},
    {0xF927, 0x881F, 0x0}, {0xF928, 0x5ECA, 0x0}, {0xF929, 0x6717, 0x0}, {0xF92A, 0x6D6A, 0x0}, {0xF92B, 0x72FC, 0x0}, {0xF92C, 0x90CE, 0x0},
    {0xF92D, 0x4F86, 0x0}, {0xF92E, 0x51B7, 0x0}, {0xF92F, 0x52DE, 0x0}, {0xF930, 0x64C4, 0x0}, {0xF931, 0x6AD3, 0x0}, {0xF932, 0x7210, 0x0},
    {0xF933, 0x76E7, 0x0}, {0xF934, 0x8001, 0x0}, {0xF935, 0x8606, 0x0}, {0xF936, 0x865C, 0x0}, {0xF937, 0x8DEF, 0x0}, {0xF938, 0x9732, 0x0},
    {0xF939, 0x9B6F, 0x0}, {0xF93A, 0x9DFA, 0x0}, {0xF93B, 0x788C, 0x0}, {0xF93C, 0x797F, 0x0}, {0xF93D, 0x7DA0, 0x0}, {0xF93E, 0x83C9, 0x0},
    {0xF93F, 0x9304, 0x0}, {0xF940, 0x9E7F, 0x0}, {0xF941, 0x8AD6, 0x0}, {0xF942, 0x58DF, 0x0}, {0xF943, 0x5F04, 0x0}, {0xF944, 0x7C60, 0x0},
    {0xF945, 0x807E, 0x0}, {0xF946, 0x7262, 0x0}, {0xF947, 0x78CA, 0x0}, {0xF948, 0x8CC2, 0x0}, {0xF949, 0x96F7, 0x0}, {0xF94A, 0x58D8, 0x0},
    {0xF94B, 0x5C62, 0x0}, {0xF94C, 0x6A13, 0x0}, {0xF94D, 0x6DDA, 0x0}, {0xF94E, 0x6F0F, 0x0}, {0xF94F, 0x7D2F, 0x0}, {0xF950, 0x7E37, 0x0},
    {0xF951, 0x964B, 0x0}, {0xF952, 0x52D2, 0x0}, {0xF953, 0x808B, 0x0}, {0xF954, 0x51DC, 0x0}, {0xF955, 0x51CC, 0x0}, {0xF956, 0x7A1C, 0x0},
    {0xF957, 0x7DBE, 0x0}, {0xF958, 0x83F1, 0x0}, {0xF959, 0x9675, 0x0}, {0xF95A, 0x8B80, 0x0}, {0xF95B, 0x62CF, 0x0}, {0xF95C, 0x6A02, 0x0},
    {0xF95D, 0x8AFE, 0x0}, {0xF95E, 0x4E39, 0x0}, {0xF95F, 0x5BE7, 0x0}, {0xF960, 0x6012, 0x0}, {0xF961, 0x7387, 0x0}, {0xF962, 0x7570, 0x0},
    {0xF963, 0x5317, 0x0}, {0xF964, 0x78FB, 0x0}, {0xF965, 0x4FBF, 0x0}, {0xF966, 0x5FA9, 0x0}, {0xF967, 0x4E0D, 0x0}, {0xF968, 0x6CCC, 0x0},
    {0xF969, 0x6578, 0x0}, {0xF96A, 0x7D22, 0x0}, {0xF96B, 0x53C3, 0x0}, {0xF96C, 0x585E, 0x0}, {0xF96D, 0x7701, 0x0}, {0xF96E, 0x8449, 0x0},
    {0xF96F, 0x8AAA, 0x0}, {0xF970, 0x6BBA, 0x0}, {0xF971, 0x8FB0, 0x0}, {0xF972, 0x6C88, 0x0}, {0xF973, 0x62FE, 0x0}, {0xF974, 0x82E5, 0x0},
    {0xF975, 0x63A0, 0x0}, {0xF976, 0x7565, 0x0}, {0xF977, 0x4EAE, 0x0}, {0xF978, 0x5169, 0x0}, {0xF979, 0x51C9, 0x0}, {0xF97A, 0x6881, 0x0},
    {0xF97B, 0x7CE7, 0x0}, {0xF97C, 0x826F, 0x0}, {0xF97D, 0x8AD2, 0x0}, {0xF97E, 0x91CF, 0x0}, {0xF97F, 0x52F5, 0x0}, {0xF980, 0x5442, 0x0},
    {0xF981, 0x5973, 0x0}, {0xF982, 0x5EEC, 0x0}, {0xF983, 0x65C5, 0x0}, {0xF984, 0x6FFE, 0x0}, {0xF985, 0x792A, 0x0}, {0xF986, 0x95AD, 0x0},
    {0xF987, 0x9A6A, 0x0}, {0xF988, 0x9E97, 0x0}, {0xF989, 0x9ECE, 0x0}, {0xF98A, 0x529B, 0x0}, {0xF98B, 0x66C6, 0x0}, {0xF98C, 0x6B77, 0x0},
    {0xF98D, 0x8F62, 0x0}, {0xF98E, 0x5E74, 0x0}, {0xF98F, 0x6190, 0x0}, {0xF990, 0x6200, 0x0}, {0xF991, 0x649A, 0x0}, {0xF992, 0x6F23, 0x0},
    {0xF993, 0x7149, 0x0}, {0xF994, 0x7489, 0x0}, {0xF995, 0x79CA, 0x0}, {0xF996, 0x7DF4, 0x0}, {0xF997, 0x806F, 0x0}, {0xF998, 0x8F26, 0x0},
    {0xF999, 0x84EE, 0x0}, {0xF99A, 0x9023, 0x0}, {0xF99B, 0x934A, 0x0}, {0xF99C, 0x5217, 0x0}, {0xF99D, 0x52A3, 0x0}, {0xF99E, 0x54BD, 0x0},
    {0xF99F, 0x70C8, 0x0}, {0xF9A0, 0x88C2, 0x0}, {0xF9A1, 0x8AAA, 0x0}, {0xF9A2, 0x5EC9, 0x0}, {0xF9A3, 0x5FF5, 0x0}, {0xF9A4, 0x637B, 0x0},
    {0xF9A5, 0x6BAE, 0x0}, {0xF9A6, 0x7C3E, 0x0}, {0xF9A7, 0x7375, 0x0}, {0xF9A8, 0x4EE4, 0x0}, {0xF9A9, 0x56F9, 0x0}, {0xF9AA, 0x5BE7, 0x0},
    {0xF9AB, 0x5DBA, 0x0}, {0xF9AC, 0x601C, 0x0}, {0xF9AD, 0x73B2, 0x0}, {0xF9AE, 0x7469, 0x0}, {0xF9AF, 0x7F9A, 0x0}, {0xF9B0, 0x8046, 0x0},
    {0xF9B1, 0x9234, 0x0}, {0xF9B2, 0x96F6, 0x0}, {0xF9B3, 0x9748, 0x0}, {0xF9B4, 0x9818, 0x0}, {0xF9B5, 0x4F8B, 0x0}, {0xF9B6, 0x79AE, 0x0},
    {0xF9B7, 0x91B4, 0x0}, {0xF9B8, 0x96B8, 0x0}, {0xF9B9, 0x60E1, 0x0}, {0xF9BA, 0x4E86, 0x0}, {0xF9BB, 0x50DA, 0x0}, {0xF9BC, 0x5BEE, 0x0},
    {0xF9BD, 0x5C3F, 0x0}, {0xF9BE, 0x6599, 0x0}, {0xF9BF, 0x6A02, 0x0}, {0xF9C0, 0x71CE, 0x0}, {0xF9C1, 0x7642, 0x0}, {0xF9C2, 0x84FC, 0x0},
    {0xF9C3, 0x907C, 0x0}, {0xF9C4, 0x9F8D, 0x0}, {0xF9C5, 0x6688, 0x0}, {0xF9C6, 0x962E, 0x0}, {0xF9C7, 0x5289, 0x0}, {0xF9C8, 0x677B, 0x0},
    {0xF9C9, 0x67F3, 0x0}, {0xF9CA, 0x6D41, 0x0}, {0xF9CB, 0x6E9C, 0x0}, {0xF9CC, 0x7409, 0x0}, {0xF9CD, 0x7559, 0x0}, {0xF9CE, 0x786B, 0x0},
    {0xF9CF, 0x7D10, 0x0}, {0xF9D0, 0x985E, 0x0}, {0xF9D1, 0x516D, 0x0}, {0xF9D2, 0x622E, 0x0}, {0xF9D3, 0x9678, 0x0}, {0xF9D4, 0x502B, 0x0},
    {0xF9D5, 0x5D19, 0x0}, {0xF9D6, 0x6DEA, 0x0}, {0xF9D7, 0x8F2A, 0x0}, {0xF9D8, 0x5F8B, 0x0}, {0xF9D9, 0x6144, 0x0}, {0xF9DA, 0x6817, 0x0},
    {0xF9DB, 0x7387, 0x0}, {0xF9DC, 0x9686, 0x0}, {0xF9DD, 0x5229, 0x0}, {0xF9DE, 0x540F, 0x0}, {0xF9DF, 0x5C65, 0x0}, {0xF9E0, 0x6613, 0x0},
    {0xF9E1, 0x674E, 0x0}, {0xF9E2, 0x68A8, 0x0}, {0xF9E3, 0x6CE5, 0x0}, {0xF9E4, 0x7406, 0x0}, {0xF9E5, 0x75E2, 0x0}, {0xF9E6, 0x7F79, 0x0},
    {0xF9E7, 0x88CF, 0x0}, {0xF9E8, 0x88E1, 0x0}, {0xF9E9, 0x91CC, 0x0}, {0xF9EA, 0x96E2, 0x0}, {0xF9EB, 0x533F, 0x0}, {0xF9EC, 0x6EBA, 0x0},
    {0xF9ED, 0x541D, 0x0}, {0xF9EE, 0x71D0, 0x0}, {0xF9EF, 0x7498, 0x0}, {0xF9F0, 0x85FA, 0x0}, {0xF9F1, 0x96A3, 0x0}, {0xF9F2, 0x9C57, 0x0},
    {0xF9F3, 0x9E9F, 0x0}, {0xF9F4, 0x6797, 0x0}, {0xF9F5, 0x6DCB, 0x0}, {0xF9F6, 0x81E8, 0x0}, {0xF9F7, 0x7ACB, 0x0}, {0xF9F8, 0x7B20, 0x0},
    {0xF9F9, 0x7C92, 0x0}, {0xF9FA, 0x72C0, 0x0}, {0xF9FB, 0x7099, 0x0}, {0xF9FC, 0x8B58, 0x0}, {0xF9FD, 0x4EC0, 0x0}, {0xF9FE, 0x8336, 0x0},
    {0xF9FF, 0x523A, 0x0}, {0xFA00, 0x5207, 0x0}, {0xFA01, 0x5EA6, 0x0}, {0xFA02, 0x62D3, 0x0}, {0xFA03, 0x7CD6, 0x0}, {0xFA04, 0x5B85, 0x0},
    {0xFA05, 0x6D1E, 0x0}, {0xFA06, 0x66B4, 0x0}, {0xFA07, 0x8F3B, 0x0}, {0xFA08, 0x884C, 0x0}, {0xFA09, 0x964D, 0x0}, {0xFA0A, 0x898B, 0x0},
    {0xFA0B, 0x5ED3, 0x0}, {0xFA0C, 0x5140, 0x0}, {0xFA0D, 0x55C0, 0x0}, {0xFA10, 0x585A, 0x0}, {0xFA12, 0x6674, 0x0}, {0xFA15, 0x51DE, 0x0},
    {0xFA16, 0x732A, 0x0}, {0xFA17, 0x76CA, 0x0}, {0xFA18, 0x793C, 0x0}, {0xFA19, 0x795E, 0x0}, {0xFA1A, 0x7965, 0x0}, {0xFA1B, 0x798F, 0x0},
    {0xFA1C, 0x9756, 0x0}, {0xFA1D, 0x7CBE, 0x0}, {0xFA1E, 0x7FBD, 0x0}, {0xFA20, 0x8612, 0x0}, {0xFA22, 0x8AF8, 0x0}, {0xFA25, 0x9038, 0x0},
    {0xFA26, 0x90FD, 0x0}, {0xFA2A, 0x98EF, 0x0}, {0xFA2B, 0x98FC, 0x0}, {0xFA2C, 0x9928, 0x0}, {0xFA2D, 0x9DB4, 0x0}, {0xFA2E, 0x90DE, 0x0},
    {0xFA2F, 0x96B7, 0x0}, {0xFA30, 0x4FAE, 0x0}, {0xFA31, 0x50E7, 0x0}, {0xFA32, 0x514D, 0x0}, {0xFA33, 0x52C9, 0x0}, {0xFA34, 0x52E4, 0x0},
    {0xFA35, 0x5351, 0x0}, {0xFA36, 0x559D, 0x0}, {0xFA37, 0x5606, 0x0}, {0xFA38, 0x5668, 0x0}, {0xFA39, 0x5840, 0x0}, {0xFA3A, 0x58A8, 0x0},
    {0xFA3B, 0x5C64, 0x0}, {0xFA3C, 0x5C6E, 0x0}, {0xFA3D, 0x6094, 0x0}, {0xFA3E, 0x6168, 0x0}, {0xFA3F, 0x618E, 0x0}, {0xFA40, 0x61F2, 0x0},
    {0xFA41, 0x654F, 0x0}, {0xFA42, 0x65E2, 0x0}, {0xFA43, 0x6691, 0x0}, {0xFA44, 0x6885, 0x0}, {0xFA45, 0x6D77, 0x0}, {0xFA46, 0x6E1A, 0x0},
    {0xFA47, 0x6F22, 0x0}, {0xFA48, 0x716E, 0x0}, {0xFA49, 0x722B, 0x0}, {0xFA4A, 0x7422, 0x0}, {0xFA4B, 0x7891, 0x0}, {0xFA4C, 0x793E, 0x0},
    {0xFA4D, 0x7949, 0x0}, {0xFA4E, 0x7948, 0x0}, {0xFA4F, 0x7950, 0x0}, {0xFA50, 0x7956, 0x0}, {0xFA51, 0x795D, 0x0}, {0xFA52, 0x798D, 0x0},
    {0xFA53, 0x798E, 0x0}, {0xFA54, 0x7A40, 0x0}, {0xFA55, 0x7A81, 0x0}, {0xFA56, 0x7BC0, 0x0}, {0xFA57, 0x7DF4, 0x0}, {0xFA58, 0x7E09, 0x0},
    {0xFA59, 0x7E41, 0x0}, {0xFA5A, 0x7F72, 0x0}, {0xFA5B, 0x8005, 0x0}, {0xFA5C, 0x81ED, 0x0}, {0xFA5D, 0x8279, 0x0}, {0xFA5E, 0x8279, 0x0},
    {0xFA5F, 0x8457, 0x0}, {0xFA60, 0x8910, 0x0}, {0xFA61, 0x8996, 0x0}, {0xFA62, 0x8B01, 0x0}, {0xFA63, 0x8B39, 0x0}, {0xFA64, 0x8CD3, 0x0},
    {0xFA65, 0x8D08, 0x0}, {0xFA66, 0x8FB6, 0x0}, {0xFA67, 0x9038, 0x0}, {0xFA68, 0x96E3, 0x0}, {0xFA69, 0x97FF, 0x0}, {0xFA6A, 0x983B, 0x0},
    {0xFA6B, 0x6075, 0x0}, {0xFA6C, 0x242EE, 0x0}, {0xFA6D, 0x8218, 0x0}, {0xFA70, 0x4E26, 0x0}, {0xFA71, 0x51B5, 0x0}, {0xFA72, 0x5168, 0x0},
    {0xFA73, 0x4F80, 0x0}, {0xFA74, 0x5145, 0x0}, {0xFA75, 0x5180, 0x0}, {0xFA76, 0x52C7, 0x0}, {0xFA77, 0x52FA, 0x0}, {0xFA78, 0x559D, 0x0},
    {0xFA79, 0x5555, 0x0}, {0xFA7A, 0x5599, 0x0}, {0xFA7B, 0x55E2, 0x0}, {0xFA7C, 0x585A, 0x0}, {0xFA7D, 0x58B3, 0x0}, {0xFA7E, 0x5944, 0x0},
    {0xFA7F, 0x5954, 0x0}, {0xFA80, 0x5A62, 0x0}, {0xFA81, 0x5B28, 0x0}, {0xFA82, 0x5ED2, 0x0}, {0xFA83, 0x5ED9, 0x0}, {0xFA84, 0x5F69, 0x0},
    {0xFA85, 0x5FAD, 0x0}, {0xFA86, 0x60D8, 0x0}, {0xFA87, 0x614E, 0x0}, {0xFA88, 0x6108, 0x0}, {0xFA89, 0x618E, 0x0}, {0xFA8A, 0x6160, 0x0},
    {0xFA8B, 0x61F2, 0x0}, {0xFA8C, 0x6234, 0x0}, {0xFA8D, 0x63C4, 0x0}, {0xFA8E, 0x641C, 0x0}, {0xFA8F, 0x6452, 0x0}, {0xFA90, 0x6556, 0x0},
    {0xFA91, 0x6674, 0x0}, {0xFA92, 0x6717, 0x0}, {0xFA93, 0x671B, 0x0}, {0xFA94, 0x6756, 0x0}, {0xFA95, 0x6B79, 0x0}, {0xFA96, 0x6BBA, 0x0},
    {0xFA97, 0x6D41, 0x0}, {0xFA98, 0x6EDB, 0x0}, {0xFA99, 0x6ECB, 0x0}, {0xFA9A, 0x6F22, 0x0}, {0xFA9B, 0x701E, 0x0}, {0xFA9C, 0x716E, 0x0},
    {0xFA9D, 0x77A7, 0x0}, {0xFA9E, 0x7235, 0x0}, {0xFA9F, 0x72AF, 0x0}, {0xFAA0, 0x732A, 0x0}, {0xFAA1, 0x7471, 0x0}, {0xFAA2, 0x7506, 0x0},
    {0xFAA3, 0x753B, 0x0}, {0xFAA4, 0x761D, 0x0}, {0xFAA5, 0x761F, 0x0}, {0xFAA6, 0x76CA, 0x0}, {0xFAA7, 0x76DB, 0x0}, {0xFAA8, 0x76F4, 0x0},
    {0xFAA9, 0x774A, 0x0}, {0xFAAA, 0x7740, 0x0}, {0xFAAB, 0x78CC, 0x0}, {0xFAAC, 0x7AB1, 0x0}, {0xFAAD, 0x7BC0, 0x0}, {0xFAAE, 0x7C7B, 0x0},
    {0xFAAF, 0x7D5B, 0x0}, {0xFAB0, 0x7DF4, 0x0}, {0xFAB1, 0x7F3E, 0x0}, {0xFAB2, 0x8005, 0x0}, {0xFAB3, 0x8352, 0x0}, {0xFAB4, 0x83EF, 0x0},
    {0xFAB5, 0x8779, 0x0}, {0xFAB6, 0x8941, 0x0}, {0xFAB7, 0x8986, 0x0}, {0xFAB8, 0x8996, 0x0}, {0xFAB9, 0x8ABF, 0x0}, {0xFABA, 0x8AF8, 0x0},
    {0xFABB, 0x8ACB, 0x0}, {0xFABC, 0x8B01, 0x0}, {0xFABD, 0x8AFE, 0x0}, {0xFABE, 0x8AED, 0x0}, {0xFABF, 0x8B39, 0x0}, {0xFAC0, 0x8B8A, 0x0},
    {0xFAC1, 0x8D08, 0x0}, {0xFAC2, 0x8F38, 0x0}, {0xFAC3, 0x9072, 0x0}, {0xFAC4, 0x9199, 0x0}, {0xFAC5, 0x9276, 0x0}, {0xFAC6, 0x967C, 0x0},
    {0xFAC7, 0x96E3, 0x0}, {0xFAC8, 0x9756, 0x0}, {0xFAC9, 0x97DB, 0x0}, {0xFACA, 0x97FF, 0x0}, {0xFACB, 0x980B, 0x0}, {0xFACC, 0x983B, 0x0},
    {0xFACD, 0x9B12, 0x0}, {0xFACE, 0x9F9C, 0x0}, {0xFACF, 0x2284A, 0x0}, {0xFAD0, 0x22844, 0x0}, {0xFAD1, 0x233D5, 0x0}, {0xFAD2, 0x3B9D, 0x0},
    {0xFAD3, 0x4018, 0x0}, {0xFAD4, 0x4039, 0x0}, {0xFAD5, 0x25249, 0x0}, {0xFAD6, 0x25CD0, 0x0}, {0xFAD7, 0x27ED3, 0x0}, {0xFAD8, 0x9F43, 0x0},
    {0xFAD9, 0x9F8E, 0x0}, {0xFB1D, 0x5D9, 0x5B4}, {0xFB1F, 0x5F2, 0x5B7}, {0xFB2A, 0x5E9, 0x5C1}, {0xFB2B, 0x5E9, 0x5C2}, {0xFB2C, 0xFB49, 0x5C1},
    {0xFB2D, 0xFB49, 0x5C2}, {0xFB2E, 0x5D0, 0x5B7}, {0xFB2F, 0x5D0, 0x5B8}, {0xFB30, 0x5D0, 0x5BC}, {0xFB31, 0x5D1, 0x5BC}, {0xFB32, 0x5D2, 0x5BC},
    {0xFB33, 0x5D3, 0x5BC}, {0xFB34, 0x5D4, 0x5BC}, {0xFB35, 0x5D5, 0x5BC}, {0xFB36, 0x5D6, 0x5BC}, {0xFB38, 0x5D8, 0x5BC}, {0xFB39, 0x5D9, 0x5BC},
    {0xFB3A, 0x5DA, 0x5BC}, {0xFB3B, 0x5DB, 0x5BC}, {0xFB3C, 0x5DC, 0x5BC}, {0xFB3E, 0x5DE, 0x5BC}, {0xFB40, 0x5E0, 0x5BC}, {0xFB41, 0x5E1, 0x5BC},
    {0xFB43, 0x5E3, 0x5BC}, {0xFB44, 0x5E4, 0x5BC}, {0xFB46, 0x5E6, 0x5BC}, {0xFB47, 0x5E7, 0x5BC}, {0xFB48, 0x5E8, 0x5BC}, {0xFB49, 0x5E9, 0x5BC},
    {0xFB4A, 0x5EA, 0x5BC}, {0xFB4B, 0x5D5, 0x5B9}, {0xFB4C, 0x5D1, 0x5BF}, {0xFB4D, 0x5DB, 0x5BF}, {0xFB4E, 0x5E4, 0x5BF}, {0x1109A, 0x11099, 0x110BA},
    {0x1109C, 0x1109B, 0x110BA}, {0x110AB, 0x110A5, 0x110BA}, {0x1112E, 0x11131, 0x11127}, {0x1112F, 0x11132, 0x11127}, {0x1134B, 0x11347, 0x1133E}, {0x1134C, 0x11347, 0x11357},
    {0x114BB, 0x114B9, 0x114BA}, {0x114BC, 0x114B9, 0x114B0}, {0x114BE, 0x114B9, 0x114BD}, {0x115BA, 0x115B8, 0x115AF}, {0x115BB, 0x115B9, 0x115AF}, {0x11938, 0x11935, 0x11930},
    {0x1D15E, 0x1D157, 0x1D165}, {0x1D15F, 0x1D158, 0x1D165}, {0x1D160, 0x1D15F, 0x1D16E}, {0x1D161, 0x1D15F, 0x1D16F}, {0x1D162, 0x1D15F, 0x1D170}, {0x1D163, 0x1D15F, 0x1D171},
    {0x1D164, 0x1D15F, 0x1D172}, {0x1D1BB, 0x1D1B9, 0x1D165}, {0x1D1BC, 0x1D1BA, 0x1D165}, {0x1D1BD, 0x1D1BB, 0x1D16E}, {0x1D1BE, 0x1D1BC, 0x1D16E}, {0x1D1BF, 0x1D1BB, 0x1D16F},
    {0x1D1C0, 0x1D1BC, 0x1D16F}, {0x2F800, 0x4E3D, 0x0}, {0x2F801, 0x4E38, 0x0}, {0x2F802, 0x4E41, 0x0}, {0x2F803, 0x20122, 0x0}, {0x2F804, 0x4F60, 0x0},
    {0x2F805, 0x4FAE, 0x0}, {0x2F806, 0x4FBB, 0x0}, {0x2F807, 0x5002, 0x0}, {0x2F808, 0x507A, 0x0}, {0x2F809, 0x5099, 0x0}, {0x2F80A, 0x50E7, 0x0},
    {0x2F80B, 0x50CF, 0x0}, {0x2F80C, 0x349E, 0x0}, {0x2F80D, 0x2063A, 0x0}, {0x2F80E, 0x514D, 0x0}, {0x2F80F, 0x5154, 0x0}, {0x2F810, 0x5164, 0x0},
    {0x2F811, 0x5177, 0x0}, {0x2F812, 0x2051C, 0x0}, {0x2F813, 0x34B9, 0x0}, {0x2F814, 0x5167, 0x0}, {0x2F815, 0x518D, 0x0}, {0x2F816, 0x2054B, 0x0},
    {0x2F817, 0x5197, 0x0}, {0x2F818, 0x51A4, 0x0}, {0x2F819, 0x4ECC, 0x0}, {0x2F81A, 0x51AC, 0x0}, {0x2F81B, 0x51B5, 0x0}, {0x2F81C, 0x291DF, 0x0},
    {0x2F81D, 0x51F5, 0x0}, {0x2F81E, 0x5203, 0x0}, {0x2F81F, 0x34DF, 0x0}, {0x2F820, 0x523B, 0x0}, {0x2F821, 0x5246, 0x0}, {0x2F822, 0x5272, 0x0},
    {0x2F823, 0x5277, 0x0}, {0x2F824, 0x3515, 0x0}, {0x2F825, 0x52C7, 0x0}, {0x2F826, 0x52C9, 0x0}, {0x2F827, 0x52E4, 0x0}, {0x2F828, 0x52FA, 0x0},
    {0x2F829, 0x5305, 0x0}, {0x2F82A, 0x5306, 0x0}, {0x2F82B, 0x5317, 0x0}, {0x2F82C, 0x5349, 0x0}, {0x2F82D, 0x5351, 0x0}, {0x2F82E, 0x535A, 0x0},
    {0x2F82F, 0x5373, 0x0}, {0x2F830, 0x537D, 0x0}, {0x2F831, 0x537F, 0x0}, {0x2F832, 0x537F, 0x0}, {0x2F833, 0x537F, 0x0}, {0x2F834, 0x20A2C, 0x0},
    {0x2F835, 0x7070, 0x0}, {0x2F836, 0x53CA, 0x0}, {0x2F837, 0x53DF, 0x0}, {0x2F838, 0x20B63, 0x0}, {0x2F839, 0x53EB, 0x0}, {0x2F83A, 0x53F1, 0x0},
    {0x2F83B, 0x5406, 0x0}, {0x2F83C, 0x549E, 0x0}, {0x2F83D, 0x5438, 0x0}, {0x2F83E, 0x5448, 0x0}, {0x2F83F, 0x5468, 0x0}, {0x2F840, 0x54A2, 0x0},
    {0x2F841, 0x54F6, 0x0}, {0x2F842, 0x5510, 0x0}, {0x2F843, 0x5553, 0x0}, {0x2F844, 0x5563, 0x0}, {0x2F845, 0x5584, 0x0}, {0x2F846, 0x5584, 0x0},
    {0x2F847, 0x5599, 0x0}, {0x2F848, 0x55AB, 0x0}, {0x2F849, 0x55B3, 0x0}, {0x2F84A, 0x55C2, 0x0}, {0x2F84B, 0x5716, 0x0}, {0x2F84C, 0x5606, 0x0},
    {0x2F84D, 0x5717, 0x0}, {0x2F84E, 0x5651, 0x0}, {0x2F84F, 0x5674, 0x0}, {0x2F850, 0x5207, 0x0}, {0x2F851, 0x58EE, 0x0}, {0x2F852, 0x57CE, 0x0},
    {0x2F853, 0x57F4, 0x0}, {0x2F854, 0x580D, 0x0}, {0x2F855, 0x578B, 0x0}, {0x2F856, 0x5832, 0x0}, {0x2F857, 0x5831, 0x0}, {0x2F858, 0x58AC, 0x0},
    {0x2F859, 0x214E4, 0x0}, {0x2F85A, 0x58F2, 0x0}, {0x2F85B, 0x58F7, 0x0}, {0x2F85C, 0x5906, 0x0}, {0x2F85D, 0x591A, 0x0}, {0x2F85E, 0x5922, 0x0},
    {0x2F85F, 0x5962, 0x0}, {0x2F860, 0x216A8, 0x0}, {0x2F861, 0x216EA, 0x0}, {0x2F862, 0x59EC, 0x0}, {0x2F863, 0x5A1B, 0x0}, {0x2F864, 0x5A27, 0x0},
    {0x2F865, 0x59D8, 0x0}, {0x2F866, 0x5A66, 0x0}, {0x2F867, 0x36EE, 0x0}, {0x2F868, 0x36FC, 0x0}, {0x2F869, 0x5B08, 0x0}, {0x2F86A, 0x5B3E, 0x0},
    {0x2F86B, 0x5B3E, 0x0}, {0x2F86C, 0x219C8, 0x0}, {0x2F86D, 0x5BC3, 0x0}, {0x2F86E, 0x5BD8, 0x0}, {0x2F86F, 0x5BE7, 0x0}, {0x2F870, 0x5BF3, 0x0},
    {0x2F871, 0x21B18, 0x0}, {0x2F872, 0x5BFF, 0x0}, {0x2F873, 0x5C06, 0x0}, {0x2F874, 0x5F53, 0x0}, {0x2F875, 0x5C22, 0x0}, {0x2F876, 0x3781, 0x0},
    {0x2F877, 0x5C60, 0x0}, {0x2F878, 0x5C6E, 0x0}, {0x2F879, 0x5CC0, 0x0}, {0x2F87A, 0x5C8D, 0x0}, {0x2F87B, 0x21DE4, 0x0}, {0x2F87C, 0x5D43, 0x0},
    {0x2F87D, 0x21DE6, 0x0}, {0x2F87E, 0x5D6E, 0x0}, {0x2F87F, 0x5D6B, 0x0}, {0x2F880, 0x5D7C, 0x0}, {0x2F881, 0x5DE1, 0x0}, {0x2F882, 0x5DE2, 0x0},
    {0x2F883, 0x382F, 0x0}, {0x2F884, 0x5DFD, 0x0}, {0x2F885, 0x5E28, 0x0}, {0x2F886, 0x5E3D, 0x0}, {0x2F887, 0x5E69, 0x0}, {0x2F888, 0x3862, 0x0},
    {0x2F889, 0x22183, 0x0}, {0x2F88A, 0x387C, 0x0}, {0x2F88B, 0x5EB0, 0x0}, {0x2F88C, 0x5EB3, 0x0}, {0x2F88D, 0x5EB6, 0x0}, {0x2F88E, 0x5ECA, 0x0},
    {0x2F88F, 0x2A392, 0x0}, {0x2F890, 0x5EFE, 0x0}, {0x2F891, 0x22331, 0x0}, {0x2F892, 0x22331, 0x0}, {0x2F893, 0x8201, 0x0}, {0x2F894, 0x5F22, 0x0},
    {0x2F895, 0x5F22, 0x0}, {0x2F896, 0x38C7, 0x0}, {0x2F897, 0x232B8, 0x0}, {0x2F898, 0x261DA, 0x0}, {0x2F899, 0x5F62, 0x0}, {0x2F89A, 0x5F6B, 0x0},
    {0x2F89B, 0x38E3, 0x0}, {0x2F89C, 0x5F9A, 0x0}, {0x2F89D, 0x5FCD, 0x0}, {0x2F89E, 0x5FD7, 0x0}, {0x2F89F, 0x5FF9, 0x0}, {0x2F8A0, 0x6081, 0x0},
    {0x2F8A1, 0x393A, 0x0}, {0x2F8A2, 0x391C, 0x0}, {0x2F8A3, 0x6094, 0x0}, {0x2F8A4, 0x226D4, 0x0}, {0x2F8A5, 0x60C7, 0x0}, {0x2F8A6, 0x6148, 0x0},
    {0x2F8A7, 0x614C, 0x0}, {0x2F8A8, 0x614E, 0x0}, {0x2F8A9, 0x614C, 0x0}, {0x2F8AA, 0x617A, 0x0}, {0x2F8AB, 0x618E, 0x0}, {0x2F8AC, 0x61B2, 0x0},
    {0x2F8AD, 0x61A4, 0x0}, {0x2F8AE, 0x61AF, 0x0}, {0x2F8AF, 0x61DE, 0x0}, {0x2F8B0, 0x61F2, 0x0}, {0x2F8B1, 0x61F6, 0x0}, {0x2F8B2, 0x6210, 0x0},
    {0x2F8B3, 0x621B, 0x0}, {0x2F8B4, 0x625D, 0x0}, {0x2F8B5, 0x62B1, 0x0}, {0x2F8B6, 0x62D4, 0x0}, {0x2F8B7, 0x6350, 0x0}, {0x2F8B8, 0x22B0C, 0x0},
    {0x2F8B9, 0x633D, 0x0}, {0x2F8BA, 0x62FC, 0x0}, {0x2F8BB, 0x6368, 0x0}, {0x2F8BC, 0x6383, 0x0}, {0x2F8BD, 0x63E4, 0x0}, {0x2F8BE, 0x22BF1, 0x0},
    {0x2F8BF, 0x6422, 0x0}, {0x2F8C0, 0x63C5, 0x0}, {0x2F8C1, 0x63A9, 0x0}, {0x2F8C2, 0x3A2E, 0x0}, {0x2F8C3, 0x6469, 0x0}, {0x2F8C4, 0x647E, 0x0},
    {0x2F8C5, 0x649D, 0x0}, {0x2F8C6, 0x6477, 0x0}, {0x2F8C7, 0x3A6C, 0x0}, {0x2F8C8, 0x654F, 0x0}, {0x2F8C9, 0x656C, 0x0}, {0x2F8CA, 0x2300A, 0x0},
    {0x2F8CB, 0x65E3, 0x0}, {0x2F8CC, 0x66F8, 0x0}, {0x2F8CD, 0x6649, 0x0}, {0x2F8CE, 0x3B19, 0x0}, {0x2F8CF, 0x6691, 0x0}, {0x2F8D0, 0x3B08, 0x0},
    {0x2F8D1, 0x3AE4, 0x0}, {0x2F8D2, 0x5192, 0x0}, {0x2F8D3, 0x5195, 0x0}, {0x2F8D4, 0x6700, 0x0}, {0x2F8D5, 0x669C, 0x0}, {0x2F8D6, 0x80AD, 0x0},
    {0x2F8D7, 0x43D9, 0x0}, {0x2F8D8, 0x6717, 0x0}, {0x2F8D9, 0x671B, 0x0}, {0x2F8DA, 0x6721, 0x0}, {0x2F8DB, 0x675E, 0x0}, {0x2F8DC, 0x6753, 0x0},
    {0x2F8DD, 0x233C3, 0x0}, {0x2F8DE, 0x3B49, 0x0}, {0x2F8DF, 0x67FA, 0x0}, {0x2F8E0, 0x6785, 0x0}, {0x2F8E1, 0x6852, 0x0}, {0x2F8E2, 0x6885, 0x0},
    {0x2F8E3, 0x2346D, 0x0}, {0x2F8E4, 0x688E, 0x0}, {0x2F8E5, 0x681F, 0x0}, {0x2F8E6, 0x6914, 0x0}, {0x2F8E7, 0x3B9D, 0x0}, {0x2F8E8, 0x6942, 0x0},
    {0x2F8E9, 0x69A3, 0x0}, {0x2F8EA, 0x69EA, 0x0}, {0x2F8EB, 0x6AA8, 0x0}, {0x2F8EC, 0x236A3, 0x0}, {0x2F8ED, 0x6ADB, 0x0}, {0x2F8EE, 0x3C18, 0x0},
    {0x2F8EF, 0x6B21, 0x0}, {0x2F8F0, 0x238A7, 0x0}, {0x2F8F1, 0x6B54, 0x0}, {0x2F8F2, 0x3C4E, 0x0}, {0x2F8F3, 0x6B72, 0x0}, {0x2F8F4, 0x6B9F, 0x0},
    {0x2F8F5, 0x6BBA, 0x0}, {0x2F8F6, 0x6BBB, 0x0}, {0x2F8F7, 0x23A8D, 0x0}, {0x2F8F8, 0x21D0B, 0x0}, {0x2F8F9, 0x23AFA, 0x0}, {0x2F8FA, 0x6C4E, 0x0},
    {0x2F8FB, 0x23CBC, 0x0}, {0x2F8FC, 0x6CBF, 0x0}, {0x2F8FD, 0x6CCD, 0x0}, {0x2F8FE, 0x6C67, 0x0}, {0x2F8FF, 0x6D16, 0x0}, {0x2F900, 0x6D3E, 0x0},
    {0x2F901, 0x6D77, 0x0}, {0x2F902, 0x6D41, 0x0}, {0x2F903, 0x6D69, 0x0}, {0x2F904, 0x6D78, 0x0}, {0x2F905, 0x6D85, 0x0}, {0x2F906, 0x23D1E, 0x0},
    {0x2F907, 0x6D34, 0x0}, {0x2F908, 0x6E2F, 0x0}, {0x2F909, 0x6E6E, 0x0}, {0x2F90A, 0x3D33, 0x0}, {0x2F90B, 0x6ECB, 0x0}, {0x2F90C, 0x6EC7, 0x0},
    {0x2F90D, 0x23ED1, 0x0}, {0x2F90E, 0x6DF9, 0x0}, {0x2F90F, 0x6F6E, 0x0}, {0x2F910, 0x23F5E, 0x0}, {0x2F911, 0x23F8E, 0x0}, {0x2F912, 0x6FC6, 0x0},
    {0x2F913, 0x7039, 0x0}, {0x2F914, 0x701E, 0x0}, {0x2F915, 0x701B, 0x0}, {0x2F916, 0x3D96, 0x0}, {0x2F917, 0x704A, 0x0}, {0x2F918, 0x707D, 0x0},
    {0x2F919, 0x7077, 0x0}, {0x2F91A, 0x70AD, 0x0}, {0x2F91B, 0x20525, 0x0}, {0x2F91C, 0x7145, 0x0}, {0x2F91D, 0x24263, 0x0}, {0x2F91E, 0x719C, 0x0},
    {0x2F91F, 0x243AB, 0x0}, {0x2F920, 0x7228, 0x0}, {0x2F921, 0x7235, 0x0}, {0x2F922, 0x7250, 0x0}, {0x2F923, 0x24608, 0x0}, {0x2F924, 0x7280, 0x0},
    {0x2F925, 0x7295, 0x0}, {0x2F926, 0x24735, 0x0}, {0x2F927, 0x24814, 0x0}, {0x2F928, 0x737A, 0x0}, {0x2F929, 0x738B, 0x0}, {0x2F92A, 0x3EAC, 0x0},
    {0x2F92B, 0x73A5, 0x0}, {0x2F92C, 0x3EB8, 0x0}, {0x2F92D, 0x3EB8, 0x0}, {0x2F92E, 0x7447, 0x0}, {0x2F92F, 0x745C, 0x0}, {0x2F930, 0x7471, 0x0},
    {0x2F931, 0x7485, 0x0}, {0x2F932, 0x74CA, 0x0}, {0x2F933, 0x3F1B, 0x0}, {0x2F934, 0x7524, 0x0}, {0x2F935, 0x24C36, 0x0}, {0x2F936, 0x753E, 0x0},
    {0x2F937, 0x24C92, 0x0}, {0x2F938, 0x7570, 0x0}, {0x2F939, 0x2219F, 0x0}, {0x2F93A, 0x7610, 0x0}, {0x2F93B, 0x24FA1, 0x0}, {0x2F93C, 0x24FB8, 0x0},
    {0x2F93D, 0x25044, 0x0}, {0x2F93E, 0x3FFC, 0x0}, {0x2F93F, 0x4008, 0x0}, {0x2F940, 0x76F4, 0x0}, {0x2F941, 0x250F3, 0x0}, {0x2F942, 0x250F2, 0x0},
    {0x2F943, 0x25119, 0x0}, {0x2F944, 0x25133, 0x0}, {0x2F945, 0x771E, 0x0}, {0x2F946, 0x771F, 0x0}, {0x2F947, 0x771F, 0x0}, {0x2F948, 0x774A, 0x0},
    {0x2F949, 0x4039, 0x0}, {0x2F94A, 0x778B, 0x0}, {0x2F94B, 0x4046, 0x0}, {0x2F94C, 0x4096, 0x0}, {0x2F94D, 0x2541D, 0x0}, {0x2F94E, 0x784E, 0x0},
    {0x2F94F, 0x788C, 0x0}, {0x2F950, 0x78CC, 0x0}, {0x2F951, 0x40E3, 0x0}, {0x2F952, 0x25626, 0x0}, {0x2F953, 0x7956, 0x0}, {0x2F954, 0x2569A, 0x0},
    {0x2F955, 0x256C5, 0x0}, {0x2F956, 0x798F, 0x0}, {0x2F957, 0x79EB, 0x0}, {0x2F958, 0x412F, 0x0}, {0x2F959, 0x7A40, 0x0}, {0x2F95A, 0x7A4A, 0x0},
    {0x2F95B, 0x7A4F, 0x0}, {0x2F95C, 0x2597C, 0x0}, {0x2F95D, 0x25AA7, 0x0}, {0x2F95E, 0x25AA7, 0x0}, {0x2F95F, 0x7AEE, 0x0}, {0x2F960, 0x4202, 0x0},
    {0x2F961, 0x25BAB, 0x0}, {0x2F962, 0x7BC6, 0x0}, {0x2F963, 0x7BC9, 0x0}, {0x2F964, 0x4227, 0x0}, {0x2F965, 0x25C80, 0x0}, {0x2F966, 0x7CD2, 0x0},
    {0x2F967, 0x42A0, 0x0}, {0x2F968, 0x7CE8, 0x0}, {0x2F969, 0x7CE3, 0x0}, {0x2F96A, 0x7D00, 0x0}, {0x2F96B, 0x25F86, 0x0}, {0x2F96C, 0x7D63, 0x0},
    {0x2F96D, 0x4301, 0x0}, {0x2F96E, 0x7DC7, 0x0}, {0x2F96F, 0x7E02, 0x0}, {0x2F970, 0x7E45, 0x0}, {0x2F971, 0x4334, 0x0}, {0x2F972, 0x26228, 0x0},
    {0x2F973, 0x26247, 0x0}, {0x2F974, 0x4359, 0x0}, {0x2F975, 0x262D9, 0x0}, {0x2F976, 0x7F7A, 0x0}, {0x2F977, 0x2633E, 0x0}, {0x2F978, 0x7F95, 0x0},
    {0x2F979, 0x7FFA, 0x0}, {0x2F97A, 0x8005, 0x0}, {0x2F97B, 0x264DA, 0x0}, {0x2F97C, 0x26523, 0x0}, {0x2F97D, 0x8060, 0x0}, {0x2F97E, 0x265A8, 0x0},
    {0x2F97F, 0x8070, 0x0}, {0x2F980, 0x2335F, 0x0}, {0x2F981, 0x43D5, 0x0}, {0x2F982, 0x80B2, 0x0}, {0x2F983, 0x8103, 0x0}, {0x2F984, 0x440B, 0x0},
    {0x2F985, 0x813E, 0x0}, {0x2F986, 0x5AB5, 0x0}, {0x2F987, 0x267A7, 0x0}, {0x2F988, 0x267B5, 0x0}, {0x2F989, 0x23393, 0x0}, {0x2F98A, 0x2339C, 0x0},
    {0x2F98B, 0x8201, 0x0}, {0x2F98C, 0x8204, 0x0}, {0x2F98D, 0x8F9E, 0x0}, {0x2F98E, 0x446B, 0x0}, {0x2F98F, 0x8291, 0x0}, {0x2F990, 0x828B, 0x0},
    {0x2F991, 0x829D, 0x0}, {0x2F992, 0x52B3, 0x0}, {0x2F993, 0x82B1, 0x0}, {0x2F994, 0x82B3, 0x0}, {0x2F995, 0x82BD, 0x0}, {0x2F996, 0x82E6, 0x0},
    {0x2F997, 0x26B3C, 0x0}, {0x2F998, 0x82E5, 0x0}, {0x2F999, 0x831D, 0x0}, {0x2F99A, 0x8363, 0x0}, {0x2F99B, 0x83AD, 0x0}, {0x2F99C, 0x8323, 0x0},
    {0x2F99D, 0x83BD, 0x0}, {0x2F99E, 0x83E7, 0x0}, {0x2F99F, 0x8457, 0x0}, {0x2F9A0, 0x8353, 0x0}, {0x2F9A1, 0x83CA, 0x0}, {0x2F9A2, 0x83CC, 0x0},
    {0x2F9A3, 0x83DC, 0x0}, {0x2F9A4, 0x26C36, 0x0}, {0x2F9A5, 0x26D6B, 0x0}, {0x2F9A6, 0x26CD5, 0x0}, {0x2F9A7, 0x452B, 0x0}, {0x2F9A8, 0x84F1, 0x0},
    {0x2F9A9, 0x84F3, 0x0}, {0x2F9AA, 0x8516, 0x0}, {0x2F9AB, 0x273CA, 0x0}, {0x2F9AC, 0x8564, 0x0}, {0x2F9AD, 0x26F2C, 0x0}, {0x2F9AE, 0x455D, 0x0},
    {0x2F9AF, 0x4561, 0x0}, {0x2F9B0, 0x26FB1, 0x0}, {0x2F9B1, 0x270D2, 0x0}, {0x2F9B2, 0x456B, 0x0}, {0x2F9B3, 0x8650, 0x0}, {0x2F9B4, 0x865C, 0x0},
    {0x2F9B5, 0x8667, 0x0}, {0x2F9B6, 0x8669, 0x0}, {0x2F9B7, 0x86A9, 0x0}, {0x2F9B8, 0x8688, 0x0}, {0x2F9B9, 0x870E, 0x0}, {0x2F9BA, 0x86E2, 0x0},
    {0x2F9BB, 0x8779, 0x0}, {0x2F9BC, 0x8728, 0x0}, {0x2F9BD, 0x876B, 0x0}, {0x2F9BE, 0x8786, 0x0}, {0x2F9BF, 0x45D7, 0x0}, {0x2F9C0, 0x87E1, 0x0},
    {0x2F9C1, 0x8801, 0x0}, {0x2F9C2, 0x45F9, 0x0}, {0x2F9C3, 0x8860, 0x0}, {0x2F9C4, 0x8863, 0x0}, {0x2F9C5, 0x27667, 0x0}, {0x2F9C6, 0x88D7, 0x0},
    {0x2F9C7, 0x88DE, 0x0}, {0x2F9C8, 0x4635, 0x0}, {0x2F9C9, 0x88FA, 0x0}, {0x2F9CA, 0x34BB, 0x0}, {0x2F9CB, 0x278AE, 0x0}, {0x2F9CC, 0x27966, 0x0},
    {0x2F9CD, 0x46BE, 0x0}, {0x2F9CE, 0x46C7, 0x0}, {0x2F9CF, 0x8AA0, 0x0}, {0x2F9D0, 0x8AED, 0x0}, {0x2F9D1, 0x8B8A, 0x0}, {0x2F9D2, 0x8C55, 0x0},
    {0x2F9D3, 0x27CA8, 0x0}, {0x2F9D4, 0x8CAB, 0x0}, {0x2F9D5, 0x8CC1, 0x0}, {0x2F9D6, 0x8D1B, 0x0}, {0x2F9D7, 0x8D77, 0x0}, {0x2F9D8, 0x27F2F, 0x0},
    {0x2F9D9, 0x20804, 0x0}, {0x2F9DA, 0x8DCB, 0x0}, {0x2F9DB, 0x8DBC, 0x0}, {0x2F9DC, 0x8DF0, 0x0}, {0x2F9DD, 0x208DE, 0x0}, {0x2F9DE, 0x8ED4, 0x0},
    {0x2F9DF, 0x8F38, 0x0}, {0x2F9E0, 0x285D2, 0x0}, {0x2F9E1, 0x285ED, 0x0}, {0x2F9E2, 0x9094, 0x0}, {0x2F9E3, 0x90F1, 0x0}, {0x2F9E4, 0x9111, 0x0},
    {0x2F9E5, 0x2872E, 0x0}, {0x2F9E6, 0x911B, 0x0}, {0x2F9E7, 0x9238, 0x0}, {0x2F9E8, 0x92D7, 0x0}, {0x2F9E9, 0x92D8, 0x0}, {0x2F9EA, 0x927C, 0x0},
    {0x2F9EB, 0x93F9, 0x0}, {0x2F9EC, 0x9415, 0x0}, {0x2F9ED, 0x28BFA, 0x0}, {0x2F9EE, 0x958B, 0x0}, {0x2F9EF, 0x4995, 0x0}, {0x2F9F0, 0x95B7, 0x0},
    {0x2F9F1, 0x28D77, 0x0}, {0x2F9F2, 0x49E6, 0x0}, {0x2F9F3, 0x96C3, 0x0}, {0x2F9F4, 0x5DB2, 0x0}, {0x2F9F5, 0x9723, 0x0}, {0x2F9F6, 0x29145, 0x0},
    {0x2F9F7, 0x2921A, 0x0}, {0x2F9F8, 0x4A6E, 0x0}, {0x2F9F9, 0x4A76, 0x0}, {0x2F9FA, 0x97E0, 0x0}, {0x2F9FB, 0x2940A, 0x0}, {0x2F9FC, 0x4AB2, 0x0},
    {0x2F9FD, 0x29496, 0x0}, {0x2F9FE, 0x980B, 0x0}, {0x2F9FF, 0x980B, 0x0}, {0x2FA00, 0x9829, 0x0}, {0x2FA01, 0x295B6, 0x0}, {0x2FA02, 0x98E2, 0x0},
    {0x2FA03, 0x4B33, 0x0}, {0x2FA04, 0x9929, 0x0}, {0x2FA05, 0x99A7, 0x0}, {0x2FA06, 0x99C2, 0x0}, {0x2FA07, 0x99FE, 0x0}, {0x2FA08, 0x4BCE, 0x0},
    {0x2FA09, 0x29B30, 0x0}, {0x2FA0A, 0x9B12, 0x0}, {0x2FA0B, 0x9C40, 0x0}, {0x2FA0C, 0x9CFD, 0x0}, {0x2FA0D, 0x4CCE, 0x0}, {0x2FA0E, 0x4CED, 0x0},
    {0x2FA0F, 0x9D67, 0x0}, {0x2FA10, 0x2A0CE, 0x0}, {0x2FA11, 0x4CF8, 0x0}, {0x2FA12, 0x2A105, 0x0}, {0x2FA13, 0x2A20E, 0x0}, {0x2FA14, 0x2A291, 0x0},
    {0x2FA15, 0x9EBB, 0x0}, {0x2FA16, 0x4D56, 0x0}, {0x2FA17, 0x9EF9, 0x0}, {0x2FA18, 0x9EFE, 0x0}, {0x2FA19, 0x9F05, 0x0}, {0x2FA1A, 0x9F0F, 0x0},
    {0x2FA1B, 0x9F16, 0x0}, {0x2FA1C, 0x9F3B, 0x0}, {0x2FA1D, 0x2A600, 0x0},
};

/* Primary composites: the pairs in unicode_decomp that NFC recomposes (all but
   singletons and Full_Composition_Exclusion), as indices ordered by (first, second). */
static const uint16_t unicode_comp[941] = {
    912, 909, 913, 0, 1, 2, 3, 53, 55, 238, 4, 572, 5, 165, 208, 210,
    570, 415, 57, 417, 419, 421, 59, 61, 63, 65, 6, 425, 67, 427, 431, 433,
    429, 7, 8, 9, 598, 69, 71, 73, 10, 596, 77, 212, 214, 594, 240, 75,
    439, 441, 445, 198, 79, 447, 81, 83, 187, 85, 87, 449, 453, 236, 451, 455,
    457, 11, 12, 13, 89, 91, 93, 97, 14, 610, 167, 216, 218, 612, 95, 459,
    98, 463, 189, 465, 100, 467, 102, 106, 469, 104, 475, 473, 477, 479, 481, 200,
    108, 15, 483, 112, 485, 110, 489, 487, 16, 17, 18, 19, 114, 116, 246, 20,
    616, 118, 169, 220, 222, 161, 614, 191, 499, 501, 120, 503, 124, 224, 226, 505,
    122, 509, 126, 128, 511, 132, 513, 232, 130, 521, 136, 523, 234, 134, 527, 525,
    21, 22, 23, 138, 140, 142, 24, 640, 144, 146, 171, 228, 230, 163, 638, 529,
    148, 533, 531, 539, 541, 543, 545, 150, 549, 547, 551, 553, 555, 652, 25, 152,
    658, 250, 557, 154, 656, 654, 155, 559, 157, 159, 561, 563, 26, 27, 28, 29,
    54, 56, 239, 30, 573, 31, 166, 209, 211, 571, 416, 58, 418, 420, 422, 60,
    62, 64, 66, 32, 426, 68, 428, 432, 434, 430, 33, 34, 35, 599, 70, 72,
    74, 36, 597, 78, 213, 215, 595, 241, 76, 440, 442, 446, 199, 80, 448, 82,
    84, 188, 86, 88, 450, 454, 237, 452, 456, 458, 565, 37, 38, 39, 90, 92,
    94, 40, 611, 168, 217, 219, 613, 96, 460, 99, 197, 464, 190, 466, 101, 468,
    103, 107, 470, 105, 476, 474, 478, 480, 482, 201, 109, 41, 484, 113, 486, 111,
    490, 488, 42, 43, 44, 45, 115, 117, 247, 46, 617, 119, 170, 221, 223, 162,
    615, 192, 500, 502, 121, 504, 125, 225, 227, 506, 123, 510, 127, 129, 512, 133,
    514, 233, 131, 522, 566, 137, 524, 235, 135, 528, 526, 47, 48, 49, 139, 141,
    143, 50, 641, 145, 147, 172, 229, 231, 164, 639, 530, 149, 534, 532, 540, 542,
    544, 546, 151, 550, 548, 567, 552, 554, 556, 653, 51, 153, 659, 251, 558, 52,
    657, 568, 655, 156, 560, 158, 160, 562, 564, 875, 258, 835, 576, 574, 580, 578,
    181, 202, 204, 185, 423, 602, 600, 606, 604, 461, 620, 618, 624, 622, 491, 244,
    493, 242, 206, 179, 175, 173, 177, 577, 575, 581, 579, 182, 203, 205, 186, 424,
    603, 601, 607, 605, 462, 621, 619, 625, 623, 492, 245, 494, 243, 207, 180, 176,
    174, 178, 586, 584, 590, 588, 587, 585, 591, 589, 435, 437, 436, 438, 495, 497,
    496, 498, 515, 516, 517, 518, 535, 536, 537, 538, 569, 630, 628, 634, 632, 636,
    631, 629, 635, 633, 637, 644, 642, 648, 646, 650, 645, 643, 649, 647, 651, 195,
    193, 194, 183, 184, 443, 444, 248, 249, 196, 831, 259, 830, 829, 668, 669, 833,
    841, 261, 682, 683, 843, 262, 696, 697, 845, 857, 263, 856, 855, 268, 712, 713,
    883, 264, 726, 727, 874, 872, 265, 871, 870, 269, 740, 885, 266, 752, 753, 887,
    826, 838, 760, 270, 823, 822, 660, 661, 827, 825, 762, 271, 676, 677, 764, 272,
    688, 689, 839, 837, 766, 273, 850, 849, 275, 704, 705, 853, 768, 277, 720, 721,
    866, 867, 770, 278, 863, 862, 276, 732, 733, 868, 772, 279, 744, 745, 881, 879,
    851, 267, 854, 864, 274, 869, 880, 280, 281, 285, 302, 304, 284, 282, 306, 283,
    300, 310, 312, 287, 314, 289, 316, 286, 318, 324, 288, 326, 328, 330, 332, 322,
    303, 305, 293, 291, 307, 292, 301, 311, 313, 296, 315, 290, 317, 295, 319, 325,
    297, 327, 329, 331, 333, 323, 294, 298, 299, 308, 309, 320, 321, 334, 335, 337,
    336, 338, 340, 341, 339, 342, 343, 344, 353, 354, 365, 364, 366, 369, 370, 372,
    371, 373, 374, 377, 375, 376, 378, 379, 381, 380, 382, 383, 385, 384, 403, 404,
    405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 471, 472, 507, 508, 519, 520,
    582, 592, 583, 593, 608, 609, 626, 627, 662, 664, 666, 774, 663, 665, 667, 775,
    776, 777, 778, 779, 780, 781, 670, 672, 674, 782, 671, 673, 675, 783, 784, 785,
    786, 787, 788, 789, 678, 680, 679, 681, 684, 686, 685, 687, 690, 692, 694, 790,
    691, 693, 695, 791, 792, 793, 794, 795, 796, 797, 698, 700, 702, 798, 699, 701,
    703, 799, 800, 801, 802, 803, 804, 805, 706, 708, 710, 707, 709, 711, 714, 716,
    718, 715, 717, 719, 722, 724, 723, 725, 728, 730, 729, 731, 734, 736, 738, 735,
    737, 739, 741, 742, 743, 746, 748, 750, 806, 747, 749, 751, 807, 808, 809, 810,
    811, 812, 813, 754, 756, 758, 814, 755, 757, 759, 815, 816, 817, 818, 819, 820,
    821, 824, 836, 878, 828, 846, 847, 848, 840, 882, 859, 860, 861, 894, 895, 896,
    897, 899, 898, 900, 901, 902, 903, 904, 905, 906, 907, 908, 911, 910, 914, 915,
    916, 917, 918, 919, 920, 921, 930, 931, 922, 923, 924, 925, 932, 933, 926, 927,
    928, 929, 934, 935, 936, 937, 966, 941, 942, 943, 944, 945, 946, 947, 948, 949,
    950, 951, 952, 953, 954, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965,
    967, 993, 968, 969, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 980, 981,
    982, 983, 984, 985, 986, 987, 988, 989, 990, 991, 992, 994, 995, 996, 997, 998,
    1493, 1494, 1495, 1496, 1497, 1498, 1499, 1501, 1500, 1502, 1503, 1504, 1505,
};
/* END GENERATED UNICODE TABLES */

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- character properties ---- */

/* The value of the run holding cp in a table of (start << shift) | value
   entries, sorted, the first starting at 0. */
static uint32_t unicode_run_value(const uint32_t *runs, size_t n, uint32_t cp, int shift) {
    uint32_t key = cp << shift | ((1u << shift) - 1);
    size_t lo = 0, hi = n; /* runs[lo] <= key < runs[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (runs[mid] <= key) lo = mid;
        else hi = mid;
    }
    return runs[lo] & ((1u << shift) - 1);
}

static bool unicode_in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp) {
    if (!n || cp < r[0][0] || cp > r[n - 1][1]) return false;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0]) hi = mid;
        else if (cp > r[mid][1]) lo = mid + 1;
        else return true;
    }
    return false;
}

/* The general category (UC_*) of a code point; UC_Cn past U+10FFFF. */
static int unicode_category(uint32_t cp) {
    if (cp < 0x100) return unicode_category_latin1[cp];
    if (cp > 0x10FFFF) return UC_Cn;
    return (int)unicode_run_value(unicode_category_runs, COUNT_OF(unicode_category_runs), cp, 5);
}


/* White_Space: what \s means in PCRE, Oniguruma and Rust's regex with
   Unicode on (JavaScript's \s differs: it adds U+FEFF and lacks U+0085). */
static bool unicode_is_whitespace(uint32_t cp) {
    if (cp < 0x85) return cp == ' ' || (cp >= '\t' && cp <= '\r');
    return unicode_in_ranges(unicode_white_space, COUNT_OF(unicode_white_space), cp);
}

static int unicode_combining_class(uint32_t cp) {
    if (cp < 0x300 || cp > 0x10FFFF) return 0;
    return (int)unicode_run_value(unicode_ccc_runs, COUNT_OF(unicode_ccc_runs), cp, 8);
}

/* ---- UTF-8 ---- */

/* Code values past Unicode that stand for bytes which are not UTF-8, so that
   any byte string decodes, splits and encodes back unchanged. */
#define UNICODE_RAW_BYTE 0x110000u

/* Decodes the character at s (n > 0 bytes left) and sets *len to its size.
   An invalid byte is a character of its own: UNICODE_RAW_BYTE + the byte,
   length 1. Never reads past s + n. */
static uint32_t utf8_decode(const char *s, size_t n, int *len) {
    static const uint8_t lead_bits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    const uint8_t *p = (const uint8_t *)s;
    int k = utf8_valid_len(p, p + n);
    if (!k) {
        *len = 1;
        return UNICODE_RAW_BYTE + p[0];
    }
    uint32_t cp = p[0] & lead_bits[k];
    for (int i = 1; i < k; i++) cp = cp << 6 | (p[i] & 0x3F);
    *len = k;
    return cp;
}

/* Writes a code point (or a raw byte) as UTF-8; returns the bytes written. */
static int utf8_put(uint32_t cp, char *out) {
    if (cp >= UNICODE_RAW_BYTE) {
        out[0] = (char)(cp - UNICODE_RAW_BYTE);
        return 1;
    }
    return utf8_encode(cp, out);
}

/* ---- NFC ---- */

/* Hangul syllables decompose and compose by arithmetic (Unicode §3.12). */
enum {
    HANGUL_S = 0xAC00, HANGUL_L = 0x1100, HANGUL_V = 0x1161, HANGUL_T = 0x11A7,
    HANGUL_L_COUNT = 19, HANGUL_V_COUNT = 21, HANGUL_T_COUNT = 28,
    HANGUL_N_COUNT = HANGUL_V_COUNT * HANGUL_T_COUNT, HANGUL_S_COUNT = HANGUL_L_COUNT * HANGUL_N_COUNT,
};

/* The unicode_decomp entry of cp, or NULL. */
static const uint32_t *unicode_decomposition(uint32_t cp) {
    size_t lo = 0, hi = COUNT_OF(unicode_decomp);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (unicode_decomp[mid][0] == cp) return unicode_decomp[mid];
        if (unicode_decomp[mid][0] < cp) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The primary composite of a starter and the character after it, or 0. */
static uint32_t unicode_compose(uint32_t a, uint32_t b) {
    if (a - HANGUL_L < HANGUL_L_COUNT && b - HANGUL_V < HANGUL_V_COUNT)
        return HANGUL_S + ((a - HANGUL_L) * HANGUL_V_COUNT + (b - HANGUL_V)) * HANGUL_T_COUNT;
    if (a - HANGUL_S < HANGUL_S_COUNT && (a - HANGUL_S) % HANGUL_T_COUNT == 0 && b - HANGUL_T - 1 < HANGUL_T_COUNT - 1)
        return a + (b - HANGUL_T);
    if (b < 0x300) return 0; /* no pair ends below the combining marks */
    size_t lo = 0, hi = COUNT_OF(unicode_comp);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint32_t *d = unicode_decomp[unicode_comp[mid]];
        if (d[1] == a && d[2] == b) return d[0];
        if (d[1] < a || (d[1] == a && d[2] < b)) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* Appends the full canonical decomposition of cp. */
static void nfc_decompose(uint32_t cp, uint32_t **out) {
    if (cp - HANGUL_S < HANGUL_S_COUNT) {
        uint32_t s = cp - HANGUL_S;
        arrput(*out, HANGUL_L + s / HANGUL_N_COUNT);
        arrput(*out, HANGUL_V + s % HANGUL_N_COUNT / HANGUL_T_COUNT);
        if (s % HANGUL_T_COUNT) arrput(*out, HANGUL_T + s % HANGUL_T_COUNT);
        return;
    }
    const uint32_t *d = cp >= 0xC0 ? unicode_decomposition(cp) : NULL;
    if (!d) {
        arrput(*out, cp);
        return;
    }
    nfc_decompose(d[1], out);
    if (d[2]) nfc_decompose(d[2], out);
}

/* Stable sort of a run of combining marks by class: insertion sort for the
   short runs of real text, a counting sort for long (adversarial) ones. */
static void nfc_sort_marks(uint32_t *cp, uint8_t *cc, size_t n) {
    uint32_t *tmp = n > 32 ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) {
        for (size_t i = 1; i < n; i++) {
            uint32_t c = cp[i];
            uint8_t k = cc[i];
            size_t j = i;
            for (; j > 0 && cc[j - 1] > k; j--) cp[j] = cp[j - 1], cc[j] = cc[j - 1];
            cp[j] = c, cc[j] = k;
        }
        return;
    }
    size_t start[257] = {0};
    for (size_t i = 0; i < n; i++) start[cc[i] + 1]++;
    for (int k = 1; k < 257; k++) start[k] += start[k - 1];
    for (size_t i = 0; i < n; i++) tmp[start[cc[i]]++] = cp[i];
    memcpy(cp, tmp, n * sizeof *tmp);
    for (size_t i = 0, k = 0; k < 256; k++)
        while (i < start[k]) cc[i++] = (uint8_t)k;
    free(tmp);
}

/* Canonical composition in place; returns the new length. A character
   joins the last starter unless a character between them is a starter or
   has a class at least its own (is "blocked"). */
static size_t nfc_compose(uint32_t *cp, uint8_t *cc, size_t n) {
    size_t w = 0, starter = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        uint8_t k = cc[i];
        if (starter != SIZE_MAX) {
            bool blocked = w != starter + 1 && (cc[w - 1] == 0 || cc[w - 1] >= k);
            uint32_t p = blocked ? 0 : unicode_compose(cp[starter], c);
            if (p) {
                cp[starter] = p;
                continue;
            }
        }
        if (k == 0) starter = w;
        cp[w] = c, cc[w] = k;
        w++;
    }
    return w;
}

/* Normalization Form C of len bytes of UTF-8, as a malloc'd, NUL-terminated
   string (*out_len bytes before the NUL); NULL when out of memory. Bytes that
   are not UTF-8 pass through unchanged and, like starters, block composition. */
static char *unicode_nfc(const char *text, size_t len, size_t *out_len) {
    size_t quick = 0; /* below U+0300 every character is NFC and a starter */
    while (quick < len && (uint8_t)text[quick] < 0xCC) quick++;
    char *out;
    if (quick == len) {
        if ((out = malloc(len + 1))) memcpy(out, text, len), out[len] = 0, *out_len = len;
        return out;
    }
    uint32_t *cp = NULL;
    for (size_t at = 0; at < len;) {
        int k;
        nfc_decompose(utf8_decode(text + at, len - at, &k), &cp);
        at += (size_t)k;
    }
    size_t n = (size_t)arrlen(cp);
    uint8_t *cc = malloc(n);
    out = cc ? malloc(4 * n + 1) : NULL;
    if (out) {
        for (size_t i = 0; i < n; i++) cc[i] = (uint8_t)unicode_combining_class(cp[i]);
        for (size_t i = 0, j; i < n; i = j + 1) {
            for (j = i; j < n && cc[j]; j++) {}
            if (j > i + 1) nfc_sort_marks(cp + i, cc + i, j - i);
        }
        n = nfc_compose(cp, cc, n);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) m += (size_t)utf8_put(cp[i], out + m);
        out[m] = 0;
        *out_len = m;
    }
    free(cc);
    arrfree(cp);
    return out;
}

/* ---- pre-tokenizers ----

   A byte-level BPE tokenizer first cuts text into pre-tokens with one regex,
   or a sequence of them (each splitting the pieces the one before left).
   Each regex is an alternation tried in order at each position, the first
   alternative that matches winning (PCRE/Oniguruma semantics, not longest
   match); text between matches becomes a piece of its own. All the regexes
   in use are alternations of short sequences of quantified character
   classes, so each is written here as a table, and one small backtracking
   matcher runs them all. Classes follow Unicode (UnicodeData categories,
   White_Space for \s); an invalid byte is classified as U+FFFD. */

typedef struct {
    uint32_t offset, length;
} text_span;

enum pretokenizer {
    PRE_GPT2,           /* GPT-2, MPT, GPT-NeoX, OLMo, Jais, ... */
    PRE_LLAMA3,         /* Llama 3, DBRX, ChatGLM4, ... */
    PRE_QWEN2,          /* Llama 3 with single digits: Qwen2/2.5/3, Grok-2, ... */
    PRE_QWEN35,         /* Qwen2 with marks kept in words */
    PRE_O200K,          /* GPT-4o, GPT-OSS, Llama 4 */
    PRE_TEKKEN,         /* Mistral Tekken: o200k without contractions, single digits */
    PRE_DEEPSEEK_LLM,
    PRE_DEEPSEEK_CODER,
    PRE_DEEPSEEK3,      /* DeepSeek V3/R1 */
    PRE_STARCODER,      /* single digits, then GPT-2: StarCoder, Refact, Command-R, SmolLM, ... */
    PRE_FALCON,
    PRE_DEFAULT,        /* llama.cpp's fallback when a GGUF names none */
    PRE_BLOOM,          /* BLOOM, Poro, GPT3-Finnish */
    PRE_VIKING,         /* BLOOM, then single digits */
    PRE_SEED_CODER,
    PRE_BAILINGMOE,
    PRE_MINICPM5,
    PRE_JAIS2,
    PRE_YOUTU,
    PRE_LAGUNA,         /* lines, then Qwen2 */
    PRE_NEWLINES,       /* runs of newlines and runs of the rest: Gemma 4 */
    PRE_WHITESPACE,     /* \S+ */
    PRE_COUNT
};

/* A character class: general categories, White_Space, listed ranges; or the
   complement of their union. */
typedef struct {
    uint32_t cats;               /* bit UC_x: category x is in */
    uint8_t flags;               /* CLASS_* */
    uint8_t n_ranges;
    const uint32_t (*ranges)[2]; /* sorted, inclusive */
} char_class;

enum { CLASS_SPACE = 1, CLASS_NOT = 2 };

#define CAT(c) (1u << UC_##c)
#define CATS_L (CAT(Lu) | CAT(Ll) | CAT(Lt) | CAT(Lm) | CAT(Lo))
#define CATS_M (CAT(Mn) | CAT(Mc) | CAT(Me))
#define CATS_N (CAT(Nd) | CAT(Nl) | CAT(No))
#define CATS_P (CAT(Pc) | CAT(Pd) | CAT(Ps) | CAT(Pe) | CAT(Pi) | CAT(Pf) | CAT(Po))
#define CATS_S (CAT(Sm) | CAT(Sc) | CAT(Sk) | CAT(So))
#define RANGES(r) (uint8_t)COUNT_OF(r), r

static const uint32_t RNG_SPACE[][2] = {{' ', ' '}};
static const uint32_t RNG_LF[][2] = {{'\n', '\n'}};
static const uint32_t RNG_CRLF[][2] = {{'\n', '\n'}, {'\r', '\r'}};
static const uint32_t RNG_CRLF_SLASH[][2] = {{'\n', '\n'}, {'\r', '\r'}, {'/', '/'}};
static const uint32_t RNG_DIGIT[][2] = {{'0', '9'}};
static const uint32_t RNG_ASCII_LETTER[][2] = {{'A', 'Z'}, {'a', 'z'}};
static const uint32_t RNG_ASCII_PUNCT[][2] = {{0x21, 0x2F}, {0x3A, 0x40}, {0x5B, 0x60}, {0x7B, 0x7E}};
/* ASCII punctuation that Unicode calls symbols: $ + < = > ^ ` | ~ (Falcon's
   HF Punctuation pre-tokenizer counts them; llama.cpp's default lacks `). */
static const uint32_t RNG_FALCON_SYMBOLS[][2] = {{'$', '$'}, {'+', '+'}, {'<', '>'}, {'^', '^'}, {'`', '`'}, {'|', '|'},
                                               {'~', '~'}};
static const uint32_t RNG_DEFAULT_SYMBOLS[][2] = {{'$', '$'}, {'+', '+'}, {'<', '>'}, {'^', '^'}, {'|', '|'}, {'~', '~'}};
/* DeepSeek LLM's letter class \s?[A-Za-zµÀ-ÖØ-ö...𞤀-𞥃]+: letters of the Latin, Greek, Cyrillic,
   Armenian, Georgian, Cherokee, Glagolitic, Coptic and some other alphabets. */
static const uint32_t RNG_DS_LETTER[][2] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA}, {0x1BC, 0x1BF},
    {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377}, {0x37B, 0x37D}, {0x37F, 0x37F},
    {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481},
    {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
    {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC},
    {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
    {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126},
    {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3},
    {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF},
    {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3},
    {0x104D8, 0x104FB}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
/* DeepSeek LLM's punctuation class [!-/:-~！-／：-～‘-‟　-。] */
static const uint32_t RNG_DS_PUNCT[][2] = {{0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F},
                                         {0xFF1A, 0xFF5E}};
/* [一-龥ࠀ-一가-퟿]: the middle range runs from U+0800 (Samaritan) to U+4E00,
   so this class takes in Indic scripts, Thai, kana and more. */
static const uint32_t RNG_DS_CJK[][2] = {{0x800, 0x9FA5}, {0xAC00, 0xD7FF}};
/* [一-龥぀-ゟ゠-ヿ] */
static const uint32_t RNG_KANA_HAN[][2] = {{0x3040, 0x30FF}, {0x4E00, 0x9FA5}};
/* Youtu: [가-힣ㄱ-ㆎ], [！…“”‘’—：；，、-〿︰-﹏], [ㄅ-ㄯ] */
static const uint32_t RNG_HANGUL[][2] = {{0x3131, 0x318E}, {0xAC00, 0xD7A3}};
static const uint32_t RNG_CJK_PUNCT[][2] = {
    {0x2014, 0x2014}, {0x2018, 0x2019}, {0x201C, 0x201D}, {0x2026, 0x2026}, {0x3001, 0x303F},
    {0xFE30, 0xFE4F}, {0xFF01, 0xFF01}, {0xFF0C, 0xFF0C}, {0xFF1A, 0xFF1B},
};
static const uint32_t RNG_BOPOMOFO[][2] = {{0x3105, 0x312F}};
/* BLOOM's [^(\s|[.,!?…。，、।۔،])]: a nested class is a union, so ( | ) are in it. */
static const uint32_t RNG_BLOOM_STOPS[][2] = {
    {'!', '!'}, {'(', ')'}, {',', ','}, {'.', '.'}, {'?', '?'}, {'|', '|'}, {0x60C, 0x60C},
    {0x6D4, 0x6D4}, {0x964, 0x964}, {0x2026, 0x2026}, {0x3001, 0x3002}, {0xFF0C, 0xFF0C},
};

enum {
    K_LETTER, K_NUMBER, K_PUNCT, K_LETTER_MARK, K_WS, K_NOT_WS, K_SPACE, K_LF, K_NOT_LF, K_CRLF, K_CRLF_SLASH,
    K_DIGIT, K_WORD_PREFIX, K_OTHER, K_OTHER_NOT_MARK, K_UPPERISH, K_LOWERISH, K_FALCON_PUNCT, K_DEFAULT_PUNCT,
    K_DS_LETTER, K_DS_PUNCT, K_DS_CJK, K_ASCII_PUNCT, K_ASCII_LETTER, K_DS3_PREFIX, K_PUNCT_SYMBOL, K_KANA_HAN,
    K_HANGUL, K_CJK_PUNCT, K_BOPOMOFO, K_BLOOM, K_CLASS_COUNT
};

static const char_class CLASSES[K_CLASS_COUNT] = {
    [K_LETTER] = {CATS_L, 0, 0, NULL},                                    /* \p{L} */
    [K_NUMBER] = {CATS_N, 0, 0, NULL},                                    /* \p{N} */
    [K_PUNCT] = {CATS_P, 0, 0, NULL},                                     /* \p{P} */
    [K_LETTER_MARK] = {CATS_L | CATS_M, 0, 0, NULL},                      /* [\p{L}\p{M}] */
    [K_WS] = {0, CLASS_SPACE, 0, NULL},                                   /* \s */
    [K_NOT_WS] = {0, CLASS_SPACE | CLASS_NOT, 0, NULL},                   /* \S */
    [K_SPACE] = {0, 0, RANGES(RNG_SPACE)},                                /* ' ' */
    [K_LF] = {0, 0, RANGES(RNG_LF)},                                      /* [\n] */
    [K_NOT_LF] = {0, CLASS_NOT, RANGES(RNG_LF)},                          /* [^\n] */
    [K_CRLF] = {0, 0, RANGES(RNG_CRLF)},                                  /* [\r\n] */
    [K_CRLF_SLASH] = {0, 0, RANGES(RNG_CRLF_SLASH)},                      /* [\r\n/] */
    [K_DIGIT] = {0, 0, RANGES(RNG_DIGIT)},                                /* [0-9] */
    [K_WORD_PREFIX] = {CATS_L | CATS_N, CLASS_NOT, RANGES(RNG_CRLF)},     /* [^\r\n\p{L}\p{N}] */
    [K_OTHER] = {CATS_L | CATS_N, CLASS_SPACE | CLASS_NOT, 0, NULL},      /* [^\s\p{L}\p{N}] */
    [K_OTHER_NOT_MARK] = {CATS_L | CATS_M | CATS_N, CLASS_SPACE | CLASS_NOT, 0, NULL}, /* [^\s\p{L}\p{M}\p{N}] */
    [K_UPPERISH] = {CAT(Lu) | CAT(Lt) | CAT(Lm) | CAT(Lo) | CATS_M, 0, 0, NULL}, /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
    [K_LOWERISH] = {CAT(Ll) | CAT(Lm) | CAT(Lo) | CATS_M, 0, 0, NULL},    /* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
    [K_FALCON_PUNCT] = {CATS_P, 0, RANGES(RNG_FALCON_SYMBOLS)},           /* [\p{P}\$\+<=>\^~\|`] */
    [K_DEFAULT_PUNCT] = {CATS_P, 0, RANGES(RNG_DEFAULT_SYMBOLS)},         /* [\p{P}\$\+<=>\^~\|] */
    [K_DS_LETTER] = {0, 0, RANGES(RNG_DS_LETTER)},
    [K_DS_PUNCT] = {0, 0, RANGES(RNG_DS_PUNCT)},
    [K_DS_CJK] = {0, 0, RANGES(RNG_DS_CJK)},
    [K_ASCII_PUNCT] = {0, 0, RANGES(RNG_ASCII_PUNCT)},                    /* [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~] */
    [K_ASCII_LETTER] = {0, 0, RANGES(RNG_ASCII_LETTER)},                  /* [A-Za-z] */
    [K_DS3_PREFIX] = {CATS_L | CATS_P | CATS_S, CLASS_NOT, RANGES(RNG_CRLF)}, /* [^\r\n\p{L}\p{P}\p{S}] */
    [K_PUNCT_SYMBOL] = {CATS_P | CATS_S, 0, 0, NULL},                     /* [\p{P}\p{S}] */
    [K_KANA_HAN] = {0, 0, RANGES(RNG_KANA_HAN)},
    [K_HANGUL] = {0, 0, RANGES(RNG_HANGUL)},
    [K_CJK_PUNCT] = {0, 0, RANGES(RNG_CJK_PUNCT)},
    [K_BOPOMOFO] = {0, 0, RANGES(RNG_BOPOMOFO)},
    [K_BLOOM] = {0, CLASS_SPACE | CLASS_NOT, RANGES(RNG_BLOOM_STOPS)},
};

/* One step of an alternative: a class repeated min..max times (greedy), an
   English contraction ('s 't 're 've 'm 'll 'd) taken min..1 times, or an
   assertion: (?!\S) or $ (end of the piece). */
enum { OP_DONE, OP_CLASS, OP_CONTRACTION, OP_CONTRACTION_ANYCASE, OP_NOT_BEFORE_NONSPACE, OP_AT_END };

typedef struct {
    uint8_t op, cls;
    uint32_t min, max;
} pat_item;

typedef struct {
    pat_item item[5]; /* ends at the first OP_DONE */
} pat_alt;

typedef struct {
    uint8_t n;
    const pat_alt *alt;
} pattern;

#define MANY UINT32_MAX
#define ONE(k) {OP_CLASS, k, 1, 1}
#define OPT(k) {OP_CLASS, k, 0, 1}
#define STAR(k) {OP_CLASS, k, 0, MANY}
#define PLUS(k) {OP_CLASS, k, 1, MANY}
#define REP(k, a, b) {OP_CLASS, k, a, b}
#define CONTRACTION {OP_CONTRACTION, 0, 1, 1}
#define CONTRACTION_ANYCASE {OP_CONTRACTION_ANYCASE, 0, 1, 1}
#define OPT_CONTRACTION_ANYCASE {OP_CONTRACTION_ANYCASE, 0, 0, 1}
#define NOT_BEFORE_NONSPACE {OP_NOT_BEFORE_NONSPACE, 0, 0, 0}
#define AT_END {OP_AT_END, 0, 0, 0}
#define PATTERN(alts) {(uint8_t)COUNT_OF(alts), alts}

/* The whitespace tail most patterns share: \s*[\r\n]+|\s+(?!\S)|\s+ */
#define WS_TAIL {{STAR(K_WS), PLUS(K_CRLF)}}, {{PLUS(K_WS), NOT_BEFORE_NONSPACE}}, {{PLUS(K_WS)}}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_GPT2[] = {
    {{CONTRACTION}}, {{OPT(K_SPACE), PLUS(K_LETTER)}}, {{OPT(K_SPACE), PLUS(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER)}}, {{PLUS(K_WS), NOT_BEFORE_NONSPACE}}, {{PLUS(K_WS)}},
};
/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_LLAMA3[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{REP(K_NUMBER, 1, 3)}},
    {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF)}}, WS_TAIL,
};
/* The same with \p{N} */
static const pat_alt PAT_QWEN2[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{ONE(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF)}}, WS_TAIL,
};
/* The same with \p{N}+ */
static const pat_alt PAT_MINICPM5[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{PLUS(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF)}}, WS_TAIL,
};
/* (?i:...)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_QWEN35[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER_MARK)}}, {{ONE(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER_NOT_MARK), STAR(K_CRLF)}}, WS_TAIL,
};
/* (?i:...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_SEED_CODER[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{ONE(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER)}}, WS_TAIL,
};
/* '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+
   (possessive and greedy agree here: giving back could not help what follows) */
static const pat_alt PAT_BAILINGMOE[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{ONE(K_NUMBER)}},
    {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF)}}, {{STAR(K_WS), ONE(K_CRLF)}},
    {{PLUS(K_WS), NOT_BEFORE_NONSPACE}}, {{PLUS(K_WS)}},
};
/* Llama 3 with whitespace runs cut into powers of two:
   ...|\s{512}(?!\S)|\s{256}(?!\S)|...|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1} */
static const pat_alt PAT_JAIS2[] = {
    {{CONTRACTION_ANYCASE}}, {{OPT(K_WORD_PREFIX), PLUS(K_LETTER)}}, {{REP(K_NUMBER, 1, 3)}},
    {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF)}}, {{STAR(K_WS), PLUS(K_CRLF)}},
    {{REP(K_WS, 512, 512), NOT_BEFORE_NONSPACE}}, {{REP(K_WS, 256, 256), NOT_BEFORE_NONSPACE}},
    {{REP(K_WS, 128, 128), NOT_BEFORE_NONSPACE}}, {{REP(K_WS, 64, 64), NOT_BEFORE_NONSPACE}},
    {{REP(K_WS, 32, 32), NOT_BEFORE_NONSPACE}}, {{REP(K_WS, 16, 16), NOT_BEFORE_NONSPACE}},
    {{REP(K_WS, 8, 8), NOT_BEFORE_NONSPACE}}, {{REP(K_WS, 4, 4), NOT_BEFORE_NONSPACE}},
    {{REP(K_WS, 1, 2), NOT_BEFORE_NONSPACE}}, {{ONE(K_WS)}},
};
/* [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
   |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_O200K[] = {
    {{OPT(K_WORD_PREFIX), STAR(K_UPPERISH), PLUS(K_LOWERISH), OPT_CONTRACTION_ANYCASE}},
    {{OPT(K_WORD_PREFIX), PLUS(K_UPPERISH), STAR(K_LOWERISH), OPT_CONTRACTION_ANYCASE}},
    {{REP(K_NUMBER, 1, 3)}}, {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF_SLASH)}}, WS_TAIL,
};
/* o200k without the contractions, and with \p{N} */
static const pat_alt PAT_TEKKEN[] = {
    {{OPT(K_WORD_PREFIX), STAR(K_UPPERISH), PLUS(K_LOWERISH)}}, {{OPT(K_WORD_PREFIX), PLUS(K_UPPERISH), STAR(K_LOWERISH)}},
    {{ONE(K_NUMBER)}}, {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF_SLASH)}}, WS_TAIL,
};
/* o200k with \p{N} (Youtu's second step) */
static const pat_alt PAT_YOUTU[] = {
    {{OPT(K_WORD_PREFIX), STAR(K_UPPERISH), PLUS(K_LOWERISH), OPT_CONTRACTION_ANYCASE}},
    {{OPT(K_WORD_PREFIX), PLUS(K_UPPERISH), STAR(K_LOWERISH), OPT_CONTRACTION_ANYCASE}},
    {{ONE(K_NUMBER)}}, {{OPT(K_SPACE), PLUS(K_OTHER), STAR(K_CRLF_SLASH)}}, WS_TAIL,
};
/* [가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+ */
static const pat_alt PAT_YOUTU_CJK[] = {{{PLUS(K_HANGUL)}}, {{PLUS(K_CJK_PUNCT)}}, {{PLUS(K_BOPOMOFO)}}, {{PLUS(K_KANA_HAN)}}};
/* [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*
   |\s*[\r\n]+|\s+(?!\S)|\s+ */
static const pat_alt PAT_DEEPSEEK3[] = {
    {{ONE(K_ASCII_PUNCT), PLUS(K_ASCII_LETTER)}}, {{OPT(K_DS3_PREFIX), PLUS(K_LETTER_MARK)}},
    {{OPT(K_SPACE), PLUS(K_PUNCT_SYMBOL), STAR(K_CRLF)}}, WS_TAIL,
};
/* Single-class steps of the sequences. */
static const pat_alt PAT_CRLF_ONE[] = {{{ONE(K_CRLF)}}};                              /* [\r\n] */
static const pat_alt PAT_NUMBER_ONE[] = {{{ONE(K_NUMBER)}}};                          /* \p{N} (HF Digits, individual) */
static const pat_alt PAT_NUMBERS[] = {{{PLUS(K_NUMBER)}}};                            /* \p{N}+ (HF Digits) */
static const pat_alt PAT_NUMBER_1_3[] = {{{REP(K_NUMBER, 1, 3)}}};                    /* \p{N}{1,3} */
static const pat_alt PAT_DIGITS_3[] = {{{REP(K_DIGIT, 3, 3)}}};                       /* [0-9][0-9][0-9] */
static const pat_alt PAT_DS_LETTERS[] = {{{OPT(K_WS), PLUS(K_DS_LETTER)}}};           /* \s?[A-Za-zµÀ-...]+ */
static const pat_alt PAT_DS_PUNCTS[] = {{{OPT(K_WS), PLUS(K_DS_PUNCT)}}};             /* \s?[!-/:-~...]+ */
static const pat_alt PAT_WS_AT_END[] = {{{PLUS(K_WS), AT_END}}};                      /* \s+$ */
static const pat_alt PAT_DS_CJK[] = {{{PLUS(K_DS_CJK)}}};                             /* [一-龥ࠀ-一가-퟿]+ */
static const pat_alt PAT_KANA_HAN[] = {{{PLUS(K_KANA_HAN)}}};                         /* [一-龥぀-ゟ゠-ヿ]+ */
static const pat_alt PAT_LETTERS[] = {{{OPT(K_WS), PLUS(K_LETTER)}}};                 /* \s?\p{L}+ */
static const pat_alt PAT_PUNCTS[] = {{{OPT(K_WS), PLUS(K_PUNCT)}}};                   /* \s?\p{P}+ */
static const pat_alt PAT_FALCON_PUNCT[] = {{{PLUS(K_FALCON_PUNCT)}}};                 /* HF Punctuation, contiguous */
static const pat_alt PAT_DEFAULT_PUNCT[] = {{{PLUS(K_DEFAULT_PUNCT)}}};               /* [\p{P}\$\+<=>\^~\|]+ */
static const pat_alt PAT_BLOOM[] = {{{OPT(K_SPACE), PLUS(K_BLOOM)}}};                 /*  ?[^(\s|[.,!?…。，、।۔،])]+ */
static const pat_alt PAT_LINES[] = {{{PLUS(K_NOT_LF)}}, {{PLUS(K_LF)}}};              /* [^\n]+|[\n]+ */
static const pat_alt PAT_NON_WS[] = {{{PLUS(K_NOT_WS)}}};                             /* \S+ */

typedef struct {
    pattern step[6]; /* applied in order; ends at the first with n == 0 */
} pretokenizer_def;

static const pretokenizer_def PRETOKENIZERS[PRE_COUNT] = {
    [PRE_GPT2] = {{PATTERN(PAT_GPT2)}},
    [PRE_LLAMA3] = {{PATTERN(PAT_LLAMA3)}},
    [PRE_QWEN2] = {{PATTERN(PAT_QWEN2)}},
    [PRE_QWEN35] = {{PATTERN(PAT_QWEN35)}},
    [PRE_O200K] = {{PATTERN(PAT_O200K)}},
    [PRE_TEKKEN] = {{PATTERN(PAT_TEKKEN)}},
    [PRE_DEEPSEEK_LLM] = {{PATTERN(PAT_CRLF_ONE), PATTERN(PAT_DS_LETTERS), PATTERN(PAT_DS_PUNCTS), PATTERN(PAT_WS_AT_END),
                           PATTERN(PAT_DS_CJK), PATTERN(PAT_NUMBER_ONE)}},
    [PRE_DEEPSEEK_CODER] = {{PATTERN(PAT_CRLF_ONE), PATTERN(PAT_LETTERS), PATTERN(PAT_PUNCTS), PATTERN(PAT_DS_CJK),
                             PATTERN(PAT_NUMBER_ONE)}},
    [PRE_DEEPSEEK3] = {{PATTERN(PAT_NUMBER_1_3), PATTERN(PAT_KANA_HAN), PATTERN(PAT_DEEPSEEK3)}},
    [PRE_STARCODER] = {{PATTERN(PAT_NUMBER_ONE), PATTERN(PAT_GPT2)}},
    [PRE_FALCON] = {{PATTERN(PAT_FALCON_PUNCT), PATTERN(PAT_GPT2), PATTERN(PAT_DIGITS_3)}},
    [PRE_DEFAULT] = {{PATTERN(PAT_DEFAULT_PUNCT), PATTERN(PAT_GPT2), PATTERN(PAT_NUMBERS), PATTERN(PAT_DIGITS_3)}},
    [PRE_BLOOM] = {{PATTERN(PAT_BLOOM)}},
    [PRE_VIKING] = {{PATTERN(PAT_BLOOM), PATTERN(PAT_NUMBER_ONE)}},
    [PRE_SEED_CODER] = {{PATTERN(PAT_SEED_CODER)}},
    [PRE_BAILINGMOE] = {{PATTERN(PAT_BAILINGMOE)}},
    [PRE_MINICPM5] = {{PATTERN(PAT_NUMBER_1_3), PATTERN(PAT_MINICPM5)}},
    [PRE_JAIS2] = {{PATTERN(PAT_JAIS2)}},
    [PRE_YOUTU] = {{PATTERN(PAT_YOUTU_CJK), PATTERN(PAT_YOUTU)}},
    [PRE_LAGUNA] = {{PATTERN(PAT_LINES), PATTERN(PAT_QWEN2)}},
    [PRE_NEWLINES] = {{PATTERN(PAT_LINES)}},
    [PRE_WHITESPACE] = {{PATTERN(PAT_NON_WS)}},
};

/* The table-building macros end here. */
#undef CAT
#undef CATS_L
#undef CATS_M
#undef CATS_N
#undef CATS_P
#undef CATS_S
#undef RANGES
#undef MANY
#undef ONE
#undef OPT
#undef STAR
#undef PLUS
#undef REP
#undef CONTRACTION
#undef CONTRACTION_ANYCASE
#undef OPT_CONTRACTION_ANYCASE
#undef NOT_BEFORE_NONSPACE
#undef AT_END
#undef PATTERN
#undef WS_TAIL

/* The text being split: code points (invalid bytes as U+FFFD) with their
   categories, and for each class the last run of it found and the last
   search for it, since alternatives and backtracking keep asking the same
   questions from nearby places (this keeps long runs linear). */
enum { PROP_SPACE = 0x20 }; /* props: category | PROP_SPACE */

typedef struct {
    const uint32_t *cp;
    const uint8_t *prop;
    size_t end; /* end of the piece being split */
    size_t run_from[K_CLASS_COUNT], run_to[K_CLASS_COUNT];   /* [from, to) in the class, to not */
    size_t next_from[K_CLASS_COUNT], next_at[K_CLASS_COUNT]; /* [from, at) not in it, at in it or the end */
} matcher;

static bool class_has(const char_class *k, uint32_t cp, uint8_t prop) {
    bool in = (k->cats >> (prop & 31) & 1) || ((k->flags & CLASS_SPACE) && (prop & PROP_SPACE)) ||
              (k->n_ranges && unicode_in_ranges(k->ranges, k->n_ranges, cp));
    return in != ((k->flags & CLASS_NOT) != 0);
}

/* How many characters from pos on are in class k. */
static size_t class_run(matcher *m, int k, size_t pos) {
    if (pos >= m->run_from[k] && pos < m->run_to[k]) return m->run_to[k] - pos;
    size_t e = pos;
    while (e < m->end && class_has(&CLASSES[k], m->cp[e], m->prop[e])) e++;
    m->run_from[k] = pos, m->run_to[k] = e;
    return e - pos;
}

/* Where the first character of class k at or after pos is (m->end if none). */
static size_t class_next(matcher *m, int k, size_t pos) {
    if (pos >= m->next_from[k] && pos < m->next_at[k]) return m->next_at[k];
    size_t e = pos;
    while (e < m->end && !class_has(&CLASSES[k], m->cp[e], m->prop[e])) e++;
    m->next_from[k] = pos, m->next_at[k] = e;
    return e;
}

/* The length of a contraction at pos, or 0. Any case folds as (?i) does in
   PCRE, Oniguruma and Rust: ASCII letters, and U+017F (long s) for s. */
static size_t contraction_len(const matcher *m, size_t pos, bool any_case) {
    if (pos + 1 >= m->end || m->cp[pos] != '\'') return 0;
    uint32_t a = m->cp[pos + 1], b = pos + 2 < m->end ? m->cp[pos + 2] : 0;
    if (any_case) {
        if (a == 0x17F) a = 's';
        a |= a >= 'A' && a <= 'Z' ? 0x20 : 0;
        b |= b >= 'A' && b <= 'Z' ? 0x20 : 0;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* Matches the items from it on at pos; the end of the match, or -1. Greedy
   items try their longest count first and give back one at a time. */
static ptrdiff_t match_items(matcher *m, const pat_item *it, size_t pos) {
    switch (it->op) {
    case OP_DONE: return (ptrdiff_t)pos;
    case OP_AT_END: return pos == m->end ? match_items(m, it + 1, pos) : -1;
    case OP_NOT_BEFORE_NONSPACE:
        return pos == m->end || (m->prop[pos] & PROP_SPACE) ? match_items(m, it + 1, pos) : -1;
    case OP_CONTRACTION:
    case OP_CONTRACTION_ANYCASE: {
        size_t n = contraction_len(m, pos, it->op == OP_CONTRACTION_ANYCASE);
        ptrdiff_t r = n ? match_items(m, it + 1, pos + n) : -1;
        return r < 0 && it->min == 0 ? match_items(m, it + 1, pos) : r;
    }
    case OP_CLASS: {
        size_t n = MV_MIN(class_run(m, it->cls, pos), (size_t)it->max);
        if (n < it->min) return -1;
        if (it[1].op == OP_AT_END) /* only the whole run can reach the end */
            return pos + n == m->end ? match_items(m, it + 1, pos + n) : -1;
        if (it[1].op == OP_CLASS && it[1].min && class_next(m, it[1].cls, pos + it->min) > pos + n)
            return -1; /* what comes next needs a character that no count leaves */
        for (;; n--) {
            ptrdiff_t r = match_items(m, it + 1, pos + n);
            if (r >= 0 || n == it->min) return r;
        }
    }
    }
    return -1;
}

/* Splits the piece [from, to) with one pattern, appending the pieces. */
static void split_piece(matcher *m, const pattern *p, uint32_t from, uint32_t to, uint32_t **cuts) {
    m->end = to;
    uint32_t gap = from; /* start of the unmatched text before pos */
    for (uint32_t pos = from; pos < to;) {
        ptrdiff_t end = -1;
        for (int a = 0; a < p->n && end < 0; a++) end = match_items(m, p->alt[a].item, pos);
        if (end <= (ptrdiff_t)pos) {
            pos++;
            continue;
        }
        if (gap < pos) arrput(*cuts, pos);
        arrput(*cuts, (uint32_t)end);
        pos = gap = (uint32_t)end;
    }
    if (gap < to) arrput(*cuts, to);
}

/* Splits len bytes of text (below 4 GiB) into pre-tokens the way tokenizer
   `kind` (PRE_*) does, appending their spans, which cover the text in order,
   to *out (an stb_ds array). An unknown kind gives the text as one span. */
static void pretokenize(int kind, const char *text, size_t len, text_span **out) {
    if (!len) return;
    if (kind < 0 || kind >= PRE_COUNT) {
        arrput(*out, ((text_span){0, (uint32_t)len}));
        return;
    }
    uint32_t *cp = NULL, *offset = NULL, *cuts = NULL, *next = NULL;
    uint8_t *prop = NULL;
    arrsetcap(cp, len);
    arrsetcap(prop, len);
    arrsetcap(offset, len + 1);
    for (size_t at = 0; at < len;) {
        int k;
        uint32_t c = utf8_decode(text + at, len - at, &k);
        if (c >= UNICODE_RAW_BYTE) c = 0xFFFD;
        arrput(cp, c);
        arrput(prop, (uint8_t)(unicode_category(c) | (unicode_is_whitespace(c) ? PROP_SPACE : 0)));
        arrput(offset, (uint32_t)at);
        at += (size_t)k;
    }
    arrput(offset, (uint32_t)len);
    uint32_t n = (uint32_t)arrlen(cp);
    arrput(cuts, n); /* pieces, as the end of each */
    matcher m = {.cp = cp, .prop = prop};
    const pretokenizer_def *def = &PRETOKENIZERS[kind];
    for (int s = 0; s < 6 && def->step[s].n; s++) {
        /* The runs found in one piece end inside it, before any later piece,
           so they go stale only when the next step starts over. */
        memset(m.run_from, 0, sizeof m.run_from);
        memset(m.run_to, 0, sizeof m.run_to);
        memset(m.next_from, 0, sizeof m.next_from);
        memset(m.next_at, 0, sizeof m.next_at);
        uint32_t from = 0;
        for (ptrdiff_t i = 0; i < arrlen(cuts); i++) {
            split_piece(&m, &def->step[s], from, cuts[i], &next);
            from = cuts[i];
        }
        uint32_t *t = cuts;
        cuts = next, next = t;
        arrsetlen(next, 0);
    }
    uint32_t from = 0;
    for (ptrdiff_t i = 0; i < arrlen(cuts); i++) {
        arrput(*out, ((text_span){offset[from], offset[cuts[i]] - offset[from]}));
        from = cuts[i];
    }
    arrfree(cp);
    arrfree(prop);
    arrfree(offset);
    arrfree(cuts);
    arrfree(next);
}

/* GGUF tokenizer.ggml.pre names, as llama.cpp reads them. */
static const struct {
    const char *name;
    int kind;
} PRETOKENIZER_NAMES[] = {
    {"gpt-2", PRE_GPT2}, {"gpt2", PRE_GPT2}, {"mpt", PRE_GPT2}, {"gpt-neox", PRE_GPT2}, {"olmo", PRE_GPT2},
    {"jais", PRE_GPT2}, {"phi-2", PRE_GPT2}, {"jina-es", PRE_GPT2}, {"jina-de", PRE_GPT2}, {"jina-v2-es", PRE_GPT2},
    {"jina-v2-de", PRE_GPT2}, {"jina-v1-en", PRE_GPT2}, {"jina-v2-code", PRE_GPT2}, {"roberta-bpe", PRE_GPT2},
    {"gigachat", PRE_GPT2}, {"a.x-4.0", PRE_GPT2}, {"mellum", PRE_GPT2}, {"modern-bert", PRE_GPT2},
    {"trillion", PRE_GPT2}, {"granite-docling", PRE_GPT2}, {"exaone4", PRE_GPT2},
    {"llama3", PRE_LLAMA3}, {"llama-v3", PRE_LLAMA3}, {"llama-bpe", PRE_LLAMA3}, {"falcon3", PRE_LLAMA3},
    {"falcon-h1", PRE_LLAMA3}, {"pixtral", PRE_LLAMA3}, {"midm-2.0", PRE_LLAMA3}, {"lfm2", PRE_LLAMA3},
    {"jina-v5-nano", PRE_LLAMA3}, {"dbrx", PRE_LLAMA3}, {"smaug-bpe", PRE_LLAMA3}, {"chatglm-bpe", PRE_LLAMA3},
    {"glm4", PRE_LLAMA3}, {"chatglm4", PRE_LLAMA3},
    {"qwen2", PRE_QWEN2}, {"deepseek-r1-qwen", PRE_QWEN2}, {"kormo", PRE_QWEN2}, {"f2llmv2", PRE_QWEN2},
    {"stablelm2", PRE_QWEN2}, {"hunyuan", PRE_QWEN2}, {"solar-open", PRE_QWEN2}, {"megrez", PRE_QWEN2},
    {"grok-2", PRE_QWEN2}, {"qwen35", PRE_QWEN35},
    {"gpt-4o", PRE_O200K}, {"o200k", PRE_O200K}, {"llama4", PRE_O200K}, {"kanana2", PRE_O200K},
    {"talkie", PRE_O200K}, {"minimax-m2", PRE_O200K}, {"tekken", PRE_TEKKEN},
    {"deepseek-llm", PRE_DEEPSEEK_LLM}, {"deepseek-coder", PRE_DEEPSEEK_CODER}, {"deepseek-v3", PRE_DEEPSEEK3},
    {"hunyuan-dense", PRE_DEEPSEEK3}, {"joyai-llm", PRE_DEEPSEEK3},
    {"starcoder", PRE_STARCODER}, {"refact", PRE_STARCODER}, {"command-r", PRE_STARCODER}, {"smollm", PRE_STARCODER},
    {"codeshell", PRE_STARCODER}, {"exaone", PRE_STARCODER}, {"minerva-7b", PRE_STARCODER}, {"mellum2", PRE_STARCODER},
    {"falcon", PRE_FALCON}, {"default", PRE_DEFAULT},
    {"bloom", PRE_BLOOM}, {"poro-chat", PRE_BLOOM}, {"poro", PRE_BLOOM}, {"gpt3-finnish", PRE_BLOOM},
    {"viking", PRE_VIKING}, {"seed-coder", PRE_SEED_CODER}, {"bailingmoe", PRE_BAILINGMOE},
    {"bailingmoe2", PRE_BAILINGMOE}, {"llada-moe", PRE_BAILINGMOE}, {"minicpm5", PRE_MINICPM5},
    {"jais-2", PRE_JAIS2}, {"youtu", PRE_YOUTU}, {"laguna", PRE_LAGUNA},
    {"gemma4", PRE_NEWLINES}, {"granite-embed-multi-311m", PRE_NEWLINES}, {"sarvam-moe", PRE_NEWLINES},
    {"whitespace", PRE_WHITESPACE},
};

/* The PRE_* for a GGUF tokenizer.ggml.pre name, or -1. */
static int pretokenizer_from_gguf(const char *pre, size_t len) {
    for (size_t i = 0; i < COUNT_OF(PRETOKENIZER_NAMES); i++)
        if (strlen(PRETOKENIZER_NAMES[i].name) == len && !memcmp(PRETOKENIZER_NAMES[i].name, pre, len))
            return PRETOKENIZER_NAMES[i].kind;
    return -1;
}

/* The GGUF name of a PRE_* kind: the first one listed for it. */
static const char *pretokenizer_name(int kind) {
    for (size_t i = 0; i < COUNT_OF(PRETOKENIZER_NAMES); i++)
        if (PRETOKENIZER_NAMES[i].kind == kind) return PRETOKENIZER_NAMES[i].name;
    return "default";
}

/* Split regexes of tokenizer.json files (JSON-unescaped), and llama.cpp's
   rewrites of them. Only a regex that names its sequence is listed: the
   shared steps ([\r\n], \p{N}{1,3}, [一-龥぀-ゟ゠-ヿ]+) are not. */
#define RX_CONTRACTIONS "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
#define RX_CONTRACTIONS_CPP "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
#define RX_WS_TAIL "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RX_LLAMA3(digits) "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" digits "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*" RX_WS_TAIL
#define RX_QWEN35 "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*" RX_WS_TAIL
#define RX_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
#define RX_UPPER "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"
#define RX_LOWER "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"
#define RX_O200K(c, digits) "[^\\r\\n\\p{L}\\p{N}]?" RX_UPPER "*" RX_LOWER "+" c "|[^\\r\\n\\p{L}\\p{N}]?" RX_UPPER "+" \
    RX_LOWER "*" c "|" digits "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*" RX_WS_TAIL
#define RX_JAIS2_TAIL "|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)" \
    "|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}"
#define RX_JAIS2_HEAD "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"

static const struct {
    const char *regex;
    int kind;
} PRETOKENIZER_REGEXES[] = {
    {RX_GPT2 "|\\s+", PRE_GPT2},
    {RX_GPT2, PRE_GPT2},
    {RX_CONTRACTIONS RX_LLAMA3("\\p{N}{1,3}"), PRE_LLAMA3},
    {RX_CONTRACTIONS_CPP RX_LLAMA3("\\p{N}{1,3}"), PRE_LLAMA3},
    {RX_CONTRACTIONS RX_LLAMA3("\\p{N}"), PRE_QWEN2},
    {RX_CONTRACTIONS_CPP RX_LLAMA3("\\p{N}"), PRE_QWEN2},
    {RX_CONTRACTIONS RX_LLAMA3("\\p{N}+"), PRE_MINICPM5},
    {RX_CONTRACTIONS_CPP RX_LLAMA3("\\p{N}+"), PRE_MINICPM5},
    {RX_CONTRACTIONS RX_QWEN35, PRE_QWEN35},
    {RX_CONTRACTIONS_CPP RX_QWEN35, PRE_QWEN35},
    {RX_O200K(RX_CONTRACTIONS "?", "\\p{N}{1,3}"), PRE_O200K},
    {RX_O200K("", "\\p{N}"), PRE_TEKKEN},
    {RX_CONTRACTIONS "|[^\r\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\r\n]+|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
     PRE_SEED_CODER}, /* as Seed-Coder ships it: real CR and LF in the classes */
    {RX_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+" RX_WS_TAIL, PRE_SEED_CODER},
    {RX_CONTRACTIONS_CPP "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+" RX_WS_TAIL, PRE_SEED_CODER},
    {"'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
     PRE_BAILINGMOE},
    {"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
     "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+", PRE_BAILINGMOE},
    {RX_CONTRACTIONS RX_JAIS2_HEAD RX_JAIS2_TAIL, PRE_JAIS2},
    {RX_CONTRACTIONS_CPP RX_JAIS2_HEAD RX_JAIS2_TAIL, PRE_JAIS2},
    {"\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373"
     "\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F"
     "\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77"
     "\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D"
     "\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4"
     "\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
     "\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D"
     "\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A"
     "\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2"
     "\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+", PRE_DEEPSEEK_LLM},
    {"\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", PRE_DEEPSEEK_LLM},
    {"\\s?\\p{L}+", PRE_DEEPSEEK_CODER},
    {"\\s?\\p{P}+", PRE_DEEPSEEK_CODER},
    {"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
     "| ?[\\p{P}\\p{S}]+[\\r\\n]*" RX_WS_TAIL, PRE_DEEPSEEK3},
    {"[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+"
     "|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+", PRE_YOUTU},
    {"[0-9][0-9][0-9]", PRE_FALCON},
    {" ?[^(\\s|[.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C])]+", PRE_BLOOM},
    {" ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+", PRE_BLOOM},
};

#undef RX_CONTRACTIONS
#undef RX_CONTRACTIONS_CPP
#undef RX_WS_TAIL
#undef RX_LLAMA3
#undef RX_QWEN35
#undef RX_GPT2
#undef RX_UPPER
#undef RX_LOWER
#undef RX_O200K
#undef RX_JAIS2_TAIL
#undef RX_JAIS2_HEAD

/* The PRE_* for the regex of a tokenizer.json Split pre-tokenizer, or -1.
   A Sequence is named by the first of its Split regexes known here. One
   with none, but a ByteLevel with use_regex true, is GPT-2, or StarCoder
   when a Digits step with individual_digits comes before it. */
static int pretokenizer_from_regex(const char *regex, size_t len) {
    for (size_t i = 0; i < COUNT_OF(PRETOKENIZER_REGEXES); i++)
        if (strlen(PRETOKENIZER_REGEXES[i].regex) == len && !memcmp(PRETOKENIZER_REGEXES[i].regex, regex, len))
            return PRETOKENIZER_REGEXES[i].kind;
    return -1;
}

/* ============================================================================
   10. tokenizer — SentencePiece and byte-level BPE vocabularies
   ============================================================================ */

/* SentencePiece vocabularies (Llama 1/2, Mistral, TinyLlama) work on text
   with each space written "▁" and fall back to <0xHH> byte tokens.
   Byte-level BPE vocabularies (GPT-2, Llama 3, Qwen, GPT-OSS) cut the text
   with a pre-tokenizer first and spell every byte as a printable character.
   Both then join adjacent pieces, best pair first: by merge rank where the
   vocabulary lists merges, else by the score of the joined token. A
   vocabulary comes from GGUF metadata, a tokenizer.json or a SentencePiece
   tokenizer.model; whatever the source, encoding runs the same code. */

enum { VOCAB_NONE, VOCAB_SPM, VOCAB_BPE };
/* Token types as GGUF stores them (tokenizer.ggml.token_type). */
enum { TOKEN_UNDEFINED, TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE };
/* Where SentencePiece text gets a "▁" in front: nowhere, before the first
   piece of raw text only, or before every piece between special tokens. */
enum { PREFIX_NONE, PREFIX_FIRST, PREFIX_EVERY };

#define SPM_SPACE "\xE2\x96\x81" /* ▁ */

typedef struct { int32_t left, right; } token_pair;

typedef struct vocab {
    int kind;
    char why_none[MV_ERROR_SIZE];   /* kind NONE: why text cannot be tokenized */
    int32_t n;
    char *arena;                    /* owned copies of the token texts */
    const char **text;              /* into arena, not NUL-terminated */
    uint32_t *len;
    float *score;
    uint8_t *attr;                  /* TOKEN_* */
    str_map index;                  /* text -> id */
    token_pair *merges;             /* stb_ds: the pair of ids each merge joins, by rank */
    str_map merge_index;            /* pair -> rank */
    int32_t bos, eos, unk, eot;     /* -1: none */
    int32_t *end;                   /* stb_ds: more ids that end generation (generation_config.json) */
    bool add_bos, add_eos;
    int space_prefix;               /* SPM: PREFIX_* */
    bool split_words;               /* SPM: each "▁" starts a piece merged on its own */
    bool strip_space;               /* decoding drops one space at the start of the text */
    int pretokenizer;               /* BPE: PRE_*, or -1: raw text is one piece */
    bool nfc;                       /* normalize raw text to NFC first */
    bool ignore_merges;             /* BPE: a piece that is a token stays whole */
    int32_t *special;               /* stb_ds: ids matched in raw text, longest first */
    int32_t byte_token[256];        /* SPM: <0xHH>; BPE: the token of the byte's character; -1 */
    uint16_t byte_char[256];        /* BPE: the character that spells each byte */
    uint8_t char_byte[324];         /* BPE: the byte each of those characters spells */
    char *chat_template;            /* owned; NULL if the source has none */
} vocab;

static const char *vocab_key(const void *owner, int32_t id, size_t *len) {
    const vocab *v = owner;
    *len = v->len[id];
    return v->text[id];
}

static const char *merge_key(const void *owner, int32_t rank, size_t *len) {
    *len = sizeof(token_pair);
    return (const char *)&((const vocab *)owner)->merges[rank];
}

static int32_t vocab_find(const vocab *v, const char *s, size_t len) { return strmap_get(&v->index, s, len, vocab_key, v); }

static void vocab_free(vocab *v) {
    if (!v) return;
    free(v->arena);
    free(v->text);
    free(v->len);
    free(v->score);
    free(v->attr);
    strmap_free(&v->index);
    arrfree(v->merges);
    strmap_free(&v->merge_index);
    arrfree(v->special);
    arrfree(v->end);
    free(v->chat_template);
    free(v);
}

static vocab *vocab_new(void) {
    vocab *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->bos = v->eos = v->unk = v->eot = -1;
    v->pretokenizer = -1;
    for (int b = 0; b < 256; b++) v->byte_token[b] = -1;
    return v;
}

/* Room for n tokens of text_bytes bytes in all; every token starts unused and empty. */
static int vocab_alloc(vocab *v, int32_t n, size_t text_bytes) {
    v->n = n;
    v->arena = malloc(text_bytes ? text_bytes : 1);
    v->text = calloc((size_t)n, sizeof *v->text);
    v->len = calloc((size_t)n, sizeof *v->len);
    v->score = calloc((size_t)n, sizeof *v->score);
    v->attr = malloc((size_t)n);
    if (!v->arena || !v->text || !v->len || !v->score || !v->attr) return MV_ERR_NOMEM;
    memset(v->attr, TOKEN_UNUSED, (size_t)n);
    for (int32_t i = 0; i < n; i++) v->text[i] = v->arena;
    return MV_OK;
}

/* Sets token id's text, copying it into the arena at *used. */
static void vocab_set(vocab *v, int32_t id, const char *s, size_t len, uint8_t attr, size_t *used) {
    if (len) memcpy(v->arena + *used, s, len);
    v->text[id] = v->arena + *used, v->len[id] = (uint32_t)len, v->attr[id] = attr;
    *used += len;
}

typedef struct {
    uint32_t len;
    int32_t id;
} sized_token;

static int longest_first(const void *a, const void *b) {
    const sized_token *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* GPT-2's spelling of bytes: printable Latin-1 bytes stand for themselves,
   the others for U+0100, U+0101, ... in byte order. */
static void byte_chars_init(vocab *v) {
    int next = 0;
    for (int b = 0; b < 256; b++) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        v->byte_char[b] = (uint16_t)(printable ? b : 0x100 + next++);
        v->char_byte[v->byte_char[b]] = (uint8_t)b;
    }
}

/* The text -> id index; of equal texts the last id wins, as in llama.cpp. */
static int vocab_index(vocab *v) {
    int rc = strmap_init(&v->index, (size_t)v->n);
    for (int32_t i = 0; !rc && i < v->n; i++)
        if (v->len[i] || v->attr[i] != TOKEN_UNUSED) strmap_put(&v->index, i, vocab_key, v);
    return rc;
}

/* What every source shares once the tokens are indexed: the special tokens
   matched in raw text and the byte tokens; kind decides the spelling. */
static void vocab_finish(vocab *v, int kind) {
    sized_token *special = NULL;
    for (int32_t i = 0; i < v->n; i++) {
        const uint8_t a = v->attr[i];
        if ((a == TOKEN_CONTROL || a == TOKEN_USER_DEFINED || a == TOKEN_UNKNOWN) && v->len[i]) arrput(special, ((sized_token){v->len[i], i}));
    }
    if (special) qsort(special, (size_t)arrlen(special), sizeof *special, longest_first);
    for (ptrdiff_t i = 0; i < arrlen(special); i++) arrput(v->special, special[i].id);
    arrfree(special);
    if (kind == VOCAB_BPE) byte_chars_init(v);
    for (int b = 0; b < 256; b++) {
        char name[8];
        int n = kind == VOCAB_BPE ? utf8_encode(v->byte_char[b], name) : snprintf(name, sizeof name, "<0x%02X>", b);
        v->byte_token[b] = vocab_find(v, name, (size_t)n);
    }
    v->kind = kind;
}

/* Adds the merge of the tokens with texts a and b; unknown tokens are skipped. */
static void vocab_add_merge(vocab *v, const char *a, size_t alen, const char *b, size_t blen) {
    const token_pair pair = {vocab_find(v, a, alen), vocab_find(v, b, blen)};
    if (pair.left < 0 || pair.right < 0) return;
    arrput(v->merges, pair);
    if (strmap_get(&v->merge_index, (const char *)&pair, sizeof pair, merge_key, v) < 0)
        strmap_put(&v->merge_index, (int32_t)(arrlen(v->merges) - 1), merge_key, v);
}

/* ---- from GGUF metadata ---- */

/* A token-id key: absent = def, -1 or 0xFFFFFFFF = none, else within the vocab. */
static int vocab_id(const model_file *f, const char *key, int32_t def, int32_t n, int32_t *out, char *err) {
    const meta_kv *kv = meta_find(f, key);
    int64_t v = def;
    if (kv && !meta_int(kv, &v)) return fail(err, MV_ERR_FORMAT, "GGUF key '%s': expected an integer", key);
    if (v == -1 || v == 0xFFFFFFFFll) v = -1;
    else if (v < 0 || v >= n) {
        if (!kv) v = -1; /* a default that this vocabulary does not have */
        else return fail(err, MV_ERR_FORMAT, "GGUF key '%s': token id %lld is out of range (vocabulary of %d)", key, (long long)v, n);
    }
    *out = (int32_t)v;
    return MV_OK;
}

static bool vocab_flag(const model_file *f, const char *key, bool def) {
    const meta_kv *kv = meta_find(f, key);
    return kv && kv->type == GGUF_BOOL ? kv->v.i != 0 : def;
}

/* The elements of a GGUF string array, one at a time: *p walks the data. */
static bool next_gguf_string(const uint8_t **p, const char **s, size_t *len) {
    uint64_t n;
    memcpy(&n, *p, 8);
    *s = (const char *)*p + 8, *len = (size_t)n;
    *p += 8 + n;
    return n <= UINT32_MAX;
}

/* Pre-tokenizer names whose llama.cpp vocabularies keep a piece that is a token whole. */
static bool gguf_ignores_merges(const char *pre, size_t len) {
    static const char *const names[] = {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
                                        "lfm2", "jina-v5-nano", "minicpm5", "youtu", "tekken", "granite-embed-multi-97m"};
    for (size_t i = 0; pre && i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == len && !memcmp(pre, names[i], len)) return true;
    return false;
}

/* Reads tokenizer.ggml.* into v. A file without a tokenizer, or with a kind
   not implemented, gives kind NONE (text functions then say why). */
static int vocab_from_gguf(vocab *v, const model_file *f, char *err) {
    size_t mlen = 0, plen = 0, tlen = 0;
    const char *model = meta_string(meta_find(f, "tokenizer.ggml.model"), &mlen);
    const char *pre = meta_string(meta_find(f, "tokenizer.ggml.pre"), &plen);
    const char *tmpl = meta_string(meta_find(f, "tokenizer.chat_template"), &tlen);
    const meta_kv *tokens = meta_find(f, "tokenizer.ggml.tokens");
    if (tmpl && !(v->chat_template = strndup(tmpl, tlen))) return MV_ERR_NOMEM;
    if (!model || !tokens) {
        snprintf(v->why_none, sizeof v->why_none, "the model has no tokenizer");
        return MV_OK;
    }
    if (tokens->type != GGUF_ARRAY || tokens->array_type != GGUF_STRING || tokens->n == 0 || tokens->n > (1u << 24))
        return fail(err, MV_ERR_FORMAT, "GGUF key 'tokenizer.ggml.tokens': expected a non-empty array of strings");
    const uint8_t *p = tokens->data;
    size_t bytes = 0, used = 0, len;
    const char *s;
    for (uint64_t i = 0; i < tokens->n; i++) next_gguf_string(&p, &s, &len), bytes += len;
    int rc = vocab_alloc(v, (int32_t)tokens->n, bytes);
    if (rc) return rc;
    p = tokens->data;
    for (int32_t i = 0; i < v->n; i++) {
        next_gguf_string(&p, &s, &len);
        vocab_set(v, i, s, len, TOKEN_NORMAL, &used);
    }
    const meta_kv *scores = meta_find(f, "tokenizer.ggml.scores");
    if (scores) {
        if (scores->type != GGUF_ARRAY || scores->array_type != GGUF_F32 || scores->n != tokens->n)
            return fail(err, MV_ERR_FORMAT, "GGUF key 'tokenizer.ggml.scores': expected %d f32 values", v->n);
        memcpy(v->score, scores->data, (size_t)v->n * 4);
    }
    const meta_kv *types = meta_find(f, "tokenizer.ggml.token_type");
    if (types) {
        if (types->type != GGUF_ARRAY || !gguf_type_is_int(types->array_type) || GGUF_VALUE_SIZE[types->array_type] != 4 || types->n != tokens->n)
            return fail(err, MV_ERR_FORMAT, "GGUF key 'tokenizer.ggml.token_type': expected %d 32-bit integers", v->n);
        for (int32_t i = 0; i < v->n; i++) {
            int32_t t;
            memcpy(&t, types->data + 4 * (size_t)i, 4);
            v->attr[i] = (uint8_t)(t >= TOKEN_UNDEFINED && t <= TOKEN_BYTE ? t : TOKEN_NORMAL);
        }
    }
    const bool spm = mlen == 5 && !memcmp(model, "llama", 5), bpe = mlen == 4 && !memcmp(model, "gpt2", 4);
    if ((rc = vocab_id(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1, v->n, &v->bos, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1, v->n, &v->eos, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, v->n, &v->unk, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.eot_token_id", -1, v->n, &v->eot, err)))
        return rc;
    if (!spm && !bpe) {
        snprintf(v->why_none, sizeof v->why_none, "tokenizer model '%.*s' is not supported", (int)MV_MIN(mlen, 64), model);
        return MV_OK;
    }
    if (bpe) {
        v->pretokenizer = pre ? pretokenizer_from_gguf(pre, plen) : PRE_DEFAULT;
        if (v->pretokenizer < 0) {
            snprintf(v->why_none, sizeof v->why_none, "pre-tokenizer '%.*s' is not supported", (int)MV_MIN(plen, 64), pre);
            return MV_OK;
        }
        v->ignore_merges = gguf_ignores_merges(pre, plen);
    }
    v->add_bos = vocab_flag(f, "tokenizer.ggml.add_bos_token", spm || v->ignore_merges);
    v->add_eos = vocab_flag(f, "tokenizer.ggml.add_eos_token", false);
    v->space_prefix = spm && vocab_flag(f, "tokenizer.ggml.add_space_prefix", true) ? PREFIX_EVERY : PREFIX_NONE;
    v->strip_space = v->space_prefix != PREFIX_NONE;
    if ((rc = vocab_index(v))) return rc;
    vocab_finish(v, spm ? VOCAB_SPM : VOCAB_BPE);
    const meta_kv *merges = meta_find(f, "tokenizer.ggml.merges");
    if (bpe && (!merges || merges->type != GGUF_ARRAY || merges->array_type != GGUF_STRING))
        return fail(err, MV_ERR_FORMAT, "GGUF key 'tokenizer.ggml.merges': a gpt2 tokenizer needs its merges as strings");
    if (bpe && (rc = strmap_init(&v->merge_index, (size_t)merges->n))) return rc;
    p = bpe ? merges->data : NULL;
    for (uint64_t i = 0; bpe && i < merges->n; i++) {
        next_gguf_string(&p, &s, &len);
        const char *space = memchr(s + (len > 0), ' ', len - (len > 0)); /* a merge of "▁" and " " cannot occur: spaces are spelled */
        if (space) vocab_add_merge(v, s, (size_t)(space - s), space + 1, len - (size_t)(space - s) - 1);
    }
    return MV_OK;
}

/* ---- from a Hugging Face tokenizer.json (and its tokenizer_config.json) ---- */

/* The steps of a tokenizer.json component: the items of a Sequence, or the component itself. */
static const json_value *json_steps(const json_value *c, uint32_t *n) {
    const json_value *steps = json_get(c, "normalizers");
    if (!steps) steps = json_get(c, "pretokenizers");
    if (!steps) steps = json_get(c, "decoders");
    if (steps && steps->kind == JSON_ARRAY) return *n = steps->n, steps->items;
    return *n = c && c->kind == JSON_OBJECT, c;
}

/* A special token named in tokenizer_config.json: a string, or an object with "content". */
static int32_t config_token(const vocab *v, const json_value *t) {
    if (t && t->kind == JSON_OBJECT) t = json_get(t, "content");
    return t && t->kind == JSON_STRING ? vocab_find(v, t->str, t->len) : -1;
}

/* What tokenizer_config.json adds: BOS/EOS, whether to add them, the chat template. */
static int vocab_read_config(vocab *v, const json_value *cfg) {
    int32_t id;
    if ((id = config_token(v, json_get(cfg, "bos_token"))) >= 0) v->bos = id;
    if ((id = config_token(v, json_get(cfg, "eos_token"))) >= 0) v->eos = id;
    if ((id = config_token(v, json_get(cfg, "unk_token"))) >= 0) v->unk = id;
    const json_value *add_bos = json_get(cfg, "add_bos_token"), *add_eos = json_get(cfg, "add_eos_token");
    if (add_bos && (add_bos->kind == JSON_TRUE || add_bos->kind == JSON_FALSE)) v->add_bos = add_bos->kind == JSON_TRUE;
    if (add_eos && (add_eos->kind == JSON_TRUE || add_eos->kind == JSON_FALSE)) v->add_eos = add_eos->kind == JSON_TRUE;
    const json_value *tmpl = json_get(cfg, "chat_template");
    if (tmpl && tmpl->kind == JSON_ARRAY) /* named templates: the default one */
        for (uint32_t i = 0; i < tmpl->n; i++)
            if (json_is(json_get(&tmpl->items[i], "name"), "default")) tmpl = json_get(&tmpl->items[i], "template");
    if (tmpl && tmpl->kind == JSON_STRING) {
        free(v->chat_template);
        if (!(v->chat_template = strndup(tmpl->str, tmpl->len))) return MV_ERR_NOMEM;
    }
    return MV_OK;
}

/* The normalizer, pre-tokenizer and decoder decide the spelling and the
   pieces; the post-processor, which tokens frame a text. */
static int vocab_read_pipeline(vocab *v, const json_value *root, char *err) {
    uint32_t n;
    const json_value *step = json_steps(json_get(root, "normalizer"), &n);
    for (uint32_t i = 0; i < n; i++) {
        const json_value *type = json_get(&step[i], "type");
        if (json_is(type, "NFC")) v->nfc = true;
        else if (json_is(type, "Prepend") && json_is(json_get(&step[i], "prepend"), SPM_SPACE)) v->space_prefix = PREFIX_EVERY;
        else if (json_is(type, "Replace") && json_is(json_get(&step[i], "content"), SPM_SPACE)) v->kind = VOCAB_SPM;
        else return fail(err, MV_ERR_UNSUPPORTED, "tokenizer.json: normalizer '%s' is not supported", type && type->str ? type->str : "?");
    }
    int pre = -1;
    bool regex_seen = false, byte_level = false, digits = false;
    step = json_steps(json_get(root, "pre_tokenizer"), &n);
    for (uint32_t i = 0; i < n; i++) {
        const json_value *type = json_get(&step[i], "type"), *pattern = json_get(json_get(&step[i], "pattern"), "Regex");
        if (json_is(type, "Split") && pattern && pattern->kind == JSON_STRING) {
            regex_seen = true;
            if (pre < 0) pre = pretokenizer_from_regex(pattern->str, pattern->len);
        } else if (json_is(type, "ByteLevel")) {
            byte_level = true;
            if (!regex_seen && json_true(json_get(&step[i], "use_regex"))) pre = digits ? PRE_STARCODER : PRE_GPT2;
        } else if (json_is(type, "Digits")) {
            digits = json_true(json_get(&step[i], "individual_digits"));
        } else if (json_is(type, "Metaspace")) {
            const json_value *scheme = json_get(&step[i], "prepend_scheme");
            v->kind = VOCAB_SPM;
            v->space_prefix = json_is(scheme, "first") ? PREFIX_FIRST : json_is(scheme, "never") ? PREFIX_NONE : PREFIX_EVERY;
            v->split_words = !json_get(&step[i], "split") || json_true(json_get(&step[i], "split"));
        } else {
            return fail(err, MV_ERR_UNSUPPORTED, "tokenizer.json: pre-tokenizer '%s' is not supported", type && type->str ? type->str : "?");
        }
    }
    if (byte_level) {
        if (regex_seen && pre < 0) return fail(err, MV_ERR_UNSUPPORTED, "tokenizer.json: the pre-tokenizer's regex is not one Minerva knows");
        v->kind = VOCAB_BPE, v->pretokenizer = pre;
    }
    if (v->kind != VOCAB_BPE && v->kind != VOCAB_SPM) return fail(err, MV_ERR_UNSUPPORTED, "tokenizer.json: neither byte-level nor SentencePiece-style");
    step = json_steps(json_get(root, "decoder"), &n);
    for (uint32_t i = 0; i < n; i++)
        if (json_is(json_get(&step[i], "type"), "Strip") || (json_is(json_get(&step[i], "type"), "Metaspace") && v->space_prefix != PREFIX_NONE))
            v->strip_space = true;
    /* TemplateProcessing: the special tokens before and after the text "A" */
    const json_value *single = json_get(json_get(root, "post_processor"), "single");
    bool after_text = false;
    for (uint32_t i = 0; single && single->kind == JSON_ARRAY && i < single->n; i++) {
        const json_value *sp = json_get(json_get(&single->items[i], "SpecialToken"), "id");
        int32_t id = sp && sp->kind == JSON_STRING ? vocab_find(v, sp->str, sp->len) : -1;
        if (json_get(&single->items[i], "Sequence")) after_text = true;
        else if (id >= 0 && !after_text) v->bos = id, v->add_bos = true;
        else if (id >= 0) v->eos = id, v->add_eos = true;
    }
    return MV_OK;
}

/* The largest id of a vocab object and the added tokens, and their text bytes. */
static int json_vocab_extent(const json_value *vocab_obj, const json_value *added, int32_t *n, size_t *bytes, char *err) {
    int64_t top = -1;
    *bytes = 0;
    for (uint32_t i = 0; i < vocab_obj->n; i++) {
        const json_value *id = &vocab_obj->items[i];
        if (id->kind != JSON_NUMBER || id->number < 0 || id->number >= (1 << 24) || id->number != floor(id->number))
            return fail(err, MV_ERR_FORMAT, "tokenizer.json: token '%.40s' has no valid id", vocab_obj->keys[i].str);
        top = MV_MAX(top, (int64_t)id->number), *bytes += vocab_obj->keys[i].len;
    }
    for (uint32_t i = 0; added && i < added->n; i++) {
        const json_value *id = json_get(&added->items[i], "id"), *content = json_get(&added->items[i], "content");
        if (!id || id->kind != JSON_NUMBER || id->number < 0 || id->number >= (1 << 24) || !content || content->kind != JSON_STRING)
            return fail(err, MV_ERR_FORMAT, "tokenizer.json: added token %u has no id or content", i);
        top = MV_MAX(top, (int64_t)id->number), *bytes += content->len;
    }
    if (top < 0) return fail(err, MV_ERR_FORMAT, "tokenizer.json: the vocabulary is empty");
    *n = (int32_t)top + 1;
    return MV_OK;
}

/* Reads a tokenizer.json (a BPE model) into v; config: its tokenizer_config.json, or NULL. */
static int vocab_from_json(vocab *v, const json_value *root, const json_value *config, char *err) {
    const json_value *model = json_get(root, "model"), *vocab_obj = json_get(model, "vocab"), *merges = json_get(model, "merges");
    const json_value *added = json_get(root, "added_tokens");
    if (!json_is(json_get(model, "type"), "BPE") && !(model && !json_get(model, "type") && merges))
        return fail(err, MV_ERR_UNSUPPORTED, "tokenizer.json: only BPE models are supported (this one is %s)",
                    json_get(model, "type") && json_get(model, "type")->str ? json_get(model, "type")->str : "unknown");
    if (!vocab_obj || vocab_obj->kind != JSON_OBJECT || !merges || merges->kind != JSON_ARRAY || (added && added->kind != JSON_ARRAY))
        return fail(err, MV_ERR_FORMAT, "tokenizer.json: model.vocab, model.merges or added_tokens is malformed");
    int32_t n = 0;
    size_t bytes = 0, used = 0;
    int rc = json_vocab_extent(vocab_obj, added, &n, &bytes, err);
    if (rc || (rc = vocab_alloc(v, n, bytes))) return rc;
    for (uint32_t i = 0; i < vocab_obj->n; i++)
        vocab_set(v, (int32_t)vocab_obj->items[i].number, vocab_obj->keys[i].str, vocab_obj->keys[i].len, TOKEN_NORMAL, &used);
    for (uint32_t i = 0; added && i < added->n; i++) {
        const json_value *content = json_get(&added->items[i], "content");
        const int32_t id = (int32_t)json_get(&added->items[i], "id")->number;
        vocab_set(v, id, content->str, content->len, json_true(json_get(&added->items[i], "special")) ? TOKEN_CONTROL : TOKEN_USER_DEFINED, &used);
    }
    if ((rc = vocab_index(v)) || (rc = vocab_read_pipeline(v, root, err))) return rc;
    const json_value *unk = json_get(model, "unk_token");
    if (unk && unk->kind == JSON_STRING && (v->unk = vocab_find(v, unk->str, unk->len)) >= 0) v->attr[v->unk] = TOKEN_UNKNOWN;
    v->ignore_merges = json_true(json_get(model, "ignore_merges"));
    for (int b = 0; b < 256 && v->kind == VOCAB_SPM; b++) { /* the byte fallback tokens */
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        const int32_t id = vocab_find(v, name, 6);
        if (id >= 0 && v->attr[id] == TOKEN_NORMAL) v->attr[id] = TOKEN_BYTE;
    }
    vocab_finish(v, v->kind);
    if ((rc = strmap_init(&v->merge_index, merges->n))) return rc;
    for (uint32_t i = 0; i < merges->n; i++) {
        const json_value *m = &merges->items[i];
        if (m->kind == JSON_ARRAY && m->n == 2 && m->items[0].kind == JSON_STRING && m->items[1].kind == JSON_STRING) {
            vocab_add_merge(v, m->items[0].str, m->items[0].len, m->items[1].str, m->items[1].len);
        } else if (m->kind == JSON_STRING) {
            const char *space = memchr(m->str + (m->len > 0), ' ', m->len - (m->len > 0));
            if (space) vocab_add_merge(v, m->str, (size_t)(space - m->str), space + 1, m->len - (size_t)(space - m->str) - 1);
        } else {
            return fail(err, MV_ERR_FORMAT, "tokenizer.json: merge %u is neither \"a b\" nor [a, b]", i);
        }
    }
    return config ? vocab_read_config(v, config) : MV_OK;
}

/* ---- from a SentencePiece tokenizer.model (a protobuf ModelProto) ---- */

typedef struct { const uint8_t *p, *end; } proto_reader;

static bool proto_varint(proto_reader *r, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        const uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

/* The next field: its number and wire type; a varint or fixed value in
   *value, length-delimited bytes in *bytes. False at the end or on damage. */
static bool proto_field(proto_reader *r, uint32_t *field, uint64_t *value, proto_reader *bytes) {
    uint64_t key;
    if (r->p >= r->end || !proto_varint(r, &key) || key >> 3 > UINT32_MAX) return false;
    *field = (uint32_t)(key >> 3);
    switch (key & 7) {
    case 0: return proto_varint(r, value);
    case 1: case 5: {
        const size_t n = (key & 7) == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n) return false;
        *value = 0;
        memcpy(value, r->p, n); /* little-endian, as the format is */
        r->p += n;
        return true;
    }
    case 2:
        if (!proto_varint(r, value) || *value > (uint64_t)(r->end - r->p)) return false;
        bytes->p = r->p, bytes->end = r->p + *value;
        r->p += *value;
        return true;
    }
    return false;
}

typedef struct {
    const uint8_t *text;
    uint32_t len;
    float score;
    uint8_t type;
} spm_piece;

static int vocab_from_sentencepiece(vocab *v, const uint8_t *data, size_t size, char *err) {
    proto_reader r = {data, data + size}, msg, sub;
    uint32_t field;
    uint64_t value;
    spm_piece *pieces = NULL;
    int64_t unk = 0, bos = 1, eos = 2, model_type = 1;
    bool add_dummy_prefix = true;
    size_t bytes = 0, used = 0;
    while (proto_field(&r, &field, &value, &msg)) {
        if (field == 1) { /* SentencePiece { piece = 1; score = 2; type = 3 } */
            spm_piece sp = {.type = TOKEN_NORMAL};
            while (proto_field(&msg, &field, &value, &sub)) {
                if (field == 1) sp.text = sub.p, sp.len = (uint32_t)(sub.end - sub.p);
                else if (field == 2) memcpy(&sp.score, &value, 4);
                else if (field == 3) sp.type = (uint8_t)(value >= TOKEN_NORMAL && value <= TOKEN_BYTE ? value : TOKEN_NORMAL);
            }
            if (msg.p != msg.end) break;
            arrput(pieces, sp);
            bytes += sp.len;
        } else if (field == 2) { /* TrainerSpec */
            while (proto_field(&msg, &field, &value, &sub)) {
                if (field == 3) model_type = (int64_t)value;
                else if (field == 40) unk = (int32_t)value;
                else if (field == 41) bos = (int32_t)value;
                else if (field == 42) eos = (int32_t)value;
            }
        } else if (field == 3) { /* NormalizerSpec */
            while (proto_field(&msg, &field, &value, &sub))
                if (field == 3) add_dummy_prefix = value != 0;
        }
    }
    int rc = MV_OK;
    if (r.p != r.end || !pieces) rc = fail(err, MV_ERR_FORMAT, "tokenizer.model: not a SentencePiece model, or damaged at byte %zu", (size_t)(r.p - data));
    else if (model_type != 2) rc = fail(err, MV_ERR_UNSUPPORTED, "tokenizer.model: only BPE models are supported (model type %lld)", (long long)model_type);
    if (!rc && !(rc = vocab_alloc(v, (int32_t)arrlen(pieces), bytes))) {
        for (int32_t i = 0; i < v->n; i++) {
            vocab_set(v, i, (const char *)pieces[i].text, pieces[i].len, pieces[i].type, &used);
            v->score[i] = pieces[i].score;
        }
        v->unk = unk >= 0 && unk < v->n ? (int32_t)unk : -1;
        v->bos = bos >= 0 && bos < v->n ? (int32_t)bos : -1;
        v->eos = eos >= 0 && eos < v->n ? (int32_t)eos : -1;
        v->add_bos = true;
        v->space_prefix = add_dummy_prefix ? PREFIX_EVERY : PREFIX_NONE;
        v->strip_space = add_dummy_prefix;
        if (!(rc = vocab_index(v))) vocab_finish(v, VOCAB_SPM);
    }
    arrfree(pieces);
    return rc;
}

/* Parses a JSON file, naming it in the error. */
static int json_parse_file(const file_map *map, const char *path, json_doc *doc, char *err) {
    int rc = json_parse((const char *)map->data, map->size, doc, err);
    if (rc && err) snprintf(err + strlen(err), MV_ERROR_SIZE - strlen(err), " (in %s)", path);
    return rc;
}

/* ---- from a llama2.c tokenizer.bin ---- */

/* u32 max_token_length, then per token f32 score, i32 length, the bytes:
   the number of tokens when data is exactly that, else -1. */
static int32_t llama2c_tokenizer_count(const uint8_t *data, size_t size) {
    uint32_t max_len;
    if (size < 4) return -1;
    memcpy(&max_len, data, 4);
    if (max_len == 0 || max_len > 1024) return -1;
    int32_t n = 0;
    for (size_t at = 4; at < size; n++) {
        int32_t len;
        if (size - at < 8 || n == (1 << 22)) return -1;
        memcpy(&len, data + at + 4, 4);
        if (len < 0 || (uint32_t)len > max_len || (size_t)len > size - at - 8) return -1;
        at += 8 + (size_t)len;
    }
    return n;
}

/* The exporter wrote "▁" as a space and BOS/EOS as "\n<s>\n", "\n</s>\n";
   ids 0..2 are <unk> <s> </s>, then the <0xHH> byte tokens (FORMATS.md §7.2). */
static int vocab_from_llama2c(vocab *v, const uint8_t *data, size_t size, char *err) {
    const int32_t n = llama2c_tokenizer_count(data, size);
    if (n < 3) return fail(err, MV_ERR_FORMAT, "not a llama2.c tokenizer.bin");
    int rc = vocab_alloc(v, n, 3 * (size - 4)); /* a space becomes 3 bytes */
    size_t used = 0, at = 4;
    for (int32_t i = 0; !rc && i < n; i++) {
        int32_t len;
        memcpy(&v->score[i], data + at, 4), memcpy(&len, data + at + 4, 4);
        const char *s = (const char *)data + at + 8;
        at += 8 + (size_t)len;
        static const char *const fixed[3] = {"<unk>", "<s>", "</s>"};
        static const uint8_t fixed_attr[3] = {TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL};
        if (i < 3) {
            vocab_set(v, i, fixed[i], strlen(fixed[i]), fixed_attr[i], &used);
            continue;
        }
        const bool byte = len == 6 && !memcmp(s, "<0x", 3) && s[5] == '>';
        const size_t start = used;
        for (int32_t k = 0; k < len; k++) {
            if (s[k] == ' ') memcpy(v->arena + used, SPM_SPACE, 3), used += 3;
            else v->arena[used++] = s[k];
        }
        v->text[i] = v->arena + start, v->len[i] = (uint32_t)(used - start), v->attr[i] = byte ? TOKEN_BYTE : TOKEN_NORMAL;
    }
    if (rc) return rc;
    v->unk = 0, v->bos = 1, v->eos = 2;
    v->add_bos = v->strip_space = true;
    v->space_prefix = PREFIX_EVERY;
    if ((rc = vocab_index(v))) return rc;
    vocab_finish(v, VOCAB_SPM);
    return MV_OK;
}

/* generation_config.json in a model directory, if there is one: its
   eos_token_id (a number or a list) end generation too. */
static int vocab_read_generation_config(vocab *v, const char *dir, int n_vocab, char *err) {
    json_doc cfg;
    int rc = json_read_file(dir, "generation_config.json", &cfg, err);
    if (rc == MV_ERR_IO) return MV_OK;
    if (rc) return rc;
    const json_value *eos = json_get(&cfg.root, "eos_token_id");
    const uint32_t n = !eos ? 0 : eos->kind == JSON_ARRAY ? eos->n : 1;
    for (uint32_t i = 0; i < n; i++) {
        const json_value *id = eos->kind == JSON_ARRAY ? &eos->items[i] : eos;
        if (id->kind != JSON_NUMBER || id->number != floor(id->number) || id->number < 0 || id->number >= n_vocab) {
            rc = fail(err, MV_ERR_FORMAT, "%s/generation_config.json: eos_token_id must be token ids of the vocabulary", dir);
            break;
        }
        arrput(v->end, (int32_t)id->number);
    }
    json_free(&cfg);
    return rc;
}

/* A parsed tokenizer.json, with the tokenizer_config.json beside it if there is one. */
static int vocab_from_json_file(vocab *v, const json_value *root, const char *path, char *err) {
    char config_path[4096];
    const char *slash = strrchr(path, '/');
    snprintf(config_path, sizeof config_path, "%.*stokenizer_config.json", slash ? (int)(slash - path + 1) : 0, path);
    if (access(config_path, F_OK) != 0) return vocab_from_json(v, root, NULL, err);
    file_map map;
    json_doc config;
    int rc = map_file(config_path, &map, err);
    if (rc) return rc;
    if (!(rc = json_parse_file(&map, config_path, &config, err))) {
        rc = vocab_from_json(v, root, &config.root, err);
        json_free(&config);
    }
    unmap_file(&map);
    return rc;
}

/* A tokenizer file on its own: a tokenizer.json, a SentencePiece
   tokenizer.model (a protobuf, whose first byte 0x0A can pass for white
   space before a '{': what does not parse as JSON is tried as protobuf),
   or a llama2.c tokenizer.bin. */
static int vocab_from_file(vocab *v, const char *path, char *err) {
    file_map map;
    int rc = map_file(path, &map, err);
    if (rc) return rc;
    size_t at = 0;
    while (at < map.size && (map.data[at] == ' ' || map.data[at] == '\n' || map.data[at] == '\r' || map.data[at] == '\t')) at++;
    json_doc doc;
    if (llama2c_tokenizer_count(map.data, map.size) > 0) {
        rc = vocab_from_llama2c(v, map.data, map.size, err);
    } else if (at < map.size && map.data[at] == '{' && !(rc = json_parse_file(&map, path, &doc, err))) {
        rc = vocab_from_json_file(v, &doc.root, path, err);
        json_free(&doc);
    } else if (!rc || map.data[0] == 0x0A) {
        rc = vocab_from_sentencepiece(v, map.data, map.size, err);
    }
    unmap_file(&map);
    return rc;
}

/* ---- encoding ---- */

/* A piece of the input: raw text (token < 0) or an already matched special token. */
typedef struct {
    int32_t token;
    size_t off, len;
} fragment;

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m) {
    if (m == 0 || m > n) return NULL;
    for (const char *p = hay, *end = hay + n - m + 1; (p = memchr(p, needle[0], (size_t)(end - p))); p++)
        if (!memcmp(p, needle, m)) return p;
    return NULL;
}

/* Splits text at every occurrence of each special token, longest tokens
   first (control and unknown tokens only when parse_special is set,
   user-defined ones always), as llama.cpp's partition does. */
static fragment *split_special(const vocab *v, const char *text, size_t len, bool parse_special) {
    fragment *frags = NULL;
    if (!len) return NULL;
    arrput(frags, ((fragment){-1, 0, len}));
    for (ptrdiff_t s = 0; s < arrlen(v->special); s++) {
        int32_t id = v->special[s];
        if (!parse_special && v->attr[id] != TOKEN_USER_DEFINED) continue;
        const char *tok = v->text[id];
        size_t tlen = v->len[id];
        fragment *next = NULL;
        for (ptrdiff_t i = 0; i < arrlen(frags); i++) {
            fragment fr = frags[i];
            const char *hit;
            while (fr.token < 0 && (hit = find_bytes(text + fr.off, fr.len, tok, tlen))) {
                size_t at = (size_t)(hit - text);
                if (at > fr.off) arrput(next, ((fragment){-1, fr.off, at - fr.off}));
                arrput(next, ((fragment){id, at, tlen}));
                fr.len -= at + tlen - fr.off;
                fr.off = at + tlen;
            }
            if (fr.token >= 0 || fr.len) arrput(next, fr);
        }
        arrfree(frags);
        frags = next;
    }
    return frags;
}

/* Bytes in the UTF-8 sequence that starts with c (1 for stray bytes). */
static int utf8_seq_len(uint8_t c) {
    static const uint8_t lengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lengths[c >> 4];
}

/* The pieces of a word being merged, as a linked list over its bytes, and
   the candidate joins of neighbours in a heap. */
typedef struct {
    int prev, next;
    uint32_t off, n;
} merge_piece;

typedef struct {
    int left, right;
    float priority;
    uint32_t size;
} merge_pair;

/* Heap order: the higher priority first, then the leftmost pair. */
static bool pair_before(const merge_pair *a, const merge_pair *b) {
    return a->priority > b->priority || (a->priority == b->priority && a->left < b->left);
}

static void heap_push(merge_pair **heap, merge_pair b) {
    arrput(*heap, b);
    merge_pair *h = *heap;
    for (ptrdiff_t i = arrlen(h) - 1; i > 0;) {
        ptrdiff_t parent = (i - 1) / 2;
        if (!pair_before(&h[i], &h[parent])) break;
        merge_pair t = h[i]; h[i] = h[parent]; h[parent] = t;
        i = parent;
    }
}

static merge_pair heap_pop(merge_pair *h) {
    merge_pair top = h[0];
    h[0] = arrpop(h);
    ptrdiff_t n = arrlen(h);
    for (ptrdiff_t i = 0;;) {
        ptrdiff_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && pair_before(&h[l], &h[best])) best = l;
        if (r < n && pair_before(&h[r], &h[best])) best = r;
        if (best == i) break;
        merge_pair t = h[i]; h[i] = h[best]; h[best] = t;
        i = best;
    }
    return top;
}

/* Queues the join of pieces left and right: ranked by the merge list when
   the vocabulary has one (the lower rank first), else by the joined
   token's score; pieces that do not join are not queued. */
static void queue_pair(const vocab *v, const char *s, const merge_piece *pc, int left, int right, merge_pair **heap) {
    if (left < 0 || right < 0) return;
    const uint32_t size = pc[left].n + pc[right].n;
    if (v->merges) {
        const token_pair pair = {vocab_find(v, s + pc[left].off, pc[left].n), vocab_find(v, s + pc[right].off, pc[right].n)};
        const int32_t rank = pair.left < 0 || pair.right < 0 ? -1 : strmap_get(&v->merge_index, (const char *)&pair, sizeof pair, merge_key, v);
        if (rank >= 0) heap_push(heap, (merge_pair){left, right, -(float)rank, size});
    } else {
        const int32_t id = vocab_find(v, s + pc[left].off, size);
        if (id >= 0) heap_push(heap, (merge_pair){left, right, v->score[id], size});
    }
}

/* Joins the characters of a word, best pair first, and appends the ids of
   the pieces. A piece that is not a token falls back to byte tokens
   (SentencePiece) or its characters' tokens (BPE), else to <unk>. */
static void merge_word(const vocab *v, const char *s, size_t len, int32_t **out) {
    merge_piece *pc = NULL;
    merge_pair *heap = NULL;
    for (size_t off = 0; off < len;) {
        const size_t n = MV_MIN((size_t)utf8_seq_len((uint8_t)s[off]), len - off);
        const int i = (int)arrlen(pc);
        arrput(pc, ((merge_piece){i - 1, i + 1, (uint32_t)off, (uint32_t)n}));
        off += n;
    }
    if (!pc) return;
    arrlast(pc).next = -1;
    for (int i = 1; i < (int)arrlen(pc); i++) queue_pair(v, s, pc, i - 1, i, &heap);
    while (arrlen(heap)) {
        const merge_pair b = heap_pop(heap);
        merge_piece *l = &pc[b.left], *r = &pc[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale: a side was joined since */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) pc[r->next].prev = b.left;
        queue_pair(v, s, pc, l->prev, b.left, &heap);
        queue_pair(v, s, pc, b.left, l->next, &heap);
    }
    for (int i = 0; i >= 0; i = pc[i].next) {
        const char *p = s + pc[i].off;
        const int32_t id = vocab_find(v, p, pc[i].n);
        if (id >= 0) {
            arrput(*out, id);
            continue;
        }
        for (uint32_t j = 0, n; j < pc[i].n; j += n) {
            n = v->kind == VOCAB_BPE ? MV_MIN((uint32_t)utf8_seq_len((uint8_t)p[j]), pc[i].n - j) : 1;
            const int32_t fallback = v->kind == VOCAB_BPE ? vocab_find(v, p + j, n) : v->byte_token[(uint8_t)p[j]];
            if (fallback >= 0 || v->unk >= 0) arrput(*out, fallback >= 0 ? fallback : v->unk);
        }
    }
    arrfree(pc);
    arrfree(heap);
}

/* SentencePiece: spaces spelled "▁", a "▁" in front where the vocabulary
   wants one, then merged whole (or each "▁"-led word apart). */
static void spm_encode_text(const vocab *v, const char *text, size_t len, bool first, int32_t **out, char **spelled) {
    arrsetlen(*spelled, 0);
    if (len && (v->space_prefix == PREFIX_EVERY || (v->space_prefix == PREFIX_FIRST && first))) buf_append(spelled, SPM_SPACE, 3);
    for (size_t i = 0; i < len; i++) buf_append(spelled, text[i] == ' ' ? SPM_SPACE : &text[i], text[i] == ' ' ? 3 : 1);
    const char *s = *spelled;
    const size_t n = (size_t)arrlen(*spelled);
    for (size_t start = 0, end; start < n; start = end) {
        end = n;
        for (size_t j = start + 1; v->split_words && j + 3 <= n; j++)
            if (!memcmp(s + j, SPM_SPACE, 3)) {
                end = j;
                break;
            }
        merge_word(v, s + start, end - start, out);
    }
}

/* Byte-level BPE: NFC if asked, the pre-tokenizer's pieces, each spelled
   with a character per byte, then merged (or kept whole if it is a token). */
static int bpe_encode_text(const vocab *v, const char *text, size_t len, int32_t **out, char **spelled, text_span **spans) {
    char *normalized = NULL;
    if (v->nfc && !(text = normalized = unicode_nfc(text, len, &len))) return MV_ERR_NOMEM;
    arrsetlen(*spans, 0);
    if (v->pretokenizer >= 0) pretokenize(v->pretokenizer, text, len, spans);
    else if (len) arrput(*spans, ((text_span){0, (uint32_t)len}));
    for (ptrdiff_t i = 0; i < arrlen(*spans); i++) {
        arrsetlen(*spelled, 0);
        for (uint32_t j = 0; j < (*spans)[i].length; j++) {
            char c[4];
            buf_append(spelled, c, (size_t)utf8_encode(v->byte_char[(uint8_t)text[(*spans)[i].offset + j]], c));
        }
        const int32_t whole = v->ignore_merges ? vocab_find(v, *spelled, (size_t)arrlen(*spelled)) : -1;
        if (whole >= 0) arrput(*out, whole);
        else merge_word(v, *spelled, (size_t)arrlen(*spelled), out);
    }
    free(normalized);
    return MV_OK;
}

/* Tokenizes text into *out (stb_ds). */
static int vocab_encode(const vocab *v, const char *text, size_t len, int flags, int32_t **out, char *err) {
    if (v->kind == VOCAB_NONE) return fail(err, MV_ERR_UNSUPPORTED, "cannot tokenize: %s", v->why_none);
    if (len > INT32_MAX) return fail(err, MV_ERR_ARG, "cannot tokenize: %zu bytes of text is too much at once", len);
    const bool add_special = flags & MV_TOKENIZE_ADD_SPECIAL;
    if (add_special && v->add_bos && v->bos >= 0) arrput(*out, v->bos);
    fragment *frags = split_special(v, text, len, flags & MV_TOKENIZE_PARSE_SPECIAL);
    char *spelled = NULL;
    text_span *spans = NULL;
    int rc = MV_OK;
    for (ptrdiff_t i = 0; !rc && i < arrlen(frags); i++) {
        if (frags[i].token >= 0) arrput(*out, frags[i].token);
        else if (v->kind == VOCAB_SPM) spm_encode_text(v, text + frags[i].off, frags[i].len, i == 0, out, &spelled);
        else rc = bpe_encode_text(v, text + frags[i].off, frags[i].len, out, &spelled, &spans);
    }
    arrfree(spelled);
    arrfree(spans);
    arrfree(frags);
    if (rc) return fail(err, rc, "cannot tokenize: out of memory");
    if (add_special && v->add_eos && v->eos >= 0) arrput(*out, v->eos);
    return MV_OK;
}

/* ---- to GGUF metadata ---- */

/* The vocabulary as GGUF tokenizer.ggml.* keys, as llama.cpp reads them. A
   SentencePiece vocabulary that merges by rank (from a tokenizer.json) gets
   scores that order the merged tokens by the rank of the merge making them. */
static int vocab_write_gguf(gguf_writer *w, const vocab *v) {
    const bool bpe = v->kind == VOCAB_BPE;
    float *scores = malloc((size_t)v->n * sizeof *scores);
    int32_t *types = malloc((size_t)v->n * sizeof *types);
    if (!scores || !types) return free(scores), free(types), MV_ERR_NOMEM;
    memcpy(scores, v->score, (size_t)v->n * sizeof *scores);
    if (!bpe && v->merges) {
        memset(scores, 0, (size_t)v->n * sizeof *scores);
        char joined[1024];
        for (ptrdiff_t r = arrlen(v->merges) - 1; r >= 0; r--) {
            const token_pair p = v->merges[r];
            const size_t n = (size_t)v->len[p.left] + v->len[p.right];
            if (n > sizeof joined) continue;
            memcpy(joined, v->text[p.left], v->len[p.left]), memcpy(joined + v->len[p.left], v->text[p.right], v->len[p.right]);
            const int32_t id = vocab_find(v, joined, n);
            if (id >= 0) scores[id] = -(float)r;
        }
    }
    for (int32_t i = 0; i < v->n; i++) types[i] = v->attr[i];
    gw_str(w, "tokenizer.ggml.model", bpe ? "gpt2" : "llama");
    if (bpe) gw_str(w, "tokenizer.ggml.pre", v->pretokenizer >= 0 ? pretokenizer_name(v->pretokenizer) : "default");
    gw_string_array(w, "tokenizer.ggml.tokens", v->text, v->len, (uint64_t)v->n);
    gw_array(w, "tokenizer.ggml.scores", GGUF_F32, scores, (uint64_t)v->n);
    gw_array(w, "tokenizer.ggml.token_type", GGUF_I32, types, (uint64_t)v->n);
    if (bpe) {
        char **merges = malloc((size_t)MV_MAX(arrlen(v->merges), 1) * sizeof *merges);
        uint32_t *lens = malloc((size_t)MV_MAX(arrlen(v->merges), 1) * sizeof *lens);
        for (ptrdiff_t r = 0; merges && lens && r < arrlen(v->merges); r++) {
            const token_pair p = v->merges[r];
            merges[r] = NULL;
            buf_append(&merges[r], v->text[p.left], v->len[p.left]);
            buf_append(&merges[r], " ", 1);
            buf_append(&merges[r], v->text[p.right], v->len[p.right]);
            lens[r] = (uint32_t)arrlen(merges[r]);
        }
        if (merges && lens) gw_string_array(w, "tokenizer.ggml.merges", (const char *const *)merges, lens, (uint64_t)arrlen(v->merges));
        for (ptrdiff_t r = 0; merges && lens && r < arrlen(v->merges); r++) arrfree(merges[r]);
        free(merges), free(lens);
    }
    static const char *const id_keys[4] = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                                           "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.eot_token_id"};
    const int32_t ids[4] = {v->bos, v->eos, v->unk, v->eot};
    for (int k = 0; k < 4; k++)
        if (ids[k] >= 0) gw_u32(w, id_keys[k], (uint32_t)ids[k]);
    gw_bool(w, "tokenizer.ggml.add_bos_token", v->add_bos);
    gw_bool(w, "tokenizer.ggml.add_eos_token", v->add_eos);
    if (!bpe) gw_bool(w, "tokenizer.ggml.add_space_prefix", v->space_prefix != PREFIX_NONE);
    if (v->chat_template) gw_str(w, "tokenizer.chat_template", v->chat_template);
    free(scores), free(types);
    return MV_OK;
}

/* ---- decoding ---- */

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the bytes of one token: SentencePiece's "▁" as a space and
   <0xHH> as its byte, byte-level characters as the bytes they spell;
   control tokens only when special is set. */
static void vocab_piece(const vocab *v, int32_t id, bool special, char **out) {
    const char *s = v->text[id];
    const uint32_t n = v->len[id];
    switch (v->attr[id]) {
    case TOKEN_CONTROL:
        if (special) buf_append(out, s, n);
        return;
    case TOKEN_UNKNOWN: case TOKEN_USER_DEFINED:
        buf_append(out, s, n);
        return;
    case TOKEN_UNUSED:
        return;
    case TOKEN_BYTE:
        if (n == 6 && hex_digit(s[3]) >= 0 && hex_digit(s[4]) >= 0) {
            const char b = (char)(hex_digit(s[3]) * 16 + hex_digit(s[4]));
            buf_append(out, &b, 1);
            return;
        }
        break;
    }
    for (uint32_t i = 0, k; i < n; i += k) {
        int len;
        const uint32_t c = utf8_decode(s + i, n - i, &len);
        k = (uint32_t)len;
        if (v->kind == VOCAB_BPE && c < sizeof v->char_byte && v->byte_char[v->char_byte[c]] == c) buf_append(out, &v->char_byte[c], 1);
        else if (v->kind == VOCAB_SPM && c == 0x2581) buf_append(out, " ", 1);
        else buf_append(out, s + i, k);
    }
}

/* Bytes of the longest prefix of a UTF-8 sequence at p that could still
   be completed (the "maximal subpart" of the Unicode standard, §3.9): an
   invalid stretch is replaced by one U+FFFD for each such prefix. */
static size_t utf8_valid_prefix(const uint8_t *p, size_t n) {
    const uint8_t c = p[0];
    const int want = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
    const uint8_t lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80, hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    size_t k = 1;
    while (k < (size_t)want && k < n && p[k] >= (k == 1 ? lo : 0x80) && p[k] <= (k == 1 ? hi : 0xBF)) k++;
    return k;
}

/* Moves the valid UTF-8 at the start of s[0..n) to out, each invalid
   stretch as U+FFFD, and returns how many bytes it consumed: a sequence cut
   off at the end is held back (unless final), so streamed text never
   carries a broken character. */
static size_t utf8_take_complete(const char *s, size_t n, bool final, char **out) {
    size_t i = 0;
    while (i < n) {
        const uint8_t *p = (const uint8_t *)s + i;
        const int len = utf8_valid_len(p, (const uint8_t *)s + n);
        if (len) {
            buf_append(out, p, (size_t)len);
            i += (size_t)len;
            continue;
        }
        const size_t k = utf8_valid_prefix(p, n - i);
        if (!final && i + k == n && utf8_seq_len(p[0]) > 1 && p[0] >= 0xC2 && p[0] <= 0xF4) return i;
        buf_append(out, "\xEF\xBF\xBD", 3);
        i += k;
    }
    return i;
}

/* ============================================================================
   11. chat — chat templates (Jinja), the harmony format of GPT-OSS replies
   ============================================================================ */

/* ---- chat templates ---------------------------------------------------
   A Jinja2 interpreter for the subset chat templates use, which
   renders byte for byte like Hugging Face transformers (Jinja2's immutable
   sandbox with trim_blocks, lstrip_blocks, loopcontrols and transformers' tojson).

   It has if/elif/else; for with its if, else, loop.*, break and continue; set,
   also of blocks, tuples and namespace attributes; macro; raw; generation; the
   expression grammar with Python's semantics; and the filters, tests, globals
   and str/dict methods named in the tables below. It has no include, import,
   extends, block, call, filter blocks, with, recursive loops, or caller,
   varargs and kwargs in macros.

   The source is lexed into tokens, parsed into a tree of nodes and rendered by
   walking the tree. Everything a render allocates comes from one arena freed at
   the end, so values are shared freely and never counted, and errors unwind
   with longjmp to template_render, as in Lua. Only namespaces are mutable: the
   sandbox forbids list.append and its kin. */

#define TPL_MAX_PARSE_DEPTH 128          /* nested blocks and brackets */
#define TPL_MAX_DEPTH 256                /* nested evaluation, macro calls and values: C stack */
#define TPL_MAX_STEPS 10000000L          /* loop iterations, macro calls, comparisons */
#define TPL_MAX_ARGS 16
#define TPL_MAX_OUTPUT ((size_t)64 << 20)
#define TPL_MAX_MEMORY ((size_t)256 << 20)
#define TPL_BLOCK ((size_t)64 << 10)

enum { TV_UNDEF, TV_NONE, TV_BOOL, TV_INT, TV_FLOAT, TV_STR, TV_LIST, TV_TUPLE, TV_DICT, TV_NS, TV_MACRO, TV_FUNC, TV_LOOP };

typedef struct tpl_value {
    int kind;
    bool safe;                      /* a string marked safe (markupsafe's Markup) */
    size_t len;                     /* bytes of a string or of an undefined's name; items of a list */
    union {
        int64_t i;                  /* bool, int, builtin function */
        double f;
        const char *s;              /* string; the name an undefined stands for */
        struct tpl_array *arr;      /* list, tuple */
        struct tpl_dict *dict;      /* dict, namespace */
        struct tpl_macro *macro;
        struct tpl_loop *loop;
    } u;
} tpl_value;

/* A list is a prefix of an array. a + [x] appends in place when a ends where
   the array's used part does, so building a list item by item stays linear. */
typedef struct tpl_array {
    size_t used, cap;
    tpl_value items[];
} tpl_array;

typedef struct tpl_dict {           /* insertion-ordered */
    tpl_value *keys, *vals;
    size_t n, cap;
} tpl_dict;

typedef struct tpl_frame {
    struct tpl_frame *parent;
    tpl_dict vars;
} tpl_frame;

typedef struct tpl_macro {
    const struct tpl_node *node;
    tpl_frame *scope;
} tpl_macro;

typedef struct tpl_loop {
    const tpl_value *items;
    size_t index, n;
} tpl_loop;

enum { TT_EOF, TT_TEXT, TT_VAR_BEGIN, TT_VAR_END, TT_BLOCK_BEGIN, TT_BLOCK_END, TT_NAME, TT_STRING, TT_INT, TT_FLOAT, TT_OP };

typedef struct {
    int type, line;
    const char *s;                  /* NUL-terminated, except text */
    size_t len;
    int64_t i;
    double f;
} tpl_token;

/* Children by kind (lists are chained through next):
   ATTR a.s  INDEX a[b]  SLICE a[b:c:d]  NEG, POS, NOT a  AND, OR, BINARY a op b
   COMPARE a, then OPERANDs b (op a each)  COND b if a else c  LIST, TUPLE items b
   DICT PAIRs b (a: b)  CALL a(b)  KWARG s=a  FILTER a|op(b)  TEST a is op(b)
   OUTPUT {{ a }}  IF a: b else c  FOR a in b if c: d else e  SET a = b, or a = body c
   MACRO s(a, parameters with defaults in their a): b  BLOCK b */
enum {
    TN_CONST, TN_NAME, TN_ATTR, TN_INDEX, TN_SLICE, TN_NEG, TN_POS, TN_NOT, TN_AND, TN_OR, TN_BINARY,
    TN_COMPARE, TN_OPERAND, TN_COND, TN_LIST, TN_TUPLE, TN_DICT, TN_PAIR, TN_CALL, TN_KWARG, TN_FILTER, TN_TEST,
    TN_TEXT, TN_OUTPUT, TN_IF, TN_FOR, TN_SET, TN_MACRO, TN_BREAK, TN_CONTINUE, TN_BLOCK
};

typedef struct tpl_node {
    int kind, op, line;
    struct tpl_node *a, *b, *c, *d, *e, *next;
    const char *s;
    size_t len;
    tpl_value value;
} tpl_node;

enum { TO_ADD, TO_SUB, TO_MUL, TO_DIV, TO_FLOORDIV, TO_MOD, TO_POW, TO_CONCAT, TO_EQ, TO_NE, TO_LT, TO_LE, TO_GT, TO_GE, TO_IN, TO_NOTIN };

typedef struct tpl_state {
    jmp_buf on_error;
    int code, line;                 /* the error; the line being parsed or rendered */
    char *err;
    char **blocks, *free_ptr;       /* the arena */
    size_t free_left, allocated;
    char **outs;                    /* stack of output buffers; the last one receives output */
    tpl_token *tokens;
    size_t tpos;
    int parse_depth, loops;         /* parser: nesting, enclosing for loops */
    tpl_frame *frame;               /* the innermost scope */
    tpl_value *arg_values;          /* arguments of the calls under way, a stack that never moves: */
    const char **arg_names;         /* TPL_MAX_ARGS for each level of nesting */
    size_t nargs;
    int jump, depth;                /* jump: TN_BREAK or TN_CONTINUE while leaving a loop body */
    long steps;
    struct tm date;                 /* what strftime_now formats */
} tpl_state;

typedef struct {
    const tpl_value *v;
    const char *const *names;       /* NULL for positional arguments, which come first */
    int n;
} tpl_args;

static const tpl_value TPL_UNDEFINED = {TV_UNDEF, false, 0, {0}};
static const tpl_value TPL_NONE = {TV_NONE, false, 0, {0}};

static _Noreturn void tpl_fail(tpl_state *st, int code, const char *fmt, ...) {
    char msg[MV_ERROR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail(st->err, code, "template line %d: %s", st->line, msg);
    st->code = code;
    longjmp(st->on_error, 1);
}

static void enter(tpl_state *st) {
    if (++st->depth > TPL_MAX_DEPTH) tpl_fail(st, MV_ERR_ARG, "nesting deeper than %d", TPL_MAX_DEPTH);
}

static void leave(tpl_state *st) { st->depth--; }

static void tick(tpl_state *st) {
    if (++st->steps > TPL_MAX_STEPS) tpl_fail(st, MV_ERR_ARG, "the template runs too long");
}

static char *new_block(tpl_state *st, size_t size) {
    if (size > TPL_MAX_MEMORY - st->allocated)
        tpl_fail(st, MV_ERR_ARG, "the template needs more than %d MiB of memory", (int)(TPL_MAX_MEMORY >> 20));
    char *p = malloc(size);
    if (!p) tpl_fail(st, MV_ERR_NOMEM, "out of memory");
    arrput(st->blocks, p);
    st->allocated += size;
    return p;
}

/* Zeroed arena memory; large requests get a block of their own. */
static void *tpl_alloc(tpl_state *st, size_t size) {
    size = (MV_MIN(size, TPL_MAX_MEMORY) + 15) & ~(size_t)15;
    if (size > TPL_BLOCK / 4) return memset(new_block(st, size), 0, size);
    if (size > st->free_left) {
        st->free_ptr = new_block(st, TPL_BLOCK);
        st->free_left = TPL_BLOCK;
    }
    char *p = st->free_ptr;
    st->free_ptr += size, st->free_left -= size;
    return memset(p, 0, size);
}

static void *tpl_alloc_array(tpl_state *st, size_t n, size_t size) {
    if (n > TPL_MAX_MEMORY / size) tpl_fail(st, MV_ERR_ARG, "the template needs too much memory");
    return tpl_alloc(st, n * size);
}

static void out_push(tpl_state *st) { arrput(st->outs, NULL); }

static void out_check(tpl_state *st, size_t more) {
    if (more > TPL_MAX_OUTPUT - (size_t)arrlen(arrlast(st->outs)))
        tpl_fail(st, MV_ERR_ARG, "output larger than %d MiB", (int)(TPL_MAX_OUTPUT >> 20));
}

static void out_put(tpl_state *st, const void *p, size_t n) {
    out_check(st, n);
    buf_append(&arrlast(st->outs), p, n);
}

static void out_str(tpl_state *st, const char *s) { out_put(st, s, strlen(s)); }

static tpl_value make_int(int64_t i) { tpl_value v = {TV_INT, false, 0, {.i = i}}; return v; }
static tpl_value make_bool(bool b) { tpl_value v = {TV_BOOL, false, 0, {.i = b}}; return v; }
static tpl_value make_float(double f) { tpl_value v = {TV_FLOAT, false, 0, {.f = f}}; return v; }
static tpl_value make_str(const char *s, size_t n) { tpl_value v = {TV_STR, false, n, {.s = s ? s : ""}}; return v; }
static tpl_value make_undefined(const char *name, size_t n) { tpl_value v = {TV_UNDEF, false, n, {.s = name}}; return v; }

static tpl_value str_new(tpl_state *st, const char *s, size_t n) {
    char *p = tpl_alloc(st, n + 1);
    if (n) memcpy(p, s, n);
    return make_str(p, n);
}

static tpl_value out_pop(tpl_state *st) {
    char *b = arrlast(st->outs);
    tpl_value v = str_new(st, b, (size_t)arrlen(b));
    arrfree(b);
    (void)arrpop(st->outs);
    return v;
}

static tpl_value list_new(tpl_state *st, int kind, size_t cap) {
    if (cap > TPL_MAX_MEMORY / sizeof(tpl_value)) tpl_fail(st, MV_ERR_ARG, "the template needs too much memory");
    tpl_array *a = tpl_alloc(st, sizeof *a + cap * sizeof(tpl_value));
    a->cap = cap;
    tpl_value v = {kind, false, 0, {.arr = a}};
    return v;
}

static tpl_value *items(tpl_value v) { return v.u.arr->items; }

static void list_add(tpl_state *st, tpl_value *list, tpl_value item) {
    tpl_array *a = list->u.arr;
    if (list->len != a->used || a->used == a->cap) {
        tpl_value copy = list_new(st, list->kind, MV_MAX(8, list->len * 2));
        if (list->len) memcpy(items(copy), a->items, list->len * sizeof(tpl_value));
        a = copy.u.arr;
        a->used = list->len;
        list->u.arr = a;
    }
    a->items[a->used++] = item;
    list->len++;
}

static tpl_value list_of(tpl_state *st, int kind, const tpl_value *v, size_t n) {
    tpl_value list = list_new(st, kind, n);
    for (size_t i = 0; i < n; i++) list_add(st, &list, v[i]);
    return list;
}

static bool is_number(tpl_value v) { return v.kind == TV_BOOL || v.kind == TV_INT || v.kind == TV_FLOAT; }
static bool is_list(tpl_value v) { return v.kind == TV_LIST || v.kind == TV_TUPLE; }
static double number(tpl_value v) { return v.kind == TV_FLOAT ? v.u.f : (double)v.u.i; }

static const char *type_name(tpl_value v) {
    static const char *const names[] = {"Undefined", "NoneType", "bool", "int", "float", "str", "list", "tuple",
                                        "dict", "Namespace", "Macro", "builtin_function", "LoopContext"};
    return names[v.kind];
}

static bool truthy(tpl_value v) {
    switch (v.kind) {
    case TV_UNDEF: case TV_NONE: return false;
    case TV_BOOL: case TV_INT: return v.u.i != 0;
    case TV_FLOAT: return v.u.f != 0;
    case TV_STR: case TV_LIST: case TV_TUPLE: return v.len > 0;
    case TV_DICT: return v.u.dict->n > 0;
    default: return true;
    }
}

static _Noreturn void undefined_error(tpl_state *st, tpl_value v) {
    if (v.u.s) tpl_fail(st, MV_ERR_ARG, "'%.*s' is undefined", (int)v.len, v.u.s);
    tpl_fail(st, MV_ERR_ARG, "a value is undefined");
}

static bool equal(tpl_state *st, tpl_value a, tpl_value b);

static tpl_value *dict_find(tpl_state *st, const tpl_dict *d, tpl_value key) {
    for (size_t i = 0; i < d->n; i++) {
        const tpl_value *k = &d->keys[i];
        if (key.kind == TV_STR && k->kind == TV_STR ? k->len == key.len && !memcmp(k->u.s, key.u.s, key.len)
                                                     : equal(st, *k, key))
            return &d->vals[i];
    }
    return NULL;
}

static void dict_put(tpl_state *st, tpl_dict *d, tpl_value key, tpl_value val) {
    tpl_value *slot = dict_find(st, d, key);
    if (slot) {
        *slot = val;
        return;
    }
    if (d->n == d->cap) {
        size_t cap = MV_MAX(8, d->cap * 2);
        tpl_value *keys = tpl_alloc_array(st, cap, sizeof *keys), *vals = tpl_alloc_array(st, cap, sizeof *vals);
        if (d->n) memcpy(keys, d->keys, d->n * sizeof *keys), memcpy(vals, d->vals, d->n * sizeof *vals);
        d->keys = keys, d->vals = vals, d->cap = cap;
    }
    d->keys[d->n] = key;
    d->vals[d->n++] = val;
}

static tpl_value dict_new(tpl_state *st, int kind) {
    tpl_value v = {kind, false, 0, {.dict = tpl_alloc(st, sizeof(tpl_dict))}};
    return v;
}

/* The code point at s[*i] (a stray byte stands for itself), advancing *i. */
static uint32_t utf8_next(const char *s, size_t n, size_t *i) {
    const uint8_t *p = (const uint8_t *)s + *i;
    int len = utf8_valid_len(p, (const uint8_t *)s + n);
    if (len <= 1) return (*i)++, p[0];
    uint32_t cp = p[0] & (0x7F >> len);
    for (int k = 1; k < len; k++) cp = cp << 6 | (p[k] & 0x3F);
    *i += (size_t)len;
    return cp;
}

static size_t utf8_back(const char *s, size_t start, size_t i) {
    size_t j = i - 1;
    while (j > start && i - j < 4 && ((uint8_t)s[j] & 0xC0) == 0x80) j--;
    size_t k = j;
    utf8_next(s, i, &k);
    return k == i ? j : i - 1;
}

static size_t utf8_count(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; count++) utf8_next(s, n, &i);
    return count;
}

static void put_code_point(tpl_state *st, uint32_t cp) {
    char tmp[4];
    out_put(st, tmp, (size_t)utf8_encode(cp, tmp));
}

/* Case mapping for ASCII, Latin-1, Greek and Cyrillic. */
static uint32_t case_map(uint32_t c, bool upper) {
    if (upper) {
        if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) ||
            (c >= 0x430 && c <= 0x44F))
            return c - 0x20;
        if (c >= 0x450 && c <= 0x45F) return c - 0x50;
        return c == 0x3C2 ? 0x3A3 : c;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
        (c >= 0x410 && c <= 0x42F))
        return c + 0x20;
    return c >= 0x400 && c <= 0x40F ? c + 0x50 : c;
}

static bool is_cased(uint32_t c) { return case_map(c, true) != c || case_map(c, false) != c; }

/* Python's str.isspace. */
static bool is_space(uint32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's str.isprintable, approximately: what repr() leaves unescaped. */
static bool is_printable(uint32_t c) {
    static const uint32_t hidden[][2] = {{0, 0x1F}, {0x7F, 0xA0}, {0xAD, 0xAD}, {0x600, 0x605}, {0x61C, 0x61C},
                                         {0x6DD, 0x6DD}, {0x70F, 0x70F}, {0x1680, 0x1680}, {0x180E, 0x180E},
                                         {0x2000, 0x200F}, {0x2028, 0x202F}, {0x205F, 0x206F}, {0x3000, 0x3000},
                                         {0xD800, 0xF8FF}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xE0000, 0x10FFFF}};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (c >= hidden[i][0] && c <= hidden[i][1]) return false;
    return true;
}

static const char *str_find(const char *h, size_t hn, const char *needle, size_t nn) {
    if (nn > hn) return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (!memcmp(h + i, needle, nn)) return h + i;
    return NULL;
}

static const char *str_rfind(const char *h, size_t hn, const char *needle, size_t nn) {
    for (size_t i = hn - MV_MIN(nn, hn) + 1; nn <= hn && i-- > 0;)
        if (!memcmp(h + i, needle, nn)) return h + i;
    return NULL;
}

/* Writes d as Python's repr does: the shortest digits that read back as d. */
static int format_float(double d, char *out) {
    if (isnan(d)) return sprintf(out, "nan");
    if (isinf(d)) return sprintf(out, d < 0 ? "-inf" : "inf");
    char tmp[40], digits[20];
    int prec = 1, nd = 0;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    if (prec == 17) snprintf(tmp, sizeof tmp, "%.16e", d);
    const char *p = tmp + (tmp[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p)) digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char *o = out;
    if (tmp[0] == '-') *o++ = '-';
    if (exp < -4 || exp >= 16) {
        *o++ = digits[0];
        if (nd > 1) *o++ = '.', memcpy(o, digits + 1, (size_t)nd - 1), o += nd - 1;
        o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    } else if (exp < 0) {
        o += sprintf(o, "0.%.*s%.*s", -exp - 1, "0000", nd, digits);
    } else {
        for (int i = 0; i <= exp; i++) *o++ = i < nd ? digits[i] : '0';
        *o++ = '.';
        if (nd > exp + 1) memcpy(o, digits + exp + 1, (size_t)(nd - exp - 1)), o += nd - exp - 1;
        else *o++ = '0';
    }
    *o = 0;
    return (int)(o - out);
}

static void write_repr_string(tpl_state *st, const char *s, size_t n) {
    char quote = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    out_put(st, &quote, 1);
    for (size_t i = 0; i < n;) {
        size_t start = i;
        uint32_t c = utf8_next(s, n, &i);
        char esc[12] = "";
        if (c == (uint32_t)quote || c == '\\') snprintf(esc, sizeof esc, "\\%c", (char)c);
        else if (c == '\n' || c == '\r' || c == '\t') snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        else if (!is_printable(c)) snprintf(esc, sizeof esc, c <= 0xFF ? "\\x%02x" : c <= 0xFFFF ? "\\u%04x" : "\\U%08x", (unsigned)c);
        if (esc[0]) out_str(st, esc);
        else out_put(st, s + start, i - start);
    }
    out_put(st, &quote, 1);
}

/* str(v), or repr(v) for items inside containers. */
static void write_value(tpl_state *st, tpl_value v, bool repr) {
    char tmp[40];
    switch (v.kind) {
    case TV_UNDEF: if (repr) out_str(st, "Undefined"); return;
    case TV_NONE: out_str(st, "None"); return;
    case TV_BOOL: out_str(st, v.u.i ? "True" : "False"); return;
    case TV_INT: out_put(st, tmp, (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i)); return;
    case TV_FLOAT: out_put(st, tmp, (size_t)format_float(v.u.f, tmp)); return;
    case TV_STR:
        if (repr) write_repr_string(st, v.u.s, v.len);
        else out_put(st, v.u.s, v.len);
        return;
    case TV_MACRO: out_str(st, "<Macro '"), out_str(st, v.u.macro->node->s), out_str(st, "'>"); return;
    case TV_FUNC: out_str(st, "<built-in function>"); return;
    case TV_LOOP: out_str(st, "<LoopContext>"); return;
    default: break;
    }
    enter(st);
    if (is_list(v)) {
        out_str(st, v.kind == TV_LIST ? "[" : "(");
        for (size_t i = 0; i < v.len; i++) {
            if (i) out_str(st, ", ");
            write_value(st, items(v)[i], true);
        }
        out_str(st, v.kind == TV_LIST ? "]" : v.len == 1 ? ",)" : ")");
    } else {
        const tpl_dict *d = v.u.dict;
        out_str(st, v.kind == TV_NS ? "<Namespace {" : "{");
        for (size_t i = 0; i < d->n; i++) {
            if (i) out_str(st, ", ");
            write_value(st, d->keys[i], true);
            out_str(st, ": ");
            write_value(st, d->vals[i], true);
        }
        out_str(st, v.kind == TV_NS ? "}>" : "}");
    }
    leave(st);
}

static tpl_value to_str(tpl_state *st, tpl_value v) {
    if (v.kind == TV_STR) return v;
    out_push(st);
    write_value(st, v, false);
    return out_pop(st);
}

static void json_newline(tpl_state *st, tpl_value indent, int level) {
    out_str(st, "\n");
    for (int i = 0; i < level; i++) out_put(st, indent.u.s, indent.len);
}

/* json.dumps(v, ensure_ascii=False, indent=indent): indent is None or a string.
   Keys that are not strings are written as json.dumps does, in quotes. */
static void write_json(tpl_state *st, tpl_value v, tpl_value indent, int level) {
    char tmp[40];
    switch (v.kind) {
    case TV_NONE: out_str(st, "null"); return;
    case TV_BOOL: out_str(st, v.u.i ? "true" : "false"); return;
    case TV_INT: write_value(st, v, false); return;
    case TV_FLOAT:
        if (isnan(v.u.f)) out_str(st, "NaN");
        else if (isinf(v.u.f)) out_str(st, v.u.f < 0 ? "-Infinity" : "Infinity");
        else out_put(st, tmp, (size_t)format_float(v.u.f, tmp));
        return;
    case TV_STR:
        out_check(st, v.len * 6 + 2);
        json_write_string(&arrlast(st->outs), v.u.s, v.len);
        return;
    case TV_LIST: case TV_TUPLE: case TV_DICT: break;
    default: tpl_fail(st, MV_ERR_ARG, "Object of type %s is not JSON serializable", type_name(v));
    }
    enter(st);
    bool is_dict = v.kind == TV_DICT, pretty = indent.kind == TV_STR;
    size_t n = is_dict ? v.u.dict->n : v.len;
    out_str(st, is_dict ? "{" : "[");
    for (size_t i = 0; i < n; i++) {
        if (i) out_str(st, pretty ? "," : ", ");
        if (pretty) json_newline(st, indent, level + 1);
        if (is_dict) {
            tpl_value key = v.u.dict->keys[i];
            if (key.kind != TV_STR && key.kind != TV_NONE && !is_number(key))
                tpl_fail(st, MV_ERR_ARG, "keys must be str, int, float, bool or None, not %s", type_name(key));
            if (key.kind != TV_STR) out_str(st, "\"");
            write_json(st, key, indent, level + 1);
            out_str(st, key.kind != TV_STR ? "\": " : ": ");
        }
        write_json(st, is_dict ? v.u.dict->vals[i] : items(v)[i], indent, level + 1);
    }
    if (pretty && n) json_newline(st, indent, level);
    out_str(st, is_dict ? "}" : "]");
    leave(st);
}

static bool equal(tpl_state *st, tpl_value a, tpl_value b) {
    if (is_number(a) && is_number(b))
        return a.kind != TV_FLOAT && b.kind != TV_FLOAT ? a.u.i == b.u.i : number(a) == number(b);
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case TV_UNDEF: case TV_NONE: return true;
    case TV_STR: return a.len == b.len && !memcmp(a.u.s, b.u.s, a.len);
    case TV_LIST: case TV_TUPLE: {
        if (a.len != b.len) return false;
        enter(st);
        bool same = true;
        for (size_t i = 0; i < a.len && same; i++) same = equal(st, items(a)[i], items(b)[i]);
        leave(st);
        return same;
    }
    case TV_DICT: {
        if (a.u.dict->n != b.u.dict->n) return false;
        enter(st);
        bool same = true;
        for (size_t i = 0; i < a.u.dict->n && same; i++) {
            tpl_value *other = dict_find(st, b.u.dict, a.u.dict->keys[i]);
            same = other && equal(st, a.u.dict->vals[i], *other);
        }
        leave(st);
        return same;
    }
    case TV_FUNC: return a.u.i == b.u.i;
    default: return a.u.dict == b.u.dict;  /* namespaces, macros and loops by identity */
    }
}

/* Python's ordering: numbers, strings, and lists of those, item by item. */
static int compare(tpl_state *st, tpl_value a, tpl_value b) {
    tick(st);
    if (is_number(a) && is_number(b)) {
        if (a.kind != TV_FLOAT && b.kind != TV_FLOAT) return (a.u.i > b.u.i) - (a.u.i < b.u.i);
        return (number(a) > number(b)) - (number(a) < number(b));
    }
    if (a.kind == TV_STR && b.kind == TV_STR) {
        int c = memcmp(a.u.s, b.u.s, MV_MIN(a.len, b.len));
        return c ? (c > 0) - (c < 0) : (a.len > b.len) - (a.len < b.len);
    }
    if (is_list(a) && a.kind == b.kind) {
        enter(st);
        size_t i = 0;
        while (i < a.len && i < b.len && equal(st, items(a)[i], items(b)[i])) i++;
        int c = i < a.len && i < b.len ? compare(st, items(a)[i], items(b)[i]) : (a.len > b.len) - (a.len < b.len);
        leave(st);
        return c;
    }
    tpl_fail(st, MV_ERR_ARG, "'<' not supported between instances of '%s' and '%s'", type_name(a), type_name(b));
}

/* Python's dict keys and set members: what may be a dict key or unique's key. */
static tpl_value hashable(tpl_state *st, tpl_value v) {
    if (v.kind == TV_LIST || v.kind == TV_DICT || v.kind == TV_NS) tpl_fail(st, MV_ERR_ARG, "unhashable type: '%s'", type_name(v));
    return v;
}

static bool contains(tpl_state *st, tpl_value container, tpl_value item) {
    switch (container.kind) {
    case TV_STR:
        if (item.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "'in <string>' requires string as left operand, not %s", type_name(item));
        return str_find(container.u.s, container.len, item.u.s, item.len) != NULL;
    case TV_LIST: case TV_TUPLE:
        for (size_t i = 0; i < container.len; i++) {
            tick(st);
            if (equal(st, items(container)[i], item)) return true;
        }
        return false;
    case TV_DICT: return dict_find(st, container.u.dict, hashable(st, item)) != NULL;
    case TV_UNDEF: return false;
    default: tpl_fail(st, MV_ERR_ARG, "argument of type '%s' is not iterable", type_name(container));
    }
}

static bool compare_op(tpl_state *st, int op, tpl_value a, tpl_value b) {
    switch (op) {
    case TO_EQ: return equal(st, a, b);
    case TO_NE: return !equal(st, a, b);
    case TO_LT: return compare(st, a, b) < 0;
    case TO_LE: return compare(st, a, b) <= 0;
    case TO_GT: return compare(st, a, b) > 0;
    case TO_GE: return compare(st, a, b) >= 0;
    case TO_IN: return contains(st, b, a);
    default: return !contains(st, b, a);
    }
}

/* Fails unless the exact result, computed as a double, fits an int64 with room to spare. */
static void check_int(tpl_state *st, double result) {
    if (fabs(result) >= 9.2e18) tpl_fail(st, MV_ERR_ARG, "integer overflow");
}

static tpl_value arith_int(tpl_state *st, int op, int64_t x, int64_t y) {
    switch (op) {
    case TO_ADD: check_int(st, (double)x + (double)y); return make_int(x + y);
    case TO_SUB: check_int(st, (double)x - (double)y); return make_int(x - y);
    case TO_MUL: check_int(st, (double)x * (double)y); return make_int(x * y);
    case TO_FLOORDIV: case TO_MOD: {
        if (!y) tpl_fail(st, MV_ERR_ARG, "integer division or modulo by zero");
        if (y == -1 && op == TO_MOD) return make_int(0);
        if (y == -1) return check_int(st, -(double)x), make_int(-x);
        int64_t q = x / y, r = x % y;
        if (r && ((r < 0) != (y < 0))) q--, r += y;
        return make_int(op == TO_MOD ? r : q);
    }
    default: {
        if (y < 0) {
            if (!x) tpl_fail(st, MV_ERR_ARG, "0.0 cannot be raised to a negative power");
            return make_float(pow((double)x, (double)y));
        }
        int64_t r = 1;
        for (;;) {
            if (y & 1) check_int(st, (double)r * (double)x), r *= x;
            if (!(y >>= 1)) break;
            check_int(st, (double)x * (double)x), x *= x;
        }
        return make_int(r);
    }
    }
}

static tpl_value arith(tpl_state *st, int op, tpl_value a, tpl_value b) {
    if (a.kind != TV_FLOAT && b.kind != TV_FLOAT && op != TO_DIV) return arith_int(st, op, a.u.i, b.u.i);
    double x = number(a), y = number(b);
    if (y == 0 && (op == TO_DIV || op == TO_FLOORDIV || op == TO_MOD)) tpl_fail(st, MV_ERR_ARG, "division by zero");
    switch (op) {
    case TO_ADD: return make_float(x + y);
    case TO_SUB: return make_float(x - y);
    case TO_MUL: return make_float(x * y);
    case TO_DIV: return make_float(x / y);
    case TO_FLOORDIV: case TO_MOD: {  /* CPython's float divmod */
        double mod = fmod(x, y), div = (x - mod) / y, floordiv;
        if (mod && (y < 0) != (mod < 0)) mod += y, div -= 1;
        if (!mod) mod = copysign(0, y);
        floordiv = div ? floor(div) + (div - floor(div) > 0.5) : copysign(0, x / y);
        return make_float(op == TO_MOD ? mod : floordiv);
    }
    default:
        if (x == 0 && y < 0) tpl_fail(st, MV_ERR_ARG, "0.0 cannot be raised to a negative power");
        if (x < 0 && y != floor(y)) tpl_fail(st, MV_ERR_ARG, "a negative number cannot be raised to a fractional power");
        return make_float(pow(x, y));
    }
}

static tpl_value str_concat(tpl_state *st, tpl_value a, tpl_value b) {
    if (b.len > TPL_MAX_MEMORY - a.len) tpl_fail(st, MV_ERR_ARG, "the template needs too much memory");
    char *p = tpl_alloc(st, a.len + b.len + 1);
    memcpy(p, a.u.s, a.len);
    memcpy(p + a.len, b.u.s, b.len);
    return make_str(p, a.len + b.len);
}

static tpl_value repeat(tpl_state *st, tpl_value v, int64_t times) {
    if (times <= 0) return v.kind == TV_STR ? make_str("", 0) : list_new(st, v.kind, 0);
    if (v.len && (uint64_t)times > TPL_MAX_MEMORY / v.len) tpl_fail(st, MV_ERR_ARG, "the template needs too much memory");
    if (v.kind != TV_STR) {
        tpl_value list = list_new(st, v.kind, v.len * (size_t)times);
        for (int64_t t = 0; t < times; t++)
            for (size_t i = 0; i < v.len; i++) list_add(st, &list, items(v)[i]);
        return list;
    }
    char *p = tpl_alloc(st, v.len * (size_t)times + 1);
    for (int64_t t = 0; t < times; t++) memcpy(p + (size_t)t * v.len, v.u.s, v.len);
    return make_str(p, v.len * (size_t)times);
}

/* The escape filter: the result is safe, and a safe string stays as it is. */
static tpl_value escape_html(tpl_state *st, tpl_value s) {
    if (s.safe) return s;
    out_push(st);
    for (size_t i = 0; i < s.len; i++) {
        const char *e = NULL;
        switch (s.u.s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&#34;"; break;
        case '\'': e = "&#39;"; break;
        }
        if (e) out_str(st, e);
        else out_put(st, s.u.s + i, 1);
    }
    s = out_pop(st);
    s.safe = true;
    return s;
}

static tpl_value binary(tpl_state *st, int op, tpl_value a, tpl_value b) {
    static const char *const symbols[] = {"+", "-", "*", "/", "//", "%", "**"};
    if (op == TO_CONCAT) return str_concat(st, to_str(st, a), to_str(st, b));
    if (a.kind == TV_UNDEF) undefined_error(st, a);
    if (b.kind == TV_UNDEF) undefined_error(st, b);
    if (is_number(a) && is_number(b)) return arith(st, op, a, b);
    if (op == TO_ADD && a.kind == TV_STR && b.kind == TV_STR) {  /* Markup + str escapes the str, as HF does */
        tpl_value r = str_concat(st, a.safe || !b.safe ? a : escape_html(st, a), b.safe || !a.safe ? b : escape_html(st, b));
        r.safe = a.safe || b.safe;
        return r;
    }
    if (op == TO_ADD && is_list(a) && a.kind == b.kind) {
        for (size_t i = 0; i < b.len; i++) list_add(st, &a, items(b)[i]);
        return a;
    }
    if (op == TO_MUL && (a.kind == TV_STR || is_list(a)) && (b.kind == TV_INT || b.kind == TV_BOOL)) return repeat(st, a, b.u.i);
    if (op == TO_MUL && (b.kind == TV_STR || is_list(b)) && (a.kind == TV_INT || a.kind == TV_BOOL)) return repeat(st, b, a.u.i);
    tpl_fail(st, MV_ERR_ARG, "unsupported operand type(s) for %s: '%s' and '%s'", symbols[op], type_name(a), type_name(b));
}

typedef struct {
    tpl_state *st;
    const char *src;
    size_t n, pos;
    int line;
    bool line_start;                /* the last tag ended a line, for lstrip_blocks */
} tpl_lexer;

static const char *const OPERATORS[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[",
                                        "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"};

static void lex_add(tpl_lexer *lx, int type, const char *s, size_t len) {
    tpl_token t = {type, lx->line, s, len, 0, 0};
    arrput(lx->st->tokens, t);
}

/* Moves to pos, counting lines. */
static void lex_skip(tpl_lexer *lx, size_t pos) {
    for (; lx->pos < pos; lx->pos++)
        if (lx->src[lx->pos] == '\n') lx->line++;
}

static bool lex_at(const tpl_lexer *lx, size_t pos, const char *s) {
    size_t n = strlen(s);
    return pos <= lx->n && lx->n - pos >= n && !memcmp(lx->src + pos, s, n);
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static size_t skip_blanks(const tpl_lexer *lx, size_t pos) {
    while (pos < lx->n && is_blank(lx->src[pos])) pos++;
    return pos;
}

/* Text before a tag opened with '-' loses all its trailing whitespace. */
static size_t rstrip_text(const tpl_lexer *lx, size_t end) {
    while (end > lx->pos && is_blank(lx->src[end - 1])) end--;
    return end;
}

/* lstrip_blocks: spaces between the start of a line and a block tag go. */
static size_t lstrip_text(const tpl_lexer *lx, size_t end) {
    size_t start = end;
    while (start > lx->pos && is_blank(lx->src[start - 1]) && lx->src[start - 1] != '\n') start--;
    if (start == end) return end;
    return (start > lx->pos ? lx->src[start - 1] == '\n' : lx->line_start) ? start : end;
}

/* Emits the text up to end and moves past the stripped rest to next. */
static void lex_text(tpl_lexer *lx, size_t end, size_t next) {
    if (end > lx->pos) lex_add(lx, TT_TEXT, lx->src + lx->pos, end - lx->pos);
    lex_skip(lx, next);
}

/* The end of a block tag at pos ("+%}", "-%}" or "%}" with trim_blocks), or 0. */
static size_t block_end(const tpl_lexer *lx, size_t pos) {
    if (lex_at(lx, pos, "+%}")) return pos + 3;
    if (lex_at(lx, pos, "-%}")) return skip_blanks(lx, pos + 3);
    if (!lex_at(lx, pos, "%}")) return 0;
    return pos + 2 + (pos + 2 < lx->n && lx->src[pos + 2] == '\n');
}

static void lex_close(tpl_lexer *lx, size_t after) {
    lex_skip(lx, after);
    lx->line_start = lx->src[after - 1] == '\n';
}

static void lex_comment(tpl_lexer *lx, size_t body) {
    const char *close = str_find(lx->src + body, lx->n - body, "#}", 2);
    if (!close) tpl_fail(lx->st, MV_ERR_FORMAT, "missing end of comment tag");
    size_t at = (size_t)(close - lx->src), after = at + 2;
    char mod = at > body ? lx->src[at - 1] : 0;
    if (mod == '-') after = skip_blanks(lx, after);
    else if (mod != '+' && after < lx->n && lx->src[after] == '\n') after++;
    lex_close(lx, after);
}

/* Where the text of a raw block starts if the tag at body is {% raw %}, or 0. */
static size_t raw_begin(const tpl_lexer *lx, size_t body) {
    size_t p = skip_blanks(lx, body);
    if (!lex_at(lx, p, "raw")) return 0;
    p = skip_blanks(lx, p + 3);
    return lex_at(lx, p, "-%}") ? skip_blanks(lx, p + 3) : lex_at(lx, p, "%}") ? p + 2 : 0;
}

/* The text up to {% endraw %}, with that tag's whitespace control. */
static void lex_raw(tpl_lexer *lx, size_t text) {
    lex_close(lx, text);
    for (size_t q = text; q + 1 < lx->n; q++) {
        if (!lex_at(lx, q, "{%")) continue;
        char mod = q + 2 < lx->n ? lx->src[q + 2] : 0;
        size_t r = skip_blanks(lx, q + 2 + (mod == '-' || mod == '+'));
        if (!lex_at(lx, r, "endraw")) continue;
        size_t after = block_end(lx, skip_blanks(lx, r + 6));
        if (!after) continue;
        lex_text(lx, mod == '-' ? rstrip_text(lx, q) : mod == '+' ? q : lstrip_text(lx, q), after);
        lex_close(lx, after);
        return;
    }
    tpl_fail(lx->st, MV_ERR_FORMAT, "missing end of raw directive");
}

static void lex_number(tpl_lexer *lx) {
    const char *s = lx->src;
    size_t p = lx->pos, n = lx->n;
    bool is_float = false;
#define DIGITS() while (p < n && (isdigit((unsigned char)s[p]) || (s[p] == '_' && p + 1 < n && isdigit((unsigned char)s[p + 1])))) p++
    DIGITS();
    if (!(lx->pos > 0 && s[lx->pos - 1] == '.')) {  /* x.0.1 is two subscripts */
        if (p + 1 < n && s[p] == '.' && isdigit((unsigned char)s[p + 1])) {
            p++, is_float = true;
            DIGITS();
        }
        size_t e = p + 1 + (p + 1 < n && (s[p + 1] == '+' || s[p + 1] == '-'));
        if (p < n && (s[p] == 'e' || s[p] == 'E') && e < n && isdigit((unsigned char)s[e])) {
            p = e, is_float = true;
            DIGITS();
        }
    }
#undef DIGITS
    char tmp[64];
    size_t k = 0;
    for (size_t i = lx->pos; i < p; i++)
        if (s[i] != '_' && k < sizeof tmp - 1) tmp[k++] = s[i];
    tmp[k] = 0;
    errno = 0;
    lex_add(lx, is_float ? TT_FLOAT : TT_INT, NULL, 0);
    tpl_token *t = &arrlast(lx->st->tokens);
    if (is_float) t->f = strtod(tmp, NULL);
    else t->i = strtoll(tmp, NULL, 10);
    if ((errno && !is_float) || k == sizeof tmp - 1) tpl_fail(lx->st, MV_ERR_FORMAT, "number too large");
    lex_skip(lx, p);
}

static int hex_value(const char *s, size_t n, size_t digits) {
    int v = 0;
    if (n < digits) return -1;
    for (size_t i = 0; i < digits; i++) {
        char c = s[i];
        int d = isdigit((unsigned char)c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0 || v > 0x10FFFF) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Decodes the escapes Python's unicode-escape codec knows. */
static size_t unescape(tpl_state *st, const char *s, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            out[k++] = s[i];
            continue;
        }
        char e = s[++i];
        static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
        const char *simple = e ? strchr(from, e) : NULL;
        if (simple) {
            out[k++] = to[simple - from];
        } else if (e >= '0' && e <= '7') {
            int v = 0;
            for (size_t d = 0; d < 3 && i < n && s[i] >= '0' && s[i] <= '7'; d++) v = v * 8 + s[i++] - '0';
            i--;
            k += (size_t)utf8_encode((uint32_t)v, out + k);
        } else if (e == 'x' || e == 'u' || e == 'U') {
            size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            int v = hex_value(s + i + 1, n - i - 1, digits);
            if (v < 0 || v > 0x10FFFF) tpl_fail(st, MV_ERR_FORMAT, "bad \\%c escape in a string", e);
            k += (size_t)utf8_encode(v >= 0xD800 && v <= 0xDFFF ? 0xFFFD : (uint32_t)v, out + k);
            i += digits;
        } else if (e != '\n') {
            out[k++] = '\\', out[k++] = e;
        }
    }
    return k;
}

static void lex_string(tpl_lexer *lx) {
    const char *s = lx->src;
    size_t p = lx->pos + 1;
    while (p < lx->n && s[p] != s[lx->pos]) p += s[p] == '\\' ? 2 : 1;
    if (p >= lx->n) tpl_fail(lx->st, MV_ERR_FORMAT, "unterminated string");
    char *out = tpl_alloc(lx->st, p - lx->pos);
    size_t len = unescape(lx->st, s + lx->pos + 1, p - lx->pos - 1, out);
    lex_add(lx, TT_STRING, out, len);
    lex_skip(lx, p + 1);
}

/* The tokens of a {{ }} or {% %} tag. The tag only ends outside brackets. */
static void lex_tag(tpl_lexer *lx, size_t body, bool block) {
    char brackets[TPL_MAX_PARSE_DEPTH];
    int depth = 0;
    lex_add(lx, block ? TT_BLOCK_BEGIN : TT_VAR_BEGIN, NULL, 0);
    lex_skip(lx, body);
    for (;;) {
        lex_skip(lx, skip_blanks(lx, lx->pos));
        size_t p = lx->pos, after = 0;
        if (p >= lx->n) tpl_fail(lx->st, MV_ERR_FORMAT, "unexpected end of template inside a tag");
        if (depth == 0) {
            if (block) after = block_end(lx, p);
            else after = lex_at(lx, p, "-}}") ? skip_blanks(lx, p + 3) : lex_at(lx, p, "}}") ? p + 2 : 0;
        }
        if (after) {
            lex_add(lx, block ? TT_BLOCK_END : TT_VAR_END, NULL, 0);
            lex_close(lx, after);
            return;
        }
        char c = lx->src[p];
        if (isdigit((unsigned char)c)) {
            lex_number(lx);
        } else if (isalpha((unsigned char)c) || c == '_') {
            size_t q = p;
            while (q < lx->n && (isalnum((unsigned char)lx->src[q]) || lx->src[q] == '_')) q++;
            lex_add(lx, TT_NAME, str_new(lx->st, lx->src + p, q - p).u.s, q - p);
            lex_skip(lx, q);
        } else if (c == '\'' || c == '"') {
            lex_string(lx);
        } else {
            size_t i = 0, count = sizeof OPERATORS / sizeof OPERATORS[0];
            while (i < count && !lex_at(lx, p, OPERATORS[i])) i++;
            if (i == count) tpl_fail(lx->st, MV_ERR_FORMAT, "unexpected character '%c'", c);
            const char *op = OPERATORS[i];
            if (strchr("([{", op[0])) {
                if (depth == TPL_MAX_PARSE_DEPTH) tpl_fail(lx->st, MV_ERR_FORMAT, "brackets nested too deeply");
                brackets[depth++] = op[0] == '(' ? ')' : op[0] == '[' ? ']' : '}';
            } else if (strchr(")]}", op[0])) {
                if (!depth || brackets[depth - 1] != op[0]) tpl_fail(lx->st, MV_ERR_FORMAT, "unexpected '%c'", op[0]);
                depth--;
            }
            lex_add(lx, TT_OP, op, strlen(op));
            lex_skip(lx, p + strlen(op));
        }
    }
}

static void lex(tpl_state *st, const char *src, size_t n) {
    tpl_lexer lx = {st, src, n, 0, 1, true};
    while (lx.pos < n) {
        size_t open = lx.pos;
        while (open + 1 < n && !(src[open] == '{' && (src[open + 1] == '{' || src[open + 1] == '%' || src[open + 1] == '#'))) open++;
        if (open + 1 >= n) {
            lex_text(&lx, n, n);
            break;
        }
        char kind = src[open + 1], mod = open + 2 < n ? src[open + 2] : 0;
        size_t body = open + 2 + (mod == '-' || mod == '+');
        size_t end = mod == '-' ? rstrip_text(&lx, open) : mod != '+' && kind != '{' ? lstrip_text(&lx, open) : open;
        size_t raw = kind == '%' ? raw_begin(&lx, body) : 0;
        lex_text(&lx, end, open);
        st->line = lx.line;
        if (raw) lex_raw(&lx, raw);
        else if (kind == '#') lex_comment(&lx, body);
        else lex_tag(&lx, body, kind == '%');
    }
    lex_add(&lx, TT_EOF, NULL, 0);
}

enum { TF_ABS, TF_CAPITALIZE, TF_CENTER, TF_DEFAULT, TF_DICTSORT, TF_ESCAPE, TF_FIRST, TF_FLOAT, TF_INDENT, TF_INT,
       TF_ITEMS, TF_JOIN, TF_LAST, TF_LENGTH, TF_LIST, TF_LOWER, TF_MAP, TF_REJECT, TF_REJECTATTR, TF_REPLACE, TF_REVERSE,
       TF_ROUND, TF_SAFE, TF_SELECT, TF_SELECTATTR, TF_SORT, TF_STRING, TF_TITLE, TF_TOJSON, TF_TRIM, TF_UNIQUE, TF_UPPER,
       TF_WORDCOUNT };
/* Tests are TO_EQ..TO_IN for the comparisons, or these. */
enum { TS_BOOLEAN = TO_NOTIN + 1, TS_CALLABLE, TS_DEFINED, TS_DIVISIBLEBY, TS_EVEN, TS_FALSE, TS_FLOAT, TS_INTEGER,
       TS_ITERABLE, TS_MAPPING, TS_NONE, TS_NUMBER, TS_ODD, TS_SEQUENCE, TS_STRING, TS_TRUE, TS_UNDEFINED };
enum { TG_DICT, TG_NAMESPACE, TG_RAISE, TG_RANGE, TG_STRFTIME };

typedef struct {
    const char *name;
    int id;
} tpl_name;

static const tpl_name FILTERS[] = {
    {"abs", TF_ABS}, {"capitalize", TF_CAPITALIZE}, {"center", TF_CENTER}, {"count", TF_LENGTH},
    {"d", TF_DEFAULT}, {"default", TF_DEFAULT}, {"dictsort", TF_DICTSORT}, {"e", TF_ESCAPE}, {"escape", TF_ESCAPE},
    {"first", TF_FIRST}, {"float", TF_FLOAT}, {"indent", TF_INDENT}, {"int", TF_INT}, {"items", TF_ITEMS},
    {"join", TF_JOIN}, {"last", TF_LAST}, {"length", TF_LENGTH}, {"list", TF_LIST}, {"lower", TF_LOWER}, {"map", TF_MAP},
    {"reject", TF_REJECT}, {"rejectattr", TF_REJECTATTR}, {"replace", TF_REPLACE}, {"reverse", TF_REVERSE},
    {"round", TF_ROUND}, {"safe", TF_SAFE}, {"select", TF_SELECT}, {"selectattr", TF_SELECTATTR}, {"sort", TF_SORT},
    {"string", TF_STRING}, {"title", TF_TITLE}, {"tojson", TF_TOJSON}, {"trim", TF_TRIM}, {"unique", TF_UNIQUE},
    {"upper", TF_UPPER}, {"wordcount", TF_WORDCOUNT}, {NULL, 0}};

static const tpl_name TESTS[] = {
    {"==", TO_EQ}, {"!=", TO_NE}, {"<", TO_LT}, {"<=", TO_LE}, {">", TO_GT}, {">=", TO_GE}, {"boolean", TS_BOOLEAN},
    {"callable", TS_CALLABLE}, {"defined", TS_DEFINED}, {"divisibleby", TS_DIVISIBLEBY}, {"eq", TO_EQ},
    {"equalto", TO_EQ}, {"even", TS_EVEN}, {"false", TS_FALSE}, {"float", TS_FLOAT}, {"ge", TO_GE},
    {"greaterthan", TO_GT}, {"gt", TO_GT}, {"in", TO_IN}, {"integer", TS_INTEGER}, {"iterable", TS_ITERABLE},
    {"le", TO_LE}, {"lessthan", TO_LT}, {"lt", TO_LT}, {"mapping", TS_MAPPING}, {"ne", TO_NE},
    {"none", TS_NONE}, {"number", TS_NUMBER}, {"odd", TS_ODD}, {"sequence", TS_SEQUENCE}, {"string", TS_STRING},
    {"true", TS_TRUE}, {"undefined", TS_UNDEFINED}, {NULL, 0}};

static const tpl_name FUNCTIONS[] = {{"dict", TG_DICT}, {"namespace", TG_NAMESPACE}, {"raise_exception", TG_RAISE},
                                     {"range", TG_RANGE}, {"strftime_now", TG_STRFTIME}, {NULL, 0}};

static int find_name(const tpl_name *table, const char *s, size_t len) {
    for (; table->name; table++)
        if (strlen(table->name) == len && !memcmp(table->name, s, len)) return table->id;
    return -1;
}

/* The current token; its line is the one errors name. */
static tpl_token *tok(tpl_state *st) {
    tpl_token *t = &st->tokens[st->tpos];
    st->line = t->line;
    return t;
}

static tpl_token *tok_after(tpl_state *st) { return &st->tokens[MV_MIN(st->tpos + 1, (size_t)arrlen(st->tokens) - 1)]; }

static tpl_token *advance(tpl_state *st) {
    tpl_token *t = tok(st);
    if (t->type != TT_EOF) st->tpos++;
    return t;
}

static bool is_op(const tpl_token *t, const char *op) { return t->type == TT_OP && !strcmp(t->s, op); }
static bool is_name(const tpl_token *t, const char *name) { return t->type == TT_NAME && !strcmp(t->s, name); }

static bool accept_op(tpl_state *st, const char *op) {
    if (!is_op(tok(st), op)) return false;
    advance(st);
    return true;
}

static bool accept_name(tpl_state *st, const char *name) {
    if (!is_name(tok(st), name)) return false;
    advance(st);
    return true;
}

static _Noreturn void unexpected(tpl_state *st, const char *wanted) {
    static const char *const what[] = {"end of template", "text", "{{", "}}", "{%", "%}", "", "a string", "a number", "a number", ""};
    const tpl_token *t = tok(st);
    const char *got = t->type == TT_NAME || t->type == TT_OP ? t->s : what[t->type];
    if (wanted) tpl_fail(st, MV_ERR_FORMAT, "expected %s, got '%s'", wanted, got);
    tpl_fail(st, MV_ERR_FORMAT, "unexpected '%s'", got);
}

static void expect_op(tpl_state *st, const char *op) {
    char wanted[8];
    snprintf(wanted, sizeof wanted, "'%s'", op);
    if (!accept_op(st, op)) unexpected(st, wanted);
}

static void expect_end(tpl_state *st, int type) {
    if (tok(st)->type != type) unexpected(st, type == TT_BLOCK_END ? "'%}'" : "'}}'");
    advance(st);
}

static const char *expect_name(tpl_state *st) {
    if (tok(st)->type != TT_NAME) unexpected(st, "a name");
    return advance(st)->s;
}

static void deeper(tpl_state *st) {
    if (++st->parse_depth > TPL_MAX_PARSE_DEPTH) tpl_fail(st, MV_ERR_FORMAT, "nested deeper than %d", TPL_MAX_PARSE_DEPTH);
}

static tpl_node *new_node(tpl_state *st, int kind) {
    tpl_node *n = tpl_alloc(st, sizeof *n);
    n->kind = kind;
    n->line = tok(st)->line;
    return n;
}

static tpl_node *new_binary(tpl_state *st, int kind, int op, tpl_node *a, tpl_node *b) {
    tpl_node *n = new_node(st, kind);
    n->op = op, n->a = a, n->b = b;
    return n;
}

static tpl_node *new_name(tpl_state *st, int kind, tpl_node *a) {
    tpl_node *n = new_node(st, kind);
    n->a = a;
    n->s = expect_name(st);
    n->len = strlen(n->s);
    return n;
}

static tpl_node *parse_expr(tpl_state *st, bool with_condexpr);
static tpl_node *parse_tuple(tpl_state *st, bool with_condexpr, bool explicit, const char *end_name);

static tpl_node *parse_args(tpl_state *st) {
    tpl_node *head = NULL, **tail = &head;
    bool keywords = false;
    expect_op(st, "(");
    while (!accept_op(st, ")")) {
        if (head) {
            expect_op(st, ",");
            if (accept_op(st, ")")) break;
        }
        tpl_node *arg;
        if (tok(st)->type == TT_NAME && is_op(tok_after(st), "=")) {
            arg = new_name(st, TN_KWARG, NULL);
            advance(st);
            arg->a = parse_expr(st, true);
            keywords = true;
        } else {
            if (keywords) tpl_fail(st, MV_ERR_FORMAT, "positional argument after keyword argument");
            arg = parse_expr(st, true);
        }
        *tail = arg, tail = &arg->next;
    }
    return head;
}

static tpl_node *parse_collection(tpl_state *st) {
    bool is_dict = is_op(advance(st), "{");
    const char *close = is_dict ? "}" : "]";
    tpl_node *n = new_node(st, is_dict ? TN_DICT : TN_LIST), **tail = &n->b;
    while (!accept_op(st, close)) {
        if (n->b) {
            expect_op(st, ",");
            if (accept_op(st, close)) break;
        }
        tpl_node *item = parse_expr(st, true);
        if (is_dict) {
            expect_op(st, ":");
            item = new_binary(st, TN_PAIR, 0, item, parse_expr(st, true));
        }
        *tail = item, tail = &item->next;
    }
    return n;
}

static tpl_node *parse_primary(tpl_state *st) {
    static const char *const constants[] = {"true", "True", "false", "False", "none", "None"};
    tpl_token *t = tok(st);
    tpl_node *n;
    if (is_op(t, "[") || is_op(t, "{")) return parse_collection(st);
    if (accept_op(st, "(")) {
        n = parse_tuple(st, true, true, NULL);
        expect_op(st, ")");
        return n;
    }
    n = new_node(st, TN_CONST);
    if (t->type == TT_NAME) {
        advance(st);
        for (int i = 0; i < 6; i++)
            if (!strcmp(t->s, constants[i])) {
                n->value = i < 4 ? make_bool(i < 2) : TPL_NONE;
                return n;
            }
        n->kind = TN_NAME, n->s = t->s, n->len = t->len;
    } else if (t->type == TT_STRING) {  /* adjacent strings are one */
        out_push(st);
        while (tok(st)->type == TT_STRING) t = advance(st), out_put(st, t->s, t->len);
        n->value = out_pop(st);
    } else if (t->type == TT_INT || t->type == TT_FLOAT) {
        advance(st);
        n->value = t->type == TT_INT ? make_int(t->i) : make_float(t->f);
    } else {
        unexpected(st, NULL);
    }
    return n;
}

static tpl_node *parse_slice_part(tpl_state *st) {
    return is_op(tok(st), ":") || is_op(tok(st), "]") ? NULL : parse_expr(st, true);
}

static tpl_node *parse_postfix(tpl_state *st, tpl_node *n) {
    for (;;) {
        if (accept_op(st, ".")) {
            if (tok(st)->type == TT_INT) {
                tpl_node *index = new_node(st, TN_CONST);
                index->value = make_int(advance(st)->i);
                n = new_binary(st, TN_INDEX, 0, n, index);
            } else {
                n = new_name(st, TN_ATTR, n);
            }
        } else if (accept_op(st, "[")) {
            n = new_binary(st, TN_INDEX, 0, n, parse_slice_part(st));
            if (accept_op(st, ":")) {
                n->kind = TN_SLICE;
                n->c = parse_slice_part(st);
                if (accept_op(st, ":")) n->d = parse_slice_part(st);
            } else if (!n->b) {
                unexpected(st, "an expression");
            }
            expect_op(st, "]");
        } else if (is_op(tok(st), "(")) {
            n = new_binary(st, TN_CALL, 0, n, NULL);
            n->b = parse_args(st);
        } else {
            return n;
        }
    }
}

static tpl_node *parse_filter(tpl_state *st, tpl_node *operand) {
    tpl_node *n = new_name(st, TN_FILTER, operand);
    n->op = find_name(FILTERS, n->s, n->len);
    if (n->op < 0) tpl_fail(st, MV_ERR_FORMAT, "unknown filter '%s'", n->s);
    if (is_op(tok(st), "(")) n->b = parse_args(st);
    return n;
}

/* x is [not] name, with arguments in parentheses or one bare argument. */
static tpl_node *parse_test(tpl_state *st, tpl_node *operand) {
    bool negated = accept_name(st, "not");
    tpl_node *n = new_name(st, TN_TEST, operand);
    n->op = find_name(TESTS, n->s, n->len);
    if (n->op < 0) tpl_fail(st, MV_ERR_FORMAT, "unknown test '%s'", n->s);
    tpl_token *t = tok(st);
    if (is_op(t, "(")) {
        n->b = parse_args(st);
    } else if ((t->type == TT_NAME && !is_name(t, "else") && !is_name(t, "or") && !is_name(t, "and")) ||
               t->type == TT_STRING || t->type == TT_INT || t->type == TT_FLOAT || is_op(t, "[") || is_op(t, "{")) {
        if (is_name(t, "is")) tpl_fail(st, MV_ERR_FORMAT, "tests cannot be chained with 'is'");
        n->b = parse_postfix(st, parse_primary(st));
    }
    return negated ? new_binary(st, TN_NOT, 0, n, NULL) : n;
}

static tpl_node *parse_unary(tpl_state *st, bool with_filter) {
    tpl_node *n;
    deeper(st);
    if (is_op(tok(st), "-") || is_op(tok(st), "+")) {
        int kind = is_op(advance(st), "-") ? TN_NEG : TN_POS;
        n = new_binary(st, kind, 0, parse_unary(st, false), NULL);
    } else {
        n = parse_primary(st);
    }
    n = parse_postfix(st, n);
    while (with_filter) {
        if (accept_op(st, "|")) n = parse_filter(st, n);
        else if (accept_name(st, "is")) n = parse_test(st, n);
        else if (is_op(tok(st), "(")) n = parse_postfix(st, n);
        else break;
    }
    st->parse_depth--;
    return n;
}

/* Levels from tightest: **, then * / // %, then ~, then + -; all left-associative. */
static tpl_node *parse_binary(tpl_state *st, int level) {
    static const struct { const char *op; int code, level; } ops[] = {
        {"**", TO_POW, 0}, {"*", TO_MUL, 1}, {"/", TO_DIV, 1}, {"//", TO_FLOORDIV, 1}, {"%", TO_MOD, 1},
        {"~", TO_CONCAT, 2}, {"+", TO_ADD, 3}, {"-", TO_SUB, 3}};
    tpl_node *n = level ? parse_binary(st, level - 1) : parse_unary(st, true);
    for (;;) {
        size_t i = 0, count = sizeof ops / sizeof ops[0];
        while (i < count && !(ops[i].level == level && is_op(tok(st), ops[i].op))) i++;
        if (i == count) return n;
        advance(st);
        n = new_binary(st, TN_BINARY, ops[i].code, n, level ? parse_binary(st, level - 1) : parse_unary(st, true));
    }
}

static tpl_node *parse_compare(tpl_state *st) {
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};  /* TO_EQ.. in order */
    tpl_node *left = parse_binary(st, 3), *head = NULL, **tail = &head;
    for (;;) {
        int op = -1;
        for (int i = 0; i < 6; i++)
            if (is_op(tok(st), ops[i])) op = TO_EQ + i;
        if (op >= 0) advance(st);
        else if (accept_name(st, "in")) op = TO_IN;
        else if (is_name(tok(st), "not") && is_name(tok_after(st), "in")) advance(st), advance(st), op = TO_NOTIN;
        else break;
        tpl_node *operand = new_binary(st, TN_OPERAND, op, parse_binary(st, 3), NULL);
        *tail = operand, tail = &operand->next;
    }
    return head ? new_binary(st, TN_COMPARE, 0, left, head) : left;
}

static tpl_node *parse_not(tpl_state *st) {
    if (!accept_name(st, "not")) return parse_compare(st);
    deeper(st);
    tpl_node *n = new_binary(st, TN_NOT, 0, parse_not(st), NULL);
    st->parse_depth--;
    return n;
}

static tpl_node *parse_and(tpl_state *st) {
    tpl_node *n = parse_not(st);
    while (accept_name(st, "and")) n = new_binary(st, TN_AND, 0, n, parse_not(st));
    return n;
}

static tpl_node *parse_or(tpl_state *st) {
    tpl_node *n = parse_and(st);
    while (accept_name(st, "or")) n = new_binary(st, TN_OR, 0, n, parse_and(st));
    return n;
}

/* a if cond else b binds loosest; without with_condexpr "if" ends the expression. */
static tpl_node *parse_expr(tpl_state *st, bool with_condexpr) {
    tpl_node *n = parse_or(st);
    while (with_condexpr && accept_name(st, "if")) {
        n = new_binary(st, TN_COND, 0, parse_or(st), n);
        if (accept_name(st, "else")) n->c = parse_expr(st, true);
    }
    return n;
}

/* Comma-separated expressions: a tuple if there is a comma, else the one expression. */
static tpl_node *parse_tuple(tpl_state *st, bool with_condexpr, bool explicit, const char *end_name) {
    tpl_node *n = new_node(st, TN_TUPLE), **tail = &n->b;
    bool is_tuple = false;
    for (;;) {
        if (n->b) expect_op(st, ",");
        tpl_token *t = tok(st);
        if (t->type == TT_VAR_END || t->type == TT_BLOCK_END || is_op(t, ")") || (end_name && is_name(t, end_name))) break;
        tpl_node *item = parse_expr(st, with_condexpr);
        *tail = item, tail = &item->next;
        if (!is_op(tok(st), ",")) break;
        is_tuple = true;
    }
    if (is_tuple || (!n->b && explicit)) return n;
    if (!n->b) unexpected(st, "an expression");
    return n->b;
}

/* x, (a, b) and, where namespaces are allowed, ns.attr. */
static tpl_node *parse_target(tpl_state *st, bool with_namespace) {
    if (with_namespace && tok(st)->type == TT_NAME && is_op(tok_after(st), ".")) {
        tpl_node *ns = new_name(st, TN_NAME, NULL);
        advance(st);
        return new_name(st, TN_ATTR, ns);
    }
    tpl_node *n = new_node(st, TN_TUPLE), **tail = &n->b;
    bool is_tuple = false;
    for (;;) {
        tpl_node *item;
        if (accept_op(st, "(")) {
            item = parse_target(st, false);
            expect_op(st, ")");
        } else {
            item = new_name(st, TN_NAME, NULL);
        }
        *tail = item, tail = &item->next;
        if (!accept_op(st, ",")) break;
        is_tuple = true;
        if (tok(st)->type != TT_NAME && !is_op(tok(st), "(")) break;
    }
    return is_tuple ? n : n->b;
}

static tpl_node *parse_body(tpl_state *st, const char *tag, int line, const char *const *ends, int *which);

static tpl_node *parse_if(tpl_state *st, int line) {
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    tpl_node *first = NULL, **slot = &first;
    for (int which;;) {
        tpl_node *n = *slot = new_node(st, TN_IF);
        n->a = parse_tuple(st, false, false, NULL);
        expect_end(st, TT_BLOCK_END);
        n->b = parse_body(st, "if", line, ends, &which);
        if (which == 0) {  /* elif: a chained if in d */
            slot = &n->d;
            continue;
        }
        expect_end(st, TT_BLOCK_END);
        if (which == 1) {
            n->c = parse_body(st, "if", line, ends + 2, &which);
            expect_end(st, TT_BLOCK_END);
        }
        return first;
    }
}

static tpl_node *parse_for(tpl_state *st, int line) {
    static const char *const ends[] = {"else", "endfor", NULL};
    tpl_node *n = new_node(st, TN_FOR);
    int which;
    n->a = parse_target(st, false);
    if (!accept_name(st, "in")) unexpected(st, "'in'");
    n->b = parse_tuple(st, false, false, "recursive");
    if (accept_name(st, "if")) n->c = parse_expr(st, true);
    if (is_name(tok(st), "recursive")) tpl_fail(st, MV_ERR_FORMAT, "recursive loops are not supported");
    expect_end(st, TT_BLOCK_END);
    st->loops++;
    n->d = parse_body(st, "for", line, ends, &which);
    st->loops--;
    expect_end(st, TT_BLOCK_END);
    if (which == 0) {
        n->e = parse_body(st, "for", line, ends + 1, &which);
        expect_end(st, TT_BLOCK_END);
    }
    return n;
}

static tpl_node *parse_set(tpl_state *st, int line) {
    static const char *const ends[] = {"endset", NULL};
    tpl_node *n = new_node(st, TN_SET);
    int which;
    n->a = parse_target(st, true);
    if (accept_op(st, "=")) {
        n->b = parse_tuple(st, true, false, NULL);
    } else {
        if (n->a->kind != TN_NAME) unexpected(st, "'='");
        expect_end(st, TT_BLOCK_END);
        n->c = parse_body(st, "set", line, ends, &which);
    }
    expect_end(st, TT_BLOCK_END);
    return n;
}

static tpl_node *parse_macro(tpl_state *st, int line) {
    static const char *const ends[] = {"endmacro", NULL};
    tpl_node *n = new_name(st, TN_MACRO, NULL), **tail = &n->a;
    int which, loops = st->loops;
    expect_op(st, "(");
    while (!accept_op(st, ")")) {
        if (n->a) expect_op(st, ",");
        tpl_node *param = new_name(st, TN_NAME, NULL);
        if (accept_op(st, "=")) param->a = parse_expr(st, true);
        *tail = param, tail = &param->next;
    }
    expect_end(st, TT_BLOCK_END);
    st->loops = 0;
    n->b = parse_body(st, "macro", line, ends, &which);
    st->loops = loops;
    expect_end(st, TT_BLOCK_END);
    return n;
}

static tpl_node *parse_statement(tpl_state *st) {
    static const char *const generation_ends[] = {"endgeneration", NULL};
    int line = tok(st)->line, which;
    const char *name = expect_name(st);
    if (!strcmp(name, "if")) return parse_if(st, line);
    if (!strcmp(name, "for")) return parse_for(st, line);
    if (!strcmp(name, "set")) return parse_set(st, line);
    if (!strcmp(name, "macro")) return parse_macro(st, line);
    if (!strcmp(name, "break") || !strcmp(name, "continue")) {
        if (!st->loops) tpl_fail(st, MV_ERR_FORMAT, "'%s' outside of a loop", name);
        tpl_node *n = new_node(st, name[0] == 'b' ? TN_BREAK : TN_CONTINUE);
        expect_end(st, TT_BLOCK_END);
        return n;
    }
    if (!strcmp(name, "generation")) {  /* transformers' assistant-mask marker: just its body */
        tpl_node *n = new_node(st, TN_BLOCK);
        expect_end(st, TT_BLOCK_END);
        n->b = parse_body(st, name, line, generation_ends, &which);
        expect_end(st, TT_BLOCK_END);
        return n;
    }
    tpl_fail(st, MV_ERR_FORMAT, "unknown or unexpected tag '%s'", name);
}

/* Statements up to the tag that is one of ends (NULL: up to the end of the
   template). That tag's name is consumed and its index stored in *which. */
static tpl_node *parse_body(tpl_state *st, const char *tag, int line, const char *const *ends, int *which) {
    tpl_node *head = NULL, **tail = &head;
    deeper(st);
    for (;;) {
        tpl_token *t = advance(st);
        tpl_node *n;
        if (t->type == TT_EOF) {
            if (!ends) break;
            int last = 0;
            while (ends[last + 1]) last++;
            st->line = line;
            tpl_fail(st, MV_ERR_FORMAT, "unclosed '%s' (expected '%s')", tag, ends[last]);
        }
        if (t->type == TT_TEXT) {
            n = new_node(st, TN_TEXT);
            n->s = t->s, n->len = t->len, n->line = t->line;
        } else if (t->type == TT_VAR_BEGIN) {
            n = new_node(st, TN_OUTPUT);
            n->a = parse_tuple(st, true, false, NULL);
            expect_end(st, TT_VAR_END);
        } else if (t->type == TT_BLOCK_BEGIN) {
            for (int i = 0; ends && ends[i]; i++)
                if (accept_name(st, ends[i])) {
                    *which = i;
                    st->parse_depth--;
                    return head;
                }
            n = parse_statement(st);
        } else {
            st->tpos--;
            unexpected(st, NULL);
        }
        *tail = n, tail = &n->next;
    }
    st->parse_depth--;
    return head;
}

static tpl_frame *frame_new(tpl_state *st, tpl_frame *parent) {
    tpl_frame *f = tpl_alloc(st, sizeof *f);
    f->parent = parent;
    return f;
}

static void frame_set(tpl_state *st, tpl_frame *f, const char *name, size_t len, tpl_value v) {
    dict_put(st, &f->vars, make_str(name, len), v);
}

static tpl_value lookup(tpl_state *st, const char *name, size_t len) {
    for (tpl_frame *f = st->frame; f; f = f->parent) {
        tpl_value *v = dict_find(st, &f->vars, make_str(name, len));
        if (v) return *v;
    }
    int fn = find_name(FUNCTIONS, name, len);
    if (fn < 0) return make_undefined(name, len);
    tpl_value v = {TV_FUNC, false, 0, {.i = fn}};
    return v;
}

static tpl_value dict_items(tpl_state *st, const tpl_dict *d) {
    tpl_value list = list_new(st, TV_LIST, d->n);
    for (size_t i = 0; i < d->n; i++) {
        tpl_value pair[2] = {d->keys[i], d->vals[i]};
        list_add(st, &list, list_of(st, TV_TUPLE, pair, 2));
    }
    return list;
}

/* What a for loop iterates: a dict's keys, a string's characters. */
static tpl_value to_list(tpl_state *st, tpl_value v) {
    switch (v.kind) {
    case TV_LIST: case TV_TUPLE: return v;
    case TV_UNDEF: return list_new(st, TV_LIST, 0);
    case TV_DICT: return list_of(st, TV_LIST, v.u.dict->keys, v.u.dict->n);
    case TV_STR: {
        tpl_value list = list_new(st, TV_LIST, v.len);
        for (size_t i = 0, start = 0; i < v.len; start = i) {
            utf8_next(v.u.s, v.len, &i);
            list_add(st, &list, make_str(v.u.s + start, i - start));
        }
        return list;
    }
    default: tpl_fail(st, MV_ERR_ARG, "'%s' object is not iterable", type_name(v));
    }
}

static size_t length_of(tpl_state *st, tpl_value v) {
    switch (v.kind) {
    case TV_STR: return utf8_count(v.u.s, v.len);
    case TV_LIST: case TV_TUPLE: return v.len;
    case TV_DICT: return v.u.dict->n;
    case TV_UNDEF: return 0;
    default: tpl_fail(st, MV_ERR_ARG, "object of type '%s' has no len()", type_name(v));
    }
}

static tpl_value loop_attr(const tpl_loop *l, const char *name, size_t len) {
    static const char *const names[] = {"index", "index0", "revindex", "revindex0", "first", "last",
                                        "length", "previtem", "nextitem", "depth", "depth0"};
    size_t i = l->index, n = l->n;
    int which = 0;
    while (which < 11 && !(strlen(names[which]) == len && !memcmp(names[which], name, len))) which++;
    switch (which) {
    case 0: return make_int((int64_t)i + 1);
    case 1: return make_int((int64_t)i);
    case 2: return make_int((int64_t)(n - i));
    case 3: return make_int((int64_t)(n - i - 1));
    case 4: return make_bool(i == 0);
    case 5: return make_bool(i + 1 == n);
    case 6: return make_int((int64_t)n);
    case 7: return i > 0 ? l->items[i - 1] : make_undefined(name, len);
    case 8: return i + 1 < n ? l->items[i + 1] : make_undefined(name, len);
    case 9: return make_int(1);
    case 10: return make_int(0);
    default: return make_undefined(name, len);
    }
}

/* x.name: missing attributes are undefined, but anything of an undefined fails. */
static tpl_value get_attr(tpl_state *st, tpl_value obj, const char *name, size_t len) {
    if (obj.kind == TV_UNDEF) undefined_error(st, obj);
    if (obj.kind == TV_DICT || obj.kind == TV_NS) {
        tpl_value *v = dict_find(st, obj.u.dict, make_str(name, len));
        return v ? *v : make_undefined(name, len);
    }
    return obj.kind == TV_LOOP ? loop_attr(obj.u.loop, name, len) : make_undefined(name, len);
}

static int64_t slice_bound(tpl_state *st, tpl_value v, int64_t n, int64_t step, bool is_start) {
    if (v.kind == TV_NONE) return is_start ? (step > 0 ? 0 : n - 1) : (step > 0 ? n : -1);
    if (v.kind != TV_INT && v.kind != TV_BOOL) tpl_fail(st, MV_ERR_ARG, "slice indices must be integers or None");
    int64_t i = v.u.i;
    if (i < 0 && (i += n) < 0) return step < 0 ? -1 : 0;
    return i >= n ? (step < 0 ? n - 1 : n) : i;
}

/* v[lo:hi:by] over items, or over characters of a string. */
static tpl_value slice(tpl_state *st, tpl_value v, tpl_value lo, tpl_value hi, tpl_value by) {
    if (v.kind == TV_UNDEF) undefined_error(st, v);
    if (!is_list(v) && v.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "'%s' object is not subscriptable", type_name(v));
    if (by.kind != TV_NONE && by.kind != TV_INT && by.kind != TV_BOOL) tpl_fail(st, MV_ERR_ARG, "slice indices must be integers or None");
    int64_t step = by.kind == TV_NONE ? 1 : by.u.i;
    if (step == 0 || step == INT64_MIN) tpl_fail(st, MV_ERR_ARG, "slice step cannot be zero");
    size_t *offsets = NULL, n = v.len;
    if (v.kind == TV_STR) {
        offsets = tpl_alloc_array(st, v.len + 1, sizeof *offsets);
        for (size_t i = n = 0; i < v.len; n++) offsets[n] = i, utf8_next(v.u.s, v.len, &i);
        offsets[n] = v.len;
    }
    int64_t start = slice_bound(st, lo, (int64_t)n, step, true), stop = slice_bound(st, hi, (int64_t)n, step, false);
    size_t count = step > 0 ? (stop > start ? (size_t)((stop - start - 1) / step + 1) : 0)
                            : (start > stop ? (size_t)((start - stop - 1) / -step + 1) : 0);
    if (v.kind == TV_STR && step == 1) {
        tpl_value r = make_str(v.u.s + offsets[start], offsets[start + (int64_t)count] - offsets[start]);
        r.safe = v.safe;
        return r;
    }
    tpl_value list = list_new(st, v.kind, count);
    if (v.kind != TV_STR) {
        for (size_t k = 0; k < count; k++) list_add(st, &list, items(v)[start + (int64_t)k * step]);
        return list;
    }
    out_push(st);
    for (size_t k = 0; k < count; k++) {
        size_t c = (size_t)(start + (int64_t)k * step);
        out_put(st, v.u.s + offsets[c], offsets[c + 1] - offsets[c]);
    }
    list = out_pop(st);
    list.safe = v.safe;
    return list;
}

static tpl_value get_item(tpl_state *st, tpl_value obj, tpl_value key) {
    if (obj.kind == TV_UNDEF) undefined_error(st, obj);
    if (obj.kind == TV_DICT || obj.kind == TV_NS) {
        tpl_value *v = dict_find(st, obj.u.dict, key);
        if (v) return *v;
    } else if (key.kind == TV_STR) {
        return get_attr(st, obj, key.u.s, key.len);
    } else if ((is_list(obj) || obj.kind == TV_STR) && (key.kind == TV_INT || key.kind == TV_BOOL)) {
        int64_t n = (int64_t)(obj.kind == TV_STR ? utf8_count(obj.u.s, obj.len) : obj.len);
        int64_t i = key.u.i < 0 ? key.u.i + n : key.u.i;
        if (i >= 0 && i < n) return obj.kind == TV_STR ? slice(st, obj, make_int(i), make_int(i + 1), TPL_NONE) : items(obj)[i];
    }
    return key.kind == TV_STR ? make_undefined(key.u.s, key.len) : make_undefined(NULL, 0);
}

/* An attribute path of filters like map(attribute="a.b.0"). */
static tpl_value get_path(tpl_state *st, tpl_value v, tpl_value path) {
    if (path.kind != TV_STR) return get_item(st, v, path);
    for (size_t i = 0;; i++) {
        size_t j = i;
        int64_t index = 0;
        bool digits = true;
        for (; j < path.len && path.u.s[j] != '.'; j++) {
            digits = digits && isdigit((unsigned char)path.u.s[j]) && index < INT64_MAX / 10 - 9;
            if (digits) index = index * 10 + (path.u.s[j] - '0');
        }
        v = get_item(st, v, digits && j > i ? make_int(index) : make_str(path.u.s + i, j - i));
        if ((i = j) == path.len) return v;
    }
}

enum { RECASE_UPPER, RECASE_LOWER, RECASE_CAPITALIZE, RECASE_TITLE, RECASE_WORDS };

/* RECASE_TITLE is str.title(); RECASE_WORDS is the title filter, whose words start
   after whitespace, '-' and opening brackets. */
static tpl_value recase(tpl_state *st, tpl_value s, int mode) {
    uint32_t prev = 0;
    out_push(st);
    for (size_t i = 0, start = 0; i < s.len; start = i) {
        uint32_t c = utf8_next(s.u.s, s.len, &i);
        bool upper = mode == RECASE_UPPER || (mode == RECASE_CAPITALIZE && start == 0) || (mode == RECASE_TITLE && !is_cased(prev)) ||
                     (mode == RECASE_WORDS && (start == 0 || is_space(prev) || (prev < 128 && strchr("-({[<", (int)prev))));
        uint32_t m = case_map(c, upper);
        if (m == c) out_put(st, s.u.s + start, i - start);
        else put_code_point(st, m);
        prev = c;
    }
    tpl_value r = out_pop(st);
    r.safe = s.safe;  /* str methods keep Markup */
    return r;
}

static bool strip_char(uint32_t c, tpl_value chars) {
    if (chars.kind != TV_STR) return is_space(c);
    for (size_t i = 0; i < chars.len;)
        if (utf8_next(chars.u.s, chars.len, &i) == c) return true;
    return false;
}

static tpl_value strip(tpl_state *st, tpl_value s, tpl_value chars, bool left, bool right) {
    if (chars.kind != TV_STR && chars.kind != TV_NONE && chars.kind != TV_UNDEF)
        tpl_fail(st, MV_ERR_ARG, "strip arg must be None or str");
    size_t b = 0, e = s.len;
    for (size_t j = b; left && b < e && strip_char(utf8_next(s.u.s, e, &j), chars); j = b) b = j;
    while (right && e > b) {
        size_t j = utf8_back(s.u.s, b, e), k = j;
        if (!strip_char(utf8_next(s.u.s, e, &k), chars)) break;
        e = j;
    }
    tpl_value r = make_str(s.u.s + b, e - b);
    r.safe = s.safe;
    return r;
}

static bool space_at(tpl_value s, size_t i) { return is_space(utf8_next(s.u.s, s.len, &i)); }

static void reverse_items(tpl_value list) {
    for (size_t i = 0; i < list.len / 2; i++) {
        tpl_value t = items(list)[i];
        items(list)[i] = items(list)[list.len - 1 - i];
        items(list)[list.len - 1 - i] = t;
    }
}

/* str.split and str.rsplit, by sep or by runs of whitespace, at most max times. */
static tpl_value split(tpl_state *st, tpl_value s, tpl_value sep, int64_t max, bool right) {
    tpl_value list = list_new(st, TV_LIST, 0);
    if (sep.kind == TV_STR) {
        size_t lo = 0, hi = s.len;
        if (!sep.len) tpl_fail(st, MV_ERR_ARG, "empty separator");
        for (const char *at; max-- != 0 && (at = (right ? str_rfind : str_find)(s.u.s + lo, hi - lo, sep.u.s, sep.len));) {
            size_t pos = (size_t)(at - s.u.s);
            list_add(st, &list, right ? make_str(at + sep.len, hi - pos - sep.len) : make_str(s.u.s + lo, pos - lo));
            if (right) hi = pos;
            else lo = pos + sep.len;
        }
        list_add(st, &list, make_str(s.u.s + lo, hi - lo));
        if (right) reverse_items(list);
        return list;
    }
    if (sep.kind != TV_NONE) tpl_fail(st, MV_ERR_ARG, "must be str or None, not %s", type_name(sep));
    for (size_t i = 0, start; i < s.len;) {
        if (space_at(s, i)) {
            utf8_next(s.u.s, s.len, &i);
            continue;
        }
        for (start = i; i < s.len && !space_at(s, i);) utf8_next(s.u.s, s.len, &i);
        list_add(st, &list, make_str(s.u.s + start, i - start));
    }
    size_t n = list.len, keep = max < 0 || (uint64_t)max >= n ? n : (size_t)max;
    if (keep == n) return list;
    /* past max splits, the rest of the string from the next word (rsplit: up to it) stays whole */
    tpl_value *w = items(list), out = list_new(st, TV_LIST, keep + 1);
    if (right) list_add(st, &out, make_str(s.u.s, (size_t)(w[n - keep - 1].u.s - s.u.s) + w[n - keep - 1].len));
    for (size_t i = right ? n - keep : 0; i < (right ? n : keep); i++) list_add(st, &out, w[i]);
    if (!right) list_add(st, &out, make_str(w[keep].u.s, s.len - (size_t)(w[keep].u.s - s.u.s)));
    return out;
}

static tpl_value replace(tpl_state *st, tpl_value s, tpl_value old, tpl_value new, int64_t count) {
    size_t i = 0;
    out_push(st);
    for (; count != 0; count--) {
        if (!old.len) {  /* Python puts new before every character and at the end */
            out_put(st, new.u.s, new.len);
            if (i == s.len) break;
            size_t start = i;
            utf8_next(s.u.s, s.len, &i);
            out_put(st, s.u.s + start, i - start);
            continue;
        }
        const char *at = str_find(s.u.s + i, s.len - i, old.u.s, old.len);
        if (!at) break;
        out_put(st, s.u.s + i, (size_t)(at - s.u.s) - i);
        out_put(st, new.u.s, new.len);
        i = (size_t)(at - s.u.s) + old.len;
    }
    out_put(st, s.u.s + i, s.len - i);
    return out_pop(st);
}

/* The length of the line break at s[i] as str.splitlines sees them, or 0. */
static size_t line_break(tpl_value s, size_t i) {
    char c = s.u.s[i];
    if (c == '\r') return i + 1 < s.len && s.u.s[i + 1] == '\n' ? 2 : 1;
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1C && c <= 0x1E)) return 1;
    size_t j = i;
    uint32_t cp = utf8_next(s.u.s, s.len, &j);
    return cp == 0x85 || cp == 0x2028 || cp == 0x2029 ? j - i : 0;
}

/* Jinja's indent filter: it indents the lines after the first, and blank
   lines only with blank=true. */
static tpl_value indent(tpl_state *st, tpl_value s, tpl_value width, bool first, bool blank) {
    if (width.kind != TV_STR && width.kind != TV_INT) tpl_fail(st, MV_ERR_ARG, "indent width must be a number or a string");
    tpl_value pad = width.kind == TV_STR ? width : repeat(st, make_str(" ", 1), width.u.i);
    s = str_concat(st, s, make_str("\n", 1));
    out_push(st);
    if (first) out_put(st, pad.u.s, pad.len);
    for (size_t start = 0, i = 0, line = 0; i < s.len; line++) {
        size_t brk;
        while (!(brk = line_break(s, i))) utf8_next(s.u.s, s.len, &i);
        if (line) {
            out_str(st, "\n");
            if (blank || i > start) out_put(st, pad.u.s, pad.len);
        }
        out_put(st, s.u.s + start, i - start);
        start = i += brk;
    }
    return out_pop(st);
}

static bool is_word_char(uint32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (c >= 0x80 && !is_space(c) && is_printable(c) && !(c >= 0x2010 && c <= 0x205E));
}

/* Python's int(s, base) and float(s). */
static bool parse_int(const char *s, size_t n, int64_t base, int64_t *out) {
    while (n && is_blank(*s)) s++, n--;
    while (n && is_blank(s[n - 1])) n--;
    bool negative = n && *s == '-';
    if (n && (*s == '-' || *s == '+')) s++, n--;
    if (!n || base < 2 || base > 36) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_' && i > 0 && i + 1 < n && s[i - 1] != '_' && s[i + 1] != '_') continue;
        int d = isdigit((unsigned char)c) ? c - '0' : isalpha((unsigned char)c) ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= base || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (v > (uint64_t)INT64_MAX + negative) return false;
    *out = !negative ? (int64_t)v : v ? -(int64_t)(v - 1) - 1 : 0;  /* -2^63 too */
    return true;
}

static bool parse_float(const char *s, size_t n, double *out) {
    char buf[64], *end;
    size_t k = 0;
    while (n && is_blank(*s)) s++, n--;
    while (n && is_blank(s[n - 1])) n--;
    if (!n || n >= sizeof buf) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_' && i > 0 && i + 1 < n && isdigit((unsigned char)s[i - 1]) && isdigit((unsigned char)s[i + 1])) continue;
        if (!isalnum((unsigned char)c) && c != '+' && c != '-' && c != '.') return false;
        if (c == 'x' || c == 'X' || c == 'p' || c == 'P') return false;  /* strtod's hex floats */
        buf[k++] = c;
    }
    buf[k] = 0;
    *out = strtod(buf, &end);
    return end == buf + k;
}

static tpl_value to_int(tpl_value v, tpl_value fallback, int64_t base) {
    int64_t i;
    double d;
    if (v.kind == TV_INT || v.kind == TV_BOOL) return make_int(v.u.i);
    if (v.kind == TV_STR && parse_int(v.u.s, v.len, base, &i)) return make_int(i);
    if (v.kind == TV_FLOAT) d = v.u.f;
    else if (v.kind != TV_STR || !parse_float(v.u.s, v.len, &d)) return fallback;
    return isfinite(d) && fabs(d) < 9.2e18 ? make_int((int64_t)d) : fallback;
}

static tpl_value to_float(tpl_value v, tpl_value fallback) {
    double d;
    if (v.kind == TV_INT || v.kind == TV_BOOL) return make_float((double)v.u.i);
    if (v.kind == TV_FLOAT) return v;
    return v.kind == TV_STR && parse_float(v.u.s, v.len, &d) ? make_float(d) : fallback;
}

static tpl_value round_number(tpl_state *st, tpl_value v, int64_t precision, tpl_value method) {
    bool common = method.kind == TV_STR && method.len == 6 && !memcmp(method.u.s, "common", 6);
    bool ceiling = method.kind == TV_STR && method.len == 4 && !memcmp(method.u.s, "ceil", 4);
    if (!common && !ceiling && !(method.kind == TV_STR && method.len == 5 && !memcmp(method.u.s, "floor", 5)))
        tpl_fail(st, MV_ERR_ARG, "method must be common, ceil or floor");
    if (!is_number(v)) tpl_fail(st, MV_ERR_ARG, "type %s doesn't define __round__ method", type_name(v));
    double x = number(v), scale = pow(10, (double)MV_MAX(-400, MV_MIN(precision, 400)));
    if (!common) return make_float((ceiling ? ceil(x * scale) : floor(x * scale)) / scale);
    if (v.kind != TV_FLOAT) return make_int(v.u.i);
    if (precision == 0 || precision > 20) return make_float(precision ? x : nearbyint(x));
    if (precision < 0) return make_float(nearbyint(x * scale) / scale);
    char buf[400];  /* "%.*f" rounds the exact binary value half to even, as round() does */
    snprintf(buf, sizeof buf, "%.*f", (int)precision, x);
    return make_float(strtod(buf, NULL));
}

static tpl_value format_date(tpl_state *st, tpl_value fmt) {
    static const char *const months[] = {"January", "February", "March", "April", "May", "June", "July",
                                         "August", "September", "October", "November", "December"};
    static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    const struct tm *t = &st->date;
    if (fmt.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "strftime_now expects a format string");
    out_push(st);
    for (size_t i = 0; i < fmt.len; i++) {
        char c = fmt.u.s[i], tmp[32];
        int k;
        if (c != '%' || i + 1 == fmt.len) {
            out_put(st, &c, 1);
            continue;
        }
        switch (c = fmt.u.s[++i]) {
        case 'Y': k = snprintf(tmp, sizeof tmp, "%d", t->tm_year + 1900); break;
        case 'y': k = snprintf(tmp, sizeof tmp, "%02d", (t->tm_year + 1900) % 100); break;
        case 'm': k = snprintf(tmp, sizeof tmp, "%02d", t->tm_mon + 1); break;
        case 'd': k = snprintf(tmp, sizeof tmp, "%02d", t->tm_mday); break;
        case 'e': k = snprintf(tmp, sizeof tmp, "%2d", t->tm_mday); break;
        case 'j': k = snprintf(tmp, sizeof tmp, "%03d", t->tm_yday + 1); break;
        case 'H': k = snprintf(tmp, sizeof tmp, "%02d", t->tm_hour); break;
        case 'I': k = snprintf(tmp, sizeof tmp, "%02d", (t->tm_hour + 11) % 12 + 1); break;
        case 'M': k = snprintf(tmp, sizeof tmp, "%02d", t->tm_min); break;
        case 'S': k = snprintf(tmp, sizeof tmp, "%02d", t->tm_sec); break;
        case 'p': k = snprintf(tmp, sizeof tmp, "%s", t->tm_hour < 12 ? "AM" : "PM"); break;
        case 'B': case 'b': case 'h': k = snprintf(tmp, sizeof tmp, "%.*s", c == 'B' ? 9 : 3, months[t->tm_mon]); break;
        case 'A': case 'a': k = snprintf(tmp, sizeof tmp, "%.*s", c == 'A' ? 9 : 3, days[t->tm_wday]); break;
        case '%': k = snprintf(tmp, sizeof tmp, "%%"); break;
        default: k = snprintf(tmp, sizeof tmp, "%%%c", c);
        }
        out_put(st, tmp, (size_t)k);
    }
    return out_pop(st);
}

static int arg_index(const tpl_args *a, int pos, const char *name) {
    for (int i = 0; i < a->n; i++)
        if (a->names[i] ? name && !strcmp(a->names[i], name) : i == pos) return i;
    return -1;
}

/* The argument at position pos (-1: keyword only) or called name, or fallback. */
static tpl_value arg(const tpl_args *a, int pos, const char *name, tpl_value fallback) {
    int i = arg_index(a, pos, name);
    return i < 0 ? fallback : a->v[i];
}

static int64_t arg_int(tpl_state *st, const tpl_args *a, int pos, const char *name, int64_t fallback) {
    tpl_value v = arg(a, pos, name, make_int(fallback));
    if (v.kind != TV_INT && v.kind != TV_BOOL) tpl_fail(st, MV_ERR_ARG, "%s must be an integer, not %s", name, type_name(v));
    return v.u.i;
}

static tpl_value arg_str(tpl_state *st, const tpl_args *a, int pos, const char *name) {
    tpl_value v = arg(a, pos, name, TPL_UNDEFINED);
    if (v.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "%s must be a string, not %s", name, type_name(v));
    return v;
}

static bool arg_bool(const tpl_args *a, int pos, const char *name) { return truthy(arg(a, pos, name, TPL_NONE)); }

static tpl_args shift_args(const tpl_args *a, int k) {
    k = MV_MIN(k, a->n);
    tpl_args rest = {a->v + k, a->names + k, a->n - k};
    return rest;
}

static void merge_sort(tpl_state *st, size_t *idx, size_t *tmp, size_t n, const tpl_value *keys, bool reverse) {
    if (n < 2) return;
    size_t half = n / 2, i = 0, j = half, k = 0;
    merge_sort(st, idx, tmp, half, keys, reverse);
    merge_sort(st, idx + half, tmp, n - half, keys, reverse);
    while (i < half && j < n) {
        int c = compare(st, keys[idx[j]], keys[idx[i]]);
        tmp[k++] = (reverse ? c > 0 : c < 0) ? idx[j++] : idx[i++];
    }
    while (i < half) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

/* A stable sort of list by keys, like Python's sorted(). */
static tpl_value sorted(tpl_state *st, tpl_value list, const tpl_value *keys, bool reverse) {
    size_t *idx = tpl_alloc_array(st, list.len, sizeof *idx), *tmp = tpl_alloc_array(st, list.len, sizeof *tmp);
    for (size_t i = 0; i < list.len; i++) idx[i] = i;
    merge_sort(st, idx, tmp, list.len, keys, reverse);
    tpl_value out = list_new(st, TV_LIST, list.len);
    for (size_t i = 0; i < list.len; i++) list_add(st, &out, items(list)[idx[i]]);
    return out;
}

static tpl_value sort_key(tpl_state *st, tpl_value item, tpl_value attribute, bool case_sensitive) {
    tpl_value k = attribute.kind == TV_NONE || attribute.kind == TV_UNDEF ? item : get_path(st, item, attribute);
    return !case_sensitive && k.kind == TV_STR ? recase(st, k, RECASE_LOWER) : k;
}

static bool apply_test(tpl_state *st, int test, tpl_value v, const tpl_args *a);

static tpl_value apply_filter(tpl_state *st, int filter, tpl_value v, const tpl_args *a);

/* map and select's kin yield nothing for a false value, as Jinja's do. */
static tpl_value filter_map(tpl_state *st, tpl_value v, const tpl_args *a) {
    tpl_value seq = to_list(st, truthy(v) ? v : TPL_UNDEFINED), out = list_new(st, TV_LIST, seq.len), path = arg(a, -1, "attribute", TPL_UNDEFINED);
    tpl_value fallback = arg(a, -1, "default", TPL_UNDEFINED);
    tpl_args rest = shift_args(a, 1);
    int filter = -1;
    if (path.kind == TV_UNDEF) {
        tpl_value name = arg_str(st, a, 0, "filter");
        if ((filter = find_name(FILTERS, name.u.s, name.len)) < 0)
            tpl_fail(st, MV_ERR_ARG, "unknown filter '%.*s'", (int)name.len, name.u.s);
    }
    for (size_t i = 0; i < seq.len; i++) {
        tpl_value x = filter < 0 ? get_path(st, items(seq)[i], path) : apply_filter(st, filter, items(seq)[i], &rest);
        list_add(st, &out, x.kind == TV_UNDEF && fallback.kind != TV_UNDEF ? fallback : x);
    }
    return out;
}

/* select, reject, selectattr, rejectattr. */
static tpl_value filter_select(tpl_state *st, tpl_value v, const tpl_args *a, bool by_attr, bool keep) {
    tpl_value seq = to_list(st, truthy(v) ? v : TPL_UNDEFINED), out = list_new(st, TV_LIST, 0);
    tpl_value path = by_attr ? arg_str(st, a, 0, "attribute") : TPL_NONE;
    tpl_args rest = shift_args(a, by_attr + 1);
    int test = -1;
    if (a->n > by_attr) {
        tpl_value name = arg_str(st, a, by_attr, "test");
        if ((test = find_name(TESTS, name.u.s, name.len)) < 0) tpl_fail(st, MV_ERR_ARG, "unknown test '%.*s'", (int)name.len, name.u.s);
    }
    for (size_t i = 0; i < seq.len; i++) {
        tpl_value x = by_attr ? get_path(st, items(seq)[i], path) : items(seq)[i];
        if ((test < 0 ? truthy(x) : apply_test(st, test, x, &rest)) == keep) list_add(st, &out, items(seq)[i]);
    }
    return out;
}

static tpl_value filter_tojson(tpl_state *st, tpl_value v, const tpl_args *a) {
    tpl_value indent = arg(a, 1, "indent", TPL_NONE);
    if (indent.kind == TV_INT || indent.kind == TV_BOOL) indent = repeat(st, make_str(" ", 1), indent.u.i);
    else if (indent.kind != TV_STR && indent.kind != TV_NONE) tpl_fail(st, MV_ERR_ARG, "indent must be an integer or a string");
    if (arg_bool(a, 0, "ensure_ascii") || arg_index(a, -1, "separators") >= 0 || arg_bool(a, 3, "sort_keys"))
        tpl_fail(st, MV_ERR_ARG, "tojson supports only its indent argument");
    out_push(st);
    write_json(st, v, indent, 0);
    return out_pop(st);
}

static tpl_value apply_filter(tpl_state *st, int filter, tpl_value v, const tpl_args *a) {
    const uint64_t on_text = 1ull << TF_CAPITALIZE | 1ull << TF_CENTER | 1ull << TF_ESCAPE | 1ull << TF_INDENT |
                             1ull << TF_LOWER | 1ull << TF_REPLACE | 1ull << TF_SAFE | 1ull << TF_STRING | 1ull << TF_TITLE |
                             1ull << TF_TRIM | 1ull << TF_UPPER | 1ull << TF_WORDCOUNT;
    tpl_value s = on_text >> filter & 1 ? to_str(st, v) : v, seq, keys, out;  /* these work on str(v) */
    switch (filter) {
    case TF_ABS:
        if (v.kind == TV_FLOAT) return make_float(fabs(v.u.f));
        if (v.kind != TV_INT && v.kind != TV_BOOL) tpl_fail(st, MV_ERR_ARG, "bad operand type for abs(): '%s'", type_name(v));
        check_int(st, fabs((double)v.u.i));
        return make_int(v.u.i < 0 ? -v.u.i : v.u.i);
    case TF_CAPITALIZE: return recase(st, s, RECASE_CAPITALIZE);
    case TF_CENTER: {
        int64_t width = arg_int(st, a, 0, "width", 80), len = (int64_t)utf8_count(s.u.s, s.len);
        if (width <= len) return s;
        int64_t margin = width - len, left = margin / 2 + (margin & width & 1);
        out = str_concat(st, str_concat(st, repeat(st, make_str(" ", 1), left), s), repeat(st, make_str(" ", 1), margin - left));
        out.safe = s.safe;
        return out;
    }
    case TF_DEFAULT:
        return v.kind == TV_UNDEF || (arg_bool(a, 1, "boolean") && !truthy(v)) ? arg(a, 0, "default_value", make_str("", 0)) : v;
    case TF_DICTSORT: {
        tpl_value by = arg(a, 1, "by", make_str("key", 3));
        bool by_value = by.kind == TV_STR && by.len == 5 && !memcmp(by.u.s, "value", 5);
        if (v.kind != TV_DICT) tpl_fail(st, MV_ERR_ARG, "dictsort needs a mapping");
        if (!by_value && !(by.kind == TV_STR && by.len == 3 && !memcmp(by.u.s, "key", 3)))
            tpl_fail(st, MV_ERR_ARG, "you can only sort by either 'key' or 'value'");
        keys = list_new(st, TV_LIST, v.u.dict->n);
        for (size_t i = 0; i < v.u.dict->n; i++)
            list_add(st, &keys, sort_key(st, (by_value ? v.u.dict->vals : v.u.dict->keys)[i], TPL_NONE, arg_bool(a, 0, "case_sensitive")));
        return sorted(st, dict_items(st, v.u.dict), items(keys), arg_bool(a, 2, "reverse"));
    }
    case TF_ESCAPE: return escape_html(st, s);
    case TF_FIRST: case TF_LAST:
        seq = to_list(st, v);
        return seq.len ? items(seq)[filter == TF_FIRST ? 0 : seq.len - 1] : make_undefined(NULL, 0);
    case TF_FLOAT: case TF_INT:
        if (v.kind == TV_UNDEF) undefined_error(st, v);
        if (filter == TF_INT) return to_int(v, arg(a, 0, "default", make_int(0)), arg_int(st, a, 1, "base", 10));
        return to_float(v, arg(a, 0, "default", make_float(0)));
    case TF_INDENT:
        if (v.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "indent needs a string, not %s", type_name(v));
        return indent(st, s, arg(a, 0, "width", make_int(4)), arg_bool(a, 1, "first"), arg_bool(a, 2, "blank"));
    case TF_ITEMS:
        if (v.kind == TV_UNDEF) return list_new(st, TV_LIST, 0);
        if (v.kind != TV_DICT) tpl_fail(st, MV_ERR_ARG, "can only get item pairs from a mapping");
        return dict_items(st, v.u.dict);
    case TF_JOIN: {
        tpl_value sep = to_str(st, arg(a, 0, "d", make_str("", 0))), path = arg(a, 1, "attribute", TPL_NONE);
        seq = to_list(st, v);
        out_push(st);
        for (size_t i = 0; i < seq.len; i++) {
            if (i) out_put(st, sep.u.s, sep.len);
            write_value(st, path.kind == TV_NONE ? items(seq)[i] : get_path(st, items(seq)[i], path), false);
        }
        return out_pop(st);
    }
    case TF_LENGTH: return make_int((int64_t)length_of(st, v));
    case TF_LIST:
        seq = to_list(st, v);
        seq.kind = TV_LIST;
        return seq;
    case TF_LOWER: return recase(st, s, RECASE_LOWER);
    case TF_MAP: return filter_map(st, v, a);
    case TF_REJECT: case TF_REJECTATTR: case TF_SELECT: case TF_SELECTATTR:
        return filter_select(st, v, a, filter == TF_REJECTATTR || filter == TF_SELECTATTR, filter == TF_SELECT || filter == TF_SELECTATTR);
    case TF_REPLACE: {
        tpl_value count = arg(a, 2, "count", TPL_NONE);
        return replace(st, s, to_str(st, arg(a, 0, "old", TPL_UNDEFINED)), to_str(st, arg(a, 1, "new", TPL_UNDEFINED)),
                       count.kind == TV_NONE ? -1 : arg_int(st, a, 2, "count", -1));
    }
    case TF_REVERSE:
        if (v.kind == TV_STR) return slice(st, v, TPL_NONE, TPL_NONE, make_int(-1));
        seq = to_list(st, v);
        seq.kind = TV_LIST;
        return slice(st, seq, TPL_NONE, TPL_NONE, make_int(-1));
    case TF_ROUND: return round_number(st, v, arg_int(st, a, 0, "precision", 0), arg(a, 1, "method", make_str("common", 6)));
    case TF_SAFE: s.safe = true; return s;
    case TF_STRING: return s;
    case TF_SORT:
        seq = to_list(st, v), keys = list_new(st, TV_LIST, seq.len);
        for (size_t i = 0; i < seq.len; i++)
            list_add(st, &keys, sort_key(st, items(seq)[i], arg(a, 2, "attribute", TPL_NONE), arg_bool(a, 1, "case_sensitive")));
        return sorted(st, seq, items(keys), arg_bool(a, 0, "reverse"));
    case TF_TITLE: return recase(st, s, RECASE_WORDS);
    case TF_TOJSON: return filter_tojson(st, v, a);
    case TF_TRIM: return strip(st, s, arg(a, 0, "chars", TPL_NONE), true, true);
    case TF_UNIQUE:
        seq = to_list(st, v), keys = list_new(st, TV_LIST, 0), out = list_new(st, TV_LIST, 0);
        for (size_t i = 0; i < seq.len; i++) {
            tpl_value k = sort_key(st, items(seq)[i], arg(a, 1, "attribute", TPL_NONE), arg_bool(a, 0, "case_sensitive"));
            if (!contains(st, keys, hashable(st, k))) list_add(st, &keys, k), list_add(st, &out, items(seq)[i]);
        }
        return out;
    case TF_UPPER: return recase(st, s, RECASE_UPPER);
    default: {  /* TF_WORDCOUNT */
        int64_t count = 0;
        for (size_t i = 0, in_word = 0; i < s.len;) {
            bool word = is_word_char(utf8_next(s.u.s, s.len, &i));
            count += word && !in_word;
            in_word = word;
        }
        return make_int(count);
    }
    }
}

static bool apply_test(tpl_state *st, int test, tpl_value v, const tpl_args *a) {
    tpl_value x = a->n ? a->v[0] : TPL_UNDEFINED;
    switch (test) {
    case TS_BOOLEAN: return v.kind == TV_BOOL;
    case TS_CALLABLE: return v.kind == TV_MACRO || v.kind == TV_FUNC || v.kind == TV_UNDEF;  /* calling it fails, but it can be called */
    case TS_DEFINED: return v.kind != TV_UNDEF;
    case TS_DIVISIBLEBY: return equal(st, binary(st, TO_MOD, v, x), make_int(0));
    case TS_EVEN: case TS_ODD: return equal(st, binary(st, TO_MOD, v, make_int(2)), make_int(test == TS_ODD));
    case TS_FALSE: return v.kind == TV_BOOL && !v.u.i;
    case TS_FLOAT: return v.kind == TV_FLOAT;
    case TS_INTEGER: return v.kind == TV_INT;
    case TS_ITERABLE: case TS_SEQUENCE: return v.kind == TV_UNDEF || v.kind == TV_STR || is_list(v) || v.kind == TV_DICT;
    case TS_MAPPING: return v.kind == TV_DICT;
    case TS_NONE: return v.kind == TV_NONE;
    case TS_NUMBER: return is_number(v);
    case TS_STRING: return v.kind == TV_STR;
    case TS_TRUE: return v.kind == TV_BOOL && v.u.i;
    case TS_UNDEFINED: return v.kind == TV_UNDEF;
    default: return compare_op(st, test, v, x);
    }
}

static bool str_method(tpl_state *st, tpl_value s, const char *name, const tpl_args *a, tpl_value *out) {
    tpl_value x = arg(a, 0, NULL, TPL_NONE);
    if (!strcmp(name, "upper")) *out = recase(st, s, RECASE_UPPER);
    else if (!strcmp(name, "lower")) *out = recase(st, s, RECASE_LOWER);
    else if (!strcmp(name, "title")) *out = recase(st, s, RECASE_TITLE);
    else if (!strcmp(name, "capitalize")) *out = recase(st, s, RECASE_CAPITALIZE);
    else if (!strcmp(name, "strip")) *out = strip(st, s, x, true, true);
    else if (!strcmp(name, "lstrip")) *out = strip(st, s, x, true, false);
    else if (!strcmp(name, "rstrip")) *out = strip(st, s, x, false, true);
    else if (!strcmp(name, "split") || !strcmp(name, "rsplit"))
        *out = split(st, s, arg(a, 0, "sep", TPL_NONE), arg_int(st, a, 1, "maxsplit", -1), name[0] == 'r');
    else if (!strcmp(name, "replace"))
        *out = replace(st, s, arg_str(st, a, 0, "old"), arg_str(st, a, 1, "new"), arg_int(st, a, 2, "count", -1));
    else if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
        tpl_value prefixes = is_list(x) ? x : list_of(st, TV_TUPLE, &x, 1);
        bool found = false;
        for (size_t i = 0; i < prefixes.len && !found; i++) {
            tpl_value p = items(prefixes)[i];
            if (p.kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "%s arg must be str or a tuple of str", name);
            found = p.len <= s.len && !memcmp(s.u.s + (name[0] == 's' ? 0 : s.len - p.len), p.u.s, p.len);
        }
        *out = make_bool(found);
    } else if (!strcmp(name, "find") || !strcmp(name, "rfind") || !strcmp(name, "count")) {
        tpl_value sub = arg_str(st, a, 0, "sub");
        const char *at = (name[0] == 'r' ? str_rfind : str_find)(s.u.s, s.len, sub.u.s, sub.len);
        int64_t count = 0;
        for (size_t i = 0; name[0] == 'c' && sub.len && i + sub.len <= s.len;)
            if (!memcmp(s.u.s + i, sub.u.s, sub.len)) count++, i += sub.len;
            else i++;
        if (name[0] == 'c') *out = make_int(sub.len ? count : (int64_t)utf8_count(s.u.s, s.len) + 1);
        else *out = make_int(at ? (int64_t)utf8_count(s.u.s, (size_t)(at - s.u.s)) : -1);
    } else if (!strcmp(name, "join")) {
        tpl_value seq = to_list(st, x);
        out_push(st);
        for (size_t i = 0; i < seq.len; i++) {
            if (items(seq)[i].kind != TV_STR) tpl_fail(st, MV_ERR_ARG, "sequence item %zu: expected str instance, %s found", i, type_name(items(seq)[i]));
            if (i) out_put(st, s.u.s, s.len);
            out_put(st, items(seq)[i].u.s, items(seq)[i].len);
        }
        *out = out_pop(st);
    } else {
        return false;
    }
    return true;
}

/* Methods the sandbox allows: str's, dict's readers, loop.cycle. */
static bool call_method(tpl_state *st, tpl_value obj, const char *name, const tpl_args *a, tpl_value *out) {
    if (obj.kind == TV_STR) return str_method(st, obj, name, a, out);
    if (obj.kind == TV_LOOP && !strcmp(name, "cycle")) {
        if (!a->n) tpl_fail(st, MV_ERR_ARG, "no items for cycling given");
        *out = a->v[obj.u.loop->index % (size_t)a->n];
        return true;
    }
    if (obj.kind != TV_DICT) return false;
    const tpl_dict *d = obj.u.dict;
    if (!strcmp(name, "items")) *out = dict_items(st, d);
    else if (!strcmp(name, "keys")) *out = list_of(st, TV_LIST, d->keys, d->n);
    else if (!strcmp(name, "values")) *out = list_of(st, TV_LIST, d->vals, d->n);
    else if (!strcmp(name, "get")) {
        tpl_value *v = dict_find(st, d, arg(a, 0, NULL, TPL_UNDEFINED));
        *out = v ? *v : arg(a, 1, NULL, TPL_NONE);
    } else {
        return false;
    }
    return true;
}

static tpl_value call_function(tpl_state *st, int fn, const tpl_args *a) {
    if (fn == TG_RAISE) {
        tpl_value msg = to_str(st, arg(a, 0, NULL, TPL_UNDEFINED));
        tpl_fail(st, MV_ERR_ARG, "%.*s", (int)msg.len, msg.u.s);
    }
    if (fn == TG_STRFTIME) return format_date(st, arg(a, 0, NULL, TPL_UNDEFINED));
    if (fn == TG_RANGE) {
        int64_t from = a->n > 1 ? arg_int(st, a, 0, "start", 0) : 0, to = arg_int(st, a, a->n > 1, "stop", 0);
        int64_t step = arg_int(st, a, 2, "step", 1);
        if (a->n < 1 || a->n > 3 || !step) tpl_fail(st, MV_ERR_ARG, "range() takes 1 to 3 integers, the step not zero");
        uint64_t span = step > 0 ? (to > from ? (uint64_t)to - (uint64_t)from : 0) : (from > to ? (uint64_t)from - (uint64_t)to : 0);
        uint64_t count = span ? (span - 1) / (step > 0 ? (uint64_t)step : 0 - (uint64_t)step) + 1 : 0;
        if (count > TPL_MAX_MEMORY / sizeof(tpl_value)) tpl_fail(st, MV_ERR_ARG, "range too large");
        tpl_value list = list_new(st, TV_LIST, (size_t)count);
        for (uint64_t i = 0; i < count; i++) list_add(st, &list, make_int((int64_t)((uint64_t)from + i * (uint64_t)step)));
        return list;
    }
    tpl_value d = dict_new(st, fn == TG_NAMESPACE ? TV_NS : TV_DICT);  /* namespace() and dict() */
    for (int i = 0; i < a->n; i++) {
        if (a->names[i]) dict_put(st, d.u.dict, make_str(a->names[i], strlen(a->names[i])), a->v[i]);
        else if (a->v[i].kind == TV_DICT)
            for (size_t k = 0; k < a->v[i].u.dict->n; k++) dict_put(st, d.u.dict, a->v[i].u.dict->keys[k], a->v[i].u.dict->vals[k]);
        else tpl_fail(st, MV_ERR_ARG, "%s() takes a mapping and keyword arguments", fn == TG_NAMESPACE ? "namespace" : "dict");
    }
    return d;
}

static tpl_value eval(tpl_state *st, const tpl_node *n);
static void render(tpl_state *st, const tpl_node *n);

/* Pushes the arguments on the argument stack; the caller pops them. */
static tpl_args eval_args(tpl_state *st, const tpl_node *arg) {
    tpl_args a = {st->arg_values + st->nargs, st->arg_names + st->nargs, 0};
    for (; arg; arg = arg->next, a.n++) {
        if (a.n == TPL_MAX_ARGS) tpl_fail(st, MV_ERR_ARG, "more than %d arguments", TPL_MAX_ARGS);
        tpl_value v = eval(st, arg->kind == TN_KWARG ? arg->a : arg);
        st->arg_names[st->nargs] = arg->kind == TN_KWARG ? arg->s : NULL;
        st->arg_values[st->nargs++] = v;
    }
    return a;
}

static tpl_value capture(tpl_state *st, const tpl_node *body) {
    out_push(st);
    render(st, body);
    return out_pop(st);
}

static bool has_param(const tpl_node *macro, const char *name) {
    for (const tpl_node *p = macro->a; p; p = p->next)
        if (!strcmp(p->s, name)) return true;
    return false;
}

static tpl_value call_macro(tpl_state *st, const tpl_macro *m, const tpl_args *a) {
    const tpl_node *node = m->node, *p;
    tpl_frame *saved = st->frame;
    int positional = 0, count = 0, line = st->line;
    tick(st);
    for (int i = 0; i < a->n; i++) {
        positional += !a->names[i];
        if (a->names[i] && !has_param(node, a->names[i]))
            tpl_fail(st, MV_ERR_ARG, "macro '%s' takes no keyword argument '%s'", node->s, a->names[i]);
    }
    st->frame = frame_new(st, m->scope);
    for (p = node->a; p; p = p->next, count++) {  /* defaults may use the parameters before them */
        int i = count < positional ? count : arg_index(a, -1, p->s);
        frame_set(st, st->frame, p->s, p->len, i >= 0 ? a->v[i] : p->a ? eval(st, p->a) : make_undefined(p->s, p->len));
    }
    if (positional > count) tpl_fail(st, MV_ERR_ARG, "macro '%s' takes not more than %d argument(s)", node->s, count);
    tpl_value result = capture(st, node->b);
    st->frame = saved, st->line = line;
    return result;
}

static tpl_value call_value(tpl_state *st, tpl_value fn, const tpl_args *a) {
    if (fn.kind == TV_MACRO) return call_macro(st, fn.u.macro, a);
    if (fn.kind == TV_FUNC) return call_function(st, (int)fn.u.i, a);
    if (fn.kind == TV_UNDEF) undefined_error(st, fn);
    tpl_fail(st, MV_ERR_ARG, "'%s' object is not callable", type_name(fn));
}

static tpl_value eval_call(tpl_state *st, const tpl_node *n) {
    tpl_args a = eval_args(st, n->b);
    tpl_value result;
    if (n->a->kind != TN_ATTR) {
        result = call_value(st, eval(st, n->a), &a);
    } else {
        tpl_value obj = eval(st, n->a->a);
        if (!call_method(st, obj, n->a->s, &a, &result)) result = call_value(st, get_attr(st, obj, n->a->s, n->a->len), &a);
    }
    st->nargs -= (size_t)a.n;
    return result;
}

/* A filter, or a test. */
static tpl_value eval_filter(tpl_state *st, const tpl_node *n) {
    tpl_value v = eval(st, n->a);
    tpl_args a = eval_args(st, n->b);
    st->line = n->line;
    v = n->kind == TN_FILTER ? apply_filter(st, n->op, v, &a) : make_bool(apply_test(st, n->op, v, &a));
    st->nargs -= (size_t)a.n;
    return v;
}

static tpl_value unary(tpl_state *st, int kind, tpl_value v) {
    if (v.kind == TV_UNDEF) undefined_error(st, v);
    if (!is_number(v)) tpl_fail(st, MV_ERR_ARG, "bad operand type for unary %c: '%s'", kind == TN_NEG ? '-' : '+', type_name(v));
    if (v.kind == TV_FLOAT) return make_float(kind == TN_NEG ? -v.u.f : v.u.f);
    check_int(st, (double)v.u.i);
    return make_int(kind == TN_NEG ? -v.u.i : v.u.i);
}

static bool eval_compare(tpl_state *st, const tpl_node *n) {
    tpl_value left = eval(st, n->a);
    for (const tpl_node *op = n->b; op; op = op->next) {
        tpl_value right = eval(st, op->a);
        if (!compare_op(st, op->op, left, right)) return false;
        left = right;
    }
    return true;
}

static tpl_value eval(tpl_state *st, const tpl_node *n) {
    tpl_value r, x, lo, hi;
    enter(st);
    st->line = n->line;
    switch (n->kind) {
    case TN_CONST: r = n->value; break;
    case TN_NAME: r = lookup(st, n->s, n->len); break;
    case TN_ATTR: r = get_attr(st, eval(st, n->a), n->s, n->len); break;
    case TN_INDEX:
        x = eval(st, n->a);
        r = get_item(st, x, eval(st, n->b));
        break;
    case TN_SLICE:
        x = eval(st, n->a);
        lo = n->b ? eval(st, n->b) : TPL_NONE;
        hi = n->c ? eval(st, n->c) : TPL_NONE;
        r = slice(st, x, lo, hi, n->d ? eval(st, n->d) : TPL_NONE);
        break;
    case TN_NEG: case TN_POS: r = unary(st, n->kind, eval(st, n->a)); break;
    case TN_NOT: r = make_bool(!truthy(eval(st, n->a))); break;
    case TN_AND: case TN_OR:  /* Python's: the deciding operand itself */
        r = eval(st, n->a);
        if (truthy(r) == (n->kind == TN_AND)) r = eval(st, n->b);
        break;
    case TN_BINARY:
        x = eval(st, n->a);
        r = binary(st, n->op, x, eval(st, n->b));
        break;
    case TN_COMPARE: r = make_bool(eval_compare(st, n)); break;
    case TN_COND: r = truthy(eval(st, n->a)) ? eval(st, n->b) : n->c ? eval(st, n->c) : make_undefined(NULL, 0); break;
    case TN_LIST: case TN_TUPLE:
        r = list_new(st, n->kind == TN_LIST ? TV_LIST : TV_TUPLE, 0);
        for (const tpl_node *item = n->b; item; item = item->next) list_add(st, &r, eval(st, item));
        break;
    case TN_DICT:
        r = dict_new(st, TV_DICT);
        for (const tpl_node *pair = n->b; pair; pair = pair->next) {
            x = hashable(st, eval(st, pair->a));
            dict_put(st, r.u.dict, x, eval(st, pair->b));
        }
        break;
    case TN_CALL: r = eval_call(st, n); break;
    default: r = eval_filter(st, n); break;  /* TN_FILTER, TN_TEST */
    }
    leave(st);
    return r;
}

static void assign(tpl_state *st, const tpl_node *target, tpl_value v) {
    if (target->kind == TN_NAME) {
        frame_set(st, st->frame, target->s, target->len, v);
    } else if (target->kind == TN_ATTR) {
        tpl_value ns = lookup(st, target->a->s, target->a->len);
        if (ns.kind != TV_NS) tpl_fail(st, MV_ERR_ARG, "cannot assign attribute on non-namespace object");
        dict_put(st, ns.u.dict, make_str(target->s, target->len), v);
    } else {
        tpl_value seq = to_list(st, v);
        size_t count = 0;
        for (const tpl_node *t = target->b; t; t = t->next) count++;
        if (count != seq.len) tpl_fail(st, MV_ERR_ARG, "cannot unpack %zu values into %zu names", seq.len, count);
        count = 0;
        for (const tpl_node *t = target->b; t; t = t->next) assign(st, t, items(seq)[count++]);
    }
}

/* Each iteration starts with an empty scope: a set in the body is not seen
   by later iterations or after the loop, which is why templates use namespaces. */
static void render_for(tpl_state *st, const tpl_node *n) {
    tpl_value seq = to_list(st, eval(st, n->b));
    tpl_frame *saved = st->frame, *frame = st->frame = frame_new(st, saved);
    if (n->c) {  /* the loop's own if: loop.length and loop.last count only what it keeps */
        tpl_value kept = list_new(st, TV_LIST, 0);
        for (size_t i = 0; i < seq.len; i++) {
            tick(st);
            frame->vars.n = 0;
            assign(st, n->a, items(seq)[i]);
            if (truthy(eval(st, n->c))) list_add(st, &kept, items(seq)[i]);
        }
        seq = kept;
    }
    tpl_loop *loop = tpl_alloc(st, sizeof *loop);
    tpl_value loop_value = {TV_LOOP, false, 0, {.loop = loop}};
    loop->items = items(seq), loop->n = seq.len;
    for (size_t i = 0; i < seq.len; i++) {
        tick(st);
        frame->vars.n = 0, loop->index = i;
        assign(st, n->a, items(seq)[i]);
        frame_set(st, frame, "loop", 4, loop_value);
        render(st, n->d);
        if (st->jump == TN_BREAK) i = seq.len;
        st->jump = 0;
    }
    st->frame = saved;
    if (!seq.len) render(st, n->e);
}

static void render_node(tpl_state *st, const tpl_node *n) {
    enter(st);
    st->line = n->line;
    switch (n->kind) {
    case TN_TEXT: out_put(st, n->s, n->len); break;
    case TN_OUTPUT: write_value(st, eval(st, n->a), false); break;
    case TN_IF: {
        bool taken;
        while (!(taken = truthy(eval(st, n->a))) && n->d) n = n->d;  /* on to the next elif */
        render(st, taken ? n->b : n->c);
        break;
    }
    case TN_FOR: render_for(st, n); break;
    case TN_SET: assign(st, n->a, n->b ? eval(st, n->b) : capture(st, n->c)); break;
    case TN_MACRO: {
        tpl_macro *m = tpl_alloc(st, sizeof *m);
        tpl_value v = {TV_MACRO, false, 0, {.macro = m}};
        m->node = n, m->scope = st->frame;
        frame_set(st, st->frame, n->s, n->len, v);
        break;
    }
    case TN_BREAK: case TN_CONTINUE: st->jump = n->kind; break;
    default: render(st, n->b); break;  /* TN_BLOCK */
    }
    leave(st);
}

static void render(tpl_state *st, const tpl_node *n) {
    for (; n && !st->jump; n = n->next) render_node(st, n);
}

static tpl_value from_json(tpl_state *st, const json_value *j) {
    tpl_value v;
    switch (j->kind) {
    case JSON_NULL: return TPL_NONE;
    case JSON_FALSE: case JSON_TRUE: return make_bool(j->kind == JSON_TRUE);
    case JSON_NUMBER:  /* the DOM keeps no "1.0": integral numbers become ints */
        return j->number == floor(j->number) && fabs(j->number) < 9.2e18 ? make_int((int64_t)j->number) : make_float(j->number);
    case JSON_STRING: return make_str(j->str, j->len);
    case JSON_ARRAY:
        enter(st);
        v = list_new(st, TV_LIST, j->n);
        for (uint32_t i = 0; i < j->n; i++) list_add(st, &v, from_json(st, &j->items[i]));
        break;
    default:
        enter(st);
        v = dict_new(st, TV_DICT);
        for (uint32_t i = 0; i < j->n; i++) dict_put(st, v.u.dict, make_str(j->keys[i].str, j->keys[i].len), from_json(st, &j->items[i]));
        break;
    }
    leave(st);
    return v;
}

/* The date strftime_now formats: now as YYYY-MM-DD, or today. */
static bool set_date(struct tm *tm, const char *now) {
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    static const int shift[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int y, m, d, n = 0;
    if (!now) {
        time_t t = time(NULL);
        return localtime_r(&t, tm) != NULL;
    }
    if (sscanf(now, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || now[n] || y < 1 || m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > (m == 2 ? 28 + leap : 30 + ((m + (m > 7)) & 1))) return false;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = y - 1900, tm->tm_mon = m - 1, tm->tm_mday = d;
    tm->tm_yday = before[m - 1] + d - 1 + (leap && m > 2);
    y -= m < 3;
    tm->tm_wday = (y + y / 4 - y / 100 + y / 400 + shift[m - 1] + d) % 7;
    return true;
}

static void render_template(tpl_state *st, const char *tmpl, size_t len, const json_value *context, char **out, size_t *out_len) {
    char *src = tpl_alloc(st, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {  /* newlines become \n, and one at the very end goes */
        src[n++] = tmpl[i] == '\r' ? '\n' : tmpl[i];
        if (tmpl[i] == '\r' && i + 1 < len && tmpl[i + 1] == '\n') i++;
    }
    if (n && src[n - 1] == '\n') n--;
    lex(st, src, n);
    tpl_node *body = parse_body(st, NULL, 0, NULL, NULL);
    st->arg_values = tpl_alloc_array(st, TPL_MAX_DEPTH * TPL_MAX_ARGS, sizeof *st->arg_values);
    st->arg_names = tpl_alloc_array(st, TPL_MAX_DEPTH * TPL_MAX_ARGS, sizeof *st->arg_names);
    st->frame = frame_new(st, NULL);
    for (uint32_t i = 0; i < context->n; i++)
        frame_set(st, st->frame, context->keys[i].str, context->keys[i].len, from_json(st, &context->items[i]));
    out_push(st);
    render(st, body);
    char *result = arrlast(st->outs);
    *out_len = (size_t)arrlen(result);
    *out = malloc(*out_len + 1);
    if (!*out) tpl_fail(st, MV_ERR_NOMEM, "out of memory");
    if (*out_len) memcpy(*out, result, *out_len);
    (*out)[*out_len] = 0;
}

/* Renders a chat template with the variables of context (a JSON object).
   now ("YYYY-MM-DD", or NULL for today) is the date strftime_now formats.
   On success *out is a malloc'd NUL-terminated string; on failure err names
   the template line, and the code is MV_ERR_FORMAT for syntax errors and
   MV_ERR_ARG for errors while rendering, raise_exception's among them. */
static int template_render(const char *tmpl, size_t tmpl_len, const json_value *context, const char *now, char **out,
                           size_t *out_len, char *err) {
    *out = NULL, *out_len = 0;
    if (!context || context->kind != JSON_OBJECT) return fail(err, MV_ERR_ARG, "template context must be a JSON object");
    tpl_state *st = calloc(1, sizeof *st);
    if (!st) return fail(err, MV_ERR_NOMEM, "out of memory");
    if (!set_date(&st->date, now)) {
        free(st);
        return fail(err, MV_ERR_ARG, "bad date '%s' for strftime_now (expected YYYY-MM-DD)", now ? now : "today");
    }
    st->err = err;
    if (!setjmp(st->on_error)) render_template(st, tmpl, tmpl_len, context, out, out_len);
    int rc = st->code;
    for (ptrdiff_t i = 0; i < arrlen(st->outs); i++) arrfree(st->outs[i]);
    arrfree(st->outs);
    arrfree(st->tokens);
    for (ptrdiff_t i = 0; i < arrlen(st->blocks); i++) free(st->blocks[i]);
    arrfree(st->blocks);
    free(st);
    return rc;
}

/* ---- the harmony format --------------------------------------------------
   OpenAI's "harmony" chat format of the GPT-OSS models: a streaming parser
   for the model's output (conversations are rendered by the model's template).

   Output of a GPT-OSS model, decoded with its special tokens kept as text:
     <|channel|>analysis<|message|>User asks ...<|end|>
     <|start|>assistant<|channel|>final<|message|>2 + 2 = 4.<|return|>
   A message is  <|start|> HEADER <|message|> CONTENT STOP  where STOP is one
   of <|end|>, <|return|> (done sampling), <|call|> (a tool call). The header
   holds the author (a role, or a tool's name), <|channel|>NAME, "to=RECIPIENT"
   and a content type ("code", "<|constrain|>json"). When the prompt ended
   with "<|start|>assistant", the output starts inside the first header.

   The rules follow openai/harmony (src/encoding.rs, StreamableParser):
   - Between messages only <|start|> may come; anything else is an error.
   - In a header every token is kept (even <|start|> and, in strict mode, the
     stop tokens) until <|message|>; the header is then split: the first
     <|channel|> and its value (up to whitespace or '<') are cut out, the rest
     is trimmed, a space is put before every <|constrain|>, and it is split at
     ASCII whitespace. The first word is the role unless the role was given; an
     unknown first word followed by more words (or starting "to=") is a tool's
     name (role "tool"). A first word equal to the role is dropped. Of the
     rest, the last word is the recipient if it starts with "to=" or is the
     only word, else it is the content type and the word before it (if any)
     is the recipient ("to=" stripped). Any word left over is an error.
   - In content only the three stop tokens count: <|start|>, <|channel|> etc.
     are content text. End of output inside content ends the message; end of
     output inside a header is an error.
   - Not strict: a stop token inside the first header (the one whose role was
     given) makes a message of it: its channel is taken out and the rest,
     words joined by single spaces, is the content.
   - Content is UTF-8; a byte sequence that is not is replaced by U+FFFD per
     maximal invalid part (as Rust's String::from_utf8_lossy), also across
     feeds.

   Text fed with harmony_parser_feed is scanned for the five markers
   <|start|> <|message|> <|end|> <|return|> <|call|>; a chunk may end in the
   middle of one (it is held back until the next feed or finish). When the
   caller knows which tokens are special, harmony_parser_feed_token makes
   ordinary text that merely looks like a marker stay text. */

/* ---- messages ---- */

typedef struct {
    char *role;          /* "system", "developer", "user", "assistant" or "tool" */
    char *name;          /* author name (a tool's, e.g. "browser.search"), or NULL */
    char *channel;       /* "analysis", "commentary", "final", ..., or NULL */
    char *recipient;     /* "functions.get_weather", "assistant", ..., or NULL */
    char *content_type;  /* "code", "<|constrain|>json", ..., or NULL */
    char *content;       /* UTF-8, NUL-terminated; never NULL once the header is read */
    size_t content_len;
} harmony_message;

static void harmony_message_free(harmony_message *m) {
    free(m->role);
    free(m->name);
    free(m->channel);
    free(m->recipient);
    free(m->content_type);
    free(m->content);
    memset(m, 0, sizeof *m);
}

static const char *const hm_roles[] = {"system", "developer", "user", "assistant", "tool"};

/* The canonical role string equal to s[0..n), or NULL. */
static const char *hm_role_of(const char *s, size_t n) {
    for (size_t i = 0; i < sizeof hm_roles / sizeof *hm_roles; i++)
        if (strlen(hm_roles[i]) == n && !memcmp(hm_roles[i], s, n)) return hm_roles[i];
    return NULL;
}

static char *hm_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* First occurrence of needle in s[0..n), or NULL. */
static const char *hm_find(const char *s, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (s[i] == needle[0] && !memcmp(s + i, needle, k)) return s + i;
    return NULL;
}

/* Unicode White_Space (what Rust's char::is_whitespace and str::trim use). */
static bool hm_is_space_cp(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

/* ASCII whitespace as Rust's split_ascii_whitespace sees it (no \v). */
static bool hm_is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

/* Decodes the valid UTF-8 character at s (n > 0 bytes left); *len gets its length. */
static uint32_t hm_decode(const char *s, size_t n, int *len) {
    const uint8_t *p = (const uint8_t *)s;
    int l = utf8_valid_len(p, p + n);
    if (l <= 1) { *len = 1; return p[0]; }
    uint32_t cp = p[0] & (l == 2 ? 0x1F : l == 3 ? 0x0F : 0x07);
    for (int i = 1; i < l; i++) cp = (cp << 6) | (p[i] & 0x3F);
    *len = l;
    return cp;
}

/* Length of the Unicode whitespace character ending at s[n-1], or 0. */
static int hm_space_before(const char *s, size_t n) {
    for (int l = 1; l <= 4 && (size_t)l <= n; l++) {
        const uint8_t c = (uint8_t)s[n - (size_t)l];
        if (l < 4 && (c & 0xC0) == 0x80) continue; /* a continuation byte: look further back */
        int got;
        uint32_t cp = hm_decode(s + n - l, (size_t)l, &got);
        return got == l && hm_is_space_cp(cp) ? l : 0;
    }
    return 0;
}

/* Trims Unicode whitespace off both ends of s[*start .. *start + *n). */
static void hm_trim(const char *s, size_t *start, size_t *n) {
    while (*n) {
        int l;
        uint32_t cp = hm_decode(s + *start, *n, &l);
        if (!hm_is_space_cp(cp)) break;
        *start += (size_t)l, *n -= (size_t)l;
    }
    int l;
    while (*n && (l = hm_space_before(s + *start, *n)) > 0) *n -= (size_t)l;
}

static bool hm_utf8_ok(const char *s, size_t n) {
    if (!n) return true;
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    while (p < end) {
        int l = utf8_valid_len(p, end);
        if (!l) return false;
        p += l;
    }
    return true;
}

typedef struct { size_t off, len; } hm_span;

/* Splits a header into its fields (openai/harmony parse_header_from_string).
   role: the role already known, or NULL to read it from the header. With
   parse_recipient_and_type, the words after the role are recipient and content
   type and any other word is an error; without, they are returned in *rest
   (malloc'd, words joined by one space) and no recipient or type is read.
   Fills role, name, channel, recipient, content_type of m. */
static int hm_parse_header(const char *hdr, size_t n, const char *role, bool parse_recipient_and_type,
                           harmony_message *m, char **rest, char *err) {
    static const char CHANNEL[] = "<|channel|>", CONSTRAIN[] = "<|constrain|>";
    char *h = NULL;      /* working copy */
    char *h2 = NULL;     /* with spaces before <|constrain|> */
    hm_span *parts = NULL;
    int rc = MV_OK;
    memset(m, 0, sizeof *m);
    if (rest) *rest = NULL;
    if (!hm_utf8_ok(hdr, n)) {
        rc = fail(err, MV_ERR_FORMAT, "harmony: could not decode header: invalid UTF-8");
        goto done;
    }
    buf_append(&h, hdr, n);
    arrput(h, 0);
    arrsetlen(h, n);

    /* the channel: the first <|channel|> and the value after it */
    const char *mark = hm_find(h, n, CHANNEL);
    if (mark) {
        size_t at = (size_t)(mark - h), v = at + sizeof CHANNEL - 1, e = v;
        while (e < n && h[e] != '<') {
            int l;
            uint32_t cp = hm_decode(h + e, n - e, &l);
            if (hm_is_space_cp(cp)) break;
            e += (size_t)l;
        }
        if (e == v) {
            rc = fail(err, MV_ERR_FORMAT, "harmony: channel marker present but no channel value found in header");
            goto done;
        }
        if (!(m->channel = hm_strndup(h + v, e - v))) { rc = MV_ERR_NOMEM; goto done; }
        memmove(h + at, h + e, n - e + 1);
        n -= e - at;
        arrsetlen(h, n);
    }

    size_t s = 0, len = n;
    hm_trim(h, &s, &len);
    const char *text = h + s;
    if (hm_find(text, len, CONSTRAIN)) {
        for (size_t i = 0; i < len;) {
            if (text[i] == '<' && len - i >= sizeof CONSTRAIN - 1 && !memcmp(text + i, CONSTRAIN, sizeof CONSTRAIN - 1)) {
                buf_append(&h2, " ", 1);
                buf_append(&h2, CONSTRAIN, sizeof CONSTRAIN - 1);
                i += sizeof CONSTRAIN - 1;
            } else {
                buf_append(&h2, text + i, 1);
                i++;
            }
        }
        s = 0, len = (size_t)arrlen(h2);
        hm_trim(h2, &s, &len);
        text = h2 + s;
    }

    for (size_t i = 0; i < len;) {
        while (i < len && hm_is_ascii_space(text[i])) i++;
        size_t b = i;
        while (i < len && !hm_is_ascii_space(text[i])) i++;
        if (i > b) arrput(parts, ((hm_span){b, i - b}));
    }
    size_t np = (size_t)arrlen(parts), first = 0;

    const char *author_name = NULL; /* a span of text, for tools named in the header */
    size_t author_name_len = 0;
    if (!role) {
        if (!np) { rc = fail(err, MV_ERR_FORMAT, "harmony: message header did not contain a role"); goto done; }
        role = hm_role_of(text + parts[0].off, parts[0].len);
        author_name = text + parts[0].off, author_name_len = parts[0].len;
        if (!role) {
            if (np > 1 || (parts[0].len >= 3 && !memcmp(text + parts[0].off, "to=", 3))) {
                first = 1;
                role = "tool";
            } else {
                rc = fail(err, MV_ERR_FORMAT, "harmony: unknown role: %.*s", (int)MV_MIN(parts[0].len, 64),
                          text + parts[0].off);
                goto done;
            }
        }
    }
    if (first < np && strlen(role) == parts[first].len && !memcmp(text + parts[first].off, role, parts[first].len))
        first++;
    if (!(m->role = hm_strndup(role, strlen(role)))) { rc = MV_ERR_NOMEM; goto done; }
    if (author_name && !strcmp(role, "tool") && !(m->name = hm_strndup(author_name, author_name_len))) {
        rc = MV_ERR_NOMEM;
        goto done;
    }

    if (parse_recipient_and_type && np > first) {
        size_t count = np - first;
        hm_span last = parts[--np];
        const char *lp = text + last.off;
        if (last.len >= 3 && !memcmp(lp, "to=", 3)) {
            m->recipient = hm_strndup(lp + 3, last.len - 3);
        } else if (count == 1) {
            m->recipient = hm_strndup(lp, last.len);
        } else {
            m->content_type = hm_strndup(lp, last.len);
            hm_span r = parts[--np];
            const char *rp = text + r.off;
            bool to = r.len >= 3 && !memcmp(rp, "to=", 3);
            m->recipient = hm_strndup(rp + (to ? 3 : 0), r.len - (to ? 3 : 0));
            if (!m->content_type) { rc = MV_ERR_NOMEM; goto done; }
        }
        if (!m->recipient) { rc = MV_ERR_NOMEM; goto done; }
    }
    if (np > first) {
        /* words left over: content of a malformed message, or an error */
        char *joined = NULL;
        for (size_t i = first; i < np; i++) {
            if (i > first) buf_append(&joined, " ", 1);
            buf_append(&joined, text + parts[i].off, parts[i].len);
        }
        if (parse_recipient_and_type || !rest) {
            rc = fail(err, MV_ERR_FORMAT, "harmony: unexpected tokens remaining in message header: \"%.*s\"",
                      (int)MV_MIN(arrlen(joined), 80), joined);
        } else if (!(*rest = hm_strndup(joined, (size_t)arrlen(joined)))) {
            rc = MV_ERR_NOMEM;
        }
        arrfree(joined);
    }

done:
    if (rc != MV_OK) harmony_message_free(m);
    arrfree(h);
    arrfree(h2);
    arrfree(parts);
    return rc;
}

/* ---- the streaming parser ---- */

typedef enum { HARMONY_EXPECT_START, HARMONY_HEADER, HARMONY_CONTENT } harmony_state;

typedef struct {
    harmony_message *messages;   /* stb_ds array: the completed messages, in order */
    harmony_message current;     /* state HARMONY_CONTENT: the message being read
                                    (its content is the text so far, valid UTF-8) */
    harmony_state state;
    bool strict;
    const char *next_role;       /* the role of the first header when the prompt opened it */
    char *header;                /* stb_ds: header text so far */
    char *content;               /* stb_ds: content so far, NUL after its end */
    uint8_t utf8[4];             /* an incomplete UTF-8 sequence at the end of the content */
    int n_utf8;
    char *hold;                  /* stb_ds: a chunk's tail that may start a marker */
    int error;                   /* MV_OK, or the first error (sticky) */
    char error_msg[MV_ERROR_SIZE];
} harmony_parser;

enum { HM_START, HM_MESSAGE, HM_END, HM_RETURN, HM_CALL, HM_N_MARKERS };
static const char *const hm_markers[HM_N_MARKERS] = {"<|start|>", "<|message|>", "<|end|>", "<|return|>", "<|call|>"};

/* Starts a parser. role: the role whose header the prompt opened (the prompt
   ended with "<|start|>assistant"), or NULL when the output starts with
   <|start|>. strict: as openai/harmony's default; false accepts a first
   message with no <|message|> (see the top). Returns MV_ERR_ARG for an
   unknown role. */
static int harmony_parser_init(harmony_parser *p, const char *role, bool strict) {
    memset(p, 0, sizeof *p);
    p->strict = strict;
    p->state = HARMONY_EXPECT_START;
    if (role) {
        if (!(p->next_role = hm_role_of(role, strlen(role)))) {
            p->error = MV_ERR_ARG;
            snprintf(p->error_msg, sizeof p->error_msg, "harmony: unknown role '%.40s'", role);
            return MV_ERR_ARG;
        }
        p->state = HARMONY_HEADER;
    }
    return MV_OK;
}

static void harmony_parser_free(harmony_parser *p) {
    for (ptrdiff_t i = 0; i < arrlen(p->messages); i++) harmony_message_free(&p->messages[i]);
    arrfree(p->messages);
    p->current.content = NULL; /* points into p->content */
    harmony_message_free(&p->current);
    arrfree(p->header);
    arrfree(p->content);
    arrfree(p->hold);
    memset(p, 0, sizeof *p);
}

static int hm_error(harmony_parser *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error_msg, sizeof p->error_msg, fmt, ap);
    va_end(ap);
    p->error = code;
    return code;
}

/* Keeps current.content in step with the content buffer (NUL-terminated). */
static void hm_sync_content(harmony_parser *p) {
    arrput(p->content, 0);
    arrsetlen(p->content, arrlen(p->content) - 1);
    p->current.content = p->content;
    p->current.content_len = (size_t)arrlen(p->content);
}

static void hm_put_replacement(harmony_parser *p) { buf_append(&p->content, "\xEF\xBF\xBD", 3); }

/* Appends content bytes, replacing what is not UTF-8 (maximal invalid parts)
   by U+FFFD; an incomplete sequence at the end waits for the next bytes. */
static void hm_content_append(harmony_parser *p, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];
        if (p->n_utf8 == 0) {
            if (b < 0x80) {
                /* a run of ASCII at once */
                size_t j = i;
                while (j < n && (uint8_t)s[j] < 0x80) j++;
                buf_append(&p->content, s + i, j - i);
                i = j - 1;
            } else if (b >= 0xC2 && b <= 0xF4) {
                p->utf8[p->n_utf8++] = b;
            } else {
                hm_put_replacement(p);
            }
            continue;
        }
        uint8_t lead = p->utf8[0], lo = 0x80, hi = 0xBF;
        if (p->n_utf8 == 1) {
            if (lead == 0xE0) lo = 0xA0;
            else if (lead == 0xED) hi = 0x9F;
            else if (lead == 0xF0) lo = 0x90;
            else if (lead == 0xF4) hi = 0x8F;
        }
        if (b < lo || b > hi) {
            hm_put_replacement(p);
            p->n_utf8 = 0;
            i--; /* the byte starts afresh */
            continue;
        }
        p->utf8[p->n_utf8++] = b;
        int want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (p->n_utf8 == want) {
            buf_append(&p->content, p->utf8, (size_t)want);
            p->n_utf8 = 0;
        }
    }
    hm_sync_content(p);
}

/* Ends the current message (a stop token, or the end of the output). */
static int hm_end_message(harmony_parser *p) {
    if (p->n_utf8) {
        hm_put_replacement(p);
        p->n_utf8 = 0;
    }
    harmony_message m = p->current;
    m.content = hm_strndup(p->content, (size_t)arrlen(p->content));
    if (!m.content) return hm_error(p, MV_ERR_NOMEM, "harmony: out of memory");
    m.content_len = (size_t)arrlen(p->content);
    arrput(p->messages, m);
    memset(&p->current, 0, sizeof p->current);
    arrsetlen(p->content, 0);
    p->state = HARMONY_EXPECT_START;
    return MV_OK;
}

/* A stop token inside the first header, not strict: the header becomes a message. */
static int hm_header_as_message(harmony_parser *p) {
    if (p->next_role && arrlen(p->header) > 0) {
        harmony_message m;
        char *rest = NULL;
        int rc = hm_parse_header(p->header, (size_t)arrlen(p->header), p->next_role, false, &m, &rest, p->error_msg);
        if (rc != MV_OK) {
            if (rc == MV_ERR_NOMEM) snprintf(p->error_msg, sizeof p->error_msg, "harmony: out of memory");
            p->error = rc;
            return rc;
        }
        m.content = rest ? rest : hm_strndup("", 0);
        if (!m.content) {
            harmony_message_free(&m);
            return hm_error(p, MV_ERR_NOMEM, "harmony: out of memory");
        }
        m.content_len = strlen(m.content);
        arrput(p->messages, m);
    }
    arrsetlen(p->header, 0);
    p->next_role = NULL;
    p->state = HARMONY_EXPECT_START;
    return MV_OK;
}

static int hm_on_text(harmony_parser *p, const char *s, size_t n) {
    if (!n) return MV_OK;
    switch (p->state) {
    case HARMONY_EXPECT_START: {
        size_t show = MV_MIN(n, 40);
        while (show < n && show > 0 && ((uint8_t)s[show] & 0xC0) == 0x80) show--; /* whole characters */
        return hm_error(p, MV_ERR_FORMAT, "harmony: unexpected text \"%.*s\"%s while expecting <|start|>", (int)show, s,
                        show < n ? "..." : "");
    }
    case HARMONY_HEADER: buf_append(&p->header, s, n); return MV_OK;
    case HARMONY_CONTENT: hm_content_append(p, s, n); return MV_OK;
    }
    return MV_OK;
}

static int hm_on_marker(harmony_parser *p, int k) {
    bool stop = k == HM_END || k == HM_RETURN || k == HM_CALL;
    switch (p->state) {
    case HARMONY_EXPECT_START:
        if (k != HM_START)
            return hm_error(p, MV_ERR_FORMAT, "harmony: unexpected %s while expecting <|start|>", hm_markers[k]);
        arrsetlen(p->header, 0);
        p->state = HARMONY_HEADER;
        return MV_OK;
    case HARMONY_HEADER:
        if (k == HM_MESSAGE) {
            harmony_message m;
            int rc = hm_parse_header(p->header, (size_t)arrlen(p->header), p->next_role, true, &m, NULL, p->error_msg);
            if (rc != MV_OK) {
                if (rc == MV_ERR_NOMEM) snprintf(p->error_msg, sizeof p->error_msg, "harmony: out of memory");
                p->error = rc;
                return rc;
            }
            p->current = m;
            p->next_role = NULL;
            arrsetlen(p->header, 0);
            arrsetlen(p->content, 0);
            p->n_utf8 = 0;
            hm_sync_content(p);
            p->state = HARMONY_CONTENT;
            return MV_OK;
        }
        if (stop && !p->strict) return hm_header_as_message(p);
        /* kept in the header, as openai/harmony does (strict: an error later) */
        buf_append(&p->header, hm_markers[k], strlen(hm_markers[k]));
        return MV_OK;
    case HARMONY_CONTENT:
        if (stop) return hm_end_message(p);
        hm_content_append(p, hm_markers[k], strlen(hm_markers[k]));
        return MV_OK;
    }
    return MV_OK;
}

static int hm_sticky(const harmony_parser *p, char *err) {
    if (err) snprintf(err, MV_ERROR_SIZE, "%s", p->error_msg);
    return p->error;
}

/* Scans s[0..n) for markers; with final false, a tail that may be the start
   of a marker is returned in *kept (bytes at the end not consumed). */
static int hm_scan(harmony_parser *p, const char *s, size_t n, bool final, size_t *kept) {
    size_t text = 0; /* start of the text not yet passed on */
    *kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '<' || p->error) continue;
        size_t left = n - i;
        for (int k = 0; k < HM_N_MARKERS; k++) {
            size_t ml = strlen(hm_markers[k]);
            if (left >= ml ? !memcmp(s + i, hm_markers[k], ml) : false) {
                if (hm_on_text(p, s + text, i - text) || hm_on_marker(p, k)) return p->error;
                i += ml - 1;
                text = i + 1;
                break;
            }
            if (!final && left < ml && !memcmp(s + i, hm_markers[k], left)) {
                if (hm_on_text(p, s + text, i - text)) return p->error;
                *kept = left;
                return MV_OK;
            }
        }
    }
    if (p->error) return p->error;
    return hm_on_text(p, s + text, n - text);
}

/* Feeds decoded output text (one token's, several, or any piece of it):
   the markers are recognised in the text, also when split across feeds.
   Returns MV_OK, or an error (also for every later call). */
static int harmony_parser_feed(harmony_parser *p, const char *text, size_t len, char *err) {
    if (p->error) return hm_sticky(p, err);
    size_t kept;
    int rc;
    if (arrlen(p->hold)) {
        buf_append(&p->hold, text, len);
        char *all = p->hold;
        size_t n = (size_t)arrlen(all);
        p->hold = NULL;
        rc = hm_scan(p, all, n, false, &kept);
        if (!rc && kept) buf_append(&p->hold, all + n - kept, kept);
        arrfree(all);
    } else {
        rc = hm_scan(p, text, len, false, &kept);
        if (!rc && kept) buf_append(&p->hold, text + len - kept, kept);
    }
    return rc ? hm_sticky(p, err) : MV_OK;
}

static int hm_flush_hold(harmony_parser *p) {
    if (!arrlen(p->hold)) return MV_OK;
    char *all = p->hold;
    size_t kept;
    p->hold = NULL;
    int rc = hm_scan(p, all, (size_t)arrlen(all), true, &kept);
    arrfree(all);
    return rc;
}

/* Feeds one token whose kind the caller knows: a special token's text is a
   marker (or, like <|channel|>, header or content text); an ordinary token's
   text is text even when it looks like a marker. */
static int harmony_parser_feed_token(harmony_parser *p, const char *text, size_t len, bool special, char *err) {
    if (p->error) return hm_sticky(p, err);
    if (hm_flush_hold(p)) return hm_sticky(p, err);
    if (special)
        for (int k = 0; k < HM_N_MARKERS; k++)
            if (strlen(hm_markers[k]) == len && !memcmp(text, hm_markers[k], len))
                return hm_on_marker(p, k) ? hm_sticky(p, err) : MV_OK;
    return hm_on_text(p, text, len) ? hm_sticky(p, err) : MV_OK;
}

/* The end of the output: a message still open is complete; a header still
   open is an error. After an error the completed messages stay readable. */
static int harmony_parser_finish(harmony_parser *p, char *err) {
    if (p->error) return hm_sticky(p, err);
    if (hm_flush_hold(p)) return hm_sticky(p, err);
    if (p->state == HARMONY_HEADER) {
        hm_error(p, MV_ERR_FORMAT, "harmony: unexpected end of output while waiting for the message header to complete");
        return hm_sticky(p, err);
    }
    if (p->state == HARMONY_CONTENT && hm_end_message(p)) return hm_sticky(p, err);
    return MV_OK;
}

static size_t harmony_parser_count(const harmony_parser *p) { return (size_t)arrlen(p->messages); }

/* The message being read (header parsed, content so far), or NULL. */
static const harmony_message *harmony_parser_current(const harmony_parser *p) {
    return p->state == HARMONY_CONTENT ? &p->current : NULL;
}

/* ============================================================================
   12. sampling — greedy, temperature, top-k, top-p, min-p, penalties, seed
   ============================================================================ */

typedef struct {
    int32_t id;
    float logit;
} candidate;

struct mv_sampler {
    mv_sampler_params p;
    uint64_t rng;
    mv_token *recent;      /* ring of the last repeat_last_n tokens */
    int n_recent, recent_head;
    candidate *cand;
    int cand_cap;
};

mv_sampler_params mv_sampler_default_params(void) {
    return (mv_sampler_params){.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                               .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 0x5EED};
}

/* splitmix64 */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double random_unit(uint64_t *state) { return (double)(next_random(state) >> 11) * 0x1p-53; }

mv_sampler *mv_sampler_create(const mv_sampler_params *params) {
    mv_sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->p = params ? *params : mv_sampler_default_params();
    if (s->p.repeat_last_n < 0) s->p.repeat_last_n = 0;
    s->rng = s->p.seed;
    if (s->p.repeat_last_n && !(s->recent = malloc((size_t)s->p.repeat_last_n * sizeof *s->recent))) {
        free(s);
        return NULL;
    }
    return s;
}

void mv_sampler_free(mv_sampler *s) {
    if (!s) return;
    free(s->recent);
    free(s->cand);
    free(s);
}

void mv_sampler_reset(mv_sampler *s) {
    s->n_recent = s->recent_head = 0;
    s->rng = s->p.seed;
}

void mv_sampler_accept(mv_sampler *s, mv_token token) {
    if (!s->p.repeat_last_n) return;
    s->recent[s->recent_head] = token;
    s->recent_head = (s->recent_head + 1) % s->p.repeat_last_n;
    if (s->n_recent < s->p.repeat_last_n) s->n_recent++;
}

static int by_logit_desc(const void *a, const void *b) {
    float x = ((const candidate *)a)->logit, y = ((const candidate *)b)->logit;
    return x > y ? -1 : x < y;
}

/* Moves the k largest candidates to the front, sorted (quickselect, then sort). */
static void keep_top_k(candidate *c, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = c[(lo + hi) / 2].logit;
        int i = lo, j = hi;
        while (i <= j) {
            while (c[i].logit > pivot) i++;
            while (c[j].logit < pivot) j--;
            if (i <= j) { candidate t = c[i]; c[i] = c[j]; c[j] = t; i++, j--; }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
    qsort(c, (size_t)k, sizeof *c, by_logit_desc);
}

/* Penalties (llama.cpp order): repeat divides positive logits and
   multiplies negative ones; frequency and presence subtract. */
static void apply_penalties(const mv_sampler *s, candidate *c, int n_vocab) {
    const mv_sampler_params *p = &s->p;
    if (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f && p->presence_penalty == 0.0f) return;
    for (int i = 0; i < s->n_recent; i++) {
        mv_token t = s->recent[i];
        bool seen = false;
        for (int j = 0; j < i; j++) seen |= s->recent[j] == t;
        if (seen || t < 0 || t >= n_vocab) continue;
        int count = 0;
        for (int j = 0; j < s->n_recent; j++) count += s->recent[j] == t;
        float *l = &c[t].logit;
        *l = *l > 0 ? *l / p->repeat_penalty : *l * p->repeat_penalty;
        *l -= (float)count * p->frequency_penalty + p->presence_penalty;
    }
}

mv_token mv_sampler_sample(mv_sampler *s, const float *logits, int n_vocab) {
    if (!s || !logits || n_vocab <= 0) return -1;
    if (s->cand_cap < n_vocab) {
        candidate *c = realloc(s->cand, (size_t)n_vocab * sizeof *c);
        if (!c) return -1;
        s->cand = c, s->cand_cap = n_vocab;
    }
    candidate *c = s->cand;
    for (int i = 0; i < n_vocab; i++) c[i] = (candidate){i, logits[i]};
    apply_penalties(s, c, n_vocab);
    const mv_sampler_params *p = &s->p;
    mv_token token = 0;
    if (p->temperature <= 0) {
        for (int i = 1; i < n_vocab; i++)
            if (c[i].logit > c[token].logit) token = i;
    } else {
        int n = n_vocab;
        if (p->top_k > 0 && p->top_k < n) keep_top_k(c, n, p->top_k), n = p->top_k;
        else qsort(c, (size_t)n, sizeof *c, by_logit_desc);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += exp((double)(c[i].logit - c[0].logit));
        if (p->top_p < 1.0f) {
            double cum = 0;
            for (int i = 0; i < n; i++) {
                cum += exp((double)(c[i].logit - c[0].logit)) / sum;
                if (cum >= p->top_p) { n = i + 1; break; }
            }
        }
        if (p->min_p > 0.0f) {
            const float floor = c[0].logit + logf(p->min_p);
            int keep = 1;
            while (keep < n && c[keep].logit >= floor) keep++;
            n = keep;
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += exp((double)((c[i].logit - c[0].logit) / p->temperature));
        double r = random_unit(&s->rng) * total, cum = 0;
        token = c[n - 1].id;
        for (int i = 0; i < n; i++) {
            cum += exp((double)((c[i].logit - c[0].logit) / p->temperature));
            if (r < cum) { token = c[i].id; break; }
        }
    }
    mv_sampler_accept(s, token);
    return token;
}

/* ============================================================================
   13. generation — the public API on top of all the above
   ============================================================================ */

mv_model_params mv_model_default_params(void) { return (mv_model_params){0}; }

/* The name a binding has in the model's source. */
static void binding_name(const mv_model *m, const struct binding *b, int layer, char *name, size_t size) {
    snprintf(name, size, m->file.source == SOURCE_SAFETENSORS && b->hf_name ? b->hf_name : b->name, layer);
}

/* Where a binding's pointer lives: in layer_weights (BIND_LAYER) or model_weights. */
static char *binding_slot(mv_model *m, const struct binding *b, int layer) {
    return (b->flags & BIND_LAYER ? (char *)&m->layers[layer] : (char *)&m->w) + b->offset;
}

/* A tensor the table names, checked against the hyperparameters. */
static int bind_one(mv_model *m, const struct binding *b, int layer, char *err) {
    char name[GGUF_MAX_NAME];
    binding_name(m, b, layer, name, sizeof name);
    const tensor *t = file_tensor(&m->file, name);
    if (!t) return b->flags & BIND_OPTIONAL ? MV_OK : fail(err, MV_ERR_FORMAT, "tensor %s is missing", name);
    int64_t want[4] = {1, 1, 1, 1};
    for (int d = 0; d < 3; d++) want[d] = b->dims[d] ? dim_size(&m->hp, b->dims[d]) : 1;
    for (int d = 0; d < 4; d++)
        if (t->ne[d] != want[d])
            return fail(err, MV_ERR_FORMAT, "tensor %s: shape {%lld, %lld, %lld, %lld}, expected {%lld, %lld, %lld, %lld}", name,
                        (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
                        (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
    if (!type_implemented(t->type)) return fail(err, MV_ERR_UNSUPPORTED, "tensor %s: type %s is not supported", name, TYPES[t->type].name);
    char *slot = binding_slot(m, b, layer);
    if (b->flags & BIND_VECTOR) {
        const float *v = (const float *)t->data;
        if (t->type != MV_TYPE_F32) {
            float *copy = malloc((size_t)tensor_n_elements(t) * sizeof *copy);
            if (!copy) return MV_ERR_NOMEM;
            TYPES[t->type].dequantize(t->data, copy, tensor_n_elements(t));
            arrput(m->owned, copy);
            v = copy;
        }
        memcpy(slot, &v, sizeof v);
        return MV_OK;
    }
    if (!DOT_KERNELS[KERNEL_SCALAR][ORDER_VEC][t->type] && b->offset != offsetof(model_weights, tok_embd))
        return fail(err, MV_ERR_UNSUPPORTED, "tensor %s: type %s cannot be used in a matrix product", name, TYPES[t->type].name);
    memcpy(slot, &t, sizeof t);
    return MV_OK;
}

static int bind_weights(mv_model *m, char *err) {
    char embd_name[GGUF_MAX_NAME];
    binding_name(m, &BINDINGS[0], 0, embd_name, sizeof embd_name);
    const tensor *embd = file_tensor(&m->file, embd_name);
    if (embd && embd->ne[0] == m->hp.n_embd) m->hp.n_vocab = (int)embd->ne[1];
    if (m->vocab->n > m->hp.n_vocab && m->hp.n_vocab > 0)
        return fail(err, MV_ERR_FORMAT, "the tokenizer has %d tokens but the model only %d", m->vocab->n, m->hp.n_vocab);
    m->layers = calloc((size_t)m->hp.n_layer, sizeof *m->layers);
    if (!m->layers) return MV_ERR_NOMEM;
    for (size_t i = 0; i < sizeof BINDINGS / sizeof *BINDINGS; i++) {
        const struct binding *b = &BINDINGS[i];
        for (int l = 0; binding_applies(b, &m->hp) && l < (b->flags & BIND_LAYER ? m->hp.n_layer : 1); l++) {
            int rc = bind_one(m, b, l, err);
            if (rc) return rc;
        }
    }
    for (int l = 0; l < m->hp.n_layer; l++) m->layers[l].sliding = layer_slides(&m->hp, l);
    if (!m->w.output && !DOT_KERNELS[KERNEL_SCALAR][ORDER_VEC][m->w.tok_embd->type])
        return fail(err, MV_ERR_UNSUPPORTED, "tensor token_embd.weight: type %s cannot serve as the output head",
                    TYPES[m->w.tok_embd->type].name);
    return MV_OK;
}

void mv_model_free(mv_model *m) {
    if (!m) return;
    for (ptrdiff_t i = 0; i < arrlen(m->owned); i++) free(m->owned[i]);
    arrfree(m->owned);
    free(m->layers);
    vocab_free(m->vocab);
    model_file_free(&m->file);
    free(m);
}

/* The matrices made resident in huge pages at load: those whose panel kernel
   has a layout of its own repacked into it once (as llama.cpp repacks
   them), so that a matrix product reads each thread's rows as one stream;
   the others copied as stored, since streaming a mapped matrix costs a page
   walk per 4 KiB (F16 decode 40% slower here). The mapped pages they came
   from are released; the stored rows stay valid for every other reader. */
static int make_matrices_resident(mv_model *m) {
    resident_matrix *plans = NULL;
    int rc = MV_OK;
    for (size_t i = 0; i < sizeof BINDINGS / sizeof *BINDINGS && !rc; i++) {
        const struct binding *b = &BINDINGS[i];
        if (b->flags & BIND_VECTOR || b->offset == offsetof(model_weights, tok_embd) || !binding_applies(b, &m->hp)) continue;
        for (int l = 0; l < (b->flags & BIND_LAYER ? m->hp.n_layer : 1) && !rc; l++) {
            tensor *t;
            memcpy(&t, binding_slot(m, b, l), sizeof t);
            bool planned = false;
            for (ptrdiff_t j = 0; t && j < arrlen(plans); j++) planned |= plans[j].w == t;
            if (!t || t->panels || planned) continue;
            const panel_kernel *pk = packing_kernel(m, t);
            const file_map *source = tensor_source(&m->file, t);
            if (!pk && !source) continue; /* made at load: resident already */
            resident_matrix r = resident_plan(t, pk, source);
            if ((r.dst = alloc_huge(r.dst_bytes))) arrput(m->file.owned, r.dst), arrput(plans, r);
            else rc = MV_ERR_NOMEM;
        }
    }
    if (!rc) make_resident(plans, arrlen(plans));
    for (ptrdiff_t j = 0; !rc && j < arrlen(plans); j++) {
        tensor *t = (tensor *)plans[j].w; /* the model's own */
        if (plans[j].source) release_pages(plans[j].source, t->data, t->nbytes);
        if (plans[j].pk) t->panels = plans[j].dst;
        else t->data = plans[j].dst;
    }
    arrfree(plans);
    return rc;
}

/* Everything after the weights are open: the tokenizer (from a tokenizer
   file, or from the model's metadata), hyperparameters, bindings, kernels. */
static int model_init(mv_model *m, const mv_model_params *p, const char *tokenizer, char *err) {
    if (!(m->vocab = vocab_new())) return MV_ERR_NOMEM;
    int rc = tokenizer ? vocab_from_file(m->vocab, tokenizer, err) : vocab_from_gguf(m->vocab, &m->file, err);
    if (rc) return rc;
    size_t len;
    const char *arch = meta_string(meta_find(&m->file, "general.architecture"), &len);
    snprintf(m->arch_name, sizeof m->arch_name, "%.*s", arch ? (int)MV_MIN(len, 63) : 0, arch ? arch : "");
    m->hp.n_vocab = m->vocab->n;
    if (!p->vocab_only && ((rc = read_hparams(&m->file, m->vocab->n, &m->hp, err)) || (rc = bind_weights(m, err)))) return rc;
    m->kernel_level = p->scalar_only ? KERNEL_SCALAR : native_kernel_level();
    for (int o = 0; o < ORDERS; o++)
        for (int t = 0; t < MV_TYPE_COUNT; t++) m->dot[o][t] = dot_kernel(m->kernel_level, o, t);
    if (!p->vocab_only && !p->no_repack && (rc = make_matrices_resident(m))) return rc;
    for (ptrdiff_t i = 0; i < arrlen(m->file.tensors); i++) {
        m->n_params += (uint64_t)tensor_n_elements(&m->file.tensors[i]);
        m->weight_bytes += m->file.tensors[i].nbytes;
    }
    return MV_OK;
}

/* What a path holds: a model directory, a tokenizer file alone (a JSON
   object, a SentencePiece protobuf starting with 0x0A, a llama2.c
   tokenizer.bin), a llama2.c checkpoint, or else a GGUF file. */
enum { PATH_GGUF, PATH_DIRECTORY, PATH_TOKENIZER, PATH_LLAMA2C };

static int path_kind(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return PATH_DIRECTORY;
    file_map map;
    if (map_file(path, &map, NULL)) return PATH_GGUF; /* its reader will say why */
    size_t i = 0;
    while (i < map.size && (map.data[i] == ' ' || map.data[i] == '\n' || map.data[i] == '\r' || map.data[i] == '\t')) i++;
    llama2c_header h;
    const int kind = (i < map.size && map.data[i] == '{') || (map.size > 1 && map.data[0] == 0x0A) ||
                     llama2c_tokenizer_count(map.data, map.size) > 0 ? PATH_TOKENIZER
                     : llama2c_header_read(&map, &h) ? PATH_LLAMA2C : PATH_GGUF;
    unmap_file(&map);
    return kind;
}

/* The tokenizer file that comes with a model: tokenizer.json or
   tokenizer.model in a model directory, tokenizer.bin beside a llama2.c
   checkpoint; NULL if there is none. */
static const char *tokenizer_beside(const char *path, int kind, char *buf, size_t size) {
    static const char *const dir_names[] = {"tokenizer.json", "tokenizer.model"};
    const char *slash = strrchr(path, '/');
    for (size_t i = 0; i < (kind == PATH_DIRECTORY ? 2u : kind == PATH_LLAMA2C ? 1u : 0u); i++) {
        if (kind == PATH_DIRECTORY) snprintf(buf, size, "%s/%s", path, dir_names[i]);
        else snprintf(buf, size, "%.*stokenizer.bin", slash ? (int)(slash - path + 1) : 0, path);
        if (access(buf, F_OK) == 0) return buf;
    }
    return NULL;
}

int mv_model_load(const char *path, const mv_model_params *params, mv_model **out, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "", beside[4096];
    if (!out || !path) {
        copy_error(err_out, err_size, "mv_model_load: path and model must not be NULL");
        return MV_ERR_ARG;
    }
    *out = NULL;
    mv_model_params p = params ? *params : mv_model_default_params();
    mv_model *m = calloc(1, sizeof *m);
    const int kind = path_kind(path);
    const char *tokenizer = p.tokenizer ? p.tokenizer : tokenizer_beside(path, kind, beside, sizeof beside);
    int rc = m ? MV_OK : MV_ERR_NOMEM;
    if (!rc && kind == PATH_TOKENIZER) {
        /* a tokenizer file alone: a model without weights */
        rc = (m->vocab = vocab_new()) ? vocab_from_file(m->vocab, path, err) : MV_ERR_NOMEM;
        if (!rc) m->hp.n_vocab = m->vocab->n;
    } else if (!rc) {
        rc = kind == PATH_DIRECTORY ? model_dir_open(&m->file, path, err)
           : kind == PATH_LLAMA2C ? llama2c_open(&m->file, path, err) : model_file_open(&m->file, path, err);
        if (!rc) rc = model_init(m, &p, tokenizer, err);
        if (!rc && kind == PATH_DIRECTORY) rc = vocab_read_generation_config(m->vocab, path, MV_MAX(m->vocab->n, m->hp.n_vocab), err);
    }
    if (rc) {
        if (rc == MV_ERR_NOMEM && !err[0]) snprintf(err, sizeof err, "%s: out of memory", path);
        copy_error(err_out, err_size, err);
        mv_model_free(m);
        return rc;
    }
    *out = m;
    return MV_OK;
}

const char *mv_model_arch(const mv_model *m) { return m->arch_name; }
const char *mv_model_format(const mv_model *m) { return m->file.format ? m->file.format : "tokenizer"; }
int mv_model_n_vocab(const mv_model *m) { return m->hp.n_vocab; }
int mv_model_n_embd(const mv_model *m) { return m->hp.n_embd; }
int mv_model_n_layer(const mv_model *m) { return m->hp.n_layer; }
int mv_model_n_ctx_train(const mv_model *m) { return m->hp.n_ctx_train; }
uint64_t mv_model_n_params(const mv_model *m) { return m->n_params; }
uint64_t mv_model_weight_bytes(const mv_model *m) { return m->weight_bytes; }
const char *mv_model_kernels(const mv_model *m) { return KERNEL_NAMES[m->kernel_level]; }
int mv_model_meta_count(const mv_model *m) { return (int)arrlen(m->file.kvs); }

const char *mv_model_meta_key(const mv_model *m, int i) {
    return i >= 0 && i < arrlen(m->file.kvs) ? m->file.kvs[i].key : NULL;
}

int mv_model_meta_value(const mv_model *m, const char *key, char *buf, size_t size) {
    const meta_kv *kv = meta_find(&m->file, key);
    if (!kv) return -1;
    char *text = NULL;
    const uint8_t *p = kv->record + 8 + strlen(kv->key) + 4; /* past key and type */
    meta_render_value(&text, kv->type, &p, 16);
    int n = (int)arrlen(text);
    if (buf && size) snprintf(buf, size, "%.*s", n, text ? text : "");
    arrfree(text);
    return n;
}

int mv_model_n_tensors(const mv_model *m) { return (int)arrlen(m->file.tensors); }

int mv_model_tensor(const mv_model *m, int i, mv_tensor_info *info) {
    if (i < 0 || i >= arrlen(m->file.tensors) || !info) return MV_ERR_ARG;
    const tensor *t = &m->file.tensors[i];
    info->name = t->name;
    info->type = (mv_type)t->type;
    info->n_dims = t->n_dims;
    memcpy(info->ne, t->ne, sizeof info->ne);
    info->offset = t->offset;
    info->nbytes = t->nbytes;
    return MV_OK;
}

int mv_tokenize(const mv_model *m, const char *text, int len, mv_token *tokens, int n_max, int flags) {
    if (!m || !text) return MV_ERR_ARG;
    int32_t *ids = NULL;
    int rc = vocab_encode(m->vocab, text, len < 0 ? strlen(text) : (size_t)len, flags, &ids, NULL);
    int n = (int)arrlen(ids);
    if (rc == MV_OK && tokens && n && n_max > 0) memcpy(tokens, ids, (size_t)MV_MIN(n, n_max) * sizeof *ids);
    arrfree(ids);
    return rc ? rc : n;
}

/* Copies an stb_ds string out like snprintf (the full length is returned) and frees it. */
static int copy_out(char *text, char *buf, int size) {
    if (!text) {
        if (buf && size > 0) buf[0] = 0;
        return 0;
    }
    int n = (int)arrlen(text);
    if (buf && size > 0) {
        memcpy(buf, text, (size_t)MV_MIN(n, size));
        if (n < size) buf[n] = 0;
    }
    arrfree(text);
    return n;
}

int mv_token_to_piece(const mv_model *m, mv_token token, char *buf, int size, int special) {
    if (!m || token < 0 || token >= m->vocab->n) return MV_ERR_ARG;
    char *text = NULL;
    vocab_piece(m->vocab, token, special, &text);
    return copy_out(text, buf, size);
}

int mv_detokenize(const mv_model *m, const mv_token *tokens, int n, char *buf, int size, int special) {
    if (!m || (!tokens && n)) return MV_ERR_ARG;
    const vocab *v = m->vocab;
    char *text = NULL;
    for (int i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= v->n) {
            arrfree(text);
            return MV_ERR_ARG;
        }
        vocab_piece(v, tokens[i], special, &text);
    }
    if (v->strip_space && arrlen(text) && text[0] == ' ') { /* the space the tokenizer put before the first word */
        memmove(text, text + 1, (size_t)arrlen(text) - 1);
        arrsetlen(text, arrlen(text) - 1);
    }
    return copy_out(text, buf, size);
}

mv_token mv_token_bos(const mv_model *m) { return m->vocab->bos; }
mv_token mv_token_eos(const mv_model *m) { return m->vocab->eos; }

int mv_token_is_end(const mv_model *m, mv_token t) {
    for (ptrdiff_t i = 0; i < arrlen(m->vocab->end); i++)
        if (t == m->vocab->end[i]) return 1;
    return t >= 0 && (t == m->vocab->eos || t == m->vocab->eot);
}

mv_context_params mv_context_default_params(void) {
    return (mv_context_params){.n_ctx = 0, .n_batch = 512, .n_threads = 0, .n_seq = 1, .kv_type = MV_TYPE_F16};
}

void mv_context_free(mv_context *ctx) {
    if (!ctx) return;
    kv_free(&ctx->kv);
    void *buffers[] = {ctx->x, ctx->xn, ctx->q, ctx->k, ctx->v, ctx->att, ctx->tmp, ctx->gate, ctx->up, ctx->rope, ctx->att_scores,
                       ctx->logits, ctx->act, ctx->router, ctx->moe_weight, ctx->moe_in, ctx->moe_out, ctx->moe_sel, ctx->moe_slot,
                       ctx->expert_hits};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++) free(buffers[i]);
    free(ctx->act_d), free(ctx->act_c), free(ctx->panel_scratch);
    arrfree(ctx->pos);
    arrfree(ctx->seq);
    free(ctx);
}

int mv_context_create(mv_model *m, const mv_context_params *params, mv_context **out, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    if (!m || !out) {
        copy_error(err_out, err_size, "mv_context_create: model and context must not be NULL");
        return MV_ERR_ARG;
    }
    *out = NULL;
    if (!m->layers) {
        copy_error(err_out, err_size, "the model was loaded without weights (vocab_only)");
        return MV_ERR_ARG;
    }
    mv_context_params p = params ? *params : mv_context_default_params();
    const hparams *hp = &m->hp;
    if (p.n_ctx <= 0) p.n_ctx = MV_MIN(hp->n_ctx_train, 4096);
    if (p.n_threads <= 0) p.n_threads = default_thread_count();
    if (p.n_batch <= 0) p.n_batch = 512;
    if (p.n_seq <= 0) p.n_seq = 1;
    if (p.n_ctx > (1 << 24) || p.n_seq > 256 || p.n_threads > 1024 || p.n_batch > (1 << 16) ||
        (p.kv_type != MV_TYPE_F32 && p.kv_type != MV_TYPE_F16 && p.kv_type != MV_TYPE_Q8_0)) {
        copy_error(err_out, err_size, "mv_context_create: n_ctx, n_seq, n_threads, n_batch or kv_type out of range");
        return MV_ERR_ARG;
    }
    if (p.kv_type == MV_TYPE_Q8_0 && (hp->head_dim % QK || hp->head_dim_v % QK || hp->head_dim > 1024)) {
        char msg[MV_ERROR_SIZE];
        snprintf(msg, sizeof msg, "mv_context_create: a Q8_0 KV cache needs heads of a multiple of 32 elements (this model's: %d, %d)",
                 hp->head_dim, hp->head_dim_v);
        copy_error(err_out, err_size, msg);
        return MV_ERR_ARG;
    }
    p.n_batch = MV_MIN(p.n_batch, p.n_ctx);
    mv_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return MV_ERR_NOMEM;
    ctx->model = m;
    ctx->params = p;
    const size_t B = (size_t)p.n_batch, E = (size_t)hp->n_embd, F = (size_t)MV_MAX(hp->n_ff, hp->n_ff_exp);
    const size_t nq = (size_t)hp->n_head * hp->head_dim, nk = (size_t)hp->n_head_kv * hp->head_dim;
    const size_t nv = (size_t)hp->n_head_kv * hp->head_dim_v, natt = (size_t)hp->n_head * hp->head_dim_v;
    const size_t widest = MV_MAX(MV_MAX(E, F), natt);
    ctx->x = alloc_aligned(B * E * 4), ctx->xn = alloc_aligned(B * E * 4), ctx->tmp = alloc_aligned(B * E * 4);
    ctx->q = alloc_aligned(B * nq * 4), ctx->k = alloc_aligned(B * nk * 4), ctx->v = alloc_aligned(B * nv * 4);
    ctx->att = alloc_aligned(B * natt * 4), ctx->gate = alloc_aligned(B * F * 4), ctx->up = alloc_aligned(B * F * 4);
    ctx->rope = alloc_aligned(B * (size_t)MV_MAX(hp->n_rot, 1) * 4);
    ctx->att_scores = alloc_aligned((size_t)p.n_threads * attention_scratch_floats(hp, p.n_ctx) * sizeof(float));
    ctx->act = alloc_aligned(B * MV_MAX(row_bytes(MV_TYPE_Q8_1, (int64_t)(widest + QK - 1) / QK * QK), widest * 2));
    /* the panel kernels' side data of the activations, and their scratch */
    const size_t blocks = (widest + QK - 1) / QK;
    ctx->act_d = calloc(panel_d_count((int)B, (int)(blocks * QK)), sizeof(float));
    ctx->act_c = alloc_aligned(B * blocks * 8 * sizeof(int32_t));
    ctx->panel_scratch = alloc_aligned((size_t)p.n_threads * PANEL_SCRATCH);
    int rc = ctx->x && ctx->xn && ctx->tmp && ctx->q && ctx->k && ctx->v && ctx->att && ctx->gate && ctx->up &&
             ctx->rope && ctx->att_scores && ctx->act && ctx->act_d && ctx->act_c && ctx->panel_scratch ? MV_OK : MV_ERR_NOMEM;
    if (!rc && hp->n_expert) {
        const size_t K = (size_t)hp->n_expert_used;
        ctx->router = alloc_aligned(B * (size_t)hp->n_expert * 4), ctx->moe_weight = alloc_aligned(B * K * 4);
        ctx->moe_in = alloc_aligned(B * E * 4), ctx->moe_out = alloc_aligned(B * K * E * 4);
        ctx->moe_sel = alloc_aligned(B * K * 4), ctx->moe_slot = alloc_aligned(B * 4);
        ctx->expert_hits = calloc((size_t)hp->n_layer * (size_t)hp->n_expert, sizeof *ctx->expert_hits);
        if (!ctx->router || !ctx->moe_weight || !ctx->moe_in || !ctx->moe_out || !ctx->moe_sel || !ctx->moe_slot || !ctx->expert_hits)
            rc = MV_ERR_NOMEM;
    }
    bool *sliding = calloc((size_t)hp->n_layer, sizeof *sliding);
    for (int l = 0; sliding && l < hp->n_layer; l++) sliding[l] = m->layers[l].sliding;
    if (!rc) rc = sliding ? kv_init(&ctx->kv, hp, sliding, p.kv_type, p.n_ctx, p.n_seq, p.n_batch) : MV_ERR_NOMEM;
    free(sliding);
    if (rc) {
        snprintf(err, sizeof err, "out of memory creating a context of %d positions", p.n_ctx);
        copy_error(err_out, err_size, err);
        mv_context_free(ctx);
        return rc;
    }
    *out = ctx;
    return MV_OK;
}

const char *mv_context_error(const mv_context *ctx) { return ctx->error; }
const mv_model *mv_context_model(const mv_context *ctx) { return ctx->model; }

int mv_decode(mv_context *ctx, const mv_batch *b) {
    if (!ctx) return MV_ERR_ARG;
    ctx->error[0] = 0;
    ctx->n_outputs = 0;
    if (!b || b->n_tokens <= 0 || !b->tokens) return fail(ctx->error, MV_ERR_ARG, "mv_decode: empty batch");
    const int n = b->n_tokens, n_seq = ctx->params.n_seq, n_vocab = ctx->model->hp.n_vocab;
    int32_t length[256], last[256];
    memcpy(length, ctx->kv.length, (size_t)n_seq * sizeof *length);
    for (int s = 0; s < n_seq; s++) last[s] = -1;
    arrsetlen(ctx->pos, n);
    arrsetlen(ctx->seq, n);
    int8_t *want = NULL;
    arrsetlen(want, n);
    int n_out = 0;
    for (int i = 0; i < n; i++) {
        const int s = b->seq_id ? b->seq_id[i] : 0;
        if (b->tokens[i] < 0 || b->tokens[i] >= n_vocab) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_ARG, "mv_decode: token %d (batch index %d) is not in the vocabulary of %d", b->tokens[i], i, n_vocab);
        }
        if (s < 0 || s >= n_seq) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_ARG, "mv_decode: sequence %d (batch index %d) is not in [0, %d)", s, i, n_seq);
        }
        const int p = b->pos ? b->pos[i] : length[s];
        if (p < 0 || p > length[s] || p <= last[s]) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_ARG, "mv_decode: position %d (batch index %d) does not continue sequence %d of length %d",
                        p, i, s, length[s]);
        }
        if (p < length[s] && !kv_can_continue_at(&ctx->kv, s, p, ctx->model->hp.n_swa)) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_ARG, "mv_decode: position %d of sequence %d: the sliding-window cache no longer holds the "
                        "window before it (rewind to 0 and evaluate again)", p, s);
        }
        if (p >= ctx->params.n_ctx) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_CONTEXT_FULL, "mv_decode: position %d of sequence %d is past the context of %d", p, s,
                        ctx->params.n_ctx);
        }
        length[s] = p + 1, last[s] = p;
        ctx->pos[i] = p, ctx->seq[i] = s;
        want[i] = (int8_t)(b->logits ? b->logits[i] != 0 : i == n - 1);
        n_out += want[i];
    }
    if ((size_t)n_out > ctx->logits_cap) {
        float *l = realloc(ctx->logits, (size_t)n_out * (size_t)n_vocab * sizeof *l);
        if (!l) {
            arrfree(want);
            return fail(ctx->error, MV_ERR_NOMEM, "mv_decode: out of memory for %d rows of logits", n_out);
        }
        ctx->logits = l, ctx->logits_cap = (size_t)n_out;
    }
    for (int i = 0; i < n; i++)
        if (ctx->pos[i] < ctx->kv.length[ctx->seq[i]]) kv_keep(&ctx->kv, ctx->seq[i], ctx->pos[i]);
    memcpy(ctx->kv.length, length, (size_t)n_seq * sizeof *length);
    float *logits = ctx->logits;
    for (int i0 = 0; i0 < n; i0 += ctx->params.n_batch) {
        const int nb = MV_MIN(ctx->params.n_batch, n - i0);
        forward(ctx, b->tokens + i0, ctx->pos + i0, ctx->seq + i0, nb, want + i0, logits);
        for (int i = i0; i < i0 + nb; i++) logits += want[i] ? n_vocab : 0;
    }
    arrfree(want);
    ctx->n_outputs = n_out;
    return MV_OK;
}

const float *mv_get_logits(mv_context *ctx, int i) {
    if (i < 0) i = ctx->n_outputs - 1;
    if (i < 0 || i >= ctx->n_outputs) return NULL;
    return ctx->logits + (size_t)i * (size_t)ctx->model->hp.n_vocab;
}

int mv_n_outputs(const mv_context *ctx) { return ctx->n_outputs; }

int mv_expert_counts(const mv_context *ctx, int layer, uint64_t *counts) {
    const hparams *hp = &ctx->model->hp;
    if (layer < 0 || layer >= hp->n_layer) return MV_ERR_ARG;
    if (hp->n_expert && counts) memcpy(counts, ctx->expert_hits + (size_t)layer * hp->n_expert, (size_t)hp->n_expert * sizeof *counts);
    return hp->n_expert;
}

int mv_kv_length(const mv_context *ctx, int seq) {
    return seq >= 0 && seq < ctx->params.n_seq ? ctx->kv.length[seq] : MV_ERR_ARG;
}

int mv_kv_truncate(mv_context *ctx, int seq, int n_keep) {
    if (seq < -1 || seq >= ctx->params.n_seq || n_keep < 0) return MV_ERR_ARG;
    for (int s = 0; s < ctx->params.n_seq; s++)
        if ((seq < 0 || s == seq) && ctx->kv.length[s] > n_keep && !kv_can_continue_at(&ctx->kv, s, n_keep, ctx->model->hp.n_swa))
            return fail(ctx->error, MV_ERR_ARG, "mv_kv_truncate: sequence %d cannot go back to %d: the sliding-window cache no longer "
                        "holds the window before it", s, n_keep);
    for (int s = 0; s < ctx->params.n_seq; s++)
        if ((seq < 0 || s == seq) && ctx->kv.length[s] > n_keep) kv_keep(&ctx->kv, s, n_keep);
    return MV_OK;
}

/* Sends the complete UTF-8 text of pending to the callback; returns its wish to stop. */
static int emit_text(char **pending, bool final, mv_token token, mv_piece_fn on_piece, void *user) {
    if (!arrlen(*pending)) return 0;
    char *text = NULL;
    size_t used = utf8_take_complete(*pending, (size_t)arrlen(*pending), final, &text);
    memmove(*pending, *pending + used, (size_t)arrlen(*pending) - used);
    arrsetlen(*pending, arrlen(*pending) - (ptrdiff_t)used);
    int stop = 0;
    if (arrlen(text) && on_piece) stop = on_piece(text, (int)arrlen(text), token, user);
    arrfree(text);
    return stop;
}

int mv_generate(mv_context *ctx, mv_sampler *sampler, const char *prompt, int n_predict,
                mv_piece_fn on_piece, void *user, mv_generate_stats *stats) {
    if (!ctx || !sampler || !prompt) return MV_ERR_ARG;
    const mv_model *m = ctx->model;
    const double t0 = now_seconds();
    mv_generate_stats st = {0};
    int32_t *ids = NULL;
    int flags = mv_kv_length(ctx, 0) == 0 ? MV_TOKENIZE_ADD_SPECIAL : 0;
    int rc = vocab_encode(m->vocab, prompt, strlen(prompt), flags, &ids, ctx->error);
    if (!rc && !arrlen(ids)) rc = fail(ctx->error, MV_ERR_ARG, "mv_generate: the prompt has no tokens");
    if (!rc && mv_kv_length(ctx, 0) + arrlen(ids) > ctx->params.n_ctx)
        rc = fail(ctx->error, MV_ERR_CONTEXT_FULL, "mv_generate: a prompt of %d tokens does not fit the context of %d",
                  (int)arrlen(ids), ctx->params.n_ctx);
    if (rc) {
        arrfree(ids);
        return rc;
    }
    for (ptrdiff_t i = 0; i < arrlen(ids); i++) mv_sampler_accept(sampler, ids[i]);
    st.n_prompt = (int)arrlen(ids);
    rc = mv_decode(ctx, &(mv_batch){.n_tokens = st.n_prompt, .tokens = ids});
    arrfree(ids);
    const double t1 = now_seconds();
    st.prompt_seconds = t1 - t0;
    char *pending = NULL;
    mv_token token = -1;
    for (int i = 0; rc == MV_OK && i < n_predict; i++) {
        token = mv_sampler_sample(sampler, mv_get_logits(ctx, -1), m->hp.n_vocab);
        if (i == 0) st.first_token_seconds = now_seconds() - t0;
        if (token < 0 || mv_token_is_end(m, token)) break;
        st.n_generated++;
        if (token < m->vocab->n) vocab_piece(m->vocab, token, false, &pending);
        if (emit_text(&pending, false, token, on_piece, user)) break;
        if (i + 1 == n_predict) break;
        if (mv_kv_length(ctx, 0) >= ctx->params.n_ctx) break; /* the context is full */
        rc = mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = &token});
    }
    if (arrlen(pending)) emit_text(&pending, true, token, on_piece, user);
    arrfree(pending);
    st.generate_seconds = now_seconds() - t1;
    if (stats) *stats = st;
    return rc;
}

/* ---- chat ---- */

const char *mv_chat_template(const mv_model *m) { return m ? m->vocab->chat_template : NULL; }

/* A context object with the model's BOS and EOS texts in front, which keys
   of the context itself (later, so they win) override. */
static char *context_with_defaults(const mv_model *m, const char *context_json) {
    char *text = NULL;
    const char *p = context_json;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (!m || *p != '{') return buf_append(&text, context_json, strlen(context_json) + 1), text;
    buf_append(&text, "{", 1);
    const int32_t ids[2] = {m->vocab->bos, m->vocab->eos};
    static const char *const keys[2] = {"\"bos_token\": ", "\"eos_token\": "};
    for (int i = 0; i < 2; i++)
        if (ids[i] >= 0) {
            buf_append(&text, keys[i], strlen(keys[i]));
            json_write_string(&text, m->vocab->text[ids[i]], m->vocab->len[ids[i]]);
            buf_append(&text, ", ", 2);
        }
    const char *rest = p + 1;
    while (*rest == ' ' || *rest == '\n' || *rest == '\r' || *rest == '\t') rest++;
    if (*rest == '}' && arrlen(text) > 1) arrsetlen(text, arrlen(text) - 2); /* no trailing comma before an empty object's end */
    buf_append(&text, rest, strlen(rest) + 1);
    return text;
}

int mv_chat_render(const mv_model *m, const char *tmpl, const char *context_json, const char *now, char **out, char *err_out,
                   size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    if (!out || !context_json) return copy_error(err_out, err_size, "mv_chat_render: context and out must not be NULL"), MV_ERR_ARG;
    *out = NULL;
    if (!tmpl) tmpl = mv_chat_template(m);
    if (!tmpl) return copy_error(err_out, err_size, "the model has no chat template"), MV_ERR_ARG;
    char *text = context_with_defaults(m, context_json);
    json_doc doc;
    size_t len;
    int rc = json_parse(text, strlen(text), &doc, err);
    if (!rc) {
        rc = template_render(tmpl, strlen(tmpl), &doc.root, now, out, &len, err);
        json_free(&doc);
    }
    arrfree(text);
    if (rc) copy_error(err_out, err_size, err);
    return rc;
}

struct mv_harmony {
    harmony_parser p;
};

void mv_harmony_free(mv_harmony *h) {
    if (!h) return;
    harmony_parser_free(&h->p);
    free(h);
}

mv_harmony *mv_harmony_create(const char *role) {
    mv_harmony *h = calloc(1, sizeof *h);
    if (h && harmony_parser_init(&h->p, role, false) != MV_OK) {
        mv_harmony_free(h);
        return NULL;
    }
    return h;
}

int mv_harmony_feed(mv_harmony *h, const char *text, int len) {
    return harmony_parser_feed(&h->p, text, len < 0 ? strlen(text) : (size_t)len, NULL);
}

int mv_harmony_feed_token(mv_harmony *h, const char *text, int len, int special) {
    return harmony_parser_feed_token(&h->p, text, len < 0 ? strlen(text) : (size_t)len, special != 0, NULL);
}

int mv_harmony_finish(mv_harmony *h) { return harmony_parser_finish(&h->p, NULL); }

int mv_harmony_count(const mv_harmony *h) { return (int)harmony_parser_count(&h->p) + (harmony_parser_current(&h->p) != NULL); }

int mv_harmony_get(const mv_harmony *h, int i, mv_harmony_message *out) {
    const int done = (int)harmony_parser_count(&h->p);
    const harmony_message *m = i >= 0 && i < done ? &h->p.messages[i] : i == done ? harmony_parser_current(&h->p) : NULL;
    if (!m || !out) return MV_ERR_ARG;
    *out = (mv_harmony_message){m->role, m->name, m->channel, m->recipient, m->content_type, m->content ? m->content : "", i < done};
    return MV_OK;
}

const char *mv_harmony_error(const mv_harmony *h) { return h->p.error ? h->p.error_msg : ""; }

/* ============================================================================
   14. model writer — random-weight models; quantized copies of models
   ============================================================================ */

typedef struct {
    const char *name;
    int arch;
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
    int n_expert, n_expert_used, n_ff_exp, n_swa;
} model_shape;

static const model_shape SHAPES[] = {
    {"demo", ARCH_LLAMA, 1024, 128, 2, 4, 2, 32, 384, 512, 0, 0, 0, 0},
    {"tinyllama-1.1b", ARCH_LLAMA, 32000, 2048, 22, 32, 4, 64, 5632, 2048, 0, 0, 0, 0},
    {"llama-3b", ARCH_LLAMA, 32000, 3072, 26, 24, 8, 128, 8192, 4096, 0, 0, 0, 0},
    {"llama-7b", ARCH_LLAMA, 32000, 4096, 32, 32, 32, 128, 11008, 4096, 0, 0, 0, 0},
    {"mistral-7b", ARCH_LLAMA, 32000, 4096, 32, 32, 8, 128, 14336, 32768, 0, 0, 0, 0},
    {"moe-demo", ARCH_QWEN3MOE, 1024, 128, 2, 4, 2, 32, 384, 512, 8, 2, 96, 0},
    {"qwen3moe-30b-a3b", ARCH_QWEN3MOE, 151936, 2048, 48, 32, 4, 128, 6144, 40960, 128, 8, 768, 0},
    {"gpt-oss-demo", ARCH_GPT_OSS, 1024, 256, 4, 8, 2, 64, 256, 4096, 8, 2, 256, 16},
    {"gpt-oss-6l", ARCH_GPT_OSS, 201088, 2880, 6, 64, 8, 64, 2880, 131072, 32, 4, 2880, 128},
    /* dense, with gpt-oss-6l's active parameters: its 4 experts a token as one FFN */
    {"gpt-oss-6l-dense", ARCH_LLAMA, 201088, 2880, 6, 64, 8, 64, 4 * 2880, 131072, 0, 0, 0, 0},
    {"gpt-oss-20b", ARCH_GPT_OSS, 201088, 2880, 24, 64, 8, 64, 2880, 131072, 32, 4, 2880, 128},
    {"gpt-oss-120b", ARCH_GPT_OSS, 201088, 2880, 36, 64, 8, 64, 2880, 131072, 128, 4, 2880, 128},
};

/* Experts only where the architecture takes them (Llama's Mixtral form,
   Qwen3-MoE, GPT-OSS); a window for GPT-OSS, which always has one. */
static bool arch_fits_shape(int arch, const model_shape *s) {
    const bool takes_experts = arch == ARCH_LLAMA || arch == ARCH_QWEN3MOE || arch == ARCH_GPT_OSS;
    const bool needs_experts = arch == ARCH_QWEN3MOE || arch == ARCH_GPT_OSS;
    return (arch == ARCH_GPT_OSS) == (s->n_swa > 0) && (s->n_expert ? takes_experts : !needs_experts);
}

/* The hyperparameters a shape gives an architecture. */
static hparams shape_hparams(const model_shape *s, int arch) {
    return (hparams){.arch = arch, .n_vocab = s->n_vocab, .n_embd = s->n_embd, .n_layer = s->n_layer, .n_ff = s->n_ff,
                     .n_head = s->n_head, .n_head_kv = s->n_head_kv, .head_dim = s->head_dim, .head_dim_v = s->head_dim,
                     .n_rot = s->head_dim, .n_expert = s->n_expert, .n_expert_used = s->n_expert_used,
                     .n_ff_exp = arch == ARCH_LLAMA ? s->n_ff : s->n_ff_exp,
                     .n_swa = s->n_swa};
}

mv_make_model_params mv_make_model_default_params(void) {
    return (mv_make_model_params){.arch = NULL, .shape = "demo", .type = "F32", .seed = 42};
}

/* A SentencePiece vocabulary that tokenizes any text: <unk> <s> </s>, the
   256 byte tokens, single printable characters, then "▁x", "xy", "▁xy",
   "xyz", "▁xyz"... of lowercase letters, scored so shorter pieces merge first. */
typedef struct {
    char **text;     /* stb_ds of owned strings */
    uint32_t *len;
    float *score;
    int32_t *type;
} synthetic_vocab;

static void synth_add(synthetic_vocab *v, const char *s, int type) {
    arrput(v->text, strdup(s));
    arrput(v->len, (uint32_t)strlen(s));
    arrput(v->score, (float)-arrlen(v->score));
    arrput(v->type, type);
}

static void synth_words(synthetic_vocab *v, int n_vocab, int letters, bool space) {
    int count = 1;
    for (int i = 0; i < letters; i++) count *= 26;
    for (int w = 0; w < count && arrlen(v->text) < n_vocab; w++) {
        char s[16] = "";
        int at = space ? 3 : 0, x = w;
        if (space) memcpy(s, "\xE2\x96\x81", 3);
        for (int i = letters - 1; i >= 0; i--) s[at + i] = (char)('a' + x % 26), x /= 26;
        s[at + letters] = 0;
        synth_add(v, s, TOKEN_NORMAL);
    }
}

static void synthetic_vocab_make(synthetic_vocab *v, int n_vocab) {
    memset(v, 0, sizeof *v);
    synth_add(v, "<unk>", TOKEN_UNKNOWN);
    synth_add(v, "<s>", TOKEN_CONTROL);
    synth_add(v, "</s>", TOKEN_CONTROL);
    for (int b = 0; b < 256; b++) {
        char s[8];
        snprintf(s, sizeof s, "<0x%02X>", b);
        synth_add(v, s, TOKEN_BYTE);
    }
    synth_add(v, "\xE2\x96\x81", TOKEN_NORMAL);
    for (int c = 0x21; c < 0x7F; c++) synth_add(v, (char[]){(char)c, 0}, TOKEN_NORMAL);
    for (int c = 0; c < 52 && arrlen(v->text) < n_vocab; c++)
        synth_add(v, (char[]){'\xE2', '\x96', '\x81', (char)(c < 26 ? 'a' + c : 'A' + c - 26), 0}, TOKEN_NORMAL);
    for (int letters = 2; arrlen(v->text) < n_vocab; letters++) {
        synth_words(v, n_vocab, letters, false);
        synth_words(v, n_vocab, letters, true);
    }
    for (ptrdiff_t i = n_vocab; i < arrlen(v->text); i++) free(v->text[i]);
    if (arrlen(v->text) > n_vocab) {
        arrsetlen(v->text, n_vocab);
        arrsetlen(v->len, n_vocab);
        arrsetlen(v->score, n_vocab);
        arrsetlen(v->type, n_vocab);
    }
}

static void synthetic_vocab_free(synthetic_vocab *v) {
    for (ptrdiff_t i = 0; i < arrlen(v->text); i++) free(v->text[i]);
    arrfree(v->text);
    arrfree(v->len);
    arrfree(v->score);
    arrfree(v->type);
}

/* A standard normal number (Box-Muller). */
static float random_normal(uint64_t *state) {
    double u = random_unit(state), w = random_unit(state);
    return (float)(sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * w));
}

/* Tensors are written in slabs of rows, so a 7B model never sits in memory as f32. */
#define SLAB_ELEMENTS ((int64_t)1 << 24)
typedef struct { float *f32; uint8_t *packed; } row_slabs;

static int row_slabs_init(row_slabs *s, const char *path, char *err) {
    s->f32 = malloc((size_t)SLAB_ELEMENTS * sizeof *s->f32);
    s->packed = malloc(row_bytes(MV_TYPE_F32, SLAB_ELEMENTS));
    return s->f32 && s->packed ? MV_OK : fail(err, MV_ERR_NOMEM, "%s: out of memory", path);
}

static void row_slabs_free(row_slabs *s) {
    free(s->f32);
    free(s->packed);
    memset(s, 0, sizeof *s);
}

/* Rows [r0, r1) of n elements of tensor `index` of a source, as f32. */
typedef void (*row_fill)(const void *source, int index, float *out, int64_t r0, int64_t r1, int64_t n, int nt);

/* Writes tensor t's data: its rows as fill makes them, quantized to t's type. */
static int gw_rows(gguf_writer *w, const writer_tensor *t, row_fill fill, const void *source, int index, row_slabs *s, int nt,
                   char *err) {
    const int64_t n = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3], slab = MV_MAX(1, SLAB_ELEMENTS / n);
    const size_t rb = row_bytes(t->type, n);
    if (n > SLAB_ELEMENTS) return fail(err, MV_ERR_UNSUPPORTED, "tensor %s: rows of %lld elements are too long", t->name, (long long)n);
    int rc = MV_OK;
    for (int64_t r0 = 0; !rc && r0 < rows; r0 += slab) {
        const int64_t r1 = MV_MIN(rows, r0 + slab);
        fill(source, index, s->f32, r0, r1, n, nt);
        MV_PARALLEL_FOR(nt)
        for (int64_t r = r0; r < r1; r++) TYPES[t->type].quantize(s->f32 + (size_t)(r - r0) * (size_t)n, s->packed + (size_t)(r - r0) * rb, n);
        rc = gw_tensor_data(w, s->packed, (size_t)(r1 - r0) * rb, err);
    }
    return rc;
}

/* Random weights: N(0,1)/sqrt(fan_in), or 1 + 0.1·N(0,1) for norms. Each row
   has its own random stream, so threads do not matter. */
typedef struct { uint64_t seed; const gguf_writer *w; } random_source;

static void random_tensor_rows(const void *source, int index, float *out, int64_t r0, int64_t r1, int64_t n, int nt) {
    const random_source *src = source;
    const char *name = src->w->tensors[index].name;
    const size_t len = strlen(name);
    /* norms near 1; other vectors (biases, sinks) small; matrices N(0,1)/sqrt(fan_in) */
    const bool norm = strstr(name, "norm") != NULL;
    const bool vector = norm || src->w->tensors[index].n_dims == 1 || (len > 5 && !strcmp(name + len - 5, ".bias"));
    MV_PARALLEL_FOR(nt)
    for (int64_t r = r0; r < r1; r++) {
        uint64_t state = src->seed ^ ((uint64_t)index << 40) ^ (uint64_t)r * 0x9E3779B97F4A7C15ull;
        float *row = out + (size_t)(r - r0) * (size_t)n;
        const float scale = vector ? 0.1f : 1.0f / sqrtf((float)n);
        for (int64_t i = 0; i < n; i++) row[i] = (norm ? 1.0f : 0.0f) + scale * random_normal(&state);
    }
}
/* ---- the types of a written model: one type, or llama.cpp's mixtures ----
   Every 2-D weight is written in one type ("Q4_K"), or each in the type a
   llama.cpp mixture picks for it by role, layer and shape ("Q4_K_M",
   "mix-Q4_0"); llama.cpp's rules (llama-quant.cpp) are followed so that
   files agree tensor for tensor. */

/* llama.cpp's file types (general.file_type), which name the mixtures. */
enum {
    FT_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9, FT_Q2_K = 10,
    FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14, FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q5_K_M = 17,
    FT_Q6_K = 18, FT_Q2_K_S = 21, FT_IQ4_NL = 25, FT_IQ4_XS = 30, FT_BF16 = 32, FT_TQ1_0 = 36, FT_TQ2_0 = 37,
    FT_MXFP4_MOE = 38
};

static const struct { const char *name; int file_type, base; } MIXTURES[] = {
    {"F32", FT_F32, MV_TYPE_F32}, {"F16", FT_F16, MV_TYPE_F16}, {"BF16", FT_BF16, MV_TYPE_BF16},
    {"Q4_0", FT_Q4_0, MV_TYPE_Q4_0}, {"Q4_1", FT_Q4_1, MV_TYPE_Q4_1}, {"Q5_0", FT_Q5_0, MV_TYPE_Q5_0},
    {"Q5_1", FT_Q5_1, MV_TYPE_Q5_1}, {"Q8_0", FT_Q8_0, MV_TYPE_Q8_0}, {"Q2_K", FT_Q2_K, MV_TYPE_Q2_K},
    {"Q2_K_S", FT_Q2_K_S, MV_TYPE_Q2_K}, {"Q3_K_M", FT_Q3_K_M, MV_TYPE_Q3_K}, {"Q3_K_S", FT_Q3_K_S, MV_TYPE_Q3_K},
    {"Q3_K_L", FT_Q3_K_L, MV_TYPE_Q3_K}, {"Q4_K_M", FT_Q4_K_M, MV_TYPE_Q4_K}, {"Q4_K_S", FT_Q4_K_S, MV_TYPE_Q4_K},
    {"Q5_K_M", FT_Q5_K_M, MV_TYPE_Q5_K}, {"Q5_K_S", FT_Q5_K_S, MV_TYPE_Q5_K}, {"Q6_K", FT_Q6_K, MV_TYPE_Q6_K},
    {"IQ4_NL", FT_IQ4_NL, MV_TYPE_IQ4_NL}, {"IQ4_XS", FT_IQ4_XS, MV_TYPE_IQ4_XS}, {"TQ1_0", FT_TQ1_0, MV_TYPE_TQ1_0},
    {"TQ2_0", FT_TQ2_0, MV_TYPE_TQ2_0}, {"MXFP4_MOE", FT_MXFP4_MOE, MV_TYPE_MXFP4},
};
#define N_MIXTURES (int)(sizeof MIXTURES / sizeof *MIXTURES)

/* The file type of a file whose weights are mostly `type`: the first mixture with that base. */
static int file_type_of(int type) {
    for (int i = 0; i < N_MIXTURES; i++)
        if (MIXTURES[i].base == type) return MIXTURES[i].file_type;
    return FT_F32;
}

/* A type the rows of n elements cannot hold becomes the nearest one they can
   (llama.cpp's fallbacks), else F16. */
static int fallback_type(int type, int64_t n) {
    if (n % TYPES[type].block_size == 0) return type;
    switch (type) {
    case MV_TYPE_IQ4_XS: type = MV_TYPE_IQ4_NL; break;
    case MV_TYPE_Q2_K: case MV_TYPE_Q3_K: case MV_TYPE_TQ1_0: case MV_TYPE_TQ2_0: type = MV_TYPE_Q4_0; break;
    case MV_TYPE_Q4_K: type = MV_TYPE_Q5_0; break;
    case MV_TYPE_Q5_K: type = MV_TYPE_Q5_1; break;
    case MV_TYPE_Q6_K: type = MV_TYPE_Q8_0; break;
    }
    return n % TYPES[type].block_size == 0 ? type : MV_TYPE_F16;
}

typedef enum {
    ROLE_OTHER, ROLE_OUTPUT, ROLE_TOKEN_EMBD, ROLE_ATTN_V, ROLE_ATTN_K, ROLE_ATTN_Q, ROLE_ATTN_OUTPUT,
    ROLE_FFN_UP, ROLE_FFN_GATE, ROLE_FFN_DOWN
} tensor_role;

/* A tensor's role by name, as llama.cpp tells them; fused QKV and MLA's kv_b count as V. */
static tensor_role tensor_role_of(const char *name) {
    if (!strcmp(name, "output.weight")) return ROLE_OUTPUT;
    if (!strcmp(name, "token_embd.weight")) return ROLE_TOKEN_EMBD;
    static const struct { const char *part; tensor_role role; } parts[] = {
        {"attn_qkv.weight", ROLE_ATTN_V}, {"attn_kv_b.weight", ROLE_ATTN_V}, {"attn_v.weight", ROLE_ATTN_V},
        {"attn_k.weight", ROLE_ATTN_K}, {"attn_q.weight", ROLE_ATTN_Q}, {"attn_output.weight", ROLE_ATTN_OUTPUT},
        {"ffn_up", ROLE_FFN_UP}, {"ffn_gate", ROLE_FFN_GATE}, {"ffn_down", ROLE_FFN_DOWN},
    };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (strstr(name, parts[i].part)) return parts[i].role;
    return ROLE_OTHER;
}

/* Weights are quantized; norms, biases, 1-D tensors, routers and embeddings of positions are not. */
static bool tensor_is_quantizable(const tensor *t) {
    static const char *const kept[] = {"_norm.weight", "ffn_gate_inp.weight", "position_embd", "token_types",
                                       "ssm_conv1d", "attn_rel_b", "attn_sinks"};
    const size_t len = strlen(t->name);
    if (t->n_dims < 2 || len < 6 || strcmp(t->name + len - 6, "weight")) return false;
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (strstr(t->name, kept[i])) return false;
    return true;
}

/* What a mixture's rules need to know of the model, and their running counts. */
typedef struct {
    int file_type, base;
    int n_layer, n_gqa, n_expert;
    bool falcon, is_70b, tied_output;
    int n_attn_v, i_attn_v, i_ffn_down;
} mixture_state;

static bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/* The type llama.cpp's mixture gives tensor t (before the shape fallback). */
static int mixture_type(mixture_state *s, const tensor *t) {
    const int ft = s->file_type;
    const tensor_role role = tensor_role_of(t->name);
    int type = s->base, layer = -1;
    if (role == ROLE_OUTPUT || (s->tied_output && role == ROLE_TOKEN_EMBD)) {
        if (ft == FT_MXFP4_MOE || s->falcon || t->ne[0] % TYPES[s->base].block_size) return MV_TYPE_Q8_0;
        return s->base == MV_TYPE_Q8_0 ? type : MV_TYPE_Q6_K;
    }
    if (ft == FT_MXFP4_MOE) return t->ne[2] > 1 ? MV_TYPE_MXFP4 : MV_TYPE_Q8_0;
    if (role == ROLE_TOKEN_EMBD) return ft == FT_TQ1_0 || ft == FT_TQ2_0 ? MV_TYPE_Q4_K : type;
    if (role == ROLE_ATTN_V) {
        const int i = s->i_attn_v++;
        if (ft == FT_Q2_K) type = s->n_gqa >= 4 ? MV_TYPE_Q4_K : MV_TYPE_Q3_K;
        else if (ft == FT_Q2_K_S && s->n_gqa >= 4) type = MV_TYPE_Q4_K;
        else if (ft == FT_Q3_K_M) type = i < 2 ? MV_TYPE_Q5_K : MV_TYPE_Q4_K;
        else if (ft == FT_Q3_K_L) type = MV_TYPE_Q5_K;
        else if ((ft == FT_IQ4_NL || ft == FT_IQ4_XS) && s->n_gqa >= 4) type = MV_TYPE_Q5_K;
        else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && use_more_bits(i, s->n_attn_v)) type = MV_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && i < 4) type = MV_TYPE_Q5_K;
        if (s->is_70b && (type == MV_TYPE_Q3_K || type == MV_TYPE_Q4_K)) type = MV_TYPE_Q5_K; /* V is 8× smaller there */
        return s->n_expert == 8 ? MV_TYPE_Q8_0 : type;
    }
    if (role == ROLE_ATTN_K) return s->n_expert == 8 ? MV_TYPE_Q8_0 : type;
    if (role == ROLE_FFN_DOWN) {
        /* experts of one layer need not be adjacent: their layer is read from the name */
        if (s->n_expert <= 1 || sscanf(t->name, "blk.%d.", &layer) != 1) layer = s->i_ffn_down;
        s->i_ffn_down++;
        const int n = s->n_layer;
        if (ft == FT_Q2_K) type = MV_TYPE_Q3_K;
        else if (ft == FT_Q2_K_S && layer < n / 8) type = MV_TYPE_Q4_K;
        else if (ft == FT_Q3_K_M) type = layer < n / 16 ? MV_TYPE_Q5_K : !s->falcon || use_more_bits(layer, n) ? MV_TYPE_Q4_K : MV_TYPE_Q3_K;
        else if (ft == FT_Q3_K_L) type = s->falcon ? MV_TYPE_Q4_K : MV_TYPE_Q5_K;
        else if (ft == FT_Q4_K_M && s->falcon) type = layer < n / 16 ? MV_TYPE_Q6_K : use_more_bits(layer, n) ? MV_TYPE_Q5_K : type;
        else if (ft == FT_Q4_K_M) type = use_more_bits(layer, n) ? MV_TYPE_Q6_K : type;
        else if (layer < n / 8 && (ft == FT_IQ4_NL || ft == FT_IQ4_XS)) type = MV_TYPE_Q5_K;
        else if (ft == FT_Q5_K_M && use_more_bits(layer, n)) type = MV_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && !s->falcon && layer < n / 8) type = MV_TYPE_Q5_K;
        return type;
    }
    if (role == ROLE_ATTN_OUTPUT) {
        if (s->falcon) return ft == FT_Q3_K_L ? MV_TYPE_Q4_K : type;
        if (s->n_expert == 8)
            return ft == FT_Q2_K || ft == FT_Q3_K_S || ft == FT_Q3_K_M || ft == FT_IQ4_NL || ft == FT_Q4_K_S || ft == FT_Q4_K_M ||
                   ft == FT_IQ4_XS ? MV_TYPE_Q5_K : type;
        return ft == FT_Q2_K ? MV_TYPE_Q3_K : ft == FT_Q3_K_M ? MV_TYPE_Q4_K : ft == FT_Q3_K_L ? MV_TYPE_Q5_K : type;
    }
    return type;
}

/* llama.cpp visits tensors by layer (the others first), then by name; the
   running counts of the rules follow that order. */
typedef struct { int layer, index; const char *name; } tensor_order;

static int by_layer_then_name(const void *a, const void *b) {
    const tensor_order *x = a, *y = b;
    return x->layer != y->layer ? (x->layer > y->layer) - (x->layer < y->layer) : strcmp(x->name, y->name);
}

/* What the mixture rules read of a model besides its tensors. */
typedef struct {
    char arch[64];
    int n_layer, n_head, n_head_kv, n_expert;
} mixture_model;

static void mixture_model_read(const model_file *f, mixture_model *mm) {
    size_t len = 0;
    const char *arch = meta_string(meta_find(f, "general.architecture"), &len);
    memset(mm, 0, sizeof *mm);
    if (arch) snprintf(mm->arch, sizeof mm->arch, "%.*s", (int)MV_MIN(len, sizeof mm->arch - 1), arch);
    /* a missing or odd count leaves its default: these only tune the choice */
    if (hparam_int(f, mm->arch, "block_count", 0, 0, 1 << 16, &mm->n_layer, NULL) ||
        hparam_int(f, mm->arch, "attention.head_count", 1, 1, 1 << 16, &mm->n_head, NULL) ||
        hparam_int(f, mm->arch, "attention.head_count_kv", mm->n_head, 1, 1 << 16, &mm->n_head_kv, NULL) ||
        hparam_int(f, mm->arch, "expert_count", 0, 0, 1 << 16, &mm->n_expert, NULL))
        mm->n_layer = mm->n_expert = 0, mm->n_head = mm->n_head_kv = 1;
}

/* The type of each of n tensors in a written model: `pure` for every weight
   (when ≥ 0), else what mixture m gives it; the others keep theirs. */
static int choose_types(const tensor *tensors, ptrdiff_t n, const mixture_model *mm, int pure, int m, int *types) {
    mixture_state s = {.file_type = m >= 0 ? MIXTURES[m].file_type : 0, .base = m >= 0 ? MIXTURES[m].base : pure};
    s.n_layer = mm->n_layer, s.n_expert = mm->n_expert, s.n_gqa = mm->n_head / MV_MAX(1, mm->n_head_kv);
    s.falcon = !strcmp(mm->arch, "falcon");
    s.is_70b = !strcmp(mm->arch, "llama") && s.n_layer == 80 && mm->n_head_kv < mm->n_head;
    s.tied_output = true;
    tensor_order *order = malloc((size_t)MV_MAX(n, 1) * sizeof *order);
    if (!order) return MV_ERR_NOMEM;
    for (ptrdiff_t i = 0; i < n; i++) {
        int layer = -1;
        sscanf(tensors[i].name, "blk.%d.", &layer);
        order[i] = (tensor_order){layer, (int)i, tensors[i].name};
        s.n_attn_v += tensor_role_of(tensors[i].name) == ROLE_ATTN_V;
        s.tied_output &= tensor_role_of(tensors[i].name) != ROLE_OUTPUT;
    }
    qsort(order, (size_t)n, sizeof *order, by_layer_then_name);
    for (ptrdiff_t k = 0; k < n; k++) {
        const tensor *t = &tensors[order[k].index];
        int type = t->type;
        if (tensor_is_quantizable(t)) {
            type = pure >= 0 ? pure : TYPES[s.base].block_size > 1 ? mixture_type(&s, t) : s.base;
            type = fallback_type(type, t->ne[0]);
        }
        types[order[k].index] = type;
    }
    free(order);
    return MV_OK;
}

static int parse_quantize_type(const char *name, int *pure, int *mixture, char *err) {
    *pure = *mixture = -1;
    const bool mix = name && !strncmp(name, "mix-", 4);
    const int type = name && !mix ? mv_type_from_name(name) : -1;
    if (type >= 0) {
        if (!TYPES[type].quantize || TYPES[type].dot_type < 0 || type >= GGUF_TYPE_COUNT)
            return fail(err, MV_ERR_UNSUPPORTED, "type %s is not supported", TYPES[type].name);
        *pure = type;
        return MV_OK;
    }
    for (int i = 0; name && i < N_MIXTURES; i++)
        if (!strcasecmp(name + (mix ? 4 : 0), MIXTURES[i].name)) *mixture = i;
    if (*mixture < 0)
        return fail(err, MV_ERR_ARG, "unknown type '%s': a type (Q4_0, Q4_K, IQ4_XS, ...) or a llama.cpp mixture (Q4_K_M, Q3_K_L, mix-Q4_0, ...)",
                    name ? name : "");
    return MV_OK;
}

/* Metadata of a random model; its tokenizer copied from another model's
   file, or synthetic. GPT-OSS gets its real RoPE (θ 150000, YaRN ×32 over
   4096) and window; Qwen its θ of 10⁶. */
static void write_random_metadata(gguf_writer *w, const model_shape *s, const hparams *hp, const char *type_name, int file_type,
                                  bool quantized, const model_file *vocab) {
    const char *arch = ARCHS[hp->arch].name;
    char name[96], key[128];
    snprintf(name, sizeof name, "minerva random %s %s", s->name, type_name);
    gw_str(w, "general.architecture", arch);
    gw_str(w, "general.name", name);
    gw_u32(w, "general.file_type", (uint32_t)file_type);
    if (quantized) gw_u32(w, "general.quantization_version", 2);
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    gw_u32(w, KEY("context_length"), (uint32_t)s->n_ctx);
    gw_u32(w, KEY("embedding_length"), (uint32_t)s->n_embd);
    gw_u32(w, KEY("block_count"), (uint32_t)s->n_layer);
    gw_u32(w, KEY("feed_forward_length"), (uint32_t)s->n_ff);
    gw_u32(w, KEY("attention.head_count"), (uint32_t)s->n_head);
    gw_u32(w, KEY("attention.head_count_kv"), (uint32_t)s->n_head_kv);
    gw_u32(w, KEY("attention.key_length"), (uint32_t)s->head_dim);
    gw_u32(w, KEY("attention.value_length"), (uint32_t)s->head_dim);
    gw_u32(w, KEY("rope.dimension_count"), (uint32_t)s->head_dim);
    gw_f32(w, KEY("rope.freq_base"), hp->arch == ARCH_GPT_OSS ? 150000.0f : hp->arch == ARCH_LLAMA ? 10000.0f : 1000000.0f);
    gw_f32(w, KEY("attention.layer_norm_rms_epsilon"), hp->arch == ARCH_LLAMA ? 1e-5f : 1e-6f);
    gw_u32(w, KEY("vocab_size"), (uint32_t)s->n_vocab);
    if (s->n_expert) {
        gw_u32(w, KEY("expert_count"), (uint32_t)s->n_expert);
        gw_u32(w, KEY("expert_used_count"), (uint32_t)s->n_expert_used);
        gw_u32(w, KEY("expert_feed_forward_length"), (uint32_t)hp->n_ff_exp);
    }
    if (hp->arch == ARCH_GPT_OSS) {
        gw_u32(w, KEY("attention.sliding_window"), (uint32_t)s->n_swa);
        gw_str(w, KEY("rope.scaling.type"), "yarn");
        gw_f32(w, KEY("rope.scaling.factor"), 32.0f);
        gw_u32(w, KEY("rope.scaling.original_context_length"), 4096);
        gw_f32(w, KEY("rope.scaling.yarn_beta_fast"), 32.0f);
        gw_f32(w, KEY("rope.scaling.yarn_beta_slow"), 1.0f);
    }
#undef KEY
    if (vocab) {
        for (ptrdiff_t i = 0; i < arrlen(vocab->kvs); i++)
            if (!strncmp(vocab->kvs[i].key, "tokenizer.", 10)) gw_record(w, vocab->kvs[i].record, vocab->kvs[i].record_len);
        return;
    }
    synthetic_vocab v;
    synthetic_vocab_make(&v, s->n_vocab);
    gw_str(w, "tokenizer.ggml.model", "llama");
    gw_string_array(w, "tokenizer.ggml.tokens", (const char *const *)v.text, v.len, (uint64_t)arrlen(v.text));
    gw_array(w, "tokenizer.ggml.scores", GGUF_F32, v.score, (uint64_t)arrlen(v.score));
    gw_array(w, "tokenizer.ggml.token_type", GGUF_I32, v.type, (uint64_t)arrlen(v.type));
    gw_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 2);
    gw_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    gw_bool(w, "tokenizer.ggml.add_bos_token", true);
    gw_bool(w, "tokenizer.ggml.add_eos_token", false);
    synthetic_vocab_free(&v);
}

/* Appends the tensor binding b names for layer l (F32 until its type is chosen). */
static void add_bound_tensor(tensor **list, const struct binding *b, const hparams *hp, int layer) {
    char name[GGUF_MAX_NAME];
    snprintf(name, sizeof name, b->name, layer);
    tensor t = {.name = strdup(name), .type = MV_TYPE_F32, .ne = {1, 1, 1, 1}};
    for (int d = 0; d < 3 && b->dims[d]; d++) t.ne[t.n_dims++] = dim_size(hp, b->dims[d]);
    arrput(*list, t);
}

/* The tensors of a random model, from the binding table: every tensor the
   architecture requires and the optional ones its models have; the
   embeddings first, then layer by layer. */
static tensor *random_model_tensors(const hparams *hp) {
    tensor *list = NULL;
    const size_t n = sizeof BINDINGS / sizeof *BINDINGS;
    for (int pass = 0; pass < 3; pass++)
        for (int l = 0; l < (pass == 1 ? hp->n_layer : 1); l++)
            for (size_t i = 0; i < n; i++) {
                const struct binding *b = &BINDINGS[i];
                const bool embedding = b->offset == offsetof(model_weights, tok_embd) && !(b->flags & BIND_LAYER);
                const bool in_pass = pass == 0 ? embedding : pass == 1 ? (b->flags & BIND_LAYER) != 0 : !embedding && !(b->flags & BIND_LAYER);
                if (in_pass && binding_applies(b, hp) && (!(b->flags & BIND_OPTIONAL) || (b->made & ARCH_BIT(hp->arch))))
                    add_bound_tensor(&list, b, hp, l);
            }
    return list;
}

/* Writes a model of shape s and architecture hp->arch with random weights:
   each in type `pure` (≥ 0) or as mixture m picks; norms F32. vocab: a model
   file whose tokenizer is copied (its size replaces the shape's), or NULL. */
static int write_random_model(const model_shape *shape, int arch, int pure, int m, const model_file *vocab, uint64_t seed, int nt,
                              const char *path, char *err) {
    model_shape s = *shape;
    const meta_kv *tokens = vocab ? meta_find(vocab, "tokenizer.ggml.tokens") : NULL;
    if (vocab && (!tokens || tokens->type != GGUF_ARRAY || tokens->n == 0 || tokens->n > (1u << 24)))
        return fail(err, MV_ERR_FORMAT, "the vocabulary's file has no tokenizer.ggml.tokens");
    if (tokens) s.n_vocab = (int)tokens->n;
    const hparams hp = shape_hparams(&s, arch);
    tensor *tensors = random_model_tensors(&hp);
    const ptrdiff_t n = arrlen(tensors);
    mixture_model mm = {"", s.n_layer, s.n_head, s.n_head_kv, s.n_expert};
    snprintf(mm.arch, sizeof mm.arch, "%s", ARCHS[arch].name);
    int *types = malloc((size_t)n * sizeof *types);
    gguf_writer w;
    gw_init(&w);
    int rc = types ? choose_types(tensors, n, &mm, pure, m, types) : MV_ERR_NOMEM;
    if (rc) fail(err, rc, "%s: out of memory", path);
    const int base = m >= 0 ? MIXTURES[m].base : pure;
    write_random_metadata(&w, &s, &hp, m >= 0 ? MIXTURES[m].name : TYPES[pure].name, m >= 0 ? MIXTURES[m].file_type : file_type_of(pure),
                          TYPES[base].block_size > 1, vocab);
    for (ptrdiff_t i = 0; !rc && i < n; i++) gw_tensor(&w, tensors[i].name, types[i], tensors[i].n_dims, tensors[i].ne);
    row_slabs slabs = {0};
    const random_source source = {seed, &w};
    if (!rc) rc = gw_begin(&w, path, err);
    if (!rc) rc = row_slabs_init(&slabs, path, err);
    for (ptrdiff_t ti = 0; !rc && ti < arrlen(w.tensors); ti++) rc = gw_rows(&w, &w.tensors[ti], random_tensor_rows, &source, (int)ti, &slabs, nt, err);
    row_slabs_free(&slabs);
    if (!rc) rc = gw_finish(&w, err);
    gw_free(&w);
    for (ptrdiff_t i = 0; i < n; i++) free(tensors[i].name);
    arrfree(tensors);
    free(types);
    return rc;
}

int mv_make_model(const mv_make_model_params *params, const char *path, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    mv_make_model_params p = params ? *params : mv_make_model_default_params();
    const model_shape *s = NULL;
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++)
        if (p.shape && !strcmp(p.shape, SHAPES[i].name)) s = &SHAPES[i];
    int pure = -1, mixture = -1, rc = MV_OK;
    model_file vocab = {0};
    if (!path) rc = fail(err, MV_ERR_ARG, "make-model: no output path");
    else if (!s) {
        char names[512] = "";
        for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", SHAPES[i].name);
        rc = fail(err, MV_ERR_ARG, "unknown shape '%s' (%s)", p.shape ? p.shape : "", names);
    }
    int arch = s ? s->arch : -1;
    if (!rc && p.arch) {
        arch = -1;
        for (int a = 0; a < ARCH_COUNT; a++)
            if (!strcmp(p.arch, ARCHS[a].name)) arch = a;
        if (arch < 0) rc = fail(err, MV_ERR_UNSUPPORTED, "make-model: architecture '%s' is not supported", p.arch);
        else if (!arch_fits_shape(arch, s)) rc = fail(err, MV_ERR_ARG, "make-model: architecture %s does not fit shape %s", p.arch, s->name);
    }
    if (!rc) rc = parse_quantize_type(p.type ? p.type : "F32", &pure, &mixture, err);
    if (!rc && p.vocab_from) rc = model_file_open(&vocab, p.vocab_from, err);
    if (!rc) rc = write_random_model(s, arch, pure, mixture, p.vocab_from ? &vocab : NULL, p.seed,
                                     p.n_threads > 0 ? p.n_threads : default_thread_count(), path, err);
    if (p.vocab_from) model_file_free(&vocab);
    if (rc) copy_error(err_out, err_size, err);
    return rc;
}

/* ---- quantized copies: minerva quantize --------------------------------- */

/* A model being written as GGUF: its tensors under GGUF names, and for the
   Q/K rows of a Hugging Face llama the heads whose rows go back to the
   interleaved order llama.cpp's RoPE pairs (FORMATS.md §3.3). */
typedef struct {
    const model_file *f;
    tensor *tensors;   /* copies with their GGUF names (stb_ds, names owned) */
    int *heads;        /* per tensor: heads to re-order, 0 for none */
    int head_dim;
} gguf_copy;

/* Source row of output row r: GGUF row 2i of a head is its Hugging Face row i, row 2i + 1 its row hd/2 + i. */
static int64_t source_row(const gguf_copy *c, int index, int64_t r) {
    if (!c->heads[index]) return r;
    const int64_t hd = c->head_dim, i = r % hd;
    return r - i + (i % 2 ? hd / 2 + i / 2 : i / 2);
}

/* Rows [r0, r1) of a tensor, as f32 (re-ordered as written). */
static void source_rows(const void *source, int index, float *out, int64_t r0, int64_t r1, int64_t n, int nt) {
    const gguf_copy *c = source;
    const tensor *t = &c->f->tensors[index];
    const size_t rb = row_bytes(t->type, n);
    MV_PARALLEL_FOR(nt)
    for (int64_t r = r0; r < r1; r++)
        TYPES[t->type].dequantize(t->data + (size_t)source_row(c, index, r) * rb, out + (size_t)(r - r0) * (size_t)n, n);
}

/* The GGUF name of a tensor of f: a Hugging Face name through the binding table, else as it is. */
static char *gguf_tensor_name(const model_file *f, const hparams *hp, const char *name) {
    for (size_t i = 0; f->source == SOURCE_SAFETENSORS && i < sizeof BINDINGS / sizeof *BINDINGS; i++)
        for (int l = 0; BINDINGS[i].hf_name && binding_applies(&BINDINGS[i], hp) && l < (BINDINGS[i].flags & BIND_LAYER ? hp->n_layer : 1); l++) {
            char hf[GGUF_MAX_NAME], gguf[GGUF_MAX_NAME];
            snprintf(hf, sizeof hf, BINDINGS[i].hf_name, l);
            if (strcmp(hf, name)) continue;
            snprintf(gguf, sizeof gguf, BINDINGS[i].name, l);
            return strdup(gguf);
        }
    return strdup(name);
}

static void gguf_copy_free(gguf_copy *c) {
    for (ptrdiff_t i = 0; i < arrlen(c->tensors); i++) free(c->tensors[i].name);
    arrfree(c->tensors);
    free(c->heads);
}

static int gguf_copy_init(gguf_copy *c, const model_file *f, char *err) {
    memset(c, 0, sizeof *c);
    c->f = f;
    hparams hp = {0};
    const int rc = f->source == SOURCE_GGUF ? MV_OK : read_hparams(f, 0, &hp, err);
    if (rc) return rc;
    c->head_dim = hp.head_dim;
    const bool permute = f->source == SOURCE_SAFETENSORS && hp.arch == ARCH_LLAMA;
    if (!(c->heads = calloc((size_t)MV_MAX(arrlen(f->tensors), 1), sizeof *c->heads))) return MV_ERR_NOMEM;
    for (ptrdiff_t i = 0; i < arrlen(f->tensors); i++) {
        tensor t = f->tensors[i];
        if (!(t.name = gguf_tensor_name(f, &hp, t.name))) return MV_ERR_NOMEM;
        arrput(c->tensors, t);
        const char *at = strstr(t.name, ".attn_");
        if (permute && at && (!strncmp(at, ".attn_q.", 8) || !strncmp(at, ".attn_k.", 8)))
            c->heads[i] = at[6] == 'q' ? hp.n_head : hp.n_head_kv;
    }
    return MV_OK;
}

/* Writes tensor index as it is stored, its rows (elements of a vector) re-ordered if need be. */
static int write_stored(gguf_writer *w, const gguf_copy *c, int index, char *err) {
    const tensor *t = &c->f->tensors[index];
    if (!c->heads[index]) return gw_tensor_data(w, t->data, (size_t)t->nbytes, err);
    const bool vector = t->n_dims == 1 && TYPES[t->type].block_size == 1;
    const int64_t units = vector ? t->ne[0] : tensor_n_rows(t);
    const size_t unit_bytes = vector ? (size_t)TYPES[t->type].block_bytes : row_bytes(t->type, t->ne[0]);
    int rc = MV_OK;
    for (int64_t u = 0; !rc && u < units; u++) rc = gw_tensor_data(w, t->data + (size_t)source_row(c, index, u) * unit_bytes, unit_bytes, err);
    return rc;
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Writes f as a GGUF file at out, its weights in the types chosen; v: the
   tokenizer to write when f's metadata has none. */
static int quantize_file(const model_file *f, const vocab *v, const char *out, int pure, int mixture, int nt, char *err) {
    const ptrdiff_t n = arrlen(f->tensors);
    int *types = malloc((size_t)MV_MAX(n, 1) * sizeof *types);
    gguf_copy c;
    int rc = types ? gguf_copy_init(&c, f, err) : fail(err, MV_ERR_NOMEM, "out of memory");
    mixture_model mm;
    mixture_model_read(f, &mm);
    if (!rc && (rc = choose_types(c.tensors, n, &mm, pure, mixture, types))) fail(err, rc, "out of memory");
    for (ptrdiff_t i = 0; !rc && i < n; i++)
        if (types[i] >= GGUF_TYPE_COUNT) types[i] = MV_TYPE_F16; /* Minerva's own block types stay out of files */
    for (ptrdiff_t i = 0; !rc && i < n; i++)
        if (types[i] != f->tensors[i].type && !type_implemented(f->tensors[i].type))
            rc = fail(err, MV_ERR_UNSUPPORTED, "tensor %s: type %s is not supported", f->tensors[i].name, TYPES[f->tensors[i].type].name);
    gguf_writer w;
    gw_init(&w);
    static const char *const replaced[] = {"general.file_type", "general.quantization_version", "general.alignment",
                                           "split.no", "split.count", "split.tensors.count"};
    for (ptrdiff_t i = 0; i < arrlen(f->kvs); i++) {
        bool keep = true;
        for (size_t k = 0; k < sizeof replaced / sizeof *replaced; k++) keep &= strcmp(f->kvs[i].key, replaced[k]) != 0;
        if (keep) gw_record(&w, f->kvs[i].record, f->kvs[i].record_len);
    }
    if (!rc && v && v->kind != VOCAB_NONE && !meta_find(f, "tokenizer.ggml.model")) rc = vocab_write_gguf(&w, v);
    gw_u32(&w, "general.file_type", (uint32_t)(mixture >= 0 ? MIXTURES[mixture].file_type : file_type_of(pure)));
    gw_u32(&w, "general.quantization_version", 2);
    for (ptrdiff_t i = 0; !rc && i < n; i++) gw_tensor(&w, c.tensors[i].name, types[i], c.tensors[i].n_dims, c.tensors[i].ne);
    row_slabs slabs = {0};
    if (!rc) rc = gw_begin(&w, out, err);
    if (!rc) rc = row_slabs_init(&slabs, out, err);
    for (ptrdiff_t i = 0; !rc && i < n; i++)
        rc = types[i] == f->tensors[i].type ? write_stored(&w, &c, (int)i, err) : gw_rows(&w, &w.tensors[i], source_rows, &c, (int)i, &slabs, nt, err);
    if (!rc) rc = gw_finish(&w, err);
    row_slabs_free(&slabs);
    gw_free(&w);
    gguf_copy_free(&c);
    free(types);
    return rc;
}

int mv_quantize(const char *in, const char *out, const char *type, int n_threads, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    int pure, mixture, rc = parse_quantize_type(type, &pure, &mixture, err);
    model_file f;
    vocab *v = NULL;
    char beside[4096];
    if (!rc && (!in || !out)) rc = fail(err, MV_ERR_ARG, "quantize: input and output paths are needed");
    if (!rc && same_file(in, out)) rc = fail(err, MV_ERR_ARG, "quantize: %s is both input and output", out);
    const int kind = rc ? PATH_GGUF : path_kind(in);
    if (!rc && kind == PATH_TOKENIZER) rc = fail(err, MV_ERR_ARG, "quantize: %s is a tokenizer, not a model", in);
    if (!rc && !(rc = kind == PATH_DIRECTORY ? model_dir_open(&f, in, err) : kind == PATH_LLAMA2C ? llama2c_open(&f, in, err)
                                                                                              : model_file_open(&f, in, err))) {
        const char *tokenizer = tokenizer_beside(in, kind, beside, sizeof beside);
        if (tokenizer && !(v = vocab_new())) rc = MV_ERR_NOMEM;
        if (!rc && tokenizer) rc = vocab_from_file(v, tokenizer, err);
        if (!rc) rc = quantize_file(&f, v, out, pure, mixture, n_threads > 0 ? n_threads : default_thread_count(), err);
        vocab_free(v);
        model_file_free(&f);
    }
    if (rc) copy_error(err_out, err_size, err);
    return rc;
}
