#!/usr/bin/env bash
# The container registries of issue 20's tests: Debian's docker-registry (the CNCF distribution
# registry, 2.8), two instances on loopback ports off the usual 5000:
#   open  127.0.0.1:17850  no auth
#   auth  127.0.0.1:17851  htpasswd (basic auth), user devreg, password devreg-secret
# Both over plain HTTP: dockerd trusts 127.0.0.0/8 as an insecure registry by default, so every
# test engine (the default one, the GPU-capable one, the remote servers' and the Slurm nodes',
# which share this machine's network) pushes and pulls 127.0.0.1:PORT/name:tag with no flag and no
# certificate, and `docker login 127.0.0.1:17851` works over that plain HTTP too.
# Each runs as the package's user docker-registry, detached, with its config, storage, log and pid
# file under /srv/devenv-registry/<name>/.
#
#   registry.sh install   the package (and curl); writes nothing when they are there. Installing
#                         adds the user docker-registry, which replaces /etc/passwd: run it before
#                         .ci/test-users.sh and any namespaced server (.ci/test-users.sh says why).
#   registry.sh [up]      install if need be (.ci/run has installed before any server started),
#                         write the configs, reuse a registry that answers as it should, restart
#                         one that does not (or whose config changed), then check both from
#                         outside. Idempotent. Run after .ci/engine.sh.
#   registry.sh down      stop the registries this script started (by their pid files)
set -euo pipefail

ROOT=/srv/devenv-registry
NAMES=(open auth)
declare -A PORT=([open]=17850 [auth]=17851)
USER_NAME=devreg
PASSWORD=devreg-secret
RUN_AS=docker-registry

LOG_TAG=registry
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"

# --- install ---------------------------------------------------------------------------------
install_pkgs() {
  local missing=()
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -eq 0 ]; then
    log "packages already installed: docker-registry curl"
    return
  fi
  apt_install_stopped docker-registry.service "${missing[@]}"
}

# A bcrypt htpasswd line (the only hash the registry accepts) by libc's crypt(3) through
# perl-base, which every Debian has: no apache2-utils or python3-bcrypt needed. Salt from
# /dev/urandom (256 % 64 == 0: unbiased). Cost 4, the least: the registry checks the hash on every
# request of a push or pull (no session), and at cost 10 each check took ~80 ms here.
bcrypt_line() {
  USER_NAME=$1 PASSWORD=$2 perl -e '
    my @c = (".", "/", "A" .. "Z", "a" .. "z", "0" .. "9");
    open(my $r, "<", "/dev/urandom") or die "/dev/urandom: $!";
    read($r, my $bytes, 22) == 22 or die "/dev/urandom: short read";
    my $salt = join("", map { $c[ord($_) % 64] } split(//, $bytes));
    my $hash = crypt($ENV{PASSWORD}, "\$2b\$04\$$salt");
    defined($hash) && $hash =~ /^\$2b\$/ or die "crypt(3) has no bcrypt here";
    print "$ENV{USER_NAME}:$hash\n";'
}
# Whether htpasswd file $1 holds user $2 with password $3 (keeps the file, and the registry that
# read it, when it does: a new salt would change the file on every run).
htpasswd_ok() {
  [ -f "$1" ] || return 1
  USER_NAME=$2 PASSWORD=$3 perl -ne '
    chomp; my ($u, $h) = split(/:/, $_, 2);
    if ($u eq $ENV{USER_NAME}) { $ok = defined($h) && crypt($ENV{PASSWORD}, $h) eq $h }
    END { exit($ok ? 0 : 1) }' "$1"
}

# Writes each registry's files; CHANGED[name]=1 when its config or htpasswd changed.
declare -A CHANGED=()
prepare() {
  local name dir auth
  install -d -m 0755 "$ROOT"
  for name in "${NAMES[@]}"; do
    dir=$ROOT/$name
    install -d -m 0755 "$dir"
    install -d -m 0755 -o "$RUN_AS" -g "$RUN_AS" "$dir/data"
    CHANGED[$name]=0
    auth=
    if [ "$name" = auth ]; then
      if ! htpasswd_ok "$dir/htpasswd" "$USER_NAME" "$PASSWORD"; then
        bcrypt_line "$USER_NAME" "$PASSWORD" >"$dir/htpasswd.new"
        mv -f "$dir/htpasswd.new" "$dir/htpasswd"
        CHANGED[$name]=1
      fi
      auth="auth:
  htpasswd:
    realm: devenv-registry
    path: $dir/htpasswd"
    fi
    PUT_CHANGED=0
    put "$dir/config.yml" 0644 <<EOF
# The $name test registry of devenv's CI (.ci/registry.sh writes it).
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${PORT[$name]}
$auth
EOF
    [ "$PUT_CHANGED" = 0 ] || CHANGED[$name]=1
  done
}

# --- daemons ---------------------------------------------------------------------------------
# The pid in a registry's pid file when that process is still ours (comm, and a command line
# naming its config: a pid can be reused).
live_pid() {
  local dir=$ROOT/$1 pid
  pid=$(cat "$dir/registry.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = docker-registry ] \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -c -- "$dir/config.yml" >/dev/null \
    && printf '%s' "$pid"
}
# The HTTP status of GET /v2/ (000 when nothing answers); extra arguments go to curl (-u).
v2_status() {
  local name=$1
  shift
  curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" "http://127.0.0.1:${PORT[$name]}/v2/" 2>/dev/null || true
}
# Whether a registry answers as it should: open 200; auth 401 without credentials, 200 with them.
answers() {
  case $1 in
    open) [ "$(v2_status open)" = 200 ] ;;
    auth) [ "$(v2_status auth)" = 401 ] && [ "$(v2_status auth -u "$USER_NAME:$PASSWORD")" = 200 ] ;;
  esac
}
# What a registry answers, for the one line that says it does not answer as it should.
answer_text() {
  case $1 in
    open) printf 'GET /v2/ gives %s, not 200' "$(v2_status open)" ;;
    auth)
      printf 'GET /v2/ gives %s without credentials (not 401) and %s with %s (not 200)' \
        "$(v2_status auth)" "$(v2_status auth -u "$USER_NAME:$PASSWORD")" "$USER_NAME"
      ;;
  esac
}

# Whether a process runs: one started by an earlier run of this script has lost its parent, and
# what adopts it here may not reap it, so a stopped registry can stay a zombie (kill -0 succeeds).
running() { grep -q '^State:[[:space:]]*[^Z]' "/proc/$1/status" 2>/dev/null; }
stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    running "$pid" || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

start() {
  local name=$1 dir=$ROOT/$1
  log "$name: starting on 127.0.0.1:${PORT[$name]}"
  # No fd 9 (the lock) in the daemon, or the lock would be held as long as it runs.
  setsid nohup setpriv --reuid "$RUN_AS" --regid "$RUN_AS" --init-groups \
    docker-registry serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 9>&- &
  # setsid and setpriv exec (a background job is no process group leader): $! is the registry.
  echo $! >"$dir/registry.pid"
}

up() {
  local name pid
  install_pkgs
  # One provisioning at a time (CI and an engineer may both run it).
  exec 9>/srv/.devenv-registry.flock
  flock 9
  local started
  started=$(date +%s%N)
  prepare
  for name in "${NAMES[@]}"; do
    if pid=$(live_pid "$name"); then
      if [ "${CHANGED[$name]}" = 1 ]; then
        log "$name: its config changed: restarting pid $pid"
      elif answers "$name"; then
        log "$name: pid $pid answers on 127.0.0.1:${PORT[$name]}: reused"
        continue
      else
        log "$name: pid $pid does not answer as it should ($(answer_text "$name")): restarting"
      fi
      stop_pid "$pid"
    fi
    rm -f "$ROOT/$name/registry.pid"
    start "$name"
  done
  # The check: each registry answers as the tests expect, within 30 s.
  for name in "${NAMES[@]}"; do
    for _ in $(seq 1 300); do
      answers "$name" && break
      live_pid "$name" >/dev/null || break
      sleep 0.1
    done
    answers "$name" \
      || die "$name registry on 127.0.0.1:${PORT[$name]} does not answer as it should: $(answer_text "$name")" "$ROOT/$name/registry.log"
  done
  log "open http://127.0.0.1:${PORT[open]} (pid $(live_pid open)), auth http://127.0.0.1:${PORT[auth]} as $USER_NAME (pid $(live_pid auth)); ready in $(( ($(date +%s%N) - started) / 1000000 )) ms"
}

down() {
  local name pid
  for name in "${NAMES[@]}"; do
    if pid=$(live_pid "$name"); then
      stop_pid "$pid"
      log "$name: stopped pid $pid"
    fi
    rm -f "$ROOT/$name/registry.pid"
  done
}

case "${1:-up}" in
  install) install_pkgs ;;
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 [install|up|down]" >&2
    exit 2
    ;;
esac
