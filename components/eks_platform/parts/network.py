"""The platform's VPC: subnets per zone and tier, NAT, routes, flow logs and an S3 endpoint."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..args.cidr import ZoneSubnets
from ..args.config import NatMode
from ..args.endpoints import PRIVATE_CLUSTER_ENDPOINTS
from .iam import trust_policy
from .nat_instance import NatInstance

PUBLIC_ELB_TAG = {"kubernetes.io/role/elb": "1"}
INTERNAL_ELB_TAG = {"kubernetes.io/role/internal-elb": "1"}
# Karpenter's EC2NodeClass selects subnets and security groups by this tag (karpenter.sh docs).
DISCOVERY_TAG_KEY = "karpenter.sh/discovery"


@dataclass(frozen=True)
class NetworkArgs:
    """What the network needs; all values are plain (known before deployment)."""

    vpc_cidr: str
    """VPC IPv4 range."""
    subnets: Sequence[ZoneSubnets]
    """One public and one private subnet range per zone (see ``cidr.plan_subnets``)."""
    nat_mode: NatMode
    """none, single or per_az."""
    flow_logs_retention_days: int
    """Retention of the flow log group in days."""
    region: str
    """Region, for the S3 gateway endpoint's service name."""
    cluster_name: str
    """Cluster name, the value of the discovery tag on private subnets."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on every taggable resource."""
    log_kms_key_arn: pulumi.Input[str] | None = None
    """KMS key for the flow log group (CKV_AWS_158); None leaves CloudWatch's default encryption."""
    protect: bool = False
    """Pulumi protect on the VPC and the flow log group."""
    ssm_policy_arn: pulumi.Input[str] | None = None
    """ARN of AmazonSSMManagedInstanceCore (the partition's), for a NAT instance."""


@dataclass(frozen=True)
class NetworkRefs:
    """What the rest of the platform consumes from a network, created here or brought along."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    egress: Sequence[pulumi.Resource] = ()
    """Routes, NAT and endpoints the private subnets reach out through, the route table
    associations that put the subnets on those routes, and the public subnets load balancers
    live in (none for a brought VPC): what must outlive the controllers on destroy (a subnet
    whose association is gone falls back to the VPC's main table, which has no way out)."""


class Network(pulumi.ComponentResource):
    """VPC with a public and a private subnet per zone, NAT egress, flow logs, an S3 endpoint."""

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    egress: list[pulumi.Resource]
    """Routes, NAT and endpoints private subnets reach out through (see NetworkRefs.egress)."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-platform:index:Network", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags(f"{name}-vpc"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # Adopting the default security group removes all of its rules (CKV2_AWS_12): nothing
        # can fall back to the allow-all-within-VPC default by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=self._tags(f"{name}-default-sg"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=self._tags(f"{name}-igw"), opts=child
        )

        public_subnets = [self._subnet(vpc, zone, "public") for zone in args.subnets]
        private_subnets = [self._subnet(vpc, zone, "private") for zone in args.subnets]

        public_table = self._route_table(vpc, "public")
        public_route = self._default_route(public_table, gateway_id=igw.id)
        # Everything private subnets reach AWS and the internet through: controllers that clean
        # up after themselves depend on it, so a destroy removes it only after them.
        # The public subnets too: the load balancers the controller makes live there.
        egress: list[pulumi.Resource] = [public_route, *public_subnets]
        for subnet in public_subnets:
            # Up to 0.5.0 named after its table: "<network>-public-<zone>".
            egress.append(
                self._associate(public_table, subnet, [subnet.pulumi_resource_name], [public_route])
            )

        nat_gateways = self._nat_gateways(args.subnets, public_subnets, igw)
        private_tables = self._private_route_tables(vpc)
        # Each table's way out, created before any subnet is moved onto the table (below).
        private_ways_out: list[list[pulumi.Resource]] = [[] for _ in private_tables]
        if nat_gateways:
            per_zone = len(private_tables) > 1
            for index, table in enumerate(private_tables):
                gateway = nat_gateways[index if per_zone else 0]
                route = self._default_route(table, nat_gateway_id=gateway.id)
                private_ways_out[index].append(route)
                egress.append(route)
        if args.nat_mode == "instance":
            nat_instance = NatInstance(
                f"{name}-nat-instance",
                vpc_id=vpc.id,
                vpc_cidr=args.vpc_cidr,
                subnet_id=public_subnets[0].id,
                managed_policy_arn=args.ssm_policy_arn
                # Only the aws partition is accepted (args.regions).
                or "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            egress.append(nat_instance)  # the instance itself, not only its interface
            for index, table in enumerate(private_tables):
                interface = nat_instance.network_interface_id
                # The route waits for the instance, not only its interface: a subnet moved onto
                # this table (a natMode switch) would otherwise send its traffic to an interface
                # no instance holds yet. The instance counts as created once it runs; forwarding
                # starts only when its user data has run (about a minute later, not measured
                # here), a gap no Pulumi dependency closes (README "Egress with a NAT instance").
                route = self._default_route(
                    table, network_interface_id=interface, depends_on=[nat_instance.instance]
                )
                private_ways_out[index].append(route)
                egress.append(route)

        # Gateway endpoints are free and keep image-layer pulls (ECR stores layers in S3) off NAT.
        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in private_tables],
            tags=self._tags(f"{name}-s3"),
            opts=child,
        )
        egress.append(s3_endpoint)
        if args.nat_mode == "none":
            endpoints = self._interface_endpoints(vpc, private_subnets)
            egress += endpoints
            # No default route: the way out is the endpoints. A switch to none from per_az moves
            # the subnets onto a new table, with the endpoints still being created (the old NAT
            # routes go only at the end of the update, on their old tables).
            private_ways_out = [[*endpoints, s3_endpoint] for _ in private_tables]
        egress += self._associate_private(private_tables, private_subnets, private_ways_out)
        self._flow_logs(vpc)
        self.egress = egress

        self.vpc_id = vpc.id
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.private_route_table_ids = pulumi.Output.all(*[table.id for table in private_tables])
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
            }
        )

    def refs(self) -> NetworkRefs:
        """The ids the cluster and workloads consume."""
        return NetworkRefs(
            self.vpc_id, self.public_subnet_ids, self.private_subnet_ids, self.egress
        )

    # --- pieces -----------------------------------------------------------------------------------

    def _tags(self, resource_name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self._args.tags, "Name": resource_name, **(extra or {})}

    def _subnet(self, vpc: aws.ec2.Vpc, zone: ZoneSubnets, tier: str) -> aws.ec2.Subnet:
        name = f"{self._name}-{tier}-{zone.zone}"
        if tier == "public":
            cidr, role_tags = zone.public_cidr, PUBLIC_ELB_TAG
        else:
            cidr = zone.private_cidr
            role_tags = {**INTERNAL_ELB_TAG, DISCOVERY_TAG_KEY: self._args.cluster_name}
        return aws.ec2.Subnet(
            name,
            vpc_id=vpc.id,
            availability_zone=zone.zone,
            cidr_block=cidr,
            # Nodes never get public addresses; load balancers in public subnets do not need this.
            map_public_ip_on_launch=False,
            tags=self._tags(name, role_tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _route_table(self, vpc: aws.ec2.Vpc, suffix: str) -> aws.ec2.RouteTable:
        name = f"{self._name}-{suffix}"
        return aws.ec2.RouteTable(
            name, vpc_id=vpc.id, tags=self._tags(name), opts=pulumi.ResourceOptions(parent=self)
        )

    def _default_route(
        self,
        table: aws.ec2.RouteTable,
        depends_on: Sequence[pulumi.Resource] = (),
        **target: pulumi.Input[str],
    ) -> aws.ec2.Route:
        return aws.ec2.Route(
            f"{table.pulumi_resource_name}-default",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            opts=pulumi.ResourceOptions(parent=table, depends_on=list(depends_on)),
            **target,
        )

    def _associate(
        self,
        table: aws.ec2.RouteTable,
        subnet: aws.ec2.Subnet,
        old_names: Sequence[str],
        way_out: Sequence[pulumi.Resource],
    ) -> aws.ec2.RouteTableAssociation:
        """The subnet's one association, named after the subnet: whichever table ``natMode``
        gives it, the association is the same resource, and a switch changes its table in
        place. A subnet holds one association; creating a second fails with
        Resource.AlreadyAssociated (EC2 AssociateRouteTable), and Pulumi creates before it
        deletes. terraform-provider-aws internal/service/ec2/vpc_route_table_association.go:
        ``route_table_id`` is Required without ForceNew (``subnet_id``, ``gateway_id`` are
        ForceNew) and Update calls ReplaceRouteTableAssociation (read at the repository's
        stored versions; offline/data/replacements.json holds the same rule).

        Parented to the subnet: its lifetime is the subnet's (a new subnet means a new
        association anyway, ``subnet_id`` forces it), and its URN no longer depends on a table
        that exists in one mode only. ``old_names``: the names it had when it was the child of
        its table (``<table>-<zone>``) in any mode; the aliases move those stacks over without
        a replacement (an alias's URN takes its parent's type chain, any route table's here).

        ``way_out``: what the table sends the subnet's traffic through (its default route, or in
        ``natMode: none`` the endpoints). The association waits for it: a switch moves the
        subnet onto a new table in place, and without this the move could run as soon as the
        table exists, while its NAT gateway is still being created (one to two minutes,
        ``offline/data/creation_times.json``), cutting the subnet's egress. Nothing here
        depends on an association, so this adds no cycle; on destroy the association goes
        before its route."""
        return aws.ec2.RouteTableAssociation(
            f"{subnet.pulumi_resource_name}-rta",
            route_table_id=table.id,
            subnet_id=subnet.id,
            opts=pulumi.ResourceOptions(
                parent=subnet,
                aliases=[pulumi.Alias(name=name, parent=table) for name in old_names],
                depends_on=list(way_out),
            ),
        )

    def _nat_gateways(
        self,
        zones: Sequence[ZoneSubnets],
        public_subnets: list[aws.ec2.Subnet],
        igw: aws.ec2.InternetGateway,
    ) -> list[aws.ec2.NatGateway]:
        """One NAT gateway in the first zone (single), one per zone (per_az) or none."""
        mode = self._args.nat_mode
        count = {"none": 0, "single": 1, "per_az": len(zones), "instance": 0}[mode]
        gateways = []
        for zone, subnet in list(zip(zones, public_subnets, strict=True))[:count]:
            name = f"{self._name}-nat-{zone.zone}"
            eip = aws.ec2.Eip(
                f"{name}-eip",
                domain="vpc",
                tags=self._tags(f"{name}-eip"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    name,
                    allocation_id=eip.allocation_id,
                    subnet_id=subnet.id,
                    tags=self._tags(name),
                    # A NAT gateway needs the VPC's internet gateway attached before it can route.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        return gateways

    def _private_route_tables(self, vpc: aws.ec2.Vpc) -> list[aws.ec2.RouteTable]:
        """Per zone with per_az NAT (a zone keeps egress when another zone fails), else one."""
        if self._args.nat_mode == "per_az":
            return [self._route_table(vpc, f"private-{zone.zone}") for zone in self._args.subnets]
        return [self._route_table(vpc, "private")]

    def _associate_private(
        self,
        tables: list[aws.ec2.RouteTable],
        private_subnets: list[aws.ec2.Subnet],
        ways_out: list[list[pulumi.Resource]],
    ) -> list[pulumi.Resource]:
        """Each private subnet on its zone's table (per_az) or the one table, once the table's
        way out exists (see ``_associate``)."""
        per_zone = len(tables) > 1
        associations: list[pulumi.Resource] = []
        for index, (zone, subnet) in enumerate(
            zip(self._args.subnets, private_subnets, strict=True)
        ):
            # Up to 0.5.0 named after its table: "<table>-<zone>", per_az or single table.
            old = [
                f"{self._name}-private-{zone.zone}-{zone.zone}",
                f"{self._name}-private-{zone.zone}",
            ]
            table = index if per_zone else 0
            associations.append(self._associate(tables[table], subnet, old, ways_out[table]))
        return associations

    def _interface_endpoints(
        self, vpc: aws.ec2.Vpc, private_subnets: list[aws.ec2.Subnet]
    ) -> list[pulumi.Resource]:
        """natMode none: the AWS services a private cluster needs, in every private subnet,
        answering under their usual names (private DNS), reachable on 443 from the VPC."""
        name = f"{self._name}-endpoints"
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc.id,
            description="VPC interface endpoints: HTTPS from the VPC",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=443, to_port=443,
                    cidr_blocks=[self._args.vpc_cidr], description="HTTPS from the VPC",
                )
            ],
            egress=[],
            tags=self._tags(f"{name}-sg"),
            opts=pulumi.ResourceOptions(parent=self),
        )  # fmt: skip
        endpoints: list[pulumi.Resource] = [security_group]
        for service in PRIVATE_CLUSTER_ENDPOINTS:
            endpoint = f"{name}-{service.replace('.', '-')}"
            made = aws.ec2.VpcEndpoint(
                endpoint,
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{self._args.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=[subnet.id for subnet in private_subnets],
                security_group_ids=[security_group.id],
                private_dns_enabled=True,
                tags=self._tags(endpoint),
                opts=pulumi.ResourceOptions(parent=self),
            )
            endpoints.append(made)
        return endpoints

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        """All VPC traffic metadata to CloudWatch Logs (CKV2_AWS_11), with a retention."""
        name = f"{self._name}-flow-logs"
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            name,
            retention_in_days=self._args.flow_logs_retention_days,
            kms_key_id=self._args.log_kms_key_arn,
            tags=self._tags(name),
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protect),
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust_policy("vpc-flow-logs.amazonaws.com"),
            tags=self._tags(f"{name}-role"),
            opts=child,
        )
        # Writing is scoped to this log group. DescribeLogGroups is a list call that cannot be
        # scoped to one group, so it keeps "*" as in the VPC user guide's flow-logs role example
        # and terraform-aws-vpc (not verified against a live account which calls the service makes).
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            },
                            {
                                "Effect": "Allow",
                                "Action": "logs:DescribeLogGroups",
                                "Resource": "*",
                            },
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.ec2.FlowLog(
            name,
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=self._tags(name),
            opts=child,
        )
