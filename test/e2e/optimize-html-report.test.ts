import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

/** Debian's chromium (installed by .ci/run), as eval's HTML report test uses it. */
const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const inCi = process.env.CI === "true";
const present = existsSync(CHROMIUM);

describe.skipIf(!present && !inCi)("optimize's HTML report, in a real headless browser", () => {
  it("plots the best val score against dollars and lists every candidate, offline", async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: CI=true requires the browser check`);
    const cwd = workDir();
    const run = await runCli(
      [
        "optimize",
        "fixtures/optimize/tickets.csv",
        "-r",
        "fixtures/optimize/classify.yaml",
        "--assert",
        "equals:{{label}}",
        "--proposer",
        "mock:reflect",
        "--prices",
        "fixtures/optimize/prices.yaml",
        "--max-cost",
        "1",
        "-o",
        "best.yaml",
        "--report",
        "opt.html",
        "--progress",
        "none",
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(join(cwd, "opt.html"), "utf8");
    expect(html).not.toMatch(/<(?:link|img|iframe|script)\b|\bsrc=|https?:\/\//);
    const history = JSON.parse(readFileSync(join(cwd, "best.opt.json"), "utf8")) as {
      winner: number;
      candidates: { id: number; decision: string }[];
    };

    const context = await chromium.launchPersistentContext(
      mkdtempSync(join(tmpdir(), "metasync-chromium-")),
      { executablePath: CHROMIUM, headless: true, args: FLAGS },
    );
    try {
      const requested: string[] = [];
      context.on("request", (request) => {
        if (!request.url().startsWith("file:")) requested.push(request.url());
      });
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
      expect(await page.locator("tr.candidate.best").count()).toBe(
        history.candidates.filter((c) => c.decision === "best").length,
      );
      expect(await page.locator("tr.candidate.rejected").first().innerText()).toMatch(/rejected/);
      expect(requested).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
