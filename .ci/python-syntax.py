"""Syntax check of the generated Python bindings and of every Python example in their docs.

Usage: python3 .ci/python-syntax.py <jsii-pacmak --code-only output directory>
The jsii, constructs and aws-cdk-lib Python packages are out of reach here, so the bindings
cannot be imported; compiling them and parsing each translated example is what can be checked.
"""
import ast
import pathlib
import py_compile
import re
import sys

root = pathlib.Path(sys.argv[1])
sources = sorted(root.rglob("*.py"))
if not sources:
    sys.exit(f"no Python sources under {root}")
examples = 0
problems = []
for source in sources:
    py_compile.compile(str(source), doraise=True)
    text = source.read_text(encoding="utf-8")
    # README blocks (```python) and docstring examples (Example:: followed by an indented block).
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    for match in re.finditer(r"\n( *)Example::\n\n((?:\1    .*\n|\n)+)", text):
        indent = len(match.group(1)) + 4
        blocks.append("\n".join(line[indent:] for line in match.group(2).splitlines()))
    for block in blocks:
        examples += 1
        try:
            ast.parse(block)
        except SyntaxError as err:
            problems.append(f"{source.name}: example {examples}: {err.msg} at line {err.lineno}:\n{block}")
        if re.search(r"^\s*(import \{|const |new [A-Z])", block, re.M):
            problems.append(f"{source.name}: example {examples} is still TypeScript (run jsii-rosetta extract first):\n{block}")
print(f"{len(sources)} Python files compiled, {examples} examples parsed")
if problems:
    sys.exit("\n\n".join(problems))
