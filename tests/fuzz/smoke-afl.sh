#!/usr/bin/env bash
# Starts every fuzz target under afl-fuzz for a few seconds and fails unless each one's fork server came up and ran inputs:
# tests/fuzz/smoke-afl.sh [seconds per target]. CI runs it (.ci/run) so a harness that can no longer fuzz is noticed at once,
# not at the next fuzz campaign. It needs afl++ (Debian) and the SharpFuzz tool (dotnet-tools.json).
# Prints one line per target and a closing "fuzz smoke: N passed, N failed".
set -uo pipefail
seconds="${1:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$here/out/smoke"
build="$out/build"

rm -rf "$out"
mkdir -p "$out/findings"
dotnet build "$here/AlbertGen.Fuzz/AlbertGen.Fuzz.csproj" -c Release -o "$build" -nologo -v q >"$out/build.log" 2>&1 \
  || { cat "$out/build.log"; echo "fuzz smoke: 0 passed, 1 failed"; exit 1; }
(cd "$repo" && dotnet tool restore >/dev/null && dotnet sharpfuzz "$build/AlbertGen.dll") >"$out/instrument.log" 2>&1 \
  || { cat "$out/instrument.log"; echo "fuzz smoke: 0 passed, 1 failed"; exit 1; }
mapfile -t targets < <(dotnet "$build/AlbertGen.Fuzz.dll" targets)

export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export DOTNET_TieredCompilation=0
passed=0 failed=0
for target in "${targets[@]}"; do
  log="$out/$target.log"
  afl-fuzz -i "$here/corpus/$target" -o "$out/findings/$target" -V "$seconds" -t 10000 -m none \
    -- dotnet "$build/AlbertGen.Fuzz.dll" "$target" >"$log" 2>&1
  status=$?
  stats="$out/findings/$target/default/fuzzer_stats"
  execs=$(awk -F: '/^execs_done/ { gsub(/ /, "", $2); print $2 }' "$stats" 2>/dev/null)
  if [[ $status -eq 0 && ${execs:-0} -gt 0 ]]; then
    passed=$((passed + 1))
    echo "fuzz smoke: $target ok ($execs executions in ${seconds} s)"
  else
    failed=$((failed + 1))
    echo "fuzz smoke: $target FAILED (afl-fuzz exit $status, ${execs:-no} executions); its output:"
    tail -n 25 "$log"
  fi
done
echo "fuzz smoke: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
