/**
 * Every timer the emulator starts (delivery retries, injected latency) goes through here, so
 * close() can cancel them all and a test run or CLI process is not kept alive by a stray retry.
 */
export class Timers {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  /** Runs fn after ms, unless cancelAll() comes first. */
  schedule(fn: () => void, ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.set(timer, () => undefined);
  }

  /** Resolves after ms, or at once when the emulator closes (the caller's socket is gone by then). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  cancelAll(): void {
    this.stopped = true;
    for (const [timer, onCancel] of this.pending) {
      clearTimeout(timer);
      onCancel();
    }
    this.pending.clear();
  }
}
