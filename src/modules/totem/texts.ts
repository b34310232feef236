/** Every Spanish string the server prints on a tótem's paper or says about its printer (SPEC §19). */
export const totemTexts = {
  ahead: (ahead: number): string =>
    ahead === 0 ? 'Nadie está antes que tú' : `${ahead} ${ahead === 1 ? 'persona' : 'personas'} antes que tú`,
  estimate: (minutes: number): string => `Espera estimada: ${minutes} min`,
  codeLine: (code: string): string => `o escribe /turno ${code} al bot`,
  scanLine: 'Sigue tu turno en Telegram: escanea el QR',
  footer: 'Guarda este papel hasta que te llamen',
  paperOut: (device: string): string => `El tótem ${device} no tiene papel: los clientes no reciben su número impreso`,
  disconnected: (device: string): string => `La impresora del tótem ${device} no responde: los clientes no reciben su número impreso`,
};
