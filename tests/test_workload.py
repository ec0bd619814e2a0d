"""The Kubernetes side under recording mocks: controller, sample app, Service, ordering."""

from __future__ import annotations

import json
from importlib import resources

import pulumi
from conftest import PROJECT_DIR

from eks_platform.offline import run_stack
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import SECRET_MARKER, RecordingMonitor

RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
PROVIDER = "pulumi:providers:kubernetes"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
LB = "service.beta.kubernetes.io/aws-load-balancer"


def releases(run):
    return {r.inputs["name"]: r for r in run.by_type(RELEASE)}


def workers(run):
    """URNs of the node groups and CoreDNS."""
    groups = [g.urn for g in run.by_type("aws:eks/nodeGroup:NodeGroup")]
    coredns = [
        a.urn for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "coredns"
    ]
    return groups + coredns


def test_kubernetes_provider_uses_the_cluster_kubeconfig_as_a_secret(run_dev):
    run = run_dev()
    provider = run.one(PROVIDER)
    assert provider.redacted_inputs["kubeconfig"] == SECRET_MARKER
    assert provider.inputs["kubeconfig"] == run.one("eks:index:Cluster").outputs["kubeconfigJson"]
    for release in run.by_type(RELEASE):
        assert release.provider.startswith(provider.urn)


def test_controller_release_is_pinned_and_configured_for_hop_limit_one(run_dev):
    run = run_dev()
    release = releases(run)["aws-load-balancer-controller"]
    inputs = release.inputs
    assert inputs["chart"] == "aws-load-balancer-controller"
    assert inputs["version"] == "3.5.0"
    assert inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert inputs["namespace"] == "kube-system"
    values = inputs["values"]
    assert values["clusterName"] == "eks-platform-dev"
    assert values["region"] == "us-west-2"
    assert values["vpcId"] == run.one("aws:ec2/vpc:Vpc").resource_id
    assert values["replicaCount"] == 2
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    assert values["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    assert values["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}


def test_controller_permissions_through_pod_identity(run_dev):
    run = run_dev()
    association = run.one(ASSOCIATION)
    role = run.one("aws:iam/role:Role", "eks-platform-dev-lb-controller-role")
    assert association.inputs["namespace"] == "kube-system"
    assert association.inputs["serviceAccount"] == "aws-load-balancer-controller"
    assert association.inputs["roleArn"] == role.outputs["arn"]
    assert association.inputs["clusterName"] == "eks-platform-dev"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    policy = run.one("aws:iam/rolePolicy:RolePolicy", "eks-platform-dev-lb-controller-policy")
    documented = json.loads(
        resources.files("eks_platform")
        .joinpath("data", "aws_load_balancer_controller_iam_policy.json")
        .read_text()
    )
    assert json.loads(policy.inputs["policy"]) == documented
    actions = {
        a
        for s in documented["Statement"]
        for a in [s["Action"]]
        for a in ([a] if isinstance(a, str) else a)
    }
    assert "elasticloadbalancing:CreateLoadBalancer" in actions
    release = releases(run)["aws-load-balancer-controller"]
    assert association.urn in release.dependencies
    assert policy.urn in release.dependencies


def test_app_release_is_pinned_hardened_and_sized_per_stack(run_dev):
    for stack, replicas in (("dev", 2), ("prod", 3)):
        run = run_dev(stack)
        app = releases(run)["podinfo"]
        assert app.inputs["chart"] == "oci://ghcr.io/stefanprodan/charts/podinfo"
        assert app.inputs["version"] == "6.14.1"
        assert "repositoryOpts" not in app.inputs
        assert app.inputs["namespace"] == "podinfo"
        values = app.inputs["values"]
        assert values["replicaCount"] == replicas
        assert values["image"]["tag"] == "6.14.1"
        assert values["fullnameOverride"] == "podinfo"
        container = values["securityContext"]
        assert container["allowPrivilegeEscalation"] is False
        assert container["readOnlyRootFilesystem"] is True
        assert container["runAsNonRoot"] is True
        assert container["capabilities"] == {"drop": ["ALL"]}
        assert container["seccompProfile"] == {"type": "RuntimeDefault"}
        pod = values["podSecurityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000
        assert set(values["resources"]) == {"requests", "limits"}
        spread = values["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "podinfo"}}


def test_namespace_is_restricted_by_pod_security_admission(run_dev):
    labels = run_dev().one(NAMESPACE).inputs["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def test_pod_disruption_budget_selects_the_app_pods(run_dev):
    pdb = run_dev().one(PDB)
    assert pdb.inputs["metadata"]["namespace"] == "podinfo"
    assert pdb.inputs["spec"]["maxUnavailable"] == 1
    assert pdb.inputs["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "podinfo"}}


def test_service_is_an_nlb_with_ip_targets_through_the_controller(run_dev):
    run = run_dev()
    service = run.one(SERVICE)
    annotations = service.inputs["metadata"]["annotations"]
    assert annotations[f"{LB}-type"] == "external"
    assert annotations[f"{LB}-nlb-target-type"] == "ip"
    assert annotations[f"{LB}-scheme"] == "internet-facing"
    assert annotations[f"{LB}-healthcheck-path"] == "/healthz"
    assert "project=eks-platform" in annotations[f"{LB}-additional-resource-tags"]
    spec = service.inputs["spec"]
    assert spec["type"] == "LoadBalancer"
    assert spec["loadBalancerClass"] == "service.k8s.aws/nlb"
    assert spec["selector"] == {"app.kubernetes.io/name": "podinfo"}
    assert spec["ports"] == [{"name": "http", "port": 80, "targetPort": 9898, "protocol": "TCP"}]
    assert "loadBalancerSourceRanges" not in spec


def test_internal_scheme_and_source_ranges(run_dev):
    run = run_dev(workload={"scheme": "internal", "sourceRanges": ["10.0.0.0/8", "192.0.2.0/24"]})
    service = run.one(SERVICE)
    assert service.inputs["metadata"]["annotations"][f"{LB}-scheme"] == "internal"
    assert service.inputs["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8", "192.0.2.0/24"]


def test_dependency_chain_makes_destroy_clean(run_dev):
    run = run_dev()
    service = run.one(SERVICE)
    controller = releases(run)["aws-load-balancer-controller"]
    app = releases(run)["podinfo"]
    # Service -> controller -> nodes and CoreDNS: destroyed in the reverse order.
    assert controller.urn in service.dependencies
    assert set(workers(run)) <= set(controller.dependencies)
    assert set(workers(run)) <= set(app.dependencies)
    # and the nodes wait for the cluster's CNI, which waits for the cluster.
    cni = next(a for a in run.by_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni")
    assert all(cni.urn in g.dependencies for g in run.by_type("aws:eks/nodeGroup:NodeGroup"))


def test_app_url_output(run_dev):
    run = run_dev()
    hostname = run.one(SERVICE).outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert run.outputs["appUrl"] == f"http://{hostname}"
    assert hostname.endswith(".elb.us-west-2.amazonaws.com")


def test_workload_switched_off(run_dev):
    run = run_dev(workload={"enabled": False})
    assert run.by_type(SERVICE) == [] and run.by_type(NAMESPACE) == [] and run.by_type(PDB) == []
    assert set(releases(run)) == {"aws-load-balancer-controller", "metrics-server"}
    assert "appUrl" not in run.outputs


def test_controller_switched_off_uses_in_tree_nlb(run_dev):
    run = run_dev(loadBalancerController={"enabled": False})
    assert set(releases(run)) == {"podinfo", "metrics-server"}
    assert run.by_type(ASSOCIATION) == []
    service = run.one(SERVICE)
    annotations = service.inputs["metadata"]["annotations"]
    assert annotations == {f"{LB}-type": "nlb"}
    assert "loadBalancerClass" not in service.inputs["spec"]
    assert set(workers(run)) <= set(service.dependencies)
    assert run.outputs["appUrl"].startswith("http://")


def test_controller_off_internal_scheme_uses_the_in_tree_annotation(run_dev):
    run = run_dev(loadBalancerController={"enabled": False}, workload={"scheme": "internal"})
    annotations = run.one(SERVICE).inputs["metadata"]["annotations"]
    assert annotations == {f"{LB}-type": "nlb", f"{LB}-internal": "true"}


def test_all_off_means_no_kubernetes_side(run_dev):
    off = {"enabled": False}
    run = run_dev(loadBalancerController=off, workload=off, metricsServer=False, blockStorage=False)
    assert [r for r in run.registrations if r.type.startswith("kubernetes:")] == []
    assert run.by_type(PROVIDER) == []


def test_extra_values_are_merged_over_the_platform_values(run_dev):
    run = run_dev(
        workload={
            "values": {"ui": {"message": "hello"}, "resources": {"limits": {"memory": "256Mi"}}}
        }
    )
    values = releases(run)["podinfo"].inputs["values"]
    assert values["ui"] == {"message": "hello"}
    assert values["resources"]["limits"] == {"cpu": "250m", "memory": "256Mi"}
    assert values["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}


def test_another_chart_can_be_swapped_in(run_dev):
    run = run_dev(
        workload={
            "chart": "nginx",
            "repository": "https://charts.example.com/stable",
            "version": "18.1.0",
            "releaseName": "web",
            "namespace": "web",
            "podLabels": {"app.kubernetes.io/instance": "web"},
            "containerPort": 8080,
            "values": {"replicaCount": 2},
        }
    )
    app = releases(run)["web"]
    assert app.inputs["chart"] == "nginx"
    assert app.inputs["repositoryOpts"] == {"repo": "https://charts.example.com/stable"}
    assert app.inputs["values"] == {"replicaCount": 2}  # podinfo's hardening values not applied
    service = run.one(SERVICE)
    assert service.inputs["spec"]["selector"] == {"app.kubernetes.io/instance": "web"}
    assert service.inputs["spec"]["ports"][0]["targetPort"] == 8080
    assert run.one(NAMESPACE).inputs["metadata"]["name"] == "web"


def test_metrics_server_runs_beside_the_app_and_the_app_scales_on_cpu(run_dev):
    run = run_dev()
    server = releases(run)["metrics-server"]
    assert (server.inputs["chart"], server.inputs["version"]) == ("metrics-server", "3.13.1")
    assert server.inputs["repositoryOpts"] == {
        "repo": "https://kubernetes-sigs.github.io/metrics-server/"
    }
    assert server.inputs["values"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    app = releases(run)["podinfo"]
    assert server.urn not in app.dependencies  # beside the app, not before it
    assert app.inputs["values"]["hpa"] == {"enabled": True, "maxReplicas": 6, "cpu": 70}
    without = releases(run_dev(metricsServer=False))["podinfo"]
    assert without.inputs["values"]["hpa"]["enabled"] is False


# --- a brought VPC: the load balancer goes into the stack's subnets (issue 23, point 10) ---------

BROUGHT = {
    "existingVpcId": "vpc-0123456789abcdef0",
    "existingPublicSubnetIds": ["subnet-0000000a", "subnet-0000000d"],
    "existingPrivateSubnetIds": ["subnet-0000000b", "subnet-0000000c"],
}
SUBNETS = f"{LB}-subnets"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
PARAMS = "kubernetes:eks.amazonaws.com/v1:IngressClassParams"
ALB_SUBNETS = "alb.ingress.kubernetes.io/subnets"


def annotations_of(run, type_token=SERVICE):
    return run.one(type_token).inputs["metadata"].get("annotations") or {}


def test_brought_vpc_nlb_goes_into_the_subnets_for_its_scheme(run_dev):
    public = annotations_of(run_dev(**BROUGHT))
    assert public[SUBNETS] == "subnet-0000000a,subnet-0000000d"
    internal = annotations_of(run_dev(**BROUGHT, workload={"scheme": "internal"}))
    assert internal[SUBNETS] == "subnet-0000000b,subnet-0000000c"
    # the in-tree NLB (cloud-provider-aws reads the same annotation) and Auto Mode's
    in_tree = annotations_of(run_dev(**BROUGHT, loadBalancerController={"enabled": False}))
    assert in_tree[SUBNETS] == "subnet-0000000a,subnet-0000000d"
    auto = annotations_of(run_dev(**BROUGHT, computeMode="auto", nodeGroups=[{"name": "general"}]))
    assert auto[SUBNETS] == "subnet-0000000a,subnet-0000000d"
    # the platform's own VPC: its subnets carry the role tags discovery uses; nothing added
    assert SUBNETS not in annotations_of(run_dev())
    assert SUBNETS not in annotations_of(run_dev(loadBalancerController={"enabled": False}))


def test_brought_vpc_alb_goes_into_the_subnets_for_its_scheme(run_dev):
    alb = {"exposure": "alb"}
    public = run_dev(**BROUGHT, workload=alb)
    assert annotations_of(public, INGRESS)[ALB_SUBNETS] == "subnet-0000000a,subnet-0000000d"
    internal = run_dev(**BROUGHT, workload={**alb, "scheme": "internal"})
    assert annotations_of(internal, INGRESS)[ALB_SUBNETS] == "subnet-0000000b,subnet-0000000c"
    assert ALB_SUBNETS not in annotations_of(run_dev(workload=alb), INGRESS)
    # Auto Mode: the class parameters carry them (its ALB takes scheme and subnets from there)
    auto = {"computeMode": "auto", "nodeGroups": [{"name": "general"}]}
    brought = run_dev(**BROUGHT, **auto, workload=alb)
    assert brought.one(PARAMS).inputs["spec"] == {
        "scheme": "internet-facing",
        "subnets": {"ids": ["subnet-0000000a", "subnet-0000000d"]},
    }
    assert ALB_SUBNETS not in annotations_of(brought, INGRESS)
    assert run_dev(**auto, workload=alb).one(PARAMS).inputs["spec"] == {"scheme": "internet-facing"}


def _brought_run(overrides, zones):
    """Error message (None when it deploys) and registrations of dev with a brought VPC whose
    subnets lie in ``zones`` (id -> zone)."""
    monitor = RecordingMonitor(PlatformMocks("us-west-2", subnet_zones=zones))
    try:
        run = run_stack(PROJECT_DIR, "dev", {**BROUGHT, **overrides}, monitor=monitor)
    except pulumi.RunError as error:
        return str(error), [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    return None, run


def test_brought_subnets_give_the_load_balancer_one_subnet_per_zone():
    """Two listed subnets in one zone: the controller would refuse the list (v3.5.0
    subnet_resolver.go validateSubnetsAZExclusivity), so the first of each zone goes in; an ALB
    left with one zone is refused before anything registers (negative control: two zones)."""
    same = {"subnet-0000000a": "us-west-2a", "subnet-0000000d": "us-west-2a"}
    three = [*BROUGHT["existingPublicSubnetIds"], "subnet-0000000e"]
    message, run = _brought_run(
        {"existingPublicSubnetIds": three},
        {**same, "subnet-0000000e": "us-west-2b"},
    )
    assert message is None
    assert annotations_of(run)[SUBNETS] == "subnet-0000000a,subnet-0000000e"
    message, registered = _brought_run({"workload": {"exposure": "alb"}}, same)
    assert message is not None
    assert "existing_public_subnet_ids = ['subnet-0000000a', 'subnet-0000000d']" in message
    assert "all in us-west-2a; an ALB needs subnets in at least two zones" in message
    assert registered == []
    message, _ = _brought_run({"workload": {"exposure": "alb"}}, {})
    assert message is None
