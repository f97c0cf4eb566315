/** The classic builder's colour codes around a RUN step's stderr (ESC[91m … ESC[0m). */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Turns the build stream's `stream` chunks into whole, plain lines. The classic builder sends a
 * RUN step's stderr a few characters at a time, each chunk wrapped in colour codes, so apt's
 * "E: Unable to locate package x" arrives as "E", ": " and the rest: joined here, so the log
 * reads like a terminal and diagnoses can match whole lines.
 */
export function buildOutputLines(onLine: (line: string) => void): {
  push(chunk: string): void;
  flush(): void;
} {
  let partial = '';
  const emit = (line: string) => {
    if (line.trim() !== '') onLine(line.replace(/\r$/, ''));
  };
  return {
    push(chunk) {
      const pieces = (partial + chunk.replace(COLOUR, '')).split('\n');
      partial = pieces.pop() ?? '';
      for (const line of pieces) emit(line);
    },
    flush() {
      emit(partial);
      partial = '';
    },
  };
}
