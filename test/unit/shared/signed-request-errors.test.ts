/**
 * How a signed request's error answer is named (functions/lib/shared/signed-request-errors.ts): as the SDK names
 * it, from each protocol's error shape, and marked retryable exactly when errors.ts's isTransient should see it so.
 */
import { isTransient } from '../../../functions/lib/shared/errors';
import { errorOf, isRetryable } from '../../../functions/lib/shared/signed-request-errors';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('errorOf', () => {
  it.each([
    [
      'a JSON 1.0 __type with its namespace',
      400,
      {},
      json({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'failed' }),
      'ConditionalCheckFailedException',
      false,
    ],
    [
      "REST-JSON's X-Amzn-ErrorType with its URL",
      404,
      { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/coral/' },
      json({ Type: 'User', message: 'Function not found' }),
      'ResourceNotFoundException',
      false,
    ],
    [
      'a JSON throttle',
      400,
      {},
      json({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
      'ThrottlingException',
      true,
    ],
    [
      "S3's XML <Code>",
      503,
      {},
      Buffer.from('<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>'),
      'SlowDown',
      true,
    ],
    ['a HEAD 404 without a body', 404, {}, Buffer.alloc(0), 'NotFound', false],
    ['a 500 without a body', 500, {}, Buffer.alloc(0), 'InternalError', true],
    ['a 429 with an unknown code', 429, {}, json({ __type: 'Busy' }), 'Busy', true],
    [
      'a copy that answered 200 with an <Error>',
      200,
      {},
      Buffer.from('<?xml version="1.0"?>\n<Error><Code>InternalError</Code><Message>retry</Message></Error>'),
      'InternalError',
      true,
    ],
  ])('names %s', (_what, status, headers: Record<string, string>, body, name, transient) => {
    const error = errorOf(status, headers, body);
    expect({ name: error.name, status: error.$metadata.httpStatusCode }).toEqual({ name, status });
    expect({ retryable: isRetryable(error), transient: isTransient(error) }).toEqual({
      retryable: transient,
      transient,
    });
  });

  it('keeps the message and the request id', () => {
    const error = errorOf(
      403,
      { 'x-amz-request-id': 'R1' },
      Buffer.from('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'),
    );
    expect({ message: error.message, requestId: error.$metadata.requestId }).toEqual({
      message: 'Access Denied',
      requestId: 'R1',
    });
  });

  it('retries what the network throws, not a failure of the caller', () => {
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(true);
    expect(isRetryable(new TypeError('x is undefined'))).toBe(false);
  });
});
