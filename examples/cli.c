/* minerva — the command: run, info, tokenize, logits, bench, quantize, make-model.
   Build: ./build.sh (or cc -O2 -fopenmp examples/cli.c minerva.c -lm -o minerva). */
#include "../minerva.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
            "            [--repeat-penalty R] [--repeat-last-n N] [--seed S] [-t THREADS] [-c CTX] [--kv f16|f32]\n"
            "  info      -m MODEL\n"
            "  tokenize  -m MODEL|--tokenizer FILE -p TEXT [--add-special] [--special]\n"
            "  logits    -m MODEL --tokens 1,2,3 -o OUT.f32 [--ubatch N] [--kv f16|f32] [--threads N]\n"
            "  bench     -m MODEL [-p 512] [-n 128] [-d 0] [-t T] [-r 5] [-s all] [-o md|csv|json|svg]  (bench --help)\n"
            "  quantize  IN.gguf OUT.gguf TYPE [-t THREADS]   TYPE: Q4_K, Q8_0, IQ4_XS, ... (every weight),\n"
            "            or a llama.cpp mixture: Q4_K_M, Q3_K_S, Q5_K_M, Q2_K_S, MXFP4_MOE, mix-Q4_0, ...\n"
            "  make-model --shape demo|tinyllama-1.1b|llama-7b|mistral-7b [--arch llama] [--type TYPE] [--vocab-from GGUF]\n"
            "            -o FILE [--seed S]   random weights; TYPE as for quantize (default F32)\n");
}

/* Options shared by the subcommands; each reads what it needs. */
typedef struct {
    const char *model, *prompt, *out, *tokens, *shape, *arch, *type, *kv, *vocab_from;
    const char *args[3]; /* positional arguments */
    int n_args, n_predict, threads, ctx, ubatch, add_special, special;
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
        if (!strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "--tokenizer")) o->model = VALUE();
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) o->prompt = VALUE();
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->out = VALUE();
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) o->n_predict = atoi(VALUE());
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
        else if (a[0] != '-' && o->n_args < 3) o->args[o->n_args++] = a;
        else {
            fprintf(stderr, "minerva: unknown option '%s'\n", a);
            return 2;
        }
#undef VALUE
    }
    if (o->seed_given) o->sampling.seed = o->seed;
    return 0;
}

static int kv_type(const options *o, mv_type def, mv_type *out) {
    if (!o->kv) return *out = def, 0;
    int t = mv_type_from_name(o->kv);
    if (t != MV_TYPE_F32 && t != MV_TYPE_F16) {
        fprintf(stderr, "minerva: --kv must be f16 or f32\n");
        return 2;
    }
    *out = (mv_type)t;
    return 0;
}

static mv_model *load(const char *path, int vocab_only) {
    char err[256];
    mv_model *m;
    mv_model_params p = mv_model_default_params();
    p.vocab_only = vocab_only;
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

static int cmd_run(const options *o) {
    const double t0 = now();
    mv_model *m = load(o->model, 0);
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
    }
    mv_sampler_free(s);
    mv_context_free(ctx);
    mv_model_free(m);
    return rc;
}

static int cmd_info(const options *o) {
    mv_model *m = load(o->model, 1);
    if (!m) return 1;
    char value[256];
    printf("file:          %s\n", o->model);
    printf("architecture:  %s\n", mv_model_arch(m));
    printf("tensors:       %d, %.3f M parameters, %.2f MiB\n", mv_model_n_tensors(m), mv_model_n_params(m) / 1e6,
           mv_model_weight_bytes(m) / 1048576.0);
    printf("kernels:       %s\n", mv_model_kernels(m));
    char err[256];
    mv_model *full;
    if (mv_model_load(o->model, NULL, &full, err, sizeof err) == MV_OK) {
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

static int cmd_tokenize(const options *o) {
    if (!o->prompt) {
        fprintf(stderr, "minerva: tokenize needs -p TEXT\n");
        return 2;
    }
    mv_model *m = load(o->model, 1);
    if (!m) return 1;
    int flags = (o->add_special ? MV_TOKENIZE_ADD_SPECIAL : 0) | (o->special ? MV_TOKENIZE_PARSE_SPECIAL : 0);
    int n = mv_tokenize(m, o->prompt, -1, NULL, 0, flags);
    mv_token *ids = n > 0 ? malloc((size_t)n * sizeof *ids) : NULL;
    if (n > 0) mv_tokenize(m, o->prompt, -1, ids, n, flags);
    if (n < 0) fprintf(stderr, "minerva: tokenize failed: %s\n", mv_status_string(n));
    else {
        printf("[");
        for (int i = 0; i < n; i++) printf(i ? ", %d" : "%d", ids[i]);
        printf("]\n");
    }
    free(ids);
    mv_model_free(m);
    return n < 0;
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
    mv_model *m = load(o->model, 0);
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
    struct stat in, out;
    if (stat(o->args[0], &in) == 0 && stat(o->args[1], &out) == 0)
        fprintf(stderr, "wrote %s (%s): %.1f MiB -> %.1f MiB, %.1f s\n", o->args[1], o->args[2], in.st_size / 1048576.0,
                out.st_size / 1048576.0, now() - t0);
    return 0;
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
    if (!strcmp(cmd, "logits")) return cmd_logits(&o);
    if (!strcmp(cmd, "quantize")) return cmd_quantize(&o);
    if (!strcmp(cmd, "make-model")) return cmd_make_model(&o);
    fprintf(stderr, "minerva: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
