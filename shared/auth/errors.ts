/**
 * Why a key operation was refused. Clients and scripts branch on `code`, so entries may be added but never renamed or
 * removed; `status` is the HTTP status an API answering with it uses.
 */
export const KEY_ERROR_STATUS = {
  invalid_name: 400,
  missing_scope: 400,
  invalid_scope: 400,
  invalid_source: 400,
  invalid_rate: 400,
  invalid_burst: 400,
  key_exists: 409,
  unknown_key: 404,
} as const;
export type KeyErrorCode = keyof typeof KEY_ERROR_STATUS;

export class KeyError extends Error {
  override readonly name = 'KeyError';
  readonly status: number;
  constructor(
    readonly code: KeyErrorCode,
    /** The field at fault (`name`, `scopes`, `rate`, ...). */
    readonly path: string,
    problem: string,
    /** Position within a list field (the second scope is index 1). */
    readonly index?: number,
  ) {
    super(`${index === undefined ? path : `${path}[${index}]`}: ${problem}`);
    this.status = KEY_ERROR_STATUS[code];
  }
}
