// Calls waiting for a worker, first in first out, with O(1) removal of a
// cancelled one (marked, skipped later): thousands of queued calls must not
// make each dequeue scan the ones before it.

/** What the queue needs of an item: a flag it owns. */
export interface Queued {
  /** In the queue (not yet taken out, not removed). */
  queued: boolean;
}

/** A FIFO of items with lazy removal. */
export class CallQueue<T extends Queued> {
  #items: (T | undefined)[] = [];
  #head = 0;
  /** Live items in the queue. */
  size = 0;

  /** Appends `item`. */
  push(item: T): void {
    item.queued = true;
    this.#items.push(item);
    this.size++;
  }

  /** Takes out the oldest live item. */
  shift(): T | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head];
      items[this.#head++] = undefined;
      if (item !== undefined && item.queued) {
        item.queued = false;
        this.size--;
        this.#compact();
        return item;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Removes `item`; false if it was not in the queue. */
  remove(item: T): boolean {
    if (!item.queued) return false;
    item.queued = false;
    this.size--;
    this.#compact();
    return true;
  }

  /** A snapshot of the live items, in order. */
  live(): T[] {
    const items: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i];
      if (item !== undefined && item.queued) items.push(item);
    }
    return items;
  }

  #compact(): void {
    // Taken and removed slots alike: the array is rebuilt once they
    // outnumber the live ones.
    const dead = this.#items.length - this.size;
    if (dead > 64 && dead > this.size) {
      this.#items = this.live();
      this.#head = 0;
    }
  }
}
