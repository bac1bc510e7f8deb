/**
 * Global test setup: tests never depend on the developer's shell. Every variable the tracker
 * reads is cleared, so a test sets exactly what it needs (through `loadConfig(env)` objects,
 * not process.env, wherever it can).
 */
const TRACKER_VARIABLE =
  /^(DAS_|MNS_|TRACK_|NOTIFY_|WEBHOOK_|POLL_|SUMMARY_|DINGTALK_|LARK_|WECOM_|SLACK_|FC_|ALIBABA_CLOUD_|LOG_LEVEL$)/;
for (const name of Object.keys(process.env)) {
  if (TRACKER_VARIABLE.test(name)) delete process.env[name];
}
