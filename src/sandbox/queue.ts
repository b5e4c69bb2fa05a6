/**
 * The one queue of calls that change or read the runs: configure, data, reset, step, run, scrub,
 * positions and the start of a recording take effect in the order they were called, whoever
 * calls (the GUI, the URL, a script).
 */
export class Queue {
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every call queued before it has finished. Joins synchronously. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.last.then(work, work);
    this.last = next.catch(() => undefined);
    return next;
  }
}
