// The tótem (SPEC §19). One page, one script, no build step. Every number it shows comes from the
// API: an error is said in words, never replaced by a number made up here.
(() => {
  'use strict';
  const params = new URLSearchParams(location.search);
  const seconds = (name, fallback) => {
    const value = Number(params.get(name));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const IDLE_MS = seconds('inactividad', 30) * 1000;
  const WARN_MS = seconds('aviso', 5) * 1000;
  const RETURN_MS = seconds('retorno', 15) * 1000;
  const KEY_STORAGE = 'ticketero.totem.credencial';
  const PREFERENTE = { TERCERA_EDAD: 'Tercera edad', EMBARAZO: 'Embarazo', DISCAPACIDAD: 'Discapacidad', NINO_EN_BRAZOS: 'Niño en brazos' };

  const $ = (id) => document.getElementById(id);
  const state = { step: 'start', rut: '', queue: null, queueName: '', pref: null, phone: '', consent: false, attemptKey: null, sending: false, estado: null };
  let idleTimer = null;
  let warnTimer = null;
  let returnTimer = null;

  // ---- steps -------------------------------------------------------------------------------
  function show(step) {
    state.step = step;
    for (const section of document.querySelectorAll('.step')) section.hidden = section.id !== `s-${step}`;
    $('idle').hidden = true;
    clearTimeout(returnTimer);
    armIdle();
    const heading = document.querySelector(`#s-${step} h1`);
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
    document.body.dataset.step = step;
  }

  function restart() {
    Object.assign(state, { rut: '', queue: null, queueName: '', pref: null, phone: '', consent: false, attemptKey: null, sending: false });
    $('phone-consent').checked = false;
    $('rut-error').textContent = '';
    $('phone-error').textContent = '';
    renderRut();
    renderPhone();
    show('start');
    void loadEstado();
  }

  // ---- idle: 30 s without a touch → "¿Sigues ahí?" for 5 s → start ---------------------------
  const IDLE_STEPS = new Set(['rut', 'queue', 'pref', 'phone', 'confirm', 'error', 'closed']);
  function armIdle() {
    clearTimeout(idleTimer);
    clearTimeout(warnTimer);
    if (!IDLE_STEPS.has(state.step)) return;
    idleTimer = setTimeout(() => {
      $('idle').hidden = false;
      $('idle-stay').focus();
      warnTimer = setTimeout(restart, WARN_MS);
    }, IDLE_MS);
  }
  document.addEventListener('pointerdown', () => { if ($('idle').hidden) armIdle(); }, true);
  $('idle-stay').addEventListener('click', () => { $('idle').hidden = true; armIdle(); });

  // ---- credential and branch ---------------------------------------------------------------
  const credential = () => localStorage.getItem(KEY_STORAGE);
  const authHeaders = () => ({ authorization: `Bearer ${credential()}` });

  async function loadEstado() {
    if (!credential()) return show('setup');
    try {
      const response = await fetch('/api/totem/estado', { headers: authHeaders() });
      if (response.status === 401 || response.status === 403) return show('unauthorized');
      if (!response.ok) throw new Error(String(response.status));
      state.estado = await response.json();
      $('branch').textContent = state.estado.sucursal;
      $('start-branch').textContent = state.estado.sucursal;
      tick();
      renderQueues();
    } catch {
      // The start screen stays; the queues are read again when a customer gets there.
    }
  }

  $('setup-save').addEventListener('click', () => {
    const value = $('setup-key').value.trim();
    if (!value) return;
    localStorage.setItem(KEY_STORAGE, value);
    $('setup-key').value = '';
    show('start');
    void loadEstado();
  });
  $('unauth-reset').addEventListener('click', () => {
    localStorage.removeItem(KEY_STORAGE);
    show('setup');
  });

  // ---- RUT: keypad (K last only), live formatting, mod-11 on Continuar, cédula QR by scanner ---
  function formatRut(raw) {
    if (raw.length < 2) return raw;
    const body = raw.slice(0, -1).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    return `${body}-${raw.slice(-1)}`;
  }
  function checkDigit(body) {
    let sum = 0;
    let factor = 2;
    for (let i = body.length - 1; i >= 0; i--) {
      sum += Number(body[i]) * factor;
      factor = factor === 7 ? 2 : factor + 1;
    }
    const dv = 11 - (sum % 11);
    return dv === 11 ? '0' : dv === 10 ? 'K' : String(dv);
  }
  function rutProblem(raw) {
    if (raw.length < 2) return 'Ingresa tu RUT completo, con su dígito verificador.';
    const body = raw.slice(0, -1);
    if (!/^\d{1,8}$/.test(body)) return 'El RUT no tiene un formato válido.';
    if (checkDigit(body) !== raw.slice(-1)) return 'El RUT no es válido: revisa el dígito verificador (el número después del guion).';
    return null;
  }
  function renderRut() {
    $('rut-display').textContent = formatRut(state.rut);
    const ended = state.rut.endsWith('K');
    for (const key of document.querySelectorAll('#s-rut [data-key]')) {
      const k = key.dataset.key;
      if (k === 'del') key.disabled = state.rut.length === 0;
      else if (k === 'K') key.disabled = ended || state.rut.length === 0 || state.rut.length >= 9;
      else key.disabled = ended || state.rut.length >= 9;
    }
  }
  function typeRut(key) {
    $('rut-error').textContent = '';
    if (key === 'del') state.rut = state.rut.slice(0, -1);
    else if (state.rut.endsWith('K') || state.rut.length >= 9) return;
    else if (key === 'K' && state.rut.length === 0) return;
    else state.rut += key;
    renderRut();
  }
  for (const key of document.querySelectorAll('#s-rut [data-key]')) key.addEventListener('click', () => typeRut(key.dataset.key));
  $('rut-next').addEventListener('click', () => {
    const problem = rutProblem(state.rut);
    if (problem) {
      $('rut-error').textContent = problem;
      return;
    }
    renderQueues();
    show('queue');
    void loadEstado();
  });

  // A keyboard-wedge scanner types the cédula's QR (a URL with RUN=12345678-5) and Enter; only the RUN is kept.
  let scanned = '';
  let scannedAt = 0;
  document.addEventListener('keydown', (event) => {
    if (state.step !== 'rut' && state.step !== 'start') return;
    if (event.target instanceof HTMLInputElement) return;
    const now = Date.now();
    if (now - scannedAt > 1000) scanned = '';
    scannedAt = now;
    if (event.key === 'Enter') {
      const run = /RUN=([0-9]{1,8})-?([0-9kK])/.exec(scanned) ?? /^([0-9]{1,8})-?([0-9kK])$/.exec(scanned.replace(/\./g, ''));
      scanned = '';
      if (run) {
        event.preventDefault();
        state.rut = `${run[1]}${run[2].toUpperCase()}`;
        if (state.step === 'start') show('rut');
        $('rut-error').textContent = '';
        renderRut();
      }
      return;
    }
    if (event.key.length === 1) scanned += event.key;
  });

  // ---- queues, with people waiting and the current estimate --------------------------------
  function renderQueues() {
    const box = $('queues');
    box.replaceChildren();
    for (const cola of state.estado?.colas ?? []) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.queue = cola.queueType;
      const name = document.createElement('span');
      name.textContent = cola.nombre;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${cola.enEspera} ${cola.enEspera === 1 ? 'persona esperando' : 'personas esperando'} · ~${cola.esperaEstimadaMinutos} min`;
      button.append(name, meta);
      button.addEventListener('click', () => {
        state.queue = cola.queueType;
        state.queueName = cola.nombre;
        show('pref');
      });
      box.append(button);
    }
    if (!box.children.length) {
      const p = document.createElement('p');
      p.textContent = 'Cargando las filas…';
      box.append(p);
    }
  }

  for (const button of document.querySelectorAll('[data-pref]')) {
    button.addEventListener('click', () => {
      state.pref = button.dataset.pref || null;
      show('phone');
    });
  }

  // ---- optional phone, with its own consent (unticked by default) --------------------------
  function renderPhone() {
    const d = state.phone;
    $('phone-display').textContent = `+56 9 ${d.slice(0, 4)}${d.length > 4 ? ' ' + d.slice(4) : ''}`.trim();
  }
  for (const key of document.querySelectorAll('#s-phone [data-digit]')) {
    key.addEventListener('click', () => {
      $('phone-error').textContent = '';
      const k = key.dataset.digit;
      if (k === 'del') state.phone = state.phone.slice(0, -1);
      else if (state.phone.length < 8) state.phone += k;
      renderPhone();
    });
  }
  $('phone-skip').addEventListener('click', () => {
    state.phone = '';
    state.consent = false;
    $('phone-consent').checked = false;
    renderPhone();
    toConfirm();
  });
  $('phone-next').addEventListener('click', () => {
    if (state.phone.length === 0) return toConfirm();
    if (state.phone.length !== 8) {
      $('phone-error').textContent = 'El teléfono debe tener 8 dígitos después de +56 9.';
      return;
    }
    if (!$('phone-consent').checked) {
      $('phone-error').textContent = 'Para usar tu teléfono, marca la casilla de consentimiento. Si no, toca Omitir.';
      return;
    }
    state.consent = true;
    toConfirm();
  });

  // ---- confirm: one Idempotency-Key per attempt, kept for a retry after an error -------------
  function toConfirm() {
    state.attemptKey = crypto.randomUUID();
    const rows = [
      ['RUT', formatRut(state.rut)],
      ['Atención', state.queueName],
      ['Preferente', state.pref ? PREFERENTE[state.pref] : 'No'],
      ['Teléfono', state.phone ? `+56 9 ${state.phone.slice(0, 4)} ${state.phone.slice(4)}` : 'Sin teléfono'],
    ];
    const dl = $('summary');
    dl.replaceChildren();
    for (const [label, value] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dl.append(dt, dd);
    }
    $('confirm').disabled = false;
    show('confirm');
  }

  async function takeTicket() {
    if (state.sending) return;
    state.sending = true;
    $('confirm').disabled = true;
    $('retry').disabled = true;
    const body = { nationalId: `${state.rut.slice(0, -1)}-${state.rut.slice(-1)}`, queueType: state.queue };
    if (state.pref) body.atencionPreferente = state.pref;
    if (state.phone && state.consent) {
      body.telefono = `+569${state.phone}`;
      body.consentimientoTelefono = true;
    }
    try {
      const response = await fetch('/api/tickets?qr=svg', {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json', 'idempotency-key': state.attemptKey },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) return showTicket(answer);
      if (response.status === 401 || response.status === 403) return show('unauthorized');
      if (response.status === 409 && answer.error === 'SUCURSAL_CERRADA') {
        $('closed-text').textContent = answer.mensaje || 'La sucursal está cerrada.';
        return show('closed');
      }
      showError(answer.mensaje && response.status < 500 ? answer.mensaje : '');
    } catch {
      showError('');
    } finally {
      state.sending = false;
      $('confirm').disabled = false;
      $('retry').disabled = false;
    }
  }
  function showError(detail) {
    $('error-detail').textContent = detail;
    show('error');
  }
  $('confirm').addEventListener('click', () => void takeTicket());
  $('retry').addEventListener('click', () => void takeTicket());

  // ---- the ticket: number, queue, people ahead, estimate, QR and short code; back in 15 s ----
  function showTicket(ticket) {
    $('t-branch').textContent = ticket.branchOffice;
    $('t-numero').textContent = ticket.numero;
    $('t-queue').textContent = state.queueName;
    const ahead = Math.max(0, ticket.positionInQueue - 1);
    $('t-ahead').textContent = ahead === 0 ? 'Nadie está antes que tú.' : `${ahead} ${ahead === 1 ? 'persona' : 'personas'} antes que tú.`;
    $('t-wait').textContent = `Espera estimada: ${ticket.estimatedWaitMinutes} min`;
    const qr = $('t-qr');
    qr.replaceChildren();
    if (ticket.telegramQrSvg) {
      const doc = new DOMParser().parseFromString(ticket.telegramQrSvg, 'image/svg+xml');
      const svg = doc.documentElement;
      svg.setAttribute('aria-hidden', 'true');
      qr.append(document.importNode(svg, true));
      qr.hidden = false;
      $('t-code').textContent = ticket.codigoCorto ? `Sigue tu turno en Telegram: escanea el QR o escribe /turno ${ticket.codigoCorto} al bot.` : '';
    } else {
      qr.hidden = true;
      $('t-code').textContent = '';
    }
    // SPEC §19: IMPRESA (the tótem's printer), SIN_PAPEL / DESCONECTADA (no paper came out), NAVEGADOR (print here).
    const estado = ticket.impresion && ticket.impresion.estado;
    $('t-print').textContent = estado === 'SIN_PAPEL' || estado === 'DESCONECTADA' ? 'Sin papel: anota o fotografía tu número.' : '';
    show('ticket');
    state.attemptKey = null;
    // No ESC/POS printer on this tótem: the browser prints the 80 mm receipt (silently with --kiosk-printing).
    if (estado === 'NAVEGADOR') setTimeout(() => { try { window.print(); } catch { /* no printer */ } }, 0);
    returnTimer = setTimeout(restart, RETURN_MS);
  }

  // ---- navigation, clock, large text --------------------------------------------------------
  for (const button of document.querySelectorAll('[data-go]')) {
    button.addEventListener('click', () => (button.dataset.go === 'start' ? restart() : show(button.dataset.go)));
  }
  $('start').addEventListener('click', () => show('rut'));
  $('big-text').addEventListener('click', () => {
    const on = document.documentElement.classList.toggle('big');
    $('big-text').setAttribute('aria-checked', String(on));
  });
  // The branch's time (SPEC §17: each branch has its zone), not the kiosk computer's.
  function tick() {
    const zone = state.estado && state.estado.zonaHoraria;
    const options = { hour: '2-digit', minute: '2-digit' };
    try {
      $('clock').textContent = new Date().toLocaleTimeString('es-CL', zone ? { ...options, timeZone: zone } : options);
    } catch {
      $('clock').textContent = new Date().toLocaleTimeString('es-CL', options);
    }
  }
  tick();
  setInterval(tick, 10_000);
  setInterval(() => { if (state.step === 'start') void loadEstado(); }, 15_000);

  renderRut();
  renderPhone();
  if (credential()) {
    show('start');
    void loadEstado();
  } else show('setup');
})();
