"""What ``pulumi_eks.Cluster`` creates, for the inputs it was given: the model behind the plan.

Under mocks ``eks:index:Cluster`` is one opaque registration (a remote component, FACTS.md §1),
so nothing the test suite or the policy pack sees would show, for example, that pulumi-eks adds
a ``vpc-cni`` addon of its own. This module writes out the children pulumi-eks registers for a
given set of inputs, as ``Registration``s marked ``modelled``: parented to the component, with
the logical names, types and inputs the component's source gives them.

Written from pulumi/pulumi-eks ``nodejs/eks`` at tag v4.3.0 (commit 0f5a5447, 2026-07-28): the
mirror has no v4.4.0 tag, and v4.3.0's ``nodejs/eks`` equals ``master`` (7bf0c1b1) but for
``yarn.lock``; the 4.4.0 Python SDK has the same inputs. Line numbers below are at v4.3.0.
Nothing is copied: each function restates one condition and cites it. Not modelled: the
default node group's own children (NodeGroupV2: launch template, Auto Scaling group), shown as
one component; the kubeconfig health check; invokes (getAddonVersion, getRegion, getPartition).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from .recorder import Registration

COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"

# servicerole.ts:100-110: attachments are named <role>-<first 8 hex of sha1(policy id)>, where
# the id is the policy ARN in the aws partition (cluster.ts:634-641, 953-966).
AUTO_MODE_NODE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")
INSTANCE_ROLE_POLICIES = (
    "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
)  # fmt: skip
# createNodeGroupSecurityGroup (nodes/securitygroup.ts:113-189), in order.
NODE_SECURITY_GROUP_RULES = (
    "eksNodeIngressRule", "eksNodeClusterIngressRule", "eksExtApiServerClusterIngressRule",
    "eksNodeInternetEgressRule", "eksClusterIngressRule",
)  # fmt: skip


def _child_urn(parent_urn: str, type_token: str, name: str) -> str:
    """The URN Pulumi gives a child: the parent's type chain, ``$``, the child's type."""
    head, _, _parent_name = parent_urn.rpartition("::")
    return f"{head}${type_token}::{name}"


def _policy_suffix(policy: str) -> str:
    return hashlib.sha1(f"arn:aws:iam::aws:policy/{policy}".encode()).hexdigest()[:8]


class _Expansion:
    """The children of one ``eks:index:Cluster`` registration."""

    def __init__(self, cluster: Registration, by_id: dict[str, Registration]) -> None:
        self.cluster = cluster
        self.inputs = cluster.inputs
        self.name = cluster.name
        self.by_id = by_id
        self.made: list[Registration] = []
        self.auto_mode = bool((self.inputs.get("autoMode") or {}).get("enabled"))

    def add(
        self,
        type_token: str,
        name: str,
        inputs: dict[str, Any],
        *,
        parent: Registration | None = None,
        custom: bool = True,
        depends_on: Iterable[Registration] = (),
    ) -> Registration:
        parent = parent or self.cluster
        registration = Registration(
            urn=_child_urn(parent.urn, type_token, name),
            type=type_token,
            name=name,
            custom=custom,
            parent=parent.urn,
            provider=self.cluster.providers.get("aws", "") if custom else "",
            dependencies=[r.urn for r in depends_on],
            property_dependencies={},
            raw_inputs=inputs,
            modelled=True,
        )
        self.made.append(registration)
        return registration

    # --- the EKS cluster (cluster.ts:687-762) ----------------------------------------------------

    def eks_cluster(self) -> Registration:
        i = self.inputs
        subnets = [*(i.get("privateSubnetIds") or []), *(i.get("publicSubnetIds") or [])]
        vpc_config: dict[str, Any] = {"subnetIds": subnets or i.get("subnetIds") or []}
        for key in ("endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs"):
            if key in i:
                vpc_config[key] = i[key]
        inputs: dict[str, Any] = {
            # cluster.ts:690, `name: args.name`; unset, the provider auto-names it.
            "name": i.get("name") or None,
            "roleArn": self._service_role_arn(),
            "version": i.get("version"),
            "vpcConfig": vpc_config,
            "enabledClusterLogTypes": i.get("enabledClusterLogTypes"),
            # cluster.ts:725-732: Name, then clusterTags, then tags (later wins).
            "tags": {
                "Name": f"{self.name}-eksCluster",
                **(i.get("clusterTags") or {}),
                **(i.get("tags") or {}),
            },
            # cluster.ts:697-700: Auto Mode clusters start without self-managed addons.
            "bootstrapSelfManagedAddons": False
            if self.auto_mode
            else i.get("bootstrapSelfManagedAddons", True),
            "upgradePolicy": i.get("upgradePolicy"),
            "deletionProtection": i.get("deletionProtection"),
        }
        if i.get("encryptionConfigKeyArn"):  # cluster.ts:593-606
            inputs["encryptionConfig"] = {
                "provider": {"keyArn": i["encryptionConfigKeyArn"]},
                "resources": ["secrets"],
            }
        if i.get("authenticationMode"):  # cluster.ts:734-741: the creator is always admin
            inputs["accessConfig"] = {
                "authenticationMode": i["authenticationMode"],
                "bootstrapClusterCreatorAdminPermissions": True,
            }
        if self.auto_mode:  # cluster.ts:610-664
            inputs["computeConfig"] = {
                "enabled": True,
                "nodePools": ["general-purpose", "system"],
                **((i.get("autoMode") or {}).get("computeConfig") or {}),
            }
            inputs["storageConfig"] = {"blockStorage": {"enabled": True}}
            inputs["kubernetesNetworkConfig"] = {
                "ipFamily": "ipv4",
                "elasticLoadBalancing": {"enabled": True},
            }
        return self.add(EKS_CLUSTER, f"{self.name}-eksCluster", _without_none(inputs))

    def _service_role_arn(self) -> str:
        """The given role's ARN (a resource input arrives as its id under mocks)."""
        role = self.by_id.get(str(self.inputs.get("serviceRole") or ""))
        if role is not None:
            return str(role.outputs.get("arn", ""))
        return f"<role {self.name}-eksRole-role>"  # cluster.ts:513-545 would create one

    # --- roles ---------------------------------------------------------------------------------

    def service_role(self, name: str, policies: Iterable[str]) -> Registration:
        """servicerole.ts: a component, its role ``<name>-role`` and one attachment a policy."""
        component = self.add("eks:index:ServiceRole", name, {}, custom=False)
        role = self.add(
            ROLE,
            f"{name}-role",
            {"assumeRolePolicy": _ec2_trust(), "tags": self.inputs.get("tags") or {}},
            parent=component,
        )
        for policy in policies:
            self.add(
                ATTACHMENT,
                f"{name}-{_policy_suffix(policy)}",
                {"role": f"<{role.name}>", "policyArn": f"arn:aws:iam::aws:policy/{policy}"},
                parent=component,
            )
        return role

    # --- security groups (cluster.ts:548-582, 2118-2146) -----------------------------------------

    def security_groups(self, eks_cluster: Registration) -> None:
        skip = self.inputs.get("skipDefaultSecurityGroups")
        if skip is None:
            skip = self.auto_mode  # cluster.ts:548, 2120
        if skip:
            return
        tags = self.inputs.get("tags") or {}
        vpc = self.inputs.get("vpcId")
        cluster_sg = self.add(
            SECURITY_GROUP,
            f"{self.name}-eksClusterSecurityGroup",
            {"vpcId": vpc, "revokeRulesOnDelete": True,
             "tags": {"Name": f"{self.name}-eksClusterSecurityGroup", **tags}},
        )  # fmt: skip
        self.add(
            SECURITY_GROUP_RULE,
            f"{self.name}-eksClusterInternetEgressRule",
            {"type": "egress", "fromPort": 0, "toPort": 0, "protocol": "-1",
             "cidrBlocks": ["0.0.0.0/0"], "description": "Allow internet access."},
            depends_on=[cluster_sg],
        )  # fmt: skip
        node_sg = self.add(
            SECURITY_GROUP,
            f"{self.name}-nodeSecurityGroup",
            {"vpcId": vpc, "revokeRulesOnDelete": True,
             "tags": {"Name": f"{self.name}-nodeSecurityGroup", **tags}},
            depends_on=[eks_cluster],
        )  # fmt: skip
        for rule in NODE_SECURITY_GROUP_RULES:
            self.add(SECURITY_GROUP_RULE, f"{self.name}-{rule}", {}, depends_on=[node_sg])

    # --- addons --------------------------------------------------------------------------------

    def addon(
        self,
        addon_name: str,
        eks_cluster: Registration,
        options: dict[str, Any],
        parent: Registration | None = None,
    ) -> None:
        """One aws.eks.Addon as pulumi-eks makes them (cluster.ts:784-797, cni-addon.ts:297-311)."""
        version = options.get("version") or options.get("addonVersion")
        inputs = {
            "clusterName": eks_cluster.inputs.get("name"),
            "addonName": addon_name,
            "preserve": True,
            "resolveConflictsOnCreate": options.get("resolveConflictsOnCreate", "OVERWRITE"),
            "resolveConflictsOnUpdate": options.get("resolveConflictsOnUpdate", "OVERWRITE"),
            # Without a version pulumi-eks asks getAddonVersion(mostRecent) at deploy time.
            "addonVersion": version or "<most recent for the cluster version>",
        }
        name = f"{self.name}-{addon_name}"
        self.add(ADDON, name, inputs, parent=parent, depends_on=[eks_cluster])

    def addons(self, eks_cluster: Registration) -> None:
        i = self.inputs
        # cluster.ts:764: kube-proxy unless disabled, off by default in Auto Mode.
        kube_proxy = i.get("kubeProxyAddonOptions") or {}
        if kube_proxy.get("enabled", not self.auto_mode):
            self.addon("kube-proxy", eks_cluster, kube_proxy)
        # cluster.ts:1091-1092: vpc-cni unless useDefaultVpcCni is true (Auto Mode: unless it is
        # false). A component wrapping the addon of the same logical name (cni-addon.ts).
        use_default = i.get("useDefaultVpcCni")
        if (not use_default) if use_default is not None else not self.auto_mode:
            component = self.add("eks:index:VpcCniAddon", f"{self.name}-vpc-cni", {}, custom=False)
            self.addon("vpc-cni", eks_cluster, i.get("vpcCniOptions") or {}, parent=component)
        # cluster.ts:1175-1185: CoreDNS when explicitly enabled (or configured), else with a
        # default node group, Fargate or Auto Mode, unless disabled.
        coredns = i.get("corednsAddonOptions") or {}
        explicitly = coredns.get("enabled") is True or bool(coredns.get("configurationValues"))
        hosts = bool(i.get("fargate")) or not i.get("skipDefaultNodeGroup") or self.auto_mode
        if explicitly or (hosts and coredns.get("enabled", True)):
            self.addon("coredns", eks_cluster, coredns)

    # --- access (cluster.ts:1028-1057, authenticationMode.ts:178-211) ----------------------------

    def access_entries(self, eks_cluster: Registration, instance_role: Registration | None) -> None:
        mode = self.inputs.get("authenticationMode")
        if mode not in ("API", "API_AND_CONFIG_MAP"):
            return
        entries = dict(self.inputs.get("accessEntries") or {})
        if instance_role is not None:
            entries = {
                "defaultNodeGroupInstanceRole": {
                    "principalArn": f"<{instance_role.name}>",
                    "type": "EC2_LINUX",
                },
                **entries,
            }
        cluster_name = eks_cluster.inputs.get("name")
        for key, entry in entries.items():
            made = self.add(
                ACCESS_ENTRY,
                f"{self.name}-{key}",
                _without_none(
                    {
                        "clusterName": cluster_name,
                        "principalArn": entry.get("principalArn"),
                        "type": entry.get("type"),
                        "kubernetesGroups": entry.get("kubernetesGroups"),
                        "userName": entry.get("username"),
                    }
                ),
                depends_on=[eks_cluster],
            )
            for policy_key, association in (entry.get("accessPolicies") or {}).items():
                self.add(
                    POLICY_ASSOCIATION,
                    f"{self.name}-{key}-{policy_key}",
                    {
                        "clusterName": cluster_name,
                        "principalArn": entry.get("principalArn"),
                        "policyArn": association.get("policyArn"),
                        "accessScope": association.get("accessScope"),
                    },
                    parent=made,
                    depends_on=[made],
                )

    # --- everything ----------------------------------------------------------------------------

    def expand(self) -> list[Registration]:
        i = self.inputs
        if self.auto_mode and (i.get("autoMode") or {}).get("createNodeRole", True):
            self.service_role(f"{self.name}-nodeRole", AUTO_MODE_NODE_POLICIES)  # :626-647
        eks_cluster = self.eks_cluster()
        self.security_groups(eks_cluster)
        self.add(
            "pulumi:providers:kubernetes", f"{self.name}-eks-k8s", {}, depends_on=[eks_cluster]
        )
        self.addons(eks_cluster)
        # cluster.ts:944-999: an instance role only for the default node group (or on request).
        instance_role = None
        wants_role = i.get("createInstanceRole")
        if wants_role or (not i.get("skipDefaultNodeGroup") and wants_role is None):
            instance_role = self.service_role(f"{self.name}-instanceRole", INSTANCE_ROLE_POLICIES)
            self.add(
                "aws:iam/instanceProfile:InstanceProfile",
                f"{self.name}-instanceProfile",
                {"role": f"<{instance_role.name}>"},
            )
        self.access_entries(eks_cluster, instance_role)
        if i.get("createOidcProvider"):  # cluster.ts:1245-1264
            self.add(
                "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                f"{self.name}-oidcProvider",
                {"clientIdLists": ["sts.amazonaws.com"], "url": "<the cluster's OIDC issuer>"},
                depends_on=[eks_cluster],
            )
        # cluster.ts:2150-2164: the default node group (its own children are not modelled).
        if not (i.get("skipDefaultNodeGroup") or i.get("fargate") or self.auto_mode):
            self.add("eks:index:NodeGroupV2", self.name, {}, custom=False, depends_on=[eks_cluster])
        return self.made


def _ec2_trust() -> str:
    return (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def with_modelled(registrations: list[Registration]) -> list[Registration]:
    """``registrations`` plus what each ``eks:index:Cluster`` among them creates (idempotent)."""
    if any(r.modelled for r in registrations):
        return list(registrations)
    by_id = {r.resource_id: r for r in registrations if r.resource_id}
    modelled = [
        child
        for cluster in registrations
        if cluster.type == COMPONENT
        for child in _Expansion(cluster, by_id).expand()
    ]
    return [*registrations, *modelled]


def modelled_children(
    cluster: Registration, others: Sequence[Registration] = ()
) -> list[Registration]:
    """Only the children of one cluster registration (for tests of each condition)."""
    by_id = {r.resource_id: r for r in others if r.resource_id}
    return _Expansion(cluster, by_id).expand()
