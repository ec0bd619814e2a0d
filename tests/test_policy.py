"""The CrossGuard pack: a passing and a failing fixture per rule, and the shipped stacks' plans."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
sys.path.insert(0, str(POLICY_DIR))

from guardrails import POLICIES  # noqa: E402
from offline import evaluate  # noqa: E402
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy  # noqa: E402

from eks_platform.offline import run_stack  # noqa: E402
from eks_platform.offline.model.recorder import Registration  # noqa: E402

CLUSTER = "eks:index:Cluster"
EKS = "aws:eks/cluster:Cluster"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
KEY_POLICY_OK = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
)
KEY_POLICY_BAD = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
        ]
    }
)
ADMIN = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
SCOPED = json.dumps(
    {"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
)
IMDS_OK = {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}}

# policy name -> (resource type, passing inputs, failing inputs)
RESOURCE_CASES = {
    "eks-control-plane-logging": (CLUSTER, {"enabledClusterLogTypes": ALL_LOGS}, {"enabledClusterLogTypes": ["api"]}),
    "eks-endpoint-not-open-in-production": (
        CLUSTER,
        {"publicAccessCidrs": ["198.51.100.0/24"], "tags": {"environment": "production"}},
        {"publicAccessCidrs": ["0.0.0.0/0"], "tags": {"environment": "production"}},
    ),
    "eks-endpoint-restricted": (CLUSTER, {"endpointPublicAccess": False}, {"publicAccessCidrs": ["0.0.0.0/0"]}),
    "eks-private-endpoint": (CLUSTER, {"endpointPrivateAccess": True}, {"endpointPrivateAccess": False}),
    "eks-secrets-encryption": (CLUSTER, {"encryptionConfigKeyArn": "arn:aws:kms:x"}, {}),
    "eks-access-entries": (CLUSTER, {"authenticationMode": "API"}, {"authenticationMode": "CONFIG_MAP"}),
    "eks-supported-version": (CLUSTER, {"version": "1.35"}, {"version": "1.29"}),
    "eks-upgrade-policy": (CLUSTER, {"upgradePolicy": {"supportType": "STANDARD"}}, {}),
    "eks-multi-az": (CLUSTER, {"privateSubnetIds": ["a", "b"]}, {"privateSubnetIds": ["a"]}),
    "kms-key-rotation": ("aws:kms/key:Key", {"enableKeyRotation": True}, {"enableKeyRotation": False}),
    "kms-key-policy-principals": ("aws:kms/key:Key", {"policy": KEY_POLICY_OK}, {"policy": KEY_POLICY_BAD}),
    "imdsv2-required": (LT, IMDS_OK, {"metadataOptions": {"httpTokens": "optional"}}),
    "imds-hop-limit": (LT, IMDS_OK, {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}),
    "encrypted-volumes": (
        LT,
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]},
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]},
    ),
    "no-public-ip-on-nodes": (LT, {}, {"networkInterfaces": [{"associatePublicIpAddress": "true"}]}),
    "subnet-no-public-ip-on-launch": ("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": False}, {"mapPublicIpOnLaunch": True}),
    "node-group-no-ssh": ("aws:eks/nodeGroup:NodeGroup", {}, {"remoteAccess": {"ec2SshKey": "k"}}),
    "log-group-retention": ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}, {}),
    "log-group-retention-one-year": ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365}, {"retentionInDays": 30}),
    "log-group-encrypted": ("aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": "arn:aws:kms:x"}, {}),
    "iam-no-admin-wildcard": ("aws:iam/rolePolicy:RolePolicy", {"policy": SCOPED}, {"policy": ADMIN}),
    "karpenter-node-class-hardened": (
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        {"spec": {**IMDS_OK, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True}}]}},
        {"spec": {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}, "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {}}]}},
    ),
    "sqs-queue-encrypted": ("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, {"sqsManagedSseEnabled": False}),
    "k8s-namespace-not-default": (
        "kubernetes:core/v1:Service",
        {"kind": "Service", "metadata": {"namespace": "web"}},
        {"kind": "Service", "metadata": {"namespace": "default"}},
    ),
    "k8s-storage-class-encrypted": (
        "kubernetes:storage.k8s.io/v1:StorageClass",
        {"parameters": {"type": "gp3", "encrypted": "true"}},
        {"parameters": {"type": "gp3"}},
    ),
    "k8s-namespace-pod-security": (
        "kubernetes:core/v1:Namespace",
        {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        {"metadata": {"labels": {}}},
    ),
    "k8s-service-source-ranges": (
        "kubernetes:core/v1:Service",
        {"spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["198.51.100.0/24"]}},
        {"spec": {"type": "LoadBalancer"}},
    ),
    "lb-tls-policy-modern": (
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
    ),
    "lb-http-redirects-to-https": (
        "aws:lb/listener:Listener",
        {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}]},
        {"protocol": "HTTP", "defaultActions": [{"type": "forward", "targetGroupArn": "tg"}]},
    ),
    "gpu-capacity-guarded": (
        "aws:eks/nodeGroup:NodeGroup",
        {"amiType": "AL2023_x86_64_NVIDIA", "taints": [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}]},
        {"amiType": "AL2023_x86_64_NVIDIA", "taints": []},
    ),
}  # fmt: skip

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CERT = {"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-west-2:1:certificate/x"}
# The TLS rules seen through the Kubernetes objects the controller turns into listeners.
KUBERNETES_CASES = [
    ("lb-tls-policy-modern", INGRESS,
     {"metadata": {"annotations": {**CERT, "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}}},
     {"metadata": {"annotations": CERT}}),
    ("lb-tls-policy-modern", "kubernetes:core/v1:Service",
     {"metadata": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn",
                                   "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}}},
     {"metadata": {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn",
                                   "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS-1-1-2017-01"}}}),
    ("lb-http-redirects-to-https", INGRESS,
     {"metadata": {"annotations": {**CERT, "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
                                   "alb.ingress.kubernetes.io/ssl-redirect": "443"}}},
     {"metadata": {"annotations": {**CERT, "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]'}}}),
    ("gpu-capacity-guarded", "kubernetes:karpenter.sh/v1:NodePool",
     {"spec": {"template": {"spec": {"taints": [{"key": "nvidia.com/gpu"}], "requirements": []}}, "limits": {"nvidia.com/gpu": "4"}}},
     {"spec": {"template": {"spec": {"requirements": [{"key": "karpenter.k8s.aws/instance-family", "values": ["g6"]}]}}}}),
    # A pool that excludes GPUs (the default pool, issue 23) is not a GPU pool; one that asks for them is.
    ("gpu-capacity-guarded", "kubernetes:karpenter.sh/v1:NodePool",
     {"spec": {"template": {"spec": {"requirements": [{"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "DoesNotExist"}]}}}},
     {"spec": {"template": {"spec": {"requirements": [{"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Exists"}]}}}}),
]  # fmt: skip


@pytest.mark.parametrize(
    "case", KUBERNETES_CASES, ids=lambda c: f"{c[0]}-{c[1].rsplit(':', 1)[-1]}"
)
def test_load_balancer_and_gpu_rules_bite_on_kubernetes_objects(case):
    policy, type_, good, bad = case
    assert violations_of(policy, [reg("good", type_, good)]) == []
    assert violations_of(policy, [reg("bad", type_, bad)])


# The same rules seen through the AWS resource a real preview shows.
EKS_CASES = {
    "eks-control-plane-logging": ({"enabledClusterLogTypes": ALL_LOGS}, {"enabledClusterLogTypes": []}),
    "eks-endpoint-restricted": ({"vpcConfig": {"publicAccessCidrs": ["198.51.100.0/24"]}}, {"vpcConfig": {}}),
    "eks-private-endpoint": ({"vpcConfig": {"endpointPrivateAccess": True}}, {"vpcConfig": {}}),
    "eks-secrets-encryption": ({"encryptionConfig": {"resources": ["secrets"]}}, {}),
    "eks-access-entries": ({"accessConfig": {"authenticationMode": "API"}}, {"accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}}),
    "eks-supported-version": ({"version": "1.34"}, {"version": "1.30"}),
    "eks-upgrade-policy": ({"upgradePolicy": {"supportType": "STANDARD"}}, {"upgradePolicy": {"supportType": "EXTENDED"}}),
}  # fmt: skip


def reg(urn: str, type_: str, inputs: dict, **deps: list[str]) -> Registration:
    return Registration(urn, type_, urn, True, "", "", [], dict(deps), inputs)


def violations_of(policy_name: str, registrations: list[Registration]) -> list[str]:
    return [v.message for v in evaluate(registrations, modelled=False) if v.policy == policy_name]


def test_at_least_twenty_rules_each_naming_its_check():
    assert len(POLICIES) >= 20
    assert len({p.name for p in POLICIES}) == len(POLICIES)
    for policy in POLICIES:
        assert policy.description.endswith("]"), policy.name  # "... [CKV_AWS_37]"
    levels = {p.enforcement_level.value for p in POLICIES if p.enforcement_level}
    assert levels == {"mandatory", "advisory"}


def test_every_rule_has_fixtures():
    stack_rules = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
    resource_rules = {p.name for p in POLICIES if isinstance(p, ResourceValidationPolicy)}
    assert resource_rules == set(RESOURCE_CASES)
    assert stack_rules == set(STACK_CASES)


@pytest.mark.parametrize("policy", sorted(RESOURCE_CASES))
def test_resource_rule_passes_and_fails(policy):
    type_, good, bad = RESOURCE_CASES[policy]
    assert violations_of(policy, [reg("good", type_, good)]) == []
    found = violations_of(policy, [reg("bad", type_, bad)])
    assert len(found) == 1 and found[0].endswith("]")


@pytest.mark.parametrize("policy", sorted(EKS_CASES))
def test_rules_also_bite_on_the_aws_cluster_resource(policy):
    good, bad = EKS_CASES[policy]
    assert violations_of(policy, [reg("good", EKS, good)]) == []
    assert len(violations_of(policy, [reg("bad", EKS, bad)])) == 1


VPC = reg("vpc", "aws:ec2/vpc:Vpc", {})
PRIVATE = reg(
    "private",
    "aws:ec2/subnet:Subnet",
    {"tags": {"kubernetes.io/role/internal-elb": "1"}, "availabilityZone": "a"},
)
PUBLIC_A = reg(
    "public-a",
    "aws:ec2/subnet:Subnet",
    {"tags": {"kubernetes.io/role/elb": "1"}, "availabilityZone": "a"},
)
PUBLIC_B = reg(
    "public-b",
    "aws:ec2/subnet:Subnet",
    {"tags": {"kubernetes.io/role/elb": "1"}, "availabilityZone": "b"},
)
NAT_A = reg("nat-a", "aws:ec2/natGateway:NatGateway", {}, subnetId=["public-a"])
NAT_B = reg("nat-b", "aws:ec2/natGateway:NatGateway", {}, subnetId=["public-b"])
STACK_CASES = {
    "vpc-flow-logs": (
        [VPC, reg("fl", "aws:ec2/flowLog:FlowLog", {}, vpcId=["vpc"])],
        [VPC, reg("fl", "aws:ec2/flowLog:FlowLog", {}, vpcId=["elsewhere"])],
    ),
    "default-security-group-empty": (
        [VPC, reg("sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {}, vpcId=["vpc"])],
        [VPC, reg("sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": [{"protocol": "-1"}]}, vpcId=["vpc"])],
    ),
    "node-groups-in-private-subnets": (
        [PRIVATE, reg("ng", "aws:eks/nodeGroup:NodeGroup", {}, subnetIds=["private"])],
        [PUBLIC_A, reg("ng", "aws:eks/nodeGroup:NodeGroup", {}, subnetIds=["public-a"])],
    ),
    "nat-gateway-per-zone": ([PUBLIC_A, PUBLIC_B, NAT_A, NAT_B], [PUBLIC_A, PUBLIC_B, NAT_A]),
    "vpc-ranges-disjoint": (
        [reg("vpc-a", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.10.0.0/16"}), reg("vpc-b", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.20.0.0/16"})],
        [reg("vpc-a", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}), reg("vpc-b", "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.128.0/17"})],
    ),
    "fleet-versions-aligned": (
        [Registration(f"c{v}", CLUSTER, f"c{v}", True, "", "", [], {}, {"version": v}) for v in ("1.34", "1.35")],
        [Registration(f"c{v}", CLUSTER, f"c{v}", True, "", "", [], {}, {"version": v}) for v in ("1.33", "1.35")],
    ),
    "production-clusters-protected": (
        [Registration("c", CLUSTER, "c", True, "", "", [], {}, {"tags": {"environment": "production"}}, protect=True)],
        [Registration("c", CLUSTER, "c", True, "", "", [], {}, {"tags": {"environment": "production"}})],
    ),
}  # fmt: skip


@pytest.mark.parametrize("policy", sorted(STACK_CASES))
def test_stack_rule_passes_and_fails(policy):
    good, bad = STACK_CASES[policy]
    assert violations_of(policy, good) == []
    assert len(violations_of(policy, bad)) == 1


def test_the_nat_instance_may_have_a_public_ip_and_only_it():
    public = {"networkInterfaces": [{"associatePublicIpAddress": "true"}]}
    nat = reg("nat", LT, {**public, "tags": {"eks-platform/role": "nat-instance"}})
    node = reg("node", LT, {**public, "tags": {"eks-platform/role": "node"}})
    assert violations_of("no-public-ip-on-nodes", [nat]) == []
    assert len(violations_of("no-public-ip-on-nodes", [node])) == 1


def test_a_vpc_without_an_adopted_default_security_group_fails():
    assert violations_of("default-security-group-empty", [VPC]) == [
        "VPC's default security group is not adopted and emptied [CKV2_AWS_12]"
    ]


def test_thresholds_are_configurable():
    template = reg(
        "lt", LT, {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}
    )
    assert [
        v
        for v in evaluate([template], {"imds-hop-limit": {"maxHopLimit": 2}})
        if v.policy == "imds-hop-limit"
    ] == []
    cluster = reg("c", CLUSTER, {"version": "1.33"})
    found = evaluate([cluster], {"eks-supported-version": {"allowedVersions": ["1.33"]}})
    assert [v for v in found if v.policy == "eks-supported-version"] == []
    group = reg("g", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 90, "kmsKeyId": "k"})
    found = evaluate([group], {"log-group-retention-one-year": {"minRetentionDays": 90}})
    assert [v for v in found if v.policy == "log-group-retention-one-year"] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_have_no_mandatory_violations(stack):
    violations = evaluate(run_stack(".", stack).registrations)
    mandatory = [str(v) for v in violations if v.level == "mandatory"]
    assert mandatory == []
    if stack == "dev":  # the dev stack's accepted, advisory trade-offs
        advisory = {v.policy for v in violations}
        assert advisory == {
            "eks-endpoint-restricted",
            "log-group-retention-one-year",
            "k8s-service-source-ranges",
        }


def test_an_insecure_variant_is_caught():
    run = run_stack(".", "dev", {"nodeGroups": [{"name": "g"}], "workload": {"namespace": "web"}})
    assert [v for v in evaluate(run.registrations) if v.level == "mandatory"] == []
    # Drop the flow log from a recorded plan: the mandatory flow-log rule fires.
    trimmed = [r for r in run.registrations if r.type != "aws:ec2/flowLog:FlowLog"]
    assert "vpc-flow-logs" in {v.policy for v in evaluate(trimmed)}


def test_offline_checker_command():
    result = subprocess.run(
        [sys.executable, str(POLICY_DIR / "offline.py"), "prod"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory" in result.stdout


def test_pack_entry_point_is_the_only_place_that_builds_the_pack():
    source = (POLICY_DIR / "__main__.py").read_text()
    assert "PolicyPack(" in source
    assert "PolicyPack(" not in (POLICY_DIR / "guardrails.py").read_text()
    assert "pulumi-policy==" in (POLICY_DIR / "requirements.txt").read_text()


def test_rules_bite_on_the_eks_cluster_pulumi_eks_creates():
    """In a real preview the analyzer sees pulumi-eks's aws:eks/cluster:Cluster; offline the
    plan models it from the component's inputs, so the same rule reports both."""
    component = reg("cluster", CLUSTER, {"authenticationMode": "API", "version": "1.35"})
    found = [v for v in evaluate([component]) if v.policy == "eks-secrets-encryption"]
    assert sorted(v.urn.rsplit("::", 1)[-1] for v in found) == ["cluster", "cluster-eksCluster"]
    encrypted = reg("cluster", CLUSTER, {"encryptionConfigKeyArn": "arn:aws:kms:x"})
    assert [v for v in evaluate([encrypted]) if v.policy == "eks-secrets-encryption"] == []


def test_an_endpoint_open_through_split_ranges_is_open():
    """0.0.0.0/1 + 128.0.0.0/1 admit every address: judged by address space, not spelling."""
    split = {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}
    assert len(violations_of("eks-endpoint-restricted", [reg("c", CLUSTER, split)])) == 1
    half = {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/1"]}
    assert violations_of("eks-endpoint-restricted", [reg("c", CLUSTER, half)]) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "workload": {
                "exposure": "alb",
                "domain": "app.example.com",
                "hostedZoneId": "Z0123456789ABC",
            }
        },
        {
            "workload": {
                "tls": {
                    "certificateArn": "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
                }
            }
        },
        {"computeMode": "karpenter", "gpu": {"nodePool": True, "smokeTest": True}},
        {
            "nodeGroups": [
                {"name": "general"},
                {
                    "name": "gpu",
                    "instanceTypes": ["g6.xlarge"],
                    "amiType": "AL2023_x86_64_NVIDIA",
                    "minSize": 0,
                    "desiredSize": 1,
                },
            ]
        },
    ],
    ids=["alb-https", "nlb-tls", "karpenter-gpu", "gpu-node-group"],
)
def test_https_and_gpu_variants_pass_the_new_rules(overrides):
    violations = evaluate(run_stack(".", "dev", overrides).registrations)
    assert [str(v) for v in violations if v.level == "mandatory"] == []
    new = {"lb-tls-policy-modern", "lb-http-redirects-to-https", "gpu-capacity-guarded"}
    assert [str(v) for v in violations if v.policy in new] == []


def test_nat_gateways_are_counted_per_vpc():
    """A fleet has a VPC per region: one region's NAT gateways do not cover another's zones."""

    def region(name: str, nats: int) -> list[Registration]:
        elb = {"kubernetes.io/role/elb": "1"}
        return [
            reg(f"vpc-{name}", "aws:ec2/vpc:Vpc", {}),
            *(reg(f"{name}-{z}", "aws:ec2/subnet:Subnet", {"tags": elb, "availabilityZone": f"{name}{z}"}, vpcId=[f"vpc-{name}"]) for z in "ab"),
            *(reg(f"{name}-nat-{z}", "aws:ec2/natGateway:NatGateway", {}, subnetId=[f"{name}-{z}"]) for z in "ab"[:nats]),
        ]  # fmt: skip

    assert violations_of("nat-gateway-per-zone", [*region("x", 2), *region("y", 0)]) == []
    assert len(violations_of("nat-gateway-per-zone", [*region("x", 1), *region("y", 1)])) == 2


@pytest.mark.parametrize(
    "arguments",
    [["nostack"], ["dev", "--set", "natMode=double"], ["global", "--project-dir", "nodir"]],
)
def test_offline_checker_refuses_what_it_cannot_run_with_exit_2(arguments):
    """Exit 1 means a mandatory violation; a stack that cannot be run is not one."""
    result = subprocess.run(
        [sys.executable, str(POLICY_DIR / "offline.py"), *arguments],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_readme_lists_every_rule():
    readme = (POLICY_DIR.parent / "README.md").read_text()
    table = readme[readme.index("### Policy pack") : readme.index("Run it:")]
    assert f"holds {len(POLICIES)} rules" in table
    assert [p.name for p in POLICIES if f"`{p.name}`" not in table] == []
