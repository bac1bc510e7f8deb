import { describe, expect, it } from 'vitest';
import {
  mnsAuthorization,
  mnsSignature,
  mnsStringToSign,
  parseMnsAuthorization,
  verifyMns,
} from '../../../emulators/signing/mns.js';

// Doc vector: FAQ "How do I obtain the signature string of an API request"
// (https://www.alibabacloud.com/help/en/message-service/latest/how-do-i-obtain-the-signature-string-of-an-api-request);
// the doc masks the tail, protocols.md 3.2 recomputed it in full.
const DOC = {
  method: 'GET',
  date: 'Thu, 09 Jul 2015 03:01:34 GMT',
  headers: { 'x-mns-version': '2015-06-06' },
  resource: '/MyQueue',
} as const;

// Derived vector: what @alicloud/mns@1.2.0 signs for SendMessage (protocols.md 3.2).
const SEND = {
  method: 'POST',
  contentMd5: 'OTQ0NTkwYzkyZmZhZDhhZmM3ZjQ2MDE3ZDBlMDE5YTI=',
  contentType: 'text/xml',
  date: 'Mon, 01 Jan 2024 00:00:00 GMT',
  headers: {
    date: 'Mon, 01 Jan 2024 00:00:00 GMT',
    host: '1234567890123456.mns.cn-hangzhou.aliyuncs.com',
    'x-mns-date': 'Mon, 01 Jan 2024 00:00:00 GMT',
    'x-mns-version': '2015-06-06',
  },
  resource: '/queues/q1/messages',
} as const;

function sendRequestHeaders(authorization: string): Record<string, string> {
  return {
    ...SEND.headers,
    'content-md5': SEND.contentMd5,
    'content-type': SEND.contentType,
    authorization,
  };
}

const secrets = (accessKeyId: string): string | undefined =>
  accessKeyId === 'AKID' ? 'SECRET' : undefined;

describe('mnsStringToSign', () => {
  it('builds the string of the documentation example', () => {
    // Act
    const stringToSign = mnsStringToSign(DOC);

    // Assess
    expect(stringToSign).toBe(
      'GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue',
    );
  });

  it('sorts and lower-cases the x-mns-* headers and ignores the others', () => {
    // Act
    const stringToSign = mnsStringToSign({
      method: 'put',
      date: 'D',
      headers: { 'X-MNS-Version': '2015-06-06', 'x-mns-date': 'D', Host: 'h', 'x-acs-foo': 'no' },
      resource: '/queues/q/messages?receiptHandle=1-a+b/c==&visibilityTimeout=5',
    });

    // Assess
    expect(stringToSign).toBe(
      'PUT\n\n\nD\nx-mns-date:D\nx-mns-version:2015-06-06\n/queues/q/messages?receiptHandle=1-a+b/c==&visibilityTimeout=5',
    );
  });
});

describe('mnsSignature', () => {
  it('matches the documentation vector', () => {
    // Act
    const signature = mnsSignature('TestAccessSecret', mnsStringToSign(DOC));

    // Assess
    expect(signature).toBe('uwx3yeWoILzgmvesW0BQSgfM7b8=');
  });

  it('matches the derived SendMessage vector of the Node SDK', () => {
    // Act
    const authorization = mnsAuthorization('AKID', 'SECRET', SEND);

    // Assess
    expect(authorization).toBe('MNS AKID:FPv1Yu5EPVq1GgaCEvz+m7ByJcc=');
  });
});

describe('parseMnsAuthorization', () => {
  it.each([
    { case: 'another scheme', value: 'ACS AKID:sig' },
    { case: 'no colon', value: 'MNS AKIDsig' },
    { case: 'no signature', value: 'MNS AKID:' },
    { case: 'empty', value: '' },
  ])('returns undefined for $case', ({ value }) => {
    // Act & Assess
    expect(parseMnsAuthorization(value)).toBeUndefined();
  });
});

describe('verifyMns', () => {
  it('accepts the derived SendMessage request', () => {
    // Act
    const verdict = verifyMns(
      {
        method: 'POST',
        resource: SEND.resource,
        headers: sendRequestHeaders('MNS AKID:FPv1Yu5EPVq1GgaCEvz+m7ByJcc='),
      },
      secrets,
    );

    // Assess
    expect(verdict).toStrictEqual({ ok: true, accessKeyId: 'AKID' });
  });

  it.each([
    { case: 'the path changed', change: { resource: '/queues/q2/messages' } },
    { case: 'a query added', change: { resource: '/queues/q1/messages?x=1' } },
    { case: 'the method changed', change: { method: 'PUT' } },
    {
      case: 'the Content-MD5 changed',
      change: { headers: { 'content-md5': 'ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=' } },
    },
    { case: 'the Date changed', change: { headers: { date: 'Mon, 01 Jan 2024 00:00:01 GMT' } } },
    { case: 'an x-mns header changed', change: { headers: { 'x-mns-version': '2015-06-07' } } },
  ])('refuses the request when $case', ({ change }) => {
    // Prepare
    const request = {
      method: 'POST',
      resource: SEND.resource,
      ...change,
      headers: {
        ...sendRequestHeaders('MNS AKID:FPv1Yu5EPVq1GgaCEvz+m7ByJcc='),
        ...('headers' in change ? change.headers : {}),
      },
    };

    // Act
    const verdict = verifyMns(request, secrets);

    // Assess
    expect(verdict).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a signature made with another secret', () => {
    // Prepare
    const forged = mnsAuthorization('AKID', 'NOT-THE-SECRET', SEND);

    // Act
    const verdict = verifyMns(
      { method: 'POST', resource: SEND.resource, headers: sendRequestHeaders(forged) },
      secrets,
    );

    // Assess
    expect(verdict).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('names the failure when the header is missing, malformed or of an unknown key', () => {
    // Prepare
    const base = { method: 'GET', resource: '/MyQueue' };

    // Act
    const missing = verifyMns({ ...base, headers: {} }, secrets);
    const malformed = verifyMns({ ...base, headers: { authorization: 'Basic abc' } }, secrets);
    const unknown = verifyMns({ ...base, headers: { authorization: 'MNS OTHER:abc=' } }, secrets);

    // Assess
    expect([missing, malformed, unknown].map((v) => (v.ok ? 'ok' : v.code))).toStrictEqual([
      'MissingAuthorizationHeader',
      'InvalidAuthorizationHeader',
      'InvalidAccessKeyId',
    ]);
  });
});
