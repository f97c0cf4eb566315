import path from 'node:path';
import type { DevenvConfig } from './config/schema.js';
import type { ContainerUser } from './container-user.js';
import { DevenvError } from './errors.js';

export interface BindMount {
  Type: 'bind';
  Source: string;
  Target: string;
  ReadOnly: boolean;
}

export interface MountPlan {
  mounts: BindMount[];
  /** Host folders to create (as the host user) before the container is created. */
  hostDirs: string[];
}

/** Targets that replace parts of the OS; mounting over them needs "allowSystemTarget": true. */
const SYSTEM_TARGETS = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/proc',
  '/sbin',
  '/sys',
  '/usr',
  '/var',
  '/opt/devenv',
];

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
}

export function planMounts(
  config: DevenvConfig,
  envRoot: string,
  user: ContainerUser,
  configFile: string,
): MountPlan {
  const projects = path.resolve(envRoot, config.projectsDir);
  const vscode = path.resolve(envRoot, config.vscodeServerDir);
  const ownTargets = [`${user.home}/projects`, `${user.home}/.vscode-server`];
  const mounts: BindMount[] = [
    { Type: 'bind', Source: projects, Target: ownTargets[0] as string, ReadOnly: false },
    { Type: 'bind', Source: vscode, Target: ownTargets[1] as string, ReadOnly: false },
  ];
  const hostDirs = [projects, vscode];

  config.mounts.forEach((mount, i) => {
    const key = `${configFile}: "mounts[${i}].target"`;
    if (mount.target.split('/').includes('..')) {
      throw new DevenvError(`${key} ${JSON.stringify(mount.target)} must not contain ".."`, {
        code: 'config',
      });
    }
    const target = path.posix.normalize(mount.target).replace(/(.)\/$/, '$1');
    const clash = ownTargets.find((own) => isInside(target, own) || isInside(own, target));
    if (clash) {
      throw new DevenvError(`${key} ${JSON.stringify(mount.target)} overlaps devenv's own mount ${clash}`, {
        hint: 'choose another target, or change projectsDir/vscodeServerDir instead',
        code: 'config',
      });
    }
    const system = SYSTEM_TARGETS.find((dir) => (dir === '/' ? target === '/' : isInside(target, dir)));
    if (system && !mount.allowSystemTarget) {
      throw new DevenvError(
        `${key} ${JSON.stringify(mount.target)} would cover the system folder ${system}`,
        {
          hint: 'mount somewhere else (e.g. /data), or add "allowSystemTarget": true to that mount if you mean it',
          code: 'config',
        },
      );
    }
    const duplicate = mounts.find((m) => m.Target === target);
    if (duplicate) {
      throw new DevenvError(`${key} ${JSON.stringify(mount.target)} is mounted twice`, { code: 'config' });
    }
    mounts.push({
      Type: 'bind',
      Source: path.resolve(envRoot, mount.source),
      Target: target,
      ReadOnly: mount.readonly ?? false,
    });
  });
  return { mounts, hostDirs };
}
