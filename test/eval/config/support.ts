import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { ConfigError, ExitCode } from "../../../src/core/errors.js";
import { type LoadOptions, loadEvalConfig } from "../../../src/eval/config/load-config.js";

/** Writes files (path → text) into a fresh directory; returns the path of the first one. */
export function writeConfig(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "metasync-eval-config-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return join(dir, Object.keys(files)[0] ?? "promptfooconfig.yaml");
}

/** A config's lines joined, so a test shows the line numbers it expects. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** The lines of the ConfigError loading `path` throws (exit 2). */
export function problemsOf(path: string, options: Partial<LoadOptions> = {}): string[] {
  try {
    loadEvalConfig(path, { env: {}, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(ExitCode.usage);
    return (error as ConfigError).message.split("\n");
  }
  throw new Error("expected the config to be refused");
}

export function load(path: string, options: Partial<LoadOptions> = {}) {
  return loadEvalConfig(path, { env: {}, ...options });
}
