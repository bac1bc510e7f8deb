/**
 * The local FC runner: runs a built bundle in a fresh Node.js process the way FC's Node.js 20
 * runtime does (`s local invoke` needs Docker, which these machines and many CI systems lack).
 *
 * - The process gets a clean environment, as FC's runtime has: the function's variables, the
 *   runtime's own (`FC_*`, `ALIBABA_CLOUD_*`, as `s local invoke` sets them: devsapp/fc3
 *   `src/subCommands/local/impl/baseLocal.ts`, protocols.md 4.1) and PATH; nothing inherited
 *   (variables such as NODE_EXTRA_CA_CERTS alone add tens of milliseconds to every start).
 * - The handler gets a Buffer event and a context with the role's STS credentials and the function's
 *   metadata; a module that throws while loading is an initialisation error.
 * - The function's timeout is enforced: past it, the process is killed and the invocation fails
 *   with FunctionTimeout.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { contextFor, type FunctionSpec } from './runtime.js';

export const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.cjs', import.meta.url));

export interface LocalInvocation {
  /** The folder FC would get as `code:`, e.g. `dist/tracker`. */
  readonly codeDir: string;
  readonly event: Buffer;
  /** The function's environment variables (s.yaml `environmentVariables`). */
  readonly env: Readonly<Record<string, string>>;
  readonly spec: FunctionSpec;
}

export interface LocalResult {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly errorType?:
    | 'InitializationError'
    | 'UnhandledInvocationError'
    | 'FunctionTimeout'
    | 'RuntimeError';
  readonly errorMessage?: string;
  /** What the function wrote (its log lines). */
  readonly stdout: string;
  readonly stderr: string;
  /** Process start to the answer, measured by the runner. */
  readonly coldStartMs: number;
  /** Inside the process: module load, the invocation, and start to answer. */
  readonly timings: {
    readonly loadMs?: number;
    readonly invokeMs?: number;
    readonly sinceStartMs?: number;
  };
  /** Peak resident set size of the process, in KiB. */
  readonly maxRssKb?: number;
}

/** The environment FC's runtime gives the process (protocols.md 4.1). */
export function runtimeEnv(
  spec: FunctionSpec,
  functionEnv: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    FC_RUNTIME: 'nodejs20',
    FC_FUNCTION_NAME: spec.name,
    FC_FUNCTION_HANDLER: spec.handler,
    FC_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
    FC_TIMEOUT: String(spec.timeoutS),
    FC_REGION: spec.region,
    FC_ACCOUNT_ID: spec.accountId,
    FC_FUNC_CODE_PATH: '/code/',
    ALIBABA_CLOUD_ACCESS_KEY_ID: spec.credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: spec.credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: spec.credentials.securityToken,
    ...functionEnv,
  };
}

export function invokeLocal(invocation: LocalInvocation): Promise<LocalResult> {
  const { spec } = invocation;
  const request = {
    codeDir: invocation.codeDir,
    handler: spec.handler,
    event: invocation.event.toString('base64'),
    context: contextFor(spec),
  };
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [BOOTSTRAP], {
      env: runtimeEnv(spec, invocation.env),
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answer = '';
    let coldStartMs = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const channel = child.stdio[3] as NodeJS.ReadableStream;
    channel.on('data', (chunk: Buffer) => {
      if (answer === '') coldStartMs = Number(process.hrtime.bigint() - started) / 1e6;
      answer += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, spec.timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const base = { stdout, stderr, coldStartMs };
      // The answer line, then a line with the peak RSS.
      const lines = answer.split('\n').filter((line) => line.trim() !== '');
      if (lines.length > 0) {
        const parts = lines.map((line) => JSON.parse(line) as Partial<LocalResult>);
        resolve({
          ...base,
          ...(Object.assign({}, ...parts) as Omit<
            LocalResult,
            'stdout' | 'stderr' | 'coldStartMs'
          >),
        });
        return;
      }
      const timedOut = signal === 'SIGKILL';
      resolve({
        ...base,
        ok: false,
        errorType: timedOut ? 'FunctionTimeout' : 'RuntimeError',
        errorMessage: timedOut
          ? `Function timed out after ${spec.timeoutS} seconds`
          : `the runtime exited with ${code ?? signal} before answering`,
        timings: {},
      });
    });
    child.stdin?.end(JSON.stringify(request));
  });
}

/** A bare `node -e ""` under the same clean environment: the baseline of cold-start figures. */
export function bareNodeMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', ''], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('close', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
  });
}
