// Types of bench/slurm-plan.cjs, for its unit tests.
import type { ProxyRequest, ReplayStep } from './replay.cjs';

export interface SlurmCall {
  argv: string[];
  startMs: number;
  endMs: number | null;
  code: number | null;
}

export interface RecordedRequest extends ProxyRequest {
  connection: number;
  userAgent: string | null;
  startedMs: number;
  ms: number | null;
}

export interface Recording {
  calls: SlurmCall[];
  requests: RecordedRequest[];
}

export type FloorAction = ({ run: string[]; code: number | null } | { request: ReplayStep }) & {
  after: number[];
};

export interface SlurmFloorPlan {
  dial: string[] | null;
  actions: FloorAction[];
}

export function slurmFloorPlan(input: { recordings: Recording[]; withoutQueries?: boolean }): SlurmFloorPlan;
export function isDial(argv: string[]): boolean;
export function isQuery(argv: string[]): boolean;
export function isDialersOwn(request: { userAgent?: string | null }): boolean;
export function actionLine(action: Omit<FloorAction, 'after'>): string;
