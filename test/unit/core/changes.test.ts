import { describe, expect, it } from 'vitest';
import { type ContainerChange, meaningfulChanges, summarizeChanges } from '../../../src/core/changes.js';

const MOUNTS = ['/home/alice/projects', '/home/alice/.vscode-server', '/data'];
const changed = (path: string): ContainerChange => ({ path, kind: 'changed' });
const added = (path: string): ContainerChange => ({ path, kind: 'added' });
const deleted = (path: string): ContainerChange => ({ path, kind: 'deleted' });

describe('meaningfulChanges', () => {
  it.each([
    { label: '/tmp', changes: [changed('/tmp'), added('/tmp/x.lock')] },
    { label: '/run', changes: [changed('/run'), added('/run/devenv/ssh-agent.sock')] },
    { label: '/var/run', changes: [added('/var/run/app.pid')] },
    { label: '/dev and /proc', changes: [added('/dev/shm/x'), changed('/proc/1')] },
    { label: '/var/log', changes: [added('/var/log/apt/history.log')] },
    { label: 'shell history', changes: [changed('/home/alice/.bash_history'), added('/root/.bash_history')] },
    { label: '.cache', changes: [added('/home/alice/.cache/pip/http/x'), changed('/home/alice/.cache')] },
    { label: 'a mount target', changes: [changed('/home/alice/projects'), changed('/data')] },
    {
      label: 'files under mounts',
      changes: [
        added('/home/alice/projects/app.py'),
        added('/home/alice/.vscode-server/bin/x'),
        deleted('/data/a'),
      ],
    },
  ])('drops $label', ({ changes }) => {
    expect(meaningfulChanges(changes, MOUNTS)).toEqual([]);
  });

  it.each([
    { label: 'a file next to /tmp', change: added('/tmpfile') },
    { label: 'a folder named like a mount', change: added('/database/x') },
    { label: 'a folder named like .cache', change: added('/home/alice/.cachedir/x') },
    {
      label: 'an installed package',
      change: added('/usr/local/lib/python3.12/dist-packages/rich/__init__.py'),
    },
    { label: 'a deleted config file', change: deleted('/etc/motd') },
    { label: 'a dotfile in the home folder', change: changed('/home/alice/.bashrc') },
  ])('keeps $label', ({ change }) => {
    expect(meaningfulChanges([change], MOUNTS)).toEqual([change]);
  });

  it('drops a changed folder when a child of it is listed', () => {
    const changes = [
      changed('/usr'),
      changed('/usr/local'),
      changed('/usr/local/bin'),
      added('/usr/local/bin/tool'),
      changed('/etc'),
      changed('/etc/motd'),
    ];
    expect(meaningfulChanges(changes, MOUNTS)).toEqual([added('/usr/local/bin/tool'), changed('/etc/motd')]);
  });

  it('keeps an added or deleted folder together with its children', () => {
    const changes = [added('/opt/tool'), added('/opt/tool/bin'), deleted('/srv/old')];
    expect(meaningfulChanges(changes, MOUNTS)).toEqual(changes);
  });

  it('does not treat a sibling with a common prefix as a child', () => {
    const changes = [changed('/etc/app'), added('/etc/apple')];
    expect(meaningfulChanges(changes, MOUNTS)).toEqual(changes);
  });

  // `docker diff` lists every parent of a changed file as changed, so a folder whose only
  // listed children are noise or mounted holds nothing the user would lose.
  it.each([
    { label: 'shell history', changes: [changed('/root'), changed('/root/.bash_history')] },
    { label: 'apt logs', changes: [changed('/var'), changed('/var/log'), added('/var/log/apt.log')] },
    {
      label: 'the pip cache',
      changes: [
        changed('/home'),
        changed('/home/alice'),
        changed('/home/alice/.cache'),
        added('/home/alice/.cache/pip/x'),
      ],
    },
    {
      label: 'a mount point',
      changes: [changed('/home'), changed('/home/alice'), added('/home/alice/projects')],
    },
  ])('drops the parent folders of $label', ({ changes }) => {
    expect(meaningfulChanges(changes, MOUNTS)).toEqual([]);
  });

  it('keeps the order it was given', () => {
    const changes = [added('/b'), added('/a'), deleted('/c')];
    expect(meaningfulChanges(changes, [])).toEqual(changes);
  });
});

describe('summarizeChanges', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => added(`/opt/f${i + 1}`));

  it.each([
    { label: 'nothing', changes: [], text: '' },
    {
      label: 'one of each kind',
      changes: [added('/opt/a'), deleted('/etc/motd'), changed('/etc/hosts')],
      text: '+/opt/a, -/etc/motd, ~/etc/hosts',
    },
    {
      label: 'exactly 8',
      changes: many(8),
      text: many(8)
        .map((c) => `+${c.path}`)
        .join(', '),
    },
    {
      label: '9',
      changes: many(9),
      text: `${many(8)
        .map((c) => `+${c.path}`)
        .join(', ')} and 1 more`,
    },
    {
      label: '20',
      changes: many(20),
      text: `${many(8)
        .map((c) => `+${c.path}`)
        .join(', ')} and 12 more`,
    },
  ])('$label', ({ changes, text }) => {
    expect(summarizeChanges(changes)).toBe(text);
  });

  it('takes another cap', () => {
    expect(summarizeChanges(many(3), 2)).toBe('+/opt/f1, +/opt/f2 and 1 more');
  });
});
