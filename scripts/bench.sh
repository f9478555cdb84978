#!/usr/bin/env bash
# Benchmarks, run from the application jar. Usage:
#   scripts/bench.sh score                 JMH: the machine's FP32 peak and the scoring step
#                                          (B=512 x d=100 by 100 x 37484, forward + backward),
#                                          printed as GFLOP/s and % of peak (medians)
#   scripts/bench.sh graph [DATASET]       the global encoder on a real dataset: graph, alias
#                                          tables, walks/s, skip-gram pairs/s (N_s 512 and 16)
#   scripts/bench.sh nce [WARM ITERS ROUNDS] JMH: the machine's FP32 peak and one full L_g batch
#                                          (yoochoose64, 8192 pairs, d=100, N_s 512, loss,
#                                          gradients, dense Adam of theta, bias and E), printed
#                                          as GFLOP/s, % of peak, pairs/s (medians)
#   scripts/bench.sh recommend             JMH: lgsr recommend's sessions per second at batch 1
#                                          and 512 (yoochoose64's shape, top 20, all processors)
#   scripts/bench.sh neural [WARM ITERS]   JMH: the neural models' training step and encoder
#                                          alone (yoochoose64's shape, each model's width and
#                                          batch), printed as samples/s (medians)
#   scripts/bench.sh load                  JMH: time to load diginetica and yoochoose64
#                                          (cold JVM per fork, -Xmx300m)
#   scripts/bench.sh JMH-REGEX [JMH ARGS]  any JMH benchmark of the jar
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/lgsr" --version >/dev/null   # builds the jar when needed
if [[ -z "${LGSR_DATA:-}" && -d "$here/../shared/data" ]]; then
  export LGSR_DATA="$(cd "$here/../shared/data" && pwd)"
fi
java=(java --add-modules jdk.incubator.vector -XX:+UseParallelGC)
jar="$here/target/lgsr.jar"
case "${1:-}" in
  score) shift; exec "${java[@]}" -cp "$jar" org.lgsr.bench.ScoreStepBench "$@" ;;
  nce) shift; exec "${java[@]}" -cp "$jar" org.lgsr.bench.NceBench "$@" ;;
  recommend) shift; exec "${java[@]}" -cp "$jar" org.lgsr.bench.RecommendBench "$@" ;;
  neural) shift; exec "${java[@]}" -cp "$jar" org.lgsr.bench.NeuralStepBench "$@" ;;
  graph) shift; exec "${java[@]}" -Xmx8g -cp "$jar" org.lgsr.bench.GraphBench "${1:-yoochoose64}" "${LGSR_DATA:-data}" "${@:2}" ;;
  load) shift; exec "${java[@]}" -cp "$jar" org.openjdk.jmh.Main DatasetLoad -f 5 "$@" ;;
  "") sed -n '2,19p' "$0"; exit 2 ;;
  *) exec "${java[@]}" -cp "$jar" org.openjdk.jmh.Main "$@" ;;
esac
