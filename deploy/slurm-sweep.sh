#!/usr/bin/env bash
# An ecsim sweep as a Slurm job array: each array task runs one shard of the sweep, which
# ecsim reads from SLURM_ARRAY_TASK_ID (counted from SLURM_ARRAY_TASK_MIN) and
# SLURM_ARRAY_TASK_COUNT, and writes it into OUT/shard-I-of-N.
#
#   sbatch --array=0-3 deploy/slurm-sweep.sh scenarios/sweep-target-value.toml results
#   # when every task has finished (or submit with --wait):
#   ecsim merge --out results/merged results
#
# Arguments: the sweep file, the output folder shared by the tasks, then any other
# `ecsim sweep` options (e.g. --replications 20). ECSIM names the binary if it is not on PATH.
#SBATCH --job-name=ecsim-sweep
#SBATCH --cpus-per-task=2
#SBATCH --output=ecsim-sweep-%A_%a.out
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: sbatch --array=0-N $0 SWEEP_FILE OUT_DIR [ecsim sweep options]" >&2
  exit 2
fi
sweep_file=$1
out=$2
shift 2
exec "${ECSIM:-ecsim}" sweep "$sweep_file" --out "$out" --jobs "${SLURM_CPUS_PER_TASK:-1}" --quiet "$@"
