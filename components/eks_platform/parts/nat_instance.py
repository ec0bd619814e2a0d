"""A NAT instance for non-production stacks: one small Graviton instance instead of a NAT
gateway (about 36 USD a month, FACTS.md §3).

Every piece of routing is Pulumi's: a network interface with its source/destination check off
and an Elastic IP, and the private route tables' default route pointing at that interface. The
instance boots with the interface as its primary one. Replacing the instance (a new launch
template, a new AMI) leaves the interface, its address and the routes in place, and switching
``natMode`` between ``instance`` and a NAT gateway replaces one Pulumi route with another
(the instance never writes a route of its own, so nothing outside Pulumi can collide).

Trade-offs (README "Egress"): one instance in one zone, so egress stops while it is replaced
and a zone outage cuts egress for all zones; no Auto Scaling group replaces a failed instance
(an Auto Scaling group cannot launch onto an existing network interface): EC2's automatic
recovery restarts it on new hardware after a host failure; throughput of a t4g.nano (up to
5 Gbit/s burst); patching is by replacement (a new AMI is picked at each launch).
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from .iam import trust_policy

INSTANCE_TYPE = "t4g.nano"
# Graviton (arm64) Amazon Linux 2023, resolved by EC2 at launch from the public SSM parameter.
# In the launch template (stored as written) rather than on the instance, whose `ami` would
# read back as an ami-... id and differ from the parameter on every plan.
IMAGE = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
ROLE_TAG = "eks-platform/role"


def user_data() -> str:
    """Boot script, in the order the VPC user guide gives for AL2023 ("Create a NAT AMI"):
    forwarding on; install and enable the iptables service (which loads its saved rules, with a
    REJECT in FORWARD); then masquerade, drop the FORWARD rules, save. User data runs once, so
    the one network call (dnf) is retried instead of ending the script at the first failure.
    Not exercised on a live instance from this repository."""
    script = """#!/bin/bash
set -uo pipefail
retry() {
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    "$@" && return 0
    echo "attempt $attempt of: $* failed; retrying" >&2
    sleep $((attempt * 6))
  done
  return 1
}
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system
retry dnf install -y iptables-services || exit 1
systemctl enable --now iptables
iface=$(ip route show default | awk '{print $5; exit}')
iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -F FORWARD
service iptables save
"""
    return base64.b64encode(script.encode()).decode()


class NatInstance(pulumi.ComponentResource):
    """Egress for private subnets through one t4g.nano on a Pulumi-managed network interface."""

    network_interface_id: pulumi.Output[str]
    """The interface private route tables send 0.0.0.0/0 to."""
    instance: aws.ec2.Instance
    """The instance; the routes to its interface wait for it."""

    def __init__(
        self,
        name: str,
        *,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        subnet_id: pulumi.Input[str],
        managed_policy_arn: pulumi.Input[str],
        tags: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:NatInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
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
        # Forwarding needs the source/destination check off on the interface that carries the
        # traffic; set here, it survives instance replacement.
        interface = aws.ec2.NetworkInterface(
            f"{name}-eni",
            subnet_id=subnet_id,
            security_groups=[security_group.id],
            source_dest_check=False,
            description="NAT instance: target of the private default routes",
            tags={**tags, "Name": f"{name}-eni", ROLE_TAG: "nat-instance"},
            opts=child,
        )
        aws.ec2.Eip(
            f"{name}-eip",
            domain="vpc",
            network_interface=interface.id,
            tags={**tags, "Name": f"{name}-eip"},
            opts=pulumi.ResourceOptions(parent=interface),
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust_policy("ec2.amazonaws.com"),
            description="NAT instance: SSM access only",
            tags={**tags, "Name": f"{name}-role"},
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-ssm",
            role=role.name,
            policy_arn=managed_policy_arn,
            opts=pulumi.ResourceOptions(parent=role),
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-profile",
            role=role.name,
            tags={**tags, "Name": f"{name}-profile"},
            opts=pulumi.ResourceOptions(parent=role),
        )
        metadata = aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description="NAT instance",
            image_id=IMAGE,
            update_default_version=True,
            metadata_options=metadata,
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=8,  # the standard AL2023 AMI's root snapshot (not checked here)
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            user_data=user_data(),
            # No tag_specifications: the template's content must not follow the platform's
            # tags. Any change to it (tag_specifications included) makes a new template version
            # (terraform-provider-aws internal/service/ec2/ec2_launch_template.go,
            # resourceLaunchTemplateUpdate ``updateKeys``), and an instance pinned to another
            # version than it runs is replaced (ec2_instance.go CustomizeDiff,
            # ``diff.ForceNew("launch_template.0.version")``): delete before replace, so a tags
            # change would stop egress until a new instance boots. The volume gets its tags from
            # the instance's ``volume_tags`` instead, updated in place on the volumes
            # (resourceInstanceUpdate, ``d.HasChange("volume_tags")``). The template's own
            # ``tags`` are not in ``updateKeys``: no new version.
            tags={**tags, "Name": f"{name}-lt", ROLE_TAG: "nat-instance"},
            opts=child,
        )
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            instance_type=INSTANCE_TYPE,
            launch_template=aws.ec2.InstanceLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            primary_network_interface=aws.ec2.InstancePrimaryNetworkInterfaceArgs(
                network_interface_id=interface.id
            ),
            iam_instance_profile=profile.name,
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            # Restarted on new hardware after a host failure (EC2 simplified automatic recovery).
            maintenance_options=aws.ec2.InstanceMaintenanceOptionsArgs(auto_recovery="default"),
            tags={**tags, "Name": f"{name}-instance", ROLE_TAG: "nat-instance"},
            volume_tags={**tags, "Name": name},
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[attachment],
                # The interface belongs to one instance at a time: the old one goes first.
                delete_before_replace=True,
                # The provider reads source_dest_check back from the primary interface (false)
                # while its schema default is true, so without this every later update plans
                # false -> true, and ModifyInstanceAttribute writes it through to the interface:
                # the NAT stops forwarding (hashicorp/terraform-provider-aws#44768). It cannot
                # be set here instead: it conflicts with primary_network_interface. The fixes
                # (PRs #47082, #49198) were open and unmerged when last checked (2026-12-04
                # index), so no terraform-provider-aws release, and no pulumi-aws release built
                # on one (7.51.1 here), carries them; no pulumi-aws patch for it was found in
                # pulumi/pulumi-aws patches/ (listing read partly: not fully verified). Drop
                # this once a release with the fix is pinned. The interface owns the setting.
                ignore_changes=["sourceDestCheck"],
            ),
        )
        self.network_interface_id = interface.id
        self.register_outputs({"networkInterfaceId": self.network_interface_id})
