"""The fleet under recording mocks: regions on their own providers, the global name, the
overlap check, bad input per key, and the fleet plan."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest
import yaml

from eks_platform.args.fleet import FLEET_KEYS
from eks_platform.offline import run_stack
from eks_platform.offline.checks.preflight import Finding
from eks_platform.offline.cli import main as plan_main
from eks_platform.offline.model.mocks import PlatformMocks
from eks_platform.offline.model.recorder import RecordingMonitor
from eks_platform.offline.report.fleet import build_fleet_plan, diff_fleets, to_mermaid
from eks_platform.offline.report.fleet import main as fleet_main

FLEET_DIR = Path(__file__).resolve().parent.parent / "fleet"
sys.path.insert(0, str(FLEET_DIR.parent / "policy"))
from offline import evaluate  # noqa: E402 (the policy pack's offline runner)

NAME = {"domain": "app.example.com", "hostedZoneId": "Z0123456789ABC"}
THIRD = {"region": "ap-northeast-2", "vpcCidr": "10.30.0.0/16", "availabilityZoneCount": 2,
         "publicAccessCidrs": ["203.0.113.0/24"], "workload": {"replicas": 2, "exposure": "alb"}}  # fmt: skip


def regions(extra=()):
    """The shipped stack's regions, and more."""
    config = yaml.safe_load((FLEET_DIR / "Pulumi.global.yaml").read_text())["config"]
    return [*config["eks-fleet:regions"], *extra]


def run_fleet(**overrides):
    return run_stack(FLEET_DIR, "global", overrides)


def provider_regions(run):
    return {p.urn: p.inputs["region"] for p in run.by_type("pulumi:providers:aws")}


@pytest.mark.parametrize("count", [2, 3])
def test_every_aws_resource_is_on_its_regions_provider(count):
    run = run_fleet(regions=regions([THIRD] if count == 3 else []), **NAME)
    providers = provider_regions(run)
    dns = next(urn for urn in providers if urn.endswith("::fleet-dns"))
    assert providers.pop(dns) == "us-east-1"  # Route 53's own, whatever the regions
    assert sorted(providers.values()) == sorted(
        ["us-east-1", "eu-west-1", "ap-northeast-2"][:count]
    )
    clusters = run.by_type("eks:index:Cluster")
    assert len(clusters) == count
    for registration in run.registrations:
        if not registration.custom or not registration.type.startswith(("aws:", "eks:")):
            continue
        provider = (registration.provider or "").rsplit("::", 1)[0]
        if registration.type.startswith("aws:route53/") and registration.parent.endswith("::fleet"):
            assert provider == dns, registration.name
            continue
        assert provider in providers, f"{registration.name} is on the default provider"
        region = next((r for r in providers.values() if f"fleet-{r}-" in registration.name), None)
        assert region and providers[provider] == region, registration.name
    assert run.outputs["url"] == "https://app.example.com"
    assert sorted(run.outputs["regionalUrls"]) == sorted(providers.values())


def test_removing_the_first_region_leaves_the_other_records_alone():
    """The records' provider belongs to no region: dropping us-east-1 changes nothing of
    eu-west-1's name records (on a region's provider they would be replaced)."""
    base = build_fleet_plan(run_fleet(**NAME)).to_json()
    without = [r for r in regions() if r["region"] != "us-east-1"]
    diff = diff_fleets(base, build_fleet_plan(run_fleet(regions=without, **NAME)).to_json())
    assert list(diff.regions) == ["us-east-1"]
    assert {c.action for c in diff.regions["us-east-1"].forecast} == {"delete"}


def test_latency_records_and_health_checks_per_region():
    run = run_fleet(regions=regions([THIRD]), **NAME, healthCheckInterval=10)
    checks = {c.name: c for c in run.by_type("aws:route53/healthCheck:HealthCheck")}
    records = [r for r in run.by_type("aws:route53/record:Record") if r.inputs.get("setIdentifier")]
    assert len(checks) == len(records) == 3
    for record in records:
        region = record.inputs["setIdentifier"]
        assert record.inputs["name"] == "app.example.com"
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        check = checks[f"fleet-{region}-health"]
        assert record.inputs["healthCheckId"] == check.resource_id
        assert check.inputs["type"] == "HTTPS"
        assert check.inputs["resourcePath"] == "/healthz"
        assert check.inputs["requestInterval"] == 10
        assert check.inputs["fqdn"] == record.inputs["aliases"][0]["name"]
        assert record.inputs["aliases"][0]["evaluateTargetHealth"] is True
    # Each region's platform makes its certificate for the name, but no alias of its own, and
    # keeps the shared validation record on delete.
    assert len(run.by_type("aws:acm/certificate:Certificate")) == 3
    plain = [r for r in run.by_type("aws:route53/record:Record") if r.name.endswith("-app-record")]
    assert plain == []


def test_no_lookup_goes_to_the_default_provider():
    """The fleet's stack has no aws:region: an invoke on the default provider would fail with
    "Missing region" (the latency records' zone lookup did, before it took their provider)."""
    mocks = PlatformMocks("us-east-1")
    run_stack(FLEET_DIR, "global", {**NAME}, monitor=RecordingMonitor(mocks))
    assert mocks.default_provider_calls == []


def test_shared_tags_reach_what_each_cluster_makes():
    """The providers' default tags do not reach load balancers the controller makes: the
    platforms carry the fleet's tags into the Service annotation; a region's own tags win."""
    own = [dict(r, tags={"team": "emea"}) if r["region"] == "eu-west-1" else r for r in regions()]
    run = run_fleet(regions=own)
    annotation = "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"
    services = {s.name: s.inputs["metadata"]["annotations"][annotation] for s in run.by_type("kubernetes:core/v1:Service") if annotation in s.inputs["metadata"].get("annotations", {})}  # fmt: skip
    assert "team=platform" in services["fleet-us-east-1-app-service"]
    assert "cost-center=eks-fleet" in services["fleet-eu-west-1-app-service"]
    assert "team=emea" in services["fleet-eu-west-1-app-service"]
    vpc = next(v for v in run.by_type("aws:ec2/vpc:Vpc") if v.name.startswith("fleet-eu-west-1"))
    assert vpc.inputs["tags"]["team"] == "emea" and vpc.inputs["tags"]["stack"] == "global"


def test_without_a_name_the_outputs_list_regional_urls():
    run = run_fleet()
    assert run.by_type("aws:route53/record:Record") == []
    assert run.outputs["url"] == ""
    for region, url in run.outputs["regionalUrls"].items():
        assert url.startswith("http://") and f".elb.{region}.amazonaws.com" in url
    assert "kubeconfigs" in run.secret_outputs
    assert sorted(run.outputs["kubeconfigs"]) == sorted(run.outputs["regionalUrls"])


def test_a_drained_region_leaves_the_name_but_stays():
    run = run_fleet(**NAME, drainRegions=["eu-west-1"])
    records = [r.inputs["setIdentifier"] for r in run.by_type("aws:route53/record:Record") if r.inputs.get("setIdentifier")]  # fmt: skip
    checks = [c.name for c in run.by_type("aws:route53/healthCheck:HealthCheck")]
    assert records == ["us-east-1"] and checks == ["fleet-us-east-1-health"]
    assert len(run.by_type("eks:index:Cluster")) == 2


def bad(**overrides):
    monitor = RecordingMonitor(PlatformMocks("us-east-1"))
    with pytest.raises(pulumi.RunError) as caught:
        run_stack(FLEET_DIR, "global", overrides, monitor=monitor)
    registered = [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    return str(caught.value), registered


OVERLAP = {**THIRD, "vpcCidr": "10.10.128.0/17"}
CASES = {
    "overlap": ({"regions": regions([OVERLAP])}, "regions[ap-northeast-2].vpcCidr", "overlaps us-east-1's 10.10.0.0/16"),
    "region-twice": ({"regions": regions([{**THIRD, "region": "us-east-1", "vpcCidr": "10.30.0.0/16"}])}, "regions[us-east-1]", "listed twice"),
    "region-unknown": ({"regions": regions([{**THIRD, "region": "moon-1"}])}, "regions[moon-1].region", "is not an AWS region"),
    "region-setting": ({"regions": regions([{**THIRD, "natMode": "double"}])}, "regions[ap-northeast-2].natMode", "'none', 'single'"),
    "no-regions": ({"regions": []}, "regions", "at least one region"),
    "region-not-object": ({"regions": ["us-east-1"]}, "regions[0]", "an object with a region"),
    "domain": ({"domain": "App.Example.com", "hostedZoneId": "Z0123456789ABC"}, "domain", "lower case"),
    "domain-without-zone": ({"domain": "app.example.com"}, "hostedZoneId", "required with domain"),
    "zone-without-domain": ({"hostedZoneId": "Z0123456789ABC"}, "hostedZoneId", "needs domain"),
    "zone-malformed": ({**NAME, "hostedZoneId": "zone"}, "hostedZoneId", "Z followed by"),
    "interval": ({"healthCheckInterval": 15}, "healthCheckInterval", "10 or 30"),
    "threshold": ({"healthCheckFailureThreshold": 11}, "healthCheckFailureThreshold", "1-10"),
    "tags": ({"tags": {"": "x"}}, "tags", "keys have 1-128 characters"),
    "tags-reserved": ({"tags": {"environment": "prod"}}, "tags", "the platform's own tags"),
    "region-tags": ({"regions": regions([{**THIRD, "tags": {"aws:team": "x"}}])}, "regions[ap-northeast-2].tags", "aws: prefix is reserved"),
    "unknown-key": ({"regionz": []}, "regionz", "unknown key"),
    "region-sets-the-name": ({**NAME, "regions": regions([{**THIRD, "workload": {"domain": "other.example.com"}}])}, "regions[ap-northeast-2].workload.domain", "the fleet's to set"),
    "drain-unknown": ({**NAME, "drainRegions": ["ap-south-1"]}, "drainRegions", "not among the regions"),
    "drain-all": ({**NAME, "drainRegions": ["us-east-1", "eu-west-1"]}, "drainRegions", "the name would answer nothing"),
    "drain-without-name": ({"drainRegions": ["us-east-1"]}, "drainRegions", "needs domain"),
    "drain-not-list": ({**NAME, "drainRegions": "us-east-1"}, "drainRegions", "must list region names"),
    "tags-too-many-for-health-checks": ({**NAME, "tags": {f"k{i}": "v" for i in range(10)}}, "tags", "at most 9"),
    "region-workload-not-object": ({**NAME, "regions": regions([{**THIRD, "workload": "x"}])}, "regions[ap-northeast-2].workload", "valid dictionary"),
    "drain-invalid-region": ({**NAME, "drainRegions": ["ap-northeast-2"], "regions": regions([{**THIRD, "natMode": "double"}])}, "regions[ap-northeast-2].natMode", "'none', 'single'"),
    "internal-app-with-name": ({**NAME, "regions": regions([{**THIRD, "workload": {"scheme": "internal"}}])}, "regions[ap-northeast-2].workload", "internet-facing app in every region"),
    "source-ranges-with-name": ({**NAME, "regions": regions([{**THIRD, "workload": {"sourceRanges": ["198.51.100.0/24"]}}])}, "regions[ap-northeast-2].workload.sourceRanges", "drop Route 53's health checkers"),
    "tls13-only-with-name": ({**NAME, "regions": regions([{**THIRD, "workload": {"exposure": "alb", "tls": {"sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}}}])}, "regions[ap-northeast-2].workload.tls.sslPolicy", "TLS 1.0, 1.1 or 1.2"),
    "name-in-region-without-alias-zone": ({**NAME, "regions": regions([{**THIRD, "region": "ap-southeast-6"}])}, "regions[ap-southeast-6].workload", "table without ap-southeast-6"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_fleet_input_is_refused_before_anything_is_registered(case):
    overrides, key, allowed = CASES[case]
    message, registered = bad(**overrides)
    assert registered == []
    line = next((line for line in message.splitlines() if f"- eks-fleet:{key} = " in line), None)
    assert line is not None, message
    assert allowed in line, line


def test_all_regions_problems_are_reported_together():
    message, _ = bad(regions=regions([{**OVERLAP, "natMode": "double"}]), healthCheckInterval=15)
    assert "regions[ap-northeast-2].natMode" in message
    assert "healthCheckInterval" in message
    assert "overlaps" not in message or "vpcCidr" in message


def test_the_fleet_plan_per_region_and_in_total():
    plan = build_fleet_plan(run_fleet(regions=regions([THIRD]), **NAME))
    assert [r.region for r in plan.regions] == ["us-east-1", "eu-west-1", "ap-northeast-2"]
    for region in plan.regions:
        assert region.resources > 50
        assert region.monthly_usd > 0
        assert region.kubernetes_version == "1.35"
        assert region.end_of_standard_support == "2027-03-27"
        assert region.addons["vpc-cni"].startswith("v1.")
        assert region.findings == []
    document = plan.to_json()
    assert document["total"]["monthly_usd"] == pytest.approx(
        sum(r.monthly_usd for r in plan.regions)
    )
    drawing = to_mermaid(plan)
    assert "app.example.com" in drawing and drawing.count("lowest latency, healthy") == 3


def test_each_extra_region_costs_about_one_platform():
    two = build_fleet_plan(run_fleet()).monthly_usd
    three = build_fleet_plan(run_fleet(regions=regions([THIRD]))).monthly_usd
    assert 100 < three - two < 400


def test_fleet_plan_command_prints_json():
    result = subprocess.run(
        [sys.executable, "-m", "eks_platform.offline", "fleet", "global", "--project-dir", str(FLEET_DIR),
         "--format", "json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [r["region"] for r in document["regions"]] == ["us-east-1", "eu-west-1"]


def test_the_fleet_project_declares_only_keys_the_program_reads():
    declared = yaml.safe_load((FLEET_DIR / "Pulumi.yaml").read_text())["config"]
    assert set(declared) <= set(FLEET_KEYS)
    assert set(FLEET_KEYS) - set(declared) == {"regions", "tags"}  # structured: not declarable


# --- the change forecast, per region --------------------------------------------------------------


def changed_region(**settings):
    """The shipped regions with eu-west-1's settings changed."""
    return [dict(r, **settings) if r["region"] == "eu-west-1" else r for r in regions()]


def test_the_forecast_is_split_by_region():
    base = build_fleet_plan(run_fleet()).to_json()
    assert diff_fleets(base, base).regions == {}
    moved = build_fleet_plan(run_fleet(regions=changed_region(vpcCidr="10.21.0.0/16"))).to_json()
    diff = diff_fleets(base, moved)
    assert list(diff.regions) == ["eu-west-1"] and diff.critical
    vpc = next(c for c in diff.regions["eu-west-1"].forecast if c.urn.endswith("-network-vpc"))
    assert vpc.action == "replace" and vpc.critical
    assert all("fleet-eu-west-1-" in c.urn for c in diff.regions["eu-west-1"].forecast)


def test_a_new_region_is_all_created_and_priced():
    base = build_fleet_plan(run_fleet()).to_json()
    diff = diff_fleets(base, build_fleet_plan(run_fleet(regions=regions([THIRD]))).to_json())
    assert list(diff.regions) == ["ap-northeast-2"] and not diff.critical
    added = diff.regions["ap-northeast-2"]
    assert added.removed == [] and added.changed == {} and len(added.added) > 50
    assert {c.action for c in added.forecast} == {"create"}
    assert 100 < diff.to_json()["cost_delta_usd"] < 400


def test_fleet_diff_command_exit_status(tmp_path, capsys):
    assert fleet_main(["global", "--project-dir", str(FLEET_DIR), "--format", "json"]) == 0
    saved = tmp_path / "fleet.json"
    saved.write_text(capsys.readouterr().out)
    against = ["global", "--project-dir", str(FLEET_DIR), "--diff-against", str(saved)]
    assert fleet_main(against) == 0
    assert "no changes in any region" in capsys.readouterr().out
    replicas = json.dumps(changed_region(workload={"replicas": 3}))
    assert fleet_main([*against, "--set", f"regions={replicas}"]) == 1
    out = capsys.readouterr().out
    assert "eu-west-1" in out and "us-east-1" not in out and "values.replicaCount" in out
    moved = json.dumps(changed_region(vpcCidr="10.21.0.0/16"))
    assert fleet_main([*against, "--set", f"regions={moved}", "--format", "json"]) == 4
    assert list(json.loads(capsys.readouterr().out)["regions"]) == ["eu-west-1"]


def test_a_single_platform_plan_is_not_a_fleet_base(tmp_path, capsys):
    """Negative control: the base must be a fleet plan with its resources."""
    single = tmp_path / "plan.json"
    single.write_text(json.dumps({"format_version": 1, "resources": [], "cost": {}}))
    code = fleet_main(["global", "--project-dir", str(FLEET_DIR), "--diff-against", str(single)])
    assert code == 2
    assert "not a fleet plan JSON" in capsys.readouterr().err


def test_fleet_diff_against_a_git_ref(tmp_path, capsys):
    """The base fleet is planned at the ref with that ref's own code (components/ at the top)."""
    repo = tmp_path / "repo"
    root = FLEET_DIR.parent
    subprocess.run(["git", "clone", "-q", str(root), str(repo)], check=True)
    for path in ("components", "fleet"):
        subprocess.run(["rm", "-rf", str(repo / path)], check=True)
        subprocess.run(["cp", "-r", str(root / path), str(repo / path)], check=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    against = ["global", "--project-dir", str(repo / "fleet"), "--diff-against", "HEAD"]
    assert fleet_main(against) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert fleet_main([*against, "--set", f"regions={json.dumps(regions([THIRD]))}"]) == 1
    assert "ap-northeast-2" in capsys.readouterr().out


# --- the policy pack over the whole fleet ---------------------------------------------------------


def test_the_shipped_fleet_passes_every_mandatory_rule():
    violations = evaluate(run_fleet(**NAME).registrations)
    assert [str(v) for v in violations if v.level == "mandatory"] == []
    nat = [v for v in violations if v.policy == "nat-gateway-per-zone"]
    assert len(nat) == 2  # one per region (natMode single), not one for the fleet's four zones


def test_the_version_rule_sees_every_region():
    run = run_fleet(regions=changed_region(kubernetesVersion="1.34"))
    found = evaluate(run.registrations, {"eks-supported-version": {"allowedVersions": ["1.35"]}})
    flagged = {v.urn.rsplit("::", 1)[-1] for v in found if v.policy == "eks-supported-version"}
    assert flagged and all(name.startswith("fleet-eu-west-1-") for name in flagged)


def test_a_production_fleet_must_protect_every_region():
    production = [dict(r, production=True, natMode="per_az") for r in regions()]
    partly = [dict(r, protect=r["region"] == "us-east-1") for r in production]
    found = evaluate(run_fleet(regions=partly).registrations)
    flagged = [v.urn for v in found if v.policy == "production-clusters-protected"]
    assert flagged and all("fleet-eu-west-1-" in urn for urn in flagged)
    protected = [dict(r, protect=True) for r in production]
    found = evaluate(run_fleet(regions=protected).registrations)
    assert [v for v in found if v.policy == "production-clusters-protected"] == []


def test_preflight_findings_are_listed_under_their_region(monkeypatch, capsys):
    """Findings (injected: the shipped fleet has none) on eu-west-1's cluster and on the name's
    provider, which is no region's: both fail the plan, each under its place."""
    from eks_platform.offline.report import plan as plan_module  # noqa: PLC0415

    def finding(registrations):
        names = {r.name for r in registrations}
        assert {"fleet-eu-west-1-control-plane-eks", "fleet-dns"} <= names
        return [
            Finding("injected", "refused", ["fleet-eu-west-1-control-plane-eks"], ["regions"]),
            Finding("injected", "refused too", ["fleet-dns"], ["domain"]),
        ]

    monkeypatch.setattr(plan_module, "preflight", finding)
    plan = build_fleet_plan(run_fleet(**NAME))
    assert {r.region: len(r.findings) for r in plan.regions} == {"us-east-1": 0, "eu-west-1": 1}
    assert len(plan.findings) == 1 and plan.to_json()["total"]["findings"] == 2
    named = ["--set", "domain=app.example.com", "--set", "hostedZoneId=Z0123456789ABC"]
    assert fleet_main(["global", "--project-dir", str(FLEET_DIR), *named]) == 3
    err = capsys.readouterr().err
    assert "preflight: eu-west-1: [injected] refused" in err
    assert "preflight: global: [injected] refused too" in err
    assert fleet_main(["global", "--project-dir", str(FLEET_DIR), *named, "--no-preflight"]) == 0


def test_removing_a_region_keeps_the_shared_validation_record():
    base = build_fleet_plan(run_fleet(**NAME)).to_json()
    kept = [r for r in regions() if r["region"] != "eu-west-1"]
    diff = diff_fleets(base, build_fleet_plan(run_fleet(regions=kept, **NAME)).to_json())
    gone = diff.regions["eu-west-1"]
    validation = next(c for c in gone.forecast if c.urn.endswith("-certificate-validation-record"))
    assert validation.action == "delete" and not validation.critical
    assert "stays in AWS" in " ".join(validation.reasons)
    assert gone.critical  # the cluster goes with the region


def test_upgrade_plans_one_region_of_a_fleet(capsys):
    fleet = ["upgrade", "global", "--project-dir", str(FLEET_DIR), "--to", "1.36"]
    assert plan_main(fleet) == 2
    assert "give --region" in capsys.readouterr().err
    assert plan_main([*fleet, "--region", "eu-west-1", "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)
    assert steps["from"] == "1.35" and steps["to"] == "1.36"
    assert plan_main([*fleet, "--region", "sa-east-1"]) == 2
    assert "not a region of the fleet" in capsys.readouterr().err
    # The region's own addonVersions, not another region's, are the overrides it keeps.
    pinned = [dict(r, addonVersions={"coredns": "v1.13.2-eksbuild.31"}) if r["region"] == "eu-west-1" else r for r in regions()]  # fmt: skip
    with_pins = [*fleet, "--set", f"regions={json.dumps(pinned)}"]
    assert plan_main([*with_pins, "--region", "eu-west-1"]) == 0
    assert (
        "coredns: v1.13.2-eksbuild.31 -> v1.13.2-eksbuild.31 (addonVersions override kept"
        in capsys.readouterr().out
    )
    assert plan_main([*with_pins, "--region", "us-east-1"]) == 0
    assert "override kept" not in capsys.readouterr().out


def test_the_readme_documents_every_fleet_key_and_output():
    readme = (FLEET_DIR.parent / "README.md").read_text()
    section = readme[readme.index("## A global fleet") : readme.index("## Reaching the app")]
    for key in FLEET_KEYS:
        assert f"| `{key}` |" in section, key
    program = (FLEET_DIR / "__main__.py").read_text()
    for output in re.findall(r'pulumi\.export\("(\w+)"', program):
        assert f"`{output}`" in section, output


def test_nine_tags_are_fine_with_a_name():
    run = run_fleet(**NAME, tags={f"k{i}": "v" for i in range(9)})
    check = run.by_type("aws:route53/healthCheck:HealthCheck")[0]
    assert len(check.inputs["tags"]) == 10


def test_regions_may_share_a_cluster_name():
    """A cluster is known by region and name: the same name in two regions is not a duplicate
    access entry (the preflight keyed entries by name alone)."""
    ops = ["arn:aws:iam::123456789012:role/ops"]
    same = [dict(r, clusterName="shared", adminPrincipalArns=ops) for r in regions()]
    plan = build_fleet_plan(run_fleet(regions=same))
    assert [r.findings for r in plan.regions] == [[], []] and plan.findings == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("null", "not a plan JSON document"),
        ("[]", "not a plan JSON document"),
        ('"resources fleet"', "not a plan JSON document"),
        ('{"fleet": "x", "resources": []}', "not a fleet plan JSON"),
        ('{"fleet": "x", "resources": [], "regions": [{"region": "a"}]}', "not a fleet plan JSON"),
        ('{"resources": [{"urn": 1}]}', "each with a urn and a type"),
    ],
)
def test_a_base_that_is_not_a_fleet_plan_is_refused(tmp_path, capsys, document, message):
    base = tmp_path / "base.json"
    base.write_text(document)
    code = fleet_main(["global", "--project-dir", str(FLEET_DIR), "--diff-against", str(base)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_platform_stack_is_not_a_fleet(capsys):
    assert fleet_main(["dev", "--project-dir", str(FLEET_DIR.parent)]) == 2
    assert "is not a fleet" in capsys.readouterr().err
    assert fleet_main(["global", "--project-dir", str(FLEET_DIR / "nodir")]) == 2
    assert "no Pulumi project" in capsys.readouterr().err


def test_a_region_left_two_minors_behind_is_flagged():
    behind = changed_region(kubernetesVersion="1.33", upgradePolicy="EXTENDED")
    found = evaluate(run_fleet(regions=behind).registrations)
    flagged = [v.urn for v in found if v.policy == "fleet-versions-aligned"]
    assert len(flagged) == 1 and flagged[0].endswith("fleet-eu-west-1-control-plane-eks")
    assert [
        v for v in evaluate(run_fleet().registrations) if v.policy == "fleet-versions-aligned"
    ] == []


def test_upgrade_refuses_a_program_with_several_clusters(capsys):
    """Not a fleet, but two platforms in one stack: one plan would mix their steps."""
    example = FLEET_DIR.parent / "examples" / "multi-region"
    assert plan_main(["upgrade", "demo", "--project-dir", str(example), "--to", "1.36"]) == 2
    assert "the stack has 2 clusters: plan one at a time" in capsys.readouterr().err


def test_the_fleet_forecast_keeps_the_day2_findings_of_its_regions(tmp_path, capsys):
    """A collision in one region (new subnet ranges overlap the old ones) exits 4 in the fleet
    forecast too, under that region, in text and JSON."""
    assert fleet_main(["global", "--project-dir", str(FLEET_DIR), "--format", "json"]) == 0
    saved = tmp_path / "fleet.json"
    saved.write_text(capsys.readouterr().out)
    against = ["global", "--project-dir", str(FLEET_DIR), "--diff-against", str(saved)]
    resized = json.dumps(changed_region(privateSubnetPrefixLength=20))
    assert fleet_main([*against, "--set", f"regions={resized}", "--format", "json"]) == 4
    regions = json.loads(capsys.readouterr().out)["regions"]
    assert [f["check"] for f in regions["eu-west-1"]["findings"]] and "us-east-1" not in regions
    assert fleet_main([*against, "--set", f"regions={resized}"]) == 4
    assert "AWS will refuse" in capsys.readouterr().out
