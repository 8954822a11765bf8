import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { runBuild } from '../../../../cli/build/runner';
import { useMoto } from '../../../support/moto';
import { readZip } from '../../../support/zip-reader';

const BUCKET = 'switchyard-artifacts';

describe('runBuild against moto S3', () => {
  useMoto();
  const s3 = new S3Client({});
  const temporary: string[] = [];

  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads the zipped artifact to the key CodeBuild uses, with the build ARN as metadata', async () => {
    const source = mkdtempSync(join(tmpdir(), 'build-runner-src-'));
    temporary.push(source);
    const buildspec = {
      version: 0.2,
      env: { 'exported-variables': ['IMAGE_URI'] },
      phases: {
        build: {
          commands: [
            'IMAGE_URI="111122223333.dkr.ecr.us-east-1.amazonaws.com/web:$CODEBUILD_RESOLVED_SOURCE_VERSION"',
            'printf \'[{"name":"web","imageUri":"%s"}]\' "$IMAGE_URI" > imagedefinitions.json',
          ],
        },
      },
      artifacts: { files: ['imagedefinitions.json'] },
    };
    writeFileSync(join(source, 'buildspec.yml'), stringify(buildspec));

    const result = await runBuild({
      projectName: 'web-build',
      buildId: 'web-build:5d1c2b7a-0000-4000-8000-000000000001',
      source: { directory: source },
      resolvedSourceVersion: 'abc123',
      artifacts: {
        bucket: BUCKET,
        path: 'build',
        namespaceType: 'BUILD_ID',
        name: 'build.zip',
        packaging: 'ZIP',
      },
      s3,
      baseEnv: { PATH: process.env.PATH },
    });
    temporary.push(result.workDir);

    expect(result.status).toBe('SUCCEEDED');
    const key = 'build/5d1c2b7a-0000-4000-8000-000000000001/build.zip';
    expect(result.artifact).toMatchObject({ bucket: BUCKET, key });
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expect(createHash('sha256').update(body).digest('hex')).toBe(result.artifact?.sha256);
    expect(readZip(body).map((entry) => [entry.path, entry.data.toString()])).toEqual([
      [
        'imagedefinitions.json',
        '[{"name":"web","imageUri":"111122223333.dkr.ecr.us-east-1.amazonaws.com/web:abc123"}]',
      ],
    ]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata).toEqual({ 'codebuild-buildarn': result.arn });
    expect(result.exportedVariables).toEqual([
      { name: 'IMAGE_URI', value: '111122223333.dkr.ecr.us-east-1.amazonaws.com/web:abc123' },
    ]);
  });
});
