"""The config schema: typos refused with a did-you-mean, slugs enforced, paths resolved."""

from __future__ import annotations

import re

import pytest
import yaml

from navigator_orchestrator.config.schema import DEFAULT_CONFIG, ConfigError, load_config, parse_config


def test_default_config_parses_and_documents_every_key():
    config = load_config(DEFAULT_CONFIG)
    assert config.census_path.exists(), "the default census path must point at the bundled census"
    text = DEFAULT_CONFIG.read_text()
    data_block_indent = None  # match formula templates are data, documented as a block
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if data_block_indent is not None and stripped and indent > data_block_indent:
            continue
        data_block_indent = None
        if stripped.startswith("formulas:"):
            data_block_indent = indent
            assert "#" in stripped
            continue
        if stripped and not stripped.startswith("#") and ":" in stripped and not stripped.endswith(":"):
            assert "#" in stripped, f"undocumented key in default config: {stripped}"


def test_typo_is_refused_with_did_you_mean(tmp_path):
    with pytest.raises(ConfigError, match=r"simulation\.random_sed.*did you mean 'simulation\.random_seed'"):
        parse_config({"simulation": {"random_sed": 1}}, tmp_path)


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'workforse'.*did you mean 'workforce'"):
        parse_config({"workforse": {}}, tmp_path)


@pytest.mark.parametrize("text, key, lines", [
    ("scenario_id: a\nsimulation: {random_seed: 1}\nscenario_id: b\n", "scenario_id", "lines 1 and 3"),
    ("plan_designs:\n  d1: {employer_core_contribution: {enabled: false}}\n"
     "  d1: {employer_core_contribution: {enabled: true}}\n", "d1", "lines 2 and 3"),
    ("simulation: {random_seed: 1, random_seed: 2}\n", "random_seed", "lines 1 and 1"),
])
def test_a_key_given_twice_is_refused_not_silently_replaced(tmp_path, text, key, lines):
    path = tmp_path / "twice.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"key '{key}' is given twice in one mapping \({lines}\); keep one"):
        load_config(path)


@pytest.mark.parametrize("bad", ["has space", "quote'd", "x" * 65, "semi;colon", ""])
def test_identifiers_must_be_slugs(tmp_path, bad):
    with pytest.raises(ConfigError, match="slug"):
        parse_config({"scenario_id": bad}, tmp_path)


def test_out_of_range_values_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="workforce.new_hire_termination_rate"):
        parse_config({"workforce": {"new_hire_termination_rate": 1.0}}, tmp_path)
    with pytest.raises(ConfigError, match="end_year"):
        parse_config({"simulation": {"start_year": 2026, "end_year": 2025}}, tmp_path)


def test_relative_census_path_resolves_from_the_config_directory(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "c.yaml"
    path.write_text(yaml.safe_dump({"setup": {"census_parquet_path": "../data/x.parquet"}}))
    assert load_config(path).census_path == (tmp_path / "data" / "x.parquet").resolve()


def test_config_hash_tracks_what_sql_sees(tmp_path):
    a = parse_config({}, tmp_path)
    b = parse_config({"simulation": {"random_seed": 7}}, tmp_path)
    assert a.config_hash() == parse_config({}, tmp_path).config_hash()
    assert a.config_hash() != b.config_hash()


@pytest.mark.parametrize("text, where, shown", [
    ("plan_designs: {off: {ndt: {enabled: false}}}", "plan_designs", "false"),
    ("plan_designs: {2025: {ndt: {enabled: false}}}", "plan_designs", "2025"),
    ("employer_match: {formulas: {no: {name: x}}}", "employer_match.formulas", "false"),
])
def test_an_id_yaml_reads_as_a_value_is_refused_with_quoting_as_the_fix(tmp_path, text, where, shown):
    from navigator_orchestrator.config.schema import ConfigError, load_config

    path = tmp_path / "c.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{where}: an id was read as the value {shown} ")
    assert "quote it" in str(err.value)


@pytest.mark.parametrize("key, text", [
    ("simulation.target_growth_rate", "off"),
    ("enrollment.match_responsiveness.share", "yes"),
    ("eligibility.minimum_age", "true"),
    ("accounts.annual_return", "yes"),
    ("employer_core_contribution.social_security_integration.integration_level", "on"),
])
def test_a_number_written_as_a_yaml_boolean_is_refused_not_read_as_one_or_zero(make_config, key, text):
    # YAML reads yes/no/on/off/true/false as booleans; a number setting must not take them as 1 or 0.
    overrides: dict = {}
    *sections, leaf = key.split(".")
    node = overrides
    for section in sections:
        node = node.setdefault(section, {})
    node[leaf] = "PLACEHOLDER"
    path = make_config(overrides)
    written = path.read_text()
    path.write_text(re.sub(r"['\"]?PLACEHOLDER['\"]?", text, written))
    with pytest.raises(ConfigError, match=re.escape(key) + r": (true|false) is not a number .*give a number"):
        load_config(path)
    assert load_config(make_config({"ndt": {"enabled": False}}, name="bools.yaml")).ndt.enabled is False


@pytest.mark.parametrize("key, value", [
    ("accounts.annual_return", {2025: "PLACEHOLDER"}),
    ("enrollment.auto_enrollment.re_enrollment_sweep_years", ["PLACEHOLDER"]),
])
def test_a_yaml_boolean_inside_a_list_or_mapping_of_numbers_is_refused(make_config, key, value):
    overrides: dict = {}
    *sections, leaf = key.split(".")
    node = overrides
    for section in sections:
        node = node.setdefault(section, {})
    node[leaf] = value
    path = make_config(overrides)
    path.write_text(re.sub(r"['\"]?PLACEHOLDER['\"]?", "yes", path.read_text()))
    with pytest.raises(ConfigError, match=re.escape(key) + r": holds true or false where a number belongs"):
        load_config(path)
