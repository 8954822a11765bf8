/**
 * The AppSpec as Render writes it: the text with TaskDefinition set to the registered revision's ARN, and nothing
 * else changed (comments, order, quoting and layout are kept byte for byte).
 */
import { isScalar, parse as parseYaml } from 'yaml';
import { ensure, findKey, findTarget, loadAppSpec } from './appspec-document';

/** The AppSpec text with TaskDefinition set to the ARN; comments, order and every other byte are kept. */
export function renderAppSpec(text: string, file: string, taskDefinitionArn: string): string {
  const source = loadAppSpec(text, file);
  const { properties, where } = findTarget(source);
  const found = findKey(source, properties, 'TaskDefinition', where);
  ensure(
    source,
    found,
    `${where} has no TaskDefinition: add "TaskDefinition: <TASK_DEFINITION>", Switchyard writes the ARN there`,
  );
  const node = found.node;
  ensure(
    source,
    isScalar(node) && node.range,
    `${found.where} must be a single value such as <TASK_DEFINITION>`,
  );
  // Splicing the value's source range keeps the rest of the text exactly; re-serialising the document would
  // re-indent lists, reflow flow collections and lose the comment that sat on the old value.
  const [start, end] = node.range;
  let value = scalar(taskDefinitionArn, source.json ? 'QUOTE_DOUBLE' : node.type);
  if (start === end) value = ` ${value}`;
  if (source.text.slice(start, end).endsWith('\n')) value += '\n';
  return source.text.slice(0, start) + value + source.text.slice(end);
}

/** The ARN as a YAML scalar: plain when YAML reads it back unchanged, else quoted as the old value was. */
function scalar(value: string, type: string | undefined): string {
  if (type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  const plain =
    type !== 'QUOTE_DOUBLE' && /^[A-Za-z<][\w:/.<>@+=-]*$/.test(value) && parseYaml(value) === value;
  return plain ? value : JSON.stringify(value);
}
