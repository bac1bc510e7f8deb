/**
 * Where the tracker's Alibaba Cloud credentials come from (SPEC 4): in FC, the function role's
 * STS credentials from `context.credentials`, fresh for every invocation; elsewhere the standard
 * `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN`
 * variables (the names `@alicloud/credentials` reads, protocols.md 4.1). The rest of that package's
 * default chain (profile file, ECS RAM role, OIDC, URI) is not bundled: it is the SDK's heaviest
 * module (bundling.md: about 45 ms to load) and a function in FC never needs it.
 */
import { type Env, readString } from './config/env.js';
import { Secret } from './config/secret.js';
import { ConfigError } from './errors.js';

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

async function noCredentials(): Promise<Credentials> {
  throw new ConfigError(
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'no credentials: not in FC (no context.credentials) and no ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET set',
  );
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
  return noCredentials;
}
