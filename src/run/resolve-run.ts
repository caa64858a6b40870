import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import type { InputSource } from "../input/input-source.js";
import { ProblemList } from "../input/problem-list.js";
import { readItems } from "../input/read-items.js";
import type { RowDefaults } from "../input/row-to-request.js";
import type { RunRecord } from "../store/run-record.js";
import type { NewRun, RunOwner, StateStore } from "../store/state-store.js";
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
  /** This process: the run is claimed for it before anything is ingested, so that two never send it at once. */
  owner?: RunOwner | undefined;
}

/**
 * Finds the run this command continues, or ingests the input as a new one (DESIGN §5): same input
 * and options → the same run; an unfinished run whose input changed → refused. The run key is
 * claimed for `owner` first (StateStore.claimKey): while another live process holds a run of the
 * key — even one it is still ingesting — this refuses with the "locked" RunBusyError.
 */
export async function resolveRun(options: ResolveRunOptions): Promise<RunChoice> {
  const { store, source, shaping, name, fresh, owner } = options;
  if (source.path !== "-") {
    const file = resolve(options.cwd, source.path);
    const key = runKey({ name, file }, shaping);
    const fingerprint = fresh ? undefined : await inputFingerprint(store, key, file);
    const { run, continued } = store.claimKey({
      key,
      owner,
      continues: (latest) =>
        fingerprint !== undefined &&
        matchExisting(latest, latest.inputFingerprint === fingerprint, shaping, source.name),
      start: { create: newRun(options, key) },
    });
    if (continued) return { run, state: run.status === "finished" ? "finished" : "resumed" };
    return { run: await ingest(options, run), state: "new" };
  }
  // stdin can be read once: ingest it under a key of its own, then see whether an identical run exists.
  const temporary = store.createRun(newRun(options, `ingesting:${randomBytes(8).toString("hex")}`), owner);
  const run = await ingest(options, temporary);
  const key = runKey({ name, stdinFingerprint: run.inputFingerprint ?? "" }, shaping);
  let claim: ReturnType<StateStore["claimKey"]>;
  try {
    claim = store.claimKey({
      key,
      owner,
      continues: (latest) =>
        !fresh &&
        matchExisting(latest, latest.inputFingerprint === run.inputFingerprint, shaping, source.name),
      start: { adopt: run.id },
    });
  } catch (error) {
    store.deleteRun(run.id);
    throw error;
  }
  if (claim.continued) {
    store.deleteRun(run.id);
    return { run: claim.run, state: claim.run.status === "finished" ? "finished" : "resumed" };
  }
  return { run: { ...run, key }, state: "new" };
}

/**
 * The input file's fingerprint, when a run of the key exists to compare it with. Without one, the
 * claim follows at once; a run of the key that appears in between belongs to a process that has
 * finished or died in those microseconds (a live one makes the claim refuse). It is not continued,
 * as there is nothing to compare it with: a new run starts, and what the other answered comes
 * from the response cache.
 */
async function inputFingerprint(store: StateStore, key: string, file: string): Promise<string | undefined> {
  return store.latestRun(key) ? await fileFingerprint(file) : undefined;
}

/** Whether to continue the existing run (false: start a new one), or a refusal. */
function matchExisting(
  existing: RunRecord,
  sameInput: boolean,
  shaping: RequestShaping,
  inputName: string,
): boolean {
  const changed = describeOptionChanges(existing.options, shaping.options);
  if (sameInput && changed.length === 0) return true;
  if (existing.status === "finished") return false;
  const what = [
    ...(sameInput ? [] : [`${inputName} has different content`]),
    ...changed.map((c) => `${c} changed`),
  ];
  throw new UsageError(
    `run ${existing.id} is unfinished and its input changed: ${what.join("; ")}. ` +
      "Rerun with --fresh to start a new run, or restore the input to resume it.",
  );
}

function newRun(options: ResolveRunOptions, key: string): NewRun {
  const { source, shaping } = options;
  return {
    key,
    name: options.name ?? null,
    slug: runSlug(source.path, options.name),
    inputPath: source.path === "-" ? "-" : resolve(options.cwd, source.path),
    optionsFingerprint: shaping.fingerprint,
    options: shaping.options,
  };
}

/** How often a long ingest tells other hosts that its process is alive (see RunOwner). */
const HEARTBEAT_MS = 10_000;

/** Reads the input into `run` (created, still ingesting); a bad input leaves nothing behind. */
async function ingest(options: ResolveRunOptions, run: RunRecord): Promise<RunRecord> {
  const { store, source, shaping, owner } = options;
  const ingest = store.ingest(run.id, shaping.endpoints);
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
  let beat = owner?.now() ?? 0;
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
      if (owner && owner.now() - beat >= HEARTBEAT_MS) {
        beat = owner.now();
        store.heartbeat(run.id, beat);
      }
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
