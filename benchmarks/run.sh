#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md on this machine; see that file for what each one measures.
#   benchmarks/run.sh [tokens|http|doi-h2|doi-pg|dispatch|maymail-h2|maymail-pg|purge|memory|flood|profile|issue17|all]
# Needs: the module built (mvn -B -pl benchmarks -am package -DskipTests), wrk (apt-get install -y wrk) for http,
# PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; the database optin4j_bench is created) for the -pg runs.
# Everything talks to loopback only and stops by itself. Output goes to benchmarks/results/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-$(ls benchmarks/target*/benchmarks.jar | head -1)}
OUT=${OUT:-benchmarks/results/$(date +%Y%m%d-%H%M%S)}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
run() { # name, command...
  local name=$1; shift
  echo "== $name: $*" | tee -a "$OUT/commands.txt"
  { echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"; "$@"; echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"; } \
    2>&1 | grep -v '^SLF4J' | tee "$OUT/$name.txt"
}
tokens() {
  for r in $(seq 1 "$ROUNDS"); do
    for kind in CONFIRM MANAGE UNSUBSCRIBE DATA_REQUEST; do
      # one fork per kind and round: library, nimbus and rawHmac of a kind run back to back in the same JVM setup
      run "tokens-$kind-$r" java -jar "$JAR" TokenBenchmark -p kind=$kind -f 1 -wi 3 -w 2 -i 5 -r 2 \
        -rf json -rff "$OUT/tokens-$kind-$r.json"
    done
  done
  python3 benchmarks/scripts/token_ratios.py "$OUT"/tokens-*.json | tee "$OUT/tokens-summary.txt"
}
http() { run http java -Xms1g -Xmx1g -cp "$JAR" org.optin4j.benchmarks.HttpBench "$((ROUNDS + 2))" 10 16; }
doi_h2() { run doi-h2 java -Xms1g -Xmx1g -cp "$JAR" org.optin4j.benchmarks.DoiBench h2 "$ROUNDS" 2000 8; }
doi_pg() { run doi-pg java -Xms1g -Xmx1g -cp "$JAR" org.optin4j.benchmarks.DoiBench postgresql "$ROUNDS" 2000 8; }
dispatch() {
  run dispatch-memory java -cp "$JAR" org.optin4j.benchmarks.DispatchBench memory "$((ROUNDS + 2))" 1000
  run dispatch-h2 java -cp "$JAR" org.optin4j.benchmarks.DispatchBench h2 "$((ROUNDS + 2))" 1000
}
maymail_h2() { run maymail-h2 java -cp "$JAR" org.optin4j.benchmarks.MayMailBench h2 1000000 "$ROUNDS" 100000; }
maymail_pg() { run maymail-pg java -cp "$JAR" org.optin4j.benchmarks.MayMailBench postgresql 1000000 "$ROUNDS" 100000; }
purge() {
  # links ran out beyond the 7-day grace: lapsed signups deleted outright; within the grace: requests marked expired
  run purge-delete java -cp "$JAR" org.optin4j.benchmarks.PurgeBench 1000000 "${PURGE_MAX_SECONDS:-600}"
  run purge-mark java -Dbench.expiredDaysAgo=2 -cp "$JAR" org.optin4j.benchmarks.PurgeBench 1000000 \
    "${PURGE_MAX_SECONDS:-600}"
}
memory() {
  # The subscribe/confirm load of doi-h2 (library only) in a 256 MB heap; then count full GCs after the first round.
  run memory java -Xmx256m -Xlog:gc:file="$OUT/memory-gc.log" -Dbench.libraryOnly=true -cp "$JAR" \
    org.optin4j.benchmarks.DoiBench h2 "$((ROUNDS + 2))" 3000 8
  echo "full GCs: $(grep -c 'Pause Full' "$OUT/memory-gc.log" || true); young/mixed pauses: $(grep -c 'Pause Young' "$OUT/memory-gc.log" || true)" \
    | tee "$OUT/memory-summary.txt"
}
profile() {
  # JFR execution samples of the library side of doi-h2 (and doi-pg), summarised per request path
  # (benchmarks/scripts/jfr_paths.py); the recordings stay in $OUT for `jfr` or JDK Mission Control.
  for db in h2 postgresql; do
    run "profile-$db" java -Xms1g -Xmx1g -XX:FlightRecorderOptions:stackdepth=256 \
      -XX:StartFlightRecording=filename="$OUT/profile-$db.jfr",settings=profile -Dbench.libraryOnly=true \
      -cp "$JAR" org.optin4j.benchmarks.DoiBench "$db" 2 3000 8
    python3 benchmarks/scripts/jfr_paths.py "$OUT/profile-$db.jfr" 8 | tee "$OUT/profile-$db-paths.txt"
  done
}
issue17() {
  # The four targets of issue 17 in one run, on one machine, load recorded in each file (BENCHMARKS.md, issue 17).
  for db in postgresql h2; do
    run "queue-$db" java -Xmx256m -Xlog:gc:file="$OUT/queue-$db-gc.log" -cp "$JAR" \
      org.optin4j.benchmarks.CampaignQueueBench "$db" "${QUEUE_N:-1000000}"
  done
  for db in memory h2 postgresql; do
    run "parallel-dispatch-$db" java -cp "$JAR" org.optin4j.benchmarks.ParallelDispatchBench "$db" "$ROUNDS" 1000 3931 4
  done
  run purge-1m java -cp "$JAR" org.optin4j.benchmarks.PurgeBench 1000000 "${PURGE_MAX_SECONDS:-600}"
  for db in h2 postgresql; do
    run "doi-proof-$db" java -Xms1g -Xmx1g -Dbench.subscribeThreads=64 -cp "$JAR" org.optin4j.benchmarks.DoiBench \
      "$db" "$ROUNDS" 2000 8 18382
  done
}
flood() {
  # Abuse under load: four 60 s phases (baseline, one address, many addresses from one IP / from 500 IPs).
  run flood java -Xms512m -Xmx512m -cp "$JAR" org.optin4j.benchmarks.SignupFlood 60 64 200000 500 5 250 18391
}
case "${1:-all}" in
  tokens) tokens ;; http) http ;; doi-h2) doi_h2 ;; doi-pg) doi_pg ;; dispatch) dispatch ;;
  maymail-h2) maymail_h2 ;; maymail-pg) maymail_pg ;; purge) purge ;; memory) memory ;; flood) flood ;;
  profile) profile ;; issue17) issue17 ;;
  all) tokens; http; doi_h2; doi_pg; dispatch; maymail_h2; maymail_pg; purge; memory; flood ;;
  *) echo "unknown: $1" >&2; exit 2 ;;
esac
echo "results in $OUT"
