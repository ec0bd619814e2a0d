"""``Fleet``: one ``EksPlatform`` per region, on explicit providers, behind one name.

Traffic: users resolve ``domain`` in Route 53, which answers with the region of lowest latency
among those whose health check passes (latency records, ``set_identifier`` = region, each with
``health_check_id``; aws_route53_record and aws_route53_health_check in terraform-provider-aws
internal/service/route53/record.go and health_check.go). Each record is an alias to that
region's load balancer (the app's NLB or ALB, known by its DNS name) in the load balancer
type's hosted zone (aws_lb_hosted_zone_id's static table).

Route 53 is global: the records and health checks use a provider of their own (``<fleet>-dns``,
in us-east-1, Route 53's signing region), not a region's, so adding or removing any region never
moves them to another provider (a provider change would replace them, and a latency record
cannot be created while its twin still exists); no resource anywhere uses the default provider.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws

from .args.config import ConfigError, ConfigProblem
from .args.fleet import FleetArgs, platform_name
from .parts.dns import alias_record, hosted_zone_problem_for
from .platform import EksPlatform

ROUTE53_REGION = "us-east-1"
"""Route 53 is a global service signed in us-east-1 (AWS General Reference, Route 53 endpoints)."""


class Fleet(pulumi.ComponentResource):
    """Platforms in several regions; a latency-routed, health-checked name for users."""

    url: pulumi.Output[str]
    """https://<domain> (empty without a domain)."""
    regional_urls: pulumi.Output[dict[str, str]]
    """Region -> that region's app URL (its load balancer)."""
    cluster_names: pulumi.Output[dict[str, str]]
    """Region -> EKS cluster name."""
    kubeconfigs: pulumi.Output[dict[str, str]]
    """Region -> kubeconfig of its cluster (secret; ``aws eks get-token``, no static token)."""

    def __init__(
        self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-platform:index:Fleet", name, None, opts)
        self.platforms: dict[str, EksPlatform] = {}
        providers: dict[str, aws.Provider] = {}
        default_tags = aws.ProviderDefaultTagsArgs(tags=dict(args.tags or {}))
        dns = None
        if args.domain:
            dns = aws.Provider(
                f"{name}-dns",
                region=ROUTE53_REGION,
                default_tags=default_tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            # Before any region: the zone must be public and hold the name (the fleet's stack
            # has no default provider to ask, so this provider, the records' own, answers).
            found = hosted_zone_problem_for(
                args.domain, args.hosted_zone_id, pulumi.InvokeOptions(provider=dns)
            )
            if found:
                raise ConfigError([ConfigProblem("hostedZoneId", args.hosted_zone_id, found)])
        for region, platform_args in args.regions.items():
            # Logical names from the region only: adding a region creates, never replaces.
            providers[region] = aws.Provider(
                f"{name}-{region}",
                region=region,
                default_tags=default_tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.platforms[region] = EksPlatform(
                platform_name(name, region),
                platform_args.component_args(),
                pulumi.ResourceOptions(parent=self, providers=[providers[region]]),
            )
        self.regional_urls = self._by_region(lambda p: p.app_url)
        self.cluster_names = self._by_region(lambda p: p.cluster_name)
        self.kubeconfigs = pulumi.Output.secret(self._by_region(lambda p: p.kubeconfig))
        self.url = pulumi.Output.from_input("")
        if dns is not None:
            serving = [region for region in args.regions if region not in args.drain_regions]
            records = [self._latency_record(name, region, args, dns) for region in serving]
            self.url = pulumi.Output.all(*[r.fqdn for r in records]).apply(
                lambda _: f"https://{args.domain}"
            )
        self.register_outputs(
            {
                "url": self.url,
                "regionalUrls": self.regional_urls,
                "clusterNames": self.cluster_names,
                "kubeconfigs": self.kubeconfigs,
            }
        )

    def _by_region(
        self, output: Callable[[EksPlatform], pulumi.Output[str]]
    ) -> pulumi.Output[dict[str, str]]:
        """Region -> one output of that region's platform."""
        return pulumi.Output.all(*[output(p) for p in self.platforms.values()]).apply(
            lambda values: dict(zip(self.platforms, values, strict=True))
        )

    def _latency_record(
        self,
        name: str,
        region: str,
        args: FleetArgs,
        global_provider: aws.Provider,
    ) -> aws.route53.Record:
        """A health check on the region's load balancer and a latency alias record to it."""
        platform_args = args.regions[region]
        workload = platform_args.workload
        platform = self.platforms[region]
        check = aws.route53.HealthCheck(
            f"{name}-{region}-health",
            type="HTTPS",  # the fleet's regions always serve HTTPS (the name's certificate)
            fqdn=platform.app_hostname,
            port=443,
            resource_path=workload.health_check_path,
            request_interval=args.health_check_interval,
            failure_threshold=args.health_check_failure_threshold,
            tags={**dict(args.tags or {}), "Name": f"{name}-{region}"},
            opts=pulumi.ResourceOptions(parent=self, provider=global_provider),
        )
        return alias_record(
            f"{name}-{region}-latency",
            domain=args.domain,
            hosted_zone_id=args.hosted_zone_id,
            hostname=platform.app_hostname,
            load_balancer_type=workload.load_balancer_type,
            region=region,
            parent=self,
            latency_health_check=check.id,
            provider=global_provider,
        )
