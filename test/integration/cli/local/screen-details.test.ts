/**
 * The live screen's details read from the emulator: green's targets' health as DescribeTargetHealth reports it,
 * and a failed read (a target group or build that is not there) that shows nothing and fails nothing.
 */
import { createBlueGreenFixture } from '../../../../cli/emulator/fixture';
import { liveDetails } from '../../../../cli/local/screen-details';
import { useMoto } from '../../../support/moto';
import { readUntil } from '../../../support/read-until';

describe("the live screen's details, read from the emulator", () => {
  const moto = useMoto();

  it("reads a target group's health as healthy of all", async () => {
    const fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
    const details = liveDetails(20);
    try {
      details.followGreen(fx.targetGroups.blue);
      details.want('green');
      const seen = await readUntil(
        async () => details.health,
        (health) => health !== undefined,
      );
      expect(seen.at(-1)).toBe('2/2 healthy');
    } finally {
      details.stop();
    }
  });

  it('shows nothing and throws nothing when what it follows is not there', async () => {
    const details = liveDetails(20);
    try {
      details.followGreen(
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/missing/0123456789abcdef',
      );
      details.followBuild('switchyard-build:00000000-0000-0000-0000-000000000000');
      details.want('green');
      await new Promise((resolve) => setTimeout(resolve, 200));
      details.want('build');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(details.health).toBeUndefined();
      expect(details.buildLog).toEqual([]);
    } finally {
      details.stop();
    }
  });
});
