import { describe, expect, it } from 'vitest';
import { startState } from '../../../shared/track/decide.js';
import { fcEndpoint, fcTaskId, MAX_HOP_S } from '../../../shared/transport/fc.js';
import { POLICY, RDS_REQUEST, T0 } from '../../helpers/factories.js';

const state = startState(RDS_REQUEST, T0, POLICY);

describe('fcTaskId', () => {
  it('follows FC task id rules and is the same for the same (task, check, attempt, hop)', () => {
    const id = fcTaskId({ ...state, checks: 3 });
    expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/);
    expect(fcTaskId({ ...state, checks: 3, quiet: 9, deadline: T0 + 1 })).toBe(id);
  });

  it('differs between checks, hops and pending attempts, and between tasks', () => {
    const ids = new Set([
      fcTaskId({ ...state, checks: 1 }),
      fcTaskId({ ...state, checks: 2 }),
      fcTaskId({ ...state, checks: 1, hop: 1 }),
      fcTaskId({ ...state, request: { ...RDS_REQUEST, TaskId: 'other' }, checks: 1 }),
    ]);
    expect(ids.size).toBe(4);
  });

  it('stays short even for the longest ids', () => {
    const long = { InstanceId: 'i'.repeat(128), TaskId: 't'.repeat(128), NodeId: 'n'.repeat(128) };
    expect(fcTaskId({ ...state, request: long, checks: 99_999 }).length).toBeLessThanOrEqual(128);
  });
});

describe('fcEndpoint', () => {
  it('derives the FC 3.0 invocation endpoint from the context, as the fc3 component does', () => {
    expect(fcEndpoint(undefined, '1648', 'cn-hangzhou')).toEqual({
      protocol: 'https',
      host: '1648.cn-hangzhou.fc.aliyuncs.com',
    });
    expect(fcEndpoint(new URL('http://127.0.0.1:9000'))).toEqual({
      protocol: 'http',
      host: '127.0.0.1:9000',
    });
    expect(() => fcEndpoint(undefined)).toThrow(/FC_ENDPOINT/);
  });

  it('keeps a hop within both documented bounds of x-fc-async-delay', () => {
    expect(MAX_HOP_S).toBeLessThan(3600);
  });
});
