"""Finalizers on destroy: every object whose deletion waits for a controller is deleted while
that controller, its identity and its network path still exist.

Pulumi deletes a resource only after everything that depends on it (``change.destroy``: the
dependency graph of ``model.graph.resource_graph`` reversed, in waves). So "X outlives the
object" holds exactly when X is a transitive dependency of the object in that graph; the waves
are a consequence of the same ancestry, which is what this check reads.

What bears a finalizer, which controller removes it, how that controller, its identity and its
network path are recognised among the registrations: ``offline/data/finalizers.json`` (a source
per row). A Helm release is judged by what its chart renders from its values (the table's
``charts``); a chart the table does not know is assumed to render a LoadBalancer Service and an
Ingress for each load-balancer controller in the plan.

- ``check``: over one plan, each such object must depend (transitively) on its controller, the
  controller's identity (role, its policies, the Pod Identity association), its network path
  (default routes, NAT, endpoints, route table associations) and, for Karpenter, on the node
  class a NodePool names and the node role's policies and access entry an EC2NodeClass's nodes
  need; and its controller must be in the plan at all.
- ``transition``: an update deletes what it removes at its end, in the base's dependency order:
  each finalizer-bearing object the change deletes or replaces must depend, in the base plan, on
  whatever of the above the same change deletes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

import networkx as nx

from ..model.graph import resource_graph
from ..model.plan_json import registrations_from_plan
from ..model.recorder import Registration
from .finding import Finding

CHECK = "finalizer-outlived"
TRANSITION = "finalizer-outlived-in-change"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
ROLE = "aws:iam/role:Role"
ROLE_POLICIES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
)
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ADDON = "aws:eks/addon:Addon"
CLUSTER = "aws:eks/cluster:Cluster"
CLUSTER_COMPONENT = "eks:index:Cluster"
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
LBC_CLASS_CONTROLLER = "ingress.k8s.aws/alb"
"""The controller name of the IngressClass the load balancer controller's chart creates
(chart values.yaml 3.5.0 lines 144, 172: ``ingressClass: alb``, ``createIngressClassResource``)."""
LOAD_BALANCER_CONTROLLERS = ("aws-load-balancer-controller", "eks-auto-mode")
MISSING = object()


@cache
def table() -> dict[str, Any]:
    text = (
        resources.files("eks_platform").joinpath("offline", "data", "finalizers.json").read_text()
    )
    return json.loads(text)


def _keys(path: str | list[str]) -> list[str]:
    """A dotted path as keys; after ``metadata.annotations.`` the rest is one annotation key."""
    if isinstance(path, list):
        return path
    prefix = "metadata.annotations."
    if path.startswith(prefix):
        return ["metadata", "annotations", path[len(prefix) :]]
    return path.split(".")


def _get(values: Any, path: str | list[str]) -> Any:
    """The value at ``path``, or ``MISSING``."""
    for key in _keys(path):
        if not isinstance(values, dict) or values.get(key) is None:
            return MISSING
        values = values[key]
    return values


def _matches(values: dict[str, Any], match: dict[str, Any]) -> bool:
    for path, expected in match.items():
        found = _get(values, path)
        found = None if found is MISSING else found
        options = expected if isinstance(expected, list) else [expected]
        if found not in options:
            return False
    return True


def _chart_name(release: Registration) -> str:
    """``oci://public.ecr.aws/karpenter/karpenter`` -> ``karpenter``."""
    return str(release.inputs.get("chart") or "").rstrip("/").rsplit("/", 1)[-1]


def _values(release: Registration) -> dict[str, Any]:
    values = release.inputs.get("values")
    return values if isinstance(values, dict) else {}


def _from_values(values: dict[str, Any], path: str, default: Any) -> Any:
    found = _get(values, path)
    return default if found is MISSING else found


@dataclass(frozen=True)
class Bearer:
    """A registered resource whose deletion waits for a finalizer: the object itself, or the
    Helm release that renders it."""

    registration: Registration
    what: str
    """The object, e.g. ``Service of type LoadBalancer`` or ``Ingress rendered by the release``."""
    row: dict[str, Any]
    inputs: dict[str, Any]
    """The object's fields (the registration's inputs, or what its chart renders)."""
    assumed: bool = False
    """A chart the table does not know: assumed to render it."""


class Index:
    """The registrations, looked up the ways the rows need."""

    def __init__(self, registrations: list[Registration]) -> None:
        self.registrations = [r for r in registrations if r.type != "pulumi:pulumi:Stack"]
        self.by_urn = {r.urn: r for r in self.registrations}
        self.by_type: dict[str, list[Registration]] = defaultdict(list)
        for r in self.registrations:
            self.by_type[r.type].append(r)
        self.roles = self._role_names()

    @cached_property
    def graph(self) -> nx.DiGraph:
        return resource_graph(self.registrations)

    # A plan may hold several platforms (a fleet's regions): everything is judged within the
    # cluster (and its VPC) the object belongs to, i.e. depends on.
    @cached_property
    def cluster_reach(self) -> dict[str, set[str]]:
        clusters = self.by_type[CLUSTER] or self.by_type[CLUSTER_COMPONENT]
        return {c.urn: self._reach(c.urn) for c in clusters}

    @cached_property
    def vpc_reach(self) -> dict[str, set[str]]:
        return {v.urn: self._reach(v.urn) for v in self.by_type[VPC]}

    def _reach(self, urn: str) -> set[str]:
        return {urn, *nx.descendants(self.graph, urn)} if urn in self.graph else {urn}

    def clusters_of(self, urn: str) -> set[str]:
        return {c for c, reach in self.cluster_reach.items() if urn in reach}

    def same_cluster(self, urn: str, other: str) -> bool:
        """Both belong to one cluster (or the plan names none to tell them apart)."""
        mine, theirs = self.clusters_of(urn), self.clusters_of(other)
        return bool(mine & theirs) or not (mine or theirs)

    def in_network_of(self, urn: str, scope: str) -> bool:
        """``urn`` is in a VPC the cluster of ``scope`` is in (or the plan has no VPC)."""
        clusters = self.clusters_of(scope)
        vpcs = {v for v, reach in self.vpc_reach.items() if clusters & reach}
        return not vpcs or any(urn in self.vpc_reach[v] for v in vpcs)

    def _role_names(self) -> dict[str, str]:
        """Role name or ARN -> role URN: from each role's own name and outputs, and from every
        input that names a role and came from exactly one (attachments, associations)."""
        names: dict[str, str] = {}
        for role in self.by_type[ROLE]:
            for value in (
                role.inputs.get("name"),
                role.outputs.get("name"),
                role.outputs.get("arn"),
            ):
                if isinstance(value, str) and value:
                    names[value] = role.urn
        for r in self.registrations:
            for key in ("role", "roleArn", "principalArn"):
                value = r.inputs.get(key)
                sources = [u for u in r.property_dependencies.get(key, []) if u in self.by_urn]
                roles = [u for u in sources if self.by_urn[u].type == ROLE]
                if isinstance(value, str) and len(roles) == 1:
                    names.setdefault(value, roles[0])
        return names

    def role(self, reference: Any, sources: Iterable[str] = ()) -> str | None:
        """The role URN a role name or ARN (or the URNs its value came from) stands for."""
        for urn in sources:
            if urn in self.by_urn and self.by_urn[urn].type == ROLE:
                return urn
        if not isinstance(reference, str):
            return None
        return self.roles.get(reference) or self.roles.get(reference.rsplit("/", 1)[-1])

    def naming(self, urn: str, key: str, value: Any) -> list[Registration]:
        """Registrations whose input ``key`` came from ``urn`` or names it by ``value``."""
        return [
            r
            for r in self.registrations
            if urn in r.property_dependencies.get(key, [])
            or (isinstance(r.inputs.get(key), str) and self.role(r.inputs[key]) == urn)
        ]

    def ingress_class_controller(self, class_name: Any, scope: str) -> str | None:
        for ingress_class in self.by_type[INGRESS_CLASS]:
            if not self.same_cluster(ingress_class.urn, scope):
                continue
            if _get(ingress_class.inputs, "metadata.name") == class_name:
                return str(_get(ingress_class.inputs, "spec.controller"))
        for release in self.by_type[RELEASE]:
            if _chart_name(release) == "aws-load-balancer-controller" and self.same_cluster(
                release.urn, scope
            ):
                values = _values(release)
                if _from_values(values, "createIngressClassResource", True) and class_name == (
                    _from_values(values, "ingressClass", "alb")
                ):
                    return LBC_CLASS_CONTROLLER
        return None

    def storage_class(self, name: Any, scope: str) -> Registration | None:
        classes = [c for c in self.by_type[STORAGE_CLASS] if self.same_cluster(c.urn, scope)]
        if name is MISSING or name is None:
            defaults = [
                c
                for c in classes
                if _get(c.inputs, f"metadata.annotations.{DEFAULT_CLASS}") == "true"
            ]
            return defaults[0] if defaults else None
        return next((c for c in classes if _get(c.inputs, "metadata.name") == name), None)


def _facts(type_token: str, inputs: dict[str, Any], index: Index, scope: str) -> dict[str, Any]:
    """An object's fields plus what the rows match on that lives elsewhere: the controller of an
    Ingress's class, a PVC's class's reclaim policy and provisioner."""
    facts = dict(inputs)
    if type_token == INGRESS:
        name = _get(inputs, "spec.ingressClassName")
        if name is MISSING or name == "":
            name = _get(inputs, "metadata.annotations.kubernetes.io/ingress.class")
        facts["ingressClassController"] = index.ingress_class_controller(name, scope)
    elif type_token == PVC:
        storage_class = index.storage_class(_get(inputs, "spec.storageClassName"), scope)
        if storage_class is not None:
            facts["storageClassReclaimPolicy"] = storage_class.inputs.get("reclaimPolicy")
            facts["provisioner"] = storage_class.inputs.get("provisioner")
        else:
            facts["storageClassReclaimPolicy"] = "unknown"
    return facts


def _rows_for(type_token: str, facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        row
        for row in table()["objects"]
        if row["type"] == type_token and _matches(facts, row.get("match") or {})
    ]


def _rendered(release: Registration) -> list[tuple[str, dict[str, Any]]] | None:
    """(type, fields) of each finalizer-bearing kind the release's chart renders from its values;
    None when the table does not know the chart."""
    chart = table()["charts"].get(_chart_name(release))
    if chart is None:
        return None
    values = _values(release)
    rendered = []
    for render in chart["renders"]:
        when = render.get("when")
        if when is not None and not _from_values(values, when[0], when[1]):
            continue
        fields: dict[str, Any] = {}
        for path, (values_path, default) in render["fields"].items():
            *parents, key = path.split(".")
            target = fields
            for parent in parents:
                target = target.setdefault(parent, {})
            target[key] = _from_values(values, values_path, default)
        rendered.append((render["type"], fields))
    return rendered


def bearers(index: Index) -> list[Bearer]:
    """Every registered object whose deletion waits for a controller, and every Helm release
    that renders one."""
    found: list[Bearer] = []
    types = {row["type"] for row in table()["objects"]}
    for r in index.registrations:
        if r.type in types:
            for row in _rows_for(r.type, _facts(r.type, r.inputs, index, r.urn)):
                found.append(Bearer(r, r.type.rsplit(":", 1)[-1], row, r.inputs))
        elif r.type == RELEASE:
            found += _release_bearers(r, index)
    return found


def _release_bearers(release: Registration, index: Index) -> list[Bearer]:
    rendered = _rendered(release)
    if rendered is None:  # not renderable offline: every load balancer it could ask for
        return [
            Bearer(release, f"{kind} a chart the table does not know may render", row, {}, True)
            for row in table()["objects"]
            if row.get("controller") in LOAD_BALANCER_CONTROLLERS
            and row["type"] in (SERVICE, INGRESS)
            and _controllers(row, index, release.urn)
            for kind in [row["type"].rsplit(":", 1)[-1]]
        ]
    found = []
    for type_token, fields in rendered:
        for row in _rows_for(type_token, _facts(type_token, fields, index, release.urn)):
            kind = type_token.rsplit(":", 1)[-1]
            found.append(Bearer(release, f"{kind} rendered by the release", row, fields))
    return found


def _controller_name(row: dict[str, Any], facts: dict[str, Any]) -> str | None:
    if "controller" in row:
        return row["controller"]
    return row.get("controller_by_provisioner", {}).get(facts.get("provisioner"))


def _controllers(
    row: dict[str, Any], index: Index, scope: str, facts: dict[str, Any] | None = None
) -> list[Registration]:
    """The registrations of the row's controller in the cluster of ``scope``."""
    name = _controller_name(row, facts or {})
    if name is None:
        return []
    recognise = dict(table()["controllers"][name]["recognise"])
    type_token = recognise.pop("type")
    return [
        r
        for r in index.by_type[type_token]
        if _matches({**r.inputs, "chartName": _chart_name(r)}, recognise)
        and index.same_cluster(r.urn, scope)
    ]


def _identity(controller: Registration, name: str, index: Index) -> list[tuple[str, str]]:
    """(URN, what) of the controller's identity: its role, the role's policies, the Pod
    Identity association."""
    kind = table()["controllers"][name]["identity"]
    found: list[tuple[str, str]] = []
    roles: list[str] = []
    if kind == "pod_identity":
        agent = table()["pod_identity_addon"]["addonName"]
        found += [
            (a.urn, "the Pod Identity agent")
            for a in index.by_type[ADDON]
            if a.inputs.get("addonName") == agent and index.same_cluster(a.urn, controller.urn)
        ]
        path, default = table()["controllers"][name]["service_account"]
        account = _from_values(_values(controller), path, default)
        namespace = controller.inputs.get("namespace")
        for association in index.by_type[POD_IDENTITY]:
            if (
                association.inputs.get("serviceAccount") == account
                and association.inputs.get("namespace") == namespace
                and index.same_cluster(association.urn, controller.urn)
            ):
                found.append((association.urn, "its Pod Identity association"))
                role = index.role(
                    association.inputs.get("roleArn"),
                    association.property_dependencies.get("roleArn", []),
                )
                roles += [role] if role else []
    elif kind == "addon_pod_identity":
        sources = controller.property_dependencies.get("podIdentityAssociations", [])
        for association in controller.inputs.get("podIdentityAssociations") or []:
            role = index.role(association.get("roleArn"), sources)
            roles += [role] if role else []
    elif kind == "cluster_role":
        role = index.role(
            controller.inputs.get("roleArn"), controller.property_dependencies.get("roleArn", [])
        )
        roles += [role] if role else []
    for role in roles:
        found.append((role, "its role"))
        found += [(p.urn, "its role's policy") for p in _policies(role, index)]
    return found


def _policies(role: str, index: Index) -> list[Registration]:
    return [p for p in index.naming(role, "role", None) if p.type in ROLE_POLICIES]


def _network_path(index: Index, scope: str) -> list[tuple[str, str]]:
    """The way out of the VPC of ``scope``'s cluster, and the cluster's pod networking."""
    path = table()["network_path"]
    routes = path["default_routes"]
    found = [
        (r.urn, "its network path")
        for type_token in path["types"]
        for r in index.by_type[type_token]
        if index.in_network_of(r.urn, scope)
    ]
    found += [
        (r.urn, "its network path")
        for r in index.by_type[routes["type"]]
        if r.inputs.get("destinationCidrBlock") == routes["destinationCidrBlock"]
        and index.in_network_of(r.urn, scope)
    ]
    found += [
        (a.urn, "its pods' network (add-on)")
        for a in index.by_type[ADDON]
        if a.inputs.get("addonName") in path["addons"] and index.same_cluster(a.urn, scope)
    ]
    return found


def _node_needs(bearer: Bearer, index: Index) -> list[tuple[str, str]]:
    """A NodePool's node class; an EC2NodeClass's node role policies and access entry."""
    row, found = bearer.row, []
    if "node_class" in row:
        wanted = _get(bearer.inputs, row["node_class"]["name"])
        found += [
            (c.urn, "the node class it names")
            for c in index.by_type[row["node_class"]["type"]]
            if _get(c.inputs, "metadata.name") == wanted
            and index.same_cluster(c.urn, bearer.registration.urn)
        ]
    if "node_role" in row:
        sources = bearer.registration.property_dependencies.get("spec", [])
        role = index.role(_get(bearer.inputs, row["node_role"]), sources)
        if role:
            found += [(p.urn, "its node role's policy") for p in _policies(role, index)]
            found += [
                (e.urn, "its nodes' access entry")
                for e in index.naming(role, "principalArn", None)
                if e.type == ACCESS_ENTRY
            ]
    return found


def needs(
    bearer: Bearer, index: Index
) -> tuple[str | None, list[Registration], list[tuple[str, str]]]:
    """The controller's name, its registrations, and (URN, what) of everything the object's
    deletion needs alive."""
    facts = _facts(bearer.registration.type, bearer.inputs, index, bearer.registration.urn)
    name = _controller_name(bearer.row, facts)
    controllers = _controllers(bearer.row, index, bearer.registration.urn, facts)
    needed: list[tuple[str, str]] = [(c.urn, "its controller") for c in controllers]
    for controller in controllers:
        needed += _identity(controller, str(name), index)
    if name and controllers and table()["controllers"][name]["network"] == "vpc":
        needed += _network_path(index, bearer.registration.urn)
    needed += _node_needs(bearer, index)
    unique = dict.fromkeys(u for u in needed if u[0] != bearer.registration.urn)
    return name, controllers, list(unique)


def _describe(bearer: Bearer, controller: str | None) -> str:
    return (
        f"{bearer.what} {bearer.registration.name} carries {bearer.row['finalizer']}, "
        f"removed by {controller or 'no known controller'}"
    )


def _late(bearer: Bearer, needed: list[tuple[str, str]], index: Index) -> list[tuple[str, str]]:
    """What the object needs alive but does not depend on (so a destroy may delete it first)."""
    if bearer.registration.urn not in index.graph:
        return []
    before = nx.ancestors(index.graph, bearer.registration.urn)
    return [(urn, what) for urn, what in needed if urn in index.by_urn and urn not in before]


def _names(pairs: list[tuple[str, str]], index: Index) -> str:
    grouped: dict[str, list[str]] = defaultdict(list)
    for urn, what in pairs:
        grouped[what].append(index.by_urn[urn].name)
    return "; ".join(
        f"{what}: {', '.join(sorted(names))}" for what, names in sorted(grouped.items())
    )


def _judged(
    index: Index, found: list[Bearer]
) -> Iterator[tuple[Bearer, str | None, list[Registration], list[tuple[str, str]]]]:
    """Each object (or release) once per controller, with what its deletion needs."""
    seen: set[tuple[str, str | None]] = set()
    for bearer in found:
        name, controllers, needed = needs(bearer, index)
        if (bearer.registration.urn, name) not in seen:
            seen.add((bearer.registration.urn, name))
            yield bearer, name, controllers, needed


def _finding(check_name: str, text: str, bearer: Bearer, late: list[tuple[str, str]], index: Index):
    return Finding(
        check_name,
        text,
        sorted({bearer.registration.name, *(index.by_urn[u].name for u, _ in late)}),
    )


LATE = {
    CHECK: "{object}; a destroy may delete before it {late} (none is among its dependencies), "
    "and the deletion hangs on the finalizer (fix: make it depend on them, e.g. depends_on the "
    "controller's release and what that release depends on)",
    TRANSITION: "{object}; this change deletes it together with {late}, which do not wait for "
    "it in the base's dependency order, so the update may delete them first and the object's "
    "deletion hangs (fix: delete the object in an update of its own first, then the rest)",
}


def _late_finding(
    check_name: str, bearer: Bearer, name: str | None, late: list[tuple[str, str]], index: Index
) -> Finding:
    text = LATE[check_name].format(object=_describe(bearer, name), late=_names(late, index))
    return _finding(check_name, text, bearer, late, index)


def check(registrations: list[Registration]) -> list[Finding]:
    """Findings over one expanded plan (preflight, exit 3)."""
    index = Index(registrations)
    findings: list[Finding] = []
    for bearer, name, controllers, needed in _judged(index, bearers(index)):
        if not controllers and not bearer.assumed:
            text = (
                f"{_describe(bearer, name)}, which this plan does not have: its deletion would "
                "wait forever (fix: install the controller, or change the object to one a "
                "controller in the plan handles)"
            )
            findings.append(_finding(CHECK, text, bearer, [], index))
            continue
        late = _late(bearer, needed, index)
        if late:
            findings.append(_late_finding(CHECK, bearer, name, late, index))
    return findings


def transition(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Findings of a change from plan JSON ``base`` to ``current`` (``changes``: the forecast,
    each as ``Change.to_json``), reported by the change forecast (exit 4).

    An update deletes what it removes at its end, in reverse dependency order of the base's
    state. A requirement the change only replaces is created anew before the old one goes
    (create-before-delete), so only deleted requirements count; an object deleted or replaced
    counts (its old self is deleted either way)."""
    del current
    deleted = {c["urn"] for c in changes if c.get("action") == "delete"}
    gone = deleted | {c["urn"] for c in changes if c.get("action") == "replace"}
    if not deleted:
        return []
    index = Index(registrations_from_plan(base))
    leaving = [b for b in bearers(index) if b.registration.urn in gone]
    findings: list[Finding] = []
    for bearer, name, _, needed in _judged(index, leaving):
        late = _late(bearer, [(u, w) for u, w in needed if u in deleted], index)
        if late:
            findings.append(_late_finding(TRANSITION, bearer, name, late, index))
    return findings
