#!/usr/bin/env node
// A port of the OpenAI cookbook's examples/api_request_parallel_processor.py, step for step, so
// bench/budgets.mjs can set metasync against its algorithm on the same server. Like the script it
// runs as a process of its own, reads the requests file lazily, counts each request's tokens with
// cl100k_base (its default encoding), refills minute-sized buckets continuously, sleeps 1 ms each
// loop, pauses 15 s after a rate-limit error, and appends every result to the save file.
//
// Usage: node bench/cookbook.mjs REQUESTS.jsonl SAVE.jsonl URL KEY RPM TPM
// Prints one JSON line: { wallS, succeeded, failed, rateLimitErrors }.
import { appendFileSync, createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

const [requestsPath, savePath, url, key, rpm, tpm] = process.argv.slice(2);
const started = performance.now();
const { encode } = await import("gpt-tokenizer/encoding/cl100k_base");
const maxRequestsPerMinute = Number(rpm);
const maxTokensPerMinute = Number(tpm);
const SECONDS_TO_PAUSE_AFTER_RATE_LIMIT_ERROR = 15;
const SECONDS_TO_SLEEP_EACH_LOOP = 0.001;
const MAX_ATTEMPTS = 5;

/** num_tokens_consumed_from_request, for chat completions. */
function tokensConsumed(request) {
  const completionTokens = (request.n ?? 1) * (request.max_tokens ?? 15);
  let tokens = 0;
  for (const message of request.messages) {
    tokens += 4;
    for (const [field, value] of Object.entries(message)) {
      tokens += encode(value).length;
      if (field === "name") tokens -= 1;
    }
  }
  return tokens + 2 + completionTokens;
}

const status = {
  inProgress: 0,
  succeeded: 0,
  failed: 0,
  rateLimitErrors: 0,
  lastRateLimitError: Number.NEGATIVE_INFINITY,
};
const retries = [];

async function callApi(task) {
  let error;
  let response;
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(task.request),
    });
    response = await answer.json();
    if (response.error) {
      error = response;
      if (
        String(response.error.message ?? "")
          .toLowerCase()
          .includes("rate limit")
      ) {
        status.lastRateLimitError = performance.now();
        status.rateLimitErrors++;
      }
    }
  } catch (caught) {
    error = caught;
  }
  if (error) {
    task.errors.push(error);
    if (task.attemptsLeft > 0) {
      retries.push(task);
      return;
    }
    appendFileSync(savePath, `${JSON.stringify([task.request, task.errors.map(String)])}\n`);
    status.inProgress--;
    status.failed++;
    return;
  }
  appendFileSync(savePath, `${JSON.stringify([task.request, response, task.metadata])}\n`);
  status.inProgress--;
  status.succeeded++;
}

const lines = createInterface({ input: createReadStream(requestsPath), crlfDelay: Number.POSITIVE_INFINITY })[
  Symbol.asyncIterator
]();
let fileNotFinished = true;
let next;
let requestCapacity = maxRequestsPerMinute;
let tokenCapacity = maxTokensPerMinute;
let lastUpdate = performance.now();
while (true) {
  if (next === undefined) {
    if (retries.length > 0) next = retries.shift();
    else if (fileNotFinished) {
      const line = await lines.next();
      if (line.done) fileNotFinished = false;
      else {
        const request = JSON.parse(line.value);
        const metadata = request.metadata;
        delete request.metadata;
        next = { request, metadata, tokens: tokensConsumed(request), attemptsLeft: MAX_ATTEMPTS, errors: [] };
        status.inProgress++;
      }
    }
  }
  const now = performance.now();
  const elapsedS = (now - lastUpdate) / 1000;
  requestCapacity = Math.min(requestCapacity + (maxRequestsPerMinute * elapsedS) / 60, maxRequestsPerMinute);
  tokenCapacity = Math.min(tokenCapacity + (maxTokensPerMinute * elapsedS) / 60, maxTokensPerMinute);
  lastUpdate = now;
  if (next !== undefined && requestCapacity >= 1 && tokenCapacity >= next.tokens) {
    requestCapacity -= 1;
    tokenCapacity -= next.tokens;
    next.attemptsLeft--;
    callApi(next);
    next = undefined;
  }
  if (status.inProgress === 0) break;
  await sleep(SECONDS_TO_SLEEP_EACH_LOOP * 1000);
  const sinceRateLimitS = (performance.now() - status.lastRateLimitError) / 1000;
  if (sinceRateLimitS < SECONDS_TO_PAUSE_AFTER_RATE_LIMIT_ERROR) {
    await sleep((SECONDS_TO_PAUSE_AFTER_RATE_LIMIT_ERROR - sinceRateLimitS) * 1000);
  }
}
console.log(
  JSON.stringify({
    wallS: (performance.now() - started) / 1000,
    succeeded: status.succeeded,
    failed: status.failed,
    rateLimitErrors: status.rateLimitErrors,
  }),
);
