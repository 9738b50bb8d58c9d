"""Year-end figures and every output built from them: console, CSV/JSON, HTML, logs, timelines."""


def year_span(first: int | str, last: int | str) -> str:
    """Years as people write them: `2025` for one year, `2025-2029` for several."""
    return f"{first}" if str(first) == str(last) else f"{first}-{last}"
