import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envOn } from '../../../src/app/env.js';
import { openSlurmSite } from '../../../src/app/slurm-site.js';
import type { SlurmJob } from '../../../src/core/slurm/job.js';
import { NO_CACHES } from '../../../src/host/caches.js';
import { localHost } from '../../../src/host/local-host.js';
import type { SlurmCommands } from '../../../src/host/slurm.js';
import { checkedConfig } from '../../fakes/env-context.js';
import { type FakeIo, fakeIo } from '../../fakes/io.js';
import { RecordingUi } from '../../fakes/ui.js';

function job(state: string, node: string | null): SlurmJob {
  return {
    id: '42',
    name: 'devenv-x-me',
    user: 'me',
    state,
    reason: null,
    node,
    secondsLeft: state === 'RUNNING' ? 1800 : null,
    timeLimit: '30:00',
    cpus: 1,
    memoryMiB: null,
  };
}

/** Slurm answering squeue by the env job's name with `named`, by its ID with `byId` in turn; the calls it got. */
function fakeSlurm(named: SlurmJob[], byId: SlurmJob[]): SlurmCommands & { calls: string[] } {
  const calls: string[] = [];
  const no = (what: string) => () => Promise.reject(new Error(`unexpected ${what}`));
  return {
    calls,
    jobsNamed: async (name) => {
      calls.push(`squeue --name=${name}`);
      return named;
    },
    job: async (id) => {
      calls.push(`squeue --jobs=${id}`);
      return byId.shift() ?? null;
    },
    submit: no('sbatch'),
    jobsOf: no('squeue --user'),
    jobDetail: no('scontrol'),
    cancel: no('scancel'),
    step: no('srun'),
    spawnStep: () => {
      throw new Error('unexpected srun');
    },
    nodes: no('scontrol show node'),
    queueJson: no('squeue --json'),
  };
}

let io: FakeIo;
beforeEach(() => {
  io = fakeIo();
});
afterEach(() => io.cleanup());

describe("a Slurm site's job", () => {
  const config = checkedConfig({ name: 'x', gpus: 1, slurm: { time: '30' } });

  async function ensure(slurm: SlurmCommands) {
    const ui = new RecordingUi();
    const site = openSlurmSite(io, ui, config, NO_CACHES, slurm);
    return site.job?.ensure(envOn(localHost(io.env), config), { ui, signal: io.signal });
  }

  it('found running: one squeue, and no second look at it', async () => {
    const slurm = fakeSlurm([job('RUNNING', 'nodeA')], []);
    const claim = await ensure(slurm);
    expect(claim).toEqual({ job: job('RUNNING', 'nodeA'), submitted: false });
    expect(slurm.calls).toHaveLength(1);
    expect(slurm.calls[0]).toMatch(/^squeue --name=devenv-x-/);
  });

  it('found queued: waits for it by its ID until it runs', async () => {
    const slurm = fakeSlurm([job('PENDING', null)], [job('RUNNING', 'nodeB')]);
    const claim = await ensure(slurm);
    expect(claim).toEqual({ job: job('RUNNING', 'nodeB'), submitted: false });
    expect(slurm.calls.slice(1)).toEqual(['squeue --jobs=42']);
  });
});
