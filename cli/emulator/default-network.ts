/** moto's default network: the VPC, subnets and security group it starts with, read from a running server. */
import { emulatorCredentials } from './emulator-credentials';

export interface DefaultNetwork {
  vpcId: string;
  subnets: { subnetId: string; availabilityZone: string }[];
  /** The default VPC's `default` security group (ECS awsvpc tasks need one in moto). */
  securityGroupId: string;
}

/**
 * moto's default VPC, its default subnets (one per zone) and security group, which ELBv2 and ECS
 * fixtures need; their ids change after every reset. Read through EC2's query API, as the project
 * has no EC2 client.
 */
export async function describeDefaultNetwork(
  endpoint: string,
  region = 'us-east-1',
): Promise<DefaultNetwork> {
  const ec2 = async (action: string, filters: Record<string, string>): Promise<string> => {
    const body = new URLSearchParams({ Action: action, Version: '2016-11-15' });
    Object.entries(filters).forEach(([name, value], index) => {
      body.set(`Filter.${index + 1}.Name`, name);
      body.set(`Filter.${index + 1}.Value.1`, value);
    });
    const response = await fetch(endpoint, {
      method: 'POST',
      // moto routes by the credential scope; the emulator checks its key id, not the signature (emulator_auth.py).
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${emulatorCredentials(endpoint).accessKeyId}/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto EC2 ${action} answered ${response.status}: ${text}`);
    return text;
  };
  // Each item has exactly one of each element read here (nested items such as tags have none).
  const all = (xml: string, tag: string) =>
    [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((m) => m[1]);

  const vpcId = all(await ec2('DescribeVpcs', { isDefault: 'true' }), 'vpcId')[0];
  if (!vpcId) throw new Error(`moto at ${endpoint} has no default VPC in ${region}`);
  const subnetXml = await ec2('DescribeSubnets', { 'vpc-id': vpcId, 'default-for-az': 'true' });
  const zones = all(subnetXml, 'availabilityZone');
  const subnets = all(subnetXml, 'subnetId').flatMap((subnetId, i) => {
    const availabilityZone = zones[i];
    return subnetId && availabilityZone ? [{ subnetId, availabilityZone }] : [];
  });
  const groupXml = await ec2('DescribeSecurityGroups', { 'vpc-id': vpcId, 'group-name': 'default' });
  const securityGroupId = all(groupXml, 'groupId')[0];
  if (!securityGroupId) throw new Error(`moto at ${endpoint} has no default security group in ${vpcId}`);
  return { vpcId, subnets, securityGroupId };
}
