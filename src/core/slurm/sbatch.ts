import type { SlurmSettings } from '../config/schema.js';
import { DevenvError } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { LeaseRequest } from '../gpu/lease.js';

/** Seconds before the time limit at which Slurm signals the job, and devenv warns the env's terminals. */
export const WARN_BEFORE_END_SECONDS = 300;

/**
 * How many GPUs the env's job asks Slurm for. A count is GRES; "auto" and "none" ask for none
 * (Slurm gives a job only what it asks for). Particular GPUs cannot be asked of a scheduler.
 */
export function slurmGpuCount(request: LeaseRequest, configFile: string): number {
  switch (request.kind) {
    case 'count':
      return request.count;
    case 'auto':
    case 'none':
      return 0;
    case 'all':
    case 'list':
      throw new DevenvError(
        `"gpus": ${request.kind === 'all' ? '"all"' : 'a list of GPUs'} cannot be asked of Slurm, which chooses the GPUs of a job`,
        { hint: `set "gpus" to a number in ${configFile}`, code: 'config' },
      );
  }
}

export interface JobRequest {
  /** The job's name: the env's container name, so squeue says whose env it is. */
  name: string;
  gpus: number;
  settings: SlurmSettings;
  /** Where Slurm writes the job's output (the batch script's messages), on the shared filesystem. */
  output: string;
  /** The job's working folder on its node: the env's root, which must be on the shared filesystem. */
  workdir: string;
}

/** The sbatch command line for the env's job; the batch script goes on stdin. */
export function sbatchArgv(request: JobRequest): string[] {
  const { settings } = request;
  return [
    'sbatch',
    '--parsable',
    `--job-name=${request.name}`,
    `--output=${request.output}`,
    `--chdir=${request.workdir}`,
    '--nodes=1',
    '--ntasks=1',
    ...(request.gpus > 0 ? [`--gres=gpu:${request.gpus}`] : []),
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.time ? [`--time=${settings.time}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
    ...(settings.qos ? [`--qos=${settings.qos}`] : []),
    ...(settings.constraint ? [`--constraint=${settings.constraint}`] : []),
    // B: the batch shell itself gets the warning, so it can tell the env's terminals.
    `--signal=B:USR1@${WARN_BEFORE_END_SECONDS}`,
    ...(settings.sbatchArgs ?? []),
  ];
}

/** A shell word: the script is read by /bin/sh on the node. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The env's batch job. It holds the allocation while the env's container lives, and takes the
 * container down when the job ends for any reason Slurm signals (scancel, the time limit, a
 * drained node): Docker's containers run under the engine, outside the job, and would outlive
 * it. It warns the env's terminals before the time limit, and ends the job when the container is
 * gone for good, so a stopped env holds no GPUs. The node's own engine is the one at the
 * standard socket: the user's DOCKER_HOST or docker context from the login node says nothing there.
 */
export function batchScript(input: { container: string; envName: string; idleMinutes: number }): string {
  const container = quoted(input.container);
  const warning = quoted(
    `devenv: the Slurm job of env ${input.envName} ends in about ${WARN_BEFORE_END_SECONDS / 60} minutes; save your work (then \`devenv start\` again for a new job)`,
  );
  return `#!/bin/sh
# devenv: the job of env ${input.envName} (container ${input.container}).
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_CONTEXT=default
container=${container}
warning=${warning}
stop_env() {
  docker rm -f "$container" >/dev/null 2>&1
  echo "devenv: job $SLURM_JOB_ID ended; container $container removed"
  exit 0
}
warn_env() {
  docker exec -u 0 -e "DEVENV_WARNING=$warning" "$container" sh -c \\
    'for t in /dev/pts/[0-9]*; do printf "\\r\\n\\033[33m%s\\033[0m\\r\\n" "$DEVENV_WARNING" >"$t"; done' 2>/dev/null
}
trap stop_env TERM INT HUP
trap warn_env USR1
echo "devenv: job $SLURM_JOB_ID holds env ${input.envName} on $SLURMD_NODENAME"
seen=0
idle=0
while :; do
  sleep 5 &
  wait $!
  running=$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null)
  if [ "$running" = true ]; then
    seen=1
    idle=0
  elif [ -n "$running" ] && [ $seen = 0 ]; then
    # Made but not running: being started, or it stopped before a look saw it run (a crash at
    # once). The minute counts from now, not the hour for a start that never made it.
    seen=1
    idle=0
  else
    idle=$((idle + 5))
    # Gone for a minute after it ran (devenv stop, docker stop, a crash), or never up at all.
    if { [ $seen = 1 ] && [ $idle -ge 60 ]; } || [ $idle -ge $((${input.idleMinutes} * 60)) ]; then
      echo "devenv: container $container is not running; ending job $SLURM_JOB_ID"
      stop_env
    fi
  fi
done
`;
}

/**
 * What sbatch's refusal means, as one line: the configured request is wrong (exit 3), or no node
 * of the cluster can ever give it (exit 8); no job was made either way.
 */
export function submitFailure(stderr: string, configFile: string, settings: SlurmSettings): DevenvError {
  const said =
    firstLine(stderr.replace(/^sbatch: (error: )?(Batch job submission failed: )?/gm, '')) ??
    'no reason given';
  const fix = (key: string) =>
    `fix "slurm".${key} in ${configFile} (\`sinfo -s\` lists partitions; \`sacctmgr show assoc user=$USER\` your accounts and QOS)`;
  if (/node configuration is not available|Requested node configuration/i.test(stderr))
    return new DevenvError(
      `no node${settings.partition ? ` of partition ${settings.partition}` : ''} can ever run this env's job: Slurm refused it (${said})`,
      {
        hint: `ask for fewer GPUs in "gpus", or another partition or constraint in ${configFile} (\`sinfo -o "%P %N %G"\` shows the GPUs of each node)`,
        code: 'gpu',
      },
    );
  if (/invalid partition/i.test(stderr))
    return new DevenvError(`Slurm knows no partition ${settings.partition ?? '(default)'}: ${said}`, {
      hint: fix('partition'),
      code: 'config',
    });
  if (/invalid account/i.test(stderr))
    return new DevenvError(`Slurm refused account ${settings.account ?? '(default)'}: ${said}`, {
      hint: fix('account'),
      code: 'config',
    });
  if (/invalid qos/i.test(stderr))
    return new DevenvError(`Slurm refused QOS ${settings.qos ?? '(default)'}: ${said}`, {
      hint: fix('qos'),
      code: 'config',
    });
  if (/invalid feature/i.test(stderr))
    return new DevenvError(
      `Slurm knows no node feature in constraint ${settings.constraint ?? ''}: ${said}`,
      {
        hint: `fix "slurm".constraint in ${configFile} (\`sinfo -o "%N %f"\` lists the features of each node)`,
        code: 'config',
      },
    );
  // Not any "time limit": "Job violates accounting/QOS policy (… size and/or time limits)" is a user limit.
  if (/--time specification|time limit is invalid/i.test(stderr))
    return new DevenvError(`Slurm refused the time limit ${settings.time ?? '(default)'}: ${said}`, {
      hint: fix('time'),
      code: 'config',
    });
  if (/unrecognized option|invalid option|unknown option/i.test(stderr))
    return new DevenvError(`sbatch refused an option: ${said}`, {
      hint: `fix "slurm".sbatchArgs in ${configFile} (\`sbatch --help\` lists the options)`,
      code: 'config',
    });
  if (
    /unable to contact|connection refused|Socket timed out|Unable to contact slurm controller/i.test(stderr)
  )
    return new DevenvError(`the Slurm controller does not answer: ${said}`, {
      hint: 'check `scontrol ping` and SLURM_CONF; try again when the cluster is back',
      code: 'scheduler',
    });
  return new DevenvError(`Slurm refused the env's job: ${said}`, {
    hint: `check "slurm" in ${configFile} against \`sbatch --help\` and your cluster's rules`,
    code: 'config',
  });
}
