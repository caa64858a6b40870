import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { anthropicDialect } from "./anthropic-dialect.js";
import {
  type BatchJobs,
  type BatchRequestLine,
  lineChunks,
  type MockBatchJob,
  newBatchId,
} from "./batch-jobs.js";
import { isRecord } from "./dialect.js";
import { sendJson } from "./http-io.js";
import { readBody } from "./openai-batches.js";

const MAX_REQUESTS = 100_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

function invalid(response: ServerResponse, message: string, status = 400): void {
  const type = status === 404 ? "not_found_error" : "invalid_request_error";
  sendJson(response, status, {}, { type: "error", error: { type, message } });
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * Anthropic's Message Batches as the SDK's `messages.batches` calls them: `POST /v1/messages/batches`,
 * `GET /v1/messages/batches` (newest first; `after_id`, `before_id`, `limit`), `GET …/{id}`,
 * `POST …/{id}/cancel`, and `GET …/{id}/results` (JSONL, in no order). Results are kept for the life of
 * the server (archiving is not emulated).
 */
export class AnthropicBatches {
  constructor(private readonly jobs: BatchJobs) {}

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    fingerprint: string,
  ): Promise<boolean> {
    const method = request.method ?? "GET";
    const base = `http://${request.headers.host ?? "127.0.0.1"}`;
    const match = /\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    if (method === "POST" && /\/messages\/batches$/.test(path)) {
      await this.create(request, response, fingerprint, base);
    } else if (method === "GET" && /\/messages\/batches$/.test(path)) {
      this.list(request, response, fingerprint, base);
    } else if (match) {
      const job = this.jobs.get(decodeURIComponent(match[1] as string));
      if (!job || job.dialect !== anthropicDialect) {
        invalid(response, "batch not found", 404);
        return true;
      }
      const action = match[2];
      if (action === "/cancel" && method === "POST") {
        this.jobs.cancel(job);
        sendJson(response, 200, {}, this.batchObject(job, base));
      } else if (action === "/results" && method === "GET") {
        const outcomes = job.outcomes;
        if (!outcomes) {
          invalid(response, `Batch ${job.id} is still processing.`);
          return true;
        }
        response.writeHead(200, { "content-type": "application/binary" });
        const lines = outcomes.map(({ customId, outcome }) =>
          JSON.stringify({ custom_id: customId, result: resultOf(outcome) }),
        );
        Readable.from(lineChunks(lines)).pipe(response);
      } else if (!action && method === "GET") {
        sendJson(response, 200, {}, this.batchObject(job, base));
      } else {
        return false;
      }
    } else {
      return false;
    }
    return true;
  }

  private list(request: IncomingMessage, response: ServerResponse, fingerprint: string, base: string): void {
    const query = new URL(request.url ?? "/", "http://mock").searchParams;
    const limit = Math.min(1000, Number(query.get("limit") ?? 20) || 20);
    let all = this.jobs
      .list()
      .filter((job) => job.dialect === anthropicDialect && job.fingerprint === fingerprint);
    const after = query.get("after_id");
    const before = query.get("before_id");
    if (after) all = all.slice(all.findIndex((job) => job.id === after) + 1);
    if (before)
      all = all.slice(
        0,
        Math.max(
          0,
          all.findIndex((job) => job.id === before),
        ),
      );
    const page = before ? all.slice(-limit) : all.slice(0, limit);
    sendJson(
      response,
      200,
      {},
      {
        data: page.map((job) => this.batchObject(job, base)),
        has_more: all.length > page.length,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
      },
    );
  }

  private async create(
    request: IncomingMessage,
    response: ServerResponse,
    fingerprint: string,
    base: string,
  ): Promise<void> {
    const body = await readBody(request);
    if (!isRecord(body) || !Array.isArray(body.requests))
      return invalid(response, "requests: Field required");
    if (body.requests.length === 0) return invalid(response, "requests: List should have at least 1 item");
    if (body.requests.length > MAX_REQUESTS)
      return invalid(response, `requests: at most ${MAX_REQUESTS} requests a batch`);
    const requests: BatchRequestLine[] = [];
    const seen = new Set<string>();
    for (const [i, entry] of body.requests.entries()) {
      if (!isRecord(entry) || typeof entry.custom_id !== "string" || !CUSTOM_ID.test(entry.custom_id)) {
        return invalid(
          response,
          `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
        );
      }
      if (seen.has(entry.custom_id))
        return invalid(response, `requests.${i}.custom_id: duplicate custom_id ${entry.custom_id}`);
      seen.add(entry.custom_id);
      const parsed = anthropicDialect.parse(entry.params);
      if (typeof parsed === "string") return invalid(response, `requests.${i}.params: ${parsed}`);
      requests.push({ customId: entry.custom_id, body: entry.params, parsed });
    }
    const job = this.jobs.add({
      id: newBatchId("msgbatch_"),
      dialect: anthropicDialect,
      fingerprint,
      model: "*",
      requests,
    });
    sendJson(response, 200, {}, this.batchObject(job, base));
  }

  private batchObject(job: MockBatchJob, base: string) {
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (!job.outcomes) counts.processing = job.requests.length;
    for (const { outcome } of job.outcomes ?? []) {
      if (outcome.kind === "answer") counts.succeeded++;
      else if (outcome.kind === "error") counts.errored++;
      else if (outcome.reason === "expired") counts.expired++;
      else counts.canceled++;
    }
    const status = job.ended ? "ended" : job.cancelRequestedAt !== undefined ? "canceling" : "in_progress";
    return {
      id: job.id,
      type: "message_batch",
      processing_status: status,
      request_counts: counts,
      ended_at: iso(job.endedAt),
      created_at: iso(job.createdAt),
      expires_at: iso(job.createdAt + 24 * 3600 * 1000),
      archived_at: null,
      cancel_initiated_at: iso(job.cancelRequestedAt),
      results_url: job.ended ? `${base}/v1/messages/batches/${job.id}/results` : null,
    };
  }
}

function resultOf(outcome: NonNullable<MockBatchJob["outcomes"]>[number]["outcome"]) {
  if (outcome.kind === "answer") return { type: "succeeded", message: outcome.body };
  if (outcome.kind === "error") return { type: "errored", error: outcome.body };
  return { type: outcome.reason === "expired" ? "expired" : "canceled" };
}
