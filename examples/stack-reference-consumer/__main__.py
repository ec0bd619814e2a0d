"""A team namespace on the shared platform, found through the platform stack's flat outputs."""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
platform = pulumi.StackReference(config.require("platformStack"))

provider = k8s.Provider("platform", kubeconfig=platform.require_output("kubeconfig"))
namespace = k8s.core.v1.Namespace(
    "team-a",
    metadata={
        "name": "team-a",
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
    },
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("namespace", namespace.metadata.apply(lambda metadata: metadata.name))
pulumi.export("clusterName", platform.require_output("clusterName"))
pulumi.export("privateSubnetIds", platform.require_output("privateSubnetIds"))
