import { findImageFiles, readImageInput } from '../../../functions/lib/build/image-files';
import { BuildArtifactError } from '../../../functions/lib/shared/errors';

const files = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
const DEFAULT = [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json' }];
const findImageInput = (artifact: Map<string, Buffer>) => readImageInput(artifact, DEFAULT);

describe('readImageInput', () => {
  it.each([
    [
      'imageDetail.json at the root',
      { 'imageDetail.json': '{"ImageURI":"r/app:1","ImageTags":["1"]}' },
      { details: [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json', imageUri: 'r/app:1' }] },
    ],
    [
      'a BOM and spaces around the URI',
      { 'imageDetail.json': '\uFEFF{"ImageURI":" r/app:2 "}' },
      { details: [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json', imageUri: 'r/app:2' }] },
    ],
    [
      'imagedefinitions.json',
      {
        'imagedefinitions.json':
          '[{"name":"web","imageUri":"r/web:1"},{"name":"envoy","imageUri":"r/envoy:1"}]',
      },
      {
        details: [],
        definitions: {
          file: 'imagedefinitions.json',
          images: [
            { name: 'web', imageUri: 'r/web:1' },
            { name: 'envoy', imageUri: 'r/envoy:1' },
          ],
        },
      },
    ],
    [
      'imageDetail.json over imagedefinitions.json',
      {
        'imagedefinitions.json': '[{"name":"web","imageUri":"r/web:1"}]',
        'imageDetail.json': '{"ImageURI":"r/app:3"}',
      },
      { details: [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json', imageUri: 'r/app:3' }] },
    ],
    [
      'no image file at all (a template that names its images in full)',
      { 'taskdef.json': '{}' },
      { details: [] },
    ],
  ])('reads %s', (_name, artifact, expected) => {
    expect(findImageInput(files(artifact))).toEqual(expected);
  });

  it("reads each bound file at its exact path, as the action reads each image artifact's root", () => {
    const artifact = files({
      'imageDetail.json': '{"ImageURI":"r/web:1"}',
      'sidecar/imageDetail.json': '{"ImageURI":"r/envoy:1"}',
      'other/imageDetail.json': '{"ImageURI":"r/ignored:1"}',
    });
    expect(
      readImageInput(artifact, [
        { placeholder: 'IMAGE_NAME', file: 'imageDetail.json' },
        { placeholder: 'SIDECAR', file: 'sidecar/imageDetail.json' },
      ]),
    ).toEqual({
      details: [
        { placeholder: 'IMAGE_NAME', file: 'imageDetail.json', imageUri: 'r/web:1' },
        { placeholder: 'SIDECAR', file: 'sidecar/imageDetail.json', imageUri: 'r/envoy:1' },
      ],
    });
    // A deeper imageDetail.json is not the bound one: CodePipeline reads the artifact's root only.
    expect(findImageFiles(files({ 'out/imageDetail.json': '{}' }), DEFAULT)).toEqual({ details: [] });
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
  ])('rejects %s, naming the file and the expected shape', (_name, artifact, message) => {
    expect(() => findImageInput(files(artifact))).toThrow(BuildArtifactError);
    expect(() => findImageInput(files(artifact))).toThrow(message);
  });
});
