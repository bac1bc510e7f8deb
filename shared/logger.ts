/**
 * One pino logger, JSON lines to stdout, written synchronously: FC may freeze the instance as
 * soon as the handler returns, and pino's docs warn that asynchronous logging on FaaS loses lines
 * (pino `docs/asynchronous.md`). No transports: they need worker threads and extra files, which a
 * one-file bundle cannot carry (pino `docs/bundling.md`).
 *
 * Secrets are kept out by construction (`Secret` prints `[redacted]`, adapters log hosts, not
 * URLs); `redact` is the second line of defence for credential-shaped keys.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/index.js';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'accessKeySecret',
  'securityToken',
  'credentials',
  'password',
  'secret',
  'authorization',
  '*.accessKeySecret',
  '*.securityToken',
  '*.credentials',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["security-token"]',
  '*.headers["x-acs-security-token"]',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'das-kill-tracker' },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
