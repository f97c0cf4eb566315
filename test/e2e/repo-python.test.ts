import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeImageTree } from './errors-kit.js';
import {
  asUser,
  BASE_READY,
  containerId,
  devenv,
  docker,
  makeEnvDir,
  makeWheel,
  quickRc,
  removeEnvObjects,
  TEST_USER,
  writeRc,
} from './harness.js';

describe('the repo and the Python stack', () => {
  let dir: string;
  let bare: string;
  const run = (args: string[]) => devenv(TEST_USER, dir, args);

  beforeAll(() => {
    dir = makeEnvDir('repo', TEST_USER);
    // The project repo: a bare repo on this machine whose requirements name a local wheel.
    bare = path.join(dir, 'upstream.git');
    const work = path.join(dir, 'upstream-work');
    asUser(TEST_USER, dir, `git init -q --bare ${bare} && git init -q -b main ${work}`);
    asUser(TEST_USER, work, 'mkdir wheels');
    makeWheel(path.join(work, 'wheels'), 'devenvpkga', '1.0');
    asUser(TEST_USER, work, 'chown -R $(id -u):$(id -g) . 2>/dev/null; true');
    asUser(
      TEST_USER,
      work,
      `printf './wheels/devenvpkga-1.0-py3-none-any.whl\\n' > requirements.txt && git add -A && git -c user.email=t@e -c user.name=t commit -qm init && git push -q ${bare} main`,
    );
    writeRc(dir, TEST_USER, quickRc('repo', { repo: 'upstream.git', branch: 'main' }));
  });
  afterAll(() => removeEnvObjects(dir));

  it('clones the repo on the host as the user, installs its requirements at build time, and works in it', () => {
    // The user's own git settings in the environment pass through to the clone.
    const result = devenv(TEST_USER, dir, ['start', '--detach'], {
      env: { GIT_SSL_CAINFO: '/etc/ssl/certs/ca-certificates.crt', GIT_AUTHOR_NAME: 'Dev Test' },
    });
    expect(result.code, result.stderr).toBe(0);
    const clone = path.join(dir, 'projects', 'upstream');
    expect(existsSync(path.join(clone, '.git'))).toBe(true);
    expect(statSync(clone).uid).toBe(TEST_USER.uid);
    const inside = run([
      'exec',
      '--',
      'sh',
      '-c',
      'pwd; python -c "import devenvpkga; print(devenvpkga.VALUE)"; stat -c %U /opt/devenv/venv',
    ]);
    expect(inside.stdout.trim().split('\n')).toEqual(['/home/devtest/projects/upstream', '1.0', 'devtest']);
  });

  it('a requirements bump makes the image stale, and rebuild reuses every layer before the Python one', () => {
    const clone = path.join(dir, 'projects', 'upstream');
    makeWheel(path.join(clone, 'wheels'), 'devenvpkgb', '2.0');
    asUser(
      TEST_USER,
      clone,
      "chown $(id -u) wheels/*; printf './wheels/devenvpkgb-2.0-py3-none-any.whl\\n' >> requirements.txt",
    );
    const status = JSON.parse(run(['status', '--json']).stdout);
    expect(status.image.fresh).toBe(false);

    const result = run(['rebuild', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    const log = readFileSync(
      `/home/${TEST_USER.name}/.local/state/devenv/logs/devenv-repo-devtest-build.log`,
      'utf8',
    );
    const steps = log.split(/^Step /m).slice(1);
    // The requirements are copied in after the venv (and PyTorch) layer: only what follows reruns.
    const copyRequirements = steps.findIndex((s) => /^\d+\/\d+ : COPY python\//.test(s));
    expect(copyRequirements).toBeGreaterThan(0);
    const before = steps.slice(0, copyRequirements).filter((s) => /^\d+\/\d+ : (RUN|COPY)/.test(s));
    expect(before.map((s) => s.split('\n')[0])).toEqual(
      expect.arrayContaining([expect.stringMatching(/setup-python\.sh venv/)]),
    );
    for (const step of before) expect(step, step).toContain('Using cache');
    const packages = steps.find((s) => s.includes('setup-python.sh packages'));
    expect(packages).toBeDefined();
    expect(packages).not.toContain('Using cache');
    expect(
      run([
        'exec',
        '--',
        'python',
        '-c',
        'import devenvpkga, devenvpkgb; print(devenvpkgb.VALUE)',
      ]).stdout.trim(),
    ).toBe('2.0');
  });

  it('never touches an existing folder at the clone target, and warns when it is not a git repo', () => {
    expect(run(['stop']).code).toBe(0);
    const other = makeEnvDir('repo-existing', TEST_USER, quickRc('repo2', { repo: bare }));
    asUser(TEST_USER, other, 'mkdir -p projects/upstream && echo mine > projects/upstream/notes.txt');
    const result = devenv(TEST_USER, other, ['start', '--detach']);
    try {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/not a git repository/);
      expect(readdirSync(path.join(other, 'projects', 'upstream'))).toEqual(['notes.txt']);
    } finally {
      removeEnvObjects(other);
    }
  });

  it('a failed clone is one clear line, exit 9, and leaves no folder behind', () => {
    const other = makeEnvDir(
      'repo-missing',
      TEST_USER,
      quickRc('repo3', { repo: '/tmp/devenv-e2e/no-such-repo.git' }),
    );
    const result = devenv(TEST_USER, other, ['start', '--detach']);
    expect(result.code).toBe(9);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('devenv: ') && !/cloning/.test(l)),
    ).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot clone .*: repository not found/);
    // The projects/ folder the clone needed was made for it, and goes with it.
    expect(existsSync(path.join(other, 'projects'))).toBe(false);
    expect(containerId('devenv-repo3-devtest')).toBeNull();
  });
});

/** Test-only bases, removed again in afterAll: one whose python3 cannot make venvs, one with none. */
const PYTHON_NO_VENV = 'devenv-test-pip-novenv:latest';
const NO_PYTHON = 'devenv-test-pip-nopython:latest';

describe('pip in the env, whatever the Python settings', () => {
  const dirs: string[] = [];
  const startEnv = (label: string, rc: Record<string, unknown>) => {
    const dir = makeEnvDir(label, TEST_USER, rc);
    dirs.push(dir);
    const result = devenv(TEST_USER, dir, ['start', '--detach']);
    expect(result.code, result.stderr).toBe(0);
    return { dir, run: (command: string) => devenv(TEST_USER, dir, ['exec', '--', 'bash', '-c', command]) };
  };

  beforeAll(() => {
    docker(
      ['build', '--network', 'host', '-t', PYTHON_NO_VENV, '-'],
      `FROM ${BASE_READY}\nRUN apt-get purge -y python3-venv python3.11-venv && ! python3 -c 'import ensurepip'\n`,
    );
    docker(
      ['build', '--network', 'host', '-t', NO_PYTHON, '-'],
      `FROM ${BASE_READY}\nRUN apt-get purge -y --auto-remove python3 python3-minimal python3.11 python3.11-minimal && ! command -v python3\n`,
    );
  });
  afterAll(() => {
    for (const dir of dirs) removeEnvObjects(dir);
    removeImageTree(PYTHON_NO_VENV);
    removeImageTree(NO_PYTHON);
  });

  it('with torch "none" and no requirements, the venv is the user\'s, on PATH, and pip install works as the user', () => {
    const { dir, run } = startEnv('pip', quickRc('pip'));
    const wheel = path.basename(makeWheel(path.join(dir, 'projects'), 'devenvpip', '3.0'));
    const where = run(
      'echo "$VIRTUAL_ENV"; stat -c %U "$VIRTUAL_ENV"; command -v python; command -v pip; bash -lc "command -v pip"',
    );
    expect(where.stdout.trim().split('\n')).toEqual([
      '/opt/devenv/venv',
      'devtest',
      '/opt/devenv/venv/bin/python',
      '/opt/devenv/venv/bin/pip',
      '/opt/devenv/venv/bin/pip',
    ]);
    // No PyPI here: a local wheel, installed as the user with no sudo (Debian's pip would refuse).
    const install = run(`pip install --no-index ~/projects/${wheel}`);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/externally-managed/);
    const used = run(
      'python -c "import devenvpip; print(devenvpip.VALUE)"; stat -c %U "$VIRTUAL_ENV"/lib/python3*/site-packages/devenvpip',
    );
    expect(used.stdout.trim().split('\n')).toEqual(['3.0', 'devtest']);
  });

  it('a base whose python3 cannot make venvs gets python3-venv, and the venv with pip', () => {
    const { run } = startEnv('pip-novenv', quickRc('pipnovenv', { baseImage: PYTHON_NO_VENV }));
    const where = run('stat -c %U "$VIRTUAL_ENV"; command -v pip; pip --version');
    expect(where.code, where.stderr).toBe(0);
    const [owner, pip, version] = where.stdout.trim().split('\n');
    expect([owner, pip]).toEqual(['devtest', '/opt/devenv/venv/bin/pip']);
    expect(version).toMatch(/from \/opt\/devenv\/venv\//);
  });

  it('a base without python3, and no Python settings: no venv, python and pip are not found', () => {
    const { run } = startEnv('pip-nopython', quickRc('pipnopython', { baseImage: NO_PYTHON }));
    const result = run('test -e /opt/devenv/venv && echo venv; command -v python3 python pip; true');
    expect(result.stdout.trim()).toBe('');
    // Nothing points at the venv that is not there: not VIRTUAL_ENV, not PATH, not the image's env.
    const env = run('printenv VIRTUAL_ENV; echo "PATH=$PATH"');
    expect(env.stdout.trim()).not.toMatch(/\/opt\/devenv\/venv/);
    expect(env.stdout.trim()).toMatch(/^PATH=/);
    const imageEnv = docker([
      'image',
      'inspect',
      '--format',
      '{{json .Config.Env}}',
      'devenv-pipnopython-devtest:latest',
    ]);
    expect(imageEnv).not.toMatch(/VIRTUAL_ENV|\/opt\/devenv\/venv/);
  });
});
