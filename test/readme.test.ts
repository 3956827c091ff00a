/**
 * Every TypeScript example in the README compiles against the library's current API. Each
 * block becomes the body of a Stack constructor (examples use `this`), its imports hoisted, so
 * each block must import what it uses, as a reader copying it would need.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

function fixture(block: string, index: number): string {
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
