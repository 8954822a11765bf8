/**
 * Pins each container image of the stack's ECR repository to its digest before the revision is registered, so a
 * tag pushed again later cannot change what a running service's tasks pull: ECS pulls `repository@digest` exactly
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image),
 * and DescribeImages answers a tag's current digest
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html). A tag the repository does not
 * hold fails here, before registration, naming the container. Images already named by digest stay as they are, and
 * so do images of another registry or repository (Render's role may describe only the stack's repository), each
 * with a log line saying why.
 */
import { awsJson, type JsonClient } from '../shared/aws-json';
import { asTransient, ConfigurationError, InvalidInputError } from '../shared/errors';
import type { JsonObject } from '../shared/json';

/** A private ECR image: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@digest]`. */
const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[0-9a-f]{64})?$/;

/** An ECR image reference, parsed. */
export interface EcrImage {
  registry: string;
  account: string;
  region: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** What pinning did to one container. */
export interface ImagePin {
  container: string;
  image: string;
  /** The image written into the revision; absent when it was left as it is. */
  pinned?: string;
  /** Why it was left as it is. */
  left?: string;
}

/**
 * The stack's PinImageDigests (PIN_IMAGE_DIGESTS, "true" or "false") and its ECR repository's URI
 * (ECR_REPOSITORY_URI): the repository to pin when on, undefined when off.
 */
export function readPinSetting(env: NodeJS.ProcessEnv = process.env): { repositoryUri: string } | undefined {
  const value = env.PIN_IMAGE_DIGESTS ?? '';
  if (value === 'false') return undefined;
  if (value !== 'true') {
    throw new ConfigurationError(
      `environment variable PIN_IMAGE_DIGESTS is ${JSON.stringify(value)}: set the stack parameter PinImageDigests to "true" or "false"`,
    );
  }
  const repositoryUri = env.ECR_REPOSITORY_URI ?? '';
  if (!parseEcrImage(repositoryUri)) {
    throw new ConfigurationError(
      `environment variable ECR_REPOSITORY_URI is ${JSON.stringify(repositoryUri)}, not <account>.dkr.ecr.<region>.amazonaws.com/<repository>; the stack sets it from EcrRepositoryName (template.yaml, RenderTaskDefinitionFunction)`,
    );
  }
  return { repositoryUri };
}

/** An ECR image reference's parts, or undefined for any other image. */
export function parseEcrImage(image: string): EcrImage | undefined {
  const match = ECR_IMAGE.exec(image);
  if (!match) return undefined;
  const [, account = '', region = '', repository = '', tag, digest] = match;
  const registry = image.slice(0, image.indexOf('/'));
  return {
    registry,
    account,
    region,
    repository,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest: digest.slice(1) } : {}),
  };
}

/**
 * Replaces, in place, each container image of the repository `repositoryUri` (the stack's EcrRepositoryName) named
 * by tag with `<registry>/<repository>@<digest>`; returns what it did to each container.
 */
export async function pinImageDigests(
  taskdef: JsonObject,
  file: string,
  deps: { ecr: JsonClient; repositoryUri: string },
): Promise<ImagePin[]> {
  const own = parseEcrImage(deps.repositoryUri);
  if (!own)
    throw new InvalidInputError(
      `ECR repository URI ${deps.repositoryUri} is not <account>.dkr.ecr.<region>.amazonaws.com/<name>`,
    );
  const digests = new Map<string, Promise<string>>();
  const pins: ImagePin[] = [];
  for (const container of (taskdef.containerDefinitions ?? []) as JsonObject[]) {
    const name = String(container.name);
    const image = typeof container.image === 'string' ? container.image : '';
    const ecr = parseEcrImage(image);
    const left = (why: string) => pins.push({ container: name, image, left: why });
    if (!ecr) {
      left('not a private ECR image: deployed by its tag, which its registry may move');
      continue;
    }
    if (ecr.digest) {
      left('already named by digest');
      continue;
    }
    if (ecr.account !== own.account || ecr.region !== own.region || ecr.repository !== own.repository) {
      left(
        `not the stack's ECR repository ${deps.repositoryUri} (EcrRepositoryName), the one Render may read: deployed by its tag`,
      );
      continue;
    }
    // An image without a tag is pulled as "latest" (Docker's default), so that is the tag to pin.
    const tag = ecr.tag ?? 'latest';
    let digest = digests.get(tag);
    if (!digest) {
      digest = describeDigest(deps.ecr, ecr, tag, { container: name, image, file });
      digests.set(tag, digest);
    }
    const pinned = `${ecr.registry}/${ecr.repository}@${await digest}`;
    container.image = pinned;
    pins.push({ container: name, image, pinned });
  }
  return pins;
}

async function describeDigest(
  ecr: JsonClient,
  image: EcrImage,
  tag: string,
  where: { container: string; image: string; file: string },
): Promise<string> {
  const named = `${where.file}: container "${where.container}" image ${where.image}`;
  try {
    const out = await awsJson<{ imageDetails?: { imageDigest?: string }[] }>(ecr, 'ecr:DescribeImages', {
      registryId: image.account,
      repositoryName: image.repository,
      imageIds: [{ imageTag: tag }],
    });
    const digest = out.imageDetails?.[0]?.imageDigest;
    if (!digest) throw new InvalidInputError(`${named}: ECR answered no digest for tag ${tag}`);
    return digest;
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (code === 'ImageNotFoundException') {
      throw new InvalidInputError(
        `${named}: tag ${tag} is not in ECR repository ${image.repository}; push the image with that tag before ` +
          "the deployment (the buildspec's docker push), or name a tag that exists (imageDetail.json, taskdef.json)",
        { cause: error },
      );
    }
    if (code === 'RepositoryNotFoundException') {
      throw new InvalidInputError(
        `${named}: ECR repository ${image.repository} does not exist in account ${image.account} (${image.region}); ` +
          'create it, or set the stack parameter EcrRepositoryName to the repository the build pushes to',
        { cause: error },
      );
    }
    throw asTransient(`DescribeImages ${image.repository}:${tag}`, error);
  }
}
