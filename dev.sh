#!/usr/bin/env bash
# Set-up and the two main jobs, on a fresh machine or an old checkout alike.
#   ./dev.sh build   set up .venv, then build every example spec in specs/ into generated/
#   ./dev.sh test    set up .venv, then run the test suite
set -euo pipefail
cd "$(dirname "$0")"

venv=${LAZYGEN_VENV:-.venv}
stamp="$venv/.lazygen-setup"
want="$(cat pyproject.toml | sha256sum | cut -c1-16)"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    python3 -m venv "$venv"
    # torch first, pinned: 2.13.0 is the CPU build on this machine's disk; letting a
    # dependency ask for torch would download a multi-GB CUDA build instead.
    "$venv/bin/python" -m pip install -q torch==2.13.0
    "$venv/bin/python" -m pip install -q -e ".[test]"
    echo "$want" >"$stamp"
fi

case "${1:-}" in
    build) shift; exec "$venv/bin/lazygen" build specs -o generated "$@" ;;
    test) shift; exec "$venv/bin/python" -m pytest "$@" ;;
    *) echo "usage: ./dev.sh build|test [ARGS...]" >&2; exit 2 ;;
esac
