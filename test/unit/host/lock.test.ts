import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStale, withEnvLock } from '../../../src/host/lock.js';

describe('isStale', () => {
  const alive = (pid: number) => pid === 42;
  it.each([
    { holder: { pid: 42, host: 'me' }, age: 1_000, stale: false, why: 'live holder on this host' },
    { holder: { pid: 7, host: 'me' }, age: 1_000, stale: true, why: 'dead pid on this host' },
    { holder: { pid: 7, host: 'other' }, age: 1_000, stale: false, why: 'another host, heartbeat fresh' },
    { holder: { pid: 42, host: 'me' }, age: 60_000, stale: true, why: 'no heartbeat for a minute' },
    { holder: null, age: 500, stale: false, why: 'holder still writing' },
    { holder: null, age: 5_000, stale: true, why: 'garbage file' },
  ])('$why -> $stale', ({ holder, age, stale }) => {
    expect(isStale(holder, age, 'me', alive)).toBe(stale);
  });
});

describe('withEnvLock', () => {
  it('runs holders one at a time and tells the waiter who holds it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-'));
    const order: string[] = [];
    let waitedOn: number | undefined;
    let releaseFirst: () => void = () => {};
    const first = withEnvLock(dir, 'env', {}, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push('first out');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = withEnvLock(
      dir,
      'env',
      {
        onWait: (h) => {
          waitedOn = h?.pid;
        },
      },
      async () => {
        order.push('second in');
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(waitedOn).toBe(process.pid);
  });

  it('takes over a lock whose holder died', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-'));
    writeFileSync(path.join(dir, 'env.lock'), `2147483646 ${os.hostname()}\n`);
    await expect(withEnvLock(dir, 'env', {}, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up waiting when interrupted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devenv-lock-'));
    writeFileSync(path.join(dir, 'env.lock'), `${process.pid} ${os.hostname()}\n`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted')), 200);
    await expect(withEnvLock(dir, 'env', { signal: controller.signal }, async () => 'ran')).rejects.toThrow(
      'interrupted',
    );
  });
});
