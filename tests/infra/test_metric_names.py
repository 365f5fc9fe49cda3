"""The monitoring module's custom alarms and dashboard use exactly the names the
service writes (src/omc/adapters/aws/metrics_emf.py)."""

from __future__ import annotations

import re

from omc.adapters.aws import metrics_emf as emf

from .hcl import MODULES, load, resources, variable_default

MAIN = MODULES / "monitoring" / "main.tf"


def _alarms() -> dict[str, dict]:
    return {name: body for _, name, body in resources(MAIN, "aws_cloudwatch_metric_alarm")}


def _omc_alarms() -> dict[str, dict]:
    return {name: body for name, body in _alarms().items() if body.get("namespace") == "OMC"}


def test_namespace_matches() -> None:
    assert load(MAIN)["locals"][0]["omc_namespace"] == emf.NAMESPACE
    assert emf.NAMESPACE == "OMC"


def test_custom_alarms_use_metric_names_the_code_emits() -> None:
    alarms = _omc_alarms()
    names = {body["metric_name"] for body in alarms.values()}
    assert names <= emf.METRIC_NAMES, names - emf.METRIC_NAMES
    # The required alarms: collector failures, quality below 0.7, agent errors.
    assert {emf.COLLECTOR_FAILURES, emf.QUALITY_SCORE, emf.AGENT_FAILURES} <= names


def test_custom_alarm_dimensions_are_ones_the_code_writes() -> None:
    dimensions = load(MAIN)["locals"][0]["omc_dimensions"]
    assert set(dimensions) <= emf.DIMENSIONS
    for body in _omc_alarms().values():
        assert body["dimensions"] == "${local.omc_dimensions}"


def test_quality_alarm_watches_the_worst_ledger_below_point_seven() -> None:
    alarm = _omc_alarms()["quality_score_low"]
    assert alarm["metric_name"] == emf.QUALITY_SCORE
    assert alarm["statistic"] == "Minimum"
    assert alarm["comparison_operator"] == "LessThanThreshold"
    assert variable_default(MODULES / "monitoring", "quality_score_min") == 0.7


def test_dashboard_metric_names_exist_in_the_code() -> None:
    main = load(MAIN)["locals"][0]
    listed = set(main["omc_metric_rpcs"]) | set(main["omc_metric_jobs"])
    literal = set(re.findall(r'local\.omc_namespace, "(\w+)"', MAIN.read_text()))
    assert literal
    assert listed | literal <= emf.METRIC_NAMES


def test_every_alarm_notifies_the_topic() -> None:
    alarms = _alarms()
    assert len(alarms) >= 11
    for name, body in alarms.items():
        assert body["alarm_actions"] == "${local.actions}", name
    assert load(MAIN)["locals"][0]["actions"] == ["${aws_sns_topic.alarms.arn}"]


def test_the_required_aws_alarms_exist() -> None:
    metrics = {(body.get("namespace"), body.get("metric_name")) for body in _alarms().values()}
    for expected in [
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "DatabaseConnections"),
    ]:
        assert expected in metrics, expected
    assert "HTTPCode_ELB_5XX_Count" in str(_alarms()["alb_5xx"])
