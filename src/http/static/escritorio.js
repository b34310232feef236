// The advisor's web desk (SPEC §18): the state arrives by SSE; every button posts to the desk's
// API (the same FloorService as the bot and the supervisor's page) and redraws from its answer.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var current = null;

  function options(select, values, label) {
    var wanted = values.map(function (v) { return typeof v === 'string' ? { value: v, text: label ? label(v) : v } : v; });
    var same = select.options.length === wanted.length && wanted.every(function (w, i) { return select.options[i].value === String(w.value); });
    if (same) return;
    select.replaceChildren.apply(select, wanted.map(function (w) {
      var o = document.createElement('option');
      o.value = String(w.value);
      o.textContent = w.text;
      return o;
    }));
  }

  function draw(s) {
    current = s;
    var a = s.advisor;
    $('modulo').textContent = 'Módulo ' + a.moduleNumber;
    $('quien').textContent = a.name;
    $('estado').textContent = a.floorLabel;
    $('estado').className = 'pill ' + a.floorState;
    $('sucursal').textContent = s.line.branchOffice;
    var t = a.currentTicket;
    $('sin-cliente').hidden = !!t;
    $('con-cliente').hidden = !t;
    if (t) {
      $('numero').textContent = t.numero;
      $('cola').textContent = t.queueType;
      $('rut').textContent = t.maskedNationalId;
      $('espera').textContent = String(t.minutesWaited);
      $('etapa').textContent = t.stage === 'LLAMANDO' ? 'Llamando (' + t.recallCount + '.º llamado)' : 'Atendiendo';
    }
    $('fila').replaceChildren.apply($('fila'), s.line.waiting.map(function (n) {
      var li = document.createElement('li');
      li.textContent = n;
      return li;
    }));
    options($('llamar-numero'), s.line.waiting);
    options($('motivo'), s.pauseReasons);
    options($('transferir-a'), s.queues.map(function (q) { return { value: 'cola:' + q, text: 'Cola ' + q }; })
      .concat(s.colleagues.map(function (c) { return { value: 'asesor:' + c.id, text: c.name }; })));
    $('telegram').textContent = a.telegramLinked ? 'Tu Telegram está vinculado: /panel en el bot.' : 'Tu Telegram no está vinculado.';
  }

  function problem(text) {
    $('mensaje').textContent = text || '';
    $('mensaje').hidden = !text;
  }

  function post(action, body) {
    problem('');
    return fetch('/escritorio/api/' + action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      if (r.status === 401) { location.assign('/ingresar?volver=/escritorio'); throw new Error('sesión'); }
      return r.json().then(function (d) {
        if (!r.ok) {
          problem(d.campos ? Object.keys(d.campos).map(function (k) { return d.campos[k]; }).join('. ') : d.mensaje);
          throw new Error(d.error);
        }
        return d;
      });
    });
  }

  document.querySelectorAll('button[data-action]').forEach(function (button) {
    button.addEventListener('click', function () { post(button.dataset.action).then(draw, function () {}); });
  });
  $('pausa').addEventListener('click', function () { post('pausa', { reason: $('motivo').value }).then(draw, function () {}); });
  $('llamar').addEventListener('click', function () {
    post('llamar', { numero: $('llamar-numero').value, reason: 'Llamado desde el escritorio' }).then(draw, function () {});
  });
  $('transferir').addEventListener('click', function () {
    var target = $('transferir-a').value.split(':');
    var body = target[0] === 'cola' ? { queueType: target[1] } : { advisorId: Number(target[1]) };
    post('transferir', body).then(draw, function () {});
  });
  $('vincular').addEventListener('click', function () {
    post('vincular-telegram').then(function (d) { $('codigo-vincular').textContent = d.instrucciones; }, function () {});
  });
  $('salir').addEventListener('click', function () {
    fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' })
      .then(function () { location.assign('/ingresar'); });
  });

  var stream = new EventSource('/escritorio/api/stream');
  stream.addEventListener('estado', function (event) { draw(JSON.parse(event.data)); });
  stream.onerror = function () {
    // Signed out or expired: the stream answers 401 and the browser stops retrying.
    fetch('/api/auth/me', { credentials: 'same-origin' }).then(function (r) { if (r.status === 401) location.assign('/ingresar?volver=/escritorio'); });
  };
  window.escritorio = { get estado() { return current; } };
})();
