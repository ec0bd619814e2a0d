"""The fleet program: one platform per region of the stack's ``regions``, one name for users."""

import pulumi

from eks_platform import ConfigError
from eks_platform.args.fleet import validate_fleet_args
from eks_platform.fleet import Fleet
from eks_platform.stack_config import project_config

try:
    namespace = pulumi.get_project()
    name = "fleet"  # short and fixed: platforms are <fleet>-<region>, physical names add the stack
    args = validate_fleet_args(project_config(namespace), name=name, namespace=namespace)
    fleet = Fleet(name, args)
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

pulumi.export("url", fleet.url)
pulumi.export("regionalUrls", fleet.regional_urls)
pulumi.export("clusterNames", fleet.cluster_names)
pulumi.export("kubeconfigs", fleet.kubeconfigs)
pulumi.export("regions", list(args.regions))
