#!/usr/bin/env bash
# The Slurm test cluster of issue 19: Debian's Slurm 22.05 with its own munge, a controller and two
# compute nodes on this machine, each node real enough to catch mistakes:
#   nodeA  127.0.0.1:17818  8 GPUs (the fake nvidia-smi's 8x H100 server)   CPUs=16 RealMemory=16000
#   nodeB  127.0.0.1:17819  4 GPUs (the fake nvidia-smi's 4x A100 machine)  CPUs=8  RealMemory=8000
#   controller 127.0.0.1:17817, ClusterName devenv; partitions gpu (default: both nodes) and
#   debug (nodeB only). Ports off the 1681x a hand-made cluster on this machine may use.
# Each slurmd runs in its own private mount namespace (as the servers of .ci/remote-hosts.sh) in
# which /var/run is that node's own folder, holding the node's own GPU-capable dockerd at the
# standard socket, and /usr/local/bin also shows the node's fake nvidia-smi and stand-in NVIDIA
# hook. /etc/passwd, /etc/group and /home are the host's, as a real cluster shares its users and
# home. Job steps run in their node's namespace: `srun -w nodeA docker info` reaches nodeA's
# engine, `srun … nvidia-smi` lists nodeA's GPUs. Root reaches each engine from outside at
# $LAB/nodes/<node>/run/docker.sock. GPUs are GRES backed by stand-in character devices (c 195 N,
# as /dev/nvidiaN, with no driver behind them): Slurm keeps concurrent jobs' GPUs disjoint.
#
#   slurm-cluster.sh install   the packages (munge slurmctld slurmd slurm-client); writes nothing
#                              when they are there. Installing adds the users munge and slurm,
#                              which replaces /etc/passwd: run it before .ci/test-users.sh and any
#                              namespaced server (.ci/test-users.sh says why).
#   slurm-cluster.sh [up]      configure, start what is not running, load the test base image
#                              into each node's engine, and check the cluster as the test user
#                              devtest would use it (made by .ci/test-users.sh); a node that does
#                              not answer as itself is restarted. Idempotent.
#   slurm-cluster.sh down      cancel the cluster's jobs, stop only the daemons this script
#                              started (by their pid files)
#   slurm-cluster.sh status    daemons, nodes, jobs
# Clients: `. /srv/devenv-slurm/env.sh` (SLURM_CONF); nothing is written to /etc/slurm. Run after
# .ci/engine.sh (dockerd, the base image) and .ci/test-users.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

LAB=/srv/devenv-slurm
CONF=$LAB/etc/slurm.conf
export SLURM_CONF=$CONF
HOST=$(hostname -s)
CTL_PORT=17817
NODES=(nodeA nodeB)
declare -A NODE_PORT=([nodeA]=17818 [nodeB]=17819)
declare -A NODE_GPUS=([nodeA]=8 [nodeB]=4)
declare -A NODE_CPUS=([nodeA]=16 [nodeB]=8)
declare -A NODE_MEMORY=([nodeA]=16000 [nodeB]=8000)
# Machines of test/fixtures/nvidia-smi (DERIVED.md): distinct UUIDs, --query-gpu answered.
declare -A NODE_MACHINE=(
  [nodeA]=derived-server_h100-80gb-hbm3-x8_565.57.01
  [nodeB]=thamada_a100-sxm4-80gb-x4_555.42.02
)
MUNGE_SOCK=$LAB/run/munge/munge.socket
PKGS=(munge slurmctld slurmd slurm-client)
BASE_IMAGE="${DEVENV_TEST_BASE_IMAGE:-devenv-test-base:bookworm}"
CHECK_USER=devtest

LOG_TAG=slurm-cluster
# shellcheck source=.ci/lib.sh
. .ci/lib.sh
[ "$(id -u)" = 0 ] || die "run as root"

# has PATTERN: grep -q that reads all its input (grep -q under pipefail fails the writer with SIGPIPE).
has() { grep -c -e "$1" >/dev/null; }

# --- install ---------------------------------------------------------------------------------
missing_pkgs() {
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | has 'install ok installed' || printf '%s\n' "$p"
  done
}

install_pkgs() {
  local missing
  mapfile -t missing < <(missing_pkgs)
  if [ ${#missing[@]} -eq 0 ]; then
    log "packages already installed: ${PKGS[*]}"
    return
  fi
  apt_install_stopped "munge.service slurmctld.service slurmd.service" "${missing[@]}"
}

prepare() {
  local n i N new
  install -d -m 0755 "$LAB" "$LAB/etc" "$LAB/run" "$LAB/spool" "$LAB/dev" "$LAB/nodes"
  # munged refuses a log folder not owned by root or munge; slurmctld wants a writable one.
  install -d -m 0755 "$LAB/log"
  install -d -m 0755 -o slurm -g slurm "$LAB/state" "$LAB/log/ctld"
  install -d -m 0700 -o munge -g munge "$LAB/munge"
  install -d -m 0755 -o munge -g munge "$LAB/run/munge"
  [ -e "$LAB/log/munged.log" ] || install -m 0640 -o munge -g munge /dev/null "$LAB/log/munged.log"
  if [ ! -s "$LAB/munge/munge.key" ]; then
    runuser -u munge -- mungekey -c -k "$LAB/munge/munge.key"
    log "made a munge key"
  fi
  # Stand-in GPU device nodes (c 195 N, as /dev/nvidiaN). gres/gpu needs File=: without device
  # files slurmd drops the GPUs and the controller marks the node invalid.
  for i in $(seq 0 7); do
    [ -c "$LAB/dev/nvidia$i" ] || mknod -m 0666 "$LAB/dev/nvidia$i" c 195 "$i"
  done

  # The fake nvidia-smi and its captures, copied: the nodes never read the checkout, which may move.
  new=$(mktemp -d "$LAB/nvidia-smi.XXXXXX")
  cp -r "$REPO/test/fixtures/nvidia-smi" "$new/fixtures"
  install -m 755 "$REPO/test/fixtures/fake-nvidia-smi/nvidia-smi" "$new/fake-nvidia-smi"
  chmod -R a+rX "$new"
  chmod 755 "$new"
  if [ -d "$LAB/nvidia-smi" ] && diff -rq "$new" "$LAB/nvidia-smi" >/dev/null; then
    rm -rf "$new"
  else
    rm -rf "$LAB/nvidia-smi.old"
    [ ! -d "$LAB/nvidia-smi" ] || mv "$LAB/nvidia-smi" "$LAB/nvidia-smi.old"
    mv "$new" "$LAB/nvidia-smi"
    rm -rf "$LAB/nvidia-smi.old"
  fi

  for n in "${NODES[@]}"; do
    N=$LAB/nodes/$n
    install -d -m 0755 "$N" "$N/run" "$N/bin" "$LAB/spool/slurmd-$n"
    install -d -m 0700 "$N/etc-docker"
    install -d -m 0700 "$N/data" "$N/exec"
    # What a node's /run holds besides the daemons' files (Debian's /run/lock and /run/shm).
    install -d -m 1777 "$N/run/lock"
    [ -L "$N/run/shm" ] || ln -s /dev/shm "$N/run/shm"
    # dockerd runs the hook as an OCI prestart hook, with the container state on stdin. The NVIDIA
    # Container Toolkit installs it on every user's PATH too: this folder is both.
    printf '#!/bin/sh\n# Stands in for the NVIDIA Container Toolkit hook (.ci/slurm-cluster.sh).\ncat >/dev/null\nexit 0\n' \
      | put "$N/bin/nvidia-container-runtime-hook" 755
    cat <<EOF | put "$N/bin/nvidia-smi" 755
#!/bin/sh
# $n's nvidia-smi (.ci/slurm-cluster.sh): the fake one playing ${NODE_MACHINE[$n]} (${NODE_GPUS[$n]} GPUs);
# what runs on its GPUs comes from $N/gpu-state when that file exists (tests write it as root).
FAKE_NVIDIA_SMI_DIR=$LAB/nvidia-smi/fixtures
FAKE_NVIDIA_SMI_MACHINE=${NODE_MACHINE[$n]}
export FAKE_NVIDIA_SMI_DIR FAKE_NVIDIA_SMI_MACHINE
if [ -e $N/gpu-state ]; then
  FAKE_NVIDIA_SMI_STATE=$N/gpu-state
  export FAKE_NVIDIA_SMI_STATE
else
  unset FAKE_NVIDIA_SMI_STATE
fi
exec $LAB/nvidia-smi/fake-nvidia-smi "\$@"
EOF
    # Starts the node's daemons in its mount namespace: with --mounts in a fresh one (unshare),
    # else in the namespace of the node's daemon still running (nsenter).
    cat <<EOF | put "$N/launch.sh" 755
#!/bin/bash
# Starts $n's daemons in its mount namespace (written by .ci/slurm-cluster.sh; run by it).
set -euo pipefail
N=$N
if [ "\${1:-}" = --mounts ]; then
  shift
  # /var/run is a symlink to /run: the node's own run folder, with its engine's socket.
  mount --bind \$N/run /run
  # /usr/local/bin as the host has it, plus the node's nvidia-smi and NVIDIA hook.
  mount -t overlay overlay -o lowerdir=\$N/bin:/usr/local/bin /usr/local/bin
  # Its own /etc/docker: dockerd 20.10 takes its daemon ID from /etc/docker/key.json, so engines
  # sharing the host's would all have one ID, as no two machines do.
  mkdir -p /etc/docker
  mount --bind \$N/etc-docker /etc/docker
fi
for what in "\$@"; do
  case \$what in
    dockerd)
      # The socket by its path outside, the same file as /var/run/docker.sock here: dockerd removes
      # it by that path when it stops, which must never be the host's, even should /run be the
      # host's again in this namespace (a daemon started here by hand, a mount gone).
      PATH="\$N/bin:\$PATH" setsid nohup dockerd --host unix://\$N/run/docker.sock --group docker \\
        --data-root \$N/data --exec-root \$N/exec --pidfile \$N/run/docker.pid \\
        --bridge=none --iptables=false --ip-masq=false </dev/null >\$N/dockerd.log 2>&1 &
      ;;
    slurmd) slurmd -f $CONF -N $n ;;
  esac
done
EOF
  done
}

write_configs() {
  local n
  {
    cat <<EOF
# The Slurm test cluster of issue 19 (written by .ci/slurm-cluster.sh, which says more).
ClusterName=devenv
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTL_PORT
SlurmdPort=${NODE_PORT[nodeA]}
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
CredType=cred/munge
StateSaveLocation=$LAB/state
SlurmdSpoolDir=$LAB/spool/slurmd-%n
SlurmctldPidFile=$LAB/run/slurmctld.pid
SlurmdPidFile=$LAB/run/slurmd-%n.pid
SlurmctldLogFile=$LAB/log/ctld/slurmctld.log
SlurmdLogFile=$LAB/log/slurmd-%n.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd (no sacct), so no AccountingStorageTRES=gres/gpu: without slurmdbd it is fatal.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
GresTypes=gpu
# Memory is allocated as CPUs are (as on most GPU clusters): a job gets DefMemPerCPU per CPU
# unless it asks, so jobs share a node instead of each taking all of its memory.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# The nodes' CPUs and memory are the lines below, not this small machine's.
SlurmdParameters=config_overrides
ReturnToService=2
# Quick for tests: jobs start at submit (no batch delay), the schedulers look at what pends every
# second or two, an ended job's processes get 5 s between SIGTERM and SIGKILL, and finished jobs
# leave the controller's memory (squeue --json, scontrol show job) after 5 s, not 300.
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=1
KillWait=5
MinJobAge=5
EOF
    for n in "${NODES[@]}"; do
      # Debian builds slurmd with MULTIPLE_SLURMD: several on one host, told apart by Port= and -N.
      printf 'NodeName=%s NodeHostname=%s NodeAddr=127.0.0.1 Port=%s CPUs=%s RealMemory=%s Gres=gpu:%s State=UNKNOWN\n' \
        "$n" "$HOST" "${NODE_PORT[$n]}" "${NODE_CPUS[$n]}" "${NODE_MEMORY[$n]}" "${NODE_GPUS[$n]}"
    done
    echo "PartitionName=gpu Nodes=$(IFS=,; echo "${NODES[*]}") Default=YES MaxTime=INFINITE State=UP"
    echo "PartitionName=debug Nodes=nodeB MaxTime=INFINITE State=UP"
  } | put "$CONF" 644
  for n in "${NODES[@]}"; do
    echo "NodeName=$n Name=gpu File=$LAB/dev/nvidia[0-$((NODE_GPUS[$n] - 1))]"
  done | put "$LAB/etc/gres.conf" 644
  printf '# Slurm client settings for the test cluster: . %s\nexport SLURM_CONF=%s\n' "$LAB/env.sh" "$CONF" \
    | put "$LAB/env.sh" 644
}

# --- daemons ---------------------------------------------------------------------------------
# The pid in a pid file when that process is still ours: its comm, and a command line naming
# `want` (a pid can be reused, even by another cluster's daemon).
live_pid() {
  local file=$1 comm=$2 want=$3 pid
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | has "$want" && printf '%s' "$pid"
}
ctld_pid() { live_pid "$LAB/run/slurmctld.pid" slurmctld "$CONF"; }
slurmd_pid() { live_pid "$LAB/run/slurmd-$1.pid" slurmd "$CONF -N $1"; }
node_dockerd_pid() { live_pid "$LAB/nodes/$1/run/docker.pid" dockerd "$LAB/nodes/$1/"; }
munged_pid() { live_pid "$LAB/run/munge/munged.pid" munged "$MUNGE_SOCK"; }
node_engine() { printf 'unix://%s/run/docker.sock' "$LAB/nodes/$1"; }
node_engine_up() { DOCKER_HOST=$(node_engine "$1") docker info >/dev/null 2>&1; }

# Stops the process of a pid file (checked as live_pid does), waiting for it to end.
stop_pid() {
  local pid=$1 what=$2
  log "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.5
  done
  log "$what (pid $pid) did not end in 30 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

start_munge() {
  if ! munged_pid >/dev/null; then
    rm -f "$LAB/run/munge/munged.pid"
    runuser -u munge -- /usr/sbin/munged --socket="$MUNGE_SOCK" --key-file="$LAB/munge/munge.key" \
      --pid-file="$LAB/run/munge/munged.pid" --log-file="$LAB/log/munged.log" \
      --seed-file="$LAB/munge/munged.seed" 9>&-
    log "started munged"
  fi
  munge -S "$MUNGE_SOCK" -n | unmunge -S "$MUNGE_SOCK" >/dev/null || die "munge round trip failed" "$LAB/log/munged.log"
}

start_ctld() {
  if ! ctld_pid >/dev/null; then
    slurmctld -f "$CONF" 9>&-
    log "started slurmctld"
  fi
  for _ in $(seq 1 60); do
    scontrol ping 2>/dev/null | has 'is UP' && return 0
    sleep 0.5
  done
  die "slurmctld does not answer \`scontrol ping\`" "$LAB/log/ctld/slurmctld.log"
}

# The mount namespace a node's daemon runs in, when it is one of its own (not the host's).
own_namespace() {
  local ns
  ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || return 1
  [ "$ns" != "$(readlink /proc/self/ns/mnt)" ] && printf '%s' "$ns"
}

# Starts what of a node is missing: in the namespace of its daemon still running, else in a
# fresh one. A daemon found in the host's namespace, or the two in different ones, is not that
# node: both are stopped and the node starts afresh.
start_node() {
  local n=$1 d s ns_d= ns_s= holder= missing=()
  d=$(node_dockerd_pid "$n") || d=
  s=$(slurmd_pid "$n") || s=
  [ -z "$d" ] || ns_d=$(own_namespace "$d") || ns_d=host
  [ -z "$s" ] || ns_s=$(own_namespace "$s") || ns_s=host
  if [ "$ns_d" = host ] || [ "$ns_s" = host ] || { [ -n "$d" ] && [ -n "$s" ] && [ "$ns_d" != "$ns_s" ]; }; then
    log "$n: its daemons are not in one namespace of their own: restarting the node"
    stop_node "$n"
    d= s=
  fi
  if [ -n "$d" ]; then holder=$d; else
    rm -f "$LAB/nodes/$n/run/docker.pid"
    missing+=(dockerd)
  fi
  if [ -n "$s" ]; then holder=$s; else missing+=(slurmd); fi
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ -n "$holder" ]; then
    log "$n: starting ${missing[*]} in the namespace of pid $holder"
    nsenter "--mount=/proc/$holder/ns/mnt" -- "$LAB/nodes/$n/launch.sh" "${missing[@]}" </dev/null 9>&-
  else
    log "$n: starting ${missing[*]} in a new mount namespace"
    setsid unshare --mount --propagation private -- "$LAB/nodes/$n/launch.sh" --mounts "${missing[@]}" </dev/null 9>&-
  fi
}

stop_node() {
  local n=$1 pid p
  if pid=$(slurmd_pid "$n"); then stop_pid "$pid" "slurmd $n"; fi
  rm -f "$LAB/run/slurmd-$n.pid"
  # Steps of the node's jobs that outlive slurmd hold its spool folder.
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    if ls -l "$p/fd" 2>/dev/null | has "$LAB/spool/slurmd-$n/"; then
      log "stopping a leftover slurmstepd of $n (pid ${p#/proc/})"
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
  if pid=$(node_dockerd_pid "$n"); then stop_pid "$pid" "dockerd of $n"; fi
  rm -f "$LAB/nodes/$n/run/docker.pid"
}

wait_engine() {
  local n=$1
  for _ in $(seq 1 60); do
    node_engine_up "$n" && return 0
    sleep 0.5
  done
  die "$n: its dockerd does not answer on $LAB/nodes/$n/run/docker.sock" "$LAB/nodes/$n/dockerd.log"
}

# Waits until every node has registered (idle, or running jobs), resuming nodes an earlier run left
# drained or down.
wait_nodes() {
  local bad n
  for _ in $(seq 1 60); do
    bad=$(sinfo -h -N -o '%N %t' | awk '$2 !~ /^(idle|mix|alloc|comp)$/ { print $1 ":" $2 }' | sort -u | tr '\n' ' ')
    [ -z "$bad" ] && return 0
    for n in $(sinfo -h -N -t drain,down -o '%N' | sort -u); do
      scontrol update nodename="$n" state=resume 2>/dev/null || true
    done
    sleep 0.5
  done
  die "nodes not ready: $bad" "$LAB/log/slurmd-nodeA.log"
}

# Copies the test base image into a node's engine unless the same image is there.
load_base_image() {
  local n=$1 wanted
  wanted=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null) \
    || die "image $BASE_IMAGE is missing on the default engine: run .ci/engine.sh first"
  [ "$(DOCKER_HOST=$(node_engine "$n") docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null)" != "$wanted" ] || return 0
  log "$n: loading $BASE_IMAGE into its engine"
  docker save "$BASE_IMAGE" | DOCKER_HOST=$(node_engine "$n") docker load -q >/dev/null
}

# --- checks, as the test user ----------------------------------------------------------------
# Runs a command as the test user with a clean, login-like environment and the cluster's
# SLURM_CONF, from /tmp (a job starts in the submitter's folder, which the user may not read).
as_user() {
  (cd /tmp && runuser -u "$CHECK_USER" -- env -i "HOME=$(getent passwd "$CHECK_USER" | cut -d: -f6)" \
    "USER=$CHECK_USER" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "SLURM_CONF=$CONF" "$@")
}

# What is wrong with a node seen from inside a job there (nothing: it answers as itself): its
# engine must be the node's (the daemon ID and data root its socket gives outside; an ID of its
# own) and its nvidia-smi must list the node's GPUs.
node_wrong() {
  local n=$1 engine want got errors
  engine=$(DOCKER_HOST=$(node_engine "$n") docker info --format '{{.ID}} {{.DockerRootDir}}' 2>&1) \
    || { printf 'its engine does not answer at %s: %s' "$(node_engine "$n")" "$engine"; return; }
  if [ "${engine%% *}" = "$(docker info --format '{{.ID}}' 2>/dev/null)" ]; then
    printf "its engine has the default engine's daemon ID %s" "${engine%% *}"
    return
  fi
  want="$n $engine ${NODE_GPUS[$n]}"
  # Stdout alone is the answer: srun may say more on stderr (a step waiting for resources).
  errors=$(mktemp)
  # shellcheck disable=SC2016 # expanded in the job
  got=$(as_user timeout 60 srun --immediate=30 -w "$n" -N1 -n1 --gres=gpu:1 bash -c \
    'echo "$SLURMD_NODENAME $(docker info --format "{{.ID}} {{.DockerRootDir}}") $(nvidia-smi --query-gpu=uuid --format=csv,noheader | wc -l)"' \
    2>"$errors") || got="srun failed: $got $(cat "$errors")"
  rm -f "$errors"
  [ "$got" = "$want" ] || printf 'a job step there says "%s", not "%s"' "$(echo "$got" | tr '\n' ' ' | cut -c1-300)" "$want"
}

# A running job's node engine answers through a step of that job (docker system dial-stdio), as
# devenv reaches it: --unbuffered as devenv's dial has it, since srun otherwise holds a step's
# output by lines, and the answer's last line ("OK") has no newline. Only stdout is the answer:
# dial-stdio may log a harmless CloseWrite error on stderr after it (seen 1 in 15 steps), which
# a merged stream can put last.
check_dial_stdio() {
  local n=$1 job answer errors
  job=$(as_user sbatch --parsable -w "$n" -N1 -n1 --gres=gpu:1 -o /dev/null -J devenv-ci-check --wrap 'sleep 120') \
    || die "sbatch as $CHECK_USER failed"
  for _ in $(seq 1 60); do
    [ "$(squeue -h -j "$job" -o %T 2>/dev/null)" = RUNNING ] && break
    sleep 0.25
  done
  errors=$(mktemp)
  answer=$(printf 'GET /_ping HTTP/1.0\r\n\r\n' \
    | as_user timeout 60 srun --jobid "$job" --overlap --unbuffered -N1 -n1 docker system dial-stdio 2>"$errors") || true
  scancel "$job" 2>/dev/null || true
  if ! printf '%s' "$answer" | tail -n 1 | has '^OK$'; then
    die "$n: \`srun --jobid $job --overlap docker system dial-stdio\` did not answer /_ping with OK: it printed \"$(printf '%s' "$answer" | tr '\r\n' '  ')\", and on stderr \"$(tr '\n' ' ' <"$errors")\""
  fi
  rm -f "$errors"
}

up() {
  local started missing n pid wrong restart_slurm=
  started=$(date +%s%N)
  missing=$(missing_pkgs | tr '\n' ' ')
  [ -z "$missing" ] || die "missing packages: ${missing}: run \`bash .ci/slurm-cluster.sh install\` first"
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run .ci/engine.sh first"
  docker info >/dev/null 2>&1 || die "the default Docker engine does not answer (its base image goes to the nodes): run .ci/engine.sh first"
  getent group docker >/dev/null 2>&1 || die "group docker is missing: run .ci/engine.sh first"
  id -nG "$CHECK_USER" 2>/dev/null | tr ' ' '\n' | has '^docker$' \
    || die "$CHECK_USER is missing or not in group docker: run .ci/test-users.sh first"

  # One provisioning at a time. The daemons must not inherit this fd (`9>&-` where they start).
  exec 9>/srv/.devenv-slurm-cluster.flock
  flock 9

  prepare
  PUT_CHANGED=0
  write_configs
  # A changed node or port needs the daemons to start again (scontrol reconfigure does not move
  # ports); jobs and their steps survive it.
  if [ "$PUT_CHANGED" = 1 ] && ctld_pid >/dev/null; then restart_slurm=1; fi
  if [ -n "$restart_slurm" ]; then
    log "slurm.conf changed: restarting slurmctld and the slurmds"
    for n in "${NODES[@]}"; do
      if pid=$(slurmd_pid "$n"); then stop_pid "$pid" "slurmd $n"; fi
    done
    if pid=$(ctld_pid); then stop_pid "$pid" slurmctld; fi
  fi

  start_munge
  start_ctld
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_engine "$n"; done
  wait_nodes
  for n in "${NODES[@]}"; do load_base_image "$n"; done

  for n in "${NODES[@]}"; do
    wrong=$(node_wrong "$n")
    [ -n "$wrong" ] || continue
    log "$n: $wrong: restarting it"
    stop_node "$n"
    start_node "$n"
    wait_engine "$n"
    wait_nodes
    wrong=$(node_wrong "$n")
    [ -z "$wrong" ] || die "$n: $wrong, even after a restart" "$LAB/log/slurmd-$n.log"
  done
  check_dial_stdio nodeB

  for n in "${NODES[@]}"; do
    log "$n: engine $(DOCKER_HOST=$(node_engine "$n") docker version --format '{{.Server.Version}}') on $(node_engine "$n"), ${NODE_GPUS[$n]} GPUs (${NODE_MACHINE[$n]})"
  done
  log "ready in $((($(date +%s%N) - started) / 1000000)) ms; clients: . $LAB/env.sh"
}

down() {
  local jobs n pid
  if ctld_pid >/dev/null; then
    jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs: $jobs"
      # shellcheck disable=SC2086 # one argument per job
      scancel $jobs 2>/dev/null || true
      for _ in $(seq 1 40); do
        [ -z "$(squeue -h -t R,CG,S -o %i 2>/dev/null)" ] && break
        sleep 0.5
      done
    fi
  fi
  for n in "${NODES[@]}"; do stop_node "$n"; done
  if pid=$(ctld_pid); then stop_pid "$pid" slurmctld; fi
  rm -f "$LAB/run/slurmctld.pid"
  if pid=$(munged_pid); then stop_pid "$pid" munged; fi
  log "down"
}

status() {
  local n pid
  if pid=$(munged_pid); then echo "munged        pid $pid"; else echo "munged        stopped"; fi
  if pid=$(ctld_pid); then echo "slurmctld     pid $pid"; else echo "slurmctld     stopped"; fi
  for n in "${NODES[@]}"; do
    if pid=$(slurmd_pid "$n"); then echo "slurmd $n  pid $pid"; else echo "slurmd $n  stopped"; fi
    if pid=$(node_dockerd_pid "$n"); then
      echo "dockerd $n pid $pid $(node_engine "$n")$(node_engine_up "$n" || echo ' (not answering)')"
    else
      echo "dockerd $n stopped"
    fi
  done
  if ctld_pid >/dev/null; then
    sinfo -N -o '%N %P %T %c %m %G'
    squeue -o '%.8i %.10u %.9T %.14b %.8N %r'
  fi
}

case "${1:-up}" in
  install) install_pkgs ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: $0 [install|up|down|status]" >&2
    exit 2
    ;;
esac
