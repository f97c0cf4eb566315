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
 * so the file shows where things go. (JSON has no comments: `init` prints what each key does.)
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

/** One line per key written: its value and what it does. */
export function describeConfig(config: Record<string, unknown>): string[] {
  const keys = Object.keys(config);
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((key) => {
    const doc = CONFIG_KEYS.find((spec) => spec.key === key)?.doc ?? '';
    return `  ${key.padEnd(width)}  ${JSON.stringify(config[key])}  — ${doc}`;
  });
}
