#!/usr/bin/env bash
# Spark GPU discovery script (the one Spark ships as examples/src/main/scripts/getGpusResources.sh,
# with error handling): asks nvidia-smi for the GPUs and prints them on one line as Spark's
# ResourceInformation JSON, e.g. {"name": "gpu", "addresses":["0","1"]}.
# Point spark.worker.resource.gpu.discoveryScript (standalone) or
# spark.executor.resource.gpu.discoveryScript (YARN, Kubernetes) at it; see conf/spark-defaults.conf.
#
# Addresses are nvidia-smi's indices (PCI bus order). With BANDALIGN_GPU_ADDRESSES=uuid in the
# environment of the process that runs it (the Worker: conf/spark-env.sh), or with the argument
# --uuid, they are the GPUs' UUIDs (GPU-xxxxxxxx-...) instead: BandAlign's executors find a UUID's
# device through the driver, so it names the same GPU whatever CUDA_VISIBLE_DEVICES hides or
# reorders (use it where a cluster manager sets CUDA_VISIBLE_DEVICES to UUIDs).
#
# Exits non-zero with a message on stderr (and stdout, for Spark's error) when nvidia-smi is missing, fails or prints something
# that is not a GPU index (or UUID). That includes a driver that finds no GPU (nvidia-smi then
# prints "No devices were found" or fails): Spark then stops the Worker (standalone) or the
# executor (YARN, Kubernetes) saying why, rather than let a GPU node join without its GPUs. (An nvidia-smi that prints nothing and exits 0 gives an
# empty address list.) Needs only bash and nvidia-smi.
set -u

# The reason goes to stderr, and also to stdout where that is not a terminal: Spark puts the
# script's stdout, not its stderr, in the error that stops the Worker ("... exited with code 1:
# REASON"), and a log level above INFO hides the rest.
fail() {
  echo "getGpusResources.sh: $1" >&2
  [ -t 1 ] || echo "getGpusResources.sh: $1"
  exit 1
}

field=index
pattern='^[0-9]+$'
what="a GPU index"
mode="${BANDALIGN_GPU_ADDRESSES:-index}"
[ "${1:-}" = "--uuid" ] && mode=uuid
case "$mode" in
  index) ;;
  uuid) field=uuid; pattern='^GPU-[0-9A-Fa-f-]+$'; what="a GPU UUID" ;;
  *) fail "BANDALIGN_GPU_ADDRESSES=$mode: expected index or uuid" ;;
esac

if ! command -v nvidia-smi >/dev/null 2>&1; then
  fail "nvidia-smi not found on PATH (${PATH:-}); install the NVIDIA driver or fix PATH"
fi

# nvidia-smi's own stderr goes straight to ours.
out="$(nvidia-smi --query-gpu=$field --format=csv,noheader)"
rc=$?
if [ "$rc" -ne 0 ]; then
  fail "'nvidia-smi --query-gpu=$field --format=csv,noheader' failed (exit $rc)${out:+: $out}"
fi

addresses=""
while IFS=$' \t\r' read -r address extra || [ -n "$address" ]; do
  [ -z "$address" ] && continue
  if [[ -n "$extra" || ! "$address" =~ $pattern ]]; then
    fail "nvidia-smi printed '$address${extra:+ $extra}', not $what"
  fi
  addresses="${addresses:+$addresses,}\"$address\""
done <<<"$out"

echo "{\"name\": \"gpu\", \"addresses\":[$addresses]}"
