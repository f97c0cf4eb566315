# What the .ci scripts share: sourced after they set LOG_TAG.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }

# die MESSAGE [LOG_FILE]: says why, with the last lines of the log that tells more, and exits 1.
die() {
  log "$1"
  if [ -n "${2:-}" ]; then
    log "last lines of $2:"
    tail -20 "$2" >&2 2>/dev/null || true
  fi
  exit 1
}

# apt_install_stopped "SERVICES" PACKAGE...: installs the packages without letting them start
# their daemons (policy-rc.d exit 101), and keeps SERVICES off at boot on a systemd host: the
# tests start their own, with their own configuration.
apt_install_stopped() {
  local services=$1 made_policy=
  shift
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache policy "$1" 2>/dev/null | grep -c 'Candidate: [0-9]' >/dev/null; then apt-get update -qq; fi
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  log "installing $*"
  NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  if [ -n "$made_policy" ]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  if [ -n "$services" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    # shellcheck disable=SC2086 # one service per word
    systemctl disable --now $services >/dev/null 2>&1 || true
  fi
}

# put FILE MODE: writes stdin to FILE when it differs, by renaming a new file over it (a script
# running from FILE keeps reading the old one), and sets PUT_CHANGED=1 when it did. lastpipe runs
# the last command of a pipeline in this shell, so `... | put` can set it.
shopt -s lastpipe
PUT_CHANGED=0
put() {
  local new
  new=$(mktemp "$1.XXXXXX")
  cat >"$new"
  chmod "$2" "$new"
  if [ -f "$1" ] && cmp -s "$new" "$1"; then
    rm -f "$new"
  else
    mv -f "$new" "$1"
    PUT_CHANGED=1
  fi
}
