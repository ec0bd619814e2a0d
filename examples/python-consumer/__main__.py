"""A team's own cluster from the eks-platform package: their settings, the package's guardrails."""

import pulumi

from eks_platform import ConfigError, EksPlatform, PlatformArgs

try:
    # Validated up front: every problem at once, before anything is created.
    args = PlatformArgs(
        region="eu-west-1",
        cluster_name="team-payments",
        vpc_cidr="10.42.0.0/16",
        nat_mode="per_az",
        node_groups=[
            {
                "name": "apps",
                "instance_types": ["m7g.large"],
                "min_size": 2,
                "desired_size": 2,
                "max_size": 6,
            }
        ],
        workload={"enabled": False},
    )
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

platform = EksPlatform("payments", args.component_args())
pulumi.export("clusterName", platform.cluster_name)
pulumi.export("kubeconfig", platform.kubeconfig)
pulumi.export("privateSubnetIds", platform.private_subnet_ids)
