/**
 * A synchronous all-reduce (sum) between worker threads over a SharedArrayBuffer, used by the
 * data-parallel trainer (./data-parallel.ts) for gradients and batch-norm statistics.
 *
 * Layout: an Int32Array control block [count, generation] and one Float32Array slot of
 * `capacity` floats per worker. `sum(data)` writes the worker's data to its slot, waits at a
 * barrier for all workers, sums the slots in the fixed order 0, 1, …, W − 1 (in float64, rounded
 * once to float32), and waits at a second barrier before anyone may overwrite a slot. Every worker
 * computes the same sums in the same order, so all of them get bitwise identical results.
 *
 * The barrier blocks with `Atomics.wait`, which is allowed in worker threads only.
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
    data: new SharedArrayBuffer(workers * capacity * Float32Array.BYTES_PER_ELEMENT),
    workers,
    capacity,
  };
}

/** One worker's handle on an all-reduce group. */
export class AllReduce {
  private readonly control: Int32Array;
  private readonly slots: Float32Array[];
  readonly workers: number;
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
    this.control = new Int32Array(memory.control);
    this.slots = Array.from(
      { length: memory.workers },
      (_, k) => new Float32Array(memory.data, k * memory.capacity * 4, memory.capacity),
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
    if (n > this.slots[0].length)
      throw new RangeError(`AllReduce.sum: ${n} floats exceed the capacity ${this.slots[0].length}`);
    if (this.workers === 1) return Float32Array.from(data);
    this.slots[this.rank].set(data);
    this.barrier();
    const out = new Float32Array(n);
    const s0 = this.slots[0];
    for (let i = 0; i < n; i++) {
      let acc = s0[i];
      for (let k = 1; k < this.workers; k++) acc += this.slots[k][i];
      out[i] = acc;
    }
    this.barrier();
    return out;
  }
}
