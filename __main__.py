"""The EKS platform stack: config -> validated args -> EksPlatform -> outputs."""

import pulumi

from eks_platform import ConfigError, EksPlatform, default_platform_name, load_platform_args

try:
    args = load_platform_args()
    # Named after the project and stack, never after config: renaming the cluster replaces
    # the cluster, not the VPC and everything else. 0.2.0 named it after the cluster: an alias
    # moves such stacks' resources over; the engine derives each child's alias from it, since
    # children are named "<platform>-..." (pulumi/pulumi pkg/resource/deploy/step_generator.go,
    # inheritedChildAlias, read at v3.259).
    name = default_platform_name()
    legacy = [pulumi.Alias(name=args.cluster_name)] if args.cluster_name != name else None
    platform = EksPlatform(name, args.component_args(), pulumi.ResourceOptions(aliases=legacy))
except ConfigError as error:
    # RunError ends the program with the message alone, no traceback.
    raise pulumi.RunError(str(error)) from None

# Flat outputs, stable for StackReference consumers (README "Outputs").
pulumi.export("clusterName", platform.cluster_name)
pulumi.export("clusterEndpoint", platform.endpoint)
pulumi.export("kubeconfig", platform.kubeconfig)
pulumi.export("oidcProviderArn", platform.oidc_provider_arn)
pulumi.export("nodeRoleArn", platform.node_role_arn)
pulumi.export("nodeSecurityGroupId", platform.node_security_group_id)
pulumi.export("region", platform.region)
pulumi.export("availabilityZones", platform.availability_zones)
pulumi.export("vpcId", platform.vpc_id)
pulumi.export("publicSubnetIds", platform.public_subnet_ids)
pulumi.export("privateSubnetIds", platform.private_subnet_ids)
if args.workload.enabled:
    pulumi.export("appUrl", platform.app_url)
    pulumi.export("appHostname", platform.app_hostname)
