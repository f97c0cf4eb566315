#!/usr/bin/env bash
# Makes sure a Docker engine answers and the local base image exists.
# On a machine whose engine already answers, it changes nothing but the base image (built once).
set -euo pipefail

BASE_IMAGE="${DEVENV_TEST_BASE_IMAGE:-devenv-test-base:bookworm}"
log() { printf '[engine] %s\n' "$*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
command -v visudo >/dev/null 2>&1 || need_pkgs+=(sudo)
command -v ssh-agent >/dev/null 2>&1 || need_pkgs+=(openssh-client)
if ! engine_up || [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  fi
fi

if ! engine_up; then
  # A dockerd that is still shutting down holds its pid file: wait for it, and drop a pid file
  # whose process is gone, or the new daemon refuses to start.
  for _ in $(seq 1 30); do
    pgrep -x dockerd >/dev/null 2>&1 || break
    sleep 1
  done
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  log "starting dockerd (no bridge; containers use the host network)"
  mkdir -p /var/log
  nohup dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/devenv-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    engine_up && break
    sleep 1
  done
  engine_up || { log "dockerd did not come up; see /var/log/devenv-dockerd.log"; tail -20 /var/log/devenv-dockerd.log >&2; exit 1; }
fi
log "engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "making base image $BASE_IMAGE with debootstrap (a few minutes)"
  dir=$(mktemp -d /tmp/devenv-rootfs.XXXXXX)
  debootstrap --variant=minbase bookworm "$dir" >/tmp/devenv-debootstrap.log 2>&1 \
    || { tail -20 /tmp/devenv-debootstrap.log >&2; exit 1; }
  tar -C "$dir" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
fi
log "base image: $BASE_IMAGE"
