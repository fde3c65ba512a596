/**
 * A signal that aborts after `ms` (reason: a `TimeoutError` DOMException, as `AbortSignal.timeout`)
 * or as soon as `parent` aborts (reason: the parent's reason), whichever comes first. This is how a
 * phase gets its own budget inside a run's signal.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): AbortSignal {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Expected \`ms\` to be a finite number >= 0, got ${ms}`);
  }
  const timeout = AbortSignal.timeout(ms);
  return parent ? AbortSignal.any([parent, timeout]) : timeout;
}

/** True when `err` is the reason of a signal made by `AbortSignal.timeout` / `timeoutSignal`. */
export function isTimeoutReason(err: unknown): boolean {
  return err instanceof DOMException && err.name === "TimeoutError";
}
