import { findImageInput, findImageInputFile } from '../../../functions/lib/build/image-files';
import { BuildArtifactError } from '../../../functions/lib/shared/errors';

const files = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));

describe('findImageInput', () => {
  it.each([
    [
      'imageDetail.json at the root',
      { 'imageDetail.json': '{"ImageURI":"r/app:1","ImageTags":["1"]}' },
      { file: 'imageDetail.json', imageUri: 'r/app:1' },
    ],
    [
      'a BOM and spaces around the URI',
      { 'imageDetail.json': '\uFEFF{"ImageURI":" r/app:2 "}' },
      { file: 'imageDetail.json', imageUri: 'r/app:2' },
    ],
    [
      'imagedefinitions.json',
      {
        'imagedefinitions.json':
          '[{"name":"web","imageUri":"r/web:1"},{"name":"envoy","imageUri":"r/envoy:1"}]',
      },
      {
        file: 'imagedefinitions.json',
        images: [
          { name: 'web', imageUri: 'r/web:1' },
          { name: 'envoy', imageUri: 'r/envoy:1' },
        ],
      },
    ],
    [
      'imageDetail.json over imagedefinitions.json',
      {
        'imagedefinitions.json': '[{"name":"web","imageUri":"r/web:1"}]',
        'out/imageDetail.json': '{"ImageURI":"r/app:3"}',
      },
      { file: 'imageDetail.json', imageUri: 'r/app:3' },
    ],
  ])('reads %s', (_name, artifact, expected) => {
    expect(findImageInput(files(artifact))).toEqual(expected);
  });

  it('prefers the file nearest the root', () => {
    expect(findImageInputFile(files({ 'a/b/imageDetail.json': '{}', 'z/imageDetail.json': '{}' })).path).toBe(
      'z/imageDetail.json',
    );
  });

  it.each([
    [
      'malformed JSON',
      { 'imageDetail.json': '{"ImageURI":' },
      /^build artifact imageDetail\.json: not valid JSON at line 1, column 13: .*; an imageDetail\.json is \{"ImageURI"/,
    ],
    [
      'no ImageURI',
      { 'imageDetail.json': '{"imageUri":"r/app:1"}' },
      /^build artifact imageDetail\.json: ImageURI is missing: expected a non-empty string, e.g. \{"ImageURI": .*\(keys are case-sensitive: found "imageUri"\)$/,
    ],
    [
      'an empty ImageURI',
      { 'imageDetail.json': '{"ImageURI":""}' },
      /imageDetail\.json: ImageURI is "": expected a non-empty string, e.g. \{"ImageURI"/,
    ],
    [
      'a list instead of an object',
      { 'imageDetail.json': '["r/app:1"]' },
      /imageDetail\.json: the file is an array: expected a JSON object, e.g. \{"ImageURI"/,
    ],
    [
      'imagedefinitions as an object',
      { 'imagedefinitions.json': '{"name":"web"}' },
      /^build artifact imagedefinitions\.json: the file is an object: expected a non-empty JSON array, e.g. \[\{"name": /,
    ],
    [
      'an entry without imageUri',
      { 'imagedefinitions.json': '[{"name":"web"}]' },
      /^build artifact imagedefinitions\.json: \[0\]\.imageUri is missing: expected a non-empty string, e.g. \[\{"name": "<container name>", "imageUri": /,
    ],
    [
      'neither file',
      { 'app.jar': 'x', 'README.md': 'y' },
      /neither imageDetail.json .* nor imagedefinitions.json .*it holds: app.jar, README.md\. Add one to artifacts.files in buildspec.yml/,
    ],
  ])('rejects %s, naming the file and the expected shape', (_name, artifact, message) => {
    expect(() => findImageInput(files(artifact))).toThrow(BuildArtifactError);
    expect(() => findImageInput(files(artifact))).toThrow(message);
  });
});
