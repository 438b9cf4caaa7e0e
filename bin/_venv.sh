# Sourced by bin/dev and bin/test: make .venv with everything in requirements.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
  echo "$want" > "$stamp"
fi
# Browser assets (Chart.js) from npm, never a CDN; optional: pages keep their table views without it.
if [ ! -d node_modules/chart.js ] && [ -f package-lock.json ] && command -v npm >/dev/null 2>&1; then
  npm ci --omit=dev --no-audit --no-fund --loglevel=error || echo "npm ci failed: charts will show as tables" >&2
fi
export PATH="$PWD/.venv/bin:$PATH"
python bin/compile_messages.py -q
