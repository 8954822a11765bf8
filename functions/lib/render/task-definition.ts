/**
 * The Render core: turns the repository's taskdef.json and the build's image files into the exact
 * RegisterTaskDefinition input. Pure: it validates everything first, so a bad input never leaves a revision.
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { InvalidInputError } from '../shared/errors';

/** An imageDetail.json from the build, bound to the placeholder `<name>` of the task definition. */
export interface ImageDetailFile {
  name: string;
  file: string;
  text: string;
}

/** The files to render from; `file` values are only used in error messages. */
export interface RenderInput {
  taskdefText: string;
  taskdefFile?: string;
  imageDetails: ImageDetailFile[];
  imageDefinitions?: { file: string; text: string };
}

/** The placeholder an imageDetail.json fills when no name is given (CodePipeline's default). */
export const DEFAULT_IMAGE_PLACEHOLDER = 'IMAGE1_NAME';
/** CodePipeline's ECS blue/green action takes at most four image artifacts. */
export const MAX_IMAGE_DETAILS = 4;
/** RegisterTaskDefinition rejects a request body over 64 KiB. */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;

/**
 * Fields that describe-task-definition prints but RegisterTaskDefinition does not accept: ECS sets them
 * on each revision. A taskdef.json copied from the console or the CLI holds them; they are dropped,
 * as aws-actions/amazon-ecs-deploy-task-definition does.
 */
export const READ_ONLY_FIELDS = [
  'compatibilities', // derived from requiresCompatibilities
  'taskDefinitionArn', // the ARN of the revision it was copied from
  'requiresAttributes', // computed by ECS from the container definitions
  'revision', // assigned by ECS on registration
  'status', // ACTIVE / INACTIVE / DELETE_IN_PROGRESS
  'registeredAt',
  'deregisteredAt',
  'registeredBy',
] as const;

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const PLACEHOLDER_NAME = /^[A-Za-z0-9_]{1,64}$/;
const LEFTOVER_TOKEN = /<[^<>]*>/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renders the task definition to register; throws InvalidInputError naming the file, the field and the fix. */
export function renderTaskDefinition(input: RenderInput): RegisterTaskDefinitionCommandInput {
  const file = input.taskdefFile ?? 'taskdef.json';
  const taskdef = parseJson(input.taskdefText, file);
  checkShape(taskdef, file);
  substituteImages(taskdef, file, input.imageDetails);
  if (input.imageDefinitions) applyImageDefinitions(taskdef, file, input.imageDefinitions);
  for (const field of READ_ONLY_FIELDS) delete taskdef[field];
  const rendered = clean(taskdef, '') as Json;
  checkContainers(rendered, file);
  const bytes = Buffer.byteLength(JSON.stringify(rendered));
  ensure(
    bytes <= MAX_TASK_DEFINITION_BYTES,
    `${file}: the rendered task definition is ${bytes} bytes as compact JSON, over the ${MAX_TASK_DEFINITION_BYTES} bytes (64 KiB) ECS accepts: move large values (environment, commands) to environmentFiles or secrets`,
  );
  return rendered as unknown as RegisterTaskDefinitionCommandInput;
}

function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvalidInputError(message);
}

function checkName(value: unknown, where: string): asserts value is string {
  ensure(
    typeof value === 'string' && NAME.test(value),
    `${where} is ${JSON.stringify(value)}: expected up to 255 letters, digits, "-" or "_"`,
  );
}

function checkShape(
  taskdef: unknown,
  file: string,
): asserts taskdef is Json & { containerDefinitions: Json[] } {
  ensure(isObject(taskdef), `${file}: expected a JSON object with "family" and "containerDefinitions"`);
  ensure(
    !(isObject(taskdef.taskDefinition) && taskdef.containerDefinitions === undefined),
    `${file}: holds describe-task-definition output ({"taskDefinition": {…}}): unwrap it so that the file is the object inside "taskDefinition" (e.g. jq .taskDefinition)`,
  );
  checkName(taskdef.family, `${file}: "family"`);
  const containers = taskdef.containerDefinitions;
  ensure(
    Array.isArray(containers) && containers.length > 0,
    `${file}: "containerDefinitions" must be a non-empty array of containers`,
  );
  const seen = new Set<string>();
  containers.forEach((container: unknown, index) => {
    const where = `${file}: containerDefinitions[${index}]`;
    ensure(isObject(container), `${where} must be an object`);
    checkName(container.name, `${where}.name`);
    ensure(!seen.has(container.name), `${where}.name "${container.name}" is used by two containers`);
    seen.add(container.name);
  });
}

function substituteImages(taskdef: Json, file: string, details: ImageDetailFile[]): void {
  ensure(
    details.length <= MAX_IMAGE_DETAILS,
    `${details.length} image detail files given (${details.map((d) => d.file).join(', ')}): at most ${MAX_IMAGE_DETAILS} are supported`,
  );
  const bound = new Map<string, string>();
  for (const { name, file: detailFile, text } of details) {
    ensure(
      PLACEHOLDER_NAME.test(name),
      `${detailFile}: placeholder name ${JSON.stringify(name)} must be letters, digits and "_" (e.g. IMAGE1_NAME)`,
    );
    ensure(
      !bound.has(name),
      `${detailFile}: placeholder ${name} is already bound to ${bound.get(name)}: give each image detail file its own name (IMAGE1_NAME … IMAGE4_NAME)`,
    );
    bound.set(name, detailFile);
    const parsed = parseJson(text, detailFile);
    const uri = isObject(parsed) ? parsed.ImageURI : undefined;
    ensure(
      typeof uri === 'string' && uri.trim() !== '',
      `${detailFile}: expected {"ImageURI": "<registry>/<repository>:<tag>"} with a non-empty string ImageURI`,
    );
    const token = `<${name}>`;
    let found = false;
    const replace = (value: unknown): unknown => {
      if (typeof value === 'string' && value.includes(token)) {
        found = true;
        return value.split(token).join(uri);
      }
      if (Array.isArray(value)) return value.map(replace);
      if (isObject(value)) for (const key of Object.keys(value)) value[key] = replace(value[key]);
      return value;
    };
    replace(taskdef);
    ensure(
      found,
      `${file}: the placeholder ${token} does not occur, so the image of ${detailFile} (${uri}) would not be deployed: put "${token}" in the container's "image"`,
    );
  }
}

function applyImageDefinitions(taskdef: Json, file: string, source: { file: string; text: string }): void {
  const definitions = parseJson(source.text, source.file);
  const expected = 'expected [{"name": "<container name>", "imageUri": "<image URI>"}, …]';
  ensure(Array.isArray(definitions) && definitions.length > 0, `${source.file}: ${expected}`);
  const containers = taskdef.containerDefinitions as Json[];
  const seen = new Set<string>();
  definitions.forEach((entry: unknown, index) => {
    const where = `${source.file}: [${index}]`;
    ensure(
      isObject(entry) && typeof entry.name === 'string' && typeof entry.imageUri === 'string',
      `${where}: ${expected}`,
    );
    const { name, imageUri } = entry as { name: string; imageUri: string };
    ensure(imageUri.trim() !== '', `${where}.imageUri is empty`);
    ensure(!seen.has(name), `${where}.name "${name}" is listed twice`);
    seen.add(name);
    const container = containers.find((candidate) => candidate.name === name);
    ensure(
      container,
      `${where}.name: container "${name}" is not in task definition "${taskdef.family}" of ${file} (containers: ${containers.map((c) => c.name).join(', ')})`,
    );
    container.image = imageUri;
  });
}

/** `{name, value}` lists (`*` is any index) where "" is a value: an environment variable, an App Mesh property. */
const EMPTY_VALUE_LISTS = ['.containerDefinitions.*.environment.*', '.proxyConfiguration.properties.*'];

/** Drops null, "", [] and {} recursively (keeps 0 and false); undefined means "drop me". */
function clean(value: unknown, path: string): unknown {
  if (value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => clean(item, `${path}.*`)).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!isObject(value)) return value;
  const keepValue = EMPTY_VALUE_LISTS.includes(path);
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    const cleaned = keepValue && key === 'value' && child === '' ? '' : clean(child, `${path}.${key}`);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function checkContainers(taskdef: Json, file: string): void {
  const compatibilities = taskdef.requiresCompatibilities;
  if (Array.isArray(compatibilities) && compatibilities.includes('FARGATE')) {
    for (const field of ['cpu', 'memory']) {
      ensure(
        taskdef[field] !== undefined,
        `${file}: "${field}" is required at task level for FARGATE (e.g. "512")`,
      );
    }
    ensure(
      taskdef.networkMode === 'awsvpc',
      `${file}: "networkMode" is ${JSON.stringify(taskdef.networkMode)}: FARGATE requires "awsvpc"`,
    );
  }
  (taskdef.containerDefinitions as Json[]).forEach((container, index) => {
    const where = `${file}: containerDefinitions[${index}] ("${container.name}")`;
    const { image } = container;
    ensure(
      typeof image === 'string',
      `${where}.image is missing: write the image URI or a placeholder bound to an image detail file, e.g. "<${DEFAULT_IMAGE_PLACEHOLDER}>"`,
    );
    const token = LEFTOVER_TOKEN.exec(image)?.[0];
    ensure(
      token === undefined,
      `${where}.image "${image}" still holds ${token}: bind an imageDetail.json to ${token?.slice(1, -1)} or write the image URI`,
    );
    ensure(
      [taskdef.memory, container.memory, container.memoryReservation].some((memory) => memory !== undefined),
      `${where}: no "memory" or "memoryReservation", and no task-level "memory": ECS needs one of them`,
    );
    checkList(container.environment, `${where}.environment`, ({ name, value }, at) => {
      ensure(typeof name === 'string', `${at}.name must be a string`);
      ensure(
        value === undefined || typeof value === 'string',
        `${at}.value of "${name}" is ${JSON.stringify(value)}: ECS takes strings only, write ${JSON.stringify(String(value))}`,
      );
    });
    checkList(container.portMappings, `${where}.portMappings`, ({ containerPort: port }, at) => {
      ensure(
        port === undefined || (Number.isInteger(port) && Number(port) >= 0 && Number(port) <= 65535),
        `${at}.containerPort is ${JSON.stringify(port)}: expected a number 0-65535`,
      );
    });
  });
}

function checkList(list: unknown, where: string, check: (entry: Json, at: string) => void): void {
  if (list === undefined) return;
  ensure(Array.isArray(list), `${where} must be an array`);
  list.forEach((entry: unknown, index) => {
    ensure(isObject(entry), `${where}[${index}] must be an object`);
    check(entry, `${where}[${index}]`);
  });
}

/** Parses a JSON file (a UTF-8 BOM is accepted); a syntax error names the file, the line and the column. */
export function parseJson(text: string, file: string): unknown {
  const body = stripBom(text);
  try {
    return JSON.parse(body);
  } catch {
    const { offset, expected } = locateJsonError(body);
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const found =
      offset < body.length ? JSON.stringify(body.slice(offset, offset + 12)) : 'the end of the file';
    throw new InvalidInputError(
      `${file}: not valid JSON at line ${line}, column ${column}: expected ${expected}, found ${found}`,
    );
  }
}

/** Text without its UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings must not hold raw control characters.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** JSON.parse on Node 20 often gives no position: find the first offset where the text stops being JSON. */
function locateJsonError(text: string): { offset: number; expected: string } {
  let i = 0;
  const eat = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    const matched = pattern.exec(text) !== null;
    if (matched) i = pattern.lastIndex;
    return matched;
  };
  const punctuation = (char: string): boolean => {
    if (text[i] !== char) return false;
    i += 1;
    return true;
  };
  const collection = (close: string, item: () => string | undefined): string | undefined => {
    i += 1;
    eat(WHITESPACE);
    if (punctuation(close)) return undefined;
    for (;;) {
      const failed = item();
      if (failed !== undefined) return failed;
      eat(WHITESPACE);
      if (punctuation(close)) return undefined;
      if (!punctuation(',')) return `',' or '${close}'`;
      eat(WHITESPACE);
    }
  };
  const value = (): string | undefined => {
    eat(WHITESPACE);
    if (text[i] === '{') {
      return collection('}', () => {
        if (!eat(STRING)) return 'a property name in double quotes';
        eat(WHITESPACE);
        return punctuation(':') ? value() : "':'";
      });
    }
    if (text[i] === '[') return collection(']', value);
    return eat(STRING) || eat(LITERAL) ? undefined : 'a value';
  };
  const expected = value() ?? (eat(WHITESPACE) && i < text.length ? 'the end of the file' : 'valid JSON');
  return { offset: i, expected };
}
