/* Numbers: f16/bf16 conversion, quantize/dequantize, and every dot kernel
   against its scalar twin and against a float64 reference. */

static double f16_value(uint16_t h) { return (double)f16_to_f32(h); }

static void test_f16_round_trip(test_state *t) {
    for (uint32_t h = 0; h < 65536; h++) {
        float f = f16_to_f32((uint16_t)h);
        if (isnan(f)) CHECKF(isnan(f16_to_f32(f32_to_f16(f))), "NaN 0x%04x", h);
        else CHECKF(f32_to_f16(f) == h, "0x%04x -> %g -> 0x%04x", h, f, f32_to_f16(f));
    }
}

/* f32 -> f16 picks the nearest value, ties to even, and overflows to inf. */
static void test_f16_rounding(test_state *t) {
    uint64_t s = 11;
    for (int i = 0; i < 200000; i++) {
        int e = (int)(test_random(&s) % 44) - 30;
        float x = ldexpf(test_uniform(&s), e);
        if (i % 7 == 0) x = f16_to_f32((uint16_t)(test_random(&s) & 0x7BFF)) + ldexpf(1, -25) * ((i & 1) ? 1 : -1);
        uint16_t h = f32_to_f16(x);
        double d0 = fabs(f16_value(h) - x);
        for (int step = -1; step <= 1; step += 2) {
            uint16_t nb = (uint16_t)(h + step);
            if ((nb & 0x7FFF) >= 0x7C00 || ((nb ^ h) & 0x8000)) continue;
            double dn = fabs(f16_value(nb) - x);
            CHECKF(d0 < dn || (d0 == dn && !(h & 1)), "%.9g -> 0x%04x, neighbour 0x%04x is nearer", x, h, nb);
        }
    }
    CHECK(f32_to_f16(65520.0f) == 0x7C00);
    CHECK(f32_to_f16(65519.0f) == 0x7BFF);
    CHECK(f32_to_f16(-INFINITY) == 0xFC00);
    CHECK(f32_to_f16(0x1p-25f) == 0);          /* halfway to the smallest subnormal: even */
    CHECK(f32_to_f16(0x1.8p-25f) == 1);
#if !defined(MV_NO_SIMD) && defined(SIMDE_X86_F16C_NATIVE)
    for (int i = 0; i < 100000; i++) {
        float x = ldexpf(test_uniform(&s), (int)(test_random(&s) % 40) - 28);
        uint16_t native = (uint16_t)simde_mm_extract_epi16(simde_mm_cvtps_ph(simde_mm_set1_ps(x), 0), 0);
        CHECKF(native == f32_to_f16(x), "%.9g: native 0x%04x, ours 0x%04x", x, native, f32_to_f16(x));
    }
#endif
}

static void test_bf16(test_state *t) {
    for (uint32_t h = 0; h < 65536; h++) {
        float f = bf16_to_f32((uint16_t)h);
        if (!isnan(f)) CHECKF(f32_to_bf16(f) == h, "0x%04x", h);
    }
    CHECK(f32_to_bf16(1.0f + 0x1p-8f) == 0x3F80);            /* tie: even */
    CHECK(f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3F81);
    CHECK(isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

/* The weight types with dot kernels, in type order. */
static int dot_types(int *types) {
    int n = 0;
    for (int ty = 0; ty < MV_TYPE_COUNT; ty++)
        if (DOT_KERNELS[KERNEL_SCALAR][ORDER_VEC][ty]) types[n++] = ty;
    return n;
}

static void random_floats(float *x, int n, float scale, uint64_t *s) {
    for (int i = 0; i < n; i++) x[i] = scale * test_uniform(s) * (1 + (test_random(s) % 4 == 0) * 3.0f);
}

/* Quantizers that fit scales (K types, code tables) are held to a bound on
   the RMS error of each 256 values relative to their RMS, a little above
   what they reach on these inputs; 0: the type has the per-element bound. */
static double fitted_error_bound(int type) {
    switch (type) {
    case MV_TYPE_Q2_K: return 0.40;
    case MV_TYPE_Q3_K: return 0.24;
    case MV_TYPE_Q4_K: case MV_TYPE_IQ4_XS: case MV_TYPE_IQ4_NL: return 0.12;
    case MV_TYPE_Q5_K: return 0.06;
    case MV_TYPE_Q6_K: return 0.032;
    case MV_TYPE_MXFP4: return 0.16;
    case MV_TYPE_TQ1_0: case MV_TYPE_TQ2_0: return 0.65;
    }
    return 0;
}

/* The largest error of an element of a block: a step of the grid (its
   scale, rounded to f16) for the types quantized as ggml's reference does. */
static float element_error_bound(int ty, float amax, float min, float max) {
    return ty == MV_TYPE_F32 ? 0 : ty == MV_TYPE_F16 ? fmaxf(amax * 0x1p-11f, 0x1p-25f) : ty == MV_TYPE_BF16 ? amax * 0x1p-8f
         : ty == MV_TYPE_MLX4 ? (max - min) / 15 * 0.5001f + 1e-6f * amax : ty == MV_TYPE_MLX8 ? (max - min) / 255 * 0.5001f + 1e-6f * amax
         : ty == MV_TYPE_Q8_0 ? amax / 127 * 0.6f : ty == MV_TYPE_Q4_0 ? amax / 8 * 1.01f
         : ty == MV_TYPE_Q5_0 ? amax / 16 * 1.01f : ty == MV_TYPE_Q4_1 ? (max - min) / 15 * 0.51f + 1e-3f * amax
         : (max - min) / 31 * 0.52f + 1e-3f * amax;
}

static void check_quantized_blocks(test_state *t, int ty, const float *x, const float *y, int n, const char *what) {
    const double bound = fitted_error_bound(ty);
    const int bs = bound ? QK_K : TYPES[ty].block_size;
    for (int b = 0; b < n / bs; b++) {
        float amax = 0, min = FLT_MAX, max = -FLT_MAX, err = 0;
        double sq_err = 0, sq = 0;
        for (int j = b * bs; j < (b + 1) * bs; j++) {
            amax = fmaxf(amax, fabsf(x[j])), min = fminf(min, x[j]), max = fmaxf(max, x[j]);
            err = fmaxf(err, fabsf(x[j] - y[j]));
            sq_err += (double)(x[j] - y[j]) * (x[j] - y[j]), sq += (double)x[j] * x[j];
        }
        if (bound) CHECKF(sqrt(sq_err) <= bound * sqrt(sq), "%s %s block %d: relative RMS error %g > %g", TYPES[ty].name, what, b, sqrt(sq_err / sq), bound);
        else CHECKF(err <= element_error_bound(ty, amax, min, max) + 1e-30f, "%s %s block %d: error %g > %g", TYPES[ty].name, what, b, err, element_error_bound(ty, amax, min, max));
    }
}

static void test_quantize_round_trip(test_state *t) {
    uint64_t s = 5;
    int types[MV_TYPE_COUNT], nt = dot_types(types);
    enum { N = 4096 };
    static float x[N], y[N];
    static uint8_t q[N * 4];
    for (int k = 0; k < nt; k++) {
        const int ty = types[k];
        if (!TYPES[ty].quantize) continue;
        for (int regime = 0; regime < 4; regime++) {
            char what[32];
            snprintf(what, sizeof what, "regime %d", regime);
            random_floats(x, N, regime == 0 ? 1.0f : regime == 1 ? 1e-3f : 300.0f, &s);
            if (regime == 3) /* sums of three uniforms: a bell, few values near the extremes */
                for (int i = 0; i < N; i++) x[i] = test_uniform(&s) + test_uniform(&s) + test_uniform(&s);
            TYPES[ty].quantize(x, q, N);
            TYPES[ty].dequantize(q, y, N);
            check_quantized_blocks(t, ty, x, y, N, what);
        }
        memset(x, 0, sizeof x);
        TYPES[ty].quantize(x, q, N);
        TYPES[ty].dequantize(q, y, N);
        for (int i = 0; i < N; i++) CHECKF(y[i] == 0, "%s: zero row gives %g", TYPES[ty].name, y[i]);
    }
    /* ternary weights (BitNet) survive TQ1_0/TQ2_0 exactly */
    for (int i = 0; i < N; i++) x[i] = 0.375f * (float)((int)(test_random(&s) % 3) - 1);
    for (int ty = MV_TYPE_TQ1_0; ty <= MV_TYPE_TQ2_0; ty++) {
        TYPES[ty].quantize(x, q, N);
        TYPES[ty].dequantize(q, y, N);
        CHECKF(!memcmp(x, y, sizeof x), "%s: ternary weights change", TYPES[ty].name);
    }
}

/* Byte offsets of the f16 fields of a block, which random bytes must not make NaN or inf. */
static int block_scale_offsets(int type, int *off) {
    switch (type) {
    case MV_TYPE_Q4_1: case MV_TYPE_Q5_1: case MV_TYPE_Q4_K: case MV_TYPE_Q5_K: off[0] = 0, off[1] = 2; return 2;
    case MV_TYPE_Q4_0: case MV_TYPE_Q5_0: case MV_TYPE_Q8_0: case MV_TYPE_IQ4_NL: case MV_TYPE_IQ4_XS: off[0] = 0; return 1;
    case MV_TYPE_Q2_K: off[0] = 80, off[1] = 82; return 2;
    case MV_TYPE_Q3_K: off[0] = 108; return 1;
    case MV_TYPE_Q6_K: off[0] = 208; return 1;
    case MV_TYPE_TQ1_0: off[0] = 52; return 1;
    case MV_TYPE_TQ2_0: off[0] = 64; return 1;
    }
    return 0;
}

/* Packing the integers of a K block gives the block back: from random
   bytes for every type whose bytes all mean something, from random codes
   for TQ1_0 (whose bytes are rounded-up fractions). */
static void test_kblock_packing(test_state *t) {
    uint64_t s = 21;
    static const int types[] = {MV_TYPE_Q2_K, MV_TYPE_Q3_K, MV_TYPE_Q4_K, MV_TYPE_Q5_K, MV_TYPE_Q6_K, MV_TYPE_IQ4_XS, MV_TYPE_TQ2_0};
    uint8_t block[QK_K], again[QK_K];
    kblock k, k2;
    for (int rep = 0; rep < 200; rep++) {
        for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
            const int ty = types[i];
            for (int b = 0; b < TYPES[ty].block_bytes; b++) block[b] = (uint8_t)test_random(&s);
            int off[4], n_off = block_scale_offsets(ty, off); /* f16 NaNs would not keep their payload */
            for (int j = 0; j < n_off; j++) memcpy(block + off[j], &(uint16_t){f32_to_f16(test_uniform(&s))}, 2);
            unpack_kblock(ty, block, 0, &k);
            pack_kblock(ty, &k, again, 0);
            CHECKF(!memcmp(block, again, (size_t)TYPES[ty].block_bytes), "%s: block %d does not pack back", TYPES[ty].name, rep);
        }
        memset(&k, 0, sizeof k);
        for (int e = 0; e < QK_K; e++) k.q[e] = (int8_t)(test_random(&s) % 3);
        k.d = 0.5f, k.offset = 1;
        for (int j = 0; j < 16; j++) k.scale[j] = 1;
        pack_kblock(MV_TYPE_TQ1_0, &k, block, 0);
        unpack_kblock(MV_TYPE_TQ1_0, block, 0, &k2);
        CHECKF(!memcmp(k.q, k2.q, sizeof k.q) && k2.d == 0.5f, "TQ1_0: codes %d do not unpack back", rep);
    }
}

/* A weight row in one of several regimes: quantized floats, random bytes
   (every code), all zero, all minimum / maximum codes, extreme scales. */
static void make_weights(int type, int n, int regime, uint8_t *w, uint64_t *s) {
    const size_t bytes = row_bytes(type, n);
    float x[8192];
    if (TYPES[type].quantize && (regime == 0 || TYPES[type].block_size == 1)) {
        float scale = regime == 4 ? 1e4f : regime == 5 ? 1e-4f : 1.0f;
        random_floats(x, n, regime == 2 ? 0 : scale, s);
        TYPES[type].quantize(x, w, n);
        return;
    }
    for (size_t i = 0; i < bytes; i++) w[i] = regime == 2 ? 0 : regime == 3 ? (i % 3 ? 0xFF : 0) : (uint8_t)test_random(s);
    if (type == MV_TYPE_MXFP4) /* a sane E8M0 scale: 2^-17 .. 2^13 */
        for (int b = 0; b < n / QK; b++) w[(size_t)b * 17] = (uint8_t)(regime == 4 ? 140 : regime == 5 ? 110 : 110 + test_random(s) % 30);
    if (type == MV_TYPE_MLX4 || type == MV_TYPE_MLX8) /* f32 scale and bias, sane or extreme */
        for (int b = 0; b < n / QK; b++) {
            const float dm[2] = {regime == 4 ? 1e4f : regime == 5 ? 1e-30f : test_uniform(s), regime == 4 ? -3e5f : test_uniform(s)};
            memcpy(w + (size_t)b * TYPES[type].block_bytes, dm, sizeof dm);
        }
    int off[4], n_off = block_scale_offsets(type, off);
    for (int b = 0; b < n / TYPES[type].block_size; b++)
        for (int k = 0; k < n_off; k++) {
            uint16_t d = regime == 4 ? 0x7BFF : regime == 5 ? 0x0001 : f32_to_f16(test_uniform(s));
            if (k == 1 && regime != 4) d = f32_to_f16(test_uniform(s));
            memcpy(w + (size_t)b * TYPES[type].block_bytes + off[k], &d, 2);
        }
}

/* Activations in the weight's dot type: quantized floats, or extremes. */
static void make_activations(int type, int n, int regime, uint8_t *a, float *af, uint64_t *s) {
    const int at = TYPES[type].dot_type;
    random_floats(af, n, regime == 4 ? 1e3f : 1.0f, s);
    if (regime == 2) for (int i = 0; i < n; i++) af[i] = 0;
    if (regime == 3) for (int i = 0; i < n; i++) af[i] = i % 2 ? 1.0f : -1.0f;
    (TYPES[at].quantize_activations ? TYPES[at].quantize_activations : TYPES[at].quantize)(af, a, n);
}

/* Σ w·a in double over dequantized rows, and Σ|w·a|. */
static double reference_dot(int type, int n, const uint8_t *w, const uint8_t *a, double *abs_sum) {
    float wf[8192], af[8192];
    TYPES[type].dequantize(w, wf, n);
    TYPES[TYPES[type].dot_type].dequantize(a, af, n);
    double sum = 0;
    *abs_sum = 0;
    for (int i = 0; i < n; i++) sum += (double)wf[i] * af[i], *abs_sum += fabs((double)wf[i] * af[i]);
    return sum;
}

/* Every SIMD kernel must give its scalar twin's result bit for bit (the
   order of operations is the same), where it runs natively; SIMDe's
   emulation of fused multiply-adds on targets without FMA rounds twice. */
static int same_result(float simd, float scalar, double abs_sum) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    (void)abs_sum;
    return f32_bits(simd) == f32_bits(scalar);
#else
    return fabs(simd - scalar) <= 1e-5 * abs_sum + 1e-30;
#endif
}

static void test_dot_kernels(test_state *t) {
    static const int sizes[] = {32, 64, 96, 160, 256, 4096, 1, 7, 31, 172, 300};
    int types[MV_TYPE_COUNT], nt = dot_types(types);
    uint64_t s = 99;
    static uint8_t w[8192 * 4], a[8192 * 4];
    static float af[8192];
    int compared = 0;
    for (int k = 0; k < nt; k++) {
        const int ty = types[k];
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            const int n = sizes[si];
            if (n % TYPES[ty].block_size || n % TYPES[TYPES[ty].dot_type].block_size) continue;
            for (int regime = 0; regime < 6; regime++)
                for (int rep = 0; rep < 4; rep++) {
                    make_weights(ty, n, regime, w, &s);
                    make_activations(ty, n, rep == 3 ? 3 : regime == 4 ? 4 : regime == 2 && rep ? 2 : 0, a, af, &s);
                    double abs_sum, ref = reference_dot(ty, n, w, a, &abs_sum);
                    /* Q4_1/Q5_1 add m·s with s = d·Σq rounded to f16 */
                    double tol_ref = 2e-6 * abs_sum + (type_has_offset(ty) ? 2e-3 * abs_sum : 0) + 1e-30;
                    /* every order the type has (float GEMM rows: multiples of 16, BF16 32) */
                    for (int order = 0; order < ORDERS; order++) {
                        const dot_fn scalar_fn = DOT_KERNELS[KERNEL_SCALAR][order][ty];
                        if (!scalar_fn || (order == ORDER_GEMM && TYPES[ty].block_size == 1 && n % (ty == MV_TYPE_BF16 ? 32 : 16))) continue;
                        const float scalar = scalar_fn(n, w, a);
                        CHECKF(fabs(scalar - ref) <= tol_ref, "%s order %d n=%d regime %d: scalar %g, reference %g", TYPES[ty].name,
                               order, n, regime, scalar, ref);
                        for (int level = 1; level < KERNEL_LEVELS; level++) {
                            const dot_fn f = DOT_KERNELS[level][order][ty];
                            if (!f) continue;
                            const float simd = f(n, w, a);
                            compared++;
                            CHECKF(same_result(simd, scalar, abs_sum), "%s %s order %d n=%d regime %d: %.9g vs scalar %.9g",
                                   KERNEL_NAMES[level], TYPES[ty].name, order, n, regime, simd, scalar);
                        }
                    }
                }
        }
    }
#ifndef MV_NO_SIMD
    CHECKF(compared > 1000, "only %d SIMD comparisons ran", compared);
#endif
    snprintf(t->note, sizeof t->note, "%d SIMD results compared; native level here: %s", compared, KERNEL_NAMES[native_kernel_level()]);
}

/* scale_floats to F16 (16 or 8 at a time where the target has it): each
   product x·f as f32_to_f16 and back rounds it, halfway cases, the F16
   range's ends, infinities and NaNs included, for every length and offset;
   f = 1 (round_f16) and others. */
static void test_round_f16(test_state *t) {
    uint64_t s = 17;
    float x[80], y[80];
    int compared = 0;
    for (int rep = 0; rep < 3000; rep++) {
        const int n = (int)(test_random(&s) % 70), off = (int)(test_random(&s) % 8);
        for (int i = 0; i < n; i++) {
            float v = ldexpf(test_uniform(&s) * 2 - 1, (int)(test_random(&s) % 48) - 30);
            if (i % 5 == 1) v = f16_to_f32((uint16_t)(test_random(&s) & 0xFBFF)) + ldexpf(1, -25) * ((i & 2) ? 1 : -1);
            if (rep % 97 == 3 && i == n / 2) v = (rep & 1) ? NAN : -INFINITY;
            if (rep % 89 == 5 && i == n / 3) v = 65520.0f;
            x[off + i] = y[off + i] = v;
        }
        const float f = rep % 3 ? 1.0f : 0.3f + test_uniform(&s);
        if (f == 1.0f) round_f16(y + off, n);
        else scale_floats(y + off, n, f, true);
        for (int i = 0; i < n; i++, compared++) {
            const float want = f16_to_f32(f32_to_f16(x[off + i] * f));
            CHECKF(!memcmp(&y[off + i], &want, 4) || (isnan(want) && isnan(y[off + i])), "round_f16(%.9g) = %.9g, want %.9g", x[off + i],
                   y[off + i], want);
        }
    }
    snprintf(t->note, sizeof t->note, "%d values", compared);
}

/* exp_approx: within 2 ulp of exp over the range softmax and SwiGLU use. */
static void test_exp_approx(test_state *t) {
    for (float x = -87.0f; x < 88.0f; x += 0.0137f) {
        double e = exp((double)x), got = exp_approx(x);
        CHECKF(fabs(got - e) <= 2.5 * ldexp(1, ilogb(e) - 23), "exp_approx(%g) = %.9g, exp %.9g", x, got, e);
    }
    CHECK(exp_approx(-INFINITY) == 0 && exp_approx(-200) == 0 && isinf(exp_approx(200)) && isnan(exp_approx(NAN)));
    CHECK(exp_approx(0) == 1.0f);
    /* 16 at a time: the scalar function's bits, special cases in a lane included */
    uint64_t s = 5;
    int compared = 0;
    for (int rep = 0; rep < 4000; rep++) {
        float x[16], y[16];
        for (int l = 0; l < 16; l++) x[l] = (test_uniform(&s) * 2 - 1) * (rep % 3 == 0 ? 200.0f : 90.0f);
        if (rep % 50 == 1) x[rep % 16] = rep % 100 == 1 ? NAN : -INFINITY;
        exp_approx16(x, y);
        for (int l = 0; l < 16; l++, compared++) {
            const float want = exp_approx(x[l]);
            CHECKF(!memcmp(&y[l], &want, 4) || (isnan(y[l]) && isnan(want)), "exp_approx16(%.9g) = %.9g, exp_approx %.9g", x[l], y[l], want);
        }
    }
    snprintf(t->note, sizeof t->note, "%d values 16 at a time", compared);
}

static const test_case NUMBER_TESTS[] = {
    {"numbers.f16_round_trip", test_f16_round_trip, NULL},
    {"numbers.f16_rounding", test_f16_rounding, NULL},
    {"numbers.bf16", test_bf16, NULL},
    {"numbers.quantize_round_trip", test_quantize_round_trip, NULL},
    {"numbers.kblock_packing", test_kblock_packing, NULL},
    {"numbers.dot_kernels", test_dot_kernels, NULL},
    {"numbers.exp_approx", test_exp_approx, NULL},
    {"numbers.round_f16", test_round_f16, NULL},
};
