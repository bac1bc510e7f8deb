import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';
import { renderSYaml } from '../helpers/s-yaml.js';

const schema = JSON.parse(readFileSync(fixturePath('fc3-schema.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const BASE = {
  FUNCTION_ROLE_ARN: 'acs:ram::1648821913960001:role/das-kill-tracker',
  ACCOUNT_ID: '1648821913960001',
};

const triggerNames = (env: Record<string, string>) =>
  renderSYaml({ ...BASE, ...env }).props.triggers;
const enabled = (trigger: { triggerType: string; triggerConfig: Record<string, unknown> }) =>
  trigger.triggerType === 'eventbridge'
    ? trigger.triggerConfig.triggerEnable
    : (trigger.triggerConfig.enable ?? true);

describe('s.yaml', () => {
  it.each([
    ['push mode (the defaults)', {}],
    ['pull mode', { TRACK_MODE: 'pull' }],
    ['the FC transport', { TRACK_TRANSPORT: 'fc' }],
    [
      'a request topic and overrides from the environment',
      { REQUEST_TOPIC: 'das-kill-requests', MEMORY_SIZE: '512', FUNCTION_TIMEOUT_S: '120' },
    ],
  ])('renders, for %s, props that the fc3 component schema accepts', (_case, env) => {
    const { props } = renderSYaml({ ...BASE, ...env });
    const ok = validate(props);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('deploys the built bundle with the Node.js 20 runtime and builds it before deploying', () => {
    const { raw, props } = renderSYaml(BASE);
    expect(raw.edition).toBe('3.0.0');
    expect(props).toMatchObject({
      runtime: 'nodejs20',
      code: './dist/tracker',
      handler: 'index.handler',
      memorySize: 256,
      timeout: 60,
    });
    const actions = (
      raw.resources as { tracker: { component: string; actions: Record<string, unknown> } }
    ).tracker;
    expect(actions.component).toBe('fc3');
    expect(actions.actions['pre-deploy']).toEqual([{ run: 'npm ci && npm run build', path: './' }]);
  });

  it('enables exactly one of the queue trigger and the timer, chosen by TRACK_MODE', () => {
    for (const [mode, active] of [
      ['push', 'eventbridge'],
      ['pull', 'timer'],
    ] as const) {
      const triggers = triggerNames({ TRACK_MODE: mode });
      expect(triggers.filter(enabled).map((t) => t.triggerType)).toEqual([active]);
    }
  });

  it('reads queue bodies as sent (the tracker decodes base64 itself)', () => {
    const queue = triggerNames({}).find((t) => t.triggerType === 'eventbridge');
    expect(queue?.triggerConfig).toMatchObject({
      eventSourceConfig: {
        eventSourceType: 'MNS',
        eventSourceParameters: {
          sourceMNSParameters: { QueueName: 'das-kill-tracker', IsBase64Decode: false },
        },
      },
      eventRuleFilterPattern: '{"source":["MNS-das-kill-tracker-track-queue"]}',
    });
  });

  it('has no queue trigger with the FC transport, and a topic trigger only when REQUEST_TOPIC is set', () => {
    expect(triggerNames({ TRACK_TRANSPORT: 'fc' }).map((t) => t.triggerType)).toEqual(['timer']);
    expect(
      renderSYaml({ ...BASE, TRACK_TRANSPORT: 'fc' }).props.environmentVariables.TRACK_QUEUE,
    ).toBe('');
    expect(triggerNames({}).some((t) => t.triggerType === 'mns_topic')).toBe(false);
    const topic = triggerNames({ REQUEST_TOPIC: 'das-kill-requests' }).find(
      (t) => t.triggerType === 'mns_topic',
    );
    expect(topic).toMatchObject({
      sourceArn: 'acs:mns:cn-shanghai:1648821913960001:/topics/das-kill-requests',
    });
  });

  it('sends failed asynchronous invocations to a dead-letter queue', () => {
    expect(renderSYaml(BASE).props.asyncInvokeConfig).toMatchObject({
      destinationConfig: {
        onFailure: {
          destination:
            'acs:mns:cn-shanghai:1648821913960001:/queues/das-kill-tracker-failures/messages',
        },
      },
    });
  });

  it('takes the account id from the function role ARN when ACCOUNT_ID is not set', () => {
    const { ACCOUNT_ID: _account, ...withoutAccount } = BASE;
    const { props } = renderSYaml({ ...withoutAccount, REQUEST_TOPIC: 'das-kill-requests' });
    expect(props.asyncInvokeConfig).toMatchObject({
      destinationConfig: {
        onFailure: {
          destination:
            'acs:mns:cn-shanghai:1648821913960001:/queues/das-kill-tracker-failures/messages',
        },
      },
    });
    expect(props.triggers.find((t) => t.triggerType === 'mns_topic')).toMatchObject({
      sourceArn: 'acs:mns:cn-shanghai:1648821913960001:/topics/das-kill-requests',
    });
  });

  it('refuses to render without the function role: least privilege is not optional', () => {
    expect(() => renderSYaml({})).toThrow(/FUNCTION_ROLE_ARN/);
  });
});
