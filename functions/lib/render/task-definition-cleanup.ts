/**
 * The clean-up of a task definition before it is registered, as aws-actions/amazon-ecs-deploy-task-definition
 * does: the read-only fields a copied definition carries are dropped, and so are empty values (null, "", [], {}),
 * which RegisterTaskDefinition would reject or store as noise.
 */
import { isJsonObject, type JsonObject } from '../shared/json';

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

/** `{name, value}` lists (`*` is any index) where "" is a value: an environment variable, an App Mesh property. */
const EMPTY_VALUE_LISTS = ['.containerDefinitions.*.environment.*', '.proxyConfiguration.properties.*'];

/** The task definition without its read-only fields and empty values (a new object; `taskdef` is left as is). */
export function cleanTaskDefinition(taskdef: JsonObject): JsonObject {
  const writable = { ...taskdef };
  for (const field of READ_ONLY_FIELDS) delete writable[field];
  return (clean(writable, '') as JsonObject | undefined) ?? {};
}

/** Drops null, "", [] and {} recursively (keeps 0 and false); undefined means "drop me". */
function clean(value: unknown, path: string): unknown {
  if (value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => clean(item, `${path}.*`)).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!isJsonObject(value)) return value;
  const keepValue = EMPTY_VALUE_LISTS.includes(path);
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    const cleaned = keepValue && key === 'value' && child === '' ? '' : clean(child, `${path}.${key}`);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
