/**
 * Tidies the Python translations in jsii-rosetta's tablet (`.jsii.tabl.json`), which the npm
 * package ships so that jsii-pacmak and Construct Hub use them: jsii-rosetta 6 adds an import
 * for every struct literal (`from cdk_security_members import MemberAccount, MemberAccount`)
 * beside the example's own import of the same module. Here each snippet's imports from one
 * module become one line, where the last one was (the example's own, after rosetta's), each name
 * once, sorted.
 *
 * Usage (after `jsii-rosetta extract`): tsx build-tools/tidy-python-examples.ts [.jsii.tabl.json]
 */
import * as fs from 'fs';

const FROM_IMPORT = /^from (\S+) import (.+)$/;

/** `source` with its `from X import ...` lines merged per module and deduplicated (other lines untouched). */
export function tidyPythonImports(source: string): string {
  const lines = source.split('\n');
  const names = new Map<string, string[]>();
  const lastLine = new Map<string, number>();
  lines.forEach((line, i) => {
    const match = FROM_IMPORT.exec(line);
    if (!match || match[2].includes('(')) return;
    const [, module, imported] = match;
    const known = names.get(module) ?? [];
    for (const name of imported.split(',').map((n) => n.trim()).filter((n) => n !== '')) {
      if (!known.includes(name)) known.push(name);
    }
    names.set(module, known);
    lastLine.set(module, i);
  });
  const out: string[] = [];
  lines.forEach((line, i) => {
    const match = FROM_IMPORT.exec(line);
    if (!match || match[2].includes('(')) {
      out.push(line);
    } else if (lastLine.get(match[1]) === i) {
      out.push(`from ${match[1]} import ${[...names.get(match[1])!].sort().join(', ')}`);
    }
  });
  return out.join('\n');
}

interface Tablet {
  readonly snippets: Record<string, { readonly translations: Record<string, { source: string }> }>;
}

/** Tidies every Python translation of the tablet at `file`; answers how many changed. */
export function tidyTablet(file: string): number {
  const tablet = JSON.parse(fs.readFileSync(file, 'utf8')) as Tablet;
  let changed = 0;
  for (const snippet of Object.values(tablet.snippets)) {
    const python = snippet.translations.python;
    if (!python) continue;
    const tidy = tidyPythonImports(python.source);
    if (tidy !== python.source) {
      python.source = tidy;
      changed++;
    }
  }
  fs.writeFileSync(file, JSON.stringify(tablet));
  return changed;
}

if (require.main === module) {
  const file = process.argv[2] ?? '.jsii.tabl.json';
  console.log(`${file}: ${tidyTablet(file)} Python examples tidied`);
}
