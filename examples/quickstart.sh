#!/usr/bin/env bash
# A walk through ydc on one backend: import, inspect, move, add, label, validate, split,
# stats, export, re-import, merge, copy to the other backend, models.
#   bash examples/quickstart.sh [filesystem|sqlite|s3]
# Uses the `ydc` on PATH (make demo puts .venv/bin first) and a temporary data folder; for s3,
# the store of YDC_DATA_DIR=s3://BUCKET/PREFIX and YDC_DATABASE_URL (README, "Team storage").
set -euo pipefail
backend="${1:-${YDC_BACKEND:-filesystem}}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/ydc-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ "$backend" = s3 ]; then
  case "${YDC_DATA_DIR:-}" in s3://*) ;; *) echo "the s3 quickstart needs YDC_DATA_DIR=s3://BUCKET/PREFIX" >&2; exit 2;; esac
  export YDC_BACKEND="$backend"
else
  export YDC_BACKEND="$backend" YDC_DATA_DIR="$work/data"
fi
if [ "$backend" = sqlite ]; then other=filesystem; else other=sqlite; fi
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }

"$python" "$here/make_shapes.py" "$work/shapes" --train 24 --val 8 >/dev/null
"$python" "$here/make_shapes.py" "$work/new" --train 4 --seed 7 --flat >/dev/null

step ydc datasets import "$work/shapes"
step ydc datasets info shapes
step ydc images list shapes --split val
step ydc images add shapes "$work/new" --split test
first="$(ydc --json images list shapes --split val | "$python" -c 'import json,sys; print(json.load(sys.stdin)[0]["filename"])')"
step ydc images move shapes "$first" --from val --to test
step ydc labels show shapes test "$first"
step ydc labels set shapes test "$first" --box "0 0.5 0.5 0.25 0.25" --box "1 0.2 0.3 0.1 0.2"
step ydc images show shapes test "$first"
step ydc images get shapes test "$first" --output "$work"
step ydc labels clear shapes test "$first"
step ydc datasets prompts shapes --set circle=ball,disc --set square=box
step ydc datasets classes shapes --rename square=box
step ydc datasets validate shapes
step ydc labels draw shapes test "$first" --output "$work/drawn.png"
step ydc datasets split shapes --train 0.7 --val 0.2 --test 0.1 --seed 1 --stratify
step ydc datasets stats shapes --plot "$work/stats.png"
step ydc datasets dedupe shapes
step ydc datasets export shapes --output "$work/out"
step ydc datasets export shapes --format coco --output "$work/coco"
step ydc datasets import "$work/out/shapes.zip" --name shapes-copy
step ydc datasets merge shapes shapes-copy --into both
step ydc datasets copy both --to-backend "$other" --to-data-dir "$work/other"
step ydc --backend "$other" --data-dir "$work/other" datasets info both
step ydc datasets list
step ydc --json datasets info shapes-copy

# The registry takes only what torch.save writes (a zip holding <name>/data.pkl), checked without unpickling.
"$python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("demo/data.pkl", b"\x80\x02}.")' "$work/demo.pt"
step ydc models add demo "$work/demo.pt" --dataset shapes --base-model yolo11n.yaml
step ydc models activate demo
step ydc models list
step ydc models export demo --output "$work/out"
step ydc datasets delete shapes-copy --yes
printf '\nquickstart finished on the %s backend\n' "$backend" >&2
