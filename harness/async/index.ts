export { sleep } from "./sleep.js";
export { timeoutSignal, isTimeoutReason, childController } from "./timeout-signal.js";
export { waitFor, WaitTimeoutError, type WaitForOptions, type WaitForContext } from "./wait-for.js";
