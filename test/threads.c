/* Two threads, each loading a model and generating with its own context,
   and two contexts of one shared model in two threads: run under
   ThreadSanitizer (built without OpenMP, whose runtime TSan cannot see).
   usage: threads MODEL.gguf; ends with "N passed, N failed". */
#include "../minerva.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *path;
    mv_model *shared;
    char text[2048];
    int n, rc;
} job;

static int collect(const char *text, int len, mv_token token, void *user) {
    job *j = user;
    (void)token;
    if (j->n + len < (int)sizeof j->text) memcpy(j->text + j->n, text, (size_t)len), j->n += len;
    return 0;
}

static void *run(void *arg) {
    job *j = arg;
    char err[256];
    mv_model *m = j->shared;
    if (!m && mv_model_load(j->path, NULL, &m, err, sizeof err) != MV_OK) return j->rc = 1, NULL;
    mv_context_params cp = mv_context_default_params();
    cp.n_ctx = 128, cp.n_threads = 1;
    mv_context *ctx = NULL;
    mv_sampler_params sp = mv_sampler_default_params();
    sp.seed = 7;
    mv_sampler *s = mv_sampler_create(&sp);
    j->rc = mv_context_create(m, &cp, &ctx, err, sizeof err) || mv_generate(ctx, s, "Once upon a time", 24, collect, j, NULL);
    mv_sampler_free(s);
    mv_context_free(ctx);
    if (!j->shared) mv_model_free(m);
    return NULL;
}

static int pair(const char *path, mv_model *shared) {
    job a = {path, shared, "", 0, 0}, b = {path, shared, "", 0, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run, &a);
    pthread_create(&tb, NULL, run, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    return !a.rc && !b.rc && a.n > 0 && a.n == b.n && !memcmp(a.text, b.text, (size_t)a.n);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]), 2;
    char err[256];
    mv_model *m;
    int passed = 0, failed = 0;
    if (pair(argv[1], NULL)) passed++, puts("ok   two threads, two models");
    else failed++, puts("FAIL two threads, two models");
    if (mv_model_load(argv[1], NULL, &m, err, sizeof err) == MV_OK && pair(argv[1], m)) passed++, puts("ok   two threads, one shared model");
    else failed++, puts("FAIL two threads, one shared model");
    mv_model_free(m);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
