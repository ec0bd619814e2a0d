"""The platform's customer-managed KMS key: Kubernetes secrets and CloudWatch log groups."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from .iam import AwsContext


def key_policy(partition: str, account_id: str, region: str) -> str:
    """No wildcard principal (CKV_AWS_33): the account's IAM policies govern use of the key, and
    CloudWatch Logs in this region may use it for this account's log groups only."""
    logs_arn = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountIamPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arn}},
                },
            ],
        }
    )


class PlatformKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation and an alias ``alias/<cluster name>``."""

    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        alias: str,
        context: AwsContext,
        tags: dict[str, str],
        protect: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:PlatformKey", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"EKS secrets and log groups of {alias}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(context.partition, context.account_id).apply(
                lambda values: key_policy(values[0], values[1], context.region)
            ),
            tags={**tags, "Name": f"{name}-key"},
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{alias}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})
