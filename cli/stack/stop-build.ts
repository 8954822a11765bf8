/**
 * StopBuild from the command line, through the SDK client and so the user's own credential chain (profiles, SSO),
 * which functions/lib/build/codebuild.ts's signed request (Lambda's environment credentials) does not read.
 * A build that already ended answers InvalidInputException and is left as it is, as codebuild.ts's stopBuild does
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StopBuild.html).
 */
import { type CodeBuildClient, StopBuildCommand } from '@aws-sdk/client-codebuild';

/** Stops the build `id`; a build that already ended is left as it is. */
export async function stopBuildFromCli(codebuild: CodeBuildClient, id: string): Promise<void> {
  try {
    await codebuild.send(new StopBuildCommand({ id }));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'InvalidInputException')) throw error;
  }
}
