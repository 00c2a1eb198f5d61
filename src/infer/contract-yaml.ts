import { contractTypeName, typeName } from '../pipeline/contract/column-type.js';
import type { Dialect } from './sniff.js';
import type { ColumnGuess, TableGuess } from './infer-types.js';

/**
 * The contract YAML `glueless infer` prints: the format of datasets/*.yaml, which `parseContract` accepts unchanged,
 * with comments saying what each guess rests on so a reviewer knows what to check.
 */

export interface ContractYamlOptions {
  name: string;
  /** Raw key prefix, ending in `/`. */
  prefix: string;
  /** The sampled file, for the comments. */
  fileName: string;
  dialect: Dialect;
  /** `jsonl`: a JSON-lines file (no dialect; columns are paths into the records). */
  format?: 'csv' | 'jsonl';
}

export function renderContractYaml(guess: TableGuess, options: ContractYamlOptions): string {
  const { dialect } = options;
  const count = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
  const sampled = guess.wholeFile ? `all ${count(guess.rowsSampled, 'data row')}` : `the first ${count(guess.rowsSampled, 'data row')}`;
  const jsonl = options.format === 'jsonl';
  const lines = [
    `# Inferred by \`glueless infer\` from ${oneLine(options.fileName)}: ${sampled}.`,
    jsonl
      ? '# JSON lines: nested objects are flattened to paths (source:), arrays and objects of changing shape are kept whole as json.'
      : `# Dialect: delimiter ${describeChar(dialect.delimiter)}, quote ${describeChar(dialect.quote)}, ${dialect.lineEnding.toUpperCase()} line endings${dialect.bom ? ', UTF-8 BOM' : ''}.`,
    '# Types, required, primary_key and partition_by are guesses from the sample: review them before ingesting.',
  ];
  if (jsonl && guess.raggedRows > 0) {
    lines.push(`# ${count(guess.raggedRows, 'sampled record')} not a JSON object, not used; ingest quarantines such lines.`);
  } else if (guess.raggedRows > 0) {
    lines.push(`# ${count(guess.raggedRows, 'sampled row')} had more or fewer fields than the header and were not used; ingest quarantines such rows.`);
  }
  lines.push(
    `name: ${options.name}`,
    'source:',
    `  prefix: ${/^[\w][\w./-]*\/$/.test(options.prefix) ? options.prefix : quote(options.prefix)}`,
    ...(jsonl ? ['  format: jsonl'] : ['  format: csv', `  delimiter: ${quote(dialect.delimiter)}`, `  quote: ${quote(dialect.quote)}`]),
    'columns:',
    ...guess.columns.map((c) => `  - ${columnEntry(c)}  # ${columnComment(c)}`),
  );
  if (guess.primaryKey.length > 0) {
    lines.push(`primary_key: [${guess.primaryKey.join(', ')}]  # unique in ${sampled}; later duplicates are quarantined`);
  } else {
    lines.push(`# primary_key: no column or pair of columns is unique and never empty in the sample`);
  }
  lines.push(
    `partition_by:  # ${guess.partition.why}`,
    `  column: ${guess.partition.column}`,
    `  layout: ${guess.partition.layout}`,
  );
  lines.push(
    'file:  # the quality gate: a file with more than 5% of its rows quarantined is rejected whole (kept in quarantine)',
    `  max_error_ratio: ${DRAFT_MAX_ERROR_RATIO}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The medallion lake's gate: a file passes on at 95% good rows. */
export const DRAFT_MAX_ERROR_RATIO = 0.05;

function columnEntry(c: ColumnGuess): string {
  const fields = [`name: ${c.name}`];
  if (c.header !== c.name) fields.push(`source: ${quote(c.header)}`);
  fields.push(`type: ${c.type.kind === 'decimal' ? quote(typeName(c.type)) : contractTypeName(c.type)}`);
  if (c.required) fields.push('required: true');
  if (c.format && c.format !== 'iso') fields.push(`format: ${quote(c.format)}`);
  if (c.trueValues) fields.push(`true_values: ${list(c.trueValues)}`);
  if (c.falseValues) fields.push(`false_values: ${list(c.falseValues)}`);
  if (c.nullTokens.length > 0) fields.push(`null_values: ${list(c.nullTokens)}`);
  return `{ ${fields.join(', ')} }`;
}

function columnComment(c: ColumnGuess): string {
  const parts = [`${c.values.toLocaleString('en-US')} values, ${c.nulls.toLocaleString('en-US')} null`];
  if (c.example !== undefined) parts.push(`e.g. ${oneLine(JSON.stringify(truncate(c.example)))}`);
  if (c.values === 0) parts.push('always empty in the sample: typed as string');
  if (c.type.kind === 'timestamp' && c.format !== 'epoch_s' && c.format !== 'epoch_ms') parts.push('times without an offset are read as UTC (set timezone: if local)');
  if (c.alsoFits.length > 0) parts.push(`also fits ${c.alsoFits.join(', ')}`);
  if (c.keptAsText.length > 0) parts.push(`${c.keptAsText.join(', ')} kept as text (add null_values: if it means missing)`);
  return parts.join('; ');
}

/** A YAML double-quoted scalar: JSON string syntax is valid YAML, escapes and all; YAML also wants C1 controls escaped. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function list(items: string[]): string {
  return `[${items.map(quote).join(', ')}]`;
}

function describeChar(char: string): string {
  return char === '\t' ? 'tab' : `'${char}'`;
}

/** Comments are one line: no line breaks may reach them. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, ' ');
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
