// The waiting-room screen: live over Server-Sent Events; EventSource reconnects by itself.
(function () {
  'use strict';
  var LABELS = { CAJA: 'Caja', PERSONAL_BANKER: 'Personal Banker', EMPRESAS: 'Empresas', GERENCIA: 'Gerencia' };
  var params = new URLSearchParams(location.search);
  var branch = params.get('branch') || '';
  var calledList = document.getElementById('called');
  var queuesBody = document.getElementById('queues');
  var statusLine = document.getElementById('status');
  var audio = null;
  var lastHighlighted = null;

  function tick() {
    var now = new Date();
    document.getElementById('clock').textContent = now.toLocaleTimeString('es-CL', { hour: '2-digit', minute: '2-digit' });
  }
  setInterval(tick, 1000);
  tick();

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function render(snapshot) {
    document.getElementById('branch').textContent = snapshot.branchOffice;
    document.title = 'Turnos · ' + snapshot.branchOffice;
    calledList.replaceChildren.apply(calledList, snapshot.called.map(function (c, i) {
      var li = document.createElement('li');
      li.dataset.numero = c.numero;
      if (i === 0) li.className = 'newest' + (lastHighlighted === c.numero + c.calledAt ? ' flash' : '');
      li.appendChild(text('span', c.numero, 'numero'));
      li.appendChild(text('span', 'Módulo ' + c.moduleNumber, 'modulo'));
      if (c.callNumber > 1) li.appendChild(text('span', c.callNumber + '.º llamado', 'llamado'));
      return li;
    }));
    queuesBody.replaceChildren.apply(queuesBody, snapshot.queues.map(function (q) {
      var tr = document.createElement('tr');
      tr.dataset.queue = q.queueType;
      tr.appendChild(text('td', LABELS[q.queueType] || q.queueType));
      tr.appendChild(text('td', q.waiting + ' en espera', 'num waiting'));
      tr.appendChild(text('td', '~' + q.estimatedWaitMinutes + ' min', 'num'));
      return tr;
    }));
  }

  function chime() {
    if (!audio) return;
    var t = audio.currentTime;
    [880, 660].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.4, t + i * 0.35 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.32);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.35);
      osc.stop(t + i * 0.35 + 0.34);
    });
  }

  // Browsers only play sound after a person touched the page once (a TV in kiosk mode can allow it).
  document.getElementById('sound').addEventListener('click', function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) audio = new Ctx();
    this.remove();
    chime();
  });

  var source = new EventSource('/pantalla/stream' + (branch ? '?branch=' + encodeURIComponent(branch) : ''));
  source.addEventListener('open', function () {
    statusLine.textContent = 'En línea';
    statusLine.className = 'status-line';
  });
  source.addEventListener('error', function () {
    statusLine.textContent = 'Reconectando…';
    statusLine.className = 'status-line offline';
  });
  source.addEventListener('snapshot', function (event) {
    render(JSON.parse(event.data));
  });
  source.addEventListener('called', function (event) {
    var call = JSON.parse(event.data);
    lastHighlighted = call.numero + call.calledAt;
    chime();
  });
})();
