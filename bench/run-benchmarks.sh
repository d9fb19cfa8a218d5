#!/usr/bin/env bash
# Builds bench/target*/benchmarks.jar, runs the JMH suite with a short fixed configuration, and writes
# bench/results/jmh-results.json, results.csv, results.md, ratios.png and the README "Benchmark results" table.
#
# Environment:
#   EDGERUN_SHARED       shared data folder holding models/ (required: the model benchmarks need it)
#   JAVA_HOME            JDK 25 (default /usr/lib/jvm/temurin-25-jdk-amd64 when it exists)
#   EDGERUN_BUILD_SUFFIX output folder suffix, as -Dedgerun.buildSuffix (default: none, bench/target)
#   BENCH_FILTER         JMH benchmark regexp (default: the kernel and model benchmarks the table shows)
#   BENCH_JMH_ARGS       JMH options (default: the short configuration below)
#   BENCH_SKIP_BUILD=1   reuse the jar already built
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${EDGERUN_SHARED:-}" ]]; then
  echo "SKIPPED: EDGERUN_SHARED is not set; the model benchmarks need \$EDGERUN_SHARED/models" >&2
  exit 2
fi
if [[ -z "${JAVA_HOME:-}" && -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
SUFFIX="${EDGERUN_BUILD_SUFFIX:-}"
JAR="bench/target${SUFFIX}/benchmarks.jar"
FILTER="${BENCH_FILTER:-dev.edgerun.bench.(Kernel|Model)Benchmark}"
# 6 s of warm-up: the Vector API kernels are slow (boxed vectors) until C2 compiles them, which took
# 2-4 s per model on this machine (kws_dscnn with Java kernels: ~50 ms per run before, 0.25 ms after).
JMH_ARGS="${BENCH_JMH_ARGS:--f 1 -wi 3 -w 2s -i 3 -r 1s}"
RESULTS=bench/results
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  ./mvnw -q -Dedgerun.buildSuffix="$SUFFIX" -pl bench -am package -DskipTests
fi
mkdir -p "$RESULTS"

# The 1-minute load average, sampled every 10 s while JMH runs.
LOADS="$(mktemp)"
( while true; do cut -d' ' -f1 /proc/loadavg >> "$LOADS"; sleep 10; done ) &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true; rm -f "$LOADS"' EXIT
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2086 # JMH_ARGS is a list of options
"$JAVA" "${JVM_FLAGS[@]}" -jar "$JAR" "$FILTER" $JMH_ARGS \
  -rf json -rff "$RESULTS/jmh-results.json" 2>&1 | sed "s|$PWD/||g" | tee "$RESULTS/jmh-output.txt"

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
kill "$SAMPLER" 2>/dev/null || true
LOAD_STATS="$(sort -n "$LOADS" | awk '{a[NR]=$1; s+=$1} END {printf "1-min load sampled every 10 s: min %s, mean %.1f, max %s (%d samples)", a[1], s/NR, a[NR], NR}')"
LOAD_TEXT="before ${LOAD_BEFORE}, after ${LOAD_AFTER}; ${LOAD_STATS} on $(nproc) cores"
COMMAND="EDGERUN_SHARED=... bench/run-benchmarks.sh  (java -jar benchmarks.jar ${FILTER} ${JMH_ARGS})"

"$JAVA" -Djava.awt.headless=true -cp "$JAR" dev.edgerun.bench.ResultsChart \
  "$RESULTS/jmh-results.json" "$RESULTS" README.md "$LOAD_TEXT" "$COMMAND"
