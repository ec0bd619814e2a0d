"""Preflight: what AWS would refuse in a plan, found before anything is created.

Runs over the expanded plan (the program's registrations plus what pulumi-eks creates,
``pulumi_eks.with_modelled``). Each check stands alone and reads only registrations, so a plan
written by hand in a test trips it the same way a real stack would. Checks:

- ``duplicate-addon``: two EKS addons of one name on one cluster (CreateAddon:
  ResourceInUseException).
- ``duplicate-access-entry``: two access entries for one principal on one cluster, counting the
  one EKS makes for the cluster's creator (CreateAccessEntry: ResourceInUseException).
- ``duplicate-name``: two resources of one kind with one physical name where AWS wants it unique
  (IAM roles and policies per account; log groups, KMS aliases, clusters, queues, rules per
  region; node groups and Fargate profiles per cluster).
- ``name-too-long``: a physical name over its limit, counting the ``-`` and 7 characters
  Pulumi's auto-naming appends (pulumi-aws refuses those at preview; the rest AWS refuses).
- ``volume-below-snapshot``: a node volume smaller than its EKS AMI's snapshot (EC2 refuses the
  launch; the node group ends CREATE_FAILED).
- ``private-subnet-without-egress``: a private subnet with neither a default route nor the VPC
  endpoints a node needs to join and pull images (nodes never join).
- ``private-subnet-without-session-manager``: a private subnet with neither a default route
  nor the Session Manager endpoints (nodes join, but no session can be opened to them).
- ``addon-version-unknown``: an EKS add-on pinned to a version the lock table never saw offered
  for its cluster's Kubernetes minor (data/addon_versions.json ``seen``, with sources and date):
  CreateAddon refuses a version EKS does not offer, after the cluster's 10 minutes. Unknown is
  not proof of refusal (the table is a snapshot): check it, add it to ``seen``, or
  ``--no-preflight``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ...args.addons import ADDON_VERSION_PATTERN, addon_lock
from ...args.rules import principal_identity
from ..model.recorder import Registration
from . import collisions, finalizers, permissions, readback
from .finding import Finding

AUTONAME_SUFFIX = 8
"""``-`` and 7 random hex characters (pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go)."""

# Physical name limits: (input holding the name, most characters, scope of uniqueness), from the
# name rows of data/uniqueness.json (each with its source: pulumi-aws provider/resource_overrides.go
# gives the auto-naming maxima (IAM role 64, event rule 64, SQS 80); terraform-provider-aws
# validations and the AWS API references the rest (node group 63: it becomes the label
# eks.amazonaws.com/nodegroup; event target id 64, which pulumi-aws auto-names up to 255 so only
# AWS catches it). The same rows say what duplicate_names compares.
NAME_LIMITS: dict[str, tuple[str, int, str]] = {
    type_token: (row["fields"][-1], row["limit"], row["scope"])
    for type_token, entry in collisions.uniqueness().items()
    for row in entry["keys"]
    if "limit" in row
}
NOT_AUTONAMED = {t for t in NAME_LIMITS if not collisions.uniqueness()[t].get("autonamed")}
"""Types whose name input the provider never generates (the table's ``autonamed`` is null). The
Fargate profile was listed here as "a required input, never generated"; pulumi-aws auto-names
``fargateProfileName`` (provider/resource_overrides.go, AutoName), as the table now says."""

# What a private subnet without a default route needs, written here again on purpose and not
# imported from args.endpoints (the list the network creates endpoints from): the check must
# not trust the code it checks (tests/test_preflight.py checks that the network's list covers
# these). From the EKS user guide, "Deploy private clusters with limited internet access"
# (awsdocs/amazon-eks-user-guide latest/ug/clusters/private-clusters.adoc, its endpoint table):
# images from ECR (ecr.api, ecr.dkr; layers through the S3 gateway endpoint), ec2 (the EKS
# optimized AMI), eks-auth (Pod Identity: the VPC CNI's role) and sts (IAM roles for service
# accounts); sqs for Karpenter's interruption queue.
NODE_JOIN_ENDPOINTS = ("ecr.api", "ecr.dkr", "ec2", "eks-auth", "sts")
KARPENTER_QUEUE_ENDPOINT = "sqs"
# Session Manager, the nodes' only shell (no SSH): the same guide's table (ssm) and the Systems
# Manager user guide, "VPC endpoints for Systems Manager" (ssm, ssmmessages, ec2messages).
# Without them nodes still join: a finding of its own, with its own words.
SESSION_MANAGER_ENDPOINTS = ("ssm", "ssmmessages", "ec2messages")

# The EKS AMIs' snapshots: AL2023 root and Bottlerocket data volumes (args.compute.MIN_DISK_GIB).
EKS_AMI_SNAPSHOT_GIB = 20
CREATOR_TAG = "eks-platform/created-by"

__all__ = ["CHECKS", "Finding", "preflight"]


def physical_name(registration: Registration) -> tuple[str, bool] | None:
    """(name, auto-named) for a resource with a name limit; None when it has no such name or
    sets ``namePrefix`` (then the provider adds 26 characters of its own)."""
    limit = NAME_LIMITS.get(registration.type)
    if limit is None or registration.inputs.get("namePrefix"):
        return None
    given = registration.inputs.get(limit[0])
    if isinstance(given, str) and given:
        return given, False
    if registration.type in NOT_AUTONAMED:
        return None
    return registration.name, True


def _keys_for(registration: Registration) -> list[str]:
    """Which config keys a resource's name grows from."""
    if registration.type == "aws:eks/nodeGroup:NodeGroup":
        return ["nodeGroups[].name", "clusterName"]
    if registration.type == "aws:eks/fargateProfile:FargateProfile":
        return ["fargateProfiles[].name"]
    return ["clusterName"]


def duplicate_addons(registrations: list[Registration]) -> list[Finding]:
    """Two add-ons of one name on one cluster (the ``duplicate-addon`` rows of the table)."""
    return [
        Finding(
            "duplicate-addon",
            f"two '{claim.base[-1]}' addons on cluster {claim.base[-2]}; the second fails to "
            "create",
            sorted(r.name for r in members),
            [],
        )
        for claim, members in collisions.duplicates(registrations, ["duplicate-addon"])
    ]


def duplicate_access_entries(registrations: list[Registration]) -> list[Finding]:
    """Counting the creator's entry EKS adds when bootstrapClusterCreatorAdminPermissions is on
    (its principal is the cluster's ``eks-platform/created-by`` tag, where the program set it)."""
    # A cluster is known by its region (its provider) and name: a fleet's regions may share a name.
    entries: list[tuple[Registration, str, str]] = []
    for r in registrations:
        if r.type == "aws:eks/accessEntry:AccessEntry":
            entries.append((r, str(r.inputs.get("clusterName")), str(r.inputs.get("principalArn"))))
        elif r.type == "aws:eks/cluster:Cluster":
            access = r.inputs.get("accessConfig") or {}
            creator = (r.inputs.get("tags") or {}).get(CREATOR_TAG)
            if access.get("bootstrapClusterCreatorAdminPermissions") and creator:
                entries.append((r, str(r.inputs.get("name")), creator))
    by_principal: dict[tuple[str, str, tuple[str, ...]], list[Registration]] = defaultdict(list)
    for registration, cluster, principal in entries:
        identity = principal_identity(principal) if principal.count(":") >= 5 else (principal,)
        by_principal[(registration.provider, cluster, identity)].append(registration)
    return [
        Finding(
            "duplicate-access-entry",
            f"two access entries for {'/'.join(identity)} on cluster {cluster} (an EKS cluster "
            "here stands for the entry EKS makes for its creator)",
            sorted(r.name for r in members),
            ["adminPrincipalArns", "readOnlyPrincipalArns"],
        )
        for (_, cluster, identity), members in sorted(by_principal.items())
        if len(members) > 1
    ]


def duplicate_names(registrations: list[Registration]) -> list[Finding]:
    """Two resources of one kind with one explicit physical name in its scope (the name rows of
    the table; auto-named names are unique by construction and claim nothing)."""
    findings = []
    by_urn = {r.urn: r for r in registrations}
    for claim, members in collisions.duplicates(registrations, ["duplicate-name"]):
        kind = str(claim.base[0]).rsplit(":", 1)[-1]
        keys = sorted({k for r in members for k in _keys_for(by_urn[r.urn])})
        findings.append(
            Finding(
                "duplicate-name",
                f"two {kind}s named {claim.base[-1]!r}; AWS wants the name unique",
                sorted(r.name for r in members),
                keys,
            )
        )
    return findings


def names_too_long(registrations: list[Registration]) -> list[Finding]:
    findings = []
    for r in registrations:
        found = physical_name(r)
        if found is None:
            continue
        name, auto = found
        length = len(name) + (AUTONAME_SUFFIX if auto else 0)
        limit = NAME_LIMITS[r.type][1]
        if length > limit:
            how = f"{len(name)} + {AUTONAME_SUFFIX} (auto-naming suffix)" if auto else len(name)
            findings.append(
                Finding(
                    "name-too-long",
                    f"{r.type.rsplit(':', 1)[-1]} name {name!r} is {how} = {length} characters; "
                    f"the limit is {limit}",
                    [r.name],
                    _keys_for(r),
                )
            )
    return findings


def _gib(size: Any) -> float:
    text = str(size)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Gi|G|Ti|T)?", text)
    if not match:
        return 0.0
    number, unit = float(match.group(1)), match.group(2) or "Gi"
    return number * {"Gi": 1, "G": 1e9 / 2**30, "Ti": 1024, "T": 1e12 / 2**30}[unit]


def volumes_below_snapshot(registrations: list[Registration]) -> list[Finding]:
    templates: dict[str, Registration] = {
        r.resource_id: r
        for r in registrations
        if r.type == "aws:ec2/launchTemplate:LaunchTemplate" and r.resource_id
    }
    sized: list[tuple[Registration, list[dict[str, Any]]]] = []
    for r in registrations:
        if r.type == "aws:eks/nodeGroup:NodeGroup":  # EKS AMIs (amiType), our launch template
            template = templates.get(str((r.inputs.get("launchTemplate") or {}).get("id")))
            if template is not None:
                sized.append((r, template.inputs.get("blockDeviceMappings") or []))
            elif r.inputs.get("diskSize") is not None:
                sized.append((r, [{"ebs": {"volumeSize": r.inputs["diskSize"]}}]))
        elif r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
            sized.append((r, (r.inputs.get("spec") or {}).get("blockDeviceMappings") or []))
    findings = []
    for registration, mappings in sized:
        for mapping in mappings:
            size = _gib((mapping.get("ebs") or {}).get("volumeSize", 0))
            if 0 < size < EKS_AMI_SNAPSHOT_GIB:
                findings.append(
                    Finding(
                        "volume-below-snapshot",
                        f"a {size:g} GiB volume on nodes of an EKS AMI whose snapshot is "
                        f"{EKS_AMI_SNAPSHOT_GIB} GiB; EC2 refuses the launch",
                        [registration.name],
                        ["nodeGroups[].diskSizeGib"],
                    )
                )
    return findings


def _unrouted_private_subnets(
    registrations: list[Registration],
) -> list[tuple[Registration, set[str], bool]]:
    """Each private subnet whose table has no default route, with the services it reaches
    through endpoints (``s3`` for the gateway on its table) and whether the plan has
    Karpenter's queue."""
    by_type: dict[str, list[Registration]] = defaultdict(list)
    for r in registrations:
        by_type[r.type].append(r)
    private = [
        s
        for s in by_type["aws:ec2/subnet:Subnet"]
        if "kubernetes.io/role/internal-elb" in (s.inputs.get("tags") or {})
    ]
    table_of: dict[str, str] = {
        str(a.inputs.get("subnetId")): str(a.inputs.get("routeTableId"))
        for a in by_type["aws:ec2/routeTableAssociation:RouteTableAssociation"]
    }
    routed = {
        r.inputs.get("routeTableId")
        for r in by_type["aws:ec2/route:Route"]
        if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"
    }
    endpoints = by_type["aws:ec2/vpcEndpoint:VpcEndpoint"]
    karpenter = bool(by_type["aws:sqs/queue:Queue"])
    found = []
    for subnet in private:
        table = table_of.get(str(subnet.resource_id))
        if table in routed:
            continue
        present = {
            str(e.inputs.get("serviceName", "")).split(".", 3)[-1]
            for e in endpoints
            if e.inputs.get("vpcEndpointType") == "Interface"
            and subnet.resource_id in (e.inputs.get("subnetIds") or [])
        }
        if any(
            e.inputs.get("vpcEndpointType") == "Gateway"
            and str(e.inputs.get("serviceName", "")).endswith(".s3")
            and table in (e.inputs.get("routeTableIds") or [])
            for e in endpoints
        ):
            present.add("s3")
        found.append((subnet, present, karpenter))
    return found


def private_subnets_without_egress(registrations: list[Registration]) -> list[Finding]:
    findings = []
    for subnet, present, karpenter in _unrouted_private_subnets(registrations):
        needed = [*NODE_JOIN_ENDPOINTS, "s3", *([KARPENTER_QUEUE_ENDPOINT] if karpenter else [])]
        missing = [service for service in needed if service not in present]
        if missing:
            findings.append(
                Finding(
                    "private-subnet-without-egress",
                    "no default route and no VPC endpoint for "
                    f"{', '.join(missing)}: nodes there cannot pull images or join the cluster",
                    [subnet.name],
                    ["natMode"],
                )
            )
    return findings


def private_subnets_without_session_manager(registrations: list[Registration]) -> list[Finding]:
    findings = []
    for subnet, present, _ in _unrouted_private_subnets(registrations):
        missing = [service for service in SESSION_MANAGER_ENDPOINTS if service not in present]
        if missing:
            findings.append(
                Finding(
                    "private-subnet-without-session-manager",
                    "no default route and no VPC endpoint for "
                    f"{', '.join(missing)}: nodes there join, but Session Manager (their only "
                    "shell) cannot reach them",
                    [subnet.name],
                    ["natMode"],
                )
            )
    return findings


def unknown_addon_versions(registrations: list[Registration]) -> list[Finding]:
    """Every pinned add-on (the program's and pulumi-eks's) against the versions seen offered for
    its cluster's minor; add-ons or minors the table does not know are not judged."""
    minors = {
        (r.provider, str(r.inputs.get("name"))): str(r.inputs.get("version"))
        for r in registrations
        if r.type == "aws:eks/cluster:Cluster"
    }
    by_name = {name: minor for (_, name), minor in minors.items()}
    findings = []
    for r in registrations:
        if r.type != "aws:eks/addon:Addon":
            continue
        version, addon = str(r.inputs.get("addonVersion")), str(r.inputs.get("addonName"))
        cluster = str(r.inputs.get("clusterName"))
        minor = minors.get((r.provider, cluster)) or by_name.get(cluster)
        entry = addon_lock().get(addon, {}).get(str(minor))
        if entry is None or not ADDON_VERSION_PATTERN.fullmatch(version):
            continue  # unpinned (pulumi-eks resolves the newest at deploy) or not in the table
        seen = [str(v) for v in entry.get("seen") or [entry["version"]]]
        if version not in seen:
            findings.append(
                Finding(
                    "addon-version-unknown",
                    f"{addon} {version} is not among the versions seen offered for Kubernetes "
                    f"{minor} ({', '.join(seen)}); EKS refuses a version it does not offer, after "
                    f"the cluster is created (check: aws eks describe-addon-versions --addon-name "
                    f"{addon} --kubernetes-version {minor})",
                    [r.name],
                    ["addonVersions", "kubernetesVersion"],
                )
            )
    return findings


CHECKS: tuple[Callable[[list[Registration]], list[Finding]], ...] = (
    duplicate_addons,
    duplicate_access_entries,
    duplicate_names,
    names_too_long,
    volumes_below_snapshot,
    private_subnets_without_egress,
    private_subnets_without_session_manager,
    unknown_addon_versions,
    collisions.check,
    readback.check,
    permissions.check,
    finalizers.check,
)


def preflight(registrations: list[Registration]) -> list[Finding]:
    """Every finding of every check over an expanded plan's registrations."""
    return [finding for check in CHECKS for finding in check(registrations)]
