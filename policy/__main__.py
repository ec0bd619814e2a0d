"""The CrossGuard policy pack; `pulumi preview --policy-pack policy` runs this file.

Constructing PolicyPack starts the analyzer's gRPC server and blocks, so it happens only here;
the policies live in guardrails.py, importable by tests and the offline checker.
"""

from guardrails import POLICIES
from pulumi_policy import PolicyPack

PolicyPack(
    name="eks-platform-guardrails",
    description="Security (mandatory) and cost/reliability (advisory) rules for the EKS platform.",
    policies=list(POLICIES),
)
