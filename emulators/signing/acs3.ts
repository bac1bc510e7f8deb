/**
 * ACS3-HMAC-SHA256 (the "V3" signature of Alibaba Cloud OpenAPI), computed and verified the way
 * `@alicloud/openapi-client@0.4.15` signs by default (protocols.md 2.1–2.3).
 *
 * Sources:
 * - Doc https://alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
 *   (algorithm, official RunInstances test vector, the 15-minute x-acs-date window).
 * - Pkg `@alicloud/openapi-util@0.3.3` `dist/client.js`: `getAuthorization`,
 *   `getAuthorizationQueryString` (keys NOT encoded, values encoded with `encode`),
 *   `getAuthorizationHeaders` (host, content-type and every x-acs-* header, sorted).
 * - Pkg `@alicloud/tea-typescript@1.8.0` `buildURL`: the wire query comes from Node
 *   `querystring.stringify`, which leaves `!'()*` unescaped, so a verifier must decode the wire
 *   query and re-encode it; it must never sign the raw URL.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** hex(sha256('')), the x-acs-content-sha256 of every empty-body RPC call. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A query as ordered (name, decoded value) pairs, or as a plain map. */
export type QueryInput =
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [string, string]>;

/** What `canonicalRequest` needs; header names are matched case-insensitively. */
export interface CanonicalRequestInput {
  readonly method: string;
  /** The request path, `/` for RPC. */
  readonly path: string;
  /** DECODED query parameters; they are re-encoded here. */
  readonly query: QueryInput;
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case header names in signing order (as in the `SignedHeaders` of Authorization). */
  readonly signedHeaders: readonly string[];
  /** hex(sha256(body)); the value of x-acs-content-sha256. */
  readonly hashedPayload: string;
}

/** A request as the server sees it. */
export interface Acs3Request {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The query exactly as on the wire, without the leading `?` (may be empty). */
  readonly rawQuery: string;
  /** Lower-cased header names (see `headerMap` in emulators/http.ts). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type Acs3FailureCode =
  | 'IncompleteSignature'
  | 'InvalidSignatureMethod'
  | 'InvalidAccessKeyId.NotFound'
  | 'SignatureDoesNotMatch';

/** A refused request: `code`/`status` as a POP gateway answers them (see `verifyAcs3`). */
export interface Acs3Failure {
  readonly ok: false;
  readonly code: Acs3FailureCode;
  readonly status: number;
  readonly message: string;
  /** The key the request claimed, when the Authorization header could be parsed. */
  readonly accessKeyId?: string;
}

export interface Acs3Success {
  readonly ok: true;
  readonly accessKeyId: string;
  readonly signedHeaders: readonly string[];
}

export type Acs3Result = Acs3Success | Acs3Failure;

/** Returns the secret of a known AccessKey id, `undefined` for an unknown one. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/**
 * Percent-encodes a query value as openapi-util `encode` does: `encodeURIComponent`, then
 * `!'()*` as `%21 %27 %28 %29 %2A` (RFC 3986 unreserved characters stay as they are).
 */
export function acs3Encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Decodes a wire query into ordered pairs (`+` is a space, as in Node `querystring`). */
export function parseWireQuery(rawQuery: string): Array<[string, string]> {
  return [...new URLSearchParams(rawQuery)];
}

function queryPairs(query: QueryInput): Array<readonly [string, string]> {
  return Array.isArray(query)
    ? [...(query as ReadonlyArray<readonly [string, string]>)]
    : Object.entries(query as Readonly<Record<string, string>>);
}

/**
 * `key=enc(value)` pairs sorted by key in UTF-16 code-unit order (JS default sort, as the SDK),
 * joined by `&`. Keys are not encoded (openapi-util `getAuthorizationQueryString`).
 */
export function canonicalQueryString(query: QueryInput): string {
  return queryPairs(query)
    .sort(([a, va], [b, vb]) => (a < b ? -1 : a > b ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${acs3Encode(value)}`)
    .join('&');
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const previous = out.get(key);
    out.set(key, previous === undefined ? value : `${previous},${value}`);
  }
  return out;
}

/**
 * The CanonicalRequest of protocols.md 2.2:
 * `METHOD\nURI\nQUERY\n(name:trimmed value\n)*\nSignedHeaders\nHashedPayload`.
 */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const headers = lowerCaseHeaders(input.headers);
  // openapi-util replaces only the first occurrence of each; the SDK never sends these in '/'.
  const uri = input.path.replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
  const canonicalHeaders = input.signedHeaders
    .map((name) => `${name}:${(headers.get(name) ?? '').trim()}\n`)
    .join('');
  return [
    input.method.toUpperCase(),
    uri,
    canonicalQueryString(input.query),
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.hashedPayload,
  ].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `ACS3-HMAC-SHA256\n` + hex(sha256(CanonicalRequest)). */
export function stringToSign(canonical: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonical)}`;
}

/** Lower-case hex HMAC-SHA256 of the string to sign, keyed with the raw secret (no `&`). */
export function acs3Signature(accessKeySecret: string, canonical: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign(canonical)).digest('hex');
}

/**
 * The names an SDK signs for these headers: host, content-type and every x-acs-* header,
 * lower-cased and sorted (openapi-util `getAuthorizationHeaders`).
 */
export function defaultSignedHeaders(headers: Readonly<Record<string, string>>): string[] {
  return [...lowerCaseHeaders(headers).keys()]
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort();
}

/** Builds the Authorization header value as the SDK does; used to craft raw requests in tests. */
export function authorizationHeader(input: {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly method: string;
  readonly path: string;
  readonly query: QueryInput;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}): string {
  const signedHeaders = defaultSignedHeaders(input.headers);
  const canonical = canonicalRequest({
    method: input.method,
    path: input.path,
    query: input.query,
    headers: input.headers,
    signedHeaders,
    hashedPayload: sha256Hex(input.body ?? Buffer.alloc(0)),
  });
  const signature = acs3Signature(input.accessKeySecret, canonical);
  return `${ACS3_ALGORITHM} Credential=${input.accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`;
}

interface ParsedAuthorization {
  readonly algorithm: string;
  readonly credential: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const space = value.indexOf(' ');
  if (space <= 0) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return {
    algorithm: value.slice(0, space),
    credential,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Compare equal-length buffers either way, so the time does not depend on where they differ.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

function refuse(code: Acs3FailureCode, message: string, accessKeyId?: string): Acs3Failure {
  // Statuses: InvalidAccessKeyId.NotFound 404 and the signature/token family 400, from the common
  // error table of an Alibaba doc (faascmd error codes, found by exact-string search) and the
  // SignatureDoesNotMatch fixture cited in protocols.md 1.6.
  const status = code === 'InvalidAccessKeyId.NotFound' ? 404 : 400;
  return accessKeyId === undefined
    ? { ok: false, code, status, message }
    : { ok: false, code, status, message, accessKeyId };
}

/**
 * Verifies the ACS3-HMAC-SHA256 signature of a request. It checks the signature only; the
 * freshness of x-acs-date, nonce reuse and STS token rules belong to the caller.
 *
 * Rules (protocols.md 2.2, 2.3 and Gotchas 3, 4):
 * - `Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b;…>,Signature=<hex>`;
 * - SignedHeaders is the client's list; it must include `host`, every `x-acs-*` header present,
 *   and `content-type` when the body is not empty; every listed header must be present;
 * - `x-acs-content-sha256` must be present and equal hex(sha256(body));
 * - the canonical query is re-encoded from the DECODED wire query;
 * - the signature is compared in constant time.
 *
 * @example
 * const result = verifyAcs3({ method, path: '/', rawQuery, headers: headerMap(req), body },
 *   (ak) => secrets.get(ak));
 * if (!result.ok) answer(result.status, result.code, result.message);
 */
export function verifyAcs3(req: Acs3Request, lookupSecret: SecretLookup): Acs3Result {
  const { authorization } = req.headers;
  if (authorization === undefined || authorization === '') {
    return refuse(
      'IncompleteSignature',
      'The request signature is missing (no Authorization header).',
    );
  }
  const parsed = parseAuthorization(authorization);
  if (parsed === undefined) {
    return refuse(
      'IncompleteSignature',
      'The Authorization header does not have the form "ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…".',
    );
  }
  const accessKeyId = parsed.credential;
  if (parsed.algorithm !== ACS3_ALGORITHM) {
    return refuse(
      'InvalidSignatureMethod',
      `Specified signature method ${parsed.algorithm} is not supported.`,
      accessKeyId,
    );
  }

  const signed = new Set(parsed.signedHeaders);
  const mustSign = Object.keys(req.headers).filter(
    (name) =>
      name === 'host' ||
      name.startsWith('x-acs-') ||
      (name === 'content-type' && req.body.length > 0),
  );
  if (!mustSign.includes('host')) mustSign.push('host');
  const unsigned = mustSign.filter((name) => !signed.has(name));
  if (unsigned.length > 0) {
    return refuse(
      'IncompleteSignature',
      `SignedHeaders must include ${unsigned.join(', ')}.`,
      accessKeyId,
    );
  }
  if (req.body.length > 0 && req.headers['content-type'] === undefined) {
    return refuse(
      'IncompleteSignature',
      'A request with a body must sign content-type.',
      accessKeyId,
    );
  }
  const absent = parsed.signedHeaders.filter((name) => req.headers[name] === undefined);
  if (absent.length > 0) {
    return refuse(
      'IncompleteSignature',
      `Signed header(s) ${absent.join(', ')} are not present in the request.`,
      accessKeyId,
    );
  }

  const declaredHash = req.headers['x-acs-content-sha256'];
  if (declaredHash === undefined) {
    return refuse(
      'IncompleteSignature',
      'The x-acs-content-sha256 header is missing.',
      accessKeyId,
    );
  }
  const bodyHash = sha256Hex(req.body);
  if (!safeEqual(declaredHash.trim().toLowerCase(), bodyHash)) {
    // UNCONFIRMED code: no public source names the error for a wrong x-acs-content-sha256.
    return refuse(
      'SignatureDoesNotMatch',
      'The x-acs-content-sha256 header does not match the request body.',
      accessKeyId,
    );
  }

  const secret = lookupSecret(accessKeyId);
  if (secret === undefined) {
    return refuse('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', accessKeyId);
  }

  const canonical = canonicalRequest({
    method: req.method,
    path: req.path,
    query: parseWireQuery(req.rawQuery),
    headers: req.headers,
    signedHeaders: parsed.signedHeaders,
    hashedPayload: bodyHash,
  });
  const expected = acs3Signature(secret, canonical);
  if (!safeEqual(parsed.signature, expected)) {
    // Real gateways echo their string to sign; for ACS3 it holds only a hash, never the query
    // (which may carry DbUserPassword).
    return refuse(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(canonical)}`,
      accessKeyId,
    );
  }
  return { ok: true, accessKeyId, signedHeaders: parsed.signedHeaders };
}
