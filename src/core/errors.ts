/**
 * Exit codes of the CLI (DESIGN §2): the one policy every command follows. Code sets an exit code
 * only through these names, never a number; each value means one thing, so a script can tell a
 * crash from a failed item and a failed item from a run to resume.
 */
export const ExitCode = {
  /** Every item succeeded; for other commands, the command did what it was asked. */
  ok: 0,
  /** The run finished and some items failed permanently (their errors are in the results). */
  itemsFailed: 1,
  /** Usage, configuration or input error, detected before any request is sent. */
  usage: 2,
  /** Stopped early, resumable: spending cap, no usable key, endpoint unreachable, an error after sending. */
  stoppedEarly: 3,
  /** Internal error, a bug (sysexits' EX_SOFTWARE): the CLI prints the stack and how to report it. */
  internal: 70,
  /** Reserved: work is pending elsewhere (batch mode, `--detach`); run again later (EX_TEMPFAIL). */
  pending: 75,
  /** Reserved: `eval`'s pass rate is below its threshold. */
  evalThreshold: 100,
  /** Interrupted by SIGINT/SIGTERM (128 + SIGINT); the state is consistent and the run resumes. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base of every error a user may see. The CLI prints `message` and exits with `exitCode`. */
export class MetasyncError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags or arguments. */
export class UsageError extends MetasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

/** A bad recipe, key pool, prices file or environment. */
export class ConfigError extends MetasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.usage, options);
  }
}

/** One problem in an input file, at a place a user can find. */
export interface InputProblem {
  file: string;
  line?: number | undefined;
  message: string;
}

/**
 * `file:line: message`, one line, safe to print: control characters (an escape sequence, a line
 * break, a NUL) and bidirectional overrides that came from the input are shown escaped (`\x1b`,
 * `\n`, `\u202e`), never sent to the terminal.
 */
export function formatProblem(p: InputProblem): string {
  const file = escapeControls(p.file);
  const message = escapeControls(p.message);
  return p.line === undefined ? `${file}: ${message}` : `${file}:${p.line}: ${message}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeControls(text: string): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(text)) return text;
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`)
    );
  });
}

/** Every problem found while validating an input, reported together before anything is sent. */
export class InputError extends MetasyncError {
  readonly problems: readonly InputProblem[];
  /** How many problems there were in all (more than `problems.length` when the list was capped). */
  readonly total: number;
  constructor(problems: readonly InputProblem[], total = problems.length) {
    const shown = problems.map(formatProblem);
    if (total > problems.length) shown.push(`… and ${total - problems.length} more problems`);
    super(shown.join("\n"), ExitCode.usage);
    this.problems = problems;
    this.total = total;
  }
}

/** The run stopped early but can be resumed (spending cap, no usable key left). */
export class StoppedEarlyError extends MetasyncError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.stoppedEarly, options);
  }
}

/** Every key of a provider is disabled: nothing more can be sent to it (exit 3, resumable). */
export class NoUsableKeyError extends StoppedEarlyError {}

/** The run was interrupted by a signal; its state is consistent. */
export class InterruptedError extends MetasyncError {
  constructor(message = "interrupted") {
    super(message, ExitCode.interrupted);
  }
}

/** Kinds of item failure (DESIGN §4). */
export const ERROR_TYPES = [
  "rate_limited",
  "quota_exhausted",
  "auth",
  "bad_request",
  "server",
  "overloaded",
  "timeout",
  "connection",
  "content_filter",
  "budget",
  "cancelled",
  "invalid_output",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

const RETRYABLE: ReadonlySet<ErrorType> = new Set([
  "rate_limited",
  "server",
  "overloaded",
  "timeout",
  "connection",
]);

export interface ProviderErrorInit {
  type: ErrorType;
  status?: number | undefined;
  requestId?: string | undefined;
  /** Milliseconds the provider asked us to wait before trying again. */
  retryAfterMs?: number | undefined;
  /** A 429 for a request larger than the limit itself: waiting for the limit will not help. */
  exceedsLimit?: boolean | undefined;
  /** Where the request went: the provider's base URL. */
  endpoint?: string | undefined;
  /** Nothing answered: the connection was refused, or the host name did not resolve. */
  unreachable?: boolean | undefined;
  cause?: unknown;
}

/** A failed request, classified. Stored with its item; never stops the batch by itself. */
export class ProviderError extends Error {
  readonly type: ErrorType;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** A 429 for a request larger than the limit itself (OpenAI's "Request too large … Limit 30000, Requested 50000"). */
  readonly exceedsLimit: boolean;
  /** The provider's base URL the request went to, when the provider said. */
  readonly endpoint: string | undefined;
  /** The connection was refused or the host name did not resolve: nothing at `endpoint` answered. */
  readonly unreachable: boolean;
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ProviderError";
    this.type = init.type;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.exceedsLimit = init.exceedsLimit === true;
    this.endpoint = init.endpoint;
    this.unreachable = init.unreachable === true;
  }
  get retryable(): boolean {
    return RETRYABLE.has(this.type);
  }
}
