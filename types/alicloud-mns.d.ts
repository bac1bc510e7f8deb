/**
 * Types for `@alicloud/mns@1.2.0` `lib/client.js`, the CommonJS module the project imports
 * directly (the package's `index.js` would make esbuild follow its es5 build). Written from the
 * package source (`lib/client.js`, `lib/helper.js`); reference/protocols.md 3.6.
 *
 * Behaviour the types cannot say:
 * - Errors: an `<Error>` answer rejects with a plain `Error` whose `name` is `MNS<Code>Error`
 *   (`MNSMessageNotExistError`, `MNSQueueNotExistError`, …) and whose `message` is
 *   `"<METHOD> <url> failed with <status>. requestid: …, hostid: …, message: …"`; `err.code` is
 *   undefined. Network failures and timeouts reject with httpx errors (`RequestTimeoutError`, …).
 * - The HTTP status is never checked: a 5xx answer whose body is not XML RESOLVES with
 *   `body: undefined` (hence `| undefined` on every body).
 * - Every field in a body is a string, numbers included (`DequeueCount: "1"`).
 * - Request values are interpolated into XML unescaped: `MessageBody` must be base64 or
 *   XML-escaped by the caller. Receipt handles go into the query unencoded.
 * - There is no retry.
 */
declare module '@alicloud/mns/lib/client.js' {
  namespace Client {
    interface Options {
      accessKeyId: string;
      accessKeySecret: string;
      /** Sent as the (unsigned) `security-token` header. */
      securityToken?: string;
      /** Full URL (`http://…` or `https://…`); when absent, `region` is required. */
      endpoint?: string;
      region?: string;
      /** https when true (region endpoints only). */
      secure?: boolean;
      /** `-internal` endpoint (region endpoints only). */
      internal?: boolean;
      /** `-internal-vpc` endpoint (with `internal`, region endpoints only). */
      vpc?: boolean;
      /** @default 40000 ms */
      readTimeout?: number;
      /** @default 30000 ms */
      connectTimeout?: number;
      /** Called every `refreshSTSTokenInterval` ms to renew STS credentials. */
      refreshSTSToken?: () => Promise<{
        accessKeyId: string;
        accessKeySecret: string;
        securityToken: string;
      }>;
      /** @default 300000 ms */
      refreshSTSTokenInterval?: number;
    }

    interface Response<Body, Headers = Record<string, never>> {
      /** The HTTP status. */
      code: number;
      /** Only the headers the method asks for (`location` for create calls). */
      headers: Headers;
      body: Body;
    }

    interface QueueParams {
      DelaySeconds?: number;
      MaximumMessageSize?: number;
      MessageRetentionPeriod?: number;
      VisibilityTimeout?: number;
      PollingWaitSeconds?: number;
      LoggingEnabled?: boolean;
    }

    interface QueueAttributes {
      QueueName: string;
      CreateTime: string;
      LastModifyTime: string;
      DelaySeconds: string;
      MaximumMessageSize: string;
      MessageRetentionPeriod: string;
      VisibilityTimeout: string;
      PollingWaitSeconds: string;
      ActiveMessages: string;
      InactiveMessages: string;
      DelayMessages: string;
      LoggingEnabled?: string;
    }

    interface SendMessageParams {
      /** Interpolated into the XML as is: base64 it or XML-escape it. */
      MessageBody: string;
      /** 0..604800; overrides the queue's DelaySeconds. */
      DelaySeconds?: number;
      /** 1 (highest)..16, default 8. */
      Priority?: number;
    }

    interface SentMessage {
      MessageId: string;
      /** Upper-case hex MD5 of the body. */
      MessageBodyMD5: string;
      /** Set only on per-entry failures of a batch. */
      ErrorCode?: string;
      ErrorMessage?: string;
    }

    interface ReceivedMessage {
      MessageId: string;
      ReceiptHandle: string;
      MessageBodyMD5: string;
      MessageBody: string;
      /** Unix milliseconds, as a string (so are the other times). */
      EnqueueTime: string;
      NextVisibleTime: string;
      FirstDequeueTime: string;
      DequeueCount: string;
      Priority: string;
    }

    interface PeekedMessage {
      MessageId: string;
      MessageBodyMD5: string;
      MessageBody: string;
      EnqueueTime: string;
      FirstDequeueTime?: string;
      DequeueCount: string;
      Priority: string;
    }

    interface BatchDeleteError {
      ErrorCode: string;
      ErrorMessage: string;
      ReceiptHandle: string;
    }

    interface ChangedVisibility {
      /** The NEW receipt handle; the old one is dead. */
      ReceiptHandle: string;
      NextVisibleTime: string;
    }

    interface TopicParams {
      MaximumMessageSize?: number;
      LoggingEnabled?: boolean;
    }

    interface TopicAttributes {
      TopicName: string;
      CreateTime: string;
      LastModifyTime: string;
      MaximumMessageSize: string;
      MessageRetentionPeriod: string;
      MessageCount: string;
      LoggingEnabled?: string;
    }

    interface PublishMessageParams {
      /** Interpolated into the XML as is: base64 it or XML-escape it. */
      MessageBody: string;
      MessageTag?: string;
      /** Serialized as nested elements, e.g. `{ DirectMail: '{…}' }`. */
      MessageAttributes?: Record<string, unknown>;
    }

    interface PublishedMessage {
      MessageId: string;
      MessageBodyMD5: string;
    }
  }

  class Client {
    constructor(accountId: string, options: Client.Options);

    readonly accountid: string;
    readonly endpoint: string;

    /** PUT /queues/{name}: 201 (created, `location` set) or 204 (already there, same attributes). */
    createQueue(
      name: string,
      params?: Client.QueueParams,
    ): Promise<Client.Response<undefined, { location: string | undefined }>>;
    deleteQueue(name: string): Promise<Client.Response<undefined>>;
    getQueueAttributes(name: string): Promise<Client.Response<Client.QueueAttributes | undefined>>;
    setQueueAttributes(
      name: string,
      params?: Client.QueueParams,
    ): Promise<Client.Response<undefined>>;

    /** POST /queues/{name}/messages: 201. */
    sendMessage(
      queueName: string,
      params: Client.SendMessageParams,
    ): Promise<Client.Response<Client.SentMessage | undefined>>;
    /** Throws TypeError when the answer is not XML (the SDK reads `body.Message`). */
    batchSendMessage(
      queueName: string,
      params: Client.SendMessageParams[],
    ): Promise<Client.Response<Client.SentMessage[] | undefined>>;
    /** `waitSeconds` 0 or absent: the queue's PollingWaitSeconds. Empty queue: MNSMessageNotExistError. */
    receiveMessage(
      queueName: string,
      waitSeconds?: number,
    ): Promise<Client.Response<Client.ReceivedMessage | undefined>>;
    /** 1..16 messages; may return fewer. Throws TypeError when the answer is not XML. */
    batchReceiveMessage(
      queueName: string,
      numOfMessages: number,
      waitSeconds?: number,
    ): Promise<Client.Response<Client.ReceivedMessage[] | undefined>>;
    peekMessage(queueName: string): Promise<Client.Response<Client.PeekedMessage | undefined>>;
    batchPeekMessage(
      queueName: string,
      numOfMessages: number,
    ): Promise<Client.Response<Client.PeekedMessage[] | undefined>>;
    /** DELETE …?ReceiptHandle=<raw>: 204. */
    deleteMessage(queueName: string, receiptHandle: string): Promise<Client.Response<undefined>>;
    /** 204 with `body` undefined when all succeed; 404 with the failed entries otherwise (resolves). */
    batchDeleteMessage(
      queueName: string,
      receiptHandles: string[],
    ): Promise<Client.Response<Client.BatchDeleteError[] | undefined>>;
    /** PUT …?receiptHandle=<raw>&visibilityTimeout=N (1..43200): 200 with a new handle. */
    changeMessageVisibility(
      queueName: string,
      receiptHandle: string,
      visibilityTimeout: number,
    ): Promise<Client.Response<Client.ChangedVisibility | undefined>>;

    createTopic(
      name: string,
      params?: Client.TopicParams,
    ): Promise<Client.Response<undefined, { location: string | undefined }>>;
    getTopicAttributes(name: string): Promise<Client.Response<Client.TopicAttributes | undefined>>;
    setTopicAttributes(
      name: string,
      params?: Client.TopicParams,
    ): Promise<Client.Response<undefined>>;
    /** POST /topics/{name}/messages: 201. */
    publishMessage(
      topic: string,
      params: Client.PublishMessageParams,
    ): Promise<Client.Response<Client.PublishedMessage | undefined>>;
  }

  export = Client;
}
