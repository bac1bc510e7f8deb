/**
 * MNS adapter over `@alicloud/mns` 1.2.0 (its `lib/client.js`, see bundling.md). The SDK has three
 * traps this adapter closes (protocols.md 3.6, gotchas 9, 13, 14):
 * - it puts values into its XML unescaped, so a topic message body is XML-escaped here (queue
 *   bodies are base64, which needs no escaping);
 * - it never checks the HTTP status: a non-XML 5xx resolves "successfully" with no body, so every
 *   answer is checked for its documented status and fields;
 * - errors carry no `code`, only `name = 'MNS' + Code + 'Error'`; an empty queue is the error
 *   `MessageNotExist`, not an empty list.
 */
import { MnsRejectedError, MnsUnavailableError, type TrackerError } from '../errors.js';

/** The subset of the SDK's Client the tracker calls; answers as the SDK resolves them. */
export interface MnsSdkClient {
  sendMessage(
    queue: string,
    params: { MessageBody: string; DelaySeconds?: number; Priority?: number },
  ): Promise<MnsSdkResponse>;
  publishMessage(
    topic: string,
    params: { MessageBody: string; MessageTag?: string },
  ): Promise<MnsSdkResponse>;
  batchReceiveMessage(
    queue: string,
    numOfMessages: number,
    waitSeconds?: number,
  ): Promise<MnsSdkResponse>;
  deleteMessage(queue: string, receiptHandle: string): Promise<MnsSdkResponse>;
  changeMessageVisibility(
    queue: string,
    receiptHandle: string,
    visibilityTimeout: number,
  ): Promise<MnsSdkResponse>;
}

export interface MnsSdkResponse {
  readonly code: number;
  readonly body?: unknown;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly enqueueTime: number;
  readonly firstDequeueTime: number;
  readonly nextVisibleTime: number;
  readonly dequeueCount: number;
}

/** Codes after which the same call may succeed later (MNS error-code table, protocols.md 3.5). */
const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalServerError',
  'QpsLimitExceeded',
  'ServiceUnavailable',
  'TimeExpired',
]);

const NETWORK_CODES =
  /^(ECONN|EPIPE|ETIMEDOUT|ESOCKETTIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOST|ENET|UND_ERR)/;

/** The MNS error code of a thrown SDK error (`MNSQueueNotExistError` → `QueueNotExist`). */
export function mnsErrorCode(thrown: unknown): string | undefined {
  const name = thrown instanceof Error ? thrown.name : undefined;
  const match = name === undefined ? null : /^MNS(.+)Error$/.exec(name);
  return match?.[1];
}

export function classifyMnsError(thrown: unknown, operation: string): TrackerError {
  const code = mnsErrorCode(thrown);
  if (code !== undefined) {
    // The SDK message is "<METHOD> <url> failed with <status>. requestid: …": the URL holds only
    // the queue or topic name and receipt handles, no credential.
    const message = `${operation} failed: ${code}`;
    const requestId = /requestid: ([^,]+)/.exec((thrown as Error).message)?.[1];
    const details = { code, requestId };
    return TRANSIENT_CODES.has(code)
      ? new MnsUnavailableError(message, details, { cause: thrown })
      : new MnsRejectedError(message, details, { cause: thrown });
  }
  const errno = (thrown as { code?: unknown } | null)?.code;
  const name = thrown instanceof Error ? thrown.name : 'Error';
  return new MnsUnavailableError(
    `${operation} failed: ${typeof errno === 'string' && NETWORK_CODES.test(errno) ? errno : name}`,
    { code: typeof errno === 'string' ? errno : name },
    { cause: thrown },
  );
}

/** XML 1.0 text escaping for the SDK's unescaped `<MessageBody>${value}</MessageBody>`. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function expect(response: MnsSdkResponse, status: number, operation: string): Json {
  if (response.code !== status || (status !== 204 && !isObject(response.body))) {
    // The SDK resolves a non-XML 5xx (an HTML error page from a gateway) with no body.
    const error =
      response.code >= 500 || response.code === 429
        ? MnsUnavailableError
        : response.code >= 400
          ? MnsRejectedError
          : MnsUnavailableError;
    throw new error(`${operation} answered HTTP ${response.code} without the expected body`, {
      code: `HTTP${response.code}`,
      status: response.code,
    });
  }
  return isObject(response.body) ? response.body : {};
}

function toMessage(row: unknown): ReceivedMessage | undefined {
  if (!isObject(row)) return undefined;
  const messageId = text(row.MessageId);
  const receiptHandle = text(row.ReceiptHandle);
  const body = text(row.MessageBody);
  if (messageId === undefined || receiptHandle === undefined || body === undefined)
    return undefined;
  const n = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
  return {
    messageId,
    receiptHandle,
    body,
    enqueueTime: n(row.EnqueueTime),
    firstDequeueTime: n(row.FirstDequeueTime),
    nextVisibleTime: n(row.NextVisibleTime),
    dequeueCount: n(row.DequeueCount),
  };
}

export class MnsAdapter {
  readonly #sdk: MnsSdkClient;
  constructor(sdk: MnsSdkClient) {
    this.#sdk = sdk;
  }

  async #call(operation: string, run: () => Promise<MnsSdkResponse>): Promise<MnsSdkResponse> {
    try {
      return await run();
    } catch (thrown) {
      throw classifyMnsError(thrown, operation);
    }
  }

  /** SendMessage: 201 with `MessageId` (protocols.md 3.3). */
  async sendMessage(queue: string, body: string, delaySeconds: number): Promise<string> {
    const response = await this.#call('SendMessage', () =>
      this.#sdk.sendMessage(queue, { MessageBody: body, DelaySeconds: delaySeconds }),
    );
    return text(expect(response, 201, 'SendMessage').MessageId) ?? '';
  }

  /** PublishMessage: 201 with `MessageId`. `body` is sent byte-exact (escaped for the XML here). */
  async publishMessage(topic: string, body: string): Promise<string> {
    const response = await this.#call('PublishMessage', () =>
      this.#sdk.publishMessage(topic, { MessageBody: escapeXml(body) }),
    );
    return text(expect(response, 201, 'PublishMessage').MessageId) ?? '';
  }

  /** BatchReceiveMessage (≤ 16). An empty queue is `MessageNotExist`, returned here as []. */
  async batchReceive(queue: string, max: number, waitSeconds: number): Promise<ReceivedMessage[]> {
    let response: MnsSdkResponse;
    try {
      response = await this.#sdk.batchReceiveMessage(
        queue,
        Math.min(16, Math.max(1, max)),
        waitSeconds,
      );
    } catch (thrown) {
      if (mnsErrorCode(thrown) === 'MessageNotExist') return [];
      throw classifyMnsError(thrown, 'BatchReceiveMessage');
    }
    if (response.code !== 200 || !Array.isArray(response.body)) {
      throw new MnsUnavailableError(
        `BatchReceiveMessage answered HTTP ${response.code} without messages`,
        {
          code: `HTTP${response.code}`,
          status: response.code,
        },
      );
    }
    return response.body.map(toMessage).filter((m): m is ReceivedMessage => m !== undefined);
  }

  async deleteMessage(queue: string, receiptHandle: string): Promise<void> {
    const response = await this.#call('DeleteMessage', () =>
      this.#sdk.deleteMessage(queue, receiptHandle),
    );
    expect(response, 204, 'DeleteMessage');
  }

  /** ChangeMessageVisibility: answers a NEW receipt handle; the old one is dead (gotcha 16). */
  async changeVisibility(
    queue: string,
    receiptHandle: string,
    visibilityTimeoutS: number,
  ): Promise<{ receiptHandle: string; nextVisibleTime: number }> {
    const response = await this.#call('ChangeMessageVisibility', () =>
      this.#sdk.changeMessageVisibility(queue, receiptHandle, visibilityTimeoutS),
    );
    const body = expect(response, 200, 'ChangeMessageVisibility');
    const handle = text(body.ReceiptHandle);
    if (handle === undefined) {
      throw new MnsUnavailableError('ChangeMessageVisibility answered without a ReceiptHandle', {
        code: 'InvalidResponse',
      });
    }
    return { receiptHandle: handle, nextVisibleTime: Number(text(body.NextVisibleTime) ?? 0) };
  }
}
