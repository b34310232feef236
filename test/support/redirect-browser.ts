/**
 * A browser reduced to what an OpenID Connect sign-in needs, over real HTTP: a cookie jar (by
 * host name, as browsers keep cookies: ports share them), redirects followed by hand, and the
 * identity provider's login and consent forms filled in and posted.
 */
export class RedirectBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  private cookiesFor(url: URL): Map<string, string> {
    let cookies = this.jar.get(url.hostname);
    if (!cookies) this.jar.set(url.hostname, (cookies = new Map()));
    return cookies;
  }

  cookie(url: string, name: string): string | undefined {
    return this.cookiesFor(new URL(url)).get(name);
  }

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = this.cookiesFor(target);
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (gone || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  }

  /**
   * From `startUrl`, through the provider's login (as `login`) and consent, until a redirect to
   * `stopAt` (a path prefix of the app): that URL is returned, not requested.
   */
  async signInAtProvider(startUrl: string, login: string, stopAt: string): Promise<string> {
    let url = startUrl;
    for (let step = 0; step < 20; step++) {
      const response = await this.request(url);
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get('location')!, url);
        await response.body?.cancel();
        if (next.pathname.startsWith(stopAt)) return next.href;
        url = next.href;
        continue;
      }
      const html = await response.text();
      if (response.status !== 200) throw new Error(`${url}: ${response.status} ${html.slice(0, 300)}`);
      const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
      if (!form) throw new Error(`${url}: no form in ${html.slice(0, 300)}`);
      const fields = new URLSearchParams();
      for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(input[1]!, input[2]!);
      if (fields.get('prompt') === 'login') {
        fields.set('login', login);
        fields.set('password', 'cualquiera');
      }
      const posted = await this.request(new URL(decodeEntities(form[1]!), url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: fields.toString(),
      });
      if (posted.status < 300 || posted.status >= 400) throw new Error(`form ${posted.status}: ${(await posted.text()).slice(0, 300)}`);
      const next = new URL(posted.headers.get('location')!, url);
      await posted.body?.cancel();
      if (next.pathname.startsWith(stopAt)) return next.href;
      url = next.href;
    }
    throw new Error('too many steps at the identity provider');
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}
