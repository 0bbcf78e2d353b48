/* Tokenizer, streaming UTF-8 and sampler tests on the engine's own models. */

static mv_model *demo_model(test_state *t) {
    char path[512], err[256];
    tmp_path(path, sizeof path, "demo_F32.gguf");
    mv_make_model_params mp = mv_make_model_default_params();
    if (access(path, F_OK) != 0) CHECKF(mv_make_model(&mp, path, err, sizeof err) == MV_OK, "%s", err);
    mv_model *m = NULL;
    CHECKF(mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK, "%s", err);
    return m;
}

static int tokenize_all(const mv_model *m, const char *text, int flags, mv_token *ids, int n_max) {
    return mv_tokenize(m, text, -1, ids, n_max, flags);
}

static void test_tokenizer_round_trip(test_state *t) {
    mv_model *m = demo_model(t);
    if (!m) return;
    static const char *texts[] = {
        "hello world", "Once upon a time, there was a little girl.", " leading space", "two  spaces\tand\ttabs\n",
        "naïve café — “quotes” ✓ 日本語 🦙", "\x01\x7f control bytes", "<s> is text here", "a", "",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        mv_token ids[512];
        int n = tokenize_all(m, texts[i], 0, ids, 512);
        CHECKF(n >= 0 && n <= 512, "'%s': %d tokens", texts[i], n);
        char back[1024];
        int len = mv_detokenize(m, ids, n, back, sizeof back, 0);
        CHECKF(len == (int)strlen(texts[i]) && !memcmp(back, texts[i], (size_t)len), "'%s' comes back as '%.*s'", texts[i], len, back);
        for (int k = 0; k < n; k++) CHECK(ids[k] != mv_token_bos(m));
    }
    mv_token ids[8];
    CHECK(tokenize_all(m, "", MV_TOKENIZE_ADD_SPECIAL, ids, 8) == 1 && ids[0] == 1);
    CHECK(tokenize_all(m, "", 0, ids, 8) == 0);
    /* a buffer too small still reports the full count */
    int full = tokenize_all(m, "Once upon a time, there was", 0, NULL, 0);
    CHECK(full > 2 && tokenize_all(m, "Once upon a time, there was", 0, ids, 2) == full);
    mv_model_free(m);
}

static void test_tokenizer_special(test_state *t) {
    mv_model *m = demo_model(t);
    if (!m) return;
    mv_token ids[64];
    int n = tokenize_all(m, "hi<s>there</s>", MV_TOKENIZE_PARSE_SPECIAL, ids, 64);
    int bos = 0, eos = 0;
    for (int i = 0; i < n; i++) bos += ids[i] == 1, eos += ids[i] == 2;
    CHECK(bos == 1 && eos == 1);
    n = tokenize_all(m, "hi<s>there</s>", 0, ids, 64);
    bos = eos = 0;
    for (int i = 0; i < n; i++) bos += ids[i] == 1, eos += ids[i] == 2;
    CHECK(n > 0 && bos == 0 && eos == 0);
    n = tokenize_all(m, "hi", MV_TOKENIZE_ADD_SPECIAL, ids, 64);
    CHECK(n >= 2 && ids[0] == 1);
    char piece[32];
    CHECK(mv_token_to_piece(m, 1, piece, sizeof piece, 0) == 0);
    CHECK(mv_token_to_piece(m, 1, piece, sizeof piece, 1) == 3 && !memcmp(piece, "<s>", 3));
    CHECK(mv_token_to_piece(m, 3 + 0x41, piece, sizeof piece, 0) == 1 && piece[0] == 'A'); /* <0x41> */
    CHECK(mv_token_to_piece(m, 100000, piece, sizeof piece, 0) == MV_ERR_ARG);
    /* a byte that has no piece of its own falls back to its byte token */
    n = tokenize_all(m, "\x01", 0, ids, 64);
    CHECK(n == 2 && ids[1] == 3 + 1);
    CHECK(mv_token_is_end(m, 2) && !mv_token_is_end(m, 1));
    mv_model_free(m);
}

static void test_utf8_stream(test_state *t) {
    struct { const char *in; size_t n; bool final; const char *out; size_t used; } cases[] = {
        {"abc", 3, false, "abc", 3},
        {"a\xC3", 2, false, "a", 1},                 /* é cut after its first byte: held */
        {"\xE2\x96", 2, false, "", 0},
        {"\xE2\x96", 2, true, "\xEF\xBF\xBD\xEF\xBF\xBD", 2},
        {"\xF0\x9F\xA6\x99!", 5, false, "\xF0\x9F\xA6\x99!", 5},
        {"\xFFx", 2, false, "\xEF\xBF\xBDx", 2},     /* never valid: replaced */
        {"\x80x", 2, false, "\xEF\xBF\xBDx", 2},
        {"\xC3(", 2, false, "\xEF\xBF\xBD(", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = NULL;
        size_t used = utf8_take_complete(cases[i].in, cases[i].n, cases[i].final, &out);
        size_t len = strlen(cases[i].out);
        CHECKF(used == cases[i].used && (size_t)arrlen(out) == len && (!len || !memcmp(out, cases[i].out, len)), "case %zu: used %zu", i, used);
        arrfree(out);
    }
}

static void test_sampler(test_state *t) {
    float logits[6] = {1.0f, 3.0f, 2.5f, -1.0f, 2.9f, 0.0f};
    mv_sampler_params p = mv_sampler_default_params();
    p.temperature = 0;
    mv_sampler *s = mv_sampler_create(&p);
    CHECK(mv_sampler_sample(s, logits, 6) == 1);
    mv_sampler_free(s);

    p = mv_sampler_default_params();
    p.top_k = 1, p.temperature = 5;
    s = mv_sampler_create(&p);
    for (int i = 0; i < 20; i++) CHECK(mv_sampler_sample(s, logits, 6) == 1);
    mv_sampler_free(s);

    /* the same seed gives the same tokens; frequencies follow softmax(logits / T) */
    p = mv_sampler_default_params();
    p.top_k = 0, p.top_p = 1, p.min_p = 0, p.temperature = 1.0f, p.seed = 77;
    mv_sampler *a = mv_sampler_create(&p), *b = mv_sampler_create(&p);
    int count[6] = {0}, same = 1;
    const int N = 20000;
    for (int i = 0; i < N; i++) {
        mv_token x = mv_sampler_sample(a, logits, 6);
        same &= x == mv_sampler_sample(b, logits, 6);
        if (x >= 0 && x < 6) count[x]++;
    }
    CHECK(same);
    double z = 0;
    for (int i = 0; i < 6; i++) z += exp(logits[i]);
    for (int i = 0; i < 6; i++) {
        double expect = exp(logits[i]) / z * N;
        CHECKF(fabs(count[i] - expect) < 5 * sqrt(expect) + 5, "token %d: %d draws, expected %.0f", i, count[i], expect);
    }
    mv_sampler_free(a), mv_sampler_free(b);

    /* top-p keeps the smallest set reaching p; min-p drops tokens below p·max */
    p.top_p = 0.5f, p.seed = 1;
    s = mv_sampler_create(&p);
    for (int i = 0; i < 200; i++) {
        mv_token x = mv_sampler_sample(s, logits, 6);
        CHECKF(x == 1 || x == 4, "top-p 0.5 drew %d", x);
    }
    mv_sampler_free(s);
    p.top_p = 1, p.min_p = 0.5f;
    s = mv_sampler_create(&p);
    for (int i = 0; i < 200; i++) {
        mv_token x = mv_sampler_sample(s, logits, 6);
        CHECKF(x == 1 || x == 4 || x == 2, "min-p 0.5 drew %d", x);
    }
    mv_sampler_free(s);

    /* a repeat penalty moves greedy off a recent token */
    p = mv_sampler_default_params();
    p.temperature = 0, p.repeat_penalty = 1.5f;
    s = mv_sampler_create(&p);
    mv_sampler_accept(s, 1);
    CHECK(mv_sampler_sample(s, logits, 6) == 4);
    mv_sampler_reset(s);
    CHECK(mv_sampler_sample(s, logits, 6) == 1);
    mv_sampler_free(s);
}

static const test_case TEXT_TESTS[] = {
    {"tokenizer.round_trip", test_tokenizer_round_trip, NULL},
    {"tokenizer.special_tokens", test_tokenizer_special, NULL},
    {"tokenizer.utf8_stream", test_utf8_stream, NULL},
    {"sampler.rules", test_sampler, NULL},
};
