#!/usr/bin/env bash
# The device check of issues 9 and 10, as one run on a lent GPU machine (see docs/benchmarks.md).
#
# Needs the wheels the GPU image lacks in ./.whl (../shared/device/fetch-wheels.sh), carried
# with the call. Writes gpu_datapath.json, gpu_dense.json and their logs to $OUT (or ./gpu_out).
set -u
out=${OUT:-gpu_out}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$HOME/site" .whl/*.whl || exit 1
export PYTHONPATH=$HOME/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, braindecode, mne, skorch; print(torch.__version__, braindecode.__version__, mne.__version__, skorch.__version__)" | tee -a "$out/gpu.txt"
start=$SECONDS
timeout 240 python3 benchmarks/gpu_datapath.py --out "$out/gpu_datapath.json" 2>&1 | tee "$out/gpu_datapath.log"
echo "gpu_datapath: $((SECONDS - start)) s" | tee -a "$out/gpu.txt"
start=$SECONDS
timeout 200 python3 benchmarks/gpu_dense.py --out "$out/gpu_dense.json" 2>&1 | tee "$out/gpu_dense.log"
echo "gpu_dense: $((SECONDS - start)) s" | tee -a "$out/gpu.txt"
