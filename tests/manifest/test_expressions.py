"""Calculated fields checked offline by validate: each problem at its own file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aepflow.cli import cli

REPO = Path(__file__).resolve().parents[2]
LINE = "    - {expression: lower(Email), destination: personalEmail.address}"
AT = "manifests/salesforce-crm.yaml:58"
COL = 20  # where `lower(Email)` starts on that line


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copy(REPO / "aepflow.yaml", tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate_with(project: Path, expression: str) -> tuple[int, str]:
    path = project / "manifests" / "salesforce-crm.yaml"
    text = path.read_text()
    assert LINE in text
    quoted = '"' + expression + '"'  # in quotes, as an expression with a comma must be
    path.write_text(text.replace(LINE, LINE.replace("lower(Email)", quoted), 1))
    result = CliRunner().invoke(cli, ["validate"], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_column_of_the_expression_is_the_one_counted_from() -> None:
    assert LINE.index("lower(Email)") + 1 == COL


@pytest.mark.parametrize(
    ("expression", "offset", "message"),
    [
        ("lowr(Email)", 0, "unknown Data Prep function 'lowr': did you mean 'lower'?"),
        (
            "concat(FirstName, upper(Email, LastName))",
            18,
            "upper takes 1 argument (upper(INPUT)), got 2",
        ),
        (
            "substr(Email, 1)",
            0,
            "substr takes 3 arguments (substr(INPUT, START_INDEX, LENGTH)), got 2",
        ),
        (
            "lower(Emial)",
            6,
            "column 'Emial' is not among the declared columns (Email, FirstName, Id, "
            "LastModifiedDate, LastName): did you mean 'Email'?",
        ),
        (
            "concat(FirstName, ' ', LastName",
            6,
            "unbalanced parenthesis: ( is never closed with )",
        ),
        (
            "lower(trim(Email)))",
            18,
            "unbalanced parenthesis: ) closes nothing",
        ),
    ],
)
def test_each_problem_is_reported_at_its_column(
    project: Path, expression: str, offset: int, message: str
) -> None:
    assert validate_with(project, expression) == (
        1,
        f"{AT}:{COL + 1 + offset}: {message}\n1 problem found.\n",
    )


def test_an_unbalanced_quote_is_reported_where_the_string_opens(project: Path) -> None:
    # In YAML quotes: the expression starts one column after the opening quote.
    assert validate_with(project, "concat(FirstName, ' , LastName)") == (
        1,
        f"{AT}:{COL + 1 + 18}: unbalanced quote: the string opened with ' is never closed\n"
        "1 problem found.\n",
    )


def test_every_problem_of_an_expression_is_reported(project: Path) -> None:
    code, out = validate_with(project, "concat(lowr(Email), uper(Emal))")
    assert (code, out.splitlines()) == (
        1,
        [
            f"{AT}:{COL + 1 + 7}: unknown Data Prep function 'lowr': did you mean 'lower'?",
            f"{AT}:{COL + 1 + 20}: unknown Data Prep function 'uper': did you mean 'upper'?",
            f"{AT}:{COL + 1 + 25}: column 'Emal' is not among the declared columns (Email, "
            "FirstName, Id, LastModifiedDate, LastName): did you mean 'Email'?",
            "3 problems found.",
        ],
    )


def test_a_multi_line_expression_is_reported_at_its_value(project: Path) -> None:
    path = project / "manifests" / "salesforce-crm.yaml"
    text = path.read_text()
    block = (
        "    - destination: personalEmail.address\n"
        "      expression: >-\n"
        "        concat(lowr(Email),\n"
        "        FirstName)\n"
    )
    path.write_text(text.replace(LINE + "\n", block, 1))
    result = CliRunner().invoke(cli, ["validate"], catch_exceptions=False)
    assert (result.exit_code, result.output) == (
        1,
        f"{AT[:-2]}59:19: in the expression 'concat(lowr(Email), FirstName)', unknown Data "
        "Prep function 'lowr': did you mean 'lower'?\n1 problem found.\n",
    )


def test_a_documented_function_preview_lacks_still_validates(project: Path) -> None:
    assert validate_with(project, "ua_os_name(Email)")[0] == 0
