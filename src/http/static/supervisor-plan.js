// The supervisor's "Horario planificado" (SPEC §13): shifts "09:00-14:00, 15:00-18:00", breaks "11:30+20".
(function () {
  'use strict';
  var form = document.getElementById('plan-form');
  var advisor = document.getElementById('plan-advisor');
  var date = document.getElementById('plan-date');
  var shifts = document.getElementById('plan-shifts');
  var breaks = document.getElementById('plan-breaks');
  var status = document.getElementById('plan-status');
  date.value = new Date().toLocaleDateString('en-CA');

  function show(plan) {
    shifts.value = plan.shifts.map(function (s) { return s.from + '-' + s.to; }).join(', ');
    breaks.value = plan.breaks.map(function (b) { return b.from + '+' + b.minutes; }).join(', ');
    status.textContent = plan.planned ? '' : 'Sin plan para ese día';
  }

  function parse() {
    var list = function (text) { return text.split(',').map(function (x) { return x.trim(); }).filter(Boolean); };
    return {
      shifts: list(shifts.value).map(function (x) { var p = x.split('-'); return { from: (p[0] || '').trim(), to: (p[1] || '').trim() }; }),
      breaks: list(breaks.value).map(function (x) { var p = x.split('+'); return { from: (p[0] || '').trim(), minutes: Number(p[1]) }; }),
    };
  }

  function url() {
    return '/api/admin/advisors/' + advisor.value + '/plan?date=' + encodeURIComponent(date.value);
  }

  function load() {
    if (!advisor.value) return;
    fetch(url(), { credentials: 'same-origin', headers: { 'x-requested-with': 'ticketero' } }).then(function (r) { return r.json(); }).then(show);
  }

  function loadAdvisors() {
    var branch = new URLSearchParams(location.search).get('branch');
    fetch('/api/admin/dashboard' + (branch ? '?branchOffice=' + encodeURIComponent(branch) : ''), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var current = advisor.value;
        advisor.replaceChildren.apply(advisor, d.advisors.map(function (a) {
          var o = document.createElement('option');
          o.value = String(a.id);
          o.textContent = 'M' + a.moduleNumber + ' ' + a.name;
          return o;
        }));
        if (current) advisor.value = current;
        load();
      });
  }

  advisor.addEventListener('change', load);
  date.addEventListener('change', load);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    fetch(url(), {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'ticketero' },
      body: JSON.stringify(parse()),
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          var campos = body.campos ? Object.keys(body.campos).map(function (k) { return k + ': ' + body.campos[k]; }).join('; ') : '';
          status.textContent = (body.mensaje || 'No se pudo guardar') + (campos ? ' (' + campos + ')' : '');
          return;
        }
        show(body);
        status.textContent = 'Guardado';
      });
    });
  });
  document.getElementById('branches').addEventListener('change', function () { setTimeout(loadAdvisors, 0); });
  loadAdvisors();
})();
