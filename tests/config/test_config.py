"""Configuration loading: typed, strict, and errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeshelf.config import load_project
from lakeshelf.errors import ConfigError

BRONZE = {
    "layer": "bronze",
    "source": {"path": "./raw/*.csv", "format": "csv", "options": {"header": True}},
    "schema": {"id": "int", "name": "string"},
}


def test_loads_lake_and_datasets(project_factory, tmp_path):
    project = project_factory({"things": BRONZE})
    assert project.lake_uri == str(tmp_path / "lake")
    assert project.table_uri("things") == str(tmp_path / "lake" / "bronze" / "things")
    assert project.malformed_table("things").uri.endswith("bronze/things__malformed")
    assert project.dataset("things").schema == {"id": "int", "name": "string"}


def test_malformed_rows_table_keeps_its_old_name_in_lakes_made_before_the_rename(project_factory):
    project = project_factory({"things": BRONZE})
    legacy = project.lake_location.child("bronze", "things__quarantine")
    (Path(legacy.uri) / "_delta_log").mkdir(parents=True)
    assert project.malformed_table("things").uri == legacy.uri


def test_unknown_key_names_file_and_key(project_factory):
    with pytest.raises(ConfigError, match=r"things\.yaml: colour: Extra inputs are not permitted"):
        project_factory({"things": {**BRONZE, "colour": "blue"}})


def test_invalid_type_and_missing_parts(project_factory):
    with pytest.raises(ConfigError, match=r"schema.*unknown type 'integr'"):
        project_factory({"things": {**BRONZE, "schema": {"id": "integr"}}})
    with pytest.raises(ConfigError, match="needs 'source' and 'schema'"):
        project_factory({"things": {"layer": "bronze"}})
    with pytest.raises(ConfigError, match="needs 'inputs' and 'transform'"):
        project_factory({"things": {"layer": "gold"}})
    with pytest.raises(ConfigError, match=r"source\.format"):
        project_factory({"things": {**BRONZE, "source": {"path": "x", "format": "xlsx"}}})


def test_name_must_match_file_and_be_safe(project_factory):
    with pytest.raises(ConfigError, match="must match the file name"):
        project_factory({"things": {**BRONZE, "name": "other"}})
    project = project_factory({"things": BRONZE})
    for bad in ("../x", "/abs", "s3://b/x", "", "a b"):
        with pytest.raises(ConfigError):
            project.dataset(bad)
    with pytest.raises(ConfigError, match=r"unknown dataset 'nope' \(known: things\)"):
        project.dataset("nope")


def test_env_interpolation(project_factory, monkeypatch):
    monkeypatch.setenv("LAKE_KEY", "s3cr3t")
    project = project_factory({}, storage_options={"aws_secret_access_key": "${LAKE_KEY}"})
    assert project.lake.storage_options["aws_secret_access_key"] == "s3cr3t"
    with pytest.raises(ConfigError, match=r"storage_options\.token refers to \$\{NOT_SET_VAR\}"):
        project_factory({}, storage_options={"token": "${NOT_SET_VAR}"})


def test_missing_folder_and_bad_yaml(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"lakeshelf\.yaml not found"):
        load_project(tmp_path / "nowhere")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "lakeshelf.yaml").write_text("lake: [unclosed")
    with pytest.raises(ConfigError, match="cannot read YAML"):
        load_project(conf)
    monkeypatch.setenv("LAKESHELF_CONF", str(conf))
    with pytest.raises(ConfigError, match="cannot read YAML"):
        load_project()


def test_yaml_is_loaded_safely(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "lakeshelf.yaml").write_text("lake: !!python/object/apply:os.system ['echo pwned']")
    with pytest.raises(ConfigError, match="cannot read YAML"):
        load_project(conf)


def test_yaml_is_loaded_safely_python_tags_are_refused_not_run(tmp_path):
    conf = tmp_path / "conf"
    (conf / "datasets").mkdir(parents=True)
    marker = tmp_path / "pwned"
    (conf / "lakeshelf.yaml").write_text(
        f"lake: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    with pytest.raises(ConfigError, match="cannot read YAML"):
        load_project(conf)
    assert not marker.exists()
