/** Chilean mobile numbers in international form: `+56` followed by 9 digits. */
const PHONE_SHAPE = /^\+56\d{9}$/;

export function normalisePhone(input: string): string | null {
  const compact = input.replace(/[\s-]/g, '');
  return PHONE_SHAPE.test(compact) ? compact : null;
}

/** `+56912345678` → `+569****5678`. */
export function maskPhone(phone: string): string {
  if (phone.length < 8) return '***';
  return `${phone.slice(0, 4)}****${phone.slice(-4)}`;
}
