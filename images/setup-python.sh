#!/bin/sh
# Python layers: `venv` makes a venv owned by the user with PyTorch in it; `packages` installs
# the project's requirements and pythonPackages into it (a layer of its own, so a requirements
# bump does not redo the venv or PyTorch).
set -eu
[ "$PYTHON_ENABLED" = "1" ] || exit 0

venv=/opt/devenv/venv
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore

install() {
  if [ "$INSTALLER" = "uv" ]; then
    [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install uv >/dev/null
    "$venv/bin/uv" pip install --python "$venv/bin/python" "$@"
  else
    "$venv/bin/python" -m pip install "$@"
  fi
}

# Only what this layer added changes owner: a `chown -R` of the whole venv would copy every
# file of the layers below (PyTorch: gigabytes) into this one.
give_to_user() {
  find "$venv" \( ! -user "$USER_UID" -o ! -group "$USER_GID" \) -exec chown -h "$USER_UID:$USER_GID" {} +
}

case "${1:-}" in
  venv)
    if ! python3 -m venv "$venv"; then
      echo "devenv: python3 -m venv failed; add python3-venv to aptPackages" >&2
      exit 68
    fi
    "$venv/bin/python" -m pip --version >/dev/null 2>&1 || {
      echo "devenv: the venv has no pip; add python3-pip to aptPackages" >&2
      exit 68
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
    ;;
  packages)
    cd /opt/devenv/python
    if [ -s requirements.txt ]; then
      install -r requirements.txt
    fi
    if [ -n "$PYTHON_PACKAGES" ]; then
      # shellcheck disable=SC2086
      install $PYTHON_PACKAGES
    fi
    ;;
  *)
    echo "usage: setup-python.sh venv|packages" >&2
    exit 2
    ;;
esac
give_to_user
