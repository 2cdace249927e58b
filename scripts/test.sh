#!/usr/bin/env bash
# `make test`: servers up (the machine's, or project-local ones), then the whole suite.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/services.sh" up
trap '"$ROOT/scripts/services.sh" stop' EXIT
cd "$ROOT"
say "ruff"
.venv/bin/ruff check app tests bench
say "mypy"
.venv/bin/mypy
say "pytest"
.venv/bin/python -m pytest "$@"
if [ $# -eq 0 ]; then
  say "frontend: build, type check, Vitest, Playwright against a real back end"
  "$ROOT/scripts/frontend.sh" test
fi
