import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../../../src/core/config/reference.js';
import { CONFIG_KEYS } from '../../../../src/core/config/schema.js';

describe('docs/config.md', () => {
  it('is the schema rendered: regenerate with `node bin/devenv.cjs config --reference > docs/config.md`', () => {
    expect(readFileSync(new URL('../../../../docs/config.md', import.meta.url), 'utf8')).toBe(
      renderConfigReference(),
    );
  });

  it('documents every key', () => {
    const reference = renderConfigReference();
    for (const spec of CONFIG_KEYS) expect(reference).toContain(`| \`${spec.key}\` |`);
  });
});
