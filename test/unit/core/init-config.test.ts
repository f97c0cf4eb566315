import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../src/core/config/schema.js';
import { parseConfig, validateConfig } from '../../../src/core/config/validate.js';
import {
  defaultAnswers,
  describeConfig,
  initialConfig,
  parseGpuAnswer,
  renderInitialConfig,
} from '../../../src/core/init-config.js';

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

  describe('the file it writes', () => {
    const answers = { name: 'p', repo: 'https://github.com/example/p.git', gpus: [0, 1] };
    const config = initialConfig(answers);
    const text = renderInitialConfig(config);

    it('reads back as the config it was made from', () => {
      expect(parseConfig(text, '.devenvrc', defaults)).toEqual(validateConfig(config, '.devenvrc', defaults));
    });

    it('ends with a newline and starts with a comment saying where the rest is', () => {
      expect(text.endsWith('}\n')).toBe(true);
      expect(text.split('\n')[0]).toMatch(/^\/\/ devenv configuration: .*comments/);
      expect(text).toContain('devenv config --reference');
    });

    it('says above each key what it does, in lines of at most 100 characters', () => {
      const lines = text.split('\n');
      for (const key of Object.keys(config)) {
        const at = lines.findIndex((line) => line.startsWith(`  ${JSON.stringify(key)}: `));
        let first = at;
        while (lines[first - 1]?.startsWith('  // ')) first--;
        const comment = lines.slice(first, at).map((line) => line.slice('  // '.length));
        expect(comment.join(' '), key).toBe(CONFIG_KEYS.find((spec) => spec.key === key)?.doc);
      }
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(100);
    });
  });
});
