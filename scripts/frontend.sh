#!/usr/bin/env bash
# The web front end: `scripts/frontend.sh build|test|dev|gen-api`.
#   build    npm ci (when the lock changed) and a production build into frontend/dist,
#            which `fastline serve` serves at /.
#   test     build, type-check, Vitest unit tests, then Playwright against a real back end
#            (tests/e2e/backend.py: fresh database, `fastline serve`, a worker) in Debian's
#            Chromium. Screenshots land in test-artifacts/screenshots/.
#   dev      Vite dev server on :5173, proxying /api to the app on FASTLINE_PORT (8000).
#   gen-api  regenerate src/api/schema.d.ts from the back end's OpenAPI document.
. "$(dirname "$0")/lib.sh"
FRONTEND="$ROOT/frontend"
cd "$FRONTEND"

npm_ci() {
  # Reinstall only when package-lock.json changed since the last install.
  local stamp="node_modules/.lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    say "npm ci (frontend)"
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
  fi
}

build() {
  npm_ci
  say "frontend build"
  npx tsc -b
  npx vite build
}

unit() {
  say "vitest"
  npx vitest run
}

e2e() {
  # Playwright's own browser download is blocked here: use Debian's Chromium.
  # A CJK font, so that screenshots of the Chinese interface show characters, not boxes.
  apt_install chromium fonts-wqy-microhei
  say "playwright (real back end, Debian chromium)"
  "$ROOT/scripts/services.sh" up
  npx playwright test "$@"
}

case "${1:-}" in
  build) build ;;
  test) shift; build; unit; e2e "$@" ;;
  unit) npm_ci; unit ;;
  e2e) shift; e2e "$@" ;;
  dev) npm_ci; exec npx vite ;;
  gen-api) npm_ci; node scripts/gen-api.mjs ;;
  *) echo "usage: $0 build|test|dev|unit|e2e|gen-api" >&2; exit 2 ;;
esac
