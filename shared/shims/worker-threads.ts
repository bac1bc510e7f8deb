/**
 * Bundle-time stand-in for `node:worker_threads` where pino's `lib/tools.js` imports it: it reads
 * `isMainThread` only to register an exit flush for *asynchronous* destinations (tools.js, `if
 * (!opts.sync && isMainThread)`). The tracker's destination is synchronous and FC runs handlers on
 * the main thread. Loading worker_threads costs about 1.9 ms of every cold start on these machines.
 */
export const isMainThread = true;
export default { isMainThread };
