/**
 * Work in steps: a generator that yields between pieces of bounded work and returns its result, so
 * that one piece of code runs both synchronously (a library call that blocks) and asynchronously
 * (yielding to the event loop between pieces: progress, cancelling). The exact re-checks use it
 * (./recheck-chunks.ts, and `verifyCertificate` / `verifyCertificateAsync` of ./certificate.ts).
 */

/** A computation that yields (nothing) between pieces of work and returns a T. */
export type Steps<T> = Generator<void, T, void>;

/** Runs the steps to the end without pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs the steps, awaiting `pause` between them (it yields to the event loop and may throw to stop:
 * a cancel or a time limit; the steps are then closed).
 */
export async function runStepsAsync<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    try {
      await pause();
    } catch (e) {
      steps.return(undefined as never);
      throw e;
    }
  }
}
