"""Controllers' permissions: the calls this configuration makes each controller or node identity
do, evaluated against that identity's policies.

Identities, found in the plan (never in the code that builds it): the cluster role (from the
pulumi-eks Cluster's ``serviceRole``; in Auto Mode it also runs compute, storage, networking and
load balancing), Auto Mode's node role (the role pulumi-eks makes under ``<cluster>-nodeRole``),
every role a Pod Identity association or an add-on's ``podIdentityAssociations`` gives a service
account (the table's ``service_accounts`` say which controller that is), managed node groups'
``nodeRoleArn``, EC2NodeClasses' ``spec.role`` (Karpenter's nodes) and the NAT instance's
instance profile. A controller that runs (its chart or add-on is in the plan) without any role is
a finding too.

Policies per role: inline (``RolePolicy``), customer managed (``Policy`` + attachment) and AWS
managed (attachment of ``arn:<partition>:iam::aws:policy/...``, documents in
``data/managed_policies.json`` with their version and date). Calls: ``data/controller_calls.json``,
one row per call with its source; each row is filled in from the plan (region, account,
cluster, key, queue, the tags each object carries) and evaluated by ``checks.iam``.

The finding names the identity, the call with its request context, the policies it was
evaluated against and, when a stored managed policy, a policy of the plan or a remedy of the
table allows the call, that statement.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ..model.recorder import Registration
from .finding import Finding
from .iam import Policy, Request, evaluate

CHECK = "controller-permission"
CALLS_FILE = "controller_calls.json"
MANAGED_FILE = "managed_policies.json"

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
INSTANCE = "aws:ec2/instance:Instance"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SERVICE_ROLE = "eks:index:ServiceRole"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
QUEUE = "aws:sqs/queue:Queue"
KEY = "aws:kms/key:Key"

MANAGED_ARN = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:.*/)?([^/]+)$")
SERVICE_TAGS = "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"
INGRESS_TAGS = "alb.ingress.kubernetes.io/tags"
SERVICE_CERTIFICATE = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
INGRESS_CERTIFICATE = "alb.ingress.kubernetes.io/certificate-arn"
NAT_ROLE_TAG = ("eks-platform/role", "nat-instance")
"""parts/nat_instance.py tags its instance so; any other instance with a profile is not ours."""


@cache
def calls_table() -> dict[str, Any]:
    """``data/controller_calls.json``: calls, tag sets, principals, service accounts."""
    text = resources.files("eks_platform").joinpath("offline", "data", CALLS_FILE).read_text()
    return json.loads(text)


@cache
def managed_policies() -> dict[str, dict[str, Any]]:
    """AWS managed policy documents by name (``data/managed_policies.json``)."""
    text = resources.files("eks_platform").joinpath("offline", "data", MANAGED_FILE).read_text()
    return json.loads(text)["policies"]


# --- the plan, from registrations or from plan JSON -------------------------------------------


@dataclass(frozen=True)
class Resource:
    """What this check reads of a resource: the same from a registration and from plan JSON."""

    urn: str
    type: str
    name: str
    parent: str
    inputs: Mapping[str, Any]
    property_dependencies: Mapping[str, list[str]]

    @staticmethod
    def of(registration: Registration) -> Resource:
        return Resource(
            registration.urn,
            registration.type,
            registration.name,
            registration.parent,
            registration.inputs,
            registration.property_dependencies,
        )

    @staticmethod
    def from_json(resource: Mapping[str, Any]) -> Resource:
        urn = str(resource.get("urn", ""))
        return Resource(
            urn,
            str(resource.get("type") or ""),
            str(resource.get("name") or urn.rsplit("::", 1)[-1]),
            resource.get("parent") or "",
            resource.get("inputs") or {},
            resource.get("property_dependencies") or {},
        )

    def refs(self, key: str) -> list[str]:
        return list(self.property_dependencies.get(key) or [])


@dataclass
class Plan:
    """An index of one plan's resources."""

    resources: list[Resource]
    by_urn: dict[str, Resource] = field(init=False)
    by_type: dict[str, list[Resource]] = field(init=False)
    region: str = ""
    account: str = ""
    partition: str = "aws"

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_type = defaultdict(list)
        for resource in self.resources:
            self.by_type[resource.type].append(resource)
        self._where()

    def _where(self) -> None:
        """Partition, region and account from any ARN the plan holds (the mocks' account)."""
        for resource in self.resources:
            for value in _strings(resource.inputs):
                match = re.match(r"arn:([^:]+):(?:eks|kms|sqs|ec2):([a-z0-9-]+):(\d{12}):", value)
                if match:
                    self.partition, self.region, self.account = match.groups()
                    return

    def cluster(self) -> Resource | None:
        return next(iter(self.by_type.get(EKS_CLUSTER, [])), None)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- roles and their policies ------------------------------------------------------------------


@dataclass(frozen=True)
class Attached:
    policy: Policy
    resource: str
    """Logical name of the resource that gives the role this policy."""
    managed: str = ""
    """The AWS managed policy's name, if it is one."""


def role_policies(plan: Plan, role: Resource) -> tuple[list[Attached], list[str]]:
    """The role's policies, and the AWS managed policies attached whose documents the table
    lacks (their names)."""
    placeholder = f"<{role.name}>"  # pulumi-eks's modelled attachments name the role so

    def of_role(resource: Resource) -> bool:
        return role.urn in resource.refs("role") or resource.inputs.get("role") == placeholder

    found: list[Attached] = []
    unknown: list[str] = []
    for inline in plan.by_type.get(ROLE_POLICY, []):
        if of_role(inline) and isinstance(inline.inputs.get("policy"), str):
            found.append(Attached(Policy.parse(inline.name, inline.inputs["policy"]), inline.name))
    for attachment in plan.by_type.get(ATTACHMENT, []):
        if not of_role(attachment):
            continue
        customer = [plan.by_urn[u] for u in attachment.refs("policyArn") if u in plan.by_urn]
        for policy in customer:
            document = policy.inputs.get("policy")
            if isinstance(document, str):
                found.append(Attached(Policy.parse(policy.name, document), attachment.name))
        match = MANAGED_ARN.match(str(attachment.inputs.get("policyArn") or ""))
        if not customer and match:
            stored = managed_policies().get(match.group(1))
            if stored is None:
                unknown.append(match.group(1))
            else:
                label = f"{match.group(1)} {stored['version']}"
                found.append(
                    Attached(Policy(label, stored["document"]), attachment.name, match.group(1))
                )
    return found, unknown


# --- identities --------------------------------------------------------------------------------


@dataclass
class Identity:
    kind: str
    """The table's identity (``load-balancer-controller``, ...)."""
    role: Resource | None
    principal: str = ""
    """The table's principal context (``pod-identity``, ...), if any."""
    runs: str = ""
    """Logical name of what runs as it (release, add-on, node group, ...)."""


def identities(plan: Plan) -> list[Identity]:
    """Every controller or node identity in the plan."""
    return [*_cluster_identities(plan), *_pod_identities(plan), *_node_identities(plan)]


def _cluster_identities(plan: Plan) -> list[Identity]:
    """The cluster role; in Auto Mode also as Auto Mode, and Auto Mode's node role."""
    component = next(iter(plan.by_type.get(EKS_COMPONENT, [])), None)
    if component is None:
        return []
    role = _role(plan, component.refs("serviceRole"))
    found = [Identity("cluster-role", role, runs=component.name)]
    if (component.inputs.get("autoMode") or {}).get("enabled"):
        # pulumi-eks makes the node role under a ServiceRole component "<cluster>-nodeRole"
        # (nodejs/eks/cluster/cluster.ts:626-647) and passes it to computeConfig.
        node_role = next(
            (
                r
                for r in plan.by_type.get(ROLE, [])
                if r.parent in plan.by_urn
                and plan.by_urn[r.parent].type == SERVICE_ROLE
                and r.parent.endswith("-nodeRole")
            ),
            None,
        )
        found += [
            Identity("auto-mode-cluster-role", role, "auto-mode-cluster-role", component.name),
            Identity("auto-mode-node-role", node_role, runs=component.name),
        ]
    return found


def _pod_identities(plan: Plan) -> list[Identity]:
    """Roles given to service accounts (associations and add-ons' own), by the table's
    ``service_accounts``; a controller that runs without one is an identity without a role."""
    accounts: dict[str, list[Resource]] = defaultdict(list)
    for association in plan.by_type.get(POD_IDENTITY, []):
        role = _role(plan, association.refs("roleArn"))
        if role is not None:
            accounts[str(association.inputs.get("serviceAccount"))].append(role)
    for addon in plan.by_type.get(ADDON, []):
        for entry in addon.inputs.get("podIdentityAssociations") or []:
            role = _role(plan, addon.refs("podIdentityAssociations"), entry.get("roleArn"))
            if role is not None:
                accounts[str(entry.get("serviceAccount"))].append(role)
    found: list[Identity] = []
    for kind, how in calls_table()["service_accounts"].items():
        if kind == "about":
            continue
        runs = _running(plan, how)
        roles = accounts.get(how["service_account"], [])
        if runs and not roles:
            found.append(Identity(kind, None, "pod-identity", runs))
        found += [Identity(kind, role, "pod-identity", runs or role.name) for role in roles]
    return found


def _node_identities(plan: Plan) -> list[Identity]:
    """Managed node groups' and Karpenter's node roles, and the NAT instance's."""
    found: list[Identity] = []
    seen: set[tuple[str, str]] = set()
    for kind, type_token, key in [
        ("node-group-node-role", NODE_GROUP, "nodeRoleArn"),
        ("karpenter-node-role", NODE_CLASS, "spec"),
    ]:
        for resource in plan.by_type.get(type_token, []):
            role = _role(plan, resource.refs(key))
            if role is not None and (kind, role.urn) not in seen:
                seen.add((kind, role.urn))
                found.append(Identity(kind, role, runs=resource.name))
    key, value = NAT_ROLE_TAG
    for instance in plan.by_type.get(INSTANCE, []):
        if (instance.inputs.get("tags") or {}).get(key) != value:
            continue
        # The instance's profile: the one whose role sits in the same component as the instance
        # (mocks leave iamInstanceProfile, an output of the profile, unknown).
        for profile in plan.by_type.get(PROFILE, []):
            role = _role(plan, profile.refs("role"))
            if role is not None and role.parent == instance.parent:
                found.append(Identity("nat-instance", role, runs=instance.name))
    return found


def _role(plan: Plan, urns: Iterable[str], arn: Any = None) -> Resource | None:
    """The one role among ``urns`` (property dependencies), preferring the one ``arn`` names."""
    roles = [plan.by_urn[u] for u in urns if u in plan.by_urn and plan.by_urn[u].type == ROLE]
    if len(roles) > 1 and isinstance(arn, str):
        named = [r for r in roles if arn.rsplit("/", 1)[-1].startswith(r.name)]
        roles = named or roles
    return roles[0] if roles else None


def _running(plan: Plan, how: Mapping[str, Any]) -> str:
    """Logical name of the release or add-on that runs the controller, or ''."""
    for release in plan.by_type.get(RELEASE, []):
        if str(release.inputs.get("chart", "")).rsplit("/", 1)[-1] in how.get("charts", []):
            return release.name
    for addon in plan.by_type.get(ADDON, []):
        if addon.inputs.get("addonName") in how.get("addons", []):
            return addon.name
    return ""


# --- calls ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One object a controller acts for: a load balancer, a StorageClass, an EC2NodeClass, or
    the cluster; with its variables and the platform tags it carries."""

    per: str
    name: str
    own: str
    """The table's tag set for what the controller adds (``<identity>/<own>``)."""
    variables: dict[str, str]
    platform_tags: dict[str, str]


def subjects(plan: Plan, identity: Identity, base: dict[str, str]) -> list[Subject]:
    """What the identity acts for in this plan."""
    found = [Subject("cluster", identity.runs, "", base, {})]
    kind = identity.kind
    if kind in ("load-balancer-controller", "auto-mode-cluster-role"):
        for subject in load_balancers(plan, base):
            if subject.own.split("/")[0] == kind:
                found.append(subject)
                if subject.variables["lb_kind"] == "app":
                    found.append(Subject("alb", *_fields(subject)))
    if kind in ("ebs-csi-driver", "auto-mode-cluster-role"):
        found += storage_classes(plan, kind, base)
    if kind == "karpenter-controller":
        found += node_classes(plan, kind, base)
    return found


def storage_classes(plan: Plan, kind: str, base: dict[str, str]) -> list[Subject]:
    """StorageClasses of the EBS CSI driver's provisioner, or Auto Mode's: the key their volumes
    are encrypted with, and their tags (``tagSpecification_<n>``, aws-ebs-csi-driver
    docs/tagging.md)."""
    wanted = "ebs.csi.aws.com" if kind == "ebs-csi-driver" else "ebs.csi.eks.amazonaws.com"
    found = []
    for storage_class in plan.by_type.get(STORAGE_CLASS, []):
        if storage_class.inputs.get("provisioner") != wanted:
            continue
        parameters = storage_class.inputs.get("parameters") or {}
        variables = dict(base)
        if parameters.get("kmsKeyId"):
            variables["kms_key"] = _key_arn(plan, str(parameters["kmsKeyId"]))
        if storage_class.inputs.get("allowVolumeExpansion"):
            variables["expansion"] = "true"
        if storage_class.inputs.get("reclaimPolicy", "Delete") == "Delete":
            variables["reclaim_delete"] = "true"
        tags = dict(
            str(v).split("=", 1)
            for k, v in sorted(parameters.items())
            if k.startswith("tagSpecification_") and "=" in str(v)
        )
        found.append(Subject("volume", storage_class.name, f"{kind}/volume", variables, tags))
    return found


def node_classes(plan: Plan, kind: str, base: dict[str, str]) -> list[Subject]:
    """Karpenter's EC2NodeClasses: their name, node role and ``spec.tags``."""
    found = []
    for node_class in plan.by_type.get(NODE_CLASS, []):
        spec = node_class.inputs.get("spec") or {}
        variables = {
            **base,
            "node_class": str((node_class.inputs.get("metadata") or {}).get("name", "")),
        }
        if spec.get("role"):  # the role's physical name
            variables["node_role_arn"] = (
                f"arn:{plan.partition}:iam::{plan.account}:role/{spec['role']}"
            )
        tags = {str(k): str(v) for k, v in (spec.get("tags") or {}).items()}
        own = f"{kind}/node-class"
        found.append(Subject("node-class", node_class.name, own, variables, tags))
    return found


def _fields(subject: Subject) -> tuple[str, str, dict[str, str], dict[str, str]]:
    return subject.name, subject.own, subject.variables, subject.platform_tags


def load_balancers(plan: Plan, base: dict[str, str]) -> list[Subject]:
    """Services and Ingresses the load balancer controller or Auto Mode turns into load balancers
    (by loadBalancerClass, and by IngressClass controller; ``alb`` is the controller chart's own
    class, values.yaml ``ingressClass: alb``, not in the plan)."""
    classes = {
        str((c.inputs.get("metadata") or {}).get("name")): (c.inputs.get("spec") or {}).get(
            "controller"
        )
        for c in plan.by_type.get(INGRESS_CLASS, [])
    }
    classes.setdefault("alb", "ingress.k8s.aws/alb")
    owners = {
        "service.k8s.aws/nlb": "load-balancer-controller",
        "eks.amazonaws.com/nlb": "auto-mode-cluster-role",
        "ingress.k8s.aws/alb": "load-balancer-controller",
        "eks.amazonaws.com/alb": "auto-mode-cluster-role",
    }
    found = []
    for resource in [*plan.by_type.get(SERVICE, []), *plan.by_type.get(INGRESS, [])]:
        spec = resource.inputs.get("spec") or {}
        metadata = resource.inputs.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        if resource.type == SERVICE:
            owner = owners.get(str(spec.get("loadBalancerClass")))
            kind, tags, certificate = "service", annotations.get(SERVICE_TAGS), SERVICE_CERTIFICATE
        else:
            owner = owners.get(str(classes.get(str(spec.get("ingressClassName")))))
            kind, tags, certificate = "ingress", annotations.get(INGRESS_TAGS), INGRESS_CERTIFICATE
        if owner is None or (resource.type == SERVICE and spec.get("type") != "LoadBalancer"):
            continue
        variables = {
            **base,
            "lb_kind": "net" if kind == "service" else "app",
            "stack": f"{metadata.get('namespace', 'default')}/{metadata.get('name', '')}",
        }
        if isinstance(annotations.get(certificate), str) and annotations[certificate]:
            variables["certificate"] = annotations[certificate].split(",")[0]
        found.append(
            Subject("load-balancer", resource.name, f"{owner}/{kind}", variables, _pairs(tags))
        )
    return found


def _pairs(text: Any) -> dict[str, str]:
    """``k=v,k2=v2`` (the controller's tag annotations) as a dict."""
    if not isinstance(text, str) or not text:
        return {}
    return dict(pair.split("=", 1) for pair in text.split(",") if "=" in pair)


def _key_arn(plan: Plan, key: str) -> str:
    if key.startswith("arn:"):
        return key
    return f"arn:{plan.partition}:kms:{plan.region}:{plan.account}:key/{key}"


def base_variables(plan: Plan) -> dict[str, str]:
    """What every call may name: partition, region, account, cluster, VPC, keys, queue."""
    variables = {"partition": plan.partition, "region": plan.region, "account": plan.account}
    cluster = plan.cluster()
    if cluster is not None:
        variables["cluster"] = str(cluster.inputs.get("name") or "")
        key = ((cluster.inputs.get("encryptionConfig") or {}).get("provider") or {}).get("keyArn")
        if key:
            variables["secrets_key"] = str(key)
        vpc = (cluster.inputs.get("vpcConfig") or {}).get("vpcId")
    else:
        vpc = None
    component = next(iter(plan.by_type.get(EKS_COMPONENT, [])), None)
    if component is not None:
        vpc = vpc or component.inputs.get("vpcId")
        variables.setdefault("cluster", str(component.inputs.get("name") or ""))
    variables["vpc"] = str(vpc or "vpc-0123456789abcdef0")
    for identity in _cluster_identities(plan):
        if identity.kind == "auto-mode-node-role" and identity.role is not None:
            name = identity.role.inputs.get("name") or identity.role.name
            variables["auto_node_role_arn"] = (
                f"arn:{plan.partition}:iam::{plan.account}:role/{name}"
            )
    if plan.by_type.get(ADDON) and any(
        a.inputs.get("addonName") == "eks-pod-identity-agent" for a in plan.by_type[ADDON]
    ):
        variables["pod_identity"] = "true"
    for release in plan.by_type.get(RELEASE, []):
        queue = ((release.inputs.get("values") or {}).get("settings") or {}).get(
            "interruptionQueue"
        )
        if queue:
            variables["queue_arn"] = (
                f"arn:{plan.partition}:sqs:{plan.region}:{plan.account}:{queue}"
            )
    return variables


_TEMPLATE = re.compile(r"\$\{([a-z_]+)\}")


def _fill(text: str, variables: Mapping[str, str]) -> str:
    return _TEMPLATE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def _tag_set(name: str, subject: Subject, identity: str) -> dict[str, str]:
    if name == "platform":
        return subject.platform_tags
    table = calls_table()["tag_sets"]
    key = subject.own if name == "own" else f"{identity}/{name.removeprefix('own-')}"
    tags = table[key]["tags"]
    return {_fill(k, subject.variables): _fill(v, subject.variables) for k, v in tags.items()}


def requests(identity: Identity, subject: Subject) -> Iterator[tuple[dict[str, Any], Request]]:
    """The table's calls of ``identity`` for ``subject``, as IAM requests."""
    table = calls_table()
    principal = table["principals"].get(identity.principal, {}).get("context", {})
    variables = subject.variables
    for row in table["calls"]:
        if row["identity"] != identity.kind or row["per"] != subject.per:
            continue
        if any(variables.get(need) in (None, "") for need in row.get("needs", [])):
            continue
        context: dict[str, Any] = {k: _fill(v, variables) for k, v in principal.items()}
        for k, v in (row.get("context") or {}).items():
            context[k] = _fill(v, variables) if isinstance(v, str) else v
        sent: dict[str, str] = {}
        for name in row.get("request_tags", []):
            sent.update(_tag_set(name, subject, identity.kind))
        if sent or row.get("request_tags"):
            context["aws:TagKeys"] = list(sent)
            context.update({f"aws:RequestTag/{k}": v for k, v in sent.items()})
        service = row["action"].split(":", 1)[0]
        for name in row.get("resource_tags", []):
            for k, v in _tag_set(name, subject, identity.kind).items():
                context[f"aws:ResourceTag/{k}"] = v
                context[f"{service}:ResourceTag/{k}"] = v  # EC2 and others document both
        resource = _fill(row["resource"], variables)
        if "${" in resource:
            continue  # a variable the plan does not give
        yield row, Request(row["action"], resource, context)


# --- the check -----------------------------------------------------------------------------------


def findings(plan: Plan) -> list[Finding]:
    """Every call of every identity in ``plan`` that its policies do not allow, cluster by
    cluster (a fleet's stack holds several)."""
    return [finding for part in clusters(plan) for finding in _cluster_findings(part)]


def clusters(plan: Plan) -> list[Plan]:
    """The plan split by cluster: each cluster's resources are those under the highest ancestor
    of its pulumi-eks Cluster that holds no other cluster (its platform component)."""
    components = plan.by_type.get(EKS_COMPONENT, [])
    if len(components) < 2:
        return [plan]
    chains: dict[str, list[str]] = {}

    def chain(urn: str) -> list[str]:
        """``urn``'s ancestors, nearest first."""
        if urn not in chains:
            parent = plan.by_urn[urn].parent if urn in plan.by_urn else ""
            chains[urn] = [parent, *chain(parent)] if parent else []
        return chains[urn]

    parts = []
    for component in components:
        others = {a for c in components if c is not component for a in [c.urn, *chain(c.urn)]}
        root = component.urn
        for ancestor in chain(component.urn):
            if ancestor in others:
                break
            root = ancestor
        members = [r for r in plan.resources if r.urn == root or root in chain(r.urn)]
        parts.append(Plan(members))
    return parts


def _cluster_findings(plan: Plan) -> list[Finding]:
    base = base_variables(plan)
    found: list[Finding] = []
    for identity in identities(plan):
        if identity.role is None:
            found.append(
                Finding(
                    CHECK,
                    f"{identity.kind} runs ({identity.runs}) but no IAM role is given to its "
                    "service account (no Pod Identity association): every AWS call it makes is "
                    "refused",
                    [identity.runs],
                )
            )
            continue
        policies, unknown = role_policies(plan, identity.role)
        skipped = _without_managed(identity)
        attached = [a.policy for a in policies if a.managed not in skipped]
        for subject in subjects(plan, identity, base):
            for row, request in requests(identity, subject):
                try:
                    decision = evaluate(attached, request)
                except ValueError as error:  # an operator or a value the evaluator cannot judge
                    found.append(
                        Finding(
                            CHECK,
                            f"{identity.kind}: {row['action']} could not be evaluated "
                            f"({type(error).__name__}: {error}); check the role's policies "
                            "by hand or with the IAM policy simulator",
                            [identity.role.name],
                        )
                    )
                    continue
                if not decision.allowed:
                    denial = Denial(identity, subject, row, request, decision.denied_by, unknown)
                    found.append(denial.finding(plan))
    return found


def _without_managed(identity: Identity) -> set[str]:
    """AWS managed policies the identity's calls are evaluated without (the table's
    ``principals``: Auto Mode's calls, without AmazonEKSClusterPolicy)."""
    principal = calls_table()["principals"].get(identity.principal, {})
    return set(principal.get("without_managed", []))


@dataclass(frozen=True)
class Denial:
    """One call an identity may not make."""

    identity: Identity
    subject: Subject
    row: Mapping[str, Any]
    request: Request
    denied_by: list[str]
    unknown: list[str]
    """Attached AWS managed policies the table has no document of."""

    def finding(self, plan: Plan) -> Finding:
        identity, row = self.identity, self.row
        why = (
            f"explicitly denied by {', '.join(self.denied_by)}"
            if self.denied_by
            else "no statement allows it"
        )
        remedy = would_allow(plan, self.request, _without_managed(identity))
        unknown = ", ".join(self.unknown)
        role = identity.role.name if identity.role else ""
        message = (
            f"{identity.kind} (role {role}) may not make a call this configuration needs: "
            f"{self.request.describe()}; {why}"
            + (f"; allowed by {', '.join(remedy)}" if remedy else "")
            + (f"; attached AWS managed policies not in the table: {unknown}" if unknown else "")
            + f" (call: {row['source'].split(';')[0]})"
        )
        platform = bool(self.subject.platform_tags) and "platform" in (
            *row.get("request_tags", []),
            *row.get("resource_tags", []),
        )
        names = [name for name in (role, self.subject.name) if name]
        return Finding(CHECK, message, names, ["tags"] if platform else [])


def would_allow(plan: Plan, request: Request, without: Collection[str] = ()) -> list[str]:
    """Statements that allow ``request``: of the stored managed policies (but ``without``), the
    plan's own policy documents and the table's remedies."""
    candidates = [
        Policy(f"{name} {stored['version']}", stored["document"])
        for name, stored in managed_policies().items()
        if name not in without
    ]
    for resource in [*plan.by_type.get(ROLE_POLICY, []), *plan.by_type.get(POLICY, [])]:
        if isinstance(resource.inputs.get("policy"), str):
            candidates.append(Policy.parse(resource.name, resource.inputs["policy"]))
    for remedy in calls_table().get("remedies", []):
        document = json.loads(_fill(json.dumps(remedy["document"]), {"partition": plan.partition}))
        candidates.append(Policy(remedy["label"], document))
    allowed: list[str] = []
    for candidate in candidates:
        try:
            decision = evaluate([candidate], request)
        except ValueError:  # a candidate the evaluator cannot judge is not offered as a remedy
            continue
        if decision.allowed:
            allowed += decision.allowed_by
    return allowed


def check(registrations: list[Registration]) -> list[Finding]:
    """Findings over one expanded plan (preflight, exit 3)."""
    return findings(Plan([Resource.of(r) for r in registrations]))


def transition(
    base: dict[str, Any], current: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Finding]:
    """Findings of a change from plan JSON ``base`` to ``current`` (``changes``: the forecast,
    each as ``Change.to_json``), reported by the change forecast (exit 4): every call the
    current plan's identities may not make and the base's could (e.g. a change of ``tags`` that
    adds request tags no policy allows, or a policy or attachment the change deletes).

    Nothing narrower is reported, judged from how Pulumi applies a change: a replaced inline
    policy or role is created before the old one is deleted, and every one the platform makes
    is auto-named, so the new one never shares the old one's key and the old one's delete
    cannot take the new one's permission with it; deletes run last, so what the change removes
    is gone only afterwards, which ``current`` shows. A replaced managed-policy attachment is
    the exception: pulumi-aws deletes it first (DeleteBeforeReplace on
    aws_iam_role_policy_attachment; uniqueness.json ``provider_deletes_first``), so the role
    lacks that policy for the seconds between delete and create; the controllers retry failed
    calls, so that window is not reported. ``changes`` is not needed for that."""
    del changes
    before = {f.message for f in findings(_json_plan(base))}
    return [
        Finding(f.check, f"after this change: {f.message}", f.resources, f.keys)
        for f in findings(_json_plan(current))
        if f.message not in before
    ]


def _json_plan(document: Mapping[str, Any]) -> Plan:
    return Plan([Resource.from_json(r) for r in document.get("resources", [])])
