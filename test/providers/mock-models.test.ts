import { describe, expect, it } from "vitest";
import { createProvider } from "../../providers/mock/index.js";
import type { CompletionRequest } from "../../src/core/provider.js";

function request(model: string, text: string): CompletionRequest {
  return { model, messages: [{ role: "user", content: text }], params: {} } as CompletionRequest;
}

const signal = new AbortController().signal;
const answer = async (model: string, text: string, provider = createProvider({})) =>
  (await provider.complete(request(model, text), { signal })).text;

describe("mock:instruct (its accuracy follows what the instruction says)", () => {
  it("applies the first rule whose keyword is in the input, answering the bare label when told to", async () => {
    const prompt = `Answer with one of: billing, account. Answer with the label only.\n- "refund" means billing\nTicket: I want a refund`;
    expect(await answer("instruct?noise=0", prompt)).toBe("billing");
    expect(await answer("instruct?noise=0", prompt.replace(" Answer with the label only.", ""))).toBe(
      "The answer is billing.",
    );
  });

  it("recalls a worked example for its own input only, and keeps its guesses when a rule is added", async () => {
    const prompt = (ticket: string, extra = "") =>
      `Answer with one of: billing, account, shipping. Label only.\n- Example: "the courier is late" → shipping${extra}\nTicket: ${ticket}`;
    expect(await answer("instruct?noise=0", prompt("the courier is late"))).toBe("shipping");
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => answer("instruct?noise=0", prompt(`the parcel ${i} is late`))),
    );
    expect(new Set(guesses).size).toBeGreaterThan(1);
    // A rule that does not apply leaves every guess as it was; one that applies decides.
    const withRule = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        answer("instruct?noise=0", prompt(`the parcel ${i} is late`, '\n- "refund" means billing')),
      ),
    );
    expect(withRule).toEqual(guesses);
    expect(await answer("instruct?noise=0", prompt("a refund please", '\n- "refund" means billing'))).toBe(
      "billing",
    );
  });

  it("guesses among the labels without a rule that applies, and says unknown without labels", async () => {
    const guess = await answer(
      "instruct",
      "Answer with one of: billing, account. Label only.\nTicket: hello",
    );
    expect(["billing", "account"]).toContain(guess);
    expect(await answer("instruct", "Label only. Ticket: hello")).toBe("unknown");
  });
});

describe("mock:reflect and mock:paraphrase (offline proposers)", () => {
  const meta =
    "Prompt:\n```\nClassify. Answer with one of: billing.\nTicket: {{text}}\n```\nExample 1\nInput:\ntext: my refund please\nOutput: The answer is billing.\nExpected: billing\nFeedback: not equal\n\nExample 2\nInput:\ntext: the courier is late\nOutput: The answer is billing.\nExpected: shipping\n";

  it("turns the failures it is shown into instruction changes, in the last fenced block", async () => {
    const reply = await answer("reflect", meta);
    const block = [...reply.matchAll(/```\n([\s\S]*?)\n```/g)].at(-1)?.[1] ?? "";
    expect(block).toMatch(/Answer with the label only\./);
    expect(block).toMatch(/one of: billing, shipping/);
    expect(block).toMatch(/- "(courier|late)" means shipping|- Example: "the courier is late" → shipping/);
    expect(block).toMatch(/\{\{text\}\}$/);
  });

  it("writes a rule for a failure, or (one time in three, by the seed) pastes it in as a worked example", async () => {
    const blocks = await Promise.all(
      Array.from({ length: 30 }, async (_, seed) => {
        const reply = await answer(`reflect?seed=${seed}`, meta);
        return [...reply.matchAll(/```\n([\s\S]*?)\n```/g)].at(-1)?.[1] ?? "";
      }),
    );
    const examples = blocks.filter((b) => b.includes('- Example: "the courier is late" → shipping')).length;
    const rules = blocks.filter((b) => /- "(courier|late)" means shipping/.test(b)).length;
    expect(examples + rules).toBe(30);
    expect(examples).toBeGreaterThan(3);
    expect(examples).toBeLessThan(20);
  });

  it("paraphrase rewords without learning anything", async () => {
    const reply = await answer("paraphrase", meta);
    const block = [...reply.matchAll(/```\n([\s\S]*?)\n```/g)].at(-1)?.[1] ?? "";
    expect(block).not.toMatch(/means/);
    expect(block).toMatch(/Classify\. Answer with one of: billing\./);
  });
});

describe("mock randomness is a hash of seed and request, not of call order", () => {
  it("gives each request the same answer and failure whatever order they are sent in", async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Answer with one of: a, b, c. Label only. Item ${i}`);
    const outcome = async (order: string[]) => {
      const provider = createProvider({});
      const seen = new Map<string, string>();
      await Promise.all(
        order.map(async (text) => {
          const model = "echo?fail_rate=0.5&seed=9";
          const echo = await provider.complete(request(model, text), { signal }).then(
            () => "ok",
            () => "failed",
          );
          const guess = await provider.complete(request("instruct?seed=9", text), { signal });
          seen.set(text, `${echo}/${guess.text}`);
        }),
      );
      return texts.map((text) => seen.get(text));
    };
    const forward = await outcome(texts);
    expect(await outcome([...texts].reverse())).toEqual(forward);
    expect(new Set(forward.map((o) => o?.split("/")[0])).size).toBe(2);
  });
});
