#!/usr/bin/env bash
# Runs a command with the demo's credentials (demo.env) where the environment has none: `make test`, `make bench`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exec "$@"
