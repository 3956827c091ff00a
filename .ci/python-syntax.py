"""Checks the generated Python bindings and every Python example in their docs.

Usage: python3 .ci/python-syntax.py <jsii-pacmak --code-only output directory>
The jsii, constructs and aws-cdk-lib Python packages are out of reach here, so the bindings
cannot be imported; what can be checked is that they compile and that each example reads as
Python: it parses, holds no TypeScript (code, comments or commented-out properties), imports
each name once from one line per module, and carries no "non-compiling source" disclaimer. The
package README must give the snapshot helper in Python too.
"""
import ast
import io
import pathlib
import py_compile
import re
import sys
import tokenize

TYPESCRIPT = re.compile(r"^\s*(import \{|const |let |new [A-Z]|export )", re.M)
COMMENTED_PROPERTY = re.compile(r"^#\s*[a-z]+[A-Z]\w*\s*:")
FROM_IMPORT = re.compile(r"^from (\S+) import (.+)$")


def comments(block):
    """The comments of a Python block (tokenize knows strings from comments)."""
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(block).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def import_problems(block):
    """Names imported twice, and modules imported from on more than one line."""
    problems = []
    modules = {}
    for line in block.splitlines():
        match = FROM_IMPORT.match(line)
        if not match or "(" in match.group(2):
            continue
        names = [n.strip() for n in match.group(2).split(",")]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"imports {', '.join(duplicates)} twice in one line: {line}")
        if match.group(1) in modules:
            problems.append(f"imports from {match.group(1)} on two lines: {modules[match.group(1)]} / {line}")
        modules.setdefault(match.group(1), line)
    return problems


def block_problems(block):
    """What keeps one example from reading as Python."""
    problems = []
    try:
        ast.parse(block)
    except SyntaxError as err:
        problems.append(f"{err.msg} at line {err.lineno}")
    if TYPESCRIPT.search(block):
        problems.append("still TypeScript (run `npx projen rosetta:extract` before packaging)")
    if "automatically generated from non-compiling source" in block:
        problems.append("translated from an example that does not compile")
    for comment in comments(block):
        if "//" in comment or COMMENTED_PROPERTY.match(comment):
            problems.append(f"a TypeScript comment: {comment}")
    return problems + import_problems(block)


def examples(text):
    """README blocks (```python) and docstring examples (Example:: followed by an indented block)."""
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    for match in re.finditer(r"\n( *)Example::\n\n((?:\1    .*\n|\n)+)", text):
        indent = len(match.group(1)) + 4
        blocks.append("\n".join(line[indent:] for line in match.group(2).splitlines()))
    return blocks


def main(root):
    sources = sorted(root.rglob("*.py"))
    if not sources:
        sys.exit(f"no Python sources under {root}")
    readmes = sorted(root.rglob("README.md"))
    count = 0
    problems = []
    # The package README is in the module's docstring too: its examples are checked there.
    for source in sources:
        py_compile.compile(str(source), doraise=True)
        for block in examples(source.read_text(encoding="utf-8")):
            count += 1
            problems += [f"{source.name}: example {count}: {p}:\n{block}" for p in block_problems(block)]
    if not readmes:
        problems.append(f"no README.md under {root}")
    for readme in readmes:
        if not any("def masked_template(" in block for block in re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)):
            problems.append(f"{readme}: no Python snapshot helper (def masked_template) in a ```python block")
    print(f"{len(sources)} Python files compiled, {count} examples checked")
    if problems:
        sys.exit("\n\n".join(problems))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
