/* The command, driven as a user (and the outside conformance checks) drive it. */

/* Runs a shell command line; stdout and stderr go to files under tmp.
   Returns the exit status. */
static int run_command(const char *cmdline, char **out, char **err_text) {
    char out_path[512], err_path[512], full[4096];
    tmp_path(out_path, sizeof out_path, "cmd.out");
    tmp_path(err_path, sizeof err_path, "cmd.err");
    snprintf(full, sizeof full, "(%s) >%s 2>%s", cmdline, out_path, err_path);
    int status = system(full);
    if (out) *out = read_file(out_path, NULL);
    if (err_text) *err_text = read_file(err_path, NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void trim(char **s) {
    while (**s == ' ' || **s == '\n') (*s)++;
    size_t n = strlen(*s);
    while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\n')) (*s)[--n] = 0;
}

static void test_cli_run_golden(test_state *t) {
    char model[1024], golden_path[1024], cmd[2048];
    if (!kit_path(model, sizeof model, "stories260K/stories260K.gguf")) SKIP("no kit at ../shared/kit");
    kit_path(golden_path, sizeof golden_path, "stories260K/golden.txt");
    snprintf(cmd, sizeof cmd, "%s run -m %s -p \"\" -n 200 --temp 0", CONFIG.minerva, model);
    char *out = NULL, *err = NULL, *golden = read_file(golden_path, NULL);
    int rc = run_command(cmd, &out, &err);
    CHECKF(rc == 0, "exit %d: %s", rc, err ? err : "");
    if (out && golden) {
        char *a = out, *b = golden;
        trim(&a), trim(&b);
        CHECKF(!strcmp(a, b), "stdout differs from golden.txt:\n%s", a);
    }
    CHECK(err && strstr(err, "prompt:") && strstr(err, "generation:") && strstr(err, "first token:") && strstr(err, "load:"));
    free(out), free(err), free(golden);
}

static void test_cli_logits(test_state *t) {
    char model[1024], ref[1024], cmd[2048], out_path[512];
    if (!kit_path(model, sizeof model, "gguf/tiny_b.Q4_0.gguf")) SKIP("no kit at ../shared/kit");
    tmp_path(out_path, sizeof out_path, "cli_logits.f32");
    const char *variants[] = {"", "--ubatch 1", "--threads 1", "--kv f16"};
    float *deq = read_floats(kit_path(ref, sizeof ref, "logits/tiny_b.Q4_0.deqF32.logits.f32"), &(size_t){0});
    float *kvf16 = read_floats(kit_path(ref, sizeof ref, "logits/tiny_b.Q4_0.kvf16.logits.f32"), &(size_t){0});
    size_t np;
    float *primary = read_floats(kit_path(ref, sizeof ref, "logits/tiny_b.Q4_0.logits.f32"), &np);
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        snprintf(cmd, sizeof cmd, "%s logits -m %s --tokens " LLAMA_IDS " -o %s %s", CONFIG.minerva, model, out_path, variants[i]);
        char *err = NULL;
        int rc = run_command(cmd, NULL, &err);
        CHECKF(rc == 0, "'%s': exit %d: %s", variants[i], rc, err ? err : "");
        size_t n;
        float *got = read_floats(out_path, &n);
        CHECKF(got && n == np, "'%s': %zu floats, expected %zu", variants[i], n, np);
        if (got && n == np && primary && deq && kvf16) {
            if (i < 3) kit_rule(t, variants[i], got, primary, deq, n, 0, 0);
            else CHECKF(rel_rms(got, primary, n) <= 2 * rel_rms(kvf16, primary, n) + 1e-4, "--kv f16: relrms %g", rel_rms(got, primary, n));
        }
        free(got), free(err);
    }
    free(deq), free(primary), free(kvf16);
}

static void test_cli_tokenize(test_state *t) {
    char cmd[2048], model[1024];
    snprintf(model, sizeof model, "%s/demo_F32.gguf", CONFIG.tmp);
    mv_model *m = demo_model(t);
    if (!m) return;
    mv_token ids[64];
    int n = mv_tokenize(m, "hello world", -1, ids, 64, 0);
    char expect[512] = "[";
    for (int i = 0; i < n; i++) snprintf(expect + strlen(expect), sizeof expect - strlen(expect), i ? ", %d" : "%d", ids[i]);
    strcat(expect, "]");
    snprintf(cmd, sizeof cmd, "%s tokenize -m %s -p 'hello world'", CONFIG.minerva, model);
    char *out = NULL;
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    if (out) CHECKF(!strcmp(out, expect) || (strlen(out) == strlen(expect) + 1 && !strncmp(out, expect, strlen(expect))), "got %s, expected %s", out, expect);
    free(out);
    snprintf(cmd, sizeof cmd, "%s tokenize -m %s -p '<s>hi' --add-special --special", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && !strncmp(out, "[1, 1, ", 7));
    free(out);
    mv_model_free(m);
    if (!kit_path(model, sizeof model, "vocab/ggml-vocab-llama-spm.gguf")) return;
    snprintf(cmd, sizeof cmd, "%s tokenize -m %s -p 'Hello world'", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && !strcmp(out, "[15043, 3186]\n"));
    free(out);
}

static void test_cli_info_and_errors(test_state *t) {
    char cmd[2048], model[1024];
    snprintf(model, sizeof model, "%s/demo_F32.gguf", CONFIG.tmp);
    mv_model *m = demo_model(t); /* makes sure the file exists */
    mv_model_free(m);
    char *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s info -m %s", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && strstr(out, "token_embd.weight") && strstr(out, "supported:     yes"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s run -m /nonexistent.gguf", CONFIG.minerva);
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "/nonexistent.gguf"));
    free(err);
    snprintf(cmd, sizeof cmd, "%s logits -m %s --tokens 1,99999 -o /dev/null", CONFIG.minerva, model);
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "99999"));
    free(err);
    snprintf(cmd, sizeof cmd, "%s frobnicate", CONFIG.minerva);
    CHECK(run_command(cmd, NULL, NULL) == 2);
    snprintf(cmd, sizeof cmd, "%s run -m %s --temp", CONFIG.minerva, model);
    CHECK(run_command(cmd, NULL, NULL) == 2);
    char path[512];
    tmp_path(path, sizeof path, "cli_q4.gguf");
    snprintf(cmd, sizeof cmd, "%s make-model --shape demo --type Q4_0 -o %s && %s run -m %s -p hi -n 5 --temp 0", CONFIG.minerva, path,
             CONFIG.minerva, path);
    CHECK(run_command(cmd, NULL, &err) == 0);
    free(err);
}

/* The type of tensor `name` in the GGUF at path; -1 if it cannot be read. */
static int file_tensor_type(const char *path, const char *name) {
    model_file f;
    char err[MV_ERROR_SIZE];
    if (model_file_open(&f, path, err)) return -1;
    const tensor *x = file_tensor(&f, name);
    const int type = x ? x->type : -1;
    model_file_free(&f);
    return type;
}

/* minerva quantize: types, a mixture, fallbacks, metadata, and refusals. */
static void test_cli_quantize(test_state *t) {
    char source[512], out[512], cmd[4096];
    mv_model *m = demo_model(t); /* makes sure the file exists */
    mv_model_free(m);
    tmp_path(source, sizeof source, "demo_F32.gguf");
    tmp_path(out, sizeof out, "cli_quantized.gguf");
    static const struct { const char *type; int embd, ffn_down, output; } cases[] = {
        {"Q8_0", MV_TYPE_Q8_0, MV_TYPE_Q8_0, MV_TYPE_Q8_0},
        {"Q4_K", MV_TYPE_Q5_0, MV_TYPE_Q5_0, MV_TYPE_Q5_0},      /* rows of 128 and 384: Q4_K falls back */
        {"Q4_K_M", MV_TYPE_Q5_0, MV_TYPE_Q8_0, MV_TYPE_Q8_0},    /* Q6_K for the last ffn_down, then its fallback */
        {"mix-Q4_0", MV_TYPE_Q4_0, MV_TYPE_Q4_0, MV_TYPE_Q8_0},
        {"IQ4_XS", MV_TYPE_IQ4_NL, MV_TYPE_IQ4_NL, MV_TYPE_IQ4_NL},
        {"bf16", MV_TYPE_BF16, MV_TYPE_BF16, MV_TYPE_BF16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *err = NULL;
        snprintf(cmd, sizeof cmd, "%s quantize %s %s %s -t 2 && %s run -m %s -p hi -n 4 --temp 0", CONFIG.minerva, source, out, cases[i].type,
                 CONFIG.minerva, out);
        CHECKF(run_command(cmd, NULL, &err) == 0, "%s: %s", cases[i].type, err ? err : "");
        free(err);
        CHECKF(file_tensor_type(out, "token_embd.weight") == cases[i].embd && file_tensor_type(out, "blk.1.ffn_down.weight") == cases[i].ffn_down &&
               file_tensor_type(out, "output.weight") == cases[i].output && file_tensor_type(out, "blk.0.attn_norm.weight") == MV_TYPE_F32,
               "%s: tensor types", cases[i].type);
    }
    /* quantizing a quantized model works from its dequantized weights; metadata is kept */
    char requantized[512];
    tmp_path(requantized, sizeof requantized, "cli_requantized.gguf");
    snprintf(cmd, sizeof cmd, "%s quantize %s %s Q8_0 && %s info -m %s", CONFIG.minerva, out, requantized, CONFIG.minerva, requantized);
    char *info = NULL;
    CHECK(run_command(cmd, &info, NULL) == 0 && info && strstr(info, "tokenizer.ggml.tokens") && strstr(info, "general.file_type                        7"));
    free(info);
    static const struct { const char *args; const char *message; } refusals[] = {
        {"%s %s Q4_X", "unknown type 'Q4_X'"},
        {"%s %s IQ2_XXS", "type IQ2_XXS is not supported"},
        {"%s %s Q8_1", "type Q8_1 is not supported"},
        {"%s %s/nonexistent.gguf Q8_0", "nonexistent"},
        {"%s %s", "needs IN.gguf OUT.gguf TYPE"},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        char args[2048], *err = NULL;
        snprintf(args, sizeof args, refusals[i].args, source, i == 3 ? CONFIG.tmp : out);
        if (i == 3) snprintf(args, sizeof args, "%s/nonexistent.gguf %s Q8_0", CONFIG.tmp, out);
        snprintf(cmd, sizeof cmd, "%s quantize %s", CONFIG.minerva, args);
        const int rc = run_command(cmd, NULL, &err);
        CHECKF(rc != 0 && err && strstr(err, refusals[i].message), "'quantize %s': exit %d, %s", args, rc, err ? err : "");
        free(err);
    }
    snprintf(cmd, sizeof cmd, "%s quantize %s %s Q8_0", CONFIG.minerva, source, source);
    char *err = NULL;
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "both input and output"));
    free(err);
    CHECK(file_tensor_type(source, "token_embd.weight") == MV_TYPE_F32);
}

static const test_case CLI_TESTS[] = {
    {"cli.run_golden", test_cli_run_golden, NULL},
    {"cli.logits", test_cli_logits, NULL},
    {"cli.tokenize", test_cli_tokenize, NULL},
    {"cli.info_and_errors", test_cli_info_and_errors, NULL},
    {"cli.quantize", test_cli_quantize, NULL},
};
