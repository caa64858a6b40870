import { type Command, InvalidArgumentError } from "commander";
import { ExitCode } from "../core/errors.js";
import type { CliIo } from "./io.js";
import type { CommandOutcome } from "./program.js";

export interface MockServerFlags {
  port: number;
  host: string;
  tpm?: number;
  rpm?: number;
  strict?: boolean;
  latencyMs?: number;
  failRate?: number;
  invalidKey?: string[];
  quotaKey?: string[];
  verbose?: boolean;
  batchDelayMs?: number;
  batchQueueTokens?: number;
}

function numberIn(min: number, max: number, integer: boolean) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${text}"`);
    }
    if (integer && !Number.isInteger(value))
      throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
    return value;
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `metasync mock-server`: serves until SIGINT or SIGTERM, then closes and exits 0. */
export async function mockServerCommand(flags: MockServerFlags, io: CliIo): Promise<number> {
  const { startMockServer } = await import("../mock-server/index.js");
  const server = await startMockServer({
    port: flags.port,
    host: flags.host,
    invalidKeys: flags.invalidKey ?? [],
    quotaKeys: flags.quotaKey ?? [],
    ...(flags.tpm === undefined ? {} : { tpm: flags.tpm }),
    ...(flags.rpm === undefined ? {} : { rpm: flags.rpm }),
    ...(flags.strict === undefined ? {} : { strict: flags.strict }),
    ...(flags.latencyMs === undefined ? {} : { latencyMs: flags.latencyMs }),
    ...(flags.failRate === undefined ? {} : { failRate: flags.failRate }),
    ...(flags.batchDelayMs === undefined ? {} : { batchDelayMs: flags.batchDelayMs }),
    ...(flags.batchQueueTokens === undefined ? {} : { batchQueueTokens: flags.batchQueueTokens }),
    ...(flags.verbose ? { log: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  });
  io.stderr.write(`listening on ${server.url}\n`);
  io.stderr.write(`  OPENAI_BASE_URL=${server.url}/v1  ANTHROPIC_BASE_URL=${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stopListening = io.onStopSignal(() => {
      stopListening();
      resolve();
    });
  });
  await server.close();
  return ExitCode.ok;
}

/** `metasync mock-server`: a local OpenAI- and Anthropic-compatible server for rehearsals. */
export function registerMockServerCommand(program: Command, io: CliIo, outcome: CommandOutcome): void {
  program
    .command("mock-server")
    .description("run a local OpenAI- and Anthropic-compatible server that echoes prompts, for rehearsals")
    .option("--port <n>", "port to listen on (0 picks a free one)", numberIn(0, 65535, true), 0)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option(
      "--tpm <n>",
      "tokens per minute allowed for each key",
      numberIn(1, Number.MAX_SAFE_INTEGER, false),
    )
    .option(
      "--rpm <n>",
      "requests per minute allowed for each key",
      numberIn(1, Number.MAX_SAFE_INTEGER, false),
    )
    .option("--strict", "enforce limits over one-second windows (limit/60 each second)")
    .option("--latency-ms <n>", "wait this long before each answer", numberIn(0, 3_600_000, false))
    .option("--fail-rate <x>", "fraction of requests answered with a 500", numberIn(0, 1, false))
    .option(
      "--batch-delay-ms <n>",
      "provider batches end this long after they are created",
      numberIn(0, 86_400_000, false),
    )
    .option(
      "--batch-queue-tokens <n>",
      "OpenAI's enqueued-token limit per key and model (batches beyond it fail: token_limit_exceeded)",
      numberIn(1, Number.MAX_SAFE_INTEGER, true),
    )
    .option("--invalid-key <key>", "answer this key with 401 (repeatable)", collect)
    .option("--quota-key <key>", "answer this key as out of credit (repeatable)", collect)
    .option(
      "-v, --verbose",
      "log each request on stderr: time, method, path, key fingerprint, status, latency",
    )
    .addHelpText(
      "after",
      `
Point the SDKs at it: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1, ANTHROPIC_BASE_URL=http://127.0.0.1:PORT.
Any key works except --invalid-key and --quota-key ones. GET /_metasync/stats shows what was metered;
GET /v1/models lists models in OpenAI's shape, or Anthropic's when the request has Anthropic's headers.
A prompt can ask for a fault: [[fault:500]] (any status 400-599), [[fault:429]], [[fault:content_filter]],
[[fault:quota]], [[fault:reset]], [[fault:hang]], and for streams [[fault:stall]], [[fault:cut]],
[[fault:stream_error]]. [[fault:500x2]] fails only the first two attempts of that prompt.
[[fault:invalid_output]] answers {} to a request that asks for a JSON schema.
[[latency:250]] delays its answer.`,
    )
    .action(async (flags: MockServerFlags) => {
      outcome.exitCode = await mockServerCommand(flags, io);
    });
}
