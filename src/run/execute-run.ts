import type { Readable, Writable } from "node:stream";
import { providerInfo } from "../../providers/registry.js";
import type { Provider } from "../../providers/types.js";
import type { Clock } from "../engine/clock.js";
import type { EndReason, EventSink, RunCounts } from "../engine/events.js";
import { MemoryLedger } from "../engine/memory-ledger.js";
import { runBatch } from "../engine/run-batch.js";
import { ExitCode } from "../errors.js";
import { openInputSource } from "../input/input-source.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import { resultLine } from "../output/result-record.js";
import { outputFormatOf, writeResults } from "../output/write-results.js";
import { type Env, resolveCredentials } from "./credentials.js";
import type { RunSettings } from "./run-settings.js";

export interface ExecuteRunOptions {
  settings: RunSettings;
  env: Env;
  /** Where `-` reads from. */
  stdin?: Readable | undefined;
  /** Where results stream as JSONL when there is no results file. */
  stdout: Writable;
  signal?: AbortSignal | undefined;
  emit?: EventSink;
  clock?: Clock;
}

export interface RunOutcome {
  reason: EndReason;
  counts: RunCounts;
  wallMs: number;
  exitCode: number;
}

/**
 * A whole `run`: reads and checks the input (nothing is sent if any row is bad), runs every item,
 * and writes the results.
 */
export async function executeRun(options: ExecuteRunOptions): Promise<RunOutcome> {
  const { settings } = options;
  if (settings.out !== undefined) outputFormatOf(settings.out);
  const source = openInputSource(settings.input, {
    ...(settings.format !== undefined ? { format: settings.format } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });

  const streamToStdout = settings.out === undefined;
  const ledger = new MemoryLedger(
    streamToStdout ? (_item, result) => options.stdout.write(resultLine(result)) : undefined,
  );
  const problems = new ProblemList();
  const providersUsed = new Set<string>();
  let csvHeader: readonly string[] | undefined;
  for await (const item of readItems(source, {
    defaults: {
      model: settings.model,
      template: settings.template,
      system: settings.system,
      params: settings.params,
    },
    problems,
    onHeader: (header) => {
      csvHeader = header;
    },
  })) {
    providersUsed.add(item.request.model.provider);
    ledger.add(item);
  }
  problems.throwIfAny();

  const credentials = resolveCredentials(
    providersUsed,
    options.env,
    settings.baseUrl !== undefined && settings.model
      ? { provider: settings.model.provider, url: settings.baseUrl }
      : undefined,
  );
  const providers = new Map<string, Promise<Provider>>();
  const provider = (name: string) => {
    let loaded = providers.get(name);
    if (!loaded) {
      const info = providerInfo(name);
      if (!info) throw new Error(`provider ${name} is not registered`);
      loaded = info.load().then((module) => module.createProvider({}));
      providers.set(name, loaded);
    }
    return loaded;
  };

  const outcome = await runBatch(
    {
      ledger,
      total: ledger.size,
      provider,
      credentials,
      concurrency: settings.concurrency,
      maxAttempts: settings.maxAttempts,
      timeoutMs: settings.timeoutMs,
      signal: options.signal,
      ...(options.clock ? { clock: options.clock } : {}),
    },
    options.emit,
  );
  if (settings.out !== undefined) await writeResults(ledger.entries(), { path: settings.out, csvHeader });

  const exitCode =
    outcome.reason === "interrupted"
      ? ExitCode.interrupted
      : outcome.counts.failed > 0
        ? ExitCode.itemsFailed
        : ExitCode.ok;
  return { ...outcome, exitCode };
}
