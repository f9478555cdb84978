#!/usr/bin/env bash
# Run HERE (a build machine): gathers into bundle/ (git-ignored) everything the GPU machine
# needs for scripts/device-check.sh, at most 50 MiB:
#   bundle/lgsr.jar          the application jar with the fatbin and liblgsr_native.so in it
#   bundle/test-classes/     the compiled tests (the GPU tests are tagged "gpu")
#   bundle/junit-console.jar the JUnit Platform Console Standalone launcher
#   bundle/runtime.tar.gz    a jlink'ed Java runtime (the GPU machine may have no Java), packed:
#                            39 MiB unpacked, 22 MiB packed, and the carried tree is limited
#   bundle/ptxas-report.txt  registers and spills of every kernel, as built
#   bundle/data.tar.gz       yoochoose1_64 and diginetica (all_train_seq.txt, test.txt; yoochoose1_64's
#                            train.txt for scripts/torch_lgsr.py: ~7 MiB) from
#                            $LGSR_DATA or ../shared/data, for run-gpu.sh there (never committed)
# Then copy the repository with bundle/ to the GPU machine and run scripts/device-check.sh there (see README).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
junit_console_version=1.14.1   # the JUnit Platform of junit-jupiter 5.14.1 (pom.xml)
limit_mib=50

command -v nvcc >/dev/null 2>&1 || { echo "device-bundle: error: nvcc is needed here: the bundle must carry the CUDA kernels" >&2; exit 2; }
echo "== build (mvn package, tests not run)"
mvn -B -q -ntp package -DskipTests
listing="$(unzip -l target/lgsr.jar)"
grep -q 'native/linux-x86_64/lgsr_kernels.fatbin' <<<"$listing" \
  || { echo "device-bundle: error: target/lgsr.jar has no fatbin" >&2; exit 1; }
grep -q 'native/linux-x86_64/liblgsr_native.so' <<<"$listing" \
  || { echo "device-bundle: error: target/lgsr.jar has no liblgsr_native.so" >&2; exit 1; }

rm -rf bundle
mkdir -p bundle
cp target/lgsr.jar bundle/
cp -r target/test-classes bundle/test-classes
cp target/ptxas-report.txt bundle/
mvn -B -q -ntp dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console_version" \
  -DoutputDirectory=bundle
mv "bundle/junit-platform-console-standalone-$junit_console_version.jar" bundle/junit-console.jar

echo "== jlink runtime"
jdk="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
# What the GPU tests and the benchmark reach (jdeps on the whole jar adds java.desktop, java.sql
# and java.compiler for JMH, picocli and progress bars: 15 MiB the device run never loads).
# JUnit's launcher logs (java.logging) and writes XML reports (java.xml).
# jdk.incubator.vector: the CPU twins take their Vector API paths as on the build machines.
modules="java.base,java.logging,java.xml,java.management,jdk.unsupported,jdk.incubator.vector"
compress="--compress=2"
jlink_help="$("$jdk/bin/jlink" --help 2>&1)"
grep -q 'zip-\[0-9\]' <<<"$jlink_help" && compress="--compress=zip-6"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages $compress --output bundle/runtime
rt_version="$(bundle/runtime/bin/java -version 2>&1)"
echo "${rt_version%%$'\n'*}"
tar czf bundle/runtime.tar.gz -C bundle runtime
rm -rf bundle/runtime

echo "== datasets (all_train_seq.txt and test.txt: train.txt is derived from the former)"
data_src="${LGSR_DATA:-$here/../shared/data}"
data_list=()
for ds in yoochoose1_64 diginetica; do
  [[ -f $data_src/$ds/all_train_seq.txt && -f $data_src/$ds/test.txt ]] && data_list+=("$ds/all_train_seq.txt" "$ds/test.txt")
done
# scripts/torch_lgsr.py (device-run.sh's torch step) reads yoochoose1_64's train.txt too
[[ -f $data_src/yoochoose1_64/train.txt && -f $data_src/yoochoose1_64/test.txt ]] && data_list+=("yoochoose1_64/train.txt")
if (( ${#data_list[@]} > 0 )); then
  tar czf bundle/data.tar.gz -C "$data_src" "${data_list[@]}"
  echo "bundle/data.tar.gz: ${data_list[*]}"
else
  echo "no datasets under $data_src: run-gpu.sh there can train on synth only"
fi

{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$([[ -n "$(git status --porcelain 2>/dev/null)" ]] && echo " (with uncommitted changes)")"
  echo "nvcc: $(nvcc --version | tail -1)"
  echo "runtime modules: $modules"
} > bundle/BUILD-INFO.txt

size_kib=$(du -sk bundle | cut -f1)
echo "== bundle/: $((size_kib / 1024)) MiB ($size_kib KiB; limit $limit_mib MiB)"
if (( size_kib > limit_mib * 1024 )); then
  echo "device-bundle: error: bundle/ is over $limit_mib MiB" >&2
  exit 1
fi
