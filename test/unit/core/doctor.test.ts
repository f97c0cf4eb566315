import { describe, expect, it } from 'vitest';
import { registryCheck } from '../../../src/core/doctor.js';

const R = '127.0.0.1:17851/devenv';

describe('registryCheck', () => {
  it('an answer of "no such image" is a registry that answers and lets devenv in', () => {
    const check = registryCheck(
      R,
      { kind: 'missing', message: 'manifest unknown' },
      { problem: null, found: true },
    );
    expect(check).toMatchObject({ name: 'registry', status: 'ok' });
    expect(check.detail).toContain('with your Docker credentials');
  });

  it('a refusal is a warning that says to log in to the registry host', () => {
    const check = registryCheck(
      R,
      { kind: 'denied', message: 'no basic auth credentials' },
      { problem: null, found: false },
    );
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('without credentials');
    expect(check.fix).toContain('docker login 127.0.0.1:17851');
  });

  it('an unreachable registry is a warning naming the key to check, never a failure', () => {
    const check = registryCheck(
      R,
      { kind: 'unreachable', message: 'connection refused' },
      { problem: null, found: false },
    );
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('cannot be reached');
    expect(check.fix).toContain('"registry"');
  });

  it("a broken credentials setup is told before the registry's answer", () => {
    const check = registryCheck(R, null, {
      problem: 'helper docker-credential-pass is not on PATH',
      found: false,
    });
    expect(check).toMatchObject({ status: 'warn', detail: 'helper docker-credential-pass is not on PATH' });
  });

  it('any other answer is a warning with its words', () => {
    expect(
      registryCheck(R, { kind: 'other', message: 'toomanyrequests' }, { problem: null, found: true }),
    ).toMatchObject({
      status: 'warn',
      detail: `${R}: toomanyrequests`,
    });
  });
});
