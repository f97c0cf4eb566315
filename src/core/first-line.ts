/** The first line of a tool's output that is not blank, trimmed; null when there is none. */
export function firstLine(text: string): string | null {
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line !== '') ?? null
  );
}
