/**
 * The MNS (REST API 2015-06-06) request signature, as both official SDKs compute it and as the
 * server checks it:
 *
 * ```
 * Authorization: MNS <AccessKeyId>:<Signature>
 * Signature = base64(hmac_sha1(AccessKeySecret,
 *               VERB + "\n" + CONTENT-MD5 + "\n" + CONTENT-TYPE + "\n" + DATE + "\n"
 *               + CanonicalizedMNSHeaders + CanonicalizedResource))
 * ```
 * Sources: https://www.alibabacloud.com/help/doc-detail/27487.htm ("Sign requests");
 * `@alicloud/mns@1.2.0` `lib/client.js` (`sign`, `buildHeaders`) and `lib/helper.js`
 * (`getCanonicalizedMNSHeaders`); reference/protocols.md 3.2.
 *
 * CanonicalizedResource is the request target exactly as sent (path, then `?` and the raw query):
 * the Node SDK signs its unencoded query (`?ReceiptHandle=1-ab+c/=`) and puts the same bytes on the
 * wire, so nothing here decodes or re-encodes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What goes into the string to sign. Header names may have any case. */
export interface MnsStringToSignInput {
  method: string;
  /** The `Content-MD5` header as sent; empty or absent gives an empty line. */
  contentMd5?: string | undefined;
  /** The `Content-Type` header as sent; empty or absent gives an empty line. */
  contentType?: string | undefined;
  /** The `Date` header as sent. */
  date: string;
  /** Request headers; only the `x-mns-*` ones are used. */
  headers: Readonly<Record<string, string | number | undefined>>;
  /** Path plus `?` plus the raw query, exactly as on the wire (e.g. `/queues/q1/messages?waitseconds=10`). */
  resource: string;
}

/** `name:value\n` for each `x-mns-*` header (name lower-cased), sorted by name. */
export function mnsCanonicalizedHeaders(
  headers: Readonly<Record<string, string | number | undefined>>,
): string {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || !lower.startsWith('x-mns-')) continue;
    entries.push([lower, String(value)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([name, value]) => `${name}:${value}\n`).join('');
}

/**
 * @example
 * mnsStringToSign({ method: 'GET', date: 'Thu, 09 Jul 2015 03:01:34 GMT',
 *   headers: { 'x-mns-version': '2015-06-06' }, resource: '/MyQueue' })
 * // 'GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue'
 */
export function mnsStringToSign(input: MnsStringToSignInput): string {
  return [
    input.method.toUpperCase(),
    input.contentMd5 ?? '',
    input.contentType ?? '',
    input.date,
    mnsCanonicalizedHeaders(input.headers) + input.resource,
  ].join('\n');
}

/** base64(HMAC-SHA1(secret, stringToSign)); the key is the raw secret. */
export function mnsSignature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** The full `Authorization` header value, `MNS <AccessKeyId>:<Signature>`. */
export function mnsAuthorization(
  accessKeyId: string,
  secret: string,
  input: MnsStringToSignInput,
): string {
  return `MNS ${accessKeyId}:${mnsSignature(secret, mnsStringToSign(input))}`;
}

/** Splits `MNS <AccessKeyId>:<Signature>`; undefined when the header has another shape. */
export function parseMnsAuthorization(
  value: string,
): { accessKeyId: string; signature: string } | undefined {
  const match = /^MNS ([^:\s]+):(\S+)$/.exec(value.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { accessKeyId: match[1], signature: match[2] };
}

/** A request as the server saw it. */
export interface MnsRequestToVerify {
  method: string;
  /** The request target exactly as sent (Node's `req.url`). */
  resource: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
}

export type MnsVerificationFailure =
  | 'MissingAuthorizationHeader'
  | 'InvalidAuthorizationHeader'
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch';

export type MnsVerification =
  | { ok: true; accessKeyId: string }
  | { ok: false; code: MnsVerificationFailure; message: string };

/**
 * Checks the `Authorization` header of a request against the secret of its AccessKeyId.
 * Messages are the ones of the MNS error-code table
 * (https://www.alibabacloud.com/help/doc-detail/27501.html).
 *
 * Only the signature is checked here: the Date window, `security-token` and `Content-MD5` are the
 * server's other checks.
 */
export function verifyMns(
  request: MnsRequestToVerify,
  secretFor: (accessKeyId: string) => string | undefined,
): MnsVerification {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    return {
      ok: false,
      code: 'MissingAuthorizationHeader',
      message: 'Authorization header is required.',
    };
  }
  const parsed = parseMnsAuthorization(header);
  if (!parsed) {
    return {
      ok: false,
      code: 'InvalidAuthorizationHeader',
      message: 'The Authorization header format is invalid.',
    };
  }
  const secret = secretFor(parsed.accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidAccessKeyId',
      message: 'The AccessKey Id you provided is not exist.',
    };
  }
  const expected = mnsSignature(
    secret,
    mnsStringToSign({
      method: request.method,
      contentMd5: request.headers['content-md5'],
      contentType: request.headers['content-type'],
      date: request.headers.date ?? '',
      headers: request.headers,
      resource: request.resource,
    }),
  );
  if (!constantTimeEqual(expected, parsed.signature)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
