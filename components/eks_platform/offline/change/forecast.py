"""What a real update would do with each change between two plans: update in place, replace,
create or delete, and why; with a disruption note and an estimated duration per replacement.

Replacement is decided by ``data/replacements.json``: the inputs whose change replaces a
resource, per type, read from terraform-provider-aws (ForceNew) and pulumi-kubernetes (its
source and date are in the file). The offline mocks give a replaced resource the same id as
before, which would hide what follows from it (a replaced VPC gets a new id, so its subnets,
whose ``vpcId`` forces replacement, are replaced too): the forecast follows those chains
through each input's property dependencies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ...args.rules import CONTAINER_INSIGHTS_PREFIX, OBSERVABILITY_ADDON
from ...args.versions import ROLLBACK_RULES, minors_apart
from ..model.graph import creation_times

CRITICAL_TYPES = {"aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc", "aws:kms/key:Key"}
"""Replacing or deleting these loses the cluster or what it holds: the plan exits 4."""

DISRUPTION = {
    "aws:eks/cluster:Cluster": "a new cluster: every workload, secret and add-on in it is lost",
    "aws:ec2/vpc:Vpc": (
        "EKS cannot move a cluster to another VPC: the update fails half-way, with the old "
        "cluster still in the old VPC"
    ),
    "aws:kms/key:Key": (
        "the key that encrypts the cluster's secrets and logs is scheduled for deletion; what "
        "it encrypted cannot be read once it is gone"
    ),
    "aws:eks/nodeGroup:NodeGroup": "every node of the group is drained and replaced",
    "aws:ec2/subnet:Subnet": "everything in the subnet (nodes, load balancers) has to move",
    "aws:ec2/natGateway:NatGateway": "private egress through it stops until the new one is up",
    "aws:ec2/instance:Instance": (
        "egress through the NAT instance stops while it is replaced: the old one is deleted "
        "first, then the new one launches, boots and sets up forwarding"
    ),
    "aws:ec2/route:Route": "traffic on the route stops until it is created again",
    "aws:cloudwatch/logGroup:LogGroup": "the logs in the group are deleted",
    "aws:iam/role:Role": "whatever assumes the role loses its credentials until it is back",
    "aws:eks/addon:Addon": "the add-on is removed and installed again",
    "aws:eks/accessEntry:AccessEntry": "the principal loses cluster access until it is back",
    "kubernetes:helm.sh/v3:Release": "the release is uninstalled and installed again",
    "kubernetes:core/v1:Service": "its load balancer is deleted; a new one gets a new DNS name",
    "kubernetes:core/v1:Namespace": "everything in the namespace is deleted",
    "kubernetes:karpenter.sh/v1:NodePool": (
        "Karpenter drains and terminates every node of the pool (its NodeClaims are owned by "
        "it); pods wait for other capacity"
    ),
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": (
        "its finalizer waits until every node launched from it is terminated, then its "
        "instance profile and launch templates are deleted"
    ),
}
NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_POOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS_UNHASHED = {
    # hash:"ignore" in karpenter v1.14.1 pkg/apis/v1/ec2nodeclass.go (lines 40, 48, 55, 67, 76,
    # 85); every other spec field is in EC2NodeClass.Hash (lines 597-610), and a NodeClaim whose
    # recorded hash differs is drifted (pkg/cloudprovider/drift.go:181-194, NodeClassDrift).
    "subnetSelectorTerms": "replaces the Karpenter nodes in subnets it no longer selects "
    "(SubnetDrift, pkg/cloudprovider/drift.go:112-123)",
    "securityGroupSelectorTerms": "replaces the Karpenter nodes whose security groups it no "
    "longer selects (SecurityGroupDrift, pkg/cloudprovider/drift.go:130-137)",
    "capacityReservationSelectorTerms": "replaces the Karpenter nodes in reservations it no "
    "longer selects (CapacityReservationDrift, pkg/cloudprovider/drift.go:148-162)",
    "amiSelectorTerms": "replaces every Karpenter node of the class once the AMI it selects "
    "changes (AMIDrift, pkg/cloudprovider/drift.go:84-105)",
    "ipPrefixCount": "",
    # Not amiFamily: its field is hash:"ignore", but Hash() adds in.AMIFamily() itself
    # (ec2nodeclass.go:597-610, 666-675), so a new family replaces every node. (A new alias
    # family in amiSelectorTerms does too; only al2023 aliases are accepted today, and the
    # forecast sees keys, not values: it reports such a change as amiSelectorTerms.)
}
EVERY_NODE = "replaces every Karpenter node"


def karpenter_drift(type_token: str, keys: list[str]) -> str:
    """What an in-place update of a Karpenter NodePool or EC2NodeClass does to its nodes: the
    controller replaces ("drifts") nodes whose recorded hash no longer matches, or that no
    longer match a dynamic selector. Empty when the change touches no node."""

    def field(key: str, prefix: str) -> str | None:
        if not key.startswith(prefix):
            return None
        return key[len(prefix) :].split(".", 1)[0].split("[", 1)[0]

    notes: list[str] = []
    if type_token == NODE_CLASS_TYPE:
        fields = sorted({f for key in keys if (f := field(key, "spec."))})
        hashed = [f for f in fields if f not in NODE_CLASS_UNHASHED]
        if hashed:
            notes.append(
                f"{EVERY_NODE} of the class: {', '.join(hashed)} are in the EC2NodeClass hash "
                "(karpenter v1.14.1 pkg/apis/v1/ec2nodeclass.go:597-610, NodeClassDrift)"
            )
        notes += [NODE_CLASS_UNHASHED[f] for f in fields if NODE_CLASS_UNHASHED.get(f)]
    elif type_token == NODE_POOL_TYPE:
        fields = sorted({f for key in keys if (f := field(key, "spec.template.spec."))})
        template = [key for key in keys if key.startswith("spec.template.")]
        if any(f != "requirements" for f in fields) or any(
            key.startswith("spec.template.metadata") for key in template
        ):
            # NodePool.Hash covers spec.template but its requirements (karpenter core
            # pkg/apis/v1/nodepool.go:336-342, nodeclaim.go:47 hash:"ignore";
            # pkg/controllers/nodeclaim/disruption/drift.go:154-167, NodePoolDrifted).
            notes.append(
                f"{EVERY_NODE} of the pool: its spec.template is the NodePool hash "
                "(karpenter core pkg/apis/v1/nodepool.go:336-342, NodePoolDrifted)"
            )
        if "requirements" in fields:
            notes.append(
                "replaces the pool's nodes that no longer meet its requirements "
                "(RequirementsDrifted, pkg/controllers/nodeclaim/disruption/drift.go:170-176)"
            )
    return "; ".join(notes)


NODE_DRAIN_SECONDS = 400
"""A managed node group's nodes drained and replaced (341-403 s for one node, 2026 logs)."""


@cache
def replacement_table() -> dict[str, Any]:
    text = resources.files("eks_platform").joinpath("offline", "data", "replacements.json")
    return json.loads(text.read_text())["types"]


def replace_on(type_token: str) -> list[str] | None:
    """Inputs whose change replaces a resource of this type (None: type not in the table)."""
    table = replacement_table()
    entry = table.get(type_token)
    if entry is None and type_token.startswith("kubernetes:") and "/" in type_token:
        entry = table.get("kubernetes:<custom resource>")
    return None if entry is None else list(entry["replace_on"])


LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_TEMPLATE_UNVERSIONED = {"defaultVersion", "name", "namePrefix", "tags", "tagsAll"}
"""Launch template inputs whose change makes no new version: every other input is among the
``updateKeys`` of terraform-provider-aws internal/service/ec2/ec2_launch_template.go
(resourceLaunchTemplateUpdate), which call CreateLaunchTemplateVersion (``description`` and
``tag_specifications`` included); ``update_default_version`` only moves the default, ``name``
replaces the template."""


def _versioned_templates(
    new: dict[str, Any], changed: dict[str, list[str]], changes: dict[str, Change]
) -> set[str]:
    """Launch templates updated in place with a new version (the plan pins ``latestVersion``;
    the mocks keep its number, so the input diff of what takes it cannot see the change)."""
    return {
        urn
        for urn, keys in changed.items()
        if new[urn]["type"] == LAUNCH_TEMPLATE
        and changes[urn].action == "update"
        and any(
            re.split(r"[.\[]", key, maxsplit=1)[0] not in LAUNCH_TEMPLATE_UNVERSIONED
            for key in keys
        )
    }


def _new_template_versions(
    new: dict[str, Any], versioned: set[str], names: dict[str, str], changes: dict[str, Change]
) -> None:
    """An instance launched from a template version it pins is replaced when the template gets
    a new version: terraform-provider-aws ec2_instance.go CustomizeDiff forces new
    ``launch_template.0.version`` when the version asked for is not the one the instance runs."""
    for urn, resource in new.items():
        known = changes.get(urn)
        if resource["type"] != "aws:ec2/instance:Instance" or (known and known.action != "update"):
            continue  # created or already replaced
        sources = (resource.get("property_dependencies") or {}).get("launchTemplate") or []
        hit = sorted(set(sources) & versioned)
        if hit:
            change = changes.get(urn) or Change(urn, resource["type"], "update")
            changes[urn] = change
            change.action = "replace"
            change.reasons.append(
                f"launchTemplate.version: {names[hit[0]]} gets a new version (forces replacement)"
            )


def _forces(changed: str, rules: list[str]) -> bool:
    return any(
        changed == rule or changed.startswith(f"{rule}.") or rule.startswith(f"{changed}.")
        for rule in rules
    )


@dataclass
class Change:
    urn: str
    type: str
    action: str
    """create, update, replace or delete."""
    reasons: list[str] = field(default_factory=list)
    disruption: str = ""
    seconds: float = 0.0
    critical: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "action": self.action,
            "reasons": self.reasons,
            "disruption": self.disruption,
            "seconds": self.seconds,
            "critical": self.critical,
        }


def _seconds(type_token: str, action: str) -> float:
    times = creation_times()
    entry = times["types"].get(type_token, times["default"])
    extra = NODE_DRAIN_SECONDS if type_token == "aws:eks/nodeGroup:NodeGroup" else 0
    return float(entry["seconds"]) + extra if action in ("replace", "create") else 0.0


def follow_aliases(
    base: dict[str, Any], current: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """``base`` with every resource the current plan takes over through an alias under its new
    URN, and which URNs moved (old -> new).

    The engine matches a new resource to the state of an old one whose URN is among its
    aliases: that resource is the same one, updated in place or left alone, never created and
    deleted (pulumi/pulumi ``pkg/resource/deploy/step_generator.go``, aliases). Only the
    aliases a resource lists itself are followed, not those the engine derives for the
    children of an aliased parent."""
    old_urns = {r["urn"] for r in base.get("resources", [])}
    new_urns = {r["urn"] for r in current.get("resources", [])}
    moved = {
        alias: r["urn"]
        for r in current.get("resources", [])
        if r["urn"] not in old_urns
        for alias in r.get("aliases") or []
        if alias in old_urns and alias not in new_urns
    }
    if not moved:
        return base, moved

    def renamed(resource: dict[str, Any]) -> dict[str, Any]:
        def urn(value: str) -> str:
            return moved.get(value, value)

        return {
            **resource,
            "urn": urn(resource["urn"]),
            "parent": urn(resource.get("parent") or ""),
            "dependencies": sorted(urn(u) for u in resource.get("dependencies") or []),
            "property_dependencies": {
                key: sorted(urn(u) for u in urns)
                for key, urns in (resource.get("property_dependencies") or {}).items()
            },
        }

    return {**base, "resources": [renamed(r) for r in base.get("resources", [])]}, moved


def forecast(
    base: dict[str, Any], current: dict[str, Any], changed: dict[str, list[str]]
) -> list[Change]:
    """Changes of cloud resources between two plan JSONs (``changed``: URN -> changed keys;
    ``base`` with aliased resources already under their new URNs, see ``follow_aliases``)."""
    old = {r["urn"]: r for r in base.get("resources", [])}
    new = {r["urn"]: r for r in current.get("resources", [])}
    names = {urn: urn.rsplit("::", 1)[-1] for urn in {*old, *new}}
    changes: dict[str, Change] = {}
    for urn in sorted(set(new) - set(old)):
        changes[urn] = Change(
            urn, new[urn]["type"], "create", seconds=_seconds(new[urn]["type"], "create")
        )
    for urn in sorted(set(old) - set(new)):
        changes[urn] = Change(urn, old[urn]["type"], "delete", ["not in the new plan"])
    for urn, keys in changed.items():
        kind = new[urn]["type"]
        moved = _provider_moved(old, new, urn)
        if moved:
            changes[urn] = Change(urn, kind, "replace", [moved])
            continue
        rules = replace_on(kind)
        if rules is None:
            changes[urn] = Change(urn, kind, "update", ["type not in the replacement table"])
            continue
        forcing = [key for key in keys if _forces(key, rules)]
        if forcing:
            changes[urn] = Change(
                urn, kind, "replace", [f"{key} changed (forces replacement)" for key in forcing]
            )
        else:
            changes[urn] = Change(
                urn,
                kind,
                "update",
                [f"{key} changed" for key in keys],
                disruption=karpenter_drift(kind, keys),
            )
    versioned = _versioned_templates(new, changed, changes)
    _new_template_versions(new, versioned, names, changes)
    _follow_replacements(new, old, names, changes)
    _node_group_rolls(new, old, versioned, names, changes)
    _insights_groups_held(old, new, changes)
    _control_plane_versions(old, new, changes)
    for change in changes.values():
        if change.action in ("replace", "delete"):
            before = old.get(change.urn) or new.get(change.urn) or {}
            if change.action == "delete" and before.get("retain_on_delete"):
                # Pulumi forgets it and leaves it in place (a fleet's shared validation record).
                change.reasons.append("retain_on_delete: it stays in AWS, Pulumi forgets it")
                change.disruption = "none: the resource is kept"
                continue
            fallback = "deleted and created again" if change.action == "replace" else "deleted"
            change.disruption = DISRUPTION.get(change.type, fallback)
            change.seconds = _seconds(change.type, change.action)
            protected = before.get("protect", False)
            change.critical = change.type in CRITICAL_TYPES or bool(protected)
            if protected:
                change.reasons.append("the resource is protected: Pulumi will refuse")
    # Components and providers are bookkeeping; what they make is forecast in its own right.
    cloud = [
        c for c in changes.values() if ":index:" not in c.type and not c.type.startswith("pulumi:")
    ]
    return sorted(cloud, key=lambda c: (c.action, c.urn))


NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
ROLLING_NODE_GROUP_KEYS = ("launchTemplate", "version", "releaseVersion")
"""In-place node group updates that roll every node: UpdateNodegroupVersion (terraform-provider-
aws internal/service/eks/node_group.go, resourceNodeGroupUpdate: launch_template, version,
release_version), which drains and replaces the group's nodes (EKS user guide,
managed-node-update-behavior)."""


def _node_group_rolls(
    new: dict[str, Any],
    old: dict[str, Any],
    versioned: set[str],
    names: dict[str, str],
    changes: dict[str, Change],
) -> None:
    """Managed node groups updated in place in a way that replaces their nodes: a change of
    their own version keys, or a launch template they take ``latest_version`` of that gets a
    new version (``_versioned_templates``)."""
    for urn, resource in new.items():
        if resource["type"] != NODE_GROUP_TYPE or urn not in old:
            continue
        change = changes.get(urn)
        if change is not None and change.action != "update":
            continue
        own = [
            reason
            for reason in (change.reasons if change else [])
            if reason.split(".", 1)[0].split(" ", 1)[0] in ROLLING_NODE_GROUP_KEYS
        ]
        sources = (resource.get("property_dependencies") or {}).get("launchTemplate") or []
        hit = sorted(set(sources) & versioned)
        if not (own or hit):
            continue
        if change is None:
            change = changes[urn] = Change(urn, resource["type"], "update")
        if hit:
            change.reasons.append(
                f"launchTemplate.version comes from {names[hit[0]]}, which gets a new version"
            )
        change.disruption = DISRUPTION[NODE_GROUP_TYPE] + " (rolling update, in place)"
        change.seconds = float(NODE_DRAIN_SECONDS)


CLUSTER_TYPE = "aws:eks/cluster:Cluster"


def _control_plane_versions(
    old: dict[str, Any], new: dict[str, Any], changes: dict[str, Change]
) -> None:
    """An EKS cluster whose ``version`` changes in place (terraform-provider-aws
    internal/service/eks/cluster.go: ``version`` Optional+Computed, no ForceNew;
    resourceClusterUpdate calls UpdateClusterVersion first): one minor up takes the control
    plane's update time (``updates.control_plane_minor``); EKS refuses a jump of two minors
    (update-cluster: one minor at a time) and a lower version in the same update as the nodes
    (rollback-cluster: node groups and add-ons first, and only N to N-1): both critical."""
    for change in changes.values():
        if change.type != CLUSTER_TYPE or change.action != "update":
            continue
        before = str((old[change.urn].get("inputs") or {}).get("version") or "")
        after = str((new[change.urn].get("inputs") or {}).get("version") or "")
        if not (before and after) or before == after:
            continue
        apart = minors_apart(before, after)
        if apart == 1:
            change.seconds = float(creation_times()["updates"]["control_plane_minor"]["seconds"])
            change.disruption = (
                "the API server is updated in place (UpdateClusterVersion), its replicas one at "
                "a time; nodes and add-ons follow it in the same update"
            )
            continue
        change.critical = True
        if apart > 1:
            change.reasons.append(
                f"version {before} -> {after} skips {apart - 1} minor(s): EKS updates the control "
                "plane one minor at a time and refuses the call; deploy each minor in turn"
            )
        else:
            change.reasons.append(
                f"version {before} -> {after} is a rollback: UpdateClusterVersion would run "
                "before the node groups (they depend on the cluster), which EKS refuses while "
                f"nodes are on {before}; {ROLLBACK_RULES}. Follow eks-platform-plan upgrade "
                f"<stack> --to {after} --set kubernetesRollback=true"
            )
        change.disruption = "EKS refuses the update: it fails at the control plane"


def _insights_groups_held(
    old: dict[str, Any], new: dict[str, Any], changes: dict[str, Change]
) -> None:
    """A Container Insights log group created where the base already ran the observability
    add-on: its agents made the group in AWS (without the platform's tags), so CreateLogGroup
    would fail; the preview refuses until the group is adopted (platform.log_group_problems
    prints how). The base of a stack from before 0.6.0 is such a case."""
    ran_addon = any(
        r["type"] == "aws:eks/addon:Addon"
        and (r.get("inputs") or {}).get("addonName") == OBSERVABILITY_ADDON
        for r in old.values()
    )
    if not ran_addon:
        return
    for change in changes.values():
        inputs = (new.get(change.urn) or {}).get("inputs") or {}
        if (
            change.action == "create"
            and change.type == "aws:cloudwatch/logGroup:LogGroup"
            and str(inputs.get("name", "")).startswith(CONTAINER_INSIGHTS_PREFIX)
        ):
            change.reasons.append(
                "the observability add-on of the base plan has created it in AWS already: "
                "the preview refuses until it is adopted (tag and pulumi import, as it prints)"
            )
            change.disruption = "none, once adopted: the next up sets its retention, key, tags"


def provider_urn(resource: dict[str, Any]) -> str:
    """The URN of a plan resource's provider (its reference is ``<urn>::<id>``)."""
    return str(resource.get("provider") or "").rsplit("::", 1)[0]


def _provider_moved(old: dict[str, Any], new: dict[str, Any], urn: str) -> str | None:
    """Why a resource is replaced because its AWS provider is now another region's, or None.

    The engine diffs the new provider's config against the old one's and replaces the resource
    when that diff asks for it (pulumi/pulumi pkg/resource/deploy/step_generator.go,
    ``providerChanged``: ``ReplaceKeys: ["provider"]``). Assumed here: another region does; a
    version bump or the same region does not. Other providers (a Kubernetes provider's
    kubeconfig is secret in the plan) and providers missing from a plan are left to the
    input diff."""
    before, after = (provider_urn(plan[urn]) for plan in (old, new))
    if before == after or before not in old or after not in new:
        return None
    if {old[before].get("type"), new[after].get("type")} != {"pulumi:providers:aws"}:
        return None
    regions = [
        (plan[ref].get("inputs") or {}).get("region") for plan, ref in ((old, before), (new, after))
    ]
    if regions[0] == regions[1]:
        return None
    names = [ref.rsplit("::", 1)[-1] for ref in (before, after)]
    return f"its provider moved from {names[0]} ({regions[0]}) to {names[1]} ({regions[1]})"


def _follow_replacements(
    new: dict[str, Any], old: dict[str, Any], names: dict[str, str], changes: dict[str, Change]
) -> None:
    """A replaced resource gets a new id: inputs that take it, and force replacement, replace
    their resource too (the mocks' ids stay the same and would hide this)."""
    grew = True
    while grew:
        grew = False
        replaced = {urn for urn, c in changes.items() if c.action == "replace"}
        # What uses pulumi-eks's cluster takes it from the component (its outputs): a replaced
        # modelled cluster replaces, for what follows, the component it stands for.
        replaced |= {
            new[urn]["parent"]
            for urn in replaced
            if new.get(urn, {}).get("modelled") and new[urn]["type"] == "aws:eks/cluster:Cluster"
        }
        for urn, resource in new.items():
            if urn not in old or urn in replaced:
                continue
            rules = replace_on(resource["type"]) or []
            for key, sources in (resource.get("property_dependencies") or {}).items():
                hit = sorted(set(sources) & replaced)
                if not hit:
                    continue
                because = f"{key} comes from {names[hit[0]]}, which is replaced"
                change = changes.get(urn) or Change(urn, resource["type"], "update")
                changes[urn] = change
                if _forces(key, rules):
                    change.action = "replace"
                    change.reasons.append(because + " (forces replacement)")
                    grew = True
                    break
                if because not in change.reasons:
                    change.reasons.append(because)
