// What a traced program loaded: the packages under node_modules, by name.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REGISTER = fileURLToPath(new URL("./register.mjs", import.meta.url));

/** Packages whose loading would make start-up slow; none may load for --version or --help. */
export const HEAVY_PACKAGES = [
  "ink",
  "react",
  "openai",
  "@anthropic-ai/sdk",
  "better-sqlite3",
  "cli-progress",
  "yoga-layout",
];

/** Runs `node --import register.mjs …args` and returns its exit status and the packages it loaded. */
export function tracePackages(args, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "metasync-trace-"));
  const log = join(dir, "loaded.txt");
  try {
    const child = spawnSync(process.execPath, ["--import", REGISTER, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", METASYNC_LOAD_LOG: log },
      encoding: "utf8",
    });
    let urls = [];
    try {
      urls = readFileSync(log, "utf8").trimEnd().split("\n");
    } catch {}
    const packages = new Set();
    for (const url of urls) {
      const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      if (match) packages.add(match[1]);
    }
    return {
      status: child.status,
      stdout: child.stdout,
      stderr: child.stderr,
      urls,
      packages: [...packages].sort(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
