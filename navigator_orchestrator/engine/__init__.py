"""How a simulated year is built and published: year loop, in-process dbt, DuckDB storage."""
