import { DevenvError } from './errors.js';
import type { LeaseRequest } from './gpu/lease.js';

/** What a command says about where its env goes. */
export interface HostChoice {
  /** `start --on HOST`: that engine, whatever "hosts" and the last placement say. */
  on?: string;
  /** Place the env among "hosts" (start, rebuild, code); other verbs follow the last placement. */
  place?: boolean;
  /** `start --gpus N`: the request to place by, instead of the config's. */
  gpus?: number;
  /** `start --wait`: when no host has room, place where waiting can succeed. */
  waiting?: boolean;
}

/** Where an env's placement came from, for `start` to record once the env runs. */
export interface PlacementDecision {
  host: string;
  explanation: string | null;
}

/** `devenv VERB` pointed at one host, the way the docker CLI is: a context flag or DOCKER_HOST. */
export function commandOn(entry: string, verb: string): string {
  return /^[a-z]+:\/\//i.test(entry)
    ? `DOCKER_HOST=${entry} devenv ${verb}`
    : `devenv --context ${entry} ${verb}`;
}

/** What `start` learned about one entry of "hosts" before placing the env. */
export type HostSurvey =
  | {
      host: string;
      reachable: true;
      /** The env's own objects there: a running or stopped container, only its image, or nothing. */
      env: 'running' | 'stopped' | 'image' | 'absent';
      /** GPUs there, and how many are free for this env (another env's lease or a foreign job makes one busy). */
      gpus: { total: number; free: number };
      /** Whether the env's GPU request can be met there now. */
      fits: boolean;
    }
  | { host: string; reachable: false; problem: string };

export interface PlacementChoice {
  host: string;
  /** One line: where and why, e.g. "placed on gpu2: 4 of 8 GPUs free". */
  explanation: string;
}

/** How many GPUs a request needs to count a host as having room (0: any host will do). */
export function gpusNeeded(request: LeaseRequest): number {
  return request.kind === 'count' ? request.count : 0;
}

/**
 * Where the env goes. A host where it runs keeps it (it holds its GPUs there). Otherwise a host
 * where its GPU request fits: first one where the env already has a container or an image, then
 * the one it was last placed on, then (unless it wants no GPU) the one with the most free GPUs,
 * then the list's order.
 * Throws exit 8 naming each host's free count when none has room, exit 4 when none answers.
 */
export function choosePlacement(input: {
  request: LeaseRequest;
  surveys: HostSurvey[];
  lastPlaced: string | null;
  /** `start --wait`: when no host has room now, the one to wait on (enough GPUs in all). */
  waiting?: boolean;
}): PlacementChoice {
  const { surveys, lastPlaced } = input;
  const reachable = surveys.flatMap((s, index) => (s.reachable ? [{ ...s, index }] : []));
  const running = reachable.find((s) => s.env === 'running');
  if (running) return { host: running.host, explanation: `on ${running.host}, where the env runs` };

  const need = gpusNeeded(input.request);
  const wantsGpus = input.request.kind !== 'none';
  const fitting = reachable.filter((s) => s.fits);
  const big = reachable.filter((s) => s.gpus.total >= Math.max(need, 1));
  if (fitting.length === 0 && input.waiting && big.length > 0) {
    const host = [...big].sort((a, b) =>
      compareTuples(order(a, lastPlaced, wantsGpus), order(b, lastPlaced, wantsGpus)),
    )[0] as Reached;
    return { host: host.host, explanation: `placed on ${host.host} to wait for GPUs: ${freeText(host)}` };
  }
  if (fitting.length === 0) {
    if (reachable.length === 0)
      throw new DevenvError(`no host in "hosts" answers: ${surveys.map(describeSurvey).join('; ')}`, {
        hint: 'check the hosts (`ssh HOST`), or force one with `devenv start --on HOST`',
        code: 'engine',
      });
    throw new DevenvError(
      `no host has ${need > 0 ? `${need} free GPU${need === 1 ? '' : 's'}` : 'the GPUs this env asks for'}: ${surveys.map(describeSurvey).join('; ')}`,
      {
        hint: 'try again later, ask for fewer GPUs, add a host to "hosts", or wait on one host with `devenv start --on HOST --wait`',
        code: 'gpu',
      },
    );
  }
  const best = [...fitting].sort((a, b) =>
    compareTuples(order(a, lastPlaced, wantsGpus), order(b, lastPlaced, wantsGpus)),
  )[0] as Reached;
  const why =
    best.env === 'absent'
      ? freeText(best)
      : `the env's ${best.env === 'image' ? 'image' : 'container'} is there, ${freeText(best)}`;
  return { host: best.host, explanation: `placed on ${best.host}: ${why}` };
}

type Reached = Extract<HostSurvey, { reachable: true }> & { index: number };

/**
 * Preference among hosts with room: the env's objects there, its last host, then (for an env
 * that wants GPUs) the most free GPUs, then list order. An env with "gpus": "none" does not
 * take the GPU server with the most free GPUs: it goes by the list.
 */
function order(s: Reached, lastPlaced: string | null, wantsGpus: boolean): number[] {
  return [s.env === 'absent' ? 1 : 0, s.host === lastPlaced ? 0 : 1, wantsGpus ? -s.gpus.free : 0, s.index];
}

function freeText(s: Reached): string {
  return `${s.gpus.free} of ${s.gpus.total} GPU${s.gpus.total === 1 ? '' : 's'} free`;
}

/** "gpu1: 2 of 8 GPUs free", "gpu3: unreachable (Connection refused)". */
export function describeSurvey(survey: HostSurvey): string {
  if (!survey.reachable) return `${survey.host}: unreachable (${survey.problem})`;
  const { free, total } = survey.gpus;
  return `${survey.host}: ${free} of ${total} GPU${total === 1 ? '' : 's'} free`;
}

function compareTuples(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
