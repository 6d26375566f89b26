#!/usr/bin/env bash
# The whole mission on one backend, in a few minutes on a CPU: build a dataset, validate it,
# split it, train a detector, register, activate and measure it, and let it label new images.
#   bash examples/demo.sh [filesystem|sqlite] [EPOCHS]
# Everything is kept in demo-out/ at the top of the repository (or $DEMO_DIR), which the demo
# clears when it starts: look around afterwards with the commands it prints at the end.
set -euo pipefail
backend="${1:-${YDC_BACKEND:-filesystem}}"
epochs="${2:-${DEMO_EPOCHS:-40}}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python}"
out="${DEMO_DIR:-$(dirname "$here")/demo-out}"
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/.ydc-demo" ]; then
    echo "Error: $out holds files the demo did not make: pick another DEMO_DIR ($out)" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"
touch "$out/.ydc-demo"
out="$(cd "$out" && pwd)"
export YDC_BACKEND="$backend" YDC_DATA_DIR="$out/data"
export YOLO_CONFIG_DIR="${YOLO_CONFIG_DIR:-$out/yolo-config}"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

"$python" "$here/make_shapes.py" "$out/source/shapes" --train 48 --val 16 --size 160 >/dev/null
"$python" "$here/make_shapes.py" "$out/source/unlabeled" --train 6 --seed 99 --size 160 --flat >/dev/null
rm "$out"/source/unlabeled/*.txt

step ydc datasets import "$out/source/shapes"
step ydc datasets validate shapes
step ydc datasets split shapes --train 0.75 --val 0.25 --seed 0 --stratify
step ydc train run shapes --model yolo11n.yaml --epochs "$epochs" --imgsz 160 --batch 16 --name shapes-demo --activate
step ydc models val shapes-demo --dataset shapes
step ydc models show shapes-demo
step ydc images add shapes "$out/source/unlabeled" --split test
step ydc labels auto shapes --split test --conf 0.05 --preview "$out/auto-preview"
step ydc labels auto shapes --split test --conf 0.05
step ydc datasets validate shapes
step ydc models predict shapes-demo "$out/source/unlabeled" --output "$out/predictions" --conf 0.05
step ydc datasets stats shapes --plot "$out/stats.png"
step ydc datasets preview shapes --split test --count 6 --output "$out/preview.png"
step ydc train runs

data="$out/data"
case "$data" in "$PWD"/*) data="${data#"$PWD"/}" ;; esac
if [ "$backend" = filesystem ]; then ydc="ydc --data-dir $data"; else ydc="ydc --backend $backend --data-dir $data"; fi
shown="$out"
case "$shown" in "$PWD"/*) shown="${shown#"$PWD"/}" ;; esac
cat >&2 <<EOF

demo finished on the $backend backend; everything is kept in $shown/ (cleared by the next demo)
  $shown/stats.png          class counts and box sizes
  $shown/preview.png        the test split with the labels the model gave it
  $shown/auto-preview/      what labels auto proposed for the new test images
  $shown/predictions/       the model's boxes drawn on those images
Try next:
  $ydc datasets list
  $ydc images list shapes --split test
  $ydc labels draw shapes test new_99_0000.jpg --output $shown/labelled.png
  $ydc models show shapes-demo
  $ydc train runs
EOF
