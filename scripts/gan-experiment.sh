#!/usr/bin/env bash
# The injective-GAN experiment of results/gan (docs/gan.md): for each data set, generator type and
# seed, train a run (resuming its checkpoint if one exists), evaluate it, then tabulate.
#
#     npm run build && bash scripts/gan-experiment.sh [STEPS] [SEEDS] [DATASETS]
#
# Defaults: 800 steps, seeds "1 2 3", data sets "mnist fashion". Re-running skips finished work
# (a run with train.json marked complete is not retrained; a run with eval.json is not re-evaluated).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-800}
SEEDS=${2:-"1 2 3"}
DATASETS=${3:-"mnist fashion"}
OUT=results/gan/runs
CLI="node ${GAN_DIST:-dist}/src/cli/main.js"
for seed in $SEEDS; do
  for ds in $DATASETS; do
    for type in injective regular; do
      run=$OUT/$ds-$type-seed$seed
      if ! grep -q '"complete": true' "$run/train.json" 2>/dev/null; then
        echo "== train $run ($STEPS steps)"
        $CLI gan train --dataset "$ds" --type "$type" --seed "$seed" --steps "$STEPS" --critic-width 8 --encoder-width 16 --out "$run"
      fi
      if [ ! -f "$run/eval.json" ]; then
        echo "== eval $run"
        $CLI gan eval "$run" --recovery 8 --invert-time-limit 30 --check-time-limit 180
      fi
    done
  done
done
$CLI gan table "$OUT"
