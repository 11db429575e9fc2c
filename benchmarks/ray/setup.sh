#!/usr/bin/env bash
# `npm run bench:ray:setup`: makes benchmarks/ray/.venv (git-ignored) with Ray Tune,
# scikit-learn and pandas at the versions pinned in requirements.txt. Run again to repair it.
# PIP_ARGS adds flags for pip (default: fail fast on an index that cannot be reached).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null; then
  echo "bench:ray:setup: $python not found; install Python 3 (a version Ray 2.58 has wheels for) or set PYTHON" >&2
  exit 1
fi
if ! "$python" -m venv "$here/.venv"; then
  echo "bench:ray:setup: $python -m venv failed; on Debian/Ubuntu: apt-get install python3-venv" >&2
  exit 1
fi
"$here/.venv/bin/python" -m pip install ${PIP_ARGS:---retries 0 --timeout 2} -q -r "$here/requirements.txt"
"$here/.venv/bin/python" -c 'import ray, sklearn, pandas; print(f"ray {ray.__version__}, scikit-learn {sklearn.__version__}, pandas {pandas.__version__} in '"$here"'/.venv")'
