/**
 * An ECS client of the deploy stage (a JSON 1.1 client, functions/lib/shared/aws-json.ts) whose every call passes
 * through a test's function: to inject a fault the emulator cannot produce, or a race right after a call.
 */
import type { JsonClient } from '../../functions/lib/shared/aws-json';
import type { AwsResponse } from '../../functions/lib/shared/signed-request';

/** `client` with each call sent through `around(operation, send)`; `send()` makes the real call. */
export function ecsAround(
  client: JsonClient,
  around: (operation: string, send: () => Promise<AwsResponse>) => Promise<AwsResponse>,
): JsonClient {
  const prefix = `${client.service.targetPrefix}.`;
  return {
    service: client.service,
    sender: {
      region: client.sender.region,
      send: (request, options) => {
        const operation = (request.headers?.['x-amz-target'] ?? '').replace(prefix, '');
        return around(operation, () => client.sender.send(request, options));
      },
    },
  };
}
