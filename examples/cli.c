/* minerva — the command: run, info, tokenize, detokenize, logits, bench,
   quantize, make-model.
   Build: ./build.sh (or cc -O2 -fopenmp examples/cli.c examples/bench.c -lm -o minerva).

   The command is built as one translation unit with the engine, as the
   amalgamation allows, so that its line-by-line conformance modes (--jsonl)
   read and write JSON with the engine's own reader and writer; everything
   else goes through the public API of minerva.h. */
#include "../minerva.c"

#include <sys/resource.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: minerva COMMAND [options]\n"
            "\n"
            "  run       -m MODEL [-p TEXT] [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P]\n"
            "            [--repeat-penalty R] [--repeat-last-n N] [--seed S] [-t THREADS] [-c CTX] [--kv f16|f32|q8_0]\n"
            "            harmony models (GPT-OSS): the prompt as a user turn, the final channel printed\n"
            "            ([--system TEXT] [--reasoning] [--template FILE]; --raw: plain completion)\n"
            "            --no-repack (run, chat, logits): compute on the weights as stored (faster load, slower products)\n"
            "  info      -m MODEL\n"
            "  tokenize  -m MODEL|--tokenizer FILE -p TEXT|--jsonl [--add-special] [--special]\n"
            "            FILE: a GGUF, a tokenizer.json or a tokenizer.model; --jsonl: a JSON string per line of stdin\n"
            "  detokenize --tokenizer FILE --jsonl   a JSON array of ids per line of stdin -> a JSON string per line\n"
            "  template  --jsonl   {\"template\": T, \"context\": {...}, \"now\": \"YYYY-MM-DD\"} per line -> the render per line\n"
            "  chat      -m MODEL [--template FILE] [--system TEXT] [--reasoning] [-n N] [-c CTX] [sampling as for run]\n"
            "            a conversation in the model's chat template; /reset, /system TEXT, /quit\n"
            "  logits    -m MODEL --tokens 1,2,3 -o OUT.f32 [--ubatch N] [--kv f16|f32|q8_0] [--threads N]\n"
            "  bench     -m MODEL [-p 512] [-n 128] [-d 0] [-t T] [-r 5] [-s all] [-o md|csv|json|svg]  (bench --help)\n"
            "  quantize  IN.gguf OUT.gguf TYPE [-t THREADS]   TYPE: Q4_K, Q8_0, IQ4_XS, ... (every weight),\n"
            "            or a llama.cpp mixture: Q4_K_M, Q3_K_S, Q5_K_M, Q2_K_S, MXFP4_MOE, mix-Q4_0, ...\n"
            "  make-model --shape demo|tinyllama-1.1b|llama-3b|llama-7b|mistral-7b|moe-demo|qwen3moe-30b-a3b|\n"
            "            gpt-oss-demo|gpt-oss-6l|gpt-oss-6l-dense|gpt-oss-20b|gpt-oss-120b [--arch ARCH] [--type TYPE]\n"
            "            [--vocab-from GGUF]\n"
            "            -o FILE [--seed S]   random weights; TYPE as for quantize (default F32)\n");
}

/* Options shared by the subcommands; each reads what it needs. */
typedef struct {
    const char *model, *prompt, *out, *tokens, *shape, *arch, *type, *kv, *vocab_from;
    const char *args[3]; /* positional arguments */
    int n_args, n_predict, n_predict_given, threads, ctx, ubatch, add_special, special, jsonl, reasoning, raw, no_repack;
    const char *system, *template_file, *tokenizer;
    mv_sampler_params sampling;
    unsigned long long seed;
    int seed_given;
} options;

static int parse_options(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->n_predict = 128;
    o->sampling = mv_sampler_default_params();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (v ? (i++, v) : (fprintf(stderr, "minerva: %s needs a value\n", a), exit(2), ""))
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) o->model = VALUE();
        else if (!strcmp(a, "--tokenizer")) o->tokenizer = VALUE();
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) o->prompt = VALUE();
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->out = VALUE();
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) o->n_predict = atoi(VALUE()), o->n_predict_given = 1;
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) o->threads = atoi(VALUE());
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx")) o->ctx = atoi(VALUE());
        else if (!strcmp(a, "--ubatch")) o->ubatch = atoi(VALUE());
        else if (!strcmp(a, "--tokens")) o->tokens = VALUE();
        else if (!strcmp(a, "--kv")) o->kv = VALUE();
        else if (!strcmp(a, "--shape")) o->shape = VALUE();
        else if (!strcmp(a, "--arch")) o->arch = VALUE();
        else if (!strcmp(a, "--type")) o->type = VALUE();
        else if (!strcmp(a, "--vocab-from")) o->vocab_from = VALUE();
        else if (!strcmp(a, "--seed")) o->seed = strtoull(VALUE(), NULL, 0), o->seed_given = 1;
        else if (!strcmp(a, "--temp")) o->sampling.temperature = (float)atof(VALUE());
        else if (!strcmp(a, "--top-k")) o->sampling.top_k = atoi(VALUE());
        else if (!strcmp(a, "--top-p")) o->sampling.top_p = (float)atof(VALUE());
        else if (!strcmp(a, "--min-p")) o->sampling.min_p = (float)atof(VALUE());
        else if (!strcmp(a, "--repeat-penalty")) o->sampling.repeat_penalty = (float)atof(VALUE());
        else if (!strcmp(a, "--repeat-last-n")) o->sampling.repeat_last_n = atoi(VALUE());
        else if (!strcmp(a, "--add-special")) o->add_special = 1;
        else if (!strcmp(a, "--special")) o->special = 1;
        else if (!strcmp(a, "--jsonl")) o->jsonl = 1;
        else if (!strcmp(a, "--reasoning")) o->reasoning = 1;
        else if (!strcmp(a, "--raw")) o->raw = 1;
        else if (!strcmp(a, "--no-repack")) o->no_repack = 1;
        else if (!strcmp(a, "--system")) o->system = VALUE();
        else if (!strcmp(a, "--template")) o->template_file = VALUE();
        else if (a[0] != '-' && o->n_args < 3) o->args[o->n_args++] = a;
        else {
            fprintf(stderr, "minerva: unknown option '%s'\n", a);
            return 2;
        }
#undef VALUE
    }
    if (o->seed_given) o->sampling.seed = o->seed;
    if (!o->model) o->model = o->tokenizer, o->tokenizer = NULL; /* a tokenizer file alone */
    return 0;
}

static int kv_type(const options *o, mv_type def, mv_type *out) {
    if (!o->kv) return *out = def, 0;
    int t = mv_type_from_name(o->kv);
    if (t != MV_TYPE_F32 && t != MV_TYPE_F16 && t != MV_TYPE_Q8_0) {
        fprintf(stderr, "minerva: --kv must be f16, f32 or q8_0\n");
        return 2;
    }
    *out = (mv_type)t;
    return 0;
}

static mv_model *load(const options *o, int vocab_only) {
    char err[256];
    mv_model *m;
    mv_model_params p = mv_model_default_params();
    const char *path = o->model;
    p.vocab_only = vocab_only;
    p.tokenizer = o->tokenizer;
    p.no_repack = o->no_repack;
    if (!path) {
        fprintf(stderr, "minerva: no model given (-m)\n");
        return NULL;
    }
    if (mv_model_load(path, &p, &m, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        return NULL;
    }
    return m;
}

static int print_piece(const char *text, int len, mv_token token, void *user) {
    (void)token, (void)user;
    fwrite(text, 1, (size_t)len, stdout);
    fflush(stdout);
    return 0;
}

static char *read_text_file(const char *path);
static int run_harmony(const options *o, mv_model *m, mv_context *ctx, mv_sampler *s, const char *tmpl);

/* Peak resident memory against the weights; for a mixture of experts, the
   experts the run used and the weight bytes that makes it read (the token
   embedding aside: a row a token). */
static void print_memory(const mv_model *m, const mv_context *ctx) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double mib = 1048576.0, weights = (double)mv_model_weight_bytes(m);
    fprintf(stderr, "peak resident: %8.1f MiB (weights %.1f MiB)\n", ru.ru_maxrss / 1024.0, weights / mib);
    const int n_expert = mv_expert_counts(ctx, 0, NULL), n_layer = mv_model_n_layer(m);
    if (n_expert <= 0) return;
    double expert_bytes = 0, embedding = 0;
    mv_tensor_info t;
    for (int i = 0; i < mv_model_n_tensors(m); i++) {
        if (mv_model_tensor(m, i, &t) != MV_OK) continue;
        if (t.n_dims == 3 && t.ne[2] == n_expert) expert_bytes += (double)t.nbytes;
        if (!strcmp(t.name, "token_embd.weight") || !strcmp(t.name, "model.embed_tokens.weight")) embedding = (double)t.nbytes;
    }
    uint64_t *counts = malloc((size_t)n_expert * sizeof *counts);
    int used = 0;
    for (int l = 0; counts && l < n_layer; l++) {
        mv_expert_counts(ctx, l, counts);
        for (int e = 0; e < n_expert; e++) used += counts[e] > 0;
    }
    free(counts);
    const double touched = weights - embedding - expert_bytes + expert_bytes * used / ((double)n_layer * n_expert);
    fprintf(stderr, "experts:       %d of %d (layers × experts) used; weights read %.1f MiB\n", used, n_layer * n_expert, touched / mib);
}

static int cmd_run(const options *o) {
    const double t0 = now();
    mv_model *m = load(o, 0);
    if (!m) return 1;
    const double load_seconds = now() - t0;
    mv_context_params cp = mv_context_default_params();
    cp.n_threads = o->threads;
    cp.n_ctx = o->ctx;
    char err[256];
    mv_context *ctx = NULL;
    mv_sampler *s = mv_sampler_create(&o->sampling);
    int rc = kv_type(o, MV_TYPE_F16, &cp.kv_type);
    if (!rc && mv_context_create(m, &cp, &ctx, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        rc = 1;
    }
    /* GPT-OSS answers in harmony: its prompt goes through the chat template, and the final channel is printed */
    char *file_template = o->template_file ? read_text_file(o->template_file) : NULL;
    const char *tmpl = file_template ? file_template : mv_chat_template(m);
    if (!rc && !o->raw && tmpl && strstr(tmpl, "<|channel|>")) {
        rc = run_harmony(o, m, ctx, s, tmpl);
        free(file_template);
        mv_sampler_free(s);
        mv_context_free(ctx);
        mv_model_free(m);
        return rc;
    }
    free(file_template);
    mv_generate_stats st;
    if (!rc && mv_generate(ctx, s, o->prompt ? o->prompt : "", o->n_predict, print_piece, NULL, &st) != MV_OK) {
        fprintf(stderr, "\nminerva: %s\n", mv_context_error(ctx));
        rc = 1;
    }
    if (!rc) {
        printf("\n");
        fprintf(stderr, "\nload:        %8.3f s\n", load_seconds);
        fprintf(stderr, "prompt:      %8d tokens %8.3f s %10.2f t/s\n", st.n_prompt, st.prompt_seconds,
                st.prompt_seconds > 0 ? st.n_prompt / st.prompt_seconds : 0);
        fprintf(stderr, "generation:  %8d tokens %8.3f s %10.2f t/s\n", st.n_generated, st.generate_seconds,
                st.generate_seconds > 0 ? st.n_generated / st.generate_seconds : 0);
        fprintf(stderr, "first token: %8.3f s\n", st.first_token_seconds);
        print_memory(m, ctx);
    }
    mv_sampler_free(s);
    mv_context_free(ctx);
    mv_model_free(m);
    return rc;
}

static int cmd_info(const options *o) {
    mv_model *m = load(o, 1);
    if (!m) return 1;
    char value[256];
    printf("file:          %s\n", o->model);
    printf("format:        %s\n", mv_model_format(m));
    printf("architecture:  %s\n", mv_model_arch(m));
    printf("tensors:       %d, %.3f M parameters, %.2f MiB\n", mv_model_n_tensors(m), mv_model_n_params(m) / 1e6,
           mv_model_weight_bytes(m) / 1048576.0);
    printf("kernels:       %s\n", mv_model_kernels(m));
    char err[256];
    mv_model *full;
    mv_model_params p = mv_model_default_params();
    p.no_repack = 1; /* only checked, never computed with */
    if (mv_model_load(o->model, &p, &full, err, sizeof err) == MV_OK) {
        printf("supported:     yes (%d layers, embedding %d, vocabulary %d, context %d)\n", mv_model_n_layer(full),
               mv_model_n_embd(full), mv_model_n_vocab(full), mv_model_n_ctx_train(full));
        mv_model_free(full);
    } else {
        printf("supported:     no: %s\n", err);
    }
    printf("\nmetadata (%d keys):\n", mv_model_meta_count(m));
    for (int i = 0; i < mv_model_meta_count(m); i++) {
        const char *key = mv_model_meta_key(m, i);
        mv_model_meta_value(m, key, value, sizeof value);
        printf("  %-40s %s\n", key, value);
    }
    printf("\ntensors:\n");
    for (int i = 0; i < mv_model_n_tensors(m); i++) {
        mv_tensor_info t;
        mv_model_tensor(m, i, &t);
        char shape[96];
        int n = snprintf(shape, sizeof shape, "[%lld", (long long)t.ne[0]);
        for (int d = 1; d < t.n_dims; d++) n += snprintf(shape + n, sizeof shape - (size_t)n, ", %lld", (long long)t.ne[d]);
        snprintf(shape + n, sizeof shape - (size_t)n, "]");
        printf("  %-40s %-7s %-24s %12llu bytes\n", t.name, mv_type_name(t.type), shape, (unsigned long long)t.nbytes);
    }
    mv_model_free(m);
    return 0;
}

static void print_ids(const mv_token *ids, int n) {
    printf("[");
    for (int i = 0; i < n; i++) printf(i ? ", %d" : "%d", ids[i]);
    printf("]\n");
}

/* The ids of len bytes of text (stb_ds), or a negative MV_ERR_*. */
static int tokenize_text(mv_model *m, const char *text, size_t len, int flags, mv_token **ids) {
    const int n = mv_tokenize(m, text, (int)len, NULL, 0, flags);
    if (n > 0) mv_tokenize(m, text, (int)len, arraddnptr(*ids, n), n, flags);
    return n;
}

/* One JSON line out: a value written by the engine's writer, or {"error": message}. */
static void print_json_line(const char *s, size_t len, bool error) {
    char *out = NULL, *valid = NULL;
    utf8_take_complete(s, len, true, &valid); /* JSON is UTF-8: stray bytes become U+FFFD */
    if (error) buf_append(&out, "{\"error\": ", 10);
    json_write_string(&out, valid ? valid : "", (size_t)arrlen(valid));
    buf_append(&out, error ? "}\n" : "\n", error ? 2 : 1);
    fwrite(out, 1, (size_t)arrlen(out), stdout);
    arrfree(out);
    arrfree(valid);
}

/* tokenize: -p TEXT, or --jsonl: a JSON string per line of stdin, a JSON array of ids per line out. */
static int cmd_tokenize(const options *o) {
    if (!o->prompt && !o->jsonl) {
        fprintf(stderr, "minerva: tokenize needs -p TEXT or --jsonl\n");
        return 2;
    }
    mv_model *m = load(o, 1);
    if (!m) return 1;
    const int flags = (o->add_special ? MV_TOKENIZE_ADD_SPECIAL : 0) | (o->special ? MV_TOKENIZE_PARSE_SPECIAL : 0);
    mv_token *ids = NULL;
    int rc = 0;
    if (!o->jsonl) {
        const int n = tokenize_text(m, o->prompt, strlen(o->prompt), flags, &ids);
        if (n < 0) fprintf(stderr, "minerva: tokenize failed: %s\n", mv_status_string(n)), rc = 1;
        else print_ids(ids, n);
    }
    char *line = NULL, err[MV_ERROR_SIZE];
    size_t cap = 0;
    for (ssize_t len; o->jsonl && (len = getline(&line, &cap, stdin)) >= 0;) {
        json_doc doc;
        arrsetlen(ids, 0);
        if (json_parse(line, (size_t)len, &doc, err) != MV_OK) print_json_line(err, strlen(err), true);
        else if (doc.root.kind != JSON_STRING) print_json_line("a line must be a JSON string", 28, true);
        else if (tokenize_text(m, doc.root.str, doc.root.len, flags, &ids) < 0) print_json_line("tokenize failed", 15, true);
        else print_ids(ids, (int)arrlen(ids));
        json_free(&doc);
        fflush(stdout);
    }
    free(line);
    arrfree(ids);
    mv_model_free(m);
    return rc;
}

/* detokenize --jsonl: a JSON array of ids per line of stdin, the text as a
   JSON string per line out (special tokens kept, no clean-up of spaces). */
static int cmd_detokenize(const options *o) {
    if (!o->jsonl) {
        fprintf(stderr, "minerva: detokenize needs --jsonl\n");
        return 2;
    }
    mv_model *m = load(o, 1);
    if (!m) return 1;
    char *line = NULL, err[MV_ERROR_SIZE];
    size_t cap = 0;
    mv_token *ids = NULL;
    for (ssize_t len; (len = getline(&line, &cap, stdin)) >= 0;) {
        json_doc doc;
        arrsetlen(ids, 0);
        bool ok = json_parse(line, (size_t)len, &doc, err) == MV_OK;
        if (ok && doc.root.kind != JSON_ARRAY) ok = false, snprintf(err, sizeof err, "a line must be a JSON array of token ids");
        for (uint32_t i = 0; ok && i < doc.root.n; i++) {
            const json_value *id = &doc.root.items[i];
            ok = id->kind == JSON_NUMBER && id->number >= 0 && id->number < mv_model_n_vocab(m) && id->number == floor(id->number);
            if (ok) arrput(ids, (mv_token)id->number);
            else snprintf(err, sizeof err, "item %u is not a token id of this vocabulary", i);
        }
        if (ok) {
            const int n = mv_detokenize(m, ids, (int)arrlen(ids), NULL, 0, 1);
            char *text = malloc((size_t)MV_MAX(n, 0) + 1);
            if (text && n >= 0) mv_detokenize(m, ids, (int)arrlen(ids), text, n + 1, 1);
            print_json_line(text ? text : "", text && n > 0 ? (size_t)n : 0, false);
            free(text);
        } else {
            print_json_line(err, strlen(err), true);
        }
        json_free(&doc);
        fflush(stdout);
    }
    free(line);
    arrfree(ids);
    mv_model_free(m);
    return 0;
}

/* "1,5,17" -> ids */
static int parse_ids(const char *s, mv_token **ids) {
    int n = 0, cap = 16;
    *ids = malloc((size_t)cap * sizeof **ids);
    while (*ids && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 0x7FFFFFFF) {
            free(*ids);
            *ids = NULL;
            return -1;
        }
        if (n == cap) *ids = realloc(*ids, (size_t)(cap *= 2) * sizeof **ids);
        if (*ids) (*ids)[n++] = (mv_token)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') break;
    }
    return *ids && !*s ? n : -1;
}

static int cmd_logits(const options *o) {
    mv_token *ids = NULL;
    int n = o->tokens ? parse_ids(o->tokens, &ids) : -1;
    if (n <= 0 || !o->out) {
        fprintf(stderr, "minerva: logits needs --tokens 1,2,3 and -o OUT.f32\n");
        free(ids);
        return 2;
    }
    mv_model *m = load(o, 0);
    if (!m) {
        free(ids);
        return 1;
    }
    mv_context_params cp = mv_context_default_params();
    cp.n_ctx = n;
    cp.n_batch = o->ubatch > 0 ? o->ubatch : n;
    cp.n_threads = o->threads;
    char err[256];
    mv_context *ctx = NULL;
    int rc = kv_type(o, MV_TYPE_F32, &cp.kv_type);
    if (!rc && mv_context_create(m, &cp, &ctx, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        rc = 1;
    }
    int8_t *want = malloc((size_t)n);
    if (want) memset(want, 1, (size_t)n);
    if (!rc && mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids, .logits = want}) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", mv_context_error(ctx));
        rc = 1;
    }
    if (!rc) {
        FILE *f = fopen(o->out, "wb");
        const size_t n_vocab = (size_t)mv_model_n_vocab(m);
        for (int i = 0; f && i < n; i++)
            if (fwrite(mv_get_logits(ctx, i), sizeof(float), n_vocab, f) != n_vocab) break;
        if (!f || fclose(f) != 0) {
            fprintf(stderr, "minerva: cannot write %s\n", o->out);
            rc = 1;
        }
    }
    free(want);
    free(ids);
    mv_context_free(ctx);
    mv_model_free(m);
    return rc;
}

static int cmd_make_model(const options *o) {
    mv_make_model_params p = mv_make_model_default_params();
    if (o->shape) p.shape = o->shape;
    if (o->arch) p.arch = o->arch;
    if (o->seed_given) p.seed = o->seed;
    p.n_threads = o->threads;
    if (o->type) p.type = o->type;
    p.vocab_from = o->vocab_from;
    if (!o->out) {
        fprintf(stderr, "minerva: make-model needs -o FILE\n");
        return 2;
    }
    char err[256];
    const double t0 = now();
    if (mv_make_model(&p, o->out, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        return 1;
    }
    fprintf(stderr, "wrote %s: %s %s, random weights, %.1f s\n", o->out, p.shape, p.type, now() - t0);
    return 0;
}

static int cmd_quantize(const options *o) {
    if (o->n_args != 3) {
        fprintf(stderr, "minerva: quantize needs IN.gguf OUT.gguf TYPE\n");
        return 2;
    }
    char err[256];
    const double t0 = now();
    if (mv_quantize(o->args[0], o->args[1], o->args[2], o->threads, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        return 1;
    }
    struct stat out;
    if (stat(o->args[1], &out) == 0) fprintf(stderr, "wrote %s (%s): %.1f MiB, %.1f s\n", o->args[1], o->args[2], out.st_size / 1048576.0, now() - t0);
    return 0;
}

/* template --jsonl: {"template", "context", "now"} per line of stdin, the render (a JSON string) or {"error"} per line out. */
static int cmd_template(const options *o) {
    if (!o->jsonl) {
        fprintf(stderr, "minerva: template needs --jsonl\n");
        return 2;
    }
    char *line = NULL, err[MV_ERROR_SIZE];
    size_t cap = 0;
    for (ssize_t len; (len = getline(&line, &cap, stdin)) >= 0;) {
        json_doc doc;
        char *out = NULL;
        size_t out_len = 0;
        int rc = json_parse(line, (size_t)len, &doc, err);
        const json_value *tmpl = rc ? NULL : json_get(&doc.root, "template"), *now = rc ? NULL : json_get(&doc.root, "now");
        const json_value *context = rc ? NULL : json_get(&doc.root, "context");
        if (!rc && (!tmpl || tmpl->kind != JSON_STRING || (now && now->kind != JSON_STRING && now->kind != JSON_NULL)))
            rc = MV_ERR_ARG, snprintf(err, sizeof err, "a line needs \"template\" (a string), \"context\" and optionally \"now\"");
        if (!rc) {
            const json_value empty = {.kind = JSON_OBJECT};
            rc = template_render(tmpl->str, tmpl->len, context ? context : &empty, now && now->kind == JSON_STRING ? now->str : NULL, &out,
                                 &out_len, err);
        }
        if (rc) print_json_line(err, strlen(err), true);
        else print_json_line(out, out_len, false);
        free(out);
        json_free(&doc);
        fflush(stdout);
    }
    free(line);
    return 0;
}

/* A whole file as a NUL-terminated string, or NULL (errno says why). */
static char *read_text_file(const char *path) {
    file_map map;
    if (map_file(path, &map, NULL)) return NULL;
    char *text = strndup((const char *)map.data, map.size);
    unmap_file(&map);
    return text;
}

/* The text of a token as the chat reads it: special tokens too (the harmony reader needs them). */
static void token_text(const mv_model *m, mv_token t, int special, char **out) {
    char buf[256];
    const int n = mv_token_to_piece(m, t, buf, sizeof buf, special);
    if (n > (int)sizeof buf) mv_token_to_piece(m, t, arraddnptr(*out, n), n, special);
    else if (n > 0) buf_append(out, buf, (size_t)n);
}

typedef struct {
    mv_model *m;
    const char *tmpl;   /* the chat template */
    mv_context *ctx;
    mv_sampler *sampler;
    mv_token *cached;   /* stb_ds: the tokens in the KV cache */
    bool harmony;       /* GPT-OSS: replies in the harmony format */
    bool reasoning;     /* show the analysis channel */
} chat_session;

/* Brings the cache to the prompt's tokens (keeping the prefix it shares
   with them) and evaluates the rest; the last token's logits are then ready.
   Returns how many tokens it evaluated, or -1. */
static int chat_feed_prompt(chat_session *c, const mv_token *ids, int n) {
    int keep = 0;
    while (keep < arrlen(c->cached) && keep < n && c->cached[keep] == ids[keep]) keep++;
    if (keep == n) keep = n - 1; /* the last prompt token is evaluated again, for its logits */
    /* a sliding-window cache may not go back that far: start over */
    if (mv_kv_truncate(c->ctx, 0, keep) != MV_OK) keep = 0, mv_kv_truncate(c->ctx, 0, 0);
    arrsetlen(c->cached, keep);
    const int batch = 256;
    for (int i = keep; i < n; i += batch) {
        const mv_batch b = {.n_tokens = MV_MIN(batch, n - i), .tokens = ids + i};
        if (mv_decode(c->ctx, &b) != MV_OK) return -1;
        for (int k = 0; k < b.n_tokens; k++) arrput(c->cached, ids[i + k]);
    }
    return n - keep;
}

/* Samples and streams one reply; its text (the final channel for harmony) goes to *reply. */
static int chat_reply(chat_session *c, int max_tokens, char **reply, int *n_generated) {
    mv_harmony *h = c->harmony ? mv_harmony_create("assistant") : NULL;
    char *pending = NULL, *text = NULL;
    int printed_message = -1;
    size_t printed = 0;
    *n_generated = 0;
    for (int i = 0; i < max_tokens; i++) {
        const mv_token t = mv_sampler_sample(c->sampler, mv_get_logits(c->ctx, -1), mv_model_n_vocab(c->m));
        mv_sampler_accept(c->sampler, t);
        arrsetlen(text, 0);
        token_text(c->m, t, c->harmony, &text);
        const bool special = c->harmony && mv_token_to_piece(c->m, t, NULL, 0, 0) == 0 && arrlen(text) > 0;
        const bool stop = c->harmony ? special && arrlen(text) && (!strncmp(text, "<|return|>", 10) || !strncmp(text, "<|call|>", 8))
                                     : mv_token_is_end(c->m, t);
        if (stop) break;
        (*n_generated)++;
        if (h) {
            mv_harmony_feed_token(h, text, (int)arrlen(text), special);
            /* show the final channel (and the analysis, if asked) as it grows */
            for (int k = MV_MAX(printed_message, 0); k < mv_harmony_count(h); k++) {
                mv_harmony_message msg;
                mv_harmony_get(h, k, &msg);
                const bool final = msg.channel && !strcmp(msg.channel, "final");
                if (!final && !c->reasoning) continue;
                if (k != printed_message) {
                    if (!final) printf("\x1b[2m[%s] ", msg.channel ? msg.channel : "");
                    printed_message = k, printed = 0;
                }
                const size_t len = strlen(msg.content);
                fwrite(msg.content + printed, 1, len - printed, stdout);
                printed = len;
                if (msg.complete && !final) printf("\x1b[0m\n");
            }
        } else {
            buf_append(&pending, text, (size_t)arrlen(text));
            char *ready = NULL;
            const size_t used = utf8_take_complete(pending, (size_t)arrlen(pending), false, &ready);
            fwrite(ready, 1, (size_t)arrlen(ready), stdout);
            buf_append(reply, ready, (size_t)arrlen(ready));
            memmove(pending, pending + used, (size_t)arrlen(pending) - used);
            arrsetlen(pending, arrlen(pending) - (ptrdiff_t)used);
            arrfree(ready);
        }
        fflush(stdout);
        if (mv_decode(c->ctx, &(mv_batch){.n_tokens = 1, .tokens = &t}) != MV_OK) break;
        arrput(c->cached, t);
    }
    if (h) {
        mv_harmony_finish(h);
        for (int k = 0; k < mv_harmony_count(h); k++) {
            mv_harmony_message msg;
            mv_harmony_get(h, k, &msg);
            if (msg.channel && !strcmp(msg.channel, "final")) buf_append(reply, msg.content, strlen(msg.content));
        }
        mv_harmony_free(h);
    }
    arrfree(pending);
    arrfree(text);
    printf("\n");
    return 0;
}

/* Appends {"role": role, "content": content} to a JSON array's items. */
static void add_message(char **messages, const char *role, const char *content, size_t len) {
    if (arrlen(*messages)) buf_append(messages, ", ", 2);
    buf_printf(messages, "{\"role\": \"%s\", \"content\": ", role);
    json_write_string(messages, content, len);
    buf_append(messages, "}", 1);
}

/* One turn: the user's text joins the messages, the conversation is
   rendered in the template, evaluated (from what the cache shares with it)
   and answered; the reply joins the messages. Returns 0, or -1 (said why;
   the messages are then cleared). */
static int chat_turn(chat_session *c, const char *system, char **messages, const char *text, size_t len, int n_predict) {
    char err[MV_ERROR_SIZE], *context = NULL, *prompt = NULL, *reply = NULL, *all = NULL;
    add_message(messages, "user", text, len);
    if (system) add_message(&all, "system", system, strlen(system));
    if (system) buf_append(&all, ", ", 2);
    buf_append(&all, *messages, (size_t)arrlen(*messages));
    buf_append(&context, "{\"messages\": [", 14);
    buf_append(&context, all, (size_t)arrlen(all));
    arrfree(all);
    buf_append(&context, "], \"add_generation_prompt\": true}", 34);
    arrput(context, 0);
    if (mv_chat_render(c->m, c->tmpl, context, NULL, &prompt, err, sizeof err) != MV_OK) {
        fprintf(stderr, "minerva: %s\n", err);
        arrsetlen(*messages, 0);
        arrfree(context);
        return -1;
    }
    /* the rendered prompt names its special tokens as text; BOS only if the template left it out */
    const mv_token bos = mv_token_bos(c->m);
    char bos_text[64] = "";
    if (bos >= 0) mv_token_to_piece(c->m, bos, bos_text, sizeof bos_text - 1, 1);
    const int flags = MV_TOKENIZE_PARSE_SPECIAL | (*bos_text && !strncmp(prompt, bos_text, strlen(bos_text)) ? 0 : MV_TOKENIZE_ADD_SPECIAL);
    mv_token *ids = NULL;
    const int n = tokenize_text(c->m, prompt, strlen(prompt), flags, &ids);
    const double t0 = now();
    const int evaluated = n > 0 ? chat_feed_prompt(c, ids, n) : -1;
    if (evaluated < 0) {
        fprintf(stderr, "minerva: %s; /reset starts over\n", n > 0 ? mv_context_error(c->ctx) : "the prompt did not tokenize");
        arrsetlen(*messages, 0);
    } else {
        const double t1 = now();
        int n_generated = 0;
        chat_reply(c, n_predict, &reply, &n_generated);
        const double t2 = now();
        add_message(messages, "assistant", reply ? reply : "", (size_t)arrlen(reply));
        fprintf(stderr, "[prompt %d tokens, %.1f t/s; reply %d tokens, %.1f t/s]\n", evaluated, t1 > t0 ? evaluated / (t1 - t0) : 0,
                n_generated, t2 > t1 ? n_generated / (t2 - t1) : 0);
    }
    free(prompt);
    arrfree(context);
    arrfree(reply);
    arrfree(ids);
    return evaluated < 0 ? -1 : 0;
}

/* run on a model whose chat template speaks harmony (GPT-OSS): the prompt
   as one user turn, the reply's final channel printed (--reasoning: the
   analysis too). */
static int run_harmony(const options *o, mv_model *m, mv_context *ctx, mv_sampler *s, const char *tmpl) {
    chat_session c = {.m = m, .tmpl = tmpl, .ctx = ctx, .sampler = s, .harmony = true, .reasoning = o->reasoning};
    char *messages = NULL;
    const char *prompt = o->prompt ? o->prompt : "";
    const int rc = chat_turn(&c, o->system, &messages, prompt, strlen(prompt), o->n_predict);
    if (!rc) print_memory(m, ctx);
    arrfree(messages);
    arrfree(c.cached);
    return rc ? 1 : 0;
}

/* chat: a conversation in the model's chat template, one reply per line typed. */
static int cmd_chat(const options *o) {
    mv_model *m = load(o, 0);
    if (!m) return 1;
    char *file_template = o->template_file ? read_text_file(o->template_file) : NULL;
    const char *tmpl = file_template ? file_template : mv_chat_template(m);
    if (!tmpl) {
        fprintf(stderr, "minerva: %s\n", o->template_file ? strerror(errno) : "the model has no chat template (give one with --template FILE)");
        mv_model_free(m);
        return 1;
    }
    mv_context_params cp = mv_context_default_params();
    cp.n_threads = o->threads, cp.n_ctx = o->ctx;
    char err[MV_ERROR_SIZE];
    chat_session c = {.m = m, .tmpl = tmpl, .sampler = mv_sampler_create(&o->sampling), .reasoning = o->reasoning};
    c.harmony = strstr(tmpl, "<|channel|>") != NULL;
    int rc = kv_type(o, MV_TYPE_F16, &cp.kv_type);
    if (!rc && mv_context_create(m, &cp, &c.ctx, err, sizeof err) != MV_OK) fprintf(stderr, "minerva: %s\n", err), rc = 1;
    char *system = o->system ? strdup(o->system) : NULL, *messages = NULL, *line = NULL;
    size_t cap = 0;
    if (!rc) fprintf(stderr, "chat: type a message; /reset starts over, /system TEXT sets the system prompt, /quit (or Ctrl-D) ends\n");
    for (ssize_t len; !rc && (fprintf(stderr, "> "), len = getline(&line, &cap, stdin)) >= 0;) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (!strcmp(line, "/quit")) break;
        if (!strcmp(line, "/reset") || !strncmp(line, "/system ", 8)) {
            if (line[1] == 's') free(system), system = strdup(line + 8);
            arrsetlen(messages, 0);
            fprintf(stderr, "(conversation reset)\n");
            continue;
        }
        if (!len) continue;
        chat_turn(&c, system, &messages, line, (size_t)len, o->n_predict_given ? o->n_predict : 1 << 30);
    }
    fprintf(stderr, "\n");
    free(line);
    free(system);
    free(file_template);
    arrfree(messages);
    arrfree(c.cached);
    mv_sampler_free(c.sampler);
    mv_context_free(c.ctx);
    mv_model_free(m);
    return rc;
}

int cmd_bench(int argc, char **argv); /* examples/bench.c: argv as main got it */

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc, argv);
    options o;
    if (parse_options(argc - 2, argv + 2, &o)) return 2;
    const char *cmd = argv[1];
    if (o.n_args && strcmp(cmd, "quantize")) {
        fprintf(stderr, "minerva: unexpected argument '%s'\n", o.args[0]);
        return 2;
    }
    if (!strcmp(cmd, "run")) return cmd_run(&o);
    if (!strcmp(cmd, "info")) return cmd_info(&o);
    if (!strcmp(cmd, "tokenize")) return cmd_tokenize(&o);
    if (!strcmp(cmd, "detokenize")) return cmd_detokenize(&o);
    if (!strcmp(cmd, "template")) return cmd_template(&o);
    if (!strcmp(cmd, "chat")) return cmd_chat(&o);
    if (!strcmp(cmd, "logits")) return cmd_logits(&o);
    if (!strcmp(cmd, "quantize")) return cmd_quantize(&o);
    if (!strcmp(cmd, "make-model")) return cmd_make_model(&o);
    fprintf(stderr, "minerva: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
