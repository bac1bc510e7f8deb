/**
 * Bundle-time stand-in for `@alicloud/credentials` where `@alicloud/openapi-client` 0.4.15 imports it.
 * The tracker always gives openapi-client static credentials (the FC role's STS triple, or the
 * `ALIBABA_CLOUD_*` variables), and openapi-client then only does (dist/client.js, Client
 * constructor and doRequest): `new Config({accessKeyId, type, accessKeySecret})`, sets
 * `securityToken`, `new Credential(config)`, and `await credential.getCredential()`. The real package
 * (98 KB, about 45 ms to load, bundling.md) also loads every provider (ECS RAM role, OIDC, profile
 * files, URI). This answers what its static providers answer (`providers/static_sts.js`,
 * `providers/static_ak.js`): the same fields and provider names, so the signed request and its
 * `x-acs-credentials-provider` header are the same.
 */

export class Config {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  bearerToken?: string;
  type?: string;

  constructor(init: Record<string, unknown> = {}) {
    Object.assign(this, init);
  }
}

export interface CredentialModel {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string | undefined;
  readonly bearerToken: string | undefined;
  readonly type: string;
  readonly providerName: string;
}

export default class Credential {
  readonly #model: CredentialModel;

  constructor(config?: Config) {
    const type = config?.type ?? (config?.securityToken ? 'sts' : 'access_key');
    if (type !== 'sts' && type !== 'access_key') {
      throw new Error(`das-kill-tracker bundles static credentials only, got type ${type}`);
    }
    if (!config?.accessKeyId || !config.accessKeySecret) {
      throw new Error('the access key id or secret is empty');
    }
    if (type === 'sts' && !config.securityToken) throw new Error('the security token is empty');
    this.#model = {
      accessKeyId: config.accessKeyId,
      accessKeySecret: config.accessKeySecret,
      securityToken: type === 'sts' ? config.securityToken : undefined,
      bearerToken: undefined,
      type,
      providerName: type === 'sts' ? 'static_sts' : 'static_ak',
    };
  }

  async getCredential(): Promise<CredentialModel> {
    return this.#model;
  }

  async getAccessKeyId(): Promise<string> {
    return this.#model.accessKeyId;
  }

  async getAccessKeySecret(): Promise<string> {
    return this.#model.accessKeySecret;
  }

  async getSecurityToken(): Promise<string | undefined> {
    return this.#model.securityToken;
  }

  getType(): string {
    return this.#model.type;
  }
}
