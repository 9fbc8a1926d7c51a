/**
 * A synchronous all-reduce (sum) between worker threads over a SharedArrayBuffer, used by the
 * data-parallel trainer (./data-parallel.ts) for gradients and batch-norm statistics.
 *
 * Layout: an Int32Array control block [count, generation] and two banks of one Float32Array slot
 * of `capacity` floats per worker. The k-th `sum(data)` writes the worker's data to its slot of
 * bank k mod 2, waits at a barrier for all workers, and sums the slots of that bank in the fixed
 * order 0, 1, …, W − 1 (in float64, rounded once to float32). Every worker computes the same sums
 * in the same order, so all of them get bitwise identical results. Alternating banks makes one
 * barrier per call enough: a worker writes bank k mod 2 again only in call k + 2, after the
 * barrier of call k + 1, which every other worker reaches only after reading call k's sums.
 *
 * The barrier blocks with `Atomics.wait` (worker threads).
 */

/** The shared memory of an all-reduce group, made once by the coordinating thread. */
export interface AllReduceMemory {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  workers: number;
  capacity: number;
}

/** Allocates the shared memory for `workers` workers exchanging up to `capacity` floats. */
export function allReduceMemory(workers: number, capacity: number): AllReduceMemory {
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`allReduceMemory: workers must be ≥ 1, got ${workers}`);
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError(`allReduceMemory: capacity must be ≥ 1, got ${capacity}`);
  return {
    control: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(2 * workers * capacity * Float32Array.BYTES_PER_ELEMENT),
    workers,
    capacity,
  };
}

/** One worker's handle on an all-reduce group. */
export class AllReduce {
  private readonly control: Int32Array;
  /** slots[bank][worker]. */
  private readonly slots: Float32Array[][];
  private calls = 0;
  readonly workers: number;
  readonly capacity: number;
  /** Milliseconds this worker has spent blocked at barriers (waiting for the others). */
  waitedMs = 0;

  constructor(
    memory: AllReduceMemory,
    readonly rank: number,
  ) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= memory.workers) {
      throw new RangeError(`AllReduce: rank must be in [0, ${memory.workers}), got ${rank}`);
    }
    this.workers = memory.workers;
    this.capacity = memory.capacity;
    this.control = new Int32Array(memory.control);
    this.slots = [0, 1].map((bank) =>
      Array.from(
        { length: memory.workers },
        (_, k) =>
          new Float32Array(memory.data, (bank * memory.workers + k) * memory.capacity * 4, memory.capacity),
      ),
    );
  }

  /** Waits until every worker of the group has called `barrier()` the same number of times. */
  barrier(): void {
    if (this.workers === 1) return;
    const gen = Atomics.load(this.control, 1);
    if (Atomics.add(this.control, 0, 1) === this.workers - 1) {
      Atomics.store(this.control, 0, 0);
      Atomics.add(this.control, 1, 1);
      Atomics.notify(this.control, 1);
    } else {
      const t = performance.now();
      while (Atomics.load(this.control, 1) === gen) Atomics.wait(this.control, 1, gen);
      this.waitedMs += performance.now() - t;
    }
  }

  /** The element-wise sum of `data` over all workers (every worker passes the same length). */
  sum(data: Float32Array): Float32Array {
    const n = data.length;
    if (n > this.capacity)
      throw new RangeError(`AllReduce.sum: ${n} floats exceed the capacity ${this.capacity}`);
    if (this.workers === 1) return Float32Array.from(data);
    const bank = this.slots[this.calls++ % 2];
    bank[this.rank].set(data);
    this.barrier();
    const out = new Float32Array(n);
    const s0 = bank[0];
    for (let i = 0; i < n; i++) {
      let acc = s0[i];
      for (let k = 1; k < this.workers; k++) acc += bank[k][i];
      out[i] = acc;
    }
    return out;
  }
}
