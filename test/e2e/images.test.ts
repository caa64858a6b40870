import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dataUrl, pngImage } from "../support/images.js";
import { assertBuilt, jsonLines, runCli, workDir } from "./cli.js";
import { providerEnv, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

/** A result line's input tokens. */
function inputTokens(line: Record<string, unknown> | undefined): number {
  return (line?.usage as { input_tokens: number } | undefined)?.input_tokens ?? 0;
}

/** A 1024×1024 PNG: 765 tokens for gpt-4o (85 + 4 tiles × 170), 1399 for Claude (1024² / 750). */
const SQUARE = { openai: 765, anthropic: 1399 } as const;
/** A URL's image is not read before sending: it counts as the most an image can (8 tiles; 1,600). */
const URL_IMAGE = { openai: 85 + 8 * 170, anthropic: 1600 } as const;

const PROVIDERS = [
  { provider: "openai", model: "openai:gpt-4o", key: "sk-test-images-0123456789" },
  { provider: "anthropic", model: "anthropic:claude-haiku-4-5", key: "sk-ant-test-images-0123456789" },
] as const;

function photos(): string {
  const cwd = workDir();
  writeFileSync(join(cwd, "square.png"), pngImage(1024, 1024));
  writeFileSync(
    join(cwd, "photos.csv"),
    "id,photo\nlocal,square.png\nremote,https://images.example.com/shoe.png\n",
  );
  return cwd;
}

describe.concurrent("--image through the real SDKs against mock-server", () => {
  for (const { provider, model, key } of PROVIDERS) {
    it(`${provider}: images from paths and URLs are sent, counted in the dry run and in the usage`, async (test) => {
      const server = await serve(test);
      const cwd = photos();
      const args = ["run", "photos.csv", "-t", "Describe this product", "--image", "{{photo}}", "-m", model];
      const env = providerEnv(provider, server, key);
      const dry = await runCli([...args, "--dry-run", "--json"], { cwd, env });
      expect(dry.code, dry.stderr).toBe(0);
      const estimate = JSON.parse(dry.stdout) as { prompt_tokens: number };
      const images = SQUARE[provider] + URL_IMAGE[provider];
      expect(estimate.prompt_tokens).toBeGreaterThan(images);
      expect(estimate.prompt_tokens).toBeLessThan(images + 40);

      const run = await runCli(
        [...args, "--state", "state.db", "--progress", "none", "--tpm", "1000000", "--report", "report.json"],
        { cwd, env },
      );
      expect(run.code, run.stderr).toBe(0);
      const results = Object.fromEntries(jsonLines(run.stdout).map((line) => [line.id, line]));
      const usage = (id: string) => inputTokens(results[id]);
      expect(usage("local")).toBeGreaterThan(SQUARE[provider]);
      expect(usage("local")).toBeLessThan(SQUARE[provider] + 20);
      expect(usage("remote")).toBeGreaterThan(URL_IMAGE[provider]);
      // The cost counts the image tokens the provider reported.
      expect(results.local?.cost_usd as number).toBeGreaterThan(0);
      expect(results.remote?.output).toBe("Describe this product");
      expect(server.stats().status_counts).toEqual({ "200": 2 });
      // The key's TPM budget was charged for the images.
      const report = JSON.parse(readFileSync(join(cwd, "report.json"), "utf8")) as {
        budget: Record<string, { tokens: number }>;
      };
      const charged = Object.values(report.budget).reduce((sum, scope) => sum + scope.tokens, 0);
      expect(charged).toBeGreaterThan(images);
    });
  }

  it("chat rows with OpenAI-style image_url parts (data URLs and http URLs) go to Anthropic too", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    const parts = (url: string) => [
      { type: "text", text: "What is it?" },
      { type: "image_url", image_url: { url } },
    ];
    const rows = [
      {
        id: "data",
        messages: [{ role: "user", content: parts(dataUrl("image/png", pngImage(1024, 1024))) }],
      },
      { id: "url", messages: [{ role: "user", content: parts("https://images.example.com/a.png") }] },
    ];
    writeFileSync(join(cwd, "chat.jsonl"), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
    const run = await runCli(
      ["run", "chat.jsonl", "-m", "anthropic:claude-haiku-4-5", "--state", "state.db", "--progress", "none"],
      { cwd, env: providerEnv("anthropic", server, "sk-ant-test-images-0123456789") },
    );
    expect(run.code, run.stderr).toBe(0);
    const results = Object.fromEntries(jsonLines(run.stdout).map((line) => [line.id, line]));
    expect(results.data).toMatchObject({ status: "ok", output: "What is it?" });
    expect(inputTokens(results.data)).toBeGreaterThan(SQUARE.anthropic);
    expect(inputTokens(results.url)).toBeGreaterThan(URL_IMAGE.anthropic);
  });

  it("refuses bad images with their line before anything is sent (exit 2)", async (test) => {
    const server = await serve(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "wide.png"), pngImage(9000, 2));
    writeFileSync(join(cwd, "notes.png"), "not an image");
    writeFileSync(join(cwd, "big.png"), Buffer.concat([pngImage(10, 10), Buffer.alloc(6 * 1024 * 1024)]));
    writeFileSync(join(cwd, "ok.png"), pngImage(10, 10));
    writeFileSync(
      join(cwd, "photos.csv"),
      "id,photo\n1,ok.png\n2,missing.png\n3,notes.png\n4,wide.png\n5,big.png\n6,ftp://x/y.png\n",
    );
    const run = await runCli(
      ["run", "photos.csv", "-t", "Describe", "--image", "{{photo}}", "-m", "anthropic:claude-haiku-4-5"],
      { cwd, env: providerEnv("anthropic", server, "sk-ant-test-images-0123456789") },
    );
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n").filter((line) => line !== "")).toEqual([
      "metasync: photos.csv:3: --image missing.png: no such file",
      "metasync: photos.csv:4: --image notes.png: not a PNG, JPEG, GIF or WebP image",
      "metasync: photos.csv:5: --image wide.png: 9000×2 px, more than anthropic takes (at most 8000 px a side)",
      "metasync: photos.csv:6: --image big.png: 6 MB, more than anthropic takes (at most 5 MB an image)",
      "metasync: photos.csv:7: --image ftp://x/y.png: not an http(s) URL, a data URL or a local file",
    ]);
    expect(server.stats().requests).toBe(0);
  });
});
