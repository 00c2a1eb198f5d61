/**
 * Named errors that carry what the user needs to fix the problem. Every message is one line and names the file, row
 * or field concerned; the CLI prints `message` alone (no stack) unless --verbose.
 */
export class GluelessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A dataset contract (datasets/*.yaml) is malformed. */
export class ContractError extends GluelessError {}

/** The input file cannot be processed as a whole (bad header, bad encoding, malformed CSV). Nothing is written. */
export class InputFileError extends GluelessError {}

/** An object the pipeline was asked to read does not exist. */
export class ObjectNotFoundError extends GluelessError {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}

/** No dataset contract owns the given key. */
export class NoDatasetError extends GluelessError {
  constructor(readonly key: string) {
    super(`no dataset contract owns key "${key}" (no contract's source.prefix matches it)`);
  }
}

/** A value cannot be placed into a catalog statement or a path safely. */
export class UnsafeValueError extends GluelessError {}

/** The catalog (Athena, DuckDB) rejected a statement. */
export class CatalogError extends GluelessError {}
