/* minerva.h — LLM inference in C.  Public API.  MIT licensed (see LICENSE).

   Minerva runs GGUF language models (Llama, TinyLlama, Mistral, ...) on the
   CPU. Drop minerva.h and minerva.c into a project and compile:

       cc -O2 -march=native -fopenmp app.c minerva.c -lm

   OpenMP is optional (without it Minerva runs on one thread); SIMD kernels
   come from SIMDe (Debian: libsimde-dev) and stb_ds (libstb-dev).

   USAGE

       char err[256];
       mv_model *model;
       if (mv_model_load("model.gguf", NULL, &model, err, sizeof err) != MV_OK) {
           fprintf(stderr, "%s\n", err);
           return 1;
       }
       mv_context *ctx;
       mv_context_params cp = mv_context_default_params();
       cp.n_ctx = 2048;
       mv_context_create(model, &cp, &ctx, err, sizeof err);

       mv_sampler_params sp = mv_sampler_default_params();
       sp.temperature = 0.8f;
       mv_sampler *sampler = mv_sampler_create(&sp);

       mv_generate(ctx, sampler, "Once upon a time", 128, print_piece, NULL, NULL);

       mv_sampler_free(sampler);
       mv_context_free(ctx);
       mv_model_free(model);

   THE PIECES

   - A model (mv_model) is a memory-mapped model file: metadata, tensors,
     hyperparameters and tokenizer. It is read-only once loaded, so several
     contexts — in several threads — may share one model.
   - A context (mv_context) owns a KV cache and scratch memory, sized once at
     creation. mv_decode() evaluates a batch of tokens at given positions and
     leaves logits behind. One context is used by one thread at a time
     (inside a call it parallelizes with OpenMP over n_threads).
   - A sampler (mv_sampler) turns logits into a token: greedy, temperature,
     top-k, top-p, min-p, repetition penalties, seeded.
   - mv_generate() ties them together: tokenize, evaluate the prompt in one
     batch, sample, stream pieces of text to a callback.

   ERRORS

   Functions that can fail return an int: MV_OK (0) or a negative MV_ERR_*
   code. Loaders write a message naming what and where into the caller's
   buffer ("tensor blk.3.attn_q.weight: offset past end of file"); a context
   keeps the message of its last failure (mv_context_error). Nothing prints
   unless asked, and no state is global. */
#ifndef MINERVA_H
#define MINERVA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MV_VERSION "0.1.0"

typedef int32_t mv_token;
typedef struct mv_model mv_model;
typedef struct mv_context mv_context;
typedef struct mv_sampler mv_sampler;

enum mv_status {
    MV_OK = 0,
    MV_ERR_IO = -1,          /* a file could not be opened, read, mapped or written */
    MV_ERR_FORMAT = -2,      /* a file is malformed */
    MV_ERR_UNSUPPORTED = -3, /* well-formed, but uses something Minerva does not implement */
    MV_ERR_NOMEM = -4,       /* an allocation failed */
    MV_ERR_ARG = -5,         /* a bad argument (unknown token id, position, parameter) */
    MV_ERR_CONTEXT_FULL = -6 /* the KV cache has no room for the batch */
};
const char *mv_status_string(int status);

/* Element types of tensors and of the KV cache: the GGUF (ggml) type ids. */
typedef enum mv_type {
    MV_TYPE_F32 = 0, MV_TYPE_F16 = 1, MV_TYPE_Q4_0 = 2, MV_TYPE_Q4_1 = 3,
    MV_TYPE_Q5_0 = 6, MV_TYPE_Q5_1 = 7, MV_TYPE_Q8_0 = 8, MV_TYPE_Q8_1 = 9,
    MV_TYPE_Q2_K = 10, MV_TYPE_Q3_K = 11, MV_TYPE_Q4_K = 12, MV_TYPE_Q5_K = 13,
    MV_TYPE_Q6_K = 14, MV_TYPE_Q8_K = 15, MV_TYPE_IQ2_XXS = 16, MV_TYPE_IQ2_XS = 17,
    MV_TYPE_IQ3_XXS = 18, MV_TYPE_IQ1_S = 19, MV_TYPE_IQ4_NL = 20, MV_TYPE_IQ3_S = 21,
    MV_TYPE_IQ2_S = 22, MV_TYPE_IQ4_XS = 23, MV_TYPE_I8 = 24, MV_TYPE_I16 = 25,
    MV_TYPE_I32 = 26, MV_TYPE_I64 = 27, MV_TYPE_F64 = 28, MV_TYPE_IQ1_M = 29,
    MV_TYPE_BF16 = 30, MV_TYPE_TQ1_0 = 34, MV_TYPE_TQ2_0 = 35, MV_TYPE_MXFP4 = 39,
    /* Minerva's own, for MLX's affine quantization repacked at load (never in a GGUF file) */
    MV_TYPE_MLX4 = 40, MV_TYPE_MLX8 = 41,
    MV_TYPE_COUNT = 42
} mv_type;

/* "Q4_0", "F16", ...; NULL for an id that names no type. */
const char *mv_type_name(int type);
/* The type with that name (case-insensitive), or -1. */
int mv_type_from_name(const char *name);

/* ---- Models ---------------------------------------------------------------- */

typedef struct mv_model_params {
    int vocab_only;   /* read metadata and tokenizer only; no weights are bound */
    int scalar_only;  /* use the scalar reference kernels instead of SIMD ones */
    int no_repack;    /* compute on the weights where the file is mapped, as stored,
                         instead of on copies made at load (repacked for their
                         kernels, in huge pages): a faster load and less memory
                         moved, slower matrix products */
    const char *tokenizer; /* a tokenizer file to use instead of the model's own
                              (tokenizer.json, tokenizer.model, llama2.c tokenizer.bin); NULL: the model's */
} mv_model_params;

mv_model_params mv_model_default_params(void);

/* Loads a model: a GGUF file; a Hugging Face or MLX model directory
   (config.json, model.safetensors or its shards, tokenizer.json or
   tokenizer.model); a llama2.c checkpoint (.bin, with tokenizer.bin beside
   it); or a tokenizer file alone (a model without weights). params may be
   NULL (defaults). On failure *model is NULL and err (if not NULL) holds a
   message of at most err_size-1 bytes. */
int mv_model_load(const char *path, const mv_model_params *params,
                  mv_model **model, char *err, size_t err_size);
void mv_model_free(mv_model *model);

/* Hyperparameters. */
const char *mv_model_arch(const mv_model *model);      /* "llama", ... */
const char *mv_model_format(const mv_model *model);    /* "gguf", "safetensors", "mlx", "llama2.c" or "tokenizer" */
int mv_model_n_vocab(const mv_model *model);
int mv_model_n_embd(const mv_model *model);
int mv_model_n_layer(const mv_model *model);
int mv_model_n_ctx_train(const mv_model *model);
uint64_t mv_model_n_params(const mv_model *model);     /* weights, counted in elements */
uint64_t mv_model_weight_bytes(const mv_model *model); /* bytes of all tensors */
const char *mv_model_kernels(const mv_model *model);   /* "avx512", "avx2", "neon" or "scalar" */

/* Metadata: every key/value of the file. Keys are enumerated by index;
   values are rendered as text (strings as they are, numbers in decimal,
   arrays as "[n] v0, v1, ..." abbreviated to the buffer). Returns the full
   length of the rendering (like snprintf), or -1 if the key is absent. */
int mv_model_meta_count(const mv_model *model);
const char *mv_model_meta_key(const mv_model *model, int i);
int mv_model_meta_value(const mv_model *model, const char *key, char *buf, size_t size);

/* Tensors, in file order. */
typedef struct mv_tensor_info {
    const char *name;
    mv_type type;
    int n_dims;
    int64_t ne[4];     /* ne[0] is the innermost (contiguous) dimension */
    uint64_t offset;   /* byte offset of the data in the file */
    uint64_t nbytes;
} mv_tensor_info;
int mv_model_n_tensors(const mv_model *model);
int mv_model_tensor(const mv_model *model, int i, mv_tensor_info *info);

/* ---- Tokens ------------------------------------------------------------------ */

enum {
    MV_TOKENIZE_ADD_SPECIAL = 1,   /* add BOS/EOS as the model's metadata says */
    MV_TOKENIZE_PARSE_SPECIAL = 2  /* text like "<s>" becomes its special token */
};

/* Tokenizes len bytes of text (len < 0: up to the NUL). Writes at most n_max
   ids and returns how many there are in all (call again with a larger
   buffer if that is more than n_max), or a negative MV_ERR_*. */
int mv_tokenize(const mv_model *model, const char *text, int len,
                mv_token *tokens, int n_max, int flags);

/* The bytes of one token (special tokens only when special != 0; byte tokens
   <0xHH> as their raw byte). Returns the full length; writes at most size. */
int mv_token_to_piece(const mv_model *model, mv_token token, char *buf, int size, int special);

/* Joins tokens into text, dropping a leading BOS and the space the
   tokenizer put before the first word. Returns the full length. */
int mv_detokenize(const mv_model *model, const mv_token *tokens, int n_tokens,
                  char *buf, int size, int special);

mv_token mv_token_bos(const mv_model *model);  /* -1 if none */
mv_token mv_token_eos(const mv_model *model);  /* -1 if none */
int mv_token_is_end(const mv_model *model, mv_token token);  /* EOS, EOT, ... */

/* ---- Contexts ------------------------------------------------------------------ */

typedef struct mv_context_params {
    int n_ctx;       /* KV cache length per sequence (0: the model's training context, at most 4096) */
    int n_batch;     /* most tokens evaluated in one forward pass; larger batches are split */
    int n_threads;   /* OpenMP threads (0: all cores) */
    int n_seq;       /* independent sequences in the cache */
    mv_type kv_type; /* MV_TYPE_F16 (default), MV_TYPE_F32, or MV_TYPE_Q8_0 (half of F16; heads of a multiple of 32) */
} mv_context_params;

mv_context_params mv_context_default_params(void);
int mv_context_create(mv_model *model, const mv_context_params *params,
                      mv_context **ctx, char *err, size_t err_size);
void mv_context_free(mv_context *ctx);
const char *mv_context_error(const mv_context *ctx);
const mv_model *mv_context_model(const mv_context *ctx);

/* A batch of tokens. Optional arrays may be NULL:
   pos    NULL: each token continues its sequence (position = its length);
   seq_id NULL: every token is in sequence 0;
   logits NULL: only the last token's logits are kept. */
typedef struct mv_batch {
    int n_tokens;
    const mv_token *tokens;
    const int32_t *pos;
    const int32_t *seq_id;
    const int8_t *logits;
} mv_batch;

/* Evaluates the batch. A token at position p of sequence s sees positions
   0..p of s; positions must increase within a sequence and continue it
   without a gap (a position below the length first truncates the sequence). */
int mv_decode(mv_context *ctx, const mv_batch *batch);

/* Logits of the i-th token that asked for them in the last mv_decode
   (i = -1: the last one), n_vocab floats; NULL if there is no such row. */
const float *mv_get_logits(mv_context *ctx, int i);
int mv_n_outputs(const mv_context *ctx);

/* Mixtures of experts: how many tokens layer `layer` has sent to each
   expert since the context was made, into counts[0..n_expert) (NULL: just
   the count of experts). Returns
   n_expert (0: the model has no experts; counts is not touched), or
   MV_ERR_ARG for a layer out of range. */
int mv_expert_counts(const mv_context *ctx, int layer, uint64_t *counts);

int mv_kv_length(const mv_context *ctx, int seq_id);
/* Keeps the first n_keep positions of sequence seq_id (-1: all sequences).
   Models with sliding-window layers keep only the recent window of those
   layers: going back further than that fails (MV_ERR_ARG, see
   mv_context_error) and leaves the cache as it was; truncating to 0 always
   works. */
int mv_kv_truncate(mv_context *ctx, int seq_id, int n_keep);

/* ---- Sampling ------------------------------------------------------------------- */

typedef struct mv_sampler_params {
    float temperature;       /* <= 0: greedy */
    int top_k;               /* 0: off */
    float top_p;             /* 1: off */
    float min_p;             /* 0: off */
    float repeat_penalty;    /* 1: off; divides positive logits of recent tokens */
    float frequency_penalty; /* 0: off */
    float presence_penalty;  /* 0: off */
    int repeat_last_n;       /* how many recent tokens the penalties look at */
    uint64_t seed;
} mv_sampler_params;

mv_sampler_params mv_sampler_default_params(void);
mv_sampler *mv_sampler_create(const mv_sampler_params *params);
void mv_sampler_free(mv_sampler *sampler);
/* Picks a token from n_vocab logits (not modified) and remembers it for the penalties. */
mv_token mv_sampler_sample(mv_sampler *sampler, const float *logits, int n_vocab);
/* Remembers a token the sampler did not pick (a prompt token) for the penalties. */
void mv_sampler_accept(mv_sampler *sampler, mv_token token);
void mv_sampler_reset(mv_sampler *sampler);

/* ---- Generation ------------------------------------------------------------------ */

/* Receives each piece of generated text (complete UTF-8 only) and its token.
   Returns non-zero to stop. */
typedef int (*mv_piece_fn)(const char *text, int len, mv_token token, void *user);

typedef struct mv_generate_stats {
    int n_prompt, n_generated;
    double prompt_seconds;   /* evaluating the prompt */
    double generate_seconds; /* sampling and evaluating the generated tokens */
    double first_token_seconds; /* from the call to the first generated token */
} mv_generate_stats;

/* Appends the prompt to sequence 0 (BOS first if the sequence is empty and
   the model wants one), then generates up to n_predict tokens, stopping at
   an end token. stats may be NULL. */
int mv_generate(mv_context *ctx, mv_sampler *sampler, const char *prompt, int n_predict,
                mv_piece_fn on_piece, void *user, mv_generate_stats *stats);

/* ---- Chat ---------------------------------------------------------------------- */

/* Renders a chat template as Hugging Face transformers does (its Jinja
   dialect: trim_blocks, lstrip_blocks, its tojson) with a context given as
   JSON text, e.g. {"messages": [{"role": "user", "content": "Hi"}],
   "add_generation_prompt": true, "tools": [...]}. tmpl: a template, or NULL
   for the model's own (GGUF tokenizer.chat_template, or the chat_template of
   tokenizer_config.json). model may be NULL when tmpl is given; when given,
   its BOS and EOS texts are the defaults of bos_token and eos_token. now:
   "YYYY-MM-DD", the date strftime_now formats (NULL: today). On success *out
   is a NUL-terminated string to free(). An error names the template line;
   raise_exception's message is kept verbatim. */
int mv_chat_render(const mv_model *model, const char *tmpl, const char *context_json, const char *now,
                   char **out, char *err, size_t err_size);
const char *mv_chat_template(const mv_model *model);  /* the model's template, or NULL */

/* GPT-OSS answers in OpenAI's harmony format: a reply is one or more
   messages, each on a channel, "analysis" (reasoning), "commentary" (tool
   calls, with a recipient) or "final" (the answer). A harmony reader splits
   a reply into its messages as the reply streams in. */
typedef struct mv_harmony mv_harmony;
typedef struct mv_harmony_message {
    const char *role;          /* "assistant", or "tool" for a tool's message */
    const char *name;          /* a tool's name, or NULL */
    const char *channel;       /* "analysis", "commentary", "final", or NULL */
    const char *recipient;     /* "functions.get_weather", ..., or NULL */
    const char *content_type;  /* "<|constrain|>json", "code", ..., or NULL */
    const char *content;       /* the text so far (valid UTF-8) */
    int complete;              /* the message has ended */
} mv_harmony_message;

/* A reader for a reply. role: "assistant" when the prompt ended with
   "<|start|>assistant" (as GPT-OSS's template leaves it), so the reply
   starts inside that header; NULL when the reply starts with <|start|>.
   NULL if out of memory or role is not a harmony role. */
mv_harmony *mv_harmony_create(const char *role);
void mv_harmony_free(mv_harmony *h);
/* Feeds reply text, special tokens as their text ("<|end|>"); a chunk may
   end in the middle of one. MV_OK, or MV_ERR_FORMAT when the reply breaks
   the format (mv_harmony_error says how; later calls fail the same way). */
int mv_harmony_feed(mv_harmony *h, const char *text, int len);
/* Feeds one token's text, saying whether it is a special token, so that
   ordinary text that looks like "<|end|>" stays text. */
int mv_harmony_feed_token(mv_harmony *h, const char *text, int len, int special);
int mv_harmony_finish(mv_harmony *h);          /* the reply is over */
int mv_harmony_count(const mv_harmony *h);     /* messages so far, the one being read included */
/* Message i (0 <= i < count); the pointers stay valid until the next feed. */
int mv_harmony_get(const mv_harmony *h, int i, mv_harmony_message *message);
const char *mv_harmony_error(const mv_harmony *h);

/* ---- Writing models ------------------------------------------------------------ */

/* Writes a model with random weights (N(0,1)/sqrt(fan_in), norms near 1) and
   a synthetic SentencePiece vocabulary, or the tokenizer of another GGUF:
   for demos, tests and benchmarks, loadable by llama.cpp too.
   shape: "demo" (tiny), "tinyllama-1.1b", "llama-3b", "llama-7b",
   "mistral-7b"; with experts "moe-demo", "qwen3moe-30b-a3b"; GPT-OSS
   "gpt-oss-demo", "gpt-oss-6l" (gpt-oss-20b's layers, 6 of them; and
   "gpt-oss-6l-dense", a dense llama with its active parameters),
   "gpt-oss-20b", "gpt-oss-120b". */
typedef struct mv_make_model_params {
    const char *arch;   /* NULL: the shape's; else "llama", "qwen2", "qwen3", "qwen3moe", "gpt-oss" where it fits the shape */
    const char *shape;
    const char *type;   /* the weights' type or mixture, as mv_quantize takes it ("Q4_0", "Q4_K_M"); NULL: F32 */
    const char *vocab_from; /* a GGUF whose tokenizer.* metadata is copied (and its size used); NULL: synthetic */
    uint64_t seed;
    int n_threads;      /* 0: all cores */
} mv_make_model_params;
mv_make_model_params mv_make_model_default_params(void);
int mv_make_model(const mv_make_model_params *params, const char *path, char *err, size_t err_size);

/* Writes the model at `in` (any model mv_model_load reads: GGUF, a Hugging
   Face or MLX directory, a llama2.c checkpoint) as a GGUF file at `out`,
   with its weights quantized; tensors get their GGUF names (and Llama's Q/K
   rows the order GGUF files keep), a tokenizer file beside the model
   becomes tokenizer.ggml.* metadata. type is a type name ("Q4_K": every 2-D weight in that type, as
   llama-quantize --pure), or a llama.cpp mixture ("Q4_K_M", "Q3_K_L",
   "Q2_K_S", "MXFP4_MOE", or "mix-" and a type, "mix-Q4_0": llama.cpp's
   choice per tensor by role and layer). A weight whose rows the type cannot
   hold takes llama.cpp's fallback (Q4_K -> Q5_0, ...). Norms, biases and
   other 1-D tensors are copied; so is the metadata, with general.file_type
   set. Quantized sources are dequantized first. n_threads 0: all cores. */
int mv_quantize(const char *in, const char *out, const char *type, int n_threads, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif /* MINERVA_H */
