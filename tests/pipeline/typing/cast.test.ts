import { CAST_FAILED, castDecimal, casterFor } from '../../../src/pipeline/typing/cast.js';
import { parseColumnType, type ColumnType } from '../../../src/pipeline/contract/column-type.js';

const cast = (type: string, text: string) => casterFor(parseColumnType(type) as ColumnType)(text);

describe('casting text to declared types', () => {
  it('reads int within the 32-bit range only', () => {
    expect(cast('int', '42')).toBe(42);
    expect(cast('int', ' -7 ')).toBe(-7);
    expect(cast('int', '2147483647')).toBe(2147483647);
    expect(cast('int', '2147483648')).toBe(CAST_FAILED);
    expect(cast('int', 'three')).toBe(CAST_FAILED);
    expect(cast('int', '4.0')).toBe(CAST_FAILED);
  });

  it('reads bigint as BigInt within 64 bits', () => {
    expect(cast('bigint', '9223372036854775807')).toBe(9223372036854775807n);
    expect(cast('bigint', '9223372036854775808')).toBe(CAST_FAILED);
  });

  it('reads doubles, refusing hex, words and empty text', () => {
    expect(cast('double', '1.5e3')).toBe(1500);
    expect(cast('double', '-.25')).toBe(-0.25);
    expect(cast('double', '0x10')).toBe(CAST_FAILED);
    expect(cast('double', 'Infinity')).toBe(CAST_FAILED);
  });

  it('reads decimals exactly as unscaled integers, without precision loss', () => {
    expect(castDecimal('12345678901234.56', 16, 2)).toBe(1234567890123456n);
    expect(castDecimal('-0.5', 10, 2)).toBe(-50n);
    expect(castDecimal('7', 10, 2)).toBe(700n);
    expect(castDecimal('1.230', 10, 2)).toBe(123n);
  });

  it('refuses decimals that would need rounding or overflow the precision', () => {
    expect(castDecimal('1.234', 10, 2)).toBe(CAST_FAILED);
    expect(castDecimal('123456789.12', 10, 2)).toBe(CAST_FAILED);
    expect(castDecimal('.', 10, 2)).toBe(CAST_FAILED);
    expect(castDecimal('1,5', 10, 2)).toBe(CAST_FAILED);
  });

  it('reads boolean tokens', () => {
    expect(cast('boolean', 'Yes')).toBe(true);
    expect(cast('boolean', '0')).toBe(false);
    expect(cast('boolean', 'maybe')).toBe(CAST_FAILED);
  });

  it('reads calendar dates as days since the epoch and refuses impossible ones', () => {
    expect(cast('date', '1970-01-02')).toBe(1);
    expect(cast('date', '2024-02-29')).toBe(19782);
    expect(cast('date', '2023-02-29')).toBe(CAST_FAILED);
    expect(cast('date', '2024-13-01')).toBe(CAST_FAILED);
    expect(cast('date', '03/01/2024')).toBe(CAST_FAILED);
  });

  it('reads ISO timestamps as UTC milliseconds, honouring offsets', () => {
    expect(cast('timestamp', '1970-01-01T00:00:01Z')).toBe(1000);
    expect(cast('timestamp', '1970-01-01 01:00:00+01:00')).toBe(0);
    expect(cast('timestamp', '2024-03-01T12:30:45.123')).toBe(Date.UTC(2024, 2, 1, 12, 30, 45, 123));
    expect(cast('timestamp', '2024-03-01T25:00:00')).toBe(CAST_FAILED);
  });
});
