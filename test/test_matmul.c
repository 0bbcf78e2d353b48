/* The matmul driver and its panel kernels against the scalar dot kernels:
   every output of matmul, at every kernel level and several thread counts,
   must be the scalar kernel's of the same order, bit for bit (same_result:
   within rounding only where SIMDe emulates FMA). Uses test_numbers.c's
   makers of weights and activations. */

/* A model with just what matmul reads: the kernels of a level. */
static void matmul_model(mv_model *m, int level) {
    memset(m, 0, sizeof *m);
    m->kernel_level = level;
    for (int o = 0; o < ORDERS; o++)
        for (int ty = 0; ty < MV_TYPE_COUNT; ty++) m->dot[o][ty] = dot_kernel(level, o, ty);
}

/* A context with just what matmul reads, for n_tokens rows of up to n floats. */
static mv_context *matmul_context(mv_model *m, int n_threads, int n_tokens, int n) {
    mv_context *ctx = calloc(1, sizeof *ctx);
    ctx->model = m;
    ctx->params.n_threads = n_threads;
    ctx->act = alloc_aligned((size_t)n_tokens * (size_t)n * 4);
    ctx->act_d = calloc(panel_d_count(n_tokens, n), sizeof(float));
    ctx->act_c = alloc_aligned((size_t)n_tokens * (size_t)(n / QK) * 8 * sizeof(int32_t));
    ctx->panel_scratch = alloc_aligned((size_t)n_threads * PANEL_SCRATCH);
    return ctx;
}

static void matmul_context_free(mv_context *ctx) {
    free(ctx->act), free(ctx->act_d), free(ctx->act_c), free(ctx->panel_scratch);
    free(ctx);
}

/* w made resident alone, as at load (pk NULL: copied as stored); free() it. */
static uint8_t *resident_rows(const panel_kernel *pk, const tensor *w, const file_map *source) {
    resident_matrix r = resident_plan(w, pk, source);
    if (!(r.dst = alloc_huge(r.dst_bytes))) return NULL;
    make_resident(&r, 1);
    return r.dst;
}

static void test_matmul_panels(test_state *t) {
    static const int types[] = {MV_TYPE_F32, MV_TYPE_F16, MV_TYPE_Q8_0, MV_TYPE_Q4_0, MV_TYPE_Q4_K, MV_TYPE_Q6_K};
    static const int token_counts[] = {1, 3, 4, 5, 17};
    enum { MAX_TOKENS = 17, MAX_N = 5632, MAX_ROWS = 56 };
    /* per type: widths (several blocks; floats also off the 16/64 steps), rows (whole panels, leftovers that keep and that
       lose llama.cpp's repacked or GEMM order) */
    static const int float_n[] = {64, 208, 300, 2080}, block_n[] = {64, 352, 5632}, k_n[] = {256, 768};
    static const int float_rows[] = {36, 14, 4}, q4_rows[] = {48, 56, 44}, q8_rows[] = {12, 14, 4}, k_rows[] = {48, 20, 8};
    uint64_t s = 11;
    uint8_t *w = malloc((size_t)MAX_ROWS * MAX_N * 4), *a = malloc((size_t)MAX_TOKENS * MAX_N * 4);
    float *x = malloc((size_t)MAX_TOKENS * MAX_N * sizeof *x), *want = malloc((size_t)MAX_TOKENS * MAX_ROWS * sizeof *want);
    float *got = malloc((size_t)MAX_TOKENS * MAX_ROWS * sizeof *got);
    double *abs_sum = malloc((size_t)MAX_TOKENS * MAX_ROWS * sizeof *abs_sum);
    bool used[KERNEL_LEVELS][ORDERS][MV_TYPE_COUNT] = {{{false}}};
    mv_model *m = malloc(sizeof *m);
    int compared = 0, packed_runs = 0;
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
        const int ty = types[ti], at = TYPES[ty].dot_type;
        const bool floats = TYPES[ty].block_size == 1;
        const bool k_type = TYPES[ty].block_size == QK_K;
        const int *ns = floats ? float_n : k_type ? k_n : block_n;
        const int n_ns = floats ? 4 : k_type ? 2 : 3;
        const int *rows = floats ? float_rows : ty == MV_TYPE_Q4_0 ? q4_rows : ty == MV_TYPE_Q8_0 ? q8_rows : k_rows;
        for (int ni = 0; ni < n_ns; ni++)
            for (int ri = 0; ri < 3; ri++) {
                const int n = ns[ni], n_out = rows[ri];
                const size_t w_stride = row_bytes(ty, n), a_stride = row_bytes(at, n);
                for (int r = 0; r < n_out; r++) make_weights(ty, n, r % 5 == 4 ? 4 : 0, w + r * w_stride, &s);
                const tensor wt = {.type = ty, .n_dims = 2, .ne = {n, n_out, 1, 1}, .data = w};
                for (size_t ki = 0; ki < sizeof token_counts / sizeof *token_counts; ki++) {
                    const int T = token_counts[ki];
                    for (int k = 0; k < T; k++) make_activations(ty, n, k % 4 == 3 ? 3 : 0, a + k * a_stride, x + (size_t)k * n, &s);
                    matmul_model(m, KERNEL_SCALAR);
                    for (int k = 0; k < T; k++)
                        for (int r = 0; r < n_out; r++) {
                            const int order = matmul_order(m, &wt, T, k);
                            want[k * n_out + r] = DOT_KERNELS[KERNEL_SCALAR][order][ty](n, w + r * w_stride, a + k * a_stride);
                            reference_dot(ty, n, w + r * w_stride, a + k * a_stride, &abs_sum[k * n_out + r]);
                        }
                    for (int level = 0; level < KERNEL_LEVELS; level++)
                        for (int nth = 1; nth <= 3; nth++) {
                            if (nth != 2 && level != native_kernel_level()) continue;
                            matmul_model(m, level);
                            mv_context *ctx = matmul_context(m, nth, T, n);
                            /* the rows as stored, then (where the panel kernel has a layout) repacked as at load */
                            const panel_kernel *pk = packing_kernel(m, &wt);
                            for (int packed = 0; packed <= (pk != NULL); packed++) {
                                tensor wp = wt;
                                if (packed) wp.panels = resident_rows(pk, &wt, NULL), packed_runs++;
                                matmul(ctx, got, &wp, x, T);
                                for (int k = 0; k < T; k++) {
                                    if (matmul_panel(m, &wt, matmul_order(m, &wt, T, k), T)) used[level][matmul_order(m, &wt, T, k)][ty] = true;
                                    for (int r = 0; r < n_out; r++, compared++)
                                        CHECKF(same_result(got[k * n_out + r], want[k * n_out + r], abs_sum[k * n_out + r]),
                                               "%s %s%s n=%d rows %d tokens %d threads %d: row %d token %d: %.9g vs scalar %.9g",
                                               KERNEL_NAMES[level], TYPES[ty].name, packed ? " packed" : "", n, n_out, T, nth, r, k,
                                               got[k * n_out + r], want[k * n_out + r]);
                                }
                                free((void *)wp.panels);
                            }
                            matmul_context_free(ctx);
                        }
                }
            }
    }
    /* every panel kernel ran; the two repacked orders of a type share rows and preparation (matmul assumes it) */
    for (int level = 0; level < KERNEL_LEVELS; level++)
        for (int ty = 0; ty < MV_TYPE_COUNT; ty++) {
            const panel_kernel *g = &PANEL_KERNELS[level][ORDER_REPACK_GEMM][ty], *v = &PANEL_KERNELS[level][ORDER_REPACK_GEMV][ty];
            CHECKF(!g->fn || !v->fn || (g->rows == v->rows && g->prep == v->prep), "%s %s: repacked panels differ", KERNEL_NAMES[level],
                   TYPES[ty].name);
            for (int order = 0; order < ORDERS; order++)
                CHECKF(!PANEL_KERNELS[level][order][ty].fn || used[level][order][ty], "%s order %d %s: panel kernel not run",
                       KERNEL_NAMES[level], order, TYPES[ty].name);
        }
    /* the repacked layout ran where a kernel has one */
    bool any_pack = false;
    for (int ty = 0; ty < MV_TYPE_COUNT; ty++) any_pack |= PANEL_KERNELS[native_kernel_level()][ORDER_REPACK_GEMV][ty].pack != NULL;
    CHECKF(!any_pack || packed_runs > 0, "no matrix was repacked (%d runs)", packed_runs);
    free(m), free(w), free(a), free(x), free(want), free(got), free(abs_sum);
    snprintf(t->note, sizeof t->note, "%d outputs compared, %d products on repacked rows", compared, packed_runs);
}

/* Packing at load reads the rows from the file (read_mapped, a megabyte at a
   time per thread): the same panels as packing from the mapping, for a
   matrix of several reads per thread; a type without a packed layout is
   copied as stored; reads that leave the mapping fail. */
static void test_pack_from_file(test_state *t) {
    mv_model *m = malloc(sizeof *m);
    matmul_model(m, native_kernel_level());
    const int types[] = {MV_TYPE_Q4_0, MV_TYPE_Q4_K, MV_TYPE_Q6_K, MV_TYPE_Q8_0};
    int packed_types = 0, copied_types = 0;
    bool any_pack = false;
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
        const int ty = types[ti], n = 4096, n_rows = 1280;
        const size_t stride = row_bytes(ty, n), header = 4096 + 64;
        char path[512], name[64];
        snprintf(name, sizeof name, "pack-%s.bin", TYPES[ty].name);
        tmp_path(path, sizeof path, name);
        uint8_t *rows = calloc(header + (size_t)n_rows * stride, 1);
        uint64_t s = 5 + ti;
        for (int r = 0; r < n_rows; r++) { /* 16 random rows repeated, each marked with its index (quick under emulation) */
            uint8_t *row = rows + header + (size_t)r * stride;
            if (r < 16) make_weights(ty, n, 0, row, &s);
            else memcpy(row, rows + header + (size_t)(r % 16) * stride, stride);
            memcpy(row + stride / 2, &r, sizeof r);
        }
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(rows, 1, header + (size_t)n_rows * stride, f) == header + (size_t)n_rows * stride);
        if (f) fclose(f);
        file_map map;
        char err[MV_ERROR_SIZE];
        const int rc = map_file(path, &map, err);
        CHECKF(rc == MV_OK, "%s", err);
        if (rc) {
            free(rows);
            continue;
        }
        const tensor mapped = {.type = ty, .n_dims = 2, .ne = {n, n_rows, 1, 1}, .data = map.data + header, .nbytes = (uint64_t)n_rows * stride};
        model_file file = {.map = map};
        CHECK(tensor_source(&file, &mapped) == &file.map);
        const tensor outside = {.data = rows + header, .nbytes = 64};
        CHECK(tensor_source(&file, &outside) == NULL);
        uint8_t byte;
        CHECK(!read_mapped(&map, map.data + map.size, 1, &byte) && !read_mapped(&map, map.data + map.size - 1, 2, &byte) &&
              read_mapped(&map, map.data + map.size - 1, 1, &byte) && byte == rows[map.size - 1]);
        const panel_kernel *pk = packing_kernel(m, &mapped);
        if (pk) {
            const size_t bytes = (size_t)(n_rows / pk->rows) * (size_t)(n / TYPES[ty].block_size) * pk->pack_bytes;
            uint8_t *from_file = resident_rows(pk, &mapped, &map), *from_memory = resident_rows(pk, &mapped, NULL);
            CHECKF(from_file && from_memory && !memcmp(from_file, from_memory, bytes), "%s: packed from the file differs", TYPES[ty].name);
            free(from_file), free(from_memory);
            packed_types++;
        } else {
            uint8_t *copy = resident_rows(NULL, &mapped, &map);
            CHECKF(copy && !memcmp(copy, rows + header, mapped.nbytes), "%s: copied from the file differs", TYPES[ty].name);
            free(copy);
            copied_types++;
        }
        unmap_file(&map);
        remove(path);
        free(rows);
    }
    for (int ty = 0; ty < MV_TYPE_COUNT; ty++) any_pack |= PANEL_KERNELS[native_kernel_level()][ORDER_REPACK_GEMV][ty].pack != NULL;
    CHECKF(!any_pack || packed_types > 0, "no type packed at this kernel level");
    free(m);
    snprintf(t->note, sizeof t->note, "%d types packed from a file, %d copied", packed_types, copied_types);
}

/* The attention kernels of the native level against their scalar twins:
   scores (K in blocks of 16 keys) and weighted values (V rows, blocks of
   512 slots crossed), head sizes on and off the 64 steps, every row count
   of the 4- and 8-row passes. */
static void test_attention_kernels(test_state *t) {
    const attention_kernel *ak = &ATTENTION_KERNELS[native_kernel_level()];
    if (ak->scores == attention_scores_f16_scalar) SKIP("no SIMD attention kernels at this level");
    static const int hds[] = {16, 48, 64, 128, 256}, key_counts[] = {1, 17, 100, 300}, row_counts[] = {1, 3, 4, 5, 8, 16};
    static const int value_n[] = {16, 64, 320, 1088}, hdvs[] = {16, 63, 64, 130};
    enum { MAX_KEYS = 1088, MAX_HD = 256, MAX_ROWS = 16 };
    uint64_t s = 21;
    uint16_t *k = malloc((size_t)MAX_KEYS * MAX_HD * 2 + 64 * MAX_HD * 2);
    float *q = malloc((size_t)MAX_ROWS * MAX_HD * sizeof *q), *p = malloc((size_t)MAX_ROWS * MAX_KEYS * sizeof *p);
    float *want = malloc((size_t)MAX_ROWS * MAX_KEYS * sizeof *want), *got = malloc((size_t)MAX_ROWS * MAX_KEYS * sizeof *got);
    void *scratch = alloc_aligned(PANEL_SCRATCH);
    int compared = 0;
    for (int i = 0; i < MAX_KEYS * MAX_HD + 64 * MAX_HD; i++) k[i] = f32_to_f16(test_uniform(&s) * 2 - 1);
    for (int i = 0; i < MAX_ROWS * MAX_HD; i++) q[i] = f16_to_f32(f32_to_f16(test_uniform(&s) * 4 - 2));
    for (size_t hi = 0; hi < sizeof hds / sizeof *hds; hi++)
        for (size_t ki = 0; ki < sizeof key_counts / sizeof *key_counts; ki++)
            for (size_t ri = 0; ri < sizeof row_counts / sizeof *row_counts; ri++) {
                const int hd = hds[hi], n_keys = key_counts[ki], rows = row_counts[ri], stride = MAX_KEYS;
                attention_scores_f16_scalar(hd, k, n_keys, q, rows, want, stride);
                ak->scores(hd, k, n_keys, q, rows, got, stride);
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < n_keys; j++, compared++) {
                        const float a = got[r * stride + j], b = want[r * stride + j];
                        CHECKF(same_result(a, b, hd * 2.0), "scores hd %d keys %d rows %d: [%d][%d] %.9g vs scalar %.9g", hd, n_keys, rows, r, j, a, b);
                    }
            }
    for (size_t ni = 0; ni < sizeof value_n / sizeof *value_n; ni++)
        for (size_t hi = 0; hi < sizeof hdvs / sizeof *hdvs; hi++)
            for (size_t ri = 0; ri < sizeof row_counts / sizeof *row_counts; ri++) {
                const int n = value_n[ni], hdv = hdvs[hi], rows = row_counts[ri];
                const size_t v_stride = (size_t)n * 2 + 64;
                for (int i = 0; i < rows * n; i++) p[i] = i % 7 == 3 ? 0.0f : test_uniform(&s);
                attention_values_f16_scalar(n, (const uint8_t *)k, v_stride, hdv, p, (size_t)n, rows, want, (size_t)hdv, NULL);
                ak->values(n, (const uint8_t *)k, v_stride, hdv, p, (size_t)n, rows, got, (size_t)hdv, scratch);
                for (int i = 0; i < rows * hdv; i++, compared++)
                    CHECKF(same_result(got[i], want[i], (double)n), "values n %d hdv %d rows %d: [%d] %.9g vs scalar %.9g", n, hdv, rows, i, got[i], want[i]);
            }
    free(k), free(q), free(p), free(want), free(got), free(scratch);
    snprintf(t->note, sizeof t->note, "%d outputs compared", compared);
}

/* softmax (16 chunks at a time where AVX-512 is native) against the chunk
   at a time definition: the products x·scale, exp_approx16, each chunk's
   reduce16 added in double; the weights rounded to F16 or not. */
static void test_softmax(test_state *t) {
    static const int sizes[] = {16, 255, 256, 257, 1000, 4096};
    enum { MAX = 4096 };
    float *x = malloc(MAX * sizeof *x), *y = malloc(MAX * sizeof *y), *want = malloc(MAX * sizeof *want);
    uint64_t s = 31;
    int compared = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int regime = 0; regime < 3; regime++) {
            const int n = sizes[si];
            /* scores of a few units; spread past exp's normal range; hidden slots (−∞) and a sink */
            for (int i = 0; i < n; i++) x[i] = (test_uniform(&s) - 0.5f) * (regime == 1 ? 400.0f : 8.0f);
            if (regime == 2)
                for (int i = n / 2; i < n; i++) x[i] = -INFINITY;
            const float extra = regime == 2 ? 1.5f : -INFINITY, scale = regime == 0 ? 1.0f : 0.0883883476f;
            const bool to_f16 = (si + (size_t)regime) % 2;
            float max = extra;
            for (int i = 0; i < n; i++) max = x[i] * scale > max ? x[i] * scale : max;
            double sum = 0;
            const int n16 = n & ~15;
            for (int c = 0; c < n16; c += 16) {
                float e[16];
                for (int l = 0; l < 16; l++) e[l] = x[c + l] * scale - max;
                exp_approx16(e, want + c);
                sum += reduce16(want + c);
            }
            for (int i = n16; i < n; i++) sum += (double)(want[i] = expf(x[i] * scale - max));
            if (extra != -INFINITY) sum += (double)expf(extra - max);
            for (int i = 0; i < n; i++) {
                want[i] *= (float)(1.0 / sum);
                if (to_f16) want[i] = f16_to_f32(f32_to_f16(want[i]));
            }
            softmax(y, x, n, scale, extra, to_f16);
            for (int i = 0; i < n; i++, compared++)
                CHECKF(f32_bits(y[i]) == f32_bits(want[i]), "softmax n %d regime %d%s: [%d] %.9g, by chunks %.9g", n, regime, to_f16 ? " f16" : "", i,
                       y[i], want[i]);
        }
    free(x), free(y), free(want);
    snprintf(t->note, sizeof t->note, "%d weights compared", compared);
}

static const test_case MATMUL_TESTS[] = {
    {"numbers.attention_kernels", test_attention_kernels, NULL},
    {"numbers.softmax", test_softmax, NULL},
    {"numbers.matmul_panels", test_matmul_panels, NULL},
    {"numbers.pack_from_file", test_pack_from_file, NULL},
};
