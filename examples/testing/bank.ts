/**
 * A bank-transfer race, found by the explorer and fixed by a Lock.
 *
 * `transfer()` reads the balance, checks it, and writes the new one — with a database
 * round trip (an await) between the check and the write. Two transfers from the same
 * account can both pass the check before either writes: money is created. On the plain
 * schedule the two happen never to overlap, so an ordinary test passes; `explore()` finds
 * the schedule where they do. `SafeBank` holds a Lock across read-check-write.
 *
 * Run it: `npx tsx examples/testing/bank.ts`
 */
import * as asyncio from "../../src/index.js";
import { explore } from "../../src/testing/index.js";

/** Simulated database round trip, in seconds. */
export const ROUND_TRIP = 0.01;

export class InsufficientFunds extends Error {
  override name = "InsufficientFunds";
}

/** An account store behind a slow database: every read and write is one round trip. */
export class Bank {
  protected readonly balances: Map<string, number>;

  constructor(accounts: Record<string, number>) {
    this.balances = new Map(Object.entries(accounts));
  }

  /** The balance as the database returns it, one round trip later. */
  *read(account: string): asyncio.Coroutine<number> {
    yield* asyncio.sleep(ROUND_TRIP);
    return this.balances.get(account) ?? 0;
  }

  /** Stores a balance; it is written when the round trip completes. */
  *write(account: string, balance: number): asyncio.Coroutine<void> {
    yield* asyncio.sleep(ROUND_TRIP);
    this.balances.set(account, balance);
  }

  /** Moves `amount` from one account to another: check, then act — across awaits. */
  *transfer(from: string, to: string, amount: number): asyncio.Coroutine<void> {
    const balance = yield* this.read(from);
    if (balance < amount) throw new InsufficientFunds(`${from} has ${balance}, needs ${amount}`);
    yield* this.write(from, balance - amount);
    const target = yield* this.read(to);
    yield* this.write(to, target + amount);
  }

  /** All the money in the bank. */
  total(): number {
    let sum = 0;
    for (const v of this.balances.values()) sum += v;
    return sum;
  }
}

/** The fix: one transfer at a time touches the balances. */
export class SafeBank extends Bank {
  private readonly lock = new asyncio.Lock();

  override *transfer(from: string, to: string, amount: number): asyncio.Coroutine<void> {
    yield* asyncio.asyncWith(this.lock, () => super.transfer(from, to, amount));
  }
}

/**
 * A morning at the bank: Alice (100) pays Bob 60; one round trip later, while the first
 * transfer is still writing, she tries to pay Carol 60 too. One of them must be refused.
 * Throws if money was created or destroyed.
 */
export function* morning(bank: Bank): asyncio.Coroutine<string[]> {
  const results = yield* asyncio.gather(
    bank.transfer("alice", "bob", 60),
    (function* () {
      yield* asyncio.sleep(ROUND_TRIP);
      yield* bank.transfer("alice", "carol", 60);
    })(),
    { returnExceptions: true },
  );
  const total = bank.total();
  if (total !== 100) throw new Error(`money was created: the bank holds ${total}, not 100`);
  return results.map((r) => (r instanceof Error ? r.name : "ok"));
}

/** Runs the morning once, then under 1,000 schedules, racy and fixed. */
export async function main(): Promise<void> {
  const plain = await asyncio.run(morning(new Bank({ alice: 100, bob: 0, carol: 0 })), {
    loopFactory: () => new asyncio.VirtualEventLoop(),
  });
  console.log("plain schedule:", plain);
  try {
    await explore(() => morning(new Bank({ alice: 100, bob: 0, carol: 0 })), { runs: 1000 });
  } catch (e) {
    console.log(`explore found the race:\n${(e as Error).message}`);
  }
  const result = await explore(() => morning(new SafeBank({ alice: 100, bob: 0, carol: 0 })), {
    runs: 1000,
  });
  console.log(`with a Lock: ${result.runs} schedules, all correct`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
