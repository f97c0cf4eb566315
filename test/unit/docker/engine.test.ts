import { describe, expect, it } from 'vitest';
import { isStaleLock } from '../../../src/docker/engine.js';

describe('isStaleLock', () => {
  const now = Date.parse('2026-12-07T06:00:00Z');
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();

  it('a lock container that ended (its AutoRemove did not happen) is stale', () => {
    expect(isStaleLock({ status: 'exited', created: at(5) }, now)).toBe(true);
    expect(isStaleLock({ status: 'dead', created: at(5) }, now)).toBe(true);
  });

  it('one just made and not yet started is another start taking it: not stale', () => {
    expect(isStaleLock({ status: 'created', created: at(1) }, now)).toBe(false);
  });

  it('one made and never started for over a minute was left by a holder that crashed', () => {
    expect(isStaleLock({ status: 'created', created: at(61) }, now)).toBe(true);
  });

  it('a running one is held', () => {
    expect(isStaleLock({ status: 'running', created: at(3600) }, now)).toBe(false);
  });
});
