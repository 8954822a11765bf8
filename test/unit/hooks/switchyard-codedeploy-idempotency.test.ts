/** hooks/switchyard-codedeploy.js exposes a hook's idempotency key: the event's LifecycleEventHookExecutionId. */
import { hookPayload, type RunHooksInput } from '../../../functions/lib/deploy/hooks';
import { idempotencyKey } from '../../../hooks/switchyard-codedeploy';
import { loadEvent } from '../../support/events';

const sample = loadEvent<RunHooksInput>('run-hooks');

describe('idempotencyKey', () => {
  it('is the LifecycleEventHookExecutionId RunHooks sends, the same for the same input every time', () => {
    const first = hookPayload(sample, 'CodeDeployHook_web-smoke-test');
    const again = hookPayload(structuredClone(sample), 'CodeDeployHook_web-smoke-test');

    expect(idempotencyKey(first)).toBe(first.LifecycleEventHookExecutionId);
    expect(idempotencyKey(again)).toBe(idempotencyKey(first));
  });

  it("is CodeDeploy's id unchanged under CodeDeploy", () => {
    expect(idempotencyKey({ LifecycleEventHookExecutionId: 'eyJlbmNyeXB0ZWREYXRhIjoiZXhhbXBsZSJ9' })).toBe(
      'eyJlbmNyeXB0ZWREYXRhIjoiZXhhbXBsZSJ9',
    );
  });

  it.each([undefined, null, {}, { LifecycleEventHookExecutionId: '' }])(
    'refuses an event without the id (%j), naming the field',
    (event) => {
      expect(() => idempotencyKey(event as never)).toThrow(TypeError);
      expect(() => idempotencyKey(event as never)).toThrow(
        /^the event has no LifecycleEventHookExecutionId: idempotencyKey\(event\) takes the event a lifecycle hook is invoked with/,
      );
    },
  );
});
