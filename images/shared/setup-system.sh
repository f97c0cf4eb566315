#!/bin/sh
# System layer: packages, locales, timezone. Runs as root at build time.
set -eu

if ! command -v apt-get >/dev/null 2>&1; then
  echo "devenv: the base image has no apt-get; devenv needs a Debian- or Ubuntu-based image" >&2
  exit 64
fi

# Install only what is missing, so a base image that already has everything needs no network.
install_missing() {
  missing=""
  for package in "$@"; do
    name=${package%%=*}
    if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed'; then
      missing="$missing $package"
    fi
  done
  [ -n "$missing" ] || return 0
  echo "devenv: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086 # word splitting is intended: one package per word
  apt-get install -y --no-install-recommends $missing
  apt-get clean
  rm -rf /var/lib/apt/lists/*
}

# shellcheck disable=SC2086 # one package per word
install_missing sudo locales tzdata ca-certificates $APT_PACKAGES

# A python3 in the image, from the base or from aptPackages, always gets the user's venv
# (setup-python.sh). Debian and Ubuntu keep what gives a venv its pip (ensurepip) in python3-venv.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  install_missing python3-venv
fi

for locale in $LOCALES; do
  language=${locale%%.*}
  charset=${locale#*.}
  # Already in the base image (as `locale -a` names it: en_US.utf8): generating it again costs
  # seconds of every cold build and changes nothing.
  known=$language.$(printf '%s' "$charset" | tr 'A-Z' 'a-z' | tr -d -- '-_')
  if locale -a 2>/dev/null | grep -qxF "$known"; then
    continue
  fi
  localedef -i "$language" -f "$charset" "$locale" || {
    echo "devenv: cannot generate locale $locale (is it a real locale?)" >&2
    exit 65
  }
done

if [ ! -e "/usr/share/zoneinfo/$TIMEZONE" ]; then
  echo "devenv: unknown timezone $TIMEZONE (no /usr/share/zoneinfo/$TIMEZONE in the image)" >&2
  exit 66
fi
ln -sf "/usr/share/zoneinfo/$TIMEZONE" /etc/localtime
echo "$TIMEZONE" > /etc/timezone
