import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { noTerminal, runInTerminal } from "./terminal.js";

beforeAll(assertBuilt);

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what these tests look for
const ESCAPE = /\u001b/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a colour is an SGR code 30–37, 90–97 or 38;…
const COLOUR = /\u001b\[(?:3[0-8]|9[0-7])[;m]/;

/** A prompt file of `n` rows in a fresh working directory. */
function prompts(n: number): { cwd: string; input: string } {
  const cwd = workDir();
  const input = join(cwd, "prompts.jsonl");
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: `hello ${i}` }));
  writeFileSync(input, `${rows.join("\n")}\n`);
  return { cwd, input };
}

const runArgs = (input: string, cwd: string, latencyMs: number, ...more: string[]) => [
  "run",
  input,
  "-m",
  `mock:echo?latency_ms=${latencyMs}`,
  "--state",
  join(cwd, "s.db"),
  ...more,
];

describe.concurrent("--progress", () => {
  it.skipIf(noTerminal !== undefined)(
    `tui: the dashboard runs in a real terminal, ends cleanly and the results are written${noTerminal ? ` (skipped: ${noTerminal})` : ""}`,
    async () => {
      const { cwd, input } = prompts(60);
      const out = join(cwd, "out.jsonl");
      const result = await runInTerminal(
        [...runArgs(input, cwd, 20, "-c", "2", "-o", out), "--progress", "tui"],
        {
          cwd,
        },
      );
      expect(result.code, result.output).toBe(0);
      expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(60);
      const { output } = result;
      expect(output).toContain("metasync: run prompts-");
      expect(output).toContain("throughput");
      expect(output).toMatch(/\d+% \d+\/60/);
      expect(output).toMatch(COLOUR);
      // The live area is erased at the end; the summary comes last.
      const summary = output.lastIndexOf("metasync: done: 60 items · 60 ok · 0 failed");
      expect(summary, output).toBeGreaterThan(output.lastIndexOf("throughput"));
      expect(output.slice(summary)).not.toContain("throughput");
    },
  );

  it.skipIf(noTerminal !== undefined)("tui with NO_COLOR: no colour codes", async () => {
    const { cwd, input } = prompts(20);
    const result = await runInTerminal(
      [...runArgs(input, cwd, 5, "-o", join(cwd, "out.jsonl")), "--progress", "tui"],
      { cwd, env: { NO_COLOR: "1" } },
    );
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("throughput");
    expect(result.output).not.toMatch(COLOUR);
  });

  it.skipIf(noTerminal !== undefined)(
    "tui: q stops gracefully (exit 130) and the same command resumes",
    async () => {
      const { cwd, input } = prompts(300);
      const args = [...runArgs(input, cwd, 20, "-c", "2", "-o", "out.jsonl"), "--progress", "tui"];
      // Stop once an item is done ("0 ok" is the first frame's): the resume then has some done before.
      const stopped = await runInTerminal(args, { cwd, typing: [{ when: /[1-9]\d* ok/, text: "q" }] });
      expect(stopped.code, stopped.output).toBe(130);
      expect(stopped.output).toMatch(/metasync: stopped: 300 items · \d+ ok · 0 failed · \d+ pending/);

      const resumed = await runInTerminal(args, { cwd });
      expect(resumed.code, resumed.output).toBe(0);
      expect(resumed.output).toMatch(/metasync: resuming run prompts-/);
      expect(resumed.output).toMatch(/metasync: done: 300 items \(\d+ done before\)/);
    },
  );

  it.skipIf(noTerminal !== undefined)(
    "tui: a second q or Ctrl-C quits at once, leaving the terminal sane",
    async () => {
      const { cwd, input } = prompts(100);
      const quit = await runInTerminal(
        [...runArgs(input, cwd, 10_000, "-c", "2", "-o", "out.jsonl"), "--progress", "tui"],
        {
          cwd,
          typing: [
            { when: /2 in flight/, text: "q" },
            { when: /q again: quit now/, text: "\u0003" },
          ],
        },
      );
      expect(quit.code, quit.output).toBe(130);
      expect(quit.output).toContain(
        "metasync: quit with requests in flight; rerun the same command to resume",
      );
      // The cursor is shown again after the last frame.
      expect(quit.output.lastIndexOf("\u001b[?25h")).toBeGreaterThan(quit.output.lastIndexOf("\u001b[?25l"));
    },
  );

  it("plain: a progress line every 5 s and a summary, with no escape codes at all", async () => {
    const { cwd, input } = prompts(60);
    const result = await runCli(
      [...runArgs(input, cwd, 100, "-c", "1", "-o", "out.jsonl"), "--progress", "plain"],
      {
        cwd,
        env: { TERM: "xterm-256color" },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(ESCAPE);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^metasync: run prompts-\w+$/);
    expect(
      lines.some((line) =>
        /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \d+\/60 \(\d+%\) · 0 failed · .* req\/min · .* tok\/min/.test(
          line,
        ),
      ),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^metasync: done: 60 items · 60 ok · 0 failed · \d+\.\d s/);
  });

  it("auto off a terminal is plain", async () => {
    const { cwd, input } = prompts(3);
    const result = await runCli(runArgs(input, cwd, 0, "-o", "out.jsonl"), { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(ESCAPE);
    expect(result.stderr).toMatch(/^metasync: run prompts-\w+\nmetasync: done: 3 items · 3 ok · 0 failed/);
  });

  it("json: one typed object per line on stderr; results alone on stdout", async () => {
    const { cwd, input } = prompts(5);
    const result = await runCli([...runArgs(input, cwd, 0), "--progress", "json"], { cwd });
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stderr);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("run");
    expect(types).toContain("start");
    expect(types.at(-1)).toBe("end");
    expect(events.at(-1)).toMatchObject({ reason: "completed", total: 5, ok: 5, failed: 0, pending: 0 });
    for (const line of jsonLines(result.stdout)) expect(line).toMatchObject({ status: "ok" });
    expect(jsonLines(result.stdout)).toHaveLength(5);
  });

  it("none: nothing on stderr from a run that succeeds", async () => {
    const { cwd, input } = prompts(3);
    const result = await runCli([...runArgs(input, cwd, 0, "-o", "out.jsonl"), "--progress", "none"], {
      cwd,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("a mode that does not exist is a usage error (exit 2); a recipe may set the mode", async () => {
    const { cwd, input } = prompts(2);
    const bad = await runCli([...runArgs(input, cwd, 0), "--progress", "fancy"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'metasync: --progress must be one of auto, tui, bar, plain, json, none; got "fancy"\n',
    );

    writeFileSync(join(cwd, "quiet.yaml"), "progress: json\n");
    const fromRecipe = await runCli([...runArgs(input, cwd, 0, "-o", "out.jsonl"), "-r", "quiet.yaml"], {
      cwd,
    });
    expect(fromRecipe.code, fromRecipe.stderr).toBe(0);
    expect(jsonLines(fromRecipe.stderr)[0]).toMatchObject({ type: "run" });
  });
});
