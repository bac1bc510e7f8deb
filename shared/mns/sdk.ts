/**
 * Builds the `@alicloud/mns` client for one invocation's credentials and endpoint. Imported from
 * `lib/client.js`, not the package root: its `index.js` chooses between `lib/` and `es5/` at run
 * time, and the es5 build needs `babel-runtime`, which the package does not declare (bundling.md).
 */
import type MNS from '@alicloud/mns/lib/client.js';
import type { Credentials } from '../credentials.js';
import { ConfigError } from '../errors.js';
import type { MnsSdkClient } from './client.js';

/** Account id in an MNS endpoint host: `{AccountId}.mns.{region}[-internal[-vpc]].aliyuncs.com`. */
const ACCOUNT_IN_HOST = /^(\d+)\.mns\./;

export interface MnsLocation {
  /** From MNS_ENDPOINT; else derived from the FC context. */
  readonly configured: URL | undefined;
  readonly accountId?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * The endpoint to use: MNS_ENDPOINT, else `https://{accountId}.mns.{region}.aliyuncs.com` from the
 * FC context (endpoint format: `@alicloud/mns` `lib/helper.js` getEndpoint; MNS "Endpoints" doc).
 */
export function mnsEndpoint(location: MnsLocation): URL {
  if (location.configured !== undefined) return location.configured;
  if (location.accountId && location.region) {
    return new URL(`https://${location.accountId}.mns.${location.region}.aliyuncs.com`);
  }
  throw new ConfigError(
    'MNS_ENDPOINT',
    'is not set and the invocation context has no accountId and region to derive it from',
  );
}

/** Builds the client; the SDK (with its HTTP and XML stack) is loaded on first use. */
export async function createMnsSdk(
  endpoint: URL,
  credentials: Credentials,
  timeoutMs: number,
): Promise<MnsSdkClient> {
  // A CommonJS module with `module.exports = Client`: the default import is the class in every runner.
  const { default: Client } = await import('@alicloud/mns/lib/client.js');
  // The SDK asserts an account id even when given an endpoint; it only uses it to build one.
  const accountId = ACCOUNT_IN_HOST.exec(endpoint.host)?.[1] ?? 'account';
  const options: MNS.Options = {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    endpoint: endpoint.origin,
    readTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, 5000),
  };
  if (credentials.securityToken !== undefined) options.securityToken = credentials.securityToken;
  return new Client(accountId, options) as unknown as MnsSdkClient;
}
