import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { formatModelRef } from "../core/types.js";
import type { RunSettings } from "./run-settings.js";

/** The options that shape requests (DESIGN §5): a run is keyed by these and its input. */
export interface RequestShaping {
  fingerprint: string;
  options: Record<string, unknown>;
}

export function requestShaping(settings: RunSettings): RequestShaping {
  const options = {
    model: settings.model ? formatModelRef(settings.model) : null,
    template: settings.template?.source ?? null,
    system: settings.system?.source ?? null,
    params: settings.params,
    format: settings.format ?? null,
  };
  return { fingerprint: sha256(JSON.stringify(options)), options };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The key of a run: its name, or its input and request-shaping options. */
export function runKey(
  input: { name?: string | undefined; file?: string; stdinFingerprint?: string },
  shaping: RequestShaping,
): string {
  if (input.name !== undefined) return `name:${input.name}`;
  const what = input.file !== undefined ? `file:${input.file}` : `stdin:${input.stdinFingerprint}`;
  return sha256(`${what}\n${shaping.fingerprint}`);
}

/** A short readable stem for run ids: the input's file name. */
export function runSlug(path: string, name: string | undefined): string {
  const stem = name ?? (path === "-" ? "stdin" : basename(path, extname(path)));
  return stem.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 40) || "run";
}

/** The fingerprint of a file's content. */
export async function fileFingerprint(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Passes a stream through unchanged while fingerprinting it (for stdin, read once). */
export class FingerprintingStream extends Transform {
  private readonly hash = createHash("sha256");
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest("hex");
  }
}

/** What differs between a run's recorded options and the current ones, for refusals. */
export function describeOptionChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const flag: Record<string, string> = {
    model: "--model",
    template: "--template",
    system: "--system",
    params: "request parameters",
    format: "--format",
  };
  return Object.keys(after)
    .filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null))
    .map((key) => flag[key] ?? key);
}
