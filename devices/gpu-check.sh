#!/usr/bin/env bash
# Runs the gpu-tagged tests on a machine with an NVIDIA GPU, in one command:
#
#   devices/gpu-check.sh
#
# It builds the devices module against ONNX Runtime's CUDA build (-Pcuda: onnxruntime_gpu) and runs
# CudaMatchesCpuGpuTest: every model of the shared models folder on CUDA against the CPU provider.
# Needs JDK 25, an NVIDIA driver, CUDA 12.x and cuDNN 9.x libraries on the loader path (ONNX Runtime
# 1.23's requirement), Maven Central on the first run, and the shared folder (EDGERUN_SHARED, default
# ../shared next to the repository). Exit status: Maven's (0 = every model matched).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -z "${JAVA_HOME:-}" ]; then
  for home in /usr/lib/jvm/*25* /opt/java/*25* /opt/*jdk*25*; do
    [ -x "$home/bin/java" ] && { export JAVA_HOME="$home"; break; }
  done
fi
[ -n "${JAVA_HOME:-}" ] || { echo "gpu-check: set JAVA_HOME to a JDK 25" >&2; exit 2; }

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "gpu-check: nvidia-smi not found; the test will fail if no NVIDIA driver is installed" >&2
fi
if command -v ldconfig >/dev/null 2>&1 && ! ldconfig -p | grep -q 'libcudnn.so.9'; then
  echo "gpu-check: libcudnn.so.9 is not in the loader cache; if CUDA fails to start, add cuDNN 9's lib folder" \
       "to LD_LIBRARY_PATH (e.g. from pip's nvidia-cudnn-cu12)" >&2
fi

exec ./mvnw -B -Pcuda -Dedgerun.buildSuffix=-gpu -Dedgerun.excludedGroups= -Dgroups=gpu \
  -Dtest=CudaMatchesCpuGpuTest -Dsurefire.failIfNoSpecifiedTests=false -pl devices -am test "$@"
