import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { ContextFile } from '../core/build-plan.js';

/**
 * The build context, made in memory from an explicit file list: nothing else on the host
 * (least of all projects/) can reach the daemon, whatever .dockerignore says.
 */
export function contextTar(files: ContextFile[]): Readable {
  const archive = pack();
  const fixedTime = new Date(0);
  for (const file of files) {
    archive.entry(
      { name: file.path, mode: file.mode ?? 0o644, mtime: fixedTime, uid: 0, gid: 0 },
      Buffer.from(file.content),
    );
  }
  archive.finalize();
  return archive as unknown as Readable;
}
