"""Pulumi mocks that answer like AWS would, for the resource types and invokes the platform uses.

Outputs are deterministic (derived from type and name) so plans are stable across runs. An
invoke this module does not know raises instead of returning something made up.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from ...args.addons import addon_lock

ACCOUNT_ID = "123456789012"  # the example account id used throughout the AWS documentation

# Zones that need no opt-in, per region (EC2 DescribeAvailabilityZones, checked 2026).
REGION_ZONES: dict[str, list[str]] = {
    "us-east-1": ["a", "b", "c", "d", "e", "f"],
    "us-east-2": ["a", "b", "c"],
    "us-west-1": ["a", "c"],
    "us-west-2": ["a", "b", "c", "d"],
    "eu-west-1": ["a", "b", "c"],
    "eu-central-1": ["a", "b", "c"],
    "ap-northeast-1": ["a", "c", "d"],
    "ap-northeast-2": ["a", "b", "c", "d"],
    "ap-southeast-1": ["a", "b", "c"],
}

# Physical id prefixes EC2 uses, by Pulumi type token.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/networkInterface:NetworkInterface": "eni",
    "aws:ec2/instance:Instance": "i",
}


_EKS_ENDPOINT_REGION = re.compile(r"\.gr7\.([a-z0-9-]+)\.eks\.amazonaws\.com")


def kubeconfig(cluster_name: str, region: str) -> dict[str, Any]:
    """The kubeconfig pulumi-eks generates: exec plugin ``aws eks get-token``, no static token."""
    endpoint = (
        f"https://{_hex('eks', cluster_name, length=32).upper()}.gr7.{region}.eks.amazonaws.com"
    )
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": "LS0tLS1CRUdJTi0tLS0t",
                },
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--output",
                            "json",
                        ],
                    }
                },
            }
        ],
    }


_COMPASS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
            "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}  # fmt: skip


def _zone_id_prefix(region: str) -> str:
    """AWS zone ids abbreviate the region: us-west-2 -> usw2, ap-northeast-2 -> apne2."""
    area, *middle, number = region.split("-")
    return area + "".join(_COMPASS.get(part, part[:1]) for part in middle) + number


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class PlatformMocks(pulumi.runtime.Mocks):
    """Answers for one stack in ``region``; resources and invokes that go through an explicit
    AWS provider get that provider's region (multi-region programs)."""

    def __init__(
        self,
        region: str,
        stack_outputs: dict[str, dict[str, Any]] | None = None,
        *,
        caller_arn: str | None = None,
        existing_clusters: dict[str, dict[str, str]] | None = None,
        cluster_zones: dict[str, list[str]] | None = None,
        hosted_zones: dict[str, tuple[str, bool]] | None = None,
        log_groups: dict[str, dict[str, str]] | None = None,
        subnet_zones: dict[str, str] | None = None,
        cluster_versions: dict[str, str] | None = None,
        upgrade_policies: dict[str, str] | None = None,
        node_group_versions: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.region = region
        self._caller_arn = caller_arn
        """Who runs the deployment (``aws:getCallerIdentity``)."""
        self.existing_clusters = existing_clusters or {}
        """EKS clusters that already exist: name -> tags. None by default (a first deploy)."""
        self.cluster_versions = cluster_versions or {}
        """Kubernetes version an existing cluster runs: name -> minor. Unlisted: none known
        (the preview's version checks pass)."""
        self.upgrade_policies = upgrade_policies or {}
        """Upgrade policy (supportType) of an existing cluster: name -> STANDARD or EXTENDED."""
        self.node_group_versions = node_group_versions or {}
        """Managed node groups of an existing cluster: name -> {group: minor}. None by default."""
        self.cluster_zones = cluster_zones or {}
        """Zones of the subnets an existing cluster was created with: name -> zones."""
        self.hosted_zones = hosted_zones or {}
        """Route 53 hosted zones: id -> (name, private). A zone not listed is public and named
        after the parent of the domain the stack's config puts in it (``_zone_name``)."""
        self.subnet_zones = subnet_zones or {}
        """Zones of existing subnets: id -> zone. An unlisted ``subnet-<zone>`` is in <zone>,
        any other id in a zone of its own (what the offline plan assumes of a brought VPC)."""
        self.log_groups = log_groups or {}
        """CloudWatch log groups that already exist: name -> tags. None by default."""
        self._component_providers = threading.local()
        self.provider_regions: dict[str, str] = {}
        """Explicit AWS providers registered so far: id -> region."""
        self.stack_outputs = stack_outputs or {}
        """What StackReferences read: stack name -> its outputs (secret ones listed as such)."""
        self.source_dest_checks: dict[str, bool] = {}
        """Network interfaces registered so far: id -> their source/destination check."""
        self.default_provider_calls: list[str] = []
        """Invokes made without an explicit provider (a fleet must make none: its stack has no
        ``aws:region``, so the default provider would fail with "Missing region")."""

    @property
    def caller_arn(self) -> str:
        """Who runs the deployment: as given, else a user of the account the stack's
        configured certificate (``certificateArn``) is in, else of ``ACCOUNT_ID``. A user's
        real certificate is of their own account, which the offline plan cannot know: taking
        it from the certificate keeps the preview's account check (``platform.
        app_name_problems``) from refusing every real certificate offline."""
        if self._caller_arn:
            return self._caller_arn
        config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
        accounts = _certificate_accounts(list(config.values()))
        return f"arn:aws:iam::{accounts[0] if accounts else ACCOUNT_ID}:user/offline"

    def use_component_providers(self, providers: dict[str, str]) -> None:
        """The providers map of the registration being answered on this thread: a remote
        component (pulumi-eks's cluster) gets its AWS provider that way, not as ``provider``,
        which is all the mocks' arguments carry (set by ``RecordingMonitor``)."""
        self._component_providers.providers = providers

    def region_of(self, provider_reference: str | None) -> str:
        """A provider reference is ``<urn>::<id>``; no reference means the default provider."""
        provider_id = (provider_reference or "").rsplit("::", 1)[-1]
        return self.provider_regions.get(provider_id, self.region)

    def zones(self, region: str | None = None) -> list[str]:
        """The region's zones; an unlisted, well-formed region gets three, like most regions."""
        region = region or self.region
        letters = REGION_ZONES.get(region, ["a", "b", "c"])
        return [f"{region}{letter}" for letter in letters]

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        if not args.provider:
            self.default_provider_calls.append(args.token)
        region = self.region_of(args.provider)
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"no offline answer for invoke {args.token}")
        return answer(self, region, args.args), []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        token, name = args.typ, args.name
        prefix = _ID_PREFIX.get(token)
        component = getattr(self._component_providers, "providers", {}).get("aws", "")
        region = self.region_of(args.provider or component)
        resource = _Answer(region, token, name, dict(args.inputs))
        resource.id = (
            f"{prefix}-{_hex(token, name)}" if prefix else f"{name}-{_hex(token, name, length=8)}"
        )
        answer = _ANSWERS.get(token)
        if answer:
            answer(resource)
        if prefix and token.startswith("aws:ec2/"):
            kind = "security-group" if prefix == "sg" else prefix
            resource.state.setdefault("arn", resource.arn("ec2", f"{kind}/{resource.id}"))
        if token == "aws:ec2/networkInterface:NetworkInterface":
            self.source_dest_checks[resource.id] = bool(args.inputs.get("sourceDestCheck", True))
        primary = args.inputs.get("primaryNetworkInterface") or {}
        if token == "aws:ec2/instance:Instance" and primary.get("networkInterfaceId"):
            # terraform-provider-aws reads an instance's source_dest_check back from its primary
            # interface (hashicorp/terraform-provider-aws#44768): what the next update compares
            # the program's inputs (schema default true) with.
            interface = str(primary["networkInterfaceId"])
            resource.state["sourceDestCheck"] = self.source_dest_checks.get(interface, True)
        if token == "pulumi:providers:aws":
            self.provider_regions[resource.id] = str(args.inputs.get("region") or self.region)
        if token == "pulumi:providers:kubernetes":
            # A cluster's objects are in its region: the API endpoint in the kubeconfig says which.
            found = _EKS_ENDPOINT_REGION.search(str(args.inputs.get("kubeconfig") or ""))
            if found:
                self.provider_regions[resource.id] = found.group(1)
        if token == "pulumi:pulumi:StackReference":
            stack = str(args.inputs.get("name"))
            if stack not in self.stack_outputs:
                raise LookupError(f"no offline outputs for stack reference {stack!r}")
            outputs = self.stack_outputs[stack]
            resource.id = stack
            resource.state = {
                "name": stack,
                "outputs": outputs,
                "secretOutputNames": sorted(outputs.get("__secret__", [])),
            }
            outputs.pop("__secret__", None)
        return resource.id, resource.state


def _availability_zones(mocks: PlatformMocks, region: str, args: dict[str, Any]) -> dict[str, Any]:
    names = mocks.zones(region)
    return {
        "id": region,
        "names": names,
        "zoneIds": [f"{_zone_id_prefix(region)}-az{i + 1}" for i in range(len(names))],
        "groupNames": [region] * len(names),
        "state": args.get("state"),
    }


def _eks_cluster_lookup(mocks: PlatformMocks, region: str, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name", ""))
    vpc_config = {
        "clusterSecurityGroupId": f"sg-{_hex('cluster-sg', name)}",
        "controlPlaneEgressMode": "",
        "endpointPrivateAccess": True,
        "endpointPublicAccess": True,
        "publicAccessCidrs": [],
        "securityGroupIds": [],
        "subnetIds": [f"subnet-{zone}" for zone in mocks.cluster_zones.get(name, [])],
        "vpcId": "",
    }
    arn = f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{name}"
    tags = mocks.existing_clusters.get(name, {})
    policy = mocks.upgrade_policies.get(name, "STANDARD")
    return {
        "id": name,
        "name": name,
        "arn": arn,
        "status": "ACTIVE",
        "vpcConfig": vpc_config,
        "tags": tags,
        "version": mocks.cluster_versions.get(name, ""),
        "upgradePolicies": [{"supportType": policy}],
    }


def _config_maps(value: Any) -> list[dict[str, Any]]:
    """Every mapping anywhere in a config value (structured values arrive as JSON text)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, list):
        return [found for item in value for found in _config_maps(item)]
    if not isinstance(value, dict):
        return []
    return [value, *(found for item in value.values() for found in _config_maps(item))]


def _certificate_accounts(value: Any) -> list[str]:
    """Accounts of the certificate ARNs (``certificateArn``) anywhere in a config value."""
    arns = [str(m.get("certificateArn") or "").split(":") for m in _config_maps(value)]
    return [arn[4] for arn in arns if len(arn) > 5 and arn[4]]


def _domains_in(value: Any, zone_id: str) -> list[str]:
    """Domains configured with hosted zone ``zone_id`` anywhere in a config value (a stack's
    ``workload``, a fleet's top-level ``domain`` and ``hostedZoneId``)."""
    return [str(m["domain"]) for m in _config_maps(value) if m.get("hostedZoneId") == zone_id]


def _zone_name(zone_id: str) -> str:
    """The public zone a configured domain would be in: its parent (app.example.com ->
    example.com; a two-label domain is its own zone); example.com when nothing names the zone
    (a program that builds its arguments in code)."""
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    top = {key.split(":", 1)[-1]: value for key, value in config.items()}
    domains = _domains_in(top, zone_id)
    if not domains:
        return "example.com"
    labels = domains[0].split(".")
    return ".".join(labels[1:] if len(labels) > 2 else labels)


def _hosted_zone(mocks: PlatformMocks, _region: str, args: dict[str, Any]) -> dict[str, Any]:
    """``aws:route53/getZone`` by id, shaped as terraform-provider-aws fills it in
    (internal/service/route53/zone_data_source.go: the name without the final dot)."""
    zone_id = str(args.get("zoneId") or "")
    name, private = mocks.hosted_zones.get(zone_id) or (_zone_name(zone_id), False)
    servers = [] if private else [f"ns-{n}.awsdns-{n:02d}.com" for n in (1, 2)]
    return {
        "id": zone_id,
        "zoneId": zone_id,
        "name": name.rstrip("."),
        "privateZone": private,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "comment": "",
        "callerReference": _hex("zone", zone_id),
        "nameServers": servers,
        "primaryNameServer": servers[0] if servers else "",
        "resourceRecordSetCount": 2,
        "tags": {},
    }


def _addon_version(_m: PlatformMocks, _region: str, args: dict[str, Any]) -> dict[str, Any]:
    """``aws:eks/getAddonVersion``: the newest version the lock table saw offered for the add-on
    and minor (most_recent), else the pinned default (data/addon_versions.json); like
    DescribeAddonVersions, nothing for an add-on or minor it does not know."""
    addon, minor = str(args.get("addonName")), str(args.get("kubernetesVersion"))
    entry = addon_lock().get(addon, {}).get(minor)
    if entry is None:
        raise LookupError(f"no offline add-on versions for {addon} on Kubernetes {minor}")
    seen = [str(v) for v in entry.get("seen") or [entry["version"]]]
    newest = max(seen, key=lambda v: tuple(int(p) for p in re.findall(r"\d+", v)))
    version = newest if args.get("mostRecent") else str(entry["version"])
    return {"id": addon, "addonName": addon, "kubernetesVersion": minor,
            "mostRecent": bool(args.get("mostRecent")), "version": version}  # fmt: skip


@cache
def ami_releases() -> dict[str, Any]:
    """``data/eks_ami_releases.json``: EKS AMI releases and the minors each was built for."""
    text = resources.files("eks_platform").joinpath("offline", "data", "eks_ami_releases.json")
    return json.loads(text.read_text())


def _ami_parameters(_m: PlatformMocks, _region: str, args: dict[str, Any]) -> dict[str, Any]:
    """``aws:ssm/getParametersByPath`` under /aws/service/eks/optimized-ami/<minor>/
    amazon-linux-2023/: the standard AMIs of every release the AMI release table
    (offline/data/eks_ami_releases.json) says was built for the minor, and of any release
    newer than the table that the stack's config pins (``amiAlias``): offline, a release the
    table has not seen is assumed built for every minor."""
    path = str(args.get("path") or "")
    found = re.fullmatch(r"/aws/service/eks/optimized-ami/(\d+\.\d+)/amazon-linux-2023/?", path)
    if not found:
        return {"id": path, "path": path, "names": [], "values": [], "types": []}
    minor = found.group(1)
    table = ami_releases()
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    pinned = {
        str(m["amiAlias"]).split("@", 1)[-1]
        for m in _config_maps(list(config.values()))
        if str(m.get("amiAlias") or "").startswith("al2023@v")
    }
    releases = sorted(
        {r for r, row in table["releases"].items() if minor in row["minors"]}
        | {r for r in pinned if r > table["newest"]}
    )
    names = [
        f"/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/{arch}/standard/"
        f"amazon-eks-node-al2023-{arch}-standard-{minor}-{release}/image_id"
        for release in releases
        for arch in ("arm64", "x86_64")
    ]
    return {
        "id": path,
        "path": path,
        "names": names,
        "values": [f"ami-{_hex(name)}" for name in names],
        "types": ["String"] * len(names),
    }


_INVOKES: dict[str, Callable[[PlatformMocks, str, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:eks/getCluster:getCluster": _eks_cluster_lookup,
    "aws:route53/getZone:getZone": _hosted_zone,
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:ssm/getParametersByPath:getParametersByPath": _ami_parameters,
    "aws:cloudwatch/getLogGroups:getLogGroups": lambda mocks, region, args: {
        "id": region,
        "logGroupNames": sorted(
            name
            for name in mocks.log_groups
            if name.startswith(str(args.get("logGroupNamePrefix") or ""))
        ),
    },
    "aws:cloudwatch/getLogGroup:getLogGroup": lambda mocks, region, args: {
        "id": args["name"],
        "name": args["name"],
        "arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{args['name']}",
        "tags": mocks.log_groups[args["name"]],
    },
    "aws:eks/getClusters:getClusters": lambda mocks, region, _a: {
        "id": region,
        "names": sorted(mocks.existing_clusters),
    },
    "aws:eks/getNodeGroups:getNodeGroups": lambda mocks, _r, args: {
        "id": args.get("clusterName"),
        "clusterName": args.get("clusterName"),
        "names": sorted(mocks.node_group_versions.get(str(args.get("clusterName")), {})),
    },
    "aws:eks/getNodeGroup:getNodeGroup": lambda mocks, _r, args: {
        "id": f"{args.get('clusterName')}:{args.get('nodeGroupName')}",
        "clusterName": args.get("clusterName"),
        "nodeGroupName": args.get("nodeGroupName"),
        "version": mocks.node_group_versions[str(args.get("clusterName"))][
            str(args.get("nodeGroupName"))
        ],
    },
    # Offline subnet ids of existing clusters are "subnet-<zone>" (see cluster_zones).
    "aws:ec2/getSubnet:getSubnet": lambda mocks, _r, args: {
        "id": args.get("id"),
        "availabilityZone": mocks.subnet_zones.get(
            str(args.get("id", "")), str(args.get("id", "")).removeprefix("subnet-")
        ),
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda mocks, _r, _a: {
        "accountId": mocks.caller_arn.split(":")[4],
        "arn": mocks.caller_arn,
        "userId": "AIDAOFFLINE",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda _m, _r, _a: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
    },
    # The static table of terraform-provider-aws (internal/service/elbv2/
    # hosted_zone_id_data_source.go); offline answers are shaped like, not equal to, its ids.
    "aws:lb/getHostedZoneId:getHostedZoneId": lambda _m, region, args: {
        "id": "Z"
        + _hex(
            str(args.get("region") or region),
            str(args.get("loadBalancerType") or "application"),
            length=13,
        ).upper(),
    },
    "aws:index/getRegion:getRegion": lambda _m, region, _a: {
        "name": region,
        "region": region,
        "id": region,
    },
}


class _Answer:
    """One resource's id and output state, as the provider would fill them in."""

    def __init__(self, region: str, token: str, name: str, state: dict[str, Any]) -> None:
        self.region, self.token, self.name, self.state = region, token, name, state
        self.id = ""

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"

    def named(self) -> str:
        """The physical name: given, or auto-named from the logical name like Pulumi does."""
        physical = self.state.get("name") or f"{self.name}-{_hex(self.token, self.name, length=7)}"
        self.state["name"] = physical
        return physical


def _log_group(r: _Answer) -> None:
    r.id = r.named()
    r.state["arn"] = r.arn("logs", f"log-group:{r.id}")


def _role(r: _Answer) -> None:
    r.id = r.named()
    r.state["arn"] = r.arn("iam", f"role/{r.id}", regional=False)
    r.state["uniqueId"] = f"AROA{_hex(r.token, r.name, length=17).upper()}"


def _role_policy(r: _Answer) -> None:
    r.id = f"{r.state.get('role')}:{r.state.get('name') or r.name}"


def _eks_cluster(r: _Answer) -> None:
    auto_mode = bool((r.state.get("autoMode") or {}).get("enabled"))
    cluster_name = r.state.get("name") or f"{r.name}-eksCluster-{_hex(r.name, length=7)}"
    config = kubeconfig(cluster_name, r.region)
    oidc_id = _hex("oidc", cluster_name, length=32).upper()
    issuer = f"oidc.eks.{r.region}.amazonaws.com/id/{oidc_id}"
    # A remote component's outputs are not its inputs: echoing inputs would hand back resource
    # references (serviceRole), which the Python SDK cannot resolve under mocks (FACTS.md §1).
    r.state = {
        "kubeconfig": config,
        "kubeconfigJson": json.dumps(config),
        "oidcProviderUrl": issuer,
        "oidcIssuer": issuer,
        "oidcProviderArn": r.arn("iam", f"oidc-provider/{issuer}", regional=False),
        # pulumi-eks creates the Auto Mode node role: ServiceRole `<component>-nodeRole`, whose
        # role `<component>-nodeRole-role` is auto-named (cluster.ts:626-647, servicerole.ts).
        "autoModeNodeRoleName": f"{r.name}-nodeRole-role-{_hex(r.name, length=7)}"
        if auto_mode
        else "",
    }
    r.id = ""  # components have no id


def _kms_key(r: _Answer) -> None:
    r.id = str(uuid.UUID(_hex(r.token, r.name, length=32)))
    r.state.update(keyId=r.id, arn=r.arn("kms", f"key/{r.id}"))


def _kms_alias(r: _Answer) -> None:
    r.state["arn"] = r.arn("kms", str(r.state.get("name")))


def _launch_template(r: _Answer) -> None:
    r.state.update(latestVersion=1, defaultVersion=1)


def _eks_child(kind: str, name_key: str) -> Callable[[_Answer], None]:
    def answer(r: _Answer) -> None:
        child = r.state.get(name_key) or r.id
        r.state.update(
            status="ACTIVE", arn=r.arn("eks", f"{kind}/{r.state.get('clusterName')}/{child}")
        )

    return answer


def _node_group(r: _Answer) -> None:
    _eks_child("nodegroup", "nodeGroupName")(r)
    # EKS names the group's Auto Scaling group eks-<node group>-<uuid> (DescribeNodegroup
    # resources.autoScalingGroups).
    asg = f"eks-{r.state.get('nodeGroupName') or r.id}-{_hex(r.name, 'asg')}"
    r.state["resources"] = [{"autoscalingGroups": [{"name": asg}]}]


def _addon(r: _Answer) -> None:
    _eks_child("addon", "addonName")(r)
    r.state.setdefault("addonVersion", "v0.0.0-eksbuild.1")


def _vpc(r: _Answer) -> None:
    r.state["defaultSecurityGroupId"] = f"sg-{_hex(r.token, r.name, 'sg')}"
    r.state["mainRouteTableId"] = f"rtb-{_hex(r.token, r.name, 'rtb')}"
    r.state["defaultNetworkAclId"] = f"acl-{_hex(r.token, r.name, 'acl')}"


def _eip(r: _Answer) -> None:
    r.state["allocationId"] = r.id
    # TEST-NET-3 (RFC 5737): documentation addresses, never routable.
    r.state["publicIp"] = f"203.0.113.{int(_hex(r.name, length=2), 16) % 254 + 1}"


def _vpc_endpoint(r: _Answer) -> None:
    r.state["prefixListId"] = f"pl-{_hex(r.token, r.name, length=8)}"


def _queue(r: _Answer) -> None:
    queue_name = r.named()
    r.state.update(
        arn=r.arn("sqs", queue_name),
        url=f"https://sqs.{r.region}.amazonaws.com/{ACCOUNT_ID}/{queue_name}",
    )
    r.id = r.state["url"]


def _managed_policy(r: _Answer) -> None:
    r.id = r.arn("iam", f"policy/{r.named()}", regional=False)
    r.state["arn"] = r.id


def _event_rule(r: _Answer) -> None:
    r.id = r.named()
    r.state["arn"] = r.arn("events", f"rule/{r.id}")


def _access_entry(r: _Answer) -> None:
    r.id = f"{r.state.get('clusterName')}:{r.state.get('principalArn')}"
    r.state["accessEntryArn"] = r.arn(
        "eks", f"access-entry/{r.state.get('clusterName')}/{_hex(r.id)}"
    )


def _kubernetes_object(r: _Answer) -> None:
    """Kubernetes objects keep their inputs; a missing name is auto-named like Pulumi does."""
    metadata = r.state.setdefault("metadata", {})
    metadata.setdefault("name", f"{r.name}-{_hex(r.token, r.name, length=8)}")
    namespace = metadata.get("namespace")
    r.id = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]


def _controller_lb_name(r: _Answer) -> str:
    """The controller's (and Auto Mode's) naming: k8s-<namespace>-<name>-<hash>."""
    name, namespace = r.state["metadata"]["name"], r.state["metadata"].get("namespace", "")
    return f"k8s-{namespace[:8]}-{name[:8]}-{_hex(r.name, length=10)}"


def _lb_region(r: _Answer) -> str:
    """Kubernetes objects carry no region; a fleet's (no default provider) get us-east-1."""
    return r.region or "us-east-1"


def _service(r: _Answer) -> None:
    _kubernetes_object(r)
    spec = r.state.get("spec", {})
    if spec.get("type") == "LoadBalancer":
        if spec.get("loadBalancerClass") == "service.k8s.aws/nlb":
            lb = _controller_lb_name(r)
        else:
            lb = _hex(r.name, length=32)
        host = f"{lb}-{_hex(r.name, 'elb', length=16)}.elb.{_lb_region(r)}.amazonaws.com"
        r.state["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}


def _ingress(r: _Answer) -> None:
    """The ALB's DNS name as the controller and Auto Mode name it: k8s-<ns>-<name>-<hash>."""
    _kubernetes_object(r)
    number = int(_hex(r.name, "alb", length=8), 16) % 10**10
    host = f"{_controller_lb_name(r)}-{number}.{_lb_region(r)}.elb.amazonaws.com"
    r.state["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}


def _certificate(r: _Answer) -> None:
    r.id = r.arn("acm", f"certificate/{uuid.UUID(_hex(r.token, r.name, length=32))}")
    domain = r.state.get("domainName", "")
    token = _hex(r.token, r.name, "validation", length=32)
    r.state.update(
        arn=r.id,
        status="PENDING_VALIDATION",
        domainValidationOptions=[
            {
                "domainName": domain,
                "resourceRecordName": f"_{token}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{token[::-1]}.acm-validations.aws.",
            }
        ],
    )


def _record(r: _Answer) -> None:
    name = str(r.state.get("name", "")).rstrip(".")
    r.id = f"{r.state.get('zoneId')}_{name}_{r.state.get('type')}"
    if r.state.get("setIdentifier"):
        r.id += f"_{r.state['setIdentifier']}"
    r.state["fqdn"] = name


def _health_check(r: _Answer) -> None:
    r.id = str(uuid.UUID(_hex(r.token, r.name, length=32)))


def _helm_release(r: _Answer) -> None:
    name = r.state.get("name") or f"{r.name}-{_hex(r.token, r.name, length=8)}"
    namespace = r.state.get("namespace") or "default"
    r.id = f"{namespace}/{name}"
    r.state["status"] = {
        "name": name,
        "namespace": namespace,
        "chart": r.state.get("chart"),
        "version": r.state.get("version"),
        "status": "deployed",
        "revision": 1,
    }


def _pod_identity_association(r: _Answer) -> None:
    r.id = f"a-{_hex(r.token, r.name, length=17)}"
    r.state.update(
        associationId=r.id,
        associationArn=r.arn("eks", f"podidentityassociation/{r.state.get('clusterName')}/{r.id}"),
    )


_ANSWERS: dict[str, Callable[[_Answer], None]] = {
    "aws:sqs/queue:Queue": _queue,
    "aws:iam/policy:Policy": _managed_policy,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "kubernetes:core/v1:Namespace": _kubernetes_object,
    "kubernetes:core/v1:Service": _service,
    "kubernetes:policy/v1:PodDisruptionBudget": _kubernetes_object,
    "kubernetes:helm.sh/v3:Release": _helm_release,
    "kubernetes:networking.k8s.io/v1:Ingress": _ingress,
    "kubernetes:networking.k8s.io/v1:IngressClass": _kubernetes_object,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _record,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity_association,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "eks:index:Cluster": _eks_cluster,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/fargateProfile:FargateProfile": _eks_child("fargateprofile", "fargateProfileName"),
    "aws:eks/addon:Addon": _addon,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
}
