import { QUEUES, type QueueType } from '../domain/queue-types.js';
import type { TicketStatus } from '../domain/ticket-status.js';
import { escapeHtml } from '../modules/notifications/templates.js';
import type { AdvisorView } from '../modules/advisors/advisor.service.js';
import { ATENCION_PREFERENTE_LABEL, type AtencionPreferente, type FloorState } from '../domain/floor.js';
import type { TicketView } from '../modules/tickets/ticket.service.js';
import type { ChatData } from '../modules/privacy/personal-data.service.js';
import type { BranchChoice, NearbyBranch } from '../modules/branches/branch-finder.js';

/** Every Spanish string the bot says, in one place (Chilean usage, HTML parse mode). */
export const BUTTONS = {
  take: '🎫 Tomar número',
  myTurn: '📍 Mi turno',
  rut: '🪪 Mi RUT',
  phone: '📱 Compartir teléfono',
  cancel: '❌ Cancelar turno',
  help: '❓ Ayuda',
  location: '📍 Compartir ubicación',
  verifyRut: '✅ Verificar mi RUT',
} as const;

/** Kilometres with one decimal, the Chilean way: "1,2 km". */
const KM = new Intl.NumberFormat('es-CL', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
export const formatKm = (km: number): string => `${KM.format(km)} km`;

/** "Sucursal Ñuñoa", with its comuna when the name does not say it, and 🔒 when closed. */
const branchLabel = (b: BranchChoice): string => {
  const comuna = b.comuna && !b.name.toLowerCase().includes(b.comuna.toLowerCase()) ? ` · ${b.comuna}` : '';
  return `${b.closedMessage ? '🔒 ' : ''}${b.name}${comuna}`;
};

const STATUS_LABEL: Record<TicketStatus, string> = {
  EN_ESPERA: 'En espera',
  PROXIMO: 'Próximo a ser atendido',
  ATENDIENDO: 'Siendo atendido',
  COMPLETADO: 'Atendido',
  CANCELADO: 'Cancelado',
  NO_ATENDIDO: 'No se presentó',
};


/** The advisor's /panel buttons (SPEC §12). */
export const PANEL = {
  available: '🟢 Disponible',
  pause: '🟡 Pausa',
  offline: '⚫ Desconectado',
  arrived: '🙋 Llegó',
  recall: '🔔 Volver a llamar',
  noShow: '🚫 No se presentó',
  transfer: '↪️ Transferir',
  complete: '✅ Completar',
  callOther: '📣 Llamar otro número',
  refresh: '🔄 Actualizar',
  back: '⬅️ Volver al panel',
} as const;

const FLOOR_ICON: Record<FloorState, string> = {
  AVAILABLE: '🟢',
  CALLING: '📣',
  SERVING: '🧾',
  PAUSED: '🟡',
  OFFLINE: '⚫',
};

/** "Llamando" / "Atendiendo" / "En pausa (Colación, 12 min)" / "Disponible" / "Desconectado". */
export const floorStateText = (a: AdvisorView): string =>
  `${FLOOR_ICON[a.floorState]} ${a.floorLabel}${a.floorState === 'PAUSED' ? ` (${escapeHtml(a.pauseReason ?? 'sin motivo')}, ${a.minutesInState} min)` : ''}`;

export const texts = {
  welcome: (name: string | null) =>
    `👋 ¡Hola${name ? `, ${escapeHtml(name)}` : ''}! Soy el asistente de turnos del banco.\n\n` +
    `Puedo darte un número de atención, avisarte cuando se acerque tu turno y decirte a qué módulo ir.\n\n` +
    `Para empezar, registra tu RUT con <b>${BUTTONS.rut}</b>. Usa los botones de abajo o escribe /ayuda.`,
  help:
    `<b>¿Cómo funciona?</b>\n\n` +
    `${BUTTONS.take}: elige la sucursal y la fila, y te damos tu número.\n` +
    `${BUTTONS.location}: las sucursales más cercanas, con su espera.\n` +
    `${BUTTONS.myTurn}: tu número, tu posición y el tiempo estimado (se actualiza solo).\n` +
    `${BUTTONS.rut}: registra o cambia tu RUT.\n` +
    `${BUTTONS.phone}: así te avisamos también por los números que saques en el tótem.\n` +
    `${BUTTONS.cancel}: si ya no vas a venir.\n\n` +
    `Si sacaste tu número en el tótem, escanea el código QR del papel para recibir los avisos aquí.\n\n` +
    `Comandos: /tomar, /turno, /rut, /cancelar, /ayuda\n` +
    `Tus datos: /misdatos para ver qué guardamos, /borrar para que los olvidemos.\n` +
    `/verificar: confirma tu RUT con ClaveÚnica o tu clave del banco para ver aquí también los números que sacaste en el tótem.`,
  askRut: 'Escribe tu RUT, por ejemplo <b>12.345.678-5</b>. Para salir, escribe <i>cancelar</i>.',
  rutOnlyText: 'Necesito tu RUT escrito como texto, por ejemplo <b>12.345.678-5</b> (o <i>cancelar</i> para salir).',
  badRut: (reason: string) => `❗ ${escapeHtml(reason)}. Inténtalo de nuevo, por ejemplo <b>12.345.678-5</b>, o escribe <i>cancelar</i>.`,
  rutSaved: (masked: string) => `✅ Listo, registramos tu RUT <b>${masked}</b>. Ahora puedes tomar un número con <b>${BUTTONS.take}</b>.`,
  rutCancelled: 'Ok, no cambiamos tu RUT.',
  // SPEC §22: a RUT typed here is a claim; it moves nothing from another chat.
  rutRegisteredElsewhere: 'Tu RUT fue registrado en otro chat de Telegram. Si no fuiste tú, escribe /ayuda.',
  // SPEC §22: "Verificar mi RUT" through the customer's identity provider.
  verifyRutLink:
    'Para verificar tu RUT, toca el botón e ingresa con ClaveÚnica o tu clave del banco. El enlace es solo para ti, sirve una vez y vence en 15 minutos.\n\n' +
    'Una vez verificado, verás aquí todos los números de tu RUT, también los del tótem.',
  verifyRutNotOffered: 'La verificación del RUT no está disponible por ahora.',
  rutVerified: (masked: string) =>
    `✅ Verificamos tu RUT <b>${escapeHtml(masked)}</b>. Desde ahora ves aquí todos sus números (también los del tótem) y /misdatos y /borrar los incluyen.`,
  rutVerifiedElsewhere: (masked: string) =>
    `Tu RUT ${escapeHtml(masked)} fue verificado en otro chat de Telegram, así que este chat ya no ve los números que no sacaste aquí. Si no fuiste tú, escribe /ayuda.`,
  rutTooMany: (max: number) =>
    `❗ Este chat ya usó ${max} RUT distintos en los últimos 30 días. Por seguridad no podemos registrar otro por ahora.`,
  rutHasActiveTicket:
    'Ese RUT ya tiene un turno activo. Si es tuyo, escanea el código QR del ticket o comparte tu teléfono para seguirlo aquí.',
  chatTicketLimit: (perHour: number) =>
    `❗ Ya sacaste ${perHour} números en la última hora desde este chat. Inténtalo más tarde.`,
  needRut: `Primero necesito tu RUT. Tócame <b>${BUTTONS.rut}</b> o escribe /rut.`,
  askPhone: 'Toca el botón para compartir tu número de teléfono con el banco.',
  phoneSaved: (masked: string) => `✅ Guardamos tu teléfono <b>${masked}</b>. Te avisaremos aquí de tus turnos del tótem.`,
  phoneNotOwn: 'Por seguridad solo puedo guardar tu propio número: usa el botón “Compartir teléfono”.',
  phoneInvalid: 'Ese número no es un celular chileno (+56 9 …). Si tienes otro, compártelo con el botón.',
  // The branch finder (SPEC §17)
  chooseBranch:
    `¿En qué sucursal quieres tu número?\n\nToca <b>${BUTTONS.location}</b> para ver las más cercanas, ` +
    'o escribe parte del nombre o de la comuna (por ejemplo <i>Ñuñoa</i>).',
  lastBranch: 'La de la última vez:',
  branchButton: (b: BranchChoice) => branchLabel(b),
  nearbyButton: (b: NearbyBranch) => `${b.closedMessage ? '🔒 ' : ''}${b.name} · ${formatKm(b.distanceKm)}`,
  nearest: (branches: readonly NearbyBranch[]) => {
    const lines = ['📍 <b>Las sucursales más cercanas</b>'];
    branches.forEach((b, i) => {
      lines.push('', `${i + 1}. <b>${escapeHtml(b.name)}</b> · ${formatKm(b.distanceKm)}${b.comuna ? ` · ${escapeHtml(b.comuna)}` : ''}`);
      if (b.closedMessage) lines.push(`🔒 ${escapeHtml(b.closedMessage)}`);
      for (const w of b.waits) lines.push(`${QUEUES[w.queueType].label}: ${w.waiting} en espera · ~${w.estimatedWaitMinutes} min`);
    });
    lines.push('', 'Elige una para sacar tu número:');
    return lines.join('\n');
  },
  noNearbyBranches: 'No encontré sucursales con ubicación registrada. Escribe parte del nombre o de la comuna de tu sucursal.',
  searchResults: (query: string, branches: readonly BranchChoice[], more: boolean) => {
    const lines = [`🔎 Sucursales con «${escapeHtml(query)}»:`];
    for (const b of branches) if (b.closedMessage) lines.push(`🔒 ${escapeHtml(b.name)}: ${escapeHtml(b.closedMessage)}`);
    if (more) lines.push('', 'Más resultados: escribe más letras.');
    return lines.join('\n');
  },
  searchNothing: (query: string) =>
    `No encontré sucursales con «${escapeHtml(query)}». Prueba con otra parte del nombre o de la comuna, o toca <b>${BUTTONS.location}</b>.`,
  searchTooShort: 'Escribe al menos 2 letras del nombre o de la comuna de la sucursal.',
  branchClosed: (branch: string, closedMessage: string) => `🔒 <b>${escapeHtml(branch)}</b>\n${escapeHtml(closedMessage)}.`,
  branchWithoutQueues: (branch: string) => `<b>${escapeHtml(branch)}</b> no tiene filas de atención disponibles por ahora.`,
  chooseQueue: (branch: string) => `<b>${escapeHtml(branch)}</b>\n¿Qué necesitas? Te muestro la espera actual de cada fila:`,
  queueButton: (queue: QueueType, waiting: number, minutes: number) =>
    `${QUEUES[queue].label} · ${waiting} en espera · ~${minutes} min`,
  taking: (queue: QueueType, branch: string) =>
    `Pediste un número de <b>${QUEUES[queue].label}</b> en <b>${escapeHtml(branch)}</b>. En un momento te llega tu ticket.`,
  activeTicket: (numero: string) =>
    `Ya tienes un ticket activo: <b>${escapeHtml(numero)}</b>. Revísalo con <b>${BUTTONS.myTurn}</b>.`,
  noActiveTicket: `No tienes un turno activo. Saca uno con <b>${BUTTONS.take}</b>.`,
  ticketLinked: (numero: string) => `🔗 Vinculamos el ticket <b>${escapeHtml(numero)}</b> a este chat. Te avisaremos aquí.`,
  ticketLinkUnknown: 'No encontré ese ticket. Revisa el código QR o saca un número nuevo.',
  // SPEC §19: the tótem's single-use QR token and its short code for /turno CODE
  linkAlreadyUsed: (numero: string) =>
    `🔒 El ticket <b>${escapeHtml(numero)}</b> ya está vinculado a otro chat. Si fuiste tú, sigue tu turno desde ese chat; si no, acércate a un ejecutivo.`,
  linkAlreadyHere: (numero: string) => `✅ El ticket <b>${escapeHtml(numero)}</b> ya está vinculado a este chat.`,
  linkExpired: 'Ese código ya no sirve: venció al terminar el día o el ticket ya terminó. Saca un número nuevo si lo necesitas.',
  shortCodeInvalid: 'Ese código no es válido. Son 8 letras y números, como <b>ABCD-EF23</b>, impresos bajo el QR de tu ticket.',
  status: (t: TicketView) => {
    // Called and called-then-served are both ATENDIENDO: the view tells them apart (SPEC §12).
    const label = t.status === 'ATENDIENDO' ? (t.serviceStartedAt ? 'Atendiendo' : 'Llamando') : STATUS_LABEL[t.status];
    const lines = [`📍 <b>Tu turno ${escapeHtml(t.numero)}</b>`, '', `Estado: <b>${label}</b>`];
    lines.push(`Fila: ${QUEUES[t.queueType].label} · ${escapeHtml(t.branchOffice)}`);
    if (t.status === 'EN_ESPERA' || t.status === 'PROXIMO') {
      lines.push(`Posición en cola: <b>#${t.positionInQueue}</b>`, `Tiempo estimado: <b>${t.estimatedWaitMinutes} minutos</b>`);
    }
    if (t.status === 'ATENDIENDO') {
      lines.push(`Módulo: <b>${t.moduleNumber ?? '-'}</b>`, `Asesor: <b>${escapeHtml(t.advisorName ?? '-')}</b>`);
    }
    if (t.atencionPreferente) lines.push(`Atención preferente: ${ATENCION_PREFERENTE_LABEL[t.atencionPreferente]}`);
    return lines.join('\n');
  },
  confirmCancel: (numero: string) => `¿Seguro que quieres cancelar tu turno <b>${escapeHtml(numero)}</b>?`,
  cancelYes: 'Sí, cancelar',
  cancelNo: 'No, mantener',
  cancelled: (numero: string) => `Tu turno <b>${escapeHtml(numero)}</b> quedó cancelado. ¡Gracias por avisar!`,
  cancelKept: 'Perfecto, mantienes tu turno.',
  cancelTooLate: 'Ese turno ya no se puede cancelar (ya fue atendido o terminó).',
  stale: 'Esa opción ya no está disponible.',
  didNotUnderstand: `No entendí eso 🤔. Usa los botones de abajo o escribe /ayuda.`,
  genericError: 'Tuvimos un problema. Inténtalo de nuevo en un momento.',
  // Advisors
  notAdvisor:
    'Este comando es solo para asesores del banco. Si eres asesor, pide un código a tu supervisor y envía <b>/vincular CÓDIGO</b>.',
  linkUsage: 'Envía <b>/vincular CÓDIGO</b> con el código que te dio tu supervisor.',
  linkBad: '❗ El código no es válido o ya expiró. Pide uno nuevo a tu supervisor.',
  linkUnavailable: '⚠️ No pudimos vincular tu cuenta en este momento. Tu código sigue sirviendo: inténtalo de nuevo en unos minutos.',
  linked: (a: AdvisorView) => `✅ Quedaste vinculado como <b>${escapeHtml(a.name)}</b>, módulo ${a.moduleNumber}. Usa /panel.`,
  panel: (a: AdvisorView) => {
    const lines = [
      `🧑‍💼 <b>${escapeHtml(a.name)}</b> · Módulo <b>${a.moduleNumber}</b>`,
      `Estado: ${floorStateText(a)}`,
      `Atendidos hoy: ${a.totalTicketsServedToday}`,
    ];
    const t = a.currentTicket;
    lines.push('');
    if (t) {
      const preferente = t.atencionPreferente ? ` · ⭐ ${ATENCION_PREFERENTE_LABEL[t.atencionPreferente]}` : '';
      lines.push(
        t.stage === 'LLAMANDO'
          ? `Llamando: <b>${escapeHtml(t.numero)}</b> (${QUEUES[t.queueType].label})${preferente} · llamado ${t.recallCount}`
          : `Atendiendo: <b>${escapeHtml(t.numero)}</b> (${QUEUES[t.queueType].label})${preferente}`,
        `RUT: ${t.maskedNationalId}`,
        `Esperó: ${t.minutesWaited} min · En atención: ${t.minutesInService} min`,
      );
      if (a.pauseReason) lines.push(`Pausa pedida al terminar: ${escapeHtml(a.pauseReason)}`);
    } else {
      lines.push('Sin cliente en este momento.');
    }
    return lines.join('\n');
  },
  newCustomer: (numero: string, queue: QueueType, maskedRut: string, waited: number) =>
    `🔔 <b>Nuevo cliente: ${escapeHtml(numero)}</b> (${QUEUES[queue].label})\nRUT: ${maskedRut}\nEsperó: ${waited} min`,
  advisorDone: 'Listo ✅',
  // The service floor (SPEC §12)
  preferentialButton: '⭐ Necesito atención preferente',
  choosePreferential: '¿Qué atención preferente necesitas? Te llamaremos antes, sin pasar a llevar a nadie más de la cuenta.',
  chooseQueuePreferential: (branch: string, kind: AtencionPreferente) =>
    `<b>${escapeHtml(branch)}</b> · ⭐ ${ATENCION_PREFERENTE_LABEL[kind]}\n¿Qué necesitas?`,
  askPauseReason: '¿Por qué haces una pausa?',
  askTransfer: (numero: string) => `¿A dónde derivas a <b>${escapeHtml(numero)}</b>? Conserva su lugar por hora de llegada.`,
  transferToQueue: (queue: QueueType) => `↪️ Fila ${QUEUES[queue].label}`,
  transferToAdvisor: (name: string) => `👤 ${name}`,
  noTransferTarget: 'No hay otra fila ni otro asesor en tu sucursal a quien derivar.',
  askCallOther: 'Elige el número que quieres llamar fuera de orden:',
  noOneWaiting: 'No hay nadie esperando en tus filas.',
  calledOutOfOrderReason: 'Llamado desde el panel de Telegram',
  customerLeft: (numero: string) =>
    `🚶 <b>${escapeHtml(numero)}</b> canceló su turno antes de llegar al módulo. Quedaste libre para el siguiente cliente.`,
  ratingThanks: (numero: string, score: number) => `🙏 ¡Gracias! Registramos tu nota <b>${score}</b> para el turno <b>${escapeHtml(numero)}</b>.`,
  ratingAlready: 'Ya habíamos registrado tu evaluación de ese turno. ¡Gracias!',
  // Supervisors
  notSupervisor: 'Este comando es solo para supervisores.',
  supervisorAskBranch:
    'Escribe <b>/supervisor</b> y parte del nombre o de la comuna de la sucursal, por ejemplo <i>/supervisor ñuñoa</i>.',
  supervisorChooseBranch: (query: string, more: boolean) =>
    `¿Qué sucursal con «${escapeHtml(query)}»?${more ? '\n\nMás resultados: escribe más letras.' : ''}`,
  supervisorNoBranch: (query: string) => `No encontré sucursales con «${escapeHtml(query)}».`,
  supervisor: (d: {
    branchOffice: string;
    queues: Array<{ queueType: QueueType; waiting: number; estimatedWaitMinutes: number; advisorsOnline: number }>;
    advisors: AdvisorView[];
    alerts: Array<{ mensaje: string }>;
  }) => {
    const lines = [`📊 <b>${escapeHtml(d.branchOffice)}</b>`, '', '<b>Filas</b>'];
    for (const q of d.queues) {
      lines.push(`${QUEUES[q.queueType].label}: ${q.waiting} en espera · ~${q.estimatedWaitMinutes} min · ${q.advisorsOnline} asesores`);
    }
    lines.push('', '<b>Asesores</b>');
    for (const a of d.advisors) {
      lines.push(`M${a.moduleNumber} ${escapeHtml(a.name)}: ${floorStateText(a)}${a.currentTicket ? ` · ${escapeHtml(a.currentTicket.numero)}` : ''}`);
    }
    lines.push('', '<b>Alertas</b>');
    lines.push(...(d.alerts.length ? d.alerts.map((a) => `⚠️ ${escapeHtml(a.mensaje)}`) : ['Sin alertas']));
    return lines.join('\n');
  },
  // The holder's rights (SPEC §14, Ley 21.719)
  myData: (d: ChatData) => {
    const lines = [
      '🔐 <b>Tus datos en el banco</b>',
      '',
      `RUT: ${d.maskedRut ? `<b>${d.maskedRut}</b>` : 'no registrado'}`,
      `Teléfono: ${d.maskedPhone ? `<b>${escapeHtml(d.maskedPhone)}</b>` : 'no registrado'}`,
      '',
      `<b>Tus turnos de los últimos 90 días</b>`,
    ];
    if (d.tickets.length === 0) lines.push('Ninguno.');
    for (const t of d.tickets) {
      const day = new Date(t.createdAt).toLocaleDateString('es-CL', { timeZone: 'America/Santiago' });
      lines.push(`${escapeHtml(t.numero)} · ${QUEUES[t.queueType].label} · ${escapeHtml(t.branchOffice)} · ${day} · ${STATUS_LABEL[t.status]}`);
    }
    lines.push(
      '',
      'Guardamos tu RUT y tu teléfono cifrados, solo para darte turnos y avisarte. ' +
        'Para borrarlos escribe /borrar.',
    );
    return lines.join('\n');
  },
  confirmErase:
    '⚠️ <b>¿Borrar tus datos?</b>\n\nOlvidaremos tu RUT, tu teléfono y este chat. Si tienes un turno en espera, ' +
    'lo cancelaremos. Tus turnos pasados quedan solo como cifras anónimas.',
  eraseYes: 'Sí, borrar mis datos',
  eraseNo: 'No, conservarlos',
  erased: (cancelled: string[]) =>
    `🗑️ Listo: borramos tus datos.${cancelled.length ? ` Cancelamos tu turno <b>${cancelled.map(escapeHtml).join(', ')}</b>.` : ''}` +
    ' Si vuelves, tendrás que registrar tu RUT de nuevo.',
  eraseKept: 'Perfecto, tus datos siguen guardados.',
  eraseWhileServed: 'Estás siendo atendido en este momento: podrás borrar tus datos cuando termine la atención.',
  personalDataUnreadable: 'No pudimos leer tus datos guardados. Ya avisamos al banco; inténtalo más tarde.',
  // SPEC §13: "Avísame cuando falten N minutos"
  comeBackOffer: (minutes: readonly number[]) =>
    `¿Quieres salir mientras esperas? Te aviso cuando falten unos ${minutes.join(', ').replace(/, (\d+)$/, ' o $1')} minutos para tu turno.`,
  comeBackButton: (minutes: number) => `Avísame cuando falten ${minutes} min`,
  // Time-based only (SPEC §13): the place in line does not bring the notice forward.
  comeBackSet: (minutes: number) => `👍 Listo: te avisaremos cuando falten unos <b>${minutes} minutos</b> para tu turno.`,
  comeBackTooLate: 'Tu turno ya no está en espera.',
} as const;
