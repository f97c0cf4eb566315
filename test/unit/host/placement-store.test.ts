import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  placedHosts,
  readPlacement,
  removePlacement,
  writePlacement,
} from '../../../src/host/placement-store.js';

function stateEnv(): NodeJS.ProcessEnv {
  return { XDG_STATE_HOME: mkdtempSync(path.join(os.tmpdir(), 'devenv-placement-')) };
}

describe('placement records', () => {
  it('reads back where an env was placed, per .devenvrc folder and env name', () => {
    const env = stateEnv();
    writePlacement(env, '/home/me/a', 'train', 'gpu1');
    writePlacement(env, '/home/me/b', 'train', 'gpu2');
    expect(readPlacement(env, '/home/me/a', 'train')?.host).toBe('gpu1');
    expect(readPlacement(env, '/home/me/b', 'train')?.host).toBe('gpu2');
    expect(placedHosts(env).sort()).toEqual(['gpu1', 'gpu2']);
  });

  it('has no record for an env never placed, with or without a placements folder', () => {
    const env = stateEnv();
    expect(readPlacement(env, '/home/me/a', 'train')).toBeNull();
    writePlacement(env, '/home/me/a', 'other', 'gpu1');
    expect(readPlacement(env, '/home/me/a', 'train')).toBeNull();
    // Same name, another folder: another env.
    writePlacement(env, '/home/me/b', 'train', 'gpu1');
    expect(readPlacement(env, '/home/me/a', 'train')).toBeNull();
  });

  it('forgets a removed placement', () => {
    const env = stateEnv();
    writePlacement(env, '/home/me/a', 'train', 'gpu1');
    removePlacement(env, '/home/me/a', 'train');
    expect(readPlacement(env, '/home/me/a', 'train')).toBeNull();
    expect(readdirSync(path.join(env.XDG_STATE_HOME as string, 'devenv', 'placements'))).toEqual([]);
  });
});
