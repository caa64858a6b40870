/** The offline task (fixtures/optimize): mock:instruct as the task model, mock:reflect as the proposer. */
export function optimize(extra: string[], out = "best.yaml"): string[] {
  return [
    "optimize",
    "fixtures/optimize/tickets.csv",
    "-r",
    "fixtures/optimize/classify.yaml",
    "--assert",
    "equals:{{label}}",
    "--proposer",
    "mock:reflect",
    "--prices",
    "fixtures/optimize/prices.yaml",
    "-o",
    out,
    "--progress",
    "none",
    ...extra,
  ];
}
