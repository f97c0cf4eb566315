#!/usr/bin/env bash
# Makes sure three "remote servers" answer on this machine, for the tests of devenv driving an
# engine over ssh:// (issue 11). Each is an sshd (and a dockerd) inside its own private mount
# namespace with its own /home, /etc/passwd, /etc/group, /etc/shadow and /var/run, so it behaves
# like another host: the same user name has another UID there, its home is another folder, and
# /var/run/docker.sock is that host's engine, or nothing. Outside, root reaches each engine at /srv/devenv-rN/run/docker.sock.
#   r1  127.0.0.1:2201  plain dockerd          devtest 5242 (docker group), devother 5343 (not)
#   r2  127.0.0.1:2202  GPU-capable dockerd    devtest 6242, devother 6343 (both docker group);
#                       `nvidia-smi` on the ssh PATH is the fake one playing the 8x H100 server,
#                       live usage from /srv/devenv-r2/gpu-state when that file exists
#   r3  127.0.0.1:2203  no dockerd at all      devtest 7242, devother 7343
# The local devtest/devother (made by .ci/test-users.sh) get an ed25519 key, known_hosts entries
# for all three, and their key in each server's authorized_keys. Reuses running servers: restarts
# a missing daemon inside the namespace of the one still running, and binds again an account file
# the host has replaced since (below). Run after .ci/engine.sh and .ci/gpu-engine.sh. The e2e
# global setup loads the test base image into r1 and r2, starts the users' ssh-agents, and runs
# this again when a server no longer answers as its own user.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

LOG_TAG=remote-hosts
# shellcheck source=.ci/lib.sh
. .ci/lib.sh

SERVERS=(r1 r2 r3)
USERS=(devtest devother)
declare -A LOCAL_UID=([devtest]=4242 [devother]=4343)
declare -A PORT=([r1]=2201 [r2]=2202 [r3]=2203)
# engine: none, plain, or gpu (the stand-in NVIDIA hook first on dockerd's PATH, as .ci/gpu-engine.sh).
declare -A ENGINE=([r1]=plain [r2]=gpu [r3]=none)
declare -A REMOTE_UID=(
  [r1.devtest]=5242 [r1.devother]=5343
  [r2.devtest]=6242 [r2.devother]=6343
  [r3.devtest]=7242 [r3.devother]=7343
)
declare -A DOCKER_MEMBERS=([r1]=devtest [r2]=devtest,devother [r3]=devtest)
GPU_MACHINE=derived-server_h100-80gb-hbm3-x8_565.57.01

command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run .ci/engine.sh first"
getent group docker >/dev/null 2>&1 || die "group docker is missing: run .ci/engine.sh first"

# One provisioning at a time (CI and an engineer may both run it). The daemons must not inherit
# this fd (dockerd and containerd keep it open, so the lock would be held forever): `9>&-` below.
exec 9>/srv/.devenv-remote-hosts.flock
flock 9

started=$(date +%s)

# --- sshd, without a system sshd -------------------------------------------------------------
if [ ! -x /usr/sbin/sshd ]; then
  log "installing openssh-server (the package's own sshd stays stopped)"
  # policy-rc.d exit 101 keeps the package from starting ssh.service on port 22.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  NEEDRESTART_SUSPEND=1 apt-get install -y -qq openssh-server >/dev/null
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
  # If it did start anyway (or on a systemd host later), keep the system sshd off.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
  if pid=$(cat /run/sshd.pid 2>/dev/null) && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ]; then
    kill "$pid"
  fi
fi

# --- local users and their keys --------------------------------------------------------------
# Writes /etc/passwd and /etc/group only when a user is missing or its docker membership is wrong.
bash .ci/test-users.sh
for user in "${USERS[@]}"; do
  [ "$(id -u "$user")" = "${LOCAL_UID[$user]}" ] || die "$user is not at uid ${LOCAL_UID[$user]} here"
  home=$(getent passwd "$user" | cut -d: -f6)
  install -d -m 700 -o "$user" -g "$user" "$home/.ssh"
  if [ ! -f "$home/.ssh/id_ed25519" ]; then
    runuser -u "$user" -- ssh-keygen -q -t ed25519 -N '' -C "$user@devenv-e2e" -f "$home/.ssh/id_ed25519"
  fi
done

# Writes stdin to $1 in place when it differs (keeps the inode: the files bound into a running
# namespace are bound by inode, so a new file would not show there).
put_in_place() {
  local new
  new=$(mktemp)
  cat >"$new"
  if [ ! -f "$1" ]; then
    install -m "$2" "$new" "$1"
  elif ! cmp -s "$new" "$1"; then
    cat "$new" >"$1"
  fi
  rm -f "$new"
}

# --- each server's files ---------------------------------------------------------------------
for s in "${SERVERS[@]}"; do
  R=/srv/devenv-$s
  mkdir -p "$R/home" "$R/run/sshd" "$R/etc"
  chmod 755 "$R" "$R/run" "$R/home"
  chmod 755 "$R/run/sshd"
  [ -f "$R/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "devenv-$s" -f "$R/ssh_host_ed25519_key"

  # The host's accounts, with devtest/devother at this server's UIDs/GIDs and docker membership.
  sed_passwd=() sed_group=()
  for user in "${USERS[@]}"; do
    ruid=${REMOTE_UID[$s.$user]}
    sed_passwd+=(-e "s/^$user:\([^:]*\):[0-9]*:[0-9]*:/$user:\1:$ruid:$ruid:/")
    sed_group+=(-e "s/^$user:\([^:]*\):[0-9]*:/$user:\1:$ruid:/")
  done
  sed "${sed_passwd[@]}" /etc/passwd | put_in_place "$R/etc/passwd" 644
  sed "${sed_group[@]}" /etc/group \
    | awk -F: -v OFS=: -v want="${DOCKER_MEMBERS[$s]}" '
        $1 == "docker" {
          n = split($4, was, ","); m = ""
          for (i = 1; i <= n; i++) if (was[i] != "" && was[i] != "devtest" && was[i] != "devother") m = m (m == "" ? "" : ",") was[i]
          $4 = m (m == "" || want == "" ? "" : ",") want
        }
        { print }' \
    | put_in_place "$R/etc/group" 644
  put_in_place "$R/etc/shadow" 640 </etc/shadow
  chgrp shadow "$R/etc/shadow"

  # Homes there: not the local ones, owned by the remote UID, with the user's local public key.
  for user in "${USERS[@]}"; do
    ruid=${REMOTE_UID[$s.$user]}
    home=$R/home/$user
    if [ ! -d "$home" ]; then
      mkdir -p "$home"
      cp -rT /etc/skel "$home"
      chmod 755 "$home"
    fi
    install -d -m 700 "$home/.ssh"
    put_in_place "$home/.ssh/authorized_keys" 600 <"$(getent passwd "$user" | cut -d: -f6)/.ssh/id_ed25519.pub"
    chown -R "$ruid:$ruid" "$home"
  done

  cat <<EOF | put_in_place "$R/sshd_config" 644
# $s of the e2e remote servers (.ci/remote-hosts.sh): loopback only, keys only, test users only.
Port ${PORT[$s]}
ListenAddress 127.0.0.1
HostKey $R/ssh_host_ed25519_key
PidFile $R/run/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers devtest devother
UsePAM yes
AllowAgentForwarding yes
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
# The docker CLI opens one ssh connection per engine connection: allow bursts.
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
EOF

  if [ "${ENGINE[$s]}" = gpu ]; then
    mkdir -p "$R/hookbin"
    # dockerd runs the hook as an OCI prestart hook, with the container state on stdin.
    printf '#!/bin/sh\n# Stands in for the NVIDIA Container Toolkit hook (.ci/remote-hosts.sh).\ncat >/dev/null\nexit 0\n' \
      | put_in_place "$R/hookbin/nvidia-container-runtime-hook" 755

    # The fake nvidia-smi and its captures, copied: nothing here may point into the checkout.
    new=$(mktemp -d "$R/nvidia-smi.XXXXXX")
    cp -r "$REPO/test/fixtures/nvidia-smi" "$new/fixtures"
    install -m 755 "$REPO/test/fixtures/fake-nvidia-smi/nvidia-smi" "$new/fake-nvidia-smi"
    chmod -R a+rX "$new"
    if [ -d "$R/nvidia-smi" ] && diff -rq "$new" "$R/nvidia-smi" >/dev/null; then
      rm -rf "$new"
    else
      rm -rf "$R/nvidia-smi.old"
      [ ! -d "$R/nvidia-smi" ] || mv "$R/nvidia-smi" "$R/nvidia-smi.old"
      mv "$new" "$R/nvidia-smi"
      rm -rf "$R/nvidia-smi.old"
    fi
    # /usr/games is on sshd's default PATH and empty here: inside r2 it is this folder, so the
    # wrapper shows there and nowhere else, and /usr/local/bin (docker) stays as it is.
    mkdir -p "$R/games"
    cp -an /usr/games/. "$R/games/"
    chmod 755 "$R/games"
    cat <<EOF | put_in_place "$R/games/nvidia-smi" 755
#!/bin/sh
# r2's nvidia-smi (.ci/remote-hosts.sh): the fake one playing the 8x H100 server; what runs on
# its GPUs comes from $R/gpu-state when that file exists (tests write it as root).
FAKE_NVIDIA_SMI_DIR=$R/nvidia-smi/fixtures
FAKE_NVIDIA_SMI_MACHINE=$GPU_MACHINE
export FAKE_NVIDIA_SMI_DIR FAKE_NVIDIA_SMI_MACHINE
if [ -e $R/gpu-state ]; then
  FAKE_NVIDIA_SMI_STATE=$R/gpu-state
  export FAKE_NVIDIA_SMI_STATE
else
  unset FAKE_NVIDIA_SMI_STATE
fi
exec $R/nvidia-smi/fake-nvidia-smi "\$@"
EOF
    # The NVIDIA Container Toolkit installs its hook for everyone, on every user's PATH too: that
    # is how devenv tells, from a session there, that the engine can be given GPUs.
    put_in_place "$R/games/nvidia-container-runtime-hook" 755 <"$R/hookbin/nvidia-container-runtime-hook"
  fi

  # Starts daemons inside the server's namespace: with --mounts in a fresh one (unshare), else in
  # the namespace of a daemon still running there (nsenter).
  hookpath=
  [ "${ENGINE[$s]}" != gpu ] || hookpath="$R/hookbin:"
  games=
  [ ! -d "$R/games" ] || games="mount --bind $R/games /usr/games"
  cat <<EOF | put_in_place "$R/launch.sh" 755
#!/bin/bash
# Starts $s's daemons in its mount namespace (written by .ci/remote-hosts.sh; run by it).
set -euo pipefail
R=$R
if [ "\${1:-}" = --mounts ]; then
  shift
  mount --bind \$R/home /home
  for f in passwd group shadow; do mount --bind "\$R/etc/\$f" "/etc/\$f"; done
  mount --bind \$R/run /var/run
  $games
fi
mkdir -p /var/run/sshd
for what in "\$@"; do
  case \$what in
    dockerd)
      # The socket by its path outside, the same file as /var/run/docker.sock here: dockerd removes
      # its socket by that path when it stops, which must never be the host's, even should the
      # /var/run bind be lost.
      PATH="$hookpath\$PATH" setsid nohup dockerd --host unix://\$R/run/docker.sock --group docker \\
        --data-root \$R/data --exec-root \$R/exec --pidfile \$R/run/docker.pid \\
        --bridge=none --iptables=false --ip-masq=false </dev/null >\$R/dockerd.log 2>&1 &
      ;;
    sshd) /usr/sbin/sshd -f \$R/sshd_config -E \$R/sshd.log ;;
  esac
done
EOF
done

# --- known_hosts, locally and in every remote home -------------------------------------------
known=$(for s in "${SERVERS[@]}"; do
  printf '[127.0.0.1]:%s %s\n' "${PORT[$s]}" "$(cut -d' ' -f1,2 "/srv/devenv-$s/ssh_host_ed25519_key.pub")"
done)
# Drops any entry for our three ports (hashed ones too, from an earlier run with other keys),
# then adds ours; replaces the file only when that changes it, in one rename (ssh may be reading).
set_known_hosts() {
  local file=$1 owner=$2 new
  new=$(mktemp "$file.XXXXXX")
  [ ! -f "$file" ] || cat "$file" >"$new"
  for s in "${SERVERS[@]}"; do ssh-keygen -q -R "[127.0.0.1]:${PORT[$s]}" -f "$new" >/dev/null 2>&1 || true; done
  rm -f "$new.old"
  printf '%s\n' "$known" >>"$new"
  if [ -f "$file" ] && cmp -s "$new" "$file"; then
    rm -f "$new"
  else
    chown "$owner" "$new"
    chmod 644 "$new"
    mv "$new" "$file"
  fi
}
for user in "${USERS[@]}"; do
  set_known_hosts "$(getent passwd "$user" | cut -d: -f6)/.ssh/known_hosts" "$user:$user"
  for s in "${SERVERS[@]}"; do
    ruid=${REMOTE_UID[$s.$user]}
    set_known_hosts "/srv/devenv-$s/home/$user/.ssh/known_hosts" "$ruid:$ruid"
  done
done

# --- daemons ---------------------------------------------------------------------------------
# The pid in a pid file when that process is still our daemon (comm and a command line naming
# the server's folder: a pid can be reused, even by another dockerd).
live_pid() {
  local file=$1 comm=$2 R=$3 pid
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$R/" && printf '%s' "$pid"
}
engine_up() { DOCKER_HOST="unix:///srv/devenv-$1/run/docker.sock" docker info >/dev/null 2>&1; }
# A server's /etc/passwd, /etc/group and /etc/shadow are its own files bound over the host's. When
# the host replaces one of its own (useradd, usermod, gpasswd and package installs write a new file
# and rename it into place), the kernel drops the bind on the old one inside the namespace, which
# then sees the host's file: sshd there no longer knows the users at this server's UIDs and
# refuses their keys. Binds again, in the namespace of a running daemon, each file that is no
# longer the server's own (same device and inode as $R/etc/...: `put_in_place` keeps those).
rebind_accounts() {
  local s=$1 holder=$2 R=/srv/devenv-$1 f inside
  for f in passwd group shadow; do
    inside=$(nsenter "--mount=/proc/$holder/ns/mnt" -- stat -c %d:%i "/etc/$f")
    if [ "$inside" != "$(stat -c %d:%i "$R/etc/$f")" ]; then
      log "$s: its /etc/$f is the host's again (replaced since it started): binding $R/etc/$f again"
      nsenter "--mount=/proc/$holder/ns/mnt" -- mount --bind "$R/etc/$f" "/etc/$f"
    fi
  done
}
# Runs a command as a local user with a clean environment (no agent: the key file).
as_user() {
  local user=$1
  shift
  runuser -u "$user" -- env -i "HOME=$(getent passwd "$user" | cut -d: -f6)" "USER=$user" \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
}
ssh_as() {
  local user=$1 s=$2
  shift 2
  as_user "$user" ssh -o BatchMode=yes -o ConnectTimeout=5 -p "${PORT[$s]}" "$user@127.0.0.1" "$@"
}

for s in "${SERVERS[@]}"; do
  R=/srv/devenv-$s
  want=(sshd)
  [ "${ENGINE[$s]}" = none ] || want+=(dockerd)
  missing=()
  holder=
  if pid=$(live_pid "$R/run/sshd.pid" sshd "$R"); then
    holder=$pid
  else
    rm -f "$R/run/sshd.pid"
    missing+=(sshd)
  fi
  if [ "${ENGINE[$s]}" != none ]; then
    if pid=$(live_pid "$R/run/docker.pid" dockerd "$R"); then
      holder=$pid
      # Ours may be starting or shutting down: give it time.
      if ! engine_up "$s"; then
        log "$s: dockerd $pid holds $R/run/docker.pid but does not answer yet: waiting"
        for _ in $(seq 1 60); do
          engine_up "$s" && break
          sleep 1
        done
        engine_up "$s" || die "$s: dockerd $pid holds $R/run/docker.pid and does not answer" "$R/dockerd.log"
      fi
    else
      # A pid file whose process is gone would stop the new daemon from starting.
      rm -f "$R/run/docker.pid"
      missing+=(dockerd)
    fi
  fi
  [ -z "$holder" ] || rebind_accounts "$s" "$holder"
  if [ ${#missing[@]} -gt 0 ]; then
    if [ -n "$holder" ]; then
      log "$s: starting ${missing[*]} in the namespace of pid $holder"
      nsenter "--mount=/proc/$holder/ns/mnt" -- "$R/launch.sh" "${missing[@]}" </dev/null 9>&-
    else
      log "$s: starting ${missing[*]} in a new mount namespace"
      setsid unshare --mount --propagation private -- "$R/launch.sh" --mounts "${missing[@]}" </dev/null 9>&-
    fi
  fi
done

# --- verify: really ssh in as devtest ------------------------------------------------------
for s in "${SERVERS[@]}"; do
  R=/srv/devenv-$s
  expected=${REMOTE_UID[$s.devtest]}
  got=
  for _ in $(seq 1 60); do
    if got=$(ssh_as devtest "$s" id -u 2>"$R/verify.err"); then break; fi
    got=
    sleep 1
  done
  [ -n "$got" ] || die "$s: ssh -p ${PORT[$s]} devtest@127.0.0.1 does not answer within 60 s: $(cat "$R/verify.err")" "$R/sshd.log"
  [ "$got" = "$expected" ] || die "$s: devtest has uid $got there, not $expected"
  engine=none
  if [ "${ENGINE[$s]}" != none ]; then
    for _ in $(seq 1 60); do
      engine_up "$s" && break
      sleep 1
    done
    engine_up "$s" || die "$s: its dockerd does not answer on $R/run/docker.sock within 60 s" "$R/dockerd.log"
    engine=$(ssh_as devtest "$s" docker version --format "'{{.Server.Version}}'" 2>"$R/verify.err") \
      || die "$s: \`docker version\` over ssh as devtest fails: $(cat "$R/verify.err")" "$R/dockerd.log"
  fi
  rm -f "$R/verify.err"
  printf '[remote-hosts] %s: ssh://devtest@127.0.0.1:%s uid %s, engine %s\n' "$s" "${PORT[$s]}" "$got" "$engine"
done
log "ready in $(($(date +%s) - started))s"
