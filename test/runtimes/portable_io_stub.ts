/**
 * In the portable runtime bundle, what the testing harness (src/testing/harness.ts, which
 * test/helpers.ts runs every test through) imports of the I/O layer: the portable loops,
 * which have no I/O, and therefore no sockets, pipes or processes to track. The harness's
 * open-resource checks find none, as they would on Node for these suites.
 *
 * @module
 */
import type { BaseEventLoop } from "../../src/core/base_events.js";

export { NodeEventLoop, VirtualEventLoop } from "../../src/portable.js";

/** No resource is ever open on a loop without I/O. */
export type LoopResource = never;

/** The resources open on `loop`: none. */
export function _openResources(_loop: BaseEventLoop): LoopResource[] {
  return [];
}

/** Watches for resources opened on `loop`: none will be. */
export function _watchResources(
  _loop: BaseEventLoop,
  _watcher: ((r: LoopResource) => void) | null,
): void {}

/** No subprocess pipe exists on a loop without I/O. */
export function _isSubprocessPipe(_r: object): boolean {
  return false;
}

/** The subprocesses whose exit was never collected on `loop`: none. */
export function _uncollectedSubprocesses(_loop: BaseEventLoop): never[] {
  return [];
}

/** The thread calls still running on `loop`: none (no threads without I/O). */
export function _unfinishedThreadCalls(_loop: BaseEventLoop): never[] {
  return [];
}

/** Stands in for the thread pool class the harness tests calls against; never made. */
export class ThreadPoolExecutor {}

/** Stand-ins for the socket transports: no loop here opens one, so nothing is one. */
export class SocketTransport {}
export class UdpTransport {}
