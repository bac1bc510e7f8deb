/**
 * MNS topic sink: `PublishMessage` with the summary JSON as the message body, byte-exact for
 * subscribers (SPEC 6). The adapter escapes the XML the SDK would otherwise break.
 */
import { MnsRejectedError, SinkRejectedError, SinkUnavailableError } from '../errors.js';
import type { MnsAdapter } from '../mns/client.js';
import type { Delivery, Sink } from './types.js';

export class TopicSink implements Sink {
  readonly name = 'topic';
  readonly #mns: () => Promise<MnsAdapter>;
  readonly #topic: string;

  /** `mns` is resolved per call: the adapter depends on the invocation's credentials. */
  constructor(topic: string, mns: () => Promise<MnsAdapter>) {
    this.#topic = topic;
    this.#mns = mns;
  }

  async publish(delivery: Delivery): Promise<void> {
    try {
      await (await this.#mns()).publishMessage(this.#topic, delivery.json);
    } catch (error) {
      const message = `topic ${this.#topic}: ${error instanceof Error ? error.message : String(error)}`;
      const details =
        error instanceof MnsRejectedError ? { code: error.code, requestId: error.requestId } : {};
      throw error instanceof MnsRejectedError
        ? new SinkRejectedError(message, details, { cause: error })
        : new SinkUnavailableError(message, details, { cause: error });
    }
  }
}
