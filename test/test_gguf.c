/* GGUF: writer/reader round trip, and malformed files that must fail with a
   message, never crash or read out of bounds. Files are loaded from a heap
   buffer of exactly their size, so AddressSanitizer sees any over-read. */

/* A small llama model in a type whose blocks span 256-element rows. */
static const model_shape TEST_SHAPE = {"test", ARCH_LLAMA, 300, 256, 2, 4, 2, 64, 256, 64, 0, 0, 0, 0};

/* Loads bytes as a model (a copy of exactly n bytes); a successful load is
   also run for a few tokens. Returns the status; err gets the message. */
static int load_bytes(const uint8_t *bytes, size_t n, int vocab_only, char *err) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    mv_model *m = calloc(1, sizeof *m);
    m->file.map = (file_map){.data = copy, .size = n};
    mv_model_params p = mv_model_default_params();
    p.vocab_only = vocab_only;
    err[0] = 0;
    int rc = gguf_parse(&m->file, "buffer", err);
    if (!rc) rc = model_init(m, &p, NULL, err);
    if (!rc && !vocab_only) {
        mv_context_params cp = mv_context_default_params();
        cp.n_ctx = 8;
        cp.n_threads = 1;
        mv_context *ctx;
        char cerr[256];
        if (mv_context_create(m, &cp, &ctx, cerr, sizeof cerr) == MV_OK) {
            mv_token toks[3] = {1, 5, 7};
            mv_decode(ctx, &(mv_batch){.n_tokens = 3, .tokens = toks});
            mv_context_free(ctx);
        }
    }
    mv_model_free(m);
    free(copy);
    return rc;
}

static uint8_t *make_test_file(const char *name, int type, size_t *n) {
    char path[512], err[MV_ERROR_SIZE];
    tmp_path(path, sizeof path, name);
    if (write_random_model(&TEST_SHAPE, ARCH_LLAMA, type, -1, NULL, 7, 1, path, err)) return NULL;
    return (uint8_t *)read_file(path, n);
}

static void test_gguf_round_trip(test_state *t) {
    char path[512], err[MV_ERROR_SIZE];
    tmp_path(path, sizeof path, "round_trip.gguf");
    gguf_writer w;
    gw_init(&w);
    uint8_t u8 = 200;
    int8_t i8 = -100;
    uint16_t u16 = 60000;
    int16_t i16 = -30000;
    uint64_t u64 = 1ull << 60;
    int64_t i64 = -(1ll << 60);
    double f64 = 1.0 / 3.0;
    struct { const char *key; uint32_t type; const void *v; } scalars[] = {
        {"t.u8", GGUF_U8, &u8}, {"t.i8", GGUF_I8, &i8}, {"t.u16", GGUF_U16, &u16}, {"t.i16", GGUF_I16, &i16},
        {"t.u64", GGUF_U64, &u64}, {"t.i64", GGUF_I64, &i64}, {"t.f64", GGUF_F64, &f64},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
        gw_key(&w, scalars[i].key, scalars[i].type);
        gw_put(&w, scalars[i].v, GGUF_VALUE_SIZE[scalars[i].type]);
    }
    gw_u32(&w, "t.u32", 4000000000u);
    gw_f32(&w, "t.f32", 1.5f);
    gw_bool(&w, "t.bool", true);
    gw_str(&w, "t.str", "héllo");
    int32_t ints[3] = {-1, 2, 3};
    gw_array(&w, "t.ints", GGUF_I32, ints, 3);
    /* an array of two arrays of u16 */
    gw_key(&w, "t.nested", GGUF_ARRAY);
    uint32_t et = GGUF_ARRAY, et16 = GGUF_U16;
    uint64_t two = 2, three = 3;
    uint16_t vals[3] = {7, 8, 9};
    gw_put(&w, &et, 4), gw_put(&w, &two, 8);
    for (int k = 0; k < 2; k++) gw_put(&w, &et16, 4), gw_put(&w, &three, 8), gw_put(&w, vals, 6);
    gw_u32(&w, "general.alignment", 64);
    w.alignment = 64;
    float data[64];
    for (int i = 0; i < 64; i++) data[i] = (float)i;
    gw_tensor(&w, "a", MV_TYPE_F32, 2, (int64_t[]){8, 8});
    gw_tensor(&w, "b", MV_TYPE_Q8_0, 1, (int64_t[]){32});
    uint8_t q8[34];
    quantize_q8_0(data, q8, 32);
    int rc = gw_begin(&w, path, err);
    if (!rc) rc = gw_tensor_data(&w, data, sizeof data, err);
    if (!rc) rc = gw_tensor_data(&w, q8, 34, err);
    if (!rc) rc = gw_finish(&w, err);
    gw_free(&w);
    CHECKF(rc == MV_OK, "write: %s", err);

    model_file f;
    rc = model_file_open(&f, path, err);
    CHECKF(rc == MV_OK, "read: %s", err);
    if (rc) return;
    int64_t iv;
    double fv;
    CHECK(meta_int(meta_find(&f, "t.u8"), &iv) && iv == 200);
    CHECK(meta_int(meta_find(&f, "t.i8"), &iv) && iv == -100);
    CHECK(meta_int(meta_find(&f, "t.u16"), &iv) && iv == 60000);
    CHECK(meta_int(meta_find(&f, "t.i16"), &iv) && iv == -30000);
    CHECK(meta_int(meta_find(&f, "t.u32"), &iv) && iv == 4000000000ll);
    CHECK(meta_int(meta_find(&f, "t.u64"), &iv) && (uint64_t)iv == 1ull << 60);
    CHECK(meta_int(meta_find(&f, "t.i64"), &iv) && iv == -(1ll << 60));
    CHECK(meta_float(meta_find(&f, "t.f64"), &fv) && fv == 1.0 / 3.0);
    CHECK(meta_float(meta_find(&f, "t.f32"), &fv) && fv == 1.5);
    CHECK(meta_int(meta_find(&f, "t.bool"), &iv) && iv == 1);
    size_t len;
    const char *str = meta_string(meta_find(&f, "t.str"), &len);
    CHECK(str && len == 6 && !memcmp(str, "héllo", 6));
    const meta_kv *nested = meta_find(&f, "t.nested");
    CHECK(nested && nested->type == GGUF_ARRAY && nested->array_type == GGUF_ARRAY && nested->n == 2);
    char *text = NULL;
    const uint8_t *p = nested->record + 8 + strlen(nested->key) + 4;
    meta_render_value(&text, GGUF_ARRAY, &p, 16);
    arrput(text, 0);
    CHECKF(!strcmp(text, "[2] [3] 7, 8, 9, [3] 7, 8, 9"), "nested renders as '%s'", text);
    arrfree(text);
    CHECK(f.alignment == 64 && f.data_offset % 64 == 0);
    const tensor *a = file_tensor(&f, "a"), *b = file_tensor(&f, "b");
    CHECK(a && a->ne[0] == 8 && a->ne[1] == 8 && a->type == MV_TYPE_F32 && !memcmp(a->data, data, sizeof data));
    CHECK(b && b->n_dims == 1 && b->type == MV_TYPE_Q8_0 && (b->data - f.map.data) % 64 == 0 && !memcmp(b->data, q8, 34));
    model_file_free(&f);
}

/* Where things are in a valid file, for patching. */
typedef struct {
    size_t kv[64];            /* record offsets, by key index */
    char keys[64][64];
    int n_kv;
    size_t tensor_info;       /* offset of the first tensor info */
    size_t data_offset;
} file_layout;

static int layout_of(const uint8_t *bytes, size_t n, file_layout *l) {
    memset(l, 0, sizeof *l);
    model_file f = {0};
    char err[MV_ERROR_SIZE];
    uint8_t *copy = malloc(n);
    memcpy(copy, bytes, n);
    f.map = (file_map){.data = copy, .size = n};
    int rc = gguf_parse(&f, "buffer", err);
    if (!rc) {
        for (ptrdiff_t i = 0; i < arrlen(f.kvs) && i < 64; i++) {
            l->kv[i] = (size_t)(f.kvs[i].record - f.map.data);
            snprintf(l->keys[i], 64, "%s", f.kvs[i].key);
        }
        l->n_kv = (int)MV_MIN(arrlen(f.kvs), 64);
        const meta_kv *last = &arrlast(f.kvs);
        l->tensor_info = (size_t)(last->record - f.map.data) + last->record_len;
        l->data_offset = f.data_offset;
    }
    model_file_free(&f);
    free(copy);
    return rc;
}

static size_t key_offset(const file_layout *l, const char *key) {
    for (int i = 0; i < l->n_kv; i++)
        if (!strcmp(l->keys[i], key)) return l->kv[i];
    return 0;
}

/* Offset of the value of a key's record (after its name and type). */
static size_t value_offset(const file_layout *l, const char *key) { return key_offset(l, key) + 8 + strlen(key) + 4; }

/* Offset of the info of the tensor with that name. */
static size_t tensor_info_offset(const uint8_t *b, const file_layout *l, const char *name) {
    size_t len = strlen(name);
    for (size_t i = l->tensor_info; i + 8 + len <= l->data_offset; i++) {
        uint64_t n;
        memcpy(&n, b + i, 8);
        if (n == len && !memcmp(b + i + 8, name, len)) return i;
    }
    return 0;
}

typedef struct {
    const char *what;
    size_t offset;
    uint64_t value;
    int width;           /* bytes written at offset */
    const char *expect;  /* a part of the message, or NULL */
} patch;

static void test_malformed_files(test_state *t) {
    size_t n;
    uint8_t *good = make_test_file("malformed_base.gguf", MV_TYPE_Q4_0, &n);
    CHECK(good != NULL);
    if (!good) return;
    char err[MV_ERROR_SIZE];
    CHECKF(load_bytes(good, n, 0, err) == MV_OK, "the unmodified file fails: %s", err);
    file_layout l;
    CHECK(layout_of(good, n, &l) == MV_OK);

    /* every truncation through the metadata and tensor infos, then through the data */
    int truncations = 0;
    for (size_t cut = 0; cut < n; cut += cut < l.data_offset + 64 ? 1 : 997) {
        int rc = load_bytes(good, cut, 0, err);
        truncations++;
        CHECKF(rc != MV_OK && err[0], "truncated at %zu of %zu: rc %d, message '%s'", cut, n, rc, err);
    }

    const size_t q = tensor_info_offset(good, &l, "blk.0.attn_q.weight");
    const size_t qlen = 8 + strlen("blk.0.attn_q.weight");
    const size_t tok = value_offset(&l, "tokenizer.ggml.tokens");
    patch patches[] = {
        {"bad magic", 0, 0x46554748, 4, "not a GGUF"},
        {"version 1", 4, 1, 4, "version 1"},
        {"version 4", 4, 4, 4, "version 4"},
        {"big-endian version", 4, 0x03000000, 4, "version"},
        {"huge tensor count", 8, 1ull << 40, 8, "tensors cannot fit"},
        {"huge key count", 16, 1ull << 40, 8, "keys cannot fit"},
        {"key count one too many", 16, (uint64_t)l.n_kv + 1, 8, NULL},
        {"key length past the end", l.kv[0], 1ull << 62, 8, "runs past the end"},
        {"empty key", l.kv[0], 0, 8, NULL},
        {"key not UTF-8", l.kv[0] + 8, 0xFF, 1, "UTF-8"},
        {"unknown value type", l.kv[0] + 8 + strlen(l.keys[0]), 99, 4, "unknown value type"},
        {"string value too long", value_offset(&l, "general.architecture"), 1ull << 40, 8, "general.architecture"},
        {"array count huge", tok + 4, 1ull << 50, 8, "tokenizer.ggml.tokens"},
        {"array element type unknown", tok, 99, 4, "unknown array element type"},
        {"array string too long", tok + 12, 1ull << 33, 8, "tokenizer.ggml.tokens"},
        {"tokens not strings", tok, GGUF_U32, 4, NULL},
        {"bool value 2", value_offset(&l, "tokenizer.ggml.add_bos_token"), 2, 1, "neither 0 nor 1"},
        {"tensor name too long", q, 1ull << 40, 8, NULL},
        {"tensor with 0 dimensions", q + qlen, 0, 4, "blk.0.attn_q.weight"},
        {"tensor with 5 dimensions", q + qlen, 5, 4, "blk.0.attn_q.weight"},
        {"dimension of size 0", q + qlen + 4, 0, 8, "blk.0.attn_q.weight"},
        {"absurd dimension", q + qlen + 4, 1ull << 62, 8, "blk.0.attn_q.weight"},
        {"row not a multiple of the block", q + qlen + 4, 255, 8, "not a multiple"},
        {"unknown type id", q + qlen + 20, 99, 4, "unknown type id 99"},
        {"removed type id", q + qlen + 20, 4, 4, "unknown type id 4"},
        {"type known but not implemented", q + qlen + 20, MV_TYPE_IQ2_XXS, 4, "IQ2_XXS is not supported"},
        {"offset not aligned", q + qlen + 24, 1, 8, "alignment"},
        {"offset past the end", q + qlen + 24, 1ull << 40, 8, "runs past the end"},
        {"duplicate tensor name", q + 8 + 11, 'k', 1, "appears twice"},
        {"wrong tensor shape", q + qlen + 12, 128, 8, "blk.0.attn_q.weight: shape"},
        {"head count 0", value_offset(&l, "llama.attention.head_count"), 0, 4, "head_count"},
        {"kv heads do not divide heads", value_offset(&l, "llama.attention.head_count_kv"), 3, 4, "not a multiple"},
        {"too many layers", value_offset(&l, "llama.block_count"), 3, 4, "blk.2.attn_norm.weight is missing"},
        {"embedding length off", value_offset(&l, "llama.embedding_length"), 512, 4, "token_embd.weight: shape"},
        {"bos out of range", value_offset(&l, "tokenizer.ggml.bos_token_id"), 99999, 4, "bos_token_id"},
        {"architecture unknown", value_offset(&l, "general.architecture") + 8, 'X', 1, "not supported"},
    };
    for (size_t i = 0; i < sizeof patches / sizeof *patches; i++) {
        const patch *pt = &patches[i];
        CHECKF(pt->offset > 0 || !strcmp(pt->what, "bad magic") || pt->offset == 0, "%s: not located", pt->what);
        uint8_t *bad = malloc(n);
        memcpy(bad, good, n);
        memcpy(bad + pt->offset, &pt->value, (size_t)pt->width);
        int rc = load_bytes(bad, n, 0, err);
        CHECKF(rc != MV_OK && err[0], "%s: loaded (rc %d)", pt->what, rc);
        if (pt->expect) CHECKF(strstr(err, pt->expect) != NULL, "%s: message '%s' lacks '%s'", pt->what, err, pt->expect);
        free(bad);
    }

    /* random byte flips in the header: any result, but no crash or over-read */
    uint64_t s = 1234;
    int loaded = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t *bad = malloc(n);
        memcpy(bad, good, n);
        for (int k = 0; k < 1 + (int)(test_random(&s) % 4); k++) bad[test_random(&s) % l.data_offset] ^= (uint8_t)(1 + test_random(&s) % 255);
        loaded += load_bytes(bad, n, 0, err) == MV_OK;
        free(bad);
    }
    snprintf(t->note, sizeof t->note, "%d truncations, %zu patches, 3000 random flips (%d still loaded)", truncations,
             sizeof patches / sizeof *patches, loaded);
    free(good);
}

/* Files the writer makes on purpose: duplicate keys, bad alignment. */
static void test_malformed_written(test_state *t) {
    struct { const char *what, *key; uint32_t type, value; const char *expect; } cases[] = {
        {"duplicate key", "general.architecture", GGUF_STRING, 0, "appears twice"},
        {"alignment 3", "general.alignment", GGUF_U32, 3, "power of two"},
        {"alignment as i32", "general.alignment", GGUF_I32, 32, "power of two"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[512], err[MV_ERROR_SIZE];
        tmp_path(path, sizeof path, "written.gguf");
        gguf_writer w;
        gw_init(&w);
        gw_str(&w, "general.architecture", "llama");
        if (cases[i].type == GGUF_STRING) gw_str(&w, cases[i].key, "llama");
        else gw_key(&w, cases[i].key, cases[i].type), gw_put(&w, &cases[i].value, 4);
        gw_tensor(&w, "x", MV_TYPE_F32, 1, (int64_t[]){4});
        float x[4] = {0};
        int rc = gw_begin(&w, path, err);
        if (!rc) rc = gw_tensor_data(&w, x, sizeof x, err);
        if (!rc) rc = gw_finish(&w, err);
        gw_free(&w);
        size_t n;
        uint8_t *b = (uint8_t *)read_file(path, &n);
        CHECK(rc == MV_OK && b);
        if (!b) continue;
        rc = load_bytes(b, n, 1, err);
        CHECKF(rc != MV_OK && strstr(err, cases[i].expect), "%s: rc %d, '%s'", cases[i].what, rc, err);
        free(b);
    }
    /* the loader on a path: missing, empty, a directory */
    char err[256];
    mv_model *m;
    CHECK(mv_model_load("/nonexistent/model.gguf", NULL, &m, err, sizeof err) == MV_ERR_IO && strstr(err, "nonexistent") && !m);
    char path[512];
    tmp_path(path, sizeof path, "empty.gguf");
    write_file(path, "", 0);
    CHECK(mv_model_load(path, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "empty"));
    CHECK(mv_model_load(CONFIG.tmp, NULL, &m, err, sizeof err) == MV_ERR_IO && strstr(err, "config.json"));
}

/* The Hugging Face name of a GGUF tensor name, by the binding table. */
static bool hf_name_of(const char *gguf, char *out, size_t size) {
    for (size_t i = 0; i < sizeof BINDINGS / sizeof *BINDINGS; i++)
        for (int l = 0; l < 64 && BINDINGS[i].hf_name; l++) {
            char name[256];
            snprintf(name, sizeof name, BINDINGS[i].name, l);
            if (!strcmp(name, gguf)) return snprintf(out, size, BINDINGS[i].hf_name, l), true;
            if (!(BINDINGS[i].flags & BIND_LAYER)) break;
        }
    return false;
}

/* A model directory made from the F32 test model: config.json and a
   SafeTensors file with the tensors under their Hugging Face names. */
static char *make_safetensors(const char *dir, size_t *n) {
    size_t gguf_n;
    uint8_t *gguf = make_test_file("st_base.gguf", MV_TYPE_F32, &gguf_n);
    model_file f;
    char err[MV_ERROR_SIZE], path[600], *header = NULL, *data = NULL;
    if (!gguf) return NULL;
    memset(&f, 0, sizeof f);
    f.map = (file_map){.data = gguf, .size = gguf_n};
    if (gguf_parse(&f, "buffer", err)) return free(gguf), NULL;
    buf_printf(&header, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (ptrdiff_t i = 0; i < arrlen(f.tensors); i++) {
        char hf[256];
        const tensor *t = &f.tensors[i];
        if (!hf_name_of(t->name, hf, sizeof hf)) continue;
        buf_printf(&header, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [", hf);
        for (int d = t->n_dims - 1; d >= 0; d--) buf_printf(&header, "%lld%s", (long long)t->ne[d], d ? ", " : "");
        buf_printf(&header, "], \"data_offsets\": [%lld, %lld]}", (long long)arrlen(data), (long long)(arrlen(data) + (ptrdiff_t)t->nbytes));
        buf_append(&data, t->data, (size_t)t->nbytes);
    }
    buf_printf(&header, "}");
    while (arrlen(header) % 8) buf_append(&header, " ", 1);
    char *file = NULL;
    const uint64_t len = (uint64_t)arrlen(header);
    buf_append(&file, &len, 8);
    buf_append(&file, header, (size_t)arrlen(header));
    buf_append(&file, data, (size_t)arrlen(data));
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    char config[512];
    snprintf(config, sizeof config, "{\"model_type\": \"llama\", \"hidden_size\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d,"
             " \"num_attention_heads\": %d, \"num_key_value_heads\": %d, \"rms_norm_eps\": 1e-5, \"vocab_size\": %d}",
             TEST_SHAPE.n_embd, TEST_SHAPE.n_ff, TEST_SHAPE.n_layer, TEST_SHAPE.n_head, TEST_SHAPE.n_head_kv, TEST_SHAPE.n_vocab);
    write_file(path, config, strlen(config));
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_file(path, file, (size_t)arrlen(file));
    char *copy = malloc((size_t)arrlen(file));
    memcpy(copy, file, (size_t)arrlen(file));
    *n = (size_t)arrlen(file);
    arrfree(header), arrfree(data), arrfree(file);
    f.map = (file_map){0};
    model_file_free(&f);
    free(gguf);
    return copy;
}

/* Parses n bytes (an exact-size copy, so the sanitizer sees any over-read) as a SafeTensors file. */
static int parse_safetensors_bytes(const char *bytes, size_t n, char *err) {
    model_file f;
    memset(&f, 0, sizeof f);
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    const file_map map = {.data = copy, .size = n};
    int rc = strmap_init(&f.tensor_index, 16);
    err[0] = 0;
    if (!rc) rc = safetensors_parse(&f, &map, "buffer", err);
    model_file_free(&f);
    free(copy);
    return rc;
}

/* SafeTensors: the written directory loads and runs; damaged headers fail
   with a message, never a crash or an out-of-bounds read. */
static void test_malformed_safetensors(test_state *t) {
    char dir[512], path[600], err[MV_ERROR_SIZE];
    tmp_path(dir, sizeof dir, "st_model");
    size_t n;
    char *good = make_safetensors(dir, &n);
    CHECK(good != NULL);
    if (!good) return;
    mv_model *m = NULL;
    CHECKF(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_OK, "the written directory fails: %s", err);
    if (m) {
        float *l = all_logits(t, m, SMALL_IDS, 4, 4, MV_TYPE_F32, 1);
        for (int i = 0; l && i < 4 * mv_model_n_vocab(m); i++) CHECKF(isfinite(l[i]), "logit %d", i);
        free(l);
        mv_model_free(m);
    }
    CHECK(parse_safetensors_bytes(good, n, err) == MV_OK);
    uint64_t header_len;
    memcpy(&header_len, good, 8);
    int cuts = 0, refused = 0;
    for (size_t cut = 0; cut < n; cut += cut < header_len + 64 ? 1 : 4093, cuts++)
        CHECKF(parse_safetensors_bytes(good, cut, err) != MV_OK && err[0], "truncated at %zu of %zu: no error", cut, n);
    /* targeted damage: each must be refused with this message */
    static const struct { const char *find, *replace, *message; } patches[] = {
        {"\"dtype\": \"F32\"", "\"dtype\": \"F16\"", "bytes for"},
        {"\"dtype\": \"F32\"", "\"dtype\": \"Q4X\"", "not supported"},
        {"\"shape\": [", "\"shape\": [0, ", "dimension"},
        {"\"data_offsets\": [0, ", "\"data_offsets\": [4, ", "bytes for"},
        {"\"data_offsets\": [0, ", "\"data_offsets\": [-4, ", "not byte offsets"},
        {"{\"__metadata__", "[\"__metadata__", "json"},
    };
    for (size_t i = 0; i < sizeof patches / sizeof *patches; i++) {
        char *bad = NULL;
        const char *at = strstr(good + 8, patches[i].find);
        if (!at) continue;
        buf_append(&bad, good, (size_t)(at - good));
        buf_append(&bad, patches[i].replace, strlen(patches[i].replace));
        buf_append(&bad, at + strlen(patches[i].find), n - (size_t)(at - good) - strlen(patches[i].find));
        const uint64_t len = header_len + strlen(patches[i].replace) - strlen(patches[i].find);
        memcpy(bad, &len, 8);
        const int rc = parse_safetensors_bytes(bad, (size_t)arrlen(bad), err);
        CHECKF(rc != MV_OK && strstr(err, patches[i].message), "%s -> %s: rc %d, '%s'", patches[i].find, patches[i].replace, rc, err);
        arrfree(bad);
    }
    /* two tensors over the same bytes */
    char *overlap = NULL;
    buf_append(&overlap, good, n);
    char *second = strstr(strstr(overlap + 8, "\"data_offsets\": [") + 1, "\"data_offsets\": [");
    if (second) memcpy(second + 17, "0,", 2); /* "[1234, ..." -> "[0,34, ..." is no longer a clean range */
    CHECK(parse_safetensors_bytes(overlap, n, err) != MV_OK);
    arrfree(overlap);
    uint64_t seed = 17;
    for (int k = 0; k < 400; k++) {
        char *bad = malloc(n);
        memcpy(bad, good, n);
        for (int flips = 0; flips < 1 + k % 3; flips++) bad[test_random(&seed) % (header_len + 8)] = (char)test_random(&seed);
        refused += parse_safetensors_bytes(bad, n, err) != MV_OK;
        free(bad);
    }
    /* a broken config.json, and one naming an architecture that is not supported */
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_file(path, "{\"model_type\": \"llama\", ", strlen("{\"model_type\": \"llama\", "));
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "config.json"));
    write_file(path, "{\"model_type\": \"bert\"}", strlen("{\"model_type\": \"bert\"}"));
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_UNSUPPORTED && strstr(err, "bert"));
    snprintf(t->note, sizeof t->note, "%d truncations, %d patches, 400 random flips (%d refused)", cuts, (int)(sizeof patches / sizeof *patches),
             refused);
    free(good);
}

/* generation_config.json's eos_token_id (a number or a list) ends generation; ids outside the vocabulary are refused. */
static void test_generation_config(test_state *t) {
    char dir[512], path[600], err[MV_ERROR_SIZE];
    tmp_path(dir, sizeof dir, "gen_config_dir");
    size_t n;
    free(make_safetensors(dir, &n));
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    static const char good[] = "{\"bos_token_id\": 1, \"eos_token_id\": [5, 7]}", bad[] = "{\"eos_token_id\": [2, 99999]}";
    write_file(path, good, strlen(good));
    mv_model *m = NULL;
    CHECKF(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_OK, "%s", err);
    if (m) CHECK(mv_token_is_end(m, 5) && mv_token_is_end(m, 7) && !mv_token_is_end(m, 9));
    mv_model_free(m);
    write_file(path, bad, strlen(bad));
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "generation_config.json"));
}

/* A model directory holding one SafeTensors file of the given tensors
   (zero-filled data) and a config.json of model_type `type`. */
typedef struct { const char *name, *dtype; int n_dims; int64_t shape[4]; } st_tensor;

static void write_st_dir(const char *dir, const char *type, const st_tensor *t, int n) {
    char *header = NULL, path[600];
    size_t offset = 0;
    buf_printf(&header, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (int i = 0; i < n; i++) {
        size_t bytes = !strcmp(t[i].dtype, "F32") ? 4 : !strcmp(t[i].dtype, "BF16") ? 2 : 1;
        buf_printf(&header, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [", t[i].name, t[i].dtype);
        for (int d = 0; d < t[i].n_dims; d++) buf_printf(&header, "%s%lld", d ? ", " : "", (long long)t[i].shape[d]), bytes *= (size_t)t[i].shape[d];
        buf_printf(&header, "], \"data_offsets\": [%zu, %zu]}", offset, offset + bytes);
        offset += bytes;
    }
    buf_printf(&header, "}");
    while (arrlen(header) % 8) buf_append(&header, " ", 1);
    const uint64_t len = (uint64_t)arrlen(header);
    char *file = NULL;
    buf_append(&file, &len, 8);
    buf_append(&file, header, (size_t)len);
    memset(arraddnptr(file, offset), 0, offset);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    write_file(path, file, (size_t)arrlen(file));
    char config[256];
    snprintf(config, sizeof config, "{\"model_type\": \"%s\", \"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 1}", type);
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_file(path, config, strlen(config));
    arrfree(header), arrfree(file);
}

/* GPT-OSS expert tensors in Hugging Face files: blocks, scales and bias
   that do not agree, and unquantized experts, are refused by name. */
static void test_malformed_gpt_oss_experts(test_state *t) {
    char dir[512], err[MV_ERROR_SIZE];
    mv_model *m = NULL;
    const st_tensor mismatched[] = {
        {"model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", 4, {2, 8, 1, 16}},
        {"model.layers.0.mlp.experts.gate_up_proj_scales", "U8", 3, {2, 8, 2}},
        {"model.layers.0.mlp.experts.gate_up_proj_bias", "F32", 2, {2, 8}},
    };
    tmp_path(dir, sizeof dir, "oss_mismatched");
    write_st_dir(dir, "gpt_oss", mismatched, 3);
    CHECKF(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "gate_up_proj_blocks") && strstr(err, "do not match"),
           "%s", err);
    const st_tensor odd_rows[] = {
        {"model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", 4, {2, 7, 1, 16}},
        {"model.layers.0.mlp.experts.gate_up_proj_scales", "U8", 3, {2, 7, 1}},
        {"model.layers.0.mlp.experts.gate_up_proj_bias", "F32", 2, {2, 7}},
    };
    tmp_path(dir, sizeof dir, "oss_odd_rows");
    write_st_dir(dir, "gpt_oss", odd_rows, 3);
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "do not match"));
    const st_tensor missing_scales[] = {{"model.layers.0.mlp.experts.down_proj_blocks", "U8", 4, {2, 8, 1, 16}}};
    tmp_path(dir, sizeof dir, "oss_missing_scales");
    write_st_dir(dir, "gpt_oss", missing_scales, 1);
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "down_proj_blocks"));
    const st_tensor dense[] = {{"model.layers.0.mlp.experts.gate_up_proj", "BF16", 3, {2, 32, 16}}};
    tmp_path(dir, sizeof dir, "oss_dense_experts");
    write_st_dir(dir, "gpt_oss", dense, 1);
    CHECK(mv_model_load(dir, NULL, &m, err, sizeof err) == MV_ERR_UNSUPPORTED && strstr(err, "unquantized"));
    CHECK(m == NULL);
}

static const test_case GGUF_TESTS[] = {
    {"malformed.gpt_oss_experts", test_malformed_gpt_oss_experts, NULL},
    {"model_dir.generation_config", test_generation_config, NULL},
    {"gguf.round_trip", test_gguf_round_trip, NULL},
    {"malformed.patched_files", test_malformed_files, NULL},
    {"malformed.written_files", test_malformed_written, NULL},
    {"malformed.safetensors", test_malformed_safetensors, NULL},
};
