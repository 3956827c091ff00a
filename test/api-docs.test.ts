/**
 * Every exported symbol (what API.md and Construct Hub show) has a docstring: classes,
 * interfaces, enums, and their public members.
 */
import * as path from 'path';
import * as ts from 'typescript';

const INDEX = path.join(__dirname, '..', 'src', 'index.ts');

function undocumented(): string[] {
  const program = ts.createProgram([INDEX], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  const hasDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).some((doc) => ts.isJSDoc(doc) && !!doc.comment);
  const hidden = [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword];
  const isPublic = (member: ts.Node) =>
    !(ts.canHaveModifiers(member) && ts.getModifiers(member)?.some((m) => hidden.includes(m.kind)));

  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!);
  for (const exported of exports) {
    // eslint-disable-next-line no-bitwise -- symbol flags are a bit set
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const declaration of symbol.declarations ?? []) {
      if (!hasDoc(declaration)) missing.push(symbol.name);
      if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration) || ts.isEnumDeclaration(declaration)) {
        for (const member of declaration.members as ts.NodeArray<ts.Node>) {
          const name = (member as ts.NamedDeclaration).name?.getText() ?? 'constructor';
          if (isPublic(member) && !ts.isIndexSignatureDeclaration(member) && !hasDoc(member) && !ts.isConstructorDeclaration(member)) {
            missing.push(`${symbol.name}.${name}`);
          }
        }
      }
    }
  }
  return missing;
}

test('every exported symbol and public member has a docstring', () => {
  expect(undocumented()).toEqual([]);
});
