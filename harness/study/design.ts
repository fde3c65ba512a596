/**
 * The design of a study: its cells (the full grid of the factors' values), the false-failover
 * arm's cells, and the batches that run them. A batch is k trials of one cell on one topology (one
 * `executeRun` with `repeat` k): a launch costs about as much as two or three trials, so one
 * topology per trial would triple a study's time. The batches of every cell and arm are put in one
 * seeded random order, so a drift of the machine over the study (load, a warm page cache) is not
 * confounded with a factor; each batch has its own seed, derived from the study's, which places
 * its trials' faults at uniformly random phases of the renewal period.
 */
import { seededRandom } from "../runner/plan.js";
import type { StudyDefinition } from "./definition.js";

export type Arm = "failover" | "false-failover";

export interface Cell {
  readonly arm: Arm;
  /** Factor → value (`--set` syntax), in the definition's factor order. */
  readonly values: Readonly<Record<string, string>>;
  /** `ttl-secs=10,sleep=1s` (the arm's cells: their own factors only); stable, used as the cell's id. */
  readonly key: string;
}

export interface Batch {
  readonly cell: Cell;
  /** Trials in this batch. */
  readonly repeat: number;
  /** The batch's ordinal within its cell (0, 1, ...): with the cell key it derives the seed. */
  readonly ordinal: number;
  readonly seed: number;
}

export function cellKey(values: Readonly<Record<string, string>>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join(",") || "(base)";
}

/** The full grid, in the definition's order (first factor slowest). */
export function studyCells(def: StudyDefinition): Cell[] {
  let rows: Record<string, string>[] = [{}];
  for (const [k, vs] of Object.entries(def.factors)) rows = rows.flatMap((r) => vs.map((v) => ({ ...r, [k]: v })));
  return rows.map((values) => ({ arm: "failover", values, key: cellKey(values) }));
}

/** The false-failover arm's cells: the grid of its factors (one cell, the base, when it has none); none when the arm is off. */
export function falseFailoverCells(def: StudyDefinition): Cell[] {
  if (def.falseFailover.replicates === 0) return [];
  let rows: Record<string, string>[] = [{}];
  for (const k of def.falseFailover.factors) rows = rows.flatMap((r) => def.factors[k]!.map((v) => ({ ...r, [k]: v })));
  return rows.map((values) => ({ arm: "false-failover", values, key: cellKey(values) }));
}

/** The `--set` list of a cell: the study's own sets, then the cell's values; factors the arm does not vary take their first value. */
export function cellSets(def: StudyDefinition, cell: Cell): string[] {
  const values = { ...Object.fromEntries(Object.entries(def.factors).map(([k, vs]) => [k, vs[0]!])), ...cell.values };
  return [...def.sets, ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];
}

/** The failover cell a false-failover cell's rate applies to: the one whose lease factors match. */
export function armCellFor(def: StudyDefinition, cell: Cell, arm: readonly Cell[]): Cell | undefined {
  return arm.find((a) => def.falseFailover.factors.every((f) => a.values[f] === cell.values[f]));
}

/** 32-bit FNV-1a of a string: a stable hash to derive seeds from names. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of a batch: the study's seed, the arm, the cell and the batch's ordinal, hashed (stable across resumes). */
export function batchSeed(studySeed: number, cell: Cell, ordinal: number): number {
  return hash32(`${studySeed}|${cell.arm}|${cell.key}|${ordinal}`) & 0x7fffffff;
}

/** How many trials each cell has finished (cell key with arm → count), and the batch ordinals its log has used. */
export interface Progress {
  readonly finished: ReadonlyMap<string, number>;
  readonly ordinalsUsed: ReadonlyMap<string, ReadonlySet<number>>;
}

export const NO_PROGRESS: Progress = { finished: new Map(), ordinalsUsed: new Map() };

export const armKey = (cell: Pick<Cell, "arm" | "key">): string => `${cell.arm}:${cell.key}`;

/** Shard `index` of `count` (1-based): the slice of a study one CI job runs. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 1, count: 1 };

/** `2/4` → shard 2 of 4; the message says what is wrong (the CLI's `--shard`). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`expected i/n (shard i of n, e.g. 2/4), got ${JSON.stringify(text)}`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || count > 1000) throw new RangeError(`the shard count must be in 1..1000, got ${count}`);
  if (index < 1 || index > count) throw new RangeError(`the shard index must be in 1..${count}, got ${index}`);
  return { index, count };
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.count}`;

/**
 * The whole study's batches before anything ran: per cell (failover cells, then the arm's), its
 * replicates cut into batches of at most `batchSize` (the last one smaller), ordinals 0, 1, ...;
 * then all shuffled (Fisher–Yates) with a PRNG seeded by the study's seed. Shards deal from it.
 */
export function initialPlan(def: StudyDefinition): Batch[] {
  const batches: Batch[] = [];
  const arms: [Cell[], number][] = [
    [studyCells(def), def.replicates],
    [falseFailoverCells(def), def.falseFailover.replicates],
  ];
  for (const [cells, replicates] of arms) {
    for (const cell of cells) {
      for (let left = replicates, ordinal = 0; left > 0; ordinal++) {
        const repeat = Math.min(def.batchSize, left);
        batches.push({ cell, repeat, ordinal, seed: batchSeed(def.seed, cell, ordinal) });
        left -= repeat;
      }
    }
  }
  shuffle(batches, hash32(`${def.seed}|order|0`));
  return batches;
}

/**
 * A shard's slice of the initial plan, in its order: batch j of the shuffled plan belongs to shard
 * (j mod count) + 1, so every shard gets a mix of cells and arms (the shuffle) and about the same
 * number of batches; the slices are disjoint and their union is the whole plan.
 */
export function shardSlice(def: StudyDefinition, shard: Shard = WHOLE): Batch[] {
  return deal(initialPlan(def), shard);
}

const deal = (initial: readonly Batch[], shard: Shard): Batch[] => initial.filter((_, j) => j % shard.count === shard.index - 1);

/** Trials the shard's slice holds per cell (arm key → trials): what the shard must finish. Unsharded: the replicates. */
export function sliceQuota(def: StudyDefinition, shard: Shard = WHOLE): Map<string, number> {
  const quota = new Map<string, number>();
  for (const b of shardSlice(def, shard)) quota.set(armKey(b.cell), (quota.get(armKey(b.cell)) ?? 0) + b.repeat);
  return quota;
}

/**
 * The batches a shard (or the whole study) still has to run. Per cell, remaining = the slice's
 * quota − finished trials. First the slice's initial batches whose ordinal the log never used run
 * as they are (same seed, same repeat: an uninterrupted shard runs exactly its slice, so the shards
 * together run exactly the unsharded study's batches). The rest of a deficit (trials cut short, runs
 * that failed) gets fresh ordinals beyond the whole study's initial plan, in a space interleaved by
 * shard: `base + (index − 1) + count·k` (base = the cell's initial batch count), skipping ordinals
 * the log used, so two shards never draw the same batch seed. A resumed plan is shuffled again,
 * seeded by the study's seed and how many ordinals were used (a new, still reproducible order).
 */
export function planBatches(def: StudyDefinition, progress: Progress = NO_PROGRESS, shard: Shard = WHOLE): Batch[] {
  const initial = initialPlan(def);
  const slice = deal(initial, shard);
  const used = (key: string): ReadonlySet<number> => progress.ordinalsUsed.get(key) ?? new Set();
  const initialCount = new Map<string, number>();
  const left = new Map<string, number>();
  for (const b of initial) initialCount.set(armKey(b.cell), (initialCount.get(armKey(b.cell)) ?? 0) + 1);
  for (const b of slice) left.set(armKey(b.cell), (left.get(armKey(b.cell)) ?? 0) + b.repeat);
  for (const [key, n] of left) left.set(key, Math.max(0, n - (progress.finished.get(key) ?? 0)));

  const batches: Batch[] = [];
  for (const b of slice) {
    const key = armKey(b.cell);
    const need = left.get(key)!;
    if (need <= 0 || used(key).has(b.ordinal)) continue;
    const repeat = Math.min(b.repeat, need);
    batches.push(repeat === b.repeat ? b : { ...b, repeat });
    left.set(key, need - repeat);
  }
  const cells = new Map(slice.map((b) => [armKey(b.cell), b.cell]));
  for (const [key, cell] of cells) {
    let need = left.get(key)!;
    const taken = new Set(used(key));
    while (need > 0) {
      const repeat = Math.min(def.batchSize, need);
      const b = freshBatch(def, cell, repeat, taken, shard, initialCount.get(key)!);
      taken.add(b.ordinal);
      batches.push(b);
      need -= repeat;
    }
  }
  const usedCount = [...progress.ordinalsUsed.values()].reduce((n, s) => n + s.size, 0);
  if (usedCount > 0) shuffle(batches, hash32(`${def.seed}|order|${usedCount}${shard.count > 1 ? `|shard ${shardLabel(shard)}` : ""}`));
  return batches;
}

/**
 * A batch of `repeat` trials of `cell` on the first ordinal of the shard's deficit space
 * (`base + (index − 1) + count·k`, base = the cell's initial batch count) not in `taken`: its seed
 * is one no batch of the study used or will use. For a deficit at resume, and for the rest of a
 * batch whose engine died after logging some of its trials (the same seed would replay their fault
 * phases).
 */
export function freshBatch(def: StudyDefinition, cell: Cell, repeat: number, taken: ReadonlySet<number>, shard: Shard = WHOLE, base = initialPlan(def).filter((b) => armKey(b.cell) === armKey(cell)).length): Batch {
  for (let k = 0; ; k++) {
    const ordinal = base + (shard.index - 1) + shard.count * k;
    if (!taken.has(ordinal)) return { cell, repeat, ordinal, seed: batchSeed(def.seed, cell, ordinal) };
  }
}

function shuffle<T>(xs: T[], seed: number): void {
  const rnd = seededRandom(seed);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
