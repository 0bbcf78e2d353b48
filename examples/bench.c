/* minerva bench — how fast a model runs here, in the numbers llama-bench users read.

   pp tests evaluate a batch of p random tokens in one mv_decode; tg tests
   decode n tokens one at a time; depth d means the cache already holds d
   tokens (filled once, not timed) when the test starts. Scenarios run fixed
   prompts (bench/prompts/) end to end through the tokenizer and the sampler.
   A short read of a large buffer measures memory bandwidth, and each decode
   result says what fraction of that bound it reached (the roofline).

   Called by the minerva command (examples/cli.c) as `minerva bench ...`. */
#include "../minerva.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char BENCH_USAGE[] =
    "usage: minerva bench -m MODEL [options]\n"
    "\n"
    "  -p, --n-prompt LIST   prompt sizes of the pp tests (default 512; 0: none)\n"
    "  -n, --n-gen LIST      generation sizes of the tg tests (default 128; 0: none)\n"
    "  -d, --n-depth LIST    KV depths: tokens already in the cache when a test starts (default 0)\n"
    "  -t, --threads LIST    thread counts (default: all cores)\n"
    "  -r, --repetitions N   timed runs of each test (default 5)\n"
    "  -b, --batch-size N    most tokens per forward pass (default 512)\n"
    "  --kv f16|f32|q8_0     KV cache type (default f16)\n"
    "  --no-warmup           skip the untimed run before each test\n"
    "  -s, --scenarios LIST  end-to-end prompts: short,medium,code,long, all, or FILE paths\n"
    "  --scenario-gen N      tokens each scenario generates (default 128)\n"
    "  --prompts DIR         where the scenario prompts are (default: bench/prompts)\n"
    "  --bw-size MIB         buffer read to measure memory bandwidth (default 512; 0: skip)\n"
    "  -o, --output FMT      md (default), csv, json, jsonl or svg (t/s against KV depth)\n"
    "  --progress            say on stderr which test runs\n"
    "  --no-repack           compute on the weights as the file stores them\n"
    "\n"
    "LIST is comma-separated: -p 128,512. Every combination of threads and depth\n"
    "runs every pp and tg test. CSV/JSON columns, named as llama-bench's where the\n"
    "meaning is the same: build_commit cpu_info gpu_info backends model_filename\n"
    "model_type model_size model_n_params n_batch n_ubatch n_threads type_k type_v\n"
    "n_prompt n_gen n_depth test_time avg_ns stddev_ns avg_ts stddev_ts, then\n"
    "test (pp512, tg128, short, ...), ttft_ms ttft_p50_ms ttft_p99_ms (time to the\n"
    "first output token), tpot_ms tpot_p50_ms tpot_p99_ms (time per output token),\n"
    "mem_bw_gbs, bytes_per_token (weights + KV read per decoded token) and\n"
    "roofline (bytes_per_token / tpot / mem_bw: the fraction of the bandwidth\n"
    "bound reached). JSON adds samples_ns and samples_ts per repetition.\n";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- options ---------------------------------------------------------------- */

typedef struct {
    int v[32], n;
} int_list;

typedef struct {
    const char *model, *out, *prompts, *scenarios;
    int_list p, n, d, t;
    int reps, warmup, n_batch, scenario_gen, bw_mib, progress, no_repack;
    mv_type kv;
} bench_options;

static int parse_list(const char *s, int_list *l) {
    l->n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 1 << 24 || l->n == 32 || (*end && *end != ',')) return -1;
        l->v[l->n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return l->n ? 0 : -1;
}

static int is_option(const char *a, const char *name, const char *other_name) {
    return !strcmp(a, name) || (other_name && !strcmp(a, other_name));
}

static int parse_bench_options(int argc, char **argv, bench_options *o) {
    *o = (bench_options){.prompts = NULL, .reps = 5, .warmup = 1, .n_batch = 512, .scenario_gen = 128, .bw_mib = 512,
                         .kv = MV_TYPE_F16, .out = "md"};
    o->p = (int_list){{512}, 1}, o->n = (int_list){{128}, 1}, o->d = (int_list){{0}, 1};
    o->t = (int_list){{(int)sysconf(_SC_NPROCESSORS_ONLN)}, 1};
    if (o->t.v[0] < 1) o->t.v[0] = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad_list = 0;
#define IS(x, y) is_option(a, x, y)
#define VALUE() (v ? (i++, v) : (fprintf(stderr, "minerva: %s needs a value\n", a), exit(2), ""))
        if (IS("-h", "--help")) return fputs(BENCH_USAGE, stdout), -1;
        else if (IS("-m", "--model")) o->model = VALUE();
        else if (IS("-o", "--output")) o->out = VALUE();
        else if (IS("-p", "--n-prompt")) bad_list = parse_list(VALUE(), &o->p);
        else if (IS("-n", "--n-gen")) bad_list = parse_list(VALUE(), &o->n);
        else if (IS("-d", "--n-depth")) bad_list = parse_list(VALUE(), &o->d);
        else if (IS("-t", "--threads")) bad_list = parse_list(VALUE(), &o->t);
        else if (IS("-r", "--repetitions")) o->reps = atoi(VALUE());
        else if (IS("-b", "--batch-size")) o->n_batch = atoi(VALUE());
        else if (IS("-s", "--scenarios")) o->scenarios = VALUE();
        else if (IS("--scenario-gen", NULL)) o->scenario_gen = atoi(VALUE());
        else if (IS("--prompts", NULL)) o->prompts = VALUE();
        else if (IS("--bw-size", NULL)) o->bw_mib = atoi(VALUE());
        else if (IS("--no-warmup", NULL)) o->warmup = 0;
        else if (IS("--progress", NULL)) o->progress = 1;
        else if (IS("--no-repack", NULL)) o->no_repack = 1;
        else if (IS("--kv", NULL)) {
            int t = mv_type_from_name(VALUE());
            if (t != MV_TYPE_F16 && t != MV_TYPE_F32 && t != MV_TYPE_Q8_0) return fprintf(stderr, "minerva: --kv must be f16, f32 or q8_0\n"), 2;
            o->kv = (mv_type)t;
        } else return fprintf(stderr, "minerva: unknown bench option '%s'\n%s", a, BENCH_USAGE), 2;
        if (bad_list) return fprintf(stderr, "minerva: %s wants numbers like 128,512\n", a), 2;
#undef VALUE
#undef IS
    }
    for (int i = 0; i < o->t.n; i++)
        if (o->t.v[i] < 1) return fprintf(stderr, "minerva: -t wants thread counts of at least 1\n"), 2;
    if (!o->model) return fprintf(stderr, "minerva: bench needs -m MODEL\n"), 2;
    if (o->reps < 1 || o->n_batch < 1 || o->scenario_gen < 1 || o->bw_mib < 0)
        return fprintf(stderr, "minerva: -r, -b and --scenario-gen want positive numbers\n"), 2;
    const char *formats[] = {"md", "csv", "json", "jsonl", "svg"};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(o->out, formats[i])) return 0;
    return fprintf(stderr, "minerva: -o must be md, csv, json, jsonl or svg\n"), 2;
}

/* ---- statistics -------------------------------------------------------------- */

static double mean(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return n ? s / n : 0;
}

/* Sample standard deviation, as llama-bench reports it. */
static double stdev(const double *x, int n) {
    if (n < 2) return 0;
    double m = mean(x, n), s = 0;
    for (int i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (n - 1));
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile (q in 0..1); sorts x. */
static double percentile(double *x, int n, double q) {
    if (!n) return 0;
    qsort(x, (size_t)n, sizeof *x, by_value);
    int k = (int)ceil(q * n) - 1;
    return x[k < 0 ? 0 : k >= n ? n - 1 : k];
}

/* ---- the machine and the model ------------------------------------------------ */

/* Best of 5 multi-threaded sequential reads of a buffer of mib MiB, in GB/s. */
static double memory_bandwidth(int mib, int n_threads) {
    const size_t n = (size_t)mib << 17; /* 8-byte words */
    uint64_t *buf = n ? malloc(n * sizeof *buf) : NULL;
    if (!buf) return 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) schedule(static)
#endif
    for (size_t i = 0; i < n; i++) buf[i] = i;
    double best = 0;
    volatile uint64_t sink = 0;
    for (int pass = 0; pass < 5; pass++) {
        uint64_t sum = 0;
        const double t0 = now();
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads) schedule(static) reduction(^ : sum)
#endif
        for (size_t i = 0; i < n; i += 8)
            sum ^= buf[i] ^ buf[i + 1] ^ buf[i + 2] ^ buf[i + 3] ^ buf[i + 4] ^ buf[i + 5] ^ buf[i + 6] ^ buf[i + 7];
        const double gbs = (double)(n * sizeof *buf) / (now() - t0) / 1e9;
        sink = sink ^ sum;
        if (gbs > best) best = gbs;
    }
    (void)n_threads;
    free(buf);
    return best;
}

static void cpu_info(char *buf, size_t size) {
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon && !strncmp(line, "model name", 10)) {
            snprintf(buf, size, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = 0;
            break;
        }
    }
    if (f) fclose(f);
}

typedef struct {
    char type[64], cpu[128];
    const char *kernels;
    uint64_t size, n_params;
    double weight_bytes_per_token; /* weights a decode step reads */
    double kv_bytes_per_position;  /* K and V of one position, all layers */
} model_facts;

/* An integer hyperparameter "ARCH.suffix" of the model; def if it has none. */
static long model_int(const mv_model *m, const char *suffix, long def) {
    char key[128], value[64];
    snprintf(key, sizeof key, "%s.%s", mv_model_arch(m), suffix);
    return mv_model_meta_value(m, key, value, sizeof value) >= 0 ? strtol(value, NULL, 10) : def;
}

/* What decode reads per token: every tensor once, except the token embedding
   (one row) when the model has a separate output matrix, and the experts of
   a mixture (the used fraction of each); plus K and V of every cached
   position in every layer. */
static model_facts facts_of(const mv_model *m, mv_type kv) {
    model_facts f = {.size = mv_model_weight_bytes(m), .n_params = mv_model_n_params(m)};
    const long n_expert = model_int(m, "expert_count", 0), n_used = model_int(m, "expert_used_count", 0);
    uint64_t bytes_by_type[MV_TYPE_COUNT] = {0}, kv_elements = 0;
    int has_output = 0;
    mv_tensor_info t;
    for (int i = 0; i < mv_model_n_tensors(m); i++)
        if (mv_model_tensor(m, i, &t) == MV_OK && !strcmp(t.name, "output.weight")) has_output = 1;
    for (int i = 0; i < mv_model_n_tensors(m); i++) {
        if (mv_model_tensor(m, i, &t) != MV_OK) continue;
        int embd = !strcmp(t.name, "token_embd.weight");
        const int experts = n_expert > 0 && t.n_dims >= 2 && t.ne[t.n_dims - 1] == n_expert && (strstr(t.name, "exps") || strstr(t.name, "experts"));
        f.weight_bytes_per_token += embd && has_output && t.ne[1] ? (double)t.nbytes / (double)t.ne[1]
                                  : experts ? (double)t.nbytes * (double)n_used / (double)n_expert : (double)t.nbytes;
        if ((unsigned)t.type < MV_TYPE_COUNT) bytes_by_type[t.type] += t.nbytes;
        const char *dot = strrchr(t.name, '.');
        int is_k = dot && dot - t.name >= 7 && !strncmp(dot - 7, ".attn_k", 7);
        int is_v = dot && dot - t.name >= 7 && !strncmp(dot - 7, ".attn_v", 7);
        if (!strncmp(t.name, "blk.", 4) && (is_k || is_v) && !strcmp(dot, ".weight")) kv_elements += (uint64_t)t.ne[1];
    }
    f.kv_bytes_per_position = (double)kv_elements * (kv == MV_TYPE_F32 ? 4 : kv == MV_TYPE_Q8_0 ? 34.0 / 32 : 2);
    int main_type = 0;
    for (int i = 0; i < MV_TYPE_COUNT; i++)
        if (bytes_by_type[i] > bytes_by_type[main_type]) main_type = i;
    const double np = (double)f.n_params;
    char size[16];
    if (np >= 1e9) snprintf(size, sizeof size, "%.1fB", np / 1e9);
    else snprintf(size, sizeof size, "%.1fM", np / 1e6);
    snprintf(f.type, sizeof f.type, "%s %s %s", mv_model_arch(m), size,
             mv_type_name(main_type) ? mv_type_name(main_type) : "?");
    cpu_info(f.cpu, sizeof f.cpu);
    f.kernels = mv_model_kernels(m);
    return f;
}

/* ---- tests ------------------------------------------------------------------- */

typedef struct {
    char test[64];    /* pp512, tg128, or the scenario's name */
    int scenario;     /* 1 for scenario rows */
    int n_prompt, n_gen, n_depth, n_threads;
    int reps, n_ttft, n_tpot;
    double *ns, *ts;  /* per repetition: seconds of the timed part (as ns), tokens/s */
    double *ttft;     /* per repetition: seconds to the first output token */
    double *tpot;     /* per output token after the first (scenarios) or per token (tg) */
    double prompt_ts, gen_ts; /* scenarios: prompt and generation t/s, as `minerva run` reports them */
    double bytes_per_token;   /* decode tests: weights + KV read per token */
    char time[32];
} result;

static void result_init(result *r, const char *test, int reps, int max_tokens) {
    memset(r, 0, sizeof *r);
    snprintf(r->test, sizeof r->test, "%s", test);
    r->ns = calloc((size_t)reps, sizeof *r->ns);
    r->ts = calloc((size_t)reps, sizeof *r->ts);
    r->ttft = calloc((size_t)reps, sizeof *r->ttft);
    r->tpot = calloc((size_t)reps * (size_t)(max_tokens + 1), sizeof *r->tpot);
    time_t t = time(NULL);
    strftime(r->time, sizeof r->time, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static void result_free(result *r) { free(r->ns), free(r->ts), free(r->ttft), free(r->tpot); }

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static mv_token random_token(int n_vocab) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (mv_token)(rng_state % (uint64_t)n_vocab);
}

/* Evaluates n random tokens in one batch (the first is BOS when the model has
   one), as llama-bench's prompt test does. */
static int decode_random(mv_context *ctx, int n) {
    const mv_model *m = mv_context_model(ctx);
    mv_token *ids = malloc((size_t)n * sizeof *ids);
    if (!ids) return MV_ERR_NOMEM;
    for (int i = 0; i < n; i++) ids[i] = random_token(mv_model_n_vocab(m));
    if (mv_token_bos(m) >= 0) ids[0] = mv_token_bos(m);
    int rc = mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids});
    free(ids);
    return rc;
}

/* Decodes n tokens one at a time; per-token seconds go to times (may be NULL). */
static int decode_one_by_one(mv_context *ctx, int n, double *times) {
    const mv_model *m = mv_context_model(ctx);
    mv_token token = mv_token_bos(m) >= 0 ? mv_token_bos(m) : random_token(mv_model_n_vocab(m));
    for (int i = 0; i < n; i++) {
        const double t0 = now();
        int rc = mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = &token});
        if (rc) return rc;
        if (times) times[i] = now() - t0;
        token = random_token(mv_model_n_vocab(m));
    }
    return MV_OK;
}

/* One pp (n_gen == 0) or tg (n_prompt == 0) test at the depth the cache holds. */
static int run_synthetic(mv_context *ctx, const bench_options *o, result *r) {
    const int d = r->n_depth, n = r->n_prompt ? r->n_prompt : r->n_gen;
    int rc = MV_OK;
    if (o->warmup) {
        rc = r->n_prompt ? decode_random(ctx, n) : decode_one_by_one(ctx, 1, NULL);
        mv_kv_truncate(ctx, -1, d);
    }
    for (int i = 0; !rc && i < r->reps; i++) {
        double *times = r->n_gen ? r->tpot + r->n_tpot : NULL;
        const double t0 = now();
        rc = r->n_prompt ? decode_random(ctx, n) : decode_one_by_one(ctx, n, times);
        const double s = now() - t0;
        mv_kv_truncate(ctx, -1, d);
        r->ns[i] = s * 1e9, r->ts[i] = n / s;
        if (r->n_gen) r->ttft[r->n_ttft++] = times[0], r->n_tpot += n;
    }
    return rc;
}

typedef struct {
    const char *name;
    char *text;
    int n_tokens;
} scenario;

/* One end-to-end run, as mv_generate does it: tokenize, evaluate the prompt,
   then sample, detokenize and decode token by token, stopping at an end token. */
static int run_scenario_once(mv_context *ctx, mv_sampler *s, const scenario *sc, int n_gen, result *r, int rep) {
    const mv_model *m = mv_context_model(ctx);
    mv_kv_truncate(ctx, -1, 0);
    mv_sampler_reset(s);
    const double t0 = now();
    mv_token *ids = sc->n_tokens > 0 ? malloc((size_t)sc->n_tokens * sizeof *ids) : NULL;
    if (!ids) return sc->n_tokens > 0 ? MV_ERR_NOMEM : MV_ERR_ARG;
    const int n = mv_tokenize(m, sc->text, -1, ids, sc->n_tokens, MV_TOKENIZE_ADD_SPECIAL);
    for (int i = 0; i < n; i++) mv_sampler_accept(s, ids[i]);
    int rc = n == sc->n_tokens ? mv_decode(ctx, &(mv_batch){.n_tokens = n, .tokens = ids}) : MV_ERR_ARG;
    free(ids);
    const double t1 = now();
    double last = t1;
    int generated = 0;
    char piece[256];
    for (int i = 0; !rc && i < n_gen; i++) {
        mv_token token = mv_sampler_sample(s, mv_get_logits(ctx, -1), mv_model_n_vocab(m));
        const double t = now();
        if (rep >= 0 && i == 0) r->ttft[r->n_ttft++] = t - t0;
        if (rep >= 0 && i > 0) r->tpot[r->n_tpot++] = t - last;
        last = t;
        if (token < 0 || mv_token_is_end(m, token)) break;
        generated++;
        mv_token_to_piece(m, token, piece, sizeof piece, 0);
        if (i + 1 < n_gen) rc = mv_decode(ctx, &(mv_batch){.n_tokens = 1, .tokens = &token});
    }
    const double t2 = now();
    if (rep >= 0 && !rc) {
        r->n_prompt = n, r->n_gen = generated;
        r->ns[rep] = (t2 - t0) * 1e9, r->ts[rep] = (n + generated) / (t2 - t0);
        r->prompt_ts += n / (t1 - t0) / r->reps;
        r->gen_ts += (generated ? generated / (t2 - t1) : 0) / r->reps;
    }
    return rc;
}

static int run_scenario(mv_context *ctx, mv_sampler *s, const bench_options *o, const scenario *sc, result *r) {
    int rc = o->warmup ? run_scenario_once(ctx, s, sc, 1, r, -1) : MV_OK;
    for (int i = 0; !rc && i < r->reps; i++) rc = run_scenario_once(ctx, s, sc, o->scenario_gen, r, i);
    return rc;
}

/* ---- scenarios ------------------------------------------------------------------ */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) free(s), s = NULL;
    fclose(f);
    if (s) {
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) n--;
        s[n] = 0;
    }
    return s;
}

/* The prompts directory: --prompts, else bench/prompts beside the build
   directory of this program, else bench/prompts under the current one. */
static void prompts_dir(const char *given, const char *argv0, char *dir, size_t size) {
    struct stat st;
    if (given) {
        snprintf(dir, size, "%s", given);
        return;
    }
    const char *slash = strrchr(argv0, '/');
    snprintf(dir, size, "%.*s/../bench/prompts", slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
    if (stat(dir, &st) != 0) snprintf(dir, size, "bench/prompts");
}

static void free_scenarios(scenario *s, int n) {
    for (int i = 0; i < n; i++) free(s[i].text), free((char *)s[i].name);
    free(s);
}

/* "short,code" or "all" -> texts; an item with a '/' or a '.' is a file path. */
static int load_scenarios(const bench_options *o, const char *argv0, scenario **out) {
    char dir[1024], list[1024], path[2048];
    prompts_dir(o->prompts, argv0, dir, sizeof dir);
    snprintf(list, sizeof list, "%s", strcmp(o->scenarios, "all") ? o->scenarios : "short,medium,code,long");
    int n = 0;
    if (!(*out = calloc(32, sizeof **out))) return -1;
    for (char *item = strtok(list, ","); item && n < 32; item = strtok(NULL, ",")) {
        int is_path = strchr(item, '/') || strchr(item, '.');
        if (is_path) snprintf(path, sizeof path, "%s", item);
        else snprintf(path, sizeof path, "%s/%s.txt", dir, item);
        scenario *sc = &(*out)[n];
        if (!(sc->text = slurp(path))) {
            fprintf(stderr, "minerva: cannot read scenario prompt %s%s\n", path, is_path ? "" : " (--prompts DIR says where they are)");
            free_scenarios(*out, n);
            return -1;
        }
        const char *base = strrchr(item, '/') ? strrchr(item, '/') + 1 : item;
        sc->name = strndup(base, strchr(base, '.') ? (size_t)(strchr(base, '.') - base) : strlen(base));
        n++;
    }
    return n;
}

/* ---- output -------------------------------------------------------------------- */

typedef struct {
    const bench_options *o;
    const model_facts *f;
    double bw_gbs;
    int rows, scenario_header;
} printer;

static void csv_field(const char *s, int last) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    fputs(last ? "\"\n" : "\",", stdout);
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

/* The derived numbers of a result, by column. */
typedef struct {
    double avg_ns, sd_ns, avg_ts, sd_ts, ttft, ttft50, ttft99, tpot, tpot50, tpot99, roofline;
} summary;

static summary summarize(const printer *p, const result *r) {
    summary s = {.avg_ns = mean(r->ns, r->reps), .sd_ns = stdev(r->ns, r->reps), .avg_ts = mean(r->ts, r->reps),
                 .sd_ts = stdev(r->ts, r->reps)};
    double *tmp = malloc((size_t)(r->n_ttft + r->n_tpot + 1) * sizeof *tmp);
    if (!tmp) return s;
    s.ttft = mean(r->ttft, r->n_ttft), s.tpot = mean(r->tpot, r->n_tpot);
    memcpy(tmp, r->ttft, (size_t)r->n_ttft * sizeof *tmp);
    s.ttft50 = percentile(tmp, r->n_ttft, 0.5), s.ttft99 = percentile(tmp, r->n_ttft, 0.99);
    memcpy(tmp, r->tpot, (size_t)r->n_tpot * sizeof *tmp);
    s.tpot50 = percentile(tmp, r->n_tpot, 0.5), s.tpot99 = percentile(tmp, r->n_tpot, 0.99);
    if (s.tpot > 0 && p->bw_gbs > 0) s.roofline = r->bytes_per_token / s.tpot / (p->bw_gbs * 1e9);
    free(tmp);
    return s;
}

/* The columns of csv and json, in order; text columns are quoted in json. */
static const struct {
    const char *name;
    int text;
} COLUMNS[] = {{"build_commit", 1}, {"cpu_info", 1}, {"gpu_info", 1}, {"backends", 1}, {"model_filename", 1},
               {"model_type", 1}, {"model_size", 0}, {"model_n_params", 0}, {"n_batch", 0}, {"n_ubatch", 0},
               {"n_threads", 0}, {"type_k", 1}, {"type_v", 1}, {"n_prompt", 0}, {"n_gen", 0}, {"n_depth", 0},
               {"test_time", 1}, {"avg_ns", 0}, {"stddev_ns", 0}, {"avg_ts", 0}, {"stddev_ts", 0}, {"test", 1},
               {"ttft_ms", 0}, {"ttft_p50_ms", 0}, {"ttft_p99_ms", 0}, {"tpot_ms", 0}, {"tpot_p50_ms", 0},
               {"tpot_p99_ms", 0}, {"mem_bw_gbs", 0}, {"bytes_per_token", 0}, {"roofline", 0}};
enum { N_COLUMNS = sizeof COLUMNS / sizeof *COLUMNS };

static void number(char *buf, const char *format, double v, int present) {
    if (present) snprintf(buf, 320, format, v);
    else buf[0] = 0;
}

/* The values of a row, as text, in COLUMNS order. */
static void row_values(const printer *p, const result *r, char v[N_COLUMNS][320]) {
    const bench_options *o = p->o;
    const summary s = summarize(p, r);
    const char *kv = mv_type_name(o->kv);
    int i = 0;
    snprintf(v[i++], 320, "%s", MV_VERSION);
    snprintf(v[i++], 320, "%s", p->f->cpu);
    snprintf(v[i++], 320, "%s", "");
    snprintf(v[i++], 320, "%s", "CPU");
    snprintf(v[i++], 320, "%s", o->model);
    snprintf(v[i++], 320, "%s", p->f->type);
    snprintf(v[i++], 320, "%llu", (unsigned long long)p->f->size);
    snprintf(v[i++], 320, "%llu", (unsigned long long)p->f->n_params);
    snprintf(v[i++], 320, "%d", o->n_batch);
    snprintf(v[i++], 320, "%d", o->n_batch);
    snprintf(v[i++], 320, "%d", r->n_threads);
    snprintf(v[i++], 320, "%c%c%c", kv[0] | 32, kv[1], kv[2]);
    snprintf(v[i++], 320, "%c%c%c", kv[0] | 32, kv[1], kv[2]);
    snprintf(v[i++], 320, "%d", r->n_prompt);
    snprintf(v[i++], 320, "%d", r->n_gen);
    snprintf(v[i++], 320, "%d", r->n_depth);
    snprintf(v[i++], 320, "%s", r->time);
    snprintf(v[i++], 320, "%.0f", s.avg_ns);
    snprintf(v[i++], 320, "%.0f", s.sd_ns);
    snprintf(v[i++], 320, "%.6f", s.avg_ts);
    snprintf(v[i++], 320, "%.6f", s.sd_ts);
    snprintf(v[i++], 320, "%s", r->test);
    /* Left empty where they mean nothing: no output tokens in a pp test, no bandwidth measured. */
    const double ms[] = {s.ttft, s.ttft50, s.ttft99, s.tpot, s.tpot50, s.tpot99};
    for (int k = 0; k < 6; k++) number(v[i++], "%.4f", ms[k] * 1e3, r->n_gen);
    number(v[i++], "%.2f", p->bw_gbs, p->bw_gbs > 0);
    number(v[i++], "%.0f", r->bytes_per_token, r->n_gen);
    number(v[i++], "%.4f", s.roofline, r->n_gen && s.roofline > 0);
}

static void print_csv(printer *p, const result *r) {
    static char v[N_COLUMNS][320];
    if (!p->rows++)
        for (int i = 0; i < N_COLUMNS; i++) printf("%s%s", COLUMNS[i].name, i + 1 < N_COLUMNS ? "," : "\n");
    row_values(p, r, v);
    for (int i = 0; i < N_COLUMNS; i++) csv_field(v[i], i + 1 == N_COLUMNS);
}

static void print_json(printer *p, const result *r, int lines) {
    static char v[N_COLUMNS][320];
    row_values(p, r, v);
    const char *nl = lines ? "" : "\n", *ind = lines ? "" : "    ";
    printf("%s{%s", lines ? "" : p->rows ? ",\n  " : "[\n  ", nl);
    for (int i = 0; i < N_COLUMNS; i++) {
        printf("%s\"%s\": ", ind, COLUMNS[i].name);
        if (COLUMNS[i].text) json_string(v[i]);
        else fputs(v[i][0] ? v[i] : "null", stdout);
        printf(",%s", lines ? " " : "\n");
    }
    printf("%s\"samples_ns\": [", ind);
    for (int i = 0; i < r->reps; i++) printf("%s%.0f", i ? ", " : " ", r->ns[i]);
    printf(" ],%s%s\"samples_ts\": [", lines ? " " : "\n", ind);
    for (int i = 0; i < r->reps; i++) printf("%s%g", i ? ", " : " ", r->ts[i]);
    printf(" ]%s%s}%s", nl, lines ? "" : "  ", lines ? "\n" : "");
    p->rows++;
}

static void print_md(printer *p, const result *r) {
    const summary s = summarize(p, r);
    char size[32], params[32], ts[64], ttft[32] = "", tpot[64] = "", roof[32] = "";
    const double mib = (double)p->f->size / 1048576.0;
    if (mib < 1024) snprintf(size, sizeof size, "%.2f MiB", mib);
    else snprintf(size, sizeof size, "%.2f GiB", mib / 1024);
    if (p->f->n_params < 1000000000ull) snprintf(params, sizeof params, "%.2f M", (double)p->f->n_params / 1e6);
    else snprintf(params, sizeof params, "%.2f B", (double)p->f->n_params / 1e9);
    snprintf(ts, sizeof ts, "%.2f ± %.2f", s.avg_ts, s.sd_ts);
    if (r->n_gen) {
        snprintf(ttft, sizeof ttft, "%.2f", s.ttft * 1e3);
        snprintf(tpot, sizeof tpot, "%.2f / %.2f / %.2f", s.tpot * 1e3, s.tpot50 * 1e3, s.tpot99 * 1e3);
        if (s.roofline > 0) snprintf(roof, sizeof roof, "%.1f%%", s.roofline * 100);
    }
    if (!r->scenario) {
        char test[80];
        snprintf(test, sizeof test, "%s", r->test);
        if (r->n_depth) snprintf(test + strlen(test), sizeof test - strlen(test), " @ d%d", r->n_depth);
        if (!p->rows++) {
            printf("| %-30s | %10s | %10s | %-7s | %7s | %15s | %20s | %9s | %25s | %8s |\n", "model", "size", "params",
                   "backend", "threads", "test", "t/s", "ttft ms", "tpot ms mean/p50/p99", "roofline");
            printf("| ------------------------------ | ---------: | ---------: | ------- | ------: | --------------: "
                   "| -------------------: | --------: | ------------------------: | -------: |\n");
        }
        printf("| %-30s | %10s | %10s | %-7s | %7d | %15s | %21s | %9s | %25s | %8s |\n", p->f->type, size, params, "CPU",
               r->n_threads, test, ts, ttft, tpot, roof);
        return;
    }
    if (!p->scenario_header++) {
        printf("%s| %-10s | %7s | %6s | %5s | %9s | %10s | %25s | %9s | %20s | %8s |\n", p->rows ? "\n" : "", "scenario",
               "threads", "prompt", "gen", "ttft ms", "prompt t/s", "tpot ms mean/p50/p99", "gen t/s", "t/s", "roofline");
        printf("| ---------- | ------: | -----: | ----: | --------: | ---------: | ------------------------: | --------: "
               "| -------------------: | -------: |\n");
    }
    printf("| %-10s | %7d | %6d | %5d | %9s | %10.2f | %25s | %9.2f | %21s | %8s |\n", r->test, r->n_threads, r->n_prompt,
           r->n_gen, ttft, r->prompt_ts, tpot, r->gen_ts, ts, roof);
}

static void print_md_footer(const printer *p) {
    printf("\nbuild: minerva %s (%s kernels), %s\n", MV_VERSION, p->f->kernels, p->f->cpu);
    if (p->bw_gbs > 0)
        printf("memory read bandwidth: %.1f GB/s (%d MiB, all cores, best of 5); decode reads %.1f MiB of weights "
               "+ %.1f KiB of KV cache per cached position per token\n",
               p->bw_gbs, p->o->bw_mib, p->f->weight_bytes_per_token / 1048576.0, p->f->kv_bytes_per_position / 1024.0);
}

/* t/s against KV depth, one line per test and thread count. */
static void print_svg(const printer *p, const result *rs, int n) {
    const int W = 720, H = 420, L = 70, R = 190, T = 40, B = 50;
    const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    double ymax = 0, dmax = 0;
    for (int i = 0; i < n; i++) {
        if (rs[i].scenario) continue;
        const double top = mean(rs[i].ts, rs[i].reps) + stdev(rs[i].ts, rs[i].reps);
        if (top > ymax) ymax = top;
        if (rs[i].n_depth > dmax) dmax = rs[i].n_depth;
    }
    double step = 1;
    while (ymax / step > 10) step *= ymax / step > 50 ? 10 : ymax / step > 20 ? 5 : 2;
    while (ymax > 0 && ymax / step < 3) step /= 2;
    ymax = ymax > 0 ? (double)(long)(ymax / step + 1) * step : 1;
    const double pw = W - L - R, ph = H - T - B;
#define X(d) (L + (dmax > 0 ? (d) / dmax * pw : pw / 2))
#define Y(v) (T + ph - (v) / ymax * ph)
    printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
           "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    printf("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"%d\" y=\"22\" font-size=\"14\">", W, H, L);
    printf("minerva bench: %s, t/s against KV depth</text>\n", p->f->type);
    for (double v = 0; v <= ymax + step / 2; v += step)
        printf("<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
               "text-anchor=\"end\">%g</text>\n", L, L + pw, Y(v), Y(v), L - 6, Y(v) + 4, v);
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= rs[j].n_depth == rs[i].n_depth;
        if (!rs[i].scenario && !seen)
            printf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", X(rs[i].n_depth), T + ph + 18, rs[i].n_depth);
    }
    printf("<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, L + pw, T + ph, T + ph);
    printf("<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%.1f\" stroke=\"black\"/>\n", L, L, T, T + ph);
    printf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">KV depth (tokens)</text>\n", L + pw / 2, H - 12);
    printf("<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">tokens/s</text>\n", T + ph / 2);
    int series = 0;
    for (int i = 0; i < n; i++) { /* a series: the results with this one's test and threads */
        int first = !rs[i].scenario;
        for (int j = 0; j < i && first; j++) first = strcmp(rs[j].test, rs[i].test) || rs[j].n_threads != rs[i].n_threads;
        if (!first) continue;
        const char *c = colors[series % 8];
        printf("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", c);
        for (int j = i; j < n; j++)
            if (!strcmp(rs[j].test, rs[i].test) && rs[j].n_threads == rs[i].n_threads)
                printf("%.1f,%.1f ", X(rs[j].n_depth), Y(mean(rs[j].ts, rs[j].reps)));
        printf("\"/>\n");
        for (int j = i; j < n; j++) {
            if (strcmp(rs[j].test, rs[i].test) || rs[j].n_threads != rs[i].n_threads) continue;
            const double m = mean(rs[j].ts, rs[j].reps), sd = stdev(rs[j].ts, rs[j].reps);
            printf("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", X(rs[j].n_depth),
                   X(rs[j].n_depth), Y(m - sd), Y(m + sd), c);
            printf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s t%d @ d%d: %.2f ± %.2f t/s</title>"
                   "</circle>\n", X(rs[j].n_depth), Y(m), c, rs[j].test, rs[j].n_threads, rs[j].n_depth, m, sd);
        }
        printf("<rect x=\"%.1f\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%s, %d "
               "thread%s</text>\n", L + pw + 20, T + 10 + 18 * series, c, L + pw + 40, T + 15 + 18 * series,
               rs[i].test, rs[i].n_threads, rs[i].n_threads == 1 ? "" : "s");
        series++;
    }
    printf("</svg>\n");
#undef X
#undef Y
}

static void print_result(printer *p, const result *r) {
    if (!strcmp(p->o->out, "md")) print_md(p, r);
    else if (!strcmp(p->o->out, "csv")) print_csv(p, r);
    else if (!strcmp(p->o->out, "json")) print_json(p, r, 0);
    else if (!strcmp(p->o->out, "jsonl")) print_json(p, r, 1);
    fflush(stdout);
}

/* ---- the command ------------------------------------------------------------------ */

int cmd_bench(int argc, char **argv) {
    bench_options o;
    int rc = parse_bench_options(argc - 2, argv + 2, &o);
    if (rc) return rc < 0 ? 0 : rc;
    char err[256];
    mv_model *m;
    mv_model_params mp = mv_model_default_params();
    mp.no_repack = o.no_repack;
    if (mv_model_load(o.model, &mp, &m, err, sizeof err) != MV_OK) return fprintf(stderr, "minerva: %s\n", err), 1;
    scenario *scenarios = NULL;
    int n_scenarios = o.scenarios ? load_scenarios(&o, argv[0], &scenarios) : 0;
    if (n_scenarios < 0) return mv_model_free(m), 1;

    /* The context must hold the deepest test and the longest scenario. */
    int n_ctx = 1, max_tokens = 1;
    for (int i = 0; i < o.d.n; i++)
        for (int j = 0; j < o.p.n + o.n.n; j++) {
            const int len = j < o.p.n ? o.p.v[j] : o.n.v[j - o.p.n];
            if (o.d.v[i] + len > n_ctx) n_ctx = o.d.v[i] + len;
            if (len > max_tokens) max_tokens = len;
        }
    for (int i = 0; i < n_scenarios; i++) {
        scenarios[i].n_tokens = mv_tokenize(m, scenarios[i].text, -1, NULL, 0, MV_TOKENIZE_ADD_SPECIAL);
        if (scenarios[i].n_tokens + o.scenario_gen > n_ctx) n_ctx = scenarios[i].n_tokens + o.scenario_gen;
    }
    if (o.scenario_gen > max_tokens) max_tokens = o.scenario_gen;

    const model_facts facts = facts_of(m, o.kv);
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printer p = {.o = &o, .f = &facts, .bw_gbs = memory_bandwidth(o.bw_mib, cores > 0 ? (int)cores : 1)};
    result *results = calloc((size_t)o.t.n * ((size_t)o.d.n * (size_t)(o.p.n + o.n.n) + (size_t)n_scenarios) + 1, sizeof *results);
    int n_results = 0;
    mv_sampler_params sp = mv_sampler_default_params();
    mv_sampler *sampler = mv_sampler_create(&sp);
    for (int ti = 0; !rc && ti < o.t.n; ti++) {
        mv_context_params cp = mv_context_default_params();
        cp.n_ctx = n_ctx, cp.n_batch = o.n_batch, cp.n_threads = o.t.v[ti], cp.kv_type = o.kv;
        mv_context *ctx;
        if (mv_context_create(m, &cp, &ctx, err, sizeof err) != MV_OK) {
            fprintf(stderr, "minerva: %s\n", err);
            rc = 1;
            break;
        }
        for (int di = 0; !rc && di < o.d.n; di++) {
            const int d = o.d.v[di];
            mv_kv_truncate(ctx, -1, 0);
            if (d > 0 && decode_random(ctx, d) != MV_OK) rc = 1;
            for (int j = 0; !rc && j < o.p.n + o.n.n; j++) {
                const int is_pp = j < o.p.n, len = is_pp ? o.p.v[j] : o.n.v[j - o.p.n];
                if (!len) continue;
                result *r = &results[n_results++];
                char name[32];
                snprintf(name, sizeof name, "%s%d", is_pp ? "pp" : "tg", len);
                result_init(r, name, o.reps, max_tokens);
                r->n_prompt = is_pp ? len : 0, r->n_gen = is_pp ? 0 : len, r->n_depth = d, r->n_threads = o.t.v[ti];
                r->reps = o.reps;
                r->bytes_per_token = facts.weight_bytes_per_token + facts.kv_bytes_per_position * (d + (len + 1) / 2.0);
                if (o.progress) fprintf(stderr, "minerva bench: %s @ d%d, %d threads\n", name, d, o.t.v[ti]);
                if (run_synthetic(ctx, &o, r) != MV_OK) rc = 1;
                else print_result(&p, r);
            }
        }
        for (int si = 0; !rc && si < n_scenarios; si++) {
            result *r = &results[n_results++];
            result_init(r, scenarios[si].name, o.reps, max_tokens);
            r->scenario = 1, r->n_threads = o.t.v[ti], r->reps = o.reps;
            if (o.progress) fprintf(stderr, "minerva bench: scenario %s, %d threads\n", r->test, o.t.v[ti]);
            if (run_scenario(ctx, sampler, &o, &scenarios[si], r) != MV_OK) rc = 1;
            r->bytes_per_token = facts.weight_bytes_per_token + facts.kv_bytes_per_position * (r->n_prompt + r->n_gen / 2.0);
            if (!rc) print_result(&p, r);
        }
        if (rc == 1 && mv_context_error(ctx)[0]) fprintf(stderr, "minerva: %s\n", mv_context_error(ctx));
        mv_context_free(ctx);
    }
    if (!rc && !strcmp(o.out, "md")) print_md_footer(&p);
    if (!rc && !strcmp(o.out, "json")) printf(p.rows ? "\n]\n" : "[]\n");
    if (!rc && !strcmp(o.out, "svg")) print_svg(&p, results, n_results);
    for (int i = 0; i < n_results; i++) result_free(&results[i]);
    free_scenarios(scenarios, n_scenarios);
    free(results);
    mv_sampler_free(sampler);
    mv_model_free(m);
    return rc;
}
