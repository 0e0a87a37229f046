"""Fuzz `pgwarden lint` in-process: perturbed real migrations and generated nasty SQL.

    .venv/bin/python bench/fuzz_lint.py [--n 100000] [--seed S] [--corpus DIR]

Every input is linted against the schema an earlier migration of the same project leaves
(so the lock model sees existing tables); some go through files on disk (bad encodings,
directories, FIFOs, dangling links). A crash is an exception escaping lint; a parse error must
be a clean `path:line:col: message`. Prints progress every 10k inputs and a summary line
`fuzz: N inputs, C crashes, E parse errors, T s`; exits 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_parsed, lint_paths, select_rules
from pgwarden.sql import ParsedFile, ParseFailure, SqlSource, parse_source

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[1] / "shared" / "corpus"
CONFIG = LintConfig(cache=False, extend_select=frozenset({"ALL"}))
_TOKEN = re.compile(r"\w+|'[^']*'|\"[^\"]*\"|\$\$|\S")

SNIPPETS = [
    ";",
    "(",
    ")",
    "'",
    '"',
    "$$",
    "$x$",
    "--",
    "/*",
    "*/",
    "\\",
    "\\set x 1\n",
    "\n\\.\n",
    "BEGIN;",
    "COMMIT;",
    "ROLLBACK;",
    "COMMIT AND CHAIN;",
    "SAVEPOINT s;",
    "CONCURRENTLY",
    "NOT VALID",
    "USING INDEX",
    "IF NOT EXISTS",
    "CASCADE",
    "ONLY",
    "PARTITION OF t",
    "COPY t FROM stdin;\n1\t2\n",
    "-- pgwarden: ignore[",
    "-- pgwarden: ignore-file[*]\n",
    "-- pgwarden: ignore[require-lock-timeout]\n",
    "SET lock_timeout = 0;",
    "RESET ALL;",
    "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;",
    "ALTER TABLE t ",
    "ADD COLUMN c ",
    "DROP ",
    "DEFAULT random()",
    "GENERATED ALWAYS AS (1) STORED",
    "serial",
    "varchar(10)",
    "int[]",
    "\x00",
    "\ufeff",
    "é",
    "€",
    "\U0001d54f",
    "\u202e",
    "\r\n",
    "\t",
    "NULL",
    "::int",
    "ARRAY[",
    "]",
    "DO $$ BEGIN END $$;",
    "CREATE INDEX ON t (a);",
    "VACUUM FULL t;",
    "CLUSTER t;",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY v;",
    "ALTER TYPE e ADD VALUE 'x';",
    "TRUNCATE t;",
]


def load_pool(corpus: Path) -> list[list[str]]:
    """Migration texts, grouped by project in migration order (earlier files give schemas)."""
    from pgwarden.sql.discover import discover

    pool: list[list[str]] = []
    if corpus.is_dir():
        for project in sorted(p for p in corpus.iterdir() if p.is_dir()):
            texts = []
            for src in discover([str(project)]):
                if src.path is not None and src.path.is_file():
                    texts.append(src.path.read_text(encoding="utf-8", errors="replace"))
            if texts:
                pool.append(texts)
    if not pool:  # no corpus: a few hand-written migrations
        pool.append(
            [
                "CREATE TABLE t (id bigint PRIMARY KEY, a int, e text);\n"
                "CREATE TYPE e AS ENUM ('a');\nCREATE MATERIALIZED VIEW v AS SELECT 1;",
                "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0;\n"
                "CREATE INDEX CONCURRENTLY t_b ON t (b);",
                "BEGIN;\nALTER TABLE t ALTER COLUMN a TYPE bigint;\nCOMMIT;",
            ]
        )
    return pool


_STATEMENTS = [x for x in SNIPPETS if x.endswith(";")]
_TYPES = [
    "int",
    "bigint",
    "smallint",
    "text",
    "varchar(5)",
    "numeric(3,1)",
    "jsonb",
    "uuid",
    "timestamptz",
    "timestamp",
    "serial",
    "bool",
    "e",
    "int[]",
    "char(2)",
    "json",
]
_TYPE = re.compile(
    r"\b(?:int|integer|bigint|text|varchar(?:\(\d+\))?|boolean|jsonb?|uuid|"
    r"timestamp(?:tz)?|serial|bigserial|numeric)\b",
    re.IGNORECASE,
)


def keep_valid(rng: random.Random, text: str, other: str) -> str:
    """An edit that usually keeps the SQL valid, so the lock model (not the parser) is hit."""
    op = rng.randrange(4)
    cuts = [m.end() for m in re.finditer(";", text)] or [len(text)]
    at = rng.choice(cuts)
    if op == 0:  # a statement from elsewhere, at a statement boundary
        stmts = [s for s in other.split(";") if s.strip()] or _STATEMENTS
        return text[:at] + "\n" + rng.choice(stmts).strip().rstrip(";") + ";" + text[at:]
    if op == 1:  # another type
        return _TYPE.sub(lambda m: rng.choice(_TYPES) if rng.random() < 0.3 else m.group(), text)
    if op == 2:  # wrap in a transaction, or open one that never ends
        return "BEGIN;\n" + text + ("\nCOMMIT;" if rng.random() < 0.7 else "")
    return text[:at] + "\n" + rng.choice(_STATEMENTS) + text[at:]


def perturb(rng: random.Random, text: str) -> str:
    """One to three random edits of a migration's text."""
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        n = len(text)
        at = rng.randint(0, n)
        if op == 0:  # truncate
            text = text[:at]
        elif op == 1:  # insert random characters
            junk = "".join(
                chr(rng.choice([rng.randint(0, 127), rng.randint(128, 0x2FFFF)]))
                for _ in range(rng.randint(1, 8))
            )
            text = text[:at] + junk.replace("\ud800", "") + text[at:]
        elif op == 2:  # insert a snippet that changes the structure
            text = text[:at] + rng.choice(SNIPPETS) + text[at:]
        elif op in (3, 4):  # duplicate or delete a token
            toks = list(_TOKEN.finditer(text))
            if toks:
                m = rng.choice(toks)
                mid = m.group() if op == 3 else ""
                text = (
                    text[: m.start()] + mid + " " + text[m.start() :]
                    if op == 3
                    else (text[: m.start()] + mid + text[m.end() :])
                )
        elif op == 5:  # huge identifier
            text = text[:at] + " " + "x" * rng.choice([64, 100, 10_000, 200_000]) + " " + text[at:]
        elif op == 6:  # swap two statements
            parts = text.split(";")
            if len(parts) > 2:
                i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
                parts[i], parts[j] = parts[j], parts[i]
                text = ";".join(parts)
        elif op == 7:  # repeat a slice
            end = rng.randint(at, min(n, at + 200))
            text = text[:end] + text[at:end] * rng.randint(1, 5) + text[end:]
        else:  # swap case of a slice
            end = rng.randint(at, min(n, at + 100))
            text = text[:at] + text[at:end].swapcase() + text[end:]
    return text


def generated(rng: random.Random) -> str:
    """SQL made from scratch: deep nesting, long chains, odd unicode, odd structure."""
    k = rng.randrange(8)
    depth = rng.choice([10, 100, 1000, 5000, 20_000])
    if k == 0:
        return "SELECT " + "(" * depth + "1" + ")" * depth + ";"
    if k == 1:
        op = rng.choice(["+", "||", " AND ", " OR ", "::int", " IS NULL", "*"])
        return "ALTER TABLE t ADD COLUMN c int DEFAULT " + "1" + (op + "1") * depth + ";"
    if k == 2:
        return "SELECT " + "f(" * min(depth, 3000) + "1" + ")" * min(depth, 3000) + ";"
    if k == 3:
        return "CREATE TABLE t (" + ", ".join(f"c{i} int" for i in range(depth)) + ");"
    if k == 4:
        return (
            "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(0, 300)))
            .replace("\ud800", "")
            .encode("utf-8", "replace")
            .decode("utf-8", "replace")
        )
    if k == 5:
        return "SELECT CASE " + "WHEN true THEN CASE " * min(depth, 2000) + "END" * 3 + ";"
    if k == 6:
        return "\n".join(rng.choice(SNIPPETS) for _ in range(rng.randint(1, 40)))
    return f'CREATE TABLE "{"é" * rng.choice([63, 64, 1000])}" (id int);'


def check_result(result: LintResult) -> str | None:
    """A problem with how errors are reported, or None."""
    for err in result.errors:
        text = str(err)
        if not re.fullmatch(rf"{re.escape(err.display)}:\d+:\d+: \S.*", text, re.DOTALL):
            return f"badly formatted error: {text!r}"
        if err.line < 1 or err.column < 1:
            return f"error position out of range: {text!r}"
    return None


class Fuzzer:
    def __init__(self, seed: int, corpus: Path, workdir: Path) -> None:
        self.rng = random.Random(seed)
        self.pool = load_pool(corpus)
        self.workdir = workdir  # scratch space for on-disk cases
        self.keep: Path | None = None  # where crashing inputs are saved
        self.rules = select_rules(CONFIG)
        self._catalogs: dict[str, Catalog] = {}
        self.crashes = 0
        self.parse_errors = 0
        self.examples: list[str] = []

    def one(self, i: int) -> None:
        rng = self.rng
        project = rng.choice(self.pool)
        idx = rng.randrange(len(project))
        schema = project[idx - 1] if idx > 0 and rng.random() < 0.7 else ""
        r = rng.random()
        if r < 0.15:
            text = generated(rng)
        elif r < 0.6:
            text = keep_valid(rng, project[idx], rng.choice(project))
        else:
            text = perturb(rng, project[idx])
        try:
            if rng.random() < 0.03:
                result = self.on_disk(i, text)
            else:
                result = self.in_memory(text, f"fuzz{i}.sql", schema)
            problem = check_result(result)
            self.parse_errors += len(result.errors)
        except Exception:  # a crash: what this script counts
            problem = traceback.format_exc()
        if problem is not None:
            self.crashes += 1
            if len(self.examples) < 5:
                self.keep = self.keep or Path(tempfile.mkdtemp(prefix="pgwarden-fuzz-crashes-"))
                sample = self.keep / f"crash{i}.sql"
                sample.write_text(text, encoding="utf-8", errors="surrogatepass")
                self.examples.append(f"input saved to {sample}\n{problem}")

    def in_memory(self, text: str, display: str, schema: str) -> LintResult:
        """What `lint_text(text, schema_sql=schema)` does, with the schema's catalog built
        once per schema text (copies are cheap), so most of the time goes to the input."""
        catalog = self._catalogs.get(schema)
        if catalog is None:
            catalog = Catalog()
            if schema:  # an unchanged earlier migration (the corpus test lints those)
                parsed_schema = parse_source(SqlSource("<schema>", None, schema))
                if isinstance(parsed_schema, ParsedFile):
                    for st in parsed_schema.statements:
                        apply_statement(st.node, catalog, False)
                catalog.mark_all_existing()
            if len(self._catalogs) > 2000:
                self._catalogs.clear()
            self._catalogs[schema] = catalog
        result = LintResult()
        parsed = parse_source(SqlSource(display, None, text))
        if isinstance(parsed, ParseFailure):
            result.errors.append(parsed)
        else:
            result.files.append(lint_parsed(parsed, catalog.copy(), CONFIG, self.rules))
        return result

    def on_disk(self, i: int, text: str) -> LintResult:
        """Files as the CLI meets them: bad bytes, odd names, things that are not files."""
        d = self.workdir / f"case{i}"
        d.mkdir()
        kind = self.rng.randrange(6)
        data = text.encode("utf-8", "surrogatepass")
        if kind == 0:
            data = data[: self.rng.randint(0, len(data))] + bytes([self.rng.randint(0x80, 0xFF)])
        (d / "0001_a.sql").write_bytes(data if kind != 1 else b"")
        if kind == 2:
            (d / "0002_dir.sql").mkdir()
        elif kind == 3:
            os.mkfifo(d / "0002_fifo.sql")
        elif kind == 4:
            (d / "0002_dangling.sql").symlink_to(d / "missing")
        paths = [str(d)] if kind != 5 else [str(d / "0001_a.sql" / "child.sql"), str(d)]
        return lint_paths(paths, CONFIG)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="number of inputs (default 100000)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="migrations to perturb")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pgwarden-fuzz-") as tmp:
        fuzzer = Fuzzer(seed, args.corpus, Path(tmp))
        print(f"fuzz: seed {seed}, {sum(map(len, fuzzer.pool))} migrations to perturb", flush=True)
        for i in range(args.n):
            fuzzer.one(i)
            if (i + 1) % 10_000 == 0:
                print(
                    f"  {i + 1} inputs, {fuzzer.crashes} crashes, {fuzzer.parse_errors} parse"
                    f" errors, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        for example in fuzzer.examples:
            print(example, file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"fuzz: {args.n} inputs, {fuzzer.crashes} crashes, {fuzzer.parse_errors} parse errors,"
        f" {elapsed:.1f} s"
    )
    return 1 if fuzzer.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
