/* Variants of model files: tied output, Llama-3 RoPE factors, "none" token ids. */

/* ---- variants of a model file: metadata and tensors dropped or added ---- */

typedef struct {
    const char *name;
    int type, n_dims;
    int64_t ne[4];
    const void *data;
} extra_tensor;

typedef struct {
    const char *drop_key, *drop_tensor;
    void (*add_keys)(gguf_writer *w);
    const extra_tensor *extra;
    int n_extra;
} model_edit;

/* Copies src to dst with the edit applied; records are copied as stored. */
static int rewrite_model(const char *src, const char *dst, const model_edit *e, char *err) {
    model_file f;
    int rc = model_file_open(&f, src, err);
    if (rc) return rc;
    gguf_writer w;
    gw_init(&w);
    for (ptrdiff_t i = 0; i < arrlen(f.kvs); i++) {
        if (e->drop_key && !strcmp(f.kvs[i].key, e->drop_key)) continue;
        gw_put(&w, f.kvs[i].record, (size_t)f.kvs[i].record_len);
        w.n_kv++;
    }
    if (e->add_keys) e->add_keys(&w);
    for (ptrdiff_t i = 0; i < arrlen(f.tensors); i++)
        if (!e->drop_tensor || strcmp(f.tensors[i].name, e->drop_tensor)) gw_tensor(&w, f.tensors[i].name, f.tensors[i].type, f.tensors[i].n_dims, f.tensors[i].ne);
    for (int i = 0; i < e->n_extra; i++) gw_tensor(&w, e->extra[i].name, e->extra[i].type, e->extra[i].n_dims, e->extra[i].ne);
    rc = gw_begin(&w, dst, err);
    for (ptrdiff_t i = 0; !rc && i < arrlen(f.tensors); i++)
        if (!e->drop_tensor || strcmp(f.tensors[i].name, e->drop_tensor)) rc = gw_tensor_data(&w, f.tensors[i].data, (size_t)f.tensors[i].nbytes, err);
    for (int i = 0; !rc && i < e->n_extra; i++) rc = gw_tensor_data(&w, e->extra[i].data, row_bytes(e->extra[i].type, e->extra[i].ne[0]) * (size_t)(e->extra[i].n_dims > 1 ? e->extra[i].ne[1] : 1), err);
    if (!rc) rc = gw_finish(&w, err);
    gw_free(&w);
    model_file_free(&f);
    return rc;
}

static float *logits_of(test_state *t, const char *path, int kv_type) {
    char err[256];
    mv_model *m = NULL;
    CHECKF(mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK, "%s: %s", path, err);
    float *l = m ? all_logits(t, m, SMALL_IDS, 20, 20, kv_type, 2) : NULL;
    mv_model_free(m);
    return l;
}

/* Without output.weight the head is the token embedding (tied). */
static void test_tied_output(test_state *t) {
    char base[512], same[512], tied[512], err[MV_ERROR_SIZE];
    tmp_path(base, sizeof base, "small_Q8_0.gguf");
    tmp_path(same, sizeof same, "tied_copy.gguf");
    tmp_path(tied, sizeof tied, "tied.gguf");
    mv_model *m = test_model(t, "small_Q8_0.gguf", &SMALL_SHAPE, MV_TYPE_Q8_0, 0);
    if (!m) return;
    const tensor *embd = m->w.tok_embd;
    extra_tensor copy = {"output.weight", embd->type, 2, {embd->ne[0], embd->ne[1], 1, 1}, embd->data};
    CHECKF(rewrite_model(base, same, &(model_edit){.drop_tensor = "output.weight", .extra = &copy, .n_extra = 1}, err) == MV_OK, "%s", err);
    CHECKF(rewrite_model(base, tied, &(model_edit){.drop_tensor = "output.weight"}, err) == MV_OK, "%s", err);
    mv_model_free(m);
    float *a = logits_of(t, same, MV_TYPE_F32), *b = logits_of(t, tied, MV_TYPE_F32);
    if (a && b) CHECK(!memcmp(a, b, 20 * 320 * sizeof *a));
    free(a), free(b);
}

static void add_linear_scaling(gguf_writer *w) {
    gw_str(w, "llama.rope.scaling.type", "linear");
    gw_f32(w, "llama.rope.scaling.factor", 2.0f);
}

/* rope_freqs.weight divides each pair's angle (Llama 3): all ones change
   nothing; all twos act as linear scaling by 2. */
static void test_rope_freqs(test_state *t) {
    char base[512], ones[512], twos[512], linear[512], err[MV_ERROR_SIZE];
    tmp_path(base, sizeof base, "small_F32.gguf");
    tmp_path(ones, sizeof ones, "rope_ones.gguf");
    tmp_path(twos, sizeof twos, "rope_twos.gguf");
    tmp_path(linear, sizeof linear, "rope_linear.gguf");
    mv_model *m = test_model(t, "small_F32.gguf", &SMALL_SHAPE, MV_TYPE_F32, 0);
    if (!m) return;
    const int half = m->hp.n_rot / 2;
    mv_model_free(m);
    float one[64], two[64];
    for (int i = 0; i < half; i++) one[i] = 1.0f, two[i] = 2.0f;
    extra_tensor e1 = {"rope_freqs.weight", MV_TYPE_F32, 1, {half, 1, 1, 1}, one}, e2 = {"rope_freqs.weight", MV_TYPE_F32, 1, {half, 1, 1, 1}, two};
    CHECKF(rewrite_model(base, ones, &(model_edit){.extra = &e1, .n_extra = 1}, err) == MV_OK, "%s", err);
    CHECKF(rewrite_model(base, twos, &(model_edit){.extra = &e2, .n_extra = 1}, err) == MV_OK, "%s", err);
    CHECKF(rewrite_model(base, linear, &(model_edit){.add_keys = add_linear_scaling}, err) == MV_OK, "%s", err);
    float *a = logits_of(t, base, MV_TYPE_F32), *b = logits_of(t, ones, MV_TYPE_F32);
    float *c = logits_of(t, twos, MV_TYPE_F32), *d = logits_of(t, linear, MV_TYPE_F32);
    if (a && b && c && d) {
        CHECK(!memcmp(a, b, 20 * 320 * sizeof *a));
        CHECKF(rel_rms(c, d, 20 * 320) < 1e-5, "factors 2 vs linear 2: %g", rel_rms(c, d, 20 * 320));
        CHECKF(rel_rms(c, a, 20 * 320) > 1e-3, "the factors changed nothing");
    }
    free(a), free(b), free(c), free(d);
}

static void add_no_bos(gguf_writer *w) { gw_u32(w, "tokenizer.ggml.bos_token_id", 0xFFFFFFFFu); }
static void add_no_eos(gguf_writer *w) { gw_key(w, "tokenizer.ggml.eos_token_id", GGUF_I32), gw_put(w, &(int32_t){-1}, 4); }
static void add_bad_bos(gguf_writer *w) { gw_u32(w, "tokenizer.ggml.bos_token_id", 5000); }

/* Token-id keys equal to 0xFFFFFFFF or -1 mean "none"; other ids must exist. */
static void test_none_token_ids(test_state *t) {
    char base[512], path[512], err[MV_ERROR_SIZE];
    mv_model *m = demo_model(t);
    mv_model_free(m);
    tmp_path(base, sizeof base, "demo_F32.gguf");
    tmp_path(path, sizeof path, "token_ids.gguf");
    CHECKF(rewrite_model(base, path, &(model_edit){.drop_key = "tokenizer.ggml.bos_token_id", .add_keys = add_no_bos}, err) == MV_OK, "%s", err);
    CHECK(mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK);
    if (m) {
        mv_token ids[16];
        CHECK(mv_token_bos(m) == -1 && mv_tokenize(m, "hi", -1, ids, 16, MV_TOKENIZE_ADD_SPECIAL) >= 1 && ids[0] != 1);
        mv_model_free(m);
    }
    CHECKF(rewrite_model(base, path, &(model_edit){.drop_key = "tokenizer.ggml.eos_token_id", .add_keys = add_no_eos}, err) == MV_OK, "%s", err);
    CHECK(mv_model_load(path, NULL, &m, err, sizeof err) == MV_OK && mv_token_eos(m) == -1 && !mv_token_is_end(m, 2));
    mv_model_free(m);
    CHECKF(rewrite_model(base, path, &(model_edit){.drop_key = "tokenizer.ggml.bos_token_id", .add_keys = add_bad_bos}, err) == MV_OK, "%s", err);
    CHECK(mv_model_load(path, NULL, &m, err, sizeof err) == MV_ERR_FORMAT && strstr(err, "bos_token_id") && !m);
}

static const test_case MODEL_FILE_TESTS[] = {
    {"model.tied_output", test_tied_output, NULL},
    {"model.rope_freqs", test_rope_freqs, NULL},
    {"tokenizer.none_token_ids", test_none_token_ids, NULL},
};
