#!/usr/bin/env bash
# Spark GPU discovery script (the one Spark ships as examples/src/main/scripts/getGpusResources.sh,
# with error handling): asks nvidia-smi for the GPU indices and prints them on one line as Spark's
# ResourceInformation JSON, e.g. {"name": "gpu", "addresses":["0","1"]}.
# Point spark.worker.resource.gpu.discoveryScript (standalone) or
# spark.executor.resource.gpu.discoveryScript (YARN, Kubernetes) at it; see conf/spark-defaults.conf.
# Exits non-zero with a message on stderr when nvidia-smi is missing, fails or prints something
# that is not a GPU index; no GPUs at all gives an empty address list. Needs only bash and nvidia-smi.
set -u

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found on PATH (${PATH:-}); install the NVIDIA driver or fix PATH" >&2
  exit 1
fi

# nvidia-smi's own stderr goes straight to ours.
out="$(nvidia-smi --query-gpu=index --format=csv,noheader)"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "getGpusResources.sh: 'nvidia-smi --query-gpu=index --format=csv,noheader' failed (exit $rc)${out:+: $out}" >&2
  exit 1
fi

addresses=""
while IFS=$' \t\r' read -r index extra || [ -n "$index" ]; do
  [ -z "$index" ] && continue
  if [[ -n "$extra" || ! "$index" =~ ^[0-9]+$ ]]; then
    echo "getGpusResources.sh: nvidia-smi printed '$index${extra:+ $extra}', not a GPU index" >&2
    exit 1
  fi
  addresses="${addresses:+$addresses,}\"$index\""
done <<<"$out"

echo "{\"name\": \"gpu\", \"addresses\":[$addresses]}"
