import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { envCredentials } from '../../shared/credentials.js';
import { renderSYaml } from '../helpers/s-yaml.js';

/**
 * Every variable the code reads, found by reading them: a Proxy records each name loadConfig and
 * envCredentials ask for, over an environment where every optional feature is switched on (so
 * that reads which depend on another variable happen too).
 */
function variablesTheCodeReads(): Set<string> {
  const everything: Record<string, string> = {
    TRACK_QUEUE: 'q',
    NOTIFY_TOPIC: 't',
    WEBHOOK_URL: 'https://h.example/x',
    DINGTALK_WEBHOOK_URL: 'https://d.example/robot/send?access_token=x',
    LARK_WEBHOOK_URL: 'https://l.example/open-apis/bot/v2/hook/x',
    WECOM_WEBHOOK_URL: 'https://w.example/cgi-bin/webhook/send?key=x',
    SLACK_WEBHOOK_URL: 'https://s.example/services/T/B/x',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
  };
  const read = new Set<string>();
  const env = new Proxy(everything, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  loadConfig(env);
  envCredentials(env);
  return read;
}

// Credentials come from the FC context (or, outside FC, the shell); never from s.yaml.
const NOT_DEPLOYED = /^ALIBABA_CLOUD_/;

describe('configuration variables', () => {
  const read = variablesTheCodeReads();
  const declared = Object.keys(
    renderSYaml({ FUNCTION_ROLE_ARN: 'acs:ram::1:role/r' }).props.environmentVariables,
  );
  const readme = readFileSync('README.md', 'utf8');

  it('finds the variables the code reads', () => {
    expect(read.size).toBeGreaterThan(30);
  });

  it('declares every variable the code reads in s.yaml, and no other', () => {
    const deployed = [...read].filter((name) => !NOT_DEPLOYED.test(name)).sort();
    expect(declared.sort()).toEqual(deployed);
  });

  it('documents every variable the code reads in the README', () => {
    const missing = [...read].filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents every variable of s deploy in the README', () => {
    const yaml = readFileSync('s.yaml', 'utf8').replace(/^\s*#.*$/gm, '');
    const used = new Set([...yaml.matchAll(/\benv\('([A-Z0-9_]+)'/g)].map((m) => m[1] as string));
    expect(used.size).toBeGreaterThan(read.size);
    const missing = [...used].filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
