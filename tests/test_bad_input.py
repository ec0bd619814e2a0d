"""The bad-input matrix: invalid stack config is refused before anything is registered.

Each case runs the real ``__main__.py`` (dev stack plus overrides) and checks that the program
stops with a message naming the key, showing the bad value and saying what is allowed, and that
no resource at all was registered.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NS = "eks-platform:"
ARN_STS = "arn:aws:sts::123456789012:assumed-role/admin/session"
ADMIN = "arn:aws:iam::123456789012:role/ops"
GROUP = {"name": "g", "instanceTypes": ["t4g.medium"]}
GPU_GROUP = {"name": "gpu", "instanceTypes": ["g6.xlarge"], "amiType": "AL2023_x86_64_NVIDIA", "minSize": 0, "desiredSize": 0}  # fmt: skip
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
NO_CONTROLLER = {"loadBalancerController": {"enabled": False}}
PROFILE = {"name": "p", "selectors": [{"namespace": "batch"}]}
DEEP: object = 1
for _ in range(40):
    DEEP = [DEEP]

# id -> (overrides, key, bad value as shown, what the message says is allowed)
CASES: dict[str, tuple[dict, str, str, str]] = {
    # network
    "cidr-malformed": ({"vpcCidr": "10.0.0.0/33"}, "vpcCidr", "10.0.0.0/33", "IPv4 network such as 10.0.0.0/16"),
    "cidr-public": ({"vpcCidr": "8.8.0.0/16"}, "vpcCidr", "8.8.0.0/16", "private range (10.0.0.0/8"),
    "cidr-too-large": ({"vpcCidr": "10.0.0.0/8"}, "vpcCidr", "10.0.0.0/8", "between /16 and /28"),
    "cidr-too-small": ({"vpcCidr": "10.0.0.0/20", "availabilityZoneCount": 4}, "vpcCidr", "10.0.0.0/20", "too small"),
    "cidr-netmask": ({"vpcCidr": "10.0.0.0/255.255.0.0"}, "vpcCidr", "10.0.0.0/255.255.0.0", "CIDR notation: 10.0.0.0/16"),
    "public-cidr-netmask": ({"publicAccessCidrs": ["203.0.113.0/255.255.255.0"]}, "publicAccessCidrs", "203.0.113.0/255.255.255.0", "(write 203.0.113.0/24)"),
    "open-endpoint-split-in-production": (
        {"production": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        "publicAccessCidrs", "128.0.0.0/1", "cover every IPv4 address",
    ),
    "source-range-netmask": ({"workload": {"sourceRanges": ["10.0.0.0/255.0.0.0"]}}, "workload.sourceRanges", "10.0.0.0/255.0.0.0", "(write 10.0.0.0/8)"),
    "zones-one": ({"availabilityZoneCount": 1}, "availabilityZoneCount", "1", "between 2 and 4"),
    "zones-five": ({"availabilityZoneCount": 5}, "availabilityZoneCount", "5", "between 2 and 4"),
    "zones-above-region": ({"aws:region": "eu-west-1", "availabilityZoneCount": 4}, "availabilityZoneCount", "4", "offers only 3 zones"),
    "zones-foreign": ({"availabilityZones": ["us-west-2a", "us-east-1a"]}, "availabilityZones", "us-east-1a", "allowed: us-west-2a"),
    "nat-instance-in-production": (
        {"production": True, "endpointPublicAccess": False, "natMode": "instance"},
        "natMode", "instance", "non-production stacks",
    ),
    "nat-mode": ({"natMode": "double"}, "natMode", "double", "'none', 'single', 'per_az' or 'instance'"),
    "private-cluster-controller": ({"natMode": "none", "workload": {"enabled": False}, "metricsServer": False}, "loadBalancerController", "'enabled': True", "public.ecr.aws, which has no VPC endpoint"),
    "private-cluster-podinfo": ({"natMode": "none", "loadBalancerController": {"enabled": False}, "metricsServer": False}, "workload", "'replicas': 2", "image is on ghcr.io"),
    "private-cluster-metrics-server": ({"natMode": "none", "workload": {"enabled": False}, "loadBalancerController": {"enabled": False}}, "metricsServer", "true", "registry.k8s.io"),
    "max-replicas-below-replicas": ({"workload": {"replicas": 3, "maxReplicas": 2}}, "workload.maxReplicas", "2", "at least replicas (3)"),
    "private-cluster-karpenter": ({"natMode": "none", "computeMode": "karpenter"}, "computeMode", "karpenter", "needs internet egress"),
    "private-cluster-auto-mode": (
        {"natMode": "none", "computeMode": "auto", "nodeGroups": [], "workload": {"enabled": False}, "metricsServer": False},
        "computeMode", "auto", "Auto Mode with natMode none is not supported",
    ),
    "private-cluster-autoscaler": (
        {"natMode": "none", "workload": {"enabled": False}, "metricsServer": False, **NO_CONTROLLER, "nodeGroups": [{**GROUP, "autoscaled": True}]},
        "nodeGroups", "'autoscaled': True", "autoscaled groups (g) get the Cluster Autoscaler",
    ),
    "region-malformed": ({"aws:region": "moon-1"}, "aws:region", "moon-1", "is not an AWS region"),
    "region-well-formed-but-unknown": ({"aws:region": "mars-north-9"}, "aws:region", "mars-north-9", "regions of the aws partition: af-south-1"),
    "region-china": ({"aws:region": "cn-north-1"}, "aws:region", "cn-north-1", "use a region of the aws partition"),
    "region-govcloud": ({"aws:region": "us-gov-west-1"}, "aws:region", "us-gov-west-1", "aws-us-gov partition"),
    "flow-log-retention": ({"flowLogsRetentionDays": 100}, "flowLogsRetentionDays", "100", "must be one of 1, 3, 5"),
    "byo-no-subnets": ({"existingVpcId": "vpc-0123456789abcdef0"}, "existingPrivateSubnetIds", "[]", "at least two private subnets"),
    "byo-one-private": (
        {"existingVpcId": "vpc-0123456789abcdef0", "existingPublicSubnetIds": ["subnet-0000000a"], "existingPrivateSubnetIds": ["subnet-0000000b"]},
        "existingPrivateSubnetIds", "subnet-0000000b", "at least two private subnets",
    ),
    "byo-subnets-without-vpc": ({"existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"]}, "existingPrivateSubnetIds", "subnet-0000000b", "only used together with existingVpcId"),
    "byo-bad-vpc-id": ({"existingVpcId": "vpc-12"}, "existingVpcId", "vpc-12", "VPC id such as vpc-0123456789abcdef0"),
    "unknown-key": ({"natMod": "single"}, "natMod", "single", "did you mean natMode?"),
    "private-prefix": ({"privateSubnetPrefixLength": 12}, "privateSubnetPrefixLength", "12", "between 16 and 28"),
    "public-larger-than-private": ({"publicSubnetPrefixLength": 18}, "publicSubnetPrefixLength", "18", "must not be larger than private"),
    "cluster-name": ({"clusterName": "-bad"}, "clusterName", "-bad", "letters, digits, '-' or '_'"),
    "cluster-name-trailing-newline": ({"clusterName": "abc\n"}, "clusterName", "'abc\\n'", "letters, digits, '-' or '_'"),
    "node-group-name-too-long-for-the-platform": ({"nodeGroups": [{**GROUP, "name": "spot-arm-graviton-general-pool1"}]}, "nodeGroups[0].name", "spot-arm-graviton-general-pool1", "may have at most 30"),
    # control plane
    "version-unknown": ({"kubernetesVersion": "1.29"}, "kubernetesVersion", "1.29", "documented support window (known: 1.32"),
    "version-past-standard": ({"kubernetesVersion": "1.32"}, "kubernetesVersion", "1.32", "set upgradePolicy to EXTENDED"),
    "block-storage-not-boolean": ({"blockStorage": "maybe"}, "blockStorage", "maybe", "valid boolean"),
    "metrics-server-not-boolean": ({"metricsServer": "often"}, "metricsServer", "often", "valid boolean"),
    "observability-not-boolean": ({"observability": "sometimes"}, "observability", "sometimes", "valid boolean"),
    "ami-release-malformed": ({"nodeGroups": [{**GROUP, "amiReleaseVersion": "latest"}]}, "nodeGroups[0].amiReleaseVersion", "latest", "EKS AMI release version such as 1.35.3-20260724"),
    "addon-unknown": ({"addonVersions": {"ebs": "v1.0.0-eksbuild.1"}}, "addonVersions", "ebs", "unknown add-ons ebs (known: amazon-cloudwatch-observability, aws-ebs-csi-driver"),
    "addon-version-malformed": ({"addonVersions": {"coredns": "latest"}}, "addonVersions", "coredns", "not EKS add-on versions such as"),
    "ami-release-other-minor": ({"nodeGroups": [{**GROUP, "amiReleaseVersion": "1.34.6-20260724"}]}, "nodeGroups", "1.34.6-20260724", "AMI releases must be of Kubernetes 1.35"),
    "upgrade-policy": ({"upgradePolicy": "FOREVER"}, "upgradePolicy", "FOREVER", "'STANDARD' or 'EXTENDED'"),
    "open-endpoint-in-production": ({"production": True}, "publicAccessCidrs", "0.0.0.0/0", "not allowed in production"),
    "public-cidr-malformed": ({"publicAccessCidrs": ["300.0.0.0/8"]}, "publicAccessCidrs", "300.0.0.0/8", "not IPv4 networks"),
    "public-cidrs-empty": ({"publicAccessCidrs": []}, "publicAccessCidrs", "[]", "at least one range"),
    "log-type": ({"clusterLogTypes": ["api", "kubelet"]}, "clusterLogTypes[1]", "kubelet", "'api', 'audit', 'authenticator'"),
    "log-retention": ({"clusterLogRetentionDays": 10}, "clusterLogRetentionDays", "10", "must be one of"),
    "admin-sts-arn": ({"adminPrincipalArns": [ARN_STS]}, "adminPrincipalArns", ARN_STS, "IAM role or user ARNs"),
    "admin-and-reader": ({"adminPrincipalArns": [ADMIN], "readOnlyPrincipalArns": [ADMIN]}, "readOnlyPrincipalArns", ADMIN, "also listed as admin"),
    # node groups
    "no-node-groups": ({"nodeGroups": []}, "nodeGroups", "[]", "at least one node group"),
    "desired-below-min": ({"nodeGroups": [{**GROUP, "minSize": 3, "desiredSize": 2, "maxSize": 4}]}, "nodeGroups[0].desiredSize", "2", "at least minSize (3)"),
    "max-zero": ({"nodeGroups": [{**GROUP, "minSize": 0, "desiredSize": 0, "maxSize": 0}]}, "nodeGroups[0].maxSize", "0", "greater than or equal to 1"),
    "no-instance-types": ({"nodeGroups": [{**GROUP, "instanceTypes": []}]}, "nodeGroups[0].instanceTypes", "[]", "at least 1 item"),
    "capacity-type": ({"nodeGroups": [{**GROUP, "capacityType": "RESERVED"}]}, "nodeGroups[0].capacityType", "RESERVED", "'ON_DEMAND' or 'SPOT'"),
    "ami-type": ({"nodeGroups": [{**GROUP, "amiType": "AL2_x86_64"}]}, "nodeGroups[0].amiType", "AL2_x86_64", "'AL2023_x86_64_STANDARD'"),
    "graviton-on-x86-ami": ({"nodeGroups": [{**GROUP, "amiType": "AL2023_x86_64_STANDARD"}]}, "nodeGroups[0].amiType", "AL2023_x86_64_STANDARD", "needs x86_64 instances; t4g.medium"),
    "duplicate-groups": ({"nodeGroups": [GROUP, GROUP]}, "nodeGroups", "'name': 'g'", "duplicate node group names: g"),
    "label-key": ({"nodeGroups": [{**GROUP, "labels": {"bad key": "x"}}]}, "nodeGroups[0].labels", "bad key", "name must be 1-63 alphanumerics"),
    "taint-effect": ({"nodeGroups": [{**GROUP, "taints": [{"key": "k", "effect": "NoWay"}]}]}, "nodeGroups[0].taints[0].effect", "NoWay", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    "disk-below-snapshot": ({"nodeGroups": [{**GROUP, "diskSizeGib": 19}]}, "nodeGroups[0].diskSizeGib", "19", "at least 20 GiB"),
    "label-reserved-nodegroup": ({"nodeGroups": [{**GROUP, "labels": {"nodegroup": "other"}}]}, "nodeGroups[0].labels", "nodegroup", "reserved: the platform sets it"),
    "label-eks-prefix": ({"nodeGroups": [{**GROUP, "labels": {"eks.amazonaws.com/capacityType": "x"}}]}, "nodeGroups[0].labels", "eks.amazonaws.com/capacityType", "are reserved"),
    "taint-key-too-long": ({"nodeGroups": [{**GROUP, "taints": [{"key": "a" * 30 + "/" + "b" * 40, "effect": "NoSchedule"}]}]}, "nodeGroups[0].taints[0].key", "aaaa", "at most 63 characters"),
    "node-group-trailing-dash": ({"nodeGroups": [{**GROUP, "name": "g-"}]}, "nodeGroups[0].name", "g-", "must end with a letter or digit"),
    "max-size-above-quota": ({"nodeGroups": [{**GROUP, "maxSize": 451}]}, "nodeGroups[0].maxSize", "451", "less than or equal to 450"),
    "min-size-float": ({"nodeGroups": [{**GROUP, "minSize": 1.0}]}, "nodeGroups[0].minSize", "1.0", "must be a whole number"),
    "zone-count-boolean": ({"availabilityZoneCount": "true"}, "availabilityZoneCount", "true", "must be a whole number"),
    "all-groups-tainted": ({"nodeGroups": [{**GROUP, "taints": [{"key": "gpu", "effect": "NoSchedule"}]}]}, "nodeGroups", "'gpu'", "nowhere to run"),
    "no-node-at-start": ({"nodeGroups": [{**GROUP, "minSize": 0, "desiredSize": 0}]}, "nodeGroups", "'desiredSize': 0", "no node group starts with a node"),
    "instance-type-malformed": ({"nodeGroups": [{**GROUP, "instanceTypes": ["large"]}]}, "nodeGroups[0].instanceTypes", "large", "not EC2 instance types: large"),
    # Fargate
    "fargate-no-selectors": ({"fargateProfiles": [{"name": "p", "selectors": []}]}, "fargateProfiles[0].selectors", "[]", "at least 1 item"),
    "fargate-namespace": ({"fargateProfiles": [{"name": "p", "selectors": [{"namespace": "Bad_NS"}]}]}, "fargateProfiles[0].selectors[0].namespace", "Bad_NS", "1-63 lowercase letters"),
    "fargate-duplicates": ({"fargateProfiles": [PROFILE, PROFILE]}, "fargateProfiles", "'name': 'p'", "duplicate Fargate profile names: p"),
    "protect-not-boolean": ({"protect": "maybe"}, "protect", "maybe", "valid boolean"),
    "deletion-protection-not-boolean": ({"deletionProtection": "sure"}, "deletionProtection", "sure", "valid boolean"),
    "production-not-boolean": ({"production": "perhaps"}, "production", "perhaps", "valid boolean"),
    "endpoint-public-access-not-boolean": ({"endpointPublicAccess": "often"}, "endpointPublicAccess", "often", "valid boolean"),
    # compute modes
    "compute-mode": ({"computeMode": "fleet"}, "computeMode", "fleet", "'managed', 'karpenter' or 'auto'"),
    "karpenter-in-managed-mode": ({"karpenter": {"cpuLimit": 8}}, "karpenter", "'cpuLimit': 8", "only used with computeMode karpenter"),
    "karpenter-cpu-limit": ({"computeMode": "karpenter", "karpenter": {"cpuLimit": 0}}, "karpenter.cpuLimit", "0", "greater than 0"),
    "karpenter-no-capacity-type": ({"computeMode": "karpenter", "karpenter": {"capacityTypes": []}}, "karpenter.capacityTypes", "[]", "at least one capacity type out of spot, on-demand"),
    "karpenter-architecture": ({"computeMode": "karpenter", "karpenter": {"architectures": ["riscv"]}}, "karpenter.architectures", "riscv", "at least one architecture out of arm64, amd64"),
    "karpenter-ami-alias": ({"computeMode": "karpenter", "karpenter": {"amiAlias": "al2023@v1"}}, "karpenter.amiAlias", "al2023@v1", "al2023@latest or al2023@vYYYYMMDD"),
    "karpenter-latest-ami-in-production": (
        {"production": True, "endpointPublicAccess": False, "computeMode": "karpenter", "workload": {"replicas": 2}},
        "karpenter", "None", "production needs a pinned node AMI",
    ),
    "auto-with-node-groups": ({"computeMode": "auto"}, "nodeGroups", "spot-arm", "not used with computeMode auto"),
    # workload
    "replicas-zero": ({"workload": {"replicas": 0}}, "workload.replicas", "0", "greater than or equal to 1"),
    "scheme": ({"workload": {"scheme": "public"}}, "workload.scheme", "public", "'internet-facing' or 'internal'"),
    "source-ranges": ({"workload": {"sourceRanges": ["banana"]}}, "workload.sourceRanges", "banana", "not IP networks"),
    # IPv6 on an IPv4 NLB: "unsupported v6 cidr" (controller v3.5.0); on an ALB: dropped
    "source-range-ipv6-nlb": ({"workload": {"sourceRanges": ["10.0.0.0/8", "2001:db8::/32"]}}, "workload.sourceRanges", "2001:db8::/32", "IPv4 CIDRs only"),
    "source-range-ipv6-alb": ({"workload": {"exposure": "alb", "sourceRanges": ["::/0"]}}, "workload.sourceRanges", "::/0", "not dual-stack"),
    "source-range-ipv6-auto": ({"computeMode": "auto", "workload": {"sourceRanges": ["2001:db8::/32"]}}, "workload.sourceRanges", "2001:db8::/32", "IPv4 CIDRs only"),
    "source-range-ipv6-in-tree": ({**NO_CONTROLLER, "workload": {"sourceRanges": ["2001:db8::/32"]}}, "workload.sourceRanges", "2001:db8::/32", "IPv4 CIDRs only"),
    "chart-reference": ({"workload": {"chart": "oci://Bad/Chart"}}, "workload.chart", "oci://Bad/Chart", "oci://<registry>/<path>/<chart>"),
    "chart-version": ({"workload": {"version": "^6.0"}}, "workload.version", "^6.0", "exact chart version such as 6.14.1"),
    "workload-namespace": ({"workload": {"namespace": "default"}}, "workload.namespace", "default", "namespace Kubernetes reserves"),
    "release-name-digit": ({"workload": {"releaseName": "1app"}}, "workload.releaseName", "1app", "must start with a letter"),
    "replicas-beyond-int32": ({"workload": {"replicas": 2**40}}, "workload.replicas", str(2**40), "less than or equal to 2147483647"),
    "values-too-deep": ({"workload": {"values": {"a": DEEP}}}, "workload.values", "'a'", "nested deeper than 32"),
    "values-huge-integer": ({"workload": {"values": {"big": 2**70}}}, "workload.values", "big", "does not fit in 64 bits"),
    # exposure, TLS and names (issue 16)
    "exposure": ({"workload": {"exposure": "gateway"}}, "workload.exposure", "gateway", "'nlb' or 'alb'"),
    "alb-in-one-brought-public-subnet": (
        {"existingVpcId": "vpc-0123456789abcdef0", "existingPublicSubnetIds": ["subnet-0000000a"],
         "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"], "workload": {"exposure": "alb"}},
        "workload", "'exposure': 'alb'", "public subnets in at least two zones",
    ),
    "alb-without-controller": ({**NO_CONTROLLER, "workload": {"exposure": "alb"}}, "workload", "'exposure': 'alb'", "needs the AWS Load Balancer Controller"),
    "tls-with-in-tree-nlb": ({**NO_CONTROLLER, "workload": {"tls": {"certificateArn": CERT}}}, "workload", "certificateArn", "in-tree NLB"),
    "domain-uppercase": ({"workload": {"domain": "App.example.com", "hostedZoneId": "Z0123456789ABC"}}, "workload.domain", "App.example.com", "must be lower case"),
    "domain-single-label": ({"workload": {"domain": "localhost", "hostedZoneId": "Z0123456789ABC"}}, "workload.domain", "localhost", "fully qualified name"),
    "domain-wildcard": ({"workload": {"domain": "*.example.com", "hostedZoneId": "Z0123456789ABC"}}, "workload.domain", "*.example.com", "must not be a wildcard"),
    "domain-label-too-long": ({"workload": {"domain": "a" * 64 + ".example.com", "hostedZoneId": "Z0123456789ABC"}}, "workload.domain", "aaaa", "not 1-63 letters"),
    "domain-trailing-dot": ({"workload": {"domain": "app.example.com.", "hostedZoneId": "Z0123456789ABC"}}, "workload.domain", "app.example.com.", "without the final dot"),
    "domain-without-zone": ({"workload": {"domain": "app.example.com"}}, "workload.hostedZoneId", "''", "is required with workload.domain"),
    "zone-without-domain": ({"workload": {"hostedZoneId": "Z0123456789ABC"}}, "workload.hostedZoneId", "Z0123456789ABC", "needs workload.domain"),
    "zone-malformed": ({"workload": {"domain": "app.example.com", "hostedZoneId": "zone-1"}}, "workload.hostedZoneId", "zone-1", "Z followed by upper-case letters"),
    "zone-with-prefix": ({"workload": {"domain": "app.example.com", "hostedZoneId": "/hostedzone/Z0123456789ABC"}}, "workload.hostedZoneId", "/hostedzone/Z0123456789ABC", "write the id alone: Z0123456789ABC"),
    "tags-aws-prefix": ({"tags": {"aws:owner": "me"}}, "tags", "aws:owner", "the aws: prefix is reserved"),
    "tags-platform-key": ({"tags": {"stack": "other"}}, "tags", "other", "one of the platform's own tags"),
    "tags-equals-in-key": ({"tags": {"a=b": "c"}}, "tags", "a=b", "and = in values"),
    "tags-too-many": ({"tags": {f"k{i}": "v" for i in range(31)}}, "tags", "'k0': 'v'", "at most 30"),
    "tags-not-text": ({"tags": {"team": 7}}, "tags", "team", "must map tag keys to text values"),
    "tags-karpenter-reserved": ({"tags": {"kubernetes.io/cluster/x": "owned"}}, "tags", "owned", "EKS, Karpenter or the load balancer controller"),
    "tags-subnet-role": ({"tags": {"kubernetes.io/role/elb": "1"}}, "tags", "kubernetes.io/role/elb", "set and read this tag"),
    "tags-padded": ({"tags": {"team": " payments"}}, "tags", "payments", "no space at the start or end"),
    "domain-region-without-alias-zone": ({"aws:region": "ap-east-2", "availabilityZoneCount": 2, "workload": {"domain": "app.example.com", "hostedZoneId": "Z0123456789ABC"}}, "workload", "app.example.com", "in a table without ap-east-2"),
    "certificate-malformed": ({"workload": {"tls": {"certificateArn": "arn:aws:iam::123456789012:server-certificate/x"}}}, "workload.tls.certificateArn", "server-certificate", "ACM certificate ARN"),
    "certificate-other-region": ({"workload": {"tls": {"certificateArn": CERT.replace("us-west-2", "us-east-1")}}}, "workload.tls.certificateArn", "us-east-1", "can only use certificates of us-west-2"),
    "shared-name-not-boolean": ({"workload": {"sharedName": "maybe"}}, "workload.sharedName", "maybe", "valid boolean"),
    "gpu-smoke-test-not-boolean": ({"gpu": {"smokeTest": "soon"}}, "gpu.smokeTest", "soon", "valid boolean"),
    "ssl-policy-tls10": ({"workload": {"tls": {"sslPolicy": "ELBSecurityPolicy-2016-08"}}}, "workload.tls.sslPolicy", "ELBSecurityPolicy-2016-08", "only TLS 1.2 and 1.3"),
    # GPU (issue 16)
    "gpu-ami-on-cpu-types": ({"nodeGroups": [GROUP, {**GPU_GROUP, "instanceTypes": ["m7i.large"]}]}, "nodeGroups[1].amiType", "AL2023_x86_64_NVIDIA", "GPU families: g4dn"),
    "gpu-types-on-standard-ami": ({"nodeGroups": [GROUP, {**GPU_GROUP, "amiType": "AL2023_x86_64_STANDARD"}]}, "nodeGroups[1].amiType", "AL2023_x86_64_STANDARD", "use AL2023_x86_64_NVIDIA"),
    "gpu-arm-ami-on-x86": ({"nodeGroups": [GROUP, {**GPU_GROUP, "amiType": "AL2023_ARM_64_NVIDIA"}]}, "nodeGroups[1].amiType", "AL2023_ARM_64_NVIDIA", "needs arm64 instances"),
    "gpu-ami-type-unknown": ({"nodeGroups": [GROUP, {**GPU_GROUP, "amiType": "AL2_x86_64_GPU"}]}, "nodeGroups[1].amiType", "AL2_x86_64_GPU", "AL2023_x86_64_NVIDIA"),
    "gpu-node-pool-managed": ({"gpu": {"nodePool": True}}, "gpu", "'nodePool': True", "needs computeMode karpenter or auto"),
    "gpu-families": ({"computeMode": "karpenter", "gpu": {"nodePool": True, "instanceFamilies": ["g4ad", "m7i"]}}, "gpu.instanceFamilies", "g4ad", "not GPU families: g4ad, m7i"),
    "gpu-families-empty": ({"computeMode": "karpenter", "gpu": {"nodePool": True, "instanceFamilies": []}}, "gpu.instanceFamilies", "[]", "none given"),
    "gpu-capacity-types": ({"computeMode": "karpenter", "gpu": {"nodePool": True, "capacityTypes": ["reserved"]}}, "gpu.capacityTypes", "reserved", "spot, on-demand"),
    "gpu-max-gpus": ({"computeMode": "karpenter", "gpu": {"nodePool": True, "maxGpus": 0}}, "gpu.maxGpus", "0", "greater than or equal to 1"),
    "gpu-smoke-test-without-capacity": ({"gpu": {"smokeTest": True}}, "gpu", "'smokeTest': True", "needs GPU capacity that can start"),
    "gpu-smoke-test-group-at-zero": ({"nodeGroups": [GROUP, GPU_GROUP], "gpu": {"smokeTest": True}}, "gpu", "'smokeTest': True", "desiredSize of at least 1"),
    "gpu-private-cluster": (
        {"natMode": "none", "metricsServer": False, "workload": {"enabled": False}, **NO_CONTROLLER, "nodeGroups": [GROUP, GPU_GROUP]},
        "gpu", "'nodePool': False", "nvcr.io",
    ),
    "controller-replicas": ({"loadBalancerController": {"replicas": 0}}, "loadBalancerController.replicas", "0", "greater than or equal to 1"),
    "production-one-replica": (
        {"production": True, "endpointPublicAccess": False, "workload": {"replicas": 1}},
        "workload", "'replicas': 1", "at least 2",
    ),
}  # fmt: skip


def test_the_matrix_is_large_and_covers_every_area():
    assert len(CASES) >= 40
    keys = " ".join(case[1] for case in CASES.values())
    for area in ("vpcCidr", "availabilityZone", "natMode", "kubernetesVersion", "upgradePolicy",
                 "publicAccessCidrs", "nodeGroups", "fargateProfiles", "workload"):  # fmt: skip
        assert area in keys or any(area in str(case[0]) for case in CASES.values()), area


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_anything_is_registered(run_bad, case):
    overrides, key, value, allowed = CASES[case]
    message, registered = run_bad(overrides)
    assert registered == []
    full_key = key if ":" in key else NS + key
    line = next((line for line in message.splitlines() if f"- {full_key} = " in line), None)
    assert line is not None, message
    assert value in line, line  # the bad value, as given
    assert allowed in line, line  # what is allowed


def test_several_problems_are_reported_together(run_bad):
    message, registered = run_bad(
        {
            "vpcCidr": "8.8.0.0/16",
            "natMode": "double",
            "kubernetesVersion": "1.29",
            "nodeGroups": [{"name": "g", "capacityType": "RESERVED"}],
            "fargateProfiles": [{"name": "p", "selectors": []}],
            "workload": {"scheme": "public"},
            "typoKey": 1,
        }
    )
    assert registered == []
    assert "7 problem(s)" in message
    for key in ("vpcCidr", "natMode", "kubernetesVersion", "nodeGroups[0].capacityType",
                "fargateProfiles[0].selectors", "workload.scheme", "typoKey"):  # fmt: skip
        assert f"- {NS}{key} = " in message, key


@pytest.mark.parametrize("case", ["nat-mode", "taint-effect", "chart-version"])
def test_plan_command_exits_non_zero_with_the_message_and_no_traceback(case):
    overrides, key, value, _ = CASES[case]
    args = []
    for name, setting in overrides.items():
        text = setting if isinstance(setting, str) else json.dumps(setting)
        args += ["--set", f"{name}={text}"]
    result = subprocess.run(
        [sys.executable, "-m", "eks_platform.offline", "dev", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert f"{NS}{key}" in result.stderr and value in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "value",
    [
        "[" * 5000 + "]" * 5000,  # deeper than the JSON parser goes
        '[{"name": "g", "minSize": 1' + "0" * 5000 + "}]",  # more digits than Python converts
    ],
)
def test_pathological_json_in_set_exits_2_with_a_short_message(value):
    result = subprocess.run(
        [sys.executable, "-m", "eks_platform.offline", "dev", "--set", f"nodeGroups={value}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert f"{NS}nodeGroups = " in result.stderr and "characters)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr) < 2000
