/**
 * The register adapter: registers the rendered task definition tagged with its commit, or reuses the
 * revision that an earlier run for the same commit registered with the same content.
 */
import { createHash } from 'node:crypto';
import type { RegisterTaskDefinitionCommandInput, Tag } from '@aws-sdk/client-ecs';
import { awsJson, type JsonClient } from '../shared/aws-json';
import {
  describeError,
  InvalidInputError,
  isTransient,
  SwitchyardError,
  TransientAwsError,
} from '../shared/errors';

/** The tags Switchyard puts on every revision it registers. */
export const TAG_KEYS = {
  repository: 'switchyard:repository',
  branch: 'switchyard:branch',
  commit: 'switchyard:commit',
  contentSha256: 'switchyard:content-sha256',
} as const;

/**
 * How many of the family's newest ACTIVE revisions are looked at for one to reuse. A re-run finds its
 * revision at the top unless other runs registered in the family since; the bound keeps a first
 * registration at 1 + N calls.
 */
export const REUSE_LOOKBACK = 5;

/** ECS accepts at most 50 tags on a resource. */
const MAX_TAGS = 50;

/** Where the task definition comes from. */
export interface RegisterTags {
  repository: string;
  branch: string;
  commit: string;
}

/** The revision to deploy, and whether an earlier run had registered it already. */
export interface RegisterResult {
  taskDefinitionArn: string;
  reused: boolean;
}

/** Registers `input` (the output of renderTaskDefinition), reusing this commit's revision when its content is the same. */
export async function registerTaskDefinition(
  ecs: JsonClient,
  input: RegisterTaskDefinitionCommandInput,
  tags: RegisterTags,
): Promise<RegisterResult> {
  const family = input.family;
  if (!family) throw new InvalidInputError('the task definition to register has no "family"');
  const contentSha256 = contentHash(input);
  const reusable = await findReusable(ecs, family, tags.commit, contentSha256);
  if (reusable) return { taskDefinitionArn: reusable, reused: true };

  const own: Tag[] = [
    { key: TAG_KEYS.repository, value: tagValue(tags.repository) },
    { key: TAG_KEYS.branch, value: tagValue(tags.branch) },
    { key: TAG_KEYS.commit, value: tagValue(tags.commit) },
    { key: TAG_KEYS.contentSha256, value: contentSha256 },
  ];
  const theirs = (input.tags ?? []).filter((tag) => !tag.key?.startsWith('switchyard:'));
  if (theirs.length + own.length > MAX_TAGS) {
    throw new InvalidInputError(
      `task definition "${family}" has ${theirs.length} tags; with Switchyard's ${own.length} that is over the ${MAX_TAGS} ECS allows: remove some from "tags" in taskdef.json`,
    );
  }
  const registered = await send('RegisterTaskDefinition', family, () =>
    awsJson<Registered>(
      ecs,
      'ecs:RegisterTaskDefinition',
      { ...input, tags: [...theirs, ...own] },
      { beforeRetry: () => registeredBefore(() => findReusable(ecs, family, tags.commit, contentSha256)) },
    ),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn)
    throw new SwitchyardError(`ECS RegisterTaskDefinition for "${family}" returned no taskDefinitionArn`);
  return { taskDefinitionArn: arn, reused: false };
}

/**
 * SHA-256 of the input as canonical JSON (keys sorted). A hash of what was sent, kept in a tag, is exact:
 * comparing with DescribeTaskDefinition would mean undoing the defaults ECS fills in (cpu 0, essential,
 * protocol, hostPort…), which change over time and which moto fills differently.
 */
export function contentHash(input: RegisterTaskDefinitionCommandInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** ECS tag values take letters, digits, spaces and `+ - = . _ : / @`, up to 256 characters (a branch may hold more). */
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N}\p{Zs}+\-=._:/@]/gu, '_').slice(0, 256);
}

function revisionOf(arn: string): { family: string; revision: number } {
  const match = /:task-definition\/([^:]+):(\d+)$/.exec(arn);
  return { family: match?.[1] ?? '', revision: Number(match?.[2] ?? 0) };
}

async function findReusable(
  ecs: JsonClient,
  family: string,
  commit: string,
  contentSha256: string,
): Promise<string | undefined> {
  const listed = await send('ListTaskDefinitions', family, () =>
    awsJson<{ taskDefinitionArns?: string[] }>(ecs, 'ecs:ListTaskDefinitions', {
      familyPrefix: family,
      status: 'ACTIVE',
      sort: 'DESC',
      maxResults: REUSE_LOOKBACK,
    }),
  );
  // Filtered and sorted again: familyPrefix is documented as the full family name, and moto ignores `sort`.
  const arns = (listed.taskDefinitionArns ?? [])
    .filter((arn) => revisionOf(arn).family === family)
    .sort((a, b) => revisionOf(b).revision - revisionOf(a).revision);
  for (const arn of arns) {
    let described: Awaited<ReturnType<typeof describe>>;
    try {
      described = await describe(ecs, arn);
    } catch (error) {
      // Deregistered and deleted since it was listed: not a candidate.
      if (error instanceof Error && error.name === 'ClientException') continue;
      throw wrap('DescribeTaskDefinition', family, error);
    }
    const tagged = new Map((described.tags ?? []).map((tag) => [tag.key, tag.value]));
    if (
      described.taskDefinition?.status === 'ACTIVE' &&
      tagged.get(TAG_KEYS.commit) === tagValue(commit) &&
      tagged.get(TAG_KEYS.contentSha256) === contentSha256
    ) {
      return arn;
    }
  }
  return undefined;
}

/**
 * RegisterTaskDefinition has no client token (unlike CreateTaskSet's clientToken), so an attempt whose answer was
 * lost (a 5xx or a reset connection after ECS applied it) followed by the SDK's own retry would register the same
 * content twice, leaving an ACTIVE revision nobody uses. This look-up runs inside the call's retry loop
 * (shared/signed-request.ts's beforeRetry), before each attempt after the first: it looks for the revision an
 * earlier attempt may have registered (the same commit and content tags) and answers with it instead of
 * registering again. A retry of the whole state is covered by the same look-up at the top of
 * registerTaskDefinition.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html (no idempotency token)
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateTaskSet.html (clientToken, for comparison)
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html (the SDK retries 5xx and timeouts)
 */
async function registeredBefore(lookFor: () => Promise<string | undefined>): Promise<Registered | undefined> {
  const taskDefinitionArn = await lookFor();
  return taskDefinitionArn ? { taskDefinition: { taskDefinitionArn } } : undefined;
}

/** What of RegisterTaskDefinition's answer is read. */
interface Registered {
  taskDefinition?: { taskDefinitionArn?: string };
}

function describe(ecs: JsonClient, arn: string) {
  return awsJson<{ taskDefinition?: { status?: string }; tags?: Tag[] }>(ecs, 'ecs:DescribeTaskDefinition', {
    taskDefinition: arn,
    include: ['TAGS'],
  });
}

async function send<T>(action: string, family: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw wrap(action, family, error);
  }
}

function wrap(action: string, family: string, error: unknown): Error {
  const message = `ECS ${action} for task definition family "${family}" failed: ${describeError(error)}`;
  if (isTransient(error)) return new TransientAwsError(message, { cause: error });
  // ECS validates the content on registration: its ClientException is a problem in taskdef.json.
  if (action === 'RegisterTaskDefinition' && error instanceof Error && error.name === 'ClientException') {
    return new InvalidInputError(
      `ECS rejected task definition "${family}": ${error.message}: fix taskdef.json`,
      {
        cause: error,
      },
    );
  }
  return new SwitchyardError(message, { cause: error });
}
