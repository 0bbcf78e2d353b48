/* minerva.c — LLM inference in C: the whole engine in one translation unit.
   MIT licensed (see LICENSE). The API is documented in minerva.h.

   Contents (a section calls only sections above it):
     1. platform      mapping files, aligned memory, time, errors, OpenMP glue
     2. containers    stb_ds arrays, a string hash map
     3. numbers       f16/bf16, block types, quantize/dequantize, dot kernels
     4. files         GGUF reader and writer: one tensor table for all formats
     5. models        hyperparameters and table-driven tensor binding
     6. kv cache      cache layout, sequences
     7. compute       matmul, norms, RoPE, attention, the forward pass
     8. tokenizer     SentencePiece BPE
     9. sampling      greedy, temperature, top-k/p, min-p, penalties
    10. generation    the public API on top of all the above
    11. model writer  random-weight models; quantized copies of models */

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

/* A read-only mapping of a whole file (or, in tests, a caller's buffer). */
typedef struct {
    const uint8_t *data;
    size_t size;
    bool mapped;
} file_map;

static int map_file(const char *path, file_map *m, char *err) {
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY);
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
    close(fd);
    if (p == MAP_FAILED) return fail(err, MV_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    m->data = p;
    m->size = (size_t)st.st_size;
    m->mapped = true;
    return MV_OK;
}

static void unmap_file(file_map *m) {
    if (m->mapped) munmap((void *)m->data, m->size);
    memset(m, 0, sizeof *m);
}

/* A parallel loop over OpenMP threads; without OpenMP an ordinary loop. */
#ifdef _OPENMP
#define MV_PRAGMA(x) _Pragma(#x)
#define MV_PARALLEL_FOR(threads) MV_PRAGMA(omp parallel for num_threads(threads) schedule(static))
#define MV_PARALLEL_FOR_IF(threads, cond) MV_PRAGMA(omp parallel for num_threads(threads) schedule(static) if (cond))
#else
#define MV_PARALLEL_FOR(threads) (void)(threads);
#define MV_PARALLEL_FOR_IF(threads, cond) (void)(threads), (void)(cond);
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

/* Inserts value under its own key; a value with an equal key is replaced. */
static void strmap_put(str_map *m, int32_t value, key_of_fn key_of, const void *owner) {
    size_t len;
    const char *key = key_of(owner, value, &len);
    uint32_t h = (uint32_t)hash_bytes(key, len);
    uint32_t i = strmap_slot(m, key, len, h, key_of, owner);
    if (!m->slots[i]) m->count++;
    m->slots[i] = (uint32_t)value + 1;
    m->hashes[i] = h;
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
   3. numbers — f16/bf16, block types, quantize/dequantize, dot kernels
   ============================================================================ */

MV_INLINE float f32_from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
MV_INLINE uint32_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

/* IEEE binary16 to binary32, exact (subnormals, inf and NaN included). */
static inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0x1F) return f32_from_bits(sign | 0x7F800000 | (mant << 13));
    if (exp == 0) return mant ? (sign ? -1.0f : 1.0f) * (float)mant * 0x1p-24f : f32_from_bits(sign);
    return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

/* binary32 to binary16, rounding to nearest even. */
static inline uint16_t f32_to_f16(float f) {
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
_Static_assert(sizeof(block_q8_K) == 292 && sizeof(block_q2_K) == 84 && sizeof(block_q3_K) == 110, "K blocks");
_Static_assert(sizeof(block_q4_K) == 144 && sizeof(block_q5_K) == 176 && sizeof(block_q6_K) == 210, "K blocks");
_Static_assert(sizeof(block_iq4_xs) == 136 && sizeof(block_tq1_0) == 54 && sizeof(block_tq2_0) == 66, "K blocks");
_Static_assert(sizeof(block_iq4_nl) == 18 && sizeof(block_mxfp4) == 17, "blocks");

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
    for (int64_t i = 0; i < n; i++) y[i] = f16_to_f32(x[i]);
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
        for (int e = 0; e < QK_K; e++) {
            int c = e / 64, l = e % 32, high = (e % 64) >= 32;
            int q = high ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;
            if (five) q |= ((((const block_q5_K *)w)[i].qh[l] >> (2 * c + high)) & 1) << 4;
            k->q[e] = (int8_t)q;
        }
        for (int j = 0; j < 8; j++) {
            int sc, m;
            k4_scale_min(scales, j, &sc, &m);
            k->scale[2 * j] = k->scale[2 * j + 1] = (int16_t)sc;
            k->min[2 * j] = k->min[2 * j + 1] = (int16_t)m;
        }
        uint16_t d = five ? ((const block_q5_K *)w)[i].d : ((const block_q4_K *)w)[i].d;
        uint16_t dmin = five ? ((const block_q5_K *)w)[i].dmin : ((const block_q4_K *)w)[i].dmin;
        k->d = f16_to_f32(d), k->dmin = f16_to_f32(dmin);
        return;
    }
    case MV_TYPE_Q6_K: {
        const block_q6_K *b = (const block_q6_K *)w + i;
        for (int e = 0; e < QK_K; e++) {
            int h = e / 128, r = e % 128, l = r % 32, part = r / 32;
            const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
            int low = part & 1 ? ql[l + 32] : ql[l];
            low = part >= 2 ? low >> 4 : low & 15;
            k->q[e] = (int8_t)(low | ((qh[l] >> (2 * part)) & 3) << 4);
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
    for (int64_t i = 0; i < n; i++) y[i] = f32_to_f16(x[i]);
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

#define MV_FMA(a, b, c) fmaf(a, b, c)

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

MV_INLINE int type_is_unsigned_block(int type) { return type == MV_TYPE_Q4_1 || type == MV_TYPE_Q5_1; }

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
    if (type_is_unsigned_block(type)) {
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

static void kchain_add(kchain *c, int parts, const kblock *k, const block_q8_K *y) {
    const int span = QK_K / parts;
    for (int p = 0; p < parts; p++) {
        int32_t total = 0, min = 0;
        for (int e = p * span; e < (p + 1) * span; e++) total += k->scale[e / 16] * k->q[e] * y->qs[e];
        for (int j = p * span / 16; j < (p + 1) * span / 16; j++) min += k->min[j] * y->bsums[j];
        c->sum = MV_FMA((float)total, k->d * y->d, c->sum);
        c->min = MV_FMA((float)min, k->dmin * y->d, c->min);
    }
}

/* A K-type dot product with a given way to compute the lanes; parts 0 is
   the plain order, otherwise the interleaved one in that many parts. */
#define MV_DOT_K_BODY(lanes_fn)                                          \
    kaccum acc = {{0}, {0}, 0};                                          \
    kchain chain = {0, 0};                                               \
    kblock k;                                                            \
    for (int i = 0; i < n / QK_K; i++) {                                 \
        const block_q8_K *y = (const block_q8_K *)a + i;                 \
        int32_t lanes[8];                                                \
        unpack_kblock(type, w, i, &k);                                   \
        if (parts) {                                                     \
            kchain_add(&chain, parts, &k, y);                            \
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

MV_INLINE float dot_k_scalar(int type, int parts, int n, const void *w, const void *a) { MV_DOT_K_BODY(kblock_lanes_scalar); }

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
    default: *m = 0; return f16_to_f32(((const block_q8_0 *)w)[i].d);
    }
}

/* 8 int32 lanes, each the sum of 4 adjacent products of w and a (int8;
   unsigned w for Q4_1/Q5_1). With VNNI one instruction, else two. */
MV_INLINE simde__m256i avx2_lane_sums(int type, bool vnni, simde__m256i w, simde__m256i a) {
    simde__m256i u = w, s = a;
    if (!type_is_unsigned_block(type)) u = simde_mm256_sign_epi8(w, w), s = simde_mm256_sign_epi8(a, w);
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

MV_INLINE float avx2_dot_k(int type, int parts, int n, const void *w, const void *a) { MV_DOT_K_BODY(avx2_kblock_lanes); }

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
    if (type == MV_TYPE_Q8_0) {
        const block_q8_0 *b = (const block_q8_0 *)w + i;
        *lo = simde_vld1q_s8(b->qs), *hi = simde_vld1q_s8(b->qs + 16);
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

MV_INLINE float neon_dot_k(int type, int parts, int n, const void *w, const void *a) { MV_DOT_K_BODY(neon_kblock_lanes); }

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
    [MV_TYPE_MXFP4] = dot_mxfp4_##level, MV_K_ROW(k_level)
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
            [MV_TYPE_MXFP4] = dot_mxfp4_scalar, MV_K_ROW(scalar),
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
   4. files — GGUF reader and writer: one tensor table for all formats
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
} tensor;

typedef struct {
    file_map map;
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

static void model_file_free(model_file *f) {
    for (ptrdiff_t i = 0; i < arrlen(f->kvs); i++) free(f->kvs[i].key);
    for (ptrdiff_t i = 0; i < arrlen(f->tensors); i++) free(f->tensors[i].name);
    arrfree(f->kvs);
    arrfree(f->tensors);
    strmap_free(&f->tensor_index);
    unmap_file(&f->map);
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
    if (!type_known(type)) return fail(err, MV_ERR_FORMAT, "tensor %s: unknown type id %u", tp->name, type);
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

/* ============================================================================
   5. models — hyperparameters and table-driven tensor binding
   ============================================================================ */

enum { ARCH_LLAMA, ARCH_COUNT };
static const char *const ARCH_NAMES[ARCH_COUNT] = {"llama"};

enum { ROPE_NORM, ROPE_NEOX }; /* pairs (2i, 2i+1) or (i, i + n_rot/2), FORMATS.md §3.3 */

typedef struct {
    int arch;
    int n_vocab, n_embd, n_layer, n_ff, n_ctx_train;
    int n_head, n_head_kv, head_dim, head_dim_v, n_rot;
    float rms_eps;
    int rope_style;
    float rope_base, rope_freq_scale;
    float yarn_ext_factor, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    int n_ctx_orig;
} hparams;

/* Weights of one layer. Vectors (norms, biases) are f32: pointers into the
   mapping when stored as F32, converted copies otherwise. */
typedef struct {
    const float *attn_norm, *ffn_norm, *bq, *bk, *bv, *bo, *q_norm, *k_norm;
    const tensor *wq, *wk, *wv, *wo, *ffn_gate, *ffn_up, *ffn_down;
} layer_weights;

typedef struct {
    const tensor *tok_embd, *output;
    const float *output_norm, *rope_freqs;
} model_weights;

/* Expected sizes of a tensor's dimensions, in terms of the hyperparameters. */
enum { DIM_EMBD = 1, DIM_VOCAB, DIM_Q, DIM_K, DIM_V, DIM_ATT_OUT, DIM_FF, DIM_HEAD, DIM_ROT_HALF };

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
    }
    return 1;
}

enum { BIND_LAYER = 1, BIND_VECTOR = 2, BIND_OPTIONAL = 4 };

/* One table binds every architecture's tensors; %d is the layer. */
static const struct binding {
    const char *name;
    unsigned flags;
    size_t offset;          /* into layer_weights (BIND_LAYER) or model_weights */
    uint8_t dims[2];
} BINDINGS[] = {
    {"token_embd.weight", 0, offsetof(model_weights, tok_embd), {DIM_EMBD, DIM_VOCAB}},
    {"output.weight", BIND_OPTIONAL, offsetof(model_weights, output), {DIM_EMBD, DIM_VOCAB}},
    {"output_norm.weight", BIND_VECTOR, offsetof(model_weights, output_norm), {DIM_EMBD}},
    {"rope_freqs.weight", BIND_VECTOR | BIND_OPTIONAL, offsetof(model_weights, rope_freqs), {DIM_ROT_HALF}},
    {"blk.%d.attn_norm.weight", BIND_LAYER | BIND_VECTOR, offsetof(layer_weights, attn_norm), {DIM_EMBD}},
    {"blk.%d.attn_q.weight", BIND_LAYER, offsetof(layer_weights, wq), {DIM_EMBD, DIM_Q}},
    {"blk.%d.attn_k.weight", BIND_LAYER, offsetof(layer_weights, wk), {DIM_EMBD, DIM_K}},
    {"blk.%d.attn_v.weight", BIND_LAYER, offsetof(layer_weights, wv), {DIM_EMBD, DIM_V}},
    {"blk.%d.attn_output.weight", BIND_LAYER, offsetof(layer_weights, wo), {DIM_ATT_OUT, DIM_EMBD}},
    {"blk.%d.attn_q.bias", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, bq), {DIM_Q}},
    {"blk.%d.attn_k.bias", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, bk), {DIM_K}},
    {"blk.%d.attn_v.bias", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, bv), {DIM_V}},
    {"blk.%d.attn_output.bias", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, bo), {DIM_EMBD}},
    {"blk.%d.attn_q_norm.weight", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, q_norm), {DIM_HEAD}},
    {"blk.%d.attn_k_norm.weight", BIND_LAYER | BIND_VECTOR | BIND_OPTIONAL, offsetof(layer_weights, k_norm), {DIM_HEAD}},
    {"blk.%d.ffn_norm.weight", BIND_LAYER | BIND_VECTOR, offsetof(layer_weights, ffn_norm), {DIM_EMBD}},
    {"blk.%d.ffn_gate.weight", BIND_LAYER, offsetof(layer_weights, ffn_gate), {DIM_EMBD, DIM_FF}},
    {"blk.%d.ffn_up.weight", BIND_LAYER, offsetof(layer_weights, ffn_up), {DIM_EMBD, DIM_FF}},
    {"blk.%d.ffn_down.weight", BIND_LAYER, offsetof(layer_weights, ffn_down), {DIM_FF, DIM_EMBD}},
};

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

static int read_hparams(const model_file *f, int n_vocab, hparams *hp, char *err) {
    memset(hp, 0, sizeof *hp);
    size_t len;
    const char *arch = meta_string(meta_find(f, "general.architecture"), &len);
    if (!arch) return fail(err, MV_ERR_FORMAT, "GGUF key 'general.architecture' is missing");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)MV_MIN(len, sizeof name - 1), arch);
    hp->arch = -1;
    for (int a = 0; a < ARCH_COUNT; a++)
        if (!strcmp(name, ARCH_NAMES[a])) hp->arch = a;
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
    if (hp->n_head % hp->n_head_kv)
        return fail(err, MV_ERR_FORMAT, "%s: %d attention heads are not a multiple of %d KV heads", name, hp->n_head, hp->n_head_kv);
    if (hp->n_rot % 2) return fail(err, MV_ERR_FORMAT, "%s.rope.dimension_count: %d is odd", name, hp->n_rot);
    hp->rope_style = ROPE_NORM;
    hp->rope_freq_scale = 1.0f;
    hp->yarn_attn_factor = 1.0f;
    hp->yarn_beta_fast = 32.0f;
    hp->yarn_beta_slow = 1.0f;
    hp->n_ctx_orig = hp->n_ctx_train;
    size_t slen;
    const char *scaling = meta_string(meta_arch(f, name, "rope.scaling.type"), &slen);
    if (scaling && !(slen == 4 && !memcmp(scaling, "none", 4))) {
        float factor = 1.0f;
        if ((rc = hparam_float(f, name, "rope.scaling.factor", 1.0, &factor, err))) return rc;
        if (slen == 6 && !memcmp(scaling, "linear", 6)) {
            if (factor > 0) hp->rope_freq_scale = 1.0f / factor;
        } else {
            return fail(err, MV_ERR_UNSUPPORTED, "%s.rope.scaling.type '%.*s' is not supported", name, (int)slen, scaling);
        }
    }
    return MV_OK;
}

/* ============================================================================
   6. kv cache — cache layout, sequences
   ============================================================================ */

/* Per layer and sequence: K as one row of (n_head_kv · head_dim) elements
   per position; V transposed, one row per element of the value heads with
   a column per position (as llama.cpp stores it without flash attention),
   so attention's weighted sum of values is a dot product per element. V
   rows are padded to a multiple of 64 positions and the cache starts zeroed,
   so a dot product may run over the padding. */
typedef struct {
    int type;              /* F32 or F16 */
    int n_ctx, n_ctx_pad, n_seq, n_layer;
    int k_width, v_width;  /* elements per position */
    uint8_t **k, **v;      /* [n_layer] */
    int32_t *length;       /* [n_seq]: positions held */
} kv_cache;

static void kv_free(kv_cache *kv) {
    for (int l = 0; kv->k && l < kv->n_layer; l++) free(kv->k[l]), free(kv->v[l]);
    free(kv->k);
    free(kv->v);
    free(kv->length);
    memset(kv, 0, sizeof *kv);
}

static int kv_init(kv_cache *kv, const hparams *hp, int type, int n_ctx, int n_seq) {
    memset(kv, 0, sizeof *kv);
    kv->type = type, kv->n_ctx = n_ctx, kv->n_ctx_pad = (n_ctx + 63) / 64 * 64, kv->n_seq = n_seq, kv->n_layer = hp->n_layer;
    kv->k_width = hp->n_head_kv * hp->head_dim;
    kv->v_width = hp->n_head_kv * hp->head_dim_v;
    kv->k = calloc((size_t)hp->n_layer, sizeof *kv->k);
    kv->v = calloc((size_t)hp->n_layer, sizeof *kv->v);
    kv->length = calloc((size_t)n_seq, sizeof *kv->length);
    if (!kv->k || !kv->v || !kv->length) return MV_ERR_NOMEM;
    const size_t k_bytes = (size_t)n_seq * (size_t)n_ctx * row_bytes(type, kv->k_width);
    const size_t v_bytes = (size_t)n_seq * (size_t)kv->v_width * row_bytes(type, kv->n_ctx_pad);
    for (int l = 0; l < hp->n_layer; l++) {
        kv->k[l] = calloc(1, k_bytes);
        kv->v[l] = calloc(1, v_bytes);
        if (!kv->k[l] || !kv->v[l]) return MV_ERR_NOMEM;
    }
    return MV_OK;
}

/* The K row of a position. */
static uint8_t *kv_k_row(const kv_cache *kv, int layer, int seq, int pos) {
    return kv->k[layer] + ((size_t)seq * (size_t)kv->n_ctx + (size_t)pos) * row_bytes(kv->type, kv->k_width);
}

/* The V row of one element (index into the value heads): all its positions. */
static uint8_t *kv_v_row(const kv_cache *kv, int layer, int seq, int element) {
    return kv->v[layer] + ((size_t)seq * (size_t)kv->v_width + (size_t)element) * row_bytes(kv->type, kv->n_ctx_pad);
}

static void kv_store(kv_cache *kv, int layer, int seq, int pos, const float *k, const float *v) {
    uint8_t *krow = kv_k_row(kv, layer, seq, pos);
    if (kv->type == MV_TYPE_F32) memcpy(krow, k, (size_t)kv->k_width * sizeof *k);
    else quantize_f16(k, krow, kv->k_width);
    for (int e = 0; e < kv->v_width; e++) {
        uint8_t *col = kv_v_row(kv, layer, seq, e);
        if (kv->type == MV_TYPE_F32) ((float *)col)[pos] = v[e];
        else ((uint16_t *)col)[pos] = f32_to_f16(v[e]);
    }
}

/* ============================================================================
   7. compute — matmul, norms, RoPE, attention, activations, the forward pass
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
    float *att_scores;        /* per thread: n_ctx_pad attention weights */
    /* the last mv_decode */
    int32_t *pos, *seq;       /* stb_ds */
    float *logits;
    size_t logits_cap;        /* rows */
    int n_outputs;
    char error[MV_ERROR_SIZE];
};

/* The kernel for token t of a batch of n_tokens, in the order llama.cpp's
   x86 build sums it: types it repacks (matrices of a multiple of 8 rows) go
   through its repacked GEMM in groups of 4 tokens and its GEMV otherwise;
   other batches of two or more through its tinyBLAS GEMM where that takes
   the type (float rows of a multiple of 16, or 32 for BF16, in matrices of a
   multiple of 4 rows; IQ4_NL); the rest through its vec_dot. */
static dot_fn matmul_kernel(const mv_model *m, const tensor *w, int n_tokens, int t) {
    const int type = w->type;
    const int64_t n_in = w->ne[0], n_out = w->ne[1];
    if (n_out % 8 == 0 && m->dot[ORDER_REPACK_GEMV][type])
        return t < n_tokens - n_tokens % 4 ? m->dot[ORDER_REPACK_GEMM][type] : m->dot[ORDER_REPACK_GEMV][type];
    const bool floats = TYPES[type].block_size == 1;
    if (n_tokens > 1 && m->dot[ORDER_GEMM][type] && (!floats || (n_in % (type == MV_TYPE_BF16 ? 32 : 16) == 0 && n_out % 4 == 0)))
        return m->dot[ORDER_GEMM][type];
    return m->dot[ORDER_VEC][type];
}

/* out[t·n_out + r] = W_r · x_t for n_tokens rows x_t of n_in floats. */
static void matmul(mv_context *ctx, float *out, const tensor *w, const float *x, int n_tokens) {
    const int n_in = (int)w->ne[0], n_out = (int)w->ne[1], nt = ctx->params.n_threads;
    const int act_type = TYPES[w->type].dot_type;
    const size_t w_stride = row_bytes(w->type, n_in);
    const uint8_t *act = (const uint8_t *)x;
    size_t act_stride = (size_t)n_in * sizeof(float);
    if (act_type != MV_TYPE_F32) {
        const quantize_fn quantize = TYPES[act_type].quantize_activations;
        act_stride = row_bytes(act_type, n_in);
        MV_PARALLEL_FOR_IF(nt, n_tokens > 1)
        for (int t = 0; t < n_tokens; t++) quantize(x + (size_t)t * n_in, ctx->act + t * act_stride, n_in);
        act = ctx->act;
    }
    /* tiles of rows: a tile's weights stay in cache while every token passes */
    enum { TILE = 16 };
    const int n_tiles = (n_out + TILE - 1) / TILE;
    MV_PARALLEL_FOR(nt)
    for (int tile = 0; tile < n_tiles; tile++) {
        const int r0 = tile * TILE, r1 = MV_MIN(r0 + TILE, n_out);
        for (int t = 0; t < n_tokens; t++) {
            const dot_fn dot = matmul_kernel(ctx->model, w, n_tokens, t);
            for (int r = r0; r < r1; r++)
                out[(size_t)t * n_out + r] = dot(n_in, w->data + (size_t)r * w_stride, act + t * act_stride);
        }
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
   extrapolated angles with its magnitude correction. */
static void rope_angles(const hparams *hp, const float *freq_factors, int32_t pos, float *cs) {
    const float theta_scale = powf(hp->rope_base, -2.0f / (float)hp->n_rot);
    float corr_low = 0, corr_high = 0;
    if (hp->yarn_ext_factor != 0.0f) {
        const float n = (float)hp->n_rot, base = hp->rope_base, two_pi = 6.2831853071795864769f;
        corr_low = floorf(n * logf((float)hp->n_ctx_orig / (hp->yarn_beta_fast * two_pi)) / (2 * logf(base)));
        corr_high = ceilf(n * logf((float)hp->n_ctx_orig / (hp->yarn_beta_slow * two_pi)) / (2 * logf(base)));
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
    return ldexpf(j, (int)n);
}

/* Attention of n query rows (n_head heads each) over the cache: token t of
   sequence seq[t] at position pos[t] sees positions 0..pos[t]. Evaluated as
   llama.cpp evaluates it without flash attention, step for step: scores
   K·q times 1/sqrt(head_dim); softmax with exp_approx summed 16 at a time in
   double, scaled by the float reciprocal of the sum; out = Vᵀ·p. An F16
   cache takes q and p rounded to F16. Batches of two or more tokens add
   Vᵀ·p (and, F16, K·q) in one 16-lane chain (its GEMM), single tokens as
   the dot kernels do (its vec_dot). */
static void attention(mv_context *ctx, int layer, const float *q, float *out, const int32_t *pos, const int32_t *seq, int n) {
    const mv_model *m = ctx->model;
    const hparams *hp = &m->hp;
    const kv_cache *kv = &ctx->kv;
    const int n_head = hp->n_head, hd = hp->head_dim, hdv = hp->head_dim_v, group = hp->n_head / hp->n_head_kv;
    const bool f16 = kv->type == MV_TYPE_F16;
    const float scale = 1.0f / sqrtf((float)hd);
    const dot_fn dot = m->dot[ORDER_VEC][kv->type], chain = n > 1 ? m->dot[ORDER_GEMM][kv->type] : NULL;
    const dot_fn score_dot = f16 && chain && hd % 16 == 0 ? chain : dot;
    const size_t k_head_bytes = row_bytes(kv->type, hd);
    MV_PARALLEL_FOR(ctx->params.n_threads)
    for (int job = 0; job < n * n_head; job++) {
        const int t = job / n_head, h = job % n_head, kvh = h / group, n_keys = pos[t] + 1;
        const int n_pad = (n_keys + 63) / 64 * 64;
        const float *qh = q + ((size_t)t * n_head + h) * hd;
        uint16_t q16[1024];
        if (f16) quantize_f16(qh, q16, hd);
        float *p = ctx->att_scores + (size_t)thread_index() * kv->n_ctx_pad, max = -INFINITY;
        for (int j = 0; j < n_keys; j++) {
            const uint8_t *k = kv_k_row(kv, layer, seq[t], j) + kvh * k_head_bytes;
            p[j] = score_dot(hd, k, f16 ? (const void *)q16 : (const void *)qh) * scale;
            max = fmaxf(max, p[j]);
        }
        double sum = 0;
        for (int c = 0; c < n_pad; c += 16) {
            float e[16];
            for (int l = 0; l < 16; l++) e[l] = p[c + l] = c + l < n_keys ? exp_approx(p[c + l] - max) : 0.0f;
            sum += reduce16(e);
        }
        const float inv = (float)(1.0 / sum);
        for (int j = 0; j < n_pad; j++) {
            const float w = p[j] * inv;
            if (f16) ((uint16_t *)p)[j] = f32_to_f16(w); /* in place: entry j lies below float j */
            else p[j] = w;
        }
        float *o = out + ((size_t)t * n_head + h) * hdv;
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
        for (int i = 0; i < n16; i++) g[i] = g[i] / (1.0f + exp_approx(0.0f - g[i])) * u[i];
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
    matmul(ctx, ctx->q, L->wq, ctx->xn, n);
    matmul(ctx, ctx->k, L->wk, ctx->xn, n);
    matmul(ctx, ctx->v, L->wv, ctx->xn, n);
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

static void ffn_block(mv_context *ctx, int il, int n) {
    const hparams *hp = &ctx->model->hp;
    const layer_weights *L = &ctx->model->layers[il];
    const int E = hp->n_embd;
    for (int t = 0; t < n; t++) rmsnorm(ctx->xn + (size_t)t * E, ctx->x + (size_t)t * E, L->ffn_norm, E, hp->rms_eps);
    matmul(ctx, ctx->gate, L->ffn_gate, ctx->xn, n);
    matmul(ctx, ctx->up, L->ffn_up, ctx->xn, n);
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
   8. tokenizer — SentencePiece BPE from GGUF metadata
   ============================================================================ */

enum { VOCAB_NONE, VOCAB_SPM };
/* Token types as GGUF stores them (tokenizer.ggml.token_type). */
enum { TOKEN_UNDEFINED, TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE };

typedef struct vocab {
    int kind;
    char why_none[MV_ERROR_SIZE];   /* kind NONE: why text cannot be tokenized */
    int32_t n;
    const char **text;              /* token texts, in the mapping, not NUL-terminated */
    uint32_t *len;
    float *score;
    uint8_t *attr;                  /* TOKEN_* */
    str_map index;                  /* text -> id */
    int32_t bos, eos, unk, eot;     /* -1: none */
    bool add_bos, add_eos, add_space_prefix;
    int32_t *special;               /* stb_ds: CONTROL/USER_DEFINED/UNKNOWN ids, longest text first */
    int32_t byte_token[256];        /* <0xHH> ids, -1 if absent */
} vocab;

static const char *vocab_key(const void *owner, int32_t id, size_t *len) {
    const vocab *v = owner;
    *len = v->len[id];
    return v->text[id];
}

static int32_t vocab_find(const vocab *v, const char *s, size_t len) { return strmap_get(&v->index, s, len, vocab_key, v); }

static void vocab_free(vocab *v) {
    if (!v) return;
    free(v->text);
    free(v->len);
    free(v->score);
    free(v->attr);
    strmap_free(&v->index);
    arrfree(v->special);
    free(v);
}

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

typedef struct {
    uint32_t len;
    int32_t id;
} sized_token;

static int longest_first(const void *a, const void *b) {
    const sized_token *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Reads tokenizer.ggml.* into v. A file without a tokenizer, or with a kind
   not implemented, gives kind NONE (text functions then say why). */
static int vocab_load(vocab *v, const model_file *f, char *err) {
    memset(v, 0, sizeof *v);
    v->bos = v->eos = v->unk = v->eot = -1;
    for (int b = 0; b < 256; b++) v->byte_token[b] = -1;
    size_t mlen = 0;
    const char *model = meta_string(meta_find(f, "tokenizer.ggml.model"), &mlen);
    const meta_kv *tokens = meta_find(f, "tokenizer.ggml.tokens");
    if (!model || !tokens) {
        snprintf(v->why_none, sizeof v->why_none, "the model has no tokenizer");
        return MV_OK;
    }
    if (tokens->type != GGUF_ARRAY || tokens->array_type != GGUF_STRING || tokens->n == 0 || tokens->n > (1u << 24))
        return fail(err, MV_ERR_FORMAT, "GGUF key 'tokenizer.ggml.tokens': expected a non-empty array of strings");
    v->n = (int32_t)tokens->n;
    v->text = malloc((size_t)v->n * sizeof *v->text);
    v->len = malloc((size_t)v->n * sizeof *v->len);
    v->score = calloc((size_t)v->n, sizeof *v->score);
    v->attr = malloc((size_t)v->n);
    if (!v->text || !v->len || !v->score || !v->attr) return MV_ERR_NOMEM;
    const uint8_t *p = tokens->data;
    for (int32_t i = 0; i < v->n; i++) {
        uint64_t len;
        memcpy(&len, p, 8);
        if (len > UINT32_MAX) return fail(err, MV_ERR_FORMAT, "tokenizer.ggml.tokens[%d]: absurd length", i);
        v->text[i] = (const char *)p + 8, v->len[i] = (uint32_t)len;
        p += 8 + len;
        v->attr[i] = TOKEN_NORMAL;
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
    int rc;
    bool spm = mlen == 5 && !memcmp(model, "llama", 5);
    if ((rc = vocab_id(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1, v->n, &v->bos, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1, v->n, &v->eos, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, v->n, &v->unk, err)) ||
        (rc = vocab_id(f, "tokenizer.ggml.eot_token_id", -1, v->n, &v->eot, err)))
        return rc;
    if (!spm) {
        snprintf(v->why_none, sizeof v->why_none, "tokenizer model '%.*s' is not supported", (int)MV_MIN(mlen, 64), model);
        return MV_OK;
    }
    v->kind = VOCAB_SPM;
    v->add_bos = vocab_flag(f, "tokenizer.ggml.add_bos_token", true);
    v->add_eos = vocab_flag(f, "tokenizer.ggml.add_eos_token", false);
    v->add_space_prefix = vocab_flag(f, "tokenizer.ggml.add_space_prefix", true);
    if ((rc = strmap_init(&v->index, (size_t)v->n))) return rc;
    sized_token *special = NULL;
    for (int32_t i = 0; i < v->n; i++) {
        strmap_put(&v->index, i, vocab_key, v);
        uint8_t a = v->attr[i];
        if (a == TOKEN_CONTROL || a == TOKEN_USER_DEFINED || a == TOKEN_UNKNOWN) arrput(special, ((sized_token){v->len[i], i}));
    }
    if (special) qsort(special, (size_t)arrlen(special), sizeof *special, longest_first);
    for (ptrdiff_t i = 0; i < arrlen(special); i++) arrput(v->special, special[i].id);
    arrfree(special);
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        v->byte_token[b] = vocab_find(v, name, 6);
    }
    return MV_OK;
}

/* A piece of the input: raw text (token < 0) or an already matched special token. */
typedef struct {
    int32_t token;
    size_t off, len;
} fragment;

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m) {
    if (m == 0 || m > n) return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, m)) return hay + i;
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
        if (!tlen) continue;
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

typedef struct {
    int prev, next;
    size_t off, n;
} spm_symbol;

typedef struct {
    int left, right;
    float score;
    size_t size;
} spm_bigram;

/* Heap order: higher score first, then the leftmost pair. */
static bool bigram_before(const spm_bigram *a, const spm_bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(spm_bigram **heap, spm_bigram b) {
    arrput(*heap, b);
    spm_bigram *h = *heap;
    for (ptrdiff_t i = arrlen(h) - 1; i > 0;) {
        ptrdiff_t parent = (i - 1) / 2;
        if (!bigram_before(&h[i], &h[parent])) break;
        spm_bigram t = h[i]; h[i] = h[parent]; h[parent] = t;
        i = parent;
    }
}

static spm_bigram heap_pop(spm_bigram *h) {
    spm_bigram top = h[0];
    h[0] = arrpop(h);
    ptrdiff_t n = arrlen(h);
    for (ptrdiff_t i = 0;;) {
        ptrdiff_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && bigram_before(&h[l], &h[best])) best = l;
        if (r < n && bigram_before(&h[r], &h[best])) best = r;
        if (best == i) break;
        spm_bigram t = h[i]; h[i] = h[best]; h[best] = t;
        i = best;
    }
    return top;
}

static void spm_try_bigram(const vocab *v, const char *s, const spm_symbol *sym, int left, int right, spm_bigram **heap) {
    if (left < 0 || right < 0) return;
    size_t n = sym[left].n + sym[right].n;
    int32_t id = vocab_find(v, s + sym[left].off, n);
    if (id >= 0) heap_push(heap, (spm_bigram){left, right, v->score[id], n});
}

/* SentencePiece BPE on one escaped fragment: start from UTF-8 characters,
   merge the adjacent pair whose union is the best-scoring token, repeat;
   pieces that are not tokens fall back to <0xHH> byte tokens. */
static void spm_encode(const vocab *v, const char *s, size_t len, int32_t **out) {
    spm_symbol *sym = NULL;
    spm_bigram *heap = NULL;
    for (size_t off = 0; off < len;) {
        size_t n = MV_MIN((size_t)utf8_seq_len((uint8_t)s[off]), len - off);
        int i = (int)arrlen(sym);
        arrput(sym, ((spm_symbol){i - 1, i + 1, off, n}));
        off += n;
    }
    if (!sym) return;
    arrlast(sym).next = -1;
    for (int i = 1; i < (int)arrlen(sym); i++) spm_try_bigram(v, s, sym, i - 1, i, &heap);
    while (arrlen(heap)) {
        spm_bigram b = heap_pop(heap);
        spm_symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale: a side was merged */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        spm_try_bigram(v, s, sym, l->prev, b.left, &heap);
        spm_try_bigram(v, s, sym, b.left, l->next, &heap);
    }
    for (int i = 0; i >= 0; i = sym[i].next) {
        int32_t id = vocab_find(v, s + sym[i].off, sym[i].n);
        if (id >= 0) {
            arrput(*out, id);
            continue;
        }
        for (size_t j = 0; j < sym[i].n; j++) {
            int32_t b = v->byte_token[(uint8_t)s[sym[i].off + j]];
            arrput(*out, b >= 0 ? b : v->unk);
        }
    }
    arrfree(sym);
    arrfree(heap);
}

/* Tokenizes text into *out (stb_ds). */
static int vocab_encode(const vocab *v, const char *text, size_t len, int flags, int32_t **out, char *err) {
    if (v->kind == VOCAB_NONE) return fail(err, MV_ERR_UNSUPPORTED, "cannot tokenize: %s", v->why_none);
    bool add_special = flags & MV_TOKENIZE_ADD_SPECIAL;
    if (add_special && v->add_bos && v->bos >= 0) arrput(*out, v->bos);
    fragment *frags = split_special(v, text, len, flags & MV_TOKENIZE_PARSE_SPECIAL);
    char *escaped = NULL;
    bool prev_special = true; /* the first fragment gets the dummy-prefix space */
    for (ptrdiff_t i = 0; i < arrlen(frags); i++) {
        if (frags[i].token >= 0) {
            arrput(*out, frags[i].token);
            prev_special = true;
            continue;
        }
        arrsetlen(escaped, 0);
        if (v->add_space_prefix && prev_special) buf_append(&escaped, "\xE2\x96\x81", 3);
        for (size_t j = 0; j < frags[i].len; j++) {
            char c = text[frags[i].off + j];
            if (c == ' ') buf_append(&escaped, "\xE2\x96\x81", 3);
            else buf_append(&escaped, &c, 1);
        }
        spm_encode(v, escaped, (size_t)arrlen(escaped), out);
        prev_special = false;
    }
    arrfree(escaped);
    arrfree(frags);
    if (add_special && v->add_eos && v->eos >= 0) arrput(*out, v->eos);
    return MV_OK;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the bytes of one token: "▁" becomes a space, <0xHH> its byte,
   control tokens only when special is set. */
static void vocab_piece(const vocab *v, int32_t id, bool special, char **out) {
    const char *s = v->text[id];
    uint32_t n = v->len[id];
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
            char b = (char)(hex_digit(s[3]) * 16 + hex_digit(s[4]));
            buf_append(out, &b, 1);
            return;
        }
        break;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i + 2 < n && !memcmp(s + i, "\xE2\x96\x81", 3)) {
            buf_append(out, " ", 1);
            i += 2;
        } else {
            buf_append(out, s + i, 1);
        }
    }
}

/* Moves the complete UTF-8 at the start of s[0..n) to out, an invalid
   sequence as U+FFFD, and returns how many bytes it consumed: a sequence
   cut off at the end is held back (unless final), so streamed text never
   carries a broken character. */
static size_t utf8_take_complete(const char *s, size_t n, bool final, char **out) {
    size_t i = 0;
    while (i < n) {
        const uint8_t *p = (const uint8_t *)s + i;
        int len = utf8_valid_len(p, (const uint8_t *)s + n);
        if (len) {
            buf_append(out, p, (size_t)len);
            i += (size_t)len;
            continue;
        }
        int want = utf8_seq_len(p[0]);
        size_t have = 1;
        while (have < (size_t)want && i + have < n && (p[have] & 0xC0) == 0x80) have++;
        if (!final && p[0] >= 0xC2 && p[0] <= 0xF4 && i + have == n && have < (size_t)want) return i;
        buf_append(out, "\xEF\xBF\xBD", 3);
        i += 1;
    }
    return i;
}

/* ============================================================================
   9. sampling — greedy, temperature, top-k, top-p, min-p, penalties, seed
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
   10. generation — the public API on top of all the above
   ============================================================================ */

mv_model_params mv_model_default_params(void) { return (mv_model_params){0}; }

/* A tensor the table names, checked against the hyperparameters. */
static int bind_one(mv_model *m, const struct binding *b, int layer, char *err) {
    char name[GGUF_MAX_NAME];
    snprintf(name, sizeof name, b->name, layer);
    const tensor *t = file_tensor(&m->file, name);
    if (!t) return b->flags & BIND_OPTIONAL ? MV_OK : fail(err, MV_ERR_FORMAT, "tensor %s is missing", name);
    int64_t want[4] = {dim_size(&m->hp, b->dims[0]), b->dims[1] ? dim_size(&m->hp, b->dims[1]) : 1, 1, 1};
    for (int d = 0; d < 4; d++)
        if (t->ne[d] != want[d])
            return fail(err, MV_ERR_FORMAT, "tensor %s: shape {%lld, %lld, %lld, %lld}, expected {%lld, %lld, %lld, %lld}", name,
                        (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
                        (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
    if (!type_implemented(t->type)) return fail(err, MV_ERR_UNSUPPORTED, "tensor %s: type %s is not supported", name, TYPES[t->type].name);
    char *base = b->flags & BIND_LAYER ? (char *)&m->layers[layer] : (char *)&m->w;
    if (b->flags & BIND_VECTOR) {
        const float *v = (const float *)t->data;
        if (t->type != MV_TYPE_F32) {
            float *copy = malloc((size_t)t->ne[0] * sizeof *copy);
            if (!copy) return MV_ERR_NOMEM;
            TYPES[t->type].dequantize(t->data, copy, t->ne[0]);
            arrput(m->owned, copy);
            v = copy;
        }
        memcpy(base + b->offset, &v, sizeof v);
        return MV_OK;
    }
    if (!DOT_KERNELS[KERNEL_SCALAR][ORDER_VEC][t->type] && strcmp(name, "token_embd.weight"))
        return fail(err, MV_ERR_UNSUPPORTED, "tensor %s: type %s cannot be used in a matrix product", name, TYPES[t->type].name);
    memcpy(base + b->offset, &t, sizeof t);
    return MV_OK;
}

static int bind_weights(mv_model *m, char *err) {
    const tensor *embd = file_tensor(&m->file, "token_embd.weight");
    if (embd && embd->ne[0] == m->hp.n_embd) m->hp.n_vocab = (int)embd->ne[1];
    if (m->vocab->n > m->hp.n_vocab && m->hp.n_vocab > 0)
        return fail(err, MV_ERR_FORMAT, "the tokenizer has %d tokens but the model only %d", m->vocab->n, m->hp.n_vocab);
    m->layers = calloc((size_t)m->hp.n_layer, sizeof *m->layers);
    if (!m->layers) return MV_ERR_NOMEM;
    for (size_t i = 0; i < sizeof BINDINGS / sizeof *BINDINGS; i++) {
        const struct binding *b = &BINDINGS[i];
        for (int l = 0; l < (b->flags & BIND_LAYER ? m->hp.n_layer : 1); l++) {
            int rc = bind_one(m, b, l, err);
            if (rc) return rc;
        }
    }
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

/* Everything after parsing: tokenizer, hyperparameters, weights, kernels. */
static int model_init(mv_model *m, const mv_model_params *p, char *err) {
    if (!(m->vocab = calloc(1, sizeof *m->vocab))) return MV_ERR_NOMEM;
    int rc = vocab_load(m->vocab, &m->file, err);
    if (rc) return rc;
    size_t len;
    const char *arch = meta_string(meta_find(&m->file, "general.architecture"), &len);
    snprintf(m->arch_name, sizeof m->arch_name, "%.*s", arch ? (int)MV_MIN(len, 63) : 0, arch ? arch : "");
    m->hp.n_vocab = m->vocab->n;
    if (!p->vocab_only && ((rc = read_hparams(&m->file, m->vocab->n, &m->hp, err)) || (rc = bind_weights(m, err)))) return rc;
    m->kernel_level = p->scalar_only ? KERNEL_SCALAR : native_kernel_level();
    for (int o = 0; o < ORDERS; o++)
        for (int t = 0; t < MV_TYPE_COUNT; t++) m->dot[o][t] = dot_kernel(m->kernel_level, o, t);
    for (ptrdiff_t i = 0; i < arrlen(m->file.tensors); i++) {
        m->n_params += (uint64_t)tensor_n_elements(&m->file.tensors[i]);
        m->weight_bytes += m->file.tensors[i].nbytes;
    }
    return MV_OK;
}

int mv_model_load(const char *path, const mv_model_params *params, mv_model **out, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    if (!out || !path) {
        copy_error(err_out, err_size, "mv_model_load: path and model must not be NULL");
        return MV_ERR_ARG;
    }
    *out = NULL;
    mv_model_params p = params ? *params : mv_model_default_params();
    mv_model *m = calloc(1, sizeof *m);
    int rc = m ? model_file_open(&m->file, path, err) : MV_ERR_NOMEM;
    if (!rc) rc = model_init(m, &p, err);
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
    int i = 0;
    if (!special && n > 0 && tokens[0] == v->bos) i = 1;
    for (const int first = i; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= v->n) {
            arrfree(text);
            return MV_ERR_ARG;
        }
        vocab_piece(v, tokens[i], special, &text);
        if (i == first && v->add_space_prefix && arrlen(text) && text[0] == ' ') {
            memmove(text, text + 1, (size_t)arrlen(text) - 1);
            arrsetlen(text, arrlen(text) - 1);
        }
    }
    return copy_out(text, buf, size);
}

mv_token mv_token_bos(const mv_model *m) { return m->vocab->bos; }
mv_token mv_token_eos(const mv_model *m) { return m->vocab->eos; }

int mv_token_is_end(const mv_model *m, mv_token t) {
    return t >= 0 && (t == m->vocab->eos || t == m->vocab->eot);
}

mv_context_params mv_context_default_params(void) {
    return (mv_context_params){.n_ctx = 0, .n_batch = 512, .n_threads = 0, .n_seq = 1, .kv_type = MV_TYPE_F16};
}

void mv_context_free(mv_context *ctx) {
    if (!ctx) return;
    kv_free(&ctx->kv);
    float *buffers[] = {ctx->x, ctx->xn, ctx->q, ctx->k, ctx->v, ctx->att, ctx->tmp, ctx->gate, ctx->up, ctx->rope, ctx->att_scores, ctx->logits};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++) free(buffers[i]);
    free(ctx->act);
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
        (p.kv_type != MV_TYPE_F32 && p.kv_type != MV_TYPE_F16)) {
        copy_error(err_out, err_size, "mv_context_create: n_ctx, n_seq, n_threads, n_batch or kv_type out of range");
        return MV_ERR_ARG;
    }
    p.n_batch = MV_MIN(p.n_batch, p.n_ctx);
    mv_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return MV_ERR_NOMEM;
    ctx->model = m;
    ctx->params = p;
    const size_t B = (size_t)p.n_batch, E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
    const size_t nq = (size_t)hp->n_head * hp->head_dim, nk = (size_t)hp->n_head_kv * hp->head_dim;
    const size_t nv = (size_t)hp->n_head_kv * hp->head_dim_v, natt = (size_t)hp->n_head * hp->head_dim_v;
    const size_t widest = MV_MAX(MV_MAX(E, F), natt);
    ctx->x = alloc_aligned(B * E * 4), ctx->xn = alloc_aligned(B * E * 4), ctx->tmp = alloc_aligned(B * E * 4);
    ctx->q = alloc_aligned(B * nq * 4), ctx->k = alloc_aligned(B * nk * 4), ctx->v = alloc_aligned(B * nv * 4);
    ctx->att = alloc_aligned(B * natt * 4), ctx->gate = alloc_aligned(B * F * 4), ctx->up = alloc_aligned(B * F * 4);
    ctx->rope = alloc_aligned(B * (size_t)MV_MAX(hp->n_rot, 1) * 4);
    ctx->att_scores = alloc_aligned((size_t)p.n_threads * (size_t)((p.n_ctx + 63) / 64 * 64) * sizeof(float));
    ctx->act = alloc_aligned(B * MV_MAX(row_bytes(MV_TYPE_Q8_1, (int64_t)(widest + QK - 1) / QK * QK), widest * 2));
    int rc = ctx->x && ctx->xn && ctx->tmp && ctx->q && ctx->k && ctx->v && ctx->att && ctx->gate && ctx->up &&
             ctx->rope && ctx->att_scores && ctx->act ? MV_OK : MV_ERR_NOMEM;
    if (!rc) rc = kv_init(&ctx->kv, hp, p.kv_type, p.n_ctx, p.n_seq);
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

int mv_kv_length(const mv_context *ctx, int seq) {
    return seq >= 0 && seq < ctx->params.n_seq ? ctx->kv.length[seq] : MV_ERR_ARG;
}

int mv_kv_truncate(mv_context *ctx, int seq, int n_keep) {
    if (seq < -1 || seq >= ctx->params.n_seq || n_keep < 0) return MV_ERR_ARG;
    for (int s = 0; s < ctx->params.n_seq; s++)
        if ((seq < 0 || s == seq) && ctx->kv.length[s] > n_keep) ctx->kv.length[s] = n_keep;
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

/* ============================================================================
   11. model writer — random-weight models; quantized copies of models
   ============================================================================ */

typedef struct {
    const char *name;
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
} model_shape;

static const model_shape SHAPES[] = {
    {"demo", 1024, 128, 2, 4, 2, 384, 512},
    {"tinyllama-1.1b", 32000, 2048, 22, 32, 4, 5632, 2048},
    {"llama-7b", 32000, 4096, 32, 32, 32, 11008, 4096},
    {"mistral-7b", 32000, 4096, 32, 32, 8, 14336, 32768},
};

mv_make_model_params mv_make_model_default_params(void) {
    return (mv_make_model_params){.arch = "llama", .shape = "demo", .type = "F32", .seed = 42};
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
    const bool norm = src->w->tensors[index].n_dims == 1;
    MV_PARALLEL_FOR(nt)
    for (int64_t r = r0; r < r1; r++) {
        uint64_t state = src->seed ^ ((uint64_t)index << 40) ^ (uint64_t)r * 0x9E3779B97F4A7C15ull;
        float *row = out + (size_t)(r - r0) * (size_t)n;
        const float scale = norm ? 0.1f : 1.0f / sqrtf((float)n);
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
        if (!TYPES[type].quantize || TYPES[type].dot_type < 0) return fail(err, MV_ERR_UNSUPPORTED, "type %s is not supported", TYPES[type].name);
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

/* Metadata of a random llama model; its tokenizer copied from another
   model's file, or synthetic. */
static void write_llama_metadata(gguf_writer *w, const model_shape *s, const char *type_name, int file_type, bool quantized,
                                 const model_file *vocab) {
    char name[96];
    snprintf(name, sizeof name, "minerva random %s %s", s->name, type_name);
    gw_str(w, "general.architecture", "llama");
    gw_str(w, "general.name", name);
    gw_u32(w, "general.file_type", (uint32_t)file_type);
    if (quantized) gw_u32(w, "general.quantization_version", 2);
    gw_u32(w, "llama.context_length", (uint32_t)s->n_ctx);
    gw_u32(w, "llama.embedding_length", (uint32_t)s->n_embd);
    gw_u32(w, "llama.block_count", (uint32_t)s->n_layer);
    gw_u32(w, "llama.feed_forward_length", (uint32_t)s->n_ff);
    gw_u32(w, "llama.attention.head_count", (uint32_t)s->n_head);
    gw_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv);
    gw_u32(w, "llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head));
    gw_f32(w, "llama.rope.freq_base", 10000.0f);
    gw_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_u32(w, "llama.vocab_size", (uint32_t)s->n_vocab);
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

static void add_tensor(tensor **list, const char *name, int n_dims, int64_t ne0, int64_t ne1) {
    tensor t = {.name = strdup(name), .type = MV_TYPE_F32, .n_dims = n_dims, .ne = {ne0, ne1, 1, 1}};
    arrput(*list, t);
}

/* Writes a llama model of shape s with random weights: each in type `pure`
   (≥ 0) or as mixture m picks; norms F32. vocab: a model file whose
   tokenizer is copied (its size replaces the shape's), or NULL. */
static int write_random_model(const model_shape *shape, int pure, int m, const model_file *vocab, uint64_t seed, int nt, const char *path,
                              char *err) {
    model_shape s = *shape;
    const meta_kv *tokens = vocab ? meta_find(vocab, "tokenizer.ggml.tokens") : NULL;
    if (vocab && (!tokens || tokens->type != GGUF_ARRAY || tokens->n == 0 || tokens->n > (1u << 24)))
        return fail(err, MV_ERR_FORMAT, "the vocabulary's file has no tokenizer.ggml.tokens");
    if (tokens) s.n_vocab = (int)tokens->n;
    const int64_t E = s.n_embd, F = s.n_ff, hd = s.n_embd / s.n_head, V = s.n_vocab;
    const struct { const char *name; int64_t ne0, ne1; bool norm; } layer_tensors[] = {
        {"blk.%d.attn_norm.weight", E, 1, true}, {"blk.%d.attn_q.weight", E, s.n_head * hd, false},
        {"blk.%d.attn_k.weight", E, s.n_head_kv * hd, false}, {"blk.%d.attn_v.weight", E, s.n_head_kv * hd, false},
        {"blk.%d.attn_output.weight", s.n_head * hd, E, false}, {"blk.%d.ffn_norm.weight", E, 1, true},
        {"blk.%d.ffn_gate.weight", E, F, false}, {"blk.%d.ffn_up.weight", E, F, false}, {"blk.%d.ffn_down.weight", F, E, false},
    };
    tensor *tensors = NULL;
    add_tensor(&tensors, "token_embd.weight", 2, E, V);
    for (int l = 0; l < s.n_layer; l++)
        for (size_t i = 0; i < sizeof layer_tensors / sizeof *layer_tensors; i++) {
            char name[64];
            snprintf(name, sizeof name, layer_tensors[i].name, l);
            add_tensor(&tensors, name, layer_tensors[i].norm ? 1 : 2, layer_tensors[i].ne0, layer_tensors[i].ne1);
        }
    add_tensor(&tensors, "output_norm.weight", 1, E, 1);
    add_tensor(&tensors, "output.weight", 2, E, V);
    const ptrdiff_t n = arrlen(tensors);
    const mixture_model mm = {"llama", s.n_layer, s.n_head, s.n_head_kv, 0};
    int *types = malloc((size_t)n * sizeof *types);
    gguf_writer w;
    gw_init(&w);
    int rc = types ? choose_types(tensors, n, &mm, pure, m, types) : MV_ERR_NOMEM;
    if (rc) fail(err, rc, "%s: out of memory", path);
    const int base = m >= 0 ? MIXTURES[m].base : pure;
    write_llama_metadata(&w, &s, m >= 0 ? MIXTURES[m].name : TYPES[pure].name, m >= 0 ? MIXTURES[m].file_type : file_type_of(pure),
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
    else if (!s) rc = fail(err, MV_ERR_ARG, "unknown shape '%s' (demo, tinyllama-1.1b, llama-7b, mistral-7b)", p.shape ? p.shape : "");
    else if (p.arch && strcmp(p.arch, "llama")) rc = fail(err, MV_ERR_UNSUPPORTED, "make-model: architecture '%s' is not supported", p.arch);
    else rc = parse_quantize_type(p.type ? p.type : "F32", &pure, &mixture, err);
    if (!rc && p.vocab_from) rc = model_file_open(&vocab, p.vocab_from, err);
    if (!rc) rc = write_random_model(s, pure, mixture, p.vocab_from ? &vocab : NULL, p.seed, p.n_threads > 0 ? p.n_threads : default_thread_count(),
                                     path, err);
    if (p.vocab_from) model_file_free(&vocab);
    if (rc) copy_error(err_out, err_size, err);
    return rc;
}

/* ---- quantized copies: minerva quantize --------------------------------- */

/* Rows [r0, r1) of tensor `index` of a model file, as f32. */
static void dequantized_rows(const void *source, int index, float *out, int64_t r0, int64_t r1, int64_t n, int nt) {
    const tensor *t = &((const model_file *)source)->tensors[index];
    const size_t rb = row_bytes(t->type, n);
    MV_PARALLEL_FOR(nt)
    for (int64_t r = r0; r < r1; r++) TYPES[t->type].dequantize(t->data + (size_t)r * rb, out + (size_t)(r - r0) * (size_t)n, n);
}

static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int quantize_file(const model_file *f, const char *out, int pure, int mixture, int nt, char *err) {
    const ptrdiff_t n = arrlen(f->tensors);
    int *types = malloc((size_t)MV_MAX(n, 1) * sizeof *types);
    if (!types) return fail(err, MV_ERR_NOMEM, "out of memory");
    mixture_model mm;
    mixture_model_read(f, &mm);
    int rc = choose_types(f->tensors, n, &mm, pure, mixture, types);
    if (rc) fail(err, rc, "out of memory");
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
    gw_u32(&w, "general.file_type", (uint32_t)(mixture >= 0 ? MIXTURES[mixture].file_type : file_type_of(pure)));
    gw_u32(&w, "general.quantization_version", 2);
    for (ptrdiff_t i = 0; i < n; i++) gw_tensor(&w, f->tensors[i].name, types[i], f->tensors[i].n_dims, f->tensors[i].ne);
    row_slabs slabs = {0};
    if (!rc) rc = gw_begin(&w, out, err);
    if (!rc) rc = row_slabs_init(&slabs, out, err);
    for (ptrdiff_t i = 0; !rc && i < n; i++) {
        const tensor *t = &f->tensors[i];
        rc = types[i] == t->type ? gw_tensor_data(&w, t->data, (size_t)t->nbytes, err)
                                 : gw_rows(&w, &w.tensors[i], dequantized_rows, f, (int)i, &slabs, nt, err);
    }
    if (!rc) rc = gw_finish(&w, err);
    row_slabs_free(&slabs);
    gw_free(&w);
    free(types);
    return rc;
}

int mv_quantize(const char *in, const char *out, const char *type, int n_threads, char *err_out, size_t err_size) {
    char err[MV_ERROR_SIZE] = "";
    int pure, mixture, rc = parse_quantize_type(type, &pure, &mixture, err);
    model_file f;
    if (!rc && (!in || !out)) rc = fail(err, MV_ERR_ARG, "quantize: input and output paths are needed");
    if (!rc && same_file(in, out)) rc = fail(err, MV_ERR_ARG, "quantize: %s is both input and output", out);
    if (!rc && !(rc = model_file_open(&f, in, err))) {
        rc = quantize_file(&f, out, pure, mixture, n_threads > 0 ? n_threads : default_thread_count(), err);
        model_file_free(&f);
    }
    if (rc) copy_error(err_out, err_size, err);
    return rc;
}
