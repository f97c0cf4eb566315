import { describe, expect, it } from 'vitest';
import { formatDuration, parseDockerDuration, parseDuration } from '../../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['45', 45_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['250ms', 250],
    [' 2m ', 120_000],
  ])('%j is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5 m', '-5s', '5d', 'm5'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('parseDockerDuration: every number with its unit, as Docker writes them', () => {
  it.each([
    ['2s', 2_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0s', 0],
  ])('%j is %i ms', (text, ms) => {
    expect(parseDockerDuration(text)).toBe(ms);
  });

  it.each(['2', '30', '', '2 s', '2d', 'soon', '-1s'])('%j is not one', (text) => {
    expect(parseDockerDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [125_000, '2m 5s'],
    [120_000, '2m'],
    [3_780_000, '1h 3m'],
  ])('%i ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
