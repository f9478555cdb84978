#!/usr/bin/env bash
# Benchmarks (JMH), run from the application jar. Usage: scripts/bench.sh [JMH-REGEX] [JMH ARGS...]
#   scripts/bench.sh DatasetLoad      time to load diginetica and yoochoose64 (cold JVM, -Xmx300m)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/lgsr" --version >/dev/null   # builds the jar when needed
if [[ -z "${LGSR_DATA:-}" && -d "$here/../shared/data" ]]; then
  export LGSR_DATA="$(cd "$here/../shared/data" && pwd)"
fi
exec java --add-modules jdk.incubator.vector -cp "$here/target/lgsr.jar" org.openjdk.jmh.Main "$@"
