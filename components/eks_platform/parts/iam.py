"""IAM roles for AWS services, and where the platform is (partition, account, region)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """Partition, account and region the stack deploys into, for building ARNs."""

    partition: pulumi.Output[str]
    account_id: pulumi.Output[str]
    region: str

    @staticmethod
    def lookup(region: str, opts: pulumi.InvokeOptions | None = None) -> AwsContext:
        """Ask the provider (``aws:getPartition``, ``aws:getCallerIdentity``); registers nothing."""
        return AwsContext(
            partition=aws.get_partition_output(opts=opts).partition,
            account_id=aws.get_caller_identity_output(opts=opts).account_id,
            region=region,
        )

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        """ARN of an AWS managed policy, e.g. ``AmazonEKSWorkerNodePolicy``."""
        return self.partition.apply(lambda partition: f"arn:{partition}:iam::aws:policy/{name}")


def trust_policy(
    service: str,
    actions: Sequence[str] = ("sts:AssumeRole",),
    condition: dict[str, Any] | None = None,
) -> str:
    """A role trust policy that lets one AWS service principal assume the role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": list(actions),
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


POD_IDENTITY_TRUST = trust_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))
"""Trust for a role that EKS Pod Identity hands to a service account (it tags the session)."""


@dataclass(frozen=True)
class ServiceRole:
    role: aws.iam.Role
    attachments: list[aws.iam.RolePolicyAttachment]
    """Resources that must exist before the role is usable (depend on them, not just the ARN)."""


NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    # Shell access through Session Manager instead of SSH.
    "AmazonSSMManagedInstanceCore",
)
"""What a worker node needs; the VPC CNI's permissions are on its own Pod Identity role."""


def node_role(
    name: str,
    *,
    context: AwsContext,
    tags: dict[str, str],
    parent: pulumi.Resource,
    description: str,
) -> ServiceRole:
    """An EC2 role for EKS worker nodes (managed node groups, Karpenter's nodes)."""
    return service_role(
        name,
        assume_role_policy=trust_policy("ec2.amazonaws.com"),
        managed_policies=NODE_POLICIES,
        context=context,
        tags=tags,
        parent=parent,
        description=description,
    )


def service_role(
    name: str,
    *,
    assume_role_policy: pulumi.Input[str],
    managed_policies: Sequence[str] = (),
    context: AwsContext,
    tags: dict[str, str],
    parent: pulumi.Resource,
    description: str = "",
) -> ServiceRole:
    """A role ``name`` with AWS managed policies (by name) attached, each under the role."""
    role = aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy,
        description=description or None,
        tags={**tags, "Name": name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=context.managed_policy(policy),
            opts=pulumi.ResourceOptions(parent=role),
        )
        for policy in managed_policies
    ]
    return ServiceRole(role, attachments)


def pod_identity_addon(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    addon: str,
    version: str | None,
    service_account: str,
    role: ServiceRole,
    tags: dict[str, str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.Addon:
    """An EKS add-on whose service account gets ``role`` through EKS Pod Identity; it waits for
    the role's policy attachments and ``depends_on``, and takes over what is already there."""
    return aws.eks.Addon(
        name,
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=version,
        pod_identity_associations=[
            aws.eks.AddonPodIdentityAssociationArgs(
                service_account=service_account, role_arn=role.role.arn
            )
        ],
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*depends_on, *role.attachments]),
    )


def ebs_kms_policy(key_arn: str) -> str:
    """What EBS needs to encrypt volumes with a customer-managed key (EKS user guide ebs-csi):
    grants for AWS resources only, and the data-key operations."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": [key_arn],
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                    ],
                    "Resource": [key_arn],
                },
            ],
        }
    )
