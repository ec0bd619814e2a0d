"""``EksPlatform``: the one component a stack instantiates."""

from __future__ import annotations

import pulumi

from .cidr import plan_subnets
from .config import PlatformArgs, validate_platform_args
from .network import Network, NetworkArgs, NetworkRefs
from .zones import offered_zones, with_resolved_zones


def default_cluster_name() -> str:
    """``<project>-<stack>``: unique per stack, readable in the console."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}"


def common_tags() -> dict[str, str]:
    """Tags on everything taggable: which project and stack own it, and that Pulumi manages it."""
    return {"project": pulumi.get_project(), "stack": pulumi.get_stack(), "managed-by": "pulumi"}


class EksPlatform(pulumi.ComponentResource):
    """Network, EKS cluster, compute and a sample workload for one environment.

    This slice builds the network (or adopts an existing VPC); the cluster, node groups and
    workload follow in later components and are already sized in ``PlatformArgs``.
    """

    cluster_name: str
    availability_zones: list[str]
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Everything that can fail on input fails here, before this component registers.
        # Args built in Python without zone names get them here, checked against the region.
        if not args.uses_existing_vpc and not args.availability_zones:
            offered = offered_zones()
            args = with_resolved_zones(
                validate_platform_args(args.model_dump(by_alias=True), offered_zones=offered),
                offered,
            )
        super().__init__("eks-platform:index:EksPlatform", name, None, opts)
        self.cluster_name = args.cluster_name or default_cluster_name()
        self.availability_zones = list(args.availability_zones)

        network = self._network(name, args)
        self.vpc_id = network.vpc_id
        self.public_subnet_ids = network.public_subnet_ids
        self.private_subnet_ids = network.private_subnet_ids
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
            }
        )

    def _network(self, name: str, args: PlatformArgs) -> NetworkRefs:
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
                cluster_name=self.cluster_name,
                tags=common_tags(),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return network.refs()
