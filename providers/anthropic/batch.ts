import { Readable } from "node:stream";
import type Anthropic from "@anthropic-ai/sdk";
import type { ErrorType } from "../../src/core/errors.js";
import type {
  BatchCapability,
  BatchContext,
  BatchLookup,
  BatchResult,
  BatchStatus,
  BatchSubmission,
} from "../../src/core/provider.js";
import { epochMs, fileLines } from "../batch-lines.js";
import type { ClientCache } from "../client-cache.js";
import { fromMessage } from "./completion.js";
import { toProviderError } from "./errors.js";
import { messageBody } from "./message-body.js";

/** Anthropic's documented limits of one Message Batch: 100,000 requests, 256 MB. */
export const ANTHROPIC_BATCH_LIMITS = { requests: 100_000, bytes: 256 * 1000 * 1000 };

/** A custom_id Anthropic accepts: 1 to 64 of letters, digits, `_` and `-`. */
export const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

type MessageBatch = Anthropic.Messages.Batches.MessageBatch;

function total(counts: MessageBatch["request_counts"]): number {
  return counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired;
}

/**
 * An ended batch is `ended` whatever became of its requests (each result says: succeeded, errored,
 * canceled, expired); one whose cancellation was asked for is reported `cancelled`, one that ran out
 * of time `expired`, so the run knows its unfinished requests come back.
 */
function toStatus(batch: MessageBatch): BatchStatus {
  const counts = batch.request_counts;
  let state: BatchStatus["state"] = "in_progress";
  if (batch.processing_status === "canceling") state = "cancelling";
  else if (batch.processing_status === "ended") {
    state = batch.cancel_initiated_at ? "cancelled" : counts.expired > 0 ? "expired" : "ended";
  }
  return {
    id: batch.id,
    state,
    counts: { total: total(counts), succeeded: counts.succeeded, failed: counts.errored },
    createdAt: epochMs(batch.created_at),
    expiresAt: epochMs(batch.expires_at),
  };
}

/** Error types of a result line, as a live call would classify them. */
const ERROR_TYPES: Record<string, ErrorType> = {
  invalid_request_error: "bad_request",
  authentication_error: "auth",
  permission_error: "auth",
  billing_error: "quota_exhausted",
  not_found_error: "bad_request",
  rate_limit_error: "rate_limited",
  timeout_error: "timeout",
  api_error: "server",
  overloaded_error: "overloaded",
};

export function readResult(line: Anthropic.Messages.Batches.MessageBatchIndividualResponse): BatchResult {
  const customId = line.custom_id;
  const result = line.result;
  switch (result.type) {
    case "succeeded":
      return { customId, kind: "answer", completion: fromMessage(result.message, new Headers()) };
    case "errored": {
      const error = result.error?.error;
      return {
        customId,
        kind: "error",
        error: {
          type: ERROR_TYPES[error?.type ?? ""] ?? "server",
          message: `anthropic: ${error?.type ?? "error"}: ${error?.message ?? "the request failed"}`,
        },
      };
    }
    case "canceled":
      return { customId, kind: "unfinished", reason: "cancelled" };
    default:
      return { customId, kind: "unfinished", reason: "expired" };
  }
}

/** The create body, `{"requests":[…]}`, streamed from the submission file line by line. */
async function* requestsBody(path: string): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  yield encoder.encode('{"requests":[');
  let first = true;
  for await (const line of fileLines(path)) {
    yield encoder.encode(first ? line : `,${line}`);
    first = false;
  }
  yield encoder.encode("]}");
}

/** Anthropic's Message Batches: the requests go in the create call's body, streamed from the file. */
export function anthropicBatch(clients: ClientCache<Anthropic>): BatchCapability {
  const call = async <T>(context: BatchContext, step: (client: Anthropic) => Promise<T>): Promise<T> => {
    try {
      return await step(clients.clientFor(context));
    } catch (error) {
      throw toProviderError(error, context, clients.endpointFor(context));
    }
  };
  return {
    limits: ANTHROPIC_BATCH_LIMITS,
    mixesModels: true,
    encode: ({ customId, request }) => {
      if (!CUSTOM_ID.test(customId)) throw new Error(`anthropic: custom_id ${customId} is not allowed`);
      return JSON.stringify({ custom_id: customId, params: messageBody(request) });
    },

    submit: (submission: BatchSubmission, context) =>
      call(context, async (client) => {
        // The SDK sends a stream body as it is: the JSON is never held whole in memory.
        const batch = await client.messages.batches.create(
          { requests: [] },
          {
            body: Readable.from(requestsBody(submission.path)),
            headers: { "content-type": "application/json" },
            signal: context.signal,
          },
        );
        return toStatus(batch);
      }),

    /**
     * Message Batches carry no metadata, and their requests (with the nonce in each custom_id) can be
     * read only once they end: a lost batch is the one created since the chunk was recorded, holding
     * as many requests, and adopted by no other chunk. Its results are matched by the nonce prefix,
     * so a batch adopted wrongly gives back no answer, and its items are submitted again.
     */
    find: (lookup: BatchLookup, context) =>
      call(context, async (client) => {
        let found: MessageBatch | undefined;
        for await (const batch of client.messages.batches.list({ limit: 100 }, { signal: context.signal })) {
          const created = epochMs(batch.created_at) ?? 0;
          if (created < lookup.since - 60_000) break;
          if (lookup.known.has(batch.id) || total(batch.request_counts) !== lookup.requests) continue;
          // Newest first: the last one seen is the oldest candidate, the first created after the record.
          found = batch;
        }
        return found && toStatus(found);
      }),

    poll: (batchId, context) =>
      call(context, async (client) =>
        toStatus(await client.messages.batches.retrieve(batchId, {}, { signal: context.signal })),
      ),

    cancel: (batchId, context) =>
      call(context, async (client) =>
        toStatus(await client.messages.batches.cancel(batchId, {}, { signal: context.signal })),
      ),

    results: (batchId, context) => ({
      async *[Symbol.asyncIterator]() {
        const lines = await call(context, (client) =>
          client.messages.batches.results(batchId, {}, { signal: context.signal }),
        );
        try {
          for await (const line of lines) yield readResult(line);
        } catch (error) {
          throw toProviderError(error, context, clients.endpointFor(context));
        }
      },
    }),
  };
}
