import {
  IMAGE_DEFINITIONS_SHAPE,
  IMAGE_DETAIL_SHAPE,
  parseImageDefinitions,
  parseImageDetail,
} from '../../../functions/lib/build/image-input';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('parseImageDetail', () => {
  it.each([
    ['a plain file', '{"ImageURI": "r/app:1"}', 'r/app:1'],
    [
      'other keys beside ImageURI',
      '{"ImageURI": "r/app:1", "ImageTags": ["1"], "ImageSizeInBytes": 9}',
      'r/app:1',
    ],
    ['a byte order mark and spaces around the URI', '\uFEFF{"ImageURI": " r/app:2\\n"}', 'r/app:2'],
  ])('reads %s', (_name, text, uri) => {
    expect(parseImageDetail(text, 'imageDetail.json')).toEqual({ ok: true, value: uri });
  });

  it.each([
    [
      'malformed JSON, with line and column',
      '{\n  "ImageURI": r/app:1\n}',
      `out/imageDetail.json: not valid JSON at line 2, column 15: expected a value, found "r/app:1\\n}"; an imageDetail.json is ${IMAGE_DETAIL_SHAPE}`,
    ],
    [
      'an empty file',
      '',
      `out/imageDetail.json: not valid JSON at line 1, column 1: expected a value, found the end of the file; an imageDetail.json is ${IMAGE_DETAIL_SHAPE}`,
    ],
    [
      'a list',
      '["r/app:1"]',
      `out/imageDetail.json: the file is an array: expected a JSON object, e.g. ${IMAGE_DETAIL_SHAPE}`,
    ],
    [
      'a bare URI string',
      '"r/app:1"',
      `out/imageDetail.json: the file is "r/app:1": expected a JSON object, e.g. ${IMAGE_DETAIL_SHAPE}`,
    ],
    [
      'ImageURI spelt in another case',
      '{"imageUri": "r/app:1"}',
      `out/imageDetail.json: ImageURI is missing: expected a non-empty string, e.g. ${IMAGE_DETAIL_SHAPE} (keys are case-sensitive: found "imageUri")`,
    ],
    [
      'a blank ImageURI',
      '{"ImageURI": "  "}',
      `out/imageDetail.json: ImageURI is "  ": expected a non-empty string, e.g. ${IMAGE_DETAIL_SHAPE}`,
    ],
    [
      'a number for ImageURI',
      '{"ImageURI": 3}',
      `out/imageDetail.json: ImageURI is 3: expected a non-empty string, e.g. ${IMAGE_DETAIL_SHAPE}`,
    ],
  ])('rejects %s, naming the file, the field, what was expected and the fix', (_name, text, problem) => {
    expect(parseImageDetail(text, 'out/imageDetail.json')).toEqual({ ok: false, problem });
  });
});

describe('parseImageDefinitions', () => {
  it('reads every entry in order, URIs trimmed', () => {
    const text =
      '\uFEFF[{"name": "web", "imageUri": " r/web:1 "}, {"name": "envoy", "imageUri": "r/envoy:1"}]';
    expect(parseImageDefinitions(text, 'imagedefinitions.json')).toEqual({
      ok: true,
      value: [
        { name: 'web', imageUri: 'r/web:1' },
        { name: 'envoy', imageUri: 'r/envoy:1' },
      ],
    });
  });

  it.each([
    [
      'malformed JSON',
      '[{"name": "web",}]',
      /^defs\.json: not valid JSON at line 1, column 17: expected a property name/,
    ],
    [
      'an object',
      '{"name": "web", "imageUri": "r/web:1"}',
      /^defs\.json: the file is an object: expected a non-empty JSON array/,
    ],
    ['an empty list', '[]', /^defs\.json: the file is an empty array: expected a non-empty JSON array/],
    ['an entry that is a string', '["r/web:1"]', /^defs\.json: \[0\] is "r\/web:1": expected an object/],
    [
      'an entry without a name',
      '[{"imageUri": "r/web:1"}]',
      /^defs\.json: \[0\]\.name is missing: expected the name of a container/,
    ],
    [
      'an empty name',
      '[{"name": "", "imageUri": "r/web:1"}]',
      /^defs\.json: \[0\]\.name is "": expected the name of a container/,
    ],
    [
      'a second entry whose imageUri is spelt in another case',
      '[{"name": "web", "imageUri": "r/web:1"}, {"name": "envoy", "imageURI": "r/envoy:1"}]',
      /^defs\.json: \[1\]\.imageUri is missing: expected a non-empty string, .*\(keys are case-sensitive: found "imageURI"\)$/,
    ],
  ])('rejects %s, naming the file, the entry and the expected shape', (_name, text, problem) => {
    const parsed = parseImageDefinitions(text, 'defs.json');
    expect(parsed.ok).toBe(false);
    const message = parsed.ok ? '' : parsed.problem;
    expect(message).toMatch(problem);
    expect(message).toMatch(new RegExp(`${escapeRegExp(IMAGE_DEFINITIONS_SHAPE)}( \\(keys .*\\))?$`));
  });
});
