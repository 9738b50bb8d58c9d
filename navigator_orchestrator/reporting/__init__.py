"""Year-end figures and every output built from them: console, CSV/JSON, HTML, logs, timelines."""
