#!/usr/bin/env bash
# The demo's server with its outbox worker beside it (outbound SMS print on this console).
set -euo pipefail
BIN="$(dirname "$0")/../.venv/bin"
"$BIN/ulinzi" worker --idle-sleep 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
"$BIN/ulinzi" runserver "127.0.0.1:${PORT:-8000}"
