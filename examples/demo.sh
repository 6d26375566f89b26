#!/usr/bin/env bash
# The whole mission on one backend, in a few minutes on a CPU: build a dataset, validate it,
# split it, train a detector, register and activate it, and let it label new images.
#   bash examples/demo.sh [filesystem|sqlite] [EPOCHS]
set -euo pipefail
backend="${1:-${YDC_BACKEND:-filesystem}}"
epochs="${2:-${DEMO_EPOCHS:-40}}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/ydc-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export YDC_BACKEND="$backend" YDC_DATA_DIR="$work/data"
export YOLO_CONFIG_DIR="${YOLO_CONFIG_DIR:-$work/yolo-config}"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

"$python" "$here/make_shapes.py" "$work/shapes" --train 48 --val 16 --size 160 >/dev/null
"$python" "$here/make_shapes.py" "$work/unlabeled" --train 6 --seed 99 --size 160 --flat >/dev/null
rm "$work"/unlabeled/*.txt

step ydc datasets import "$work/shapes"
step ydc datasets validate shapes
step ydc datasets split shapes --train 0.75 --val 0.25 --seed 0 --stratify
step ydc train run shapes --model yolo11n.yaml --epochs "$epochs" --imgsz 160 --batch 16 --name shapes-demo --activate
step ydc models show shapes-demo
step ydc images add shapes "$work/unlabeled" --split test
step ydc labels auto shapes --split test --conf 0.05 --only-unlabeled
step ydc datasets stats shapes
printf '\ndemo finished on the %s backend\n' "$backend" >&2
