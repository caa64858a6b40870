import { createReadStream } from "node:fs";
import type OpenAI from "openai";
import type {
  BatchCapability,
  BatchContext,
  BatchLookup,
  BatchResult,
  BatchState,
  BatchStatus,
  BatchSubmission,
} from "../../src/core/provider.js";
import { epochMs, responseLines } from "../batch-lines.js";
import type { ClientCache } from "../client-cache.js";
import { typeForStatus } from "../http-error.js";
import { chatBody } from "./chat-body.js";
import { fromChatCompletion } from "./completion.js";
import { toProviderError } from "./errors.js";

/** OpenAI's documented limits of one batch: 50,000 requests, an input file of 200 MB. */
export const OPENAI_BATCH_LIMITS = { requests: 50_000, bytes: 200 * 1024 * 1024 };

/** The metadata key that carries a chunk's nonce (metadata keys: up to 64 characters, values 512). */
export const NONCE_KEY = "metasync_nonce";

const ENDPOINT = "/v1/chat/completions";

const STATES: Record<OpenAI.Batches.Batch["status"], BatchState> = {
  validating: "validating",
  in_progress: "in_progress",
  finalizing: "finalizing",
  completed: "ended",
  expired: "expired",
  cancelling: "cancelling",
  cancelled: "cancelled",
  failed: "failed",
};

function toStatus(batch: OpenAI.Batches.Batch): BatchStatus {
  const counts = batch.request_counts;
  const error = batch.errors?.data?.[0];
  return {
    id: batch.id,
    state: STATES[batch.status] ?? "in_progress",
    counts: { total: counts?.total ?? 0, succeeded: counts?.completed ?? 0, failed: counts?.failed ?? 0 },
    createdAt: epochMs(batch.created_at),
    expiresAt: epochMs(batch.expires_at),
    ...(batch.status === "failed"
      ? { failure: { code: error?.code ?? "failed", message: error?.message ?? "the batch failed" } }
      : {}),
  };
}

/** One line of an output or error file (the Batch API's BatchRequestOutput). */
interface OutputLine {
  custom_id: string;
  response: { status_code: number; request_id?: string; body: unknown } | null;
  error: { code?: string | null; message?: string | null } | null;
}

/** Per-request error codes that mean the request never ran. */
const UNFINISHED: Record<string, "expired" | "cancelled"> = {
  batch_expired: "expired",
  batch_cancelled: "cancelled",
};

export function readOutputLine(text: string): BatchResult {
  const line = JSON.parse(text) as OutputLine;
  const customId = String(line.custom_id);
  const response = line.response;
  if (response && response.status_code >= 200 && response.status_code < 300) {
    const completion = fromChatCompletion(
      response.body as OpenAI.Chat.ChatCompletion,
      new Headers(response.request_id ? { "x-request-id": response.request_id } : {}),
    );
    return { customId, kind: "answer", completion };
  }
  const code = line.error?.code ?? undefined;
  const unfinished = code === undefined ? undefined : UNFINISHED[code];
  if (unfinished) return { customId, kind: "unfinished", reason: unfinished };
  if (response) {
    const body = response.body as { error?: { message?: string; code?: string | null } } | null;
    const bodyCode = body?.error?.code ?? undefined;
    const type =
      bodyCode === "insufficient_quota"
        ? "quota_exhausted"
        : bodyCode === "content_filter" || bodyCode === "content_policy_violation"
          ? "content_filter"
          : typeForStatus(response.status_code);
    return {
      customId,
      kind: "error",
      error: {
        type,
        message: `openai: ${body?.error?.message ?? `status ${response.status_code}`}`,
        status: response.status_code,
      },
    };
  }
  return {
    customId,
    kind: "error",
    error: { type: "bad_request", message: `openai: ${line.error?.message ?? code ?? "the request failed"}` },
  };
}

/** OpenAI's Batch API: the requests uploaded as a file (Files API), then one batch over the file. */
export function openaiBatch(clients: ClientCache<OpenAI>): BatchCapability {
  const call = async <T>(context: BatchContext, step: (client: OpenAI) => Promise<T>): Promise<T> => {
    try {
      return await step(clients.clientFor(context));
    } catch (error) {
      throw toProviderError(error, context, clients.endpointFor(context));
    }
  };
  return {
    limits: OPENAI_BATCH_LIMITS,
    mixesModels: false,
    encode: ({ customId, request }) =>
      JSON.stringify({ custom_id: customId, method: "POST", url: ENDPOINT, body: chatBody(request) }),

    submit: (submission: BatchSubmission, context) =>
      call(context, async (client) => {
        // The file is streamed from disk; its name (`metasync-<nonce>.jsonl`) carries the nonce.
        const file = await client.files.create(
          { file: createReadStream(submission.path), purpose: "batch" },
          { signal: context.signal },
        );
        const batch = await client.batches.create(
          {
            input_file_id: file.id,
            endpoint: ENDPOINT,
            completion_window: "24h",
            metadata: { [NONCE_KEY]: submission.nonce, metasync_model: submission.model },
          },
          { signal: context.signal },
        );
        return toStatus(batch);
      }),

    find: (lookup: BatchLookup, context) =>
      call(context, async (client) => {
        // Newest first; a batch older than the chunk cannot be its batch (a minute's slack for clocks).
        for await (const batch of client.batches.list({ limit: 100 }, { signal: context.signal })) {
          if (batch.metadata?.[NONCE_KEY] === lookup.nonce && !lookup.known.has(batch.id)) {
            return toStatus(batch);
          }
          if (batch.created_at * 1000 < lookup.since - 60_000) break;
        }
        return undefined;
      }),

    poll: (batchId, context) =>
      call(context, async (client) =>
        toStatus(await client.batches.retrieve(batchId, { signal: context.signal })),
      ),

    cancel: (batchId, context) =>
      call(context, async (client) =>
        toStatus(await client.batches.cancel(batchId, { signal: context.signal })),
      ),

    results: (batchId, context) => ({
      async *[Symbol.asyncIterator]() {
        const batch = await call(context, (client) =>
          client.batches.retrieve(batchId, { signal: context.signal }),
        );
        for (const fileId of [batch.output_file_id, batch.error_file_id]) {
          if (!fileId) continue;
          const response = await call(context, (client) =>
            client.files.content(fileId, { signal: context.signal }),
          );
          for await (const line of responseLines(response.body)) yield readOutputLine(line);
        }
      },
    }),
  };
}
