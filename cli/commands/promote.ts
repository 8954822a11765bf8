import { flagFromCommandLine } from '../stack/actions';
import { describeStep, recordSteps, shortCommit } from '../stack/describe';
import { TARGET_USAGE } from '../stack/target';
import type { Command } from './types';

/** `switchyard promote`: ends the pause the running deployment is in. */
export const promote: Command = {
  summary: 'end the current pause (or the bake) of the running deployment',
  usage: `switchyard promote [--reason TEXT] [--deployment ID] (--stack NAME | --table NAME --repository NAME)

Sets promoteRequested = {by, at, reason?} on the running deployment's record (the newest RUNNING one, or
--deployment ID), with a condition that it is still RUNNING and has shifted traffic, so the flag never lands on
an ended deployment. CheckPause sees it within 30 s and ends the pause in force: a manual pause, a timed one,
or the bake (blue is removed at once); the next traffic step consumes it, so a later pause needs a new promote.
by is $USER. Exit status 1, with what is running instead, when no deployment is running or it has not
started shifting traffic (the first step would drop the flag).

  --reason TEXT               recorded with the request
  --deployment ID             the deployment to promote when more than one is running
${TARGET_USAGE}

Example:
  switchyard promote --stack my-service-pipeline --reason 'canary looks good'`,
  run: async (args) => {
    const record = await flagFromCommandLine(args, 'promoteRequested');
    const last = recordSteps(record).at(-1);
    process.stdout.write(
      `promote requested for deployment ${String(record.deploymentId)} (commit ${shortCommit(record.commitId)}` +
        `${last ? `, ${describeStep(last, record.green)}` : ''}): the pause ends at the next check (within 30 s)\n`,
    );
    return 0;
  },
};
