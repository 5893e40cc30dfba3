# Shared by scripts/serve and scripts/test: install the locked dependencies into .venv.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export UV_PYTHON_DOWNLOADS=never
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
UV_VERSION="0.13.9"

ensure_venv() {
  if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
    echo "==> installing uv $UV_VERSION into .tools/"
    python3 -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  echo "==> installing locked dependencies into .venv/"
  .tools/bin/uv sync --frozen --quiet --python "$(command -v python3.11 || command -v python3)"
}
