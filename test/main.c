/* The test runner: every test of the engine in one program. It includes
   minerva.c itself, so the internal (static) functions are testable.

   usage: test_minerva [--filter a,b] [--kit DIR] [--minerva PATH] [--list]
   Ends with the line "N passed, N failed, N skipped"; exit 1 on a failure. */
#include "../minerva.c"

#include <ftw.h>
#include <sys/wait.h>

#include "harness.h"
#include "test_numbers.c"
#include "test_matmul.c"
#include "test_model.c"
#include "test_gguf.c"
#include "test_text.c"
#include "test_model_files.c"
#include "test_kit.c"
#include "test_cli.c"
#include "test_bench.c"

static const struct {
    const test_case *cases;
    size_t n;
} SUITES[] = {
#define SUITE(x) {x, sizeof x / sizeof *x}
    SUITE(NUMBER_TESTS), SUITE(MATMUL_TESTS), SUITE(GGUF_TESTS), SUITE(MODEL_TESTS), SUITE(TEXT_TESTS), SUITE(MODEL_FILE_TESTS), SUITE(CLI_TESTS),
    SUITE(BENCH_TESTS),
#undef SUITE
};

static bool selected(const char *name, const char *filter) {
    if (!filter) return true;
    char list[1024];
    snprintf(list, sizeof list, "%s", filter);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        if (strstr(name, tok)) return true;
    return false;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv) {
    const char *filter = NULL, *kit = getenv("MINERVA_KIT") ? getenv("MINERVA_KIT") : "../shared/kit";
    bool list = false;
    CONFIG.minerva = "build/minerva";
    CONFIG.npm = getenv("MINERVA_NPM") ? getenv("MINERVA_NPM") : "build/npm/node_modules";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--kit") && i + 1 < argc) kit = argv[++i];
        else if (!strcmp(argv[i], "--minerva") && i + 1 < argc) CONFIG.minerva = argv[++i];
        else if (!strcmp(argv[i], "--npm") && i + 1 < argc) CONFIG.npm = argv[++i];
        else if (!strcmp(argv[i], "--list")) list = true;
        else {
            fprintf(stderr, "usage: %s [--filter a,b] [--kit DIR] [--minerva PATH] [--npm NODE_MODULES] [--list]\n", argv[0]);
            return 2;
        }
    }
    struct stat st;
    char readme[1024];
    snprintf(readme, sizeof readme, "%s/README.md", kit);
    CONFIG.kit = stat(readme, &st) == 0 ? kit : NULL;
    if (!CONFIG.kit) printf("notice: no conformance kit at %s; the kit tests are skipped\n", kit);
    char tmp[] = "/tmp/minerva-test-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 2;
    }
    CONFIG.tmp = tmp;

    test_case *all = NULL;
    for (size_t s = 0; s < sizeof SUITES / sizeof *SUITES; s++)
        for (size_t i = 0; i < SUITES[s].n; i++) arrput(all, SUITES[s].cases[i]);
    static char names[sizeof KIT_CASES / sizeof *KIT_CASES + 64][96]; /* kit cases, vocabularies, tokenizers */
    size_t n_names = 0;
    for (size_t i = 0; i < sizeof KIT_CASES / sizeof *KIT_CASES; i++) {
        snprintf(names[n_names], sizeof names[0], "kit.logits.%s", KIT_CASES[i].name);
        arrput(all, ((test_case){names[n_names++], test_kit_model, &KIT_CASES[i]}));
    }
    arrput(all, ((test_case){"kit.golden_text", test_kit_golden, NULL}));
    arrput(all, ((test_case){"kit.quantizers", test_kit_quantizers, NULL}));
    arrput(all, ((test_case){"kit.quantize_mixtures", test_kit_quantize_mixtures, NULL}));
    arrput(all, ((test_case){"kit.harmony", test_kit_harmony, NULL}));
    arrput(all, ((test_case){"kit.yarn", test_kit_yarn, NULL}));
    arrput(all, ((test_case){"kit.oss_small_batches", test_kit_oss_small_batches, NULL}));
    arrput(all, ((test_case){"kit.quantize_sources", test_kit_quantize_sources, NULL}));
    static const char *vocabs[] = {"vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf", "vocab/ggml-vocab-gpt-2.gguf",
                                   "vocab/ggml-vocab-deepseek-coder.gguf", "vocab/ggml-vocab-deepseek-llm.gguf",
                                   "vocab/ggml-vocab-falcon.gguf", "vocab/ggml-vocab-mpt.gguf", "vocab/ggml-vocab-refact.gguf",
                                   "vocab/ggml-vocab-starcoder.gguf"};
    for (size_t i = 0; i < sizeof vocabs / sizeof *vocabs; i++) {
        snprintf(names[n_names], sizeof names[0], "kit.vocab.%s", strrchr(vocabs[i], '/') + 1);
        arrput(all, ((test_case){names[n_names++], test_kit_vocab, vocabs[i]}));
    }
    _Static_assert(sizeof vocabs / sizeof *vocabs + sizeof TOKENIZER_CASES / sizeof *TOKENIZER_CASES <= 64, "names");
    for (size_t i = 0; i < sizeof TOKENIZER_CASES / sizeof *TOKENIZER_CASES; i++) {
        snprintf(names[n_names], sizeof names[0], "kit.tokenizer.%s", TOKENIZER_CASES[i].name);
        arrput(all, ((test_case){names[n_names++], test_kit_tokenizer, &TOKENIZER_CASES[i]}));
    }

    int passed = 0, failed = 0, skipped = 0;
    for (ptrdiff_t i = 0; i < arrlen(all); i++) {
        if (!selected(all[i].name, filter)) continue;
        if (list) {
            printf("%s\n", all[i].name);
            continue;
        }
        test_state t = {.name = all[i].name, .arg = all[i].arg};
        double t0 = now_seconds();
        all[i].fn(&t);
        double dt = now_seconds() - t0;
        if (t.failures) {
            failed++;
            printf("FAIL %-40s %6.2fs  (%d failed checks)\n", t.name, dt, t.failures);
        } else if (t.skipped) {
            skipped++;
            printf("skip %-40s %s\n", t.name, t.note);
        } else {
            passed++;
            printf("ok   %-40s %6.2fs  %s\n", t.name, dt, t.note);
        }
        fflush(stdout);
    }
    arrfree(all);
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (!list) printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
