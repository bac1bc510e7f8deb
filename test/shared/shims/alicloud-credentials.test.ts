import { createRequire } from 'node:module';
import type RealModule from '@alicloud/credentials';
import { describe, expect, it } from 'vitest';
import Credential, { Config } from '../../../shared/shims/alicloud-credentials.js';

// The real package, for a side-by-side comparison of what openapi-client reads from it
// (require() gives module.exports in every runner).
const real = createRequire(import.meta.url)('@alicloud/credentials') as typeof RealModule;
const Real = real.default;
const RealConfig = real.Config;

describe('@alicloud/credentials stand-in', () => {
  it.each([
    ['sts', { accessKeyId: 'STS.k', accessKeySecret: 's', securityToken: 't', type: 'sts' }],
    ['access_key', { accessKeyId: 'LTAIk', accessKeySecret: 's', type: 'access_key' }],
  ])(
    'answers getCredential() for %s credentials exactly as the real static providers do',
    async (_type, fields) => {
      const mine = await new Credential(new Config(fields)).getCredential();
      const real = await new Real(new RealConfig(fields)).getCredential();
      expect({ ...mine }).toEqual(
        JSON.parse(JSON.stringify({ ...real, securityToken: real.securityToken })),
      );
    },
  );

  it('refuses what it does not bundle, with a clear message', () => {
    expect(() => new Credential(new Config({ type: 'ecs_ram_role' }))).toThrow(
      /static credentials only/,
    );
    expect(
      () => new Credential(new Config({ type: 'sts', accessKeyId: 'a', accessKeySecret: 'b' })),
    ).toThrow(/security token/);
  });
});
