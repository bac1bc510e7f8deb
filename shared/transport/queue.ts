/**
 * MNS queue transport (SPEC 5.2): `SendMessage` to TRACK_QUEUE with `DelaySeconds`; the body is
 * base64 of the JSON track state, which the MNS queue trigger decodes by default
 * (`IsBase64Decode` defaults to true, protocols.md 3.7) and the parser accepts either way.
 */
import { MNS_MAX_DELAY_S } from '../config/index.js';
import type { MnsAdapter } from '../mns/client.js';
import type { Scheduler } from '../track/process.js';
import { encodeState, type TrackState } from '../track/state.js';

export class QueueScheduler implements Scheduler {
  readonly name = 'queue';
  readonly #queue: string;
  readonly #mns: () => Promise<MnsAdapter>;

  constructor(queue: string, mns: () => Promise<MnsAdapter>) {
    this.#queue = queue;
    this.#mns = mns;
  }

  async schedule(state: TrackState, delayS: number): Promise<void> {
    const delay = Math.min(MNS_MAX_DELAY_S, Math.max(0, Math.round(delayS)));
    // One MNS delay covers any wait (7 days): no hops, so no wakeAt in what is sent.
    const { wakeAt: _wakeAt, hop: _hop, ...sent } = state;
    await (await this.#mns()).sendMessage(this.#queue, encodeState(sent), delay);
  }
}
