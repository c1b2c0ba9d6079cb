"""The README's comparison table: every cell is backed by a test or a benchmark of this repository,
named in the notes under it, and every test or benchmark named there exists (a drift test: renaming
or removing a test the table points at fails here). No binary, no database: it reads files only."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_SHOWN = "—"
MARKER = re.compile(r"\[(\d+)\]")
TEST_REF = re.compile(r"`(tests/[\w/.-]+\.py)::(\w+)`")
FILE_REF = re.compile(r"`(tests/[\w/.-]+\.py)`")


def comparison():
    """The table's rows (lists of cells, header first, separator dropped) and its notes {number: text}."""
    readme = (REPO / "README.md").read_text()
    m = re.search(r"<!-- comparison:begin -->\n(.*?)<!-- comparison:end -->\n(.*?)\n## ", readme, re.S)
    assert m, "README.md has no <!-- comparison:begin --> ... <!-- comparison:end --> table"
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in m.group(1).splitlines()
        if line.startswith("|") and not re.fullmatch(r"\|(-+\|)+", line.strip())
    ]
    notes = {int(n): text for n, text in re.findall(r"^(\d+)\. (.*)$", m.group(2), re.M)}
    return rows, notes


def functions_of(path: Path) -> set:
    return {node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}


def test_every_cell_names_its_backing_or_says_not_shown():
    rows, notes = comparison()
    header, body = rows[0], rows[1:]
    assert header[1] == "prisma-entrypoint" and len(header) >= 3, header
    assert body, "the comparison table has no rows"
    for row in body:
        assert len(row) == len(header), f"{len(row)} cells, {len(header)} columns: {row}"
        for column, cell in zip(header[1:], row[1:]):
            assert cell == NOT_SHOWN or MARKER.search(cell), f"{row[0]!r} / {column}: {cell!r} names no note"
            for n in MARKER.findall(cell):
                assert int(n) in notes, f"{row[0]!r} / {column}: note [{n}] is not under the table"
    used = {int(n) for row in body for cell in row[1:] for n in MARKER.findall(cell)}
    assert set(notes) == used, f"notes no cell points at: {sorted(set(notes) - used)}"


def test_every_prisma_entrypoint_cell_names_a_test_or_benchmark():
    rows, notes = comparison()
    for row in rows[1:]:
        refs = [notes[int(n)] for n in MARKER.findall(row[1])]
        assert row[1] == NOT_SHOWN or any(TEST_REF.search(text) or FILE_REF.search(text) for text in refs), row


def test_every_test_and_benchmark_named_exists():
    _, notes = comparison()
    for n, text in notes.items():
        tests, files = TEST_REF.findall(text), FILE_REF.findall(text)
        assert tests or files, f"note {n} names no test and no benchmark: {text}"
        for path, function in tests:
            assert (REPO / path).is_file(), f"note {n}: {path} does not exist"
            assert function in functions_of(REPO / path), f"note {n}: no {function} in {path}"
        for path in files:
            assert (REPO / path).is_file(), f"note {n}: {path} does not exist"
