import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium (installed by .ci/run); never a browser Playwright downloads. */
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

const present = existsSync(CHROMIUM);

/**
 * Whether the HTML reports' browser checks run here: always under CI=true (where a missing browser
 * fails them), and on a developer's machine only when chromium is installed — else they say so.
 */
export const browserChecksRun = present || process.env.CI === "true";
if (!browserChecksRun) {
  console.warn(
    `SKIPPED: ${CHROMIUM} is not installed, so the HTML reports' browser checks do not run (under CI=true they fail); install it (apt-get install chromium) to run them`,
  );
}

/**
 * A headless chromium with a fresh profile, and the URLs it requested other than files (a
 * self-contained report requests none). Close the context when done.
 */
export async function openChromium(): Promise<{ context: BrowserContext; requested: string[] }> {
  if (!present)
    throw new Error(`${CHROMIUM} is missing: CI=true requires the browser check (.ci/run installs chromium)`);
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "metasync-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
  const requested: string[] = [];
  context.on("request", (request) => {
    if (!request.url().startsWith("file:")) requested.push(request.url());
  });
  return { context, requested };
}
