import { describe, expect, it } from 'vitest';
import { listClusterEnvs } from '../../../src/app/cluster-envs.js';
import { FakeSlurm } from '../../fakes/slurm.js';

function cluster(): FakeSlurm {
  const slurm = new FakeSlurm([{ name: 'nodeA', gpus: 8 }]);
  slurm.addJob({
    name: 'devenv-llm-me',
    user: 'me',
    state: 'RUNNING',
    reason: null,
    node: 'nodeA',
    secondsLeft: 600,
  });
  slurm.addJob({ name: 'devenv-eval-me', user: 'me', state: 'PENDING', reason: 'Resources', node: null });
  slurm.addJob({ name: 'train.sh', user: 'me', state: 'RUNNING', node: 'nodeA' });
  slurm.addJob({ name: 'devenv-nlp-bob', user: 'bob', state: 'RUNNING', node: 'nodeA' });
  slurm.addJob({ name: 'devenv-old-me', user: 'me', state: 'COMPLETED', node: 'nodeA' });
  return slurm;
}

describe('listClusterEnvs', () => {
  it("lists the user's envs by their live jobs, running or queued, and no other job", async () => {
    const rows = await listClusterEnvs(cluster(), 'me');
    expect(rows.map((r) => [r.env, r.state, r.node, r.reason])).toEqual([
      ['llm', 'RUNNING', 'nodeA', null],
      ['eval', 'PENDING', null, 'Resources'],
    ]);
    expect(rows[0]?.secondsLeft).toBe(600);
  });

  it("with no user, every user's envs", async () => {
    const rows = await listClusterEnvs(cluster(), null);
    expect(rows.map((r) => `${r.user}/${r.env}`)).toEqual(['me/llm', 'me/eval', 'bob/nlp']);
  });
});
