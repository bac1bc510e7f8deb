/** Small, realistic builders for tests: DAS answers, policies, track requests. */
import type { PollPolicy } from '../../shared/config/index.js';
import type { KillTaskResult, SessionResult } from '../../shared/das/result.js';

export const POLICY: PollPolicy = { minDelayS: 5, maxDelayS: 60, trackTimeoutS: 3600 };
export const T0 = Date.UTC(2026, 11, 4, 6, 0, 0);

export const RDS_REQUEST = {
  InstanceId: 'rm-2ze1jdv45i7l6abcd',
  TaskId: 'f77d535b45405bd462b21caa3ee8abcd',
};
export const POLAR_REQUEST = {
  InstanceId: 'pc-bp1h12rv501cvxyz1',
  NodeId: 'pi-bp1h12rv501cvxyz2',
  TaskId: 'a11d535b45405bd462b21caa3ee8ef01',
};

export function session(overrides: Partial<SessionResult> = {}): SessionResult {
  return {
    Id: 8357518,
    User: 'app_rw',
    Host: '10.1.2.3:23428',
    Db: 'orders',
    Command: 'Query',
    Time: 41,
    State: 'Sending data',
    Info: "SELECT * FROM orders WHERE customer = 'Zhang San' AND id = 42",
    Active: true,
    TaskId: 'task_d9e94107-6116-4ac3-b874-81466aff0001',
    Reason: 'SESSION_KILLED',
    ...overrides,
  };
}

export function result(overrides: Partial<KillTaskResult> = {}): KillTaskResult {
  return {
    TaskId: RDS_REQUEST.TaskId,
    UserId: '164882191396',
    InstanceId: RDS_REQUEST.InstanceId,
    TaskState: 'RUNNING',
    Sessions: [1, 2, 3, 4],
    KillSuccessCount: 1,
    KillFailCount: 0,
    IgnoredUserSessionCount: 0,
    Result: [session({ Id: 1 })],
    RequestId: 'B6D17591-B48B-4D31-9CD6-9B9796B20001',
    ...overrides,
  };
}

/** A deterministic "random" that always answers the same fraction. */
export const fixedRandom = (value: number) => () => value;
