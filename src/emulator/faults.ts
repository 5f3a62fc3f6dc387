import { HttpError } from './http.js';

/** A scripted misbehaviour for matching requests, set through `POST /_emulator/faults`. */
export interface Fault {
  /** Only this method (any when absent). */
  method?: string;
  /** Prefix of the path without query, e.g. `/connector/protimeapi/api/v1/webhooks`. */
  path: string;
  /** Answer with this status instead of the real handler. */
  status?: number;
  /** Sent as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
  /** Response body: a string is sent as text, anything else as JSON; a Protime error body by default. */
  body?: unknown;
  /** How many requests it applies to; -1 means until cleared. */
  count: number;
  /** Wait this long first; with no status and no drop the request is then answered normally. */
  latencyMs?: number;
  /** Destroy the socket without answering, like a dead proxy. */
  drop?: boolean;
  /**
   * Handle the request now but hold the answer this long: the webhook exists before its creator
   * hears of it, which is the window a killed or timed-out client must survive.
   */
  holdAnswerMs?: number;
}

/** Faults in the order they were added; the first match wins and uses up one of its count. */
export class FaultList {
  private faults: Fault[] = [];

  add(fault: Fault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return [...this.faults];
  }

  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method === method) && path.startsWith(f.path));
    if (!fault) return undefined;
    if (fault.count > 0 && --fault.count === 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }
}

/** Checks a fault request body; a fault that could never do anything is refused. */
export function parseFault(body: Record<string, unknown>): Fault {
  const reasons: string[] = [];
  const { method, path, status, retryAfter, count = 1, latencyMs, drop, holdAnswerMs } = body;
  if (typeof path !== 'string' || !path.startsWith('/')) reasons.push("path must be a string starting with '/'");
  if (method !== undefined && typeof method !== 'string') reasons.push('method must be a string');
  if (status !== undefined && !(Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599)) {
    reasons.push('status must be an integer from 100 to 599');
  }
  if (retryAfter !== undefined && typeof retryAfter !== 'string' && typeof retryAfter !== 'number') {
    reasons.push('retryAfter must be a number of seconds or an HTTP date');
  }
  if (!Number.isInteger(count) || ((count as number) < 1 && count !== -1))
    reasons.push('count must be a positive integer, or -1 for every request');
  if (latencyMs !== undefined && !(typeof latencyMs === 'number' && latencyMs >= 0)) reasons.push('latencyMs must be a number >= 0');
  if (drop !== undefined && typeof drop !== 'boolean') reasons.push('drop must be a boolean');
  if (holdAnswerMs !== undefined && !(typeof holdAnswerMs === 'number' && holdAnswerMs >= 0))
    reasons.push('holdAnswerMs must be a number >= 0');
  if (status === undefined && latencyMs === undefined && drop !== true && holdAnswerMs === undefined) {
    reasons.push('a fault needs status, latencyMs, holdAnswerMs or drop');
  }
  if (reasons.length > 0) throw new HttpError(400, 'BadRequest', 'The fault is not valid', reasons);

  const fault: Fault = { path: path as string, count: count as number };
  if (typeof method === 'string') fault.method = method.toUpperCase();
  if (status !== undefined) fault.status = status as number;
  if (retryAfter !== undefined) fault.retryAfter = String(retryAfter);
  if ('body' in body) fault.body = body.body;
  if (latencyMs !== undefined) fault.latencyMs = latencyMs as number;
  if (drop === true) fault.drop = true;
  if (holdAnswerMs !== undefined) fault.holdAnswerMs = holdAnswerMs as number;
  return fault;
}
