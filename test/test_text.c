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
        {"\xE2\x96", 2, true, "\xEF\xBF\xBD", 2},           /* one U+FFFD for a maximal subpart (Unicode §3.9) */
        {"\xE0\x80x", 3, false, "\xEF\xBF\xBD\xEF\xBF\xBDx", 3}, /* E0 needs A0..BF next */
        {"\xED\xA0\x80", 3, true, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3}, /* a surrogate */
        {"\xF4\x90\x80\x80", 4, true, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 4}, /* past U+10FFFF */
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

static bool spans_cover(const text_span *sp, ptrdiff_t n, size_t len) {
    size_t at = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        if (sp[i].offset != at || sp[i].length == 0) return false;
        at += sp[i].length;
    }
    return at == len;
}

/* Random strings of UTF-8 pieces and stray bytes: every pre-tokenizer covers
   them exactly, NFC is idempotent and keeps the bytes that are not UTF-8. */
static void test_text_fuzz(test_state *t) {
    static const char *atoms[] = {"a", "Z", " ", "  ", "\n", "\r\n", "\t", "'", "'s", "'LL", "1", "123", "!", "/", "\xC3\xA9", "e\xCC\x81",
                                  "\xCC\x81", "\xCC\x96", "\xE4\xB8\xAD", "\xEA\xB0\x80", "\xE1\x84\x80", "\xE1\x85\xA1", "\xF0\x9F\x98\x80",
                                  "\x80", "\xFF", "\xE2\x82", "\xC3", "\xE3\x80\x80", "\xC2\x85", "\xEF\xBB\xBF", "\xC5\xBF", "$", "(", "|"};
    uint64_t seed = 77;
    for (int round = 0; round < 1500; round++) {
        char *text = NULL;
        const int parts = 1 + round % 40;
        for (int i = 0; i < parts; i++) {
            const uint32_t r = (uint32_t)test_random(&seed);
            const char *a = r % 7 == 0 ? (char[]){(char)(r >> 8), 0} : atoms[(r >> 3) % (sizeof atoms / sizeof *atoms)];
            buf_append(&text, a, a[0] ? strlen(a) : 1);
        }
        const size_t len = (size_t)arrlen(text);
        for (int k = 0; k < PRE_COUNT; k++) {
            text_span *sp = NULL;
            pretokenize(k, text, len, &sp);
            CHECKF(spans_cover(sp, arrlen(sp), len), "round %d: pre-tokenizer %d does not cover the text", round, k);
            arrfree(sp);
        }
        size_t n1 = 0, n2 = 0;
        char *once = unicode_nfc(text, len, &n1), *twice = once ? unicode_nfc(once, n1, &n2) : NULL;
        CHECKF(twice && n1 == n2 && !memcmp(once, twice, n1), "round %d: NFC is not idempotent", round);
        int raw_in = 0, raw_out = 0, k;
        for (size_t at = 0; at < len; at += (size_t)k) raw_in += utf8_decode(text + at, len - at, &k) >= UNICODE_RAW_BYTE;
        for (size_t at = 0; once && at < n1; at += (size_t)k) raw_out += utf8_decode(once + at, n1 - at, &k) >= UNICODE_RAW_BYTE;
        CHECKF(raw_in == raw_out, "round %d: NFC changed the bytes that are not UTF-8", round);
        free(once), free(twice);
        arrfree(text);
    }
}

/* Unicode's NormalizationTest.txt (build.sh unpacks it from unicode-data):
   c2 == NFC(c1) == NFC(c2) == NFC(c3) and c4 == NFC(c4) == NFC(c5). */
static void test_text_nfc(test_state *t) {
    size_t len;
    char *text = read_file("build/NormalizationTest.txt", &len);
    if (!text) SKIP("no build/NormalizationTest.txt (from Debian's unicode-data)");
    int lines = 0;
    for (char *line = text, *next; line < text + len; line = next) {
        next = strchr(line, '\n');
        next = next ? next + 1 : text + len;
        if (*line == '#' || *line == '@' || *line == '\n') continue;
        char bytes[5][256];
        size_t n[5] = {0};
        char *p = line;
        for (int i = 0; i < 5; i++, p = strchr(p, ';') + 1)
            for (char *e; *p != ';' && (strtoul(p, &e, 16), e != p); p = e) n[i] += (size_t)utf8_encode((uint32_t)strtoul(p, NULL, 16), bytes[i] + n[i]);
        static const int to[5] = {1, 1, 1, 3, 3};
        for (int i = 0; i < 5; i++) {
            size_t got_n;
            char *got = unicode_nfc(bytes[i], n[i], &got_n);
            CHECKF(got && got_n == n[to[i]] && !memcmp(got, bytes[to[i]], got_n), "NormalizationTest: %.*s (column %d)", (int)strcspn(line, "#\n"), line, i + 1);
            free(got);
        }
        lines++;
    }
    CHECKF(lines > 18000, "only %d lines", lines);
    snprintf(t->note, sizeof t->note, "%d lines of Unicode %s", lines, UNICODE_VERSION);
    free(text);
}

/* Loads bytes as a tokenizer file; the load must fail cleanly or give a vocabulary. */
static int load_tokenizer_bytes(const char *bytes, size_t n, const char *name) {
    char path[512], err[MV_ERROR_SIZE];
    tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fwrite(bytes, 1, n, f);
    fclose(f);
    mv_model *m = NULL;
    const int rc = mv_model_load(path, NULL, &m, err, sizeof err);
    if (!rc) {
        mv_token ids[64];
        mv_tokenize(m, "Hello <s> world", -1, ids, 64, MV_TOKENIZE_PARSE_SPECIAL);
    }
    mv_model_free(m);
    return rc;
}

/* Damaged tokenizer.json and tokenizer.model files: truncated, bytes
   flipped. Each load fails with a message or loads; nothing crashes (the
   sanitizer build runs this too). */
static void test_tokenizer_malformed(test_state *t) {
    static const char small_json[] =
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"\\u0120\": 3}, \"merges\": [\"a b\"]},"
        " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"use_regex\": true}, \"decoder\": {\"type\": \"ByteLevel\"},"
        " \"added_tokens\": [{\"id\": 4, \"content\": \"<s>\", \"special\": true}]}";
    CHECK(load_tokenizer_bytes(small_json, sizeof small_json - 1, "small_tokenizer.json") == MV_OK);
    char path[1024];
    size_t sizes[2] = {sizeof small_json - 1, 0};
    char *files[2] = {(char *)small_json, NULL};
    if (kit_path(path, sizeof path, "tokenizers/tinyllama-1.1b-chat/tokenizer.model")) files[1] = read_file(path, &sizes[1]);
    uint64_t seed = 5;
    int loads = 0, refusals = 0;
    for (int k = 0; k < 2; k++) {
        if (!files[k]) continue;
        char *copy = malloc(sizes[k]);
        for (int trial = 0; trial < 300; trial++) {
            memcpy(copy, files[k], sizes[k]);
            size_t n = sizes[k];
            if (trial % 3 == 0) n = (size_t)(test_random(&seed) % sizes[k]);
            else
                for (int flips = 0; flips < 1 + trial % 4; flips++) copy[test_random(&seed) % n] = (char)test_random(&seed);
            const int rc = load_tokenizer_bytes(copy, n, k ? "damaged.model" : "damaged.json");
            rc ? refusals++ : loads++;
        }
        free(copy);
    }
    CHECK(refusals > 0);
    free(files[1]);
    snprintf(t->note, sizeof t->note, "%d damaged files refused, %d loaded", refusals, loads);
}

/* Damaged chat templates (bytes flipped, cut short, tags doubled): each
   renders or fails with a message; nothing crashes (also under the sanitizers). */
static void test_templates_malformed(test_state *t) {
    static const char *const files[] = {"templates/llama.cpp-meta-llama-Llama-3.1-8B-Instruct.jinja",
                                        "templates/llama.cpp-openai-gpt-oss-120b.jinja", "templates/mistral-common-v3_spm.jinja"};
    char *sources[4] = {strdup("{% for m in messages %}{% if loop.first %}{{ bos_token }}{% endif %}<|{{ m.role }}|>{{ m.content | trim }}"
                               "{% if not loop.last %}\n{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}")};
    char path[1024];
    for (int i = 0; i < 3; i++) sources[i + 1] = kit_path(path, sizeof path, files[i]) ? read_file(path, NULL) : NULL;
    static const char context[] = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"},"
                                  " {\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"Why?\"}],"
                                  " \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"tools\": [{\"type\": \"function\","
                                  " \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}}]}";
    static const char *const inserts[] = {"{%", "%}", "{{", "}}", "{#", "endfor", "endif", "|", "(", "[", "'", "\"", " if ", "loop.", "[::-1]"};
    uint64_t seed = 9;
    int rendered = 0, refused = 0;
    for (int k = 0; k < 4; k++) {
        if (!sources[k]) continue;
        const size_t n = strlen(sources[k]);
        for (int trial = 0; trial < 120; trial++) {
            char *copy = NULL;
            const size_t at = (size_t)(test_random(&seed) % n), cut = trial % 4 == 0 ? at : n;
            buf_append(&copy, sources[k], MV_MIN(at, cut));
            if (trial % 4 == 1) buf_append(&copy, inserts[test_random(&seed) % (sizeof inserts / sizeof *inserts)], 2);
            if (trial % 4 == 2) buf_append(&copy, (char[]){(char)test_random(&seed)}, 1);
            if (cut == n) buf_append(&copy, sources[k] + at + (trial % 4 == 3), n - at - (trial % 4 == 3));
            arrput(copy, 0);
            char *out = NULL, err[MV_ERROR_SIZE];
            if (mv_chat_render(NULL, copy, context, "2025-06-28", &out, err, sizeof err) == MV_OK) {
                rendered++;
            } else {
                refused++;
                CHECKF(err[0], "a refusal without a message");
            }
            free(out);
            arrfree(copy);
        }
    }
    for (int k = 0; k < 4; k++) free(sources[k]);
    CHECK(rendered > 0 && refused > 0);
    snprintf(t->note, sizeof t->note, "%d rendered, %d refused", rendered, refused);
}

static const test_case TEXT_TESTS[] = {
    {"malformed.templates", test_templates_malformed, NULL},
    {"tokenizer.malformed_files", test_tokenizer_malformed, NULL},
    {"text.fuzz", test_text_fuzz, NULL},
    {"text.nfc", test_text_nfc, NULL},
    {"tokenizer.round_trip", test_tokenizer_round_trip, NULL},
    {"tokenizer.special_tokens", test_tokenizer_special, NULL},
    {"tokenizer.utf8_stream", test_utf8_stream, NULL},
    {"sampler.rules", test_sampler, NULL},
};
