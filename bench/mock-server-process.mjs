// `metasync mock-server --strict?` in a process of its own, for the benchmarks that must not share a
// CPU with what they measure (budgets.mjs, scale-out.mjs). Needs a build (npm run build).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

const bin = join(new URL("..", import.meta.url).pathname, "bin/metasync.js");

/** Starts the server; `stats()` reads what it metered, `close()` stops it. */
export async function startMockServer({ tpm, rpm, strict = false, latencyMs }) {
  const args = ["mock-server", "--tpm", String(tpm), "--rpm", String(rpm), "--latency-ms", String(latencyMs)];
  const child = spawn(process.execPath, [bin, ...args, ...(strict ? ["--strict"] : [])], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      output += chunk;
      const found = /listening on (\S+)/.exec(output)?.[1];
      if (found) resolve(found);
    });
    child.once("exit", () => reject(new Error(`mock-server did not start: ${output}`)));
  });
  return {
    url,
    stats: async () => (await fetch(`${url}/_metasync/stats`)).json(),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill();
      await once(child, "exit");
    },
  };
}
