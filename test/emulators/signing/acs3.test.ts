import { stringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import {
  type Acs3Request,
  acs3Encode,
  acs3Signature,
  authorizationHeader,
  canonicalQueryString,
  canonicalRequest,
  EMPTY_BODY_SHA256,
  sha256Hex,
  verifyAcs3,
} from '../../../emulators/signing/acs3.js';

// Official vector of the V3 signature doc (protocols.md 2.2).
const RUN_INSTANCES = {
  query: {
    ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd',
    RegionId: 'cn-shanghai',
  },
  headers: {
    host: 'ecs.cn-shanghai.aliyuncs.com',
    'x-acs-action': 'RunInstances',
    'x-acs-version': '2014-05-26',
    'x-acs-date': '2023-10-26T10:22:32Z',
    'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
  },
  signedHeaders: [
    'host',
    'x-acs-action',
    'x-acs-content-sha256',
    'x-acs-date',
    'x-acs-signature-nonce',
    'x-acs-version',
  ],
  canonical:
    'POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\nhost:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  canonicalHash: '7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259',
  authorization:
    'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
} as const;

// Derived DAS + STS vector computed with openapi-util (protocols.md 2.2).
const STS_DAS = {
  query: {
    DbUser: 'u',
    DbUserPassword: 'p',
    InstanceId: 'rm-test',
    KillAllSessions: 'true',
    SessionIds: '[1,2]',
  },
  headers: {
    host: 'das.cn-shanghai.aliyuncs.com',
    'x-acs-action': 'CreateKillInstanceSessionTask',
    'x-acs-version': '2020-01-16',
    'x-acs-date': '2024-01-01T00:00:00Z',
    'x-acs-signature-nonce': '00000000000000000000000000000001',
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
    'x-acs-accesskey-id': 'STS.AKID',
    'x-acs-security-token': 'TOKEN',
    accept: 'application/json',
    'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/1',
  },
  authorization:
    'ACS3-HMAC-SHA256 Credential=STS.AKID,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=c0ab70fc36700d3e7629ce0126f9fa46fb861a65f79249156621052402661d3c',
} as const;

const SECRETS: Readonly<Record<string, string>> = {
  YourAccessKeyId: 'YourAccessKeySecret',
  'STS.AKID': 'SECRET',
};
const lookup = (accessKeyId: string): string | undefined => SECRETS[accessKeyId];

function runInstancesRequest(overrides: Partial<Acs3Request> = {}): Acs3Request {
  return {
    method: 'POST',
    path: '/',
    rawQuery: stringify(RUN_INSTANCES.query),
    headers: { ...RUN_INSTANCES.headers, authorization: RUN_INSTANCES.authorization },
    body: Buffer.alloc(0),
    ...overrides,
  };
}

function stsDasRequest(overrides: Partial<Acs3Request> = {}): Acs3Request {
  return {
    method: 'POST',
    path: '/',
    rawQuery: stringify(STS_DAS.query),
    headers: { ...STS_DAS.headers, authorization: STS_DAS.authorization },
    body: Buffer.alloc(0),
    ...overrides,
  };
}

describe('acs3Encode', () => {
  it('encodes the characters Node querystring leaves bare', () => {
    // Act
    const encoded = acs3Encode("p a&ss*!'()~-_.");

    // Assess
    expect(encoded).toBe('p%20a%26ss%2A%21%27%28%29~-_.');
    expect(stringify({ v: "p a&ss*!'()~-_." })).toBe("v=p%20a%26ss*!'()~-_.");
  });
});

describe('canonicalRequest', () => {
  it('reproduces the published RunInstances canonical request and its hash', () => {
    // Act
    const canonical = canonicalRequest({
      method: 'POST',
      path: '/',
      query: RUN_INSTANCES.query,
      headers: RUN_INSTANCES.headers,
      signedHeaders: RUN_INSTANCES.signedHeaders,
      hashedPayload: EMPTY_BODY_SHA256,
    });

    // Assess
    expect(canonical).toBe(RUN_INSTANCES.canonical);
    expect(sha256Hex(canonical)).toBe(RUN_INSTANCES.canonicalHash);
  });

  it('sorts query keys by code unit and does not encode them', () => {
    // Act
    const query = canonicalQueryString([
      ['b', '2'],
      ['B', '1'],
      ['a.1', 'x y'],
    ]);

    // Assess
    expect(query).toBe('B=1&a.1=x%20y&b=2');
  });
});

describe('acs3Signature', () => {
  it('reproduces the published RunInstances signature', () => {
    // Act
    const signature = acs3Signature('YourAccessKeySecret', RUN_INSTANCES.canonical);

    // Assess
    expect(signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
  });

  it('reproduces the derived STS DAS vector through authorizationHeader', () => {
    // Act
    const authorization = authorizationHeader({
      accessKeyId: 'STS.AKID',
      accessKeySecret: 'SECRET',
      method: 'POST',
      path: '/',
      query: STS_DAS.query,
      headers: STS_DAS.headers,
    });

    // Assess
    expect(authorization).toBe(STS_DAS.authorization);
  });
});

describe('verifyAcs3', () => {
  it('accepts the published RunInstances request', () => {
    // Act
    const result = verifyAcs3(runInstancesRequest(), lookup);

    // Assess
    expect(result).toStrictEqual({
      ok: true,
      accessKeyId: 'YourAccessKeyId',
      signedHeaders: RUN_INSTANCES.signedHeaders,
    });
  });

  it('accepts the STS DAS request with its unsigned accept and user-agent headers', () => {
    // Act
    const result = verifyAcs3(stsDasRequest(), lookup);

    // Assess
    expect(result.ok).toBe(true);
  });

  it("verifies a value whose !'()* travel bare on the wire against its %-encoded canonical form", () => {
    // Prepare
    const query = { ...STS_DAS.query, DbUserPassword: "p a&ss*!'()" };
    const headers = { ...STS_DAS.headers };
    const authorization = authorizationHeader({
      accessKeyId: 'STS.AKID',
      accessKeySecret: 'SECRET',
      method: 'POST',
      path: '/',
      query,
      headers,
    });
    const rawQuery = stringify(query);

    // Act
    const result = verifyAcs3(
      stsDasRequest({ rawQuery, headers: { ...headers, authorization } }),
      lookup,
    );

    // Assess
    expect(rawQuery).toContain("DbUserPassword=p%20a%26ss*!'()");
    expect(result.ok).toBe(true);
  });

  it('refuses a request whose query value was changed after signing', () => {
    // Act
    const result = verifyAcs3(
      stsDasRequest({ rawQuery: stringify({ ...STS_DAS.query, InstanceId: 'rm-other' }) }),
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch', status: 400 });
  });

  it('refuses a request with a query parameter added after signing', () => {
    // Act
    const result = verifyAcs3(
      runInstancesRequest({ rawQuery: `${stringify(RUN_INSTANCES.query)}&Amount=100` }),
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a request whose signed header was changed after signing', () => {
    // Prepare
    const request = runInstancesRequest();

    // Act
    const result = verifyAcs3(
      { ...request, headers: { ...request.headers, 'x-acs-date': '2023-10-26T10:22:33Z' } },
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch', status: 400 });
  });

  it('refuses a request whose body no longer matches x-acs-content-sha256', () => {
    // Act
    const result = verifyAcs3(
      runInstancesRequest({
        body: Buffer.from('Amount=100'),
        headers: {
          ...RUN_INSTANCES.headers,
          'content-type': 'application/x-www-form-urlencoded',
          authorization: RUN_INSTANCES.authorization.replace(
            'SignedHeaders=host;',
            'SignedHeaders=content-type;host;',
          ),
        },
      }),
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(result.ok || result.message).toMatch(/x-acs-content-sha256/);
  });

  it('refuses a body whose hash header was updated but whose signature was not', () => {
    // Prepare: sign a form body, then swap the body and its hash.
    const headers = {
      ...RUN_INSTANCES.headers,
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-content-sha256': sha256Hex('Amount=1'),
    };
    const authorization = authorizationHeader({
      accessKeyId: 'YourAccessKeyId',
      accessKeySecret: 'YourAccessKeySecret',
      method: 'POST',
      path: '/',
      query: RUN_INSTANCES.query,
      headers,
      body: Buffer.from('Amount=1'),
    });
    const signed = runInstancesRequest({
      body: Buffer.from('Amount=1'),
      headers: { ...headers, authorization },
    });

    // Act
    const genuine = verifyAcs3(signed, lookup);
    const tampered = verifyAcs3(
      {
        ...signed,
        body: Buffer.from('Amount=9'),
        headers: { ...signed.headers, 'x-acs-content-sha256': sha256Hex('Amount=9') },
      },
      lookup,
    );

    // Assess
    expect(genuine.ok).toBe(true);
    expect(tampered).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a request that carries an x-acs-* header it did not sign', () => {
    // Prepare
    const request = runInstancesRequest();

    // Act
    const result = verifyAcs3(
      { ...request, headers: { ...request.headers, 'x-acs-security-token': 'smuggled' } },
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'IncompleteSignature', status: 400 });
    expect(result.ok || result.message).toContain('x-acs-security-token');
  });

  it('refuses a body whose content-type is not signed', () => {
    // Prepare
    const headers = {
      ...RUN_INSTANCES.headers,
      'x-acs-content-sha256': sha256Hex('a=1'),
      'content-type': 'application/x-www-form-urlencoded',
    };

    // Act
    const result = verifyAcs3(
      runInstancesRequest({
        body: Buffer.from('a=1'),
        headers: { ...headers, authorization: RUN_INSTANCES.authorization },
      }),
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'IncompleteSignature' });
    expect(result.ok || result.message).toContain('content-type');
  });

  it('accepts extra signed x-acs-* headers such as x-acs-credentials-provider', () => {
    // Prepare
    const headers = { ...RUN_INSTANCES.headers, 'x-acs-credentials-provider': 'static_ak' };
    const authorization = authorizationHeader({
      accessKeyId: 'YourAccessKeyId',
      accessKeySecret: 'YourAccessKeySecret',
      method: 'POST',
      path: '/',
      query: RUN_INSTANCES.query,
      headers,
    });

    // Act
    const result = verifyAcs3(
      runInstancesRequest({ headers: { ...headers, authorization } }),
      lookup,
    );

    // Assess
    expect(result).toMatchObject({ ok: true, accessKeyId: 'YourAccessKeyId' });
    expect(result.ok && result.signedHeaders).toContain('x-acs-credentials-provider');
  });

  it('refuses an unknown AccessKey id with InvalidAccessKeyId.NotFound', () => {
    // Act
    const result = verifyAcs3(runInstancesRequest(), () => undefined);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      status: 404,
      accessKeyId: 'YourAccessKeyId',
    });
  });

  it('refuses a signature made with another secret', () => {
    // Act
    const result = verifyAcs3(runInstancesRequest(), () => 'NotTheSecret');

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(result.ok || result.message).toContain(
      `ACS3-HMAC-SHA256\n${RUN_INSTANCES.canonicalHash}`,
    );
  });

  it.each([
    { case: 'no Authorization header', authorization: undefined, code: 'IncompleteSignature' },
    {
      case: 'a malformed Authorization header',
      authorization: 'garbage',
      code: 'IncompleteSignature',
    },
    {
      case: 'another algorithm',
      authorization: RUN_INSTANCES.authorization.replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3'),
      code: 'InvalidSignatureMethod',
    },
  ])('refuses $case with $code', ({ authorization, code }) => {
    // Prepare
    const headers: Record<string, string> =
      authorization === undefined
        ? { ...RUN_INSTANCES.headers }
        : { ...RUN_INSTANCES.headers, authorization };

    // Act
    const result = verifyAcs3(runInstancesRequest({ headers }), lookup);

    // Assess
    expect(result).toMatchObject({ ok: false, code, status: 400 });
  });
});
