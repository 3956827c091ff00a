/**
 * Every TypeScript example in the README compiles against the library's current API. Each
 * block becomes the body of a Stack constructor (examples use `this`), its imports hoisted, so
 * each block must import what it uses, as a reader copying it would need.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';
import { GuardDutyMembers } from '../src';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
// ```ts blocks, with jsii-rosetta's parameters after the language; ```tsx blocks are whole modules (test code
// rosetta does not translate), not a stack's body.
const fenced = [...README.matchAll(/```(tsx?)( [^\n]*)?\n([\s\S]*?)```/g)]
  .map((m) => ({ module: m[1] === 'tsx', params: (m[2] ?? '').trim().split(/\s+/), code: m[3] }));
const blocks = fenced.map((b) => b.code);

function fixture(block: string, index: number): string {
  if (fenced[index].module || fenced[index].params.includes('nofixture')) {
    return block;
  }
  const lines = block.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
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

test('every README example compiles', () => {
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

test('the README\'s snapshot helper masks the handler\'s asset hash, and a snapshot of a stack is stable with it', () => {
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
