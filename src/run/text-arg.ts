import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";

/**
 * A text option's value: `@path` reads the file (relative to `baseDir`), `@@…` is a literal `@…`,
 * anything else is the text itself.
 */
export function readTextArg(value: string, baseDir: string, option: string): string {
  if (value.startsWith("@@")) return value.slice(1);
  if (!value.startsWith("@")) return value;
  const path = resolve(baseDir, value.slice(1));
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${option} ${value}: ${code === "ENOENT" ? `no such file ${path}` : (error as Error).message}`,
    );
  }
}
