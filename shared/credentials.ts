/**
 * Where the tracker's Alibaba Cloud credentials come from (SPEC 4): in FC, the function role's
 * STS credentials from `context.credentials`, fresh for every invocation; elsewhere the standard
 * `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN`
 * variables (the names `@alicloud/credentials` reads, protocols.md 4.1); failing both, the rest of
 * the default credential chain of `@alicloud/credentials` (profile file, ECS RAM role, OIDC, URI),
 * loaded only then because it is the SDK's heaviest module (bundling.md: about 45 ms to load).
 */
import { type Env, readString } from './config/env.js';
import { Secret } from './config/secret.js';
import { ConfigError } from './errors.js';
import { cjsDefault } from './interop.js';

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** The shape FC passes in `context.credentials` (protocols.md 4.1). */
export interface ContextCredentials {
  readonly accessKeyId?: string;
  readonly accessKeySecret?: string;
  readonly securityToken?: string;
}

export type CredentialSource = () => Promise<Credentials>;

/** Reads the standard variables once (module load); the values stay wrapped as secrets. */
export function envCredentials(env: Env): Secret<Credentials> | undefined {
  const accessKeyId = readString(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID');
  const accessKeySecret = readString(env, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  const securityToken = readString(env, 'ALIBABA_CLOUD_SECURITY_TOKEN');
  if (accessKeyId === undefined && accessKeySecret === undefined) return undefined;
  if (accessKeyId === undefined || accessKeySecret === undefined) {
    throw new ConfigError(
      accessKeyId === undefined ? 'ALIBABA_CLOUD_ACCESS_KEY_ID' : 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      'must be set together with its pair (value not shown)',
    );
  }
  return new Secret(
    securityToken === undefined
      ? { accessKeyId, accessKeySecret }
      : { accessKeyId, accessKeySecret, securityToken },
  );
}

async function defaultChain(): Promise<Credentials> {
  const module = await import('@alicloud/credentials');
  const Credential = cjsDefault<typeof module.default.default>(module.default);
  const client = new Credential();
  const model = await client.getCredential();
  if (!model.accessKeyId || !model.accessKeySecret) {
    throw new ConfigError(
      'ALIBABA_CLOUD_ACCESS_KEY_ID',
      'no credentials: not in FC (context.credentials), no ALIBABA_CLOUD_* variables, and the default chain found none',
    );
  }
  return model.securityToken
    ? {
        accessKeyId: model.accessKeyId,
        accessKeySecret: model.accessKeySecret,
        securityToken: model.securityToken,
      }
    : { accessKeyId: model.accessKeyId, accessKeySecret: model.accessKeySecret };
}

/** Picks the source for one invocation: context first, then the environment, then the chain. */
export function credentialSource(
  context: ContextCredentials | undefined,
  fromEnv: Secret<Credentials> | undefined,
): CredentialSource {
  if (context?.accessKeyId && context.accessKeySecret) {
    const credentials: Credentials = context.securityToken
      ? {
          accessKeyId: context.accessKeyId,
          accessKeySecret: context.accessKeySecret,
          securityToken: context.securityToken,
        }
      : { accessKeyId: context.accessKeyId, accessKeySecret: context.accessKeySecret };
    return async () => credentials;
  }
  if (fromEnv !== undefined) return async () => fromEnv.reveal();
  return defaultChain;
}
