#!/usr/bin/env bash
# compare.sh — Minerva and llama.cpp side by side on the same model file.
#
#   bench/compare.sh -m MODEL [--llama-bench PATH] [-p 512] [-n 128] [-d 0] [-t THREADS] [-r 5]
#
# Runs `minerva bench` and an existing llama-bench binary in alternating rounds
# (one repetition of every test per round, the order flipping each round, the
# same threads, prompt, generation and depth sizes), then prints per test both
# tools' mean t/s with its 95% confidence range and the ratio Minerva / llama.cpp
# with its range. It uses the llama-bench it is given (--llama-bench PATH, else
# $LLAMA_BENCH, else llama-bench on PATH); it never downloads or builds one.
# Lists are comma-separated, as for both tools: -p 128,512 -d 0,1024.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
minerva=${MINERVA:-$here/../build/minerva}
llama=${LLAMA_BENCH:-}
model= p=512 n=128 d=0 r=5 t=$(nproc 2>/dev/null || echo 1)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
    -m | --model) model=$2 ;;
    -p | --n-prompt) p=$2 ;;
    -n | --n-gen) n=$2 ;;
    -d | --n-depth) d=$2 ;;
    -t | --threads) t=$2 ;;
    -r | --repetitions) r=$2 ;;
    --llama-bench) llama=$2 ;;
    --minerva) minerva=$2 ;;
    *) usage ;;
    esac
    shift 2
done
[ -n "$model" ] || usage
[ -n "$llama" ] || llama=$(command -v llama-bench || true)
if [ -z "$llama" ] || [ ! -x "$llama" ]; then
    cat >&2 <<EOF
compare.sh: no llama-bench binary${llama:+ at '$llama'}.
Point at an existing build of llama.cpp's llama-bench, for example:
    bench/compare.sh -m $model --llama-bench /path/to/llama.cpp/build/bin/llama-bench
or set LLAMA_BENCH=/path/to/llama-bench, or put llama-bench on PATH.
(This script only runs a llama-bench that is already installed; it never downloads or builds one.)
EOF
    exit 2
fi
[ -x "$minerva" ] || { echo "compare.sh: no minerva at $minerva (run ./build.sh, or pass --minerva PATH)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(-m "$model" -p "$p" -n "$n" -d "$d" -t "$t" -r 1 -o csv)
run_minerva() { "$minerva" bench "${args[@]}" --bw-size 0 >"$out/minerva-$1.csv" 2>"$out/minerva.err" ||
    { echo "compare.sh: minerva bench failed:" >&2; cat "$out/minerva.err" >&2; exit 1; }; }
run_llama() { "$llama" "${args[@]}" >"$out/llama-$1.csv" 2>"$out/llama.err" ||
    { echo "compare.sh: $llama failed:" >&2; tail -5 "$out/llama.err" >&2; exit 1; }; }
for ((i = 1; i <= r; i++)); do
    echo "compare.sh: round $i of $r" >&2
    if ((i % 2)); then run_minerva "$i"; run_llama "$i"; else run_llama "$i"; run_minerva "$i"; fi
done

# Both CSVs carry llama-bench's column names: n_prompt n_gen n_depth n_threads avg_ts.
awk -v rounds="$r" -v llama="$llama" '
function split_csv(line, f,    n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q && c == "\"" && substr(line, i + 1, 1) == "\"") { cur = cur c; i++ }
        else if (c == "\"") q = !q
        else if (!q && c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
    }
    f[++n] = cur
    return n
}
function stats(tool, key,    i, x, s, m, v, k) {
    k = count[tool, key]
    for (i = 1; i <= k; i++) s += sample[tool, key, i]
    m = k ? s / k : 0
    for (i = 1; i <= k; i++) { x = sample[tool, key, i] - m; v += x * x }
    MEAN = m
    HALF = k > 1 ? tq(k - 1) * sqrt(v / (k - 1)) / sqrt(k) : -1
}
function tq(df) { return df <= 30 ? T[df] : 1.96 }
function show(m, h) { return h < 0 ? sprintf("%.2f", m) : sprintf("%.2f ± %.2f", m, h) }
function pad(s, w) { return sprintf("%" (w + (index(s, "±") ? PM : 0)) "s", s) }  # ± may count as 2 bytes
BEGIN {
    split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 " \
          "2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", T, " ")
    PM = length("±") - 1
}
{ sub(/\r$/, "") }
FNR == 1 { delete h; delete col; split_csv($0, h); for (i in h) col[h[i]] = i; next }
{
    split_csv($0, f)
    tool = FILENAME ~ /\/minerva-[0-9]+\.csv$/ ? "minerva" : "llama"
    key = f[col["n_prompt"]] " " f[col["n_gen"]] " " f[col["n_depth"]] " " f[col["n_threads"]]
    if (!(key in seen)) { seen[key] = 1; keys[++n_keys] = key }
    sample[tool, key, ++count[tool, key]] = f[col["avg_ts"]] + 0
}
END {
    printf "| %-14s | %7s | %22s | %22s | %26s |\n", "test", "threads", "minerva t/s", "llama.cpp t/s", "ratio minerva/llama.cpp"
    printf "| -------------- | ------: | ---------------------: | ---------------------: | -------------------------: |\n"
    for (i = 1; i <= n_keys; i++) {
        split(keys[i], k, " ")
        name = k[1] > 0 && k[2] > 0 ? "pp" k[1] "+tg" k[2] : k[1] > 0 ? "pp" k[1] : "tg" k[2]
        if (k[3] > 0) name = name " @ d" k[3]
        stats("minerva", keys[i]); mm = MEAN; mh = HALF
        stats("llama", keys[i]); lm = MEAN; lh = HALF
        ratio = "-"
        if (count["minerva", keys[i]] && count["llama", keys[i]] && lm > 0) {
            ratio = sprintf("%.3f", mm / lm)
            lo = mm - mh > 0 ? (mm - mh) / (lm + lh) : 0
            if (mh >= 0 && lh >= 0) ratio = ratio sprintf(" (%.3f..%s)", lo, lm - lh > 0 ? sprintf("%.3f", (mm + mh) / (lm - lh)) : "inf")
        }
        printf "| %-14s | %7s | %s | %s | %26s |\n", name, k[4], pad(count["minerva", keys[i]] ? show(mm, mh) : "-", 22),
            pad(count["llama", keys[i]] ? show(lm, lh) : "-", 22), ratio
    }
    printf "\n%d alternating rounds; t/s as mean ± half-width of its 95%% confidence interval (Student t);\n", rounds
    printf "the ratio range divides the ends of those intervals. llama.cpp: %s\n", llama
}' "$out"/minerva-*.csv "$out"/llama-*.csv
