// Sign-in (SPEC §18): password (and TOTP once enrolled), then a forced new password and TOTP
// enrolment when the account still needs them; then on to the page asked for, or the role's own.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var typedPassword = '';

  function destination(me) {
    var asked = new URLSearchParams(location.search).get('volver') || '';
    if (/^\/[A-Za-z0-9/_-]*$/.test(asked) && asked.indexOf('//') !== 0) return asked;
    return me.role === 'ASESOR' ? '/escritorio' : '/supervisor';
  }

  function show(id, text) {
    var el = $(id);
    el.textContent = text;
    el.hidden = !text;
  }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  function explain(result) {
    var d = result.data || {};
    if (d.campos) return Object.keys(d.campos).map(function (k) { return d.campos[k]; }).join('. ');
    return d.mensaje || 'No se pudo completar; intenta nuevamente';
  }

  function next(me) {
    $('ingreso').hidden = true;
    if (me.cambioDeClaveRequerido) {
      $('cambio').hidden = false;
      $('enrolar').hidden = true;
      $('nueva').focus();
      return;
    }
    $('cambio').hidden = true;
    if (me.totpVerificacionRequerida) {
      // Signed in through the bank's identity provider: the account's TOTP is still asked (SPEC §18).
      $('enrolar').hidden = true;
      $('verificar').hidden = false;
      $('codigo-verificar').focus();
      return;
    }
    $('verificar').hidden = true;
    if (me.totpRequerido) {
      post('/api/auth/totp/enroll').then(function (r) {
        if (r.status !== 200) return show('mensaje-totp', explain(r));
        $('qr').innerHTML = r.data.qrSvg; // rendered by the app from its own otpauth URL
        $('secreto').textContent = r.data.secret;
        $('enrolar').hidden = false;
        $('codigo').focus();
      });
      return;
    }
    location.assign(destination(me));
  }

  $('ingreso').addEventListener('submit', function (event) {
    event.preventDefault();
    typedPassword = $('password').value;
    var body = { email: $('email').value, password: typedPassword };
    if ($('totp').value) body.totp = $('totp').value;
    post('/api/auth/login', body).then(function (r) {
      if (r.status === 200) return next(r.data);
      if (r.data && r.data.totpRequerido) {
        $('paso-totp').hidden = false;
        $('totp').focus();
      }
      show('mensaje', explain(r));
    });
  });

  $('cambio').addEventListener('submit', function (event) {
    event.preventDefault();
    if ($('nueva').value !== $('repite').value) return show('mensaje-cambio', 'Las claves no coinciden');
    post('/api/auth/password', { current: typedPassword, new: $('nueva').value }).then(function (r) {
      if (r.status !== 200) return show('mensaje-cambio', explain(r));
      typedPassword = '';
      next(r.data);
    });
  });

  $('enrolar').addEventListener('submit', function (event) {
    event.preventDefault();
    post('/api/auth/totp/confirm', { code: $('codigo').value.trim() }).then(function (r) {
      if (r.status !== 200) return show('mensaje-totp', explain(r));
      next(r.data);
    });
  });

  $('verificar').addEventListener('submit', function (event) {
    event.preventDefault();
    post('/api/auth/totp/confirm', { code: $('codigo-verificar').value.trim() }).then(function (r) {
      if (r.status !== 200) return show('mensaje-verificar', explain(r));
      next(r.data);
    });
  });

  // "Ingresar con la cuenta del banco" only where the bank's identity provider is configured.
  fetch('/api/auth/sso', { credentials: 'same-origin' }).then(function (r) {
    return r.status === 200 ? r.json() : { disponible: false };
  }).then(function (sso) {
    if (!sso.disponible) return;
    var volver = new URLSearchParams(location.search).get('volver');
    if (volver) $('ingresar-banco').href = '/api/auth/sso/start?volver=' + encodeURIComponent(volver);
    $('sso').hidden = false;
  });

  // Already signed in (e.g. sent back here after a password change elsewhere): carry on.
  fetch('/api/auth/me', { credentials: 'same-origin' }).then(function (r) {
    if (r.status === 200) return r.json().then(function (me) {
      // A password still to change needs the current one: that takes signing in again.
      if (!me.cambioDeClaveRequerido) next(me);
    });
  });
})();
