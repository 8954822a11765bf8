/**
 * `switchyard local --endpoint URL` twice against one running emulator, without --repo: the sample app's commit is
 * the same on every run (fixed author, committer and dates), so the second run pushes the commit the first deployed,
 * which the emulator's CodeCommit and table know. Before, each run committed a new root commit, and the second
 * run's Prepare failed looking up the first run's (live) commit in the new repository: CommitIdDoesNotExistException.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runSwitchyard } from '../support/cli';
import { useMoto } from '../support/moto';

/** This shell's environment (the worker's emulator credentials), with no endpoint: --endpoint names it. */
function shell(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  return env;
}

describe('switchyard local --endpoint, twice on one emulator, with the sample app', () => {
  const moto = useMoto();

  it('deploys the sample commit once, and the second run finds it deployed instead of failing', async () => {
    const first = await runSwitchyard(['local', '--endpoint', moto.endpoint], shell());
    expect([first.status, first.stdout.slice(-2000)]).toEqual([
      0,
      expect.stringMatching(/✔ deployed [0-9a-f]{7} in/),
    ]);
    const commit = /deploying switchyard-sample-app ([0-9a-f]{7}) \(main\)/.exec(first.stdout)?.[1];
    expect(commit).toBeDefined();

    const second = await runSwitchyard(['local', '--endpoint', moto.endpoint], shell());

    expect(second.stdout).toContain(`deploying switchyard-sample-app ${commit} (main)`);
    expect(second.stdout).not.toMatch(/CommitIdDoesNotExist|FAILED/);
    // It says there was nothing to deploy, and why; not that it deployed.
    expect(second.stdout).toMatch(/✔ nothing to deploy for [0-9a-f]{7}: .*was deployed by deployment /);
    expect(second.stdout).not.toMatch(/✔ deployed/);
    expect(second.status).toBe(0);
    // One deployment of the commit: the second push of it was a duplicate, which Prepare drops.
    const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
    try {
      const { Items = [] } = await dynamodb.send(
        new QueryCommand({
          TableName: 'switchyard-deployments',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'DEPLOYMENT#switchyard-sample-app' },
        }),
      );
      expect(Items.map((item) => [String(item.commitId).slice(0, 7), item.status])).toEqual([
        [commit, 'SUCCEEDED'],
      ]);
    } finally {
      dynamodb.destroy();
    }
  }, 120_000);
});
