/**
 * A whole local "cloud" for the tracker: DAS, MNS (tracking queue, notify topic with a subscriber
 * queue) and a webhook receiver, all on loopback, all accepting one function role's STS
 * credentials, as FC hands the same role credentials to every call. Used by the end-to-end tests,
 * the demo and the local runner.
 */
import { DasEmulator } from './das/index.js';
import type { FunctionSpec } from './fc/runtime.js';
import { MnsEmulator } from './mns/index.js';
import { WebhookReceiver, type WebhookReceiverOptions } from './webhook.js';

/** The STS credentials of the emulated function role (FC passes them in `context.credentials`). */
export const ROLE_CREDENTIALS = Object.freeze({
  accessKeyId: 'STS.NUFcRoleTemporaryKey0001',
  accessKeySecret: 'FcRoleStsSecret00000000000000001',
  securityToken: 'CAISFcRoleSecurityToken+Emulated/0123456789==',
});

/** A long-lived key, as a user's producer script would hold (never given to the function). */
export const USER_CREDENTIALS = Object.freeze({
  accessKeyId: 'LTAI5tEmuUserKey00000001',
  accessKeySecret: 'EmuUserSecret000000000000000001',
});

export const ACCOUNT_ID = '1648821913960001';
export const TRACK_QUEUE = 'das-kill-tracker';
export const NOTIFY_TOPIC = 'das-kill-summaries';
/** A queue subscribed to the notify topic: what a subscriber of the topic receives. */
export const SUBSCRIBER_QUEUE = 'das-kill-summaries-subscriber';
export const WEBHOOK_SECRET = `whsec_${Buffer.from('das-kill-tracker-local-webhook-secret!!').toString('base64')}`;

export interface LocalCloudOptions {
  readonly clock?: () => number;
  readonly webhook?: Omit<WebhookReceiverOptions, 'secret'>;
  /** Queue attributes of the tracking queue (visibility timeout for pull mode, …). */
  readonly visibilityTimeoutS?: number;
}

export interface LocalCloud {
  readonly das: DasEmulator;
  readonly mns: MnsEmulator;
  readonly webhook: WebhookReceiver;
  /** The function's environment variables pointing at the emulators. */
  readonly env: Record<string, string>;
  /** What FC would know of the function: name, timeout, region, account, role credentials. */
  readonly functionSpec: FunctionSpec;
  close(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const credentials = [ROLE_CREDENTIALS, USER_CREDENTIALS];
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const das = await DasEmulator.start({ credentials, ...clock });
  const mns = await MnsEmulator.start({ accountId: ACCOUNT_ID, credentials, ...clock });
  const webhook = await WebhookReceiver.start({ ...options.webhook, secret: WEBHOOK_SECRET });
  mns.createQueue(TRACK_QUEUE, { VisibilityTimeout: options.visibilityTimeoutS ?? 30 });
  mns.createTopic(NOTIFY_TOPIC);
  mns.createQueue(SUBSCRIBER_QUEUE);
  mns.subscribeQueue(NOTIFY_TOPIC, SUBSCRIBER_QUEUE);
  return {
    das,
    mns,
    webhook,
    env: {
      DAS_ENDPOINT: das.url,
      MNS_ENDPOINT: mns.url,
      TRACK_QUEUE,
      NOTIFY_TOPIC,
      WEBHOOK_URL: webhook.url,
      WEBHOOK_SECRET,
    },
    functionSpec: {
      name: 'das-kill-tracker',
      handler: 'index.handler',
      timeoutS: 60,
      memoryMB: 256,
      region: 'cn-shanghai',
      accountId: ACCOUNT_ID,
      credentials: ROLE_CREDENTIALS,
    },
    async close() {
      await Promise.all([das.close(), mns.close(), webhook.close()]);
    },
  };
}
