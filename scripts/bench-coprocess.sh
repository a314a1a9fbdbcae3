#!/usr/bin/env bash
# Coprocess throughput against xargs -P and GNU parallel. Installs GNU parallel from the
# system packages when it is missing and this runs as root with apt-get; the benchmark runs
# without it otherwise and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v parallel >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -q parallel >/dev/null || echo "could not install GNU parallel; going on without it"
fi
cargo bench --bench coprocess -- "$@"
