/**
 * Faults a prompt asks for: `[[fault:500]]` (any status from 400 to 599), `[[fault:content_filter]]`,
 * `[[fault:quota]]`, `[[fault:reset]]` (the socket is destroyed), `[[fault:hang]]` (no answer, ever),
 * `[[fault:stall]]` (a stream starts, then stops sending), `[[fault:cut]]` (a stream ends half way),
 * `[[fault:stream_error]]` (a stream carries an error event half way; a whole answer is a 500),
 * `[[fault:too_large]]` (the request alone is over the per-minute limit: OpenAI's permanent 429
 * "Request too large … on tokens per min", Anthropic's 413).
 * `[[fault:invalid_output]]` answers `{}` to a request that asks for a schema (JSON no schema
 * that requires a field accepts).
 * `[[fault:500x2]]` fails only the first two attempts of the same prompt. `[[latency:250]]` delays
 * the answer by 250 ms. `[[batch:expire]]` makes the first provider batch holding the prompt expire
 * (half of its requests answered, the rest never run).
 */
export type FaultKind =
  | number
  | "content_filter"
  | "quota"
  | "reset"
  | "hang"
  | "stall"
  | "cut"
  | "stream_error"
  | "too_large"
  | "invalid_output";

export interface Fault {
  kind: FaultKind;
  /** Fail only this many attempts of the prompt, then answer; every attempt when absent. */
  times: number | undefined;
}

export interface Directives {
  fault: Fault | undefined;
  latencyMs: number | undefined;
  /** `[[batch:expire]]`: the provider batch holding this prompt expires. */
  batchExpire: boolean;
}

const NAMED = new Set([
  "content_filter",
  "quota",
  "reset",
  "hang",
  "stall",
  "cut",
  "stream_error",
  "too_large",
  "invalid_output",
]);

function parseFault(spec: string): Fault | undefined {
  const match = /^(\w+?)(?:x(\d+))?$/.exec(spec);
  if (!match) return undefined;
  const [, name = "", times] = match;
  const status = Number(name);
  let kind: FaultKind;
  if (/^\d{3}$/.test(name) && status >= 400 && status <= 599) kind = status;
  else if (NAMED.has(name)) kind = name as FaultKind;
  else return undefined;
  return { kind, times: times === undefined ? undefined : Number(times) };
}

export function readDirectives(prompt: string): Directives {
  const fault = /\[\[fault:([\w]+)\]\]/.exec(prompt);
  const latency = /\[\[latency:(\d+)\]\]/.exec(prompt);
  return {
    fault: fault?.[1] === undefined ? undefined : parseFault(fault[1]),
    latencyMs: latency?.[1] === undefined ? undefined : Number(latency[1]),
    batchExpire: prompt.includes("[[batch:expire]]"),
  };
}

/** Counts the attempts of each prompt, so that `x2` faults fail only the first two. */
export class AttemptCounter {
  private readonly attempts = new Map<string, number>();

  /** Whether this attempt of the prompt gets its fault. */
  strikes(fault: Fault, prompt: string): boolean {
    if (fault.times === undefined) return true;
    const attempt = (this.attempts.get(prompt) ?? 0) + 1;
    this.attempts.set(prompt, attempt);
    return attempt <= fault.times;
  }
}
