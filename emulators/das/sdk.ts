/**
 * The official SDK (`@alicloud/openapi-client`) pointed at a DAS emulator, calling an action
 * exactly as the generated DAS SDK does. For tests and the demo, which also create tasks.
 */
import OpenApiModule, { Config, OpenApiRequest, Params } from '@alicloud/openapi-client';
import { RuntimeOptions } from '@alicloud/tea-util';
import { dasRpcParams } from '../../shared/das/client.js';
import { cjsDefault } from '../../shared/interop.js';
import type { OpenApiSdk } from '../../shared/openapi.js';

const Client = cjsDefault<typeof OpenApiModule.default>(OpenApiModule);
export type DasSdkClient = InstanceType<typeof OpenApiModule.default>;

export interface DasSdkCredential {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** `endpoint` is the emulator's `host:port`. */
export function dasSdkClient(endpoint: string, credential: DasSdkCredential): DasSdkClient {
  return new Client(
    new Config({ endpoint, protocol: 'http', regionId: 'cn-shanghai', ...credential }),
  );
}

export function callDas(
  client: DasSdkClient,
  action: string,
  query: Record<string, string>,
  runtime: { readTimeout?: number } = {},
  version?: string,
): Promise<{ [key: string]: unknown }> {
  return client.callApi(
    dasRpcParams({ Params } as OpenApiSdk, action, version),
    new OpenApiRequest({ query }),
    new RuntimeOptions(runtime),
  );
}
