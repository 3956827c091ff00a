/**
 * One run at a time per target: a lock in Parameter Store, taken with PutParameter's
 * no-overwrite create. Parameter Store has no compare-and-swap, so a lock whose holder died
 * (past its expiry) is taken over through a numbered takeover slot: each slot is created
 * without overwrite, so one taker wins it, and a slot itself expires, so a taker that dies
 * half-way blocks nobody for longer than `TAKEOVER_TTL_MS`. Every write tolerates a lost
 * response: a retried create that finds its own record counts as done.
 *
 * Worst case, a dead run blocks its target for the lock's expiry plus one takeover slot's.
 */
import { createHash } from 'crypto';
import type { ParameterStore } from './writer';

/** How long a takeover slot keeps others off an expired lock. */
export const TAKEOVER_TTL_MS = 2 * 60_000;
/** Slots tried per expired lock (each one a dead taker's). */
const MAX_TAKEOVER_SLOTS = 20;

export interface LockRecord {
  readonly owner: string;
  /** Epoch ms after which another run may take the lock over. */
  readonly expires: number;
  /** Takeover slots to delete with the lock. */
  readonly takeover?: readonly string[];
}

interface SlotRecord {
  readonly owner: string;
  readonly expires: number;
}

export type LockResult = { readonly acquired: true } | { readonly acquired: false; readonly holder: string };

function parse<T>(text: string | undefined): T | undefined {
  try {
    return text ? JSON.parse(text) as T : undefined;
  } catch {
    return undefined;
  }
}

/** The lock of one target (`<prefix>/lock`). */
export class TargetLock {
  /** The record this instance last wrote, so a release needs no read. */
  private held?: LockRecord;

  constructor(private readonly store: ParameterStore, private readonly prefix: string, private readonly now: () => number = Date.now) {}

  get name(): string {
    return `${this.prefix}/lock`;
  }

  /** Where takeover slots live (deleted with the target's last claim). */
  get takeoverPath(): string {
    return `${this.prefix}/lock-takeover`;
  }

  private record(owner: string, ttlMs: number, takeover?: readonly string[]): string {
    this.held = { owner, expires: this.now() + ttlMs, takeover };
    return JSON.stringify(this.held);
  }

  /** Takes the lock for `owner` until `ttlMs` from now, or renews it if `owner` holds it. */
  async acquire(owner: string, ttlMs: number): Promise<LockResult> {
    this.held = undefined;
    if (await this.store.create(this.name, this.record(owner, ttlMs))) {
      return { acquired: true };
    }
    this.held = undefined;
    const text = await this.store.get(this.name);
    const current = parse<LockRecord>(text);
    if (text === undefined) {
      // Released between the create and the read: the next invocation tries again.
      return { acquired: false, holder: 'a run that just finished' };
    }
    if (current?.owner === owner) {
      // Ours: a renewal, or our own create whose answer was lost.
      await this.store.overwrite(this.name, this.record(owner, ttlMs, current.takeover));
      return { acquired: true };
    }
    if (current && current.expires > this.now()) {
      return { acquired: false, holder: current.owner };
    }
    return this.takeOver(owner, ttlMs, text);
  }

  /** Takes over the expired lock whose text is `expired`, through the first free slot. */
  private async takeOver(owner: string, ttlMs: number, expired: string): Promise<LockResult> {
    const base = `${this.takeoverPath}/${createHash('sha256').update(expired).digest('hex').slice(0, 32)}`;
    // The expired holder's own takeover slots go with this lock when it is released.
    const slots: string[] = [...(parse<LockRecord>(expired)?.takeover ?? [])];
    for (let slot = 1; slot <= MAX_TAKEOVER_SLOTS; slot++) {
      const name = `${base}-${slot}`;
      slots.push(name);
      const claimedAt = this.now();
      if (!await this.store.create(name, JSON.stringify({ owner, expires: claimedAt + TAKEOVER_TTL_MS } satisfies SlotRecord))) {
        const taker = parse<SlotRecord>(await this.store.get(name));
        if (taker && taker.owner !== owner && taker.expires > this.now()) {
          return { acquired: false, holder: `another run taking over an expired lock (${taker.owner})` };
        }
        if (!taker || taker.owner !== owner) continue;
      }
      return this.completeTakeover(owner, ttlMs, expired, slots, claimedAt);
    }
    return { acquired: false, holder: `${MAX_TAKEOVER_SLOTS} takeovers of an expired lock that did not finish` };
  }

  private async completeTakeover(owner: string, ttlMs: number, expired: string, slots: readonly string[], claimedAt: number): Promise<LockResult> {
    // Still the expired lock? It may have been released and taken afresh meanwhile.
    if (await this.store.get(this.name) !== expired || this.now() - claimedAt > TAKEOVER_TTL_MS / 2) {
      return { acquired: false, holder: 'a run that took the lock meanwhile' };
    }
    await this.store.overwrite(this.name, this.record(owner, ttlMs, slots));
    // Read back: of two takers whose slots overlapped in time, the one whose record stands wins.
    const standing = parse<LockRecord>(await this.store.get(this.name));
    if (standing?.owner !== owner) {
      this.held = undefined;
      return { acquired: false, holder: standing?.owner ?? 'a run that just finished' };
    }
    return { acquired: true };
  }

  /**
   * Releases `owner`'s lock (and its takeover slots); a lock someone else holds stays theirs.
   * `alongside` (the run's stale records) is deleted in the same call.
   */
  async release(owner: string, alongside: readonly string[] = []): Promise<void> {
    const current = this.held?.owner === owner ? this.held : parse<LockRecord>(await this.store.get(this.name));
    this.held = undefined;
    const lock = current?.owner === owner ? [this.name, ...(current.takeover ?? [])] : [];
    if (lock.length + alongside.length > 0) {
      await this.store.delete([...lock, ...alongside]);
    }
  }
}
