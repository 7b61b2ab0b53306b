// State per run (AnyIO's `RunVar`): a value that belongs to one `run()` and
// is dropped with it. Keyed by the run's loop object in a WeakMap, so a
// finished run's state is collected with the run.

/** A variable with one value per run (per loop object). */
export class RunVar<T> {
  readonly #values = new WeakMap<object, T>();
  readonly #make: () => T;

  /** @param make Creates the value the first time a run asks for it. */
  constructor(make: () => T) {
    this.#make = make;
  }

  /** This run's value, created on first use. */
  get(loop: object): T {
    let value = this.#values.get(loop);
    if (value === undefined) {
      value = this.#make();
      this.#values.set(loop, value);
    }
    return value;
  }

  /** This run's value if it has one. */
  peek(loop: object): T | undefined {
    return this.#values.get(loop);
  }

  /** Forgets this run's value. */
  delete(loop: object): void {
    this.#values.delete(loop);
  }
}
