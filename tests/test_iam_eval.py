"""The IAM evaluator (offline/checks/iam.py) against AWS's documented evaluation logic.

Each case cites the IAM User Guide page it follows: reference_policies_evaluation-logic
(explicit deny, allow, implicit deny), reference_policies_elements_action / _notaction /
_resource / _notresource, reference_policies_elements_condition_operators (operators, IfExists,
Null, missing keys), reference_policies_condition-single-vs-multi-valued-context-keys
(ForAllValues / ForAnyValue, the empty and missing set), reference_policies_variables.
"""

from __future__ import annotations

from typing import Any

import pytest

from eks_platform.offline.checks.iam import (
    Policy,
    Request,
    UnsupportedOperatorError,
    evaluate,
)

LB = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/a/1"


def allowed(
    statements: list[dict[str, Any]], action: str, resource: str = LB, /, **context: Any
) -> bool:
    document = {"Version": "2012-10-17", "Statement": statements}
    return evaluate([Policy("p", document)], Request(action, resource, context)).allowed


def allow(**fields) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "*", "Resource": "*", **fields}


def when(operator: str, key: str, value: Any) -> dict[str, Any]:
    return allow(Condition={operator: {key: value}})


# --- evaluation logic ----------------------------------------------------------------------------


def test_nothing_allows_is_an_implicit_deny():
    assert not allowed([], "s3:GetObject")
    assert not allowed([allow(Action="ec2:*")], "s3:GetObject")


def test_an_explicit_deny_wins_over_any_allow_in_any_policy():
    deny = {"Effect": "Deny", "Action": "logs:CreateLogGroup", "Resource": "*"}
    policies = [Policy("a", {"Statement": [allow()]}), Policy("d", {"Statement": deny})]
    decision = evaluate(policies, Request("logs:CreateLogGroup", "arn:aws:logs:x"))
    assert not decision.allowed
    assert decision.denied_by == ["d#0"] and decision.allowed_by == ["a#0"]
    assert evaluate(policies, Request("logs:PutLogEvents", "arn:aws:logs:x")).allowed


def test_statements_are_named_by_sid_or_index():
    policy = Policy("p", {"Statement": [allow(Action="a:b"), allow(Sid="Named")]})
    assert evaluate([policy], Request("a:b", "r")).allowed_by == ["p#0", "p#Named"]


# --- Action, NotAction, Resource, NotResource ----------------------------------------------------


def test_actions_match_case_insensitively_with_wildcards():
    assert allowed([allow(Action="EC2:describe*")], "ec2:DescribeInstances")
    assert allowed([allow(Action="ec2:Describe?nstances")], "ec2:DescribeInstances")
    assert not allowed([allow(Action="ec2:Describe?")], "ec2:DescribeInstances")


def test_not_action_allows_every_other_action():
    statement = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    assert allowed([statement], "s3:GetObject")
    assert not allowed([statement], "iam:PassRole")


def test_resources_match_case_sensitively_across_colons_and_slashes():
    assert allowed([allow(Resource="arn:aws:elasticloadbalancing:*:*:loadbalancer/*")], "x:y")
    assert not allowed([allow(Resource="arn:aws:elasticloadbalancing:*:*:LoadBalancer/*")], "x:y")
    assert allowed([allow(Resource="arn:aws:elasticloadbalancing:us-west-?:*")], "x:y")


def test_not_resource_matches_every_other_resource():
    statement = {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"}
    assert allowed([statement], "s3:GetObject", "arn:aws:s3:::public/a")
    assert not allowed([statement], "s3:GetObject", "arn:aws:s3:::secret/a")


# --- condition operators, missing keys, IfExists, Null -------------------------------------------


def test_string_equals_is_case_sensitive_in_values_but_not_in_key_names():
    statement = when("StringEquals", "aws:RequestTag/Team", "web")
    assert allowed([statement], "a:b", **{"AWS:requesttag/team": "web"})
    assert not allowed([statement], "a:b", **{"aws:RequestTag/Team": "Web"})
    assert allowed([when("StringEqualsIgnoreCase", "k", "web")], "a:b", k="WEB")


def test_values_of_one_key_are_alternatives_and_keys_and_operators_all_hold():
    both = allow(
        Condition={
            "StringEquals": {"a": ["1", "2"], "b": "x"},
            "StringLike": {"c": "pre*"},
        }
    )
    assert allowed([both], "s:a", a="2", b="x", c="prefix")
    assert not allowed([both], "s:a", a="2", b="x", c="other")
    assert not allowed([both], "s:a", a="3", b="x", c="prefix")


def test_a_missing_key_fails_every_operator_but_negated_ifexists_and_null():
    assert not allowed([when("StringEquals", "k", "v")], "s:a")
    assert not allowed([when("StringLike", "k", "*")], "s:a")
    assert not allowed([when("ArnLike", "k", "*")], "s:a")
    assert not allowed([when("Bool", "k", "true")], "s:a")
    assert allowed([when("StringNotEquals", "k", "v")], "s:a")
    assert allowed([when("StringEqualsIfExists", "k", "v")], "s:a")
    assert not allowed([when("StringEqualsIfExists", "k", "v")], "s:a", k="w")


def test_null_tests_whether_the_key_is_there():
    assert allowed([when("Null", "aws:RequestTag/c", "false")], "s:a", **{"aws:RequestTag/c": "x"})
    assert not allowed([when("Null", "aws:RequestTag/c", "false")], "s:a")
    assert allowed([when("Null", "aws:RequestTag/c", "true")], "s:a")


def test_string_like_arn_like_bool_and_numeric():
    assert allowed([when("StringLike", "k", "a*c")], "s:a", k="abbbc")
    assert not allowed([when("StringNotLike", "k", "a*")], "s:a", k="abc")
    arn = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/eks/x:*"
    assert allowed([when("ArnLike", "k", "arn:aws:logs:*:*:log-group:/aws/eks/*")], "s:a", k=arn)
    assert not allowed([when("ArnLike", "k", "arn:aws:s3:*:*:*")], "s:a", k=arn)
    assert allowed([when("Bool", "kms:GrantIsForAWSResource", "true")], "s:a",
                   **{"kms:GrantIsForAWSResource": "True"})  # fmt: skip
    assert allowed([when("NumericLessThan", "n", "10")], "s:a", n="9")
    assert not allowed([when("NumericGreaterThanEquals", "n", "10")], "s:a", n="9")


def test_an_operator_it_does_not_model_is_refused_not_guessed():
    with pytest.raises(UnsupportedOperatorError):
        allowed([when("BinaryEquals", "s:k", "QmluYXJ5")], "s:a", **{"s:k": "QmluYXJ5"})


def test_ip_address_and_date_operators():
    """Condition operators, IP address (a CIDR; NotIpAddress its negation) and date (ISO 8601
    or epoch seconds)."""
    cidr = [when("IpAddress", "aws:SourceIp", "10.0.0.0/8")]
    assert allowed(cidr, "s:a", **{"aws:SourceIp": "10.1.2.3"})
    assert not allowed(cidr, "s:a", **{"aws:SourceIp": "192.0.2.1"})
    assert allowed([when("NotIpAddress", "aws:SourceIp", "10.0.0.0/8")], "s:a",
                   **{"aws:SourceIp": "192.0.2.1"})  # fmt: skip
    before = [when("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z")]
    assert allowed(before, "s:a", **{"aws:CurrentTime": "2026-12-04T12:00:00Z"})
    assert not allowed(before, "s:a", **{"aws:CurrentTime": "1798761600"})  # 2027-01-01


def test_arn_equals_matches_like_arn_like():
    """ARN operators: ArnEquals and ArnLike both take wildcards per colon-delimited part."""
    role = "arn:aws:iam::123456789012:role/x"
    assert allowed([when("ArnEquals", "aws:SourceArn", "arn:aws:iam::*:role/x")], "s:a",
                   **{"aws:SourceArn": role})  # fmt: skip
    assert not allowed([when("ArnNotEquals", "aws:SourceArn", "arn:aws:iam::*:role/x")], "s:a",
                       **{"aws:SourceArn": role})  # fmt: skip


def test_if_exists_holds_for_a_missing_key_with_a_set_qualifier_too():
    assert allowed([when("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "team")], "s:a")


# --- multi-valued keys ---------------------------------------------------------------------------


KEYS = ["eks:eks-cluster-name", "service.eks.amazonaws.com/stack"]


def test_for_all_values_holds_for_a_subset_and_for_a_missing_or_empty_set():
    statement = when("ForAllValues:StringEquals", "aws:TagKeys", KEYS)
    assert allowed([statement], "s:a", **{"aws:TagKeys": ["eks:eks-cluster-name"]})
    assert not allowed([statement], "s:a", **{"aws:TagKeys": ["eks:eks-cluster-name", "team"]})
    assert allowed([statement], "s:a")
    assert allowed([statement], "s:a", **{"aws:TagKeys": []})


def test_for_any_value_needs_one_value_and_fails_on_a_missing_or_empty_set():
    statement = when("ForAnyValue:StringLike", "aws:TagKeys", "kubernetes.io/cluster/*")
    assert allowed([statement], "s:a", **{"aws:TagKeys": ["a", "kubernetes.io/cluster/x"]})
    assert not allowed([statement], "s:a", **{"aws:TagKeys": ["a"]})
    assert not allowed([statement], "s:a")
    assert not allowed([statement], "s:a", **{"aws:TagKeys": []})


def test_negated_set_operators_compare_each_value():
    statement = when("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"])
    assert allowed([statement], "s:a", **{"aws:TagKeys": ["a", "b"]})
    assert not allowed([statement], "s:a", **{"aws:TagKeys": ["a", "secret"]})


# --- policy variables ----------------------------------------------------------------------------


def test_policy_variables_take_the_request_value_and_match_nothing_when_missing():
    statement = when(
        "StringEquals",
        "aws:RequestTag/eks:eks-cluster-name",
        "${aws:PrincipalTag/eks:eks-cluster-name}",
    )
    request = {"aws:RequestTag/eks:eks-cluster-name": "c"}
    assert allowed([statement], "s:a", **request, **{"aws:PrincipalTag/eks:eks-cluster-name": "c"})
    assert not allowed(
        [statement], "s:a", **request, **{"aws:PrincipalTag/eks:eks-cluster-name": "d"}
    )
    assert not allowed([statement], "s:a", **request)
    scoped = allow(Resource="arn:aws:s3:::home/${aws:username}/*")
    assert allowed([scoped], "s3:GetObject", "arn:aws:s3:::home/ann/x", **{"aws:username": "ann"})
    assert not allowed([scoped], "s3:GetObject", "arn:aws:s3:::home/ann/x")


def test_escaped_variables_are_literal_characters():
    literal = allow(Resource="arn:aws:s3:::a${*}b")
    assert allowed([literal], "s3:GetObject", "arn:aws:s3:::a*b")
    assert not allowed([literal], "s3:GetObject", "arn:aws:s3:::axxb")
    assert allowed([when("StringEquals", "k", "a${*}")], "s:a", k="a*")
