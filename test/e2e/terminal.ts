import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./cli.js";

/** Why a real terminal cannot be had here, or undefined when util-linux `script` can give one. */
export const noTerminal: string | undefined = (() => {
  const probe = spawnSync("script", ["-qfec", "true", "/dev/null"], { stdio: "ignore" });
  if (probe.error)
    return "util-linux `script` is not installed, so there is no pseudo-terminal to run the dashboard in";
  if (probe.status !== 0)
    return `\`script -qfec true /dev/null\` failed (exit ${probe.status}): no pseudo-terminal`;
  return undefined;
})();

export interface TerminalResult {
  code: number | null;
  /** Everything the program wrote to the terminal (stdout and stderr), escape codes and all. */
  output: string;
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `node bin/metasync.js …args` in a pseudo-terminal of `rows`×`cols` (util-linux `script`), so
 * stdin, stdout and stderr are all a TTY, as for a person at a terminal.
 */
export function runInTerminal(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    rows?: number;
    cols?: number;
    /** Keys to type, each once the output so far matches `when`, in order. */
    typing?: { when: RegExp; text: string }[];
  },
): Promise<TerminalResult> {
  const command = [
    `stty rows ${options.rows ?? 40} cols ${options.cols ?? 100} 2>/dev/null;`,
    "exec",
    quote(process.execPath),
    quote(join(ROOT, "bin", "metasync.js")),
    ...args.map(quote),
  ].join(" ");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    TERM: "xterm-256color",
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: options.cwd, env, stdio: "pipe" });
    let output = "";
    const typing = [...(options.typing ?? [])];
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const next = typing[0];
      if (next?.when.test(output)) {
        typing.shift();
        child.stdin.write(next.text);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    // The terminal's input stays open until the program is done.
  });
}
