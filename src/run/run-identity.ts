import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { PROVIDER_NAMES, providerBaseUrl } from "../../providers/registry.js";
import { formatModelRef } from "../core/types.js";
import { loadKeyFile } from "../keys/load-keys.js";
import { routerText } from "./row-router.js";
import type { RunSettings } from "./run-settings.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The options that shape requests (DESIGN §5): a run is keyed by these and its input. */
export interface RequestShaping {
  fingerprint: string;
  options: Record<string, unknown>;
  /** Where each provider's requests go, for providers not sent to their official endpoint. */
  endpoints: Record<string, string[]>;
}

/**
 * What shapes a run's requests: model, template, system, parameters, format, and the endpoints
 * they are sent to. Endpoints are recorded only where some provider is sent elsewhere than its
 * official endpoint, so a run that uses none keeps the key it had before endpoints counted.
 */
export function requestShaping(settings: RunSettings, env: Env): RequestShaping {
  const endpoints = providerEndpoints(settings, env);
  const options = {
    model: settings.model ? formatModelRef(settings.model) : null,
    template: settings.template?.source ?? null,
    system: settings.system?.source ?? null,
    ...(settings.images.length > 0 ? { images: settings.images.map((image) => image.source) } : {}),
    ...(settings.router ? { router: sha256(routerText(settings.router) ?? "") } : {}),
    params: settings.params,
    format: settings.format ?? null,
    ...(Object.keys(endpoints).length > 0 ? { endpoints } : {}),
  };
  return { fingerprint: sha256(JSON.stringify(options)), options, endpoints };
}

/** How a key on the provider's official endpoint (no base URL) is named among endpoints. */
export const OFFICIAL_ENDPOINT = "default";

/**
 * Where each provider's requests go, for the providers sent anywhere but their official endpoint:
 * the set of its keys' base URLs, sorted. A key's base URL is its `base_url` in the key pool file,
 * else `providerBaseUrl`; a provider with no key in the file has one key's worth, `providerBaseUrl`.
 * Which key sends an item is decided while sending, so an item's endpoint is the whole set.
 */
export function providerEndpoints(settings: RunSettings, env: Env): Record<string, string[]> {
  const specs = settings.keySpecs ?? (settings.keysFile ? loadKeyFile(settings.keysFile, env) : []);
  const endpoints: Record<string, string[]> = {};
  for (const provider of PROVIDER_NAMES) {
    const fallback = providerBaseUrl(provider, givenBaseUrl(settings), env);
    const inFile = specs.filter((spec) => spec.provider === provider);
    const urls = inFile.length > 0 ? inFile.map((spec) => spec.baseUrl ?? fallback) : [fallback];
    const named = [...new Set(urls.map(endpointName))].sort();
    if (named.some((name) => name !== OFFICIAL_ENDPOINT)) endpoints[provider] = named;
  }
  return endpoints;
}

/** `--base-url`, and the provider it applies to: that of `--model`. */
export function givenBaseUrl(settings: RunSettings): { provider: string; url: string } | undefined {
  return settings.baseUrl !== undefined && settings.model
    ? { provider: settings.model.provider, url: settings.baseUrl }
    : undefined;
}

/** A base URL as an endpoint's name: trailing slashes do not make another endpoint. */
function endpointName(baseUrl: string | undefined): string {
  const trimmed = baseUrl?.trim().replace(/\/+$/, "") ?? "";
  return trimmed === "" ? OFFICIAL_ENDPOINT : trimmed;
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
    endpoints: "the endpoint (--base-url, OPENAI_BASE_URL/ANTHROPIC_BASE_URL or base_url in --keys)",
  };
  // Both sides' keys: an option recorded before and absent now (an endpoint dropped) is a change too.
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null))
    .map((key) => flag[key] ?? key);
}
