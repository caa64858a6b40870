import { InputError, type InputProblem } from "../core/errors.js";

/** Collects input problems: keeps the first `limit` to show, counts them all. */
export class ProblemList {
  private readonly kept: InputProblem[] = [];
  private count = 0;
  constructor(private readonly limit = 20) {}

  add(problem: InputProblem): void {
    this.count++;
    if (this.kept.length < this.limit) this.kept.push(problem);
  }

  get total(): number {
    return this.count;
  }

  /** Throws an `InputError` listing the problems, if there were any. */
  throwIfAny(): void {
    if (this.count > 0) throw new InputError(this.kept, this.count);
  }
}
