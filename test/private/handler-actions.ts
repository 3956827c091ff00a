/**
 * The IAM actions the reconcile handler can call, derived from its code: every `XCommand` and
 * `paginateX` imported from an AWS SDK client anywhere in the handler's import graph is action
 * `<service>:X`. Used by the least-privilege test and checked against the operations the
 * lifecycle tests see on the wire.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const HANDLER = path.join(__dirname, '..', '..', 'src', 'private', 'reconcile.lambda.ts');
const SDK_CLIENT = /^@aws-sdk\/client-([a-z0-9-]+)$/;

/** IAM actions of every SDK command or paginator reachable through the handler's relative imports. */
export function actionsCalledByHandler(): ReadonlySet<string> {
  derived ??= actionsReachableFrom(HANDLER);
  return derived;
}
let derived: Set<string> | undefined;

/**
 * IAM actions of every SDK command or paginator reachable from `entry` through relative imports
 * (type-only imports are erased at compile time: they call nothing).
 */
export function actionsReachableFrom(entry: string): Set<string> {
  const actions = new Set<string>();
  const visited = new Set<string>();
  const visit = (file: string) => {
    if (visited.has(file)) return;
    visited.add(file);
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        && statement.moduleSpecifier.text.startsWith('.') && !statement.isTypeOnly) {
        // A re-export runs the module too.
        visit(path.resolve(path.dirname(file), `${statement.moduleSpecifier.text}.ts`));
        continue;
      }
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      if (statement.importClause?.isTypeOnly) continue;
      const from = statement.moduleSpecifier.text;
      if (from.startsWith('.')) {
        visit(path.resolve(path.dirname(file), `${from}.ts`));
        continue;
      }
      const client = from.match(SDK_CLIENT);
      const bindings = statement.importClause?.namedBindings;
      if (!client || !bindings || !ts.isNamedImports(bindings)) continue;
      for (const element of bindings.elements) {
        const name = (element.propertyName ?? element.name).text;
        const operation = name.match(/^(\w+)Command$/)?.[1] ?? name.match(/^paginate(\w+)$/)?.[1];
        if (operation) actions.add(`${client[1]}:${operation}`);
      }
    }
  };
  visit(entry);
  return actions;
}

