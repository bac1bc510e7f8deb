import type { Notice } from '../content.js';

export type Platform = 'dingtalk' | 'lark' | 'wecom' | 'slack';

/** Lays notices out as one platform's robot message, within its limits. */
export interface ChatRenderer {
  readonly platform: Platform;
  /** The JSON body for one notice. */
  single(notice: Notice): Record<string, unknown>;
  /** One message merging several notices; `included` are those that fit (the rest wait). */
  digest(notices: readonly Notice[]): {
    body: Record<string, unknown>;
    included: readonly Notice[];
  };
}
