/**
 * The loop's FIFO ready queue: a ring buffer with a power-of-two capacity that doubles when
 * full. Push and shift allocate nothing once the buffer has grown to the working size.
 *
 * @module
 */

/** Something the loop can run: a callback Handle or a Task's step. */
export interface Runnable {
  _run(): void;
}

export class ReadyQueue {
  private buf: Array<Runnable | undefined>;
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Array<Runnable | undefined>(capacity);
    this.mask = capacity - 1;
  }

  push(item: Runnable): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  shift(): Runnable {
    const item = this.buf[this.head] as Runnable;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }

  /** Removes everything, returning the items in order (used when a loop closes). */
  drain(): Runnable[] {
    const out: Runnable[] = [];
    while (this.length > 0) out.push(this.shift());
    return out;
  }

  private grow(): void {
    const old = this.buf;
    const buf = new Array<Runnable | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) buf[i] = old[(this.head + i) & this.mask];
    this.buf = buf;
    this.head = 0;
    this.mask = buf.length - 1;
  }
}
