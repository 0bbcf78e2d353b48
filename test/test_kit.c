/* Conformance with llama.cpp on the kit (../shared/kit): reference logits
   under the kit's rule (its README), greedy continuations, golden text,
   tokenizer test vectors. Skipped with a notice when there is no kit. */

typedef struct {
    const char *name;       /* reference name: <logits>/<name>.logits.f32, ... */
    const char *gguf;       /* model, relative to the kit */
    const char *logits;     /* directory of the references and runs.jsonl */
    const char *ids;        /* the prompt's token ids */
    int f32;                /* F32 weights: the absolute rule */
} kit_case;

#define LLAMA_IDS "1,5,17,42,99,3,200,7,64,250,11,128,31,77,150,260,270"
#define STORIES_IDS "1,403,407,261,378,432,383,286,261,376,298,315,421,395,317,426"

static const kit_case KIT_CASES[] = {
    {"tiny_b.F32", "gguf/tiny_b.F32.gguf", "logits", LLAMA_IDS, 1},
    {"tiny_b.F16", "gguf/tiny_b.F16.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.BF16", "gguf/tiny_b.BF16.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.Q8_0", "gguf/tiny_b.Q8_0.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.Q4_0", "gguf/tiny_b.Q4_0.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.Q4_1", "gguf/tiny_b.Q4_1.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.Q5_0", "gguf/tiny_b.Q5_0.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.Q5_1", "gguf/tiny_b.Q5_1.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.IQ4_NL", "gguf/tiny_b.IQ4_NL.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_b.MXFP4", "gguf/tiny_b.MXFP4.gguf", "logits", LLAMA_IDS, 0},
    {"tiny_k.F32", "gguf/tiny_k.F32.gguf", "logits", LLAMA_IDS, 1},
#define TINY_K(t) {"tiny_k." t, "gguf/tiny_k." t ".gguf", "logits", LLAMA_IDS, 0}
    TINY_K("Q2_K"), TINY_K("Q3_K"), TINY_K("Q4_K"), TINY_K("Q5_K"), TINY_K("Q6_K"), TINY_K("IQ4_XS"), TINY_K("MXFP4"),
    TINY_K("TQ1_0"), TINY_K("TQ2_0"), TINY_K("mix-Q2_K"), TINY_K("mix-Q3_K_M"), TINY_K("mix-Q4_0"), TINY_K("mix-Q4_K_M"),
    TINY_K("mix-Q5_K_M"), TINY_K("mix-Q6_K"), TINY_K("mix-Q8_0"), TINY_K("mix-IQ4_XS"),
#undef TINY_K
    {"stories260K.F32", "stories260K/stories260K.gguf", "stories260K/logits", STORIES_IDS, 1},
    {"stories260K.Q8_0", "stories260K/stories260K.Q8_0.gguf", "stories260K/logits", STORIES_IDS, 0},
    {"stories260K.Q4_0", "stories260K/stories260K.Q4_0.gguf", "stories260K/logits", STORIES_IDS, 0},
};

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
    char *runs = read_file(runs_path, NULL), needle[160];
    snprintf(needle, sizeof needle, "\"%s.logits.f32\"", name);
    const char *at = runs ? strstr(runs, needle) : NULL;
    const char *gen = at ? strstr(at, "\"gen_ids\"") : NULL;
    int n = gen ? parse_int_list(strchr(gen, '[') + 1, ids, max) : 0;
    free(runs);
    return n;
}

/* The kit's rule: F32 weights within 2e-4 absolute; others no further from
   the exactly dequantized model than llama.cpp (10% + 1e-3); without a
   dequantized reference, within band of the reference. */
static void kit_rule(test_state *t, const char *what, const float *ours, const float *primary, const float *deq, size_t n,
                     int f32, double band) {
    if (f32) {
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
                       const mv_token *expect, int f32) {
    for (int r = 0; r < rows; r++) {
        if (!f32 && top2_gap(ref + (size_t)r * V, V) <= 0.01f) continue;
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
    char path[1024], ref[1024];
    if (!kit_path(path, sizeof path, c->gguf)) SKIP("no kit at ../shared/kit");
    char err[256];
    mv_model *m = NULL;
    if (mv_model_load(path, NULL, &m, err, sizeof err) != MV_OK) {
        CHECKF(0, "%s", err);
        return;
    }
    const int V = mv_model_n_vocab(m);
    mv_token ids[64], gen[128];
    const int n = parse_int_list(c->ids, ids, 64);
    snprintf(ref, sizeof ref, "%s/%s/runs.jsonl", CONFIG.kit, c->logits);
    const int n_gen_ids = kit_gen_ids(ref, c->name, gen, 128);
    CHECKF(n_gen_ids > 1, "no gen_ids for %s", c->name);
    size_t np, nd, ng, nseq, nseqg, nf16, ndg;
    float *primary, *deq, *refgen, *seq, *seqgen, *kvf16, *deqgen;
#define REF(var, count, suffix) (snprintf(ref, sizeof ref, "%s/%s/%s%s", CONFIG.kit, c->logits, c->name, suffix), var = read_floats(ref, &count))
    REF(primary, np, ".logits.f32");
    REF(deq, nd, ".deqF32.logits.f32");
    REF(refgen, ng, ".logits.gen.f32");
    REF(seq, nseq, ".seq.logits.f32");
    REF(seqgen, nseqg, ".seq.logits.gen.f32");
    REF(kvf16, nf16, ".kvf16.logits.f32");
    REF(deqgen, ndg, ".deqF32.logits.gen.f32");
#undef REF
    CHECKF(primary && np == (size_t)n * V, "%s: primary reference missing or of %zu floats", c->name, np);
    CHECKF(c->f32 || deq, "%s: no deqF32 reference", c->name);
    const int n_gen = MV_MIN(n_gen_ids - 1, (int)(ng / (size_t)V));
    float *ours = NULL, *ours_gen = NULL;
    if (primary && np == (size_t)n * V && !kit_evaluate(t, m, ids, n, 0, MV_TYPE_F32, gen, n_gen, &ours, &ours_gen)) {
        kit_rule(t, "batch", ours, primary, deq, np, c->f32, 0);
        if (refgen) kit_rule(t, "batch+decode", ours_gen, refgen, deqgen, (size_t)n_gen * V, c->f32, 0.05);
        kit_greedy(t, "batch", ours + (size_t)(n - 1) * V, primary + (size_t)(n - 1) * V, 1, V, gen, c->f32);
        if (refgen) kit_greedy(t, "batch+decode", ours_gen, refgen, n_gen - 1, V, gen + 1, c->f32);
    }
    free(ours), free(ours_gen);
    ours = ours_gen = NULL;
    if (seq && nseq == (size_t)n * V && !kit_evaluate(t, m, ids, n, 1, MV_TYPE_F32, gen, n_gen, &ours, &ours_gen)) {
        kit_rule(t, "token by token", ours, seq, deq, nseq, c->f32, 0);
        if (seqgen) kit_rule(t, "token by token+decode", ours_gen, seqgen, deqgen, (size_t)n_gen * V, c->f32, 0.05);
    }
    free(ours), free(ours_gen);
    ours = ours_gen = NULL;
    if (kvf16 && primary && !kit_evaluate(t, m, ids, n, 0, MV_TYPE_F16, gen, 0, &ours, &ours_gen)) {
        double e = rel_rms(ours, primary, np), bound = 2 * rel_rms(kvf16, primary, np) + 1e-4;
        CHECKF(e <= bound, "f16 cache: relrms %.4g > %.4g", e, bound);
    }
    free(ours), free(ours_gen);
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
