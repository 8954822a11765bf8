/**
 * The checks of a task definition that RegisterTaskDefinition or a deployment would otherwise fail on: the
 * shape of taskdef.json before anything is filled in, and the rendered result (images bound, FARGATE's task-level
 * settings, memory, environment values, ports, the 64 KiB limit). Each failure is an InvalidInputError naming the
 * file, the JSON path, what was expected and the fix.
 */
import { DEFAULT_IMAGE_PLACEHOLDER } from '../build/image-input';
import { InvalidInputError } from '../shared/errors';
import { isJsonObject, type JsonObject } from '../shared/json';

/** RegisterTaskDefinition rejects a request body over 64 KiB. */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const LEFTOVER_TOKEN = /<[^<>]*>/;

/** Throws InvalidInputError with `message` unless `condition` holds; every render check goes through it. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvalidInputError(message);
}

function checkName(value: unknown, where: string): asserts value is string {
  ensure(
    typeof value === 'string' && NAME.test(value),
    `${where} is ${JSON.stringify(value)}: expected up to 255 letters, digits, "-" or "_"`,
  );
}

/** Checks taskdef.json as written: an object with a family and uniquely named containers. */
export function checkShape(
  taskdef: unknown,
  file: string,
): asserts taskdef is JsonObject & { containerDefinitions: JsonObject[] } {
  ensure(isJsonObject(taskdef), `${file}: expected a JSON object with "family" and "containerDefinitions"`);
  ensure(
    !(isJsonObject(taskdef.taskDefinition) && taskdef.containerDefinitions === undefined),
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
    ensure(isJsonObject(container), `${where} must be an object`);
    checkName(container.name, `${where}.name`);
    ensure(!seen.has(container.name), `${where}.name "${container.name}" is used by two containers`);
    seen.add(container.name);
  });
}

/** Checks the rendered task definition: what ECS needs of the task and of each container. */
export function checkContainers(taskdef: JsonObject, file: string): void {
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
  (taskdef.containerDefinitions as JsonObject[]).forEach((container, index) => {
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

function checkList(list: unknown, where: string, check: (entry: JsonObject, at: string) => void): void {
  if (list === undefined) return;
  ensure(Array.isArray(list), `${where} must be an array`);
  list.forEach((entry: unknown, index) => {
    ensure(isJsonObject(entry), `${where}[${index}] must be an object`);
    check(entry, `${where}[${index}]`);
  });
}

/** Checks that the rendered task definition fits the request size ECS accepts. */
export function checkSize(taskdef: JsonObject, file: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(taskdef));
  ensure(
    bytes <= MAX_TASK_DEFINITION_BYTES,
    `${file}: the rendered task definition is ${bytes} bytes as compact JSON, over the ${MAX_TASK_DEFINITION_BYTES} bytes (64 KiB) ECS accepts: move large values (environment, commands) to environmentFiles or secrets`,
  );
}
