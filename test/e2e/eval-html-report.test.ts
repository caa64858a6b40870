import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { browserChecksRun, openChromium } from "../support/chromium.js";
import { assertBuilt, runCli, workDir } from "./cli.js";

beforeAll(assertBuilt);

const CONFIG = `description: "Routing <eval> & co"
prompts:
  - label: short
    raw: "{{ text }}"
  - label: long
    raw: "Route this: {{ text }}"
providers: [mock:echo]
tests:
  - description: refund
    vars: { text: "refund please" }
    assert: [{ type: contains, value: refund }]
  - description: "<b>markup</b>"
    vars: { text: "<script>window.pwned = 1</script></pre>" }
    assert: [{ type: contains, value: refund }]
  - description: hello
    vars: { text: "hello" }
    assert: [{ type: icontains, value: HELLO }]
`;

describe.skipIf(!browserChecksRun)("the HTML report, in a real headless browser", () => {
  it("renders the matrix offline, escapes every row, and its filter shows failing rows only", async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, "promptfooconfig.yaml"), CONFIG);
    const run = await runCli(["eval", "--state", "st.db", "--progress", "none", "-o", "report.html"], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(100);
    const html = readFileSync(join(cwd, "report.html"), "utf8");
    expect(html).not.toMatch(/<(?:link|img|iframe)\b|\bsrc=|https?:\/\//);

    const { context, requested } = await openChromium();
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(join(cwd, "report.html")).href);
      expect(await page.title()).toBe("Routing <eval> & co");

      // The matrix: two prompts × one provider, each cell a pass rate, its interval and its cost.
      const cells = page.locator("#matrix td.cell");
      expect(await cells.count()).toBe(2);
      expect(await cells.first().getAttribute("data-prompt")).toBe("short");
      expect(await cells.first().innerText()).toMatch(/^67%\s*95% CI 21%–94% · 2\/3\s*\$0\.00/);

      // Every row, its vars and output shown as text, nothing of them run as markup.
      const rows = page.locator("tr.row");
      expect(await rows.count()).toBe(6);
      expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
      expect(await page.locator("tr.row").nth(2).innerText()).toContain(
        "<script>window.pwned = 1</script></pre>",
      );
      expect(await page.locator("tr.row").nth(2).innerText()).toContain("<b>markup</b>");
      expect(await page.locator("tr.row.fail").first().innerText()).toContain(
        'contains: fail (0) — Expected output to contain "refund"',
      );

      // The filter: failing rows only, then all again.
      await expect.poll(() => page.locator("#shown").innerText()).toBe("showing 6 of 6 rows");
      await page.locator("#failing-only").check();
      expect(await page.locator("tr.row:visible").count()).toBe(2);
      expect(await page.locator("tr.row.pass:visible").count()).toBe(0);
      expect(await page.locator("#shown").innerText()).toBe("showing 2 of 6 rows");
      await page.locator("#failing-only").uncheck();
      expect(await page.locator("tr.row:visible").count()).toBe(6);

      expect(requested).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
