#!/usr/bin/env bash
# Fetches a CUDA 12 compiler (Debian trixie's nvidia-cuda-toolkit 12.4, non-free) without
# installing anything, for build.sh's second set of kernel binaries (the one for NVIDIA drivers
# older than R580, which cannot load CUDA 13 code), into $BANDALIGN_CUDA12_HOME (default
# ~/.cache/bandalign/cuda12, outside target/ so that mvn clean keeps it). Needs apt-get and
# dpkg-deb with Debian's archive keyring (a Debian host; elsewhere point build.sh's NVCC12 at
# any CUDA 12 nvcc) and access to Debian's archive; downloads about 1 GB once and keeps about
# 190 MB (the compiler and the CUDA headers).
#   bash kernels/src/main/cuda/fetch-cuda12.sh        then: bash kernels/src/main/cuda/build.sh
set -euo pipefail
dest="${BANDALIGN_CUDA12_HOME:-$HOME/.cache/bandalign/cuda12}"
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
# Assembled beside the download and moved into place last, so that an interrupted run leaves
# no half-made compiler behind.
kit="$work/cuda12"
mkdir -p "$kit/bin" "$kit/libdevice"
cp "$x/usr/lib/nvidia-cuda-toolkit/bin/nvcc" "$x/usr/lib/nvidia-cuda-toolkit/bin/cicc" "$kit/bin/"
cp -r "$x/usr/lib/nvidia-cuda-toolkit/bin/crt" "$kit/bin/"
for tool in ptxas fatbinary cudafe++ nvlink bin2c cuobjdump nvdisasm; do
  cp "$x/usr/bin/$tool" "$kit/bin/"
done
cp "$x"/usr/lib/nvidia-cuda-toolkit/libdevice/* "$kit/libdevice/"
mv "$x/usr/include" "$kit/include"
# Debian's nvcc.profile points at /usr; this one at the folder it sits in.
cat > "$kit/bin/nvcc.profile" <<'PROFILE'
TOP = $(_HERE_)/..
NVVMIR_LIBRARY_DIR = $(TOP)/libdevice
PATH += $(_HERE_):
INCLUDES += "-I$(TOP)/include" $(_SPACE_)
PROFILE
"$kit/bin/nvcc" --version >/dev/null
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$kit" "$dest"
echo "fetch-cuda12: $("$dest/bin/nvcc" --version | tail -1) in $dest ($(du -sh "$dest" | cut -f1))"
