/* Models the engine writes itself: batch vs token-by-token evaluation,
   scalar vs SIMD kernels, sequences, cache truncation, errors, generation. */

static mv_model *test_model(test_state *t, const char *name, const model_shape *shape, int type, int scalar_only) {
    char path[512], err[MV_ERROR_SIZE];
    tmp_path(path, sizeof path, name);
    if (access(path, F_OK) != 0 && write_random_model(shape, shape->arch, type, -1, NULL, 3, 2, path, err)) {
        CHECKF(0, "writing %s: %s", name, err);
        return NULL;
    }
    mv_model_params p = mv_model_default_params();
    p.scalar_only = scalar_only;
    mv_model *m = NULL;
    CHECKF(mv_model_load(path, &p, &m, err, sizeof err) == MV_OK, "loading %s: %s", name, err);
    return m;
}

static mv_context *test_context(test_state *t, mv_model *m, int n_ctx, int n_batch, int n_seq, int kv_type, int threads) {
    mv_context_params cp = mv_context_default_params();
    cp.n_ctx = n_ctx, cp.n_batch = n_batch, cp.n_seq = n_seq, cp.kv_type = (mv_type)kv_type, cp.n_threads = threads;
    char err[256];
    mv_context *ctx = NULL;
    CHECKF(mv_context_create(m, &cp, &ctx, err, sizeof err) == MV_OK, "context: %s", err);
    return ctx;
}

/* Logits of every token of ids evaluated in ubatches of n_batch (n_batch 1: one call per token). */
static float *all_logits(test_state *t, mv_model *m, const mv_token *ids, int n, int n_batch, int kv_type, int threads) {
    mv_context *ctx = test_context(t, m, n, n_batch, 1, kv_type, threads);
    if (!ctx) return NULL;
    const int V = mv_model_n_vocab(m);
    float *out = malloc((size_t)n * (size_t)V * sizeof *out);
    int8_t want[256];
    memset(want, 1, sizeof want);
    int rc = MV_OK;
    if (n_batch == 1) {
        for (int i = 0; rc == MV_OK && i < n; i++) {
            rc = mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = ids + i});
            if (!rc) memcpy(out + (size_t)i * V, mv_get_logits(ctx, 0), (size_t)V * sizeof *out);
        }
    } else {
        rc = mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids, .logits = want});
        for (int i = 0; rc == MV_OK && i < n; i++) memcpy(out + (size_t)i * V, mv_get_logits(ctx, i), (size_t)V * sizeof *out);
    }
    CHECKF(rc == MV_OK, "decode: %s", mv_context_error(ctx));
    mv_context_free(ctx);
    return out;
}

static double rel_rms(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), den += (double)b[i] * b[i];
    return sqrt(num / (den ? den : 1));
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static const model_shape SMALL_SHAPE = {"small", ARCH_LLAMA, 320, 128, 2, 8, 4, 16, 192, 128, 0, 0, 0, 0};
static const model_shape SMALL_K_SHAPE = {"small_k", ARCH_LLAMA, 320, 256, 2, 4, 2, 64, 512, 128, 0, 0, 0, 0}; /* rows of 256-element blocks */
/* experts: Qwen3-MoE's routing (8 experts, 3 a token); GPT-OSS's (4, 2), a window of 6 on layer 0 */
static const model_shape SMALL_MOE_SHAPE = {"small_moe", ARCH_QWEN3MOE, 320, 128, 2, 4, 2, 32, 192, 128, 8, 3, 64, 0};
static const model_shape SMALL_OSS_SHAPE = {"small_oss", ARCH_GPT_OSS, 320, 128, 2, 4, 2, 32, 64, 128, 4, 2, 64, 6};
static const mv_token SMALL_IDS[20] = {1, 5, 17, 42, 99, 3, 200, 7, 64, 250, 11, 128, 31, 77, 150, 260, 270, 300, 2, 9};

static void test_batch_vs_sequential(test_state *t) {
    static const int types[] = {MV_TYPE_F32, MV_TYPE_F16, MV_TYPE_Q4_0, MV_TYPE_Q8_0, MV_TYPE_Q5_1, MV_TYPE_Q4_K, MV_TYPE_Q6_K};
    for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
        const model_shape *shape = TYPES[types[k]].block_size == QK_K ? &SMALL_K_SHAPE : &SMALL_SHAPE;
        char name[64];
        snprintf(name, sizeof name, "%s_%s.gguf", shape->name, TYPES[types[k]].name);
        mv_model *m = test_model(t, name, shape, types[k], 0);
        if (!m) continue;
        const size_t n = 20 * (size_t)mv_model_n_vocab(m);
        float *batch = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2);
        float *single = all_logits(t, m, SMALL_IDS, 20, 1, MV_TYPE_F32, 2);
        float *chunks = all_logits(t, m, SMALL_IDS, 20, 7, MV_TYPE_F32, 1);
        if (batch && single && chunks) {
            /* batches add float rows in another order than single tokens (as
               llama.cpp does); F16/BF16 activations then round differently */
            double tol = types[k] == MV_TYPE_F16 || types[k] == MV_TYPE_BF16 ? 2e-3 : 1e-4;
            CHECKF(rel_rms(single, batch, n) < tol, "%s: batch vs token by token %g", name, rel_rms(single, batch, n));
            CHECKF(rel_rms(chunks, batch, n) < tol, "%s: batch vs chunks of 7 %g", name, rel_rms(chunks, batch, n));
            double norm = 0;
            for (size_t i = 0; i < n; i++) norm += batch[i] * batch[i];
            CHECKF(norm > 0 && isfinite(norm), "%s: logits are zero or not finite", name);
        }
        free(batch), free(single), free(chunks);
        mv_model_free(m);
    }
}

/* Every weight type the engine writes, in a whole model: SIMD kernels vs scalar ones. */
static void test_scalar_vs_simd(test_state *t) {
    int n_types = 0;
    for (int ty = 0; ty < GGUF_TYPE_COUNT; ty++) {
        if (!TYPES[ty].quantize || TYPES[ty].dot_type < 0) continue;
        const model_shape *shape = TYPES[ty].block_size == QK_K ? &SMALL_K_SHAPE : &SMALL_SHAPE;
        char name[64];
        snprintf(name, sizeof name, "%s_%s.gguf", shape->name, TYPES[ty].name);
        mv_model *fast = test_model(t, name, shape, ty, 0), *ref = test_model(t, name, shape, ty, 1);
        if (fast && ref) {
            float *a = all_logits(t, fast, SMALL_IDS, 20, 20, MV_TYPE_F32, 2), *b = all_logits(t, ref, SMALL_IDS, 20, 20, MV_TYPE_F32, 2);
            /* float types differ only in summation order; block types also where an
               activation lands on the other side of a rounding boundary */
            double tol = TYPES[ty].block_size == 1 ? 1e-5 : 1e-2;
            if (a && b) CHECKF(rel_rms(a, b, 20 * 320) < tol, "%s: %s vs scalar relrms %g", name, mv_model_kernels(fast), rel_rms(a, b, 20 * 320));
            free(a), free(b);
            n_types++;
        }
        mv_model_free(fast), mv_model_free(ref);
    }
    snprintf(t->note, sizeof t->note, "%d weight types", n_types);
}

/* Attention over an F16 cache in tiles of query rows (SIMD levels with
   panel kernels) gives the per-row path's logits bit for bit (the scalar
   level's): one batch, chunks, token by token, on a sliding window too. */
static void test_attention_tiles(test_state *t) {
    const model_shape *shapes[] = {&SMALL_SHAPE, &SMALL_K_SHAPE, &SMALL_OSS_SHAPE};
    const char *names[] = {"small_F32.gguf", "small_k_F32.gguf", "small_oss_F32.gguf"};
    int compared = 0;
    for (int i = 0; i < 3; i++) {
        mv_model *fast = test_model(t, names[i], shapes[i], MV_TYPE_F32, 0), *ref = test_model(t, names[i], shapes[i], MV_TYPE_F32, 1);
        static const int chunks[] = {20, 7, 1};
        for (int c = 0; fast && ref && c < 3; c++) {
            const int chunk = chunks[c];
            float *a = all_logits(t, fast, SMALL_IDS, 20, chunk, MV_TYPE_F16, 2), *b = all_logits(t, ref, SMALL_IDS, 20, chunk, MV_TYPE_F16, 2);
            if (a && b) CHECKF(!memcmp(a, b, 20 * 320 * sizeof *a), "%s in chunks of %d: relrms %g", names[i], chunk, rel_rms(a, b, 20 * 320));
            free(a), free(b);
            compared++;
        }
        mv_model_free(fast), mv_model_free(ref);
    }
    snprintf(t->note, sizeof t->note, "%d runs compared", compared);
}

static void test_threads_bitwise(test_state *t) {
    mv_model *m = test_model(t, "small_Q4_0.gguf", &SMALL_SHAPE, MV_TYPE_Q4_0, 0);
    if (!m) return;
    float *a = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 1), *b = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2);
    if (a && b) CHECK(!memcmp(a, b, 20 * 320 * sizeof *a));
    free(a), free(b);
    mv_model_free(m);
}

static void test_kv_f16(test_state *t) {
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    float *a = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2), *b = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F16, 2);
    if (a && b) {
        double e = rel_rms(b, a, 20 * 320);
        CHECKF(e > 0 && e < 2e-3, "f16 cache relrms %g", e);
    }
    free(a), free(b);
    mv_model_free(m);
}

/* A Q8_0 cache: near the F32 cache (dense model); one batch or chunks of 7
   (the sliding ring of the GPT-OSS shape wrapping) alike; heads not whole
   blocks refused. */
static void test_kv_q8_0(test_state *t) {
    const model_shape *shapes[] = {&SMALL_K_SHAPE, &SMALL_OSS_SHAPE};
    const char *names[] = {"small_k_F32.gguf", "small_oss_F32.gguf"};
    double worst = 0;
    for (int i = 0; i < 2; i++) {
        mv_model *m = test_model(t, names[i], shapes[i], MV_TYPE_F32, 0);
        if (!m) return;
        float *f32 = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2), *q8 = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_Q8_0, 2);
        float *q8_chunks = all_logits(t, m, SMALL_IDS, 20, 7, MV_TYPE_Q8_0, 2);
        if (f32 && q8 && q8_chunks) {
            const double e = rel_rms(q8, f32, 20 * 320), c = rel_rms(q8_chunks, q8, 20 * 320);
            worst = fmax(worst, e);
            /* (with experts a rounding can flip a token's routing: only the dense model is bounded) */
            CHECKF(e > 0 && (i == 1 || e < 0.01), "%s: Q8_0 cache relrms %g against the F32 cache", names[i], e);
            CHECKF(c < 1e-4, "%s: Q8_0 cache in chunks of 7 vs one batch: relrms %g", names[i], c);
        }
        free(f32), free(q8), free(q8_chunks);
        mv_model_free(m);
    }
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    mv_context_params cp = mv_context_default_params();
    cp.kv_type = MV_TYPE_Q8_0, cp.n_ctx = 32;
    mv_context *ctx = NULL;
    char err[256] = "";
    CHECKF(mv_context_create(m, &cp, &ctx, err, sizeof err) == MV_ERR_ARG && !ctx && strstr(err, "multiple of 32"),
           "heads of 16 in a Q8_0 cache: %s", err);
    mv_model_free(m);
    snprintf(t->note, sizeof t->note, "relrms against the F32 cache up to %.2g", worst);
}

/* Two sequences in one batch, interleaved, give what each gives alone. */
static void test_sequences(test_state *t) {
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    const int V = mv_model_n_vocab(m);
    float *alone0 = all_logits(t, m, SMALL_IDS, 10, 10, MV_TYPE_F32, 2);
    float *alone1 = all_logits(t, m, SMALL_IDS + 10, 10, 10, MV_TYPE_F32, 2);
    mv_context *ctx = test_context(t, m, 16, 32, 2, MV_TYPE_F32, 2);
    if (ctx && alone0 && alone1) {
        mv_token toks[20];
        int32_t seq[20], pos[20];
        int8_t want[20];
        for (int i = 0; i < 20; i++) {
            toks[i] = i % 2 ? SMALL_IDS[10 + i / 2] : SMALL_IDS[i / 2];
            seq[i] = i % 2, pos[i] = i / 2, want[i] = 1;
        }
        CHECK(mv_decode(ctx, &(mv_batch){20, toks, pos, seq, want}) == MV_OK);
        for (int i = 0; i < 20; i++) {
            const float *ref = (i % 2 ? alone1 : alone0) + (size_t)(i / 2) * V;
            CHECKF(max_abs_diff(mv_get_logits(ctx, i), ref, (size_t)V) < 1e-4, "token %d of sequence %d", i / 2, i % 2);
        }
        CHECK(mv_kv_length(ctx, 0) == 10 && mv_kv_length(ctx, 1) == 10);
    }
    mv_context_free(ctx);
    free(alone0), free(alone1);
    mv_model_free(m);
}

/* Truncating the cache and evaluating other tokens equals a fresh start. */
static void test_truncate(test_state *t) {
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    const int V = mv_model_n_vocab(m);
    mv_token fresh[10];
    memcpy(fresh, SMALL_IDS, 5 * sizeof *fresh);
    memcpy(fresh + 5, SMALL_IDS + 12, 5 * sizeof *fresh);
    float *ref = all_logits(t, m, fresh, 10, 10, MV_TYPE_F32, 2);
    mv_context *ctx = test_context(t, m, 32, 32, 1, MV_TYPE_F32, 2);
    if (ctx && ref) {
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 12, .tokens = SMALL_IDS}) == MV_OK);
        CHECK(mv_kv_truncate(ctx, 0, 5) == MV_OK && mv_kv_length(ctx, 0) == 5);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 5, .tokens = SMALL_IDS + 12}) == MV_OK);
        CHECK(max_abs_diff(mv_get_logits(ctx, -1), ref + 9 * (size_t)V, (size_t)V) < 1e-4);
        /* a position below the length truncates too */
        int32_t pos = 3;
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = &fresh[3], .pos = &pos}) == MV_OK);
        CHECK(mv_kv_length(ctx, 0) == 4 && max_abs_diff(mv_get_logits(ctx, 0), ref + 3 * (size_t)V, (size_t)V) < 1e-4);
    }
    mv_context_free(ctx);
    free(ref);
    mv_model_free(m);
}

static void test_decode_errors(test_state *t) {
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    mv_context *ctx = test_context(t, m, 8, 8, 2, MV_TYPE_F32, 1);
    if (ctx) {
        mv_token bad = 320, ok[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int32_t gap = 2, seq = 2, back[2] = {0, 0};
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = &bad}) == MV_ERR_ARG && strstr(mv_context_error(ctx), "vocabulary"));
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 0, .tokens = ok}) == MV_ERR_ARG);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = ok, .pos = &gap}) == MV_ERR_ARG && strstr(mv_context_error(ctx), "continue"));
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = ok, .seq_id = &seq}) == MV_ERR_ARG);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 2, .tokens = ok, .pos = back}) == MV_ERR_ARG);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 9, .tokens = ok}) == MV_ERR_CONTEXT_FULL);
        CHECK(mv_kv_length(ctx, 0) == 0); /* a refused batch changes nothing */
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 8, .tokens = ok}) == MV_OK && mv_kv_length(ctx, 0) == 8);
        CHECK(mv_get_logits(ctx, 1) == NULL && mv_get_logits(ctx, 0) != NULL && mv_n_outputs(ctx) == 1);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = ok}) == MV_ERR_CONTEXT_FULL);
    }
    mv_context_free(ctx);
    mv_context_params cp = mv_context_default_params();
    cp.kv_type = MV_TYPE_Q4_0;
    char err[256];
    mv_context *bad_ctx = NULL;
    CHECK(mv_context_create(m, &cp, &bad_ctx, err, sizeof err) == MV_ERR_ARG && !bad_ctx);
    mv_model_free(m);
}

typedef struct {
    char text[4096];
    int n, stop_after;
} collected;

static int collect(const char *text, int len, mv_token token, void *user) {
    collected *c = user;
    (void)token;
    if ((size_t)c->n + (size_t)len < sizeof c->text) memcpy(c->text + c->n, text, (size_t)len), c->n += len;
    c->text[c->n] = 0;
    return c->stop_after && c->n >= c->stop_after;
}

static void test_generate(test_state *t) {
    char path[512], err[256];
    tmp_path(path, sizeof path, "demo_Q8_0.gguf");
    mv_make_model_params mp = mv_make_model_default_params();
    mp.type = "Q8_0";
    CHECK(mv_make_model(&mp, path, err, sizeof err) == MV_OK);
    mv_model *m = NULL;
    CHECK(mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK);
    if (!m) return;
    mv_sampler_params sp = mv_sampler_default_params();
    sp.temperature = 0;
    collected a = {0}, b = {0}, c = {.stop_after = 5};
    mv_generate_stats st;
    for (int run = 0; run < 3; run++) {
        mv_context *ctx = test_context(t, m, 64, 32, 1, MV_TYPE_F16, 2);
        mv_sampler *s = mv_sampler_create(&sp);
        collected *out = run == 0 ? &a : run == 1 ? &b : &c;
        CHECK(ctx && mv_generate(ctx, s, "hello world", 20, collect, out, &st) == MV_OK);
        if (run < 2) CHECKF(st.n_generated <= 20 && st.n_prompt > 2 && st.first_token_seconds >= 0, "stats %d %d", st.n_prompt, st.n_generated);
        mv_sampler_free(s);
        mv_context_free(ctx);
    }
    CHECK(a.n > 0 && a.n == b.n && !memcmp(a.text, b.text, (size_t)a.n));
    CHECK(c.n >= 5 && c.n <= a.n && !memcmp(c.text, a.text, (size_t)c.n));
    CHECKF(utf8_valid((const uint8_t *)a.text, (uint64_t)a.n), "generated text is not valid UTF-8");
    /* a context that fills up ends generation without an error */
    mv_context *ctx = test_context(t, m, 8, 8, 1, MV_TYPE_F16, 1);
    mv_sampler *s = mv_sampler_create(&sp);
    collected d = {0};
    CHECK(ctx && mv_generate(ctx, s, "hi", 100, collect, &d, &st) == MV_OK && mv_kv_length(ctx, 0) == 8);
    CHECK(mv_generate(ctx, s, "more", 10, collect, &d, &st) == MV_ERR_CONTEXT_FULL);
    mv_sampler_free(s);
    mv_context_free(ctx);
    mv_model_free(m);
}

/* Every type make-model writes loads and evaluates. */
static void test_make_model_types(test_state *t) {
    for (int ty = 0; ty < GGUF_TYPE_COUNT; ty++) {
        if (!TYPES[ty].quantize || TYPES[ty].dot_type < 0) continue;
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/demo_%s.gguf", CONFIG.tmp, TYPES[ty].name);
        mv_make_model_params mp = mv_make_model_default_params();
        mp.type = TYPES[ty].name;
        CHECKF(mv_make_model(&mp, path, err, sizeof err) == MV_OK, "%s: %s", TYPES[ty].name, err);
        mv_model *m = NULL;
        if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
            CHECKF(0, "%s: %s", TYPES[ty].name, err);
            continue;
        }
        float *l = all_logits(t, m, SMALL_IDS, 4, 4, MV_TYPE_F16, 1);
        for (int i = 0; l && i < 4 * mv_model_n_vocab(m); i++) CHECKF(isfinite(l[i]), "%s: logit %d", TYPES[ty].name, i);
        free(l);
        mv_model_free(m);
    }
    char err[256], path[512], vocab[512];
    mv_make_model_params mp = mv_make_model_default_params();
    mp.shape = "nope";
    CHECK(mv_make_model(&mp, "/tmp/x.gguf", err, sizeof err) == MV_ERR_ARG && strstr(err, "nope"));
    mp = mv_make_model_default_params();
    mp.type = "Q9_9";
    CHECK(mv_make_model(&mp, "/tmp/x.gguf", err, sizeof err) == MV_ERR_ARG && strstr(err, "Q9_9"));
    /* a mixture, with the tokenizer of another file: the same ids for the same text */
    mv_model *a = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0), *b = NULL;
    tmp_path(vocab, sizeof vocab, "small_F32.gguf");
    tmp_path(path, sizeof path, "demo_mix.gguf");
    mp.type = "Q4_K_M", mp.vocab_from = vocab;
    CHECKF(mv_make_model(&mp, path, err, sizeof err) == MV_OK, "%s", err);
    CHECKF(mv_model_load(path, NULL, &b, err, sizeof err) == MV_OK, "%s", err);
    if (a && b) {
        mv_token ia[64], ib[64];
        const int na = mv_tokenize(a, "vocabulary from elsewhere", -1, ia, 64, 1), nb = mv_tokenize(b, "vocabulary from elsewhere", -1, ib, 64, 1);
        CHECK(mv_model_n_vocab(b) == 320 && na > 0 && na == nb && !memcmp(ia, ib, (size_t)na * sizeof *ia));
        mv_tensor_info info;
        for (int i = 0; i < mv_model_n_tensors(b); i++)
            if (mv_model_tensor(b, i, &info) == MV_OK && !strcmp(info.name, "output.weight")) CHECK(info.type == MV_TYPE_Q8_0);
    }
    mv_model_free(a), mv_model_free(b);
}

/* Mixtures of experts and sliding windows: a batch, token by token, and
   chunks small enough that the window's ring wraps inside the prompt all
   agree (the experts of a batch are computed per expert, of a token alone
   per token). */
static void test_experts_and_window(test_state *t) {
    static const struct { const model_shape *shape; int type; } cases[] = {
        {&SMALL_MOE_SHAPE, MV_TYPE_F32}, {&SMALL_MOE_SHAPE, MV_TYPE_Q8_0}, {&SMALL_OSS_SHAPE, MV_TYPE_F32},
        {&SMALL_OSS_SHAPE, MV_TYPE_Q8_0}, {&SMALL_OSS_SHAPE, MV_TYPE_MXFP4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_%s.gguf", cases[k].shape->name, TYPES[cases[k].type].name);
        mv_model *m = test_model(t, name, cases[k].shape, cases[k].type, 0);
        if (!m) continue;
        const size_t n = 20 * (size_t)mv_model_n_vocab(m);
        float *batch = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2), *single = all_logits(t, m, SMALL_IDS, 20, 1, MV_TYPE_F32, 2);
        float *chunks = all_logits(t, m, SMALL_IDS, 20, 3, MV_TYPE_F32, 1);
        float *f16_batch = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F16, 2), *f16_chunks = all_logits(t, m, SMALL_IDS, 20, 7, MV_TYPE_F16, 2);
        if (batch && single && chunks && f16_batch && f16_chunks) {
            CHECKF(rel_rms(single, batch, n) < 1e-4, "%s: batch vs token by token %g", name, rel_rms(single, batch, n));
            CHECKF(rel_rms(chunks, batch, n) < 1e-4, "%s: batch vs chunks of 3 %g", name, rel_rms(chunks, batch, n));
            CHECKF(rel_rms(f16_chunks, f16_batch, n) < 2e-3, "%s: f16 cache, chunks of 7 vs batch %g", name, rel_rms(f16_chunks, f16_batch, n));
        }
        free(batch), free(single), free(chunks), free(f16_batch), free(f16_chunks);
        mv_model_free(m);
    }
}

/* A sliding-window cache goes back only as far as its ring still holds
   the window; further is refused and changes nothing; 0 always works. */
static void test_window_truncate(test_state *t) {
    mv_model *m = test_model(t, "small_oss_F32.gguf", &SMALL_OSS_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    const int V = mv_model_n_vocab(m);
    float *ref = all_logits(t, m, SMALL_IDS, 20, 20, MV_TYPE_F32, 2);
    mv_context *ctx = test_context(t, m, 32, 4, 1, MV_TYPE_F32, 2); /* a ring of 6 + 4 − 1 slots */
    if (ctx && ref) {
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 20, .tokens = SMALL_IDS}) == MV_OK);
        CHECK(mv_kv_truncate(ctx, 0, 10) == MV_ERR_ARG && strstr(mv_context_error(ctx), "sliding") && mv_kv_length(ctx, 0) == 20);
        int32_t pos = 5;
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = SMALL_IDS + 5, .pos = &pos}) == MV_ERR_ARG && mv_kv_length(ctx, 0) == 20);
        CHECK(mv_kv_truncate(ctx, 0, 16) == MV_OK && mv_kv_length(ctx, 0) == 16);
        CHECK(mv_decode(ctx, &(mv_batch){.n_tokens = 4, .tokens = SMALL_IDS + 16}) == MV_OK);
        CHECK(max_abs_diff(mv_get_logits(ctx, -1), ref + 19 * (size_t)V, (size_t)V) < 1e-4);
        CHECK(mv_kv_truncate(ctx, 0, 0) == MV_OK && mv_decode(ctx, &(mv_batch){.n_tokens = 3, .tokens = SMALL_IDS}) == MV_OK);
        CHECK(max_abs_diff(mv_get_logits(ctx, -1), ref + 2 * (size_t)V, (size_t)V) < 1e-4);
    }
    mv_context_free(ctx);
    free(ref);
    mv_model_free(m);
}

/* Routing against a double-precision reference: the top k by value, then
   Qwen3-MoE's renormalized softmax or GPT-OSS's softmax of the k. */
static void test_routing(test_state *t) {
    uint64_t state = 12345;
    for (int trial = 0; trial < 200; trial++) {
        hparams hp = {.arch = trial % 2 ? ARCH_GPT_OSS : ARCH_QWEN3MOE, .n_expert = 1 + trial % 70};
        hp.n_expert_used = 1 + trial % MV_MIN(hp.n_expert, 8);
        float logits[70], weight[8];
        double ref_logit[70];
        int32_t sel[8];
        for (int e = 0; e < hp.n_expert; e++) ref_logit[e] = logits[e] = 3.0f * random_normal(&state);
        route_token(&hp, logits, sel, weight);
        double max = -INFINITY, sum_k = 0, prob[70];
        for (int e = 0; e < hp.n_expert; e++) max = fmax(max, ref_logit[e]);
        for (int e = 0; e < hp.n_expert; e++) prob[e] = exp(ref_logit[e] - max);
        for (int i = 0; i < hp.n_expert_used; i++) {
            int rank = 0; /* experts above the one chosen i-th: exactly i */
            for (int e = 0; e < hp.n_expert; e++) rank += ref_logit[e] > ref_logit[sel[i]];
            CHECKF(rank == i, "trial %d: expert %d chosen %d-th has rank %d", trial, sel[i], i, rank);
            sum_k += prob[sel[i]];
        }
        for (int i = 0; i < hp.n_expert_used; i++) {
            const double want = prob[sel[i]] / sum_k; /* the same for both: softmax of the k, or renormalized probabilities */
            CHECKF(fabs(weight[i] - want) < 1e-6, "trial %d: weight %d %.8f, want %.8f", trial, i, weight[i], want);
        }
    }
}

static const test_case MODEL_TESTS[] = {
    {"model.experts_and_window", test_experts_and_window, NULL},
    {"model.window_truncate", test_window_truncate, NULL},
    {"model.routing", test_routing, NULL},
    {"model.batch_vs_sequential", test_batch_vs_sequential, NULL},
    {"model.scalar_vs_simd", test_scalar_vs_simd, NULL},
    {"model.threads_bitwise", test_threads_bitwise, NULL},
    {"model.attention_tiles", test_attention_tiles, NULL},
    {"model.kv_f16", test_kv_f16, NULL},
    {"model.kv_q8_0", test_kv_q8_0, NULL},
    {"model.sequences", test_sequences, NULL},
    {"model.truncate", test_truncate, NULL},
    {"model.decode_errors", test_decode_errors, NULL},
    {"model.generate", test_generate, NULL},
    {"model.make_model_types", test_make_model_types, NULL},
};

