/**
 * A fake Telegram Bot API server for integration tests.
 *
 * A real HTTP server on 127.0.0.1 that speaks the Bot API methods the app uses, the way
 * grammY's client calls them (`POST {apiRoot}/bot<token>/<method>` with a JSON body, or
 * multipart/form-data when a file is uploaded; the answer is `{ ok: true, result }` or
 * `{ ok: false, error_code, description, parameters? }` with the HTTP status equal to
 * `error_code`). A test points the app at it with `TELEGRAM_API_ROOT=fake.apiRoot`, injects
 * what users do (`sendText`, `sendCommand`, `pressButton`, …) and reads what the bot did
 * (`sent`, `calls`, `waitForMessage`, …). No handler of the app is called directly.
 *
 * Emulated the way Telegram does it:
 * - getUpdates long polling: holds the request up to `timeout` seconds, returns as soon as an
 *   update is queued; `offset` confirms (forgets) every update below it, a negative offset
 *   keeps only the last |offset|; `limit` 1..100; `allowed_updates` is remembered.
 *   A second getUpdates while one is pending terminates the pending one with
 *   409 "Conflict: terminated by other getUpdates request; …" (what Telegram does when two
 *   bot instances poll); getUpdates while a webhook is set → 409 as well.
 * - Webhook: `useWebhook(url, secret)` (or the app's own setWebhook) makes injected updates be
 *   POSTed to the app with `X-Telegram-Bot-Api-Secret-Token`; updates of one chat are
 *   delivered in order, different chats in parallel (up to max_connections). A JSON body
 *   with `method` in the webhook answer is executed like Telegram does (webhook reply).
 *   Failed deliveries are recorded, not retried.
 * - message_id increases per chat, shared by the user's and the bot's messages.
 * - parse_mode HTML is parsed like Telegram does (supported tags only, balanced, entities
 *   &lt; &gt; &amp; &quot; &#NN;) and errors are 400 "Bad Request: can't parse entities: …".
 *   The returned Message carries the plain text and the entities, as Telegram's does.
 * - editMessageText/editMessageReplyMarkup: 400 "message is not modified" when nothing
 *   changes, "message to edit not found", and an edit without reply_markup removes the
 *   inline keyboard (as Telegram does).
 * - callback_data over 64 bytes → 400 BUTTON_DATA_INVALID; bad command names in
 *   setMyCommands → 400 BOT_COMMAND_INVALID; answering an unknown or already answered
 *   callback query → 400 "query is too old …".
 * - Wrong token → 401 Unauthorized, unknown method → 404, malformed JSON → 400.
 *
 * Not emulated: MarkdownV2 validation, files, groups/channels beyond a bare chat object,
 * Telegram's retries of failed webhook deliveries, HTTPS-only webhook URLs.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BotCommand,
  CallbackQuery,
  Chat,
  ForceReply,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PhotoSize,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  User,
  UserFromGetMe,
} from 'grammy/types';

// Captured at import, so a test that installs fake timers does not freeze the fake server.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const realNow = Date.now;
const realFetch = globalThis.fetch;

export type Params = Record<string, unknown>;
export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/** A Telegram user that talks to the bot in their private chat (chat id = user id). */
export interface FakeUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** The JSON body of every Bot API answer. */
export type ApiReply =
  | { ok: true; result: unknown }
  | {
      ok: false;
      error_code: number;
      description: string;
      parameters?: { retry_after?: number; migrate_to_chat_id?: number };
    };

/**
 * What to answer instead of the real result:
 * - `{ status, description?, retryAfter? }`: `{ ok:false, error_code: status, … }` with that
 *   HTTP status (429 gets `parameters.retry_after` and "Too Many Requests: retry after N").
 *   `body` sends that raw text instead of JSON (like a 502 HTML page from a proxy).
 * - `{ timeoutMs }`: hold the request that long without answering, then (by default) drop the
 *   connection without an answer and without doing anything (`then: 'hangup'`), or do the
 *   call normally and answer late (`then: 'process'`, a slow Telegram: the message IS sent
 *   even if the client gave up).
 * - `{ reset: true }`: reset the connection at once (a TCP RST: the client sees ECONNRESET).
 */
export type Failure =
  | { status: number; description?: string; retryAfter?: number; body?: string }
  | { timeoutMs: number; then?: 'hangup' | 'process' }
  | { reset: true };

export interface FailureFilter {
  /** Only calls whose `chat_id` is this chat. */
  chatId?: number | string;
}

/** One Bot API request as the fake received it. */
export interface ApiCall {
  /** Increasing sequence number over every call (see `mark()`). */
  seq: number;
  /** Canonical method name (Telegram matches method names case-insensitively). */
  method: string;
  params: Params;
  /** Date.now() when the request was received. */
  at: number;
  /** `chat_id` as a number, when the call has a numeric one. */
  chatId?: number;
  /** HTTP status answered; 0 when no answer was written (hung up, or the client went away); undefined while pending. */
  status?: number;
  response?: ApiReply;
  /** The injected failure that answered this call, if any. */
  failure?: Failure;
  /** True for a method executed from a webhook answer body. */
  viaWebhookReply?: boolean;
}

export interface MessageEdit {
  seq: number;
  at: number;
  method: 'editMessageText' | 'editMessageReplyMarkup';
  text?: string;
  parse_mode?: string;
  reply_markup?: InlineKeyboardMarkup;
}

/** A message the bot sent (sendMessage that succeeded). The `current*` fields follow later edits. */
export interface SentMessage {
  seq: number;
  chat_id: number;
  message_id: number;
  /** Text as the bot sent it (with HTML tags when parse_mode is HTML). */
  text: string;
  /** Text as the user sees it (tags removed, entities decoded). */
  plainText: string;
  entities: MessageEntity[];
  parse_mode?: string;
  reply_markup?: ReplyMarkup;
  /** Unix seconds, as in the Message returned to the bot. */
  date: number;
  /** Date.now() when the call was received. */
  at: number;
  params: Params;
  currentText: string;
  currentPlainText: string;
  currentReplyMarkup?: ReplyMarkup;
  edits: MessageEdit[];
  deleted: boolean;
}

export interface CallbackAnswer {
  callback_query_id: string;
  text?: string;
  show_alert?: boolean;
  url?: string;
  cache_time?: number;
  at: number;
  seq: number;
}

export interface WebhookDelivery {
  update_id: number;
  url: string;
  /** HTTP status the app answered; 0 on a network error or timeout. */
  status: number;
  error?: string;
  secretSent: boolean;
  at: number;
  durationMs: number;
  /** Method of a webhook reply found in the answer body, if any. */
  replyMethod?: string;
}

export interface WebhookState {
  url: string;
  secret?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  /** 'api' when the app called setWebhook, 'test' when the test called useWebhook. */
  source: 'api' | 'test';
}

export interface RateLimit {
  /** Successful sendMessage calls allowed in any 1 s window (Telegram: about 30). */
  perSecond?: number;
  /** Per chat (Telegram: about 1 per second, with short bursts). */
  perChatPerSecond?: number;
  /** retry_after in the 429 answer, seconds. */
  retryAfter?: number;
}

export interface WaitOptions {
  /** Default 15000. */
  timeoutMs?: number;
  /** Only consider calls/messages with a `seq` above this `mark()`. */
  since?: number;
}

export interface FakeTelegramOptions {
  /** Default '123456789:AAFakeTokenForTicketeroTests_0123456789'. */
  token?: string;
  /** Default 'ticketero_test_bot'. */
  botUsername?: string;
  botName?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** sendMessage to a chat that never wrote to the bot → 400 "chat not found". Default false. */
  strictChats?: boolean;
  /** Clock for the `date` of messages (ms). Default Date.now. */
  now?: () => number;
}

type Match = string | RegExp;

interface StoredMessage {
  message: Message;
  fromBot: boolean;
  deleted: boolean;
  sent?: SentMessage;
}

interface ChatState {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  known: boolean;
}

interface FailureRule {
  method: string;
  remaining: number;
  failure: Failure;
  chatId?: string;
}

interface Connection {
  readonly closed: boolean;
  onClose(listener: () => void): void;
  hangup(): void;
  reset(): void;
}

interface PendingPoll {
  limit: number;
  finish(reply: ApiReply | null): void;
}

class TgError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (description: string): TgError => new TgError(400, `Bad Request: ${description}`);

const METHODS = [
  'getMe',
  'getUpdates',
  'setWebhook',
  'deleteWebhook',
  'getWebhookInfo',
  'setMyCommands',
  'getMyCommands',
  'deleteMyCommands',
  'sendMessage',
  'editMessageText',
  'editMessageReplyMarkup',
  'answerCallbackQuery',
  'sendChatAction',
  'deleteMessage',
] as const;
const METHOD_BY_LOWER = new Map<string, string>(METHODS.map((m) => [m.toLowerCase(), m]));

const DEFAULT_TOKEN = '123456789:AAFakeTokenForTicketeroTests_0123456789';
// A wait ends as soon as its message arrives; the limit only bounds a failing test. 5 s was too short
// for a job-sent message on a loaded 2-core machine (a suite run at load 16: "Ticket Creado" missed it).
const DEFAULT_WAIT_MS = 15_000;
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
/** Update types Telegram sends when allowed_updates was never given (or given empty). */
const DEFAULT_EXCLUDED_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const CONFLICT_OTHER_POLL =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const CONFLICT_WEBHOOK =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

// ---------------------------------------------------------------------------------------------
// Parameter helpers: Telegram accepts numbers as strings and objects as JSON strings.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optString(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`field "${key}" must be of type String`);
}

function optInt(p: Params, key: string): number | undefined {
  const v = p[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw badRequest(`field "${key}" must be of type Integer`);
  return n;
}

function optBool(p: Params, key: string): boolean | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`field "${key}" must be of type Boolean`);
}

/** An object/array parameter, which arrives as JSON text in form-encoded requests. */
function optJson(p: Params, key: string): unknown {
  const v = p[key];
  if (typeof v !== 'string') return v ?? undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw badRequest(`can't parse ${key} JSON object`);
  }
}

function optStringArray(p: Params, key: string): string[] | undefined {
  const v = optJson(p, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
    throw badRequest(`can't parse ${key} JSON array`);
  }
  return v;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------------------
// HTML parse mode, following Telegram's parser (tdlib parse_html) closely enough to reject
// what Telegram rejects.

const HTML_TAGS = new Set([
  'a',
  'b',
  'strong',
  'i',
  'em',
  's',
  'strike',
  'del',
  'u',
  'ins',
  'tg-spoiler',
  'tg-emoji',
  'span',
  'pre',
  'code',
  'blockquote',
]);

interface OpenTag {
  name: string;
  attrs: Map<string, string>;
  offset: number;
  language?: string;
}

export interface RenderedText {
  text: string;
  entities: MessageEntity[];
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\t' || c === '\r';

function decodeEntityAt(src: string, at: number): [string, number] {
  const m = /^&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});/.exec(src.slice(at, at + 12));
  if (!m) return ['&', 1];
  const name = m[1]!;
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  const plain = named[name];
  if (plain !== undefined) return [plain, m[0].length];
  const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return ['&', 1];
  return [String.fromCodePoint(code), m[0].length];
}

function decodeEntities(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '&') {
      const [c, n] = decodeEntityAt(s, i);
      out += c;
      i += n;
    } else {
      out += s[i];
      i += 1;
    }
  }
  return out;
}

function entityError(message: string): TgError {
  return badRequest(`can't parse entities: ${message}`);
}

function entityOf(tag: OpenTag, length: number): MessageEntity | undefined {
  if (length === 0) return undefined;
  const { offset } = tag;
  switch (tag.name) {
    case 'b':
    case 'strong':
      return { type: 'bold', offset, length };
    case 'i':
    case 'em':
      return { type: 'italic', offset, length };
    case 'u':
    case 'ins':
      return { type: 'underline', offset, length };
    case 's':
    case 'strike':
    case 'del':
      return { type: 'strikethrough', offset, length };
    case 'tg-spoiler':
    case 'span':
      return { type: 'spoiler', offset, length };
    case 'code':
      return { type: 'code', offset, length };
    case 'pre':
      return tag.language ? { type: 'pre', offset, length, language: tag.language } : { type: 'pre', offset, length };
    case 'blockquote':
      return { type: tag.attrs.has('expandable') ? 'expandable_blockquote' : 'blockquote', offset, length };
    case 'tg-emoji':
      return { type: 'custom_emoji', offset, length, custom_emoji_id: tag.attrs.get('emoji-id') ?? '' };
    case 'a': {
      const href = tag.attrs.get('href') ?? '';
      if (!href) return undefined;
      const mention = /^tg:\/\/user\?id=(\d+)$/.exec(href);
      if (mention) {
        return { type: 'text_mention', offset, length, user: { id: Number(mention[1]), is_bot: false, first_name: '' } };
      }
      return { type: 'text_link', offset, length, url: href };
    }
    default:
      return undefined;
  }
}

/** Parses Telegram HTML; throws a 400 "can't parse entities" TgError where Telegram would. */
export function parseTelegramHtml(src: string): RenderedText {
  let out = '';
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  const at = (index: number): string => `byte offset ${byteLength(src.slice(0, index))}`;
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '&') {
      const [decoded, n] = decodeEntityAt(src, i);
      out += decoded;
      i += n;
      continue;
    }
    if (ch !== '<') {
      out += ch;
      i += 1;
      continue;
    }
    const begin = i;
    if (src[i + 1] === '/') {
      const close = src.indexOf('>', i + 2);
      if (close < 0) throw entityError(`Unclosed end tag at ${at(begin)}`);
      const name = src.slice(i + 2, close).trim().toLowerCase();
      i = close + 1;
      const open = stack.pop();
      if (!open) throw entityError(`Unexpected end tag at ${at(begin)}`);
      if (open.name !== name) {
        throw entityError(`Unmatched end tag at ${at(begin)}, expected "</${open.name}>", found "</${name}>"`);
      }
      const parent = stack[stack.length - 1];
      const cls = open.attrs.get('class') ?? '';
      if (open.name === 'code' && parent?.name === 'pre' && cls.startsWith('language-')) {
        parent.language = cls.slice('language-'.length);
        continue;
      }
      const entity = entityOf(open, out.length - open.offset);
      if (entity) entities.push(entity);
      continue;
    }
    i += 1;
    let j = i;
    while (j < src.length && !isSpace(src[j]) && src[j] !== '>') j += 1;
    if (j >= src.length) throw entityError(`Unclosed start tag at ${at(begin)}`);
    const name = src.slice(i, j).toLowerCase();
    if (!HTML_TAGS.has(name)) throw entityError(`Unsupported start tag "${name}" at ${at(begin)}`);
    i = j;
    const attrs = new Map<string, string>();
    for (;;) {
      while (i < src.length && isSpace(src[i])) i += 1;
      if (i >= src.length) throw entityError(`Unclosed start tag at ${at(begin)}`);
      if (src[i] === '>') {
        i += 1;
        break;
      }
      let k = i;
      while (k < src.length && !isSpace(src[k]) && src[k] !== '=' && src[k] !== '>') k += 1;
      const attrName = src.slice(i, k).toLowerCase();
      if (!attrName) throw entityError(`Empty attribute name in the tag "${name}" at ${at(begin)}`);
      i = k;
      while (i < src.length && isSpace(src[i])) i += 1;
      if (src[i] !== '=') {
        attrs.set(attrName, '');
        continue;
      }
      i += 1;
      while (i < src.length && isSpace(src[i])) i += 1;
      if (i >= src.length) throw entityError(`Unclosed start tag at ${at(begin)}`);
      const quote = src[i];
      if (quote === '"' || quote === "'") {
        const end = src.indexOf(quote, i + 1);
        if (end < 0) throw entityError(`Unclosed start tag at ${at(begin)}`);
        attrs.set(attrName, decodeEntities(src.slice(i + 1, end)));
        i = end + 1;
      } else {
        let e = i;
        while (e < src.length && !isSpace(src[e]) && src[e] !== '>') e += 1;
        attrs.set(attrName, decodeEntities(src.slice(i, e)));
        i = e;
      }
    }
    if (name === 'span' && attrs.get('class') !== 'tg-spoiler') {
      throw entityError(`Tag "span" must have class "tg-spoiler" at ${at(begin)}`);
    }
    stack.push({ name, attrs, offset: out.length });
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) throw entityError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: out, entities };
}

function render(text: string, parseMode: string | undefined): RenderedText {
  if (parseMode === undefined || parseMode === '') return { text, entities: [] };
  const mode = parseMode.toLowerCase();
  if (mode === 'html') return parseTelegramHtml(text);
  if (mode === 'markdownv2' || mode === 'markdown') return { text, entities: [] };
  throw badRequest(`unsupported parse_mode "${parseMode}"`);
}

// ---------------------------------------------------------------------------------------------
// Reply markup validation.

function parseReplyMarkup(raw: unknown): ReplyMarkup | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
  }
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw badRequest("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in value) {
    const rows = value.inline_keyboard;
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
    }
    for (const row of rows as unknown[][]) {
      for (const button of row) {
        if (!isRecord(button) || typeof button.text !== 'string') {
          throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        }
        const actions = ['callback_data', 'url', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat', 'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay'];
        if (!actions.some((a) => a in button)) {
          throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
        }
        if ('callback_data' in button) {
          const data = button.callback_data;
          if (typeof data !== 'string' || byteLength(data) < 1 || byteLength(data) > 64) {
            throw badRequest('BUTTON_DATA_INVALID');
          }
        }
      }
    }
    return value as unknown as InlineKeyboardMarkup;
  }
  if ('keyboard' in value) {
    if (!Array.isArray(value.keyboard)) throw badRequest('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays');
    return value as unknown as ReplyKeyboardMarkup;
  }
  if ('remove_keyboard' in value) return value as unknown as ReplyKeyboardRemove;
  if ('force_reply' in value) return value as unknown as ForceReply;
  throw badRequest("can't parse reply keyboard markup JSON object");
}

function isInline(markup: ReplyMarkup | undefined): markup is InlineKeyboardMarkup {
  return markup !== undefined && 'inline_keyboard' in markup;
}

function describeMatch(match: Match): string {
  return typeof match === 'string' ? JSON.stringify(match) : String(match);
}

function matches(text: string, match: Match): boolean {
  return typeof match === 'string' ? text.includes(match) : new RegExp(match.source, match.flags.replace('g', '')).test(text);
}

function short(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function updateType(update: Update): string | undefined {
  return Object.keys(update).find((k) => k !== 'update_id');
}

function chatOfUpdate(update: Update): number | undefined {
  return (
    update.message?.chat.id ??
    update.edited_message?.chat.id ??
    update.callback_query?.message?.chat.id ??
    update.callback_query?.from.id
  );
}

// ---------------------------------------------------------------------------------------------

export class FakeTelegram {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  /** Every Bot API request received, in order. */
  readonly calls: ApiCall[] = [];
  /** Every message the bot sent successfully, in order. */
  readonly sent: SentMessage[] = [];
  /** Every update injected, in order. */
  readonly updates: Update[] = [];
  /** Every webhook delivery attempt, in order. */
  readonly deliveries: WebhookDelivery[] = [];
  /** Every answerCallbackQuery that succeeded. */
  readonly callbackAnswers: CallbackAnswer[] = [];

  private readonly server: Server;
  private readonly strictChats: boolean;
  private readonly now: () => number;
  private port = 0;
  private seq = 0;
  private lastUpdateId: number;
  private queue: Update[] = [];
  private poll: PendingPoll | null = null;
  private allowedUpdates: string[] | null = null;
  private webhookState: WebhookState | null = null;
  private lastWebhookError: { date: number; message: string } | undefined;
  private readonly chats = new Map<number, ChatState>();
  private readonly callbackQueries = new Map<string, { query: CallbackQuery; answered: boolean }>();
  private callbackSeq = 0;
  private failures: FailureRule[] = [];
  private rateLimit: RateLimit | null = null;
  private readonly commandSets = new Map<string, BotCommand[]>();
  private readonly waiters = new Set<() => void>();
  private readonly deliveryChains = new Map<string, Promise<void>>();
  private deliveriesActive = 0;
  private readonly deliverySlots: (() => void)[] = [];
  private readonly deliveryAbort = new AbortController();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;

  private constructor(options: FakeTelegramOptions) {
    this.token = options.token ?? DEFAULT_TOKEN;
    const botId = Number(this.token.split(':')[0]);
    this.botInfo = {
      id: Number.isSafeInteger(botId) && botId > 0 ? botId : 123456789,
      is_bot: true,
      first_name: options.botName ?? 'Ticketero Test Bot',
      username: options.botUsername ?? 'ticketero_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
    this.strictChats = options.strictChats ?? false;
    this.now = options.now ?? realNow;
    // Telegram's update ids start at an arbitrary large number.
    this.lastUpdateId = 100_000_000 + Math.floor(Math.random() * 1_000_000);
    this.server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    // Long keep-alive, so grammY's keep-alive agent does not reuse a socket we just closed.
    this.server.keepAliveTimeout = 120_000;
    this.server.headersTimeout = 125_000;
    this.server.requestTimeout = 0;
  }

  /** Starts the fake on 127.0.0.1 (a free port unless `port` is given). */
  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, '127.0.0.1', () => {
        fake.server.off('error', reject);
        resolve();
      });
    });
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** `http://127.0.0.1:<port>`: what TELEGRAM_API_ROOT / grammY's `client.apiRoot` should be. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The current webhook (set by `useWebhook` or the app's setWebhook), or null in polling mode. */
  get webhook(): WebhookState | null {
    return this.webhookState;
  }

  /** Answers pending long polls with no updates, stops deliveries and closes every connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.poll?.finish({ ok: true, result: [] });
    this.deliveryAbort.abort();
    for (const t of this.timers) realClearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Give answered long polls a moment to flush before cutting what is left.
    await new Promise<void>((resolve) => realSetTimeout(resolve, 20));
    this.server.closeAllConnections();
    await closed;
  }

  // -------------------------------------------------------------------------------------------
  // Injecting what users do.

  /** A text message from the user in their private chat (a leading /command gets its entity). */
  sendText(user: FakeUser, text: string): Update {
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
    const entities: MessageEntity[] = command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : [];
    return this.userMessage(user, { text, ...(entities.length > 0 ? { entities } : {}) });
  }

  /** `/start` or `/start payload` (a deep link), with the bot_command entity Telegram adds. */
  sendCommand(user: FakeUser, command: string, payload?: string): Update {
    const cmd = command.startsWith('/') ? command : `/${command}`;
    return this.sendText(user, payload === undefined || payload === '' ? cmd : `${cmd} ${payload}`);
  }

  /**
   * A shared contact. With `ownContact` (default, what a request_contact button sends)
   * `contact.user_id` is the sender's id; otherwise it is `userId` (or absent).
   */
  sendContact(
    user: FakeUser,
    phoneNumber: string,
    options: { ownContact?: boolean; firstName?: string; lastName?: string; userId?: number } = {},
  ): Update {
    const own = options.ownContact ?? true;
    const userId = own ? user.id : options.userId;
    const lastName = options.lastName ?? (own ? user.last_name : undefined);
    return this.userMessage(user, {
      contact: {
        phone_number: phoneNumber,
        first_name: options.firstName ?? (own ? user.first_name : 'Contacto'),
        ...(lastName !== undefined ? { last_name: lastName } : {}),
        ...(userId !== undefined ? { user_id: userId } : {}),
      },
    });
  }

  /** A shared location, as a request_location button sends it. */
  sendLocation(user: FakeUser, latitude: number, longitude: number): Update {
    return this.userMessage(user, { location: { latitude, longitude } });
  }

  sendSticker(user: FakeUser, emoji = '👍'): Update {
    const id = randomBytes(8).toString('hex');
    return this.userMessage(user, {
      sticker: {
        file_id: `CAACAgIAAxkBAAI${id}`,
        file_unique_id: `AgAD${id.slice(0, 8)}`,
        type: 'regular',
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
        emoji,
        set_name: 'FakeStickers',
        file_size: 24_576,
      },
    });
  }

  sendPhoto(user: FakeUser, caption?: string): Update {
    const id = randomBytes(8).toString('hex');
    const photo: PhotoSize[] = [
      { file_id: `AgACAgEAAxkBAAI${id}s`, file_unique_id: `AQAD${id}s`, width: 90, height: 67, file_size: 1_280 },
      { file_id: `AgACAgEAAxkBAAI${id}m`, file_unique_id: `AQAD${id}m`, width: 320, height: 240, file_size: 18_204 },
      { file_id: `AgACAgEAAxkBAAI${id}x`, file_unique_id: `AQAD${id}x`, width: 1280, height: 960, file_size: 120_511 },
    ];
    return this.userMessage(user, { photo, ...(caption !== undefined ? { caption } : {}) });
  }

  /** The user edits one of their own messages: an `edited_message` update. */
  editText(user: FakeUser, messageId: number, newText: string): Update {
    const stored = this.chats.get(user.id)?.messages.get(messageId);
    if (!stored || stored.fromBot) {
      throw new Error(`FakeTelegram.editText: user ${user.id} has no message ${messageId} in their chat`);
    }
    const editDate = this.unixNow();
    const { entities: _oldEntities, ...rest } = stored.message;
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(newText);
    const edited: Message = {
      ...rest,
      text: newText,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      edit_date: editDate,
    };
    stored.message = edited;
    return this.enqueue({
      update_id: 0,
      edited_message: { ...edited, chat: edited.chat, from: this.userObject(user), edit_date: editDate } as Update['edited_message'],
    });
  }

  /**
   * The user presses an inline button of a message the bot sent: a `callback_query` carrying
   * that message as it is now. `message` is a SentMessage, a Message, or a message_id in the
   * user's own chat. `data` is the callback_data, or `{ text }` to pick the button by label.
   * Pressing a button the message does not (or no longer) show throws, unless `unchecked`
   * (forged or stale presses, as a modified client could send).
   */
  pressButton(
    user: FakeUser,
    message: SentMessage | Message | number,
    data: string | { text: string | RegExp },
    options: { unchecked?: boolean } = {},
  ): Update {
    const [chatId, messageId] =
      typeof message === 'number'
        ? [user.id, message]
        : 'chat_id' in message
          ? [message.chat_id, message.message_id]
          : [message.chat.id, message.message_id];
    const stored = this.chats.get(chatId)?.messages.get(messageId);
    if (!stored) throw new Error(`FakeTelegram.pressButton: no message ${messageId} in chat ${chatId}`);
    const buttons = this.buttonsOfStored(stored);
    let callbackData: string;
    if (typeof data === 'string') {
      callbackData = data;
    } else {
      const button = buttons.find((b) => b.callback_data !== undefined && matches(b.text, data.text));
      if (!button?.callback_data) {
        throw new Error(
          `FakeTelegram.pressButton: message ${messageId} in chat ${chatId} has no callback button labelled ${describeMatch(data.text)} (buttons: ${JSON.stringify(buttons)})`,
        );
      }
      callbackData = button.callback_data;
    }
    if (!options.unchecked) {
      if (stored.deleted) throw new Error(`FakeTelegram.pressButton: message ${messageId} in chat ${chatId} was deleted`);
      if (!buttons.some((b) => b.callback_data === callbackData)) {
        throw new Error(
          `FakeTelegram.pressButton: message ${messageId} in chat ${chatId} has no button with callback_data ${JSON.stringify(callbackData)} (buttons: ${JSON.stringify(buttons)}); pass { unchecked: true } to send it anyway`,
        );
      }
    }
    this.callbackSeq += 1;
    const id = `${this.botInfo.id}${String(this.callbackSeq).padStart(9, '0')}`;
    const query: CallbackQuery = {
      id,
      from: this.userObject(user),
      message: stored.deleted
        ? { chat: stored.message.chat, message_id: messageId, date: 0 }
        : structuredClone(stored.message),
      chat_instance: `-${(Math.abs(chatId) * 7919) % 9_999_999_967}`,
      data: callbackData,
    };
    this.callbackQueries.set(id, { query, answered: false });
    return this.enqueue({ update_id: 0, callback_query: query });
  }

  /** Any other update (update_id is assigned). */
  injectUpdate(update: Omit<Update, 'update_id'>): Update {
    return this.enqueue({ ...update, update_id: 0 });
  }

  /** Registers a user's chat as known (for `strictChats`) without sending anything. */
  knowUser(user: FakeUser): void {
    this.chatState(user.id, user).known = true;
  }

  /** Updates queued for getUpdates and not yet confirmed by a later offset. */
  pendingUpdates(): Update[] {
    return [...this.queue];
  }

  // -------------------------------------------------------------------------------------------
  // Webhook mode.

  /**
   * From now on injected updates (and any still queued) are POSTed to `url`, with
   * `X-Telegram-Bot-Api-Secret-Token: secret` when a secret is given.
   */
  useWebhook(url: string, secret?: string, options: { maxConnections?: number } = {}): void {
    this.setWebhookState({
      url,
      ...(secret !== undefined ? { secret } : {}),
      maxConnections: options.maxConnections ?? 40,
      source: 'test',
    });
  }

  /** Back to getUpdates: the webhook is removed (queued updates stay). */
  usePolling(): void {
    this.webhookState = null;
  }

  /** Resolves when the update has been POSTed to the webhook (whatever the app answered). */
  waitForDelivery(update: Update | number, opts: number | WaitOptions = {}): Promise<WebhookDelivery> {
    const id = typeof update === 'number' ? update : update.update_id;
    const { timeoutMs } = this.waitOptions(opts);
    return this.waitForValue(
      () => this.deliveries.find((d) => d.update_id === id),
      timeoutMs,
      () => `waiting for the webhook delivery of update ${id}; deliveries so far: ${JSON.stringify(this.deliveries.slice(-10))}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Failure injection.

  /**
   * The next `n` calls of `method` ('*' for any) answer `failure` instead of doing the call;
   * with `filter.chatId`, only calls to that chat count.
   */
  failNext(method: string, n: number, failure: Failure, filter: FailureFilter = {}): void {
    this.addFailure(method, n, failure, filter);
  }

  /** Every call of `method` fails until the returned function (or `clearFailures`) is called. */
  failAlways(method: string, failure: Failure, filter: FailureFilter = {}): () => void {
    const rule = this.addFailure(method, Number.POSITIVE_INFINITY, failure, filter);
    return () => {
      this.failures = this.failures.filter((r) => r !== rule);
    };
  }

  /** Removes injected failures (of one method, or all). */
  clearFailures(method?: string): void {
    const m = method === undefined ? undefined : this.canonical(method);
    this.failures = m === undefined ? [] : this.failures.filter((r) => r.method !== m);
  }

  /** Emulates Telegram's flood control on sendMessage with 429 + retry_after; null turns it off. */
  setRateLimit(limit: RateLimit | null): void {
    this.rateLimit = limit;
  }

  // -------------------------------------------------------------------------------------------
  // Reading what the bot did.

  /** The current sequence number: pass it as `since` to wait only for what comes next. */
  mark(): number {
    return this.seq;
  }

  callsOf(method: string): ApiCall[] {
    const m = this.canonical(method);
    return this.calls.filter((c) => c.method === m);
  }

  messagesTo(chatId: number): SentMessage[] {
    return this.sent.filter((s) => s.chat_id === chatId);
  }

  lastMessageTo(chatId: number): SentMessage | undefined {
    return this.messagesTo(chatId).at(-1);
  }

  /** The message as it is now (after edits), bot's or user's. */
  message(chatId: number, messageId: number): Message | undefined {
    return this.chats.get(chatId)?.messages.get(messageId)?.message;
  }

  /** The current text of a bot message as the bot last sent/edited it (HTML included). */
  currentText(chatId: number, messageId: number): string | undefined {
    const stored = this.chats.get(chatId)?.messages.get(messageId);
    return stored?.sent?.currentText ?? stored?.message.text;
  }

  /** The inline buttons a message shows now, flattened. */
  buttons(message: SentMessage | Message): { text: string; callback_data?: string; url?: string }[] {
    const [chatId, messageId] = 'chat_id' in message ? [message.chat_id, message.message_id] : [message.chat.id, message.message_id];
    const stored = this.chats.get(chatId)?.messages.get(messageId);
    return stored ? this.buttonsOfStored(stored) : [];
  }

  /** The commands registered with setMyCommands for a scope (default scope) and language. */
  commands(scope: Record<string, unknown> = { type: 'default' }, languageCode = ''): BotCommand[] | undefined {
    return this.commandSets.get(this.commandKey(scope, languageCode));
  }

  /** The answer the bot gave to a callback query (by id or the update that carried it). */
  answerFor(query: string | Update): CallbackAnswer | undefined {
    const id = typeof query === 'string' ? query : query.callback_query?.id;
    return this.callbackAnswers.find((a) => a.callback_query_id === id);
  }

  /** Date.now() of each call of the methods (default sendMessage), optionally to one chat. */
  callTimes(options: { methods?: string[]; chatId?: number; succeededOnly?: boolean } = {}): number[] {
    const methods = new Set((options.methods ?? ['sendMessage']).map((m) => this.canonical(m)));
    return this.calls
      .filter(
        (c) =>
          methods.has(c.method) &&
          (options.chatId === undefined || c.chatId === options.chatId) &&
          (!options.succeededOnly || c.response?.ok === true),
      )
      .map((c) => c.at);
  }

  /**
   * The most calls (default: sendMessage requests, failed ones included — they count against
   * Telegram's limits too) received in any `windowMs` (default 1000) window.
   */
  sentPerSecond(
    options: { methods?: string[]; chatId?: number; succeededOnly?: boolean; windowMs?: number; since?: number } = {},
  ): number {
    const windowMs = options.windowMs ?? 1000;
    const since = options.since ?? 0;
    const methods = new Set((options.methods ?? ['sendMessage']).map((m) => this.canonical(m)));
    const times = this.calls
      .filter(
        (c) =>
          c.seq > since &&
          methods.has(c.method) &&
          (options.chatId === undefined || c.chatId === options.chatId) &&
          (!options.succeededOnly || c.response?.ok === true),
      )
      .map((c) => c.at)
      .sort((a, b) => a - b);
    let best = 0;
    for (let lo = 0, hi = 0; hi < times.length; hi += 1) {
      while (times[hi]! - times[lo]! >= windowMs) lo += 1;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /** Resolves with the first call (since `since`) the predicate accepts, re-checked as calls are answered. */
  waitFor(predicate: (call: ApiCall) => boolean, opts: number | WaitOptions = {}): Promise<ApiCall> {
    const { timeoutMs, since } = this.waitOptions(opts);
    return this.waitForValue(
      () => this.calls.find((c) => c.seq > since && predicate(c)),
      timeoutMs,
      () => `waiting for a call matching ${predicate.toString().slice(0, 200)}\n${this.summary(since)}`,
    );
  }

  /** Resolves with the first call of `method` (answered) that the optional predicate accepts. */
  waitForCall(method: string, predicate: (call: ApiCall) => boolean = () => true, opts: number | WaitOptions = {}): Promise<ApiCall> {
    const m = this.canonical(method);
    const { timeoutMs, since } = this.waitOptions(opts);
    return this.waitForValue(
      () => this.calls.find((c) => c.seq > since && c.method === m && c.status !== undefined && predicate(c)),
      timeoutMs,
      () => `waiting for an answered ${m} call${predicate.length > 0 ? ' matching the predicate' : ''}\n${this.summary(since)}`,
    );
  }

  /**
   * Resolves with the first message sent to the chat (since `since`) whose text — as sent or as
   * displayed — contains the string / matches the RegExp.
   */
  waitForMessage(chatId: number, match: Match, opts: number | WaitOptions = {}): Promise<SentMessage> {
    const { timeoutMs, since } = this.waitOptions(opts);
    return this.waitForValue(
      () => this.sent.find((s) => s.seq > since && s.chat_id === chatId && (matches(s.text, match) || matches(s.plainText, match))),
      timeoutMs,
      () => `waiting for a message to chat ${chatId} matching ${describeMatch(match)}\n${this.summary(since, chatId)}`,
    );
  }

  /** Resolves when the bot message's current text (after edits) matches. */
  waitForEdit(chatId: number, messageId: number, match: Match, opts: number | WaitOptions = {}): Promise<SentMessage> {
    const { timeoutMs } = this.waitOptions(opts);
    return this.waitForValue(
      () => {
        const s = this.chats.get(chatId)?.messages.get(messageId)?.sent;
        return s && (matches(s.currentText, match) || matches(s.currentPlainText, match)) ? s : undefined;
      },
      timeoutMs,
      () =>
        `waiting for message ${messageId} in chat ${chatId} to read ${describeMatch(match)}; it reads ${JSON.stringify(this.currentText(chatId, messageId))}\n${this.summary(0, chatId)}`,
    );
  }

  /** Resolves when the bot answers the callback query. */
  waitForAnswer(query: string | Update, opts: number | WaitOptions = {}): Promise<CallbackAnswer> {
    const { timeoutMs } = this.waitOptions(opts);
    return this.waitForValue(
      () => this.answerFor(query),
      timeoutMs,
      () => `waiting for answerCallbackQuery of ${typeof query === 'string' ? query : query.callback_query?.id}\n${this.summary(0)}`,
    );
  }

  /** Resolves when a condition outside the fake (e.g. the app's database state) holds. */
  waitUntil(condition: () => boolean, opts: number | WaitOptions = {}, what = condition.toString().slice(0, 200)): Promise<void> {
    const { timeoutMs } = this.waitOptions(opts);
    return this.waitForValue(
      () => (condition() ? true : undefined),
      timeoutMs,
      () => `waiting until ${what}\n${this.summary(0)}`,
    ).then(() => undefined);
  }

  /** A readable list of recent calls and messages (what the timeout errors print). */
  summary(since = 0, chatId?: number): string {
    const messages = this.sent.filter((s) => s.seq > since && (chatId === undefined || s.chat_id === chatId));
    const lines = [
      `Messages sent${chatId === undefined ? '' : ` to chat ${chatId}`}${since > 0 ? ` since mark ${since}` : ''} (${messages.length}):`,
      ...messages
        .slice(-20)
        .map(
          (s) =>
            `  #${s.seq} chat ${s.chat_id} msg ${s.message_id}: ${JSON.stringify(short(s.currentText))}${s.edits.length > 0 ? ` (edited ${s.edits.length}x, first ${JSON.stringify(short(s.text, 60))})` : ''}${s.deleted ? ' (deleted)' : ''}`,
        ),
      `Last calls (${this.calls.length} in all):`,
      ...this.calls
        .filter((c) => c.seq > since)
        .slice(-15)
        .map(
          (c) =>
            `  #${c.seq} ${c.method}${c.chatId !== undefined ? ` chat ${c.chatId}` : ''} → ${c.status ?? 'pending'}${c.response && !c.response.ok ? ` ${c.response.description}` : ''}`,
        ),
    ];
    return lines.join('\n');
  }

  // -------------------------------------------------------------------------------------------
  // HTTP.

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = realNow();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
    const write = (status: number, body: ApiReply): void => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (!route) return write(404, { ok: false, error_code: 404, description: 'Not Found' });
      if (decodeURIComponent(route[1]!) !== this.token) {
        return write(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      }
      const method = METHOD_BY_LOWER.get(route[2]!.toLowerCase());
      if (!method) return write(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });

      let params: Params;
      try {
        params = await this.readParams(req, url);
      } catch (error) {
        const e = error instanceof TgError ? error : badRequest('invalid request body');
        return write(e.code, { ok: false, error_code: e.code, description: e.description });
      }

      let closed = false;
      const closeListeners: (() => void)[] = [];
      res.on('close', () => {
        if (res.writableFinished) return;
        closed = true;
        for (const l of closeListeners.splice(0)) l();
      });
      const connection: Connection = {
        get closed() {
          return closed;
        },
        onClose: (l) => {
          if (closed) l();
          else closeListeners.push(l);
        },
        hangup: () => {
          req.socket.destroy();
        },
        reset: () => {
          req.socket.resetAndDestroy();
        },
      };

      const call = this.record(method, params, at);
      const outcome = await this.execute(call, connection);
      if (outcome === null) return;
      if (typeof outcome === 'string') {
        if (!res.writableEnded && !res.destroyed) {
          res.writeHead(call.status ?? 500, { 'content-type': 'text/html' });
          res.end(outcome);
        }
        return;
      }
      if (closed) {
        // The client went away before the answer: it never saw it.
        return;
      }
      write(call.status ?? 200, outcome);
    } catch (error) {
      write(500, { ok: false, error_code: 500, description: `Internal Server Error: ${(error as Error).message}` });
    }
  }

  private async readParams(req: IncomingMessage, url: URL): Promise<Params> {
    const params: Params = Object.fromEntries(url.searchParams.entries());
    if (req.method === 'GET' || req.method === 'HEAD') return params;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > 50 * 1024 * 1024) throw new TgError(413, 'Request Entity Too Large');
      chunks.push(buf);
    }
    const body = Buffer.concat(chunks);
    if (body.length === 0) return params;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      for (const [key, value] of form.entries()) {
        params[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size, type: value.type };
      }
      return params;
    }
    if (type.startsWith('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
      return params;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw badRequest("can't parse JSON encoded request body");
    }
    if (!isRecord(parsed)) throw badRequest('JSON request body must be an object');
    return { ...params, ...parsed };
  }

  private record(method: string, params: Params, at: number, viaWebhookReply = false): ApiCall {
    this.seq += 1;
    const rawChat = params.chat_id;
    const chatNum = typeof rawChat === 'number' ? rawChat : typeof rawChat === 'string' && /^-?\d+$/.test(rawChat) ? Number(rawChat) : undefined;
    const call: ApiCall = {
      seq: this.seq,
      method,
      params,
      at,
      ...(chatNum !== undefined ? { chatId: chatNum } : {}),
      ...(viaWebhookReply ? { viaWebhookReply: true } : {}),
    };
    this.calls.push(call);
    this.changed();
    return call;
  }

  /**
   * Runs a call: an injected failure, or the method. Returns the JSON to answer, a raw body
   * (string) for a failure with `body`, or null when nothing is to be written.
   */
  private async execute(call: ApiCall, connection: Connection): Promise<ApiReply | string | null> {
    const finish = (status: number, reply: ApiReply | null): ApiReply | null => {
      call.status = status;
      if (reply) call.response = reply;
      this.changed();
      return reply;
    };
    const rule = this.takeFailure(call);
    if (rule) {
      call.failure = rule.failure;
      const failure = rule.failure;
      if ('reset' in failure) {
        connection.reset();
        return finish(0, null);
      }
      if ('timeoutMs' in failure) {
        await new Promise<void>((resolve) => {
          const t = realSetTimeout(() => {
            this.timers.delete(t);
            resolve();
          }, failure.timeoutMs);
          this.timers.add(t);
          connection.onClose(() => {
            if (failure.then !== 'process') {
              realClearTimeout(t);
              this.timers.delete(t);
              resolve();
            }
          });
        });
        if (failure.then !== 'process') {
          connection.hangup();
          return finish(0, null);
        }
      } else {
        const status = failure.status;
        const retryAfter = failure.retryAfter ?? (status === 429 ? 1 : undefined);
        const description =
          failure.description ??
          (status === 429 ? `Too Many Requests: retry after ${retryAfter}` : (DEFAULT_DESCRIPTIONS[status] ?? `Error ${status}`));
        const reply: ApiReply = {
          ok: false,
          error_code: status,
          description,
          ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}),
        };
        if (failure.body !== undefined) {
          finish(status, reply);
          return failure.body;
        }
        return finish(status, reply);
      }
    }
    try {
      const result = await this.dispatch(call, connection);
      if (result === null) return finish(0, null);
      return finish(200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof TgError)) throw error;
      return finish(error.code, {
        ok: false,
        error_code: error.code,
        description: error.description,
        ...(error.retryAfter !== undefined ? { parameters: { retry_after: error.retryAfter } } : {}),
      });
    }
  }

  /** The method itself. Returns its `result`, or null when a long poll's client went away. */
  private async dispatch(call: ApiCall, connection: Connection): Promise<unknown> {
    const p = call.params;
    switch (call.method) {
      case 'getMe':
        return this.botInfo;
      case 'getUpdates':
        return this.getUpdates(p, connection);
      case 'setWebhook':
        return this.setWebhook(p);
      case 'deleteWebhook':
        if (optBool(p, 'drop_pending_updates')) this.queue = [];
        this.webhookState = null;
        return true;
      case 'getWebhookInfo':
        return {
          url: this.webhookState?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.queue.length,
          ...(this.webhookState ? { max_connections: this.webhookState.maxConnections } : {}),
          ...(this.webhookState?.allowedUpdates ? { allowed_updates: this.webhookState.allowedUpdates } : {}),
          ...(this.lastWebhookError ? { last_error_date: this.lastWebhookError.date, last_error_message: this.lastWebhookError.message } : {}),
        };
      case 'setMyCommands':
        return this.setMyCommands(p);
      case 'getMyCommands':
        return this.commandSets.get(this.commandKey(optJson(p, 'scope'), optString(p, 'language_code') ?? '')) ?? [];
      case 'deleteMyCommands':
        this.commandSets.delete(this.commandKey(optJson(p, 'scope'), optString(p, 'language_code') ?? ''));
        return true;
      case 'sendMessage':
        return this.sendMessage(call);
      case 'editMessageText':
      case 'editMessageReplyMarkup':
        return this.editMessage(call);
      case 'answerCallbackQuery':
        return this.answerCallbackQuery(call);
      case 'sendChatAction': {
        this.requireChat(p);
        const action = optString(p, 'action');
        if (!action || !CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
        return true;
      }
      case 'deleteMessage': {
        const chat = this.requireChat(p);
        const messageId = optInt(p, 'message_id');
        if (messageId === undefined) throw badRequest('message identifier is not specified');
        const stored = chat.messages.get(messageId);
        if (!stored || stored.deleted) throw badRequest('message to delete not found');
        stored.deleted = true;
        if (stored.sent) stored.sent.deleted = true;
        return true;
      }
      default:
        throw new TgError(404, 'Not Found: method not found');
    }
  }

  private getUpdates(p: Params, connection: Connection): Promise<Update[] | null> | Update[] {
    if (this.webhookState) throw new TgError(409, CONFLICT_WEBHOOK);
    const offset = optInt(p, 'offset') ?? 0;
    const limit = Math.min(100, Math.max(1, optInt(p, 'limit') ?? 100));
    const timeout = Math.max(0, optInt(p, 'timeout') ?? 0);
    const allowed = optStringArray(p, 'allowed_updates');
    if (allowed !== undefined) this.allowedUpdates = allowed.length > 0 ? allowed : null;

    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);

    // Telegram answers the older pending request with 409 when another getUpdates arrives.
    this.poll?.finish({ ok: false, error_code: 409, description: CONFLICT_OTHER_POLL });

    const ready = this.takeUpdates(limit);
    if (ready.length > 0 || timeout === 0 || connection.closed || this.stopped) return ready;

    return new Promise<Update[] | null>((resolve, reject) => {
      let done = false;
      const poll: PendingPoll = {
        limit,
        finish: (reply) => {
          if (done) return;
          done = true;
          if (this.poll === poll) this.poll = null;
          realClearTimeout(timer);
          this.timers.delete(timer);
          if (reply === null) resolve(null);
          else if (reply.ok) resolve(reply.result as Update[]);
          else reject(new TgError(reply.error_code, reply.description));
        },
      };
      const timer = realSetTimeout(() => poll.finish({ ok: true, result: this.takeUpdates(limit) }), timeout * 1000);
      this.timers.add(timer);
      this.poll = poll;
      connection.onClose(() => poll.finish(null));
    });
  }

  private takeUpdates(limit: number): Update[] {
    const allowed = (u: Update): boolean => {
      const type = updateType(u) ?? '';
      return this.allowedUpdates ? this.allowedUpdates.includes(type) : !DEFAULT_EXCLUDED_UPDATES.has(type);
    };
    // Telegram never delivers updates of types the bot did not ask for.
    this.queue = this.queue.filter(allowed);
    return this.queue.slice(0, limit);
  }

  private setWebhook(p: Params): true {
    const url = optString(p, 'url') ?? '';
    if (url === '') {
      this.webhookState = null;
      return true;
    }
    try {
      new URL(url);
    } catch {
      throw badRequest('bad webhook: invalid URL');
    }
    const secret = optString(p, 'secret_token');
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw badRequest('secret token contains unallowed characters');
    }
    const maxConnections = optInt(p, 'max_connections') ?? 40;
    if (maxConnections < 1 || maxConnections > 100) throw badRequest('bad webhook: max_connections must be between 1 and 100');
    if (optBool(p, 'drop_pending_updates')) this.queue = [];
    const allowed = optStringArray(p, 'allowed_updates');
    this.setWebhookState({
      url,
      ...(secret !== undefined ? { secret } : {}),
      maxConnections,
      ...(allowed && allowed.length > 0 ? { allowedUpdates: allowed } : {}),
      source: 'api',
    });
    return true;
  }

  private setWebhookState(state: WebhookState): void {
    this.webhookState = state;
    if (state.allowedUpdates) this.allowedUpdates = state.allowedUpdates;
    // A pending long poll ends empty; queued updates go to the webhook.
    this.poll?.finish({ ok: true, result: [] });
    const queued = this.takeUpdates(100);
    this.queue = [];
    for (const u of queued) this.scheduleDelivery(u);
  }

  private setMyCommands(p: Params): true {
    const commands = optJson(p, 'commands');
    if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON array");
    if (commands.length > 100) throw badRequest('too many commands');
    const list: BotCommand[] = [];
    for (const c of commands) {
      if (!isRecord(c) || typeof c.command !== 'string' || typeof c.description !== 'string') {
        throw badRequest("can't parse BotCommand");
      }
      if (!/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
      if (c.description.trim().length < 1 || c.description.length > 256) throw badRequest('command description is empty');
      list.push({ command: c.command, description: c.description });
    }
    this.commandSets.set(this.commandKey(optJson(p, 'scope'), optString(p, 'language_code') ?? ''), list);
    return true;
  }

  private commandKey(scope: unknown, languageCode: string): string {
    const s = isRecord(scope) ? scope : { type: 'default' };
    const sorted = Object.fromEntries(Object.entries(s).sort(([a], [b]) => a.localeCompare(b)));
    return `${JSON.stringify(sorted)}|${languageCode}`;
  }

  private sendMessage(call: ApiCall): Message {
    const p = call.params;
    const chat = this.requireChat(p);
    const text = optString(p, 'text');
    if (text === undefined || text === '') throw badRequest('message text is empty');
    const parseMode = optString(p, 'parse_mode');
    const rendered = render(text, parseMode);
    if (rendered.text.trim() === '') throw badRequest('message text is empty');
    if (rendered.text.length > 4096) throw badRequest('message is too long');
    const markup = parseReplyMarkup(p.reply_markup);
    const replyParameters = optJson(p, 'reply_parameters');
    const replyTo = isRecord(replyParameters) ? Number(replyParameters.message_id) : optInt(p, 'reply_to_message_id');
    const replied = replyTo !== undefined ? chat.messages.get(replyTo) : undefined;
    const allowWithoutReply =
      (isRecord(replyParameters) && replyParameters.allow_sending_without_reply === true) || optBool(p, 'allow_sending_without_reply');
    if (replyTo !== undefined && (!replied || replied.deleted) && !allowWithoutReply) {
      throw badRequest('message to be replied not found');
    }
    this.checkRateLimit(chat.chat.id);

    const messageId = chat.nextMessageId;
    chat.nextMessageId += 1;
    const date = this.unixNow();
    const message: Message = {
      message_id: messageId,
      from: this.botUserObject(),
      chat: chat.chat,
      date,
      text: rendered.text,
      ...(rendered.entities.length > 0 ? { entities: rendered.entities } : {}),
      ...(replied && !replied.deleted ? { reply_to_message: { ...structuredClone(replied.message), reply_to_message: undefined } } : {}),
      ...(isInline(markup) ? { reply_markup: markup } : {}),
    };
    const sent: SentMessage = {
      seq: call.seq,
      chat_id: chat.chat.id,
      message_id: messageId,
      text,
      plainText: rendered.text,
      entities: rendered.entities,
      ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      date,
      at: call.at,
      params: p,
      currentText: text,
      currentPlainText: rendered.text,
      ...(isInline(markup) ? { currentReplyMarkup: markup } : {}),
      edits: [],
      deleted: false,
    };
    chat.messages.set(messageId, { message, fromBot: true, deleted: false, sent });
    this.sent.push(sent);
    return structuredClone(message);
  }

  private editMessage(call: ApiCall): Message {
    const p = call.params;
    if (p.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the fake Bot API');
    const chat = this.requireChat(p);
    const messageId = optInt(p, 'message_id');
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const stored = chat.messages.get(messageId);
    if (!stored || stored.deleted) throw badRequest('message to edit not found');
    if (!stored.fromBot) throw badRequest("message can't be edited");
    const markup = parseReplyMarkup(p.reply_markup);
    if (markup !== undefined && !isInline(markup)) throw badRequest('inline keyboard expected');
    const current = stored.message;
    const isTextEdit = call.method === 'editMessageText';
    let rendered: RenderedText = { text: current.text ?? '', entities: current.entities ?? [] };
    let text: string | undefined;
    const parseMode = optString(p, 'parse_mode');
    if (isTextEdit) {
      text = optString(p, 'text');
      if (text === undefined || text === '') throw badRequest('message text is empty');
      rendered = render(text, parseMode);
      if (rendered.text.trim() === '') throw badRequest('message text is empty');
      if (rendered.text.length > 4096) throw badRequest('message is too long');
    }
    const sameText = rendered.text === (current.text ?? '') && JSON.stringify(rendered.entities) === JSON.stringify(current.entities ?? []);
    const sameMarkup = JSON.stringify(markup ?? null) === JSON.stringify(current.reply_markup ?? null);
    if (sameText && sameMarkup) throw badRequest(NOT_MODIFIED);

    const editDate = this.unixNow();
    const { entities: _e, reply_markup: _r, ...rest } = current;
    const next: Message = {
      ...rest,
      text: rendered.text,
      ...(rendered.entities.length > 0 ? { entities: rendered.entities } : {}),
      ...(markup ? { reply_markup: markup } : {}),
      edit_date: editDate,
    };
    stored.message = next;
    const sent = stored.sent;
    if (sent) {
      if (text !== undefined) {
        sent.currentText = text;
        sent.currentPlainText = rendered.text;
      }
      if (markup) sent.currentReplyMarkup = markup;
      else delete sent.currentReplyMarkup;
      sent.edits.push({
        seq: call.seq,
        at: call.at,
        method: isTextEdit ? 'editMessageText' : 'editMessageReplyMarkup',
        ...(text !== undefined ? { text } : {}),
        ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
        ...(markup ? { reply_markup: markup } : {}),
      });
    }
    return structuredClone(next);
  }

  private answerCallbackQuery(call: ApiCall): true {
    const p = call.params;
    const id = optString(p, 'callback_query_id');
    const entry = id === undefined ? undefined : this.callbackQueries.get(id);
    if (!entry || entry.answered || id === undefined) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    const text = optString(p, 'text');
    if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    entry.answered = true;
    const showAlert = optBool(p, 'show_alert');
    const url = optString(p, 'url');
    const cacheTime = optInt(p, 'cache_time');
    this.callbackAnswers.push({
      callback_query_id: id,
      ...(text !== undefined ? { text } : {}),
      ...(showAlert !== undefined ? { show_alert: showAlert } : {}),
      ...(url !== undefined ? { url } : {}),
      ...(cacheTime !== undefined ? { cache_time: cacheTime } : {}),
      at: call.at,
      seq: call.seq,
    });
    return true;
  }

  private requireChat(p: Params): ChatState {
    const raw = p.chat_id;
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty');
    const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id) || id === 0) throw badRequest('chat not found');
    const existing = this.chats.get(id);
    if (existing?.known) return existing;
    if (this.strictChats) throw badRequest('chat not found');
    return existing ?? this.chatState(id);
  }

  private checkRateLimit(chatId: number): void {
    const limit = this.rateLimit;
    if (!limit) return;
    const since = realNow() - 1000;
    const recent = this.calls.filter((c) => c.method === 'sendMessage' && c.response?.ok === true && c.at > since);
    const retryAfter = limit.retryAfter ?? 1;
    const tooMany = (): TgError => new TgError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);
    if (limit.perSecond !== undefined && recent.length >= limit.perSecond) throw tooMany();
    if (limit.perChatPerSecond !== undefined && recent.filter((c) => c.chatId === chatId).length >= limit.perChatPerSecond) {
      throw tooMany();
    }
  }

  private addFailure(method: string, n: number, failure: Failure, filter: FailureFilter): FailureRule {
    if (!(n > 0)) throw new Error(`FakeTelegram.failNext: n must be positive, got ${n}`);
    const m = method === '*' ? '*' : this.canonical(method);
    const rule: FailureRule = {
      method: m,
      remaining: n,
      failure,
      ...(filter.chatId !== undefined ? { chatId: String(filter.chatId) } : {}),
    };
    this.failures.push(rule);
    return rule;
  }

  private takeFailure(call: ApiCall): FailureRule | undefined {
    const rule = this.failures.find(
      (r) =>
        (r.method === '*' || r.method === call.method) &&
        (r.chatId === undefined || (call.params.chat_id !== undefined && String(call.params.chat_id) === r.chatId)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.failures = this.failures.filter((r) => r !== rule);
    return rule;
  }

  private canonical(method: string): string {
    return METHOD_BY_LOWER.get(method.toLowerCase()) ?? method;
  }

  // -------------------------------------------------------------------------------------------
  // Updates.

  private enqueue(update: Update): Update {
    if (this.stopped) throw new Error('FakeTelegram: the fake server was stopped');
    this.lastUpdateId += 1;
    const queued: Update = { ...update, update_id: this.lastUpdateId };
    this.updates.push(queued);
    if (this.webhookState) {
      this.scheduleDelivery(queued);
    } else {
      this.queue.push(queued);
      const poll = this.poll;
      if (poll) {
        const ready = this.takeUpdates(poll.limit);
        if (ready.length > 0) poll.finish({ ok: true, result: ready });
      }
    }
    this.changed();
    return queued;
  }

  private userMessage(user: FakeUser, content: Partial<Message>): Update {
    const chat = this.chatState(user.id, user);
    chat.known = true;
    const messageId = chat.nextMessageId;
    chat.nextMessageId += 1;
    const message = {
      message_id: messageId,
      from: this.userObject(user),
      chat: chat.chat,
      date: this.unixNow(),
      ...content,
    } as Message & Update.NonChannel;
    chat.messages.set(messageId, { message, fromBot: false, deleted: false });
    return this.enqueue({ update_id: 0, message: structuredClone(message) });
  }

  private chatState(id: number, user?: FakeUser): ChatState {
    let state = this.chats.get(id);
    if (!state) {
      const chat: Chat =
        id > 0
          ? {
              id,
              type: 'private',
              first_name: user?.first_name ?? `Usuario ${id}`,
              ...(user?.last_name !== undefined ? { last_name: user.last_name } : {}),
              ...(user?.username !== undefined ? { username: user.username } : {}),
            }
          : { id, type: 'group', title: `Grupo ${id}` };
      state = { chat, nextMessageId: 1, messages: new Map(), known: false };
      this.chats.set(id, state);
    }
    return state;
  }

  private userObject(user: FakeUser): User {
    return {
      id: user.id,
      is_bot: false,
      first_name: user.first_name,
      ...(user.last_name !== undefined ? { last_name: user.last_name } : {}),
      ...(user.username !== undefined ? { username: user.username } : {}),
      language_code: user.language_code ?? 'es',
    };
  }

  private botUserObject(): User {
    return { id: this.botInfo.id, is_bot: true, first_name: this.botInfo.first_name, username: this.botInfo.username };
  }

  private buttonsOfStored(stored: StoredMessage): { text: string; callback_data?: string; url?: string }[] {
    const markup = stored.message.reply_markup;
    if (!markup) return [];
    return markup.inline_keyboard.flat().map((b: InlineKeyboardButton) => ({
      text: b.text,
      ...('callback_data' in b ? { callback_data: b.callback_data } : {}),
      ...('url' in b ? { url: b.url } : {}),
    }));
  }

  private unixNow(): number {
    return Math.floor(this.now() / 1000);
  }

  // -------------------------------------------------------------------------------------------
  // Webhook deliveries: in order per chat, up to max_connections in parallel.

  private scheduleDelivery(update: Update): void {
    const key = String(chatOfUpdate(update) ?? `update-${update.update_id}`);
    const previous = this.deliveryChains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.withDeliverySlot(() => this.deliver(update)));
    this.deliveryChains.set(key, next);
    void next.finally(() => {
      if (this.deliveryChains.get(key) === next) this.deliveryChains.delete(key);
    });
  }

  private async withDeliverySlot(work: () => Promise<void>): Promise<void> {
    const max = this.webhookState?.maxConnections ?? 40;
    if (this.deliveriesActive >= max) await new Promise<void>((resolve) => this.deliverySlots.push(resolve));
    this.deliveriesActive += 1;
    try {
      await work();
    } finally {
      this.deliveriesActive -= 1;
      this.deliverySlots.shift()?.();
    }
  }

  private async deliver(update: Update): Promise<void> {
    const webhook = this.webhookState;
    if (!webhook || this.stopped) {
      // The webhook was removed meanwhile: the update waits for getUpdates.
      if (!this.stopped) this.queue.push(update);
      return;
    }
    const started = realNow();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (webhook.secret !== undefined) headers['x-telegram-bot-api-secret-token'] = webhook.secret;
    const delivery: WebhookDelivery = {
      update_id: update.update_id,
      url: webhook.url,
      status: 0,
      secretSent: webhook.secret !== undefined,
      at: started,
      durationMs: 0,
    };
    let replyBody = '';
    try {
      const response = await realFetch(webhook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.any([this.deliveryAbort.signal, AbortSignal.timeout(60_000)]),
      });
      delivery.status = response.status;
      replyBody = await response.text();
      if (!response.ok) {
        this.lastWebhookError = { date: this.unixNow(), message: `Wrong response from the webhook: ${response.status} ${response.statusText}` };
      }
    } catch (error) {
      delivery.error = (error as Error).message;
      this.lastWebhookError = { date: this.unixNow(), message: `Connection failed: ${delivery.error}` };
    }
    delivery.durationMs = realNow() - started;
    let reply: unknown;
    if (delivery.status >= 200 && delivery.status < 300 && replyBody.trim().startsWith('{')) {
      try {
        reply = JSON.parse(replyBody) as unknown;
      } catch {
        reply = undefined;
      }
    }
    const method = isRecord(reply) && typeof reply.method === 'string' ? METHOD_BY_LOWER.get(reply.method.toLowerCase()) : undefined;
    if (method) delivery.replyMethod = method;
    this.deliveries.push(delivery);
    this.changed();
    if (method && isRecord(reply) && !this.stopped) {
      const { method: _m, ...params } = reply;
      const call = this.record(method, params, realNow(), true);
      const noConnection: Connection = { closed: false, onClose: () => {}, hangup: () => {}, reset: () => {} };
      await this.execute(call, noConnection);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Waiting.

  private waitOptions(opts: number | WaitOptions): { timeoutMs: number; since: number } {
    if (typeof opts === 'number') return { timeoutMs: opts, since: 0 };
    return { timeoutMs: opts.timeoutMs ?? DEFAULT_WAIT_MS, since: opts.since ?? 0 };
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private waitForValue<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    // Created now so its stack points at the test line that waited.
    const timeoutError = new Error('FakeTelegram wait timed out');
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        realClearTimeout(timer);
        realClearInterval(poller);
        this.waiters.delete(check);
      };
      const check = (): void => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          cleanup();
          resolve(value);
        }
      };
      const timer = realSetTimeout(() => {
        cleanup();
        timeoutError.message = `FakeTelegram: timed out after ${timeoutMs} ms ${describe()}`;
        reject(timeoutError);
      }, timeoutMs);
      // Re-checked on every change of the fake, and every 20 ms for conditions outside it.
      const poller = realSetInterval(check, 20);
      this.waiters.add(check);
      check();
    });
  }
}
