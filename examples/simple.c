/* simple.c — the whole Minerva API in one small program.
   cc examples/simple.c minerva.c -lm -fopenmp -o simple && ./simple model.gguf "Once upon a time" */
#include "../minerva.h"
#include <stdio.h>

static int print_piece(const char *text, int len, mv_token token, void *user) {
    (void)token, (void)user;
    fwrite(text, 1, (size_t)len, stdout);
    fflush(stdout);
    return 0; /* non-zero stops generation */
}

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: %s MODEL.gguf PROMPT\n", argv[0]), 2;
    char err[256];
    mv_model *model;
    if (mv_model_load(argv[1], NULL, &model, err, sizeof err) != MV_OK) return fprintf(stderr, "%s\n", err), 1;
    mv_context_params cp = mv_context_default_params();
    cp.n_ctx = 512;
    mv_context *ctx;
    if (mv_context_create(model, &cp, &ctx, err, sizeof err) != MV_OK) return fprintf(stderr, "%s\n", err), 1;
    mv_sampler_params sp = mv_sampler_default_params(); /* temperature 0.8, top-k 40, top-p 0.95 */
    mv_sampler *sampler = mv_sampler_create(&sp);
    mv_generate_stats stats;
    int rc = mv_generate(ctx, sampler, argv[2], 64, print_piece, NULL, &stats);
    if (rc != MV_OK) fprintf(stderr, "\n%s: %s\n", mv_status_string(rc), mv_context_error(ctx));
    fprintf(stderr, "\n%d tokens at %.1f tokens/s\n", stats.n_generated, stats.n_generated / stats.generate_seconds);
    mv_sampler_free(sampler);
    mv_context_free(ctx);
    mv_model_free(model);
    return rc != MV_OK;
}
