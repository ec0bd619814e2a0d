"""Entry point of the component as a Pulumi plugin (PulumiPlugin.yaml): hosts EksPlatform so
TypeScript, Go, YAML and other programs can use it after `pulumi package add`."""

from pulumi.provider.experimental import component_provider_host

from eks_platform import EksPlatform
from eks_platform.generate.schema import PACKAGE, version

if __name__ == "__main__":
    component_provider_host([EksPlatform], PACKAGE, version=version())
