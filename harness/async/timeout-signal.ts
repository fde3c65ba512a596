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

/**
 * A controller that also aborts when `parent` does (with the parent's reason) and can be aborted on
 * its own; `release()` drops the link, so a long-lived parent (a study's, a night's signal) keeps no
 * listener for each short-lived child.
 */
export function childController(parent: AbortSignal | undefined): { controller: AbortController; signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const relay = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) relay();
  else parent?.addEventListener("abort", relay, { once: true });
  return { controller, signal: controller.signal, release: () => parent?.removeEventListener("abort", relay) };
}
