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

static int count_lines_with(const char *s, const char *what) {
    int n = 0;
    for (; s && (s = strstr(s, what)); s += strlen(what)) n++;
    return n;
}

static void trim(char **s) {
    while (**s == ' ' || **s == '\n') (*s)++;
    size_t n = strlen(*s);
    while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\n')) (*s)[--n] = 0;
}

/* stories260K greedy from BOS, as GGUF, as the llama2.c checkpoint with its
   tokenizer.bin, and as the Hugging Face directory: llama2.c's golden text. */
static void test_cli_run_golden(test_state *t) {
    char gguf[1024], bin[1024], tok[1024], hf[1024], golden_path[1024], cmd[4096];
    if (!kit_path(gguf, sizeof gguf, "stories260K/stories260K.gguf")) SKIP("no kit at ../shared/kit");
    kit_path(bin, sizeof bin, "stories260K/stories260K.bin");
    kit_path(tok, sizeof tok, "stories260K/tok512.bin");
    kit_path(hf, sizeof hf, "stories260K/hf-F32");
    kit_path(golden_path, sizeof golden_path, "stories260K/golden.txt");
    char *golden = read_file(golden_path, NULL);
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd, "%s run -m %s %s%s -p \"\" -n 200 --temp 0", CONFIG.minerva, k == 0 ? gguf : k == 1 ? bin : hf,
                 k == 1 ? "--tokenizer " : "", k == 1 ? tok : "");
        char *out = NULL, *err = NULL;
        int rc = run_command(cmd, &out, &err);
        CHECKF(rc == 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
        if (out && golden) {
            char *a = out, *b = golden;
            trim(&a), trim(&b);
            CHECKF(!strcmp(a, b), "%s: stdout differs from golden.txt:\n%s", cmd, a);
        }
        CHECK(err && strstr(err, "prompt:") && strstr(err, "generation:") && strstr(err, "first token:") && strstr(err, "load:"));
        free(out), free(err);
    }
    free(golden);
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
            if (i < 3) kit_rule(t, variants[i], got, primary, deq, n, RULE_QUANT, 0);
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
    /* --jsonl: a line in, a line out, errors included; detokenize gives the text back */
    char in[512];
    tmp_path(in, sizeof in, "lines.jsonl");
    FILE *f = fopen(in, "w");
    if (f) fputs("\"hello world\"\n\"tab\\there \\u00e9\"\nnot json\n", f), fclose(f);
    snprintf(cmd, sizeof cmd, "%s tokenize --tokenizer %s --jsonl < %s", CONFIG.minerva, model, in);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && !strncmp(out, expect, strlen(expect)) && strstr(out, "]\n{\"error\": "));
    free(out);
    if (f) f = fopen(in, "w");
    if (f) fprintf(f, "%s\n[]\n[1, 99999]\n", expect), fclose(f);
    snprintf(cmd, sizeof cmd, "%s detokenize --tokenizer %s --jsonl < %s", CONFIG.minerva, model, in);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && !strncmp(out, "\"hello world\"\n\"\"\n{\"error\": ", 27));
    free(out);
    if (!kit_path(model, sizeof model, "vocab/ggml-vocab-llama-spm.gguf")) return;
    snprintf(cmd, sizeof cmd, "%s tokenize -m %s -p 'Hello world'", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out && !strcmp(out, "[15043, 3186]\n"));
    free(out);
}

/* The conformance interface end to end: the kit's texts through
   `tokenize --jsonl` in its three modes and `detokenize --jsonl`, with a
   tokenizer.json, compared line by line with the kit's ids and text. */
static void test_cli_tokenize_jsonl(test_state *t) {
    char tok[1024], jsonl[1024], texts[512], ids[512], cmd[4096];
    if (!kit_path(tok, sizeof tok, "tokenizers/tinyllama-1.1b-chat/tokenizer.json")) SKIP("no kit at ../shared/kit");
    kit_path(jsonl, sizeof jsonl, "tokenize/tok_llama2_public.jsonl");
    tmp_path(texts, sizeof texts, "texts.jsonl");
    tmp_path(ids, sizeof ids, "ids.jsonl");
    char *cases = read_file(jsonl, NULL), *save = NULL;
    FILE *ft = fopen(texts, "w"), *fi = fopen(ids, "w");
    int n = 0;
    char **want[4] = {NULL}; /* per mode: the expected JSON per line, then the decoded text */
    static const char *keys[4] = {"ids_no_parse_special", "ids", "ids_special", "decoded"};
    for (char *line = cases ? strtok_r(cases, "\n", &save) : NULL; line && ft && fi; line = strtok_r(NULL, "\n", &save)) {
        json_doc doc;
        if (json_parse(line, strlen(line), &doc, NULL)) continue;
        const json_value *text = json_get(&doc.root, "text");
        char *s = NULL;
        json_write_string(&s, text->str, text->len);
        arrput(s, 0);
        fprintf(ft, "%s\n", s);
        arrfree(s);
        for (int k = 0; k < 4; k++) {
            const json_value *v = json_get(&doc.root, keys[k]);
            char *w = NULL;
            if (v->kind == JSON_STRING) json_write_string(&w, v->str, v->len);
            else buf_printf(&w, "[");
            for (uint32_t i = 0; v->kind == JSON_ARRAY && i < v->n; i++) buf_printf(&w, i ? ", %d" : "%d", (int)v->items[i].number);
            if (v->kind == JSON_ARRAY) buf_printf(&w, "]");
            arrput(w, 0);
            arrput(want[k], w);
            if (k == 1) fprintf(fi, "%s\n", w);
        }
        json_free(&doc);
        n++;
    }
    if (ft) fclose(ft);
    if (fi) fclose(fi);
    static const char *modes[4] = {"tokenize --jsonl", "tokenize --jsonl --special", "tokenize --jsonl --special --add-special", "detokenize --jsonl"};
    for (int k = 0; k < 4; k++) {
        snprintf(cmd, sizeof cmd, "%s %s --tokenizer %s < %s", CONFIG.minerva, modes[k], tok, k == 3 ? ids : texts);
        char *out = NULL, *save_out = NULL;
        CHECKF(run_command(cmd, &out, NULL) == 0 && out, "%s failed", modes[k]);
        int i = 0;
        for (char *line = out ? strtok_r(out, "\n", &save_out) : NULL; line && i < n; line = strtok_r(NULL, "\n", &save_out), i++)
            CHECKF(!strcmp(line, want[k][i]), "%s, line %d: %s, expected %s", modes[k], i + 1, line, want[k][i]);
        CHECKF(i == n, "%s: %d lines for %d", modes[k], i, n);
        free(out);
    }
    for (int k = 0; k < 4; k++) {
        for (ptrdiff_t i = 0; i < arrlen(want[k]); i++) arrfree(want[k][i]);
        arrfree(want[k]);
    }
    snprintf(t->note, sizeof t->note, "%d texts", n);
    free(cases);
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

/* A JSON value written back as text (numbers as %.17g). */
static void json_write_value(char **out, const json_value *v) {
    switch (v->kind) {
    case JSON_NULL: buf_printf(out, "null"); break;
    case JSON_FALSE: buf_printf(out, "false"); break;
    case JSON_TRUE: buf_printf(out, "true"); break;
    case JSON_NUMBER: buf_printf(out, "%.17g", v->number); break;
    case JSON_STRING: json_write_string(out, v->str, v->len); break;
    case JSON_ARRAY: case JSON_OBJECT:
        buf_printf(out, v->kind == JSON_ARRAY ? "[" : "{");
        for (uint32_t i = 0; i < v->n; i++) {
            if (i) buf_printf(out, ", ");
            if (v->kind == JSON_OBJECT) json_write_string(out, v->keys[i].str, v->keys[i].len), buf_printf(out, ": ");
            json_write_value(out, &v->items[i]);
        }
        buf_printf(out, v->kind == JSON_ARRAY ? "]" : "}");
    }
}

/* Chat templates through the conformance interface, `template --jsonl`:
   every case of kit/templates/cases_public.jsonl, and llama.cpp's cases
   that render the conversation as given, byte for byte. */
static void test_cli_template_jsonl(test_state *t) {
    char cases_path[1024], llama_path[1024], in[512], cmd[4096];
    if (!kit_path(cases_path, sizeof cases_path, "templates/cases_public.jsonl")) SKIP("no kit at ../shared/kit");
    kit_path(llama_path, sizeof llama_path, "tokenize/llamacpp_template_cases.json");
    tmp_path(in, sizeof in, "templates.jsonl");
    FILE *f = fopen(in, "w");
    char **expected = NULL, **names = NULL;
    char *cases = read_file(cases_path, NULL), *save = NULL;
    for (char *line = cases ? strtok_r(cases, "\n", &save) : NULL; f && line; line = strtok_r(NULL, "\n", &save)) {
        json_doc doc;
        if (json_parse(line, strlen(line), &doc, NULL)) continue;
        char *req = NULL, *want = NULL;
        buf_printf(&req, "{\"template\": ");
        json_write_value(&req, json_get(&doc.root, "template"));
        buf_printf(&req, ", \"context\": ");
        json_write_value(&req, json_get(&doc.root, "context"));
        buf_printf(&req, ", \"now\": ");
        json_write_value(&req, json_get(&doc.root, "strftime_now_fixed_date"));
        buf_printf(&req, "}\n");
        fwrite(req, 1, (size_t)arrlen(req), f);
        json_write_value(&want, json_get(&doc.root, "expected"));
        arrput(want, 0), arrput(expected, want);
        char *name = NULL;
        buf_printf(&name, "%s/%s", json_get(&doc.root, "template_name")->str, json_get(&doc.root, "case")->str);
        arrput(name, 0), arrput(names, name);
        arrfree(req);
        json_free(&doc);
    }
    free(cases);
    char *llama = read_file(llama_path, NULL);
    json_doc doc;
    if (llama && !json_parse(llama, strlen(llama), &doc, NULL)) {
        const json_value *conv = json_get(&doc.root, "conversation"), *list = json_get(&doc.root, "cases");
        for (uint32_t i = 0; f && list && i < list->n; i++) {
            const json_value *c = &list->items[i], *how = json_get(c, "python_jinja2_check"), *extra = json_get(c, "extra_conversation");
            if (!how || how->kind != JSON_STRING || strcmp(how->str, "matches with conversation as given")) continue;
            char *req = NULL, *want = NULL, *name = NULL;
            buf_printf(&req, "{\"template\": ");
            json_write_value(&req, json_get(c, "template"));
            buf_printf(&req, ", \"context\": {\"messages\": [");
            for (uint32_t k = 0; k < conv->n + extra->n; k++) {
                if (k) buf_printf(&req, ", ");
                json_write_value(&req, k < conv->n ? &conv->items[k] : &extra->items[k - conv->n]);
            }
            buf_printf(&req, "], \"add_generation_prompt\": true, \"bos_token\": ");
            json_write_value(&req, json_get(c, "bos_token"));
            buf_printf(&req, ", \"eos_token\": ");
            json_write_value(&req, json_get(c, "eos_token"));
            buf_printf(&req, "}, \"now\": \"2025-06-28\"}\n");
            fwrite(req, 1, (size_t)arrlen(req), f);
            json_write_value(&want, json_get(c, "expected_jinja_effective"));
            arrput(want, 0), arrput(expected, want);
            buf_printf(&name, "llama.cpp %s", json_get(c, "name")->str);
            arrput(name, 0), arrput(names, name);
            arrfree(req);
        }
        json_free(&doc);
    }
    free(llama);
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "%s template --jsonl < %s", CONFIG.minerva, in);
    char *out = NULL, *save_out = NULL;
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    int i = 0;
    for (char *line = out ? strtok_r(out, "\n", &save_out) : NULL; line && i < arrlen(expected); line = strtok_r(NULL, "\n", &save_out), i++)
        CHECKF(!strcmp(line, expected[i]), "%s: rendered %.300s\nexpected %.300s", names[i], line, expected[i]);
    CHECKF(i == arrlen(expected) && i >= 96 + 29, "%d renders for %d cases", i, (int)arrlen(expected));
    snprintf(t->note, sizeof t->note, "%d templates rendered byte for byte", i);
    for (ptrdiff_t k = 0; k < arrlen(expected); k++) arrfree(expected[k]), arrfree(names[k]);
    arrfree(expected), arrfree(names);
    free(out);
}

/* chat: a scripted conversation with the demo model and a ChatML template;
   and mv_chat_render's defaults and errors. */
static void test_cli_chat(test_state *t) {
    char model[512], tmpl_path[512], script[512], cmd[4096];
    mv_model *m = demo_model(t);
    if (!m) return;
    tmp_path(model, sizeof model, "demo_F32.gguf");
    tmp_path(tmpl_path, sizeof tmpl_path, "chatml.jinja");
    tmp_path(script, sizeof script, "chat_script.txt");
    static const char chatml[] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}"
                                 "{% endfor %}{% if add_generation_prompt %}{{ bos_token + '<|im_start|>assistant\\n' }}{% endif %}";
    FILE *f = fopen(tmpl_path, "w");
    if (f) fputs(chatml, f), fclose(f);
    f = fopen(script, "w");
    if (f) fputs("hello there\nand again\n/reset\n/system be brief\nonce more\n/quit\nnever read\n", f), fclose(f);
    snprintf(cmd, sizeof cmd, "%s chat -m %s --template %s -n 6 --temp 0 < %s", CONFIG.minerva, model, tmpl_path, script);
    char *out = NULL, *err = NULL;
    CHECKF(run_command(cmd, &out, &err) == 0 && err, "chat failed: %s", err ? err : "");
    CHECKF(err && count_lines_with(err, "reply 6 tokens") == 3 && strstr(err, "(conversation reset)"), "%s", err ? err : "");
    free(out), free(err);
    snprintf(cmd, sizeof cmd, "echo hi | %s chat -m %s", CONFIG.minerva, model);
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "no chat template"));
    free(err);
    /* the model's BOS text is bos_token unless the context says otherwise */
    char *text = NULL, e[MV_ERROR_SIZE];
    CHECK(mv_chat_render(m, "[{{ bos_token }}|{{ eos_token }}]", "{}", NULL, &text, e, sizeof e) == MV_OK && text && !strcmp(text, "[<s>|</s>]"));
    free(text);
    CHECK(mv_chat_render(m, "{{ bos_token }}", " { \"bos_token\": \"B\" } ", NULL, &text, e, sizeof e) == MV_OK && text && !strcmp(text, "B"));
    free(text);
    CHECK(mv_chat_render(NULL, "{{ strftime_now('%d %B %Y') }}", "{}", "2024-02-29", &text, e, sizeof e) == MV_OK && text && !strcmp(text, "29 February 2024"));
    free(text);
    CHECK(mv_chat_render(m, "a\n{{ x | nope }}", "{}", NULL, &text, e, sizeof e) == MV_ERR_FORMAT && strstr(e, "line 2") && !text);
    CHECK(mv_chat_render(m, "{{ raise_exception('Only user and assistant roles') }}", "{}", NULL, &text, e, sizeof e) != MV_OK &&
          strstr(e, "Only user and assistant roles"));
    CHECK(mv_chat_render(m, "x", "[1, 2]", NULL, &text, e, sizeof e) != MV_OK);
    CHECK(mv_chat_render(m, NULL, "{}", NULL, &text, e, sizeof e) == MV_ERR_ARG && strstr(e, "no chat template"));
    mv_model_free(m);
}

/* minerva run on GPT-OSS: the prompt goes through the harmony template as a
   user turn (the whole rendered conversation is evaluated) and the reply
   is read as harmony; --raw is a plain completion. */
static void test_cli_harmony_run(test_state *t) {
    char model[1024], tmpl[1024], cmd[4096];
    if (!kit_path(model, sizeof model, "gguf/tiny_oss.Q8_0.gguf")) SKIP("no kit at ../shared/kit");
    kit_path(tmpl, sizeof tmpl, "templates/llama.cpp-openai-gpt-oss-120b.jinja");
    snprintf(cmd, sizeof cmd, "%s run -m %s --template %s -p 'hello there' -n 8 --temp 0 --reasoning", CONFIG.minerva, model, tmpl);
    char *err = NULL;
    CHECKF(run_command(cmd, NULL, &err) == 0 && err && strstr(err, "reply 8 tokens"), "%s", err ? err : "");
    int n_prompt = 0;
    const char *at = err ? strstr(err, "[prompt ") : NULL;
    if (at) n_prompt = atoi(at + 8);
    free(err);
    /* the rendered prompt: the system message, the user's, the assistant's start */
    mv_model *m = NULL;
    char e[MV_ERROR_SIZE], *text = read_file(tmpl, NULL), *prompt = NULL;
    if (mv_model_load(model, NULL, &m, e, sizeof e) == MV_OK && text &&
        mv_chat_render(m, text, "{\"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}], \"add_generation_prompt\": true}", NULL,
                       &prompt, e, sizeof e) == MV_OK) {
        mv_token ids[1024];
        const int n = mv_tokenize(m, prompt, -1, ids, 1024, MV_TOKENIZE_PARSE_SPECIAL);
        CHECKF(n > 100 && n == n_prompt && strstr(prompt, "<|start|>user<|message|>hello there<|end|><|start|>assistant"),
               "%d tokens rendered, %d evaluated", n, n_prompt);
    } else {
        CHECKF(0, "%s", e);
    }
    free(prompt), free(text);
    mv_model_free(m);
    snprintf(cmd, sizeof cmd, "%s run -m %s --template %s -p hello -n 4 --temp 0 --raw", CONFIG.minerva, model, tmpl);
    CHECK(run_command(cmd, NULL, &err) == 0 && err && strstr(err, "generation:         4 tokens"));
    free(err);
}

static const test_case CLI_TESTS[] = {
    {"cli.run_golden", test_cli_run_golden, NULL},
    {"cli.logits", test_cli_logits, NULL},
    {"cli.tokenize", test_cli_tokenize, NULL},
    {"cli.tokenize_jsonl", test_cli_tokenize_jsonl, NULL},
    {"cli.template_jsonl", test_cli_template_jsonl, NULL},
    {"cli.chat", test_cli_chat, NULL},
    {"cli.harmony_run", test_cli_harmony_run, NULL},
    {"cli.info_and_errors", test_cli_info_and_errors, NULL},
    {"cli.quantize", test_cli_quantize, NULL},
};
