import { Composer } from 'grammy';
import { callbackData, parseCallback } from '../callback-data.js';
import type { BotContext } from '../context.js';
import type { BotDeps } from '../deps.js';
import { branchKeyboard } from '../keyboards.js';
import { texts } from '../texts.js';

const html = { parse_mode: 'HTML' as const };

/**
 * Supervisors (ADMIN_TELEGRAM_IDS) see a branch: waiting per queue, advisors, alerts. `/supervisor`
 * alone shows BRANCH_OFFICE; `/supervisor texto` the branch of that exact name, or the branches
 * whose name or comuna contains it (accents and case aside) as at most 8 buttons (SPEC §17).
 */
export function supervisorFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const isSupervisor = (userId: number): boolean => deps.config.telegram.adminIds.includes(userId);

  const sendDashboard = async (ctx: BotContext, branch: string): Promise<void> => {
    const dashboard = await deps.services.supervision.dashboard(branch);
    await ctx.reply(texts.supervisor(dashboard), html);
  };

  composer.chatType('private').command('supervisor', async (ctx) => {
    if (!isSupervisor(ctx.from.id)) {
      await ctx.reply(texts.notSupervisor);
      return;
    }
    const query = ctx.match.trim().replace(/\s+/g, ' ');
    if (query === '') {
      await sendDashboard(ctx, deps.config.branchOffice);
      return;
    }
    const exact = await deps.services.branchFinder.byName(query);
    if (exact) {
      await sendDashboard(ctx, exact.name);
      return;
    }
    const found = await deps.services.branchFinder.search(query);
    if (found.branches.length === 0) {
      await ctx.reply(`${texts.supervisorNoBranch(query)}\n${texts.supervisorAskBranch}`, html);
      return;
    }
    if (found.branches.length === 1 && !found.more) {
      await sendDashboard(ctx, found.branches[0]!.name);
      return;
    }
    await ctx.reply(texts.supervisorChooseBranch(query, found.more), {
      ...html,
      reply_markup: branchKeyboard(found.branches, callbackData.supervisorBranch),
    });
  });

  composer.chatType('private').callbackQuery(/^sv:/, async (ctx) => {
    const data = parseCallback(ctx.callbackQuery.data);
    const branch = data?.kind === 'supervisor-branch' && isSupervisor(ctx.from.id) ? await deps.services.branchFinder.byId(data.branchId) : null;
    if (!branch) {
      await ctx.answerCallbackQuery({ text: isSupervisor(ctx.from.id) ? texts.stale : texts.notSupervisor });
      return;
    }
    await ctx.answerCallbackQuery();
    await sendDashboard(ctx, branch.name);
  });
  return composer;
}
