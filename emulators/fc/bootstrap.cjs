'use strict';
/**
 * The child side of the local FC runner: loads a built function bundle the way FC's Node.js 20
 * runtime does and answers one invocation (protocols.md 4.1: the handler string is `file.method`,
 * the event is a Buffer, the context carries the request id, the role's STS credentials, function
 * metadata, region and account). Plain CommonJS on purpose: it runs in the measured process, where
 * a TypeScript loader would distort cold-start figures.
 *
 * Protocol: the parent writes one JSON request `{codeDir, handler, event (base64), context}` to
 * stdin; this writes one JSON answer to fd 3, then a line with the peak RSS, and exits. The function's own logs go to stdout and
 * stderr, as in FC.
 */
const fs = require('node:fs');
const path = require('node:path');

const started = process.hrtime.bigint();

function answer(payload) {
  fs.writeSync(3, `${JSON.stringify(payload)}\n`);
  // Peak RSS after the answer, so that reading it (a few ms) is not part of the measured start.
  fs.writeSync(3, `${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
  // FC freezes or recycles the instance after the answer; keep-alive sockets must not hold it.
  process.exit(0);
}

function errorPayload(error, type) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { ok: false, errorType: type, errorMessage: `${e.name}: ${e.message}` };
}

// Read synchronously: `process.stdin` would load the stream and TTY machinery (about 5 ms) that is
// the runner's cost, not the function's.
async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const [file, method] = request.handler.split('.');
  let handler;
  const loadStart = process.hrtime.bigint();
  try {
    handler = require(path.join(request.codeDir, file))[method];
  } catch (error) {
    // FC reports a module that throws while loading as an initialisation error.
    return answer({ ...errorPayload(error, 'InitializationError'), timings: {} });
  }
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  if (typeof handler !== 'function') {
    return answer({ ok: false, errorType: 'InitializationError', errorMessage: `${request.handler} is not a function`, timings: { loadMs } });
  }
  const invokeStart = process.hrtime.bigint();
  try {
    const value = await handler(Buffer.from(request.event, 'base64'), request.context);
    const timings = {
      loadMs,
      invokeMs: Number(process.hrtime.bigint() - invokeStart) / 1e6,
      sinceStartMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
    answer({ ok: true, value: value === undefined ? null : value, timings });
  } catch (error) {
    answer({ ...errorPayload(error, 'UnhandledInvocationError'), timings: { loadMs } });
  }
}

main();
