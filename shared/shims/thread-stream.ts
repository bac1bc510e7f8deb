/**
 * Bundle-time stand-in for `thread-stream`, which pino loads for transports (worker threads). The
 * tracker writes JSON to stdout synchronously and never uses a transport (pino `docs/bundling.md`:
 * transports cannot live in a one-file bundle), so this only has to fail loudly if one is asked for.
 */
export default class ThreadStream {
  constructor() {
    throw new Error('pino transports are not bundled in das-kill-tracker: it logs JSON to stdout');
  }
}
