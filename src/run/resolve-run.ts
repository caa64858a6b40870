import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import type { InputSource } from "../input/input-source.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import type { RowDefaults } from "../input/row-to-request.js";
import type { RunRecord } from "../store/run-record.js";
import type { StateStore } from "../store/state-store.js";
import {
  describeOptionChanges,
  FingerprintingStream,
  fileFingerprint,
  type RequestShaping,
  runKey,
  runSlug,
} from "./run-identity.js";

export interface RunChoice {
  run: RunRecord;
  /** `new`: just ingested; `resumed`: unfinished before; `finished`: done before, nothing to send. */
  state: "new" | "resumed" | "finished";
}

export interface ResolveRunOptions {
  store: StateStore;
  source: InputSource;
  shaping: RequestShaping;
  defaults: RowDefaults;
  name: string | undefined;
  fresh: boolean;
  cwd: string;
}

/**
 * Finds the run this command continues, or ingests the input as a new one (DESIGN §5): same input
 * and options → the same run; an unfinished run whose input changed → refused.
 */
export async function resolveRun(options: ResolveRunOptions): Promise<RunChoice> {
  const { store, source, shaping, name, fresh } = options;
  if (source.path !== "-") {
    const file = resolve(options.cwd, source.path);
    const key = runKey({ name, file }, shaping);
    const existing = fresh ? undefined : store.latestRun(key);
    if (existing) {
      const same = existing.inputFingerprint === (await fileFingerprint(file));
      const matched = matchExisting(existing, same, shaping, source.name);
      if (matched) return matched;
    }
    return { run: await ingestNewRun(options, key), state: "new" };
  }
  // stdin can be read once: ingest it, then see whether an identical run exists.
  const run = await ingestNewRun(options, `ingesting:${randomBytes(8).toString("hex")}`);
  const key = runKey({ name, stdinFingerprint: run.inputFingerprint ?? "" }, shaping);
  const existing = fresh ? undefined : store.latestRun(key);
  if (existing) {
    let matched: RunChoice | undefined;
    try {
      matched = matchExisting(
        existing,
        existing.inputFingerprint === run.inputFingerprint,
        shaping,
        source.name,
      );
    } catch (error) {
      store.deleteRun(run.id);
      throw error;
    }
    if (matched) {
      store.deleteRun(run.id);
      return matched;
    }
  }
  store.setKey(run.id, key);
  return { run: { ...run, key }, state: "new" };
}

/** The existing run to continue, undefined to start a new one, or a refusal. */
function matchExisting(
  existing: RunRecord,
  sameInput: boolean,
  shaping: RequestShaping,
  inputName: string,
): RunChoice | undefined {
  const changed = describeOptionChanges(existing.options, shaping.options);
  if (sameInput && changed.length === 0) {
    return { run: existing, state: existing.status === "finished" ? "finished" : "resumed" };
  }
  if (existing.status === "finished") return undefined;
  const what = [
    ...(sameInput ? [] : [`${inputName} has different content`]),
    ...changed.map((c) => `${c} changed`),
  ];
  throw new UsageError(
    `run ${existing.id} is unfinished and its input changed: ${what.join("; ")}. ` +
      "Rerun with --fresh to start a new run, or restore the input to resume it.",
  );
}

async function ingestNewRun(options: ResolveRunOptions, key: string): Promise<RunRecord> {
  const { store, source, shaping } = options;
  const run = store.createRun({
    key,
    name: options.name ?? null,
    slug: runSlug(source.path, options.name),
    inputPath: source.path === "-" ? "-" : resolve(options.cwd, source.path),
    optionsFingerprint: shaping.fingerprint,
    options: shaping.options,
  });
  const ingest = store.ingest(run.id);
  const fingerprint = new FingerprintingStream();
  const hashed: InputSource = {
    ...source,
    open: () => {
      const raw = source.open();
      raw.on("error", (error) => fingerprint.destroy(error));
      return raw.pipe(fingerprint);
    },
  };
  const problems = new ProblemList();
  let csvHeader: readonly string[] | undefined;
  let total = 0;
  try {
    for await (const _item of readItems(hashed, {
      defaults: options.defaults,
      problems,
      keep: ingest.add,
      onHeader: (header) => {
        csvHeader = header;
      },
    })) {
      total++;
    }
    problems.throwIfAny();
  } catch (error) {
    store.abortIngest(run.id);
    throw error;
  }
  const digest = fingerprint.digest();
  ingest.finish({ fingerprint: digest, total, csvHeader });
  return {
    ...run,
    inputFingerprint: digest,
    total,
    csvHeader: csvHeader ? [...csvHeader] : null,
    status: "open",
  };
}
