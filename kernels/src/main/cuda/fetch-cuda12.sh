#!/usr/bin/env bash
# Fetches a CUDA 12 compiler (Debian trixie's nvidia-cuda-toolkit 12.4, non-free) into
# kernels/target/cuda12 without installing anything, for build.sh's second set of kernel
# binaries (the one for NVIDIA drivers older than R580, which cannot load CUDA 13 code).
# Needs apt-get, dpkg-deb and network access to Debian's archive; downloads about 1 GB once,
# keeps about 190 MB (the compiler and the CUDA headers).
#   bash kernels/src/main/cuda/fetch-cuda12.sh        then: bash kernels/src/main/cuda/build.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$(cd "$here/../../.." && pwd)/target/cuda12"
if [ -x "$dest/bin/nvcc" ]; then
  echo "fetch-cuda12: $dest/bin/nvcc is already there ($("$dest/bin/nvcc" --version | tail -1))"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb http://deb.debian.org/debian trixie main contrib non-free" > "$work/sources.list"
apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${apt[@]}" -q update >/dev/null
(cd "$work/debs" && apt-get "${apt[@]}" -q download nvidia-cuda-toolkit nvidia-cuda-dev >/dev/null)
x="$work/x"
mkdir -p "$x"
dpkg-deb -x "$work"/debs/nvidia-cuda-toolkit_*.deb "$x"
# Of the 900 MB development package only the headers are needed.
dpkg-deb --fsys-tarfile "$work"/debs/nvidia-cuda-dev_*.deb | tar -x -C "$x" ./usr/include
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/libdevice"
cp "$x/usr/lib/nvidia-cuda-toolkit/bin/nvcc" "$x/usr/lib/nvidia-cuda-toolkit/bin/cicc" "$dest/bin/"
cp -r "$x/usr/lib/nvidia-cuda-toolkit/bin/crt" "$dest/bin/"
for tool in ptxas fatbinary cudafe++ nvlink bin2c cuobjdump nvdisasm; do
  cp "$x/usr/bin/$tool" "$dest/bin/"
done
cp "$x"/usr/lib/nvidia-cuda-toolkit/libdevice/* "$dest/libdevice/"
mv "$x/usr/include" "$dest/include"
# Debian's nvcc.profile points at /usr; this one at the folder it sits in.
cat > "$dest/bin/nvcc.profile" <<'PROFILE'
TOP = $(_HERE_)/..
NVVMIR_LIBRARY_DIR = $(TOP)/libdevice
PATH += $(_HERE_):
INCLUDES += "-I$(TOP)/include" $(_SPACE_)
PROFILE
echo "fetch-cuda12: $("$dest/bin/nvcc" --version | tail -1) in $dest ($(du -sh "$dest" | cut -f1))"
