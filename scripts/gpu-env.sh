# Sourced by run-gpu.sh and scripts/device-check.sh: finds what the GPU engine needs on a GPU
# machine and sets
#   LGSR_JAVA   a java 17+ (JAVA_HOME, PATH, else the jlink runtime carried in bundle/)
#   LGSR_JAR    target/lgsr.jar (built here when Maven is present and it is stale) or bundle/lgsr.jar
#   LD_LIBRARY_PATH  with the folder of libcublas.so.13 (ldconfig, else the Python nvidia wheels)
# Functions print one line and return non-zero when something is missing.
lgsr_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

lgsr_find_java() {
  local cand v
  for cand in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null || true)"; do
    [[ -n $cand && -x $cand ]] || continue
    v="$("$cand" -version 2>&1 | head -1)"
    if [[ $v =~ \"([0-9]+) ]] && (( BASH_REMATCH[1] >= 17 )); then LGSR_JAVA="$cand"; return 0; fi
  done
  local rt=/tmp/lgsr-runtime
  if [[ -x $rt/runtime/bin/java ]]; then LGSR_JAVA="$rt/runtime/bin/java"; return 0; fi
  if [[ -f $lgsr_root/bundle/runtime.tar.gz ]]; then
    rm -rf "$rt" && mkdir -p "$rt" && tar xzf "$lgsr_root/bundle/runtime.tar.gz" -C "$rt" \
      && LGSR_JAVA="$rt/runtime/bin/java" && return 0
  fi
  echo "lgsr: error: no java 17 or newer (JAVA_HOME, PATH) and no bundle/runtime.tar.gz (scripts/device-bundle.sh makes one)" >&2
  return 2
}

lgsr_find_jar() {
  local jar="$lgsr_root/target/lgsr.jar"
  if command -v mvn >/dev/null 2>&1; then
    if [[ ! -f $jar || -n "$(find "$lgsr_root/src/main" "$lgsr_root/pom.xml" "$lgsr_root/cuda" "$lgsr_root/native" -newer "$jar" -type f -print -quit 2>/dev/null)" ]]; then
      echo "lgsr: building $jar (mvn package) ..." >&2
      (cd "$lgsr_root" && mvn -q -B -DskipTests package >"$lgsr_root/target-build.log" 2>&1) \
        || { echo "lgsr: error: the build failed; see $lgsr_root/target-build.log" >&2; return 1; }
    fi
  fi
  if [[ -f $jar ]]; then LGSR_JAR="$jar"; return 0; fi
  if [[ -f $lgsr_root/bundle/lgsr.jar ]]; then LGSR_JAR="$lgsr_root/bundle/lgsr.jar"; return 0; fi
  echo "lgsr: error: no target/lgsr.jar, no Maven to build it, and no bundle/lgsr.jar" >&2
  return 2
}

lgsr_find_cublas() {
  local dir="" line d sp f
  line="$(ldconfig -p 2>/dev/null | grep -m1 'libcublas\.so\.13 ' || true)"
  [[ -n $line ]] && dir="$(dirname "${line##*=> }")"
  if [[ -z $dir ]] && command -v python3 >/dev/null; then
    d="$(python3 -c 'import nvidia.cublas as m, os; f = getattr(m, "__file__", None); print((os.path.dirname(f) if f else list(m.__path__)[0]) + "/lib")' 2>/dev/null || true)"
    [[ -n $d && -e $d/libcublas.so.13 ]] && dir="$d"
    if [[ -z $dir ]]; then
      sp="$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)"
      f="$(find $sp -name 'libcublas.so.13*' 2>/dev/null | head -1)"
      [[ -n $f ]] && dir="$(dirname "$f")"
    fi
  fi
  if [[ -n $dir ]]; then
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    LGSR_CUBLAS_DIR="$dir"
    return 0
  fi
  return 1
}
