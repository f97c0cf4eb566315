/**
 * The files and folders this machine's reads of a plan touched, for a cache of what the plan
 * found (host/plan-memo.ts): the readers of recipe and requirements note each path here, so the
 * code that plans never carries a list. A read on another host cannot be checked by a local stat:
 * it makes the result one not to keep.
 */
interface Recording {
  paths: string[];
  keepable: boolean;
}

let current: Recording | null = null;

export function noteRead(file: string): void {
  current?.paths.push(file);
}

export function noteRemoteRead(): void {
  if (current) current.keepable = false;
}

/**
 * Runs `work`, noting what it reads on this machine. Plans run one at a time in a command, so one
 * recording is open at once; a nested one records for the outer too.
 */
export async function recordReads<T>(work: () => Promise<T>): Promise<{ value: T; read: string[] | null }> {
  const outer = current;
  const recording: Recording = { paths: [], keepable: true };
  current = recording;
  try {
    const value = await work();
    if (outer) {
      outer.paths.push(...recording.paths);
      outer.keepable &&= recording.keepable;
    }
    return { value, read: recording.keepable ? recording.paths : null };
  } finally {
    current = outer;
  }
}
