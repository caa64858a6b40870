import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, type TestContext } from "vitest";
import { type OtlpReceiver, startOtlpReceiver } from "../observe/otlp-receiver.js";
import { assertBuilt, ROOT, workDir } from "./cli.js";
import { keyFingerprint, promptsDir, providerEnv, runPrompts, serve } from "./mock-fixture.js";

beforeAll(assertBuilt);

const KEY = "sk-observe-test-key";

/** An answer, a 500 then an answer, a 429 then an answer, and a 400 (the row fails). */
const ROWS = [
  { id: "ok", prompt: "hello" },
  { id: "retried", prompt: "[[fault:500x1]] again" },
  { id: "waited", prompt: "[[fault:429x1]] later" },
  { id: "refused", prompt: "[[fault:400]] never" },
];

async function collector(test: TestContext): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver();
  test.onTestFinished(() => receiver.close());
  return receiver;
}

describe.concurrent("observability for cron and services", () => {
  it("--metrics-file writes the run's metrics in Prometheus text format", async (test) => {
    const server = await serve(test, { faultRetryAfterMs: 20 });
    const cwd = promptsDir(ROWS);
    const run = await runPrompts(
      cwd,
      ["-m", "openai:gpt-4o-mini", "--metrics-file", "metasync.prom"],
      providerEnv("openai", server, KEY),
    );
    expect(run.code, run.stderr).toBe(1); // one row failed
    const text = readFileSync(join(cwd, "metasync.prom"), "utf8");
    const key = keyFingerprint(KEY);
    const model = 'model="openai:gpt-4o-mini"';

    expect(text).toMatch(/^# HELP metasync_run_info /);
    expect(text).toContain("# TYPE metasync_items_total counter\n");
    expect(text).toContain("# TYPE metasync_request_duration_seconds histogram\n");
    expect(text).toMatch(
      new RegExp(`metasync_items_total\\{${model},key="${key}",scope="[^"]+",status="ok"\\} 3\\n`),
    );
    expect(text).toMatch(
      new RegExp(
        `metasync_items_total\\{${model},key="${key}",scope="[^"]+",status="error",error_type="bad_request"\\} 1\\n`,
      ),
    );
    expect(text).toMatch(new RegExp(`metasync_rate_limited_total\\{key="${key}",scope="[^"]+"\\} 1\\n`));
    expect(text).toContain(`metasync_retries_total{${model},error_type="server"} 1\n`);
    expect(text).toMatch(new RegExp(`metasync_tokens_total\\{${model},key="${key}",type="input"\\} \\d+\\n`));
    expect(text).toContain(`metasync_request_duration_seconds_count{${model},key="${key}"} 4\n`);
    expect(text).toContain(`metasync_request_duration_seconds_bucket{${model},key="${key}",le="+Inf"} 4\n`);
    expect(text).toContain('metasync_run_items{state="ok"} 3\n');
    expect(text).toContain('metasync_run_items{state="failed"} 1\n');
    expect(text).toContain('metasync_run_ended{reason="completed"} 1\n');
    // A key is never written, only its fingerprint.
    expect(text).not.toContain(KEY);
    // Every line is a comment or a sample a scraper parses.
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) metasync_\w+ .+|metasync_\w+(\{[^}]*\})? [-+\d.e]+|.+ \+Inf)$/);
    }
  });

  it("--metrics-file in a folder that does not exist is refused before anything is sent (exit 2)", async (test) => {
    const server = await serve(test);
    const cwd = promptsDir(ROWS.slice(0, 1));
    const run = await runPrompts(
      cwd,
      ["-m", "openai:gpt-4o-mini", "--metrics-file", "no-such-dir/metasync.prom"],
      providerEnv("openai", server, KEY),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /no-such-dir\/metasync\.prom: cannot write the metrics file: no such directory/,
    );
    expect(run.stdout).toBe("");
    expect(server.stats().requests).toBe(0);
  });

  it("sends GenAI spans and metrics to the OTLP endpoint in OTEL_EXPORTER_OTLP_ENDPOINT", async (test) => {
    const server = await serve(test, { faultRetryAfterMs: 20 });
    const receiver = await collector(test);
    const cwd = promptsDir(ROWS);
    const run = await runPrompts(cwd, ["-m", "openai:gpt-4o-mini"], {
      ...providerEnv("openai", server, KEY),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "nightly-batch",
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/OpenTelemetry/);
    expect(receiver.requests.every((r) => r.contentType.startsWith("application/json"))).toBe(true);

    const root = receiver.spans.find((span) => span.name === "metasync run");
    expect(root?.resource["service.name"]).toBe("nightly-batch");
    expect(root?.attributes).toMatchObject({ "metasync.items.ok": 3, "metasync.items.failed": 1 });
    const chats = receiver.spans.filter((span) => span.name === "chat gpt-4o-mini");
    // One span per request sent: 1 + 2 + 2 + 1.
    expect(chats).toHaveLength(6);
    for (const span of chats) {
      expect(span.parentSpanId).toBe(root?.spanId);
      expect(span.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
      });
    }
    const answers = chats.filter((span) => span.attributes["error.type"] === undefined);
    expect(answers).toHaveLength(3);
    for (const span of answers) {
      expect(span.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
      expect(span.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    }
    expect(
      chats
        .map((span) => span.attributes["error.type"])
        .filter(Boolean)
        .sort(),
    ).toEqual([
      "bad_request",
      "rate_limited", // the 429, its own attempt, sent again once its scope cooled down
      "server",
    ]);

    const names = new Set(receiver.metrics.map((metric) => metric.name));
    expect(names).toEqual(
      new Set([
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "metasync.items",
        "metasync.cost",
      ]),
    );
    const tokenTypes = receiver.metrics
      .filter((metric) => metric.name === "gen_ai.client.token.usage")
      .flatMap((metric) => metric.points.map((point) => point.attributes["gen_ai.token.type"]));
    expect(new Set(tokenTypes)).toEqual(new Set(["input", "output"]));
  });

  it("a collector that is down is a warning; the run's results and exit code are unchanged", async (test) => {
    const server = await serve(test);
    const receiver = await collector(test);
    await receiver.close();
    const cwd = promptsDir(ROWS.slice(0, 1));
    const run = await runPrompts(cwd, ["-m", "openai:gpt-4o-mini"], {
      ...providerEnv("openai", server, KEY),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TIMEOUT: "500",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.results.ok?.status).toBe("ok");
    expect(run.stderr).toContain(
      `metasync: warning: OpenTelemetry: cannot send traces to ${receiver.url}/v1/traces`,
    );
  });

  it("OpenTelemetry is loaded only when an OTLP endpoint is set", async (test) => {
    const receiver = await collector(test);
    const cwd = workDir();
    writeFileSync(join(cwd, "in.jsonl"), '{"prompt":"hi"}\n');
    const args = ["run", "in.jsonl", "-m", "mock:echo", "-o", "out.jsonl", "--progress", "none"];
    const without = loadedPackages(cwd, args, {});
    expect(without.status, without.stderr).toBe(0);
    expect(without.packages.filter((name) => name.startsWith("@opentelemetry/"))).toEqual([]);
    const withOtel = loadedPackages(cwd, [...args, "--fresh"], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(withOtel.status, withOtel.stderr).toBe(0);
    expect(withOtel.packages).toEqual(
      expect.arrayContaining(["@opentelemetry/sdk-trace", "@opentelemetry/exporter-trace-otlp-http"]),
    );
  });
});

/** The packages `metasync …args` loads with this environment (test/support/load-trace). */
function loadedPackages(cwd: string, args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "metasync-trace-"));
  const log = join(dir, "loaded.txt");
  try {
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        join(ROOT, "test/support/load-trace/register.mjs"),
        join(ROOT, "bin/metasync.js"),
        ...args,
      ],
      { cwd, env: { PATH: process.env.PATH ?? "", METASYNC_LOAD_LOG: log, ...env }, encoding: "utf8" },
    );
    const urls = existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [];
    const packages = new Set<string>();
    for (const url of urls) {
      const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      if (match?.[1]) packages.add(match[1]);
    }
    return { status: child.status, stderr: child.stderr, packages: [...packages] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
