/**
 * What `explore()` does to what arrives from the outside world on real sockets and pipes:
 * the loop's I/O gate. A real network and a real child process decide when bytes arrive and
 * how the kernel cuts them into reads; a test on loopback sees one of those timings, almost
 * always the same one. Under exploration, each delivery from the I/O layer (data, EOF, a
 * closed or accepted connection, a datagram) goes through this gate, which may
 * - hold it back some loop iterations (ready callbacks run meanwhile, in FIFO order), and
 * - cut a piece of data into several reads, one or more iterations apart, as TCP may.
 *
 * What it keeps: the order of everything one stream delivers (its bytes, then its EOF,
 * then its close), and flow control (held data waits while its reader is paused). Streams
 * are independent of each other, as they are in the kernel.
 *
 * Each stream draws its choices from a random source of its own, seeded by the schedule's
 * seed and the stream's name (its role and its rank among streams of that role: "connection
 * 1", "accepted connection 1", "stdout pipe 2"), and numbers its choice points from its
 * own base. So a seed replays the same decisions for the same deliveries whenever real
 * I/O happens to arrive relative to the loop's other work, and a shrunk list of
 * perturbations keeps its meaning.
 *
 * @module
 */

import type { _IoGate, _IoSource, BaseEventLoop } from "../core/base_events.js";
import { deriveSeed, mulberry32, type Random } from "./random.js";

/**
 * Choice points of a stream are numbered from its base: `IO_INDEX_BASE × (1 + slot)`,
 * where the slot is a hash of the stream's name. Far above the numbers of the schedule's
 * other choice points, which count from 0.
 */
const IO_INDEX_BASE = 1_000_000;
const IO_SLOTS = 4096;

/** @internal What the gate needs from the schedule it belongs to. */
export interface _DeliveryChoices {
  readonly seed: number;
  /** The share of choice points perturbed. */
  readonly rate: number;
  /** Only these choice points are perturbed (a replay of a shrunk schedule); null: by rate. */
  readonly only: ReadonlySet<number> | null;
  /** The most iterations a delivery may be held back. */
  readonly outsideDelay: number;
  /** The most pieces one delivery of data may be cut into. */
  readonly dataPieces: number;
  /** Records an applied perturbation for the trace. */
  record(index: number, description: string): void;
}

type Unit =
  | { kind: "data"; wait: number; piece: Uint8Array; deliver: (piece: Uint8Array) => void }
  | { kind: "event"; wait: number; deliver: () => void };

class Stream {
  /** Choice points drawn so far. */
  points = 0;
  /** Data deliveries seen so far. */
  chunks = 0;
  /** What waits to be delivered, in order. */
  readonly queue: Unit[] = [];
  /** A step of this stream is in the loop's ready queue. */
  stepping = false;

  constructor(
    readonly name: string,
    readonly source: object,
    readonly base: number,
    readonly random: Random,
  ) {}
}

/** FNV-1a, 32 bits: a stable number for a stream's name. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function paused(source: object): boolean {
  const s = source as Partial<_IoSource>;
  return typeof s.isReading === "function" && !s.isReading() && s.isClosing?.() === false;
}

/**
 * @internal The I/O gate of one explored schedule (installed as the loop's `_ioGate`).
 */
export class _DeliveryGate implements _IoGate {
  /** Choice points drawn, over all streams. */
  points = 0;
  private readonly streams = new WeakMap<object, Stream>();
  private readonly perRole = new Map<string, number>();

  constructor(
    private readonly loop: BaseEventLoop,
    private readonly choices: _DeliveryChoices,
  ) {}

  data<C extends Uint8Array>(
    source: _IoSource,
    role: string,
    chunk: C,
    deliver: (piece: C) => void,
  ): void {
    const s = this.stream(source, role);
    if (this.loop.isClosed()) {
      deliver(chunk);
      return;
    }
    const n = ++s.chunks;
    const [on, u1, u2, cutSeed, index] = this.choose(s);
    const d = deliver as (piece: Uint8Array) => void;
    const size = chunk.length;
    const { outsideDelay, dataPieces } = this.choices;
    const maxPieces = Math.min(dataPieces, size);
    let wait = 0;
    let pieces = 1;
    if (on) {
      wait = Math.floor(u1 * (outsideDelay + 1));
      pieces = maxPieces < 2 ? 1 : 1 + Math.floor(u2 * maxPieces);
      if (wait === 0 && pieces === 1) {
        // Drawn to change nothing: make it change the least it can.
        if (outsideDelay > 0) wait = 1;
        else if (maxPieces >= 2) pieces = 2;
      }
    }
    if (wait === 0 && pieces === 1) {
      s.queue.push({ kind: "data", wait: 0, piece: chunk, deliver: d });
      this.pump(s);
      return;
    }
    const cuts = this.cutPoints(size, pieces, mulberry32(cutSeed));
    const sizes: number[] = [];
    const gaps: number[] = [];
    const random = mulberry32(cutSeed ^ 0x5bd1e995);
    let from = 0;
    for (let i = 0; i < pieces; i++) {
      const to = i === pieces - 1 ? size : (cuts[i] as number);
      // Later pieces arrive one or more iterations after the one before: pieces delivered
      // back to back would look to a reader like one read.
      const gap = i === 0 ? wait : 1 + Math.floor(random() * Math.max(outsideDelay, 1));
      if (i > 0) gaps.push(gap);
      sizes.push(to - from);
      s.queue.push({ kind: "data", wait: gap, piece: chunk.subarray(from, to), deliver: d });
      from = to;
    }
    const split =
      pieces === 1
        ? ""
        : ` in ${pieces} pieces (${sizes.join(" + ")} bytes, ${gaps.join(", ")} iteration(s) apart)`;
    this.choices.record(
      index,
      `${s.name}: data #${n} (${size} bytes) arrives ${wait} iteration(s) later${split}`,
    );
    this.pump(s);
  }

  event(source: object, role: string, what: string, deliver: () => void): void {
    const s = this.stream(source, role);
    if (this.loop.isClosed()) {
      deliver();
      return;
    }
    const [on, u1, , , index] = this.choose(s);
    const { outsideDelay } = this.choices;
    let wait = 0;
    if (on && outsideDelay > 0) {
      wait = 1 + Math.floor(u1 * outsideDelay);
      this.choices.record(index, `${s.name}: ${what} arrives ${wait} iteration(s) later`);
    }
    s.queue.push({ kind: "event", wait, deliver });
    this.pump(s);
  }

  resumed(source: _IoSource): void {
    const s = this.streams.get(source);
    // Not inline: resumeReading() is called from inside a read, which must not be
    // re-entered; a real socket too delivers on a later turn.
    if (s !== undefined && s.queue.length > 0 && !s.stepping && !this.loop.isClosed()) {
      s.stepping = true;
      this.loop.callSoon(this.step, s);
    }
  }

  private stream(source: object, role: string): Stream {
    let s = this.streams.get(source);
    if (s === undefined) {
      const rank = (this.perRole.get(role) ?? 0) + 1;
      this.perRole.set(role, rank);
      const name = `${role} ${rank}`;
      const h = hash(name);
      const base = IO_INDEX_BASE * (1 + (h % IO_SLOTS));
      s = new Stream(name, source, base, mulberry32(deriveSeed(this.choices.seed, h)));
      this.streams.set(source, s);
    }
    return s;
  }

  /**
   * One choice point of stream `s`. It draws the same four numbers whether or not it is
   * perturbed, so that dropping one perturbation (when shrinking) leaves the others alone.
   */
  private choose(s: Stream): [on: boolean, u1: number, u2: number, cutSeed: number, index: number] {
    const index = s.base + s.points++;
    this.points++;
    const u0 = s.random();
    const u1 = s.random();
    const u2 = s.random();
    const cutSeed = Math.floor(s.random() * 4294967296);
    const only = this.choices.only;
    const on = only === null ? u0 < this.choices.rate : only.has(index);
    return [on, u1, u2, cutSeed, index];
  }

  /** `pieces - 1` distinct cut offsets in 1 … size-1, ascending. */
  private cutPoints(size: number, pieces: number, random: Random): number[] {
    const cuts = new Set<number>();
    while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(random() * (size - 1)));
    return [...cuts].sort((a, b) => a - b);
  }

  /** Delivers what is due at the head of `s`'s queue; asks for a step for what must wait. */
  private pump(s: Stream): void {
    if (s.stepping) return;
    for (;;) {
      const u = s.queue[0];
      if (u === undefined) return;
      if (u.wait > 0) {
        s.stepping = true;
        this.loop.callSoon(this.step, s);
        return;
      }
      // Held data waits while its reader is paused (resumed() moves it on), and so does
      // whatever follows it: an EOF never overtakes data.
      if (u.kind === "data" && paused(s.source)) return;
      s.queue.shift();
      if (u.kind === "data") u.deliver(u.piece);
      else u.deliver();
    }
  }

  private readonly step = (s: Stream): void => {
    s.stepping = false;
    const u = s.queue[0];
    if (u !== undefined && u.wait > 0) u.wait--;
    this.pump(s);
  };
}
