#!/usr/bin/env bash
# Fuzzes one target with AFL++ for a while: tests/fuzz/run-afl.sh <safetensors|config|spiece|tokenizer|tokenizer-json> [seconds] [extra afl-fuzz args]
# Builds AlbertGen.Fuzz (Release) into tests/fuzz/out/build-<target>, instruments AlbertGen.dll with SharpFuzz, starts from the
# committed corpus and writes AFL's state to tests/fuzz/out/findings/<target> (git-ignored). Needs `apt-get install afl++`.
set -euo pipefail
target="${1:?usage: run-afl.sh <safetensors|config|spiece|tokenizer|tokenizer-json> [seconds] [afl-fuzz args]}"
seconds="${2:-600}"
shift $(( $# >= 2 ? 2 : 1 ))
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$here/out"
build="$out/build-$target"   # one per target: a rebuild never swaps the DLL under a running fuzzer

if [[ ! -f "$build/AlbertGen.Fuzz.dll" || -n "${REBUILD:-}" ]]; then
  rm -rf "$build"
  dotnet build "$here/AlbertGen.Fuzz/AlbertGen.Fuzz.csproj" -c Release -o "$build" -nologo -v q
  (cd "$repo" && dotnet tool restore >/dev/null && dotnet sharpfuzz "$build/AlbertGen.dll")
fi

mkdir -p "$out/findings"
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_AUTORESUME=1 DOTNET_TieredCompilation=0
exec afl-fuzz -i "$here/corpus/$target" -o "$out/findings/$target" -V "$seconds" -t 10000 -m none "$@" \
  -- dotnet "$build/AlbertGen.Fuzz.dll" "$target"
