import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Scope } from '../../shared/auth/keys.ts';

type OperationType = OperationDefinitionNode['operation'];

/**
 * The scope each root field needs, in one place beside the schema: reading (queries and subscriptions) needs `read`,
 * changing pipelines or keys needs `admin`, and so does reading the keys. A root field not named here takes its
 * operation's default, so a new mutation needs admin until it is declared otherwise.
 */
export const ROOT_SCOPES: Readonly<Record<OperationType, { readonly default: Scope; readonly fields: Readonly<Record<string, Scope>> }>> = {
  query: { default: 'read', fields: { keys: 'admin' } },
  mutation: { default: 'admin', fields: {} },
  subscription: { default: 'read', fields: {} },
};

function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/**
 * The root fields the operation selects, fragments spread at the root included. Runs after validation (fragments
 * exist and do not cycle), over a document the token limit already bounds.
 */
export function rootFields(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return fields;
}

/** Every scope the operation needs: one per distinct requirement of its root fields (introspection reads). */
export function scopesOf(document: DocumentNode, operationName?: string | null): Set<Scope> {
  const operation = operationOf(document, operationName);
  // No operation to run (several and no name, or a name that is not there): execution refuses it and runs no field.
  if (!operation) return new Set();
  const table = ROOT_SCOPES[operation.operation];
  return new Set([...rootFields(document, operation)].map((field) => table.fields[field] ?? table.default));
}
