#!/usr/bin/env bash
# `npm run setup`: step 1 (npm dependencies) here, because a fresh clone has no node_modules and so
# no tsx yet; steps 2-7 in harness/setup/main.ts. Idempotent: a second run rebuilds nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$node_ok" != 1 ]; then
  echo "error [E_SETUP]: Node >= 20.19 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  echo "  hint: install Node 20.19 or newer (https://nodejs.org), then run npm run setup again." >&2
  exit 2
fi

# --help and --version do no work: answered before step 1 whenever tsx is there to answer them
# (on a fresh clone, only after step 1 has installed it).
for arg in "$@"; do
  case "$arg" in
    --) break ;;
    -h|--help|--version) [ -x node_modules/.bin/tsx ] && exec node --import tsx harness/setup/main.ts "$@" ;;
  esac
done

t0=$(date +%s%N)
# Progress lines as harness/cli/shell.ts prints them: `[mm:ss] line` on stderr, since setup started.
progress() {
  local s=$(( ($(date +%s%N) - t0) / 1000000000 ))
  if [ "$s" -ge 3600 ]; then printf '[%d:%02d:%02d] %s\n' $((s / 3600)) $((s % 3600 / 60)) $((s % 60)) "$1" >&2
  else printf '[%02d:%02d] %s\n' $((s / 60)) $((s % 60)) "$1" >&2; fi
}
# Skip when node_modules already matches package-lock.json (checked by content, not by date).
if node harness/setup/deps-check.mjs; then
  how="up to date"
else
  mkdir -p build/logs
  # A fresh clone gets exactly the lock (npm ci); an existing node_modules is updated in place.
  if [ -f package-lock.json ] && [ ! -d node_modules ]; then cmd=(npm ci); else cmd=(npm install); fi
  if ! "${cmd[@]}" --no-audit --no-fund >build/logs/npm.log 2>&1; then
    progress "[1/7] npm dependencies FAILED"
    tail -n 15 build/logs/npm.log | sed 's/^/    /' >&2
    echo "error [E_SETUP]: ${cmd[*]} failed (full log: build/logs/npm.log)" >&2
    echo "  hint: check that the npm registry answers (npm ping), then run npm run setup again." >&2
    exit 2
  fi
  how="installed (${cmd[*]})"
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
progress "[1/7] npm dependencies $how $((ms / 1000)).$((ms % 1000 / 100))s"

# main.ts's clock continues from here (steps 2-7 print the same [mm:ss] since setup started).
K8SM_SETUP_STARTED_MS=$((t0 / 1000000)) exec node --import tsx harness/setup/main.ts "$@"
