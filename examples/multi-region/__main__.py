"""Two platforms, two regions, one stack: each EksPlatform gets its own AWS provider."""

import pulumi
import pulumi_aws as aws

from eks_platform import EksPlatform

REGIONS = {"oregon": "us-west-2", "seoul": "ap-northeast-2"}

for label, region in REGIONS.items():
    provider = aws.Provider(f"aws-{label}", region=region)
    platform = EksPlatform(
        f"eks-{label}",
        {
            # No region: the component takes it from the provider.
            "cluster_name": f"multi-{label}",
            "availability_zone_count": 2,
            "nat_mode": "single",
            "node_groups": [
                {"name": "general", "instance_types": ["t4g.medium"], "desired_size": 2}
            ],
            "workload": {"enabled": False},
        },
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    pulumi.export(f"{label}ClusterName", platform.cluster_name)
    pulumi.export(f"{label}Region", platform.region)
    pulumi.export(f"{label}Kubeconfig", platform.kubeconfig)
