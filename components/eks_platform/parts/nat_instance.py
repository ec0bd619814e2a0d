"""A NAT instance for non-production stacks: a small Graviton instance in an Auto Scaling group
of one, instead of a NAT gateway (about 36 USD a month, FACTS.md §3).

Trade-offs (README "Egress"): one instance in one zone, so egress stops while it is replaced
(the group brings a new one in a few minutes) and a zone outage cuts egress for all zones;
throughput of a t4g.nano (up to 5 Gbit/s burst); patching is the instance's own (dnf on boot).

At boot the instance turns off its source/destination check and points the private route
tables' default route at itself (Pulumi cannot: the group, not Pulumi, creates the instance).
It needs a public address of its own to do that and to forward traffic, so its launch template
asks for one; the policy pack exempts launch templates tagged ``eks-platform/role=nat-instance``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .iam import trust_policy

INSTANCE_TYPE = "t4g.nano"
# Graviton (arm64) Amazon Linux 2023, resolved by EC2 at launch from the public SSM parameter.
IMAGE = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ROLE_TAG = "eks-platform/role"
NAME_TAG = "eks-platform/nat-instance"


def user_data(route_table_ids: Sequence[str]) -> str:
    """Boot script: forwarding and masquerading, then the routes (base64, as EC2 wants it)."""
    tables = " ".join(route_table_ids)
    script = f"""#!/bin/bash
set -euo pipefail
imds=http://169.254.169.254/latest
token=$(curl -sX PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
meta() {{ curl -s -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"; }}
instance=$(meta instance-id)
export AWS_REGION=$(meta placement/region)
aws ec2 modify-instance-attribute --instance-id "$instance" --no-source-dest-check
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
dnf install -y iptables-services
iface=$(ip route show default | awk '{{print $5; exit}}')
iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -F FORWARD
service iptables save
systemctl enable --now iptables
route="--destination-cidr-block 0.0.0.0/0 --instance-id $instance"
for table in {tables}; do
  aws ec2 replace-route --route-table-id "$table" $route \\
    || aws ec2 create-route --route-table-id "$table" $route
done
"""
    return base64.b64encode(script.encode()).decode()


def instance_policy(route_table_ids: Sequence[str], name: str) -> str:
    """Least privilege: its own source/destination check, the default route of these tables."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ec2:ModifyInstanceAttribute",
                    "Resource": "arn:aws:ec2:*:*:instance/*",
                    "Condition": {"StringEquals": {f"aws:ResourceTag/{NAME_TAG}": name}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["ec2:CreateRoute", "ec2:ReplaceRoute"],
                    "Resource": [
                        f"arn:aws:ec2:*:*:route-table/{table}" for table in route_table_ids
                    ],
                },
            ],
        }
    )


class NatInstance(pulumi.ComponentResource):
    """Egress for private subnets through one t4g.nano in an Auto Scaling group of one."""

    def __init__(
        self,
        name: str,
        *,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        subnet_id: pulumi.Input[str],
        route_table_ids: Sequence[pulumi.Input[str]],
        managed_policy_arn: pulumi.Input[str],
        tags: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:NatInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tables = pulumi.Output.all(*route_table_ids)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="NAT instance: forwards the VPC's outbound traffic",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=[vpc_cidr],
                    description="traffic from the VPC to forward",
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"],
                    description="forwarded traffic to the internet",
                )
            ],
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )  # fmt: skip
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust_policy("ec2.amazonaws.com"),
            description="NAT instance: its routes and source/destination check; SSM access",
            tags={**tags, "Name": f"{name}-role"},
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-ssm",
            role=role.name,
            policy_arn=managed_policy_arn,
            opts=pulumi.ResourceOptions(parent=role),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=tables.apply(lambda ids: instance_policy(ids, name)),
            opts=pulumi.ResourceOptions(parent=role),
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-profile",
            role=role.name,
            tags={**tags, "Name": f"{name}-profile"},
            opts=pulumi.ResourceOptions(parent=role),
        )
        instance_tags = {**tags, "Name": name, NAME_TAG: name}
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description="NAT instance",
            image_id=IMAGE,
            instance_type=INSTANCE_TYPE,
            update_default_version=True,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=8,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    # A NAT instance needs a public address; the policy pack exempts it by tag.
                    associate_public_ip_address="true",
                    security_groups=[security_group.id],
                )
            ],
            user_data=tables.apply(user_data),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags={**tags, "Name": f"{name}-lt", ROLE_TAG: "nat-instance"},
            opts=child,
        )
        aws.autoscaling.Group(
            f"{name}-asg",
            min_size=1,
            max_size=1,
            desired_capacity=1,
            vpc_zone_identifiers=[subnet_id],
            health_check_type="EC2",
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=False)
                for key, value in {**tags, "Name": f"{name}-asg"}.items()
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, policy]),
        )
        self.register_outputs({})
