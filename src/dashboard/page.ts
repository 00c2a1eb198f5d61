import type { DashboardData } from './collect.js';
import { PAGE_SCRIPT } from './page-script.js';

/** The dashboard as one HTML page: the data embedded as JSON, the chart library loaded from beside the page. */

/** The ECharts build the page loads; the CLI copies (or serves) it beside index.html. */
export const CHART_LIBRARY_FILE = 'echarts.min.js';

const SECTIONS: Array<[id: string, title: string]> = [
  ['health', 'Lake health'],
  ['market', 'Market'],
  ['shop', 'Shop'],
  ['places', 'Weather and traffic'],
];

/** JSON that cannot close the <script> element it sits in. */
function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage(data: DashboardData): string {
  const sections = SECTIONS.map(
    ([id, title]) => `<section id="section-${id}"><h2>${title}</h2><div class="grid"></div></section>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>glueless · lake dashboard</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f4f6f8; }
  header { display: flex; align-items: baseline; gap: 24px; padding: 12px 24px; background: #1f4e79; color: #fff; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { opacity: 0.8; font-size: 12px; }
  header label { margin-left: auto; }
  main { padding: 8px 24px 24px; }
  h2 { font-size: 15px; margin: 16px 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; }
  .panel { margin: 0; background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 12px; }
  .panel figcaption { font-weight: 600; font-size: 13px; }
  .panel .chart { height: 260px; }
  .panel.empty .chart { display: none; }
  .panel .note { color: #6b7785; margin: 4px 0; }
  .panel .note:empty { display: none; }
</style>
</head>
<body>
<header>
  <h1>glueless · lake dashboard</h1>
  <span class="meta">${escapeHtml(data.lake)} · read ${escapeHtml(data.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</span>
  <label id="ticker-picker" hidden>ticker <select id="ticker"></select></label>
</header>
<main>
${sections}
</main>
<script type="application/json" id="dashboard-data">${embeddedJson(data)}</script>
<script src="${CHART_LIBRARY_FILE}"></script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
