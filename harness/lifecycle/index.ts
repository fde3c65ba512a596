export { TeardownStack, type TeardownStep } from "./teardown-stack.js";
export { installInterruptHandlers, STILL_CLEANING_UP, type InterruptHandlerOptions, type InterruptHandlers } from "./signals.js";
