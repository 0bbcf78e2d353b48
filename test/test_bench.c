/* `minerva bench` and bench/compare.sh, driven as a user drives them, on the
   demo model: the outputs parse, carry the documented columns and sane
   numbers, and the scenarios see what `minerva run` sees. */

#define LLAMA_BENCH_DEFAULT "/tmp/llama/src/build/bin/llama-bench"

/* The CSV columns README.md and `minerva bench --help` document, in order. */
static const char *BENCH_COLUMNS[] = {
    "build_commit", "cpu_info", "gpu_info", "backends", "model_filename", "model_type", "model_size", "model_n_params",
    "n_batch", "n_ubatch", "n_threads", "type_k", "type_v", "n_prompt", "n_gen", "n_depth", "test_time", "avg_ns",
    "stddev_ns", "avg_ts", "stddev_ts", "test", "ttft_ms", "ttft_p50_ms", "ttft_p99_ms", "tpot_ms", "tpot_p50_ms",
    "tpot_p99_ms", "mem_bw_gbs", "bytes_per_token", "roofline"};
enum { N_BENCH_COLUMNS = sizeof BENCH_COLUMNS / sizeof *BENCH_COLUMNS };

/* Splits one CSV line of quoted or bare fields in place; returns the count. */
static int csv_split(char *line, char **fields, int max) {
    int n = 0;
    char *w = line;
    for (char *s = line; n < max;) {
        fields[n++] = w;
        int quoted = *s == '"';
        if (quoted) s++;
        while (*s && (quoted || *s != ',')) {
            if (quoted && *s == '"' && s[1] == '"') *w++ = '"', s += 2;
            else if (quoted && *s == '"') quoted = 0, s++;
            else *w++ = *s++;
        }
        const int more = *s == ',';
        *w++ = 0;
        if (!more) break;
        s++;
    }
    return n;
}

/* A parsed CSV: header and rows of fields, all pointing into text. */
typedef struct {
    char *text, *head[64], *row[16][64];
    int n_head, n_rows, n_fields[16];
} csv_table;

static int csv_parse(char *text, csv_table *c) {
    memset(c, 0, sizeof *c);
    c->text = text;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!c->n_head) c->n_head = csv_split(line, c->head, 64);
        else if (c->n_rows < 16) c->n_fields[c->n_rows] = csv_split(line, c->row[c->n_rows], 64), c->n_rows++;
    }
    return c->n_head;
}

static const char *csv_get(const csv_table *c, int row, const char *column) {
    for (int i = 0; i < c->n_head && i < c->n_fields[row]; i++)
        if (!strcmp(c->head[i], column)) return c->row[row][i];
    return NULL;
}

static double csv_num(const csv_table *c, int row, const char *column) {
    const char *v = csv_get(c, row, column);
    return v && *v ? atof(v) : -1;
}

/* Parses as JSON (the engine's strict reader). */
static bool json_valid(const char *s) {
    json_doc doc;
    if (!s || json_parse(s, strlen(s), &doc, NULL) != MV_OK) return false;
    json_free(&doc);
    return true;
}

static int count_of(const char *s, const char *what) {
    int n = 0;
    for (; s && (s = strstr(s, what)); s += strlen(what)) n++;
    return n;
}

/* The demo model's path (written on first use). */
static const char *bench_model(test_state *t, char *path, size_t size) {
    mv_model *m = demo_model(t);
    mv_model_free(m);
    return tmp_path(path, size, "demo_F32.gguf");
}

static void test_bench_csv(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 16 -n 8 -d 0,16 -r 2 -t 1 --bw-size 16 -o csv", CONFIG.minerva, model);
    char *out = NULL, *err = NULL;
    int rc = run_command(cmd, &out, &err);
    CHECKF(rc == 0 && out, "exit %d: %s", rc, err ? err : "");
    csv_table c;
    if (rc || !out || !csv_parse(out, &c)) goto done;
    CHECKF(c.n_head == N_BENCH_COLUMNS, "%d columns, documented %d", c.n_head, N_BENCH_COLUMNS);
    for (int i = 0; i < c.n_head && i < N_BENCH_COLUMNS; i++)
        CHECKF(!strcmp(c.head[i], BENCH_COLUMNS[i]), "column %d is %s, documented %s", i, c.head[i], BENCH_COLUMNS[i]);
    CHECKF(c.n_rows == 4, "%d rows, expected pp16, tg8, pp16 @ d16, tg8 @ d16", c.n_rows);
    static const int expect[4][3] = {{16, 0, 0}, {0, 8, 0}, {16, 0, 16}, {0, 8, 16}};
    for (int r = 0; r < c.n_rows && r < 4; r++) {
        CHECKF(c.n_fields[r] == N_BENCH_COLUMNS, "row %d has %d fields", r, c.n_fields[r]);
        const int np = (int)csv_num(&c, r, "n_prompt"), ng = (int)csv_num(&c, r, "n_gen"), nd = (int)csv_num(&c, r, "n_depth");
        CHECKF(np == expect[r][0] && ng == expect[r][1] && nd == expect[r][2], "row %d: p %d n %d d %d", r, np, ng, nd);
        CHECK(!strcmp(csv_get(&c, r, "test"), ng ? "tg8" : "pp16"));
        CHECK(csv_num(&c, r, "n_threads") == 1 && !strcmp(csv_get(&c, r, "type_k"), "f16"));
        CHECK(csv_num(&c, r, "model_size") > 2e6 && csv_num(&c, r, "model_n_params") > 5e5);
        const double ts = csv_num(&c, r, "avg_ts"), ns = csv_num(&c, r, "avg_ns");
        CHECKF(ts > 0 && csv_num(&c, r, "stddev_ts") >= 0 && ns > 0, "row %d: avg_ts %g avg_ns %g", r, ts, ns);
        /* the mean of tokens / time is at least tokens / mean time (AM ≥ HM), and
           of its order (a run of a millisecond can take several on a busy machine) */
        const double ts_from_ns = (np + ng) / (ns * 1e-9);
        CHECKF(ts_from_ns <= ts * (1 + 1e-4) && ts_from_ns > ts / 20, "row %d: avg_ts %g but tokens / avg_ns %g", r, ts, ts_from_ns);
        CHECK(csv_num(&c, r, "mem_bw_gbs") > 0);
        if (ng) {
            const double ttft = csv_num(&c, r, "ttft_ms"), p50 = csv_num(&c, r, "tpot_p50_ms"), p99 = csv_num(&c, r, "tpot_p99_ms");
            CHECKF(ttft > 0 && p50 > 0 && p99 >= p50 && csv_num(&c, r, "tpot_ms") > 0, "row %d: ttft %g tpot %g/%g", r, ttft, p50, p99);
            CHECK(csv_num(&c, r, "bytes_per_token") > 1e6 && csv_num(&c, r, "roofline") > 0);
        } else {
            CHECKF(!*csv_get(&c, r, "ttft_ms") && !*csv_get(&c, r, "roofline"), "row %d: pp has no output token", r);
        }
    }
    if (c.n_rows == 4) CHECK(csv_num(&c, 3, "bytes_per_token") > csv_num(&c, 1, "bytes_per_token")); /* KV read at depth */
done:
    free(out), free(err);
}

static void test_bench_json_md(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 16 -n 8 -r 3 -t 1 --bw-size 16 -o json", CONFIG.minerva, model);
    char *out = NULL, *err = NULL;
    const double t0 = now_seconds();
    int rc = run_command(cmd, &out, &err);
    const double wall = now_seconds() - t0;
    CHECKF(rc == 0 && out, "exit %d: %s", rc, err ? err : "");
    CHECKF(json_valid(out), "-o json does not parse:\n%s", out ? out : "");
    CHECK(count_of(out, "\"avg_ts\": ") == 2 && count_of(out, "\"samples_ns\": [") == 2 && count_of(out, "\"tpot_p99_ms\": ") == 2);
    /* the timed parts add up to less than the whole run took */
    double timed = 0;
    for (const char *s = out; s && (s = strstr(s, "\"samples_ns\": [")); s++) {
        char *end;
        for (s += 15; *s && *s != ']'; s = end + (*end == ',')) {
            timed += strtod(s, &end) * 1e-9;
            if (end == s) break;
        }
    }
    CHECKF(timed > 0 && timed < wall, "timed %g s of a %g s run", timed, wall);
    free(out), free(err);

    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 16 -n 8 -r 2 -t 1 --bw-size 16 -o jsonl", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    int lines = 0;
    for (char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save), lines++)
        CHECKF(json_valid(line), "jsonl line %d does not parse: %s", lines, line);
    CHECK(lines == 2);
    free(out);

    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 16 -n 8 -d 0,16 -r 2 -t 1 --bw-size 16", CONFIG.minerva, model);
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    CHECKF(out && strstr(out, "| model ") && strstr(out, " t/s ") && strstr(out, "tpot ms") && strstr(out, "| -----"),
           "md header: %s", out ? out : "");
    CHECK(out && strstr(out, " pp16 |") && strstr(out, " tg8 |") && strstr(out, " tg8 @ d16 |") && strstr(out, " ± "));
    CHECK(out && strstr(out, "memory read bandwidth: ") && strstr(out, "build: minerva"));
    free(out);
}

static void test_bench_svg(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 16 -n 8 -d 0,8,16 -r 2 -t 1 --bw-size 0 -o svg", CONFIG.minerva, model);
    char *out = NULL;
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    if (!out) return;
    CHECKF(!strncmp(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) && strstr(out, "</svg>\n") == out + strlen(out) - 7,
           "not one svg element: %.80s", out);
    CHECKF(count_of(out, "<polyline") == 2, "%d lines, expected pp16 and tg8", count_of(out, "<polyline"));
    CHECKF(count_of(out, "<circle") == 6, "%d points, expected 2 tests x 3 depths", count_of(out, "<circle"));
    CHECK(count_of(out, "<text") == count_of(out, "</text>") && count_of(out, "<circle") == count_of(out, "</circle>"));
    CHECK(strstr(out, "KV depth") && strstr(out, "tokens/s") && strstr(out, ">pp16, 1 thread<"));
    free(out);
}

/* The scenarios tokenize as mv_tokenize does and generate what mv_generate
   (and so `minerva run`) generates from the same prompt. */
static void test_bench_scenarios(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    snprintf(cmd, sizeof cmd, "%s bench -m %s -p 0 -n 0 -s short,code --scenario-gen 6 -r 2 -t 1 --bw-size 16 -o csv",
             CONFIG.minerva, model);
    char *out = NULL, *err = NULL;
    int rc = run_command(cmd, &out, &err);
    CHECKF(rc == 0 && out, "exit %d: %s", rc, err ? err : "");
    csv_table c;
    mv_model *m = NULL;
    CHECK(mv_model_load(model, NULL, &m, NULL, 0) == MV_OK);
    if (rc || !out || !m || !csv_parse(out, &c)) goto done;
    CHECKF(c.n_rows == 2, "%d rows, expected short and code", c.n_rows);
    const char *names[] = {"short", "code"};
    for (int r = 0; r < c.n_rows && r < 2; r++) {
        char path[512];
        snprintf(path, sizeof path, "bench/prompts/%s.txt", names[r]);
        char *text = read_file(path, NULL);
        CHECKF(text, "no %s", path);
        if (!text) continue;
        for (size_t n = strlen(text); n && (text[n - 1] == '\n' || text[n - 1] == ' ');) text[--n] = 0;
        CHECK(!strcmp(csv_get(&c, r, "test"), names[r]));
        const int n_prompt = mv_tokenize(m, text, -1, NULL, 0, MV_TOKENIZE_ADD_SPECIAL);
        CHECKF(csv_num(&c, r, "n_prompt") == n_prompt, "%s: bench says %g prompt tokens, mv_tokenize %d", names[r],
               csv_num(&c, r, "n_prompt"), n_prompt);
        mv_context *ctx = NULL;
        mv_context_params cp = mv_context_default_params();
        cp.n_ctx = n_prompt + 8, cp.n_threads = 1;
        mv_sampler_params sp = mv_sampler_default_params();
        mv_sampler *s = mv_sampler_create(&sp);
        mv_generate_stats st = {0};
        CHECK(mv_context_create(m, &cp, &ctx, NULL, 0) == MV_OK && mv_generate(ctx, s, text, 6, NULL, NULL, &st) == MV_OK);
        CHECKF(csv_num(&c, r, "n_gen") == st.n_generated && st.n_prompt == n_prompt, "%s: bench generated %g, mv_generate %d",
               names[r], csv_num(&c, r, "n_gen"), st.n_generated);
        CHECK(csv_num(&c, r, "ttft_ms") > 0 && csv_num(&c, r, "avg_ts") > 0 && csv_num(&c, r, "roofline") > 0);
        CHECK(st.n_generated < 2 || csv_num(&c, r, "tpot_ms") > 0);
        mv_sampler_free(s);
        mv_context_free(ctx);
        free(text);
    }
done:
    mv_model_free(m);
    free(out), free(err);
}

static void test_bench_errors(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    char *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s bench -p 16", CONFIG.minerva);
    CHECK(run_command(cmd, NULL, &err) == 2 && err && strstr(err, "-m MODEL"));
    free(err);
    const char *bad[] = {"-o xml", "-p 16,x", "-t 0", "-r 0", "--kv q4_0", "--frobnicate"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "%s bench -m %s %s", CONFIG.minerva, model, bad[i]);
        CHECKF(run_command(cmd, NULL, NULL) == 2, "'%s' is not a usage error", bad[i]);
    }
    snprintf(cmd, sizeof cmd, "%s bench -m %s -s nonexistent --bw-size 0", CONFIG.minerva, model);
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "nonexistent.txt"));
    free(err);
    snprintf(cmd, sizeof cmd, "%s bench -m /nonexistent.gguf", CONFIG.minerva);
    CHECK(run_command(cmd, NULL, &err) == 1 && err && strstr(err, "/nonexistent.gguf"));
    free(err);
    snprintf(cmd, sizeof cmd, "%s bench --help", CONFIG.minerva);
    CHECK(run_command(cmd, &out, NULL) == 0 && out);
    for (int i = 0; out && i < N_BENCH_COLUMNS; i++) CHECKF(strstr(out, BENCH_COLUMNS[i]), "--help does not document %s", BENCH_COLUMNS[i]);
    free(out);
    out = read_file("README.md", NULL);
    for (int i = 0; out && i < N_BENCH_COLUMNS; i++) CHECKF(strstr(out, BENCH_COLUMNS[i]), "README.md does not document %s", BENCH_COLUMNS[i]);
    free(out);
}

static void test_bench_compare_without_llama(test_state *t) {
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    char *err = NULL;
    snprintf(cmd, sizeof cmd, "bench/compare.sh -m %s --llama-bench /nonexistent/llama-bench --minerva %s", model, CONFIG.minerva);
    CHECK(run_command(cmd, NULL, &err) == 2 && err && strstr(err, "--llama-bench /path/to") && strstr(err, "LLAMA_BENCH="));
    free(err);
    if (access("/usr/bin/llama-bench", X_OK) == 0 || access("/bin/llama-bench", X_OK) == 0) return;
    snprintf(cmd, sizeof cmd, "env -u LLAMA_BENCH PATH=/usr/bin:/bin bash bench/compare.sh -m %s --minerva %s", model, CONFIG.minerva);
    CHECK(run_command(cmd, NULL, &err) == 2 && err && strstr(err, "no llama-bench") && strstr(err, "--llama-bench"));
    free(err);
}

static void test_bench_compare_with_llama(test_state *t) {
    const char *llama = getenv("LLAMA_BENCH") && *getenv("LLAMA_BENCH") ? getenv("LLAMA_BENCH") : LLAMA_BENCH_DEFAULT;
    if (access(llama, X_OK) != 0) SKIP("no llama-bench at %s (set LLAMA_BENCH)", llama);
    char model[512], cmd[2048];
    bench_model(t, model, sizeof model);
    snprintf(cmd, sizeof cmd, "bench/compare.sh -m %s --llama-bench %s --minerva %s -p 16 -n 8 -t 1 -r 2", model, llama, CONFIG.minerva);
    char *out = NULL, *err = NULL;
    int rc = run_command(cmd, &out, &err);
    CHECKF(rc == 0 && out, "exit %d: %s", rc, err ? err : "");
    CHECKF(out && strstr(out, "ratio minerva/llama.cpp") && strstr(out, "| pp16 ") && strstr(out, "| tg8 "), "%s", out ? out : "");
    /* every test row ends in a positive ratio with a range */
    int rows = 0;
    for (char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "| pp", 4) && strncmp(line, "| tg", 4)) continue;
        rows++;
        char *cell = strrchr(line, '|');
        while (cell > line && cell[-1] != '|') cell--;
        CHECKF(atof(cell) > 0 && strstr(cell, ".."), "no ratio in: %s", line);
    }
    CHECKF(rows == 2, "%d test rows", rows);
    free(out), free(err);
}

static const test_case BENCH_TESTS[] = {
    {"bench.csv", test_bench_csv, NULL},
    {"bench.json_md", test_bench_json_md, NULL},
    {"bench.svg", test_bench_svg, NULL},
    {"bench.scenarios", test_bench_scenarios, NULL},
    {"bench.errors", test_bench_errors, NULL},
    {"bench.compare_without_llama", test_bench_compare_without_llama, NULL},
    {"bench.compare_with_llama", test_bench_compare_with_llama, NULL},
};
