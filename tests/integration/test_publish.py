"""Publishing a year: all or nothing, and re-running a year replaces it and every later year."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import build_year_by_hand, copy_database, query
from navigator_orchestrator.engine import database, publish
from navigator_orchestrator.config.schema import DBT_PROJECT_DIR, load_config
from navigator_orchestrator.engine.simulation import Simulation


def _fingerprint(db) -> dict[str, tuple]:
    with database.connect(db) as conn:
        return _fingerprint_conn(conn)


def _fingerprint_conn(conn) -> dict[str, tuple]:
    return {t: conn.execute(f"select count(*), sum(hash(columns(*))) from {t}").fetchone()
            for t in publish.PUBLISHED_TABLES}


def test_rerunning_a_year_replaces_it_and_every_later_year(tmp_path, make_config, finished_2025_2027):
    db = copy_database(finished_2025_2027.database, tmp_path / "sim.duckdb")
    first = finished_2025_2027.result
    config = load_config(make_config({"simulation": {"end_year": 2026, "random_seed": 99}}, name="rerun.yaml"))
    second = Simulation(config, db, first_year=2026).run()
    runs = dict(query(db, "select simulation_year, min(run_id) from fct_workforce_snapshot group by 1"))
    assert sorted(runs) == [2025, 2026], "2027 depended on the replaced 2026 and must be gone"
    assert runs[2025] == first.run_id and runs[2026] == second.run_id
    for table in publish.PUBLISHED_TABLES:
        assert query(db, f"select count(*) from {table} where simulation_year = 2027") == [(0,)]


def test_a_failing_publish_leaves_every_published_table_as_it_was(tmp_path, finished_2025_2026):
    db = copy_database(finished_2025_2026.database, tmp_path / "sim.duckdb")
    before = _fingerprint(db)
    with database.connect(db) as conn:
        # The year's events publish first, then the snapshot insert fails on a column the
        # published table does not have: the whole year, deletes included, must roll back.
        conn.execute("alter table int_yearly_snapshot add column not_in_the_contract integer")
        with pytest.raises(duckdb.Error):
            publish.publish_year(conn, "baseline", ["standard_401k"], 2026)
    assert _fingerprint(db) == before


def _catalogs_holding(db, table: str) -> list[str]:
    # During a run: a connection to the run's DuckDB instance (the files are attached there, and
    # DuckDB refuses to open them a second time); after it, the files on their own.
    with database.connection(db) as conn:
        return [r[0] for r in conn.execute(
            "select table_catalog from information_schema.tables where table_name = ? order by 1",
            [table]).fetchall()]


def _work_location(db: Path) -> str | None:
    """What the work catalog of the database's open instance is attached to (None: memory)."""
    with database.connection(db) as conn:
        return conn.execute("select path from duckdb_databases() where database_name = ?",
                            [database.WORK_CATALOG]).fetchone()[0]


def test_a_run_keeps_the_year_tables_in_memory_and_the_results_in_the_database_file(tmp_path, make_config):
    db = tmp_path / "sim.duckdb"
    seen: dict[int, tuple[list[str], str | None]] = {}
    config = make_config({"simulation": {"end_year": 2026}})
    sim = Simulation(load_config(config), db, on_year=lambda s: seen.update(
        {s.year: (_catalogs_holding(db, "int_yearly_events"), _work_location(db))}))
    sim.run()
    work = database.WORK_CATALOG
    # The first year, and one that continues from a published one: the same catalog, in memory.
    assert seen == {2025: ([work], None), 2026: ([work], None)}
    assert not database.work_path(db).exists() and not (tmp_path / "sim.work.duckdb.wal").exists()
    for table in [*publish.PUBLISHED_TABLES, "raw_census", "int_baseline_workforce", "int_simulation_run_log"]:
        assert _catalogs_holding(db, table) == [database.CATALOG], table
    # The database file alone holds every published result.
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select count(distinct simulation_year) from fct_workforce_snapshot").fetchone() == (2,)
    # By hand, a year's tables are built into the work file, where the next command finds them.
    build_year_by_hand(config, db, 2026)
    assert database.work_path(db) == tmp_path / "sim.work.duckdb" and database.work_path(db).exists()
    for model in sim.dbt.work_models():
        assert _catalogs_holding(db, model) == [work], model
    assert query(db, "select distinct simulation_year from int_yearly_snapshot") == [(2026,)]
    assert query(db, "select count(*) from int_hiring_events") == query(
        db, "select count(*) from fct_yearly_events where simulation_year = 2026 and event_type = 'hire'")


def test_a_run_stopped_between_years_leaves_the_finished_years_published_and_no_work_file(tmp_path, make_config):
    db = tmp_path / "sim.duckdb"
    sim = Simulation(load_config(make_config({"simulation": {"end_year": 2027}})), db)

    def stop(summary):
        if summary.year == 2026:
            raise KeyboardInterrupt  # an operator's Ctrl-C between years
    sim.on_year = stop
    with pytest.raises(KeyboardInterrupt):
        sim.run()
    assert not database.work_path(db).exists()
    assert query(db, "select distinct simulation_year from fct_workforce_snapshot order by 1") == [(2025,), (2026,)]


def test_dbt_places_exactly_the_year_models_in_the_work_file():
    import json

    from navigator_orchestrator.engine.dbt_runner import DbtRunner

    runner = DbtRunner(DBT_PROJECT_DIR / "simulation.duckdb")
    runner.prepare()
    nodes = [n for n in DbtRunner._manifests[runner.project_dir].nodes.values() if n.resource_type == "model"]
    for node in nodes:
        wanted = database.WORK_CATALOG if "year" in node.tags else database.CATALOG
        assert node.database == wanted, (node.name, node.database, node.tags)
    assert json.dumps(sorted(n.name for n in nodes if "year" in n.tags)) == json.dumps(runner.work_models())


def test_duckdb_memory_limit_comes_from_the_environment(tmp_path, make_config, monkeypatch):
    db = tmp_path / "sim.duckdb"
    monkeypatch.setenv("NAVIGATOR_DUCKDB_MEMORY_LIMIT", "1536MB")
    seen = []

    def limit(summary):
        with database.connection(db) as conn:  # the run's instance: the setting is global to it
            seen.append(conn.execute("select current_setting('memory_limit')").fetchone()[0])

    Simulation(load_config(make_config({"simulation": {"end_year": 2025}})), db, on_year=limit).run()
    assert seen == ["1.4 GiB"]


def test_a_database_file_named_like_a_catalog_of_the_run_works(tmp_path, make_config):
    # The file is attached as `simulation` next to the work catalog `simulation_work`,
    # whatever it is called.
    for name in (database.WORK_CATALOG, database.CATALOG, "memory"):
        db = tmp_path / f"{name}.duckdb"
        config = make_config({"simulation": {"end_year": 2025}}, name=f"{name}.yaml")
        Simulation(load_config(config), db).run()
        assert query(db, "select count(*) from fct_workforce_snapshot where simulation_year = 2025")[0][0] > 0
        build_year_by_hand(config, db, 2025)
        assert query(db, "select count(*) from int_yearly_snapshot")[0][0] > 0


def test_an_append_of_a_few_row_groups_goes_straight_into_the_database_file(tmp_path):
    # A year's append to a published table is typically below DuckDB's default row group
    # (122,880 rows); attached with ROW_GROUP_SIZE it is written compressed into the file rather
    # than logged uncompressed to the write-ahead log and compressed again at checkpoint.
    db, wal = tmp_path / "sim.duckdb", tmp_path / "sim.duckdb.wal"
    rows = database.ROW_GROUP_SIZE + 3_000
    with database.connection(db) as conn:
        conn.execute("set checkpoint_threshold = '1GB'")  # as in a run: no checkpoint in between
        conn.execute("create table t (i bigint, s varchar)")
        conn.execute("checkpoint")
        conn.execute(f"insert into t select range, md5(range::varchar) from range({rows})")
        groups = conn.execute("select count(distinct row_group_id) from pragma_storage_info('t')").fetchone()[0]
        logged = wal.stat().st_size if wal.exists() else 0
    assert groups == 2
    assert logged < 16_000, f"{logged} bytes of {rows} rows went through the write-ahead log"
    assert query(db, "select count(*), count(distinct s) from t") == [(rows, rows)]


def test_dbt_attaches_both_files_and_opens_duckdb_as_the_orchestrator_does(monkeypatch):
    import os

    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    monkeypatch.setenv("NAVIGATOR_DB_PATH", "/data/runs/q3.duckdb")
    monkeypatch.setenv("NAVIGATOR_DUCKDB_MEMORY_LIMIT", "6GB")
    monkeypatch.delenv("NAVIGATOR_WORK_PATH", raising=False)  # by hand from dbt/
    set_invocation_context(os.environ)  # what dbt does at the start of every invocation
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    output = ProfileRenderer({}).render_data(profile["planwise_navigator"]["outputs"]["local"])
    main, work = output["attach"]
    assert output["database"] == main["alias"] == database.CATALOG
    assert main["path"] == "/data/runs/q3.duckdb"
    assert main["options"] == {"row_group_size": database.ROW_GROUP_SIZE}
    assert (work["alias"], work["path"]) == (database.WORK_CATALOG, str(database.work_path(main["path"])))
    assert output["config_options"] == database.instance_config(Path(main["path"]))
    assert output["config_options"]["temp_directory"] == "/data/runs/q3.duckdb.tmp"
    # A run's DbtRunner names the in-memory work catalog; the profile attaches what it names.
    monkeypatch.setenv("NAVIGATOR_WORK_PATH", database.WORK_IN_MEMORY)
    set_invocation_context(os.environ)
    output = ProfileRenderer({}).render_data(profile["planwise_navigator"]["outputs"]["local"])
    assert output["attach"][1]["path"] == database.WORK_IN_MEMORY


def test_published_id_and_details_columns_are_stored_with_zstd(finished_2025_2026):
    with database.connect(finished_2025_2026.database) as conn:
        for table, source in publish.PUBLISHED_TABLES.items():
            # The published table has exactly its year-only model's columns and types.
            shape = "select column_name, column_type from (describe {})"
            assert conn.execute(shape.format(table)).fetchall() == conn.execute(shape.format(source)).fetchall()
            stored = dict(conn.execute(
                f"select column_name, string_agg(distinct compression order by compression) "
                f"from pragma_storage_info('{table}') where segment_type <> 'VALIDITY' group by 1").fetchall())
            for column in publish.ZSTD_COLUMNS.get(table, ()):
                assert set(stored[column].split(",")) <= {"ZSTD", "Constant"}, (table, column, stored[column])
            assert "ZSTD" not in stored.get("employee_id", "")  # tables keyed by employee


def test_work_tables_store_their_zstd_columns_with_zstd(finished_2025_2026):
    """A year model's `zstd_columns` config (dbt/macros/year_table.sql) reaches its work table:
    those columns are stored with ZSTD, the others as DuckDB chooses, the types unchanged."""
    declared = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        found = re.search(r"zstd_columns=\[([^\]]*)\]", path.read_text())
        if found:
            declared[path.stem] = re.findall(r'"([a-z_]+)"', found.group(1))
    assert {"int_yearly_events", "int_employer_match_events"} <= set(declared)
    with database.connect(finished_2025_2026.database) as conn:
        for model, columns in declared.items():
            stored = dict(conn.execute(
                "select column_name, string_agg(distinct compression order by compression) "
                f"from pragma_storage_info('{database.WORK_CATALOG}.{model}') where segment_type <> 'VALIDITY' "
                "group by 1").fetchall())
            assert set(columns) <= set(stored), (model, columns)  # every name is a column
            for column in columns:
                assert set(stored[column].split(",")) <= {"ZSTD", "Constant"}, (model, column, stored[column])
            assert not any("ZSTD" in kinds for name, kinds in stored.items() if name not in columns), stored


def test_a_checked_publish_is_invisible_to_the_checks_and_commits_only_when_they_pass(tmp_path, finished_2025_2026):
    db = copy_database(finished_2025_2026.database, tmp_path / "sim.duckdb")
    with database.connection(db) as conn:  # the file holds 2026's work tables (the last year)
        publish.clear_from_year(conn, "baseline", ["standard_401k"], 2026)
        before = _fingerprint_conn(conn)
        year_rows = {t: conn.execute(f"select count(*) from {s}").fetchone()[0]
                     for t, s in publish.PUBLISHED_TABLES.items()}

        with pytest.raises(RuntimeError, match="a check failed"):
            with publish.CheckedPublish(conn, "baseline", ["standard_401k"], 2026):
                # The checks' connection sees the published years as they were while the
                # year is appended in the other transaction.
                assert conn.execute("select count(*) from fct_workforce_snapshot "
                                    "where simulation_year = 2026").fetchone() == (0,)
                raise RuntimeError("a check failed")
        assert _fingerprint_conn(conn) == before

        # An append that fails reaches the caller at commit, and nothing is published.
        conn.execute("alter table int_yearly_snapshot add column not_in_the_contract integer")
        with pytest.raises(duckdb.Error, match="not_in_the_contract"):
            with publish.CheckedPublish(conn, "baseline", ["standard_401k"], 2026) as checked:
                checked.commit()
        assert _fingerprint_conn(conn) == before
        conn.execute("alter table int_yearly_snapshot drop column not_in_the_contract")

        with publish.CheckedPublish(conn, "baseline", ["standard_401k"], 2026) as checked:
            counts = checked.commit()
        assert counts == year_rows and all(counts.values())
        for table, rows in year_rows.items():
            assert conn.execute(f"select count(*) from {table} where simulation_year = 2026").fetchone() == (rows,)


def test_an_append_in_rowid_ranges_reads_every_source_row_exactly_once():
    conn = duckdb.connect()
    conn.execute("create table source as select range as id, md5(range::varchar) as payload from range(50000)")
    conn.execute("delete from source where id % 7 = 3")  # gaps in the rowids
    conn.execute("create table target as select * from source limit 0")
    conn.execute("set session preserve_insertion_order = false")
    for parts in (1, 2, 3):
        query = publish._append_source(conn, "source", parts)
        assert query.count("union all") == parts - 1
        conn.execute(f"insert into target by name {query}")
        assert conn.execute("select count(*), sum(hash(id, payload)) from target").fetchone() == \
            conn.execute("select count(*), sum(hash(id, payload)) from source").fetchone()
        conn.execute("delete from target")
    # A small table is appended whole, and a table is never cut into ranges of under 10,000 rows.
    conn.execute("create table small as select range as id from range(100)")
    assert "union all" not in publish._append_source(conn, "small", 2)
    assert publish._append_source(conn, "source", 64).count("union all") == 42_857 // 10_000 - 1


def test_a_published_column_of_another_type_or_a_view_is_refused_before_anything_is_appended(
        finished_2025_2026, tmp_path):
    """A year appended into a column of another type would be converted silently (money to whole
    dollars); a view in place of a published table cannot take a year. Both are refused in the
    publish transaction, which leaves every table as it was."""
    import duckdb as _duckdb

    from navigator_orchestrator.engine import database
    from navigator_orchestrator.engine.publish import PublishRefused, publish_year

    for damage, words in (
        ("alter table fct_employer_match_events alter column amount type bigint",
         "fct_employer_match_events: amount is BIGINT, this version publishes DECIMAL(14,2)"),
        ("create table plan_summary_kept as select * from fct_plan_year_summary; drop table fct_plan_year_summary; "
         "create view fct_plan_year_summary as select * from plan_summary_kept", "fct_plan_year_summary is a view"),
    ):
        db = copy_database(finished_2025_2026.database, tmp_path / f"{len(words)}.duckdb")
        with _duckdb.connect(str(db)) as conn:
            conn.execute(damage)
        with database.connection(db) as conn:
            before = conn.execute("select count(*), sum(amount) from fct_employer_match_events").fetchone()
            with pytest.raises(PublishRefused, match=re.escape(words)):
                publish_year(conn, "baseline", ["standard_401k"], 2026)
            assert conn.execute("select count(*), sum(amount) from fct_employer_match_events").fetchone() == before


def test_a_design_without_snapshot_rows_in_the_year_is_not_published(finished_2025_2026, tmp_path):
    from navigator_orchestrator.engine.publish import PublishRefused, publish_year

    db = copy_database(finished_2025_2026.database, tmp_path / "empty_design.duckdb")
    with database.connection(db) as conn:
        before = conn.execute("select count(*) from fct_workforce_snapshot").fetchone()
        # The year's work tables hold one design; the publish is asked for two.
        with pytest.raises(PublishRefused, match="int_yearly_snapshot holds no rows of plan design[(]s[)] other"):
            publish_year(conn, "baseline", ["standard_401k", "other"], 2026)
        assert conn.execute("select count(*) from fct_workforce_snapshot").fetchone() == before


def test_work_rows_without_a_year_are_refused_with_the_years_they_hold(finished_2025_2026, tmp_path):
    from navigator_orchestrator.engine.publish import PublishRefused, publish_year

    db = copy_database(finished_2025_2026.database, tmp_path / "yearless.duckdb")
    with database.connection(db) as conn:
        before = conn.execute("select count(*) from fct_yearly_events").fetchone()
        conn.execute("update simulation_work.main.int_yearly_events set simulation_year = null "
                     "where employee_id in (select employee_id from simulation_work.main.int_yearly_events limit 3)")
        with pytest.raises(PublishRefused, match=r"int_yearly_events holds scenario 'baseline' year 2026 "
                                                 r"\([0-9,]+ rows without a year\), not scenario 'baseline' year 2026"):
            publish_year(conn, "baseline", ["standard_401k"], 2026)
        assert conn.execute("select count(*) from fct_yearly_events").fetchone() == before


def test_a_commit_that_fails_reports_its_own_reason_not_the_rollback_after_it(finished_2025_2026, tmp_path):
    """A commit that fails (e.g. no space for the write-ahead log) ends the transaction; the
    rollback after it has nothing to undo and must not replace the reason with its own error."""
    import duckdb
    from navigator_orchestrator.engine.publish import publish_year

    db = copy_database(finished_2025_2026.database, tmp_path / "full.duckdb")
    with database.connection(db) as conn:
        before = conn.execute("select count(*) from fct_yearly_events").fetchone()

        def commit_fails():
            conn.execute("rollback")  # what a failed commit leaves: no transaction, nothing written
            raise duckdb.IOException(f'Could not write file "{db}.wal": No space left on device')

        with pytest.raises(duckdb.IOException, match="No space left on device"):
            publish_year(conn, "baseline", ["standard_401k"], 2026, before_commit=commit_fails)
        assert conn.execute("select count(*) from fct_yearly_events").fetchone() == before


def test_ctrl_c_while_a_checked_publish_commits_waits_for_its_thread_before_closing(monkeypatch):
    import signal
    import threading
    import time

    release, finished = threading.Event(), []

    def slow_publish(cursor, scenario_id, plan_design_ids, year, before_commit=None, parts=1, design_rows=None):
        release.wait(5)  # the appends, still running when Ctrl-C arrives
        before_commit()
        cursor.execute("select 1").fetchall()  # the thread still uses its cursor
        finished.append(time.monotonic())
        return {}

    def ctrl_c(signum, frame):
        threading.Timer(0.5, release.set).start()
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "publish_year", slow_publish)
    previous = signal.signal(signal.SIGALRM, ctrl_c)
    conn = duckdb.connect()
    try:
        with pytest.raises(KeyboardInterrupt):
            with publish.CheckedPublish(conn, "s", ["d"], 2025) as checked:
                signal.setitimer(signal.ITIMER_REAL, 0.2)
                checked.commit()
        # The block ended only once the thread had: its cursor was never closed under it.
        assert finished and finished[0] <= time.monotonic()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        release.set()
        conn.close()
