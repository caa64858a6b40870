import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "../core/errors.js";

/** A file a command names: its path, and how the user named it (`-o`, `the input` …). */
export interface NamedFile {
  path: string;
  label: string;
}

/**
 * Refuses outputs that would overwrite a file the command reads or keeps (its input, the state
 * database …) or each other, before anything is sent. Paths are compared as the files they name:
 * `./x` and `x`, a symbolic link and its target, two hard links of one file are all the same file.
 */
export function checkDistinctOutputs(outputs: readonly NamedFile[], kept: readonly NamedFile[]): void {
  const seen: (NamedFile & { identity: string })[] = kept.map((file) => ({
    ...file,
    identity: fileIdentity(file.path),
  }));
  for (const output of outputs) {
    const identity = fileIdentity(output.path);
    const clash = seen.find((other) => other.identity === identity);
    if (clash) {
      throw new UsageError(
        `${output.label} ${output.path} is the same file as ${clash.label} ${clash.path}: ` +
          `metasync would overwrite it; choose another file for ${output.label}`,
      );
    }
    seen.push({ ...output, identity });
  }
}

/**
 * What a path names: an existing file by its device and inode; a file still to be created by the real
 * path of its directory (symbolic links resolved) and its name.
 */
function fileIdentity(path: string): string {
  try {
    const stats = statSync(path);
    return `inode:${stats.dev}:${stats.ino}`;
  } catch {
    // not there yet
  }
  try {
    return `path:${join(realpathSync(dirname(path)), basename(path))}`;
  } catch {
    return `path:${resolve(path)}`;
  }
}
