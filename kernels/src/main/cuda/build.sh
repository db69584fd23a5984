#!/usr/bin/env bash
# Rebuilds the shipped CUDA kernels, two binaries per .cu, into the classpath resources:
#   NAME.fatbin         CUDA 13 (nvcc on PATH, or $NVCC): SASS for sm_80, sm_90, sm_100 and
#                       sm_120 (Ampere to Blackwell: no JIT at start), PTX for compute_75; loaded
#                       where the driver runs CUDA 13 (R580 or newer);
#   NAME.cuda12.fatbin  CUDA 12 ($NVCC12, default the nvcc fetch-cuda12.sh puts in
#                       ~/.cache/bandalign/cuda12): SASS for sm_70, sm_75, sm_80 and sm_90, PTX for
#                       compute_75; loaded where the driver is a CUDA 12 one (R525 to R575), and
#                       on Volta GPUs (sm_70), for which CUDA 13 builds nothing.
# plus kernels.sha256 and kernels-cuda12.sha256: the compiler's version and the SHA-256 of each
# source and of the binary built from it, which CudaKernelsFreshnessTest compares with the
# sources and the shipped binaries, so that a stale binary of either set fails the build. Each
# binary also holds its source's SHA-256 (BANDALIGN_SOURCE_SHA256, at the end of each .cu),
# which the test looks for in it.
#   bash kernels/src/main/cuda/build.sh        (or: mvn -Pcuda -pl kernels generate-resources)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../resources/org/bandalign/cuda"
nvcc13="${NVCC:-nvcc}"
nvcc12="${NVCC12:-${BANDALIGN_CUDA12_HOME:-$HOME/.cache/bandalign/cuda12}/bin/nvcc}"
command -v "$nvcc13" >/dev/null || { echo "build.sh: no CUDA 13 nvcc ($nvcc13); put it on PATH or set NVCC" >&2; exit 1; }
[ -x "$nvcc12" ] || { echo "build.sh: no CUDA 12 nvcc at $nvcc12; run bash $here/fetch-cuda12.sh or set NVCC12" >&2; exit 1; }
version() { "$1" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'; }
[ "$(version "$nvcc13" | cut -d. -f1)" = 13 ] || { echo "build.sh: $nvcc13 is CUDA $(version "$nvcc13"), not 13" >&2; exit 1; }
[ "$(version "$nvcc12" | cut -d. -f1)" = 12 ] || { echo "build.sh: $nvcc12 is CUDA $(version "$nvcc12"), not 12" >&2; exit 1; }
mkdir -p "$out"

# build NVCC SUFFIX SHAFILE GENCODE...
build() {
  local compiler="$1" suffix="$2" sums="$3"
  shift 3
  echo "# nvcc $(version "$compiler"): $*" > "$out/$sums.tmp"
  for src in "$here"/*.cu; do
    local name
    name="$(basename "$src" .cu)"
    local sha
    sha="$(cd "$here" && sha256sum "$name.cu" | cut -d' ' -f1)"
    "$compiler" -O3 -fatbin "$@" -DBANDALIGN_SOURCE_SHA256="\"$sha\"" -o "$out/$name$suffix.fatbin" "$src"
    (cd "$here" && sha256sum "$name.cu") >> "$out/$sums.tmp"
    (cd "$out" && sha256sum "$name$suffix.fatbin") >> "$out/$sums.tmp"
  done
  mv "$out/$sums.tmp" "$out/$sums"
}
build "$nvcc13" "" kernels.sha256 \
  -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_100,code=sm_100 \
  -gencode arch=compute_120,code=sm_120 -gencode arch=compute_75,code=compute_75
# (-allow-unsupported-compiler: CUDA 12.4 refuses host compilers newer than gcc 13, but only
# device code is compiled here, which the host compiler merely preprocesses.)
build "$nvcc12" .cuda12 kernels-cuda12.sha256 -allow-unsupported-compiler \
  -gencode arch=compute_70,code=sm_70 -gencode arch=compute_75,code=sm_75 -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 -gencode arch=compute_75,code=compute_75
ls -l "$out"
