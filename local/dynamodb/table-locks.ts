/**
 * Per-table write locks: every write through the local DynamoDB holds the lock of each table it touches,
 * so the item images read before and after it are exactly its own change and stream records come out in
 * commit order. Locks are taken in name order, so multi-table writes cannot deadlock.
 */
export class TableLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the locks of `tableNames`; call the returned function to release them all. */
  async acquire(tableNames: Iterable<string>): Promise<() => void> {
    const names = [...new Set(tableNames)].sort();
    const releases: Array<() => void> = [];
    for (const name of names) releases.push(await this.acquireOne(name));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const release of releases.reverse()) release();
    };
  }

  async withLocks<T>(tableNames: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(tableNames);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private async acquireOne(name: string): Promise<() => void> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.tails.set(name, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    };
  }
}
