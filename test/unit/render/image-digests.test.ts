/**
 * Which images are ECR images, and the PinImageDigests setting (functions/lib/render/image-digests.ts); the
 * pinning itself runs against the emulator's ECR in test/integration/render/image-digests.test.ts.
 */
import { parseEcrImage, readPinSetting } from '../../../functions/lib/render/image-digests';
import { ConfigurationError } from '../../../functions/lib/shared/errors';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseEcrImage', () => {
  it.each([
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.2.3',
      { account: '123456789012', region: 'eu-west-1', repository: 'team/web', tag: '1.2.3' },
    ],
    [
      '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/web',
      { account: '123456789012', region: 'us-gov-west-1', repository: 'web' },
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1',
      { account: '123456789012', region: 'cn-north-1', repository: 'web', tag: 'v1' },
    ],
    [
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1@${DIGEST}`,
      { account: '123456789012', region: 'us-east-1', repository: 'web', tag: 'v1', digest: DIGEST },
    ],
  ])('reads %s', (image, parts) => {
    expect(parseEcrImage(image)).toMatchObject(parts);
    expect(parseEcrImage(image)?.registry).toBe(image.slice(0, image.indexOf('/')));
  });

  it.each([
    'public.ecr.aws/nginx/nginx:1.27',
    'nginx:latest',
    'ghcr.io/org/app:1',
    '12345.dkr.ecr.us-east-1.amazonaws.com/web:v1',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/Web:v1',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:<IMAGE1_NAME>',
  ])('is not an ECR image reference it can pin: %s', (image) => {
    expect(parseEcrImage(image)).toBeUndefined();
  });
});

describe('readPinSetting', () => {
  const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/switchyard-sample-app';

  it('pins the stack repository when "true", nothing when "false"', () => {
    expect(readPinSetting({ PIN_IMAGE_DIGESTS: 'true', ECR_REPOSITORY_URI: uri })).toEqual({
      repositoryUri: uri,
    });
    expect(readPinSetting({ PIN_IMAGE_DIGESTS: 'false' })).toBeUndefined();
  });

  it('names the parameter when the setting is neither, or the repository URI is not one', () => {
    expect(() => readPinSetting({ PIN_IMAGE_DIGESTS: 'yes', ECR_REPOSITORY_URI: uri })).toThrow(
      new ConfigurationError(
        'environment variable PIN_IMAGE_DIGESTS is "yes": set the stack parameter PinImageDigests to "true" or "false"',
      ),
    );
    expect(() => readPinSetting({ ECR_REPOSITORY_URI: uri })).toThrow(/PIN_IMAGE_DIGESTS is ""/);
    expect(() =>
      readPinSetting({ PIN_IMAGE_DIGESTS: 'true', ECR_REPOSITORY_URI: 'switchyard-sample-app' }),
    ).toThrow(
      /ECR_REPOSITORY_URI is "switchyard-sample-app", not <account>\.dkr\.ecr\.<region>\.amazonaws\.com\/<repository>/,
    );
  });
});
