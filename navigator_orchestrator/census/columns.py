"""Which column of a census file is which contract column (DESIGN.md §4.2).

A header matches a contract column when its *normalised* form (lower case, `#` read as
"number" and `%` as "percent", every other character that is not a letter or a digit dropped)
is one of the column's spellings below, so `Employee ID`, `EMPLOYEE_ID`, `employee-id` and
`Emp. ID` all find `employee_id`. `setup.census_columns` (contract name -> header, or null for
"the file has no such column") wins over the spellings. Pure Python: no header text ever
reaches SQL (the file's columns are addressed by position).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

REQUIRED_COLUMNS: tuple[str, ...] = (
    "employee_id", "employee_birth_date", "employee_hire_date", "employee_gross_compensation",
)
# In the order raw_census holds them (a new column goes at the end).
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "employee_termination_date", "active", "employee_deferral_rate", "level_id",
    "is_owner_5pct", "employee_rehire_date", "employee_deferral_balance", "employer_match_balance",
    "employer_core_balance", "vesting_service_years", "is_officer", "is_owner_1pct",
)
CENSUS_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Contract column -> the normalised spellings HR and payroll exports use for it (ADP, Workday,
# Paychex, UKG and recordkeeper templates). The contract name itself always matches. A
# spelling belongs to one column only (a test keeps the lists disjoint). Deliberately absent:
# "gross pay" and "pay rate" (usually year-to-date or hourly), "status date", "service date".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "employee_id": ("employeeid", "empid", "eeid", "employeenumber", "employeeno", "empno",
                    "empnumber", "employeenum", "employeecode", "workerid", "associateid",
                    "personnelnumber", "personid", "filenumber", "id"),
    "employee_birth_date": ("employeebirthdate", "birthdate", "dateofbirth", "dob", "birthday",
                            "birthdt"),
    "employee_hire_date": ("employeehiredate", "hiredate", "dateofhire", "doh",
                           "originalhiredate", "hiredt", "startdate", "employmentstartdate"),
    "employee_gross_compensation": ("employeegrosscompensation", "grosscompensation",
                                    "compensation", "annualcompensation", "salary",
                                    "annualsalary", "basesalary", "annualbasesalary",
                                    "annualpay", "annualrate", "annualpayrate", "basepay",
                                    "annualbasepay"),
    "employee_termination_date": ("employeeterminationdate", "terminationdate", "termdate",
                                  "termdt", "dateoftermination", "dateofterm",
                                  "separationdate", "employmentenddate"),
    "active": ("active", "isactive", "activeflag", "activeindicator", "status",
               "employmentstatus", "employeestatus", "empstatus"),
    "employee_deferral_rate": ("employeedeferralrate", "deferralrate", "deferral",
                               "deferralpercent", "deferralpct", "deferralpercentage",
                               "deferralelection", "eedeferralrate", "eedeferral",
                               "contributionrate", "contributionpercent", "401kdeferral",
                               "401krate", "401kpercent", "electedrate"),
    "level_id": ("levelid", "level", "joblevel", "grade", "jobgrade", "paygrade", "band",
                 "careerlevel"),
    "is_owner_5pct": ("owner5pct", "owner5percent", "5percentowner", "fivepercentowner",
                      "over5percentowner", "morethan5percentowner", "owner"),
    "employee_rehire_date": ("employeerehiredate", "rehiredate", "rehire", "dateofrehire",
                             "rehiredt", "lasthiredate", "mostrecenthiredate",
                             "latesthiredate"),
    "employee_deferral_balance": ("employeedeferralbalance", "deferralbalance", "eedeferralbalance",
                                  "electivedeferralbalance", "pretaxbalance", "401kbalance"),
    "employer_match_balance": ("employermatchbalance", "matchbalance", "ermatchbalance",
                               "matchingbalance", "companymatchbalance"),
    "employer_core_balance": ("employercorebalance", "corebalance", "ercorebalance",
                              "nonelectivebalance", "profitsharingbalance"),
    "is_officer": ("officer", "isofficer", "officerflag", "corporateofficer"),
    "is_owner_1pct": ("owner1pct", "owner1percent", "1percentowner", "onepercentowner",
                      "over1percentowner", "morethan1percentowner"),
    "vesting_service_years": ("vestingserviceyears", "vestingyears", "vestingservice",
                              "yearsofvestingservice", "vestingyearsofservice", "vestingyos"),
}

# How close (difflib ratio of normalised names) an unused header must be to a spelling of an
# unmapped contract column to be refused as "looks like it" rather than ignored.
LOOKALIKE_RATIO = 0.85


# Headers of personal data the product never reads (README: PII never leaves the file): never
# suggested for a contract column, and never accepted as the employee id, which every published
# table, report and log carries.
PII_MARKERS = ("ssn", "socialsecurity", "taxid", "nationalid", "passport", "firstname", "lastname",
               "fullname", "givenname", "surname")


def is_personal(header: str) -> bool:
    """Whether a header names personal data (a social security or tax number, a name)."""
    norm = normalise(header)
    return any(marker in norm for marker in PII_MARKERS)


def normalise(header: str) -> str:
    """`Emp #` -> `empnumber`, `Deferral %` -> `deferralpercent`, `Hire_Date` -> `hiredate`."""
    text = header.lower().replace("#", "number").replace("%", "percent")
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass
class MappingProblem:
    name: str
    columns: list[str]
    examples: list[str]
    fix: str


@dataclass
class ColumnMapping:
    """Which file column (by position) each contract column is read from, and why."""

    headers: list[str]
    used: dict[str, int] = field(default_factory=dict)        # contract column -> position
    how: dict[str, str] = field(default_factory=dict)         # contract column -> config|spelling
    declared_absent: set[str] = field(default_factory=set)    # mapped to null in the config
    problems: list[MappingProblem] = field(default_factory=list)

    @property
    def unmapped(self) -> list[str]:
        """Headers of the file that are never read (PII included), in file order."""
        taken = set(self.used.values())
        return [h for i, h in enumerate(self.headers) if i not in taken and h.strip()]

    def header(self, column: str) -> str:
        return self.headers[self.used[column]]

    def describe(self) -> list[str]:
        """One line per contract column: where it was read from."""
        lines = []
        for column in CENSUS_COLUMNS:
            if column in self.used:
                source = ("setup.census_columns" if self.how[column] == "config" else "contract name"
                          if normalise(self.header(column)) == normalise(column) else "built-in spelling")
                lines.append(f"{column:<28} <- {self.header(column)!r} ({source})")
            elif column in self.declared_absent:
                lines.append(f"{column:<28}    (absent: setup.census_columns says null)")
            else:
                lines.append(f"{column:<28}    (not in the file)")
        return lines


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def map_columns(headers: list[str], explicit: dict[str, str | None] | None = None) -> ColumnMapping:
    """Match the file's headers to contract columns; every conflict becomes a problem.

    `explicit` is `setup.census_columns`. Problems: `duplicate_columns` (two headers equal
    ignoring case and surrounding blanks), `mapped_column_not_found` (a configured header is
    not in the file), `ambiguous_columns` (two headers spell one contract column),
    `unmapped_lookalike_column` (a header nearly spells a contract column that nothing
    supplies), `missing_columns` (a required column has no header).
    """
    explicit = explicit or {}
    mapping = ColumnMapping(list(headers))
    folded: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        if h.strip():
            folded.setdefault(h.strip().lower(), []).append(i)
    dups = [headers[ix[0]] for ix in folded.values() if len(ix) > 1]
    if dups:
        mapping.problems.append(MappingProblem(
            "duplicate_columns", dups, [f"{headers[i]!r} (column {i + 1})" for ix in folded.values()
                                        if len(ix) > 1 for i in ix],
            "rename or drop the repeated columns (names are compared ignoring case): the census "
            "cannot tell which one holds the data"))
        return mapping

    for column, header in explicit.items():
        if header is None:
            mapping.declared_absent.add(column)
            continue
        ix = folded.get(header.strip().lower())
        if ix is None:
            mapping.problems.append(MappingProblem(
                "mapped_column_not_found", [column], [repr(header)],
                f"setup.census_columns.{column} names {header!r}, which the file does not have; "
                f"its columns are {_quoted([h for h in headers if h.strip()])}"))
        elif column == "employee_id" and is_personal(header):
            mapping.problems.append(MappingProblem(
                "personal_data_as_employee_id", [column], [repr(header)],
                f"setup.census_columns.employee_id names {header!r}, personal data that would then be "
                "in every published table, report and log; map a payroll or HR employee number instead "
                "(docs/census.md)"))
        else:
            mapping.used[column], mapping.how[column] = ix[0], "config"

    norms = [normalise(h) for h in headers]
    taken = set(mapping.used.values())
    for column in CENSUS_COLUMNS:
        if column in mapping.used or column in mapping.declared_absent:
            continue
        spellings = {normalise(column), *SYNONYMS[column]}
        hits = [i for i, n in enumerate(norms) if n in spellings and i not in taken]
        if len(hits) == 1:
            mapping.used[column], mapping.how[column] = hits[0], "spelling"
            taken.add(hits[0])
        elif len(hits) > 1:
            names = [headers[i] for i in hits]
            mapping.problems.append(MappingProblem(
                "ambiguous_columns", [column], [repr(n) for n in names],
                f"{_quoted(names)} all spell {column}; say which one with "
                f"setup.census_columns: {{{column}: {names[0]!r}}}"))

    ambiguous = {c for p in mapping.problems if p.name == "ambiguous_columns" for c in p.columns}
    for column in CENSUS_COLUMNS:
        if column in mapping.used or column in mapping.declared_absent or column in ambiguous:
            continue
        spellings = [normalise(column), *SYNONYMS[column]]
        for i, norm in enumerate(norms):
            if i in taken or len(norm) < 4 or is_personal(headers[i]):
                continue
            if max(difflib.SequenceMatcher(None, norm, s).ratio() for s in spellings) >= LOOKALIKE_RATIO:
                mapping.problems.append(MappingProblem(
                    "unmapped_lookalike_column", [column], [repr(headers[i])],
                    f"column {headers[i]!r} looks like {column} but is not a known spelling of it; "
                    f"map it with setup.census_columns: {{{column}: {headers[i]!r}}}, or set "
                    f"{column}: null if the file has no such column"))

    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.used]
    if missing and not any(p.name == "ambiguous_columns" for p in mapping.problems):
        found = _quoted([h for h in mapping.unmapped])
        mapping.problems.append(MappingProblem(
            "missing_columns", missing, missing,
            f"add the required column(s) {', '.join(missing)} or map them with "
            f"setup.census_columns (the file's unused columns: {found or 'none'}); "
            "docs/census.md lists the spellings recognised"))
    return mapping
