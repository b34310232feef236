// The supervisor page's Sucursales / Personal / Dispositivos tabs (SPEC §17): the same admin API as
// any integration (/api/admin/branches, /api/admin/advisors, /api/admin/branches/:code/devices,
// /api/admin/devices/:id), with the signed-in person's session; the API decides who may do what and
// its Spanish `mensaje` (and `campos`) is what the page shows when it refuses.
(function () {
  'use strict';
  var T = {
    colas: { CAJA: 'Caja', PERSONAL_BANKER: 'Personal Banker', EMPRESAS: 'Empresas', GERENCIA: 'Gerencia' },
    activa: 'Activa',
    inactiva: 'Desactivada',
    activo: 'Activo',
    inactivo: 'Desactivado',
    revocado: 'Revocado',
    editar: 'Editar',
    desactivar: 'Desactivar',
    reactivar: 'Reactivar',
    revocar: 'Revocar',
    nuevaSucursal: 'Nueva sucursal',
    crearSucursal: 'Crear sucursal',
    editarSucursal: 'Editar sucursal ',
    guardarCambios: 'Guardar cambios',
    nuevoAsesor: 'Nuevo asesor',
    crearAsesor: 'Crear asesor',
    editarAsesor: 'Editar asesor ',
    sucursales: ' sucursales',
    personas: ' personas',
    nunca: 'nunca',
    sinHorario: 'sin horario (todo el día)',
    copiado: 'Copiado',
    copiaManual: 'Selecciónalo y cópialo a mano',
    confirmarDesactivarSucursal: '¿Desactivar la sucursal ',
    confirmarDesactivarAsesor: '¿Desactivar a ',
    confirmarRevocar: '¿Revocar el dispositivo ',
    pregunta: '?',
    guardado: 'Guardado',
    creada: 'Sucursal creada',
    creado: 'Asesor creado',
    desactivada: 'Sucursal desactivada',
    reactivada: 'Sucursal reactivada',
    desactivado: 'Asesor desactivado',
    reactivado: 'Asesor reactivado',
    dispositivoCreado: 'Dispositivo creado: copia su token ahora',
    revocadoOk: 'Dispositivo revocado',
    errorRed: 'No se pudo contactar al servidor',
    kinds: { KIOSK: 'Tótem', SCREEN: 'Pantalla' },
  };
  var QUEUES = Object.keys(T.colas);
  var role = null;
  var branches = [];

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else if (k === 'onclick') node.addEventListener('click', attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  var okTimer = null;
  function showError(body) {
    $('org-ok').hidden = true;
    var box = $('org-error');
    var text = (body && body.mensaje) || T.errorRed;
    var campos = body && body.campos;
    if (campos && typeof campos === 'object') {
      text += ' — ' + Object.keys(campos).map(function (k) { return k + ': ' + campos[k]; }).join('; ');
    }
    box.textContent = text;
    box.setAttribute('data-error', (body && body.error) || 'RED');
    box.hidden = false;
  }
  function showOk(text) {
    $('org-error').hidden = true;
    var box = $('org-ok');
    box.textContent = text;
    box.hidden = false;
    clearTimeout(okTimer);
    okTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  /** The admin API with the session: resolves with the JSON body, rejects (after showing it) with the API's error. */
  function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { 'x-requested-with': 'ticketero' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(
      function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          if (r.ok) return json;
          showError(json);
          throw json;
        });
      },
      function (e) { showError(null); throw e; },
    );
  }

  function queueChecks(container, prefix) {
    container.replaceChildren.apply(container, QUEUES.map(function (q) {
      return el('label', {}, [el('input', { type: 'checkbox', value: q, id: prefix + '-q-' + q }), document.createTextNode(T.colas[q])]);
    }));
  }
  function checkedQueues(prefix) {
    return QUEUES.filter(function (q) { return $(prefix + '-q-' + q).checked; });
  }
  function setQueues(prefix, list) {
    QUEUES.forEach(function (q) { $(prefix + '-q-' + q).checked = list.indexOf(q) >= 0; });
  }

  // ---- tabs
  var TABS = ['tablero', 'sucursales', 'personal', 'dispositivos'];
  function select(tab) {
    TABS.forEach(function (t) {
      $('tab-' + t).setAttribute('aria-selected', String(t === tab));
      $('panel-' + t).hidden = t !== tab;
    });
    $('org-error').hidden = true;
    if (tab === 'sucursales') loadBranches();
    if (tab === 'personal') loadBranchOptions().then(loadStaff);
    if (tab === 'dispositivos') loadBranchOptions().then(loadDevices);
  }
  TABS.forEach(function (t) { $('tab-' + t).addEventListener('click', function () { select(t); }); });

  // ---- Sucursales
  var editingBranch = null;
  queueChecks($('suc-queues'), 'suc');
  setQueues('suc', QUEUES);

  function loadBranches() {
    var q = $('suc-q').value.trim();
    var query = [];
    if (q) query.push('q=' + encodeURIComponent(q));
    if (!$('suc-inactivas').checked) query.push('active=true');
    return api('GET', '/api/admin/branches' + (query.length ? '?' + query.join('&') : '')).then(function (d) {
      $('suc-total').textContent = d.total + T.sucursales;
      var tbody = document.querySelector('#suc-lista tbody');
      tbody.replaceChildren.apply(tbody, d.branches.slice(0, 300).map(function (b) {
        var actions = [];
        if (role === 'ADMIN') {
          actions.push(el('button', { type: 'button', class: 'secundario editar', text: T.editar, onclick: function () { editBranch(b); } }));
          actions.push(b.active
            ? el('button', { type: 'button', class: 'peligro desactivar', text: T.desactivar, onclick: function () { setBranchActive(b, false); } })
            : el('button', { type: 'button', class: 'reactivar', text: T.reactivar, onclick: function () { setBranchActive(b, true); } }));
        }
        return el('tr', { 'data-code': b.code, class: b.active ? '' : 'inactiva' }, [
          el('td', { text: b.code }), el('td', { text: b.name }), el('td', { text: b.comuna || '—' }), el('td', { text: b.timezone }),
          el('td', { text: b.hoursText || T.sinHorario }),
          el('td', { text: b.queues.map(function (x) { return T.colas[x.queueType]; }).join(', ') }),
          el('td', { class: 'num', text: String(b.advisors) }),
          el('td', { class: 'estado', text: b.active ? T.activa : T.inactiva }),
          el('td', { class: 'actions' }, actions),
        ]);
      }));
    }).catch(function () {});
  }
  $('suc-buscar').addEventListener('submit', function (e) { e.preventDefault(); loadBranches(); });
  $('suc-inactivas').addEventListener('change', loadBranches);

  function resetBranchForm() {
    editingBranch = null;
    $('suc-form').reset();
    setQueues('suc', QUEUES);
    $('suc-code').disabled = false;
    $('suc-form-titulo').textContent = T.nuevaSucursal;
    $('suc-guardar').textContent = T.crearSucursal;
    $('suc-cancelar').hidden = true;
  }
  function editBranch(b) {
    editingBranch = b;
    $('suc-code').value = b.code;
    $('suc-code').disabled = true;
    $('suc-name').value = b.name;
    $('suc-region').value = b.region || '';
    $('suc-comuna').value = b.comuna || '';
    $('suc-address').value = b.address || '';
    $('suc-timezone').value = b.timezone;
    $('suc-hours').value = b.hoursText || '';
    setQueues('suc', b.queues.map(function (x) { return x.queueType; }));
    $('suc-form-titulo').textContent = T.editarSucursal + b.code;
    $('suc-guardar').textContent = T.guardarCambios;
    $('suc-cancelar').hidden = false;
    $('suc-name').focus();
  }
  $('suc-cancelar').addEventListener('click', resetBranchForm);
  $('suc-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var kept = {};
    (editingBranch ? editingBranch.queues : []).forEach(function (x) { kept[x.queueType] = x; });
    var body = {
      name: $('suc-name').value.trim(),
      region: $('suc-region').value.trim() || null,
      comuna: $('suc-comuna').value.trim() || null,
      address: $('suc-address').value.trim() || null,
      timezone: $('suc-timezone').value,
      hours: $('suc-hours').value.trim() || null,
      // A queue kept keeps its own average service minutes.
      queues: checkedQueues('suc').map(function (q) { return kept[q] || { queueType: q }; }),
    };
    var request = editingBranch
      ? api('PATCH', '/api/admin/branches/' + encodeURIComponent(editingBranch.code), body)
      : api('POST', '/api/admin/branches', Object.assign({ code: $('suc-code').value.trim().toUpperCase() }, body));
    request.then(function () {
      showOk(editingBranch ? T.guardado : T.creada);
      resetBranchForm();
      branches = [];
      loadBranches();
    }).catch(function () {});
  });
  function setBranchActive(b, active) {
    if (!active && !confirmed(T.confirmarDesactivarSucursal + b.name + T.pregunta)) return;
    api('PATCH', '/api/admin/branches/' + encodeURIComponent(b.code), { active: active }).then(function () {
      showOk(active ? T.reactivada : T.desactivada);
      branches = [];
      loadBranches();
    }).catch(function () {});
  }

  function confirmed(question) {
    return window.confirm(question);
  }

  // ---- Personal and Dispositivos share the branch choice
  function loadBranchOptions() {
    var ready = branches.length ? Promise.resolve() : api('GET', '/api/admin/branches?active=true').then(function (d) { branches = d.branches; });
    return ready.then(function () {
      ['per-sucursal', 'dis-sucursal'].forEach(function (id) {
        var sel = $(id);
        var current = sel.value;
        sel.replaceChildren.apply(sel, branches.map(function (b) { return el('option', { value: b.code, text: b.name + ' (' + b.code + ')' }); }));
        if (current && branches.some(function (b) { return b.code === current; })) sel.value = current;
      });
    }).catch(function () {});
  }
  function branchByCode(code) {
    return branches.filter(function (b) { return b.code === code; })[0] || null;
  }

  // ---- Personal
  var editingAdvisor = null;
  queueChecks($('per-queues'), 'per');
  function loadStaff() {
    var b = branchByCode($('per-sucursal').value);
    if (!b) return Promise.resolve();
    return api('GET', '/api/admin/advisors?includeInactive=true&branchOffice=' + encodeURIComponent(b.name)).then(function (d) {
      $('per-total').textContent = d.advisors.length + T.personas;
      var tbody = document.querySelector('#per-lista tbody');
      tbody.replaceChildren.apply(tbody, d.advisors.map(function (a) {
        var actions = [el('button', { type: 'button', class: 'secundario editar', text: T.editar, onclick: function () { editAdvisor(a); } })];
        actions.push(a.active
          ? el('button', { type: 'button', class: 'peligro desactivar', text: T.desactivar, onclick: function () { setAdvisorActive(a, false); } })
          : el('button', { type: 'button', class: 'reactivar', text: T.reactivar, onclick: function () { setAdvisorActive(a, true); } }));
        return el('tr', { 'data-email': a.email, 'data-advisor': String(a.id), class: a.active ? '' : 'inactiva' }, [
          el('td', { text: String(a.moduleNumber) }), el('td', { text: a.name }), el('td', { text: a.email }),
          el('td', { text: a.queueTypes.map(function (q) { return T.colas[q]; }).join(', ') }),
          el('td', { class: 'estado', text: a.active ? T.activo + ' · ' + a.floorLabel : T.inactivo }),
          el('td', { class: 'actions' }, actions),
        ]);
      }));
    }).catch(function () {});
  }
  $('per-sucursal').addEventListener('change', function () { resetAdvisorForm(); loadStaff(); });
  function resetAdvisorForm() {
    editingAdvisor = null;
    $('per-form').reset();
    $('per-form-titulo').textContent = T.nuevoAsesor;
    $('per-guardar').textContent = T.crearAsesor;
    $('per-cancelar').hidden = true;
  }
  function editAdvisor(a) {
    editingAdvisor = a;
    $('per-name').value = a.name;
    $('per-email').value = a.email;
    $('per-module').value = String(a.moduleNumber);
    setQueues('per', a.queueTypes);
    $('per-form-titulo').textContent = T.editarAsesor + a.name;
    $('per-guardar').textContent = T.guardarCambios;
    $('per-cancelar').hidden = false;
    $('per-name').focus();
  }
  $('per-cancelar').addEventListener('click', resetAdvisorForm);
  $('per-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = {
      name: $('per-name').value.trim(),
      email: $('per-email').value.trim(),
      moduleNumber: Number($('per-module').value),
      queueTypes: checkedQueues('per'),
    };
    var request = editingAdvisor
      ? api('PATCH', '/api/admin/advisors/' + editingAdvisor.id, body)
      : api('POST', '/api/admin/advisors', Object.assign({ branch: $('per-sucursal').value }, body));
    request.then(function () {
      showOk(editingAdvisor ? T.guardado : T.creado);
      resetAdvisorForm();
      loadStaff();
    }).catch(function () {});
  });
  function setAdvisorActive(a, active) {
    if (!active && !confirmed(T.confirmarDesactivarAsesor + a.name + T.pregunta)) return;
    var request = active ? api('POST', '/api/admin/advisors/' + a.id + '/reactivate', {}) : api('DELETE', '/api/admin/advisors/' + a.id);
    request.then(function () {
      showOk(active ? T.reactivado : T.desactivado);
      loadStaff();
    }).catch(function () {});
  }

  // ---- Dispositivos
  function loadDevices() {
    var code = $('dis-sucursal').value;
    if (!code) return Promise.resolve();
    return api('GET', '/api/admin/branches/' + encodeURIComponent(code) + '/devices').then(function (d) {
      var tbody = document.querySelector('#dis-lista tbody');
      tbody.replaceChildren.apply(tbody, d.devices.map(function (x) {
        return el('tr', { 'data-device': String(x.id), class: x.active ? '' : 'inactiva' }, [
          el('td', { text: x.name }), el('td', { text: T.kinds[x.kind] || x.kind }), el('td', { text: x.tokenPrefix + '…' }),
          el('td', { text: x.lastSeenAt ? new Date(x.lastSeenAt).toLocaleString('es-CL') : T.nunca }),
          el('td', { class: 'estado', text: x.active ? T.activo : T.revocado }),
          el('td', { class: 'actions' }, x.active ? [el('button', { type: 'button', class: 'peligro revocar', text: T.revocar, onclick: function () { revoke(x); } })] : []),
        ]);
      }));
    }).catch(function () {});
  }
  $('dis-sucursal').addEventListener('change', function () { $('dis-token').hidden = true; loadDevices(); });
  $('dis-form').addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', '/api/admin/branches/' + encodeURIComponent($('dis-sucursal').value) + '/devices', { kind: $('dis-kind').value, name: $('dis-name').value.trim() })
      .then(function (d) {
        // Shown once: the API never gives it again.
        $('dis-token-valor').textContent = d.token;
        $('dis-copiado').textContent = '';
        $('dis-token').hidden = false;
        $('dis-form').reset();
        showOk(T.dispositivoCreado);
        loadDevices();
      }).catch(function () {});
  });
  $('dis-copiar').addEventListener('click', function () {
    var text = $('dis-token-valor').textContent;
    var done = function () { $('dis-copiado').textContent = T.copiado; };
    var manual = function () {
      var range = document.createRange();
      range.selectNodeContents($('dis-token-valor'));
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      $('dis-copiado').textContent = ok ? T.copiado : T.copiaManual;
    };
    if (window.navigator.clipboard && window.isSecureContext) window.navigator.clipboard.writeText(text).then(done, manual);
    else manual();
  });
  function revoke(x) {
    if (!confirmed(T.confirmarRevocar + x.name + T.pregunta)) return;
    api('DELETE', '/api/admin/devices/' + x.id).then(function () {
      showOk(T.revocadoOk);
      loadDevices();
    }).catch(function () {});
  }

  // ---- who: ADMIN manages everything; a SUPERVISOR reads their branches, manages their staff, lists and revokes their devices
  fetch('/api/auth/me', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (me) {
    if (!me) return;
    role = me.role;
    if (role !== 'ADMIN' && role !== 'SUPERVISOR') return;
    ['sucursales', 'personal', 'dispositivos'].forEach(function (t) { $('tab-' + t).hidden = false; });
    if (role !== 'ADMIN') {
      $('suc-form').closest('section').hidden = true;
      $('dis-form').closest('section').hidden = true;
    }
  });
})();
