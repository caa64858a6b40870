import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { browserChecksRun, openChromium } from "../support/chromium.js";
import { assertBuilt, runCli, workDir } from "./cli.js";
import { optimize } from "./offline-optimize.js";

beforeAll(assertBuilt);

describe.skipIf(!browserChecksRun)("optimize's HTML report, in a real headless browser", () => {
  it("plots the best val score against dollars and lists every candidate, offline", async () => {
    const cwd = workDir();
    const run = await runCli(optimize(["--max-cost", "1", "--report", "opt.html"]), { cwd });
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(join(cwd, "opt.html"), "utf8");
    expect(html).not.toMatch(/<(?:link|img|iframe|script)\b|\bsrc=|https?:\/\//);
    const history = JSON.parse(readFileSync(join(cwd, "best.opt.json"), "utf8")) as {
      winner: number;
      candidates: { id: number; decision: string }[];
    };

    const { context, requested } = await openChromium();
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(join(cwd, "opt.html")).href);
      expect(await page.title()).toMatch(/^metasync optimize: reflect on fixtures\/optimize\/tickets\.csv/);
      expect(await page.locator("#summary").innerText()).toMatch(/sealed test \(27 rows\): baseline/);
      // The plot: a drawn line, and one point per new best, the last one the winner.
      const box = await page.locator("#plot").boundingBox();
      expect(box?.width).toBeGreaterThan(100);
      expect(await page.locator("#plot path").getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+H/);
      const bests = page.locator("#plot circle.best");
      expect(await bests.count()).toBe(history.candidates.filter((c) => c.decision === "best").length + 1);
      expect(await bests.last().locator("title").textContent()).toMatch(
        new RegExp(`^candidate #${history.winner}: val \\d+\\.\\d% after \\d+ rollouts and \\$`),
      );
      // Every candidate, with its decision and why.
      expect(await page.locator("tr.candidate").count()).toBe(history.candidates.length);
      for (const decision of ["best", "kept", "rejected"]) {
        const rows = page.locator(`tr.candidate.${decision}`);
        const count = history.candidates.filter((c) => c.decision === decision).length;
        expect(await rows.count(), decision).toBe(count);
        if (count > 0) expect(await rows.first().innerText()).toContain(decision);
      }
      expect(history.candidates.some((c) => c.decision !== "best" && c.decision !== "source")).toBe(true);
      expect(requested).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
