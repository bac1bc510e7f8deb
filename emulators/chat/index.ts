/**
 * Local receivers that behave like the incoming-robot endpoints of DingTalk, Lark/Feishu, WeCom
 * and Slack: real signatures, payload shapes, size limits, rate limits and error bodies, plus
 * scripted faults, so the tracker's chat sinks can be tested end to end over HTTP.
 */
export type { ChatAttempt, ChatFault, ChatMessage } from './common.js';
export { DingTalkReceiver, type DingTalkReceiverOptions, dingtalkSign } from './dingtalk.js';
export { LarkReceiver, type LarkReceiverOptions, larkSign } from './lark.js';
export { SlackReceiver, type SlackReceiverOptions } from './slack.js';
export { WeComReceiver, type WeComReceiverOptions } from './wecom.js';
