/**
 * The FC 3.0 Node.js runtime contract, emulated in-process (`s local invoke` needs Docker, which
 * these machines lack): the event is a Buffer, the context carries the request id, the function
 * role's STS credentials, function metadata, region and account (protocols.md 4.1;
 * https://www.alibabacloud.com/help/en/functioncompute/user-guide/context), and the function's
 * timeout is enforced: an invocation that outlives it fails with FunctionTimeout.
 */
import { randomUUID } from 'node:crypto';
import type { FcContext } from '../../shared/runtime/context.js';

export type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>;

export interface FunctionSpec {
  readonly name: string;
  readonly handler: string;
  readonly timeoutS: number;
  readonly memoryMB: number;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly accessKeySecret: string;
    readonly securityToken: string;
  };
}

export type InvokeResult =
  | {
      readonly ok: true;
      readonly requestId: string;
      readonly value: unknown;
      readonly durationMs: number;
    }
  | {
      readonly ok: false;
      readonly requestId: string;
      /** `UnhandledInvocationError` for a thrown error, `FunctionTimeout` past the timeout (FC error types). */
      readonly errorType: 'UnhandledInvocationError' | 'FunctionTimeout';
      readonly errorMessage: string;
      readonly durationMs: number;
    };

export function contextFor(spec: FunctionSpec, requestId: string = randomUUID()): FcContext {
  return {
    requestId,
    credentials: { ...spec.credentials },
    function: {
      name: spec.name,
      handler: spec.handler,
      memory: spec.memoryMB,
      timeout: spec.timeoutS,
    },
    region: spec.region,
    accountId: spec.accountId,
  };
}

export async function invokeFunction(
  handler: FcHandler,
  event: Buffer | string,
  spec: FunctionSpec,
): Promise<InvokeResult> {
  const requestId = randomUUID();
  const started = Date.now();
  const payload = typeof event === 'string' ? Buffer.from(event, 'utf8') : event;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), spec.timeoutS * 1000);
  });
  try {
    const outcome = await Promise.race([handler(payload, contextFor(spec, requestId)), timeout]);
    const durationMs = Date.now() - started;
    if (outcome === 'timeout') {
      return {
        ok: false,
        requestId,
        errorType: 'FunctionTimeout',
        errorMessage: `Function timed out after ${spec.timeoutS} seconds`,
        durationMs,
      };
    }
    // FC returns an object as JSON: round-trip it the same way.
    return { ok: true, requestId, value: JSON.parse(JSON.stringify(outcome ?? null)), durationMs };
  } catch (error) {
    return {
      ok: false,
      requestId,
      errorType: 'UnhandledInvocationError',
      errorMessage: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}
