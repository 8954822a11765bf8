/**
 * The network of a local run: a VPC with two subnets in two availability zones (an ALB needs two) and a security
 * group for the tasks, created in the emulator as a team's account would have them.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { DefaultNetwork } from './default-network';

/** Creates the VPC, its subnets and a security group; returns them in the fixture's network shape. */
export async function createNetwork(options: { name: string; region: string }): Promise<DefaultNetwork> {
  const ec2 = new EC2Client({ region: options.region });
  try {
    const { AvailabilityZones = [] } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    const zones = AvailabilityZones.map((zone) => zone.ZoneName).filter((zone): zone is string => !!zone);
    if (zones.length < 2)
      throw new Error(
        `the emulator offers ${zones.length} availability zone(s) in ${options.region}; an ALB needs two`,
      );
    const tags = (type: 'vpc' | 'subnet' | 'security-group', name: string) => [
      { ResourceType: type, Tags: [{ Key: 'Name', Value: name }] },
    ];
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.20.0.0/16',
        TagSpecifications: tags('vpc', `${options.name}-vpc`),
      }),
    );
    const vpcId = Vpc?.VpcId;
    if (!vpcId) throw new Error('the emulator created no VPC');
    // As a default VPC has them: tasks' network interfaces get DNS names (ECS reports them).
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const subnets = [];
    for (const [index, zone] of zones.slice(0, 2).entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `10.20.${index}.0/24`,
          AvailabilityZone: zone,
          TagSpecifications: tags('subnet', `${options.name}-${zone}`),
        }),
      );
      if (!Subnet?.SubnetId) throw new Error('the emulator created no subnet');
      subnets.push({ subnetId: Subnet.SubnetId, availabilityZone: zone });
    }
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: `${options.name}-tasks`,
        Description: 'Tasks of the service, reached by the load balancer',
      }),
    );
    if (!GroupId) throw new Error('the emulator created no security group');
    return { vpcId, subnets, securityGroupId: GroupId };
  } finally {
    ec2.destroy();
  }
}
