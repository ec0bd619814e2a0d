"""A Mermaid architecture flowchart generated from a plan's resources."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..model.recorder import Registration
from .plan import Plan

LB = "service.beta.kubernetes.io/aws-load-balancer"


def _label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


class _Chart:
    def __init__(self, prefix: str) -> None:
        self.lines = ["flowchart LR"]
        self.indent = 1
        self.prefix = prefix

    def id(self, registration: Registration) -> str:
        """The logical name without the platform's common prefix, as a Mermaid node id."""
        return re.sub(r"[^A-Za-z0-9_]", "_", registration.name.removeprefix(self.prefix))

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def node(self, node_id: str, label: str, shape: tuple[str, str] = ("[", "]")) -> None:
        self.line(f"{node_id}{shape[0]}{_label(label)}{shape[1]}")

    def subgraph(self, node_id: str, label: str, nodes: Iterable[tuple[str, str]]) -> bool:
        items = list(nodes)
        if not items:
            return False
        self.line(f"subgraph {node_id}[{_label(label)}]")
        self.indent += 1
        for item_id, item_label in items:
            self.node(item_id, item_label)
        self.indent -= 1
        self.line("end")
        return True


class _Resources:
    """A plan's resources by type, with the groupings the diagram draws."""

    def __init__(self, plan: Plan) -> None:
        self.by_type: dict[str, list[Registration]] = {}
        for registration in plan.resources():
            self.by_type.setdefault(registration.type, []).append(registration)
        subnets = sorted(
            self.of("aws:ec2/subnet:Subnet"), key=lambda s: s.inputs.get("availabilityZone", "")
        )
        self.public = [s for s in subnets if "kubernetes.io/role/elb" in s.inputs.get("tags", {})]
        self.private = [s for s in subnets if s not in self.public]
        self.nat_gateways = self.of("aws:ec2/natGateway:NatGateway")
        self.nat_instances = self.of("aws:ec2/instance:Instance")
        self.nats = self.nat_gateways + self.nat_instances
        self.igws = self.of("aws:ec2/internetGateway:InternetGateway")
        self.clusters = self.of("eks:index:Cluster")
        self.groups = self.of("aws:eks/nodeGroup:NodeGroup")
        self.profiles = self.of("aws:eks/fargateProfile:FargateProfile")
        releases = self.of("kubernetes:helm.sh/v3:Release")
        self.controllers = [
            r for r in releases if r.inputs.get("chart") == "aws-load-balancer-controller"
        ]
        # Cluster services live in kube-system (metrics-server, Cluster Autoscaler, Karpenter);
        # the apps users reach live in namespaces of their own.
        self.system = [
            r
            for r in releases
            if r not in self.controllers and r.inputs.get("namespace") == "kube-system"
        ]
        self.apps = [r for r in releases if r not in self.controllers and r not in self.system]
        self.storage_classes = self.of("kubernetes:storage.k8s.io/v1:StorageClass")
        self.services = [
            s
            for s in self.of("kubernetes:core/v1:Service")
            if s.inputs.get("spec", {}).get("type") == "LoadBalancer"
        ] + self.of("kubernetes:networking.k8s.io/v1:Ingress")

    def of(self, type_token: str) -> list[Registration]:
        return self.by_type.get(type_token, [])


def _subnet_label(tier: str, subnet: Registration) -> str:
    return f"{tier} {subnet.inputs.get('availabilityZone')} {subnet.inputs.get('cidrBlock')}"


def _network(chart: _Chart, res: _Resources) -> None:
    vpcs = res.of("aws:ec2/vpc:Vpc")
    if not vpcs:
        chart.node("existing_vpc", "existing VPC")
        return
    chart.line(f"subgraph vpc[{_label('VPC ' + vpcs[0].inputs.get('cidrBlock', ''))}]")
    chart.indent += 1
    chart.subgraph(
        "public_tier",
        "public subnets",
        [(chart.id(s), _subnet_label("public", s)) for s in res.public]
        + [(chart.id(n), "NAT gateway") for n in res.nat_gateways]
        + [(chart.id(n), "NAT instance") for n in res.nat_instances],
    )
    chart.subgraph(
        "private_tier",
        "private subnets",
        [(chart.id(s), _subnet_label("private", s)) for s in res.private],
    )
    for igw in res.igws:
        chart.node(chart.id(igw), "internet gateway")
    for endpoint in res.of("aws:ec2/vpcEndpoint:VpcEndpoint"):
        service = str(endpoint.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
        chart.node(
            chart.id(endpoint), f"{service} {endpoint.inputs.get('vpcEndpointType', '')} endpoint"
        )
    chart.indent -= 1
    chart.line("end")


def _group_label(group: Registration) -> str:
    inputs = group.inputs
    name = inputs.get("labels", {}).get("nodegroup", group.name)
    types = ",".join(inputs.get("instanceTypes", []))
    desired = int(inputs.get("scalingConfig", {}).get("desiredSize", 0))
    return f"node group {name}: {inputs.get('capacityType', '')} {types} x{desired}"


def _platform(chart: _Chart, res: _Resources) -> None:
    chart.subgraph(
        "control_plane",
        "EKS control plane",
        [
            (chart.id(c), f"EKS {c.inputs.get('name', c.name)} (k8s {c.inputs.get('version')})")
            for c in res.clusters
        ]
        + [
            (chart.id(a), f"addon {a.inputs.get('addonName')}")
            for a in res.of("aws:eks/addon:Addon")
        ],
    )
    chart.subgraph(
        "compute",
        "compute",
        [(chart.id(g), _group_label(g)) for g in res.groups]
        + [
            (chart.id(p), f"Fargate profile {p.inputs.get('fargateProfileName')}")
            for p in res.profiles
        ],
    )
    chart.subgraph(
        "kubernetes",
        "Kubernetes",
        [
            (chart.id(r), f"AWS Load Balancer Controller {r.inputs.get('version')}")
            for r in res.controllers
        ]
        + [(chart.id(r), f"{r.inputs.get('name')} {r.inputs.get('version')}") for r in res.system]
        + [
            (
                chart.id(r),
                f"app {r.inputs.get('name')} ({r.inputs.get('chart')}@{r.inputs.get('version')})",
            )
            for r in res.apps
        ]
        + [
            (chart.id(s), f"StorageClass {s.inputs.get('metadata', {}).get('name')} (default)")
            for s in res.storage_classes
        ],
    )
    for service in res.services:
        annotations = service.inputs.get("metadata", {}).get("annotations", {})
        if service.type.endswith(":Ingress"):
            scheme = annotations.get("alb.ingress.kubernetes.io/scheme") or "(class parameters)"
            https = "HTTPS " if "alb.ingress.kubernetes.io/certificate-arn" in annotations else ""
            chart.node(chart.id(service), f"ALB {https}{scheme}")
            continue
        scheme = annotations.get(f"{LB}-scheme") or (
            "internal" if annotations.get(f"{LB}-internal") == "true" else "internet-facing"
        )
        chart.node(chart.id(service), f"NLB {scheme}")


def _edges(chart: _Chart, res: _Resources) -> None:
    """Traffic first, then what runs where and what egress takes."""
    if res.services:
        chart.node("users", "users", ("((", "))"))
    for service in res.services:
        chart.line(f"users --> {chart.id(service)}")
        chart.lines += [f"    {chart.id(service)} --> {chart.id(app)}" for app in res.apps]
        chart.lines += [
            f"    {chart.id(c)} -. manages .-> {chart.id(service)}" for c in res.controllers
        ]
    workers = res.groups + res.profiles
    for workload in res.apps + res.controllers:
        chart.lines += [
            f"    {chart.id(workload)} -. runs on .-> {chart.id(group)}" for group in res.groups
        ]
    for cluster in res.clusters:
        chart.lines += [f"    {chart.id(cluster)} --> {chart.id(worker)}" for worker in workers]
    if res.private:
        chart.lines += [f"    {chart.id(worker)} --> private_tier" for worker in workers]
        if res.nats:
            chart.line(f"private_tier --> {chart.id(res.nats[0])}")
    for nat in res.nats:
        chart.lines += [f"    {chart.id(nat)} --> {chart.id(igw)}" for igw in res.igws]


def to_mermaid(plan: Plan) -> str:
    """VPC and subnets, NAT, control plane, compute, controller, app, load balancer, users."""
    # Character-wise on purpose: names, not paths; cut back to the last '-'.
    common = os.path.commonprefix([r.name for r in plan.resources()])  # noqa: RUF071
    chart = _Chart(common[: common.rfind("-") + 1])
    resources = _Resources(plan)
    _network(chart, resources)
    _platform(chart, resources)
    _edges(chart, resources)
    return "\n".join(chart.lines) + "\n"
