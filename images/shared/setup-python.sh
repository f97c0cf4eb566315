#!/bin/sh
# Python layers: `venv` makes the user's venv, with PyTorch in it when asked; `packages` installs
# the project's requirements and pythonPackages into it (a layer of its own, so a requirements
# bump does not redo the venv or PyTorch).
#
# The venv exists whenever the image has Python: when PyTorch or packages are asked for (devenv
# then adds python3 to the apt packages), and when the base image or aptPackages brought a
# python3 (setup-system.sh made sure it can make venvs). It is on PATH and VIRTUAL_ENV. These
# layers are shared by every user (images/shared/Dockerfile), so the venv is root's here; the
# user layer gives the user its folders (images/user/setup-user.sh), so `pip install` works as
# the user (Debian's own pip refuses to: PEP 668).
# A base image with no python3 and no Python settings gets no venv and no Python: `python` and
# `pip` are not found, and VIRTUAL_ENV is not set. Add "python3" to aptPackages to get both.
#
# The Dockerfile sets VIRTUAL_ENV (and the venv's PATH entry) just before the `venv` step, which
# therefore must make the venv it names. With no python3 to make it, and no Python setting that
# would have brought one, the step fails with exit 69 and devenv builds again without that ENV
# line (src/core/build-plan.ts, NO_PYTHON_FOR_VENV): VIRTUAL_ENV then is unset here, and no
# venv is made.
set -eu

venv=/opt/devenv/venv
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore

# No Python settings: nothing to install, only the venv, and only when the image's ENV names it.
if [ "$PYTHON_ENABLED" != "1" ]; then
  [ "${1:-}" = "venv" ] || exit 0
  [ -n "${VIRTUAL_ENV:-}" ] || exit 0
  if ! command -v python3 >/dev/null 2>&1; then
    echo "devenv: no python3 in the image and no Python settings: building it again without the venv" >&2
    exit 69
  fi
fi

install() {
  if [ "$INSTALLER" = "uv" ]; then
    [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install uv >/dev/null
    "$venv/bin/uv" pip install --python "$venv/bin/python" "$@"
  else
    "$venv/bin/python" -m pip install "$@"
  fi
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
    # Login shells (bash -l, tmux windows, su -) reset PATH in /etc/profile: put the venv back.
    mkdir -p /etc/profile.d
    cat >/etc/profile.d/devenv-venv.sh <<EOF
case ":\$PATH:" in *":$venv/bin:"*) ;; *) PATH="$venv/bin:\$PATH"; export PATH ;; esac
EOF
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
