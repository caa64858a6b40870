import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import {
  type BatchJobs,
  type BatchRequestLine,
  lineChunks,
  type MockBatchJob,
  newBatchId,
} from "./batch-jobs.js";
import { isRecord } from "./dialect.js";
import { sendJson } from "./http-io.js";
import { openaiDialect } from "./openai-dialect.js";

/** An uploaded file (`purpose: batch`, or a batch's output or error file): its lines. */
interface MockFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  lines: string[];
}

const LIMITS = { requests: 50_000, bytes: 200 * 1024 * 1024 };
const ENDPOINTS = new Set(["/v1/chat/completions"]);

function fileObject(file: MockFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0),
    created_at: Math.floor(file.createdAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    expires_at: null,
    status_details: null,
  };
}

function invalid(response: ServerResponse, message: string, status = 400, code: string | null = null): void {
  sendJson(response, status, {}, { error: { message, type: "invalid_request_error", param: null, code } });
}

/**
 * OpenAI's Files and Batches APIs as the SDK's `files` and `batches` resources call them:
 * `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files/{id}` and `/content`,
 * `POST /v1/batches`, `GET /v1/batches` (newest first, `after`/`limit`), `GET /v1/batches/{id}`,
 * `POST /v1/batches/{id}/cancel`. Output and error files hold BatchRequestOutput lines, shuffled.
 */
export class OpenAIBatches {
  private readonly files = new Map<string, MockFile>();

  constructor(
    private readonly jobs: BatchJobs,
    private readonly now: () => number,
  ) {}

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    fingerprint: string,
  ): Promise<boolean> {
    const method = request.method ?? "GET";
    const content = /\/files\/([^/]+)\/content$/.exec(path);
    const fileId = /\/files\/([^/]+)$/.exec(path)?.[1];
    const batch = /\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (method === "POST" && /\/files$/.test(path)) {
      await this.upload(request, response);
    } else if (method === "GET" && (content || fileId)) {
      const file = this.files.get(decodeURIComponent(content?.[1] ?? fileId ?? ""));
      if (!file) {
        invalid(response, "No such File object", 404);
      } else if (content) {
        response.writeHead(200, { "content-type": "application/octet-stream" });
        Readable.from(lineChunks(file.lines)).pipe(response);
      } else {
        sendJson(response, 200, {}, fileObject(file));
      }
    } else if (method === "POST" && /\/batches$/.test(path)) {
      await this.create(request, response, fingerprint);
    } else if (method === "GET" && /\/batches$/.test(path)) {
      this.list(request, response, fingerprint);
    } else if (batch && (method === "GET" || (method === "POST" && batch[2]))) {
      const job = this.jobs.get(decodeURIComponent(batch[1] as string));
      if (!job || job.dialect !== openaiDialect) {
        invalid(response, "No such Batch object", 404);
        return true;
      }
      if (batch[2]) this.jobs.cancel(job);
      sendJson(response, 200, {}, this.batchObject(job));
    } else {
      return false;
    }
    return true;
  }

  private list(request: IncomingMessage, response: ServerResponse, fingerprint: string): void {
    const query = new URL(request.url ?? "/", "http://mock").searchParams;
    const limit = Math.min(100, Number(query.get("limit") ?? 20) || 20);
    let all = this.jobs
      .list()
      .filter((job) => job.dialect === openaiDialect && job.fingerprint === fingerprint);
    const after = query.get("after");
    if (after) all = all.slice(all.findIndex((job) => job.id === after) + 1);
    const page = all.slice(0, limit);
    sendJson(
      response,
      200,
      {},
      {
        object: "list",
        data: page.map((job) => this.batchObject(job)),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: all.length > limit,
      },
    );
  }

  private async upload(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let form: FormData;
    try {
      form = await new Request("http://mock/upload", {
        method: "POST",
        headers: request.headers as Record<string, string>,
        body: Readable.toWeb(request) as ReadableStream,
        duplex: "half",
      } as RequestInit).formData();
    } catch (error) {
      return invalid(response, `the upload is not multipart/form-data: ${(error as Error).message}`);
    }
    const file = form.get("file");
    const purpose = form.get("purpose");
    if (!(file instanceof Blob) || typeof purpose !== "string")
      return invalid(response, "file and purpose are required");
    if (purpose !== "batch")
      return invalid(response, `this mock keeps only purpose "batch" files, got "${purpose}"`);
    if (file.size > LIMITS.bytes)
      return invalid(response, `File is too large: ${file.size} bytes (most ${LIMITS.bytes})`);
    const text = await file.text();
    const stored: MockFile = {
      id: newBatchId("file-"),
      filename: (file as File).name ?? "upload.jsonl",
      purpose,
      createdAt: this.now(),
      lines: text.split("\n").filter((line) => line.trim() !== ""),
    };
    this.files.set(stored.id, stored);
    sendJson(response, 200, {}, fileObject(stored));
  }

  private async create(
    request: IncomingMessage,
    response: ServerResponse,
    fingerprint: string,
  ): Promise<void> {
    const body = await readBody(request);
    if (!isRecord(body)) return invalid(response, "the request body must be a JSON object");
    const file = this.files.get(String(body.input_file_id));
    if (!file) return invalid(response, `No such File object: ${String(body.input_file_id)}`, 404);
    if (!ENDPOINTS.has(String(body.endpoint)))
      return invalid(response, `endpoint ${String(body.endpoint)} is not served by this mock`);
    if (body.completion_window !== "24h") return invalid(response, "completion_window must be 24h");
    // Validation as the Batch API does it: each line a request to the batch's endpoint, unique custom_ids, one model.
    const requests: BatchRequestLine[] = [];
    const seen = new Set<string>();
    let model: string | undefined;
    const errors: { code: string; message: string; line: number }[] = [];
    file.lines.forEach((text, i) => {
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        errors.push({
          code: "invalid_json_line",
          message: "This line is not parseable as valid JSON.",
          line: i + 1,
        });
        return;
      }
      if (
        !isRecord(line) ||
        typeof line.custom_id !== "string" ||
        line.url !== body.endpoint ||
        line.method !== "POST"
      ) {
        errors.push({
          code: "invalid_request",
          message: "Each line needs custom_id, method POST and the batch's url.",
          line: i + 1,
        });
        return;
      }
      if (seen.has(line.custom_id)) {
        errors.push({
          code: "duplicate_custom_id",
          message: `The custom_id ${line.custom_id} is used more than once.`,
          line: i + 1,
        });
        return;
      }
      seen.add(line.custom_id);
      const parsed = openaiDialect.parse(line.body);
      if (typeof parsed === "string") {
        errors.push({ code: "invalid_body", message: parsed, line: i + 1 });
        return;
      }
      if (model !== undefined && parsed.model !== model) {
        errors.push({
          code: "mismatched_model",
          message: "Every line of a batch must use the same model.",
          line: i + 1,
        });
        return;
      }
      model = parsed.model;
      requests.push({ customId: line.custom_id, body: line.body, parsed });
    });
    if (file.lines.length > LIMITS.requests) {
      errors.push({
        code: "too_many_requests",
        message: `A batch holds at most ${LIMITS.requests} requests.`,
        line: 0,
      });
    }
    const job = this.jobs.add({
      id: newBatchId("batch_"),
      dialect: openaiDialect,
      fingerprint,
      model: model ?? "",
      requests: errors.length > 0 ? [] : requests,
      ...(errors.length > 0
        ? { refused: { code: errors[0]?.code ?? "invalid", message: errors[0]?.message ?? "" } }
        : {}),
      extra: {
        input_file_id: file.id,
        endpoint: body.endpoint,
        metadata: isRecord(body.metadata) ? body.metadata : null,
        errors,
      },
    });
    sendJson(response, 200, {}, this.batchObject(job));
  }

  /** The Batch object, with its output and error files written once it has ended. */
  private batchObject(job: MockBatchJob) {
    const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
    const counts = { total: job.requests.length, completed: 0, failed: 0 };
    let status: string;
    if (job.refused) status = "failed";
    else if (job.ended === "completed") status = "completed";
    else if (job.ended) status = job.ended;
    else status = job.cancelRequestedAt !== undefined ? "cancelling" : "in_progress";
    if (job.outcomes && job.extra.output_file_id === undefined) this.writeFiles(job);
    for (const { outcome } of job.outcomes ?? []) {
      if (outcome.kind === "answer") counts.completed++;
      else if (outcome.kind === "error" || job.ended === "expired") counts.failed++;
    }
    const extra = job.extra as {
      input_file_id: string;
      endpoint: string;
      metadata: unknown;
      errors?: unknown[];
      output_file_id?: string | null;
      error_file_id?: string | null;
    };
    const errors = job.refused
      ? {
          object: "list",
          data: [{ code: job.refused.code, message: job.refused.message, param: null, line: null }],
        }
      : null;
    return {
      id: job.id,
      object: "batch",
      endpoint: extra.endpoint,
      model: job.model || undefined,
      errors,
      input_file_id: extra.input_file_id,
      completion_window: "24h",
      status,
      output_file_id: extra.output_file_id ?? null,
      error_file_id: extra.error_file_id ?? null,
      created_at: seconds(job.createdAt),
      in_progress_at: job.refused ? null : seconds(job.createdAt),
      expires_at: seconds(job.createdAt + 24 * 3600 * 1000),
      finalizing_at: job.ended === "completed" || job.ended === "expired" ? seconds(job.endedAt) : null,
      completed_at: job.ended === "completed" ? seconds(job.endedAt) : null,
      failed_at: job.refused ? seconds(job.endedAt) : null,
      expired_at: job.ended === "expired" ? seconds(job.endedAt) : null,
      cancelling_at: seconds(job.cancelRequestedAt),
      cancelled_at: job.ended === "cancelled" ? seconds(job.endedAt) : null,
      request_counts: counts,
      metadata: extra.metadata,
    };
  }

  private writeFiles(job: MockBatchJob): void {
    const output: string[] = [];
    const errors: string[] = [];
    for (const { customId, outcome } of job.outcomes ?? []) {
      const id = newBatchId("batch_req_");
      if (outcome.kind === "answer") {
        output.push(
          JSON.stringify({
            id,
            custom_id: customId,
            response: { status_code: 200, request_id: newBatchId("req_"), body: outcome.body },
            error: null,
          }),
        );
      } else if (outcome.kind === "error") {
        errors.push(
          JSON.stringify({
            id,
            custom_id: customId,
            response: { status_code: outcome.status, request_id: newBatchId("req_"), body: outcome.body },
            error: null,
          }),
        );
      } else if (outcome.reason === "expired") {
        errors.push(
          JSON.stringify({
            id,
            custom_id: customId,
            response: null,
            error: {
              code: "batch_expired",
              message: "This request could not be executed before the completion window expired.",
            },
          }),
        );
      }
    }
    const store = (lines: string[], name: string) => {
      if (lines.length === 0) return null;
      const file: MockFile = {
        id: newBatchId("file-"),
        filename: name,
        purpose: "batch_output",
        createdAt: this.now(),
        lines,
      };
      this.files.set(file.id, file);
      return file.id;
    };
    job.extra.output_file_id = store(output, `batch_${job.id}_output.jsonl`);
    job.extra.error_file_id = store(errors, `batch_${job.id}_error.jsonl`);
  }
}

/** A JSON body of any size a batch may have (the Message Batches API takes up to 256 MB). */
export async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
