#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (what CI runs through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
bash deploy/services.sh
exec bash test/run.sh "$@"
