"""``EksPlatform``: the one component a stack instantiates."""

import re
import weakref
from collections.abc import Mapping
from typing import cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi.runtime import settings as runtime_settings

from .args.addons import LOCKED_ADDONS, addon_version
from .args.cidr import plan_subnets
from .args.component import EksPlatformArgs
from .args.compute import (
    ACCELERATOR_LABEL,
    GPU_TAINT,
    KarpenterArgs,
    NodeGroupArgs,
    TaintArgs,
    accelerator_label_value,
    device_plugin_needed,
)
from .args.config import ConfigError, ConfigProblem, PlatformArgs
from .args.regions import REGIONS, SUPPORTED_REGIONS
from .args.rules import (
    COMPONENT_NAME_MAX,
    OBSERVABILITY_ADDON,
    PLATFORM_TAG_KEYS,
    certificate_account_problem,
    component_name_problem,
    fitted_name,
    open_to_internet,
)
from .args.versions import minors_apart, today, version_change_problem
from .parts.block_storage import BlockStorage, BlockStorageArgs
from .parts.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from .parts.compute import AutoscaledGroup, Compute, ComputeArgs
from .parts.control_plane import ControlPlane, ControlPlaneArgs
from .parts.dns import Certificate, CertificateArgs, alias_record, hosted_zone_problem_for
from .parts.gpu import Gpu, GpuComponentArgs, gpu_node_labels
from .parts.iam import AwsContext
from .parts.karpenter import Karpenter, KarpenterComponentArgs
from .parts.kms import PlatformKey
from .parts.load_balancer_controller import ControllerArgs, LoadBalancerController
from .parts.metrics_server import MetricsServer, MetricsServerArgs
from .parts.network import Network, NetworkArgs, NetworkRefs
from .parts.observability import (
    OWNED_TAG,
    Observability,
    ObservabilityArgs,
    container_insights_log_groups,
    foreign_log_groups,
)
from .parts.sample_app import (
    AUTO_MODE_LOAD_BALANCER,
    CONTROLLER_LOAD_BALANCER,
    IN_TREE_LOAD_BALANCER,
    SampleApp,
    SampleAppArgs,
)
from .zones import offered_zones, validated_with_zones


def resolved_addon_versions(args: PlatformArgs) -> dict[str, str]:
    """Every locked add-on at its version for the cluster's minor, overrides applied."""
    return {
        addon: addon_version(addon, args.kubernetes_version, args.addon_versions)
        for addon in LOCKED_ADDONS
    }


def installed_addons(args: PlatformArgs) -> list[str]:
    """The locked add-ons this configuration installs. Auto Mode runs its own networking and
    storage, but pulumi-eks still adds CoreDNS there, at the version parts.control_plane passes
    (``coredns_addon_options`` in Auto Mode; the plan's model of pulumi-eks shows it)."""
    core = ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    installed = ["coredns"] if args.compute_mode == "auto" else core
    if args.block_storage and args.compute_mode != "auto":
        installed.append("aws-ebs-csi-driver")
    if args.observability:
        installed.append(OBSERVABILITY_ADDON)
    return sorted(installed)


def _version_key(version: str) -> tuple[int, ...]:
    """v1.14.3-eksbuild.23 -> (1, 14, 3, 23)."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def addon_version_problems(
    args: PlatformArgs, invoke: pulumi.InvokeOptions | None
) -> list[ConfigProblem]:
    """Each installed add-on's version against the newest EKS offers for the cluster's minor,
    before the cluster (10 minutes) is created: ``aws:eks/getAddonVersion`` with most_recent
    returns the first version DescribeAddonVersions lists, newest first, and otherwise the
    default; it cannot tell whether an arbitrary version is offered (terraform-provider-aws
    internal/service/eks/addon_version_data_source.go, findAddonVersionByTwoPartKey). So only a
    pin newer than the newest is refused here; one EKS stopped offering passes, and the offline
    preflight compares pins with the versions the lock table saw (``addon-version-unknown``).
    Where EKS lists no version at all for an add-on and minor, the data source fails and the
    preview stops with the provider's message: a failed invoke cannot be caught here (the Python
    SDK records every failed RPC as the program's error, pulumi/runtime/rpc_manager.py
    rpc_wrapper), and the validation admits only minors the lock table covers."""
    problems = []
    versions = resolved_addon_versions(args)
    for addon in installed_addons(args):
        newest = aws.eks.get_addon_version(
            addon_name=addon,
            kubernetes_version=args.kubernetes_version,
            most_recent=True,
            opts=invoke,
        ).version
        if _version_key(versions[addon]) > _version_key(newest):
            pinned = addon in args.addon_versions
            key = f"addon_versions.{addon}" if pinned else "kubernetes_version"
            problems.append(
                ConfigProblem(
                    key,
                    versions[addon],
                    f"{addon} {versions[addon]} is newer than the newest EKS offers for "
                    f"Kubernetes {args.kubernetes_version} ({newest}): CreateAddon would refuse "
                    "it after the cluster is created; pin an offered version",
                )
            )
    return problems


def default_cluster_name() -> str:
    """``<project>-<stack>``: unique per stack, readable in the console; a stack name with
    characters EKS refuses (``dev.v2``) has them replaced (``dev-v2``)."""
    return fitted_name(f"{pulumi.get_project()}-{pulumi.get_stack()}", 100)


def default_platform_name() -> str:
    """The stack program's EksPlatform name: ``<project>-<stack>``, shortened with a stable hash
    past 30 characters. Never a config value, so renaming the cluster replaces nothing else."""
    return fitted_name(f"{pulumi.get_project()}-{pulumi.get_stack()}", COMPONENT_NAME_MAX)


_CLUSTERS: weakref.WeakKeyDictionary[object, dict[tuple[str, str], str]] = (
    weakref.WeakKeyDictionary()
)
"""Per program run (its root stack resource): (region, cluster name) -> the EksPlatform's name."""


def _claim_cluster_name(component: str, region: str, cluster_name: str, key: str) -> None:
    """Two platforms of one program may not share a cluster name in a region: the cluster, its
    log group and its KMS alias would collide."""
    root = runtime_settings.get_root_resource()
    if root is None:
        return
    claimed = _CLUSTERS.setdefault(root, {})
    other = claimed.get((region, cluster_name))
    if other is not None and other != component:
        raise ConfigError(
            [
                ConfigProblem(
                    key,
                    cluster_name,
                    f"is already the cluster of EksPlatform {other!r} in {region}; give each "
                    "platform its own cluster name",
                )
            ]
        )
    claimed[(region, cluster_name)] = component


def load_balancer_subnets(
    args: PlatformArgs, invoke: pulumi.InvokeOptions | None
) -> tuple[list[str], list[ConfigProblem]]:
    """A brought VPC's subnets for the app's load balancer: public ones for an internet-facing
    scheme, private ones for an internal one; the first listed of each zone. Empty for the
    platform's own VPC, whose subnets carry the role tags the controllers discover them by
    (parts/network.py), and without the app.

    A load balancer takes one subnet per zone (ELB CreateLoadBalancer/SetSubnets); given two in
    one zone, the controller refuses the list ("multiple subnets in same Availability Zone",
    aws-load-balancer-controller v3.5.0 pkg/networking/subnet_resolver.go:685-693,
    validateSubnetsAZExclusivity) where its discovery would have picked one per zone, so the
    zones are looked up (at preview, before anything registers) and one subnet kept per zone.
    An ALB needs two zones (subnet_resolver.go:502): refused with fewer (the problem returned)."""
    workload = args.workload
    if not args.uses_existing_vpc or not workload.enabled:
        return [], []
    internal = workload.scheme == "internal"
    key = "existing_private_subnet_ids" if internal else "existing_public_subnet_ids"
    given = list(args.existing_private_subnet_ids if internal else args.existing_public_subnet_ids)
    per_zone: dict[str, str] = {}
    for subnet in given:
        per_zone.setdefault(aws.ec2.get_subnet(id=subnet, opts=invoke).availability_zone, subnet)
    if workload.exposure == "alb" and len(per_zone) < 2:
        problem = ConfigProblem(
            key,
            given,
            f"the ALB goes into these subnets, all in {', '.join(sorted(per_zone))}; an ALB "
            "needs subnets in at least two zones: list subnets of two or more zones, or use "
            "exposure nlb",
        )
        return [], [problem]
    return list(per_zone.values()), []


def common_tags(production: bool = False) -> dict[str, str]:
    """Tags on everything taggable: which project and stack own it, that Pulumi manages it, and
    whether it is production (the policy pack's production-only rules read this tag)."""
    values = (
        pulumi.get_project(),
        pulumi.get_stack(),
        "pulumi",
        "production" if production else "non-production",
    )
    return dict(zip(PLATFORM_TAG_KEYS, values, strict=True))


def platform_warnings(args: PlatformArgs) -> list[str]:
    """Allowed but worth a second look; logged as warnings on every preview and update."""
    warnings = []
    if args.endpoint_public_access and open_to_internet(args.public_access_cidrs):
        warnings.append(
            "the cluster API endpoint is reachable from any address (publicAccessCidrs "
            f"{', '.join(args.public_access_cidrs)}); list your CI and VPN ranges instead"
        )
    if REGIONS[args.region].opt_in:
        warnings.append(
            f"{args.region} ({REGIONS[args.region].name}) is an opt-in region: the account must "
            "have it enabled (Account settings, AWS Regions) or every call there fails"
        )
    creates_vpc = not args.uses_existing_vpc
    if creates_vpc and args.nat_mode == "none" and args.workload.enabled:
        warnings.append(
            "natMode none: nodes reach only AWS services behind VPC endpoints; every image of "
            f"the chart {args.workload.chart} must be in this region's ECR"
        )
    if args.upgrade_policy == "EXTENDED":
        warnings.append(
            "upgradePolicy EXTENDED: past standard support the control plane costs "
            "0.60 instead of 0.10 USD per hour"
        )
    return warnings


SYSTEM_TAINT = TaintArgs(key="CriticalAddonsOnly", value="true", effect="NoSchedule")
"""In Karpenter mode, keeps everything but system pods off the first node group (CoreDNS,
Karpenter and the load balancer controller tolerate it; DaemonSets tolerate everything)."""


def node_groups_for(args: PlatformArgs) -> list[NodeGroupArgs]:
    """The node groups to create: in Karpenter mode the first one runs only the system; GPU
    groups are tainted and labelled for the device plugin, the Cluster Autoscaler and
    workloads."""
    groups = list(args.node_groups)
    if args.compute_mode == "karpenter" and groups:
        first = groups[0]
        if not any(t.key == SYSTEM_TAINT.key for t in first.taints):
            groups[0] = first.model_copy(update={"taints": [*first.taints, SYSTEM_TAINT]})
    for index, group in enumerate(groups):
        if not group.is_gpu:
            continue
        taints = list(group.taints)
        if not any(t.key == GPU_TAINT.key for t in taints):
            taints.append(GPU_TAINT)
        labels = {
            **gpu_node_labels(group.needs_device_plugin),
            ACCELERATOR_LABEL: accelerator_label_value(group.instance_types),
            **group.labels,
        }
        groups[index] = group.model_copy(update={"taints": taints, "labels": labels})
    return groups


def needs_device_plugin(args: PlatformArgs) -> bool:
    """AL2023 NVIDIA nodes may exist: a node group's, or Karpenter's GPU NodePool's."""
    return device_plugin_needed(args.compute_mode, list(args.node_groups), args.gpu.node_pool)


def aws_invoke_options(opts: pulumi.ResourceOptions | None) -> pulumi.InvokeOptions | None:
    """Invoke options that use the AWS provider given to the component, if one was."""
    if opts is None:
        return None
    providers = opts.providers
    candidates = list(providers.values()) if isinstance(providers, dict) else list(providers or [])
    if opts.provider is not None:
        candidates.append(opts.provider)
    for provider in candidates:
        if isinstance(provider, pulumi.ProviderResource) and provider.package == "aws":
            return pulumi.InvokeOptions(provider=provider)
    return None


def resolve_platform_args(
    name: object, args: object, invoke: pulumi.InvokeOptions | None = None
) -> PlatformArgs:
    """Validate the component's name and arguments; fill in the region (from the AWS provider)
    and zones. Problems are keyed by the arguments' Python names (``node_groups[0].name``).

    Raises ``ConfigError`` with every problem; registers nothing.
    """
    problems = []
    found = component_name_problem(name)
    if found:
        problems.append(ConfigProblem("name", name, found))
    if not isinstance(args, Mapping) or not all(isinstance(key, str) for key in args):
        problems.append(
            ConfigProblem("args", args, "must be a dict of EksPlatformArgs ({} for the defaults)")
        )
    if problems:
        raise ConfigError(problems)
    values: dict[str, object] = dict(cast("Mapping[str, object]", args))
    provider_region = aws.get_region(opts=invoke).region
    given = values.get("region") or values.get("aws:region")
    if not given:
        values["region"] = provider_region
    elif given != provider_region:
        raise ConfigError(
            [
                ConfigProblem(
                    "region",
                    given,
                    f"differs from the AWS provider's region ({provider_region}), which every "
                    "resource would be created in; leave region out or pass a provider for it",
                )
            ]
        )
    needs_zones = not values.get("existing_vpc_id") and not values.get("availability_zones")
    known = str(values["region"]) in SUPPORTED_REGIONS
    offered = offered_zones(invoke) if needs_zones and known else None
    return validated_with_zones(values, offered, component_name=cast("str", name), snake_keys=True)


def zones_kept_problems(
    args: PlatformArgs, cluster_name: str, invoke: pulumi.InvokeOptions | None
) -> list[ConfigProblem]:
    """EKS updates a cluster's subnets only within the zones it was created in
    (UpdateClusterConfig): adding a zone to a running cluster fails half-way. Refused up front,
    from the existing cluster's subnets; nothing to check on a first deploy or a brought VPC."""
    if args.uses_existing_vpc:
        return []
    if cluster_name not in (aws.eks.get_clusters(opts=invoke).names or []):
        return []
    subnet_ids = aws.eks.get_cluster(name=cluster_name, opts=invoke).vpc_config.subnet_ids or []
    zones = sorted(
        {aws.ec2.get_subnet(id=subnet, opts=invoke).availability_zone for subnet in subnet_ids}
    )
    added = sorted(set(args.availability_zones) - set(zones))
    if not (zones and added):
        return []
    return [
        ConfigProblem(
            "availability_zones",
            list(args.availability_zones),
            f"adds {', '.join(added)} to cluster {cluster_name}, created in {', '.join(zones)}: "
            "EKS can change a cluster's subnets only within the zones it was created in (stack "
            "config: availabilityZoneCount or availabilityZones); keep its zones, or create a "
            "new cluster",
        )
    ]


def kubernetes_version_problems(
    args: PlatformArgs, cluster_name: str, invoke: pulumi.InvokeOptions | None
) -> list[ConfigProblem]:
    """kubernetesVersion against the running cluster's version, before anything registers: a
    jump of two minors, a rollback not asked for (kubernetesRollback), one of more than a minor
    or to an extended-support version under STANDARD (``args.versions.
    version_change_problem``); and for an upgrade, managed node groups still behind the control
    plane, which EKS requires on its minor before the next control-plane update (EKS user
    guide, update-cluster). Nothing to check on a first deploy."""
    if cluster_name not in (aws.eks.get_clusters(opts=invoke).names or []):
        return []
    cluster = aws.eks.get_cluster(name=cluster_name, opts=invoke)
    running = cluster.version or ""
    policies = cluster.upgrade_policies or []
    found = version_change_problem(
        running,
        args.kubernetes_version,
        rollback=args.kubernetes_rollback,
        running_policy=policies[0].support_type if policies else "STANDARD",
        today=today(),
    )
    if found:
        return [ConfigProblem("kubernetes_version", args.kubernetes_version, found)]
    if not running or minors_apart(running, args.kubernetes_version) <= 0:
        return []
    groups = aws.eks.get_node_groups(cluster_name=cluster_name, opts=invoke).names or []
    behind = sorted(
        f"{group} ({version})"
        for group in groups
        if (
            version := aws.eks.get_node_group(
                cluster_name=cluster_name, node_group_name=group, opts=invoke
            ).version
        )
        and version != running
    )
    if not behind:
        return []
    return [
        ConfigProblem(
            "kubernetes_version",
            args.kubernetes_version,
            f"cluster {cluster_name} runs {running} but its node groups {', '.join(behind)} do "
            f"not: EKS starts the next control-plane update only once managed node groups are on "
            f"the control plane's minor; deploy kubernetesVersion {running} first (it moves "
            "them), then this one",
        )
    ]


AL2023_AMI_PARAMETERS = "/aws/service/eks/optimized-ami/{minor}/amazon-linux-2023/"
"""Where the EKS AL2023 AMIs of a minor are published in SSM; Karpenter reads a pinned alias's
AMI from ``<this><arch>/<variant>/amazon-eks-node-al2023-<arch>-<variant>-<minor>-<release>/
image_id`` (karpenter-provider-aws v1.14.1 pkg/providers/amifamily/al2023.go:39-80)."""
SSM_ARCHITECTURES = {"arm64": "arm64", "amd64": "x86_64"}


def karpenter_ami_problems(
    args: PlatformArgs, invoke: pulumi.InvokeOptions | None
) -> list[ConfigProblem]:
    """A pinned ``al2023@vYYYYMMDD`` alias must have an AMI built for kubernetesVersion:
    Karpenter resolves the alias for the cluster's minor, and where that release was not built
    for it, it finds no AMI ("failed to discover any AMIs for alias") and launches no node. An
    upgrade hop is where this bites. Looked up by listing the minor's parameters
    (``aws:ssm/getParametersByPath``): a get of a missing name would fail the program, not
    return nothing (pulumi/runtime/rpc_manager.py rpc_wrapper)."""
    karpenter = args.karpenter
    if karpenter is None or args.compute_mode != "karpenter" or not karpenter.ami_pinned:
        return []
    release = karpenter.ami_alias.split("@", 1)[1]
    path = AL2023_AMI_PARAMETERS.format(minor=args.kubernetes_version)
    names = aws.ssm.get_parameters_by_path(path=path, recursive=True, opts=invoke).names or []
    missing = [
        arch
        for arch in karpenter.architectures
        if not any(
            name.endswith(
                f"/{SSM_ARCHITECTURES[arch]}/standard/amazon-eks-node-al2023-"
                f"{SSM_ARCHITECTURES[arch]}-standard-{args.kubernetes_version}-{release}/image_id"
            )
            for name in names
        )
    ]
    if not missing:
        return []
    return [
        ConfigProblem(
            "karpenter.ami_alias",
            karpenter.ami_alias,
            f"release {release} has no {', '.join(missing)} AMI for Kubernetes "
            f"{args.kubernetes_version} (none under SSM {path}): Karpenter would find no AMI "
            "for the alias and launch no node. Pin a release built for this minor (aws ssm "
            f"get-parameters-by-path --path {path} --recursive lists them), or al2023@latest",
        )
    ]


def app_name_problems(
    args: PlatformArgs, invoke: pulumi.InvokeOptions | None
) -> list[ConfigProblem]:
    """The app's name and certificate, from AWS, before anything registers: a private zone or
    one that does not hold the domain would leave the certificate pending (its validation waits
    75 minutes) or the records refused; a certificate of another account is refused by the
    listener. The certificate's region is checked in validation (args.rules)."""
    workload = args.workload
    if not workload.enabled:
        return []
    problems = []
    if workload.domain and workload.hosted_zone_id:
        found = hosted_zone_problem_for(workload.domain, workload.hosted_zone_id, invoke)
        if found:
            problems.append(
                ConfigProblem("workload.hosted_zone_id", workload.hosted_zone_id, found)
            )
    certificate = workload.tls.certificate_arn
    if certificate:
        account = aws.get_caller_identity(opts=invoke).account_id
        if found := certificate_account_problem(certificate, account):
            problems.append(ConfigProblem("workload.tls.certificate_arn", certificate, found))
    return problems


def log_group_problems(
    name: str,
    args: PlatformArgs,
    cluster_name: str,
    invoke: pulumi.InvokeOptions | None,
    parent: pulumi.Resource | None,
) -> list[ConfigProblem]:
    """Container Insights log groups the platform would create must not exist untagged, as the
    add-on's agents make them (``parts.observability.foreign_log_groups``): refused with the
    commands that adopt them, before anything registers."""
    if not args.observability:
        return []
    foreign = foreign_log_groups(cluster_name, invoke)
    if not foreign:
        return []
    # The platform's URN when the stack program creates it; inside another component (a fleet)
    # the user reads it from pulumi stack --show-urns.
    urn = (
        f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::eks-platform:index:"
        f"EksPlatform::{name}"
        if parent is None
        else f"<the URN of {name}, from pulumi stack --show-urns>"
    )
    key, value = OWNED_TAG
    steps = "; ".join(
        f"aws logs tag-resource --resource-arn {arn} --tags {key}={value} && pulumi import "
        f"aws:cloudwatch/logGroup:LogGroup {name}-insights-{group.rsplit('/', 1)[-1]} {group} "
        f"--parent platform={urn}"
        for group, arn in foreign
    )
    return [
        ConfigProblem(
            "observability",
            True,
            f"log groups {', '.join(group for group, _ in foreign)} exist without the "
            "platform's tags: the add-on's agents created them (up to 0.5.0 the platform "
            "left them to it), and creating them again would fail with "
            "ResourceAlreadyExistsException. Adopt each, then run again (the next up sets "
            f"their retention, key and tags): {steps}. Deleting them instead works only "
            "with the add-on off (its Fluent Bit recreates them within seconds)",
        )
    ]


class EksPlatform(pulumi.ComponentResource):
    """Network, EKS control plane, compute and a sample workload for one environment.

    KMS key, IAM roles and the network are created side by side; the cluster waits only for
    what it consumes (subnets, key, log group, its role); node groups for the cluster and the
    VPC CNI; the load balancer controller and the sample app for the nodes and CoreDNS.
    Pass an AWS provider in ``opts`` (``providers=[...]``) to build in another region or account:
    every child and every lookup uses it.
    """

    cluster_name: pulumi.Output[str]
    """Physical EKS cluster name."""
    endpoint: pulumi.Output[str]
    """Kubernetes API server URL."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (JSON, using aws eks get-token) for the cluster; secret."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the cluster's IAM OIDC provider (for IRSA roles)."""
    node_role_arn: pulumi.Output[str]
    """IAM role of the managed node groups."""
    node_security_group_id: pulumi.Output[str]
    """The cluster security group EKS creates, which nodes and the control plane share."""
    region: pulumi.Output[str]
    """AWS region of the platform."""
    availability_zones: pulumi.Output[list[str]]
    """Zones the subnets are in (empty with an existing VPC)."""
    vpc_id: pulumi.Output[str]
    """VPC id (created or brought)."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnet ids, in zone order."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnet ids, in zone order."""
    app_url: pulumi.Output[str]
    """https://<domain>, else http(s)://<load balancer hostname> of the sample app; empty when
    the workload is off."""
    app_hostname: pulumi.Output[str]
    """DNS name of the sample app's load balancer (an alias target); empty when it is off."""

    def __init__(
        self, name: str, args: EksPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Everything that can fail on input fails here, before this component registers.
        platform = resolve_platform_args(name, args, aws_invoke_options(opts))
        cluster_name = platform.cluster_name or fitted_name(f"{default_cluster_name()}-{name}", 100)
        key = "cluster_name" if platform.cluster_name else "name"
        _claim_cluster_name(name, platform.region, cluster_name, key)
        # What only AWS can tell, looked up at preview: every problem at once, still before
        # anything registers.
        invoke = aws_invoke_options(opts)
        lb_subnets, problems = load_balancer_subnets(platform, invoke)
        problems = [
            *zones_kept_problems(platform, cluster_name, invoke),
            *kubernetes_version_problems(platform, cluster_name, invoke),
            *karpenter_ami_problems(platform, invoke),
            *app_name_problems(platform, invoke),
            *addon_version_problems(platform, invoke),
            *log_group_problems(
                name, platform, cluster_name, invoke, opts.parent if opts else None
            ),
            *problems,
        ]
        if problems:
            raise ConfigError(problems)
        super().__init__("eks-platform:index:EksPlatform", name, None, opts)
        self._load_balancer_subnets = lb_subnets
        self._app: SampleApp | None = None
        for warning in platform_warnings(platform):
            pulumi.log.warn(warning, resource=self)
        tags = {**platform.tags, **common_tags(platform.production)}
        context = AwsContext.lookup(platform.region, pulumi.InvokeOptions(parent=self))
        addon_versions = resolved_addon_versions(platform)
        child = pulumi.ResourceOptions(parent=self)

        key = PlatformKey(
            f"{name}-kms",
            alias=cluster_name,
            context=context,
            tags=tags,
            protect=platform.protect,
            opts=child,
        )
        network = self._network(
            name,
            args=platform,
            cluster_name=cluster_name,
            kms_key_arn=key.arn,
            tags=tags,
            context=context,
        )
        insights_logs = (
            container_insights_log_groups(
                f"{name}-insights",
                cluster_name=cluster_name,
                kms_key_arn=key.arn,
                retention_days=platform.observability_log_retention_days,
                protect=platform.protect,
                tags=tags,
                parent=self,
            )
            if platform.observability
            else []
        )
        control_plane = ControlPlane(
            f"{name}-control-plane",
            ControlPlaneArgs(
                cluster_name=cluster_name,
                kubernetes_version=platform.kubernetes_version,
                upgrade_policy=platform.upgrade_policy,
                vpc_id=network.vpc_id,
                private_subnet_ids=network.private_subnet_ids,
                kms_key_arn=key.arn,
                endpoint_public_access=platform.endpoint_public_access,
                public_access_cidrs=platform.public_access_cidrs,
                log_types=platform.cluster_log_types,
                log_retention_days=platform.cluster_log_retention_days,
                deletion_protection=platform.deletion_protection,
                protect=platform.protect,
                auto_mode=platform.compute_mode == "auto",
                addon_versions=addon_versions,
                outlived_by=insights_logs,
                admin_principal_arns=platform.admin_principal_arns,
                read_only_principal_arns=platform.read_only_principal_arns,
                tags=tags,
            ),
            context,
            opts=child,
        )
        auto = platform.compute_mode == "auto"
        compute = (
            None
            if auto
            else Compute(
                f"{name}-compute",
                ComputeArgs(
                    cluster_name=control_plane.cluster_name,
                    private_subnet_ids=network.private_subnet_ids,
                    node_groups=node_groups_for(platform),
                    fargate_profiles=platform.fargate_profiles,
                    ready=control_plane.addons_ready,
                    kubernetes_version=platform.kubernetes_version,
                    coredns_version=addon_versions["coredns"],
                    tags=tags,
                ),
                context,
                opts=child,
            )
        )
        app_url = self._kubernetes_side(
            name,
            args=platform,
            control_plane=control_plane,
            workers_ready=compute.workers_ready if compute else [],
            autoscaled_groups=compute.autoscaled_groups if compute else [],
            network=network,
            context=context,
            tags=tags,
            kms_key_arn=key.arn,
            addon_versions=addon_versions,
            insights_logs=insights_logs,
        )

        self.cluster_name = control_plane.cluster_name
        self.endpoint = control_plane.endpoint
        self.kubeconfig = pulumi.Output.secret(control_plane.kubeconfig_json)
        self.oidc_provider_arn = control_plane.oidc_provider_arn
        self.node_role_arn = (
            compute.node_role_arn
            if compute
            else pulumi.Output.all(
                context.partition, context.account_id, control_plane.auto_mode_node_role_name
            ).apply(lambda v: f"arn:{v[0]}:iam::{v[1]}:role/{v[2]}")
        )
        self.node_security_group_id = aws.eks.get_cluster_output(
            name=control_plane.cluster_name, opts=pulumi.InvokeOptions(parent=self)
        ).vpc_config.cluster_security_group_id
        self.region = pulumi.Output.from_input(platform.region)
        self.availability_zones = pulumi.Output.from_input(list(platform.availability_zones))
        self.vpc_id = network.vpc_id
        self.public_subnet_ids = network.public_subnet_ids
        self.private_subnet_ids = network.private_subnet_ids
        self.app_url = app_url if app_url is not None else pulumi.Output.from_input("")
        self.app_hostname = self._app.hostname if self._app else pulumi.Output.from_input("")
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "oidcProviderArn": self.oidc_provider_arn,
                "nodeRoleArn": self.node_role_arn,
                "nodeSecurityGroupId": self.node_security_group_id,
                "region": self.region,
                "availabilityZones": self.availability_zones,
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "appUrl": self.app_url,
                "appHostname": self.app_hostname,
            }
        )

    def _kubernetes_side(
        self,
        name: str,
        *,
        args: PlatformArgs,
        control_plane: ControlPlane,
        workers_ready: list[pulumi.Resource],
        autoscaled_groups: list[AutoscaledGroup],
        network: NetworkRefs,
        context: AwsContext,
        tags: dict[str, str],
        kms_key_arn: pulumi.Output[str],
        addon_versions: dict[str, str],
        insights_logs: list[aws.cloudwatch.LogGroup],
    ) -> pulumi.Output[str] | None:
        """Karpenter, the load balancer controller and the sample app; the app's URL if any."""
        mode = args.compute_mode
        # Auto Mode balances load itself; the controller would compete with it.
        controller_enabled = args.load_balancer_controller.enabled and mode != "auto"
        autoscaler = mode == "managed" and any(group.autoscaled for group in args.node_groups)
        gpu = needs_device_plugin(args) or args.gpu.node_pool or args.gpu.smoke_test
        kubernetes_side = autoscaler or (
            controller_enabled
            or args.workload.enabled
            or args.metrics_server
            or args.block_storage
            or args.observability
            or gpu
        )
        if not (kubernetes_side or mode == "karpenter"):
            return None
        # From the cluster's kubeconfig output, never a local file: deploys the same anywhere.
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret(control_plane.kubeconfig_json),
            opts=pulumi.ResourceOptions(parent=self),
        )
        karpenter = None
        if mode == "karpenter":
            karpenter = Karpenter(
                f"{name}-karpenter",
                KarpenterComponentArgs(
                    cluster_name=control_plane.cluster_name,
                    settings=args.karpenter or KarpenterArgs(),
                    system_node_group=args.node_groups[0].name,
                    workers_ready=workers_ready,
                    tags=tags,
                    egress=network.egress,
                    # A brought VPC's subnets carry no karpenter.sh/discovery tag: by id.
                    subnet_ids=args.existing_private_subnet_ids if args.uses_existing_vpc else (),
                    gpu_node_class=args.gpu.node_pool,
                ),
                provider,
                context,
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The app runs on Karpenter's nodes, which exist once the NodePool does.
            app_ready = [*workers_ready, karpenter.node_pool]
        else:
            app_ready = workers_ready
        if gpu:
            Gpu(
                f"{name}-gpu",
                GpuComponentArgs(
                    settings=args.gpu,
                    device_plugin=needs_device_plugin(args),
                    auto_mode=mode == "auto",
                    workers_ready=app_ready,
                    node_class=karpenter.gpu_node_class if karpenter else None,
                ),
                provider,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.block_storage:
            BlockStorage(
                f"{name}-storage",
                BlockStorageArgs(
                    cluster_name=control_plane.cluster_name,
                    kms_key_arn=kms_key_arn,
                    auto_mode=mode == "auto",
                    addon_version=addon_versions["aws-ebs-csi-driver"],
                    workers_ready=workers_ready,
                    tags=tags,
                ),
                provider,
                context,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if mode == "managed" and any(group.autoscaled for group in args.node_groups):
            ClusterAutoscaler(
                f"{name}-autoscaler",
                ClusterAutoscalerArgs(
                    cluster_name=control_plane.cluster_name,
                    kubernetes_version=args.kubernetes_version,
                    region=args.region,
                    autoscaling_groups=[
                        (group.asg_name, group.min_size, group.max_size)
                        for group in autoscaled_groups
                    ],
                    workers_ready=workers_ready,
                    egress=network.egress,
                    tags=tags,
                ),
                provider,
                context,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.observability:
            Observability(
                f"{name}-observability",
                ObservabilityArgs(
                    cluster_name=control_plane.cluster_name,
                    log_groups=insights_logs,
                    addon_version=addon_versions[OBSERVABILITY_ADDON],
                    workers_ready=workers_ready,
                    tags=tags,
                ),
                context,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.metrics_server:
            # Beside the app, not before it: nothing it serves gates the first deploy.
            MetricsServer(
                f"{name}-metrics-server",
                MetricsServerArgs(workers_ready=workers_ready),
                provider,
                opts=pulumi.ResourceOptions(parent=self),
            )
        controller = None
        if controller_enabled:
            controller = LoadBalancerController(
                f"{name}-lb-controller",
                ControllerArgs(
                    cluster_name=control_plane.cluster_name,
                    region=args.region,
                    vpc_id=network.vpc_id,
                    replicas=args.load_balancer_controller.replicas,
                    workers_ready=workers_ready,
                    egress=network.egress,
                    tags=tags,
                ),
                provider,
                context,
                opts=pulumi.ResourceOptions(parent=self),
            )
        if not args.workload.enabled:
            return None
        return self._sample_app(
            name,
            args=args,
            ready=app_ready,
            controller=controller,
            provider=provider,
            tags=tags,
        )

    def _sample_app(
        self,
        name: str,
        *,
        args: PlatformArgs,
        ready: list[pulumi.Resource],
        controller: LoadBalancerController | None,
        provider: k8s.Provider,
        tags: dict[str, str],
    ) -> pulumi.Output[str]:
        """The sample app behind its load balancer, with its certificate and name if asked."""
        mode = args.compute_mode
        if mode == "auto":
            load_balancer = AUTO_MODE_LOAD_BALANCER
        else:
            load_balancer = CONTROLLER_LOAD_BALANCER if controller else IN_TREE_LOAD_BALANCER
        workload = args.workload
        certificate_arn: pulumi.Input[str] | None = workload.tls.certificate_arn or None
        if workload.domain and not certificate_arn:
            certificate_arn = Certificate(
                f"{name}-certificate",
                CertificateArgs(
                    domain=workload.domain,
                    hosted_zone_id=workload.hosted_zone_id,
                    tags=tags,
                    keep_validation_record=workload.shared_name,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            ).arn
        app = SampleApp(
            f"{name}-app",
            SampleAppArgs(
                workload=workload,
                workers_ready=ready,
                autoscaled=args.metrics_server,
                controller=controller.release if controller else None,
                load_balancer=load_balancer,
                tags=tags,
                certificate_arn=certificate_arn,
                subnet_ids=self._load_balancer_subnets,
            ),
            provider,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._app = app
        if not workload.domain or workload.shared_name:
            return app.url  # a fleet points the shared name at every region itself
        record = alias_record(
            f"{name}-app-record",
            domain=workload.domain,
            hosted_zone_id=workload.hosted_zone_id,
            hostname=app.hostname,
            load_balancer_type=workload.load_balancer_type,
            region=args.region,
            parent=self,
        )
        return record.fqdn.apply(lambda _: f"https://{workload.domain}")

    def _network(
        self,
        name: str,
        *,
        args: PlatformArgs,
        cluster_name: str,
        kms_key_arn: pulumi.Output[str],
        tags: dict[str, str],
        context: AwsContext,
    ) -> NetworkRefs:
        if args.uses_existing_vpc:
            return NetworkRefs(
                vpc_id=pulumi.Output.from_input(args.existing_vpc_id),
                public_subnet_ids=pulumi.Output.from_input(list(args.existing_public_subnet_ids)),
                private_subnet_ids=pulumi.Output.from_input(list(args.existing_private_subnet_ids)),
            )
        subnets = plan_subnets(
            args.vpc_cidr,
            args.availability_zones,
            args.private_subnet_prefix_length,
            args.public_subnet_prefix_length,
        )
        network = Network(
            f"{name}-network",
            NetworkArgs(
                vpc_cidr=args.vpc_cidr,
                subnets=subnets,
                nat_mode=args.nat_mode,
                flow_logs_retention_days=args.flow_logs_retention_days,
                region=args.region,
                cluster_name=cluster_name,
                tags=tags,
                log_kms_key_arn=kms_key_arn,
                protect=args.protect,
                ssm_policy_arn=context.managed_policy("AmazonSSMManagedInstanceCore"),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return network.refs()
