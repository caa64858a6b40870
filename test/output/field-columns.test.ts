import { describe, expect, it } from "vitest";
import type { ItemResult } from "../../src/core/types.js";
import { resultRecords } from "../../src/output/result-records.js";

const result = (json: unknown): ItemResult => ({
  id: "1",
  status: "ok",
  output: JSON.stringify(json),
  output_json: json,
  model: "mock:echo",
  usage: { input_tokens: 1, output_tokens: 2 },
  cost_usd: 0,
  latency_ms: 3,
  attempts: 1,
  finish_reason: "stop",
  error: null,
});

describe("CSV results with a schema's fields", () => {
  it("puts a column per field after the input's, prefixing names that are taken", () => {
    const records = resultRecords("csv", {
      csvHeader: ["id", "party"],
      fields: ["party", "status", "total", "tags"],
    });
    expect(records.header).toBe(
      "id,party,output.party,output.status,total,tags,output,status,error,model,input_tokens,output_tokens,cost_usd,latency_ms,attempts\n",
    );
    const row = records.record({
      item: { id: "1", columns: ["1", "ACME"] },
      result: result({ party: "ACME Corp", status: "=1+1", total: 12.5, tags: ["a", "b"] }),
    });
    expect(row.startsWith(`1,ACME,ACME Corp,'=1+1,12.5,"[""a"",""b""]",`)).toBe(true);
  });

  it("leaves a failed or pending row's fields empty", () => {
    const records = resultRecords("csv", { csvHeader: ["id"], fields: ["a"] });
    expect(records.record({ item: { id: "1", columns: ["1"] }, result: undefined })).toMatch(/^1,,,pending,/);
  });
});
