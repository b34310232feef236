// The reports page (SPEC §20): reads /api/admin/reports/* with the signed-in session; who may read
// which branch is decided by the server's route table, this page only offers what it can.
(() => {
  const $ = (id) => document.getElementById(id);
  const WEEKDAYS = ['lun', 'mar', 'mié', 'jue', 'vie', 'sáb', 'dom'];
  const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);
  const charts = {};
  let me = null;

  const fmt = (v, suffix = '') => (v === null || v === undefined ? '—' : `${String(v).replace('.', ',')}${suffix}`);
  const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

  function chart(id) {
    if (!window.echarts) return null;
    charts[id] = charts[id] || window.echarts.init($(id), null, { renderer: 'svg' });
    return charts[id];
  }
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

  async function get(path) {
    const response = await fetch(path, { credentials: 'same-origin' });
    if (response.status === 401) {
      location.href = `/ingresar?volver=${encodeURIComponent(location.pathname)}`;
      throw new Error('sin sesión');
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const campos = body && body.campos ? ` (${Object.entries(body.campos).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '';
      throw new Error(`${(body && body.mensaje) || `Error ${response.status}`}${campos}`);
    }
    return body;
  }

  function showError(error) {
    $('r-error').textContent = error ? String(error.message || error) : '';
    $('r-error').hidden = !error;
  }

  function params(extra) {
    const q = new URLSearchParams({ branch: $('r-branch').value, from: $('r-from').value, to: $('r-to').value, ...extra });
    if ($('r-queue').value && !('by' in extra)) q.set('queue', $('r-queue').value);
    return q;
  }

  function kpis(total) {
    const cards = [
      ['Llegadas', fmt(total && total.arrived)],
      ['Atendidos', fmt(total && total.served)],
      ['% atendidos', fmt(total && total.servedPct, ' %')],
      ['Espera prom.', fmt(total && total.waitMean, ' min')],
      ['Espera p50', fmt(total && total.waitP50, ' min')],
      ['Espera p90', fmt(total && total.waitP90, ' min')],
      ['Nivel de servicio', fmt(total && total.serviceLevelPct, ' %')],
      ['No se presentó', fmt(total && total.noShowPct, ' %')],
      ['Abandono', fmt(total && total.abandonmentPct, ' %')],
      ['Atención prom.', fmt(total && total.serviceMean, ' min')],
      ['Clientes por hora de asesor', fmt(total && total.perAdvisorHour)],
      ['Utilización', fmt(total && total.utilisationPct, ' %')],
      ['Nota prom.', fmt(total && total.ratingMean)],
    ];
    $('r-kpis').replaceChildren(...cards.map(([label, value]) => {
      const card = document.createElement('div');
      card.className = 'card';
      card.innerHTML = '<div class="value"></div><div class="label"></div>';
      card.querySelector('.value').textContent = value;
      card.querySelector('.label').textContent = label;
      return card;
    }));
    $('r-empty').hidden = Boolean(total && total.arrived);
  }

  function waitsChart(groups) {
    const c = chart('r-waits');
    if (!c) return;
    c.setOption({
      animation: false,
      textStyle: { color: '#f4f7fb' },
      legend: { textStyle: { color: '#f4f7fb' } },
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 50, bottom: 40, top: 40 },
      xAxis: { type: 'category', data: groups.map((g) => g.key) },
      yAxis: [{ type: 'value', name: 'min' }, { type: 'value', name: '%', max: 100 }],
      series: [
        { name: 'Espera p50', type: 'line', data: groups.map((g) => g.waitP50) },
        { name: 'Espera p90', type: 'line', data: groups.map((g) => g.waitP90) },
        { name: 'Nivel de servicio', type: 'bar', yAxisIndex: 1, data: groups.map((g) => g.serviceLevelPct), itemStyle: { opacity: 0.5 } },
      ],
    }, true);
  }

  function heatmap(groups) {
    const c = chart('r-heatmap');
    if (!c) return;
    const data = groups.map((g) => {
      const [day, hour] = g.key.split('-');
      return [HOURS.indexOf(hour), Number(day) - 1, g.arrived];
    });
    const max = Math.max(1, ...data.map((d) => d[2]));
    c.setOption({
      animation: false,
      textStyle: { color: '#f4f7fb' },
      tooltip: { formatter: (p) => `${WEEKDAYS[p.value[1]]} ${HOURS[p.value[0]]}: ${p.value[2]} llegadas` },
      grid: { left: 50, right: 20, bottom: 70, top: 10 },
      xAxis: { type: 'category', data: HOURS },
      yAxis: { type: 'category', data: WEEKDAYS },
      visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, textStyle: { color: '#f4f7fb' } },
      series: [{ name: 'Llegadas', type: 'heatmap', data, label: { show: false } }],
    }, true);
  }

  function advisors(groups) {
    const body = $('r-advisors').querySelector('tbody');
    body.replaceChildren(...groups.map((g) => {
      const tr = document.createElement('tr');
      for (const [value, num] of [[g.advisorName || `Asesor ${g.key}`, false], [fmt(g.served), true], [fmt(g.serviceMean), true],
        [fmt(g.perAdvisorHour), true], [fmt(g.utilisationPct), true], [fmt(g.ratingMean), true]]) {
        const td = document.createElement('td');
        if (num) td.className = 'num';
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    }));
  }

  async function load() {
    showError(null);
    try {
      const [report, cells, staff] = await Promise.all([
        get(`/api/admin/reports/branch?${params({ groupBy: $('r-group').value })}`),
        get(`/api/admin/reports/branch?${params({ groupBy: 'weekdayHour' })}`),
        get(`/api/admin/reports/branch?${params({ by: 'advisor' })}`),
      ]);
      $('r-branch-name').textContent = $('r-branch').selectedOptions[0] ? $('r-branch').selectedOptions[0].textContent : report.branch;
      kpis(report.total);
      waitsChart(report.groups);
      heatmap(cells.groups);
      advisors(staff.groups);
      const q = params({ groupBy: $('r-group').value });
      $('r-csv').href = `/api/admin/reports/branch?${q}&format=csv`;
      $('r-xlsx').href = `/api/admin/reports/branch?${q}&format=xlsx`;
      document.body.dataset.loaded = String(Date.now());
    } catch (error) {
      showError(error);
    }
  }

  async function loadNational() {
    showError(null);
    try {
      const q = new URLSearchParams({ metric: $('r-metric').value, from: $('r-from').value, to: $('r-to').value });
      const report = await get(`/api/admin/reports/national?${q}`);
      $('r-national-csv').href = `/api/admin/reports/national?${q}&format=csv`;
      $('r-national-total').textContent = `Nacional: ${report.national.volume} en el período, valor ${fmt(report.national.value)}. Fuera de los límites del 99,8 % una sucursal se aparta de verdad, no por azar.`;
      const rows = report.branches.filter((b) => b.value !== null && b.limits.p95).sort((a, b) => a.volume - b.volume);
      const line = (pick) => rows.map((b) => [b.volume, pick(b)]);
      const c = chart('r-funnel');
      if (c) {
        c.setOption({
          animation: false,
          textStyle: { color: '#f4f7fb' },
          legend: { textStyle: { color: '#f4f7fb' } },
          tooltip: { formatter: (p) => (p.seriesName === 'Sucursales' ? `${p.data[2]}: ${fmt(p.data[1])} (volumen ${p.data[0]})` : p.seriesName) },
          grid: { left: 60, right: 20, bottom: 40, top: 40 },
          xAxis: { type: 'value', name: 'volumen', scale: true },
          yAxis: { type: 'value', scale: true },
          series: [
            { name: 'Sucursales', type: 'scatter', data: rows.map((b) => [b.volume, b.value, b.name]) },
            { name: '95 %', type: 'line', showSymbol: false, data: line((b) => b.limits.p95[0]), lineStyle: { type: 'dashed' } },
            { name: '95 % ', type: 'line', showSymbol: false, data: line((b) => b.limits.p95[1]), lineStyle: { type: 'dashed' } },
            { name: '99,8 %', type: 'line', showSymbol: false, data: line((b) => b.limits.p998[0]) },
            { name: '99,8 % ', type: 'line', showSymbol: false, data: line((b) => b.limits.p998[1]) },
            { name: 'Nacional', type: 'line', showSymbol: false, data: rows.map((b) => [b.volume, report.national.value]) },
          ],
        }, true);
      }
      return report;
    } catch (error) {
      showError(error);
      return null;
    }
  }

  async function start() {
    me = await get('/api/auth/me');
    $('quien').textContent = me.name || me.email || '';
    const to = new Date();
    const from = new Date(to.getTime() - 29 * 86_400_000);
    $('r-from').value = isoDay(from);
    $('r-to').value = isoDay(to);
    let names = [];
    if (me.branches === 'ALL') {
      $('r-national-section').hidden = false;
      const national = await loadNational();
      names = national ? national.branches.map((b) => [b.code, b.name]) : [];
    } else {
      names = (me.branches || []).map((name) => [name, name]);
    }
    $('r-branch').replaceChildren(...names.map(([value, label]) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }));
    if (names.length) await load();
    else showError(new Error('No tienes sucursales asignadas'));
  }

  $('r-filters').addEventListener('submit', (event) => { event.preventDefault(); void load(); });
  $('r-national-form').addEventListener('submit', (event) => { event.preventDefault(); void loadNational(); });
  start().catch(showError);
})();
