import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import type { BotDeps } from '../deps.js';
import { texts } from '../texts.js';

/** Supervisors (ADMIN_TELEGRAM_IDS) see the branch: waiting per queue, advisors, alerts. */
export function supervisorFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType('private').command('supervisor', async (ctx) => {
    if (!deps.config.telegram.adminIds.includes(ctx.from.id)) {
      await ctx.reply(texts.notSupervisor);
      return;
    }
    const branch = ctx.match.trim() || deps.config.branchOffice;
    const dashboard = await deps.services.supervision.dashboard(branch);
    await ctx.reply(texts.supervisor(dashboard), { parse_mode: 'HTML' });
  });
  return composer;
}
