/** One waiting-room screen: reads an SSE stream and records its events with their arrival time. */
export async function openScreen(url: string, signal: AbortSignal) {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
  const events: Array<{ event: string; data: unknown; at: number }> = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown, at: Date.now() });
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return { events, pump, headers: response.headers };
}

export type Screen = Awaited<ReturnType<typeof openScreen>>;

/** When the screen was told that `numero` was called, or undefined. */
export function calledAt(screen: Screen, numero: unknown): number | undefined {
  return screen.events.find((e) => e.event === 'called' && (e.data as { numero: string }).numero === numero)?.at;
}
