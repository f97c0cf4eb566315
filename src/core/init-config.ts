import { CONFIG_KEYS, type GpuRequest, sanitizeEnvName } from './config/schema.js';

/** What `devenv init` asks for; everything else starts at its default. */
export interface InitAnswers {
  name: string;
  repo: string | null;
  gpus: GpuRequest;
}

export function defaultAnswers(folderName: string): InitAnswers {
  return { name: sanitizeEnvName(folderName), repo: null, gpus: 'auto' };
}

/** "auto", "all", "none" or a comma-separated list of GPU indices/UUIDs, as typed at the prompt. */
export function parseGpuAnswer(text: string): GpuRequest {
  const trimmed = text.trim();
  if (trimmed === '') return 'auto';
  if (['auto', 'all', 'none'].includes(trimmed.toLowerCase())) return trimmed.toLowerCase() as GpuRequest;
  return trimmed
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((id) => (/^\d+$/.test(id) ? Number(id) : id));
}

/**
 * The starting .devenvrc: the answers, plus the keys people change first at their defaults,
 * so the file shows where things go.
 */
export function initialConfig(answers: InitAnswers): Record<string, unknown> {
  return {
    name: answers.name,
    ...(answers.repo ? { repo: answers.repo } : {}),
    gpus: answers.gpus,
    baseImage: 'auto',
    torch: 'auto',
    pythonPackages: [],
    env: {},
    mounts: [],
    vscode: { extensions: [] },
    sshAgent: false,
  };
}

const docOf = (key: string) => CONFIG_KEYS.find((spec) => spec.key === key)?.doc ?? '';

/**
 * The file `devenv init` writes: JSON with comments, a header saying where the rest is and what
 * each key does above it, ending with a newline.
 */
export function renderInitialConfig(config: Record<string, unknown>): string {
  const entries = Object.entries(config);
  const body = entries.flatMap(([key, value], i) => [
    ...wrap(docOf(key), 96).map((line) => `  // ${line}`),
    `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}${i < entries.length - 1 ? ',' : ''}`,
  ]);
  return [
    '// devenv configuration: JSON, where comments and trailing commas are fine.',
    '// Every key, what it allows and its default: `devenv config --reference`;',
    '// the values in effect: `devenv config`.',
    '{',
    ...body,
    '}',
    '',
  ].join('\n');
}

/** Words of `text` in lines of at most `width` characters (a longer word has a line to itself). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** One line per key written: its value and what it does. */
export function describeConfig(config: Record<string, unknown>): string[] {
  const keys = Object.keys(config);
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((key) => `  ${key.padEnd(width)}  ${JSON.stringify(config[key])}  — ${docOf(key)}`);
}
