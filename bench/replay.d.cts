// Types of bench/replay.cjs, for its unit tests.
export interface ProxyRequest {
  method: string;
  path: string;
  url: string;
  status: number | string | null;
  bodyBytes: number;
  json?: string;
  answerId?: string;
}

export interface ReplayStep {
  method: string;
  url: string;
  status: number | 'upgrade';
  body?: string;
  answerId?: string;
}

export function replaySteps(requests: ProxyRequest[]): ReplayStep[];
export function rewriteIds(text: string, ids: Map<string, string>): string;
