"""The network component under recording mocks: what it registers, with which inputs and parents."""

from __future__ import annotations

import base64
import ipaddress
import json

import pytest
from conftest import NO_EGRESS_NEEDED, PROJECT_DIR

from eks_platform.args.cidr import plan_subnets
from eks_platform.offline import run_stack

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
# Types without a tags argument in pulumi-aws 7.
UNTAGGABLE = {
    ROUTE,
    ASSOCIATION,
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
}


def network_resources(run):
    return run.descendants(run.one("eks-platform:index:Network"))


def subnets(run, tier):
    return [r for r in run.by_type(SUBNET) if f"-{tier}-" in r.name]


def test_vpc_has_dns_and_the_configured_range(run_dev):
    run = run_dev()
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True


def test_one_public_and_one_private_subnet_per_zone_as_planned(run_dev):
    run = run_dev(availabilityZoneCount=3)
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    plan = {z.zone: z for z in plan_subnets("10.0.0.0/16", zones, 19, 24)}
    for tier in ("public", "private"):
        found = {r.inputs["availabilityZone"]: r.inputs["cidrBlock"] for r in subnets(run, tier)}
        assert found == {zone: getattr(plan[zone], f"{tier}_cidr") for zone in zones}
    cidrs = [ipaddress.IPv4Network(r.inputs["cidrBlock"]) for r in run.by_type(SUBNET)]
    assert len(cidrs) == 6
    assert all(not a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_subnets_belong_to_the_vpc_and_never_map_public_ips(run_dev):
    run = run_dev()
    vpc = run.one("aws:ec2/vpc:Vpc")
    for subnet in run.by_type(SUBNET):
        assert subnet.inputs["vpcId"] == vpc.resource_id
        assert subnet.inputs["mapPublicIpOnLaunch"] is False


def test_subnet_role_and_discovery_tags(run_dev):
    run = run_dev()
    for subnet in subnets(run, "public"):
        assert subnet.inputs["tags"]["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in subnet.inputs["tags"]
        assert "karpenter.sh/discovery" not in subnet.inputs["tags"]
    for subnet in subnets(run, "private"):
        assert subnet.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert subnet.inputs["tags"]["karpenter.sh/discovery"] == "eks-platform-dev"
        assert "kubernetes.io/role/elb" not in subnet.inputs["tags"]


def test_common_tags_on_everything_taggable(run_dev):
    run = run_dev()
    aws_resources = [r for r in run.registrations if r.type.startswith("aws:")]
    assert len(aws_resources) > 30
    for resource in aws_resources:
        if resource.type in UNTAGGABLE:
            continue
        tags = resource.inputs.get("tags", {})
        if isinstance(tags, list):  # Auto Scaling groups take [{key, value, propagateAtLaunch}]
            tags = {tag["key"]: tag["value"] for tag in tags}
        assert tags.get("project") == "eks-platform", resource.name
        assert tags.get("stack") == "dev", resource.name
        assert tags.get("managed-by") == "pulumi", resource.name
    for resource in network_resources(run):
        tags = resource.inputs.get("tags")
        if resource.type not in UNTAGGABLE and isinstance(tags, dict) and resource.custom:
            assert tags["Name"] == resource.name


def test_children_are_named_and_parented_under_their_component(run_dev):
    run = run_dev()
    urns = run.by_urn()
    network = run.one("eks-platform:index:Network")
    platform = run.one("eks-platform:index:EksPlatform")
    assert network.parent == platform.urn
    assert network.name == f"{platform.name}-network"
    below = {r.urn for r in run.descendants(network)}
    for resource in run.registrations:
        if resource.type.startswith("aws:") and "-network-" in resource.name:
            assert resource.urn in below, resource.name
    for resource in network_resources(run):
        assert resource.name.startswith(f"{network.name}-"), resource.name
    assert urns[network.parent].type == "eks-platform:index:EksPlatform"


def default_routes(run):
    return [r for r in run.by_type(ROUTE) if r.inputs["destinationCidrBlock"] == "0.0.0.0/0"]


def test_public_route_table_routes_to_the_internet_gateway(run_dev):
    run = run_dev()
    igw = run.one("aws:ec2/internetGateway:InternetGateway")
    public_table = run.one(ROUTE_TABLE, "eks-platform-dev-network-public")
    routes = [
        r for r in default_routes(run) if r.inputs["routeTableId"] == public_table.resource_id
    ]
    assert [r.inputs["gatewayId"] for r in routes] == [igw.resource_id]
    associated = {
        a.inputs["subnetId"]
        for a in run.by_type(ASSOCIATION)
        if a.inputs["routeTableId"] == public_table.resource_id
    }
    assert associated == {s.resource_id for s in subnets(run, "public")}


# natMode none: nothing that pulls an image from outside ECR (the controller, podinfo).
PRIVATE = NO_EGRESS_NEEDED


@pytest.mark.parametrize(
    ("mode", "nat_count", "private_tables"),
    [("none", 0, 1), ("single", 1, 1), ("per_az", 3, 3)],
)
def test_nat_modes(run_dev, mode, nat_count, private_tables):
    run = run_dev(natMode=mode, availabilityZoneCount=3, **(PRIVATE if mode == "none" else {}))
    nats = run.by_type(NAT)
    assert len(nats) == nat_count
    assert len(run.by_type(EIP)) == nat_count
    for eip in run.by_type(EIP):
        assert eip.inputs["domain"] == "vpc"
    public_ids = {s.resource_id for s in subnets(run, "public")}
    assert all(nat.inputs["subnetId"] in public_ids for nat in nats)

    tables = [t for t in run.by_type(ROUTE_TABLE) if "-private" in t.name]
    assert len(tables) == private_tables
    nat_routes = [r for r in default_routes(run) if "natGatewayId" in r.inputs]
    assert len(nat_routes) == (0 if mode == "none" else private_tables)
    # Every private subnet is associated with exactly one private table.
    table_ids = {t.resource_id for t in tables}
    private_assoc = [a for a in run.by_type(ASSOCIATION) if a.inputs["routeTableId"] in table_ids]
    assert sorted(a.inputs["subnetId"] for a in private_assoc) == sorted(
        s.resource_id for s in subnets(run, "private")
    )


def test_per_az_nat_keeps_each_zone_on_its_own_gateway(run_dev):
    run = run_dev(natMode="per_az", availabilityZoneCount=3)
    by_id = {r.resource_id: r for r in run.registrations}
    for route in [r for r in default_routes(run) if "natGatewayId" in r.inputs]:
        table = by_id[route.inputs["routeTableId"]]
        nat = by_id[route.inputs["natGatewayId"]]
        nat_zone = by_id[nat.inputs["subnetId"]].inputs["availabilityZone"]
        assert table.name.endswith(nat_zone)
        assoc = [
            a for a in run.by_type(ASSOCIATION) if a.inputs["routeTableId"] == table.resource_id
        ]
        assert [by_id[a.inputs["subnetId"]].inputs["availabilityZone"] for a in assoc] == [nat_zone]


def test_nat_gateway_waits_for_the_internet_gateway(run_dev):
    run = run_dev(natMode="single")
    igw = run.one("aws:ec2/internetGateway:InternetGateway")
    assert igw.urn in run.one(NAT).dependencies


def test_flow_logs_to_cloudwatch_with_retention_and_role(run_dev):
    run = run_dev(flowLogsRetentionDays=365)
    group = run.one("aws:cloudwatch/logGroup:LogGroup", "eks-platform-dev-network-flow-logs")
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key").outputs["arn"]
    flow_log = run.one("aws:ec2/flowLog:FlowLog")
    role = run.one("aws:iam/role:Role", "eks-platform-dev-network-flow-logs-role")
    assert flow_log.inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").resource_id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    policy = json.loads(
        run.one(
            "aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-network-flow-logs-policy"
        ).inputs["policy"]
    )
    write = policy["Statement"][0]
    assert "logs:PutLogEvents" in write["Action"]
    assert write["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]


def test_default_security_group_is_adopted_and_emptied(run_dev):
    run = run_dev()
    default_sg = run.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").resource_id
    assert default_sg.inputs.get("ingress", []) == []
    assert default_sg.inputs.get("egress", []) == []


@pytest.mark.parametrize("mode", ["single", "per_az"])
def test_s3_gateway_endpoint_on_every_private_route_table(run_dev, mode):
    run = run_dev(natMode=mode)
    endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-west-2.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    private_tables = [t.resource_id for t in run.by_type(ROUTE_TABLE) if "-private" in t.name]
    assert sorted(endpoint.inputs["routeTableIds"]) == sorted(private_tables)


def test_bring_your_own_vpc_creates_no_network(run_dev):
    run = run_dev(
        existingVpcId="vpc-0123456789abcdef0",
        existingPublicSubnetIds=["subnet-0000000a"],
        existingPrivateSubnetIds=["subnet-0000000b", "subnet-0000000c"],
    )
    network_types = {"aws:ec2/vpc:Vpc", SUBNET, NAT, EIP, ROUTE_TABLE, ROUTE, ASSOCIATION}
    assert [r for r in run.registrations if r.type in network_types] == []
    assert run.by_type("eks-platform:index:Network") == []
    cluster = run.one("eks:index:Cluster")
    assert cluster.inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert cluster.inputs["privateSubnetIds"] == ["subnet-0000000b", "subnet-0000000c"]
    assert run.outputs["vpcId"] == "vpc-0123456789abcdef0"
    assert run.outputs["privateSubnetIds"] == ["subnet-0000000b", "subnet-0000000c"]
    assert run.outputs["publicSubnetIds"] == ["subnet-0000000a"]


def test_explicit_zones_are_used(run_dev):
    run = run_dev(availabilityZones=["us-west-2b", "us-west-2d"])
    assert sorted({s.inputs["availabilityZone"] for s in run.by_type(SUBNET)}) == [
        "us-west-2b",
        "us-west-2d",
    ]
    assert run.outputs["availabilityZones"] == ["us-west-2b", "us-west-2d"]


def test_nat_instance_mode_is_one_small_graviton_instance_on_a_pulumi_interface(run_dev):
    run = run_dev(natMode="instance")
    assert run.by_type(NAT) == []
    instance = run.one("aws:ec2/instance:Instance")
    interface = run.one("aws:ec2/networkInterface:NetworkInterface")
    first_public = min(subnets(run, "public"), key=lambda s: s.inputs["availabilityZone"])
    assert interface.inputs["subnetId"] == first_public.resource_id
    assert interface.inputs["sourceDestCheck"] is False  # forwarding needs it off
    assert instance.inputs["primaryNetworkInterface"] == {
        "networkInterfaceId": interface.resource_id
    }
    assert instance.inputs["instanceType"] == "t4g.nano"
    assert instance.delete_before_replace  # the interface is attached to one instance at a time
    assert instance.inputs["metadataOptions"]["httpTokens"] == "required"
    (eip,) = run.by_type(EIP)
    assert eip.inputs["networkInterface"] == interface.resource_id
    template = run.one(
        "aws:ec2/launchTemplate:LaunchTemplate", "eks-platform-dev-network-nat-instance-lt"
    )
    assert instance.inputs["launchTemplate"]["id"] == template.resource_id
    assert template.inputs["imageId"].startswith(
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023"
    )
    assert template.inputs["imageId"].endswith("arm64")
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert "keyName" not in template.inputs and "networkInterfaces" not in template.inputs


def test_nat_instance_routes_are_pulumis_and_point_at_the_interface(run_dev):
    """Switching natMode replaces one Pulumi route with another: nothing outside Pulumi writes
    a route that a NAT gateway's route would collide with."""
    run = run_dev(natMode="instance")
    interface = run.one("aws:ec2/networkInterface:NetworkInterface")
    private_tables = [t.resource_id for t in run.by_type(ROUTE_TABLE) if "-private" in t.name]
    routes = [r for r in default_routes(run) if r.inputs["routeTableId"] in private_tables]
    assert len(routes) == len(private_tables) == 1
    assert routes[0].inputs["networkInterfaceId"] == interface.resource_id
    assert "natGatewayId" not in routes[0].inputs
    single = run_dev(natMode="single")
    (route,) = [r for r in default_routes(single) if "natGatewayId" in r.inputs]
    assert route.name == routes[0].name  # the same logical route: updated in place, not added


def test_nat_instance_boot_script_follows_the_documented_order_and_retries(run_dev):
    run = run_dev(natMode="instance")
    template = run.one(
        "aws:ec2/launchTemplate:LaunchTemplate", "eks-platform-dev-network-nat-instance-lt"
    )
    script = base64.b64decode(template.inputs["userData"]).decode()
    order = [
        "ip_forward = 1",
        "retry dnf install -y iptables-services",
        "systemctl enable --now iptables",
        "-j MASQUERADE",
        "iptables -F FORWARD",
        "service iptables save",
    ]
    positions = [script.index(step) for step in order]
    assert positions == sorted(positions)
    assert "set -e" not in script.replace("set -euo", "")  # one failed call must not end it
    assert "aws ec2" not in script  # the instance changes nothing in AWS


def test_nat_instance_permissions_are_ssm_only(run_dev):
    run = run_dev(natMode="instance")
    role = run.one("aws:iam/role:Role", "eks-platform-dev-network-nat-instance-role")
    attachments = [
        a for a in run.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.parent == role.urn
    ]  # fmt: skip
    assert [a.inputs["policyArn"].rsplit("/", 1)[-1] for a in attachments] == [
        "AmazonSSMManagedInstanceCore"
    ]
    assert [p for p in run.by_type("aws:iam/rolePolicy:RolePolicy") if p.parent == role.urn] == []
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["ingress"][0]["cidrBlocks"] == ["10.0.0.0/16"]
    assert all(rule["description"] for rule in group.inputs["ingress"] + group.inputs["egress"])


def test_a_private_cluster_gets_the_endpoints_its_nodes_need(run_dev):
    """natMode none: no default route, so ECR, STS, EKS auth, EC2 and Session Manager are
    reached through interface endpoints in every private subnet, with private DNS, on 443 only.
    Not ELB (the in-tree controller calls it from EKS's control plane; the AWS controller is
    refused) nor logs (nothing in the VPC ships logs with natMode none)."""
    run = run_dev(natMode="none", availabilityZoneCount=3, **PRIVATE)
    private_ids = sorted(s.resource_id for s in subnets(run, "private"))
    private_tables = {t.resource_id for t in run.by_type(ROUTE_TABLE) if "-private" in t.name}
    assert [r for r in default_routes(run) if r.inputs["routeTableId"] in private_tables] == []
    endpoints = {
        e.inputs["serviceName"].removeprefix("com.amazonaws.us-west-2."): e
        for e in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    # EKS user guide, private clusters (args/endpoints.py says why each is in or out).
    assert set(endpoints) == {
        "s3", "ecr.api", "ecr.dkr", "sts", "eks-auth", "ec2", "ssm", "ssmmessages", "ec2messages",
    }  # fmt: skip
    (group,) = [
        g for g in run.by_type("aws:ec2/securityGroup:SecurityGroup") if "endpoints" in g.name
    ]
    assert group.inputs["ingress"] == [
        {
            "protocol": "tcp", "fromPort": 443, "toPort": 443,
            "cidrBlocks": ["10.0.0.0/16"], "description": "HTTPS from the VPC",
        }
    ]  # fmt: skip
    for service, endpoint in endpoints.items():
        if service == "s3":
            assert endpoint.inputs["vpcEndpointType"] == "Gateway"
            continue
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == private_ids
        assert endpoint.inputs["securityGroupIds"] == [group.resource_id]
    # With egress, none of them (NAT carries the traffic).
    with_nat = run_dev(natMode="single").by_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.inputs["vpcEndpointType"] for e in with_nat] == ["Gateway"]


def test_nat_instance_second_up_leaves_the_source_dest_check_alone(run_dev):
    """terraform-provider-aws reads source_dest_check back from the primary interface (false;
    the mocks do too) while the schema default is true: without the ignore, every later update
    would plan false -> true and turn forwarding off (hashicorp/terraform-provider-aws#44768)."""
    instance = run_dev(natMode="instance").one("aws:ec2/instance:Instance")
    assert "sourceDestCheck" in instance.ignore_changes  # the property's name in pulumi-aws 7
    read_back = instance.outputs["sourceDestCheck"]
    assert read_back is False
    sent = instance.inputs.get("sourceDestCheck", True)  # unset: the schema default
    drift = {"sourceDestCheck"} if sent != read_back else set()
    assert drift - set(instance.ignore_changes) == set()  # the second up is a no-op


MODES = ("per_az", "single", "instance", "none")


@pytest.fixture(scope="module")
def mode_runs():
    """The dev stack in each NAT mode, three zones (run once for the module)."""
    return {
        mode: run_stack(
            PROJECT_DIR, "dev",
            {"natMode": mode, "availabilityZoneCount": 3, **(PRIVATE if mode == "none" else {})},
        )
        for mode in MODES
    }  # fmt: skip


def test_each_subnet_keeps_one_association_in_every_nat_mode(mode_runs):
    """Named after the subnet, parented to it: a natMode switch changes the table in place
    (ReplaceRouteTableAssociation) instead of adding a second association to the subnet."""
    by_subnet = {
        mode: {a.inputs["subnetId"]: a.urn for a in run.by_type(ASSOCIATION)}
        for mode, run in mode_runs.items()
    }
    assert len(by_subnet["per_az"]) == 6
    for mode in MODES:
        assert by_subnet[mode] == by_subnet["per_az"], mode
    run = mode_runs["single"]
    urns = run.by_urn()
    for association in run.by_type(ASSOCIATION):
        subnet = urns[association.parent]
        assert subnet.type == SUBNET and association.name == f"{subnet.name}-rta"


def test_associations_answer_to_their_names_of_every_mode_before(mode_runs):
    """Up to 0.5.0 an association was its table's child, named <table>-<zone>: per_az tables
    are private-<zone>, the shared one private. Every name a stack can hold is an alias."""
    run = mode_runs["per_az"]
    urns = run.by_urn()
    before = "urn:pulumi:dev::eks-platform::aws:ec2/routeTable:RouteTable$" + ASSOCIATION + "::"
    for association in run.by_type(ASSOCIATION):
        subnet = urns[association.parent]
        zone = subnet.inputs["availabilityZone"]
        if "-public-" in subnet.name:
            expected = [f"eks-platform-dev-network-public-{zone}"]
        else:
            expected = [
                f"eks-platform-dev-network-private-{zone}-{zone}",  # per_az: private-<zone>
                f"eks-platform-dev-network-private-{zone}",  # single, instance, none: private
            ]
        assert association.alias_urns == [before + name for name in expected]


# What AWS keeps unique among the resources a natMode switch creates and deletes.
UNIQUE_KEYS = {
    ASSOCIATION: ("subnetId",),  # one association per subnet (Resource.AlreadyAssociated)
    ROUTE: ("routeTableId", "destinationCidrBlock"),  # RouteAlreadyExists
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpcId", "serviceName"),  # private DNS: one per VPC
    NAT: ("allocationId",),  # an Elastic IP serves one NAT gateway
}


@pytest.mark.parametrize("before", MODES)
@pytest.mark.parametrize("after", MODES)
def test_no_natmode_switch_creates_what_a_doomed_resource_still_holds(mode_runs, before, after):
    """Pulumi creates what is new before it deletes what is gone: nothing created by a switch
    may need a unique key a resource about to be deleted still holds. The mocks' ids follow
    the logical name, so a table, subnet or EIP that survives the switch keeps its id."""
    old = mode_runs[before].by_urn()
    new = mode_runs[after].by_urn()

    def keyed(resources, urns):
        held = [resources[urn] for urn in urns if resources[urn].type in UNIQUE_KEYS]
        return {
            (r.type, *(str(r.inputs.get(key)) for key in UNIQUE_KEYS[r.type])): r.urn for r in held
        }

    deleted = keyed(old, set(old) - set(new))
    created = keyed(new, set(new) - set(old))
    assert sorted(set(deleted) & set(created)) == []


# --- review: a natMode switch must not move a subnet onto a table with no way out yet ---------


@pytest.mark.parametrize("mode", MODES)
def test_each_association_waits_for_its_tables_way_out(mode_runs, mode):
    """single -> per_az moves zones b and c onto new tables whose default routes wait for new
    NAT gateways (one to two minutes): the association (updated in place) must wait for that
    route, not only for the table. In none mode the way out is the endpoints."""
    run = mode_runs[mode]
    by_id = {r.resource_id: r for r in run.registrations}
    route_of = {r.inputs["routeTableId"]: r.urn for r in default_routes(run)}
    endpoints = {r.urn for r in run.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    associations = run.by_type(ASSOCIATION)
    assert len(associations) == 6
    for association in associations:
        table = by_id[association.inputs["routeTableId"]]
        if mode == "none" and "-private" in table.name:
            assert table.resource_id not in route_of
            assert endpoints and endpoints <= set(association.dependencies), association.name
        else:
            assert route_of[table.resource_id] in association.dependencies, association.name


def test_the_nat_instance_route_waits_for_the_instance(mode_runs):
    """Not only for its interface (a data dependency): a subnet moved onto the table would send
    its traffic to an interface no instance holds yet."""
    run = mode_runs["instance"]
    instance = run.one("aws:ec2/instance:Instance")
    (route,) = [r for r in default_routes(run) if "networkInterfaceId" in r.inputs]
    assert instance.urn in route.dependencies


def test_nat_instance_template_does_not_follow_the_platform_tags(run_dev):
    """A template change is a new version, and a new version replaces the instance (delete
    before replace: egress stops): the platform tags reach the volume through the instance's
    volume_tags (updated in place), not through the template."""
    plain, tagged = run_dev(natMode="instance"), run_dev(natMode="instance", tags={"team": "a"})
    name = "eks-platform-dev-network-nat-instance-lt"
    content = [
        {k: v for k, v in run.one(TEMPLATE, name).inputs.items() if k != "tags"}
        for run in (plain, tagged)
    ]
    assert content[0] == content[1]
    instance = tagged.one("aws:ec2/instance:Instance")
    assert instance.inputs["volumeTags"]["team"] == "a"
