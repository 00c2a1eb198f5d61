/**
 * The page's own script, run in the browser: draws every chart with ECharts from the embedded data (see queries.ts
 * for the result sets and their columns). Plain ES2017 in a string so that no build step or loader stands between
 * the CLI and a page that opens from file://. `window.gluelessDashboard` exposes the charts to tests and to the console.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('dashboard-data').textContent);

  function rows(key) {
    var set = DATA.datasets[key];
    if (!set || set.status !== 'ok') return [];
    return set.rows.map(function (row) {
      var record = {};
      set.columns.forEach(function (column, i) { record[column] = row[i]; });
      return record;
    });
  }
  function pick(list, column) { return list.map(function (r) { return r[column]; }); }
  function unique(values) { return values.filter(function (v, i) { return values.indexOf(v) === i; }); }
  var compactFormat = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
  function compact(value) { return compactFormat.format(value); }
  function round(value, digits) { return value === null || value === undefined ? null : Number(Number(value).toFixed(digits)); }

  var base = {
    animation: false,
    grid: { left: 60, right: 24, top: 36, bottom: 40, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
  };
  function timeChart(x, series, extra) {
    return Object.assign({}, base, { xAxis: { type: 'category', data: x }, yAxis: { type: 'value' }, series: series }, extra || {});
  }
  function bars(name, data, extra) { return Object.assign({ name: name, type: 'bar', data: data }, extra || {}); }
  function line(name, data, extra) { return Object.assign({ name: name, type: 'line', data: data, showSymbol: false, connectNulls: false }, extra || {}); }

  var selectedTicker = null;
  function tickerRows() {
    return rows('stockIndicators').filter(function (r) { return r.ticker === selectedTicker; });
  }

  // Each chart: the result set it draws (a key of DASHBOARD_QUERIES) and how it turns rows into an ECharts option.
  var CHARTS = [
    { id: 'runFiles', section: 'health', title: 'Files per run date', dataset: 'runs', option: function () {
      var r = rows('runs');
      return timeChart(pick(r, 'run_date'), [bars('files', pick(r, 'files'), { stack: 'files' }), bars('rejected files', pick(r, 'rejected_files'), { stack: 'files' })]);
    } },
    { id: 'runRows', section: 'health', title: 'Rows written and quarantined per run date', dataset: 'runs', option: function () {
      var r = rows('runs');
      return timeChart(pick(r, 'run_date'), [bars('written', pick(r, 'rows_written')), bars('quarantined', pick(r, 'rows_quarantined'))]);
    } },
    { id: 'quarantineByRule', section: 'health', title: 'Quarantined rows by rule', dataset: 'quarantineByRule', option: function () {
      var r = rows('quarantineByRule');
      return Object.assign({}, base, { tooltip: { trigger: 'item' }, xAxis: { type: 'value' }, yAxis: { type: 'category', data: pick(r, 'rule'), inverse: true },
        series: [bars('rows', pick(r, 'rows'))] });
    } },
    { id: 'freshness', section: 'health', title: 'Hours since the last successful run', dataset: 'freshness', option: function () {
      var r = rows('freshness');
      return Object.assign({}, base, { xAxis: { type: 'category', data: pick(r, 'table_name') }, yAxis: { type: 'value', name: 'hours' },
        tooltip: { trigger: 'item', formatter: function (p) { return p.name + ': last success ' + (r[p.dataIndex].last_success_at || 'never') + ' UTC'; } },
        series: [bars('hours since last success', pick(r, 'hours_since'), { label: { show: true, position: 'top', formatter: '{c} h' } })] });
    } },
    { id: 'price', section: 'market', title: 'Close, 7- and 30-day moving averages, Bollinger band', dataset: 'stockIndicators', option: function () {
      var r = tickerRows();
      var lower = pick(r, 'bb_lower');
      var width = r.map(function (row) { return row.bb_upper === null || row.bb_lower === null ? null : round(row.bb_upper - row.bb_lower, 6); });
      return timeChart(pick(r, 'trade_date'), [
        line('Bollinger lower', lower, { stack: 'band', lineStyle: { opacity: 0.4, type: 'dashed' }, color: '#8aa' }),
        line('Bollinger band', width, { stack: 'band', lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(120,160,200,0.25)' }, color: '#8aa', tooltip: { show: false } }),
        line('close', pick(r, 'close'), { color: '#1f4e79', lineStyle: { width: 2 } }),
        line('sma 7', pick(r, 'sma_7'), { color: '#e07b00' }),
        line('sma 30', pick(r, 'sma_30'), { color: '#6a3d9a' }),
      ], { yAxis: { type: 'value', scale: true }, grid: { left: 60, right: 24, top: 52, bottom: 40, containLabel: true } });
    } },
    { id: 'volume', section: 'market', title: 'Volume traded', dataset: 'stockIndicators', option: function () {
      var r = tickerRows();
      return timeChart(pick(r, 'trade_date'), [bars('volume', pick(r, 'volume'), { color: '#4a7ab0' })],
        { yAxis: { type: 'value', axisLabel: { formatter: compact } } });
    } },
    { id: 'macd', section: 'market', title: 'MACD (12, 26) with signal and histogram', dataset: 'stockIndicators', option: function () {
      var r = tickerRows();
      return timeChart(pick(r, 'trade_date'), [
        bars('histogram', pick(r, 'macd_hist'), { itemStyle: { color: function (p) { return p.value >= 0 ? '#5b9a5b' : '#c0504d'; } } }),
        line('macd', pick(r, 'macd'), { color: '#1f4e79' }),
        line('signal', pick(r, 'macd_signal'), { color: '#e07b00' }),
      ]);
    } },
    { id: 'pctChange', section: 'market', title: 'Daily % change', dataset: 'stockIndicators', option: function () {
      var r = tickerRows();
      return timeChart(pick(r, 'trade_date'), [bars('% change', pick(r, 'pct_change'),
        { itemStyle: { color: function (p) { return p.value >= 0 ? '#5b9a5b' : '#c0504d'; } } })]);
    } },
    { id: 'volatility', section: 'market', title: '30-day volatility by ticker and month', dataset: 'volatility', option: function () {
      var r = rows('volatility');
      var months = unique(pick(r, 'month')).sort();
      var tickers = unique(pick(r, 'ticker')).sort();
      var values = pick(r, 'volatility');
      return Object.assign({}, base, {
        tooltip: { trigger: 'item' },
        legend: { show: false },
        grid: { left: 60, right: 24, top: 16, bottom: 60, containLabel: true },
        xAxis: { type: 'category', data: months, splitArea: { show: true } },
        yAxis: { type: 'category', data: tickers, splitArea: { show: true } },
        visualMap: { min: Math.min.apply(null, values), max: Math.max.apply(null, values), precision: 2, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
        series: [{ name: 'volatility', type: 'heatmap',
          data: r.map(function (row) { return [months.indexOf(row.month), tickers.indexOf(row.ticker), round(row.volatility, 6)]; }) }],
      });
    } },
    { id: 'dailyRevenue', section: 'shop', title: 'Daily revenue', dataset: 'dailyRevenue', option: function () {
      var r = rows('dailyRevenue');
      return timeChart(pick(r, 'order_date'), [bars('revenue', pick(r, 'revenue'), { color: '#4a7ab0' }), line('orders', pick(r, 'orders'), { yAxisIndex: 1, color: '#e07b00', showSymbol: true })],
        { yAxis: [{ type: 'value', name: 'revenue' }, { type: 'value', name: 'orders' }] });
    } },
    { id: 'topProducts', section: 'shop', title: 'Top products by revenue', dataset: 'topProducts', option: function () {
      var r = rows('topProducts');
      return Object.assign({}, base, { xAxis: { type: 'value', axisLabel: { formatter: compact } }, yAxis: { type: 'category', data: pick(r, 'product'), inverse: true },
        series: [bars('revenue', pick(r, 'revenue'), { color: '#4a7ab0' })] });
    } },
    { id: 'weather', section: 'places', title: 'Mean daily maximum and minimum temperature by month (°C)', dataset: 'weatherMonthly', option: function () {
      var r = rows('weatherMonthly');
      var months = unique(pick(r, 'month')).sort();
      var series = [];
      unique(pick(r, 'place')).forEach(function (place) {
        var byMonth = {};
        r.filter(function (row) { return row.place === place; }).forEach(function (row) { byMonth[row.month] = row; });
        var at = function (column) { return months.map(function (m) { return byMonth[m] ? byMonth[m][column] : null; }); };
        series.push(line(place + ' max', at('temperature_max_mean'), { showSymbol: true }));
        series.push(line(place + ' min', at('temperature_min_mean'), { showSymbol: true, lineStyle: { type: 'dashed' } }));
      });
      return timeChart(months, series);
    } },
    { id: 'traffic', section: 'places', title: 'Vehicles counted per month, all stations', dataset: 'trafficMonthly', option: function () {
      var r = rows('trafficMonthly');
      return timeChart(pick(r, 'month'), [bars('total volume', pick(r, 'total_volume'), { color: '#4a7ab0' })]);
    } },
  ];

  var instances = {};
  function note(panel, text) {
    panel.querySelector('.note').textContent = text;
    panel.classList.add('empty');
  }
  function panelOf(chart) {
    var panel = document.getElementById('panel-' + chart.id);
    if (panel) return panel;
    panel = document.createElement('figure');
    panel.className = 'panel';
    panel.id = 'panel-' + chart.id;
    panel.innerHTML = '<figcaption></figcaption><div class="chart"></div><p class="note"></p>';
    panel.querySelector('figcaption').textContent = chart.title;
    document.querySelector('#section-' + chart.section + ' .grid').appendChild(panel);
    return panel;
  }
  function draw(chart) {
    var panel = panelOf(chart);
    var set = DATA.datasets[chart.dataset];
    if (set.status === 'missing') return note(panel, 'No ' + set.model + ' in this lake yet (models/' + set.model + '.sql).');
    if (set.status === 'error') return note(panel, set.model + ': ' + set.message);
    if (set.rows.length === 0) return note(panel, set.model + ' has no rows yet.');
    panel.classList.remove('empty');
    var instance = instances[chart.id] || (instances[chart.id] = echarts.init(panel.querySelector('.chart'), null, { renderer: 'svg' }));
    instance.setOption(chart.option(), true);
  }

  var tickers = unique(pick(rows('stockIndicators'), 'ticker')).sort();
  selectedTicker = tickers[0] || null;
  var picker = document.getElementById('ticker');
  tickers.forEach(function (ticker) {
    var option = document.createElement('option');
    option.value = ticker;
    option.textContent = ticker;
    picker.appendChild(option);
  });
  document.getElementById('ticker-picker').hidden = tickers.length < 2;
  picker.addEventListener('change', function () {
    selectedTicker = picker.value;
    CHARTS.filter(function (c) { return c.dataset === 'stockIndicators'; }).forEach(draw);
  });

  CHARTS.forEach(draw);
  window.addEventListener('resize', function () { Object.keys(instances).forEach(function (id) { instances[id].resize(); }); });
  window.gluelessDashboard = { charts: instances, chartIds: CHARTS.map(function (c) { return c.id; }), data: DATA,
    selectTicker: function (ticker) { picker.value = ticker; picker.dispatchEvent(new Event('change')); } };
})();
`;
