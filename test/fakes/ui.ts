import type { Progress } from '../../src/core/ports.js';
import type { Ui } from '../../src/ui/ui.js';

/** One thing the code said, in order: a line, or a step's start, update or end (`step`: the text it started with). */
export type UiEvent =
  | { kind: 'progress' | 'info' | 'warn' | 'detail' | 'data'; text: string }
  | { kind: 'update'; text: string; step: string }
  | { kind: 'succeed' | 'fail'; text: string | null; step: string };

/**
 * The Ui port (src/ui/ui.ts, the Reporter of src/core/ports.ts plus data) as a transcript: what a
 * user would have read on stderr and stdout, as events a test can look through.
 */
export class RecordingUi implements Ui {
  readonly events: UiEvent[] = [];

  progress(text: string): Progress {
    this.events.push({ kind: 'progress', text });
    return {
      update: (next) => this.events.push({ kind: 'update', text: next, step: text }),
      succeed: (final) => this.events.push({ kind: 'succeed', text: final ?? null, step: text }),
      fail: (final) => this.events.push({ kind: 'fail', text: final ?? null, step: text }),
    };
  }

  info(text: string): void {
    this.events.push({ kind: 'info', text });
  }

  warn(text: string): void {
    this.events.push({ kind: 'warn', text });
  }

  detail(text: string): void {
    this.events.push({ kind: 'detail', text });
  }

  data(text: string): void {
    this.events.push({ kind: 'data', text });
  }

  /** The texts of one kind of event, in order. */
  said(kind: UiEvent['kind']): string[] {
    return this.events.filter((e) => e.kind === kind).map((e) => e.text ?? '');
  }

  /** The steps that ended in failure, by the text they started with. */
  get failedSteps(): string[] {
    return this.events.flatMap((e) => (e.kind === 'fail' ? [e.step] : []));
  }

  get warnings(): string[] {
    return this.said('warn');
  }

  get infos(): string[] {
    return this.said('info');
  }
}
