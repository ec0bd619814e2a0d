"""The component's arguments as TypedDicts: the form other languages (and the Pulumi schema) see.

They mirror ``PlatformArgs`` and its nested models field for field, docstrings included
(a test keeps them in step). ``EksPlatform`` validates what arrives with ``PlatformArgs``, so
every consumer gets the same rules and messages. Enumerations are plain strings here (the
schema analyzer has no Literal); the allowed values are in each field's description and enforced
by validation. ``region`` may be left out: the component then takes its AWS provider's region.
"""

from typing import Any, TypedDict


class TaintInput(TypedDict, total=False):
    """A Kubernetes taint on every node of a group."""

    key: str
    """Taint key (label-key syntax)."""
    value: str
    """Taint value (label-value syntax, may be empty)."""
    effect: str
    """NoSchedule, PreferNoSchedule or NoExecute."""


class NodeGroupInput(TypedDict, total=False):
    """One managed node group: sizing, instance types, AMI, labels and taints."""

    name: str
    """Node group name, unique within the cluster (also the value of the node label nodegroup)."""
    instance_types: list[str]
    """EC2 instance types the group may launch (all of one CPU architecture)."""
    capacity_type: str
    """ON_DEMAND or SPOT."""
    ami_type: str
    """EKS AMI type; its CPU architecture must match the instance types."""
    min_size: int
    """Minimum number of nodes."""
    desired_size: int
    """Number of nodes at creation."""
    max_size: int
    """Maximum number of nodes."""
    disk_size_gib: int
    """GiB of gp3, encrypted (root; data on Bottlerocket); at least 20 (the AMI); NVIDIA: 80."""
    labels: dict[str, str]
    """Kubernetes labels on every node."""
    taints: list[TaintInput]
    """Kubernetes taints on every node."""
    ami_release_version: str
    """Pinned EKS AMI release of kubernetesVersion (1.35.3-20260724); empty: the latest."""
    autoscaled: bool
    """True when an autoscaler owns the node count: later deployments leave desiredSize alone."""


class FargateSelectorInput(TypedDict, total=False):
    """Pods that run on Fargate: those in ``namespace`` carrying all of ``labels``."""

    namespace: str
    """Kubernetes namespace (DNS label)."""
    labels: dict[str, str]
    """Pod labels that must all match (at most 5)."""


class FargateProfileInput(TypedDict, total=False):
    """A Fargate profile: which pods run on Fargate, in the private subnets."""

    name: str
    """Profile name, unique within the cluster."""
    selectors: list[FargateSelectorInput]
    """1-5 selectors; a pod matching any of them runs on Fargate."""


class LoadBalancerControllerInput(TypedDict, total=False):
    """The AWS Load Balancer Controller (eks-charts chart, pinned)."""

    enabled: bool
    """Install it; when off, the sample Service asks the legacy in-tree controller for an NLB."""
    replicas: int
    """Controller replicas (two for a highly available webhook)."""


class TlsInput(TypedDict, total=False):
    """HTTPS for the sample app's load balancer."""

    certificate_arn: str
    """Existing ACM certificate (the stack's region) for HTTPS; empty: one made for domain."""
    ssl_policy: str
    """ELB security policy of the HTTPS listener (TLS 1.2 and 1.3 policies only)."""


class WorkloadInput(TypedDict, total=False):
    """The sample application: a Helm chart, exposed through a LoadBalancer Service."""

    enabled: bool
    """Deploy the sample application."""
    chart: str
    """Chart: an oci:// reference, or a chart name together with repository."""
    repository: str
    """https:// chart repository for a chart name; empty for oci:// charts."""
    version: str
    """Exact chart version (SemVer)."""
    namespace: str
    """Namespace created for the app, labelled for Pod Security Admission restricted."""
    release_name: str
    """Helm release name."""
    replicas: int
    """Pod replicas (at least 2 when production is true); the autoscaler's minimum."""
    max_replicas: int
    """Most replicas the HorizontalPodAutoscaler may scale the sample app to (podinfo only)."""
    values: dict[str, Any]
    """Extra chart values, merged over the platform's (hardening values: podinfo only)."""
    pod_labels: dict[str, str]
    """Labels selecting the app's pods (Service, PDB); podinfo's are derived from releaseName."""
    container_port: int
    """Port the pods listen on (the load balancer's target port)."""
    health_check_path: str
    """HTTP path the load balancer health-checks on the pods."""
    scheme: str
    """internet-facing or internal load balancer."""
    source_ranges: list[str]
    """IPv4 client ranges let through the load balancer (loadBalancerSourceRanges); empty = all."""
    exposure: str
    """nlb (a LoadBalancer Service) or alb (an Ingress: load balancer controller or Auto Mode)."""
    domain: str
    """DNS name for the app (app.example.com): an ACM certificate, HTTPS and an alias record."""
    hosted_zone_id: str
    """Route 53 public hosted zone (Z...) holding domain: validation and alias records go there."""
    tls: TlsInput
    """HTTPS listener: an existing certificate and the TLS policy (see the TLS table)."""
    shared_name: bool
    """domain is shared by several platforms (a fleet): no alias here; validation record kept."""


class GpuInput(TypedDict, total=False):
    """GPU capacity that costs nothing while idle (Karpenter and Auto Mode NodePools)."""

    node_pool: bool
    """computeMode karpenter or auto: a GPU NodePool whose nodes exist only while GPU pods do."""
    instance_families: list[str]
    """NVIDIA GPU instance families the GPU NodePool may launch."""
    capacity_types: list[str]
    """Capacity types of the GPU NodePool: on-demand and/or spot."""
    max_gpus: int
    """Most GPUs the GPU NodePool may run at once (its limits on nvidia.com/gpu): a cost ceiling."""
    smoke_test: bool
    """A Job that requests one GPU and runs nvidia-smi; the deploy waits for it to succeed."""


class KarpenterInput(TypedDict, total=False):
    """Karpenter's default NodePool (computeMode karpenter)."""

    capacity_types: list[str]
    """Capacity types Karpenter may buy: spot and/or on-demand."""
    architectures: list[str]
    """CPU architectures of the nodes: arm64 (Graviton) and/or amd64."""
    cpu_limit: int
    """Most vCPUs the NodePool may run at once (a cost ceiling)."""
    memory_limit_gib: int
    """Most memory, in GiB, the NodePool may run at once."""
    ami_alias: str
    """AMI of Karpenter's nodes: al2023@latest, or al2023@vYYYYMMDD (an awslabs/amazon-eks-ami
    release) to keep nodes until you move the pin; production stacks must pin one."""


class EksPlatformArgs(TypedDict, total=False):
    """Everything the platform needs, validated; built from keyword arguments or stack config."""

    region: str
    """AWS region of the stack (stack config key ``aws:region``)."""
    production: bool
    """Marks the stack as production: an API endpoint open to 0.0.0.0/0 is rejected."""
    cluster_name: str
    """Physical EKS cluster name; empty means project-stack (e.g. eks-platform-dev)."""
    existing_vpc_id: str
    """Bring your own VPC: its id. When set, no network resources are created."""
    existing_public_subnet_ids: list[str]
    """Bring your own VPC: public subnet ids (for internet-facing load balancers)."""
    existing_private_subnet_ids: list[str]
    """Bring your own VPC: private subnet ids (nodes and pods), at least two in different zones."""
    availability_zones: list[str]
    """Explicit zone names; empty means the first availabilityZoneCount zones of the region."""
    availability_zone_count: int
    """Number of zones to spread over (2-4) when availabilityZones is empty."""
    private_subnet_prefix_length: int
    """Prefix length of each private subnet; large, since pods take VPC addresses."""
    public_subnet_prefix_length: int
    """Prefix length of each public subnet."""
    vpc_cidr: str
    """VPC IPv4 range; must be private (RFC 1918 or 100.64.0.0/10)."""
    nat_mode: str
    """Private egress: single NAT gateway, per_az (HA), instance (dev) or none (VPC endpoints)."""
    flow_logs_retention_days: int
    """Retention of the VPC flow log group, in days (a CloudWatch Logs retention value)."""
    upgrade_policy: str
    """STANDARD, or EXTENDED to stay on a version past standard support (6x control-plane price)."""
    kubernetes_version: str
    """Kubernetes minor version; must be in EKS support under upgradePolicy when deployed."""
    kubernetes_rollback: bool
    """Allow kubernetesVersion one minor below the running cluster's (an EKS rollback, 7 days)."""
    addon_versions: dict[str, str]
    """Add-on version overrides by name; the others follow the lock table for kubernetesVersion."""
    tags: dict[str, str]
    """Extra tags (team, ...) on every AWS resource and load balancer, and nodes but Auto Mode's."""
    endpoint_public_access: bool
    """Whether the API server has a public endpoint (the private endpoint is always on)."""
    public_access_cidrs: list[str]
    """Ranges allowed to reach the public endpoint; 0.0.0.0/0 is rejected for production."""
    cluster_log_types: list[str]
    """Control-plane log types sent to CloudWatch (default: all five)."""
    cluster_log_retention_days: int
    """Retention of the control-plane log group, in days (a CloudWatch Logs retention value)."""
    deletion_protection: bool
    """EKS deletion protection: the cluster cannot be deleted until it is turned off."""
    protect: bool
    """Pulumi protect on the cluster, KMS key, VPC and log groups: no accidental destroy."""
    admin_principal_arns: list[str]
    """IAM role or user ARNs granted cluster admin (AmazonEKSClusterAdminPolicy)."""
    read_only_principal_arns: list[str]
    """IAM role or user ARNs granted read-only access (AmazonEKSViewPolicy)."""
    compute_mode: str
    """managed (node groups), karpenter (node groups run Karpenter only) or auto (EKS Auto Mode)."""
    karpenter: KarpenterInput | None
    """Karpenter's NodePool (computeMode karpenter only; defaults apply when left out)."""
    node_groups: list[NodeGroupInput]
    """Managed node groups (at least one; see the node group table)."""
    fargate_profiles: list[FargateProfileInput]
    """Fargate profiles (see the Fargate table); pods they select run on Fargate."""
    block_storage: bool
    """EBS CSI driver (Auto Mode has its own) and a default gp3 class encrypted with the key."""
    observability: bool
    """Container Insights and Fluent Bit logs to CloudWatch (opt-in; priced per node)."""
    observability_log_retention_days: int
    """Retention of the four Container Insights log groups, in days (CloudWatch Logs values)."""
    metrics_server: bool
    """metrics-server (kubectl top, HorizontalPodAutoscalers); the sample app scales on CPU."""
    load_balancer_controller: LoadBalancerControllerInput
    """AWS Load Balancer Controller: enabled, replicas (see the workload table)."""
    workload: WorkloadInput
    """The sample app and its load balancer (see the workload table)."""
    gpu: GpuInput
    """GPU capacity: a scale-to-zero GPU NodePool and a smoke test (see the GPU table)."""
