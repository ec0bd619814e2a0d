"""A name for the app: an ACM certificate validated through Route 53, and an alias record.

Certificate: ``aws_acm_certificate`` with DNS validation, one validation CNAME in the user's
hosted zone, and ``aws_acm_certificate_validation``, which waits until ACM has issued it (its
create timeout is 75 minutes in terraform-provider-aws, internal/service/acm/
certificate_validation.go). Listeners take the validated ARN, so nothing uses a pending
certificate. Alias: an A record whose target is the load balancer the controller (or Auto Mode)
made, in that load balancer type's hosted zone for the region (data source
``aws_lb_hosted_zone_id``, a static table in internal/service/elbv2/hosted_zone_id_data_source.go).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..args.rules import zone_problem


def hosted_zone_problem_for(
    domain: str, hosted_zone_id: str, invoke: pulumi.InvokeOptions | None
) -> str | None:
    """Why ``domain`` cannot go into the hosted zone ``hosted_zone_id`` (None if it can), from the
    zone itself (``aws:route53/getZone``, registers nothing). The data source gives the zone's
    name without the final dot and ``private_zone`` from GetHostedZone's Config.PrivateZone
    (terraform-provider-aws internal/service/route53/zone_data_source.go). Route 53 is global:
    any region's provider answers."""
    zone = aws.route53.get_zone(zone_id=hosted_zone_id, opts=invoke)
    return zone_problem(domain, zone.name, bool(zone.private_zone))


@dataclass(frozen=True)
class CertificateArgs:
    """A DNS-validated ACM certificate for one name."""

    domain: str
    """The name the certificate is for (no wildcard, no alternative names)."""
    hosted_zone_id: str
    """Route 53 hosted zone the validation record goes into."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on the certificate."""
    keep_validation_record: bool = False
    """Leave the validation CNAME in the zone on delete: other regions' certificates for the same
    name (a fleet) validate and renew through the same record."""


class Certificate(pulumi.ComponentResource):
    """An ACM certificate, its validation record and the wait for its issue."""

    arn: pulumi.Output[str]
    """The certificate's ARN, known once ACM has issued it."""

    def __init__(
        self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-platform:index:Certificate", name, None, opts)
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.domain,
            validation_method="DNS",
            tags={**args.tags, "Name": args.domain},
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One name, so one validation option (ACM returns one per name: domain_name plus
        # subject_alternative_names). Indexing it keeps the record out of an apply.
        option = certificate.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-validation-record",
            zone_id=args.hosted_zone_id,
            name=option.resource_record_name.apply(lambda v: v or ""),
            type=option.resource_record_type.apply(lambda v: v or "CNAME"),
            records=[option.resource_record_value.apply(lambda v: v or "")],
            ttl=300,
            # ACM gives the same CNAME for the same name in one account (the record a previous
            # certificate for this name left, or another region's certificate, is this one).
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.keep_validation_record),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = validation.certificate_arn
        self.register_outputs({"arn": self.arn})


def alias_record(
    name: str,
    *,
    domain: str,
    hosted_zone_id: str,
    hostname: pulumi.Input[str],
    load_balancer_type: str,
    region: str,
    parent: pulumi.Resource,
    latency_health_check: pulumi.Input[str] | None = None,
    provider: pulumi.ProviderResource | None = None,
) -> aws.route53.Record:
    """An A alias from ``domain`` to a load balancer the cluster made (known by its DNS name;
    ``load_balancer_type`` application or network). With ``latency_health_check``, one of a
    name's latency records (``set_identifier`` = ``region``), answered while that check passes.
    """
    # The controller and Auto Mode name load balancers; only their DNS names reach Pulumi.
    # The zone comes from the provider's static table keyed by ``region`` (terraform-provider-aws
    # internal/service/elbv2/hosted_zone_id_data_source.go), so any provider with a region
    # answers; ``provider`` is the record's own (a fleet's parent has none: without it the
    # lookup would go to the default provider, which a fleet's stack gives no region).
    target_zone = aws.lb.get_hosted_zone_id_output(
        load_balancer_type=load_balancer_type,
        region=region,
        opts=pulumi.InvokeOptions(parent=parent, provider=provider),
    ).id
    latency = latency_health_check is not None
    return aws.route53.Record(
        name,
        zone_id=hosted_zone_id,
        name=domain,
        type="A",
        set_identifier=region if latency else None,
        latency_routing_policies=(
            [aws.route53.RecordLatencyRoutingPolicyArgs(region=region)] if latency else None
        ),
        health_check_id=latency_health_check,
        aliases=[
            aws.route53.RecordAliasArgs(
                name=hostname, zone_id=target_zone, evaluate_target_health=True
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
