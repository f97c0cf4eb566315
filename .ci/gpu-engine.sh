#!/usr/bin/env bash
# Makes sure the GPU-capable test engine answers: a second dockerd beside the default one, on its
# own socket, data, exec root and pid file, started with a stand-in nvidia-container-runtime-hook
# first on its PATH. dockerd registers its NVIDIA device driver at start when that hook is on its
# PATH, so this engine accepts `--gpus` device requests and starts the container with
# NVIDIA_VISIBLE_DEVICES set to the requested IDs: the real wiring path, minus a driver.
# The default engine stays GPU-less.
# Reuses a running one; run after .ci/engine.sh (which installs dockerd). The e2e global setup
# loads the test base image into it.
set -euo pipefail

ROOT=/srv/devenv-gpu
SOCKET="unix://$ROOT/run/docker.sock"
PIDFILE="$ROOT/run/docker.pid"
LOG="$ROOT/dockerd.log"
log() { printf '[gpu-engine] %s\n' "$*" >&2; }

engine_up() { DOCKER_HOST="$SOCKET" docker info >/dev/null 2>&1; }
# The pid in our pid file, when that process is still a dockerd (a pid can be reused).
running_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && printf '%s' "$pid"
}
wait_up() {
  for _ in $(seq 1 "$1"); do
    engine_up && return 0
    sleep 1
  done
  return 1
}
give_up() {
  log "$1; see $LOG"
  tail -20 "$LOG" >&2 2>/dev/null || true
  exit 1
}

command -v dockerd >/dev/null 2>&1 || { log "dockerd is not installed: run .ci/engine.sh first"; exit 1; }
getent group docker >/dev/null 2>&1 || { log "group docker is missing: run .ci/engine.sh first"; exit 1; }

if ! engine_up; then
  # Ours may be starting or shutting down: give it time. A pid file whose process is gone is
  # stale and would stop the new daemon from starting.
  if pid=$(running_pid); then
    log "dockerd $pid holds $PIDFILE but does not answer yet: waiting"
    wait_up 60 || give_up "dockerd $pid holds $PIDFILE and does not answer"
  else
    rm -f "$PIDFILE"
  fi
fi

if ! engine_up; then
  mkdir -p "$ROOT/hookbin" "$ROOT/run" "$ROOT/data" "$ROOT/exec"
  # The test users reach the socket through these folders.
  chmod 755 "$ROOT" "$ROOT/run"
  # dockerd runs the hook as an OCI prestart hook, with the container state on stdin.
  printf '#!/bin/sh\n# Stands in for the NVIDIA Container Toolkit hook (.ci/gpu-engine.sh).\ncat >/dev/null\nexit 0\n' \
    >"$ROOT/hookbin/nvidia-container-runtime-hook"
  chmod 755 "$ROOT/hookbin/nvidia-container-runtime-hook"
  log "starting a GPU-capable dockerd on $SOCKET (stand-in NVIDIA hook, no bridge)"
  PATH="$ROOT/hookbin:$PATH" setsid nohup dockerd \
    --host "$SOCKET" --group docker \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$PIDFILE" \
    --bridge=none --iptables=false --ip-masq=false \
    </dev/null >"$LOG" 2>&1 &
  wait_up 60 || give_up "the GPU-capable dockerd did not come up"
fi
log "engine: $(DOCKER_HOST="$SOCKET" docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') on $SOCKET"
