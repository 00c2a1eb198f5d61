import { looksLikeHeader, sniffDialect } from '../../src/infer/sniff.js';

const ROWS = [
  ['order_id', 'customer', 'amount', 'order_date'],
  ['1', 'Ann, Ltd.', '10.50', '2024-03-01'],
  ['2', 'Bob', '7', '2024-03-02'],
  ['3', 'Cy; Co', '1.25', '2024-03-03'],
];

function csv(delimiter: string, rows = ROWS, lineEnd = '\n'): string {
  const field = (f: string) => (f.includes(delimiter) || /["\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return rows.map((r) => r.map(field).join(delimiter)).join(lineEnd) + lineEnd;
}

describe('sniffDialect', () => {
  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['pipe', '|'],
  ])('finds the %s delimiter, even with the other delimiters inside values', (_name, delimiter) => {
    expect(sniffDialect(csv(delimiter), true)).toEqual({ delimiter, quote: '"', hasHeader: true, lineEnding: 'lf', bom: false });
  });

  it('prefers the delimiter that splits every row alike over one that merely occurs more (decimal commas)', () => {
    const text = 'name;price;qty\nLamp;10,50;1\nDesk;199,00;2\nPen;1,5;10\n';
    expect(sniffDialect(text, true).delimiter).toBe(';');
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks as one field', () => {
    const rows = [
      ['id', 'note', 'n'],
      ['1', 'two\nlines, and a comma', '5'],
      ['2', 'said "hi"\r\nthen left', '6'],
      ['3', 'plain', '7'],
    ];
    const dialect = sniffDialect(csv(',', rows), true);
    expect(dialect).toMatchObject({ delimiter: ',', quote: '"', hasHeader: true });
  });

  it('sees CRLF and CR line endings and a UTF-8 BOM', () => {
    expect(sniffDialect(`\uFEFF${csv(';', ROWS, '\r\n')}`, true)).toEqual({ delimiter: ';', quote: '"', hasHeader: true, lineEnding: 'crlf', bom: true });
    expect(sniffDialect(csv(',', ROWS, '\r'), true)).toMatchObject({ delimiter: ',', lineEnding: 'cr', hasHeader: true });
  });

  it("takes ' as the quote only when fields are quoted with it and never with \"", () => {
    expect(sniffDialect("id,name\n1,'Smith, J'\n2,'Doe, A'\n", true)).toMatchObject({ delimiter: ',', quote: "'" });
    expect(sniffDialect("id,name\n1,O'Brien\n2,\"Doe, A\"\n", true)).toMatchObject({ delimiter: ',', quote: '"' });
  });

  it('does not judge a record cut at the end of a partial sample', () => {
    const whole = csv('|', [ROWS[0]!, ...Array.from({ length: 50 }, (_, i) => [String(i), 'x', '1.5', '2024-01-01'])]);
    const cut = whole.slice(0, whole.length - 8);
    expect(sniffDialect(cut, false)).toMatchObject({ delimiter: '|', hasHeader: true });
  });

  it('falls back to a comma for a single column', () => {
    expect(sniffDialect('name\nAnn\nBob\n', true)).toMatchObject({ delimiter: ',', hasHeader: true });
  });
});

describe('looksLikeHeader', () => {
  it('a text row above numbers, dates or booleans is a header', () => {
    expect(looksLikeHeader([['id', 'when', 'ok'], ['1', '2024-01-01', 'yes'], ['2', '2024-01-02', 'no']])).toBe(true);
  });

  it('a first row like the rows below is data', () => {
    expect(looksLikeHeader([['1', '2024-01-01', '10.5'], ['2', '2024-01-02', '7']])).toBe(false);
    expect(looksLikeHeader([['Ann', 'Paris', '32'], ['Bob', 'Oslo', '45']])).toBe(false);
  });

  it('empty or repeated cells cannot be a header', () => {
    expect(looksLikeHeader([['id', '', 'x'], ['1', '2', '3']])).toBe(false);
    expect(looksLikeHeader([['a', 'a'], ['1', '2']])).toBe(false);
  });

  it('codes of one length under a name of another length: header', () => {
    expect(looksLikeHeader([['Carrier', 'Origin'], ['AA', 'JFK'], ['DL', 'ATL']])).toBe(true);
  });
});
