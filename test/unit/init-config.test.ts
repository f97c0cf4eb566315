import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/validate.js';
import { defaultAnswers, describeConfig, initialConfig, parseGpuAnswer } from '../../src/core/init-config.js';

const defaults = { envRootName: 'x', hostTimezone: 'Etc/UTC' };

describe('devenv init', () => {
  it.each([
    { text: '', gpus: 'auto' },
    { text: 'ALL', gpus: 'all' },
    { text: ' none ', gpus: 'none' },
    { text: '0,1', gpus: [0, 1] },
    { text: '0 2', gpus: [0, 2] },
    { text: 'GPU-0a1b, 3', gpus: ['GPU-0a1b', 3] },
  ])('parseGpuAnswer($text)', ({ text, gpus }) => {
    expect(parseGpuAnswer(text)).toEqual(gpus);
  });

  it('names the env after the folder, made Docker-safe', () => {
    expect(defaultAnswers('My Project!').name).toBe('My-Project-');
    expect(defaultAnswers('podcastllm')).toEqual({ name: 'podcastllm', repo: null, gpus: 'auto' });
  });

  it.each([
    defaultAnswers('podcastllm'),
    { name: 'p', repo: 'https://github.com/example/p.git', gpus: [0, 1] },
    { name: 'p', repo: null, gpus: 'none' as const },
  ])('writes a config the schema accepts: %j', (answers) => {
    const config = initialConfig(answers);
    expect(() => validateConfig(config, '.devenvrc', defaults)).not.toThrow();
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    expect('repo' in config).toBe(answers.repo !== null);
  });

  it('describes every key it writes', () => {
    const config = initialConfig(defaultAnswers('p'));
    const lines = describeConfig(config);
    expect(lines).toHaveLength(Object.keys(config).length);
    for (const line of lines) expect(line).toMatch(/ — \S/);
  });
});
