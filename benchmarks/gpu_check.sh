#!/usr/bin/env bash
# The GPU session's one command (issue 21): the gpu-marked tests, then issue 21's table.
# Run from the repository root on a machine with CuPy and a CUDA device:
#     bash benchmarks/gpu_check.sh
# About 3-6 minutes on an H200; without CUDA the tests skip and the table says why.
set -u
cd "$(dirname "$0")/.."
python -c "import cupy, sys; print('CuPy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())" \
    || echo "CuPy does not answer: the gpu tests will skip"
QT_QPA_PLATFORM=offscreen timeout 300 python -m pytest -q -p no:cacheprovider -m gpu -rs \
    --durations=5 tests/
status=$?
timeout 300 python benchmarks/gpu.py
exit $(( status || $? ))
