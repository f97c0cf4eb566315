import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localHost } from '../../../src/host/local-host.js';
import { containerIdFromCgroup, containerOfPid } from '../../../src/host/proc.js';

const ID = '9723483ca50c377b8b3605eead2d3c5ada26f57f6beafc13acc04c6e6de7c87d';
const OUTER = 'a'.repeat(64);

describe('containerIdFromCgroup', () => {
  it.each([
    {
      label: 'cgroup v1 + v2 hybrid, cgroupfs driver (this machine, docker 20.10)',
      text: [
        `9:name=systemd:/docker/${ID}`,
        `8:pids:/docker/${ID}`,
        `4:memory:/docker/${ID}`,
        `1:cpu:/docker/${ID}`,
        `0::/docker/${ID}`,
        '',
      ].join('\n'),
      id: ID,
    },
    {
      label: 'cgroup v1, systemd driver',
      text: `12:pids:/system.slice/docker-${ID}.scope\n1:name=systemd:/system.slice/docker-${ID}.scope\n`,
      id: ID,
    },
    { label: 'cgroup v2, systemd driver', text: `0::/system.slice/docker-${ID}.scope\n`, id: ID },
    { label: 'cgroup v2, cgroupfs driver', text: `0::/docker/${ID}\n`, id: ID },
    {
      label: 'cgroup v2, a sub-cgroup of the container (systemd inside)',
      text: `0::/system.slice/docker-${ID}.scope/init.scope\n`,
      id: ID,
    },
    {
      label: 'rootless Docker under systemd',
      text: `0::/user.slice/user-1000.slice/user@1000.service/user.slice/docker-${ID}.scope\n`,
      id: ID,
    },
    {
      label: 'Docker in Docker: the outer container, which the host engine knows',
      text: `0::/docker/${OUTER}/docker/${ID}\n`,
      id: OUTER,
    },
    {
      label: 'a host process, cgroup v2',
      text: '0::/user.slice/user-1000.slice/session-3.scope\n',
      id: null,
    },
    {
      label: 'a host process in a non-Docker cgroup with a hex name (this machine)',
      text: '4:memory:/process_api/eaacb25eafe90608025372224f5db597\n0::/\n',
      id: null,
    },
    { label: 'the docker daemon itself', text: '0::/system.slice/docker.service\n', id: null },
    {
      label: 'a containerd (Kubernetes) container, not Docker',
      text: `0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${ID}.scope\n`,
      id: null,
    },
    { label: 'a Podman container', text: `0::/machine.slice/libpod-${ID}.scope\n`, id: null },
    { label: 'an ID that is not 64 hex digits', text: `0::/docker/${ID.slice(1)}\n`, id: null },
    { label: 'an ID followed by more name', text: `0::/docker/${ID}x\n`, id: null },
    { label: 'empty text', text: '', id: null },
  ])('$label', ({ text, id }) => {
    expect(containerIdFromCgroup(text)).toBe(id);
  });
});

describe('containerOfPid', () => {
  const proc = mkdtempSync(join(tmpdir(), 'devenv-proc-'));
  const host = localHost(process.env);
  afterAll(() => rmSync(proc, { recursive: true, force: true }));
  const writeCgroup = (pid: number, text: string) => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'cgroup'), text);
  };

  it('reads /proc/<pid>/cgroup', async () => {
    writeCgroup(4242, `0::/system.slice/docker-${ID}.scope\n`);
    writeCgroup(4343, '0::/user.slice\n');
    expect(await containerOfPid(host, 4242, proc)).toBe(ID);
    expect(await containerOfPid(host, 4343, proc)).toBeNull();
  });

  it('a process that is gone, or a PID that cannot be one -> null', async () => {
    expect(await containerOfPid(host, 999_999, proc)).toBeNull();
    expect(await containerOfPid(host, 0, proc)).toBeNull();
    expect(await containerOfPid(host, -1, proc)).toBeNull();
    expect(await containerOfPid(host, 1.5, proc)).toBeNull();
  });
});
