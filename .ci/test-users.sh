#!/usr/bin/env bash
# Makes sure every host user the tests run devenv as exists, with its UID/GID and its docker
# membership. Run before anything starts the namespaced servers of .ci/remote-hosts.sh (after
# .ci/engine.sh, which makes the docker group): useradd, usermod and gpasswd write a new
# /etc/passwd or /etc/group and rename it into place, and a running server's bind mount of the
# old file is then dropped in its namespace, where sshd stops knowing its users (.ci/remote-hosts.sh
# repairs that, but only when it runs). So it writes nothing when every user is already as wanted.
#   devtest      4242    docker group   the user of most e2e tests (test/e2e/harness.ts)
#   devother     4343    docker group   a second user on the same host and servers
#   devbig       200000  docker group   a directory-service-sized UID (test/e2e/users.test.ts)
#   devnodocker  4444    not in docker  the socket-permission case (test/e2e/errors-engine.test.ts)
set -euo pipefail

log() { printf '[test-users] %s\n' "$*" >&2; }
die() {
  log "$1"
  exit 1
}

getent group docker >/dev/null 2>&1 || die "group docker is missing: run .ci/engine.sh first"

# name uid docker(yes|no); the GID is the UID, in a group of the user's name.
USERS=(
  "devtest 4242 yes"
  "devother 4343 yes"
  "devbig 200000 yes"
  "devnodocker 4444 no"
)

in_docker_group() { id -nG "$1" | tr ' ' '\n' | grep -qx docker; }

for entry in "${USERS[@]}"; do
  read -r name uid docker <<<"$entry"
  if ! getent group "$name" >/dev/null 2>&1; then
    log "adding group $name ($uid)"
    groupadd -g "$uid" "$name"
  fi
  if ! id -u "$name" >/dev/null 2>&1; then
    log "adding user $name ($uid)"
    # -l: no lastlog entry, which would be a huge sparse file for a UID of 200000.
    useradd -m -l -u "$uid" -g "$uid" -s /bin/bash "$name"
  fi
  [ "$(id -u "$name")" = "$uid" ] && [ "$(id -g "$name")" = "$uid" ] \
    || die "user $name exists with uid:gid $(id -u "$name"):$(id -g "$name"), not $uid:$uid: remove it (userdel -r $name) and run again"
  # Asks first rather than trusting usermod/gpasswd to leave /etc/group alone when nothing changes.
  if [ "$docker" = yes ] && ! in_docker_group "$name"; then
    log "adding $name to group docker"
    usermod -aG docker "$name"
  elif [ "$docker" = no ] && in_docker_group "$name"; then
    log "removing $name from group docker"
    gpasswd -d "$name" docker >/dev/null
  fi
done
