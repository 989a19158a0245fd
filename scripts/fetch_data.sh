#!/usr/bin/env bash
# Download a dataset's official archives into the layout `seem-bench data list` prints.
# Usage: bash scripts/fetch_data.sh NAME DATA_ROOT [--sha256 HEX] [--url MIRROR]
#   e.g. bash scripts/fetch_data.sh grabcut /data/interactive
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 NAME DATA_ROOT [--sha256 HEX] [--url URL]" >&2; exit 2; }
name=$1; root=$2; shift 2
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
exec "$PY" -m seem_bench data fetch "$name" --data-root "$root" "$@"
