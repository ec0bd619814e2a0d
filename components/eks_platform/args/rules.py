"""Building blocks shared by the argument models: model settings, error construction, name rules."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from typing_extensions import LiteralString

MODEL_CONFIG = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    extra="forbid",
    frozen=True,
    use_attribute_docstrings=True,
    # Defaults go through the validators too: the default zone count must fit the region, and
    # an existing VPC with its subnet lists left out must be reported.
    validate_default=True,
)

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# Kubernetes qualified names (label and taint keys, label values), apimachinery validation.go.
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
LABEL_NAME_PATTERN = re.compile(rf"{_NAME}")
DNS_SUBDOMAIN_PATTERN = re.compile(rf"{_DNS_SUBDOMAIN}")
DNS_LABEL_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

# Pod Security Admission: the namespace only admits pods meeting the restricted profile.
RESTRICTED_NAMESPACE_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
}


def problem(message: LiteralString, **context: Any) -> PydanticCustomError:
    """A validation error whose message is shown to the user as is."""
    return PydanticCustomError("platform_config", message, context or None)


def resource_name(value: str, pattern: re.Pattern[str], max_length: int) -> str:
    """AWS names: letters, digits, '-' and '_', starting alphanumeric."""
    if not pattern.fullmatch(value):
        raise problem(
            "must be 1-{max_length} letters, digits, '-' or '_', starting with a letter or digit",
            max_length=max_length,
        )
    return value


def malformed_networks(cidrs: list[str], *, ipv4_only: bool) -> list[str]:
    """The entries that are not networks in canonical CIDR notation, each with what to write
    instead where there is one: host bits set, a netmask (10.0.0.0/255.255.0.0) or no prefix
    length are sent to AWS as written, so they are refused here rather than guessed at."""
    parse = ipaddress.IPv4Network if ipv4_only else ipaddress.ip_network
    malformed = []
    for cidr in cidrs:
        try:
            network = parse(cidr, strict=True)
        except (ValueError, TypeError):
            malformed.append(str(cidr))
            continue
        if str(network) != cidr:
            malformed.append(f"{cidr} (write {network})")
    return malformed


def open_to_internet(cidrs: list[str]) -> bool:
    """Whether IPv4 ranges together admit every address, however they are split
    (0.0.0.0/0, or 0.0.0.0/1 with 128.0.0.0/1, ...). Entries that do not parse count for none."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.IPv4Network(cidr, strict=False))
        except (ValueError, TypeError):
            continue
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks)) == 2**32


def retention_days(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise problem(
            "must be one of {allowed}",
            allowed=", ".join(str(days) for days in LOG_RETENTION_DAYS),
        )
    return value


def label_key_problem(key: str, *, node: bool = False) -> str | None:
    """Why ``key`` is not a valid Kubernetes label or taint key, or None. ``node``: the label
    is set by the kubelet, which may not use the kubernetes.io and k8s.io prefixes."""
    prefix, _, name = key.rpartition("/")
    if not name or len(name) > 63 or not LABEL_NAME_PATTERN.fullmatch(name):
        return (
            f"{key!r}: name must be 1-63 alphanumerics, '-', '_' or '.', alphanumeric at the ends"
        )
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN_PATTERN.fullmatch(prefix)):
        return f"{key!r}: prefix must be a DNS subdomain"
    if node and prefix.endswith(("kubernetes.io", "k8s.io", "eks.amazonaws.com")):
        # Kubelets may not set labels under the Kubernetes prefixes (NodeRestriction admission
        # plugin); EKS sets its own under eks.amazonaws.com (eks.amazonaws.com/nodegroup, ...).
        return f"{key!r}: prefixes kubernetes.io, k8s.io and eks.amazonaws.com are reserved"
    if node and key in RESERVED_NODE_LABELS:
        return f"{key!r}: reserved: {RESERVED_NODE_LABELS[key]}"
    return None


RESERVED_NODE_LABELS = {
    "nodegroup": "the platform sets it to the node group's name, and Karpenter's controller and "
    "the system pods are scheduled by it",
}


def label_value_problem(key: str, value: str) -> str | None:
    """Why ``value`` is not a valid Kubernetes label (or taint) value, or None."""
    if value and (len(value) > 63 or not LABEL_NAME_PATTERN.fullmatch(value)):
        return f"{key}={value!r}: value must be empty or 1-63 alphanumerics, '-', '_' or '.'"
    return None


def check_labels(labels: dict[str, str], *, node: bool = False) -> dict[str, str]:
    """Every label problem at once (``node``: labels the kubelet sets on its node)."""
    problems = [
        found
        for key, value in labels.items()
        for found in (label_key_problem(key, node=node), label_value_problem(key, value))
        if found
    ]
    if problems:
        raise problem("invalid labels: {problems}", problems="; ".join(problems))
    return labels


def principal_of(arn: str) -> str | None:
    """The IAM role or user behind a caller ARN: an assumed-role session maps to its role
    (``arn:aws:sts::1:assumed-role/Ops/s`` -> ``arn:aws:iam::1:role/Ops``); None for others
    (root, federated users), which cannot be listed as principals here anyway."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    _, partition, service, _, account, resource = parts
    kind, _, rest = resource.partition("/")
    if service == "sts" and kind == "assumed-role" and "/" in rest:
        return f"arn:{partition}:iam::{account}:role/{rest.split('/', 1)[0]}"
    if service == "iam" and kind in ("role", "user") and rest:
        return arn
    return None


def principal_identity(arn: str) -> tuple[str, str, str]:
    """(account, role|user, name): role and user names are unique per account, paths aside."""
    _, _, _, _, account, resource = arn.split(":", 5)
    kind, _, rest = resource.partition("/")
    return account, kind, rest.rsplit("/", 1)[-1]


# --- numbers -----------------------------------------------------------------------------------

INT32_MAX = 2**31 - 1
"""Kubernetes replica counts and quantities are int32 (apimachinery); larger ones are refused."""
MAX_NODES_PER_GROUP = 450
"""EKS service quota "Nodes per managed node group" (Amazon EKS service quotas page)."""


def _whole_number(value: Any) -> Any:
    """Counts are whole numbers: 2.0 and True are refused rather than read as 2 and 1, and a
    numeric string (Pulumi hands config over as text) may have at most 10 digits."""
    if isinstance(value, (bool, float)):
        raise problem("must be a whole number")
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]{1,10}", value.strip()):
        raise problem("must be a whole number")
    return value


Count = Annotated[int, BeforeValidator(_whole_number)]
"""An int field that refuses floats, booleans and over-long numeric strings."""


MAX_VALUES_DEPTH = 32


def json_value_problem(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Why ``value`` cannot travel as Helm values (JSON to the engine, YAML to Helm), or None:
    maps with string keys, lists, strings, booleans, null, finite numbers, integers that fit
    int64 (YAML's and Kubernetes' largest), nested at most 32 deep."""
    where = path or "the value"
    if depth > MAX_VALUES_DEPTH:
        return f"{where}: nested deeper than {MAX_VALUES_DEPTH} levels"
    children: list[tuple[str, Any]] = []
    problem_here = None
    if isinstance(value, dict):
        bad_keys = [key for key in value if not isinstance(key, str)]
        problem_here = f"{where}: key {bad_keys[0]!r} is not a string" if bad_keys else None
        children = [(f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
    elif isinstance(value, (list, tuple)):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        pass
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            problem_here = f"{where}: {value} does not fit in 64 bits"
    elif isinstance(value, float):
        problem_here = None if math.isfinite(value) else f"{where}: {value} is not finite"
    else:
        problem_here = f"{where}: a {type(value).__name__} is not a JSON value"
    if problem_here:
        return problem_here
    return next(
        (
            found
            for child, item in children
            if (found := json_value_problem(item, child, depth + 1))
        ),
        None,
    )


# --- derived names ----------------------------------------------------------------------------

COMPONENT_NAME_MAX = 24
"""Longest EksPlatform name: every logical name starts with it, and Pulumi's auto-naming adds
8 characters. The tightest suffix is pulumi-eks's Auto Mode node role, ``<platform>-control-
plane-eks-nodeRole-role`` (``-control-plane-eks`` is ours, ``-nodeRole-role`` pulumi-eks's,
cluster.ts:626-647): 64 - 8 - 32 = 24. Everything else of ours is at most 32 characters past the
name where the limit is 64 (Karpenter's rule targets, the Fargate role). ``tests/test_names.py``
plans the longest accepted inputs in every mode and checks every name against its limit."""
COMPONENT_NAME_PATTERN = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?")
NODE_GROUP_NAME_BUDGET = 46
"""``<component>-compute-<group>`` plus 8 auto-naming characters is the node group's name,
at most 63 (it becomes the label eks.amazonaws.com/nodegroup): component + group <= 46."""


def component_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name an EksPlatform, or None."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if len(name) > COMPONENT_NAME_MAX or not COMPONENT_NAME_PATTERN.fullmatch(name):
        return (
            f"must be 1-{COMPONENT_NAME_MAX} letters, digits or '-', starting and ending with a "
            "letter or digit (every resource's name starts with it)"
        )
    return None


def fitted_name(text: str, max_length: int) -> str:
    """``text`` made a valid name of at most ``max_length``: characters other than letters,
    digits and '-' become '-', and an over-long name keeps its start and a stable hash."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "platform"
    if len(cleaned) <= max_length:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{cleaned[: max_length - 7].rstrip('-')}-{digest}"


# --- DNS names, hosted zones and certificates (the app's name; a fleet's global name) ----------

DOMAIN_MAX = 253
"""RFC 1035 §2.3.4: 255 octets on the wire, 253 characters written out without the final dot;
ACM's RequestCertificate DomainName is 1-253 characters (ACM API reference)."""
_DOMAIN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# Route 53 hosted zone ids: 'Z' then upper-case letters and digits (ResourceId, max 32 characters
# in the Route 53 API reference); the console and the API also write them as /hostedzone/Z...
HOSTED_ZONE_ID_PATTERN = re.compile(r"Z[0-9A-Z]{1,31}")
CERTIFICATE_ARN_PATTERN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):acm:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d):"
    r"(?P<account>\d{12}):"
    r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def domain_problem(value: str) -> str | None:
    """Why ``value`` cannot name the app (None if it can): a lower-case fully qualified name of
    at least two labels, each 1-63 letters, digits and '-' not at either end, 253 at most, no
    wildcard (the platform points exactly this name at the load balancer). ACM's DomainNameString
    (botocore acm service-2.json): 1-253 characters, labels of at most 63, '*.' only leftmost."""
    labels = value.split(".")
    bad = [label or "(empty)" for label in labels if not _DOMAIN_LABEL.fullmatch(label)]
    checks = (
        (value.endswith("."), "write it without the final dot"),
        (value != value.lower(), "must be lower case (Route 53 stores names lower case)"),
        (value.startswith("*"), "must not be a wildcard: the certificate and alias are for it"),
        (len(value) > DOMAIN_MAX, f"is {len(value)} characters; DNS names have <= {DOMAIN_MAX}"),
        (len(labels) < 2, "must be a fully qualified name such as app.example.com"),
        (
            bool(bad),
            "has labels that are not 1-63 letters, digits or '-' (not first or last): "
            + ", ".join(bad),
        ),
        (labels[-1].isdigit(), "must end in a top-level domain, not a number"),
    )
    return next((message for failed, message in checks if failed), None)


def hosted_zone_problem(value: str) -> str | None:
    """Why ``value`` is not a Route 53 hosted zone id (None if it is)."""
    if value.startswith("/hostedzone/"):
        return f"write the id alone: {value.removeprefix('/hostedzone/')}"
    if not HOSTED_ZONE_ID_PATTERN.fullmatch(value):
        return "must be a Route 53 hosted zone id: Z followed by upper-case letters and digits"
    return None


def certificate_arn_problem(value: str, region: str | None) -> str | None:
    """Why ``value`` is not an ACM certificate a load balancer in ``region`` can use (None if it
    is). An ALB or NLB listener takes certificates of its own region only (ACM user guide,
    'Supported Regions': certificates are regional; only CloudFront reads us-east-1's)."""
    match = CERTIFICATE_ARN_PATTERN.fullmatch(value)
    if not match:
        return "must be an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<uuid>"
    if region and match.group("region") != region:
        return (
            f"is a certificate in {match.group('region')}; a load balancer in {region} can only "
            f"use certificates of {region} (request or import it there)"
        )
    return None


def certificate_account_problem(value: str, account_id: str) -> str | None:
    """Why the load balancers of ``account_id`` cannot use certificate ``value`` (None if they can
    or it is no certificate ARN). ACM certificates belong to one account and are not shared with
    others (ACM user guide; the account clause not re-read here): a listener naming another
    account's certificate is refused (CertificateNotFound)."""
    match = CERTIFICATE_ARN_PATTERN.fullmatch(value)
    if match and match.group("account") != account_id:
        return (
            f"is a certificate of account {match.group('account')}; this stack deploys into "
            f"account {account_id}, whose load balancers can only use its own certificates"
        )
    return None


def zone_problem(domain: str, zone_name: str, private: bool) -> str | None:
    """Why ``domain`` cannot be published and validated in the hosted zone ``zone_name`` (None if
    it can): ACM's validators and the users resolve it on the internet, so the zone must be
    public, and the name must lie in it (the zone itself or below it)."""
    zone = zone_name.rstrip(".").lower()
    if private:
        return (
            f"is a private hosted zone ({zone}): ACM cannot see the validation record there (the "
            "certificate would wait 75 minutes and fail) and users cannot resolve the name; "
            "give a public hosted zone"
        )
    if domain != zone and not domain.endswith(f".{zone}"):
        return (
            f"is the hosted zone of {zone}, which does not contain {domain}: Route 53 refuses "
            "records outside a zone's name; give the zone of the domain's parent"
        )
    return None


OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"
"""The EKS add-on of Container Insights (parts.observability installs it)."""
CONTAINER_INSIGHTS_PREFIX = "/aws/containerinsights/"
"""Where the CloudWatch observability add-on's agents write, ``<prefix><cluster>/<kind>``
(parts.observability); the cost model and the change forecast recognise the groups by it."""
PLATFORM_TAG_KEYS = ("project", "stack", "managed-by", "environment")
"""Tags the platform sets itself (``platform.common_tags`` builds them from these keys);
``environment`` drives the policy pack."""
MAX_EXTRA_TAGS = 30
"""AWS allows 50 tags per resource; the platform's own, Name, and what EKS and Karpenter add
(eks:*, kubernetes.io/cluster/*, karpenter.sh/*: about ten) take the rest."""
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
RESERVED_TAG_PREFIXES = (
    "kubernetes.io/",
    "k8s.io/",
    "eks:",
    "karpenter.sh/",
    "karpenter.k8s.aws/",
    "elbv2.k8s.aws/",
    "service.k8s.aws/",
    "ingress.k8s.aws/",
)
"""Tags that EKS, Karpenter and the load balancer controller set and read: Karpenter's
EC2NodeClass refuses kubernetes.io/cluster*, eks:eks-cluster-name, karpenter.sh/nodepool,
karpenter.sh/nodeclaim and karpenter.k8s.aws/ec2nodeclass (karpenter 1.14.1 CRD
karpenter.k8s.aws_ec2nodeclasses.yaml:710-719), kubernetes.io/role/elb on a subnet decides
where load balancers go, and the controller finds its own resources by its prefixes."""


def tags_problem(tags: object) -> str | None:
    """Why ``tags`` cannot be added to every resource (None if they can). AWS tag rules (Tagging
    AWS resources, 'Tag naming limits and requirements'): keys of 1-128 and values of 0-256
    characters, letters, digits, spaces and ``_ . : / = + - @``, no ``aws:`` prefix. The load
    balancer controller reads them from an annotation of ``key=value`` pairs split at the first
    ``=`` and trimmed (aws-load-balancer-controller v3.5.0 pkg/annotations/parser.go:158), so a
    key may not hold ``=`` nor either side start or end with a space."""
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        return "must map tag keys to text values"
    if len(tags) > MAX_EXTRA_TAGS:
        return f"has {len(tags)} tags; at most {MAX_EXTRA_TAGS} (AWS allows 50 per resource)"
    return next(filter(None, (_tag_problem(k, v) for k, v in tags.items())), None)


def _tag_problem(key: str, value: str) -> str | None:
    checks = (
        (
            not 0 < len(key) <= 128 or len(value) > 256,
            f"{key!r}: keys have 1-128 characters, values at most 256",
        ),
        (key.lower().startswith("aws:"), f"{key!r}: the aws: prefix is reserved for AWS"),
        (
            key.startswith(RESERVED_TAG_PREFIXES),
            f"{key!r}: EKS, Karpenter or the load balancer controller set and read this tag",
        ),
        (key in PLATFORM_TAG_KEYS, f"{key!r} is one of the platform's own tags"),
        (
            not (_TAG_TEXT.fullmatch(key) and _TAG_TEXT.fullmatch(value)) or "=" in key,
            f"{key}={value}: letters, digits, spaces and _ . : / + - @ only (and = in values)",
        ),
        (
            key != key.strip() or value != value.strip(),
            f"{key!r}: no space at the start or end of a key or value",
        ),
    )
    return next((message for failed, message in checks if failed), None)
