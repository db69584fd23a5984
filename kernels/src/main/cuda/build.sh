#!/usr/bin/env bash
# Rebuilds the shipped CUDA kernels: one fatbin per .cu (SASS for sm_80 and sm_90, PTX for
# compute_75 so newer and older GPUs JIT it), into the classpath resources, plus
# kernels.sha256, the SHA-256 of each source, which CudaKernelsFreshnessTest compares with the
# sources so that a stale binary fails the build. Needs nvcc (CUDA 12 or 13).
#   bash kernels/src/main/cuda/build.sh        (or: mvn -Pcuda -pl kernels generate-resources)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../resources/org/bandalign/cuda"
mkdir -p "$out"
: > "$out/kernels.sha256.tmp"
for src in "$here"/*.cu; do
  name="$(basename "$src" .cu)"
  nvcc -O3 -fatbin \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_75,code=compute_75 \
    -o "$out/$name.fatbin" "$src"
  (cd "$here" && sha256sum "$name.cu") >> "$out/kernels.sha256.tmp"
done
mv "$out/kernels.sha256.tmp" "$out/kernels.sha256"
ls -l "$out"
