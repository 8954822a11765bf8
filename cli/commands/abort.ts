import { flagFromCommandLine } from '../stack/actions';
import { shortCommit } from '../stack/describe';
import { TARGET_USAGE } from '../stack/target';
import type { Command } from './types';

/** `switchyard abort`: rolls the running deployment back at its next pause check. */
export const abort: Command = {
  summary: 'roll the running deployment back to the live task set',
  usage: `switchyard abort [--reason TEXT] [--deployment ID] (--stack NAME | --table NAME --repository NAME)

Sets abortRequested = {by, at, reason?} on the running deployment's record (the newest RUNNING one, or
--deployment ID), with a condition that it is still RUNNING, so the flag never lands on an ended deployment.
CheckPause (and CheckBake) fail it with DeploymentAbortedError at their next check (every 30 s at most during a
pause or the bake; a deployment that has not reached its first pause yet rolls back there), and Rollback puts
all traffic back on the live task set; the record ends ROLLED_BACK with the reason. by is $USER. Exit status 1,
with what is running instead, when no deployment is running.

  --reason TEXT               why; it is in the error the deployment ends with
  --deployment ID             the deployment to abort when more than one is running
${TARGET_USAGE}

Example:
  switchyard abort --stack my-service-pipeline --reason 'error rate up'`,
  run: async (args) => {
    const record = await flagFromCommandLine(args, 'abortRequested');
    process.stdout.write(
      `abort requested for deployment ${String(record.deploymentId)} (commit ${shortCommit(record.commitId)}): ` +
        'it rolls back at its next pause check (within 30 s during a pause or the bake)\n',
    );
    return 0;
  },
};
