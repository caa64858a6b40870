import { ConfigFile } from "../../config/yaml-config.js";
import { ConfigError, formatProblem } from "../../core/errors.js";

/**
 * The problems of one eval config across every file it reads (the config, prompt files, test
 * files) and the flags that change it, thrown together as one `ConfigError` before anything is sent.
 */
export class ConfigProblems {
  readonly #files: ConfigFile[] = [];
  readonly #flags: string[] = [];

  /** Tracks a parsed file: its problems are reported with the others. */
  add(file: ConfigFile): ConfigFile {
    this.#files.push(file);
    return file;
  }

  /** A file read without the YAML reader (CSV, text), to record located problems against. */
  file(path: string): ConfigFile {
    return this.add(new ConfigFile(path, undefined));
  }

  /** A problem with a flag (`--model`, `--var`), not in any file. */
  flag(message: string): void {
    this.#flags.push(message);
  }

  get count(): number {
    return this.#flags.length + this.#files.reduce((sum, file) => sum + file.problems.length, 0);
  }

  /**
   * Throws one `ConfigError` listing every problem: file by file in the order they were read, each
   * file's by line (those of the whole file last), then the flags'.
   */
  check(): void {
    if (this.count === 0) return;
    const byLine = (file: ConfigFile) =>
      [...file.problems].sort(
        (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
      );
    const lines = [...this.#files.flatMap((file) => byLine(file).map(formatProblem)), ...this.#flags];
    throw new ConfigError(lines.join("\n"));
  }
}
