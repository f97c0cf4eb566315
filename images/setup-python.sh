#!/bin/sh
# Python layer: a venv owned by the user, with PyTorch and the project's packages.
# Installed at build time, so a container start installs nothing.
set -eu
[ "$PYTHON_ENABLED" = "1" ] || exit 0

venv=/opt/devenv/venv
if ! python3 -m venv "$venv"; then
  echo "devenv: python3 -m venv failed; add python3-venv to aptPackages" >&2
  exit 68
fi
"$venv/bin/python" -m pip --version >/dev/null 2>&1 || {
  echo "devenv: the venv has no pip; add python3-pip to aptPackages" >&2
  exit 68
}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore

install() {
  if [ "$INSTALLER" = "uv" ]; then
    "$venv/bin/python" -m pip install uv >/dev/null
    "$venv/bin/uv" pip install --python "$venv/bin/python" "$@"
  else
    "$venv/bin/python" -m pip install "$@"
  fi
}

if [ -n "$TORCH_PACKAGES" ]; then
  if [ -n "$TORCH_INDEX_URL" ]; then
    # shellcheck disable=SC2086
    install --index-url "$TORCH_INDEX_URL" $TORCH_PACKAGES
  else
    # shellcheck disable=SC2086
    install $TORCH_PACKAGES
  fi
fi
cd /opt/devenv/python
if [ -s requirements.txt ]; then
  install -r requirements.txt
fi
if [ -n "$PYTHON_PACKAGES" ]; then
  # shellcheck disable=SC2086
  install $PYTHON_PACKAGES
fi
chown -R "$USER_UID:$USER_GID" "$venv"
