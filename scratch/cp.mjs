import { parse } from 'csv-parse';
const p = parse({ info: true, relax_column_count: true, bom: true, record_delimiter: ['\r\n', '\n'], skip_empty_lines: true });
const out = [];
p.on('readable', () => { let r; while ((r = p.read()) !== null) out.push([r.info.lines, r.record]); });
p.on('error', (e) => console.log('ERR', e.code, e.message));
p.on('end', () => console.log(JSON.stringify(out)));
p.write('\uFEFFa,b,c\r\n1,"x\ny",3\n4,5\n\n6,7,8,9');
p.end();
