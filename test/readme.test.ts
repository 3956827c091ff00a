/**
 * The README is a page for the people who install the library: short, every example (and every
 * docs/ example) compiles against the library's current API, both snapshot helpers (in
 * docs/constructs.md) work, every link resolves. Each
 * TypeScript block becomes the body of a Stack constructor (examples use `this`), its imports
 * and `declare`s hoisted (as jsii-rosetta does), so each block must import what it uses, as a
 * reader copying it would need; a `nofixture` block is a whole module.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';
import { GuardDutyMembers } from '../src';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DOCS = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8'));
// ```ts blocks, with jsii-rosetta's parameters after the language; ```tsx blocks are whole modules (test code
// rosetta does not translate), not a stack's body. docs/ pages' examples compile too, but for `infused` ones
// (rosetta's mark for code shown as is: cdk-nag is no dependency of the library).
const fenced = [README, ...DOCS].flatMap((page) => [...page.matchAll(/```(tsx?)( [^\n]*)?\n([\s\S]*?)```/g)])
  .map((m) => ({ module: m[1] === 'tsx', params: (m[2] ?? '').trim().split(/\s+/), code: m[3] }))
  .filter((b) => !b.params.includes('infused'));
const blocks = fenced.map((b) => b.code);

function fixture(block: string, index: number): string {
  if (fenced[index].module || fenced[index].params.includes('nofixture')) {
    return block;
  }
  const lines = block.split('\n');
  const hoisted = (l: string) => l.startsWith('import ') || l.startsWith('declare ');
  const imports = lines.filter(hoisted);
  const body = lines.filter((l) => !hoisted(l));
  return [
    "import { Stack } from 'aws-cdk-lib';",
    "import { Construct } from 'constructs';",
    ...imports,
    `export class ReadmeExample${index} extends Stack {`,
    '  constructor(scope: Construct, id: string) {',
    '    super(scope, id);',
    ...body.map((l) => `    ${l}`),
    '  }',
    '}',
  ].join('\n');
}

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(4);
});

test('every README and docs/ example compiles', () => {
  const files = new Map(blocks.map((block, i) => [path.join(ROOT, 'test', `readme-example-${i}.ts`), fixture(block, i)]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    noUnusedLocals: false,
    baseUrl: ROOT,
    paths: { 'cdk-security-members': ['src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => files.get(path.resolve(file)) ?? readFile(file);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => files.has(path.resolve(file)) || fileExists(file);
  const program = ts.createProgram([...files.keys()], options, host);
  const problems = ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.has(path.resolve(d.file.fileName)))
    .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n${files.get(path.resolve(d.file!.fileName))}`);
  expect(problems).toEqual([]);
}, 60_000);

test('the documented snapshot helper masks the handler\'s asset hash, and a snapshot of a stack is stable with it', () => {
  const block = fenced.find((b) => b.code.includes('export function maskedTemplate'));
  expect(block).toBeDefined();
  // The block as a user pastes it, loaded through ts-jest like any test helper.
  const file = path.join(ROOT, 'test', 'readme-masking.generated.ts');
  fs.writeFileSync(file, block!.code);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the README's code, loaded as written
    const { maskedTemplate } = require(file) as { maskedTemplate: (stack: Stack) => unknown };
    const stack = new Stack(new App(), 'Security');
    new GuardDutyMembers(stack, 'GuardDutyMembers', { members: [{ accountId: '222222222222', email: 'aws-workloads@example.com' }] });
    const raw = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(raw).toMatch(/[0-9a-f]{64}\.zip/);
    const masked = JSON.stringify(maskedTemplate(stack));
    expect(masked).not.toMatch(/[0-9a-f]{64}/);
    expect(masked).toContain('[ASSET HASH]');
    // Only the hashes changed: the rest of the template is as synthesized.
    expect(masked.replace(/\[ASSET HASH\]/g, '')).toBe(raw.replace(/[0-9a-f]{64}(\.zip)?/g, ''));
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('the README is a user\'s page: under 450 lines, the maintainers\' material in docs/', () => {
  expect(README.split('\n').length).toBeLessThan(450);
  for (const doc of ['constructs', 'how-it-works', 'ownership', 'plan', 'permissions', 'performance', 'upgrading', 'development']) {
    expect(README).toContain(`/docs/${doc}.md`);
  }
  expect(README).toMatch(/Unreleased: build from source/);
});

test('every link of the README and of docs/ resolves: files of the repository and headings of the page they point to', () => {
  const REPO = 'https://github.com/cdk-security-members/cdk-security-members/blob/main/';
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
  const headings = (file: string) => new Set([...fs.readFileSync(file, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1])));
  const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`), 'CONTRIBUTING.md', 'SECURITY.md'];
  const broken: string[] = [];
  for (const page of pages) {
    const text = fs.readFileSync(path.join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target) && !target.startsWith(REPO)) continue;
      const [file, anchor] = (target.startsWith(REPO) ? target.slice(REPO.length) : target).split('#');
      const resolved = file === '' ? path.join(ROOT, page) : target.startsWith(REPO) ? path.join(ROOT, file) : path.join(ROOT, path.dirname(page), file);
      if (!fs.existsSync(resolved)) {
        broken.push(`${page}: ${target} (no file)`);
      } else if (anchor && resolved.endsWith('.md') && !headings(resolved).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor})`);
      }
    }
  }
  expect(broken).toEqual([]);
});

test('the documented Python snapshot helper masks exactly what the TypeScript one masks', () => {
  const helper = [README, ...DOCS].flatMap((page) => [...page.matchAll(/```python\n([\s\S]*?)```/g)]).map((m) => m[1])
    .find((code) => code.includes('def masked_template('));
  expect(helper).toBeDefined();
  // aws_cdk's Python package is out of reach here: Stack and Template stand in for it, and the
  // template comes from the TypeScript synth of the same stack.
  const harness = [
    'import json, sys, types',
    "aws_cdk = types.ModuleType('aws_cdk'); aws_cdk.Stack = object",
    "assertions = types.ModuleType('aws_cdk.assertions')",
    'class Template:',
    '    def __init__(self, template): self.template = template',
    '    @staticmethod',
    '    def from_stack(stack): return Template(stack)',
    '    def to_json(self): return self.template',
    'assertions.Template = Template',
    "sys.modules['aws_cdk'] = aws_cdk; sys.modules['aws_cdk.assertions'] = assertions",
    `exec(${JSON.stringify(helper)})`,
    'print(json.dumps(masked_template(json.load(sys.stdin))))',
  ].join('\n');
  const stack = new Stack(new App(), 'Security');
  new GuardDutyMembers(stack, 'GuardDutyMembers', { members: [{ accountId: '222222222222', email: 'aws-workloads@example.com' }] });
  const raw = Template.fromStack(stack).toJSON();
  expect(JSON.stringify(raw)).toMatch(/[0-9a-f]{64}\.zip/);
  const masked = JSON.parse(execFileSync('python3', ['-c', harness], { input: JSON.stringify(raw), encoding: 'utf8' }));
  expect(masked).toEqual(JSON.parse(JSON.stringify(raw).replace(/[0-9a-f]{64}(\.zip)?/g, '[ASSET HASH]')));
  expect(JSON.stringify(masked)).not.toMatch(/[0-9a-f]{64}/);
});
