// The supervisor's dashboard: reads the admin API's dashboard every 5 s (SPEC RF-007), acts through the admin API.
(function () {
  'use strict';
  var LABELS = { CAJA: 'Caja', PERSONAL_BANKER: 'Personal Banker', EMPRESAS: 'Empresas', GERENCIA: 'Gerencia' };
  var COLORS = { CAJA: '#4fc3f7', PERSONAL_BANKER: '#81c784', EMPRESAS: '#ffb74d', GERENCIA: '#e57373' };
  var STATUS = { EN_ESPERA: 'En espera', PROXIMO: 'Próximos', ATENDIENDO: 'Atendiendo', COMPLETADO: 'Completados', CANCELADO: 'Cancelados', NO_ATENDIDO: 'No se presentaron' };
  var ADVISOR = { AVAILABLE: 'Disponible', BUSY: 'Pausa', OFFLINE: 'Desconectado' };
  var FLOOR = { AVAILABLE: 'Disp.', CALLING: 'Llam.', SERVING: 'Aten.', PAUSED: 'Pausa', OFFLINE: 'Desc.' };
  var pauseReasons = [];
  var queuesServed = [];
  var colleagues = [];
  var branch = new URLSearchParams(location.search).get('branch') || '';
  var editing = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  var pct = function (v) { return v === null || v === undefined ? '—' : Math.round(v * 100) + ' %'; };
  var min = function (v) { return v === null || v === undefined ? '—' : v + ' min'; };

  function renderChart(history) {
    var svg = document.getElementById('chart');
    var max = 1;
    history.forEach(function (p) { Object.keys(LABELS).forEach(function (q) { max = Math.max(max, p[q]); }); });
    var lines = Object.keys(LABELS).map(function (q) {
      var pts = history.map(function (p, i) {
        var x = history.length > 1 ? (i / (history.length - 1)) * 780 + 10 : 400;
        var y = 210 - (p[q] / max) * 190;
        return x.toFixed(1) + ',' + y.toFixed(1);
      }).join(' ');
      return '<polyline fill="none" stroke-width="3" stroke="' + COLORS[q] + '" points="' + pts + '"/>';
    });
    svg.innerHTML = lines.join('') + '<text x="12" y="18" fill="#9fb3cf" font-size="14">máx. ' + max + '</text>';
    var legend = document.getElementById('legend');
    legend.replaceChildren.apply(legend, Object.keys(LABELS).map(function (q) {
      var s = el('span', { text: '■ ' + LABELS[q] });
      s.style.color = COLORS[q];
      return s;
    }));
  }

  function render(d) {
    document.getElementById('branch').textContent = d.branchOffice;
    document.getElementById('updated').textContent = 'Actualizado ' + new Date(d.generatedAt).toLocaleTimeString('es-CL');
    var select = document.getElementById('branches');
    if (select.options.length !== d.branches.length) {
      select.replaceChildren.apply(select, d.branches.map(function (b) { return el('option', { value: b, text: b }); }));
    }
    select.value = d.branchOffice;
    var alerts = document.getElementById('alerts');
    alerts.replaceChildren.apply(alerts, d.alerts.map(function (a) {
      return el('div', { class: 'alert' + (a.type === 'COLA_CRITICA' ? '' : ' warn'), role: 'alert', 'data-type': a.type, text: '⚠ ' + a.type + ': ' + a.mensaje });
    }));
    var statuses = document.getElementById('statuses');
    statuses.replaceChildren.apply(statuses, Object.keys(STATUS).map(function (s) {
      return el('div', { class: 'card', 'data-status': s }, [el('div', { class: 'value', text: String(d.ticketsByStatus[s]) }), el('div', { class: 'label', text: STATUS[s] })]);
    }));
    var qBody = document.querySelector('#queues tbody');
    qBody.replaceChildren.apply(qBody, d.queues.map(function (q) {
      return el('tr', { 'data-queue': q.queueType }, [
        el('td', { text: LABELS[q.queueType] }), el('td', { class: 'num waiting', text: String(q.waiting) }),
        el('td', { class: 'num', text: min(q.estimatedWaitMinutes) }), el('td', { class: 'num', text: String(q.advisorsOnline) }),
        el('td', { class: 'num', text: min(q.averageWaitMinutesToday) }), el('td', { class: 'num', text: min(q.averageServiceMinutesToday) }),
        el('td', { class: 'num', text: pct(q.serviceLevelToday) }), el('td', { class: 'num', text: pct(q.noShowRateToday) }),
        el('td', { class: 'num', text: pct(q.cancellationRateToday) }),
        el('td', { class: 'num served', text: String(q.servedToday) }),
        el('td', { class: 'num rating', text: q.averageRatingToday === null ? '—' : q.averageRatingToday + ' ★ (' + q.ratingsToday + ')' }),
      ]);
    }));
    pauseReasons = d.pauseReasons || [];
    queuesServed = d.queues.filter(function (q) { return q.advisorsOnline > 0 || q.waiting > 0; }).map(function (q) { return q.queueType; });
    colleagues = d.advisors.map(function (a) { return { id: a.id, name: a.name }; });
    if (!editing) {
      var aBody = document.querySelector('#advisors tbody');
      aBody.replaceChildren.apply(aBody, d.advisors.map(function (a) {
        var status = el('select', { 'aria-label': 'Nuevo estado de ' + a.name, 'data-advisor': String(a.id), class: 'status' },
          Object.keys(ADVISOR).map(function (s) { return el('option', { value: s, text: ADVISOR[s] }); }));
        status.value = a.status;
        var reason = el('select', { 'aria-label': 'Motivo de la pausa', class: 'reason' },
          [el('option', { value: '', text: 'Motivo…' })].concat(pauseReasons.map(function (r) { return el('option', { value: r, text: r }); })));
        if (a.pauseReason) reason.value = a.pauseReason;
        var apply = el('button', { type: 'button', text: 'Aplicar', class: 'apply' });
        apply.addEventListener('click', function () { setStatus(a.id, status.value, reason.value); });
        var controls = [status, reason];
        var t = a.currentTicket;
        var client = t
          ? t.numero + ' · ' + (t.stage === 'LLAMANDO' ? 'Llamando (' + t.recallCount + '.º llamado)' : 'Atendiendo') + (t.atencionPreferente ? ' · ★' : '')
          : '—';
        var actions = el('td', { class: 'actions' });
        var button = function (label, action, body) {
          var b = el('button', { type: 'button', text: label, 'data-action': action });
          b.addEventListener('click', function () { act(a.id, action, body ? body() : undefined); });
          actions.appendChild(b);
        };
        if (t && t.stage === 'LLAMANDO') {
          button('Llegó', 'arrived');
          button('Volver a llamar', 'recall');
          button('No se presentó', 'no-show');
        }
        if (t) {
          button('Completar', 'complete');
          var target = el('select', { 'aria-label': 'Transferir a', class: 'target' },
            queuesServed.filter(function (q) { return q !== t.queueType; }).map(function (q) { return el('option', { value: 'q:' + q, text: 'Fila ' + LABELS[q] }); })
              .concat(colleagues.filter(function (c) { return c.id !== a.id; }).map(function (c) { return el('option', { value: 'a:' + c.id, text: c.name }); })));
          actions.appendChild(target);
          controls.push(target);
          button('Transferir', 'transfer', function () {
            var v = target.value.split(':');
            return v[0] === 'q' ? { queueType: v[1] } : { advisorId: Number(v[1]) };
          });
        } else if (a.status !== 'OFFLINE') {
          var numero = el('input', { type: 'text', placeholder: 'C05', 'aria-label': 'Número a llamar', class: 'numero', maxlength: '10' });
          var why = el('input', { type: 'text', placeholder: 'Motivo', 'aria-label': 'Motivo del llamado', class: 'why', maxlength: '200' });
          actions.appendChild(numero);
          actions.appendChild(why);
          controls.push(numero, why);
          button('Llamar', 'call', function () { return { numero: numero.value.trim().toUpperCase(), reason: why.value }; });
        }
        controls.forEach(function (i) {
          i.addEventListener('focus', function () { editing = true; });
          i.addEventListener('blur', function () { editing = false; });
        });
        var m = a.minutesByStateToday || {};
        var detail = a.floorState === 'PAUSED' ? ' (' + (a.pauseReason || 'sin motivo') + ', ' + a.minutesInState + ' min)' : '';
        return el('tr', { 'data-advisor': String(a.id), 'data-floor': a.floorState }, [
          el('td', { text: String(a.moduleNumber) }), el('td', { text: a.name }),
          el('td', {}, [el('span', { class: 'pill ' + a.floorState, text: a.floorLabel + detail })]),
          el('td', { class: 'client', text: client }),
          el('td', { class: 'num', text: String(a.totalTicketsServedToday) }),
          el('td', { class: 'minutes', text: Object.keys(FLOOR).map(function (k) { return FLOOR[k] + ' ' + Math.round(m[k] || 0); }).join(' · ') }),
          el('td', { class: 'num rating', text: a.averageRatingToday === null || a.averageRatingToday === undefined ? '—' : a.averageRatingToday + ' ★' }),
          actions,
          el('td', {}, [status, reason, apply]),
        ]);
      }));
    }
    renderChart(d.history);
  }

  /** The admin API with the session (SPEC §18): the page has no API of its own. */
  function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { 'x-requested-with': 'ticketero' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (r.status === 401) { location.reload(); throw new Error('sesión expirada'); }
      return r.json().then(function (json) { return { ok: r.ok, body: json }; });
    });
  }

  function read(path) {
    return api('GET', path).then(function (r) {
      if (!r.ok) throw new Error(r.body.mensaje || 'respuesta inesperada');
      return r.body;
    });
  }

  function load() {
    var query = branch ? '?branchOffice=' + encodeURIComponent(branch) : '';
    return Promise.all([
      read('/api/admin/dashboard' + query),
      read('/api/admin/dashboard/history' + query),
      read('/api/admin/branches?active=true'),
    ])
      .then(function (all) {
        var d = all[0];
        d.history = all[1].history;
        d.branches = all[2].branches.map(function (b) { return b.name; });
        if (d.branches.indexOf(d.branchOffice) < 0) d.branches.push(d.branchOffice);
        render(d);
      })
      .catch(function (e) { document.getElementById('updated').textContent = 'Sin conexión: ' + e.message; });
  }

  function done(fallback) {
    return function (r) {
      if (!r.ok) alert(r.body.mensaje || fallback);
      return load();
    };
  }

  function setStatus(id, status, reason) {
    editing = false;
    api('PUT', '/api/admin/advisors/' + id + '/status', { status: status, reason: reason || undefined })
      .then(done('No se pudo cambiar el estado'));
  }

  /** The floor's actions (SPEC §12): finishing a customer is one route, with its outcome. */
  var ACTIONS = {
    arrived: ['POST', 'arrived'],
    recall: ['POST', 'recall'],
    transfer: ['POST', 'transfer'],
    call: ['POST', 'call'],
    complete: ['PUT', 'complete-ticket', { outcome: 'COMPLETADO' }],
    'no-show': ['PUT', 'complete-ticket', { outcome: 'NO_ATENDIDO' }],
  };

  function act(id, action, body) {
    editing = false;
    var route = ACTIONS[action];
    api(route[0], '/api/admin/advisors/' + id + '/' + route[1], body || route[2] || {})
      .then(done('No se pudo completar la acción'));
  }

  document.getElementById('branches').addEventListener('change', function () {
    branch = this.value;
    history.replaceState(null, '', '?branch=' + encodeURIComponent(branch));
    load();
  });
  load();
  setInterval(load, 5000);

  // SPEC §18: who is signed in, and signing out through the account session.
  fetch('/api/auth/me', { credentials: 'same-origin' }).then(function (r) {
    if (r.status === 200) return r.json().then(function (me) { document.getElementById('quien').textContent = me.name + ' (' + me.role + ')'; });
  });
  document.getElementById('salir').addEventListener('click', function () {
    fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' })
      .then(function () { location.assign('/ingresar'); });
  });
})();
