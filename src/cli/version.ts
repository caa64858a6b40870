import { existsSync, readFileSync } from "node:fs";

let version: string | undefined;

/** metasync's version, from its package.json (read once, on first use). */
export function metasyncVersion(): string {
  version ??= (JSON.parse(readFileSync(packageJson(), "utf8")) as { version: string }).version;
  return version;
}

/** The package's package.json: two folders up from src/cli, three from the built dist/src/cli. */
function packageJson(): URL {
  for (const up of ["../../package.json", "../../../package.json"]) {
    const url = new URL(up, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error(`no package.json above ${import.meta.url}`);
}
